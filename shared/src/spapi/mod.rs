//! A thin SP-API client for the few operations Feedback Autopilot calls.
//!
//! - LWA tokens are cached per seller (and one grantless token per application) and refreshed
//!   before expiry; a 403 about the access token refreshes it once.
//! - Every call first takes a token from the seller's bucket for that operation (Amazon's
//!   usage plans), so Amazon's 429 is the exception, not the pacing mechanism.
//! - 429, 5xx, timeouts and dropped connections are retried with jittered exponential backoff
//!   until the caller's deadline (a Lambda's remaining time); 400, 403 and 404 never are.
//! - 403 answers are classified from their message, since Amazon uses the one code
//!   `Unauthorized` for "already requested", "outside the window" and real auth failures.

mod client;
pub mod credentials;
pub mod lwa;
pub mod model;
pub mod plans;
mod port;

use thiserror::Error;

pub use client::{DownloadedDocument, OrdersQuery, SellerApi, SpApi, SpApiConfig};
pub use credentials::{CredentialSource, SecretsManagerCredentials};
pub use lwa::LwaCredentials;
pub use model::{
    ApiError, CreateReportSpecification, FinancialEventsPage, Order2026, ProcessingStatus, RefundEvent, Report,
    ReportDocument, SearchOrdersResponse,
};
pub use plans::{Operation, UsagePlan, UsagePlans};
pub use port::{SellerCalls, SpApiAccess};

/// What a 403 means, read from Amazon's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForbiddenKind {
    /// A solicitation was already sent for this order (ours or anyone's).
    AlreadyRequested,
    /// Outside the 5-30 day window after delivery.
    OutsideWindow,
    /// The order cannot be solicited (Amazon's own rules).
    NotEligible,
    /// The access token is expired, revoked or malformed: refresh and try once more.
    AccessTokenRejected,
    /// Any other denial (missing role, revoked authorisation, ...).
    AccessDenied,
}

/// Classify a 403 from its `message` and `details`.
pub fn classify_forbidden(errors: &[ApiError]) -> ForbiddenKind {
    let text = errors
        .iter()
        .map(|e| format!("{} {}", e.message, e.details.as_deref().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if text.contains("access token") || text.contains("security token") {
        ForbiddenKind::AccessTokenRejected
    } else if text.contains("outside") && (text.contains("day range") || text.contains("window")) {
        ForbiddenKind::OutsideWindow
    } else if text.contains("already") || text.contains("not available for this amazonorderid") {
        ForbiddenKind::AlreadyRequested
    } else if text.contains("not eligible") || text.contains("ineligible") {
        ForbiddenKind::NotEligible
    } else {
        ForbiddenKind::AccessDenied
    }
}

#[derive(Debug, Error)]
pub enum SpApiError {
    #[error("{operation}: Amazon refused (403, {kind:?}): {message}")]
    Forbidden { operation: &'static str, kind: ForbiddenKind, message: String },
    #[error("{operation}: not found (404): {message}")]
    NotFound { operation: &'static str, message: String },
    #[error("{operation}: rejected as invalid (400): {message}")]
    BadRequest { operation: &'static str, message: String },
    #[error("{operation}: conflict (409): {message}")]
    Conflict { operation: &'static str, message: String },
    #[error("{operation}: unexpected HTTP {status}: {message}")]
    UnexpectedStatus { operation: &'static str, status: u16, message: String },
    #[error("{operation}: gave up after {attempts} attempts, last: {last}")]
    RetriesExhausted { operation: &'static str, attempts: u32, last: String },
    #[error("{operation}: deadline reached after {attempts} attempts, last: {last}")]
    DeadlineExceeded { operation: &'static str, attempts: u32, last: String },
    #[error("{operation}: unreadable response: {message}")]
    Decode { operation: &'static str, message: String },
    /// A body that is not the JSON the model describes; the parser's error is the source.
    #[error("{operation}: unreadable response: {source}")]
    Unreadable {
        operation: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("LWA: {0}")]
    Auth(String),
    #[error("credentials secret {secret}: {message}")]
    Credentials { secret: String, message: String },
    #[error("report document {document_id}: the download URL expired")]
    DocumentUrlExpired { document_id: String },
}

impl SpApiError {
    pub fn forbidden_kind(&self) -> Option<ForbiddenKind> {
        match self {
            SpApiError::Forbidden { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Whether a later run may succeed where this one failed (throttling, outages, deadline).
    pub fn is_transient(&self) -> bool {
        matches!(self, SpApiError::RetriesExhausted { .. } | SpApiError::DeadlineExceeded { .. })
    }
}

impl crate::lambda::Failure for SpApiError {
    fn error_type(&self) -> &'static str {
        match self {
            SpApiError::Forbidden {
                kind: ForbiddenKind::AccessDenied | ForbiddenKind::AccessTokenRejected, ..
            } => "SpApiAccessDenied",
            SpApiError::Forbidden { .. } => "SpApiRefused",
            SpApiError::NotFound { .. } => "SpApiNotFound",
            SpApiError::BadRequest { .. } => "SpApiBadRequest",
            SpApiError::Conflict { .. } => "SpApiConflict",
            SpApiError::UnexpectedStatus { .. } => "SpApiUnexpectedStatus",
            SpApiError::RetriesExhausted { last, .. } if last.starts_with("429") => "Throttled",
            SpApiError::RetriesExhausted { .. } => "SpApiUnavailable",
            SpApiError::DeadlineExceeded { .. } => "DeadlineExceeded",
            SpApiError::Decode { .. } | SpApiError::Unreadable { .. } => "SpApiUnreadableResponse",
            SpApiError::Auth(_) => "LwaAuthFailed",
            SpApiError::Credentials { .. } => "CredentialsUnavailable",
            SpApiError::DocumentUrlExpired { .. } => "DocumentUrlExpired",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(message: &str, details: &str) -> Vec<ApiError> {
        vec![ApiError { code: "Unauthorized".into(), message: message.into(), details: Some(details.into()) }]
    }

    #[test]
    fn a_failure_is_named_by_what_happened() {
        use crate::lambda::Failure;
        let throttled = SpApiError::RetriesExhausted { operation: "getReport", attempts: 5, last: "429 x".into() };
        assert_eq!(throttled.error_type(), "Throttled");
        let outage = SpApiError::RetriesExhausted { operation: "getReport", attempts: 5, last: "503 x".into() };
        assert_eq!(outage.error_type(), "SpApiUnavailable");
        let revoked =
            SpApiError::Forbidden { operation: "getReport", kind: ForbiddenKind::AccessDenied, message: String::new() };
        assert_eq!(revoked.error_type(), "SpApiAccessDenied");
        assert_eq!(crate::feedback_sync::SyncError::Api(throttled).error_type(), "Throttled");
    }

    #[test]
    fn forbidden_answers_are_told_apart_by_message() {
        assert_eq!(
            classify_forbidden(&err("The requested solicitation is not available for this amazonOrderId.", "")),
            ForbiddenKind::AlreadyRequested
        );
        assert_eq!(
            classify_forbidden(&err(
                "You cannot request a review for this order as it is outside the 5-30 day range after the order delivery date.",
                ""
            )),
            ForbiddenKind::OutsideWindow
        );
        assert_eq!(
            classify_forbidden(&err(
                "Access to requested resource is denied.",
                "The access token you provided is revoked, malformed or invalid."
            )),
            ForbiddenKind::AccessTokenRejected
        );
        assert_eq!(
            classify_forbidden(&err("Access to requested resource is denied.", "")),
            ForbiddenKind::AccessDenied
        );
        assert_eq!(
            classify_forbidden(&err("This order is not eligible for a solicitation.", "")),
            ForbiddenKind::NotEligible
        );
        assert_eq!(classify_forbidden(&[]), ForbiddenKind::AccessDenied);
    }
}
