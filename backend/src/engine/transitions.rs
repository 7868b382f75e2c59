//! Transition legality. One function, [`check`], decides whether a caller may take a named
//! transition; [`available`] lists the transitions for which it says yes. The service's
//! `transition` use case and the `availableTransitions` field both go through it.
//!
//! A transition is checked in two stages because the second needs the field values after the
//! transition's own edits are merged (which is IO: `user` fields are looked up):
//! 1. [`check`]: the transition exists, leaves the current status, the caller is one of its
//!    `by`, and the comment it requires is there;
//! 2. [`Move::ready`]: the fields it `requires` are filled and its `guard` holds.

use handoff_shared::definition::{Actor, CommentRule, Definition, Transition};
use handoff_shared::expr::{ExprContext, eval_bool};
use serde_json::{Map, Value};

use crate::engine::fields::is_blank;

/// How the caller relates to a request, gathered by the service before asking the engine.
#[derive(Debug, Clone, Default)]
pub struct Relation<'a> {
    pub is_requester: bool,
    pub is_assignee: bool,
    /// Member of the request's team.
    pub in_team: bool,
    pub roles: &'a [String],
    /// Holds `request.work` for the request's workflow and may read the request.
    pub can_work: bool,
}

/// Whether `actor` describes the caller. Everyone but the requester also needs `request.work`:
/// a role or team membership names who works a request, the permission says they may work.
pub fn actor_matches(actor: &Actor, rel: &Relation<'_>) -> bool {
    match actor {
        Actor::Requester => rel.is_requester,
        Actor::Assignee => rel.is_assignee && rel.can_work,
        Actor::Team => rel.in_team && rel.can_work,
        Actor::Role(role) => rel.can_work && rel.roles.iter().any(|r| r == role),
        Actor::Anyone => rel.can_work,
    }
}

/// Why a transition may not be taken. Each maps to one error code in the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No transition has this key (`VALIDATION_FAILED` on `input.transition`).
    Unknown(String),
    /// The request is not in one of the transition's `from` statuses (`CONFLICT`: it moved).
    NotFromHere { label: String, status: String },
    /// The caller is none of the transition's `by` (`FORBIDDEN`).
    NotPermitted { label: String },
    /// The transition needs a comment and none was given.
    CommentRequired { label: String },
    /// Fields the transition `requires` are blank (their keys, in definition order).
    Missing { label: String, fields: Vec<String> },
    /// The `guard` is false (or could not be evaluated).
    GuardFails { label: String, guard: String },
}

/// A transition the caller may take, pending [`Move::ready`].
#[derive(Debug, Clone, Copy)]
pub struct Move<'d> {
    pub transition: &'d Transition,
}

impl<'d> Move<'d> {
    /// The second stage: the fields as they will be after the move's edits fill what the
    /// transition requires, and its guard holds over them.
    pub fn ready(&self, fields: &Map<String, Value>, ctx: &ExprContext<'_>) -> Result<(), Refusal> {
        let t = self.transition;
        let missing: Vec<String> = t
            .requires
            .iter()
            .filter(|k| is_blank(fields.get(k.as_str())))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::Missing {
                label: t.label.clone(),
                fields: missing,
            });
        }
        if guard_holds(t, ctx) {
            Ok(())
        } else {
            Err(Refusal::GuardFails {
                label: t.label.clone(),
                guard: t.guard.clone().unwrap_or_default(),
            })
        }
    }
}

/// Whether the transition's guard holds (no guard always holds; an expression that fails to
/// evaluate does not: a rule that cannot be checked does not let anyone through).
fn guard_holds(t: &Transition, ctx: &ExprContext<'_>) -> bool {
    t.guard
        .as_deref()
        .is_none_or(|g| eval_bool(g, ctx).unwrap_or(false))
}

/// Whether the transition leaves `status` and the caller is one of its `by`.
fn permitted(t: &Transition, status: &str, rel: &Relation<'_>) -> Result<(), Refusal> {
    if !t.from.iter().any(|f| f == status) {
        return Err(Refusal::NotFromHere {
            label: t.label.clone(),
            status: status.to_owned(),
        });
    }
    if !t.by.iter().any(|a| actor_matches(a, rel)) {
        return Err(Refusal::NotPermitted {
            label: t.label.clone(),
        });
    }
    Ok(())
}

/// The first stage of taking transition `key` from `status`: see the module doc.
pub fn check<'d>(
    def: &'d Definition,
    status: &str,
    rel: &Relation<'_>,
    key: &str,
    comment: Option<&str>,
) -> Result<Move<'d>, Refusal> {
    let t = def
        .transition(key)
        .ok_or_else(|| Refusal::Unknown(key.to_owned()))?;
    permitted(t, status, rel)?;
    if t.comment == CommentRule::Required && comment.is_none_or(|c| c.trim().is_empty()) {
        return Err(Refusal::CommentRequired {
            label: t.label.clone(),
        });
    }
    Ok(Move { transition: t })
}

/// The transitions the caller may take now: those [`check`] lets through whose guard holds on
/// the current fields. A required comment or required fields do not hide a transition: the
/// caller supplies them when taking it.
pub fn available<'d>(
    def: &'d Definition,
    status: &str,
    rel: &Relation<'_>,
    ctx: &ExprContext<'_>,
) -> Vec<&'d Transition> {
    def.transitions
        .iter()
        .filter(|t| permitted(t, status, rel).is_ok() && guard_holds(t, ctx))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use handoff_shared::parse_definition;

    use super::*;

    const DEF: &str = r#"
key: t
name: T
prefix: T
fields:
  - { key: amount, label: Amount, type: number }
  - { key: po, label: PO, type: text, intake: false }
statuses:
  - { key: open, label: Open, category: open }
  - { key: working, label: Working, category: active }
  - { key: done, label: Done, category: done }
transitions:
  - { key: start, label: Start, from: open, to: working, by: team }
  - { key: ask, label: Ask, from: [open, working], to: open, by: team, comment: required, rework: true }
  - { key: finish, label: Finish, from: working, to: done, by: team, requires: [po], guard: "amount < 100" }
  - { key: cancel, label: Cancel, from: open, to: done, by: requester }
"#;

    fn def() -> Definition {
        match parse_definition(DEF) {
            Ok(d) => d,
            Err(problems) => panic!("test definition is invalid: {problems:?}"),
        }
    }

    fn ctx<'a>(def: &'a Definition, fields: &'a Map<String, Value>) -> ExprContext<'a> {
        ExprContext {
            definition: def,
            fields,
            priority: None,
            requester_email: "r@example.com",
            requester_team: None,
            now: Utc::now(),
        }
    }

    fn agent() -> Relation<'static> {
        Relation {
            in_team: true,
            can_work: true,
            ..Relation::default()
        }
    }

    fn fields(json: Value) -> Map<String, Value> {
        match json {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn requester_actor_needs_no_work_permission_but_team_does() {
        let mut r = Relation {
            is_requester: true,
            ..Relation::default()
        };
        assert!(actor_matches(&Actor::Requester, &r));
        r.in_team = true;
        assert!(!actor_matches(&Actor::Team, &r));
        r.can_work = true;
        assert!(actor_matches(&Actor::Team, &r));
    }

    #[test]
    fn role_actor_needs_the_role() {
        let roles = vec!["finance-approver".to_owned()];
        let r = Relation {
            roles: &roles,
            can_work: true,
            ..Relation::default()
        };
        assert!(actor_matches(&Actor::Role("finance-approver".into()), &r));
        assert!(!actor_matches(&Actor::Role("legal".into()), &r));
    }

    #[test]
    fn an_unknown_transition_is_refused_by_name() {
        let d = def();
        assert_eq!(
            check(&d, "open", &agent(), "fly", None).err(),
            Some(Refusal::Unknown("fly".into()))
        );
    }

    #[test]
    fn a_transition_from_another_status_is_refused() {
        let d = def();
        assert!(matches!(
            check(&d, "open", &agent(), "finish", None),
            Err(Refusal::NotFromHere { .. })
        ));
    }

    #[test]
    fn a_caller_outside_by_is_refused_before_the_comment_is_checked() {
        let d = def();
        let outsider = Relation::default();
        assert!(matches!(
            check(&d, "open", &outsider, "ask", None),
            Err(Refusal::NotPermitted { .. })
        ));
        assert!(matches!(
            check(&d, "open", &agent(), "ask", Some("  ")),
            Err(Refusal::CommentRequired { .. })
        ));
        assert!(check(&d, "open", &agent(), "ask", Some("why?")).is_ok());
    }

    #[test]
    fn required_fields_and_the_guard_are_checked_on_the_merged_fields() {
        let d = def();
        let m = check(&d, "working", &agent(), "finish", None).map_err(|r| format!("{r:?}"));
        let Ok(m) = m else {
            panic!("finish should pass the first stage: {m:?}")
        };
        let blank = fields(serde_json::json!({"amount": 10, "po": " "}));
        assert_eq!(
            m.ready(&blank, &ctx(&d, &blank)),
            Err(Refusal::Missing {
                label: "Finish".into(),
                fields: vec!["po".into()]
            })
        );
        let too_much = fields(serde_json::json!({"amount": 500, "po": "PO-1"}));
        assert!(matches!(
            m.ready(&too_much, &ctx(&d, &too_much)),
            Err(Refusal::GuardFails { .. })
        ));
        let fine = fields(serde_json::json!({"amount": 10, "po": "PO-1"}));
        assert_eq!(m.ready(&fine, &ctx(&d, &fine)), Ok(()));
    }

    #[test]
    fn available_lists_what_check_allows_and_hides_failing_guards() {
        let d = def();
        let cheap = fields(serde_json::json!({"amount": 10}));
        let keys = |list: Vec<&Transition>| list.iter().map(|t| t.key.clone()).collect::<Vec<_>>();
        assert_eq!(
            keys(available(&d, "working", &agent(), &ctx(&d, &cheap))),
            vec!["ask", "finish"]
        );
        let dear = fields(serde_json::json!({"amount": 500}));
        assert_eq!(
            keys(available(&d, "working", &agent(), &ctx(&d, &dear))),
            vec!["ask"]
        );
        let requester = Relation {
            is_requester: true,
            ..Relation::default()
        };
        assert_eq!(
            keys(available(&d, "open", &requester, &ctx(&d, &cheap))),
            vec!["cancel"]
        );
        for t in available(&d, "open", &agent(), &ctx(&d, &cheap)) {
            assert!(check(&d, "open", &agent(), &t.key, Some("c")).is_ok());
        }
    }
}
