//! The demo's story, stage by stage.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use autopilot_shared::capture::{OrderRecorder, OrderSync, SyncSettings};
use autopilot_shared::dispatch::Dispatcher;
use autopilot_shared::domain::{Clock, Marketplace, OrderId, ReviewRequest, SellerAccount, SellerId};
use autopilot_shared::lambda::invocation;
use autopilot_shared::onboarding::Onboarding;
use autopilot_shared::spapi::{SecretsManagerCredentials, SpApi, SpApiConfig, UsagePlans};
use autopilot_shared::store::{DynamoStore, OrderRepository, SellerDirectory, StoreConfig};
use chrono::{DateTime, Duration, Utc};
use order_events::MessageOutcome;
use spapi_sim::{AmazonOrder, DeliveryOptions, SimOrder, Simulator};
use tokio::time::Instant;

use crate::operator::{DemoDeployment, Operator};
use autopilot_cli::deployment::DEFAULT_SECRETS_PREFIX;

const CLIENT_ID: &str = "amzn1.application-oa2-client.feedbackautopilotdemo";
const CLIENT_SECRET: &str = "amzn1.oa2-cs.v1.demo-secret";
const REFRESH_TOKEN: &str = "Atzr|demo-refresh-token";
const SELLER: &str = "A2DEMOSELLER01";
/// The simulator answers searchOrders once every 180 s at Amazon's pace; the demo runs it 60x faster.
const RATE_SCALE: f64 = 60.0;
/// The day of the review-request weeks the operator runs `autopilot status` (a week in: some
/// requests sent, some still pending).
const CHECK_IN_DAY: u32 = 7;
/// The queue REPORT_PROCESSING_FINISHED notifications go to.
const REPORT_QUEUE: &str = "feedback-autopilot-demo-report-events";

pub(crate) fn e<E: std::fmt::Display>(context: &'static str) -> impl Fn(E) -> String {
    move |err| format!("{context}: {err}")
}

/// A failed invocation as Lambda reports it.
pub(crate) fn failed(context: &'static str) -> impl Fn(lambda_runtime::Diagnostic) -> String {
    move |err| format!("{context}: {}: {}", err.error_type, err.error_message)
}

pub(crate) fn deadline(seconds: u64) -> Instant {
    Instant::now() + StdDuration::from_secs(seconds)
}

/// One of the deployment's queues in moto, created empty; returns its URL.
async fn demo_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, String> {
    let url =
        sqs.create_queue().queue_name(name).send().await.map_err(e("create queue"))?.queue_url.unwrap_or_default();
    let _ = sqs.purge_queue().queue_url(&url).send().await;
    Ok(url)
}

/// The demo's order that is refunded (an FBA order).
const REFUNDED: u32 = 6;
/// The FBA order the operator asks `autopilot explain` about (asked for a review, then 1-star
/// feedback about the delivery: Amazon's to strike through).
const FBA_EXPLAINED: u32 = 0;

/// The Amazon order id of the demo's order `n`.
pub(crate) fn demo_order_id(n: u32) -> String {
    format!("113-{:07}-{:07}", 4_200_000 + n, 9_100_000 + n * 37)
}

/// One order of the demo week: bought on `day`, shipped a day later unless canceled.
fn sim_order(n: u32, purchased: DateTime<Utc>, status: &str) -> SimOrder {
    SimOrder {
        seller_id: SELLER.into(),
        order: AmazonOrder {
            amazon_order_id: demo_order_id(n),
            purchase_date: purchased,
            last_update_date: purchased,
            order_status: status.into(),
            fulfillment_channel: Some(if n.is_multiple_of(2) { "AFN" } else { "MFN" }.into()),
            marketplace_id: Some(Marketplace::Us.id().into()),
            order_type: Some("StandardOrder".into()),
            earliest_delivery_date: Some(purchased + Duration::days(2)),
            latest_delivery_date: Some(purchased + Duration::days(4)),
            is_business_order: Some(n == 5),
            is_replacement_order: Some(false),
            is_prime: Some(n.is_multiple_of(3)),
        },
        skus: vec![format!("TENT-{}", 100 + n % 4)],
        destination_postal_code: Some(format!("9810{}", n % 10)),
        buyer_requested_cancel: false,
        omit_delivery_dates_in_notifications: n % 3 == 1,
        null_nullable_fields: false,
        solicitation_eligible: true,
        shipped_at: None,
        refunded_at: None,
    }
}

pub async fn run(dynamodb_endpoint: &str, aws_endpoint: &str, table: &str, out: &Path) -> Result<(), String> {
    let aws = autopilot_shared::aws::local(aws_endpoint).await;
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let start: DateTime<Utc> = "2026-03-02T08:00:00Z".parse().map_err(e("start time"))?;
    let simulator = Simulator::new(start, UsagePlans::scaled(RATE_SCALE), Some(sqs.clone()));
    let sim = simulator.start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.map_err(e("simulator"))?;
    let clock = sim.simulator.clock();
    println!(
        "== Local stack: DynamoDB Local {dynamodb_endpoint}, moto {aws_endpoint}, SP-API simulator {}",
        sim.base_url()
    );
    println!("   simulated time starts {start}; SP-API usage plans run {RATE_SCALE}x faster than Amazon's");

    let store = DynamoStore::connect(
        &autopilot_shared::aws::local(dynamodb_endpoint).await,
        StoreConfig::new(table),
        clock.clone(),
    );
    store.delete_table_if_exists().await.map_err(e("reset table"))?;
    store.create_table_if_missing().await.map_err(e("create table"))?;

    // -- the deployment's queues (sam deploy creates them in AWS), and the operator onboarding
    // the seller with `autopilot seller add`
    sim.simulator.register_application(CLIENT_ID, CLIENT_SECRET);
    sim.simulator.register_seller(SELLER, REFRESH_TOKEN);
    let queue_url = demo_queue(&sqs, "feedback-autopilot-demo-order-events").await?;
    let report_queue_url = demo_queue(&sqs, REPORT_QUEUE).await?;
    let dlqs = [
        demo_queue(&sqs, "feedback-autopilot-demo-order-events-dlq").await?,
        demo_queue(&sqs, "feedback-autopilot-demo-report-events-dlq").await?,
        demo_queue(&sqs, "feedback-autopilot-demo-alerts-dlq").await?,
    ];
    let bus = "feedback-autopilot-demo";
    let operator = Operator::new(
        &DemoDeployment {
            table,
            bus,
            dynamodb_endpoint,
            aws_endpoint,
            spapi_endpoint: &sim.base_url(),
            rate_scale: RATE_SCALE,
            order_events_queue: &queue_url,
            order_events_dlq: &dlqs[0],
            report_events_queue: &report_queue_url,
            report_events_dlq: &dlqs[1],
            alerts_dlq: &dlqs[2],
        },
        clock.clone(),
    );
    let mut config = SpApiConfig::local(&sim.base_url());
    config.usage_plans = UsagePlans::scaled(RATE_SCALE);
    let api = Arc::new(SpApi::new(config, Arc::new(SecretsManagerCredentials::new(&aws)), clock.clone()));
    // A fresh start in moto too: the seller's secret from an earlier run goes.
    Onboarding { secrets: aws_sdk_secretsmanager::Client::new(&aws), api: api.clone() }
        .delete_credentials(&format!("{DEFAULT_SECRETS_PREFIX}{SELLER}"))
        .await
        .map_err(e("reset the seller's secret"))?;
    let credentials = serde_json::json!({
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN
    })
    .to_string();
    println!("\n== Onboarding with the operator's tool (credentials from standard input, never on the command line):");
    operator
        .run(
            &[
                "seller",
                "add",
                SELLER,
                "--name",
                "Demo Outdoor Gear",
                "--marketplace",
                "US",
                "--alert-to",
                "owner@demo-outdoor.example",
                "--digest",
                "daily",
                "--do-not-solicit-sku",
                "TENT-103",
                "--credentials",
                "-",
            ],
            credentials.as_bytes(),
            Some("credentials.json"),
        )
        .await?;
    let seller_id = SellerId::parse(SELLER).map_err(e("seller id"))?;
    let seller = store.get_seller(&seller_id).await.map_err(e("read seller"))?.ok_or("seller add saved no account")?;
    println!(
        "   policy: review requests {} days after the latest delivery estimate; FBA orders (Amazon shows them no delivery dates) planned from their ship time + {} days' transit, then Amazon asked every {} h until {} days after shipping",
        seller.review_requests.delay_days,
        seller.review_requests.asking.transit_days,
        seller.review_requests.asking.ask_every_hours,
        seller.review_requests.asking.cutoff_days_after_shipping,
    );

    // -- a week of orders on Amazon
    let mut changes = 0;
    for n in 0..12u32 {
        let purchased = start + Duration::hours(i64::from(n) * 13);
        clock.set(purchased);
        let mut order = sim_order(n, purchased, "Unshipped");
        sim.simulator.upsert_order(order.clone());
        changes += 1;
        match n {
            3 => {
                order.order.order_status = "Canceled".into();
                order.order.last_update_date = purchased + Duration::hours(3);
            }
            8 => {
                order.buyer_requested_cancel = true;
                order.order.last_update_date = purchased + Duration::hours(2);
            }
            _ => {
                order.order.order_status = "Shipped".into();
                order.order.last_update_date = purchased + Duration::hours(20);
            }
        }
        clock.set(order.order.last_update_date);
        let shipped = order.order.last_update_date;
        sim.simulator.upsert_order(order);
        changes += 1;
        if n == REFUNDED {
            // the buyer returns it; Amazon posts the refund three days after shipping (refunds
            // send no ORDER_CHANGE: the Finances poll finds it)
            sim.simulator.refund_order(SELLER, &demo_order_id(n), shipped + Duration::days(3));
        }
    }
    clock.set(start + Duration::days(7));
    println!(
        "\n== A simulated week on Amazon: 12 orders ({} FBA, whose notifications carry no delivery dates), {changes} order changes (1 canceled, 1 buyer cancel request); order {} is refunded three days after shipping",
        (0..12u32).filter(|n| n.is_multiple_of(2)).count(),
        demo_order_id(REFUNDED)
    );

    // -- notifications arrive: at least once, out of order, some lost
    let delivery = sim
        .simulator
        .deliver_notifications(&DeliveryOptions { duplicate_share: 0.25, shuffle: true, drop_share: 0.15 })
        .await
        .map_err(e("deliver notifications"))?;
    println!(
        "   Amazon delivered {} ORDER_CHANGE messages to SQS ({} duplicates, shuffled, {} lost in an outage)",
        delivery.sent, delivery.duplicates, delivery.dropped
    );

    // -- order-events: the Lambda's work, batch by batch
    let recorder =
        OrderRecorder::new(Arc::new(store.clone()), Arc::new(store.clone())).counting_outcomes(Arc::new(store.clone()));
    let mut tally: BTreeMap<String, u32> = BTreeMap::new();
    for message in spapi_sim::queues::drain_queue(&sqs, &queue_url).await? {
        let outcome = order_events::handle_message(&recorder, message.body()).await;
        let key = match outcome {
            Ok(MessageOutcome::Recorded(outcome)) => outcome.name().to_string(),
            Ok(MessageOutcome::Ignored { notification_type }) => format!("ignored {notification_type}"),
            Ok(MessageOutcome::UnknownSeller) => "for an unknown seller".to_string(),
            Err(err) => format!("failed: {err}"),
        };
        *tally.entry(key).or_default() += 1;
    }
    let tally: Vec<String> = tally.iter().map(|(k, v)| format!("{v} {k}")).collect();
    println!("\n== order-events handler: {}", tally.join(", "));

    // -- order-sync: the scheduled poll recovers what the outage lost
    let sync = OrderSync {
        api: api.clone(),
        orders: Arc::new(store.clone()),
        sellers: Arc::new(store.clone()),
        checkpoints: Arc::new(store.clone()),
        volume: Arc::new(store.clone()),
        outcomes: Arc::new(store.clone()),
        clock: clock.clone(),
        // One poll here stands for a day of scheduled runs (every 15 minutes): a day's budget
        // for counting orders per day.
        settings: SyncSettings {
            initial_lookback: Duration::days(14),
            order_day_calls: 96 * SyncSettings::default().order_day_calls,
            ..SyncSettings::default()
        },
    };
    // The schedule invokes the functions with an event that carries nothing they need.
    let poll = |name: &str| invocation(order_sync::Trigger::Schedule(serde_json::json!({})), name, deadline(60));
    let summary = order_sync::handle(&sync, poll("demo-sync")).await.map_err(failed("order sync"))?.into_summary();
    println!(
        "== order-sync poll: {} page(s), {} orders seen, {} recorded or updated (changes lost in the outage, delivery dates the notifications left out)",
        summary.pages, summary.orders_seen, summary.recorded
    );

    print_orders(
        &store,
        &seller,
        &format!("Orders recorded (no buyer data kept) at {}", clock.now().format("%Y-%m-%d %H:%M")),
    )
    .await?;

    // -- dispatch: the scheduled solicit runs over the following weeks
    let events = aws_sdk_eventbridge::Client::new(&aws);
    let _ = events.create_event_bus().name(bus).send().await;
    // the alerts function listens on the bus from here on (its events are handled at the end)
    let alert_queue = crate::mail::tap_bus(&aws, bus).await?;
    let deps = Dispatcher {
        orders: Arc::new(store.clone()),
        due: Arc::new(store.clone()),
        outcomes: Arc::new(store.clone()),
        sellers: Arc::new(store.clone()),
        events: Arc::new(autopilot_shared::events::EventBridgePublisher::new(&aws, bus)),
        api: api.clone(),
        clock: clock.clone(),
        settings: Default::default(),
    };
    println!(
        "\n== Review requests: order-sync (with the refunds poll) and the solicit run every simulated day for five weeks"
    );
    for day in 0..35 {
        let polled = order_sync::handle(&sync, poll(&format!("demo-sync-{day}")))
            .await
            .map_err(failed("order sync"))?
            .into_summary();
        if polled.refunds_marked > 0 {
            println!(
                "   {}  refunds poll (Finances listFinancialEvents, {} page(s)): {} order(s) refunded, never to be asked",
                clock.now().format("%Y-%m-%d"),
                polled.refund_pages,
                polled.refunds_marked
            );
        }
        let run =
            invocation(solicit::Trigger::Schedule(serde_json::json!({})), &format!("demo-day-{day}"), deadline(60));
        let summary = solicit::handle(&deps, run).await.map_err(failed("dispatch"))?.into_summary();
        let skipped: u32 = summary.skipped.values().sum();
        if summary.sent + summary.sent_earlier + skipped + summary.expired + summary.failed > 0 {
            let reasons: Vec<String> = summary.skipped.iter().map(|(r, n)| format!("{n} {}", r.code())).collect();
            let today = clock.now().date_naive();
            let fba_today = sim
                .simulator
                .solicitations()
                .iter()
                .filter(|r| r.sent_at.date_naive() == today)
                .filter(|r| sim.simulator.order(&r.seller_id, &r.order_id).is_some_and(|o| o.order.is_afn()))
                .count();
            println!(
                "   {}  sent {} ({fba_today} FBA), skipped {}{}, expired {}, not offered by Amazon yet {}, rescheduled {}, failed {}",
                clock.now().format("%Y-%m-%d"),
                summary.sent + summary.sent_earlier,
                skipped,
                if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) },
                summary.expired,
                summary.not_offered,
                summary.rescheduled,
                summary.failed
            );
        }
        if day == CHECK_IN_DAY {
            println!("\n   The operator checks in that day:");
            operator.run(&["status", "--seller", SELLER], b"", None).await?;
            println!();
        }
        clock.advance(Duration::days(1));
    }
    let records = sim.simulator.solicitations();
    let inside = records.iter().filter(|r| r.sent_at >= r.window_opens_at && r.sent_at < r.window_closes_at).count();
    let duplicates: u32 = records.iter().map(|r| r.accepted.saturating_sub(1) + r.refused_duplicates).sum();
    let fba = records
        .iter()
        .filter(|r| sim.simulator.order(&r.seller_id, &r.order_id).is_some_and(|o| o.order.is_afn()))
        .count();
    let refunded_asked = records.iter().filter(|r| r.order_id == demo_order_id(REFUNDED)).count();
    println!(
        "   Amazon's ledger: {} review requests ({fba} for FBA orders), {inside} inside Amazon's window, {duplicates} duplicates, {refunded_asked} for the refunded order; a run summary went to EventBridge bus {bus} after each run",
        records.len()
    );

    print_orders(&store, &seller, &format!("Orders at {}", clock.now().format("%Y-%m-%d %H:%M"))).await?;

    // -- feedback: reports, triage, ratings, reminders, removals
    let report_queue_arn = format!("arn:aws:sqs:{}:123456789012:{REPORT_QUEUE}", autopilot_shared::aws::LOCAL_REGION);
    crate::feedback::FeedbackStage {
        sim: &sim.simulator,
        clock: clock.clone(),
        store: &store,
        api: api.clone(),
        aws: &aws,
        seller: &seller,
        bus,
        orders: &sync,
    }
    .run(&report_queue_arn, &report_queue_url)
    .await?;

    let sent = crate::mail::run_alerts(&aws, &store, clock.clone(), &alert_queue).await?;
    println!(
        "\n== Seller e-mails sent through SES (moto) by the alerts function: {} (each at most once per recipient; the digest on {}), written to {} as .eml, .html and a phone-width PNG:",
        sent.len(),
        clock.now().format("%Y-%m-%d %H:%M"),
        out.join("mail").display()
    );
    for line in crate::mail::write_mails(&sent, out)? {
        println!("   {line}");
    }

    println!("\n== The operator looks: what the deployment did, and the story of an FBA order");
    operator.run(&["status"], b"", None).await?;
    println!();
    operator.run(&["explain", &demo_order_id(FBA_EXPLAINED), "--seller", SELLER], b"", None).await?;
    Ok(())
}

/// The demo's orders as recorded, one line each with its review request.
async fn print_orders(store: &DynamoStore, seller: &SellerAccount, title: &str) -> Result<(), String> {
    println!("\n== {title}:");
    for n in 0..12u32 {
        let order_id = OrderId::parse(demo_order_id(n)).map_err(e("order id"))?;
        let Some(order) = store.get_order(&seller.seller_id, &order_id).await.map_err(e("read order"))? else {
            println!("   {order_id}  MISSING");
            continue;
        };
        let order = order.value;
        let state = match &order.review_request {
            ReviewRequest::Sent { sent_at, .. } => format!("review request sent {}", sent_at.format("%Y-%m-%d")),
            ReviewRequest::Skipped { reason, .. } => format!("no review request: {}", reason.code()),
            ReviewRequest::Pending { due_at, needs_delivery_dates: true } => {
                format!("review request due {} (delivery dates to look up once)", due_at.format("%Y-%m-%d %H:%M"))
            }
            ReviewRequest::Expired { reason, .. } => {
                format!("expired: {}", reason.map_or("window closed", |r| r.code()))
            }
            ReviewRequest::Pending { due_at, .. } => format!("review request due {}", due_at.format("%Y-%m-%d %H:%M")),
            other => other.state_name().replace('_', " "),
        };
        let status = format!("{:?}", order.status);
        let dates = match order.delivery.known() {
            Some((earliest, latest)) => format!("delivery {}..{}", earliest.format("%m-%d"), latest.format("%m-%d")),
            None => "no delivery dates".to_string(),
        };
        println!(
            "   {}  {:?}  {status:<10} {:<9} {dates:<19} {state}",
            order.order_id,
            order.fulfillment,
            order.skus.join(",")
        );
    }
    Ok(())
}
