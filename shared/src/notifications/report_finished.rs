//! REPORT_PROCESSING_FINISHED (see Amazon's ReportProcessingFinishedNotification schema). Unlike
//! ORDER_CHANGE, its fields are camelCase.

use serde::Deserialize;

use super::ParseError;
use crate::domain::SellerId;
use crate::spapi::ProcessingStatus;

/// A report Amazon finished processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFinished {
    pub seller_id: SellerId,
    pub report_id: String,
    pub report_type: String,
    pub status: ProcessingStatus,
    pub document_id: Option<String>,
    pub notification_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload: Payload,
    #[serde(default)]
    notification_metadata: Option<Metadata>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default)]
    notification_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    report_processing_finished_notification: Wire,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    /// Absent for vendors; this application serves sellers only.
    #[serde(default)]
    seller_id: Option<String>,
    report_id: String,
    report_type: String,
    processing_status: ProcessingStatus,
    #[serde(default)]
    report_document_id: Option<String>,
}

/// Parse a REPORT_PROCESSING_FINISHED notification body. `Ok(None)`: another notification type.
pub fn parse_report_finished(body: &str) -> Result<Option<ReportFinished>, ParseError> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|err| ParseError::NotJson(err.to_string()))?;
    let kind = value.get("notificationType").or_else(|| value.get("NotificationType")).and_then(|v| v.as_str());
    if kind != Some("REPORT_PROCESSING_FINISHED") {
        return Ok(None);
    }
    let envelope: Envelope = serde_path_to_error::deserialize(value)
        .map_err(|err| ParseError::field(err.path().to_string(), err.inner().to_string()))?;
    let wire = envelope.payload.report_processing_finished_notification;
    let field = "payload.reportProcessingFinishedNotification.sellerId";
    let seller =
        wire.seller_id.ok_or_else(|| ParseError::field(field, "missing (vendor notifications are not handled)"))?;
    let seller_id = SellerId::parse(&seller).map_err(|err| ParseError::field(field, err.to_string()))?;
    Ok(Some(ReportFinished {
        seller_id,
        report_id: wire.report_id,
        report_type: wire.report_type,
        status: wire.processing_status,
        document_id: wire.report_document_id,
        notification_id: envelope.notification_metadata.and_then(|m| m.notification_id),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL: &str = r#"{
      "notificationVersion": "2020-09-04",
      "notificationType": "REPORT_PROCESSING_FINISHED",
      "payloadVersion": "2020-09-04",
      "eventTime": "2020-07-14T03:35:13.214Z",
      "payload": {"reportProcessingFinishedNotification": {
          "sellerId": "A3TH9S8BH6GOGM", "accountId": "amzn1.merchant.o.A3TH9S8BH6GOGM",
          "reportId": "54517018502", "reportType": "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA",
          "processingStatus": "CANCELLED",
          "reportDocumentId": "amzn1.tortuga.3.edbcd0d8-3434-8222-1234-52ad8ade1208.REP4567URI9BMZ"}},
      "notificationMetadata": {"applicationId": "amzn1.sellerapps.app.x", "subscriptionId": "s",
          "publishTime": "2020-07-13T19:42:04.284Z", "notificationId": "d0e9e693-c3ad-4373-979f-ed4ec98dd746"}
    }"#;

    #[test]
    fn reads_amazons_example() {
        let parsed = parse_report_finished(OFFICIAL).unwrap().unwrap();
        assert_eq!(parsed.seller_id.as_str(), "A3TH9S8BH6GOGM");
        assert_eq!(parsed.report_id, "54517018502");
        assert_eq!(parsed.status, ProcessingStatus::Cancelled);
        assert_eq!(parsed.notification_id.as_deref(), Some("d0e9e693-c3ad-4373-979f-ed4ec98dd746"));
    }

    #[test]
    fn other_types_are_not_errors_and_bad_fields_are_named() {
        assert_eq!(parse_report_finished(r#"{"NotificationType":"ORDER_CHANGE"}"#).unwrap(), None);
        let bad = OFFICIAL.replace("\"CANCELLED\"", "\"SOMETIMES\"");
        let err = parse_report_finished(&bad).unwrap_err().to_string();
        assert!(err.contains("processingStatus"), "{err}");
        let vendor = OFFICIAL.replace("\"sellerId\": \"A3TH9S8BH6GOGM\",", "");
        assert!(parse_report_finished(&vendor).unwrap_err().to_string().contains("sellerId"));
    }
}
