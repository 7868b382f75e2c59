//! The generated form: one input per field of a workflow definition, with its label, help and
//! errors, and `visible_if` / `required_if` evaluated live by `handoff_shared` exactly as the
//! server will evaluate them.
//!
//! Inputs are uncontrolled (the browser keeps what was typed) and write their value into one
//! JSON map, the same shape the API takes; `validate_fields` turns it into the normalised map
//! that is sent. Hidden fields are removed from the page but their values are kept in the map,
//! so a field that reappears shows what was typed (the shared validation drops hidden values
//! before anything is stored).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use handoff_shared::{Definition, Field, FieldType, FormContext, FormMode, Problem};
use leptos::prelude::*;
use serde_json::{Map, Value};

/// Everything one form instance needs; cheap to clone (signals are handles).
#[derive(Clone)]
pub struct FormState {
    pub definition: Arc<Definition>,
    /// Raw input values by field key.
    pub values: RwSignal<Map<String, Value>>,
    /// Fields the user has changed: their errors show while typing.
    touched: RwSignal<HashSet<String>>,
    /// Set by the first submit attempt: from then on every error shows.
    pub submitted: RwSignal<bool>,
    /// Problems the server answered (`VALIDATION_FAILED`), until the field is edited.
    pub server_errors: RwSignal<Vec<Problem>>,
    /// The problems of the current values, by the shared rules.
    problems: Memo<Vec<Problem>>,
    /// The keys of the fields shown now.
    visible: Memo<Vec<String>>,
    mode: FormMode,
}

/// Who fills the form, for `requester.email` / `requester.team` in conditions.
#[derive(Clone, Default)]
pub struct Requester {
    pub email: String,
    pub team: Option<String>,
}

impl FormState {
    pub fn new(
        definition: Definition,
        initial: Map<String, Value>,
        mode: FormMode,
        requester: Requester,
    ) -> Self {
        let definition = Arc::new(definition);
        let values = RwSignal::new(initial);
        let problems = {
            let definition = definition.clone();
            let requester = requester.clone();
            Memo::new(move |_| {
                let input = Value::Object(values.get());
                let context = context(&requester);
                match handoff_shared::validate_fields(&definition, &input, &context, mode) {
                    Ok(_) => Vec::new(),
                    Err(problems) => problems,
                }
            })
        };
        let visible = {
            let definition = definition.clone();
            Memo::new(move |_| {
                values.with(|values| {
                    handoff_shared::visible_fields(&definition, values, &context(&requester))
                })
            })
        };
        Self {
            definition,
            values,
            touched: RwSignal::new(HashSet::new()),
            submitted: RwSignal::new(false),
            server_errors: RwSignal::new(Vec::new()),
            problems,
            visible,
            mode,
        }
    }

    /// Validates for sending: the normalised values, or every problem (and from now on every
    /// field shows its error).
    pub fn check(&self, requester: &Requester) -> Result<Map<String, Value>, Vec<Problem>> {
        self.submitted.set(true);
        let input = Value::Object(self.values.get_untracked());
        handoff_shared::validate_fields(&self.definition, &input, &context(requester), self.mode)
    }

    /// The error to show under a field now, if any.
    fn error_for(&self, key: &str) -> Option<String> {
        let path = format!("fields.{key}");
        let server = self.server_errors.with(|errors| {
            errors
                .iter()
                .find(|p| p.path == path || p.path == format!("input.{path}"))
                .map(|p| p.message.clone())
        });
        if server.is_some() {
            return server;
        }
        let shown = self.submitted.get() || self.touched.with(|t| t.contains(key));
        if !shown {
            return None;
        }
        self.problems.with(|problems| {
            problems
                .iter()
                .find(|p| p.path == path)
                .map(|p| p.message.clone())
        })
    }

    /// Every problem to list in the summary: the shared rules' and the server's.
    pub fn summary(&self) -> Vec<Problem> {
        let mut all = self.server_errors.get();
        if self.submitted.get() {
            for problem in self.problems.get() {
                if !all.iter().any(|p| p.path == problem.path) {
                    all.push(problem);
                }
            }
        }
        all
    }

    fn set(&self, key: &str, value: Value) {
        self.values.update(|values| {
            values.insert(key.to_owned(), value);
        });
        self.touched.update(|touched| {
            touched.insert(key.to_owned());
        });
        let path = format!("fields.{key}");
        if self
            .server_errors
            .with_untracked(|errors| errors.iter().any(|p| p.path.ends_with(&path)))
        {
            self.server_errors
                .update(|errors| errors.retain(|p| !p.path.ends_with(&path)));
        }
    }

    fn is_visible(&self, key: &str) -> bool {
        self.visible
            .with(|visible| visible.iter().any(|k| k == key))
    }
}

fn context(requester: &Requester) -> FormContext<'_> {
    FormContext {
        priority: None,
        requester_email: &requester.email,
        requester_team: requester.team.as_deref(),
        now: Utc::now(),
    }
}

/// The fields of a form. `only` limits it to some keys (a transition's required fields);
/// `id_prefix` gives input ids (`field-` on forms, `transition-field-` inline).
#[component]
pub fn GeneratedForm(
    state: FormState,
    #[prop(default = "field-")] id_prefix: &'static str,
    #[prop(optional)] only: Option<Vec<String>>,
) -> impl IntoView {
    let fields: Vec<Field> = state
        .definition
        .fields
        .iter()
        .filter(|field| state.mode == FormMode::Update || field.intake)
        .filter(|field| only.as_ref().is_none_or(|keys| keys.contains(&field.key)))
        .cloned()
        .collect();
    if fields.is_empty() {
        return view! { <p class="muted">"This form has no fields."</p> }.into_any();
    }
    fields
        .into_iter()
        .map(|field| {
            let state = state.clone();
            move || {
                state.is_visible(&field.key).then(|| {
                    view! { <FieldInput state=state.clone() field=field.clone() id_prefix/> }
                })
            }
        })
        .collect_view()
        .into_any()
}

/// The list of problems shown on submit, each linking to its field.
#[component]
pub fn ErrorSummary(state: FormState) -> impl IntoView {
    let definition = state.definition.clone();
    move || {
        let problems = state.summary();
        (!problems.is_empty()).then(|| {
            let count = problems.len();
            let items = problems
                .into_iter()
                .map(|problem| {
                    let key = problem.path.rsplit('.').next().unwrap_or_default().to_owned();
                    match definition.field(&key) {
                        Some(field) => view! {
                            <li><a href=format!("#field-{key}")>{field.label.clone()}</a>": "{problem.message}</li>
                        }
                        .into_any(),
                        None => view! { <li>{problem.to_string()}</li> }.into_any(),
                    }
                })
                .collect_view();
            view! {
                <div id="error-summary" class="alert" role="alert" tabindex="-1">
                    <h2>{if count == 1 { "There is 1 problem".to_owned() } else { format!("There are {count} problems") }}</h2>
                    <ul>{items}</ul>
                </div>
            }
        })
    }
}

/// One field: label, input, help and error.
#[component]
fn FieldInput(state: FormState, field: Field, id_prefix: &'static str) -> impl IntoView {
    let id = format!("{id_prefix}{}", field.key);
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let key = field.key.clone();
    let error = {
        let state = state.clone();
        let key = key.clone();
        Memo::new(move |_| state.error_for(&key))
    };
    let described_by = {
        let help = field.help.is_some().then(|| help_id.clone());
        let error_id = error_id.clone();
        move || {
            let parts: Vec<String> = help
                .iter()
                .cloned()
                .chain(error.get().map(|_| error_id.clone()))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
    };
    let invalid = move || error.get().map(|_| "true");
    let initial = state
        .values
        .with_untracked(|values| values.get(&key).cloned())
        .unwrap_or(Value::Null);
    let help = field
        .help
        .clone()
        .map(|text| view! { <p class="help" id=help_id.clone()>{text}</p> });
    let error_view = {
        let error_id = error_id.clone();
        move || {
            error
                .get()
                .map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })
        }
    };
    let required = field.required;
    let label_text = field.label.clone();
    let marker = required.then_some(view! { <span class="req">" (required)"</span> });

    let control = match field.kind {
        FieldType::Multiselect => {
            let chosen: Vec<String> = match &initial {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            let boxes = field
                .options
                .iter()
                .enumerate()
                .map(|(index, option)| {
                    let box_id = format!("{id}-{index}");
                    let label_for = box_id.clone();
                    let state = state.clone();
                    let key = key.clone();
                    let option_value = option.clone();
                    let on_change = move |ev: leptos::ev::Event| {
                        let checked = event_target_checked(&ev);
                        let mut list: Vec<Value> = state.values.with_untracked(|values| {
                            values
                                .get(&key)
                                .and_then(Value::as_array)
                                .cloned()
                                .unwrap_or_default()
                        });
                        list.retain(|v| v.as_str() != Some(option_value.as_str()));
                        if checked {
                            list.push(Value::String(option_value.clone()));
                        }
                        state.set(&key, Value::Array(list));
                    };
                    view! {
                        <label class="check" for=label_for>
                            <input type="checkbox" id=box_id value=option.clone()
                                checked=chosen.contains(option) on:change=on_change/>
                            {option.clone()}
                        </label>
                    }
                })
                .collect_view();
            return view! {
                <fieldset class="field" id=id aria-describedby=described_by aria-invalid=invalid>
                    <legend>{label_text}{marker}</legend>
                    {boxes}
                    {help}
                    {error_view}
                </fieldset>
            }
            .into_any();
        }
        FieldType::Boolean => {
            let state = state.clone();
            let key = key.clone();
            let on_change = move |ev: leptos::ev::Event| {
                state.set(&key, Value::Bool(event_target_checked(&ev)));
            };
            return view! {
                <div class="field">
                    <label class="check" for=id.clone()>
                        <input type="checkbox" id=id.clone() checked=initial == Value::Bool(true)
                            aria-describedby=described_by aria-invalid=invalid on:change=on_change/>
                        {label_text}{marker}
                    </label>
                    {help}
                    {error_view}
                </div>
            }
            .into_any();
        }
        FieldType::Textarea => {
            let state = state.clone();
            let key = key.clone();
            let on_input = move |ev: leptos::ev::Event| {
                state.set(&key, Value::String(event_target_value(&ev)));
            };
            view! {
                <textarea id=id.clone() name=field.key.clone() rows="4"
                    maxlength=field.max_length.map(|n| n.to_string())
                    aria-describedby=described_by aria-invalid=invalid on:input=on_input
                    prop:value=text_of(&initial)></textarea>
            }
            .into_any()
        }
        FieldType::Select => {
            let state = state.clone();
            let key = key.clone();
            let selected = text_of(&initial);
            let on_change = move |ev: leptos::ev::Event| {
                state.set(&key, Value::String(event_target_value(&ev)));
            };
            let options = field
                .options
                .iter()
                .map(|option| {
                    view! { <option value=option.clone() selected=*option == selected>{option.clone()}</option> }
                })
                .collect_view();
            view! {
                <select id=id.clone() name=field.key.clone() aria-describedby=described_by
                    aria-invalid=invalid on:change=on_change>
                    <option value="">"Choose…"</option>
                    {options}
                </select>
            }
            .into_any()
        }
        kind => {
            let (input_type, inputmode) = match kind {
                FieldType::Number => ("number", Some("decimal")),
                FieldType::Money => ("text", Some("decimal")),
                FieldType::Date => ("date", None),
                FieldType::Datetime => ("datetime-local", None),
                FieldType::Email | FieldType::User => ("email", Some("email")),
                FieldType::Url => ("url", Some("url")),
                _ => ("text", None),
            };
            let shown = if kind == FieldType::Datetime {
                to_local_input(&text_of(&initial))
            } else {
                text_of(&initial)
            };
            let state = state.clone();
            let key = key.clone();
            let on_input = move |ev: leptos::ev::Event| {
                let text = event_target_value(&ev);
                let value = if kind == FieldType::Datetime {
                    from_local_input(&text)
                } else {
                    text
                };
                state.set(&key, Value::String(value));
            };
            let currency = field.currency.clone();
            let input = view! {
                <input type=input_type id=id.clone() name=field.key.clone() inputmode=inputmode
                    step=(kind == FieldType::Number).then_some("any")
                    min=field.min.map(|m| m.to_string()).filter(|_| kind == FieldType::Number)
                    max=field.max.map(|m| m.to_string()).filter(|_| kind == FieldType::Number)
                    maxlength=field.max_length.map(|n| n.to_string())
                    aria-describedby=described_by aria-invalid=invalid on:input=on_input
                    prop:value=shown/>
            };
            match currency {
                Some(code) => {
                    view! { <span class="with-unit">{input}<span class="unit">{code}</span></span> }
                        .into_any()
                }
                None => input.into_any(),
            }
        }
    };
    view! {
        <div class="field">
            <label for=id>{label_text}{marker}</label>
            {control}
            {help}
            {error_view}
        </div>
    }
    .into_any()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

/// `datetime-local` inputs speak local wall time without a zone; the API wants RFC 3339.
fn from_local_input(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(text));
    if date.get_time().is_nan() {
        return text.to_owned();
    }
    String::from(date.to_iso_string())
}

/// The reverse of [`from_local_input`], for showing a stored value.
fn to_local_input(rfc3339: &str) -> String {
    if rfc3339.is_empty() {
        return String::new();
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return String::new();
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}
