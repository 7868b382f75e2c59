//! `/admin/workflows` (the list, with versions) and `/admin/workflows/:key` (the editor;
//! `new` starts a fresh one).
//!
//! The editor checks the text with `handoff_shared::check_definition` on every change, the
//! same check publishing runs, and previews the generated form with the very component the
//! intake page uses. Publishing still goes to the server, which may find what the browser
//! cannot (a team or role that does not exist).

use handoff_shared::{Definition, ErrorCode, FormMode, Problem};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::Map;

use crate::api::{self, ApiError, ops};
use crate::components::feedback::{ErrorView, Loading, MaybeError, load};
use crate::components::form::{FormState, GeneratedForm, Requester};
use crate::format;

const NEW_TEMPLATE: &str = "key: my-workflow
name: My workflow
description: What this request type is for.
prefix: MYW
fields:
  - { key: title, label: Title, type: text, required: true, max_length: 120 }
  - { key: details, label: Details, type: textarea, help: Anything the team should know. }
statuses:
  - { key: new, label: New, category: open }
  - { key: in_progress, label: In progress, category: active }
  - { key: done, label: Done, category: done }
transitions:
  - { key: start, label: Start, from: new, to: in_progress, by: team }
  - { key: finish, label: Finish, from: in_progress, to: done, by: team }
";

#[component]
pub fn WorkflowListPage() -> impl IntoView {
    let workflows = LocalResource::new(|| api::run::<ops::Workflows>(ops::workflows::Variables));
    view! {
        <h1>"Workflows"</h1>
        <p><a class="button" href="/admin/workflows/new">"New workflow"</a></p>
        {load(workflows, |data| {
            if data.workflows.is_empty() {
                return view! { <p class="empty">"No workflow is published yet."</p> }.into_any();
            }
            view! {
                <div class="table-wrap">
                    <table>
                        <thead><tr>
                            <th scope="col">"Workflow"</th><th scope="col">"Key"</th>
                            <th scope="col">"Prefix"</th><th scope="col">"Versions"</th>
                        </tr></thead>
                        <tbody>
                            {data.workflows.into_iter().map(|w| view! {
                                <tr data-workflow=w.key.clone()>
                                    <td><a href=format!("/admin/workflows/{}", w.key)>{w.name.clone()}</a></td>
                                    <td><code>{w.key.clone()}</code></td>
                                    <td>{w.prefix.clone()}</td>
                                    <td><Versions key=w.key.clone()/></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        })}
    }
}

/// The published versions of one workflow, newest first.
#[component]
fn Versions(key: String) -> impl IntoView {
    let versions = LocalResource::new(move || {
        api::run::<ops::WorkflowVersions>(ops::workflow_versions::Variables { key: key.clone() })
    });
    load(versions, |data| {
        data.workflow_versions
            .into_iter()
            .map(|v| view! {
                <span class="version" title=format!("published {}", format::time(&v.published_at))>
                    {format!("v{} ", v.version)}
                </span>
            })
            .collect_view()
    })
}

#[component]
pub fn WorkflowEditorPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let source = LocalResource::new(move || {
        let key = key();
        async move {
            if key == "new" {
                return Ok(NEW_TEMPLATE.to_owned());
            }
            let data =
                api::run::<ops::Workflow>(ops::workflow::Variables { key, version: None }).await?;
            data.workflow
                .map(|w| w.source)
                .ok_or_else(|| ApiError::local("There is no such workflow."))
        }
    });
    move || match source.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(error)) => view! { <ErrorView error/> }.into_any(),
        Some(Ok(text)) => view! { <Editor initial=text is_new=key() == "new"/> }.into_any(),
    }
}

#[component]
fn Editor(initial: String, is_new: bool) -> impl IntoView {
    let text = RwSignal::new(initial);
    let server_problems = RwSignal::new(Vec::<Problem>::new());
    let error = RwSignal::new(None::<ApiError>);
    let published = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let checked = Memo::new(move |_| text.with(|src| handoff_shared::check_definition(src)));
    // The preview follows the last text that parsed, so a typo does not blank it.
    let parsed = Memo::new(move |previous: Option<&Option<Definition>>| {
        match text.with(|src| handoff_shared::parse_definition(src)) {
            Ok(definition) => Some(definition),
            Err(_) => previous.cloned().flatten(),
        }
    });

    let publish = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        published.set(None);
        server_problems.set(Vec::new());
        let definition = text.get_untracked();
        leptos::task::spawn_local(async move {
            match api::run::<ops::PublishWorkflow>(ops::publish_workflow::Variables { definition })
                .await
            {
                Ok(data) => {
                    let w = data.publish_workflow;
                    published.set(Some(format!(
                        "Published {} ({}) as version {}.",
                        w.name, w.key, w.version
                    )));
                }
                Err(e) if e.is(ErrorCode::InvalidDefinition) => {
                    server_problems.set(e.problems.clone());
                    error.set(Some(e));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <h1>{if is_new { "New workflow" } else { "Edit workflow" }}</h1>
        <p class="muted">"Write the definition in YAML or JSON. Publishing creates a new immutable version; open requests stay on theirs."</p>
        <div class="editor">
            <div class="editor-source">
                <div class="field">
                    <label for="definition-editor">"Definition"</label>
                    <textarea id="definition-editor" class="code" rows="20" wrap="off" spellcheck="false"
                        aria-describedby="definition-problems-h"
                        prop:value=move || text.get()
                        on:input=move |ev| { text.set(event_target_value(&ev)); server_problems.set(Vec::new()); }></textarea>
                </div>
                <div aria-live="polite">
                    <h2 id="definition-problems-h">
                        {move || {
                            let count = checked.with(|c| c.as_ref().err().map_or(0, Vec::len)) + server_problems.with(Vec::len);
                            match count {
                                0 => "No problems found".to_owned(),
                                1 => "1 problem".to_owned(),
                                n => format!("{n} problems"),
                            }
                        }}
                    </h2>
                    <ul id="definition-problems" class="problems">
                        {move || {
                            let mut all = checked.with(|c| c.as_ref().err().cloned().unwrap_or_default());
                            all.extend(server_problems.get());
                            all.into_iter().map(|p| view! {
                                <li><code>{if p.path.is_empty() { "(document)".to_owned() } else { p.path.clone() }}</code>": "{p.message}</li>
                            }).collect_view()
                        }}
                    </ul>
                </div>
                <MaybeError error/>
                <button id="publish" type="button" on:click=publish disabled=move || busy.get()>
                    {move || if busy.get() { "Publishing…" } else { "Publish" }}
                </button>
                {move || published.get().map(|message| view! {
                    <p id="publish-result" class="notice" role="status">{message}</p>
                })}
            </div>
            <section id="definition-preview" class="preview" aria-labelledby="preview-h">
                <h2 id="preview-h">"Form preview"</h2>
                {move || match parsed.get() {
                    Some(definition) => {
                        let name = definition.name.clone();
                        let preview_label = format!("Preview of {name}");
                        let state = FormState::new(definition, Map::new(), FormMode::Intake, Requester::default());
                        view! {
                            <form class="form" on:submit=|ev| ev.prevent_default() aria-label=preview_label>
                                <h3>{name}</h3>
                                <GeneratedForm state id_prefix="preview-field-"/>
                            </form>
                        }.into_any()
                    }
                    None => view! { <p class="empty">"The preview appears once the definition can be read."</p> }.into_any(),
                }}
            </section>
        </div>
    }
}
