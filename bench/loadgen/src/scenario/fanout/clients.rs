//! The client loops of a fan-out run: WebSocket and polling subscribers, and the
//! publisher (a WebSocket subscriber that also publishes on a timer).

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::{MissedTickBehavior, interval, timeout};

use super::state::Fan;
use crate::conn::answer_ping;
use crate::eio;
use crate::polling::Polling;
use crate::ws::{Outbox, Ws};

/// Handles one text frame on a client of `node`: records a delivery, or queues
/// the answer to a ping.
fn on_text(fan: &Fan, node: usize, payload: &[u8], out: &mut Outbox) {
    if let Some((seq, t_us)) = eio::parse_bcast(payload) {
        fan.deliver(node, seq, t_us);
        fan.count_wire(payload.len());
    } else {
        answer_ping(payload, out);
    }
}

/// Receives broadcasts on a client of `node` until the connection closes.
pub async fn subscriber(mut ws: Ws, fan: Rc<Fan>, node: usize) {
    while ws
        .read(|payload, out| on_text(&fan, node, payload, out))
        .await
        .is_ok()
    {}
    fan.client_closed();
}

/// Receives broadcasts and publishes the frames the plan says are due, every
/// millisecond. The publisher is on the first node.
pub async fn publisher(mut ws: Ws, fan: Rc<Fan>, write_timeout: Duration) {
    let mut tick = interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut batch = Vec::new();
    // Frames that arrived with the handshake's are handled before waiting for more.
    let mut open = ws
        .handle(|payload, out| on_text(&fan, 0, payload, out))
        .await
        .is_ok();
    while open {
        tokio::select! {
            filled = ws.fill() => {
                open = filled.is_ok()
                    && ws
                        .handle(|payload, out| on_text(&fan, 0, payload, out))
                        .await
                        .is_ok();
            }
            _ = tick.tick() => {
                fan.due_frames(&mut batch);
                open = batch.is_empty() || publish(&mut ws, &mut batch, write_timeout).await;
            }
        }
    }
    fan.client_closed();
}

/// Writes a batch of frames with one write.
async fn publish(ws: &mut Ws, batch: &mut Vec<Vec<u8>>, write_timeout: Duration) -> bool {
    for frame in batch.drain(..) {
        ws.queue_packet(&frame);
    }
    matches!(timeout(write_timeout, ws.flush()).await, Ok(Ok(())))
}

/// Receives broadcasts over long-polling on a client of `node` until the session ends.
pub async fn polling_subscriber(mut client: Polling, fan: Rc<Fan>, node: usize) {
    'session: while let Ok(payload) = client.poll_long().await {
        for packet in eio::split_payload(&payload) {
            if let Some((seq, t_us)) = eio::parse_bcast(packet) {
                fan.deliver(node, seq, t_us);
            } else if packet == eio::PING {
                if client
                    .send(Bytes::from_static(eio::PONG.as_bytes()))
                    .await
                    .is_err()
                {
                    break 'session;
                }
            } else if packet.starts_with(b"1") {
                break 'session;
            }
        }
    }
    fan.client_closed();
}
