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

/// An order as Orders API v2026-01-01 returns it (searchOrders, getOrder). Only what Feedback
/// Autopilot needs is declared; `buyer`, `recipient` and the money datasets are never asked for
/// (no `includedData=BUYER|RECIPIENT`) nor declared, so no buyer data is ever read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order2026 {
    pub order_id: String,
    pub created_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
    /// e.g. `AMAZON_BUSINESS`, `PRIME`, `PREORDER`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associated_orders: Vec<AssociatedOrder>,
    pub sales_channel: SalesChannel,
    /// Only with `includedData=FULFILLMENT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<OrderFulfillment>,
    /// Required by the model; tolerated when absent.
    #[serde(default)]
    pub order_items: Vec<OrderItem2026>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociatedOrder {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// `REPLACEMENT_ORIGINAL_ID`, `EXCHANGE_ORIGINAL_ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesChannel {
    pub channel_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderFulfillment {
    /// `PENDING_AVAILABILITY`, `PENDING`, `UNSHIPPED`, `PARTIALLY_SHIPPED`, `SHIPPED`,
    /// `CANCELLED`, `UNFULFILLABLE`.
    pub fulfillment_status: String,
    /// `AMAZON` or `MERCHANT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilled_by: Option<String>,
    /// "The promised time period within which the order should be delivered". Whether Amazon
    /// fills it for FBA orders is not documented: used when present, never relied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_by_window: Option<DateTimeRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_date_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_date_time: Option<DateTime<Utc>>,
}

/// An order item: only what exclusions need (the SKU, a buyer's cancellation request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem2026 {
    pub order_item_id: String,
    #[serde(default)]
    pub quantity_ordered: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ItemProduct>,
    /// Only with `includedData=CANCELLATION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<ItemCancellation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemProduct {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemCancellation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_request: Option<ItemCancellationRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemCancellationRequest {
    /// `BUYER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// searchOrders' answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchOrdersResponse {
    pub orders: Vec<Order2026>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_before: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_before: Option<DateTime<Utc>>,
}

/// getOrder's (v2026-01-01) answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetOrderResponse {
    pub order: Order2026,
}

/// listFinancialEvents (Finances v0): only the refund events are declared.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ListFinancialEventsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<FinancialEventsPage>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FinancialEventsPage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_events: Option<FinancialEvents>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FinancialEvents {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refund_event_list: Vec<RefundEvent>,
}

/// A `ShipmentEvent` in `RefundEventList`: the order and when the refund was posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefundEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_name: Option<String>,
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
