//! The solicit Lambda: one scheduled dispatch run of [`Dispatcher`] (see
//! `autopilot_shared::dispatch`). The schedule's event carries nothing the run needs: the run
//! is named after the request id and ends before Lambda's deadline.

use std::time::Duration;

use autopilot_shared::dispatch::{DispatchSummary, Dispatcher};
use autopilot_shared::lambda;
use autopilot_shared::permissions::{Grant, Resource};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

pub type Deps = Dispatcher;

/// The AWS calls this function makes; the template grants exactly these (see
/// `autopilot_shared::permissions`).
pub const AWS_PERMISSIONS: &[Grant] = &[
    // UpdateItem: each run's outcomes counted per seller, marketplace and day (`autopilot status`).
    Grant::code(&["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"], Resource::Table),
    Grant::code(&["dynamodb:Query"], Resource::DueIndex),
    Grant::code(&["secretsmanager:GetSecretValue"], Resource::SellerSecrets),
    Grant::code(&["events:PutEvents"], Resource::EventBus),
];

/// Kept free at the end of each invocation to record outcomes and publish the summary.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

pub async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<DispatchSummary, Diagnostic> {
    let deadline = lambda::deadline(&event.context, DEADLINE_MARGIN);
    let summary = deps.run(&event.context.request_id, deadline).await.map_err(lambda::diagnostic)?;
    tracing::info!(?summary, "dispatch run finished");
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use autopilot_shared::dispatch::DispatchSettings;
    use autopilot_shared::domain::ManualClock;
    use autopilot_shared::fakes::fixtures::at;
    use autopilot_shared::fakes::{FakeAmazon, FakeSpApi, MemoryBus, MemoryStore};
    use tokio::time::Instant;

    use super::*;

    fn deps(store: Arc<MemoryStore>) -> Deps {
        Dispatcher {
            orders: store.clone(),
            due: store.clone(),
            outcomes: store.clone(),
            sellers: store,
            events: MemoryBus::new(),
            api: Arc::new(FakeSpApi(FakeAmazon::new())),
            clock: Arc::new(ManualClock::new(at("2026-03-12T00:00:00Z"))),
            settings: DispatchSettings::default(),
        }
    }

    fn scheduled() -> LambdaEvent<Value> {
        let deadline = Instant::now() + Duration::from_secs(40);
        lambda::invocation(serde_json::json!({"detail-type": "Scheduled Event"}), "req-7", deadline)
    }

    #[tokio::test]
    async fn a_run_is_named_after_the_request() {
        let summary = handle(&deps(MemoryStore::new()), scheduled()).await.unwrap();
        assert_eq!(summary.dispatcher, "req-7");
    }

    #[tokio::test]
    async fn a_failed_run_reports_what_failed_not_a_rust_type() {
        let store = MemoryStore::new();
        store.set_unavailable(true);
        let failed = handle(&deps(store), scheduled()).await.unwrap_err();
        assert_eq!(failed.error_type, "StoreUnavailable");
        assert!(failed.error_message.contains("DynamoDB Query failed"), "{}", failed.error_message);
    }
}
