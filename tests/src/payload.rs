//! Reading and writing Engine.IO payloads in tests, independently of the codec
//! under test.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The record separator between packets of a polling payload.
pub const SEPARATOR: char = '\x1e';

/// The keys of the handshake's JSON object, in the order the Node.js server
/// writes them.
pub const OPEN_KEYS: [&str; 5] = [
    "sid",
    "upgrades",
    "pingInterval",
    "pingTimeout",
    "maxPayload",
];

/// The handshake (`0{...}`) a server sends first, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPacket {
    /// The session id.
    pub sid: String,
    /// The transports the session may upgrade to.
    pub upgrades: Vec<String>,
    /// `pingInterval`, in milliseconds.
    pub ping_interval: u64,
    /// `pingTimeout`, in milliseconds.
    pub ping_timeout: u64,
    /// `maxPayload`, in bytes.
    pub max_payload: u64,
    /// The JSON keys, in the order the server wrote them.
    pub keys: Vec<String>,
}

impl OpenPacket {
    /// Parses an open packet.
    ///
    /// # Panics
    ///
    /// If `packet` is not `0` followed by a JSON object with the five handshake keys.
    #[track_caller]
    pub fn parse(packet: &str) -> OpenPacket {
        let json = packet
            .strip_prefix('0')
            .unwrap_or_else(|| panic!("not an open packet: {packet:?}"));
        let value: serde_json::Value = serde_json::from_str(json).expect("open packet JSON");
        let object = value.as_object().expect("open packet is an object");
        let number = |key: &str| {
            object
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or_else(|| panic!("{key} missing in {packet:?}"))
        };
        OpenPacket {
            sid: object
                .get("sid")
                .and_then(serde_json::Value::as_str)
                .expect("sid")
                .to_owned(),
            upgrades: object
                .get("upgrades")
                .and_then(serde_json::Value::as_array)
                .expect("upgrades")
                .iter()
                .map(|item| item.as_str().expect("upgrade name").to_owned())
                .collect(),
            ping_interval: number("pingInterval"),
            ping_timeout: number("pingTimeout"),
            max_payload: number("maxPayload"),
            keys: object.keys().cloned().collect(),
        }
    }
}

/// Splits a polling payload into its packets.
pub fn split(payload: &str) -> Vec<&str> {
    payload.split(SEPARATOR).collect()
}

/// Joins packets into a polling payload.
pub fn join<S: AsRef<str>>(packets: &[S]) -> String {
    packets
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join("\x1e")
}

/// A binary message as a polling record: `b<base64>`.
pub fn binary_record(bytes: &[u8]) -> String {
    format!("b{}", STANDARD.encode(bytes))
}

/// Whether `sid` looks like the Node.js server's ids: 20 characters of base64url.
pub fn is_node_style_sid(sid: &str) -> bool {
    sid.len() == 20
        && sid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_packet_keeps_key_order() {
        let open = OpenPacket::parse(
            r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":1,"pingTimeout":2,"maxPayload":3}"#,
        );
        assert_eq!(open.keys, OPEN_KEYS);
        assert_eq!(open.upgrades, ["websocket"]);
        assert_eq!(
            (open.ping_interval, open.ping_timeout, open.max_payload),
            (1, 2, 3)
        );
    }

    #[test]
    fn payload_round_trip() {
        let payload = join(&["4a", &binary_record(&[1, 2, 3, 4])]);
        assert_eq!(payload, "4a\x1ebAQIDBA==");
        assert_eq!(split(&payload), ["4a", "bAQIDBA=="]);
    }

    #[test]
    fn sid_shape() {
        assert!(is_node_style_sid("abcdefghij-_ABCDEF01"));
        assert!(!is_node_style_sid("abcdefghij+/ABCDEF01"));
        assert!(!is_node_style_sid("short"));
    }
}
