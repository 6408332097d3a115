//! The recorder's conflicts and outcomes against in-memory ports. The same paths run against
//! DynamoDB Local in `tests/tests/order_capture.rs` and its property test.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::{Marketplace, OrderStatus, ReviewRequest};
use crate::fakes::MemoryStore;
use crate::fakes::fixtures::{at, order_id, seller, seller_id};
use crate::lambda::Failure;
use crate::store::OrderVolume;

fn change(status: OrderStatus, changed_at: DateTime<Utc>) -> OrderChange {
    crate::fakes::fixtures::order_change(status, changed_at)
}

async fn world() -> (Arc<MemoryStore>, OrderRecorder) {
    let store = MemoryStore::new();
    store.put_seller(&seller()).await.unwrap();
    let recorder = OrderRecorder::new(store.clone(), store.clone());
    (store, recorder)
}

#[tokio::test]
async fn a_lost_race_is_read_again_and_the_change_recorded() {
    let (store, recorder) = world().await;
    recorder.record(&change(OrderStatus::Unshipped, at("2026-03-01T01:00:00Z"))).await.unwrap();
    store.interfere(&order_id(1), 0, 2);
    let outcome = recorder.record(&change(OrderStatus::Shipped, at("2026-03-02T00:00:00Z"))).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Updated);
    let stored = store.order(&seller_id(), &order_id(1)).unwrap().value;
    assert_eq!(stored.status, OrderStatus::Shipped);
    assert!(matches!(stored.review_request, ReviewRequest::Pending { .. }));
}

#[tokio::test]
async fn a_change_that_keeps_losing_is_given_back_as_a_store_conflict() {
    let (store, recorder) = world().await;
    store.interfere(&order_id(1), 0, 5);
    let err = recorder.record(&change(OrderStatus::Shipped, at("2026-03-02T00:00:00Z"))).await.unwrap_err();
    assert!(matches!(err, CaptureError::Contended { .. }), "{err}");
    assert_eq!(err.error_type(), "StoreConflict");
    assert!(store.order(&seller_id(), &order_id(1)).is_none(), "nothing half-written");
    // The queue's retry, with the race over, records it.
    let outcome = recorder.record(&change(OrderStatus::Shipped, at("2026-03-02T00:00:00Z"))).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Created);
}

#[tokio::test]
async fn an_older_change_is_stale_and_the_same_one_a_duplicate_and_neither_writes() {
    let (store, recorder) = world().await;
    let shipped = change(OrderStatus::Shipped, at("2026-03-02T00:00:00Z"));
    assert_eq!(recorder.record(&shipped).await.unwrap(), RecordOutcome::Created);
    let writes = store.order_writes();
    assert_eq!(recorder.record(&shipped).await.unwrap(), RecordOutcome::Duplicate);
    let older = change(OrderStatus::Unshipped, at("2026-03-01T01:00:00Z"));
    assert_eq!(recorder.record(&older).await.unwrap(), RecordOutcome::Stale);
    assert_eq!(store.order_writes(), writes);
}

#[tokio::test]
async fn a_seller_this_deployment_does_not_serve_is_named() {
    let store = MemoryStore::new();
    let recorder = OrderRecorder::new(store.clone(), store.clone());
    let err = recorder.record(&change(OrderStatus::Shipped, at("2026-03-02T00:00:00Z"))).await.unwrap_err();
    assert!(matches!(&err, CaptureError::UnknownSeller(s) if *s == seller_id()), "{err}");
    assert_eq!(err.error_type(), "UnknownSeller");
}

#[tokio::test]
async fn a_refund_skips_the_open_request_through_a_lost_race_once() {
    let (store, recorder) = world().await;
    recorder.record(&change(OrderStatus::Shipped, at("2026-03-02T00:00:00Z"))).await.unwrap();
    store.interfere(&order_id(1), 0, 1);
    let posted = at("2026-03-06T00:00:00Z");
    assert_eq!(recorder.mark_refunded(&seller_id(), &order_id(1), posted).await.unwrap(), RefundOutcome::Marked);
    let stored = store.order(&seller_id(), &order_id(1)).unwrap().value;
    assert_eq!(stored.refunded_at, Some(posted));
    assert!(matches!(stored.review_request, ReviewRequest::Skipped { reason: SkipReason::Refunded, .. }));
    let again = recorder.mark_refunded(&seller_id(), &order_id(1), posted + Duration::hours(1)).await.unwrap();
    assert_eq!(again, RefundOutcome::AlreadyKnown);
    let unknown = recorder.mark_refunded(&seller_id(), &order_id(2), posted).await.unwrap();
    assert_eq!(unknown, RefundOutcome::UnknownOrder);
}

#[tokio::test]
async fn a_store_outage_is_an_error_named_for_the_retry() {
    let (store, recorder) = world().await;
    store.set_unavailable(true);
    let err = recorder.record(&change(OrderStatus::Shipped, at("2026-03-02T00:00:00Z"))).await.unwrap_err();
    assert_eq!(err.error_type(), "StoreUnavailable");
}

#[tokio::test]
async fn a_poll_run_without_its_store_is_an_error_named_for_the_retry() {
    let (store, _) = world().await;
    store.set_unavailable(true);
    let sync = OrderSync {
        api: Arc::new(crate::fakes::FakeSpApi(crate::fakes::FakeAmazon::new())),
        orders: store.clone(),
        sellers: store.clone(),
        checkpoints: store.clone(),
        volume: store.clone(),
        outcomes: store,
        clock: Arc::new(crate::domain::ManualClock::new(at("2026-03-02T00:00:00Z"))),
        settings: SyncSettings::default(),
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    assert_eq!(sync.run(deadline).await.unwrap_err().error_type(), "StoreUnavailable");
}

/// Recording orders writes the orders and nothing else: the orders per day (the ODR's
/// denominator) are counted by the poll from searchOrders, not one write per batch here.
#[tokio::test]
async fn recording_new_orders_writes_only_the_orders() {
    let (store, recorder) = world().await;
    for n in 1..=3 {
        let new = OrderChange { order_id: order_id(n), ..change(OrderStatus::Unshipped, at("2026-03-02T12:00:00Z")) };
        assert_eq!(recorder.record(&new).await.unwrap(), RecordOutcome::Created);
    }
    assert_eq!(store.order_writes(), 3);
    assert_eq!(store.latest_order_day(&seller_id(), Marketplace::Us).await.unwrap(), None);
}
