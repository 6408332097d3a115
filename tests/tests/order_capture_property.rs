//! Property: whatever happens to the notifications of an order's true history (shuffled,
//! duplicated, partly lost), recording what arrives and then one reconciliation pass ends in
//! the record that applying the true history in order gives. Against DynamoDB Local.
//!
//! Histories follow Amazon's order lifecycle (Pending -> Unshipped -> Shipped, delivery
//! estimates revised while shipped; or canceled before shipping, which is final) of
//! seller-fulfilled orders, whose delivery estimate both ORDER_CHANGE and searchOrders'
//! `deliverByWindow` show. Notifications are order-level or item-level (one SKU each), and a
//! buyer may ask to cancel before the order ships (which Amazon then may ship all the same).
//!
//! What a poll cannot restore exactly is compared by its bound: the ship time and the time a
//! cancel request skipped the review request are the true ones or later (searchOrders shows
//! neither), and an order whose every notification was lost has no order type.
//!
//! CI runs 24 cases (each with up to three order histories). The soak run:
//! `CAPTURE_PROPERTY_CASES=5000 bash infra/local/test.sh --test order_capture_property`
//! (about 10,000 histories).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use autopilot_shared::capture::{OrderRecorder, SellerPoll};
use autopilot_shared::domain::{
    ChangeEffect, ChangeSource, Clock, DeliveryWindow, FulfillmentChannel, Marketplace, Order, OrderChange, OrderId,
    OrderStatus, Region, ReviewRequest, ReviewRequestPolicy, SellerId, apply_change,
};
use autopilot_shared::spapi::UsagePlans;
use autopilot_shared::store::{DynamoStore, OrderRepository, SellerDirectory, StoreConfig};
use autopilot_tests::fixtures::at;
use autopilot_tests::sim::{deadline_in, sim_harness};
use autopilot_tests::{dynamodb_client, fresh_store};
use chrono::Duration;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[derive(Debug, Clone)]
struct Step {
    status: OrderStatus,
    /// Hours after the previous change (so change times strictly increase).
    gap_hours: i64,
    /// Delivery estimate, days after purchase.
    earliest_days: i64,
    spread_days: i64,
    /// Which of the order's SKUs this notification lists: all (order level), or one (item level).
    item: Option<usize>,
    /// A buyer's cancel request.
    buyer_cancel: bool,
}

#[derive(Debug, Clone)]
struct History {
    skus: usize,
    steps: Vec<Step>,
}

fn step(status: OrderStatus) -> impl Strategy<Value = Step> {
    (1i64..30, 1i64..6, 0i64..4, prop::option::of(0usize..3)).prop_map(
        move |(gap_hours, earliest_days, spread_days, item)| Step {
            status,
            gap_hours,
            earliest_days,
            spread_days,
            item,
            buyer_cancel: false,
        },
    )
}

fn history() -> impl Strategy<Value = History> {
    let lifecycle = prop_oneof![
        // shipped (a buyer's cancel request first, sometimes), then 0-3 revisions of the estimate
        (
            step(OrderStatus::Pending),
            step(OrderStatus::Unshipped),
            prop::option::weighted(0.3, step(OrderStatus::Unshipped)),
            prop::collection::vec(step(OrderStatus::Shipped), 1..5)
        )
            .prop_map(|(a, b, cancel, shipped)| {
                let cancel = cancel.map(|mut c| {
                    c.buyer_cancel = true;
                    c
                });
                [vec![a, b], cancel.into_iter().collect(), shipped].concat()
            }),
        // canceled before shipping
        (step(OrderStatus::Pending), prop::option::of(step(OrderStatus::Unshipped)), step(OrderStatus::Canceled))
            .prop_map(|(a, b, c)| [vec![a], b.into_iter().collect(), vec![c]].concat()),
    ];
    (1usize..=3, lifecycle).prop_map(|(skus, steps)| History { skus, steps })
}

/// What happens to one notification on its way.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Lost,
    Once,
    Twice,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![1 => Just(Fate::Lost), 3 => Just(Fate::Once), 1 => Just(Fate::Twice)]
}

fn sku_names(order: u32, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("SKU-{order}-{n}")).collect()
}

fn changes(seller: &SellerId, order_n: u32, history: &History) -> Vec<OrderChange> {
    let purchased = at("2026-03-01T10:00:00Z");
    let all = sku_names(order_n, history.skus);
    let mut hours = 0;
    history
        .steps
        .iter()
        .map(|s| {
            hours += s.gap_hours;
            let earliest = purchased + Duration::days(s.earliest_days);
            let skus = match s.item {
                Some(item) => vec![all[item % all.len()].clone()],
                None => all.clone(),
            };
            OrderChange {
                seller_id: seller.clone(),
                marketplace: Marketplace::Us,
                order_id: OrderId::parse(format!("111-4000000-{order_n:07}")).unwrap(),
                status: s.status,
                fulfillment: FulfillmentChannel::Mfn,
                purchase_date: Some(purchased),
                delivery: DeliveryWindow::new(earliest, earliest + Duration::days(s.spread_days)),
                changed_at: purchased + Duration::hours(hours),
                order_type: Some("StandardOrder".into()),
                programs: vec![],
                skus,
                buyer_cancel_requested: s.buyer_cancel,
                source: ChangeSource::Notification,
                notification_id: None,
            }
        })
        .collect()
}

fn in_order(history: &[OrderChange], policy: &ReviewRequestPolicy) -> Order {
    let mut current: Option<Order> = None;
    for change in history {
        if let ChangeEffect::Record(order) = apply_change(current.as_ref(), change, policy) {
            current = Some(*order);
        }
    }
    current.expect("a history has at least one change")
}

/// The order as Amazon (the simulator) holds it after its last change.
fn as_amazon_holds_it(history: &[OrderChange]) -> spapi_sim::SimOrder {
    let last = history.last().expect("a change");
    let mut skus: Vec<String> = history.iter().flat_map(|c| c.skus.clone()).collect();
    skus.sort();
    skus.dedup();
    spapi_sim::SimOrder {
        seller_id: last.seller_id.to_string(),
        order: spapi_sim::AmazonOrder {
            amazon_order_id: last.order_id.to_string(),
            purchase_date: last.purchase_date.expect("histories have purchase dates"),
            last_update_date: last.changed_at,
            order_status: serde_json::to_value(last.status).unwrap().as_str().unwrap().to_string(),
            fulfillment_channel: Some("MFN".into()),
            marketplace_id: Some(last.marketplace.id().into()),
            order_type: last.order_type.clone(),
            earliest_delivery_date: last.delivery.earliest,
            latest_delivery_date: last.delivery.latest,
            is_business_order: Some(false),
            is_replacement_order: Some(false),
            is_prime: Some(false),
        },
        skus,
        destination_postal_code: None,
        buyer_requested_cancel: history.iter().any(|c| c.buyer_cancel_requested),
        omit_delivery_dates_in_notifications: false,
        null_nullable_fields: false,
        solicitation_eligible: true,
        shipped_at: None,
        refunded_at: None,
    }
}

/// The record against the truth, with what a poll cannot restore compared by its bound.
fn compare(mut actual: Order, expected: &Order, truth: &[OrderChange]) -> Result<(), TestCaseError> {
    match (actual.shipped_at, expected.shipped_at) {
        (Some(got), Some(truth)) => prop_assert!(got >= truth, "ship time {} before the true {}", got, truth),
        (got, truth) => prop_assert_eq!(got, truth),
    }
    actual.shipped_at = expected.shipped_at;
    if actual.order_type.is_none() {
        actual.order_type = expected.order_type.clone();
    }
    if let (
        ReviewRequest::Skipped { reason: got, decided_at: got_at },
        ReviewRequest::Skipped { reason: truth, decided_at: truth_at },
    ) = (&actual.review_request, &expected.review_request)
    {
        prop_assert_eq!(got, truth);
        prop_assert!(got_at >= truth_at, "skipped at {} before the true {}", got_at, truth_at);
        actual.review_request = expected.review_request.clone();
    }
    // The history logs what arrived and when it was recorded, so it differs with arrival order;
    // every change kept in it must be one of the true history's.
    for event in &actual.history {
        if let autopilot_shared::domain::OrderEventKind::Changed { status, .. } = &event.what {
            prop_assert!(
                truth.iter().any(|c| (c.changed_at, c.status) == (event.at, *status)),
                "history names a change that never happened: {:?}",
                event
            );
        }
    }
    actual.history = expected.history.clone();
    prop_assert_eq!(&actual, expected);
    Ok(())
}

#[test]
fn lost_shuffled_and_duplicated_notifications_plus_a_poll_equal_the_true_history() {
    let cases: u32 = std::env::var("CAPTURE_PROPERTY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // One table for every case (each case is a seller of its own), so a soak run is not
    // dominated by creating tables.
    let table = runtime.block_on(async {
        let store = fresh_store(Arc::new(autopilot_shared::domain::SystemClock), |_| {}).await;
        store.config().table_name.clone()
    });
    let client = runtime.block_on(dynamodb_client());
    let histories_checked = AtomicU32::new(0);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = (prop::collection::vec(history(), 1..4), prop::collection::vec(fate(), 24), any::<u64>());
    let result = runner.run(&strategy, |(histories, fates, shuffle_seed)| {
        runtime.block_on(async {
            let h = sim_harness(UsagePlans::scaled(1000.0), |_| {}).await;
            let sim = h.simulator();
            let clock: Arc<dyn Clock> = sim.clock();
            let store = DynamoStore::new(client.clone(), StoreConfig::new(table.clone()), clock);
            let mut account = h.seller.clone();
            account.marketplaces = vec![Marketplace::Us];
            store.put_seller(&account).await.unwrap();
            let recorder = OrderRecorder::new(Arc::new(store.clone()), Arc::new(store.clone()));
            let histories: Vec<Vec<OrderChange>> = histories
                .iter()
                .enumerate()
                .map(|(n, history)| changes(&account.seller_id, n as u32, history))
                .collect();

            let mut arriving = Vec::new();
            for (n, change) in histories.iter().flatten().enumerate() {
                match fates[n % fates.len()] {
                    Fate::Lost => {}
                    Fate::Once => arriving.push(change.clone()),
                    Fate::Twice => {
                        arriving.push(change.clone());
                        arriving.push(change.clone());
                    }
                }
            }
            fastrand::Rng::with_seed(shuffle_seed).shuffle(&mut arriving);
            for change in &arriving {
                recorder.record(change).await.unwrap();
            }

            // the reconciliation run: searchOrders against Amazon's current state
            for history in &histories {
                sim.upsert_order(as_amazon_holds_it(history));
            }
            sim.set_time(at("2026-03-20T00:00:00Z"));
            let api = h.api.seller(&account, Region::Na).await.unwrap();
            let sync = h.order_sync(&store, Duration::days(30));
            let poll = SellerPoll {
                api: api.as_ref(),
                recorder: &recorder,
                seller: &account,
                marketplace: Marketplace::Us,
                now: sim.now(),
                deadline: deadline_in(20.0),
            };
            let report = sync.reconcile(&poll).await.unwrap();
            prop_assert!(!report.stopped_early);

            for history in &histories {
                let expected = in_order(history, &account.review_requests);
                let actual = store.get_order(&account.seller_id, &expected.order_id).await.unwrap().unwrap().value;
                compare(actual, &expected, history)?;
                histories_checked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
    });
    println!("capture property: {} histories checked in {cases} cases", histories_checked.load(Ordering::Relaxed));
    if let Err(err) = result {
        panic!("{err}");
    }
}
