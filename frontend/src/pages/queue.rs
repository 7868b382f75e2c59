//! `/queue`: the requests the user may read, with filters, sort, paging by cursor, a claim
//! button per row, live refresh from the `requestChanged` subscription, and keyboard use
//! (`j` / `k` move, `Enter` opens, `/` searches) that never fires while typing in a field.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use wasm_bindgen::JsCast;

use crate::api::ops::requests::{
    Priority, RequestFilter, RequestSort, RequestsRequestsEdgesNode as Row,
};
use crate::api::{self, ApiError, ops};
use crate::app::use_auth;
use crate::components::feedback::{ErrorView, MaybeError};
use crate::format;

const PAGE: i64 = 25;

/// The filter controls' values; empty strings mean "any".
#[derive(Clone, Copy)]
struct Filters {
    workflow: RwSignal<String>,
    status: RwSignal<String>,
    priority: RwSignal<String>,
    assignee: RwSignal<String>,
    team: RwSignal<String>,
    text: RwSignal<String>,
    sort: RwSignal<String>,
}

impl Filters {
    /// The API filter; reading it subscribes to every control.
    fn to_filter(self) -> RequestFilter {
        let some = |signal: RwSignal<String>| {
            let value = signal.get();
            let value = value.trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        RequestFilter {
            workflow: some(self.workflow),
            status: some(self.status),
            team: some(self.team),
            assignee: some(self.assignee),
            text: some(self.text),
            priority: some(self.priority).map(|p| match p.as_str() {
                "LOW" => Priority::LOW,
                "HIGH" => Priority::HIGH,
                "URGENT" => Priority::URGENT,
                _ => Priority::NORMAL,
            }),
            sort: some(self.sort).map(|s| match s.as_str() {
                "CREATED_ASC" => RequestSort::CREATED_ASC,
                "UPDATED_DESC" => RequestSort::UPDATED_DESC,
                "UPDATED_ASC" => RequestSort::UPDATED_ASC,
                _ => RequestSort::CREATED_DESC,
            }),
            ..Default::default()
        }
    }
}

/// Whether a key press belongs to a form control: then it is typing, not a shortcut.
fn typing_in_field(event: &web_sys::KeyboardEvent) -> bool {
    let Some(target) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    matches!(
        target.tag_name().to_ascii_lowercase().as_str(),
        "input" | "textarea" | "select"
    ) || target.has_attribute("contenteditable")
}

/// Keeps the selected row on screen as `j` / `k` move it.
fn scroll_selected() {
    request_animation_frame(|| {
        if let Ok(Some(row)) = document().query_selector("tr[aria-selected=\"true\"]") {
            row.scroll_into_view_with_bool(false);
        }
    });
}

/// A labelled `<select>` over `(value, text)` choices bound to `signal`.
fn select(
    label: &'static str,
    id: &'static str,
    signal: RwSignal<String>,
    choices: Vec<(String, String)>,
) -> impl IntoView {
    let options = choices
        .into_iter()
        .map(|(value, text)| {
            let chosen = signal.get_untracked() == value;
            view! { <option value=value selected=chosen>{text}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id on:change=move |ev| signal.set(event_target_value(&ev))>{options}</select>
        </div>
    }
}

#[component]
pub fn QueuePage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let initial = |key: &str| query.get_untracked().get(key).unwrap_or_default();
    let filters = Filters {
        workflow: RwSignal::new(initial("workflow")),
        status: RwSignal::new(initial("status")),
        priority: RwSignal::new(initial("priority")),
        assignee: RwSignal::new(initial("assignee")),
        team: RwSignal::new(initial("team")),
        text: RwSignal::new(initial("text")),
        sort: RwSignal::new(String::new()),
    };
    let rows = RwSignal::new(Vec::<Row>::new());
    let cursor = RwSignal::new(None::<String>);
    let has_more = RwSignal::new(false);
    let total = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    let selected = RwSignal::new(0usize);
    // Answers to older filter values are dropped: only the latest request fills the table.
    let generation = StoredValue::new(0u64);

    let options = LocalResource::new(|| api::run::<ops::Workflows>(ops::workflows::Variables));

    // `more`: append the next page. Otherwise reload from the top, keeping as many rows as
    // are shown, so a live refresh does not shrink what the user already loaded.
    let fetch = Callback::new(move |more: bool| {
        let filter = filters.to_filter();
        let after = if more { cursor.get_untracked() } else { None };
        let first = if more {
            PAGE
        } else {
            (rows.with_untracked(Vec::len) as i64).clamp(PAGE, 200)
        };
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let result = api::run::<ops::Requests>(ops::requests::Variables {
                filter: Some(filter),
                first: Some(first),
                after,
            })
            .await;
            if generation.get_value() != mine {
                return;
            }
            match result {
                Ok(data) => {
                    let page: Vec<Row> = data.requests.edges.into_iter().map(|e| e.node).collect();
                    if more {
                        rows.update(|rows| rows.extend(page));
                    } else {
                        let last = page.len().saturating_sub(1);
                        rows.set(page);
                        selected.update(|s| *s = (*s).min(last));
                    }
                    cursor.set(data.requests.page_info.end_cursor);
                    has_more.set(data.requests.page_info.has_next_page);
                    total.set(Some(data.requests.total_count));
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    });

    // Any filter change reloads from the top.
    Effect::new(move |_| {
        let _ = filters.to_filter();
        selected.set(0);
        fetch.run(false);
    });

    let live = api::live::request_changes(move || fetch.run(false));
    StoredValue::new_local(live);

    let search: NodeRef<leptos::html::Input> = NodeRef::new();
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || typing_in_field(&event) {
            return;
        }
        let count = rows.with_untracked(Vec::len);
        match event.key().as_str() {
            "j" if count > 0 => {
                selected.update(|s| *s = (*s + 1).min(count - 1));
                scroll_selected();
            }
            "k" if count > 0 => {
                selected.update(|s| *s = s.saturating_sub(1));
                scroll_selected();
            }
            "Enter" if count > 0 => {
                let number = rows.with_untracked(|rows| {
                    rows.get(selected.get_untracked()).map(|r| r.number.clone())
                });
                if let Some(number) = number {
                    event.prevent_default();
                    navigate(&format!("/requests/{number}"), Default::default());
                }
            }
            "/" => {
                event.prevent_default();
                if let Some(input) = search.get_untracked() {
                    let _ = input.focus();
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());

    let claim = move |request_id: String, version: i64| {
        let Some(user_id) = auth.user_id() else {
            return;
        };
        let input = ops::assign::AssignInput {
            request_id,
            user_id: Some(user_id),
            expected_version: Some(version),
        };
        leptos::task::spawn_local(async move {
            match api::run::<ops::Assign>(ops::assign::Variables { input }).await {
                Ok(_) => fetch.run(false),
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let filter_bar = move || {
        let (workflows, teams) = match options.get() {
            Some(Ok(data)) => (data.workflows, data.teams),
            _ => (Vec::new(), Vec::new()),
        };
        // Statuses of the chosen workflow, or of all of them (keys can repeat across
        // workflows; the first label wins).
        let chosen_workflow = filters.workflow.get();
        let mut statuses: Vec<(String, String)> = Vec::new();
        for workflow in &workflows {
            if !chosen_workflow.is_empty() && workflow.key != chosen_workflow {
                continue;
            }
            for status in &workflow.statuses {
                if !statuses.iter().any(|(key, _)| *key == status.key) {
                    statuses.push((status.key.clone(), status.label.clone()));
                }
            }
        }
        let any = |text: &str| vec![(String::new(), text.to_owned())];
        let workflow_choices = any("Any workflow")
            .into_iter()
            .chain(workflows.iter().map(|w| (w.key.clone(), w.name.clone())))
            .collect();
        let status_choices = any("Any status").into_iter().chain(statuses).collect();
        let priority_choices = any("Any priority")
            .into_iter()
            .chain(["LOW", "NORMAL", "HIGH", "URGENT"].iter().map(|p| {
                let text = format::word(p);
                ((*p).to_owned(), text)
            }))
            .collect();
        let team_choices = any("Any team")
            .into_iter()
            .chain(teams.iter().map(|t| (t.key.clone(), t.name.clone())))
            .collect();
        let assignee_choices = vec![
            (String::new(), "Anyone".to_owned()),
            ("me".to_owned(), "Me".to_owned()),
            ("none".to_owned(), "Unassigned".to_owned()),
        ];
        let sort_choices = vec![
            (String::new(), "Newest first".to_owned()),
            ("CREATED_ASC".to_owned(), "Oldest first".to_owned()),
            ("UPDATED_DESC".to_owned(), "Recently updated".to_owned()),
            (
                "UPDATED_ASC".to_owned(),
                "Least recently updated".to_owned(),
            ),
        ];
        view! {
            {select("Workflow", "filter-workflow", filters.workflow, workflow_choices)}
            {select("Status", "filter-status", filters.status, status_choices)}
            {select("Priority", "filter-priority", filters.priority, priority_choices)}
            {select("Assignee", "filter-assignee", filters.assignee, assignee_choices)}
            {select("Team", "filter-team", filters.team, team_choices)}
            {select("Sort", "filter-sort", filters.sort, sort_choices)}
        }
    };

    let table_rows = move || {
        let me = auth.user_id();
        rows.get()
            .into_iter()
            .enumerate()
            .map(|(index, row)| {
                let is_selected = move || selected.get() == index;
                let assigned_to_me =
                    me.is_some() && row.assignee.as_ref().map(|a| a.id.clone()) == me;
                let request_id = row.id.clone();
                let version = row.version;
                let team = row
                    .team
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| "None".into());
                let assignee = row
                    .assignee
                    .as_ref()
                    .map(|a| a.name.clone())
                    .unwrap_or_else(|| "Unassigned".into());
                // Claim only what the user may work and what is still open: the server would
                // refuse the first, and claiming a closed request means nothing.
                let claimable = !assigned_to_me
                    && format::wire(&row.status.category) != "DONE"
                    && auth.can_for("request.work", &row.workflow.key);
                let claim_button = claimable.then(|| {
                    view! {
                        <button type="button" class="small claim"
                            on:click=move |ev| { ev.stop_propagation(); claim(request_id.clone(), version); }>
                            "Claim"
                        </button>
                    }
                });
                view! {
                    <tr data-number=row.number.clone()
                        aria-selected=move || if is_selected() { "true" } else { "false" }
                        class:selected=is_selected on:click=move |_| selected.set(index)>
                        <td><a href=format!("/requests/{}", row.number)>{row.number.clone()}</a></td>
                        <td>{row.title.clone()}</td>
                        <td>
                            <span class="status" data-category=format::wire(&row.status.category)>
                                {format::status(&row.status.label, &row.status.category)}
                            </span>
                        </td>
                        <td data-priority=format::wire(&row.priority)>{format::word(&row.priority)}</td>
                        <td>{team}</td>
                        <td>{assignee}</td>
                        <td><time datetime=row.updated_at.clone()>{format::ago(&row.updated_at)}</time></td>
                        <td>{claim_button}</td>
                    </tr>
                }
            })
            .collect_view()
    };

    view! {
        <h1>"Queue"</h1>
        <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field grow">
                <label for="queue-search">"Search"</label>
                <input id="queue-search" type="search" node_ref=search
                    placeholder="Title or number (press / to search)"
                    prop:value=move || filters.text.get()
                    on:input=move |ev| filters.text.set(event_target_value(&ev))/>
            </div>
            {filter_bar}
        </form>
        <p class="muted" aria-live="polite">
            {move || total.get().map(|n| format!("{} {}", format::plural(n, "request", "requests"), if n == 1 { "matches" } else { "match" })).unwrap_or_default()}
            {move || loading.get().then_some(", loading")}
        </p>
        <MaybeError error/>
        {move || match options.get() {
            Some(Err(error)) => Some(view! { <ErrorView error/> }),
            _ => None,
        }}
        <p class="hint">"Keys: j and k move the selection, Enter opens it, / searches."</p>
        <div class="table-wrap">
            <table class="queue" aria-label="Requests">
                <thead>
                    <tr>
                        <th scope="col">"Number"</th>
                        <th scope="col">"Title"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Priority"</th>
                        <th scope="col">"Team"</th>
                        <th scope="col">"Assignee"</th>
                        <th scope="col">"Updated"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{table_rows}</tbody>
            </table>
        </div>
        {move || (!loading.get() && error.get().is_none() && rows.with(Vec::is_empty))
            .then(|| view! { <p class="empty">"No request matches these filters."</p> })}
        <Show when=move || has_more.get()>
            <button id="load-more" type="button" class="secondary" on:click=move |_| fetch.run(true)
                disabled=move || loading.get()>"Load more"</button>
        </Show>
    }
}
