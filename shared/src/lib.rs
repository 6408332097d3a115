//! Feedback Autopilot's shared library: the domain rules, the ports the orchestration depends
//! on, and the adapters (DynamoDB, the SP-API client, SES and EventBridge) that implement them.
//!
//! # Layout
//!
//! Each Lambda in `functions/` drives one type of this crate; its `main.rs` wires the clients
//! ([`runtime::Clients`]) and its `handler.rs` adapts the Lambda event ([`lambda`]):
//!
//! | function | drives | module |
//! |---|---|---|
//! | order-events | [`capture::OrderRecorder`] | [`capture`]: record ORDER_CHANGE idempotently |
//! | order-sync | [`capture::OrderSync`] | [`capture`]: searchOrders and refunds polls |
//! | solicit | [`dispatch::Dispatcher`] | [`dispatch`]: claim, ask Amazon, send once |
//! | feedback-sync | [`feedback_sync::FeedbackSync`] | [`feedback_sync`]: report, follow-up, ratings |
//! | alerts | [`alerts::Alerts`] | [`alerts`]: seller mails, at most once, and the digest |
//!
//! Where to start reading:
//! - [`domain`]: the rules, pure and AWS-free (windows, eligibility, the review-request state
//!   machine, removability triage, ratings); time is the [`domain::Clock`] port.
//! - [`store`]: the persistence ports (narrow traits) and the DynamoDB adapter, one file per
//!   aggregate; keys are built in `store::keys`.
//! - [`spapi`]: the SP-API ports ([`spapi::SellerCalls`], [`spapi::SpApiAccess`]) and the HTTP
//!   client (usage-plan buckets, retries, LWA tokens, 403 classification).
//! - [`events`]: every event on the app bus, tied to its detail-type by [`events::BusEvent`].
//! - [`notifications`], [`reports`]: the wire formats Amazon sends (SQS notifications, the
//!   feedback report and its encodings).
//! - [`onboarding`]: a seller's secret, account and notification subscriptions.
//! - `fakes` (tests, or the `fakes` feature): in-memory ports for orchestration tests.

pub mod alerts;
pub mod aws;
pub mod capture;
pub mod dispatch;
pub mod domain;
pub mod events;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod fanout;
pub mod feedback_sync;
pub mod lambda;
pub mod notifications;
pub mod onboarding;
pub mod permissions;
pub mod reports;
pub mod runtime;
pub mod spapi;
pub mod store;
