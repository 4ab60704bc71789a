//! The pure core: text normalization, shingling, MinHash signatures and LSH
//! banding. Plain Rust: no async runtime, no gRPC, no concurrent maps.
//!
//! The stages compose in one direction, like a tokenizer pipeline:
//! raw text → [`normalize`] → tokens → [`shingle`] → shingle hashes →
//! [`minhash`] → signature → [`lsh`] band keys.
//!
//! **CPU levels.** The loops that run once per word or shingle (writing the
//! words, hashing them, combining shingles) are compiled several times, for
//! the x86-64 levels with AVX-512 and with AVX2 and BMI2 as well as for the
//! baseline, and the best one the CPU supports is picked at run time
//! (the `multiversion` crate: no `unsafe` here, one indirect call per
//! segment). Each is the same Rust, so every level gives the same bits; a
//! golden test over the seed articles pins them (`tests/props.rs`), and CI
//! (`.ci/run`) runs those tests and the core's unit tests again under
//! qemu-user as a baseline x86-64 CPU and as an AVX2 one, so every level is
//! checked whatever CPU CI has. On the bench machine (AMD EPYC, AVX-512)
//! this made the lean pipeline 8% faster. Two loops have hand-written
//! versions as well, for AVX-512 and for AVX2: writing the words 64 bytes
//! at a time (`normalize/words_avx512.rs`, AVX-512 BW and VBMI2;
//! `normalize/words_avx2.rs`) and hashing them eight or four at a time
//! (`word_hashes_avx512.rs`, AVX-512 F, BW, DQ and VBMI2, and BMI2;
//! `word_hashes_avx2.rs`, AVX2, BMI1 and BMI2). They hold the core's only
//! `unsafe` (bounded loads and stores); their tests and the golden test
//! run them wherever the CPU has the features, and CI's AVX2 run under
//! qemu-user runs the AVX2 ones whatever CPU CI has.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub mod fasthash;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod scratch;
pub mod shingle;
mod swar;
#[cfg(target_arch = "x86_64")]
mod word_hashes_avx2;
#[cfg(target_arch = "x86_64")]
mod word_hashes_avx512;
#[cfg(target_arch = "x86_64")]
mod word_rounds;
#[cfg(target_arch = "x86_64")]
mod xxh3_block;

pub use lsh::{BandKey, LshParams};
pub use minhash::{MinHasher, Signature};
pub use normalize::normalize;
pub use shingle::{ShingleSet, Shingler};

#[cfg(test)]
pub(crate) mod testing;
