//! The pure core: text normalization, shingling, MinHash signatures and LSH
//! banding. Plain Rust: no async runtime, no gRPC, no concurrent maps.
//!
//! The stages compose in one direction, like a tokenizer pipeline:
//! raw text → [`normalize`] → tokens → [`shingle`] → shingle hashes →
//! [`minhash`] → signature → [`lsh`] band keys.

pub mod fasthash;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod scratch;
pub mod shingle;
mod swar;

pub use lsh::{BandKey, LshParams};
pub use minhash::{MinHasher, Signature};
pub use normalize::normalize;
pub use shingle::{ShingleSet, Shingler};
