//! Fault injection for client tests: per-member switches the wire layer obeys.
//!
//! Modelled on `scylla-proxy`'s idea of rules applied to live traffic, kept small:
//! - delay every response by a fixed time, or stall responses until released;
//! - refuse new connections (accepted then closed at once, like a dead port);
//! - deny clients at authentication (status NOT_ALLOWED_IN_CLUSTER);
//! - withhold the backup acks a member owes as a backup replica;
//! - delay the entry events it sends to listeners;
//! - crash the member when it receives a request of a given message type, either before
//!   or after executing it (the client then sees its connection vanish mid-call);
//! - dropping connections and crashing or stopping members are actions on the cluster
//!   handle, not switches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

/// When a "crash on request" fault fires relative to executing the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// Crash without executing the request.
    BeforeExecute,
    /// Execute the request (and replicate it), then crash before answering.
    AfterExecute,
}

#[derive(Debug, Default, Clone)]
struct State {
    delay: Option<Duration>,
    delay_by_type: HashMap<i32, Duration>,
    refuse_connections: bool,
    deny_clients: bool,
    advertised_partition_count: Option<u32>,
    withhold_backup_acks: bool,
    event_delay: Option<Duration>,
    crash_on: Option<(i32, CrashPoint)>,
}

/// The fault switches of one member. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Faults {
    state: Arc<Mutex<State>>,
    stalled: Arc<watch::Sender<bool>>,
}

impl Default for Faults {
    fn default() -> Self {
        let (tx, _) = watch::channel(false);
        Self {
            state: Arc::default(),
            stalled: Arc::new(tx),
        }
    }
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delays every response (None = no delay).
    pub fn set_response_delay(&self, delay: Option<Duration>) {
        self.lock().delay = delay;
    }

    /// Current response delay.
    pub fn response_delay(&self) -> Option<Duration> {
        self.lock().delay
    }

    /// Delays only responses to requests of `message_type` (None removes it); this
    /// overrides the delay for all responses, so e.g. `Map.get` can be slow while pings
    /// keep the connection alive.
    pub fn set_response_delay_for(&self, message_type: i32, delay: Option<Duration>) {
        let mut s = self.lock();
        match delay {
            Some(d) => s.delay_by_type.insert(message_type, d),
            None => s.delay_by_type.remove(&message_type),
        };
    }

    /// The delay for a response to a request of `message_type`.
    pub fn response_delay_for(&self, message_type: i32) -> Option<Duration> {
        let s = self.lock();
        s.delay_by_type.get(&message_type).copied().or(s.delay)
    }

    /// Holds every response back until [`Faults::release`] (requests still execute).
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// Lets stalled responses go.
    pub fn release(&self) {
        self.stalled.send_replace(false);
    }

    /// Whether responses are stalled now.
    pub fn is_stalled(&self) -> bool {
        *self.stalled.borrow()
    }

    /// Waits while responses are stalled.
    pub async fn wait_unstalled(&self) {
        let mut rx = self.stalled.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = rx.wait_for(|stalled| !*stalled).await;
    }

    /// Refuses (closes at once) new client connections while set.
    pub fn set_refuse_connections(&self, refuse: bool) {
        self.lock().refuse_connections = refuse;
    }

    /// Whether new connections are refused.
    pub fn refuses_connections(&self) -> bool {
        self.lock().refuse_connections
    }

    /// Answers authentications with NOT_ALLOWED_IN_CLUSTER (status 3) while set, as a
    /// member does for a client its client filter rejects.
    pub fn set_deny_clients(&self, deny: bool) {
        self.lock().deny_clients = deny;
    }

    /// Whether authentications are denied.
    pub fn denies_clients(&self) -> bool {
        self.lock().deny_clients
    }

    /// Announces `count` partitions at authentication instead of the cluster's (None: the
    /// real count), as a member of a cluster configured differently would: a client
    /// connected to the others must refuse this member.
    pub fn set_advertised_partition_count(&self, count: Option<u32>) {
        self.lock().advertised_partition_count = count;
    }

    /// The partition count announced at authentication instead of the cluster's.
    pub fn advertised_partition_count(&self) -> Option<u32> {
        self.lock().advertised_partition_count
    }

    /// While set, this member sends no backup acks for the backups it holds, so
    /// backup-aware clients wait for their backup timeout (5 s by default).
    pub fn set_withhold_backup_acks(&self, withhold: bool) {
        self.lock().withhold_backup_acks = withhold;
    }

    /// Whether backup acks are withheld.
    pub fn withholds_backup_acks(&self) -> bool {
        self.lock().withhold_backup_acks
    }

    /// Delays every entry event this member sends to its listeners by `delay` (each
    /// event in turn, in order; `None`: sent at once). Models a member slow to deliver
    /// events, e.g. to test what a client-side cache serves before its invalidation.
    pub fn set_event_delay(&self, delay: Option<Duration>) {
        self.lock().event_delay = delay;
    }

    /// The entry event delay.
    pub fn event_delay(&self) -> Option<Duration> {
        self.lock().event_delay
    }

    /// Crashes the member at the next request of `message_type` (one shot).
    pub fn crash_on_request(&self, message_type: i32, point: CrashPoint) {
        self.lock().crash_on = Some((message_type, point));
    }

    /// Takes the crash fault if it matches `message_type`.
    pub fn take_crash(&self, message_type: i32) -> Option<CrashPoint> {
        let mut s = self.lock();
        match s.crash_on {
            Some((t, point)) if t == message_type => {
                s.crash_on = None;
                Some(point)
            }
            _ => None,
        }
    }

    /// Clears every switch (and releases stalled responses).
    pub fn reset(&self) {
        *self.lock() = State::default();
        self.release();
    }
}
