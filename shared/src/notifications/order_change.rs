//! ORDER_CHANGE (see Amazon's OrderChangeNotification schema) and getOrders orders, to
//! [`OrderChange`].

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::ParseError;
use crate::domain::{
    ChangeSource, DeliveryWindow, FulfillmentChannel, Marketplace, OrderChange, OrderId, OrderStatus, SellerId,
};
use crate::spapi::ApiOrder;

/// A parsed notification: an order change, or a type this consumer does not handle.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    OrderChange(Box<OrderChange>),
    Other { notification_type: String, notification_id: Option<String> },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    notification_type: String,
    #[serde(default)]
    payload: Option<serde_json::Value>,
    #[serde(default)]
    notification_metadata: Option<Metadata>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    #[serde(default)]
    notification_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Payload {
    order_change_notification: OrderChangeWire,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OrderChangeWire {
    seller_id: String,
    amazon_order_id: String,
    #[serde(default)]
    order_change_type: Option<String>,
    order_change_trigger: Trigger,
    summary: Summary,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Trigger {
    time_of_order_change: DateTime<Utc>,
    #[serde(default)]
    change_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Summary {
    marketplace_id: String,
    order_status: String,
    purchase_date: DateTime<Utc>,
    fulfillment_type: String,
    #[serde(default)]
    order_type: Option<String>,
    #[serde(default)]
    earliest_delivery_date: Option<DateTime<Utc>>,
    #[serde(default)]
    latest_delivery_date: Option<DateTime<Utc>>,
    #[serde(default)]
    order_programs: Option<Vec<String>>,
    #[serde(default)]
    order_items: Option<Vec<Item>>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "SellerSKU", default)]
    seller_sku: Option<String>,
    #[serde(rename = "IsBuyerRequestedCancel", default)]
    is_buyer_requested_cancel: Option<bool>,
}

fn from_value<T: DeserializeOwned>(value: serde_json::Value, prefix: &str) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { prefix.to_string() } else { format!("{prefix}.{path}") };
        ParseError::field(field, err.into_inner().to_string())
    })
}

/// The notification inside an SQS message: the body itself, or the `Body`/`body` of an SQS
/// message object (as ReceiveMessage or a Lambda SQS record shows it).
pub fn unwrap_sqs_envelope(text: &str) -> Result<String, ParseError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|err| ParseError::NotJson(err.to_string()))?;
    if value.get("NotificationType").is_some() {
        return Ok(text.to_string());
    }
    match value.get("Body").or_else(|| value.get("body")) {
        Some(serde_json::Value::String(body)) => Ok(body.clone()),
        _ => Err(ParseError::field(
            "NotificationType",
            "missing (neither a notification nor an SQS message with a Body)",
        )),
    }
}

/// Parse one notification body.
pub fn parse_notification(body: &str) -> Result<Notification, ParseError> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|err| ParseError::NotJson(err.to_string()))?;
    let envelope: Envelope = from_value(value, "$")?;
    let notification_id = envelope.notification_metadata.and_then(|m| m.notification_id);
    if envelope.notification_type != "ORDER_CHANGE" {
        return Ok(Notification::Other { notification_type: envelope.notification_type, notification_id });
    }
    let payload = envelope.payload.ok_or_else(|| ParseError::field("Payload", "missing"))?;
    let payload: Payload = from_value(payload, "Payload")?;
    let wire = payload.order_change_notification;
    const AT: &str = "Payload.OrderChangeNotification";
    let seller_id =
        SellerId::parse(wire.seller_id).map_err(|e| ParseError::field(format!("{AT}.SellerId"), e.to_string()))?;
    let order_id = OrderId::parse(wire.amazon_order_id)
        .map_err(|e| ParseError::field(format!("{AT}.AmazonOrderId"), e.to_string()))?;
    let summary = wire.summary;
    let marketplace = Marketplace::from_id(&summary.marketplace_id)
        .map_err(|e| ParseError::field(format!("{AT}.Summary.MarketplaceId"), e.to_string()))?;
    let status = parse_status(&summary.order_status, &format!("{AT}.Summary.OrderStatus"))?;
    let fulfillment = parse_fulfillment(&summary.fulfillment_type, &format!("{AT}.Summary.FulfillmentType"))?;
    let items = summary.order_items.unwrap_or_default();
    let cancel_reason = wire.order_change_type.as_deref() == Some("BuyerRequestedChange")
        && wire.order_change_trigger.change_reason.as_deref().is_some_and(|r| r.to_lowercase().contains("cancel"));
    let buyer_cancel_requested = cancel_reason || items.iter().any(|i| i.is_buyer_requested_cancel == Some(true));
    Ok(Notification::OrderChange(Box::new(OrderChange {
        seller_id,
        marketplace,
        order_id,
        status,
        fulfillment,
        purchase_date: summary.purchase_date,
        delivery: DeliveryWindow { earliest: summary.earliest_delivery_date, latest: summary.latest_delivery_date },
        changed_at: wire.order_change_trigger.time_of_order_change,
        order_type: summary.order_type,
        programs: summary.order_programs.unwrap_or_default(),
        skus: items.into_iter().filter_map(|i| i.seller_sku).collect(),
        buyer_cancel_requested,
        source: ChangeSource::Notification,
        notification_id,
    })))
}

fn parse_status(value: &str, field: &str) -> Result<OrderStatus, ParseError> {
    serde_json::from_value(serde_json::Value::String(value.to_string()))
        .map_err(|_| ParseError::field(field, format!("unknown order status {value:?}")))
}

fn parse_fulfillment(value: &str, field: &str) -> Result<FulfillmentChannel, ParseError> {
    serde_json::from_value(serde_json::Value::String(value.to_string()))
        .map_err(|_| ParseError::field(field, format!("expected AFN or MFN, got {value:?}")))
}

/// An order from getOrders/getOrder as a change at its `LastUpdateDate`.
pub fn api_order_change(seller_id: &SellerId, order: &ApiOrder) -> Result<OrderChange, ParseError> {
    let order_id =
        OrderId::parse(order.amazon_order_id.clone()).map_err(|e| ParseError::field("AmazonOrderId", e.to_string()))?;
    let marketplace_id =
        order.marketplace_id.as_deref().ok_or_else(|| ParseError::field("MarketplaceId", "missing"))?;
    let marketplace =
        Marketplace::from_id(marketplace_id).map_err(|e| ParseError::field("MarketplaceId", e.to_string()))?;
    let fulfillment = parse_fulfillment(order.fulfillment_channel.as_deref().unwrap_or(""), "FulfillmentChannel")?;
    let mut programs = Vec::new();
    if order.is_business_order == Some(true) {
        programs.push("Business".to_string());
    }
    if order.is_replacement_order == Some(true) {
        programs.push("Replacement".to_string());
    }
    Ok(OrderChange {
        seller_id: seller_id.clone(),
        marketplace,
        order_id,
        status: parse_status(&order.order_status, "OrderStatus")?,
        fulfillment,
        purchase_date: order.purchase_date,
        delivery: DeliveryWindow { earliest: order.earliest_delivery_date, latest: order.latest_delivery_date },
        changed_at: order.last_update_date,
        order_type: order.order_type.clone(),
        programs,
        skus: Vec::new(),
        buyer_cancel_requested: false,
        source: ChangeSource::Reconciliation,
        notification_id: None,
    })
}
