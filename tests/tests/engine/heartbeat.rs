//! The server-driven heartbeat: pings every interval, and a close at
//! interval + timeout when no pong comes.
//!
//! Times are asserted as windows: never earlier than the protocol allows, and not
//! absurdly later (a loaded CI machine may run timers late, never early).

use std::time::Duration;

use tether::engine::{CloseReason, EngineConfig};
use tether_tests::server::quiet_config;
use tether_tests::{PATIENCE, TestServer, WsEvent};
use tokio::time::Instant;

const INTERVAL: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_millis(200);
/// How late a close may come on a loaded machine before the test calls it wrong.
const LATE: Duration = Duration::from_millis(2_500);

fn reference_config() -> EngineConfig {
    quiet_config().with_heartbeat(INTERVAL, TIMEOUT)
}

#[tokio::test]
async fn polling_pings_are_answered_with_pongs() {
    let server = TestServer::start(reference_config()).await;
    let session = server.open_polling().await;
    for round in 0..3 {
        let polled = session.get().await;
        assert_eq!(polled.status, 200, "round {round}");
        assert_eq!(polled.text(), "2", "round {round}");
        let posted = session.post("3").await;
        assert_eq!(posted.status, 200, "round {round}");
        assert_eq!(posted.text(), "ok", "round {round}");
    }
    server.assert_open(session.sid()).await;
    server.stop().await;
}

/// Waits until `sid`, opened at `started`, is closed for a missed pong, at
/// interval + timeout (and not much later).
async fn expect_ping_timeout(server: &TestServer, sid: &str, started: Instant) {
    let (reason, at) = server.closed_within(sid, PATIENCE).await;
    assert_eq!(reason, CloseReason::PingTimeout);
    let after = at - started;
    assert!(
        after >= INTERVAL + TIMEOUT,
        "closed after {after:?}, before interval + timeout"
    );
    assert!(
        after <= INTERVAL + TIMEOUT + LATE,
        "closed only after {after:?}"
    );
}

#[tokio::test]
async fn polling_sessions_close_at_interval_plus_timeout_without_a_pong() {
    let server = TestServer::start(reference_config()).await;
    let started = Instant::now();
    let session = server.open_polling().await;

    expect_ping_timeout(&server, session.sid(), started).await;
    session.expect_unknown().await;
    assert_eq!(server.engine.connection_count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_late_pong_within_the_timeout_keeps_the_session() {
    let timeout = Duration::from_millis(3_000);
    let config = quiet_config().with_heartbeat(INTERVAL, timeout);
    let server = TestServer::start(config).await;
    let session = server.open_polling().await;
    assert_eq!(session.get().await.text(), "2");
    // Later than the interval, well within the timeout.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(session.post("3").await.text(), "ok");
    server.assert_open(session.sid()).await;
    assert_eq!(session.get().await.text(), "2", "the heartbeat goes on");
    server.stop().await;
}

#[tokio::test]
async fn websocket_pings_are_answered_with_pongs() {
    let server = TestServer::start(reference_config()).await;
    let (mut ws, open) = server.open_websocket().await;
    for round in 0..3 {
        assert_eq!(ws.expect_text().await, "2", "round {round}");
        ws.send_text("3").await;
    }
    server.assert_open(&open.sid).await;
    server.stop().await;
}

#[tokio::test]
async fn websocket_sessions_close_at_interval_plus_timeout_without_a_pong() {
    let server = TestServer::start(reference_config()).await;
    let started = Instant::now();
    let (mut ws, open) = server.open_websocket().await;

    let (_code, before) = ws.expect_closed().await;
    assert_eq!(
        before,
        [WsEvent::Text("2".into())],
        "one ping, then the close"
    );
    expect_ping_timeout(&server, &open.sid, started).await;
    server.expect_empty().await;
    server.stop().await;
}

#[tokio::test]
async fn the_next_ping_comes_an_interval_after_the_pong() {
    let interval = Duration::from_millis(600);
    let config = quiet_config().with_heartbeat(interval, Duration::from_secs(5));
    let server = TestServer::start(config).await;
    let (mut ws, _open) = server.open_websocket().await;
    assert_eq!(ws.expect_text().await, "2");
    let ponged = Instant::now();
    ws.send_text("3").await;
    assert_eq!(ws.expect_text().await, "2");
    let gap = ponged.elapsed();
    assert!(gap >= interval, "next ping {gap:?} after the pong");
    server.stop().await;
}

/// One task keeps every session's heartbeat: sessions opened at different times,
/// answering or not, on either transport, are each pinged and closed on their own
/// schedule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_session_keeps_its_own_schedule() {
    let server = TestServer::start(reference_config()).await;
    let (mut answering, answering_open) = server.open_websocket().await;
    tokio::time::sleep(INTERVAL / 2).await;
    let silent_opened = Instant::now();
    let (mut silent, silent_open) = server.open_websocket().await;
    let polling = server.open_polling().await;
    let answer = async {
        for round in 0..6 {
            assert_eq!(answering.expect_text().await, "2", "round {round}");
            answering.send_text("3").await;
        }
    };
    let poll = async {
        for round in 0..6 {
            assert_eq!(polling.get().await.text(), "2", "round {round}");
            assert_eq!(polling.post("3").await.text(), "ok", "round {round}");
        }
    };
    let ignore = async {
        let (_code, before) = silent.expect_closed().await;
        assert_eq!(
            before,
            [WsEvent::Text("2".into())],
            "one ping, then the close"
        );
        let (reason, at) = server.closed_within(&silent_open.sid, PATIENCE).await;
        assert_eq!(reason, CloseReason::PingTimeout);
        let after = at - silent_opened;
        assert!(after >= INTERVAL + TIMEOUT, "closed after {after:?}");
        assert!(
            after <= INTERVAL + TIMEOUT + LATE,
            "closed only after {after:?}"
        );
    };
    tokio::join!(answer, poll, ignore);
    // Both answered their last ping just now: no close can be due yet.
    assert!(
        server.is_live(&answering_open.sid),
        "the answering socket is open"
    );
    assert!(
        server.is_live(polling.sid()),
        "the answering poller is open"
    );
    server.stop().await;
}
