//! Wiring only: configuration, clients and ports; the logic is in `handler.rs`.

use std::sync::Arc;
use std::time::Duration;

use autopilot_shared::domain::SystemClock;
use autopilot_shared::events::EventBridgePublisher;
use autopilot_shared::feedback_sync::{FeedbackSync, SyncSettings};
use autopilot_shared::runtime::{RuntimeConfig, init_logging};
use autopilot_shared::spapi::{SecretsManagerCredentials, SpApi, deadline_from_epoch_millis};
use autopilot_shared::store::{DynamoStore, StoreConfig};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// Kept free at the end of each invocation to record what was done.
const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let config = RuntimeConfig::from_env()?;
    let clock = Arc::new(SystemClock);
    let store =
        Arc::new(DynamoStore::connect(&config.dynamodb_sdk().await, StoreConfig::new(&config.table), clock.clone()));
    let aws = config.aws_sdk().await;
    let deps = FeedbackSync {
        store,
        events: Arc::new(EventBridgePublisher::new(&aws, config.required_event_bus()?)),
        api: Arc::new(SpApi::new(config.spapi_config(), Arc::new(SecretsManagerCredentials::new(&aws)), clock.clone())),
        clock,
        settings: SyncSettings::default(),
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let deadline = deadline_from_epoch_millis(event.context.deadline, DEADLINE_MARGIN);
        Ok::<_, Error>(feedback_sync::handle(deps, &event.context.request_id, event.payload, deadline).await?)
    }))
    .await
}
