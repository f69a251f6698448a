//! [`Wake`]: wakes the one task that drives a session, without a lock.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// A wake-up signal for a single waiting task. A wake-up sent while nobody waits is
/// kept, so the next wait returns at once; several are merged into one.
#[derive(Default)]
pub(crate) struct Wake {
    woken: AtomicBool,
    waker: AtomicWaker,
}

impl Wake {
    /// Wakes the waiting task, or the next one to wait.
    pub(crate) fn notify_one(&self) {
        self.woken.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Resolves once a wake-up has been sent since the last one was consumed.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a wake-up is only consumed when the future resolves.
    pub(crate) fn notified(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| self.poll_notified(cx))
    }

    /// Ready, consuming it, when a wake-up was sent; otherwise registers `cx`.
    pub(crate) fn poll_notified(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.woken.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        if self.woken.swap(false, Ordering::AcqRel) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_sent_before_waiting_is_kept() {
        let wake = Wake::default();
        wake.notify_one();
        wake.notify_one();
        wake.notified().await;
        let second = tokio::time::timeout(std::time::Duration::from_millis(20), wake.notified());
        assert!(second.await.is_err(), "two wake-ups merge into one");
    }

    #[tokio::test]
    async fn wakes_a_waiting_task() {
        let wake = std::sync::Arc::new(Wake::default());
        let waiter = tokio::spawn({
            let wake = wake.clone();
            async move { wake.notified().await }
        });
        tokio::task::yield_now().await;
        wake.notify_one();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joined");
    }
}
