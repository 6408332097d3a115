//! Wiring only: configuration, clients and the recorder; the logic is in `handler.rs`.

use std::sync::Arc;

use autopilot_shared::capture::OrderRecorder;
use autopilot_shared::domain::SystemClock;
use autopilot_shared::runtime::{RuntimeConfig, init_logging};
use autopilot_shared::store::{DynamoStore, StoreConfig};
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let config = RuntimeConfig::from_env()?;
    let store = Arc::new(DynamoStore::connect(
        &config.dynamodb_sdk().await,
        StoreConfig::new(&config.table),
        Arc::new(SystemClock),
    ));
    let store = &store;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        // A recorder per batch: seller policies are read once per batch, never kept stale.
        let recorder = OrderRecorder::new(store.clone(), store.clone());
        Ok::<_, Error>(order_events::handle_batch(&recorder, event.payload).await)
    }))
    .await
}
