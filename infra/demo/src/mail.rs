//! The demo's alerts stage: every event on the bus reaches the alerts function (a rule sends
//! them to an SQS queue the demo reads, as EventBridge would invoke the Lambda), then the
//! daily schedule fires for the digest. Every mail sent through SES (moto) is also written to
//! the output folder as .eml, as .html (inline images included) and as a PNG rendered by
//! headless Chromium at phone width.

use std::path::Path;
use std::sync::Arc;

use autopilot_shared::alerts::{Alerts, SentMail, SesMailer};
use autopilot_shared::domain::{Clock, ManualClock};
use autopilot_shared::store::DynamoStore;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{Duration, NaiveTime};

use crate::scenario::e;

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

fn event(
    detail_type: &str,
    source: &str,
    detail: serde_json::Value,
) -> Result<EventBridgeEvent<serde_json::Value>, String> {
    serde_json::from_value(serde_json::json!({
        "version": "0", "id": "demo", "detail-type": detail_type, "source": source, "account": "123456789012",
        "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail": detail,
    }))
    .map_err(e("event"))
}

/// Hand every queued event to the alerts function, then fire the digest schedule the next
/// morning. Returns the mails sent, in order.
pub async fn run_alerts(
    aws: &aws_config::SdkConfig,
    store: &DynamoStore,
    clock: Arc<ManualClock>,
    queue_url: &str,
) -> Result<Vec<SentMail>, String> {
    let deps = Alerts {
        sellers: Arc::new(store.clone()),
        ledger: Arc::new(store.clone()),
        digest_log: Arc::new(store.clone()),
        ratings: Arc::new(store.clone()),
        mailer: Arc::new(SesMailer::new(aws)),
        clock: clock.clone(),
        from: SENDER.into(),
    };
    let sqs = aws_sdk_sqs::Client::new(aws);
    let mut sent = Vec::new();
    for message in spapi_sim::queues::drain_queue(&sqs, queue_url).await? {
        let event: EventBridgeEvent<serde_json::Value> =
            serde_json::from_str(message.body().unwrap_or("{}")).map_err(e("event"))?;
        if let alerts::Handled::Alert(outcome) = alerts::handle_event(&deps, event).await.map_err(e("alerts"))? {
            sent.extend(outcome.sent);
        }
    }
    let tomorrow = clock.now().date_naive() + Duration::days(1);
    clock.set(tomorrow.and_time(NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default()).and_utc());
    let schedule = event(alerts::SCHEDULED_EVENT, "aws.events", serde_json::json!({}))?;
    if let alerts::Handled::Digests(run) = alerts::handle_event(&deps, schedule).await.map_err(e("digests"))? {
        sent.extend(run.sent);
    }
    Ok(sent)
}

/// Write each mail as .eml, .html and .png into `out/mail`; one line per mail for the output.
pub fn write_mails(sent: &[SentMail], out: &Path) -> Result<Vec<String>, String> {
    let dir = out.join("mail");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|err| format!("create {}: {err}", dir.display()))?;
    let chromium = mail_preview::Chromium::locate(&out.join("chromium-profiles"));
    if let Err(err) = &chromium {
        println!("   (no PNG renders: {err})");
    }
    let mut lines = Vec::new();
    for (n, mail) in sent.iter().enumerate() {
        let stem =
            format!("{:02}-{}-{}", n + 1, mail.mail.kind, mail.recipient.as_str().split('@').next().unwrap_or("to"));
        let eml = dir.join(format!("{stem}.eml"));
        std::fs::write(&eml, &mail.raw).map_err(|err| format!("write {}: {err}", eml.display()))?;
        let rendered = match &chromium {
            Ok(chromium) => match mail_preview::preview(chromium, &mail.mail, &dir, &stem) {
                Ok(shown) if shown.layout.overflowing.is_empty() && shown.layout.broken_images == 0 => {
                    format!(".html .png ({}x{} px)", shown.stats.width, shown.stats.height)
                }
                Ok(shown) => format!(".html .png LAYOUT PROBLEM: {:?}", shown.layout),
                Err(err) => format!("(render failed: {err})"),
            },
            Err(_) => {
                let html = dir.join(format!("{stem}.html"));
                std::fs::write(&html, mail_preview::browser_html(&mail.mail))
                    .map_err(|err| format!("write {}: {err}", html.display()))?;
                ".html".into()
            }
        };
        lines.push(format!("{stem}.eml {rendered}\n        {}", mail.mail.subject));
    }
    let _ = std::fs::remove_dir_all(out.join("chromium-profiles"));
    Ok(lines)
}
