//! The SP-API as the orchestration sees it: the calls made on behalf of one seller
//! ([`SellerCalls`]) and where they come from ([`SpApiAccess`]). [`SpApi`](super::SpApi) and
//! [`SellerApi`](super::SellerApi) (its operations in `client.rs`) are the HTTP implementation; unit tests of dispatch, capture
//! and feedback sync use an in-memory Amazon (`crate::fakes`), the integration tests the
//! simulator.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::SpApiError;
use super::client::{DownloadedDocument, OrdersQuery, SpApi};
use super::model::{CreateReportSpecification, FinancialEventsPage, Order2026, Report, SearchOrdersResponse};
use crate::domain::{Marketplace, OrderId, Region, SellerAccount};

/// The SP-API operations the Lambdas call for one seller in one region.
#[async_trait]
pub trait SellerCalls: Send + Sync {
    /// searchOrders (Orders v2026-01-01): one page.
    async fn search_orders(&self, query: &OrdersQuery, deadline: Instant) -> Result<SearchOrdersResponse, SpApiError>;
    /// getOrder (Orders v2026-01-01) with the fulfilment dataset.
    async fn get_order(&self, order_id: &OrderId, deadline: Instant) -> Result<Order2026, SpApiError>;
    /// listFinancialEvents (Finances v0): one page of events posted in `[after, before)`.
    async fn list_financial_events(
        &self,
        posted_after: DateTime<Utc>,
        posted_before: DateTime<Utc>,
        next_token: Option<&str>,
        deadline: Instant,
    ) -> Result<FinancialEventsPage, SpApiError>;
    /// Whether Amazon offers the product review and seller feedback request now.
    async fn can_request_review(
        &self,
        order_id: &OrderId,
        marketplace: Marketplace,
        deadline: Instant,
    ) -> Result<bool, SpApiError>;
    /// createProductReviewAndSellerFeedbackSolicitation.
    async fn request_review(
        &self,
        order_id: &OrderId,
        marketplace: Marketplace,
        deadline: Instant,
    ) -> Result<(), SpApiError>;
    /// createReport: the new report's id.
    async fn create_report(&self, spec: &CreateReportSpecification, deadline: Instant) -> Result<String, SpApiError>;
    async fn get_report(&self, report_id: &str, deadline: Instant) -> Result<Report, SpApiError>;
    /// getReportDocument and the download, decompressed.
    async fn fetch_report_document(&self, document: &str, deadline: Instant) -> Result<DownloadedDocument, SpApiError>;
}

/// Hands out the calls for a seller in a region (credentials fetched on first use).
#[async_trait]
pub trait SpApiAccess: Send + Sync {
    async fn seller_calls(&self, seller: &SellerAccount, region: Region) -> Result<Arc<dyn SellerCalls>, SpApiError>;
}

#[async_trait]
impl SpApiAccess for SpApi {
    async fn seller_calls(&self, seller: &SellerAccount, region: Region) -> Result<Arc<dyn SellerCalls>, SpApiError> {
        let api: Arc<dyn SellerCalls> = self.seller(seller, region).await?;
        Ok(api)
    }
}
