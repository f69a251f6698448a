//! Just enough of the Redis protocol (RESP2) for PUBLISH and PSUBSCRIBE: commands
//! out, replies and pub/sub pushes in, over one TCP connection per use.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::RedisError;

/// How deep reply arrays may nest (pub/sub pushes are one level deep).
const MAX_NESTING: usize = 4;
/// Most elements one reply array may announce.
const MAX_ARRAY: usize = 1024;

/// Where a Redis server is: `redis://[[user]:password@]host[:port][/db]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RedisUrl {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
}

impl RedisUrl {
    pub(crate) fn parse(url: &str) -> Result<RedisUrl, RedisError> {
        let invalid = || RedisError::InvalidUrl(url.to_owned());
        let rest = url.strip_prefix("redis://").ok_or_else(invalid)?;
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let (credentials, address) = match authority.rsplit_once('@') {
            Some((credentials, address)) => (Some(credentials), address),
            None => (None, authority),
        };
        let (user, password) = match credentials.map(|text| text.split_once(':')) {
            None => (None, None),
            Some(None) => (None, credentials.map(str::to_owned)),
            Some(Some((user, password))) => (
                (!user.is_empty()).then(|| user.to_owned()),
                Some(password.to_owned()),
            ),
        };
        let (host, port) = if let Some(bracketed) = address.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').ok_or_else(invalid)?;
            match after.strip_prefix(':') {
                Some(port) => (host, port.parse().map_err(|_| invalid())?),
                None if after.is_empty() => (host, 6379),
                None => return Err(invalid()),
            }
        } else {
            match address.rsplit_once(':') {
                Some((host, port)) => (host, port.parse().map_err(|_| invalid())?),
                None => (address, 6379),
            }
        };
        if host.is_empty() {
            return Err(invalid());
        }
        Ok(RedisUrl {
            host: host.to_owned(),
            port,
            user,
            password,
        })
    }
}

/// A reply or a push from Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    Simple(Bytes),
    Error(Bytes),
    Integer(i64),
    Bulk(Option<Bytes>),
    Array(Option<Vec<Frame>>),
}

/// A command as a RESP array of bulk strings.
pub(crate) fn command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// The line starting at `pos`, without its CRLF, and where the next one starts.
fn line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let end = buf.get(pos..)?.windows(2).position(|w| w == b"\r\n")?;
    Some((&buf[pos..pos + end], pos + end + 2))
}

fn number(text: &[u8]) -> Result<i64, RedisError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or(RedisError::Protocol("a number was expected"))
}

/// Parses one frame at `pos`: `Ok(None)` when more bytes are needed.
fn parse_at(
    buf: &[u8],
    pos: usize,
    depth: usize,
    max_bulk: usize,
) -> Result<Option<(Frame, usize)>, RedisError> {
    if depth > MAX_NESTING {
        return Err(RedisError::Protocol("reply nested too deep"));
    }
    let Some((head, next)) = line(buf, pos) else {
        return Ok(None);
    };
    let Some((&kind, text)) = head.split_first() else {
        return Err(RedisError::Protocol("empty line"));
    };
    let copy = |text: &[u8]| Bytes::copy_from_slice(text);
    Ok(Some(match kind {
        b'+' => (Frame::Simple(copy(text)), next),
        b'-' => (Frame::Error(copy(text)), next),
        b':' => (Frame::Integer(number(text)?), next),
        b'$' => {
            let len = number(text)?;
            if len < 0 {
                return Ok(Some((Frame::Bulk(None), next)));
            }
            let len = usize::try_from(len).map_err(|_| RedisError::Protocol("bad length"))?;
            if len > max_bulk {
                return Err(RedisError::TooLarge(len));
            }
            let end = next + len;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(RedisError::Protocol("bulk string without CRLF"));
            }
            (Frame::Bulk(Some(copy(&buf[next..end]))), end + 2)
        }
        b'*' => {
            let len = number(text)?;
            if len < 0 {
                return Ok(Some((Frame::Array(None), next)));
            }
            let len = usize::try_from(len).map_err(|_| RedisError::Protocol("bad length"))?;
            if len > MAX_ARRAY {
                return Err(RedisError::Protocol("reply array too long"));
            }
            let mut items = Vec::with_capacity(len);
            let mut at = next;
            for _ in 0..len {
                match parse_at(buf, at, depth + 1, max_bulk)? {
                    Some((item, after)) => {
                        items.push(item);
                        at = after;
                    }
                    None => return Ok(None),
                }
            }
            (Frame::Array(Some(items)), at)
        }
        _ => return Err(RedisError::Protocol("unknown reply type")),
    }))
}

/// A connection to Redis.
pub(crate) struct Connection {
    stream: TcpStream,
    buf: BytesMut,
    max_bulk: usize,
}

impl Connection {
    /// Connects and authenticates, within `timeout`.
    pub(crate) async fn open(
        url: &RedisUrl,
        timeout: Duration,
        max_bulk: usize,
    ) -> Result<Connection, RedisError> {
        tokio::time::timeout(timeout, async {
            let stream = TcpStream::connect((url.host.as_str(), url.port)).await?;
            stream.set_nodelay(true)?;
            let mut connection = Connection {
                stream,
                buf: BytesMut::with_capacity(16 * 1024),
                max_bulk,
            };
            if let Some(password) = &url.password {
                let mut out = Vec::new();
                match &url.user {
                    Some(user) => {
                        command(&mut out, &[b"AUTH", user.as_bytes(), password.as_bytes()])
                    }
                    None => command(&mut out, &[b"AUTH", password.as_bytes()]),
                }
                connection.write(&out).await?;
                if let Frame::Error(error) = connection.read().await? {
                    return Err(RedisError::Refused(
                        String::from_utf8_lossy(&error).into_owned(),
                    ));
                }
            }
            Ok(connection)
        })
        .await
        .map_err(|_| RedisError::Timeout)?
    }

    /// Writes `bytes` (one or more commands).
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> Result<(), RedisError> {
        self.stream.write_all(bytes).await?;
        Ok(())
    }

    /// The next frame; an error when the connection closed or sent garbage.
    pub(crate) async fn read(&mut self) -> Result<Frame, RedisError> {
        loop {
            if let Some((frame, used)) = parse_at(&self.buf, 0, 0, self.max_bulk)? {
                self.buf.advance(used);
                return Ok(frame);
            }
            if self.buf.len() > self.max_bulk.saturating_add(64) {
                return Err(RedisError::TooLarge(self.buf.len()));
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(RedisError::Closed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let url = RedisUrl::parse("redis://127.0.0.1:6380").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 6380));
        let url = RedisUrl::parse("redis://:secret@redis/0").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("redis", 6379));
        assert_eq!(url.password.as_deref(), Some("secret"));
        assert_eq!(url.user, None);
        let url = RedisUrl::parse("redis://me:pw@[::1]:7000").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 7000));
        assert_eq!(url.user.as_deref(), Some("me"));
        assert!(RedisUrl::parse("http://localhost").is_err());
        assert!(RedisUrl::parse("redis://").is_err());
        assert!(RedisUrl::parse("redis://host:port").is_err());
    }

    #[test]
    fn frames_parse_whole_or_not_at_all() {
        let push = b"*4\r\n$8\r\npmessage\r\n$3\r\np#*\r\n$3\r\np#x\r\n$2\r\nhi\r\n";
        let (frame, used) = parse_at(push, 0, 0, 100).unwrap().unwrap();
        assert_eq!(used, push.len());
        let Frame::Array(Some(items)) = frame else {
            panic!("an array")
        };
        assert_eq!(items[3], Frame::Bulk(Some(Bytes::from_static(b"hi"))));
        for cut in 0..push.len() {
            assert_eq!(parse_at(&push[..cut], 0, 0, 100).unwrap(), None);
        }
        assert!(parse_at(b"$1000\r\n", 0, 0, 100).is_err());
        assert!(parse_at(b"?\r\n", 0, 0, 100).is_err());
        assert!(parse_at(b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", 0, 0, 100).is_err());
        assert_eq!(
            parse_at(b":12\r\n", 0, 0, 100).unwrap(),
            Some((Frame::Integer(12), 5))
        );
    }

    #[test]
    fn commands_are_bulk_arrays() {
        let mut out = Vec::new();
        command(&mut out, &[b"PUBLISH", b"ch", b"\x00\x01"]);
        assert_eq!(
            out,
            b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$2\r\n\x00\x01\r\n"
        );
    }
}
