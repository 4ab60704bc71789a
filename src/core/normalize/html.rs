//! Removal of HTML markup left in scraped text.

use std::borrow::Cow;

/// Elements whose content is not article text and is dropped with the tags.
const SKIP_CONTENT: &[&str] = &["script", "style", "noscript", "template", "svg", "head"];

/// Elements that separate paragraphs: replaced by a line break.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Removes HTML tags and comments, and the content of `script`, `style` and
/// similar elements. Block elements become line breaks; inline ones vanish
/// without a space (`wor<b>ld</b>` stays one word). A `<` that does not open a
/// tag (`a < b`) is kept as text. Text without `<` is returned as is.
pub fn strip_tags(text: &str) -> Cow<'_, str> {
    if memchr::memchr(b'<', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        match parse_tag(after) {
            Some(Tag::Comment(len)) => rest = &after[len..],
            Some(Tag::Element { name, closing, len }) => {
                let lower = name.to_ascii_lowercase();
                rest = &after[len..];
                if !closing && SKIP_CONTENT.contains(&lower.as_str()) {
                    rest = skip_past_close(rest, &lower);
                    out.push('\n');
                } else if BLOCK.contains(&lower.as_str()) {
                    out.push('\n');
                }
            }
            None => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

enum Tag<'a> {
    /// A comment, doctype or processing instruction of this many bytes.
    Comment(usize),
    /// An element tag of this many bytes.
    Element {
        name: &'a str,
        closing: bool,
        len: usize,
    },
}

/// Parses the tag at the start of `s` (which starts with `<`), if it is one.
fn parse_tag(s: &str) -> Option<Tag<'_>> {
    let body = &s[1..];
    if let Some(comment) = body.strip_prefix("!--") {
        let end = comment.find("-->").map_or(s.len(), |i| 4 + i + 3);
        return Some(Tag::Comment(end));
    }
    if body.starts_with('!') || body.starts_with('?') {
        return body.find('>').map(|i| Tag::Comment(i + 2));
    }
    let (closing, name_start) = match body.strip_prefix('/') {
        Some(b) => (true, b),
        None => (false, body),
    };
    if !name_start.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name_len = name_start
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
        .unwrap_or(name_start.len());
    let name = &name_start[..name_len];
    // Find the closing '>' outside quoted attribute values.
    let offset = s.len() - name_start.len() + name_len;
    let mut quote: Option<char> = None;
    for (i, c) in s[offset..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                return Some(Tag::Element {
                    name,
                    closing,
                    len: offset + i + 1,
                })
            }
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

/// Returns what follows the closing tag `</name ...>`, or "" if it never closes.
fn skip_past_close<'a>(s: &'a str, name: &str) -> &'a str {
    let mut rest = s;
    while let Some(i) = rest.find("</") {
        let candidate = &rest[i + 2..];
        if candidate.len() >= name.len()
            && candidate.is_char_boundary(name.len())
            && candidate[..name.len()].eq_ignore_ascii_case(name)
        {
            return candidate.find('>').map_or("", |j| &candidate[j + 1..]);
        }
        rest = &rest[i + 2..];
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::strip_tags;

    #[test]
    fn keeps_lone_angle_brackets() {
        assert_eq!(strip_tags("a < b and c > d"), "a < b and c > d");
        assert_eq!(strip_tags("x <3 y"), "x <3 y");
    }

    #[test]
    fn removes_comments_scripts_and_inline_tags() {
        let s = "<!-- ad --><p>wor<b>ld</b></p><SCRIPT>alert('<p>')</SCRIPT>end";
        assert_eq!(strip_tags(s), "\nworld\n\nend");
    }

    #[test]
    fn quoted_gt_inside_attributes() {
        assert_eq!(strip_tags("<a title=\"x > y\">link</a> text"), "link text");
    }

    #[test]
    fn unterminated_tag_is_text() {
        assert_eq!(strip_tags("cut <a href"), "cut <a href");
    }
}
