//! Authenticated requests: decode with the protocol crate's codecs, run on the engine,
//! encode the response (or the error a real member would send).

/// Decodes request type `$t` from message `$m`; a malformed one is the member's
/// serialization error.
macro_rules! decode {
    ($m:expr, $t:ty) => {
        <$t>::decode($m).map_err(crate::dispatch::malformed)?
    };
}

mod cluster_ops;
mod map_key_ops;
mod map_listeners;
mod map_wide_ops;
mod wire;

use std::sync::Arc;

use hazelcast_protocol::codec::custom;
use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::error::DecodeError;
use hazelcast_protocol::message::Message;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::engine::Outcome;
use crate::error::MemberError;
use crate::events::EntryEvent;
use crate::server::MemberShared;
use crate::views;

pub(crate) use map_listeners::encode_entry_event;

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

pub(crate) fn malformed(e: DecodeError) -> MemberError {
    MemberError::Serialization(format!("Malformed client message: {e}"))
}

pub(super) fn done<T>(response: Message, outcome: &Outcome<T>) -> Handled {
    Handled {
        response,
        backups: outcome.backups.clone(),
        then: None,
    }
}

pub(super) fn plain(response: Message) -> Handled {
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

/// Handles one authenticated request: each group of requests in its module, in turn.
///
/// # Errors
/// The member error to send back instead of a response.
pub(crate) fn handle(c: &mut ConnInfo<'_>, m: &Message) -> Result<Handled, MemberError> {
    if let Some(h) = map_key_ops::handle(c, m)? {
        return Ok(h);
    }
    if let Some(h) = map_wide_ops::handle(c, m)? {
        return Ok(h);
    }
    if let Some(h) = map_listeners::handle(c, m)? {
        return Ok(h);
    }
    if let Some(h) = cluster_ops::handle(c, m)? {
        return Ok(h);
    }
    // A message the protocol knows but this member does not implement (locks, entry
    // processors, aggregations, paging, journals): say so instead of pretending.
    let t = m.message_type();
    if let Some(info) = hazelcast_protocol::codec::request_info(t) {
        return Err(MemberError::Unsupported(format!(
            "hazelcast-test-member does not implement {} (type: 0x{t:x})",
            info.name
        )));
    }
    Err(MemberError::Unsupported(format!(
        "Unrecognized client message received with type: 0x{t:x}"
    )))
}

/// The cluster-view events for this member's current view.
pub(crate) fn view_events(shared: &MemberShared) -> (Message, Message) {
    views::events(&shared.engine)
}
