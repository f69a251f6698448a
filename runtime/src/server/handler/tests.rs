//! How handler futures run: at once without a task, in a task once they wait,
//! with panics caught, every future dropped exactly once and the reused
//! allocations bounded.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::run::EventRun;
use super::slot::{MAX_FREE_SLOTS, MAX_SLOT_SIZE, free_slot_count};

/// Counts what the test futures do.
#[derive(Default)]
struct Counts {
    polls: AtomicUsize,
    drops: AtomicUsize,
    /// The address of the last future polled.
    address: AtomicUsize,
}

impl Counts {
    fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }

    fn address(&self) -> usize {
        self.address.load(Ordering::SeqCst)
    }
}

/// What a [`Probe`] does when polled.
#[derive(Clone, Copy, PartialEq)]
enum Then {
    Finish,
    Panic,
}

/// A future carrying `state`, that counts its polls and its drop, records where
/// it lives, and finishes or panics on its first poll.
struct Probe<S> {
    counts: Arc<Counts>,
    state: S,
    then: Then,
}

impl<S> Probe<S> {
    fn new(counts: &Arc<Counts>, state: S, then: Then) -> Probe<S> {
        Probe {
            counts: counts.clone(),
            state,
            then,
        }
    }
}

impl<S> Drop for Probe<S> {
    fn drop(&mut self) {
        self.counts.drops.fetch_add(1, Ordering::SeqCst);
    }
}

impl<S: Unpin> Future for Probe<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let address = std::ptr::from_ref(&*self) as usize;
        self.counts.address.store(address, Ordering::SeqCst);
        self.counts.polls.fetch_add(1, Ordering::SeqCst);
        std::hint::black_box(&self.state);
        match self.then {
            Then::Finish => Poll::Ready(()),
            Then::Panic => panic!("a test handler panicked on purpose"),
        }
    }
}

/// Data that must sit on a 64-byte boundary.
#[repr(align(64))]
#[derive(Clone, Copy)]
struct Aligned([u8; 64]);

/// Runs `future` as an event handler without a span or a runtime, nor a count
/// of waiting handlers.
fn run_plain<F: Future<Output = ()> + Send + 'static>(future: F) -> usize {
    let span = tracing::Span::none();
    EventRun::new(&span, None, None).unboxed(future)
}

#[test]
fn a_handler_that_finishes_at_once_reuses_its_allocation() {
    let counts = Arc::new(Counts::default());
    assert_eq!(run_plain(Probe::new(&counts, [7u64; 4], Then::Finish)), 0);
    let first = counts.address();
    assert_eq!(run_plain(Probe::new(&counts, [8u64; 4], Then::Finish)), 0);
    assert_eq!(
        counts.address(),
        first,
        "the second future lives where the first did"
    );
    assert_eq!((counts.polls(), counts.drops()), (2, 2));
}

#[test]
fn futures_of_any_size_and_alignment_run_and_are_dropped_once() {
    let counts = Arc::new(Counts::default());
    for round in 0..3 {
        run_plain(Probe::new(&counts, [round as u8; 4096], Then::Finish));
        let aligned = Aligned([round as u8; 64]);
        assert_eq!(aligned.0[63], round as u8);
        run_plain(Probe::new(&counts, aligned, Then::Finish));
        assert_eq!(counts.address() % 64, 0, "aligned to 64 bytes");
        run_plain(Probe::new(&counts, (Aligned([0; 64]), 1u8), Then::Finish));
        assert_eq!(counts.address() % 64, 0, "aligned to 64 bytes");
        run_plain(Probe::new(
            &counts,
            [round as u8; MAX_SLOT_SIZE + 1],
            Then::Finish,
        ));
    }
    assert_eq!((counts.polls(), counts.drops()), (12, 12));
}

#[test]
fn an_allocation_too_large_to_keep_is_freed() {
    let before = free_slot_count();
    let counts = Arc::new(Counts::default());
    run_plain(Probe::new(&counts, [1u8; MAX_SLOT_SIZE + 1], Then::Finish));
    assert_eq!(free_slot_count(), before);
    assert_eq!(counts.drops(), 1);
}

/// A future with no state at all, whose drops count in `ZERO_SIZED_DROPS`.
struct ZeroSized;

static ZERO_SIZED_DROPS: AtomicUsize = AtomicUsize::new(0);

impl Drop for ZeroSized {
    fn drop(&mut self) {
        ZERO_SIZED_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

impl Future for ZeroSized {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

#[test]
fn a_future_without_state_runs_and_is_dropped_once() {
    assert_eq!(size_of::<ZeroSized>(), 0);
    for _ in 0..3 {
        assert_eq!(run_plain(ZeroSized), 0);
    }
    assert_eq!(ZERO_SIZED_DROPS.load(Ordering::SeqCst), 3);
    assert_eq!(run_plain(async {}), 0);
}

#[test]
fn a_handler_that_panics_at_once_is_dropped_once_and_the_next_one_runs() {
    let counts = Arc::new(Counts::default());
    for _ in 0..3 {
        assert_eq!(run_plain(Probe::new(&counts, 1u32, Then::Panic)), 0);
    }
    assert_eq!((counts.polls(), counts.drops()), (3, 3));
    let next = Arc::new(Counts::default());
    run_plain(Probe::new(&next, 1u32, Then::Finish));
    run_plain(Probe::new(&next, 2u32, Then::Finish));
    assert_eq!((next.polls(), next.drops()), (2, 2));
}

/// A finished future whose destructor panics.
struct PanicsWhenDropped(Arc<Counts>);

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        self.0.drops.fetch_add(1, Ordering::SeqCst);
        panic!("a test handler's destructor panicked on purpose");
    }
}

impl Future for PanicsWhenDropped {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        self.0.polls.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(())
    }
}

#[test]
fn a_destructor_that_panics_runs_once_and_is_caught() {
    let counts = Arc::new(Counts::default());
    for _ in 0..3 {
        assert_eq!(run_plain(PanicsWhenDropped(counts.clone())), 0);
    }
    assert_eq!((counts.polls(), counts.drops()), (3, 3));
}

#[test]
fn many_handler_types_in_turn_keep_the_free_allocations_bounded() {
    fn run_sized<const N: usize>(counts: &Arc<Counts>) {
        run_plain(Probe::new(counts, [N as u8; N], Then::Finish));
        assert!(free_slot_count() <= MAX_FREE_SLOTS);
    }
    let counts = Arc::new(Counts::default());
    for _ in 0..5 {
        run_sized::<1>(&counts);
        run_sized::<2>(&counts);
        run_sized::<3>(&counts);
        run_sized::<5>(&counts);
        run_sized::<8>(&counts);
        run_sized::<13>(&counts);
        run_sized::<21>(&counts);
        run_sized::<34>(&counts);
        run_sized::<55>(&counts);
        run_sized::<89>(&counts);
        run_sized::<144>(&counts);
        run_sized::<233>(&counts);
    }
    assert_eq!(free_slot_count(), MAX_FREE_SLOTS);
    assert_eq!((counts.polls(), counts.drops()), (60, 60));
}

#[test]
fn a_handler_may_run_handlers_of_its_own_type_while_it_runs() {
    fn nested(counts: Arc<Counts>, depth: usize) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            let _probe = Probe::new(&counts, depth, Then::Finish);
            if depth > 0 {
                run_plain(nested(counts.clone(), depth - 1));
            }
        })
    }
    let counts = Arc::new(Counts::default());
    run_plain(nested(counts.clone(), 4));
    run_plain(nested(counts.clone(), 4));
    assert_eq!(counts.drops(), 10);
    assert!(free_slot_count() <= MAX_FREE_SLOTS);
}

/// A future that waits for `go`, then finishes or panics; its drop counts.
fn waits_for(
    go: oneshot::Receiver<()>,
    counts: &Arc<Counts>,
    then: Then,
) -> impl Future<Output = ()> + Send + 'static {
    let probe = Probe::new(counts, (), then);
    async move {
        let _ = go.await;
        let mut probe = probe;
        std::future::poll_fn(|cx| Pin::new(&mut probe).poll(cx)).await;
    }
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Waits until the runtime's other tasks got to run.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[test]
fn a_handler_that_waits_moves_to_a_task_and_counts_as_waiting() {
    current_thread_runtime().block_on(async {
        let counts = Arc::new(Counts::default());
        let waiting = Arc::new(AtomicUsize::new(0));
        let span = tracing::Span::none();
        let run = EventRun::new(&span, Some(&waiting), None);
        let (go_first, first) = oneshot::channel();
        let (go_second, second) = oneshot::channel();
        assert_eq!(run.unboxed(waits_for(first, &counts, Then::Finish)), 1);
        assert_eq!(run.unboxed(waits_for(second, &counts, Then::Finish)), 2);
        assert_eq!(waiting.load(Ordering::SeqCst), 2);
        assert_eq!(counts.drops(), 0);
        go_first.send(()).unwrap();
        settle().await;
        assert_eq!(waiting.load(Ordering::SeqCst), 1);
        assert_eq!((counts.polls(), counts.drops()), (1, 1));
        go_second.send(()).unwrap();
        settle().await;
        assert_eq!(waiting.load(Ordering::SeqCst), 0);
        assert_eq!((counts.polls(), counts.drops()), (2, 2));
    });
}

#[test]
fn a_handler_that_panics_in_its_task_is_dropped_once_and_leaves_the_count() {
    current_thread_runtime().block_on(async {
        let counts = Arc::new(Counts::default());
        let waiting = Arc::new(AtomicUsize::new(0));
        let span = tracing::Span::none();
        let run = EventRun::new(&span, Some(&waiting), None);
        let (go, wait) = oneshot::channel();
        assert_eq!(run.unboxed(waits_for(wait, &counts, Then::Panic)), 1);
        go.send(()).unwrap();
        settle().await;
        assert_eq!(waiting.load(Ordering::SeqCst), 0);
        assert_eq!((counts.polls(), counts.drops()), (1, 1));
        let next = Arc::new(Counts::default());
        assert_eq!(run.unboxed(Probe::new(&next, (), Then::Finish)), 0);
        assert_eq!(next.drops(), 1);
    });
}

#[test]
fn a_boxed_handler_runs_as_an_unboxed_one() {
    current_thread_runtime().block_on(async {
        let counts = Arc::new(Counts::default());
        let waiting = Arc::new(AtomicUsize::new(0));
        let span = tracing::Span::none();
        let run = EventRun::new(&span, Some(&waiting), None);
        assert_eq!(
            run.boxed(Box::pin(Probe::new(&counts, (), Then::Finish))),
            0
        );
        assert_eq!(run.boxed(Box::pin(Probe::new(&counts, (), Then::Panic))), 0);
        let (go, wait) = oneshot::channel();
        assert_eq!(
            run.boxed(Box::pin(waits_for(wait, &counts, Then::Finish))),
            1
        );
        go.send(()).unwrap();
        settle().await;
        assert_eq!(waiting.load(Ordering::SeqCst), 0);
        assert_eq!((counts.polls(), counts.drops()), (3, 3));
    });
}

#[test]
fn outside_any_runtime_a_waiting_handler_runs_on_the_connections_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let counts = Arc::new(Counts::default());
    let waiting = Arc::new(AtomicUsize::new(0));
    let span = tracing::Span::none();
    let run = EventRun::new(&span, Some(&waiting), Some(runtime.handle()));
    let (go, wait) = oneshot::channel();
    let sleeps = async {
        // A timer needs the runtime's context while polled here.
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    };
    assert_eq!(run.unboxed(waits_for(wait, &counts, Then::Finish)), 1);
    assert_eq!(run.unboxed(sleeps), 2);
    go.send(()).unwrap();
    for _ in 0..500 {
        if waiting.load(Ordering::SeqCst) == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(waiting.load(Ordering::SeqCst), 0);
    assert_eq!((counts.polls(), counts.drops()), (1, 1));
}

#[test]
fn outside_any_runtime_without_one_to_fall_back_on_a_waiting_handler_is_dropped() {
    let counts = Arc::new(Counts::default());
    let waiting = Arc::new(AtomicUsize::new(0));
    let span = tracing::Span::none();
    let run = EventRun::new(&span, Some(&waiting), None);
    let (_go, wait) = oneshot::channel();
    assert_eq!(run.unboxed(waits_for(wait, &counts, Then::Finish)), 0);
    assert_eq!(waiting.load(Ordering::SeqCst), 0);
    assert_eq!((counts.polls(), counts.drops()), (0, 1));
}

/// A subscriber that wants every span and event, and counts span entries,
/// warnings and error events.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<AtomicUsize>,
    entries: Arc<AtomicUsize>,
    /// How many spans are entered now.
    inside: Arc<AtomicUsize>,
    warnings: Arc<AtomicUsize>,
    /// Warnings logged while a span was entered.
    warnings_in_span: Arc<AtomicUsize>,
    errors: Arc<AtomicUsize>,
}

impl tracing::Subscriber for Recorder {
    fn register_callsite(
        &self,
        _metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // Asked again each time: other tests' threads have no subscriber.
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, _metadata: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let count = self.spans.fetch_add(1, Ordering::SeqCst) as u64;
        tracing::span::Id::from_u64(count + 1)
    }

    fn record(&self, _span: &tracing::span::Id, _values: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _span: &tracing::span::Id, _follows: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        match *event.metadata().level() {
            tracing::Level::ERROR => self.errors.fetch_add(1, Ordering::SeqCst),
            tracing::Level::WARN => {
                if self.inside.load(Ordering::SeqCst) > 0 {
                    self.warnings_in_span.fetch_add(1, Ordering::SeqCst);
                }
                self.warnings.fetch_add(1, Ordering::SeqCst)
            }
            _ => 0,
        };
    }

    fn enter(&self, _span: &tracing::span::Id) {
        self.entries.fetch_add(1, Ordering::SeqCst);
        self.inside.fetch_add(1, Ordering::SeqCst);
    }

    fn exit(&self, _span: &tracing::span::Id) {
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn handlers_run_in_the_events_span_and_panics_are_logged() {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        let span = tracing::info_span!("event");
        assert!(!span.is_disabled());
        let run = EventRun::new(&span, None, None);
        let counts = Arc::new(Counts::default());
        assert_eq!(run.unboxed(Probe::new(&counts, (), Then::Finish)), 0);
        assert!(
            recorder.entries.load(Ordering::SeqCst) >= 1,
            "entered to poll"
        );
        assert_eq!(recorder.errors.load(Ordering::SeqCst), 0);
        assert_eq!(run.unboxed(Probe::new(&counts, (), Then::Panic)), 0);
        assert_eq!(recorder.errors.load(Ordering::SeqCst), 1);
        assert_eq!(run.unboxed(PanicsWhenDropped(counts.clone())), 0);
        assert_eq!(recorder.errors.load(Ordering::SeqCst), 2);
        assert_eq!(run.boxed(Box::pin(Probe::new(&counts, (), Then::Panic))), 0);
        assert_eq!(recorder.errors.load(Ordering::SeqCst), 3);
        assert_eq!((counts.polls(), counts.drops()), (4, 4));
    });
}

#[test]
fn a_handlers_error_is_logged() {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        let span = tracing::Span::none();
        let run = EventRun::new(&span, None, None);
        assert_eq!(run.unboxed(async { Err::<(), _>("refused") }), 0);
        assert_eq!(run.unboxed(async { Ok::<(), &str>(()) }), 0);
        assert_eq!(recorder.warnings.load(Ordering::SeqCst), 1);
        assert_eq!(recorder.errors.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn a_handlers_error_is_logged_inside_the_events_span() {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        let span = tracing::info_span!("event");
        let run = EventRun::new(&span, None, None);
        assert_eq!(run.unboxed(async { Err::<(), _>("refused") }), 0);
        assert_eq!(recorder.warnings.load(Ordering::SeqCst), 1);
        assert_eq!(recorder.warnings_in_span.load(Ordering::SeqCst), 1);
        assert_eq!(recorder.inside.load(Ordering::SeqCst), 0);
    });
}
