//! Operations that span every node of a cluster: what one node asks the others
//! about a namespace, and what each answers.
//!
//! The server builds a [`ClusterRequest`] for an operation such as
//! [`BroadcastOperator::fetch_sockets`](crate::server::BroadcastOperator::fetch_sockets),
//! answers it for its own sockets, and hands it to the namespace's
//! [`NamespaceLink::request`](super::NamespaceLink::request), which carries it to
//! the other nodes and gathers their [`ClusterResponse`]s. A node that receives a
//! request answers it with [`LocalNamespace::answer`](super::LocalNamespace::answer).
//! The requests mirror those of the Node.js adapters (`fetchSockets`,
//! `socketsJoin`, `socketsLeave`, `disconnectSockets`, `allRooms`), so an adapter
//! can translate each to its wire format one to one.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::room::Room;

/// Which sockets of a namespace an operation applies to, on every node: the
/// sockets in any of `rooms` (every socket when it is empty), except those in any
/// of `except` (a socket id counts as a room holding that socket).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// The rooms whose sockets are selected; empty selects every socket.
    pub rooms: Vec<Room>,
    /// The rooms whose sockets are left out.
    pub except: Vec<Room>,
}

/// What one node asks the others about one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterRequest {
    /// Describe the selected sockets (`fetchSockets`).
    FetchSockets(Selector),
    /// Make the selected sockets join these rooms (`socketsJoin`).
    Join(Selector, Vec<Room>),
    /// Make the selected sockets leave these rooms (`socketsLeave`).
    Leave(Selector, Vec<Room>),
    /// Disconnect the selected sockets from the namespace; with `close: true`,
    /// close their whole connection too (`disconnectSockets`).
    Disconnect {
        /// The sockets to disconnect.
        selector: Selector,
        /// Whether their underlying connection closes as well.
        close: bool,
    },
    /// Name every room that has a socket (`allRooms`).
    AllRooms,
    /// Run the handlers of a server-side event and answer with the answering
    /// handler's value (`serverSideEmitWithAck`); `packet` is the JSON array
    /// `[event, ...args]`.
    ServerSideEmit {
        /// The event and its arguments.
        packet: String,
    },
}

impl ClusterRequest {
    /// Whether the asking node waits for every other node's answer (a query), or
    /// only for the request to be sent (a command, as the Node.js adapters do).
    pub fn expects_answers(&self) -> bool {
        matches!(
            self,
            ClusterRequest::FetchSockets(_)
                | ClusterRequest::AllRooms
                | ClusterRequest::ServerSideEmit { .. }
        )
    }
}

/// One node's answer to a [`ClusterRequest`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClusterResponse {
    /// The selected sockets of that node.
    Sockets(Vec<SocketDescription>),
    /// The selected sockets of that node, as JSON whose handshakes are read only
    /// when asked for (see [`JsonSocket`]).
    #[doc(hidden)]
    SocketsJson(Vec<JsonSocket>),
    /// The rooms of that node.
    Rooms(Vec<Room>),
    /// The answer of a server-side event's answering handler.
    Ack(serde_json::Value),
    /// The command was carried out.
    Done,
}

/// A socket as the node that holds it describes it to the others. Fields may be
/// added in minor releases: adapters make one with [`SocketDescription::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SocketDescription {
    /// The socket's id.
    pub id: String,
    /// The opening request, in the shape of Node.js socket.io's `socket.handshake`
    /// (`headers`, `address`, `issued`, `url`, `query`, `auth`, ...).
    pub handshake: serde_json::Value,
    /// The rooms it is in, its own id included.
    pub rooms: Vec<String>,
    /// Data the application attached to the socket for the cluster to see; `null`
    /// when it attached none.
    #[serde(default)]
    pub data: serde_json::Value,
}

impl SocketDescription {
    /// The description of socket `id`, with its handshake (in the shape of
    /// Node.js socket.io's `socket.handshake`), its rooms and its cluster data.
    pub fn new(
        id: impl Into<String>,
        handshake: serde_json::Value,
        rooms: Vec<String>,
        data: serde_json::Value,
    ) -> SocketDescription {
        SocketDescription {
            id: id.into(),
            handshake,
            rooms,
            data,
        }
    }
}

/// A socket another node described in JSON, its handshake kept as the JSON text
/// it came as: a fetch of many sockets pays for reading a handshake only when
/// the application looks at it.
/// Written only as JSON (its handshake is raw JSON text).
#[doc(hidden)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JsonSocket {
    pub(crate) id: String,
    pub(crate) handshake: Box<serde_json::value::RawValue>,
    pub(crate) rooms: Vec<String>,
    #[serde(default)]
    pub(crate) data: serde_json::Value,
}

impl JsonSocket {
    /// The whole description; a handshake that is not JSON reads as `null`.
    pub(crate) fn describe(&self) -> SocketDescription {
        SocketDescription {
            id: self.id.clone(),
            handshake: serde_json::from_str(self.handshake.get()).unwrap_or_default(),
            rooms: self.rooms.clone(),
            data: self.data.clone(),
        }
    }
}

impl PartialEq for JsonSocket {
    fn eq(&self, other: &JsonSocket) -> bool {
        self.id == other.id
            && self.rooms == other.rooms
            && self.data == other.data
            && self.handshake.get() == other.handshake.get()
    }
}

/// What another node reports about a broadcast that waits for acknowledgements.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RemoteAck {
    /// The node sent the broadcast to this many of its sockets.
    ClientCount(usize),
    /// One of those sockets acknowledged; its first argument.
    Ack(crate::protocol::Value),
    /// The other nodes could not be asked (the adapter lost its engine): the
    /// stream yields it at once as an [`AckError::Cluster`](crate::server::AckError::Cluster).
    Unavailable(ClusterError),
}

/// Where the other nodes' reports on a broadcast with acknowledgements arrive, as
/// [`NamespaceLink::publish_with_ack`](super::NamespaceLink::publish_with_ack)
/// returns it.
pub struct RemoteAcks {
    /// How many other nodes will report (0 when none can be reached).
    pub nodes: futures_util::future::BoxFuture<'static, usize>,
    /// Their reports as they arrive: each node's client count, then its sockets'
    /// acknowledgements. The adapter bounds it and stops sending at the timeout.
    pub reports: tokio::sync::mpsc::Receiver<RemoteAck>,
}

impl std::fmt::Debug for RemoteAcks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteAcks").finish_non_exhaustive()
    }
}

/// Why a request to the other nodes failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// Fewer nodes answered than were counted before the timeout.
    #[error("{answered} of {expected} other nodes answered within {timeout:?}")]
    Timeout {
        /// How many nodes answered in time.
        answered: usize,
        /// How many nodes were expected to answer.
        expected: usize,
        /// How long the request waited.
        timeout: Duration,
    },
    /// The request could not be sent (the adapter lost its connection, or refused
    /// the request).
    #[error("cluster request not sent: {0}")]
    Unavailable(String),
}
