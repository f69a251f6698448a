//! The cluster-wide operations of a broadcast operator (`fetch_sockets`,
//! `sockets_join`, `sockets_leave`, `disconnect_sockets`) and of a namespace
//! (`all_rooms`): each is carried out on this node's sockets and, through the
//! namespace's adapter link, on every other node's.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde_json::Value;

use super::broadcast::BroadcastOperator;
use super::handshake_json::{handshake_json, handshake_raw};
use super::namespace::{Namespace, NamespaceInner};
use super::socket::{Socket, SocketInner};
use crate::adapter::{
    ClusterError, ClusterRequest, ClusterResponse, JsonSocket, Selector, SocketDescription,
};
use crate::peer::EmitError;
use crate::room::{IntoRooms, Room};

impl NamespaceInner {
    /// Carries out `request` on this node's sockets and returns this node's answer.
    pub(crate) fn answer(&self, request: &ClusterRequest) -> ClusterResponse {
        match request {
            ClusterRequest::FetchSockets(selector) => ClusterResponse::Sockets(
                self.selected(selector)
                    .iter()
                    .map(|socket| describe(socket))
                    .collect(),
            ),
            ClusterRequest::Join(selector, rooms) => {
                for socket in self.selected(selector) {
                    self.join(&socket, rooms.clone());
                }
                ClusterResponse::Done
            }
            ClusterRequest::Leave(selector, rooms) => {
                for socket in self.selected(selector) {
                    self.leave(&socket, rooms);
                }
                ClusterResponse::Done
            }
            ClusterRequest::Disconnect { selector, close } => {
                for socket in self.selected(selector) {
                    let socket = Socket::from_inner(socket);
                    if *close {
                        socket.disconnect_and_close();
                    } else {
                        socket.disconnect();
                    }
                }
                ClusterResponse::Done
            }
            ClusterRequest::AllRooms => {
                let mut rooms = self.room_names();
                rooms.extend(
                    self.all_sockets()
                        .iter()
                        .map(|socket| Room::new(socket.id.as_str())),
                );
                ClusterResponse::Rooms(rooms)
            }
            // Answered asynchronously by `LocalNamespace::answer`.
            ClusterRequest::ServerSideEmit { .. } => ClusterResponse::Done,
        }
    }

    /// The sockets `selector` picks on this node (collected, so that the caller may
    /// change their rooms).
    fn selected(&self, selector: &Selector) -> Vec<Arc<SocketInner>> {
        let mut sockets = Vec::new();
        self.for_each_target(&selector.rooms, &selector.except, None, |socket| {
            sockets.push(socket.clone());
        });
        sockets
    }

    /// The sockets `selector` picks on this node, described in JSON.
    pub(crate) fn describe_json(&self, selector: &Selector) -> Vec<JsonSocket> {
        self.selected(selector)
            .iter()
            .map(|socket| {
                let (rooms, data) = rooms_and_data(socket);
                JsonSocket {
                    id: socket.id.as_str().to_owned(),
                    handshake: handshake_raw(socket),
                    rooms,
                    data,
                }
            })
            .collect()
    }

    /// Sends `request` to the other nodes, when there are any, and returns their
    /// answers.
    async fn ask_others(
        &self,
        request: ClusterRequest,
    ) -> Result<Vec<ClusterResponse>, ClusterError> {
        match &self.adapter {
            Some(link) => {
                crate::telemetry::with(|metrics| metrics.adapter_requests.increment(1));
                link.request(request).await
            }
            None => Ok(Vec::new()),
        }
    }
}

/// A socket of this node, described as the other nodes see it.
fn describe(socket: &SocketInner) -> SocketDescription {
    let (rooms, data) = rooms_and_data(socket);
    SocketDescription {
        id: socket.id.as_str().to_owned(),
        rooms,
        handshake: handshake_json(socket),
        data,
    }
}

/// The rooms a socket of this node is in, its own id first, and its cluster data.
fn rooms_and_data(socket: &SocketInner) -> (Vec<String>, Value) {
    let local = socket.local();
    let mut rooms = Vec::with_capacity(local.rooms.len() + 1);
    rooms.push(socket.id.as_str().to_owned());
    rooms.extend(local.rooms.iter().map(|room| room.as_str().to_owned()));
    (rooms, local.cluster_data())
}

impl Socket {
    /// The handshake as Node's `socket.handshake` shows it, as JSON: `headers`
    /// (repeated ones joined with `, `), `time`, `address`, `xdomain`, `secure`,
    /// `issued`, `url`, `query` (repeated names as lists) and `auth`. The same
    /// object other nodes see in [`RemoteSocket::handshake`]; the fields one by
    /// one are on [`Socket::handshake`](Socket::handshake).
    pub fn handshake_json(&self) -> Value {
        handshake_json(&self.inner)
    }

    /// Sets what the socket shows the cluster as its data: other nodes' (and this
    /// node's) [`fetch_sockets`](BroadcastOperator::fetch_sockets) see it in
    /// [`RemoteSocket::data`], as Node's `socket.data` in `fetchSockets()`. JSON
    /// only; the typed values of [`insert_data`](Socket::insert_data) stay on this
    /// node.
    ///
    /// # Errors
    ///
    /// When `value` does not serialize to JSON.
    pub fn set_cluster_data<T: Serialize + ?Sized>(
        &self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        let value = serde_json::to_value(value)?;
        self.inner.local().set_cluster_data(value);
        if let Some(observer) = self.inner.ns.observer() {
            observer.socket_data_changed(self);
        }
        Ok(())
    }

    /// What the socket shows the cluster as its data (`null` until set).
    pub fn cluster_data(&self) -> Value {
        self.inner.local().cluster_data()
    }
}

impl BroadcastOperator {
    /// What the other nodes are asked to select: this operator's rooms and
    /// exclusions, the excluded sender counted as the room of its id.
    fn remote_selector(&self) -> Selector {
        let (rooms, except, except_socket) = self.selection();
        let mut except = except.to_vec();
        if let Some(sid) = except_socket {
            except.push(Room::new(sid.as_str()));
        }
        Selector {
            rooms: rooms.to_vec(),
            except,
        }
    }

    /// Asks the other nodes unless the operator is [`local`](Self::local).
    async fn ask_others(
        &self,
        request: impl FnOnce(Selector) -> ClusterRequest,
    ) -> Result<Vec<ClusterResponse>, ClusterError> {
        if self.is_local() {
            return Ok(Vec::new());
        }
        let request = request(self.remote_selector());
        self.namespace_inner().ask_others(request).await
    }

    /// The selected sockets of every node: this node's first, then those the other
    /// nodes describe (Node's `fetchSockets`). Each can be sent events, joined to
    /// rooms and disconnected wherever it lives.
    ///
    /// # Errors
    ///
    /// [`ClusterError`] when the other nodes cannot be asked or do not all answer
    /// within the adapter's timeout.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, ClusterError> {
        let ns = self.namespace_inner().clone();
        let mut found: Vec<RemoteSocket> = self
            .sockets()
            .into_iter()
            .map(|socket| RemoteSocket::local(ns.clone(), socket.inner))
            .collect();
        let answers = self.ask_others(ClusterRequest::FetchSockets).await?;
        let mut seen: BTreeSet<String> = found.iter().map(|s| s.id().to_owned()).collect();
        let mut add = |found_there: Found| {
            let socket = RemoteSocket {
                ns: ns.clone(),
                found: found_there,
            };
            if seen.insert(socket.id().to_owned()) {
                found.push(socket);
            }
        };
        for answer in answers {
            match answer {
                ClusterResponse::Sockets(sockets) => {
                    sockets.into_iter().map(Found::Remote).for_each(&mut add);
                }
                ClusterResponse::SocketsJson(sockets) => {
                    for socket in sockets {
                        add(Found::Json {
                            socket,
                            description: OnceLock::new(),
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(found)
    }

    /// Makes the selected sockets of every node join `rooms` (Node's
    /// `socketsJoin`). This node's sockets have joined when it returns; the other
    /// nodes carry it out as the request reaches them.
    ///
    /// # Errors
    ///
    /// [`ClusterError`] when the request could not be sent to the other nodes.
    pub async fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), ClusterError> {
        let here = |operator: &Self, rooms| operator.join(rooms);
        self.rooms_everywhere(rooms.into_rooms(), here, ClusterRequest::Join)
            .await
    }

    /// Makes the selected sockets of every node leave `rooms` (Node's
    /// `socketsLeave`).
    ///
    /// # Errors
    ///
    /// [`ClusterError`] when the request could not be sent to the other nodes.
    pub async fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), ClusterError> {
        let here = |operator: &Self, rooms| operator.leave(rooms);
        self.rooms_everywhere(rooms.into_rooms(), here, ClusterRequest::Leave)
            .await
    }

    /// Changes the rooms of the selected sockets: on this node with `here`, on
    /// the others by the request `request` builds.
    async fn rooms_everywhere(
        &self,
        rooms: Vec<Room>,
        here: impl FnOnce(&Self, Vec<Room>),
        request: impl FnOnce(Selector, Vec<Room>) -> ClusterRequest,
    ) -> Result<(), ClusterError> {
        here(self, rooms.clone());
        self.ask_others(|selector| request(selector, rooms))
            .await
            .map(drop)
    }

    /// Disconnects the selected sockets of every node from the namespace; with
    /// `close`, their whole connection closes too (Node's `disconnectSockets`).
    ///
    /// # Errors
    ///
    /// [`ClusterError`] when the request could not be sent to the other nodes.
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), ClusterError> {
        for socket in self.sockets() {
            if close {
                socket.disconnect_and_close();
            } else {
                socket.disconnect();
            }
        }
        self.ask_others(|selector| ClusterRequest::Disconnect { selector, close })
            .await
            .map(drop)
    }
}

impl Namespace {
    /// The selected sockets of every node (see [`BroadcastOperator::fetch_sockets`]).
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::fetch_sockets`].
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, ClusterError> {
        self.broadcast().fetch_sockets().await
    }

    /// Every room that holds a socket on some node, socket-id rooms included, as
    /// Node's `allRooms` counts them.
    ///
    /// # Errors
    ///
    /// [`ClusterError`] when the other nodes cannot be asked or do not all answer
    /// within the adapter's timeout.
    pub async fn all_rooms(&self) -> Result<Vec<Room>, ClusterError> {
        let ns = &self.inner;
        let mut rooms: BTreeSet<Room> = match ns.answer(&ClusterRequest::AllRooms) {
            ClusterResponse::Rooms(rooms) => rooms.into_iter().collect(),
            _ => BTreeSet::new(),
        };
        for answer in ns.ask_others(ClusterRequest::AllRooms).await? {
            if let ClusterResponse::Rooms(more) = answer {
                rooms.extend(more);
            }
        }
        Ok(rooms.into_iter().collect())
    }
}

/// A socket of some node of the cluster, as [`BroadcastOperator::fetch_sockets`]
/// found it: its id, rooms and opening request, and the operations that reach it
/// wherever it lives.
#[derive(Clone)]
pub struct RemoteSocket {
    ns: Arc<NamespaceInner>,
    found: Found,
}

/// A fetched socket: described by another node, parsed or as JSON whose
/// handshake is read on first use; or one of this node's, whose handshake (fixed
/// for the socket's life) is described only when asked for.
#[derive(Clone)]
enum Found {
    Remote(SocketDescription),
    /// Described in JSON by another node; its handshake is read on first use.
    Json {
        socket: JsonSocket,
        description: OnceLock<SocketDescription>,
    },
    Local {
        socket: Arc<SocketInner>,
        /// Its rooms when it was fetched, its own id first.
        rooms: Vec<String>,
        /// Its cluster data when it was fetched.
        data: Value,
        /// The whole description, made on first use.
        description: OnceLock<SocketDescription>,
    },
}

impl std::fmt::Debug for RemoteSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSocket")
            .field("ns", &self.ns.name)
            .field("id", &self.id())
            .field("rooms", &self.rooms())
            .finish_non_exhaustive()
    }
}

impl RemoteSocket {
    /// Socket `socket` of this node, its rooms and data as they are now.
    fn local(ns: Arc<NamespaceInner>, socket: Arc<SocketInner>) -> RemoteSocket {
        let (rooms, data) = rooms_and_data(&socket);
        RemoteSocket {
            ns,
            found: Found::Local {
                socket,
                rooms,
                data,
                description: OnceLock::new(),
            },
        }
    }

    /// The socket's id.
    pub fn id(&self) -> &str {
        match &self.found {
            Found::Remote(description) => &description.id,
            Found::Json { socket, .. } => &socket.id,
            Found::Local { socket, .. } => socket.id.as_str(),
        }
    }

    /// The rooms it was in when it was fetched, its own id included.
    pub fn rooms(&self) -> &[String] {
        match &self.found {
            Found::Remote(description) => &description.rooms,
            Found::Json { socket, .. } => &socket.rooms,
            Found::Local { rooms, .. } => rooms,
        }
    }

    /// Its opening request, shaped as Node.js socket.io's `socket.handshake`.
    pub fn handshake(&self) -> &Value {
        &self.description().handshake
    }

    /// The data its node shows the cluster ([`Socket::set_cluster_data`], or
    /// Node's `socket.data`); `null` when none was set.
    pub fn data(&self) -> &Value {
        match &self.found {
            Found::Remote(description) => &description.data,
            Found::Json { socket, .. } => &socket.data,
            Found::Local { data, .. } => data,
        }
    }

    /// The data its node shows the cluster, decoded as `T`.
    ///
    /// # Errors
    ///
    /// When the data does not decode as `T`.
    pub fn data_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(self.data())
    }

    /// What its node described, whole.
    pub fn description(&self) -> &SocketDescription {
        match &self.found {
            Found::Remote(description) => description,
            Found::Json {
                socket,
                description,
            } => description.get_or_init(|| socket.describe()),
            Found::Local {
                socket,
                rooms,
                data,
                description,
            } => description.get_or_init(|| SocketDescription {
                id: socket.id.as_str().to_owned(),
                rooms: rooms.clone(),
                handshake: handshake_json(socket),
                data: data.clone(),
            }),
        }
    }

    /// Whether the socket lives on this node.
    pub fn is_local(&self) -> bool {
        crate::engine::Sid::parse(self.id()).is_some_and(|sid| self.ns.socket(&sid).is_some())
    }

    /// A broadcast operator selecting this socket alone, wherever it lives.
    pub(crate) fn operator(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.ns.clone()).to(Room::new(self.id()))
    }

    /// Sends it an event, wherever it lives.
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::emit`].
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.operator().emit(event, data)
    }

    /// Makes it join `rooms`, wherever it lives.
    ///
    /// # Errors
    ///
    /// [`ClusterError`] when the request could not be sent to the other nodes.
    pub async fn join(&self, rooms: impl IntoRooms) -> Result<(), ClusterError> {
        self.operator().sockets_join(rooms).await
    }

    /// Makes it leave `rooms`, wherever it lives.
    ///
    /// # Errors
    ///
    /// [`ClusterError`] when the request could not be sent to the other nodes.
    pub async fn leave(&self, rooms: impl IntoRooms) -> Result<(), ClusterError> {
        self.operator().sockets_leave(rooms).await
    }

    /// Disconnects it from the namespace; with `close`, closes its connection too.
    ///
    /// # Errors
    ///
    /// [`ClusterError`] when the request could not be sent to the other nodes.
    pub async fn disconnect(&self, close: bool) -> Result<(), ClusterError> {
        self.operator().disconnect_sockets(close).await
    }
}
