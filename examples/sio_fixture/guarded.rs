//! The `/guarded` namespace: event middlewares, error handlers, `once` and `off`,
//! for `tests/js/test/socketio-event-middleware.test.mjs`.
//!
//! - A namespace middleware lets each socket send `spam` three times, then
//!   rejects it with `rate limited` (data `{"limit":3}`).
//! - Each socket's own middleware rejects `forbidden` (data `{"why":"asked"}`),
//!   drops `ignored`, renames `legacy-echo` to `echo`, and panics on `boom` (a
//!   rejection with `internal error`).
//! - Rejections reach the socket's error handler, which emits
//!   `rejected({message})` to the client.
//! - `first` is handled once (`first-seen(args)`); `ping-me` answers `pong-you`
//!   until `stop-pinging` removes that handler.
//! - An outgoing hook records the name and first argument of every event sent to
//!   the socket; `outgoing-log` is acknowledged with that record.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tether::server::{Event, EventFlow, EventRejection, IncomingEvent, Namespace, Server, Socket};

const SPAM_LIMIT: u32 = 3;

/// The events sent to a socket, as its outgoing hook saw them.
#[derive(Clone, Default)]
struct OutgoingLog(Arc<Mutex<Vec<serde_json::Value>>>);

/// Counts a socket's `spam` events.
#[derive(Clone, Default)]
struct SpamCount(Arc<AtomicU32>);

pub fn install(io: &Server) -> Namespace {
    let ns = io.of("/guarded");
    crate::handlers::install(&ns);
    ns.use_event_middleware(|socket: &Socket, event: &mut IncomingEvent| {
        if event.name() != "spam" {
            return Ok(EventFlow::Pass);
        }
        let count = socket.data::<SpamCount>().unwrap_or_default();
        if count.0.fetch_add(1, Ordering::Relaxed) >= SPAM_LIMIT {
            return Err(
                EventRejection::new("rate limited").with_data(json!({ "limit": SPAM_LIMIT }))
            );
        }
        Ok(EventFlow::Pass)
    });
    ns.on("spam", |socket: Socket, event: Event| async move {
        let _ = socket.emit("spam-seen", &event.args().len());
    });
    ns.on_connection(|socket: Socket| async move {
        socket.insert_data(SpamCount::default());
        socket.use_event_middleware(|_: &Socket, event: &mut IncomingEvent| match event.name() {
            "forbidden" => {
                Err(EventRejection::new("forbidden event").with_data(json!({ "why": "asked" })))
            }
            "ignored" => Ok(EventFlow::Drop),
            "legacy-echo" => {
                event.set_name("echo");
                Ok(EventFlow::Pass)
            }
            "boom" => panic!("a middleware that panics"),
            _ => Ok(EventFlow::Pass),
        });
        socket.on_error(|socket: &Socket, rejection: &EventRejection| {
            let _ = socket.emit("rejected", &json!({ "message": rejection.message }));
        });
        socket.once("first", |socket: Socket, event: Event| async move {
            let _ = socket.emit("first-seen", &event.args().len());
        });
        socket.on("ping-me", |socket: Socket, _event: Event| async move {
            let _ = socket.emit("pong-you", &());
        });
        socket.on(
            "stop-pinging",
            |socket: Socket, mut event: Event| async move {
                socket.off("ping-me");
                let _ = event.ack(&true);
            },
        );
        let log = OutgoingLog::default();
        socket.insert_data(log.clone());
        socket.on_any_outgoing(move |_socket: &Socket, event: &Event| {
            let first = event.args().raw(0).unwrap_or("null");
            let first: serde_json::Value = serde_json::from_str(first).unwrap_or_default();
            let entry = json!([event.name(), first]);
            log.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(entry);
        });
        socket.on(
            "outgoing-log",
            |socket: Socket, mut event: Event| async move {
                let log = socket.data::<OutgoingLog>().unwrap_or_default();
                let entries = log
                    .0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone();
                let _ = event.ack(&entries);
            },
        );
        let _ = socket.emit("ready", &());
    });
    ns
}
