//! The chat's rooms: who is in each, and its recent messages, in bounded memory.

use std::collections::{HashMap, VecDeque};

use tether::engine::Sid;
use tether_examples::chat::{HISTORY_LEN, Message, RoomName};

/// How many rooms keep a history; past that, the history of the room idle the
/// longest is dropped.
pub const MAX_HISTORY_ROOMS: usize = 256;

#[derive(Default)]
struct Room {
    /// Members in the order they joined: socket id and name.
    members: Vec<(Sid, String)>,
    /// At most [`HISTORY_LEN`] messages, oldest first.
    history: VecDeque<Message>,
    /// When it last had a message, on the [`Rooms::clock`].
    active: u64,
}

impl Room {
    /// Member names in join order, each once.
    fn users(&self) -> Vec<String> {
        let mut users: Vec<String> = Vec::with_capacity(self.members.len());
        for (_, name) in &self.members {
            if !users.contains(name) {
                users.push(name.clone());
            }
        }
        users
    }

    fn is_idle(&self) -> bool {
        self.members.is_empty() && self.history.is_empty()
    }
}

/// Every room with members or history.
#[derive(Default)]
pub struct Rooms {
    rooms: HashMap<RoomName, Room>,
    clock: u64,
}

impl Rooms {
    /// Adds a member; returns the room's users when it was not one already.
    pub fn add(&mut self, room: &RoomName, sid: Sid, name: String) -> Option<Vec<String>> {
        let entry = self.rooms.entry(room.clone()).or_default();
        if entry.members.iter().any(|(member, _)| *member == sid) {
            return None;
        }
        entry.members.push((sid, name));
        Some(entry.users())
    }

    /// Removes a member; returns the remaining users when it was one.
    pub fn remove(&mut self, room: &RoomName, sid: Sid) -> Option<Vec<String>> {
        let entry = self.rooms.get_mut(room)?;
        let position = entry
            .members
            .iter()
            .position(|(member, _)| *member == sid)?;
        entry.members.remove(position);
        let users = entry.users();
        if entry.is_idle() {
            self.rooms.remove(room);
        }
        Some(users)
    }

    /// Removes a member from every room; returns each room it left with the
    /// remaining users.
    pub fn remove_everywhere(&mut self, sid: Sid) -> Vec<(RoomName, Vec<String>)> {
        let joined: Vec<RoomName> = self
            .rooms
            .iter()
            .filter(|(_, room)| room.members.iter().any(|(member, _)| *member == sid))
            .map(|(name, _)| name.clone())
            .collect();
        joined
            .into_iter()
            .filter_map(|name| self.remove(&name, sid).map(|users| (name, users)))
            .collect()
    }

    /// Whether `sid` has joined `room`.
    pub fn is_member(&self, room: &RoomName, sid: Sid) -> bool {
        self.rooms
            .get(room)
            .is_some_and(|room| room.members.iter().any(|(member, _)| *member == sid))
    }

    /// The room's last messages, oldest first.
    pub fn history(&self, room: &RoomName) -> Vec<Message> {
        self.rooms
            .get(room)
            .map(|room| room.history.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Keeps a message in its room's history.
    pub fn record(&mut self, message: Message) {
        self.clock += 1;
        let name = message.room.clone();
        let room = self.rooms.entry(name.clone()).or_default();
        room.active = self.clock;
        room.history.push_back(message);
        while room.history.len() > HISTORY_LEN {
            room.history.pop_front();
        }
        self.forget_idle_histories(&name);
    }

    /// Drops the histories of the rooms idle the longest until at most
    /// [`MAX_HISTORY_ROOMS`] keep one.
    fn forget_idle_histories(&mut self, current: &RoomName) {
        loop {
            let with_history = self
                .rooms
                .values()
                .filter(|room| !room.history.is_empty())
                .count();
            if with_history <= MAX_HISTORY_ROOMS {
                return;
            }
            let oldest = self
                .rooms
                .iter()
                .filter(|(name, room)| *name != current && !room.history.is_empty())
                .min_by_key(|(_, room)| room.active)
                .map(|(name, _)| name.clone());
            let Some(oldest) = oldest else { return };
            if let Some(room) = self.rooms.get_mut(&oldest) {
                room.history.clear();
                if room.is_idle() {
                    self.rooms.remove(&oldest);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(name: &str) -> RoomName {
        RoomName::new(name).unwrap()
    }

    fn message(id: u64, room_name: &str) -> Message {
        Message {
            id,
            room: room(room_name),
            from: "ada".into(),
            text: format!("#{id}"),
            at: 0,
        }
    }

    #[test]
    fn history_keeps_the_last_messages_oldest_first() {
        let mut rooms = Rooms::default();
        for id in 1..=60 {
            rooms.record(message(id, "a"));
        }
        let ids: Vec<u64> = rooms.history(&room("a")).iter().map(|m| m.id).collect();
        assert_eq!(ids, (11..=60).collect::<Vec<_>>());
    }

    #[test]
    fn histories_are_bounded_by_room_count() {
        let mut rooms = Rooms::default();
        for index in 0..(MAX_HISTORY_ROOMS as u64 + 10) {
            rooms.record(message(index, &format!("r{index}")));
        }
        assert!(rooms.rooms.len() <= MAX_HISTORY_ROOMS);
        assert!(rooms.history(&room("r0")).is_empty());
        assert_eq!(
            rooms
                .history(&room(&format!("r{}", MAX_HISTORY_ROOMS + 9)))
                .len(),
            1
        );
    }

    #[test]
    fn membership_changes_report_users_once_each() {
        let mut rooms = Rooms::default();
        let (a, b, c) = (Sid::random(), Sid::random(), Sid::random());
        assert_eq!(
            rooms.add(&room("x"), a, "ada".into()),
            Some(vec!["ada".into()])
        );
        assert_eq!(rooms.add(&room("x"), a, "ada".into()), None);
        rooms.add(&room("x"), b, "bob".into());
        assert_eq!(
            rooms.add(&room("x"), c, "ada".into()),
            Some(vec!["ada".into(), "bob".into()])
        );
        assert_eq!(rooms.remove(&room("x"), b), Some(vec!["ada".into()]));
        assert_eq!(rooms.remove(&room("x"), b), None);
        assert_eq!(
            rooms.remove_everywhere(a),
            vec![(room("x"), vec!["ada".to_string()])]
        );
        assert_eq!(rooms.remove_everywhere(c), vec![(room("x"), vec![])]);
        assert!(rooms.rooms.is_empty());
    }
}
