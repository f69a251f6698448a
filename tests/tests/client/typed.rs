//! The typed layer on the Rust client: the emitter trait `#[tether::events]`
//! generates works on `client.typed::<C>()` (events with and without
//! acknowledgement, fallible acknowledgements, binary), and `on_contract` hands the
//! server's events over decoded as the contract's event enum.

use std::fmt::Debug;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tether::client::{AckSender, Client, Event, TypedClient};
use tether::contract::{AckResult, ContractEvent, InvalidArguments, TypedSocket};
use tether::server::{Server, Socket};
use tether_tests::{Probe, SioServer, probe, sio_config};

use crate::support::reporting_server;

/// Events the client sends.
#[tether::events(rename_all = "camelCase")]
pub trait RoomClient {
    /// Enters a room; acknowledged with the names already there.
    fn join_room(room: String) -> Vec<String>;
    /// Says something in a room; refused when empty.
    #[event(name = "room:say")]
    fn say(room: String, text: String) -> Result<u64, String>;
    /// Uploads bytes; acknowledged with their length.
    fn upload(name: String, data: Bytes) -> usize;
    /// Fire and forget.
    fn wave(times: u32);
}

/// Events the server sends.
#[tether::events]
pub trait RoomServer {
    /// Someone said something.
    fn message(room: String, text: String);
    /// Who is in a room.
    fn presence(room: String, users: Vec<String>);
}

struct Rooms;

impl RoomClientHandler for Rooms {
    type Emits = RoomServer;

    async fn join_room(&self, socket: TypedSocket<RoomServer>, room: String) -> Vec<String> {
        socket.join(room.as_str());
        let _ = socket.presence(&room, vec!["ada".to_owned()]);
        vec!["ada".to_owned(), "bob".to_owned()]
    }

    async fn say(
        &self,
        socket: TypedSocket<RoomServer>,
        room: String,
        text: String,
    ) -> Result<u64, String> {
        if text.is_empty() {
            return Err("empty".to_owned());
        }
        socket
            .message(&room, &text)
            .map_err(|error| error.to_string())?;
        Ok(text.len() as u64)
    }

    async fn upload(&self, _socket: TypedSocket<RoomServer>, _name: String, data: Bytes) -> usize {
        data.len()
    }

    async fn wave(&self, socket: TypedSocket<RoomServer>, times: u32) {
        let _ = socket.message("waves", times.to_string());
    }
}

fn room_server() -> Server {
    let io = Server::new(sio_config());
    io.main().bind::<RoomClient, _>(Rooms);
    io
}

#[tokio::test]
async fn the_generated_emitter_works_on_the_client() {
    let server = SioServer::start(room_server()).await;
    let (report, mut seen) = probe();
    let client = Client::builder(server.url())
        .on_contract::<RoomServer, _, _>(
            move |_client: Client, event: RoomServerEvent, _ack: Option<AckSender>| {
                let report = report.clone();
                async move {
                    report.send(match event {
                        RoomServerEvent::Message { room, text } => format!("message {room} {text}"),
                        RoomServerEvent::Presence { room, users } => {
                            format!("presence {room} {}", users.join(","))
                        }
                    });
                }
            },
        )
        .connect()
        .await
        .expect("connected");
    let rooms: TypedClient<RoomClient> = client.typed();

    let present = rooms.join_room("lobby").await.expect("acknowledged");
    assert_eq!(present, ["ada", "bob"]);
    assert_eq!(seen.next().await, "presence lobby ada");

    let said = rooms.say("lobby", "hello").await.expect("acknowledged");
    assert_eq!(said, AckResult::Ok(5));
    assert_eq!(seen.next().await, "message lobby hello");
    let refused = rooms.say("lobby", "").await.expect("acknowledged");
    assert_eq!(refused.into_result(), Err("empty".to_owned()));

    let length = rooms
        .upload("blob", Bytes::from_static(&[1, 2, 3]))
        .await
        .expect("acknowledged");
    assert_eq!(length, 3);

    rooms.wave(3u32).expect("emitted");
    assert_eq!(seen.next().await, "message waves 3");
    client.disconnect();
    server.stop().await;
}

/// A server that emits `event` with `args` to each socket that joins, and
/// reports the acknowledgement it gets, decoded as `A`, or why there is none.
async fn asking_server<A, T>(event: &'static str, args: T) -> (SioServer, Probe<Result<A, String>>)
where
    A: DeserializeOwned + Debug + Send + 'static,
    T: Serialize + Send + Sync + 'static,
{
    let args = Arc::new(args);
    reporting_server(|io, report| {
        io.main().on_connection(move |socket: Socket| {
            let (report, args) = (report.clone(), args.clone());
            async move {
                let answer = socket.emit_with_ack::<A, _>(event, &*args).await;
                report.send(answer.map_err(|error| error.to_string()));
            }
        });
    })
    .await
}

#[tokio::test]
async fn server_events_that_do_not_decode_are_answered_with_invalid_arguments() {
    let (server, mut answers) =
        asking_server::<InvalidArguments, _>("presence", ("lobby", 42)).await;
    let (calls, mut handled) = probe::<String>();
    let _client = Client::builder(server.url())
        .on_contract::<RoomServer, _, _>(
            move |_client: Client, event: RoomServerEvent, _ack: Option<AckSender>| {
                let calls = calls.clone();
                async move { calls.send(event.name().to_owned()) }
            },
        )
        .connect()
        .await
        .expect("connected");
    let answer = answers.next().await.expect("answered");
    assert_eq!(answer.error, InvalidArguments::CODE);
    assert_eq!(answer.event, "presence");
    assert!(answer.message.contains("users"), "{}", answer.message);
    handled.expect_silence().await;
    server.stop().await;
}

#[tokio::test]
async fn a_contract_handler_can_acknowledge_beside_other_catch_alls() {
    let (server, mut answers) =
        asking_server::<serde_json::Value, _>("message", ("lobby", "ping")).await;
    let (seen, mut catch_all) = probe();
    let _client = Client::builder(server.url())
        .on_contract::<RoomServer, _, _>(
            |_client: Client, event: RoomServerEvent, ack: Option<AckSender>| async move {
                if let (RoomServerEvent::Message { text, .. }, Some(ack)) = (event, ack) {
                    ack.send(&json!({ "echo": text }))?;
                }
                Ok::<(), tether::client::EmitError>(())
            },
        )
        .on_any(move |_client: Client, event: Event| {
            let seen = seen.clone();
            async move { seen.send(event.wants_ack()) }
        })
        .connect()
        .await
        .expect("connected");
    assert_eq!(answers.next().await, Ok(json!({ "echo": "ping" })));
    assert!(catch_all.next().await, "every handler may answer");
    server.stop().await;
}

/// Events the server sends that the client answers.
#[tether::events]
pub trait QuizServer {
    /// A question; the client answers with a number.
    fn ask(question: String) -> u32;
    /// A division; refused for zero.
    fn divide(n: i64, by: i64) -> Result<i64, String>;
    /// News without an answer.
    fn news(text: String);
}

/// The client's side of `QuizServer`.
struct Quizzed {
    news: tether_tests::Report<String>,
}

impl QuizServerClientHandler for Quizzed {
    type Emits = RoomClient;

    async fn ask(&self, _client: TypedClient<RoomClient>, question: String) -> u32 {
        question.len() as u32
    }

    async fn divide(
        &self,
        _client: TypedClient<RoomClient>,
        n: i64,
        by: i64,
    ) -> Result<i64, String> {
        if by == 0 {
            return Err("division by zero".to_owned());
        }
        Ok(n / by)
    }

    async fn news(&self, client: TypedClient<RoomClient>, text: String) {
        self.news.send(text.clone());
        let _ = client.wave(text.len() as u32);
    }
}

#[tokio::test]
async fn a_client_handler_answers_with_the_types_the_contract_declares() {
    let (report, mut answers) = probe();
    let server = SioServer::with(|io| {
        io.main().bind::<RoomClient, _>(Rooms);
        io.main().on_connection(move |socket: Socket| {
            let report = report.clone();
            async move {
                let asked: u32 = socket
                    .emit_with_ack("ask", &("six times seven",))
                    .await
                    .unwrap();
                let divided: AckResult<i64, String> =
                    socket.emit_with_ack("divide", &(42, 6)).await.unwrap();
                let refused: AckResult<i64, String> =
                    socket.emit_with_ack("divide", &(1, 0)).await.unwrap();
                report.send(format!("{asked} {divided:?} {refused:?}"));
                let _ = socket.emit("news", &("hello",));
            }
        });
    })
    .await;
    let (news, mut heard) = probe();
    let (report, mut waves) = probe();
    let client = Client::builder(server.url())
        .handle::<QuizServer, _>(Quizzed { news })
        .on_contract::<RoomServer, _, _>(
            move |_client: Client, event: RoomServerEvent, _ack: Option<AckSender>| {
                let report = report.clone();
                async move {
                    if let RoomServerEvent::Message { room, text } = event {
                        report.send(format!("{room} {text}"));
                    }
                }
            },
        )
        .connect()
        .await
        .expect("connected");
    assert_eq!(answers.next().await, r#"15 Ok(7) Err("division by zero")"#);
    assert_eq!(heard.next().await, "hello");
    // The handler's typed client emitted `wave(5)`, which the server echoes.
    assert_eq!(waves.next().await, "waves 5");
    client.disconnect();
    server.stop().await;
}
