//! `autopilot dlq list|show|replay QUEUE`: the dead-letter queues of order-events,
//! report-events and alerts. `show` never prints a message's body (it may carry buyer data):
//! it reads the body the way the function does and names what is wrong with it.

use autopilot_shared::notifications::{Notification, parse_notification, unwrap_sqs_envelope};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use clap::Subcommand;
use serde_json::json;

use crate::output::{json as print_json, line, table};
use crate::{CliError, Ctx, Io};

#[derive(Subcommand)]
pub enum DlqCommand {
    /// Every dead-letter queue with its depth and its oldest message's age.
    List,
    /// The messages of one queue (order-events, report-events or alerts): age, receive count,
    /// and why each cannot be processed, never their content.
    Show {
        queue: String,
        /// Most messages to look at.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Move messages back to the queue they came from, to be processed again (after the fix).
    Replay {
        queue: String,
        /// Say what would move, move nothing.
        #[arg(long)]
        dry_run: bool,
        /// Most messages to move.
        #[arg(long)]
        limit: Option<usize>,
    },
}

pub(crate) fn sqs_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    context: String,
) -> impl Fn(aws_sdk_sqs::error::SdkError<E, R>) -> CliError {
    move |err| CliError::Failed(format!("{context}: {}", aws_sdk_sqs::error::DisplayErrorContext(&err)))
}

/// ApproximateNumberOfMessages of a queue.
pub async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<u64, CliError> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(sqs_error(format!("queue {url}")))?;
    Ok(attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

/// A message as `show` reports it.
struct Peeked {
    id: String,
    receipt: String,
    body: String,
    age_seconds: i64,
    receives: u32,
}

/// Up to `limit` messages, kept invisible for a short while (they come back by themselves).
async fn peek(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    limit: usize,
    now_ms: i64,
    hold: i32,
) -> Result<Vec<Peeked>, CliError> {
    let mut out: Vec<Peeked> = Vec::new();
    while out.len() < limit {
        let want = (limit - out.len()).min(10) as i32;
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(want)
            .visibility_timeout(hold)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(sqs_error(format!("queue {url}")))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for m in messages {
            let attribute = |name: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&name)).cloned();
            let sent: i64 =
                attribute(MessageSystemAttributeName::SentTimestamp).and_then(|t| t.parse().ok()).unwrap_or(now_ms);
            out.push(Peeked {
                id: m.message_id().unwrap_or_default().to_string(),
                receipt: m.receipt_handle().unwrap_or_default().to_string(),
                body: m.body().unwrap_or_default().to_string(),
                age_seconds: (now_ms - sent).max(0) / 1000,
                receives: attribute(MessageSystemAttributeName::ApproximateReceiveCount)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
            });
        }
    }
    Ok(out)
}

/// Why the function cannot (or could not) take this body, in the parser's words (which name
/// fields, never values); for alerts, the failure Lambda recorded.
fn diagnose(queue: &str, body: &str) -> String {
    match queue {
        "order-events" => match unwrap_sqs_envelope(body).and_then(|b| parse_notification(&b)) {
            Ok(Notification::OrderChange(_)) => "reads as a valid ORDER_CHANGE now (it failed for another reason: an unknown seller or an unavailable table; replay once fixed)".into(),
            Ok(Notification::Other { notification_type, .. }) => format!("a {notification_type} notification, not ORDER_CHANGE"),
            Err(err) => format!("unreadable: {err}"),
        },
        "report-events" => match autopilot_shared::notifications::parse_report_finished(body) {
            Ok(None) => "not a REPORT_PROCESSING_FINISHED notification".into(),
            Ok(Some(_)) => "reads as a valid REPORT_PROCESSING_FINISHED now (it failed for another reason; replay once fixed)".into(),
            Err(err) => format!("unreadable: {err}"),
        },
        _ => {
            let record: Option<serde_json::Value> = serde_json::from_str(body).ok();
            let error = record.as_ref().and_then(|r| {
                let payload = &r["responsePayload"];
                payload["errorType"].as_str().map(|t| format!("{t}: {}", payload["errorMessage"].as_str().unwrap_or("")))
            });
            error.unwrap_or_else(|| "an event EventBridge could not deliver to the alerts function".into())
        }
    }
}

fn queue_named<'a>(ctx: &'a Ctx, name: &str) -> Result<(&'static str, &'a str, Option<&'a str>), CliError> {
    let queues = ctx.deployment.dead_letter_queues();
    let names: Vec<&str> = queues.iter().map(|(n, _, _)| *n).collect();
    let (n, url, source) = queues
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| CliError::Refused(format!("QUEUE: {name:?} is not one of {}", names.join(", "))))?;
    let url = url.ok_or_else(|| CliError::Usage(format!("the deployment names no {n} dead-letter queue")))?;
    Ok((n, url, source))
}

pub async fn run(ctx: &Ctx, command: DlqCommand, io: &mut Io<'_>) -> Result<(), CliError> {
    let sqs = aws_sdk_sqs::Client::new(&ctx.aws);
    let now_ms = ctx.clock.now().timestamp_millis();
    match command {
        DlqCommand::List => {
            let mut rows = Vec::new();
            let mut values = Vec::new();
            for (name, url, _) in ctx.deployment.dead_letter_queues() {
                let Some(url) = url else {
                    values.push(json!({"queue": name, "messages": null}));
                    rows.push(vec![name.to_string(), "not configured".into(), "-".into()]);
                    continue;
                };
                let count = depth(&sqs, url).await?;
                // The oldest of the first ten, looked at without hiding them (visibility 0).
                let oldest = if count > 0 {
                    peek(&sqs, url, 10, now_ms, 0).await?.iter().map(|m| m.age_seconds).max()
                } else {
                    None
                };
                values.push(json!({"queue": name, "messages": count, "oldest_age_seconds": oldest}));
                rows.push(vec![name.to_string(), count.to_string(), oldest.map_or("-".into(), age)]);
            }
            if ctx.json {
                return print_json(io.out, &json!(values));
            }
            line(io.out, table(&["queue", "messages", "oldest"], &rows))
        }
        DlqCommand::Show { queue, limit } => {
            let (name, url, _) = queue_named(ctx, &queue)?;
            let messages = peek(&sqs, url, limit.max(1), now_ms, 0).await?;
            let values: Vec<_> = messages
                .iter()
                .map(|m| json!({"message_id": m.id, "age_seconds": m.age_seconds, "receives": m.receives, "error": diagnose(name, &m.body)}))
                .collect();
            if ctx.json {
                return print_json(io.out, &json!(values));
            }
            let rows: Vec<Vec<String>> = messages
                .iter()
                .map(|m| vec![m.id.clone(), age(m.age_seconds), m.receives.to_string(), diagnose(name, &m.body)])
                .collect();
            line(io.out, table(&["message", "age", "receives", "why it failed"], &rows))?;
            line(
                io.out,
                format!("{} message(s) shown; bodies are never printed (they may carry buyer data)", messages.len()),
            )
        }
        DlqCommand::Replay { queue, dry_run, limit } => replay(ctx, &sqs, &queue, dry_run, limit, now_ms, io).await,
    }
}

fn age(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

async fn replay(
    ctx: &Ctx,
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    dry_run: bool,
    limit: Option<usize>,
    now_ms: i64,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    let (name, url, source) = queue_named(ctx, queue)?;
    let total = depth(sqs, url).await? as usize;
    let limit = limit.unwrap_or(total).min(total);
    let bar =
        if io.tty && !dry_run { indicatif::ProgressBar::new(limit as u64) } else { indicatif::ProgressBar::hidden() };
    let events = aws_sdk_eventbridge::Client::new(&ctx.aws);
    let mut moved = 0usize;
    let mut failed = 0usize;
    while moved + failed < limit {
        // Held for a minute while being moved; what is not moved comes back by itself.
        let batch = peek(sqs, url, (limit - moved - failed).min(10), now_ms, if dry_run { 1 } else { 60 }).await?;
        if batch.is_empty() {
            break;
        }
        if dry_run {
            moved += batch.len().min(limit - moved);
            continue;
        }
        for message in batch {
            let sent = match (name, source) {
                (_, Some(source)) => sqs
                    .send_message()
                    .queue_url(source)
                    .message_body(&message.body)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|err| aws_sdk_sqs::error::DisplayErrorContext(&err).to_string()),
                _ => replay_event(&events, ctx, &message.body).await,
            };
            match sent {
                Ok(()) => {
                    sqs.delete_message()
                        .queue_url(url)
                        .receipt_handle(&message.receipt)
                        .send()
                        .await
                        .map_err(sqs_error(format!("queue {url}")))?;
                    moved += 1;
                }
                Err(err) => {
                    failed += 1;
                    let _ =
                        writeln!(io.err, "autopilot: message {} not replayed (left in the queue): {err}", message.id);
                }
            }
            bar.set_position((moved + failed) as u64);
            if !io.tty {
                let _ = writeln!(io.err, "{name}: {moved} of {limit} replayed");
            }
        }
    }
    bar.finish_and_clear();
    let target = source.map_or_else(|| "the event bus".to_string(), |s| s.to_string());
    if ctx.json {
        print_json(
            io.out,
            &json!({"queue": name, "dry_run": dry_run, "replayed": if dry_run { 0 } else { moved }, "would_replay": if dry_run { moved } else { 0 }, "failed": failed, "to": target}),
        )?;
    } else if dry_run {
        line(io.out, format!("{name}: {moved} message(s) would be replayed to {target} (dry run: nothing moved)"))?;
    } else {
        line(io.out, format!("{name}: {moved} message(s) replayed to {target}, {failed} left in the queue"))?;
    }
    if failed > 0 { Err(CliError::Failed(format!("{failed} message(s) could not be replayed"))) } else { Ok(()) }
}

/// An alerts DLQ message back onto the bus: the event itself (EventBridge's rule DLQ) or the
/// request of a failed invocation (Lambda's on-failure record).
async fn replay_event(events: &aws_sdk_eventbridge::Client, ctx: &Ctx, body: &str) -> Result<(), String> {
    let bus = ctx.deployment.event_bus.as_deref().ok_or("the deployment names no event bus")?;
    let value: serde_json::Value = serde_json::from_str(body).map_err(|_| "the message is not JSON".to_string())?;
    let event = if value.get("requestPayload").is_some() { &value["requestPayload"] } else { &value };
    let (Some(source), Some(detail_type)) = (event["source"].as_str(), event["detail-type"].as_str()) else {
        return Err("the message holds no EventBridge event (source, detail-type)".into());
    };
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(source)
        .detail_type(detail_type)
        .detail(event["detail"].to_string())
        .build();
    let output = events
        .put_events()
        .entries(entry)
        .send()
        .await
        .map_err(|err| aws_sdk_eventbridge::error::DisplayErrorContext(&err).to_string())?;
    if output.failed_entry_count() > 0 { Err("EventBridge refused the event".into()) } else { Ok(()) }
}
