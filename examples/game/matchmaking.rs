//! Matchmaking: which match a joining player gets a seat in, and when a match
//! is no longer anyone's. Only `join_match`, leaving and a match's end consult
//! it; inputs and ticks never do.

use std::collections::BTreeMap;

use tether_examples::game::MatchId;

/// The limits matchmaking keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most players one match seats.
    pub players_per_match: usize,
    /// The most matches running at once.
    pub max_matches: usize,
}

/// Every match is full and no other may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerFull;

/// What a released seat left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    /// Others are still seated in the match.
    Occupied,
    /// It was the last seat: the match is forgotten and should stop.
    Emptied,
}

struct Seats<H> {
    taken: usize,
    handle: H,
}

/// The open matches with how many seats each has taken, and a handle `H` to
/// reach each one's loop.
pub struct Matchmaker<H> {
    limits: Limits,
    matches: BTreeMap<MatchId, Seats<H>>,
    next_id: MatchId,
}

impl<H> Matchmaker<H> {
    /// A matchmaker with no match yet.
    pub fn new(limits: Limits) -> Self {
        Matchmaker {
            limits,
            matches: BTreeMap::new(),
            next_id: 1,
        }
    }

    /// Takes a seat in the fullest match with one free (the oldest of equals), or
    /// in a new match made by `open` when none has; returns its id and handle.
    pub fn seat(&mut self, open: impl FnOnce(MatchId) -> H) -> Result<(MatchId, &H), ServerFull> {
        let fullest = self
            .matches
            .iter()
            .filter(|(_, seats)| seats.taken < self.limits.players_per_match)
            .max_by(|(a_id, a), (b_id, b)| a.taken.cmp(&b.taken).then(b_id.cmp(a_id)))
            .map(|(id, _)| *id);
        let id = match fullest {
            Some(id) => id,
            None if self.matches.len() < self.limits.max_matches => {
                let id = self.unused_id();
                self.matches.insert(
                    id,
                    Seats {
                        taken: 0,
                        handle: open(id),
                    },
                );
                id
            }
            None => return Err(ServerFull),
        };
        let seats = self.matches.get_mut(&id).ok_or(ServerFull)?;
        seats.taken += 1;
        Ok((id, &seats.handle))
    }

    fn unused_id(&mut self) -> MatchId {
        while self.matches.contains_key(&self.next_id) {
            self.next_id = self.next_id.wrapping_add(1).max(1);
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    /// Gives a seat of match `id` back; `None` when that match is over already.
    pub fn release(&mut self, id: MatchId) -> Option<Released> {
        let seats = self.matches.get_mut(&id)?;
        seats.taken = seats.taken.saturating_sub(1);
        if seats.taken > 0 {
            return Some(Released::Occupied);
        }
        self.matches.remove(&id);
        Some(Released::Emptied)
    }

    /// Forgets match `id`, which is over: nobody is seated in it any more.
    pub fn close(&mut self, id: MatchId) -> Option<H> {
        self.matches.remove(&id).map(|seats| seats.handle)
    }

    /// How many matches are open.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.matches.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matchmaker(players_per_match: usize, max_matches: usize) -> Matchmaker<MatchId> {
        Matchmaker::new(Limits {
            players_per_match,
            max_matches,
        })
    }

    fn seat(matchmaker: &mut Matchmaker<MatchId>) -> Result<MatchId, ServerFull> {
        matchmaker.seat(|id| id).map(|(id, handle)| {
            assert_eq!(id, *handle);
            id
        })
    }

    #[test]
    fn a_match_fills_up_before_another_opens() {
        let mut matchmaker = matchmaker(3, 10);
        let seated: Vec<MatchId> = (0..7).map(|_| seat(&mut matchmaker).unwrap()).collect();
        assert_eq!(seated, [1, 1, 1, 2, 2, 2, 3]);
        assert_eq!(matchmaker.len(), 3);
    }

    #[test]
    fn players_go_to_the_fullest_match_with_room() {
        let mut matchmaker = matchmaker(3, 10);
        for _ in 0..6 {
            seat(&mut matchmaker).unwrap();
        }
        assert_eq!(matchmaker.release(1), Some(Released::Occupied));
        assert_eq!(matchmaker.release(1), Some(Released::Occupied));
        assert_eq!(matchmaker.release(2), Some(Released::Occupied));
        assert_eq!(seat(&mut matchmaker), Ok(2));
        assert_eq!(seat(&mut matchmaker), Ok(1));
    }

    #[test]
    fn the_last_release_forgets_the_match_and_ids_are_not_reused() {
        let mut matchmaker = matchmaker(2, 10);
        assert_eq!(seat(&mut matchmaker), Ok(1));
        assert_eq!(matchmaker.release(1), Some(Released::Emptied));
        assert_eq!(matchmaker.release(1), None);
        assert_eq!(matchmaker.len(), 0);
        assert_eq!(seat(&mut matchmaker), Ok(2));
    }

    #[test]
    fn no_match_opens_past_the_limit() {
        let mut matchmaker = matchmaker(1, 2);
        assert_eq!(seat(&mut matchmaker), Ok(1));
        assert_eq!(seat(&mut matchmaker), Ok(2));
        assert_eq!(seat(&mut matchmaker), Err(ServerFull));
        assert_eq!(matchmaker.close(1), Some(1));
        assert_eq!(matchmaker.close(1), None);
        assert_eq!(seat(&mut matchmaker), Ok(3));
    }
}
