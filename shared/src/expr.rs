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
//! run on the server's request path and in the browser. Every evaluation has a budget of
//! [`MAX_EXPRESSION_STEPS`] (`meter`): one that runs out fails with [`ExprError::TooCostly`]
//! instead of running on, and [`check_expression`] refuses an expression that runs out on the
//! largest values its definition allows (`trial`).
//!
//! The parts: `bind` (a request as cel variables), `check` (the static type check), `meter`
//! (the step budget), `trial` (the publish-time cost check).

mod bind;
mod check;
mod meter;
mod trial;

use std::sync::{Arc, OnceLock};

use cel::Value as CelValue;
use cel::common::ast::{Expr, IdedExpr};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::definition::{Definition, Priority};

/// The longest expression source accepted, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 1000;

/// The deepest nesting of brackets accepted in a source, and the recursion bound given to the
/// parser. Real conditions nest two or three levels; the bound only stops hostile input.
pub const MAX_EXPRESSION_DEPTH: usize = 32;

/// Steps one evaluation may take: an element of a list or map produced or read, or 16 bytes
/// of text, is one step, as is every call and every loop iteration. Real conditions take tens
/// of steps; a rule over a long text field a few hundred.
pub const MAX_EXPRESSION_STEPS: u64 = 10_000;

/// Steps the conditions of one definition may take together on the largest values its fields
/// allow (`validate_definition` adds them up): a submission evaluates most of them, so this
/// bounds the work one submission asks for.
pub const MAX_DEFINITION_STEPS: u64 = 50_000;

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
    /// The evaluation ran out of its [`MAX_EXPRESSION_STEPS`].
    #[error("expression needs more than {MAX_EXPRESSION_STEPS} evaluation steps")]
    TooCostly,
}

/// Checks an expression of `def` at publish time: syntax, identifiers (with a suggestion for
/// misspelt ones), operand types, a boolean result, literal patterns, and a cost within the
/// step budget on the largest values the fields allow.
pub fn check_expression(src: &str, def: &Definition) -> Result<(), String> {
    expression_cost(src, def).map(|_| ())
}

/// [`check_expression`], answering the steps the expression took on the largest values its
/// fields allow, so a definition can bound the total of its conditions
/// ([`MAX_DEFINITION_STEPS`]).
pub fn expression_cost(src: &str, def: &Definition) -> Result<u64, String> {
    let expr = parse(src).map_err(|error| error.to_string())?;
    check::check_types(&expr, def)?;
    trial::check_cost(&expr, def)
}

/// Evaluates a condition against a request, within [`MAX_EXPRESSION_STEPS`].
pub fn eval_bool(src: &str, ctx: &ExprContext<'_>) -> Result<bool, ExprError> {
    let expr = parse(src)?;
    evaluate(&expr, ctx)
}

/// Compiles a regular expression within the limits expressions run under (a compiled size of
/// 256 KiB, cel's own default being 10 MiB); field `pattern`s use it too.
pub fn compile_pattern(pattern: &str) -> Result<regex::Regex, regex::Error> {
    meter::compile(pattern)
}

/// Evaluates a parsed expression with a fresh step budget.
fn evaluate(expr: &IdedExpr, ctx: &ExprContext<'_>) -> Result<bool, ExprError> {
    evaluate_metered(expr, ctx).0
}

/// [`evaluate`], also answering the steps it took.
fn evaluate_metered(expr: &IdedExpr, ctx: &ExprContext<'_>) -> (Result<bool, ExprError>, u64) {
    let metered = meter::instrument(expr);
    let budget = meter::Meter::new(MAX_EXPRESSION_STEPS);
    let mut context = cel::Context::with_env(environment());
    bind::bind(&mut context, ctx);
    meter::bind(&mut context, &budget);
    let result = context.resolve(&metered);
    // Checked first: a budget error may have been absorbed on the way (`… || true`).
    let answer = if budget.exhausted() {
        Err(ExprError::TooCostly)
    } else {
        match result {
            Ok(CelValue::Bool(result)) => Ok(result),
            Ok(other) => Err(ExprError::NotBoolean(other.type_of().to_string())),
            Err(error) => Err(ExprError::Eval(error.to_string())),
        }
    };
    (answer, budget.used())
}

/// Evaluates an optional condition: no condition holds; a condition that cannot be evaluated
/// (e.g. `amount > 10` while `amount` is unset, or one over its step budget) does not hold.
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
    1 + children(expr).into_iter().map(ast_depth).max().unwrap_or(0)
}

/// The direct subexpressions of a node, macro expansions included.
fn children(expr: &IdedExpr) -> Vec<&IdedExpr> {
    use cel::common::ast::EntryExpr;
    match &expr.expr {
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
                EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
                EntryExpr::StructField(f) => vec![&f.value],
            })
            .collect(),
        Expr::Select(select) => vec![&*select.operand],
        Expr::Struct(s) => s
            .entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
                EntryExpr::StructField(f) => vec![&f.value],
            })
            .collect(),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => Vec::new(),
    }
}
