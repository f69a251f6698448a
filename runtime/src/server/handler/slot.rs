//! A handler future's own allocation, reused on the same thread once the future
//! is done, so that handlers that finish on their first poll allocate nothing.
//!
//! Each thread keeps a few free allocations, each for one future type, of
//! [`MAX_SLOT_SIZE`] bytes at most: [`MAX_FREE_SLOTS`] of them, the oldest
//! making room for a newer one.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::peer::HandlerResult;

/// How many free allocations a thread keeps.
pub(super) const MAX_FREE_SLOTS: usize = 8;

/// The largest allocation (in bytes) a thread keeps for reuse.
pub(super) const MAX_SLOT_SIZE: usize = 16 * 1024;

/// A free allocation: a box of `Option<F>` holding `None`, and the `TypeId` of
/// `Option<F>`.
type FreeSlot = (TypeId, Box<dyn Any>);

thread_local! {
    /// The free allocations of this thread.
    static FREE_SLOTS: RefCell<Vec<FreeSlot>> = const { RefCell::new(Vec::new()) };
}

/// A handler's future pinned in its own allocation, which goes back to the
/// thread's free allocations when the future is done ([`Slot::recycle`]). Its
/// output is reported (an error is logged) as the output of a `what` handler.
pub(super) struct Slot<F> {
    future: Pin<Box<Option<F>>>,
    what: &'static str,
}

impl<F: Future + Send + 'static> Slot<F>
where
    F::Output: HandlerResult,
{
    /// Pins `future` in a free allocation of this thread, or a new one.
    #[inline]
    pub(super) fn new(future: F, what: &'static str) -> Slot<F> {
        let place = match take_free::<Option<F>>() {
            Some(mut place) => {
                // A free allocation holds `None`: nothing is dropped here.
                *place = Some(future);
                place
            }
            None => Box::new(Some(future)),
        };
        Slot {
            future: Box::into_pin(place),
            what,
        }
    }

    /// Drops the future where it is and keeps its allocation for the next future
    /// of the same type on this thread.
    #[inline]
    pub(super) fn recycle(mut self) {
        self.future.set(None);
        if size_of::<Option<F>>() > MAX_SLOT_SIZE {
            return;
        }
        #[allow(unsafe_code)]
        // SAFETY: `Pin::set` just ran the future's destructor in place, so the
        // pinned `F` was dropped before its memory is reused, as pinning
        // requires, and the box now holds `None`. `Option<F>` pins only its
        // `Some` payload (the one projection used is `Option::as_pin_mut`), so
        // the allocation holds no pinned value any more; taking the box out of
        // its `Pin` moves nothing but the pointer, and the next `F` written there
        // is pinned anew by `Box::into_pin` before it is polled.
        let place = unsafe { Pin::into_inner_unchecked(self.future) };
        give_back(place);
    }
}

impl<F: Future> Future for Slot<F>
where
    F::Output: HandlerResult,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let slot = self.get_mut();
        match slot.future.as_mut().as_pin_mut() {
            Some(future) => future.poll(cx).map(|output| output.report(slot.what)),
            None => Poll::Ready(()),
        }
    }
}

/// A free allocation of this thread for a `T`, if there is one.
#[inline]
fn take_free<T: 'static>() -> Option<Box<T>> {
    let wanted = TypeId::of::<T>();
    FREE_SLOTS
        .try_with(|free| {
            let mut free = free.try_borrow_mut().ok()?;
            let index = free.iter().position(|(kind, _)| *kind == wanted)?;
            free.swap_remove(index).1.downcast::<T>().ok()
        })
        .ok()
        .flatten()
}

/// Keeps `place` among this thread's free allocations (or frees it while the
/// thread is being torn down).
#[inline]
fn give_back<T: 'static>(place: Box<T>) {
    let _ = FREE_SLOTS.try_with(move |free| {
        if let Ok(mut free) = free.try_borrow_mut() {
            if free.len() >= MAX_FREE_SLOTS {
                free.remove(0);
            }
            free.push((TypeId::of::<T>(), place));
        }
    });
}

/// How many free allocations this thread keeps now.
#[cfg(test)]
pub(super) fn free_slot_count() -> usize {
    FREE_SLOTS.with(|free| free.borrow().len())
}
