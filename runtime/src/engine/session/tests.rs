//! The heartbeat rules of one session, on tokio's paused clock.

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;

use super::{Session, SessionOwner, SessionTasks};
use crate::engine::config::EngineConfig;
use crate::engine::connection::{CloseReason, Handshake, Transport};
use crate::engine::packet::{Frame, Packet};
use crate::engine::sid::Sid;
use crate::frame::Text;

const INTERVAL: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_millis(1_000);

struct NoOwner;

impl SessionOwner<()> for NoOwner {
    fn session_closed(&self, _: &Arc<Session<()>>, _: CloseReason, _: bool) {}
    fn remove(&self, _: &Arc<Session<()>>) {}
    fn message(&self, _: &Arc<Session<()>>, _: Packet) {}
}

/// A polling session whose heartbeat has started, and the tasks it shares.
fn open_session(tasks: &SessionTasks<()>) -> Arc<Session<()>> {
    let config = EngineConfig::default().with_heartbeat(INTERVAL, TIMEOUT);
    let handshake = Handshake {
        headers: Default::default(),
        uri: Default::default(),
        remote_addr: None,
        issued: std::time::SystemTime::now(),
        secure: false,
    };
    let owner: Weak<dyn SessionOwner<()>> = Weak::<NoOwner>::new();
    let session = Session::new(
        Sid::random(),
        (),
        handshake,
        Arc::new(config),
        (Transport::Polling, false),
        owner,
        tasks,
    );
    session.start_heartbeat();
    session
}

fn tasks() -> SessionTasks<()> {
    SessionTasks::new(&EngineConfig::default().with_heartbeat(INTERVAL, TIMEOUT))
}

fn message() -> Packet {
    Packet::Message(Text::try_from_bytes(Bytes::from_static(b"hello")).unwrap())
}

fn pong() -> Packet {
    Packet::Pong(Text::try_from_bytes(Bytes::new()).unwrap())
}

/// Whether the session has a ping queued for its client.
fn ping_queued(session: &Session<()>) -> bool {
    session
        .lock()
        .queue
        .iter()
        .any(|frame| matches!(frame, Frame::Text(text) if text.as_str() == "2"))
}

/// A session opened an interval ago, its first ping queued.
async fn pinged_session(tasks: &SessionTasks<()>) -> Arc<Session<()>> {
    let session = open_session(tasks);
    advance(INTERVAL).await;
    assert!(
        ping_queued(&session),
        "the first ping is queued after an interval"
    );
    session
}

/// Moves the (paused) clock on by `duration`, then lets the heartbeat task run.
async fn advance(duration: Duration) {
    tokio::time::sleep(duration).await;
    settle().await;
}

/// Lets the heartbeat task run at the current (paused) time.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn pongs_nobody_asked_for_cost_nothing() {
    let tasks = tasks();
    let session = open_session(&tasks);
    let before = tasks.heartbeats.waiting();
    for _ in 0..100_000 {
        session.on_packet(pong());
    }
    assert_eq!(tasks.heartbeats.waiting(), before, "no deadline added");
    assert_eq!(before, (1, 0), "only the first ping is scheduled");

    advance(INTERVAL).await;
    assert!(ping_queued(&session), "the ping still comes on time");
    session.on_packet(pong());
    for _ in 0..100_000 {
        session.on_packet(pong());
    }
    assert_eq!(
        tasks.heartbeats.waiting(),
        (1, 1),
        "the answer schedules one ping; the pong deadline is left to expire"
    );
    assert!(!session.is_closed());
}

#[tokio::test(start_paused = true)]
async fn without_a_pong_the_session_closes_at_the_timeout() {
    let tasks = tasks();
    let session = pinged_session(&tasks).await;
    advance(TIMEOUT - Duration::from_millis(1)).await;
    assert!(!session.is_closed(), "not before the timeout");
    advance(Duration::from_millis(1)).await;
    assert_eq!(session.lock().closed, Some(CloseReason::PingTimeout));
}

#[tokio::test(start_paused = true)]
async fn a_packet_while_a_pong_is_awaited_moves_its_deadline_once() {
    let tasks = tasks();
    let session = pinged_session(&tasks).await;

    // Late in the window the client shows it is alive; its pong comes after the
    // original deadline, within a timeout of that packet.
    tokio::time::sleep(TIMEOUT * 6 / 10).await;
    for _ in 0..10_000 {
        session.on_packet(message());
    }
    assert_eq!(
        tasks.heartbeats.waiting().1,
        2,
        "a flood of packets adds one deadline"
    );
    advance(TIMEOUT * 8 / 10).await;
    assert!(!session.is_closed(), "kept past the original deadline");
    assert!(
        !session.pong_overdue(),
        "a polling GET now finds the pong in time too"
    );
    session.on_packet(pong());

    // The refresh is spent with the ping: the next ping is answered on time again,
    // or the session closes a timeout after that refresh at the latest.
    advance(INTERVAL).await;
    tokio::time::sleep(TIMEOUT / 2).await;
    session.on_packet(message());
    tokio::time::sleep(TIMEOUT / 2).await;
    session.on_packet(message());
    advance(TIMEOUT / 2 + Duration::from_millis(1)).await;
    assert_eq!(
        session.lock().closed,
        Some(CloseReason::PingTimeout),
        "one refresh per ping"
    );
}
