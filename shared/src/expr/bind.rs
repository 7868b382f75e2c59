//! Binding one request into a cel context: every field of the definition (unset ones as
//! `null`), `fields`, `priority`, `requester` and `now`, nothing else, so an expression cannot
//! reach anything but the request. Values are bound by their field type (money as a number).

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value as CelValue;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

use super::ExprContext;
use crate::definition::FieldType;

pub(super) fn bind(context: &mut cel::Context<'_, '_>, ctx: &ExprContext<'_>) {
    let mut fields: HashMap<String, CelValue> = HashMap::new();
    // Stored values that the definition no longer declares are still reachable through
    // `fields`, bound by their JSON type, so an old request never makes evaluation fail.
    for (key, value) in ctx.fields {
        fields.insert(key.clone(), json_to_cel(value));
    }
    for field in &ctx.definition.fields {
        let value = ctx
            .fields
            .get(&field.key)
            .map(|value| typed_to_cel(field.kind, value))
            .unwrap_or(CelValue::Null);
        fields.insert(field.key.clone(), value);
    }
    for (key, value) in &fields {
        context.add_variable_from_value(key.clone(), value.clone());
    }
    // Built-ins are bound last: field keys are validated not to collide with them, and a
    // stale stored key must not shadow them either.
    context.add_variable_from_value("fields", fields);
    context.add_variable_from_value(
        "priority",
        ctx.priority
            .map(|priority| CelValue::from(priority.as_str()))
            .unwrap_or(CelValue::Null),
    );
    let mut requester: HashMap<String, CelValue> = HashMap::new();
    requester.insert("email".to_owned(), CelValue::from(ctx.requester_email));
    requester.insert(
        "team".to_owned(),
        ctx.requester_team
            .map(CelValue::from)
            .unwrap_or(CelValue::Null),
    );
    context.add_variable_from_value("requester", requester);
    context.add_variable_from_value("now", CelValue::Timestamp(ctx.now.fixed_offset()));
}

/// Binds a stored value by its field type.
///
/// Money is stored as a decimal string and bound as a number. Whole amounts become CEL ints
/// and others doubles: cel compares ints with doubles numerically, so `amount >= 1000` works
/// for both. The double loses precision only beyond about 15 significant digits, far above
/// any amount a form accepts with at most four fraction digits; comparisons against the
/// thresholds people write stay exact.
fn typed_to_cel(kind: FieldType, value: &Value) -> CelValue {
    match (kind, value) {
        (FieldType::Money | FieldType::Number, Value::String(text)) => text
            .trim()
            .parse::<Decimal>()
            .map(decimal_to_cel)
            .unwrap_or_else(|_| json_to_cel(value)),
        (FieldType::Money, Value::Number(number)) => number
            .to_string()
            .parse::<Decimal>()
            .map(decimal_to_cel)
            .unwrap_or_else(|_| json_to_cel(value)),
        _ => json_to_cel(value),
    }
}

fn decimal_to_cel(decimal: Decimal) -> CelValue {
    if decimal.fract().is_zero()
        && let Some(whole) = decimal.to_i64()
    {
        return CelValue::Int(whole);
    }
    decimal
        .to_f64()
        .map(CelValue::Float)
        .unwrap_or(CelValue::Null)
}

fn json_to_cel(value: &Value) -> CelValue {
    match value {
        Value::Null => CelValue::Null,
        Value::Bool(b) => CelValue::Bool(*b),
        Value::Number(number) => match number.as_i64() {
            Some(whole) => CelValue::Int(whole),
            None => number
                .as_f64()
                .map(CelValue::Float)
                .unwrap_or(CelValue::Null),
        },
        Value::String(text) => CelValue::from(text.as_str()),
        Value::Array(items) => CelValue::List(Arc::new(items.iter().map(json_to_cel).collect())),
        Value::Object(map) => {
            let entries: HashMap<String, CelValue> = map
                .iter()
                .map(|(key, value)| (key.clone(), json_to_cel(value)))
                .collect();
            CelValue::from(entries)
        }
    }
}
