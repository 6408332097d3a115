//! An order change, whichever way it arrived (ORDER_CHANGE notification or the reconciliation
//! poll), and the pure rule that folds it into the recorded order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dispatch::plan;
use super::ids::{OrderId, SellerId};
use super::marketplace::Marketplace;
use super::order::{DeliveryWindow, FulfillmentChannel, Order, OrderEventKind, OrderStatus};
use super::review_request::{ReviewRequest, SkipReason};
use super::seller::ReviewRequestPolicy;

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Notification,
    Reconciliation,
}

/// What Amazon says an order looks like as of `changed_at`. No buyer personal data: the
/// adapters that build it never read the postal code, names or addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderChange {
    pub seller_id: SellerId,
    pub marketplace: Marketplace,
    pub order_id: OrderId,
    pub status: OrderStatus,
    pub fulfillment: FulfillmentChannel,
    /// ORDER_CHANGE's `PurchaseDate` may be null ("when there is no related information"): the
    /// recorded one is kept, and a new order without one counts from the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub delivery: DeliveryWindow,
    /// Amazon's time of the change (`OrderChangeTrigger.TimeOfOrderChange`, or the order's
    /// `lastUpdatedTime` when polled): what orders changes, not the time they arrive.
    pub changed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// Empty when the source lists no items: the recorded SKUs stay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    #[serde(default)]
    pub buyer_cancel_requested: bool,
    pub source: ChangeSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
}

/// What applying a change does to the record.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeEffect {
    /// Write this order.
    Record(Box<Order>),
    /// The record already reflects a newer change: nothing to do.
    Stale,
    /// The same change again (a duplicate delivery): nothing to do.
    Duplicate,
}

/// Fold `change` into `existing` (if any) for a seller with `policy`.
///
/// - Changes are ordered by Amazon's change time; an older one never overwrites a newer record,
///   and an equal one with the same content is a duplicate.
/// - Delivery dates and SKUs that a change leaves out are kept from the record.
/// - The first change that shows the order shipped gives its ship time.
/// - The review request follows the order: scheduled once shipped by the domain's plan (the
///   seller's delay after the latest delivery date, clamped into Amazon's window; without dates,
///   ship time + transit + delay, with a seller-fulfilled order marked for one date lookup),
///   skipped when canceled, unfulfillable or the buyer asked to cancel. Final states and claimed
///   requests are left to their owner, except that a cancellation still excludes a claimed
///   request.
pub fn apply_change(existing: Option<&Order>, change: &OrderChange, policy: &ReviewRequestPolicy) -> ChangeEffect {
    if let Some(current) = existing {
        if change.changed_at < current.last_changed_at {
            // Older than the record: its status and dates are superseded, but what only
            // accumulates (the SKUs seen, a buyer's cancel request, the first ship time) still
            // counts, whatever order the notifications arrive in.
            let mut merged = merge_accumulating(current, change, policy);
            if merged == *current {
                return ChangeEffect::Stale;
            }
            merged.note(change.changed_at, changed(change));
            return ChangeEffect::Record(Box::new(merged));
        }
        if change.changed_at == current.last_changed_at && same_facts(current, change) {
            return ChangeEffect::Duplicate;
        }
    }
    let delivery = DeliveryWindow {
        earliest: change.delivery.earliest.or(existing.and_then(|o| o.delivery.earliest)),
        latest: change.delivery.latest.or(existing.and_then(|o| o.delivery.latest)),
    };
    // Item-level notifications list only the items that changed: SKUs accumulate.
    let skus = union_skus(existing.map(|o| o.skus.as_slice()).unwrap_or_default(), &change.skus);
    // A buyer's cancel request stays requested, whatever later changes say.
    let buyer_cancel_requested = change.buyer_cancel_requested || existing.is_some_and(|o| o.buyer_cancel_requested);
    let shipped_at =
        earliest(existing.and_then(|o| o.shipped_at), change.status.is_shipped().then_some(change.changed_at));
    let current_request = existing.map(|o| o.review_request.clone()).unwrap_or(ReviewRequest::AwaitingShipment);
    let mut order = Order {
        seller_id: change.seller_id.clone(),
        marketplace: change.marketplace,
        order_id: change.order_id.clone(),
        status: change.status,
        fulfillment: change.fulfillment,
        purchase_date: change.purchase_date.or(existing.map(|o| o.purchase_date)).unwrap_or(change.changed_at),
        delivery,
        last_changed_at: change.changed_at,
        order_type: change.order_type.clone().or(existing.and_then(|o| o.order_type.clone())),
        programs: change.programs.clone(),
        skus,
        buyer_cancel_requested,
        negative_feedback: existing.is_some_and(|o| o.negative_feedback),
        shipped_at,
        refunded_at: existing.and_then(|o| o.refunded_at),
        solicitation_checks: existing.map_or(0, |o| o.solicitation_checks),
        review_request: current_request.clone(),
        history: existing.map(|o| o.history.clone()).unwrap_or_default(),
    };
    order.review_request = next_review_request(&current_request, &order, change, policy);
    if existing == Some(&order) {
        return ChangeEffect::Duplicate;
    }
    order.note(change.changed_at, changed(change));
    ChangeEffect::Record(Box::new(order))
}

/// The history entry of a recorded change.
fn changed(change: &OrderChange) -> OrderEventKind {
    OrderEventKind::Changed { source: change.source, status: change.status }
}

/// The SKUs of both, each once, sorted (so the record does not depend on arrival order).
fn union_skus(recorded: &[String], seen: &[String]) -> Vec<String> {
    let mut skus: Vec<String> = recorded.iter().chain(seen).cloned().collect();
    skus.sort();
    skus.dedup();
    skus
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `current` with the accumulating facts of an older `change` folded in: its SKUs, its buyer's
/// cancel request (which skips an open review request as of the change), an earlier ship time
/// (which moves a pending request planned from it).
fn merge_accumulating(current: &Order, change: &OrderChange, policy: &ReviewRequestPolicy) -> Order {
    let mut merged = current.clone();
    merged.skus = union_skus(&current.skus, &change.skus);
    merged.shipped_at = earliest(current.shipped_at, change.status.is_shipped().then_some(change.changed_at));
    if change.buyer_cancel_requested && !current.buyer_cancel_requested {
        merged.buyer_cancel_requested = true;
        // `skip` refuses only a final request (sent, skipped or expired), which stays as it is.
        if let Ok(skipped) = merged.review_request.skip(SkipReason::BuyerRequestedCancel, change.changed_at) {
            merged.review_request = skipped;
        }
    }
    if merged.shipped_at != current.shipped_at
        && let ReviewRequest::Pending { needs_delivery_dates, .. } = merged.review_request
    {
        merged.review_request = ReviewRequest::Pending { due_at: plan(&merged, policy).due_at, needs_delivery_dates };
    }
    merged
}

fn same_facts(current: &Order, change: &OrderChange) -> bool {
    current.status == change.status
        && (current.buyer_cancel_requested || !change.buyer_cancel_requested)
        && (change.delivery.earliest.is_none() || change.delivery.earliest == current.delivery.earliest)
        && (change.delivery.latest.is_none() || change.delivery.latest == current.delivery.latest)
        && change.skus.iter().all(|sku| current.skus.contains(sku))
}

fn next_review_request(
    current: &ReviewRequest,
    order: &Order,
    change: &OrderChange,
    policy: &ReviewRequestPolicy,
) -> ReviewRequest {
    if current.is_final() {
        return current.clone();
    }
    let exclusion = if change.status.is_dead() {
        Some(SkipReason::Canceled)
    } else if order.buyer_cancel_requested {
        Some(SkipReason::BuyerRequestedCancel)
    } else {
        None
    };
    if let Some(reason) = exclusion {
        return current.skip(reason, change.changed_at).unwrap_or_else(|err| {
            tracing::warn!(order = %order.order_id, error = %err, "exclusion not applied");
            current.clone()
        });
    }
    if matches!(current, ReviewRequest::Claimed { .. }) {
        return current.clone();
    }
    if !change.status.is_shipped() {
        // Not (fully) shipped, or no longer shipped: nothing to ask for until it is. Deciding
        // from the newest change alone keeps the outcome independent of delivery order.
        return ReviewRequest::AwaitingShipment;
    }
    // A seller-fulfilled order without dates is looked up once; a request already past its
    // lookup (pending without the mark) keeps it off.
    let looked_up = matches!(current, ReviewRequest::Pending { needs_delivery_dates: false, .. });
    let needs_delivery_dates =
        order.fulfillment == FulfillmentChannel::Mfn && order.delivery.known().is_none() && !looked_up;
    let due_at = plan(order, policy).due_at;
    current.schedule(due_at, needs_delivery_dates).unwrap_or_else(|err| {
        tracing::warn!(order = %order.order_id, error = %err, "review request not rescheduled");
        current.clone()
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn change(status: OrderStatus, changed_at: &str) -> OrderChange {
        crate::fakes::fixtures::order_change(status, t(changed_at))
    }

    fn policy() -> ReviewRequestPolicy {
        ReviewRequestPolicy::for_marketplaces(&[Marketplace::Us])
    }

    fn record(effect: ChangeEffect) -> Order {
        match effect {
            ChangeEffect::Record(order) => *order,
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[test]
    fn a_shipped_order_is_scheduled_at_the_delay_after_latest_delivery() {
        let order = record(apply_change(None, &change(OrderStatus::Shipped, "2026-03-02T00:00:00Z"), &policy()));
        assert_eq!(
            order.review_request,
            ReviewRequest::Pending { due_at: t("2026-03-12T00:00:00Z"), needs_delivery_dates: false }
        );
    }

    #[test]
    fn a_seller_fulfilled_order_without_dates_is_marked_for_one_lookup() {
        let mut c = change(OrderStatus::Shipped, "2026-03-02T00:00:00Z");
        c.delivery = DeliveryWindow::default();
        let order = record(apply_change(None, &c, &policy()));
        // shipped 2 March + 3 days transit + 7 days delay
        assert_eq!(
            order.review_request,
            ReviewRequest::Pending { due_at: t("2026-03-12T00:00:00Z"), needs_delivery_dates: true }
        );
        assert_eq!(order.shipped_at, Some(t("2026-03-02T00:00:00Z")));
        // once looked up (pending without the mark), a later change does not mark it again
        let mut looked_up = order.clone();
        looked_up.review_request =
            ReviewRequest::Pending { due_at: t("2026-03-12T00:00:00Z"), needs_delivery_dates: false };
        let mut later = c.clone();
        later.changed_at = t("2026-03-03T00:00:00Z");
        let again = record(apply_change(Some(&looked_up), &later, &policy()));
        assert_eq!(again.review_request, looked_up.review_request);
    }

    #[test]
    fn an_fba_order_is_planned_from_its_ship_time_without_a_lookup() {
        let mut c = change(OrderStatus::Unshipped, "2026-03-01T11:00:00Z");
        c.fulfillment = FulfillmentChannel::Afn;
        c.delivery = DeliveryWindow::default();
        let unshipped = record(apply_change(None, &c, &policy()));
        assert_eq!(unshipped.shipped_at, None);
        let mut shipped = c.clone();
        shipped.status = OrderStatus::Shipped;
        shipped.changed_at = t("2026-03-03T06:00:00Z");
        let order = record(apply_change(Some(&unshipped), &shipped, &policy()));
        assert_eq!(order.shipped_at, Some(t("2026-03-03T06:00:00Z")));
        assert_eq!(
            order.review_request,
            ReviewRequest::Pending { due_at: t("2026-03-13T06:00:00Z"), needs_delivery_dates: false }
        );
        // a later change keeps the first ship time
        let mut again = shipped.clone();
        again.changed_at = t("2026-03-04T06:00:00Z");
        assert_eq!(record(apply_change(Some(&order), &again, &policy())).shipped_at, order.shipped_at);
    }

    #[test]
    fn a_null_purchase_date_keeps_the_recorded_one() {
        let first = record(apply_change(None, &change(OrderStatus::Unshipped, "2026-03-01T11:00:00Z"), &policy()));
        let mut c = change(OrderStatus::Shipped, "2026-03-02T00:00:00Z");
        c.purchase_date = None;
        assert_eq!(record(apply_change(Some(&first), &c, &policy())).purchase_date, first.purchase_date);
        assert_eq!(record(apply_change(None, &c, &policy())).purchase_date, c.changed_at);
    }

    #[test]
    fn unshipped_orders_wait_and_cancellations_are_excluded() {
        let unshipped = record(apply_change(None, &change(OrderStatus::Unshipped, "2026-03-01T11:00:00Z"), &policy()));
        assert_eq!(unshipped.review_request, ReviewRequest::AwaitingShipment);
        let canceled =
            record(apply_change(Some(&unshipped), &change(OrderStatus::Canceled, "2026-03-01T12:00:00Z"), &policy()));
        assert!(matches!(canceled.review_request, ReviewRequest::Skipped { reason: SkipReason::Canceled, .. }));
        let mut cancel_request = change(OrderStatus::Unshipped, "2026-03-01T12:00:00Z");
        cancel_request.buyer_cancel_requested = true;
        let requested = record(apply_change(Some(&unshipped), &cancel_request, &policy()));
        assert!(matches!(
            requested.review_request,
            ReviewRequest::Skipped { reason: SkipReason::BuyerRequestedCancel, .. }
        ));
    }

    #[test]
    fn older_changes_never_overwrite_newer_ones_and_duplicates_change_nothing() {
        let shipped = record(apply_change(None, &change(OrderStatus::Shipped, "2026-03-02T00:00:00Z"), &policy()));
        assert_eq!(
            apply_change(Some(&shipped), &change(OrderStatus::Unshipped, "2026-03-01T11:00:00Z"), &policy()),
            ChangeEffect::Stale
        );
        assert_eq!(
            apply_change(Some(&shipped), &change(OrderStatus::Shipped, "2026-03-02T00:00:00Z"), &policy()),
            ChangeEffect::Duplicate
        );
    }

    #[test]
    fn item_level_changes_arriving_reversed_keep_every_sku() {
        let mut first = change(OrderStatus::Shipped, "2026-03-02T00:00:00Z");
        first.skus = vec!["GIFT-WRAP".into()];
        let mut second = change(OrderStatus::Shipped, "2026-03-02T01:00:00Z");
        second.skus = vec!["SKU-1".into()];
        // the newer arrives first, the older (with the do-not-solicit SKU) after it
        let newer = record(apply_change(None, &second, &policy()));
        let both = record(apply_change(Some(&newer), &first, &policy()));
        assert_eq!(both.skus, vec!["GIFT-WRAP".to_string(), "SKU-1".to_string()]);
        assert_eq!(both.status, OrderStatus::Shipped);
        assert_eq!(both.last_changed_at, newer.last_changed_at, "the older change's time does not win");
        // and again changes nothing
        assert_eq!(apply_change(Some(&both), &first, &policy()), ChangeEffect::Stale);
    }

    #[test]
    fn a_buyer_cancel_request_arriving_after_the_shipped_change_still_skips() {
        let shipped = record(apply_change(None, &change(OrderStatus::Shipped, "2026-03-02T00:00:00Z"), &policy()));
        assert!(matches!(shipped.review_request, ReviewRequest::Pending { .. }));
        let mut cancel = change(OrderStatus::Unshipped, "2026-03-01T12:00:00Z");
        cancel.buyer_cancel_requested = true;
        let after = record(apply_change(Some(&shipped), &cancel, &policy()));
        assert!(after.buyer_cancel_requested);
        assert_eq!(after.status, OrderStatus::Shipped, "the status still follows the newest change");
        assert_eq!(
            after.review_request,
            ReviewRequest::Skipped { reason: SkipReason::BuyerRequestedCancel, decided_at: t("2026-03-01T12:00:00Z") }
        );
        // a later change without the flag does not clear it
        let later =
            record(apply_change(Some(&after), &change(OrderStatus::Shipped, "2026-03-03T00:00:00Z"), &policy()));
        assert!(later.buyer_cancel_requested);
    }

    #[test]
    fn dates_and_skus_left_out_are_kept() {
        let shipped = record(apply_change(None, &change(OrderStatus::Shipped, "2026-03-02T00:00:00Z"), &policy()));
        let mut later = change(OrderStatus::Shipped, "2026-03-02T05:00:00Z");
        later.delivery = DeliveryWindow::default();
        later.skus.clear();
        later.source = ChangeSource::Reconciliation;
        match apply_change(Some(&shipped), &later, &policy()) {
            ChangeEffect::Record(order) => {
                assert_eq!(order.delivery, shipped.delivery);
                assert_eq!(order.skus, shipped.skus);
                assert_eq!(order.review_request, shipped.review_request);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn final_and_claimed_requests_are_left_alone_but_cancellation_wins_over_a_claim() {
        let now = t("2026-03-12T00:00:00Z");
        let mut order = record(apply_change(None, &change(OrderStatus::Shipped, "2026-03-02T00:00:00Z"), &policy()));
        order.review_request = order.review_request.claim("d1", now, Duration::minutes(5)).unwrap();
        let touched =
            record(apply_change(Some(&order), &change(OrderStatus::Shipped, "2026-03-03T00:00:00Z"), &policy()));
        assert_eq!(touched.review_request, order.review_request);
        let canceled =
            record(apply_change(Some(&order), &change(OrderStatus::Canceled, "2026-03-03T00:00:00Z"), &policy()));
        assert!(matches!(canceled.review_request, ReviewRequest::Skipped { .. }));

        order.review_request = ReviewRequest::Sent { sent_at: now, sent_earlier: false };
        let after =
            record(apply_change(Some(&order), &change(OrderStatus::Canceled, "2026-03-20T00:00:00Z"), &policy()));
        assert_eq!(after.review_request, order.review_request, "sent stays sent");
    }
}
