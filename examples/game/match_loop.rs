//! One task per match: every tick it takes what the handlers left in the match's
//! inbox (joins, leaves, the latest input of each player), advances the
//! [`World`] it alone owns, and broadcasts the state to the match's room.

use std::collections::HashMap;
use std::mem;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tether::contract::TypedNamespace;
use tether::engine::Sid;
use tether::server::EmitError;
use tether_examples::game::{
    ARENA_HEIGHT, ARENA_WIDTH, Direction, GameServer, GameServerEmitter, MatchId, MatchInfo,
    MatchRoom, PlayerId, PlayerName, TICK_RATE_HZ,
};
use tokio::sync::oneshot;
use tokio::time::MissedTickBehavior;

use crate::matchmaking::Matchmaker;
use crate::session::Session;
use crate::simulation::World;

/// The shared matchmaker, whose handles reach each match's loop.
pub type SharedMatchmaker = Arc<Mutex<Matchmaker<MatchHandle>>>;

/// Locks `mutex`, carrying on past a panic of an earlier holder.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct JoinRequest {
    sid: Sid,
    name: PlayerName,
    reply: oneshot::Sender<MatchInfo>,
}

/// What handlers leave for the next tick. Bounded: one entry per seat for joins
/// and leaves, and only the latest input of each player.
#[derive(Default)]
struct Inbox {
    joins: Vec<JoinRequest>,
    leaves: Vec<PlayerId>,
    inputs: HashMap<PlayerId, (u32, Direction)>,
    /// The loop stops, or has: its last seat was released, or the match is over.
    closed: bool,
}

/// Reaches one match's loop; cheap to clone.
#[derive(Clone)]
pub struct MatchHandle {
    id: MatchId,
    inbox: Arc<Mutex<Inbox>>,
}

impl MatchHandle {
    /// A handle whose match has no loop, for tests.
    #[cfg(test)]
    pub fn detached(id: MatchId) -> Self {
        MatchHandle {
            id,
            inbox: Arc::default(),
        }
    }

    /// The match's id.
    pub fn id(&self) -> MatchId {
        self.id
    }

    /// Asks for a player to be added at the next tick; the answer is the match as
    /// the player sees it, or nothing when the match ended first.
    pub fn request_join(&self, sid: Sid, name: PlayerName) -> oneshot::Receiver<MatchInfo> {
        let (reply, answer) = oneshot::channel();
        lock(&self.inbox)
            .joins
            .push(JoinRequest { sid, name, reply });
        answer
    }

    /// Removes a player at the next tick.
    pub fn leave(&self, player: PlayerId) {
        lock(&self.inbox).leaves.push(player);
    }

    /// Steers a player at the next tick; a later input of the same player before
    /// that tick replaces this one.
    pub fn steer(&self, player: PlayerId, seq: u32, direction: Direction) {
        lock(&self.inbox).inputs.insert(player, (seq, direction));
    }

    /// Stops the loop: nobody is seated any more.
    pub fn close(&self) {
        lock(&self.inbox).closed = true;
    }

    /// Whether the loop stops or has stopped, taking no one in any more.
    pub fn is_closed(&self) -> bool {
        lock(&self.inbox).closed
    }
}

/// Opens match `id`: spawns its loop, which runs for `length_ticks` ticks (or
/// until its last player leaves), and returns the handle to reach it.
pub fn spawn(
    id: MatchId,
    ns: TypedNamespace<GameServer>,
    matchmaker: SharedMatchmaker,
    length_ticks: u64,
) -> MatchHandle {
    let handle = MatchHandle {
        id,
        inbox: Arc::default(),
    };
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
        ^ u64::from(id);
    let game = MatchLoop {
        handle: handle.clone(),
        ns,
        matchmaker,
        world: World::new(seed, length_ticks),
        seats: HashMap::new(),
    };
    tokio::spawn(game.run());
    handle
}

struct MatchLoop {
    handle: MatchHandle,
    ns: TypedNamespace<GameServer>,
    matchmaker: SharedMatchmaker,
    world: World,
    /// The socket of each player.
    seats: HashMap<PlayerId, Sid>,
}

impl MatchLoop {
    fn room(&self) -> MatchRoom {
        MatchRoom(self.handle.id)
    }

    async fn run(mut self) {
        let mut interval = tokio::time::interval(Duration::from_secs(1) / TICK_RATE_HZ);
        interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
        tracing::debug!(id = self.handle.id, "match opened");
        loop {
            interval.tick().await;
            let inbox = {
                let mut inbox = lock(&self.handle.inbox);
                if inbox.closed {
                    break;
                }
                mem::take(&mut *inbox)
            };
            self.apply(inbox);
            self.world.step();
            let sent = self
                .ns
                .to(self.room())
                .volatile()
                .state(self.world.snapshot());
            report(sent, "state");
            if self.world.is_over() {
                self.finish();
                break;
            }
        }
        tracing::debug!(id = self.handle.id, "match closed");
    }

    fn apply(&mut self, inbox: Inbox) {
        for player in inbox.leaves {
            self.remove(player);
        }
        for join in inbox.joins {
            self.add(join);
        }
        for (player, (seq, direction)) in inbox.inputs {
            self.world.steer(player, seq, direction);
        }
    }

    fn remove(&mut self, player: PlayerId) {
        self.seats.remove(&player);
        if let Some(info) = self.world.remove_player(player) {
            report(self.ns.to(self.room()).player_left(&info), "player_left");
        }
    }

    fn add(&mut self, join: JoinRequest) {
        let info = self.world.add_player(join.name);
        report(
            self.ns.to(self.room()).player_joined(&info),
            "player_joined",
        );
        self.seats.insert(info.id, join.sid);
        if let Some(socket) = self.ns.socket(join.sid) {
            socket.join(self.room());
        }
        let answer = MatchInfo {
            match_id: self.handle.id,
            player_id: info.id,
            players: self.world.players(),
            arena_width: ARENA_WIDTH,
            arena_height: ARENA_HEIGHT,
            tick_rate_hz: TICK_RATE_HZ,
            ticks_left: self.world.ticks_left(),
        };
        if join.reply.send(answer).is_err() {
            self.remove(info.id);
        }
    }

    /// Ends the match: no one may join it any more, its players are freed (so they
    /// may join another), told the result, and taken out of its room.
    fn finish(&mut self) {
        lock(&self.matchmaker).close(self.handle.id);
        let closed = Inbox {
            closed: true,
            ..Inbox::default()
        };
        drop(mem::replace(&mut *lock(&self.handle.inbox), closed));
        let sockets: Vec<_> = self
            .seats
            .values()
            .filter_map(|sid| self.ns.socket(*sid))
            .collect();
        for socket in &sockets {
            socket.with_data(|session: &mut Session| session.end_match(self.handle.id));
        }
        let result = self.world.result(self.handle.id);
        report(self.ns.to(self.room()).match_over(&result), "match_over");
        for socket in &sockets {
            socket.leave(self.room());
        }
    }
}

fn report(sent: Result<(), EmitError>, event: &str) {
    if let Err(error) = sent {
        tracing::warn!(%error, event, "not broadcast");
    }
}
