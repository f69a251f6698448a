//! The bench contract served by socketioxide, with its default settings, on hyper
//! with the tokio worker threads given by `THREADS`.

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use tokio::net::TcpListener;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Registers the four contract events on every socket of `/`.
fn on_connect(socket: SocketRef) {
    // socketioxide extracts the first argument of a non-tuple type; the load
    // generator sends exactly one.
    socket.on("echo", async |ack: AckSender, Data(arg): Data<Value>| {
        let _ = ack.send(&arg);
    });
    socket.on("broadcast", async |io: SocketIo, Data(obj): Data<Value>| {
        let _ = io.emit("bcast", &obj).await;
    });
    socket.on(
        "join",
        async |socket: SocketRef, ack: AckSender, Data(room): Data<String>| {
            socket.join(room);
            let _ = ack.send(&true);
        },
    );
    socket.on(
        "room_broadcast",
        async |io: SocketIo, Data((room, obj)): Data<(String, Value)>| {
            let _ = io.to(room).emit("bcast", &obj).await;
        },
    );
}

fn main() -> std::io::Result<()> {
    let port = env_number("PORT", 3000);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = env_number("THREADS", cores).max(1);
    // TOKIO_SCHEDULER=current: tokio's current-thread scheduler (one thread)
    // instead of the multi-thread one with THREADS workers.
    let runtime = if std::env::var("TOKIO_SCHEDULER").as_deref() == Ok("current") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async move {
        let (svc, io) = SocketIo::new_svc();
        io.ns("/", async |socket: SocketRef| on_connect(socket));
        let listener =
            TcpListener::bind(("127.0.0.1", u16::try_from(port).unwrap_or(3000))).await?;
        let server = tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let svc = svc.clone();
                tokio::spawn(async move {
                    let conn = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .with_upgrades();
                    let _ = conn.await;
                });
            }
        });
        eprintln!("socketioxide bench server on 127.0.0.1:{port}, {threads} worker thread(s)");
        server.await.map_err(std::io::Error::other)
    })
}
