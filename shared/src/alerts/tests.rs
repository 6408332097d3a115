//! The alert ledger's orchestration (at most once per recipient) against in-memory ports. The
//! DynamoDB ledger's conditions and lease are tested on DynamoDB Local in
//! `tests/tests/alerts.rs`, with SES read back from moto.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};

use super::*;
use crate::domain::ManualClock;
use crate::domain::feedback::StarClass;
use crate::domain::triage::Verdict;
use crate::domain::{Marketplace, OrderId};
use crate::events::FeedbackRef;
use crate::fakes::fixtures::{at, seller};
use crate::fakes::{MemoryLedger, MemoryMailer, MemoryStore};
use crate::lambda::Failure;

const LEASE: Duration = Duration::seconds(60);

struct World {
    clock: Arc<ManualClock>,
    ledger: Arc<MemoryLedger>,
    mailer: Arc<MemoryMailer>,
    alerts: Alerts,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::new(at("2026-04-13T08:00:00Z")));
    let store = MemoryStore::new();
    store.put_seller(&seller()).await.unwrap();
    let ledger = MemoryLedger::new(clock.clone(), LEASE);
    let mailer = MemoryMailer::new();
    let alerts = Alerts {
        sellers: store.clone(),
        ledger: ledger.clone(),
        digest_log: ledger.clone(),
        ratings: store,
        mailer: mailer.clone(),
        clock: clock.clone(),
        from: "alerts@shop.example".into(),
    };
    World { clock, ledger, mailer, alerts }
}

fn negative(event_id: &str) -> AlertEvent {
    AlertEvent::Negative(NegativeFeedbackReceived {
        event_id: event_id.into(),
        seller_id: seller().seller_id,
        feedback: FeedbackRef {
            marketplace: Marketplace::Us,
            order_id: OrderId::parse("111-1234567-1234567").unwrap(),
            feedback_date: NaiveDate::from_ymd_opt(2026, 4, 12).unwrap(),
            rating: 1,
            star_class: StarClass::Negative,
            comment: "Arrived broken".into(),
            response: None,
        },
        order_date: None,
        fulfillment: None,
        triage: Verdict::default(),
        deadlines: vec![],
    })
}

#[tokio::test]
async fn each_recipient_is_mailed_once_however_often_the_event_comes() {
    let w = world().await;
    let first = w.alerts.handle(&negative("e1")).await.unwrap();
    assert_eq!((first.sent.len(), first.already_sent), (2, 0));
    let again = w.alerts.handle(&negative("e1")).await.unwrap();
    assert_eq!((again.sent.len(), again.already_sent), (0, 2));
    assert_eq!(w.mailer.recipients(), vec!["owner@shop.example", "ops@shop.example"]);
}

#[tokio::test]
async fn a_duplicate_during_a_live_claim_fails_and_a_dead_claim_is_taken_over() {
    let w = world().await;
    let owner = seller().alert_recipients[0].clone();
    // Another invocation holds the owner's claim and is sending now.
    let Claim::Claimed(_) = w
        .ledger
        .claim_alert(&AlertKey { seller: &seller().seller_id, event_id: "e1", recipient: &owner })
        .await
        .unwrap()
    else {
        panic!("first claim")
    };
    let err = w.alerts.handle(&negative("e1")).await.unwrap_err();
    assert!(matches!(&err, AlertError::InFlight { .. }), "{err}");
    assert_eq!(err.error_type(), "MailInFlight");
    assert_eq!(w.mailer.recipients(), vec!["ops@shop.example"], "the other recipient is not held up");
    // That invocation died: once its lease has run out, Lambda's retry sends.
    w.clock.advance(LEASE + Duration::seconds(1));
    let retry = w.alerts.handle(&negative("e1")).await.unwrap();
    assert_eq!((retry.sent.len(), retry.already_sent), (1, 1));
    assert_eq!(w.mailer.recipients(), vec!["ops@shop.example", "owner@shop.example"]);
}

#[tokio::test]
async fn a_failed_send_is_released_and_its_retry_mails_only_that_recipient() {
    let w = world().await;
    w.mailer.fail_for("ops@shop.example", true);
    let err = w.alerts.handle(&negative("e1")).await.unwrap_err();
    assert!(matches!(&err, AlertError::Send { recipient, .. } if recipient == "ops@shop.example"), "{err}");
    assert_eq!(err.error_type(), "MailNotSent");
    assert!(crate::lambda::error_chain(&err).contains("SES refused"), "the mailer's error is kept as the source");
    w.mailer.fail_for("ops@shop.example", false);
    let retry = w.alerts.handle(&negative("e1")).await.unwrap();
    assert_eq!((retry.sent.len(), retry.already_sent), (1, 1));
    assert_eq!(w.mailer.recipients(), vec!["owner@shop.example", "ops@shop.example"]);
}

#[tokio::test]
async fn an_event_of_an_unknown_seller_mails_no_one() {
    let w = world().await;
    let AlertEvent::Negative(mut event) = negative("e1") else { unreachable!() };
    event.seller_id = crate::domain::SellerId::parse("A1UNKNOWN00000").unwrap();
    let outcome = w.alerts.handle(&AlertEvent::Negative(event)).await.unwrap();
    assert!(outcome.sent.is_empty());
    assert!(w.mailer.recipients().is_empty());
}
