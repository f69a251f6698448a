//! Contract version negotiation with the Rust client: `ClientBuilder::contract`
//! presents the version of a pair of contracts in the auth payload (beside the
//! application's own auth), and a namespace negotiating versions accepts the
//! versions it serves and refuses the others with `contract_mismatch`, before
//! the handler's `on_connect` runs. A pair's version is the one its contracts
//! share, or the one of the only contract that declares one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use tether::client::{Client, TypedClient};
use tether::contract::{ContractVersions, TypedSocket};
use tether::server::{ConnectError as Refusal, Server};
use tether_tests::{SioServer, sio_config};

use crate::support::refusal;

mod v1 {
    /// Events a client sends, paired with [`super::PlainServer`].
    #[tether::events(version = "1")]
    pub trait Client {
        /// Asks for a greeting.
        fn hello(name: String) -> String;
    }
}

mod v2 {
    /// Events a client sends.
    #[tether::events(version = "2")]
    pub trait Client {
        /// Asks for a greeting, optionally with a word of its own.
        fn hello(name: String, word: Option<String>) -> String;
    }
    /// Events the server sends.
    #[tether::events(version = "2")]
    pub trait Server {
        /// A notice.
        fn notice(text: String);
    }
}

mod v3 {
    /// Events a client sends, paired with [`super::PlainServer`].
    #[tether::events(version = "3")]
    pub trait Client {
        /// Asks for a greeting by number.
        fn hello(name: u32) -> String;
    }
}

/// Events without a declared version: their version is a hash of the schemas.
#[tether::events]
pub trait PlainClient {
    /// Asks for a greeting.
    fn hello(name: String) -> String;
}

/// Events without a declared version; paired with a versioned client contract,
/// the pair has the client's version.
#[tether::events]
pub trait PlainServer {
    /// A notice.
    fn notice(text: String);
}

struct Greeter {
    connects: Arc<AtomicUsize>,
}

impl v2::ClientHandler for Greeter {
    type Emits = v2::Server;

    async fn on_connect(&self, socket: TypedSocket<v2::Server>) -> Result<(), Refusal> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        // The application's own auth still arrives beside the version.
        match socket.untyped().auth_value().get("user") {
            Some(_) => Ok(()),
            None => Err(Refusal::new("who are you")),
        }
    }

    async fn hello(
        &self,
        _socket: TypedSocket<v2::Server>,
        name: String,
        word: Option<String>,
    ) -> String {
        format!("{} {name}", word.as_deref().unwrap_or("hello"))
    }
}

/// A server of version 2 that serves version 1 too, and how many times its
/// handler's `on_connect` ran.
async fn greeting_server() -> (SioServer, Arc<AtomicUsize>) {
    let connects = Arc::new(AtomicUsize::new(0));
    let io = Server::new(sio_config());
    let greeter = Greeter {
        connects: connects.clone(),
    };
    io.main()
        .bind::<v2::Client, _>(greeter)
        .contract_versions(ContractVersions::of::<v2::Client, v2::Server>().serve("1"));
    (SioServer::start(io).await, connects)
}

#[tokio::test]
async fn the_typed_client_presents_its_version_and_served_ones_connect() {
    let (server, connects) = greeting_server().await;
    let current = Client::builder(server.url())
        .auth(&json!({ "user": "ada" }))
        .contract::<v2::Client, v2::Server>()
        .connect()
        .await
        .expect("the current version connects");
    let typed: TypedClient<v2::Client> = current.typed();
    use v2::ClientEmitter as _;
    assert_eq!(
        typed
            .hello("Ada", Some("hi".to_owned()))
            .await
            .expect("answered"),
        "hi Ada"
    );

    let older = Client::builder(server.url())
        .contract::<v1::Client, PlainServer>()
        .auth(&json!({ "user": "bob" }))
        .connect()
        .await
        .expect("a served older version connects");
    let typed: TypedClient<v1::Client> = older.typed();
    use v1::ClientEmitter as _;
    assert_eq!(typed.hello("Bob").await.expect("answered"), "hello Bob");
    assert_eq!(connects.load(Ordering::SeqCst), 2);

    current.disconnect();
    older.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn an_unserved_version_is_refused_before_on_connect() {
    let (server, connects) = greeting_server().await;
    let version_3 = Client::builder(server.url())
        .auth(&json!({ "user": "eve" }))
        .contract::<v3::Client, PlainServer>();
    let mismatch = refusal(version_3, "version 3 is not served").await;
    assert_eq!(mismatch.message, "contract_mismatch");
    assert_eq!(
        mismatch.data,
        Some(json!({ "code": "contract_mismatch", "server": "2", "client": "3" }))
    );
    assert_eq!(connects.load(Ordering::SeqCst), 0, "on_connect never ran");

    // Without a version the handler decides (here: no user, refused by it).
    let unversioned = refusal(Client::builder(server.url()), "no user").await;
    assert_eq!(unversioned.message, "who are you");
    assert_eq!(connects.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test]
async fn undeclared_versions_are_schema_hashes_the_server_and_client_agree_on() {
    let io = Server::new(sio_config());
    let versions = ContractVersions::of::<PlainClient, PlainServer>();
    assert!(
        versions.current().starts_with("sha1-"),
        "{}",
        versions.current()
    );
    assert_ne!(
        versions.current(),
        ContractVersions::of::<v1::Client, PlainServer>().current()
    );
    io.main()
        .bind::<PlainClient, _>(Plain)
        .contract_versions(versions);
    let server = SioServer::start(io).await;
    let client = Client::builder(server.url())
        .contract::<PlainClient, PlainServer>()
        .connect()
        .await
        .expect("the same hash connects");
    client.disconnect();
    let version_1 = Client::builder(server.url()).contract::<v1::Client, PlainServer>();
    let refused = refusal(version_1, "another version is refused").await;
    assert_eq!(refused.message, "contract_mismatch");
    server.stop().await;
}

struct Plain;

impl PlainClientHandler for Plain {
    type Emits = PlainServer;

    async fn hello(&self, _socket: TypedSocket<PlainServer>, name: String) -> String {
        name
    }
}
