//! HTTP long-polling: `GET` delivers queued packets, `POST` carries packets from the client.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body::Body;
use http_body_util::BodyExt;
use tokio::time::Instant;

use super::connection::CloseReason;
use super::error::RequestError;
use super::packet::{Frame, PacketKind, decode_payload};
use super::packet_v3;
use super::session::{Phase, Session, State};

/// What a polling request answers when it is not an Engine.IO error.
pub(crate) enum PollingReply {
    /// `200` with a payload (`GET`).
    Payload(Bytes),
    /// `200 ok` (`POST`).
    Ok,
    /// `413`: the body is over `max_payload`.
    TooLarge,
}

/// How long at most a session the client closed over polling stays answerable for
/// the `GET` that raced its close (never longer than `ping_timeout`).
const CLIENT_CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Keeps a polling session that closed listed for a while, then removes it from
/// the server (a `GET` that takes its last packets removes it sooner). A server-side
/// close keeps it for one `ping_timeout` so the client can fetch its last packets; a
/// client's close keeps it for at most [`CLIENT_CLOSE_LINGER`], for the `GET` that
/// raced the close.
///
/// Only a closing session has this task: an open polling session runs no task of
/// its own, its requests do its work.
pub(crate) async fn linger<D>(session: Arc<Session<D>>, reason: CloseReason) {
    let linger = if reason.flushes() {
        session.config.ping_timeout
    } else {
        session.config.ping_timeout.min(CLIENT_CLOSE_LINGER)
    };
    tokio::time::sleep(linger).await;
    session.forget();
}

/// Answers a `GET`: what is queued now, or whatever arrives before the next
/// heartbeat cycle ends.
///
/// # Cancel safety
///
/// Dropping the future (the client went away) closes a polling session with a
/// transport error, as the Node.js server does when a poll connection closes
/// prematurely; packets are only taken from the queue when the answer is ready.
pub(crate) async fn get<D>(session: &Arc<Session<D>>) -> Result<PollingReply, RequestError> {
    match wait_for_upgrade(session).await {
        Upgrade::Done => return Err(RequestError::BadRequest),
        Upgrade::Probed => return Ok(noop(session)),
        Upgrade::None => {}
    }
    if session.pong_overdue() {
        // The heartbeat task may run late on a busy machine; the session is over
        // all the same, as on the Node.js server, whose timer runs from the ping.
        tracing::debug!(sid = %session.id, "ping timeout");
        session.close(CloseReason::PingTimeout);
        return Err(RequestError::UnknownSid);
    }
    {
        let mut state = session.lock();
        if state.phase == Phase::WebSocket {
            return Err(RequestError::BadRequest);
        }
        if state.get_pending {
            drop(state);
            tracing::debug!(sid = %session.id, "overlapping GET");
            session.close(CloseReason::TransportError);
            return Err(RequestError::BadRequest);
        }
        if let Some(payload) = take_payload(session, &mut state) {
            return Ok(PollingReply::Payload(payload));
        }
        state.get_pending = true;
    }
    let mut pending = PendingGet {
        session,
        answered: false,
    };
    let reply = wait_for_payload(session).await;
    pending.answered = true;
    Ok(reply)
}

/// How long a `GET` that arrives after the upgrade probe was answered waits for
/// the client's `5`, which may have been sent first but read later on another
/// connection. The official client may still send one `GET` then (it pauses
/// polling only once it has the probe's answer): that one gets a noop after the
/// wait, sooner than the noops the upgrade sends every 100 ms would release it.
const UPGRADE_RACE: Duration = Duration::from_millis(50);

/// Where an upgrade stands for a `GET`.
enum Upgrade {
    /// No upgrade is under way: the `GET` is served as usual.
    None,
    /// The probe was answered and no `5` came within [`UPGRADE_RACE`]: the `GET`
    /// gets a noop, so that the client can complete the upgrade.
    Probed,
    /// The session is on WebSocket (the `5` came meanwhile): the `GET` gets a
    /// `400`, as on the Node.js server, which reads the `5` first.
    Done,
}

/// Waits at most [`UPGRADE_RACE`] for an answered probe to be followed by `5`.
async fn wait_for_upgrade<D>(session: &Arc<Session<D>>) -> Upgrade {
    if let Some(upgrade) = settled_upgrade(session) {
        return upgrade;
    }
    let deadline = Instant::now() + UPGRADE_RACE;
    loop {
        let mut notified = std::pin::pin!(session.poll.notified());
        notified.as_mut().enable();
        if let Some(upgrade) = settled_upgrade(session) {
            return upgrade;
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return settled_upgrade(session).unwrap_or(Upgrade::Probed);
        }
    }
}

/// Where the upgrade stands; `None` while an answered probe waits for `5`.
fn settled_upgrade<D>(session: &Session<D>) -> Option<Upgrade> {
    let state = session.lock();
    match state.phase {
        Phase::WebSocket => Some(Upgrade::Done),
        Phase::Upgrading if state.probed => None,
        Phase::Polling | Phase::Upgrading => Some(Upgrade::None),
    }
}

/// Waits for something to answer a pending `GET` with.
async fn wait_for_payload<D>(session: &Arc<Session<D>>) -> PollingReply {
    let deadline = Instant::now() + session.config.ping_interval + session.config.ping_timeout;
    loop {
        let notified = session.poll.notified();
        {
            let mut state = session.lock();
            if state.phase == Phase::WebSocket {
                return noop(session);
            }
            if let Some(payload) = take_payload(session, &mut state) {
                return PollingReply::Payload(payload);
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return noop(session);
        }
    }
}

fn noop<D>(session: &Session<D>) -> PollingReply {
    PollingReply::Payload(session.encode_payload([&Frame::control(PacketKind::Noop)]))
}

/// Takes everything queued as one payload. After a server-side close, the close
/// packet follows in the next payload; the payload that carries it removes the
/// session from the server.
fn take_payload<D>(session: &Arc<Session<D>>, state: &mut State) -> Option<Bytes> {
    if state.queue.is_empty() {
        return None;
    }
    let payload = session.encode_payload(state.queue.iter());
    state.queue.clear();
    state.flush_after = None;
    if state.close_after_flush {
        state.close_after_flush = false;
        state.queue.push_back(Frame::control(PacketKind::Close));
    } else if state.closed.is_some() {
        session.forget();
    }
    Some(payload)
}

/// A `GET` the session waits to answer. Dropped unanswered (the client closed the
/// request), it closes a session still on polling.
struct PendingGet<'a, D> {
    session: &'a Arc<Session<D>>,
    answered: bool,
}

impl<D> Drop for PendingGet<'_, D> {
    fn drop(&mut self) {
        let abandoned = {
            let mut state = self.session.lock();
            state.get_pending = false;
            !self.answered && state.phase == Phase::Polling && state.closed.is_none()
        };
        if abandoned {
            tracing::debug!(sid = %self.session.id, "poll request closed prematurely");
            self.session.close(CloseReason::TransportError);
        }
    }
}

struct PendingPost<'a, D>(&'a Arc<Session<D>>);

impl<D> Drop for PendingPost<'_, D> {
    fn drop(&mut self) {
        self.0.lock().post_pending = false;
    }
}

/// What the head of a polling `POST` says of its body.
pub(crate) struct PostHead {
    /// `Content-Type: application/octet-stream` (an Engine.IO v3 binary payload).
    binary: bool,
    /// The `Content-Length`, when it is one number.
    declared: Option<u64>,
}

impl PostHead {
    /// Reads what the body handling needs from a request's headers.
    pub(crate) fn of(headers: &HeaderMap) -> PostHead {
        PostHead {
            binary: headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"application/octet-stream")),
            declared: headers
                .get(header::CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u64>().ok()),
        }
    }
}

/// Handles a `POST`: reads at most `max_payload` bytes and hands each packet to the session.
pub(crate) async fn post<D: Send + Sync + 'static, B>(
    session: &Arc<Session<D>>,
    head: PostHead,
    body: B,
) -> Result<PollingReply, RequestError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    {
        let mut state = session.lock();
        if state.phase == Phase::WebSocket || state.closed.is_some() {
            return Err(RequestError::BadRequest);
        }
        if state.post_pending {
            drop(state);
            tracing::debug!(sid = %session.id, "overlapping POST");
            session.close(CloseReason::TransportError);
            return Err(RequestError::BadRequest);
        }
        state.post_pending = true;
    }
    let _pending = PendingPost(session);
    let PostHead { binary, declared } = head;
    if binary && !session.eio3 {
        session.close(CloseReason::TransportError);
        return Err(RequestError::BadRequest);
    }
    let max = session.config.max_payload;
    if declared.is_some_and(|len| len > max as u64) {
        return Ok(PollingReply::TooLarge);
    }
    let body = match read_body(body, max).await {
        Ok(Some(body)) => body,
        Ok(None) => return Ok(PollingReply::TooLarge),
        Err(_) => return Err(RequestError::BadRequest),
    };
    let decoded = match (session.eio3, binary) {
        (false, _) => decode_payload(body),
        (true, false) => packet_v3::decode_payload(body),
        (true, true) => packet_v3::decode_binary_payload(body),
    };
    let packets = match decoded {
        Ok(packets) => packets,
        Err(error) => {
            tracing::debug!(sid = %session.id, %error, "bad polling payload");
            session.close(CloseReason::ParseError);
            return Err(RequestError::BadRequest);
        }
    };
    for packet in packets {
        if session.is_closed() {
            break;
        }
        session.on_packet(packet);
    }
    Ok(PollingReply::Ok)
}

/// Reads a request body of at most `max` bytes (`None` when it is longer). A body
/// that comes in one piece, as most do, is kept as it is; trailers are ignored.
async fn read_body<B: Body>(body: B, max: usize) -> Result<Option<Bytes>, B::Error> {
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    let mut len = 0usize;
    while let Some(frame) = body.as_mut().frame().await {
        let Ok(mut data) = frame?.into_data() else {
            continue;
        };
        len = len.saturating_add(data.remaining());
        if len > max {
            return Ok(None);
        }
        if first.is_none() && joined.is_empty() {
            first = Some(data.copy_to_bytes(data.remaining()));
        } else {
            if let Some(first) = first.take() {
                joined.put(first);
            }
            joined.put(data);
        }
    }
    Ok(Some(first.unwrap_or_else(|| joined.freeze())))
}

/// The content type of a payload, checked once at compile time.
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=UTF-8");

/// The content type of a `POST`'s `ok`, checked once at compile time.
const TEXT_HTML: HeaderValue = HeaderValue::from_static("text/html");

impl PollingReply {
    /// The status, content type and body of the reply.
    pub(crate) fn parts(self) -> (StatusCode, Option<HeaderValue>, Bytes) {
        match self {
            PollingReply::Payload(payload) => (StatusCode::OK, Some(TEXT_PLAIN), payload),
            PollingReply::Ok => (StatusCode::OK, Some(TEXT_HTML), Bytes::from_static(b"ok")),
            PollingReply::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None, Bytes::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use bytes::Bytes;
    use http_body::Frame;
    use http_body_util::StreamBody;

    use super::read_body;

    fn body(
        chunks: &[&'static str],
    ) -> StreamBody<impl futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>>> {
        let frames = chunks
            .iter()
            .map(|chunk| Ok(Frame::data(Bytes::from_static(chunk.as_bytes()))));
        StreamBody::new(futures_util::stream::iter(frames.collect::<Vec<_>>()))
    }

    #[tokio::test]
    async fn a_body_in_one_piece_is_kept_as_it_came() {
        let chunk = "4hello\u{1e}4world";
        let read = read_body(body(&[chunk]), 100).await.unwrap().unwrap();
        assert_eq!(read.as_ptr(), chunk.as_ptr(), "not copied");
        assert_eq!(read, chunk);
    }

    #[tokio::test]
    async fn pieces_are_joined_up_to_the_limit() {
        let cases: [(&[&'static str], usize, Option<&str>); 6] = [
            (&[], 10, Some("")),
            (&["", "4a", "", "bc"], 10, Some("4abc")),
            (&["4he", "llo"], 6, Some("4hello")),
            (&["4he", "llo"], 5, None),
            (&["4hello"], 5, None),
            (&["", ""], 0, Some("")),
        ];
        for (chunks, max, expected) in cases {
            let read = read_body(body(chunks), max).await.unwrap();
            assert_eq!(
                read.as_deref(),
                expected.map(str::as_bytes),
                "{chunks:?} within {max}"
            );
        }
    }
}
