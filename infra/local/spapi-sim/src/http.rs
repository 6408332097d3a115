//! The simulator's HTTP surface: LWA, the SP-API operations, the pre-signed document URLs and
//! the admin API under `/_sim`.

// Early returns carry the finished HTTP answer as the error: boxing it would only add noise to
// a test tool's request path.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use autopilot_shared::domain::{Marketplace, OrderId};
use autopilot_shared::spapi::model::{
    ApiOrder, CompressionAlgorithm, CreateDestinationRequest, CreateReportSpecification, CreateSubscriptionRequest,
    Destination, DestinationResource, ProcessingStatus, Report, ReportDocument, SqsResource,
};
use autopilot_shared::spapi::plans::Operation;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::Simulator;
use crate::feedback::FeedbackRow;
use crate::state::{
    DOCUMENT_URL_LIFETIME, Faults, Principal, SimDestination, SimOrder, SimState, SimSubscription, SolicitationCheck,
    SolicitationRecord,
};

type Shared = Arc<SimState>;

pub fn router(sim: Simulator) -> Router {
    let state = sim.state.clone();
    let api = Router::new()
        .route("/auth/o2/token", post(lwa_token))
        .route("/orders/v0/orders", get(get_orders))
        .route("/orders/v0/orders/{order_id}", get(get_order))
        .route("/orders/v0/orders/{order_id}/orderItems", get(get_order_items))
        .route("/solicitations/v1/orders/{order_id}", get(get_solicitation_actions))
        .route(
            "/solicitations/v1/orders/{order_id}/solicitations/productReviewAndSellerFeedback",
            post(create_solicitation),
        )
        .route("/reports/2021-06-30/reports", post(create_report))
        .route("/reports/2021-06-30/reports/{report_id}", get(get_report))
        .route("/reports/2021-06-30/documents/{document_id}", get(get_report_document))
        .route("/_sim/documents/{document_id}", get(download_document))
        .route("/notifications/v1/destinations", post(create_destination).get(get_destinations))
        .route("/notifications/v1/subscriptions/{notification_type}", post(create_subscription).get(get_subscription))
        .with_state(state);
    let admin = Router::new()
        .route("/_sim/clock", get(admin_get_clock).post(admin_set_clock))
        .route("/_sim/applications", post(admin_application))
        .route("/_sim/sellers", post(admin_seller))
        .route("/_sim/orders", put(admin_order))
        .route("/_sim/feedback", post(admin_feedback))
        .route("/_sim/faults", put(admin_faults))
        .route("/_sim/solicitations", get(admin_solicitations))
        .route("/_sim/notifications/deliver", post(admin_deliver))
        .with_state(sim);
    api.merge(admin)
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Amazon's error body, with the headers every SP-API answer carries.
fn error(status: StatusCode, code: &str, message: &str, details: &str, rate: Option<f64>) -> Response {
    let body = json!({"errors": [{"code": code, "message": message, "details": details}]});
    with_headers(status, body, rate)
}

fn with_headers(status: StatusCode, body: Value, rate: Option<f64>) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(id) = format!("sim-{:016x}", fastrand::u64(..)).parse() {
        headers.insert("x-amzn-RequestId", id);
    }
    if let Some(rate) = rate.and_then(|r| r.to_string().parse().ok()) {
        headers.insert("x-amzn-RateLimit-Limit", rate);
    }
    response
}

fn hal(body: Value, rate: f64) -> Response {
    let mut response = with_headers(StatusCode::OK, body, Some(rate));
    if let Ok(value) = "application/hal+json".parse() {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// A response whose body fails after the headers: the client sees the connection drop.
fn dropped_connection() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "simulated drop"))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(header::CONTENT_LENGTH, header::HeaderValue::from_static("1024"));
    response
}

/// Status recorded in the call counts for a dropped connection (no HTTP status reached the client).
pub const DROPPED: u16 = 0;

/// Injected failures, in the order Amazon's edge would produce them, with the status to count.
async fn inject_faults(state: &SimState) -> Option<(Response, u16)> {
    let (faults, roll) = {
        let mut world = state.world();
        let roll = world.rng.f64();
        (world.faults.clone(), roll)
    };
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    if roll < faults.drop_connection {
        return Some((dropped_connection(), DROPPED));
    }
    if roll < faults.drop_connection + faults.error_500 {
        let response = error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "We encountered an internal error. Please try again.",
            "",
            None,
        );
        return Some((response, 500));
    }
    if roll < faults.drop_connection + faults.error_500 + faults.error_503 {
        let response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Service temporarily unavailable. Please try again.",
            "",
            None,
        );
        return Some((response, 503));
    }
    None
}

/// Faults, then the access token, then the usage plan: the principal and its plan's rate.
async fn admit(state: &SimState, headers: &HeaderMap, operation: Operation) -> Result<(Principal, f64), Response> {
    if let Some((fault, status)) = inject_faults(state).await {
        *state.world().calls.entry((operation.name().to_string(), status)).or_default() += 1;
        return Err(fault);
    }
    let token = headers.get("x-amz-access-token").and_then(|v| v.to_str().ok());
    let principal = state.world().principal(token, state.now());
    let principal = match principal {
        Ok(p) => p,
        Err(details) => {
            let response =
                error(StatusCode::FORBIDDEN, "Unauthorized", "Access to requested resource is denied.", details, None);
            return Err(record(state, operation, response));
        }
    };
    let key = match &principal {
        Principal::Seller(s) => s.clone(),
        Principal::Application(a) => format!("app:{a}"),
    };
    let bucket = state.bucket(&key, operation);
    let rate = bucket.rate().await;
    if !bucket.try_acquire().await {
        let response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "QuotaExceeded",
            "You exceeded your quota for the requested resource.",
            "",
            Some(rate),
        );
        return Err(record(state, operation, response));
    }
    Ok((principal, rate))
}

fn record(state: &SimState, operation: Operation, response: Response) -> Response {
    let status = response.status().as_u16();
    *state.world().calls.entry((operation.name().to_string(), status)).or_default() += 1;
    response
}

fn seller_of(principal: &Principal, rate: f64) -> Result<String, Response> {
    match principal {
        Principal::Seller(s) => Ok(s.clone()),
        Principal::Application(_) => Err(error(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access to requested resource is denied.",
            "This operation needs the selling partner's authorization, not a grantless token.",
            Some(rate),
        )),
    }
}

macro_rules! admitted {
    ($state:expr, $headers:expr, $op:expr) => {
        match admit(&$state, &$headers, $op).await {
            Ok(v) => v,
            Err(response) => return response,
        }
    };
}

macro_rules! seller {
    ($state:expr, $op:expr, $principal:expr, $rate:expr) => {
        match seller_of(&$principal, $rate) {
            Ok(s) => s,
            Err(response) => return record(&$state, $op, response),
        }
    };
}

async fn lwa_token(State(state): State<Shared>, axum::Form(form): axum::Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let lwa_error = |status: StatusCode, code: &str, description: &str| {
        (status, axum::Json(json!({"error": code, "error_description": description}))).into_response()
    };
    let now = state.now();
    let mut world = state.world();
    if world.applications.get(field("client_id")).map(String::as_str) != Some(field("client_secret")) {
        return lwa_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed");
    }
    match field("grant_type") {
        "refresh_token" => {
            let Some(seller) = world.refresh_tokens.get(field("refresh_token")).cloned() else {
                return lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                );
            };
            let token = world.issue_token(Principal::Seller(seller), now);
            axum::Json(json!({"access_token": token, "refresh_token": field("refresh_token"), "token_type": "bearer", "expires_in": 3600})).into_response()
        }
        "client_credentials" => {
            if field("scope").is_empty() {
                return lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "A scope is required for client_credentials",
                );
            }
            let token = world.issue_token(Principal::Application(field("client_id").to_string()), now);
            axum::Json(
                json!({"access_token": token, "scope": field("scope"), "token_type": "bearer", "expires_in": 3600}),
            )
            .into_response()
        }
        other => lwa_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other:?} is not supported"),
        ),
    }
}

fn marketplace_param(query: &HashMap<String, String>, name: &str) -> Vec<String> {
    query.get(name).map(|v| v.split(',').map(str::to_string).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

/// getOrders: orders updated in (LastUpdatedAfter, now - 2 min], oldest change first, in pages.
async fn get_orders(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    const OP: Operation = Operation::GetOrders;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let now = state.now();
    let bad =
        |message: &str| record(&state, OP, error(StatusCode::BAD_REQUEST, "InvalidInput", message, "", Some(rate)));
    let marketplaces = marketplace_param(&query, "MarketplaceIds");
    if marketplaces.is_empty() {
        return bad("Missing required parameter MarketplaceIds.");
    }
    let (after, before, offset) = match query.get("NextToken") {
        Some(token) => match parse_next_token(token) {
            Some(parts) => parts,
            None => return bad("Invalid NextToken."),
        },
        None => {
            let Some(after) = query.get("LastUpdatedAfter") else {
                return bad("Either CreatedAfter or LastUpdatedAfter must be specified.");
            };
            let Ok(after) = DateTime::parse_from_rfc3339(after) else {
                return bad("LastUpdatedAfter is not a valid ISO 8601 date-time.");
            };
            let before = now - Duration::minutes(2);
            if after.with_timezone(&Utc) > before {
                return bad("LastUpdatedAfter must be no later than two minutes before the request.");
            }
            (after.with_timezone(&Utc), before, 0usize)
        }
    };
    let page_size = query.get("MaxResultsPerPage").and_then(|v| v.parse::<usize>().ok()).unwrap_or(100).clamp(1, 100);
    let mut matching: Vec<ApiOrder> = state
        .world()
        .orders
        .values()
        .filter(|o| o.seller_id == seller)
        .filter(|o| o.order.marketplace_id.as_ref().is_some_and(|m| marketplaces.contains(m)))
        .filter(|o| o.order.last_update_date > after && o.order.last_update_date <= before)
        .map(|o| o.order.clone())
        .collect();
    matching
        .sort_by(|a, b| a.last_update_date.cmp(&b.last_update_date).then(a.amazon_order_id.cmp(&b.amazon_order_id)));
    let page: Vec<ApiOrder> = matching.iter().skip(offset).take(page_size).cloned().collect();
    let mut payload = json!({"Orders": page, "LastUpdatedBefore": iso(before)});
    if offset + page_size < matching.len() {
        payload["NextToken"] =
            json!(format!("{}|{}|{}", after.timestamp_millis(), before.timestamp_millis(), offset + page_size));
    }
    record(&state, OP, with_headers(StatusCode::OK, json!({"payload": payload}), Some(rate)))
}

fn parse_next_token(token: &str) -> Option<(DateTime<Utc>, DateTime<Utc>, usize)> {
    let mut parts = token.split('|');
    let after = DateTime::from_timestamp_millis(parts.next()?.parse().ok()?)?;
    let before = DateTime::from_timestamp_millis(parts.next()?.parse().ok()?)?;
    let offset = parts.next()?.parse().ok()?;
    Some((after, before, offset))
}

async fn get_order(State(state): State<Shared>, headers: HeaderMap, Path(order_id): Path<String>) -> Response {
    const OP: Operation = Operation::GetOrder;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let order = state.world().orders.get(&(seller, order_id.clone())).map(|o| o.order.clone());
    let response = match order {
        Some(order) => with_headers(StatusCode::OK, json!({"payload": order}), Some(rate)),
        None => error(StatusCode::NOT_FOUND, "NotFound", &format!("Order {order_id} not found."), "", Some(rate)),
    };
    record(&state, OP, response)
}

async fn get_order_items(State(state): State<Shared>, headers: HeaderMap, Path(order_id): Path<String>) -> Response {
    const OP: Operation = Operation::GetOrderItems;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let skus = state.world().orders.get(&(seller, order_id.clone())).map(|o| o.skus.clone());
    let response = match skus {
        Some(skus) => {
            let items: Vec<Value> = skus
                .iter()
                .enumerate()
                .map(|(n, sku)| {
                    json!({"ASIN": format!("B0SIM{:05}", n + 1), "OrderItemId": format!("OIID{:08}", n + 1), "QuantityOrdered": 1, "SellerSKU": sku})
                })
                .collect();
            with_headers(
                StatusCode::OK,
                json!({"payload": {"AmazonOrderId": order_id, "OrderItems": items}}),
                Some(rate),
            )
        }
        None => error(StatusCode::NOT_FOUND, "NotFound", &format!("Order {order_id} not found."), "", Some(rate)),
    };
    record(&state, OP, response)
}

fn check_marketplace(query: &HashMap<String, String>, rate: f64) -> Result<String, Response> {
    let ids = marketplace_param(query, "marketplaceIds");
    match ids.as_slice() {
        [one] if Marketplace::from_id(one).is_ok() => Ok(one.clone()),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidInput",
            "marketplaceIds must name exactly one valid marketplace.",
            "",
            Some(rate),
        )),
    }
}

/// The Solicitations API's common checks: faults, token, usage plan, a seller's token, and
/// exactly one valid marketplace. The seller, the marketplace id and the plan's rate, or the
/// (already counted) refusal.
async fn admit_for_marketplace(
    state: &SimState,
    headers: &HeaderMap,
    operation: Operation,
    query: &HashMap<String, String>,
) -> Result<(String, String, f64), Response> {
    let (principal, rate) = admit(state, headers, operation).await?;
    let seller = seller_of(&principal, rate).map_err(|response| record(state, operation, response))?;
    let marketplace = check_marketplace(query, rate).map_err(|response| record(state, operation, response))?;
    Ok((seller, marketplace, rate))
}

async fn get_solicitation_actions(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    const OP: Operation = Operation::GetSolicitationActionsForOrder;
    let (seller, marketplace, rate) = match admit_for_marketplace(&state, &headers, OP, &query).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let check = state.world().solicitation_check(&seller, &order_id, state.now());
    let self_href = format!("/solicitations/v1/orders/{order_id}?marketplaceIds={marketplace}");
    let response = match check {
        SolicitationCheck::UnknownOrder => {
            error(StatusCode::NOT_FOUND, "NotFound", "The requested order was not found.", "", Some(rate))
        }
        SolicitationCheck::Allowed(_) => {
            let href = format!(
                "/solicitations/v1/orders/{order_id}/solicitations/productReviewAndSellerFeedback?marketplaceIds={marketplace}"
            );
            hal(
                json!({
                    "_links": {"actions": [{"href": href, "name": "productReviewAndSellerFeedback"}], "self": {"href": self_href}},
                    "_embedded": {"actions": [{
                        "_links": {"schema": {"href": format!("{href}&schema"), "name": "productReviewAndSellerFeedback"}, "self": {"href": href}},
                        "payload": {"name": "productReviewAndSellerFeedback"}
                    }]}
                }),
                rate,
            )
        }
        _ => hal(json!({"_links": {"actions": [], "self": {"href": self_href}}}), rate),
    };
    record(&state, OP, response)
}

async fn create_solicitation(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    const OP: Operation = Operation::CreateProductReviewAndSellerFeedbackSolicitation;
    let (seller, marketplace, rate) = match admit_for_marketplace(&state, &headers, OP, &query).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let now = state.now();
    let mut world = state.world();
    let key = (seller.clone(), order_id.clone());
    let response = match world.solicitation_check(&seller, &order_id, now) {
        SolicitationCheck::UnknownOrder => {
            error(StatusCode::NOT_FOUND, "NotFound", "The requested order was not found.", "", Some(rate))
        }
        SolicitationCheck::AlreadySent => {
            if let Some(record) = world.solicitations.get_mut(&key) {
                record.refused_duplicates += 1;
            }
            error(
                StatusCode::FORBIDDEN,
                "Unauthorized",
                "The requested solicitation is not available for this amazonOrderId.",
                "",
                None,
            )
        }
        SolicitationCheck::OutsideWindow => error(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "You cannot send a solicitation for this order as it is outside the 5-30 day range after the order delivery date.",
            "",
            None,
        ),
        SolicitationCheck::NotEligible => {
            error(StatusCode::FORBIDDEN, "Unauthorized", "This order is not eligible for a solicitation.", "", None)
        }
        SolicitationCheck::Allowed(window) => {
            world.solicitations.insert(
                key,
                SolicitationRecord {
                    seller_id: seller,
                    order_id,
                    marketplace_id: marketplace,
                    sent_at: now,
                    window_opens_at: window.opens_at,
                    window_closes_at: window.closes_at,
                    accepted: 1,
                    refused_duplicates: 0,
                },
            );
            with_headers(StatusCode::CREATED, json!({}), Some(rate))
        }
    };
    drop(world);
    record(&state, OP, response)
}

async fn create_report(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    const OP: Operation = Operation::CreateReport;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let spec: CreateReportSpecification = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(err) => {
            return record(
                &state,
                OP,
                error(StatusCode::BAD_REQUEST, "InvalidInput", &format!("Invalid request body: {err}"), "", Some(rate)),
            );
        }
    };
    if spec.marketplace_ids.is_empty() || spec.report_type.is_empty() {
        return record(
            &state,
            OP,
            error(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                "reportType and marketplaceIds are required.",
                "",
                Some(rate),
            ),
        );
    }
    let now = state.now();
    let mut world = state.world();
    let report_id = world.next_id("5000");
    let report = Report {
        report_id: report_id.clone(),
        report_type: spec.report_type,
        processing_status: ProcessingStatus::InQueue,
        created_time: now,
        marketplace_ids: Some(spec.marketplace_ids),
        data_start_time: spec.data_start_time,
        data_end_time: spec.data_end_time,
        processing_start_time: None,
        processing_end_time: None,
        report_document_id: None,
    };
    world.reports.insert(report_id.clone(), crate::state::SimReport { seller_id: seller, report, document: None });
    drop(world);
    record(&state, OP, with_headers(StatusCode::ACCEPTED, json!({"reportId": report_id}), Some(rate)))
}

async fn get_report(State(state): State<Shared>, headers: HeaderMap, Path(report_id): Path<String>) -> Response {
    const OP: Operation = Operation::GetReport;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let now = state.now();
    let mut world = state.world();
    let owned = world.reports.get(&report_id).is_some_and(|r| r.seller_id == seller);
    let report = if owned { world.advance_report(&report_id, now) } else { None };
    drop(world);
    let response = match report {
        Some(report) => with_headers(StatusCode::OK, serde_json::to_value(report).unwrap_or_default(), Some(rate)),
        None => error(StatusCode::NOT_FOUND, "NotFound", &format!("Report {report_id} not found."), "", Some(rate)),
    };
    record(&state, OP, response)
}

async fn get_report_document(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(document_id): Path<String>,
) -> Response {
    const OP: Operation = Operation::GetReportDocument;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let now = state.now();
    let world = state.world();
    let found = world
        .reports
        .values()
        .any(|r| r.seller_id == seller && r.report.report_document_id.as_deref() == Some(document_id.as_str()));
    let gzip = world.gzip_documents;
    drop(world);
    let base = state.base_url.lock().map(|b| b.clone()).unwrap_or_default();
    let response = if found {
        let document = ReportDocument {
            report_document_id: document_id.clone(),
            url: format!("{base}/_sim/documents/{document_id}?expires={}", (now + DOCUMENT_URL_LIFETIME).timestamp()),
            compression_algorithm: gzip.then_some(CompressionAlgorithm::Gzip),
        };
        with_headers(StatusCode::OK, serde_json::to_value(document).unwrap_or_default(), Some(rate))
    } else {
        error(StatusCode::NOT_FOUND, "NotFound", &format!("Report document {document_id} not found."), "", Some(rate))
    };
    record(&state, OP, response)
}

/// The pre-signed URL: no SP-API token, valid five minutes of simulated time.
async fn download_document(
    State(state): State<Shared>,
    Path(document_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some((fault, _)) = inject_faults(&state).await {
        return fault;
    }
    let expires = query.get("expires").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    if state.now().timestamp() > expires {
        return (
            StatusCode::FORBIDDEN,
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        )
            .into_response();
    }
    let document = state
        .world()
        .reports
        .values()
        .find(|r| r.report.report_document_id.as_deref() == Some(document_id.as_str()))
        .and_then(|r| r.document.clone());
    match document {
        Some(bytes) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "<Error><Code>NoSuchKey</Code></Error>").into_response(),
    }
}

async fn create_destination(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    const OP: Operation = Operation::Notifications;
    let (principal, rate) = admitted!(state, headers, OP);
    if !matches!(principal, Principal::Application(_)) {
        return record(
            &state,
            OP,
            error(
                StatusCode::FORBIDDEN,
                "Unauthorized",
                "Access to requested resource is denied.",
                "createDestination is a grantless operation.",
                Some(rate),
            ),
        );
    }
    let request: CreateDestinationRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(err) => {
            return record(
                &state,
                OP,
                error(StatusCode::BAD_REQUEST, "InvalidInput", &format!("Invalid request body: {err}"), "", Some(rate)),
            );
        }
    };
    let Some(sqs) = request.resource_specification.sqs else {
        return record(
            &state,
            OP,
            error(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                "resourceSpecification.sqs.arn is required.",
                "",
                Some(rate),
            ),
        );
    };
    let mut world = state.world();
    if world.destinations.iter().any(|d| d.sqs_arn == sqs.arn) {
        drop(world);
        return record(
            &state,
            OP,
            error(StatusCode::CONFLICT, "Conflict", "A destination for this resource already exists.", "", Some(rate)),
        );
    }
    let destination_id = world.next_id("dest-");
    world.destinations.push(SimDestination {
        destination_id: destination_id.clone(),
        name: request.name.clone(),
        sqs_arn: sqs.arn.clone(),
    });
    drop(world);
    let destination = Destination {
        name: request.name,
        destination_id,
        resource: DestinationResource { sqs: Some(SqsResource { arn: sqs.arn }) },
    };
    record(&state, OP, with_headers(StatusCode::OK, json!({"payload": destination}), Some(rate)))
}

async fn get_destinations(State(state): State<Shared>, headers: HeaderMap) -> Response {
    const OP: Operation = Operation::Notifications;
    let (_principal, rate) = admitted!(state, headers, OP);
    let destinations: Vec<Destination> = state
        .world()
        .destinations
        .iter()
        .map(|d| Destination {
            name: d.name.clone(),
            destination_id: d.destination_id.clone(),
            resource: DestinationResource { sqs: Some(SqsResource { arn: d.sqs_arn.clone() }) },
        })
        .collect();
    record(&state, OP, with_headers(StatusCode::OK, json!({"payload": destinations}), Some(rate)))
}

async fn create_subscription(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(notification_type): Path<String>,
    body: Bytes,
) -> Response {
    const OP: Operation = Operation::Notifications;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let request: CreateSubscriptionRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(err) => {
            return record(
                &state,
                OP,
                error(StatusCode::BAD_REQUEST, "InvalidInput", &format!("Invalid request body: {err}"), "", Some(rate)),
            );
        }
    };
    let mut world = state.world();
    let response = if !world.destinations.iter().any(|d| d.destination_id == request.destination_id) {
        error(StatusCode::BAD_REQUEST, "InvalidInput", "Unknown destinationId.", "", Some(rate))
    } else if world.subscriptions.iter().any(|s| s.seller_id == seller && s.notification_type == notification_type) {
        error(
            StatusCode::CONFLICT,
            "Conflict",
            "A subscription for this notification type already exists.",
            "",
            Some(rate),
        )
    } else {
        let subscription_id = world.next_id("sub-");
        world.subscriptions.push(SimSubscription {
            subscription_id: subscription_id.clone(),
            seller_id: seller,
            notification_type,
            destination_id: request.destination_id.clone(),
        });
        with_headers(
            StatusCode::OK,
            json!({"payload": {"subscriptionId": subscription_id, "payloadVersion": request.payload_version, "destinationId": request.destination_id}}),
            Some(rate),
        )
    };
    drop(world);
    record(&state, OP, response)
}

async fn get_subscription(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(notification_type): Path<String>,
) -> Response {
    const OP: Operation = Operation::Notifications;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let found = state
        .world()
        .subscriptions
        .iter()
        .find(|s| s.seller_id == seller && s.notification_type == notification_type)
        .cloned();
    let response = match found {
        Some(s) => with_headers(
            StatusCode::OK,
            json!({"payload": {"subscriptionId": s.subscription_id, "payloadVersion": "1.0", "destinationId": s.destination_id}}),
            Some(rate),
        ),
        None => error(StatusCode::NOT_FOUND, "NotFound", "No subscription for this notification type.", "", Some(rate)),
    };
    record(&state, OP, response)
}

// ---- admin API: the HTTP face of the library API in lib.rs ----

async fn admin_get_clock(State(sim): State<Simulator>) -> Response {
    axum::Json(json!({"now": iso(sim.now())})).into_response()
}

#[derive(serde::Deserialize)]
struct ClockChange {
    now: Option<DateTime<Utc>>,
    advance_seconds: Option<i64>,
}

async fn admin_set_clock(State(sim): State<Simulator>, axum::Json(change): axum::Json<ClockChange>) -> Response {
    if let Some(now) = change.now {
        sim.set_time(now);
    }
    if let Some(seconds) = change.advance_seconds {
        sim.advance(Duration::seconds(seconds));
    }
    admin_get_clock(State(sim)).await
}

#[derive(serde::Deserialize)]
struct NewApplication {
    client_id: String,
    client_secret: String,
}

async fn admin_application(State(sim): State<Simulator>, axum::Json(app): axum::Json<NewApplication>) -> Response {
    sim.register_application(&app.client_id, &app.client_secret);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct NewSeller {
    seller_id: String,
    refresh_token: String,
}

async fn admin_seller(State(sim): State<Simulator>, axum::Json(seller): axum::Json<NewSeller>) -> Response {
    sim.register_seller(&seller.seller_id, &seller.refresh_token);
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_order(State(sim): State<Simulator>, axum::Json(order): axum::Json<SimOrder>) -> Response {
    if OrderId::parse(order.order.amazon_order_id.clone()).is_err() {
        return (StatusCode::BAD_REQUEST, "AmazonOrderId must be 3-7-7 digits").into_response();
    }
    sim.upsert_order(order);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct NewFeedback {
    seller_id: String,
    marketplace_id: String,
    rows: Vec<FeedbackRow>,
}

async fn admin_feedback(State(sim): State<Simulator>, axum::Json(feedback): axum::Json<NewFeedback>) -> Response {
    let Ok(marketplace) = Marketplace::from_id(&feedback.marketplace_id) else {
        return (StatusCode::BAD_REQUEST, "unknown marketplace_id").into_response();
    };
    for row in feedback.rows {
        sim.add_feedback(&feedback.seller_id, marketplace, row);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_faults(State(sim): State<Simulator>, axum::Json(faults): axum::Json<Faults>) -> Response {
    sim.set_faults(faults);
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_solicitations(State(sim): State<Simulator>) -> Response {
    axum::Json(sim.solicitations()).into_response()
}

async fn admin_deliver(
    State(sim): State<Simulator>,
    axum::Json(options): axum::Json<crate::DeliveryOptions>,
) -> Response {
    match sim.deliver_notifications(&options).await {
        Ok(report) => axum::Json(report).into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}
