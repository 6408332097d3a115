//! The alerts Lambda, driving [`Alerts`], one EventBridge event per invocation:
//! - an event from the app bus is kept for the seller's digest and, for sellers who take
//!   alerts as they happen, mailed to each recipient at once (see `autopilot_shared::alerts`);
//! - SQS batches of digest work units from the fan-out coordinator
//!   (`autopilot_shared::fanout`): the digests of the sellers they name, if due today (the
//!   deployed path);
//! - the daily schedule (`Scheduled Event` from `aws.events`) sends every digest due today
//!   (small deployments and local runs).
//!
//! An error fails the invocation, so Lambda retries it and finally hands it to the
//! dead-letter queue; the ledger skips recipients already mailed on the retry.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use autopilot_shared::fanout::{self, Job};

use autopilot_shared::alerts::{AlertError, AlertEvent, AlertOutcome, Alerts, DigestRun};
use autopilot_shared::lambda;
use autopilot_shared::permissions::{Grant, Resource};

pub type Deps = Alerts;

/// The AWS calls this function makes; the template grants exactly these (see
/// `autopilot_shared::permissions`). Sending a failed event to the DLQ is Lambda's own call
/// (the on-failure destination), granted by SAM with the destination.
pub const AWS_PERMISSIONS: &[Grant] = &[
    Grant::code(
        &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
        Resource::Table,
    ),
    Grant::code(&["ses:SendEmail"], Resource::AlertSenderIdentity),
];

/// The detail-type of EventBridge Scheduler/rule schedules.
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

#[derive(Debug)]
pub enum Handled {
    Alert(AlertOutcome),
    Digests(DigestRun),
    /// A detail-type the alerts function does not act on.
    Ignored,
}

impl Handled {
    pub fn mails_sent(&self) -> usize {
        match self {
            Handled::Alert(outcome) => outcome.sent.len(),
            Handled::Digests(run) => run.sent.len(),
            Handled::Ignored => 0,
        }
    }
}

/// What invoked the function: a batch of digest work units (it has `Records`) or an EventBridge
/// event (a bus event, or the schedule).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)]
pub enum Trigger {
    Work(SqsEvent),
    Event(EventBridgeEvent<Value>),
}

/// The invocation's answer: how many mails went out; for a batch of work units, also the
/// messages that were not units (`batchItemFailures`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub sent: usize,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub batch: Option<SqsBatchResponse>,
}

pub async fn handle(deps: &Deps, event: LambdaEvent<Trigger>) -> Result<Answer, Diagnostic> {
    match event.payload {
        Trigger::Work(batch) => {
            let (batch, sellers) = fanout::take_batch(batch, Job::Digest, deps.sellers.as_ref(), deps.clock.now())
                .await
                .map_err(lambda::diagnostic)?;
            let run = deps.send_digests_to(&sellers).await.map_err(lambda::diagnostic)?;
            Ok(Answer { sent: run.sent.len(), batch: Some(batch.response) })
        }
        Trigger::Event(event) => {
            let handled = handle_event(deps, event).await.map_err(lambda::diagnostic)?;
            Ok(Answer { sent: handled.mails_sent(), batch: None })
        }
    }
}

pub async fn handle_event(deps: &Deps, event: EventBridgeEvent<Value>) -> Result<Handled, AlertError> {
    let detail_type = event.detail_type.clone();
    if detail_type == SCHEDULED_EVENT && event.source == "aws.events" {
        return deps.send_digests().await.map(Handled::Digests);
    }
    let Some(alert) = AlertEvent::parse(&detail_type, event.detail)? else {
        tracing::info!(detail_type, "not an alert event; ignored");
        return Ok(Handled::Ignored);
    };
    deps.handle(&alert).await.map(Handled::Alert)
}
