//! Feedback as stored per seller, marketplace and date.

use super::*;

#[derive(Serialize, Deserialize)]
struct FeedbackItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    stored: StoredFeedback,
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
