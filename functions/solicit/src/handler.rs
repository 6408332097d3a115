//! The solicit Lambda: one scheduled dispatch run. Everything it does is in
//! `autopilot_shared::dispatch`; this crate only names the run and returns its summary.

use autopilot_shared::dispatch::{DispatchSummary, Dispatcher};
use autopilot_shared::store::StoreError;
use tokio::time::Instant;

/// What a run needs: the dispatcher, built once per process so SP-API tokens and rate-limit
/// buckets stay warm across invocations.
pub type Deps = Dispatcher;

/// One run, its claims named after `run_id` (the Lambda request id).
pub async fn handle(deps: &Deps, run_id: &str, deadline: Instant) -> Result<DispatchSummary, StoreError> {
    deps.run(run_id, deadline).await
}
