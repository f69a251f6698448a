//! The messages the admin namespace sends the UI, built as `@socket.io/admin-ui`
//! 0.5's server shapes them: a socket's description, the server stats, the
//! aggregated events and the dates.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;
use serde::Serialize;
use serde::ser::{SerializeTuple, Serializer};
use serde_json::{Map, Value as Json, json};

use crate::protocol::Value;

/// The features the server announces in `config`, in the UI's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feature {
    Emit,
    Join,
    Leave,
    Disconnect,
    MJoin,
    MLeave,
    MDisconnect,
    AggregatedEvents,
    AllEvents,
}

impl Feature {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Feature::Emit => "EMIT",
            Feature::Join => "JOIN",
            Feature::Leave => "LEAVE",
            Feature::Disconnect => "DISCONNECT",
            Feature::MJoin => "MJOIN",
            Feature::MLeave => "MLEAVE",
            Feature::MDisconnect => "MDISCONNECT",
            Feature::AggregatedEvents => "AGGREGATED_EVENTS",
            Feature::AllEvents => "ALL_EVENTS",
        }
    }
}

/// The features of a server: the actions unless read-only, the aggregated
/// events always, every event in development mode.
pub(crate) fn supported_features(readonly: bool, development: bool) -> Vec<Feature> {
    let mut features = if readonly {
        Vec::new()
    } else {
        vec![
            Feature::Emit,
            Feature::Join,
            Feature::Leave,
            Feature::Disconnect,
            Feature::MJoin,
            Feature::MLeave,
            Feature::MDisconnect,
        ]
    };
    features.push(Feature::AggregatedEvents);
    if development {
        features.push(Feature::AllEvents);
    }
    features
}

/// The `config` message: `{"supportedFeatures": [...]}`.
pub(crate) fn config(features: &[Feature]) -> Json {
    let names: Vec<&str> = features.iter().map(|feature| feature.as_str()).collect();
    json!({ "supportedFeatures": names })
}

/// A date as JavaScript's `Date.prototype.toJSON` writes it
/// (`2024-05-01T12:30:05.042Z`), which is how Node sends a `Date` argument.
pub(crate) fn js_date(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    match time::OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(date) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            date.year(),
            u8::from(date.month()),
            date.day(),
            date.hour(),
            date.minute(),
            date.second(),
            since.subsec_millis()
        ),
        Err(_) => "1970-01-01T00:00:00.000Z".to_owned(),
    }
}

/// Milliseconds since the epoch, truncated to the second (the aggregated events'
/// buckets).
pub(crate) fn second_of(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs() * 1000)
        .unwrap_or(0)
}

/// Counts of engine-level events per second, type and sub-type, emptied by each
/// `server_stats` (Node's `EventBuffer`). Its size is bounded by the kinds of
/// events and the seconds between two stats.
#[derive(Debug, Default)]
pub(crate) struct EventBuffer {
    counts: IndexMap<(u64, &'static str, Option<&'static str>), u64>,
}

/// Entries kept at most between two stats, against a stalled stats task.
const MAX_BUCKETS: usize = 4096;

impl EventBuffer {
    /// Adds `count` to the bucket of `kind` (and `sub_kind`) at `at`'s second.
    pub(crate) fn push(
        &mut self,
        at: SystemTime,
        kind: &'static str,
        sub_kind: Option<&'static str>,
        count: u64,
    ) {
        let key = (second_of(at), kind, sub_kind);
        if let Some(total) = self.counts.get_mut(&key) {
            *total += count;
        } else if self.counts.len() < MAX_BUCKETS {
            self.counts.insert(key, count);
        }
    }

    /// The buckets, as the `aggregatedEvents` of `server_stats`, and empties them.
    pub(crate) fn take(&mut self) -> Vec<Json> {
        self.counts
            .drain(..)
            .map(|((timestamp, kind, sub_kind), count)| {
                let mut entry = Map::new();
                entry.insert("timestamp".into(), timestamp.into());
                entry.insert("type".into(), kind.into());
                if let Some(sub_kind) = sub_kind {
                    entry.insert("subType".into(), sub_kind.into());
                }
                entry.insert("count".into(), count.into());
                Json::Object(entry)
            })
            .collect()
    }
}

/// What stays the same in every `server_stats` of a server.
#[derive(Debug, Clone)]
pub(crate) struct ServerIdentity {
    pub(crate) server_id: String,
    pub(crate) hostname: String,
    pub(crate) pid: u32,
}

/// What changes from one `server_stats` to the next.
#[derive(Debug)]
pub(crate) struct StatsSample {
    pub(crate) uptime: Duration,
    pub(crate) clients: usize,
    pub(crate) polling_clients: usize,
    pub(crate) events: Vec<Json>,
    /// Each namespace's name and socket count.
    pub(crate) namespaces: Vec<(String, usize)>,
}

/// The `server_stats` message.
pub(crate) fn server_stats(identity: &ServerIdentity, sample: StatsSample) -> Json {
    let namespaces: Vec<Json> = sample
        .namespaces
        .into_iter()
        .map(|(name, count)| json!({ "name": name, "socketsCount": count }))
        .collect();
    json!({
        "serverId": identity.server_id,
        "hostname": identity.hostname,
        "pid": identity.pid,
        "uptime": sample.uptime.as_secs_f64(),
        "clientsCount": sample.clients,
        "pollingClientsCount": sample.polling_clients,
        "aggregatedEvents": sample.events,
        "namespaces": namespaces,
    })
}

/// Who a socket is, for its description: the fields the admin keeps in the
/// socket's cluster data under `_admin`, so that other nodes see them too.
pub(crate) fn admin_data(client_id: &str, transport: &str) -> Json {
    let client_id: String = client_id.chars().take(12).collect();
    json!({ "clientId": client_id, "transport": transport })
}

/// A socket as the UI lists it (`socket_connected`, `all_sockets`): its id, the
/// `_admin` fields of its data, its namespace, its data without them, its
/// handshake without `auth`, and its rooms (its own id first).
pub(crate) fn describe_socket(
    id: &str,
    nsp: &str,
    handshake: &Json,
    data: &Json,
    rooms: &[String],
) -> Json {
    let admin = data.get("_admin");
    let client_id = admin.and_then(|admin| admin.get("clientId")).cloned();
    let transport = admin.and_then(|admin| admin.get("transport")).cloned();
    let header = |name: &str| {
        handshake
            .get("headers")
            .and_then(|headers| headers.get(name))
            .filter(|value| value.as_str().is_some_and(|text| !text.is_empty()))
            .cloned()
    };
    let address = header("cf-connecting-ip")
        .or_else(|| header("x-forwarded-for"))
        .or_else(|| handshake.get("address").cloned())
        .unwrap_or(Json::Null);
    let field = |name: &str| handshake.get(name).cloned().unwrap_or(Json::Null);
    let mut description = Map::new();
    description.insert("id".into(), id.into());
    if let Some(client_id) = client_id {
        description.insert("clientId".into(), client_id);
    }
    if let Some(transport) = transport {
        description.insert("transport".into(), transport);
    }
    description.insert("nsp".into(), nsp.into());
    description.insert("data".into(), user_data(data));
    description.insert(
        "handshake".into(),
        json!({
            "address": address,
            "headers": field("headers"),
            "query": field("query"),
            "issued": field("issued"),
            "secure": field("secure"),
            "time": field("time"),
            "url": field("url"),
            "xdomain": field("xdomain"),
        }),
    );
    description.insert("rooms".into(), rooms.into());
    Json::Object(description)
}

/// A socket's data without the `_admin` fields (`{}` when it has none).
pub(crate) fn user_data(data: &Json) -> Json {
    match data {
        Json::Null => Json::Object(Map::new()),
        Json::Object(fields) => {
            let mut fields = fields.clone();
            fields.remove("_admin");
            Json::Object(fields)
        }
        other => other.clone(),
    }
}

/// Cluster data with the `_admin` fields set; data that is neither an object nor
/// `null` is left alone.
pub(crate) fn with_admin_data(data: Json, admin: Json) -> Json {
    match data {
        Json::Null => json!({ "_admin": admin }),
        Json::Object(mut fields) => {
            fields.insert("_admin".into(), admin);
            Json::Object(fields)
        }
        other => other,
    }
}

/// One argument of a message: JSON, or a value that may hold binary.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Json(Json),
    Value(Value),
}

impl Serialize for Arg {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Arg::Json(json) => json.serialize(serializer),
            Arg::Value(value) => value.serialize(serializer),
        }
    }
}

impl From<Json> for Arg {
    fn from(json: Json) -> Self {
        Arg::Json(json)
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Json(Json::from(text))
    }
}

/// Arguments that go out as several Socket.IO arguments (a tuple, which the
/// emitters spread), however many there are.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spread(pub(crate) Vec<Arg>);

impl Serialize for Spread {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for arg in &self.0 {
            tuple.serialize_element(arg)?;
        }
        tuple.end()
    }
}

/// The event and arguments of an event seen by a socket, as `event_received` and
/// `event_sent` carry them: `[name, ...args]`.
pub(crate) fn event_args(name: &str, args: Vec<Value>) -> Arg {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(Value::String(name.to_owned()));
    all.extend(args);
    Arg::Value(Value::Array(all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_javascript_writes_them() {
        let at = UNIX_EPOCH + Duration::from_millis(1_714_566_605_042);
        assert_eq!(js_date(at), "2024-05-01T12:30:05.042Z");
        assert_eq!(js_date(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn features_follow_the_mode_and_read_only() {
        let names = |features: Vec<Feature>| config(&features);
        assert_eq!(
            names(supported_features(false, true)),
            json!({"supportedFeatures": ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN",
                "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"]})
        );
        assert_eq!(
            names(supported_features(true, true)),
            json!({"supportedFeatures": ["AGGREGATED_EVENTS", "ALL_EVENTS"]})
        );
        assert_eq!(
            names(supported_features(true, false)),
            json!({"supportedFeatures": ["AGGREGATED_EVENTS"]})
        );
    }

    #[test]
    fn the_event_buffer_counts_per_second_and_empties() {
        let mut buffer = EventBuffer::default();
        let at = UNIX_EPOCH + Duration::from_millis(5_400);
        buffer.push(at, "packetsIn", None, 1);
        buffer.push(at + Duration::from_millis(300), "packetsIn", None, 1);
        buffer.push(at, "rawDisconnection", Some("transport close"), 1);
        buffer.push(at + Duration::from_secs(1), "bytesIn", None, 42);
        assert_eq!(
            Json::from(buffer.take()),
            json!([
                {"timestamp": 5000, "type": "packetsIn", "count": 2},
                {"timestamp": 5000, "type": "rawDisconnection", "subType": "transport close", "count": 1},
                {"timestamp": 6000, "type": "bytesIn", "count": 42},
            ])
        );
        assert_eq!(buffer.take(), Vec::<Json>::new());
    }

    #[test]
    fn server_stats_carry_every_field() {
        let identity = ServerIdentity {
            server_id: "node-1".into(),
            hostname: "host".into(),
            pid: 42,
        };
        let sample = StatsSample {
            uptime: Duration::from_millis(1500),
            clients: 3,
            polling_clients: 1,
            events: vec![json!({"timestamp": 1000, "type": "rawConnection", "count": 3})],
            namespaces: vec![("/".into(), 2), ("/admin".into(), 1)],
        };
        assert_eq!(
            server_stats(&identity, sample),
            json!({
                "serverId": "node-1", "hostname": "host", "pid": 42, "uptime": 1.5,
                "clientsCount": 3, "pollingClientsCount": 1,
                "aggregatedEvents": [{"timestamp": 1000, "type": "rawConnection", "count": 3}],
                "namespaces": [{"name": "/", "socketsCount": 2}, {"name": "/admin", "socketsCount": 1}],
            })
        );
    }

    #[test]
    fn a_socket_is_described_without_its_admin_fields_and_auth() {
        let handshake = json!({
            "headers": {"host": "localhost", "x-forwarded-for": "10.0.0.7"},
            "time": "Mon, 01 Jan 2024", "address": "127.0.0.1", "xdomain": false,
            "secure": false, "issued": 1000, "url": "/socket.io/?EIO=4",
            "query": {"EIO": "4"}, "auth": {"token": "secret"},
        });
        let data = with_admin_data(
            json!({"name": "ann"}),
            admin_data("abcdefghijklmnopqrst", "websocket"),
        );
        let description = describe_socket(
            "sid1",
            "/chat",
            &handshake,
            &data,
            &["sid1".into(), "lobby".into()],
        );
        assert_eq!(
            description,
            json!({
                "id": "sid1", "clientId": "abcdefghijkl", "transport": "websocket",
                "nsp": "/chat", "data": {"name": "ann"},
                "handshake": {
                    "address": "10.0.0.7",
                    "headers": {"host": "localhost", "x-forwarded-for": "10.0.0.7"},
                    "query": {"EIO": "4"}, "issued": 1000, "secure": false,
                    "time": "Mon, 01 Jan 2024", "url": "/socket.io/?EIO=4", "xdomain": false,
                },
                "rooms": ["sid1", "lobby"],
            })
        );
        assert_eq!(
            user_data(&with_admin_data(Json::Null, json!({}))),
            json!({})
        );
        assert_eq!(with_admin_data(json!(7), json!({})), json!(7));
    }

    #[test]
    fn spread_arguments_become_several_arguments() {
        let encoded = crate::protocol::encode_event(
            "/admin",
            "room_joined",
            &crate::protocol::EmitArgs::new(&Spread(vec![
                "/".into(),
                "lobby".into(),
                "sid".into(),
            ])),
            None,
        )
        .expect("encodes");
        assert_eq!(
            encoded.text().as_str(),
            r#"42/admin,["room_joined","/","lobby","sid"]"#
        );
        let binary = event_args(
            "upload",
            vec![Value::Binary(bytes::Bytes::from_static(b"\x01"))],
        );
        let encoded = crate::protocol::encode_event(
            "/admin",
            "event_received",
            &crate::protocol::EmitArgs::new(&Spread(vec![binary])),
            None,
        )
        .expect("encodes");
        assert_eq!(encoded.attachments().len(), 1);
    }
}
