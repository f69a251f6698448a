//! The chat example's wire contract, shared by its server, its clients and the
//! code generators.
//!
//! Namespace `/`; a client connects with the auth payload [`ChatAuth`] (a missing
//! or empty name is refused with the `connect_error` message `name required`).
//!
//! | direction | event | arguments | acknowledgement |
//! |---|---|---|---|
//! | client → server | `join` | `room` | the room's last 50 messages, oldest first |
//! | client → server | `leave` | `room` | none |
//! | client → server | `say` | `room`, `text` | `{"ok":true,"data":id}` or `{"ok":false,"error":ChatError}` |
//! | client → server | `typing` | `room` | none |
//! | server → client | `message` | [`Message`] | none |
//! | server → client | `presence` | `room`, `users` | none |
//! | server → client | `typing` | `room`, `from` | none |
//!
//! A room name that is empty or longer than [`MAX_ROOM_CHARS`] characters does not
//! decode: the event is refused with an `invalid_arguments` acknowledgement.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How many messages a room keeps, and a `join` acknowledges with.
pub const HISTORY_LEN: usize = 50;
/// The longest text `say` accepts, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// The longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 64;
/// The longest user name, in characters.
pub const MAX_NAME_CHARS: usize = 32;

/// The auth payload a client connects with.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ChatAuth {
    /// The name others see, 1 to 32 characters.
    pub name: String,
}

/// A room name: 1 to 64 characters. Also the name of the server-side room its
/// members join.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema, tether::Room,
)]
#[serde(transparent)]
#[room("{0}")]
pub struct RoomName(#[schemars(length(min = 1, max = 64))] String);

impl RoomName {
    /// The name, if it is 1 to [`MAX_ROOM_CHARS`] characters long.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidRoomName> {
        let name = name.into();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_ROOM_CHARS {
            return Err(InvalidRoomName { chars });
        }
        Ok(RoomName(name))
    }
}

validated_text!(RoomName);

/// A room name of the wrong length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a room name has 1 to {MAX_ROOM_CHARS} characters, not {chars}")]
pub struct InvalidRoomName {
    /// How many characters it had.
    pub chars: usize,
}

/// One chat message, as stored and broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    /// Increases with every message of the server (so within each room too).
    pub id: u64,
    /// The room it was said in.
    pub room: RoomName,
    /// Its author's name.
    pub from: String,
    /// What was said, 1 to 2,000 characters.
    pub text: String,
    /// When it was said, in milliseconds since the Unix epoch.
    pub at: u64,
}

/// Why `say` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatErrorCode {
    /// The text is empty or only whitespace.
    EmptyText,
    /// The text is over 2,000 characters.
    TextTooLong,
    /// The sender has not joined the room.
    NotAMember,
}

/// The error of a refused `say`: a code for programs, a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChatError {
    /// What went wrong.
    pub code: ChatErrorCode,
    /// The same, for people.
    pub message: String,
}

impl ChatError {
    /// An error with this code and message.
    pub fn new(code: ChatErrorCode, message: impl Into<String>) -> Self {
        ChatError {
            code,
            message: message.into(),
        }
    }
}

/// Events a chat client sends.
#[tether::events]
pub trait ChatClient {
    /// Joins a room; acknowledged with its last 50 messages, oldest first.
    fn join(room: RoomName) -> Vec<Message>;
    /// Leaves a room.
    fn leave(room: RoomName);
    /// Says something in a room the sender has joined; acknowledged with the new
    /// message's id, or refused (empty text, text over 2,000 characters, not a
    /// member) and not broadcast.
    fn say(room: RoomName, text: String) -> Result<u64, ChatError>;
    /// Tells the others in the room that the sender is typing.
    fn typing(room: RoomName);
}

/// Events the chat server sends.
#[tether::events]
pub trait ChatServer {
    /// A message said in a room the client has joined (its own included).
    fn message(msg: Message);
    /// The users in a room, sent to its members whenever its membership changes.
    fn presence(room: RoomName, users: Vec<String>);
    /// Someone else is typing in a room the client has joined.
    fn typing(room: RoomName, from: String);
}

/// The chat's one namespace as code generators see it: clients send
/// [`ChatClient`] events with a [`ChatAuth`] payload, the server sends
/// [`ChatServer`] events.
///
/// ```
/// let chat = tether_examples::chat::namespace();
/// assert_eq!(chat.name, "/");
/// assert_eq!(chat.listen.events.len(), 4);
/// assert!(chat.auth.is_some());
/// ```
pub fn namespace() -> tether::contract::NamespaceDescriptor {
    tether::contract::NamespaceDescriptor::new::<ChatClient, ChatServer>("/")
        .with_auth::<ChatAuth>()
}
