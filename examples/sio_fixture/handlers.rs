//! The events every namespace of the fixture handles, and the `/stream` namespace.
//!
//! - `echo(...args)`: `echo` back with the same arguments; `echo-ack(...args)`:
//!   acknowledged with the same arguments.
//! - `upload({name, file, parts: [bytes]})`: acknowledged with the sizes; sends
//!   `download` with the bytes rearranged and nested.
//! - `join(room | [rooms])`, `leave(room)`: acknowledged with the socket's rooms.
//! - `broadcast({via, to, except, event, data, tag})`: emits through `io` (the
//!   namespace), `socket` (`socket.to`/`except`, sender excluded) or `broadcast`
//!   (`socket.broadcast()`), then `sentinel(tag)` to the whole namespace; acknowledged.
//! - `volatile-burst(count)`: `count` volatile `v` events, then `v-done(queued)`.
//! - `ask({event, data: [...args], timeout})`: emits `event` with `args` to the
//!   sender and waits for its ack; acknowledged with `{ok: [...args]}` or `{err}`.
//! - `ask-room({room, event, data, timeout})`: the same to every socket of `room`;
//!   acknowledged with `[{id, ok: first arg} | {id, err}]` sorted by id.
//! - `slow-ack(ms)`: acknowledged with `late` after `ms`.
//! - `null-ack`: acknowledged with one `null` (Node's `cb(null)`); `null-ack-count`:
//!   acknowledged with `null` and how many `null-ack` events the socket got (the
//!   error slot first, as socket.io-client's `retries` expect).
//! - `kick`, `kick-close`: the server disconnects the socket (and closes the
//!   connection); `whoami`: acknowledged with `{id, ns, rooms, transport}`;
//!   `handshake`: acknowledged with the handshake as Node's `socket.handshake`.
//! - `announce-departure`: when the socket leaves, the other sockets of each of
//!   its rooms get `departing({id, rooms, reason})`, sent while it is still in
//!   them; acknowledged.
//! - `fail`, `panic`: a handler that fails or panics (the connection stays up).
//! - `seq(n)` and `seq-end`: checks that `seq` arrives in order; `seq-end` is
//!   acknowledged with `{received, inOrder, polling, websocket}`.

use std::error::Error;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tether::engine::Transport;
use tether::protocol::Args;
use tether::server::{
    AckError, DisconnectReason, EmitError, Event, EventHandler, Namespace, ParentNamespace, Socket,
};

type Outcome = Result<(), Box<dyn Error + Send + Sync>>;

/// Something event handlers can be registered on.
pub trait Events {
    /// Handles `event` with `handler`.
    fn handle(&self, event: &str, handler: impl EventHandler);
}

impl Events for Namespace {
    fn handle(&self, event: &str, handler: impl EventHandler) {
        self.on(event, handler);
    }
}

impl Events for ParentNamespace {
    fn handle(&self, event: &str, handler: impl EventHandler) {
        self.on(event, handler);
    }
}

/// Registers every event of the fixture on `target`.
pub fn install(target: &impl Events) {
    target.handle("echo", echo);
    target.handle("echo-ack", echo_ack);
    target.handle("upload", upload);
    target.handle("join", join);
    target.handle("leave", leave);
    target.handle("broadcast", broadcast);
    target.handle("volatile-burst", volatile_burst);
    target.handle("ask", ask);
    target.handle("ask-room", ask_room);
    target.handle("slow-ack", slow_ack);
    target.handle("null-ack", null_ack);
    target.handle("null-ack-count", null_ack_count);
    target.handle("kick", kick);
    target.handle("kick-close", kick_close);
    target.handle("whoami", whoami);
    target.handle("handshake", handshake);
    target.handle("announce-departure", announce_departure);
    target.handle("fail", fail);
    target.handle("panic", panic);
    target.handle("seq", seq);
    target.handle("seq-end", seq_end);
}

async fn echo(socket: Socket, event: Event) -> Outcome {
    socket.emit("echo", event.args())?;
    Ok(())
}

async fn echo_ack(_socket: Socket, mut event: Event) -> Outcome {
    let args = event.args().clone();
    event.ack(&args)?;
    Ok(())
}

#[derive(Deserialize)]
struct Upload {
    name: String,
    file: Bytes,
    parts: Vec<Bytes>,
}

async fn upload(socket: Socket, mut event: Event) -> Outcome {
    let upload: Upload = event.arg(0)?;
    let sizes: Vec<usize> = upload.parts.iter().map(Bytes::len).collect();
    event.ack(&json!({ "name": upload.name, "file": upload.file.len(), "parts": sizes }))?;
    let reversed: Vec<u8> = upload.file.iter().rev().copied().collect();
    let mut parts = upload.parts;
    parts.reverse();
    #[derive(serde::Serialize)]
    struct Download {
        name: String,
        file: Bytes,
        nested: Nested,
    }
    #[derive(serde::Serialize)]
    struct Nested {
        parts: Vec<Bytes>,
        count: usize,
    }
    let count = parts.len();
    let download = Download {
        name: upload.name.to_uppercase(),
        file: Bytes::from(reversed),
        nested: Nested { parts, count },
    };
    socket.emit("download", &(download, Bytes::from_static(b"tail")))?;
    Ok(())
}

fn room_names(socket: &Socket) -> Vec<String> {
    socket.rooms().iter().map(ToString::to_string).collect()
}

async fn join(socket: Socket, mut event: Event) -> Outcome {
    match event.arg::<Value>(0)? {
        Value::Array(rooms) => {
            let rooms: Vec<String> = rooms
                .iter()
                .filter_map(|room| room.as_str().map(str::to_owned))
                .collect();
            socket.join(rooms);
        }
        Value::String(room) => socket.join(room),
        other => return Err(format!("not a room: {other}").into()),
    }
    event.ack(&room_names(&socket))?;
    Ok(())
}

async fn leave(socket: Socket, mut event: Event) -> Outcome {
    let room: String = event.arg(0)?;
    socket.leave(room);
    event.ack(&room_names(&socket))?;
    Ok(())
}

#[derive(Deserialize)]
struct Broadcast {
    via: String,
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    event: String,
    /// Any value, binary included.
    data: tether::protocol::Value,
    tag: Value,
}

async fn broadcast(socket: Socket, mut event: Event) -> Outcome {
    let order: Broadcast = event.arg(0)?;
    let ns = super::IO.get().ok_or("no server")?.of(socket.ns());
    let operator = match order.via.as_str() {
        "io" => ns.broadcast(),
        "socket" => socket.to(order.to.clone()),
        "broadcast" => socket.broadcast(),
        other => return Err(format!("unknown via {other}").into()),
    };
    let operator = if order.via == "socket" {
        operator
    } else {
        operator.to(order.to)
    };
    operator
        .except(order.except)
        .emit(&order.event, &order.data)?;
    ns.emit("sentinel", &order.tag)?;
    event.ack(&())?;
    Ok(())
}

async fn volatile_burst(socket: Socket, mut event: Event) -> Outcome {
    let count: u32 = event.arg(0)?;
    let mut queued = 0;
    for index in 0..count {
        if socket.volatile().emit("v", &index)? {
            queued += 1;
        }
    }
    socket.emit("v-done", &queued)?;
    event.ack(&queued)?;
    Ok(())
}

#[derive(Deserialize)]
struct Ask {
    event: String,
    data: Args,
    timeout: u64,
    #[serde(default)]
    room: Option<String>,
}

/// An acknowledgement's outcome as the fixture reports it: `{ok}` or `{err}`, with
/// the socket id for broadcasts. Serialized straight into the packet, so binary
/// in `ok` stays binary.
#[derive(Serialize)]
struct Answer<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ok: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    err: Option<String>,
}

fn answer<T>(id: Option<String>, result: Result<T, AckError>) -> Answer<T> {
    match result {
        Ok(value) => Answer {
            id,
            ok: Some(value),
            err: None,
        },
        Err(error) => Answer {
            id,
            ok: None,
            err: Some(error.to_string()),
        },
    }
}

async fn ask(socket: Socket, mut event: Event) -> Outcome {
    let ask: Ask = event.arg(0)?;
    let ack = event.take_ack();
    let result = socket
        .timeout(Duration::from_millis(ask.timeout))
        .emit_with_ack::<Args, _>(&ask.event, &ask.data)
        .await;
    if let Some(ack) = ack {
        ack.send(&answer(None, result))?;
    }
    Ok(())
}

async fn ask_room(socket: Socket, mut event: Event) -> Outcome {
    let ask: Ask = event.arg(0)?;
    let ns = super::IO.get().ok_or("no server")?.of(socket.ns());
    let ack = event.take_ack();
    let room = ask.room.ok_or("no room")?;
    let mut results: Vec<Answer<Value>> = ns
        .to(room)
        .timeout(Duration::from_millis(ask.timeout))
        .emit_with_ack::<Value, _>(&ask.event, &ask.data)
        .collect_all()
        .await
        .into_iter()
        .map(|(sid, result)| answer(sid.map(|sid| sid.to_string()), result))
        .collect();
    results.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(ack) = ack {
        ack.send(&results)?;
    }
    Ok(())
}

async fn slow_ack(_socket: Socket, mut event: Event) -> Outcome {
    let ms: u64 = event.arg(0)?;
    tokio::time::sleep(Duration::from_millis(ms)).await;
    event.ack(&"late")?;
    Ok(())
}

async fn kick(socket: Socket, _event: Event) {
    socket.disconnect();
}

/// How many `null-ack` events a socket got.
#[derive(Clone, Copy, Default)]
struct NullAcks(u32);

async fn null_ack(socket: Socket, mut event: Event) -> Outcome {
    if socket
        .with_data(|count: &mut NullAcks| count.0 += 1)
        .is_none()
    {
        socket.insert_data(NullAcks(1));
    }
    event.ack(&Value::Null)?;
    Ok(())
}

async fn null_ack_count(socket: Socket, mut event: Event) -> Outcome {
    let count = socket.data::<NullAcks>().unwrap_or_default();
    event.ack(&(Value::Null, count.0))?;
    Ok(())
}

async fn kick_close(socket: Socket, _event: Event) {
    socket.disconnect_and_close();
}

async fn whoami(socket: Socket, mut event: Event) -> Outcome {
    let info = json!({
        "id": socket.id().as_str(),
        "ns": socket.ns(),
        "rooms": room_names(&socket),
        "transport": socket.transport().as_str(),
    });
    event.ack(&info)?;
    Ok(())
}

async fn handshake(socket: Socket, mut event: Event) -> Outcome {
    event.ack(&socket.handshake_json())?;
    Ok(())
}

async fn announce_departure(socket: Socket, mut event: Event) -> Outcome {
    socket.on_disconnecting(|socket: Socket, reason: DisconnectReason| async move {
        let rooms = room_names(&socket);
        let notice =
            json!({ "id": socket.id().as_str(), "rooms": rooms, "reason": reason.to_string() });
        for room in &rooms {
            socket.to(room.as_str()).emit("departing", &notice)?;
        }
        Ok::<(), EmitError>(())
    });
    event.ack(&true)?;
    Ok(())
}

async fn fail(_socket: Socket, _event: Event) -> Outcome {
    Err("this handler fails on purpose".into())
}

async fn panic(_socket: Socket, _event: Event) {
    panic!("this handler panics on purpose");
}

/// What `seq` events a socket received.
#[derive(Clone, Default)]
struct Received {
    count: u64,
    in_order: bool,
    polling: u64,
    websocket: u64,
}

async fn seq(socket: Socket, event: Event) -> Outcome {
    let index: u64 = event.arg(0)?;
    let transport = socket.transport();
    if socket.data::<Received>().is_none() {
        socket.insert_data(Received {
            in_order: true,
            ..Received::default()
        });
    }
    socket.with_data(|received: &mut Received| {
        received.in_order &= index == received.count;
        received.count += 1;
        match transport {
            Transport::Polling => received.polling += 1,
            Transport::WebSocket => received.websocket += 1,
            _ => {}
        }
    });
    Ok(())
}

async fn seq_end(socket: Socket, mut event: Event) -> Outcome {
    let received = socket.data::<Received>().unwrap_or_default();
    event.ack(&json!({
        "received": received.count,
        "inOrder": received.in_order,
        "polling": received.polling,
        "websocket": received.websocket,
    }))?;
    Ok(())
}

/// On connection to `/stream`: emits `seq(n, transport)` every millisecond from 0,
/// at least `min` times (query `min`, default 1000) and, with query
/// `until=upgrade`, until one went out over WebSocket; then `seq-done(count)`.
pub async fn stream(socket: Socket) -> Outcome {
    let min: u64 = socket
        .query("min")
        .and_then(|min| min.parse().ok())
        .unwrap_or(1000);
    let until_upgrade = socket.query("until").as_deref() == Some("upgrade");
    let mut sent = 0;
    let mut over_websocket = false;
    while sent < min || (until_upgrade && !over_websocket && sent < 100_000) {
        let transport = socket.transport();
        over_websocket |= transport == Transport::WebSocket;
        socket.emit("seq", &(sent, transport.as_str()))?;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    socket.emit("seq-done", &sent)?;
    Ok(())
}
