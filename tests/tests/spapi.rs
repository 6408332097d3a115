//! The SP-API client against the simulator: tokens, usage plans, retries and deadlines, 403
//! classification, paging, reports with gzip documents, notifications into SQS (moto).

use autopilot_shared::spapi::SellerCalls;
use std::time::Duration;

use autopilot_shared::domain::{Marketplace, OrderId, Region};
use autopilot_shared::onboarding::{NotificationType, SellerSecret};
use autopilot_shared::spapi::model::{CreateReportSpecification, ProcessingStatus};
use autopilot_shared::spapi::{ForbiddenKind, Operation, OrdersQuery, SpApiError, UsagePlan, UsagePlans};
use autopilot_shared::store::SellerDirectory;
use autopilot_tests::fixtures::at;
use autopilot_tests::sim::{aws_config, deadline_in, receive_all, sim_harness, sim_order};
use chrono::{Duration as Span, NaiveDate};
use spapi_sim::{DeliveryOptions, Faults, FeedbackRow, ReportTiming};
use tokio::time::Instant;

const ORDER: &str = "111-0000001-0000001";

#[tokio::test]
async fn tokens_are_cached_refreshed_before_expiry_and_after_revocation() {
    let h = sim_harness(UsagePlans::scaled(100.0), |_| {}).await;
    let sim = h.simulator();
    sim.upsert_order(sim_order(&h.seller.seller_id, ORDER, sim.now()));
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let order = OrderId::parse(ORDER).unwrap();

    for _ in 0..3 {
        api.get_order(&order, deadline_in(5.0)).await.unwrap();
    }
    assert_eq!(sim.token_grants(h.seller.seller_id.as_str()), 1, "one token serves many calls");

    // 59 minutes later the token is within the refresh margin: a new one is fetched first
    sim.advance(Span::minutes(59));
    api.get_order(&order, deadline_in(5.0)).await.unwrap();
    assert_eq!(sim.token_grants(h.seller.seller_id.as_str()), 2);
    assert_eq!(sim.calls("getOrder", 403), 0, "never sent an expired token");

    // Amazon invalidates tokens: one 403, a refresh, and the call succeeds
    sim.revoke_access_tokens();
    api.get_order(&order, deadline_in(5.0)).await.unwrap();
    assert_eq!(sim.token_grants(h.seller.seller_id.as_str()), 3);
    assert_eq!(sim.calls("getOrder", 403), 1);

    // the same client is handed out again for the seller (warm invocations share it)
    let again = h.api.seller(&h.seller, Region::Na).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&api, &again));
}

#[tokio::test]
async fn wrong_client_secret_is_an_auth_error_not_a_retry_loop() {
    let h = sim_harness(UsagePlans::scaled(100.0), |_| {}).await;
    h.simulator().register_application(autopilot_tests::sim::CLIENT_ID, "rotated-secret");
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let started = Instant::now();
    let err = api.get_order(&OrderId::parse(ORDER).unwrap(), deadline_in(10.0)).await.unwrap_err();
    assert!(matches!(&err, SpApiError::Auth(message) if message.contains("invalid_client")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn usage_plan_is_honoured_without_sustained_429s() {
    // 5 requests/s, burst 5 (Amazon's solicitation plan, five times faster)
    let plan = UsagePlan { rate_per_second: 5.0, burst: 5 };
    let plans = UsagePlans::amazon().with(Operation::GetSolicitationActionsForOrder, plan);
    let h = sim_harness(plans, |_| {}).await;
    let sim = h.simulator();
    sim.upsert_order(sim_order(&h.seller.seller_id, ORDER, sim.now() - Span::days(10)));
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let order = OrderId::parse(ORDER).unwrap();

    let started = Instant::now();
    for _ in 0..20 {
        api.solicitation_actions(&order, Marketplace::Us, deadline_in(30.0)).await.unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(sim.calls("getSolicitationActionsForOrder", 200), 20);
    // Amazon's bucket and ours refill on separate clocks: an edge 429 can happen, a run of them not
    assert!(sim.calls("getSolicitationActionsForOrder", 429) <= 2, "the client paced itself");
    // 5 from the burst, 15 at 5/s: about 3 s, never much faster
    assert!(elapsed >= Duration::from_millis(2800), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[tokio::test]
async fn a_second_client_sharing_the_quota_gets_some_429s_but_everything_succeeds() {
    let plan = UsagePlan { rate_per_second: 10.0, burst: 3 };
    let plans = UsagePlans::amazon().with(Operation::GetOrder, plan);
    let h = sim_harness(plans.clone(), |_| {}).await;
    let sim = h.simulator();
    sim.upsert_order(sim_order(&h.seller.seller_id, ORDER, sim.now()));
    // another process of the same seller and application (its own buckets, same quota)
    let other = autopilot_shared::spapi::SpApi::new(
        {
            let mut c = autopilot_shared::spapi::SpApiConfig::local(&h.base_url());
            c.usage_plans = plans;
            c.backoff_base = Duration::from_millis(20);
            c
        },
        std::sync::Arc::new(autopilot_shared::spapi::SecretsManagerCredentials::new(&aws_config().await)),
        sim.clock(),
    );
    let a = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let b = other.seller(&h.seller, Region::Na).await.unwrap();
    let order = OrderId::parse(ORDER).unwrap();
    let run = |api: std::sync::Arc<autopilot_shared::spapi::SellerApi>, order: OrderId| async move {
        for _ in 0..15 {
            api.get_order(&order, deadline_in(20.0)).await.unwrap();
        }
    };
    tokio::join!(run(a, order.clone()), run(b, order.clone()));
    assert_eq!(sim.calls("getOrder", 200), 30);
    let throttled = sim.calls("getOrder", 429);
    // each 429 empties the client's bucket, so throttling stays occasional
    assert!(throttled <= 15, "{throttled} 429s for 30 calls");
}

#[tokio::test]
async fn retries_stop_at_the_deadline() {
    let h = sim_harness(UsagePlans::scaled(100.0), |c| c.max_attempts = 100).await;
    let sim = h.simulator();
    sim.upsert_order(sim_order(&h.seller.seller_id, ORDER, sim.now()));
    sim.set_faults(Faults { error_503: 1.0, ..Faults::default() });
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let started = Instant::now();
    let err = api.get_order(&OrderId::parse(ORDER).unwrap(), deadline_in(1.5)).await.unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        SpApiError::DeadlineExceeded { attempts, last, .. } => {
            assert!(*attempts >= 3, "{attempts} attempts");
            assert!(last.contains("503"), "{last}");
        }
        other => panic!("expected DeadlineExceeded, got {other}"),
    }
    // the deadline plus scheduling slack on a loaded 2-core machine, far below one more backoff round
    assert!(elapsed <= Duration::from_millis(1900), "{elapsed:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let h = sim_harness(UsagePlans::scaled(100.0), |c| c.max_attempts = 3).await;
    let sim = h.simulator();
    sim.set_faults(Faults { error_500: 1.0, ..Faults::default() });
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let err = api.get_order(&OrderId::parse(ORDER).unwrap(), deadline_in(30.0)).await.unwrap_err();
    assert!(matches!(err, SpApiError::RetriesExhausted { attempts: 3, .. }), "{err}");
    assert_eq!(sim.calls("getOrder", 500), 3);
}

#[tokio::test]
async fn injected_faults_are_survived() {
    // 30 % of calls fail; 12 attempts make a call that never gets through a one-in-two-million
    // event, so the test is about surviving faults, not about luck. The simulator's faults come
    // from its seeded generator: the same faults every run.
    let h = sim_harness(UsagePlans::scaled(100.0), |c| c.max_attempts = 12).await;
    let sim = h.simulator();
    for n in 0..30 {
        sim.upsert_order(sim_order(&h.seller.seller_id, &format!("111-0000001-{n:07}"), sim.now()));
    }
    sim.set_faults(Faults { error_500: 0.1, error_503: 0.1, drop_connection: 0.1, latency_ms: 5 });
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    for n in 0..30 {
        let order =
            api.get_order(&OrderId::parse(format!("111-0000001-{n:07}")).unwrap(), deadline_in(20.0)).await.unwrap();
        assert_eq!(order.order_id, format!("111-0000001-{n:07}"));
    }
    for (kind, status) in [("500", 500), ("503", 503), ("dropped connection", spapi_sim::DROPPED)] {
        assert!(sim.calls("getOrder", status) > 0, "no {kind} was injected");
    }
    assert_eq!(sim.calls("getOrder", 200), 30);
}

#[tokio::test]
async fn solicitation_403s_are_classified_and_never_retried() {
    let h = sim_harness(UsagePlans::scaled(100.0), |_| {}).await;
    let sim = h.simulator();
    let purchased = sim.now() - Span::days(10);
    sim.upsert_order(sim_order(&h.seller.seller_id, ORDER, purchased));
    let old = "111-0000002-0000002";
    sim.upsert_order(sim_order(&h.seller.seller_id, old, sim.now() - Span::days(60)));
    let early = "111-0000003-0000003";
    sim.upsert_order(sim_order(&h.seller.seller_id, early, sim.now() - Span::days(1)));
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let id = |s: &str| OrderId::parse(s).unwrap();

    assert!(api.can_request_review(&id(ORDER), Marketplace::Us, deadline_in(5.0)).await.unwrap());
    api.request_review(&id(ORDER), Marketplace::Us, deadline_in(5.0)).await.unwrap();
    assert!(
        !api.can_request_review(&id(ORDER), Marketplace::Us, deadline_in(5.0)).await.unwrap(),
        "no action once sent"
    );
    let again = api.request_review(&id(ORDER), Marketplace::Us, deadline_in(5.0)).await.unwrap_err();
    assert_eq!(again.forbidden_kind(), Some(ForbiddenKind::AlreadyRequested), "{again}");

    assert!(!api.can_request_review(&id(old), Marketplace::Us, deadline_in(5.0)).await.unwrap());
    let late = api.request_review(&id(old), Marketplace::Us, deadline_in(5.0)).await.unwrap_err();
    assert_eq!(late.forbidden_kind(), Some(ForbiddenKind::OutsideWindow), "{late}");
    let too_early = api.request_review(&id(early), Marketplace::Us, deadline_in(5.0)).await.unwrap_err();
    assert_eq!(too_early.forbidden_kind(), Some(ForbiddenKind::OutsideWindow), "{too_early}");

    let missing = api.request_review(&id("111-9999999-9999999"), Marketplace::Us, deadline_in(5.0)).await.unwrap_err();
    assert!(matches!(missing, SpApiError::NotFound { .. }), "{missing}");

    let records = sim.solicitations();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].accepted, records[0].refused_duplicates), (1, 1));
    let posts = "createProductReviewAndSellerFeedbackSolicitation";
    assert_eq!(sim.calls(posts, 403), 3, "each 403 was sent once, not retried");
}

#[tokio::test]
async fn search_orders_follows_next_token_to_the_end() {
    let h = sim_harness(UsagePlans::scaled(1000.0), |_| {}).await;
    let sim = h.simulator();
    let start = sim.now();
    for n in 0..230u32 {
        let mut order = sim_order(&h.seller.seller_id, &format!("111-{:07}-0000000", n), start - Span::days(2));
        order.order.last_update_date = start - Span::hours(30) + Span::minutes(i64::from(n));
        sim.upsert_order(order);
    }
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let mut query = OrdersQuery {
        marketplaces: vec![Marketplace::Us],
        last_updated_after: Some(start - Span::days(3)),
        ..OrdersQuery::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = api.search_orders(&query, deadline_in(10.0)).await.unwrap();
        pages += 1;
        seen.extend(page.orders.into_iter().map(|o| o.order_id));
        match page.pagination.and_then(|p| p.next_token) {
            Some(token) => query.pagination_token = Some(token),
            None => {
                assert!(page.last_updated_before.is_some(), "the cutoff to resume from");
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 230);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 230, "no order twice");
}

#[tokio::test]
async fn feedback_report_lifecycle_ends_in_a_gzip_document() {
    let h = sim_harness(UsagePlans::scaled(1000.0), |_| {}).await;
    let sim = h.simulator();
    sim.set_report_timing(ReportTiming { queued_for: Span::seconds(30), processing_for: Span::seconds(60) });
    sim.add_feedback(
        h.seller.seller_id.as_str(),
        Marketplace::De,
        FeedbackRow {
            date: NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
            rating: 2,
            comment: "Paket kam beschädigt an".into(),
            response: String::new(),
            order_id: "302-1234567-7654321".into(),
            rater_email: "x7k2@marketplace.amazon.de".into(),
        },
    );
    let api = h.api.seller(&h.seller, Region::Eu).await.unwrap();
    let spec = CreateReportSpecification {
        report_type: "GET_SELLER_FEEDBACK_DATA".into(),
        marketplace_ids: vec![Marketplace::De.id().into()],
        data_start_time: Some(at("2026-01-01T00:00:00Z")),
        data_end_time: None,
    };
    let id = api.create_report(&spec, deadline_in(5.0)).await.unwrap();
    assert_eq!(api.get_report(&id, deadline_in(5.0)).await.unwrap().processing_status, ProcessingStatus::InQueue);
    sim.advance(Span::seconds(45));
    assert_eq!(api.get_report(&id, deadline_in(5.0)).await.unwrap().processing_status, ProcessingStatus::InProgress);
    sim.advance(Span::seconds(60));
    let report = api.get_report(&id, deadline_in(5.0)).await.unwrap();
    assert_eq!(report.processing_status, ProcessingStatus::Done);
    let document_id = report.report_document_id.expect("a document when DONE");

    let document = api.get_report_document(&document_id, deadline_in(5.0)).await.unwrap();
    let raw = reqwest::get(&document.url).await.unwrap().bytes().await.unwrap();
    assert_eq!(&raw[..2], &[0x1f, 0x8b], "the stored document is gzip");
    let downloaded = api.download(&document, deadline_in(5.0)).await.unwrap();
    assert_eq!(downloaded.content_type.as_deref(), Some("text/plain; charset=UTF-8"));
    let text = String::from_utf8(downloaded.bytes).unwrap();
    assert!(text.starts_with("Datum\tBewertung"), "{text}");
    assert!(text.contains("20.2.26\t2\tPaket kam beschädigt an"), "{text}");

    // five minutes later that URL is dead; fetch_report_document asks for a fresh one
    sim.advance(Span::minutes(6));
    let expired = api.download(&document, deadline_in(5.0)).await.unwrap_err();
    assert!(matches!(expired, SpApiError::DocumentUrlExpired { .. }), "{expired}");
    let again = api.fetch_report_document(&document_id, deadline_in(5.0)).await.unwrap();
    assert_eq!(String::from_utf8(again.bytes).unwrap(), text);

    // the same report as Amazon may write it for DE: Cp1252, labelled or not; decoded exactly
    for (encoding, content_type) in [
        (spapi_sim::ReportEncoding::LegacyLabelled, Some("text/plain; charset=Cp1252")),
        (spapi_sim::ReportEncoding::LegacyUnlabelled, Some("application/octet-stream")),
    ] {
        sim.set_fidelity(spapi_sim::Fidelity { report_encoding: encoding, ..spapi_sim::Fidelity::default() });
        let id = api.create_report(&spec, deadline_in(5.0)).await.unwrap();
        sim.advance(Span::seconds(91));
        let report = api.get_report(&id, deadline_in(5.0)).await.unwrap();
        let fetched = api.fetch_report_document(&report.report_document_id.unwrap(), deadline_in(5.0)).await.unwrap();
        assert_eq!(fetched.content_type.as_deref(), content_type);
        assert!(std::str::from_utf8(&fetched.bytes).is_err(), "not UTF-8 on the wire");
        let decoded = autopilot_shared::reports::encoding::decode_report(
            &fetched.bytes,
            fetched.content_type.as_deref(),
            Marketplace::De,
        )
        .unwrap();
        assert_eq!(decoded.text, text, "{encoding:?}");
    }
}

#[tokio::test]
async fn a_report_without_data_is_cancelled() {
    let h = sim_harness(UsagePlans::scaled(1000.0), |_| {}).await;
    let sim = h.simulator();
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let spec = CreateReportSpecification {
        report_type: "GET_SELLER_FEEDBACK_DATA".into(),
        marketplace_ids: vec![Marketplace::Us.id().into()],
        data_start_time: None,
        data_end_time: None,
    };
    let id = api.create_report(&spec, deadline_in(5.0)).await.unwrap();
    sim.advance(Span::minutes(5));
    let report = api.get_report(&id, deadline_in(5.0)).await.unwrap();
    assert_eq!(report.processing_status, ProcessingStatus::Cancelled);
    assert_eq!(report.report_document_id, None);
}

#[tokio::test]
async fn onboarding_twice_keeps_one_destination_and_one_subscription() {
    let h = sim_harness(UsagePlans::scaled(100.0), |_| {}).await;
    let sdk = aws_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue_name = format!("onboarding-{}", uuid::Uuid::new_v4().simple());
    let queue_url = sqs.create_queue().queue_name(&queue_name).send().await.unwrap().queue_url.unwrap();
    let arn = autopilot_tests::sim::queue_arn(&sqs, &queue_url).await;
    let store = autopilot_tests::fresh_store(h.simulator().clock(), |_| {}).await;
    let onboarding = autopilot_tests::sim::onboarding(&sdk, &h.api);
    let secret = SellerSecret {
        client_id: autopilot_tests::sim::CLIENT_ID.into(),
        client_secret: autopilot_tests::sim::CLIENT_SECRET.into(),
        refresh_token: h.refresh_token.clone(),
    };
    let queues = [(NotificationType::OrderChange, "feedback-autopilot", arn.as_str())];
    let first = onboarding.onboard(&store, &h.seller, &secret, &queues, deadline_in(5.0)).await.unwrap();
    let again = onboarding.onboard(&store, &h.seller, &secret, &queues, deadline_in(5.0)).await.unwrap();
    assert!(first[0].created && !again[0].created, "{first:?} {again:?}");
    assert_eq!(first[0].destination_id, again[0].destination_id);
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let for_queue = api.get_destinations(deadline_in(5.0)).await.unwrap();
    let for_queue = for_queue.iter().filter(|d| d.resource.sqs.as_ref().is_some_and(|q| q.arn == arn)).count();
    assert_eq!(for_queue, 1, "one destination for the queue");
    assert_eq!(store.get_seller(&h.seller.seller_id).await.unwrap().as_ref(), Some(&h.seller));
    // The replaced secret still reads as the seller's credentials: a call goes through.
    assert!(api.get_subscription("ORDER_CHANGE", deadline_in(5.0)).await.unwrap().is_some());
}

#[tokio::test]
async fn order_change_notifications_reach_the_subscribed_queue_with_duplicates() {
    let h = sim_harness(UsagePlans::scaled(100.0), |_| {}).await;
    let sim = h.simulator();
    let sqs = aws_sdk_sqs::Client::new(&aws_config().await);
    let queue_name = format!("order-changes-{}", uuid::Uuid::new_v4().simple());
    let queue_url = sqs.create_queue().queue_name(&queue_name).send().await.unwrap().queue_url.unwrap();
    let arn = autopilot_tests::sim::queue_arn(&sqs, &queue_url).await;

    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let destination = api.create_destination("feedback-autopilot", &arn, deadline_in(5.0)).await.unwrap();
    assert!(
        api.get_destinations(deadline_in(5.0))
            .await
            .unwrap()
            .iter()
            .any(|d| d.destination_id == destination.destination_id)
    );
    assert_eq!(api.get_subscription("ORDER_CHANGE", deadline_in(5.0)).await.unwrap(), None);
    let subscription =
        api.create_subscription("ORDER_CHANGE", &destination.destination_id, deadline_in(5.0)).await.unwrap();
    assert_eq!(api.get_subscription("ORDER_CHANGE", deadline_in(5.0)).await.unwrap(), Some(subscription));
    let twice =
        api.create_subscription("ORDER_CHANGE", &destination.destination_id, deadline_in(5.0)).await.unwrap_err();
    assert!(matches!(twice, SpApiError::Conflict { .. }), "{twice}");

    for n in 0..6 {
        sim.upsert_order(sim_order(&h.seller.seller_id, &format!("111-0000004-{n:07}"), sim.now()));
    }
    let report = sim
        .deliver_notifications(&DeliveryOptions { duplicate_share: 1.0, shuffle: true, drop_share: 0.0 })
        .await
        .unwrap();
    assert_eq!(report.sent, 12);
    assert_eq!(sim.pending_notifications(), 0);

    let bodies: Vec<String> = receive_all(&sqs, &queue_url).await.into_iter().filter_map(|m| m.body).collect();
    assert_eq!(bodies.len(), 12, "every notification arrived, once each as delivered");
    let notification: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(notification["NotificationType"], "ORDER_CHANGE");
    assert_eq!(notification["Payload"]["OrderChangeNotification"]["SellerId"], h.seller.seller_id.as_str());
}

#[tokio::test]
async fn a_higher_plan_that_amazon_reports_is_adopted() {
    // Amazon's default searchOrders plan is one call per 180 s after a burst of 20; this seller's
    // plan is 5 per second, and Amazon says so in x-amzn-RateLimit-Limit
    let h = sim_harness(
        UsagePlans::amazon().with(Operation::SearchOrders, UsagePlan { rate_per_second: 5.0, burst: 20 }),
        |c| {
            c.usage_plans = UsagePlans::amazon();
        },
    )
    .await;
    let sim = h.simulator();
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    let query = OrdersQuery {
        marketplaces: vec![Marketplace::Us],
        last_updated_after: Some(sim.now() - Span::days(1)),
        ..OrdersQuery::default()
    };
    let started = std::time::Instant::now();
    for _ in 0..25 {
        api.search_orders(&query, deadline_in(10.0)).await.unwrap();
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(sim.calls("searchOrders", 429), 0);
}

#[tokio::test]
async fn a_download_error_never_carries_the_pre_signed_urls_signature() {
    let h = sim_harness(UsagePlans::scaled(1000.0), |c| c.max_attempts = 2).await;
    let api = h.api.seller(&h.seller, Region::Na).await.unwrap();
    // nothing listens on port 1: a transport error for a URL that carries its signature
    let document = autopilot_shared::spapi::ReportDocument {
        report_document_id: "amzn1.spdoc.1.4.test".into(),
        url: "http://127.0.0.1:1/_sim/documents/d?expires=1772000000&X-Amz-Signature=abc123&X-Amz-Security-Token=tok"
            .into(),
        compression_algorithm: None,
    };
    let err = api.download(&document, deadline_in(5.0)).await.unwrap_err().to_string();
    assert!(err.contains("/_sim/documents/d"), "the error still says where: {err}");
    for secret in ["expires=", "Signature", "Security-Token", "abc123", "tok"] {
        assert!(!err.contains(secret), "{secret} in {err}");
    }
    assert!(autopilot_tests::log_scan::findings(&err).is_empty(), "{err}");
}
