//! What a scanner typed, as messages and the record's history show it back: trimmed, control characters escaped, long text cut.

/// How much of a scanned text is shown back before it is cut.
pub const SHOWN_MAX_CHARS: usize = 60;

/// `text` as a message or the history may show it: blanks and control characters around it
/// trimmed, control characters inside escaped (`\u{1b}`, `\t`), and a long text cut after
/// [`SHOWN_MAX_CHARS`] with `…`, so a stray scan can neither garble the screen nor flood the log.
pub fn shown(text: &str) -> String {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    let mut out = String::new();
    for (i, c) in t.chars().enumerate() {
        if i == SHOWN_MAX_CHARS {
            out.push('\u{2026}');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_is_shown_escaped_and_a_long_text_is_cut() {
        assert_eq!(shown("AB\u{1b}C\tD"), "AB\\u{1b}C\\tD");
        assert_eq!(shown("  MRN00\u{1b}12345\r\n"), "MRN00\\u{1b}12345");
        let s = shown(&"X".repeat(100));
        assert_eq!(s.chars().count(), SHOWN_MAX_CHARS + 1);
        assert!(s.ends_with('\u{2026}'));
    }
}
