//! The request page's field editor and comment box.

use super::*;

#[component]
pub(super) fn EditFields(
    request: Detail,
    definition: Definition,
    actions: Actions,
) -> impl IntoView {
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
pub(super) fn CommentBox(request_id: String, actions: Actions) -> impl IntoView {
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
