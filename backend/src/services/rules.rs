//! Where a workflow's rules run: its definition's validation and tests, form validation,
//! routing and guards are pure CPU work (`handoff_shared`), so they run on the blocking pool
//! rather than on the async runtime, within a time budget.
//!
//! Each expression has a step budget of its own (`handoff_shared::expr::MAX_EXPRESSION_STEPS`)
//! and a definition's conditions together a bounded cost (`MAX_DEFINITION_STEPS`), so the
//! work is bounded before it starts; the time budget is what the client can rely on whatever
//! the machine's speed. A budget that runs out answers `INVALID_DEFINITION`: the workflow's
//! rules are at fault, not the input. The work itself cannot be cancelled and finishes in the
//! background, bounded by the step budgets.

use std::time::Duration;

use handoff_shared::Problem;

use crate::error::{AppError, AppResult};

/// How long the rules of one operation may take before the client gets an answer.
pub const RULES_TIME_BUDGET: Duration = Duration::from_secs(2);

/// Runs `work` on the blocking pool and waits at most [`RULES_TIME_BUDGET`] for it.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let task = tokio::task::spawn_blocking(work);
    match tokio::time::timeout(RULES_TIME_BUDGET, task).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(join)) => Err(AppError::Internal(
            anyhow::Error::new(join).context("evaluating a workflow's rules"),
        )),
        Err(_) => Err(AppError::InvalidDefinition(vec![Problem::new(
            "",
            format!(
                "the workflow's rules took longer than {} s to evaluate; simplify its conditions",
                RULES_TIME_BUDGET.as_secs()
            ),
        )])),
    }
}
