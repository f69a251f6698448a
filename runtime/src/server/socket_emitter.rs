//! Emitting to one socket, with the options of [`SocketEmitter`]: an
//! acknowledgement timeout, or volatile.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::ack::AckFuture;
use super::error::{AckError, check_event_name};
use super::recovery::Target;
use super::socket::Socket;
use crate::peer::EmitError;
use crate::protocol;
use crate::protocol::EmitArgs;
use crate::room::Room;

impl Socket {
    /// Sends an event to this client. A tuple spreads into several arguments, `()`
    /// sends none, anything else is one argument; `bytes::Bytes` values travel as
    /// binary attachments.
    ///
    /// ```no_run
    /// # fn demo(socket: tether::server::Socket) -> Result<(), tether::server::EmitError> {
    /// socket.emit("hello", "world")?;
    /// socket.emit("move", &(3, 4))?;
    /// # Ok(()) }
    /// ```
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.emitter().emit(event, data).map(|_| ())
    }

    /// Sends an event and waits (up to the server's `ack_timeout`) for the client's
    /// acknowledgement, decoded as `R` from its first argument.
    pub fn emit_with_ack<R, T>(&self, event: &str, data: &T) -> AckFuture<R>
    where
        R: DeserializeOwned + 'static,
        T: Serialize + ?Sized,
    {
        self.emitter().emit_with_ack(event, data)
    }

    /// Emits with a different acknowledgement timeout.
    pub fn timeout(&self, timeout: Duration) -> SocketEmitter {
        SocketEmitter {
            timeout: Some(timeout),
            ..self.emitter()
        }
    }

    /// Emits that are dropped when the client cannot take them right away.
    pub fn volatile(&self) -> SocketEmitter {
        SocketEmitter {
            volatile: true,
            ..self.emitter()
        }
    }

    fn emitter(&self) -> SocketEmitter {
        SocketEmitter {
            socket: self.clone(),
            timeout: None,
            volatile: false,
        }
    }
}

/// Emits to one socket with options: a timeout for the acknowledgement, or volatile.
#[derive(Debug, Clone)]
pub struct SocketEmitter {
    socket: Socket,
    timeout: Option<Duration>,
    volatile: bool,
}

impl SocketEmitter {
    /// Sets the acknowledgement timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Drops the emit when the client cannot take it right away.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Sends the event; returns whether it was queued (`false`: a volatile emit dropped).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<bool, EmitError> {
        check_event_name(event)?;
        let inner = &self.socket.inner;
        let encoded =
            protocol::encode_event(inner.ns.name.as_str(), event, &EmitArgs::new(data), None)?;
        let adapter = inner.ns.adapter.as_ref().filter(|a| a.keeps_sessions());
        match (&inner.ns.recovery, adapter) {
            (Some(_), Some(adapter)) if !self.volatile => {
                // Routed through the adapter, as Node's socket.io does, so that
                // the event gets an offset any node can replay.
                let own = [Room::from(inner.id)];
                let args = EmitArgs::new(data);
                let broadcast = crate::adapter::Broadcast {
                    encoded: &encoded,
                    event,
                    args: &args,
                    rooms: &own,
                    except: &[],
                    except_socket: None,
                    volatile: false,
                };
                if adapter.publish_recoverable(&broadcast) {
                    Ok(true)
                } else {
                    inner.send(&encoded, false)
                }
            }
            (Some(recovery), None) if !self.volatile => {
                let own = [Room::from(inner.id)];
                let target = Target {
                    rooms: &own,
                    except: &[],
                    except_socket: None,
                };
                inner.send(&recovery.keep(&encoded, target), false)
            }
            _ => inner.send(&encoded, self.volatile),
        }
    }

    /// Sends the event and waits for the acknowledgement's first argument as `R`.
    pub fn emit_with_ack<R, T>(&self, event: &str, data: &T) -> AckFuture<R>
    where
        R: DeserializeOwned + 'static,
        T: Serialize + ?Sized,
    {
        let inner = &self.socket.inner;
        if let Err(error) = check_event_name(event) {
            return AckFuture::failed(AckError::Emit(error));
        }
        let id = inner.next_ack_id();
        let encoded = match protocol::encode_event(
            inner.ns.name.as_str(),
            event,
            &EmitArgs::new(data),
            Some(id),
        ) {
            Ok(encoded) => encoded,
            Err(error) => return AckFuture::failed(AckError::Emit(error.into())),
        };
        let receiver = inner.acks.insert(id);
        let timeout = self.timeout.unwrap_or(inner.ns.ack_timeout);
        match inner.send(&encoded, self.volatile) {
            Ok(true) => AckFuture::waiting(
                receiver,
                Arc::downgrade(inner),
                id,
                Instant::now() + timeout,
            ),
            Ok(false) => {
                inner.acks.forget(id);
                AckFuture::failed(AckError::Timeout)
            }
            Err(error) => {
                inner.acks.forget(id);
                AckFuture::failed(AckError::Emit(error))
            }
        }
    }
}
