//! The simulator's world: applications, sellers, tokens, orders, solicitations, reports,
//! destinations and subscriptions, and the rules Amazon applies to them. Everything that
//! depends on time reads the simulator's clock, so tests and the demo move through weeks in
//! milliseconds. Rate limits are the exception: they are about real request pacing and use
//! real time.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use autopilot_shared::domain::DeliveryWindow;
use autopilot_shared::domain::{Clock, Marketplace, SolicitationWindow, WindowPosition};
use autopilot_shared::spapi::model::{ApiOrder, ProcessingStatus, Report};
use autopilot_shared::spapi::plans::{Operation, TokenBucket, UsagePlans};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::feedback::{FeedbackRow, render_report};

pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::seconds(3600);
pub const DOCUMENT_URL_LIFETIME: Duration = Duration::minutes(5);

/// An order the simulator holds, with what Amazon knows that the order API does not show.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimOrder {
    pub seller_id: String,
    pub order: ApiOrder,
    #[serde(default)]
    pub skus: Vec<String>,
    /// Sent in ORDER_CHANGE as Amazon does; a consumer must not keep it.
    #[serde(default)]
    pub destination_postal_code: Option<String>,
    #[serde(default)]
    pub buyer_requested_cancel: bool,
    /// Leave the delivery dates out of ORDER_CHANGE notifications (as real ones often do).
    #[serde(default)]
    pub omit_delivery_dates_in_notifications: bool,
    /// Amazon's own eligibility, beyond the window (e.g. restricted categories).
    #[serde(default = "yes")]
    pub solicitation_eligible: bool,
}

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
    pub report_timing: ReportTiming,
    pub gzip_documents: bool,
    next_id: u64,
    /// Count of every SP-API call by operation name and status, for tests and the demo.
    pub calls: BTreeMap<(String, u16), u32>,
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
            report_timing: ReportTiming::default(),
            gzip_documents: true,
            next_id: 0,
            calls: BTreeMap::new(),
            rng: fastrand::Rng::with_seed(DEFAULT_SEED),
        }
    }
}

impl World {
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
                    sim.document = Some(if gzip { gzip_bytes(text.as_bytes()) } else { text.into_bytes() });
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
