//! Instruments for measuring speed: a reproducible synthetic corpus, the
//! in-process pipeline benchmark (`syndetect bench`), and the gRPC load
//! generator (`syndetect bench-grpc`).

pub mod corpus;
pub mod grpc;
pub mod local;
pub mod pacing;
