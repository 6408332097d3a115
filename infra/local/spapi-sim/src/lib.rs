//! A stateful SP-API simulator that enforces Amazon's rules, for the tests and the local demo.
//!
//! It serves LWA (`/auth/o2/token`), Orders v2026-01-01 (searchOrders, getOrder), Finances v0
//! listFinancialEvents, the Solicitations API, the report lifecycle with gzip documents behind
//! five-minute URLs (UTF-8 or the marketplace's legacy encoding), and the Notifications API,
//! with per-seller, per-operation usage plans (429 + `x-amzn-RateLimit-Limit`), Amazon's 403
//! messages, injected faults, and a clock the caller moves. Every behaviour follows a clause of
//! Amazon's official models or docs ([`conformance::CLAUSES`] lists them); where Amazon's
//! behaviour is unknown it is a [`Fidelity`] knob. The deprecated Orders v0 is not served: the
//! product does not call it. ORDER_CHANGE notifications for the
//! orders it holds, and REPORT_PROCESSING_FINISHED for reports it finishes, are delivered to
//! the subscribed SQS destination (moto), with duplicates, losses and reordering on request.
//!
//! Use it in-process ([`Simulator::start`]) or as the `spapi-sim` binary, driven through the
//! admin API under `/_sim`.

pub mod conformance;
mod feedback;
mod http;
pub mod queues;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use autopilot_shared::domain::{Clock, ManualClock, Marketplace};
use autopilot_shared::spapi::plans::UsagePlans;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use thiserror::Error;

pub use feedback::{FeedbackRow, format_date, header as report_header, render_report};
pub use http::DROPPED;
pub use state::{
    ALREADY_REQUESTED, AmazonOrder, Faults, Fidelity, OUTSIDE_WINDOW, ReportEncoding, ReportTiming, SimOrder,
    SolicitationPace, SolicitationRecord,
};

/// The simulator: cheap to clone, all clones share one world.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<state::SimState>,
    clock: Arc<ManualClock>,
}

/// A running simulator and its address.
pub struct RunningSimulator {
    pub simulator: Simulator,
    pub addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl RunningSimulator {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Debug, Error)]
pub enum SimError {
    #[error("no SQS client configured: start the simulator with an SQS endpoint to deliver notifications")]
    NoSqs,
    #[error("destination {arn} is not an SQS queue ARN")]
    BadArn { arn: String },
    #[error("SQS {operation} failed: {message}")]
    Sqs { operation: &'static str, message: String },
    #[error("cannot listen on {addr}: {message}")]
    Bind { addr: SocketAddr, message: String },
}

/// How to deliver pending notifications.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeliveryOptions {
    /// Share of notifications sent twice (Amazon delivers at least once).
    #[serde(default)]
    pub duplicate_share: f64,
    /// Deliver in random order instead of the order the changes happened in.
    #[serde(default)]
    pub shuffle: bool,
    /// Share of notifications lost (a notification outage; the reconciliation poll must
    /// recover them).
    #[serde(default)]
    pub drop_share: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub duplicates: usize,
    pub dropped: usize,
    /// No subscription for the seller and type: discarded, as Amazon would.
    pub unsubscribed: usize,
}

impl Simulator {
    /// A simulator at `start` time with the given usage plans and, for notification delivery,
    /// an SQS client (moto).
    pub fn new(start: DateTime<Utc>, plans: UsagePlans, sqs: Option<aws_sdk_sqs::Client>) -> Self {
        let clock = Arc::new(ManualClock::new(start));
        let state = Arc::new(state::SimState::new(clock.clone(), plans, sqs));
        Self { state, clock }
    }

    /// Serve on `addr` (use port 0 for any free port) in a background task.
    pub async fn start(self, addr: SocketAddr) -> Result<RunningSimulator, SimError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|err| SimError::Bind { addr, message: err.to_string() })?;
        let addr = listener.local_addr().map_err(|err| SimError::Bind { addr, message: err.to_string() })?;
        if let Ok(mut base) = self.state.base_url.lock() {
            *base = format!("http://{addr}");
        }
        let app = http::router(self.clone());
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(error = %err, "simulator server stopped");
            }
        });
        Ok(RunningSimulator { simulator: self, addr, server })
    }

    /// The simulator's clock, to share with the code under test.
    pub fn clock(&self) -> Arc<ManualClock> {
        self.clock.clone()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn set_time(&self, to: DateTime<Utc>) {
        self.clock.set(to);
    }

    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        self.clock.advance(by)
    }

    pub fn register_application(&self, client_id: &str, client_secret: &str) {
        self.state.world().applications.insert(client_id.to_string(), client_secret.to_string());
    }

    pub fn register_seller(&self, seller_id: &str, refresh_token: &str) {
        self.state.world().refresh_tokens.insert(refresh_token.to_string(), seller_id.to_string());
    }

    /// Add or change an order, and queue the ORDER_CHANGE notification Amazon would send.
    pub fn upsert_order(&self, order: SimOrder) {
        self.change_order(order, true);
    }

    /// Change an order whose notification is lost (a revised estimate nobody hears about): only
    /// the API answers show it.
    pub fn upsert_order_silently(&self, order: SimOrder) {
        self.change_order(order, false);
    }

    fn change_order(&self, mut order: SimOrder, notify: bool) {
        let now = self.now();
        let mut world = self.state.world();
        let key = (order.seller_id.clone(), order.order.amazon_order_id.clone());
        let previous = world.orders.get(&key).cloned();
        order.shipped_at = previous.as_ref().and_then(|p| p.shipped_at).or(order.shipped_at);
        if order.shipped_at.is_none() && order.order.order_status == "Shipped" {
            order.shipped_at = Some(order.order.last_update_date);
        }
        order.refunded_at = order.refunded_at.or(previous.as_ref().and_then(|p| p.refunded_at));
        if notify {
            let change_type = match &previous {
                Some(p) if order.buyer_requested_cancel && !p.buyer_requested_cancel => "BuyerRequestedChange",
                None if order.buyer_requested_cancel => "BuyerRequestedChange",
                _ => "OrderStatusChange",
            };
            let notification_id = world.next_id("sim-notification-");
            let reason = world.fidelity.status_change_reason.clone();
            let notification = order_change_notification(&order, change_type, &reason, &notification_id, now);
            world.outbox.push((order.seller_id.clone(), "ORDER_CHANGE".into(), notification));
        }
        world.orders.insert(key, order);
    }

    /// Post a refund for an order (listed by listFinancialEvents in RefundEventList). Refunds
    /// send no ORDER_CHANGE.
    pub fn refund_order(&self, seller_id: &str, order_id: &str, posted_at: DateTime<Utc>) -> bool {
        let mut world = self.state.world();
        match world.orders.get_mut(&(seller_id.to_string(), order_id.to_string())) {
            Some(order) => {
                order.refunded_at = Some(posted_at);
                true
            }
            None => false,
        }
    }

    /// Amazon's behaviour where the models leave a choice (see [`Fidelity`]).
    pub fn set_fidelity(&self, fidelity: Fidelity) {
        self.state.world().fidelity = fidelity;
    }

    pub fn fidelity(&self) -> Fidelity {
        self.state.world().fidelity.clone()
    }

    pub fn order(&self, seller_id: &str, order_id: &str) -> Option<SimOrder> {
        self.state.world().orders.get(&(seller_id.to_string(), order_id.to_string())).cloned()
    }

    pub fn add_feedback(&self, seller_id: &str, marketplace: Marketplace, row: FeedbackRow) {
        self.state.world().feedback.push((seller_id.to_string(), marketplace, row));
    }

    /// The buyer (or Amazon) removes the feedback of an order: later reports no longer list it.
    pub fn remove_feedback(&self, seller_id: &str, order_id: &str) -> bool {
        let mut world = self.state.world();
        let before = world.feedback.len();
        world.feedback.retain(|(seller, _, row)| !(seller == seller_id && row.order_id == order_id));
        world.feedback.len() != before
    }

    /// Seed every random choice of the simulator (faults, deliveries), for repeatable runs.
    pub fn set_seed(&self, seed: u64) {
        self.state.world().rng = fastrand::Rng::with_seed(seed);
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state.world().faults = faults;
    }

    pub fn set_report_timing(&self, timing: ReportTiming) {
        self.state.world().report_timing = timing;
    }

    pub fn set_gzip_documents(&self, gzip: bool) {
        self.state.world().gzip_documents = gzip;
    }

    /// Invalidate every access token (clients must get new ones).
    pub fn revoke_access_tokens(&self) {
        self.state.world().revoke_tokens();
    }

    /// Accepted solicitations, one per order, with refused duplicates counted.
    pub fn solicitations(&self) -> Vec<SolicitationRecord> {
        self.state.world().solicitations.values().cloned().collect()
    }

    /// Each seller's accepted solicitations in wall-clock time (first, last, how many).
    pub fn solicitation_pace(&self) -> BTreeMap<String, SolicitationPace> {
        self.state.world().solicitation_pace.clone()
    }

    /// How many access tokens were issued to a seller (refresh_token grants).
    pub fn token_grants(&self, seller_id: &str) -> u32 {
        self.state.world().token_grants.get(seller_id).copied().unwrap_or(0)
    }

    /// How many calls of an operation were answered with `status` (`DROPPED`, 0, for
    /// connections dropped by fault injection).
    pub fn calls(&self, operation: &str, status: u16) -> u32 {
        self.state.world().calls.get(&(operation.to_string(), status)).copied().unwrap_or(0)
    }

    /// How many calls of an operation (by name) about one order were answered (faults and 429s
    /// not counted).
    pub fn calls_for_order(&self, operation: &str, order_id: &str) -> u32 {
        self.state.world().order_calls.get(&(operation.to_string(), order_id.to_string())).copied().unwrap_or(0)
    }

    pub fn pending_notifications(&self) -> usize {
        let now = self.state.now();
        let mut world = self.state.world();
        world.advance_reports(now);
        world.outbox.len()
    }

    /// Send every queued notification to the SQS queue its seller subscribed for that type.
    pub async fn deliver_notifications(&self, options: &DeliveryOptions) -> Result<DeliveryReport, SimError> {
        let sqs = self.state.sqs.clone().ok_or(SimError::NoSqs)?;
        let now = self.state.now();
        let (pending, routes) = {
            let mut world = self.state.world();
            world.advance_reports(now);
            let pending = std::mem::take(&mut world.outbox);
            let routes: Vec<(String, String, String)> = world
                .subscriptions
                .iter()
                .filter_map(|s| {
                    world
                        .destinations
                        .iter()
                        .find(|d| d.destination_id == s.destination_id)
                        .map(|d| (s.seller_id.clone(), s.notification_type.clone(), d.sqs_arn.clone()))
                })
                .collect();
            (pending, routes)
        };
        let mut report = DeliveryReport::default();
        let mut sends = Vec::new();
        let mut rng = self.state.world().rng.fork();
        for (seller, kind, body) in pending {
            let Some((_, _, arn)) = routes.iter().find(|(s, k, _)| *s == seller && *k == kind) else {
                report.unsubscribed += 1;
                continue;
            };
            if rng.f64() < options.drop_share {
                report.dropped += 1;
                continue;
            }
            sends.push((arn.clone(), body.clone()));
            if rng.f64() < options.duplicate_share {
                report.duplicates += 1;
                sends.push((arn.clone(), body));
            }
        }
        if options.shuffle {
            rng.shuffle(&mut sends);
        }
        for (arn, body) in sends {
            let queue_url = queue_url(&sqs, &arn).await?;
            sqs.send_message().queue_url(queue_url).message_body(body.to_string()).send().await.map_err(|err| {
                SimError::Sqs {
                    operation: "SendMessage",
                    message: aws_sdk_sqs::error::DisplayErrorContext(&err).to_string(),
                }
            })?;
            report.sent += 1;
        }
        Ok(report)
    }
}

async fn queue_url(sqs: &aws_sdk_sqs::Client, arn: &str) -> Result<String, SimError> {
    // arn:aws:sqs:{region}:{account}:{name}
    let parts: Vec<&str> = arn.split(':').collect();
    let [_, _, "sqs", _, account, name] = parts.as_slice() else {
        return Err(SimError::BadArn { arn: arn.to_string() });
    };
    let output =
        sqs.get_queue_url().queue_name(*name).queue_owner_aws_account_id(*account).send().await.map_err(|err| {
            SimError::Sqs {
                operation: "GetQueueUrl",
                message: aws_sdk_sqs::error::DisplayErrorContext(&err).to_string(),
            }
        })?;
    output.queue_url().map(str::to_string).ok_or(SimError::BadArn { arn: arn.to_string() })
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An ORDER_CHANGE notification as the model (OrderChangeNotification.json) shapes it:
/// - every required field present; the nullable ones (TimeOfOrderChange, PurchaseDate,
///   DestinationPostalCode, SupplySourceId) null when the order says so;
/// - `EarliestDeliveryDate` "Returned only for seller-fulfilled orders"; `LatestDeliveryDate`
///   "Returned only for seller-fulfilled orders that do not have a PendingAvailability, Pending,
///   or Canceled status"; ship dates likewise only for seller-fulfilled orders (DOMAIN: FBA
///   orders carry no delivery or ship dates in ORDER_CHANGE).
fn order_change_notification(
    order: &SimOrder,
    change_type: &str,
    status_change_reason: &str,
    notification_id: &str,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let o = &order.order;
    let nullable = |value: serde_json::Value| if order.null_nullable_fields { serde_json::Value::Null } else { value };
    let shipped = o.order_status == "Shipped";
    let mut summary = json!({
        "MarketplaceId": o.marketplace_id,
        "OrderStatus": o.order_status,
        "PurchaseDate": nullable(json!(iso(o.purchase_date))),
        "DestinationPostalCode": nullable(json!(order.destination_postal_code)),
        "FulfillmentType": o.fulfillment_channel,
        "OrderType": o.order_type.clone().unwrap_or_else(|| "StandardOrder".into()),
        "NumberOfItemsShipped": if shipped { order.skus.len() } else { 0 },
        "NumberOfItemsUnshipped": if shipped { 0 } else { order.skus.len() },
        "OrderPrograms": if o.is_business_order == Some(true) { vec!["Business"] } else { Vec::new() },
        "OrderItems": order.skus.iter().enumerate().map(|(n, sku)| json!({
            "OrderItemId": format!("OIID{:08}", n + 1),
            "SellerSKU": sku,
            "SupplySourceId": null,
            "OrderItemStatus": o.order_status,
            "Quantity": 1,
            "QuantityShipped": if shipped { 1 } else { 0 },
            "IsBuyerRequestedCancel": order.buyer_requested_cancel,
        })).collect::<Vec<_>>(),
    });
    if !o.is_afn() && !order.omit_delivery_dates_in_notifications {
        if let Some(d) = o.earliest_delivery_date {
            summary["EarliestDeliveryDate"] = json!(iso(d));
        }
        let latest_shown = !matches!(o.order_status.as_str(), "PendingAvailability" | "Pending" | "Canceled");
        if let Some(d) = o.latest_delivery_date.filter(|_| latest_shown) {
            summary["LatestDeliveryDate"] = json!(iso(d));
        }
    }
    let reason = if change_type == "BuyerRequestedChange" { "Buyer Requested Cancel" } else { status_change_reason };
    let trigger = json!({"TimeOfOrderChange": nullable(json!(iso(o.last_update_date))), "ChangeReason": reason});
    json!({
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": iso(now),
        "Payload": {"OrderChangeNotification": {
            "NotificationLevel": "OrderLevel",
            "SellerId": order.seller_id,
            "AmazonOrderId": o.amazon_order_id,
            "OrderChangeType": change_type,
            "OrderChangeTrigger": trigger,
            "Summary": summary,
        }},
        "NotificationMetadata": {
            "ApplicationId": "amzn1.sellerapps.app.feedback-autopilot-sim",
            "SubscriptionId": "sim-subscription",
            "PublishTime": iso(now),
            "NotificationId": notification_id,
        }
    })
}
