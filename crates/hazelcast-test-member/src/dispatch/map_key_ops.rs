//! IMap requests about one key (plus getAll/putAll).

use hazelcast_protocol::codec::custom;
use hazelcast_protocol::codec::map::*;
use hazelcast_protocol::message::Message;

use super::{ConnInfo, Handled, done, plain};
use crate::engine::Engine;
use crate::error::MemberError;

/// IMap operations on one key (and the batch get/put), run on the key's partition.
/// `None`: not one of these.
pub(super) fn handle(c: &ConnInfo<'_>, m: &Message) -> Result<Option<Handled>, MemberError> {
    let engine: &Engine = &c.shared.engine;
    // Key operations run on the partition named in the header, like a real member.
    let keyed = || -> Result<Engine, MemberError> { engine.on_partition(m.partition_id()) };
    Ok(Some(match m.message_type() {
        MapPutRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapPutRequest);
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
            let r = decode!(m, MapPutWithMaxIdleRequest);
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
            let r = decode!(m, MapTryPutRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, -1, -1)?;
            done(MapTryPutResponse { response: true }.encode(), &o)
        }
        MapPutTransientRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapPutTransientRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, r.ttl, -1)?;
            done(MapPutTransientResponse {}.encode(), &o)
        }
        MapPutTransientWithMaxIdleRequest::MESSAGE_TYPE => {
            // putTransient returns nothing to the caller; the response field stays null.
            let r = decode!(m, MapPutTransientWithMaxIdleRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, r.ttl, r.max_idle)?;
            done(
                MapPutTransientWithMaxIdleResponse { response: None }.encode(),
                &o,
            )
        }
        MapSetRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapSetRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, r.ttl, -1)?;
            done(MapSetResponse {}.encode(), &o)
        }
        MapSetWithMaxIdleRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapSetWithMaxIdleRequest);
            let o = keyed()?.set(&r.name, &r.key, &r.value, r.ttl, r.max_idle)?;
            done(MapSetWithMaxIdleResponse { response: None }.encode(), &o)
        }
        MapPutIfAbsentRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapPutIfAbsentRequest);
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
            let r = decode!(m, MapPutIfAbsentWithMaxIdleRequest);
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
            let r = decode!(m, MapGetRequest);
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
            let r = decode!(m, MapGetAllRequest);
            let mut out = Vec::new();
            for k in r.keys {
                if let Some(v) = engine.get(&r.name, &k)?.value {
                    out.push((k, v));
                }
            }
            plain(MapGetAllResponse { response: out }.encode())
        }
        MapPutAllRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapPutAllRequest);
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
            let r = decode!(m, MapContainsKeyRequest);
            let o = keyed()?.contains_key(&r.name, &r.key)?;
            done(MapContainsKeyResponse { response: o.value }.encode(), &o)
        }
        MapReplaceRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapReplaceRequest);
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
            let r = decode!(m, MapReplaceIfSameRequest);
            let o = keyed()?.replace_if_same(&r.name, &r.key, &r.test_value, &r.value)?;
            done(MapReplaceIfSameResponse { response: o.value }.encode(), &o)
        }
        MapRemoveRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapRemoveRequest);
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
            let r = decode!(m, MapRemoveIfSameRequest);
            let o = keyed()?.remove_if_same(&r.name, &r.key, &r.value)?;
            done(MapRemoveIfSameResponse { response: o.value }.encode(), &o)
        }
        MapDeleteRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapDeleteRequest);
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
            let r = decode!(m, MapEvictRequest);
            let o = keyed()?.evict(&r.name, &r.key)?;
            done(MapEvictResponse { response: o.value }.encode(), &o)
        }
        MapSetTtlRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapSetTtlRequest);
            let o = keyed()?.set_ttl(&r.name, &r.key, r.ttl)?;
            done(MapSetTtlResponse { response: o.value }.encode(), &o)
        }
        MapGetEntryViewRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapGetEntryViewRequest);
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
        _ => return Ok(None),
    }))
}
