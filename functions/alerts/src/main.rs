//! Wiring only: configuration and clients into [`Alerts`]; `handler.rs` adapts each
//! invocation (a bus event or the digest schedule) to it.

use autopilot_shared::alerts::Alerts;
use autopilot_shared::runtime::{Clients, init_logging};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let clients = Clients::from_env().await?;
    let (mailer, from) = clients.mailer()?;
    let deps = Alerts {
        sellers: clients.store.clone(),
        ledger: clients.store.clone(),
        digest_log: clients.store.clone(),
        ratings: clients.store.clone(),
        mailer,
        clock: clients.clock.clone(),
        from,
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event| alerts::handle(deps, event))).await
}
