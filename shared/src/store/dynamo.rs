//! DynamoDB adapter for the store ports. Owns the item format: domain types are (de)serialised
//! with serde_dynamo and wrapped with their keys here, so no SDK type leaves this module.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::clock::later;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConsumedCapacity, GlobalSecondaryIndex, KeySchemaElement,
    KeyType as SdkKeyType, Projection as SdkProjection, ProjectionType, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
};
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::keys;
use super::schema::{self, KeyType, Projection};
use super::{
    CheckpointStore, CheckpointStream, DueOrder, DueReviewRequests, Expect, FeedbackStore, OrderRepository,
    OrderVolume, PutOutcome, RatingSnapshot, RatingStore, ReportJob, ReportJobs, SellerDirectory, StoreError,
    StoredFeedback, SyncCheckpoint, Versioned,
};
use crate::domain::ratings::DailyBuckets;
use crate::domain::{Clock, Marketplace, Order, OrderId, SellerAccount, SellerId};

type Item = HashMap<String, AttributeValue>;

/// How long an order is kept after its purchase date: past the 90-day feedback window and the
/// 365-day rating window, so order-based rates can still be computed.
pub const ORDER_RETENTION: Duration = Duration::days(400);

#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub table_name: String,
    /// Shards per seller in the due index (write sharding). Changing it strands entries in
    /// shards no longer queried, so it is fixed per deployment.
    pub due_shards: u16,
    /// Page size for queries (`Limit`); `None` lets DynamoDB fill 1 MB pages.
    pub page_size: Option<i32>,
}

impl StoreConfig {
    pub const DEFAULT_DUE_SHARDS: u16 = 8;

    pub fn new(table_name: impl Into<String>) -> Self {
        Self { table_name: table_name.into(), due_shards: Self::DEFAULT_DUE_SHARDS, page_size: None }
    }
}

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    config: StoreConfig,
    clock: Arc<dyn Clock>,
    meter: Arc<CapacityMeter>,
}

/// Capacity units DynamoDB reports as consumed by this store's calls (for logs and the
/// benchmarks). Conditional writes that fail consume write units too but report none; they
/// are counted separately.
#[derive(Debug, Default)]
pub struct CapacityMeter {
    read_milli: AtomicU64,
    write_milli: AtomicU64,
    failed_conditional_writes: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Capacity {
    pub read_units: f64,
    pub write_units: f64,
    pub failed_conditional_writes: u64,
}

impl CapacityMeter {
    fn add(&self, consumed: Option<&ConsumedCapacity>, write: bool) {
        let units = consumed.and_then(|c| c.capacity_units()).unwrap_or(0.0);
        let milli = (units * 1000.0).round() as u64;
        let counter = if write { &self.write_milli } else { &self.read_milli };
        counter.fetch_add(milli, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Capacity {
        Capacity {
            read_units: self.read_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            write_units: self.write_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            failed_conditional_writes: self.failed_conditional_writes.load(Ordering::Relaxed),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct OrderItem {
    pk: String,
    sk: String,
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_sk: Option<String>,
    expires_at: i64,
    #[serde(flatten)]
    order: Order,
}

#[derive(Serialize, Deserialize)]
struct SellerItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    seller: SellerAccount,
}

#[derive(Serialize, Deserialize)]
struct CheckpointItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    checkpoint: SyncCheckpoint,
}

#[derive(Serialize, Deserialize)]
struct FeedbackItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    stored: StoredFeedback,
}

#[derive(Serialize, Deserialize)]
struct ReportJobItem {
    pk: String,
    sk: String,
    version: u64,
    #[serde(flatten)]
    job: ReportJob,
}

#[derive(Serialize, Deserialize)]
struct BucketsItem {
    pk: String,
    sk: String,
    buckets: DailyBuckets,
}

#[derive(Serialize, Deserialize)]
struct SnapshotItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    snapshot: RatingSnapshot,
}

#[derive(Deserialize)]
struct OrderDayItem {
    sk: String,
    orders: u64,
}

/// Keys of a due-index entry (the index projects keys only).
#[derive(Deserialize)]
struct DueKeys {
    pk: String,
    due_sk: String,
}

fn backend<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => matches!(
            service.err().code(),
            Some(
                "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
                    | "TransactionConflictException"
            )
        ),
        _ => false,
    };
    let message = match err.as_service_error() {
        Some(service) => format!("{}: {}", service.code().unwrap_or("error"), service.message().unwrap_or("")),
        None => DisplayErrorContext(&err).to_string(),
    };
    StoreError::Backend { operation, message, retryable, source: Box::new(err) }
}

fn is_conditional_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}

fn decode<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    let key = describe_key(&item);
    serde_dynamo::from_item(item).map_err(|err| StoreError::Corrupt { key, message: err.to_string() })
}

fn encode<T: Serialize>(key: &str, value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|err| StoreError::Encode { key: key.to_string(), message: err.to_string() })
}

fn describe_key(item: &Item) -> String {
    let part = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str).unwrap_or("?");
    format!("{}/{}", part(schema::PARTITION_KEY), part(schema::SORT_KEY))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

impl DynamoStore {
    pub fn new(client: Client, config: StoreConfig, clock: Arc<dyn Clock>) -> Self {
        Self { client, config, clock, meter: Arc::new(CapacityMeter::default()) }
    }

    pub fn connect(sdk: &aws_config::SdkConfig, config: StoreConfig, clock: Arc<dyn Clock>) -> Self {
        Self::new(Client::new(sdk), config, clock)
    }

    /// Capacity consumed so far by this store (and its clones).
    pub fn capacity(&self) -> Capacity {
        self.meter.snapshot()
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Create the table from [`schema::TABLE`] (on-demand capacity, TTL on), if it does not
    /// exist yet. For the local stack, tests and the demo; deployed tables come from
    /// template.yaml, which a test checks against the same definition.
    pub async fn create_table_if_missing(&self) -> Result<(), StoreError> {
        let def = schema::TABLE;
        let key_schema = |partition: &str, sort: &str| {
            [(partition, SdkKeyType::Hash), (sort, SdkKeyType::Range)]
                .into_iter()
                .map(|(name, kind)| KeySchemaElement::builder().attribute_name(name).key_type(kind).build())
                .collect::<Result<Vec<_>, _>>()
        };
        let build_err = |err: aws_sdk_dynamodb::error::BuildError| StoreError::Encode {
            key: self.config.table_name.clone(),
            message: err.to_string(),
        };
        let mut request = self
            .client
            .create_table()
            .table_name(&self.config.table_name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(def.key.partition, def.key.sort).map_err(build_err)?));
        for (name, kind) in def.attributes {
            let kind = match kind {
                KeyType::String => ScalarAttributeType::S,
            };
            request = request.attribute_definitions(
                AttributeDefinition::builder().attribute_name(*name).attribute_type(kind).build().map_err(build_err)?,
            );
        }
        for index in def.indexes {
            let projection = match index.projection {
                Projection::KeysOnly => SdkProjection::builder().projection_type(ProjectionType::KeysOnly).build(),
            };
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(key_schema(index.key.partition, index.key.sort).map_err(build_err)?))
                    .projection(projection)
                    .build()
                    .map_err(build_err)?,
            );
        }
        match request.send().await {
            Ok(_) => {}
            Err(err) if err.as_service_error().and_then(|e| e.code()) == Some("ResourceInUseException") => {
                return Ok(());
            }
            Err(err) => return Err(backend("CreateTable", err)),
        }
        self.client
            .update_time_to_live()
            .table_name(&self.config.table_name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(def.ttl_attribute)
                    .build()
                    .map_err(build_err)?,
            )
            .send()
            .await
            .map_err(|err| backend("UpdateTimeToLive", err))?;
        Ok(())
    }

    /// Drop the table (local demo resets only; nothing in a Lambda calls this).
    pub async fn delete_table_if_exists(&self) -> Result<(), StoreError> {
        match self.client.delete_table().table_name(&self.config.table_name).send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().and_then(|e| e.code()) == Some("ResourceNotFoundException") => Ok(()),
            Err(err) => Err(backend("DeleteTable", err)),
        }
    }

    /// A PutItem without condition (single-writer items: sellers, checkpoints, feedback), metered.
    async fn put_unconditional<T: Serialize>(&self, key: &str, item: &T) -> Result<(), StoreError> {
        let output = self
            .client
            .put_item()
            .table_name(&self.config.table_name)
            .set_item(Some(encode(key, item)?))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|err| backend("PutItem", err))?;
        self.meter.add(output.consumed_capacity(), true);
        Ok(())
    }

    /// A PutItem that expects the item absent or at a version (compare-and-swap).
    async fn put_versioned<T: Serialize>(
        &self,
        key: &str,
        item: &T,
        expect: Expect,
        version: u64,
    ) -> Result<PutOutcome, StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(&self.config.table_name)
            .set_item(Some(encode(key, item)?))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let request = match expect {
            // An item past its TTL that DynamoDB has not deleted yet (the lag is up to two days)
            // is absent for every reader, so it is absent for a first write too. Items without
            // the attribute never compare as expired.
            Expect::Absent => request
                .condition_expression("attribute_not_exists(#pk) OR #exp <= :now")
                .expression_attribute_names("#pk", schema::PARTITION_KEY)
                .expression_attribute_names("#exp", schema::TTL_ATTRIBUTE)
                .expression_attribute_values(":now", AttributeValue::N(self.clock.now().timestamp().to_string())),
            Expect::Version(v) => request
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", schema::VERSION_ATTRIBUTE)
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match request.send().await {
            Ok(output) => {
                self.meter.add(output.consumed_capacity(), true);
                Ok(PutOutcome::Written { version })
            }
            Err(err) if is_conditional_failure(&err) => {
                self.meter.failed_conditional_writes.fetch_add(1, Ordering::Relaxed);
                Ok(PutOutcome::Conflict)
            }
            Err(err) => Err(backend("PutItem", err)),
        }
    }

    async fn count_order(&self, order: &Order) -> Result<(), StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.config.table_name)
            .key(schema::PARTITION_KEY, s(keys::order_days_partition(&order.seller_id, order.marketplace)))
            .key(schema::SORT_KEY, s(keys::day_sort_key(order.purchase_date.date_naive())))
            .update_expression("ADD #n :one SET #ttl = if_not_exists(#ttl, :expires)")
            .expression_attribute_names("#n", "orders")
            .expression_attribute_names("#ttl", schema::TABLE.ttl_attribute)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(
                ":expires",
                AttributeValue::N((order.purchase_date + ORDER_RETENTION).timestamp().to_string()),
            )
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|err| backend("UpdateItem", err))?;
        self.meter.add(output.consumed_capacity(), true);
        Ok(())
    }

    /// Items of partition `pk` whose sort key lies in `from..=to`, oldest first, all pages.
    async fn query_range(&self, pk: String, from: String, to: String) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.config.table_name)
            .key_condition_expression("#p = :p AND #s BETWEEN :from AND :to")
            .expression_attribute_names("#p", schema::PARTITION_KEY)
            .expression_attribute_names("#s", schema::SORT_KEY)
            .expression_attribute_values(":p", s(pk))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to));
        self.query_all(query, None).await
    }

    /// Every item of partition `pk`, all pages.
    async fn query_partition(&self, pk: String, consistent: bool) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.config.table_name)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", schema::PARTITION_KEY)
            .expression_attribute_values(":p", s(pk))
            .consistent_read(consistent);
        self.query_all(query, None).await
    }

    /// A strongly consistent GetItem, metered.
    async fn get_consistent(&self, pk: String, sk: impl Into<String>) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.config.table_name)
            .key(schema::PARTITION_KEY, s(pk))
            .key(schema::SORT_KEY, s(sk))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|err| backend("GetItem", err))?;
        self.meter.add(output.consumed_capacity(), false);
        Ok(output.item)
    }

    /// Run a query and follow `LastEvaluatedKey` until the end, or until `max_items` items.
    async fn query_all(&self, query: QueryFluentBuilder, max_items: Option<usize>) -> Result<Vec<Item>, StoreError> {
        let query = match self.config.page_size {
            Some(size) => query.limit(size),
            None => query,
        };
        let mut pages = query.return_consumed_capacity(ReturnConsumedCapacity::Total).into_paginator().send();
        let mut items = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| backend("Query", err))?;
            self.meter.add(page.consumed_capacity(), false);
            items.extend(page.items.unwrap_or_default());
            if max_items.is_some_and(|max| items.len() >= max) {
                break;
            }
        }
        if let Some(max) = max_items {
            items.truncate(max);
        }
        Ok(items)
    }

    fn order_item(&self, order: &Order, version: u64) -> OrderItem {
        let (due_pk, due_sk) = match order.review_request.next_look_at() {
            Some(at) => (
                Some(keys::due_partition(&order.seller_id, keys::due_shard(&order.order_id, self.config.due_shards))),
                Some(keys::due_sort_key(at, &order.order_id)),
            ),
            None => (None, None),
        };
        OrderItem {
            pk: keys::order_partition(&order.seller_id, &order.order_id),
            sk: keys::ORDER_SORT_KEY.to_string(),
            version,
            due_pk,
            due_sk,
            expires_at: later(order.purchase_date, ORDER_RETENTION).timestamp(),
            order: order.clone(),
        }
    }
}

#[async_trait]
impl OrderRepository for DynamoStore {
    async fn get_order(&self, seller: &SellerId, order: &OrderId) -> Result<Option<Versioned<Order>>, StoreError> {
        let Some(item) = self.get_consistent(keys::order_partition(seller, order), keys::ORDER_SORT_KEY).await? else {
            return Ok(None);
        };
        let stored: OrderItem = decode(item)?;
        // TTL deletion lags by up to two days: an expired item is already gone for us.
        if stored.expires_at <= self.clock.now().timestamp() {
            return Ok(None);
        }
        Ok(Some(Versioned { value: stored.order, version: stored.version }))
    }

    async fn put_order(&self, order: &Order, expect: Expect) -> Result<PutOutcome, StoreError> {
        let version = expect.next_version();
        let item = self.order_item(order, version);
        if item.expires_at <= self.clock.now().timestamp() {
            // Amazon's own ORDER_CHANGE example was bought in 2022: older than the retention, it
            // is written (so its redeliveries are acknowledged) and gone for every reader at once.
            tracing::info!(order = %order.order_id, purchased = %order.purchase_date, "order older than the retention: recorded as already expired");
        }
        let outcome = self.put_versioned(&item.pk, &item, expect, version).await?;
        if expect == Expect::Absent && matches!(outcome, PutOutcome::Written { .. }) {
            // Orders per purchase day, for the ODR. Only the first write of an order counts it.
            // Not in one transaction with the order: a counter item is shared by a whole day's
            // orders and would make concurrent order writes conflict. If this fails the order
            // stays recorded and the day is one order short, which is logged.
            if let Err(err) = self.count_order(order).await {
                tracing::warn!(error = %err, order_day = %order.purchase_date.date_naive(), "order not counted for its day");
            }
        }
        Ok(outcome)
    }
}

#[async_trait]
impl DueReviewRequests for DynamoStore {
    async fn due_review_requests(
        &self,
        seller: &SellerId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError> {
        let mut due = Vec::new();
        for shard in 0..self.config.due_shards.max(1) {
            let query = self
                .client
                .query()
                .table_name(&self.config.table_name)
                .index_name(schema::DUE_INDEX)
                .key_condition_expression("#p = :p AND #s <= :bound")
                .expression_attribute_names("#p", schema::DUE_PARTITION_KEY)
                .expression_attribute_names("#s", schema::DUE_SORT_KEY)
                .expression_attribute_values(":p", s(keys::due_partition(seller, shard)))
                .expression_attribute_values(":bound", s(keys::due_upper_bound(now)));
            for item in self.query_all(query, Some(limit)).await? {
                let entry: DueKeys = decode(item)?;
                due.push(parse_due_entry(seller, &entry)?);
            }
        }
        due.sort_by(|a, b| a.look_at.cmp(&b.look_at).then_with(|| a.order_id.cmp(&b.order_id)));
        due.truncate(limit);
        Ok(due)
    }
}

fn parse_due_entry(seller: &SellerId, entry: &DueKeys) -> Result<DueOrder, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt { key: entry.pk.clone(), message: message.to_string() };
    let (time, order) = entry.due_sk.split_once('#').ok_or_else(|| corrupt("due_sk has no '#'"))?;
    let look_at = DateTime::parse_from_rfc3339(time).map_err(|_| corrupt("due_sk does not start with a time"))?;
    let order_id = OrderId::parse(order).map_err(|err| corrupt(&err.to_string()))?;
    Ok(DueOrder { seller_id: seller.clone(), order_id, look_at: look_at.with_timezone(&Utc) })
}

#[async_trait]
impl SellerDirectory for DynamoStore {
    async fn put_seller(&self, seller: &SellerAccount) -> Result<(), StoreError> {
        let item = SellerItem {
            pk: keys::SELLERS_PARTITION.to_string(),
            sk: keys::seller_sort_key(&seller.seller_id),
            seller: seller.clone(),
        };
        self.put_unconditional(&item.sk, &item).await
    }

    async fn get_seller(&self, seller: &SellerId) -> Result<Option<SellerAccount>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.config.table_name)
            .key(schema::PARTITION_KEY, s(keys::SELLERS_PARTITION))
            .key(schema::SORT_KEY, s(keys::seller_sort_key(seller)))
            .send()
            .await
            .map_err(|err| backend("GetItem", err))?;
        output.item.map(|item| decode::<SellerItem>(item).map(|i| i.seller)).transpose()
    }

    async fn list_sellers(&self) -> Result<Vec<SellerAccount>, StoreError> {
        self.query_partition(keys::SELLERS_PARTITION.to_string(), false)
            .await?
            .into_iter()
            .map(|item| decode::<SellerItem>(item).map(|i| i.seller))
            .collect()
    }
}

#[async_trait]
impl CheckpointStore for DynamoStore {
    async fn get_checkpoint(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        stream: CheckpointStream,
    ) -> Result<Option<SyncCheckpoint>, StoreError> {
        let item = self
            .get_consistent(keys::checkpoint_partition(seller, marketplace), keys::checkpoint_sort_key(stream))
            .await?;
        item.map(|item| decode::<CheckpointItem>(item).map(|i| i.checkpoint)).transpose()
    }

    async fn put_checkpoint(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        stream: CheckpointStream,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), StoreError> {
        let item = CheckpointItem {
            pk: keys::checkpoint_partition(seller, marketplace),
            sk: keys::checkpoint_sort_key(stream),
            checkpoint: checkpoint.clone(),
        };
        self.put_unconditional(&item.pk, &item).await
    }
}

#[async_trait]
impl FeedbackStore for DynamoStore {
    async fn feedback_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<StoredFeedback>, StoreError> {
        self.query_range(
            keys::feedback_partition(seller, marketplace),
            keys::feedback_range_start(from),
            keys::feedback_range_end(to),
        )
        .await?
        .into_iter()
        .map(|item| decode::<FeedbackItem>(item).map(|i| i.stored))
        .collect()
    }

    async fn put_feedback(&self, seller: &SellerId, stored: &StoredFeedback) -> Result<(), StoreError> {
        let item = FeedbackItem {
            pk: keys::feedback_partition(seller, stored.feedback.marketplace),
            sk: keys::feedback_sort_key(stored.feedback.date, &stored.feedback.order_id),
            stored: stored.clone(),
        };
        self.put_unconditional(&item.sk, &item).await
    }
}

#[async_trait]
impl ReportJobs for DynamoStore {
    async fn get_report_job(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        report_type: &str,
    ) -> Result<Option<Versioned<ReportJob>>, StoreError> {
        let item = self
            .get_consistent(keys::report_jobs_partition(seller), keys::report_job_sort_key(report_type, marketplace))
            .await?;
        item.map(|item| decode::<ReportJobItem>(item).map(|i| Versioned { value: i.job, version: i.version }))
            .transpose()
    }

    async fn report_jobs(&self, seller: &SellerId) -> Result<Vec<Versioned<ReportJob>>, StoreError> {
        self.query_partition(keys::report_jobs_partition(seller), true)
            .await?
            .into_iter()
            .map(|item| decode::<ReportJobItem>(item).map(|i| Versioned { value: i.job, version: i.version }))
            .collect()
    }

    async fn put_report_job(
        &self,
        seller: &SellerId,
        job: &ReportJob,
        expect: Expect,
    ) -> Result<PutOutcome, StoreError> {
        let version = expect.next_version();
        let item = ReportJobItem {
            pk: keys::report_jobs_partition(seller),
            sk: keys::report_job_sort_key(&job.report_type, job.marketplace),
            version,
            job: job.clone(),
        };
        self.put_versioned(&item.pk, &item, expect, version).await
    }
}

#[async_trait]
impl RatingStore for DynamoStore {
    async fn get_buckets(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
    ) -> Result<Option<DailyBuckets>, StoreError> {
        let item =
            self.get_consistent(keys::rating_partition(seller, marketplace), keys::RATING_BUCKETS_SORT_KEY).await?;
        item.map(|item| decode::<BucketsItem>(item).map(|i| i.buckets)).transpose()
    }

    async fn put_buckets(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        buckets: &DailyBuckets,
    ) -> Result<(), StoreError> {
        let item = BucketsItem {
            pk: keys::rating_partition(seller, marketplace),
            sk: keys::RATING_BUCKETS_SORT_KEY.to_string(),
            buckets: buckets.clone(),
        };
        self.put_unconditional(&item.pk, &item).await
    }

    async fn latest_snapshot(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: chrono::NaiveDate,
    ) -> Result<Option<RatingSnapshot>, StoreError> {
        // Dates sort below "BUCKETS", so `<= day` never reaches the buckets item.
        let query = self
            .client
            .query()
            .table_name(&self.config.table_name)
            .key_condition_expression("#p = :p AND #s <= :day")
            .expression_attribute_names("#p", schema::PARTITION_KEY)
            .expression_attribute_names("#s", schema::SORT_KEY)
            .expression_attribute_values(":p", s(keys::rating_partition(seller, marketplace)))
            .expression_attribute_values(":day", s(keys::rating_sort_key(day)))
            .scan_index_forward(false)
            .limit(1);
        let output = query
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|err| backend("Query", err))?;
        self.meter.add(output.consumed_capacity(), false);
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|item| decode::<SnapshotItem>(item).map(|i| i.snapshot))
            .transpose()
    }

    async fn snapshots_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<RatingSnapshot>, StoreError> {
        self.query_range(
            keys::rating_partition(seller, marketplace),
            keys::rating_sort_key(from),
            keys::rating_sort_key(to),
        )
        .await?
        .into_iter()
        .map(|item| decode::<SnapshotItem>(item).map(|i| i.snapshot))
        .collect()
    }

    async fn put_snapshot(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        snapshot: &RatingSnapshot,
    ) -> Result<(), StoreError> {
        let item = SnapshotItem {
            pk: keys::rating_partition(seller, marketplace),
            sk: keys::rating_sort_key(snapshot.ratings.as_of),
            snapshot: snapshot.clone(),
        };
        self.put_unconditional(&item.pk, &item).await
    }
}

#[async_trait]
impl OrderVolume for DynamoStore {
    async fn orders_per_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<std::collections::BTreeMap<chrono::NaiveDate, u64>, StoreError> {
        let items = self
            .query_range(
                keys::order_days_partition(seller, marketplace),
                keys::day_sort_key(from),
                keys::day_sort_key(to),
            )
            .await?;
        let mut days = std::collections::BTreeMap::new();
        for item in items {
            let day: OrderDayItem = decode(item)?;
            let date = chrono::NaiveDate::parse_from_str(&day.sk, "%Y-%m-%d")
                .map_err(|err| StoreError::Corrupt { key: day.sk.clone(), message: err.to_string() })?;
            days.insert(date, day.orders);
        }
        Ok(days)
    }
}

/// How long an alert ledger entry is kept: longer than EventBridge retries or redelivers.
const ALERT_LEDGER_RETENTION: Duration = Duration::days(30);
/// How long a claim to send holds. A live holder is done with it within 35 s: the SES send gives
/// up after `alerts::SEND_TIMEOUT` (15 s) and the confirm or release after
/// `aws::OPERATION_TIMEOUT` (10 s), and the claim write itself took at most another 10 s before
/// the lease began counting. So 60 s is never outlived by a live holder (and if a frozen one
/// did, its confirm and release name its claim token and change nothing), and Lambda's first
/// retry, a minute after a failed invocation, finds a dead holder's claim run out.
const ALERT_SEND_LEASE: Duration = Duration::seconds(60);
/// How long digest entries are kept: a weekly digest and its look-back day, with margin.
const DIGEST_LOG_RETENTION: Duration = Duration::days(40);

impl DynamoStore {
    /// A confirm or release of a ledger claim: done, or refused because the claim is no longer
    /// the caller's (its token did not match).
    fn ledger_write<E, R>(
        &self,
        operation: &'static str,
        result: Result<Option<ConsumedCapacity>, SdkError<E, R>>,
    ) -> Result<crate::alerts::LedgerWrite, StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match result {
            Ok(consumed) => {
                self.meter.add(consumed.as_ref(), true);
                Ok(crate::alerts::LedgerWrite::Done)
            }
            Err(err) if is_conditional_failure(&err) => {
                self.meter.failed_conditional_writes.fetch_add(1, Ordering::Relaxed);
                Ok(crate::alerts::LedgerWrite::NotHolder)
            }
            Err(err) => Err(backend(operation, err)),
        }
    }
}

/// The key of the ledger entry for mailing `event_id` to `recipient`.
fn ledger_key(
    seller: &SellerId,
    event_id: &str,
    recipient: &crate::domain::EmailAddress,
) -> std::collections::HashMap<String, AttributeValue> {
    [
        (schema::PARTITION_KEY.to_string(), s(keys::alerts_partition(seller))),
        (schema::SORT_KEY.to_string(), s(keys::alert_sort_key(event_id, recipient.as_str()))),
    ]
    .into()
}

#[derive(Serialize, Deserialize)]
struct DigestItem {
    pk: String,
    sk: String,
    received_at: DateTime<Utc>,
    event_id: String,
    detail_type: String,
    /// The event's detail as JSON text: kept as the producer wrote it.
    detail: String,
    expires_at: i64,
}

#[async_trait]
impl crate::alerts::AlertLedger for DynamoStore {
    async fn claim_alert(
        &self,
        seller: &SellerId,
        event_id: &str,
        recipient: &crate::domain::EmailAddress,
    ) -> Result<crate::alerts::Claim, StoreError> {
        use crate::alerts::Claim;
        #[derive(Serialize)]
        struct LedgerItem {
            pk: String,
            sk: String,
            state: &'static str,
            claim_token: String,
            claimed_at: DateTime<Utc>,
            lease_until: i64,
            expires_at: i64,
        }
        let now = self.clock.now();
        let token = crate::alerts::ClaimToken::new();
        let item = LedgerItem {
            pk: keys::alerts_partition(seller),
            sk: keys::alert_sort_key(event_id, recipient.as_str()),
            state: "sending",
            claim_token: token.0.clone(),
            claimed_at: now,
            lease_until: (now + ALERT_SEND_LEASE).timestamp(),
            expires_at: later(now, ALERT_LEDGER_RETENTION).timestamp(),
        };
        // New, or a claim whose sender died before it could confirm or release.
        let result = self
            .client
            .put_item()
            .table_name(&self.config.table_name)
            .set_item(Some(encode(&item.sk, &item)?))
            .condition_expression("attribute_not_exists(#pk) OR (#state = :sending AND #lease < :now)")
            .expression_attribute_names("#pk", schema::PARTITION_KEY)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#lease", "lease_until")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            // A refused claim says what it found, without a second read.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(output) => {
                self.meter.add(output.consumed_capacity(), true);
                Ok(Claim::Claimed(token))
            }
            Err(err) if is_conditional_failure(&err) => {
                self.meter.failed_conditional_writes.fetch_add(1, Ordering::Relaxed);
                let existing = match err.as_service_error() {
                    Some(PutItemError::ConditionalCheckFailedException(failed)) => failed.item(),
                    _ => None,
                };
                let state = existing.and_then(|i| i.get("state")).and_then(|v| v.as_s().ok());
                // An entry without a state is from before the lease existed: it was sent.
                Ok(if state.map(String::as_str) == Some("sending") { Claim::InFlight } else { Claim::AlreadySent })
            }
            Err(err) => Err(backend("PutItem", err)),
        }
    }

    async fn confirm_alert(
        &self,
        seller: &SellerId,
        event_id: &str,
        recipient: &crate::domain::EmailAddress,
        token: &crate::alerts::ClaimToken,
    ) -> Result<crate::alerts::LedgerWrite, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.config.table_name)
            .set_key(Some(ledger_key(seller, event_id, recipient)))
            .update_expression("SET #state = :sent, sent_at = :at REMOVE lease_until")
            .condition_expression("#token = :token AND #state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#token", "claim_token")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":token", s(token.0.clone()))
            .expression_attribute_values(":at", s(self.clock.now().to_rfc3339()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        self.ledger_write("UpdateItem", result.map(|output| output.consumed_capacity))
    }

    async fn release_alert(
        &self,
        seller: &SellerId,
        event_id: &str,
        recipient: &crate::domain::EmailAddress,
        token: &crate::alerts::ClaimToken,
    ) -> Result<crate::alerts::LedgerWrite, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.config.table_name)
            .set_key(Some(ledger_key(seller, event_id, recipient)))
            .condition_expression("#token = :token AND #state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#token", "claim_token")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":token", s(token.0.clone()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        self.ledger_write("DeleteItem", result.map(|output| output.consumed_capacity))
    }
}

#[async_trait]
impl crate::alerts::DigestLog for DynamoStore {
    async fn log_digest_entry(&self, seller: &SellerId, entry: &crate::alerts::DigestEntry) -> Result<(), StoreError> {
        let detail = serde_json::to_string(&entry.detail)
            .map_err(|err| StoreError::Encode { key: entry.event_id.clone(), message: err.to_string() })?;
        let item = DigestItem {
            pk: keys::digest_partition(seller),
            sk: keys::digest_sort_key(entry.received_at, &entry.event_id),
            received_at: entry.received_at,
            event_id: entry.event_id.clone(),
            detail_type: entry.detail_type.clone(),
            detail,
            expires_at: later(entry.received_at, DIGEST_LOG_RETENTION).timestamp(),
        };
        let output = self
            .client
            .put_item()
            .table_name(&self.config.table_name)
            .set_item(Some(encode(&item.sk, &item)?))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|err| backend("PutItem", err))?;
        self.meter.add(output.consumed_capacity(), true);
        Ok(())
    }

    async fn digest_entries(
        &self,
        seller: &SellerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::alerts::DigestEntry>, StoreError> {
        let now = self.clock.now().timestamp();
        let items = self
            .query_range(keys::digest_partition(seller), keys::digest_time_key(from), keys::digest_time_key(to))
            .await?;
        let mut entries = Vec::with_capacity(items.len());
        for item in items {
            let key = describe_key(&item);
            let item: DigestItem = decode(item)?;
            if item.expires_at <= now {
                continue;
            }
            let detail = serde_json::from_str(&item.detail)
                .map_err(|err| StoreError::Corrupt { key, message: format!("detail: {err}") })?;
            entries.push(crate::alerts::DigestEntry {
                received_at: item.received_at,
                event_id: item.event_id,
                detail_type: item.detail_type,
                detail,
            });
        }
        Ok(entries)
    }
}
