//! Wiring only: configuration and the store into an [`OrderRecorder`]; `handler.rs` adapts
//! each SQS batch to it.

use autopilot_shared::capture::OrderRecorder;
use autopilot_shared::runtime::{Clients, init_logging};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let clients = Clients::from_env().await?;
    let deps =
        OrderRecorder::new(clients.store.clone(), clients.store.clone()).counting_outcomes(clients.store.clone());
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event| order_events::handle(deps, event))).await
}
