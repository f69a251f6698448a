//! Pairs of contract versions: in each module, `old` is what deployed clients
//! were built against and `new` what the server runs now. Every `new` client
//! contract has the acknowledged event `send` (answered `"ok"`) unless the pair
//! is about that acknowledgement.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tether::contract::TypedSocket;
use tether::server::Namespace;
use tether_codegen::{Document, NamespaceDescriptor};

/// One pair: its name (its namespace is `/<name>`), its two documents, and how
/// to bind the new version on a namespace.
pub struct Pair {
    pub name: &'static str,
    pub old: Document,
    pub new: Document,
    pub bind: fn(&Namespace),
}

/// Declares a pair module: `old { items }`, `new { items }` (each with a
/// `Client` and a `Server` contract), and the new `send` handler's arguments
/// and answer.
macro_rules! pair {
    ($name:ident,
     old { $($old:item)* },
     new { $($new:item)* },
     send($($arg:ident: $ty:ty),*) $(-> $ret:ty = $value:expr)?) => {
        pub mod $name {
            #![allow(dead_code)]
            pub mod old {
                #[allow(unused_imports)]
                use super::super::*;
                $($old)*
            }
            pub mod new {
                #[allow(unused_imports)]
                use super::super::*;
                $($new)*

                pub struct Handler;

                impl ClientHandler for Handler {
                    type Emits = Server;

                    #[allow(unused_variables)]
                    async fn send(&self, _socket: TypedSocket<Server>, $($arg: $ty),*) $(-> $ret)? {
                        $($value)?
                    }
                }
            }

            pub fn pair() -> super::Pair {
                super::Pair {
                    name: stringify!($name),
                    old: super::document::<old::Client, old::Server>(),
                    new: super::document::<new::Client, new::Server>(),
                    bind: |ns| {
                        ns.bind::<new::Client, _>(new::Handler);
                    },
                }
            }
        }
    };
}

/// A document with one namespace, `/`, so that its TypeScript names carry no
/// prefix whatever namespace the server binds it on.
fn document<L: tether::contract::Contract, E: tether::contract::Contract>() -> Document {
    Document::new("contract evolution", "1").namespace(NamespaceDescriptor::new::<L, E>("/"))
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Named {
    pub name: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct NamedAged {
    pub name: String,
    pub age: u32,
}

pair!(arg_added_required,
    old {
        #[tether::events] pub trait Client { fn send(a: String) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(a: String, b: u32) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(a: String, b: u32) -> String = "ok".to_owned());

pair!(arg_added_optional,
    old {
        #[tether::events] pub trait Client { fn send(a: String) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(a: String, b: Option<u32>) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(a: String, b: Option<u32>) -> String = "ok".to_owned());

pair!(arg_removed,
    old {
        #[tether::events] pub trait Client { fn send(a: String, b: u32) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(a: String) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(a: String) -> String = "ok".to_owned());

pair!(arg_retyped,
    old {
        #[tether::events] pub trait Client { fn send(a: String) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(a: u32) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(a: u32) -> String = "ok".to_owned());

pair!(integer_to_number,
    old {
        #[tether::events] pub trait Client { fn send(n: u32) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(n: f64) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(n: f64) -> String = "ok".to_owned());

pair!(number_to_integer,
    old {
        #[tether::events] pub trait Client { fn send(n: f64) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(n: u32) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(n: u32) -> String = "ok".to_owned());

pair!(integer_narrowed,
    old {
        #[tether::events] pub trait Client { fn send(n: u32) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(n: u8) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(n: u8) -> String = "ok".to_owned());

pair!(field_made_required,
    old {
        #[derive(Serialize, Deserialize, JsonSchema)]
        pub struct Profile { pub name: String, pub nick: Option<String> }
        #[tether::events] pub trait Client { fn send(p: Profile) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[derive(Serialize, Deserialize, JsonSchema)]
        pub struct Profile { pub name: String, pub nick: String }
        #[tether::events] pub trait Client { fn send(p: Profile) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(p: Profile) -> String = "ok".to_owned());

pair!(field_made_optional,
    old {
        #[derive(Serialize, Deserialize, JsonSchema)]
        pub struct Profile { pub name: String, pub nick: String }
        #[tether::events] pub trait Client { fn send(p: Profile) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[derive(Serialize, Deserialize, JsonSchema)]
        pub struct Profile { pub name: String, pub nick: Option<String> }
        #[tether::events] pub trait Client { fn send(p: Profile) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(p: Profile) -> String = "ok".to_owned());

pair!(field_added_required,
    old {
        #[tether::events] pub trait Client { fn send(p: Named) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(p: NamedAged) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(p: NamedAged) -> String = "ok".to_owned());

pair!(field_removed,
    old {
        #[tether::events] pub trait Client { fn send(p: NamedAged) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(p: Named) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(p: Named) -> String = "ok".to_owned());

pair!(variant_removed,
    old {
        #[derive(Serialize, Deserialize, JsonSchema)]
        pub enum Color { Red, Green, Blue }
        #[tether::events] pub trait Client { fn send(c: Color) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[derive(Serialize, Deserialize, JsonSchema)]
        pub enum Color { Red, Green }
        #[tether::events] pub trait Client { fn send(c: Color) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(c: Color) -> String = "ok".to_owned());

pair!(variant_added,
    old {
        #[derive(Serialize, Deserialize, JsonSchema)]
        pub enum Color { Red, Green }
        #[tether::events] pub trait Client { fn send(c: Color) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[derive(Serialize, Deserialize, JsonSchema)]
        pub enum Color { Red, Green, Blue }
        #[tether::events] pub trait Client { fn send(c: Color) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(c: Color) -> String = "ok".to_owned());

pair!(tagged_variant_removed,
    old {
        #[derive(Serialize, Deserialize, JsonSchema)]
        #[serde(tag = "kind")]
        pub enum Shape { Circle { r: f64 }, Square { side: f64 } }
        #[tether::events] pub trait Client { fn send(s: Shape) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[derive(Serialize, Deserialize, JsonSchema)]
        #[serde(tag = "kind")]
        pub enum Shape { Circle { r: f64 } }
        #[tether::events] pub trait Client { fn send(s: Shape) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(s: Shape) -> String = "ok".to_owned());

pair!(event_removed,
    old {
        #[tether::events] pub trait Client { fn send(a: String) -> String; fn legacy(a: String) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(a: String) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(a: String) -> String = "ok".to_owned());

pair!(ack_removed,
    old {
        #[tether::events] pub trait Client { fn send(a: String) -> String; }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    new {
        #[tether::events] pub trait Client { fn send(a: String); }
        #[tether::events] pub trait Server { fn note(text: String); }
    },
    send(a: String));

/// Every pair.
pub fn pairs() -> Vec<Pair> {
    vec![
        arg_added_required::pair(),
        arg_added_optional::pair(),
        arg_removed::pair(),
        arg_retyped::pair(),
        integer_to_number::pair(),
        number_to_integer::pair(),
        integer_narrowed::pair(),
        field_made_required::pair(),
        field_made_optional::pair(),
        field_added_required::pair(),
        field_removed::pair(),
        variant_removed::pair(),
        variant_added::pair(),
        tagged_variant_removed::pair(),
        event_removed::pair(),
        ack_removed::pair(),
    ]
}
