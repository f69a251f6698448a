//! Redis Streams for the scale-out tests: tether nodes with a
//! [`RedisStreamsAdapter`] and connection state recovery on, Node.js servers with
//! `@socket.io/redis-streams-adapter` (`tests/js/support/node-redis-streams-server.mjs`),
//! both with the same handlers, on a stream of each test's own on the shared
//! Redis (`REDIS_URL`, else `redis://127.0.0.1:6379`).

use std::time::Duration;

use serde_json::{Value, json};
use tether::adapter::redis::streams::{RedisStreamsAdapter, RedisStreamsConfig};
use tether::protocol::Args;
use tether::server::{BroadcastOperator, Event, RecoveryConfig, Server, ServerConfig, Socket};

use crate::node::NodeServer;
use crate::redis::redis_url;
use crate::{PATIENCE, SioServer, sio_config};

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Options of a tether node on `stream` (also its channel prefix).
pub fn streams_config(stream: &str) -> RedisStreamsConfig {
    let redis = tether::adapter::redis::RedisConfig::new(redis_url())
        .with_reconnect(Duration::from_millis(20), Duration::from_millis(300));
    RedisStreamsConfig::with_redis(redis)
        .with_stream_name(stream)
        .with_channel_prefix(stream)
}

/// A tether server with recovery on (its longest disconnection `recovery`).
pub fn recovering_config(recovery: Duration) -> ServerConfig {
    sio_config().with_connection_state_recovery(
        RecoveryConfig::default().with_max_disconnection_duration(recovery),
    )
}

/// A tether node with the streams adapter.
pub struct StreamsNode {
    /// The server, served.
    pub server: SioServer,
    /// Its adapter.
    pub adapter: RedisStreamsAdapter,
}

impl StreamsNode {
    /// A node with the adapter `config` and server options `server`, with the
    /// handlers of [`handlers`]; returns once it reads the stream and subscribed.
    ///
    /// # Panics
    ///
    /// If Redis refuses the connection or the adapter is not ready within
    /// [`PATIENCE`].
    pub async fn start(config: RedisStreamsConfig, server: ServerConfig) -> StreamsNode {
        let adapter = crate::within(RedisStreamsAdapter::connect(config))
            .await
            .expect("connected to Redis");
        let server = SioServer::with_adapter(server, adapter.clone(), handlers).await;
        tokio::time::timeout(PATIENCE, adapter.ready())
            .await
            .expect("the streams adapter is ready");
        StreamsNode { server, adapter }
    }

    /// A node on `stream` with recovery on (2 minutes).
    pub async fn on(stream: &str) -> StreamsNode {
        StreamsNode::start(
            streams_config(stream),
            recovering_config(Duration::from_secs(120)),
        )
        .await
    }
}

/// A Node.js socket.io server with the streams adapter on `stream`, keeping
/// `max_len` entries; returns once its adapter listens. Blocking: call it from
/// `spawn_blocking`.
pub fn node_streams_server(stream: &str, max_len: usize) -> NodeServer {
    node_streams_server_setting(stream, ("MAXLEN", max_len.to_string()))
}

/// A Node.js server as [`node_streams_server`], with `count` streams.
/// Blocking: call it from `spawn_blocking`.
pub fn node_streams_server_with(stream: &str, count: usize) -> NodeServer {
    node_streams_server_setting(stream, ("STREAM_COUNT", count.to_string()))
}

/// A Node.js server with the streams adapter on `stream` and one more setting of
/// `node-redis-streams-server.mjs`.
fn node_streams_server_setting(stream: &str, setting: (&str, String)) -> NodeServer {
    NodeServer::start(
        "node-redis-streams-server.mjs",
        "@socket.io/redis-streams-adapter",
        &[
            ("REDIS_URL", redis_url()),
            ("STREAM", stream.to_owned()),
            setting,
        ],
    )
}

/// [`node_streams_server`] from an async test.
pub async fn node_streams(stream: &str, max_len: usize) -> NodeServer {
    let stream = stream.to_owned();
    tokio::task::spawn_blocking(move || node_streams_server(&stream, max_len))
        .await
        .expect("the Node.js server starts")
}

/// Registers `handler` for `event` on `io`'s main namespace, handing it the
/// server (to broadcast or to reach other nodes) in place of the socket.
fn on_with_server<Fut>(
    io: &Server,
    event: &str,
    handler: impl Fn(Server, Event) -> Fut + Send + Sync + 'static,
) where
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    let server = io.clone();
    io.main().on(event, move |_socket: Socket, event: Event| {
        handler(server.clone(), event)
    });
}

/// A broadcast on `io`'s main namespace to the room `spec.to` (else everyone),
/// except the room `spec.except` if there is one.
fn broadcast_of(io: &Server, spec: &Value) -> BroadcastOperator {
    let mut operator = io.main().broadcast();
    if let Some(to) = spec["to"].as_str() {
        operator = operator.to(to.to_owned());
    }
    if let Some(except) = spec["except"].as_str() {
        operator = operator.except(except.to_owned());
    }
    operator
}

/// The handlers of the Node.js fixture, on a tether server: `join`, `whoami`,
/// `set data`, `broadcast`, `burst`, `shout`, `tell servers`, `ask servers`,
/// `cluster` (`fetch`, `join`, `leave`, `disconnect`), and the server-side
/// events `hello` and `who`.
pub fn handlers(io: &Server) {
    let main = io.main();
    let local = io.clone();
    main.on_server_event("hello", move |args: Args| {
        let io = local.clone();
        async move {
            let values = args.to_values().unwrap_or_default();
            let _ = io.local().emit("server said", &values);
        }
    });
    main.on_server_event_with_ack("who", |args: Args| async move {
        let x: Value = args.decode(0).unwrap_or_default();
        json!({ "from": "tether", "x": x })
    });
    main.on("join", |socket: Socket, mut event: Event| async move {
        let room: String = event.arg(0)?;
        socket.join(room);
        event.ack(&())?;
        HandlerResult::Ok(())
    });
    main.on("whoami", |socket: Socket, mut event: Event| async move {
        let rooms: Vec<String> = socket.rooms().iter().map(|r| r.as_str().to_owned()).collect();
        let data = socket.cluster_data();
        let who = json!({ "id": socket.id().as_str(), "recovered": socket.recovered(), "rooms": rooms, "data": data });
        event.ack(&who)?;
        HandlerResult::Ok(())
    });
    main.on("set data", |socket: Socket, mut event: Event| async move {
        let value: Value = event.arg(0)?;
        socket.set_cluster_data(&value)?;
        event.ack(&())?;
        HandlerResult::Ok(())
    });
    on_with_server(io, "broadcast", |io, mut event| async move {
        let spec: Value = event.arg(0)?;
        let operator = broadcast_of(&io, &spec);
        let args = spec["args"].as_array().cloned().unwrap_or_default();
        operator.emit(spec["event"].as_str().unwrap_or("?"), &args)?;
        event.ack(&())?;
        HandlerResult::Ok(())
    });
    on_with_server(io, "burst", |io, mut event| async move {
        let spec: Value = event.arg(0)?;
        event.ack(&())?;
        let name = spec["event"].as_str().unwrap_or("n").to_owned();
        let count = spec["count"].as_u64().unwrap_or(0);
        let operator = broadcast_of(&io, &spec);
        for i in 0..count {
            operator.emit(&name, &i)?;
            if i % 100 == 99 {
                tokio::task::yield_now().await;
            }
        }
        HandlerResult::Ok(())
    });
    main.on("shout", |socket: Socket, event: Event| async move {
        let text: String = event.arg(0)?;
        socket.broadcast().emit("shouted", &text)?;
        HandlerResult::Ok(())
    });
    on_with_server(io, "tell servers", |io, event| async move {
        let text: String = event.arg(0)?;
        io.main().server_side_emit("from node", &text)?;
        HandlerResult::Ok(())
    });
}

/// Emits `event(data)` from `client` and returns the acknowledgement as `T`.
///
/// # Panics
///
/// When it is not acknowledged within [`PATIENCE`].
pub async fn ack<T: serde::de::DeserializeOwned + 'static>(
    client: &tether::client::Client,
    event: &str,
    data: Value,
) -> T {
    crate::within(client.emit_with_ack(event, &data))
        .await
        .expect("acknowledged")
}
