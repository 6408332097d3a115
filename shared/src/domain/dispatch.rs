//! The review-request decision for one due order: pure, with a reason for every outcome.
//!
//! Amazon's window (5 days after the earliest delivery date to 30 days after the latest) is
//! only visible for orders with delivery dates: seller-fulfilled ones, and FBA ones when Orders
//! v2026 gives a `deliverByWindow`. For the others the plan is an estimate (the ship time plus a
//! transit estimate plus the seller's delay), and Amazon itself is the authority:
//! getSolicitationActionsForOrder offers the request only while its window is open. Every order
//! is asked on a cadence until a cutoff, so each reaches a final state, and the calls it costs
//! are bounded.

use chrono::{DateTime, Utc};

pub use super::clock::later;
use super::order::{FulfillmentChannel, Order};
use super::review_request::{
    ExpiryReason, ReviewRequest, SkipReason, SolicitationWindow, WINDOW_OPENS_AFTER_EARLIEST_DELIVERY,
};
use super::seller::{ReviewRequestPolicy, SellerAccount};

/// What to do with a due review request now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Never ask for this order.
    Skip(SkipReason),
    /// Look again at `due_at` (the window has not opened, or the seller's delay has not passed).
    NotYet { due_at: DateTime<Utc> },
    /// A seller-fulfilled order without delivery dates that were never looked up: getOrder once,
    /// then decide again.
    FetchDeliveryDates,
    /// Ask Amazon (getSolicitationActionsForOrder) and send if it offers the request; if not,
    /// ask again at `next_question`. Amazon's answer wins over the plan.
    AskAmazon { next_question: DateTime<Utc> },
    /// The cutoff passed before the request could go out.
    Expire(ExpiryReason),
}

/// When an order's review request is due and until when Amazon is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestPlan {
    pub due_at: DateTime<Utc>,
    /// Past this, the order is expired.
    pub cutoff: DateTime<Utc>,
    /// The window from delivery dates, when Amazon showed them.
    pub window: Option<SolicitationWindow>,
}

/// The plan for a shipped order under `policy`.
///
/// - With delivery dates: due at the seller's delay after the latest date, clamped into the
///   window; asked until the window closes or, if later, the cutoff after shipping (a stale
///   estimate must not give up on a window that Amazon has moved).
/// - Without: due at ship time + the marketplace's transit estimate + the seller's delay (at
///   least the 5 days after delivery at which Amazon's window opens); asked until the cutoff.
pub fn plan(order: &Order, policy: &ReviewRequestPolicy) -> RequestPlan {
    let anchor = order.shipped_or_purchased();
    let asking_cutoff = later(anchor, policy.asking.cutoff_after_shipping());
    match SolicitationWindow::for_delivery(&order.delivery) {
        Some(window) => {
            let latest = order.delivery.known().map_or(window.opens_at, |(_, latest)| latest);
            RequestPlan {
                due_at: window.due_time(latest, policy.delay()),
                cutoff: window.closes_at.max(asking_cutoff),
                window: Some(window),
            }
        }
        None => {
            let delivered = later(anchor, policy.asking.transit(order.marketplace));
            let due_at = later(delivered, policy.delay().max(WINDOW_OPENS_AFTER_EARLIEST_DELIVERY));
            RequestPlan { due_at: due_at.min(asking_cutoff), cutoff: asking_cutoff, window: None }
        }
    }
}

/// Whether the order's delivery dates still need their one lookup: seller-fulfilled orders
/// only (Amazon shows no dates for FBA orders), and only while the request says so.
pub fn needs_date_lookup(order: &Order) -> bool {
    let flagged = matches!(
        order.review_request,
        ReviewRequest::Pending { needs_delivery_dates: true, .. }
            | ReviewRequest::Claimed { needs_delivery_dates: true, .. }
    );
    flagged && order.fulfillment == FulfillmentChannel::Mfn && order.delivery.known().is_none()
}

/// Decide for `order` of `seller` at `now`. Exclusions come first (they hold whatever the
/// window), then the one date lookup, then the plan: expired past the cutoff, not yet before the
/// due time, otherwise ask Amazon.
pub fn decide(order: &Order, seller: &SellerAccount, now: DateTime<Utc>) -> Decision {
    if let Some(reason) = exclusion(order, seller) {
        return Decision::Skip(reason);
    }
    if needs_date_lookup(order) {
        return Decision::FetchDeliveryDates;
    }
    let policy = &seller.review_requests;
    let plan = plan(order, policy);
    if now >= plan.cutoff {
        let reason = if order.solicitation_checks == 0 { ExpiryReason::WindowClosed } else { ExpiryReason::NotOffered };
        return Decision::Expire(reason);
    }
    if now < plan.due_at {
        return Decision::NotYet { due_at: plan.due_at };
    }
    Decision::AskAmazon { next_question: later(now, policy.asking.ask_every()).min(plan.cutoff) }
}

/// The first exclusion that applies, if any.
pub fn exclusion(order: &Order, seller: &SellerAccount) -> Option<SkipReason> {
    let policy = &seller.review_requests;
    if order.status.is_dead() {
        Some(SkipReason::Canceled)
    } else if order.buyer_cancel_requested {
        Some(SkipReason::BuyerRequestedCancel)
    } else if order.refunded_at.is_some() {
        Some(SkipReason::Refunded)
    } else if order.negative_feedback {
        Some(SkipReason::NegativeFeedback)
    } else if !policy.enabled_marketplaces.contains(&order.marketplace) {
        Some(SkipReason::MarketplaceDisabled)
    } else if policy.do_not_solicit_orders.contains(&order.order_id) {
        Some(SkipReason::DoNotSolicitOrder)
    } else if order.skus.iter().any(|sku| policy.do_not_solicit_skus.contains(sku)) {
        Some(SkipReason::DoNotSolicitSku)
    } else if order.programs.iter().chain(order.order_type.iter()).any(|p| policy.excluded_programs.contains(p)) {
        Some(SkipReason::ExcludedProgram)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        DeliveryWindow, EmailAddress, FulfillmentChannel, Marketplace, OrderId, OrderStatus, ReviewRequest,
        ReviewRequestPolicy, SellerId,
    };

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn seller() -> SellerAccount {
        SellerAccount {
            seller_id: SellerId::parse("A3TH9S8BH6GOGM").unwrap(),
            display_name: "s".into(),
            marketplaces: vec![Marketplace::Us, Marketplace::De],
            alert_recipients: vec![EmailAddress::parse("a@b.example").unwrap()],
            alert_delivery: Default::default(),
            digest: Default::default(),
            review_requests: ReviewRequestPolicy::for_marketplaces(&[Marketplace::Us]),
            credentials_secret: "x".into(),
            feedback: Default::default(),
            paused: false,
        }
    }

    /// Shipped 2 March, delivered 3-5 March: window 8 March .. 4 April; seller's due time
    /// 12 March; the cutoff 45 days after shipping (16 April) is later than the window's close.
    fn order() -> Order {
        Order {
            seller_id: SellerId::parse("A3TH9S8BH6GOGM").unwrap(),
            marketplace: Marketplace::Us,
            order_id: OrderId::parse("903-8868176-2219830").unwrap(),
            status: OrderStatus::Shipped,
            fulfillment: FulfillmentChannel::Mfn,
            purchase_date: t("2026-03-01T00:00:00Z"),
            delivery: DeliveryWindow::new(t("2026-03-03T00:00:00Z"), t("2026-03-05T00:00:00Z")),
            last_changed_at: t("2026-03-02T00:00:00Z"),
            order_type: Some("StandardOrder".into()),
            programs: vec![],
            skus: vec!["SKU-1".into()],
            buyer_cancel_requested: false,
            negative_feedback: false,
            shipped_at: Some(t("2026-03-02T00:00:00Z")),
            refunded_at: None,
            solicitation_checks: 0,
            review_request: ReviewRequest::Pending { due_at: t("2026-03-12T00:00:00Z"), needs_delivery_dates: false },
            history: Vec::new(),
        }
    }

    /// The same order fulfilled by Amazon: no delivery dates.
    fn fba_order() -> Order {
        Order { fulfillment: FulfillmentChannel::Afn, delivery: DeliveryWindow::default(), ..order() }
    }

    fn ask(next: &str) -> Decision {
        Decision::AskAmazon { next_question: t(next) }
    }

    #[test]
    fn inside_the_window_after_the_delay_amazon_is_asked() {
        assert_eq!(decide(&order(), &seller(), t("2026-03-12T00:00:00Z")), ask("2026-03-13T00:00:00Z"));
    }

    #[test]
    fn window_edges_and_the_cutoff() {
        let due = t("2026-03-12T00:00:00Z");
        assert_eq!(decide(&order(), &seller(), t("2026-03-07T23:59:59Z")), Decision::NotYet { due_at: due });
        assert_eq!(decide(&order(), &seller(), t("2026-03-11T23:59:59Z")), Decision::NotYet { due_at: due });
        assert_eq!(decide(&order(), &seller(), t("2026-04-03T23:59:59Z")), ask("2026-04-04T23:59:59Z"));
        // past the estimate's window, Amazon is still asked until 45 days after shipping:
        // a revised estimate whose notification was lost may have moved the window
        assert_eq!(decide(&order(), &seller(), t("2026-04-10T00:00:00Z")), ask("2026-04-11T00:00:00Z"));
        assert_eq!(
            decide(&order(), &seller(), t("2026-04-16T00:00:00Z")),
            Decision::Expire(ExpiryReason::WindowClosed)
        );
        let mut asked = order();
        asked.solicitation_checks = 3;
        assert_eq!(decide(&asked, &seller(), t("2026-04-16T00:00:00Z")), Decision::Expire(ExpiryReason::NotOffered));
    }

    #[test]
    fn the_last_question_is_at_the_cutoff() {
        assert_eq!(decide(&order(), &seller(), t("2026-04-15T12:00:00Z")), ask("2026-04-16T00:00:00Z"));
    }

    #[test]
    fn an_fba_order_is_planned_from_its_ship_time_and_never_looked_up() {
        let mut o = fba_order();
        o.review_request = ReviewRequest::Pending { due_at: t("2026-03-01T00:00:00Z"), needs_delivery_dates: true };
        // shipped 2 March + 3 days transit + 7 days delay
        assert_eq!(
            decide(&o, &seller(), t("2026-03-02T00:00:00Z")),
            Decision::NotYet { due_at: t("2026-03-12T00:00:00Z") }
        );
        assert_eq!(decide(&o, &seller(), t("2026-03-12T00:00:00Z")), ask("2026-03-13T00:00:00Z"));
        assert_eq!(decide(&o, &seller(), t("2026-04-16T00:00:00Z")), Decision::Expire(ExpiryReason::WindowClosed));
    }

    #[test]
    fn the_transit_estimate_is_per_marketplace_and_the_delay_never_below_five_days() {
        let mut s = seller();
        s.review_requests.delay_days = 0;
        s.review_requests.asking.transit_days_by_marketplace.insert(Marketplace::Us, 6);
        assert_eq!(plan(&fba_order(), &s.review_requests).due_at, t("2026-03-13T00:00:00Z"));
        let unknown_ship = Order { shipped_at: None, ..fba_order() };
        assert_eq!(plan(&unknown_ship, &s.review_requests).due_at, t("2026-03-12T00:00:00Z"));
        assert_eq!(plan(&unknown_ship, &s.review_requests).cutoff, t("2026-04-15T00:00:00Z"));
    }

    #[test]
    fn an_fba_order_with_a_deliver_by_window_uses_it() {
        let mut o = fba_order();
        o.delivery = DeliveryWindow::new(t("2026-03-03T00:00:00Z"), t("2026-03-05T00:00:00Z"));
        assert_eq!(plan(&o, &seller().review_requests), plan(&order(), &seller().review_requests));
    }

    #[test]
    fn a_seller_fulfilled_order_without_dates_is_looked_up_once() {
        let mut o = order();
        o.delivery = DeliveryWindow::default();
        o.review_request = ReviewRequest::Pending { due_at: t("2026-03-09T00:00:00Z"), needs_delivery_dates: true };
        assert_eq!(decide(&o, &seller(), t("2026-03-12T00:00:00Z")), Decision::FetchDeliveryDates);
        o.review_request = ReviewRequest::Pending { due_at: t("2026-03-09T00:00:00Z"), needs_delivery_dates: false };
        assert_eq!(decide(&o, &seller(), t("2026-03-12T00:00:00Z")), ask("2026-03-13T00:00:00Z"));
    }

    #[test]
    fn the_question_bound_follows_the_policy() {
        let policy = ReviewRequestPolicy::for_marketplaces(&[Marketplace::Us]);
        assert_eq!(policy.asking.max_questions_per_order(), 46);
    }

    #[test]
    fn absurd_dates_saturate_instead_of_panicking() {
        let mut o = fba_order();
        o.shipped_at = Some(DateTime::<Utc>::MAX_UTC);
        let p = plan(&o, &seller().review_requests);
        assert_eq!(p.cutoff, DateTime::<Utc>::MAX_UTC);
        assert!(matches!(decide(&o, &seller(), t("2026-03-12T00:00:00Z")), Decision::NotYet { .. }));
    }

    #[test]
    fn every_exclusion_has_its_reason() {
        let now = t("2026-03-12T00:00:00Z");
        let check = |change: &dyn Fn(&mut Order, &mut SellerAccount), reason: SkipReason| {
            let (mut o, mut s) = (order(), seller());
            change(&mut o, &mut s);
            assert_eq!(decide(&o, &s, now), Decision::Skip(reason), "{reason:?}");
        };
        check(&|o, _| o.status = OrderStatus::Canceled, SkipReason::Canceled);
        check(&|o, _| o.buyer_cancel_requested = true, SkipReason::BuyerRequestedCancel);
        check(&|o, _| o.refunded_at = Some(t("2026-03-10T00:00:00Z")), SkipReason::Refunded);
        check(&|o, _| o.negative_feedback = true, SkipReason::NegativeFeedback);
        check(&|o, _| o.marketplace = Marketplace::De, SkipReason::MarketplaceDisabled);
        check(
            &|o, s| {
                s.review_requests.do_not_solicit_orders.insert(o.order_id.clone());
            },
            SkipReason::DoNotSolicitOrder,
        );
        check(
            &|_, s| {
                s.review_requests.do_not_solicit_skus.insert("SKU-1".into());
            },
            SkipReason::DoNotSolicitSku,
        );
        check(
            &|o, s| {
                o.programs = vec!["Business".into()];
                s.review_requests.excluded_programs.insert("Business".into());
            },
            SkipReason::ExcludedProgram,
        );
        check(
            &|_, s| {
                s.review_requests.excluded_programs.insert("StandardOrder".into());
            },
            SkipReason::ExcludedProgram,
        );
    }

    #[test]
    fn exclusions_win_over_an_expired_window() {
        let mut o = order();
        o.status = OrderStatus::Canceled;
        assert_eq!(decide(&o, &seller(), t("2026-05-01T00:00:00Z")), Decision::Skip(SkipReason::Canceled));
        assert_eq!(
            decide(&order(), &seller(), t("2026-05-01T00:00:00Z")),
            Decision::Expire(ExpiryReason::WindowClosed)
        );
    }
}
