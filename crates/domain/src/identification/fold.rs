//! Name folding: diacritics, case, hyphens, apostrophes and spacing normalised before names are compared.
//!
//! The table is written by hand (no Unicode normalisation crate: the app's wasm bundle has a size
//! budget). It covers Latin-1, Latin Extended-A, the Romanian and Vietnamese letters of Latin
//! Extended-B, Vietnamese in Latin Extended Additional, and combining marks (decomposed input).
//!
//! Two folds exist, because wristbands printed on systems without umlauts write them two ways:
//!
//! * [`Fold::Plain`] drops the mark: `MÜLLER` → `MULLER`, `Ødegård` → `ODEGARD`.
//! * [`Fold::Transliterated`] spells the German and Scandinavian letters out: `MÜLLER` →
//!   `MUELLER`, `Ødegård` → `OEDEGAARD`.
//!
//! Two names are the same when they agree under either fold, so `MÜLLER` matches both `MULLER`
//! and `MUELLER` (but `MULLER` does not match `MUELLER`: neither has a mark to fold). Letters both
//! folds spell out: `ß` → `SS`, `Æ` → `AE`, `Œ` → `OE`, `Þ` → `TH`, `Ĳ` → `IJ`. Letters of other
//! scripts are kept (upper-cased) and compare as themselves.

/// How letters with marks are folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// The mark dropped: `Ü` → `U`.
    Plain,
    /// German and Scandinavian letters spelled out: `Ü` → `UE`, `Ø` → `OE`, `Å` → `AA`.
    Transliterated,
}

/// Both folds, in the order names are tried.
pub const FOLDS: [Fold; 2] = [Fold::Plain, Fold::Transliterated];

/// `text` folded for comparison: letters upper-cased and folded, digits kept, everything else
/// (spaces, hyphens, apostrophes, dots, combining marks) dropped. `"O'Brien"` → `"OBRIEN"`,
/// `"Mary-Ann"` → `"MARYANN"`, `"van der Berg"` → `"VANDERBERG"`. Idempotent.
pub fn fold(text: &str, how: Fold) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(s) = fold_char(c, how) {
            out.push_str(s);
        } else if c.is_alphanumeric() {
            for u in c.to_uppercase() {
                match fold_char(u, how) {
                    Some(s) => out.push_str(s),
                    None if u.is_alphanumeric() => out.push(u),
                    // The combining mark some upper-case mappings add (`ǰ` → `J` + caron).
                    None => {}
                }
            }
        }
    }
    out
}

/// The letters `c` folds to, when the table knows it; `None` for anything else.
fn fold_char(c: char, how: Fold) -> Option<&'static str> {
    if how == Fold::Transliterated {
        let spelled = match c {
            'Ä' | 'ä' => Some("AE"),
            'Ö' | 'ö' | 'Ø' | 'ø' => Some("OE"),
            'Ü' | 'ü' => Some("UE"),
            'Å' | 'å' => Some("AA"),
            _ => None,
        };
        if spelled.is_some() {
            return spelled;
        }
    }
    let s = match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => return Some(ascii_upper(c)),
        // Latin-1 Supplement.
        'À'..='Å' | 'à'..='å' => "A",
        'Æ' | 'æ' => "AE",
        'Ç' | 'ç' => "C",
        'È'..='Ë' | 'è'..='ë' => "E",
        'Ì'..='Ï' | 'ì'..='ï' => "I",
        'Ð' | 'ð' => "D",
        'Ñ' | 'ñ' => "N",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' => "O",
        'Ù'..='Ü' | 'ù'..='ü' => "U",
        'Ý' | 'ý' | 'ÿ' => "Y",
        'Þ' | 'þ' => "TH",
        'ß' | 'ẞ' => "SS",
        // Latin Extended-A, in code point order.
        '\u{100}'..='\u{105}' => "A",
        '\u{106}'..='\u{10D}' => "C",
        '\u{10E}'..='\u{111}' => "D",
        '\u{112}'..='\u{11B}' => "E",
        '\u{11C}'..='\u{123}' => "G",
        '\u{124}'..='\u{127}' => "H",
        '\u{128}'..='\u{131}' => "I",
        '\u{132}' | '\u{133}' => "IJ",
        '\u{134}' | '\u{135}' => "J",
        '\u{136}'..='\u{138}' => "K",
        '\u{139}'..='\u{142}' => "L",
        '\u{143}'..='\u{14B}' => "N",
        '\u{14C}'..='\u{151}' => "O",
        '\u{152}' | '\u{153}' => "OE",
        '\u{154}'..='\u{159}' => "R",
        '\u{15A}'..='\u{161}' | '\u{17F}' => "S",
        '\u{162}'..='\u{167}' => "T",
        '\u{168}'..='\u{173}' => "U",
        '\u{174}' | '\u{175}' => "W",
        '\u{176}'..='\u{178}' => "Y",
        '\u{179}'..='\u{17E}' => "Z",
        // Latin Extended-B: Vietnamese horned O and U, Romanian comma-below S and T.
        '\u{1A0}' | '\u{1A1}' => "O",
        '\u{1AF}' | '\u{1B0}' => "U",
        '\u{218}' | '\u{219}' => "S",
        '\u{21A}' | '\u{21B}' => "T",
        // Latin Extended Additional: Welsh W and Vietnamese vowels with two marks.
        '\u{1E80}'..='\u{1E85}' => "W",
        '\u{1EA0}'..='\u{1EB7}' => "A",
        '\u{1EB8}'..='\u{1EC7}' => "E",
        '\u{1EC8}'..='\u{1ECB}' => "I",
        '\u{1ECC}'..='\u{1EE3}' => "O",
        '\u{1EE4}'..='\u{1EF1}' => "U",
        '\u{1EF2}'..='\u{1EF9}' => "Y",
        _ => return None,
    };
    Some(s)
}

/// The upper-case ASCII letter or digit `c` as a static string.
fn ascii_upper(c: char) -> &'static str {
    const UPPER: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let i = match c {
        '0'..='9' => c as usize - '0' as usize,
        'a'..='z' => c as usize - 'a' as usize + 10,
        _ => c as usize - 'A' as usize + 10,
    };
    &UPPER[i..=i]
}
