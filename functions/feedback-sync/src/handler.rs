//! The feedback-sync Lambda, driving [`FeedbackSync`] (see `autopilot_shared::feedback_sync`).
//! Three triggers, one function:
//! - SQS batches of work units from the fan-out coordinator (`autopilot_shared::fanout`): a run
//!   over the sellers they name (request reports, poll late ones, follow-up, snapshots; the
//!   deployed path);
//! - SQS batches of REPORT_PROCESSING_FINISHED notifications: apply the finished report at
//!   once. Each message is handled on its own; a failed one is reported in
//!   `batchItemFailures` so SQS retries it (then moves it to the DLQ) while the rest goes on;
//! - the schedule (an EventBridge scheduled event): a run over every seller and marketplace,
//!   for small deployments and local runs.
//!
//! A batch's messages are told apart by their body: a work unit names its `job`.

use std::time::Duration;

use autopilot_shared::fanout::{self, Job, WorkUnit};
use autopilot_shared::feedback_sync::{FeedbackSync, NotificationOutcome, SyncError, SyncSummary};
use autopilot_shared::lambda;
use autopilot_shared::notifications::parse_report_finished;
use autopilot_shared::permissions::{Grant, Resource};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

pub type Deps = FeedbackSync;

pub type MessageError = autopilot_shared::notifications::MessageError<SyncError>;

/// The AWS calls this function makes; the template grants exactly these (see
/// `autopilot_shared::permissions`).
pub const AWS_PERMISSIONS: &[Grant] = &[
    Grant::code(&["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], Resource::Table),
    Grant::code(&["secretsmanager:GetSecretValue"], Resource::SellerSecrets),
    Grant::code(&["events:PutEvents"], Resource::EventBus),
];

/// Kept free at the end of each invocation to record what was done.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// What invoked the function: a queue batch (it has `Records`) or the schedule. Anything else
/// is refused by the runtime as an unreadable event.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)]
pub enum Trigger {
    Queue(SqsEvent),
    Schedule(EventBridgeEvent),
}

/// The answer: the batch's failed messages, or the run's summary.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Batch(SqsBatchResponse),
    Run(SyncSummary),
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutcome {
    Report(NotificationOutcome),
    /// Another notification type: acknowledged and ignored.
    OtherType,
}

pub async fn handle(deps: &Deps, event: LambdaEvent<Trigger>) -> Result<Answer, Diagnostic> {
    let deadline = lambda::deadline(&event.context, DEADLINE_MARGIN);
    let worker = event.context.request_id.as_str();
    match event.payload {
        Trigger::Queue(batch) => {
            let (units, notifications): (Vec<_>, Vec<_>) =
                batch.records.into_iter().partition(|m| WorkUnit::looks_like(m.body.as_deref()));
            let mut response = SqsBatchResponse::default();
            if !units.is_empty() {
                let units = sqs_event(units);
                let (batch, sellers) =
                    fanout::take_batch(units, Job::FeedbackSync, deps.store.as_ref(), deps.clock.now())
                        .await
                        .map_err(lambda::diagnostic)?;
                let summary = deps.run_sellers(worker, &sellers, deadline).await;
                tracing::info!(units = batch.units.len(), ?summary, "feedback sync run finished");
                response.batch_item_failures.extend(batch.response.batch_item_failures);
            }
            if !notifications.is_empty() {
                let notified = handle_batch(deps, worker, sqs_event(notifications), deadline).await;
                response.batch_item_failures.extend(notified.batch_item_failures);
            }
            Ok(Answer::Batch(response))
        }
        Trigger::Schedule(_) => {
            let summary = deps.run(worker, deadline).await.map_err(lambda::diagnostic)?;
            tracing::info!(?summary, "feedback sync run finished");
            Ok(Answer::Run(summary))
        }
    }
}

fn sqs_event(records: Vec<aws_lambda_events::event::sqs::SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = records;
    event
}

pub async fn handle_batch(deps: &Deps, worker: &str, event: SqsEvent, deadline: Instant) -> SqsBatchResponse {
    let batch =
        lambda::each_message(
            event,
            |body| async move { handle_message(deps, worker, body.as_deref(), deadline).await },
        )
        .await;
    batch.response
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
    let (outcome, summary) = deps.on_report_finished(worker, &notice, deadline).await.map_err(MessageError::Failed)?;
    tracing::info!(seller = %notice.seller_id, report_id = notice.report_id, status = ?notice.status, ?outcome, "report notification");
    Ok((MessageOutcome::Report(outcome), summary))
}
