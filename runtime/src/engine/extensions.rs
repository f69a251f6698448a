//! What the engine reads from a request's extensions, inserted by whatever accepted
//! the connection ([`serve`](crate::serve), [`bind_tls`](crate::http::bind_tls) or
//! the application's own server).

use std::net::SocketAddr;

/// The peer address of a request, inserted by [`serve`](crate::serve) and
/// [`bind`](crate::bind) into request extensions (insert it yourself when you run
/// your own hyper server). Also at `tether::http::RemoteAddr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteAddr(pub SocketAddr);

/// Marks a request that came over TLS this server terminated, inserted by
/// [`bind_tls`](crate::http::bind_tls) into request extensions (insert it yourself
/// when you run your own TLS server): handshakes then read as `secure`. Also at
/// `tether::http::Tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls;
