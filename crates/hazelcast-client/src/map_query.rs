//! The map's whole-map operations: size, queries by predicate (values, keys, entries) and
//! indexes.

use hazelcast_protocol::codec::custom::IndexConfig;
use hazelcast_protocol::codec::map::*;
use hazelcast_protocol::data::Data;
use hazelcast_protocol::predicate::Predicate;
use hazelcast_protocol::serialization::ToData;

use crate::error::ClientError;
use crate::map::{IndexType, Map};
use crate::serialize::{Deserialize, Serialize};

impl<K: Serialize + Deserialize, V: Serialize + Deserialize> Map<K, V> {
    /// Number of entries.
    ///
    /// # Errors
    /// Connection, timeout or member errors.
    pub async fn size(&self) -> Result<usize, ClientError> {
        let req = MapSizeRequest {
            name: self.name.as_str(),
        };
        let r = self.any(req.encode(), MapSizeRequest::RETRYABLE).await?;
        Ok(usize::try_from(MapSizeResponse::decode(&r)?.response).unwrap_or(0))
    }

    fn predicate_data(predicate: Option<&Predicate>) -> Result<Option<Data>, ClientError> {
        Ok(match predicate {
            Some(p) => Some(p.to_data()?),
            None => None,
        })
    }

    /// The values, all or those matching `predicate`.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn values(&self, predicate: Option<&Predicate>) -> Result<Vec<V>, ClientError> {
        let list = match Self::predicate_data(predicate)? {
            Some(p) => {
                let req = MapValuesWithPredicateRequest {
                    name: self.name.as_str(),
                    predicate: p,
                };
                let r = self
                    .any(req.encode(), MapValuesWithPredicateRequest::RETRYABLE)
                    .await?;
                MapValuesWithPredicateResponse::decode(&r)?.response
            }
            None => {
                let req = MapValuesRequest {
                    name: self.name.as_str(),
                };
                let r = self.any(req.encode(), MapValuesRequest::RETRYABLE).await?;
                MapValuesResponse::decode(&r)?.response
            }
        };
        let mut out = Vec::with_capacity(list.len());
        for d in &list {
            out.push(self.client.inner.decode(d).await?);
        }
        Ok(out)
    }

    /// The keys, all or those whose entries match `predicate`.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn keys(&self, predicate: Option<&Predicate>) -> Result<Vec<K>, ClientError> {
        let list = match Self::predicate_data(predicate)? {
            Some(p) => {
                let req = MapKeySetWithPredicateRequest {
                    name: self.name.as_str(),
                    predicate: p,
                };
                let r = self
                    .any(req.encode(), MapKeySetWithPredicateRequest::RETRYABLE)
                    .await?;
                MapKeySetWithPredicateResponse::decode(&r)?.response
            }
            None => {
                let req = MapKeySetRequest {
                    name: self.name.as_str(),
                };
                let r = self.any(req.encode(), MapKeySetRequest::RETRYABLE).await?;
                MapKeySetResponse::decode(&r)?.response
            }
        };
        let mut out = Vec::with_capacity(list.len());
        for d in &list {
            out.push(self.client.inner.decode(d).await?);
        }
        Ok(out)
    }

    /// The entries, all or those matching `predicate`.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn entries(&self, predicate: Option<&Predicate>) -> Result<Vec<(K, V)>, ClientError> {
        let list = match Self::predicate_data(predicate)? {
            Some(p) => {
                let req = MapEntriesWithPredicateRequest {
                    name: self.name.as_str(),
                    predicate: p,
                };
                let r = self
                    .any(req.encode(), MapEntriesWithPredicateRequest::RETRYABLE)
                    .await?;
                MapEntriesWithPredicateResponse::decode(&r)?.response
            }
            None => {
                let req = MapEntrySetRequest {
                    name: self.name.as_str(),
                };
                let r = self
                    .any(req.encode(), MapEntrySetRequest::RETRYABLE)
                    .await?;
                MapEntrySetResponse::decode(&r)?.response
            }
        };
        let mut out = Vec::with_capacity(list.len());
        for (k, v) in &list {
            out.push((
                self.client.inner.decode(k).await?,
                self.client.inner.decode(v).await?,
            ));
        }
        Ok(out)
    }

    /// Adds an index over `attributes` (e.g. `["principalName"]`); `name` may be `None`.
    ///
    /// # Errors
    /// Connection, timeout or member errors.
    pub async fn add_index(
        &self,
        index_type: IndexType,
        attributes: &[&str],
        name: Option<&str>,
    ) -> Result<(), ClientError> {
        let req = MapAddIndexRequest {
            name: self.name.as_str(),
            index_config: IndexConfig {
                name: name.map(str::to_owned),
                r#type: index_type.id(),
                attributes: attributes.iter().map(|a| (*a).to_owned()).collect(),
                bitmap_index_options: None,
                b_tree_index_config: None,
            },
        };
        self.any(req.encode(), MapAddIndexRequest::RETRYABLE)
            .await?;
        Ok(())
    }
}
