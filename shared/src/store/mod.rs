//! Persistence ports and the DynamoDB adapter.
//!
//! Handlers depend on the narrow traits here (`OrderRepository`, `DueReviewRequests`,
//! `SellerDirectory`), never on DynamoDB. Races become typed outcomes: every write that could
//! lose a race is conditional and answers [`PutOutcome::Conflict`] instead of overwriting.
//!
//! Access patterns (all Query or GetItem, never Scan; keys in [`keys`]):
//! - one order by seller and order id: GetItem, strongly consistent;
//! - orders of a seller whose review request is due: Query on the sparse `due` index, one query
//!   per shard, merged oldest first;
//! - feedback by seller, marketplace and date range: Query on the feedback partition;
//! - rating snapshots by seller, marketplace and date range: Query on the rating partition;
//! - all seller accounts: Query on the `SELLERS` partition;
//! - the reconciliation checkpoint of a seller and marketplace: GetItem.

pub mod dynamo;
pub mod keys;
pub mod schema;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::domain::{Marketplace, Order, OrderId, SellerAccount, SellerId};

pub use dynamo::{DynamoStore, StoreConfig};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed: {message}")]
    Backend { operation: &'static str, message: String, retryable: bool },
    #[error("stored item {key} could not be read: {message}")]
    Corrupt { key: String, message: String },
    #[error("item {key} could not be written: {message}")]
    Encode { key: String, message: String },
}

impl StoreError {
    /// Whether trying the same call again later may succeed (throttling, timeouts, 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Backend { retryable: true, .. })
    }
}

/// A value with the version it was read at, for a later conditional write.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// What a conditional write expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No item yet (first write wins).
    Absent,
    /// The item at exactly this version (compare-and-swap).
    Version(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Written {
        version: u64,
    },
    /// Someone else wrote first; re-read and decide again.
    Conflict,
}

/// An order whose review request needs a look, as the due index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueOrder {
    pub seller_id: SellerId,
    pub order_id: OrderId,
    pub look_at: DateTime<Utc>,
}

#[async_trait]
pub trait OrderRepository: Send + Sync {
    async fn get_order(&self, seller: &SellerId, order: &OrderId) -> Result<Option<Versioned<Order>>, StoreError>;
    /// Write the whole order if the stored one is as expected.
    async fn put_order(&self, order: &Order, expect: Expect) -> Result<PutOutcome, StoreError>;
}

#[async_trait]
pub trait DueReviewRequests: Send + Sync {
    /// Up to `limit` orders of `seller` whose review request is due at or before `now`, oldest
    /// first. The index is eventually consistent: re-read each order before acting on it.
    async fn due_review_requests(
        &self,
        seller: &SellerId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError>;
}

/// Where the reconciliation poll of one seller and marketplace stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncCheckpoint {
    /// Every change up to this time has been recorded.
    pub synced_until: DateTime<Utc>,
    /// A run that stopped between pages: the page to continue with and the cutoff its query
    /// runs to (which becomes `synced_until` once its last page is recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumePoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResumePoint {
    pub next_token: String,
    pub cutoff: DateTime<Utc>,
}

#[async_trait]
pub trait CheckpointStore: Send + Sync {
    async fn get_checkpoint(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        stream: &str,
    ) -> Result<Option<SyncCheckpoint>, StoreError>;
    async fn put_checkpoint(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        stream: &str,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait SellerDirectory: Send + Sync {
    async fn put_seller(&self, seller: &SellerAccount) -> Result<(), StoreError>;
    async fn get_seller(&self, seller: &SellerId) -> Result<Option<SellerAccount>, StoreError>;
    /// Every seller account, all pages.
    async fn list_sellers(&self) -> Result<Vec<SellerAccount>, StoreError>;
}

/// A feedback as stored: when it was first seen and, once it vanished from a report covering
/// its date, when it was found removed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredFeedback {
    #[serde(flatten)]
    pub feedback: crate::domain::feedback::Feedback,
    pub first_seen: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Feedback of a seller and marketplace dated `from..=to`, removed ones included, all pages.
    async fn feedback_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<StoredFeedback>, StoreError>;
    async fn put_feedback(&self, seller: &SellerId, feedback: &StoredFeedback) -> Result<(), StoreError>;
}
