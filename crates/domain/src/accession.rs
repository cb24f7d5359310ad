//! Lab accession numbers: the site's pattern and check digit, and the shape of the labels the tablet prints itself.
//!
//! A site describes its accession numbers in `safety.json` ([`AccessionFormat`]): a pattern
//! template and an optional check digit. The check digit is the last character of the number
//! and is computed over the digits before it (letters and `-` are skipped), so `LAB1234566`
//! checks the digits `123456` against `6`.

use crate::safety::{AccessionFormat, CheckDigit};

/// Hex digits of the collection id in a label the tablet prints itself: `D` + 10 hex digits +
/// `-` + tube number, e.g. `D1A2B3C4D5E-1`.
pub const DEVICE_LABEL_HEX: usize = 10;

/// Whether `label` has the shape of a label the tablet printed itself (of any collection).
pub fn looks_device_issued(label: &str) -> bool {
    let Some(rest) = label.strip_prefix('D') else {
        return false;
    };
    let Some((hex, tube)) = rest.split_once('-') else {
        return false;
    };
    hex.len() == DEVICE_LABEL_HEX
        && hex.chars().all(|c| c.is_ascii_hexdigit())
        && !tube.is_empty()
        && tube.chars().all(|c| c.is_ascii_digit())
}

/// The longest text a tube label (an accession number) may be, in characters.
pub const ACCESSION_MAX_CHARS: usize = 32;

/// Why a text is not an accession number of this site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessionFormatError {
    /// The text does not follow the site's template.
    #[error("it does not look like this site's accession numbers ({pattern})")]
    Pattern {
        /// The site's template.
        pattern: String,
    },
    /// The last character is not the check digit of the digits before it.
    #[error("its check digit is wrong ({}): a misread or mistyped label", .0.as_str())]
    CheckDigit(CheckDigit),
}

impl AccessionFormat {
    /// Whether `text` has the shape of the site's pattern (no pattern: never). The wristband
    /// field uses it to tell a tube label scanned into it.
    pub fn fits_pattern(&self, text: &str) -> bool {
        self.pattern
            .as_deref()
            .is_some_and(|p| matches_pattern(p, text, self.check_digit))
    }

    /// Whether `text` (already trimmed) is an accession number of this site: it follows the
    /// pattern, if one is set, and ends with the right check digit, if the site uses one.
    pub fn check(&self, text: &str) -> Result<(), AccessionFormatError> {
        if let Some(pattern) = &self.pattern {
            if !matches_pattern(pattern, text, self.check_digit) {
                return Err(AccessionFormatError::Pattern {
                    pattern: pattern.clone(),
                });
            }
        }
        if self.check_digit != CheckDigit::None && !has_valid_check_digit(self.check_digit, text) {
            return Err(AccessionFormatError::CheckDigit(self.check_digit));
        }
        Ok(())
    }
}

/// Whether `text` follows `pattern`: `#` a digit, `@` a letter, `*` a letter or digit, any
/// other character itself. With a mod 11 check digit the last `#` also takes `X` (a remainder
/// of 10).
fn matches_pattern(pattern: &str, text: &str, check: CheckDigit) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    if p.len() != t.len() {
        return false;
    }
    let last = p.len().saturating_sub(1);
    p.iter()
        .zip(&t)
        .enumerate()
        .all(|(i, (&pc, &tc))| match pc {
            '#' => tc.is_ascii_digit() || (i == last && check == CheckDigit::Mod11 && tc == 'X'),
            '@' => tc.is_ascii_alphabetic(),
            '*' => tc.is_ascii_alphanumeric(),
            other => other == tc,
        })
}

/// The check digit of `body`'s digits (other characters skipped), or `None` when the site uses
/// none or `body` has no digit. Mod 10 is Luhn; mod 11 weighs the digits 2, 3, 4, 5, 6, 7
/// (repeating) from the right and writes a check value of 10 as `X`. Weights stay below 11 so
/// that every single changed digit changes the check digit.
pub fn check_digit(kind: CheckDigit, body: &str) -> Option<char> {
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.is_empty() {
        return None;
    }
    match kind {
        CheckDigit::None => None,
        CheckDigit::Mod10 => {
            let sum: u32 = digits
                .iter()
                .rev()
                .enumerate()
                .map(|(i, &d)| {
                    if i % 2 == 0 {
                        let x = d * 2;
                        if x > 9 {
                            x - 9
                        } else {
                            x
                        }
                    } else {
                        d
                    }
                })
                .sum();
            char::from_digit((10 - sum % 10) % 10, 10)
        }
        CheckDigit::Mod11 => {
            let sum: u32 = digits
                .iter()
                .rev()
                .enumerate()
                .map(|(i, &d)| d * (2 + (i as u32 % 6)))
                .sum();
            match (11 - sum % 11) % 11 {
                10 => Some('X'),
                v => char::from_digit(v, 10),
            }
        }
    }
}

/// Whether the last character of `text` is the check digit of what comes before it.
fn has_valid_check_digit(kind: CheckDigit, text: &str) -> bool {
    let mut chars = text.chars();
    let Some(last) = chars.next_back() else {
        return false;
    };
    check_digit(kind, chars.as_str()) == Some(last)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn format(pattern: Option<&str>, check: CheckDigit) -> AccessionFormat {
        AccessionFormat {
            pattern: pattern.map(str::to_owned),
            check_digit: check,
            stock_labels: false,
        }
    }

    #[test]
    fn the_pattern_takes_digits_letters_and_literals_where_it_says() {
        let f = format(Some("LAB-@##*"), CheckDigit::None);
        assert!(f.check("LAB-X12Z").is_ok());
        assert!(f.check("LAB-X129").is_ok());
        assert!(f.check("LAB-112Z").is_err(), "@ wants a letter");
        assert!(f.check("LAB-XA2Z").is_err(), "# wants a digit");
        assert!(f.check("LAB-X12-").is_err(), "* wants a letter or digit");
        assert!(f.check("LBA-X12Z").is_err(), "literals are themselves");
        assert!(f.check("LAB-X12").is_err(), "length counts");
        assert!(f.check("LAB-X12ZZ").is_err(), "length counts");
    }

    #[test]
    fn without_a_pattern_or_check_digit_any_text_passes() {
        assert!(format(None, CheckDigit::None).check("ANYTHING-1").is_ok());
    }

    #[test]
    fn luhn_matches_the_known_example() {
        // The classic Luhn example: 7992739871 has check digit 3.
        assert_eq!(check_digit(CheckDigit::Mod10, "7992739871"), Some('3'));
        let f = format(Some("###########"), CheckDigit::Mod10);
        assert!(f.check("79927398713").is_ok());
        assert_eq!(
            f.check("79927398714"),
            Err(AccessionFormatError::CheckDigit(CheckDigit::Mod10))
        );
    }

    #[test]
    fn mod11_writes_ten_as_x_and_the_pattern_takes_it_last() {
        // One digit 1 weighs 2: (11 - 2) % 11 = 9.
        assert_eq!(check_digit(CheckDigit::Mod11, "1"), Some('9'));
        // Find a body whose check value is 10 and check the pattern accepts X for it.
        let body = (0..1000)
            .map(|n| format!("{n:03}"))
            .find(|b| check_digit(CheckDigit::Mod11, b) == Some('X'))
            .expect("some three-digit body checks to X");
        let f = format(Some("A####"), CheckDigit::Mod11);
        assert!(f.check(&format!("A{body}X")).is_ok());
        assert!(f.check(&format!("A{body}0")).is_err());
    }

    #[test]
    fn the_documented_safety_json_example_reads() {
        let json = crate::test_support::site_readme_json("## safety.json");
        let rules: crate::safety::SafetyRules = serde_json::from_str(json).unwrap();
        assert!(rules.accession.stock_labels);
        assert_eq!(rules.accession.check_digit, CheckDigit::Mod10);
        let number = format!(
            "LAB123456{}",
            check_digit(CheckDigit::Mod10, "123456").unwrap()
        );
        assert!(rules.accession.check(&number).is_ok());
    }

    proptest! {
        #[test]
        fn a_number_made_with_its_check_digit_always_passes(
            body in "[0-9]{1,14}",
            prefix in "[A-Z]{0,3}",
            mod11 in any::<bool>(),
        ) {
            let kind = if mod11 { CheckDigit::Mod11 } else { CheckDigit::Mod10 };
            let number = format!("{prefix}{body}{}", check_digit(kind, &body).unwrap());
            let pattern = format!("{}{}#", "@".repeat(prefix.len()), "#".repeat(body.len()));
            prop_assert!(format(Some(&pattern), kind).check(&number).is_ok());
            prop_assert!(format(None, kind).check(&number).is_ok());
        }

        #[test]
        fn any_single_changed_digit_fails_the_check(
            body in "[0-9]{1,14}",
            mod11 in any::<bool>(),
            at in any::<prop::sample::Index>(),
            delta in 1u32..10,
        ) {
            let kind = if mod11 { CheckDigit::Mod11 } else { CheckDigit::Mod10 };
            let number: Vec<char> = format!("{body}{}", check_digit(kind, &body).unwrap()).chars().collect();
            let i = at.index(number.len());
            let mut changed = number.clone();
            changed[i] = match number[i].to_digit(10) {
                Some(d) => char::from_digit((d + delta) % 10, 10).unwrap(),
                // The check character X changed to a digit.
                None => char::from_digit(delta - 1, 10).unwrap(),
            };
            let changed: String = changed.into_iter().collect();
            prop_assert!(format(None, kind).check(&changed).is_err(), "{changed} passed");
        }
    }
}
