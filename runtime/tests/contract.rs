//! The typed layer end to end over a raw WebSocket: a bound namespace dispatches
//! decoded events to its handler, acknowledges with plain and fallible values,
//! answers undecodable arguments with `invalid_arguments`, runs the connect hook,
//! and its sockets emit the other contract.

use futures_util::SinkExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tether::contract::TypedSocket;
use tether::server::{ConnectError, Server, ServerConfig};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

mod support;

use support::{Ws, read};

/// A position.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    /// Across.
    pub x: i32,
    /// Down.
    pub y: i32,
}

/// What the client asks.
#[tether::events(rename_all = "camelCase")]
pub trait Calls {
    fn add_up(a: i64, b: Option<i64>) -> i64;
    fn divide(a: i64, b: i64) -> Result<i64, String>;
    fn shout(text: String);
}

/// What the server sends.
#[tether::events]
pub trait Replies {
    fn echo(text: String, at: Point);
}

struct Calculator;

impl CallsHandler for Calculator {
    type Emits = Replies;

    async fn on_connect(&self, socket: TypedSocket<Replies>) -> Result<(), ConnectError> {
        match socket.auth::<serde_json::Value>() {
            Ok(auth) if auth.get("token").is_some() => Ok(()),
            _ => Err(ConnectError::new("token required")),
        }
    }

    async fn add_up(&self, _socket: TypedSocket<Replies>, a: i64, b: Option<i64>) -> i64 {
        a + b.unwrap_or(0)
    }

    async fn divide(&self, _socket: TypedSocket<Replies>, a: i64, b: i64) -> Result<i64, String> {
        if b == 0 {
            Err("division by zero".into())
        } else {
            Ok(a / b)
        }
    }

    async fn shout(&self, socket: TypedSocket<Replies>, text: String) {
        let _ = socket.echo(text.to_uppercase(), Point { x: 1, y: 2 });
    }
}

async fn open(addr: std::net::SocketAddr, auth: &str) -> Ws {
    let stream = TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    assert!(read(&mut ws).await.starts_with("0{"), "Engine.IO open");
    ws.send(Message::text(format!("40{auth}"))).await.unwrap();
    ws
}

async fn call(ws: &mut Ws, packet: &str) -> String {
    ws.send(Message::text(packet.to_owned())).await.unwrap();
    read(ws).await
}

#[tokio::test]
async fn a_bound_namespace_speaks_its_contracts() {
    let io = Server::new(ServerConfig::default());
    io.main().bind::<Calls, _>(Calculator);
    let server = tether::bind(io, "127.0.0.1:0").await.unwrap();
    let addr = server.local_addr();

    let mut refused = open(addr, "{}").await;
    assert_eq!(
        read(&mut refused).await,
        r#"44{"message":"token required"}"#
    );

    let mut ws = open(addr, r#"{"token":"t"}"#).await;
    assert!(read(&mut ws).await.starts_with(r#"40{"sid":""#));

    assert_eq!(call(&mut ws, r#"421["addUp",2,3]"#).await, "431[5]");
    assert_eq!(call(&mut ws, r#"422["addUp",2]"#).await, "432[2]");
    assert_eq!(
        call(&mut ws, r#"423["divide",7,2]"#).await,
        r#"433[{"ok":true,"data":3}]"#
    );
    assert_eq!(
        call(&mut ws, r#"424["divide",7,0]"#).await,
        r#"434[{"ok":false,"error":"division by zero"}]"#
    );
    let refusal = call(&mut ws, r#"425["addUp","two"]"#).await;
    assert!(
        refusal.starts_with(r#"435[{"error":"invalid_arguments","event":"addUp","message":"argument `a` (0) of `addUp`: "#),
        "{refusal}"
    );
    assert_eq!(
        call(&mut ws, r#"42["shout","hey"]"#).await,
        r#"42["echo","HEY",{"x":1,"y":2}]"#
    );
    assert_eq!(call(&mut ws, r#"426["addUp",40,2]"#).await, "436[42]");
}
