//! The step budget of one evaluation.
//!
//! cel's interpreter has no fuel, and a short source can ask for a great deal: nested
//! `all()` over lists, a string split into characters inside a loop, a regular expression that
//! compiles to megabytes. A 196-character rule took 2.5 s per submission. So before an
//! evaluation, [`instrument`] rewrites the parsed expression: every value a call, a list or a
//! map produces, every variable a function reads, every loop step passes through
//! [`CHARGE`], a function bound for this evaluation that charges the [`Meter`] one step plus
//! the value's size (an element of a list or map, or 16 bytes of text, is one step) and fails
//! once [`super::MAX_EXPRESSION_STEPS`] are spent. Work is proportional to the values produced
//! and read, so it stays proportional to the steps charged. `matches` runs as [`MATCHES`]: a
//! regular expression compiled with small size limits and charged for its pattern and text.
//!
//! The rewrite keeps the shapes cel's interpreter recognises in macro loops (`@result && p`
//! for `all`, `@result + [e]` for `map` and `filter`), so their semantics (errors absorbed by
//! `all`/`exists`) and their speed stay as they were; it charges inside those shapes instead.
//! `@` cannot start a name in CEL source, so no expression can call the two functions itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cel::common::ast::{
    CallExpr, ComprehensionExpr, EntryExpr, Expr, IdedExpr, ListExpr, MapExpr, operators,
};
use cel::extractors::This;
use cel::{ExecutionError, Value as CelValue};

/// The function every charged value passes through.
pub(super) const CHARGE: &str = "@charge";
/// `matches` with bounded regular expressions.
pub(super) const MATCHES: &str = "@matches";

/// Bytes of text that count as one step.
const BYTES_PER_STEP: u64 = 16;
/// What compiling a pattern costs besides its length.
const REGEX_COMPILE_STEPS: u64 = 100;
/// The largest compiled regular expression accepted (cel's default is 10 MiB, which took
/// most of a second to refuse `\w{200}\w{200}`).
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Steps left for one evaluation.
#[derive(Debug)]
pub(super) struct Meter {
    budget: u64,
    left: AtomicU64,
    exhausted: AtomicBool,
}

impl Meter {
    pub(super) fn new(steps: u64) -> Arc<Self> {
        Arc::new(Self {
            budget: steps,
            left: AtomicU64::new(steps),
            exhausted: AtomicBool::new(false),
        })
    }

    /// The steps taken so far (all of them once exhausted).
    pub(super) fn used(&self) -> u64 {
        if self.exhausted() {
            return self.budget;
        }
        self.budget - self.left.load(Ordering::Relaxed)
    }

    /// Whether the evaluation ran out of steps. Checked after it ends: a budget error may have
    /// been absorbed (`exhausted || true` is `true`), but the answer does not count then.
    pub(super) fn exhausted(&self) -> bool {
        self.exhausted.load(Ordering::Relaxed)
    }

    fn charge(&self, steps: u64) -> Result<(), ExecutionError> {
        let taken = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(steps)
            });
        if taken.is_err() {
            self.exhausted.store(true, Ordering::Relaxed);
            return Err(ExecutionError::function_error(
                CHARGE,
                "the expression needs too many evaluation steps",
            ));
        }
        Ok(())
    }
}

/// Binds [`CHARGE`] and [`MATCHES`] for one evaluation metered by `meter`.
pub(super) fn bind(context: &mut cel::Context<'_, '_>, meter: &Arc<Meter>) {
    let charging = meter.clone();
    // The names start with `@`, which the environment's overloads never do, so adding them
    // cannot conflict; were it ever to fail, evaluation would fail closed on the unknown name.
    let _ = context.add_function(CHARGE, move |value: CelValue| {
        charging.charge(1 + size(&value))?;
        Ok::<CelValue, ExecutionError>(value)
    });
    let matching = meter.clone();
    let _ = context.add_function(
        MATCHES,
        move |This(text): This<Arc<String>>, pattern: Arc<String>| {
            matching.charge(REGEX_COMPILE_STEPS + pattern.len() as u64)?;
            let regex = compile(&pattern).map_err(|error| {
                ExecutionError::function_error("matches", refusal(&pattern, &error))
            })?;
            matching.charge(text_steps(&text))?;
            Ok::<bool, ExecutionError>(regex.is_match(&text))
        },
    );
}

/// Compiles a pattern within the size limits.
pub(super) fn compile(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(super::MAX_EXPRESSION_DEPTH as u32)
        .build()
}

/// Why a pattern of `matches` cannot be used, in a sentence.
pub(super) fn refusal(pattern: &str, error: &regex::Error) -> String {
    match error {
        regex::Error::CompiledTooBig(_) => {
            format!("the pattern {pattern:?} is too large once compiled")
        }
        _ => format!("{pattern:?} is not a valid pattern"),
    }
}

fn text_steps(text: &str) -> u64 {
    (text.len() as u64).div_ceil(BYTES_PER_STEP)
}

/// The steps a value stands for: its elements and its text, all the way down.
fn size(value: &CelValue) -> u64 {
    match value {
        CelValue::String(text) => text_steps(text),
        CelValue::Bytes(bytes) => (bytes.len() as u64).div_ceil(BYTES_PER_STEP),
        CelValue::List(items) => items.iter().fold(items.len() as u64, |sum, item| {
            sum.saturating_add(size(item))
        }),
        CelValue::Map(map) => map.map.values().fold(map.map.len() as u64, |sum, item| {
            sum.saturating_add(size(item))
        }),
        _ => 0,
    }
}

/// Rewrites a parsed expression so that its evaluation is metered (see the module doc).
pub(super) fn instrument(expr: &IdedExpr) -> IdedExpr {
    let mut next_id = max_id(expr) + 1;
    Rewriter {
        next_id: &mut next_id,
    }
    .value(expr)
}

fn max_id(expr: &IdedExpr) -> u64 {
    super::children(expr)
        .into_iter()
        .map(max_id)
        .fold(expr.id, Ord::max)
}

struct Rewriter<'a> {
    next_id: &'a mut u64,
}

impl Rewriter<'_> {
    /// `@charge(expr)`, with a fresh id.
    fn charged(&mut self, expr: IdedExpr) -> IdedExpr {
        let id = *self.next_id;
        *self.next_id += 1;
        IdedExpr {
            id,
            expr: Expr::Call(CallExpr {
                func_name: CHARGE.to_owned(),
                target: None,
                args: vec![expr],
            }),
        }
    }

    /// An expression whose value is charged when it is produced: calls, lists, maps and loops.
    /// Literals, names and field reads produce nothing new.
    fn value(&mut self, expr: &IdedExpr) -> IdedExpr {
        let inner = self.inner(expr);
        match &expr.expr {
            Expr::Call(_) | Expr::List(_) | Expr::Map(_) | Expr::Comprehension(_) => {
                self.charged(inner)
            }
            _ => inner,
        }
    }

    /// An operand a function reads: names and field reads are charged too, since functions
    /// take time in the size of what they read.
    fn operand(&mut self, expr: &IdedExpr) -> IdedExpr {
        match &expr.expr {
            Expr::Ident(_) | Expr::Select(_) => {
                let inner = self.inner(expr);
                self.charged(inner)
            }
            _ => self.value(expr),
        }
    }

    /// Charged whatever it is: the per-iteration part of a macro loop, so every iteration
    /// costs at least one step.
    fn always(&mut self, expr: &IdedExpr) -> IdedExpr {
        let inner = self.inner(expr);
        self.charged(inner)
    }

    /// The expression with its children rewritten, itself not charged.
    fn inner(&mut self, expr: &IdedExpr) -> IdedExpr {
        let rewritten = match &expr.expr {
            Expr::Call(call) => {
                let func_name = if call.func_name == "matches" {
                    MATCHES.to_owned()
                } else {
                    call.func_name.clone()
                };
                // Indexing reads one element, not its container: only the element is charged
                // (as the call's value), so `fields["title"]` does not cost every field.
                let indexing = matches!(
                    call.func_name.as_str(),
                    operators::INDEX | operators::OPT_INDEX
                );
                Expr::Call(CallExpr {
                    func_name,
                    target: call.target.as_ref().map(|t| Box::new(self.operand(t))),
                    args: call
                        .args
                        .iter()
                        .enumerate()
                        .map(|(i, a)| {
                            if indexing && i == 0 {
                                self.value(a)
                            } else {
                                self.operand(a)
                            }
                        })
                        .collect(),
                })
            }
            Expr::Comprehension(c) => Expr::Comprehension(Box::new(self.comprehension(c))),
            Expr::List(list) => Expr::List(ListExpr {
                elements: list.elements.iter().map(|e| self.value(e)).collect(),
                optional_indices: list.optional_indices.clone(),
            }),
            Expr::Map(map) => Expr::Map(MapExpr {
                entries: map
                    .entries
                    .iter()
                    .map(|entry| match &entry.expr {
                        EntryExpr::MapEntry(e) => cel::common::ast::IdedEntryExpr {
                            id: entry.id,
                            expr: EntryExpr::MapEntry(cel::common::ast::MapEntryExpr {
                                key: self.value(&e.key),
                                value: self.value(&e.value),
                                optional: e.optional,
                            }),
                        },
                        EntryExpr::StructField(_) => entry.clone(),
                    })
                    .collect(),
            }),
            Expr::Select(select) => Expr::Select(cel::common::ast::SelectExpr {
                operand: Box::new(self.value(&select.operand)),
                field: select.field.clone(),
                test: select.test,
            }),
            Expr::Ident(_) | Expr::Literal(_) | Expr::Struct(_) | Expr::Unspecified => {
                expr.expr.clone()
            }
        };
        IdedExpr {
            id: expr.id,
            expr: rewritten,
        }
    }

    fn comprehension(&mut self, c: &ComprehensionExpr) -> ComprehensionExpr {
        let accu = c.accu_var.as_str();
        ComprehensionExpr {
            iter_range: self.operand(&c.iter_range),
            iter_var: c.iter_var.clone(),
            iter_var2: c.iter_var2.clone(),
            accu_var: c.accu_var.clone(),
            accu_init: self.value(&c.accu_init),
            // `true` for `map` and `filter` (their fast path needs the literal); a call for
            // `all` and `exists`, charged on every iteration.
            loop_cond: self.value(&c.loop_cond),
            loop_step: self.step(&c.loop_step, accu),
            result: self.value(&c.result),
        }
    }

    /// A loop step, keeping the shapes cel recognises: `@result && p` / `@result || p`,
    /// `@result + [e]` and `g ? @result + [e] : @result`.
    fn step(&mut self, step: &IdedExpr, accu: &str) -> IdedExpr {
        let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(name) if name == accu);
        let Expr::Call(call) = &step.expr else {
            return self.always(step);
        };
        let shaped = call.target.is_none()
            && match (call.func_name.as_str(), call.args.as_slice()) {
                (operators::LOGICAL_AND | operators::LOGICAL_OR, [first, _]) => is_accu(first),
                (operators::ADD, [first, second]) => {
                    is_accu(first) && matches!(second.expr, Expr::List(_))
                }
                (operators::CONDITIONAL, [_, _, otherwise]) => is_accu(otherwise),
                _ => false,
            };
        if !shaped {
            return self.always(step);
        }
        let args = match (call.func_name.as_str(), call.args.as_slice()) {
            (operators::ADD, [first, second]) => {
                let Expr::List(list) = &second.expr else {
                    return self.always(step);
                };
                let items = IdedExpr {
                    id: second.id,
                    expr: Expr::List(ListExpr {
                        elements: list.elements.iter().map(|e| self.always(e)).collect(),
                        optional_indices: list.optional_indices.clone(),
                    }),
                };
                vec![first.clone(), items]
            }
            (operators::CONDITIONAL, [guard, then, otherwise]) => {
                vec![self.always(guard), self.step(then, accu), otherwise.clone()]
            }
            (_, [first, second]) => vec![first.clone(), self.always(second)],
            _ => return self.always(step),
        };
        IdedExpr {
            id: step.id,
            expr: Expr::Call(CallExpr {
                func_name: call.func_name.clone(),
                target: None,
                args,
            }),
        }
    }
}
