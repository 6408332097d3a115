//! The demo's feedback stage: buyers leave 1-3 star feedback, Amazon's report is requested,
//! finished (REPORT_PROCESSING_FINISHED through SQS), applied, triaged and rated; later runs
//! send deadline reminders and notice a removal.

use std::collections::BTreeMap;
use std::sync::Arc;

use autopilot_shared::capture::OrderSync;
use autopilot_shared::domain::{Clock, ManualClock, Marketplace, SellerAccount};
use autopilot_shared::feedback_sync::{FeedbackSync, SyncSettings, SyncSummary};
use autopilot_shared::spapi::SpApi;
use autopilot_shared::store::{DynamoStore, FeedbackStore, RatingStore};

use chrono::Duration;
use spapi_sim::queues::{drain_queue, lambda_batch};
use spapi_sim::{DeliveryOptions, FeedbackRow, Simulator};

use crate::scenario::{deadline, demo_order_id, e, failed};
use autopilot_shared::lambda::invocation;
use feedback_sync::{Answer, Trigger};

/// The feedback buyers leave on the demo's orders: (order n, days ago, stars, comment).
const FEEDBACK: &[(u32, i64, u8, &str)] = &[
    (0, 9, 1, "Package arrived a week late and the box was crushed by the courier"),
    (1, 8, 1, "Shit seller, never again"),
    (2, 6, 2, "The zipper broke after two days, poor quality"),
    (4, 4, 3, "Tent is ok but the seller never answered my message"),
    (7, 2, 2, "Cheaper and better at www.tents-outlet.example.com"),
];

/// EventBridge's scheduled event, as the schedule invokes the function.
const SCHEDULED_EVENT: &str = include_str!("../../../tests/fixtures/events/scheduled.json");

pub struct FeedbackStage<'a> {
    pub sim: &'a Simulator,
    pub clock: Arc<ManualClock>,
    pub store: &'a DynamoStore,
    pub api: Arc<SpApi>,
    pub aws: &'a aws_config::SdkConfig,
    pub seller: &'a SellerAccount,
    pub bus: &'a str,
    /// The order-sync poll, which keeps running on its schedule (it counts the orders per day
    /// the ODR rate divides by).
    pub orders: &'a OrderSync,
}

impl FeedbackStage<'_> {
    fn deps(&self) -> FeedbackSync {
        FeedbackSync {
            store: Arc::new(self.store.clone()),
            events: Arc::new(autopilot_shared::events::EventBridgePublisher::new(self.aws, self.bus)),
            api: self.api.clone(),
            clock: self.clock.clone(),
            settings: SyncSettings::default(),
        }
    }

    async fn scheduled(&self) -> Result<SyncSummary, String> {
        let deps = self.deps();
        let schedule: Trigger = serde_json::from_str(SCHEDULED_EVENT).map_err(e("scheduled event"))?;
        let out = feedback_sync::handle(&deps, invocation(schedule, "demo-schedule", deadline(60)))
            .await
            .map_err(failed("feedback sync"))?;
        match out {
            Answer::Run(summary) => Ok(summary),
            Answer::Batch(_) => Err("feedback sync: a scheduled run answered as a batch".into()),
        }
    }

    /// Amazon finishes the report a minute later; its notification goes through SQS to the
    /// function, as in AWS. Returns (messages, failures).
    async fn notified(&self, sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<(usize, usize), String> {
        self.clock.advance(Duration::minutes(2));
        self.sim.deliver_notifications(&DeliveryOptions::default()).await.map_err(e("deliver notifications"))?;
        let event = lambda_batch(drain_queue(sqs, queue_url).await?);
        let count = event.records.len();
        let deps = self.deps();
        let out = feedback_sync::handle(&deps, invocation(Trigger::Queue(event), "demo-notified", deadline(60)))
            .await
            .map_err(failed("feedback sync"))?;
        match out {
            Answer::Batch(response) => Ok((count, response.batch_item_failures.len())),
            Answer::Run(_) => Err("feedback sync: a queue batch answered as a run".into()),
        }
    }

    pub async fn run(&self, queue_arn: &str, queue_url: &str) -> Result<(), String> {
        let sqs = aws_sdk_sqs::Client::new(self.aws);
        let today = self.clock.now().date_naive();
        for (n, days_ago, rating, comment) in FEEDBACK {
            self.sim.add_feedback(
                self.seller.seller_id.as_str(),
                Marketplace::Us,
                FeedbackRow {
                    date: today - Duration::days(*days_ago),
                    rating: *rating,
                    comment: (*comment).into(),
                    response: String::new(),
                    order_id: demo_order_id(*n),
                    rater_email: format!("buyer{n}@marketplace.amazon.com"),
                },
            );
        }
        println!(
            "\n== Feedback: buyers left {} feedback of 1-3 stars; REPORT_PROCESSING_FINISHED -> {queue_arn}",
            FEEDBACK.len()
        );
        let summary = self.scheduled().await?;
        println!(
            "   {}  feedback-sync (schedule): {} report requested (GET_SELLER_FEEDBACK_DATA, 365 days)",
            today, summary.reports_requested
        );
        let (count, failures) = self.notified(&sqs, queue_url).await?;
        println!("   {count} REPORT_PROCESSING_FINISHED notification(s) handled from SQS, {failures} failed");
        self.print_feedback().await?;
        self.print_ratings().await?;

        // The following weeks: a daily run sends the reminders as deadlines come near; Amazon
        // removes the obscene one at the seller's request.
        println!("\n== Feedback follow-up: feedback-sync (and order-sync) every simulated day for seven weeks");
        let mut totals: BTreeMap<&str, u32> = BTreeMap::new();
        for day in 1..=49 {
            self.clock.advance(Duration::days(1));
            if day == 10 {
                self.sim.remove_feedback(self.seller.seller_id.as_str(), &demo_order_id(1));
            }
            let polled = self.orders.run(tokio::time::Instant::now() + std::time::Duration::from_secs(60));
            polled.await.map_err(e("order sync"))?;
            let summary = self.scheduled().await?;
            self.notified(&sqs, queue_url).await?;
            let mut line = Vec::new();
            if summary.reminders > 0 {
                line.push(format!("{} deadline reminder(s)", summary.reminders));
                *totals.entry("reminders").or_default() += summary.reminders;
            }
            if summary.thresholds_crossed > 0 {
                line.push(format!("{} rating threshold(s) crossed", summary.thresholds_crossed));
            }
            let removed = self.removals_today().await?;
            if removed > 0 {
                line.push(format!("{removed} removal(s) noticed"));
            }
            if !line.is_empty() {
                println!("   {}  {}", self.clock.now().format("%Y-%m-%d"), line.join(", "));
            }
        }
        self.print_ratings().await
    }

    async fn removals_today(&self) -> Result<usize, String> {
        let today = self.clock.now().date_naive();
        let stored = self
            .store
            .feedback_between(&self.seller.seller_id, Marketplace::Us, today - Duration::days(120), today)
            .await
            .map_err(e("read feedback"))?;
        Ok(stored.iter().filter(|s| s.removed_at.is_some_and(|at| at.date_naive() == today)).count())
    }

    async fn print_feedback(&self) -> Result<(), String> {
        let today = self.clock.now().date_naive();
        let stored = self
            .store
            .feedback_between(&self.seller.seller_id, Marketplace::Us, today - Duration::days(365), today)
            .await
            .map_err(e("read feedback"))?;
        println!("   Feedback stored (rater e-mail dropped at parse time) and triaged:");
        for s in &stored {
            let f = &s.feedback;
            let Some(follow_up) = &s.follow_up else { continue };
            let verdict = &follow_up.triage;
            let grounds: Vec<&str> = verdict.reasons.iter().map(|g| g.code()).collect();
            let verdict_text = match (verdict.removable, verdict.strike_through) {
                (true, _) => format!("REMOVABLE ({})", grounds.join(", ")),
                (_, true) => "STRIKE-THROUGH (fba_delivery)".to_string(),
                _ => "not removable".to_string(),
            };
            let fulfillment = follow_up.fulfillment.map_or("?".to_string(), |c| format!("{c:?}").to_uppercase());
            println!("   {}  {}*  {}  {fulfillment}  {verdict_text}", f.date, f.rating, f.order_id);
            println!("      \"{}\"", f.comment);
            if !verdict.evidence.is_empty() {
                println!("      evidence: {}", verdict.evidence.join("; "));
            }
        }
        Ok(())
    }

    async fn print_ratings(&self) -> Result<(), String> {
        let today = self.clock.now().date_naive();
        let Some(snapshot) = self
            .store
            .latest_snapshot(&self.seller.seller_id, Marketplace::Us, today)
            .await
            .map_err(e("read ratings"))?
        else {
            println!("   no ratings yet");
            return Ok(());
        };
        let r = &snapshot.ratings;
        let counts = |w: &autopilot_shared::domain::ratings::WindowRating| {
            format!("{} negative / {} neutral", w.counts.negative, w.counts.neutral)
        };
        println!(
            "   Ratings on {}: 30 days {}; 90 days {}; 365 days {}; lifetime {}",
            r.as_of,
            counts(&r.days_30),
            counts(&r.days_90),
            counts(&r.days_365),
            counts(&r.lifetime)
        );
        println!(
            "   ODR negative-feedback rate (60 days by order date): {} of {} orders = {}",
            snapshot.negative_orders_60,
            snapshot.orders_60,
            snapshot.odr_negative_rate.map_or("n/a".into(), |r| format!("{:.1} %", r * 100.0))
        );
        println!(
            "   (positive share not shown: Amazon's report lists 1-3 star feedback only; a seller baseline enables it)"
        );
        Ok(())
    }
}
