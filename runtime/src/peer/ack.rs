//! Decoding an acknowledgement's arguments.

use std::any::Any;

use serde::de::DeserializeOwned;

use crate::protocol::{ArgError, Args};

/// Why an acknowledgement's arguments do not decode; each side's ack error
/// converts from it.
#[derive(Debug)]
pub(crate) enum AckDecodeError {
    /// An argument does not have the expected type.
    Decode(ArgError),
    /// There was no argument where one was expected.
    NoArguments,
}

/// Decodes the first argument of an acknowledgement as `R` (`null` when there is none,
/// so `()` and `Option<T>` accept an empty acknowledgement). [`Args`] takes them all.
pub(crate) fn decode_ack<R: DeserializeOwned + 'static>(args: Args) -> Result<R, AckDecodeError> {
    let boxed: Box<dyn Any> = Box::new(args);
    let args = match boxed.downcast::<R>() {
        Ok(all) => return Ok(*all),
        Err(boxed) => match boxed.downcast::<Args>() {
            Ok(args) => *args,
            Err(_) => return Err(AckDecodeError::NoArguments),
        },
    };
    if args.is_empty() {
        return serde_json::from_str("null").map_err(|_| AckDecodeError::NoArguments);
    }
    args.decode(0).map_err(AckDecodeError::Decode)
}
