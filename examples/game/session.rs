//! What the server keeps per socket: where it is seated, and how fast its
//! inputs come. Stored in the socket's data, so checking an input takes that one
//! socket's lock and nothing shared.

use std::time::Instant;

use tether_examples::game::{
    GameError, GameErrorCode, INPUT_BURST, INPUTS_PER_SECOND, MatchId, PlayerId,
};

use crate::match_loop::MatchHandle;

/// A seat in a running match.
#[derive(Clone)]
pub struct Membership {
    /// The match's loop.
    pub handle: MatchHandle,
    /// The socket's player in it.
    pub player: PlayerId,
}

enum Seat {
    /// In no match.
    Idle,
    /// `join_match` is waiting for the match's loop.
    Joining,
    /// Playing.
    Playing(Membership),
    /// The socket disconnected.
    Gone,
}

/// Allows `rate` events a second on average and `burst` at once.
struct TokenBucket {
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn full(now: Instant) -> Self {
        TokenBucket {
            tokens: f64::from(INPUT_BURST),
            updated: now,
        }
    }

    fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = now;
        self.tokens =
            (self.tokens + elapsed * f64::from(INPUTS_PER_SECOND)).min(f64::from(INPUT_BURST));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One socket's state.
pub struct Session {
    seat: Seat,
    inputs: TokenBucket,
    last_seq: u32,
}

impl Session {
    /// A session in no match, its input allowance full.
    pub fn new(now: Instant) -> Self {
        Session {
            seat: Seat::Idle,
            inputs: TokenBucket::full(now),
            last_seq: 0,
        }
    }

    /// Starts joining a match; refused unless the socket is in none.
    pub fn begin_join(&mut self) -> Result<(), GameError> {
        match self.seat {
            Seat::Idle => {
                self.seat = Seat::Joining;
                Ok(())
            }
            _ => Err(GameError::new(
                GameErrorCode::AlreadyInMatch,
                "leave your match before joining another",
            )),
        }
    }

    /// Ends a join that found no seat.
    pub fn cancel_join(&mut self) {
        if matches!(self.seat, Seat::Joining) {
            self.seat = Seat::Idle;
        }
    }

    /// Seats the socket in the match it joined; gives the membership back when the
    /// socket disconnected meanwhile, for the caller to release.
    pub fn finish_join(&mut self, membership: Membership) -> Result<(), Membership> {
        match self.seat {
            Seat::Joining => {
                self.seat = Seat::Playing(membership);
                self.last_seq = 0;
                Ok(())
            }
            _ => Err(membership),
        }
    }

    /// Leaves the match the socket plays in, if any.
    pub fn leave(&mut self) -> Option<Membership> {
        match std::mem::replace(&mut self.seat, Seat::Idle) {
            Seat::Playing(membership) => Some(membership),
            other => {
                self.seat = other;
                None
            }
        }
    }

    /// Marks the socket gone; returns the seat to release, if it had one.
    pub fn disconnect(&mut self) -> Option<Membership> {
        match std::mem::replace(&mut self.seat, Seat::Gone) {
            Seat::Playing(membership) => Some(membership),
            _ => None,
        }
    }

    /// Frees the socket from match `id`, which is over.
    pub fn end_match(&mut self, id: MatchId) {
        if matches!(&self.seat, Seat::Playing(m) if m.handle.id() == id) {
            self.seat = Seat::Idle;
        }
    }

    /// Checks an input: the socket must play in a match, stay within its input
    /// rate, and number the input above the last accepted one.
    pub fn accept_input(&mut self, now: Instant, seq: u32) -> Result<Membership, GameError> {
        let Seat::Playing(membership) = &self.seat else {
            return Err(GameError::new(
                GameErrorCode::NotInMatch,
                "join a match before sending inputs",
            ));
        };
        if !self.inputs.try_take(now) {
            return Err(GameError::new(
                GameErrorCode::RateLimited,
                format!("at most {INPUTS_PER_SECOND} inputs a second (bursts of {INPUT_BURST})"),
            ));
        }
        if seq <= self.last_seq {
            return Err(GameError::new(
                GameErrorCode::StaleInput,
                format!("seq {seq} is not above the last accepted {}", self.last_seq),
            ));
        }
        self.last_seq = seq;
        Ok(membership.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn membership(id: MatchId) -> Membership {
        Membership {
            handle: MatchHandle::detached(id),
            player: 1,
        }
    }

    fn code(result: Result<Membership, GameError>) -> Option<GameErrorCode> {
        result.err().map(|error| error.code)
    }

    fn playing(now: Instant) -> Session {
        let mut session = Session::new(now);
        session.begin_join().unwrap();
        assert!(session.finish_join(membership(1)).is_ok());
        session
    }

    #[test]
    fn a_socket_joins_one_match_at_a_time() {
        let now = Instant::now();
        let mut session = Session::new(now);
        assert!(session.leave().is_none());
        session.begin_join().unwrap();
        assert_eq!(
            session.begin_join().unwrap_err().code,
            GameErrorCode::AlreadyInMatch
        );
        session.cancel_join();
        session.begin_join().unwrap();
        assert!(session.finish_join(membership(1)).is_ok());
        assert!(session.begin_join().is_err());
        assert_eq!(session.leave().map(|m| m.handle.id()), Some(1));
        assert!(session.begin_join().is_ok());
    }

    #[test]
    fn a_join_finished_after_a_disconnect_is_handed_back() {
        let mut session = Session::new(Instant::now());
        session.begin_join().unwrap();
        assert!(session.disconnect().is_none());
        assert!(session.finish_join(membership(1)).is_err());
        assert!(session.begin_join().is_err());
    }

    #[test]
    fn the_end_of_a_match_frees_its_players_only() {
        let now = Instant::now();
        let mut session = playing(now);
        session.end_match(2);
        assert!(session.begin_join().is_err());
        session.end_match(1);
        assert_eq!(
            code(session.accept_input(now, 1)),
            Some(GameErrorCode::NotInMatch)
        );
        assert!(session.begin_join().is_ok());
    }

    #[test]
    fn inputs_need_a_match_and_increasing_seqs() {
        let now = Instant::now();
        let mut idle = Session::new(now);
        assert_eq!(
            code(idle.accept_input(now, 1)),
            Some(GameErrorCode::NotInMatch)
        );
        let mut session = playing(now);
        assert_eq!(
            code(session.accept_input(now, 0)),
            Some(GameErrorCode::StaleInput)
        );
        assert!(session.accept_input(now, 3).is_ok());
        assert_eq!(
            code(session.accept_input(now, 3)),
            Some(GameErrorCode::StaleInput)
        );
        assert!(session.accept_input(now, 4).is_ok());
    }

    #[test]
    fn inputs_are_limited_to_a_burst_then_a_steady_rate() {
        let start = Instant::now();
        let mut session = playing(start);
        let mut seq = 0;
        let mut send = |session: &mut Session, at: Instant| {
            seq += 1;
            session.accept_input(at, seq)
        };
        for _ in 0..INPUT_BURST {
            assert!(send(&mut session, start).is_ok());
        }
        assert_eq!(
            code(send(&mut session, start)),
            Some(GameErrorCode::RateLimited)
        );
        let one_input_later =
            start + Duration::from_secs(1) / INPUTS_PER_SECOND + Duration::from_millis(1);
        assert!(send(&mut session, one_input_later).is_ok());
        assert_eq!(
            code(send(&mut session, one_input_later)),
            Some(GameErrorCode::RateLimited)
        );
        let much_later = start + Duration::from_secs(60);
        let accepted = (0..2 * INPUT_BURST)
            .filter(|_| send(&mut session, much_later).is_ok())
            .count();
        assert_eq!(
            accepted, INPUT_BURST as usize,
            "the allowance never exceeds the burst"
        );
    }
}
