//! Wiring only: configuration, clients and ports; the logic is in `handler.rs`.

use std::sync::Arc;

use autopilot_shared::alerts::{Alerts, SesMailer};
use autopilot_shared::domain::SystemClock;
use autopilot_shared::runtime::{ConfigError, RuntimeConfig, init_logging};
use autopilot_shared::store::{DynamoStore, StoreConfig};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let config = RuntimeConfig::from_env()?;
    let from = std::env::var("AUTOPILOT_MAIL_FROM").map_err(|_| ConfigError::Missing("AUTOPILOT_MAIL_FROM"))?;
    let clock = Arc::new(SystemClock);
    let store =
        Arc::new(DynamoStore::connect(&config.dynamodb_sdk().await, StoreConfig::new(&config.table), clock.clone()));
    let deps = Alerts {
        sellers: store.clone(),
        ledger: store.clone(),
        digest_log: store.clone(),
        ratings: store,
        mailer: Arc::new(SesMailer::new(&config.aws_sdk().await)),
        clock,
        from,
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async move {
        let handled = alerts::handle(deps, event.payload).await?;
        Ok::<_, Error>(serde_json::json!({"sent": handled.mails_sent()}))
    }))
    .await
}
