//! `autopilot explain ORDER_ID [--seller ID]`: what happened to one order and why. The record
//! holds no buyer data, so neither does this.

use autopilot_shared::domain::dispatch::plan;
use autopilot_shared::domain::{FulfillmentChannel, Order, OrderEventKind, OrderId, ReviewRequest, SellerAccount};
use autopilot_shared::store::{FeedbackStore, OrderRepository, StoredFeedback};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::output::{json as print_json, json_time, line, table, text, time};
use crate::{CliError, Ctx, Io, failed};

pub async fn run(ctx: &Ctx, order_id: &str, seller: Option<&str>, io: &mut Io<'_>) -> Result<(), CliError> {
    let order_id = OrderId::parse(order_id).map_err(|err| CliError::Refused(format!("ORDER_ID: {err}")))?;
    let candidates = crate::sellers_covered(ctx, seller).await?;
    let mut found = None;
    for account in candidates {
        if let Some(order) =
            ctx.store.get_order(&account.seller_id, &order_id).await.map_err(failed("reading the order"))?
        {
            found = Some((account, order.value));
            break;
        }
    }
    let Some((account, order)) = found else {
        return Err(CliError::Refused(format!(
            "order {order_id} is not recorded{} (a backfill records past orders: `autopilot backfill`)",
            seller.map(|s| format!(" for seller {s}")).unwrap_or_default()
        )));
    };
    let now = ctx.clock.now();
    let feedback = feedback_of(ctx, &order).await?;
    let story = story(&account, &order, feedback.as_ref(), now);
    if ctx.json {
        return print_json(io.out, &story);
    }
    print(&story, io)
}

/// The order's feedback, if any was received (searched from its purchase day to today).
async fn feedback_of(ctx: &Ctx, order: &Order) -> Result<Option<StoredFeedback>, CliError> {
    let from = order.purchase_date.date_naive();
    let to = ctx.clock.now().date_naive().max(from);
    let all = ctx
        .store
        .feedback_between(&order.seller_id, order.marketplace, from, to)
        .await
        .map_err(failed("reading the feedback"))?;
    Ok(all.into_iter().find(|f| f.feedback.order_id == order.order_id))
}

fn channel(fulfillment: FulfillmentChannel) -> &'static str {
    match fulfillment {
        FulfillmentChannel::Afn => "FBA (AFN)",
        FulfillmentChannel::Mfn => "seller-fulfilled (MFN)",
    }
}

/// The decision in words, with what it rests on.
fn decision(account: &SellerAccount, order: &Order) -> (String, Option<DateTime<Utc>>) {
    let policy = &account.review_requests;
    match &order.review_request {
        ReviewRequest::AwaitingShipment => ("waiting for the order to ship".into(), None),
        ReviewRequest::Pending { due_at, needs_delivery_dates }
        | ReviewRequest::Claimed { due_at, needs_delivery_dates, .. } => {
            let planned = plan(order, policy);
            let basis = match (planned.window, order.fulfillment) {
                (Some(window), _) => format!(
                    "due {}: {} days after the latest delivery estimate, inside Amazon's window {} .. {}",
                    time(*due_at),
                    policy.delay_days,
                    time(window.opens_at),
                    time(window.closes_at)
                ),
                (None, FulfillmentChannel::Afn) => format!(
                    "due {}: Amazon shows FBA orders no delivery dates, so planned from the ship time + {} days' transit + {} days' delay; Amazon is asked then and every {} h until {}",
                    time(*due_at),
                    policy.asking.transit(order.marketplace).num_days(),
                    policy.delay_days,
                    policy.asking.ask_every_hours,
                    time(planned.cutoff)
                ),
                (None, FulfillmentChannel::Mfn) => format!(
                    "due {}: no delivery dates yet{}; planned from the ship time until {}",
                    time(*due_at),
                    if *needs_delivery_dates { " (getOrder is asked for them once)" } else { "" },
                    time(planned.cutoff)
                ),
            };
            let claimed = matches!(order.review_request, ReviewRequest::Claimed { .. });
            (if claimed { format!("being sent now; {basis}") } else { basis }, Some(*due_at))
        }
        ReviewRequest::Sent { sent_at, sent_earlier } => (
            if *sent_earlier {
                format!("sent: Amazon answered {} that a request had already been sent", time(*sent_at))
            } else {
                format!("sent {}", time(*sent_at))
            },
            None,
        ),
        ReviewRequest::Skipped { reason, decided_at } => {
            (format!("not asked: {} (decided {})", reason.code(), time(*decided_at)), None)
        }
        ReviewRequest::Expired { at, reason } => {
            (format!("expired {}: {}", time(*at), reason.map_or("window_closed", |r| r.code())), None)
        }
    }
}

fn story(
    account: &SellerAccount,
    order: &Order,
    feedback: Option<&StoredFeedback>,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let (decision, next_due) = decision(account, order);
    let history: Vec<serde_json::Value> = order
        .history
        .iter()
        .map(|e| {
            let what = match &e.what {
                OrderEventKind::Changed { source, status } => {
                    format!(
                        "{status:?} recorded from {}",
                        serde_json::to_value(source)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    )
                }
                OrderEventKind::Refunded => "refund posted (Finances)".to_string(),
                OrderEventKind::Amazon { answer } => answer.describe().to_string(),
            };
            json!({"at": e.at, "event": what})
        })
        .collect();
    let feedback = feedback.map(|f| {
        let verdict = f.follow_up.as_ref().map(|u| &u.triage);
        let actionable = verdict.is_some_and(|v| v.removable || v.strike_through);
        let deadlines: Vec<serde_json::Value> = if f.feedback.rating <= 3 {
            account
                .feedback
                .deadlines
                .for_feedback(f.feedback.date, actionable)
                .iter()
                .map(|d| json!({"kind": d.kind.code(), "date": d.date, "days_left": (d.date - now.date_naive()).num_days()}))
                .collect()
        } else {
            Vec::new()
        };
        json!({
            "date": f.feedback.date,
            "rating": f.feedback.rating,
            "removed_at": f.removed_at,
            "triaged": verdict.is_some(),
            "removable": verdict.is_some_and(|v| v.removable),
            "strike_through": verdict.is_some_and(|v| v.strike_through),
            "reasons": verdict.map(|v| v.reasons.iter().map(|g| g.code()).collect::<Vec<_>>()).unwrap_or_default(),
            "evidence": verdict.map(|v| v.evidence.clone()).unwrap_or_default(),
            "deadlines": deadlines,
        })
    });
    json!({
        "order_id": order.order_id,
        "seller_id": order.seller_id,
        "marketplace": order.marketplace.code(),
        "fulfillment": channel(order.fulfillment),
        "status": format!("{:?}", order.status),
        "purchased_at": order.purchase_date,
        "shipped_at": order.shipped_at,
        "refunded_at": order.refunded_at,
        "delivery_estimate": order.delivery.known().map(|(e, l)| json!({"earliest": e, "latest": l})),
        "history": history,
        "review_request": {
            "state": order.review_request.state_name(),
            "decision": decision,
            "next_due": next_due,
            "questions_to_amazon": order.solicitation_checks,
        },
        "feedback": feedback,
    })
}

fn print(story: &serde_json::Value, io: &mut Io<'_>) -> Result<(), CliError> {
    let s = text;
    let t = |v: &serde_json::Value| json_time(v, "-");
    line(
        io.out,
        format!(
            "order {} of seller {} in {}, {}: {}",
            s(&story["order_id"]),
            s(&story["seller_id"]),
            s(&story["marketplace"]),
            s(&story["fulfillment"]),
            s(&story["status"])
        ),
    )?;
    line(io.out, format!("  purchased {}, shipped {}", t(&story["purchased_at"]), t(&story["shipped_at"])))?;
    let estimate = match story["delivery_estimate"].as_object() {
        Some(e) => format!("{} .. {}", t(&e["earliest"]), t(&e["latest"])),
        None => "none".into(),
    };
    line(io.out, format!("  delivery estimate: {estimate}"))?;
    if !story["refunded_at"].is_null() {
        line(io.out, format!("  refunded {}", t(&story["refunded_at"])))?;
    }
    let rows: Vec<Vec<String>> = story["history"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| vec![t(&e["at"]), s(&e["event"])])
        .collect();
    line(io.out, format!("\n{}", table(&["time (UTC)", "what happened"], &rows)))?;
    let request = &story["review_request"];
    line(io.out, format!("\nreview request: {}", s(&request["decision"])))?;
    line(io.out, format!("  checks with Amazon (getSolicitationActionsForOrder): {}", request["questions_to_amazon"]))?;
    match story["feedback"].as_object() {
        None => line(io.out, "\nfeedback: none received"),
        Some(f) => {
            line(io.out, format!("\nfeedback: {}-star on {}", f["rating"], s(&f["date"])))?;
            if !f["removed_at"].is_null() {
                line(io.out, format!("  removed (gone from the report) {}", t(&f["removed_at"])))?;
            }
            if f["triaged"] == json!(true) {
                let verdict = if f["removable"] == json!(true) {
                    "removable"
                } else if f["strike_through"] == json!(true) {
                    "strike-through (Amazon strikes it through)"
                } else {
                    "not removable"
                };
                let reasons: Vec<String> = f["reasons"].as_array().into_iter().flatten().map(s).collect();
                line(
                    io.out,
                    format!(
                        "  triage: {verdict}{}",
                        if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) }
                    ),
                )?;
                for evidence in f["evidence"].as_array().into_iter().flatten() {
                    line(io.out, format!("  evidence: {}", s(evidence)))?;
                }
            }
            for d in f["deadlines"].as_array().into_iter().flatten() {
                line(
                    io.out,
                    format!("  deadline {}: {} ({})", s(&d["kind"]), s(&d["date"]), days_left(&d["days_left"])),
                )?;
            }
            Ok(())
        }
    }
}

/// "1 day left", "3 days left", "passed 2 days ago".
fn days_left(value: &serde_json::Value) -> String {
    match value.as_i64() {
        Some(1) => "1 day left".into(),
        Some(n) if n >= 0 => format!("{n} days left"),
        Some(-1) => "passed yesterday".into(),
        Some(n) => format!("passed {} days ago", -n),
        None => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::days_left;
    use serde_json::json;

    #[test]
    fn days_left_reads_as_english() {
        let said: Vec<String> = [3, 1, 0, -1, -4].iter().map(|n| days_left(&json!(n))).collect();
        assert_eq!(said, ["3 days left", "1 day left", "0 days left", "passed yesterday", "passed 4 days ago"]);
        assert_eq!(days_left(&json!(null)), "unknown");
    }
}
