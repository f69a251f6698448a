//! WebSocket permessage-deflate (RFC 7692), Node's `perMessageDeflate`.
//!
//! tungstenite, which carries the server's other WebSocket sessions, has no
//! compression extension, so a session whose client offered permessage-deflate
//! to a server that enables it runs on the `yawc` crate instead, which negotiates
//! the extension and compresses and inflates each message. Such a session takes
//! none of the shortcuts of the plain path (frames written straight from the shared
//! packet bytes, flusher tasks): every frame goes through the compressor, on the
//! session's own task.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, header};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;
use yawc::close::CloseCode;
use yawc::{Frame as WsFrame, OpCode, Options, Role, WebSocket};

use super::config::EngineConfig;
use super::connection::CloseReason;
use super::packet::{Frame, Packet, PacketKind};
use super::packet_v3;
use super::session::{Claim, Phase, Session};
use crate::frame::Text;

/// Options of permessage-deflate on WebSocket sessions (Node's `perMessageDeflate`).
///
/// The extension is used only when the client offers it (browsers always do;
/// Node's `ws` when created with `perMessageDeflate`). Each session then keeps a
/// compressor and an inflater, which cost memory and CPU: as in Node, it is off
/// unless [`EngineConfig::with_per_message_deflate`] turns it on.
///
/// ```
/// use tether::engine::PerMessageDeflate;
///
/// let deflate = PerMessageDeflate::default()
///     .with_threshold(256)
///     .with_client_no_context_takeover(true);
/// # let _ = deflate;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerMessageDeflate {
    threshold: usize,
    client_no_context_takeover: bool,
    server_no_context_takeover: bool,
}

impl Default for PerMessageDeflate {
    fn default() -> Self {
        PerMessageDeflate {
            threshold: 1024,
            client_no_context_takeover: false,
            server_no_context_takeover: false,
        }
    }
}

impl PerMessageDeflate {
    /// Sets the size, in bytes, under which messages go out uncompressed
    /// (default 1,024, Node's `threshold`).
    pub fn with_threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// Asks the client to start each of its messages with a fresh compression
    /// context (`client_no_context_takeover`): less memory on the server for
    /// inflating, less compression. Default false; granted anyway when the client
    /// offers it.
    pub fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Compresses each outgoing message with a fresh context
    /// (`server_no_context_takeover`). Default false; used anyway when the client
    /// asks for it.
    pub fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }
}

/// A WebSocket session with permessage-deflate negotiated.
pub(crate) type DeflateWs = WebSocket<TokioIo<Upgraded>>;

/// The `Sec-WebSocket-Extensions` value answering the offer in `headers`, as
/// `yawc` agrees to it (`None`: no agreement, the session runs uncompressed).
pub(crate) fn agree(headers: &HeaderMap, options: &Options) -> Option<http::HeaderValue> {
    // `yawc` negotiates inside its own upgrade call, which also takes the
    // connection; a copy of the handshake's headers gets the answer alone, and
    // the engine keeps the connection, as for its other sessions.
    let mut request = http::Request::new(());
    for name in [
        header::CONNECTION,
        header::UPGRADE,
        header::SEC_WEBSOCKET_KEY,
        header::SEC_WEBSOCKET_VERSION,
        header::SEC_WEBSOCKET_EXTENSIONS,
    ] {
        for value in headers.get_all(&name) {
            request.headers_mut().append(name.clone(), value.clone());
        }
    }
    let (response, _unused) =
        WebSocket::upgrade_with_options(&mut request, options.clone()).ok()?;
    response
        .headers()
        .get(header::SEC_WEBSOCKET_EXTENSIONS)
        .cloned()
}

/// Wraps an upgraded connection with the agreed extensions. The `101` response
/// the standalone server holds back (see `upgrade_io`) goes out first: a client
/// upgrading a polling session waits for it before it sends its probe.
pub(crate) async fn accept(
    upgraded: Upgraded,
    agreed: Option<&http::HeaderValue>,
    options: Options,
) -> Option<DeflateWs> {
    use tokio::io::{AsyncWrite, AsyncWriteExt as _};
    let mut io = TokioIo::new(upgraded);
    // A held response leaves before any write, an empty one included; a flush
    // alone keeps it held.
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut io).poll_write(cx, &[]))
        .await
        .ok()?;
    io.flush().await.ok()?;
    let agreed = agreed.and_then(|value| value.to_str().ok());
    match WebSocket::from_stream_with_extensions(io, Role::Server, agreed, options) {
        Ok(ws) => Some(ws),
        Err(error) => {
            tracing::debug!(%error, "permessage-deflate refused");
            None
        }
    }
}

/// Whether the opening handshake's headers offer permessage-deflate.
pub(crate) fn offered(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .any(|value| {
            value
                .as_bytes()
                .split(|&byte| byte == b',')
                .any(|offer| offer.trim_ascii().starts_with(b"permessage-deflate"))
        })
}

/// The `yawc` options for a session of this engine.
pub(crate) fn options(config: &EngineConfig, deflate: &PerMessageDeflate) -> Options {
    let mut compression = yawc::DeflateOptions {
        compression_threshold: deflate.threshold,
        client_no_context_takeover: deflate.client_no_context_takeover,
        server_no_context_takeover: deflate.server_no_context_takeover,
        ..yawc::DeflateOptions::default()
    };
    compression.level = yawc::CompressionLevel::default();
    // Both limits are exclusive: a message of exactly `max_payload` bytes passes.
    // The payload limit also bounds what one message inflates to.
    let limit = config.max_payload.saturating_add(1);
    Options {
        compression: Some(compression),
        ..Options::default()
    }
    .with_limits(limit, limit)
    .with_utf8()
    .with_read_buffer_capacity(config.ws_read_buffer_size)
    .with_no_delay()
}

/// How often a pending polling request is released with a noop during an upgrade.
const UPGRADE_NOOP_INTERVAL: Duration = Duration::from_millis(100);

fn to_ws(frame: Frame) -> WsFrame {
    match frame {
        Frame::Text(text) => WsFrame::text(text.into_bytes()),
        Frame::Binary(bytes) => WsFrame::binary(bytes),
    }
}

/// Handles one data frame from the client; `false` when the session must end.
fn on_frame<D: Send + Sync + 'static>(session: &Arc<Session<D>>, frame: WsFrame) -> bool {
    let (opcode, _, payload) = frame.into_parts();
    let packet = match opcode {
        OpCode::Text => match Text::try_from_bytes(payload) {
            Ok(text) if session.eio3 => packet_v3::decode_text(text),
            Ok(text) => Packet::decode_text(text),
            Err(_) => {
                session.close(CloseReason::ParseError);
                return false;
            }
        },
        OpCode::Binary if session.eio3 => packet_v3::decode_binary(payload),
        OpCode::Binary => Ok(Packet::Binary(payload)),
        OpCode::Close => {
            session.close(CloseReason::TransportClose);
            return false;
        }
        // The library answers pings itself.
        OpCode::Ping | OpCode::Pong | OpCode::Continuation => return true,
    };
    match packet {
        Ok(packet) => session.on_packet(packet),
        Err(error) => {
            tracing::debug!(sid = %session.id, %error, "bad websocket packet");
            session.close(CloseReason::ParseError);
        }
    }
    !session.is_closed()
}

/// Writes `batch` through the compressor and flushes, within `limit`.
async fn write_batch(
    ws: &mut DeflateWs,
    batch: &mut VecDeque<Frame>,
    limit: Duration,
) -> Result<(), ()> {
    let write = async {
        while let Some(frame) = batch.pop_front() {
            ws.feed(to_ws(frame)).await?;
        }
        ws.flush().await
    };
    match tokio::time::timeout(limit, write).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// Runs a compressed WebSocket session until it ends: reads packets, and writes
/// what is queued whenever the session's driver is woken.
pub(crate) async fn drive<D: Send + Sync + 'static>(session: Arc<Session<D>>, mut ws: DeflateWs) {
    let limit = session.config.ping_interval + session.config.ping_timeout;
    let mut batch = VecDeque::new();
    let mut partial = Vec::new();
    let mut broken = false;
    let mut code = CloseCode::Normal;
    loop {
        if let Claim::Granted { drained } = session.claim_writes(&mut batch, &mut partial, false) {
            if !batch.is_empty() {
                if write_batch(&mut ws, &mut batch, limit).await.is_err() {
                    batch.clear();
                    session.close(CloseReason::TransportError);
                    broken = true;
                    break;
                }
                session.release_writes();
            }
            if drained {
                break;
            }
        }
        tokio::select! {
            () = session.driver.notified() => {}
            frame = ws.next() => match frame {
                // A frame that ends the session is seen at the next claim.
                Some(frame) => drop(on_frame(&session, frame)),
                None => {
                    // The peer went away, broke the protocol or sent too much:
                    // the library has answered with its close frame when it could.
                    session.close(CloseReason::TransportClose);
                    code = CloseCode::Away;
                    broken = true;
                    break;
                }
            },
        }
    }
    let _ = session.retire_writes();
    if !broken {
        let close = async {
            let _ = ws.send(WsFrame::close(code, "")).await;
        };
        let _ = tokio::time::timeout(limit, close).await;
    }
    session.forget();
}

/// Takes a polling session over to a compressed WebSocket: answers `2probe` with
/// `3probe`, releases pending polling requests with noops, and switches on `5`,
/// as the plain upgrade does.
pub(crate) async fn upgrade<D: Send + Sync + 'static>(session: Arc<Session<D>>, mut ws: DeflateWs) {
    let may_upgrade = {
        let mut state = session.lock();
        let may_upgrade = state.phase == Phase::Polling && state.closed.is_none();
        if may_upgrade {
            state.phase = Phase::Upgrading;
        }
        may_upgrade
    };
    let refuse = Duration::from_secs(1);
    if !may_upgrade {
        let _ = tokio::time::timeout(refuse, ws.send(WsFrame::close(CloseCode::Normal, ""))).await;
        return;
    }
    let deadline = Instant::now() + session.config.upgrade_timeout;
    let mut ticker = tokio::time::interval(UPGRADE_NOOP_INTERVAL);
    let mut probed = false;
    let upgraded = loop {
        tokio::select! {
            biased;
            frame = ws.next() => match frame {
                Some(frame) if frame.opcode() == OpCode::Text && frame.payload().as_ref() == b"2probe" => {
                    session.lock().probed = true;
                    let pong = to_ws(Frame::text_packet(PacketKind::Pong, "probe"));
                    let limit = deadline.saturating_duration_since(Instant::now());
                    if !matches!(tokio::time::timeout(limit, ws.send(pong)).await, Ok(Ok(()))) {
                        break false;
                    }
                    probed = true;
                    let noop = Frame::control(PacketKind::Noop);
                    let _ = session.push(std::iter::once(noop), true);
                    ticker.reset();
                }
                Some(frame) if frame.opcode() == OpCode::Text && frame.payload().as_ref() == b"5" && probed => break true,
                Some(frame) if matches!(frame.opcode(), OpCode::Ping | OpCode::Pong) => {}
                _ => break false,
            },
            _ = ticker.tick() => {
                if session.is_closed() {
                    break false;
                }
                if probed {
                    let noop = Frame::control(PacketKind::Noop);
                    let _ = session.push(std::iter::once(noop), true);
                }
            }
            () = tokio::time::sleep_until(deadline) => break false,
        }
    };
    let switched = session.finish_upgrade(upgraded);
    if !switched {
        tracing::debug!(sid = %session.id, "upgrade failed");
        let _ = tokio::time::timeout(refuse, ws.send(WsFrame::close(CloseCode::Normal, ""))).await;
        return;
    }
    drive(session, ws).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, "Upgrade".parse().unwrap());
        headers.insert(header::UPGRADE, "websocket".parse().unwrap());
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap(),
        );
        headers.insert(header::SEC_WEBSOCKET_VERSION, "13".parse().unwrap());
        if !value.is_empty() {
            headers.insert(header::SEC_WEBSOCKET_EXTENSIONS, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_a_permessage_deflate_offer_counts() {
        assert!(offered(&offer(
            "permessage-deflate; client_max_window_bits"
        )));
        assert!(offered(&offer(
            "x-webkit-deflate-frame, permessage-deflate"
        )));
        assert!(!offered(&offer("x-webkit-deflate-frame")));
        assert!(!offered(&offer("")));
    }

    #[test]
    fn the_answer_grants_what_was_asked() {
        let config = EngineConfig::default();
        let options = options(&config, &PerMessageDeflate::default());
        let browser = agree(
            &offer("permessage-deflate; client_max_window_bits"),
            &options,
        );
        assert_eq!(browser.unwrap(), "permessage-deflate");
        let asked = agree(
            &offer("permessage-deflate; client_no_context_takeover; server_no_context_takeover"),
            &options,
        )
        .unwrap();
        let asked = asked.to_str().unwrap();
        assert!(asked.contains("client_no_context_takeover"), "{asked}");
        assert!(asked.contains("server_no_context_takeover"), "{asked}");
        assert_eq!(agree(&offer(""), &options), None);
        let ours = PerMessageDeflate::default().with_client_no_context_takeover(true);
        let ours = agree(
            &offer("permessage-deflate"),
            &super::options(&config, &ours),
        )
        .unwrap();
        assert!(
            ours.to_str()
                .unwrap()
                .contains("client_no_context_takeover")
        );
    }
}
