//! `/approvals`: the approval steps waiting for the signed-in user, decided in place.

use leptos::prelude::*;

use crate::api::{self, ApiError, ops};
use crate::components::feedback::{MaybeError, load};
use crate::format;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let tasks = LocalResource::new(|| api::run::<ops::MyApprovals>(ops::my_approvals::Variables));
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let decide =
        move |request_id: String, number: String, version: i64, approve: bool, comment: String| {
            if busy.get_untracked() {
                return;
            }
            busy.set(true);
            error.set(None);
            let comment = comment.trim().to_owned();
            let input = ops::decide::DecisionInput {
                request_id,
                approve,
                comment: (!comment.is_empty()).then_some(comment),
                expected_version: Some(version),
            };
            leptos::task::spawn_local(async move {
                match api::run::<ops::Decide>(ops::decide::Variables { input }).await {
                    Ok(_) => {
                        let verdict = if approve { "Approved" } else { "Rejected" };
                        done.set(Some(format!("{verdict} {number}.")));
                        tasks.refetch();
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        };

    view! {
        <h1>"Approvals"</h1>
        <p class="notice" role="status" aria-live="polite">{move || done.get()}</p>
        <MaybeError error/>
        {load(tasks, move |data| {
            if data.my_approvals.is_empty() {
                return view! { <p class="empty">"Nothing is waiting for your decision."</p> }.into_any();
            }
            view! {
                <ul class="approvals">
                    {data.my_approvals.into_iter().map(|task| {
                        let request = task.request;
                        let comment = RwSignal::new(String::new());
                        let comment_id = format!("decision-comment-{}", request.number);
                        let (id_a, num_a) = (request.id.clone(), request.number.clone());
                        let (id_r, num_r) = (request.id.clone(), request.number.clone());
                        let version = request.version;
                        view! {
                            <li class="card" data-approval=request.number.clone()>
                                <h2>
                                    <a href=format!("/requests/{}", request.number)>{request.number.clone()}" "{request.title.clone()}</a>
                                </h2>
                                <p>
                                    {request.workflow.name.clone()}" · step "<strong>{task.step.clone()}</strong>
                                    " · from "{request.requester.name.clone()}
                                    " · priority "{format::word(&request.priority)}
                                    " · "{request.status.label.clone()}
                                </p>
                                <div class="field">
                                    <label for=comment_id.clone()>"Comment (optional)"</label>
                                    <textarea id=comment_id rows="2" bind:value=comment></textarea>
                                </div>
                                <button type="button" class="approve" disabled=move || busy.get()
                                    on:click=move |_| decide(id_a.clone(), num_a.clone(), version, true, comment.get_untracked())>
                                    "Approve"
                                </button>
                                " "
                                <button type="button" class="reject danger" disabled=move || busy.get()
                                    on:click=move |_| decide(id_r.clone(), num_r.clone(), version, false, comment.get_untracked())>
                                    "Reject"
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}
