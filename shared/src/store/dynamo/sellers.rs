//! Seller accounts and the reconciliation checkpoints.

use super::*;

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
        // Eventually consistent, as before: settings changes may take a second to be seen.
        let item = self.get_item(keys::SELLERS_PARTITION.to_string(), keys::seller_sort_key(seller), false).await?;
        item.map(|item| decode::<SellerItem>(item).map(|i| i.seller)).transpose()
    }

    async fn list_sellers(&self) -> Result<Vec<SellerAccount>, StoreError> {
        self.query_partition(keys::SELLERS_PARTITION.to_string(), false)
            .await?
            .into_iter()
            .map(|item| decode::<SellerItem>(item).map(|i| i.seller))
            .collect()
    }

    async fn delete_seller(&self, seller: &SellerId) -> Result<(), StoreError> {
        let delete = self
            .client
            .delete_item()
            .table_name(&self.config.table_name)
            .key(schema::PARTITION_KEY, s(keys::SELLERS_PARTITION.to_string()))
            .key(schema::SORT_KEY, s(keys::seller_sort_key(seller)));
        metered_write!(self, delete, "DeleteItem")
    }
}

#[async_trait]
impl CheckpointStore for DynamoStore {
    async fn get_checkpoint(&self, key: &CheckpointKey) -> Result<Option<SyncCheckpoint>, StoreError> {
        let (pk, sk) =
            (keys::checkpoint_partition(&key.seller, key.marketplace), keys::checkpoint_sort_key(key.stream));
        let item = self.get_consistent(pk, sk).await?;
        item.map(|item| decode::<CheckpointItem>(item).map(|i| i.checkpoint)).transpose()
    }

    async fn put_checkpoint(&self, key: &CheckpointKey, checkpoint: &SyncCheckpoint) -> Result<(), StoreError> {
        let item = CheckpointItem {
            pk: keys::checkpoint_partition(&key.seller, key.marketplace),
            sk: keys::checkpoint_sort_key(key.stream),
            checkpoint: checkpoint.clone(),
        };
        self.put_unconditional(&item.pk, &item).await
    }
}
