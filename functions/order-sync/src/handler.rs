//! The order-sync Lambda: one scheduled reconciliation run of [`OrderSync`] (searchOrders and
//! the refunds poll for every seller; see `autopilot_shared::capture`). The schedule's event
//! carries nothing the run needs.

use std::time::Duration;

use autopilot_shared::capture::{OrderSync, OrderSyncSummary};
use autopilot_shared::lambda;
use autopilot_shared::permissions::{Grant, Resource};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

pub type Deps = OrderSync;

/// The AWS calls this function makes; the template grants exactly these (see
/// `autopilot_shared::permissions`).
pub const AWS_PERMISSIONS: &[Grant] = &[
    Grant::code(&["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"], Resource::Table),
    Grant::code(&["secretsmanager:GetSecretValue"], Resource::SellerSecrets),
];

/// Kept free at the end of each invocation to write the checkpoint and return.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

pub async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<OrderSyncSummary, Diagnostic> {
    let deadline = lambda::deadline(&event.context, DEADLINE_MARGIN);
    let summary = deps.run(deadline).await.map_err(lambda::diagnostic)?;
    tracing::info!(?summary, "order sync run finished");
    Ok(summary)
}
