//! Review requests sent per second as a fraction of Amazon's usage plan, and DynamoDB units per
//! request, against the simulator and DynamoDB Local. Run: `cargo bench -p autopilot-tests
//! --bench solicit`.
//!
//! The solicitation plan is 1 request/s with a burst of 5. To finish in seconds, simulator and
//! client both run it `SCALE` times faster; the fraction of the plan achieved is what counts.
//! Two orders in three are FBA: recorded as their notifications show them (no delivery dates),
//! planned from their ship time, and sent when Amazon offers the request.

use std::sync::Arc;
use std::time::Instant;

use autopilot_shared::capture::OrderRecorder;
use autopilot_shared::spapi::{Operation, UsagePlans};
use autopilot_tests::sim::{EventTap, as_notified, deadline_in, mixed_order, sim_harness};
use chrono::Duration;

const SCALE: f64 = 20.0;
const ORDERS: u32 = 300;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let plans = UsagePlans::scaled(SCALE);
        let plan = plans.get(Operation::CreateProductReviewAndSellerFeedbackSolicitation);
        let h = sim_harness(plans, |_| {}).await;
        let sim = h.simulator();
        let (store, seller) = h.us_seller_store().await;
        let recorder = OrderRecorder::new(Arc::new(store.clone()), Arc::new(store.clone()));
        for n in 0..ORDERS {
            let id = format!("111-7000000-{n:07}");
            let purchased = sim.now() - Duration::days(14);
            let order = mixed_order(&seller.seller_id, &id, n, purchased);
            sim.upsert_order(order.clone());
            recorder.record(&as_notified(&order)).await.expect("record");
        }
        let tap = EventTap::new().await;
        let deps = h.dispatcher(&store, Arc::new(tap.publisher().await));
        let before = store.capacity();
        let started = Instant::now();
        let summary = deps.run("bench", deadline_in(600.0)).await.expect("run");
        let elapsed = started.elapsed().as_secs_f64();
        let used = store.capacity();
        let sent = f64::from(summary.sent);
        // The burst is free; the plan's steady rate is what the rest is measured against.
        let steady = (sent - f64::from(plan.burst)).max(0.0) / elapsed;
        println!(
            "solicit: {} requests in {elapsed:.2} s = {:.2}/s against a plan of {:.0}/s (burst {}): {:.3} of the plan \
             (steady state after the burst: {:.3}); {} of them FBA; per request {:.2} write units + {:.2} read units; \
             {} 429s from Amazon",
            summary.sent,
            sent / elapsed,
            plan.rate_per_second,
            plan.burst,
            sent / elapsed / plan.rate_per_second,
            steady / plan.rate_per_second,
            sim.solicitations()
                .iter()
                .filter(|r| sim.order(&r.seller_id, &r.order_id).is_some_and(|o| o.order.is_afn()))
                .count(),
            (used.write_units - before.write_units) / sent,
            (used.read_units - before.read_units) / sent,
            sim.calls("createProductReviewAndSellerFeedbackSolicitation", 429),
        );
    });
}
