//! The server's [`AckSender`], which answers an [`Event`] from a client.

use serde::Serialize;

use super::socket::Socket;
use crate::peer::{EmitError, Event};

impl Event<AckSender> {
    /// Acknowledges the event with `data` (a tuple spreads into several arguments,
    /// `()` sends none). Does nothing when the client asked for no acknowledgement.
    pub fn ack<T: Serialize + ?Sized>(&mut self, data: &T) -> Result<(), EmitError> {
        match self.take_ack() {
            Some(ack) => ack.send(data),
            None => Ok(()),
        }
    }
}

/// Sends the acknowledgement of one event; usable once.
#[derive(Debug)]
pub struct AckSender {
    socket: Socket,
    id: u64,
}

impl AckSender {
    pub(crate) fn new(socket: Socket, id: u64) -> AckSender {
        AckSender { socket, id }
    }

    /// The ack id the client chose.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sends the acknowledgement: a tuple spreads into several arguments, `()` sends
    /// none, anything else is one argument.
    pub fn send<T: Serialize + ?Sized>(self, data: &T) -> Result<(), EmitError> {
        self.socket.send_ack(self.id, data)
    }
}
