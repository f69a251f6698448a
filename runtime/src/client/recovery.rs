//! What the client remembers to get its socket back after a lost connection, from
//! a server with connection state recovery on.

use super::handshake::Resume;
use crate::protocol::Args;

/// The lost socket's private id and the offset of the last event it received.
#[derive(Debug, Default)]
pub(crate) struct Recovery {
    /// Given in the CONNECT answer by a server that recovers connections.
    pub(crate) pid: Option<String>,
    /// The last argument of the last event without acknowledgement, when a string.
    pub(crate) last_offset: Option<String>,
}

impl Recovery {
    /// Notes the offset an event without acknowledgement carries as its last
    /// argument, when the server recovers connections (it gave a pid).
    pub(crate) fn saw(&mut self, args: &Args) {
        if self.pid.is_none() {
            return;
        }
        let Some(last) = args.len().checked_sub(1) else {
            return;
        };
        if args.raw(last).is_some_and(|raw| raw.starts_with('"'))
            && let Ok(offset) = args.decode::<String>(last)
        {
            self.last_offset = Some(offset);
        }
    }

    /// What to name on the next CONNECT: only with both a pid and an offset.
    pub(crate) fn resume(&self) -> Option<Resume<'_>> {
        Some(Resume {
            pid: self.pid.as_deref()?,
            offset: self.last_offset.as_deref()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Text;

    fn args(json: &'static str) -> Args {
        Args::from_json_array(Text::from(json), Vec::new()).unwrap()
    }

    #[test]
    fn the_last_string_argument_is_the_offset_once_the_server_gave_a_pid() {
        let mut recovery = Recovery::default();
        recovery.saw(&args(r#"[1,"7"]"#));
        assert_eq!(recovery.last_offset, None, "no pid, no recovery");
        recovery.pid = Some("p".into());
        recovery.saw(&args(r#"[1,"7"]"#));
        recovery.saw(&args(r#"[2,3]"#));
        recovery.saw(&args("[]"));
        assert_eq!(recovery.last_offset.as_deref(), Some("7"));
        let resume = recovery.resume().expect("a pid and an offset");
        assert_eq!((resume.pid, resume.offset), ("p", "7"));
    }
}
