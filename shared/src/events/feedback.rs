//! The feedback events on the application's bus: what feedback sync publishes and the alerts
//! function (and any integration) reads. Each carries an `event_id` that names the fact, not
//! the delivery, so a consumer can drop duplicates: EventBridge delivers at least once, and
//! the producer publishes again if it crashed before recording that it had.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::feedback::{DeadlineKind, StarClass};
use crate::domain::ratings::Crossing;
use crate::domain::ratings::RatingSnapshot;
use crate::domain::triage::Verdict;
use crate::domain::{FulfillmentChannel, Marketplace, OrderId, SellerId};

/// Each feedback event's contract with the bus.
macro_rules! bus_event {
    ($($event:ident),* $(,)?) => {$(
        impl super::BusEvent for $event {
            const DETAIL_TYPE: &'static str = stringify!($event);

            fn event_id(&self) -> String {
                self.event_id.clone()
            }

            fn seller_id(&self) -> Option<&SellerId> {
                Some(&self.seller_id)
            }
        }
    )*};
}

bus_event!(NegativeFeedbackReceived, FeedbackDeadlineApproaching, FeedbackRemoved, RatingThresholdCrossed);

/// A deadline with the days left when the event was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineStatus {
    pub kind: DeadlineKind,
    pub date: NaiveDate,
    pub days_left: i64,
}

/// The feedback an event is about (the comment is the buyer's words about the order; no buyer
/// name or e-mail exists in it as Feedback Autopilot keeps it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackRef {
    pub marketplace: Marketplace,
    pub order_id: OrderId,
    pub feedback_date: NaiveDate,
    pub rating: u8,
    pub star_class: StarClass,
    pub comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

/// A 1-3 star feedback seen for the first time, with its triage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NegativeFeedbackReceived {
    pub event_id: String,
    pub seller_id: SellerId,
    pub feedback: FeedbackRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<FulfillmentChannel>,
    pub triage: Verdict,
    pub deadlines: Vec<DeadlineStatus>,
}

/// A deadline of a negative or neutral feedback is 14 or 3 days away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackDeadlineApproaching {
    pub event_id: String,
    pub seller_id: SellerId,
    pub feedback: FeedbackRef,
    pub triage: Verdict,
    pub deadline: DeadlineStatus,
    /// 14 or 3: which reminder this is.
    pub mark: u16,
}

/// A negative or neutral feedback vanished from the report covering its date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRemoved {
    pub event_id: String,
    pub seller_id: SellerId,
    pub feedback: FeedbackRef,
    pub removed_at: DateTime<Utc>,
    /// Triage had found removal grounds (so the removal is likely the seller's request).
    pub had_grounds: bool,
}

/// A rating passed one of the seller's thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingThresholdCrossed {
    pub event_id: String,
    pub seller_id: SellerId,
    pub marketplace: Marketplace,
    pub crossing: Crossing,
    pub snapshot: RatingSnapshot,
}
