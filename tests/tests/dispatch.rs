//! Review-request dispatch against DynamoDB Local, the simulator and moto (EventBridge read
//! back through a rule to SQS).

use autopilot_shared::spapi::SellerCalls;
use std::sync::Arc;

use autopilot_shared::capture::OrderRecorder;
use autopilot_shared::dispatch::{DispatchSettings, DispatchSummary};
use autopilot_shared::domain::{
    Clock, DeliveryWindow, ExpiryReason, Marketplace, Order, OrderId, OrderStatus, ReviewRequest, SellerAccount,
    SkipReason,
};
use autopilot_shared::spapi::{Operation, SecretsManagerCredentials, SpApi, SpApiConfig, UsagePlan, UsagePlans};
use autopilot_shared::store::{DynamoStore, Expect, OrderRepository, SellerDirectory};
use autopilot_tests::sim::{
    EventTap, SCHEDULED_EVENT, SimHarness, as_notified, aws_config, deadline_in, fba_sim_order, invocation_of,
    sim_harness, sim_order,
};
use chrono::{DateTime, Duration, Utc};
use spapi_sim::Faults;

struct World {
    h: SimHarness,
    store: DynamoStore,
    seller: SellerAccount,
    tap: EventTap,
}

impl World {
    async fn new(plans: UsagePlans) -> Self {
        let h = sim_harness(plans, |c| c.max_attempts = 6).await;
        let (store, seller) = h.us_seller_store().await;
        Self { tap: EventTap::new().await, h, store, seller }
    }

    fn now(&self) -> DateTime<Utc> {
        self.h.simulator().now()
    }

    async fn deps(&self, api: Arc<SpApi>) -> autopilot_shared::dispatch::Dispatcher {
        autopilot_shared::dispatch::Dispatcher {
            orders: Arc::new(self.store.clone()),
            due: Arc::new(self.store.clone()),
            outcomes: Arc::new(self.store.clone()),
            sellers: Arc::new(self.store.clone()),
            events: Arc::new(self.tap.publisher().await),
            api,
            clock: self.h.simulator().clock(),
            settings: DispatchSettings::default(),
        }
    }

    async fn run(&self, name: &str) -> DispatchSummary {
        // Through the Lambda handler, as the schedule invokes it (30 s left after its margin).
        let invocation = invocation_of(serde_json::from_str(SCHEDULED_EVENT).unwrap(), name, 40.0);
        solicit::handle(&self.deps(self.h.api.clone()).await, invocation).await.unwrap().into_summary()
    }

    /// A seller-fulfilled order bought `days_ago` (shipped an hour later, delivered 2-4 days
    /// after purchase), on Amazon and recorded as its notification shows it.
    async fn shipped(&self, n: u32, days_ago: i64) -> OrderId {
        let id = format!("111-6000000-{n:07}");
        self.record(sim_order(&self.seller.seller_id, &id, self.now() - Duration::days(days_ago))).await
    }

    /// The same, fulfilled by Amazon: its notification shows no delivery dates.
    async fn shipped_fba(&self, n: u32, days_ago: i64) -> OrderId {
        let id = format!("111-6100000-{n:07}");
        self.record(fba_sim_order(&self.seller.seller_id, &id, self.now() - Duration::days(days_ago))).await
    }

    async fn record(&self, order: spapi_sim::SimOrder) -> OrderId {
        self.h.simulator().upsert_order(order.clone());
        OrderRecorder::new(Arc::new(self.store.clone()), Arc::new(self.store.clone()))
            .record(&as_notified(&order))
            .await
            .unwrap();
        OrderId::parse(order.order.amazon_order_id).unwrap()
    }

    async fn order(&self, id: &OrderId) -> Order {
        self.store.get_order(&self.seller.seller_id, id).await.unwrap().unwrap().value
    }

    /// Overwrite a recorded order (to set up states order capture would not produce).
    async fn rewrite(&self, id: &OrderId, change: impl FnOnce(&mut Order)) {
        let read = self.store.get_order(&self.seller.seller_id, id).await.unwrap().unwrap();
        let mut order = read.value;
        change(&mut order);
        self.store.put_order(&order, Expect::Version(read.version)).await.unwrap();
    }
}

fn sent(order: &Order) -> Option<(DateTime<Utc>, bool)> {
    match order.review_request {
        ReviewRequest::Sent { sent_at, sent_earlier } => Some((sent_at, sent_earlier)),
        _ => None,
    }
}

#[tokio::test]
async fn due_orders_are_requested_once_inside_the_window_and_the_run_is_summarised() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    let ids = [w.shipped(1, 14).await, w.shipped(2, 15).await, w.shipped(3, 3).await];
    let summary = w.run("run-1").await;
    assert_eq!((summary.sent, summary.failed, summary.sellers), (2, 0, 1), "{summary:?}");
    for id in &ids[..2] {
        let (at, earlier) = sent(&w.order(id).await).expect("sent");
        assert_eq!((at, earlier), (w.now(), false));
    }
    assert!(matches!(w.order(&ids[2]).await.review_request, ReviewRequest::Pending { .. }), "not due yet");
    let records = w.h.simulator().solicitations();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert!(r.sent_at >= r.window_opens_at && r.sent_at < r.window_closes_at);
        assert_eq!((r.accepted, r.refused_duplicates), (1, 0));
    }
    assert_eq!(w.run("run-2").await.sent, 0, "nothing is asked twice");

    let events = w.tap.drain().await;
    let runs: Vec<_> = events.iter().filter(|e| e["detail-type"] == "ReviewRequestRunCompleted").collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["detail"]["sent"], 2);
    assert_eq!(runs[0]["source"], "feedback-autopilot");
    // the seller's part, for the digest: only for run-1 (run-2 reached no outcome)
    let parts: Vec<_> = events.iter().filter(|e| e["detail-type"] == "ReviewRequestsProcessed").collect();
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(parts[0]["detail"]["sent"], 2);
    assert_eq!(parts[0]["detail"]["event_id"], format!("review-requests:{}:run-1", w.seller.seller_id));

    // a week later the third is due
    w.h.simulator().advance(Duration::days(8));
    assert_eq!(w.run("run-3").await.sent, 1);
}

#[tokio::test]
async fn the_estimate_schedules_but_amazon_decides_and_the_cutoff_ends_it() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    let now = w.now();
    let before = w.shipped(1, 10).await;
    // our estimate: the window opens a minute from now (earliest delivery + 5 days)
    w.rewrite(&before, |o| {
        o.delivery = DeliveryWindow::new(now - Duration::days(5) + Duration::minutes(1), now - Duration::days(4));
        o.review_request = ReviewRequest::Pending { due_at: now, needs_delivery_dates: false };
    })
    .await;
    // our estimate: the window closed a minute ago; Amazon's own estimate (revised, its
    // notification lost) still has it open: Amazon is asked, and the request goes out
    let stale = w.shipped(2, 10).await;
    w.rewrite(&stale, |o| {
        o.delivery = DeliveryWindow::new(now - Duration::days(33), now - Duration::days(30) - Duration::minutes(1));
        o.review_request = ReviewRequest::Pending { due_at: now, needs_delivery_dates: false };
    })
    .await;
    // shipped 47 days ago: past the estimate's window and the 45-day cutoff
    let gone = w.shipped(3, 47).await;
    w.rewrite(&gone, |o| o.review_request = ReviewRequest::Pending { due_at: now, needs_delivery_dates: false }).await;
    let summary = w.run("edges").await;
    assert_eq!((summary.sent, summary.rescheduled, summary.expired), (1, 1, 1), "{summary:?}");
    match w.order(&before).await.review_request {
        ReviewRequest::Pending { due_at, .. } => assert!(due_at >= now + Duration::minutes(1), "{due_at}"),
        other => panic!("{other:?}"),
    }
    assert!(sent(&w.order(&stale).await).is_some());
    assert!(matches!(
        w.order(&gone).await.review_request,
        ReviewRequest::Expired { reason: Some(ExpiryReason::WindowClosed), .. }
    ));
    let records = w.h.simulator().solicitations();
    assert_eq!(records.len(), 1);
    assert!(records[0].sent_at >= records[0].window_opens_at && records[0].sent_at < records[0].window_closes_at);
    assert_eq!(w.h.simulator().calls("getSolicitationActionsForOrder", 200), 1, "the expired order cost no call");
}

#[tokio::test]
async fn an_fba_order_is_planned_from_its_ship_time_and_requested_when_amazon_offers_it() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    // bought 8 days ago: planned for ship time + 3 days transit + 7 days = 2 days from now
    let id = w.shipped_fba(1, 8).await;
    let recorded = w.order(&id).await;
    assert_eq!(recorded.delivery, DeliveryWindow::default(), "Amazon showed no dates");
    assert!(matches!(recorded.review_request, ReviewRequest::Pending { needs_delivery_dates: false, .. }));
    assert_eq!(w.run("early").await.sent, 0, "not due yet");
    w.h.simulator().advance(Duration::days(2) + Duration::hours(2));
    let summary = w.run("due").await;
    assert_eq!((summary.sent, summary.delivery_dates_fetched, summary.questions_asked), (1, 0, 1), "{summary:?}");
    let sim = w.h.simulator();
    assert_eq!(sim.calls("getOrder", 200), 0, "never a getOrder for an FBA order");
    let records = sim.solicitations();
    assert!(records[0].sent_at >= records[0].window_opens_at && records[0].sent_at < records[0].window_closes_at);
}

#[tokio::test]
async fn a_seller_fulfilled_order_without_dates_is_looked_up_once() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    let id = w.shipped(1, 14).await;
    w.rewrite(&id, |o| {
        o.delivery = DeliveryWindow::default();
        o.review_request = ReviewRequest::Pending { due_at: o.purchase_date, needs_delivery_dates: true };
    })
    .await;
    let summary = w.run("dates").await;
    assert_eq!((summary.delivery_dates_fetched, summary.sent), (1, 1), "{summary:?}");
    assert!(w.order(&id).await.delivery.latest.is_some(), "deliverByWindow from getOrder (v2026)");

    // Amazon has no estimate either: planned from the ship time, Amazon asked, not offered
    // (Amazon's window is unknown to it too), asked again tomorrow, never looked up again
    let unknown = w.shipped(2, 14).await;
    let mut on_amazon = w.h.simulator().order(w.seller.seller_id.as_str(), unknown.as_str()).unwrap();
    on_amazon.order.earliest_delivery_date = None;
    on_amazon.order.latest_delivery_date = None;
    w.h.simulator().upsert_order(on_amazon);
    w.rewrite(&unknown, |o| {
        o.delivery = DeliveryWindow::default();
        o.review_request = ReviewRequest::Pending { due_at: o.purchase_date, needs_delivery_dates: true };
    })
    .await;
    let summary = w.run("no-dates").await;
    assert_eq!((summary.delivery_dates_fetched, summary.not_offered), (1, 1), "{summary:?}");
    assert_eq!(
        w.order(&unknown).await.review_request,
        ReviewRequest::Pending { due_at: w.now() + Duration::days(1), needs_delivery_dates: false }
    );
    w.h.simulator().advance(Duration::days(1));
    let summary = w.run("next-day").await;
    assert_eq!((summary.delivery_dates_fetched, summary.not_offered), (0, 1), "{summary:?}");
    assert_eq!(w.h.simulator().calls("getOrder", 200), 2, "one lookup per order");
}

#[tokio::test]
async fn every_exclusion_is_skipped_with_its_reason_and_never_sent() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    let mut account = w.seller.clone();
    account.review_requests.do_not_solicit_orders.insert(OrderId::parse("111-6000000-0000004").unwrap());
    account.review_requests.do_not_solicit_skus.insert("SKU-BLOCKED".into());
    account.review_requests.excluded_programs.insert("Business".into());
    // the seller sells in DE too but turned review requests off there
    account.review_requests.enabled_marketplaces = [Marketplace::Us].into();
    w.store.put_seller(&account).await.unwrap();
    let mut ids = Vec::new();
    for n in 1..=8 {
        ids.push(w.shipped(n, 14).await);
    }
    w.rewrite(&ids[0], |o| o.status = OrderStatus::Canceled).await;
    w.rewrite(&ids[1], |o| o.buyer_cancel_requested = true).await;
    w.rewrite(&ids[2], |o| o.negative_feedback = true).await;
    // ids[3] is on the do-not-solicit list
    w.rewrite(&ids[4], |o| o.skus.push("SKU-BLOCKED".into())).await;
    w.rewrite(&ids[5], |o| o.programs = vec!["Business".into()]).await;
    w.rewrite(&ids[6], |o| o.marketplace = Marketplace::De).await;
    w.rewrite(&ids[7], |o| o.refunded_at = Some(o.purchase_date + Duration::days(5))).await;

    let summary = w.run("exclusions").await;
    assert_eq!(summary.sent, 0);
    let expected = [
        SkipReason::Canceled,
        SkipReason::BuyerRequestedCancel,
        SkipReason::NegativeFeedback,
        SkipReason::DoNotSolicitOrder,
        SkipReason::DoNotSolicitSku,
        SkipReason::ExcludedProgram,
        SkipReason::MarketplaceDisabled,
        SkipReason::Refunded,
    ];
    for (id, reason) in ids.iter().zip(expected) {
        assert!(
            matches!(w.order(id).await.review_request, ReviewRequest::Skipped { reason: r, .. } if r == reason),
            "{id}: expected {reason:?}"
        );
        assert_eq!(summary.skipped.get(&reason), Some(&1), "{summary:?}");
    }
    assert!(w.h.simulator().solicitations().is_empty());
}

#[tokio::test]
async fn a_crash_between_sending_and_recording_is_recorded_as_sent_earlier_by_the_run_after_it() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    let id = w.shipped(1, 14).await;
    // a dispatcher sent the request and died before recording it: the order is still due
    let api = w.h.api.seller(&w.seller, Marketplace::Us.region()).await.unwrap();
    api.request_review(&id, Marketplace::Us, deadline_in(5.0)).await.unwrap();
    // An ordinary run finds it not offered any more, and sends nothing.
    let ordinary = w.run("ordinary").await;
    assert_eq!((ordinary.not_offered, ordinary.sent_earlier), (1, 0), "{ordinary:?}");
    assert_eq!(w.h.simulator().solicitations()[0].refused_duplicates, 0, "no POST for an unoffered order");
    // The run of the unit SQS delivered again reads Amazon's verdict.
    w.h.simulator().advance(Duration::hours(25));
    let deps = w.deps(w.h.api.clone()).await;
    let after_crash = std::collections::BTreeSet::from([w.seller.seller_id.clone()]);
    let summary = deps
        .run_sellers_after("after-crash", std::slice::from_ref(&w.seller), &after_crash, deadline_in(30.0))
        .await
        .unwrap();
    assert_eq!((summary.sent, summary.sent_earlier, summary.failed), (0, 1, 0), "{summary:?}");
    assert!(matches!(sent(&w.order(&id).await), Some((_, true))));
    let records = w.h.simulator().solicitations();
    assert_eq!((records[0].accepted, records[0].refused_duplicates), (1, 1), "one request; the probe was refused");
}

#[tokio::test]
async fn an_order_amazon_never_offers_is_asked_on_the_cadence_until_the_cutoff_within_the_bound() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    let id = w.shipped(1, 14).await;
    let mut on_amazon = w.h.simulator().order(w.seller.seller_id.as_str(), id.as_str()).unwrap();
    on_amazon.solicitation_eligible = false;
    w.h.simulator().upsert_order(on_amazon);
    let mut runs = 0;
    let final_state = loop {
        w.run(&format!("day-{runs}")).await;
        runs += 1;
        let state = w.order(&id).await.review_request;
        if state.is_final() || runs > 60 {
            break state;
        }
        // the dispatcher's schedule: every 15 minutes, a day at a time here
        w.h.simulator().advance(Duration::hours(24));
    };
    assert!(
        matches!(final_state, ReviewRequest::Expired { reason: Some(ExpiryReason::NotOffered), .. }),
        "{final_state:?}"
    );
    let sim = w.h.simulator();
    let questions = sim.calls("getSolicitationActionsForOrder", 200);
    let bound = w.seller.review_requests.asking.max_questions_per_order();
    assert!(questions <= bound, "{questions} questions, bound {bound}");
    assert!(questions >= 30, "asked daily from its due day to the cutoff: {questions}");
    assert_eq!(sim.calls("createProductReviewAndSellerFeedbackSolicitation", 403), 0, "never sent unoffered");
    assert!(sim.solicitations().is_empty());
    assert_eq!(w.order(&id).await.solicitation_checks as u32, questions);
}

#[tokio::test]
async fn a_not_eligible_refusal_is_classified_and_the_order_is_not_sent() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    let id = w.shipped(1, 14).await;
    // offered by getSolicitationActionsForOrder, then refused (Amazon's wording for this is
    // not documented: the simulator's knob, classified by the client as not eligible)
    let mut fidelity = w.h.simulator().fidelity();
    fidelity.not_eligible_message = "This order is not eligible for a solicitation.".into();
    w.h.simulator().set_fidelity(fidelity);
    let api = w.h.api.seller(&w.seller, Marketplace::Us.region()).await.unwrap();
    assert!(api.can_request_review(&id, Marketplace::Us, deadline_in(5.0)).await.unwrap());
    let mut on_amazon = w.h.simulator().order(w.seller.seller_id.as_str(), id.as_str()).unwrap();
    on_amazon.solicitation_eligible = false;
    w.h.simulator().upsert_order(on_amazon);
    // the order became ineligible between the question and the request: simulated by making
    // the question answer from before (the dispatcher asks again itself, so go through a crash)
    let err = api.request_review(&id, Marketplace::Us, deadline_in(5.0)).await.unwrap_err();
    assert_eq!(err.forbidden_kind(), Some(autopilot_shared::spapi::ForbiddenKind::NotEligible), "{err}");
    let summary = w.run("ineligible").await;
    assert_eq!(summary.not_offered, 1, "not offered: asked again later, not sent: {summary:?}");
    assert!(w.h.simulator().solicitations().is_empty());
}

async fn separate_client(w: &World) -> Arc<SpApi> {
    let mut config = SpApiConfig::local(&w.h.base_url());
    config.usage_plans = UsagePlans::scaled(50.0);
    config.backoff_base = std::time::Duration::from_millis(20);
    Arc::new(SpApi::new(config, Arc::new(SecretsManagerCredentials::new(&aws_config().await)), w.h.simulator().clock()))
}

#[tokio::test]
async fn parallel_dispatchers_never_send_twice() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    for n in 0..30 {
        w.shipped(n, 14).await;
    }
    let (a, b, c) = (
        w.deps(separate_client(&w).await).await,
        w.deps(separate_client(&w).await).await,
        w.deps(separate_client(&w).await).await,
    );
    let (ra, rb, rc) =
        tokio::join!(a.run("a", deadline_in(30.0)), b.run("b", deadline_in(30.0)), c.run("c", deadline_in(30.0)),);
    // No claim keeps them apart (outside the fan-out nothing does): Amazon's one request per
    // order does, and each order's record ends as sent.
    let runs = [ra.unwrap(), rb.unwrap(), rc.unwrap()];
    let accepted: u32 = runs.iter().map(|r| r.sent).sum();
    assert_eq!(accepted, 30, "one dispatcher's request accepted per order: {runs:?}");
    let records = w.h.simulator().solicitations();
    assert_eq!(records.len(), 30);
    assert!(records.iter().all(|r| r.accepted == 1), "one request per order reached the buyer");
    for r in &records {
        let id = OrderId::parse(r.order_id.clone()).unwrap();
        assert!(sent(&w.order(&id).await).is_some(), "{}", r.order_id);
    }
}

#[tokio::test]
async fn rate_limit_storms_and_server_faults_still_get_every_order_requested_inside_its_window() {
    // Amazon's plan for solicitations at 10/s, two dispatchers fighting over it, and 30% faults
    let plan = UsagePlan { rate_per_second: 10.0, burst: 5 };
    let plans = UsagePlans::scaled(50.0)
        .with(Operation::GetSolicitationActionsForOrder, plan)
        .with(Operation::CreateProductReviewAndSellerFeedbackSolicitation, plan);
    let w = World::new(plans).await;
    for n in 0..25 {
        w.shipped(n, 14).await;
    }
    w.h.simulator().set_faults(Faults { error_500: 0.1, error_503: 0.1, drop_connection: 0.1, latency_ms: 2 });
    let a = w.deps(separate_client(&w).await).await;
    let b = w.deps(separate_client(&w).await).await;
    let mut requested = 0;
    for round in 0..6 {
        let (ra, rb) = tokio::join!(a.run("a", deadline_in(20.0)), b.run("b", deadline_in(20.0)));
        requested += ra.unwrap().sent + rb.unwrap().sent;
        if requested >= 25 {
            break;
        }
        // the next scheduled run, a few minutes later
        w.h.simulator().advance(Duration::minutes(5 + round));
    }
    let records = w.h.simulator().solicitations();
    assert_eq!(records.len(), 25, "every eligible order was requested");
    for r in &records {
        assert!(r.sent_at >= r.window_opens_at && r.sent_at < r.window_closes_at);
        assert_eq!(r.accepted, 1);
    }
    let throttled = w.h.simulator().calls("createProductReviewAndSellerFeedbackSolicitation", 429)
        + w.h.simulator().calls("getSolicitationActionsForOrder", 429);
    let faults = w.h.simulator().calls("getSolicitationActionsForOrder", 500)
        + w.h.simulator().calls("getSolicitationActionsForOrder", 503);
    assert!(faults > 0, "faults were injected");
    assert!(throttled < 50, "{throttled} 429s: the dispatchers back off instead of hammering");
}

#[tokio::test]
async fn a_run_stops_at_its_deadline_and_the_next_one_finishes() {
    let plan = UsagePlan { rate_per_second: 5.0, burst: 1 };
    let plans = UsagePlans::scaled(50.0)
        .with(Operation::GetSolicitationActionsForOrder, plan)
        .with(Operation::CreateProductReviewAndSellerFeedbackSolicitation, plan);
    let w = World::new(plans).await;
    for n in 0..20 {
        w.shipped(n, 14).await;
    }
    let deps = w.deps(w.h.api.clone()).await;
    let first = deps.run("short", deadline_in(1.5)).await.unwrap();
    assert!(first.sent < 20 && first.sent > 0, "{first:?}");
    assert!(first.left_for_next_run + first.rescheduled > 0, "{first:?}");
    let mut total = first.sent;
    for _ in 0..5 {
        total += deps.run("next", deadline_in(10.0)).await.unwrap().sent;
        if total == 20 {
            break;
        }
    }
    assert_eq!(total, 20);
    assert!(w.h.simulator().solicitations().iter().all(|r| r.refused_duplicates == 0));
    assert!(w.h.simulator().clock().now() > w.now() - Duration::seconds(1));
}

/// A bus that refuses the first `failures` publishes (an orchestration fake: the EventBridge
/// adapter itself is tested against moto).
struct FlakyBus {
    failures: std::sync::atomic::AtomicU32,
    published: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl autopilot_shared::events::EventPublisher for FlakyBus {
    async fn publish(
        &self,
        events: &[autopilot_shared::events::DomainEvent],
    ) -> Result<(), autopilot_shared::events::PublishError> {
        use std::sync::atomic::Ordering;
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(autopilot_shared::events::PublishError::Backend("throttled".into()));
        }
        self.published.lock().unwrap().extend(events.iter().map(|e| e.detail_type.clone()));
        Ok(())
    }
}

#[tokio::test]
async fn a_failed_summary_publish_is_retried_and_a_lasting_failure_is_counted() {
    let w = World::new(UsagePlans::scaled(50.0)).await;
    w.shipped(1, 14).await;
    let mut deps = w.deps(w.h.api.clone()).await;
    let flaky = Arc::new(FlakyBus { failures: 2.into(), published: Default::default() });
    deps.events = flaky.clone();
    let summary = deps.run("flaky", deadline_in(30.0)).await.unwrap();
    assert_eq!((summary.sent, summary.events_unpublished), (1, 0), "{summary:?}");
    assert_eq!(*flaky.published.lock().unwrap(), ["ReviewRequestsProcessed", "ReviewRequestRunCompleted"]);

    w.shipped(2, 14).await;
    let down = Arc::new(FlakyBus { failures: 100.into(), published: Default::default() });
    deps.events = down.clone();
    let summary = deps.run("down", deadline_in(30.0)).await.unwrap();
    assert_eq!((summary.sent, summary.events_unpublished), (1, 2), "the loss is visible: {summary:?}");
}
