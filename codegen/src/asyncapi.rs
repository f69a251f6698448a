//! The AsyncAPI 3.1 output, written from the server's side.
//!
//! - Each namespace is a channel (id `root` for `/`, see [`crate::Document`]),
//!   with the namespace as its `address`.
//! - Each event is a message named after it, with id `c2s.<event>` (clients send
//!   it) or `s2c.<event>` (the server sends it); `<event>` keeps ASCII letters,
//!   digits, `_` and `-`, and turns anything else into `_`. Its payload is the
//!   argument's schema for a one-argument event, a draft-07 tuple (`items` as an
//!   array, `minItems`, `maxItems`) of titled schemas for several, and absent for
//!   none.
//! - Each event is an operation `<channel>.receive.<event>` (clients send it) or
//!   `<channel>.send.<event>` (the server does); an acknowledgement is the
//!   operation's `reply`, a message with id `<message id>.ack`.
//! - A namespace that declares an auth payload has a `connect` message and a
//!   `<channel>.receive.connect` operation: the CONNECT packet's payload.
//! - Payload types are `components.schemas`, referenced from the document root
//!   (`#/components/schemas/<Name>`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::events::{args_tuple, titled};
use crate::model::{Event, Model, Namespace, Side};
use crate::names::{id_fragment, pointer_token};
use crate::schema::rewrite_refs;
use crate::{Document, Error};

/// The AsyncAPI version written.
pub(crate) const ASYNCAPI_VERSION: &str = "3.1.0";

const COMPONENTS: &str = "#/components/schemas/";

/// A schema with its `$ref`s pointing into `components.schemas`.
fn component_refs(schema: &Value) -> Value {
    let mut schema = schema.clone();
    rewrite_refs(&mut schema, &|name| format!("{COMPONENTS}{name}"));
    schema
}

/// Renders the AsyncAPI document of `model`.
pub(crate) fn render(document: &Document, model: &Model) -> Result<String, Error> {
    let mut info = Map::new();
    info.insert("title".into(), document.title.clone().into());
    info.insert("version".into(), document.version.clone().into());
    if let Some(description) = &document.description {
        info.insert("description".into(), description.clone().into());
    }

    let mut channels = Map::new();
    let mut operations = Map::new();
    for namespace in &model.namespaces {
        let mut channel = Channel::new(namespace);
        channel.connect(namespace);
        channel.side(&namespace.client_to_server, Sender::Client)?;
        channel.side(&namespace.server_to_client, Sender::Server)?;
        channels.insert(namespace.channel.clone(), channel.object(namespace));
        operations.extend(channel.operations);
    }

    let schemas: Map<String, Value> = model
        .defs
        .iter()
        .map(|def| (def.name.clone(), component_refs(&def.schema)))
        .collect();
    let root = json!({
        "asyncapi": ASYNCAPI_VERSION,
        "info": info,
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": { "schemas": schemas },
    });
    Ok(crate::pretty(&root))
}

#[derive(Clone, Copy)]
enum Sender {
    Client,
    Server,
}

/// One channel being built, with the operations on it.
struct Channel {
    id: String,
    messages: Map<String, Value>,
    operations: Map<String, Value>,
    /// Message ids already used, with the event that took each.
    taken: BTreeMap<String, String>,
}

impl Channel {
    fn new(namespace: &Namespace) -> Self {
        Channel {
            id: namespace.channel.clone(),
            messages: Map::new(),
            operations: Map::new(),
            taken: BTreeMap::new(),
        }
    }

    fn reference(&self) -> Value {
        json!({ "$ref": format!("#/channels/{}", pointer_token(&self.id)) })
    }

    fn message_reference(&self, id: &str) -> Value {
        json!({
            "$ref": format!("#/channels/{}/messages/{}", pointer_token(&self.id), pointer_token(id))
        })
    }

    fn connect(&mut self, namespace: &Namespace) {
        let Some(auth) = &namespace.auth else {
            return;
        };
        self.messages.insert(
            "connect".into(),
            json!({
                "name": "connect",
                "title": "CONNECT",
                "description": format!(
                    "The auth payload of the CONNECT packet that opens namespace `{}`.",
                    namespace.path
                ),
                "payload": component_refs(&titled("auth", auth)),
            }),
        );
        self.operations.insert(
            format!("{}.receive.connect", self.id),
            json!({
                "action": "receive",
                "channel": self.reference(),
                "summary": "A client connects to the namespace.",
                "messages": [self.message_reference("connect")],
            }),
        );
    }

    fn side(&mut self, side: &Side, sender: Sender) -> Result<(), Error> {
        let (prefix, action) = match sender {
            Sender::Client => ("c2s", "receive"),
            Sender::Server => ("s2c", "send"),
        };
        for event in &side.events {
            let name = event.descriptor.name;
            let fragment = id_fragment(name);
            let id = format!("{prefix}.{fragment}");
            if let Some(other) = self.taken.insert(id.clone(), name.to_owned()) {
                return Err(Error::invalid_name(
                    name,
                    format!(
                        "its AsyncAPI message id `{id}` is also the id of event `{other}` \
                         (characters outside [A-Za-z0-9_-] become `_`)"
                    ),
                ));
            }
            self.messages
                .insert(id.clone(), message(event, matches!(sender, Sender::Client)));
            let mut operation = Map::new();
            operation.insert("action".into(), action.into());
            operation.insert("channel".into(), self.reference());
            if !event.descriptor.docs.is_empty() {
                operation.insert("description".into(), event.descriptor.docs.into());
            }
            operation.insert("messages".into(), json!([self.message_reference(&id)]));
            if let Some(ack) = &event.ack {
                let ack_id = format!("{id}.ack");
                self.messages.insert(
                    ack_id.clone(),
                    json!({
                        "name": format!("{name} ack"),
                        "title": format!("Acknowledgement of {name}"),
                        "payload": component_refs(&titled("response", ack)),
                    }),
                );
                operation.insert(
                    "reply".into(),
                    json!({
                        "channel": self.reference(),
                        "messages": [self.message_reference(&ack_id)],
                    }),
                );
            }
            self.operations.insert(
                format!("{}.{action}.{fragment}", self.id),
                Value::Object(operation),
            );
        }
        Ok(())
    }

    fn object(&self, namespace: &Namespace) -> Value {
        let mut channel = Map::new();
        channel.insert("address".into(), namespace.path.into());
        channel.insert(
            "title".into(),
            format!("Namespace {}", namespace.path).into(),
        );
        let docs: Vec<String> = [
            (&namespace.client_to_server, "Clients send"),
            (&namespace.server_to_client, "The server sends"),
        ]
        .iter()
        .map(|(side, role)| {
            let mut text = format!("{role} the events of contract `{}`", side.contract.name);
            if !side.contract.docs.is_empty() {
                text.push_str(": ");
                text.push_str(side.contract.docs);
            } else {
                text.push('.');
            }
            text
        })
        .collect();
        channel.insert("description".into(), docs.join("\n\n").into());
        channel.insert("messages".into(), Value::Object(self.messages.clone()));
        Value::Object(channel)
    }
}

fn message(event: &Event, client_sends: bool) -> Value {
    let descriptor = event.descriptor;
    let mut message = Map::new();
    message.insert("name".into(), descriptor.name.into());
    if !descriptor.docs.is_empty() {
        message.insert("description".into(), descriptor.docs.into());
    }
    if descriptor.deprecated.is_some() {
        message.insert("deprecated".into(), true.into());
    }
    let payload = match event.args.as_slice() {
        [] => None,
        [only] => Some(titled(only.name, &only.schema)),
        _ => Some(args_tuple(event, client_sends)),
    };
    if let Some(payload) = payload {
        message.insert("payload".into(), component_refs(&payload));
    }
    Value::Object(message)
}
