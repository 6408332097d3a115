//! Feedback sync end to end: the simulator's report lifecycle and REPORT_PROCESSING_FINISHED
//! notifications through moto SQS, the store on DynamoDB Local, domain events read back from a
//! moto EventBridge bus through a rule to an SQS queue.

use std::sync::Arc;

use autopilot_shared::domain::feedback::FeedbackDeadlines;
use autopilot_shared::domain::{Clock, FulfillmentChannel, Marketplace, OrderId, ReviewRequest, SellerAccount};
use autopilot_shared::fanout::{Job, WorkUnit};
use autopilot_shared::feedback_sync::{FeedbackSync, SyncSettings, SyncSummary};
use autopilot_shared::onboarding::NotificationType;
use autopilot_shared::spapi::UsagePlans;
use autopilot_shared::store::{
    DynamoStore, Expect, FeedbackStore, OrderDay, OrderRepository, OrderVolume, RatingStore, ReportJobs, StoredFeedback,
};
use autopilot_tests::fixtures::{order, order_id};
use autopilot_tests::sim::{
    EventTap, SCHEDULED_EVENT, SimHarness, aws_config, deadline_in, invocation_of, onboarding, queue_arn, receive_all,
    sim_harness,
};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{Duration, NaiveDate};
use serde_json::Value;
use spapi_sim::queues::lambda_batch;
use spapi_sim::{DeliveryOptions, FeedbackRow};

struct World {
    h: SimHarness,
    store: DynamoStore,
    seller: SellerAccount,
    tap: EventTap,
    sqs: aws_sdk_sqs::Client,
    report_queue: String,
}

impl World {
    async fn new() -> Self {
        let h = sim_harness(UsagePlans::amazon(), |c| c.max_attempts = 6).await;
        let (store, seller) = h.us_seller_store().await;
        let sqs = aws_sdk_sqs::Client::new(&aws_config().await);
        let name = format!("reports-{}", uuid::Uuid::new_v4().simple());
        let report_queue = sqs.create_queue().queue_name(name).send().await.unwrap().queue_url.unwrap();
        let arn = queue_arn(&sqs, &report_queue).await;
        onboarding(&aws_config().await, &h.api)
            .subscribe(&seller, NotificationType::ReportProcessingFinished, "reports", &arn, deadline_in(5.0))
            .await
            .unwrap();
        Self { tap: EventTap::new().await, h, store, seller, sqs, report_queue }
    }

    fn today(&self) -> NaiveDate {
        self.h.simulator().now().date_naive()
    }

    async fn deps(&self) -> FeedbackSync {
        FeedbackSync {
            store: Arc::new(self.store.clone()),
            events: Arc::new(self.tap.publisher().await),
            api: self.h.api.clone(),
            clock: self.h.simulator().clock(),
            settings: SyncSettings::default(),
        }
    }

    /// An order recorded by order capture, `days_ago` days before now.
    async fn recorded_order(&self, n: u32, days_ago: i64, fulfillment: FulfillmentChannel) -> OrderId {
        let purchased = self.h.simulator().now() - Duration::days(days_ago);
        let mut o = order(&self.seller.seller_id, n, purchased, ReviewRequest::AwaitingShipment);
        o.fulfillment = fulfillment;
        self.store.put_order(&o, Expect::Absent).await.unwrap();
        o.order_id
    }

    /// The orders per day as the poll would have counted them from searchOrders: every day
    /// of the ODR window through yesterday, with one order on each day of `orders_days_ago`.
    async fn count_days(&self, orders_days_ago: &[i64]) {
        let today = self.today();
        for back in 1..=60 {
            let orders = orders_days_ago.iter().filter(|d| **d == back).count() as u64;
            let day = OrderDay { day: today - Duration::days(back), orders, resume: None };
            self.store.put_order_day(&self.seller.seller_id, Marketplace::Us, &day).await.unwrap();
        }
    }

    fn feedback(&self, order: &OrderId, days_ago: i64, rating: u8, comment: &str) {
        self.h.simulator().add_feedback(
            self.seller.seller_id.as_str(),
            Marketplace::Us,
            FeedbackRow {
                date: self.today() - Duration::days(days_ago),
                rating,
                comment: comment.into(),
                response: String::new(),
                order_id: order.to_string(),
                rater_email: format!("buyer-{}@marketplace.amazon.com", order.as_str()),
            },
        );
    }

    async fn scheduled_run(&self) -> SyncSummary {
        let deps = self.deps().await;
        let schedule = serde_json::from_str(SCHEDULED_EVENT).unwrap();
        let out = feedback_sync::handle(&deps, invocation_of(schedule, "scheduled", 30.0)).await.unwrap();
        serde_json::from_value(serde_json::to_value(out).unwrap()).unwrap()
    }

    /// Let Amazon finish, deliver its notifications (each twice), and hand them to the
    /// function as one SQS batch. Returns the batch's failures.
    async fn deliver_reports(&self, options: DeliveryOptions) -> Vec<String> {
        self.h.simulator().advance(Duration::minutes(2));
        self.h.simulator().deliver_notifications(&options).await.unwrap();
        let event = lambda_batch(receive_all(&self.sqs, &self.report_queue).await);
        let deps = self.deps().await;
        let out = feedback_sync::handle(&deps, invocation_of(serde_json::to_value(event).unwrap(), "notified", 30.0))
            .await
            .unwrap();
        let out = serde_json::to_value(out).unwrap();
        out["batchItemFailures"].as_array().unwrap().iter().map(|f| f["itemIdentifier"].to_string()).collect()
    }

    async fn stored(&self) -> Vec<StoredFeedback> {
        self.store
            .feedback_between(&self.seller.seller_id, Marketplace::Us, self.today() - Duration::days(400), self.today())
            .await
            .unwrap()
    }

    async fn events_of(&self, detail_type: &str) -> Vec<Value> {
        events_of(&self.tap.drain().await, detail_type)
    }
}

fn events_of(events: &[Value], detail_type: &str) -> Vec<Value> {
    events.iter().filter(|e| e["detail-type"] == detail_type).map(|e| e["detail"].clone()).collect()
}

fn twice() -> DeliveryOptions {
    DeliveryOptions { duplicate_share: 1.0, ..DeliveryOptions::default() }
}

#[tokio::test]
async fn a_finished_report_is_applied_once_from_its_notification() {
    let w = World::new().await;
    let afn = w.recorded_order(1, 20, FulfillmentChannel::Afn).await;
    let rude = w.recorded_order(2, 15, FulfillmentChannel::Mfn).await;
    let mixed = w.recorded_order(3, 12, FulfillmentChannel::Mfn).await;
    w.recorded_order(4, 10, FulfillmentChannel::Mfn).await; // no feedback
    w.count_days(&[20, 15, 12, 10]).await;
    let unknown = order_id(99); // an order older than Feedback Autopilot
    w.feedback(&afn, 10, 1, "Package arrived late, the delivery took two weeks");
    w.feedback(&rude, 8, 1, "shit seller, never again");
    w.feedback(&mixed, 6, 3, "The item is fine but the seller never answered my message");
    w.feedback(&unknown, 5, 2, "Not what I ordered");

    let first = w.scheduled_run().await;
    assert_eq!((first.reports_requested, first.reports_applied), (1, 0));
    assert!(w.stored().await.is_empty(), "nothing before Amazon finishes the report");

    assert!(w.deliver_reports(twice()).await.is_empty(), "no message fails");
    let stored = w.stored().await;
    assert_eq!(stored.len(), 4);
    for s in &stored {
        assert!(s.follow_up.is_some(), "{} was followed up", s.feedback.order_id);
    }
    let flagged = |id: &OrderId| {
        let store = w.store.clone();
        let seller = w.seller.seller_id.clone();
        let id = id.clone();
        async move { store.get_order(&seller, &id).await.unwrap().unwrap().value.negative_feedback }
    };
    assert!(flagged(&afn).await && flagged(&rude).await, "orders with negative feedback are never solicited");
    assert!(!flagged(&mixed).await, "a neutral feedback does not flag its order");

    let events = w.tap.drain().await;
    let negatives = events_of(&events, "NegativeFeedbackReceived");
    assert_eq!(negatives.len(), 4, "one event per feedback although every notification came twice: {negatives:#?}");
    let by_order = |id: &OrderId| negatives.iter().find(|e| e["feedback"]["order_id"] == id.as_str()).unwrap().clone();
    let afn_event = by_order(&afn);
    assert_eq!(afn_event["triage"]["reasons"], serde_json::json!(["fba_delivery"]));
    assert_eq!(afn_event["triage"]["strike_through"], true);
    assert_eq!(afn_event["fulfillment"], "AFN");
    let deadlines: Vec<&str> =
        afn_event["deadlines"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(deadlines, ["buyer_removal", "removal_request"]);
    assert_eq!(afn_event["deadlines"][0]["days_left"], 50);
    let rude_event = by_order(&rude);
    assert_eq!(rude_event["triage"]["removable"], true);
    assert_eq!(rude_event["triage"]["reasons"], serde_json::json!(["obscene"]));
    let mixed_event = by_order(&mixed);
    assert_eq!(mixed_event["triage"]["removable"], false);
    assert_eq!(mixed_event["feedback"]["star_class"], "neutral");
    assert_eq!(mixed_event["deadlines"].as_array().unwrap().len(), 1, "no removal request without grounds");
    assert!(by_order(&unknown).get("order_date").is_none());

    // Ratings: 3 negatives + 1 neutral in 30 days; ODR: 2 of the 4 recorded orders (the third
    // negative's order is unknown, so it cannot be placed by order date).
    let snapshot = w.store.latest_snapshot(&w.seller.seller_id, Marketplace::Us, w.today()).await.unwrap().unwrap();
    assert_eq!(snapshot.ratings.days_30.counts.negative, 3);
    assert_eq!(snapshot.ratings.days_30.counts.neutral, 1);
    assert_eq!(snapshot.ratings.days_30.positive_share, None, "the report lists no positives: no share invented");
    assert_eq!((snapshot.orders_60, snapshot.negative_orders_60), (4, 2));
    assert_eq!(snapshot.odr_negative_rate, Some(0.5));
    let crossed = events_of(&events, "RatingThresholdCrossed");
    let kinds: Vec<&str> = crossed.iter().map(|e| e["crossing"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["negatives_at_least", "odr_negative_rate_at_least"]);

    // A second run the same day: nothing new, no event repeated.
    let again = w.scheduled_run().await;
    assert_eq!((again.reports_requested, again.negatives_announced, again.thresholds_crossed), (0, 0, 0));
    assert!(w.tap.drain().await.is_empty());
}

#[tokio::test]
async fn the_rater_email_is_never_stored() {
    let w = World::new().await;
    let id = w.recorded_order(1, 10, FulfillmentChannel::Mfn).await;
    w.feedback(&id, 3, 1, "never arrived");
    w.scheduled_run().await;
    w.deliver_reports(DeliveryOptions::default()).await;
    assert_eq!(w.stored().await.len(), 1);
    let items = autopilot_tests::dynamodb_client()
        .await
        .query()
        .table_name(&w.store.config().table_name)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "SELLER#{}#MP#{}#FEEDBACK",
                w.seller.seller_id,
                Marketplace::Us.id()
            )),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    assert_eq!(items.len(), 1);
    let dump = format!("{items:?}");
    assert!(dump.contains("never arrived"));
    assert!(!dump.contains("marketplace.amazon.com"), "rater e-mail stored: {dump}");
}

#[tokio::test]
async fn without_a_notification_the_poll_applies_the_report_and_a_late_one_is_ignored() {
    let w = World::new().await;
    let id = w.recorded_order(1, 10, FulfillmentChannel::Mfn).await;
    w.feedback(&id, 2, 2, "slow and rude");
    assert_eq!(w.scheduled_run().await.reports_requested, 1);
    w.h.simulator().advance(Duration::minutes(5));
    let early = w.scheduled_run().await;
    assert_eq!(early.reports_applied, 0, "the notification still has time to come");
    assert_eq!(w.h.simulator().calls("getReport", 200), 0);
    w.h.simulator().advance(Duration::minutes(15));
    let polled = w.scheduled_run().await;
    assert_eq!((polled.reports_applied, polled.negatives_announced), (1, 1));
    assert!(w.h.simulator().calls("getReport", 200) >= 1);
    // The notification Amazon sent meanwhile arrives after all: the job is done, nothing repeats.
    assert!(w.deliver_reports(DeliveryOptions::default()).await.is_empty());
    assert_eq!(w.events_of("NegativeFeedbackReceived").await.len(), 1);
}

#[tokio::test]
async fn a_cancelled_report_means_no_data_and_removes_nothing() {
    let w = World::new().await;
    let id = w.recorded_order(1, 10, FulfillmentChannel::Mfn).await;
    w.feedback(&id, 2, 1, "awful");
    w.scheduled_run().await;
    w.deliver_reports(DeliveryOptions::default()).await;
    assert_eq!(w.stored().await.len(), 1);
    w.h.simulator().remove_feedback(w.seller.seller_id.as_str(), id.as_str());
    w.h.simulator().advance(Duration::hours(25));
    assert_eq!(w.scheduled_run().await.reports_requested, 1);
    // Amazon cancels a report without rows; the simulator does too.
    w.deliver_reports(DeliveryOptions::default()).await;
    let stored = w.stored().await;
    assert_eq!(stored[0].removed_at, None, "a cancelled report proves nothing about removals");
    assert!(w.events_of("FeedbackRemoved").await.is_empty());
}

#[tokio::test]
async fn a_rejected_row_never_makes_feedback_look_removed() {
    let w = World::new().await;
    let broken = w.recorded_order(1, 12, FulfillmentChannel::Mfn).await;
    let slow = w.recorded_order(2, 12, FulfillmentChannel::Mfn).await;
    w.feedback(&broken, 2, 1, "arrived broken");
    w.feedback(&slow, 2, 2, "slow");
    w.scheduled_run().await;
    w.deliver_reports(DeliveryOptions::default()).await;
    assert_eq!(w.stored().await.len(), 2);
    w.events_of("NegativeFeedbackReceived").await;
    let before = w.store.latest_snapshot(&w.seller.seller_id, Marketplace::Us, w.today()).await.unwrap().unwrap();
    assert_eq!(before.ratings.days_90.counts.negative, 2);

    // The buyer edits the comment; Amazon's next document carries a tab inside it, so that row
    // has a column too many and is rejected.
    w.h.simulator().remove_feedback(w.seller.seller_id.as_str(), slow.as_str());
    w.feedback(&slow, 2, 2, "slow\tand the box was open");
    w.h.simulator().advance(Duration::days(1));
    w.scheduled_run().await;
    assert!(w.deliver_reports(DeliveryOptions::default()).await.is_empty());
    let stored = w.stored().await;
    assert!(stored.iter().all(|s| s.removed_at.is_none()), "nothing looks removed: {stored:#?}");
    assert!(w.events_of("FeedbackRemoved").await.is_empty(), "no false removal mail");
    let after = w.store.latest_snapshot(&w.seller.seller_id, Marketplace::Us, w.today()).await.unwrap().unwrap();
    assert_eq!(after.ratings.days_90.counts.negative, 2, "the ratings keep the unreadable feedback");
}

#[tokio::test]
async fn reminders_come_once_per_mark_and_a_removal_is_announced_with_the_new_rating() {
    let w = World::new().await;
    let keep = w.recorded_order(1, 12, FulfillmentChannel::Mfn).await;
    let rude = w.recorded_order(2, 12, FulfillmentChannel::Mfn).await;
    w.feedback(&keep, 2, 2, "slow");
    w.feedback(&rude, 2, 1, "shit service");
    w.scheduled_run().await;
    w.deliver_reports(DeliveryOptions::default()).await;
    assert_eq!(w.events_of("NegativeFeedbackReceived").await.len(), 2);
    let left = w.today() - Duration::days(2);
    let deadlines = FeedbackDeadlines::default();

    // 14 days before the buyer-removal deadline (day 46): one reminder each, once.
    w.h.simulator().set_time((left + Duration::days(46)).and_hms_opt(9, 0, 0).unwrap().and_utc());
    w.scheduled_run().await;
    w.deliver_reports(DeliveryOptions::default()).await;
    let reminders = w.events_of("FeedbackDeadlineApproaching").await;
    assert_eq!(reminders.len(), 2, "{reminders:#?}");
    assert!(reminders.iter().all(|r| r["mark"] == 14 && r["deadline"]["kind"] == "buyer_removal"));
    assert!(reminders.iter().all(|r| r["deadline"]["days_left"] == 14));
    w.scheduled_run().await;
    assert!(w.events_of("FeedbackDeadlineApproaching").await.is_empty(), "same day: nothing again");

    // Day 57: the 3-day buyer-removal reminders.
    w.h.simulator().set_time((left + Duration::days(57)).and_hms_opt(9, 0, 0).unwrap().and_utc());
    w.scheduled_run().await;
    let reminders = w.events_of("FeedbackDeadlineApproaching").await;
    assert_eq!(reminders.iter().map(|r| r["mark"].as_u64().unwrap()).collect::<Vec<_>>(), [3, 3]);

    // Day 76: 14 days before the removal-request deadline, only for the feedback with grounds.
    w.h.simulator().set_time((left + Duration::days(76)).and_hms_opt(9, 0, 0).unwrap().and_utc());
    w.scheduled_run().await;
    let reminders = w.events_of("FeedbackDeadlineApproaching").await;
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0]["feedback"]["order_id"], rude.as_str());
    assert_eq!(reminders[0]["deadline"]["kind"], "removal_request");
    assert_eq!(
        reminders[0]["deadline"]["date"],
        (left + Duration::days(i64::from(deadlines.removal_request_days))).to_string()
    );

    // Amazon removes it on the seller's request: the next report no longer lists it.
    let before = w.store.latest_snapshot(&w.seller.seller_id, Marketplace::Us, w.today()).await.unwrap().unwrap();
    assert_eq!(before.ratings.days_90.counts.negative, 2);
    w.h.simulator().remove_feedback(w.seller.seller_id.as_str(), rude.as_str());
    w.h.simulator().advance(Duration::days(1));
    w.scheduled_run().await;
    w.deliver_reports(DeliveryOptions::default()).await;
    let removed = w.events_of("FeedbackRemoved").await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["feedback"]["order_id"], rude.as_str());
    assert_eq!(removed[0]["had_grounds"], true);
    let after = w.store.latest_snapshot(&w.seller.seller_id, Marketplace::Us, w.today()).await.unwrap().unwrap();
    assert_eq!(after.ratings.days_90.counts.negative, 1, "a removed feedback stops counting");
    let history = w.store.snapshots_between(&w.seller.seller_id, Marketplace::Us, left, w.today()).await.unwrap();
    assert!(history.len() >= 4, "one snapshot per day the sync ran: {}", history.len());
    assert!(history.windows(2).all(|p| p[0].ratings.as_of < p[1].ratings.as_of), "oldest first");
}

#[tokio::test]
async fn a_malformed_notification_fails_alone() {
    let w = World::new().await;
    let deps = w.deps().await;
    let mut good = SqsMessage::default();
    good.message_id = Some("other".into());
    good.body = Some(r#"{"NotificationType":"ORDER_CHANGE","Payload":{}}"#.into());
    let mut bad = SqsMessage::default();
    bad.message_id = Some("bad".into());
    bad.body = Some(r#"{"notificationType":"REPORT_PROCESSING_FINISHED","payload":{"reportProcessingFinishedNotification":{"sellerId":"A1","reportId":"1","reportType":"GET_SELLER_FEEDBACK_DATA"}}}"#.into());
    let mut event = SqsEvent::default();
    event.records = vec![good, bad];
    let out =
        feedback_sync::handle(&deps, invocation_of(serde_json::to_value(event).unwrap(), "t", 20.0)).await.unwrap();
    let out = serde_json::to_value(out).unwrap();
    assert_eq!(out["batchItemFailures"], serde_json::json!([{"itemIdentifier": "bad"}]));
    let err = feedback_sync::handle_message(&deps, "t", Some(r#"{"notificationType":"REPORT_PROCESSING_FINISHED","payload":{"reportProcessingFinishedNotification":{"sellerId":"A1","reportId":"1","reportType":"GET_SELLER_FEEDBACK_DATA"}}}"#), deadline_in(10.0))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("processingStatus"), "{err}");
    let _ = w.h.simulator().clock().now();
}

/// A fan-out work unit in the queue batch runs the seller it names (its report is requested);
/// a unit of another job fails alone, and a notification in the same batch is still handled.
#[tokio::test]
async fn a_work_unit_runs_its_seller_beside_the_notifications() {
    let w = World::new().await;
    let deps = w.deps().await;
    let unit =
        |job| WorkUnit { job, seller_id: w.seller.seller_id.clone(), scheduled_at: w.h.simulator().clock().now() };
    let mut event = SqsEvent::default();
    for (id, body) in [
        ("unit", unit(Job::FeedbackSync).to_body()),
        ("wrong-job", unit(Job::Solicit).to_body()),
        ("other", r#"{"NotificationType":"ORDER_CHANGE","Payload":{}}"#.to_string()),
    ] {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = Some(body);
        event.records.push(message);
    }
    let out =
        feedback_sync::handle(&deps, invocation_of(serde_json::to_value(event).unwrap(), "t", 20.0)).await.unwrap();
    let out = serde_json::to_value(out).unwrap();
    assert_eq!(out["batchItemFailures"], serde_json::json!([{"itemIdentifier": "wrong-job"}]));
    let job = w
        .store
        .get_report_job(&w.seller.seller_id, Marketplace::Us, autopilot_shared::feedback_sync::FEEDBACK_REPORT_TYPE)
        .await
        .unwrap()
        .expect("the unit's run requested the seller's report");
    assert!(matches!(job.value.state, autopilot_shared::store::ReportJobState::Requested { .. }), "{:?}", job.value);
}
