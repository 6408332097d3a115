//! One mail of every kind, rendered from realistic events by the production renderers, with
//! the words a seller must find in each (for the browser checks).

use chrono::{Duration, NaiveDate};

use autopilot_shared::alerts::digest::{Digest, DigestPeriod, RatingHistory, digest_mail};
use autopilot_shared::alerts::mail::{Mail, deadline_mail, negative_feedback_mail, removed_mail, threshold_mail};
use autopilot_shared::alerts::{AlertEvent, DigestEntry};
use autopilot_shared::domain::feedback::{DeadlineKind, StarClass};
use autopilot_shared::domain::ratings::{Crossing, DailyBuckets, PositiveBaseline, ratings};
use autopilot_shared::domain::triage::{Ground, Verdict};
use autopilot_shared::domain::{FulfillmentChannel, Marketplace, OrderId, SellerAccount};
use autopilot_shared::events::ReviewRequestsProcessed;
use autopilot_shared::events::{
    DeadlineStatus, FeedbackDeadlineApproaching, FeedbackRef, FeedbackRemoved, NegativeFeedbackReceived,
    RatingThresholdCrossed,
};
use autopilot_shared::store::RatingSnapshot;

use crate::fixtures::{at, seller};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date in a sample")
}

/// A US feedback on order 113-4200001-9100037, left 2026-04-05.
pub fn feedback(rating: u8, comment: &str) -> FeedbackRef {
    FeedbackRef {
        marketplace: Marketplace::Us,
        order_id: OrderId::parse("113-4200001-9100037").expect("order id"),
        feedback_date: date("2026-04-05"),
        rating,
        star_class: StarClass::of(rating),
        comment: comment.into(),
        response: None,
    }
}

fn fba_delivery() -> Verdict {
    Verdict {
        removable: false,
        strike_through: true,
        reasons: vec![Ground::FbaDelivery],
        evidence: vec!["only about Amazon's delivery: \"arrived\", \"late\", \"box\"".into()],
    }
}

fn deadlines() -> Vec<DeadlineStatus> {
    vec![
        DeadlineStatus { kind: DeadlineKind::BuyerRemoval, date: date("2026-06-04"), days_left: 52 },
        DeadlineStatus { kind: DeadlineKind::RemovalRequest, date: date("2026-07-04"), days_left: 82 },
    ]
}

fn snapshot(as_of: NaiveDate, negatives: u64) -> RatingSnapshot {
    // `negatives` in the last 30 days, two more 45 days back, three more 200 days back
    let mut buckets = DailyBuckets::default();
    for (days_back, n) in [(0, negatives), (45, 2), (200, 3)] {
        for _ in 0..n {
            buckets.add(as_of - Duration::days(days_back), 1);
        }
    }
    RatingSnapshot {
        ratings: ratings(&buckets, as_of, false, PositiveBaseline::default()),
        odr_negative_rate: Some(negatives as f64 / 400.0),
        orders_60: 400,
        negative_orders_60: negatives,
        computed_at: as_of.and_hms_opt(6, 0, 0).unwrap_or_default().and_utc(),
    }
}

/// A mail and the texts that must be in its DOM.
pub struct Sample {
    pub mail: Mail,
    pub must_show: Vec<String>,
}

pub fn seller_account() -> SellerAccount {
    let mut account = seller(7);
    account.display_name = "Demo Outdoor GmbH".into();
    account
}

pub fn all() -> Vec<Sample> {
    let account = seller_account();
    let negative = NegativeFeedbackReceived {
        event_id: "negative".into(),
        seller_id: account.seller_id.clone(),
        feedback: feedback(1, "Arrived two weeks late and the box was crushed"),
        order_date: Some(date("2026-03-28")),
        fulfillment: Some(FulfillmentChannel::Afn),
        triage: fba_delivery(),
        deadlines: deadlines(),
    };
    let reminder = FeedbackDeadlineApproaching {
        event_id: "deadline".into(),
        seller_id: account.seller_id.clone(),
        feedback: feedback(2, "Slow"),
        triage: Verdict::default(),
        deadline: DeadlineStatus { kind: DeadlineKind::BuyerRemoval, date: date("2026-06-04"), days_left: 3 },
        mark: 3,
    };
    let removed = FeedbackRemoved {
        event_id: "removed".into(),
        seller_id: account.seller_id.clone(),
        feedback: feedback(1, "Arrived two weeks late and the box was crushed"),
        removed_at: at("2026-04-23T08:00:00Z"),
        had_grounds: true,
    };
    let crossed = RatingThresholdCrossed {
        event_id: "threshold".into(),
        seller_id: account.seller_id.clone(),
        marketplace: Marketplace::Us,
        crossing: Crossing::NegativesAtLeast { threshold: 3, value: 4 },
        snapshot: snapshot(date("2026-04-13"), 4),
    };
    let period = DigestPeriod::ending(date("2026-04-20"), 7);
    let received = at("2026-04-15T09:00:00Z");
    let requests = AlertEvent::Requests(ReviewRequestsProcessed {
        event_id: "requests".into(),
        seller_id: account.seller_id.clone(),
        sent: 38,
        sent_earlier: 1,
        skipped: [
            (autopilot_shared::domain::SkipReason::DoNotSolicitSku, 3),
            (autopilot_shared::domain::SkipReason::BuyerRequestedCancel, 1),
        ]
        .into_iter()
        .collect(),
        expired: 0,
    });
    let entries: Vec<DigestEntry> =
        [AlertEvent::Negative(negative.clone()), AlertEvent::Removed(removed.clone()), requests]
            .iter()
            .filter_map(|e| e.to_entry(received).ok())
            .collect();
    let history = RatingHistory {
        marketplace: Marketplace::Us,
        snapshots: (0..60).map(|i| snapshot(date("2026-02-19") + Duration::days(i), (i as u64 / 12).min(4))).collect(),
    };
    let digest = Digest::collect(&period, &entries, vec![history]);
    vec![
        Sample {
            mail: negative_feedback_mail(&account, &negative),
            must_show: vec![
                "113-4200001-9100037".into(),
                "Arrived two weeks late".into(),
                "Strike-through".into(),
                "52 days left".into(),
                "Open Feedback Manager".into(),
            ],
        },
        Sample {
            mail: deadline_mail(&account, &reminder),
            must_show: vec!["3 days left".into(), "2026-06-04".into(), "Open Feedback Manager".into()],
        },
        Sample {
            mail: removed_mail(&account, &removed),
            must_show: vec!["no longer appears".into(), "113-4200001-9100037".into()],
        },
        Sample {
            mail: threshold_mail(&account, &crossed),
            must_show: vec!["4 negative feedback in the last 30 days".into(), "Positive share".into()],
        },
        Sample {
            mail: digest_mail(&account, &period, &digest),
            must_show: vec![
                "weekly feedback digest".into(),
                "review requests sent".into(),
                "Needs your attention".into(),
                "skipped, do not solicit sku: 3".into(),
                "Negative feedback per window, last 90 days".into(),
            ],
        },
    ]
}
