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

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::json;
use tether::server::{Event, EventFlow, EventRejection, IncomingEvent, Namespace, Server, Socket};

const SPAM_LIMIT: u32 = 3;

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
        let _ = socket.emit("ready", &());
    });
    ns
}
