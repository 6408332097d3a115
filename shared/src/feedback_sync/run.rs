//! The report lifecycle: request, notice completion (notification or poll), claim, apply.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use futures_util::StreamExt;
use thiserror::Error;
use tokio::time::Instant;

use super::{FEEDBACK_REPORT_TYPE, FeedbackSync, Removals, SyncSummary, apply_report};
use crate::domain::feedback::Feedback;
use crate::domain::ratings::DailyBuckets;
use crate::domain::{Marketplace, SellerAccount};
use crate::events::PublishError;
use crate::notifications::ReportFinished;
use crate::reports::encoding::{DecodeError, decode_report};
use crate::reports::feedback::{ReportError, parse_feedback_report};
use crate::spapi::{CreateReportSpecification, ProcessingStatus, SpApiError};
use crate::store::{Expect, PutOutcome, ReportJob, ReportJobState, StoreError, Versioned};

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Api(#[from] SpApiError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("feedback report {report_id}: {source}")]
    Report { report_id: String, source: ReportError },
    #[error("feedback report {report_id}: {source}")]
    Encoding { report_id: String, source: DecodeError },
    /// The order kept changing under us while we flagged its negative feedback; nothing was
    /// recorded for it, so the next run tries again.
    #[error("order {order_id} was busy; its negative-feedback flag is tried again next run")]
    OrderBusy { order_id: String },
}

impl crate::lambda::Failure for SyncError {
    fn error_type(&self) -> &'static str {
        match self {
            SyncError::Store(err) => err.error_type(),
            SyncError::Api(err) => err.error_type(),
            SyncError::Publish(err) => err.error_type(),
            SyncError::Report { .. } | SyncError::Encoding { .. } => "MalformedReport",
            SyncError::OrderBusy { .. } => "StoreConflict",
        }
    }
}

/// What became of a REPORT_PROCESSING_FINISHED notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationOutcome {
    Applied,
    NoData,
    Failed,
    /// Not a feedback report, not a known seller, or not one of our pending reports (a
    /// duplicate, or already applied by the polling fallback).
    Ignored,
    /// Another worker holds the report.
    NotClaimed,
}

fn idle(job: &ReportJob) -> ReportJob {
    ReportJob { state: ReportJobState::Idle, ..job.clone() }
}

impl FeedbackSync {
    /// One scheduled run over every seller and marketplace until the deadline: request due
    /// reports, poll those whose notification has not come, then the follow-up and snapshot.
    pub async fn run(&self, worker: &str, deadline: Instant) -> Result<SyncSummary, StoreError> {
        // Paused sellers are left alone (see `SellerAccount::paused`).
        let sellers: Vec<SellerAccount> = self.store.list_sellers().await?.into_iter().filter(|s| !s.paused).collect();
        Ok(self.run_sellers(worker, &sellers, deadline).await)
    }

    /// A run over the given sellers only (a fan-out worker's units; see `crate::fanout`).
    pub async fn run_sellers(&self, worker: &str, sellers: &[SellerAccount], deadline: Instant) -> SyncSummary {
        let steps: Vec<(&SellerAccount, Marketplace)> =
            sellers.iter().flat_map(|s| s.marketplaces.iter().map(move |m| (s, *m))).collect();
        let results = futures_util::stream::iter(steps.into_iter().map(|(account, marketplace)| async move {
            let mut summary = SyncSummary::default();
            if Instant::now() >= deadline {
                return summary;
            }
            if let Err(err) = self.step(worker, account, marketplace, deadline, &mut summary).await {
                tracing::error!(seller = %account.seller_id, %marketplace, error = %err, "feedback sync step failed; tried again next run");
                summary.failures += 1;
            }
            summary
        }))
        .buffer_unordered(self.settings.concurrent_sellers.max(1))
        .collect::<Vec<_>>()
        .await;
        let mut summary = SyncSummary::default();
        for result in &results {
            summary.merge(result);
        }
        summary
    }

    async fn step(
        &self,
        worker: &str,
        account: &SellerAccount,
        marketplace: Marketplace,
        deadline: Instant,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let seller = &account.seller_id;
        let now = self.clock.now();
        let job = match self.store.get_report_job(seller, marketplace, FEEDBACK_REPORT_TYPE).await? {
            Some(job) => job,
            None => {
                let job = ReportJob {
                    marketplace,
                    report_type: FEEDBACK_REPORT_TYPE.to_string(),
                    state: ReportJobState::Idle,
                    last_finished_at: None,
                };
                match self.store.put_report_job(seller, &job, Expect::Absent).await? {
                    PutOutcome::Written { version } => Versioned { value: job, version },
                    PutOutcome::Conflict => return Ok(()), // another run is on it
                }
            }
        };
        match &job.value.state {
            ReportJobState::Idle => {
                let due = job.value.last_finished_at.is_none_or(|at| now - at >= self.settings.report_every);
                if due {
                    self.request(account, &job, deadline).await?;
                    summary.reports_requested += 1;
                }
            }
            ReportJobState::Requested { report_id, requested_at, .. }
                if now - *requested_at >= self.settings.poll_after =>
            {
                let report_id = report_id.clone();
                self.poll(worker, account, job, &report_id, deadline, summary).await?;
            }
            ReportJobState::Processing { report_id, lease_until, .. } if now >= *lease_until => {
                let report_id = report_id.clone();
                self.poll(worker, account, job, &report_id, deadline, summary).await?;
            }
            ReportJobState::Requested { .. } | ReportJobState::Processing { .. } => {}
        }
        self.follow_up(account, marketplace, summary).await
    }

    /// createReport for the days not yet final, then record it as requested.
    async fn request(
        &self,
        account: &SellerAccount,
        job: &Versioned<ReportJob>,
        deadline: Instant,
    ) -> Result<(), SyncError> {
        let marketplace = job.value.marketplace;
        let now = self.clock.now();
        let today = now.date_naive();
        let lookback = match job.value.last_finished_at {
            None => self.settings.first_lookback_days,
            Some(_) => self.settings.lookback_days,
        };
        let from = today - Duration::days(lookback);
        // Two days more than applied, so a marketplace whose dates run behind UTC cannot make
        // the report miss feedback dated `from` (which would then look removed).
        let start = (from - Duration::days(2)).and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let api = self.api.seller_calls(account, marketplace.region()).await?;
        let report_id = api
            .create_report(
                &CreateReportSpecification {
                    report_type: FEEDBACK_REPORT_TYPE.to_string(),
                    marketplace_ids: vec![marketplace.id().to_string()],
                    data_start_time: start,
                    data_end_time: None,
                },
                deadline,
            )
            .await?;
        let next = ReportJob {
            state: ReportJobState::Requested { report_id: report_id.clone(), requested_at: now, from, to: today },
            ..job.value.clone()
        };
        if self.store.put_report_job(&account.seller_id, &next, Expect::Version(job.version)).await?
            == PutOutcome::Conflict
        {
            tracing::warn!(seller = %account.seller_id, %marketplace, report_id, "another run requested a report first; this one is left unused");
        }
        Ok(())
    }

    /// The polling fallback: getReport, and if Amazon finished it, claim and finish it.
    async fn poll(
        &self,
        worker: &str,
        account: &SellerAccount,
        job: Versioned<ReportJob>,
        report_id: &str,
        deadline: Instant,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let api = self.api.seller_calls(account, job.value.marketplace.region()).await?;
        let report = api.get_report(report_id, deadline).await?;
        match report.processing_status {
            ProcessingStatus::InQueue | ProcessingStatus::InProgress => {
                let Some(requested_at) = job.value.state.requested_at() else { return Ok(()) };
                if self.clock.now() - requested_at >= self.settings.give_up_after {
                    tracing::warn!(seller = %account.seller_id, report_id, "Amazon has not finished the report; asking again next run");
                    self.store
                        .put_report_job(&account.seller_id, &idle(&job.value), Expect::Version(job.version))
                        .await?;
                    summary.reports_failed += 1;
                }
                Ok(())
            }
            status => self
                .finish(worker, account, job, status, report.report_document_id.as_deref(), deadline, summary)
                .await
                .map(|_| ()),
        }
    }

    /// Handle REPORT_PROCESSING_FINISHED: find the pending job it answers, claim, finish.
    pub async fn on_report_finished(
        &self,
        worker: &str,
        notice: &ReportFinished,
        deadline: Instant,
    ) -> Result<(NotificationOutcome, SyncSummary), SyncError> {
        let mut summary = SyncSummary::default();
        if notice.report_type != FEEDBACK_REPORT_TYPE {
            return Ok((NotificationOutcome::Ignored, summary));
        }
        let Some(account) = self.store.get_seller(&notice.seller_id).await? else {
            tracing::warn!(seller = %notice.seller_id, report_id = notice.report_id, "report of an unknown seller ignored");
            return Ok((NotificationOutcome::Ignored, summary));
        };
        let jobs = self.store.report_jobs(&notice.seller_id).await?;
        let pending = jobs.into_iter().find(|job| job.value.state.report_id() == Some(notice.report_id.as_str()));
        let Some(job) = pending else {
            return Ok((NotificationOutcome::Ignored, summary));
        };
        let marketplace = job.value.marketplace;
        let document = match (&notice.status, &notice.document_id) {
            (ProcessingStatus::Done, None) => {
                let api = self.api.seller_calls(&account, marketplace.region()).await?;
                api.get_report(&notice.report_id, deadline).await?.report_document_id
            }
            (_, document) => document.clone(),
        };
        let outcome =
            self.finish(worker, &account, job, notice.status, document.as_deref(), deadline, &mut summary).await?;
        if outcome != NotificationOutcome::NotClaimed {
            self.follow_up(&account, marketplace, &mut summary).await?;
        }
        Ok((outcome, summary))
    }

    /// Claim a finished report and apply it (DONE), record "no data" (CANCELLED) or give it up
    /// (FATAL). The claim makes a notification and a poll racing for the same report apply it
    /// once.
    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        worker: &str,
        account: &SellerAccount,
        job: Versioned<ReportJob>,
        status: ProcessingStatus,
        document_id: Option<&str>,
        deadline: Instant,
        summary: &mut SyncSummary,
    ) -> Result<NotificationOutcome, SyncError> {
        let seller = &account.seller_id;
        let now = self.clock.now();
        let (report_id, requested_at, from, to) = match &job.value.state {
            ReportJobState::Requested { report_id, requested_at, from, to } => {
                (report_id.clone(), *requested_at, *from, *to)
            }
            ReportJobState::Processing { report_id, requested_at, from, to, lease_until, .. }
                if now >= *lease_until =>
            {
                (report_id.clone(), *requested_at, *from, *to)
            }
            _ => return Ok(NotificationOutcome::NotClaimed),
        };
        let claimed = ReportJob {
            state: ReportJobState::Processing {
                report_id: report_id.clone(),
                requested_at,
                from,
                to,
                lease_until: now + self.settings.lease,
                worker: worker.to_string(),
            },
            ..job.value.clone()
        };
        let version = match self.store.put_report_job(seller, &claimed, Expect::Version(job.version)).await? {
            PutOutcome::Written { version } => version,
            PutOutcome::Conflict => return Ok(NotificationOutcome::NotClaimed),
        };
        let marketplace = job.value.marketplace;
        let (outcome, finished) = match (status, document_id) {
            (ProcessingStatus::Done, Some(document_id)) => {
                match self.apply(account, marketplace, &report_id, document_id, (from, to), deadline, summary).await {
                    Ok(()) => {
                        summary.reports_applied += 1;
                        (NotificationOutcome::Applied, true)
                    }
                    Err(SyncError::Report { report_id, source }) => {
                        // The document itself is unusable; asking again tomorrow is all we can do.
                        tracing::error!(%seller, %marketplace, report_id, error = %source, "feedback report unreadable");
                        summary.reports_failed += 1;
                        (NotificationOutcome::Failed, true)
                    }
                    Err(other) => return Err(other), // transient: the lease runs out, the next run retries
                }
            }
            (ProcessingStatus::Cancelled, _) => {
                // Amazon cancels a report when it has no data. That is not proof that stored
                // feedback was removed (a cancelled report lists nothing), so nothing changes.
                summary.reports_without_data += 1;
                (NotificationOutcome::NoData, true)
            }
            (status, _) => {
                tracing::error!(%seller, %marketplace, report_id, ?status, "Amazon did not produce the report; asking again next run");
                summary.reports_failed += 1;
                (NotificationOutcome::Failed, false)
            }
        };
        let done = ReportJob {
            state: ReportJobState::Idle,
            last_finished_at: if finished { Some(now) } else { job.value.last_finished_at },
            ..job.value.clone()
        };
        if self.store.put_report_job(seller, &done, Expect::Version(version)).await? == PutOutcome::Conflict {
            tracing::warn!(%seller, %marketplace, report_id, "the report's lease ran out before it was recorded as done");
        }
        Ok(outcome)
    }

    /// Download, parse, fold into the store and the rating buckets.
    #[allow(clippy::too_many_arguments)]
    async fn apply(
        &self,
        account: &SellerAccount,
        marketplace: Marketplace,
        report_id: &str,
        document_id: &str,
        (from, to): (NaiveDate, NaiveDate),
        deadline: Instant,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let seller = &account.seller_id;
        let api = self.api.seller_calls(account, marketplace.region()).await?;
        let document = api.fetch_report_document(document_id, deadline).await?;
        // By the download's charset, else UTF-8 when valid, else the marketplace's legacy
        // encoding: never a lossy decode that would hide a word from triage.
        let decoded = decode_report(&document.bytes, document.content_type.as_deref(), marketplace)
            .map_err(|source| SyncError::Encoding { report_id: report_id.to_string(), source })?;
        tracing::debug!(%seller, %marketplace, report_id, encoding = decoded.encoding, chosen_by = decoded.chosen_by, "report decoded");
        let parsed = parse_feedback_report(&decoded.text, marketplace)
            .map_err(|source| SyncError::Report { report_id: report_id.to_string(), source })?;
        for rejected in &parsed.rejected {
            // The line number and the reason only: the row may hold the rater's e-mail.
            tracing::warn!(%seller, %marketplace, report_id, line = rejected.line, reason = %rejected.message, "feedback row skipped");
        }
        summary.rows_rejected += parsed.rejected.len() as u32;
        // A rejected row could be any stored feedback: such a report proves no removal, and its
        // rows alone would undercount the ratings.
        let removals = if parsed.rejected.is_empty() { Removals::Infer } else { Removals::NotFromThisReport };
        if removals == Removals::NotFromThisReport {
            summary.reports_incomplete += 1;
            tracing::warn!(%seller, %marketplace, report_id, rejected = parsed.rejected.len(), "report with rejected rows: no removal inferred from it");
        }
        let rows = latest_per_order(parsed.feedback);
        let now = self.clock.now();
        let changes = apply_report(self.store.as_ref(), seller, marketplace, (from, to), &rows, removals, now).await?;
        summary.feedback_new += changes.new.len() as u32;
        summary.feedback_changed += (changes.changed.len() + changes.restored.len()) as u32;
        summary.feedback_removed += changes.removed.len() as u32;
        let mut buckets = self.store.get_buckets(seller, marketplace).await?.unwrap_or_else(DailyBuckets::default);
        let counted: Vec<(NaiveDate, u8)> = match removals {
            Removals::Infer => rows.iter().map(|f| (f.date, f.rating)).collect(),
            // everything known for those days (the report's readable rows are stored by now)
            Removals::NotFromThisReport => self
                .store
                .feedback_between(seller, marketplace, from, to)
                .await?
                .into_iter()
                .filter(|s| s.removed_at.is_none())
                .map(|s| (s.feedback.date, s.feedback.rating))
                .collect(),
        };
        buckets.replace_days(from, to, counted);
        buckets.fold_before(now.date_naive() - Duration::days(self.settings.bucket_days));
        self.store.put_buckets(seller, marketplace, &buckets).await?;
        tracing::info!(%seller, %marketplace, report_id, new = changes.new.len(), removed = changes.removed.len(), "feedback report applied");
        Ok(())
    }
}

/// One row per order (Amazon allows one feedback per order; a repeated row keeps the last).
fn latest_per_order(rows: Vec<Feedback>) -> Vec<Feedback> {
    let mut by_order: BTreeMap<String, Feedback> = BTreeMap::new();
    for row in rows {
        by_order.insert(row.order_id.to_string(), row);
    }
    by_order.into_values().collect()
}
