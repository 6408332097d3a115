//! Feedback Autopilot's shared library: the domain rules, the ports handlers depend on, and
//! the adapters (DynamoDB, the SP-API client, SES and EventBridge) that implement them.

pub mod alerts;
pub mod aws;
pub mod capture;
pub mod dispatch;
pub mod domain;
pub mod events;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod feedback_sync;
pub mod lambda;
pub mod notifications;
pub mod reports;
pub mod runtime;
pub mod spapi;
pub mod store;
