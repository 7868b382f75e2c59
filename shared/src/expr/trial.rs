//! The publish-time cost check: an expression is evaluated once, under the step budget,
//! against the largest values its definition allows (every option of a multiselect, text as
//! long as its `max_length`, up to [`TRIAL_TEXT_CHARS`]), and refused when it runs out of
//! steps. A rule whose cost does not depend on the request, like nested loops over list
//! literals, is refused before anyone submits. A rule that hides its cost behind a branch
//! the trial does not take still meets the budget at run time, where it fails closed.
//!
//! Literal patterns of `matches` are compiled here too, with the same size limits as at run
//! time, so a pattern that can never run is refused with its reason.

use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use chrono::DateTime;
use serde_json::{Map, Value};

use super::{ExprContext, ExprError, MAX_EXPRESSION_STEPS, evaluate_metered, meter};
use crate::definition::{Definition, FieldType, Priority};

/// The longest text the trial binds to a field without a smaller `max_length`.
pub const TRIAL_TEXT_CHARS: usize = 4096;
/// Text length the trial binds to a field without any `max_length`.
const DEFAULT_TEXT_CHARS: usize = 1000;

/// Refuses an expression that runs out of steps on the largest values, or whose literal
/// pattern cannot be compiled within the limits; answers the steps it took.
pub(super) fn check_cost(expr: &IdedExpr, def: &Definition) -> Result<u64, String> {
    literal_patterns(expr)?;
    let fields = largest_values(def);
    let ctx = ExprContext {
        definition: def,
        fields: &fields,
        priority: Some(Priority::Urgent),
        requester_email: "requester@example.com",
        requester_team: Some("team"),
        now: DateTime::UNIX_EPOCH,
    };
    match evaluate_metered(expr, &ctx) {
        (Err(ExprError::TooCostly), _) => Err(format!(
            "the expression needs more than {MAX_EXPRESSION_STEPS} evaluation steps on the \
             largest values its fields allow; simplify it"
        )),
        // Other failures (an unset field compared with a number, ...) are the run time's to
        // handle: they fail closed there.
        (_, steps) => Ok(steps),
    }
}

/// The largest value each field of `def` may hold.
fn largest_values(def: &Definition) -> Map<String, Value> {
    let text = |max_length: Option<u32>| {
        let chars = max_length.map_or(DEFAULT_TEXT_CHARS, |n| n as usize);
        Value::String("x".repeat(chars.min(TRIAL_TEXT_CHARS)))
    };
    def.fields
        .iter()
        .map(|field| {
            let value = match field.kind {
                FieldType::Text | FieldType::Textarea | FieldType::Url => text(field.max_length),
                FieldType::Email | FieldType::User => {
                    Value::String("someone@example.com".to_owned())
                }
                FieldType::Select => Value::String(
                    field
                        .options
                        .iter()
                        .max_by_key(|option| option.len())
                        .cloned()
                        .unwrap_or_default(),
                ),
                FieldType::Multiselect => Value::Array(
                    field
                        .options
                        .iter()
                        .map(|option| Value::String(option.clone()))
                        .collect(),
                ),
                FieldType::Number => Value::from(1_000_000),
                FieldType::Money => Value::String("1000000.00".to_owned()),
                FieldType::Boolean => Value::Bool(true),
                FieldType::Date => Value::String("2025-01-01".to_owned()),
                FieldType::Datetime => Value::String("2025-01-01T00:00:00Z".to_owned()),
            };
            (field.key.clone(), value)
        })
        .collect()
}

/// Compiles every literal pattern given to `matches`.
fn literal_patterns(expr: &IdedExpr) -> Result<(), String> {
    if let Expr::Call(call) = &expr.expr
        && call.func_name == "matches"
        && let Some(Expr::Literal(LiteralValue::String(pattern))) =
            call.args.last().map(|arg| &arg.expr)
    {
        meter::compile(pattern).map_err(|error| meter::refusal(pattern, &error))?;
    }
    super::children(expr)
        .into_iter()
        .try_for_each(literal_patterns)
}
