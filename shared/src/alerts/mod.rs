//! Seller alerts: feedback events from the app's bus turned into e-mails, each sent at most
//! once per recipient. A ledger entry per (event, recipient) is claimed with a conditional
//! write before sending; a duplicate delivery or a retry finds it claimed and sends nothing. A
//! failed send releases its claim so the retry can send.

pub mod mail;
pub mod mime;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{EmailContent, RawMessage};
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::domain::{Clock, EmailAddress, SellerAccount, SellerId};
use crate::feedback_events::{
    FEEDBACK_DEADLINE_APPROACHING, FEEDBACK_REMOVED, FeedbackDeadlineApproaching, FeedbackRemoved,
    NEGATIVE_FEEDBACK_RECEIVED, NegativeFeedbackReceived, RATING_THRESHOLD_CROSSED, RatingThresholdCrossed,
};
use crate::store::{SellerDirectory, StoreError};
use mail::Mail;

#[derive(Debug, Error)]
pub enum AlertError {
    #[error("event {detail_type}: {message}")]
    BadEvent { detail_type: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sending to {recipient} failed: {message}")]
    Send { recipient: String, message: String },
}

/// A feedback event the alerts function mails about.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertEvent {
    Negative(NegativeFeedbackReceived),
    Deadline(FeedbackDeadlineApproaching),
    Removed(FeedbackRemoved),
    Threshold(RatingThresholdCrossed),
}

fn detail<T: DeserializeOwned>(detail_type: &str, detail: serde_json::Value) -> Result<T, AlertError> {
    serde_path_to_error::deserialize(detail).map_err(|err| AlertError::BadEvent {
        detail_type: detail_type.to_string(),
        message: format!("{}: {}", err.path(), err.inner()),
    })
}

impl AlertEvent {
    /// `Ok(None)`: a detail-type no mail is made for (e.g. the solicit run summary).
    pub fn parse(detail_type: &str, value: serde_json::Value) -> Result<Option<Self>, AlertError> {
        Ok(Some(match detail_type {
            NEGATIVE_FEEDBACK_RECEIVED => AlertEvent::Negative(detail(detail_type, value)?),
            FEEDBACK_DEADLINE_APPROACHING => AlertEvent::Deadline(detail(detail_type, value)?),
            FEEDBACK_REMOVED => AlertEvent::Removed(detail(detail_type, value)?),
            RATING_THRESHOLD_CROSSED => AlertEvent::Threshold(detail(detail_type, value)?),
            _ => return Ok(None),
        }))
    }

    pub fn event_id(&self) -> &str {
        match self {
            AlertEvent::Negative(e) => &e.event_id,
            AlertEvent::Deadline(e) => &e.event_id,
            AlertEvent::Removed(e) => &e.event_id,
            AlertEvent::Threshold(e) => &e.event_id,
        }
    }

    pub fn seller_id(&self) -> &SellerId {
        match self {
            AlertEvent::Negative(e) => &e.seller_id,
            AlertEvent::Deadline(e) => &e.seller_id,
            AlertEvent::Removed(e) => &e.seller_id,
            AlertEvent::Threshold(e) => &e.seller_id,
        }
    }

    pub fn render(&self, seller: &SellerAccount) -> Mail {
        match self {
            AlertEvent::Negative(e) => mail::negative_feedback_mail(seller, e),
            AlertEvent::Deadline(e) => mail::deadline_mail(seller, e),
            AlertEvent::Removed(e) => mail::removed_mail(seller, e),
            AlertEvent::Threshold(e) => mail::threshold_mail(seller, e),
        }
    }
}

/// Sends one raw MIME message.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, from: &str, to: &EmailAddress, raw: &[u8]) -> Result<(), String>;
}

/// SES v2 SendEmail with raw content.
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
}

impl SesMailer {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self { client: aws_sdk_sesv2::Client::new(sdk) }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, from: &str, to: &EmailAddress, raw: &[u8]) -> Result<(), String> {
        let raw = RawMessage::builder().data(Blob::new(raw.to_vec())).build().map_err(|err| err.to_string())?;
        self.client
            .send_email()
            .from_email_address(from)
            .destination(aws_sdk_sesv2::types::Destination::builder().to_addresses(to.as_str()).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|err| DisplayErrorContext(&err).to_string())
    }
}

/// Which (event, recipient) pairs were mailed.
#[async_trait]
pub trait AlertLedger: Send + Sync {
    /// Record that `event_id` is being mailed to `recipient`; `false` if it already was.
    async fn claim_alert(
        &self,
        seller: &SellerId,
        event_id: &str,
        recipient: &EmailAddress,
    ) -> Result<bool, StoreError>;
    /// Undo a claim whose send failed, so a retry sends.
    async fn release_alert(
        &self,
        seller: &SellerId,
        event_id: &str,
        recipient: &EmailAddress,
    ) -> Result<(), StoreError>;
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

pub struct Alerts {
    pub sellers: Arc<dyn SellerDirectory>,
    pub ledger: Arc<dyn AlertLedger>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    /// The verified SES identity mails come from.
    pub from: String,
}

impl Alerts {
    pub async fn handle(&self, event: &AlertEvent) -> Result<AlertOutcome, AlertError> {
        let mut outcome = AlertOutcome::default();
        let Some(seller) = self.sellers.get_seller(event.seller_id()).await? else {
            tracing::warn!(seller = %event.seller_id(), event_id = event.event_id(), "event of an unknown seller; no mail");
            return Ok(outcome);
        };
        let mail = event.render(&seller);
        let mut failure = None;
        for recipient in &seller.alert_recipients {
            if !self.ledger.claim_alert(&seller.seller_id, event.event_id(), recipient).await? {
                outcome.already_sent += 1;
                continue;
            }
            let message_id =
                format!("{}.{}@feedback-autopilot", sanitize(event.event_id()), sanitize(recipient.as_str()));
            let raw = mime::raw_message(&mail, &self.from, recipient.as_str(), &message_id, self.clock.now());
            match self.mailer.send(&self.from, recipient, &raw).await {
                Ok(()) => outcome.sent.push(SentMail { recipient: recipient.clone(), mail: mail.clone(), raw }),
                Err(message) => {
                    self.ledger.release_alert(&seller.seller_id, event.event_id(), recipient).await?;
                    failure = Some(AlertError::Send { recipient: recipient.to_string(), message });
                }
            }
        }
        tracing::info!(seller = %seller.seller_id, event_id = event.event_id(), kind = mail.kind, sent = outcome.sent.len(), already_sent = outcome.already_sent, "alert");
        match failure {
            // The event is retried (EventBridge retry policy, then the DLQ); recipients already
            // mailed are skipped by the ledger.
            Some(err) => Err(err),
            None => Ok(outcome),
        }
    }
}

fn sanitize(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' }).collect()
}
