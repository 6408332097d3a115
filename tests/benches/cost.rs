//! The monthly AWS cost of a deployment (100 sellers, 100,000 orders a month unless told
//! otherwise), from usage measured here and list prices (`autopilot_tests::cost`). Run:
//! `cargo bench -p autopilot-tests --bench cost [-- SELLERS ORDERS_PER_MONTH]`.
//!
//! Measured: an order's life through the real handlers (DynamoDB units, order-events time per
//! batch, the dispatch's time at Amazon's own request rates, events), and a coordinator run over
//! the sellers against DynamoDB Local and moto's FIFO queue. The rest is `cost::ASSUMPTIONS`.

use std::sync::Arc;
use std::time::Instant;

use autopilot_shared::domain::ManualClock;
use autopilot_shared::fanout::{FanOut, Job, SqsWorkQueue};
use autopilot_shared::store::SellerDirectory;
use autopilot_tests::cost::{self, ASSUMPTIONS, Measured, PRICES, Volume};
use autopilot_tests::fixtures::{at, seller};
use autopilot_tests::sim::aws_config;

fn volume() -> Volume {
    let args: Vec<u32> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let default = Volume::default();
    Volume {
        sellers: args.first().copied().unwrap_or(default.sellers),
        orders_per_month: args.get(1).copied().unwrap_or(default.orders_per_month),
    }
}

/// One coordinator run over `sellers` sellers: seconds, read units.
async fn fan_out(sellers: u32) -> (f64, f64) {
    let clock = Arc::new(ManualClock::new(at("2026-03-02T06:00:00Z")));
    let store = Arc::new(autopilot_tests::fresh_store(clock.clone(), |_| {}).await);
    for n in 0..sellers {
        store.put_seller(&seller(n)).await.expect("seller");
    }
    let sdk = aws_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = autopilot_tests::sim::fifo_queue(&sqs, "cost").await;
    let coordinator = FanOut { sellers: store.clone(), clock };
    let before = store.capacity();
    let started = Instant::now();
    let summary = coordinator.fan_out(Job::Solicit, &SqsWorkQueue::new(&sdk, &url)).await.expect("fan out");
    assert_eq!(summary.enqueued, sellers);
    (started.elapsed().as_secs_f64(), store.capacity().read_units - before.read_units)
}

fn main() {
    let volume = volume();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let (life, (fan_out_seconds, fan_out_reads)) = runtime.block_on(async {
        let life = autopilot_tests::life::order_life(300, 50.0, 10).await;
        (life, fan_out(volume.sellers).await)
    });
    let orders = f64::from(life.orders);
    let measured = Measured {
        order_writes: life.writes_per_order(),
        order_reads: life.reads_per_order(),
        day_count_writes: life.day_count.0,
        day_count_reads: life.day_count.1,
        messages_per_order: f64::from(life.messages) / orders,
        capture_invocations_per_order: f64::from(life.batches) / orders,
        capture_seconds_per_invocation: life.capture_seconds / f64::from(life.batches),
        solicit_seconds_per_order: life.dispatch_seconds * life.scale / orders,
        events_per_seller_run: f64::from(life.events),
        fan_out_seconds_per_run: fan_out_seconds,
        fan_out_reads_per_seller: fan_out_reads / f64::from(volume.sellers.max(1)),
    };
    println!("{}", life.summary());
    println!("measured: {measured:?}");
    let lines = cost::monthly(volume, &measured, &ASSUMPTIONS, &PRICES);
    println!(
        "monthly AWS cost, {} sellers, {} orders a month ({}; arm64, on-demand, no free tier):",
        volume.sellers, volume.orders_per_month, PRICES.as_of
    );
    for line in &lines {
        println!(
            "  {:<16} {:>9.4} $  {}{}",
            line.service,
            line.dollars,
            line.what,
            if line.per_order { "  [per order]" } else { "" }
        );
    }
    let (total, per_order) = cost::totals(&lines);
    let per_100k = |dollars: f64| dollars * 100_000.0 / f64::from(volume.orders_per_month.max(1));
    println!(
        "  total {total:.2} $ a month = {:.2} $ per 100,000 orders; of it, what grows with orders: {per_order:.2} $ \
         ({:.2} $ per 100,000 orders), the rest {:.2} $ a seller a month",
        per_100k(total),
        per_100k(per_order),
        (total - per_order) / f64::from(volume.sellers.max(1)),
    );
    let (price, mails) = cost::FEEDBACKFIVE_PRO;
    println!(
        "  a seller's share: {:.2} $ a month for {:.0} orders; FeedbackFive Pro: {price:.2} $ a month for {mails} e-mails",
        total / f64::from(volume.sellers.max(1)),
        f64::from(volume.orders_per_month) / f64::from(volume.sellers.max(1)),
    );
}
