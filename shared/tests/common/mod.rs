//! Helpers shared by the integration tests: a small valid definition to mutate.
#![allow(dead_code)]

use handoff_shared::Definition;

/// A minimal valid definition in YAML, with `approved` and `rejected` statuses.
pub const BASE: &str = r#"
key: purchase
name: Purchase
prefix: PUR
fields:
  - { key: title, label: Title, type: text, required: true, max_length: 20 }
  - { key: category, label: Category, type: select, options: [software, hardware] }
  - { key: amount, label: Amount, type: money, min: 0, max: 100000 }
  - { key: quantity, label: Quantity, type: number, min: 1 }
  - { key: tags, label: Tags, type: multiselect, options: [urgent, travel, recurring] }
  - { key: urgent, label: Urgent, type: boolean }
  - { key: justification, label: Why, type: textarea, visible_if: "amount >= 1000", required_if: "amount >= 5000" }
  - { key: owner, label: Owner, type: user }
  - { key: needed_by, label: Needed by, type: date }
  - { key: po_number, label: PO, type: text, intake: false, pattern: "PO-[0-9]+" }
statuses:
  - { key: triage, label: Triage, category: open }
  - { key: approval, label: Approval, category: waiting }
  - { key: approved, label: Approved, category: done }
  - { key: rejected, label: Rejected, category: done }
transitions:
  - { key: send, label: Send, from: triage, to: approval }
"#;

pub fn base() -> Definition {
    handoff_shared::parse_definition(BASE).unwrap()
}

/// The base definition with `old` replaced by `new` in its source (which must occur).
pub fn with(old: &str, new: &str) -> String {
    assert!(BASE.contains(old), "base does not contain {old:?}");
    BASE.replacen(old, new, 1)
}

/// The problems of a source as `path: message` lines.
pub fn problems(source: &str) -> Vec<String> {
    match handoff_shared::parse_definition(source) {
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
        Ok(definition) => handoff_shared::validate_definition(&definition)
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}
