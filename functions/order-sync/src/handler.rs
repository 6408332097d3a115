//! The order-sync Lambda: the scheduled reconciliation poll. For every seller and marketplace,
//! searchOrders (Orders v2026-01-01) from the stored checkpoint through the same recording path
//! as notifications, so an order whose notification was lost is still recorded; then, per
//! seller and region, the refunds posted since the last run (Finances listFinancialEvents), so
//! refunded orders are never asked for a review. Each seller gets a fair share of the time
//! left; a seller that runs out resumes on the next run.

use std::sync::Arc;

use autopilot_shared::capture::{OrderRecorder, RefundsReport, SyncReport, SyncSettings, reconcile, sync_refunds};
use autopilot_shared::domain::Clock;
use autopilot_shared::domain::{Marketplace, SellerAccount};
use autopilot_shared::spapi::SpApi;
use autopilot_shared::store::{CheckpointStore, OrderRepository, SellerDirectory, StoreError};
use serde::Serialize;
use tokio::time::Instant;

pub struct Deps {
    pub api: Arc<SpApi>,
    pub orders: Arc<dyn OrderRepository>,
    pub sellers: Arc<dyn SellerDirectory>,
    pub checkpoints: Arc<dyn CheckpointStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: SyncSettings,
}

/// What a run did, returned as the Lambda's result and logged.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct RunSummary {
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

impl RunSummary {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Orders,
    Refunds,
}

pub async fn handle(deps: &Deps, deadline: Instant) -> Result<RunSummary, StoreError> {
    let sellers = deps.sellers.list_sellers().await?;
    let recorder = OrderRecorder::new(deps.orders.clone(), deps.sellers.clone());
    let mut summary = RunSummary { sellers: sellers.len() as u32, ..RunSummary::default() };
    // One unit of work per seller and marketplace (the orders poll), then per seller and region
    // (the refunds poll), each with an equal share of the time left.
    let pairs: Vec<_> = sellers
        .iter()
        .flat_map(|s| {
            let orders = s.marketplaces.iter().map(move |m| (s, *m, Work::Orders));
            orders.chain(regions(s).into_iter().map(move |m| (s, m, Work::Refunds)))
        })
        .collect();
    for (done, (seller, marketplace, work)) in pairs.iter().enumerate() {
        // An equal share of what is left, so one seller's backlog cannot starve the others.
        let left = deadline.saturating_duration_since(Instant::now());
        let share = left / u32::try_from(pairs.len() - done).unwrap_or(1).max(1);
        let seller_deadline = Instant::now() + share;
        let api = match deps.api.seller(seller, marketplace.region()).await {
            Ok(api) => api,
            Err(err) => {
                tracing::error!(seller = %seller.seller_id, error = %err, "no SP-API client for the seller");
                summary.failed += 1;
                continue;
            }
        };
        if *work == Work::Refunds {
            let run = (deps.settings, deps.clock.now());
            match sync_refunds(&api, &recorder, deps.checkpoints.as_ref(), seller, *marketplace, run, seller_deadline)
                .await
            {
                Ok(report) => {
                    tracing::info!(seller = %seller.seller_id, region = ?marketplace.region(), refunds = report.refunds_seen, marked = report.marked, "refunds polled");
                    summary.add_refunds(&report);
                }
                Err(err) => {
                    tracing::error!(seller = %seller.seller_id, region = ?marketplace.region(), error = %err, "refunds poll failed; the checkpoint stays where it was");
                    summary.failed += 1;
                }
            }
            continue;
        }
        summary.marketplaces += 1;
        let result = reconcile(
            &api,
            &recorder,
            deps.checkpoints.as_ref(),
            seller,
            *marketplace,
            deps.settings,
            deps.clock.now(),
            seller_deadline,
        )
        .await;
        match result {
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
    Ok(summary)
}
