//! Review-request dispatch: find due orders through the due index, read each, decide (pure
//! domain rule), act on Amazon, record the outcome with a write checked against the version read.
//!
//! Amazon decides: a due order is first checked with getSolicitationActionsForOrder, and the
//! request is sent only when Amazon offers it. Not offered yet (an FBA order whose window Amazon
//! has not opened, a revised estimate): asked again on the seller's cadence until the cutoff,
//! then expired with a reason. So every order ends in a final state, and the calls an order
//! costs are bounded (see `AskingPolicy::max_questions_per_order`).
//!
//! At most once, without a claim written first. Amazon accepts one request per order and
//! answers a second with 403 "already requested", so no interleaving of dispatchers can reach a
//! buyer twice. And they do not interleave in a deployment: the fan-out runs one unit of a
//! seller at a time (one SQS FIFO message group per seller), so a claim would cost a write per
//! order and per question for a race that only an operator's run beside the workers can start.
//! What the claim did that is still needed:
//! - Another writer in between (an order change, a refund, another dispatcher) makes the
//!   outcome's write fail its version check; what this run learned is carried onto the fresh
//!   order and written again (`carry_over`; a request Amazon accepted is always recorded).
//! - A crash between sending and recording leaves the order due, and Amazon no longer offers
//!   the request. The crashed run's work unit comes back from SQS (its receive count says so),
//!   and the run that takes it sends each of the seller's orders Amazon does not offer once, to
//!   read Amazon's verdict: "already requested" records it as sent earlier. (A claim stored by
//!   an earlier version of this code is still honoured the same way.) Only at a crash: Amazon's
//!   wording for "already requested" is also its generic "not available", so a verdict read for
//!   every unoffered order would record requests that never went out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::domain::dispatch::needs_date_lookup;
use crate::domain::{
    AmazonAnswer, Clock, Decision, ExpiryReason, Marketplace, Order, OrderEventKind, OrderId, ReviewRequest,
    SellerAccount, SellerId, SkipReason, TransitionError, decide,
};
use crate::events::{DomainEvent, EventPublisher, ReviewRequestsProcessed};
use crate::spapi::{ForbiddenKind, SellerCalls, SpApiAccess, SpApiError};
use crate::store::{
    DueReviewRequests, Expect, OrderRepository, OutcomeCounts, PutOutcome, ReviewOutcomes, SellerDirectory, StoreError,
    Versioned,
};

#[derive(Debug, Clone, Copy)]
pub struct DispatchSettings {
    /// Most due orders looked at per seller and run.
    pub max_per_seller: usize,
    /// Sellers worked on at the same time (each paced by its own usage plan).
    pub concurrent_sellers: usize,
    /// When to try again after a failure that is not transient (e.g. revoked authorization).
    pub retry_after_failure: Duration,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            max_per_seller: 600,
            // A worker's whole batch at once: one seller's run is paced by its own plan, so ten
            // sellers take as long as one.
            concurrent_sellers: crate::fanout::UNITS_PER_BATCH,
            retry_after_failure: Duration::hours(1),
        }
    }
}

/// What happened to one due order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Amazon already had a request for the order (sent before a crash, or by another tool).
    SentEarlier,
    Skipped(SkipReason),
    Expired(ExpiryReason),
    /// Amazon did not offer the request (yet): asked again at the next question time.
    NotOffered,
    /// Not yet, or interrupted by the deadline: pending again.
    Rescheduled,
    /// Amazon or the network failed; pending again for a later run.
    Failed,
    /// Another dispatcher holds it, or it was no longer due: left alone.
    NotClaimed,
}

/// The run's summary, published as a `ReviewRequestRunCompleted` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchSummary {
    pub dispatcher: String,
    pub sellers: u32,
    pub sent: u32,
    pub sent_earlier: u32,
    pub skipped: BTreeMap<SkipReason, u32>,
    pub expired: u32,
    /// Due orders Amazon did not offer the request for yet (asked again later).
    pub not_offered: u32,
    pub rescheduled: u32,
    pub failed: u32,
    pub not_claimed: u32,
    /// Due orders not reached before the deadline (still pending).
    pub left_for_next_run: u32,
    pub delivery_dates_fetched: u32,
    /// getSolicitationActionsForOrder answers received.
    pub questions_asked: u32,
    /// Events of this run (the summary and the sellers' parts) that could not be published.
    pub events_unpublished: u32,
}

impl DispatchSummary {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Sent => self.sent += 1,
            Outcome::SentEarlier => self.sent_earlier += 1,
            Outcome::Skipped(reason) => *self.skipped.entry(reason).or_default() += 1,
            Outcome::Expired(_) => self.expired += 1,
            Outcome::NotOffered => self.not_offered += 1,
            Outcome::Rescheduled => self.rescheduled += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::NotClaimed => self.not_claimed += 1,
        }
    }

    fn merge(&mut self, other: DispatchSummary) {
        self.sellers += other.sellers;
        self.sent += other.sent;
        self.sent_earlier += other.sent_earlier;
        for (reason, n) in other.skipped {
            *self.skipped.entry(reason).or_default() += n;
        }
        self.expired += other.expired;
        self.not_offered += other.not_offered;
        self.rescheduled += other.rescheduled;
        self.failed += other.failed;
        self.not_claimed += other.not_claimed;
        self.left_for_next_run += other.left_for_next_run;
        self.delivery_dates_fetched += other.delivery_dates_fetched;
        self.questions_asked += other.questions_asked;
    }
}

pub struct Dispatcher {
    pub orders: Arc<dyn OrderRepository>,
    pub due: Arc<dyn DueReviewRequests>,
    /// Where each run's outcomes are counted per seller, marketplace and day.
    pub outcomes: Arc<dyn ReviewOutcomes>,
    pub sellers: Arc<dyn SellerDirectory>,
    pub events: Arc<dyn EventPublisher>,
    pub api: Arc<dyn SpApiAccess>,
    pub clock: Arc<dyn Clock>,
    pub settings: DispatchSettings,
}

impl Dispatcher {
    /// One run over every seller, until the deadline; then the summary event. `run_id` names
    /// the run in its claims (e.g. the Lambda request id).
    pub async fn run(&self, run_id: &str, deadline: Instant) -> Result<DispatchSummary, StoreError> {
        // Paused sellers are left alone (see `SellerAccount::paused`): their due orders wait.
        let sellers: Vec<SellerAccount> =
            self.sellers.list_sellers().await?.into_iter().filter(|s| !s.paused).collect();
        self.run_sellers(run_id, &sellers, deadline).await
    }

    /// A run over the given sellers only (a fan-out worker's units; see `crate::fanout`).
    pub async fn run_sellers(
        &self,
        run_id: &str,
        sellers: &[SellerAccount],
        deadline: Instant,
    ) -> Result<DispatchSummary, StoreError> {
        self.run_sellers_after(run_id, sellers, &BTreeSet::new(), deadline).await
    }

    /// A run over the given sellers, where the previous run of each seller in `after_crash` may
    /// have died after sending a request and before recording it (its work unit came back from
    /// SQS: `fanout::redelivered`). Their orders that Amazon no longer offers are sent once to
    /// read Amazon's verdict, as a stored claim's successor does.
    pub async fn run_sellers_after(
        &self,
        run_id: &str,
        sellers: &[SellerAccount],
        after_crash: &BTreeSet<SellerId>,
        deadline: Instant,
    ) -> Result<DispatchSummary, StoreError> {
        let runs = futures_util::stream::iter(sellers.iter().map(|seller| async move {
            let settle = after_crash.contains(&seller.seller_id);
            (seller, self.run_seller(run_id, seller, settle, deadline).await)
        }))
        .buffer_unordered(self.settings.concurrent_sellers.max(1))
        .collect::<Vec<_>>()
        .await;
        let mut summary = DispatchSummary { dispatcher: run_id.to_string(), ..DispatchSummary::default() };
        let mut events = Vec::new();
        for (seller, run) in runs {
            if let Some(part) = seller_part(run_id, &seller.seller_id, &run) {
                events.push(DomainEvent::of(&part));
            }
            summary.merge(run);
        }
        events.push(DomainEvent::of(&summary));
        let count = events.len() as u32;
        summary.events_unpublished = match events.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(events) => self.publish_with_retries(&events).await,
            Err(err) => {
                tracing::error!(error = %err, "the run's events could not be encoded");
                count
            }
        };
        Ok(summary)
    }

    /// The run's events are what the sellers' digests count: a failed publish is tried again
    /// (three attempts in all, a second apart), and what still fails is counted in the summary
    /// and logged as an error, not lost silently. The number not published is returned.
    async fn publish_with_retries(&self, events: &[DomainEvent]) -> u32 {
        const ATTEMPTS: u32 = 3;
        for attempt in 1..=ATTEMPTS {
            match self.events.publish(events).await {
                Ok(()) => return 0,
                Err(err) if attempt < ATTEMPTS => {
                    tracing::warn!(error = %err, attempt, "the run's events could not be published; trying again");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
                Err(err) => {
                    tracing::error!(error = %err, events = events.len(), "the run's events could not be published: the digests will miss this run");
                }
            }
        }
        events.len() as u32
    }

    async fn run_seller(&self, id: &str, seller: &SellerAccount, settle: bool, deadline: Instant) -> DispatchSummary {
        let mut summary = DispatchSummary { sellers: 1, ..DispatchSummary::default() };
        let due = match self
            .due
            .due_review_requests(&seller.seller_id, self.clock.now(), self.settings.max_per_seller)
            .await
        {
            Ok(due) => due,
            Err(err) => {
                tracing::error!(seller = %seller.seller_id, error = %err, "due review requests could not be listed");
                summary.failed += 1;
                return summary;
            }
        };
        let mut tally: BTreeMap<Marketplace, OutcomeCounts> = BTreeMap::new();
        for (n, entry) in due.iter().enumerate() {
            if Instant::now() >= deadline {
                summary.left_for_next_run += (due.len() - n) as u32;
                break;
            }
            let outcome = match self.process(id, seller, &entry.order_id, settle, deadline, &mut summary).await {
                Ok((outcome, marketplace)) => {
                    if let Some(marketplace) = marketplace {
                        count_outcome(tally.entry(marketplace).or_default(), outcome);
                    }
                    outcome
                }
                Err(err) => {
                    tracing::error!(seller = %seller.seller_id, order = %entry.order_id, error = %err, "store failed; the order stays due");
                    Outcome::Failed
                }
            };
            summary.count(outcome);
        }
        let today = self.clock.now().date_naive();
        for (marketplace, counts) in tally.iter().filter(|(_, c)| !c.is_empty()) {
            // Only `autopilot status` reads these: a failure is logged, the run goes on.
            if let Err(err) = self.outcomes.add_outcomes(&seller.seller_id, *marketplace, today, counts).await {
                tracing::warn!(seller = %seller.seller_id, marketplace = marketplace.code(), error = %err, "the run's outcomes were not counted");
            }
        }
        summary
    }

    /// Read, decide, act, record. Nothing is written before acting: the record of the outcome
    /// is the one write, checked against the version read (see the module's doc for why no
    /// claim is needed).
    async fn process(
        &self,
        id: &str,
        seller: &SellerAccount,
        order_id: &OrderId,
        settle: bool,
        deadline: Instant,
        summary: &mut DispatchSummary,
    ) -> Result<(Outcome, Option<Marketplace>), StoreError> {
        let now = self.clock.now();
        // The index is eventually consistent: the order itself says whether it is still due.
        let Some(read) = self.orders.get_order(&seller.seller_id, order_id).await? else {
            return Ok((Outcome::NotClaimed, None));
        };
        // Held in memory while acting (the transitions below are the holder's); a claim stored
        // by an older version of this code is honoured until its lease ends.
        let Ok(claim) = read.value.review_request.claim(id, now, IN_MEMORY_LEASE) else {
            return Ok((Outcome::NotClaimed, None));
        };
        // After a crash of the seller's previous run, or a stored claim whose holder's lease
        // ran out: that run may have sent the request and died before recording it.
        let took_over = settle
            || matches!(&read.value.review_request, ReviewRequest::Claimed { claimed_by, .. } if claimed_by != id);
        let mut order = read.value.clone();
        order.review_request = claim;
        let (next, outcome) = self.act(id, seller, &mut order, took_over, deadline, summary).await;
        // A refused transition (a bug, logged) leaves the request as it was read.
        order.review_request =
            if matches!(next, ReviewRequest::Claimed { .. }) { read.value.review_request.clone() } else { next };
        self.record(&read, order, outcome).await?;
        tracing::info!(seller = %seller.seller_id, order = %order_id, ?outcome, "review request");
        Ok((outcome, Some(read.value.marketplace)))
    }

    /// Write what acting on `read` led to. Another writer may have come first (an order change,
    /// a refund, another dispatcher): then what this run learned is carried onto the fresh
    /// order (`carry_over`) and written again, checked against the fresh version.
    async fn record(&self, read: &Versioned<Order>, mut order: Order, outcome: Outcome) -> Result<(), StoreError> {
        let mut version = read.version;
        for _ in 0..RECORD_ATTEMPTS {
            if let PutOutcome::Written { .. } = self.orders.put_order(&order, Expect::Version(version)).await? {
                return Ok(());
            }
            let Some(fresh) = self.orders.get_order(&order.seller_id, &order.order_id).await? else {
                return Ok(()); // expired meanwhile: nothing left to record on
            };
            let Some(merged) = carry_over(&read.value, &order, fresh.value) else {
                tracing::info!(order = %order.order_id, ?outcome, "another writer recorded a final state first; kept");
                return Ok(());
            };
            order = merged;
            version = fresh.version;
        }
        tracing::warn!(order = %order.order_id, ?outcome, "the outcome could not be recorded: the order kept changing; it stays due");
        Ok(())
    }

    /// The next review-request state for a claimed order, and what happened.
    async fn act(
        &self,
        id: &str,
        seller: &SellerAccount,
        order: &mut Order,
        took_over: bool,
        deadline: Instant,
        summary: &mut DispatchSummary,
    ) -> (ReviewRequest, Outcome) {
        let claimed = order.review_request.clone();
        let now = self.clock.now();
        let order_id = order.order_id.clone();
        let transition = |next, outcome| settle(&order_id, &claimed, next, outcome);
        let api = match self.api.seller_calls(seller, order.marketplace.region()).await {
            Ok(api) => api,
            Err(err) => {
                tracing::error!(seller = %seller.seller_id, error = %err, "no SP-API client for the seller");
                return transition(
                    claimed.release(id, now + self.settings.retry_after_failure, needs_date_lookup(order)),
                    Outcome::Failed,
                );
            }
        };
        loop {
            match decide(order, seller, now) {
                Decision::Skip(reason) => return transition(claimed.skip(reason, now), Outcome::Skipped(reason)),
                Decision::NotYet { due_at } => {
                    return transition(claimed.release(id, due_at, false), Outcome::Rescheduled);
                }
                Decision::Expire(reason) => return transition(claimed.expire(now, reason), Outcome::Expired(reason)),
                Decision::FetchDeliveryDates => match api.get_order(&order.order_id, deadline).await {
                    Ok(fresh) => {
                        summary.delivery_dates_fetched += 1;
                        order.note(now, OrderEventKind::Amazon { answer: AmazonAnswer::DatesLookedUp });
                        if let Some(window) = fresh.fulfillment.and_then(|f| f.deliver_by_window) {
                            order.delivery.earliest = window.earliest_date_time.or(order.delivery.earliest);
                            order.delivery.latest = window.latest_date_time.or(order.delivery.latest);
                        }
                        // Looked up once, whatever it gave: decide again from here.
                        if let ReviewRequest::Claimed { needs_delivery_dates, .. } = &mut order.review_request {
                            *needs_delivery_dates = false;
                        }
                    }
                    Err(err) => return self.after_failure(id, order, &claimed, err, true),
                },
                Decision::AskAmazon { next_question } => {
                    return self
                        .ask_and_send(id, api.as_ref(), &claimed, order, took_over, next_question, deadline, summary)
                        .await;
                }
            }
        }
    }

    /// Ask Amazon whether it offers the request; send if it does. With `settle_unoffered` (the
    /// run may follow one that died after sending) it sends once even when nothing is offered,
    /// to read Amazon's verdict.
    #[allow(clippy::too_many_arguments)]
    async fn ask_and_send(
        &self,
        id: &str,
        api: &dyn SellerCalls,
        claimed: &ReviewRequest,
        order: &mut Order,
        settle_unoffered: bool,
        next_question: DateTime<Utc>,
        deadline: Instant,
        summary: &mut DispatchSummary,
    ) -> (ReviewRequest, Outcome) {
        let now = self.clock.now();
        let offered = match api.can_request_review(&order.order_id, order.marketplace, deadline).await {
            Ok(offered) => offered,
            Err(err) => return self.after_failure(id, order, claimed, err, false),
        };
        summary.questions_asked += 1;
        order.solicitation_checks = order.solicitation_checks.saturating_add(1);
        let answer = if offered { AmazonAnswer::Offered } else { AmazonAnswer::NotOffered };
        order.note(now, OrderEventKind::Amazon { answer });
        let order_id = order.order_id.clone();
        let settle = |next, outcome| settle(&order_id, claimed, next, outcome);
        let ask_again = || settle(claimed.release(id, next_question, false), Outcome::NotOffered);
        if !offered && !settle_unoffered {
            return ask_again();
        }
        let sent = |earlier: bool, outcome: Outcome| settle(claimed.mark_sent(id, now, earlier), outcome);
        let answered = match api.request_review(&order.order_id, order.marketplace, deadline).await {
            Ok(()) => Ok(AmazonAnswer::Sent),
            Err(err) => match err.forbidden_kind() {
                Some(ForbiddenKind::AlreadyRequested) => Ok(AmazonAnswer::AlreadyRequested),
                Some(ForbiddenKind::OutsideWindow) => Ok(AmazonAnswer::OutsideWindow),
                Some(ForbiddenKind::NotEligible) => Ok(AmazonAnswer::NotEligible),
                _ => Err(err),
            },
        };
        if let Ok(answer) = &answered {
            order.note(now, OrderEventKind::Amazon { answer: *answer });
        }
        match answered {
            Ok(AmazonAnswer::Sent) => sent(false, Outcome::Sent),
            Ok(AmazonAnswer::AlreadyRequested) => sent(true, Outcome::SentEarlier),
            // Amazon's window is not open (any more, or yet): its answer wins over our
            // estimate; asked again until the cutoff.
            Ok(AmazonAnswer::OutsideWindow) => ask_again(),
            Ok(_) if offered => {
                settle(claimed.skip(SkipReason::NotEligible, now), Outcome::Skipped(SkipReason::NotEligible))
            }
            // Sent only to read the verdict, and the answer is not "already requested": nothing
            // was sent before; wait for Amazon to offer it (or the cutoff).
            Ok(_) => ask_again(),
            Err(err) if !offered && err.forbidden_kind().is_some() => ask_again(),
            Err(err) => self.after_failure(id, order, claimed, err, false),
        }
    }

    /// Give the order back after a failed call: at once after a transient failure (the next
    /// run retries), later after a refusal that needs a human (e.g. revoked authorization).
    fn after_failure(
        &self,
        id: &str,
        order: &mut Order,
        claimed: &ReviewRequest,
        err: SpApiError,
        needs_dates: bool,
    ) -> (ReviewRequest, Outcome) {
        let now = self.clock.now();
        let order_id = &order.order_id.clone();
        let answer = match &err {
            SpApiError::DeadlineExceeded { .. } => None,
            SpApiError::NotFound { .. } => Some(AmazonAnswer::NotFound),
            _ => Some(AmazonAnswer::Failed),
        };
        if let Some(answer) = answer {
            order.note(now, OrderEventKind::Amazon { answer });
        }
        let (due_at, outcome) = match &err {
            SpApiError::DeadlineExceeded { .. } => (now, Outcome::Rescheduled),
            SpApiError::NotFound { .. } => {
                tracing::warn!(error = %err, "Amazon does not know the order");
                return settle(
                    order_id,
                    claimed,
                    claimed.skip(SkipReason::NotEligible, now),
                    Outcome::Skipped(SkipReason::NotEligible),
                );
            }
            e if e.is_transient() => (now, Outcome::Failed),
            _ => (now + self.settings.retry_after_failure, Outcome::Failed),
        };
        if outcome == Outcome::Failed {
            tracing::error!(error = %err, "review request failed; the order stays pending");
        }
        settle(order_id, claimed, claimed.release(id, due_at, needs_dates), outcome)
    }
}

/// Count a final outcome in a marketplace's tally (the others are not outcomes yet).
fn count_outcome(counts: &mut OutcomeCounts, outcome: Outcome) {
    match outcome {
        Outcome::Sent => counts.sent += 1,
        Outcome::SentEarlier => counts.sent_earlier += 1,
        Outcome::Skipped(reason) => *counts.skipped.entry(reason).or_default() += 1,
        Outcome::Expired(_) => counts.expired += 1,
        Outcome::NotOffered | Outcome::Rescheduled | Outcome::Failed | Outcome::NotClaimed => {}
    }
}

/// The seller's part of run `run_id`; `None` when no order reached an outcome. `event_id`
/// names the seller and the run, so a redelivery is known.
fn seller_part(run_id: &str, seller: &SellerId, run: &DispatchSummary) -> Option<ReviewRequestsProcessed> {
    let skipped: u32 = run.skipped.values().sum();
    (run.sent + run.sent_earlier + run.expired + skipped > 0).then(|| ReviewRequestsProcessed {
        event_id: format!("review-requests:{seller}:{run_id}"),
        seller_id: seller.clone(),
        sent: run.sent,
        sent_earlier: run.sent_earlier,
        skipped: run.skipped.clone(),
        expired: run.expired,
    })
}

/// The lease of the claim a dispatch holds in memory while it acts on an order: never stored,
/// so its length only has to outlast the act.
const IN_MEMORY_LEASE: Duration = Duration::minutes(15);

/// Most writes of one outcome: the first, and one more per writer that came first.
const RECORD_ATTEMPTS: u32 = 5;

/// `fresh` with what a dispatch that read `read` and ended at `ours` learned: its review-request
/// state, Amazon's answers in the history, the questions counted, the delivery dates it looked
/// up. `None` when `fresh` already holds a final state that stands: a request Amazon accepted
/// (ours) is recorded over anything but another "sent"; anything else yields to a final state.
pub fn carry_over(read: &Order, ours: &Order, mut fresh: Order) -> Option<Order> {
    let ours_sent = matches!(ours.review_request, ReviewRequest::Sent { .. });
    let fresh_sent = matches!(fresh.review_request, ReviewRequest::Sent { .. });
    if fresh.review_request.is_final() && (fresh_sent || !ours_sent) {
        return None;
    }
    fresh.review_request = ours.review_request.clone();
    fresh.solicitation_checks = fresh.solicitation_checks.max(ours.solicitation_checks);
    if ours.delivery != read.delivery {
        fresh.delivery = ours.delivery;
    }
    for event in ours.history.iter().filter(|e| !read.history.contains(e)) {
        if !fresh.history.contains(event) {
            fresh.note(event.at, event.what.clone());
        }
    }
    Some(fresh)
}

/// The state a transition leads to, with its outcome. A claimed request can always be
/// released, sent, skipped or expired by its holder, so a refusal is a bug: it is logged as an
/// error, the claim is returned with `Failed`, and `process` records the request as it was read.
fn settle(
    order_id: &OrderId,
    claimed: &ReviewRequest,
    next: Result<ReviewRequest, TransitionError>,
    outcome: Outcome,
) -> (ReviewRequest, Outcome) {
    match next {
        Ok(next) => (next, outcome),
        Err(err) => {
            tracing::error!(order = %order_id, error = %err, ?outcome, "review request transition refused");
            (claimed.clone(), Outcome::Failed)
        }
    }
}

#[cfg(test)]
mod tests;
