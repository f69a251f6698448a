//! Holds the test that compares the public API of `tether` with its committed
//! listing, `tether.txt`; see `tests/listing.rs` and README.md.
