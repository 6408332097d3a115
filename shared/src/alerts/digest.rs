//! The seller's digest: what happened over the last day or week (review requests sent and
//! skipped, new negatives, deadlines, removals won, rating alerts) and the ratings per window
//! with their 90-day trend drawn as an inline chart. Pure: built from the digest log's entries
//! and the stored rating snapshots, rendered without AWS.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::chart::{self, Rgb, Series};
use super::mail::{
    InlineImage, Mail, MailKind, button, days, deadline_text, escape, feedback_manager_url, page, ratings_table,
    section, stars, verdict_line,
};
use super::{AlertEvent, DigestEntry};
use crate::domain::ratings::WindowRating;
use crate::domain::{AlertDelivery, Marketplace, SellerAccount, SkipReason};
use crate::events::{FeedbackDeadlineApproaching, FeedbackRemoved, NegativeFeedbackReceived, RatingThresholdCrossed};
use crate::store::RatingSnapshot;

/// Days of rating history the trend chart shows.
pub const TREND_DAYS: i64 = 90;
const CHART_WIDTH: usize = 560;
const CHART_HEIGHT: usize = 160;

/// The whole UTC days a digest covers: `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DigestPeriod {
    /// The `days` days before `today`.
    pub fn ending(today: NaiveDate, days: u32) -> Self {
        Self { from: today - Duration::days(i64::from(days)), to: today }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days()
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.from.and_time(NaiveTime::MIN).and_utc()
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.to.and_time(NaiveTime::MIN).and_utc()
    }

    /// Where the digest looks for entries: the period and the day before it. An event
    /// delivered again after midnight was in the previous digest already; the day before
    /// shows which.
    pub fn look_back_start(&self) -> DateTime<Utc> {
        self.start() - Duration::days(1)
    }

    /// The first day the trend chart shows: `TREND_DAYS` days ending on the digest's day.
    pub fn trend_start(&self) -> NaiveDate {
        self.to - Duration::days(TREND_DAYS - 1)
    }

    fn label(&self) -> String {
        let last = self.to - Duration::days(1);
        if self.from == last { self.from.to_string() } else { format!("{} to {last}", self.from) }
    }

    fn name(&self) -> &'static str {
        if self.days() == 1 { "daily" } else { "weekly" }
    }
}

/// Review requests over the period, summed from the dispatcher's per-seller run events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTotals {
    pub sent: u32,
    pub sent_earlier: u32,
    pub skipped: BTreeMap<SkipReason, u32>,
    pub expired: u32,
}

impl RequestTotals {
    pub fn skipped_total(&self) -> u32 {
        self.skipped.values().sum()
    }
}

/// A marketplace's daily rating snapshots, oldest first; the last is the current one.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingHistory {
    pub marketplace: Marketplace,
    pub snapshots: Vec<RatingSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Digest {
    pub requests: RequestTotals,
    pub negatives: Vec<NegativeFeedbackReceived>,
    pub reminders: Vec<FeedbackDeadlineApproaching>,
    pub removals: Vec<FeedbackRemoved>,
    pub crossings: Vec<RatingThresholdCrossed>,
    pub ratings: Vec<RatingHistory>,
    /// Entries that could not be read (named in the log); the rest of the digest goes on.
    pub unreadable: u32,
}

impl Digest {
    /// The digest of `period` from the log `entries` (read from
    /// [`DigestPeriod::look_back_start`]), each event counted once.
    pub fn collect(period: &DigestPeriod, entries: &[DigestEntry], ratings: Vec<RatingHistory>) -> Self {
        let (start, end) = (period.start(), period.end());
        let earlier: BTreeSet<&str> =
            entries.iter().filter(|e| e.received_at < start).map(|e| e.event_id.as_str()).collect();
        let mut seen = BTreeSet::new();
        let mut digest = Digest { ratings, ..Digest::default() };
        for entry in entries.iter().filter(|e| e.received_at >= start && e.received_at < end) {
            if earlier.contains(entry.event_id.as_str()) || !seen.insert(entry.event_id.as_str()) {
                continue;
            }
            match AlertEvent::parse(&entry.detail_type, entry.detail.clone()) {
                Ok(Some(AlertEvent::Negative(e))) => digest.negatives.push(e),
                Ok(Some(AlertEvent::Deadline(e))) => digest.reminders.push(e),
                Ok(Some(AlertEvent::Removed(e))) => digest.removals.push(e),
                Ok(Some(AlertEvent::Threshold(e))) => digest.crossings.push(e),
                Ok(Some(AlertEvent::Requests(e))) => {
                    let totals = &mut digest.requests;
                    totals.sent += e.sent;
                    totals.sent_earlier += e.sent_earlier;
                    totals.expired += e.expired;
                    for (reason, n) in e.skipped {
                        *totals.skipped.entry(reason).or_default() += n;
                    }
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(event_id = entry.event_id, error = %err, "digest entry unreadable; left out");
                    digest.unreadable += 1;
                }
            }
        }
        digest
    }

    /// Nothing happened and there are no ratings to show: no digest is sent.
    pub fn is_empty(&self) -> bool {
        self.requests == RequestTotals::default()
            && self.negatives.is_empty()
            && self.reminders.is_empty()
            && self.removals.is_empty()
            && self.crossings.is_empty()
            && self.ratings.iter().all(|r| r.snapshots.is_empty())
    }
}

/// What the trend chart shows: the positive share where positives are known, else the
/// count of negative feedback (always known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrendMetric {
    PositiveShare,
    Negatives,
}

const WINDOW_COLORS: [(&str, Rgb); 3] =
    [("30 days", [217, 72, 15]), ("90 days", [25, 100, 171]), ("365 days", [73, 80, 87])];

fn windows(snapshot: &RatingSnapshot) -> [&WindowRating; 3] {
    let r = &snapshot.ratings;
    [&r.days_30, &r.days_90, &r.days_365]
}

fn metric_value(metric: TrendMetric, w: &WindowRating) -> Option<f64> {
    match metric {
        TrendMetric::PositiveShare => w.positive_share.map(|s| s * 100.0),
        TrendMetric::Negatives => Some(w.counts.negative as f64),
    }
}

fn format_value(metric: TrendMetric, value: Option<f64>) -> String {
    match (metric, value) {
        (_, None) => "n/a".into(),
        (TrendMetric::PositiveShare, Some(v)) => format!("{v:.1} %"),
        (TrendMetric::Negatives, Some(v)) => format!("{v:.0}"),
    }
}

/// One series per window over the `TREND_DAYS` days from `first`, a value per day.
fn trend_series(history: &RatingHistory, metric: TrendMetric, first: NaiveDate) -> Vec<Series> {
    let by_day: BTreeMap<NaiveDate, &RatingSnapshot> = history.snapshots.iter().map(|s| (s.ratings.as_of, s)).collect();
    WINDOW_COLORS
        .iter()
        .enumerate()
        .map(|(i, (_, color))| Series {
            color: *color,
            values: (0..TREND_DAYS)
                .map(|d| by_day.get(&(first + Duration::days(d))).and_then(|s| metric_value(metric, windows(s)[i])))
                .collect(),
        })
        .collect()
}

fn content_id(marketplace: Marketplace) -> String {
    format!("trend-{}@feedback-autopilot", marketplace.code())
}

/// The ratings section of one marketplace: the table, the chart and its legend in HTML.
fn ratings_part(history: &RatingHistory, period: &DigestPeriod, images: &mut Vec<InlineImage>) -> (String, String) {
    let Some(current) = history.snapshots.last() else {
        return (String::new(), String::new());
    };
    let code = history.marketplace.code();
    let (table_text, table_html) = ratings_table(&current.ratings);
    let mut text = format!("\n{code}, ratings on {}:\n{table_text}", current.ratings.as_of);
    let mut html = format!(
        "<h3 style=\"font-size:15px;margin:14px 0 4px 0;\">{code} &middot; ratings on {}</h3>{table_html}",
        current.ratings.as_of
    );
    if let Some(rate) = current.odr_negative_rate {
        let line = format!(
            "Negative feedback on {:.2} % of your orders of the last 60 days ({} of {}).",
            rate * 100.0,
            current.negative_orders_60,
            current.orders_60
        );
        let _ = writeln!(text, "{line}");
        let _ = write!(html, "<p style=\"margin:6px 0;font-size:14px;\">{}</p>", escape(&line));
    }
    let metric =
        if windows(current)[2].positive_share.is_some() { TrendMetric::PositiveShare } else { TrendMetric::Negatives };
    let first = period.trend_start();
    let series = trend_series(history, metric, first);
    let oldest = history.snapshots.iter().find(|s| s.ratings.as_of >= first);
    let what = match metric {
        TrendMetric::PositiveShare => "Positive share",
        TrendMetric::Negatives => "Negative feedback",
    };
    if let (Some(png), Some(oldest)) = (chart::line_chart(&series, CHART_WIDTH, CHART_HEIGHT), oldest) {
        let cid = content_id(history.marketplace);
        let _ = write!(
            html,
            "<p style=\"margin:10px 0 2px 0;font-size:14px;color:#374151;\">{what} per window, last {TREND_DAYS} days</p><img src=\"cid:{cid}\" width=\"{CHART_WIDTH}\" alt=\"{what} per window in {code} over the last {TREND_DAYS} days\" style=\"display:block;width:100%;max-width:{CHART_WIDTH}px;height:auto;border:1px solid #e5e7eb;border-radius:4px;\">"
        );
        let _ = writeln!(text, "{what}, {} to {}:", oldest.ratings.as_of, current.ratings.as_of);
        html.push_str("<p style=\"margin:4px 0;font-size:13px;\">");
        for (i, (name, color)) in WINDOW_COLORS.iter().enumerate() {
            let from = format_value(metric, metric_value(metric, windows(oldest)[i]));
            let to = format_value(metric, metric_value(metric, windows(current)[i]));
            let _ = writeln!(text, "- {name}: {from} -> {to}");
            let _ = write!(
                html,
                "<span style=\"white-space:nowrap;margin-right:12px;\"><span style=\"display:inline-block;width:10px;height:10px;background:{};border-radius:2px;\"></span> {name}: {from} &rarr; {to}</span> ",
                chart::hex(*color)
            );
        }
        html.push_str("</p>");
        images.push(InlineImage { content_id: cid, png });
    }
    (text, html)
}

fn humanize(code: &str) -> String {
    code.replace('_', " ")
}

fn tile(label: &str, value: u32, color: &str) -> String {
    format!(
        "<td style=\"width:33%;padding:8px 4px;text-align:center;background:#f9fafb;border:1px solid #e5e7eb;\"><div style=\"font-size:22px;font-weight:700;color:{color};\">{value}</div><div style=\"font-size:12px;color:#374151;\">{}</div></td>",
        escape(label)
    )
}

pub fn digest_mail(seller: &SellerAccount, period: &DigestPeriod, digest: &Digest) -> Mail {
    let subject = format!("Your {} feedback digest for {}: {}", period.name(), seller.display_name, period.label());
    let headline = format!(
        "{} review requests sent, {} new negative feedback, {} removed",
        digest.requests.sent,
        digest.negatives.len(),
        digest.removals.len()
    );
    let mut text = format!("{subject}\n\n{headline}.\n");
    let mut body = String::new();
    let mut images = Vec::new();
    let parts = [
        overview_part(seller, digest),
        attention_part(period, digest),
        removals_part(digest),
        crossings_part(digest),
        requests_part(&digest.requests),
        ratings_parts(period, digest, &mut images),
    ];
    for (part_text, part_html) in parts {
        text.push_str(&part_text);
        body.push_str(&part_html);
    }
    Mail { kind: MailKind::Digest, html: page(&subject, &headline, &body), subject, text, images }
}

/// Each part of the digest: its plain text and its HTML.
type Part = (String, String);

/// The three tiles, and for sellers who take alerts as they happen, that they had these.
fn overview_part(seller: &SellerAccount, digest: &Digest) -> Part {
    let mut text = String::new();
    let mut body = format!(
        "<table role=\"presentation\" style=\"width:100%;border-collapse:separate;border-spacing:4px;margin:0 0 6px 0;\"><tr>{}{}{}</tr></table>",
        tile("review requests sent", digest.requests.sent, "#1d4ed8"),
        tile(
            "new negative feedback",
            digest.negatives.len() as u32,
            if digest.negatives.is_empty() { "#111827" } else { "#b91c1c" }
        ),
        tile("removed", digest.removals.len() as u32, "#15803d"),
    );
    if seller.alert_delivery == AlertDelivery::Instant
        && !(digest.negatives.is_empty() && digest.reminders.is_empty() && digest.crossings.is_empty())
    {
        let note = "You also got a mail for each of these as it happened.";
        let _ = writeln!(text, "{note}");
        let _ = write!(body, "<p style=\"margin:0 0 6px 0;font-size:13px;color:#6b7280;\">{note}</p>");
    }
    (text, body)
}

/// New negatives and deadline reminders, with the days left counted from the digest's day, and
/// a Feedback Manager button per marketplace concerned.
fn attention_part(period: &DigestPeriod, digest: &Digest) -> Part {
    let (mut text, mut body) = (String::new(), String::new());
    if digest.negatives.is_empty() && digest.reminders.is_empty() {
        return (text, body);
    }
    let mut inner = String::new();
    text.push_str("\nNeeds your attention:\n");
    // Days left count from the digest's day, not from when the event was made.
    let today = period.to;
    let left = |date: NaiveDate| match (date - today).num_days() {
        n if n < 0 => "passed".to_string(),
        n => days(n),
    };
    for e in &digest.negatives {
        let f = &e.feedback;
        let next = e.deadlines.iter().filter(|d| d.date >= today).min_by_key(|d| d.date);
        let deadline = match next {
            Some(d) => format!(" {}: {} ({}).", deadline_text(d.kind), d.date, left(d.date)),
            None if e.deadlines.is_empty() => String::new(),
            None => " Its deadlines have passed.".into(),
        };
        let _ = writeln!(
            text,
            "- New {}-star feedback, order {} ({}), {}: \"{}\". {}{deadline}",
            f.rating,
            f.order_id,
            f.marketplace.code(),
            f.feedback_date,
            f.comment,
            verdict_line(&e.triage)
        );
        let _ = write!(
            inner,
            "<div style=\"padding:8px 0;border-bottom:1px solid #e5e7eb;\"><div><span style=\"color:#b45309;\">{}</span> <strong>New {}-star feedback</strong> &middot; order {} &middot; {} &middot; {}</div><div style=\"font-style:italic;overflow-wrap:anywhere;margin:4px 0;\">&ldquo;{}&rdquo;</div><div style=\"font-size:14px;\"><strong>{}</strong>{}</div></div>",
            stars(f.rating),
            f.rating,
            escape(f.order_id.as_str()),
            f.marketplace.code(),
            f.feedback_date,
            escape(&f.comment),
            escape(&verdict_line(&e.triage)),
            escape(&deadline)
        );
    }
    for e in &digest.reminders {
        let f = &e.feedback;
        let d = &e.deadline;
        let line = format!(
            "{} for the {}-star feedback on order {} ({}): {} ({})",
            deadline_text(d.kind),
            f.rating,
            f.order_id,
            f.marketplace.code(),
            d.date,
            left(d.date)
        );
        let _ = writeln!(text, "- {line}");
        let _ = write!(
            inner,
            "<div style=\"padding:8px 0;border-bottom:1px solid #e5e7eb;font-size:15px;\"><strong>Reminder:</strong> {}</div>",
            escape(&line)
        );
    }
    body.push_str(&section("Needs your attention", &inner));
    let markets: BTreeSet<Marketplace> = digest
        .negatives
        .iter()
        .map(|e| e.feedback.marketplace)
        .chain(digest.reminders.iter().map(|e| e.feedback.marketplace))
        .collect();
    for marketplace in markets {
        let url = feedback_manager_url(marketplace);
        let _ = writeln!(text, "Feedback Manager ({}): {url}", marketplace.code());
        body.push_str(&button(&url, &format!("Open Feedback Manager ({})", marketplace.code())));
    }
    (text, body)
}

/// Negatives that vanished from the report, and whether the seller's request likely did it.
fn removals_part(digest: &Digest) -> Part {
    let lines = digest.removals.iter().map(|e| {
        let f = &e.feedback;
        let how = if e.had_grounds {
            "your removal request most likely succeeded"
        } else {
            "most likely removed by the buyer"
        };
        format!("{}-star feedback on order {} ({}): {how}", f.rating, f.order_id, f.marketplace.code())
    });
    list_part("Removed", lines)
}

/// Rating thresholds crossed.
fn crossings_part(digest: &Digest) -> Part {
    let lines = digest
        .crossings
        .iter()
        .map(|e| format!("{}: {}", e.marketplace.code(), super::mail::crossing_text(&e.crossing)));
    list_part("Rating alerts", lines)
}

/// A titled list (nothing when empty): `- line` in the text, a bulleted section in the HTML.
fn list_part(title: &str, lines: impl Iterator<Item = String>) -> Part {
    let (mut text, mut inner) = (String::new(), String::from("<ul style=\"margin:0;padding-left:20px;\">"));
    for line in lines {
        if text.is_empty() {
            let _ = writeln!(text, "\n{title}:");
        }
        let _ = writeln!(text, "- {line}");
        let _ = write!(inner, "<li>{}</li>", escape(&line));
    }
    if text.is_empty() {
        return (String::new(), String::new());
    }
    inner.push_str("</ul>");
    (text, section(title, &inner))
}

/// The review requests of the period: sent, found sent earlier, skipped by reason, expired.
fn requests_part(r: &RequestTotals) -> Part {
    let (mut text, mut body) = (String::new(), String::new());
    let mut inner = format!(
        "<p style=\"margin:0;\">Sent: <strong>{}</strong>{} &middot; skipped: <strong>{}</strong> &middot; window closed before sending: <strong>{}</strong></p>",
        r.sent,
        if r.sent_earlier > 0 { format!(" (and {} found sent earlier)", r.sent_earlier) } else { String::new() },
        r.skipped_total(),
        r.expired
    );
    let _ = writeln!(
        text,
        "\nReview requests: {} sent, {} found sent earlier, {} skipped, {} window closed before sending",
        r.sent,
        r.sent_earlier,
        r.skipped_total(),
        r.expired
    );
    if !r.skipped.is_empty() {
        inner.push_str("<ul style=\"margin:4px 0 0 0;padding-left:20px;font-size:14px;\">");
        for (reason, n) in &r.skipped {
            let _ = writeln!(text, "  - skipped, {}: {n}", humanize(reason.code()));
            let _ = write!(inner, "<li>skipped, {}: {n}</li>", escape(&humanize(reason.code())));
        }
        inner.push_str("</ul>");
    }
    body.push_str(&section("Review requests", &inner));
    (text, body)
}

/// Each marketplace's ratings and trend chart (the charts travel as inline images).
fn ratings_parts(period: &DigestPeriod, digest: &Digest, images: &mut Vec<InlineImage>) -> Part {
    let (mut text, mut ratings_html) = (String::new(), String::new());
    for history in &digest.ratings {
        let (t, h) = ratings_part(history, period, images);
        text.push_str(&t);
        ratings_html.push_str(&h);
    }
    let body = if ratings_html.is_empty() { String::new() } else { section("Your ratings", &ratings_html) };
    (text, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::mail::tests::{feedback, seller};
    use crate::domain::ratings::StarCounts;
    use crate::domain::triage::Verdict;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn at(d: u32, hour: u32) -> DateTime<Utc> {
        day(d).and_hms_opt(hour, 0, 0).unwrap().and_utc()
    }

    fn negative(id: &str, comment: &str) -> AlertEvent {
        AlertEvent::Negative(NegativeFeedbackReceived {
            event_id: id.into(),
            seller_id: seller("s").seller_id,
            feedback: feedback(comment),
            order_date: None,
            fulfillment: None,
            triage: Verdict::default(),
            deadlines: vec![],
        })
    }

    fn requests(id: &str, sent: u32, skipped: &[(SkipReason, u32)]) -> AlertEvent {
        AlertEvent::Requests(crate::events::ReviewRequestsProcessed {
            event_id: id.into(),
            seller_id: seller("s").seller_id,
            sent,
            sent_earlier: 0,
            skipped: skipped.iter().copied().collect(),
            expired: 0,
        })
    }

    fn entry(event: &AlertEvent, received: DateTime<Utc>) -> DigestEntry {
        event.to_entry(received).unwrap()
    }

    fn snapshot(as_of: NaiveDate, negatives_30: u64, share_365: Option<f64>) -> RatingSnapshot {
        let w = |negative: u64, share: Option<f64>| WindowRating {
            counts: StarCounts { positive: 0, neutral: 0, negative },
            positive_share: share,
        };
        RatingSnapshot {
            ratings: crate::domain::ratings::Ratings {
                as_of,
                days_30: w(negatives_30, share_365),
                days_90: w(negatives_30 + 1, share_365),
                days_365: w(negatives_30 + 2, share_365),
                lifetime: w(negatives_30 + 3, share_365),
            },
            odr_negative_rate: Some(0.004),
            orders_60: 500,
            negative_orders_60: 2,
            computed_at: as_of.and_hms_opt(6, 0, 0).unwrap().and_utc(),
        }
    }

    #[test]
    fn each_event_counts_once_and_only_in_its_period() {
        let period = DigestPeriod::ending(day(24), 1); // 2026-11-23
        let entries = vec![
            entry(&negative("late-redelivery", "old"), at(22, 23)), // in the previous digest ...
            entry(&negative("late-redelivery", "old"), at(23, 1)),  // ... delivered again after midnight
            entry(&negative("n1", "Never arrived"), at(23, 9)),
            entry(&negative("n1", "Never arrived"), at(23, 9)), // duplicate delivery
            entry(&requests("r1", 3, &[(SkipReason::DoNotSolicitSku, 1)]), at(23, 10)),
            entry(
                &requests("r2", 2, &[(SkipReason::DoNotSolicitSku, 2), (SkipReason::MarketplaceDisabled, 1)]),
                at(23, 11),
            ),
            DigestEntry {
                received_at: at(23, 12),
                event_id: "bad".into(),
                detail_type: "NegativeFeedbackReceived".into(),
                detail: serde_json::json!({"event_id": "bad"}),
            },
            entry(&negative("tomorrow", "next digest"), at(24, 0)),
        ];
        let digest = Digest::collect(&period, &entries, vec![]);
        assert_eq!(digest.negatives.len(), 1);
        assert_eq!(digest.negatives[0].event_id, "n1");
        assert_eq!(digest.requests.sent, 5);
        assert_eq!(digest.requests.skipped.get(&SkipReason::DoNotSolicitSku), Some(&3));
        assert_eq!(digest.requests.skipped_total(), 4);
        assert_eq!(digest.unreadable, 1, "the bad entry is left out, the rest goes on");
        assert!(!digest.is_empty());
        assert!(Digest::collect(&period, &[], vec![]).is_empty());
    }

    #[test]
    fn the_digest_mail_counts_lists_and_draws_the_trend_inline() {
        let period = DigestPeriod::ending(day(23), 7);
        let history = RatingHistory {
            marketplace: Marketplace::Us,
            snapshots: (0..20).map(|i| snapshot(day(3) + Duration::days(i), i as u64 / 4, None)).collect(),
        };
        let entries = vec![
            entry(&negative("n1", "Box <b>crushed</b>"), at(17, 9)),
            entry(&requests("r1", 12, &[(SkipReason::DoNotSolicitSku, 2)]), at(18, 10)),
        ];
        let digest = Digest::collect(&period, &entries, vec![history]);
        let mut account = seller("Demo Outdoor");
        account.alert_delivery = AlertDelivery::Digest;
        let mail = digest_mail(&account, &period, &digest);
        assert_eq!(mail.kind, MailKind::Digest);
        assert!(
            mail.subject.contains("weekly") && mail.subject.contains("2026-11-16 to 2026-11-22"),
            "{}",
            mail.subject
        );
        assert!(mail.text.contains("12 review requests sent, 1 new negative feedback, 0 removed"), "{}", mail.text);
        assert!(mail.text.contains("skipped, do not solicit sku: 2"));
        assert!(mail.html.contains("Box &lt;b&gt;crushed&lt;/b&gt;"), "buyer text escaped");
        assert!(!mail.html.contains("also got a mail"), "digest-only sellers got no instant mails");
        // the trend: negatives (positives unknown), 30-day window from 0 to 4
        assert!(mail.text.contains("Negative feedback, 2026-11-03 to 2026-11-22"), "{}", mail.text);
        assert!(mail.text.contains("- 30 days: 0 -> 4"), "{}", mail.text);
        assert_eq!(mail.images.len(), 1);
        let image = &mail.images[0];
        assert!(mail.html.contains(&format!("src=\"cid:{}\"", image.content_id)));
        assert!(image.png.starts_with(b"\x89PNG"));
        assert!(!mail.html.contains("src=\"http"), "nothing remote");
        assert!(mail.text.contains("Negative feedback on 0.40 % of your orders of the last 60 days (2 of 500)."));
    }

    #[test]
    fn the_trend_shows_the_positive_share_when_it_is_known() {
        let period = DigestPeriod::ending(day(23), 1);
        let history = RatingHistory {
            marketplace: Marketplace::Us,
            snapshots: vec![snapshot(day(1), 1, Some(0.97)), snapshot(day(22), 1, Some(0.95))],
        };
        let mut account = seller("Demo");
        account.alert_delivery = AlertDelivery::Instant;
        let digest = Digest::collect(&period, &[entry(&negative("n", "late"), at(22, 8))], vec![history]);
        let mail = digest_mail(&account, &period, &digest);
        assert!(mail.subject.contains("daily") && mail.subject.ends_with("2026-11-22"), "{}", mail.subject);
        assert!(mail.text.contains("- 365 days: 97.0 % -> 95.0 %"), "{}", mail.text);
        assert!(mail.html.contains("also got a mail"), "instant sellers are told");
    }

    #[test]
    fn days_left_count_from_the_digest_day() {
        use crate::domain::feedback::DeadlineKind;
        use crate::events::DeadlineStatus;
        let period = DigestPeriod::ending(day(23), 7);
        let mut event = negative("n", "late");
        if let AlertEvent::Negative(e) = &mut event {
            // made on 2026-11-17 with 20 and 50 days left; the first has 14 left on the 23rd
            e.deadlines = vec![
                DeadlineStatus { kind: DeadlineKind::BuyerRemoval, date: day(7) + Duration::days(30), days_left: 20 },
                DeadlineStatus { kind: DeadlineKind::RemovalRequest, date: day(7) + Duration::days(60), days_left: 50 },
            ];
        }
        let digest = Digest::collect(&period, &[entry(&event, at(17, 9))], vec![]);
        let mail = digest_mail(&seller("Demo"), &period, &digest);
        assert!(mail.text.contains("Last day the buyer can remove it: 2026-12-07 (14 days left)"), "{}", mail.text);
        let old = DigestPeriod::ending(NaiveDate::from_ymd_opt(2027, 1, 20).unwrap(), 70);
        let digest = Digest::collect(&old, &[entry(&event, at(17, 9))], vec![]);
        assert!(digest_mail(&seller("Demo"), &old, &digest).text.contains("Its deadlines have passed."));
    }
}
