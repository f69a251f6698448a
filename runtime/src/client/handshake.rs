//! Opening an Engine.IO session and joining the namespace, by WebSocket or
//! polling, with the upgrade from polling to WebSocket.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;

use super::endpoint::Endpoint;
use super::error::ConnectError;
use super::polling::Polling;
use super::transport::{
    Incoming, OpenError, Transport, TransportMode, Ws, from_ws, open_websocket, to_ws,
};
use crate::engine::{Frame, Message, Packet as EnginePacket, PacketKind as EngineKind, Text};
use crate::peer;
use crate::protocol::{Body, Decoder, Packet, try_encode_connect};

/// The longest an upgrade from polling to WebSocket may take before the client
/// goes on polling.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// Most events kept that arrive before the CONNECT answer (a Node.js server
/// replays the events a recovering client missed before it answers); a server
/// that sends more fails the attempt.
pub(crate) const MAX_EARLY_EVENTS: usize = 16_384;

/// An open Engine.IO session, and how joining each namespace went.
pub(crate) struct Link {
    pub(crate) transport: Transport,
    pub(crate) decoder: Decoder,
    /// No ping within this long means the connection is lost
    /// (`pingInterval + pingTimeout`).
    pub(crate) heartbeat: Duration,
    /// Each namespace asked for, in order: joined, or the server's refusal.
    pub(crate) joined: Vec<(String, Result<Joined, peer::ConnectError>)>,
}

/// A namespace the server let the client join.
pub(crate) struct Joined {
    /// The socket id the server gave in its CONNECT answer.
    pub(crate) sid: String,
    /// The private id the server gave with connection state recovery on.
    pub(crate) pid: Option<String>,
    /// The server took the client's previous socket back (its `pid`).
    pub(crate) recovered: bool,
    /// Events for the namespace that arrived before the CONNECT answer (or
    /// before the last namespace was answered).
    pub(crate) early: Vec<Packet>,
}

/// What a client that lost its connection names to get its socket back.
#[derive(Clone, Copy)]
pub(crate) struct Resume<'a> {
    /// The private id of the lost socket.
    pub(crate) pid: &'a str,
    /// The offset of the last event it received.
    pub(crate) offset: &'a str,
}

/// How to connect: where, and which namespaces to join with what.
pub(crate) struct Join<'a> {
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) mode: TransportMode,
    pub(crate) timeout: Duration,
    pub(crate) namespaces: Vec<NspJoin<'a>>,
}

/// One namespace to join.
pub(crate) struct NspJoin<'a> {
    pub(crate) nsp: &'a str,
    pub(crate) auth: &'a super::auth::AuthSource,
    /// Asks the server to recover a lost socket.
    pub(crate) resume: Option<Resume<'a>>,
}

/// The handshake document of an Engine.IO `open` packet.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenInfo {
    sid: String,
    #[serde(default)]
    upgrades: Vec<String>,
    ping_interval: u64,
    ping_timeout: u64,
    max_payload: Option<usize>,
}

/// The CONNECT answer's data.
#[derive(Deserialize)]
pub(crate) struct ConnectReply {
    pub(crate) sid: String,
    pub(crate) pid: Option<String>,
}

/// The CONNECT_ERROR payload, as an object (a bare string is also accepted).
#[derive(Deserialize)]
struct Refusal {
    message: String,
    data: Option<serde_json::Value>,
}

/// Connects and joins the namespaces, all within the join's timeout.
pub(crate) async fn establish(join: Join<'_>) -> Result<Link, ConnectError> {
    let timeout = join.timeout;
    tokio::time::timeout(timeout, handshake(join))
        .await
        .map_err(|_| ConnectError::Timeout(timeout))?
}

async fn handshake(join: Join<'_>) -> Result<Link, ConnectError> {
    if let Some(jar) = &join.endpoint.cookies {
        jar.clear();
    }
    let mut transport = match join.mode {
        TransportMode::WebSocket => {
            Transport::websocket(open_websocket(join.endpoint, None).await?)
        }
        TransportMode::Polling | TransportMode::PollingThenWebSocket => {
            let (polling, received) = Polling::open(join.endpoint)
                .await
                .map_err(|error| ConnectError::Polling(error.to_string()))?;
            Transport::polling(polling, received)
        }
    };

    let open = match next_packet(&mut transport).await? {
        EnginePacket::Open(json) => parse_open(&json)?,
        other => {
            return Err(protocol_error(format!(
                "expected an open packet, got {other:?}"
            )));
        }
    };
    let heartbeat = Duration::from_millis(open.ping_interval.saturating_add(open.ping_timeout));
    if let Some(polling) = transport.as_polling() {
        polling.opened(&open.sid, heartbeat, open.max_payload);
    }

    let mut connects = Vec::new();
    for namespace in &join.namespaces {
        let auth = namespace.auth.evaluate().await?;
        let auth = connect_payload(auth.as_ref(), namespace.resume);
        let connect = try_encode_connect(namespace.nsp, auth.as_ref())
            .map_err(|error| ConnectError::InvalidAuth(error.to_string()))?;
        connects.extend(super::endpoint::frames_of(join.endpoint.parser, &connect));
    }
    transport
        .send(&connects)
        .await
        .map_err(|error| protocol_error(error.to_string()))?;

    let mut decoder = Decoder::default();
    let mut early: Vec<Vec<Packet>> = join.namespaces.iter().map(|_| Vec::new()).collect();
    let mut early_count = 0;
    let mut answers: Vec<Option<Result<ConnectReply, peer::ConnectError>>> =
        join.namespaces.iter().map(|_| None).collect();
    while answers.iter().any(Option::is_none) {
        let decoded = match next_packet(&mut transport).await? {
            EnginePacket::Ping(_) => {
                transport
                    .send(&[Frame::control(EngineKind::Pong)])
                    .await
                    .map_err(|error| protocol_error(error.to_string()))?;
                continue;
            }
            EnginePacket::Message(text) => join
                .endpoint
                .parser
                .decode(&mut decoder, Message::Text(text)),
            EnginePacket::Binary(bytes) => join
                .endpoint
                .parser
                .decode(&mut decoder, Message::Binary(bytes)),
            EnginePacket::Close => return Err(ConnectError::Closed),
            _ => continue,
        };
        let decoded = decoded.map_err(|error| protocol_error(error.to_string()))?;
        let Some(packet) = decoded else {
            continue;
        };
        let Some(index) = join
            .namespaces
            .iter()
            .position(|namespace| namespace.nsp == packet.nsp.as_str())
        else {
            continue;
        };
        match packet.body {
            Body::Connect(Some(data)) if answers[index].is_none() => {
                let reply: ConnectReply = serde_json::from_str(data.as_str())
                    .map_err(|error| protocol_error(format!("bad CONNECT answer: {error}")))?;
                answers[index] = Some(Ok(reply));
            }
            Body::Event { .. } => {
                if early_count == MAX_EARLY_EVENTS {
                    return Err(protocol_error(format!(
                        "over {MAX_EARLY_EVENTS} events before the CONNECT answer"
                    )));
                }
                early_count += 1;
                early[index].push(packet);
            }
            Body::Connect(None) => {
                return Err(protocol_error("CONNECT answer without a sid".to_owned()));
            }
            Body::ConnectError(json) if answers[index].is_none() => {
                answers[index] = Some(Err(refusal(&json)));
            }
            _ => {}
        }
    }

    if join.mode == TransportMode::PollingThenWebSocket
        && open.upgrades.iter().any(|upgrade| upgrade == "websocket")
    {
        match tokio::time::timeout(UPGRADE_TIMEOUT, upgrade(join.endpoint, &open.sid)).await {
            Ok(Ok(ws)) => transport.switch_to(ws),
            Ok(Err(error)) => tracing::debug!(%error, "upgrade failed; polling goes on"),
            Err(_) => tracing::debug!("upgrade timed out; polling goes on"),
        }
    }
    tracing::debug!(transport = transport.name(), "joined");
    let joined = join
        .namespaces
        .iter()
        .zip(answers)
        .zip(early)
        .map(|((namespace, answer), early)| {
            let outcome = match answer {
                Some(Ok(reply)) => Ok(Joined {
                    recovered: namespace
                        .resume
                        .is_some_and(|resume| reply.pid.as_deref() == Some(resume.pid)),
                    sid: reply.sid,
                    pid: reply.pid,
                    early,
                }),
                Some(Err(refusal)) => Err(refusal),
                None => Err(peer::ConnectError::new("no answer")),
            };
            (namespace.nsp.to_owned(), outcome)
        })
        .collect();
    Ok(Link {
        transport,
        decoder,
        heartbeat,
        joined,
    })
}

/// The CONNECT payload: the auth, and with `resume` the lost socket's `pid` and
/// last `offset` before it, as socket.io-client sends them.
fn connect_payload(
    auth: Option<&serde_json::Value>,
    resume: Option<Resume<'_>>,
) -> Option<serde_json::Value> {
    let Some(resume) = resume else {
        return auth.cloned();
    };
    let mut payload = serde_json::Map::new();
    payload.insert("pid".into(), resume.pid.into());
    payload.insert("offset".into(), resume.offset.into());
    if let Some(serde_json::Value::Object(auth)) = auth {
        payload.extend(auth.clone());
    }
    Some(serde_json::Value::Object(payload))
}

/// Probes a WebSocket for session `sid` (`2probe` → `3probe`) and completes the
/// upgrade (`5`). No GET is pending at this point, so the server has nothing to
/// release on the polling side and flushes what it holds onto the WebSocket.
async fn upgrade(endpoint: &Endpoint, sid: &str) -> Result<Ws, OpenError> {
    let mut ws = open_websocket(endpoint, Some(sid)).await?;
    ws.send(to_ws(Frame::text_packet(EngineKind::Ping, "probe")))
        .await?;
    loop {
        let Some(message) = ws.next().await.transpose()? else {
            return Err(OpenError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        };
        match from_ws(message) {
            Incoming::Packet(EnginePacket::Pong(probe)) if probe.as_str() == "probe" => break,
            Incoming::Skip => {}
            _ => return Err(OpenError::Io(std::io::ErrorKind::InvalidData.into())),
        }
    }
    ws.send(to_ws(Frame::control(EngineKind::Upgrade))).await?;
    Ok(ws)
}

fn parse_open(json: &Text) -> Result<OpenInfo, ConnectError> {
    let open: OpenInfo = serde_json::from_str(json.as_str())
        .map_err(|error| protocol_error(format!("bad open packet: {error}")))?;
    let url_safe = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_';
    if open.sid.is_empty() || !open.sid.bytes().all(url_safe) {
        return Err(protocol_error(format!("bad session id {:?}", open.sid)));
    }
    Ok(open)
}

/// Reads the server's `connect_error` payload: `{"message","data"}` or a string.
pub(crate) fn refusal(json: &Text) -> peer::ConnectError {
    if let Ok(Refusal { message, data }) = serde_json::from_str(json.as_str()) {
        let error = peer::ConnectError::new(message);
        return match data {
            Some(data) => error.with_data(data),
            None => error,
        };
    }
    match serde_json::from_str::<String>(json.as_str()) {
        Ok(message) => peer::ConnectError::new(message),
        Err(_) => peer::ConnectError::new(json.as_str()),
    }
}

fn protocol_error(message: String) -> ConnectError {
    ConnectError::Protocol(message)
}

/// The next Engine.IO packet during the handshake.
async fn next_packet(transport: &mut Transport) -> Result<EnginePacket, ConnectError> {
    loop {
        match transport.next().await {
            Incoming::Packet(packet) => return Ok(packet),
            Incoming::Invalid(message) => return Err(protocol_error(message)),
            Incoming::Closed => return Err(ConnectError::Closed),
            Incoming::Lost(reason) => {
                return Err(protocol_error(format!("connection lost ({reason})")));
            }
            Incoming::Skip => {}
        }
    }
}
