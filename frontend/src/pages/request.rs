//! `/requests/:number`: one request with everything a person can do to it now.
//!
//! Every action is a mutation followed by a refetch of the page's query, rather than patching
//! local state: the server decides what changed (routing, approvals restarting, new
//! transitions) and the page shows exactly that.

use handoff_shared::{Definition, ErrorCode, FormMode};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::{Map, Value};

use crate::api::ops::request_detail::{
    ApprovalState, RequestDetailRequest as Detail, RequestDetailRequestAvailableTransitions as Move,
};
use crate::api::{self, ApiError, ops};
use crate::app::use_auth;
use crate::components::feedback::{ErrorView, Loading, MaybeError};
use crate::components::form::{ErrorSummary, FormState, GeneratedForm, Requester};
use crate::format;
use crate::pages::new_request::definition_of;

mod approvals;
mod edit;
mod transitions;

use approvals::Approvals;
use edit::{CommentBox, EditFields};
use transitions::Transitions;

/// Runs the page's mutations: one at a time, the error shown, the page reloaded after.
#[derive(Clone, Copy)]
struct Actions {
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    reload: Callback<()>,
    /// What the user has open or typed: a live change must not re-render it away.
    holds: Holds,
    /// Set when someone else changed the request while the user held unsaved work.
    stale: RwSignal<bool>,
}

/// Unsaved work on the page. While any is set, a live change only shows a notice (with a
/// reload button) instead of refetching, which would rebuild the page and lose the input.
#[derive(Clone, Copy)]
struct Holds {
    editing_fields: RwSignal<bool>,
    transition_form: RwSignal<bool>,
    comment: RwSignal<bool>,
}

impl Holds {
    fn new() -> Self {
        Self {
            editing_fields: RwSignal::new(false),
            transition_form: RwSignal::new(false),
            comment: RwSignal::new(false),
        }
    }

    fn any(&self) -> bool {
        self.editing_fields.get_untracked()
            || self.transition_form.get_untracked()
            || self.comment.get_untracked()
    }

    fn clear(&self) {
        self.editing_fields.set(false);
        self.transition_form.set(false);
        self.comment.set(false);
    }
}

impl Actions {
    fn run<F>(&self, future: F, after: impl FnOnce() + 'static)
    where
        F: std::future::Future<Output = Result<(), ApiError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        let this = *self;
        this.busy.set(true);
        this.error.set(None);
        leptos::task::spawn_local(async move {
            match future.await {
                Ok(()) => {
                    after();
                    this.reload.run(());
                }
                Err(error) => this.error.set(Some(explain(error))),
            }
            this.busy.set(false);
        });
    }
}

/// A stale `expectedVersion` gets advice on what to do, after the server's message.
fn explain(error: ApiError) -> ApiError {
    if error.is(ErrorCode::Conflict) {
        ApiError {
            message: format!(
                "{} This request changed since you opened it: reload it to see the latest version, then make your change again.",
                error.message
            ),
            ..error
        }
    } else {
        error
    }
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let detail = LocalResource::new(move || {
        let number = number();
        api::run::<ops::RequestDetail>(ops::request_detail::Variables { number })
    });
    let holds = Holds::new();
    let stale = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let actions = Actions {
        busy: RwSignal::new(false),
        error,
        // The page is rebuilt from the new data: every form closes, and an error about the
        // old version (a conflict) no longer applies.
        reload: Callback::new(move |()| {
            holds.clear();
            stale.set(false);
            error.set(None);
            detail.refetch();
        }),
        holds,
        stale,
    };
    // Someone else's change shows up without a reload, unless the user is in the middle of
    // something: then they are told, and reload when they choose.
    let live = api::live::request_changes(move || {
        if holds.any() {
            stale.set(true);
        } else {
            detail.refetch();
        }
    });
    StoredValue::new_local(live);
    move || match detail.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(error)) => view! { <ErrorView error/> }.into_any(),
        Some(Ok(data)) => match (data.request, data.me) {
            (Some(request), Some(me)) => {
                view! { <RequestView request me_id=me.id actions/> }.into_any()
            }
            _ => view! {
                <h1>"Request not found"</h1>
                <p role="alert">"There is no request " {number()} ", or you may not read it."</p>
            }
            .into_any(),
        },
    }
}

#[component]
fn RequestView(request: Detail, me_id: String, actions: Actions) -> impl IntoView {
    let auth = use_auth();
    let definition = definition_of(request.workflow.definition.clone());
    let assigned_to_me = request.assignee.as_ref().is_some_and(|a| a.id == me_id);
    let request_id = request.id.clone();
    let version = request.version;
    let can_work = auth.can_for("request.work", &request.workflow.key);
    let closed_now = format::wire(&request.status.category) == "DONE";

    let claim = {
        let request_id = request_id.clone();
        let me_id = me_id.clone();
        move |_| {
            let input = ops::assign::AssignInput {
                request_id: request_id.clone(),
                user_id: Some(me_id.clone()),
                expected_version: Some(version),
            };
            actions.run(
                async move {
                    api::run::<ops::Assign>(ops::assign::Variables { input })
                        .await
                        .map(|_| ())
                },
                || {},
            );
        }
    };

    let fields_view = match &definition {
        Ok(definition) => field_list(definition, &request.fields).into_any(),
        Err(error) => view! { <ErrorView error=error.clone()/> }.into_any(),
    };
    let edit = match definition.clone() {
        Ok(definition) if can_work => {
            view! { <EditFields request=request.clone() definition actions/> }.into_any()
        }
        _ => ().into_any(),
    };
    let events = request
        .events
        .iter()
        .map(|event| {
            let actor = event
                .actor
                .as_ref()
                .map(|a| format!("{} <{}>", a.name, a.email))
                .unwrap_or_else(|| "System".to_owned());
            view! {
                <li data-kind=event.kind.clone()>
                    <span class="when"><time datetime=event.at.clone()>{format::time(&event.at)}</time></span>
                    <span class="who">{actor}</span>
                    <span class="what">{event.kind.replace('_', " ")}</span>
                    <span class="detail">{format::event_summary(&event.kind, &event.data)}</span>
                </li>
            }
        })
        .collect_view();
    let team = request
        .team
        .as_ref()
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "None".into());
    let assignee = request
        .assignee
        .as_ref()
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "Unassigned".into());
    let closed = request
        .closed_at
        .clone()
        .map(|at| view! { <dt>"Closed"</dt><dd>{format::time(&at)}</dd> });

    view! {
        <article class="request">
            <h1>{request.number.clone()}": "{request.title.clone()}</h1>
            <p>
                "Status: "
                <span id="request-status" class="status" data-status=request.status.key.clone()
                    data-category=format::wire(&request.status.category)>
                    {format::status(&request.status.label, &request.status.category)}
                </span>
            </p>
            <MaybeError error=actions.error/>
            {move || {
                let conflict = actions.error.with(|e| e.as_ref().is_some_and(|e| e.is(ErrorCode::Conflict)));
                (actions.stale.get() || conflict).then(|| view! {
                    <p id="request-stale" class="notice" role="status">
                        {if conflict { "" } else { "Someone else changed this request since you opened it. " }}
                        <button id="reload-request" type="button" class="small secondary"
                            on:click=move |_| actions.reload.run(())>"Reload the latest version"</button>
                        {if conflict { "" } else { " (what you typed here will be lost)" }}
                    </p>
                })
            }}
            <dl class="meta">
                <dt>"Workflow"</dt><dd>{request.workflow.name.clone()}" (version "{request.workflow.version}")"</dd>
                <dt>"Priority"</dt><dd data-priority=format::wire(&request.priority)>{format::word(&request.priority)}</dd>
                <dt>"Team"</dt><dd>{team}</dd>
                <dt>"Assignee"</dt>
                <dd>
                    {assignee}
                    {(can_work && !assigned_to_me && !closed_now).then(|| view! {
                        " " <button id="claim" type="button" class="small" on:click=claim.clone()
                            disabled=move || actions.busy.get()>"Claim"</button>
                    })}
                </dd>
                <dt>"Requester"</dt><dd>{request.requester.name.clone()}" <"{request.requester.email.clone()}">"</dd>
                <dt>"Created"</dt><dd>{format::time(&request.created_at)}</dd>
                <dt>"Updated"</dt><dd>{format::time(&request.updated_at)}</dd>
                {closed}
                <dt>"Sent back"</dt><dd>{format::plural(request.rework_count, "time", "times")}</dd>
            </dl>

            <Transitions request=request.clone() definition=definition.clone().ok() actions/>

            <section aria-labelledby="fields-h">
                <h2 id="fields-h">"Details"</h2>
                {fields_view}
                {edit}
            </section>

            <Approvals request=request.clone() me_id=me_id.clone() actions/>

            <section aria-labelledby="timeline-h">
                <h2 id="timeline-h">"Timeline"</h2>
                <ol id="timeline" class="timeline">{events}</ol>
                <CommentBox request_id=request_id.clone() actions/>
            </section>
        </article>
    }
}

/// The field values, labelled by the definition, in form order.
fn field_list(definition: &Definition, values: &Value) -> impl IntoView + use<> {
    let rows = definition
        .fields
        .iter()
        .filter_map(|field| {
            let value = values.get(&field.key)?;
            let text = format::field_value(value);
            Some(view! { <dt>{field.label.clone()}</dt><dd data-field=field.key.clone()>{text}</dd> })
        })
        .collect::<Vec<_>>();
    if rows.is_empty() {
        view! { <p class="empty">"No details were given."</p> }.into_any()
    } else {
        view! { <dl class="fields">{rows}</dl> }.into_any()
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}
