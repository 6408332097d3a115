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

impl crate::lambda::Failure for ParseError {
    fn error_type(&self) -> &'static str {
        "MalformedMessage"
    }
}

/// Why one queued notification failed: it could not be read, or handling it failed.
#[derive(Debug, Error)]
pub enum MessageError<E: std::error::Error + 'static> {
    #[error("message has no body")]
    NoBody,
    #[error("malformed notification: {0}")]
    Malformed(#[from] ParseError),
    #[error(transparent)]
    Failed(E),
}

impl<E: crate::lambda::Failure + 'static> crate::lambda::Failure for MessageError<E> {
    fn error_type(&self) -> &'static str {
        match self {
            MessageError::NoBody | MessageError::Malformed(_) => "MalformedMessage",
            MessageError::Failed(err) => err.error_type(),
        }
    }
}

/// How much of a message (which may quote the value at fault) an error keeps.
const MAX_MESSAGE_CHARS: usize = 200;

impl ParseError {
    /// The field at fault and what is wrong with it; the message is cut at 200 characters, as
    /// it may quote a value from the wire.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ParseError::Field {
            field: clip_to(&field.into(), MAX_MESSAGE_CHARS),
            message: clip_to(&message.into(), MAX_MESSAGE_CHARS),
        }
    }
}

/// `text` cut after `max` characters, with an ellipsis when it was cut.
pub(crate) fn clip_to(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A value from the wire as an error message may show it: at most 40 characters.
pub(crate) fn clip(value: &str) -> String {
    clip_to(value, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_echo_more_than_a_bounded_part_of_a_value() {
        let huge = "x".repeat(100_000);
        let body = serde_json::json!({
            "NotificationType": "ORDER_CHANGE",
            "EventTime": "2026-03-01T00:00:00Z",
            "Payload": {"OrderChangeNotification": {
                "SellerId": "A3TH9S8BH6GOGM", "AmazonOrderId": "903-8868176-2219830",
                "OrderChangeType": "OrderStatusChange",
                "OrderChangeTrigger": {"TimeOfOrderChange": "2026-03-01T00:00:00Z", "ChangeReason": "x"},
                "Summary": {"MarketplaceId": "ATVPDKIKX0DER", "OrderStatus": huge, "PurchaseDate": null,
                            "FulfillmentType": "AFN", "OrderType": "StandardOrder", "OrderItems": []}
            }}
        });
        let err = parse_notification(&body.to_string()).unwrap_err().to_string();
        assert!(err.contains("OrderStatus") && err.len() < 300, "{} chars", err.len());
        let other = serde_json::json!({"NotificationType": huge});
        match parse_notification(&other.to_string()).unwrap() {
            Notification::Other { notification_type, .. } => assert!(notification_type.chars().count() <= 41),
            other => panic!("{other:?}"),
        }
        assert!(ParseError::field("f", "y".repeat(5_000)).to_string().len() < 300);
    }
}
