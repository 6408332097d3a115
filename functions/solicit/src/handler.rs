//! The solicit Lambda: one scheduled dispatch run of [`Dispatcher`] (see
//! `autopilot_shared::dispatch`). The schedule's event carries nothing the run needs: the run
//! is named after the request id and ends before Lambda's deadline.

use std::time::Duration;

use autopilot_shared::dispatch::{DispatchSummary, Dispatcher};
use autopilot_shared::lambda;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

pub type Deps = Dispatcher;

/// Kept free at the end of each invocation to record outcomes and publish the summary.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

pub async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<DispatchSummary, Diagnostic> {
    let deadline = lambda::deadline(&event.context, DEADLINE_MARGIN);
    let summary = deps.run(&event.context.request_id, deadline).await.map_err(lambda::diagnostic)?;
    tracing::info!(?summary, "dispatch run finished");
    Ok(summary)
}
