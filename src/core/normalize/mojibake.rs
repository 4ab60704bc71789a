//! Repair of mojibake: UTF-8 bytes that were decoded as Windows-1252 (or
//! Latin-1) somewhere upstream, so that `’` reads `â€™` and `é` reads `Ã©`.
//!
//! Each maximal run of characters that Windows-1252 can encode, containing a
//! UTF-8 lead byte followed by the right number of continuation bytes, is
//! re-encoded and decoded as UTF-8; sequences that do not decode are left as
//! they are, so genuine Latin-1 text (`café`) is untouched.

use std::borrow::Cow;

/// The Windows-1252 characters of bytes 0x80..=0x9F; the five undefined bytes
/// map to the C1 control of the same value, as lenient decoders do.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The byte Windows-1252 encodes `c` as, if any (ASCII excluded).
fn cp1252_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if (0xA0..=0xFF).contains(&u)
        || (0x80..=0x9F).contains(&u) && CP1252_HIGH[(u - 0x80) as usize] == c
    {
        return Some(u as u8);
    }
    CP1252_HIGH
        .iter()
        .position(|&h| h == c)
        .map(|i| 0x80 + i as u8)
}

/// How many continuation bytes a UTF-8 lead byte announces.
fn continuation_count(lead: u8) -> Option<usize> {
    match lead {
        0xC2..=0xDF => Some(1),
        0xE0..=0xEF => Some(2),
        0xF0..=0xF4 => Some(3),
        _ => None,
    }
}

/// Repairs UTF-8-read-as-Windows-1252 sequences. Text with no character in
/// U+00C2..=U+00F4 (the possible lead bytes) is returned as is.
pub fn fix(text: &str) -> Cow<'_, str> {
    // U+00C2..=U+00F4 are encoded as 0xC3 0x82..=0xB4: look for those bytes.
    let b = text.as_bytes();
    let possible = memchr::memchr_iter(0xC3, b)
        .any(|i| b.get(i + 1).is_some_and(|n| (0x82..=0xB4).contains(n)));
    if !possible {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut bytes = [0u8; 4];
    while i < chars.len() {
        let c = chars[i];
        if let Some(n) = cp1252_byte(c).and_then(continuation_count) {
            if i + n < chars.len() {
                bytes[0] = c as u8;
                let mut ok = true;
                for k in 1..=n {
                    match cp1252_byte(chars[i + k]) {
                        Some(b @ 0x80..=0xBF) => bytes[k] = b,
                        _ => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok {
                    if let Ok(s) = std::str::from_utf8(&bytes[..=n]) {
                        out.push_str(s);
                        i += n + 1;
                        continue;
                    }
                }
            }
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::fix;

    #[test]
    fn repairs_common_sequences() {
        assert_eq!(fix("Trumpâ€™s â€œdealâ€\u{9d}"), "Trump’s “deal”");
        assert_eq!(fix("cafÃ© naÃ¯ve"), "café naïve");
        assert_eq!(fix("ðŸ˜€"), "😀");
    }

    #[test]
    fn leaves_genuine_latin1_alone() {
        assert_eq!(fix("café Ärger"), "café Ärger");
        assert_eq!(fix("À la carte"), "À la carte");
    }

    #[test]
    fn round_trip_of_any_text_through_cp1252_misreading() {
        let original = "Zelensky’s “peace” plan — 10 € naïve";
        let misread: String = original
            .bytes()
            .map(|b| {
                if b < 0x80 {
                    b as char
                } else if b < 0xA0 {
                    super::CP1252_HIGH[(b - 0x80) as usize]
                } else {
                    b as char
                }
            })
            .collect();
        assert_ne!(misread, original);
        assert_eq!(fix(&misread), original);
    }
}
