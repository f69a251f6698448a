//! A tether node of a Redis cluster that lets its clients drive every cluster
//! operation, the twin of `tests/js/support/node-redis-server.mjs` (the Node.js
//! socket.io node), for the mixed-cluster tests in `tests/js`.
//!
//! Environment: `REDIS_URL` (default `redis://127.0.0.1:6379`), `KEY` (channel
//! prefix, default `socket.io`), `SHARDED=true` for sharded pub/sub with
//! `SUBSCRIPTION_MODE` `static` (default), `dynamic` or `dynamic-private`,
//! `REQUESTS_TIMEOUT_MS` (default 5000), and `NAME`, which this node's answers
//! carry. It prints `listening on http://ADDR` once its adapter listens to the
//! other nodes.
//!
//! Client events (on `/`), each acknowledged:
//! - `join(room)`: the socket joins `room`;
//! - `broadcast({event, to, except, args})`: `io.to(to).except(except)
//!   .emit(event, args[0])`;
//! - `cluster({op, to, except, rooms, close})` on `io.to(to).except(except)`:
//!   `fetch` (answered with each socket's `{id, rooms, data}`), `join`, `leave`,
//!   `disconnect`, `allRooms`; a failure is answered `{error}`;
//! - `ask servers(x)`: the other nodes' answers to the server-side event `who(x)`;
//! - `ask everyone({event, to})`: `event` to `to` (everyone when unset) with
//!   acknowledgements, answered with the acknowledgements.
//!
//! Every socket's cluster data is `{from: "tether"}`; the server-side event
//! `who(x)` is answered `{from: "tether", name, x}`.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 NAME=a PORT=3001 cargo run --example cluster_node
//! ```

use std::error::Error;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tether::adapter::ClusterError;
use tether::adapter::redis::{RedisAdapter, RedisConfig, SubscriptionMode};
use tether::protocol::Args;
use tether::server::{BroadcastOperator, Event, Server, ServerConfig, Socket};

type Outcome = Result<(), Box<dyn Error + Send + Sync>>;

/// How long the acknowledgements of a broadcast are awaited.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

fn config() -> RedisConfig {
    let url = tether_examples::env_nonempty("REDIS_URL")
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    let timeout = tether_examples::env_nonempty("REQUESTS_TIMEOUT_MS")
        .and_then(|millis| millis.parse().ok())
        .unwrap_or(5000);
    let config = RedisConfig::new(url)
        .with_key(tether_examples::env_nonempty("KEY").unwrap_or_else(|| "socket.io".to_owned()))
        .with_requests_timeout(Duration::from_millis(timeout));
    if tether_examples::env_nonempty("SHARDED").as_deref() != Some("true") {
        return config;
    }
    let mode = match tether_examples::env_nonempty("SUBSCRIPTION_MODE").as_deref() {
        Some("dynamic") => SubscriptionMode::Dynamic,
        Some("dynamic-private") => SubscriptionMode::DynamicPrivate,
        _ => SubscriptionMode::Static,
    };
    config.with_subscription_mode(mode)
}

/// Which sockets an operation selects.
#[derive(Deserialize, Default)]
struct Target {
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    except: Option<String>,
}

impl Target {
    fn operator(&self, io: &Server) -> BroadcastOperator {
        let mut operator = io.main().broadcast();
        if let Some(to) = &self.to {
            operator = operator.to(to.as_str());
        }
        if let Some(except) = &self.except {
            operator = operator.except(except.as_str());
        }
        operator
    }
}

#[derive(Deserialize)]
struct Broadcast {
    event: String,
    #[serde(flatten)]
    target: Target,
    #[serde(default)]
    args: Vec<Value>,
}

#[derive(Deserialize)]
struct Cluster {
    op: String,
    #[serde(flatten)]
    target: Target,
    #[serde(default)]
    rooms: Vec<String>,
    #[serde(default)]
    close: bool,
}

async fn run_cluster(io: &Server, cluster: Cluster) -> Result<Value, ClusterError> {
    let operator = cluster.target.operator(io);
    Ok(match cluster.op.as_str() {
        "fetch" => {
            let sockets = operator.fetch_sockets().await?;
            let sockets: Vec<Value> = sockets
                .iter()
                .map(|socket| json!({ "id": socket.id(), "rooms": socket.rooms(), "data": socket.data() }))
                .collect();
            Value::from(sockets)
        }
        "join" => {
            operator.sockets_join(cluster.rooms).await?;
            Value::Null
        }
        "leave" => {
            operator.sockets_leave(cluster.rooms).await?;
            Value::Null
        }
        "disconnect" => {
            operator.disconnect_sockets(cluster.close).await?;
            Value::Null
        }
        "allRooms" => {
            let rooms = io.main().all_rooms().await?;
            Value::from(rooms.iter().map(ToString::to_string).collect::<Vec<_>>())
        }
        op => json!({ "error": format!("unknown op {op}") }),
    })
}

/// Handles client event `event` with `handler`, given the server.
fn handle<F, Fut>(socket: &Socket, io: &Server, event: &str, handler: F)
where
    F: Fn(Server, Event) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let io = io.clone();
    socket.on(event, move |_socket: Socket, event: Event| {
        handler.clone()(io.clone(), event)
    });
}

async fn broadcast(io: Server, mut event: Event) -> Outcome {
    let spec: Broadcast = event.arg(0)?;
    let operator = spec.target.operator(&io);
    match spec.args.first() {
        Some(arg) => operator.emit(&spec.event, arg)?,
        None => operator.emit(&spec.event, &())?,
    }
    event.ack(&())?;
    Ok(())
}

async fn cluster(io: Server, mut event: Event) -> Outcome {
    let cluster: Cluster = event.arg(0)?;
    let answer = run_cluster(&io, cluster)
        .await
        .unwrap_or_else(|error| json!({ "error": error.to_string() }));
    event.ack(&answer)?;
    Ok(())
}

async fn ask_servers(io: Server, mut event: Event) -> Outcome {
    let x: Value = event.arg(0)?;
    let answer = match io
        .main()
        .server_side_emit_with_ack::<Value, _>("who", &x)
        .await
    {
        Ok(answers) => Value::from(answers),
        Err(error) => json!({ "error": error.to_string() }),
    };
    event.ack(&answer)?;
    Ok(())
}

async fn ask_everyone(io: Server, mut event: Event) -> Outcome {
    let spec: Broadcast = event.arg(0)?;
    let acks = spec
        .target
        .operator(&io)
        .timeout(ACK_TIMEOUT)
        .emit_with_ack::<Value, _>(&spec.event, &())
        .collect_all()
        .await;
    let answer = match acks
        .into_iter()
        .map(|(_, ack)| ack)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(answers) => Value::from(answers),
        Err(error) => json!({ "error": error.to_string() }),
    };
    event.ack(&answer)?;
    Ok(())
}

fn handlers(io: &Server, name: String) {
    let main = io.main();
    main.on_server_event_with_ack("who", move |args: Args| {
        let name = name.clone();
        let x = args.decode::<Value>(0).unwrap_or_default();
        async move { json!({ "from": "tether", "name": name, "x": x }) }
    });
    let server = io.clone();
    main.on_connection(move |socket: Socket| {
        let io = server.clone();
        async move {
            let _ = socket.set_cluster_data(&json!({ "from": "tether" }));
            socket.on("join", |socket: Socket, mut event: Event| async move {
                let room: String = event.arg(0)?;
                socket.join(room);
                event.ack(&())?;
                Outcome::Ok(())
            });
            handle(&socket, &io, "broadcast", broadcast);
            handle(&socket, &io, "cluster", cluster);
            handle(&socket, &io, "ask servers", ask_servers);
            handle(&socket, &io, "ask everyone", ask_everyone);
        }
    });
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    let adapter = RedisAdapter::connect(config())
        .await
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::ConnectionRefused, error))?;
    let io = Server::with_adapter(ServerConfig::default(), adapter.clone());
    handlers(
        &io,
        tether_examples::env_nonempty("NAME").unwrap_or_else(|| adapter.uid().to_owned()),
    );
    let server = tether::bind(io.clone(), tether_examples::listen_addr()).await?;
    if tokio::time::timeout(Duration::from_secs(20), adapter.subscribed())
        .await
        .is_err()
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no Redis subscription within 20 s",
        ));
    }
    tether_examples::announce(server.local_addr());
    tether_examples::shutdown_signal().await;
    io.close(Duration::from_secs(3)).await;
    server.shutdown(Duration::from_secs(2)).await;
    Ok(())
}
