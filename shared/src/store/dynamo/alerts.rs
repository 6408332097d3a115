//! The alert ledger (a claim per event and recipient, with a lease) and the digest log.

use super::*;
use crate::alerts::{AlertKey, Claim, ClaimToken, LedgerWrite};

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
    ) -> Result<LedgerWrite, StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match result {
            Ok(consumed) => {
                self.meter.add(consumed.as_ref(), true);
                Ok(LedgerWrite::Done)
            }
            Err(err) if is_conditional_failure(&err) => {
                self.meter.failed_conditional_writes.fetch_add(1, Ordering::Relaxed);
                Ok(LedgerWrite::NotHolder)
            }
            Err(err) => Err(backend(operation, err)),
        }
    }
}

/// The condition of a confirm or release: the entry is still being sent under `token`'s claim.
/// (A macro: the update and delete builders are different types with the same methods.)
macro_rules! as_holder {
    ($request:expr, $token:expr) => {
        $request
            .condition_expression("#token = :token AND #state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#token", "claim_token")
            .expression_attribute_values(":sending", s(LedgerState::Sending.as_str()))
            .expression_attribute_values(":token", s($token.0.clone()))
    };
}

/// Where a ledger entry stands: claimed and being sent under a lease, or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum LedgerState {
    Sending,
    Sent,
}

impl LedgerState {
    /// As stored in the item's `state` attribute (and compared in conditions).
    fn as_str(self) -> &'static str {
        match self {
            LedgerState::Sending => "sending",
            LedgerState::Sent => "sent",
        }
    }
}

/// The key of the ledger entry for mailing `event_id` to `recipient`.
fn ledger_key(key: &AlertKey<'_>) -> std::collections::HashMap<String, AttributeValue> {
    [
        (schema::PARTITION_KEY.to_string(), s(keys::alerts_partition(key.seller))),
        (schema::SORT_KEY.to_string(), s(keys::alert_sort_key(key.event_id, key.recipient.as_str()))),
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
    async fn claim_alert(&self, key: &AlertKey<'_>) -> Result<Claim, StoreError> {
        use crate::alerts::Claim;
        #[derive(Serialize)]
        struct LedgerItem {
            pk: String,
            sk: String,
            state: LedgerState,
            claim_token: String,
            claimed_at: DateTime<Utc>,
            lease_until: i64,
            expires_at: i64,
        }
        let now = self.clock.now();
        let token = ClaimToken::new();
        let item = LedgerItem {
            pk: keys::alerts_partition(key.seller),
            sk: keys::alert_sort_key(key.event_id, key.recipient.as_str()),
            state: LedgerState::Sending,
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
            .expression_attribute_values(":sending", s(LedgerState::Sending.as_str()))
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
                let sending = state.map(String::as_str) == Some(LedgerState::Sending.as_str());
                Ok(if sending { Claim::InFlight } else { Claim::AlreadySent })
            }
            Err(err) => Err(backend("PutItem", err)),
        }
    }

    async fn confirm_alert(&self, key: &AlertKey<'_>, token: &ClaimToken) -> Result<LedgerWrite, StoreError> {
        let update = self.client.update_item().table_name(&self.config.table_name).set_key(Some(ledger_key(key)));
        let result = as_holder!(update, token)
            .update_expression("SET #state = :sent, sent_at = :at REMOVE lease_until")
            .expression_attribute_values(":sent", s(LedgerState::Sent.as_str()))
            .expression_attribute_values(":at", s(self.clock.now().to_rfc3339()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        self.ledger_write("UpdateItem", result.map(|output| output.consumed_capacity))
    }

    async fn release_alert(&self, key: &AlertKey<'_>, token: &ClaimToken) -> Result<LedgerWrite, StoreError> {
        let delete = self.client.delete_item().table_name(&self.config.table_name).set_key(Some(ledger_key(key)));
        let result = as_holder!(delete, token).return_consumed_capacity(ReturnConsumedCapacity::Total).send().await;
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
        self.put_unconditional(&item.sk, &item).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_state_is_the_one_conditions_compare() {
        for state in [LedgerState::Sending, LedgerState::Sent] {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
    }
}
