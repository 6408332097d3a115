//! `autopilot status [--seller ID]`: per seller and marketplace, what the deployment did in the
//! last 30 days and where its polls stand; then the depth of every dead-letter queue.

use autopilot_shared::feedback_sync::FEEDBACK_REPORT_TYPE;
use autopilot_shared::store::{
    CheckpointKey, CheckpointStore, CheckpointStream, DueReviewRequests, OrderVolume, RatingStore, ReportJobs,
    ReviewOutcomes,
};
use chrono::Duration;
use serde_json::json;

use crate::output::{json as print_json, json_time, line, table, text, time};
use crate::{CliError, Ctx, Io, failed};

/// The period the counts cover.
pub const DAYS: i64 = 30;

pub async fn run(ctx: &Ctx, seller: Option<&str>, io: &mut Io<'_>) -> Result<(), CliError> {
    let sellers = crate::sellers_covered(ctx, seller).await?;
    let now = ctx.clock.now();
    let today = now.date_naive();
    let from = today - Duration::days(DAYS - 1);
    let mut report = Vec::new();
    for account in &sellers {
        let id = &account.seller_id;
        let open = ctx.store.count_open(id, now).await.map_err(failed("counting open review requests"))?;
        let jobs = ctx.store.report_jobs(id).await.map_err(failed("reading the report jobs"))?;
        let mut marketplaces = Vec::new();
        for marketplace in &account.marketplaces {
            let orders: u64 = ctx
                .store
                .orders_per_day(id, *marketplace, from, today)
                .await
                .map_err(failed("counting orders"))?
                .values()
                .sum();
            let outcomes =
                ctx.store.outcomes_between(id, *marketplace, from, today).await.map_err(failed("counting outcomes"))?;
            let key = CheckpointKey { seller: id.clone(), marketplace: *marketplace, stream: CheckpointStream::Orders };
            let synced = ctx.store.get_checkpoint(&key).await.map_err(failed("reading the sync checkpoint"))?;
            let report_at = jobs
                .iter()
                .find(|j| j.value.marketplace == *marketplace && j.value.report_type == FEEDBACK_REPORT_TYPE)
                .and_then(|j| j.value.last_finished_at);
            let snapshot =
                ctx.store.latest_snapshot(id, *marketplace, today).await.map_err(failed("reading the ratings"))?;
            marketplaces.push(json!({
                "marketplace": marketplace.code(),
                // Orders Amazon listed per purchase day (the ODR's denominator), over the
                // days counted so far: the poll counts a day six hours after it ends.
                "orders": orders,
                "sent": outcomes.sent + outcomes.sent_earlier,
                "skipped": outcomes.skipped.iter().map(|(r, n)| (r.code().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
                "expired": outcomes.expired,
                "orders_synced_until": synced.map(|c| c.synced_until),
                "feedback_report_at": report_at,
                "positive_share_365": snapshot.as_ref().and_then(|s| s.ratings.days_365.positive_share),
                "negatives_30": snapshot.as_ref().map(|s| s.ratings.days_30.counts.negative),
                "odr_negative_rate": snapshot.as_ref().and_then(|s| s.odr_negative_rate),
                "ratings_as_of": snapshot.as_ref().map(|s| s.ratings.as_of),
            }));
        }
        report.push(json!({
            "seller_id": id,
            "name": account.display_name,
            "state": if account.paused { "paused" } else { "active" },
            "review_requests_pending": open.open,
            "review_requests_due_now": open.due_now,
            "marketplaces": marketplaces,
        }));
    }
    let dlqs = dlq_depths(ctx).await?;
    if ctx.json {
        return print_json(io.out, &json!({"as_of": now, "days": DAYS, "sellers": report, "dead_letter_queues": dlqs}));
    }
    line(io.out, format!("Status at {} UTC (counts: the last {DAYS} days)", time(now)))?;
    for seller in &report {
        line(
            io.out,
            format!(
                "\nseller {} ({}), {}; review requests pending: {} ({} due now)",
                text(&seller["seller_id"]),
                text(&seller["name"]),
                text(&seller["state"]),
                seller["review_requests_pending"],
                seller["review_requests_due_now"]
            ),
        )?;
        let rows: Vec<Vec<String>> = seller["marketplaces"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|m| {
                let skipped = m["skipped"]
                    .as_object()
                    .map(|o| o.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", "))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "0".into());
                vec![
                    text(&m["marketplace"]),
                    m["orders"].to_string(),
                    m["sent"].to_string(),
                    skipped,
                    m["expired"].to_string(),
                    json_time(&m["orders_synced_until"], "never"),
                    json_time(&m["feedback_report_at"], "never"),
                    percent(&m["positive_share_365"]),
                    m["negatives_30"].as_u64().map_or("-".into(), |n| n.to_string()),
                    percent(&m["odr_negative_rate"]),
                ]
            })
            .collect();
        let headers = [
            "mkt",
            "orders",
            "sent",
            "skipped",
            "expired",
            "orders synced to",
            "feedback report",
            "positive 365d",
            "neg 30d",
            "ODR neg",
        ];
        line(io.out, table(&headers, &rows))?;
    }
    if report.is_empty() {
        line(io.out, "\nno sellers yet (add one with `autopilot seller add`)")?;
    }
    let rows: Vec<Vec<String>> = dlqs
        .iter()
        .map(|q| vec![text(&q["queue"]), q["messages"].as_u64().map_or("not configured".into(), |n| n.to_string())])
        .collect();
    line(io.out, format!("\n{}", table(&["dead-letter queue", "messages"], &rows)))
}

fn percent(value: &serde_json::Value) -> String {
    value.as_f64().map_or("-".into(), |v| format!("{:.1} %", v * 100.0))
}

/// Messages in each dead-letter queue (`null` where the deployment names none).
pub async fn dlq_depths(ctx: &Ctx) -> Result<Vec<serde_json::Value>, CliError> {
    let sqs = aws_sdk_sqs::Client::new(&ctx.aws);
    let mut out = Vec::new();
    for (name, url, _) in ctx.deployment.dead_letter_queues() {
        let messages = match url {
            Some(url) => Some(crate::dlq::depth(&sqs, url).await?),
            None => None,
        };
        out.push(json!({"queue": name, "messages": messages}));
    }
    Ok(out)
}
