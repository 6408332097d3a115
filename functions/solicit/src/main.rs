//! Wiring only: configuration and clients into a [`Dispatcher`]; `handler.rs` adapts each
//! invocation to it.

use autopilot_shared::dispatch::{DispatchSettings, Dispatcher};
use autopilot_shared::runtime::{Clients, init_logging};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let clients = Clients::from_env().await?;
    let deps = Dispatcher {
        orders: clients.store.clone(),
        due: clients.store.clone(),
        outcomes: clients.store.clone(),
        sellers: clients.store.clone(),
        events: clients.event_bus()?,
        api: clients.sp_api(),
        clock: clients.clock.clone(),
        settings: DispatchSettings::default(),
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event| solicit::handle(deps, event))).await
}
