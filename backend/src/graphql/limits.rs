//! What one GraphQL document may ask for, checked before anything runs, and what anonymous
//! callers may learn about the schema.
//!
//! async-graphql bounds depth, complexity (the costs below, set on each field in the areas'
//! types) and directives per field (`schema.rs`). It does not bound how many root fields or
//! aliases a document has, how many directives it carries in all, or how often it calls
//! `login`: one document with 1,000 aliased `login` fields would try 1,000 passwords past any
//! throttle that counts requests, and 400 aliased `dashboard` fields ran for 13 s. [`check`]
//! refuses such documents as soon as they are parsed, with `VALIDATION_FAILED`, the location
//! of the first field over the limit, the response key it had (`path`) and
//! `extensions.fields: [{path: "query", message}]` (`query` is the request member holding the
//! document).
//!
//! Introspection (`__schema`, `__type`) is for signed-in callers: an anonymous document that
//! asks for it is refused with `UNAUTHENTICATED`, and `HANDOFF_DISABLE_INTROSPECTION` refuses
//! it to everyone (`FORBIDDEN`). Anonymous callers do not get "Did you mean ...?" suggestions
//! either, which would spell out field names one guess at a time.

use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, PathSegment, Pos, Positioned, Request, Response, ServerError,
    ServerResult, Value, Variables,
};
use handoff_shared::ErrorCode;

use crate::graphql::guards::Caller;

/// Most root fields one operation selects (fragments expanded). The web app's largest
/// operation selects five.
pub const MAX_ROOT_FIELDS: usize = 20;
/// Most aliases in one document.
pub const MAX_ALIASES: usize = 30;
/// Most directives in one document, on anything (operations, fields, fragments).
pub const MAX_DIRECTIVES: usize = 50;
/// Most directives on one field (async-graphql's own check, `schema.rs`).
pub const MAX_DIRECTIVES_PER_FIELD: usize = 4;
/// Most `login` fields in one document: one password guess per request.
pub const MAX_LOGINS: usize = 1;
/// How deep fragments may spread into each other while counting; deeper documents are refused
/// by async-graphql's own checks (depth, fragment cycles) anyway.
const MAX_SPREAD_DEPTH: usize = 16;

// Complexity: what one field costs, so that `MAX_COMPLEXITY` (`schema.rs`) bounds the work a
// document asks for. A field costs 1 plus its selection; a list multiplies its selection by
// the number of items it may have.

/// Items assumed in a list that belongs to one thing: a request's approval steps, events and
/// deliveries, a step's approvers, a user's teams, a workflow's fields.
pub const FEW_ITEMS: usize = 5;
/// Items assumed in a list over the directory or the database that is not paged: users,
/// teams, roles, workflows, integrations, notifications.
pub const MANY_ITEMS: usize = 50;
/// What `dashboard` costs besides its selection: it reads every request the caller may read,
/// about as much work as a full page of requests with their relations.
pub const DASHBOARD_COST: usize = 2_500;

/// The cost of a short list (see [`FEW_ITEMS`]).
pub fn few(child_complexity: usize) -> usize {
    1 + FEW_ITEMS.saturating_mul(child_complexity)
}

/// The cost of a long unpaged list (see [`MANY_ITEMS`]).
pub fn many(child_complexity: usize) -> usize {
    1 + MANY_ITEMS.saturating_mul(child_complexity)
}

/// The cost of a page of `first` items (the default when absent), at most `max`: the services
/// clamp `first` the same way.
pub fn page(first: Option<i32>, default: usize, max: usize, child_complexity: usize) -> usize {
    let items = first.map_or(default, |n| usize::try_from(n).unwrap_or(1).clamp(1, max));
    1 + items.saturating_mul(child_complexity)
}

/// The extension that applies this module's limits; `introspection` is the server's setting.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub introspection: bool,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> std::sync::Arc<dyn Extension> {
        std::sync::Arc::new(LimitsExtension {
            introspection: self.introspection,
            anonymous: AtomicBool::new(true),
        })
    }
}

/// One per request (or subscription), so it can remember who is asking between its hooks.
struct LimitsExtension {
    introspection: bool,
    anonymous: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut resp = next.run(ctx).await;
        if self.anonymous.load(Ordering::Relaxed) {
            for err in &mut resp.errors {
                without_suggestion(&mut err.message);
            }
        }
        resp
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // HTTP puts the caller in the request's data, a WebSocket in its session's.
        let caller = request
            .data
            .get(&std::any::TypeId::of::<Caller>())
            .and_then(|d| d.downcast_ref::<Caller>())
            .or_else(|| ctx.data_opt::<Caller>());
        let anonymous = caller.is_none_or(|c| c.principal.is_none());
        self.anonymous.store(anonymous, Ordering::Relaxed);
        let request = if anonymous || !self.introspection {
            request.disable_introspection()
        } else {
            request
        };
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<async_graphql::parser::types::ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let audience = Audience {
            anonymous: self.anonymous.load(Ordering::Relaxed),
            introspection: self.introspection,
        };
        check(&doc, audience).map_err(Refusal::into_server_error)?;
        Ok(doc)
    }
}

/// Who is asking, for the introspection rule.
#[derive(Debug, Clone, Copy)]
pub struct Audience {
    pub anonymous: bool,
    /// The server's setting (`HANDOFF_DISABLE_INTROSPECTION` turns it off).
    pub introspection: bool,
}

/// Why a document is refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    /// Where in the document.
    pub pos: Pos,
    /// The response key of the root field refused, when one is.
    pub key: Option<String>,
}

impl Refusal {
    fn into_server_error(self) -> ServerError {
        let mut err = ServerError::new(self.message.clone(), Some(self.pos));
        if let Some(key) = self.key {
            err.path = vec![PathSegment::Field(key)];
        }
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", self.code.as_str());
        if self.code == ErrorCode::ValidationFailed {
            let problem = Value::from_json(serde_json::json!([
                {"path": "query", "message": self.message}
            ]))
            .unwrap_or(Value::Null);
            ext.set("fields", problem);
        }
        err.extensions = Some(ext);
        err
    }
}

/// Checks a parsed document against the limits above and the introspection rule.
pub fn check(doc: &ExecutableDocument, audience: Audience) -> Result<(), Refusal> {
    let mut counts = Counts::default();
    for (_, op) in doc.operations.iter() {
        counts.directives(&op.node.directives)?;
        for var in &op.node.variable_definitions {
            counts.directives(&var.node.directives)?;
        }
        counts.walk(&op.node.selection_set.node)?;
        let mut roots = Vec::new();
        root_fields(doc, &op.node.selection_set.node, 0, &mut roots);
        if let Some(extra) = roots.get(MAX_ROOT_FIELDS) {
            return Err(refuse(
                format!(
                    "an operation may select at most {MAX_ROOT_FIELDS} root fields; this one \
                     selects {}",
                    roots.len()
                ),
                extra,
            ));
        }
        match op.node.ty {
            OperationType::Mutation => {
                let logins: Vec<&RootField<'_>> =
                    roots.iter().filter(|f| f.name == "login").collect();
                if let Some(extra) = logins.get(MAX_LOGINS) {
                    return Err(refuse(
                        format!(
                            "sign in once per request: this document calls login {} times",
                            logins.len()
                        ),
                        extra,
                    ));
                }
            }
            OperationType::Query => {
                if let Some(field) = roots
                    .iter()
                    .find(|f| matches!(f.name, "__schema" | "__type"))
                {
                    if !audience.introspection {
                        return Err(Refusal {
                            code: ErrorCode::Forbidden,
                            message: "schema introspection is turned off on this server".into(),
                            pos: field.pos,
                            key: Some(field.key.to_owned()),
                        });
                    }
                    if audience.anonymous {
                        return Err(Refusal {
                            code: ErrorCode::Unauthenticated,
                            message: "sign in to introspect the schema: send \
                                      `Authorization: Bearer <token>`"
                                .into(),
                            pos: field.pos,
                            key: Some(field.key.to_owned()),
                        });
                    }
                }
            }
            OperationType::Subscription => {}
        }
    }
    // Fragments are counted once each, where they are defined, whether spread or not.
    for fragment in doc.fragments.values() {
        counts.directives(&fragment.node.directives)?;
        counts.walk(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

/// A root field as the operation will resolve it: its name, response key and place.
struct RootField<'d> {
    name: &'d str,
    key: &'d str,
    pos: Pos,
}

fn refuse(message: String, field: &RootField<'_>) -> Refusal {
    Refusal {
        code: ErrorCode::ValidationFailed,
        message,
        pos: field.pos,
        key: Some(field.key.to_owned()),
    }
}

/// The root fields of a selection, fragments expanded (each spread counts again).
fn root_fields<'d>(
    doc: &'d ExecutableDocument,
    set: &'d SelectionSet,
    depth: usize,
    out: &mut Vec<RootField<'d>>,
) {
    if depth > MAX_SPREAD_DEPTH {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => out.push(RootField {
                name: field.node.name.node.as_str(),
                key: field
                    .node
                    .alias
                    .as_ref()
                    .unwrap_or(&field.node.name)
                    .node
                    .as_str(),
                pos: field.pos,
            }),
            Selection::InlineFragment(inline) => {
                root_fields(doc, &inline.node.selection_set.node, depth + 1, out);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                    root_fields(doc, &fragment.node.selection_set.node, depth + 1, out);
                }
            }
        }
        // Stop early: the refusal needs only the first field over the limit.
        if out.len() > MAX_ROOT_FIELDS {
            return;
        }
    }
}

/// Aliases and directives written in the document (each written one counts once).
#[derive(Default)]
struct Counts {
    aliases: usize,
    directives: usize,
}

impl Counts {
    fn directives(
        &mut self,
        list: &[Positioned<async_graphql::parser::types::Directive>],
    ) -> Result<(), Refusal> {
        self.directives += list.len();
        match list.last() {
            Some(last) if self.directives > MAX_DIRECTIVES => Err(Refusal {
                code: ErrorCode::ValidationFailed,
                message: format!("a document may use at most {MAX_DIRECTIVES} directives"),
                pos: last.pos,
                key: None,
            }),
            _ => Ok(()),
        }
    }

    /// Counts a selection as written (a fragment's body is counted at its definition).
    fn walk(&mut self, set: &SelectionSet) -> Result<(), Refusal> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    if let Some(alias) = &field.node.alias {
                        self.aliases += 1;
                        if self.aliases > MAX_ALIASES {
                            return Err(Refusal {
                                code: ErrorCode::ValidationFailed,
                                message: format!(
                                    "a document may use at most {MAX_ALIASES} aliases"
                                ),
                                pos: alias.pos,
                                key: None,
                            });
                        }
                    }
                    self.directives(&field.node.directives)?;
                    self.walk(&field.node.selection_set.node)?;
                }
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.node.directives)?;
                    self.walk(&inline.node.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => self.directives(&spread.node.directives)?,
            }
        }
        Ok(())
    }
}

/// Drops async-graphql's "Did you mean ...?" from a message.
fn without_suggestion(message: &mut String) {
    if let Some(at) = message.find(" Did you mean") {
        message.truncate(at);
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::registry::{MetaType, Registry};
    use async_graphql::{OutputType, SubscriptionType};

    use super::*;
    use crate::graphql::requests::subscription::SubscriptionRoot;
    use crate::graphql::schema::{Mutation, Query};

    fn parse(doc: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(doc).unwrap()
    }

    const SIGNED_IN: Audience = Audience {
        anonymous: false,
        introspection: true,
    };

    /// A list field without a cost of its own would cost as much as one item: every list of
    /// objects says how many items it stands for (`few`, `many`, `page`), or that its parent
    /// counted them (the edges of a connection).
    #[test]
    fn every_list_of_objects_declares_its_cost() {
        let mut registry = Registry::default();
        <Query as OutputType>::create_type_info(&mut registry);
        <Mutation as OutputType>::create_type_info(&mut registry);
        <SubscriptionRoot as SubscriptionType>::create_type_info(&mut registry);
        let is_object = |name: &str| {
            matches!(
                registry.types.get(name),
                Some(MetaType::Object { .. } | MetaType::Interface { .. } | MetaType::Union { .. })
            )
        };
        let mut missing = Vec::new();
        let mut lists = 0;
        for (type_name, ty) in &registry.types {
            let Some(fields) = ty.fields() else { continue };
            if type_name.starts_with("__") {
                continue;
            }
            for (name, field) in fields {
                let item = field.ty.trim_matches(|c| matches!(c, '[' | ']' | '!'));
                if !field.ty.starts_with('[') || !is_object(item) {
                    continue;
                }
                lists += 1;
                if field.compute_complexity.is_none() {
                    missing.push(format!("{type_name}.{name}"));
                }
            }
        }
        assert!(missing.is_empty(), "lists without a cost: {missing:?}");
        assert!(lists >= 30, "found only {lists} lists of objects");
    }

    #[test]
    fn documents_within_the_limits_pass() {
        let doc = parse(
            "query Q { me { id } workflows { key } } mutation M { login(email: \"a\", password: \"b\") { token } }",
        );
        assert_eq!(check(&doc, SIGNED_IN), Ok(()));
    }

    #[test]
    fn root_fields_are_counted_through_fragments() {
        let spreads = "...F ".repeat(MAX_ROOT_FIELDS + 1);
        let doc = parse(&format!(
            "{{ {spreads} }} fragment F on QueryRoot {{ me {{ id }} }}"
        ));
        let refusal = check(&doc, SIGNED_IN).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::ValidationFailed);
        assert!(refusal.message.contains("root fields"), "{refusal:?}");
    }

    #[test]
    fn a_fragment_that_spreads_itself_does_not_loop() {
        let doc = parse("{ ...F } fragment F on QueryRoot { me { id } ...F }");
        assert!(check(&doc, SIGNED_IN).is_ok());
    }

    #[test]
    fn aliases_beyond_the_limit_are_refused() {
        let fields: Vec<String> = (0..=MAX_ALIASES)
            .map(|i| format!("a{i}: me {{ id }}"))
            .collect();
        let doc = parse(&format!("{{ me {{ {} }} }}", fields.join(" ")));
        let refusal = check(&doc, SIGNED_IN).unwrap_err();
        assert!(refusal.message.contains("aliases"), "{refusal:?}");
    }

    #[test]
    fn introspection_needs_a_signed_in_caller_and_the_setting() {
        let doc = parse("{ a: __type(name: \"User\") { name } }");
        let anonymous = Audience {
            anonymous: true,
            introspection: true,
        };
        assert_eq!(
            check(&doc, anonymous).unwrap_err().code,
            ErrorCode::Unauthenticated
        );
        let off = Audience {
            anonymous: false,
            introspection: false,
        };
        let refusal = check(&doc, off).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::Forbidden);
        assert_eq!(refusal.key.as_deref(), Some("a"));
        // `__typename` is not introspection.
        assert!(check(&parse("{ __typename }"), anonymous).is_ok());
    }

    #[test]
    fn suggestions_are_cut_from_messages() {
        let mut message =
            "Unknown field \"workflowz\" on type \"QueryRoot\". Did you mean \"workflows\"?"
                .to_owned();
        without_suggestion(&mut message);
        assert_eq!(
            message,
            "Unknown field \"workflowz\" on type \"QueryRoot\"."
        );
    }

    #[test]
    fn a_page_costs_its_items_within_the_services_bounds() {
        assert_eq!(page(None, 25, 100, 2), 51);
        assert_eq!(page(Some(1_000), 25, 100, 2), 201);
        assert_eq!(page(Some(-5), 25, 100, 2), 3);
    }
}
