//! What a compatibility check reports.

use std::fmt;

use serde_json::{Value, json};

/// Which way a payload travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flow {
    /// Clients send it, the server receives it: client → server arguments, the
    /// acknowledgements of server → client events, the auth payload.
    ClientToServer,
    /// The server sends it, clients receive it.
    ServerToClient,
}

impl Flow {
    /// The breaks of a change that narrows and/or widens a payload travelling
    /// this way (see the [module documentation](super)).
    pub(crate) fn breaks(self, narrows: bool, widens: bool) -> Breaks {
        match self {
            Flow::ClientToServer => Breaks {
                old_clients_new_server: narrows,
                new_clients_old_server: widens,
            },
            Flow::ServerToClient => Breaks {
                old_clients_new_server: widens,
                new_clients_old_server: narrows,
            },
        }
    }
}

/// Which pairings of old and new peers a change breaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Breaks {
    /// Clients built against the old contracts, talking to the new server.
    pub old_clients_new_server: bool,
    /// Clients built against the new contracts, talking to the old server.
    pub new_clients_old_server: bool,
}

impl Breaks {
    /// Breaks nothing.
    pub const NONE: Breaks = Breaks {
        old_clients_new_server: false,
        new_clients_old_server: false,
    };

    /// Whether it breaks either pairing.
    pub fn any(self) -> bool {
        self.old_clients_new_server || self.new_clients_old_server
    }
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A namespace appeared.
    NamespaceAdded,
    /// A namespace disappeared.
    NamespaceRemoved,
    /// The namespace's contract version changed.
    VersionChanged,
    /// An event appeared (a renamed event is removed and added).
    EventAdded,
    /// An event disappeared.
    EventRemoved,
    /// An argument was appended.
    ArgumentAdded,
    /// A trailing argument was removed.
    ArgumentRemoved,
    /// An argument that could be left out must be sent now.
    ArgumentMadeRequired,
    /// An argument that had to be sent may be left out now.
    ArgumentMadeOptional,
    /// An argument's name changed (arguments are positional: nothing breaks).
    ArgumentRenamed,
    /// The event is acknowledged now.
    AckAdded,
    /// The event is not acknowledged any more.
    AckRemoved,
    /// An object property appeared.
    FieldAdded,
    /// An object property disappeared.
    FieldRemoved,
    /// An optional property is required now.
    FieldMadeRequired,
    /// A required property is optional now.
    FieldMadeOptional,
    /// Properties outside the declared ones are refused or accepted now
    /// (`additionalProperties`, `#[serde(deny_unknown_fields)]`).
    UnknownFieldsChanged,
    /// `null` is accepted now.
    NullAccepted,
    /// `null` is not accepted any more (an `Option` became required).
    NullRefused,
    /// The type changed (`string` → `integer`, struct → list, ...).
    TypeChanged,
    /// An enum variant or alternative appeared.
    VariantAdded,
    /// An enum variant or alternative disappeared.
    VariantRemoved,
    /// A constant value changed.
    ConstChanged,
    /// A number accepts more values: `integer` → `number`, a wider integer
    /// format, a bound relaxed or removed.
    NumberWidened,
    /// A number accepts fewer values: `number` → `integer`, a narrower format,
    /// a bound added or tightened.
    NumberNarrowed,
    /// A string accepts more values: a length bound, `pattern` or `format`
    /// relaxed or removed.
    StringWidened,
    /// A string accepts fewer values: a length bound, `pattern` or `format`
    /// added or tightened.
    StringNarrowed,
    /// An array accepts more lengths or items.
    ArrayWidened,
    /// An array accepts fewer lengths or items.
    ArrayNarrowed,
    /// A schema keyword the check does not interpret changed.
    SchemaChanged,
}

impl ChangeKind {
    /// A short English description.
    pub fn describe(self) -> &'static str {
        match self {
            ChangeKind::NamespaceAdded => "namespace added",
            ChangeKind::NamespaceRemoved => "namespace removed",
            ChangeKind::VersionChanged => "contract version changed",
            ChangeKind::EventAdded => "event added",
            ChangeKind::EventRemoved => "event removed",
            ChangeKind::ArgumentAdded => "argument added",
            ChangeKind::ArgumentRemoved => "argument removed",
            ChangeKind::ArgumentMadeRequired => "argument made required",
            ChangeKind::ArgumentMadeOptional => "argument made optional",
            ChangeKind::ArgumentRenamed => "argument renamed",
            ChangeKind::AckAdded => "acknowledgement added",
            ChangeKind::AckRemoved => "acknowledgement removed",
            ChangeKind::FieldAdded => "field added",
            ChangeKind::FieldRemoved => "field removed",
            ChangeKind::FieldMadeRequired => "field made required",
            ChangeKind::FieldMadeOptional => "field made optional",
            ChangeKind::UnknownFieldsChanged => "unknown fields handling changed",
            ChangeKind::NullAccepted => "null accepted",
            ChangeKind::NullRefused => "null refused",
            ChangeKind::TypeChanged => "type changed",
            ChangeKind::VariantAdded => "variant added",
            ChangeKind::VariantRemoved => "variant removed",
            ChangeKind::ConstChanged => "constant changed",
            ChangeKind::NumberWidened => "number widened",
            ChangeKind::NumberNarrowed => "number narrowed",
            ChangeKind::StringWidened => "string widened",
            ChangeKind::StringNarrowed => "string narrowed",
            ChangeKind::ArrayWidened => "array widened",
            ChangeKind::ArrayNarrowed => "array narrowed",
            ChangeKind::SchemaChanged => "schema changed",
        }
    }

    /// The kind as an identifier (`snake_case`), as the JSON report writes it.
    pub fn id(self) -> String {
        self.describe().replace(' ', "_")
    }
}

/// One change between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Change {
    /// The namespace, such as `/` or `/chat`.
    pub namespace: String,
    /// The event's wire name, when the change is in an event.
    pub event: Option<String>,
    /// Which way the event travels (`None` outside events: the namespace, its
    /// version, its auth payload).
    pub direction: Option<Flow>,
    /// Where inside the event or namespace: `args[1] (limit)`, `ack.data.name`,
    /// `auth.token`; empty for the event or namespace itself.
    pub location: String,
    /// What changed.
    pub kind: ChangeKind,
    /// The specifics (`uint32 → uint8`, `variant "Circle"`).
    pub detail: String,
    /// Which pairings it breaks.
    pub breaks: Breaks,
}

impl Change {
    /// The change as JSON, as the `--json` report of `tether-contract` writes it.
    pub fn to_json(&self) -> Value {
        json!({
            "namespace": self.namespace,
            "event": self.event,
            "direction": self.direction.map(|flow| match flow {
                Flow::ClientToServer => "clientToServer",
                Flow::ServerToClient => "serverToClient",
            }),
            "location": self.location,
            "kind": self.kind.id(),
            "detail": self.detail,
            "breaking": self.breaks.any(),
            "breaks": {
                "oldClientsNewServer": self.breaks.old_clients_new_server,
                "newClientsOldServer": self.breaks.new_clients_old_server,
            },
        })
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match (
            self.breaks.old_clients_new_server,
            self.breaks.new_clients_old_server,
        ) {
            (true, true) => "BREAKING (old clients -> new server, new clients -> old server)",
            (true, false) => "BREAKING (old clients -> new server)",
            (false, true) => "BREAKING (new clients -> old server)",
            (false, false) => "compatible",
        };
        write!(f, "{verdict}: namespace {}", self.namespace)?;
        if let Some(event) = &self.event {
            let arrow = match self.direction {
                Some(Flow::ServerToClient) => "server -> client",
                _ => "client -> server",
            };
            write!(f, ", event \"{event}\" ({arrow})")?;
        }
        if !self.location.is_empty() {
            write!(f, ", {}", self.location)?;
        }
        write!(f, ": {}", self.kind.describe())?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

/// Every change between two snapshots, in document order (namespaces, then
/// events as the new snapshot lists them, removed ones after).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub(crate) changes: Vec<Change>,
}

impl Report {
    /// Every change, breaking or not.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The changes that break a pairing.
    pub fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|change| change.breaks.any())
    }

    /// Whether any change breaks a pairing.
    pub fn is_breaking(&self) -> bool {
        self.breaking().next().is_some()
    }

    /// The union of every change's breaks.
    pub fn breaks(&self) -> Breaks {
        self.changes
            .iter()
            .fold(Breaks::NONE, |all, change| Breaks {
                old_clients_new_server: all.old_clients_new_server
                    || change.breaks.old_clients_new_server,
                new_clients_old_server: all.new_clients_old_server
                    || change.breaks.new_clients_old_server,
            })
    }

    /// The report as JSON: `{"breaking": bool, "breaks": {...}, "changes": [...]}`.
    pub fn to_json(&self) -> Value {
        let breaks = self.breaks();
        json!({
            "breaking": breaks.any(),
            "breaks": {
                "oldClientsNewServer": breaks.old_clients_new_server,
                "newClientsOldServer": breaks.new_clients_old_server,
            },
            "changes": self.changes.iter().map(Change::to_json).collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for Report {
    /// One line per change, then a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        let breaking = self.breaking().count();
        match (self.changes.len(), breaking) {
            (0, _) => writeln!(f, "no changes"),
            (total, 0) => writeln!(f, "{total} change(s), none breaking"),
            (total, breaking) => writeln!(f, "{total} change(s), {breaking} breaking"),
        }
    }
}
