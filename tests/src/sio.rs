//! A Socket.IO v5 client for tests, over an Engine.IO v4 WebSocket: joins
//! namespaces, emits with and without acks and binary attachments, and reads every
//! packet in order (frames that arrive together are never lost).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;

use crate::payload::OpenPacket;
use crate::sio_packet::{self, SioPacket};
use crate::ws::{WsClient, WsEvent};
use crate::{PATIENCE, QUIET};

/// What the next read found.
#[derive(Debug, Clone, PartialEq)]
pub enum SioEvent {
    /// A complete packet.
    Packet(SioPacket),
    /// The connection ended (with the close code of the server's close frame, if any).
    Closed(Option<u16>),
}

/// What one read of the WebSocket produced.
enum Read {
    Event(SioEvent),
    Ping,
}

/// A Socket.IO client connected over WebSocket.
#[derive(Debug)]
pub struct SioClient {
    ws: WsClient,
    /// The Engine.IO handshake.
    pub open: OpenPacket,
    answer_pings: bool,
    pings: usize,
    partial: Option<SioPacket>,
    unread: VecDeque<SioPacket>,
    next_ack: u64,
}

impl SioClient {
    /// Opens an Engine.IO WebSocket session on `path` (such as `/socket.io/`); joins
    /// no namespace yet.
    pub async fn open(addr: SocketAddr, path: &str) -> SioClient {
        SioClient::open_with_query(addr, path, "").await
    }

    /// Like [`SioClient::open`], with extra query parameters (`a=1&b=2`).
    pub async fn open_with_query(addr: SocketAddr, path: &str, query: &str) -> SioClient {
        let separator = if query.is_empty() { "" } else { "&" };
        let url = format!("{path}?EIO=4&transport=websocket{separator}{query}");
        let mut ws = WsClient::connect(addr, &url).await;
        let open = OpenPacket::parse(&ws.expect_text().await);
        SioClient::from_ws(ws, open)
    }

    /// A client on a WebSocket whose Engine.IO session is already open (such as one
    /// that completed an upgrade from polling).
    pub fn from_ws(ws: WsClient, open: OpenPacket) -> SioClient {
        SioClient {
            ws,
            open,
            answer_pings: true,
            pings: 0,
            partial: None,
            unread: VecDeque::new(),
            next_ack: 0,
        }
    }

    /// Whether pings are answered (they are by default); a client that stops
    /// answering gets a ping timeout.
    pub fn answer_pings(&mut self, answer: bool) {
        self.answer_pings = answer;
    }

    /// How many pings the server sent so far.
    pub fn pings(&self) -> usize {
        self.pings
    }

    /// Sends an Engine.IO text frame as it is (`"40"`, `"4abc"`, `"3"`).
    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send_text(text).await;
    }

    /// Sends a binary frame (an attachment).
    pub async fn send_raw_binary(&mut self, bytes: &[u8]) {
        self.ws.send_binary(bytes.to_vec()).await;
    }

    /// Sends a raw frame to a connection the server may have closed; returns whether
    /// it was written.
    pub async fn try_send_raw(&mut self, text: &str) -> bool {
        self.ws.send_text_if_open(text).await
    }

    async fn send_packet(
        &mut self,
        kind: u8,
        nsp: &str,
        id: Option<u64>,
        data: Option<&Value>,
        attachments: &[&[u8]],
    ) {
        let text = sio_packet::encode(kind, nsp, id, data, attachments.len());
        self.ws.send_text(&format!("4{text}")).await;
        for attachment in attachments {
            self.ws.send_binary(attachment.to_vec()).await;
        }
    }

    /// Sends CONNECT for `nsp` with an optional auth payload; returns the socket id
    /// the server answered with, or the data of its CONNECT_ERROR.
    pub async fn join(&mut self, nsp: &str, auth: Option<Value>) -> Result<String, Value> {
        let (sid, pid) = self.join_answer(nsp, auth).await?;
        assert_eq!(pid, None, "CONNECT answer must hold exactly `sid`");
        Ok(sid)
    }

    /// Joins `nsp` on a server with connection state recovery: returns the socket
    /// id and the private id (`pid`) the server answered with.
    ///
    /// # Panics
    ///
    /// If the server refuses, or answers without a `pid`.
    pub async fn join_recoverable(&mut self, nsp: &str, auth: Option<Value>) -> (String, String) {
        match self.join_answer(nsp, auth).await {
            Ok((sid, Some(pid))) => (sid, pid),
            Ok((_, None)) => panic!("joining {nsp}: no pid in the CONNECT answer"),
            Err(error) => panic!("joining {nsp} refused: {error}"),
        }
    }

    /// Sends CONNECT and reads the answer: the `sid` and `pid` (when there is one)
    /// of a CONNECT, which must hold nothing else, or the data of a CONNECT_ERROR.
    async fn join_answer(
        &mut self,
        nsp: &str,
        auth: Option<Value>,
    ) -> Result<(String, Option<String>), Value> {
        let data = auth.as_ref();
        let text = sio_packet::encode(sio_packet::CONNECT, nsp, None, data, 0);
        self.send_raw(&format!("4{text}")).await;
        let answer = self
            .take_unread_until(|packet| {
                packet.nsp == nsp
                    && (packet.kind == sio_packet::CONNECT
                        || packet.kind == sio_packet::CONNECT_ERROR)
            })
            .await;
        let data = answer.data.clone().unwrap_or(Value::Null);
        if answer.kind == sio_packet::CONNECT_ERROR {
            return Err(data);
        }
        let object = data.as_object().expect("CONNECT answer is an object");
        assert!(
            object.keys().eq(["sid"]) || object.keys().eq(["sid", "pid"]),
            "CONNECT answer must hold `sid` (and `pid`) only: {}",
            answer.text
        );
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok((text("sid").expect("sid is a string"), text("pid")))
    }

    /// Joins `nsp`, which must succeed; returns the socket id.
    ///
    /// # Panics
    ///
    /// If the server refuses.
    pub async fn join_ok(&mut self, nsp: &str, auth: Option<Value>) -> String {
        match self.join(nsp, auth).await {
            Ok(sid) => sid,
            Err(error) => panic!("joining {nsp} refused: {error}"),
        }
    }

    /// Leaves `nsp` (sends DISCONNECT).
    pub async fn leave(&mut self, nsp: &str) {
        self.send_packet(sio_packet::DISCONNECT, nsp, None, None, &[])
            .await;
    }

    /// Emits `event` with `args` (a JSON array) on `nsp`.
    pub async fn emit(&mut self, nsp: &str, event: &str, args: Value) {
        self.emit_inner(nsp, event, args, None, &[]).await;
    }

    /// Emits with binary attachments named by placeholders in `args`.
    pub async fn emit_binary(
        &mut self,
        nsp: &str,
        event: &str,
        args: Value,
        attachments: &[&[u8]],
    ) {
        self.emit_inner(nsp, event, args, None, attachments).await;
    }

    /// Emits asking for an acknowledgement; returns the ack id.
    pub async fn emit_with_ack(&mut self, nsp: &str, event: &str, args: Value) -> u64 {
        self.emit_with_ack_binary(nsp, event, args, &[]).await
    }

    /// Emits with attachments, asking for an acknowledgement; returns the ack id.
    pub async fn emit_with_ack_binary(
        &mut self,
        nsp: &str,
        event: &str,
        args: Value,
        attachments: &[&[u8]],
    ) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        self.emit_inner(nsp, event, args, Some(id), attachments)
            .await;
        id
    }

    async fn emit_inner(
        &mut self,
        nsp: &str,
        event: &str,
        args: Value,
        id: Option<u64>,
        attachments: &[&[u8]],
    ) {
        let mut items = vec![Value::from(event)];
        items.extend(
            args.as_array()
                .expect("args must be a JSON array")
                .iter()
                .cloned(),
        );
        let data = Value::Array(items);
        self.send_packet(sio_packet::EVENT, nsp, id, Some(&data), attachments)
            .await;
    }

    /// Answers the server's event `id` on `nsp` with `args` (a JSON array).
    pub async fn ack(&mut self, nsp: &str, id: u64, args: Value) {
        self.ack_binary(nsp, id, args, &[]).await;
    }

    /// Answers with attachments named by placeholders in `args`.
    pub async fn ack_binary(&mut self, nsp: &str, id: u64, args: Value, attachments: &[&[u8]]) {
        self.send_packet(sio_packet::ACK, nsp, Some(id), Some(&args), attachments)
            .await;
    }

    /// The next packet or the end of the connection, waiting at most `within`.
    /// Pings are answered (unless turned off) and not returned.
    pub async fn next_within(&mut self, within: Duration) -> Option<SioEvent> {
        if let Some(packet) = self.unread.pop_front() {
            return Some(SioEvent::Packet(packet));
        }
        match self.read(within, false).await? {
            Read::Event(event) => Some(event),
            Read::Ping => unreachable!("pings are only returned when asked for"),
        }
    }

    /// Reads frames until a packet is complete, the connection ends, `within`
    /// passes, or (with `stop_at_ping`) a ping arrives.
    async fn read(&mut self, within: Duration, stop_at_ping: bool) -> Option<Read> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.ws.next_within(left).await?;
            match frame {
                WsEvent::Closed(code) => return Some(Read::Event(SioEvent::Closed(code))),
                WsEvent::Binary(bytes) => {
                    let mut packet = self.partial.take().unwrap_or_else(|| {
                        panic!("binary frame with no packet waiting: {bytes:?}")
                    });
                    packet.attachments.push(bytes);
                    if packet.complete() {
                        return Some(Read::Event(SioEvent::Packet(packet)));
                    }
                    self.partial = Some(packet);
                }
                WsEvent::Text(text) => {
                    assert!(
                        self.partial.is_none(),
                        "text frame {text:?} while attachments were due"
                    );
                    if text == "2" {
                        self.pings += 1;
                        if self.answer_pings {
                            let _ = self.ws.send_text_if_open("3").await;
                        }
                        if stop_at_ping {
                            return Some(Read::Ping);
                        }
                        continue;
                    }
                    let Some(sio) = text.strip_prefix('4') else {
                        panic!("unexpected Engine.IO packet {text:?}");
                    };
                    let packet = SioPacket::parse(sio);
                    if packet.complete() {
                        return Some(Read::Event(SioEvent::Packet(packet)));
                    }
                    self.partial = Some(packet);
                }
            }
        }
    }

    /// The next packet.
    ///
    /// # Panics
    ///
    /// If the connection ends or nothing arrives within [`PATIENCE`].
    pub async fn next_packet(&mut self) -> SioPacket {
        match self.next_within(PATIENCE).await {
            Some(SioEvent::Packet(packet)) => packet,
            Some(SioEvent::Closed(code)) => {
                panic!("connection closed ({code:?}) while a packet was due")
            }
            None => panic!("no packet within {PATIENCE:?}"),
        }
    }

    /// Reads until a packet satisfies `wanted`, keeping the others for later reads.
    async fn take_unread_until(&mut self, wanted: impl Fn(&SioPacket) -> bool) -> SioPacket {
        let mut skipped = VecDeque::new();
        let found = loop {
            let packet = match self.unread.pop_front() {
                Some(packet) => packet,
                None => match self.next_within(PATIENCE).await {
                    Some(SioEvent::Packet(packet)) => packet,
                    other => panic!("waiting for a packet, got {other:?}; skipped {skipped:?}"),
                },
            };
            if wanted(&packet) {
                break packet;
            }
            skipped.push_back(packet);
        };
        skipped.extend(self.unread.drain(..));
        self.unread = skipped;
        found
    }

    /// The next packet, which must be event `name` on `nsp`.
    ///
    /// # Panics
    ///
    /// If the next packet is anything else.
    pub async fn expect_event(&mut self, nsp: &str, name: &str) -> SioPacket {
        let packet = self.next_packet().await;
        assert!(
            packet.nsp == nsp && packet.event_name() == Some(name),
            "expected event {name:?} on {nsp}, got {:?}",
            packet.text
        );
        packet
    }

    /// The next packet, which must be the acknowledgement `id` on `nsp`.
    ///
    /// # Panics
    ///
    /// If the next packet is anything else.
    pub async fn expect_ack(&mut self, nsp: &str, id: u64) -> SioPacket {
        let packet = self.next_packet().await;
        assert!(
            packet.is_ack() && packet.nsp == nsp && packet.id == Some(id),
            "expected ack {id} on {nsp}, got {:?}",
            packet.text
        );
        packet
    }

    /// Reads until the connection ends; returns the packets received before.
    ///
    /// # Panics
    ///
    /// If it is still open after [`PATIENCE`].
    pub async fn expect_closed(&mut self) -> Vec<SioPacket> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(SioEvent::Closed(_)) => return before,
                Some(SioEvent::Packet(packet)) => before.push(packet),
                None => panic!("connection still open after {PATIENCE:?}; received {before:?}"),
            }
        }
    }

    /// Reads until the server's next ping, which must come before any packet.
    ///
    /// # Panics
    ///
    /// If a packet arrives first, the connection ends, or no ping comes within
    /// [`PATIENCE`].
    pub async fn expect_ping(&mut self) {
        if let Some(packet) = self.unread.pop_front() {
            panic!("expected a ping first, got {packet:?}");
        }
        match self.read(PATIENCE, true).await {
            Some(Read::Ping) => {}
            Some(Read::Event(other)) => panic!("expected a ping first, got {other:?}"),
            None => panic!("no ping within {PATIENCE:?}"),
        }
    }

    /// Asserts that no packet arrives and the connection stays open for [`QUIET`].
    pub async fn expect_silence(&mut self) {
        if let Some(event) = self.next_within(QUIET).await {
            panic!("expected silence, got {event:?}");
        }
    }

    /// Closes the WebSocket from the client side.
    pub async fn close(&mut self) {
        self.ws.close().await;
    }
}
