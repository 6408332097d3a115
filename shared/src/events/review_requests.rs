//! The dispatcher's events: each seller's part of a run (what the seller's digest counts) and
//! the run's summary.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::BusEvent;
use crate::dispatch::DispatchSummary;
use crate::domain::{SellerId, SkipReason};

/// One seller's part of a run, published when anything happened for the seller. `event_id`
/// names the seller and the run, so a redelivery is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequestsProcessed {
    pub event_id: String,
    pub seller_id: SellerId,
    pub sent: u32,
    pub sent_earlier: u32,
    #[serde(default)]
    pub skipped: BTreeMap<SkipReason, u32>,
    pub expired: u32,
}

impl BusEvent for ReviewRequestsProcessed {
    const DETAIL_TYPE: &'static str = "ReviewRequestsProcessed";

    fn event_id(&self) -> String {
        self.event_id.clone()
    }

    fn seller_id(&self) -> Option<&SellerId> {
        Some(&self.seller_id)
    }
}

/// The run's summary (all sellers) is the `ReviewRequestRunCompleted` event, for integrations
/// and dashboards; it names no seller.
impl BusEvent for DispatchSummary {
    const DETAIL_TYPE: &'static str = "ReviewRequestRunCompleted";

    fn event_id(&self) -> String {
        format!("review-request-run:{}", self.dispatcher)
    }

    fn seller_id(&self) -> Option<&SellerId> {
        None
    }
}
