//! Socket.IO v5 packets as the tests see them, read and written independently of
//! the codec under test: a header parsed by hand and the payload as `serde_json`.

use serde_json::Value;

/// CONNECT.
pub const CONNECT: u8 = 0;
/// DISCONNECT.
pub const DISCONNECT: u8 = 1;
/// EVENT.
pub const EVENT: u8 = 2;
/// ACK.
pub const ACK: u8 = 3;
/// CONNECT_ERROR.
pub const CONNECT_ERROR: u8 = 4;
/// BINARY_EVENT.
pub const BINARY_EVENT: u8 = 5;
/// BINARY_ACK.
pub const BINARY_ACK: u8 = 6;

/// A Socket.IO packet received by a test client, attachments included.
#[derive(Debug, Clone, PartialEq)]
pub struct SioPacket {
    /// The packet type, 0–6.
    pub kind: u8,
    /// The namespace (`/` when the header names none).
    pub nsp: String,
    /// The ack id, if any.
    pub id: Option<u64>,
    /// The JSON payload, placeholders left as they are.
    pub data: Option<Value>,
    /// The binary attachments that followed the text frame.
    pub attachments: Vec<Vec<u8>>,
    /// The text frame as received, without the Engine.IO `4`.
    pub text: String,
    /// How many attachments the header announced.
    pub(crate) expected: usize,
}

impl SioPacket {
    /// Parses the text of a Socket.IO packet (without the Engine.IO `4`).
    ///
    /// # Panics
    ///
    /// If the header or the JSON is malformed: the server must never send that.
    #[track_caller]
    pub fn parse(text: &str) -> SioPacket {
        let bytes = text.as_bytes();
        let kind = match bytes.first() {
            Some(digit @ b'0'..=b'6') => digit - b'0',
            _ => panic!("server sent a packet of unknown type: {text:?}"),
        };
        let mut pos = 1;
        let mut expected = 0;
        if kind == BINARY_EVENT || kind == BINARY_ACK {
            let dash = text[pos..]
                .find('-')
                .unwrap_or_else(|| panic!("binary packet without a count: {text:?}"));
            expected = text[pos..pos + dash]
                .parse()
                .unwrap_or_else(|_| panic!("bad attachment count in {text:?}"));
            pos += dash + 1;
        }
        let mut nsp = "/".to_owned();
        if text[pos..].starts_with('/') {
            let end = text[pos..]
                .find(',')
                .map_or(text.len(), |comma| pos + comma);
            nsp = text[pos..end].to_owned();
            pos = (end + 1).min(text.len());
        }
        let digits = text[pos..].bytes().take_while(u8::is_ascii_digit).count();
        let id = (digits > 0).then(|| {
            text[pos..pos + digits]
                .parse()
                .unwrap_or_else(|_| panic!("bad ack id in {text:?}"))
        });
        pos += digits;
        let data = (pos < text.len()).then(|| {
            serde_json::from_str(&text[pos..])
                .unwrap_or_else(|error| panic!("bad JSON in {text:?}: {error}"))
        });
        SioPacket {
            kind,
            nsp,
            id,
            data,
            attachments: Vec::new(),
            text: text.to_owned(),
            expected,
        }
    }

    /// Whether every announced attachment has arrived.
    pub fn complete(&self) -> bool {
        self.attachments.len() >= self.expected
    }

    /// Whether it is an EVENT or a BINARY_EVENT.
    pub fn is_event(&self) -> bool {
        self.kind == EVENT || self.kind == BINARY_EVENT
    }

    /// Whether it is an ACK or a BINARY_ACK.
    pub fn is_ack(&self) -> bool {
        self.kind == ACK || self.kind == BINARY_ACK
    }

    /// The event name of an event packet.
    pub fn event_name(&self) -> Option<&str> {
        if !self.is_event() {
            return None;
        }
        self.data.as_ref()?.as_array()?.first()?.as_str()
    }

    /// The arguments: of an event, those after its name; of an ack, all of them.
    pub fn args(&self) -> Vec<Value> {
        let items = self
            .data
            .as_ref()
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if self.is_event() {
            items.into_iter().skip(1).collect()
        } else {
            items
        }
    }

    /// Argument `index` (see [`SioPacket::args`]), `Null` when absent.
    pub fn arg(&self, index: usize) -> Value {
        self.args().get(index).cloned().unwrap_or(Value::Null)
    }
}

/// The placeholder standing for attachment `num`.
pub fn placeholder(num: usize) -> Value {
    serde_json::json!({ "_placeholder": true, "num": num })
}

/// The text of a packet (without the Engine.IO `4`): `<type>[<n>-][<nsp>,][<id>][data]`.
/// An EVENT or ACK with attachments becomes a BINARY_EVENT or BINARY_ACK.
pub fn encode(
    kind: u8,
    nsp: &str,
    id: Option<u64>,
    data: Option<&Value>,
    attachments: usize,
) -> String {
    let kind = match (kind, attachments) {
        (EVENT, 1..) => BINARY_EVENT,
        (ACK, 1..) => BINARY_ACK,
        (kind, _) => kind,
    };
    let mut text = kind.to_string();
    if kind == BINARY_EVENT || kind == BINARY_ACK {
        text.push_str(&format!("{attachments}-"));
    }
    if nsp != "/" {
        text.push_str(nsp);
        text.push(',');
    }
    if let Some(id) = id {
        text.push_str(&id.to_string());
    }
    if let Some(data) = data {
        text.push_str(&data.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_headers() {
        let packet = SioPacket::parse(r#"52-/admin,17["x",{"_placeholder":true,"num":0}]"#);
        assert_eq!(packet.kind, BINARY_EVENT);
        assert_eq!(packet.expected, 2);
        assert_eq!(packet.nsp, "/admin");
        assert_eq!(packet.id, Some(17));
        assert_eq!(packet.event_name(), Some("x"));
        assert_eq!(packet.args(), [placeholder(0)]);

        let connect = SioPacket::parse("0/custom,");
        assert_eq!(
            (connect.kind, connect.nsp.as_str(), connect.data),
            (CONNECT, "/custom", None)
        );
        let ack = SioPacket::parse("31[1]");
        assert_eq!((ack.id, ack.args()), (Some(1), vec![json!(1)]));
    }

    #[test]
    fn encodes_headers() {
        let args = json!(["x", placeholder(0)]);
        assert_eq!(
            encode(EVENT, "/a", Some(3), Some(&args), 1),
            r#"51-/a,3["x",{"_placeholder":true,"num":0}]"#
        );
        assert_eq!(encode(CONNECT, "/", None, None, 0), "0");
        assert_eq!(encode(DISCONNECT, "/chat", None, None, 0), "1/chat,");
    }
}
