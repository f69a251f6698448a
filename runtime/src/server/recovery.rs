//! Connection state recovery: a client that lost its connection gets its socket
//! back (same id, rooms and data) and the events it missed, as with Node's
//! `connectionStateRecovery` option.
//!
//! With recovery on, every event a namespace sends without an acknowledgement and
//! not volatile carries an offset as its last argument, and is kept for
//! [`RecoveryConfig::max_disconnection_duration`]. A socket that leaves for a
//! reason the client did not choose (a dropped transport, a ping timeout, a
//! shutdown) is kept as long; the client's next CONNECT names it (`pid`) and the
//! last offset it saw, and gets every kept event addressed to it since.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use tokio::time::Instant;

use super::reason::DisconnectReason;
use super::socket::SharedData;
use crate::engine::Sid;
use crate::protocol::{self, Encoded};
use crate::room::Room;

/// Options of connection state recovery
/// ([`ServerConfig::with_connection_state_recovery`](super::ServerConfig::with_connection_state_recovery)).
///
/// Each namespace keeps its own events and sockets; a child of a dynamic namespace
/// that is forgotten once empty (`cleanup_empty_child_namespaces`) forgets them too.
///
/// ```
/// use std::time::Duration;
/// use tether::server::{RecoveryConfig, ServerConfig};
///
/// let config = ServerConfig::default().with_connection_state_recovery(
///     RecoveryConfig::default().with_max_disconnection_duration(Duration::from_secs(30)),
/// );
/// ```
#[derive(Debug, Clone)]
pub struct RecoveryConfig {
    max_disconnection_duration: Duration,
    skip_middlewares: bool,
    max_kept_events: usize,
    max_kept_sockets: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            max_kept_events: 100_000,
            max_kept_sockets: 100_000,
        }
    }
}

impl RecoveryConfig {
    /// Sets how long a disconnected socket and the events sent meanwhile are kept
    /// (default 2 minutes).
    pub fn with_max_disconnection_duration(mut self, duration: Duration) -> Self {
        self.max_disconnection_duration = duration;
        self
    }

    /// Sets whether a recovered socket skips the namespace's middlewares (default
    /// `true`).
    pub fn with_skip_middlewares(mut self, skip: bool) -> Self {
        self.skip_middlewares = skip;
        self
    }

    /// Sets the most events kept per namespace (default 100,000; at least 1); the
    /// oldest go first. A client whose last offset is no longer kept gets a new
    /// socket instead.
    pub fn with_max_kept_events(mut self, events: usize) -> Self {
        self.max_kept_events = events.max(1);
        self
    }

    /// Sets the most disconnected sockets kept per namespace (default 100,000; at
    /// least 1); the oldest go first.
    pub fn with_max_kept_sockets(mut self, sockets: usize) -> Self {
        self.max_kept_sockets = sockets.max(1);
        self
    }

    /// How long a disconnected socket and the events sent meanwhile are kept.
    pub fn max_disconnection_duration(&self) -> Duration {
        self.max_disconnection_duration
    }
}

/// Whether a socket that left for `reason` is kept for recovery: only when the
/// client did not choose to leave.
pub(crate) fn recoverable(reason: DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::TransportError
            | DisconnectReason::TransportClose
            | DisconnectReason::PingTimeout
            | DisconnectReason::ServerShuttingDown
            | DisconnectReason::ForcedServerClose
    )
}

/// Who an event was sent to.
pub(crate) struct Target<'a> {
    pub(crate) rooms: &'a [Room],
    pub(crate) except: &'a [Room],
    pub(crate) except_socket: Option<Sid>,
}

struct KeptEvent {
    offset: u64,
    at: Instant,
    rooms: Vec<Room>,
    except: Vec<Room>,
    except_socket: Option<Sid>,
    encoded: Encoded,
}

impl KeptEvent {
    /// Whether a socket with `id` in `rooms` was meant to get this event.
    fn reaches(&self, id: Sid, rooms: &[Room]) -> bool {
        let in_room = |list: &[Room]| {
            list.iter()
                .any(|room| room.as_str() == id.as_str() || rooms.contains(room))
        };
        (self.rooms.is_empty() || in_room(&self.rooms))
            && !in_room(&self.except)
            && self.except_socket != Some(id)
    }
}

/// A socket kept after a recoverable disconnect.
struct KeptSocket {
    id: Sid,
    rooms: Vec<Room>,
    data: Option<SharedData>,
    at: Instant,
}

/// What a recovered socket takes over.
pub(crate) struct Recovered {
    pub(crate) id: Sid,
    pub(crate) pid: Sid,
    pub(crate) rooms: Vec<Room>,
    pub(crate) data: Option<SharedData>,
    /// The events it missed, in order, with their offsets.
    pub(crate) missed: Vec<Encoded>,
}

#[derive(Default)]
struct Kept {
    next_offset: u64,
    events: VecDeque<KeptEvent>,
    sockets: HashMap<Sid, KeptSocket>,
    /// Kept sockets by pid, oldest first (some may have been recovered since).
    socket_order: VecDeque<(Instant, Sid)>,
}

/// The events and sockets one namespace keeps for recovery.
pub(crate) struct Recovery {
    config: RecoveryConfig,
    kept: Mutex<Kept>,
}

impl Recovery {
    pub(crate) fn new(config: RecoveryConfig) -> Recovery {
        Recovery {
            config,
            kept: Mutex::new(Kept {
                next_offset: 1,
                ..Kept::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        self.kept.lock()
    }

    /// Whether recovered sockets skip the middlewares.
    pub(crate) fn skips_middlewares(&self) -> bool {
        self.config.skip_middlewares
    }

    /// How long disconnected sockets are kept.
    pub(crate) fn max_disconnection_duration(&self) -> Duration {
        self.config.max_disconnection_duration
    }

    /// Takes the data of the socket kept under `pid` on this node, if it is
    /// (a session an adapter restored that was last connected here).
    pub(crate) fn take_data(&self, pid: &str) -> Option<SharedData> {
        let pid = Sid::parse(pid)?;
        self.lock().sockets.remove(&pid)?.data
    }

    /// Gives `encoded` (an event without acknowledgement) its offset and keeps it
    /// for the sockets of `target`; returns what to send.
    pub(crate) fn keep(&self, encoded: &Encoded, target: Target<'_>) -> Encoded {
        let now = Instant::now();
        let mut kept = self.lock();
        let offset = kept.next_offset;
        kept.next_offset += 1;
        let with_offset = protocol::with_offset(encoded, &offset.to_string());
        let limit = self.config.max_kept_events;
        while kept.events.len() >= limit
            || kept
                .events
                .front()
                .is_some_and(|event| self.expired(event.at, now))
        {
            kept.events.pop_front();
        }
        kept.events.push_back(KeptEvent {
            offset,
            at: now,
            rooms: target.rooms.to_vec(),
            except: target.except.to_vec(),
            except_socket: target.except_socket,
            encoded: with_offset.clone(),
        });
        with_offset
    }

    fn expired(&self, at: Instant, now: Instant) -> bool {
        now.duration_since(at) > self.config.max_disconnection_duration
    }

    /// Keeps a socket that left (its id, the rooms it was in and its data) under
    /// its `pid`.
    pub(crate) fn keep_socket(
        &self,
        pid: Sid,
        id: Sid,
        rooms: Vec<Room>,
        data: Option<SharedData>,
    ) {
        let now = Instant::now();
        let mut kept = self.lock();
        self.forget_expired(&mut kept, now);
        let limit = self.config.max_kept_sockets;
        while kept.sockets.len() >= limit {
            let Some((at, oldest)) = kept.socket_order.pop_front() else {
                break;
            };
            if kept
                .sockets
                .get(&oldest)
                .is_some_and(|socket| socket.at == at)
            {
                kept.sockets.remove(&oldest);
            }
        }
        kept.socket_order.push_back((now, pid));
        kept.sockets.insert(
            pid,
            KeptSocket {
                id,
                rooms,
                data,
                at: now,
            },
        );
    }

    fn forget_expired(&self, kept: &mut Kept, now: Instant) {
        while let Some(&(at, pid)) = kept.socket_order.front() {
            if !self.expired(at, now) {
                break;
            }
            kept.socket_order.pop_front();
            if kept.sockets.get(&pid).is_some_and(|socket| socket.at == at) {
                kept.sockets.remove(&pid);
            }
        }
    }

    /// Takes back the socket kept under `pid` with the events it missed after
    /// `offset`; `None` when it expired, is unknown, or `offset` is no longer kept
    /// (some events might be missing).
    pub(crate) fn recover(&self, pid: &str, offset: &str) -> Option<Recovered> {
        let pid = Sid::parse(pid)?;
        let offset: u64 = offset.parse().ok()?;
        let now = Instant::now();
        let mut kept = self.lock();
        self.forget_expired(&mut kept, now);
        let socket = kept.sockets.remove(&pid)?;
        let start = kept
            .events
            .binary_search_by_key(&offset, |event| event.offset)
            .ok()?;
        let missed = kept
            .events
            .iter()
            .skip(start + 1)
            .filter(|event| event.reaches(socket.id, &socket.rooms))
            .map(|event| event.encoded.clone())
            .collect();
        Some(Recovered {
            id: socket.id,
            pid,
            rooms: socket.rooms,
            data: socket.data,
            missed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(rooms: &[&str], except: &[&str], except_socket: Option<Sid>) -> KeptEvent {
        KeptEvent {
            offset: 1,
            at: Instant::now(),
            rooms: rooms.iter().map(|room| Room::from(*room)).collect(),
            except: except.iter().map(|room| Room::from(*room)).collect(),
            except_socket,
            encoded: protocol::encode_event("/", "e", &(), None).unwrap(),
        }
    }

    #[test]
    fn kept_events_reach_the_sockets_they_were_sent_to() {
        let id = Sid::random();
        let own = id.to_string();
        let rooms = [Room::from("red")];
        assert!(event(&[], &[], None).reaches(id, &rooms), "everyone");
        assert!(event(&["red"], &[], None).reaches(id, &rooms));
        assert!(!event(&["blue"], &[], None).reaches(id, &rooms));
        assert!(
            event(&[own.as_str()], &[], None).reaches(id, &rooms),
            "its own id"
        );
        assert!(
            !event(&[], &["red"], None).reaches(id, &rooms),
            "except a room"
        );
        assert!(
            !event(&[], &[own.as_str()], None).reaches(id, &rooms),
            "except its id"
        );
        assert!(
            !event(&[], &[], Some(id)).reaches(id, &rooms),
            "the sender excluded"
        );
        assert!(event(&[], &[], Some(Sid::random())).reaches(id, &rooms));
    }

    #[test]
    fn offsets_ride_last_and_grow() {
        let recovery = Recovery::new(RecoveryConfig::default());
        let encoded = protocol::encode_event("/", "news", &(1,), None).unwrap();
        let target = || Target {
            rooms: &[],
            except: &[],
            except_socket: None,
        };
        assert_eq!(
            recovery.keep(&encoded, target()).text(),
            r#"42["news",1,"1"]"#
        );
        assert_eq!(
            recovery.keep(&encoded, target()).text(),
            r#"42["news",1,"2"]"#
        );
    }

    #[test]
    fn only_sockets_the_client_did_not_choose_to_close_are_kept() {
        assert!(recoverable(DisconnectReason::TransportClose));
        assert!(recoverable(DisconnectReason::PingTimeout));
        assert!(recoverable(DisconnectReason::ServerShuttingDown));
        assert!(!recoverable(DisconnectReason::ClientNamespaceDisconnect));
        assert!(!recoverable(DisconnectReason::ServerNamespaceDisconnect));
        assert!(!recoverable(DisconnectReason::ParseError));
    }
}
