//! Server-side events: what one server node tells the others of a namespace,
//! through the adapter ([`Namespace::server_side_emit`], Node's `serverSideEmit`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde_json::value::RawValue;

use super::args::EmitArgs;
use super::error::EmitError;
use super::handler::{self, ServerEventHandler};
use super::namespace::Namespace;
use crate::engine::Text;
use crate::protocol::{self, Args};

/// Event names a server-side emit may not use (as in Node.js).
const RESERVED: [&str; 3] = ["connect", "connection", "new_namespace"];

/// The handlers of one server-side event, in the order they were added.
type Handlers = Arc<[Arc<dyn ServerEventHandler>]>;

/// The handlers of a namespace's server-side events, by event name.
#[derive(Default)]
pub(crate) struct ServerEvents {
    handlers: RwLock<HashMap<Box<str>, Handlers>>,
}

impl ServerEvents {
    fn add(&self, event: &str, handler: Arc<dyn ServerEventHandler>) {
        let mut handlers = self
            .handlers
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let list = handlers
            .get(event)
            .into_iter()
            .flat_map(|list| list.iter().cloned())
            .chain(std::iter::once(handler))
            .collect();
        handlers.insert(event.into(), list);
    }

    fn get(&self, event: &str) -> Option<Handlers> {
        self.handlers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(event)
            .cloned()
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

    /// Sends `event` to the other server nodes of this namespace, through the
    /// adapter; their [`on_server_event`](Self::on_server_event) handlers (or
    /// Node's `io.on(event)` listeners) get the arguments. Not to this node, and to
    /// no node without an adapter. Arguments travel as JSON: binary data is refused.
    /// Acknowledgements (Node's `serverSideEmitWithAck`) are not carried.
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        if RESERVED.contains(&event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        let encoded = protocol::encode_event("/", event, &EmitArgs::new(data), None)?;
        if !encoded.attachments.is_empty() {
            return Err(EmitError::BinaryServerSideEmit);
        }
        // `42[...]`: the packet is the JSON array after the two digits.
        let packet = encoded.text.as_str().get(2..).unwrap_or("[]");
        if let Some(adapter) = &self.inner.adapter {
            adapter.server_side_emit(packet);
        }
        Ok(())
    }
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
