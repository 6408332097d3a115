//! Order capture: recording order changes (from notifications or the reconciliation poll)
//! idempotently and in Amazon's order, and the reconciliation poll itself.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::domain::{
    ChangeEffect, Marketplace, OrderChange, OrderId, ReviewRequestPolicy, SellerAccount, SellerId, SkipReason,
    apply_change,
};
use crate::notifications::api_order_change;
use crate::spapi::{OrdersQuery, SellerApi, SpApiError};
use crate::store::{
    CheckpointStore, Expect, OrderRepository, PutOutcome, ResumePoint, SellerDirectory, StoreError, SyncCheckpoint,
};

/// How often a conditional write may lose a race before the change is given back (to be
/// retried by SQS) instead of looping.
const MAX_WRITE_CONFLICTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    Created,
    Updated,
    /// An older change than the one recorded: ignored.
    Stale,
    /// Already recorded: ignored.
    Duplicate,
}

impl RecordOutcome {
    pub fn name(self) -> &'static str {
        match self {
            RecordOutcome::Created => "created",
            RecordOutcome::Updated => "updated",
            RecordOutcome::Stale => "stale",
            RecordOutcome::Duplicate => "duplicate",
        }
    }
}

#[derive(Debug, Error)]
pub enum CaptureError {
    #[error("seller {0} is not configured in Feedback Autopilot")]
    UnknownSeller(SellerId),
    #[error("order {order}: still conflicting after {MAX_WRITE_CONFLICTS} attempts")]
    Contended { order: String },
    #[error("order {order}: {message}")]
    Transition { order: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records order changes for any seller, reading each seller's policy once per recorder.
pub struct OrderRecorder {
    orders: Arc<dyn OrderRepository>,
    sellers: Arc<dyn SellerDirectory>,
    policies: Mutex<HashMap<SellerId, ReviewRequestPolicy>>,
}

impl OrderRecorder {
    pub fn new(orders: Arc<dyn OrderRepository>, sellers: Arc<dyn SellerDirectory>) -> Self {
        Self { orders, sellers, policies: Mutex::new(HashMap::new()) }
    }

    async fn policy(&self, seller: &SellerId) -> Result<ReviewRequestPolicy, CaptureError> {
        let mut policies = self.policies.lock().await;
        if let Some(policy) = policies.get(seller) {
            return Ok(policy.clone());
        }
        let account =
            self.sellers.get_seller(seller).await?.ok_or_else(|| CaptureError::UnknownSeller(seller.clone()))?;
        policies.insert(seller.clone(), account.review_requests.clone());
        Ok(account.review_requests)
    }

    /// Apply one change: a consistent read and, unless it changes nothing, one conditional
    /// write. A lost race re-reads and decides again.
    pub async fn record(&self, change: &OrderChange) -> Result<RecordOutcome, CaptureError> {
        let policy = self.policy(&change.seller_id).await?;
        for _ in 0..MAX_WRITE_CONFLICTS {
            let existing = self.orders.get_order(&change.seller_id, &change.order_id).await?;
            let order = match apply_change(existing.as_ref().map(|v| &v.value), change, &policy) {
                ChangeEffect::Stale => return Ok(RecordOutcome::Stale),
                ChangeEffect::Duplicate => return Ok(RecordOutcome::Duplicate),
                ChangeEffect::Record(order) => order,
            };
            let expect = existing.as_ref().map_or(Expect::Absent, |v| Expect::Version(v.version));
            match self.orders.put_order(&order, expect).await? {
                PutOutcome::Written { .. } if existing.is_some() => return Ok(RecordOutcome::Updated),
                PutOutcome::Written { .. } => return Ok(RecordOutcome::Created),
                PutOutcome::Conflict => continue,
            }
        }
        Err(CaptureError::Contended { order: change.order_id.to_string() })
    }
}

/// What recording a refund did to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Marked refunded; its review request, if still open, is skipped (`refunded`).
    Marked,
    /// Already marked.
    AlreadyKnown,
    /// Not an order Feedback Autopilot recorded (older than its records, or another seller's).
    UnknownOrder,
}

impl OrderRecorder {
    /// Record that a refund for `order` was posted at `posted_at`: the order is never asked for
    /// a review (a request already sent stays sent).
    pub async fn mark_refunded(
        &self,
        seller: &SellerId,
        order: &OrderId,
        posted_at: DateTime<Utc>,
    ) -> Result<RefundOutcome, CaptureError> {
        for _ in 0..MAX_WRITE_CONFLICTS {
            let Some(read) = self.orders.get_order(seller, order).await? else {
                return Ok(RefundOutcome::UnknownOrder);
            };
            if read.value.refunded_at.is_some() {
                return Ok(RefundOutcome::AlreadyKnown);
            }
            let mut updated = read.value.clone();
            updated.refunded_at = Some(posted_at);
            if !updated.review_request.is_final() {
                updated.review_request = updated
                    .review_request
                    .skip(SkipReason::Refunded, posted_at)
                    .map_err(|err| CaptureError::Transition { order: order.to_string(), message: err.to_string() })?;
            }
            match self.orders.put_order(&updated, Expect::Version(read.version)).await? {
                PutOutcome::Written { .. } => return Ok(RefundOutcome::Marked),
                PutOutcome::Conflict => continue,
            }
        }
        Err(CaptureError::Contended { order: order.to_string() })
    }
}

/// The checkpoint stream name of the refunds poll (one per seller and region, kept under the
/// seller's first marketplace of the region).
pub const REFUNDS_STREAM: &str = "refunds";

/// What one refunds poll of a seller and region did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundsReport {
    pub pages: u32,
    pub refunds_seen: u32,
    pub marked: u32,
    pub unknown_orders: u32,
    pub rejected: u32,
    pub stopped_early: bool,
}

/// Finances' events may come up to 48 hours late ("Orders from the last 48 hours might not be
/// included"), so each poll looks back over that much again; marking is idempotent.
const FINANCES_LAG: Duration = Duration::hours(48);

/// Poll listFinancialEvents (Finances v0) for the refunds posted since the checkpoint, for one
/// seller in one region, and mark each refunded order. One call per 100 events for the whole
/// region, not one per order.
pub async fn sync_refunds(
    api: &SellerApi,
    recorder: &OrderRecorder,
    checkpoints: &dyn CheckpointStore,
    seller: &SellerAccount,
    key: Marketplace,
    (settings, now): (SyncSettings, DateTime<Utc>),
    deadline: Instant,
) -> Result<RefundsReport, SyncError> {
    let mut report = RefundsReport::default();
    let stored = checkpoints.get_checkpoint(&seller.seller_id, key, REFUNDS_STREAM).await?;
    let synced_until = stored.as_ref().map_or(now - settings.initial_lookback, |c| c.synced_until);
    let resume = stored.and_then(|c| c.resume);
    let posted_after = synced_until - FINANCES_LAG;
    let posted_before = resume.as_ref().map_or(now - NEWEST_QUERYABLE, |r| r.cutoff);
    let mut token = resume.map(|r| r.next_token);
    loop {
        let page = match api.list_financial_events(posted_after, posted_before, token.as_deref(), deadline).await {
            Ok(page) => page,
            Err(err) if err.is_transient() => {
                tracing::warn!(seller = %seller.seller_id, error = %err, "refunds poll stopped early; resumes next run");
                report.stopped_early = true;
                return Ok(report);
            }
            Err(err) => return Err(err.into()),
        };
        report.pages += 1;
        for refund in page.financial_events.map(|e| e.refund_event_list).unwrap_or_default() {
            report.refunds_seen += 1;
            let (Some(order_id), Some(posted_at)) = (refund.amazon_order_id, refund.posted_date) else {
                report.rejected += 1;
                tracing::warn!(seller = %seller.seller_id, "a refund event without AmazonOrderId or PostedDate; skipped");
                continue;
            };
            let Ok(order_id) = OrderId::parse(order_id) else {
                report.rejected += 1;
                tracing::warn!(seller = %seller.seller_id, "a refund event whose AmazonOrderId is not 3-7-7 digits; skipped");
                continue;
            };
            match recorder.mark_refunded(&seller.seller_id, &order_id, posted_at).await? {
                RefundOutcome::Marked => report.marked += 1,
                RefundOutcome::AlreadyKnown => {}
                RefundOutcome::UnknownOrder => report.unknown_orders += 1,
            }
        }
        match page.next_token.filter(|t| !t.is_empty()) {
            Some(next) => {
                let point = ResumePoint { next_token: next.clone(), cutoff: posted_before };
                let checkpoint = SyncCheckpoint { synced_until, resume: Some(point) };
                checkpoints.put_checkpoint(&seller.seller_id, key, REFUNDS_STREAM, &checkpoint).await?;
                token = Some(next);
            }
            None => {
                let checkpoint = SyncCheckpoint { synced_until: posted_before, resume: None };
                checkpoints.put_checkpoint(&seller.seller_id, key, REFUNDS_STREAM, &checkpoint).await?;
                return Ok(report);
            }
        }
    }
}

/// The checkpoint stream name of the searchOrders poll.
pub const ORDERS_STREAM: &str = "orders";

/// What one reconciliation run of a seller and marketplace did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pages: u32,
    pub orders_seen: u32,
    pub recorded: u32,
    pub unchanged: u32,
    /// Orders searchOrders returned that could not be read (logged with the field at fault).
    pub rejected: u32,
    /// Stopped before the end (deadline or a transient SP-API failure); resumes next run.
    pub stopped_early: bool,
}

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    SpApi(#[from] SpApiError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Settings of the reconciliation poll.
#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// How far back the first run of a seller looks.
    pub initial_lookback: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self { initial_lookback: Duration::days(30) }
    }
}

/// The statuses the poll asks for: what a review request depends on (shipped, or never to be
/// shipped). An order is then listed about once, when it gets there, not at every step from
/// Pending on: what keeps the poll inside searchOrders' plan (see README).
pub const POLLED_STATUSES: [&str; 3] = ["SHIPPED", "CANCELLED", "UNFULFILLABLE"];

/// searchOrders' `lastUpdatedBefore` must be at least two minutes before the request.
const NEWEST_QUERYABLE: Duration = Duration::minutes(2);

/// Poll searchOrders (Orders v2026-01-01) for one seller and marketplace from the stored
/// checkpoint, all pages, through the same recording path as notifications. Each order comes
/// with its items (SKUs), status, fulfilment channel and, when Amazon gives it, its
/// `deliverByWindow`, so no call per order is needed. `lastUpdatedAfter` is inclusive, so the
/// checkpoint's own second is asked again: the recorder drops what it already has.
///
/// The checkpoint moves only once a page's orders are all recorded; a run that runs out of time
/// (or meets a transient failure) stops cleanly and the next one resumes from the page it
/// stopped at.
#[allow(clippy::too_many_arguments)]
pub async fn reconcile(
    api: &SellerApi,
    recorder: &OrderRecorder,
    checkpoints: &dyn CheckpointStore,
    seller: &SellerAccount,
    marketplace: Marketplace,
    settings: SyncSettings,
    now: DateTime<Utc>,
    deadline: Instant,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    let stored = checkpoints.get_checkpoint(&seller.seller_id, marketplace, ORDERS_STREAM).await?;
    let synced_until = stored.as_ref().map_or(now - settings.initial_lookback, |c| c.synced_until);
    // The query's end, fixed for all its pages (a resumed run keeps the one it started with).
    let resume = stored.and_then(|c| c.resume);
    let cutoff = resume.as_ref().map_or(now - NEWEST_QUERYABLE, |r| r.cutoff);
    if cutoff < synced_until {
        return Ok(report);
    }
    let mut query = OrdersQuery {
        marketplaces: vec![marketplace],
        last_updated_after: Some(synced_until),
        last_updated_before: Some(cutoff),
        pagination_token: resume.as_ref().map(|r| r.next_token.clone()),
        max_results_per_page: Some(100),
        fulfillment_statuses: POLLED_STATUSES.to_vec(),
    };
    loop {
        let page = match api.search_orders(&query, deadline).await {
            Ok(page) => page,
            Err(err) if err.is_transient() => {
                tracing::warn!(seller = %seller.seller_id, marketplace = marketplace.code(), error = %err, "reconciliation stopped early; resumes next run");
                report.stopped_early = true;
                return Ok(report);
            }
            Err(err) => return Err(err.into()),
        };
        report.pages += 1;
        for order in &page.orders {
            report.orders_seen += 1;
            match api_order_change(&seller.seller_id, order) {
                Ok(change) => match recorder.record(&change).await? {
                    RecordOutcome::Created | RecordOutcome::Updated => report.recorded += 1,
                    RecordOutcome::Stale | RecordOutcome::Duplicate => report.unchanged += 1,
                },
                Err(err) => {
                    report.rejected += 1;
                    tracing::error!(seller = %seller.seller_id, error = %err, "searchOrders returned an order that cannot be read; skipped");
                }
            }
        }
        match page.pagination.and_then(|p| p.next_token) {
            Some(token) => {
                let point = ResumePoint { next_token: token, cutoff };
                let checkpoint = SyncCheckpoint { synced_until, resume: Some(point.clone()) };
                checkpoints.put_checkpoint(&seller.seller_id, marketplace, ORDERS_STREAM, &checkpoint).await?;
                query.pagination_token = Some(point.next_token);
            }
            None => {
                let checkpoint = SyncCheckpoint { synced_until: cutoff, resume: None };
                checkpoints.put_checkpoint(&seller.seller_id, marketplace, ORDERS_STREAM, &checkpoint).await?;
                return Ok(report);
            }
        }
    }
}
