//! The recorded vectors of the reference parser.
