//! Basic authentication of the admin namespace: a user name and a bcrypt hash of
//! the password, checked with the `bcrypt` crate, and the sessions handed to the
//! UI so that it reconnects without the password.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::Rng;

/// How long a session the UI was given stays valid (the Node store's default).
const SESSION_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Sessions kept at most; the oldest is forgotten first.
const MAX_SESSIONS: usize = 1024;

/// The credentials the UI must give.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password_hash: String,
}

impl Credentials {
    /// Whether `hash` is a bcrypt hash the checks can use.
    pub(crate) fn valid_hash(hash: &str) -> bool {
        hash.parse::<bcrypt::HashParts>().is_ok()
    }

    /// Whether `username` and `password` match; slow on purpose (bcrypt), so it
    /// runs on a blocking thread.
    pub(crate) async fn check(&self, username: &str, password: &str) -> bool {
        if username != self.username {
            return false;
        }
        let hash = self.password_hash.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
            .await
            .unwrap_or(false)
    }
}

/// The sessions given to authenticated UIs (Node's `InMemoryStore`), bounded in
/// number and lifetime.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    sessions: Mutex<VecDeque<(String, Instant)>>,
}

impl Sessions {
    /// A new session id (16 hexadecimal digits), remembered.
    pub(crate) fn open(&self) -> String {
        let bytes: [u8; 8] = rand::rng().random();
        let id: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let mut sessions = self.lock();
        while sessions.len() >= MAX_SESSIONS {
            sessions.pop_front();
        }
        sessions.push_back((id.clone(), Instant::now()));
        id
    }

    /// Whether `id` names a live session.
    pub(crate) fn contains(&self, id: &str) -> bool {
        let mut sessions = self.lock();
        let now = Instant::now();
        sessions.retain(|(_, opened)| now.duration_since(*opened) < SESSION_LIFETIME);
        sessions.iter().any(|(known, _)| known == id)
    }

    fn lock(&self) -> parking_lot::MutexGuard<'_, VecDeque<(String, Instant)>> {
        self.sessions.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_remembered_and_bounded() {
        let sessions = Sessions::default();
        let first = sessions.open();
        assert_eq!(first.len(), 16);
        assert!(sessions.contains(&first));
        assert!(!sessions.contains("0000000000000000"));
        for _ in 0..MAX_SESSIONS {
            sessions.open();
        }
        assert!(!sessions.contains(&first));
    }

    #[tokio::test]
    async fn credentials_check_the_bcrypt_hash() {
        // Cost 4 keeps the test quick; the check reads the cost from the hash.
        let hash = bcrypt::hash("s3cret", 4).expect("hashes");
        assert!(Credentials::valid_hash(&hash));
        assert!(!Credentials::valid_hash("s3cret"));
        let credentials = Credentials {
            username: "admin".into(),
            password_hash: hash,
        };
        assert!(credentials.check("admin", "s3cret").await);
        assert!(!credentials.check("admin", "wrong").await);
        assert!(!credentials.check("root", "s3cret").await);
    }
}
