//! Tests of the Socket.IO codec.

mod decoding;
mod properties;
mod round_trip;
mod scan;
mod vectors;
