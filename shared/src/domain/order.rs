//! Orders as Feedback Autopilot records them: what the review-request rules need and nothing
//! about the buyer (no name, address, postal code or e-mail; see Amazon's Data Protection
//! Policy).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{OrderId, SellerId};
use super::marketplace::Marketplace;
use super::review_request::ReviewRequest;

/// Amazon's order status (Orders API v0 and ORDER_CHANGE `Summary.OrderStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    Pending,
    Unshipped,
    PartiallyShipped,
    Shipped,
    Canceled,
    Unfulfillable,
    InvoiceUnconfirmed,
    PendingAvailability,
}

impl OrderStatus {
    /// Whether goods are on their way, so a review request can be scheduled.
    pub fn is_shipped(self) -> bool {
        matches!(self, OrderStatus::Shipped)
    }

    /// Whether the order will never be delivered.
    pub fn is_dead(self) -> bool {
        matches!(self, OrderStatus::Canceled | OrderStatus::Unfulfillable)
    }
}

/// Who fulfils the order: Amazon (AFN/FBA) or the merchant (MFN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FulfillmentChannel {
    #[serde(rename = "AFN")]
    Afn,
    #[serde(rename = "MFN")]
    Mfn,
}

/// Amazon's delivery estimate. Real "Shipped" notifications often omit it; then it is fetched
/// with getOrder when the review request comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeliveryWindow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<DateTime<Utc>>,
}

impl DeliveryWindow {
    pub fn new(earliest: DateTime<Utc>, latest: DateTime<Utc>) -> Self {
        Self { earliest: Some(earliest), latest: Some(latest) }
    }

    /// Both ends, once known. With only one end known, it stands for both (Amazon's window is
    /// computed from whatever estimate exists).
    pub fn known(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        match (self.earliest, self.latest) {
            (Some(e), Some(l)) => Some((e.min(l), e.max(l))),
            (Some(d), None) | (None, Some(d)) => Some((d, d)),
            (None, None) => None,
        }
    }
}

/// One order, keyed by seller and Amazon order id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub seller_id: SellerId,
    pub marketplace: Marketplace,
    pub order_id: OrderId,
    pub status: OrderStatus,
    pub fulfillment: FulfillmentChannel,
    pub purchase_date: DateTime<Utc>,
    #[serde(default)]
    pub delivery: DeliveryWindow,
    /// Amazon's time of the newest order change applied to this record; older changes that
    /// arrive late never overwrite newer state.
    pub last_changed_at: DateTime<Utc>,
    /// `StandardOrder`, `Preorder`, ... as Amazon names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    /// Amazon's order programs (e.g. `Business`), used by seller exclusions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// Seller SKUs of the order's items, for do-not-solicit lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    /// The buyer asked to cancel: never solicit.
    #[serde(default)]
    pub buyer_cancel_requested: bool,
    /// The buyer already left negative feedback for this order: never solicit.
    #[serde(default)]
    pub negative_feedback: bool,
    pub review_request: ReviewRequest,
}
