//! The order-sync Lambda: the scheduled reconciliation poll. For every seller and marketplace,
//! getOrders from the stored checkpoint through the same recording path as notifications, so
//! an order whose notification was lost is still recorded. Each seller gets a fair share of the
//! time left; a seller that runs out resumes on the next run.

use std::sync::Arc;

use autopilot_shared::capture::{OrderRecorder, SyncReport, SyncSettings, reconcile};
use autopilot_shared::domain::Clock;
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
}

impl RunSummary {
    fn add(&mut self, report: &SyncReport) {
        self.pages += report.pages;
        self.orders_seen += report.orders_seen;
        self.recorded += report.recorded;
        self.rejected += report.rejected;
        self.incomplete += u32::from(report.stopped_early);
    }
}

pub async fn handle(deps: &Deps, deadline: Instant) -> Result<RunSummary, StoreError> {
    let sellers = deps.sellers.list_sellers().await?;
    let recorder = OrderRecorder::new(deps.orders.clone(), deps.sellers.clone());
    let mut summary = RunSummary { sellers: sellers.len() as u32, ..RunSummary::default() };
    let pairs: Vec<_> = sellers.iter().flat_map(|s| s.marketplaces.iter().map(move |m| (s, *m))).collect();
    for (done, (seller, marketplace)) in pairs.iter().enumerate() {
        summary.marketplaces += 1;
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
