//! IMap requests about the whole map: sizes, clearing, queries and indexes.

use hazelcast_protocol::codec::map::*;
use hazelcast_protocol::message::Message;

use super::wire::{index_from, predicate};
use super::{ConnInfo, Handled, done, plain};
use crate::engine::Engine;
use crate::error::MemberError;

/// IMap operations on the whole map: size, clear, eviction, key/value/entry sets with
/// or without a predicate, indexes. `None`: not one of these.
pub(super) fn handle(c: &ConnInfo<'_>, m: &Message) -> Result<Option<Handled>, MemberError> {
    let engine: &Engine = &c.shared.engine;
    // Key operations run on the partition named in the header, like a real member.
    let keyed = || -> Result<Engine, MemberError> { engine.on_partition(m.partition_id()) };
    Ok(Some(match m.message_type() {
        MapSizeRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapSizeRequest);
            plain(
                MapSizeResponse {
                    response: engine.size(&r.name),
                }
                .encode(),
            )
        }
        MapIsEmptyRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapIsEmptyRequest);
            plain(
                MapIsEmptyResponse {
                    response: engine.size(&r.name) == 0,
                }
                .encode(),
            )
        }
        MapClearRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapClearRequest);
            engine.clear(&r.name, c.shared.uuid);
            plain(MapClearResponse {}.encode())
        }
        MapEvictAllRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapEvictAllRequest);
            engine.evict_all(&r.name, c.shared.uuid);
            plain(MapEvictAllResponse {}.encode())
        }
        // No map store exists here, so there is nothing to flush or load.
        MapFlushRequest::MESSAGE_TYPE => plain(MapFlushResponse {}.encode()),
        MapLoadAllRequest::MESSAGE_TYPE => plain(MapLoadAllResponse {}.encode()),
        MapLoadGivenKeysRequest::MESSAGE_TYPE => plain(MapLoadGivenKeysResponse {}.encode()),
        MapTryRemoveRequest::MESSAGE_TYPE => {
            // Without locks a key is never held by another owner: this never waits.
            let r = decode!(m, MapTryRemoveRequest);
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
            let r = decode!(m, MapContainsValueRequest);
            let found = engine
                .entries(&r.name, None)?
                .iter()
                .any(|(_, v)| v.as_bytes().get(4..) == r.value.as_bytes().get(4..));
            plain(MapContainsValueResponse { response: found }.encode())
        }
        MapKeySetRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapKeySetRequest);
            let keys = engine.entries(&r.name, None)?.into_iter().map(|(k, _)| k);
            plain(
                MapKeySetResponse {
                    response: keys.collect(),
                }
                .encode(),
            )
        }
        MapValuesRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapValuesRequest);
            let vals = engine.entries(&r.name, None)?.into_iter().map(|(_, v)| v);
            plain(
                MapValuesResponse {
                    response: vals.collect(),
                }
                .encode(),
            )
        }
        MapEntrySetRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapEntrySetRequest);
            let e = engine.entries(&r.name, None)?;
            plain(MapEntrySetResponse { response: e }.encode())
        }
        MapKeySetWithPredicateRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapKeySetWithPredicateRequest);
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
            let r = decode!(m, MapValuesWithPredicateRequest);
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
            let r = decode!(m, MapEntriesWithPredicateRequest);
            let p = predicate(&r.predicate)?;
            let e = engine.entries(&r.name, Some(&p))?;
            plain(MapEntriesWithPredicateResponse { response: e }.encode())
        }
        MapRemoveAllRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapRemoveAllRequest);
            let p = predicate(&r.predicate)?;
            for (k, _) in engine.entries(&r.name, Some(&p))? {
                engine.delete(&r.name, &k)?;
            }
            plain(MapRemoveAllResponse {}.encode())
        }
        MapAddIndexRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapAddIndexRequest);
            let idx = index_from(&r.index_config).ok_or_else(|| {
                MemberError::IllegalArgument(format!(
                    "Unsupported index type: {}",
                    r.index_config.r#type
                ))
            })?;
            engine.add_index(&r.name, idx)?;
            plain(MapAddIndexResponse {}.encode())
        }
        _ => return Ok(None),
    }))
}
