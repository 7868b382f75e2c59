//! The publish-time static type check over cel's AST: identifiers (with suggestions for
//! misspelt ones), operand types and a boolean result. cel itself is dynamically typed and has
//! no checker, hence this one. Where a type cannot be known (values from `fields["..."]` with a
//! computed key, results of `type()`), it is dynamic and passes rather than refusing valid
//! expressions.

use cel::common::ast::{Expr, IdedExpr, LiteralValue};

use super::BUILTIN_IDENTIFIERS;
use crate::definition::{Definition, FieldType};
use crate::suggest;

/// Infers the type of a parsed expression of `def` and requires a boolean (or dynamic) one.
pub(super) fn check_types(expr: &IdedExpr, def: &Definition) -> Result<(), String> {
    let mut checker = Checker {
        def,
        locals: Vec::new(),
    };
    match checker.infer(expr)? {
        Ty::Bool | Ty::Dyn => Ok(()),
        other => Err(format!(
            "the expression must give true or false, but it gives a {}",
            other.name()
        )),
    }
}

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
