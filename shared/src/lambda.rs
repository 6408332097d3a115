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

/// Lambda's longest timeout: no invocation has more time than this.
pub const MAX_FUNCTION_TIMEOUT: Duration = Duration::from_secs(900);

static FUNCTION_TIMEOUT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

/// The function's configured timeout (`AUTOPILOT_TIMEOUT_SECONDS`, which the template sets to
/// the function's `Timeout`), set once at start-up by `runtime::Clients`; the bound on every
/// deadline. Unset, or set twice, the bound is [`MAX_FUNCTION_TIMEOUT`] / the first value.
pub fn set_function_timeout(timeout: Duration) {
    let _ = FUNCTION_TIMEOUT.set(timeout.min(MAX_FUNCTION_TIMEOUT));
}

/// The bound on every invocation's time: the configured timeout, else Lambda's maximum.
pub fn function_timeout() -> Duration {
    FUNCTION_TIMEOUT.get().copied().unwrap_or(MAX_FUNCTION_TIMEOUT)
}

/// The invocation's deadline as a tokio instant, `margin` before Lambda's.
///
/// Lambda's `lambda-runtime-deadline-ms` header is trusted only when it leaves between nothing
/// and the function's timeout: a header of 0 (none given), one in the past (`cargo lambda
/// watch` sends 600000, in 1970) or one further away than the timeout allows is logged and the
/// invocation gets the configured timeout instead, never "no time left".
pub fn deadline(context: &Context, margin: Duration) -> Instant {
    let timeout = function_timeout();
    let left = usable_time_left(context.deadline, now_epoch_millis(), timeout).unwrap_or_else(|| {
        tracing::warn!(
            deadline_ms = context.deadline,
            timeout_s = timeout.as_secs(),
            "the invocation's deadline header is missing, past or beyond the function's timeout; using the timeout"
        );
        timeout
    });
    Instant::now() + left.saturating_sub(margin)
}

/// The time a deadline header leaves, if it is one Lambda could have sent: in the future and
/// no further away than `timeout`.
fn usable_time_left(deadline_ms: u64, now_ms: u64, timeout: Duration) -> Option<Duration> {
    let left = Duration::from_millis(deadline_ms.checked_sub(now_ms).filter(|&ms| ms > 0)?);
    // A second of slack for clock skew between Lambda's host and this sandbox.
    (left <= timeout + Duration::from_secs(1)).then_some(left.min(timeout))
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

    #[test]
    fn a_deadline_header_lambda_could_not_have_sent_gives_the_timeout() {
        let now = 1_790_000_000_000;
        let timeout = Duration::from_secs(300);
        // What Lambda sends: some time left, up to the timeout.
        assert_eq!(usable_time_left(now + 42_000, now, timeout), Some(Duration::from_secs(42)));
        assert_eq!(usable_time_left(now + 300_000, now, timeout), Some(timeout));
        // Clock skew of under a second past the timeout is clipped to it.
        assert_eq!(usable_time_left(now + 300_500, now, timeout), Some(timeout));
        // None given (0), cargo lambda watch's 600000 (1970), exactly now, and an hour away.
        for header in [0, 600_000, now, now + 3_600_000] {
            assert_eq!(usable_time_left(header, now, timeout), None, "{header}");
        }
    }

    #[test]
    fn an_unusable_deadline_header_leaves_the_function_its_timeout_not_zero() {
        // Unset in unit tests: the bound is Lambda's maximum.
        assert_eq!(function_timeout(), MAX_FUNCTION_TIMEOUT);
        let mut context = Context::default();
        context.deadline = 600_000;
        let left = super::deadline(&context, Duration::from_secs(10)).saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(880) && left <= Duration::from_secs(890), "{left:?}");
    }
}
