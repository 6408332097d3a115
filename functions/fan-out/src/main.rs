//! Wiring only: the seller directory and each job's work queue into the coordinator;
//! `handler.rs` adapts each invocation to it.

use std::collections::BTreeMap;
use std::sync::Arc;

use autopilot_shared::fanout::{FanOut, Job, SqsWorkQueue, WorkQueue};
use autopilot_shared::runtime::{Clients, ConfigError, init_logging};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let clients = Clients::from_env().await?;
    // One SQS client for the four queues.
    let sqs = aws_sdk_sqs::Client::new(&clients.aws);
    let mut queues: BTreeMap<Job, Arc<dyn WorkQueue>> = BTreeMap::new();
    for job in Job::ALL {
        let url = std::env::var(job.queue_variable()).map_err(|_| ConfigError::Missing(job.queue_variable()))?;
        queues.insert(job, Arc::new(SqsWorkQueue::on(sqs.clone(), &url)));
    }
    let deps =
        fan_out::Deps { fan_out: FanOut { sellers: clients.store.clone(), clock: clients.clock.clone() }, queues };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event| fan_out::handle(deps, event))).await
}
