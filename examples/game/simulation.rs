//! The arena's rules, free of networking and clocks: players steer, move every
//! tick, and collect coins. Deterministic for a given seed.

use tether_examples::game::{
    ARENA_HEIGHT, ARENA_WIDTH, COINS_PER_MATCH, Coin, Direction, MatchId, MatchResult,
    PICKUP_RADIUS, PLAYER_SPEED, PlayerId, PlayerInfo, PlayerName, PlayerState, Snapshot, Standing,
};

/// How far from the walls players appear, in arena units.
const SPAWN_MARGIN: u32 = 100;

/// A small, fast pseudo-random generator (SplitMix64): the world's only source of
/// chance, so a seed replays a match.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number from `low` to `high`, both included.
    fn between(&mut self, low: u32, high: u32) -> u32 {
        let span = u64::from(high - low) + 1;
        low + (self.next() % span) as u32
    }
}

struct Player {
    info: PlayerInfo,
    x: u32,
    y: u32,
    direction: Direction,
    score: u32,
    last_seq: u32,
}

impl Player {
    fn advance(&mut self) {
        match self.direction {
            Direction::Stop => {}
            Direction::Up => self.y = self.y.saturating_sub(PLAYER_SPEED),
            Direction::Down => self.y = (self.y + PLAYER_SPEED).min(ARENA_HEIGHT),
            Direction::Left => self.x = self.x.saturating_sub(PLAYER_SPEED),
            Direction::Right => self.x = (self.x + PLAYER_SPEED).min(ARENA_WIDTH),
        }
    }

    fn reaches(&self, coin: &Coin) -> bool {
        let dx = u64::from(self.x.abs_diff(coin.x));
        let dy = u64::from(self.y.abs_diff(coin.y));
        let radius = u64::from(PICKUP_RADIUS);
        dx * dx + dy * dy <= radius * radius
    }
}

/// One match's world: its players, its coins and its clock.
pub struct World {
    tick: u64,
    length_ticks: u64,
    players: Vec<Player>,
    coins: Vec<Coin>,
    next_player_id: PlayerId,
    next_coin_id: u32,
    rng: SplitMix64,
}

impl World {
    /// A world with its coins laid out and no players, over after `length_ticks`
    /// ticks.
    pub fn new(seed: u64, length_ticks: u64) -> Self {
        let mut world = World {
            tick: 0,
            length_ticks,
            players: Vec::new(),
            coins: Vec::with_capacity(COINS_PER_MATCH),
            next_player_id: 1,
            next_coin_id: 1,
            rng: SplitMix64(seed),
        };
        for _ in 0..COINS_PER_MATCH {
            let coin = world.new_coin();
            world.coins.push(coin);
        }
        world
    }

    fn new_coin(&mut self) -> Coin {
        let id = self.next_coin_id;
        self.next_coin_id += 1;
        Coin {
            id,
            x: self.rng.between(PICKUP_RADIUS, ARENA_WIDTH - PICKUP_RADIUS),
            y: self
                .rng
                .between(PICKUP_RADIUS, ARENA_HEIGHT - PICKUP_RADIUS),
        }
    }

    /// Adds a player, standing still somewhere away from the walls.
    pub fn add_player(&mut self, name: PlayerName) -> PlayerInfo {
        let info = PlayerInfo {
            id: self.next_player_id,
            name,
        };
        self.next_player_id += 1;
        let x = self.rng.between(SPAWN_MARGIN, ARENA_WIDTH - SPAWN_MARGIN);
        let y = self.rng.between(SPAWN_MARGIN, ARENA_HEIGHT - SPAWN_MARGIN);
        self.players.push(Player {
            info: info.clone(),
            x,
            y,
            direction: Direction::Stop,
            score: 0,
            last_seq: 0,
        });
        info
    }

    /// Removes a player; returns it if it was there.
    pub fn remove_player(&mut self, id: PlayerId) -> Option<PlayerInfo> {
        let position = self.players.iter().position(|p| p.info.id == id)?;
        Some(self.players.remove(position).info)
    }

    /// Every player, in joining order.
    pub fn players(&self) -> Vec<PlayerInfo> {
        self.players.iter().map(|p| p.info.clone()).collect()
    }

    /// Steers a player from the next tick on, unless `seq` is not above the last
    /// one applied; returns whether it was applied.
    pub fn steer(&mut self, id: PlayerId, seq: u32, direction: Direction) -> bool {
        match self.players.iter_mut().find(|p| p.info.id == id) {
            Some(player) if seq > player.last_seq => {
                player.direction = direction;
                player.last_seq = seq;
                true
            }
            _ => false,
        }
    }

    /// Advances one tick: every player moves, then each coin within reach of a
    /// player goes to the first of them in joining order and reappears elsewhere.
    pub fn step(&mut self) {
        if self.is_over() {
            return;
        }
        self.tick += 1;
        for player in &mut self.players {
            player.advance();
        }
        for index in 0..self.coins.len() {
            let coin = &self.coins[index];
            if let Some(player) = self.players.iter_mut().find(|p| p.reaches(coin)) {
                player.score += 1;
                self.coins[index] = self.new_coin();
            }
        }
    }

    /// How many ticks are left before the match is over.
    pub fn ticks_left(&self) -> u64 {
        self.length_ticks.saturating_sub(self.tick)
    }

    /// Whether the match has run its length.
    pub fn is_over(&self) -> bool {
        self.ticks_left() == 0
    }

    /// The state after the last tick.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            tick: self.tick,
            ticks_left: self.ticks_left(),
            players: self
                .players
                .iter()
                .map(|p| PlayerState {
                    id: p.info.id,
                    x: p.x,
                    y: p.y,
                    direction: p.direction,
                    score: p.score,
                    last_seq: p.last_seq,
                })
                .collect(),
            coins: self.coins.clone(),
        }
    }

    /// The standings: best score first, ties in joining order; the winners are
    /// those with the best score.
    pub fn result(&self, match_id: MatchId) -> MatchResult {
        let mut standings: Vec<Standing> = self
            .players
            .iter()
            .map(|p| Standing {
                id: p.info.id,
                name: p.info.name.clone(),
                score: p.score,
            })
            .collect();
        standings.sort_by_key(|standing| std::cmp::Reverse(standing.score));
        let best = standings.first().map(|s| s.score);
        let winners = standings
            .iter()
            .filter(|s| Some(s.score) == best)
            .map(|s| s.id)
            .collect();
        MatchResult {
            match_id,
            standings,
            winners,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> PlayerName {
        PlayerName::new(text).unwrap()
    }

    fn state(world: &World, id: PlayerId) -> PlayerState {
        world
            .snapshot()
            .players
            .into_iter()
            .find(|p| p.id == id)
            .unwrap()
    }

    /// A world whose coins lie far from `(x, y)`, with one player placed there.
    fn world_with_player_at(x: u32, y: u32) -> (World, PlayerId) {
        let mut world = World::new(7, 1_000);
        let id = world.add_player(name("ada")).id;
        world.players[0].x = x;
        world.players[0].y = y;
        for coin in &mut world.coins {
            coin.x = 0;
            coin.y = 0;
        }
        (world, id)
    }

    #[test]
    fn players_appear_standing_inside_the_margins_with_increasing_ids() {
        let mut world = World::new(1, 100);
        let ids: Vec<PlayerId> = (0..4).map(|_| world.add_player(name("p")).id).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
        for player in world.snapshot().players {
            assert!((SPAWN_MARGIN..=ARENA_WIDTH - SPAWN_MARGIN).contains(&player.x));
            assert!((SPAWN_MARGIN..=ARENA_HEIGHT - SPAWN_MARGIN).contains(&player.y));
            assert_eq!(player.direction, Direction::Stop);
            assert_eq!((player.score, player.last_seq), (0, 0));
        }
    }

    #[test]
    fn a_steered_player_moves_each_tick_until_stopped() {
        let (mut world, id) = world_with_player_at(400, 300);
        assert!(world.steer(id, 1, Direction::Right));
        world.step();
        world.step();
        assert_eq!((state(&world, id).x, state(&world, id).y), (420, 300));
        assert!(world.steer(id, 2, Direction::Up));
        world.step();
        assert_eq!((state(&world, id).x, state(&world, id).y), (420, 290));
        assert!(world.steer(id, 3, Direction::Stop));
        world.step();
        assert_eq!((state(&world, id).x, state(&world, id).y), (420, 290));
        assert_eq!(state(&world, id).last_seq, 3);
    }

    #[test]
    fn walls_stop_players() {
        let (mut world, id) = world_with_player_at(ARENA_WIDTH - 5, 3);
        world.steer(id, 1, Direction::Right);
        world.step();
        assert_eq!(state(&world, id).x, ARENA_WIDTH);
        world.steer(id, 2, Direction::Up);
        world.step();
        assert_eq!(state(&world, id).y, 0);
    }

    #[test]
    fn stale_inputs_and_unknown_players_change_nothing() {
        let (mut world, id) = world_with_player_at(400, 300);
        assert!(world.steer(id, 5, Direction::Left));
        assert!(!world.steer(id, 5, Direction::Right));
        assert!(!world.steer(id, 4, Direction::Right));
        assert!(!world.steer(id + 1, 9, Direction::Right));
        world.step();
        assert_eq!(state(&world, id).x, 390);
        assert_eq!(state(&world, id).last_seq, 5);
    }

    #[test]
    fn a_coin_within_reach_is_collected_and_replaced() {
        let (mut world, id) = world_with_player_at(400, 300);
        world.coins[2] = Coin {
            id: 99,
            x: 400 + PLAYER_SPEED + PICKUP_RADIUS,
            y: 300,
        };
        world.steer(id, 1, Direction::Right);
        world.step();
        let snapshot = world.snapshot();
        assert_eq!(snapshot.players[0].score, 1);
        assert_eq!(snapshot.coins.len(), COINS_PER_MATCH);
        assert!(snapshot.coins.iter().all(|coin| coin.id != 99));
        world.step();
        assert_eq!(state(&world, id).score, 1, "a coin is collected once");
    }

    #[test]
    fn the_match_is_over_after_its_length() {
        let mut world = World::new(3, 3);
        world.add_player(name("ada"));
        assert_eq!(world.ticks_left(), 3);
        for expected in [2, 1, 0] {
            assert!(!world.is_over());
            world.step();
            assert_eq!(world.snapshot().ticks_left, expected);
        }
        assert!(world.is_over());
        world.step();
        assert_eq!(world.snapshot().tick, 3, "an ended match stands still");
    }

    #[test]
    fn standings_rank_by_score_then_joining_order() {
        let mut world = World::new(5, 10);
        for player in ["ada", "bob", "cy"] {
            world.add_player(name(player));
        }
        world.players[1].score = 2;
        world.players[2].score = 2;
        let result = world.result(4);
        assert_eq!(result.match_id, 4);
        let ranked: Vec<(PlayerId, u32)> =
            result.standings.iter().map(|s| (s.id, s.score)).collect();
        assert_eq!(ranked, [(2, 2), (3, 2), (1, 0)]);
        assert_eq!(result.winners, [2, 3]);
        assert!(world.remove_player(2).is_some());
        assert!(world.remove_player(2).is_none());
        assert_eq!(world.result(4).winners, [3]);
    }

    #[test]
    fn a_seed_replays_the_same_match() {
        let play = || {
            let mut world = World::new(42, 50);
            let id = world.add_player(name("ada")).id;
            world.steer(id, 1, Direction::Down);
            for _ in 0..50 {
                world.step();
            }
            world.snapshot()
        };
        assert_eq!(play(), play());
    }
}
