//! Shared helpers and contracts of the tether examples.

/// Completes a newtype over `String` whose `new` validates the text: `as_str`,
/// `Display`, and a `Deserialize` that refuses what `new` refuses.
macro_rules! validated_text {
    ($name:ident) => {
        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                $name::new(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub mod chat;
pub mod game;

/// The command that regenerates the contract files checked in under
/// `examples/generated` (run from the repository root).
pub const EXPORT_COMMAND: &str =
    "cargo run -p tether-examples --example export_contracts -- examples/generated";

/// Every example's contract, by the base name of its generated files
/// (`<name>.schema.json`, `<name>.ts`, `<name>.asyncapi.json`). An example with a
/// contract adds itself here.
pub fn contracts() -> Vec<(&'static str, tether_codegen::Document)> {
    vec![
        (
            "chat",
            tether_codegen::Document::new("tether chat example", "1.0.0")
                .description("The chat example's wire contract (examples/chat).")
                .namespace(chat::namespace()),
        ),
        (
            "game",
            tether_codegen::Document::new("tether game example", "1.0.0")
                .description("The game example's wire contract (examples/game).")
                .namespace(game::namespace()),
        ),
    ]
}

use std::net::SocketAddr;

pub mod admin;
pub mod cluster;
pub mod conformance;
pub mod web;

/// The variable `name` of the environment, when it is set and not empty.
pub fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The variable `name` of the environment parsed as a `T`; `None` when it is
/// unset or does not parse.
pub fn env_parse<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

/// Adds the two handlers the bench and metrics servers share to `namespace`:
/// `echo(...args)`, acknowledged with the same arguments, and `join(room)`,
/// which joins `room` and is acknowledged with `true`.
pub fn on_echo_and_join(namespace: &tether::server::Namespace) {
    use tether::server::{Event, Socket};
    namespace.on("echo", |_socket: Socket, mut event: Event| async move {
        let args = event.args().clone();
        event.ack(&args)
    });
    namespace.on("join", |socket: Socket, mut event: Event| async move {
        let room: String = event.arg(0)?;
        socket.join(room);
        event.ack(&true)?;
        HandlerResult::Ok(())
    });
}

/// What the examples' event handlers return: an error is logged by the server.
pub type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Handles `event` on `namespace` with `handler`, given a handle on the server
/// `io` (to emit to all its sockets or to a room) and the event; the sender is
/// not needed.
pub fn on_with_server<F, Fut>(
    namespace: &tether::server::Namespace,
    io: &tether::server::Server,
    event: &str,
    handler: F,
) where
    F: Fn(tether::server::Server, tether::server::Event) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = HandlerResult> + Send + 'static,
{
    let io = io.clone();
    namespace.on(
        event,
        move |_socket: tether::server::Socket, event: tether::server::Event| {
            handler(io.clone(), event)
        },
    );
}

/// The address to listen on: `127.0.0.1:$PORT`, port 3000 when `PORT` is unset.
///
/// `PORT=0` picks a free port; the examples print the bound address on stdout as
/// `listening on http://ADDR`, which the test harness reads.
pub fn listen_addr() -> SocketAddr {
    let port = env_parse("PORT").unwrap_or(3000);
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    format!("{host}:{port}")
        .parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], port)))
}

/// The packet form `PARSER` names: `msgpack` for socket.io-msgpack-parser's,
/// unset, empty or `default` for socket.io-parser's.
///
/// # Panics
///
/// On any other value, naming the accepted ones: a server must not start with a
/// form its clients do not expect.
pub fn parser_from_env() -> tether::server::Parser {
    match std::env::var("PARSER").unwrap_or_default().as_str() {
        "" | "default" => tether::server::Parser::Default,
        "msgpack" => tether::server::Parser::MsgPack,
        other => panic!("PARSER={other} is not `default` or `msgpack`"),
    }
}

/// Whether `ALLOW_EIO3=1` asks the server to accept socket.io-client 2.x
/// (Engine.IO v3), as Node's `allowEIO3`.
pub fn allow_eio3_from_env() -> bool {
    std::env::var("ALLOW_EIO3").is_ok_and(|value| value == "1" || value == "true")
}

/// Installs a `tracing` subscriber configured by `RUST_LOG` (default `warn`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Prints the line the test harness waits for.
pub fn announce(addr: SocketAddr) {
    println!("listening on http://{addr}");
}

/// Resolves on Ctrl-C or, on Unix, `SIGTERM`: the examples then close their
/// sessions cleanly (clients see a normal close) before exiting.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
