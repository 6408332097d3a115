//! The simulator's HTTP surface: LWA, the SP-API operations, the pre-signed document URLs and
//! the admin API under `/_sim`.

// Early returns carry the finished HTTP answer as the error: boxing it would only add noise to
// a test tool's request path.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use autopilot_shared::domain::{Marketplace, OrderId};
use autopilot_shared::spapi::model::{
    CompressionAlgorithm, CreateDestinationRequest, CreateReportSpecification, CreateSubscriptionRequest, Destination,
    DestinationResource, ProcessingStatus, Report, ReportDocument, SqsResource,
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
    AmazonOrder, DOCUMENT_URL_LIFETIME, Faults, Principal, SimDestination, SimOrder, SimState, SimSubscription,
    SolicitationCheck, SolicitationRecord,
};

type Shared = Arc<SimState>;

pub fn router(sim: Simulator) -> Router {
    let state = sim.state.clone();
    let api = Router::new()
        .route("/auth/o2/token", post(lwa_token))
        .route("/orders/2026-01-01/orders", get(search_orders))
        .route("/orders/2026-01-01/orders/{order_id}", get(get_order))
        .route("/finances/v0/financialEvents", get(list_financial_events))
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
        .route(
            "/notifications/v1/subscriptions/{notification_type}/{subscription_id}",
            axum::routing::delete(delete_subscription),
        )
        .with_state(state);
    let admin = Router::new()
        .route("/_sim/clock", get(admin_get_clock).post(admin_set_clock))
        .route("/_sim/applications", post(admin_application))
        .route("/_sim/sellers", post(admin_seller))
        .route("/_sim/orders", put(admin_order))
        .route("/_sim/feedback", post(admin_feedback))
        .route("/_sim/faults", put(admin_faults))
        .route("/_sim/fidelity", put(admin_fidelity))
        .route("/_sim/refunds", post(admin_refund))
        .route("/_sim/solicitations", get(admin_solicitations))
        .route("/_sim/notifications/deliver", post(admin_deliver))
        .with_state(sim);
    api.merge(admin)
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Amazon's error body, with the headers every SP-API answer carries.
///
/// Wording: the 403 solicitation messages are Amazon's own (see `Fidelity`), as are the LWA and
/// 429 answers. For 400 `InvalidInput` the models document only the sandbox's "Invalid Input";
/// the simulator's 400 messages name the rule that was broken instead, for whoever reads a
/// failing test: the product never decides anything by a 400's message.
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

fn list_param(query: &[(String, String)], name: &str) -> Vec<String> {
    query
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect()
}

fn one_param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn date_param(query: &[(String, String)], name: &str) -> Result<Option<DateTime<Utc>>, String> {
    match one_param(query, name) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| format!("{name} is not a valid ISO 8601 date-time.")),
    }
}

/// searchOrders' time filter, checked as the model's parameter notes state.
struct OrderSearch {
    by_update: bool,
    after: DateTime<Utc>,
    before: DateTime<Utc>,
}

/// orders_2026-01-01.json, searchOrders parameters: "exactly one of `createdAfter` and
/// `lastUpdatedAfter`"; no mixing of the created and updated pairs; a `...Before` "must be equal
/// to or after the `...After` date and at least two minutes before the time of the request".
fn order_search(query: &[(String, String)], now: DateTime<Utc>) -> Result<OrderSearch, String> {
    let created_after = date_param(query, "createdAfter")?;
    let created_before = date_param(query, "createdBefore")?;
    let updated_after = date_param(query, "lastUpdatedAfter")?;
    let updated_before = date_param(query, "lastUpdatedBefore")?;
    let latest = now - Duration::minutes(2);
    let (by_update, after, before) = match (created_after, updated_after) {
        (Some(_), Some(_)) | (None, None) => {
            return Err("Exactly one of createdAfter and lastUpdatedAfter must be provided.".into());
        }
        (Some(after), None) => {
            if updated_before.is_some() {
                return Err("lastUpdatedBefore cannot be combined with createdAfter.".into());
            }
            (false, after, created_before)
        }
        (None, Some(after)) => {
            if created_before.is_some() {
                return Err("createdBefore cannot be combined with lastUpdatedAfter.".into());
            }
            (true, after, updated_before)
        }
    };
    if let Some(before) = before {
        if before < after {
            return Err("The Before date must be equal to or after the After date.".into());
        }
        if before > latest {
            return Err("The Before date must be at least two minutes before the time of the request.".into());
        }
    }
    Ok(OrderSearch { by_update, after, before: before.unwrap_or(latest) })
}

/// searchOrders (orders_2026-01-01.json): orders created or updated in `[after, before]` (both
/// inclusive, per "at or after" / "at or before"), oldest first, in pages of
/// `maxResultsPerPage` (1-100, default 100) with `pagination.nextToken` while more remain.
async fn search_orders(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    const OP: Operation = Operation::SearchOrders;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let now = state.now();
    let bad =
        |message: &str| record(&state, OP, error(StatusCode::BAD_REQUEST, "InvalidInput", message, "", Some(rate)));
    let (search, offset) = match one_param(&query, "paginationToken") {
        Some(token) => match parse_next_token(token) {
            Some((after, before, by_update, offset)) => (OrderSearch { by_update, after, before }, offset),
            None => return bad("Invalid paginationToken."),
        },
        None => match order_search(&query, now) {
            Ok(search) => (search, 0),
            Err(message) => return bad(&message),
        },
    };
    let page_size = match one_param(&query, "maxResultsPerPage").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return bad("maxResultsPerPage must be between 1 and 100."),
    };
    let marketplaces = list_param(&query, "marketplaceIds");
    let statuses = list_param(&query, "fulfillmentStatuses");
    let fulfilled_by = list_param(&query, "fulfilledBy");
    let datasets = list_param(&query, "includedData");
    let world = state.world();
    let fidelity = world.fidelity.clone();
    let mut matching: Vec<&SimOrder> = world
        .orders
        .values()
        .filter(|o| o.seller_id == seller)
        .filter(|o| {
            marketplaces.is_empty() || o.order.marketplace_id.as_ref().is_some_and(|m| marketplaces.contains(m))
        })
        .filter(|o| statuses.is_empty() || statuses.iter().any(|s| s == fulfillment_status(&o.order.order_status)))
        .filter(|o| fulfilled_by.is_empty() || fulfilled_by.iter().any(|f| f == fulfilled_by_value(&o.order)))
        .filter(|o| {
            let t = if search.by_update { o.order.last_update_date } else { o.order.purchase_date };
            t >= search.after && t <= search.before
        })
        .collect();
    matching.sort_by(|a, b| {
        let key = |o: &SimOrder| if search.by_update { o.order.last_update_date } else { o.order.purchase_date };
        key(a).cmp(&key(b)).then(a.order.amazon_order_id.cmp(&b.order.amazon_order_id))
    });
    let page: Vec<Value> =
        matching.iter().skip(offset).take(page_size).map(|o| order_2026(o, &datasets, &fidelity)).collect();
    let more = offset + page_size < matching.len();
    drop(world);
    let mut body = json!({"orders": page});
    if search.by_update {
        body["lastUpdatedBefore"] = json!(iso(search.before));
    } else {
        body["createdBefore"] = json!(iso(search.before));
    }
    if more {
        body["pagination"] = json!({"nextToken": format!(
            "{}|{}|{}|{}",
            search.after.timestamp_millis(),
            search.before.timestamp_millis(),
            u8::from(search.by_update),
            offset + page_size
        )});
    }
    record(&state, OP, with_headers(StatusCode::OK, body, Some(rate)))
}

fn parse_next_token(token: &str) -> Option<(DateTime<Utc>, DateTime<Utc>, bool, usize)> {
    let mut parts = token.split('|');
    let after = DateTime::from_timestamp_millis(parts.next()?.parse().ok()?)?;
    let before = DateTime::from_timestamp_millis(parts.next()?.parse().ok()?)?;
    let by_update = parts.next()? == "1";
    let offset = parts.next()?.parse().ok()?;
    Some((after, before, by_update, offset))
}

/// The v2026 `FulfillmentStatus` of a v0 order status.
fn fulfillment_status(v0: &str) -> &'static str {
    match v0 {
        "PendingAvailability" => "PENDING_AVAILABILITY",
        "Pending" => "PENDING",
        "Unshipped" | "InvoiceUnconfirmed" => "UNSHIPPED",
        "PartiallyShipped" => "PARTIALLY_SHIPPED",
        "Shipped" => "SHIPPED",
        "Canceled" => "CANCELLED",
        _ => "UNFULFILLABLE",
    }
}

fn fulfilled_by_value(order: &AmazonOrder) -> &'static str {
    if order.is_afn() { "AMAZON" } else { "MERCHANT" }
}

/// An order as orders_2026-01-01.json `Order` shapes it, with the datasets asked for:
/// - `fulfillment` only with `includedData=FULFILLMENT`; its `deliverByWindow` for
///   seller-fulfilled orders with an estimate, for FBA orders only when
///   [`crate::Fidelity::afn_deliver_by_window`] is on (not documented either way);
/// - item `cancellation` only with `includedData=CANCELLATION`;
/// - `packages` "Only available for merchant-fulfilled (FBM) orders": never rendered (the
///   simulator has no packages); `buyer` and `recipient` are not rendered.
fn order_2026(order: &SimOrder, datasets: &[String], fidelity: &crate::Fidelity) -> Value {
    let o = &order.order;
    let has = |name: &str| datasets.iter().any(|d| d == name);
    let mut programs = Vec::new();
    if o.is_business_order == Some(true) {
        programs.push("AMAZON_BUSINESS");
    }
    if o.is_prime == Some(true) {
        programs.push("PRIME");
    }
    let marketplace = o.marketplace_id.as_deref().and_then(|m| Marketplace::from_id(m).ok());
    let mut value = json!({
        "orderId": o.amazon_order_id,
        "createdTime": iso(o.purchase_date),
        "lastUpdatedTime": iso(o.last_update_date),
        "programs": programs,
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": o.marketplace_id,
            "marketplaceName": marketplace.map(marketplace_name).unwrap_or_default(),
        },
        "orderItems": order.skus.iter().enumerate().map(|(n, sku)| {
            let mut item = json!({
                "orderItemId": format!("{:014}", n + 1),
                "quantityOrdered": 1,
                "product": {"asin": format!("B0SIM{:05}", n + 1), "sellerSku": sku},
            });
            if has("CANCELLATION") && order.buyer_requested_cancel {
                item["cancellation"] = json!({"cancellationRequest": {"requester": "BUYER"}});
            }
            if has("FULFILLMENT") {
                let shipped = o.order_status == "Shipped";
                item["fulfillment"] = json!({"quantityFulfilled": u8::from(shipped), "quantityUnfulfilled": u8::from(!shipped)});
            }
            item
        }).collect::<Vec<_>>(),
    });
    if o.is_replacement_order == Some(true) {
        value["associatedOrders"] = json!([{"associationType": "REPLACEMENT_ORIGINAL_ID"}]);
    }
    if has("FULFILLMENT") {
        let mut fulfillment = json!({
            "fulfillmentStatus": fulfillment_status(&o.order_status),
            "fulfilledBy": fulfilled_by_value(o),
        });
        let shows_window = !o.is_afn() || fidelity.afn_deliver_by_window;
        if shows_window && (o.earliest_delivery_date.is_some() || o.latest_delivery_date.is_some()) {
            let mut window = json!({});
            if let Some(d) = o.earliest_delivery_date {
                window["earliestDateTime"] = json!(iso(d));
            }
            if let Some(d) = o.latest_delivery_date {
                window["latestDateTime"] = json!(iso(d));
            }
            fulfillment["deliverByWindow"] = window;
        }
        value["fulfillment"] = fulfillment;
    }
    value
}

/// `Amazon.com`, `Amazon.de`, ... from the marketplace's Seller Central host.
fn marketplace_name(marketplace: Marketplace) -> String {
    let host = marketplace.seller_central_host();
    let domain = host.split_once("amazon.").map_or(host, |(_, rest)| rest);
    format!("Amazon.{domain}")
}

/// getOrder (orders_2026-01-01.json), with the datasets asked for.
async fn get_order(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    const OP: Operation = Operation::GetOrder;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let datasets = list_param(&query, "includedData");
    let mut world = state.world();
    world.count_order_call(OP, &order_id);
    let order = world.orders.get(&(seller, order_id.clone())).map(|o| order_2026(o, &datasets, &world.fidelity));
    drop(world);
    let response = match order {
        Some(order) => with_headers(StatusCode::OK, json!({"order": order}), Some(rate)),
        None => error(StatusCode::NOT_FOUND, "NotFound", &format!("Order {order_id} not found."), "", Some(rate)),
    };
    record(&state, OP, response)
}

/// listFinancialEvents (financesV0.json): events posted in `[PostedAfter, PostedBefore)`
/// ("after (or on)" / "before (but not on)"); `PostedBefore` defaults to two minutes before the
/// request and must be later than `PostedAfter` and more than two minutes before the request; 180
/// days apart or more gives an empty answer. Shipments are listed beside refunds so pages are as
/// full as a seller's would be; a page holds `MaxResultsPerPage` (1-100) events, then
/// `NextToken`. An event appears `finances_delay_hours` after it was posted.
async fn list_financial_events(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    const OP: Operation = Operation::ListFinancialEvents;
    let (principal, rate) = admitted!(state, headers, OP);
    let seller = seller!(state, OP, principal, rate);
    let now = state.now();
    let bad =
        |message: &str| record(&state, OP, error(StatusCode::BAD_REQUEST, "InvalidInput", message, "", Some(rate)));
    let (after, before) = match (date_param(&query, "PostedAfter"), date_param(&query, "PostedBefore")) {
        (Err(message), _) | (_, Err(message)) => return bad(&message),
        (Ok(None), Ok(Some(_))) => return bad("PostedAfter is required with PostedBefore."),
        (Ok(after), Ok(before)) => (after, before),
    };
    let latest = now - Duration::minutes(2);
    let before = before.unwrap_or(latest);
    if before > latest {
        return bad("PostedBefore must be more than two minutes before the time of the request.");
    }
    let after = after.unwrap_or(before - Duration::days(180));
    if before <= after {
        return bad("PostedBefore must be later than PostedAfter.");
    }
    let page_size = match one_param(&query, "MaxResultsPerPage").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return bad("MaxResultsPerPage must be between 1 and 100."),
    };
    let offset = match one_param(&query, "NextToken") {
        None => 0,
        Some(token) => match token.strip_prefix("events-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return bad("Invalid NextToken."),
        },
    };
    let world = state.world();
    let visible_before = now - Duration::hours(world.fidelity.finances_delay_hours);
    let mut events: Vec<(DateTime<Utc>, &'static str, Value)> = Vec::new();
    if before - after < Duration::days(180) {
        for o in world.orders.values().filter(|o| o.seller_id == seller) {
            let name =
                o.order.marketplace_id.as_deref().and_then(|m| Marketplace::from_id(m).ok()).map(marketplace_name);
            let event = |posted: DateTime<Utc>| json!({"AmazonOrderId": o.order.amazon_order_id, "PostedDate": iso(posted), "MarketplaceName": name});
            let listed = |t: DateTime<Utc>| t >= after && t < before && t <= visible_before;
            if let Some(t) = o.shipped_at.filter(|t| listed(*t)) {
                events.push((t, "ShipmentEventList", event(t)));
            }
            if let Some(t) = o.refunded_at.filter(|t| listed(*t)) {
                events.push((t, "RefundEventList", event(t)));
            }
        }
    }
    drop(world);
    events
        .sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2["AmazonOrderId"].as_str().cmp(&b.2["AmazonOrderId"].as_str())));
    let mut lists = serde_json::Map::new();
    for (_, list, event) in events.iter().skip(offset).take(page_size) {
        if let Some(list) = lists.entry(*list).or_insert_with(|| json!([])).as_array_mut() {
            list.push(event.clone());
        }
    }
    let mut payload = json!({"FinancialEvents": Value::Object(lists)});
    if offset + page_size < events.len() {
        payload["NextToken"] = json!(format!("events-{}", offset + page_size));
    }
    record(&state, OP, with_headers(StatusCode::OK, json!({"payload": payload}), Some(rate)))
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
    let check = {
        let mut world = state.world();
        world.count_order_call(OP, &order_id);
        world.solicitation_check(&seller, &order_id, state.now())
    };
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
    world.count_order_call(OP, &order_id);
    let key = (seller.clone(), order_id.clone());
    let response = match world.solicitation_check(&seller, &order_id, now) {
        SolicitationCheck::UnknownOrder => {
            error(StatusCode::NOT_FOUND, "NotFound", "The requested order was not found.", "", Some(rate))
        }
        SolicitationCheck::AlreadySent => {
            if let Some(record) = world.solicitations.get_mut(&key) {
                record.refused_duplicates += 1;
            }
            error(StatusCode::FORBIDDEN, "Unauthorized", &world.fidelity.already_requested_message, "", None)
        }
        SolicitationCheck::OutsideWindow => {
            error(StatusCode::FORBIDDEN, "Unauthorized", &world.fidelity.outside_window_message, "", None)
        }
        SolicitationCheck::NotEligible => {
            error(StatusCode::FORBIDDEN, "Unauthorized", &world.fidelity.not_eligible_message, "", None)
        }
        SolicitationCheck::Allowed(window) => {
            world.note_solicitation(&seller);
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
    let world = state.world();
    let encoding = world.fidelity.report_encoding;
    let document = world
        .reports
        .values()
        .find(|r| r.report.report_document_id.as_deref() == Some(document_id.as_str()))
        .and_then(|r| {
            let marketplace = r.report.marketplace_ids.as_ref()?.first().and_then(|id| Marketplace::from_id(id).ok());
            Some((r.document.clone()?, crate::feedback::content_type(marketplace, encoding)))
        });
    drop(world);
    match document {
        Some((bytes, content_type)) => (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "<Error><Code>NoSuchKey</Code></Error>").into_response(),
    }
}

async fn create_destination(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    const OP: Operation = Operation::Notifications;
    let (principal, rate) = admitted!(state, headers, OP);
    if let Some(refused) = grantless_only(&state, OP, &principal, rate, "createDestination") {
        return refused;
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

/// The 403 a grantless operation answers to a seller's token.
fn grantless_only(
    state: &SimState,
    op: Operation,
    principal: &Principal,
    rate: f64,
    operation: &str,
) -> Option<Response> {
    if matches!(principal, Principal::Application(_)) {
        return None;
    }
    let details = format!("{operation} is a grantless operation.");
    let refusal =
        error(StatusCode::FORBIDDEN, "Unauthorized", "Access to requested resource is denied.", &details, Some(rate));
    Some(record(state, op, refusal))
}

/// deleteSubscriptionById (notifications.json): grantless; any subscription of the
/// application, by type and id; 404 when there is none.
async fn delete_subscription(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((notification_type, subscription_id)): Path<(String, String)>,
) -> Response {
    const OP: Operation = Operation::Notifications;
    let (principal, rate) = admitted!(state, headers, OP);
    if let Some(refused) = grantless_only(&state, OP, &principal, rate, "deleteSubscriptionById") {
        return refused;
    }
    let mut world = state.world();
    let before = world.subscriptions.len();
    world.subscriptions.retain(|s| !(s.subscription_id == subscription_id && s.notification_type == notification_type));
    let response = if world.subscriptions.len() < before {
        with_headers(StatusCode::OK, json!({}), Some(rate))
    } else {
        error(StatusCode::NOT_FOUND, "NotFound", "The resource specified does not exist.", "", Some(rate))
    };
    drop(world);
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

async fn admin_fidelity(State(sim): State<Simulator>, axum::Json(fidelity): axum::Json<crate::Fidelity>) -> Response {
    sim.set_fidelity(fidelity);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct NewRefund {
    seller_id: String,
    order_id: String,
    posted_at: DateTime<Utc>,
}

async fn admin_refund(State(sim): State<Simulator>, axum::Json(refund): axum::Json<NewRefund>) -> Response {
    if sim.refund_order(&refund.seller_id, &refund.order_id, refund.posted_at) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::NOT_FOUND, "no such order").into_response()
    }
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
