//! The DynamoDB store against DynamoDB Local: round trips, conditional-write races, the sparse
//! due index, paging and TTL filtering.

use std::collections::HashSet;
use std::sync::Arc;

use autopilot_shared::domain::{Clock, ManualClock, ReviewRequest, SkipReason};
use autopilot_shared::store::{DueReviewRequests, Expect, OrderRepository, PutOutcome, SellerDirectory, StoreError};
use autopilot_tests::fixtures::{at, order, seller, seller_id};
use autopilot_tests::{dynamodb_client, fresh_store};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;

fn clock(now: &str) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(at(now)))
}

#[tokio::test]
async fn order_round_trips_with_its_review_request_state() {
    let clock = clock("2026-03-20T00:00:00Z");
    let store = fresh_store(clock.clone(), |_| {}).await;
    let s = seller_id(1);
    let mut o = order(
        &s,
        1,
        at("2026-03-01T10:00:00Z"),
        ReviewRequest::Pending { due_at: at("2026-03-13T00:00:00Z"), needs_delivery_dates: false },
    );
    o.programs = vec!["Business".into()];
    o.buyer_cancel_requested = true;

    assert_eq!(store.put_order(&o, Expect::Absent).await.unwrap(), PutOutcome::Written { version: 1 });
    let read = store.get_order(&s, &o.order_id).await.unwrap().expect("order stored");
    assert_eq!(read.version, 1);
    assert_eq!(read.value, o);

    assert!(store.get_order(&seller_id(2), &o.order_id).await.unwrap().is_none(), "orders are per seller");
}

#[tokio::test]
async fn concurrent_first_writes_have_exactly_one_winner() {
    let store = fresh_store(clock("2026-03-20T00:00:00Z"), |_| {}).await;
    let o = order(&seller_id(1), 7, at("2026-03-01T10:00:00Z"), ReviewRequest::AwaitingShipment);
    let attempts = (0..8).map(|_| {
        let (store, o) = (store.clone(), o.clone());
        tokio::spawn(async move { store.put_order(&o, Expect::Absent).await })
    });
    let mut written = 0;
    let mut conflicts = 0;
    for attempt in attempts {
        match attempt.await.unwrap().unwrap() {
            PutOutcome::Written { version } => {
                assert_eq!(version, 1);
                written += 1
            }
            PutOutcome::Conflict => conflicts += 1,
        }
    }
    assert_eq!((written, conflicts), (1, 7));
}

/// Read, change in the domain, write back conditionally on the version (as the dispatcher
/// records an outcome, and as earlier versions claimed): racing writers end with exactly one
/// winner.
#[tokio::test]
async fn racing_claims_leave_exactly_one_holder() {
    let now = at("2026-03-20T00:00:00Z");
    let store = fresh_store(clock("2026-03-20T00:00:00Z"), |_| {}).await;
    let s = seller_id(1);
    let o =
        order(&s, 9, at("2026-03-01T10:00:00Z"), ReviewRequest::Pending { due_at: now, needs_delivery_dates: false });
    store.put_order(&o, Expect::Absent).await.unwrap();

    let dispatchers = (0..6).map(|n| {
        let (store, s, id) = (store.clone(), s.clone(), o.order_id.clone());
        tokio::spawn(async move {
            let name = format!("dispatcher-{n}");
            let read = store.get_order(&s, &id).await.unwrap().unwrap();
            let Ok(claimed) = read.value.review_request.claim(&name, now, Duration::minutes(5)) else { return None };
            let mut next = read.value.clone();
            next.review_request = claimed;
            match store.put_order(&next, Expect::Version(read.version)).await.unwrap() {
                PutOutcome::Written { .. } => Some(name),
                PutOutcome::Conflict => None,
            }
        })
    });
    let mut winners = Vec::new();
    for d in dispatchers {
        winners.extend(d.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = store.get_order(&s, &o.order_id).await.unwrap().unwrap();
    assert!(
        matches!(&stored.value.review_request, ReviewRequest::Claimed { claimed_by, .. } if *claimed_by == winners[0])
    );
    assert_eq!(stored.version, 2);
}

#[tokio::test]
async fn stale_version_is_a_conflict_not_an_overwrite() {
    let store = fresh_store(clock("2026-03-20T00:00:00Z"), |_| {}).await;
    let s = seller_id(1);
    let mut o = order(&s, 3, at("2026-03-01T10:00:00Z"), ReviewRequest::AwaitingShipment);
    store.put_order(&o, Expect::Absent).await.unwrap();
    o.review_request = ReviewRequest::Skipped { reason: SkipReason::Canceled, decided_at: at("2026-03-02T00:00:00Z") };
    assert_eq!(store.put_order(&o, Expect::Version(1)).await.unwrap(), PutOutcome::Written { version: 2 });
    let mut stale = o.clone();
    stale.review_request = ReviewRequest::Pending { due_at: at("2026-03-12T00:00:00Z"), needs_delivery_dates: false };
    assert_eq!(store.put_order(&stale, Expect::Version(1)).await.unwrap(), PutOutcome::Conflict);
    assert_eq!(store.get_order(&s, &o.order_id).await.unwrap().unwrap().value, o);
}

#[tokio::test]
async fn due_index_lists_only_due_work_oldest_first_across_shards_and_pages() {
    let now = at("2026-03-20T00:00:00Z");
    // a small page size forces several pages per shard
    let store = fresh_store(clock("2026-03-20T00:00:00Z"), |c| {
        c.page_size = Some(2);
        c.due_shards = 4;
    })
    .await;
    let s = seller_id(1);
    let purchased = at("2026-03-01T10:00:00Z");
    let mut expected = Vec::new();
    for n in 0..30u32 {
        let due_at = now - Duration::hours(i64::from(n));
        let state = match n % 5 {
            // due now or earlier: listed
            0 | 1 => ReviewRequest::Pending { due_at, needs_delivery_dates: n % 2 == 0 },
            // claimed with an expired lease: listed again at the lease end
            2 => ReviewRequest::Claimed {
                claimed_by: "old".into(),
                lease_until: due_at,
                due_at,
                needs_delivery_dates: false,
            },
            // due in the future: not listed
            3 => {
                ReviewRequest::Pending { due_at: now + Duration::hours(i64::from(n) + 1), needs_delivery_dates: false }
            }
            // final: not in the sparse index at all
            _ => ReviewRequest::Sent { sent_at: due_at, sent_earlier: false },
        };
        let o = order(&s, n, purchased, state);
        if n % 5 <= 2 {
            expected.push((due_at, o.order_id.clone()));
        }
        store.put_order(&o, Expect::Absent).await.unwrap();
    }
    // another seller's due work never shows up
    store
        .put_order(
            &order(&seller_id(2), 99, purchased, ReviewRequest::Pending { due_at: now, needs_delivery_dates: false }),
            Expect::Absent,
        )
        .await
        .unwrap();

    expected.sort();
    let due = store.due_review_requests(&s, now, 100).await.unwrap();
    let got: Vec<_> = due.iter().map(|d| (d.look_at, d.order_id.clone())).collect();
    assert_eq!(got, expected);
    assert!(due.iter().all(|d| d.seller_id == s));

    let limited = store.due_review_requests(&s, now, 5).await.unwrap();
    let got: Vec<_> = limited.iter().map(|d| (d.look_at, d.order_id.clone())).collect();
    assert_eq!(got, expected[..5].to_vec(), "the limit keeps the oldest");

    // `autopilot status`: every open request (pending or claimed, due or not) and the due ones
    let open = store.count_open(&s, now).await.unwrap();
    assert_eq!((open.open, open.due_now), (24, expected.len() as u64));
}

#[tokio::test]
async fn finishing_a_request_removes_it_from_the_due_index() {
    let now = at("2026-03-20T00:00:00Z");
    let store = fresh_store(clock("2026-03-20T00:00:00Z"), |_| {}).await;
    let s = seller_id(1);
    let mut o =
        order(&s, 4, at("2026-03-01T10:00:00Z"), ReviewRequest::Pending { due_at: now, needs_delivery_dates: false });
    store.put_order(&o, Expect::Absent).await.unwrap();
    assert_eq!(store.due_review_requests(&s, now, 10).await.unwrap().len(), 1);
    o.review_request = ReviewRequest::Sent { sent_at: now, sent_earlier: false };
    store.put_order(&o, Expect::Version(1)).await.unwrap();
    assert!(store.due_review_requests(&s, now, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn sellers_are_listed_across_pages() {
    let store = fresh_store(clock("2026-03-20T00:00:00Z"), |c| c.page_size = Some(4)).await;
    for n in 0..23 {
        store.put_seller(&seller(n)).await.unwrap();
    }
    let listed = store.list_sellers().await.unwrap();
    assert_eq!(listed.len(), 23);
    let ids: HashSet<_> = listed.iter().map(|a| a.seller_id.clone()).collect();
    assert_eq!(ids.len(), 23);
    assert_eq!(store.get_seller(&seller_id(5)).await.unwrap(), Some(seller(5)));
    assert_eq!(store.get_seller(&seller_id(500)).await.unwrap(), None);
}

#[tokio::test]
async fn expired_orders_are_gone_before_ttl_deletes_them() {
    let clock = clock("2026-03-20T00:00:00Z");
    let store = fresh_store(clock.clone(), |_| {}).await;
    let s = seller_id(1);
    let o = order(&s, 5, at("2026-03-01T10:00:00Z"), ReviewRequest::AwaitingShipment);
    store.put_order(&o, Expect::Absent).await.unwrap();
    assert!(store.get_order(&s, &o.order_id).await.unwrap().is_some());
    clock.set(o.purchase_date + autopilot_shared::store::dynamo::ORDER_RETENTION);
    assert!(store.get_order(&s, &o.order_id).await.unwrap().is_none());
    assert!(clock.now() > o.purchase_date);
}

#[tokio::test]
async fn a_corrupt_item_is_an_error_naming_its_key() {
    let store = fresh_store(clock("2026-03-20T00:00:00Z"), |_| {}).await;
    let s = seller_id(1);
    let o = order(&s, 6, at("2026-03-01T10:00:00Z"), ReviewRequest::AwaitingShipment);
    let pk = autopilot_shared::store::keys::order_partition(&s, &o.order_id);
    dynamodb_client()
        .await
        .put_item()
        .table_name(&store.config().table_name)
        .item("pk", AttributeValue::S(pk.clone()))
        .item("sk", AttributeValue::S("ORDER".into()))
        .item("version", AttributeValue::N("1".into()))
        .item("expires_at", AttributeValue::N("99999999999".into()))
        .item("status", AttributeValue::S("Teleported".into()))
        .send()
        .await
        .unwrap();
    match store.get_order(&s, &o.order_id).await {
        Err(StoreError::Corrupt { key, .. }) => assert!(key.contains(&pk), "{key}"),
        other => panic!("expected a Corrupt error, got {other:?}"),
    }
}

#[tokio::test]
async fn creating_the_table_twice_is_harmless() {
    let store = fresh_store(clock("2026-03-20T00:00:00Z"), |_| {}).await;
    store.create_table_if_missing().await.unwrap();
}
