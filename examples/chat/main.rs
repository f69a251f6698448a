//! A chat server written against typed contracts (`tether_examples::chat`).
//!
//! ```text
//! PORT=3000 cargo run --release --example chat
//! ```
//!
//! Clients connect to `/` with `auth: { name }` and send `join`, `leave`, `say` and
//! `typing`; the server sends `message`, `presence` and `typing`. See
//! `examples/src/chat.rs` for the contract and `examples/chat/README.md` for the
//! limits. Beside the Socket.IO endpoint at `/socket.io/`, `/` serves the browser
//! chat page (`web/`, served by `tether_examples::web`): open `http://127.0.0.1:3000/`.
//! `ADMIN_UI=1` instruments it for the Socket.IO Admin UI (`tether_examples::admin`).

mod rooms;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tether::contract::TypedSocket;
use tether::engine::Cors;
use tether::server::{ConnectError, DisconnectReason, ServerConfig};
use tether_examples::chat::{
    ChatAuth, ChatClient, ChatClientHandler, ChatError, ChatErrorCode, ChatServer,
    ChatServerEmitter, MAX_NAME_CHARS, MAX_TEXT_CHARS, Message, RoomName,
};
use tether_examples::web::Page;

use rooms::Rooms;

/// The name a socket connected with.
#[derive(Clone)]
struct Name(String);

/// The chat: rooms with their members and history.
#[derive(Default)]
struct Chat {
    rooms: Mutex<Rooms>,
    next_id: AtomicU64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

impl Chat {
    fn rooms(&self) -> std::sync::MutexGuard<'_, Rooms> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn name_of(socket: &TypedSocket<ChatServer>) -> String {
    socket.data::<Name>().map(|name| name.0).unwrap_or_default()
}

/// Tells the members of `room` who is in it.
fn announce(socket: &TypedSocket<ChatServer>, room: &RoomName, users: Vec<String>) {
    if let Err(error) = socket.namespace().to(room).presence(room, users) {
        tracing::warn!(%error, %room, "presence not sent");
    }
}

impl ChatClientHandler for Chat {
    type Emits = ChatServer;

    async fn on_connect(&self, socket: TypedSocket<ChatServer>) -> Result<(), ConnectError> {
        let name = socket
            .auth::<ChatAuth>()
            .map(|auth| auth.name.trim().to_owned())
            .unwrap_or_default();
        if name.is_empty() {
            return Err(ConnectError::new("name required"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(ConnectError::new("name too long"));
        }
        // Shown as the socket's data in the admin UI (and to other cluster nodes).
        let _ = socket
            .untyped()
            .set_cluster_data(&serde_json::json!({ "name": name }));
        socket.insert_data(Name(name));
        Ok(())
    }

    async fn on_disconnect(&self, socket: TypedSocket<ChatServer>, _reason: DisconnectReason) {
        let mut rooms = self.rooms();
        for (room, users) in rooms.remove_everywhere(socket.id()) {
            announce(&socket, &room, users);
        }
    }

    async fn join(&self, socket: TypedSocket<ChatServer>, room: RoomName) -> Vec<Message> {
        let mut rooms = self.rooms();
        if let Some(users) = rooms.add(&room, socket.id(), name_of(&socket)) {
            socket.join(&room);
            announce(&socket, &room, users);
        }
        rooms.history(&room)
    }

    async fn leave(&self, socket: TypedSocket<ChatServer>, room: RoomName) {
        let mut rooms = self.rooms();
        if let Some(users) = rooms.remove(&room, socket.id()) {
            socket.leave(&room);
            announce(&socket, &room, users);
        }
    }

    async fn say(
        &self,
        socket: TypedSocket<ChatServer>,
        room: RoomName,
        text: String,
    ) -> Result<u64, ChatError> {
        if text.trim().is_empty() {
            return Err(ChatError::new(
                ChatErrorCode::EmptyText,
                "the text is empty",
            ));
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(ChatError::new(
                ChatErrorCode::TextTooLong,
                format!("a text has at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        let mut rooms = self.rooms();
        if !rooms.is_member(&room, socket.id()) {
            return Err(ChatError::new(
                ChatErrorCode::NotAMember,
                format!("join `{room}` before saying something there"),
            ));
        }
        let message = Message {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            room: room.clone(),
            from: name_of(&socket),
            text,
            at: now_ms(),
        };
        let id = message.id;
        if let Err(error) = socket.namespace().to(&room).message(&message) {
            tracing::warn!(%error, %room, "message not broadcast");
        }
        rooms.record(message);
        Ok(id)
    }

    async fn typing(&self, socket: TypedSocket<ChatServer>, room: RoomName) {
        if self.rooms().is_member(&room, socket.id()) {
            let _ = socket.to(&room).typing(&room, name_of(&socket));
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    let io = tether_examples::cluster::io_server_from_env(
        tether_examples::cluster::with_recovery_from_env(
            ServerConfig::default().with_cors(Cors::any()),
        ),
    )?;
    io.main().bind::<ChatClient, _>(Chat::default());
    let admin_ui = tether_examples::admin::admin_ui_from_env(&io)?;
    if let (Ok(cert), Ok(key)) = (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) {
        // HTTPS and WSS served by tether itself: the Socket.IO endpoint only.
        let tls = tether::http::tls_config_from_pem(cert, key)?;
        let server =
            tether::http::bind_tls(io.clone(), tether_examples::listen_addr(), tls).await?;
        println!("listening on https://{}", server.local_addr());
        tether_examples::shutdown_signal().await;
        io.close(std::time::Duration::from_secs(2)).await;
        return Ok(());
    }
    tether_examples::web::serve_with_page_and_ui(
        io,
        Page {
            index_html: include_str!("web/index.html"),
            style_css: include_str!("web/style.css"),
            app_js: include_str!("web/dist/app.js"),
        },
        admin_ui,
    )
    .await
}
