//! The fan-out Lambda: the coordinator of the scheduled jobs (see `autopilot_shared::fanout`).
//! Each schedule invokes it with its job as the input (`{"job": "solicit"}`); it enqueues one
//! unit of work per seller the job covers on the job's SQS FIFO queue, and the job's worker
//! function takes them (solicit, order-sync, feedback-sync, alerts for digests).

use std::collections::BTreeMap;
use std::sync::Arc;

use autopilot_shared::fanout::{FanOut, FanOutSummary, Job, WorkQueue};
use autopilot_shared::lambda;
use autopilot_shared::permissions::{Grant, Resource};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Deserialize;
use serde_json::Value;

/// The AWS calls this function makes; the template grants exactly these (see
/// `autopilot_shared::permissions`).
pub const AWS_PERMISSIONS: &[Grant] = &[
    // Query: the seller accounts (one partition).
    Grant::code(&["dynamodb:Query"], Resource::Table),
    // SendMessage: IAM's action for SendMessageBatch too.
    Grant::code(&["sqs:SendMessage"], Resource::WorkQueue(Job::Solicit)),
    Grant::code(&["sqs:SendMessage"], Resource::WorkQueue(Job::OrderSync)),
    Grant::code(&["sqs:SendMessage"], Resource::WorkQueue(Job::FeedbackSync)),
    Grant::code(&["sqs:SendMessage"], Resource::WorkQueue(Job::Digest)),
];

pub struct Deps {
    pub fan_out: FanOut,
    /// Each job's work queue.
    pub queues: BTreeMap<Job, Arc<dyn WorkQueue>>,
}

/// What a schedule passes (its `Input`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub job: Job,
}

impl Trigger {
    /// The schedule's input, or an error saying what a valid one looks like.
    pub fn parse(input: Value) -> Result<Self, Diagnostic> {
        serde_json::from_value(input).map_err(|err| Diagnostic {
            error_type: "BadInput".into(),
            error_message: format!(
                "the schedule's input must be {{\"job\": NAME}} with NAME one of {}: {err}",
                Job::ALL.map(Job::name).join(", ")
            ),
        })
    }
}

pub async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<FanOutSummary, Diagnostic> {
    let Trigger { job } = Trigger::parse(event.payload)?;
    let queue = deps.queues.get(&job).ok_or_else(|| Diagnostic {
        error_type: "NotConfigured".into(),
        error_message: format!("no work queue for the {} job ({} is not set)", job.name(), job.queue_variable()),
    })?;
    let summary = deps.fan_out.fan_out(job, queue.as_ref()).await.map_err(lambda::diagnostic)?;
    tracing::info!(?summary, "fan-out finished");
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use autopilot_shared::domain::{ManualClock, SellerAccount, SellerId};
    use autopilot_shared::fakes::MemoryStore;
    use autopilot_shared::fakes::fixtures::{at, seller};
    use autopilot_shared::fanout::{QueueError, WorkUnit};
    use autopilot_shared::store::SellerDirectory;
    use tokio::time::Instant;

    use super::*;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<WorkUnit>>);

    #[async_trait::async_trait]
    impl WorkQueue for Recorded {
        async fn enqueue(&self, units: &[WorkUnit]) -> Result<u32, QueueError> {
            self.0.lock().unwrap().extend_from_slice(units);
            Ok(0)
        }
    }

    async fn deps() -> (Deps, BTreeMap<Job, Arc<Recorded>>) {
        let store = MemoryStore::new();
        let active = seller();
        let paused =
            SellerAccount { seller_id: SellerId::parse("A2PAUSEDSELLER").unwrap(), paused: true, ..active.clone() };
        for s in [&active, &paused] {
            store.put_seller(s).await.unwrap();
        }
        let recorded: BTreeMap<Job, Arc<Recorded>> = Job::ALL.map(|job| (job, Arc::default())).into_iter().collect();
        let queues = recorded.iter().map(|(job, q)| (*job, q.clone() as Arc<dyn WorkQueue>)).collect();
        let fan_out = FanOut { sellers: store, clock: Arc::new(ManualClock::new(at("2026-03-12T06:00:00Z"))) };
        (Deps { fan_out, queues }, recorded)
    }

    fn invocation(input: Value) -> LambdaEvent<Value> {
        lambda::invocation(input, "req-1", Instant::now() + Duration::from_secs(30))
    }

    #[tokio::test]
    async fn each_schedule_fills_its_own_jobs_queue() {
        let (deps, recorded) = deps().await;
        let summary = handle(&deps, invocation(serde_json::json!({"job": "order-sync"}))).await.unwrap();
        assert_eq!((summary.job, summary.sellers, summary.enqueued, summary.not_covered), (Job::OrderSync, 2, 1, 1));
        let units = recorded[&Job::OrderSync].0.lock().unwrap().clone();
        assert_eq!(units.iter().map(|u| u.seller_id.as_str()).collect::<Vec<_>>(), [seller().seller_id.as_str()]);
        for other in [Job::Solicit, Job::FeedbackSync, Job::Digest] {
            assert!(recorded[&other].0.lock().unwrap().is_empty(), "{other:?}");
        }
    }

    #[tokio::test]
    async fn a_bad_input_is_refused_naming_what_a_schedule_must_pass() {
        let (deps, recorded) = deps().await;
        for input in [
            serde_json::json!({"detail-type": "Scheduled Event"}),
            serde_json::json!({"job": "everything"}),
            serde_json::json!({"job": "solicit", "extra": 1}),
            serde_json::json!("solicit"),
        ] {
            let err = handle(&deps, invocation(input.clone())).await.unwrap_err();
            assert_eq!(err.error_type, "BadInput", "{input}");
            assert!(err.error_message.contains("{\"job\": NAME}"), "{input}: {}", err.error_message);
            assert!(err.error_message.contains("order-sync, feedback-sync, digest"), "{}", err.error_message);
        }
        assert!(recorded.values().all(|q| q.0.lock().unwrap().is_empty()));
    }

    #[tokio::test]
    async fn a_job_without_a_queue_is_a_configuration_error() {
        let (mut deps, _) = deps().await;
        deps.queues.remove(&Job::Digest);
        let err = handle(&deps, invocation(serde_json::json!({"job": "digest"}))).await.unwrap_err();
        assert_eq!(err.error_type, "NotConfigured");
        assert!(err.error_message.contains("AUTOPILOT_DIGEST_WORK_QUEUE"), "{}", err.error_message);
    }
}
