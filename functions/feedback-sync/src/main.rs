//! Wiring only: configuration and clients into a [`FeedbackSync`]; `handler.rs` adapts each
//! invocation (schedule or queue batch) to it.

use autopilot_shared::feedback_sync::{FeedbackSync, SyncSettings};
use autopilot_shared::runtime::{Clients, init_logging};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let clients = Clients::from_env().await?;
    let deps = FeedbackSync {
        store: clients.store.clone(),
        events: clients.event_bus()?,
        api: clients.sp_api(),
        clock: clients.clock.clone(),
        settings: SyncSettings::default(),
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event| feedback_sync::handle(deps, event))).await
}
