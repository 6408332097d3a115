//! Domain events on the application's EventBridge bus, for alerts and integrations: every
//! event type (the feedback follow-up's and the review-request runs'), tied to its `detail-type`
//! by [`BusEvent`],
//! and the publisher. Producers publish with [`DomainEvent::of`]; the alerts function reads
//! them back by the same `DETAIL_TYPE`.

mod feedback;
mod review_requests;

pub use feedback::{
    DeadlineStatus, FeedbackDeadlineApproaching, FeedbackRef, FeedbackRemoved, NegativeFeedbackReceived,
    RatingThresholdCrossed,
};
pub use review_requests::ReviewRequestsProcessed;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::domain::SellerId;

/// Every event's `source` on the bus.
pub const EVENT_SOURCE: &str = "feedback-autopilot";
/// EventBridge accepts at most ten entries per PutEvents call.
const MAX_ENTRIES_PER_CALL: usize = 10;
const ATTEMPTS: u32 = 4;

/// One event: its `detail-type` and JSON detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainEvent {
    pub detail_type: String,
    pub detail: serde_json::Value,
}

/// An event type of the bus: its `detail-type` and what identifies it.
pub trait BusEvent: Serialize + DeserializeOwned {
    /// The `detail-type` the event is published under (part of the integration contract).
    const DETAIL_TYPE: &'static str;
    /// Names the fact, not the delivery: a consumer drops a second event with the same id.
    fn event_id(&self) -> String;
    /// The seller the event is about (`None` for deployment-wide events).
    fn seller_id(&self) -> Option<&SellerId>;
}

impl DomainEvent {
    /// The event as published: its type's `detail-type` and its JSON.
    pub fn of<E: BusEvent>(event: &E) -> Result<Self, PublishError> {
        let detail = serde_json::to_value(event).map_err(|err| PublishError::Encode(err.to_string()))?;
        Ok(Self { detail_type: E::DETAIL_TYPE.to_string(), detail })
    }
}

#[derive(Debug, Error)]
pub enum PublishError {
    #[error("event could not be encoded: {0}")]
    Encode(String),
    #[error("EventBridge PutEvents failed: {0}")]
    Backend(String),
    #[error("{failed} event(s) still rejected after {ATTEMPTS} attempts: {reason}")]
    Rejected { failed: usize, reason: String },
}

impl crate::lambda::Failure for PublishError {
    fn error_type(&self) -> &'static str {
        match self {
            PublishError::Encode(_) => "EventEncode",
            PublishError::Backend(_) => "EventBusUnavailable",
            PublishError::Rejected { .. } => "EventsRejected",
        }
    }
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError>;
}

/// Publishes to an EventBridge bus in chunks of ten, retrying the entries EventBridge rejects.
pub struct EventBridgePublisher {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventBridgePublisher {
    pub fn new(sdk: &aws_config::SdkConfig, bus_name: impl Into<String>) -> Self {
        Self { client: aws_sdk_eventbridge::Client::new(sdk), bus_name: bus_name.into() }
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        for chunk in events.chunks(MAX_ENTRIES_PER_CALL) {
            let mut pending: Vec<PutEventsRequestEntry> = chunk
                .iter()
                .map(|event| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus_name)
                        .source(EVENT_SOURCE)
                        .detail_type(&event.detail_type)
                        .detail(event.detail.to_string())
                        .build()
                })
                .collect();
            let mut attempt = 0;
            loop {
                attempt += 1;
                let output = self
                    .client
                    .put_events()
                    .set_entries(Some(pending.clone()))
                    .send()
                    .await
                    .map_err(|err| PublishError::Backend(DisplayErrorContext(&err).to_string()))?;
                if output.failed_entry_count() == 0 {
                    break;
                }
                // Results are in request order; keep only the entries that failed.
                let results = output.entries();
                let reason = results.iter().find_map(|r| r.error_message()).unwrap_or("unknown").to_string();
                pending = pending
                    .into_iter()
                    .zip(results.iter())
                    .filter(|(_, result)| result.error_code().is_some())
                    .map(|(entry, _)| entry)
                    .collect();
                if attempt >= ATTEMPTS {
                    return Err(PublishError::Rejected { failed: pending.len(), reason });
                }
                tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(attempt))).await;
            }
        }
        Ok(())
    }
}
