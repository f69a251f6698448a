//! Every feature of a contract, used from both sides.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tether::contract::{AckResult, AckShape, Contract, ContractEvent, TypedSocket};
use tether::server::{AckError, ConnectError, DisconnectReason, EmitError, Server, ServerConfig};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    pub from: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Upload {
    pub name: String,
    pub data: tether::Bytes,
}

/// Events a client sends.
#[tether::events(rename_all = "kebab-case")]
pub trait Client {
    /// Enters a room; acknowledged with its history.
    fn join_room(room: String) -> Vec<Message>;
    /// Says something; refused when empty.
    #[event(name = "chat:say")]
    fn say(room: String, text: String, reply_to: Option<u64>) -> Result<u64, String>;
    /// Stores a file.
    fn upload(file: Upload) -> Result<(), String>;
    #[deprecated(since = "0.2.0", note = "use `join-room`")]
    fn enter(room: String);
    fn ping();
}

/// Events the server sends.
#[tether::events]
pub trait Hub {
    fn message(msg: Message);
    fn presence(room: String, users: Vec<String>);
    /// Asks the client whether it is still there.
    fn are_you_there() -> bool;
    fn rate(limit: u32) -> Result<u32, String>;
}

struct Rooms;

impl ClientHandler for Rooms {
    type Emits = Hub;

    async fn on_connect(&self, socket: TypedSocket<Hub>) -> Result<(), ConnectError> {
        match socket.auth::<serde_json::Value>() {
            Ok(_) => Ok(()),
            Err(_) => Err(ConnectError::new("bad auth")),
        }
    }

    async fn on_disconnect(&self, socket: TypedSocket<Hub>, _reason: DisconnectReason) {
        let _ = socket.broadcast().presence("lobby", Vec::new());
    }

    async fn join_room(&self, socket: TypedSocket<Hub>, room: String) -> Vec<Message> {
        socket.join(&room);
        let users = vec!["ada".to_string()];
        let _ = socket.namespace().to(&room).presence(&room, &users);
        let _ = socket.to(&room).presence(room.as_str(), users.as_slice());
        Vec::new()
    }

    async fn say(
        &self,
        socket: TypedSocket<Hub>,
        room: String,
        text: String,
        reply_to: Option<u64>,
    ) -> Result<u64, String> {
        if text.is_empty() {
            return Err("empty".into());
        }
        let msg = Message { from: socket.id().to_string(), text };
        socket.to(room).except("muted").message(&msg).map_err(|e| e.to_string())?;
        socket.message(msg).map_err(|e: EmitError| e.to_string())?;
        let there: Result<bool, AckError> = socket.timeout(Duration::from_secs(1)).are_you_there().await;
        let _ = there;
        let limit: Result<AckResult<u32, String>, AckError> = socket.rate(10).await;
        let _ = limit.map(AckResult::into_result);
        Ok(reply_to.unwrap_or(0))
    }

    async fn upload(&self, _socket: TypedSocket<Hub>, file: Upload) -> Result<(), String> {
        if file.data.is_empty() { Err(file.name) } else { Ok(()) }
    }

    #[allow(deprecated)]
    async fn enter(&self, socket: TypedSocket<Hub>, room: String) {
        socket.join(room);
    }

    async fn ping(&self, socket: TypedSocket<Hub>) {
        let answers = socket.broadcast().volatile().are_you_there();
        let _ = answers.remaining();
    }
}

#[tokio::main]
async fn main() {
    let io = Server::new(ServerConfig::default());
    let hub = io.of("/rooms").bind::<Client, _>(Rooms);
    hub.to("lobby").presence("lobby", vec![]).unwrap();
    let _stream = hub.are_you_there();

    assert_eq!(Client::NAME, "Client");
    assert_eq!(Client::docs(), "Events a client sends.");
    let names: Vec<&str> = Client::events().iter().map(|event| event.name).collect();
    assert_eq!(names, ["join-room", "chat:say", "upload", "enter", "ping"]);
    let say = Client::event("chat:say").unwrap();
    assert_eq!(say.rust_name, "say");
    assert_eq!(say.docs, "Says something; refused when empty.");
    assert_eq!(say.args.iter().map(|arg| arg.name).collect::<Vec<_>>(), ["room", "text", "reply_to"]);
    assert!(say.args[2].optional && !say.args[0].optional);
    assert!(matches!(say.ack, AckShape::Result { .. }));
    let enter = Client::event("enter").unwrap();
    let deprecation = enter.deprecated.unwrap();
    assert_eq!(deprecation.since, Some("0.2.0"));
    assert_eq!(deprecation.note, Some("use `join-room`"));
    assert!(matches!(Client::event("ping").unwrap().ack, AckShape::None));

    let mut generator = schemars::SchemaGenerator::default();
    let schema = (say.args[0].schema)(&mut generator);
    assert_eq!(schema.get("type").unwrap(), "string");
    let ack = say.ack_schema(&mut generator).unwrap();
    assert!(ack.get("oneOf").is_some());

    let args = tether::protocol::Args::from_json_array(r#"["lobby","hi"]"#.into(), Vec::new()).unwrap();
    match ClientEvent::decode("chat:say", &args).unwrap() {
        ClientEvent::Say { room, text, reply_to } => {
            assert_eq!((room.as_str(), text.as_str(), reply_to), ("lobby", "hi", None));
        }
        _ => unreachable!(),
    }
    assert!(ClientEvent::decode("nope", &args).is_err());
    let bad = tether::protocol::Args::from_json_array("[1]".into(), Vec::new()).unwrap();
    let error = ClientEvent::decode("join-room", &bad).err().unwrap();
    assert!(error.to_string().contains("argument `room` (0) of `join-room`"), "{error}");
}
