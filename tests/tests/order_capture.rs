//! Order capture against DynamoDB Local: ORDER_CHANGE messages through the order-events
//! handler (the official example and its variants), and the searchOrders reconciliation poll
//! through the order-sync handler against the simulator.

use std::sync::Arc;

use autopilot_shared::capture::{OrderRecorder, RecordOutcome};
use autopilot_shared::domain::{
    Clock, ManualClock, Marketplace, OrderId, OrderStatus, ReviewRequest, SellerAccount, SellerId, SkipReason,
};
use autopilot_shared::spapi::{Operation, UsagePlan, UsagePlans};
use autopilot_shared::store::{
    CheckpointKey, CheckpointStore, CheckpointStream, DynamoStore, OrderRepository, SellerDirectory,
};
use autopilot_tests::fixtures::{at, seller};
use autopilot_tests::sim::{deadline_in, sim_harness, sim_order};
use autopilot_tests::{dynamodb_client, fresh_store, workspace_root};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Duration;
use order_events::{MessageError, MessageOutcome, handle_batch, handle_message};
use serde_json::{Value, json};

const OFFICIAL_SELLER: &str = "A3TH9S8BH6GOGM";
const OFFICIAL_ORDER: &str = "903-8868176-2219830";

fn official() -> Value {
    let path = workspace_root().join("tests/fixtures/notifications/order_change_official.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The official example turned into a plain shipped order change at `changed_at`.
fn shipped(changed_at: &str) -> Value {
    let mut n = official();
    let change = &mut n["Payload"]["OrderChangeNotification"];
    change["OrderChangeType"] = json!("OrderStatusChange");
    change["OrderChangeTrigger"] = json!({"TimeOfOrderChange": changed_at, "ChangeReason": "Shipped"});
    change["Summary"]["OrderStatus"] = json!("Shipped");
    change["Summary"]["OrderItems"][0]["IsBuyerRequestedCancel"] = json!(false);
    n
}

async fn setup() -> (DynamoStore, OrderRecorder, SellerAccount) {
    let clock = Arc::new(ManualClock::new(at("2022-12-01T00:00:00Z")));
    let store = fresh_store(clock, |_| {}).await;
    let mut account = seller(1);
    account.seller_id = SellerId::parse(OFFICIAL_SELLER).unwrap();
    account.marketplaces = vec![Marketplace::Us];
    store.put_seller(&account).await.unwrap();
    let recorder = OrderRecorder::new(Arc::new(store.clone()), Arc::new(store.clone()));
    (store, recorder, account)
}

fn message(id: &str, body: &Value) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.to_string());
    m.body = Some(body.to_string());
    m
}

async fn stored(store: &DynamoStore) -> autopilot_shared::domain::Order {
    let seller = SellerId::parse(OFFICIAL_SELLER).unwrap();
    store.get_order(&seller, &OrderId::parse(OFFICIAL_ORDER).unwrap()).await.unwrap().expect("order recorded").value
}

#[tokio::test]
async fn the_official_example_is_recorded_as_a_buyer_cancel_request() {
    let (store, recorder, _) = setup().await;
    let outcome = handle_message(&recorder, Some(&official().to_string())).await.unwrap();
    assert_eq!(outcome, MessageOutcome::Recorded(RecordOutcome::Created));
    let order = stored(&store).await;
    assert_eq!(order.status, OrderStatus::Unshipped);
    assert!(order.buyer_cancel_requested);
    assert_eq!(order.skus, vec!["SellerSKUID1".to_string()]);
    assert_eq!(order.programs, vec!["Business".to_string()]);
    assert_eq!(order.delivery.latest, Some(at("2022-12-07T19:42:04.284Z")));
    assert!(matches!(order.review_request, ReviewRequest::Skipped { reason: SkipReason::BuyerRequestedCancel, .. }));
}

#[tokio::test]
async fn no_buyer_personal_data_is_stored() {
    let (store, recorder, _) = setup().await;
    handle_message(&recorder, Some(&shipped("2022-11-29T19:42:04.284Z").to_string())).await.unwrap();
    // Test-only Scan: look at every attribute of every item.
    let items =
        dynamodb_client().await.scan().table_name(&store.config().table_name).send().await.unwrap().items.unwrap();
    let dump = format!("{items:?}");
    assert!(dump.contains(OFFICIAL_ORDER));
    assert!(!dump.contains("48110"), "the postal code must not be stored: {dump}");
    assert!(!dump.to_lowercase().contains("postal"), "{dump}");
}

#[tokio::test]
async fn a_shipped_order_is_scheduled_and_duplicates_and_older_changes_change_nothing() {
    let (store, recorder, _) = setup().await;
    let body = shipped("2022-11-29T19:42:04.284Z").to_string();
    assert_eq!(handle_message(&recorder, Some(&body)).await.unwrap(), MessageOutcome::Recorded(RecordOutcome::Created));
    let first = stored(&store).await;
    // 7 days after the latest delivery estimate, inside Amazon's window
    assert_eq!(
        first.review_request,
        ReviewRequest::Pending { due_at: at("2022-12-14T19:42:04.284Z"), needs_delivery_dates: false }
    );
    assert_eq!(
        handle_message(&recorder, Some(&body)).await.unwrap(),
        MessageOutcome::Recorded(RecordOutcome::Duplicate)
    );

    // an older status change is superseded: nothing changes
    let mut older = shipped("2022-11-01T00:00:00Z");
    older["Payload"]["OrderChangeNotification"]["Summary"]["OrderStatus"] = json!("Unshipped");
    assert_eq!(
        handle_message(&recorder, Some(&older.to_string())).await.unwrap(),
        MessageOutcome::Recorded(RecordOutcome::Stale)
    );
    assert_eq!(stored(&store).await, first);

    // an older buyer's cancel request (Amazon's own example) still counts: the status stays
    // Shipped, the review request is skipped as of the request
    let mut cancel = official();
    cancel["Payload"]["OrderChangeNotification"]["OrderChangeTrigger"]["TimeOfOrderChange"] =
        json!("2022-11-01T00:00:00Z");
    assert_eq!(
        handle_message(&recorder, Some(&cancel.to_string())).await.unwrap(),
        MessageOutcome::Recorded(RecordOutcome::Updated)
    );
    let after = stored(&store).await;
    assert_eq!((after.status, after.last_changed_at), (first.status, first.last_changed_at));
    assert_eq!(
        after.review_request,
        ReviewRequest::Skipped { reason: SkipReason::BuyerRequestedCancel, decided_at: at("2022-11-01T00:00:00Z") }
    );
}

#[tokio::test]
async fn a_seller_fulfilled_order_without_delivery_dates_is_planned_from_its_ship_time_and_marked_for_one_lookup() {
    let (store, recorder, _) = setup().await;
    let mut n = shipped("2022-11-29T19:42:04.284Z");
    let summary = n["Payload"]["OrderChangeNotification"]["Summary"].as_object_mut().unwrap();
    summary.remove("EarliestDeliveryDate");
    summary.remove("LatestDeliveryDate");
    handle_message(&recorder, Some(&n.to_string())).await.unwrap();
    let order = stored(&store).await;
    assert_eq!(order.delivery.latest, None);
    // shipped at the change (29 Nov) + 3 days' transit + the seller's 7 days
    assert_eq!(order.shipped_at, Some(at("2022-11-29T19:42:04.284Z")));
    assert_eq!(
        order.review_request,
        ReviewRequest::Pending { due_at: at("2022-12-09T19:42:04.284Z"), needs_delivery_dates: true }
    );
}

#[tokio::test]
async fn item_level_notifications_add_their_skus() {
    let (store, recorder, _) = setup().await;
    handle_message(&recorder, Some(&shipped("2022-11-29T19:42:04.284Z").to_string())).await.unwrap();
    let mut item = shipped("2022-11-29T20:00:00Z");
    let change = &mut item["Payload"]["OrderChangeNotification"];
    change["NotificationLevel"] = json!("OrderItemLevel");
    change["Summary"]["OrderItems"][0]["SellerSKU"] = json!("SellerSKUID2");
    assert_eq!(
        handle_message(&recorder, Some(&item.to_string())).await.unwrap(),
        MessageOutcome::Recorded(RecordOutcome::Updated)
    );
    assert_eq!(stored(&store).await.skus, vec!["SellerSKUID1".to_string(), "SellerSKUID2".to_string()]);
}

#[tokio::test]
async fn unknown_fields_and_a_null_postal_code_are_accepted() {
    let (_store, recorder, _) = setup().await;
    let mut n = shipped("2022-11-29T19:42:04.284Z");
    n["SomethingNew"] = json!({"nested": [1, 2, 3]});
    n["Payload"]["OrderChangeNotification"]["Summary"]["DestinationPostalCode"] = Value::Null;
    n["Payload"]["OrderChangeNotification"]["Summary"]["FutureField"] = json!("x");
    assert_eq!(
        handle_message(&recorder, Some(&n.to_string())).await.unwrap(),
        MessageOutcome::Recorded(RecordOutcome::Created)
    );
}

#[tokio::test]
async fn a_batch_reports_only_its_bad_messages_as_failures() {
    let (store, recorder, _) = setup().await;
    let mut bad_status = shipped("2022-11-29T19:42:04.284Z");
    bad_status["Payload"]["OrderChangeNotification"]["Summary"]["OrderStatus"] = json!("Teleported");
    let mut bad_order_id = shipped("2022-11-29T19:42:04.284Z");
    bad_order_id["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = json!("12345");
    let mut unknown_seller = shipped("2022-11-29T19:42:04.284Z");
    unknown_seller["Payload"]["OrderChangeNotification"]["SellerId"] = json!("AUNKNOWNSELLER");
    let report_finished = json!({"NotificationType": "REPORT_PROCESSING_FINISHED", "Payload": {}});

    let mut not_json = SqsMessage::default();
    not_json.message_id = Some("m-not-json".into());
    not_json.body = Some("{not json".into());
    let mut event = SqsEvent::default();
    event.records = vec![
        message("m-good", &shipped("2022-11-29T19:42:04.284Z")),
        message("m-bad-status", &bad_status),
        not_json,
        message("m-bad-order", &bad_order_id),
        message("m-report", &report_finished),
        message("m-unknown-seller", &unknown_seller),
    ];
    let response = handle_batch(&recorder, event).await;
    let failed: Vec<String> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    // a message for a seller this deployment does not serve is acknowledged, not retried
    assert_eq!(failed, vec!["m-bad-status", "m-not-json", "m-bad-order"]);
    assert_eq!(
        handle_message(&recorder, Some(&unknown_seller.to_string())).await.unwrap(),
        MessageOutcome::UnknownSeller
    );
    assert_eq!(stored(&store).await.status, OrderStatus::Shipped, "the good message went through");

    let err = handle_message(&recorder, Some(&bad_status.to_string())).await.unwrap_err();
    assert!(matches!(err, MessageError::Malformed(_)));
    assert!(err.to_string().contains("Payload.OrderChangeNotification.Summary.OrderStatus"), "{err}");
    let err = handle_message(&recorder, Some(&bad_order_id.to_string())).await.unwrap_err();
    assert!(err.to_string().contains("AmazonOrderId"), "{err}");
    let mut no_time = shipped("2022-11-29T19:42:04.284Z");
    no_time["Payload"]["OrderChangeNotification"]["OrderChangeTrigger"] = json!({});
    let err = handle_message(&recorder, Some(&no_time.to_string())).await.unwrap_err();
    assert!(err.to_string().contains("OrderChangeTrigger") && err.to_string().contains("TimeOfOrderChange"), "{err}");
}

/// A seller selling in the US with `count` orders `{prefix}-0000000...` shipped three days ago
/// on Amazon, none of them recorded.
async fn shipped_orders(
    plans: UsagePlans,
    prefix: &str,
    count: u32,
) -> (autopilot_tests::sim::SimHarness, DynamoStore, SellerAccount) {
    let h = sim_harness(plans, |_| {}).await;
    let sim = h.simulator();
    let (store, account) = h.us_seller_store().await;
    for n in 0..count {
        sim.upsert_order(sim_order(&account.seller_id, &format!("{prefix}-{n:07}"), sim.now() - Duration::days(3)));
    }
    (h, store, account)
}

fn sync_deps(h: &autopilot_tests::sim::SimHarness, store: &DynamoStore) -> autopilot_shared::capture::OrderSync {
    h.order_sync(store, Duration::days(30))
}

#[tokio::test]
async fn the_reconciliation_poll_records_missed_orders_and_moves_its_checkpoint() {
    let (h, store, account) = shipped_orders(UsagePlans::scaled(1000.0), "111-2000000", 120).await;
    let sim = h.simulator();
    let deps = sync_deps(&h, &store);
    let summary = deps.run(deadline_in(30.0)).await.unwrap();
    assert_eq!((summary.pages, summary.orders_seen, summary.recorded, summary.failed), (2, 120, 120, 0));
    let order =
        store.get_order(&account.seller_id, &OrderId::parse("111-2000000-0000007").unwrap()).await.unwrap().unwrap();
    assert!(matches!(order.value.review_request, ReviewRequest::Pending { needs_delivery_dates: false, .. }));
    let checkpoint = store.get_checkpoint(&orders_checkpoint(&account)).await.unwrap().unwrap();
    assert_eq!(checkpoint.synced_until, sim.now() - Duration::minutes(2));
    assert_eq!(checkpoint.resume, None);

    // nothing new: one empty page, nothing recorded
    sim.advance(Duration::hours(1));
    let again = deps.run(deadline_in(30.0)).await.unwrap();
    assert_eq!((again.pages, again.recorded), (1, 0));
}

#[tokio::test]
async fn the_poll_stops_before_its_deadline_and_resumes_where_it_stopped() {
    // searchOrders at 2 per second with a burst of 1: each page after the first waits 0.5 s
    let plans = UsagePlans::amazon().with(Operation::SearchOrders, UsagePlan { rate_per_second: 2.0, burst: 1 });
    let (h, store, account) = shipped_orders(plans, "111-3000000", 500).await;
    let sim = h.simulator();
    let deps = sync_deps(&h, &store);
    let first = deps.run(deadline_in(1.2)).await.unwrap();
    // The orders stopped early (their resume point is checked below). The refunds poll shares
    // the run's deadline and pages through the 500 orders' shipment events too: on a loaded
    // machine it can stop early as well, so it may add one to `incomplete`.
    assert!((1..=2).contains(&first.incomplete) && first.pages >= 1 && first.pages < 5, "{first:?}");
    let checkpoint = store.get_checkpoint(&orders_checkpoint(&account)).await.unwrap().unwrap();
    assert!(checkpoint.resume.is_some(), "a resume point after a partial run");
    assert_eq!(first.order_days_counted, 0, "orders first: no day counted while the orders poll is behind");
    let days = {
        use autopilot_shared::store::OrderVolume;
        store.latest_order_day(&account.seller_id, Marketplace::Us).await.unwrap()
    };
    assert_eq!(days, None, "not even a call spent on counting");

    let mut total = first.orders_seen;
    // Runs a second apart, as a schedule spaces them: a run that met a 429 halves its pace, so
    // its next token can be further off than a run's 0.6 s share of searchOrders; back-to-back
    // runs would then give up at once, again and again, without time passing.
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let next = deps.run(deadline_in(1.2)).await.unwrap();
        total += next.orders_seen;
        if next.incomplete == 0 {
            break;
        }
    }
    assert_eq!(total, 500, "every order seen exactly once across runs");
    let checkpoint = store.get_checkpoint(&orders_checkpoint(&account)).await.unwrap().unwrap();
    assert_eq!(checkpoint.resume, None);
    for n in [0u32, 250, 499] {
        let id = OrderId::parse(format!("111-3000000-{n:07}")).unwrap();
        assert!(store.get_order(&account.seller_id, &id).await.unwrap().is_some());
    }
    assert!(sim.clock().now() > at("2026-01-01T00:00:00Z"));
}

#[tokio::test]
async fn refunds_are_found_in_bulk_even_when_finances_lists_them_a_day_late() {
    let h = sim_harness(UsagePlans::scaled(1000.0), |_| {}).await;
    let sim = h.simulator();
    // Finances lists an event only a day after it was posted ("Orders from the last 48 hours
    // might not be included in financial events")
    sim.set_fidelity(spapi_sim::Fidelity { finances_delay_hours: 24, ..spapi_sim::Fidelity::default() });
    let (store, account) = h.us_seller_store().await;
    let deps = sync_deps(&h, &store);
    let ids: Vec<String> = (0..150u32).map(|n| format!("111-8000000-{n:07}")).collect();
    for id in &ids {
        sim.upsert_order(sim_order(&account.seller_id, id, sim.now() - Duration::days(2)));
    }
    let first = deps.run(deadline_in(30.0)).await.unwrap();
    assert_eq!((first.recorded, first.refunds_marked), (150, 0), "{first:?}");

    let posted = sim.now() - Duration::hours(1);
    for id in &ids[..120] {
        assert!(sim.refund_order(account.seller_id.as_str(), id, posted));
    }
    sim.advance(Duration::hours(6));
    let early = deps.run(deadline_in(30.0)).await.unwrap();
    assert_eq!(early.refunds_marked, 0, "not listed yet: {early:?}");
    sim.advance(Duration::hours(24));
    let late = deps.run(deadline_in(30.0)).await.unwrap();
    assert_eq!((late.refunds_seen, late.refunds_marked), (120, 120), "{late:?}");
    // 120 refunds in the window (the shipments were posted before it), 100 events a page: two
    // calls for the whole region, not one per order
    assert_eq!(late.refund_pages, 2, "{late:?}");
    let refunded =
        store.get_order(&account.seller_id, &OrderId::parse(ids[7].clone()).unwrap()).await.unwrap().unwrap();
    assert_eq!(refunded.value.refunded_at.map(|t| t.timestamp()), Some(posted.timestamp()));
    assert!(matches!(
        refunded.value.review_request,
        ReviewRequest::Skipped { reason: autopilot_shared::domain::SkipReason::Refunded, .. }
    ));
    let kept = store.get_order(&account.seller_id, &OrderId::parse(ids[130].clone()).unwrap()).await.unwrap().unwrap();
    assert!(matches!(kept.value.review_request, ReviewRequest::Pending { .. }));
    // the next poll looks back over the lag again: nothing marked twice
    sim.advance(Duration::hours(1));
    let again = deps.run(deadline_in(30.0)).await.unwrap();
    assert_eq!((again.refunds_seen, again.refunds_marked), (120, 0), "{again:?}");
}

#[tokio::test]
async fn an_absurd_date_fails_its_own_message_naming_the_field_and_the_batch_goes_on() {
    let (store, recorder, _) = setup().await;
    let mut far = shipped("2022-11-29T19:42:04.284Z");
    far["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = json!("903-0000000-0000001");
    far["Payload"]["OrderChangeNotification"]["Summary"]["LatestDeliveryDate"] = json!("+262142-12-31T23:59:59Z");
    let mut ancient = shipped("2022-11-29T19:42:04.284Z");
    ancient["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = json!("903-0000000-0000002");
    ancient["Payload"]["OrderChangeNotification"]["Summary"]["PurchaseDate"] = json!("0026-07-13T19:42:04Z");
    let mut event = SqsEvent::default();
    event.records = vec![
        message("m-far", &far),
        message("m-good", &shipped("2022-11-29T19:42:04.284Z")),
        message("m-ancient", &ancient),
    ];
    let response = handle_batch(&recorder, event).await;
    let failed: Vec<String> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec!["m-far", "m-ancient"]);
    assert_eq!(stored(&store).await.status, OrderStatus::Shipped, "the good message went through");
    let err = handle_message(&recorder, Some(&far.to_string())).await.unwrap_err();
    assert!(err.to_string().contains("Summary.LatestDeliveryDate"), "{err}");
    let err = handle_message(&recorder, Some(&ancient.to_string())).await.unwrap_err();
    assert!(err.to_string().contains("Summary.PurchaseDate") && err.to_string().contains("year 26"), "{err}");
}

#[tokio::test]
async fn an_order_older_than_the_retention_is_acknowledged_on_every_redelivery() {
    // Amazon's example was bought in 2022; here it arrives in 2026, past the 400-day retention,
    // and keeps being redelivered: the item is past its TTL but DynamoDB has not deleted it.
    let clock = Arc::new(ManualClock::new(at("2026-03-01T00:00:00Z")));
    let store = fresh_store(clock, |_| {}).await;
    let mut account = seller(1);
    account.seller_id = SellerId::parse(OFFICIAL_SELLER).unwrap();
    store.put_seller(&account).await.unwrap();
    let recorder = OrderRecorder::new(Arc::new(store.clone()), Arc::new(store.clone()));
    for delivery in 0..3 {
        let outcome = handle_message(&recorder, Some(&official().to_string())).await;
        assert!(matches!(outcome, Ok(MessageOutcome::Recorded(_))), "delivery {delivery}: {outcome:?}");
    }
    let seller = SellerId::parse(OFFICIAL_SELLER).unwrap();
    assert!(store.get_order(&seller, &OrderId::parse(OFFICIAL_ORDER).unwrap()).await.unwrap().is_none());
}

fn orders_checkpoint(account: &SellerAccount) -> CheckpointKey {
    CheckpointKey { seller: account.seller_id.clone(), marketplace: Marketplace::Us, stream: CheckpointStream::Orders }
}

/// The orders per purchase day (the ODR's denominator) come from searchOrders by creation day:
/// every order Amazon lists counts (cancelled ones too), a day is counted once it has been over
/// for the settle time, a run spends at most its calls and a day cut short resumes at its next
/// page, and the count is one write per day. Expected counts are the test's own orders.
#[tokio::test]
async fn orders_are_counted_per_purchase_day_from_searchorders_a_day_at_a_time() {
    let h = sim_harness(UsagePlans::scaled(1000.0), |_| {}).await;
    let sim = h.simulator();
    let (store, account) = h.us_seller_store().await;
    // 03:00 UTC: yesterday ended three hours ago, within the six hours' settle time.
    let now = sim.now();
    let three_am = (now.date_naive() + Duration::days(1)).and_hms_opt(3, 0, 0).unwrap().and_utc();
    sim.advance(three_am - now);
    let today = sim.now().date_naive();
    let mut expected = std::collections::BTreeMap::new();
    let mut n = 0;
    let mut add = |back: i64, count: u32, sim: &spapi_sim::Simulator| {
        let day = today - Duration::days(back);
        for k in 0..count {
            n += 1;
            let bought = day.and_hms_opt(0, 0, 0).unwrap().and_utc() + Duration::minutes(i64::from(k % 1440));
            let mut order = sim_order(&account.seller_id, &format!("114-{:07}-{:07}", back, n), bought);
            if k == 0 && back == 30 {
                order.order.order_status = "Canceled".into();
            }
            sim.upsert_order(order);
        }
        *expected.entry(day).or_insert(0u64) += u64::from(count);
    };
    for back in 1..=62 {
        add(back, (back % 3) as u32, sim);
    }
    add(56, 150, sim); // two pages: the first run's calls run out after its first
    add(0, 5, sim); // today: not over
    let expected: std::collections::BTreeMap<_, _> = expected
        .into_iter()
        .filter(|(day, _)| *day >= today - Duration::days(60) && *day <= today - Duration::days(2))
        .collect();

    let mut deps = sync_deps(&h, &store);
    deps.settings.order_day_calls = 5;
    let volume = |store: &DynamoStore| {
        let store = store.clone();
        let seller = account.seller_id.clone();
        async move {
            use autopilot_shared::store::OrderVolume;
            store.orders_per_day(&seller, Marketplace::Us, today - Duration::days(90), today).await.unwrap()
        }
    };
    let calls = || sim.calls("searchOrders", 200);

    let before = calls();
    let first = deps.run(deadline_in(30.0)).await.unwrap();
    let reconcile_calls = first.pages;
    assert_eq!(calls() - before - reconcile_calls, 5, "the run's calls for counting days");
    // Four days of one page each, then the first of day 56's two pages: saved to resume.
    assert_eq!(first.order_days_counted, 4);
    let latest = {
        use autopilot_shared::store::OrderVolume;
        store.latest_order_day(&account.seller_id, Marketplace::Us).await.unwrap().unwrap()
    };
    assert_eq!((latest.day, latest.orders), (today - Duration::days(56), 100));
    assert!(latest.resume.is_some());
    assert_eq!(volume(&store).await.len(), 4, "a day cut short is not a counted day");

    let mut runs = 1;
    loop {
        let summary = deps.run(deadline_in(30.0)).await.unwrap();
        runs += 1;
        assert!(runs < 30, "counting never ended");
        if summary.order_days_counted == 0 {
            break;
        }
    }
    assert_eq!(volume(&store).await, expected, "every day through the day before yesterday, once");

    // Past 06:00 yesterday is over for six hours: it is counted, today is not.
    sim.advance(Duration::hours(3) + Duration::minutes(1));
    let later = deps.run(deadline_in(30.0)).await.unwrap();
    assert_eq!(later.order_days_counted, 1);
    let counted = volume(&store).await;
    assert_eq!(counted.get(&(today - Duration::days(1))), Some(&1), "yesterday: 1 % 3 orders");
    assert_eq!(counted.get(&today), None);
}
