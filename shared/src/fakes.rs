//! In-memory test doubles of the ports, for unit tests of the orchestration (dispatch's claims
//! and outcomes, the recorder's conflicts, the alert ledger) that run in milliseconds without
//! the local stack. Compiled for this crate's tests and, with the `fakes` feature, for the
//! function crates' handler tests. The adapter and end-to-end tests never use them: they run
//! against DynamoDB Local, moto and the SP-API simulator.
//!
//! The fakes keep the contracts the real adapters keep (conditional writes answer `Conflict`,
//! a ledger claim holds for a lease, Amazon takes one request per order) and let a test inject
//! what is hard to provoke for real: a writer that slips in between a read and a write, a
//! failing backend, an answer from Amazon.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use tokio::time::Instant;

use crate::alerts::{AlertKey, AlertLedger, Claim, ClaimToken, DigestEntry, DigestLog, LedgerWrite, MailError, Mailer};
use crate::domain::ratings::DailyBuckets;
use crate::domain::{Clock, EmailAddress, Marketplace, Order, OrderId, Region, SellerAccount, SellerId};
use crate::events::{DomainEvent, EventPublisher, PublishError};
use crate::spapi::{
    CreateReportSpecification, DownloadedDocument, FinancialEventsPage, ForbiddenKind, Order2026, OrdersQuery, Report,
    SearchOrdersResponse, SellerCalls, SpApiAccess, SpApiError,
};
use crate::store::{
    CheckpointKey, CheckpointStore, DueOrder, DueReviewRequests, Expect, OpenCount, OrderDay, OrderRepository,
    OrderVolume, OutcomeCounts, PutOutcome, RatingSnapshot, RatingStore, ReviewOutcomes, SellerDirectory, StoreError,
    SyncCheckpoint, Versioned,
};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The error an injected backend failure answers with.
fn unavailable(operation: &'static str) -> StoreError {
    StoreError::Backend {
        operation,
        message: "injected: the table is unavailable".into(),
        retryable: true,
        source: "injected".into(),
    }
}

/// The store ports over maps. Versions and conditions behave as DynamoDB's conditional writes.
#[derive(Default)]
pub struct MemoryStore {
    orders: Mutex<BTreeMap<(SellerId, OrderId), Versioned<Order>>>,
    sellers: Mutex<BTreeMap<SellerId, SellerAccount>>,
    checkpoints: Mutex<HashMap<CheckpointKey, SyncCheckpoint>>,
    snapshots: Mutex<BTreeMap<(SellerId, Marketplace, NaiveDate), RatingSnapshot>>,
    buckets: Mutex<HashMap<(SellerId, Marketplace), DailyBuckets>>,
    outcomes: Mutex<BTreeMap<(SellerId, Marketplace, NaiveDate), OutcomeCounts>>,
    /// Orders per purchase day as counted from searchOrders.
    order_days: Mutex<BTreeMap<(SellerId, Marketplace, NaiveDate), OrderDay>>,
    /// Per order: (writes to let through first, writes that then find another writer first).
    interference: Mutex<HashMap<OrderId, (u32, u32)>>,
    order_writes: AtomicU32,
    unavailable: AtomicBool,
}

impl MemoryStore {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// After `after` more writes of `order` go through, the next `times` conditional writes
    /// lose their race: another writer stores its own version first (the order's content
    /// stays, its version moves on).
    pub fn interfere(&self, order: &OrderId, after: u32, times: u32) {
        lock(&self.interference).insert(order.clone(), (after, times));
    }

    /// Every call fails as a DynamoDB outage would, until switched back.
    pub fn set_unavailable(&self, down: bool) {
        self.unavailable.store(down, Ordering::SeqCst);
    }

    /// Conditional order writes that were stored.
    pub fn order_writes(&self) -> u32 {
        self.order_writes.load(Ordering::SeqCst)
    }

    /// The stored order, as a test inspects it.
    pub fn order(&self, seller: &SellerId, order: &OrderId) -> Option<Versioned<Order>> {
        lock(&self.orders).get(&(seller.clone(), order.clone())).cloned()
    }

    /// Store `order` as it is, unconditionally (a test's starting state).
    pub fn insert_order(&self, order: Order) {
        let key = (order.seller_id.clone(), order.order_id.clone());
        let mut orders = lock(&self.orders);
        let version = orders.get(&key).map_or(1, |v| v.version + 1);
        orders.insert(key, Versioned { value: order, version });
    }

    /// The snapshots of a seller and marketplace dated in `days`, oldest first.
    fn snapshots_of(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        days: impl std::ops::RangeBounds<NaiveDate>,
    ) -> Result<Vec<RatingSnapshot>, StoreError> {
        self.check("Query")?;
        let snapshots = lock(&self.snapshots);
        let of = |(s, m, d): &(SellerId, Marketplace, NaiveDate)| s == seller && *m == marketplace && days.contains(d);
        Ok(snapshots.iter().filter(|(key, _)| of(key)).map(|(_, snapshot)| snapshot.clone()).collect())
    }

    fn check(&self, operation: &'static str) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) { Err(unavailable(operation)) } else { Ok(()) }
    }
}

#[async_trait]
impl OrderRepository for MemoryStore {
    async fn get_order(&self, seller: &SellerId, order: &OrderId) -> Result<Option<Versioned<Order>>, StoreError> {
        self.check("GetItem")?;
        Ok(self.order(seller, order))
    }

    async fn put_order(&self, order: &Order, expect: Expect) -> Result<PutOutcome, StoreError> {
        self.check("PutItem")?;
        let key = (order.seller_id.clone(), order.order_id.clone());
        let mut orders = lock(&self.orders);
        if let Some((after, times)) = lock(&self.interference).get_mut(&order.order_id) {
            if *after > 0 {
                *after -= 1;
            } else if *times > 0 {
                *times -= 1;
                if let Some(stored) = orders.get_mut(&key) {
                    stored.version += 1;
                }
                return Ok(PutOutcome::Conflict);
            }
        }
        let current = orders.get(&key).map(|v| v.version);
        let holds = match expect {
            Expect::Absent => current.is_none(),
            Expect::Version(version) => current == Some(version),
        };
        if !holds {
            return Ok(PutOutcome::Conflict);
        }
        let version = expect.next_version();
        orders.insert(key, Versioned { value: order.clone(), version });
        self.order_writes.fetch_add(1, Ordering::SeqCst);
        Ok(PutOutcome::Written { version })
    }
}

#[async_trait]
impl OrderVolume for MemoryStore {
    async fn orders_per_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<NaiveDate, u64>, StoreError> {
        self.check("Query")?;
        let days = lock(&self.order_days);
        let range = (seller.clone(), marketplace, from)..=(seller.clone(), marketplace, to);
        Ok(days.range(range).filter(|(_, d)| d.resume.is_none()).map(|((_, _, day), d)| (*day, d.orders)).collect())
    }

    async fn latest_order_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
    ) -> Result<Option<OrderDay>, StoreError> {
        self.check("Query")?;
        let days = lock(&self.order_days);
        Ok(days.iter().rev().find(|((s, m, _), _)| s == seller && *m == marketplace).map(|(_, d)| d.clone()))
    }

    async fn put_order_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: &OrderDay,
    ) -> Result<(), StoreError> {
        self.check("PutItem")?;
        lock(&self.order_days).insert((seller.clone(), marketplace, day.day), day.clone());
        Ok(())
    }
}

#[async_trait]
impl DueReviewRequests for MemoryStore {
    async fn due_review_requests(
        &self,
        seller: &SellerId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError> {
        self.check("Query")?;
        let mut due: Vec<DueOrder> = lock(&self.orders)
            .values()
            .filter(|v| &v.value.seller_id == seller)
            .filter_map(|v| {
                let look_at = v.value.review_request.next_look_at()?;
                (look_at <= now).then(|| DueOrder {
                    seller_id: seller.clone(),
                    order_id: v.value.order_id.clone(),
                    look_at,
                })
            })
            .collect();
        due.sort_by(|a, b| a.look_at.cmp(&b.look_at).then_with(|| a.order_id.cmp(&b.order_id)));
        due.truncate(limit);
        Ok(due)
    }

    async fn count_open(&self, seller: &SellerId, now: DateTime<Utc>) -> Result<OpenCount, StoreError> {
        self.check("Query")?;
        let orders = lock(&self.orders);
        let open: Vec<DateTime<Utc>> = orders
            .values()
            .filter(|v| &v.value.seller_id == seller)
            .filter_map(|v| v.value.review_request.next_look_at())
            .collect();
        Ok(OpenCount { open: open.len() as u64, due_now: open.iter().filter(|at| **at <= now).count() as u64 })
    }
}

#[async_trait]
impl SellerDirectory for MemoryStore {
    async fn put_seller(&self, seller: &SellerAccount) -> Result<(), StoreError> {
        self.check("PutItem")?;
        lock(&self.sellers).insert(seller.seller_id.clone(), seller.clone());
        Ok(())
    }

    async fn get_seller(&self, seller: &SellerId) -> Result<Option<SellerAccount>, StoreError> {
        self.check("GetItem")?;
        Ok(lock(&self.sellers).get(seller).cloned())
    }

    async fn list_sellers(&self) -> Result<Vec<SellerAccount>, StoreError> {
        self.check("Query")?;
        Ok(lock(&self.sellers).values().cloned().collect())
    }

    async fn delete_seller(&self, seller: &SellerId) -> Result<(), StoreError> {
        self.check("DeleteItem")?;
        lock(&self.sellers).remove(seller);
        Ok(())
    }
}

#[async_trait]
impl ReviewOutcomes for MemoryStore {
    async fn add_outcomes(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: NaiveDate,
        counts: &OutcomeCounts,
    ) -> Result<(), StoreError> {
        self.check("UpdateItem")?;
        lock(&self.outcomes).entry((seller.clone(), marketplace, day)).or_default().add(counts);
        Ok(())
    }

    async fn outcomes_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<OutcomeCounts, StoreError> {
        self.check("Query")?;
        let mut total = OutcomeCounts::default();
        for ((s, m, day), counts) in lock(&self.outcomes).iter() {
            if s == seller && *m == marketplace && (from..=to).contains(day) {
                total.add(counts);
            }
        }
        Ok(total)
    }
}

#[async_trait]
impl CheckpointStore for MemoryStore {
    async fn get_checkpoint(&self, key: &CheckpointKey) -> Result<Option<SyncCheckpoint>, StoreError> {
        self.check("GetItem")?;
        Ok(lock(&self.checkpoints).get(key).cloned())
    }

    async fn put_checkpoint(&self, key: &CheckpointKey, checkpoint: &SyncCheckpoint) -> Result<(), StoreError> {
        self.check("PutItem")?;
        lock(&self.checkpoints).insert(key.clone(), checkpoint.clone());
        Ok(())
    }
}

#[async_trait]
impl RatingStore for MemoryStore {
    async fn get_buckets(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
    ) -> Result<Option<DailyBuckets>, StoreError> {
        self.check("GetItem")?;
        Ok(lock(&self.buckets).get(&(seller.clone(), marketplace)).cloned())
    }

    async fn put_buckets(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        buckets: &DailyBuckets,
    ) -> Result<(), StoreError> {
        self.check("PutItem")?;
        lock(&self.buckets).insert((seller.clone(), marketplace), buckets.clone());
        Ok(())
    }

    async fn latest_snapshot(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: NaiveDate,
    ) -> Result<Option<RatingSnapshot>, StoreError> {
        Ok(self.snapshots_of(seller, marketplace, ..=day)?.pop())
    }

    async fn snapshots_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RatingSnapshot>, StoreError> {
        self.snapshots_of(seller, marketplace, from..=to)
    }

    async fn put_snapshot(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        snapshot: &RatingSnapshot,
    ) -> Result<(), StoreError> {
        self.check("PutItem")?;
        let day = snapshot.ratings.as_of;
        lock(&self.snapshots).insert((seller.clone(), marketplace, day), snapshot.clone());
        Ok(())
    }
}

/// One ledger entry: being sent under a claim until its lease, or sent.
#[derive(Debug, Clone)]
enum LedgerEntry {
    Sending { token: ClaimToken, lease_until: DateTime<Utc> },
    Sent,
}

/// The alert ledger and digest log in memory, with the DynamoDB ledger's lease.
pub struct MemoryLedger {
    clock: Arc<dyn Clock>,
    lease: Duration,
    entries: Mutex<HashMap<(SellerId, String, String), LedgerEntry>>,
    digest: Mutex<Vec<(SellerId, DigestEntry)>>,
}

impl MemoryLedger {
    pub fn new(clock: Arc<dyn Clock>, lease: Duration) -> Arc<Self> {
        Arc::new(Self { clock, lease, entries: Mutex::new(HashMap::new()), digest: Mutex::new(Vec::new()) })
    }

    fn key(key: &AlertKey<'_>) -> (SellerId, String, String) {
        (key.seller.clone(), key.event_id.to_string(), key.recipient.as_str().to_string())
    }

    /// Replace (or with `None` remove) the entry, only for the holder of its claim.
    fn as_holder(&self, key: (SellerId, String, String), token: &ClaimToken, next: Option<LedgerEntry>) -> LedgerWrite {
        let mut entries = lock(&self.entries);
        if !matches!(entries.get(&key), Some(LedgerEntry::Sending { token: held, .. }) if held == token) {
            return LedgerWrite::NotHolder;
        }
        match next {
            Some(entry) => entries.insert(key, entry),
            None => entries.remove(&key),
        };
        LedgerWrite::Done
    }
}

#[async_trait]
impl AlertLedger for MemoryLedger {
    async fn claim_alert(&self, key: &AlertKey<'_>) -> Result<Claim, StoreError> {
        let now = self.clock.now();
        let mut entries = lock(&self.entries);
        let key = Self::key(key);
        match entries.get(&key) {
            Some(LedgerEntry::Sent) => return Ok(Claim::AlreadySent),
            Some(LedgerEntry::Sending { lease_until, .. }) if *lease_until > now => return Ok(Claim::InFlight),
            _ => {}
        }
        let token = ClaimToken::new();
        entries.insert(key, LedgerEntry::Sending { token: token.clone(), lease_until: now + self.lease });
        Ok(Claim::Claimed(token))
    }

    async fn confirm_alert(&self, key: &AlertKey<'_>, token: &ClaimToken) -> Result<LedgerWrite, StoreError> {
        Ok(self.as_holder(Self::key(key), token, Some(LedgerEntry::Sent)))
    }

    async fn release_alert(&self, key: &AlertKey<'_>, token: &ClaimToken) -> Result<LedgerWrite, StoreError> {
        Ok(self.as_holder(Self::key(key), token, None))
    }
}

#[async_trait]
impl DigestLog for MemoryLedger {
    async fn log_digest_entry(&self, seller: &SellerId, entry: &DigestEntry) -> Result<(), StoreError> {
        lock(&self.digest).push((seller.clone(), entry.clone()));
        Ok(())
    }

    async fn digest_entries(
        &self,
        seller: &SellerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError> {
        let mut entries: Vec<DigestEntry> = lock(&self.digest)
            .iter()
            .filter(|(s, e)| s == seller && e.received_at >= from && e.received_at < to)
            .map(|(_, e)| e.clone())
            .collect();
        entries.sort_by_key(|e| e.received_at);
        Ok(entries)
    }
}

/// A mailer that keeps what it was given; recipients can be made to fail.
#[derive(Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<(String, Vec<u8>)>>,
    failing: Mutex<HashSet<String>>,
}

impl MemoryMailer {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Sends to `recipient` fail (as SES refusing) until `fail_for(recipient, false)`.
    pub fn fail_for(&self, recipient: &str, fail: bool) {
        let mut failing = lock(&self.failing);
        if fail {
            failing.insert(recipient.to_string());
        } else {
            failing.remove(recipient);
        }
    }

    /// The recipients mailed, in order.
    pub fn recipients(&self) -> Vec<String> {
        lock(&self.sent).iter().map(|(to, _)| to.clone()).collect()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, _from: &str, to: &EmailAddress, raw: &[u8]) -> Result<(), MailError> {
        if lock(&self.failing).contains(to.as_str()) {
            return Err(MailError::Refused { message: "injected: SES refused the message".into() });
        }
        lock(&self.sent).push((to.as_str().to_string(), raw.to_vec()));
        Ok(())
    }
}

/// A bus that keeps the events published to it.
#[derive(Default)]
pub struct MemoryBus {
    events: Mutex<Vec<DomainEvent>>,
}

impl MemoryBus {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn events(&self) -> Vec<DomainEvent> {
        lock(&self.events).clone()
    }
}

#[async_trait]
impl EventPublisher for MemoryBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        lock(&self.events).extend_from_slice(events);
        Ok(())
    }
}

/// What Amazon answers about one order's review request.
#[derive(Debug, Clone, Default)]
pub struct SolicitationState {
    /// getSolicitationActionsForOrder offers the request.
    pub offered: bool,
    /// A request was made (by us or anyone): Amazon takes no second one.
    pub requested: bool,
    /// The next POST is refused with this 403 instead (once).
    pub refuse_next: Option<ForbiddenKind>,
}

/// Amazon for unit tests: one request per order, offered or not as the test says, every call
/// counted. Operations a test did not set up answer as Amazon would for an unknown resource.
#[derive(Default)]
pub struct FakeAmazon {
    solicitations: Mutex<HashMap<OrderId, SolicitationState>>,
    /// The next calls fail as after exhausted retries (throttling or an outage).
    outage: AtomicU32,
    questions: AtomicU32,
    posts: AtomicU32,
    accepted: AtomicU32,
}

impl FakeAmazon {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn solicitation(&self, order: &OrderId, state: SolicitationState) {
        lock(&self.solicitations).insert(order.clone(), state);
    }

    pub fn solicitation_state(&self, order: &OrderId) -> SolicitationState {
        lock(&self.solicitations).get(order).cloned().unwrap_or_default()
    }

    /// The next `calls` calls fail as transient (429s until the retries ran out).
    pub fn outage(&self, calls: u32) {
        self.outage.store(calls, Ordering::SeqCst);
    }

    /// getSolicitationActionsForOrder calls answered.
    pub fn questions(&self) -> u32 {
        self.questions.load(Ordering::SeqCst)
    }

    /// createProductReviewAndSellerFeedbackSolicitation calls made (accepted or refused).
    pub fn posts(&self) -> u32 {
        self.posts.load(Ordering::SeqCst)
    }

    /// Requests Amazon accepted and e-mailed to buyers.
    pub fn accepted(&self) -> u32 {
        self.accepted.load(Ordering::SeqCst)
    }

    fn transient(&self, operation: &'static str) -> Result<(), SpApiError> {
        let left = self.outage.load(Ordering::SeqCst);
        if left == 0 {
            return Ok(());
        }
        self.outage.store(left - 1, Ordering::SeqCst);
        Err(SpApiError::RetriesExhausted { operation, attempts: 5, last: "429 QuotaExceeded".into() })
    }
}

fn not_served(operation: &'static str) -> SpApiError {
    SpApiError::NotFound { operation, message: "not set up in this test".into() }
}

#[async_trait]
impl SellerCalls for FakeAmazon {
    async fn search_orders(
        &self,
        _query: &OrdersQuery,
        _deadline: Instant,
    ) -> Result<SearchOrdersResponse, SpApiError> {
        self.transient("searchOrders")?;
        Err(not_served("searchOrders"))
    }

    async fn get_order(&self, _order_id: &OrderId, _deadline: Instant) -> Result<Order2026, SpApiError> {
        self.transient("getOrder")?;
        Err(not_served("getOrder"))
    }

    async fn list_financial_events(
        &self,
        _posted_after: DateTime<Utc>,
        _posted_before: DateTime<Utc>,
        _next_token: Option<&str>,
        _deadline: Instant,
    ) -> Result<FinancialEventsPage, SpApiError> {
        self.transient("listFinancialEvents")?;
        Ok(FinancialEventsPage::default())
    }

    async fn can_request_review(
        &self,
        order_id: &OrderId,
        _marketplace: Marketplace,
        _deadline: Instant,
    ) -> Result<bool, SpApiError> {
        self.transient("getSolicitationActionsForOrder")?;
        self.questions.fetch_add(1, Ordering::SeqCst);
        let state = self.solicitation_state(order_id);
        Ok(state.offered && !state.requested)
    }

    async fn request_review(
        &self,
        order_id: &OrderId,
        _marketplace: Marketplace,
        _deadline: Instant,
    ) -> Result<(), SpApiError> {
        const OPERATION: &str = "createProductReviewAndSellerFeedbackSolicitation";
        self.transient(OPERATION)?;
        self.posts.fetch_add(1, Ordering::SeqCst);
        let mut solicitations = lock(&self.solicitations);
        let state = solicitations.entry(order_id.clone()).or_default();
        let refusal = match state.refuse_next.take() {
            Some(kind) => Some(kind),
            None if state.requested => Some(ForbiddenKind::AlreadyRequested),
            None if !state.offered => Some(ForbiddenKind::NotEligible),
            None => None,
        };
        match refusal {
            Some(kind) => Err(SpApiError::Forbidden { operation: OPERATION, kind, message: format!("{kind:?}") }),
            None => {
                state.requested = true;
                self.accepted.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }
    }

    async fn create_report(&self, _spec: &CreateReportSpecification, _deadline: Instant) -> Result<String, SpApiError> {
        Err(not_served("createReport"))
    }

    async fn get_report(&self, _report_id: &str, _deadline: Instant) -> Result<Report, SpApiError> {
        Err(not_served("getReport"))
    }

    async fn fetch_report_document(
        &self,
        _document: &str,
        _deadline: Instant,
    ) -> Result<DownloadedDocument, SpApiError> {
        Err(not_served("getReportDocument"))
    }
}

/// Hands out the one [`FakeAmazon`] for every seller and region.
pub struct FakeSpApi(pub Arc<FakeAmazon>);

#[async_trait]
impl SpApiAccess for FakeSpApi {
    async fn seller_calls(&self, _seller: &SellerAccount, _region: Region) -> Result<Arc<dyn SellerCalls>, SpApiError> {
        Ok(self.0.clone())
    }
}

/// Accounts and orders for unit tests.
pub mod fixtures {
    use chrono::{DateTime, Duration, Utc};

    use crate::domain::{
        ChangeSource, DeliveryWindow, EmailAddress, FulfillmentChannel, Marketplace, Order, OrderChange, OrderId,
        OrderStatus, ReviewRequest, ReviewRequestPolicy, SellerAccount, SellerId,
    };

    pub fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    pub fn seller_id() -> SellerId {
        SellerId::parse("A3TH9S8BH6GOGM").unwrap_or_else(|_| unreachable!("a valid seller id"))
    }

    pub fn order_id(n: u32) -> OrderId {
        OrderId::parse(format!("903-{n:07}-2219830")).unwrap_or_else(|_| unreachable!("a valid order id"))
    }

    /// A US seller with two alert recipients and the default review-request policy.
    pub fn seller() -> SellerAccount {
        let recipients = ["owner@shop.example", "ops@shop.example"];
        SellerAccount {
            seller_id: seller_id(),
            display_name: "Test Shop".into(),
            marketplaces: vec![Marketplace::Us],
            alert_recipients: recipients.iter().filter_map(|r| EmailAddress::parse(*r).ok()).collect(),
            alert_delivery: Default::default(),
            digest: Default::default(),
            review_requests: ReviewRequestPolicy::for_marketplaces(&[Marketplace::Us]),
            credentials_secret: "feedback-autopilot/test".into(),
            feedback: Default::default(),
            paused: false,
        }
    }

    /// An ORDER_CHANGE of order 1 (MFN, bought 1 March 10:00, delivery estimate 3-5 March)
    /// reaching `status` at `changed_at`.
    pub fn order_change(status: OrderStatus, changed_at: DateTime<Utc>) -> OrderChange {
        OrderChange {
            seller_id: seller_id(),
            marketplace: Marketplace::Us,
            order_id: order_id(1),
            status,
            fulfillment: FulfillmentChannel::Mfn,
            purchase_date: Some(at("2026-03-01T10:00:00Z")),
            delivery: DeliveryWindow::new(at("2026-03-03T00:00:00Z"), at("2026-03-05T00:00:00Z")),
            changed_at,
            order_type: Some("StandardOrder".into()),
            programs: vec![],
            skus: vec!["SKU-1".into()],
            buyer_cancel_requested: false,
            source: ChangeSource::Notification,
            notification_id: None,
        }
    }

    /// A seller-fulfilled order shipped at `shipped`, delivered 1-3 days later, its review
    /// request pending from `due`.
    pub fn shipped_order(n: u32, shipped: DateTime<Utc>, due: DateTime<Utc>) -> Order {
        Order {
            seller_id: seller_id(),
            marketplace: Marketplace::Us,
            order_id: order_id(n),
            status: OrderStatus::Shipped,
            fulfillment: FulfillmentChannel::Mfn,
            purchase_date: shipped - Duration::days(1),
            delivery: DeliveryWindow::new(shipped + Duration::days(1), shipped + Duration::days(3)),
            last_changed_at: shipped,
            order_type: Some("StandardOrder".into()),
            programs: vec![],
            skus: vec!["SKU-1".into()],
            buyer_cancel_requested: false,
            negative_feedback: false,
            shipped_at: Some(shipped),
            refunded_at: None,
            solicitation_checks: 0,
            review_request: ReviewRequest::Pending { due_at: due, needs_delivery_dates: false },
            history: Vec::new(),
        }
    }
}
