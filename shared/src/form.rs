//! Validation of a submission against a definition's form.
//!
//! The same function runs in the browser (instant feedback while typing) and on the server
//! (the authority), so it is pure: the clock and the requester come in through
//! [`FormContext`]. It normalises what it accepts (money as a decimal string, numbers as JSON
//! numbers) and drops hidden fields, so the map it returns is exactly what gets stored.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::Problem;
use crate::definition::{Definition, Field, FieldType, Priority};
use crate::expr::{ExprContext, eval_condition};
use crate::suggest;

/// The most fraction digits a money amount may have: enough for unit prices and exchange-rate
/// results, few enough to refuse values that were clearly produced by float arithmetic.
pub const MAX_MONEY_FRACTION_DIGITS: u32 = 4;

/// Unknown keys of one submission that get a "did you mean" suggestion; the others are named
/// only.
pub const SUGGESTED_UNKNOWN_KEYS: usize = 20;

/// Which form is being validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FormMode {
    /// The intake form: only fields with `intake: true`; the others are refused.
    Intake,
    /// An edit: the input is the full merged field map, every field allowed.
    Update,
}

/// Who is submitting and when, for the conditions of the form.
#[derive(Debug, Clone, Copy)]
pub struct FormContext<'a> {
    /// The request's priority, when it has one (not at intake).
    pub priority: Option<Priority>,
    /// The requester's email.
    pub requester_email: &'a str,
    /// The requester's team, when known.
    pub requester_team: Option<&'a str>,
    /// The current time.
    pub now: DateTime<Utc>,
}

impl<'a> FormContext<'a> {
    fn expr_context(
        &self,
        definition: &'a Definition,
        fields: &'a Map<String, Value>,
    ) -> ExprContext<'a> {
        ExprContext {
            definition,
            fields,
            priority: self.priority,
            requester_email: self.requester_email,
            requester_team: self.requester_team,
            now: self.now,
        }
    }
}

/// Validates and normalises a submission; every problem is reported, in field order, at
/// `fields.<key>`.
pub fn validate_fields(
    def: &Definition,
    input: &Value,
    ctx_base: &FormContext<'_>,
    mode: FormMode,
) -> Result<Map<String, Value>, Vec<Problem>> {
    let Some(input) = input.as_object() else {
        return Err(vec![Problem::new(
            "fields",
            "must be an object of field values",
        )]);
    };
    let mut problems = Vec::new();
    let mut values = Map::new();
    // Problems of each field's own value, kept until we know whether the field is visible:
    // a hidden field's value is dropped, so complaining about it would only confuse.
    let mut value_problems: Vec<Option<String>> = Vec::with_capacity(def.fields.len());

    for field in &def.fields {
        let in_form = mode == FormMode::Update || field.intake;
        let given = input.get(&field.key).filter(|value| !is_absent(value));
        let problem = match (given, in_form) {
            (Some(_), false) => Some("is not part of the intake form".to_owned()),
            (None, false) => None,
            (Some(value), true) => match normalise(field, value) {
                Ok(normalised) => {
                    values.insert(field.key.clone(), normalised);
                    None
                }
                Err(message) => Some(message),
            },
            (None, true) => {
                // A default that does not fit the type was already reported at publish time;
                // here it is simply not applied.
                if let Some(Ok(value)) = field
                    .default
                    .as_ref()
                    .filter(|value| !is_absent(value))
                    .map(|value| normalise(field, value))
                {
                    values.insert(field.key.clone(), value);
                }
                None
            }
        };
        value_problems.push(problem);
    }

    let visible = apply_visibility(def, &mut values, ctx_base);

    for (index, field) in def.fields.iter().enumerate() {
        let path = format!("fields.{}", field.key);
        if !visible[index] {
            continue;
        }
        if let Some(Some(message)) = value_problems.get(index) {
            problems.push(Problem::new(path, message.clone()));
            continue;
        }
        let in_form = mode == FormMode::Update || field.intake;
        if in_form && !values.contains_key(&field.key) {
            let context = ctx_base.expr_context(def, &values);
            let required = field.required
                || field
                    .required_if
                    .as_deref()
                    .is_some_and(|condition| eval_condition(Some(condition), &context));
            if required {
                problems.push(Problem::new(path, "is required"));
            }
        }
    }

    let mut suggested = 0;
    for key in input.keys() {
        if def.field(key).is_none() {
            // A suggestion measures the distance to every field; a hostile submission sends
            // thousands of keys, so only the first few (and short ones) get one.
            let message = if suggested < SUGGESTED_UNKNOWN_KEYS && key.len() <= 64 {
                suggested += 1;
                suggest::unknown("field", key, def.fields.iter().map(|f| f.key.as_str()))
            } else {
                format!("unknown field \"{key}\"")
            };
            problems.push(Problem::new(format!("fields.{key}"), message));
        }
    }

    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// The keys of the fields currently visible, in form order, for the browser form.
pub fn visible_fields(
    def: &Definition,
    values: &Map<String, Value>,
    ctx: &FormContext<'_>,
) -> Vec<String> {
    let mut values = values.clone();
    let visible = apply_visibility(def, &mut values, ctx);
    def.fields
        .iter()
        .zip(visible)
        .filter(|(_, visible)| *visible)
        .map(|(field, _)| field.key.clone())
        .collect()
}

/// Decides visibility in form order and removes hidden values as it goes, so that a field
/// depending on a hidden one sees it as unset, exactly as it will be stored.
fn apply_visibility(
    def: &Definition,
    values: &mut Map<String, Value>,
    ctx: &FormContext<'_>,
) -> Vec<bool> {
    let mut visible = Vec::with_capacity(def.fields.len());
    for field in &def.fields {
        let shown = match field.visible_if.as_deref() {
            None => true,
            Some(condition) => eval_condition(Some(condition), &ctx.expr_context(def, values)),
        };
        if !shown {
            values.remove(&field.key);
        }
        visible.push(shown);
    }
    visible
}

/// Null, the empty string and the empty list all mean "no value": forms send them for
/// cleared inputs.
fn is_absent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Checks one present value against its field and returns it in stored form.
pub(crate) fn normalise(field: &Field, value: &Value) -> Result<Value, String> {
    let normalised = match field.kind {
        FieldType::Text | FieldType::Textarea => Value::String(string(value, "text")?.to_owned()),
        FieldType::Email | FieldType::User => {
            let text = string(value, "an email address")?;
            if !is_email(text) {
                return Err(format!("\"{text}\" is not a valid email address"));
            }
            Value::String(text.to_owned())
        }
        FieldType::Url => {
            let text = string(value, "a URL")?;
            if !is_url(text) {
                return Err(format!("\"{text}\" is not an http or https URL"));
            }
            Value::String(text.to_owned())
        }
        FieldType::Number => {
            let number = number_value(value)?;
            check_bounds(field, decimal_of(&number)?)?;
            Value::Number(number)
        }
        FieldType::Money => {
            let amount = money(value)?;
            check_bounds(field, amount)?;
            Value::String(amount.to_string())
        }
        FieldType::Date => {
            let text = string(value, "a date")?;
            // chrono accepts unpadded parts; the stored form is always YYYY-MM-DD.
            if text.len() != 10 || NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() {
                return Err(format!("\"{text}\" is not a date (YYYY-MM-DD)"));
            }
            Value::String(text.to_owned())
        }
        FieldType::Datetime => {
            let text = string(value, "a date and time")?;
            if DateTime::parse_from_rfc3339(text).is_err() {
                return Err(format!("\"{text}\" is not a date and time (RFC 3339)"));
            }
            Value::String(text.to_owned())
        }
        FieldType::Boolean => match value {
            Value::Bool(b) => Value::Bool(*b),
            _ => return Err("must be true or false".to_owned()),
        },
        FieldType::Select => {
            let text = string(value, "one of the options")?;
            if !field.options.iter().any(|option| option == text) {
                return Err(not_an_option(field, text));
            }
            Value::String(text.to_owned())
        }
        FieldType::Multiselect => {
            let Value::Array(items) = value else {
                return Err("must be a list of options".to_owned());
            };
            let mut chosen: Vec<&str> = Vec::with_capacity(items.len());
            for item in items {
                let text = item.as_str().ok_or("must be a list of options")?;
                if !field.options.iter().any(|option| option == text) {
                    return Err(not_an_option(field, text));
                }
                if chosen.contains(&text) {
                    return Err(format!("\"{text}\" is chosen more than once"));
                }
                chosen.push(text);
            }
            Value::Array(
                chosen
                    .into_iter()
                    .map(|text| Value::String(text.to_owned()))
                    .collect(),
            )
        }
    };
    if let Value::String(text) = &normalised
        && field.kind.is_text_like()
    {
        check_text(field, text)?;
    }
    Ok(normalised)
}

fn string<'v>(value: &'v Value, what: &str) -> Result<&'v str, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("must be {what} (a string)"))?;
    refuse_control_chars(text)?;
    Ok(text)
}

/// Refuses control characters other than tab and line breaks. A NUL byte cannot be stored by
/// PostgreSQL at all and the others are invisible on screen, so no text a person typed holds
/// them, and refusing them here gives the same answer on both databases.
pub fn refuse_control_chars(text: &str) -> Result<(), String> {
    match text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some(c) => Err(format!(
            "must not contain control characters (found U+{:04X})",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

fn not_an_option(field: &Field, text: &str) -> String {
    match suggest::suggest(text, field.options.iter().map(String::as_str)) {
        Some(best) => format!("\"{text}\" is not one of the options (did you mean \"{best}\"?)"),
        None => format!(
            "\"{text}\" is not one of the options: {}",
            field.options.join(", ")
        ),
    }
}

fn check_text(field: &Field, text: &str) -> Result<(), String> {
    if let Some(max) = field.max_length
        && text.chars().count() > max as usize
    {
        return Err(format!("must be at most {max} characters"));
    }
    if let Some(pattern) = &field.pattern {
        // Anchored so that the pattern describes the whole value, as people expect from
        // form patterns; a pattern that does not compile was refused at publish time.
        match crate::expr::compile_pattern(&format!("^(?:{pattern})$")) {
            Ok(regex) if regex.is_match(text) => {}
            Ok(_) => return Err(format!("does not match the pattern {pattern}")),
            Err(_) => return Err("cannot be checked: the field's pattern is invalid".to_owned()),
        }
    }
    Ok(())
}

/// A JSON number, or a string holding one (HTML inputs produce strings).
fn number_value(value: &Value) -> Result<serde_json::Number, String> {
    match value {
        Value::Number(number) => Ok(number.clone()),
        Value::String(text) => {
            let text = text.trim();
            if let Ok(whole) = text.parse::<i64>() {
                return Ok(whole.into());
            }
            // Parsed as the decimal it spells (never through f64), so no digit is lost.
            let finite = text.parse::<f64>().is_ok_and(f64::is_finite);
            match text.parse::<serde_json::Number>() {
                Ok(number) if finite => Ok(number),
                _ => Err(format!("\"{text}\" is not a number")),
            }
        }
        _ => Err("must be a number".to_owned()),
    }
}

/// The exact decimal a JSON number spells. The number's own text is parsed, never its f64
/// value, so `0.1` stays `0.1`.
fn decimal_of(number: &serde_json::Number) -> Result<Decimal, String> {
    let text = number.to_string();
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("{text} is out of range"))
}

/// A money amount from a JSON number or a decimal string, normalised to at least two
/// fraction digits (`1250` → `1250.00`, `1250.5` → `1250.50`, `1250.125` stays).
fn money(value: &Value) -> Result<Decimal, String> {
    let mut amount = match value {
        Value::Number(number) => decimal_of(number)?,
        Value::String(text) => {
            let text = text.trim();
            // Only plain decimals: no exponents, no thousands separators, no currency signs,
            // so what people see is what gets stored.
            let plain = !text.is_empty()
                && text
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.')
                && text.matches('.').count() <= 1
                && !text.ends_with('.')
                && !text.trim_start_matches('-').starts_with('.');
            if !plain {
                return Err(format!("\"{text}\" is not an amount (e.g. 1250.00)"));
            }
            text.parse::<Decimal>()
                .map_err(|_| format!("\"{text}\" is not an amount (e.g. 1250.00)"))?
        }
        _ => return Err("must be an amount (a number or a decimal string)".to_owned()),
    };
    if amount.scale() > MAX_MONEY_FRACTION_DIGITS {
        amount = amount.normalize();
        if amount.scale() > MAX_MONEY_FRACTION_DIGITS {
            return Err(format!(
                "must have at most {MAX_MONEY_FRACTION_DIGITS} digits after the decimal point"
            ));
        }
    }
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    Ok(amount)
}

fn check_bounds(field: &Field, value: Decimal) -> Result<(), String> {
    if let Some(min) = field.min
        && value < min
    {
        return Err(format!("must be at least {min}"));
    }
    if let Some(max) = field.max
        && value > max
    {
        return Err(format!("must be at most {max}"));
    }
    Ok(())
}

/// A deliberately simple email check: one `@`, a non-empty local part, a domain with a dot
/// that does not start or end the domain, no whitespace. Whether the mailbox exists is for
/// the server (for user fields) or nobody to decide.
pub(crate) fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !text.chars().any(char::is_whitespace)
}

fn is_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            !host.is_empty() && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}
