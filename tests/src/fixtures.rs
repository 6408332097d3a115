//! Domain values for tests, built the same way everywhere.

use chrono::{DateTime, Utc};

use autopilot_shared::domain::{
    DeliveryWindow, EmailAddress, FulfillmentChannel, Marketplace, Order, OrderId, OrderStatus, ReviewRequest,
    ReviewRequestPolicy, SellerAccount, SellerId,
};

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).expect("valid RFC 3339 time in a test").with_timezone(&Utc)
}

pub fn seller_id(n: u32) -> SellerId {
    SellerId::parse(format!("A{n:012}")).expect("valid seller id")
}

pub fn order_id(n: u32) -> OrderId {
    OrderId::parse(format!("111-{:07}-{:07}", n % 10_000_000, (n * 7919) % 10_000_000)).expect("valid order id")
}

pub fn seller(n: u32) -> SellerAccount {
    let marketplaces = vec![Marketplace::Us, Marketplace::De];
    SellerAccount {
        seller_id: seller_id(n),
        display_name: format!("Test seller {n}"),
        review_requests: ReviewRequestPolicy::for_marketplaces(&marketplaces),
        marketplaces,
        alert_recipients: vec![EmailAddress::parse(format!("owner{n}@seller.example")).expect("valid e-mail")],
        alert_delivery: Default::default(),
        digest: Default::default(),
        credentials_secret: format!("feedback-autopilot/sellers/{}", seller_id(n)),
        feedback: Default::default(),
        paused: false,
    }
}

/// A shipped US order bought at `purchased`, delivered 3-5 days later, with its review request
/// in `state`.
pub fn order(seller: &SellerId, n: u32, purchased: DateTime<Utc>, state: ReviewRequest) -> Order {
    Order {
        seller_id: seller.clone(),
        marketplace: Marketplace::Us,
        order_id: order_id(n),
        status: OrderStatus::Shipped,
        fulfillment: FulfillmentChannel::Mfn,
        purchase_date: purchased,
        delivery: DeliveryWindow::new(purchased + chrono::Duration::days(3), purchased + chrono::Duration::days(5)),
        last_changed_at: purchased + chrono::Duration::days(1),
        order_type: Some("StandardOrder".into()),
        programs: vec![],
        skus: vec![format!("SKU-{n}")],
        buyer_cancel_requested: false,
        negative_feedback: false,
        shipped_at: Some(purchased + chrono::Duration::days(1)),
        refunded_at: None,
        solicitation_checks: 0,
        review_request: state,
        history: Vec::new(),
    }
}
