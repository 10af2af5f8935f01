//! Conversion between [`Schema`] and the protocol's plain schema structs
//! ([`codec::custom::Schema`](crate::codec::custom::Schema)) used by `Client.SendSchema`,
//! `Client.FetchSchema` and `Client.SendAllSchemas`.

use std::sync::Arc;

use super::kind::FieldKind;
use super::registry::SchemaRegistry;
use super::schema::{FieldDescriptor, Schema};
use crate::codec::custom;
use crate::serialization::SerializationError;

impl From<&Schema> for custom::Schema {
    fn from(s: &Schema) -> Self {
        custom::Schema {
            type_name: s.type_name().to_owned(),
            fields: s
                .fields()
                .iter()
                .map(|f| custom::FieldDescriptor {
                    field_name: f.name.clone(),
                    kind: f.kind.id(),
                })
                .collect(),
        }
    }
}

impl TryFrom<&custom::Schema> for Schema {
    type Error = SerializationError;

    /// Builds the schema (its id is recomputed from the fields).
    fn try_from(s: &custom::Schema) -> Result<Self, Self::Error> {
        let fields = s
            .fields
            .iter()
            .map(|f| {
                FieldKind::from_id(f.kind)
                    .map(|k| FieldDescriptor::new(f.field_name.clone(), k))
                    .ok_or(SerializationError::UnsupportedFieldKind(f.kind))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Schema::new(s.type_name.clone(), fields)
    }
}

impl SchemaRegistry {
    /// Registers a schema received from the cluster (`Client.FetchSchema`'s answer) as
    /// replicated, checking that it has the id that was asked for.
    ///
    /// # Errors
    /// Unknown field kinds, duplicate fields, an id other than `expected_id`, or a conflict
    /// with a registered schema.
    pub fn register_fetched(
        &self,
        expected_id: i64,
        schema: &custom::Schema,
    ) -> Result<Arc<Schema>, SerializationError> {
        let s = Schema::try_from(schema)?;
        if s.id() != expected_id {
            return Err(SerializationError::SchemaConflict(expected_id));
        }
        self.register_replicated(s)
    }

    /// The schemas still to send to the cluster, as protocol structs.
    pub fn unreplicated_wire(&self) -> Vec<(i64, custom::Schema)> {
        self.unreplicated()
            .iter()
            .map(|s| (s.id(), custom::Schema::from(&**s)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_the_protocol_struct() {
        let s = Schema::new(
            "Demo",
            vec![
                FieldDescriptor::new("n", FieldKind::Int32),
                FieldDescriptor::new("principalName", FieldKind::String),
            ],
        )
        .expect("valid");
        let wire = custom::Schema::from(&s);
        assert_eq!(wire.type_name, "Demo");
        assert_eq!(wire.fields[0].field_name, "n");
        assert_eq!(wire.fields[0].kind, 9);
        assert_eq!(wire.fields[1].kind, 17);
        assert_eq!(Schema::try_from(&wire).expect("valid"), s);

        let registry = SchemaRegistry::new();
        assert!(registry.register_fetched(1, &wire).is_err());
        let got = registry.register_fetched(s.id(), &wire).expect("registers");
        assert!(registry.is_replicated(got.id()));

        let mut bad = wire.clone();
        bad.fields[0].kind = 5; // CHAR: not supported by Compact
        assert!(matches!(
            Schema::try_from(&bad),
            Err(SerializationError::UnsupportedFieldKind(5))
        ));
    }
}
