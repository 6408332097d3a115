//! The order-events Lambda: one SQS batch of SP-API notifications, each ORDER_CHANGE recorded
//! by the [`OrderRecorder`] (see `autopilot_shared::capture`). Each message is handled on its
//! own; a failed one is reported in `batchItemFailures` (so SQS retries it, and after
//! `maxReceiveCount` moves it to the DLQ) while the rest of the batch goes on.

use autopilot_shared::capture::{CaptureError, OrderRecorder, RecordOutcome};
use autopilot_shared::lambda;
use autopilot_shared::notifications::{Notification, parse_notification};
use autopilot_shared::permissions::{Grant, Resource};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Diagnostic, LambdaEvent};

pub type Deps = OrderRecorder;

pub type MessageError = autopilot_shared::notifications::MessageError<CaptureError>;

/// The AWS calls this function makes; the template grants exactly these (see
/// `autopilot_shared::permissions`). UpdateItem: the per-day count of review requests skipped
/// (cancellations).
pub const AWS_PERMISSIONS: &[Grant] =
    &[Grant::code(&["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], Resource::Table)];

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

pub async fn handle(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Diagnostic> {
    Ok(handle_batch(deps, event.payload).await)
}

/// Handle a batch: every message, failures reported per message. Seller policies are read once
/// per batch, never kept stale.
pub async fn handle_batch(recorder: &OrderRecorder, event: SqsEvent) -> SqsBatchResponse {
    recorder.forget_policies().await;
    let batch =
        lambda::each_message(event, |body| async move { handle_message(recorder, body.as_deref()).await }).await;
    let unknown_sellers = batch.outcomes.iter().filter(|o| **o == MessageOutcome::UnknownSeller).count();
    if unknown_sellers > 0 {
        tracing::warn!(unknown_sellers, "messages for sellers this deployment does not serve were acknowledged");
    }
    batch.response
}

pub async fn handle_message(recorder: &OrderRecorder, body: Option<&str>) -> Result<MessageOutcome, MessageError> {
    let body = body.ok_or(MessageError::NoBody)?;
    let change = match parse_notification(body)? {
        Notification::Other { notification_type, .. } => {
            tracing::info!(notification_type, "not an ORDER_CHANGE notification; ignored");
            return Ok(MessageOutcome::Ignored { notification_type });
        }
        Notification::OrderChange(change) => change,
    };
    let outcome = match recorder.record(&change).await {
        Ok(outcome) => outcome,
        Err(CaptureError::UnknownSeller(seller)) => {
            tracing::warn!(%seller, order = %change.order_id, "ORDER_CHANGE for a seller this deployment does not serve; acknowledged");
            return Ok(MessageOutcome::UnknownSeller);
        }
        Err(err) => return Err(MessageError::Failed(err)),
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

#[cfg(test)]
mod tests {
    use autopilot_shared::fakes::MemoryStore;
    use autopilot_shared::lambda::Failure;
    use aws_lambda_events::event::sqs::SqsMessage;

    use super::*;

    fn message(id: &str, body: Option<&str>) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = body.map(str::to_string);
        message
    }

    #[tokio::test]
    async fn unreadable_messages_fail_alone_and_name_the_failure() {
        let store = MemoryStore::new();
        let recorder = OrderRecorder::new(store.clone(), store);
        let mut event = SqsEvent::default();
        event.records = vec![
            message("no-body", None),
            message("not-json", Some("{")),
            message("other", Some(r#"{"NotificationType":"FEE_PROMOTION","Payload":{}}"#)),
        ];
        let invocation = lambda::invocation(event, "req", tokio::time::Instant::now());
        let response = handle(&recorder, invocation).await.unwrap();
        let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, vec!["no-body", "not-json"]);
        let err = handle_message(&recorder, Some("{")).await.unwrap_err();
        assert_eq!(err.error_type(), "MalformedMessage");
    }
}
