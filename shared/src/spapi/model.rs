//! Wire types of the SP-API operations the client uses, as Amazon's models define them. Only
//! the fields Feedback Autopilot needs are declared; unknown fields are ignored, and buyer
//! personal data (BuyerInfo, ShippingAddress, ...) is never declared, so it is never read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `{"errors": [{"code", "message", "details"}]}`, Amazon's error body for every status.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorList {
    #[serde(default)]
    pub errors: Vec<ApiError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// An order as getOrders / getOrder (Orders API v0) return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiOrder {
    pub amazon_order_id: String,
    pub purchase_date: DateTime<Utc>,
    pub last_update_date: DateTime<Utc>,
    pub order_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_delivery_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_delivery_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_business_order: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_replacement_order: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_prime: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetOrdersResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<OrdersList>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrdersList {
    pub orders: Vec<ApiOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_before: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetOrderResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<ApiOrder>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetOrderItemsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<OrderItemsList>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderItemsList {
    pub amazon_order_id: String,
    pub order_items: Vec<ApiOrderItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// An order item: only what exclusions need (no prices, no buyer data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiOrderItem {
    #[serde(rename = "ASIN")]
    pub asin: String,
    #[serde(rename = "OrderItemId")]
    pub order_item_id: String,
    #[serde(rename = "QuantityOrdered")]
    pub quantity_ordered: i64,
    #[serde(rename = "SellerSKU", default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
}

/// A HAL link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// getSolicitationActionsForOrder's HAL document. Actions are listed under `_links.actions`
/// and sometimes also embedded under `_embedded.actions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SolicitationActions {
    #[serde(rename = "_links", default)]
    pub links: SolicitationLinks,
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<EmbeddedActions>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SolicitationLinks {
    #[serde(default)]
    pub actions: Vec<Link>,
    #[serde(rename = "self", default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Link>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EmbeddedActions {
    #[serde(default)]
    pub actions: Vec<EmbeddedAction>,
}

/// An embedded action: `{"_links": {...}, "payload": {"name": "..."}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbeddedAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<ActionName>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionName {
    pub name: String,
}

impl SolicitationActions {
    /// Names of the offered actions from either place, deduplicated.
    pub fn action_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.links.actions.iter().filter_map(|l| l.name.clone()).collect();
        for name in self.embedded.iter().flat_map(|e| &e.actions).filter_map(|a| a.payload.as_ref()).map(|p| &p.name) {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }
}

pub const PRODUCT_REVIEW_ACTION: &str = "productReviewAndSellerFeedback";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateReportSpecification {
    pub report_type: String,
    pub marketplace_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_start_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_end_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateReportResponse {
    pub report_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProcessingStatus {
    InQueue,
    InProgress,
    Done,
    Cancelled,
    Fatal,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub report_id: String,
    pub report_type: String,
    pub processing_status: ProcessingStatus,
    pub created_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_start_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_end_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_start_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_end_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_document_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompressionAlgorithm {
    #[serde(rename = "GZIP")]
    Gzip,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReportDocument {
    pub report_document_id: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_algorithm: Option<CompressionAlgorithm>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SqsResource {
    pub arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DestinationResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqs: Option<SqsResource>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CreateDestinationRequest {
    pub resource_specification: DestinationResource,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub name: String,
    pub destination_id: String,
    pub resource: DestinationResource,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateDestinationResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Destination>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetDestinationsResponse {
    #[serde(default)]
    pub payload: Vec<Destination>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CreateSubscriptionRequest {
    pub payload_version: String,
    pub destination_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub subscription_id: String,
    pub payload_version: String,
    pub destination_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Subscription>,
}
