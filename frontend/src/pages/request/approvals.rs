//! The request page's approval steps, with the decision form for the current approver.

use super::*;

#[component]
pub(super) fn Approvals(request: Detail, me_id: String, actions: Actions) -> impl IntoView {
    if request.approvals.is_empty() {
        return ().into_any();
    }
    let my_turn = request.approvals.iter().any(|step| {
        matches!(step.state, ApprovalState::ACTIVE)
            && step.approvers.iter().any(|a| a.id == me_id)
            && !step.decisions.iter().any(|d| d.approver.id == me_id)
    });
    let comment = RwSignal::new(String::new());
    let request_id = request.id.clone();
    let version = request.version;
    let decide = move |approve: bool| {
        let text = comment.get_untracked().trim().to_owned();
        let input = ops::decide::DecisionInput {
            request_id: request_id.clone(),
            approve,
            comment: (!text.is_empty()).then_some(text),
            expected_version: Some(version),
        };
        actions.run(
            async move {
                api::run::<ops::Decide>(ops::decide::Variables { input })
                    .await
                    .map(|_| ())
            },
            move || comment.set(String::new()),
        );
    };
    let approve = decide.clone();
    let steps = request
        .approvals
        .iter()
        .map(|step| {
            let approvers = step
                .approvers
                .iter()
                .map(|a| a.name.clone())
                .collect::<Vec<_>>()
                .join(", ");
            let approvers = if approvers.is_empty() {
                "none".to_owned()
            } else {
                approvers
            };
            let decisions = step
                .decisions
                .iter()
                .map(|d| {
                    let verdict = if d.approve { "Approved" } else { "Rejected" };
                    view! {
                        <li>
                            {format!("{verdict} by {} ", d.approver.name)}
                            <time datetime=d.at.clone()>{format::time(&d.at)}</time>
                            {d.comment.clone().map(|c| format!(": {c}"))}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li data-step=step.key.clone() data-state=format::wire(&step.state)>
                    <strong>{step.key.clone()}</strong>
                    ": " {format::word(&step.state)}
                    <span class="muted">{format!(" (policy {}, round {})", step.policy, step.round)}</span>
                    <div>"Approvers: " {approvers}</div>
                    <ul class="decisions">{decisions}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="approvals-h">
            <h2 id="approvals-h">"Approvals"</h2>
            <ol class="steps">{steps}</ol>
            {my_turn.then(|| view! {
                <div class="decision">
                    <div class="field">
                        <label for="decision-comment">"Comment on your decision (optional)"</label>
                        <textarea id="decision-comment" rows="2" bind:value=comment></textarea>
                    </div>
                    <button id="approve" type="button" on:click=move |_| approve(true)
                        disabled=move || actions.busy.get()>"Approve"</button>
                    " "
                    <button id="reject" type="button" class="danger" on:click=move |_| decide(false)
                        disabled=move || actions.busy.get()>"Reject"</button>
                </div>
            })}
        </section>
    }
    .into_any()
}
