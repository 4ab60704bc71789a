//! Helpers shared by the core's tests.

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
