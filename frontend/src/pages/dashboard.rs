//! `/dashboard`: volume, backlog with aging, cycle time and rework, drawn as plain SVG.
//!
//! The charts are simple enough that a chart crate would cost more (size, API churn) than it
//! saves. Each chart carries an `aria-label` summary and a data table with the exact numbers,
//! so nothing is conveyed by shape or colour alone.

use leptos::prelude::*;

use crate::api::ops::dashboard::{DashboardDashboard as Data, DashboardFilter};
use crate::api::{self, ops};
use crate::app::use_auth;
use crate::components::feedback::load;
use crate::format;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const PAD: f64 = 28.0;

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
        {load(data, |data| view! { <Charts data=data.dashboard/> })}
    }
}

#[component]
fn Charts(data: Data) -> impl IntoView {
    let rate = format!("{:.1}%", data.rework_rate * 100.0);
    view! {
        <p class="muted">"Computed " {format::time(&data.generated_at)}</p>
        <div class="stats">
            <div class="stat"><span class="label">"Requests"</span><span id="dashboard-total" class="value">{data.total}</span></div>
            <div class="stat"><span class="label">"Open"</span><span class="value">{data.open}</span></div>
            <div class="stat"><span class="label">"Closed"</span><span class="value">{data.closed}</span></div>
            <div class="stat"><span class="label">"Rework rate"</span><span id="rework-rate" class="value">{rate}</span>
                <span class="muted">{format!("{} sent back", data.reworked)}</span></div>
        </div>
        <div class="charts">
            {volume_chart(&data)}
            {backlog_chart(&data)}
            {cycle_chart(&data)}
        </div>
    }
}

/// The largest value, at least 1, so empty charts do not divide by zero.
fn scale_max(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(1.0_f64, f64::max)
}

fn volume_chart(data: &Data) -> impl IntoView + use<> {
    let days = &data.volume;
    let max = scale_max(
        days.iter()
            .flat_map(|d| [d.created as f64, d.closed as f64]),
    );
    let slot = (WIDTH - 2.0 * PAD) / days.len().max(1) as f64;
    let bar = (slot / 2.0 - 1.0).max(1.0);
    let plot = HEIGHT - 2.0 * PAD;
    let created_total: i64 = days.iter().map(|d| d.created).sum();
    let closed_total: i64 = days.iter().map(|d| d.closed).sum();
    let label = format!(
        "Volume per day over {} days: {created_total} created, {closed_total} closed; peak {max} a day.",
        days.len()
    );
    let bars = days
        .iter()
        .enumerate()
        .map(|(index, day)| {
            let x = PAD + index as f64 * slot;
            let h_created = day.created as f64 / max * plot;
            let h_closed = day.closed as f64 / max * plot;
            view! {
                <g>
                    <title>{format!("{}: {} created, {} closed", day.day, day.created, day.closed)}</title>
                    <rect class="s1" x=x y=HEIGHT - PAD - h_created width=bar height=h_created/>
                    <rect class="s2" x=x + bar + 1.0 y=HEIGHT - PAD - h_closed width=bar height=h_closed/>
                </g>
            }
        })
        .collect_view();
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    let rows = days
        .iter()
        .map(|d| view! { <tr><th scope="row">{d.day.clone()}</th><td>{d.created}</td><td>{d.closed}</td></tr> })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>"Volume per day"</figcaption>
            <svg id="chart-volume" role="img" aria-label=label viewBox=format!("0 0 {WIDTH} {HEIGHT}")>
                <line class="axis" x1=PAD y1=HEIGHT - PAD x2=WIDTH - PAD y2=HEIGHT - PAD/>
                {bars}
                <text x=PAD y=HEIGHT - 8.0>{first}</text>
                <text x=WIDTH - PAD y=HEIGHT - 8.0 text-anchor="end">{last}</text>
                <text x=PAD y=PAD - 10.0>{format!("max {max}")}</text>
            </svg>
            <p class="legend"><span class="key s1"></span>"Created (left bar) "<span class="key s2"></span>"Closed (right bar)"</p>
            <details>
                <summary>"Data table"</summary>
                <table><thead><tr><th scope="col">"Day"</th><th scope="col">"Created"</th><th scope="col">"Closed"</th></tr></thead>
                <tbody>{rows}</tbody></table>
            </details>
        </figure>
    }
}

fn backlog_chart(data: &Data) -> impl IntoView + use<> {
    let rows = &data.backlog;
    let max = scale_max(rows.iter().map(|r| r.total as f64));
    let label_width = 120.0;
    let row_height = 26.0;
    let height = (rows.len().max(1) as f64) * row_height + 2.0 * PAD;
    let plot = WIDTH - label_width - PAD;
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
    let label = format!(
        "Backlog by status and age: {}",
        if summary.is_empty() {
            "empty".to_owned()
        } else {
            summary
        }
    );
    let bars = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let y = PAD + index as f64 * row_height;
            let mut x = label_width;
            let segments = [
                ("s1", row.under1d, "under 1 day"),
                ("s2", row.d1to3, "1 to 3 days"),
                ("s3", row.d3to7, "3 to 7 days"),
                ("s4", row.over7d, "over 7 days"),
            ]
            .into_iter()
            .map(|(class, count, age)| {
                let w = count as f64 / max * plot;
                let start = x;
                x += w;
                view! {
                    <rect class=class x=start y=y width=w height=row_height - 6.0>
                        <title>{format!("{}: {count} open {age}", row.status)}</title>
                    </rect>
                }
            })
            .collect_view();
            view! {
                <g>
                    <text x=label_width - 6.0 y=y + row_height / 2.0 text-anchor="end">{row.status.clone()}</text>
                    {segments}
                    <text x=x + 4.0 y=y + row_height / 2.0>{row.total}</text>
                </g>
            }
        })
        .collect_view();
    let table = rows
        .iter()
        .map(|r| view! {
            <tr><th scope="row">{r.status.clone()}</th><td>{format::word(&r.category)}</td><td>{r.total}</td>
            <td>{r.under1d}</td><td>{r.d1to3}</td><td>{r.d3to7}</td><td>{r.over7d}</td></tr>
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>"Backlog by status, by age"</figcaption>
            <svg id="chart-backlog" role="img" aria-label=label viewBox=format!("0 0 {WIDTH} {height}")>
                {bars}
            </svg>
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
        </figure>
    }
}

fn cycle_chart(data: &Data) -> impl IntoView + use<> {
    let rows = &data.cycle_time;
    let max = scale_max(rows.iter().map(|r| r.p90_hours.max(r.p50_hours)));
    let label_width = 170.0;
    let row_height = 30.0;
    let height = (rows.len().max(1) as f64) * row_height + 2.0 * PAD;
    let plot = WIDTH - label_width - PAD - 40.0;
    let summary = rows
        .iter()
        .map(|r| {
            format!(
                "{} {}: p50 {:.1} h, p90 {:.1} h ({} closed)",
                r.workflow,
                format::word(&r.priority),
                r.p50_hours,
                r.p90_hours,
                r.count
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let label = format!(
        "Cycle time by workflow and priority: {}",
        if summary.is_empty() {
            "no closed requests".to_owned()
        } else {
            summary
        }
    );
    let bars = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let y = PAD + index as f64 * row_height;
            let w50 = row.p50_hours / max * plot;
            let w90 = row.p90_hours / max * plot;
            view! {
                <g>
                    <text x=label_width - 6.0 y=y + 12.0 text-anchor="end">{format!("{} · {}", row.workflow, format::word(&row.priority))}</text>
                    <rect class="s2" x=label_width y=y width=w90 height=row_height - 8.0>
                        <title>{format!("p90 {:.1} h", row.p90_hours)}</title>
                    </rect>
                    <rect class="s1" x=label_width y=y + 5.0 width=w50 height=row_height - 18.0>
                        <title>{format!("p50 {:.1} h", row.p50_hours)}</title>
                    </rect>
                    <text x=label_width + w90.max(w50) + 4.0 y=y + 14.0>{format!("{:.1} / {:.1} h", row.p50_hours, row.p90_hours)}</text>
                </g>
            }
        })
        .collect_view();
    let table = rows
        .iter()
        .map(|r| view! {
            <tr><th scope="row">{r.workflow.clone()}</th><td>{format::word(&r.priority)}</td><td>{r.count}</td>
            <td>{format!("{:.1}", r.p50_hours)}</td><td>{format!("{:.1}", r.p90_hours)}</td></tr>
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>"Cycle time (hours), p50 inner bar, p90 outer bar"</figcaption>
            <svg id="chart-cycle-time" role="img" aria-label=label viewBox=format!("0 0 {WIDTH} {height}")>
                {bars}
            </svg>
            <p class="legend"><span class="key s1"></span>"p50 (inner) "<span class="key s2"></span>"p90 (outer)"</p>
            <details>
                <summary>"Data table"</summary>
                <table><thead><tr><th scope="col">"Workflow"</th><th scope="col">"Priority"</th><th scope="col">"Closed"</th>
                <th scope="col">"p50 h"</th><th scope="col">"p90 h"</th></tr></thead>
                <tbody>{table}</tbody></table>
            </details>
        </figure>
    }
}
