//! Tests of the Socket.IO codec.

mod vectors;
mod decoding;
