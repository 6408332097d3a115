//! The commands that need no deployment: reading a notification, a feedback report, triage.

use std::io::Read;

use autopilot_shared::domain::triage::triage;
use autopilot_shared::domain::{FulfillmentChannel, Marketplace};
use autopilot_shared::notifications::{Notification, parse_notification, unwrap_sqs_envelope};
use autopilot_shared::reports::encoding::{decode_report, decode_with, encoding_for_label};
use autopilot_shared::reports::feedback::parse_feedback_report;
use autopilot_shared::reports::{MAX_DOCUMENT_BYTES, gunzip_capped, is_gzip};

/// Printed output and the number of rejected inputs (already reported on stderr).
pub struct Done {
    pub output: String,
    pub rejected: usize,
}

fn read_bytes(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|err| format!("reading standard input: {err}"))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|err| format!("reading {path}: {err}"))
    }
}

fn read_input(path: &str) -> Result<String, String> {
    String::from_utf8(read_bytes(path)?).map_err(|_| format!("{path}: not UTF-8 text"))
}

fn marketplace(value: &str) -> Result<Marketplace, String> {
    Marketplace::from_id_or_code(value).map_err(|err| format!("--marketplace: {err}"))
}

pub fn feedback_report(marketplace_id: &str, encoding: Option<&str>, path: &str) -> Result<Done, String> {
    let marketplace = marketplace(marketplace_id)?;
    let mut bytes = read_bytes(path)?;
    if is_gzip(&bytes) {
        bytes = gunzip_capped(&bytes, MAX_DOCUMENT_BYTES).map_err(|err| format!("{path}: {err}"))?;
    }
    let decoded = match encoding {
        Some(label) => {
            let encoding = encoding_for_label(label).map_err(|err| format!("--encoding: {err}"))?;
            decode_with(&bytes, encoding, "override")
        }
        None => decode_report(&bytes, None, marketplace),
    }
    .map_err(|err| format!("{path}: {err}"))?;
    if decoded.chosen_by == "marketplace" {
        eprintln!(
            "autopilot: {path}: not UTF-8; read as {} ({}'s legacy encoding)",
            decoded.encoding,
            marketplace.code()
        );
    }
    let report = parse_feedback_report(&decoded.text, marketplace).map_err(|err| format!("{path}: {err}"))?;
    let mut output = String::new();
    for feedback in &report.feedback {
        let line = serde_json::json!({
            "date": feedback.date.format("%Y-%m-%d").to_string(),
            "rating": feedback.rating,
            "comment": feedback.comment,
            "response": feedback.response,
            "order_id": feedback.order_id,
        });
        output.push_str(&line.to_string());
        output.push('\n');
    }
    for error in &report.rejected {
        eprintln!("autopilot: {path}: {error}");
    }
    Ok(Done { output: output.trim_end().to_string(), rejected: report.rejected.len() })
}

pub fn triage_lines(marketplace_id: &str, fulfillment: &str) -> Result<Done, String> {
    let marketplace = marketplace(marketplace_id)?;
    let fulfillment: FulfillmentChannel = serde_json::from_value(serde_json::Value::String(fulfillment.to_string()))
        .map_err(|_| format!("--fulfillment: expected AFN or MFN, got {fulfillment:?}"))?;
    let text = read_input("-")?;
    let mut output = String::new();
    let mut rejected = 0;
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let input: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(err) => {
                eprintln!("autopilot: line {}: not JSON: {err}", n + 1);
                rejected += 1;
                continue;
            }
        };
        let comment = input.get("comment").and_then(|c| c.as_str());
        let rating = input.get("rating").and_then(|r| r.as_u64()).filter(|r| (1..=5).contains(r));
        let (Some(comment), Some(rating)) = (comment, rating) else {
            eprintln!("autopilot: line {}: needs \"comment\" (a string) and \"rating\" (1 to 5)", n + 1);
            rejected += 1;
            continue;
        };
        let verdict = triage(comment, rating as u8, marketplace.language(), fulfillment);
        let codes: Vec<&str> = verdict.reasons.iter().map(|g| g.code()).collect();
        let line = serde_json::json!({
            "removable": verdict.removable,
            "strike_through": verdict.strike_through,
            "reasons": codes,
            "evidence": verdict.evidence,
        });
        output.push_str(&line.to_string());
        output.push('\n');
    }
    Ok(Done { output: output.trim_end().to_string(), rejected })
}

pub fn notification(path: &str) -> Result<Done, String> {
    let text = read_input(path)?;
    let body = unwrap_sqs_envelope(&text).map_err(|err| format!("{path}: {err}"))?;
    match parse_notification(&body).map_err(|err| format!("{path}: {err}"))? {
        Notification::OrderChange(change) => serde_json::to_string_pretty(&change)
            .map(|output| Done { output, rejected: 0 })
            .map_err(|err| err.to_string()),
        Notification::Other { notification_type, .. } => {
            Err(format!("{path}: NotificationType: {notification_type:?} is not ORDER_CHANGE"))
        }
    }
}
