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
        let range = (
            keys::feedback_partition(seller, marketplace),
            keys::feedback_range_start(from),
            keys::feedback_range_end(to),
        );
        self.decoded_range(range, |i: FeedbackItem| i.stored).await
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
