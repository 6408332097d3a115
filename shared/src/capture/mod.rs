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
    ChangeEffect, OrderChange, OrderId, ReviewRequestPolicy, SellerId, SkipReason, TransitionError, apply_change,
};
use crate::store::{Expect, OrderRepository, PutOutcome, SellerDirectory, StoreError};

pub use poll::{
    OrderSync, OrderSyncSummary, POLLED_STATUSES, RefundsReport, SellerPoll, SyncError, SyncReport, SyncSettings,
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
pub struct OrderRecorder {
    orders: Arc<dyn OrderRepository>,
    sellers: Arc<dyn SellerDirectory>,
    policies: Mutex<HashMap<SellerId, ReviewRequestPolicy>>,
}

impl OrderRecorder {
    pub fn new(orders: Arc<dyn OrderRepository>, sellers: Arc<dyn SellerDirectory>) -> Self {
        Self { orders, sellers, policies: Mutex::new(HashMap::new()) }
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
                    .map_err(|source| CaptureError::Transition { order: order.to_string(), source })?;
            }
            match self.orders.put_order(&updated, Expect::Version(read.version)).await? {
                PutOutcome::Written { .. } => return Ok(RefundOutcome::Marked),
                PutOutcome::Conflict => continue,
            }
        }
        Err(CaptureError::Contended { order: order.to_string() })
    }
}

#[cfg(test)]
mod tests;
