//! Orders: the order item (with its due-index keys), the due index, and the orders counted per purchase day (from searchOrders).

use super::*;

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

/// A purchase day's orders as counted from searchOrders (`resume`: the next page, while the
/// day is being counted).
#[derive(Serialize, Deserialize)]
struct OrderDayItem {
    pk: String,
    sk: String,
    orders: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resume: Option<String>,
    expires_at: i64,
}

impl OrderDayItem {
    fn day(&self) -> Result<OrderDay, StoreError> {
        let day = chrono::NaiveDate::parse_from_str(&self.sk, "%Y-%m-%d")
            .map_err(|err| StoreError::Corrupt { key: format!("{}/{}", self.pk, self.sk), message: err.to_string() })?;
        Ok(OrderDay { day, orders: self.orders, resume: self.resume.clone() })
    }
}

/// When a per-day item (orders counted, review outcomes) expires: the retention after its day.
fn day_expiry(day: chrono::NaiveDate) -> AttributeValue {
    AttributeValue::N(day_expires_at(day).to_string())
}

/// [`day_expiry`] as the epoch second a serialized item carries.
fn day_expires_at(day: chrono::NaiveDate) -> i64 {
    (day.and_time(chrono::NaiveTime::MIN).and_utc() + ORDER_RETENTION).timestamp()
}

/// Keys of a due-index entry (the index projects keys only).
#[derive(Deserialize)]
struct DueKeys {
    pk: String,
    due_sk: String,
}

impl DynamoStore {
    /// A query on one due-index shard of `seller` (`#p`/`:p` its partition, `#s` the sort key),
    /// to which the caller adds its key condition.
    fn due_shard_query(&self, seller: &SellerId, shard: u16) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.config.table_name)
            .index_name(schema::DUE_INDEX)
            .expression_attribute_names("#p", schema::DUE_PARTITION_KEY)
            .expression_attribute_names("#s", schema::DUE_SORT_KEY)
            .expression_attribute_values(":p", s(keys::due_partition(seller, shard)))
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
        self.put_versioned(&item.pk, &item, expect, version).await
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
                .due_shard_query(seller, shard)
                .key_condition_expression("#p = :p AND #s <= :bound")
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

    async fn count_open(&self, seller: &SellerId, now: DateTime<Utc>) -> Result<OpenCount, StoreError> {
        // One read of each shard's sort keys gives both counts (the index holds keys only).
        let bound = keys::due_upper_bound(now);
        let mut count = OpenCount::default();
        for shard in 0..self.config.due_shards.max(1) {
            let query =
                self.due_shard_query(seller, shard).key_condition_expression("#p = :p").projection_expression("#s");
            for item in self.query_all(query, None).await? {
                count.open += 1;
                if item.get(schema::DUE_SORT_KEY).and_then(|v| v.as_s().ok()).is_some_and(|sk| *sk <= bound) {
                    count.due_now += 1;
                }
            }
        }
        Ok(count)
    }
}

#[derive(Deserialize)]
struct OutcomesItem {
    #[serde(default)]
    sent: u64,
    #[serde(default)]
    sent_earlier: u64,
    #[serde(default)]
    expired: u64,
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, serde_json::Value>,
}

/// The attribute a skip reason is counted in.
fn skipped_attribute(reason: crate::domain::SkipReason) -> String {
    format!("skipped_{}", reason.code())
}

#[async_trait]
impl ReviewOutcomes for DynamoStore {
    async fn add_outcomes(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: chrono::NaiveDate,
        counts: &OutcomeCounts,
    ) -> Result<(), StoreError> {
        let mut adds = vec![
            ("sent".to_string(), counts.sent),
            ("sent_earlier".to_string(), counts.sent_earlier),
            ("expired".to_string(), counts.expired),
        ];
        adds.extend(counts.skipped.iter().map(|(reason, n)| (skipped_attribute(*reason), *n)));
        adds.retain(|(_, n)| *n > 0);
        if adds.is_empty() {
            return Ok(());
        }
        let mut update = self
            .client
            .update_item()
            .table_name(&self.config.table_name)
            .key(schema::PARTITION_KEY, s(keys::review_outcomes_partition(seller, marketplace)))
            .key(schema::SORT_KEY, s(keys::day_sort_key(day)))
            .expression_attribute_names("#ttl", schema::TABLE.ttl_attribute)
            .expression_attribute_values(":expires", day_expiry(day));
        let mut terms = Vec::new();
        for (n, (attribute, count)) in adds.iter().enumerate() {
            terms.push(format!("#a{n} :v{n}"));
            update = update
                .expression_attribute_names(format!("#a{n}"), attribute)
                .expression_attribute_values(format!(":v{n}"), AttributeValue::N(count.to_string()));
        }
        let update =
            update.update_expression(format!("ADD {} SET #ttl = if_not_exists(#ttl, :expires)", terms.join(", ")));
        metered_write!(self, update, "UpdateItem")
    }

    async fn outcomes_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<OutcomeCounts, StoreError> {
        let items = self
            .query_range(
                keys::review_outcomes_partition(seller, marketplace),
                keys::day_sort_key(from),
                keys::day_sort_key(to),
            )
            .await?;
        let mut total = OutcomeCounts::default();
        for item in items {
            let day: OutcomesItem = decode(item)?;
            total.sent += day.sent;
            total.sent_earlier += day.sent_earlier;
            total.expired += day.expired;
            for reason in crate::domain::SkipReason::ALL {
                if let Some(n) = day.rest.get(&skipped_attribute(reason)).and_then(|v| v.as_u64()) {
                    *total.skipped.entry(reason).or_default() += n;
                }
            }
        }
        Ok(total)
    }
}

fn parse_due_entry(seller: &SellerId, entry: &DueKeys) -> Result<DueOrder, StoreError> {
    let (look_at, order_id) = keys::parse_due_sort_key(&entry.due_sk)
        .map_err(|message| StoreError::Corrupt { key: entry.pk.clone(), message: message.to_string() })?;
    Ok(DueOrder { seller_id: seller.clone(), order_id, look_at })
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
                keys::order_count_partition(seller, marketplace),
                keys::day_sort_key(from),
                keys::day_sort_key(to),
            )
            .await?;
        let mut days = std::collections::BTreeMap::new();
        for item in items {
            let day = decode::<OrderDayItem>(item)?.day()?;
            if day.resume.is_none() {
                days.insert(day.day, day.orders);
            }
        }
        Ok(days)
    }

    async fn latest_order_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
    ) -> Result<Option<OrderDay>, StoreError> {
        let query = self
            .query_on(keys::order_count_partition(seller, marketplace))
            .key_condition_expression("#p = :p")
            .scan_index_forward(false)
            .consistent_read(true);
        self.query_first(query).await?.map(|item| decode::<OrderDayItem>(item)?.day()).transpose()
    }

    async fn put_order_day(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        day: &OrderDay,
    ) -> Result<(), StoreError> {
        let item = OrderDayItem {
            pk: keys::order_count_partition(seller, marketplace),
            sk: keys::day_sort_key(day.day),
            orders: day.orders,
            resume: day.resume.clone(),
            expires_at: day_expires_at(day.day),
        };
        self.put_unconditional(&item.pk, &item).await
    }
}
