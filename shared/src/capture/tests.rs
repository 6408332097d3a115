//! The recorder's conflicts and outcomes against in-memory ports. The same paths run against
//! DynamoDB Local in `tests/tests/order_capture.rs` and its property test.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::{OrderStatus, ReviewRequest};
use crate::fakes::MemoryStore;
use crate::fakes::fixtures::{at, order_id, seller, seller_id};
use crate::lambda::Failure;

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
        outcomes: store,
        clock: Arc::new(crate::domain::ManualClock::new(at("2026-03-02T00:00:00Z"))),
        settings: SyncSettings::default(),
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    assert_eq!(sync.run(deadline).await.unwrap_err().error_type(), "StoreUnavailable");
}

/// New orders are counted for their purchase day when the caller flushes, with one write per
/// seller, marketplace and day however many orders it adds; updates, duplicates and stale
/// changes are not counted, and a flush with nothing new writes nothing.
#[tokio::test]
async fn a_batch_of_new_orders_is_counted_per_purchase_day_in_one_write_each() {
    let (store, recorder) = world().await;
    let new_order = |n: u32, bought: &str| OrderChange {
        order_id: order_id(n),
        purchase_date: Some(at(bought)),
        ..change(OrderStatus::Unshipped, at("2026-03-02T12:00:00Z"))
    };
    for n in 1..=3 {
        recorder.record(&new_order(n, "2026-03-01T10:00:00Z")).await.unwrap();
    }
    recorder.record(&new_order(4, "2026-03-02T09:00:00Z")).await.unwrap();
    // A duplicate, a stale change and an update of an order already counted.
    recorder.record(&new_order(1, "2026-03-01T10:00:00Z")).await.unwrap();
    recorder.record(&change(OrderStatus::Pending, at("2026-03-01T11:00:00Z"))).await.unwrap();
    let shipped = OrderChange { order_id: order_id(2), ..change(OrderStatus::Shipped, at("2026-03-03T00:00:00Z")) };
    assert_eq!(recorder.record(&shipped).await.unwrap(), RecordOutcome::Updated);
    let day = |d: &str| at(d).date_naive();
    assert_eq!(
        store.orders_counted(&seller_id(), Marketplace::Us, day("2026-03-01T00:00:00Z")),
        (0, 0),
        "not before the flush"
    );

    recorder.flush_counts().await;
    assert_eq!(store.orders_counted(&seller_id(), Marketplace::Us, day("2026-03-01T00:00:00Z")), (3, 2));
    assert_eq!(store.orders_counted(&seller_id(), Marketplace::Us, day("2026-03-02T00:00:00Z")), (1, 2));
    recorder.flush_counts().await;
    assert_eq!(
        store.orders_counted(&seller_id(), Marketplace::Us, day("2026-03-01T00:00:00Z")),
        (3, 2),
        "counted once"
    );
}

/// A count the store refuses is logged and dropped, never retried into a double count; the
/// orders stay recorded.
#[tokio::test]
async fn a_failed_count_leaves_the_orders_recorded() {
    let (store, recorder) = world().await;
    recorder.record(&change(OrderStatus::Unshipped, at("2026-03-01T11:00:00Z"))).await.unwrap();
    store.set_unavailable(true);
    recorder.flush_counts().await;
    store.set_unavailable(false);
    recorder.flush_counts().await;
    assert!(store.order(&seller_id(), &order_id(1)).is_some());
    assert_eq!(store.orders_counted(&seller_id(), Marketplace::Us, at("2026-03-01T00:00:00Z").date_naive()), (0, 0));
}
