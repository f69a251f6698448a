//! Room names and the conversions `join`, `leave`, `to` and `except` accept, shared
//! by the server and the adapters; `tether::server` re-exports both items.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use crate::engine::Sid;

/// The name of a room. Cheap to clone.
///
/// Anything that converts into a `Room` (strings, socket ids, or an application's own
/// room type with a `From` impl) can be passed where rooms are expected.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Room(Arc<str>);

impl Room {
    /// A room with this name.
    pub fn new(name: impl AsRef<str>) -> Room {
        Room(Arc::from(name.as_ref()))
    }

    /// The room's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for Room {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Room {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Room {
    fn from(name: &str) -> Room {
        Room::new(name)
    }
}

impl From<&&str> for Room {
    fn from(name: &&str) -> Room {
        Room::new(name)
    }
}

impl From<&String> for Room {
    fn from(name: &String) -> Room {
        Room::new(name)
    }
}

impl From<String> for Room {
    fn from(name: String) -> Room {
        Room(Arc::from(name))
    }
}

impl From<Sid> for Room {
    fn from(sid: Sid) -> Room {
        Room::new(sid.as_str())
    }
}

impl From<&Room> for Room {
    fn from(room: &Room) -> Room {
        room.clone()
    }
}

/// One room or several: what `join`, `leave`, `to` and `except` take.
///
/// Implemented for everything that converts into a [`Room`], and for arrays, slices
/// and vectors of those.
pub trait IntoRooms {
    /// The rooms, in order.
    fn into_rooms(self) -> Vec<Room>;
}

impl<T: Into<Room>> IntoRooms for T {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.into()]
    }
}

impl<T: Into<Room>> IntoRooms for Vec<T> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<T: Into<Room>, const N: usize> IntoRooms for [T; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<T> IntoRooms for &[T]
where
    for<'a> &'a T: Into<Room>,
{
    fn into_rooms(self) -> Vec<Room> {
        self.iter().map(Into::into).collect()
    }
}
