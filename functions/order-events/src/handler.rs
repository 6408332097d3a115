//! The order-events Lambda: one SQS batch of SP-API notifications. Each message is handled on
//! its own; a failed one is reported in `batchItemFailures` (so SQS retries it, and after
//! `maxReceiveCount` moves it to the DLQ) while the rest of the batch goes on.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use thiserror::Error;

use autopilot_shared::capture::{CaptureError, OrderRecorder, RecordOutcome};
use autopilot_shared::notifications::{Notification, ParseError, parse_notification};

#[derive(Debug, Error)]
pub enum MessageError {
    #[error("malformed notification: {0}")]
    Malformed(#[from] ParseError),
    #[error("message has no body")]
    NoBody,
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutcome {
    Recorded(RecordOutcome),
    /// Another notification type: acknowledged and ignored.
    Ignored {
        notification_type: String,
    },
    /// For a seller this deployment does not serve (any SP-API application can point at the
    /// queue): acknowledged and counted, never retried into the DLQ.
    UnknownSeller,
}

pub async fn handle_message(recorder: &OrderRecorder, body: Option<&str>) -> Result<MessageOutcome, MessageError> {
    let body = body.ok_or(MessageError::NoBody)?;
    match parse_notification(body)? {
        Notification::Other { notification_type, .. } => Ok(MessageOutcome::Ignored { notification_type }),
        Notification::OrderChange(change) => {
            let outcome = match recorder.record(&change).await {
                Err(CaptureError::UnknownSeller(seller)) => {
                    tracing::warn!(%seller, order = %change.order_id, "ORDER_CHANGE for a seller this deployment does not serve; acknowledged");
                    return Ok(MessageOutcome::UnknownSeller);
                }
                other => other?,
            };
            tracing::info!(
                seller = %change.seller_id,
                order = %change.order_id,
                marketplace = change.marketplace.code(),
                status = ?change.status,
                changed_at = %change.changed_at,
                outcome = outcome.name(),
                "order change"
            );
            Ok(MessageOutcome::Recorded(outcome))
        }
    }
}

/// Handle a batch: every message, failures reported per message.
pub async fn handle_batch(recorder: &OrderRecorder, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    let mut unknown_sellers = 0u32;
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        match handle_message(recorder, message.body.as_deref()).await {
            Ok(MessageOutcome::Ignored { notification_type }) => {
                tracing::info!(message_id = %id, notification_type, "not an ORDER_CHANGE notification; ignored");
            }
            Ok(MessageOutcome::Recorded(_)) => {}
            Ok(MessageOutcome::UnknownSeller) => unknown_sellers += 1,
            Err(err) => {
                // Never the body: it can hold buyer data (the postal code).
                tracing::error!(message_id = %id, error = %err, "message failed; SQS will retry it, then move it to the DLQ");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    if unknown_sellers > 0 {
        tracing::warn!(unknown_sellers, "messages for sellers this deployment does not serve were acknowledged");
    }
    response
}
