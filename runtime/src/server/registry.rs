//! The namespaces of a server: static ones by name, dynamic ones by pattern or by a
//! function of the name and the auth payload.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::RwLock;

use super::config::ServerConfig;
use super::namespace::{Namespace, NamespaceHandlers, NamespaceInner};
use crate::adapter::{Adapter, LocalNamespace, ServedNamespace};
use crate::engine::Text;
use crate::peer::BoxFuture;

/// Decides whether a dynamic namespace accepts a name (given the auth payload).
pub(crate) type NamespaceCheck =
    Arc<dyn Fn(&str, &serde_json::Value) -> BoxFuture<bool> + Send + Sync>;

/// How a dynamic namespace recognises its children.
pub(crate) enum Matcher {
    Pattern(NamePattern),
    Regex(regex::Regex),
    Check(NamespaceCheck),
}

/// The parameters a dynamic namespace's pattern captured from a child's name.
pub(crate) type Params = Box<[(Box<str>, Box<str>)]>;

impl Matcher {
    /// Whether the dynamic namespace accepts `name`, and with which parameters.
    async fn matches(&self, name: &str, auth: Option<&str>) -> Option<Params> {
        match self {
            Matcher::Pattern(pattern) => pattern.captures(name),
            Matcher::Regex(regex) => regex_captures(regex, name),
            Matcher::Check(check) => {
                let auth = auth
                    .and_then(|raw| serde_json::from_str(raw).ok())
                    .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
                check(name, &auth).await.then(Params::default)
            }
        }
    }
}

/// The named groups `regex` captures from `name` when it matches the whole name
/// (a match of part of it does not count, as a namespace name is not searched).
fn regex_captures(regex: &regex::Regex, name: &str) -> Option<Params> {
    let captures = regex.captures(name)?;
    let whole = captures.get(0)?;
    if whole.start() != 0 || whole.end() != name.len() {
        return None;
    }
    Some(
        regex
            .capture_names()
            .flatten()
            .filter_map(|group| {
                let value = captures.name(group)?;
                Some((Box::from(group), Box::from(value.as_str())))
            })
            .collect(),
    )
}

/// A namespace name pattern: `/`-separated segments where `{name}` stands for any
/// non-empty text without `/`, optionally between a literal prefix and suffix
/// (`/match-{id}`, `/org/{org}/chat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param {
        name: String,
        prefix: String,
        suffix: String,
    },
}

impl NamePattern {
    /// Parses a pattern; a segment may hold at most one `{...}` placeholder.
    pub fn new(pattern: &str) -> Result<NamePattern, InvalidPattern> {
        let trimmed = pattern.strip_prefix('/').unwrap_or(pattern);
        let segments = trimmed
            .split('/')
            .map(|segment| match (segment.find('{'), segment.find('}')) {
                (None, None) => Ok(Segment::Literal(segment.to_owned())),
                (Some(open), Some(close))
                    if open < close
                        && !segment[close + 1..].contains(['{', '}'])
                        && !segment[..open].contains('}') =>
                {
                    Ok(Segment::Param {
                        name: segment[open + 1..close].to_owned(),
                        prefix: segment[..open].to_owned(),
                        suffix: segment[close + 1..].to_owned(),
                    })
                }
                _ => Err(InvalidPattern(pattern.to_owned())),
            })
            .collect::<Result<_, _>>()?;
        Ok(NamePattern { segments })
    }

    /// Whether `name` (such as `/match-42`) fits the pattern.
    pub fn matches(&self, name: &str) -> bool {
        self.captures(name).is_some()
    }

    /// What the placeholders stand for in `name`, by placeholder name (`{id}` in
    /// `/match-{id}` gives `("id", "42")` for `/match-42`), or `None` when `name`
    /// does not fit. A placeholder without a name (`{}`) matches but is not listed.
    pub fn params(&self, name: &str) -> Option<Vec<(String, String)>> {
        let params = self.captures(name)?;
        Some(
            params
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
        )
    }

    pub(crate) fn captures(&self, name: &str) -> Option<Params> {
        let trimmed = name.strip_prefix('/')?;
        let parts: Vec<&str> = trimmed.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (part, segment) in parts.iter().zip(&self.segments) {
            match segment {
                Segment::Literal(literal) if part == literal => {}
                Segment::Literal(_) => return None,
                Segment::Param {
                    name,
                    prefix,
                    suffix,
                } => {
                    let fits = part.len() > prefix.len() + suffix.len()
                        && part.starts_with(prefix.as_str())
                        && part.ends_with(suffix.as_str());
                    if !fits {
                        return None;
                    }
                    if !name.is_empty() {
                        let value = &part[prefix.len()..part.len() - suffix.len()];
                        params.push((Box::from(name.as_str()), Box::from(value)));
                    }
                }
            }
        }
        Some(params.into_boxed_slice())
    }
}

/// A namespace pattern that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid namespace pattern `{0}`: use `{{name}}` at most once per segment")]
pub struct InvalidPattern(pub String);

/// A dynamic namespace: its matcher, the handlers its children share, its children.
pub(crate) struct DynamicNamespace {
    matcher: Matcher,
    pub(crate) handlers: Arc<NamespaceHandlers>,
    pub(crate) children: RwLock<Vec<Namespace>>,
}

/// Where an empty child of a dynamic namespace unregisters itself.
pub(crate) struct ChildLink {
    registry: Weak<Registry>,
    parent: Weak<DynamicNamespace>,
}

impl ChildLink {
    /// Unregisters `child` when no socket holds it any more. Runs under the
    /// registry's write lock, which [`Registry::resolve`] holds (read) while it
    /// counts a new socket in, so a connecting socket never lands in a forgotten child.
    pub(crate) fn forget_if_empty(&self, child: &NamespaceInner) {
        let (Some(registry), Some(parent)) = (self.registry.upgrade(), self.parent.upgrade())
        else {
            return;
        };
        let mut namespaces = registry.static_namespaces.write();
        let registered = namespaces
            .get(child.name.as_str())
            .is_some_and(|known| std::ptr::eq(Arc::as_ptr(&known.inner), child));
        if child.members() != 0 || !registered {
            return;
        }
        namespaces.remove(child.name.as_str());
        parent
            .children
            .write()
            .retain(|known| !std::ptr::eq(Arc::as_ptr(&known.inner), child));
    }
}

/// Every namespace of a server.
pub(crate) struct Registry {
    pub(crate) config: Arc<ServerConfig>,
    static_namespaces: RwLock<HashMap<Text, Namespace>>,
    dynamic: RwLock<Vec<Arc<DynamicNamespace>>>,
    /// The server was closed: no new connection is accepted.
    closed: AtomicBool,
    /// Links every namespace to the other server nodes, when there are some.
    adapter: Option<Arc<dyn Adapter>>,
    /// What watches the whole server, when something does.
    pub(crate) observer: super::observer::ObserverSlot,
}

/// Adds the leading `/` Socket.IO namespace names have.
pub(crate) fn normalize(name: &str) -> Text {
    if name.starts_with('/') {
        Text::from(name.to_owned())
    } else {
        Text::from(format!("/{name}"))
    }
}

impl Registry {
    /// The frames of a packet in the server's form; none (and a log line) when it
    /// does not convert.
    pub(crate) fn frames(&self, encoded: &crate::protocol::Encoded) -> Vec<crate::engine::Frame> {
        match self.config.parser.frames(encoded) {
            Ok(frames) => frames.into_iter().collect(),
            Err(error) => {
                tracing::warn!(%error, "a packet does not convert to the server's form");
                Vec::new()
            }
        }
    }

    pub(crate) fn new(config: Arc<ServerConfig>, adapter: Option<Arc<dyn Adapter>>) -> Registry {
        Registry {
            config,
            static_namespaces: RwLock::new(HashMap::new()),
            dynamic: RwLock::new(Vec::new()),
            closed: AtomicBool::new(false),
            adapter,
            observer: Arc::default(),
        }
    }

    /// Refuses new connections from now on.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether the server was closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The namespace called `name`, created when absent.
    pub(crate) fn of(&self, name: &str) -> Namespace {
        let name = normalize(name);
        if let Some(ns) = self.lookup(&name, false) {
            return ns;
        }
        self.get_or_create(name, Arc::default, None, Params::default(), false)
            .0
    }

    /// The namespace called `name`, created when absent; `hold` counts a connecting
    /// socket in while the lock is held.
    fn get_or_create(
        &self,
        name: Text,
        handlers: impl FnOnce() -> Arc<NamespaceHandlers>,
        child_of: Option<ChildLink>,
        params: Params,
        hold: bool,
    ) -> (Namespace, bool) {
        let mut namespaces = self.static_namespaces.write();
        if let Some(ns) = namespaces.get(&name) {
            if hold {
                ns.inner.hold();
            }
            return (ns.clone(), false);
        }
        let handlers = handlers();
        let inner = Arc::new_cyclic(|weak| {
            let adapter = self.adapter.as_ref().map(|adapter| {
                adapter.attach(LocalNamespace::new(
                    &name,
                    weak.clone() as Weak<dyn ServedNamespace>,
                ))
            });
            NamespaceInner::new(name.clone(), &self.config, handlers, child_of, adapter)
                .with_params(params)
                .with_observer(self.observer.clone())
        });
        if hold {
            inner.hold();
        }
        let ns = Namespace { inner };
        namespaces.insert(name, ns.clone());
        (ns, true)
    }

    fn lookup(&self, name: &str, hold: bool) -> Option<Namespace> {
        let namespaces = self.static_namespaces.read();
        let ns = namespaces.get(name)?;
        if hold {
            ns.inner.hold();
        }
        Some(ns.clone())
    }

    /// Every static namespace and every child of a dynamic one.
    pub(crate) fn namespaces(&self) -> Vec<Namespace> {
        self.static_namespaces.read().values().cloned().collect()
    }

    pub(crate) fn add_dynamic(&self, matcher: Matcher) -> Arc<DynamicNamespace> {
        let dynamic = Arc::new(DynamicNamespace {
            matcher,
            handlers: Arc::default(),
            children: RwLock::new(Vec::new()),
        });
        self.dynamic.write().push(dynamic.clone());
        dynamic
    }

    /// The namespace a CONNECT for `name` joins, creating a dynamic child on the
    /// first match; `None` for an unknown name. The namespace counts the connecting
    /// socket in ([`NamespaceInner::hold`]) until it leaves.
    pub(crate) async fn resolve(
        self: &Arc<Self>,
        name: &Text,
        auth: Option<&str>,
    ) -> Option<Arc<NamespaceInner>> {
        if let Some(ns) = self.lookup(name, true) {
            return Some(ns.inner);
        }
        let candidates = self.dynamic.read().clone();
        for dynamic in candidates {
            if let Some(params) = dynamic.matcher.matches(name, auth).await {
                let child_of = self
                    .config
                    .cleanup_empty_child_namespaces
                    .then(|| ChildLink {
                        registry: Arc::downgrade(self),
                        parent: Arc::downgrade(&dynamic),
                    });
                let (ns, created) = self.get_or_create(
                    name.clone(),
                    || dynamic.handlers.clone(),
                    child_of,
                    params,
                    true,
                );
                if created {
                    dynamic.children.write().push(ns.clone());
                }
                return Some(ns.inner);
            }
        }
        None
    }
}

/// Wraps an async check into the shared form the registry keeps.
pub(crate) fn check<F, Fut>(check: F) -> NamespaceCheck
where
    F: Fn(&str, &serde_json::Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    Arc::new(move |name, auth| Box::pin(check(name, auth)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments() {
        let pattern = NamePattern::new("/match-{id}").unwrap();
        assert!(pattern.matches("/match-42"));
        assert!(!pattern.matches("/match-"));
        assert!(!pattern.matches("/match-4/2"));
        assert!(!pattern.matches("/other"));
        let nested = NamePattern::new("/org/{org}/chat").unwrap();
        assert!(nested.matches("/org/acme/chat"));
        assert!(!nested.matches("/org/acme/news"));
        assert!(NamePattern::new("/a{b}{c}").is_err());
        assert!(NamePattern::new("/a}b{").is_err());
    }
}
