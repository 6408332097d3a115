//! The review-request decision for one due order: pure, with a reason for every outcome.

use chrono::{DateTime, Utc};

use super::order::Order;
use super::review_request::{SkipReason, SolicitationWindow, WindowPosition};
use super::seller::SellerAccount;

/// What to do with a due review request now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Never ask for this order.
    Skip(SkipReason),
    /// Ask again at `due_at` (the window has not opened, or the seller's delay has not passed).
    NotYet { due_at: DateTime<Utc> },
    /// The delivery estimate is unknown: fetch it with getOrder, then decide again.
    FetchDeliveryDates,
    /// Inside Amazon's window and the seller's delay: ask Amazon.
    Request,
    /// Amazon's window closed before the request could go out.
    Expire,
}

/// Decide for `order` of `seller` at `now`. Exclusions come first (they hold whatever the
/// window), then the delivery estimate, then the window and the seller's delay.
pub fn decide(order: &Order, seller: &SellerAccount, now: DateTime<Utc>) -> Decision {
    if let Some(reason) = exclusion(order, seller) {
        return Decision::Skip(reason);
    }
    let Some((_, latest)) = order.delivery.known() else {
        return Decision::FetchDeliveryDates;
    };
    let Some(window) = SolicitationWindow::for_delivery(&order.delivery) else {
        return Decision::FetchDeliveryDates;
    };
    match window.position(now) {
        WindowPosition::Closed => Decision::Expire,
        WindowPosition::NotYetOpen => {
            Decision::NotYet { due_at: window.due_time(latest, seller.review_requests.delay()) }
        }
        WindowPosition::Open => {
            let due_at = window.due_time(latest, seller.review_requests.delay());
            if now < due_at { Decision::NotYet { due_at } } else { Decision::Request }
        }
    }
}

/// The first exclusion that applies, if any.
pub fn exclusion(order: &Order, seller: &SellerAccount) -> Option<SkipReason> {
    let policy = &seller.review_requests;
    if order.status.is_dead() {
        Some(SkipReason::Canceled)
    } else if order.buyer_cancel_requested {
        Some(SkipReason::BuyerRequestedCancel)
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
        }
    }

    /// Delivered 3-5 March: window 8 March .. 4 April; seller's due time 12 March.
    fn order() -> Order {
        Order {
            seller_id: SellerId::parse("A3TH9S8BH6GOGM").unwrap(),
            marketplace: Marketplace::Us,
            order_id: OrderId::parse("903-8868176-2219830").unwrap(),
            status: OrderStatus::Shipped,
            fulfillment: FulfillmentChannel::Afn,
            purchase_date: t("2026-03-01T00:00:00Z"),
            delivery: DeliveryWindow::new(t("2026-03-03T00:00:00Z"), t("2026-03-05T00:00:00Z")),
            last_changed_at: t("2026-03-02T00:00:00Z"),
            order_type: Some("StandardOrder".into()),
            programs: vec![],
            skus: vec!["SKU-1".into()],
            buyer_cancel_requested: false,
            negative_feedback: false,
            review_request: ReviewRequest::Pending { due_at: t("2026-03-12T00:00:00Z"), needs_delivery_dates: false },
        }
    }

    #[test]
    fn inside_the_window_after_the_delay_it_requests() {
        assert_eq!(decide(&order(), &seller(), t("2026-03-12T00:00:00Z")), Decision::Request);
    }

    #[test]
    fn window_edges() {
        let due = t("2026-03-12T00:00:00Z");
        assert_eq!(decide(&order(), &seller(), t("2026-03-07T23:59:59Z")), Decision::NotYet { due_at: due });
        assert_eq!(decide(&order(), &seller(), t("2026-03-11T23:59:59Z")), Decision::NotYet { due_at: due });
        assert_eq!(decide(&order(), &seller(), t("2026-04-03T23:59:59Z")), Decision::Request);
        assert_eq!(decide(&order(), &seller(), t("2026-04-04T00:00:00Z")), Decision::Expire);
    }

    #[test]
    fn unknown_dates_are_fetched_first() {
        let mut o = order();
        o.delivery = DeliveryWindow::default();
        assert_eq!(decide(&o, &seller(), t("2026-03-12T00:00:00Z")), Decision::FetchDeliveryDates);
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
        assert_eq!(decide(&order(), &seller(), t("2026-05-01T00:00:00Z")), Decision::Expire);
    }
}
