//! Feedback report parse throughput (MB/s) and triage comments per second. Pure code, no
//! services. Run: `cargo bench -p autopilot-tests --bench feedback`.

use std::time::Instant;

use autopilot_shared::domain::ratings::{DailyBuckets, PositiveBaseline, ratings};
use autopilot_shared::domain::triage::triage;
use autopilot_shared::domain::{FulfillmentChannel, Marketplace};
use autopilot_shared::reports::feedback::parse_feedback_report;

const COMMENTS: &[&str] = &[
    "Package arrived 5 days late",
    "The zipper broke after two days, poor quality",
    "Seller never answered my emails about the refund",
    "This is shit, total garbage",
    "Paket kam zu spät an, Verkäufer antwortet nicht",
    "Call me on +1 206 555 0147 about this",
    "Better tents at www.cheaptents.example.com",
    "OK but the box was damaged",
];

fn report(rows: usize) -> String {
    let mut text = String::from("\u{feff}Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\r\n");
    for n in 0..rows {
        let comment = COMMENTS[n % COMMENTS.len()];
        text.push_str(&format!(
            "{}/{}/26\t{}\t{comment}\t\t111-{:07}-{:07}\trater{n}@marketplace.amazon.com\r\n",
            n % 12 + 1,
            n % 28 + 1,
            n % 3 + 1,
            n % 10_000_000,
            (n * 7) % 10_000_000
        ));
    }
    text
}

fn main() {
    // `cargo test --all-targets` runs this unoptimised as a smoke test: keep that short.
    let rows = if cfg!(debug_assertions) { 10_000 } else { 200_000 };
    let text = report(rows);
    let megabytes = text.len() as f64 / 1_000_000.0;
    let started = Instant::now();
    let parsed = parse_feedback_report(&text, Marketplace::Us).expect("report parses");
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(parsed.feedback.len(), rows);
    println!(
        "feedback report parse: {} rows, {megabytes:.1} MB in {elapsed:.3} s = {:.1} MB/s ({:.0} rows/s)",
        parsed.feedback.len(),
        megabytes / elapsed,
        parsed.feedback.len() as f64 / elapsed
    );

    let started = Instant::now();
    let mut flagged = 0usize;
    for feedback in &parsed.feedback {
        let verdict = triage(&feedback.comment, feedback.rating, "en", FulfillmentChannel::Afn);
        flagged += usize::from(verdict.removable || verdict.strike_through);
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "triage: {} comments in {elapsed:.3} s = {:.0} comments/s ({flagged} flagged)",
        parsed.feedback.len(),
        parsed.feedback.len() as f64 / elapsed
    );

    // Ratings for a seller with a million feedback rows over five years: folding every row into
    // daily buckets (a full rebuild), then the recompute that runs after each report.
    let feedback_rows = if cfg!(debug_assertions) { 50_000 } else { 1_000_000 };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("date");
    let started = Instant::now();
    let mut buckets = DailyBuckets::default();
    for n in 0..feedback_rows {
        buckets.add(today - chrono::Duration::days((n % 1825) as i64), (n % 5 + 1) as u8);
    }
    let rebuild = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let rounds = 100;
    let mut negatives = 0;
    for _ in 0..rounds {
        negatives += ratings(&buckets, today, true, PositiveBaseline::default()).lifetime.counts.negative;
    }
    let recompute = started.elapsed().as_secs_f64() / f64::from(rounds);
    assert!(negatives > 0);
    println!(
        "ratings, {feedback_rows} feedback rows: rebuild from rows {:.1} ms, recompute (30/90/365/lifetime) {:.3} ms",
        rebuild * 1000.0,
        recompute * 1000.0
    );
}
