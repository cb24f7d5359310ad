//! Stable content hashes: SHA-256 over a canonical JSON form, identical on wasm and native.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::newtype::text_newtype;

/// Lower-case hex SHA-256 of a value's canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash(String);

/// Why a text is not a content hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a content hash: expected 64 lower-case hex digits")]
pub struct ContentHashError(pub String);

impl ContentHash {
    /// Parses 64 lower-case hex digits.
    pub fn parse(text: &str) -> Result<Self, ContentHashError> {
        let valid = text.len() == 64
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        Self::checked(text.to_owned(), valid, text)
    }

    /// Hash of some bytes.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Hash of a value's canonical JSON (see [`canonical_json`]).
    pub fn of<T: Serialize>(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::of_bytes(
            canonical_json(&serde_json::to_value(value)?).as_bytes(),
        ))
    }
}

/// Canonical JSON: no whitespace, object keys sorted by their UTF-8 bytes, numbers and strings
/// as serde_json writes them.
///
/// Keys are sorted here rather than relying on `serde_json::Map`, whose order changes when any
/// crate in the build turns on serde_json's `preserve_order` feature; that would silently change
/// every hash.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

text_newtype!(ContentHash, ContentHashError);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_drops_whitespace() {
        let v = json!({"b": 1, "a": [true, null, {"z": "é", "y": 2.5}], "A": "x"});
        assert_eq!(
            canonical_json(&v),
            r#"{"A":"x","a":[true,null,{"y":2.5,"z":"é"}],"b":1}"#
        );
    }

    #[test]
    fn the_hash_of_a_known_value_is_a_fixed_sha256() {
        // sha256 of the UTF-8 bytes {"A":"x","a":[true,null,{"y":2.5,"z":"é"}],"b":1}
        let v = json!({"b": 1, "a": [true, null, {"z": "é", "y": 2.5}], "A": "x"});
        assert_eq!(
            ContentHash::of(&v).unwrap().as_str(),
            "9cbb1a7ed3aa2df41258e18b4e2540740a9ca0f62bdf8f7037cdaf36768f5a79"
        );
        assert_eq!(
            ContentHash::of_bytes(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn key_order_does_not_change_the_hash() {
        let a: Value = serde_json::from_str(r#"{"x":1,"y":{"p":[1,2],"q":"s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"y":{"q":"s","p":[1,2]},"x":1}"#).unwrap();
        assert_eq!(ContentHash::of(&a).unwrap(), ContentHash::of(&b).unwrap());
    }

    #[test]
    fn content_hashes_are_validated_when_parsed() {
        assert!(ContentHash::parse(&"a".repeat(64)).is_ok());
        assert!(ContentHash::parse(&"A".repeat(64)).is_err());
        assert!(ContentHash::parse("abc").is_err());
    }
}
