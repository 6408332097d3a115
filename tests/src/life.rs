//! The life of a typical order through the real handlers, against DynamoDB Local and the
//! simulator, measured: the ORDER_CHANGE messages that record it (Unshipped, then Shipped
//! delivered twice, in SQS batches of ten or as asked, through the order-events handler wired
//! as its Lambda wires it), then the dispatch run that asks its buyer for a review and records the outcome.
//! The order-life and cost benches print what it measures.
//!
//! Units are what DynamoDB reports as consumed (`ReturnConsumedCapacity: TOTAL`: the table and
//! its index).

use std::sync::Arc;
use std::time::Instant;

use autopilot_shared::capture::{OrderRecorder, SellerPoll};
use autopilot_shared::domain::Marketplace;
use autopilot_shared::spapi::SpApiAccess;
use autopilot_shared::spapi::UsagePlans;
use autopilot_shared::store::dynamo::Capacity;
use autopilot_shared::store::{DynamoStore, OrderDay, OrderVolume};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::sim::{EventTap, deadline_in, mixed_order, sim_harness};

/// What `orders` orders cost over their life, in total.
#[derive(Debug, Clone, Default)]
pub struct OrderLife {
    pub orders: u32,
    /// ORDER_CHANGE messages handled (three an order).
    pub messages: u32,
    /// order-events invocations (SQS batches of `batch_size` messages).
    pub batches: u32,
    pub batch_size: usize,
    /// Write and read units: the first message, the Shipped ones, the dispatch.
    pub first: (f64, f64),
    pub shipped: (f64, f64),
    pub dispatch: (f64, f64),
    /// Write and read units of counting the orders' purchase day (searchOrders by creation
    /// day, in the reconciliation poll): once per seller, marketplace and day, whatever the
    /// number of orders that day.
    pub day_count: (f64, f64),
    /// Events the dispatch published.
    pub events: u32,
    /// Seconds the order-events handler took over all batches (in this process).
    pub capture_seconds: f64,
    /// Seconds the dispatch run took, and the plan speed-up it ran at: `seconds * scale` is
    /// what it takes at Amazon's own rates.
    pub dispatch_seconds: f64,
    pub scale: f64,
}

impl OrderLife {
    fn per(&self, units: f64) -> f64 {
        units / f64::from(self.orders)
    }
    pub fn writes_per_order(&self) -> f64 {
        self.per(self.first.0 + self.shipped.0 + self.dispatch.0)
    }
    pub fn reads_per_order(&self) -> f64 {
        self.per(self.first.1 + self.shipped.1 + self.dispatch.1)
    }
    pub fn summary(&self) -> String {
        format!(
            "order life, {} orders (2 in 3 FBA), batches of {}, per order: first message {:.2} W + {:.2} R; Shipped twice {:.2} W + \
             {:.2} R; dispatch and outcome {:.2} W + {:.2} R; total {:.2} write units + {:.2} read units; \
             plus, per seller, marketplace and day (not per order), the day's order count {:.2} W + {:.2} R",
            self.orders,
            self.batch_size,
            self.per(self.first.0),
            self.per(self.first.1),
            self.per(self.shipped.0),
            self.per(self.shipped.1),
            self.per(self.dispatch.0),
            self.per(self.dispatch.1),
            self.writes_per_order(),
            self.reads_per_order(),
            self.day_count.0,
            self.day_count.1,
        )
    }
}

/// The ORDER_CHANGE notification of `order` in `status` at `at`, as Amazon sends it (delivery
/// dates only for seller-fulfilled orders).
fn notification(order: &spapi_sim::SimOrder, status: &str, at: DateTime<Utc>) -> String {
    let o = &order.order;
    let mut summary = json!({
        "MarketplaceId": o.marketplace_id,
        "OrderStatus": status,
        "PurchaseDate": o.purchase_date.to_rfc3339(),
        "FulfillmentType": o.fulfillment_channel,
        "OrderType": o.order_type,
        "OrderItems": [{"OrderItemId": "1", "SellerSKU": order.skus[0], "Quantity": 1}]
    });
    if !o.is_afn() {
        summary["DestinationPostalCode"] = json!(order.destination_postal_code);
        summary["EarliestDeliveryDate"] = json!(o.earliest_delivery_date.map(|d| d.to_rfc3339()));
        summary["LatestDeliveryDate"] = json!(o.latest_delivery_date.map(|d| d.to_rfc3339()));
    }
    json!({
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": at.to_rfc3339(),
        "Payload": {"OrderChangeNotification": {
            "NotificationLevel": "OrderLevel",
            "SellerId": order.seller_id,
            "AmazonOrderId": o.amazon_order_id,
            "OrderChangeType": "OrderStatusChange",
            "OrderChangeTrigger": {"TimeOfOrderChange": at.to_rfc3339()},
            "Summary": summary
        }},
        "NotificationMetadata": {"NotificationId": format!("life-{}-{status}", o.amazon_order_id)}
    })
    .to_string()
}

/// An SQS event of `bodies`, as Lambda's poller hands a batch to the function.
pub fn batch(bodies: &[String]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut m = SqsMessage::default();
            m.message_id = Some(i.to_string());
            m.body = Some(body.clone());
            m
        })
        .collect();
    event
}

fn used(store: &DynamoStore, before: Capacity) -> (f64, f64) {
    let now = store.capacity();
    (now.write_units - before.write_units, now.read_units - before.read_units)
}

/// Take `orders` orders (2 in 3 FBA, bought two weeks ago) through their life, with the
/// simulator's usage plans `scale` times Amazon's, the messages in SQS batches of `batch_size`
/// (ten is the event source's BatchSize; at a few orders a minute a batch holds one).
pub async fn order_life(orders: u32, scale: f64, batch_size: usize) -> OrderLife {
    let batch_size = batch_size.clamp(1, 10);
    let h = sim_harness(UsagePlans::scaled(scale), |_| {}).await;
    let sim = h.simulator();
    let (store, seller) = h.us_seller_store().await;
    let shared = Arc::new(store.clone());
    // As functions/order-events/src/main.rs wires it.
    let recorder = OrderRecorder::new(shared.clone(), shared.clone()).counting_outcomes(shared.clone());

    let mut created = Vec::new();
    let mut shipped = Vec::new();
    for n in 0..orders {
        let id = format!("111-8000000-{n:07}");
        let purchased = sim.now() - Duration::days(14);
        let order = mixed_order(&seller.seller_id, &id, n, purchased);
        sim.upsert_order(order.clone());
        created.push(notification(&order, "Unshipped", purchased + Duration::minutes(10)));
        let ship = notification(&order, "Shipped", purchased + Duration::hours(1));
        shipped.push(ship.clone());
        // SQS delivers at least once: the Shipped message twice.
        shipped.push(ship);
    }
    fastrand::Rng::with_seed(11).shuffle(&mut shipped);
    let mut life = OrderLife { orders, scale, batch_size, ..OrderLife::default() };
    let mut failed = 0;
    let started = Instant::now();
    let before = store.capacity();
    for chunk in created.chunks(batch_size) {
        failed += order_events::handle_batch(&recorder, batch(chunk)).await.batch_item_failures.len();
        life.batches += 1;
    }
    life.first = used(&store, before);
    let before = store.capacity();
    for chunk in shipped.chunks(batch_size) {
        failed += order_events::handle_batch(&recorder, batch(chunk)).await.batch_item_failures.len();
        life.batches += 1;
    }
    life.shipped = used(&store, before);
    life.capture_seconds = started.elapsed().as_secs_f64();
    life.messages = (created.len() + shipped.len()) as u32;
    assert_eq!(failed, 0, "every message recorded");

    let tap = EventTap::new().await;
    let deps = h.dispatcher(&store, Arc::new(tap.publisher().await));
    let before = store.capacity();
    let started = Instant::now();
    let summary = deps.run("order-life", deadline_in(600.0)).await.expect("run");
    life.dispatch_seconds = started.elapsed().as_secs_f64();
    life.dispatch = used(&store, before);
    assert_eq!(summary.sent, orders, "{summary:?}");
    life.events = tap.drain().await.len() as u32;

    // The purchase day's count, as the poll makes it once the day is over (the days before
    // it counted already): all its pages, one write.
    let bought = (sim.now() - Duration::days(14)).date_naive();
    let before_it = OrderDay { day: bought - Duration::days(1), orders: 0, resume: None };
    store.put_order_day(&seller.seller_id, Marketplace::Us, &before_it).await.expect("day before");
    let mut sync = h.order_sync(&store, Duration::days(30));
    sync.settings.order_day_calls = orders.div_ceil(100);
    let api = h.api.seller_calls(&seller, Marketplace::Us.region()).await.expect("seller calls");
    let recorder = sync.recorder();
    let poll = SellerPoll {
        api: api.as_ref(),
        recorder: &recorder,
        seller: &seller,
        marketplace: Marketplace::Us,
        now: sim.now(),
        deadline: tokio::time::Instant::now() + std::time::Duration::from_secs(60),
    };
    let before = store.capacity();
    let counted = sync.count_order_days(&poll).await.expect("day count");
    life.day_count = used(&store, before);
    assert_eq!(counted.days, 1, "{counted:?}");
    let day = store.orders_per_day(&seller.seller_id, Marketplace::Us, bought, bought).await.expect("read");
    assert_eq!(day.get(&bought), Some(&u64::from(orders)), "the day holds every order");
    life
}
