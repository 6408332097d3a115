//! The HTTP core (rate limiting, retries, token handling) and the typed operations.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::credentials::CredentialSource;
use super::lwa::{AMAZON_TOKEN_ENDPOINT, Grant, LwaCredentials, NOTIFICATIONS_SCOPE, TokenCache};
use super::model::{
    CompressionAlgorithm, CreateDestinationRequest, CreateDestinationResponse, CreateReportResponse,
    CreateReportSpecification, CreateSubscriptionRequest, Destination, DestinationResource, ErrorList,
    FinancialEventsPage, GetDestinationsResponse, GetOrderResponse, ListFinancialEventsResponse, Order2026,
    PRODUCT_REVIEW_ACTION, Report, ReportDocument, SearchOrdersResponse, SolicitationActions, SqsResource,
    Subscription, SubscriptionResponse,
};
use super::plans::{Operation, TokenBucket, UsagePlans, backoff};
use super::{ForbiddenKind, SellerCalls, SpApiError, classify_forbidden};
use crate::domain::{Clock, Marketplace, OrderId, Region, SellerAccount, SellerId};
use crate::reports::{MAX_DOCUMENT_BYTES, gunzip_capped, is_gzip};
use async_trait::async_trait;

#[derive(Debug, Clone)]
pub struct SpApiConfig {
    /// Base URL for every region instead of Amazon's hosts (the simulator).
    pub endpoint_override: Option<String>,
    pub lwa_endpoint: String,
    pub usage_plans: UsagePlans,
    /// The share of each plan's rate the client paces at after the burst (see
    /// [`super::plans::CLIENT_PACE`], the default).
    pub pace: f64,
    /// Longest single HTTP exchange; shortened to what is left before the caller's deadline.
    pub request_timeout: Duration,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for SpApiConfig {
    fn default() -> Self {
        Self {
            endpoint_override: None,
            lwa_endpoint: AMAZON_TOKEN_ENDPOINT.to_string(),
            usage_plans: UsagePlans::amazon(),
            pace: super::plans::CLIENT_PACE,
            request_timeout: Duration::from_secs(20),
            max_attempts: 8,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(10),
        }
    }
}

impl SpApiConfig {
    /// Everything at one base URL (the simulator serves LWA at `/auth/o2/token`).
    pub fn local(base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        Self {
            endpoint_override: Some(base.to_string()),
            lwa_endpoint: format!("{base}/auth/o2/token"),
            ..Self::default()
        }
    }
}

/// The entry point: hands out one [`SellerApi`] per seller and region, built once and kept for
/// the life of the process so tokens and rate-limit buckets survive warm invocations.
pub struct SpApi {
    /// Built on the first call (see [`SpApi::http`]).
    http: std::sync::OnceLock<reqwest::Client>,
    config: Arc<SpApiConfig>,
    credentials: Arc<dyn CredentialSource>,
    clock: Arc<dyn Clock>,
    sellers: Mutex<HashMap<(SellerId, Region), Arc<SellerApi>>>,
}

impl SpApi {
    pub fn new(config: SpApiConfig, credentials: Arc<dyn CredentialSource>, clock: Arc<dyn Clock>) -> Self {
        Self {
            http: std::sync::OnceLock::new(),
            config: Arc::new(config),
            credentials,
            clock,
            sellers: Mutex::new(HashMap::new()),
        }
    }

    /// The HTTP client, built when the first SP-API call needs it: building it (TLS
    /// configuration, its verifier) is most of a cold start's extra work, and a run with
    /// nothing to ask Amazon never needs it.
    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("FeedbackAutopilot/", env!("CARGO_PKG_VERSION"), " (Language=Rust)"))
                .pool_idle_timeout(Duration::from_secs(50))
                .build()
                .unwrap_or_default()
        })
    }

    /// One LWA exchange of `credentials`' refresh token (what onboarding checks before it
    /// stores anything): `Ok` when Amazon grants an access token.
    pub async fn check_credentials(&self, credentials: &LwaCredentials) -> Result<(), SpApiError> {
        let cache = TokenCache::new(Grant::Seller, self.config.lwa_endpoint.clone());
        cache.access_token(self.http(), credentials, self.clock.as_ref()).await.map(|_| ())
    }

    /// The client for `seller` in `region`, fetching the credentials on first use.
    pub async fn seller(&self, seller: &SellerAccount, region: Region) -> Result<Arc<SellerApi>, SpApiError> {
        let key = (seller.seller_id.clone(), region);
        let mut sellers = self.sellers.lock().await;
        if let Some(api) = sellers.get(&key) {
            return Ok(api.clone());
        }
        let credentials = self.credentials.credentials(&seller.credentials_secret).await?;
        let api = Arc::new(SellerApi::new(
            self.http().clone(),
            self.config.clone(),
            seller.seller_id.clone(),
            region,
            credentials,
            self.clock.clone(),
        ));
        sellers.insert(key, api.clone());
        Ok(api)
    }
}

/// The request to searchOrders.
#[derive(Debug, Clone, Default)]
pub struct OrdersQuery {
    pub marketplaces: Vec<Marketplace>,
    /// Inclusive, per the model ("updated at or after this time").
    pub last_updated_after: Option<DateTime<Utc>>,
    pub last_updated_before: Option<DateTime<Utc>>,
    /// Inclusive ("created at or after this time"); not with the `last_updated_*` pair.
    pub created_after: Option<DateTime<Utc>>,
    /// Inclusive ("created at or before this time").
    pub created_before: Option<DateTime<Utc>>,
    pub pagination_token: Option<String>,
    pub max_results_per_page: Option<u32>,
    /// `fulfillmentStatuses`, e.g. `SHIPPED`; empty for all.
    pub fulfillment_statuses: Vec<&'static str>,
}

/// The datasets asked for with every order: the status and fulfilment (with `deliverByWindow`)
/// and cancellations. Never `BUYER` or `RECIPIENT`.
const ORDER_DATASETS: &str = "FULFILLMENT,CANCELLATION";

/// SP-API calls on behalf of one seller in one region.
pub struct SellerApi {
    http: reqwest::Client,
    config: Arc<SpApiConfig>,
    seller_id: SellerId,
    base_url: String,
    credentials: LwaCredentials,
    seller_token: TokenCache,
    grantless_token: TokenCache,
    buckets: HashMap<Operation, TokenBucket>,
    clock: Arc<dyn Clock>,
}

struct Call {
    operation: Operation,
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    grant: Grant,
    deadline: Instant,
}

impl Call {
    fn new(operation: Operation, method: Method, path: String, deadline: Instant) -> Self {
        Self { operation, method, path, query: Vec::new(), body: None, grant: Grant::Seller, deadline }
    }

    fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    fn json<T: Serialize>(mut self, body: &T) -> Result<Self, SpApiError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|source| SpApiError::Unreadable { operation: self.operation.name(), source })?;
        self.body = Some(bytes);
        Ok(self)
    }

    fn grantless(mut self) -> Self {
        self.grant = Grant::Grantless(NOTIFICATIONS_SCOPE);
        self
    }
}

/// What one attempt at an operation came to.
enum Attempt<T> {
    Done(T),
    /// Worth another attempt after a pause; the reason is kept for the final error.
    Retry(String),
    /// Worth another attempt at once (a refreshed access token), without a pause.
    RetryNow(String),
    /// The deadline came before the attempt could be made (with why, when it says more).
    OutOfTime(Option<&'static str>),
    Failed(SpApiError),
}

fn api_errors(body: &[u8]) -> Vec<super::ApiError> {
    serde_json::from_slice::<ErrorList>(body).map(|list| list.errors).unwrap_or_default()
}

fn describe(errors: &[super::ApiError], status: StatusCode) -> String {
    if errors.is_empty() {
        return format!("HTTP {status}");
    }
    errors
        .iter()
        .map(|e| match e.details.as_deref().filter(|d| !d.is_empty()) {
            Some(details) => format!("{}: {} ({details})", e.code, e.message),
            None => format!("{}: {}", e.code, e.message),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl SellerApi {
    fn new(
        http: reqwest::Client,
        config: Arc<SpApiConfig>,
        seller_id: SellerId,
        region: Region,
        credentials: LwaCredentials,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let base_url =
            config.endpoint_override.clone().unwrap_or_else(|| format!("https://{}", region.endpoint_host()));
        let buckets = Operation::ALL
            .iter()
            .map(|op| (*op, TokenBucket::client(config.usage_plans.get(*op), config.pace)))
            .collect();
        Self {
            seller_token: TokenCache::new(Grant::Seller, &config.lwa_endpoint),
            grantless_token: TokenCache::new(Grant::Grantless(NOTIFICATIONS_SCOPE), &config.lwa_endpoint),
            http,
            config,
            seller_id,
            base_url,
            credentials,
            buckets,
            clock,
        }
    }

    pub fn seller_id(&self) -> &SellerId {
        &self.seller_id
    }

    fn tokens(&self, grant: Grant) -> &TokenCache {
        match grant {
            Grant::Seller => &self.seller_token,
            Grant::Grantless(_) => &self.grantless_token,
        }
    }

    /// Attempt an operation until it is done or fails for good: at most `max_attempts` times,
    /// with jittered exponential backoff between attempts, never past `deadline`.
    async fn with_retries<T, F: Future<Output = Attempt<T>>>(
        &self,
        operation: &'static str,
        deadline: Instant,
        attempt: impl Fn() -> F,
    ) -> Result<T, SpApiError> {
        let mut attempts = 0u32;
        let mut last = String::from("no attempt made");
        loop {
            attempts += 1;
            match attempt().await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Failed(err) => return Err(err),
                Attempt::OutOfTime(why) => {
                    let last = why.map_or(last.clone(), |why| format!("{last}; {why}"));
                    return Err(SpApiError::DeadlineExceeded { operation, attempts: attempts - 1, last });
                }
                Attempt::RetryNow(reason) => {
                    last = reason;
                    continue;
                }
                Attempt::Retry(reason) => last = reason,
            }
            if attempts >= self.config.max_attempts {
                return Err(SpApiError::RetriesExhausted { operation, attempts, last });
            }
            let pause = backoff(attempts - 1, self.config.backoff_base, self.config.backoff_cap);
            if Instant::now() + pause >= deadline {
                return Err(SpApiError::DeadlineExceeded { operation, attempts, last });
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// One operation with rate limiting, token handling and retries; the successful body.
    async fn execute(&self, call: Call) -> Result<Vec<u8>, SpApiError> {
        let bucket = &self.buckets[&call.operation];
        let url = &format!("{}{}", self.base_url, call.path);
        // Refreshed once per call at most: a second rejection is Amazon's answer.
        let token_refreshed = &AtomicBool::new(false);
        let call = &call;
        self.with_retries(call.operation.name(), call.deadline, move || async move {
            if bucket.acquire(call.deadline).await.is_err() {
                return Attempt::OutOfTime(Some("no rate-limit token before the deadline"));
            }
            let tokens = self.tokens(call.grant);
            let token = match tokens.access_token(&self.http, &self.credentials, self.clock.as_ref()).await {
                Ok(token) => token,
                Err(err) => return Attempt::Failed(err),
            };
            let remaining = call.deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Attempt::OutOfTime(None);
            }
            let mut request = self
                .http
                .request(call.method.clone(), url)
                .header("x-amz-access-token", token)
                .header("accept", "application/json")
                .query(&call.query)
                .timeout(self.config.request_timeout.min(remaining));
            if let Some(body) = &call.body {
                request = request.header("content-type", "application/json").body(body.clone());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(err) => return Attempt::Retry(format!("transport: {}", without_query(err))),
            };
            let answer = self.answer(call, bucket, response).await;
            match answer {
                Attempt::Failed(SpApiError::Forbidden {
                    kind: ForbiddenKind::AccessTokenRejected, message, ..
                }) if !token_refreshed.swap(true, Ordering::SeqCst) => {
                    tokens.invalidate().await;
                    Attempt::RetryNow(format!("403 {message}"))
                }
                other => other,
            }
        })
        .await
    }

    /// What an answer to `call` means: its body, a reason to try again (429, 5xx, a dropped
    /// connection; the bucket learns from 429s and the rate Amazon reports), or a final error.
    async fn answer(&self, call: &Call, bucket: &TokenBucket, response: reqwest::Response) -> Attempt<Vec<u8>> {
        let operation = call.operation.name();
        let status = response.status();
        let reported_rate = response
            .headers()
            .get("x-amzn-RateLimit-Limit")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(err) => {
                return Attempt::Retry(format!("connection lost reading HTTP {status}: {}", without_query(err)));
            }
        };
        if status.is_success() {
            bucket.succeeded(reported_rate).await;
            return Attempt::Done(body.to_vec());
        }
        let errors = api_errors(&body);
        let message = describe(&errors, status);
        Attempt::Failed(match status {
            StatusCode::TOO_MANY_REQUESTS => {
                bucket.throttled(reported_rate).await;
                return Attempt::Retry(format!("429 {message}"));
            }
            s if s.is_server_error() => return Attempt::Retry(format!("{} {message}", s.as_u16())),
            StatusCode::FORBIDDEN => SpApiError::Forbidden { operation, kind: classify_forbidden(&errors), message },
            StatusCode::NOT_FOUND => SpApiError::NotFound { operation, message },
            StatusCode::BAD_REQUEST => SpApiError::BadRequest { operation, message },
            StatusCode::CONFLICT => SpApiError::Conflict { operation, message },
            s => SpApiError::UnexpectedStatus { operation, status: s.as_u16(), message },
        })
    }

    async fn execute_json<T: DeserializeOwned>(&self, call: Call) -> Result<T, SpApiError> {
        let operation = call.operation.name();
        let body = self.execute(call).await?;
        serde_json::from_slice(&body).map_err(|source| SpApiError::Unreadable { operation, source })
    }

    /// getSolicitationActionsForOrder: the names of the solicitations Amazon offers now (empty
    /// when the order is not eligible at the moment).
    pub async fn solicitation_actions(
        &self,
        order_id: &OrderId,
        marketplace: Marketplace,
        deadline: Instant,
    ) -> Result<Vec<String>, SpApiError> {
        let call = Call::new(
            Operation::GetSolicitationActionsForOrder,
            Method::GET,
            format!("/solicitations/v1/orders/{order_id}"),
            deadline,
        )
        .query("marketplaceIds", marketplace.id());
        let actions: SolicitationActions = self.execute_json(call).await?;
        Ok(actions.action_names())
    }

    pub async fn get_report_document(
        &self,
        document_id: &str,
        deadline: Instant,
    ) -> Result<ReportDocument, SpApiError> {
        let call = Call::new(
            Operation::GetReportDocument,
            Method::GET,
            format!("/reports/2021-06-30/documents/{document_id}"),
            deadline,
        );
        self.execute_json(call).await
    }

    /// Download a report document from its pre-signed URL (no SP-API token), retrying transient
    /// failures, and gunzip it when Amazon says so or the bytes are gzip. The download's
    /// Content-Type comes along: its charset says how the text is encoded.
    pub async fn download(
        &self,
        document: &ReportDocument,
        deadline: Instant,
    ) -> Result<DownloadedDocument, SpApiError> {
        const OPERATION: &str = "reportDocumentDownload";
        self.with_retries(OPERATION, deadline, || async {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Attempt::OutOfTime(None);
            }
            let timeout = self.config.request_timeout.min(remaining);
            let response = match self.http.get(&document.url).timeout(timeout).send().await {
                Ok(response) => response,
                Err(err) => return Attempt::Retry(format!("transport: {}", without_query(err))),
            };
            let status = response.status();
            if status == StatusCode::FORBIDDEN || status == StatusCode::GONE {
                let document_id = document.report_document_id.clone();
                return Attempt::Failed(SpApiError::DocumentUrlExpired { document_id });
            }
            if status.is_server_error() {
                return Attempt::Retry(format!("HTTP {status}"));
            }
            if !status.is_success() {
                let message = "report document download refused".into();
                return Attempt::Failed(SpApiError::UnexpectedStatus {
                    operation: OPERATION,
                    status: status.as_u16(),
                    message,
                });
            }
            let content_type =
                response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
            match response.bytes().await {
                Ok(bytes) => match decompress(document, bytes.to_vec()) {
                    Ok(bytes) => Attempt::Done(DownloadedDocument { bytes, content_type }),
                    Err(err) => Attempt::Failed(err),
                },
                Err(err) => Attempt::Retry(format!("connection lost: {}", without_query(err))),
            }
        })
        .await
    }

    /// createDestination (grantless): an SQS queue Amazon may deliver notifications to.
    pub async fn create_destination(
        &self,
        name: &str,
        sqs_arn: &str,
        deadline: Instant,
    ) -> Result<Destination, SpApiError> {
        let request = CreateDestinationRequest {
            resource_specification: DestinationResource { sqs: Some(SqsResource { arn: sqs_arn.to_string() }) },
            name: name.to_string(),
        };
        let call = Call::new(Operation::Notifications, Method::POST, "/notifications/v1/destinations".into(), deadline)
            .grantless()
            .json(&request)?;
        let response: CreateDestinationResponse = self.execute_json(call).await?;
        response.payload.ok_or(SpApiError::Decode { operation: "createDestination", message: "no payload".into() })
    }

    /// getDestinations (grantless).
    pub async fn get_destinations(&self, deadline: Instant) -> Result<Vec<Destination>, SpApiError> {
        let call = Call::new(Operation::Notifications, Method::GET, "/notifications/v1/destinations".into(), deadline)
            .grantless();
        let response: GetDestinationsResponse = self.execute_json(call).await?;
        Ok(response.payload)
    }

    /// createSubscription for this seller, e.g. `ORDER_CHANGE` or `REPORT_PROCESSING_FINISHED`.
    pub async fn create_subscription(
        &self,
        notification_type: &str,
        destination_id: &str,
        deadline: Instant,
    ) -> Result<Subscription, SpApiError> {
        let request =
            CreateSubscriptionRequest { payload_version: "1.0".into(), destination_id: destination_id.to_string() };
        let call = Call::new(
            Operation::Notifications,
            Method::POST,
            format!("/notifications/v1/subscriptions/{notification_type}"),
            deadline,
        )
        .json(&request)?;
        let response: SubscriptionResponse = self.execute_json(call).await?;
        response.payload.ok_or(SpApiError::Decode { operation: "createSubscription", message: "no payload".into() })
    }

    /// deleteSubscriptionById (grantless): notifications of the subscription stop. `false` when
    /// Amazon no longer knows it (404), which leaves nothing to do.
    pub async fn delete_subscription(
        &self,
        notification_type: &str,
        subscription_id: &str,
        deadline: Instant,
    ) -> Result<bool, SpApiError> {
        let call = Call::new(
            Operation::Notifications,
            Method::DELETE,
            format!("/notifications/v1/subscriptions/{notification_type}/{subscription_id}"),
            deadline,
        )
        .grantless();
        match self.execute(call).await {
            Ok(_) => Ok(true),
            Err(SpApiError::NotFound { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// getSubscription: the seller's subscription to a notification type, if any.
    pub async fn get_subscription(
        &self,
        notification_type: &str,
        deadline: Instant,
    ) -> Result<Option<Subscription>, SpApiError> {
        let call = Call::new(
            Operation::Notifications,
            Method::GET,
            format!("/notifications/v1/subscriptions/{notification_type}"),
            deadline,
        );
        match self.execute_json::<SubscriptionResponse>(call).await {
            Ok(response) => Ok(response.payload),
            Err(SpApiError::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// The operations the orchestration calls (see [`SellerCalls`]), on Amazon's wire.
#[async_trait]
impl SellerCalls for SellerApi {
    /// searchOrders (Orders v2026-01-01): one page of orders updated (or created) in a time
    /// range (or the page a token names), with the `FULFILLMENT` and `CANCELLATION` datasets: the status,
    /// who fulfils, `deliverByWindow` when Amazon gives it, and buyers' cancellation requests.
    async fn search_orders(&self, query: &OrdersQuery, deadline: Instant) -> Result<SearchOrdersResponse, SpApiError> {
        let mut call = Call::new(Operation::SearchOrders, Method::GET, "/orders/2026-01-01/orders".into(), deadline)
            .query("marketplaceIds", query.marketplaces.iter().map(|m| m.id()).collect::<Vec<_>>().join(","))
            .query("includedData", ORDER_DATASETS);
        if let Some(after) = query.last_updated_after {
            call = call.query("lastUpdatedAfter", after.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        if let Some(before) = query.last_updated_before {
            call = call.query("lastUpdatedBefore", before.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        if let Some(after) = query.created_after {
            call = call.query("createdAfter", after.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        if let Some(before) = query.created_before {
            call = call.query("createdBefore", before.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        if let Some(token) = &query.pagination_token {
            call = call.query("paginationToken", token.clone());
        }
        if let Some(max) = query.max_results_per_page {
            call = call.query("maxResultsPerPage", max.to_string());
        }
        if !query.fulfillment_statuses.is_empty() {
            call = call.query("fulfillmentStatuses", query.fulfillment_statuses.join(","));
        }
        self.execute_json(call).await
    }

    /// getOrder (Orders v2026-01-01) with the `FULFILLMENT` dataset.
    async fn get_order(&self, order_id: &OrderId, deadline: Instant) -> Result<Order2026, SpApiError> {
        let call =
            Call::new(Operation::GetOrder, Method::GET, format!("/orders/2026-01-01/orders/{order_id}"), deadline)
                .query("includedData", ORDER_DATASETS);
        let response: GetOrderResponse = self.execute_json(call).await?;
        Ok(response.order)
    }

    /// listFinancialEvents (Finances v0): one page of the financial events posted in
    /// `[posted_after, posted_before)`, or the page a token names.
    async fn list_financial_events(
        &self,
        posted_after: DateTime<Utc>,
        posted_before: DateTime<Utc>,
        next_token: Option<&str>,
        deadline: Instant,
    ) -> Result<FinancialEventsPage, SpApiError> {
        // A next page is asked with the same arguments as the first, plus its token.
        let mut call =
            Call::new(Operation::ListFinancialEvents, Method::GET, "/finances/v0/financialEvents".into(), deadline)
                .query("MaxResultsPerPage", "100")
                .query("PostedAfter", posted_after.to_rfc3339_opts(SecondsFormat::Secs, true))
                .query("PostedBefore", posted_before.to_rfc3339_opts(SecondsFormat::Secs, true));
        if let Some(token) = next_token {
            call = call.query("NextToken", token.to_string());
        }
        let response: ListFinancialEventsResponse = self.execute_json(call).await?;
        Ok(response.payload.unwrap_or_default())
    }

    /// Whether Amazon currently offers the product review and seller feedback request.
    async fn can_request_review(
        &self,
        order_id: &OrderId,
        marketplace: Marketplace,
        deadline: Instant,
    ) -> Result<bool, SpApiError> {
        Ok(self.solicitation_actions(order_id, marketplace, deadline).await?.iter().any(|a| a == PRODUCT_REVIEW_ACTION))
    }

    /// createProductReviewAndSellerFeedbackSolicitation: Amazon e-mails the buyer its standard
    /// request. Allowed once per order; a second call is a 403 (`AlreadyRequested`).
    async fn request_review(
        &self,
        order_id: &OrderId,
        marketplace: Marketplace,
        deadline: Instant,
    ) -> Result<(), SpApiError> {
        let call = Call::new(
            Operation::CreateProductReviewAndSellerFeedbackSolicitation,
            Method::POST,
            format!("/solicitations/v1/orders/{order_id}/solicitations/productReviewAndSellerFeedback"),
            deadline,
        )
        .query("marketplaceIds", marketplace.id());
        self.execute(call).await.map(|_| ())
    }

    async fn create_report(&self, spec: &CreateReportSpecification, deadline: Instant) -> Result<String, SpApiError> {
        let call = Call::new(Operation::CreateReport, Method::POST, "/reports/2021-06-30/reports".into(), deadline)
            .json(spec)?;
        let response: CreateReportResponse = self.execute_json(call).await?;
        Ok(response.report_id)
    }

    async fn get_report(&self, report_id: &str, deadline: Instant) -> Result<Report, SpApiError> {
        let call =
            Call::new(Operation::GetReport, Method::GET, format!("/reports/2021-06-30/reports/{report_id}"), deadline);
        self.execute_json(call).await
    }

    /// getReportDocument, then the download, decompressed. The URL lives five minutes: if it
    /// has expired by the time the download runs, a fresh one is asked for once.
    async fn fetch_report_document(&self, document: &str, deadline: Instant) -> Result<DownloadedDocument, SpApiError> {
        let document_id = document;
        let document = self.get_report_document(document_id, deadline).await?;
        match self.download(&document, deadline).await {
            Err(SpApiError::DocumentUrlExpired { .. }) => {
                let fresh = self.get_report_document(document_id, deadline).await?;
                self.download(&fresh, deadline).await
            }
            other => other,
        }
    }
}

/// A transport error as it may be logged: its URL without the query string, which for a report
/// document is the pre-signed URL's security token and signature.
fn without_query(err: reqwest::Error) -> String {
    let url = err.url().map(|u| format!("{}://{}{}", u.scheme(), u.host_str().unwrap_or_default(), u.path()));
    match url {
        Some(url) => format!("{} ({url})", err.without_url()),
        None => err.to_string(),
    }
}

/// A downloaded report document: its (decompressed) bytes and the download's Content-Type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedDocument {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

fn decompress(document: &ReportDocument, bytes: Vec<u8>) -> Result<Vec<u8>, SpApiError> {
    let gzip = document.compression_algorithm == Some(CompressionAlgorithm::Gzip) || is_gzip(&bytes);
    if !gzip {
        if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
            return Err(SpApiError::Decode {
                operation: "reportDocumentDownload",
                message: format!(
                    "document {} is larger than {MAX_DOCUMENT_BYTES} bytes; refused",
                    document.report_document_id
                ),
            });
        }
        return Ok(bytes);
    }
    gunzip_capped(&bytes, MAX_DOCUMENT_BYTES).map_err(|err| SpApiError::Decode {
        operation: "reportDocumentDownload",
        message: format!("document {}: {err}", document.report_document_id),
    })
}
