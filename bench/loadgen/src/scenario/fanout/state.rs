//! Shared state of a fan-out run: the publishing plan, and what was sent and
//! received per step.

use std::cell::{Cell, RefCell};
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::clock;
use crate::eio;
use crate::record::{Latency, new_histogram, record};

/// Most frames the publisher sends in one timer tick, so a late tick cannot
/// queue an unbounded burst.
const MAX_BURST: u64 = 2_000;

/// The open-loop schedule of the running step.
#[derive(Debug, Clone, Copy)]
struct Plan {
    start: Instant,
    start_us: u64,
    rate: f64,
}

/// What one step sent and received.
struct Step {
    first_seq: u64,
    sent: u64,
    expected: u64,
    received: u64,
    hist: Histogram<u64>,
}

/// Totals of one step at some moment.
#[derive(Debug, Clone, Copy)]
pub struct StepCounts {
    /// Broadcasts sent.
    pub sent: u64,
    /// Deliveries the sent broadcasts should cause.
    pub expected: u64,
    /// Deliveries received so far.
    pub received: u64,
    /// Latency of the deliveries received so far.
    pub latency: Latency,
}

/// Shared by the publisher, the subscribers and the step driver (one thread).
pub struct Fan {
    clients: u64,
    rooms: Vec<(String, u64)>,
    steps: RefCell<Vec<Step>>,
    delivered: Cell<u64>,
    next_seq: Cell<u64>,
    plan: Cell<Option<Plan>>,
    plan_sent: Cell<u64>,
    closed_early: Cell<u64>,
    finished: Cell<bool>,
}

impl Fan {
    /// `clients` subscribers, spread over `rooms` rooms (none: everyone gets every broadcast).
    pub fn new(clients: usize, rooms: usize) -> Self {
        let rooms = (0..rooms)
            .map(|r| {
                let members = (0..clients).filter(|i| i % rooms == r).count() as u64;
                (eio::room_name(r), members)
            })
            .collect();
        Self {
            clients: clients as u64,
            rooms,
            steps: RefCell::new(Vec::new()),
            delivered: Cell::new(0),
            next_seq: Cell::new(0),
            plan: Cell::new(None),
            plan_sent: Cell::new(0),
            closed_early: Cell::new(0),
            finished: Cell::new(false),
        }
    }

    /// Records one delivery of broadcast `seq` stamped at `t_us`.
    pub fn deliver(&self, seq: u64, t_us: u64) {
        let now = clock::now_us();
        self.delivered.set(self.delivered.get() + 1);
        let mut steps = self.steps.borrow_mut();
        if let Some(step) = steps.iter_mut().rev().find(|s| s.first_seq <= seq) {
            step.received += 1;
            record(&mut step.hist, now.saturating_sub(t_us));
        }
    }

    /// Deliveries received so far, all steps together.
    pub fn delivered(&self) -> u64 {
        self.delivered.get()
    }

    /// Starts a step publishing `rate` broadcasts per second from now.
    pub fn start_step(&self, rate: f64) {
        self.steps.borrow_mut().push(Step {
            first_seq: self.next_seq.get(),
            sent: 0,
            expected: 0,
            received: 0,
            hist: new_histogram(),
        });
        let start = Instant::now();
        self.plan_sent.set(0);
        self.plan.set((rate > 0.0).then_some(Plan {
            start,
            start_us: clock::micros_at(start),
            rate,
        }));
    }

    /// Stops publishing.
    pub fn stop_publishing(&self) {
        self.plan.set(None);
    }

    /// Appends the frames that are due by now to `out`. Each is stamped with the
    /// time it was scheduled for, not the time it is sent, so a late publisher
    /// shows up as latency rather than hiding it (no coordinated omission).
    pub fn due_frames(&self, out: &mut Vec<String>) {
        let Some(plan) = self.plan.get() else {
            return;
        };
        // Frame k is scheduled at k / rate, so k + 1 frames are due once that time has come.
        let due = (plan.start.elapsed().as_secs_f64() * plan.rate) as u64 + 1;
        let mut steps = self.steps.borrow_mut();
        let Some(step) = steps.last_mut() else {
            return;
        };
        let mut sent = self.plan_sent.get();
        let limit = sent + MAX_BURST;
        while sent < due.min(limit) {
            let seq = self.next_seq.get();
            self.next_seq.set(seq + 1);
            let t_us = plan.start_us + (sent as f64 * 1e6 / plan.rate) as u64;
            if self.rooms.is_empty() {
                step.expected += self.clients;
                out.push(eio::broadcast(seq, t_us));
            } else {
                let (room, members) = &self.rooms[(seq % self.rooms.len() as u64) as usize];
                step.expected += members;
                out.push(eio::room_broadcast(room, seq, t_us));
            }
            step.sent += 1;
            sent += 1;
        }
        self.plan_sent.set(sent);
    }

    /// Counts of step `index` so far.
    pub fn counts(&self, index: usize) -> Option<StepCounts> {
        let steps = self.steps.borrow();
        let step = steps.get(index)?;
        Some(StepCounts {
            sent: step.sent,
            expected: step.expected,
            received: step.received,
            latency: Latency::of(&step.hist),
        })
    }

    /// Deliveries still missing over all steps.
    pub fn missing(&self) -> u64 {
        self.steps
            .borrow()
            .iter()
            .map(|s| s.expected.saturating_sub(s.received))
            .sum()
    }

    /// A client connection ended before the run did.
    pub fn client_closed(&self) {
        if !self.finished.get() {
            self.closed_early.set(self.closed_early.get() + 1);
        }
    }

    /// Client connections that ended before the run did.
    pub fn closed_early(&self) -> u64 {
        self.closed_early.get()
    }

    /// Marks the run as over: connections closing from now on are expected.
    pub fn finish(&self) {
        self.finished.set(true);
        self.plan.set(None);
    }
}
