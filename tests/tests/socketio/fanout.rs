//! Broadcasts from an event handler reach every recipient whole and in order, also
//! when some recipients' sockets cannot take them at once.

use serde_json::{Value, json};
use tether::server::{Event, Server, Socket};
use tether_tests::{SioClient, SioServer};

/// A server whose `shout(payload)` emits `news(payload)` to every other socket of
/// `/`.
async fn shouting_server() -> SioServer {
    SioServer::with(|io: &Server| {
        io.main()
            .on("shout", |socket: Socket, event: Event| async move {
                let payload: Value = event.arg(0)?;
                socket.broadcast().emit("news", &payload)?;
                Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
            });
    })
    .await
}

async fn joined(server: &SioServer) -> SioClient {
    let mut client = SioClient::open(server.addr(), "/socket.io/").await;
    client.join_ok("/", None).await;
    client
}

/// A [`shouting_server`] with a publisher and `count` readers joined.
async fn publisher_and_readers(count: usize) -> (SioServer, SioClient, Vec<SioClient>) {
    let server = shouting_server().await;
    let publisher = joined(&server).await;
    let mut readers = Vec::with_capacity(count);
    for _ in 0..count {
        readers.push(joined(&server).await);
    }
    (server, publisher, readers)
}

/// Waits for `news` events with `seq` 0 to `count - 1` in order, each carrying
/// `pad` whole.
async fn expect_news(client: &mut SioClient, count: u64, pad: &str) {
    for expected in 0..count {
        let packet = client.expect_event("/", "news").await;
        let data = packet.data.as_ref().expect("event data");
        assert_eq!(data[1]["pad"], pad, "the payload arrived whole");
        assert_eq!(data[1]["seq"].as_u64(), Some(expected), "in order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reader_gets_every_broadcast_whole_and_in_order() {
    const MESSAGES: u64 = 150;
    let (server, mut publisher, mut readers) = publisher_and_readers(8).await;
    // Never read until the end: its socket fills up, so the server's writes to it
    // stop halfway through frames.
    let mut stalled = joined(&server).await;
    // 64 KiB per message: ten megabytes in all, more than loopback buffers hold.
    let pad = "x".repeat(64 * 1024);
    let publishing = async {
        for seq in 0..MESSAGES {
            publisher
                .emit("/", "shout", json!([{ "seq": seq, "pad": pad }]))
                .await;
        }
        publisher
    };
    let reading = async {
        for reader in &mut readers {
            expect_news(reader, MESSAGES, &pad).await;
        }
        readers
    };
    let (mut publisher, _readers) = tokio::join!(publishing, reading);
    publisher.expect_silence().await;
    expect_news(&mut stalled, MESSAGES, &pad).await;
    stalled.expect_silence().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_broadcasts_reach_many_sockets_in_order() {
    const MESSAGES: u64 = 300;
    let (_server, mut publisher, mut readers) = publisher_and_readers(50).await;
    for seq in 0..MESSAGES {
        publisher
            .emit("/", "shout", json!([{ "seq": seq, "pad": "" }]))
            .await;
    }
    for reader in &mut readers {
        expect_news(reader, MESSAGES, "").await;
    }
}
