//! `/dashboard`: volume, backlog with aging, cycle time and rework, drawn as plain SVG.
//!
//! The charts are simple enough that a chart crate would cost more (size, API churn) than it
//! saves. Each chart carries an `aria-label` summary and a data table with the exact numbers,
//! so nothing is conveyed by shape or colour alone.
//!
//! Each chart is drawn at the pixel width of its box (measured on mount and on resize), with a
//! `viewBox` of the same width: one SVG unit is one CSS pixel, so the 12-13 px labels stay that
//! size on a phone instead of being scaled down with the drawing.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::api::ops::dashboard::{DashboardDashboard as Data, DashboardFilter};
use crate::api::{self, ops};
use crate::app::use_auth;
use crate::components::feedback::load;
use crate::format;

/// The width drawn before the box is measured (and the fallback when it cannot be).
const DEFAULT_WIDTH: f64 = 600.0;
/// Narrower than this the charts would overlap their own labels; the box scrolls instead.
const MIN_WIDTH: f64 = 280.0;
/// Height of the volume chart's plot area, in pixels.
const VOLUME_HEIGHT: f64 = 160.0;
/// Space above the plots (value labels) and below them (the date axis).
const TOP: f64 = 20.0;
const BOTTOM: f64 = 24.0;
/// Room for the volume chart's y-axis labels.
const LEFT: f64 = 32.0;
/// Height of one backlog or cycle-time row: a label line above its bar.
const ROW: f64 = 48.0;

/// The text alternative of a bar chart: its title, then each row, or what to say when empty.
fn chart_label(title: &str, summary: String, when_empty: &str) -> String {
    format!(
        "{title}: {}",
        if summary.is_empty() {
            when_empty.to_owned()
        } else {
            summary
        }
    )
}

/// The drawing height of a chart with one bar row per item (a short box when it is empty).
fn rows_height(rows: usize) -> f64 {
    if rows == 0 {
        EMPTY_HEIGHT
    } else {
        rows as f64 * ROW + 8.0
    }
}

/// The height of an empty chart, tall enough for its message.
const EMPTY_HEIGHT: f64 = 80.0;
/// Thickness of a backlog or cycle-time bar.
const BAR: f64 = 20.0;

/// Display names for the keys the dashboard answers with.
#[derive(Clone, Default)]
struct Names {
    workflows: HashMap<String, String>,
    statuses: HashMap<String, String>,
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let auth = use_auth();
    let workflow = RwSignal::new(String::new());
    let team = RwSignal::new(String::new());
    let days = RwSignal::new("30".to_owned());
    let options = LocalResource::new(|| api::run::<ops::Workflows>(ops::workflows::Variables));
    let data = LocalResource::new(move || {
        let pick = |s: RwSignal<String>| Some(s.get()).filter(|v| !v.is_empty());
        let from = days.get().parse::<f64>().ok().map(|days| {
            let then = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
                js_sys::Date::now() - days * 86_400_000.0,
            ));
            String::from(then.to_iso_string())
        });
        let filter = DashboardFilter {
            workflow: pick(workflow),
            team: pick(team),
            from,
            to: None,
        };
        api::run::<ops::Dashboard>(ops::dashboard::Variables {
            filter: Some(filter),
        })
    });

    // The backlog names statuses by key and the cycle time workflows by key; show their
    // labels and names instead (the first workflow's label wins
    // when two workflows share a key, as in the queue's filter).
    let status_labels = move || {
        let mut names = Names::default();
        if let Some(Ok(data)) = options.get() {
            for workflow in data.workflows {
                names.workflows.insert(workflow.key, workflow.name);
                for status in workflow.statuses {
                    names.statuses.entry(status.key).or_insert(status.label);
                }
            }
        }
        names
    };

    let choices = move || {
        let (workflows, teams) = match options.get() {
            Some(Ok(data)) => (data.workflows, data.teams),
            _ => (Vec::new(), Vec::new()),
        };
        view! {
            <div class="field">
                <label for="dash-workflow">"Workflow"</label>
                <select id="dash-workflow" on:change=move |ev| workflow.set(event_target_value(&ev))>
                    <option value="">"All workflows"</option>
                    {workflows.into_iter().map(|w| {
                        let chosen = workflow.get_untracked() == w.key;
                        view! { <option value=w.key selected=chosen>{w.name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="dash-team">"Team"</label>
                <select id="dash-team" on:change=move |ev| team.set(event_target_value(&ev))>
                    <option value="">"All teams"</option>
                    {teams.into_iter().map(|t| {
                        let chosen = team.get_untracked() == t.key;
                        view! { <option value=t.key selected=chosen>{t.name}</option> }
                    }).collect_view()}
                </select>
            </div>
        }
    };

    view! {
        <h1>"Dashboard"</h1>
        {move || (!auth.can("report.read") && auth.me.get().is_some()).then(|| view! {
            <p class="notice">"You need the report.read permission to see the dashboard."</p>
        })}
        <form class="filters" on:submit=|ev| ev.prevent_default()>
            {choices}
            <div class="field">
                <label for="dash-range">"Time range"</label>
                <select id="dash-range" on:change=move |ev| days.set(event_target_value(&ev))>
                    <option value="7">"Last 7 days"</option>
                    <option value="30" selected>"Last 30 days"</option>
                    <option value="90">"Last 90 days"</option>
                    <option value="all">"All time"</option>
                </select>
            </div>
        </form>
        {load(data, move |data| view! { <Charts data=data.dashboard labels=status_labels()/> })}
    }
}

#[component]
fn Charts(data: Data, labels: Names) -> impl IntoView {
    let rate = format!("{:.1}%", data.rework_rate * 100.0);
    let sent_back = format!(
        "{} sent back",
        format::plural(data.reworked, "request", "requests")
    );
    view! {
        <p class="muted">"Computed " {format::time(&data.generated_at)}</p>
        <div class="stats">
            <div class="stat"><span class="label">"Requests"</span><span id="dashboard-total" class="value">{data.total}</span></div>
            <div class="stat"><span class="label">"Open"</span><span class="value">{data.open}</span></div>
            <div class="stat"><span class="label">"Closed"</span><span class="value">{data.closed}</span></div>
            <div class="stat"><span class="label">"Rework rate"</span><span id="rework-rate" class="value">{rate}</span>
                <span class="muted">{sent_back}</span></div>
        </div>
        <div class="charts">
            <VolumeChart data=data.clone()/>
            <BacklogChart data=data.clone() labels=labels.statuses/>
            <CycleChart data labels=labels.workflows/>
        </div>
    }
}

/// The largest value, at least 1, so empty charts do not divide by zero.
fn scale_max(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(1.0_f64, f64::max)
}

/// The drawing width of a chart: the pixel width of `node`, kept up to date on resize.
fn measured_width(node: NodeRef<leptos::html::Div>) -> ReadSignal<f64> {
    let (width, set_width) = signal(DEFAULT_WIDTH);
    let measure = move || {
        if let Some(element) = node.get_untracked() {
            let px = f64::from(element.client_width());
            if px > 0.0 {
                set_width.set(px.max(MIN_WIDTH));
            }
        }
    };
    Effect::new(move |_| {
        if node.get().is_some() {
            measure();
        }
    });
    let handle = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || handle.remove());
    width
}

/// A message drawn inside an empty chart, so the box says why it is blank.
fn empty_message(width: f64, height: f64, text: &'static str) -> impl IntoView {
    view! {
        <text class="empty" x=width / 2.0 y=height / 2.0 text-anchor="middle" dominant-baseline="middle">{text}</text>
    }
}

#[component]
fn VolumeChart(data: Data) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let width = measured_width(node);
    let days = data.volume;
    let created_total: i64 = days.iter().map(|d| d.created).sum();
    let closed_total: i64 = days.iter().map(|d| d.closed).sum();
    let max = scale_max(
        days.iter()
            .flat_map(|d| [d.created as f64, d.closed as f64]),
    );
    let label = if created_total + closed_total == 0 {
        "Volume per day: no requests created or closed in this period.".to_owned()
    } else {
        format!(
            "Volume per day over {}: {created_total} created, {closed_total} closed; peak {max} a day.",
            format::plural(days.len() as i64, "day", "days")
        )
    };
    let rows = days
        .iter()
        .map(|d| view! { <tr><th scope="row">{d.day.clone()}</th><td>{d.created}</td><td>{d.closed}</td></tr> })
        .collect_view();
    let empty = created_total + closed_total == 0;
    let height = if empty {
        EMPTY_HEIGHT
    } else {
        TOP + VOLUME_HEIGHT + BOTTOM
    };
    let drawing = move || {
        let width = width.get();
        if empty {
            return empty_message(width, height, "No requests in this period").into_any();
        }
        let plot_width = width - LEFT - 8.0;
        let slot = plot_width / days.len().max(1) as f64;
        // Two bars per day, centred in the day's slot; no wider than 28 px, so a short period
        // does not turn into two slabs.
        let bar = ((slot - 4.0) / 2.0).clamp(1.0, 28.0);
        // Values above the bars only when there is room for two digits over each bar.
        let show_values = bar >= 14.0;
        let y_of = |value: f64| TOP + VOLUME_HEIGHT - value / max * VOLUME_HEIGHT;
        let bars = days
            .iter()
            .enumerate()
            .map(|(index, day)| {
                let x = LEFT + index as f64 * slot + (slot - 2.0 * bar) / 2.0;
                let (created, closed) = (day.created as f64, day.closed as f64);
                let values = show_values.then(|| {
                    view! {
                        {(day.created > 0).then(|| view! {
                            <text class="value" x=x + bar / 2.0 y=y_of(created) - 4.0 text-anchor="middle">{day.created}</text>
                        })}
                        {(day.closed > 0).then(|| view! {
                            <text class="value" x=x + bar * 1.5 y=y_of(closed) - 4.0 text-anchor="middle">{day.closed}</text>
                        })}
                    }
                });
                view! {
                    <g>
                        <title>{format!("{}: {} created, {} closed", day.day, day.created, day.closed)}</title>
                        <rect class="s1" x=x y=y_of(created) width=bar height=created / max * VOLUME_HEIGHT/>
                        <rect class="s2" x=x + bar y=y_of(closed) width=bar height=closed / max * VOLUME_HEIGHT/>
                        {values}
                    </g>
                }
            })
            .collect_view();
        // Date labels under their day: every day when there is room, else the first, the
        // middle and the last.
        let every = slot >= 56.0;
        let ticks = days
            .iter()
            .enumerate()
            .filter(|(index, _)| {
                every
                    || *index == 0
                    || *index + 1 == days.len()
                    || (width >= 420.0 && *index == days.len() / 2)
            })
            .map(|(index, day)| {
                let centre = LEFT + (index as f64 + 0.5) * slot;
                // The first and last labels stay inside the drawing.
                let (x, anchor) = if every {
                    (centre, "middle")
                } else if index == 0 {
                    (LEFT, "start")
                } else if index + 1 == days.len() {
                    (width - 8.0, "end")
                } else {
                    (centre, "middle")
                };
                view! { <text class="tick" x=x y=height - 6.0 text-anchor=anchor>{short_day(&day.day)}</text> }
            })
            .collect_view();
        let base = TOP + VOLUME_HEIGHT;
        view! {
            <line class="gridline" x1=LEFT y1=TOP x2=width - 8.0 y2=TOP/>
            <line class="axis" x1=LEFT y1=base x2=width - 8.0 y2=base/>
            <text class="tick" x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{max}</text>
            <text class="tick" x=LEFT - 6.0 y=base + 4.0 text-anchor="end">"0"</text>
            {bars}
            {ticks}
        }
        .into_any()
    };
    view! {
        <figure class="chart wide">
            <figcaption>"Requests created and closed per day"</figcaption>
            <div class="plot" node_ref=node>
                <svg id="chart-volume" role="img" aria-label=label
                    viewBox=move || format!("0 0 {} {height}", width.get())
                    width=move || width.get() height=height>
                    {drawing}
                </svg>
            </div>
            {(!empty).then(|| view! {
                <p class="legend"><span class="key s1"></span>"Created (left bar) "<span class="key s2"></span>"Closed (right bar)"</p>
            <details>
                <summary>"Data table"</summary>
                <table><thead><tr><th scope="col">"Day"</th><th scope="col">"Created"</th><th scope="col">"Closed"</th></tr></thead>
                <tbody>{rows}</tbody></table>
            </details>
            })}
        </figure>
    }
}

/// `2026-11-26` as `Nov 26`: the axis has room for a short date only. Other text is kept.
fn short_day(day: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = day.splitn(3, '-');
    let (_, month, date) = (parts.next(), parts.next(), parts.next());
    match (
        month.and_then(|m| m.parse::<usize>().ok()),
        date.and_then(|d| d.parse::<u32>().ok()),
    ) {
        (Some(month @ 1..=12), Some(date)) => format!("{} {date}", MONTHS[month - 1]),
        _ => day.to_owned(),
    }
}

#[component]
fn BacklogChart(data: Data, labels: HashMap<String, String>) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let width = measured_width(node);
    let mut rows = data.backlog;
    for row in &mut rows {
        if let Some(label) = labels.get(&row.status) {
            row.status = label.clone();
        }
    }
    let max = scale_max(rows.iter().map(|r| r.total as f64));
    let summary = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} (<1d {}, 1-3d {}, 3-7d {}, >7d {})",
                r.status, r.total, r.under1d, r.d1to3, r.d3to7, r.over7d
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let label = chart_label("Backlog by status and age", summary, "no open requests");
    let empty = rows.is_empty();
    let height = rows_height(rows.len());
    let table = rows
        .iter()
        .map(|r| view! {
            <tr><th scope="row">{r.status.clone()}</th><td>{format::word(&r.category)}</td><td>{r.total}</td>
            <td>{r.under1d}</td><td>{r.d1to3}</td><td>{r.d3to7}</td><td>{r.over7d}</td></tr>
        })
        .collect_view();
    let drawing = move || {
        let width = width.get();
        if rows.is_empty() {
            return empty_message(width, height, "No open requests").into_any();
        }
        // Each row: the status on a line, the stacked bar under it with the total at its end.
        // Labels above the bars leave the whole width to the bars on narrow screens.
        let plot = width - 48.0;
        rows.iter()
            .enumerate()
            .map(|(index, row)| {
                let y = index as f64 * ROW + 14.0;
                let mut x = 0.0;
                let segments = [
                    ("s1", row.under1d, "under 1 day"),
                    ("s2", row.d1to3, "1 to 3 days"),
                    ("s3", row.d3to7, "3 to 7 days"),
                    ("s4", row.over7d, "over 7 days"),
                ]
                .into_iter()
                .filter(|(_, count, _)| *count > 0)
                .map(|(class, count, age)| {
                    let w = count as f64 / max * plot;
                    let start = x;
                    x += w;
                    view! {
                        <rect class=class x=start y=y + 6.0 width=w height=BAR>
                            <title>{format!("{}: {count} open {age}", row.status)}</title>
                        </rect>
                    }
                })
                .collect_view();
                view! {
                    <g>
                        <text x=0 y=y>{row.status.clone()}</text>
                        {segments}
                        <text class="value" x=x + 6.0 y=y + 6.0 + BAR / 2.0 dominant-baseline="middle">{row.total}</text>
                    </g>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <figure class="chart">
            <figcaption>"Open requests by status and age"</figcaption>
            <div class="plot" node_ref=node>
                <svg id="chart-backlog" role="img" aria-label=label
                    viewBox=move || format!("0 0 {} {height}", width.get())
                    width=move || width.get() height=height>
                    {drawing}
                </svg>
            </div>
            {(!empty).then(|| view! {
                <p class="legend">
                <span class="key s1"></span>"under 1 day "<span class="key s2"></span>"1-3 days "
                <span class="key s3"></span>"3-7 days "<span class="key s4"></span>"over 7 days (left to right)"
            </p>
            <details>
                <summary>"Data table"</summary>
                <table><thead><tr><th scope="col">"Status"</th><th scope="col">"Category"</th><th scope="col">"Total"</th>
                <th scope="col">"<1d"</th><th scope="col">"1-3d"</th><th scope="col">"3-7d"</th><th scope="col">">7d"</th></tr></thead>
                <tbody>{table}</tbody></table>
            </details>
            })}
        </figure>
    }
}

#[component]
fn CycleChart(data: Data, labels: HashMap<String, String>) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let width = measured_width(node);
    let mut rows = data.cycle_time;
    for row in &mut rows {
        if let Some(name) = labels.get(&row.workflow) {
            row.workflow = name.clone();
        }
    }
    let max = scale_max(rows.iter().map(|r| r.p90_hours.max(r.p50_hours)));
    let summary = rows
        .iter()
        .map(|r| {
            format!(
                "{} {}: p50 {}, p90 {} ({} closed)",
                r.workflow,
                format::word(&r.priority),
                format::duration(r.p50_hours),
                format::duration(r.p90_hours),
                r.count
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let label = chart_label(
        "Cycle time by workflow and priority",
        summary,
        "no closed requests yet",
    );
    let empty = rows.is_empty();
    let height = rows_height(rows.len());
    let table = rows
        .iter()
        .map(|r| view! {
            <tr><th scope="row">{r.workflow.clone()}</th><td>{format::word(&r.priority)}</td><td>{r.count}</td>
            <td>{format::duration(r.p50_hours)}</td><td>{format::duration(r.p90_hours)}</td></tr>
        })
        .collect_view();
    let drawing = move || {
        let width = width.get();
        if rows.is_empty() {
            return empty_message(width, height, "No closed requests yet").into_any();
        }
        // Room right of the longest bar for its values ("p50 40 min · p90 2.5 h").
        let plot = (width - 170.0).max(80.0);
        rows.iter()
            .enumerate()
            .map(|(index, row)| {
                let y = index as f64 * ROW + 14.0;
                // A visible sliver even for requests closed within minutes.
                let w50 = (row.p50_hours / max * plot).max(2.0);
                let w90 = (row.p90_hours / max * plot).max(2.0);
                let name = format!("{} · {}", row.workflow, format::word(&row.priority));
                let values = format!(
                    "p50 {} · p90 {}",
                    format::duration(row.p50_hours),
                    format::duration(row.p90_hours)
                );
                view! {
                    <g>
                        <text x=0 y=y>{name}</text>
                        <rect class="s2" x=0 y=y + 6.0 width=w90 height=BAR>
                            <title>{format!("p90 {}", format::duration(row.p90_hours))}</title>
                        </rect>
                        <rect class="s1" x=0 y=y + 11.0 width=w50 height=BAR - 10.0>
                            <title>{format!("p50 {}", format::duration(row.p50_hours))}</title>
                        </rect>
                        <text class="value" x=w90.max(w50) + 6.0 y=y + 6.0 + BAR / 2.0 dominant-baseline="middle">{values}</text>
                    </g>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <figure class="chart">
            <figcaption>"Cycle time by workflow and priority"</figcaption>
            <div class="plot" node_ref=node>
                <svg id="chart-cycle-time" role="img" aria-label=label
                    viewBox=move || format!("0 0 {} {height}", width.get())
                    width=move || width.get() height=height>
                    {drawing}
                </svg>
            </div>
            {(!empty).then(|| view! {
                <p class="legend"><span class="key s1"></span>"p50, half closed within (inner) "<span class="key s2"></span>"p90 (outer)"</p>
            <details>
                <summary>"Data table"</summary>
                <table><thead><tr><th scope="col">"Workflow"</th><th scope="col">"Priority"</th><th scope="col">"Closed"</th>
                <th scope="col">"p50"</th><th scope="col">"p90"</th></tr></thead>
                <tbody>{table}</tbody></table>
            </details>
            })}
        </figure>
    }
}
