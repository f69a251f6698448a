//! The game example's wire contract: an arena where players steer around and
//! collect coins, shared by its server, its clients and the code generators.
//!
//! Namespace `/`, no auth payload. The server is authoritative: clients send only
//! their inputs, and the server's tick loop simulates and broadcasts the state.
//!
//! | direction | event | arguments | acknowledgement |
//! |---|---|---|---|
//! | client → server | `join_match` | `name` | `{"ok":true,"data":MatchInfo}` or `{"ok":false,"error":GameError}` |
//! | client → server | `input` | `seq`, `direction` | `{"ok":true,"data":null}` or `{"ok":false,"error":GameError}` |
//! | client → server | `leave_match` | none | `{"ok":true,"data":null}` or `{"ok":false,"error":GameError}` |
//! | server → client | `state` | [`Snapshot`] | none (volatile: a client that cannot take it now misses it) |
//! | server → client | `player_joined` | [`PlayerInfo`] | none |
//! | server → client | `player_left` | [`PlayerInfo`] | none |
//! | server → client | `match_over` | [`MatchResult`] | none |
//!
//! Arguments that do not decode (a name that is blank or longer than
//! [`MAX_NAME_CHARS`] characters, an unknown direction, a negative `seq`) are
//! refused with the runtime's `invalid_arguments` acknowledgement; the connection
//! stays open.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Identifies a match on this server.
pub type MatchId = u32;
/// Identifies a player within its match, from 1 in joining order.
pub type PlayerId = u32;

/// How many times a second a match simulates and broadcasts its state.
pub const TICK_RATE_HZ: u32 = 20;
/// The arena's width, in arena units; `x` runs from 0 to it.
pub const ARENA_WIDTH: u32 = 800;
/// The arena's height, in arena units; `y` runs from 0 (top) to it.
pub const ARENA_HEIGHT: u32 = 600;
/// How far a moving player goes each tick, in arena units.
pub const PLAYER_SPEED: u32 = 10;
/// How close a player must come to a coin to collect it, in arena units.
pub const PICKUP_RADIUS: u32 = 20;
/// How many coins lie in the arena at any time.
pub const COINS_PER_MATCH: usize = 5;
/// The longest player name, in characters.
pub const MAX_NAME_CHARS: usize = 16;
/// How many inputs a socket may send per second, sustained.
pub const INPUTS_PER_SECOND: u32 = 30;
/// How many inputs a socket may send at once after a quiet spell.
pub const INPUT_BURST: u32 = 10;

/// The name a player shows: 1 to 16 characters, not only whitespace, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct PlayerName(#[schemars(length(min = 1, max = 16))] String);

impl PlayerName {
    /// The name, if it is valid.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidPlayerName> {
        let name = name.into();
        let chars = name.chars().count();
        if name.trim().is_empty() || chars > MAX_NAME_CHARS {
            return Err(InvalidPlayerName::Length { chars });
        }
        if name.chars().any(char::is_control) {
            return Err(InvalidPlayerName::ControlCharacter);
        }
        Ok(PlayerName(name))
    }
}

validated_text!(PlayerName);

/// Why a text is not a [`PlayerName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPlayerName {
    /// Blank, or too long.
    #[error("a player name has 1 to {MAX_NAME_CHARS} characters and is not blank, not {chars}")]
    Length {
        /// How many characters it had.
        chars: usize,
    },
    /// It holds a control character.
    #[error("a player name has no control characters")]
    ControlCharacter,
}

/// Where a player steers: it keeps moving that way, 10 arena units a tick, until
/// the next input or a wall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Stand still.
    #[default]
    Stop,
    /// Towards the top wall, `y = 0`.
    Up,
    /// Towards the bottom wall.
    Down,
    /// Towards the left wall, `x = 0`.
    Left,
    /// Towards the right wall.
    Right,
}

/// A player as others know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlayerInfo {
    /// Its id within the match.
    pub id: PlayerId,
    /// Its name (names need not be unique).
    pub name: PlayerName,
}

/// What a player learns on joining a match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MatchInfo {
    /// The match joined.
    pub match_id: MatchId,
    /// The joining player's own id.
    pub player_id: PlayerId,
    /// Everyone in the match, the joining player included, in joining order.
    pub players: Vec<PlayerInfo>,
    /// The arena's width, in arena units.
    pub arena_width: u32,
    /// The arena's height, in arena units.
    pub arena_height: u32,
    /// How many `state` snapshots the match sends per second.
    pub tick_rate_hz: u32,
    /// How many ticks are left before the match is over.
    pub ticks_left: u64,
}

/// A player as a snapshot shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlayerState {
    /// Its id within the match.
    pub id: PlayerId,
    /// Its position, from 0 (left) to the arena's width.
    pub x: u32,
    /// Its position, from 0 (top) to the arena's height.
    pub y: u32,
    /// Where it is heading.
    pub direction: Direction,
    /// Coins collected so far.
    pub score: u32,
    /// The `seq` of the last input applied (0 before the first), so a client can
    /// tell which of its inputs this snapshot already shows.
    pub last_seq: u32,
}

/// A coin waiting to be collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Coin {
    /// Its id within the match; a collected coin reappears elsewhere with a new id.
    pub id: u32,
    /// Its position, from 0 (left) to the arena's width.
    pub x: u32,
    /// Its position, from 0 (top) to the arena's height.
    pub y: u32,
}

/// The state of a match after a tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Snapshot {
    /// The tick this is the state after, from 1; increases by one each tick.
    pub tick: u64,
    /// How many ticks are left before the match is over.
    pub ticks_left: u64,
    /// Every player, in joining order.
    pub players: Vec<PlayerState>,
    /// Every coin in the arena.
    pub coins: Vec<Coin>,
}

/// One player's final score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Standing {
    /// Its id within the match.
    pub id: PlayerId,
    /// Its name.
    pub name: PlayerName,
    /// Coins collected.
    pub score: u32,
}

/// How a match ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MatchResult {
    /// The match that is over.
    pub match_id: MatchId,
    /// Every player still in the match, best score first (ties in joining order).
    pub standings: Vec<Standing>,
    /// The players with the best score (every player when nobody scored).
    pub winners: Vec<PlayerId>,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GameErrorCode {
    /// `join_match` from a socket that is in a match, or joining one.
    AlreadyInMatch,
    /// `input` or `leave_match` from a socket that is in no match.
    NotInMatch,
    /// Every match is full and the server runs as many as it may.
    ServerFull,
    /// More than 30 inputs a second (or 10 at once); the input is dropped.
    RateLimited,
    /// An input whose `seq` is not above the last accepted one; it is dropped.
    StaleInput,
}

/// The error of a refused request: a code for programs, a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GameError {
    /// What went wrong.
    pub code: GameErrorCode,
    /// The same, for people.
    pub message: String,
}

impl GameError {
    /// An error with this code and message.
    pub fn new(code: GameErrorCode, message: impl Into<String>) -> Self {
        GameError {
            code,
            message: message.into(),
        }
    }
}

/// The room of one match's players, `match:<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, tether::Room)]
#[room("match:{0}")]
pub struct MatchRoom(pub MatchId);

/// Events a game client sends.
#[tether::events]
pub trait GameClient {
    /// Joins a match under `name`: the fullest match with a free place, else a new
    /// one. Acknowledged with the match joined, or refused (already in a match,
    /// server full).
    fn join_match(name: PlayerName) -> Result<MatchInfo, GameError>;
    /// Steers the sender's player from the next tick on. `seq` numbers the
    /// sender's inputs in its match, from 1, and must increase; acknowledged, or
    /// refused and dropped (not in a match, stale `seq`, rate limited).
    fn input(seq: u32, direction: Direction) -> Result<(), GameError>;
    /// Leaves the sender's match; refused when it is in none.
    fn leave_match() -> Result<(), GameError>;
}

/// Events the game server sends.
#[tether::events]
pub trait GameServer {
    /// The state of the client's match after each tick, volatile: a client that
    /// cannot take it at once misses it, and takes the next one.
    fn state(snapshot: Snapshot);
    /// Someone else joined the client's match.
    fn player_joined(player: PlayerInfo);
    /// Someone else left the client's match (or disconnected).
    fn player_left(player: PlayerInfo);
    /// The client's match is over; the client is in no match any more and may
    /// join another.
    fn match_over(result: MatchResult);
}

/// The game's one namespace as code generators see it: clients send
/// [`GameClient`] events, the server sends [`GameServer`] events.
///
/// ```
/// let game = tether_examples::game::namespace();
/// assert_eq!(game.name, "/");
/// assert_eq!(game.listen.events.len(), 3);
/// assert!(game.auth.is_none());
/// ```
pub fn namespace() -> tether::contract::NamespaceDescriptor {
    tether::contract::NamespaceDescriptor::new::<GameClient, GameServer>("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn player_names_are_checked_when_decoded() {
        let name: PlayerName = serde_json::from_str(r#""ada""#).unwrap();
        assert_eq!(name.as_str(), "ada");
        assert!(serde_json::from_str::<PlayerName>(r#""""#).is_err());
        assert!(serde_json::from_str::<PlayerName>(r#""   ""#).is_err());
        assert!(serde_json::from_str::<PlayerName>(r#""a\u0007b""#).is_err());
        let longest = "é".repeat(MAX_NAME_CHARS);
        assert!(PlayerName::new(longest.clone()).is_ok());
        assert!(PlayerName::new(longest + "x").is_err());
    }

    #[test]
    fn directions_and_rooms_have_their_wire_names() {
        assert_eq!(
            serde_json::to_string(&Direction::Left).unwrap(),
            r#""left""#
        );
        assert!(serde_json::from_str::<Direction>(r#""sideways""#).is_err());
        assert_eq!(tether::server::Room::from(MatchRoom(7)).as_str(), "match:7");
    }
}
