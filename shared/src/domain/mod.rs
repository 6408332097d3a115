//! The domain core: Amazon's rules and Feedback Autopilot's decisions, free of AWS types.

pub mod clock;
pub mod dispatch;
pub mod feedback;
pub mod ids;
pub mod marketplace;
pub mod order;
pub mod order_change;
pub mod ratings;
pub mod review_request;
pub mod seller;
pub mod triage;

pub use clock::{Clock, ManualClock, SystemClock};
pub use dispatch::{Decision, RequestPlan, decide, later, plan};
pub use ids::{EmailAddress, IdError, OrderId, SellerId};
pub use marketplace::{FeedbackDateFormat, Marketplace, Region};
pub use order::{AmazonAnswer, DeliveryWindow, FulfillmentChannel, Order, OrderEvent, OrderEventKind, OrderStatus};
pub use order_change::{ChangeEffect, ChangeSource, OrderChange, apply_change};
pub use review_request::{
    ExpiryReason, ReviewRequest, SkipReason, SolicitationWindow, TransitionError, WindowPosition,
};
pub use seller::{AlertDelivery, AskingPolicy, DigestFrequency, DigestSchedule, ReviewRequestPolicy, SellerAccount};
