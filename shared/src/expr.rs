//! Expressions of definitions (`when`, `visible_if`, `required_if`, `guard`): checking and
//! evaluation, in CEL (the Common Expression Language) through the `cel` crate.
//!
//! Two jobs live here and nowhere else:
//!
//! - [`check_expression`] is the publish-time check: it parses the source and runs a small
//!   static type inference over cel's AST, so that `amout >= 1000`, `amount == "x"` or
//!   `title && true` are refused with a message instead of silently never matching at runtime.
//!   cel itself is dynamically typed and has no checker, hence our own. Where a type cannot be
//!   known (values from `fields["..."]` with a computed key, results of `type()`), the checker
//!   treats it as dynamic and lets it pass rather than refuse valid expressions.
//! - [`eval_bool`] evaluates against one request. It binds every field of the definition
//!   (unset ones as `null`), `fields`, `priority`, `requester` and `now`, nothing else: the
//!   expression cannot reach anything but the request.
//!
//! Both reject sources longer than [`MAX_EXPRESSION_CHARS`] or nested deeper than
//! [`MAX_EXPRESSION_DEPTH`] before parsing, because parsing and evaluation are recursive and
//! run on the server's request path and in the browser.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::Value as CelValue;
use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

use crate::definition::{Definition, FieldType, Priority};
use crate::suggest;

/// The longest expression source accepted, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 1000;

/// The deepest nesting of brackets accepted in a source, and the recursion bound given to the
/// parser. Real conditions nest two or three levels; the bound only stops hostile input.
pub const MAX_EXPRESSION_DEPTH: usize = 32;

/// Names an expression can use besides the field keys.
pub const BUILTIN_IDENTIFIERS: [&str; 4] = ["fields", "priority", "requester", "now"];

/// What an expression is evaluated against: one request, or one submission being filled in.
#[derive(Debug, Clone, Copy)]
pub struct ExprContext<'a> {
    /// The definition the fields belong to; it decides how each value is bound (money values
    /// are decimal strings in `fields` but numbers in expressions) and which unset fields are
    /// bound as `null`.
    pub definition: &'a Definition,
    /// The request's field values, as stored.
    pub fields: &'a serde_json::Map<String, Value>,
    /// The request's priority, when it has one yet (routing runs before it does).
    pub priority: Option<Priority>,
    /// The requester's email.
    pub requester_email: &'a str,
    /// The requester's team, when known.
    pub requester_team: Option<&'a str>,
    /// The current time, passed in so that evaluation stays pure.
    pub now: DateTime<Utc>,
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// The source is longer than [`MAX_EXPRESSION_CHARS`].
    #[error("expression is longer than {MAX_EXPRESSION_CHARS} characters")]
    TooLong,
    /// The source nests deeper than [`MAX_EXPRESSION_DEPTH`].
    #[error("expression is nested deeper than {MAX_EXPRESSION_DEPTH} levels")]
    TooDeep,
    /// The source is not valid CEL.
    #[error("syntax error: {0}")]
    Parse(String),
    /// Evaluation failed (no such overload, division by zero, ...).
    #[error("evaluation failed: {0}")]
    Eval(String),
    /// The result was not a boolean; carries the type it was.
    #[error("expected true or false, got a {0}")]
    NotBoolean(String),
}

/// Checks an expression of `def` at publish time: syntax, identifiers (with a suggestion for
/// misspelt ones), operand types and a boolean result.
pub fn check_expression(src: &str, def: &Definition) -> Result<(), String> {
    let expr = parse(src).map_err(|error| error.to_string())?;
    let mut checker = Checker {
        def,
        locals: Vec::new(),
    };
    match checker.infer(&expr)? {
        Ty::Bool | Ty::Dyn => Ok(()),
        other => Err(format!(
            "the expression must give true or false, but it gives a {}",
            other.name()
        )),
    }
}

/// Evaluates a condition against a request.
pub fn eval_bool(src: &str, ctx: &ExprContext<'_>) -> Result<bool, ExprError> {
    let expr = parse(src)?;
    let mut context = cel::Context::with_env(environment());
    bind(&mut context, ctx);
    match context.resolve(&expr) {
        Ok(CelValue::Bool(result)) => Ok(result),
        Ok(other) => Err(ExprError::NotBoolean(other.type_of().to_string())),
        Err(error) => Err(ExprError::Eval(error.to_string())),
    }
}

/// Evaluates an optional condition: no condition holds; a condition that cannot be evaluated
/// (e.g. `amount > 10` while `amount` is unset) does not hold.
///
/// Failing closed is the safe reading for every use: a routing rule or approval step whose
/// condition breaks does not apply, a guarded transition is not offered, a conditional field
/// stays hidden or optional. Publish-time checking makes such failures rare.
pub fn eval_condition(src: Option<&str>, ctx: &ExprContext<'_>) -> bool {
    match src {
        None => true,
        Some(src) => eval_bool(src, ctx).unwrap_or(false),
    }
}

/// The standard library plus the strings extension (`lowerAscii`, `trim`, `split`, ...),
/// built once: building it registers hundreds of overloads.
fn environment() -> Arc<cel::Env> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = cel::Env::stdlib();
        // Registering a fresh extension on a fresh environment cannot conflict; were it ever
        // to fail, the expressions would only lack the string helpers.
        let _ = env.add_extension(cel::extensions::strings);
        Arc::new(env)
    })
    .clone()
}

/// Applies the size and depth bounds, then parses.
fn parse(src: &str) -> Result<IdedExpr, ExprError> {
    if src.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(ExprError::TooLong);
    }
    if bracket_depth(src) > MAX_EXPRESSION_DEPTH {
        return Err(ExprError::TooDeep);
    }
    let parser = cel::parser::Parser::new().max_recursion_depth(MAX_EXPRESSION_DEPTH as u16 * 2);
    let expr = parser.parse(src).map_err(|errors| {
        let message = errors
            .errors
            .first()
            .map(|error| format!("{} (at column {})", error.msg, error.pos.1))
            .unwrap_or_else(|| "invalid expression".to_owned());
        ExprError::Parse(message)
    })?;
    if ast_depth(&expr) > MAX_EXPRESSION_DEPTH * 2 {
        return Err(ExprError::TooDeep);
    }
    Ok(expr)
}

/// The deepest bracket nesting outside string literals; a cheap pre-parse bound.
fn bracket_depth(src: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in src.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The depth of the parsed tree, macro expansions included.
fn ast_depth(expr: &IdedExpr) -> usize {
    let children: Vec<&IdedExpr> = match &expr.expr {
        Expr::Call(call) => call
            .target
            .iter()
            .map(|t| &**t)
            .chain(call.args.iter())
            .collect(),
        Expr::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        Expr::List(list) => list.elements.iter().collect(),
        Expr::Map(map) => map
            .entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                cel::common::ast::EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
                cel::common::ast::EntryExpr::StructField(f) => vec![&f.value],
            })
            .collect(),
        Expr::Select(select) => vec![&*select.operand],
        Expr::Struct(s) => s
            .entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                cel::common::ast::EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
                cel::common::ast::EntryExpr::StructField(f) => vec![&f.value],
            })
            .collect(),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => Vec::new(),
    };
    1 + children.into_iter().map(ast_depth).max().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Binding a request into a cel context.

fn bind(context: &mut cel::Context<'_, '_>, ctx: &ExprContext<'_>) {
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

// ---------------------------------------------------------------------------------------------
// Static type inference.

/// The static types the checker tells apart. Ints, uints and doubles are one `Number`:
/// cel compares them with each other, and people do not think of `1000` and `1000.0` as
/// different types.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Bool,
    Number,
    String,
    Timestamp,
    Duration,
    Bytes,
    Null,
    List(Box<Ty>),
    Map(Box<Ty>),
    /// The `fields` map, whose keys are known.
    Fields,
    /// The `requester` map, with `email` and `team`.
    Requester,
    /// Unknown until run time.
    Dyn,
}

impl Ty {
    fn name(&self) -> String {
        match self {
            Ty::Bool => "bool".to_owned(),
            Ty::Number => "number".to_owned(),
            Ty::String => "string".to_owned(),
            Ty::Timestamp => "timestamp".to_owned(),
            Ty::Duration => "duration".to_owned(),
            Ty::Bytes => "bytes".to_owned(),
            Ty::Null => "null".to_owned(),
            Ty::List(element) => format!("list({})", element.name()),
            Ty::Map(_) | Ty::Fields | Ty::Requester => "map".to_owned(),
            Ty::Dyn => "dyn".to_owned(),
        }
    }

    fn of_field(kind: FieldType) -> Ty {
        match kind {
            FieldType::Number | FieldType::Money => Ty::Number,
            FieldType::Boolean => Ty::Bool,
            FieldType::Multiselect => Ty::List(Box::new(Ty::String)),
            FieldType::Text
            | FieldType::Textarea
            | FieldType::Select
            | FieldType::Email
            | FieldType::Url
            | FieldType::User
            | FieldType::Date
            | FieldType::Datetime => Ty::String,
        }
    }

    fn is_map(&self) -> bool {
        matches!(self, Ty::Map(_) | Ty::Fields | Ty::Requester)
    }

    /// Whether `==` between the two can ever be meaningful. Null compares with anything
    /// because unset fields are null.
    fn comparable_for_equality(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Dyn, _) | (_, Ty::Dyn) | (Ty::Null, _) | (_, Ty::Null) => true,
            (Ty::List(a), Ty::List(b)) => a.comparable_for_equality(b),
            (a, b) if a.is_map() && b.is_map() => true,
            (a, b) => a == b,
        }
    }

    fn orderable_with(&self, other: &Ty) -> bool {
        let orderable = |ty: &Ty| {
            matches!(
                ty,
                Ty::Number
                    | Ty::String
                    | Ty::Timestamp
                    | Ty::Duration
                    | Ty::Bool
                    | Ty::Bytes
                    | Ty::Dyn
            )
        };
        match (self, other) {
            (Ty::Dyn, other) | (other, Ty::Dyn) => orderable(other),
            (a, b) => a == b && orderable(a),
        }
    }
}

/// Functions a definition may call, for the unknown-function suggestion.
const KNOWN_FUNCTIONS: [&str; 33] = [
    "size",
    "startsWith",
    "endsWith",
    "contains",
    "matches",
    "lowerAscii",
    "upperAscii",
    "trim",
    "replace",
    "split",
    "join",
    "indexOf",
    "lastIndexOf",
    "charAt",
    "substring",
    "timestamp",
    "duration",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "type",
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
];

struct Checker<'d> {
    def: &'d Definition,
    /// Comprehension variables in scope, innermost last.
    locals: Vec<(String, Ty)>,
}

impl Checker<'_> {
    fn infer(&mut self, expr: &IdedExpr) -> Result<Ty, String> {
        match &expr.expr {
            Expr::Literal(literal) => Ok(match literal {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Double(_) | LiteralValue::Int(_) | LiteralValue::UInt(_) => {
                    Ty::Number
                }
                LiteralValue::Null => Ty::Null,
                LiteralValue::String(_) => Ty::String,
            }),
            Expr::Ident(name) => self.identifier(name),
            Expr::List(list) => {
                let mut element: Option<Ty> = None;
                for item in &list.elements {
                    let ty = self.infer(item)?;
                    element = Some(match element {
                        None => ty,
                        Some(previous) if previous == ty => previous,
                        Some(_) => Ty::Dyn,
                    });
                }
                Ok(Ty::List(Box::new(element.unwrap_or(Ty::Dyn))))
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(entry) = &entry.expr {
                        self.infer(&entry.key)?;
                        self.infer(&entry.value)?;
                    }
                }
                Ok(Ty::Map(Box::new(Ty::Dyn)))
            }
            Expr::Struct(s) => Err(format!(
                "message types like \"{}\" are not available",
                s.type_name
            )),
            Expr::Select(select) => {
                let operand = self.infer(&select.operand)?;
                let ty = self.select(&operand, &select.field)?;
                Ok(if select.test { Ty::Bool } else { ty })
            }
            Expr::Comprehension(c) => {
                let range = self.infer(&c.iter_range)?;
                let (first, second) = match &range {
                    Ty::List(element) => (Ty::Number, (**element).clone()),
                    Ty::Map(value) => (Ty::String, (**value).clone()),
                    Ty::Fields | Ty::Requester => (Ty::String, Ty::Dyn),
                    Ty::Dyn => (Ty::Dyn, Ty::Dyn),
                    other => {
                        return Err(format!("cannot iterate over a {}", other.name()));
                    }
                };
                let accumulator = self.infer(&c.accu_init)?;
                let scope = self.locals.len();
                // With one variable it is the element (list) or the key (map); with two,
                // the index or key and then the value.
                match &c.iter_var2 {
                    None => {
                        let element = if matches!(range, Ty::List(_)) {
                            second
                        } else {
                            first
                        };
                        self.locals.push((c.iter_var.clone(), element));
                    }
                    Some(var2) => {
                        self.locals.push((c.iter_var.clone(), first));
                        self.locals.push((var2.clone(), second));
                    }
                }
                self.locals.push((c.accu_var.clone(), accumulator));
                let result = self
                    .infer(&c.loop_cond)
                    .and_then(|_| self.infer(&c.loop_step))
                    .and_then(|_| self.infer(&c.result));
                self.locals.truncate(scope);
                result
            }
            Expr::Call(call) => {
                let target = match &call.target {
                    Some(target) => Some(self.infer(target)?),
                    None => None,
                };
                let mut args = Vec::with_capacity(call.args.len());
                for arg in &call.args {
                    args.push(self.infer(arg)?);
                }
                self.call(&call.func_name, target, &args, &call.args)
            }
            Expr::Unspecified => Err("incomplete expression".to_owned()),
        }
    }

    fn identifier(&self, name: &str) -> Result<Ty, String> {
        if let Some((_, ty)) = self.locals.iter().rev().find(|(local, _)| local == name) {
            return Ok(ty.clone());
        }
        if let Some(field) = self.def.field(name) {
            return Ok(Ty::of_field(field.kind));
        }
        match name {
            "fields" => Ok(Ty::Fields),
            "priority" => Ok(Ty::String),
            "requester" => Ok(Ty::Requester),
            "now" => Ok(Ty::Timestamp),
            _ => {
                let candidates = self
                    .def
                    .fields
                    .iter()
                    .map(|field| field.key.as_str())
                    .chain(BUILTIN_IDENTIFIERS)
                    .chain(self.locals.iter().map(|(local, _)| local.as_str()));
                Err(suggest::unknown("identifier", name, candidates))
            }
        }
    }

    fn select(&self, operand: &Ty, field: &str) -> Result<Ty, String> {
        match operand {
            Ty::Fields => self
                .def
                .field(field)
                .map(|f| Ty::of_field(f.kind))
                .ok_or_else(|| {
                    suggest::unknown(
                        "field",
                        field,
                        self.def.fields.iter().map(|f| f.key.as_str()),
                    )
                }),
            Ty::Requester => match field {
                "email" | "team" => Ok(Ty::String),
                _ => Err(suggest::unknown(
                    "requester property",
                    field,
                    ["email", "team"],
                )),
            },
            Ty::Map(value) => Ok((**value).clone()),
            Ty::Dyn => Ok(Ty::Dyn),
            other => Err(format!("cannot read \".{field}\" of a {}", other.name())),
        }
    }

    fn call(
        &self,
        name: &str,
        target: Option<Ty>,
        args: &[Ty],
        arg_exprs: &[IdedExpr],
    ) -> Result<Ty, String> {
        use cel::common::ast::operators as op;
        let binary = || -> Result<(&Ty, &Ty), String> {
            match args {
                [left, right] => Ok((left, right)),
                _ => Err(format!("operator {name} needs two operands")),
            }
        };
        let symbol = |name: &str| name.trim_matches('_').to_owned();
        match name {
            op::LOGICAL_AND | op::LOGICAL_OR => {
                for arg in args {
                    if !matches!(arg, Ty::Bool | Ty::Dyn) {
                        return Err(format!(
                            "operator {} needs true/false operands, got a {}",
                            symbol(name),
                            arg.name()
                        ));
                    }
                }
                Ok(Ty::Bool)
            }
            op::LOGICAL_NOT | op::NOT_STRICTLY_FALSE => match args {
                [Ty::Bool | Ty::Dyn] => Ok(Ty::Bool),
                [other] => Err(format!(
                    "operator ! needs a true/false operand, got a {}",
                    other.name()
                )),
                _ => Err("operator ! needs one operand".to_owned()),
            },
            op::NEGATE => match args {
                [Ty::Number] => Ok(Ty::Number),
                [Ty::Duration] => Ok(Ty::Duration),
                [Ty::Dyn] => Ok(Ty::Dyn),
                [other] => Err(format!("cannot negate a {}", other.name())),
                _ => Err("operator - needs one operand".to_owned()),
            },
            op::EQUALS | op::NOT_EQUALS => {
                let (left, right) = binary()?;
                if left.comparable_for_equality(right) {
                    Ok(Ty::Bool)
                } else {
                    Err(format!(
                        "cannot compare a {} with a {}",
                        left.name(),
                        right.name()
                    ))
                }
            }
            op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS => {
                let (left, right) = binary()?;
                if left.orderable_with(right) {
                    Ok(Ty::Bool)
                } else {
                    Err(format!(
                        "cannot compare a {} with a {} using {}",
                        left.name(),
                        right.name(),
                        symbol(name)
                    ))
                }
            }
            op::ADD | op::SUBSTRACT | op::MULTIPLY | op::DIVIDE | op::MODULO => {
                let (left, right) = binary()?;
                arithmetic(name, left, right).ok_or_else(|| {
                    format!(
                        "operator {} does not apply to a {} and a {}",
                        symbol(name),
                        left.name(),
                        right.name()
                    )
                })
            }
            op::CONDITIONAL => match args {
                [condition, yes, no] => {
                    if !matches!(condition, Ty::Bool | Ty::Dyn) {
                        return Err(format!(
                            "the condition of ?: must be true/false, got a {}",
                            condition.name()
                        ));
                    }
                    Ok(if yes == no { yes.clone() } else { Ty::Dyn })
                }
                _ => Err("operator ?: needs three operands".to_owned()),
            },
            op::INDEX => {
                let (container, index) = binary()?;
                match container {
                    Ty::List(element) => match index {
                        Ty::Number | Ty::Dyn => Ok((**element).clone()),
                        other => Err(format!(
                            "a list index must be a number, got a {}",
                            other.name()
                        )),
                    },
                    Ty::Fields => match arg_exprs.get(1).map(|e| &e.expr) {
                        Some(Expr::Literal(LiteralValue::String(key))) => {
                            self.select(container, key)
                        }
                        _ => Ok(Ty::Dyn),
                    },
                    Ty::Requester | Ty::Map(_) => match container {
                        Ty::Map(value) => Ok((**value).clone()),
                        _ => Ok(Ty::String),
                    },
                    Ty::Dyn => Ok(Ty::Dyn),
                    other => Err(format!("cannot index a {}", other.name())),
                }
            }
            op::IN => {
                let (item, container) = binary()?;
                match container {
                    Ty::List(element) if !item.comparable_for_equality(element) => Err(format!(
                        "cannot look for a {} in a {}",
                        item.name(),
                        container.name()
                    )),
                    Ty::List(_) | Ty::Dyn => Ok(Ty::Bool),
                    map if map.is_map() => Ok(Ty::Bool),
                    other => Err(format!(
                        "operator in needs a list or a map, got a {}",
                        other.name()
                    )),
                }
            }
            _ => self.function(name, target, args),
        }
    }

    fn function(&self, name: &str, target: Option<Ty>, args: &[Ty]) -> Result<Ty, String> {
        // Member calls take their receiver as first argument, like cel's overloads do.
        let all: Vec<Ty> = target.iter().cloned().chain(args.iter().cloned()).collect();
        let expect = |index: usize, wanted: Ty| -> Result<(), String> {
            match all.get(index) {
                Some(Ty::Dyn) => Ok(()),
                Some(actual) if *actual == wanted => Ok(()),
                Some(actual) => Err(format!(
                    "{name}() needs a {} {}, got a {}",
                    wanted.name(),
                    if index == 0 && target.is_some() {
                        "receiver"
                    } else {
                        "argument"
                    },
                    actual.name()
                )),
                None => Err(format!("{name}() is missing an argument")),
            }
        };
        let strings = |count: usize| -> Result<(), String> {
            if all.len() < count {
                return Err(format!("{name}() is missing an argument"));
            }
            (0..count).try_for_each(|index| expect(index, Ty::String))
        };
        match name {
            "size" => match all.as_slice() {
                [
                    Ty::String
                    | Ty::Bytes
                    | Ty::List(_)
                    | Ty::Map(_)
                    | Ty::Fields
                    | Ty::Requester
                    | Ty::Dyn,
                ] => Ok(Ty::Number),
                [other] => Err(format!("size() does not apply to a {}", other.name())),
                _ => Err("size() takes one argument".to_owned()),
            },
            "startsWith" | "endsWith" | "contains" | "matches" => {
                strings(2)?;
                Ok(Ty::Bool)
            }
            "lowerAscii" | "upperAscii" | "trim" => {
                strings(1)?;
                Ok(Ty::String)
            }
            "replace" => {
                strings(3)?;
                Ok(Ty::String)
            }
            "split" => {
                strings(2)?;
                Ok(Ty::List(Box::new(Ty::String)))
            }
            "indexOf" | "lastIndexOf" => {
                strings(2)?;
                Ok(Ty::Number)
            }
            "charAt" | "substring" => {
                strings(1)?;
                Ok(Ty::String)
            }
            "join" => match all.first() {
                Some(Ty::List(_) | Ty::Dyn) => Ok(Ty::String),
                Some(other) => Err(format!(
                    "join() needs a list receiver, got a {}",
                    other.name()
                )),
                None => Err("join() needs a list receiver".to_owned()),
            },
            "timestamp" => {
                strings(1).or_else(|_| expect(0, Ty::Timestamp))?;
                Ok(Ty::Timestamp)
            }
            "duration" => {
                strings(1).or_else(|_| expect(0, Ty::Duration))?;
                Ok(Ty::Duration)
            }
            "int" | "uint" | "double" => Ok(Ty::Number),
            "string" => Ok(Ty::String),
            "bool" => Ok(Ty::Bool),
            "type" => Ok(Ty::Dyn),
            "getFullYear" | "getMonth" | "getDate" | "getDayOfMonth" | "getDayOfWeek"
            | "getDayOfYear" | "getHours" | "getMinutes" | "getSeconds" | "getMilliseconds" => {
                match all.first() {
                    Some(Ty::Timestamp | Ty::Dyn) => Ok(Ty::Number),
                    Some(Ty::Duration)
                        if name.starts_with("getH")
                            || name.starts_with("getM")
                            || name == "getSeconds" =>
                    {
                        Ok(Ty::Number)
                    }
                    Some(Ty::String) => Err(format!(
                        "{name}() needs a timestamp; date fields are strings, convert with timestamp()"
                    )),
                    Some(other) => Err(format!(
                        "{name}() needs a timestamp, got a {}",
                        other.name()
                    )),
                    None => Err(format!("{name}() needs a timestamp")),
                }
            }
            _ => Err(suggest::unknown("function", name, KNOWN_FUNCTIONS)),
        }
    }
}

fn arithmetic(name: &str, left: &Ty, right: &Ty) -> Option<Ty> {
    use cel::common::ast::operators as op;
    match (name, left, right) {
        (_, Ty::Dyn, _) | (_, _, Ty::Dyn) => Some(Ty::Dyn),
        (_, Ty::Number, Ty::Number) => Some(Ty::Number),
        (op::ADD, Ty::String, Ty::String) => Some(Ty::String),
        (op::ADD, Ty::List(a), Ty::List(b)) => Some(if a == b {
            left.clone()
        } else {
            Ty::List(Box::new(Ty::Dyn))
        }),
        (op::ADD, Ty::Timestamp, Ty::Duration) | (op::ADD, Ty::Duration, Ty::Timestamp) => {
            Some(Ty::Timestamp)
        }
        (op::ADD | op::SUBSTRACT, Ty::Duration, Ty::Duration) => Some(Ty::Duration),
        (op::SUBSTRACT, Ty::Timestamp, Ty::Duration) => Some(Ty::Timestamp),
        (op::SUBSTRACT, Ty::Timestamp, Ty::Timestamp) => Some(Ty::Duration),
        _ => None,
    }
}
