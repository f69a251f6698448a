//! Values stored with a socket, by type (`Socket::insert_data` and the like).
//!
//! Each value sits in a slot of its own, and no lock of the socket is held while a
//! closure given to `with_data` runs: inside it, the socket and its other values
//! may be used freely. The value the closure is working on, asked for again from
//! inside the closure, reads as absent instead of deadlocking; other threads wait
//! for the closure to finish.

use parking_lot::{Mutex, MutexGuard};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::thread::{self, ThreadId};

/// The values of one socket, shared with a socket that recovers it.
///
/// A map of its own rather than `http::Extensions`: `Extensions::insert` asks for
/// `T: Clone`, which `Socket::insert_data` does not (a channel's receiver, a
/// connection handle), and `Extensions` is changed through `&mut`, so it would sit
/// behind one lock held for the whole of a `with_data` closure, where a call back
/// into the socket's data would deadlock. Here each value has a lock of its own,
/// and the map's lock is held only to find or replace a slot; the cost is one
/// `Arc` per stored value, paid when it is inserted.
#[derive(Default)]
pub(crate) struct SocketData {
    slots: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

/// One value, and the thread running a `with_data` closure on it.
struct Slot<T> {
    value: Mutex<Option<T>>,
    holder: Mutex<Option<ThreadId>>,
}

impl<T: Send + Sync + 'static> Slot<T> {
    /// Locks the value; `None` when this thread is inside a `with_data` closure
    /// on it already.
    fn lock(&self) -> Option<MutexGuard<'_, Option<T>>> {
        if let Some(guard) = self.value.try_lock() {
            return Some(guard);
        }
        if *self.holder.lock() == Some(thread::current().id()) {
            return None;
        }
        Some(self.value.lock())
    }
}

/// Clears a slot's holder when the closure ends, even by a panic.
struct Holding<'a>(&'a Mutex<Option<ThreadId>>);

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        *self.0.lock() = None;
    }
}

impl SocketData {
    fn slot<T: Send + Sync + 'static>(&self) -> Option<Arc<Slot<T>>> {
        let slot = self.slots.lock().get(&TypeId::of::<T>())?.clone();
        slot.downcast::<Slot<T>>().ok()
    }

    /// Stores `value`, replacing any value of its type.
    pub(crate) fn insert<T: Send + Sync + 'static>(&self, value: T) {
        let slot = Slot {
            value: Mutex::new(Some(value)),
            holder: Mutex::new(None),
        };
        let replaced = self.slots.lock().insert(TypeId::of::<T>(), Arc::new(slot));
        // The replaced value is dropped here, outside the lock.
        drop(replaced);
    }

    /// A copy of the value of type `T`.
    pub(crate) fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        let slot = self.slot::<T>()?;
        let value = slot.lock()?;
        value.clone()
    }

    /// Runs `f` on the value of type `T`, holding only that value's lock.
    pub(crate) fn with<T: Send + Sync + 'static, R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
    ) -> Option<R> {
        let slot = self.slot::<T>()?;
        let mut value = slot.lock()?;
        *slot.holder.lock() = Some(thread::current().id());
        let _holding = Holding(&slot.holder);
        value.as_mut().map(f)
    }

    /// Removes and returns the value of type `T`.
    pub(crate) fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        let slot = self.slot::<T>()?;
        let value = slot.lock()?.take();
        let mut slots = self.slots.lock();
        let current = slots.get(&TypeId::of::<T>());
        if current
            .is_some_and(|current| std::ptr::addr_eq(Arc::as_ptr(current), Arc::as_ptr(&slot)))
        {
            slots.remove(&TypeId::of::<T>());
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_by_type() {
        let data = SocketData::default();
        data.insert(3u32);
        data.insert("name".to_owned());
        assert_eq!(data.get::<u32>(), Some(3));
        assert_eq!(data.with(|value: &mut u32| *value += 1), Some(()));
        assert_eq!(data.remove::<u32>(), Some(4));
        assert_eq!(data.get::<u32>(), None);
        assert_eq!(data.get::<String>().as_deref(), Some("name"));
    }

    #[test]
    fn the_closure_may_use_every_value_and_sees_its_own_as_absent() {
        let data = SocketData::default();
        data.insert(1u32);
        data.insert(2u64);
        let seen = data.with(|value: &mut u32| {
            *value += 10;
            data.insert(5u8);
            (data.get::<u64>(), data.get::<u32>(), data.remove::<u32>())
        });
        assert_eq!(seen, Some((Some(2), None, None)));
        assert_eq!(data.get::<u32>(), Some(11));
        assert_eq!(data.get::<u8>(), Some(5));
    }

    #[test]
    fn other_threads_wait_for_the_closure() {
        let data = Arc::new(SocketData::default());
        data.insert(0u32);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let data = data.clone();
                thread::spawn(move || {
                    for _ in 0..1000 {
                        data.with(|value: &mut u32| *value += 1);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(data.get::<u32>(), Some(4000));
    }
}
