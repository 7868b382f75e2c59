//! Small rules about a request's field values: the title it shows and what counts as blank.

use handoff_shared::definition::Definition;
use serde_json::{Map, Value};

/// Longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The request's title: its `title` field when it has a non-blank one, else the workflow name
/// and number.
pub fn title_of(def: &Definition, fields: &Map<String, Value>, number: &str) -> String {
    match fields.get("title").and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() => t.trim().chars().take(MAX_TITLE_CHARS).collect(),
        _ => format!("{} {}", def.name, number),
    }
}

/// Whether a value is missing for the purpose of `requires`: absent, null, blank text or an
/// empty list. `false` and `0` are values.
pub fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn false_and_zero_are_values_but_blank_text_is_not() {
        assert!(is_blank(None));
        assert!(is_blank(Some(&json!(null))));
        assert!(is_blank(Some(&json!("  "))));
        assert!(is_blank(Some(&json!([]))));
        assert!(!is_blank(Some(&json!(false))));
        assert!(!is_blank(Some(&json!(0))));
    }
}
