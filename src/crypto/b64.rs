//! Base64url without padding (RFC 4648 §5), the encoding of every binary value we store or send.
//!
//! A dozen lines instead of a crate keep the wasm small. Decoding is strict (no padding, no
//! whitespace, no stray bits in the last character), as the lab's decoder is: a value one side
//! accepts the other must accept too.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a string is not base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum B64Error {
    /// A character outside the base64url alphabet (padding `=` included), at this byte offset.
    Character(usize),
    /// A length no encoding produces (one character left over).
    Length,
    /// The last character carries bits the encoding always leaves zero.
    TrailingBits,
}

impl std::fmt::Display for B64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Character(at) => write!(f, "not base64url: bad character at offset {at}"),
            Self::Length => f.write_str("not base64url: impossible length"),
            Self::TrailingBits => f.write_str("not base64url: non-canonical last character"),
        }
    }
}

/// Encodes `bytes` as base64url without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        // 1 byte gives 2 characters, 2 give 3, 3 give 4.
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes base64url without padding, strictly.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, B64Error> {
    let text = text.as_bytes();
    if text.len() % 4 == 1 {
        return Err(B64Error::Length);
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for (c, chunk) in text.chunks(4).enumerate() {
        let mut n = 0u32;
        for (i, ch) in chunk.iter().enumerate() {
            let v = value(*ch).ok_or(B64Error::Character(c * 4 + i))?;
            n |= v << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1;
        // Bits below the last whole byte must be zero, or two texts would decode the same.
        if n & ((1 << (24 - 8 * bytes)) - 1) != 0 {
            return Err(B64Error::TrailingBits);
        }
        out.extend((0..bytes).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_4648_vectors_encode_without_padding() {
        let cases = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn the_url_safe_alphabet_is_used_for_the_last_two_values() {
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "-_-_");
        assert_eq!(decode("-_-_").unwrap(), [0xfb, 0xff, 0xbf]);
    }

    #[test]
    fn every_byte_value_and_length_round_trips() {
        let all: Vec<u8> = (0..=255u8).collect();
        for len in 0..all.len() {
            assert_eq!(decode(&encode(&all[..len])).unwrap(), &all[..len]);
        }
    }

    #[test]
    fn padding_standard_alphabet_and_whitespace_are_refused() {
        assert_eq!(decode("Zg=="), Err(B64Error::Character(2)));
        assert_eq!(decode("+/+/"), Err(B64Error::Character(0)));
        assert_eq!(decode("Zm9v Yg"), Err(B64Error::Character(4)));
    }

    #[test]
    fn an_impossible_length_is_refused() {
        assert_eq!(decode("Zm9vY"), Err(B64Error::Length));
        assert_eq!(decode("Z"), Err(B64Error::Length));
    }

    #[test]
    fn a_last_character_with_stray_bits_is_refused() {
        // "Zh" would decode to "f" as "Zg" does if the low bits were ignored.
        assert_eq!(decode("Zh"), Err(B64Error::TrailingBits));
        assert_eq!(decode("Zm9"), Err(B64Error::TrailingBits));
    }
}
