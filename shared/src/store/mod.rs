//! Persistence ports and the DynamoDB adapter.
//!
//! Handlers depend on the narrow traits here (`OrderRepository`, `DueReviewRequests`,
//! `SellerDirectory`), never on DynamoDB. Races become typed outcomes: every write that could
//! lose a race is conditional and answers [`PutOutcome::Conflict`] instead of overwriting.
//!
//! Access patterns (all Query or GetItem, never Scan; keys in [`keys`]):
//! - one order by seller and order id: GetItem, strongly consistent;
//! - orders of a seller whose review request is due: Query on the sparse `due` index, one query
//!   per shard, merged oldest first;
//! - feedback by seller, marketplace and date range: Query on the feedback partition;
//! - rating snapshots by seller, marketplace and date range, or the latest one: Query on the
//!   rating partition; the daily rating buckets: GetItem;
//! - orders per purchase day of a seller and marketplace (for ODR): Query on the order-count
//!   partition, one item per day that Amazon's searchOrders was counted for; the day being
//!   counted: the latest item of that partition;
//! - the report jobs of a seller: Query on its report-jobs partition, or GetItem for one;
//! - all seller accounts: Query on the `SELLERS` partition;
//! - the reconciliation checkpoint of a seller and marketplace: GetItem.

pub mod dynamo;
pub mod keys;
pub mod schema;

use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use thiserror::Error;

use crate::domain::feedback::Feedback;
use crate::domain::ratings::DailyBuckets;
use crate::domain::triage::Verdict;
use crate::domain::{FulfillmentChannel, Marketplace, Order, OrderId, SellerAccount, SellerId};

/// Kept here too: stored per day, and carried by the `RatingThresholdCrossed` event.
pub use crate::domain::ratings::RatingSnapshot;
pub use dynamo::{DynamoStore, StoreConfig};

#[derive(Debug, Error)]
pub enum StoreError {
    /// DynamoDB answered with an error or could not be reached; the SDK's error is the source.
    #[error("DynamoDB {operation} failed: {message}")]
    Backend {
        operation: &'static str,
        message: String,
        retryable: bool,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("stored item {key} could not be read: {message}")]
    Corrupt { key: String, message: String },
    #[error("item {key} could not be written: {message}")]
    Encode { key: String, message: String },
}

impl StoreError {
    /// Whether trying the same call again later may succeed (throttling, timeouts, 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Backend { retryable: true, .. })
    }
}

impl crate::lambda::Failure for StoreError {
    fn error_type(&self) -> &'static str {
        match self {
            StoreError::Backend { .. } if self.is_retryable() => "StoreUnavailable",
            StoreError::Backend { .. } => "StoreFailed",
            StoreError::Corrupt { .. } => "StoreCorrupt",
            StoreError::Encode { .. } => "StoreEncode",
        }
    }
}

/// A value with the version it was read at, for a later conditional write.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// What a conditional write expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No item yet (first write wins).
    Absent,
    /// The item at exactly this version (compare-and-swap).
    Version(u64),
}

impl Expect {
    /// The version a write made under this expectation stores.
    pub fn next_version(self) -> u64 {
        match self {
            Expect::Absent => 1,
            Expect::Version(v) => v + 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Written {
        version: u64,
    },
    /// Someone else wrote first; re-read and decide again.
    Conflict,
}

/// An order whose review request needs a look, as the due index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueOrder {
    pub seller_id: SellerId,
    pub order_id: OrderId,
    pub look_at: DateTime<Utc>,
}

#[async_trait]
pub trait OrderRepository: Send + Sync {
    async fn get_order(&self, seller: &SellerId, order: &OrderId) -> Result<Option<Versioned<Order>>, StoreError>;
    /// Write the whole order if the stored one is as expected.
    async fn put_order(&self, order: &Order, expect: Expect) -> Result<PutOutcome, StoreError>;
}

/// Open review requests of a seller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OpenCount {
    pub open: u64,
    pub due_now: u64,
}

#[async_trait]
pub trait DueReviewRequests: Send + Sync {
    /// Up to `limit` orders of `seller` whose review request is due at or before `now`, oldest
    /// first. The index is eventually consistent: re-read each order before acting on it.
    async fn due_review_requests(
        &self,
        seller: &SellerId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError>;
    /// How many review requests of `seller` are open (pending or claimed), and how many of
    /// them are due at or before `now` (a count per due-index shard, no items read).
    async fn count_open(&self, seller: &SellerId, now: DateTime<Utc>) -> Result<OpenCount, StoreError>;
}

/// Where the reconciliation poll of one seller and marketplace stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncCheckpoint {
    /// Every change up to this time has been recorded.
    pub synced_until: DateTime<Utc>,
    /// A run that stopped between pages: the page to continue with and the cutoff its query
    /// runs to (which becomes `synced_until` once its last page is recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumePoint>,
    /// Where a backfill began (`autopilot backfill --since`): a backfill asked from another
    /// time starts over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_from: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResumePoint {
    pub next_token: String,
    pub cutoff: DateTime<Utc>,
}

/// Which poll a checkpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckpointStream {
    /// searchOrders, per seller and marketplace.
    Orders,
    /// listFinancialEvents' refunds, per seller and region (kept under the seller's first
    /// marketplace of the region).
    Refunds,
    /// `autopilot backfill`: searchOrders from the operator's date, per seller and marketplace.
    Backfill,
}

impl CheckpointStream {
    /// The name in the checkpoint's key.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointStream::Orders => "orders",
            CheckpointStream::Refunds => "refunds",
            CheckpointStream::Backfill => "backfill",
        }
    }
}

/// Whose checkpoint: a seller's poll of one stream in one marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckpointKey {
    pub seller: SellerId,
    pub marketplace: Marketplace,
    pub stream: CheckpointStream,
}

#[async_trait]
pub trait CheckpointStore: Send + Sync {
    async fn get_checkpoint(&self, key: &CheckpointKey) -> Result<Option<SyncCheckpoint>, StoreError>;
    async fn put_checkpoint(&self, key: &CheckpointKey, checkpoint: &SyncCheckpoint) -> Result<(), StoreError>;
}

#[async_trait]
pub trait SellerDirectory: Send + Sync {
    async fn put_seller(&self, seller: &SellerAccount) -> Result<(), StoreError>;
    async fn get_seller(&self, seller: &SellerId) -> Result<Option<SellerAccount>, StoreError>;
    /// Every seller account, all pages.
    async fn list_sellers(&self) -> Result<Vec<SellerAccount>, StoreError>;
    /// Remove the account (its orders, feedback and ratings stay until their retention ends).
    async fn delete_seller(&self, seller: &SellerId) -> Result<(), StoreError>;
}

/// A feedback as stored: when it was first seen and, once it vanished from a report covering
/// its date, when it was found removed; plus what the follow-up learned and announced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredFeedback {
    #[serde(flatten)]
    pub feedback: Feedback,
    pub first_seen: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
    /// Set once a negative or neutral feedback was triaged and announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
    /// Deadline reminders announced (or covered by a later one), by `Reminder::key`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub reminders_sent: BTreeSet<String>,
    /// The removal was announced.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removal_announced: bool,
}

impl StoredFeedback {
    pub fn new(feedback: Feedback, first_seen: DateTime<Utc>) -> Self {
        Self {
            feedback,
            first_seen,
            removed_at: None,
            follow_up: None,
            reminders_sent: BTreeSet::new(),
            removal_announced: false,
        }
    }
}

/// What the follow-up of a negative or neutral feedback found: the order it belongs to (when
/// recorded) and the removability verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FollowUp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<FulfillmentChannel>,
    pub triage: Verdict,
    pub announced_at: DateTime<Utc>,
}

#[async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Feedback of a seller and marketplace dated `from..=to`, removed ones included, all pages.
    async fn feedback_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredFeedback>, StoreError>;
    async fn put_feedback(&self, seller: &SellerId, feedback: &StoredFeedback) -> Result<(), StoreError>;
}

/// One report request of a seller and marketplace, from createReport to the applied document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportJob {
    pub marketplace: Marketplace,
    pub report_type: String,
    pub state: ReportJobState,
    /// When the last report was applied (or found to have no data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReportJobState {
    /// No report asked for.
    Idle,
    /// createReport answered with `report_id`; waiting for Amazon to finish it.
    Requested { report_id: String, requested_at: DateTime<Utc>, from: NaiveDate, to: NaiveDate },
    /// A worker is downloading and applying it until `lease_until`.
    Processing {
        report_id: String,
        requested_at: DateTime<Utc>,
        from: NaiveDate,
        to: NaiveDate,
        lease_until: DateTime<Utc>,
        worker: String,
    },
}

impl ReportJobState {
    /// The report Amazon is making or a worker is applying (`None` when idle).
    pub fn report_id(&self) -> Option<&str> {
        match self {
            ReportJobState::Requested { report_id, .. } | ReportJobState::Processing { report_id, .. } => {
                Some(report_id)
            }
            ReportJobState::Idle => None,
        }
    }

    pub fn requested_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ReportJobState::Requested { requested_at, .. } | ReportJobState::Processing { requested_at, .. } => {
                Some(*requested_at)
            }
            ReportJobState::Idle => None,
        }
    }
}

#[async_trait]
pub trait ReportJobs: Send + Sync {
    async fn get_report_job(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        report_type: &str,
    ) -> Result<Option<Versioned<ReportJob>>, StoreError>;
    /// Every report job of a seller (one per report type and marketplace).
    async fn report_jobs(&self, seller: &SellerId) -> Result<Vec<Versioned<ReportJob>>, StoreError>;
    async fn put_report_job(
        &self,
        seller: &SellerId,
        job: &ReportJob,
        expect: Expect,
    ) -> Result<PutOutcome, StoreError>;
}

#[async_trait]
pub trait RatingStore: Send + Sync {
    async fn get_buckets(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
    ) -> Result<Option<DailyBuckets>, StoreError>;
    async fn put_buckets(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        buckets: &DailyBuckets,
    ) -> Result<(), StoreError>;
    /// The newest snapshot dated on or before `day`.
    async fn latest_snapshot(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: NaiveDate,
    ) -> Result<Option<RatingSnapshot>, StoreError>;
    /// Snapshots dated `from..=to`, oldest first (the daily history).
    async fn snapshots_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RatingSnapshot>, StoreError>;
    async fn put_snapshot(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        snapshot: &RatingSnapshot,
    ) -> Result<(), StoreError>;
}

/// Review requests that reached an outcome, counted per seller, marketplace and day (for
/// `autopilot status`): the dispatcher adds each run's once per seller and marketplace.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutcomeCounts {
    pub sent: u64,
    /// Amazon had a request for the order already (sent before a crash, or by other means).
    pub sent_earlier: u64,
    pub skipped: BTreeMap<crate::domain::SkipReason, u64>,
    pub expired: u64,
}

impl OutcomeCounts {
    pub fn is_empty(&self) -> bool {
        self.sent + self.sent_earlier + self.expired + self.skipped.values().sum::<u64>() == 0
    }

    pub fn add(&mut self, other: &OutcomeCounts) {
        self.sent += other.sent;
        self.sent_earlier += other.sent_earlier;
        self.expired += other.expired;
        for (reason, n) in &other.skipped {
            *self.skipped.entry(*reason).or_default() += n;
        }
    }
}

#[async_trait]
pub trait ReviewOutcomes: Send + Sync {
    /// Add `counts` to the day's tally (one UpdateItem).
    async fn add_outcomes(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: NaiveDate,
        counts: &OutcomeCounts,
    ) -> Result<(), StoreError>;
    /// The sum over the days `from..=to`.
    async fn outcomes_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<OutcomeCounts, StoreError>;
}

/// Orders per purchase day (UTC) as Amazon lists them (searchOrders by `createdAfter`), one
/// item per seller, marketplace and day, written by the reconciliation poll
/// (`capture::poll`), read for the ODR. A day still being counted (more pages to read) carries
/// where its count resumes and is left out of [`OrderVolume::orders_per_day`].
#[async_trait]
pub trait OrderVolume: Send + Sync {
    /// The complete day counts in `from..=to`.
    async fn orders_per_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<NaiveDate, u64>, StoreError>;

    /// The newest day counted or being counted: one Query of one item.
    async fn latest_order_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
    ) -> Result<Option<OrderDay>, StoreError>;

    /// Write a day's count (a whole day, or the pages read so far with where to go on): one
    /// PutItem, replacing what was there.
    async fn put_order_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: &OrderDay,
    ) -> Result<(), StoreError>;
}

/// One purchase day's orders as counted from Amazon's searchOrders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDay {
    pub day: NaiveDate,
    /// Orders counted so far (all of the day's when `resume` is `None`).
    pub orders: u64,
    /// The next page's token while the day is not counted to the end.
    pub resume: Option<String>,
}
