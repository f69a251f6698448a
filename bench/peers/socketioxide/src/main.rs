//! The bench contract served by socketioxide, with its default settings, on hyper
//! with the tokio worker threads given by `THREADS`. With `REDIS_URL` set, the
//! node joins a cluster through `socketioxide-redis` (its `redis` driver, channel
//! prefix from `REDIS_PREFIX`, default `socket.io`).

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::{ParserConfig, SocketIo, SocketIoBuilder};
use socketioxide_redis::{RedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use tokio::net::{TcpListener, TcpStream};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Registers the contract events on every socket of `/`.
fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    // socketioxide extracts the first argument of a non-tuple type; the load
    // generator sends exactly one.
    socket.on("echo", async |ack: AckSender<A>, Data(arg): Data<Value>| {
        let _ = ack.send(&arg);
    });
    socket.on(
        "broadcast",
        async |io: SocketIo<A>, Data(obj): Data<Value>| {
            let _ = io.emit("bcast", &obj).await;
        },
    );
    socket.on(
        "join",
        async |socket: SocketRef<A>, ack: AckSender<A>, Data(room): Data<String>| {
            socket.join(room);
            let _ = ack.send(&true);
        },
    );
    socket.on(
        "room_broadcast",
        async |io: SocketIo<A>, Data((room, obj)): Data<(String, Value)>| {
            let _ = io.to(room).emit("bcast", &obj).await;
        },
    );
    socket.on("fetch", async |io: SocketIo<A>, ack: AckSender<A>| {
        if let Ok(sockets) = io.fetch_sockets().await {
            let _ = ack.send(&sockets.len());
        }
    });
}

/// Serves one connection with a Socket.IO service, upgrades included.
macro_rules! serve_connection {
    ($svc:expr) => {{
        let svc = $svc.clone();
        move |stream: TcpStream| {
            let svc = svc.clone();
            tokio::spawn(async move {
                let conn = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .with_upgrades();
                let _ = conn.await;
            });
        }
    }};
}

/// Accepts connections and hands each to `serve` until the process ends.
async fn serve(listener: TcpListener, serve: impl Fn(TcpStream)) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        serve(stream);
    }
}

/// A node of the cluster on `url`: the Redis adapter with its defaults and the
/// prefix from `REDIS_PREFIX`.
async fn serve_clustered(listener: TcpListener, url: &str) -> std::io::Result<()> {
    // The adapter's redis driver receives pub/sub messages as RESP3 pushes.
    let url = if url.contains("protocol=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    };
    let client = redis::Client::open(url).map_err(std::io::Error::other)?;
    let prefix = std::env::var("REDIS_PREFIX")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "socket.io".to_owned());
    let config = RedisAdapterConfig::new().with_prefix(prefix);
    let adapter = RedisAdapterCtr::new_with_redis_config(&client, config)
        .await
        .map_err(std::io::Error::other)?;
    let (svc, io) = with_parser(SocketIoBuilder::new())
        .with_adapter::<RedisAdapter<_>>(adapter)
        .build_svc();
    io.ns("/", async |socket: SocketRef<_>| on_connect(socket))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    serve(listener, serve_connection!(svc)).await;
    Ok(())
}

/// `PARSER=msgpack`: socketioxide's MessagePack parser (feature `msgpack`),
/// wire-compatible with socket.io-msgpack-parser; the default parser otherwise.
fn with_parser(builder: SocketIoBuilder) -> SocketIoBuilder {
    if std::env::var("PARSER").as_deref() == Ok("msgpack") {
        builder.with_parser(ParserConfig::msgpack())
    } else {
        builder
    }
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
    let redis_url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
    runtime.block_on(async move {
        let listener =
            TcpListener::bind(("127.0.0.1", u16::try_from(port).unwrap_or(3000))).await?;
        eprintln!("socketioxide bench server on 127.0.0.1:{port}, {threads} worker thread(s)");
        let server = tokio::spawn(async move {
            match redis_url {
                Some(url) => serve_clustered(listener, &url).await,
                None => {
                    let (svc, io) = with_parser(SocketIo::builder()).build_svc();
                    io.ns("/", async |socket: SocketRef| on_connect(socket));
                    serve(listener, serve_connection!(svc)).await;
                    Ok(())
                }
            }
        });
        server.await.map_err(std::io::Error::other)?
    })
}
