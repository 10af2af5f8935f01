//! Authenticated requests: decode with the protocol crate's codecs, run on the engine,
//! encode the response (or the error a real member would send).

use std::sync::Arc;

use hazelcast_protocol::codec::client::*;
use hazelcast_protocol::codec::custom;
use hazelcast_protocol::codec::dynamic_config::*;
use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::codec::map::*;
use hazelcast_protocol::data::Data;
use hazelcast_protocol::error::DecodeError;
use hazelcast_protocol::message::Message;
use tokio::sync::mpsc;
use uuid::Uuid;

use hazelcast_protocol::compact::Schema;

use crate::compact_read::MAX_FIELDS;
use crate::config::{EvictionConfig, IndexConfig, IndexType, MapConfig, WanReplicationRef};
use crate::engine::{Engine, Outcome};
use crate::error::MemberError;
use crate::events::{EntryEvent, ListenerSpec, event_channel};
use crate::query::Predicate;
use crate::server::MemberShared;
use crate::views;

/// Service name of IMap proxies.
pub(crate) const MAP_SERVICE: &str = "hz:impl:mapService";

/// What the connection does with a handled request.
pub(crate) struct Handled {
    /// The response (correlation id set by the caller).
    pub(crate) response: Message,
    /// Members holding synchronous backups of a write (they send backup acks).
    pub(crate) backups: Vec<Uuid>,
    /// Work to start once the response is queued (listener event forwarders).
    pub(crate) then: Option<AfterResponse>,
}

/// Work started after a response, e.g. event forwarding for a new listener.
pub(crate) enum AfterResponse {
    /// Forward cluster views on this connection.
    ClusterViews,
    /// Forward entry events of a registration.
    EntryEvents {
        /// Event receiver.
        rx: mpsc::Receiver<EntryEvent>,
        /// Which listener variant (decides the event message type).
        kind: ListenerKind,
    },
}

/// The addEntryListener variant, which decides the event's message type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ListenerKind {
    Plain,
    ToKey,
    WithPredicate,
    ToKeyWithPredicate,
}

/// Per-connection data the dispatcher needs.
pub(crate) struct ConnInfo<'a> {
    pub(crate) shared: &'a Arc<MemberShared>,
    /// Correlation id of the request being handled.
    pub(crate) correlation_id: i64,
    /// Listener registrations made on this connection.
    pub(crate) registrations: &'a mut Vec<Uuid>,
    /// Set when the client registered its backup listener.
    pub(crate) backup_listener: &'a mut Option<i64>,
}

fn malformed(e: DecodeError) -> MemberError {
    MemberError::Serialization(format!("Malformed client message: {e}"))
}

fn done<T>(response: Message, outcome: &Outcome<T>) -> Handled {
    Handled {
        response,
        backups: outcome.backups.clone(),
        then: None,
    }
}

fn plain(response: Message) -> Handled {
    Handled {
        response,
        backups: Vec::new(),
        then: None,
    }
}

/// The error response a member sends for `err`.
pub(crate) fn error_message(code: i32, class_name: &str, message: &str) -> Message {
    ErrorResponse {
        errors: vec![custom::ErrorHolder {
            error_code: code,
            class_name: class_name.to_string(),
            message: Some(message.to_string()),
            stack_trace_elements: Vec::new(),
        }],
    }
    .encode()
}

/// Converts the wire map config to the engine's.
pub(crate) fn map_config_from(req: &DynamicConfigAddMapConfigRequest) -> MapConfig {
    let mut c = MapConfig::new(req.name.clone());
    c.backup_count = req.backup_count;
    c.async_backup_count = req.async_backup_count;
    c.time_to_live_seconds = req.time_to_live_seconds;
    c.max_idle_seconds = req.max_idle_seconds;
    c.read_backup_data = req.read_backup_data;
    c.cache_deserialized_values = req.cache_deserialized_values.clone();
    c.merge_policy = req.merge_policy.clone();
    c.merge_batch_size = req.merge_batch_size;
    c.in_memory_format = req.in_memory_format.clone();
    c.statistics_enabled = req.statistics_enabled;
    c.metadata_policy = req.metadata_policy;
    c.split_brain_protection_name = req.split_brain_protection_name.clone();
    if let Some(p) = req.per_entry_stats_enabled {
        c.per_entry_stats_enabled = p;
    }
    if let Some(e) = &req.eviction_config {
        c.eviction = EvictionConfig {
            size: e.size,
            max_size_policy: e.max_size_policy.clone(),
            eviction_policy: e.eviction_policy.clone(),
            comparator_class_name: e.comparator_class_name.clone(),
        };
    }
    c.wan_replication_ref = req.wan_replication_ref.as_ref().map(|w| WanReplicationRef {
        name: w.name.clone(),
        merge_policy: w.merge_policy_class_name.clone(),
        filters: w.filters.clone().unwrap_or_default(),
        republishing_enabled: w.republishing_enabled,
    });
    c.indexes = req
        .index_configs
        .iter()
        .flatten()
        .filter_map(index_from)
        .collect();
    c
}

fn index_from(i: &custom::IndexConfig) -> Option<IndexConfig> {
    Some(IndexConfig {
        name: i.name.clone(),
        index_type: IndexType::from_wire(i.r#type)?,
        attributes: i.attributes.clone(),
    })
}

fn schema_from(s: &custom::Schema) -> Result<Schema, MemberError> {
    if s.fields.len() > MAX_FIELDS {
        return Err(MemberError::IllegalArgument(
            "Schema has too many fields".into(),
        ));
    }
    Schema::try_from(s).map_err(|e| MemberError::Serialization(e.to_string()))
}

fn listen(
    c: &mut ConnInfo<'_>,
    spec: ListenerSpec,
    kind: ListenerKind,
) -> (Uuid, Option<AfterResponse>) {
    let (tx, rx) = event_channel();
    let id = c.shared.engine.add_entry_listener(c.shared.uuid, spec, tx);
    c.registrations.push(id);
    (id, Some(AfterResponse::EntryEvents { rx, kind }))
}

fn predicate(d: &Data) -> Result<Predicate, MemberError> {
    Predicate::from_data(d)
}

/// Encodes an entry event for a listener variant.
pub(crate) fn encode_entry_event(kind: ListenerKind, e: EntryEvent) -> Message {
    macro_rules! ev {
        ($t:ident) => {
            $t {
                key: e.key,
                value: e.value,
                old_value: e.old_value,
                merging_value: e.merging_value,
                event_type: e.event_type,
                uuid: e.member,
                number_of_affected_entries: e.affected_entries,
            }
            .encode()
        };
    }
    let mut m = match kind {
        ListenerKind::Plain => ev!(MapAddEntryListenerEntryEvent),
        ListenerKind::ToKey => ev!(MapAddEntryListenerToKeyEntryEvent),
        ListenerKind::WithPredicate => ev!(MapAddEntryListenerWithPredicateEntryEvent),
        ListenerKind::ToKeyWithPredicate => ev!(MapAddEntryListenerToKeyWithPredicateEntryEvent),
    };
    m.set_partition_id(e.partition_id);
    m
}

/// Handles one authenticated request.
///
/// # Errors
/// The member error to send back instead of a response.
pub(crate) fn handle(c: &mut ConnInfo<'_>, m: &Message) -> Result<Handled, MemberError> {
    let engine: &Engine = &c.shared.engine;
    // Key operations run on the partition named in the header, like a real member.
    let keyed = || -> Result<Engine, MemberError> { engine.on_partition(m.partition_id()) };
    macro_rules! decode {
        ($t:ty) => {
            <$t>::decode(m).map_err(malformed)?
        };
    }
    let t = m.message_type();
    Ok(match t {
        ClientPingRequest::MESSAGE_TYPE => plain(ClientPingResponse {}.encode()),
        ClientStatisticsRequest::MESSAGE_TYPE => {
            // Stored by a real member for Management Center; checked for shape here.
            let _ = decode!(ClientStatisticsRequest);
            plain(ClientStatisticsResponse {}.encode())
        }
        ClientAddClusterViewListenerRequest::MESSAGE_TYPE => Handled {
            response: ClientAddClusterViewListenerResponse {}.encode(),
            backups: Vec::new(),
            then: Some(AfterResponse::ClusterViews),
        },
        ClientLocalBackupListenerRequest::MESSAGE_TYPE => {
            *c.backup_listener = Some(c.correlation_id);
            plain(
                ClientLocalBackupListenerResponse {
                    response: Uuid::new_v4(),
                }
                .encode(),
            )
        }
        ClientCreateProxyRequest::MESSAGE_TYPE => {
            let r = decode!(ClientCreateProxyRequest);
            if r.service_name == MAP_SERVICE {
                engine.create_proxy(&r.name);
            }
            plain(ClientCreateProxyResponse {}.encode())
        }
        ClientCreateProxiesRequest::MESSAGE_TYPE => {
            let r = decode!(ClientCreateProxiesRequest);
            for (name, service) in &r.proxies {
                if service == MAP_SERVICE {
                    engine.create_proxy(name);
                }
            }
            plain(ClientCreateProxiesResponse {}.encode())
        }
        ClientDestroyProxyRequest::MESSAGE_TYPE => {
            let r = decode!(ClientDestroyProxyRequest);
            if r.service_name == MAP_SERVICE {
                engine.destroy_proxy(&r.name);
            }
            plain(ClientDestroyProxyResponse {}.encode())
        }
        ClientSendSchemaRequest::MESSAGE_TYPE => {
            let r = decode!(ClientSendSchemaRequest);
            let members = engine.add_schema(schema_from(&r.schema)?)?;
            plain(
                ClientSendSchemaResponse {
                    replicated_members: members,
                }
                .encode(),
            )
        }
        ClientFetchSchemaRequest::MESSAGE_TYPE => {
            let r = decode!(ClientFetchSchemaRequest);
            plain(
                ClientFetchSchemaResponse {
                    schema: engine
                        .schema(r.schema_id)
                        .as_deref()
                        .map(custom::Schema::from),
                }
                .encode(),
            )
        }
        ClientSendAllSchemasRequest::MESSAGE_TYPE => {
            let r = decode!(ClientSendAllSchemasRequest);
            for s in &r.schemas {
                engine.add_schema(schema_from(s)?)?;
            }
            plain(ClientSendAllSchemasResponse {}.encode())
        }
        ClientTriggerPartitionAssignmentRequest::MESSAGE_TYPE => {
            plain(ClientTriggerPartitionAssignmentResponse {}.encode())
        }
        DynamicConfigAddMapConfigRequest::MESSAGE_TYPE => {
            let r = decode!(DynamicConfigAddMapConfigRequest);
            let cfg = map_config_from(&r);
            if let Err(e) = engine.add_map_config(cfg) {
                tracing::error!(map = %r.name, "AddDynamicConfigOperation failed: {e}");
                return Err(e);
            }
            plain(DynamicConfigAddMapConfigResponse {}.encode())
        }
        // ---- IMap: key operations ----
        MapPutRequest::MESSAGE_TYPE => {
            let r = decode!(MapPutRequest);
            let o = keyed()?.put(&r.name, &r.key, &r.value, r.ttl, -1)?;
            done(
                MapPutResponse {
                    response: o.value.clone(),
                }
                .encode(),
                &o,
            )
        }
        MapPutWithMaxIdleRequest::MESSAGE_TYPE => {
            let r = decode!(MapPutWithMaxIdleRequest);
            let o = keyed()?.put(&r.name, &r.key, &r.value, r.ttl, r.max_idle)?;
            done(
                MapPutWithMaxIdleResponse {
                    response: o.value.clone(),
                }
                .encode(),
                &o,
            )
        }
        MapTryPutRequest::MESSAGE_TYPE => {
            let r = decode!(MapTryPutRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, -1, -1)?;
            done(MapTryPutResponse { response: true }.encode(), &o)
        }
        MapPutTransientRequest::MESSAGE_TYPE => {
            let r = decode!(MapPutTransientRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, r.ttl, -1)?;
            done(MapPutTransientResponse {}.encode(), &o)
        }
        MapPutTransientWithMaxIdleRequest::MESSAGE_TYPE => {
            // putTransient returns nothing to the caller; the response field stays null.
            let r = decode!(MapPutTransientWithMaxIdleRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, r.ttl, r.max_idle)?;
            done(
                MapPutTransientWithMaxIdleResponse { response: None }.encode(),
                &o,
            )
        }
        MapSetRequest::MESSAGE_TYPE => {
            let r = decode!(MapSetRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, r.ttl, -1)?;
            done(MapSetResponse {}.encode(), &o)
        }
        MapSetWithMaxIdleRequest::MESSAGE_TYPE => {
            let r = decode!(MapSetWithMaxIdleRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, r.ttl, r.max_idle)?;
            done(MapSetWithMaxIdleResponse { response: None }.encode(), &o)
        }
        MapPutIfAbsentRequest::MESSAGE_TYPE => {
            let r = decode!(MapPutIfAbsentRequest);
            let o = keyed()?.put_if_absent(&r.name, &r.key, &r.value, r.ttl, -1)?;
            done(
                MapPutIfAbsentResponse {
                    response: o.value.clone(),
                }
                .encode(),
                &o,
            )
        }
        MapPutIfAbsentWithMaxIdleRequest::MESSAGE_TYPE => {
            let r = decode!(MapPutIfAbsentWithMaxIdleRequest);
            let o = keyed()?.put_if_absent(&r.name, &r.key, &r.value, r.ttl, r.max_idle)?;
            done(
                MapPutIfAbsentWithMaxIdleResponse {
                    response: o.value.clone(),
                }
                .encode(),
                &o,
            )
        }
        MapGetRequest::MESSAGE_TYPE => {
            let r = decode!(MapGetRequest);
            let o = keyed()?.get(&r.name, &r.key)?;
            done(
                MapGetResponse {
                    response: o.value.clone(),
                }
                .encode(),
                &o,
            )
        }
        MapGetAllRequest::MESSAGE_TYPE => {
            let r = decode!(MapGetAllRequest);
            let mut out = Vec::new();
            for k in r.keys {
                if let Some(v) = engine.get(&r.name, &k)?.value {
                    out.push((k, v));
                }
            }
            plain(MapGetAllResponse { response: out }.encode())
        }
        MapPutAllRequest::MESSAGE_TYPE => {
            let r = decode!(MapPutAllRequest);
            let mut backups = Vec::new();
            for (k, v) in &r.entries {
                let o = engine.set(&r.name, k, v, -1, -1)?;
                backups = o.backups;
            }
            let mut h = plain(MapPutAllResponse {}.encode());
            h.backups = backups;
            h
        }
        MapContainsKeyRequest::MESSAGE_TYPE => {
            let r = decode!(MapContainsKeyRequest);
            let o = keyed()?.contains_key(&r.name, &r.key)?;
            done(MapContainsKeyResponse { response: o.value }.encode(), &o)
        }
        MapReplaceRequest::MESSAGE_TYPE => {
            let r = decode!(MapReplaceRequest);
            let o = keyed()?.replace(&r.name, &r.key, &r.value)?;
            done(
                MapReplaceResponse {
                    response: o.value.clone(),
                }
                .encode(),
                &o,
            )
        }
        MapReplaceIfSameRequest::MESSAGE_TYPE => {
            let r = decode!(MapReplaceIfSameRequest);
            let o = keyed()?.replace_if_same(&r.name, &r.key, &r.test_value, &r.value)?;
            done(MapReplaceIfSameResponse { response: o.value }.encode(), &o)
        }
        MapRemoveRequest::MESSAGE_TYPE => {
            let r = decode!(MapRemoveRequest);
            let o = keyed()?.remove(&r.name, &r.key)?;
            done(
                MapRemoveResponse {
                    response: o.value.clone(),
                }
                .encode(),
                &o,
            )
        }
        MapRemoveIfSameRequest::MESSAGE_TYPE => {
            let r = decode!(MapRemoveIfSameRequest);
            let o = keyed()?.remove_if_same(&r.name, &r.key, &r.value)?;
            done(MapRemoveIfSameResponse { response: o.value }.encode(), &o)
        }
        MapDeleteRequest::MESSAGE_TYPE => {
            let r = decode!(MapDeleteRequest);
            let o = keyed()?.delete(&r.name, &r.key)?;
            done(
                MapDeleteResponse {
                    response: Some(o.value),
                }
                .encode(),
                &o,
            )
        }
        MapEvictRequest::MESSAGE_TYPE => {
            let r = decode!(MapEvictRequest);
            let o = keyed()?.evict(&r.name, &r.key)?;
            done(MapEvictResponse { response: o.value }.encode(), &o)
        }
        MapSetTtlRequest::MESSAGE_TYPE => {
            let r = decode!(MapSetTtlRequest);
            let o = keyed()?.set_ttl(&r.name, &r.key, r.ttl)?;
            done(MapSetTtlResponse { response: o.value }.encode(), &o)
        }
        MapGetEntryViewRequest::MESSAGE_TYPE => {
            let r = decode!(MapGetEntryViewRequest);
            let o = keyed()?.get_entry_view(&r.name, &r.key)?;
            let max_idle = o.value.as_ref().map_or(0, |v| v.max_idle);
            let view = o.value.map(|v| custom::SimpleEntryView {
                key: v.key,
                value: v.value,
                cost: v.cost,
                creation_time: v.creation_time,
                expiration_time: v.expiration_time,
                hits: v.hits,
                last_access_time: v.last_access_time,
                last_stored_time: v.last_stored_time,
                last_update_time: v.last_update_time,
                version: v.version,
                ttl: v.ttl,
                max_idle: v.max_idle,
            });
            plain(
                MapGetEntryViewResponse {
                    response: view,
                    max_idle,
                }
                .encode(),
            )
        }
        // ---- IMap: map-wide operations ----
        MapSizeRequest::MESSAGE_TYPE => {
            let r = decode!(MapSizeRequest);
            plain(
                MapSizeResponse {
                    response: engine.size(&r.name),
                }
                .encode(),
            )
        }
        MapIsEmptyRequest::MESSAGE_TYPE => {
            let r = decode!(MapIsEmptyRequest);
            plain(
                MapIsEmptyResponse {
                    response: engine.size(&r.name) == 0,
                }
                .encode(),
            )
        }
        MapClearRequest::MESSAGE_TYPE => {
            let r = decode!(MapClearRequest);
            engine.clear(&r.name, c.shared.uuid);
            plain(MapClearResponse {}.encode())
        }
        MapEvictAllRequest::MESSAGE_TYPE => {
            let r = decode!(MapEvictAllRequest);
            engine.evict_all(&r.name, c.shared.uuid);
            plain(MapEvictAllResponse {}.encode())
        }
        // No map store exists here, so there is nothing to flush or load.
        MapFlushRequest::MESSAGE_TYPE => plain(MapFlushResponse {}.encode()),
        MapLoadAllRequest::MESSAGE_TYPE => plain(MapLoadAllResponse {}.encode()),
        MapLoadGivenKeysRequest::MESSAGE_TYPE => plain(MapLoadGivenKeysResponse {}.encode()),
        MapTryRemoveRequest::MESSAGE_TYPE => {
            // Without locks a key is never held by another owner: this never waits.
            let r = decode!(MapTryRemoveRequest);
            let o = keyed()?.remove(&r.name, &r.key)?;
            done(
                MapTryRemoveResponse {
                    response: o.value.is_some(),
                }
                .encode(),
                &o,
            )
        }
        MapContainsValueRequest::MESSAGE_TYPE => {
            let r = decode!(MapContainsValueRequest);
            let found = engine
                .entries(&r.name, None)?
                .iter()
                .any(|(_, v)| v.as_bytes().get(4..) == r.value.as_bytes().get(4..));
            plain(MapContainsValueResponse { response: found }.encode())
        }
        MapKeySetRequest::MESSAGE_TYPE => {
            let r = decode!(MapKeySetRequest);
            let keys = engine.entries(&r.name, None)?.into_iter().map(|(k, _)| k);
            plain(
                MapKeySetResponse {
                    response: keys.collect(),
                }
                .encode(),
            )
        }
        MapValuesRequest::MESSAGE_TYPE => {
            let r = decode!(MapValuesRequest);
            let vals = engine.entries(&r.name, None)?.into_iter().map(|(_, v)| v);
            plain(
                MapValuesResponse {
                    response: vals.collect(),
                }
                .encode(),
            )
        }
        MapEntrySetRequest::MESSAGE_TYPE => {
            let r = decode!(MapEntrySetRequest);
            let e = engine.entries(&r.name, None)?;
            plain(MapEntrySetResponse { response: e }.encode())
        }
        MapKeySetWithPredicateRequest::MESSAGE_TYPE => {
            let r = decode!(MapKeySetWithPredicateRequest);
            let p = predicate(&r.predicate)?;
            let keys = engine
                .entries(&r.name, Some(&p))?
                .into_iter()
                .map(|(k, _)| k);
            plain(
                MapKeySetWithPredicateResponse {
                    response: keys.collect(),
                }
                .encode(),
            )
        }
        MapValuesWithPredicateRequest::MESSAGE_TYPE => {
            let r = decode!(MapValuesWithPredicateRequest);
            let p = predicate(&r.predicate)?;
            let vals = engine
                .entries(&r.name, Some(&p))?
                .into_iter()
                .map(|(_, v)| v);
            plain(
                MapValuesWithPredicateResponse {
                    response: vals.collect(),
                }
                .encode(),
            )
        }
        MapEntriesWithPredicateRequest::MESSAGE_TYPE => {
            let r = decode!(MapEntriesWithPredicateRequest);
            let p = predicate(&r.predicate)?;
            let e = engine.entries(&r.name, Some(&p))?;
            plain(MapEntriesWithPredicateResponse { response: e }.encode())
        }
        MapRemoveAllRequest::MESSAGE_TYPE => {
            let r = decode!(MapRemoveAllRequest);
            let p = predicate(&r.predicate)?;
            for (k, _) in engine.entries(&r.name, Some(&p))? {
                engine.delete(&r.name, &k)?;
            }
            plain(MapRemoveAllResponse {}.encode())
        }
        MapAddIndexRequest::MESSAGE_TYPE => {
            let r = decode!(MapAddIndexRequest);
            let idx = index_from(&r.index_config).ok_or_else(|| {
                MemberError::IllegalArgument(format!(
                    "Unsupported index type: {}",
                    r.index_config.r#type
                ))
            })?;
            engine.add_index(&r.name, idx)?;
            plain(MapAddIndexResponse {}.encode())
        }
        // ---- IMap: listeners ----
        MapAddEntryListenerRequest::MESSAGE_TYPE => {
            let r = decode!(MapAddEntryListenerRequest);
            let spec = ListenerSpec {
                map: r.name,
                flags: r.listener_flags,
                include_value: r.include_value,
                local_only: r.local_only,
                key: None,
                predicate: None,
            };
            let (id, then) = listen(c, spec, ListenerKind::Plain);
            Handled {
                response: MapAddEntryListenerResponse { response: id }.encode(),
                backups: Vec::new(),
                then,
            }
        }
        MapAddEntryListenerToKeyRequest::MESSAGE_TYPE => {
            let r = decode!(MapAddEntryListenerToKeyRequest);
            let spec = ListenerSpec {
                map: r.name,
                flags: r.listener_flags,
                include_value: r.include_value,
                local_only: r.local_only,
                key: Some(r.key),
                predicate: None,
            };
            let (id, then) = listen(c, spec, ListenerKind::ToKey);
            Handled {
                response: MapAddEntryListenerToKeyResponse { response: id }.encode(),
                backups: Vec::new(),
                then,
            }
        }
        MapAddEntryListenerWithPredicateRequest::MESSAGE_TYPE => {
            let r = decode!(MapAddEntryListenerWithPredicateRequest);
            let spec = ListenerSpec {
                map: r.name,
                flags: r.listener_flags,
                include_value: r.include_value,
                local_only: r.local_only,
                key: None,
                predicate: Some(predicate(&r.predicate)?),
            };
            let (id, then) = listen(c, spec, ListenerKind::WithPredicate);
            Handled {
                response: MapAddEntryListenerWithPredicateResponse { response: id }.encode(),
                backups: Vec::new(),
                then,
            }
        }
        MapAddEntryListenerToKeyWithPredicateRequest::MESSAGE_TYPE => {
            let r = decode!(MapAddEntryListenerToKeyWithPredicateRequest);
            let spec = ListenerSpec {
                map: r.name,
                flags: r.listener_flags,
                include_value: r.include_value,
                local_only: r.local_only,
                key: Some(r.key),
                predicate: Some(predicate(&r.predicate)?),
            };
            let (id, then) = listen(c, spec, ListenerKind::ToKeyWithPredicate);
            Handled {
                response: MapAddEntryListenerToKeyWithPredicateResponse { response: id }.encode(),
                backups: Vec::new(),
                then,
            }
        }
        MapRemoveEntryListenerRequest::MESSAGE_TYPE => {
            let r = decode!(MapRemoveEntryListenerRequest);
            let removed = engine.remove_entry_listener(r.registration_id);
            c.registrations.retain(|id| *id != r.registration_id);
            plain(MapRemoveEntryListenerResponse { response: removed }.encode())
        }
        _ => {
            // A message the protocol knows but this member does not implement (locks, entry
            // processors, aggregations, paging, journals): say so instead of pretending.
            if let Some(info) = hazelcast_protocol::codec::request_info(t) {
                return Err(MemberError::Unsupported(format!(
                    "hazelcast-test-member does not implement {} (type: 0x{t:x})",
                    info.name
                )));
            }
            return Err(MemberError::Unsupported(format!(
                "Unrecognized client message received with type: 0x{t:x}"
            )));
        }
    })
}

/// The cluster-view events for this member's current view.
pub(crate) fn view_events(shared: &MemberShared) -> (Message, Message) {
    views::events(&shared.engine)
}
