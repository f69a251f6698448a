//! `tracing` spans of the server: a subscriber that captures every span and
//! event sees the log lines of connection, event and disconnect handlers inside
//! a `socket` span (`sid`, `nsp`) and, for event handlers, an `event` span
//! (`event`) under it, also after a handler waited and moved to a task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tether::client::Client;
use tether::server::{DisconnectReason, Event, Socket};
use tether_tests::{SioServer, probe, within};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as the capture saw it: its name and fields.
#[derive(Debug, Clone, PartialEq)]
struct SpanSeen {
    name: String,
    fields: HashMap<String, String>,
}

/// An event (log line) and the spans it was in, innermost first.
#[derive(Debug, Clone)]
struct EventSeen {
    message: String,
    scope: Vec<SpanSeen>,
}

#[derive(Default)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// Keeps every span's fields in its extensions and every event with its scope.
struct Capture(Arc<Mutex<Vec<EventSeen>>>);

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanSeen {
                name: attrs.metadata().name().to_owned(),
                fields: fields.0,
            });
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let scope = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .filter_map(|span| span.extensions().get::<SpanSeen>().cloned())
                    .collect()
            })
            .unwrap_or_default();
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(EventSeen {
                message: fields.0.remove("message").unwrap_or_default(),
                scope,
            });
    }
}

/// The events captured in this process (the subscriber is global, installed once).
fn captured() -> Arc<Mutex<Vec<EventSeen>>> {
    static CAPTURED: OnceLock<Arc<Mutex<Vec<EventSeen>>>> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let events = Arc::new(Mutex::new(Vec::new()));
            let subscriber = tracing_subscriber::registry().with(Capture(events.clone()));
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
            events
        })
        .clone()
}

/// The one captured event with `message`.
fn event(events: &Mutex<Vec<EventSeen>>, message: &str) -> EventSeen {
    let events = events
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let found: Vec<_> = events.iter().filter(|e| e.message == message).collect();
    assert_eq!(found.len(), 1, "{message:?} in {events:#?}");
    found[0].clone()
}

fn span(name: &str, fields: &[(&str, &str)]) -> SpanSeen {
    SpanSeen {
        name: name.to_owned(),
        fields: fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
    }
}

#[tokio::test]
async fn handlers_log_inside_their_socket_and_event_spans() {
    let events = captured();
    let (report, mut seen) = probe();
    let server = SioServer::with(|io| {
        let report = report.clone();
        io.of("/chat").on_connection(move |socket: Socket| {
            let report = report.clone();
            async move {
                tracing::info!("welcome");
                socket.on("hello", |_socket: Socket, mut event: Event| async move {
                    let who: String = event.arg(0).unwrap_or_default();
                    tracing::info!(who, "hello handled");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    tracing::info!("after a wait");
                    event.ack(&format!("hello {who}"))
                });
                socket.on_disconnect(move |_socket: Socket, reason: DisconnectReason| {
                    let report = report.clone();
                    async move {
                        tracing::info!(%reason, "bye");
                        report.send(reason);
                    }
                });
            }
        });
    })
    .await;
    let client = Client::builder(format!("{}/chat", server.url()))
        .connect()
        .await
        .expect("connected");
    let sid = client.id().expect("a socket id");
    let answer: String = within(client.emit_with_ack("hello", "ann"))
        .await
        .expect("acknowledged");
    assert_eq!(answer, "hello ann");
    client.disconnect();
    assert_eq!(
        seen.next().await,
        DisconnectReason::ClientNamespaceDisconnect
    );

    let socket_span = span("socket", &[("sid", &sid), ("nsp", "/chat")]);
    let event_span = span("event", &[("event", "hello")]);
    assert_eq!(event(&events, "welcome").scope, vec![socket_span.clone()]);
    assert_eq!(
        event(&events, "hello handled").scope,
        vec![event_span.clone(), socket_span.clone()]
    );
    assert_eq!(
        event(&events, "after a wait").scope,
        vec![event_span, socket_span.clone()],
        "the span follows a handler that waited into its task"
    );
    assert_eq!(event(&events, "bye").scope, vec![socket_span]);
    server.stop().await;
}
