//! A socket recovered from an adapter's session (connection state recovery across
//! nodes): the recoverable events delivered to it while its missed events are
//! read are held, then sent after them, each once and in order of offset.

use std::sync::Arc;

use parking_lot::MutexGuard;

use super::socket::SocketInner;
use crate::peer::EmitError;
use crate::protocol::Encoded;

/// Where a socket recovered from an adapter's session stands.
pub(crate) enum Replay {
    /// Its missed events are being read: the events delivered meanwhile, with
    /// their offsets.
    Holding(Vec<(Encoded, String)>),
    /// Its missed events are out, up to this offset: a node that reads the
    /// stream behind may still deliver some of them, which are skipped.
    Past(String),
}

/// Most events a recovering socket holds while its missed events are read; past
/// it, the socket is disconnected (its client reconnects afresh).
const MAX_HELD_EVENTS: usize = 65_536;

/// Whether stream offset `a` comes after `b` (`<ms>-<seq>` ids compared as
/// numbers; other offsets as text).
fn offset_after(a: &str, b: &str) -> bool {
    let parse = |id: &str| {
        let (ms, seq) = id.split_once('-')?;
        Some((ms.parse::<u64>().ok()?, seq.parse::<u64>().ok()?))
    };
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a > b,
        _ => a > b,
    }
}

impl SocketInner {
    fn replay(&self) -> MutexGuard<'_, Option<Replay>> {
        self.replay.lock()
    }

    /// Sends a recoverable event carrying `offset`, or holds it while the socket
    /// waits for its missed events.
    pub(crate) fn send_at(
        self: &Arc<Self>,
        encoded: &Encoded,
        offset: &str,
    ) -> Result<bool, EmitError> {
        let mut replay = self.replay();
        match replay.as_mut() {
            None => self.send(encoded, false),
            Some(Replay::Holding(held)) if held.len() < MAX_HELD_EVENTS => {
                held.push((encoded.clone(), offset.to_owned()));
                Ok(true)
            }
            Some(Replay::Holding(_)) => {
                tracing::warn!(sid = %self.id, "too many events while recovering; disconnecting");
                self.conn.close();
                Err(EmitError::Disconnected)
            }
            Some(Replay::Past(last)) => {
                if !offset_after(offset, last) {
                    return Ok(false);
                }
                // Past the replay: from now on events go straight out.
                *replay = None;
                self.send(encoded, false)
            }
        }
    }

    /// Sends the events a restored socket missed (after `offset`, in order), then
    /// the ones delivered to it meanwhile that came later, each once; later
    /// deliveries of events already sent are skipped.
    pub(crate) fn finish_replay(
        self: &Arc<Self>,
        missed: &[crate::adapter::MissedEvent],
        offset: &str,
    ) {
        let mut replay = self.replay();
        let held = match replay.take() {
            Some(Replay::Holding(held)) => held,
            _ => Vec::new(),
        };
        let mut last = offset.to_owned();
        for event in missed {
            if offset_after(&event.offset, &last) {
                let _ = self.send(&event.encoded, false);
                last.clone_from(&event.offset);
            }
        }
        for (encoded, at) in held {
            if offset_after(&at, &last) {
                let _ = self.send(&encoded, false);
                last = at;
            }
        }
        *replay = Some(Replay::Past(last));
    }
}

#[cfg(test)]
mod tests {
    use super::offset_after;

    #[test]
    fn stream_offsets_compare_as_numbers() {
        assert!(offset_after("10-0", "9-5"));
        assert!(offset_after("9-10", "9-9"));
        assert!(!offset_after("9-9", "9-9"));
        assert!(!offset_after("9-1", "10-0"));
    }
}
