//! A multiplayer arena written against typed contracts (`tether_examples::game`):
//! players steer around and collect coins; the server simulates every match in a
//! tick loop of its own and broadcasts the state 20 times a second.
//!
//! ```text
//! PORT=3000 cargo run --release --example game
//! ```
//!
//! Clients send `join_match`, `input` and `leave_match`; the server sends `state`,
//! `player_joined`, `player_left` and `match_over`. See `examples/src/game.rs` for
//! the contract and `examples/game/README.md` for the limits and their variables.
//!
//! - `simulation.rs`: the rules, pure and unit-tested;
//! - `matchmaking.rs`: which match a player is seated in;
//! - `session.rs`: per-socket state: seat, input rate, input numbering;
//! - `match_loop.rs`: one task per match running its ticks;
//! - `web/`: the browser page served at `/` by `tether_examples::web` (open
//!   `http://127.0.0.1:3000/`).

mod match_loop;
mod matchmaking;
mod session;
mod simulation;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tether::contract::TypedSocket;
use tether::engine::Cors;
use tether::server::{ConnectError, DisconnectReason, ServerConfig};
use tether_examples::game::{
    Direction, GameClient, GameClientHandler, GameError, GameErrorCode, GameServer, MatchInfo,
    MatchRoom, PlayerName, TICK_RATE_HZ,
};
use tether_examples::web::Page;

use match_loop::{SharedMatchmaker, lock};
use matchmaking::{Limits, Matchmaker, Released};
use session::{Membership, Session};

/// Players one match seats unless `GAME_PLAYERS_PER_MATCH` says otherwise.
const DEFAULT_PLAYERS_PER_MATCH: usize = 4;
/// Matches running at once unless `GAME_MAX_MATCHES` says otherwise.
const DEFAULT_MAX_MATCHES: usize = 250;
/// A match's length in seconds unless `GAME_MATCH_SECONDS` says otherwise.
const DEFAULT_MATCH_SECONDS: f64 = 120.0;
/// How often `join_match` tries again when the match it was seated in ended
/// before taking it in.
const JOIN_ATTEMPTS: usize = 3;

/// The game's settings, read from the environment.
struct Settings {
    limits: Limits,
    match_ticks: u64,
}

impl Settings {
    fn from_env() -> Self {
        fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
            std::env::var(name)
                .ok()
                .and_then(|value| value.parse().ok())
                .unwrap_or(default)
        }
        let seconds = var("GAME_MATCH_SECONDS", DEFAULT_MATCH_SECONDS);
        let seconds = if seconds.is_finite() && seconds > 0.0 {
            seconds
        } else {
            DEFAULT_MATCH_SECONDS
        };
        Settings {
            limits: Limits {
                players_per_match: var("GAME_PLAYERS_PER_MATCH", DEFAULT_PLAYERS_PER_MATCH).max(1),
                max_matches: var("GAME_MAX_MATCHES", DEFAULT_MAX_MATCHES).max(1),
            },
            match_ticks: ((seconds * f64::from(TICK_RATE_HZ)).ceil() as u64).max(1),
        }
    }
}

/// The game: the matchmaker, shared by handlers and match loops.
struct Game {
    matchmaker: SharedMatchmaker,
    match_ticks: u64,
}

impl Game {
    /// Gives a seat back: tells the match's loop to drop the player, or to stop
    /// when it was the last one.
    fn release(&self, membership: Membership) {
        let released = lock(&self.matchmaker).release(membership.handle.id());
        match released {
            Some(Released::Occupied) => membership.handle.leave(membership.player),
            Some(Released::Emptied) => membership.handle.close(),
            None => {}
        }
    }

    fn server_full() -> GameError {
        GameError::new(
            GameErrorCode::ServerFull,
            "every match is full; try again later",
        )
    }
}

impl GameClientHandler for Game {
    type Emits = GameServer;

    async fn on_connect(&self, socket: TypedSocket<GameServer>) -> Result<(), ConnectError> {
        socket.insert_data(Session::new(Instant::now()));
        Ok(())
    }

    async fn on_disconnect(&self, socket: TypedSocket<GameServer>, _reason: DisconnectReason) {
        if let Some(Some(membership)) = socket.with_data(Session::disconnect) {
            self.release(membership);
        }
    }

    async fn join_match(
        &self,
        socket: TypedSocket<GameServer>,
        name: PlayerName,
    ) -> Result<MatchInfo, GameError> {
        socket.with_data(Session::begin_join).unwrap_or(Ok(()))?;
        for _ in 0..JOIN_ATTEMPTS {
            let seated = {
                let mut matchmaker = lock(&self.matchmaker);
                matchmaker
                    .seat(|id| {
                        match_loop::spawn(
                            id,
                            socket.namespace(),
                            self.matchmaker.clone(),
                            self.match_ticks,
                        )
                    })
                    .map(|(_, handle)| {
                        (
                            handle.clone(),
                            handle.request_join(socket.id(), name.clone()),
                        )
                    })
            };
            let Ok((handle, answer)) = seated else {
                socket.with_data(Session::cancel_join);
                return Err(Game::server_full());
            };
            let Ok(info) = answer.await else {
                if socket.connected() {
                    continue;
                }
                break;
            };
            let membership = Membership {
                handle,
                player: info.player_id,
            };
            let finished =
                socket.with_data(|session: &mut Session| session.finish_join(membership.clone()));
            if !matches!(finished, Some(Ok(()))) {
                self.release(membership);
            } else if membership.handle.is_closed() {
                // The match ended since it answered, and freed only the players
                // already seated: this one is freed here.
                socket.with_data(|session: &mut Session| session.end_match(info.match_id));
            }
            return Ok(info);
        }
        socket.with_data(Session::cancel_join);
        Err(Game::server_full())
    }

    async fn input(
        &self,
        socket: TypedSocket<GameServer>,
        seq: u32,
        direction: Direction,
    ) -> Result<(), GameError> {
        let now = Instant::now();
        let membership = socket
            .with_data(|session: &mut Session| session.accept_input(now, seq))
            .unwrap_or_else(|| Err(not_in_match()))?;
        membership.handle.steer(membership.player, seq, direction);
        Ok(())
    }

    async fn leave_match(&self, socket: TypedSocket<GameServer>) -> Result<(), GameError> {
        let membership = socket
            .with_data(Session::leave)
            .flatten()
            .ok_or_else(not_in_match)?;
        socket.leave(MatchRoom(membership.handle.id()));
        self.release(membership);
        Ok(())
    }
}

fn not_in_match() -> GameError {
    GameError::new(GameErrorCode::NotInMatch, "you are in no match")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    let settings = Settings::from_env();
    let io = tether_examples::cluster::io_server_from_env(
        ServerConfig::default().with_cors(Cors::any()),
    )?;
    io.main().bind::<GameClient, _>(Game {
        matchmaker: Arc::new(Mutex::new(Matchmaker::new(settings.limits))),
        match_ticks: settings.match_ticks,
    });
    tether_examples::web::serve_with_page(
        io,
        Page {
            index_html: include_str!("web/index.html"),
            style_css: include_str!("web/style.css"),
            app_js: include_str!("web/dist/app.js"),
        },
    )
    .await
}
