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

/// Amazon's delivery estimate, as far as Amazon shows it: seller-fulfilled (MFN) orders only in
/// Orders v0 and ORDER_CHANGE; Orders v2026's `fulfillment.deliverByWindow` when present. FBA
/// orders usually have none: their review request is planned from the ship time instead.
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
    /// Amazon's time of the first change that showed the order shipped: the anchor for planning
    /// an order without delivery dates and for the asking cutoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
    /// When a refund for the order was posted (Finances API): never solicit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<DateTime<Utc>>,
    /// getSolicitationActionsForOrder answers received for this order (bounded by the seller's
    /// asking policy).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub solicitation_checks: u16,
    pub review_request: ReviewRequest,
    /// What happened to the order, oldest first, for `autopilot explain`: the changes recorded
    /// and Amazon's answers about its review request. Bounded by [`MAX_HISTORY`] (the first
    /// entry and the newest are kept); never buyer data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<OrderEvent>,
}

/// The most history entries an order keeps: enough for a typical life (a few changes, a date
/// lookup, Amazon's answers) while the item stays well under DynamoDB's 1 KB write unit.
pub const MAX_HISTORY: usize = 10;

/// One entry of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// Amazon's time of a change; the dispatcher's time of an answer.
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub what: OrderEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum OrderEventKind {
    /// A change was recorded (from a notification or a poll) with this status.
    Changed { source: super::order_change::ChangeSource, status: OrderStatus },
    /// A refund posted (Finances).
    Refunded,
    /// Amazon answered about the review request (see [`AmazonAnswer`]).
    Amazon { answer: AmazonAnswer },
}

/// What Amazon said when the dispatcher asked or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmazonAnswer {
    /// getOrder gave the delivery dates (or none).
    DatesLookedUp,
    /// getSolicitationActionsForOrder offered the request.
    Offered,
    /// getSolicitationActionsForOrder offered nothing (yet).
    NotOffered,
    /// createProductReviewAndSellerFeedbackSolicitation accepted it.
    Sent,
    /// 403: a request had already been sent for the order.
    AlreadyRequested,
    /// 403: outside Amazon's window.
    OutsideWindow,
    /// 403: the order is not eligible.
    NotEligible,
    /// 404: Amazon does not know the order.
    NotFound,
    /// The call failed (throttled, unavailable, refused); tried again later.
    Failed,
}

impl AmazonAnswer {
    pub fn describe(self) -> &'static str {
        match self {
            AmazonAnswer::DatesLookedUp => "getOrder: delivery dates looked up",
            AmazonAnswer::Offered => "getSolicitationActionsForOrder: request offered",
            AmazonAnswer::NotOffered => "getSolicitationActionsForOrder: nothing offered (yet)",
            AmazonAnswer::Sent => "createProductReviewAndSellerFeedbackSolicitation: sent",
            AmazonAnswer::AlreadyRequested => {
                "createProductReviewAndSellerFeedbackSolicitation: 403, already requested"
            }
            AmazonAnswer::OutsideWindow => "createProductReviewAndSellerFeedbackSolicitation: 403, outside the window",
            AmazonAnswer::NotEligible => "403: not eligible",
            AmazonAnswer::NotFound => "404: order not found",
            AmazonAnswer::Failed => "call failed; tried again later",
        }
    }
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl Order {
    /// Add `event` to the history, dropping the oldest entry after the first when full.
    pub fn note(&mut self, at: DateTime<Utc>, what: OrderEventKind) {
        if self.history.len() >= MAX_HISTORY {
            self.history.remove(1.min(self.history.len() - 1));
        }
        self.history.push(OrderEvent { at, what });
    }

    /// What review-request planning counts from: the ship time, else the purchase time.
    pub fn shipped_or_purchased(&self) -> DateTime<Utc> {
        self.shipped_at.unwrap_or(self.purchase_date)
    }
}
