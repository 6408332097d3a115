//! The fan-out at scale: many sellers, each with due review requests, through the deployed path
//! against the simulator and DynamoDB Local. The coordinator (`FanOut`, as functions/fan-out runs
//! it) puts one unit per seller on a FIFO queue; `WORKERS` concurrent solicit invocations (the
//! event source's `MaximumConcurrency`, template parameter `WorkerConcurrency`) each receive up
//! to ten units, run them through the solicit handler and delete them, as Lambda's SQS poller
//! does.
//!
//! The queue is in-process by default (SQS FIFO's one-message-in-flight-per-group rule, nothing
//! else): moto's FIFO queue, a single Python thread on this 2-core machine, answers ten pollers
//! more slowly than the plans being measured run, so with it the bench measures moto. `moto` as
//! an argument puts the units on moto's queue instead (the SQS adapter itself is tested against
//! moto in tests/tests/fanout.rs and lambda_local.rs).
//!
//! Amazon's solicitation plans (1 request/s, burst 5, per seller) run `SCALE` times faster in the
//! simulator and the client (1x, Amazon's own rates, by default); times are printed in Amazon's
//! time (the measured time x `SCALE`). Per seller it prints the share of its plan: the requests
//! the simulator accepted after the burst, over the time from the seller's first to its last,
//! against the plan's rate; then the 429s, the whole run against the schedule period and what
//! 10,000 sellers would need.
//!
//! Run: `cargo bench -p autopilot-tests --bench scale [-- SELLERS ORDERS WORKERS SCALE [moto] [pace=X]]`
//! (default 1000 sellers, 50 due orders each, 10 workers, plans 1x). Under `cargo test` it is a
//! smoke run of 4 sellers with 6 orders each and 2 workers.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use autopilot_shared::capture::OrderRecorder;
use autopilot_shared::domain::{Marketplace, SellerAccount};
use autopilot_shared::events::{DomainEvent, EventPublisher, PublishError};
use autopilot_shared::fanout::{FanOut, Job, QueueError, SqsWorkQueue, WorkQueue, WorkUnit};
use autopilot_shared::onboarding::SellerSecret;
use autopilot_shared::spapi::plans::CLIENT_PACE;
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
    let scale = arg(3, 1.0);
    let moto = std::env::args().any(|a| a == "moto");
    // `pace=X`: the client's pace (share of the plan) instead of `CLIENT_PACE`.
    let pace =
        std::env::args().find_map(|a| a.strip_prefix("pace=").and_then(|p| p.parse().ok())).unwrap_or(CLIENT_PACE);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(sellers, orders, workers, scale, moto, pace));
}

/// An in-process FIFO queue with SQS FIFO's rule that matters here: a message group (a seller)
/// has at most one message in flight. Received messages stay in flight until deleted.
#[derive(Default)]
struct MemoryFifo {
    state: Mutex<FifoState>,
}

#[derive(Default)]
struct FifoState {
    queued: VecDeque<(String, String)>,
    in_flight: HashMap<String, String>,
    next: u64,
}

#[async_trait::async_trait]
impl WorkQueue for MemoryFifo {
    async fn enqueue(&self, units: &[WorkUnit]) -> Result<u32, QueueError> {
        let mut state = self.state.lock().expect("queue");
        state.queued.extend(units.iter().map(|u| (u.group_id().to_string(), u.to_body())));
        Ok(0)
    }
}

impl MemoryFifo {
    /// Up to ten messages, at most one per group and none of a group in flight: (receipt,
    /// body).
    fn receive(&self) -> Vec<(String, String)> {
        let mut state = self.state.lock().expect("queue");
        let mut taken = Vec::new();
        let mut groups = std::collections::HashSet::new();
        let mut n = 0;
        while n < state.queued.len() && taken.len() < 10 {
            let group = state.queued[n].0.clone();
            let busy = groups.contains(&group) || state.in_flight.values().any(|g| *g == group);
            if busy {
                n += 1;
                continue;
            }
            let Some((group, body)) = state.queued.remove(n) else { break };
            state.next += 1;
            let receipt = format!("r{}", state.next);
            state.in_flight.insert(receipt.clone(), group.clone());
            groups.insert(group);
            taken.push((receipt, body));
        }
        taken
    }

    fn delete(&self, receipts: &[(String, String)]) {
        let mut state = self.state.lock().expect("queue");
        for (receipt, _) in receipts {
            state.in_flight.remove(receipt);
        }
    }
}

/// Where the workers take units from: moto's FIFO queue, or the in-process one.
enum Units {
    Moto { sqs: aws_sdk_sqs::Client, url: String },
    Memory(MemoryFifo),
}

/// The coordinator enqueues on whichever queue the workers take from.
#[async_trait::async_trait]
impl WorkQueue for Units {
    async fn enqueue(&self, units: &[WorkUnit]) -> Result<u32, QueueError> {
        match self {
            Units::Moto { sqs, url } => SqsWorkQueue::on(sqs.clone(), url).enqueue(units).await,
            Units::Memory(fifo) => fifo.enqueue(units).await,
        }
    }
}

impl Units {
    fn name(&self) -> &'static str {
        match self {
            Units::Moto { .. } => "moto's SQS FIFO",
            Units::Memory(_) => "in-process FIFO",
        }
    }

    /// Up to ten units, hidden for six invocation timeouts (as Lambda sets a queue's
    /// visibility); empty when none is free or the poll failed (polled again, as Lambda's
    /// poller does).
    async fn receive(&self, invocation_s: f64) -> Vec<(String, String)> {
        match self {
            Units::Memory(fifo) => fifo.receive(),
            Units::Moto { sqs, url } => {
                let received = sqs
                    .receive_message()
                    .queue_url(url)
                    .max_number_of_messages(10)
                    .visibility_timeout(invocation_s.ceil() as i32 * 6)
                    .send()
                    .await;
                received
                    .map(|r| {
                        r.messages
                            .unwrap_or_default()
                            .into_iter()
                            .map(|m| (m.receipt_handle.unwrap_or_default(), m.body.unwrap_or_default()))
                            .collect()
                    })
                    .unwrap_or_default()
            }
        }
    }

    async fn delete(&self, messages: &[(String, String)]) {
        match self {
            Units::Memory(fifo) => fifo.delete(messages),
            Units::Moto { sqs, url } => {
                for (receipt, _) in messages {
                    sqs.delete_message().queue_url(url).receipt_handle(receipt).send().await.expect("delete");
                }
            }
        }
    }
}

async fn run(sellers: u32, orders: u32, workers: usize, scale: f64, moto: bool, pace: f64) {
    let plans = UsagePlans::scaled(scale);
    let plan = plans.get(Operation::CreateProductReviewAndSellerFeedbackSolicitation);
    let h = sim_harness(plans, |config| config.pace = pace).await;
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
    let queue = if moto {
        Units::Moto { url: fifo_queue(&sqs, "scale-solicit").await, sqs }
    } else {
        Units::Memory(MemoryFifo::default())
    };
    // The runs' events are not what is measured: dropped here.
    let deps = h.dispatcher(&store, Arc::new(Discard));
    let coordinator = FanOut { sellers: Arc::new(store.clone()), clock: sim.clock() };
    let before = store.capacity();
    let started = Instant::now();
    let fanned = coordinator.fan_out(Job::Solicit, &queue).await.expect("fan out");
    let fan_out_s = started.elapsed().as_secs_f64();
    let fan_out_reads = store.capacity().read_units - before.read_units;
    assert_eq!(fanned.enqueued, sellers, "{fanned:?}");
    eprintln!("scale: seeded in {seeding:.0} s, {} units enqueued in {fan_out_s:.2} s", fanned.enqueued);

    // The workers, as Lambda's poller runs them: at most `workers` invocations at once, each
    // with up to ten units, deleted when the invocation answers without failing them.
    let invocation_s = SOLICIT_TIMEOUT_S / scale;
    let failed = AtomicU32::new(0);
    let done = AtomicU32::new(0);
    let units_enqueued = fanned.enqueued;
    let started = Instant::now();
    let per_seller: Vec<(String, f64)> = futures_util::stream::iter(0..workers)
        .map(|worker| {
            let (queue, deps, failed, done, started) = (&queue, &deps, &failed, &done, &started);
            async move {
                let mut timed = Vec::new();
                // Until every unit is done (a queue may answer empty while other units are in
                // flight), bounded by twice the schedule period in Amazon's time.
                while done.load(Ordering::Relaxed) < units_enqueued
                    && started.elapsed().as_secs_f64() * scale < 2.0 * SCHEDULE_PERIOD_S
                {
                    let messages = queue.receive(invocation_s).await;
                    if messages.is_empty() {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                    let mut event = SqsEvent::default();
                    let mut units = Vec::new();
                    for (receipt, body) in &messages {
                        let mut record = SqsMessage::default();
                        record.message_id = Some(receipt.clone());
                        record.receipt_handle = Some(receipt.clone());
                        record.body = Some(body.clone());
                        units.extend(WorkUnit::parse(Some(body), Job::Solicit).ok());
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
                    failed.fetch_add(summary.failed, Ordering::Relaxed);
                    queue.delete(&messages).await;
                    done.fetch_add(messages.len() as u32, Ordering::Relaxed);
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

    // A seller's share of its plan: its accepted requests after the burst over the time from
    // its first to its last (wall clock, as the simulator saw them), against the plan's rate.
    let paces = sim.solicitation_pace();
    let all_sent: u32 = paces.values().map(|p| p.accepted).sum();
    let mut shares: Vec<f64> = per_seller
        .iter()
        .map(|(seller, _)| {
            paces.get(seller).and_then(|p| p.steady_rate(plan.burst)).unwrap_or(0.0) / plan.rate_per_second
        })
        .collect();
    let mut seller_s: Vec<f64> = per_seller.iter().map(|(_, took)| took * scale).collect();
    let throttled = sim.calls("createProductReviewAndSellerFeedbackSolicitation", 429)
        + sim.calls("getSolicitationActionsForOrder", 429);
    let calls = sim.calls("createProductReviewAndSellerFeedbackSolicitation", 201)
        + sim.calls("getSolicitationActionsForOrder", 200);
    let below = shares.iter().filter(|s| **s < 0.9).count();
    let (min_share, median_share) = (percentile(&mut shares, 0.0), percentile(&mut shares, 0.5));
    let (median_seller, p99_seller) = (percentile(&mut seller_s, 0.5), percentile(&mut seller_s, 0.99));
    let amazon_total = total_s * scale;
    println!(
        "scale: {sellers} sellers x {orders} due orders, {workers} workers x 10 units, plans {scale}x, client pace {pace}, {} queue (times in Amazon's time)\n  \
         seeded in {seeding:.0} s; coordinator: {} units in {fan_out_s:.2} s (wall time), {fan_out_reads:.1} read units\n  \
         sent {all_sent} of {} requests ({} failed, left for the next run); per seller, requests after the burst against the plan: \
         min {min_share:.3}, median {median_share:.3}, {below} sellers under 0.9; an invocation of ten sellers {median_seller:.1} s median, \
         {p99_seller:.1} s p99\n  \
         429s: {throttled} of {} SP-API calls\n  \
         whole run {amazon_total:.0} s against a schedule period of {SCHEDULE_PERIOD_S:.0} s ({:.2} of it)",
        queue.name(),
        fanned.enqueued,
        sellers * orders,
        failed.load(Ordering::Relaxed),
        calls + throttled,
        amazon_total / SCHEDULE_PERIOD_S,
    );
    // On paper, from what was measured: a seller's run takes `median_seller` of one
    // invocation's ten slots; 10,000 sellers in one period need this many at once.
    let sellers_10k = 10_000.0;
    let concurrency = (sellers_10k * median_seller / 10.0 / SCHEDULE_PERIOD_S).ceil();
    println!(
        "  10,000 sellers x {orders}: {:.0} invocations of ten units, each {median_seller:.0} s; within one period at \
         {concurrency:.0} concurrent invocations (WorkerConcurrency); the coordinator reads {:.0} units and makes {:.0} \
         SendMessageBatch calls",
        sellers_10k / 10.0,
        fan_out_reads * sellers_10k / f64::from(sellers.max(1)),
        sellers_10k / 10.0,
    );
}
