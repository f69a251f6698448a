//! Tests of the Socket.IO codec.

mod decoding;
mod round_trip;
mod vectors;
