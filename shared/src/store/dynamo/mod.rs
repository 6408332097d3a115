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
    CheckpointKey, CheckpointStore, DueOrder, DueReviewRequests, Expect, FeedbackStore, OpenCount, OrderDay,
    OrderRepository, OrderVolume, OutcomeCounts, PutOutcome, RatingSnapshot, RatingStore, ReportJob, ReportJobs,
    ReviewOutcomes, SellerDirectory, StoreError, StoredFeedback, SyncCheckpoint, Versioned,
};
use crate::domain::ratings::DailyBuckets;
use crate::domain::{Clock, Marketplace, Order, OrderId, SellerAccount, SellerId};

type Item = HashMap<String, AttributeValue>;

/// Send a write that cannot lose a race and add what it consumed to the meter. (A macro: each
/// operation's builder is a type of its own.)
macro_rules! metered_write {
    ($store:expr, $request:expr, $operation:literal) => {{
        let output = $request
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|err| backend($operation, err))?;
        $store.meter.add(output.consumed_capacity(), true);
        Ok(())
    }};
}

mod alerts;
mod feedback;
mod jobs;
mod orders;
mod ratings;
mod sellers;

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

    /// The table this store works on.
    pub fn table_name(&self) -> &str {
        &self.config.table_name
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
        let put = self.client.put_item().table_name(&self.config.table_name).set_item(Some(encode(key, item)?));
        metered_write!(self, put, "PutItem")
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

    /// A query on partition `pk` (`#p = :p`; `#s` names the sort key for the caller's
    /// condition), to which the caller adds its key condition.
    fn query_on(&self, pk: String) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.config.table_name)
            .expression_attribute_names("#p", schema::PARTITION_KEY)
            .expression_attribute_values(":p", s(pk))
    }

    /// Items of partition `pk` whose sort key lies in `from..=to`, oldest first, all pages.
    async fn query_range(&self, pk: String, from: String, to: String) -> Result<Vec<Item>, StoreError> {
        let query = self
            .query_on(pk)
            .key_condition_expression("#p = :p AND #s BETWEEN :from AND :to")
            .expression_attribute_names("#s", schema::SORT_KEY)
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to));
        self.query_all(query, None).await
    }

    /// [`Self::query_range`], each item decoded as `I` and unwrapped by `value`.
    async fn decoded_range<I: DeserializeOwned, T>(
        &self,
        (pk, from, to): (String, String, String),
        value: impl Fn(I) -> T,
    ) -> Result<Vec<T>, StoreError> {
        self.query_range(pk, from, to).await?.into_iter().map(|item| decode::<I>(item).map(&value)).collect()
    }

    /// The first item a query finds (in its sort order), metered.
    async fn query_first(&self, query: QueryFluentBuilder) -> Result<Option<Item>, StoreError> {
        let output = query
            .limit(1)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|err| backend("Query", err))?;
        self.meter.add(output.consumed_capacity(), false);
        Ok(output.items.unwrap_or_default().into_iter().next())
    }

    /// Every item of partition `pk`, all pages.
    async fn query_partition(&self, pk: String, consistent: bool) -> Result<Vec<Item>, StoreError> {
        let query = self.query_on(pk).key_condition_expression("#p = :p").consistent_read(consistent);
        self.query_all(query, None).await
    }

    /// A strongly consistent GetItem, metered.
    async fn get_consistent(&self, pk: String, sk: impl Into<String>) -> Result<Option<Item>, StoreError> {
        self.get_item(pk, sk, true).await
    }

    /// A GetItem, metered; eventually consistent unless `consistent`.
    async fn get_item(&self, pk: String, sk: impl Into<String>, consistent: bool) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.config.table_name)
            .key(schema::PARTITION_KEY, s(pk))
            .key(schema::SORT_KEY, s(sk))
            .consistent_read(consistent)
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
}
