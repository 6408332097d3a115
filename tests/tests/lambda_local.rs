//! Every function's built artifact (the arm64 `bootstrap` `sam build` made, under qemu on this
//! machine) runs as Lambda runs it: its own process on a Lambda Runtime API
//! (infra/local/lambda-local), the environment template.yaml gives it plus the local stack's
//! endpoints, fixture events, real and odd deadline headers. Effects are read back from
//! DynamoDB Local, moto and the SP-API simulator. Each AWS call a function makes (the SDK's
//! operation spans in its debug logs) must be one its crate declares, and so one the template
//! grants.
//!
//! Needs `AUTOPILOT_LAMBDA_ARTIFACTS` (and `AUTOPILOT_QEMU` on x86_64), which the test command
//! sets from infra/deploy/build.sh.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use autopilot_shared::domain::feedback::DeadlineKind;
use autopilot_shared::domain::triage::{Ground, Verdict};
use autopilot_shared::domain::{EmailAddress, Marketplace, OrderId};
use autopilot_shared::events::{DeadlineStatus, NegativeFeedbackReceived};
use autopilot_shared::permissions::{self, Grant};
use autopilot_shared::spapi::UsagePlans;
use autopilot_shared::store::{DynamoStore, OrderRepository, SellerDirectory};
use autopilot_tests::sim::{EventTap, SimHarness, aws_config, sim_harness_at, sim_order};
use autopilot_tests::{fresh_store, local_stack, workspace_root};
use chrono::Utc;
use lambda_local::{Deadline, FunctionSpec, LocalError, LocalLambda, Outcome};
use serde_json::{Value, json};

const SCHEDULED: &str = include_str!("../fixtures/events/scheduled.json");
const ORDER_CHANGE: &str = include_str!("../fixtures/notifications/order_change_official.json");
const MAIL_FROM: &str = "alerts@example.com";

fn artifacts() -> PathBuf {
    std::env::var("AUTOPILOT_LAMBDA_ARTIFACTS").map(PathBuf::from).unwrap_or_else(|_| {
        panic!("AUTOPILOT_LAMBDA_ARTIFACTS is not set: run infra/local/test.sh (it runs infra/deploy/build.sh first)")
    })
}

/// A seller whose orders live in the simulator (on the wall clock) and in a fresh table.
struct World {
    sim: SimHarness,
    store: DynamoStore,
    tap: EventTap,
}

impl World {
    async fn new() -> Self {
        // The simulator's clock stands still while the functions' runs on: a few minutes ahead,
        // it never sees a request from its future (searchOrders refuses a `Before` later than
        // two minutes before its now).
        let sim = sim_harness_at(Utc::now() + chrono::Duration::minutes(5), UsagePlans::amazon(), |_| {}).await;
        let store = fresh_store(Arc::new(autopilot_shared::domain::SystemClock), |_| {}).await;
        let mut seller = sim.seller.clone();
        seller.marketplaces = vec![Marketplace::Us];
        seller.alert_recipients =
            vec![EmailAddress::parse(format!("owner-{}@seller.example", uuid::Uuid::new_v4().simple())).unwrap()];
        store.put_seller(&seller).await.expect("save the seller");
        let sim = SimHarness { seller, ..sim };
        Self { sim, store, tap: EventTap::new().await }
    }

    /// The function `binary`'s bootstrap, started under the Runtime API.
    async fn start(&self, binary: &str) -> LocalLambda {
        self.start_with(binary, BTreeMap::new()).await
    }

    /// The same, with more of the stack's resources (`!Ref` name to value).
    async fn start_with(&self, binary: &str, more: BTreeMap<String, String>) -> LocalLambda {
        let mut references = BTreeMap::from([
            ("Table".to_string(), self.store.config().table_name.clone()),
            ("EventBus".to_string(), self.tap.bus.clone()),
        ]);
        references.extend(more);
        let spec =
            FunctionSpec::from_template(&workspace_root().join("template.yaml"), &artifacts(), binary, &references)
                .expect("the function in template.yaml");
        let extra = BTreeMap::from([
            ("AUTOPILOT_DYNAMODB_ENDPOINT".to_string(), local_stack().dynamodb_endpoint.clone()),
            ("AUTOPILOT_AWS_ENDPOINT".to_string(), local_stack().aws_endpoint.clone()),
            ("AUTOPILOT_SPAPI_ENDPOINT".to_string(), self.sim.base_url()),
            // The SDK's orchestrator logs each attempt at debug level inside the operation's span.
            ("RUST_LOG".to_string(), "info,aws_sdk_dynamodb=debug,aws_sdk_sqs=debug,aws_sdk_sesv2=debug,aws_sdk_eventbridge=debug,aws_sdk_secretsmanager=debug,aws_smithy_runtime::client::orchestrator=debug".to_string()),
        ]);
        LocalLambda::start(spec, &extra).await.expect("the bootstrap starts")
    }
}

fn response(outcome: &Outcome) -> &Value {
    match outcome {
        Outcome::Response(value) => value,
        Outcome::Error { error_type, error_message } => panic!("the function failed: {error_type}: {error_message}"),
    }
}

/// The IAM action of an AWS SDK call, from the `rpc.service` and `rpc.method` of the SDK's
/// operation span.
fn iam_action(span: &Value) -> Option<String> {
    let prefix = match span["rpc.service"].as_str()? {
        "DynamoDB" => "dynamodb",
        "SESv2" => "ses",
        "EventBridge" => "events",
        "Secrets Manager" | "SecretsManager" => "secretsmanager",
        "SQS" => "sqs",
        other => panic!("an AWS service this test does not map: {other}"),
    };
    let method = match span["rpc.method"].as_str()? {
        // IAM authorizes a batch send as SendMessage.
        "SendMessageBatch" => "SendMessage",
        other => other,
    };
    Some(format!("{prefix}:{method}"))
}

/// The AWS calls the function made (the SDK's operation spans on its debug lines), each
/// checked against what its crate declares.
fn check_calls(lambda: &LocalLambda, binary: &str, declared: &[Grant]) -> Vec<String> {
    let mut calls: Vec<String> = lambda
        .logs()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .flat_map(|log| log["spans"].as_array().cloned().unwrap_or_default())
        .filter_map(|span| iam_action(&span))
        .collect();
    calls.sort();
    calls.dedup();
    for call in &calls {
        assert!(
            permissions::may_call(declared, call),
            "{binary} called {call}, which it does not declare (nor the template grant)"
        );
    }
    calls
}

fn started_line(lambda: &LocalLambda) -> Value {
    lambda
        .logs()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|log| log["fields"]["message"] == "function starting")
        .unwrap_or_else(|| panic!("no start-up line in {:?}", lambda.logs()))
}

fn sqs_event(bodies: &[(&str, String)]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764000000000",
                               "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1764000000000"},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:feedback-autopilot-local-order-events",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({ "Records": records })
}

/// order-events: an SQS batch with one good ORDER_CHANGE and one malformed message; the good
/// one is recorded, the bad one alone is reported back. The binary says it unwinds panics and
/// knows its timeout.
#[tokio::test]
async fn order_events_records_the_batch_and_fails_only_the_malformed_message() {
    let w = World::new().await;
    let mut notification: Value = serde_json::from_str(ORDER_CHANGE).unwrap();
    let order_id = format!("113-{:07}-{:07}", fastrand_u32() % 10_000_000, fastrand_u32() % 10_000_000);
    notification["Payload"]["OrderChangeNotification"]["SellerId"] = w.sim.seller.seller_id.as_str().into();
    notification["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = order_id.clone().into();
    // A recent order: one older than the retention is recorded as already expired.
    let now = Utc::now();
    notification["Payload"]["OrderChangeNotification"]["Summary"]["PurchaseDate"] =
        (now - chrono::Duration::days(2)).to_rfc3339().into();
    notification["Payload"]["OrderChangeNotification"]["OrderChangeTrigger"]["TimeOfOrderChange"] =
        now.to_rfc3339().into();
    let event = sqs_event(&[("good", notification.to_string()), ("bad", "{\"NotificationType\": 7".into())]);

    let mut lambda = w.start("order-events").await;
    let invocation = lambda.invoke(&event, Deadline::Timeout).await.expect("an answer");
    let answer = response(&invocation.outcome);
    assert_eq!(answer["batchItemFailures"], json!([{"itemIdentifier": "bad"}]), "{answer}");
    let order = w.store.get_order(&w.sim.seller.seller_id, &OrderId::parse(&order_id).unwrap()).await.unwrap();
    assert!(order.is_some(), "the good message's order is in DynamoDB Local: {:#?}", lambda.logs());

    let started = started_line(&lambda);
    assert_eq!(started["fields"]["panic_strategy"], "autopilot-panic-strategy:unwind");
    assert_eq!(started["fields"]["timeout_s"], 30, "AUTOPILOT_TIMEOUT_SECONDS from template.yaml");
    let calls = check_calls(&lambda, "order-events", order_events::AWS_PERMISSIONS);
    assert!(calls.iter().any(|c| c == "dynamodb:PutItem"), "{calls:?}");
    lambda.stop().await;
}

fn fastrand_u32() -> u32 {
    uuid::Uuid::new_v4().as_u128() as u32
}

/// order-sync then solicit, as the schedules run them: the reconciliation poll finds the
/// simulator's order (under the fixed 1970 deadline `cargo lambda watch` sends: the function
/// takes its timeout instead of "no time left"), and the dispatcher asks its buyer for a review
/// once (under a deadline a year away: bounded by the timeout, the run still ends).
#[tokio::test]
async fn order_sync_and_solicit_run_on_schedule_events_with_odd_deadline_headers() {
    let w = World::new().await;
    let order_id = format!("114-{:07}-{:07}", fastrand_u32() % 10_000_000, fastrand_u32() % 10_000_000);
    w.sim.simulator().upsert_order(sim_order(
        &w.sim.seller.seller_id,
        &order_id,
        Utc::now() - chrono::Duration::days(12),
    ));
    let scheduled: Value = serde_json::from_str(SCHEDULED).unwrap();

    let mut sync = w.start("order-sync").await;
    let invocation = sync.invoke(&scheduled, Deadline::EpochMillis(600_000)).await.expect("an answer");
    let summary = response(&invocation.outcome);
    assert!(
        summary["recorded"].as_u64() >= Some(1),
        "{summary}: {:?}",
        sync.logs().iter().filter(|l| l.contains("ERROR") || l.contains("WARN")).collect::<Vec<_>>()
    );
    assert!(
        sync.logs().iter().any(|l| l.contains("deadline header is missing, past or beyond")),
        "the odd header is logged"
    );
    check_calls(&sync, "order-sync", order_sync::AWS_PERMISSIONS);
    sync.stop().await;
    let order = w.store.get_order(&w.sim.seller.seller_id, &OrderId::parse(&order_id).unwrap()).await.unwrap();
    assert!(order.is_some(), "recorded by the poll");

    let mut solicit = w.start("solicit").await;
    let a_year = (Utc::now() + chrono::Duration::days(365)).timestamp_millis() as u64;
    let invocation = solicit.invoke(&scheduled, Deadline::EpochMillis(a_year)).await.expect("an answer");
    let summary = response(&invocation.outcome);
    assert_eq!(summary["sent"], 1, "{summary}");
    let asked: Vec<_> = w.sim.simulator().solicitations().into_iter().filter(|s| s.order_id == order_id).collect();
    assert_eq!(asked.len(), 1, "one review request reached the simulator");
    let calls = check_calls(&solicit, "solicit", solicit::AWS_PERMISSIONS);
    assert!(calls.iter().any(|c| c == "secretsmanager:GetSecretValue"), "{calls:?}");
    assert!(!w.tap.drain().await.is_empty(), "the run summary went to the bus");
    solicit.stop().await;
}

/// The deployed path of the scheduled jobs: the coordinator, invoked as its schedules invoke it,
/// puts one unit for the seller on each job's FIFO queue (moto), and the workers, given those
/// messages as Lambda's SQS poller gives them, run that seller: order-sync records the
/// simulator's order, solicit asks its buyer for a review. A schedule input the coordinator
/// does not know is refused naming what it expects.
#[tokio::test]
async fn the_coordinator_fans_out_and_the_workers_run_its_units() {
    let w = World::new().await;
    let order_id = format!("115-{:07}-{:07}", fastrand_u32() % 10_000_000, fastrand_u32() % 10_000_000);
    w.sim.simulator().upsert_order(sim_order(
        &w.sim.seller.seller_id,
        &order_id,
        Utc::now() - chrono::Duration::days(12),
    ));
    let sqs = aws_sdk_sqs::Client::new(&aws_config().await);
    let mut queues = BTreeMap::new();
    for logical_id in ["SolicitWorkQueue", "OrderSyncWorkQueue", "FeedbackSyncWorkQueue", "DigestWorkQueue"] {
        let url = autopilot_tests::sim::fifo_queue(&sqs, logical_id).await;
        queues.insert(logical_id.to_string(), url);
    }
    let mut coordinator = w.start_with("fan-out", queues.clone()).await;

    let work = fan_out(&mut coordinator, &sqs, &queues["OrderSyncWorkQueue"], "order-sync", &w).await;
    let mut sync = w.start("order-sync").await;
    let invocation = sync.invoke(&work, Deadline::Timeout).await.expect("an answer");
    assert_eq!(response(&invocation.outcome), &json!({"batchItemFailures": []}));
    check_calls(&sync, "order-sync", order_sync::AWS_PERMISSIONS);
    sync.stop().await;
    let order = w.store.get_order(&w.sim.seller.seller_id, &OrderId::parse(&order_id).unwrap()).await.unwrap();
    assert!(order.is_some(), "recorded by the seller's unit of the poll");

    let work = fan_out(&mut coordinator, &sqs, &queues["SolicitWorkQueue"], "solicit", &w).await;
    let mut solicit = w.start("solicit").await;
    let invocation = solicit.invoke(&work, Deadline::Timeout).await.expect("an answer");
    assert_eq!(response(&invocation.outcome), &json!({"batchItemFailures": []}));
    let asked: Vec<_> = w.sim.simulator().solicitations().into_iter().filter(|s| s.order_id == order_id).collect();
    assert_eq!(asked.len(), 1, "the unit's run asked the buyer once");
    check_calls(&solicit, "solicit", solicit::AWS_PERMISSIONS);
    solicit.stop().await;

    let refused = coordinator.invoke(&json!({"job": "everything"}), Deadline::Timeout).await.expect("an answer");
    match &refused.outcome {
        Outcome::Error { error_type, error_message } => {
            assert_eq!(error_type, "BadInput");
            assert!(error_message.contains("{\"job\": NAME}"), "{error_message}");
        }
        other => panic!("a bad input answered {other:?}"),
    }
    let calls = check_calls(&coordinator, "fan-out", fan_out::AWS_PERMISSIONS);
    assert_eq!(calls, ["dynamodb:Query", "sqs:SendMessage"]);
    assert_eq!(started_line(&coordinator)["fields"]["timeout_s"], 60, "AUTOPILOT_TIMEOUT_SECONDS from template.yaml");
    coordinator.stop().await;
}

/// The coordinator invoked as the job's schedule invokes it; what it put on the job's queue, as
/// the worker's SQS event.
async fn fan_out(coordinator: &mut LocalLambda, sqs: &aws_sdk_sqs::Client, queue: &str, job: &str, w: &World) -> Value {
    let invocation = coordinator.invoke(&json!({"job": job}), Deadline::Timeout).await.expect("an answer");
    let summary = response(&invocation.outcome).clone();
    assert_eq!((summary["job"].as_str(), summary["enqueued"].as_u64()), (Some(job), Some(1)), "{summary}");
    let messages = autopilot_tests::sim::receive_all(sqs, queue).await;
    assert_eq!(messages.len(), 1, "{job}: one unit");
    let group = messages[0]
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId))
        .cloned();
    assert_eq!(group.as_deref(), Some(w.sim.seller.seller_id.as_str()), "{job}: the seller is the message group");
    sqs_event(&[("unit-1", messages[0].body().unwrap_or_default().to_string())])
}

/// feedback-sync: the schedule asks the simulator for the seller's feedback report; a
/// REPORT_PROCESSING_FINISHED batch with a malformed message fails that message alone.
#[tokio::test]
async fn feedback_sync_requests_reports_and_answers_notification_batches() {
    let w = World::new().await;
    let mut lambda = w.start("feedback-sync").await;
    let scheduled: Value = serde_json::from_str(SCHEDULED).unwrap();
    let invocation = lambda.invoke(&scheduled, Deadline::Timeout).await.expect("an answer");
    let summary = response(&invocation.outcome);
    assert_eq!(summary["reports_requested"], 1, "{summary}");

    let batch = sqs_event(&[("broken", "not a notification".into())]);
    let invocation = lambda.invoke(&batch, Deadline::Timeout).await.expect("an answer");
    assert_eq!(response(&invocation.outcome)["batchItemFailures"], json!([{"itemIdentifier": "broken"}]));
    check_calls(&lambda, "feedback-sync", feedback_sync::AWS_PERMISSIONS);
    lambda.stop().await;
}

/// alerts: a NegativeFeedbackReceived event from the bus is mailed (SES on moto) to the seller.
#[tokio::test]
async fn alerts_mails_a_bus_event_to_the_seller() {
    let w = World::new().await;
    let sdk = aws_config().await;
    let _ = aws_sdk_sesv2::Client::new(&sdk).create_email_identity().email_identity(MAIL_FROM).send().await;
    let today = Utc::now().date_naive();
    let detail = NegativeFeedbackReceived {
        event_id: format!("negative-feedback:{}:US:113-4200001-9100037", w.sim.seller.seller_id),
        seller_id: w.sim.seller.seller_id.clone(),
        feedback: autopilot_tests::mail_samples::feedback(1, "Shit seller, never again"),
        order_date: Some(today - chrono::Duration::days(20)),
        fulfillment: None,
        triage: Verdict { removable: true, strike_through: false, reasons: vec![Ground::Obscene], evidence: vec![] },
        deadlines: vec![DeadlineStatus {
            kind: DeadlineKind::RemovalRequest,
            date: today + chrono::Duration::days(40),
            days_left: 40,
        }],
    };
    let event = json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "NegativeFeedbackReceived",
        "source": "feedback-autopilot", "account": "123456789012", "time": Utc::now().to_rfc3339(),
        "region": "us-east-1", "resources": [], "detail": detail,
    });
    let mut lambda = w.start("alerts").await;
    let invocation = lambda.invoke(&event, Deadline::Timeout).await.expect("an answer");
    assert_eq!(response(&invocation.outcome)["sent"], 1);
    let data: Value =
        reqwest::get(format!("{}/moto-api/data.json", local_stack().aws_endpoint)).await.unwrap().json().await.unwrap();
    let to = w.sim.seller.alert_recipients[0].as_str();
    let mailed =
        data["ses"]["RawMessage"].as_array().into_iter().flatten().filter(|m| m["destinations"][0] == to).count();
    assert_eq!(mailed, 1, "one mail in moto's SES for the seller");
    let calls = check_calls(&lambda, "alerts", alerts::AWS_PERMISSIONS);
    assert!(calls.iter().any(|c| c == "ses:SendEmail"), "{calls:?}");
    lambda.stop().await;
}

/// Without a deadline header the Lambda runtime crate (lambda_runtime 1.x) stops the process
/// before any handler code runs (it expects the header Lambda always sends); the emulator
/// reports that exit, and the next start is clean.
#[tokio::test]
async fn a_missing_deadline_header_ends_the_process_before_the_handler() {
    let w = World::new().await;
    let mut lambda = w.start("order-events").await;
    let event = sqs_event(&[]);
    match lambda.invoke(&event, Deadline::Missing).await {
        Err(LocalError::Exited { .. }) => {}
        other => panic!("expected the process to exit, got {other:?}"),
    }
    assert!(
        lambda.logs().iter().any(|l| l.contains("missing lambda-runtime-deadline-ms header")),
        "{:?}",
        lambda.logs()
    );
    lambda.stop().await;
}
