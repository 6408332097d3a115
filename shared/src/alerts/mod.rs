//! Seller alerts: the app bus's events turned into e-mails, each sent at most once per
//! recipient, and the seller's daily or weekly digest.
//!
//! Every event of a seller is kept in the digest log; a seller who takes alerts as they happen
//! also gets a mail per event at once. Before a mail is sent, a ledger entry per (event,
//! recipient) is claimed with a conditional write and a short lease, then confirmed once SES
//! took the mail. A duplicate delivery finds it confirmed and sends nothing; one that comes
//! while another invocation holds the claim fails, so it is retried after the lease; a claim
//! whose holder died runs out and the retry sends. A failed send releases its claim.

pub mod chart;
pub mod digest;
pub mod mail;
pub mod mime;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{EmailContent, RawMessage};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use thiserror::Error;

use crate::domain::{AlertDelivery, Clock, DigestFrequency, EmailAddress, SellerAccount, SellerId};
use crate::events::{
    BusEvent, FeedbackDeadlineApproaching, FeedbackRemoved, NegativeFeedbackReceived, RatingThresholdCrossed,
    ReviewRequestsProcessed,
};
use crate::store::{RatingStore, SellerDirectory, StoreError};
use digest::{Digest, DigestPeriod, RatingHistory};
use mail::Mail;

#[derive(Debug, Error)]
pub enum AlertError {
    #[error("event {detail_type}: {message}")]
    BadEvent { detail_type: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sending to {recipient} failed: {source}")]
    Send {
        recipient: String,
        #[source]
        source: MailError,
    },
    /// Another invocation holds the claim to send this (a concurrent duplicate delivery):
    /// failing makes the event come back after the claim's lease.
    #[error("{event_id} to {recipient} is being sent by another invocation; retried later")]
    InFlight { event_id: String, recipient: String },
    #[error("event {event_id} could not be kept for the digest: {message}")]
    Encode { event_id: String, message: String },
    #[error("digests of {failed} seller(s) failed; the schedule's retry sends the rest")]
    Digests { failed: u32 },
}

impl crate::lambda::Failure for AlertError {
    fn error_type(&self) -> &'static str {
        match self {
            AlertError::BadEvent { .. } => "MalformedEvent",
            AlertError::Store(err) => err.error_type(),
            AlertError::Send { .. } => "MailNotSent",
            AlertError::InFlight { .. } => "MailInFlight",
            AlertError::Encode { .. } => "EventEncode",
            AlertError::Digests { .. } => "DigestsFailed",
        }
    }
}

/// A feedback event the alerts function mails about.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertEvent {
    Negative(NegativeFeedbackReceived),
    Deadline(FeedbackDeadlineApproaching),
    Removed(FeedbackRemoved),
    Threshold(RatingThresholdCrossed),
    /// A seller's part of a dispatch run: no mail of its own, counted in the digest.
    Requests(ReviewRequestsProcessed),
}

/// `$body` with `$e` bound to the event inside, whichever variant it is.
macro_rules! each_variant {
    ($event:expr, $e:ident => $body:expr) => {
        match $event {
            AlertEvent::Negative($e) => $body,
            AlertEvent::Deadline($e) => $body,
            AlertEvent::Removed($e) => $body,
            AlertEvent::Threshold($e) => $body,
            AlertEvent::Requests($e) => $body,
        }
    };
}

/// The detail of a `detail_type` event, or an error naming the field at fault.
fn detail<T: BusEvent>(value: serde_json::Value) -> Result<T, AlertError> {
    serde_path_to_error::deserialize(value).map_err(|err| AlertError::BadEvent {
        detail_type: T::DETAIL_TYPE.to_string(),
        message: format!("{}: {}", err.path(), err.inner()),
    })
}

impl AlertEvent {
    /// `Ok(None)`: a detail-type no mail is made for (e.g. the solicit run summary).
    pub fn parse(detail_type: &str, value: serde_json::Value) -> Result<Option<Self>, AlertError> {
        Ok(Some(match detail_type {
            NegativeFeedbackReceived::DETAIL_TYPE => AlertEvent::Negative(detail(value)?),
            FeedbackDeadlineApproaching::DETAIL_TYPE => AlertEvent::Deadline(detail(value)?),
            FeedbackRemoved::DETAIL_TYPE => AlertEvent::Removed(detail(value)?),
            RatingThresholdCrossed::DETAIL_TYPE => AlertEvent::Threshold(detail(value)?),
            ReviewRequestsProcessed::DETAIL_TYPE => AlertEvent::Requests(detail(value)?),
            _ => return Ok(None),
        }))
    }

    pub fn event_id(&self) -> String {
        each_variant!(self, e => e.event_id())
    }

    pub fn detail_type(&self) -> &'static str {
        fn of<E: BusEvent>(_: &E) -> &'static str {
            E::DETAIL_TYPE
        }
        each_variant!(self, e => of(e))
    }

    /// The event as the digest log keeps it.
    pub fn to_entry(&self, received_at: DateTime<Utc>) -> Result<DigestEntry, AlertError> {
        let event_id = self.event_id();
        let detail = each_variant!(self, e => serde_json::to_value(e))
            .map_err(|err| AlertError::Encode { event_id: event_id.clone(), message: err.to_string() })?;
        Ok(DigestEntry { received_at, event_id, detail_type: self.detail_type().to_string(), detail })
    }

    pub fn seller_id(&self) -> &SellerId {
        each_variant!(self, e => &e.seller_id)
    }

    /// The mail sent for this event as it happens; `None` for events only the digest shows.
    pub fn render(&self, seller: &SellerAccount) -> Option<Mail> {
        Some(match self {
            AlertEvent::Negative(e) => mail::negative_feedback_mail(seller, e),
            AlertEvent::Deadline(e) => mail::deadline_mail(seller, e),
            AlertEvent::Removed(e) => mail::removed_mail(seller, e),
            AlertEvent::Threshold(e) => mail::threshold_mail(seller, e),
            AlertEvent::Requests(_) => return None,
        })
    }
}

/// Why a mail was not sent.
#[derive(Debug, Error)]
pub enum MailError {
    /// The mail service took the request and refused the message.
    #[error("refused: {message}")]
    Refused { message: String },
    /// The mail service could not be asked (or answered with an error); its error is the source.
    #[error("SES SendEmail failed: {message}")]
    Service {
        message: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Sends one raw MIME message.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, from: &str, to: &EmailAddress, raw: &[u8]) -> Result<(), MailError>;
}

/// SES v2 SendEmail with raw content.
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
}

impl SesMailer {
    /// A send gives up after `SEND_TIMEOUT`, well inside the ledger's lease: a claim's holder
    /// is never still sending when the lease runs out.
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let timeouts = aws_config::timeout::TimeoutConfig::builder().operation_timeout(SEND_TIMEOUT).build();
        let config = aws_sdk_sesv2::config::Builder::from(sdk).timeout_config(timeouts).build();
        Self { client: aws_sdk_sesv2::Client::from_conf(config) }
    }
}

/// The longest one SES send may take, retries included.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, from: &str, to: &EmailAddress, raw: &[u8]) -> Result<(), MailError> {
        let raw = RawMessage::builder()
            .data(Blob::new(raw.to_vec()))
            .build()
            .map_err(|err| MailError::Service { message: err.to_string(), source: Box::new(err) })?;
        self.client
            .send_email()
            .from_email_address(from)
            .destination(aws_sdk_sesv2::types::Destination::builder().to_addresses(to.as_str()).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|err| MailError::Service { message: DisplayErrorContext(&err).to_string(), source: Box::new(err) })
    }
}

/// What a claim to send found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours: send, then confirm or release with this token.
    Claimed(ClaimToken),
    /// Sent before (a duplicate delivery or a retry).
    AlreadySent,
    /// Another invocation is sending it now.
    InFlight,
}

/// Names one claim: confirm and release succeed only for the claim's own holder, so a sender
/// that outlived its lease cannot undo what the sender that took over did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken(pub String);

impl ClaimToken {
    pub fn new() -> Self {
        Self(format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)))
    }
}

impl Default for ClaimToken {
    fn default() -> Self {
        Self::new()
    }
}

/// What a confirm or release did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerWrite {
    Done,
    /// The claim is no longer this holder's (its lease ran out and another sender took it):
    /// nothing was changed.
    NotHolder,
}

/// One ledger entry: one event (or digest) mailed to one recipient of a seller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertKey<'a> {
    pub seller: &'a SellerId,
    pub event_id: &'a str,
    pub recipient: &'a EmailAddress,
}

/// Which (event, recipient) pairs were mailed.
#[async_trait]
pub trait AlertLedger: Send + Sync {
    /// Claim sending the mail, for a short lease.
    async fn claim_alert(&self, key: &AlertKey<'_>) -> Result<Claim, StoreError>;
    /// The mail was handed to SES: never send it again. Only for the claim's holder.
    async fn confirm_alert(&self, key: &AlertKey<'_>, token: &ClaimToken) -> Result<LedgerWrite, StoreError>;
    /// Undo a claim whose send failed, so a retry sends. Only for the claim's holder.
    async fn release_alert(&self, key: &AlertKey<'_>, token: &ClaimToken) -> Result<LedgerWrite, StoreError>;
}

/// One event as the digest log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestEntry {
    /// When the alerts function received it.
    pub received_at: DateTime<Utc>,
    pub event_id: String,
    pub detail_type: String,
    pub detail: serde_json::Value,
}

/// Every event of a seller, by the time it was received, for the digest.
#[async_trait]
pub trait DigestLog: Send + Sync {
    /// Keep an entry. A redelivered event is kept again; the digest counts it once.
    async fn log_digest_entry(&self, seller: &SellerId, entry: &DigestEntry) -> Result<(), StoreError>;
    /// The entries received in `[from, to)`, oldest first.
    async fn digest_entries(
        &self,
        seller: &SellerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError>;
}

/// One mail sent.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub recipient: EmailAddress,
    pub mail: Mail,
    pub raw: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct AlertOutcome {
    pub sent: Vec<SentMail>,
    /// Recipients already mailed about this event (a duplicate delivery or a retry).
    pub already_sent: u32,
}

/// What one scheduled digest run did.
#[derive(Debug, Clone, Default)]
pub struct DigestRun {
    /// Mails sent, all sellers together.
    pub sent: Vec<SentMail>,
    /// Sellers whose digest was due.
    pub due: u32,
    /// Sellers with a digest due but nothing to tell (no activity, no ratings yet).
    pub empty: u32,
    pub already_sent: u32,
    pub failed: u32,
}

pub struct Alerts {
    pub sellers: Arc<dyn SellerDirectory>,
    pub ledger: Arc<dyn AlertLedger>,
    pub digest_log: Arc<dyn DigestLog>,
    pub ratings: Arc<dyn RatingStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    /// The verified SES identity mails come from.
    pub from: String,
}

/// Sellers whose digests are built at the same time.
const CONCURRENT_DIGESTS: usize = 4;

impl Alerts {
    /// One event from the bus: kept for the digest, and mailed at once to sellers who take
    /// their alerts as they happen.
    pub async fn handle(&self, event: &AlertEvent) -> Result<AlertOutcome, AlertError> {
        let Some(seller) = self.sellers.get_seller(event.seller_id()).await? else {
            tracing::warn!(seller = %event.seller_id(), event_id = %event.event_id(), "event of an unknown seller; no mail");
            return Ok(AlertOutcome::default());
        };
        let digest_wanted =
            seller.digest.frequency != DigestFrequency::Off || seller.alert_delivery == AlertDelivery::Digest;
        if digest_wanted {
            self.digest_log.log_digest_entry(&seller.seller_id, &event.to_entry(self.clock.now())?).await?;
        }
        let mail = match (seller.alert_delivery, event.render(&seller)) {
            (AlertDelivery::Instant, Some(mail)) => mail,
            _ => return Ok(AlertOutcome::default()),
        };
        let event_id = event.event_id();
        let outcome = self.deliver(&seller, &event_id, &mail).await;
        tracing::info!(seller = %seller.seller_id, event_id, kind = mail.kind.as_str(), ok = outcome.is_ok(), "alert");
        outcome
    }

    /// Each recipient of the seller gets `mail` once for `event_id`. Recipients already mailed
    /// are skipped; a failure is returned after the other recipients were tried, so the retry
    /// only sends what is missing.
    async fn deliver(&self, seller: &SellerAccount, event_id: &str, mail: &Mail) -> Result<AlertOutcome, AlertError> {
        let mut outcome = AlertOutcome::default();
        let mut failure = None;
        for recipient in &seller.alert_recipients {
            let key = AlertKey { seller: &seller.seller_id, event_id, recipient };
            let token = match self.ledger.claim_alert(&key).await? {
                Claim::Claimed(token) => token,
                Claim::AlreadySent => {
                    outcome.already_sent += 1;
                    continue;
                }
                Claim::InFlight => {
                    failure =
                        Some(AlertError::InFlight { event_id: event_id.to_string(), recipient: recipient.to_string() });
                    continue;
                }
            };
            let message_id = format!("{}.{}@feedback-autopilot", sanitize(event_id), sanitize(recipient.as_str()));
            let raw = mime::raw_message(mail, &self.from, recipient.as_str(), &message_id, self.clock.now());
            match self.mailer.send(&self.from, recipient, &raw).await {
                Ok(()) => {
                    let confirmed = self.ledger.confirm_alert(&key, &token).await?;
                    if confirmed == LedgerWrite::NotHolder {
                        // Only when this send outlasted the lease (see ALERT_SEND_LEASE's bound).
                        tracing::error!(
                            event_id,
                            "the claim was taken over while this mail was sent: it may go out twice"
                        );
                    }
                    outcome.sent.push(SentMail { recipient: recipient.clone(), mail: mail.clone(), raw });
                }
                Err(source) => {
                    // A holder that lost its claim leaves the entry to the one that has it.
                    self.ledger.release_alert(&key, &token).await?;
                    failure = Some(AlertError::Send { recipient: recipient.to_string(), source });
                }
            }
        }
        match failure {
            // The event is retried (Lambda's async retries, then the DLQ); recipients already
            // mailed are skipped by the ledger.
            Some(err) => Err(err),
            None => Ok(outcome),
        }
    }

    /// The daily schedule: every seller whose digest is due today gets it, once.
    pub async fn send_digests(&self) -> Result<DigestRun, AlertError> {
        let sellers = self.sellers.list_sellers().await?;
        self.send_digests_to(&sellers).await
    }

    /// The digests of the given sellers whose digest is due today (a fan-out worker's units;
    /// see `crate::fanout`).
    pub async fn send_digests_to(&self, sellers: &[SellerAccount]) -> Result<DigestRun, AlertError> {
        let today = self.clock.now().date_naive();
        let due: Vec<(&SellerAccount, DigestPeriod)> = sellers
            .iter()
            .filter_map(|s| s.digest.period_days(s.alert_delivery, today).map(|d| (s, DigestPeriod::ending(today, d))))
            .collect();
        let results = futures_util::stream::iter(
            due.iter().map(|(seller, period)| async move { (seller, self.send_digest(seller, period).await) }),
        )
        .buffer_unordered(CONCURRENT_DIGESTS)
        .collect::<Vec<_>>()
        .await;
        let mut run = DigestRun { due: due.len() as u32, ..DigestRun::default() };
        for (seller, result) in results {
            match result {
                Ok(None) => run.empty += 1,
                Ok(Some(outcome)) => {
                    run.already_sent += outcome.already_sent;
                    run.sent.extend(outcome.sent);
                }
                Err(err) => {
                    tracing::error!(seller = %seller.seller_id, error = %err, "digest failed");
                    run.failed += 1;
                }
            }
        }
        tracing::info!(due = run.due, sent = run.sent.len(), empty = run.empty, failed = run.failed, "digests");
        match run.failed {
            0 => Ok(run),
            failed => Err(AlertError::Digests { failed }),
        }
    }

    /// The seller's digest of `period`; `Ok(None)` when there is nothing to tell.
    pub async fn send_digest(
        &self,
        seller: &SellerAccount,
        period: &DigestPeriod,
    ) -> Result<Option<AlertOutcome>, AlertError> {
        let Some(digest) = self.digest(seller, period).await? else {
            return Ok(None);
        };
        let event_id = format!("digest:{}:{}", period.from, period.to);
        self.deliver(seller, &event_id, &digest::digest_mail(seller, period, &digest)).await.map(Some)
    }

    /// The seller's digest of `period` from the digest log and the rating snapshots; `None`
    /// when there is nothing to tell.
    pub async fn digest(&self, seller: &SellerAccount, period: &DigestPeriod) -> Result<Option<Digest>, AlertError> {
        let entries = self.digest_log.digest_entries(&seller.seller_id, period.look_back_start(), period.end()).await?;
        let mut ratings = Vec::new();
        for marketplace in &seller.marketplaces {
            let snapshots = self
                .ratings
                .snapshots_between(&seller.seller_id, *marketplace, period.trend_start(), period.to)
                .await?;
            ratings.push(RatingHistory { marketplace: *marketplace, snapshots });
        }
        let digest = Digest::collect(period, &entries, ratings);
        Ok((!digest.is_empty()).then_some(digest))
    }
}

fn sanitize(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' }).collect()
}

#[cfg(test)]
mod tests;
