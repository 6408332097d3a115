//! The fan-out at scale: many sellers, each with due review requests, through the deployed path
//! against the simulator, DynamoDB Local and moto's SQS. The coordinator (`FanOut`, as
//! functions/fan-out runs it) puts one unit per seller on a FIFO queue; `WORKERS` concurrent
//! solicit invocations (the event source's `MaximumConcurrency`, template parameter
//! `WorkerConcurrency`) each receive up to ten units, run them through the solicit handler and
//! delete them, as Lambda's SQS poller does.
//!
//! Amazon's solicitation plans (1 request/s, burst 5, per seller) run `SCALE` times faster in the
//! simulator and the client, as in the solicit bench; times are printed in Amazon's time (the
//! measured time × `SCALE`). Per seller it prints the share of its plan used in steady state
//! (requests after the burst over the invocation that ran it: a lower bound, since the
//! invocation also read its units and published its events), and the 429s; then the whole run
//! against the schedule period and what 10,000 sellers would need.
//!
//! Run: `cargo bench -p autopilot-tests --bench scale [-- SELLERS ORDERS WORKERS SCALE]`
//! (default 1000 sellers, 50 due orders each, 10 workers, plans 2x). Under `cargo test` it is a
//! smoke run of 4 sellers with 6 orders each and 2 workers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use autopilot_shared::capture::OrderRecorder;
use autopilot_shared::domain::{Marketplace, SellerAccount};
use autopilot_shared::events::{DomainEvent, EventPublisher, PublishError};
use autopilot_shared::fanout::{FanOut, Job, SqsWorkQueue, WorkUnit};
use autopilot_shared::onboarding::SellerSecret;
use autopilot_shared::spapi::{Operation, UsagePlans};
use autopilot_shared::store::SellerDirectory;
use autopilot_tests::fresh_store;
use autopilot_tests::sim::{
    CLIENT_ID, CLIENT_SECRET, as_notified, aws_config, deadline_in, fifo_queue, mixed_order, onboarding, sim_harness,
    unique_seller_id,
};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Duration;
use futures_util::StreamExt;

/// The solicit function's timeout in template.yaml (seconds, Amazon's time).
const SOLICIT_TIMEOUT_S: f64 = 300.0;
/// The solicit schedule's default period (`SolicitSchedule`: rate(30 minutes)).
const SCHEDULE_PERIOD_S: f64 = 1800.0;

struct Discard;

#[async_trait::async_trait]
impl EventPublisher for Discard {
    async fn publish(&self, _events: &[DomainEvent]) -> Result<(), PublishError> {
        Ok(())
    }
}

fn arg(n: usize, default: f64) -> f64 {
    std::env::args().skip(1).filter(|a| !a.starts_with('-')).nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return f64::NAN;
    }
    values[((values.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    // Under `cargo test` (no `--bench` argument): a smoke run of a few sellers.
    let measuring = std::env::args().any(|a| a == "--bench");
    let sellers = arg(0, if measuring { 1000.0 } else { 4.0 }) as u32;
    let orders = arg(1, if measuring { 50.0 } else { 6.0 }) as u32;
    let workers = arg(2, if measuring { 10.0 } else { 2.0 }) as usize;
    let scale = arg(3, 2.0);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(sellers, orders, workers, scale));
}

async fn run(sellers: u32, orders: u32, workers: usize, scale: f64) {
    let plans = UsagePlans::scaled(scale);
    let plan = plans.get(Operation::CreateProductReviewAndSellerFeedbackSolicitation);
    let h = sim_harness(plans, |_| {}).await;
    let sim = h.simulator();
    let store = fresh_store(sim.clock(), |_| {}).await;
    let sdk = aws_config().await;
    let onboarding = onboarding(&sdk, &h.api);
    let recorder = OrderRecorder::new(Arc::new(store.clone()), Arc::new(store.clone()));

    // Sellers onboarded (secret in moto, account in the table, known to the simulator), each
    // with `orders` orders bought two weeks ago, recorded from their notifications: all due.
    let seeding = Instant::now();
    let template = &h.seller;
    let seeded = futures_util::stream::iter(0..sellers)
        .map(|_| {
            let (store, onboarding, recorder) = (&store, &onboarding, &recorder);
            async move {
                let seller_id = unique_seller_id();
                let refresh_token = format!("Atzr|scale-{}", uuid::Uuid::new_v4().simple());
                sim.register_seller(seller_id.as_str(), &refresh_token);
                let mut account = SellerAccount { seller_id: seller_id.clone(), ..template.clone() };
                account.marketplaces = vec![Marketplace::Us];
                account.credentials_secret = format!("feedback-autopilot/scale/{seller_id}");
                let secret =
                    SellerSecret { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into(), refresh_token };
                onboarding.store_credentials(&account.credentials_secret, &secret).await.expect("secret");
                store.put_seller(&account).await.expect("seller");
                let purchased = sim.now() - Duration::days(14);
                let prefix = fastrand::u32(100..1000);
                for n in 0..orders {
                    let order = mixed_order(
                        &seller_id,
                        &format!("{prefix}-{:07}-{n:07}", fastrand::u32(..9_999_999)),
                        n,
                        purchased,
                    );
                    sim.upsert_order(order.clone());
                    recorder.record(&as_notified(&order)).await.expect("record");
                }
            }
        })
        .buffer_unordered(8)
        .count()
        .await;
    assert_eq!(seeded, sellers as usize);
    let seeding = seeding.elapsed().as_secs_f64();

    // The coordinator's run.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue_url = fifo_queue(&sqs, "scale-solicit").await;
    let queue = SqsWorkQueue::on(sqs.clone(), &queue_url);
    // The runs' events are not what is measured: dropped here, so moto serves SQS alone.
    let deps = h.dispatcher(&store, Arc::new(Discard));
    let coordinator = FanOut { sellers: Arc::new(store.clone()), clock: sim.clock() };
    let started = Instant::now();
    let fanned = coordinator.fan_out(Job::Solicit, &queue).await.expect("fan out");
    let fan_out_s = started.elapsed().as_secs_f64();
    assert_eq!(fanned.enqueued, sellers, "{fanned:?}");

    // The workers, as Lambda's poller runs them: at most `workers` invocations at once, each
    // with up to ten units, deleted when the invocation answers without failing them.
    let invocation_s = SOLICIT_TIMEOUT_S / scale;
    let failed = std::sync::atomic::AtomicU32::new(0);
    let done = std::sync::atomic::AtomicU32::new(0);
    let units_enqueued = fanned.enqueued;
    let per_seller: Vec<(String, f64)> = futures_util::stream::iter(0..workers)
        .map(|worker| {
            let (sqs, queue_url, deps, failed, done, started) = (&sqs, &queue_url, &deps, &failed, &done, &started);
            async move {
                let mut timed = Vec::new();
                // Until every unit is done: moto's FIFO queue may answer empty while other
                // units are in flight.
                // Bounded: twice the schedule period (in Amazon's time) at most.
                while done.load(std::sync::atomic::Ordering::Relaxed) < units_enqueued
                    && started.elapsed().as_secs_f64() * scale < 2.0 * SCHEDULE_PERIOD_S
                {
                    let received = sqs
                        .receive_message()
                        .queue_url(queue_url)
                        .max_number_of_messages(10)
                        .visibility_timeout(invocation_s.ceil() as i32 * 6)
                        .send()
                        .await;
                    // moto answers slowly under ten pollers: a timed-out poll is polled again,
                    // as Lambda's poller does.
                    let Ok(received) = received else {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    };
                    let messages = received.messages.unwrap_or_default();
                    if messages.is_empty() {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                    let mut event = SqsEvent::default();
                    let mut units = Vec::new();
                    for m in &messages {
                        let mut record = SqsMessage::default();
                        record.message_id = m.message_id.clone();
                        record.receipt_handle = m.receipt_handle.clone();
                        record.body = m.body.clone();
                        units.extend(WorkUnit::parse(m.body.as_deref(), Job::Solicit).ok());
                        event.records.push(record);
                    }
                    let request_id = format!("scale-{worker}-{}", uuid::Uuid::new_v4().simple());
                    let begun = Instant::now();
                    let answer = solicit::handle(
                        deps,
                        autopilot_shared::lambda::invocation(
                            solicit::Trigger::Work(event),
                            &request_id,
                            deadline_in(invocation_s),
                        ),
                    )
                    .await
                    .expect("the invocation answers");
                    let took = begun.elapsed().as_secs_f64();
                    let summary = answer.into_summary();
                    // A failed order (a call that timed out on this loaded machine) stays
                    // pending for the next run: counted, not fatal.
                    failed.fetch_add(summary.failed, std::sync::atomic::Ordering::Relaxed);
                    for m in &messages {
                        sqs.delete_message()
                            .queue_url(queue_url)
                            .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                            .send()
                            .await
                            .expect("delete");
                    }
                    done.fetch_add(messages.len() as u32, std::sync::atomic::Ordering::Relaxed);
                    timed.extend(units.into_iter().map(|u| (u.seller_id.to_string(), took)));
                }
                timed
            }
        })
        .buffer_unordered(workers)
        .flat_map(futures_util::stream::iter)
        .collect()
        .await;
    let total_s = started.elapsed().as_secs_f64();

    let mut sent: BTreeMap<String, u32> = BTreeMap::new();
    for s in sim.solicitations() {
        *sent.entry(s.seller_id).or_default() += 1;
    }
    let mut shares: Vec<f64> = per_seller
        .iter()
        .map(|(seller, took)| {
            let n = f64::from(sent.get(seller).copied().unwrap_or(0));
            (n - f64::from(plan.burst)).max(0.0) / took / plan.rate_per_second
        })
        .collect();
    let mut seller_s: Vec<f64> = per_seller.iter().map(|(_, took)| took * scale).collect();
    let all_sent: u32 = sent.values().sum();
    let throttled = sim.calls("createProductReviewAndSellerFeedbackSolicitation", 429)
        + sim.calls("getSolicitationActionsForOrder", 429);
    let calls = sim.calls("createProductReviewAndSellerFeedbackSolicitation", 201)
        + sim.calls("getSolicitationActionsForOrder", 200);
    let below = shares.iter().filter(|s| **s < 0.9).count();
    let (min_share, median_share) = (percentile(&mut shares, 0.0), percentile(&mut shares, 0.5));
    let (median_seller, p99_seller) = (percentile(&mut seller_s, 0.5), percentile(&mut seller_s, 0.99));
    let amazon_total = total_s * scale;
    println!(
        "scale: {sellers} sellers x {orders} due orders, {workers} workers x 10 units, plans {scale}x (times in Amazon's time)\n  \
         seeded in {seeding:.0} s; coordinator: {} units in {fan_out_s:.2} s (wall time, SQS unscaled)\n  \
         sent {all_sent} of {} requests ({} failed, left for the next run); per seller: share of the plan in steady state min {min_share:.3}, median \
         {median_share:.3}, {below} sellers under 0.9; a seller's run {median_seller:.1} s median, {p99_seller:.1} s p99\n  \
         429s: {throttled} of {} SP-API calls\n  \
         whole run {amazon_total:.0} s against a schedule period of {SCHEDULE_PERIOD_S:.0} s ({:.2} of it)",
        fanned.enqueued,
        sellers * orders,
        failed.load(std::sync::atomic::Ordering::Relaxed),
        calls + throttled,
        amazon_total / SCHEDULE_PERIOD_S,
    );
    // On paper, from what was measured: a seller's run takes `median_seller` of one
    // invocation's ten slots; 10,000 sellers in one period need this many at once.
    let sellers_10k = 10_000.0;
    let concurrency = (sellers_10k * median_seller / 10.0 / SCHEDULE_PERIOD_S).ceil();
    println!(
        "  10,000 sellers x {orders}: {:.0} invocations of ten units, each {median_seller:.0} s; within one period at \
         {concurrency:.0} concurrent invocations (WorkerConcurrency), the coordinator's {} SendMessageBatch calls \
         about {:.0} s",
        sellers_10k / 10.0,
        sellers_10k / 10.0,
        fan_out_s * sellers_10k / f64::from(sellers),
    );
}
