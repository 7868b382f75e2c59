//! Turning API values into text for people: times in the browser's locale, enum values as
//! words, JSON field values as plain text. Everything here returns `String`, which Leptos
//! renders as text, never as HTML.

use handoff_shared::EventKind;
use serde::Serialize;
use serde_json::Value;

/// An RFC 3339 time in the user's locale and time zone; the raw text when it does not parse.
pub fn time(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

/// How long ago a time was, roughly ("3 h ago"), for lists.
pub fn ago(rfc3339: &str) -> String {
    let then = js_sys::Date::parse(rfc3339);
    if then.is_nan() {
        return rfc3339.to_owned();
    }
    let minutes = ((js_sys::Date::now() - then) / 60_000.0).max(0.0);
    if minutes < 1.0 {
        "just now".to_owned()
    } else if minutes < 60.0 {
        format!("{} min ago", minutes.floor())
    } else if minutes < 48.0 * 60.0 {
        format!("{} h ago", (minutes / 60.0).floor())
    } else {
        format!("{} d ago", (minutes / 1440.0).floor())
    }
}

/// The wire name of a generated enum value (`HIGH`), whichever operation module it comes
/// from: each generated module has its own copy of the schema's enums.
pub fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => text,
        _ => String::new(),
    }
}

/// An enum value as a word: `HIGH` becomes `High`, `WAITING` becomes `Waiting`.
pub fn word<T: Serialize>(value: &T) -> String {
    let text = wire(value).to_lowercase().replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// A count with its noun: "1 request", "3 requests", "0 requests".
pub fn plural(count: impl Into<i64>, one: &str, many: &str) -> String {
    let count = count.into();
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A status as shown in lists: its label, followed by its category only when that adds
/// something ("Needs info (Waiting)", but "Done" rather than "Done (Done)").
pub fn status<T: Serialize>(label: &str, category: &T) -> String {
    let category = word(category);
    if label.trim().eq_ignore_ascii_case(&category) {
        label.to_owned()
    } else {
        format!("{label} ({category})")
    }
}

/// A duration given in hours, in the unit that reads best: minutes under an hour, hours under
/// two days, days beyond.
pub fn duration(hours: f64) -> String {
    let minutes = hours * 60.0;
    if !minutes.is_finite() || minutes < 1.0 {
        "< 1 min".to_owned()
    } else if hours < 1.0 {
        format!("{} min", minutes.round())
    } else if hours < 48.0 {
        format!("{hours:.1} h")
    } else {
        format!("{:.1} d", hours / 24.0)
    }
}

/// A stored field value as text: lists joined, booleans as yes/no.
pub fn field_value(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Array(items) => items.iter().map(field_value).collect::<Vec<_>>().join(", "),
        Value::Object(_) => value.to_string(),
    }
}

/// A short summary of an event's data for the timeline, e.g. the comment or the new status.
/// The kind is read as the shared `EventKind` the server records; a kind this build does not
/// know (a newer server) falls back to the data as `key: value` pairs.
pub fn event_summary(kind: &str, data: &Value) -> String {
    let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
    let summary = match kind.parse::<EventKind>() {
        Ok(EventKind::Commented) => text("body"),
        Ok(EventKind::Transitioned) => match (text("from"), text("to")) {
            (Some(from), Some(to)) => Some(match text("comment") {
                Some(comment) => format!("{from} → {to}: {comment}"),
                None => format!("{from} → {to}"),
            }),
            _ => None,
        },
        Ok(EventKind::Decided) => {
            let verdict = match data.get("approve").and_then(Value::as_bool) {
                Some(true) => "approved",
                Some(false) => "rejected",
                None => "decided",
            };
            Some(match text("comment") {
                Some(comment) => format!("{verdict}: {comment}"),
                None => verdict.to_owned(),
            })
        }
        _ => None,
    };
    summary.unwrap_or_else(|| match data {
        Value::Object(map) if map.is_empty() => String::new(),
        Value::Null => String::new(),
        other => compact(other),
    })
}

/// Event data as `key: value` pairs, for the kinds without a dedicated summary.
fn compact(data: &Value) -> String {
    match data {
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| format!("{key}: {}", field_value(value)))
            .collect::<Vec<_>>()
            .join("; "),
        other => field_value(other),
    }
}
