//! The Socket.IO server the JavaScript tests (`tests/js/test/socketio-*.test.mjs`)
//! drive with the official `socket.io-client`.
//!
//! Namespaces:
//! - `/` (refuses a client whose auth has `reject`, with that message) and `/custom`:
//!   `welcome` on connection and the events of [`handlers`];
//! - `/admin`: only for auth `{"token":"secret"}`, else `unauthorized` with data
//!   `{"code":4001}`;
//! - `/room-{id}` (any id; refuses auth `banned`), `/board-<digits>` (a regular
//!   expression) and `/dyn-*` (only with auth `{"key":"open"}`): dynamic
//!   namespaces with `welcome` (with the captured `params`) and the same events;
//! - `/guarded`: event middlewares, error handlers, `once` and `off` (see
//!   [`guarded`]);
//! - `/stream`: streams `seq` events (see [`handlers::stream`]);
//! - `/observer`: receives `disconnected {id, ns, reason}` whenever a socket of
//!   another namespace leaves; the same goes to stdout as `disconnected <ns> <id>
//!   <reason>`, so a test can read the reasons after a shutdown.
//!
//! `PING_INTERVAL_MS` and `PING_TIMEOUT_MS` set the heartbeat (default 25 s and
//! 20 s); `RECOVERY_MS` turns connection state recovery on, keeping disconnected
//! sockets that long. `HTTP_COMPRESSION_THRESHOLD` sets the size from which
//! polling replies are compressed (default 1,024 bytes) and `HTTP_COMPRESSION=off`
//! turns that compression off. `PARSER=msgpack` makes the server speak
//! socket.io-msgpack-parser's MessagePack; `ALLOW_EIO3=1` lets socket.io-client
//! 2.x (Engine.IO v3) connect. `PER_MESSAGE_DEFLATE=1` turns WebSocket
//! permessage-deflate on, with `PER_MESSAGE_DEFLATE_THRESHOLD` (default 1,024
//! bytes). `ADMIN_UI=1` instruments it for the Socket.IO Admin UI (set
//! `ADMIN_UI_NAMESPACE`: `/admin` is taken; see `tether_examples::admin`). With
//! `TLS_CERT` and `TLS_KEY` (PEM
//! files) it serves HTTPS and WSS and announces `listening on https://ADDR`. On
//! `SIGTERM` or Ctrl-C the server shuts down gracefully.
//!
//! ```text
//! PORT=3000 cargo run --example sio_fixture
//! ```

mod guarded;
mod handlers;

use std::io::Write as _;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tether::engine::{Cors, HttpCompression, PerMessageDeflate};
use tether::server::{
    ConnectError, DisconnectReason, Namespace, ParentNamespace, RecoveryConfig, Server,
    ServerConfig, Socket,
};

/// The server, for handlers that emit to a whole namespace.
static IO: OnceLock<Server> = OnceLock::new();

fn millis(variable: &str, default: u64) -> Duration {
    let millis = tether_examples::env_parse(variable).unwrap_or(default);
    Duration::from_millis(millis)
}

/// Polling reply compression as `HTTP_COMPRESSION` and `HTTP_COMPRESSION_THRESHOLD` ask.
fn http_compression() -> Option<HttpCompression> {
    if std::env::var("HTTP_COMPRESSION").is_ok_and(|value| value == "off") {
        return None;
    }
    let threshold = tether_examples::env_parse("HTTP_COMPRESSION_THRESHOLD").unwrap_or(1024);
    Some(HttpCompression::default().with_threshold(threshold))
}

/// Sends `welcome` with what the socket knows about itself.
async fn welcome(socket: Socket) -> Result<(), tether::server::EmitError> {
    let mut info = json!({
        "id": socket.id().as_str(),
        "ns": socket.ns(),
        "auth": socket.auth_value(),
        "tag": socket.query("tag"),
    });
    let params: serde_json::Map<String, Value> = socket
        .namespace()
        .params()
        .map(|(name, value)| (name.to_owned(), Value::from(value)))
        .collect();
    if !params.is_empty() {
        info["params"] = Value::Object(params);
    }
    socket.emit("welcome", &info)
}

/// Tells the observers, and stdout, that a socket left.
async fn report_disconnect(socket: Socket, reason: DisconnectReason) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "disconnected {} {} {reason}",
        socket.ns(),
        socket.id()
    );
    let _ = stdout.flush();
    if let Some(io) = IO.get() {
        let report =
            json!({ "id": socket.id().as_str(), "ns": socket.ns(), "reason": reason.as_str() });
        let _ = io.of("/observer").emit("disconnected", &report);
    }
}

fn static_namespace(io: &Server, name: &str) -> Namespace {
    let ns = io.of(name);
    ns.on_connection(welcome);
    ns.on_disconnect(report_disconnect);
    handlers::install(&ns);
    ns
}

fn dynamic_namespace(parent: &ParentNamespace) {
    parent.on_connection(welcome);
    parent.on_disconnect(report_disconnect);
    handlers::install(parent);
}

fn per_message_deflate() -> Option<PerMessageDeflate> {
    if std::env::var("PER_MESSAGE_DEFLATE").is_ok_and(|value| value == "1") {
        let threshold = tether_examples::env_parse("PER_MESSAGE_DEFLATE_THRESHOLD").unwrap_or(1024);
        Some(PerMessageDeflate::default().with_threshold(threshold))
    } else {
        None
    }
}

fn fixture() -> Server {
    let config = ServerConfig::default()
        .with_heartbeat(
            millis("PING_INTERVAL_MS", 25_000),
            millis("PING_TIMEOUT_MS", 20_000),
        )
        .with_cors(Cors::any())
        .with_http_compression(http_compression())
        .with_parser(tether_examples::parser_from_env())
        .with_allow_eio3(tether_examples::allow_eio3_from_env())
        .with_per_message_deflate(per_message_deflate());
    let config = match std::env::var("RECOVERY_MS") {
        Ok(_) => config.with_connection_state_recovery(
            RecoveryConfig::default()
                .with_max_disconnection_duration(millis("RECOVERY_MS", 120_000)),
        ),
        Err(_) => config,
    };
    let io = Server::new(config);

    let main = static_namespace(&io, "/");
    main.use_middleware(|socket: Socket| async move {
        match socket.auth_value()["reject"].as_str() {
            Some(message) => {
                Err(ConnectError::new(message).with_data(json!({ "reason": "asked" })))
            }
            None => Ok(()),
        }
    });
    static_namespace(&io, "/custom");
    let admin = static_namespace(&io, "/admin");
    admin.use_middleware(|socket: Socket| async move {
        if socket.auth_value()["token"] == "secret" {
            Ok(())
        } else {
            Err(ConnectError::new("unauthorized").with_data(json!({ "code": 4001 })))
        }
    });
    io.of("/observer");
    guarded::install(&io);
    let stream = io.of("/stream");
    stream.on_connection(handlers::stream);
    stream.on_disconnect(report_disconnect);
    handlers::install(&stream);

    let rooms = io.of_pattern("/room-{id}").expect("a valid pattern");
    rooms.use_middleware(|socket: Socket| async move {
        if socket.auth_value()["banned"] == true {
            Err(ConnectError::new("banned").with_data(json!({ "ns": socket.ns() })))
        } else {
            Ok(())
        }
    });
    dynamic_namespace(&rooms);
    let boards = io.of_regex(regex::Regex::new(r"^/board-(?P<board>\d+)$").expect("a valid regex"));
    dynamic_namespace(&boards);
    let dynamic = io.of_dynamic(|name: &str, auth: &Value| {
        let accept = name.starts_with("/dyn-") && auth["key"] == "open";
        async move { accept }
    });
    dynamic_namespace(&dynamic);
    io
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    let io = fixture();
    tether_examples::admin::admin_ui_from_env(&io)?;
    let _ = IO.set(io.clone());
    let addr = tether_examples::listen_addr();
    let server = match (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) {
        (Ok(cert), Ok(key)) => {
            let tls = tether::http::tls_config_from_pem(cert, key)?;
            let server = tether::http::bind_tls(io.clone(), addr, tls).await?;
            println!("listening on https://{}", server.local_addr());
            server
        }
        _ => {
            let server = tether::bind(io.clone(), addr).await?;
            tether_examples::announce(server.local_addr());
            server
        }
    };
    tether_examples::shutdown_signal().await;
    io.close(Duration::from_secs(3)).await;
    server.shutdown(Duration::from_secs(2)).await;
    Ok(())
}
