//! The order-sync Lambda: reconciliation runs of [`OrderSync`] (searchOrders and the refunds
//! poll; see `autopilot_shared::capture`). Two triggers:
//! - SQS batches of work units from the fan-out coordinator (`autopilot_shared::fanout`): a run
//!   over the sellers they name (the deployed path);
//! - any other event (a schedule): one run over every seller, for small deployments and local
//!   runs.

use std::time::Duration;

use autopilot_shared::capture::{OrderSync, OrderSyncSummary};
use autopilot_shared::fanout::{self, Job, WorkDone};
use autopilot_shared::lambda;
use autopilot_shared::permissions::{Grant, Resource};
use lambda_runtime::{Diagnostic, LambdaEvent};

pub type Deps = OrderSync;

/// The AWS calls this function makes; the template grants exactly these (see
/// `autopilot_shared::permissions`).
pub const AWS_PERMISSIONS: &[Grant] = &[
    Grant::code(&["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"], Resource::Table),
    Grant::code(&["secretsmanager:GetSecretValue"], Resource::SellerSecrets),
];

/// Kept free at the end of each invocation to write the checkpoint and return.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

/// A batch of work units, or the schedule (see `autopilot_shared::fanout::WorkerTrigger`).
pub type Trigger = fanout::WorkerTrigger;

/// The batch's messages that were not units, or the run's summary.
pub type Answer = fanout::WorkerAnswer<OrderSyncSummary>;

pub async fn handle(deps: &Deps, event: LambdaEvent<Trigger>) -> Result<Answer, Diagnostic> {
    let deadline = lambda::deadline(&event.context, DEADLINE_MARGIN);
    match event.payload {
        Trigger::Work(batch) => {
            let (batch, sellers) = fanout::take_batch(batch, Job::OrderSync, deps.sellers.as_ref(), deps.clock.now())
                .await
                .map_err(lambda::diagnostic)?;
            let summary = deps.run_sellers(&sellers, deadline).await;
            tracing::info!(units = batch.units.len(), ?summary, "order sync run finished");
            Ok(Answer::Batch(WorkDone { response: batch.response, summary }))
        }
        Trigger::Schedule(_) => {
            let summary = deps.run(deadline).await.map_err(lambda::diagnostic)?;
            tracing::info!(?summary, "order sync run finished");
            Ok(Answer::Run(summary))
        }
    }
}
