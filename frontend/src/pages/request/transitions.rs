//! The request page's transition buttons, and the small form a transition opens when it needs
//! a comment or required fields.

use super::*;

#[component]
pub(super) fn Transitions(
    request: Detail,
    definition: Option<Definition>,
    actions: Actions,
) -> impl IntoView {
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
