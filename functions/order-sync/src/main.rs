//! Wiring only: configuration, clients and ports; the logic is in `handler.rs`.

use std::sync::Arc;
use std::time::Duration;

use autopilot_shared::capture::SyncSettings;
use autopilot_shared::domain::SystemClock;
use autopilot_shared::runtime::{RuntimeConfig, init_logging};
use autopilot_shared::spapi::{SecretsManagerCredentials, SpApi, deadline_from_epoch_millis};
use autopilot_shared::store::{DynamoStore, StoreConfig};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use order_sync::Deps;

/// Kept free at the end of each invocation to write the checkpoint and return.
const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let config = RuntimeConfig::from_env()?;
    let clock = Arc::new(SystemClock);
    let store =
        Arc::new(DynamoStore::connect(&config.dynamodb_sdk().await, StoreConfig::new(&config.table), clock.clone()));
    let credentials = Arc::new(SecretsManagerCredentials::new(&config.aws_sdk().await));
    // Built once: tokens and rate-limit buckets survive warm invocations.
    let deps = Deps {
        api: Arc::new(SpApi::new(config.spapi_config(), credentials, clock.clone())),
        orders: store.clone(),
        sellers: store.clone(),
        checkpoints: store,
        clock,
        settings: SyncSettings::default(),
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let deadline = deadline_from_epoch_millis(event.context.deadline, DEADLINE_MARGIN);
        let summary = order_sync::handle(deps, deadline).await?;
        tracing::info!(?summary, "order sync run finished");
        Ok::<_, Error>(summary)
    }))
    .await
}
