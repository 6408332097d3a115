//! The fan-out's work queue on SQS FIFO (moto) and the seller directory on DynamoDB Local: one
//! unit per covered seller, the seller as the message group, a retried coordinator run
//! deduplicated, and the worker's batch read back into the sellers' accounts.

use std::sync::Arc;

use autopilot_shared::domain::{
    Clock, EmailAddress, ManualClock, Marketplace, ReviewRequestPolicy, SellerAccount, SellerId,
};
use autopilot_shared::fanout::{self, FanOut, Job, SqsWorkQueue, WorkUnit};
use autopilot_shared::store::SellerDirectory;
use autopilot_tests::sim::aws_config;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use chrono::Duration;

fn seller(id: &str, paused: bool) -> SellerAccount {
    SellerAccount {
        seller_id: SellerId::parse(id).unwrap(),
        display_name: id.into(),
        marketplaces: vec![Marketplace::Us],
        alert_recipients: vec![EmailAddress::parse("owner@shop.example").unwrap()],
        alert_delivery: Default::default(),
        digest: Default::default(),
        review_requests: ReviewRequestPolicy::for_marketplaces(&[Marketplace::Us]),
        credentials_secret: format!("feedback-autopilot/sellers/{id}"),
        feedback: Default::default(),
        paused,
    }
}

/// Every message waiting (deleted as read): its message group and body.
async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<(String, String)> {
    let messages = autopilot_tests::sim::receive_all(sqs, url).await;
    let group = |m: &aws_sdk_sqs::types::Message| {
        m.attributes().and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId)).cloned().unwrap_or_default()
    };
    messages.iter().map(|m| (group(m), m.body().unwrap_or_default().to_string())).collect()
}

#[tokio::test]
async fn one_unit_per_active_seller_grouped_by_seller_and_enqueued_once_per_run() {
    let clock = Arc::new(ManualClock::new("2026-03-02T06:00:00Z".parse().unwrap()));
    let store = Arc::new(autopilot_tests::fresh_store(clock.clone(), |_| {}).await);
    let sellers = [seller("A2FANOUTSELLER1", false), seller("A2FANOUTSELLER2", false), seller("A2FANOUTPAUSED1", true)];
    for s in &sellers {
        store.put_seller(s).await.unwrap();
    }
    let sdk = aws_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = autopilot_tests::sim::fifo_queue(&sqs, "work").await;
    let queue = SqsWorkQueue::new(&sdk, &url);
    let coordinator = FanOut { sellers: store.clone(), clock: clock.clone() };

    let summary = coordinator.fan_out(Job::Solicit, &queue).await.unwrap();
    assert_eq!((summary.sellers, summary.enqueued, summary.not_covered, summary.refused), (3, 2, 1, 0));
    // Lambda retries the coordinator: the same run is deduplicated by SQS.
    coordinator.fan_out(Job::Solicit, &queue).await.unwrap();
    let messages = receive(&sqs, &url).await;
    let mut groups: Vec<&str> = messages.iter().map(|(g, _)| g.as_str()).collect();
    groups.sort();
    assert_eq!(groups, ["A2FANOUTSELLER1", "A2FANOUTSELLER2"], "one unit per active seller, its group the seller");

    // The worker's batch: the units back as the sellers' accounts.
    let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
    for (n, (_, body)) in messages.iter().enumerate() {
        let mut message = aws_lambda_events::event::sqs::SqsMessage::default();
        message.message_id = Some(format!("m{n}"));
        message.body = Some(body.clone());
        event.records.push(message);
    }
    let (batch, mut accounts) = fanout::take_batch(event, Job::Solicit, store.as_ref(), clock.now()).await.unwrap();
    assert!(batch.response.batch_item_failures.is_empty());
    accounts.sort_by(|a, b| a.seller_id.cmp(&b.seller_id));
    assert_eq!(accounts, sellers[..2].to_vec());
    assert!(batch.units.iter().all(|u: &WorkUnit| u.scheduled_at == clock.now()));

    // The next run (a schedule period later) is new work.
    clock.advance(Duration::minutes(30));
    coordinator.fan_out(Job::Solicit, &queue).await.unwrap();
    assert_eq!(receive(&sqs, &url).await.len(), 2);
}
