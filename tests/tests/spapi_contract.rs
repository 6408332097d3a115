//! Contract tests: the client's requests and the simulator's responses against Amazon's
//! official models (tests/fixtures/spapi/models), and the official examples through the
//! client's types.

use reqwest::Method;
use std::collections::HashSet;

use autopilot_shared::domain::Marketplace;
use autopilot_shared::spapi::UsagePlans;
use autopilot_shared::spapi::model::{
    CreateDestinationRequest, CreateReportResponse, CreateReportSpecification, CreateSubscriptionRequest,
    DestinationResource, GetOrderResponse, ListFinancialEventsResponse, Report, ReportDocument, SearchOrdersResponse,
    SolicitationActions, SqsResource,
};
use autopilot_tests::schema::OperationModel;
use autopilot_tests::sim::{fba_sim_order, sim_harness, sim_order};
use chrono::Duration as Span;
use serde_json::Value;

fn assert_valid(model: &OperationModel, value: &Value, schema: &Value, what: &str) {
    let violations = model.violations(value, schema);
    assert!(violations.is_empty(), "{what} breaks the model:\n{}\n{value:#}", violations.join("\n"));
}

#[test]
fn official_examples_parse_with_the_clients_types() {
    let seller = autopilot_shared::domain::SellerId::parse("A3TH9S8BH6GOGM").unwrap();
    let mut seen = (0, 0, 0);
    for example in OperationModel::load("searchOrders").examples(200) {
        let parsed: SearchOrdersResponse = serde_json::from_value(example).unwrap();
        for order in &parsed.orders {
            assert!(order.order_items.iter().all(|i| i.product.as_ref().unwrap().seller_sku.is_some()));
            let change = autopilot_shared::notifications::api_order_change(&seller, order).unwrap();
            let fulfillment = order.fulfillment.as_ref().unwrap();
            // Amazon's own examples: deliverByWindow for merchant-fulfilled orders, none for the
            // FBA one (which the client then plans from its ship time)
            match fulfillment.fulfilled_by.as_deref() {
                Some("AMAZON") => {
                    assert!(change.delivery.known().is_none());
                    seen.0 += 1;
                }
                _ => {
                    assert!(change.delivery.known().is_some(), "{}: deliverByWindow is read", order.order_id);
                    seen.1 += 1;
                }
            }
            if order.programs.iter().any(|p| p == "AMAZON_BUSINESS") {
                assert!(change.programs.contains(&"Business".to_string()), "AMAZON_BUSINESS is the Business program");
                seen.2 += 1;
            }
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0, "{seen:?}");
    for example in OperationModel::load("getOrder").examples(200) {
        let parsed: GetOrderResponse = serde_json::from_value(example).unwrap();
        assert!(!parsed.order.order_id.is_empty());
    }
    let examples = OperationModel::load("listFinancialEvents").examples(200);
    assert!(!examples.is_empty());
    for example in examples {
        serde_json::from_value::<ListFinancialEventsResponse>(example).unwrap();
    }
    let actions = OperationModel::load("getSolicitationActionsForOrder").examples(200);
    let parsed: SolicitationActions = serde_json::from_value(actions[0].clone()).unwrap();
    assert_eq!(parsed.action_names(), vec!["productReviewAndSellerFeedback".to_string()]);
    for example in OperationModel::load("createReport").examples(202) {
        serde_json::from_value::<CreateReportResponse>(example).unwrap();
    }
    for example in OperationModel::load("getReport").examples(200) {
        serde_json::from_value::<Report>(example).unwrap();
    }
    for example in OperationModel::load("getReportDocument").examples(200) {
        serde_json::from_value::<ReportDocument>(example).unwrap();
    }
}

#[test]
fn client_request_bodies_match_the_models() {
    let report = CreateReportSpecification {
        report_type: "GET_SELLER_FEEDBACK_DATA".into(),
        marketplace_ids: vec![Marketplace::Us.id().into()],
        data_start_time: Some(autopilot_tests::fixtures::at("2026-01-01T00:00:00Z")),
        data_end_time: None,
    };
    let model = OperationModel::load("createReport");
    assert_valid(&model, &serde_json::to_value(&report).unwrap(), model.request_schema(), "createReport body");

    let destination = CreateDestinationRequest {
        resource_specification: DestinationResource {
            sqs: Some(SqsResource { arn: "arn:aws:sqs:us-east-1:123456789012:q".into() }),
        },
        name: "feedback-autopilot".into(),
    };
    let model = OperationModel::load("createDestination");
    assert_valid(
        &model,
        &serde_json::to_value(&destination).unwrap(),
        model.request_schema(),
        "createDestination body",
    );

    let subscription = CreateSubscriptionRequest { payload_version: "1.0".into(), destination_id: "dest-1".into() };
    let model = OperationModel::load("createSubscription");
    assert_valid(
        &model,
        &serde_json::to_value(&subscription).unwrap(),
        model.request_schema(),
        "createSubscription body",
    );
}

/// Calls the simulator directly (with a real LWA token) and checks every answer, success and
/// error alike, against the model of its operation and status.
#[tokio::test]
async fn simulator_responses_match_the_models() {
    let h = sim_harness(UsagePlans::scaled(1000.0), |_| {}).await;
    let sim = h.simulator();
    let order = "111-0000005-0000005";
    sim.upsert_order(sim_order(&h.seller.seller_id, order, sim.now() - Span::days(10)));
    let http = reqwest::Client::new();
    let base = h.base_url();
    let token = h.raw_access_token(false).await;
    let grantless = h.raw_access_token(true).await;

    let mut checked = HashSet::new();
    let mut call = async |operation: &str, method: Method, path: String, body: Option<Value>, token: &str| -> Value {
        let mut request = http.request(method, format!("{base}{path}")).header("x-amz-access-token", token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert!(response.headers().contains_key("x-amzn-RequestId"), "{operation} {status} has x-amzn-RequestId");
        let value: Value = response.json().await.unwrap();
        let model = OperationModel::load(operation);
        assert_valid(&model, &value, model.response_schema(status), &format!("{operation} {status}"));
        checked.insert(format!("{operation} {status}"));
        value
    };
    let us = Marketplace::Us.id();
    let actions = format!("/solicitations/v1/orders/{order}?marketplaceIds={us}");
    sim.upsert_order(fba_sim_order(&h.seller.seller_id, "111-0000006-0000006", sim.now() - Span::days(10)));
    sim.refund_order(h.seller.seller_id.as_str(), "111-0000006-0000006", sim.now() - Span::days(2));
    for datasets in ["", "&includedData=FULFILLMENT,CANCELLATION"] {
        call(
            "searchOrders",
            Method::GET,
            format!("/orders/2026-01-01/orders?marketplaceIds={us}&lastUpdatedAfter=2026-01-01T00:00:00Z{datasets}"),
            None,
            &token,
        )
        .await;
    }
    call(
        "searchOrders",
        Method::GET,
        format!("/orders/2026-01-01/orders?marketplaceIds={us}&createdAfter=2026-01-01T00:00:00Z&maxResultsPerPage=1"),
        None,
        &token,
    )
    .await;
    call("searchOrders", Method::GET, format!("/orders/2026-01-01/orders?marketplaceIds={us}"), None, &token).await;
    call("getOrder", Method::GET, format!("/orders/2026-01-01/orders/{order}?includedData=FULFILLMENT"), None, &token)
        .await;
    call("getOrder", Method::GET, "/orders/2026-01-01/orders/111-9999999-9999999".into(), None, &token).await;
    call("getOrder", Method::GET, format!("/orders/2026-01-01/orders/{order}"), None, "Atza|forged").await;
    let events = call(
        "listFinancialEvents",
        Method::GET,
        "/finances/v0/financialEvents?PostedAfter=2026-01-01T00:00:00Z&MaxResultsPerPage=1".into(),
        None,
        &token,
    )
    .await;
    assert!(events["payload"]["NextToken"].is_string(), "a shipment and a refund, one per page");
    call(
        "listFinancialEvents",
        Method::GET,
        "/finances/v0/financialEvents?PostedBefore=2026-01-01T00:00:00Z".into(),
        None,
        &token,
    )
    .await;
    call("getSolicitationActionsForOrder", Method::GET, actions.clone(), None, &token).await;
    let create =
        format!("/solicitations/v1/orders/{order}/solicitations/productReviewAndSellerFeedback?marketplaceIds={us}");

    call("createProductReviewAndSellerFeedbackSolicitation", Method::POST, create.clone(), None, &token).await;
    call("createProductReviewAndSellerFeedbackSolicitation", Method::POST, create, None, &token).await;
    call("getSolicitationActionsForOrder", Method::GET, actions.clone(), None, &token).await;
    let report = call(
        "createReport",
        Method::POST,
        "/reports/2021-06-30/reports".into(),
        Some(serde_json::json!({"reportType": "GET_SELLER_FEEDBACK_DATA", "marketplaceIds": [us]})),
        &token,
    )
    .await;
    let report_id = report["reportId"].as_str().unwrap().to_string();
    call("getReport", Method::GET, format!("/reports/2021-06-30/reports/{report_id}"), None, &token).await;
    call("getReportDocument", Method::GET, "/reports/2021-06-30/documents/nope".into(), None, &token).await;
    let destination = call(
        "createDestination",
        Method::POST,
        "/notifications/v1/destinations".into(),
        Some(serde_json::json!({"resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:us-east-1:123456789012:contract"}}, "name": "contract"})),
        &grantless,
    )
    .await;
    call("getDestinations", Method::GET, "/notifications/v1/destinations".into(), None, &grantless).await;
    let destination_id = destination["payload"]["destinationId"].as_str().unwrap().to_string();
    call(
        "createSubscription",
        Method::POST,
        "/notifications/v1/subscriptions/ORDER_CHANGE".into(),
        Some(serde_json::json!({"payloadVersion": "1.0", "destinationId": destination_id})),
        &token,
    )
    .await;
    call("getSubscription", Method::GET, "/notifications/v1/subscriptions/ORDER_CHANGE".into(), None, &token).await;

    for expected in [
        "searchOrders 200",
        "searchOrders 400",
        "listFinancialEvents 200",
        "listFinancialEvents 400",
        "getOrder 200",
        "getOrder 404",
        "getOrder 403",
        "getSolicitationActionsForOrder 200",
        "createProductReviewAndSellerFeedbackSolicitation 201",
        "createProductReviewAndSellerFeedbackSolicitation 403",
        "createReport 202",
        "getReport 200",
        "getReportDocument 404",
        "createDestination 200",
        "getDestinations 200",
        "createSubscription 200",
        "getSubscription 200",
    ] {
        assert!(checked.contains(expected), "not exercised: {expected}; checked {checked:?}");
    }
}

#[tokio::test]
async fn throttled_answers_match_the_model_and_carry_the_rate_header() {
    let h = sim_harness(UsagePlans::amazon(), |_| {}).await;
    // the client would pace itself: go around it to see Amazon's 429
    let http = reqwest::Client::new();
    let base = h.base_url();
    let token = h.raw_access_token(false).await;
    let model = OperationModel::load("getReport");
    let mut saw_429 = false;
    for _ in 0..20 {
        let response = http
            .get(format!("{base}/reports/2021-06-30/reports/1"))
            .header("x-amz-access-token", &token)
            .send()
            .await
            .unwrap();
        if response.status().as_u16() == 429 {
            let rate = response
                .headers()
                .get("x-amzn-RateLimit-Limit")
                .expect("rate header on 429")
                .to_str()
                .unwrap()
                .to_string();
            assert_eq!(rate.parse::<f64>().unwrap(), 2.0);
            let body: Value = response.json().await.unwrap();
            assert_valid(&model, &body, model.response_schema(429), "getReport 429");
            assert_eq!(body["errors"][0]["code"], "QuotaExceeded");
            saw_429 = true;
            break;
        }
    }
    assert!(saw_429, "a burst of 15 at 2/s must be throttled within 20 calls");
}
