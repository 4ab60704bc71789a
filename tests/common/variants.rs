//! Deterministic syndicated variants of a text, the way a scraper meets the
//! copies of one wire story on other sites. The site furniture below is
//! invented for the tests; none of it comes from the seeds.

/// Invented outlets that republish the story.
const SITES: [&str; 4] = [
    "Harbor Ledger",
    "Northfield Courier",
    "Valley Wire Online",
    "Saltmarsh Gazette",
];

/// Nav menus, one per site.
const NAVS: [&str; 4] = [
    "Home\nWorld\nPolitics\nBusiness\nSport\nOpinion\nSubscribe",
    "Home | Local | Nation | World | Weather | Obituaries | E-Edition",
    "Menu\nLatest\nMarkets\nTech\nCulture\nPodcasts\nNewsletters\nSign in",
    "News · Region · Farming · Tides · Events · Classifieds · Contact us",
];

/// Cookie banners, one per site.
const COOKIES: [&str; 4] = [
    "We use cookies to personalise content and ads and to analyse our traffic. By clicking Accept you consent to our cookie policy. Accept | Manage preferences",
    "This website stores cookies on your computer to improve your browsing experience. Continue reading to agree, or change your settings at any time.",
    "Cookies help us deliver our services. By using our services, you agree to our use of cookies. Learn more. Got it",
    "Your privacy matters to us: we and our partners store and access information on your device. Agree and close, or customise your choices.",
];

/// Legal disclaimers, one per site.
const DISCLAIMERS: [&str; 4] = [
    "Disclaimer: this story was republished from a partner news agency feed. The views expressed are the author's own; {site} accepts no liability for third-party content.",
    "© 2025 {site}. All rights reserved. This material may not be published, broadcast, rewritten or redistributed without written permission.",
    "Legal notice: {site} aggregates wire copy automatically and has not independently verified its contents. Report an error to the newsdesk.",
    "The content above is provided by a syndication partner. {site} makes no representations as to its accuracy, completeness or timeliness.",
];

fn site(n: usize) -> &'static str {
    SITES[n % SITES.len()]
}

/// `text` inside site `n`'s furniture: a nav menu and a cookie banner above,
/// a "Read more" line and a legal disclaimer below. Odd sites serve HTML.
/// `n` beyond the number of sites still gives a different header line.
pub fn rewrap(text: &str, n: usize) -> String {
    let i = n % SITES.len();
    let name = site(n);
    let disclaimer = DISCLAIMERS[i].replace("{site}", name);
    let read_more = format!("Read more: the latest world politics headlines from {name}");
    if n % 2 == 1 {
        let body: String = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("<p>{l}</p>\n"))
            .collect();
        format!(
            "<header><h1>{name} edition {n}</h1><nav>{}</nav></header>\n<div class=\"cookie-banner\">{}</div>\n<article>\n{body}</article>\n<p><a href=\"/more\">{read_more}</a></p>\n<footer><small>{disclaimer}</small></footer>\n",
            NAVS[i].replace('\n', "</li><li>"),
            COOKIES[i],
        )
    } else {
        format!(
            "{name} edition {n}\n{}\n{}\n\n{text}\n\n{read_more}\n{disclaimer}\n",
            NAVS[i], COOKIES[i]
        )
    }
}

/// `text` with a run of up to three paragraphs (non-empty lines, from a
/// third of the way in) repeated right after itself, as a broken scraper
/// pagination does.
pub fn repeat_paragraphs(text: &str) -> String {
    let paragraphs: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = paragraphs.len() / 3;
    let end = (start + 3).min(paragraphs.len());
    let mut out = Vec::with_capacity(paragraphs.len() + 3);
    for (i, p) in paragraphs.iter().enumerate() {
        out.push(*p);
        if i + 1 == end {
            out.extend_from_slice(&paragraphs[start..end]);
        }
    }
    out.join("\n")
}

/// Bytes 0x80..=0x9F as Windows-1252 reads them (undefined ones as the C1
/// control of the same value, as lenient decoders do).
const CP1252_80_9F: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The UTF-8 bytes of `c` decoded as Windows-1252: `’` → `â€™`.
pub fn mojibake(c: char) -> String {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf)
        .bytes()
        .map(|b| match b {
            0x80..=0x9F => CP1252_80_9F[(b - 0x80) as usize],
            _ => char::from(b),
        })
        .collect()
}

/// Quotes and apostrophes mangled the ways scrapers mangle them, in turn:
/// `&&`, mojibake of the curly form (`’` → `â€™`), an HTML entity
/// (`&#8217;`, `&ldquo;`), `&&` again. Ampersands become `&amp;` and dashes
/// mojibake.
pub fn mangle_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut nth = 0usize;
    for c in text.chars() {
        let curly = match c {
            '\'' | '’' | 'ʼ' => Some('’'),
            '‘' => Some('‘'),
            '"' | '“' => Some('“'),
            '”' => Some('”'),
            _ => None,
        };
        match (c, curly) {
            (_, Some(q)) => {
                match nth % 4 {
                    1 => out.push_str(&mojibake(q)),
                    2 => out.push_str(match q {
                        '’' => "&#8217;",
                        '‘' => "&lsquo;",
                        '“' => "&ldquo;",
                        _ => "&#x201D;",
                    }),
                    _ => out.push_str("&&"),
                }
                nth += 1;
            }
            ('&', None) => out.push_str("&amp;"),
            ('—' | '–', None) => out.push_str(&mojibake(c)),
            _ => out.push(c),
        }
    }
    out
}

/// Sentences glued without the space after their period (`Sunday. Trump` →
/// `Sunday.Trump`), then lines hard-wrapped at 70 characters.
pub fn glue_sentences(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut glued = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        glued.push(chars[i]);
        if matches!(chars[i], '.' | '?' | '!')
            && chars.get(i + 1) == Some(&' ')
            && chars.get(i + 2).is_some_and(|c| c.is_uppercase())
        {
            i += 1; // drop the space
        }
        i += 1;
    }
    hard_wrap(&glued, 70)
}

/// Each line broken at spaces so that no line is longer than `width`
/// characters (a word longer than `width` stays whole).
pub fn hard_wrap(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut current = String::new();
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            let len = current.chars().count();
            if len > 0 && len + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out.join("\n")
}

/// The first half of the text by words (line breaks kept), then a "Read
/// more" line pointing at the rest.
pub fn truncate_half(text: &str) -> String {
    let words = text.split_whitespace().count();
    let keep = words / 2;
    // Byte offset where word number `keep` (0-based) starts.
    let mut seen = 0;
    let mut cut = text.len();
    let mut in_word = false;
    for (at, c) in text.char_indices() {
        if c.is_whitespace() {
            in_word = false;
        } else if !in_word {
            in_word = true;
            if seen == keep {
                cut = at;
                break;
            }
            seen += 1;
        }
    }
    format!(
        "{}…\nRead more: continue reading the full story on the publisher's website",
        text[..cut].trim_end()
    )
}

/// Every single kind, by name.
pub const KINDS: [&str; 5] = ["rewrap", "repeat", "mangle", "glue", "truncate"];

/// The variant of `kind` (one of [`KINDS`]) of `text`; `n` picks the site of
/// `rewrap`.
pub fn variant(kind: &str, text: &str, n: usize) -> String {
    match kind {
        "rewrap" => rewrap(text, n),
        "repeat" => repeat_paragraphs(text),
        "mangle" => mangle_quotes(text),
        "glue" => glue_sentences(text),
        "truncate" => truncate_half(text),
        other => panic!("unknown variant kind {other}"),
    }
}
