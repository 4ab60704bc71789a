//! syndetect: tells a scraper pipeline whether an article is a syndicated copy
//! of one already seen, or a distinct report.
//!
//! Layers, each depending only on those below it:
//! - [`core`]: normalization, shingles, MinHash, LSH (pure, synchronous);
//! - [`storage`]: held signatures and LSH buckets behind the [`storage::Store`] trait;
//! - [`index`]: candidates, verification, the verdict ([`index::verdict`]), clusters;
//! - [`grpc`]: protobuf types, conversions, error → status, thin handlers;
//! - [`server`]: the tonic server with health, reflection and graceful shutdown.

pub mod bench;
pub mod core;
pub mod error;
pub mod eval;
pub mod grpc;
pub mod index;
pub mod model;
pub mod server;
pub mod storage;

pub use error::{Error, Result};
pub use index::{Index, IndexConfig, MatchOptions};
pub use model::{Article, Kind, Match, Verdict};
