//! Messages per second through the order-events handler against DynamoDB Local, and the
//! DynamoDB capacity units each message costs. Run: `cargo bench -p autopilot-tests --bench
//! order_events` (starts the local stack if needed).
//!
//! The workload is what a busy seller's queue looks like: every order first Unshipped, then
//! Shipped, with one message in ten delivered twice, in shuffled order, in SQS batches of 10.

use std::sync::Arc;
use std::time::Instant;

use autopilot_shared::capture::OrderRecorder;
use autopilot_shared::domain::ManualClock;
use autopilot_shared::store::SellerDirectory;
use autopilot_tests::fixtures::{at, seller};
use autopilot_tests::fresh_store;
use serde_json::json;

const ORDERS: u32 = 1000;

fn notification(seller: &str, n: u32, status: &str, minute: u32) -> String {
    json!({
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": "2026-03-02T00:00:00Z",
        "Payload": {"OrderChangeNotification": {
            "NotificationLevel": "OrderLevel",
            "SellerId": seller,
            "AmazonOrderId": format!("111-5000000-{n:07}"),
            "OrderChangeType": "OrderStatusChange",
            "OrderChangeTrigger": {"TimeOfOrderChange": format!("2026-03-01T{:02}:{:02}:00Z", 10 + minute / 60, minute % 60)},
            "Summary": {
                "MarketplaceId": "ATVPDKIKX0DER",
                "OrderStatus": status,
                "PurchaseDate": "2026-03-01T09:00:00Z",
                "DestinationPostalCode": "98101",
                "FulfillmentType": "AFN",
                "OrderType": "StandardOrder",
                "EarliestDeliveryDate": "2026-03-03T00:00:00Z",
                "LatestDeliveryDate": "2026-03-05T00:00:00Z",
                "OrderItems": [{"OrderItemId": "1", "SellerSKU": format!("SKU-{}", n % 50), "Quantity": 1}]
            }
        }},
        "NotificationMetadata": {"NotificationId": format!("bench-{n}-{status}")}
    })
    .to_string()
}

async fn run(concurrency: usize) {
    let store = fresh_store(Arc::new(ManualClock::new(at("2026-03-10T00:00:00Z"))), |_| {}).await;
    let account = seller(1);
    store.put_seller(&account).await.expect("seller");
    let mut bodies = Vec::new();
    for n in 0..ORDERS {
        bodies.push(notification(account.seller_id.as_str(), n, "Unshipped", 0));
        bodies.push(notification(account.seller_id.as_str(), n, "Shipped", 90));
        if n % 5 == 0 {
            bodies.push(notification(account.seller_id.as_str(), n, "Shipped", 90));
        }
    }
    fastrand::Rng::with_seed(7).shuffle(&mut bodies);
    let total = bodies.len();
    let batches: Vec<Vec<String>> = bodies.chunks(10).map(<[String]>::to_vec).collect();
    let queue = Arc::new(std::sync::Mutex::new(batches));
    let before = store.capacity();
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (store, queue) = (store.clone(), queue.clone());
            tokio::spawn(async move {
                let mut failures = 0;
                while let Some(batch) = queue.lock().map(|mut q| q.pop()).ok().flatten() {
                    let recorder = OrderRecorder::new(Arc::new(store.clone()), Arc::new(store.clone()));
                    let event = autopilot_tests::life::batch(&batch);
                    failures += order_events::handle_batch(&recorder, event).await.batch_item_failures.len();
                }
                failures
            })
        })
        .collect();
    let mut failures = 0;
    for worker in workers {
        failures += worker.await.expect("worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let used = store.capacity();
    let messages = total as f64;
    println!(
        "order-events, {concurrency} concurrent batch(es): {total} messages in {elapsed:.2} s = {:.0} messages/s; \
         per message {:.2} write units + {:.2} read units (strongly consistent), {} lost races retried, {failures} failed",
        messages / elapsed,
        (used.write_units - before.write_units) / messages,
        (used.read_units - before.read_units) / messages,
        used.failed_conditional_writes - before.failed_conditional_writes,
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        run(1).await;
        run(4).await;
    });
}
