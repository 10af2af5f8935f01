//! The schema registry: every schema this process has written or read, and which of them
//! the cluster already has.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use super::kind::FieldKind;
use super::schema::Schema;
use crate::serialization::SerializationError;

#[derive(Debug)]
struct Entry {
    schema: Arc<Schema>,
    replicated: bool,
}

/// Most field lists cached per registry (types times write orders); beyond, records are laid
/// out without the cache, as correct and a little slower.
const MAX_CACHED_LAYOUTS: usize = 1024;

/// The schema of a record type written with one list of fields, and the order of its
/// fields in the schema, so that the writer sorts and fingerprints each type only once.
#[derive(Debug)]
pub(crate) struct CachedLayout {
    /// Field names and kinds in write order.
    pub(crate) fields: Box<[(Box<str>, FieldKind)]>,
    /// The schema.
    pub(crate) schema: Arc<Schema>,
    /// `order[i]`: the write position of schema field `i`.
    pub(crate) order: Box<[usize]>,
}

/// A thread-safe map from schema id to [`Schema`], tracking replication to the cluster.
///
/// Writers register the schemas they use as *not replicated*; the client sends those
/// (`Client.SendSchema`) before sending data that uses them, then calls
/// [`mark_replicated`](Self::mark_replicated). Schemas fetched from the cluster are
/// registered as replicated. After connecting to another cluster, call
/// [`mark_all_unreplicated`](Self::mark_all_unreplicated) and send them all again.
#[derive(Debug)]
pub struct SchemaRegistry {
    map: RwLock<HashMap<i64, Entry>>,
    unreplicated: AtomicUsize,
    limit: usize,
    layouts: RwLock<HashMap<Box<str>, Vec<Arc<CachedLayout>>>>,
    cached_layouts: AtomicUsize,
}

impl Default for SchemaRegistry {
    fn default() -> Self {
        Self::with_limit(usize::MAX)
    }
}

impl SchemaRegistry {
    /// An empty registry without a size limit (for a client, whose schemas come from its
    /// own types and from the cluster).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty registry holding at most `max_schemas` schemas, for a server that registers
    /// schemas sent by untrusted peers.
    pub fn with_limit(max_schemas: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            unreplicated: AtomicUsize::new(0),
            limit: max_schemas,
            layouts: RwLock::new(HashMap::new()),
            cached_layouts: AtomicUsize::new(0),
        }
    }

    /// The cached layout of `type_name` whose write-order fields `matches` accepts.
    pub(crate) fn cached_layout(
        &self,
        type_name: &str,
        matches: impl Fn(&[(Box<str>, FieldKind)]) -> bool,
    ) -> Option<Arc<CachedLayout>> {
        self.layouts
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(type_name)?
            .iter()
            .find(|l| matches(&l.fields))
            .cloned()
    }

    /// Caches a layout (unless the cache is full) and returns it.
    pub(crate) fn cache_layout(&self, type_name: &str, layout: CachedLayout) -> Arc<CachedLayout> {
        let layout = Arc::new(layout);
        if self.cached_layouts.load(Ordering::Relaxed) < MAX_CACHED_LAYOUTS {
            let mut map = self.layouts.write().unwrap_or_else(PoisonError::into_inner);
            let list = map.entry(Box::from(type_name)).or_default();
            if !list.iter().any(|l| l.fields == layout.fields) {
                list.push(Arc::clone(&layout));
                self.cached_layouts.fetch_add(1, Ordering::Relaxed);
            }
        }
        layout
    }

    /// The schema with this id.
    pub fn get(&self, id: i64) -> Option<Arc<Schema>> {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .map(|e| Arc::clone(&e.schema))
    }

    fn insert(&self, schema: Schema, replicated: bool) -> Result<Arc<Schema>, SerializationError> {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = map.get_mut(&schema.id()) {
            if *e.schema != schema {
                return Err(SerializationError::SchemaConflict(schema.id()));
            }
            if replicated && !e.replicated {
                e.replicated = true;
                self.unreplicated.fetch_sub(1, Ordering::Relaxed);
            }
            return Ok(Arc::clone(&e.schema));
        }
        if map.len() >= self.limit {
            return Err(SerializationError::TooManySchemas(self.limit));
        }
        let schema = Arc::new(schema);
        if !replicated {
            self.unreplicated.fetch_add(1, Ordering::Relaxed);
        }
        map.insert(
            schema.id(),
            Entry {
                schema: Arc::clone(&schema),
                replicated,
            },
        );
        Ok(schema)
    }

    /// Registers a schema this process uses, not yet known to be on the cluster.
    /// Registering an equal schema again returns the existing one.
    ///
    /// # Errors
    /// [`SerializationError::SchemaConflict`] when another schema has the same id;
    /// [`SerializationError::TooManySchemas`] when the registry is full.
    pub fn register(&self, schema: Schema) -> Result<Arc<Schema>, SerializationError> {
        self.insert(schema, false)
    }

    /// Registers a schema that the cluster already has (e.g. from `Client.FetchSchema`).
    ///
    /// # Errors
    /// [`SerializationError::SchemaConflict`] when another schema has the same id;
    /// [`SerializationError::TooManySchemas`] when the registry is full.
    pub fn register_replicated(&self, schema: Schema) -> Result<Arc<Schema>, SerializationError> {
        self.insert(schema, true)
    }

    /// Whether the cluster is known to have this schema.
    pub fn is_replicated(&self, id: i64) -> bool {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .is_some_and(|e| e.replicated)
    }

    /// Records that the cluster has the schema. Unknown ids are ignored.
    pub fn mark_replicated(&self, id: i64) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = map.get_mut(&id)
            && !e.replicated
        {
            e.replicated = true;
            self.unreplicated.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Forgets replication state, e.g. after switching to another cluster.
    pub fn mark_all_unreplicated(&self) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        for e in map.values_mut() {
            e.replicated = false;
        }
        self.unreplicated.store(map.len(), Ordering::Relaxed);
    }

    /// Whether some schema still has to be sent to the cluster (one atomic load).
    pub fn has_unreplicated(&self) -> bool {
        self.unreplicated.load(Ordering::Relaxed) > 0
    }

    /// The schemas not yet sent to the cluster, in id order.
    pub fn unreplicated(&self) -> Vec<Arc<Schema>> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<_> = map
            .values()
            .filter(|e| !e.replicated)
            .map(|e| Arc::clone(&e.schema))
            .collect();
        v.sort_by_key(|s| s.id());
        v
    }

    /// Every registered schema, in id order (for `Client.SendAllSchemas`).
    pub fn all(&self) -> Vec<Arc<Schema>> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<_> = map.values().map(|e| Arc::clone(&e.schema)).collect();
        v.sort_by_key(|s| s.id());
        v
    }

    /// Number of registered schemas.
    pub fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no schema is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact::{FieldDescriptor, FieldKind};

    fn schema(kind: FieldKind) -> Schema {
        Schema::new("T", vec![FieldDescriptor::new("x", kind)]).expect("valid")
    }

    #[test]
    fn replication_tracking() {
        let r = SchemaRegistry::new();
        let a = r.register(schema(FieldKind::Int32)).expect("new");
        let b = r
            .register_replicated(schema(FieldKind::Int64))
            .expect("new");
        assert_eq!(r.len(), 2);
        assert!(r.has_unreplicated());
        assert_eq!(r.unreplicated(), vec![Arc::clone(&a)]);
        r.mark_replicated(a.id());
        assert!(!r.has_unreplicated());
        assert!(r.is_replicated(b.id()));
        r.register(schema(FieldKind::Int32))
            .expect("same schema again");
        assert!(!r.has_unreplicated());
        r.mark_all_unreplicated();
        assert_eq!(r.unreplicated().len(), 2);
        r.register_replicated(schema(FieldKind::Int32))
            .expect("fetched");
        assert_eq!(r.unreplicated().len(), 1);
    }

    #[test]
    fn limit_bounds_the_registry() {
        let r = SchemaRegistry::with_limit(1);
        r.register(schema(FieldKind::Int32)).expect("first");
        r.register(schema(FieldKind::Int32)).expect("same again");
        assert!(matches!(
            r.register(schema(FieldKind::Int64)),
            Err(SerializationError::TooManySchemas(1))
        ));
        assert_eq!(r.len(), 1);
    }
}
