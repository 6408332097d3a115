//! Order capture: recording order changes (from notifications or the reconciliation poll)
//! idempotently and in Amazon's order, and the reconciliation poll itself.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::domain::{
    ChangeEffect, Marketplace, OrderChange, ReviewRequestPolicy, SellerAccount, SellerId, apply_change,
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

/// The checkpoint stream name of the getOrders poll.
pub const ORDERS_STREAM: &str = "orders";

/// What one reconciliation run of a seller and marketplace did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pages: u32,
    pub orders_seen: u32,
    pub recorded: u32,
    pub unchanged: u32,
    /// Orders getOrders returned that could not be read (logged with the field at fault).
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

/// Poll getOrders for one seller and marketplace from the stored checkpoint, all pages, through
/// the same recording path as notifications. The checkpoint moves only once a page's orders are
/// all recorded; a run that runs out of time (or meets a transient failure) stops cleanly and
/// the next one resumes from the page it stopped at.
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
    let mut resume = stored.and_then(|c| c.resume);
    let mut query = OrdersQuery { marketplaces: vec![marketplace], ..OrdersQuery::default() };
    match &resume {
        Some(point) => query.next_token = Some(point.next_token.clone()),
        None => query.last_updated_after = Some(synced_until),
    }
    loop {
        let page = match api.get_orders(&query, deadline).await {
            Ok(page) => page,
            Err(err) if err.is_transient() => {
                tracing::warn!(seller = %seller.seller_id, marketplace = marketplace.code(), error = %err, "reconciliation stopped early; resumes next run");
                report.stopped_early = true;
                return Ok(report);
            }
            Err(err) => return Err(err.into()),
        };
        report.pages += 1;
        let mut newest_seen = synced_until;
        for order in &page.orders {
            report.orders_seen += 1;
            newest_seen = newest_seen.max(order.last_update_date);
            match api_order_change(&seller.seller_id, order) {
                Ok(mut change) => match recorder.record(&change).await? {
                    RecordOutcome::Created => {
                        // Its notifications were lost, and getOrders lists no items: fetch the
                        // SKUs the seller's exclusions need.
                        report.recorded += 1;
                        match api.get_order_items(&change.order_id, deadline).await {
                            Ok(items) => {
                                change.skus = items.into_iter().filter_map(|i| i.seller_sku).collect();
                                recorder.record(&change).await?;
                            }
                            Err(err) => {
                                tracing::warn!(seller = %seller.seller_id, order = %change.order_id, error = %err, "order recorded without its SKUs");
                            }
                        }
                    }
                    RecordOutcome::Updated => report.recorded += 1,
                    RecordOutcome::Stale | RecordOutcome::Duplicate => report.unchanged += 1,
                },
                Err(err) => {
                    report.rejected += 1;
                    tracing::error!(seller = %seller.seller_id, order = %order.amazon_order_id, error = %err, "getOrders returned an order that cannot be read; skipped");
                }
            }
        }
        let cutoff = resume.as_ref().map(|r| r.cutoff).unwrap_or_else(|| {
            page.last_updated_before
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map_or(newest_seen, |t| t.with_timezone(&Utc))
        });
        match page.next_token {
            Some(token) => {
                let point = ResumePoint { next_token: token.clone(), cutoff };
                let checkpoint = SyncCheckpoint { synced_until, resume: Some(point.clone()) };
                checkpoints.put_checkpoint(&seller.seller_id, marketplace, ORDERS_STREAM, &checkpoint).await?;
                resume = Some(point);
                query =
                    OrdersQuery { marketplaces: vec![marketplace], next_token: Some(token), ..OrdersQuery::default() };
            }
            None => {
                let checkpoint = SyncCheckpoint { synced_until: cutoff, resume: None };
                checkpoints.put_checkpoint(&seller.seller_id, marketplace, ORDERS_STREAM, &checkpoint).await?;
                return Ok(report);
            }
        }
    }
}
