//! The Rust client against an in-process tether server: joining with auth,
//! refusals, events and acknowledgements both ways (several arguments, nested
//! binary, timeouts), catch-alls, and disconnecting from either side.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tether::client::{
    AckError, Client, ConnectError, ConnectionState, DisconnectReason, EmitError, Event, Reconnect,
    TransportMode,
};
use tether::protocol::Args;
use tether::server::{self, Event as ServerEvent, Server, Socket};
use tether_tests::{SioServer, probe, within};

use crate::support::{
    assert_gone, connection_reporter, refusal, reporter, reporting_server, server_reporter,
};

/// A payload with binary nested inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Blob {
    name: String,
    parts: Vec<Bytes>,
}

#[tokio::test]
async fn joins_with_auth_and_learns_its_socket_id() {
    let (server, mut seen) = reporting_server(|io, report| {
        io.of("/admin")
            .on_connection(connection_reporter(report, |socket| {
                (socket.id().to_string(), socket.auth_value())
            }));
    })
    .await;
    let client = Client::builder(format!("{}/admin", server.url()))
        .auth(&json!({ "token": "abc", "n": 1 }))
        .connect()
        .await
        .expect("connected");
    let (sid, auth) = seen.next().await;
    assert_eq!(auth, json!({ "token": "abc", "n": 1 }));
    assert_eq!(client.id(), Some(sid.clone()));
    assert_eq!(client.namespace(), "/admin");
    assert_eq!(
        client.state(),
        ConnectionState::Connected {
            sid,
            recovered: false
        }
    );
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn query_parameters_and_headers_reach_the_server_on_every_transport() {
    let (server, mut seen) = reporting_server(|io, report| {
        io.main()
            .on_connection(connection_reporter(report, |socket| {
                let header = socket.handshake().headers.get("x-token").cloned();
                (
                    socket.query("room"),
                    socket.query("from-url"),
                    header.and_then(|value| value.to_str().ok().map(str::to_owned)),
                )
            }));
    })
    .await;
    for mode in [
        TransportMode::WebSocket,
        TransportMode::Polling,
        TransportMode::PollingThenWebSocket,
    ] {
        let client = Client::builder(format!("{}/?from-url=yes", server.url()))
            .transport(mode)
            .query("room", "a b&c")
            .header("X-Token", "t0k3n")
            .connect()
            .await
            .unwrap_or_else(|error| panic!("{mode:?}: {error}"));
        assert_eq!(
            seen.next().await,
            (
                Some("a b&c".to_owned()),
                Some("yes".to_owned()),
                Some("t0k3n".to_owned())
            ),
            "{mode:?}"
        );
        client.disconnect();
    }
    let bad_header = Client::builder(server.url())
        .header("bad header", "x")
        .connect()
        .await;
    assert!(
        matches!(bad_header, Err(ConnectError::InvalidHeader(_))),
        "{bad_header:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_refusal_carries_the_servers_message_and_data() {
    let server = SioServer::with(|io| {
        io.use_middleware(|_socket: Socket| async move {
            Err(server::ConnectError::new("not allowed").with_data(json!({ "code": 42 })))
        });
    })
    .await;
    let refused = refusal(Client::builder(server.url()), "a middleware refusing all").await;
    assert_eq!(refused.message, "not allowed");
    assert_eq!(refused.data, Some(json!({ "code": 42 })));
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_namespace_is_refused() {
    let server = SioServer::with(|_| {}).await;
    let nowhere = Client::builder(server.url()).namespace("/nowhere");
    let refused = refusal(nowhere, "an unknown namespace").await;
    assert_eq!(refused.message, "Invalid namespace");
    server.stop().await;
}

#[tokio::test]
async fn bad_settings_and_unreachable_servers_fail_clearly() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_port = listener.local_addr().unwrap();
    drop(listener);
    let unreachable = Client::builder(format!("http://{closed_port}"))
        .connect()
        .await
        .expect_err("nobody listens");
    assert!(
        matches!(unreachable, ConnectError::Io(_)),
        "{unreachable:?}"
    );

    let scheme = Client::builder("ftp://example.com").connect().await;
    assert!(
        matches!(scheme, Err(ConnectError::UnsupportedScheme(_))),
        "{scheme:?}"
    );
    let garbage = Client::builder("http://exa mple").connect().await;
    assert!(
        matches!(garbage, Err(ConnectError::InvalidUrl { .. })),
        "{garbage:?}"
    );
    let auth = Client::builder(format!("http://{closed_port}"))
        .auth(&[1, 2])
        .connect()
        .await;
    assert!(
        matches!(auth, Err(ConnectError::InvalidAuth(_))),
        "{auth:?}"
    );
}

#[tokio::test]
async fn events_travel_both_ways_with_several_arguments_and_nested_binary() {
    let (server, mut at_server) = reporting_server(|io, report| {
        io.main()
            .on("echo", move |socket: Socket, event: ServerEvent| {
                let report = report.clone();
                async move {
                    report.send(event.args().attachments().len());
                    socket.emit("echoed", event.args())
                }
            });
    })
    .await;
    let (report, mut at_client) = probe();
    let client = Client::builder(server.url())
        .on(
            "echoed",
            reporter(report, |event| {
                (
                    event.arg::<i64>(0).unwrap(),
                    event.arg::<String>(1).unwrap(),
                    event.arg::<Bytes>(2).unwrap(),
                    event.arg::<Blob>(3).unwrap(),
                )
            }),
        )
        .connect()
        .await
        .expect("connected");
    let blob = Blob {
        name: "parts".into(),
        parts: vec![Bytes::from_static(&[1, 2]), Bytes::from_static(&[3])],
    };
    client
        .emit("echo", &(7, "seven", Bytes::from_static(&[0, 255]), &blob))
        .expect("emitted");
    assert_eq!(at_server.next().await, 3);
    let (number, text, bytes, echoed) = at_client.next().await;
    assert_eq!((number, text.as_str()), (7, "seven"));
    assert_eq!(bytes, Bytes::from_static(&[0, 255]));
    assert_eq!(echoed, blob);
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn a_catch_all_sees_every_event_and_shares_the_ack() {
    let server = SioServer::with(|io| {
        io.main().on_connection(|socket: Socket| async move {
            socket.emit("first", &(1,))?;
            let answer: String = socket.emit_with_ack("second", &()).await?;
            socket.emit("third", &(answer,))?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
    })
    .await;
    let (report, mut seen) = probe();
    let any = report.clone();
    let _client = Client::builder(server.url())
        .on_any(move |_client: Client, event: Event| {
            let any = any.clone();
            async move { any.send(format!("any {} {}", event.name(), event.wants_ack())) }
        })
        .on("second", move |_client: Client, mut event: Event| {
            let report = report.clone();
            async move {
                report.send(format!("own second {}", event.wants_ack()));
                event.ack(&"answered")
            }
        })
        .connect()
        .await
        .expect("connected");
    let mut reports = seen.take(4).await;
    reports[1..3].sort();
    assert_eq!(
        reports,
        [
            "any first false",
            "any second true",
            "own second true",
            "any third false"
        ]
    );
}

/// Has `io` acknowledge each `add(a, b)` with the sum and the bytes `sum`.
fn answer_additions(io: &Server) {
    io.main().on(
        "add",
        |_socket: Socket, mut event: ServerEvent| async move {
            let sum = event.arg::<i64>(0)? + event.arg::<i64>(1)?;
            event.ack(&(sum, Bytes::from_static(b"sum")))?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        },
    );
}

#[tokio::test]
async fn acknowledgements_travel_both_ways() {
    let (server, mut seen) = reporting_server(|io, report| {
        answer_additions(io);
        io.main()
            .on("ask me", move |socket: Socket, _event: ServerEvent| {
                let report = report.clone();
                async move {
                    let answer = socket
                        .emit_with_ack::<Args, _>("question", &("six times seven",))
                        .await
                        .map(|args| {
                            (
                                args.decode::<i64>(0).unwrap(),
                                args.decode::<Bytes>(1).unwrap(),
                            )
                        });
                    report.send(answer.map_err(|error| error.to_string()));
                }
            });
    })
    .await;
    let client = Client::builder(server.url())
        .on("question", |_client: Client, mut event: Event| async move {
            assert_eq!(event.arg::<String>(0).unwrap(), "six times seven");
            event.ack(&(42, Bytes::from_static(&[4, 2])))
        })
        .connect()
        .await
        .expect("connected");

    let sum: Args = client.emit_with_ack("add", &(40, 2)).await.expect("acked");
    assert_eq!(sum.decode::<i64>(0).unwrap(), 42);
    assert_eq!(sum.decode::<Bytes>(1).unwrap(), Bytes::from_static(b"sum"));
    let first_only: i64 = client.emit_with_ack("add", &(1, 2)).await.expect("acked");
    assert_eq!(first_only, 3);

    client.emit("ask me", &()).unwrap();
    assert_eq!(seen.next().await, Ok((42, Bytes::from_static(&[4, 2]))));
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn an_unanswered_acknowledgement_times_out() {
    let server = SioServer::with(|io| {
        io.main().on(
            "ignore",
            |_socket: Socket, _event: ServerEvent| async move {},
        );
    })
    .await;
    let client = Client::builder(server.url())
        .ack_timeout(Duration::from_millis(100))
        .connect()
        .await
        .expect("connected");
    let by_default = client.emit_with_ack::<String, _>("ignore", &()).await;
    assert!(
        matches!(by_default, Err(AckError::Timeout)),
        "{by_default:?}"
    );
    let shorter = client
        .emit_with_ack::<String, _>("ignore", &())
        .timeout(Duration::from_millis(10))
        .await;
    assert!(matches!(shorter, Err(AckError::Timeout)), "{shorter:?}");
    let wrong_type = client.emit_with_ack::<String, _>("__nothing", &()).await;
    assert!(
        matches!(wrong_type, Err(AckError::Timeout)),
        "{wrong_type:?}"
    );
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn reserved_names_and_unserializable_arguments_are_refused() {
    let server = SioServer::with(|_| {}).await;
    let client = Client::builder(server.url()).connect().await.unwrap();
    assert!(matches!(
        client.emit("disconnect", &()),
        Err(EmitError::ReservedEvent(_))
    ));
    let unserializable: HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]);
    assert!(matches!(
        client.emit("map", &unserializable),
        Err(EmitError::Encode(_))
    ));
    let ack = client.emit_with_ack::<(), _>("connect", &()).await;
    assert!(matches!(
        ack,
        Err(AckError::Emit(EmitError::ReservedEvent(_)))
    ));
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn disconnecting_sends_what_was_emitted_then_leaves_for_good() {
    let (server, mut seen) = reporting_server(|io, report| {
        let left = report.clone();
        io.main()
            .on_disconnect(move |_socket: Socket, reason: server::DisconnectReason| {
                let left = left.clone();
                async move { left.send(reason.as_str().to_owned()) }
            });
        io.main().on(
            "last words",
            server_reporter(report, |event| event.arg::<String>(0).unwrap_or_default()),
        );
        io.main()
            .on("slow", |_socket: Socket, _event: ServerEvent| async move {});
    })
    .await;
    let client = Client::builder(server.url()).connect().await.unwrap();
    let pending = client.emit_with_ack::<(), _>("slow", &());
    client.emit("last words", &("goodbye",)).unwrap();
    client.disconnect();
    assert_eq!(
        seen.take(2).await,
        ["goodbye", "client namespace disconnect"]
    );
    assert_eq!(
        within(client.disconnected()).await,
        DisconnectReason::ClientDisconnect
    );
    assert!(matches!(pending.await, Err(AckError::Disconnected)));
    assert_gone(&client);
    server.stop().await;
}

#[tokio::test]
async fn a_server_disconnect_is_not_followed_by_a_reconnection() {
    let (server, mut connections) = reporting_server(|io, report| {
        io.main()
            .on_connection(connection_reporter(report, |socket| {
                socket.id().to_string()
            }));
        io.main().on(
            "kick me",
            |socket: Socket, _event: ServerEvent| async move {
                socket.disconnect();
            },
        );
    })
    .await;
    let client = Client::builder(server.url())
        .reconnect(Reconnect::default().initial_delay(Duration::from_millis(10)))
        .connect()
        .await
        .unwrap();
    connections.next().await;
    client.emit("kick me", &()).unwrap();
    assert_eq!(
        within(client.disconnected()).await,
        DisconnectReason::ServerDisconnect
    );
    connections.expect_silence().await;
    assert_gone(&client);
    server.stop().await;
}

/// The client sends a null value as one `null` argument, in emits and acks alike;
/// only `()` sends none.
#[tokio::test]
async fn null_values_are_one_argument_from_the_client_too() {
    let (server, mut seen) = reporting_server(|io, report| {
        io.main()
            .on("count", move |socket: Socket, event: ServerEvent| {
                let report = report.clone();
                async move {
                    report.send(("count", event.args().len()));
                    let answer = socket
                        .emit_with_ack::<Args, _>("question", &())
                        .await
                        .map(|args| args.len())
                        .unwrap_or(usize::MAX);
                    report.send(("answer", answer));
                }
            });
    })
    .await;
    let client = Client::builder(server.url())
        .on("question", |_client: Client, mut event: Event| async move {
            event.ack(&serde_json::Value::Null)
        })
        .connect()
        .await
        .expect("connected");
    client.emit("count", &serde_json::Value::Null).unwrap();
    assert_eq!(seen.next().await, ("count", 1));
    assert_eq!(seen.next().await, ("answer", 1));
    client.emit("count", &()).unwrap();
    assert_eq!(seen.next().await, ("count", 0));
    assert_eq!(seen.next().await, ("answer", 1));
    client.disconnect();
    server.stop().await;
}

/// A plain thread, outside any tokio runtime, may emit with an acknowledgement;
/// the returned future is awaited in the runtime.
#[tokio::test]
async fn a_plain_thread_may_emit_with_an_ack() {
    let server = SioServer::with(answer_additions).await;
    let client = Client::builder(server.url())
        .connect()
        .await
        .expect("connected");
    let in_thread = client.clone();
    let thread = std::thread::spawn(move || in_thread.emit_with_ack::<i64, _>("add", &(1, 2)));
    let ack = tokio::task::spawn_blocking(move || thread.join())
        .await
        .unwrap()
        .expect("no panic outside a runtime");
    assert_eq!(within(ack).await.expect("acked"), 3);
    client.disconnect();
    server.stop().await;
}
