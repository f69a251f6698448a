//! Server-side events: what one server node tells the others of a namespace,
//! through the adapter ([`Namespace::server_side_emit`], Node's `serverSideEmit`),
//! and the answers they give ([`Namespace::server_side_emit_with_ack`], Node's
//! `serverSideEmitWithAck`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use parking_lot::RwLock;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::handler::{self, ServerEventHandler};
use super::namespace::Namespace;
use crate::adapter::{ClusterError, ClusterRequest, ClusterResponse};
use crate::engine::Text;
use crate::peer::EmitError;
use crate::protocol::EmitArgs;
use crate::protocol::{self, Args};

/// Answers a server-side event another node sent with
/// [`Namespace::server_side_emit_with_ack`] (or Node's `serverSideEmitWithAck`):
/// the value the handler returns is this node's answer.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a server-side event handler with an answer",
    note = "it is an `async` closure `|args: Args| async move {{ answer }}` whose answer is `Serialize`"
)]
pub trait ServerEventAckHandler: Send + Sync + 'static {
    /// Handles the event's arguments; resolves with the answer as JSON (`None` when
    /// it does not serialize: no answer is sent).
    fn call(&self, args: Args) -> BoxFuture<'static, Option<serde_json::Value>>;
}

impl<F, Fut, T> ServerEventAckHandler for F
where
    F: Fn(Args) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Serialize,
{
    fn call(&self, args: Args) -> BoxFuture<'static, Option<serde_json::Value>> {
        let future = self(args);
        Box::pin(async move {
            serde_json::to_value(future.await)
                .inspect_err(|error| {
                    tracing::warn!(%error, "a server-side event's answer does not serialize");
                })
                .ok()
        })
    }
}

/// Why [`Namespace::server_side_emit_with_ack`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerSideAckError {
    /// The event could not be sent (a reserved name, binary data, ...).
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The other nodes could not be asked, or did not all answer in time.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// An answer does not decode into the expected type.
    #[error("a node's answer does not decode: {0}")]
    Decode(#[from] serde_json::Error),
}

/// Event names a server-side emit may not use (as in Node.js).
const RESERVED: [&str; 3] = ["connect", "connection", "new_namespace"];

/// The handlers of one server-side event, in the order they were added.
type Handlers = Arc<[Arc<dyn ServerEventHandler>]>;

/// The handlers of a namespace's server-side events, by event name.
#[derive(Default)]
pub(crate) struct ServerEvents {
    handlers: RwLock<HashMap<Box<str>, Handlers>>,
    /// The handler that answers each event sent with acknowledgement.
    answering: RwLock<HashMap<Box<str>, Arc<dyn ServerEventAckHandler>>>,
}

impl ServerEvents {
    fn add(&self, event: &str, handler: Arc<dyn ServerEventHandler>) {
        let mut handlers = self.handlers.write();
        let list = handlers
            .get(event)
            .into_iter()
            .flat_map(|list| list.iter().cloned())
            .chain(std::iter::once(handler))
            .collect();
        handlers.insert(event.into(), list);
    }

    fn get(&self, event: &str) -> Option<Handlers> {
        self.handlers.read().get(event).cloned()
    }

    /// Runs the handlers of a server-side event another node sent with
    /// acknowledgement (`packet`: `[event, ...args]`): the plain handlers, and the
    /// answering one, whose answer the returned future yields. `None` when there
    /// is no answering handler or `packet` is no event.
    pub(crate) fn deliver_with_ack(
        &self,
        packet: &str,
    ) -> Option<BoxFuture<'static, Option<serde_json::Value>>> {
        let (event, args) = split_packet(packet)?;
        for handler in self.get(&event).iter().flat_map(|list| list.iter()) {
            handler::run(handler.call(args.clone()));
        }
        let answering = self.answering.read().get(event.as_str()).cloned();
        match answering {
            Some(handler) => Some(handler.call(args)),
            None => {
                tracing::debug!(%event, "no answering handler for a server-side event");
                None
            }
        }
    }

    /// Runs the handlers of a server-side event another node sent: `packet` is
    /// the JSON array `[event, ...args]`. Returns whether it was one.
    pub(crate) fn deliver(&self, packet: &str) -> bool {
        let Some((event, args)) = split_packet(packet) else {
            return false;
        };
        let Some(handlers) = self.get(&event) else {
            tracing::debug!(%event, "no handler for a server-side event");
            return true;
        };
        for handler in handlers.iter() {
            handler::run(handler.call(args.clone()));
        }
        true
    }
}

/// The event name and arguments of `[event, ...args]`.
fn split_packet(packet: &str) -> Option<(String, Args)> {
    let items: Vec<&RawValue> = serde_json::from_str(packet).ok()?;
    let (event, args) = items.split_first()?;
    let event: String = serde_json::from_str(event.get()).ok()?;
    let mut json = String::with_capacity(packet.len());
    json.push('[');
    for (index, arg) in args.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        json.push_str(arg.get());
    }
    json.push(']');
    let args = Args::from_json_array(Text::from(json), Vec::new()).ok()?;
    Some((event, args))
}

impl Namespace {
    /// Runs `handler` with the arguments of every `event` another server node
    /// sends this namespace with [`Namespace::server_side_emit`] (or Node's
    /// `serverSideEmit`).
    ///
    /// ```no_run
    /// # fn demo(io: tether::server::Server) {
    /// io.main().on_server_event("reload", |args: tether::protocol::Args| async move {
    ///     let reason: String = args.decode(0).unwrap_or_default();
    ///     tracing::info!(%reason, "another node asked to reload");
    /// });
    /// # }
    /// ```
    pub fn on_server_event(&self, event: &str, handler: impl ServerEventHandler) {
        self.inner
            .handlers
            .server_events
            .add(event, Arc::new(handler));
    }

    /// Answers `event` when another server node sends it with
    /// [`server_side_emit_with_ack`](Self::server_side_emit_with_ack) (or Node's
    /// `serverSideEmitWithAck`): `handler`'s return value is this node's answer.
    /// One answering handler per event; a later one replaces it. The plain
    /// [`on_server_event`](Self::on_server_event) handlers of the event run too.
    ///
    /// ```no_run
    /// # fn demo(io: tether::server::Server) {
    /// let ns = io.main();
    /// let counter = ns.clone();
    /// ns.on_server_event_with_ack("count", move |_args: tether::protocol::Args| {
    ///     let ns = counter.clone();
    ///     async move { ns.socket_count() }
    /// });
    /// # }
    /// ```
    pub fn on_server_event_with_ack(&self, event: &str, handler: impl ServerEventAckHandler) {
        self.inner
            .handlers
            .server_events
            .answering
            .write()
            .insert(event.into(), Arc::new(handler));
    }

    /// Sends `event` to the other server nodes of this namespace and gathers the
    /// answer of each (Node's `serverSideEmitWithAck`): their
    /// [`on_server_event_with_ack`](Self::on_server_event_with_ack) handlers (or
    /// Node's listeners calling their callback) answer, one answer per node, each
    /// decoded as `R`. Without an adapter, or alone in the cluster, the answer is
    /// empty.
    ///
    /// # Errors
    ///
    /// [`ServerSideAckError::Cluster`] when some node does not answer within the
    /// adapter's timeout (a node whose handler does not answer counts as one), as
    /// well as the errors of [`server_side_emit`](Self::server_side_emit).
    pub async fn server_side_emit_with_ack<R, T>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<Vec<R>, ServerSideAckError>
    where
        R: DeserializeOwned,
        T: Serialize + ?Sized,
    {
        let packet = server_side_packet(event, data)?;
        let Some(adapter) = &self.inner.adapter else {
            return Ok(Vec::new());
        };
        crate::telemetry::with(|metrics| metrics.adapter_requests.increment(1));
        let answers = adapter
            .request(ClusterRequest::ServerSideEmit { packet })
            .await?;
        answers
            .into_iter()
            .filter_map(|answer| match answer {
                ClusterResponse::Ack(value) => Some(serde_json::from_value(value)),
                _ => None,
            })
            .collect::<Result<_, _>>()
            .map_err(ServerSideAckError::Decode)
    }

    /// Sends `event` to the other server nodes of this namespace, through the
    /// adapter; their [`on_server_event`](Self::on_server_event) handlers (or
    /// Node's `io.on(event)` listeners) get the arguments. Not to this node, and to
    /// no node without an adapter. Arguments travel as JSON: binary data is refused.
    /// For answers, see [`server_side_emit_with_ack`](Self::server_side_emit_with_ack).
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let packet = server_side_packet(event, data)?;
        if let Some(adapter) = &self.inner.adapter {
            crate::telemetry::with(|metrics| metrics.adapter_publishes.increment(1));
            adapter.server_side_emit(&packet);
        }
        Ok(())
    }
}

/// The JSON array `[event, ...args]` a server-side emit carries.
pub(crate) fn server_side_packet<T: Serialize + ?Sized>(
    event: &str,
    data: &T,
) -> Result<String, EmitError> {
    if RESERVED.contains(&event) {
        return Err(EmitError::ReservedEvent(event.to_owned()));
    }
    let encoded = protocol::encode_event("/", event, &EmitArgs::new(data), None)?;
    if !encoded.attachments().is_empty() {
        return Err(EmitError::BinaryServerSideEmit);
    }
    // `42[...]`: the packet is the JSON array after the two digits.
    Ok(encoded.text().as_str().get(2..).unwrap_or("[]").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_split_into_event_and_arguments() {
        let (event, args) = split_packet(r#"["hello",1,{"a":[2]},"x"]"#).unwrap();
        assert_eq!(event, "hello");
        assert_eq!(args.len(), 3);
        assert_eq!(args.raw(1), Some(r#"{"a":[2]}"#));
        let (event, args) = split_packet(r#"["alone"]"#).unwrap();
        assert_eq!((event.as_str(), args.len()), ("alone", 0));
        assert!(split_packet("[]").is_none());
        assert!(split_packet("[1]").is_none());
        assert!(split_packet("{}").is_none());
    }
}
