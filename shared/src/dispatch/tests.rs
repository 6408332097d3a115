//! The dispatcher's outcomes (and the claims earlier versions stored) against in-memory ports: every at-most-once branch, in
//! milliseconds. The same rules run against DynamoDB Local and the simulator in
//! `tests/tests/dispatch.rs` and `tests/tests/fba_scenario.rs`.

use std::sync::Arc;

use chrono::Duration;
use tokio::time::Instant;

use super::*;
use crate::domain::{ManualClock, OrderId};
use crate::fakes::fixtures::{at, order_id, seller, shipped_order};
use crate::fakes::{FakeAmazon, FakeSpApi, MemoryBus, MemoryStore, SolicitationState};
use crate::lambda::Failure;

struct World {
    store: Arc<MemoryStore>,
    amazon: Arc<FakeAmazon>,
    bus: Arc<MemoryBus>,
    clock: Arc<ManualClock>,
    dispatcher: Dispatcher,
}

impl World {
    /// One seller, one MFN order shipped 2 March and due 12 March; the clock just past that.
    async fn new() -> Self {
        let store = MemoryStore::new();
        let amazon = FakeAmazon::new();
        let bus = MemoryBus::new();
        let clock = Arc::new(ManualClock::new(at("2026-03-12T01:00:00Z")));
        store.put_seller(&seller()).await.unwrap();
        store.insert_order(shipped_order(1, at("2026-03-02T00:00:00Z"), at("2026-03-12T00:00:00Z")));
        let dispatcher = Dispatcher {
            orders: store.clone(),
            due: store.clone(),
            outcomes: store.clone(),
            sellers: store.clone(),
            events: bus.clone(),
            api: Arc::new(FakeSpApi(amazon.clone())),
            clock: clock.clone(),
            settings: DispatchSettings::default(),
        };
        Self { store, amazon, bus, clock, dispatcher }
    }

    fn offered(&self, order: &OrderId, offered: bool) {
        let state = self.amazon.solicitation_state(order);
        self.amazon.solicitation(order, SolicitationState { offered, ..state });
    }

    async fn run(&self, id: &str) -> DispatchSummary {
        self.dispatcher.run(id, Instant::now() + std::time::Duration::from_secs(30)).await.unwrap()
    }

    fn state(&self, order: &OrderId) -> ReviewRequest {
        self.store.order(&seller().seller_id, order).unwrap().value.review_request
    }

    /// The order as a dispatcher `holder` left it: claimed, its lease running out at `until`.
    fn claimed_by(&self, holder: &str, until: DateTime<Utc>) {
        let mut order = self.store.order(&seller().seller_id, &order_id(1)).unwrap().value;
        order.review_request = ReviewRequest::Claimed {
            claimed_by: holder.into(),
            lease_until: until,
            due_at: at("2026-03-12T00:00:00Z"),
            needs_delivery_dates: false,
        };
        self.store.insert_order(order);
    }
}

#[tokio::test]
async fn an_offered_request_is_sent_once_and_recorded_as_sent() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    let first = w.run("run-1").await;
    assert_eq!((first.sent, first.questions_asked), (1, 1));
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Sent { sent_earlier: false, .. }));
    w.clock.advance(Duration::days(1));
    let second = w.run("run-2").await;
    assert_eq!(second.sent + second.not_claimed + second.sent_earlier, 0, "{second:?}");
    assert_eq!((w.amazon.posts(), w.amazon.accepted()), (1, 1));
}

#[tokio::test]
async fn not_offered_is_asked_again_a_day_later_and_never_posted() {
    let w = World::new().await;
    let first = w.run("run-1").await;
    assert_eq!((first.not_offered, first.sent), (1, 0));
    assert_eq!(w.amazon.posts(), 0, "nothing is sent that Amazon does not offer");
    let ReviewRequest::Pending { due_at, .. } = w.state(&order_id(1)) else { panic!("pending again") };
    assert_eq!(due_at, w.clock.now() + Duration::hours(24));
    w.clock.advance(Duration::hours(1));
    assert_eq!(w.run("run-2").await.questions_asked, 0, "not asked again before its time");
    w.clock.advance(Duration::hours(23));
    w.offered(&order_id(1), true);
    assert_eq!(w.run("run-3").await.sent, 1);
    assert_eq!((w.amazon.questions(), w.amazon.posts()), (2, 1));
}

#[tokio::test]
async fn nothing_is_written_before_acting_and_the_outcome_is_one_write() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    let writes = w.store.order_writes();
    assert_eq!(w.run("run-1").await.sent, 1);
    assert_eq!(w.store.order_writes() - writes, 1, "no claim written: the outcome is the only write");
}

#[tokio::test]
async fn an_outcome_that_meets_another_writer_is_written_again_on_the_fresh_order() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    w.store.interfere(&order_id(1), 0, 2);
    let summary = w.run("run-1").await;
    assert_eq!(summary.sent, 1);
    assert!(
        matches!(w.state(&order_id(1)), ReviewRequest::Sent { sent_earlier: false, .. }),
        "recorded at the third write"
    );
    assert_eq!((w.amazon.posts(), w.amazon.accepted()), (1, 1));
}

#[tokio::test]
async fn a_live_claim_of_another_dispatcher_is_left_alone() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    w.claimed_by("other", w.clock.now() + Duration::minutes(5));
    w.clock.advance(Duration::minutes(6));
    w.claimed_by("other", w.clock.now() + Duration::minutes(5));
    let summary = w.dispatcher.run("run-1", Instant::now() + std::time::Duration::from_secs(30)).await.unwrap();
    // A claim stored by an earlier version: still in the due index, found, and left to its
    // holder while its lease runs.
    assert_eq!((summary.sent, summary.not_claimed), (0, 1), "left alone while its lease runs: {summary:?}");
    assert_eq!(w.amazon.posts(), 0);
}

#[tokio::test]
async fn the_successor_of_a_dead_holder_that_had_sent_records_it_as_sent_earlier() {
    let w = World::new().await;
    // The dead holder's request went through before it died; Amazon offers nothing now.
    w.amazon.solicitation(&order_id(1), SolicitationState { offered: true, requested: true, refuse_next: None });
    w.claimed_by("dead", w.clock.now() - Duration::minutes(1));
    let summary = w.run("successor").await;
    assert_eq!((summary.sent_earlier, summary.sent), (1, 0));
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Sent { sent_earlier: true, .. }));
    assert_eq!((w.amazon.posts(), w.amazon.accepted()), (1, 0), "one POST to read Amazon's verdict");
}

#[tokio::test]
async fn the_successor_of_a_dead_holder_that_had_not_sent_waits_for_amazon() {
    let w = World::new().await;
    w.claimed_by("dead", w.clock.now() - Duration::minutes(1));
    let summary = w.run("successor").await;
    assert_eq!((summary.not_offered, summary.sent, summary.sent_earlier), (1, 0, 0));
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Pending { .. }));
    assert_eq!(w.amazon.accepted(), 0);
}

#[tokio::test]
async fn a_request_sent_but_never_recorded_is_settled_by_the_run_after_the_crash_and_never_sent_twice() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    // Amazon takes the request; every write of the outcome then finds another writer first
    // (as if the process had died after sending).
    w.store.interfere(&order_id(1), 0, RECORD_ATTEMPTS);
    assert_eq!(w.run("run-1").await.sent, 1);
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Pending { .. }), "not recorded: still due");
    // An ordinary run: Amazon offers nothing now, so "not offered", and no POST.
    assert_eq!(w.run("run-2").await.not_offered, 1);
    assert_eq!(w.amazon.posts(), 1);
    // The run that takes the crashed run's unit again reads Amazon's verdict.
    w.clock.advance(Duration::days(1));
    let after_crash = BTreeSet::from([seller().seller_id]);
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    let settled = w.dispatcher.run_sellers_after("run-3", &[seller()], &after_crash, deadline).await.unwrap();
    assert_eq!((settled.sent_earlier, settled.sent), (1, 0), "{settled:?}");
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Sent { sent_earlier: true, .. }));
    assert_eq!((w.amazon.posts(), w.amazon.accepted()), (2, 1), "one POST to read the verdict; one request");
}

#[tokio::test]
async fn amazons_refusals_each_end_as_they_should() {
    // Outside the window (Amazon's answer wins over our estimate): asked again.
    let w = World::new().await;
    let refuse = |kind| SolicitationState { offered: true, requested: false, refuse_next: Some(kind) };
    w.amazon.solicitation(&order_id(1), refuse(ForbiddenKind::OutsideWindow));
    assert_eq!(w.run("a").await.not_offered, 1);
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Pending { .. }));
    // Offered, then "not eligible": skipped for good.
    let w = World::new().await;
    w.amazon.solicitation(&order_id(1), refuse(ForbiddenKind::NotEligible));
    let summary = w.run("b").await;
    assert_eq!(summary.skipped.get(&SkipReason::NotEligible), Some(&1), "{summary:?}");
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Skipped { reason: SkipReason::NotEligible, .. }));
    // Access denied (a revoked authorisation): failed, tried again after an hour, not at once.
    let w = World::new().await;
    w.amazon.solicitation(&order_id(1), refuse(ForbiddenKind::AccessDenied));
    assert_eq!(w.run("c").await.failed, 1);
    let ReviewRequest::Pending { due_at, .. } = w.state(&order_id(1)) else { panic!("pending again") };
    assert_eq!(due_at, w.clock.now() + DispatchSettings::default().retry_after_failure);
}

#[tokio::test]
async fn a_throttled_amazon_leaves_the_order_due_for_the_next_run() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    w.amazon.outage(1);
    let first = w.run("run-1").await;
    assert_eq!((first.failed, first.sent), (1, 0));
    let ReviewRequest::Pending { due_at, .. } = w.state(&order_id(1)) else { panic!("pending again") };
    assert_eq!(due_at, w.clock.now(), "due at once");
    assert_eq!(w.run("run-2").await.sent, 1);
    assert_eq!(w.amazon.accepted(), 1);
}

#[tokio::test]
async fn a_run_past_its_deadline_leaves_the_rest_for_the_next() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    let summary = w.dispatcher.run("late", Instant::now()).await.unwrap();
    assert_eq!((summary.left_for_next_run, summary.sent), (1, 0));
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Pending { .. }));
}

#[tokio::test]
async fn the_run_and_each_sellers_part_are_published() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    w.run("run-1").await;
    let names: Vec<String> = w.bus.events().iter().map(|e| e.detail_type.clone()).collect();
    assert_eq!(names, vec!["ReviewRequestsProcessed", "ReviewRequestRunCompleted"]);
}

#[tokio::test]
async fn a_store_outage_fails_the_run_with_a_named_error() {
    let w = World::new().await;
    w.store.set_unavailable(true);
    let err = w.dispatcher.run("down", Instant::now() + std::time::Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(err.error_type(), "StoreUnavailable");
    assert_eq!(w.amazon.questions(), 0);
}

#[tokio::test]
async fn a_paused_seller_is_left_alone_until_resumed() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    let mut account = seller();
    account.paused = true;
    w.store.put_seller(&account).await.unwrap();
    let paused = w.run("run-1").await;
    assert_eq!((paused.sellers, paused.sent, paused.questions_asked), (0, 0, 0));
    assert!(matches!(w.state(&order_id(1)), ReviewRequest::Pending { .. }));
    account.paused = false;
    w.store.put_seller(&account).await.unwrap();
    assert_eq!(w.run("run-2").await.sent, 1);
}

#[tokio::test]
async fn outcomes_are_counted_per_marketplace_and_amazons_answers_kept_in_the_history() {
    let w = World::new().await;
    w.offered(&order_id(1), true);
    w.run("run-1").await;
    let day = w.clock.now().date_naive();
    let order = w.store.order(&seller().seller_id, &order_id(1)).unwrap().value;
    let counts = w.store.outcomes_between(&seller().seller_id, order.marketplace, day, day).await.unwrap();
    assert_eq!((counts.sent, counts.expired, counts.skipped.len()), (1, 0, 0));
    let answers: Vec<_> = order
        .history
        .iter()
        .filter_map(|e| match e.what {
            crate::domain::OrderEventKind::Amazon { answer } => Some(answer),
            _ => None,
        })
        .collect();
    assert_eq!(answers, [crate::domain::AmazonAnswer::Offered, crate::domain::AmazonAnswer::Sent]);
}

mod carrying_over {
    use super::*;
    use crate::domain::{AmazonAnswer, OrderEventKind};

    fn read() -> Order {
        shipped_order(1, at("2026-03-02T00:00:00Z"), at("2026-03-12T00:00:00Z"))
    }

    /// What a dispatch that read `read()` ended with: Amazon's answer noted, one question more.
    fn ours(review_request: ReviewRequest) -> Order {
        let mut order = read();
        order.note(at("2026-03-12T01:00:00Z"), OrderEventKind::Amazon { answer: AmazonAnswer::NotOffered });
        order.solicitation_checks = 1;
        order.review_request = review_request;
        order
    }

    fn pending() -> ReviewRequest {
        ReviewRequest::Pending { due_at: at("2026-03-13T01:00:00Z"), needs_delivery_dates: false }
    }

    fn sent() -> ReviewRequest {
        ReviewRequest::Sent { sent_at: at("2026-03-12T01:00:00Z"), sent_earlier: false }
    }

    #[test]
    fn what_the_run_learned_goes_onto_the_other_writers_order() {
        let mut fresh = read();
        fresh.refunded_at = Some(at("2026-03-12T00:30:00Z"));
        let merged = carry_over(&read(), &ours(pending()), fresh).expect("fresh is not final");
        assert_eq!(merged.refunded_at, Some(at("2026-03-12T00:30:00Z")), "the other writer's change is kept");
        assert_eq!((merged.review_request, merged.solicitation_checks), (pending(), 1));
        assert_eq!(merged.history, ours(pending()).history, "Amazon's answer is in the history once");
    }

    #[test]
    fn a_request_amazon_accepted_is_recorded_over_a_skip_but_not_over_another_send() {
        let mut skipped = read();
        skipped.review_request =
            ReviewRequest::Skipped { reason: SkipReason::Refunded, decided_at: at("2026-03-12T00:30:00Z") };
        let merged = carry_over(&read(), &ours(sent()), skipped.clone()).expect("sent wins over skipped");
        assert_eq!(merged.review_request, sent());
        assert_eq!(carry_over(&read(), &ours(pending()), skipped), None, "a release yields to a final state");
        let mut sent_by_other = read();
        sent_by_other.review_request = ReviewRequest::Sent { sent_at: at("2026-03-12T00:59:00Z"), sent_earlier: false };
        let earlier = ReviewRequest::Sent { sent_at: at("2026-03-12T01:00:00Z"), sent_earlier: true };
        assert_eq!(carry_over(&read(), &ours(earlier), sent_by_other), None, "the first record of the send stands");
    }
}
