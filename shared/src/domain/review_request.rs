//! The review-request lifecycle of one order and Amazon's solicitation window.
//!
//! ```text
//!  AwaitingShipment ──schedule──▶ Pending{due_at} ──claim──▶ Claimed{lease_until}
//!        │                          ▲   │                    │  │  │
//!        │                          └───┼──────release───────┘  │  └─mark_sent──▶ Sent
//!        └──────────skip───────────────┴──skip / expire────────┴──▶ Skipped | Expired
//! ```
//! `Sent`, `Skipped` and `Expired` are final: once an order is requested it is never requested
//! again, whatever arrives later.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::clock::later;
use super::order::DeliveryWindow;

/// Amazon accepts a request from 5 days after the earliest delivery date...
pub const WINDOW_OPENS_AFTER_EARLIEST_DELIVERY: Duration = Duration::days(5);
/// ...until 30 days after the latest delivery date.
pub const WINDOW_CLOSES_AFTER_LATEST_DELIVERY: Duration = Duration::days(30);
/// A due time computed past the window is pulled back by this much, so the dispatcher still
/// has time (and retries) to send before the window closes.
pub const LATE_SCHEDULE_MARGIN: Duration = Duration::days(1);

/// The span in which Amazon accepts productReviewAndSellerFeedback solicitations, half-open:
/// `opens_at <= t < closes_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolicitationWindow {
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
}

impl SolicitationWindow {
    /// The window for a delivery estimate, or `None` while no estimate is known.
    pub fn for_delivery(delivery: &DeliveryWindow) -> Option<Self> {
        delivery.known().map(|(earliest, latest)| Self {
            opens_at: later(earliest, WINDOW_OPENS_AFTER_EARLIEST_DELIVERY),
            closes_at: later(latest, WINDOW_CLOSES_AFTER_LATEST_DELIVERY),
        })
    }

    pub fn position(&self, at: DateTime<Utc>) -> WindowPosition {
        if at < self.opens_at {
            WindowPosition::NotYetOpen
        } else if at < self.closes_at {
            WindowPosition::Open
        } else {
            WindowPosition::Closed
        }
    }

    /// When to send for a seller who waits `delay_after_delivery` after the latest delivery
    /// estimate: never before the window opens, and pulled back inside it when the delay would
    /// overshoot.
    pub fn due_time(&self, latest_delivery: DateTime<Utc>, delay_after_delivery: Duration) -> DateTime<Utc> {
        let wanted = later(latest_delivery, delay_after_delivery);
        let last_good =
            self.closes_at.checked_sub_signed(LATE_SCHEDULE_MARGIN).unwrap_or(self.closes_at).max(self.opens_at);
        wanted.clamp(self.opens_at, last_good)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowPosition {
    NotYetOpen,
    Open,
    Closed,
}

/// Why an order will not be (or was not) asked for a review. Stored and reported, so the
/// spelling of each code is part of the data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The order was canceled or is unfulfillable.
    Canceled,
    /// The buyer asked to cancel.
    BuyerRequestedCancel,
    /// Refunded or returned.
    Refunded,
    /// The buyer already left negative feedback for this order.
    NegativeFeedback,
    /// The seller put the order on the do-not-solicit list.
    DoNotSolicitOrder,
    /// An item's SKU is on the seller's do-not-solicit list.
    DoNotSolicitSku,
    /// The seller turned review requests off for this marketplace.
    MarketplaceDisabled,
    /// An order type or program the seller excludes.
    ExcludedProgram,
    /// Amazon offers no solicitation action for the order.
    NotEligible,
}

/// Why a review request expired without going out. Stored and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryReason {
    /// The delivery estimate's window had closed before the order could be looked at (for
    /// example an order first recorded weeks after it shipped); Amazon was never asked.
    WindowClosed,
    /// Amazon was asked on the cadence up to the cutoff and never offered the request (not
    /// eligible, already asked by other means, or its own window never opened for us).
    NotOffered,
}

impl ExpiryReason {
    pub fn code(self) -> &'static str {
        match self {
            ExpiryReason::WindowClosed => "window_closed",
            ExpiryReason::NotOffered => "not_offered",
        }
    }
}

impl SkipReason {
    pub const ALL: [SkipReason; 9] = [
        SkipReason::Canceled,
        SkipReason::BuyerRequestedCancel,
        SkipReason::Refunded,
        SkipReason::NegativeFeedback,
        SkipReason::DoNotSolicitOrder,
        SkipReason::DoNotSolicitSku,
        SkipReason::MarketplaceDisabled,
        SkipReason::ExcludedProgram,
        SkipReason::NotEligible,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SkipReason::Canceled => "canceled",
            SkipReason::BuyerRequestedCancel => "buyer_requested_cancel",
            SkipReason::Refunded => "refunded",
            SkipReason::NegativeFeedback => "negative_feedback",
            SkipReason::DoNotSolicitOrder => "do_not_solicit_order",
            SkipReason::DoNotSolicitSku => "do_not_solicit_sku",
            SkipReason::MarketplaceDisabled => "marketplace_disabled",
            SkipReason::ExcludedProgram => "excluded_program",
            SkipReason::NotEligible => "not_eligible",
        }
    }
}

/// Where an order's review request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReviewRequest {
    /// Not shipped yet: nothing to schedule.
    AwaitingShipment,
    /// To be decided at `due_at`. `needs_delivery_dates`: a seller-fulfilled order whose dates
    /// were not in its notifications; the dispatcher looks them up once (getOrder), then plans
    /// with what it has.
    Pending {
        due_at: DateTime<Utc>,
        #[serde(default)]
        needs_delivery_dates: bool,
    },
    /// A dispatcher is working on it until `lease_until`; after that anyone may reclaim it. The
    /// dispatcher holds this state in memory while it acts; earlier versions also stored it,
    /// and such a stored claim is still honoured.
    Claimed {
        claimed_by: String,
        lease_until: DateTime<Utc>,
        due_at: DateTime<Utc>,
        #[serde(default)]
        needs_delivery_dates: bool,
    },
    /// Amazon accepted the request. `sent_earlier` marks a request found already sent (a 403
    /// "already requested" after a crash between sending and recording).
    Sent {
        sent_at: DateTime<Utc>,
        #[serde(default)]
        sent_earlier: bool,
    },
    Skipped {
        reason: SkipReason,
        decided_at: DateTime<Utc>,
    },
    /// The window closed, or the cutoff passed, before a request could be sent. `reason` is
    /// absent on records written before reasons were kept.
    Expired {
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<ExpiryReason>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("the review request is already final ({0})")]
    Final(&'static str),
    #[error("the review request is not due until {0}")]
    NotDue(DateTime<Utc>),
    #[error("the review request is leased by {claimed_by} until {lease_until}")]
    Leased { claimed_by: String, lease_until: DateTime<Utc> },
    #[error("the review request is not claimed by {0}")]
    NotClaimedBy(String),
    #[error("cannot {action} a review request that is {state}")]
    Invalid { action: &'static str, state: &'static str },
}

impl ReviewRequest {
    pub fn state_name(&self) -> &'static str {
        match self {
            ReviewRequest::AwaitingShipment => "awaiting_shipment",
            ReviewRequest::Pending { .. } => "pending",
            ReviewRequest::Claimed { .. } => "claimed",
            ReviewRequest::Sent { .. } => "sent",
            ReviewRequest::Skipped { .. } => "skipped",
            ReviewRequest::Expired { .. } => "expired",
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, ReviewRequest::Sent { .. } | ReviewRequest::Skipped { .. } | ReviewRequest::Expired { .. })
    }

    /// When a dispatcher should next look at this order: the due time while pending, and still
    /// that due time while claimed (so a stored claim that was abandoned is picked up again: a
    /// dispatcher that finds it before the lease ends leaves it alone), never otherwise. This is
    /// what the sparse "due" index holds.
    pub fn next_look_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ReviewRequest::Pending { due_at, .. } | ReviewRequest::Claimed { due_at, .. } => Some(*due_at),
            _ => None,
        }
    }

    fn refuse_if_final(&self) -> Result<(), TransitionError> {
        if self.is_final() { Err(TransitionError::Final(self.state_name())) } else { Ok(()) }
    }

    /// (Re)schedule: from awaiting shipment or pending. A claimed request is rescheduled by its
    /// holder with [`ReviewRequest::release`].
    pub fn schedule(&self, due_at: DateTime<Utc>, needs_delivery_dates: bool) -> Result<Self, TransitionError> {
        self.refuse_if_final()?;
        match self {
            ReviewRequest::AwaitingShipment | ReviewRequest::Pending { .. } => {
                Ok(ReviewRequest::Pending { due_at, needs_delivery_dates })
            }
            other => Err(TransitionError::Invalid { action: "schedule", state: other.state_name() }),
        }
    }

    /// Take the request for `lease` so no other dispatcher acts on it meanwhile.
    pub fn claim(&self, by: &str, now: DateTime<Utc>, lease: Duration) -> Result<Self, TransitionError> {
        self.refuse_if_final()?;
        match self {
            ReviewRequest::Pending { due_at, needs_delivery_dates } => {
                if *due_at > now {
                    return Err(TransitionError::NotDue(*due_at));
                }
                Ok(ReviewRequest::Claimed {
                    claimed_by: by.to_string(),
                    lease_until: later(now, lease),
                    due_at: *due_at,
                    needs_delivery_dates: *needs_delivery_dates,
                })
            }
            ReviewRequest::Claimed { claimed_by, lease_until, due_at, needs_delivery_dates } => {
                if *lease_until > now && claimed_by != by {
                    return Err(TransitionError::Leased { claimed_by: claimed_by.clone(), lease_until: *lease_until });
                }
                Ok(ReviewRequest::Claimed {
                    claimed_by: by.to_string(),
                    lease_until: later(now, lease),
                    due_at: *due_at,
                    needs_delivery_dates: *needs_delivery_dates,
                })
            }
            other => Err(TransitionError::Invalid { action: "claim", state: other.state_name() }),
        }
    }

    fn require_claimed_by(&self, by: &str, action: &'static str) -> Result<(), TransitionError> {
        self.refuse_if_final()?;
        match self {
            ReviewRequest::Claimed { claimed_by, .. } if claimed_by == by => Ok(()),
            ReviewRequest::Claimed { .. } => Err(TransitionError::NotClaimedBy(by.to_string())),
            other => Err(TransitionError::Invalid { action, state: other.state_name() }),
        }
    }

    /// The holder gives the request back, due again at `due_at` (not yet, or try later).
    pub fn release(
        &self,
        by: &str,
        due_at: DateTime<Utc>,
        needs_delivery_dates: bool,
    ) -> Result<Self, TransitionError> {
        self.require_claimed_by(by, "release")?;
        Ok(ReviewRequest::Pending { due_at, needs_delivery_dates })
    }

    /// The holder records that Amazon accepted the request (or had it already).
    pub fn mark_sent(&self, by: &str, at: DateTime<Utc>, sent_earlier: bool) -> Result<Self, TransitionError> {
        self.require_claimed_by(by, "mark sent")?;
        Ok(ReviewRequest::Sent { sent_at: at, sent_earlier })
    }

    /// Exclude the order. Allowed from any non-final state: exclusions such as a cancellation
    /// arrive from order changes, not only from the dispatcher.
    pub fn skip(&self, reason: SkipReason, at: DateTime<Utc>) -> Result<Self, TransitionError> {
        self.refuse_if_final()?;
        Ok(ReviewRequest::Skipped { reason, decided_at: at })
    }

    /// The window closed (or the cutoff passed) before a request went out.
    pub fn expire(&self, at: DateTime<Utc>, reason: ExpiryReason) -> Result<Self, TransitionError> {
        self.refuse_if_final()?;
        match self {
            ReviewRequest::Pending { .. } | ReviewRequest::Claimed { .. } => {
                Ok(ReviewRequest::Expired { at, reason: Some(reason) })
            }
            other => Err(TransitionError::Invalid { action: "expire", state: other.state_name() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn window_is_earliest_plus_5_to_latest_plus_30() {
        let w = SolicitationWindow::for_delivery(&DeliveryWindow::new(
            t("2026-03-01T00:00:00Z"),
            t("2026-03-04T00:00:00Z"),
        ))
        .unwrap();
        assert_eq!(w.opens_at, t("2026-03-06T00:00:00Z"));
        assert_eq!(w.closes_at, t("2026-04-03T00:00:00Z"));
        assert_eq!(w.position(t("2026-03-05T23:59:59Z")), WindowPosition::NotYetOpen);
        assert_eq!(w.position(t("2026-03-06T00:00:00Z")), WindowPosition::Open);
        assert_eq!(w.position(t("2026-04-02T23:59:59Z")), WindowPosition::Open);
        assert_eq!(w.position(t("2026-04-03T00:00:00Z")), WindowPosition::Closed);
    }

    #[test]
    fn the_edges_of_time_saturate_instead_of_panicking() {
        let max = DateTime::<Utc>::MAX_UTC;
        let w = SolicitationWindow::for_delivery(&DeliveryWindow::new(max, max)).unwrap();
        assert_eq!((w.opens_at, w.closes_at), (max, max));
        assert_eq!(w.due_time(max, Duration::days(7)), max);
        let min = DateTime::<Utc>::MIN_UTC;
        let w = SolicitationWindow::for_delivery(&DeliveryWindow::new(min, min)).unwrap();
        assert_eq!(w.due_time(min, Duration::zero()), w.opens_at);
        let claimed =
            ReviewRequest::Pending { due_at: min, needs_delivery_dates: false }.claim("a", max, Duration::days(1));
        assert!(matches!(claimed, Ok(ReviewRequest::Claimed { lease_until, .. }) if lease_until == max));
    }

    #[test]
    fn no_window_without_delivery_dates() {
        assert_eq!(SolicitationWindow::for_delivery(&DeliveryWindow::default()), None);
    }

    #[test]
    fn due_time_is_clamped_into_the_window() {
        let earliest = t("2026-03-01T00:00:00Z");
        let latest = t("2026-03-04T00:00:00Z");
        let w = SolicitationWindow::for_delivery(&DeliveryWindow::new(earliest, latest)).unwrap();
        // the seller's delay lands inside the window
        assert_eq!(w.due_time(latest, Duration::days(7)), t("2026-03-11T00:00:00Z"));
        // a zero delay would be before Amazon opens the window
        assert_eq!(w.due_time(latest, Duration::zero()), w.opens_at);
        // a huge delay is pulled back inside, with a margin to retry
        assert_eq!(w.due_time(latest, Duration::days(60)), w.closes_at - LATE_SCHEDULE_MARGIN);
    }

    #[test]
    fn claim_requires_due_and_respects_leases() {
        let now = t("2026-03-10T00:00:00Z");
        let pending = ReviewRequest::AwaitingShipment.schedule(now, false).unwrap();
        assert_eq!(pending.next_look_at(), Some(now));
        let early = pending.claim("a", now - Duration::seconds(1), Duration::minutes(5));
        assert_eq!(early, Err(TransitionError::NotDue(now)));

        let claimed = pending.claim("a", now, Duration::minutes(5)).unwrap();
        assert_eq!(claimed.next_look_at(), Some(now), "a claim keeps the due index key");
        assert!(matches!(
            claimed.claim("b", now + Duration::minutes(1), Duration::minutes(5)),
            Err(TransitionError::Leased { .. })
        ));
        // an expired lease is reclaimed by another dispatcher
        let reclaimed = claimed.claim("b", now + Duration::minutes(5), Duration::minutes(5)).unwrap();
        assert!(matches!(&reclaimed, ReviewRequest::Claimed { claimed_by, .. } if claimed_by == "b"));
        // the old holder may no longer record anything
        assert_eq!(reclaimed.mark_sent("a", now, false), Err(TransitionError::NotClaimedBy("a".into())));
    }

    #[test]
    fn final_states_never_change() {
        let now = t("2026-03-10T00:00:00Z");
        let claimed = ReviewRequest::Pending { due_at: now, needs_delivery_dates: false }
            .claim("a", now, Duration::minutes(5))
            .unwrap();
        let sent = claimed.mark_sent("a", now, false).unwrap();
        assert!(sent.is_final());
        assert_eq!(sent.next_look_at(), None);
        assert_eq!(sent.schedule(now, false), Err(TransitionError::Final("sent")));
        assert_eq!(sent.skip(SkipReason::Canceled, now), Err(TransitionError::Final("sent")));
        assert_eq!(sent.claim("b", now, Duration::minutes(1)), Err(TransitionError::Final("sent")));
        let skipped = ReviewRequest::AwaitingShipment.skip(SkipReason::Canceled, now).unwrap();
        assert_eq!(skipped.expire(now, ExpiryReason::NotOffered), Err(TransitionError::Final("skipped")));
    }

    #[test]
    fn release_returns_to_pending_and_expire_ends_it() {
        let now = t("2026-03-10T00:00:00Z");
        let claimed = ReviewRequest::Pending { due_at: now, needs_delivery_dates: true }
            .claim("a", now, Duration::minutes(5))
            .unwrap();
        let later = now + Duration::days(1);
        assert_eq!(
            claimed.release("a", later, false).unwrap(),
            ReviewRequest::Pending { due_at: later, needs_delivery_dates: false }
        );
        assert_eq!(
            claimed.expire(now, ExpiryReason::NotOffered).unwrap(),
            ReviewRequest::Expired { at: now, reason: Some(ExpiryReason::NotOffered) }
        );
        assert!(ReviewRequest::AwaitingShipment.expire(now, ExpiryReason::WindowClosed).is_err());
        // records written before reasons were kept still read
        let old: ReviewRequest = serde_json::from_str(r#"{"state":"expired","at":"2026-03-10T00:00:00Z"}"#).unwrap();
        assert_eq!(old, ReviewRequest::Expired { at: now, reason: None });
    }

    #[test]
    fn states_serialize_with_a_tag() {
        let json = serde_json::to_value(ReviewRequest::Skipped {
            reason: SkipReason::DoNotSolicitSku,
            decided_at: t("2026-03-10T00:00:00Z"),
        })
        .unwrap();
        assert_eq!(json["state"], "skipped");
        assert_eq!(json["reason"], SkipReason::DoNotSolicitSku.code());
    }
}
