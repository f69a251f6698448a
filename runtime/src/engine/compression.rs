//! HTTP compression of polling replies, as Node's `httpCompression` option.
//!
//! A `GET` reply of at least [`HttpCompression::threshold`] bytes is compressed
//! with gzip or deflate (zlib-wrapped, as HTTP's `deflate` coding and Node's
//! `zlib.createDeflate` are) when the request's `Accept-Encoding` allows one, and
//! carries `Content-Encoding`. `POST` replies (`ok`), handshakes below the
//! threshold and WebSocket frames are never compressed, as with Node.

use std::io::Write as _;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use http::HeaderMap;
use http::header::{ACCEPT_ENCODING, HeaderValue};

/// Options of HTTP compression of polling replies
/// ([`EngineConfig::with_http_compression`](super::EngineConfig::with_http_compression)).
///
/// On by default, as in Node.js, for replies of 1,024 bytes and more.
///
/// ```
/// use tether::engine::{EngineConfig, HttpCompression};
///
/// let config = EngineConfig::default()
///     .with_http_compression(Some(HttpCompression::default().with_threshold(4096)));
/// let off = EngineConfig::default().with_http_compression(None);
/// # let _ = (config, off);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCompression {
    threshold: usize,
    level: u32,
}

impl Default for HttpCompression {
    fn default() -> Self {
        HttpCompression {
            threshold: 1024,
            level: 6,
        }
    }
}

impl HttpCompression {
    /// Replies shorter than `bytes` go out uncompressed (default 1,024, as Node's
    /// `threshold`). Zero compresses every reply a client accepts compressed.
    pub fn with_threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// The zlib compression level, 0 (store) to 9 (smallest, slowest); default 6,
    /// zlib's and Node's. Values above 9 count as 9.
    pub fn with_level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// The smallest reply that is compressed, in bytes.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// The compression level.
    pub fn level(&self) -> u32 {
        self.level
    }
}

/// A content coding both sides support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        })
    }
}

/// The coding to answer `headers`' request with: the one of gzip and deflate with
/// the highest `q` in `Accept-Encoding` (`*` stands for both), gzip on a tie, none
/// when the header is missing or allows neither. Parsed here: a list of
/// `token;q=value` items is all it takes, and the server only looks for two names.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Coding> {
    let mut gzip: Option<f32> = None;
    let mut deflate: Option<f32> = None;
    let mut any: Option<f32> = None;
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|param| {
                    let (key, value) = param.split_once('=')?;
                    key.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| value.trim().parse::<f32>().ok())?
                })
                .next()
                .unwrap_or(1.0);
            let q = if q.is_finite() {
                q.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let slot = if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if name.eq_ignore_ascii_case("deflate") {
                &mut deflate
            } else if name == "*" {
                &mut any
            } else {
                continue;
            };
            *slot = Some(slot.map_or(q, |seen: f32| seen.max(q)));
        }
    }
    let gzip = gzip.or(any).unwrap_or(0.0);
    let deflate = deflate.or(any).unwrap_or(0.0);
    if gzip <= 0.0 && deflate <= 0.0 {
        None
    } else if gzip >= deflate {
        Some(Coding::Gzip)
    } else {
        Some(Coding::Deflate)
    }
}

/// Compresses `body` in `coding` at `options`' level; writing to memory cannot fail.
pub(crate) fn compress(coding: Coding, options: &HttpCompression, body: &[u8]) -> Bytes {
    let level = Compression::new(options.level);
    let out = Vec::with_capacity(body.len() / 2 + 64);
    let compressed = match coding {
        Coding::Gzip => {
            let mut encoder = GzEncoder::new(out, level);
            encoder.write_all(body).and_then(|()| encoder.finish())
        }
        Coding::Deflate => {
            let mut encoder = ZlibEncoder::new(out, level);
            encoder.write_all(body).and_then(|()| encoder.finish())
        }
    };
    Bytes::from(compressed.unwrap_or_else(|error| unreachable!("writing to a Vec failed: {error}")))
}

/// The body to send for a polling reply and its `Content-Encoding`: `body`
/// compressed when `options` are on, the client accepts a `coding` and the body
/// reaches the threshold; `body` itself otherwise.
pub(crate) fn compress_reply(
    options: Option<&HttpCompression>,
    coding: Option<Coding>,
    body: Bytes,
) -> (Bytes, Option<HeaderValue>) {
    match (options, coding) {
        (Some(options), Some(coding)) if !body.is_empty() && body.len() >= options.threshold => (
            compress(coding, options, &body),
            Some(coding.header_value()),
        ),
        _ => (body, None),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use flate2::read::{GzDecoder, ZlibDecoder};

    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn negotiation_follows_accept_encoding() {
        assert_eq!(negotiate(&HeaderMap::new()), None);
        assert_eq!(
            negotiate(&accepting("gzip, deflate, br")),
            Some(Coding::Gzip)
        );
        assert_eq!(negotiate(&accepting("deflate")), Some(Coding::Deflate));
        assert_eq!(
            negotiate(&accepting("gzip;q=0.5, deflate")),
            Some(Coding::Deflate)
        );
        assert_eq!(negotiate(&accepting("gzip;q=0, deflate;q=0")), None);
        assert_eq!(negotiate(&accepting("br, identity")), None);
        assert_eq!(negotiate(&accepting("*")), Some(Coding::Gzip));
        assert_eq!(
            negotiate(&accepting("*;q=0.3, gzip;q=0")),
            Some(Coding::Deflate)
        );
        assert_eq!(negotiate(&accepting("GZIP;Q=1")), Some(Coding::Gzip));
        assert_eq!(negotiate(&accepting("gzip;q=nonsense")), Some(Coding::Gzip));
        assert_eq!(negotiate(&accepting(";;,,=;q=")), None);
    }

    #[test]
    fn both_codings_round_trip() {
        let body = "4hello world ".repeat(200);
        let options = HttpCompression::default();
        let mut out = String::new();
        GzDecoder::new(&compress(Coding::Gzip, &options, body.as_bytes())[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, body);
        out.clear();
        ZlibDecoder::new(&compress(Coding::Deflate, &options, body.as_bytes())[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, body);
    }
}
