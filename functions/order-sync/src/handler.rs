//! The order-sync Lambda: one scheduled reconciliation run of [`OrderSync`] (searchOrders and
//! the refunds poll for every seller; see `autopilot_shared::capture`). The schedule's event
//! carries nothing the run needs.

use std::time::Duration;

use autopilot_shared::capture::{OrderSync, OrderSyncSummary};
use autopilot_shared::lambda;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

pub type Deps = OrderSync;

/// Kept free at the end of each invocation to write the checkpoint and return.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

pub async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<OrderSyncSummary, Diagnostic> {
    let deadline = lambda::deadline(&event.context, DEADLINE_MARGIN);
    let summary = deps.run(deadline).await.map_err(lambda::diagnostic)?;
    tracing::info!(?summary, "order sync run finished");
    Ok(summary)
}
