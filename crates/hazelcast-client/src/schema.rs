//! Compact schemas: sent to the cluster before the data that uses them, fetched when a value
//! refers to an unknown one.

use hazelcast_protocol::codec::client::{
    ClientFetchSchemaRequest, ClientFetchSchemaResponse, ClientSendSchemaRequest,
};
use hazelcast_protocol::codec::custom;
use hazelcast_protocol::compact::Schema;
use hazelcast_protocol::data::Data;
use hazelcast_protocol::serialization::SerializationError;

use crate::error::ClientError;
use crate::serialize::Deserialize;

use crate::client::{Inner, Route};

/// Attempts to fetch missing Compact schemas while decoding one value.
const MAX_SCHEMA_FETCHES: usize = 16;

impl Inner {
    // ---------------------------------------------------------------- Compact schemas

    /// Sends schemas the cluster does not have yet (before data that uses them).
    pub(crate) async fn replicate_schemas(&self) -> Result<(), ClientError> {
        if !self.schemas.has_unreplicated() {
            return Ok(());
        }
        let _g = self.schema_send.lock().await;
        for s in self.schemas.unreplicated() {
            let req = ClientSendSchemaRequest {
                schema: custom::Schema::from(&*s),
            }
            .encode();
            self.invoke(req, Route::Any, true).await?;
            self.schemas.mark_replicated(s.id());
        }
        Ok(())
    }

    /// Deserializes `data`, fetching unknown Compact schemas from the cluster.
    pub(crate) async fn decode<T: Deserialize>(&self, data: &Data) -> Result<T, ClientError> {
        for _ in 0..MAX_SCHEMA_FETCHES {
            match T::from_data(data, &self.schemas) {
                Err(SerializationError::SchemaNotFound(id)) => self.fetch_schema(id).await?,
                other => return other.map_err(ClientError::from),
            }
        }
        Err(ClientError::Serialization(
            SerializationError::InvalidValue("too many unknown nested schemas".into()),
        ))
    }

    pub(crate) async fn fetch_schema(&self, id: i64) -> Result<(), ClientError> {
        let resp = self
            .invoke(
                ClientFetchSchemaRequest { schema_id: id }.encode(),
                Route::Any,
                true,
            )
            .await?;
        let schema = ClientFetchSchemaResponse::decode(&resp)?
            .schema
            .ok_or(SerializationError::SchemaNotFound(id))?;
        let schema = Schema::try_from(&schema)?;
        if schema.id() != id {
            return Err(SerializationError::InvalidValue(format!(
                "fetched schema has id {} instead of {id}",
                schema.id()
            ))
            .into());
        }
        self.schemas.register_replicated(schema)?;
        Ok(())
    }
}
