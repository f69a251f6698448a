//! Shared state of a fan-out run: the publishing plan, and what was sent and
//! received per step, per server node (one, or two in a cluster run).

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

/// Server nodes a run can spread its clients over.
pub const MAX_NODES: usize = 2;

/// What one step sent and received, per node of the receiving clients.
struct Step {
    first_seq: u64,
    sent: u64,
    expected: [u64; MAX_NODES],
    received: [u64; MAX_NODES],
    hist: [Histogram<u64>; MAX_NODES],
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
    /// Per node (the publisher's first): deliveries expected and received, and
    /// their latency.
    pub nodes: [NodeCounts; MAX_NODES],
}

/// What the clients of one node expected and received in one step.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeCounts {
    /// Deliveries the sent broadcasts should cause on this node's clients.
    pub expected: u64,
    /// Deliveries received so far.
    pub received: u64,
    /// Their latency.
    pub latency: Latency,
}

/// Shared by the publisher, the subscribers and the step driver (one thread).
pub struct Fan {
    nodes: usize,
    clients: [u64; MAX_NODES],
    rooms: Vec<(String, [u64; MAX_NODES])>,
    steps: RefCell<Vec<Step>>,
    delivered: Cell<u64>,
    /// WebSocket bytes of the deliveries counted in `wire_frames` (frame headers
    /// included).
    wire_bytes: Cell<u64>,
    wire_frames: Cell<u64>,
    delivered_on: Cell<[u64; MAX_NODES]>,
    next_seq: Cell<u64>,
    plan: Cell<Option<Plan>>,
    plan_sent: Cell<u64>,
    closed_early: Cell<u64>,
    finished: Cell<bool>,
}

impl Fan {
    /// `clients` subscribers, spread over `rooms` rooms (none: everyone gets every
    /// broadcast) and over `nodes` server nodes (client `i` on node `i % nodes`).
    pub fn new(clients: usize, rooms: usize, nodes: usize) -> Self {
        let nodes = nodes.clamp(1, MAX_NODES);
        let per_node = |member: &dyn Fn(usize) -> bool| {
            let mut counts = [0; MAX_NODES];
            for i in (0..clients).filter(|&i| member(i)) {
                counts[i % nodes] += 1;
            }
            counts
        };
        let rooms = (0..rooms)
            .map(|r| (eio::room_name(r), per_node(&|i| i % rooms == r)))
            .collect();
        Self {
            nodes,
            clients: per_node(&|_| true),
            rooms,
            steps: RefCell::new(Vec::new()),
            delivered: Cell::new(0),
            wire_bytes: Cell::new(0),
            wire_frames: Cell::new(0),
            delivered_on: Cell::new([0; MAX_NODES]),
            next_seq: Cell::new(0),
            plan: Cell::new(None),
            plan_sent: Cell::new(0),
            closed_early: Cell::new(0),
            finished: Cell::new(false),
        }
    }

    /// The node client `index` connects to.
    pub fn node_of(&self, index: usize) -> usize {
        index % self.nodes
    }

    /// Records one delivery of broadcast `seq` stamped at `t_us` to a client of `node`.
    pub fn deliver(&self, node: usize, seq: u64, t_us: u64) {
        let now = clock::now_us();
        self.delivered.set(self.delivered.get() + 1);
        let node = node.min(MAX_NODES - 1);
        let mut on = self.delivered_on.get();
        on[node] += 1;
        self.delivered_on.set(on);
        let mut steps = self.steps.borrow_mut();
        if let Some(step) = steps.iter_mut().rev().find(|s| s.first_seq <= seq) {
            step.received[node] += 1;
            record(&mut step.hist[node], now.saturating_sub(t_us));
        }
    }

    /// Counts the size of one delivery's WebSocket frame, whose payload is
    /// `payload` bytes.
    pub fn count_wire(&self, payload: usize) {
        self.wire_bytes
            .set(self.wire_bytes.get() + crate::ws::frame::server_frame_len(payload) as u64);
        self.wire_frames.set(self.wire_frames.get() + 1);
    }

    /// Average WebSocket bytes per delivery (frame header included), if any was counted.
    pub fn bytes_per_delivery(&self) -> Option<f64> {
        let frames = self.wire_frames.get();
        (frames > 0).then(|| self.wire_bytes.get() as f64 / frames as f64)
    }

    /// Deliveries received so far, all steps together.
    pub fn delivered(&self) -> u64 {
        self.delivered.get()
    }

    /// Deliveries received so far by the clients of `node`, all steps together.
    pub fn delivered_on(&self, node: usize) -> u64 {
        self.delivered_on.get().get(node).copied().unwrap_or(0)
    }

    /// Number of server nodes the clients are spread over.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Starts a step publishing `rate` broadcasts per second from now.
    pub fn start_step(&self, rate: f64) {
        self.steps.borrow_mut().push(Step {
            first_seq: self.next_seq.get(),
            sent: 0,
            expected: [0; MAX_NODES],
            received: [0; MAX_NODES],
            hist: std::array::from_fn(|_| new_histogram()),
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
    pub fn due_frames(&self, out: &mut Vec<Vec<u8>>) {
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
            let members = if self.rooms.is_empty() {
                out.push(eio::broadcast(seq, t_us));
                &self.clients
            } else {
                let (room, members) = &self.rooms[(seq % self.rooms.len() as u64) as usize];
                out.push(eio::room_broadcast(room, seq, t_us).into_bytes());
                members
            };
            for (expected, members) in step.expected.iter_mut().zip(members) {
                *expected += members;
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
        let mut all = step.hist[0].clone();
        for hist in &step.hist[1..] {
            // Both histograms share their bounds, so adding cannot fail.
            let _ = all.add(hist);
        }
        let nodes = std::array::from_fn(|node| NodeCounts {
            expected: step.expected[node],
            received: step.received[node],
            latency: Latency::of(&step.hist[node]),
        });
        Some(StepCounts {
            sent: step.sent,
            expected: step.expected.iter().sum(),
            received: step.received.iter().sum(),
            latency: Latency::of(&all),
            nodes,
        })
    }

    /// Deliveries still missing over all steps.
    pub fn missing(&self) -> u64 {
        self.steps
            .borrow()
            .iter()
            .map(|s| {
                let expected: u64 = s.expected.iter().sum();
                expected.saturating_sub(s.received.iter().sum())
            })
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
