//! Typed reads of stored `serde_json::Value`s by way of their JSON text, which the bundle already knows how to read.

use serde::de::DeserializeOwned;

/// As `serde_json::from_value`, but through the value's text: the sync client already holds a
/// text deserializer for the record types, while `from_value` adds a second, `Value`-based one
/// per type to the bundle. The value read is the same; a failure reads as `from_value`'s
/// message would, without the position in the text.
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, String> {
    serde_json::from_str(&value.to_string()).map_err(|e| {
        let message = e.to_string();
        let at = format!(" at line {} column {}", e.line(), e.column());
        match message.strip_suffix(&at) {
            Some(bare) if e.line() > 0 => bare.to_owned(),
            _ => message,
        }
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Probe {
        n: u32,
        tags: Vec<String>,
        kind: Kind,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        One,
        Two { x: i64 },
    }

    #[test]
    fn reads_what_from_value_reads_and_fails_with_its_message() {
        let cases = [
            json!({ "n": 3, "tags": ["a", "é\"\n"], "kind": "one" }),
            json!({ "n": 3, "tags": [], "kind": { "two": { "x": -7 } }, "extra": [1, 2.5] }),
            json!({ "n": 3, "tags": [] }),
            json!({ "n": "3", "tags": [], "kind": "one" }),
            json!({ "n": -1, "tags": [], "kind": "one" }),
            json!({ "n": 3, "tags": [1], "kind": "one" }),
            json!({ "n": 3, "tags": [], "kind": "three" }),
            json!({ "n": 3.5, "tags": null, "kind": "one" }),
            json!([1, 2]),
            json!(null),
            json!("text"),
        ];
        for v in cases {
            let want = serde_json::from_value::<Probe>(v.clone()).map_err(|e| e.to_string());
            assert_eq!(super::from_value::<Probe>(&v), want, "{v}");
        }
    }
}
