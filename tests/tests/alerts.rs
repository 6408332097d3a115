//! Seller alerts through moto's SES v2, read back from moto; the ledger on DynamoDB Local.

use std::sync::Arc;

use autopilot_shared::alerts::mime::decode_part;
use autopilot_shared::alerts::{Alerts, SesMailer};
use autopilot_shared::domain::feedback::{DeadlineKind, StarClass};
use autopilot_shared::domain::ratings::{Crossing, DailyBuckets, PositiveBaseline, StarCounts, ratings};
use autopilot_shared::domain::triage::{Ground, Verdict};
use autopilot_shared::domain::{EmailAddress, FulfillmentChannel, ManualClock, Marketplace, OrderId, SellerAccount};
use autopilot_shared::feedback_events::{
    DeadlineStatus, FeedbackDeadlineApproaching, FeedbackRef, FeedbackRemoved, NegativeFeedbackReceived,
    RatingThresholdCrossed,
};
use autopilot_shared::store::{DynamoStore, RatingSnapshot, SellerDirectory};
use autopilot_tests::fixtures::{at, seller};
use autopilot_tests::sim::aws_config;
use autopilot_tests::{fresh_store, local_stack};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::NaiveDate;
use serde_json::Value;

const FROM: &str = "alerts@feedback-autopilot.example";

struct World {
    store: DynamoStore,
    seller: SellerAccount,
    deps: Alerts,
}

impl World {
    async fn new() -> Self {
        let clock = Arc::new(ManualClock::new(at("2026-04-13T08:00:00Z")));
        let store = fresh_store(clock.clone(), |_| {}).await;
        let mut account = seller(1);
        let tag = uuid::Uuid::new_v4().simple().to_string();
        account.alert_recipients = vec![
            EmailAddress::parse(format!("owner-{tag}@seller.example")).unwrap(),
            EmailAddress::parse(format!("ops-{tag}@seller.example")).unwrap(),
        ];
        store.put_seller(&account).await.unwrap();
        let sdk = aws_config().await;
        let _ = aws_sdk_sesv2::Client::new(&sdk).create_email_identity().email_identity(FROM).send().await;
        let deps = Alerts {
            sellers: Arc::new(store.clone()),
            ledger: Arc::new(store.clone()),
            mailer: Arc::new(SesMailer::new(&sdk)),
            clock,
            from: FROM.into(),
        };
        Self { store, seller: account, deps }
    }

    async fn deliver(&self, detail_type: &str, detail: &impl serde::Serialize) -> usize {
        let event: EventBridgeEvent<Value> = serde_json::from_value(serde_json::json!({
            "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": detail_type,
            "source": "feedback-autopilot", "account": "123456789012", "time": "2026-04-13T08:00:00Z",
            "region": "us-east-1", "resources": [], "detail": serde_json::to_value(detail).unwrap(),
        }))
        .unwrap();
        alerts::handle(&self.deps, event).await.unwrap().map_or(0, |o| o.sent.len())
    }

    /// Mails moto's SES accepted for this world's recipients: (to, raw).
    async fn sent(&self) -> Vec<(String, String)> {
        let data: Value = reqwest::get(format!("{}/moto-api/data.json", local_stack().aws_endpoint))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let recipients: Vec<&str> = self.seller.alert_recipients.iter().map(|r| r.as_str()).collect();
        data["ses"]["RawMessage"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| {
                let to = m["destinations"][0].as_str()?;
                recipients.contains(&to).then(|| (to.to_string(), m["raw_data"].as_str().unwrap_or("").to_string()))
            })
            .collect()
    }
}

fn feedback(rating: u8, comment: &str) -> FeedbackRef {
    FeedbackRef {
        marketplace: Marketplace::Us,
        order_id: OrderId::parse("113-4200001-9100037").unwrap(),
        feedback_date: NaiveDate::from_ymd_opt(2026, 4, 5).unwrap(),
        rating,
        star_class: StarClass::of(rating),
        comment: comment.into(),
        response: None,
    }
}

fn obscene() -> Verdict {
    Verdict {
        removable: true,
        strike_through: false,
        reasons: vec![Ground::Obscene],
        evidence: vec!["obscene word \"shit\"".into()],
    }
}

fn negative(w: &World) -> NegativeFeedbackReceived {
    NegativeFeedbackReceived {
        event_id: format!("negative-feedback:{}:US:113-4200001-9100037", w.seller.seller_id),
        seller_id: w.seller.seller_id.clone(),
        feedback: feedback(1, "Shit seller, never again"),
        order_date: NaiveDate::from_ymd_opt(2026, 3, 2),
        fulfillment: Some(FulfillmentChannel::Mfn),
        triage: obscene(),
        deadlines: vec![
            DeadlineStatus {
                kind: DeadlineKind::BuyerRemoval,
                date: NaiveDate::from_ymd_opt(2026, 6, 4).unwrap(),
                days_left: 52,
            },
            DeadlineStatus {
                kind: DeadlineKind::RemovalRequest,
                date: NaiveDate::from_ymd_opt(2026, 7, 4).unwrap(),
                days_left: 82,
            },
        ],
    }
}

#[tokio::test]
async fn a_negative_feedback_alert_reaches_every_recipient_once_even_when_delivered_twice() {
    let w = World::new().await;
    let event = negative(&w);
    assert_eq!(w.deliver("NegativeFeedbackReceived", &event).await, 2);
    assert_eq!(w.deliver("NegativeFeedbackReceived", &event).await, 0, "a duplicate delivery sends nothing");
    let sent = w.sent().await;
    assert_eq!(sent.len(), 2, "one mail per recipient");
    let mut to: Vec<&str> = sent.iter().map(|(t, _)| t.as_str()).collect();
    to.sort();
    let mut expected: Vec<&str> = w.seller.alert_recipients.iter().map(|r| r.as_str()).collect();
    expected.sort();
    assert_eq!(to, expected);
    let raw = &sent[0].1;
    assert!(raw.contains("Subject: 1-star feedback on order 113-4200001-9100037 (US): removable"), "{raw}");
    assert!(raw.contains(&format!("From: {FROM}")));
    let text = decode_part(raw, "text/plain").unwrap();
    let html = decode_part(raw, "text/html").unwrap();
    for part in [&text, &html] {
        assert!(part.contains("Shit seller, never again"));
        assert!(part.contains("obscene"));
        assert!(part.contains("2026-06-04") && part.contains("52 days left"));
        assert!(part.contains("2026-07-04") && part.contains("82 days left"));
        assert!(part.contains("https://sellercentral.amazon.com/feedback-manager/index.html"));
    }
    assert!(text.contains("Hello Seller Support"), "a drafted removal request");
    assert!(text.contains("Thank you for your order 113-4200001-9100037"), "a drafted buyer follow-up");
}

#[tokio::test]
async fn reminders_removals_and_rating_alerts_have_their_own_mails() {
    let w = World::new().await;
    let reminder = FeedbackDeadlineApproaching {
        event_id: "feedback-deadline:x:buyer_removal:3".into(),
        seller_id: w.seller.seller_id.clone(),
        feedback: feedback(2, "Slow"),
        triage: Verdict::default(),
        deadline: DeadlineStatus {
            kind: DeadlineKind::BuyerRemoval,
            date: NaiveDate::from_ymd_opt(2026, 6, 4).unwrap(),
            days_left: 3,
        },
        mark: 3,
    };
    assert_eq!(w.deliver("FeedbackDeadlineApproaching", &reminder).await, 2);
    let removed = FeedbackRemoved {
        event_id: "feedback-removed:x".into(),
        seller_id: w.seller.seller_id.clone(),
        feedback: feedback(1, "Shit seller"),
        removed_at: at("2026-04-23T08:00:00Z"),
        had_grounds: true,
    };
    assert_eq!(w.deliver("FeedbackRemoved", &removed).await, 2);
    let mut buckets = DailyBuckets::default();
    for _ in 0..3 {
        buckets.add(NaiveDate::from_ymd_opt(2026, 4, 10).unwrap(), 1);
    }
    let snapshot = RatingSnapshot {
        ratings: ratings(&buckets, NaiveDate::from_ymd_opt(2026, 4, 13).unwrap(), false, PositiveBaseline::default()),
        odr_negative_rate: Some(0.02),
        orders_60: 150,
        negative_orders_60: 3,
        computed_at: at("2026-04-13T08:00:00Z"),
    };
    assert_eq!(snapshot.ratings.days_30.counts, StarCounts { positive: 0, neutral: 0, negative: 3 });
    let crossed = RatingThresholdCrossed {
        event_id: "rating-threshold:x".into(),
        seller_id: w.seller.seller_id.clone(),
        marketplace: Marketplace::Us,
        crossing: Crossing::NegativesAtLeast { threshold: 3, value: 3 },
        snapshot,
    };
    assert_eq!(w.deliver("RatingThresholdCrossed", &crossed).await, 2);
    assert_eq!(w.deliver("ReviewRequestRunCompleted", &serde_json::json!({"sent": 1})).await, 0, "not mailed about");

    let sent = w.sent().await;
    assert_eq!(sent.len(), 6);
    let subjects: Vec<String> = sent
        .iter()
        .filter(|(to, _)| to == w.seller.alert_recipients[0].as_str())
        .map(|(_, raw)| raw.lines().find(|l| l.starts_with("Subject: ")).unwrap().to_string())
        .collect();
    assert_eq!(
        subjects,
        [
            "Subject: Last day the buyer can remove it for order 113-4200001-9100037 (US): 3 days left",
            "Subject: Feedback removed: 1-star feedback on order 113-4200001-9100037 (US)",
            "Subject: Rating alert for Test seller 1 (US): negative feedback piling up",
        ]
    );
    let rating_mail = decode_part(&sent.last().unwrap().1, "text/plain").unwrap();
    assert!(rating_mail.contains("3 negative feedback in the last 30 days"), "{rating_mail}");
    let _ = &w.store;
}

#[tokio::test]
async fn a_malformed_event_is_an_error_naming_the_field() {
    let w = World::new().await;
    let event: EventBridgeEvent<Value> = serde_json::from_value(serde_json::json!({
        "version": "0", "id": "1", "detail-type": "NegativeFeedbackReceived", "source": "feedback-autopilot",
        "account": "1", "time": "2026-04-13T08:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"event_id": "x", "seller_id": w.seller.seller_id.to_string()},
    }))
    .unwrap();
    let err = alerts::handle(&w.deps, event).await.unwrap_err().to_string();
    assert!(err.contains("NegativeFeedbackReceived") && err.contains("feedback"), "{err}");
    assert!(w.sent().await.is_empty());
}
