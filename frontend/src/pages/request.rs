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

#[component]
fn Transitions(request: Detail, definition: Option<Definition>, actions: Actions) -> impl IntoView {
    if request.available_transitions.is_empty() {
        return ().into_any();
    }
    let pending = RwSignal::new(None::<Move>);
    Effect::new(move |_| {
        actions
            .holds
            .transition_form
            .set(pending.with(Option::is_some))
    });
    let comment = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<String>);
    let request_id = request.id.clone();
    let version = request.version;
    let current_fields = request.fields.as_object().cloned().unwrap_or_default();

    let go = move |option: Move, comment: Option<String>, fields: Option<Map<String, Value>>| {
        let input = ops::transition::TransitionInput {
            request_id: request_id.clone(),
            transition: option.key.clone(),
            comment,
            fields: fields.map(Value::Object),
            expected_version: Some(version),
        };
        actions.run(
            async move {
                api::run::<ops::Transition>(ops::transition::Variables { input })
                    .await
                    .map(|_| ())
            },
            move || pending.set(None),
        );
    };

    let buttons = request
        .available_transitions
        .iter()
        .map(|option| {
            let option = option.clone();
            let go = go.clone();
            let key = option.key.clone();
            let label = option.label.clone();
            let title = format!("Moves to {}", option.to.label);
            let on_click = move |_| {
                if option.comment_required || !option.requires.is_empty() {
                    comment.set(String::new());
                    local_error.set(None);
                    pending.set(Some(option.clone()));
                } else {
                    go(option.clone(), None, None);
                }
            };
            view! {
                <button type="button" data-transition=key on:click=on_click title=title
                    disabled=move || actions.busy.get()>
                    {label}
                </button>
            }
        })
        .collect_view();

    let inline = move || {
        let option = pending.get()?;
        let go = go.clone();
        let state = definition.clone().map(|definition| {
            FormState::new(
                definition,
                current_fields.clone(),
                FormMode::Update,
                Requester::default(),
            )
        });
        let form_fields = match (&state, option.requires.is_empty()) {
            (Some(state), false) => Some(view! {
                <GeneratedForm state=state.clone() id_prefix="transition-field-" only=option.requires.clone()/>
            }),
            _ => None,
        };
        let required_comment = option.comment_required;
        let label = option.label.clone();
        let confirm = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let text = comment.get_untracked().trim().to_owned();
            if option.comment_required && text.is_empty() {
                local_error.set(Some("A comment is required for this step.".to_owned()));
                return;
            }
            let fields = match &state {
                Some(state) if !option.requires.is_empty() => {
                    match required_values(state, &option.requires) {
                        Ok(fields) => Some(fields),
                        Err(message) => {
                            local_error.set(Some(message));
                            return;
                        }
                    }
                }
                _ => None,
            };
            local_error.set(None);
            go(option.clone(), (!text.is_empty()).then_some(text), fields);
        };
        Some(view! {
            <form class="inline-form" on:submit=confirm novalidate>
                <h3>{label}</h3>
                {form_fields}
                <div class="field">
                    <label for="transition-comment">
                        "Comment" {if required_comment { " (required)" } else { " (optional)" }}
                    </label>
                    <textarea id="transition-comment" rows="3" bind:value=comment
                        aria-describedby=move || local_error.get().map(|_| "transition-error")></textarea>
                </div>
                <div aria-live="polite">
                    {move || local_error.get().map(|message| view! {
                        <p id="transition-error" class="field-error" role="alert">{message}</p>
                    })}
                </div>
                <button id="confirm-transition" type="submit" disabled=move || actions.busy.get()>"Confirm"</button>
                " "
                <button type="button" class="secondary" on:click=move |_| pending.set(None)>"Cancel"</button>
            </form>
        })
    };

    view! {
        <section aria-labelledby="actions-h" class="actions">
            <h2 id="actions-h">"Next steps"</h2>
            <div class="buttons">{buttons}</div>
            {inline}
        </section>
    }
    .into_any()
}

/// The values of a transition's required fields, normalised by the shared rules, or a message
/// naming what is missing or wrong. Only these fields are sent with the move.
fn required_values(state: &FormState, requires: &[String]) -> Result<Map<String, Value>, String> {
    let values = state.values.get_untracked();
    let missing: Vec<&str> = requires
        .iter()
        .filter(|key| values.get(*key).is_none_or(is_blank))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let labels: Vec<String> = missing
            .iter()
            .map(|key| {
                state
                    .definition
                    .field(key)
                    .map_or_else(|| (*key).to_owned(), |f| f.label.clone())
            })
            .collect();
        return Err(format!("Please fill in: {}.", labels.join(", ")));
    }
    let normalised = match state.check(&Requester::default()) {
        Ok(normalised) => normalised,
        Err(problems) => {
            let relevant: Vec<String> = problems
                .iter()
                .filter(|p| requires.iter().any(|k| p.path == format!("fields.{k}")))
                .map(ToString::to_string)
                .collect();
            if !relevant.is_empty() {
                return Err(relevant.join("; "));
            }
            // Problems elsewhere in the stored values are not this move's business.
            values.clone()
        }
    };
    Ok(requires
        .iter()
        .filter_map(|key| {
            normalised
                .get(key)
                .or_else(|| values.get(key))
                .map(|value| (key.clone(), value.clone()))
        })
        .collect())
}

#[component]
fn Approvals(request: Detail, me_id: String, actions: Actions) -> impl IntoView {
    if request.approvals.is_empty() {
        return ().into_any();
    }
    let my_turn = request.approvals.iter().any(|step| {
        matches!(step.state, ApprovalState::ACTIVE)
            && step.approvers.iter().any(|a| a.id == me_id)
            && !step.decisions.iter().any(|d| d.approver.id == me_id)
    });
    let comment = RwSignal::new(String::new());
    let request_id = request.id.clone();
    let version = request.version;
    let decide = move |approve: bool| {
        let text = comment.get_untracked().trim().to_owned();
        let input = ops::decide::DecisionInput {
            request_id: request_id.clone(),
            approve,
            comment: (!text.is_empty()).then_some(text),
            expected_version: Some(version),
        };
        actions.run(
            async move {
                api::run::<ops::Decide>(ops::decide::Variables { input })
                    .await
                    .map(|_| ())
            },
            move || comment.set(String::new()),
        );
    };
    let approve = decide.clone();
    let steps = request
        .approvals
        .iter()
        .map(|step| {
            let approvers = step
                .approvers
                .iter()
                .map(|a| a.name.clone())
                .collect::<Vec<_>>()
                .join(", ");
            let approvers = if approvers.is_empty() {
                "none".to_owned()
            } else {
                approvers
            };
            let decisions = step
                .decisions
                .iter()
                .map(|d| {
                    let verdict = if d.approve { "Approved" } else { "Rejected" };
                    view! {
                        <li>
                            {format!("{verdict} by {} ", d.approver.name)}
                            <time datetime=d.at.clone()>{format::time(&d.at)}</time>
                            {d.comment.clone().map(|c| format!(": {c}"))}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li data-step=step.key.clone() data-state=format::wire(&step.state)>
                    <strong>{step.key.clone()}</strong>
                    ": " {format::word(&step.state)}
                    <span class="muted">{format!(" (policy {}, round {})", step.policy, step.round)}</span>
                    <div>"Approvers: " {approvers}</div>
                    <ul class="decisions">{decisions}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="approvals-h">
            <h2 id="approvals-h">"Approvals"</h2>
            <ol class="steps">{steps}</ol>
            {my_turn.then(|| view! {
                <div class="decision">
                    <div class="field">
                        <label for="decision-comment">"Comment on your decision (optional)"</label>
                        <textarea id="decision-comment" rows="2" bind:value=comment></textarea>
                    </div>
                    <button id="approve" type="button" on:click=move |_| approve(true)
                        disabled=move || actions.busy.get()>"Approve"</button>
                    " "
                    <button id="reject" type="button" class="danger" on:click=move |_| decide(false)
                        disabled=move || actions.busy.get()>"Reject"</button>
                </div>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn EditFields(request: Detail, definition: Definition, actions: Actions) -> impl IntoView {
    let editing = RwSignal::new(false);
    Effect::new(move |_| actions.holds.editing_fields.set(editing.get()));
    let current = request.fields.as_object().cloned().unwrap_or_default();
    // `requester.*` conditions are about the request's requester, not the person editing.
    let requester = Requester {
        email: request.requester.email.clone(),
        team: request.team.as_ref().map(|t| t.key.clone()),
    };
    let state = FormState::new(
        definition,
        current.clone(),
        FormMode::Update,
        requester.clone(),
    );
    let request_id = request.id.clone();
    let version = request.version;
    let save = {
        let state = state.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if actions.busy.get_untracked() {
                return;
            }
            state.server_errors.set(Vec::new());
            let Ok(normalised) = state.check(&requester) else {
                return;
            };
            // Changed values only, and `null` for cleared ones, as the API asks.
            let mut changed = Map::new();
            for (key, value) in &normalised {
                if current.get(key) != Some(value) {
                    changed.insert(key.clone(), value.clone());
                }
            }
            for key in current.keys() {
                if !normalised.contains_key(key) {
                    changed.insert(key.clone(), Value::Null);
                }
            }
            if changed.is_empty() {
                editing.set(false);
                return;
            }
            let input = ops::update_fields::UpdateFieldsInput {
                request_id: request_id.clone(),
                fields: Value::Object(changed),
                expected_version: Some(version),
            };
            let state = state.clone();
            actions.busy.set(true);
            actions.error.set(None);
            leptos::task::spawn_local(async move {
                match api::run::<ops::UpdateFields>(ops::update_fields::Variables { input }).await {
                    Ok(_) => {
                        editing.set(false);
                        actions.reload.run(());
                    }
                    Err(e) if e.is(ErrorCode::ValidationFailed) && !e.fields.is_empty() => {
                        state.server_errors.set(e.fields.clone());
                    }
                    Err(e) => actions.error.set(Some(explain(e))),
                }
                actions.busy.set(false);
            });
        }
    };
    view! {
        <Show when=move || editing.get()
            fallback=move || view! {
                <button type="button" id="edit-fields" class="secondary" on:click=move |_| editing.set(true)>
                    "Edit details"
                </button>
            }>
            <form class="form inline-form" on:submit=save.clone() novalidate>
                <ErrorSummary state=state.clone()/>
                <GeneratedForm state=state.clone()/>
                <button id="save-fields" type="submit" disabled=move || actions.busy.get()>"Save"</button>
                " "
                <button type="button" class="secondary" on:click=move |_| editing.set(false)>"Cancel"</button>
            </form>
        </Show>
    }
}

#[component]
fn CommentBox(request_id: String, actions: Actions) -> impl IntoView {
    let body = RwSignal::new(String::new());
    Effect::new(move |_| {
        actions
            .holds
            .comment
            .set(body.with(|b| !b.trim().is_empty()))
    });
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = body.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        let input = ops::add_comment::CommentInput {
            request_id: request_id.clone(),
            body: text,
        };
        actions.run(
            async move {
                api::run::<ops::AddComment>(ops::add_comment::Variables { input })
                    .await
                    .map(|_| ())
            },
            move || body.set(String::new()),
        );
    };
    view! {
        <form class="comment" on:submit=add novalidate>
            <div class="field">
                <label for="comment-body">"Add a comment"</label>
                <textarea id="comment-body" rows="3" bind:value=body></textarea>
            </div>
            <button id="add-comment" type="submit" disabled=move || actions.busy.get()>"Comment"</button>
        </form>
    }
}
