//! ORDER_CHANGE (see Amazon's OrderChangeNotification schema) and Orders v2026-01-01 orders
//! (searchOrders, getOrder), to [`OrderChange`].

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::ParseError;
use crate::domain::clock::plausible;
use crate::domain::{
    ChangeSource, DeliveryWindow, FulfillmentChannel, Marketplace, OrderChange, OrderId, OrderStatus, SellerId,
};
use crate::spapi::Order2026;

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
    /// When the notification was published: what orders a change whose TimeOfOrderChange is
    /// null.
    #[serde(default)]
    event_time: Option<DateTime<Utc>>,
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
    /// Required and nullable in the model: "null when there is no related timestamp".
    #[serde(deserialize_with = "required_nullable")]
    time_of_order_change: Option<DateTime<Utc>>,
    #[serde(default)]
    change_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Summary {
    marketplace_id: String,
    order_status: String,
    /// Required and nullable in the model.
    #[serde(deserialize_with = "required_nullable")]
    purchase_date: Option<DateTime<Utc>>,
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

/// A field the model requires but allows to be null: missing is an error, null is `None`.
fn required_nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
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
        // Logged by the handler: never more of it than an error would show.
        let notification_type = super::clip(&envelope.notification_type);
        return Ok(Notification::Other {
            notification_type,
            notification_id: notification_id.map(|id| super::clip(&id)),
        });
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
    let changed_at = wire.order_change_trigger.time_of_order_change.or(envelope.event_time).ok_or_else(|| {
        ParseError::field(format!("{AT}.OrderChangeTrigger.TimeOfOrderChange"), "null, and no EventTime to use instead")
    })?;
    check_dates(&[
        (format!("{AT}.OrderChangeTrigger.TimeOfOrderChange"), Some(changed_at)),
        (format!("{AT}.Summary.PurchaseDate"), summary.purchase_date),
        (format!("{AT}.Summary.EarliestDeliveryDate"), summary.earliest_delivery_date),
        (format!("{AT}.Summary.LatestDeliveryDate"), summary.latest_delivery_date),
    ])?;
    Ok(Notification::OrderChange(Box::new(OrderChange {
        seller_id,
        marketplace,
        order_id,
        status,
        fulfillment,
        purchase_date: summary.purchase_date,
        delivery: DeliveryWindow { earliest: summary.earliest_delivery_date, latest: summary.latest_delivery_date },
        changed_at,
        order_type: summary.order_type,
        programs: summary.order_programs.unwrap_or_default(),
        skus: items.into_iter().filter_map(|i| i.seller_sku).collect(),
        buyer_cancel_requested,
        source: ChangeSource::Notification,
        notification_id,
    })))
}

/// Dates an order could have (years 2000 to 2199): anything else is refused, naming the field,
/// before any arithmetic is done with it.
fn check_dates(dates: &[(String, Option<DateTime<Utc>>)]) -> Result<(), ParseError> {
    for (field, date) in dates {
        if let Some(date) = date.filter(|d| !plausible(*d)) {
            return Err(ParseError::field(
                field.clone(),
                format!("year {} is not a plausible order date", date.year()),
            ));
        }
    }
    Ok(())
}

fn parse_status(value: &str, field: &str) -> Result<OrderStatus, ParseError> {
    serde_json::from_value(serde_json::Value::String(value.to_string()))
        .map_err(|_| ParseError::field(field, format!("unknown order status {:?}", super::clip(value))))
}

fn parse_fulfillment(value: &str, field: &str) -> Result<FulfillmentChannel, ParseError> {
    serde_json::from_value(serde_json::Value::String(value.to_string()))
        .map_err(|_| ParseError::field(field, format!("expected AFN or MFN, got {:?}", super::clip(value))))
}

/// An Orders v2026-01-01 order (with the FULFILLMENT dataset) as a change at its
/// `lastUpdatedTime`. `deliverByWindow`, when Amazon gives it, is the delivery estimate.
pub fn api_order_change(seller_id: &SellerId, order: &Order2026) -> Result<OrderChange, ParseError> {
    let order_id = OrderId::parse(order.order_id.clone()).map_err(|e| ParseError::field("orderId", e.to_string()))?;
    let marketplace_id = order
        .sales_channel
        .marketplace_id
        .as_deref()
        .ok_or_else(|| ParseError::field("salesChannel.marketplaceId", "missing"))?;
    let marketplace = Marketplace::from_id(marketplace_id)
        .map_err(|e| ParseError::field("salesChannel.marketplaceId", e.to_string()))?;
    let fulfillment = order
        .fulfillment
        .as_ref()
        .ok_or_else(|| ParseError::field("fulfillment", "missing (asked for with includedData=FULFILLMENT)"))?;
    let status = match fulfillment.fulfillment_status.as_str() {
        "PENDING_AVAILABILITY" => OrderStatus::PendingAvailability,
        "PENDING" => OrderStatus::Pending,
        "UNSHIPPED" => OrderStatus::Unshipped,
        "PARTIALLY_SHIPPED" => OrderStatus::PartiallyShipped,
        "SHIPPED" => OrderStatus::Shipped,
        "CANCELLED" => OrderStatus::Canceled,
        "UNFULFILLABLE" => OrderStatus::Unfulfillable,
        other => {
            return Err(ParseError::field(
                "fulfillment.fulfillmentStatus",
                format!("unknown status {:?}", super::clip(other)),
            ));
        }
    };
    let channel = match fulfillment.fulfilled_by.as_deref() {
        Some("AMAZON") => FulfillmentChannel::Afn,
        Some("MERCHANT") => FulfillmentChannel::Mfn,
        other => {
            return Err(ParseError::field(
                "fulfillment.fulfilledBy",
                format!("expected AMAZON or MERCHANT, got {:?}", other.map(super::clip)),
            ));
        }
    };
    let window = fulfillment.deliver_by_window.unwrap_or_default();
    check_dates(&[
        ("createdTime".to_string(), Some(order.created_time)),
        ("lastUpdatedTime".to_string(), Some(order.last_updated_time)),
        ("fulfillment.deliverByWindow.earliestDateTime".to_string(), window.earliest_date_time),
        ("fulfillment.deliverByWindow.latestDateTime".to_string(), window.latest_date_time),
    ])?;
    // The names seller exclusions use (ORDER_CHANGE's `OrderPrograms` say `Business`).
    let mut programs: Vec<String> = order
        .programs
        .iter()
        .map(|p| if p == "AMAZON_BUSINESS" { "Business".to_string() } else { p.clone() })
        .collect();
    if order.associated_orders.iter().any(|a| a.association_type.as_deref() == Some("REPLACEMENT_ORIGINAL_ID")) {
        programs.push("Replacement".to_string());
    }
    let buyer_cancel_requested = order.order_items.iter().any(|item| {
        item.cancellation
            .as_ref()
            .and_then(|c| c.cancellation_request.as_ref())
            .is_some_and(|r| r.requester.as_deref() == Some("BUYER"))
    });
    Ok(OrderChange {
        seller_id: seller_id.clone(),
        marketplace,
        order_id,
        status,
        fulfillment: channel,
        purchase_date: Some(order.created_time),
        delivery: DeliveryWindow { earliest: window.earliest_date_time, latest: window.latest_date_time },
        changed_at: order.last_updated_time,
        // v2026 has no order type; a pre-order says so among its programs (the recorded type
        // is kept otherwise).
        order_type: order.programs.iter().any(|p| p == "PREORDER").then(|| "Preorder".to_string()),
        programs,
        skus: order.order_items.iter().filter_map(|i| i.product.as_ref()?.seller_sku.clone()).collect(),
        buyer_cancel_requested,
        source: ChangeSource::Reconciliation,
        notification_id: None,
    })
}
