//! IMap entry listeners: registering the four addEntryListener variants, removing one,
//! and encoding the events each variant receives.

use hazelcast_protocol::codec::map::*;
use hazelcast_protocol::message::Message;
use uuid::Uuid;

use super::wire::predicate;
use super::{AfterResponse, ConnInfo, Handled, ListenerKind, plain};
use crate::engine::Engine;
use crate::error::MemberError;
use crate::events::{EntryEvent, ListenerSpec, event_channel};

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

/// Entry-listener registration and removal. `None`: not one of these.
pub(super) fn handle(c: &mut ConnInfo<'_>, m: &Message) -> Result<Option<Handled>, MemberError> {
    let engine: &Engine = &c.shared.engine;
    Ok(Some(match m.message_type() {
        MapAddEntryListenerRequest::MESSAGE_TYPE => {
            let r = decode!(m, MapAddEntryListenerRequest);
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
            let r = decode!(m, MapAddEntryListenerToKeyRequest);
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
            let r = decode!(m, MapAddEntryListenerWithPredicateRequest);
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
            let r = decode!(m, MapAddEntryListenerToKeyWithPredicateRequest);
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
            let r = decode!(m, MapRemoveEntryListenerRequest);
            let removed = engine.remove_entry_listener(r.registration_id);
            c.registrations.retain(|id| *id != r.registration_id);
            plain(MapRemoveEntryListenerResponse { response: removed }.encode())
        }
        _ => return Ok(None),
    }))
}
