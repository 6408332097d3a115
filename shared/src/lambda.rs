//! The Lambda boundary the five functions share: a failed invocation's error named by what
//! happened (never a Rust type name), an SQS batch answered per message, and the invocation's
//! deadline.
//!
//! Every library error implements [`Failure`]; a handler maps its error once, with
//! [`diagnostic`], to the `Diagnostic` Lambda reports (its `errorType` is what a CloudWatch
//! search or a DLQ reader sees). Per-message failures of an SQS batch are logged with the same
//! `error_type` field.

use std::error::Error;
use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use tokio::time::Instant;

/// An error that can end an invocation (or fail one SQS message).
pub trait Failure: Error {
    /// What happened, in a few CamelCase words (`MalformedMessage`, `Throttled`,
    /// `StoreConflict`...): the invocation's `errorType`.
    fn error_type(&self) -> &'static str;
}

/// The error and every source under it, `a: b: c`; a source whose text the error above it
/// already shows is not repeated.
pub fn error_chain(err: &(dyn Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The `Diagnostic` Lambda reports for a failed invocation, logged once here.
pub fn diagnostic<E: Failure + 'static>(err: E) -> Diagnostic {
    let error_message = error_chain(&err);
    tracing::error!(error_type = err.error_type(), error = %error_message, "invocation failed");
    Diagnostic { error_type: err.error_type().to_string(), error_message }
}

/// The invocation's deadline as a tokio instant, `margin` before Lambda's.
pub fn deadline(context: &Context, margin: Duration) -> Instant {
    deadline_from_epoch_millis(context.deadline, margin)
}

/// A Lambda deadline (milliseconds since the Unix epoch) as a tokio instant.
pub fn deadline_from_epoch_millis(deadline_ms: u64, margin: Duration) -> Instant {
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_epoch_millis())).saturating_sub(margin);
    Instant::now() + left
}

/// The wall clock in milliseconds since the Unix epoch, as Lambda states deadlines.
fn now_epoch_millis() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

/// An invocation as the Lambda runtime would hand it over: `payload` with a context naming
/// the request and ending at `deadline`. For local runs (the demo, the tests, benchmarks).
pub fn invocation<T>(payload: T, request_id: &str, deadline: Instant) -> LambdaEvent<T> {
    let left = deadline.saturating_duration_since(Instant::now());
    let mut context = Context::default();
    context.request_id = request_id.to_string();
    context.deadline = now_epoch_millis().saturating_add(u64::try_from(left.as_millis()).unwrap_or(u64::MAX));
    LambdaEvent::new(payload, context)
}

/// What an SQS batch came to: the answer for Lambda (the failed messages, so SQS retries only
/// those and finally moves them to the DLQ) and each handled message's outcome.
#[derive(Debug)]
pub struct Batch<O> {
    pub response: SqsBatchResponse,
    pub outcomes: Vec<O>,
}

/// Handle every message of `event` on its own, in order: one that fails is logged (its id and
/// what failed, never its body, which can hold buyer data) and reported in
/// `batchItemFailures`, while the rest of the batch goes on.
pub async fn each_message<O, E, F, Fut>(event: SqsEvent, mut handle: F) -> Batch<O>
where
    E: Failure + 'static,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<O, E>>,
{
    let mut batch = Batch { response: SqsBatchResponse::default(), outcomes: Vec::new() };
    for message in event.records {
        let id = message.message_id.unwrap_or_default();
        match handle(message.body).await {
            Ok(outcome) => batch.outcomes.push(outcome),
            Err(err) => {
                tracing::error!(
                    message_id = %id,
                    error_type = err.error_type(),
                    error = %error_chain(&err),
                    "message failed; SQS will retry it, then move it to the DLQ"
                );
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                batch.response.batch_item_failures.push(failure);
            }
        }
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;

    #[derive(Debug, thiserror::Error)]
    #[error("outer failed")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner cause")]
    struct Inner;

    impl Failure for Outer {
        fn error_type(&self) -> &'static str {
            "OuterFailed"
        }
    }

    #[test]
    fn the_chain_shows_each_source_once() {
        assert_eq!(error_chain(&Outer(Inner)), "outer failed: inner cause");
        let diagnostic = diagnostic(Outer(Inner));
        assert_eq!(diagnostic.error_type, "OuterFailed");
        assert_eq!(diagnostic.error_message, "outer failed: inner cause");
    }

    #[tokio::test]
    async fn a_failed_message_is_reported_and_the_rest_go_on() {
        let mut event = SqsEvent::default();
        for (id, body) in [("m1", "ok"), ("m2", "bad"), ("m3", "ok")] {
            let mut message = SqsMessage::default();
            message.message_id = Some(id.into());
            message.body = Some(body.into());
            event.records.push(message);
        }
        let batch = each_message(event, |body| async move {
            match body.as_deref() {
                Some("ok") => Ok(1),
                _ => Err(Outer(Inner)),
            }
        })
        .await;
        assert_eq!(batch.outcomes, vec![1, 1]);
        let failed: Vec<_> = batch.response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, vec!["m2"]);
    }

    #[test]
    fn an_invocation_carries_its_request_id_and_deadline() {
        let deadline = Instant::now() + Duration::from_secs(30);
        let event = invocation((), "req-1", deadline);
        assert_eq!(event.context.request_id, "req-1");
        let back = super::deadline(&event.context, Duration::from_secs(10));
        let left = back.saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(18) && left <= Duration::from_secs(20), "{left:?}");
    }
}
