//! Fan-out for many sellers: a scheduled coordinator enqueues one unit of work per seller on an
//! SQS FIFO queue, and the worker functions take them.
//!
//! Why SQS FIFO: each unit's message group is its seller, so SQS hands a seller's units out one
//! at a time (a seller's work stays serial, within its own SP-API usage plan) while units of
//! different sellers run in parallel, up to the event source's maximum concurrency. The
//! deduplication id names the job, the seller and the scheduled time, so a coordinator retried
//! by Lambda does not enqueue the same work twice. Each unit is one seller: a worker invocation
//! needs a fraction of Lambda's 15 minutes however many sellers there are.
//! (Step Functions' Distributed Map would add a state machine and a charge per state
//! transition; EventBridge Scheduler would need one schedule per seller to keep in step with
//! the seller accounts.)

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::{Clock, SellerAccount, SellerId};
use crate::lambda::Failure;
use crate::store::{SellerDirectory, StoreError};

/// Most units a worker invocation is handed (each worker's SQS event source has this
/// `BatchSize` in template.yaml). A worker runs a batch's sellers at the same time, so its
/// invocation takes about one seller's run, not ten.
pub const UNITS_PER_BATCH: usize = 10;

/// The scheduled jobs that fan out, one worker function each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Job {
    /// Review requests (the solicit function).
    Solicit,
    /// The searchOrders reconciliation and refunds poll (order-sync).
    OrderSync,
    /// Feedback reports, follow-up and ratings (feedback-sync).
    FeedbackSync,
    /// The sellers' digests (alerts).
    Digest,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::Solicit, Job::OrderSync, Job::FeedbackSync, Job::Digest];

    pub fn name(self) -> &'static str {
        match self {
            Job::Solicit => "solicit",
            Job::OrderSync => "order-sync",
            Job::FeedbackSync => "feedback-sync",
            Job::Digest => "digest",
        }
    }

    /// The environment variable holding the URL of the job's work queue (the coordinator's).
    pub fn queue_variable(self) -> &'static str {
        match self {
            Job::Solicit => "AUTOPILOT_SOLICIT_WORK_QUEUE",
            Job::OrderSync => "AUTOPILOT_ORDER_SYNC_WORK_QUEUE",
            Job::FeedbackSync => "AUTOPILOT_FEEDBACK_SYNC_WORK_QUEUE",
            Job::Digest => "AUTOPILOT_DIGEST_WORK_QUEUE",
        }
    }

    /// Whether the job has work for this seller today: paused sellers get no SP-API work; a
    /// digest goes only to sellers whose digest is due.
    pub fn covers(self, seller: &SellerAccount, now: DateTime<Utc>) -> bool {
        match self {
            Job::Solicit | Job::OrderSync | Job::FeedbackSync => !seller.paused,
            Job::Digest => seller.digest.period_days(seller.alert_delivery, now.date_naive()).is_some(),
        }
    }
}

/// One seller's share of one scheduled run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkUnit {
    pub job: Job,
    pub seller_id: SellerId,
    /// When the coordinator ran (the run the unit belongs to).
    pub scheduled_at: DateTime<Utc>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WorkUnitError {
    #[error("the message has no body")]
    NoBody,
    #[error("not a work unit: {0}")]
    Unreadable(String),
    #[error("a {found} unit reached the {expected} worker")]
    WrongJob { expected: &'static str, found: &'static str },
}

impl WorkUnit {
    /// The SQS message group: the seller, so its units run one at a time.
    pub fn group_id(&self) -> &str {
        self.seller_id.as_str()
    }

    /// The SQS deduplication id: the same job, seller and run is enqueued once.
    pub fn deduplication_id(&self) -> String {
        format!("{}-{}-{}", self.job.name(), self.seller_id, self.scheduled_at.timestamp())
    }

    pub fn to_body(&self) -> String {
        serde_json::json!({
            "job": self.job,
            "seller_id": self.seller_id,
            "scheduled_at": self.scheduled_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        })
        .to_string()
    }

    /// A message body as a unit of `expected` (the error names what was wrong, never the body).
    pub fn parse(body: Option<&str>, expected: Job) -> Result<Self, WorkUnitError> {
        let body = body.ok_or(WorkUnitError::NoBody)?;
        let unit: WorkUnit = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(body))
            .map_err(|err| WorkUnitError::Unreadable(format!("{}: {}", err.path(), err.inner().classify_text())))?;
        if unit.job != expected {
            return Err(WorkUnitError::WrongJob { expected: expected.name(), found: unit.job.name() });
        }
        Ok(unit)
    }

    /// Whether a message body looks like a work unit at all (it names a `job`), for a queue
    /// function that also takes Amazon's notifications.
    pub fn looks_like(body: Option<&str>) -> bool {
        body.and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .is_some_and(|v| v.get("job").is_some() && v.get("seller_id").is_some())
    }
}

impl Failure for WorkUnitError {
    fn error_type(&self) -> &'static str {
        "NotAWorkUnit"
    }
}

trait ClassifyText {
    fn classify_text(&self) -> String;
}

impl ClassifyText for serde_json::Error {
    /// serde's message without the value it saw (which could be anything).
    fn classify_text(&self) -> String {
        match self.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not JSON".into(),
            serde_json::error::Category::Io => "unreadable".into(),
            // Data errors quote the value they saw (which could be anything): the path names
            // the field, this says only what kind of problem it was.
            serde_json::error::Category::Data if self.to_string().starts_with("missing field") => {
                "missing field".into()
            }
            serde_json::error::Category::Data => "invalid value".into(),
        }
    }
}

#[derive(Debug, Error)]
pub enum QueueError {
    #[error("SQS {operation} failed: {message}")]
    Sqs { operation: &'static str, message: String },
}

/// Where units go: the job's work queue.
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Enqueue `units`; returns how many SQS refused (after its own retry).
    async fn enqueue(&self, units: &[WorkUnit]) -> Result<u32, QueueError>;
}

/// A FIFO work queue on SQS: SendMessageBatch, ten at a time, the seller as the message group.
pub struct SqsWorkQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsWorkQueue {
    pub fn new(sdk: &aws_config::SdkConfig, url: &str) -> Self {
        Self::on(aws_sdk_sqs::Client::new(sdk), url)
    }

    /// The queue at `url` through an existing client (clients are cheap to clone and share
    /// their connections).
    pub fn on(client: aws_sdk_sqs::Client, url: &str) -> Self {
        Self { client, url: url.to_string() }
    }
}

#[async_trait]
impl WorkQueue for SqsWorkQueue {
    async fn enqueue(&self, units: &[WorkUnit]) -> Result<u32, QueueError> {
        let mut refused = 0;
        for chunk in units.chunks(10) {
            let mut pending: Vec<(String, &WorkUnit)> =
                chunk.iter().enumerate().map(|(i, u)| (i.to_string(), u)).collect();
            // Entries SQS refuses with a sender fault stay refused; the others are tried once more.
            for attempt in 0..2 {
                let entries = pending
                    .iter()
                    .map(|(id, unit)| {
                        aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                            .id(id)
                            .message_body(unit.to_body())
                            .message_group_id(unit.group_id())
                            .message_deduplication_id(unit.deduplication_id())
                            .build()
                            .map_err(|err| QueueError::Sqs { operation: "SendMessageBatch", message: err.to_string() })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let sent = self
                    .client
                    .send_message_batch()
                    .queue_url(&self.url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|err| QueueError::Sqs {
                        operation: "SendMessageBatch",
                        message: aws_sdk_sqs::error::DisplayErrorContext(&err).to_string(),
                    })?;
                let failed = sent.failed();
                if failed.is_empty() {
                    break;
                }
                let retry: BTreeSet<&str> = failed.iter().filter(|f| !f.sender_fault()).map(|f| f.id()).collect();
                for f in failed {
                    tracing::warn!(
                        code = f.code(),
                        sender_fault = f.sender_fault(),
                        attempt,
                        "SQS refused a work unit"
                    );
                }
                if attempt == 1 || retry.is_empty() {
                    refused += failed.len() as u32;
                    break;
                }
                refused += (failed.len() - retry.len()) as u32;
                pending.retain(|(id, _)| retry.contains(id.as_str()));
            }
        }
        Ok(refused)
    }
}

#[derive(Debug, Error)]
pub enum FanOutError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl Failure for FanOutError {
    fn error_type(&self) -> &'static str {
        match self {
            FanOutError::Store(err) => err.error_type(),
            FanOutError::Queue(_) => "QueueUnavailable",
        }
    }
}

/// What one coordinator run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FanOutSummary {
    pub job: Job,
    pub sellers: u32,
    pub enqueued: u32,
    /// Sellers the job has no work for (paused; digest not due).
    pub not_covered: u32,
    /// Units SQS refused (they wait for the next run).
    pub refused: u32,
}

/// The coordinator: one unit per seller the job covers.
pub struct FanOut {
    pub sellers: Arc<dyn SellerDirectory>,
    pub clock: Arc<dyn Clock>,
}

impl FanOut {
    pub async fn fan_out(&self, job: Job, queue: &dyn WorkQueue) -> Result<FanOutSummary, FanOutError> {
        let now = self.clock.now();
        let sellers = self.sellers.list_sellers().await?;
        let units: Vec<WorkUnit> = sellers
            .iter()
            .filter(|s| job.covers(s, now))
            .map(|s| WorkUnit { job, seller_id: s.seller_id.clone(), scheduled_at: now })
            .collect();
        let refused = queue.enqueue(&units).await?;
        let summary = FanOutSummary {
            job,
            sellers: sellers.len() as u32,
            enqueued: units.len() as u32 - refused,
            not_covered: (sellers.len() - units.len()) as u32,
            refused,
        };
        tracing::info!(job = job.name(), sellers = summary.sellers, enqueued = summary.enqueued, refused, "fanned out");
        Ok(summary)
    }
}

/// The accounts a worker's units name, each once, as stored now: unknown sellers (removed since
/// the run was scheduled) and those the job no longer covers (paused since) are left out.
pub async fn accounts_for(
    units: &[WorkUnit],
    sellers: &dyn SellerDirectory,
    now: DateTime<Utc>,
) -> Result<Vec<SellerAccount>, StoreError> {
    let mut seen = BTreeSet::new();
    let mut accounts = Vec::new();
    for unit in units {
        if !seen.insert(unit.seller_id.clone()) {
            continue;
        }
        match sellers.get_seller(&unit.seller_id).await? {
            Some(account) if unit.job.covers(&account, now) => accounts.push(account),
            Some(_) => tracing::info!(seller = %unit.seller_id, job = unit.job.name(), "not covered any more; skipped"),
            None => tracing::info!(seller = %unit.seller_id, job = unit.job.name(), "no such seller any more; skipped"),
        }
    }
    Ok(accounts)
}

/// A worker's batch of units as read: the units, and the messages that were not units of its
/// job (logged by id and reason, never body, and reported in `batchItemFailures` so SQS
/// retries them and then moves them to the work DLQ).
#[derive(Debug)]
pub struct UnitBatch {
    pub units: Vec<WorkUnit>,
    pub response: SqsBatchResponse,
}

/// A worker's answer: for Lambda, the batch's messages that were not units (`batchItemFailures`);
/// for the caller, the run's summary.
#[derive(Debug, Serialize)]
pub struct WorkDone<S> {
    #[serde(flatten)]
    pub response: SqsBatchResponse,
    #[serde(skip)]
    pub summary: S,
}

pub async fn read_units(event: SqsEvent, job: Job) -> UnitBatch {
    let batch = crate::lambda::each_message(event, |body| async move { WorkUnit::parse(body.as_deref(), job) }).await;
    UnitBatch { units: batch.outcomes, response: batch.response }
}

/// What invokes a worker that runs on a schedule too: a batch of work units (it has `Records`)
/// or anything else (the schedule: a run over every seller, for small deployments and local
/// runs).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum WorkerTrigger {
    Work(SqsEvent),
    Schedule(serde_json::Value),
}

/// Such a worker's answer: the batch's messages that were not work units, or the run's summary.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum WorkerAnswer<S> {
    Batch(WorkDone<S>),
    Run(S),
}

impl<S> WorkerAnswer<S> {
    /// The run's summary, whichever way the function was invoked.
    pub fn into_summary(self) -> S {
        match self {
            WorkerAnswer::Batch(done) => done.summary,
            WorkerAnswer::Run(summary) => summary,
        }
    }
}

/// The sellers whose unit in `event` was received before (SQS's `ApproximateReceiveCount` above
/// one): the invocation that had it died or failed, possibly in the middle of the seller's work.
pub fn redelivered(event: &SqsEvent, job: Job) -> BTreeSet<SellerId> {
    event
        .records
        .iter()
        .filter(|m| {
            m.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n > 1)
        })
        .filter_map(|m| WorkUnit::parse(m.body.as_deref(), job).ok())
        .map(|unit| unit.seller_id)
        .collect()
}

/// A worker's batch read (`read_units`) and the accounts its units name (`accounts_for`).
pub async fn take_batch(
    event: SqsEvent,
    job: Job,
    sellers: &dyn SellerDirectory,
    now: DateTime<Utc>,
) -> Result<(UnitBatch, Vec<SellerAccount>), StoreError> {
    let batch = read_units(event, job).await;
    let accounts = accounts_for(&batch.units, sellers, now).await?;
    Ok((batch, accounts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DigestFrequency, ManualClock};
    use crate::fakes::MemoryStore;
    use crate::fakes::fixtures::at;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<WorkUnit>>);

    #[async_trait]
    impl WorkQueue for Recorded {
        async fn enqueue(&self, units: &[WorkUnit]) -> Result<u32, QueueError> {
            self.0.lock().unwrap().extend_from_slice(units);
            Ok(0)
        }
    }

    fn unit(job: Job) -> WorkUnit {
        WorkUnit { job, seller_id: SellerId::parse("A2SELLER00001").unwrap(), scheduled_at: at("2026-03-02T06:00:00Z") }
    }

    #[test]
    fn a_unit_reads_back_and_names_its_group_and_run() {
        let u = unit(Job::OrderSync);
        assert_eq!(WorkUnit::parse(Some(&u.to_body()), Job::OrderSync), Ok(u.clone()));
        assert_eq!(u.group_id(), "A2SELLER00001");
        assert_eq!(u.deduplication_id(), format!("order-sync-A2SELLER00001-{}", u.scheduled_at.timestamp()));
        assert_ne!(u.deduplication_id(), unit(Job::Solicit).deduplication_id());
        assert!(WorkUnit::looks_like(Some(&u.to_body())));
        assert!(!WorkUnit::looks_like(Some(r#"{"NotificationType":"REPORT_PROCESSING_FINISHED"}"#)));
    }

    #[test]
    fn a_bad_unit_is_refused_naming_the_problem_not_the_value() {
        assert_eq!(WorkUnit::parse(None, Job::Solicit), Err(WorkUnitError::NoBody));
        let wrong = WorkUnit::parse(Some(&unit(Job::Digest).to_body()), Job::Solicit).unwrap_err();
        assert_eq!(wrong.to_string(), "a digest unit reached the solicit worker");
        let secret = r#"{"job":"solicit","seller_id":"buyer@example.com","scheduled_at":"2026-03-02T06:00:00Z"}"#;
        let err = WorkUnit::parse(Some(secret), Job::Solicit).unwrap_err().to_string();
        assert!(err.starts_with("not a work unit: seller_id"), "{err}");
        assert!(!err.contains("buyer@example.com"), "{err}");
        let err = WorkUnit::parse(Some(r#"{"job":"mine buyer@example.com"}"#), Job::Solicit).unwrap_err().to_string();
        assert!(err.starts_with("not a work unit: job") && !err.contains("buyer@"), "{err}");
        assert_eq!(WorkUnit::parse(Some("{"), Job::Solicit).unwrap_err().to_string(), "not a work unit: ?: not JSON");
    }

    #[tokio::test]
    async fn a_batch_keeps_its_units_and_reports_the_rest() {
        let mut event = SqsEvent::default();
        for (id, body) in
            [("m1", unit(Job::Solicit).to_body()), ("m2", "{}".into()), ("m3", unit(Job::Digest).to_body())]
        {
            let mut message = aws_lambda_events::event::sqs::SqsMessage::default();
            message.message_id = Some(id.into());
            message.body = Some(body);
            event.records.push(message);
        }
        let batch = read_units(event, Job::Solicit).await;
        assert_eq!(batch.units, vec![unit(Job::Solicit)]);
        let failed: Vec<&str> = batch.response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, ["m2", "m3"]);
    }

    #[test]
    fn units_received_before_name_their_sellers() {
        let other = WorkUnit { seller_id: SellerId::parse("A2SELLER00002").unwrap(), ..unit(Job::Solicit) };
        let mut event = SqsEvent::default();
        for (body, received) in [(unit(Job::Solicit).to_body(), "1"), (other.to_body(), "3"), ("{}".into(), "2")] {
            let mut message = aws_lambda_events::event::sqs::SqsMessage::default();
            message.body = Some(body);
            message.attributes.insert("ApproximateReceiveCount".into(), received.into());
            event.records.push(message);
        }
        assert_eq!(redelivered(&event, Job::Solicit), BTreeSet::from([other.seller_id.clone()]));
        assert!(redelivered(&event, Job::Digest).is_empty(), "units of another job are not this worker's");
    }

    #[tokio::test]
    async fn one_unit_per_seller_the_job_covers() {
        let store = MemoryStore::new();
        let now = at("2026-03-02T06:00:00Z"); // a Monday
        let seller =
            |id: &str| SellerAccount { seller_id: SellerId::parse(id).unwrap(), ..crate::fakes::fixtures::seller() };
        let mut active = seller("A2SELLER00001");
        active.digest.frequency = DigestFrequency::Daily;
        let mut paused = seller("A2SELLER00002");
        paused.paused = true;
        paused.digest.frequency = DigestFrequency::Off;
        for s in [&active, &paused] {
            store.put_seller(s).await.unwrap();
        }
        let fan_out = FanOut { sellers: store.clone(), clock: Arc::new(ManualClock::new(now)) };
        let queue = Recorded::default();
        let summary = fan_out.fan_out(Job::Solicit, &queue).await.unwrap();
        assert_eq!((summary.sellers, summary.enqueued, summary.not_covered), (2, 1, 1));
        let units = queue.0.lock().unwrap().clone();
        assert_eq!(units, vec![WorkUnit { job: Job::Solicit, seller_id: active.seller_id.clone(), scheduled_at: now }]);

        // Paused since it was enqueued: the worker leaves it out; a removed seller too.
        let mut later = units.clone();
        later.push(units[0].clone());
        later.push(WorkUnit { seller_id: SellerId::parse("A2REMOVED0001").unwrap(), ..units[0].clone() });
        assert_eq!(accounts_for(&later, store.as_ref(), now).await.unwrap(), vec![active.clone()]);
        let mut now_paused = active.clone();
        now_paused.paused = true;
        store.put_seller(&now_paused).await.unwrap();
        assert!(accounts_for(&later, store.as_ref(), now).await.unwrap().is_empty());

        // The digest goes to sellers whose digest is due, paused or not.
        let digests = Recorded::default();
        let summary = fan_out.fan_out(Job::Digest, &digests).await.unwrap();
        assert_eq!((summary.enqueued, summary.not_covered), (1, 1));
    }
}
