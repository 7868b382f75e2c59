//! `/`: what is waiting on the signed-in user: their open requests, the approvals waiting for
//! their decision, and how many requests are in each of their teams' queues.

use leptos::prelude::*;

use crate::api::{self, ops};
use crate::app::use_auth;
use crate::components::feedback::{ErrorView, load};
use crate::format;

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = use_auth();
    let mine = LocalResource::new(|| {
        api::run::<ops::Requests>(ops::requests::Variables {
            filter: Some(ops::requests::RequestFilter {
                requester: Some("me".to_owned()),
                ..Default::default()
            }),
            first: Some(50),
            after: None,
        })
    });
    let assigned = LocalResource::new(|| {
        api::run::<ops::Requests>(ops::requests::Variables {
            filter: Some(ops::requests::RequestFilter {
                assignee: Some("me".to_owned()),
                ..Default::default()
            }),
            first: Some(50),
            after: None,
        })
    });
    let approvals =
        LocalResource::new(|| api::run::<ops::MyApprovals>(ops::my_approvals::Variables));
    // One count query per team: `totalCount` is a single COUNT on the server.
    let queues = LocalResource::new(move || {
        let teams: Vec<(String, String)> = auth
            .me
            .get()
            .and_then(Result::ok)
            .and_then(|data| data.me)
            .map(|me| me.teams.into_iter().map(|t| (t.key, t.name)).collect())
            .unwrap_or_default();
        async move {
            let mut counts = Vec::new();
            for (key, name) in teams {
                // Open = all minus done: the filter takes one category at a time.
                let count = |category: Option<ops::requests::StatusCategory>| {
                    api::run::<ops::Requests>(ops::requests::Variables {
                        filter: Some(ops::requests::RequestFilter {
                            team: Some(key.clone()),
                            category,
                            ..Default::default()
                        }),
                        first: Some(1),
                        after: None,
                    })
                };
                let total = count(None).await?.requests.total_count;
                let done = count(Some(ops::requests::StatusCategory::DONE))
                    .await?
                    .requests
                    .total_count;
                counts.push((key, name, total, total - done));
            }
            Ok::<_, api::ApiError>(counts)
        }
    });

    view! {
        <h1>"Home"</h1>
        <div class="grid">
            <section class="card" aria-labelledby="mine-h">
                <h2 id="mine-h">"My open requests"</h2>
                {load(mine, move |data| {
                    let empty = view! {
                        <p class="empty">"You have no open requests. "
                            {auth.can("request.submit").then(|| view! { <a href="/new">"Start one"</a> })}
                        </p>
                    };
                    request_list(data, "mine", empty.into_any())
                })}
            </section>
            <Show when=move || auth.can("request.work")>
                <section class="card" aria-labelledby="assigned-h">
                    <h2 id="assigned-h">"Assigned to me"</h2>
                    {load(assigned, |data| {
                        let empty = view! {
                            <p class="empty">"Nothing is assigned to you. " <a href="/queue?assignee=none">"Unassigned requests"</a></p>
                        };
                        request_list(data, "assigned", empty.into_any())
                    })}
                </section>
            </Show>
            <section class="card" aria-labelledby="approvals-h">
                <h2 id="approvals-h">"Waiting for my approval"</h2>
                {load(approvals, |data| {
                    if data.my_approvals.is_empty() {
                        return view! { <p class="empty">"Nothing waits for your decision."</p> }.into_any();
                    }
                    let count = format::plural(data.my_approvals.len() as i64, "request waits", "requests wait");
                    view! {
                        <p class="count" data-count="approvals">{format!("{count} for your decision.")}</p>
                        <ul class="list">
                            {data.my_approvals.into_iter().map(|task| view! {
                                <li>
                                    <a href=format!("/requests/{}", task.request.number)>
                                        {task.request.number.clone()}" "{task.request.title.clone()}
                                    </a>
                                    <span class="muted">"step: "{task.step.clone()}", from "{task.request.requester.name.clone()}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                        <p><a href="/approvals">"All approvals"</a></p>
                    }.into_any()
                })}
            </section>
            <section class="card" aria-labelledby="queues-h">
                <h2 id="queues-h">"My teams' queues"</h2>
                {move || match queues.get() {
                    None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
                    Some(Err(error)) => view! { <ErrorView error/> }.into_any(),
                    Some(Ok(counts)) if counts.is_empty() => view! {
                        <p class="empty">"You are not in any team, so no queue is yours. "
                            <a href="/queue">"All requests you may see"</a></p>
                    }.into_any(),
                    Some(Ok(counts)) => view! {
                        <ul class="list">
                            {counts.into_iter().map(|(key, name, total, open)| view! {
                                <li>
                                    <a href=format!("/queue?team={key}")>{name}</a>
                                    <span class="count" data-team=key>{open}" open"</span>
                                    <span class="muted">{format!("{total} in all")}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
            </section>
        </div>
    }
}

/// The open requests of a list (done ones left out), with their count, or `empty`.
fn request_list(data: ops::requests::ResponseData, key: &'static str, empty: AnyView) -> AnyView {
    let open: Vec<_> = data
        .requests
        .edges
        .into_iter()
        .map(|edge| edge.node)
        .filter(|node| format::wire(&node.status.category) != "DONE")
        .collect();
    if open.is_empty() {
        return empty;
    }
    // The page holds at most 50 requests, closed ones included: beyond that the count is a floor.
    let more = data.requests.page_info.has_next_page;
    let count = format!(
        "{}{} open.",
        format::plural(open.len() as i64, "request", "requests"),
        if more { " or more" } else { "" }
    );
    view! {
        <p class="count" data-count=key>{count}</p>
        <ul class="list">
            {open.into_iter().map(|node| view! {
                <li>
                    <a href=format!("/requests/{}", node.number)>{node.number.clone()}" "{node.title.clone()}</a>
                    <span class="status" data-category=format::wire(&node.status.category)>
                        {format::status(&node.status.label, &node.status.category)}
                    </span>
                    <span class="muted">{format::ago(&node.updated_at)}</span>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}
