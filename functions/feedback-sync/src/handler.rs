//! The feedback-sync Lambda. Two triggers, one function:
//! - the schedule (an EventBridge Scheduler/rule event): a run over every seller and
//!   marketplace (request reports, poll late ones, follow-up, snapshots);
//! - SQS batches of REPORT_PROCESSING_FINISHED notifications: apply the finished report at
//!   once. Each message is handled on its own; a failed one is reported in
//!   `batchItemFailures` so SQS retries it (then moves it to the DLQ) while the rest goes on.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use serde_json::Value;
use thiserror::Error;
use tokio::time::Instant;

use autopilot_shared::feedback_sync::{FeedbackSync, NotificationOutcome, SyncError, SyncSummary};
use autopilot_shared::notifications::{ParseError, parse_report_finished};
use autopilot_shared::store::StoreError;

pub type Deps = FeedbackSync;

#[derive(Debug, Error)]
pub enum MessageError {
    #[error("malformed notification: {0}")]
    Malformed(#[from] ParseError),
    #[error("message has no body")]
    NoBody,
    #[error(transparent)]
    Sync(#[from] SyncError),
}

#[derive(Debug, Error)]
pub enum HandlerError {
    #[error("the SQS event could not be read: {0}")]
    BadEvent(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the response could not be encoded: {0}")]
    Encode(String),
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutcome {
    Report(NotificationOutcome),
    /// Another notification type: acknowledged and ignored.
    OtherType,
}

pub async fn handle_message(
    deps: &Deps,
    worker: &str,
    body: Option<&str>,
    deadline: Instant,
) -> Result<(MessageOutcome, SyncSummary), MessageError> {
    let body = body.ok_or(MessageError::NoBody)?;
    let Some(notice) = parse_report_finished(body)? else {
        return Ok((MessageOutcome::OtherType, SyncSummary::default()));
    };
    let (outcome, summary) = deps.on_report_finished(worker, &notice, deadline).await?;
    tracing::info!(seller = %notice.seller_id, report_id = notice.report_id, status = ?notice.status, ?outcome, "report notification");
    Ok((MessageOutcome::Report(outcome), summary))
}

pub async fn handle_batch(deps: &Deps, worker: &str, event: SqsEvent, deadline: Instant) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        if let Err(err) = handle_message(deps, worker, message.body.as_deref(), deadline).await {
            tracing::error!(message_id = %id, error = %err, "message failed; SQS will retry it, then move it to the DLQ");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// One invocation: an SQS batch (it has `Records`) or a scheduled run (anything else).
pub async fn handle(deps: &Deps, worker: &str, event: Value, deadline: Instant) -> Result<Value, HandlerError> {
    if event.get("Records").is_some() {
        let batch: SqsEvent = serde_json::from_value(event).map_err(|err| HandlerError::BadEvent(err.to_string()))?;
        let response = handle_batch(deps, worker, batch, deadline).await;
        return serde_json::to_value(response).map_err(|err| HandlerError::Encode(err.to_string()));
    }
    let summary = deps.run(worker, deadline).await?;
    tracing::info!(?summary, "feedback sync run finished");
    serde_json::to_value(summary).map_err(|err| HandlerError::Encode(err.to_string()))
}
