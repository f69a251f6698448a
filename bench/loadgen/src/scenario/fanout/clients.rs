//! The client loops of a fan-out run: WebSocket and polling subscribers, and the
//! publisher (a WebSocket subscriber that also publishes on a timer).

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::time::{MissedTickBehavior, interval, timeout};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::state::Fan;
use crate::conn::{Ws, text};
use crate::eio;
use crate::polling::Polling;

/// Handles one frame; returns whether the connection is still usable.
async fn on_frame(fan: &Fan, ws: &mut Ws, msg: Option<Result<Message, WsError>>) -> bool {
    match msg {
        Some(Ok(Message::Text(t))) => {
            let bytes = t.as_bytes();
            if let Some((seq, t_us)) = eio::parse_bcast(bytes) {
                fan.deliver(seq, t_us);
            } else if bytes == eio::PING {
                return ws.send(text(eio::PONG)).await.is_ok();
            }
            true
        }
        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => false,
        Some(Ok(_)) => true,
    }
}

/// Receives broadcasts until the connection closes.
pub async fn subscriber(mut ws: Ws, fan: Rc<Fan>) {
    loop {
        let msg = ws.next().await;
        if !on_frame(&fan, &mut ws, msg).await {
            break;
        }
    }
    fan.client_closed();
}

/// Receives broadcasts and publishes the frames the plan says are due, every millisecond.
pub async fn publisher(mut ws: Ws, fan: Rc<Fan>, write_timeout: Duration) {
    let mut tick = interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut batch = Vec::new();
    loop {
        tokio::select! {
            msg = ws.next() => {
                if !on_frame(&fan, &mut ws, msg).await {
                    break;
                }
            }
            _ = tick.tick() => {
                fan.due_frames(&mut batch);
                if !batch.is_empty() && !publish(&mut ws, &mut batch, write_timeout).await {
                    break;
                }
            }
        }
    }
    fan.client_closed();
}

/// Writes a batch of frames with one flush.
async fn publish(ws: &mut Ws, batch: &mut Vec<String>, write_timeout: Duration) -> bool {
    let write = async {
        for frame in batch.drain(..) {
            ws.feed(Message::Text(frame.into())).await?;
        }
        ws.flush().await
    };
    matches!(timeout(write_timeout, write).await, Ok(Ok(())))
}

/// Receives broadcasts over long-polling until the session ends.
pub async fn polling_subscriber(mut client: Polling, fan: Rc<Fan>) {
    'session: while let Ok(payload) = client.poll_long().await {
        for packet in eio::split_payload(&payload) {
            if let Some((seq, t_us)) = eio::parse_bcast(packet) {
                fan.deliver(seq, t_us);
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
