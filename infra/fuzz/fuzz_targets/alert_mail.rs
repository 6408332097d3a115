//! Any bytes as a NegativeFeedbackReceived event's detail (what the alerts function reads from
//! the bus): when it parses, the mail is rendered and encoded as raw MIME; never a panic.
#![no_main]
use autopilot_shared::alerts::{mail, mime};
use autopilot_shared::domain::{EmailAddress, Marketplace, ReviewRequestPolicy, SellerAccount, SellerId};
use autopilot_shared::events::NegativeFeedbackReceived;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<NegativeFeedbackReceived>(data) else { return };
    let Ok(seller_id) = SellerId::parse("A3TH9S8BH6GOGM") else { return };
    let Ok(recipient) = EmailAddress::parse("owner@seller.example") else { return };
    let seller = SellerAccount {
        seller_id,
        display_name: "Fuzz <seller> & co".into(),
        marketplaces: vec![Marketplace::Us],
        alert_recipients: vec![recipient],
        alert_delivery: Default::default(),
        digest: Default::default(),
        review_requests: ReviewRequestPolicy::for_marketplaces(&[Marketplace::Us]),
        credentials_secret: "s".into(),
        feedback: Default::default(),
        paused: false,
    };
    let rendered = mail::negative_feedback_mail(&seller, &event);
    let _ = mime::raw_message(
        &rendered,
        "alerts@seller.example",
        "owner@seller.example",
        "m@fuzz",
        chrono::DateTime::UNIX_EPOCH,
    );
});
