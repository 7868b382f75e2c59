//! `/new` (choose a workflow) and `/new/:key` (its generated intake form).
//!
//! The form validates with the shared rules as the user types; the server validates again
//! and its `VALIDATION_FAILED` paths are put back on the fields. One idempotency key per form
//! load makes a double click (or a retry after a lost answer) create a single request.

use handoff_shared::{Definition, ErrorCode, FormMode};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::Map;

use crate::api::{self, ApiError, ops};
use crate::components::feedback::{ErrorView, Loading, MaybeError, load};
use crate::components::form::{ErrorSummary, FormState, GeneratedForm, Requester};

#[component]
pub fn ChooseWorkflow() -> impl IntoView {
    let workflows = LocalResource::new(|| api::run::<ops::Workflows>(ops::workflows::Variables));
    view! {
        <h1>"New request"</h1>
        <p>"What do you need?"</p>
        {load(workflows, |data| {
            if data.workflows.is_empty() {
                return view! { <p class="empty">"No workflow is open to you yet."</p> }.into_any();
            }
            view! {
                <ul class="choices">
                    {data.workflows.into_iter().map(|w| view! {
                        <li>
                            <a class="choice" href=format!("/new/{}", w.key) data-workflow=w.key.clone()>
                                <strong>{w.name.clone()}</strong>
                                <span class="muted">{w.description.clone().unwrap_or_default()}</span>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}

/// A workflow's definition (as sent by the API) read into the shared type.
pub fn definition_of(json: serde_json::Value) -> Result<Definition, ApiError> {
    serde_json::from_value(json)
        .map_err(|_| ApiError::local("This workflow's definition could not be read by this app."))
}

#[component]
pub fn NewRequestPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let loaded = LocalResource::new(move || {
        let key = key();
        async move {
            let data =
                api::run::<ops::Workflow>(ops::workflow::Variables { key, version: None }).await?;
            let workflow = data
                .workflow
                .ok_or_else(|| ApiError::local("There is no such workflow."))?;
            let definition = definition_of(workflow.definition)?;
            let requester = data
                .me
                .map(|me| Requester {
                    email: me.email,
                    team: me.teams.into_iter().next().map(|t| t.key),
                })
                .unwrap_or_default();
            Ok::<_, ApiError>((workflow.key, workflow.name, definition, requester))
        }
    });
    move || match loaded.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(error)) => view! { <ErrorView error/> }.into_any(),
        Some(Ok((key, name, definition, requester))) => {
            view! { <IntakeForm key name definition requester/> }.into_any()
        }
    }
}

#[component]
fn IntakeForm(
    key: String,
    name: String,
    definition: Definition,
    requester: Requester,
) -> impl IntoView {
    let description = definition.description.clone();
    let state = FormState::new(definition, Map::new(), FormMode::Intake, requester.clone());
    let idempotency_key = api::random_key();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();

    let submit = {
        let state = state.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            error.set(None);
            state.server_errors.set(Vec::new());
            let fields = match state.check(&requester) {
                Ok(fields) => fields,
                Err(_) => {
                    focus("error-summary");
                    return;
                }
            };
            busy.set(true);
            let variables = ops::submit_request::Variables {
                input: ops::submit_request::SubmitRequestInput {
                    workflow: key.clone(),
                    fields: serde_json::Value::Object(fields),
                    idempotency_key: Some(idempotency_key.clone()),
                },
            };
            let state = state.clone();
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                match api::run::<ops::SubmitRequest>(variables).await {
                    Ok(data) => {
                        navigate(
                            &format!("/requests/{}", data.submit_request.number),
                            Default::default(),
                        );
                    }
                    Err(e) if e.is(ErrorCode::ValidationFailed) && !e.fields.is_empty() => {
                        state.server_errors.set(e.fields.clone());
                        focus("error-summary");
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };

    view! {
        <h1>{name}</h1>
        {description.map(|d| view! { <p class="muted">{d}</p> })}
        <form class="form" on:submit=submit novalidate>
            <ErrorSummary state=state.clone()/>
            <GeneratedForm state=state.clone()/>
            <MaybeError error/>
            <button id="submit-request" type="submit" disabled=move || busy.get()>
                {move || if busy.get() { "Submitting…" } else { "Submit request" }}
            </button>
        </form>
    }
}

/// Moves focus to an element by id once it is on the page (the summary appears on the next
/// render), so keyboard and screen-reader users land on the problems.
pub fn focus(id: &'static str) {
    request_animation_frame(move || {
        if let Some(element) = document().get_element_by_id(id) {
            use wasm_bindgen::JsCast;
            if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
                let _ = element.focus();
            }
        }
    });
}
