//! Contract versions shared by the compat tests: `version!` declares a module
//! with a `Client` and a `Server` contract and its snapshot.

#![allow(dead_code, missing_docs)]

pub use tether_codegen::compat::Snapshot;
pub use tether_codegen::{Document, NamespaceDescriptor};

/// A module with a client contract, a server contract and its snapshot.
macro_rules! version {
    ($name:ident { $($items:item)* }) => {
        pub mod $name {
            #![allow(dead_code, deprecated)]
            use super::*;
            $($items)*
            pub fn snapshot() -> Snapshot {
                Document::new("t", "1")
                    .namespace(NamespaceDescriptor::new::<Client, Server>("/"))
                    .snapshot()
                    .expect("generates")
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use version;

version!(arg_one { #[tether::events] pub trait Client { fn send(a: String); } #[tether::events] pub trait Server { fn note(a: String); } });
version!(arg_two { #[tether::events] pub trait Client { fn send(a: String, b: u32); } #[tether::events] pub trait Server { fn note(a: String, b: u32); } });
version!(arg_two_optional { #[tether::events] pub trait Client { fn send(a: String, b: Option<u32>); } #[tether::events] pub trait Server { fn note(a: String); } });
version!(arg_retyped { #[tether::events] pub trait Client { fn send(a: u32); } #[tether::events] pub trait Server { fn note(a: String); } });
version!(arg_renamed { #[tether::events] pub trait Client { fn send(text: String); } #[tether::events] pub trait Server { fn note(a: String); } });
version!(arg_optional { #[tether::events] pub trait Client { fn send(a: Option<String>); } #[tether::events] pub trait Server { fn note(a: String); } });
