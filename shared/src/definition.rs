//! The workflow definition format (DESIGN.md section 3) as serde types.
//!
//! These types only describe the shape of a definition: parsing accepts anything that has the
//! right shape, and `validate` decides whether the contents make sense (references resolve,
//! expressions type-check, bounds hold). Keeping the two apart lets validation report every
//! problem at once with a path, instead of stopping at the first serde error.
//!
//! Compact string forms (`role:finance-approver`, `quorum:2`, `enter(ordering)`) are parsed here
//! into enums so the server and the web app never re-parse them by hand.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A whole workflow definition: one version of a request type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Stable identifier across versions, `[a-z0-9-]+`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// What the workflow is for, shown when picking one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Request number prefix, e.g. `PUR` for `PUR-42`.
    pub prefix: String,
    /// The form, in display order.
    pub fields: Vec<Field>,
    /// The statuses; the first one is where a request starts.
    pub statuses: Vec<Status>,
    /// Routing rules, evaluated in order at submission.
    #[serde(default)]
    pub routing: Vec<RoutingRule>,
    /// The approval process, when the workflow has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<Approvals>,
    /// Named moves between statuses.
    #[serde(default)]
    pub transitions: Vec<Transition>,
    /// SLA clocks.
    #[serde(default)]
    pub sla: Vec<SlaClock>,
    /// What the system does on events.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Business-rule tests run when the definition is published.
    #[serde(default)]
    pub tests: Vec<TestCase>,
}

impl Definition {
    /// The field with this key.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.key == key)
    }

    /// The status with this key.
    pub fn status(&self, key: &str) -> Option<&Status> {
        self.statuses.iter().find(|status| status.key == key)
    }

    /// The status a new request starts in (the first one listed).
    pub fn first_status(&self) -> Option<&Status> {
        self.statuses.first()
    }

    /// The transition with this key.
    pub fn transition(&self, key: &str) -> Option<&Transition> {
        self.transitions
            .iter()
            .find(|transition| transition.key == key)
    }
}

fn default_true() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// One form field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Identifier used in expressions and the API, `[a-z][a-z0-9_]*`.
    pub key: String,
    /// Label shown on the form.
    pub label: String,
    /// The value type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Must always have a value (when visible).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Expression: required when it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_if: Option<String>,
    /// Expression: shown (and stored) only when it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<String>,
    /// Lower bound for number and money fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Decimal>,
    /// Upper bound for number and money fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Decimal>,
    /// Maximum length in characters for text-like fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Regular expression the whole value must match, for text-like fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Choices of select and multiselect fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Value used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Help text shown under the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Shown on the intake form; `false` for fields filled later by agents or actions.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub intake: bool,
    /// ISO currency code of a money field, for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The type of a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    /// A JSON number.
    Number,
    /// A decimal amount, stored as a decimal string.
    Money,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339.
    Datetime,
    /// `true` or `false`.
    Boolean,
    /// One of `options`.
    Select,
    /// A list of distinct `options`.
    Multiselect,
    /// An email address.
    Email,
    /// An http or https URL.
    Url,
    /// A user, by email.
    User,
}

impl FieldType {
    /// The name used in definitions.
    pub fn as_str(&self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Textarea => "textarea",
            FieldType::Number => "number",
            FieldType::Money => "money",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Boolean => "boolean",
            FieldType::Select => "select",
            FieldType::Multiselect => "multiselect",
            FieldType::Email => "email",
            FieldType::Url => "url",
            FieldType::User => "user",
        }
    }

    /// Free text where `max_length` and `pattern` make sense.
    pub fn is_text_like(&self) -> bool {
        matches!(
            self,
            FieldType::Text | FieldType::Textarea | FieldType::Email | FieldType::Url
        )
    }

    /// Numeric, where `min` and `max` make sense.
    pub fn is_numeric(&self) -> bool {
        matches!(self, FieldType::Number | FieldType::Money)
    }
}

/// One status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// Identifier.
    pub key: String,
    /// Display name.
    pub label: String,
    /// What kind of place in the flow it is.
    pub category: StatusCategory,
}

/// The category of a status; a request closes when it enters a `done` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusCategory {
    /// Not yet picked up.
    Open,
    /// Being worked on.
    Active,
    /// Waiting on someone outside the team (approver, requester).
    Waiting,
    /// Closed.
    Done,
}

impl StatusCategory {
    /// All categories, in flow order.
    pub const ALL: [StatusCategory; 4] = [
        StatusCategory::Open,
        StatusCategory::Active,
        StatusCategory::Waiting,
        StatusCategory::Done,
    ];

    /// The name used in definitions.
    pub fn as_str(&self) -> &'static str {
        match self {
            StatusCategory::Open => "open",
            StatusCategory::Active => "active",
            StatusCategory::Waiting => "waiting",
            StatusCategory::Done => "done",
        }
    }

    /// Parses a category name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|category| category.as_str() == s)
    }
}

/// The priority of a request; ordered from `Low` to `Urgent`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Low.
    Low,
    /// Normal, the default.
    #[default]
    Normal,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

impl Priority {
    /// All priorities, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    /// The name used in definitions and the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// Parses a priority name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|priority| priority.as_str() == s)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One routing rule; a rule without `when` always matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// Condition expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Team key to route to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Priority to set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Email of the user to assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// The approval process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approvals {
    /// The status in which the steps run.
    pub status: String,
    /// Steps, run in order.
    pub steps: Vec<ApprovalStep>,
    /// Status entered when every applicable step approved.
    pub on_approved: String,
    /// Status entered when a step rejected.
    pub on_rejected: String,
    /// Fields whose change after approval restarts the approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reapprove_on_change: Vec<String>,
}

/// One approval step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStep {
    /// Identifier.
    pub key: String,
    /// Condition expression: the step applies only when it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Who may approve; one string or a list in the source.
    #[serde(deserialize_with = "one_or_many")]
    pub approvers: Vec<Approver>,
    /// How many approvals the step needs.
    #[serde(default)]
    pub policy: ApprovalPolicy,
}

/// How many of the approvers must approve a step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApprovalPolicy {
    /// One approval is enough.
    #[default]
    Any,
    /// Every approver must approve.
    All,
    /// At least N approvals (N >= 1).
    Quorum(u32),
}

impl fmt::Display for ApprovalPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApprovalPolicy::Any => f.write_str("any"),
            ApprovalPolicy::All => f.write_str("all"),
            ApprovalPolicy::Quorum(n) => write!(f, "quorum:{n}"),
        }
    }
}

impl FromStr for ApprovalPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "any" => Ok(ApprovalPolicy::Any),
            "all" => Ok(ApprovalPolicy::All),
            _ => {
                let n = s.strip_prefix("quorum:").ok_or_else(|| {
                    format!("unknown policy \"{s}\" (expected any, all or quorum:N)")
                })?;
                match n.parse::<u32>() {
                    Ok(n) if n >= 1 => Ok(ApprovalPolicy::Quorum(n)),
                    _ => Err(format!(
                        "invalid quorum \"{n}\" (expected a whole number of at least 1)"
                    )),
                }
            }
        }
    }
}

/// Who may approve a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approver {
    /// The requester's manager.
    RequesterManager,
    /// Any user with this role.
    Role(String),
    /// Any member of this team.
    Team(String),
    /// This user, by email.
    User(String),
    /// The user named in this `user` field.
    Field(String),
}

impl fmt::Display for Approver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Approver::RequesterManager => f.write_str("requester.manager"),
            Approver::Role(key) => write!(f, "role:{key}"),
            Approver::Team(key) => write!(f, "team:{key}"),
            Approver::User(email) => write!(f, "user:{email}"),
            Approver::Field(key) => write!(f, "field:{key}"),
        }
    }
}

impl FromStr for Approver {
    type Err = String;

    /// Parses the shape only; key syntax and references are checked by validation,
    /// so that every bad approver is reported with its path.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "requester.manager" {
            return Ok(Approver::RequesterManager);
        }
        let invalid = || {
            format!(
                "invalid approver \"{s}\" (expected requester.manager, role:<key>, team:<key>, user:<email> or field:<key>)"
            )
        };
        let (kind, rest) = s.split_once(':').ok_or_else(invalid)?;
        if rest.is_empty() {
            return Err(invalid());
        }
        match kind {
            "role" => Ok(Approver::Role(rest.to_owned())),
            "team" => Ok(Approver::Team(rest.to_owned())),
            "user" => Ok(Approver::User(rest.to_owned())),
            "field" => Ok(Approver::Field(rest.to_owned())),
            _ => Err(invalid()),
        }
    }
}

/// One transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// Identifier.
    pub key: String,
    /// Button label.
    pub label: String,
    /// Statuses it starts from; one string or a list in the source.
    #[serde(deserialize_with = "one_or_many")]
    pub from: Vec<String>,
    /// Status it ends in.
    pub to: String,
    /// Who may perform it; one string or a list, default `team`.
    #[serde(default = "default_by", deserialize_with = "one_or_many")]
    pub by: Vec<Actor>,
    /// Fields that must have a value before it may be performed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Condition expression that must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
    /// Whether a comment is required.
    #[serde(default)]
    pub comment: CommentRule,
    /// Whether it is a rework (exception) move, counted in reports.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rework: bool,
}

fn default_by() -> Vec<Actor> {
    vec![Actor::Team]
}

/// Whether a transition needs a comment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentRule {
    /// A comment must be given.
    Required,
    /// A comment may be given.
    #[default]
    Optional,
}

/// Who may perform a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The request's requester.
    Requester,
    /// The request's assignee.
    Assignee,
    /// A member of the request's team.
    Team,
    /// A user with this role.
    Role(String),
    /// Anyone who may work the request.
    Anyone,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Requester => f.write_str("requester"),
            Actor::Assignee => f.write_str("assignee"),
            Actor::Team => f.write_str("team"),
            Actor::Role(key) => write!(f, "role:{key}"),
            Actor::Anyone => f.write_str("anyone"),
        }
    }
}

impl FromStr for Actor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "requester" => Ok(Actor::Requester),
            "assignee" => Ok(Actor::Assignee),
            "team" => Ok(Actor::Team),
            "anyone" => Ok(Actor::Anyone),
            _ => match s.strip_prefix("role:") {
                Some(key) if !key.is_empty() => Ok(Actor::Role(key.to_owned())),
                _ => Err(format!(
                    "invalid actor \"{s}\" (expected requester, assignee, team, role:<key> or anyone)"
                )),
            },
        }
    }
}

mod automation;

pub use automation::{
    Action, Event, OnBreach, SlaClock, SlaTarget, TestCase, TestExpect, TestGiven, TestRequester,
};

/// Serialises the compact string forms through `Display` and parses them through `FromStr`,
/// so that the YAML, the JSON API and `to_string()` all agree on one spelling.
macro_rules! string_form {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(de::Error::custom)
            }
        }
    )*};
}

string_form!(ApprovalPolicy, Approver, Actor);

/// Accepts either one value or a list of values, so that `from: triage` and
/// `from: [triage, approval]` both read naturally. A custom visitor (rather than an untagged
/// enum) keeps the element's own error message, e.g. which approver string was invalid.
fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> de::Visitor<'de> for Visitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            T::deserialize(v.into_deserializer()).map(|value| vec![value])
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut values = Vec::new();
            while let Some(value) = seq.next_element()? {
                values.push(value);
            }
            Ok(values)
        }
    }

    deserializer.deserialize_any(Visitor(PhantomData))
}
