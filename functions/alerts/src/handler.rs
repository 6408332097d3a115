//! The alerts Lambda: one EventBridge event from the app bus per invocation. A feedback event
//! becomes a mail to each of the seller's recipients, at most once each (see
//! `autopilot_shared::alerts`). An error fails the invocation, so EventBridge retries it and
//! finally puts it in the DLQ; recipients already mailed are skipped on the retry.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde_json::Value;

use autopilot_shared::alerts::{AlertError, AlertEvent, AlertOutcome, Alerts};

pub type Deps = Alerts;

/// Handle one event; `Ok(None)` for a detail-type that is not mailed about.
pub async fn handle(deps: &Deps, event: EventBridgeEvent<Value>) -> Result<Option<AlertOutcome>, AlertError> {
    let detail_type = event.detail_type.clone();
    let Some(alert) = AlertEvent::parse(&detail_type, event.detail)? else {
        tracing::info!(detail_type, "not an alert event; ignored");
        return Ok(None);
    };
    deps.handle(&alert).await.map(Some)
}
