//! A bot for the chat example, written with the typed Rust client: it waits for
//! the server if it is not up yet, joins a room (again after every
//! reconnection), prints `joined <room> as <sid>` each time, and answers
//! `!echo <text>` there.
//!
//! ```text
//! PORT=3000 cargo run --example chat &
//! CHAT_URL=http://127.0.0.1:3000 CHAT_ROOM=lobby cargo run --example chat_bot
//! ```
//!
//! Given an `https://` URL it connects over TLS, trusting the system's root
//! certificates, or only the PEM certificates of the file `CHAT_CA` (a private CA):
//!
//! ```text
//! TLS_CERT=server.pem TLS_KEY=server.key PORT=3443 cargo run --example chat &
//! CHAT_URL=https://127.0.0.1:3443 CHAT_CA=ca.pem cargo run --example chat_bot
//! ```

use std::time::Duration;

use tether::client::{AckSender, Client, ConnectionState, Reconnect};
use tether_examples::chat::{
    ChatAuth, ChatClient, ChatClientEmitter, ChatServer, ChatServerEvent, RoomName,
};

/// The name the bot chats under.
const BOT_NAME: &str = "echo-bot";

/// Answers `!echo <text>` with `<text>`, in the room it was said in.
async fn on_chat_event(
    client: Client,
    event: ChatServerEvent,
    _ack: Option<AckSender>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ChatServerEvent::Message { msg } = event else {
        return Ok(());
    };
    let Some(text) = msg.text.strip_prefix("!echo ") else {
        return Ok(());
    };
    if msg.from == BOT_NAME {
        return Ok(());
    }
    let said = client.typed::<ChatClient>().say(&msg.room, text).await?;
    if let Err(error) = said.into_result() {
        tracing::warn!(?error, "the server refused the answer");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tether_examples::init_tracing();
    let url = std::env::var("CHAT_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".to_owned());
    let room = RoomName::new(std::env::var("CHAT_ROOM").unwrap_or_else(|_| "lobby".to_owned()))?;

    let mut builder = Client::builder(url);
    if let Ok(ca) = std::env::var("CHAT_CA") {
        builder = builder.tls_root_certificates_pem(std::fs::read(ca)?);
    }
    let client = builder
        .auth(&ChatAuth {
            name: BOT_NAME.to_owned(),
        })
        .reconnect(Reconnect::default().max_delay(Duration::from_secs(10)))
        .retry_first_connection(true)
        .on_contract::<ChatServer, _, _>(on_chat_event)
        .connect()
        .await?;
    let chat = client.typed::<ChatClient>();

    // Rooms belong to a connection: join on every (re)connection.
    let mut changes = client.state_changes();
    let mut state = client.state();
    loop {
        match &state {
            ConnectionState::Connected { sid, .. } => match chat.join(&room).await {
                Ok(history) => println!("joined {room} as {sid} ({} messages)", history.len()),
                Err(error) => tracing::warn!(%room, %error, "could not join"),
            },
            ConnectionState::Reconnecting { attempt, reason } => {
                tracing::info!(attempt, %reason, "reconnecting");
            }
            ConnectionState::Disconnected(reason) => {
                tracing::info!(%reason, "disconnected");
                return Ok(());
            }
        }
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                state = changes.borrow_and_update().clone();
            }
            _ = tokio::signal::ctrl_c() => {
                client.disconnect();
                client.disconnected().await;
                return Ok(());
            }
        }
    }
}
