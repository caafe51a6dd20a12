//! Pretty-printed JSON whose object keys keep the order they were written in.
//!
//! `serde_json::Map` sorts its keys unless serde_json's `preserve_order` feature
//! is on, and turning that on would change the serde_json that burn is built
//! with. The outputs are small, so a tiny ordered tree is simpler; serde_json
//! still formats every number and string.

/// A JSON value with ordered object keys.
pub enum Json {
    /// A float (NaN and ±∞ become `null`, as in serde_json).
    Num(f64),
    /// A non-negative integer.
    Count(usize),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs, in order.
    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Obj(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The value as pretty-printed JSON (two-space indent), ending in a newline.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        let pad = |out: &mut String, level: usize| {
            out.push('\n');
            out.push_str(&"  ".repeat(level));
        };
        match self {
            Json::Num(v) => out.push_str(&serde_json::Value::from(*v).to_string()),
            Json::Count(v) => out.push_str(&v.to_string()),
            Json::Str(s) => out.push_str(&serde_json::Value::from(s.as_str()).to_string()),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Obj(entries) if entries.is_empty() => out.push_str("{}"),
            Json::Arr(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    pad(out, indent + 1);
                    item.write(out, indent + 1);
                }
                pad(out, indent);
                out.push(']');
            }
            Json::Obj(entries) => {
                out.push('{');
                for (index, (key, value)) in entries.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    pad(out, indent + 1);
                    out.push_str(&serde_json::Value::from(key.as_str()).to_string());
                    out.push_str(": ");
                    value.write(out, indent + 1);
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_is_valid_json() {
        let value = Json::object([
            ("z", Json::Num(0.5)),
            ("a", Json::Arr(vec![Json::Count(1), Json::Num(f64::NAN)])),
            ("m", Json::object([("q\"", Json::Str("x".into()))])),
        ]);
        let text = value.pretty();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["z"], 0.5);
        assert!(parsed["a"][1].is_null());
        assert_eq!(parsed["m"]["q\""], "x");
        let (z, a) = (text.find("\"z\"").unwrap(), text.find("\"a\"").unwrap());
        assert!(z < a, "{text}");
    }
}
