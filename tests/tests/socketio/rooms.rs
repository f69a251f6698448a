//! Rooms and broadcasts: membership, and for every way of selecting sockets
//! (`to`, `except`, socket ids, `broadcast`, namespaces) each client receives
//! exactly what it should, checked against a sentinel sent to all afterwards.

use serde_json::json;
use tether::server::{BroadcastOperator, Room, Socket};
use tether_tests::sio_packet::DISCONNECT;
use tether_tests::{SioClient, SioServer};

/// Reads events on `nsp` until `sentinel`; returns the `msg` arguments before it.
async fn until_sentinel(client: &mut SioClient, nsp: &str) -> Vec<i64> {
    let mut seen = Vec::new();
    loop {
        let packet = client.next_packet().await;
        assert_eq!(packet.nsp, nsp, "{}", packet.text);
        match packet.event_name() {
            Some("sentinel") => return seen,
            Some("msg") => seen.push(packet.arg(0).as_i64().expect("a number")),
            _ => panic!("unexpected packet {}", packet.text),
        }
    }
}

#[tokio::test]
async fn sockets_join_and_leave_rooms() {
    let server = SioServer::with(|_| {}).await;
    let (mut client, sid) = server.client("/").await;
    let socket = server.socket("/", &sid);
    socket.join("red");
    socket.join(["blue", "green", "red"]);
    socket.join(vec![Room::new("gold")]);
    let names = |socket: &Socket| {
        socket
            .rooms()
            .iter()
            .map(|room| room.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&socket),
        [sid.as_str(), "red", "blue", "green", "gold"]
    );
    socket.leave("blue");
    socket.leave(["green", "nowhere"]);
    assert_eq!(names(&socket), [sid.as_str(), "red", "gold"]);
    let mut rooms = server.io.main().rooms();
    rooms.sort();
    assert_eq!(rooms, [Room::new("gold"), Room::new("red")]);
    socket.leave_all();
    assert_eq!(names(&socket), [sid.as_str()]);
    assert!(server.io.main().rooms().is_empty(), "empty rooms are gone");

    socket.join("red");
    client.leave("/").await;
    client.join_ok("/", None).await;
    assert!(
        server.io.main().rooms().is_empty(),
        "a socket that left is out of its rooms"
    );
    assert!(!socket.connected());
    socket.join("late");
    assert!(
        server.io.main().rooms().is_empty(),
        "a disconnected socket joins nothing"
    );
    server.stop().await;
}

#[tokio::test]
async fn joining_its_own_id_does_not_duplicate_deliveries() {
    let server = SioServer::with(|_| {}).await;
    let (mut client, sid) = server.client("/").await;
    let socket = server.socket("/", &sid);
    socket.join(socket.id());
    socket.join(["red", sid.as_str()]);
    assert_eq!(socket.rooms().len(), 2, "{:?}", socket.rooms());
    server.io.to(socket.id()).emit("msg", &1).unwrap();
    server.io.to([sid.as_str(), "red"]).emit("msg", &2).unwrap();
    server.io.emit("sentinel", &()).unwrap();
    assert_eq!(until_sentinel(&mut client, "/").await, [1, 2]);
    server.stop().await;
}

/// Four clients on `/` (a, b in `red`; b, c in `blue`; d in none) and one on
/// `/other` in `red`.
struct Crowd {
    server: SioServer,
    clients: Vec<SioClient>,
    sockets: Vec<Socket>,
    other: SioClient,
}

async fn crowd() -> Crowd {
    let server = SioServer::with(|io| {
        io.of("/other");
    })
    .await;
    let mut clients = Vec::new();
    let mut sockets = Vec::new();
    for rooms in [&["red"][..], &["red", "blue"], &["blue"], &[]] {
        let (client, sid) = server.client("/").await;
        let socket = server.socket("/", &sid);
        socket.join(rooms);
        clients.push(client);
        sockets.push(socket);
    }
    let (other, sid) = server.client("/other").await;
    server.socket("/other", &sid).join("red");
    Crowd {
        server,
        clients,
        sockets,
        other,
    }
}

#[tokio::test]
async fn each_client_gets_exactly_what_its_rooms_select() {
    let Crowd {
        server,
        mut clients,
        sockets,
        mut other,
    } = crowd().await;
    let io = &server.io;
    let [a, b, c, d] = [0, 1, 2, 3].map(|index| sockets[index].clone());
    let operations: Vec<(BroadcastOperator, &[usize])> = vec![
        (io.to("red"), &[0, 1]),
        (io.within(["red", "blue"]), &[0, 1, 2]),
        (io.to("red").to("blue"), &[0, 1, 2]),
        (io.except("red"), &[2, 3]),
        (io.to("blue").except("red"), &[2]),
        (io.to(d.id()), &[3]),
        (io.except(a.id()), &[1, 2, 3]),
        (io.to(["red", c.id().as_str()]).except(b.id()), &[0, 2]),
        (io.local(), &[0, 1, 2, 3]),
        (io.main().broadcast(), &[0, 1, 2, 3]),
        (a.to("red"), &[1]),
        (a.within("blue"), &[1, 2]),
        (a.broadcast(), &[1, 2, 3]),
        (a.except("blue"), &[3]),
        (b.to("red").except("blue"), &[0]),
        (io.to("nobody"), &[]),
    ];
    let mut expected = vec![Vec::new(); 4];
    for (index, (operation, targets)) in operations.iter().enumerate() {
        assert_eq!(
            operation.sockets().len(),
            targets.len(),
            "operation {index}"
        );
        operation.emit("msg", &index).unwrap();
        for &target in *targets {
            expected[target].push(index as i64);
        }
    }
    io.emit("sentinel", &()).unwrap();
    io.of("/other").emit("sentinel", &()).unwrap();
    for (index, client) in clients.iter_mut().enumerate() {
        assert_eq!(
            until_sentinel(client, "/").await,
            expected[index],
            "client {index}"
        );
    }
    assert_eq!(until_sentinel(&mut other, "/other").await, [] as [i64; 0]);
    io.of("/other").to("red").emit("msg", &99).unwrap();
    io.of("/other").emit("sentinel", &()).unwrap();
    assert_eq!(until_sentinel(&mut other, "/other").await, [99]);
    server.stop().await;
}

#[tokio::test]
async fn selections_join_leave_and_disconnect_together() {
    let Crowd {
        server,
        mut clients,
        sockets,
        other: _,
    } = crowd().await;
    let io = &server.io;
    io.to("red").join("green");
    io.to("green").leave("red");
    assert_eq!(io.to("red").sockets().len(), 0);
    let green = io.to("green").sockets();
    assert_eq!(green.len(), 2);
    assert!(green.contains(&sockets[0]) && green.contains(&sockets[1]));

    io.to("blue").disconnect();
    for (index, client) in clients.iter_mut().enumerate() {
        if index == 1 || index == 2 {
            let packet = client.next_packet().await;
            assert_eq!(
                (packet.kind, packet.text.as_str()),
                (DISCONNECT, "1"),
                "client {index}"
            );
        }
    }
    assert!(!sockets[1].connected() && !sockets[2].connected());
    assert_eq!(io.main().socket_count(), 2);
    io.emit("msg", &1).unwrap();
    io.emit("sentinel", &()).unwrap();
    assert_eq!(until_sentinel(&mut clients[0], "/").await, [1]);
    assert_eq!(until_sentinel(&mut clients[3], "/").await, [1]);
    clients[1].emit("/", "anything", json!([])).await;
    assert_eq!(
        clients[1].expect_closed().await,
        [],
        "an event for a namespace it left"
    );
    server.stop().await;
}
