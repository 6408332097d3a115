//! Feedback sync: one GET_SELLER_FEEDBACK_DATA report per seller and marketplace and day,
//! folded into the store; then the follow-up of every negative or neutral feedback (triage,
//! deadlines, removals) and the day's rating snapshot, each fact published once as a domain
//! event.
//!
//! The report's life is a job item moved by conditional writes: `Idle` -> createReport ->
//! `Requested` -> (REPORT_PROCESSING_FINISHED on SQS, or getReport polling when the
//! notification does not come) -> claimed as `Processing` with a lease -> applied -> `Idle`.
//! Whoever wins the claim applies the report; a duplicate notification or a racing poll finds
//! the job claimed or idle and leaves it. A worker that dies mid-way loses its lease and the
//! next scheduled run takes over; applying a report twice changes nothing.
//!
//! Events are published before their facts are recorded as announced, so a crash in between
//! publishes again (at least once); every event has a stable `event_id` for consumers to
//! drop duplicates.

mod apply;
mod follow_up;
mod run;

use std::sync::Arc;

use chrono::Duration;
use serde::{Deserialize, Serialize};

pub use apply::{Removals, ReportChanges, apply_report};
pub use run::{NotificationOutcome, SyncError};

use crate::domain::Clock;
use crate::events::EventPublisher;
use crate::spapi::SpApiAccess;
use crate::store::{FeedbackStore, OrderRepository, OrderVolume, RatingStore, ReportJobs, SellerDirectory};

/// Amazon's report type for seller feedback.
pub const FEEDBACK_REPORT_TYPE: &str = "GET_SELLER_FEEDBACK_DATA";

/// Every store port feedback sync uses (the DynamoDB store implements them all).
pub trait FeedbackSyncStore:
    SellerDirectory + ReportJobs + FeedbackStore + RatingStore + OrderRepository + OrderVolume
{
}

impl<T> FeedbackSyncStore for T where
    T: SellerDirectory + ReportJobs + FeedbackStore + RatingStore + OrderRepository + OrderVolume
{
}

#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// How often a new report is asked for per seller and marketplace.
    pub report_every: Duration,
    /// Days the first report of a marketplace reaches back (older feedback no longer changes
    /// the 365-day rating; the lifetime figure needs the seller's baseline).
    pub first_lookback_days: i64,
    /// Days later reports reach back: past the removal-request deadline, so removals of any
    /// feedback still actionable are seen.
    pub lookback_days: i64,
    /// When to ask getReport if REPORT_PROCESSING_FINISHED has not arrived.
    pub poll_after: Duration,
    /// When to give up on a report Amazon never finishes and ask for a new one.
    pub give_up_after: Duration,
    /// How long a claim on a report holds.
    pub lease: Duration,
    /// Sellers worked on at the same time.
    pub concurrent_sellers: usize,
    /// Days kept as separate rating buckets; older ones are folded into one lifetime count.
    pub bucket_days: i64,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            report_every: Duration::hours(24),
            first_lookback_days: 365,
            lookback_days: 100,
            poll_after: Duration::minutes(15),
            give_up_after: Duration::hours(12),
            lease: Duration::minutes(10),
            concurrent_sellers: 4,
            bucket_days: 400,
        }
    }
}

/// What a run (or one notification) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSummary {
    pub reports_requested: u32,
    pub reports_applied: u32,
    /// CANCELLED: Amazon had no data for the range.
    pub reports_without_data: u32,
    pub reports_failed: u32,
    /// Rows of applied reports that could not be read (logged with their line numbers).
    pub rows_rejected: u32,
    /// Reports with rejected rows, from which no removal was inferred.
    #[serde(default)]
    pub reports_incomplete: u32,
    pub feedback_new: u32,
    pub feedback_changed: u32,
    pub feedback_removed: u32,
    pub negatives_announced: u32,
    pub reminders: u32,
    pub removals_announced: u32,
    pub snapshots: u32,
    pub thresholds_crossed: u32,
    /// Seller/marketplace steps that failed (logged) and will be tried again.
    pub failures: u32,
}

impl SyncSummary {
    fn merge(&mut self, other: &SyncSummary) {
        self.reports_requested += other.reports_requested;
        self.reports_applied += other.reports_applied;
        self.reports_without_data += other.reports_without_data;
        self.reports_failed += other.reports_failed;
        self.rows_rejected += other.rows_rejected;
        self.reports_incomplete += other.reports_incomplete;
        self.feedback_new += other.feedback_new;
        self.feedback_changed += other.feedback_changed;
        self.feedback_removed += other.feedback_removed;
        self.negatives_announced += other.negatives_announced;
        self.reminders += other.reminders;
        self.removals_announced += other.removals_announced;
        self.snapshots += other.snapshots;
        self.thresholds_crossed += other.thresholds_crossed;
        self.failures += other.failures;
    }
}

pub struct FeedbackSync {
    pub store: Arc<dyn FeedbackSyncStore>,
    pub events: Arc<dyn EventPublisher>,
    pub api: Arc<dyn SpApiAccess>,
    pub clock: Arc<dyn Clock>,
    pub settings: SyncSettings,
}
