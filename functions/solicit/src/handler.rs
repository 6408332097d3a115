//! The solicit Lambda, driving [`Dispatcher`] (see `autopilot_shared::dispatch`). Two triggers:
//! - SQS batches of work units from the fan-out coordinator (`autopilot_shared::fanout`): a
//!   dispatch run over the sellers they name (the deployed path: one seller per unit, sellers
//!   in parallel across invocations, each seller's units one at a time);
//! - any other event (a schedule): one run over every seller, for small deployments and local
//!   runs.
//!
//! Runs are named after the request id and end before Lambda's deadline.

use std::time::Duration;

use autopilot_shared::dispatch::{DispatchSummary, Dispatcher};
use autopilot_shared::fanout::{self, Job, WorkDone};
use autopilot_shared::lambda;
use autopilot_shared::permissions::{Grant, Resource};
use lambda_runtime::{Diagnostic, LambdaEvent};

pub type Deps = Dispatcher;

/// The AWS calls this function makes; the template grants exactly these (see
/// `autopilot_shared::permissions`).
pub const AWS_PERMISSIONS: &[Grant] = &[
    // UpdateItem: each run's outcomes counted per seller, marketplace and day (`autopilot status`).
    Grant::code(&["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"], Resource::Table),
    Grant::code(&["dynamodb:Query"], Resource::DueIndex),
    Grant::code(&["secretsmanager:GetSecretValue"], Resource::SellerSecrets),
    Grant::code(&["events:PutEvents"], Resource::EventBus),
];

/// Kept free at the end of each invocation to record outcomes and publish the summary.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// A batch of work units, or the schedule (see `autopilot_shared::fanout::WorkerTrigger`).
pub type Trigger = fanout::WorkerTrigger;

/// The batch's messages that were not units, or the run's summary.
pub type Answer = fanout::WorkerAnswer<DispatchSummary>;

pub async fn handle(deps: &Deps, event: LambdaEvent<Trigger>) -> Result<Answer, Diagnostic> {
    let deadline = lambda::deadline(&event.context, DEADLINE_MARGIN);
    let run_id = &event.context.request_id;
    match event.payload {
        Trigger::Work(batch) => {
            // A unit received before: its seller's last run may have died between a request
            // and its record (see `autopilot_shared::dispatch`).
            let after_crash = fanout::redelivered(&batch, Job::Solicit);
            let (batch, sellers) = fanout::take_batch(batch, Job::Solicit, deps.sellers.as_ref(), deps.clock.now())
                .await
                .map_err(lambda::diagnostic)?;
            let summary =
                deps.run_sellers_after(run_id, &sellers, &after_crash, deadline).await.map_err(lambda::diagnostic)?;
            tracing::info!(units = batch.units.len(), ?summary, "dispatch run finished");
            Ok(Answer::Batch(WorkDone { response: batch.response, summary }))
        }
        Trigger::Schedule(_) => {
            let summary = deps.run(run_id, deadline).await.map_err(lambda::diagnostic)?;
            tracing::info!(?summary, "dispatch run finished");
            Ok(Answer::Run(summary))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use autopilot_shared::dispatch::DispatchSettings;
    use autopilot_shared::domain::{ManualClock, SellerAccount, SellerId};
    use autopilot_shared::fakes::fixtures::at;
    use autopilot_shared::fakes::{FakeAmazon, FakeSpApi, MemoryBus, MemoryStore};
    use autopilot_shared::fanout::WorkUnit;
    use autopilot_shared::store::SellerDirectory;
    use tokio::time::Instant;

    use super::*;

    fn deps(store: Arc<MemoryStore>) -> Deps {
        Dispatcher {
            orders: store.clone(),
            due: store.clone(),
            outcomes: store.clone(),
            sellers: store,
            events: MemoryBus::new(),
            api: Arc::new(FakeSpApi(FakeAmazon::new())),
            clock: Arc::new(ManualClock::new(at("2026-03-12T00:00:00Z"))),
            settings: DispatchSettings::default(),
        }
    }

    fn scheduled() -> LambdaEvent<Trigger> {
        let deadline = Instant::now() + Duration::from_secs(40);
        let event = serde_json::json!({"detail-type": "Scheduled Event"});
        lambda::invocation(serde_json::from_value(event).unwrap(), "req-7", deadline)
    }

    #[tokio::test]
    async fn a_run_is_named_after_the_request() {
        let summary = handle(&deps(MemoryStore::new()), scheduled()).await.unwrap().into_summary();
        assert_eq!(summary.dispatcher, "req-7");
    }

    #[tokio::test]
    async fn a_work_batch_runs_the_sellers_it_names_and_reports_what_is_not_a_unit() {
        let store = MemoryStore::new();
        let named = autopilot_shared::fakes::fixtures::seller();
        let other = SellerAccount { seller_id: SellerId::parse("A2OTHERSELLER1").unwrap(), ..named.clone() };
        for s in [&named, &other] {
            store.put_seller(s).await.unwrap();
        }
        let unit = WorkUnit {
            job: Job::Solicit,
            seller_id: named.seller_id.clone(),
            scheduled_at: at("2026-03-12T00:00:00Z"),
        };
        let event = serde_json::json!({"Records": [
            {"messageId": "m1", "body": unit.to_body()},
            {"messageId": "m2", "body": "not a unit"},
        ]});
        let deadline = Instant::now() + Duration::from_secs(40);
        let answer =
            handle(&deps(store), lambda::invocation(serde_json::from_value(event).unwrap(), "req-8", deadline))
                .await
                .unwrap();
        let Answer::Batch(done) = answer else { panic!("a batch answered as a run") };
        assert_eq!(done.summary.sellers, 1, "only the seller the unit names");
        let failed: Vec<&str> = done.response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, ["m2"]);
        let wire = serde_json::to_value(Answer::Batch(done)).unwrap();
        assert_eq!(wire, serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m2"}]}));
    }

    #[tokio::test]
    async fn a_unit_received_again_reads_amazons_verdict_on_what_it_no_longer_offers() {
        use autopilot_shared::fakes::SolicitationState;
        use autopilot_shared::fakes::fixtures::{order_id, shipped_order};
        let store = MemoryStore::new();
        let seller = autopilot_shared::fakes::fixtures::seller();
        store.put_seller(&seller).await.unwrap();
        store.insert_order(shipped_order(1, at("2026-03-02T00:00:00Z"), at("2026-03-11T00:00:00Z")));
        // Sent by the run that died before recording it: Amazon offers nothing now.
        let amazon = FakeAmazon::new();
        amazon.solicitation(&order_id(1), SolicitationState { offered: true, requested: true, refuse_next: None });
        let deps = Dispatcher { api: Arc::new(FakeSpApi(amazon.clone())), ..deps(store.clone()) };
        let unit = WorkUnit {
            job: Job::Solicit,
            seller_id: seller.seller_id.clone(),
            scheduled_at: at("2026-03-12T00:00:00Z"),
        };
        let invocation = |received: &str| {
            let event = serde_json::json!({"Records": [
                {"messageId": "m1", "body": unit.to_body(), "attributes": {"ApproximateReceiveCount": received}},
            ]});
            lambda::invocation(
                serde_json::from_value(event).unwrap(),
                "req-9",
                Instant::now() + Duration::from_secs(40),
            )
        };
        let first = handle(&deps, invocation("1")).await.unwrap().into_summary();
        assert_eq!((first.not_offered, amazon.posts()), (1, 0), "a first delivery asks, and sends nothing unoffered");
        store.insert_order(shipped_order(1, at("2026-03-02T00:00:00Z"), at("2026-03-11T00:00:00Z")));
        let again = handle(&deps, invocation("2")).await.unwrap().into_summary();
        assert_eq!((again.sent_earlier, amazon.posts(), amazon.accepted()), (1, 1, 0), "{again:?}");
    }

    #[tokio::test]
    async fn a_failed_run_reports_what_failed_not_a_rust_type() {
        let store = MemoryStore::new();
        store.set_unavailable(true);
        let failed = handle(&deps(store), scheduled()).await.unwrap_err();
        assert_eq!(failed.error_type, "StoreUnavailable");
        assert!(failed.error_message.contains("DynamoDB Query failed"), "{}", failed.error_message);
    }
}
