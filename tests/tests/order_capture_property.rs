//! Property: whatever happens to the notifications of an order's true history (shuffled,
//! duplicated, partly lost), recording what arrives and then one reconciliation pass ends in
//! exactly the record that applying the true history in order gives. Against DynamoDB Local.
//!
//! Histories follow Amazon's order lifecycle (Pending -> Unshipped -> Shipped, delivery
//! estimates revised while shipped; or canceled before shipping, which is final) of
//! seller-fulfilled orders, whose delivery estimate both ORDER_CHANGE and searchOrders'
//! `deliverByWindow` show. Buyer cancel requests are left out here. The ship time is the one
//! fact a poll cannot restore exactly (searchOrders has no ship time): when the first Shipped
//! notification is lost, the record's ship time is a later one, never an earlier one.

use std::sync::Arc;

use autopilot_shared::capture::{OrderRecorder, SyncSettings, reconcile};
use autopilot_shared::domain::Region;
use autopilot_shared::domain::{
    ChangeEffect, ChangeSource, DeliveryWindow, FulfillmentChannel, Marketplace, Order, OrderChange, OrderId,
    OrderStatus, ReviewRequestPolicy, apply_change,
};
use autopilot_shared::spapi::UsagePlans;
use autopilot_shared::store::OrderRepository;
use autopilot_tests::fixtures::at;
use autopilot_tests::sim::{deadline_in, sim_harness};
use chrono::Duration;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Step {
    status: OrderStatus,
    /// Hours after purchase the change happened (strictly increasing within a history).
    gap_hours: i64,
    /// Delivery estimate, days after purchase.
    earliest_days: i64,
    spread_days: i64,
}

fn history() -> impl Strategy<Value = Vec<Step>> {
    let step = |status: OrderStatus| {
        (1i64..30, 1i64..6, 0i64..4).prop_map(move |(gap_hours, earliest_days, spread_days)| Step {
            status,
            gap_hours,
            earliest_days,
            spread_days,
        })
    };
    prop_oneof![
        // shipped, then 0-3 revisions of the delivery estimate
        (
            step(OrderStatus::Pending),
            step(OrderStatus::Unshipped),
            prop::collection::vec(step(OrderStatus::Shipped), 1..5)
        )
            .prop_map(|(a, b, shipped)| [vec![a, b], shipped].concat()),
        // canceled before shipping
        (step(OrderStatus::Pending), prop::option::of(step(OrderStatus::Unshipped)), step(OrderStatus::Canceled))
            .prop_map(|(a, b, c)| [vec![a], b.into_iter().collect(), vec![c]].concat()),
    ]
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

fn changes(seller: &autopilot_shared::domain::SellerId, order_n: u32, steps: &[Step]) -> Vec<OrderChange> {
    let purchased = at("2026-03-01T10:00:00Z");
    let mut hours = 0;
    steps
        .iter()
        .map(|s| {
            hours += s.gap_hours;
            let earliest = purchased + Duration::days(s.earliest_days);
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
                skus: vec![format!("SKU-{order_n}")],
                buyer_cancel_requested: false,
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
fn as_amazon_holds_it(last: &OrderChange) -> spapi_sim::SimOrder {
    spapi_sim::SimOrder {
        seller_id: last.seller_id.to_string(),
        order: as_polled(last),
        skus: last.skus.clone(),
        destination_postal_code: None,
        buyer_requested_cancel: false,
        omit_delivery_dates_in_notifications: false,
        null_nullable_fields: false,
        solicitation_eligible: true,
        shipped_at: None,
        refunded_at: None,
    }
}

fn as_polled(last: &OrderChange) -> spapi_sim::AmazonOrder {
    spapi_sim::AmazonOrder {
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
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn lost_shuffled_and_duplicated_notifications_plus_a_poll_equal_the_true_history(
        histories in prop::collection::vec(history(), 1..4),
        fates in prop::collection::vec(fate(), 24),
        shuffle_seed in any::<u64>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let h = sim_harness(UsagePlans::scaled(1000.0), |_| {}).await;
            let sim = h.simulator();
            let (store, account) = h.us_seller_store().await;
            let recorder = OrderRecorder::new(Arc::new(store.clone()), Arc::new(store.clone()));
            let histories: Vec<Vec<OrderChange>> = histories
                .iter()
                .enumerate()
                .map(|(n, steps)| changes(&account.seller_id, n as u32, steps))
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
                sim.upsert_order(as_amazon_holds_it(history.last().unwrap()));
            }
            sim.set_time(at("2026-03-20T00:00:00Z"));
            let api = h.api.seller(&account, Region::Na).await.unwrap();
            let settings = SyncSettings { initial_lookback: Duration::days(30) };
            let report = reconcile(&api, &recorder, &store, &account, Marketplace::Us, settings, sim.now(), deadline_in(20.0))
                .await
                .unwrap();
            prop_assert!(!report.stopped_early);

            for history in &histories {
                let expected = in_order(history, &account.review_requests);
                let mut actual = store.get_order(&account.seller_id, &expected.order_id).await.unwrap().unwrap().value;
                // the ship time: exact, or (first Shipped notification lost) a later one
                match (actual.shipped_at, expected.shipped_at) {
                    (Some(got), Some(truth)) => prop_assert!(got >= truth, "ship time {} before the true {}", got, truth),
                    (got, truth) => prop_assert_eq!(got, truth),
                }
                actual.shipped_at = expected.shipped_at;
                // the order type, likewise: searchOrders has none (only PREORDER among programs),
                // so an order whose every notification was lost has none recorded
                if actual.order_type.is_none() {
                    actual.order_type = expected.order_type.clone();
                }
                prop_assert_eq!(actual, expected);
            }
            Ok(())
        })?;
    }
}
