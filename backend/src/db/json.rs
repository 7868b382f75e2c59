//! Typed JSON column types for the JSON documents stored as text: request field values
//! (`requests.fields`), event data (`events.data`), delivery bodies (`outbox.payload`) and the
//! lists of keys or ids (`api_tokens.roles`, `role_permissions.workflows`,
//! `approval_steps.approvers`).
//!
//! # Why not `FromJsonQueryResult`
//!
//! SeaORM's `FromJsonQueryResult` reads through sqlx's `Json<T>`, which PostgreSQL accepts only
//! from `json`/`jsonb` columns ("mismatched types ... TEXT"), and writes a `jsonb` parameter.
//! These columns are `text` on both databases (the migrations store every JSON document as
//! text so both read them the same way), so that derive would work on SQLite and fail on
//! PostgreSQL. Instead each type here is a `DeriveValueType` over `String`: it reads and writes
//! the text like any string column and parses or prints it at the edge. No column changes.
//!
//! Text that does not parse is an error (`DbErr::TryIntoErr` naming the type, which the
//! services surface as one `INTERNAL` error, logged once), never an empty default.
//!
//! # Verbatim text where bytes matter
//!
//! `events.data` is an input of each event's hash, and `outbox.payload` is the exact body that
//! is signed and sent (every retry must send the same bytes). Parsing and printing again gives
//! the same text for what `serde_json` wrote, but "the same in practice" is not the invariant
//! the hash chain needs, so [`JsonText`] holds the stored text itself: it is printed once, from
//! a `serde_json::Value`, when the event or delivery is made, and from then on read and written
//! unchanged. It parses only when asked for its value ([`JsonText::value`]), for two reasons:
//! `audit verify` and the delivery worker work on the bytes and never need the value (so an
//! edited, unparseable event is reported as a break by its hash instead of stopping the
//! verification, and one bad row cannot stop the worker's batch), and verifying a long trail
//! does not parse every event. Its parse error is the very `DbErr` a read would give.

use std::convert::Infallible;
use std::sync::Arc;

use sea_orm::{DbErr, DeriveValueType};
use serde_json::{Map, Value};

/// A JSON object of field values (`requests.fields`), keyed by field key.
#[derive(Debug, Clone, Default, PartialEq, Eq, DeriveValueType)]
#[sea_orm(
    value_type = "String",
    from_str = "FieldValues::from_json",
    to_str = "FieldValues::to_json"
)]
pub struct FieldValues(pub Map<String, Value>);

impl FieldValues {
    /// Parses stored text; anything but a JSON object is an error.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(FieldValues)
    }

    /// The text to store.
    pub fn to_json(&self) -> String {
        // `Display` of a JSON value is compact JSON and cannot fail (unlike `to_string` over an
        // arbitrary `Serialize`).
        Value::Object(self.0.clone()).to_string()
    }
}

/// A JSON array of strings: role keys (`api_tokens.roles`), workflow keys
/// (`role_permissions.workflows`, NULL meaning every workflow) or user ids
/// (`approval_steps.approvers`).
#[derive(Debug, Clone, Default, PartialEq, Eq, DeriveValueType)]
#[sea_orm(
    value_type = "String",
    from_str = "StringList::from_json",
    to_str = "StringList::to_json"
)]
pub struct StringList(pub Vec<String>);

impl StringList {
    /// Parses stored text; anything but an array of strings is an error.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(StringList)
    }

    /// The text to store.
    pub fn to_json(&self) -> String {
        Value::from(self.0.clone()).to_string()
    }
}

/// A JSON document kept as the exact text it was stored as (`events.data`,
/// `outbox.payload`): made once from a value, then read and written back byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, DeriveValueType)]
#[sea_orm(
    value_type = "String",
    from_str = "JsonText::from_stored",
    to_str = "JsonText::to_stored"
)]
pub struct JsonText(String);

impl JsonText {
    /// A new document; its text is `value` printed once, compactly (what `serde_json::to_string`
    /// prints).
    pub fn new(value: &Value) -> Self {
        Self(value.to_string())
    }

    /// The stored text, byte for byte (hash inputs, signed bodies).
    pub fn text(&self) -> &str {
        &self.0
    }

    /// The parsed document. Text that is not JSON is the error reading a typed column gives
    /// (`DbErr::TryIntoErr` into `JsonText`), an `INTERNAL` error to the services.
    pub fn value(&self) -> Result<Value, DbErr> {
        serde_json::from_str(&self.0).map_err(|err| DbErr::TryIntoErr {
            from: "String",
            into: "JsonText",
            source: Arc::new(err),
        })
    }

    /// Reading keeps the text as it is, without parsing it (see the module doc).
    fn from_stored(text: &str) -> Result<Self, Infallible> {
        Ok(Self(text.to_owned()))
    }

    fn to_stored(&self) -> String {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Value as DbValue, ValueType};
    use serde_json::json;

    use super::*;

    /// Stores as a string column and reads back through SeaORM's value conversion.
    fn round_trip<T: ValueType + Into<DbValue> + Clone>(v: &T) -> (DbValue, T) {
        let stored: DbValue = v.clone().into();
        (stored.clone(), T::try_from(stored).unwrap())
    }

    #[test]
    fn field_values_are_a_json_object_in_a_string_column() {
        let fields = FieldValues::from_json(r#"{"title":"Desk","amount":"120.00","n":3}"#).unwrap();
        assert_eq!(fields.0["amount"], json!("120.00"));
        let (stored, back) = round_trip(&fields);
        assert_eq!(
            stored,
            DbValue::from(r#"{"title":"Desk","amount":"120.00","n":3}"#),
            "key order is kept"
        );
        assert_eq!(back, fields);
        assert!(FieldValues::from_json("[1]").is_err());
        assert!(FieldValues::from_json("").is_err());
        assert!(<FieldValues as ValueType>::try_from(DbValue::from("{oops")).is_err());
    }

    #[test]
    fn string_lists_are_a_json_array_of_strings() {
        let ids = StringList(vec!["a".into(), "b\"c".into()]);
        let (stored, back) = round_trip(&ids);
        assert_eq!(stored, DbValue::from(r#"["a","b\"c"]"#));
        assert_eq!(back, ids);
        assert_eq!(StringList::from_json("[]").unwrap(), StringList::default());
        assert!(StringList::from_json("[1]").is_err());
        assert!(StringList::from_json("null").is_err());
    }

    #[test]
    fn json_text_writes_back_the_text_it_read() {
        // Not what `serde_json` would print (spaces, an escaped "é"), still stored as read.
        let stored = r#"{ "body": "caf\u00e9", "n": 1.50 }"#;
        let doc = <JsonText as ValueType>::try_from(DbValue::from(stored)).unwrap();
        let value = doc.value().unwrap();
        assert_eq!(value["body"], json!("café"));
        assert_eq!(value["n"].as_f64(), Some(1.5));
        let (written, back) = round_trip(&doc);
        assert_eq!(written, DbValue::from(stored));
        assert_eq!(back.text(), stored);
    }

    #[test]
    fn new_json_text_is_what_serde_json_prints() {
        // The audit chain hashed `serde_json::to_string(&data)` before this type existed.
        let data = json!({"b": [1, 2], "a": "x\ny", "n": 1.5});
        let new = JsonText::new(&data);
        assert_eq!(new.text(), serde_json::to_string(&data).unwrap());
        assert_eq!(
            JsonText::new(&json!({"a": [1, 2]})).text(),
            r#"{"a":[1,2]}"#
        );
        assert_eq!(new.value().unwrap(), data);
    }

    #[test]
    fn unreadable_json_text_is_read_and_refused_when_its_value_is_asked_for() {
        // An edited event must reach `audit verify` as a break, not stop the read.
        let doc = <JsonText as ValueType>::try_from(DbValue::from("not json")).unwrap();
        assert_eq!(doc.text(), "not json");
        let err = doc.value().unwrap_err().to_string();
        assert!(err.contains("JsonText"), "{err}");
    }

    #[test]
    fn a_nullable_list_column_reads_null_as_none() {
        // `role_permissions.workflows` is `Option<StringList>`: NULL means every workflow.
        assert_eq!(
            <Option<StringList> as ValueType>::try_from(DbValue::String(None)).unwrap(),
            None
        );
    }
}
