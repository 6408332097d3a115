//! The scheduled reconciliation poll: for every seller and marketplace, searchOrders (Orders
//! v2026-01-01) from the stored checkpoint through the same recording path as notifications,
//! so an order whose notification was lost is still recorded; then, per seller and region, the
//! refunds posted since the last run (Finances listFinancialEvents), so refunded orders are
//! never asked for a review; last, each seller's orders per purchase day (searchOrders by
//! creation day), the ODR's denominator. Each seller gets a fair share of the time left; a
//! seller that runs out resumes on the next run.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use thiserror::Error;
use tokio::time::Instant;

use super::{CaptureError, OrderRecorder, RecordOutcome, RefundOutcome};
use crate::domain::ratings::ODR_WINDOW_DAYS;
use crate::domain::{Clock, Marketplace, OrderId, SellerAccount, SellerId};
use crate::notifications::api_order_change;
use crate::spapi::{OrdersQuery, SellerCalls, SpApiAccess, SpApiError};
use crate::store::{
    CheckpointKey, CheckpointStore, CheckpointStream, OrderDay, OrderRepository, OrderVolume, ResumePoint,
    ReviewOutcomes, SellerDirectory, StoreError, SyncCheckpoint,
};

/// Settings of the reconciliation poll.
#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// How far back the first run of a seller looks.
    pub initial_lookback: Duration,
    /// How long after a UTC day ends its orders are counted. How late Amazon lists an order
    /// after its `createdTime` is not documented, so this is a knob; counted earlier, a day
    /// would miss the orders not yet listed, and a day is never counted twice.
    pub order_day_settle: Duration,
    /// searchOrders calls a run may spend counting one seller's days in one marketplace. The
    /// plan restores one call every 3 minutes (0.0056 per second, burst 20) and a run every 15
    /// minutes spends one or two on the orders themselves, so this leaves the burst to them.
    pub order_day_calls: u32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self { initial_lookback: Duration::days(30), order_day_settle: Duration::hours(6), order_day_calls: 3 }
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

/// What counting one seller's orders per day in one marketplace did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCountReport {
    pub calls: u32,
    /// Days counted to their end.
    pub days: u32,
    /// Stopped by a transient SP-API failure or the deadline; the next run goes on.
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
    /// Purchase days whose orders were counted (from searchOrders) for the ODR.
    pub order_days_counted: u32,
}

impl OrderSyncSummary {
    fn add(&mut self, report: &SyncReport) {
        self.pages += report.pages;
        self.orders_seen += report.orders_seen;
        self.recorded += report.recorded;
        self.rejected += report.rejected;
        self.incomplete += u32::from(report.stopped_early);
    }

    fn add_days(&mut self, report: &DayCountReport) {
        self.order_days_counted += report.days;
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

/// The day to count next: the one being counted, else the day after the last one counted, never
/// before `first` (the ODR window's first day: older days are not needed).
fn next_order_day(latest: Option<OrderDay>, first: NaiveDate) -> OrderDay {
    match latest {
        Some(day) if day.resume.is_some() && day.day >= first => day,
        Some(day) => OrderDay { day: (day.day + Duration::days(1)).max(first), orders: 0, resume: None },
        None => OrderDay { day: first, orders: 0, resume: None },
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
    OrderDays,
}

/// The order-sync function's library type: one scheduled run over every seller.
pub struct OrderSync {
    pub api: Arc<dyn SpApiAccess>,
    pub orders: Arc<dyn OrderRepository>,
    pub sellers: Arc<dyn SellerDirectory>,
    pub checkpoints: Arc<dyn CheckpointStore>,
    /// Where the orders per purchase day are counted (the ODR's denominator).
    pub volume: Arc<dyn OrderVolume>,
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
                let refunds = regions(s).into_iter().map(move |m| (s, m, Work::Refunds));
                let days = s.marketplaces.iter().map(move |m| (s, *m, Work::OrderDays));
                orders.chain(refunds).chain(days)
            })
            .collect();
        // Orders come first: a seller's days are counted in a run only once its orders poll has
        // caught up, so a seller whose orders are behind spends no call on counting.
        let mut caught_up: Vec<(&SellerId, Marketplace)> = Vec::new();
        for (done, (seller, marketplace, work)) in units.iter().enumerate() {
            if *work == Work::OrderDays && !caught_up.contains(&(&seller.seller_id, *marketplace)) {
                continue;
            }
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
                            if !report.stopped_early {
                                caught_up.push((&seller.seller_id, *marketplace));
                            }
                            summary.add(&report);
                        }
                        Err(err) => {
                            tracing::error!(seller = %seller.seller_id, marketplace = marketplace.code(), error = %err, "reconciliation failed; the checkpoint stays where it was");
                            summary.failed += 1;
                        }
                    }
                }
                Work::OrderDays => match self.count_order_days(&poll).await {
                    Ok(report) => {
                        tracing::info!(seller = %seller.seller_id, marketplace = marketplace.code(), days = report.days, calls = report.calls, "orders per day counted");
                        summary.add_days(&report);
                    }
                    Err(err) => {
                        tracing::error!(seller = %seller.seller_id, marketplace = marketplace.code(), error = %err, "orders per day not counted; the next run goes on from the last day counted");
                        summary.failed += 1;
                    }
                },
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
            ..OrdersQuery::default()
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

    /// Count one seller's orders per purchase day (UTC) in one marketplace, for the ODR's
    /// denominator: searchOrders by `createdAfter`/`createdBefore` over one day at a time, all
    /// pages, any status, from the day after the last one counted (or the first day of the
    /// ODR window), up to the last day that ended [`SyncSettings::order_day_settle`] ago. At
    /// most [`SyncSettings::order_day_calls`] calls a run; a day with more pages is stored with
    /// its next page and resumed. One write per day counted, however many orders it had.
    pub async fn count_order_days(&self, poll: &SellerPoll<'_>) -> Result<DayCountReport, SyncError> {
        let (seller, marketplace) = (&poll.seller.seller_id, poll.marketplace);
        let first = poll.now.date_naive() - Duration::days(ODR_WINDOW_DAYS);
        let latest = self.volume.latest_order_day(seller, marketplace).await?;
        let mut day = next_order_day(latest, first);
        let settle = self.settings.order_day_settle.max(NEWEST_QUERYABLE);
        let mut report = DayCountReport::default();
        let mut unsaved = false;
        while report.calls < self.settings.order_day_calls {
            let start = day.day.and_time(NaiveTime::MIN).and_utc();
            let end = start + Duration::days(1);
            if end + settle > poll.now {
                break;
            }
            let query = OrdersQuery {
                marketplaces: vec![marketplace],
                created_after: Some(start),
                // "at or before": the day's last second (createdTime is to the second).
                created_before: Some(end - Duration::seconds(1)),
                pagination_token: day.resume.clone(),
                max_results_per_page: Some(100),
                ..OrdersQuery::default()
            };
            let page = match poll.api.search_orders(&query, poll.deadline).await {
                Ok(page) => page,
                Err(err) if err.is_transient() => {
                    tracing::warn!(seller = %seller, marketplace = marketplace.code(), error = %err, "orders per day: stopped early; the next run goes on");
                    report.stopped_early = true;
                    break;
                }
                Err(err) => return Err(err.into()),
            };
            report.calls += 1;
            day.orders += page.orders.len() as u64;
            day.resume = page.pagination.and_then(|p| p.next_token);
            unsaved = true;
            if day.resume.is_none() {
                self.volume.put_order_day(seller, marketplace, &day).await?;
                unsaved = false;
                report.days += 1;
                day = OrderDay { day: day.day + Duration::days(1), orders: 0, resume: None };
            }
        }
        if unsaved {
            // A day cut short: its pages so far and where to go on.
            self.volume.put_order_day(seller, marketplace, &day).await?;
        }
        Ok(report)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_next_day_to_count_resumes_a_cut_day_or_follows_the_last_and_never_precedes_the_window() {
        let first = day("2026-03-01");
        let counted =
            |d: &str, resume: Option<&str>| OrderDay { day: day(d), orders: 7, resume: resume.map(String::from) };
        let fresh = |d: &str| OrderDay { day: day(d), orders: 0, resume: None };
        assert_eq!(next_order_day(None, first), fresh("2026-03-01"));
        assert_eq!(next_order_day(Some(counted("2026-03-10", None)), first), fresh("2026-03-11"));
        assert_eq!(next_order_day(Some(counted("2026-03-10", Some("p2"))), first), counted("2026-03-10", Some("p2")));
        // Days older than the window (a seller paused for months) are not counted any more.
        assert_eq!(next_order_day(Some(counted("2026-01-10", None)), first), fresh("2026-03-01"));
        assert_eq!(next_order_day(Some(counted("2026-01-10", Some("p2"))), first), fresh("2026-03-01"));
    }
}
