//! Order capture: recording order changes (from notifications or the reconciliation poll)
//! idempotently and in Amazon's order ([`OrderRecorder`], driven by the order-events
//! function), and the scheduled poll of searchOrders and refunds ([`OrderSync`], driven by the
//! order-sync function).

mod poll;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use thiserror::Error;
use tokio::sync::Mutex;

use crate::domain::{
    ChangeEffect, OrderChange, OrderEventKind, OrderId, ReviewRequestPolicy, SellerId, SkipReason, TransitionError,
    apply_change,
};
use crate::store::{Expect, OrderRepository, OutcomeCounts, PutOutcome, ReviewOutcomes, SellerDirectory, StoreError};

pub use poll::{
    DayCountReport, OrderSync, OrderSyncSummary, POLLED_STATUSES, PageDone, RefundsReport, SellerPoll, SyncError,
    SyncReport, SyncSettings,
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
    #[error("order {order}: {source}")]
    Transition {
        order: String,
        #[source]
        source: TransitionError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::lambda::Failure for CaptureError {
    fn error_type(&self) -> &'static str {
        match self {
            CaptureError::UnknownSeller(_) => "UnknownSeller",
            CaptureError::Contended { .. } => "StoreConflict",
            CaptureError::Transition { .. } => "TransitionRefused",
            CaptureError::Store(err) => err.error_type(),
        }
    }
}

/// Records order changes for any seller, reading each seller's policy once per recorder.
///
/// It does not count orders per day (the ODR's denominator): the reconciliation poll counts
/// them from Amazon's searchOrders, one write per seller, marketplace and day
/// ([`poll::OrderSync`]), so recording an order costs no write beyond the order's own.
pub struct OrderRecorder {
    orders: Arc<dyn OrderRepository>,
    sellers: Arc<dyn SellerDirectory>,
    outcomes: Option<Arc<dyn ReviewOutcomes>>,
    policies: Mutex<HashMap<SellerId, ReviewRequestPolicy>>,
}

impl OrderRecorder {
    pub fn new(orders: Arc<dyn OrderRepository>, sellers: Arc<dyn SellerDirectory>) -> Self {
        Self { orders, sellers, outcomes: None, policies: Mutex::new(HashMap::new()) }
    }

    /// Count the review requests this recorder skips (cancellations, refunds) for
    /// `autopilot status`, as the dispatcher counts its outcomes.
    pub fn counting_outcomes(mut self, outcomes: Arc<dyn ReviewOutcomes>) -> Self {
        self.outcomes = Some(outcomes);
        self
    }

    /// A review request this recorder closed: counted (a failure is logged, not returned: the
    /// order is recorded).
    async fn count_skip(&self, order: &crate::domain::Order, was_final: bool, at: DateTime<Utc>) {
        let (Some(outcomes), crate::domain::ReviewRequest::Skipped { reason, .. }) =
            (&self.outcomes, &order.review_request)
        else {
            return;
        };
        if was_final {
            return;
        }
        let counts = OutcomeCounts { skipped: [(*reason, 1)].into(), ..OutcomeCounts::default() };
        if let Err(err) = outcomes.add_outcomes(&order.seller_id, order.marketplace, at.date_naive(), &counts).await {
            tracing::warn!(order = %order.order_id, error = %err, "skipped review request not counted");
        }
    }

    /// Read each seller's policy afresh from here on (the order-events function calls this per
    /// batch, so a changed policy is never kept stale in a warm process).
    pub async fn forget_policies(&self) {
        self.policies.lock().await.clear();
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
            let was_final = existing.as_ref().is_some_and(|v| v.value.review_request.is_final());
            match self.orders.put_order(&order, expect).await? {
                PutOutcome::Written { .. } => self.count_skip(&order, was_final, change.changed_at).await,
                PutOutcome::Conflict => continue,
            }
            return Ok(if existing.is_some() { RecordOutcome::Updated } else { RecordOutcome::Created });
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
            let was_final = read.value.review_request.is_final();
            let mut updated = read.value.clone();
            updated.refunded_at = Some(posted_at);
            updated.note(posted_at, OrderEventKind::Refunded);
            if !updated.review_request.is_final() {
                updated.review_request = updated
                    .review_request
                    .skip(SkipReason::Refunded, posted_at)
                    .map_err(|source| CaptureError::Transition { order: order.to_string(), source })?;
            }
            match self.orders.put_order(&updated, Expect::Version(read.version)).await? {
                PutOutcome::Written { .. } => {
                    self.count_skip(&updated, was_final, posted_at).await;
                    return Ok(RefundOutcome::Marked);
                }
                PutOutcome::Conflict => continue,
            }
        }
        Err(CaptureError::Contended { order: order.to_string() })
    }
}

#[cfg(test)]
mod tests;
