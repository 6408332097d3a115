//! Daily rating buckets and rating snapshots.

use super::*;

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
            .query_on(keys::rating_partition(seller, marketplace))
            .key_condition_expression("#p = :p AND #s <= :day")
            .expression_attribute_names("#s", schema::SORT_KEY)
            .expression_attribute_values(":day", s(keys::rating_sort_key(day)))
            .scan_index_forward(false);
        self.query_first(query).await?.map(|item| decode::<SnapshotItem>(item).map(|i| i.snapshot)).transpose()
    }

    async fn snapshots_between(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<RatingSnapshot>, StoreError> {
        let range =
            (keys::rating_partition(seller, marketplace), keys::rating_sort_key(from), keys::rating_sort_key(to));
        self.decoded_range(range, |i: SnapshotItem| i.snapshot).await
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
