//! The JSON the tool writes: serde_json's pretty form of `Serialize` types.
//!
//! `serde_json::Map` sorts its keys unless serde_json's `preserve_order` feature
//! is on, and turning that on would change the serde_json that burn is built
//! with: objects whose keys are not a struct's fields are [`Ordered`], which
//! serialises its entries in the order they are listed.

use serde::{Serialize, Serializer};

/// `value` as pretty-printed JSON (two-space indent), ending in a newline.
///
/// Numbers are written in their shortest form that reads back exactly. The
/// tool's values are all finite (non-finite ones are errors before anything is
/// written); serde_json would write NaN or ±∞ as `null`.
pub fn pretty<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising to a String fails only for a map key that is not a string,
    // and every key the tool writes is one.
    let mut text = serde_json::to_string_pretty(value).expect("JSON keys are strings");
    text.push('\n');
    text
}

/// A JSON object with the keys in the order of its entries.
pub struct Ordered<K, V>(pub Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Ordered<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Entry {
        z: f64,
        #[serde(flatten)]
        rest: Ordered<&'static str, f64>,
    }

    #[test]
    fn keeps_key_order_and_is_valid_json() {
        let value = Ordered(vec![
            (
                "z",
                Entry {
                    z: 0.1,
                    rest: Ordered(vec![("y", 1.0 / 3.0), ("b\"", 1e-300)]),
                },
            ),
            (
                "a",
                Entry {
                    z: -2.5,
                    rest: Ordered(vec![]),
                },
            ),
        ]);
        let text = pretty(&value);
        assert!(text.ends_with("}\n"), "{text}");
        assert!(
            text.starts_with("{\n  \"z\": {\n    \"z\": 0.1,\n"),
            "{text}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["z"]["z"], 0.1);
        assert_eq!(parsed["z"]["b\""], 1e-300);
        assert_eq!(parsed["a"]["z"], -2.5);
        let at = |key: &str| text.find(&format!("\"{key}\"")).unwrap();
        assert!(at("z") < at("y") && at("y") < at("b\\\"") && at("b\\\"") < at("a"));
    }
}
