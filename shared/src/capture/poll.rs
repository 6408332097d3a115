//! The scheduled reconciliation poll: for every seller and marketplace, searchOrders (Orders
//! v2026-01-01) from the stored checkpoint through the same recording path as notifications,
//! so an order whose notification was lost is still recorded; then, per seller and region, the
//! refunds posted since the last run (Finances listFinancialEvents), so refunded orders are
//! never asked for a review. Each seller gets a fair share of the time left; a seller that runs
//! out resumes on the next run.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use thiserror::Error;
use tokio::time::Instant;

use super::{CaptureError, OrderRecorder, RecordOutcome, RefundOutcome};
use crate::domain::{Clock, Marketplace, OrderId, SellerAccount};
use crate::notifications::api_order_change;
use crate::spapi::{OrdersQuery, SellerCalls, SpApiAccess, SpApiError};
use crate::store::{
    CheckpointKey, CheckpointStore, CheckpointStream, OrderRepository, ResumePoint, ReviewOutcomes, SellerDirectory,
    StoreError, SyncCheckpoint,
};

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

/// Finances' events may come up to 48 hours late ("Orders from the last 48 hours might not be
/// included"), so each poll looks back over that much again; marking is idempotent.
const FINANCES_LAG: Duration = Duration::hours(48);

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    SpApi(#[from] SpApiError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::lambda::Failure for SyncError {
    fn error_type(&self) -> &'static str {
        match self {
            SyncError::SpApi(err) => err.error_type(),
            SyncError::Capture(err) => err.error_type(),
            SyncError::Store(err) => err.error_type(),
        }
    }
}

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

/// What a run did, returned as the Lambda's result and logged.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct OrderSyncSummary {
    pub sellers: u32,
    pub marketplaces: u32,
    pub pages: u32,
    pub orders_seen: u32,
    pub recorded: u32,
    pub rejected: u32,
    /// Seller/marketplace pairs that stopped early and resume next run.
    pub incomplete: u32,
    /// Seller/marketplace pairs that failed (logged with the reason).
    pub failed: u32,
    /// listFinancialEvents pages read, refunds seen, orders newly marked refunded.
    pub refund_pages: u32,
    pub refunds_seen: u32,
    pub refunds_marked: u32,
    /// Refunds for orders Feedback Autopilot never recorded.
    pub refunds_unknown: u32,
}

impl OrderSyncSummary {
    fn add(&mut self, report: &SyncReport) {
        self.pages += report.pages;
        self.orders_seen += report.orders_seen;
        self.recorded += report.recorded;
        self.rejected += report.rejected;
        self.incomplete += u32::from(report.stopped_early);
    }

    fn add_refunds(&mut self, report: &RefundsReport) {
        self.refund_pages += report.pages;
        self.refunds_seen += report.refunds_seen;
        self.refunds_marked += report.marked;
        self.refunds_unknown += report.unknown_orders;
        self.rejected += report.rejected;
        self.incomplete += u32::from(report.stopped_early);
    }
}

/// One poll's subject: a seller, one of its marketplaces (for refunds: the region's first), the
/// seller's calls in that region, and when to stop.
pub struct SellerPoll<'a> {
    pub api: &'a dyn SellerCalls,
    pub recorder: &'a OrderRecorder,
    pub seller: &'a SellerAccount,
    pub marketplace: Marketplace,
    /// The run's time: where a first run starts looking back from, and what the newest
    /// queryable time is measured from.
    pub now: DateTime<Utc>,
    pub deadline: Instant,
}

impl SellerPoll<'_> {
    fn checkpoint(&self, stream: CheckpointStream) -> CheckpointKey {
        CheckpointKey { seller: self.seller.seller_id.clone(), marketplace: self.marketplace, stream }
    }
}

/// Where a searchOrders run starts: its checkpoint stream, the stored point, the page size.
struct Pages {
    stream: CheckpointStream,
    synced_until: DateTime<Utc>,
    resume: Option<ResumePoint>,
    page_size: u8,
    started_from: Option<DateTime<Utc>>,
}

/// A page recorded (with more to come): the run's counts so far, the newest `lastUpdatedTime`
/// on the page, and the query's time range (for a progress bar).
#[derive(Debug, Clone)]
pub struct PageDone {
    pub report: SyncReport,
    pub newest_update: Option<DateTime<Utc>>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Orders,
    Refunds,
}

/// The order-sync function's library type: one scheduled run over every seller.
pub struct OrderSync {
    pub api: Arc<dyn SpApiAccess>,
    pub orders: Arc<dyn OrderRepository>,
    pub sellers: Arc<dyn SellerDirectory>,
    pub checkpoints: Arc<dyn CheckpointStore>,
    /// Where the review requests the poll skips (cancellations, refunds) are counted.
    pub outcomes: Arc<dyn ReviewOutcomes>,
    pub clock: Arc<dyn Clock>,
    pub settings: SyncSettings,
}

/// Each region a seller sells in, keyed by the seller's first marketplace there (Finances
/// answers per region, for all its marketplaces).
fn regions(seller: &SellerAccount) -> Vec<Marketplace> {
    let mut keys: Vec<Marketplace> = Vec::new();
    for marketplace in &seller.marketplaces {
        if !keys.iter().any(|k| k.region() == marketplace.region()) {
            keys.push(*marketplace);
        }
    }
    keys
}

impl OrderSync {
    /// The recorder the poll records through (the same rules as notifications).
    pub fn recorder(&self) -> OrderRecorder {
        OrderRecorder::new(self.orders.clone(), self.sellers.clone()).counting_outcomes(self.outcomes.clone())
    }

    /// One run: the orders poll of every seller and marketplace, then the refunds poll of every
    /// seller and region, each with an equal share of the time left, so one seller's backlog
    /// cannot starve the others. A failing seller is logged and counted; the rest go on.
    pub async fn run(&self, deadline: Instant) -> Result<OrderSyncSummary, StoreError> {
        // Paused sellers are left alone (see `SellerAccount::paused`).
        let sellers: Vec<SellerAccount> =
            self.sellers.list_sellers().await?.into_iter().filter(|s| !s.paused).collect();
        Ok(self.run_sellers(&sellers, deadline).await)
    }

    /// A run over the given sellers only (a fan-out worker's units; see `crate::fanout`).
    pub async fn run_sellers(&self, sellers: &[SellerAccount], deadline: Instant) -> OrderSyncSummary {
        let recorder = self.recorder();
        let mut summary = OrderSyncSummary { sellers: sellers.len() as u32, ..OrderSyncSummary::default() };
        let units: Vec<_> = sellers
            .iter()
            .flat_map(|s| {
                let orders = s.marketplaces.iter().map(move |m| (s, *m, Work::Orders));
                orders.chain(regions(s).into_iter().map(move |m| (s, m, Work::Refunds)))
            })
            .collect();
        for (done, (seller, marketplace, work)) in units.iter().enumerate() {
            let left = deadline.saturating_duration_since(Instant::now());
            let share = left / u32::try_from(units.len() - done).unwrap_or(1).max(1);
            let api = match self.api.seller_calls(seller, marketplace.region()).await {
                Ok(api) => api,
                Err(err) => {
                    tracing::error!(seller = %seller.seller_id, error = %err, "no SP-API client for the seller");
                    summary.failed += 1;
                    continue;
                }
            };
            let poll = SellerPoll {
                api: api.as_ref(),
                recorder: &recorder,
                seller,
                marketplace: *marketplace,
                now: self.clock.now(),
                deadline: Instant::now() + share,
            };
            match work {
                Work::Orders => {
                    summary.marketplaces += 1;
                    match self.reconcile(&poll).await {
                        Ok(report) => {
                            tracing::info!(seller = %seller.seller_id, marketplace = marketplace.code(), pages = report.pages, recorded = report.recorded, stopped_early = report.stopped_early, "reconciled");
                            summary.add(&report);
                        }
                        Err(err) => {
                            tracing::error!(seller = %seller.seller_id, marketplace = marketplace.code(), error = %err, "reconciliation failed; the checkpoint stays where it was");
                            summary.failed += 1;
                        }
                    }
                }
                Work::Refunds => match self.sync_refunds(&poll).await {
                    Ok(report) => {
                        tracing::info!(seller = %seller.seller_id, region = ?marketplace.region(), refunds = report.refunds_seen, marked = report.marked, "refunds polled");
                        summary.add_refunds(&report);
                    }
                    Err(err) => {
                        tracing::error!(seller = %seller.seller_id, region = ?marketplace.region(), error = %err, "refunds poll failed; the checkpoint stays where it was");
                        summary.failed += 1;
                    }
                },
            }
        }
        summary
    }

    /// The checkpoint of a stream and where its next query starts: the stored point, or the
    /// first run's look-back.
    async fn checkpoint(
        &self,
        poll: &SellerPoll<'_>,
        stream: CheckpointStream,
    ) -> Result<(DateTime<Utc>, Option<ResumePoint>), StoreError> {
        let stored = self.checkpoints.get_checkpoint(&poll.checkpoint(stream)).await?;
        Ok(match stored {
            Some(checkpoint) => (checkpoint.synced_until, checkpoint.resume),
            None => (poll.now - self.settings.initial_lookback, None),
        })
    }

    /// Record a page's progress: the next page and the query's cutoff while pages remain, then
    /// the cutoff as the new `synced_until`.
    async fn advance(
        &self,
        poll: &SellerPoll<'_>,
        stream: CheckpointStream,
        synced_until: DateTime<Utc>,
        cutoff: DateTime<Utc>,
        next_token: Option<&str>,
        started_from: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let checkpoint = match next_token {
            Some(token) => {
                let resume = Some(ResumePoint { next_token: token.to_string(), cutoff });
                SyncCheckpoint { synced_until, resume, started_from }
            }
            None => SyncCheckpoint { synced_until: cutoff, resume: None, started_from },
        };
        self.checkpoints.put_checkpoint(&poll.checkpoint(stream), &checkpoint).await
    }

    /// Poll searchOrders (Orders v2026-01-01) for one seller and marketplace from the stored
    /// checkpoint, all pages, through the same recording path as notifications. Each order
    /// comes with its items (SKUs), status, fulfilment channel and, when Amazon gives it, its
    /// `deliverByWindow`, so no call per order is needed. `lastUpdatedAfter` is inclusive, so
    /// the checkpoint's own second is asked again: the recorder drops what it already has.
    ///
    /// The checkpoint moves only once a page's orders are all recorded; a run that runs out of
    /// time (or meets a transient failure) stops cleanly and the next one resumes from the
    /// page it stopped at.
    pub async fn reconcile(&self, poll: &SellerPoll<'_>) -> Result<SyncReport, SyncError> {
        let (synced_until, resume) = self.checkpoint(poll, CheckpointStream::Orders).await?;
        let pages =
            Pages { stream: CheckpointStream::Orders, synced_until, resume, page_size: 100, started_from: None };
        self.search_pages(poll, pages, &mut |_| std::ops::ControlFlow::Continue(())).await
    }

    /// `autopilot backfill`: searchOrders for one seller and marketplace from `since` to now,
    /// through the same recorder, `page_size` orders a page, under a checkpoint of its own (the
    /// regular poll's is not touched). `on_page` hears of each recorded page and may stop the
    /// run (`Break`); the next call with the same `since` resumes at the next page, and one
    /// after a finished backfill goes on from where it ended.
    pub async fn backfill(
        &self,
        poll: &SellerPoll<'_>,
        since: DateTime<Utc>,
        page_size: u8,
        on_page: &mut (dyn FnMut(&PageDone) -> std::ops::ControlFlow<()> + Send),
    ) -> Result<SyncReport, SyncError> {
        let stored = self.checkpoints.get_checkpoint(&poll.checkpoint(CheckpointStream::Backfill)).await?;
        let (synced_until, resume) = match stored {
            Some(checkpoint) if checkpoint.started_from == Some(since) => (checkpoint.synced_until, checkpoint.resume),
            _ => (since, None),
        };
        let pages = Pages {
            stream: CheckpointStream::Backfill,
            synced_until,
            resume,
            page_size: page_size.clamp(1, 100),
            started_from: Some(since),
        };
        self.search_pages(poll, pages, on_page).await
    }

    async fn search_pages(
        &self,
        poll: &SellerPoll<'_>,
        pages: Pages,
        on_page: &mut (dyn FnMut(&PageDone) -> std::ops::ControlFlow<()> + Send),
    ) -> Result<SyncReport, SyncError> {
        let (seller, marketplace) = (poll.seller, poll.marketplace);
        let mut report = SyncReport::default();
        let Pages { stream, synced_until, resume, page_size, started_from } = pages;
        // The query's end, fixed for all its pages (a resumed run keeps the one it started with).
        let cutoff = resume.as_ref().map_or(poll.now - NEWEST_QUERYABLE, |r| r.cutoff);
        if cutoff < synced_until {
            return Ok(report);
        }
        let mut query = OrdersQuery {
            marketplaces: vec![marketplace],
            last_updated_after: Some(synced_until),
            last_updated_before: Some(cutoff),
            pagination_token: resume.map(|r| r.next_token),
            max_results_per_page: Some(u32::from(page_size)),
            fulfillment_statuses: POLLED_STATUSES.to_vec(),
        };
        loop {
            let page = match poll.api.search_orders(&query, poll.deadline).await {
                Ok(page) => page,
                Err(err) if err.is_transient() => {
                    tracing::warn!(seller = %seller.seller_id, marketplace = marketplace.code(), error = %err, "reconciliation stopped early; resumes next run");
                    report.stopped_early = true;
                    return Ok(report);
                }
                Err(err) => return Err(err.into()),
            };
            report.pages += 1;
            let mut newest: Option<DateTime<Utc>> = None;
            let recorded = async {
                for order in &page.orders {
                    report.orders_seen += 1;
                    newest = newest.max(Some(order.last_updated_time));
                    match api_order_change(&seller.seller_id, order) {
                        Ok(change) => match poll.recorder.record(&change).await? {
                            RecordOutcome::Created | RecordOutcome::Updated => report.recorded += 1,
                            RecordOutcome::Stale | RecordOutcome::Duplicate => report.unchanged += 1,
                        },
                        Err(err) => {
                            report.rejected += 1;
                            tracing::error!(seller = %seller.seller_id, error = %err, "searchOrders returned an order that cannot be read; skipped");
                        }
                    }
                }
                Ok::<(), CaptureError>(())
            }
            .await;
            // The page's new orders are counted for their days even when a later one failed.
            poll.recorder.flush_counts().await;
            recorded?;
            let next = page.pagination.and_then(|p| p.next_token);
            self.advance(poll, stream, synced_until, cutoff, next.as_deref(), started_from).await?;
            let done = PageDone { report: report.clone(), newest_update: newest, from: synced_until, to: cutoff };
            let Some(token) = next else { return Ok(report) };
            if on_page(&done).is_break() {
                report.stopped_early = true;
                return Ok(report);
            }
            query.pagination_token = Some(token);
        }
    }

    /// Poll listFinancialEvents (Finances v0) for the refunds posted since the checkpoint, for
    /// one seller in one region (`poll.marketplace` is the region's key), and mark each
    /// refunded order. One call per 100 events for the whole region, not one per order.
    pub async fn sync_refunds(&self, poll: &SellerPoll<'_>) -> Result<RefundsReport, SyncError> {
        let seller = poll.seller;
        let mut report = RefundsReport::default();
        let (synced_until, resume) = self.checkpoint(poll, CheckpointStream::Refunds).await?;
        let posted_after = synced_until - FINANCES_LAG;
        let posted_before = resume.as_ref().map_or(poll.now - NEWEST_QUERYABLE, |r| r.cutoff);
        let mut token = resume.map(|r| r.next_token);
        loop {
            let page = match poll
                .api
                .list_financial_events(posted_after, posted_before, token.as_deref(), poll.deadline)
                .await
            {
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
                match poll.recorder.mark_refunded(&seller.seller_id, &order_id, posted_at).await? {
                    RefundOutcome::Marked => report.marked += 1,
                    RefundOutcome::AlreadyKnown => {}
                    RefundOutcome::UnknownOrder => report.unknown_orders += 1,
                }
            }
            let next = page.next_token.filter(|t| !t.is_empty());
            self.advance(poll, CheckpointStream::Refunds, synced_until, posted_before, next.as_deref(), None).await?;
            match next {
                Some(next) => token = Some(next),
                None => return Ok(report),
            }
        }
    }
}
