//! The table's shape, as data. The DynamoDB adapter creates tables from it (local stack, tests,
//! demo) and a test checks that `template.yaml` declares exactly the same keys, index and TTL.

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";
/// The sparse, write-sharded index of review requests that are due (or whose lease ends).
pub const DUE_INDEX: &str = "due";
pub const DUE_PARTITION_KEY: &str = "due_pk";
pub const DUE_SORT_KEY: &str = "due_sk";
/// Epoch seconds after which DynamoDB TTL may delete the item. Deletion lags up to ~48 h, so
/// readers also filter on it.
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Optimistic-concurrency version of an item, bumped by every conditional write.
pub const VERSION_ATTRIBUTE: &str = "version";

/// Attribute type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDefinition {
    pub partition: &'static str,
    pub sort: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// Only the keys (and table keys); readers fetch the item itself with a consistent read.
    KeysOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub key: KeyDefinition,
    pub projection: Projection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDefinition {
    pub key: KeyDefinition,
    pub attributes: &'static [(&'static str, KeyType)],
    pub indexes: &'static [IndexDefinition],
    pub ttl_attribute: &'static str,
}

pub const TABLE: TableDefinition = TableDefinition {
    key: KeyDefinition { partition: PARTITION_KEY, sort: SORT_KEY },
    attributes: &[
        (PARTITION_KEY, KeyType::String),
        (SORT_KEY, KeyType::String),
        (DUE_PARTITION_KEY, KeyType::String),
        (DUE_SORT_KEY, KeyType::String),
    ],
    indexes: &[IndexDefinition {
        name: DUE_INDEX,
        key: KeyDefinition { partition: DUE_PARTITION_KEY, sort: DUE_SORT_KEY },
        projection: Projection::KeysOnly,
    }],
    ttl_attribute: TTL_ATTRIBUTE,
};
