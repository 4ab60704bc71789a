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

/// Helpers shared by the core's tests.
#[cfg(test)]
pub(crate) mod testing {
    /// A small xorshift generator from `seed` (not zero): the same cases on
    /// every run, without a dependency.
    pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// A vector word hasher (`push_word_hashes` of `word_hashes_avx2.rs`
    /// or `word_hashes_avx512.rs`).
    pub(crate) type WordHasher = unsafe fn(&[u8], &mut Vec<u64>, &mut Vec<bool>);

    /// Checks that `vector` gives the scalar version's hashes and digit
    /// flags on every one of [`word_segments`], when the CPU has its
    /// features (`available`), and that it appends to what the vectors
    /// hold. Does nothing on another CPU.
    pub(crate) fn check_word_hasher(available: bool, vector: WordHasher) {
        if !available {
            return;
        }
        for segment in word_segments() {
            let (mut h, mut d) = (Vec::new(), Vec::new());
            super::shingle::push_word_hashes_scalar(&segment, &mut h, &mut d);
            let (mut vh, mut vd) = (vec![7], vec![true]);
            // SAFETY: the caller checked that the CPU has the features.
            unsafe { vector(&segment, &mut vh, &mut vd) };
            // What was in the vectors stays first.
            assert_eq!((vh.remove(0), vd.remove(0)), (7, true));
            assert_eq!((h, d), (vh, vd), "{segment:?}");
        }
    }

    /// Segments that test a vector word hasher against the scalar one:
    /// one word of each length 1 to 16 (the xxh3 secret's every use);
    /// 20,000 random segments (every whitespace kind, control and high
    /// bytes, words up to 40 bytes, runs of whitespace); words ending or
    /// starting on every offset around the 64-byte chunk edges, cut from a
    /// longer buffer; dense words (up to 32 starts and ends in a chunk,
    /// rounds closing with a word still open); and a few edge cases.
    pub(crate) fn word_segments() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = vec![(1..=16)
            .flat_map(|l| {
                (0..l)
                    .map(move |i| b'a' + ((i * 7 + l) % 26) as u8)
                    .chain([b' '])
            })
            .collect()];
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let alphabet: &[u8] = b"abcxyz0189 \t\n\r\x0b\x0c\x01\x1f\x7f\xc3\xa9.,-";
        for case in 0..20_000 {
            let len = (next() % 300) as usize;
            let mut seg = Vec::with_capacity(len + 32);
            while seg.len() < len {
                let word = 1 + (next() % if case % 7 == 0 { 40 } else { 12 }) as usize;
                for _ in 0..word {
                    seg.push(alphabet[(next() % alphabet.len() as u64) as usize]);
                }
                for _ in 0..1 + next() % 3 {
                    seg.push(b" \t\n"[(next() % 3) as usize]);
                }
            }
            seg.truncate(len);
            out.push(seg);
        }
        let buf: Vec<u8> = (0..200u8)
            .map(|i| if i % 11 == 10 { b' ' } else { b'a' + i % 26 })
            .collect();
        for end in 0..buf.len() {
            for start in [0, 1, 5, 60, 63, 64, 65, 127, 128] {
                if start <= end {
                    out.push(buf[start..end].to_vec());
                }
            }
        }
        for unit in [&b"a "[..], b"ab ", b"a  ", b"a b  cd 9 "] {
            let dense: Vec<u8> = unit.iter().copied().cycle().take(700).collect();
            for len in [63, 64, 65, 127, 128, 129, 200, 257, 700] {
                out.push(dense[..len].to_vec());
            }
        }
        for text in [
            &b""[..],
            b" ",
            b"a",
            b"  a  ",
            b"sixteen-letters!",
            b"seventeen-letters",
        ] {
            out.push(text.to_vec());
        }
        out
    }
}
