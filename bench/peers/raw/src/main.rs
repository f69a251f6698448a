//! A minimal WebSocket server on tokio-tungstenite that speaks just enough
//! Engine.IO v4 / Socket.IO v5 to serve the bench contract. A broadcast is encoded
//! once and every recipient gets a clone of the same bytes. It stands for the
//! practical limit of the machine, not for a usable Socket.IO server: no polling,
//! no namespaces other than `/`, no binary, no heartbeat timeouts.

mod proto;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::proto::Request;

/// Frames queued per socket before broadcasts to it are dropped.
const QUEUE: usize = 1024;
/// Frames written per flush at most.
const BATCH: usize = 256;
/// Engine.IO ping interval announced in the open packet.
const PING_INTERVAL: Duration = Duration::from_secs(25);
/// Longest time a WebSocket handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

type Tx = mpsc::Sender<Message>;

/// Connected sockets and room members.
#[derive(Default)]
struct Hub {
    sockets: RwLock<HashMap<u64, Tx>>,
    rooms: RwLock<HashMap<String, HashMap<u64, Tx>>>,
    next_id: AtomicU64,
    salt: u64,
}

impl Hub {
    fn send_all(&self, msg: &Message) {
        let sockets = self.sockets.read().unwrap_or_else(|e| e.into_inner());
        for tx in sockets.values() {
            let _ = tx.try_send(msg.clone());
        }
    }

    fn send_room(&self, room: &str, msg: &Message) {
        let rooms = self.rooms.read().unwrap_or_else(|e| e.into_inner());
        if let Some(members) = rooms.get(room) {
            for tx in members.values() {
                let _ = tx.try_send(msg.clone());
            }
        }
    }

    fn join(&self, room: &str, id: u64, tx: &Tx) {
        let mut rooms = self.rooms.write().unwrap_or_else(|e| e.into_inner());
        rooms
            .entry(room.to_string())
            .or_default()
            .insert(id, tx.clone());
    }

    fn remove(&self, id: u64, joined: &HashSet<String>) {
        self.sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        let mut rooms = self.rooms.write().unwrap_or_else(|e| e.into_inner());
        for room in joined {
            if let Some(members) = rooms.get_mut(room) {
                members.remove(&id);
                if members.is_empty() {
                    rooms.remove(room);
                }
            }
        }
    }
}

fn text(s: String) -> Message {
    Message::Text(Utf8Bytes::from(s))
}

/// Serves one connection until it closes.
async fn serve(stream: TcpStream, hub: Arc<Hub>) {
    let _ = stream.set_nodelay(true);
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let accept = tokio_tungstenite::accept_async_with_config(stream, Some(config));
    let Ok(Ok(ws)) = timeout(HANDSHAKE_TIMEOUT, accept).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Message>(QUEUE);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            if sink.feed(first).await.is_err() {
                return;
            }
            for _ in 1..BATCH {
                let Ok(next) = rx.try_recv() else { break };
                if sink.feed(next).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
        let _ = sink.close().await;
    });

    let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
    if tx
        .send(text(proto::open(&proto::id(id, hub.salt))))
        .await
        .is_err()
    {
        return;
    }
    let mut joined = HashSet::new();
    while let Some(Ok(msg)) = source.next().await {
        let frame = match &msg {
            Message::Text(t) => t.as_str(),
            Message::Close(_) => break,
            _ => continue,
        };
        let reply = match proto::parse(frame) {
            Request::Connect => {
                hub.sockets
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id, tx.clone());
                Some(proto::connected(&proto::id(id, !hub.salt)))
            }
            Request::Echo { id: ack, rest } => Some(proto::echo_ack(ack, rest)),
            Request::Broadcast { rest } => {
                hub.send_all(&text(proto::bcast(rest)));
                None
            }
            Request::Join { id: ack, room } => {
                hub.join(room, id, &tx);
                joined.insert(room.to_string());
                Some(proto::join_ack(ack))
            }
            Request::RoomBroadcast { room, rest } => {
                hub.send_room(room, &text(proto::bcast(rest)));
                None
            }
            Request::Close => break,
            Request::Other => None,
        };
        if let Some(reply) = reply
            && tx.send(text(reply)).await.is_err()
        {
            break;
        }
    }
    hub.remove(id, &joined);
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
        let listener =
            TcpListener::bind(("127.0.0.1", u16::try_from(port).unwrap_or(3000))).await?;
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        let hub = Arc::new(Hub {
            salt,
            ..Hub::default()
        });
        let pinger = hub.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PING_INTERVAL);
            tick.tick().await;
            loop {
                tick.tick().await;
                pinger.send_all(&Message::Text(Utf8Bytes::from_static("2")));
            }
        });
        let server = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(serve(stream, hub.clone()));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });
        eprintln!("raw bench server on 127.0.0.1:{port}, {threads} worker thread(s)");
        server.await.map_err(std::io::Error::other)
    })
}
