//! Wiring only: configuration and clients into an [`OrderSync`]; `handler.rs` adapts each
//! invocation to it.

use autopilot_shared::capture::{OrderSync, SyncSettings};
use autopilot_shared::runtime::{Clients, init_logging};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let clients = Clients::from_env().await?;
    let deps = OrderSync {
        api: clients.sp_api(),
        orders: clients.store.clone(),
        sellers: clients.store.clone(),
        checkpoints: clients.store.clone(),
        volume: clients.store.clone(),
        outcomes: clients.store.clone(),
        clock: clients.clock.clone(),
        settings: SyncSettings::default(),
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event| order_sync::handle(deps, event))).await
}
