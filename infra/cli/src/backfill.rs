//! `autopilot backfill --seller ID --since DATE`: a seller's past orders through the same
//! recorder as notifications (searchOrders, Orders v2026-01-01, within its usage plan), with a
//! progress bar and an ETA on a terminal and one line a page otherwise. Ctrl-C stops after the
//! page in hand; the same command again resumes at the next page.

use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::time::Duration as StdDuration;

use autopilot_shared::capture::{OrderSync, PageDone, SellerPoll, SyncReport, SyncSettings};
use autopilot_shared::domain::Marketplace;
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use serde_json::json;
use tokio::time::Instant;

use crate::output::{json as print_json, line};
use crate::{CliError, Ctx, Io, failed};

#[derive(Args)]
pub struct BackfillArgs {
    #[arg(long, value_name = "SELLER_ID")]
    seller: String,
    /// The first day (YYYY-MM-DD, UTC) of the orders to record.
    #[arg(long, value_name = "DATE")]
    since: String,
    /// Only this marketplace (default: all of the seller's).
    #[arg(long)]
    marketplace: Option<String>,
    /// Orders per searchOrders page (1 to 100).
    #[arg(long, default_value_t = 100)]
    page_size: u8,
}

/// searchOrders looks back at most this far (Orders v2026-01-01 keeps two years).
const MAX_LOOKBACK_DAYS: i64 = 730;

pub async fn run(ctx: &Ctx, args: BackfillArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let now = ctx.clock.now();
    let since_day = NaiveDate::parse_from_str(&args.since, "%Y-%m-%d")
        .map_err(|_| CliError::Refused(format!("--since: {:?} is not a date (YYYY-MM-DD)", args.since)))?;
    let since = since_day.and_time(chrono::NaiveTime::MIN).and_utc();
    if since >= now {
        return Err(CliError::Refused(format!("--since: {since_day} is not in the past")));
    }
    if (now - since).num_days() > MAX_LOOKBACK_DAYS {
        return Err(CliError::Refused(format!("--since: {since_day} is more than {MAX_LOOKBACK_DAYS} days ago")));
    }
    if !(1..=100).contains(&args.page_size) {
        return Err(CliError::Refused(format!("--page-size: {} is not from 1 to 100", args.page_size)));
    }
    let account = crate::seller_flag(ctx, &args.seller).await?;
    let id = account.seller_id.clone();
    let marketplaces: Vec<Marketplace> = match &args.marketplace {
        Some(value) => {
            let m = Marketplace::from_id_or_code(value)
                .map_err(|err| CliError::Refused(format!("--marketplace: {err}")))?;
            if !account.marketplaces.contains(&m) {
                return Err(CliError::Refused(format!("--marketplace: {} is not one of the seller's", m.code())));
            }
            vec![m]
        }
        None => account.marketplaces.clone(),
    };
    let sync = OrderSync {
        api: ctx.api.clone(),
        orders: ctx.store.clone(),
        sellers: ctx.store.clone(),
        checkpoints: ctx.store.clone(),
        volume: ctx.store.clone(),
        outcomes: ctx.store.clone(),
        clock: ctx.clock.clone(),
        settings: SyncSettings::default(),
    };
    let recorder = sync.recorder();
    let mut results = Vec::new();
    let mut interrupted = false;
    for marketplace in marketplaces {
        let api =
            ctx.api.seller(&account, marketplace.region()).await.map_err(failed("the seller's SP-API credentials"))?;
        let poll = SellerPoll {
            api: api.as_ref(),
            recorder: &recorder,
            seller: &account,
            marketplace,
            now,
            // Hours: the client waits for searchOrders' usage plan between pages.
            deadline: Instant::now() + StdDuration::from_secs(24 * 3600),
        };
        let bar = progress(io.tty, marketplace);
        let started = std::time::Instant::now();
        let flag = io.interrupted.clone();
        let err = &mut *io.err;
        let mut on_page = |page: &PageDone| {
            report_page(&bar, page, marketplace, started, err);
            if flag.load(Ordering::SeqCst) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        };
        let report = sync.backfill(&poll, since, args.page_size, &mut on_page).await;
        bar.finish_and_clear();
        let report = report.map_err(failed("backfill"))?;
        interrupted = report.stopped_early && io.interrupted.load(Ordering::SeqCst);
        results.push((marketplace, report));
        if interrupted || results.last().is_some_and(|(_, r)| r.stopped_early) {
            break;
        }
    }
    let summary: Vec<_> = results
        .iter()
        .map(|(m, r)| {
            json!({"marketplace": m.code(), "pages": r.pages, "orders_seen": r.orders_seen, "recorded": r.recorded,
                   "unchanged": r.unchanged, "rejected": r.rejected, "complete": !r.stopped_early})
        })
        .collect();
    if ctx.json {
        print_json(io.out, &json!({"seller_id": id, "since": since_day, "marketplaces": summary}))?;
    } else {
        for (m, r) in &results {
            line(io.out, summary_line(*m, r))?;
        }
    }
    if interrupted {
        return Err(CliError::Interrupted(format!(
            "interrupted; `autopilot backfill --seller {id} --since {since_day}` resumes at the next page"
        )));
    }
    if let Some((m, _)) = results.iter().find(|(_, r)| r.stopped_early) {
        return Err(CliError::Failed(format!(
            "{}: searchOrders stopped early (throttled or unavailable); run the same command again to resume",
            m.code()
        )));
    }
    Ok(())
}

fn summary_line(m: Marketplace, r: &SyncReport) -> String {
    format!(
        "{}: {} page(s), {} orders seen, {} recorded or updated, {} unchanged, {} unreadable{}",
        m.code(),
        r.pages,
        r.orders_seen,
        r.recorded,
        r.unchanged,
        r.rejected,
        if r.stopped_early { " (stopped; resumes)" } else { " (complete)" }
    )
}

/// A bar over the time range searched (searchOrders pages run oldest change first), or hidden
/// when standard output is not a terminal (then one line per page goes to standard error).
fn progress(tty: bool, marketplace: Marketplace) -> indicatif::ProgressBar {
    if !tty {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(1000);
    let style = indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {percent:>3}% {msg} (ETA {eta})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(marketplace.code());
    bar
}

fn report_page(
    bar: &indicatif::ProgressBar,
    page: &PageDone,
    marketplace: Marketplace,
    started: std::time::Instant,
    err: &mut (dyn std::io::Write + Send),
) {
    let span = (page.to - page.from).num_seconds().max(1) as f64;
    let reached: DateTime<Utc> = page.newest_update.unwrap_or(page.from).clamp(page.from, page.to);
    let share = (reached - page.from).num_seconds() as f64 / span;
    let r = &page.report;
    if bar.is_hidden() {
        let _ = writeln!(
            err,
            "{} page {}: {} orders seen, {} recorded, through {} ({:.0} %, {:.0} s)",
            marketplace.code(),
            r.pages,
            r.orders_seen,
            r.recorded,
            reached.format("%Y-%m-%d %H:%M"),
            share * 100.0,
            started.elapsed().as_secs_f64()
        );
        let _ = err.flush();
    } else {
        bar.set_position((share * 1000.0) as u64);
        bar.set_message(format!("page {}, {} orders", r.pages, r.orders_seen));
    }
}
