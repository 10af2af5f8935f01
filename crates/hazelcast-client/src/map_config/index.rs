//! [`IndexConfig`]: an index created with a map, and the names of [`IndexType`]s.

use hazelcast_protocol::codec::custom;

use crate::map::IndexType;

impl IndexType {
    /// Every index type.
    pub const ALL: [IndexType; 3] = [IndexType::Sorted, IndexType::Hash, IndexType::Bitmap];

    /// The YAML and Java name (`SORTED`, `HASH`, `BITMAP`).
    pub fn name(self) -> &'static str {
        match self {
            IndexType::Sorted => "SORTED",
            IndexType::Hash => "HASH",
            IndexType::Bitmap => "BITMAP",
        }
    }

    /// The type with this YAML and Java name, if any.
    ///
    /// ```
    /// use hazelcast_client::IndexType;
    /// assert_eq!(IndexType::from_name("HASH"), Some(IndexType::Hash));
    /// assert_eq!(IndexType::from_name("hash"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The type with this protocol ordinal (members only send 0–2; others read as HASH).
    fn from_id(id: i32) -> Self {
        Self::ALL
            .into_iter()
            .find(|t| t.id() == id)
            .unwrap_or(IndexType::Hash)
    }
}

/// An index created with the map (Java's `IndexConfig`: type, attributes, optional name).
///
/// ```
/// use hazelcast_client::{IndexConfig, IndexType};
/// let index = IndexConfig::new(IndexType::Hash, ["principalName"]).with_name("by-principal");
/// assert_eq!(index.attributes, ["principalName"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexConfig {
    /// Index type.
    pub index_type: IndexType,
    /// Indexed attributes (`name`, `address.city`, or a Compact field name).
    pub attributes: Vec<String>,
    /// Optional name (the member derives one when absent).
    pub name: Option<String>,
}

impl IndexConfig {
    /// An unnamed index.
    pub fn new(
        index_type: IndexType,
        attributes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            index_type,
            attributes: attributes.into_iter().map(Into::into).collect(),
            name: None,
        }
    }

    /// Names the index.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The protocol's form.
    pub(super) fn to_wire(&self) -> custom::IndexConfig {
        custom::IndexConfig {
            name: self.name.clone(),
            r#type: self.index_type.id(),
            attributes: self.attributes.clone(),
            bitmap_index_options: None,
            b_tree_index_config: None,
        }
    }

    /// From the protocol's form.
    pub(super) fn from_wire(i: &custom::IndexConfig) -> Self {
        Self {
            index_type: IndexType::from_id(i.r#type),
            attributes: i.attributes.clone(),
            name: i.name.clone(),
        }
    }
}
