use super::*;

#[test]
fn stream_names_hash_as_node_does() {
    assert_eq!(hash_code("/orders-namespace"), -2_133_015_902);
    assert_eq!(
        stream_of("/orders-namespace", "socket.io", 4),
        "socket.io--2"
    );
    assert_eq!(stream_of("/", "socket.io", 1), "socket.io");
}
