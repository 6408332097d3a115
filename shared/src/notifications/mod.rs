//! SP-API notifications as they arrive on SQS: parsing the wire format into domain changes.
//! Fields that carry buyer personal data (`DestinationPostalCode`, ...) are never declared, so
//! they are never read, kept or logged.

mod order_change;
mod report_finished;

use thiserror::Error;

pub use order_change::{Notification, api_order_change, parse_notification, unwrap_sqs_envelope};
pub use report_finished::{ReportFinished, parse_report_finished};

/// A message that is not a usable notification, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("the message is not JSON: {0}")]
    NotJson(String),
    #[error("{field}: {message}")]
    Field { field: String, message: String },
}

impl ParseError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ParseError::Field { field: field.into(), message: message.into() }
    }
}

/// A value from the wire as an error message may show it: at most 40 characters.
pub(crate) fn clip(value: &str) -> String {
    const MAX: usize = 40;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}
