//! The simulator's world: applications, sellers, tokens, orders, solicitations, reports,
//! destinations and subscriptions, and the rules Amazon applies to them. Everything that
//! depends on time reads the simulator's clock, so tests and the demo move through weeks in
//! milliseconds. Rate limits are the exception: they are about real request pacing and use
//! real time.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use autopilot_shared::domain::DeliveryWindow;
use autopilot_shared::domain::{Clock, Marketplace, SolicitationWindow, WindowPosition};
use autopilot_shared::spapi::model::{ProcessingStatus, Report};
use autopilot_shared::spapi::plans::{Operation, TokenBucket, UsagePlans};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::feedback::{FeedbackRow, render_report};

pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::seconds(3600);
pub const DOCUMENT_URL_LIFETIME: Duration = Duration::minutes(5);

/// What Amazon knows about an order: the simulator's truth, from which every API answer is
/// rendered by the official models' rules. The delivery estimate is Amazon's own: it decides
/// the solicitation window for every order, but the answers show it only where the models say
/// so (seller-fulfilled orders in ORDER_CHANGE; `deliverByWindow` in Orders v2026, for FBA
/// orders only when [`Fidelity::afn_deliver_by_window`] is on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AmazonOrder {
    pub amazon_order_id: String,
    pub purchase_date: DateTime<Utc>,
    pub last_update_date: DateTime<Utc>,
    /// Orders v0 spelling: `Pending`, `Unshipped`, `PartiallyShipped`, `Shipped`, `Canceled`,
    /// `Unfulfillable`, `InvoiceUnconfirmed`, `PendingAvailability`.
    pub order_status: String,
    /// `AFN` or `MFN`.
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

impl AmazonOrder {
    pub fn is_afn(&self) -> bool {
        self.fulfillment_channel.as_deref() == Some("AFN")
    }
}

/// An order the simulator holds, with what Amazon knows that the order API does not show.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimOrder {
    pub seller_id: String,
    pub order: AmazonOrder,
    #[serde(default)]
    pub skus: Vec<String>,
    /// Sent in ORDER_CHANGE as Amazon does; a consumer must not keep it.
    #[serde(default)]
    pub destination_postal_code: Option<String>,
    #[serde(default)]
    pub buyer_requested_cancel: bool,
    /// Leave the delivery dates out of a seller-fulfilled order's ORDER_CHANGE notifications
    /// (DOMAIN: "present only for seller-fulfilled orders, and even then not always").
    #[serde(default)]
    pub omit_delivery_dates_in_notifications: bool,
    /// Send the fields the notification model marks nullable (TimeOfOrderChange, PurchaseDate,
    /// DestinationPostalCode) as null.
    #[serde(default)]
    pub null_nullable_fields: bool,
    /// Amazon's own eligibility, beyond the window (e.g. restricted categories).
    #[serde(default = "yes")]
    pub solicitation_eligible: bool,
    /// When Amazon first saw the order shipped (set by the simulator).
    #[serde(default)]
    pub shipped_at: Option<DateTime<Utc>>,
    /// When a refund was posted (Finances' RefundEventList).
    #[serde(default)]
    pub refunded_at: Option<DateTime<Utc>>,
}

/// Amazon's behaviour where the models leave a choice, or where its wording is not documented:
/// each a knob, with the default the project builds to, and tests that run both ways.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fidelity {
    /// Orders v2026 `fulfillment.deliverByWindow` for FBA orders: whether Amazon fills it is not
    /// documented (DOMAIN: "unverified"); off by default.
    #[serde(default)]
    pub afn_deliver_by_window: bool,
    /// 403 message for a second solicitation. Seen from Amazon (selling-partner-api-models
    /// issue #19): "The requested solicitation is not available for this amazonOrderId."
    pub already_requested_message: String,
    /// 403 message outside the window. Seen from Amazon (selling-partner-api-docs issue #121).
    pub outside_window_message: String,
    /// 403 message for an order Amazon will not solicit for other reasons: Amazon's wording is
    /// NOT documented. The default repeats the generic "not available" text, the only wording
    /// on record for an unavailable solicitation; tests set others.
    pub not_eligible_message: String,
    /// ORDER_CHANGE `ChangeReason` (required by the model) for changes that are not a buyer's
    /// request: Amazon's wording is NOT documented (its example shows only "Buyer Requested
    /// Cancel"), so the simulator says which change type it was.
    pub status_change_reason: String,
    /// How long after posting a financial event is listed ("Orders from the last 48 hours might
    /// not be included in financial events").
    #[serde(default)]
    pub finances_delay_hours: i64,
    /// How report documents are encoded and labelled.
    #[serde(default)]
    pub report_encoding: ReportEncoding,
}

/// The encoding of report documents (DOMAIN: "not always UTF-8"; JP files Windows-31J, EU
/// files Cp1252, as reported by SP-API users).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportEncoding {
    /// UTF-8, `Content-Type: text/plain; charset=UTF-8`.
    #[default]
    Utf8,
    /// The marketplace's legacy encoding, with its charset in the Content-Type.
    LegacyLabelled,
    /// The marketplace's legacy encoding, with no charset in the Content-Type.
    LegacyUnlabelled,
}

impl Default for Fidelity {
    fn default() -> Self {
        Self {
            afn_deliver_by_window: false,
            already_requested_message: ALREADY_REQUESTED.to_string(),
            outside_window_message: OUTSIDE_WINDOW.to_string(),
            not_eligible_message: ALREADY_REQUESTED.to_string(),
            status_change_reason: "OrderStatusChange".to_string(),
            finances_delay_hours: 0,
            report_encoding: ReportEncoding::Utf8,
        }
    }
}

/// Amazon's 403 message for a second solicitation (selling-partner-api-models issue #19).
pub const ALREADY_REQUESTED: &str = "The requested solicitation is not available for this amazonOrderId.";
/// Amazon's 403 message outside the window (selling-partner-api-docs issue #121).
pub const OUTSIDE_WINDOW: &str =
    "You can\u{2019}t use this feature to request a review outside the 5-30 day range after the order delivery date.";

fn yes() -> bool {
    true
}

/// One accepted solicitation, and how many were refused as duplicates afterwards.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SolicitationRecord {
    pub seller_id: String,
    pub order_id: String,
    pub marketplace_id: String,
    pub sent_at: DateTime<Utc>,
    pub window_opens_at: DateTime<Utc>,
    pub window_closes_at: DateTime<Utc>,
    pub accepted: u32,
    pub refused_duplicates: u32,
}

/// A seller's accepted solicitations in wall-clock time (not the simulator's clock, which tests
/// move by hand): the first and last, and how many.
#[derive(Debug, Clone, Copy)]
pub struct SolicitationPace {
    pub first: std::time::Instant,
    pub last: std::time::Instant,
    pub accepted: u32,
}

impl SolicitationPace {
    /// Requests per second after the first `burst` (the plan's free burst), over the time from
    /// the first to the last; `None` with nothing after the burst.
    pub fn steady_rate(&self, burst: u32) -> Option<f64> {
        let span = self.last.duration_since(self.first).as_secs_f64();
        (self.accepted > burst && span > 0.0).then(|| f64::from(self.accepted - burst) / span)
    }
}

/// Failures to inject into SP-API operations (not the admin API, not LWA).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Faults {
    /// Share of calls answered 500.
    #[serde(default)]
    pub error_500: f64,
    /// Share of calls answered 503.
    #[serde(default)]
    pub error_503: f64,
    /// Share of calls whose connection is dropped mid-response.
    #[serde(default)]
    pub drop_connection: f64,
    /// Added to every call.
    #[serde(default)]
    pub latency_ms: u64,
}

#[derive(Debug, Clone)]
pub enum Principal {
    Seller(String),
    /// A grantless token of an application (client id) with its scope.
    Application(String),
}

#[derive(Debug, Clone)]
struct AccessToken {
    principal: Principal,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SimReport {
    pub seller_id: String,
    pub report: Report,
    /// The rendered document, fixed when processing finishes.
    pub document: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimDestination {
    pub destination_id: String,
    pub name: String,
    pub sqs_arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimSubscription {
    pub subscription_id: String,
    pub seller_id: String,
    pub notification_type: String,
    pub destination_id: String,
}

/// Timing of the report lifecycle, in simulated time.
#[derive(Debug, Clone, Copy)]
pub struct ReportTiming {
    pub queued_for: Duration,
    pub processing_for: Duration,
}

impl Default for ReportTiming {
    fn default() -> Self {
        Self { queued_for: Duration::seconds(20), processing_for: Duration::seconds(40) }
    }
}

pub struct World {
    pub applications: HashMap<String, String>,
    /// refresh token -> seller id
    pub refresh_tokens: HashMap<String, String>,
    tokens: HashMap<String, AccessToken>,
    pub token_grants: HashMap<String, u32>,
    pub orders: BTreeMap<(String, String), SimOrder>,
    pub solicitations: BTreeMap<(String, String), SolicitationRecord>,
    pub feedback: Vec<(String, Marketplace, FeedbackRow)>,
    pub reports: BTreeMap<String, SimReport>,
    pub destinations: Vec<SimDestination>,
    pub subscriptions: Vec<SimSubscription>,
    /// Notifications waiting for delivery: (seller id, notification type, JSON body).
    pub outbox: Vec<(String, String, serde_json::Value)>,
    pub faults: Faults,
    pub fidelity: Fidelity,
    pub report_timing: ReportTiming,
    pub gzip_documents: bool,
    next_id: u64,
    /// Count of every SP-API call by operation name and status, for tests and the demo.
    pub calls: BTreeMap<(String, u16), u32>,
    /// Calls about one order that got past the usage plan and faults, by operation name and
    /// order id: what an order costs.
    pub order_calls: BTreeMap<(String, String), u32>,
    /// Per seller, the wall-clock instants of its first and last accepted solicitation and how
    /// many it had: the pace a seller reached against its plan (the scale bench reads it).
    pub solicitation_pace: BTreeMap<String, SolicitationPace>,
    /// Every random choice (faults, notification duplicates, losses and order) comes from this
    /// seeded generator, so a test or demo run is repeatable.
    pub rng: fastrand::Rng,
}

/// The seed a simulator starts with; `Simulator::set_seed` changes it.
pub const DEFAULT_SEED: u64 = 0x5EED_F00D;

impl Default for World {
    fn default() -> Self {
        Self {
            applications: HashMap::new(),
            refresh_tokens: HashMap::new(),
            tokens: HashMap::new(),
            token_grants: HashMap::new(),
            orders: BTreeMap::new(),
            solicitations: BTreeMap::new(),
            feedback: Vec::new(),
            reports: BTreeMap::new(),
            destinations: Vec::new(),
            subscriptions: Vec::new(),
            outbox: Vec::new(),
            faults: Faults::default(),
            fidelity: Fidelity::default(),
            report_timing: ReportTiming::default(),
            gzip_documents: true,
            next_id: 0,
            calls: BTreeMap::new(),
            order_calls: BTreeMap::new(),
            solicitation_pace: BTreeMap::new(),
            rng: fastrand::Rng::with_seed(DEFAULT_SEED),
        }
    }
}

impl World {
    /// Note an accepted solicitation of `seller` now (wall clock).
    pub fn note_solicitation(&mut self, seller: &str) {
        let now = std::time::Instant::now();
        self.solicitation_pace
            .entry(seller.to_string())
            .and_modify(|pace| {
                pace.last = now;
                pace.accepted += 1;
            })
            .or_insert(SolicitationPace { first: now, last: now, accepted: 1 });
    }

    pub fn count_order_call(&mut self, operation: Operation, order_id: &str) {
        *self.order_calls.entry((operation.name().to_string(), order_id.to_string())).or_default() += 1;
    }

    pub fn next_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    pub fn issue_token(&mut self, principal: Principal, now: DateTime<Utc>) -> String {
        let token = format!("Atza|sim-{}-{:016x}", self.next_id("t"), fastrand::u64(..));
        let key = match &principal {
            Principal::Seller(s) => s.clone(),
            Principal::Application(a) => format!("app:{a}"),
        };
        *self.token_grants.entry(key).or_default() += 1;
        self.tokens.insert(token.clone(), AccessToken { principal, expires_at: now + ACCESS_TOKEN_LIFETIME });
        token
    }

    /// Forget every access token (as if Amazon rotated keys): clients must refresh.
    pub fn revoke_tokens(&mut self) {
        self.tokens.clear();
    }

    pub fn principal(&self, token: Option<&str>, now: DateTime<Utc>) -> Result<Principal, &'static str> {
        let Some(token) = token else { return Err("The access token you provided is revoked, malformed or invalid.") };
        match self.tokens.get(token) {
            None => Err("The access token you provided is revoked, malformed or invalid."),
            Some(t) if t.expires_at <= now => Err("The access token you provided has expired."),
            Some(t) => Ok(t.principal.clone()),
        }
    }

    /// Where the order stands for a review request now.
    pub fn solicitation_check(&self, seller: &str, order_id: &str, now: DateTime<Utc>) -> SolicitationCheck {
        let Some(order) = self.orders.get(&(seller.to_string(), order_id.to_string())) else {
            return SolicitationCheck::UnknownOrder;
        };
        if self.solicitations.contains_key(&(seller.to_string(), order_id.to_string())) {
            return SolicitationCheck::AlreadySent;
        }
        if order.order.order_status != "Shipped" || order.buyer_requested_cancel || !order.solicitation_eligible {
            return SolicitationCheck::NotEligible;
        }
        // Amazon's own estimate decides, whether or not its answers show it (FBA orders).
        let delivery =
            DeliveryWindow { earliest: order.order.earliest_delivery_date, latest: order.order.latest_delivery_date };
        let Some(window) = SolicitationWindow::for_delivery(&delivery) else { return SolicitationCheck::NotEligible };
        match window.position(now) {
            WindowPosition::Open => SolicitationCheck::Allowed(window),
            WindowPosition::NotYetOpen | WindowPosition::Closed => SolicitationCheck::OutsideWindow,
        }
    }

    /// The report's status at `now`, finishing it (rendering its document) when its time came.
    pub fn advance_report(&mut self, report_id: &str, now: DateTime<Utc>) -> Option<Report> {
        let timing = self.report_timing;
        let gzip = self.gzip_documents;
        let encoding = self.fidelity.report_encoding;
        let feedback = &self.feedback;
        let sim = self.reports.get_mut(report_id)?;
        let created = sim.report.created_time;
        if sim.report.processing_status == ProcessingStatus::InQueue && now >= created + timing.queued_for {
            sim.report.processing_status = ProcessingStatus::InProgress;
            sim.report.processing_start_time = Some(created + timing.queued_for);
        }
        let finish_at = created + timing.queued_for + timing.processing_for;
        if sim.report.processing_status == ProcessingStatus::InProgress && now >= finish_at {
            let marketplace = sim
                .report
                .marketplace_ids
                .as_ref()
                .and_then(|ids| ids.first())
                .and_then(|id| Marketplace::from_id(id).ok());
            let from = sim.report.data_start_time.unwrap_or(created - Duration::days(365)).date_naive();
            let to = sim.report.data_end_time.unwrap_or(created).date_naive();
            let rows: Vec<&FeedbackRow> = feedback
                .iter()
                .filter(|(seller, m, row)| {
                    *seller == sim.seller_id && Some(*m) == marketplace && in_range(row.date, from, to)
                })
                .map(|(_, _, row)| row)
                .collect();
            sim.report.processing_end_time = Some(finish_at);
            match marketplace {
                Some(m) if !rows.is_empty() => {
                    sim.report.processing_status = ProcessingStatus::Done;
                    let document_id = format!("amzn1.spdoc.1.4.sim.{}", report_id);
                    sim.report.report_document_id = Some(document_id);
                    let text = render_report(m, &rows);
                    let bytes = crate::feedback::encode(&text, m, encoding);
                    sim.document = Some(if gzip { gzip_bytes(&bytes) } else { bytes });
                }
                _ => sim.report.processing_status = ProcessingStatus::Cancelled,
            }
            let notification = report_finished_notification(&sim.seller_id, &sim.report, finish_at);
            let seller = sim.seller_id.clone();
            let report = sim.report.clone();
            self.outbox.push((seller, "REPORT_PROCESSING_FINISHED".into(), notification));
            return Some(report);
        }
        Some(sim.report.clone())
    }

    /// Move every unfinished report to its state at `now` (queueing its notification when it
    /// finishes), as Amazon's processing does in the background.
    pub fn advance_reports(&mut self, now: DateTime<Utc>) {
        let unfinished: Vec<String> = self
            .reports
            .iter()
            .filter(|(_, r)| {
                matches!(r.report.processing_status, ProcessingStatus::InQueue | ProcessingStatus::InProgress)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in unfinished {
            self.advance_report(&id, now);
        }
    }
}

/// REPORT_PROCESSING_FINISHED as Amazon shapes it (see ReportProcessingFinishedNotification.json).
fn report_finished_notification(seller_id: &str, report: &Report, at: DateTime<Utc>) -> serde_json::Value {
    let time = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut finished = serde_json::json!({
        "sellerId": seller_id,
        "accountId": format!("amzn1.merchant.o.{seller_id}"),
        "reportId": report.report_id,
        "reportType": report.report_type,
        "processingStatus": report.processing_status,
    });
    if let Some(document) = &report.report_document_id {
        finished["reportDocumentId"] = serde_json::json!(document);
    }
    serde_json::json!({
        "notificationVersion": "2020-09-04",
        "notificationType": "REPORT_PROCESSING_FINISHED",
        "payloadVersion": "2020-09-04",
        "eventTime": time,
        "payload": {"reportProcessingFinishedNotification": finished},
        "notificationMetadata": {
            "applicationId": "amzn1.sellerapps.app.feedback-autopilot-sim",
            "subscriptionId": "sim-subscription-reports",
            "publishTime": time,
            "notificationId": format!("report-finished-{}", report.report_id),
        }
    })
}

fn in_range(date: NaiveDate, from: NaiveDate, to: NaiveDate) -> bool {
    date >= from && date <= to
}

fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolicitationCheck {
    UnknownOrder,
    AlreadySent,
    NotEligible,
    OutsideWindow,
    Allowed(SolicitationWindow),
}

/// Shared state behind the HTTP handlers and the admin API.
pub struct SimState {
    pub world: Mutex<World>,
    pub clock: Arc<dyn Clock>,
    pub plans: UsagePlans,
    buckets: Mutex<HashMap<(String, Operation), Arc<TokenBucket>>>,
    pub sqs: Option<aws_sdk_sqs::Client>,
    pub base_url: Mutex<String>,
}

impl SimState {
    pub fn new(clock: Arc<dyn Clock>, plans: UsagePlans, sqs: Option<aws_sdk_sqs::Client>) -> Self {
        let world = World::default();
        Self {
            world: Mutex::new(world),
            clock,
            plans,
            buckets: Mutex::new(HashMap::new()),
            sqs,
            base_url: Mutex::new(String::new()),
        }
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        // The world holds plain data; a panic elsewhere while it was locked leaves it usable.
        self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn bucket(&self, principal: &str, operation: Operation) -> Arc<TokenBucket> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        buckets
            .entry((principal.to_string(), operation))
            .or_insert_with(|| Arc::new(TokenBucket::new(self.plans.get(operation))))
            .clone()
    }
}
