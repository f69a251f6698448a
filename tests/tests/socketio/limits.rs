//! Limits and malformed input: `max_attachments`, and every kind of bad packet
//! closes only the connection that sent it while the others carry on.

use serde_json::json;
use tether::server::{DisconnectReason, Event, Server, ServerConfig, Socket};
use tether_tests::{Probe, SioClient, SioServer, placeholder, sio_config};

use crate::support::disconnect_reasons;

fn echo(io: &Server) {
    io.main()
        .on("echo", |socket: Socket, event: Event| async move {
            socket.emit("echo", event.args())
        });
}

/// A server with the options `config` and the handlers of `setup`, and the
/// reasons of the sockets leaving `/`.
async fn limited(config: ServerConfig, setup: fn(&Server)) -> (SioServer, Probe<DisconnectReason>) {
    let io = Server::new(config);
    setup(&io);
    let seen = disconnect_reasons(&io);
    (SioServer::start(io).await, seen)
}

/// Sends `count` attachments with one event.
async fn emit_attachments(client: &mut SioClient, count: usize) {
    let args: Vec<_> = (0..count).map(placeholder).collect();
    let attachments: Vec<Vec<u8>> = (0..count).map(|index| vec![index as u8]).collect();
    let slices: Vec<&[u8]> = attachments.iter().map(Vec::as_slice).collect();
    client.emit_binary("/", "echo", json!(args), &slices).await;
}

#[tokio::test]
async fn the_default_attachment_limit_is_ten() {
    let server = SioServer::with(echo).await;
    let (mut client, _) = server.client("/").await;
    emit_attachments(&mut client, 10).await;
    let echoed = client.expect_event("/", "echo").await;
    assert_eq!(echoed.attachments.len(), 10);
    assert_eq!(echoed.attachments[9], [9]);
    client.send_raw(&format!("4511-{}", json!(["echo"]))).await;
    assert_eq!(client.expect_closed().await, []);
    server.stop().await;
}

#[tokio::test]
async fn a_packet_over_max_attachments_closes_its_connection_only() {
    let (server, mut seen) = limited(sio_config().with_max_attachments(2), echo).await;
    let (mut greedy, _) = server.client("/").await;
    let (mut modest, _) = server.client("/").await;
    emit_attachments(&mut modest, 2).await;
    assert_eq!(
        modest.expect_event("/", "echo").await.attachments,
        [vec![0], vec![1]]
    );
    greedy.send_raw(r#"453-["echo"]"#).await;
    assert_eq!(greedy.expect_closed().await, []);
    assert_eq!(seen.next().await, DisconnectReason::ParseError);
    emit_attachments(&mut modest, 1).await;
    assert_eq!(
        modest.expect_event("/", "echo").await.attachments,
        [vec![0]]
    );
    server.stop().await;
}

#[tokio::test]
async fn malformed_packets_close_only_the_connection_that_sent_them() {
    let server = SioServer::with(echo).await;
    let (mut bystander, _) = server.client("/").await;
    let text_cases = [
        "4",
        "47",
        r#"42"not an array""#,
        "42[]",
        "42[{}]",
        r#"42["echo""#,
        r#"42["echo"]trailing"#,
        r#"4-1["echo"]"#,
        r#"45x-["echo"]"#,
        r#"451-["echo",{"_placeholder":true,"num":5}]"#,
        "41{}",
        r#"42["echo",1e400]"#,
    ];
    for case in text_cases {
        let (mut offender, _) = server.client("/").await;
        offender.send_raw(case).await;
        assert_eq!(offender.expect_closed().await, [], "after {case:?}");
        bystander.emit("/", "echo", json!([case])).await;
        assert_eq!(bystander.expect_event("/", "echo").await.arg(0), case);
    }

    let (mut stray, _) = server.client("/").await;
    stray.send_raw_binary(&[1, 2, 3]).await;
    assert_eq!(
        stray.expect_closed().await,
        [],
        "a binary frame with no packet waiting"
    );

    let (mut interrupted, _) = server.client("/").await;
    interrupted
        .send_raw(r#"451-["echo",{"_placeholder":true,"num":0}]"#)
        .await;
    interrupted.send_raw(r#"42["echo"]"#).await;
    assert_eq!(
        interrupted.expect_closed().await,
        [],
        "text while an attachment was due"
    );

    // As in Node, an ack without an id (or with an unknown one) is ignored.
    let (mut sloppy, _) = server.client("/").await;
    sloppy.send_raw(r#"43["ack without id"]"#).await;
    sloppy.send_raw(r#"4317["unknown id"]"#).await;
    sloppy.emit("/", "echo", json!(["sloppy"])).await;
    assert_eq!(sloppy.expect_event("/", "echo").await.arg(0), "sloppy");
    sloppy.close().await;

    bystander.emit("/", "echo", json!(["still here"])).await;
    bystander.expect_event("/", "echo").await;
    assert_eq!(server.io.main().socket_count(), 1);
    server.stop().await;
}

/// A handler that never finishes on its own, so each event waits in a task.
fn stall(io: &Server) {
    io.main().on("stall", |_socket: Socket, _event: Event| {
        std::future::pending::<()>()
    });
    echo(io);
}

#[tokio::test]
async fn a_client_flooding_waiting_handlers_is_disconnected_and_others_carry_on() {
    let (server, mut seen) = limited(sio_config().with_max_waiting_handlers(8), stall).await;
    let (mut flooder, _) = server.client("/").await;
    let (mut calm, _) = server.client("/").await;
    for _ in 0..8 {
        flooder.emit("/", "stall", json!([])).await;
    }
    flooder.emit("/", "echo", json!(["still here"])).await;
    assert_eq!(
        flooder.expect_event("/", "echo").await.data,
        Some(json!(["echo", "still here"]))
    );
    flooder.emit("/", "stall", json!([])).await;
    flooder.expect_closed().await;
    assert_eq!(seen.next().await, DisconnectReason::TransportError);
    calm.emit("/", "echo", json!(["hello"])).await;
    assert_eq!(
        calm.expect_event("/", "echo").await.data,
        Some(json!(["echo", "hello"]))
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_joins_at_most_max_namespaces_per_client() {
    let io = Server::new(sio_config().with_max_namespaces_per_client(3));
    io.of_pattern("/n-{id}").expect("valid pattern");
    echo(&io);
    let server = SioServer::start(io).await;
    let mut client = server.open().await;
    client.join_ok("/", None).await;
    client.join_ok("/n-1", None).await;
    client.join_ok("/n-2", None).await;
    assert_eq!(
        client.join("/n-3", None).await,
        Err(json!({ "message": "Too many namespaces" }))
    );
    client.emit("/", "echo", json!(["still here"])).await;
    assert_eq!(
        client.expect_event("/", "echo").await.arg(0),
        "still here",
        "the namespaces joined stay"
    );
    client.leave("/n-2").await;
    client.join_ok("/n-3", None).await;
    // The limit is per connection: another client joins freely.
    let _other = server.client("/n-4").await;
    server.stop().await;
}
