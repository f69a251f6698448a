//! Tests of the Socket.IO codec.

mod decoding;
mod properties;
mod raw_args;
mod round_trip;
mod scan;
mod vectors;
