//! Seller alerts through moto's SES v2, read back from moto; the ledger on DynamoDB Local.

use autopilot_shared::fanout::{Job, WorkUnit};
use std::sync::Arc;

use autopilot_shared::alerts::mime::{decode_image, decode_part};
use autopilot_shared::alerts::{AlertKey, AlertLedger, Alerts, Claim, ClaimToken, LedgerWrite, SesMailer};
use autopilot_shared::domain::feedback::DeadlineKind;
use autopilot_shared::domain::ratings::{Crossing, DailyBuckets, PositiveBaseline, StarCounts, ratings};
use autopilot_shared::domain::triage::{Ground, Verdict};
use autopilot_shared::domain::{
    AlertDelivery, DigestFrequency, DigestSchedule, EmailAddress, FulfillmentChannel, ManualClock, Marketplace,
    SellerAccount, SkipReason,
};
use autopilot_shared::events::ReviewRequestsProcessed;
use autopilot_shared::events::{
    DeadlineStatus, FeedbackDeadlineApproaching, FeedbackRemoved, NegativeFeedbackReceived, RatingThresholdCrossed,
};
use autopilot_shared::store::{DynamoStore, RatingSnapshot, RatingStore, SellerDirectory};
use autopilot_tests::fixtures::{at, seller};
use autopilot_tests::mail_samples::feedback;
use autopilot_tests::sim::{aws_config, deadline_in};
use autopilot_tests::{fresh_store, local_stack};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{Duration, NaiveDate, Weekday};
use serde_json::Value;

const FROM: &str = "alerts@feedback-autopilot.example";

struct World {
    store: DynamoStore,
    seller: SellerAccount,
    deps: Alerts,
    clock: Arc<ManualClock>,
}

impl World {
    async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// A world whose seller is changed by `adjust` first (delivery, digest settings).
    async fn with(adjust: impl FnOnce(&mut SellerAccount)) -> Self {
        // 2026-04-13 is a Monday
        let clock = Arc::new(ManualClock::new(at("2026-04-13T08:00:00Z")));
        let store = fresh_store(clock.clone(), |_| {}).await;
        let mut account = seller(1);
        let tag = uuid::Uuid::new_v4().simple().to_string();
        account.alert_recipients = vec![
            EmailAddress::parse(format!("owner-{tag}@seller.example")).unwrap(),
            EmailAddress::parse(format!("ops-{tag}@seller.example")).unwrap(),
        ];
        adjust(&mut account);
        store.put_seller(&account).await.unwrap();
        let sdk = aws_config().await;
        let _ = aws_sdk_sesv2::Client::new(&sdk).create_email_identity().email_identity(FROM).send().await;
        let deps = Alerts {
            sellers: Arc::new(store.clone()),
            ledger: Arc::new(store.clone()),
            digest_log: Arc::new(store.clone()),
            ratings: Arc::new(store.clone()),
            mailer: Arc::new(SesMailer::new(&sdk)),
            clock: clock.clone(),
            from: FROM.into(),
        };
        Self { store, seller: account, deps, clock }
    }

    async fn deliver(&self, detail_type: &str, detail: &impl serde::Serialize) -> usize {
        self.deliver_from("feedback-autopilot", detail_type, serde_json::to_value(detail).unwrap()).await
    }

    /// The fan-out coordinator's digest unit for the seller, as the worker takes it from SQS.
    async fn digest_unit(&self) -> usize {
        let unit = WorkUnit {
            job: Job::Digest,
            seller_id: self.seller.seller_id.clone(),
            scheduled_at: autopilot_shared::domain::Clock::now(self.clock.as_ref()),
        };
        let event: aws_lambda_events::event::sqs::SqsEvent =
            serde_json::from_value(serde_json::json!({"Records": [{"messageId": "u1", "body": unit.to_body()}]}))
                .unwrap();
        let invocation =
            autopilot_shared::lambda::invocation(alerts::Trigger::Work(event), "digest", deadline_in(30.0));
        let answer = alerts::handle(&self.deps, invocation).await.unwrap();
        assert_eq!(answer.batch.map(|b| b.batch_item_failures.len()), Some(0));
        answer.sent
    }

    /// The daily schedule firing.
    async fn schedule(&self) -> usize {
        self.deliver_from("aws.events", "Scheduled Event", serde_json::json!({})).await
    }

    async fn deliver_from(&self, source: &str, detail_type: &str, detail: Value) -> usize {
        let event: EventBridgeEvent<Value> = serde_json::from_value(serde_json::json!({
            "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": detail_type,
            "source": source, "account": "123456789012", "time": "2026-04-13T08:00:00Z",
            "region": "us-east-1", "resources": [], "detail": detail,
        }))
        .unwrap();
        let invocation =
            autopilot_shared::lambda::invocation(alerts::Trigger::Event(event), "alerts", deadline_in(30.0));
        alerts::handle(&self.deps, invocation).await.unwrap().sent
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
    let invocation =
        autopilot_shared::lambda::invocation(alerts::Trigger::Event(event), "malformed", deadline_in(30.0));
    let failed = alerts::handle(&w.deps, invocation).await.unwrap_err();
    // What Lambda reports (and a DLQ reader or a CloudWatch search sees): the failure named.
    assert_eq!(failed.error_type, "MalformedEvent");
    let err = failed.error_message;
    assert!(err.contains("NegativeFeedbackReceived") && err.contains("feedback"), "{err}");
    assert!(w.sent().await.is_empty());
}

fn requests(w: &World, run: &str, sent: u32, skipped: &[(SkipReason, u32)]) -> ReviewRequestsProcessed {
    ReviewRequestsProcessed {
        event_id: format!("review-requests:{}:{run}", w.seller.seller_id),
        seller_id: w.seller.seller_id.clone(),
        sent,
        sent_earlier: 0,
        skipped: skipped.iter().copied().collect(),
        expired: 0,
    }
}

/// Daily snapshots with 30-day negatives rising from 0 to `days / 5`.
async fn rating_history(w: &World, last: NaiveDate, days: i64) {
    for i in 0..days {
        let as_of = last - Duration::days(days - 1 - i);
        let mut buckets = DailyBuckets::default();
        for _ in 0..(i / 5) {
            buckets.add(as_of, 1);
        }
        let snapshot = RatingSnapshot {
            ratings: ratings(&buckets, as_of, false, PositiveBaseline::default()),
            odr_negative_rate: Some(0.004),
            orders_60: 500,
            negative_orders_60: 2,
            computed_at: as_of.and_hms_opt(6, 0, 0).unwrap().and_utc(),
        };
        w.store.put_snapshot(&w.seller.seller_id, Marketplace::Us, &snapshot).await.unwrap();
    }
}

fn subject(raw: &str) -> &str {
    raw.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or("")
}

#[tokio::test]
async fn a_digest_seller_gets_no_instant_mail_and_one_daily_digest_of_the_days_events() {
    let w = World::with(|s| {
        s.alert_delivery = AlertDelivery::Digest;
        s.digest = DigestSchedule { frequency: DigestFrequency::Daily, weekday: Weekday::Mon };
    })
    .await;
    // Monday 2026-04-13: a negative (delivered twice), two dispatch runs, a removal
    let event = negative(&w);
    assert_eq!(w.deliver("NegativeFeedbackReceived", &event).await, 0, "digest only: no mail now");
    w.clock.advance(Duration::minutes(5));
    assert_eq!(w.deliver("NegativeFeedbackReceived", &event).await, 0);
    assert_eq!(
        w.deliver("ReviewRequestsProcessed", &requests(&w, "run-1", 7, &[(SkipReason::DoNotSolicitSku, 2)])).await,
        0
    );
    assert_eq!(
        w.deliver("ReviewRequestsProcessed", &requests(&w, "run-2", 4, &[(SkipReason::BuyerRequestedCancel, 1)])).await,
        0
    );
    let removed = FeedbackRemoved {
        event_id: "feedback-removed:y".into(),
        seller_id: w.seller.seller_id.clone(),
        feedback: feedback(2, "Late"),
        removed_at: at("2026-04-13T09:00:00Z"),
        had_grounds: false,
    };
    assert_eq!(w.deliver("FeedbackRemoved", &removed).await, 0);
    rating_history(&w, NaiveDate::from_ymd_opt(2026, 4, 13).unwrap(), 40).await;
    assert!(w.sent().await.is_empty());

    // Tuesday's schedule: the digest of Monday, once per recipient, however often it fires
    w.clock.set(at("2026-04-14T07:00:00Z"));
    assert_eq!(w.schedule().await, 2);
    assert_eq!(w.schedule().await, 0, "the schedule's retry sends nothing twice");
    let sent = w.sent().await;
    assert_eq!(sent.len(), 2);
    let raw = &sent[0].1;
    assert_eq!(subject(raw), "Your daily feedback digest for Test seller 1: 2026-04-13");
    let text = decode_part(raw, "text/plain").unwrap();
    let html = decode_part(raw, "text/html").unwrap();
    assert!(text.contains("11 review requests sent, 1 new negative feedback, 1 removed"), "{text}");
    assert!(
        text.contains("skipped, do not solicit sku: 2") && text.contains("skipped, buyer requested cancel: 1"),
        "{text}"
    );
    assert!(text.contains("Shit seller, never again") && text.contains("Removable"), "{text}");
    assert!(text.contains("Last day the buyer can remove it: 2026-06-04"), "{text}");
    assert!(text.contains("most likely removed by the buyer"), "{text}");
    assert!(text.contains("- 30 days: 0 -> 7"), "the trend over the snapshots: {text}");
    assert!(html.contains("src=\"cid:trend-US@feedback-autopilot\""));
    let png_bytes = decode_image(raw, "trend-US@feedback-autopilot").expect("the chart travels in the mail");
    let info = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height), (560, 160));

    // Wednesday: nothing happened on Tuesday, but the ratings are worth a digest (sent by the
    // fan-out worker this time, once)
    w.clock.set(at("2026-04-15T07:00:00Z"));
    assert_eq!(w.digest_unit().await, 2);
    assert_eq!(w.digest_unit().await, 0, "a redelivered unit sends nothing twice");
    let tuesday = w.sent().await;
    let raw = &tuesday.iter().find(|(_, r)| subject(r).ends_with("2026-04-14")).unwrap().1;
    let text = decode_part(raw, "text/plain").unwrap();
    assert!(text.contains("0 review requests sent, 0 new negative feedback, 0 removed"), "{text}");
}

#[tokio::test]
async fn an_instant_seller_gets_both_and_a_weekly_digest_only_on_its_weekday() {
    let w =
        World::with(|s| s.digest = DigestSchedule { frequency: DigestFrequency::Weekly, weekday: Weekday::Mon }).await;
    assert_eq!(w.deliver("NegativeFeedbackReceived", &negative(&w)).await, 2, "instant: mailed at once");
    assert_eq!(w.deliver("ReviewRequestsProcessed", &requests(&w, "run-1", 3, &[])).await, 0);
    for day in 14..=19 {
        w.clock.set(at(&format!("2026-04-{day}T07:00:00Z")));
        assert_eq!(w.schedule().await, 0, "no weekly digest on 2026-04-{day}");
    }
    w.clock.set(at("2026-04-20T07:00:00Z"));
    assert_eq!(w.schedule().await, 2, "Monday: the week's digest");
    let digests: Vec<_> = w.sent().await.into_iter().filter(|(_, raw)| subject(raw).contains("digest")).collect();
    assert_eq!(digests.len(), 2);
    assert_eq!(subject(&digests[0].1), "Your weekly feedback digest for Test seller 1: 2026-04-13 to 2026-04-19");
    let text = decode_part(&digests[0].1, "text/plain").unwrap();
    assert!(text.contains("3 review requests sent, 1 new negative feedback"), "{text}");
    assert!(text.contains("You also got a mail for each of these as it happened."), "{text}");
}

fn token(claim: Claim) -> ClaimToken {
    match claim {
        Claim::Claimed(token) => token,
        other => panic!("expected a claim, got {other:?}"),
    }
}

#[tokio::test]
async fn a_claim_held_by_a_live_sender_is_in_flight_and_a_dead_ones_is_taken_over() {
    let w = World::new().await;
    let (seller, to) = (&w.seller.seller_id, &w.seller.alert_recipients[0]);
    let first = token(w.store.claim_alert(&AlertKey { seller, event_id: "e1", recipient: to }).await.unwrap());
    assert_eq!(
        w.store.claim_alert(&AlertKey { seller, event_id: "e1", recipient: to }).await.unwrap(),
        Claim::InFlight,
        "a concurrent duplicate"
    );
    // the claimer died before sending: after the lease a retry may send
    w.clock.advance(Duration::seconds(61));
    let second = token(w.store.claim_alert(&AlertKey { seller, event_id: "e1", recipient: to }).await.unwrap());
    assert_ne!(first, second);
    assert_eq!(
        w.store.confirm_alert(&AlertKey { seller, event_id: "e1", recipient: to }, &second).await.unwrap(),
        LedgerWrite::Done
    );
    w.clock.advance(Duration::days(1));
    assert_eq!(
        w.store.claim_alert(&AlertKey { seller, event_id: "e1", recipient: to }).await.unwrap(),
        Claim::AlreadySent,
        "sent is final"
    );
    // a failed send is released, so the retry sends
    let failed = token(w.store.claim_alert(&AlertKey { seller, event_id: "e2", recipient: to }).await.unwrap());
    assert_eq!(
        w.store.release_alert(&AlertKey { seller, event_id: "e2", recipient: to }, &failed).await.unwrap(),
        LedgerWrite::Done
    );
    assert!(matches!(
        w.store.claim_alert(&AlertKey { seller, event_id: "e2", recipient: to }).await.unwrap(),
        Claim::Claimed(_)
    ));
}

#[tokio::test]
async fn a_sender_that_outlived_its_lease_cannot_undo_the_one_that_took_over() {
    let w = World::new().await;
    let (seller, to) = (&w.seller.seller_id, &w.seller.alert_recipients[0]);
    let slow = token(w.store.claim_alert(&AlertKey { seller, event_id: "e3", recipient: to }).await.unwrap());
    w.clock.advance(Duration::seconds(61));
    let retry = token(w.store.claim_alert(&AlertKey { seller, event_id: "e3", recipient: to }).await.unwrap());
    assert_eq!(
        w.store.confirm_alert(&AlertKey { seller, event_id: "e3", recipient: to }, &retry).await.unwrap(),
        LedgerWrite::Done
    );
    // the slow sender's send failed at last: its release must not delete the confirmed entry
    assert_eq!(
        w.store.release_alert(&AlertKey { seller, event_id: "e3", recipient: to }, &slow).await.unwrap(),
        LedgerWrite::NotHolder
    );
    assert_eq!(
        w.store.confirm_alert(&AlertKey { seller, event_id: "e3", recipient: to }, &slow).await.unwrap(),
        LedgerWrite::NotHolder
    );
    assert_eq!(
        w.store.claim_alert(&AlertKey { seller, event_id: "e3", recipient: to }).await.unwrap(),
        Claim::AlreadySent,
        "never mailed again"
    );
}

#[tokio::test]
async fn a_frozen_dynamodb_fails_a_call_within_the_operation_timeout() {
    // a "DynamoDB" that accepts connections and never answers
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let sdk = autopilot_shared::aws::local(&format!("http://{address}")).await;
    let store = autopilot_shared::store::DynamoStore::connect(
        &sdk,
        autopilot_shared::store::StoreConfig::new("frozen"),
        w_clock(),
    );
    let started = std::time::Instant::now();
    let seller = autopilot_tests::fixtures::seller_id(1);
    let to = autopilot_shared::domain::EmailAddress::parse("a@b.example").unwrap();
    let result = store.claim_alert(&AlertKey { seller: &seller, event_id: "e4", recipient: &to }).await;
    let took = started.elapsed();
    held.abort();
    assert!(result.is_err(), "{result:?}");
    assert!(took <= autopilot_shared::aws::OPERATION_TIMEOUT + std::time::Duration::from_secs(2), "{took:?}");
}

fn w_clock() -> std::sync::Arc<dyn autopilot_shared::domain::Clock> {
    std::sync::Arc::new(autopilot_shared::domain::SystemClock)
}

/// SES through moto, but the first send to `fail_to` fails (as an SES outage would).
struct FlakyMailer {
    inner: SesMailer,
    fail_to: String,
    failures_left: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl autopilot_shared::alerts::Mailer for FlakyMailer {
    async fn send(&self, from: &str, to: &EmailAddress, raw: &[u8]) -> Result<(), autopilot_shared::alerts::MailError> {
        use std::sync::atomic::Ordering;
        if to.as_str() == self.fail_to
            && self.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
        {
            let message = "Throttling: Maximum sending rate exceeded".to_string();
            return Err(autopilot_shared::alerts::MailError::Refused { message });
        }
        self.inner.send(from, to, raw).await
    }
}

#[tokio::test]
async fn a_failed_send_fails_the_event_and_its_retry_mails_only_the_missing_recipient() {
    let mut w = World::new().await;
    let flaky = w.seller.alert_recipients[1].to_string();
    w.deps.mailer = Arc::new(FlakyMailer {
        inner: SesMailer::new(&aws_config().await),
        fail_to: flaky.clone(),
        failures_left: 1.into(),
    });
    let event = autopilot_shared::alerts::AlertEvent::Negative(negative(&w));
    let err = w.deps.handle(&event).await.expect_err("the failed send fails the invocation");
    assert!(err.to_string().contains(&flaky) && err.to_string().contains("Throttling"), "{err}");
    assert_eq!(w.sent().await.len(), 1, "the other recipient was mailed");
    // Lambda's retry: only the recipient that was missed
    let retry = w.deps.handle(&event).await.expect("the retry succeeds");
    assert_eq!((retry.sent.len(), retry.already_sent), (1, 1));
    assert_eq!(retry.sent[0].recipient.as_str(), flaky);
    let sent = w.sent().await;
    assert_eq!(sent.len(), 2, "each recipient exactly once");
    assert_ne!(sent[0].0, sent[1].0);
}
