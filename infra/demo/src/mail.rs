//! The demo's alerts stage: the feedback events on the bus reach the alerts function (a rule
//! sends them to an SQS queue the demo reads, as EventBridge would invoke the Lambda); every
//! mail sent through SES (moto) is also written to the output folder as .eml and .html.

use std::path::Path;
use std::sync::Arc;

use autopilot_shared::alerts::{Alerts, SesMailer};
use autopilot_shared::domain::ManualClock;
use autopilot_shared::store::DynamoStore;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;

use crate::scenario::{e, receive_all};

pub const SENDER: &str = "alerts@demo-outdoor.example";

/// A rule on `bus` sending every feedback-autopilot event to a fresh queue; returns its URL.
pub async fn tap_bus(aws: &aws_config::SdkConfig, bus: &str) -> Result<String, String> {
    let sqs = aws_sdk_sqs::Client::new(aws);
    let name = "feedback-autopilot-demo-alert-events";
    let url =
        sqs.create_queue().queue_name(name).send().await.map_err(e("create queue"))?.queue_url.unwrap_or_default();
    let _ = sqs.purge_queue().queue_url(&url).send().await;
    let arn = format!("arn:aws:sqs:{}:123456789012:{name}", autopilot_shared::aws::LOCAL_REGION);
    let events = aws_sdk_eventbridge::Client::new(aws);
    events
        .put_rule()
        .name("demo-alerts")
        .event_bus_name(bus)
        .event_pattern(r#"{"source": ["feedback-autopilot"]}"#)
        .send()
        .await
        .map_err(e("put rule"))?;
    events
        .put_targets()
        .rule("demo-alerts")
        .event_bus_name(bus)
        .targets(aws_sdk_eventbridge::types::Target::builder().id("alerts").arn(arn).build().map_err(e("target"))?)
        .send()
        .await
        .map_err(e("put targets"))?;
    let ses = aws_sdk_sesv2::Client::new(aws);
    let _ = ses.create_email_identity().email_identity(SENDER).send().await;
    Ok(url)
}

/// Hand every queued event to the alerts function; write each mail sent. Returns the files.
pub async fn send_alerts(
    aws: &aws_config::SdkConfig,
    store: &DynamoStore,
    clock: Arc<ManualClock>,
    queue_url: &str,
    out: &Path,
) -> Result<Vec<String>, String> {
    let deps = Alerts {
        sellers: Arc::new(store.clone()),
        ledger: Arc::new(store.clone()),
        digest_log: Arc::new(store.clone()),
        ratings: Arc::new(store.clone()),
        mailer: Arc::new(SesMailer::new(aws)),
        clock,
        from: SENDER.into(),
    };
    let sqs = aws_sdk_sqs::Client::new(aws);
    let dir = out.join("mail");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|err| format!("create {}: {err}", dir.display()))?;
    let mut files = Vec::new();
    for message in receive_all(&sqs, queue_url).await? {
        let event: EventBridgeEvent<serde_json::Value> =
            serde_json::from_str(message.body().unwrap_or("{}")).map_err(e("event"))?;
        let handled = alerts::handle(&deps, event).await.map_err(e("alerts"))?;
        let alerts::Handled::Alert(outcome) = handled else { continue };
        for sent in outcome.sent {
            let stem = format!(
                "{:02}-{}-{}",
                files.len() + 1,
                sent.mail.kind,
                sent.recipient.as_str().split('@').next().unwrap_or("to")
            );
            for (ext, bytes) in [("eml", sent.raw.as_slice()), ("html", sent.mail.html.as_bytes())] {
                let path = dir.join(format!("{stem}.{ext}"));
                std::fs::write(&path, bytes).map_err(|err| format!("write {}: {err}", path.display()))?;
            }
            files.push(format!("{stem}.eml  {}", sent.mail.subject));
        }
    }
    Ok(files)
}
