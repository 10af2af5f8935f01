//! One map entry as a member stores it, with Hazelcast's TTL and max-idle rules.
//!
//! Rules, numbered as in `docs/real-hazelcast-facts.md`:
//! - TTL and max-idle arguments are milliseconds: negative = "use the map config",
//!   0 = infinite (even when the map config sets one, facts 3.3/3.4), positive = rounded
//!   up to whole seconds (the member's resolution is seconds, protocol brief §2 notes).
//! - Every value write (put, set, replace, replaceIfSame, putIfAbsent on an absent key)
//!   re-resolves BOTH ttl and max-idle from its arguments, so a write without them drops a
//!   per-entry ttl / max-idle back to the map config (facts 1.2, 2.3, 3.2, surprise 1).
//! - The TTL counts from the last write or `setTtl`; max-idle counts from the last access
//!   or write. Reads (get, containsKey, getAll) and putIfAbsent on an existing key are
//!   accesses: they extend max-idle and never change the TTL (facts 1.3, 1.4, 2.2, 3.2).
//!   `getEntryView` is not an access (facts intro, 2.1).
//! - `setTtl` restarts the TTL from the call and sets max-idle to the map config
//!   (facts 1.5, 2.4, 3.4, surprise 2).
//! - A per-entry ttl and the map max-idle both apply, the earlier wins (facts 3.3); a
//!   per-entry max-idle replaces the map max-idle (facts 3.4).
//! - The stored expiration time is truncated to the whole second:
//!   `floor(base + duration)`, so an entry lives between d−1 s and d (facts 1.1, 4.2,
//!   surprise 3). An entry is expired once `now >= expiration`.

use hazelcast_protocol::data::Data;

/// "No expiry" as reported in entry views (Java's `Long.MAX_VALUE`).
pub const INFINITE: i64 = i64::MAX;

fn floor_second(ms: i64) -> i64 {
    ms - ms.rem_euclid(1000)
}

fn ceil_second(ms: i64) -> i64 {
    ms.saturating_add(999) / 1000 * 1000
}

/// Resolves a ttl or max-idle argument (ms) against the map config value (seconds) to a
/// duration in ms, `None` = infinite.
pub fn resolve_duration(arg_millis: i64, config_seconds: i32) -> Option<i64> {
    if arg_millis < 0 {
        (config_seconds > 0).then(|| i64::from(config_seconds) * 1000)
    } else if arg_millis == 0 {
        None
    } else {
        Some(ceil_second(arg_millis))
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The key as the client sent it.
    pub key: Data,
    /// The value as the client sent it.
    pub value: Data,
    /// Creation time (ms).
    pub creation_time: i64,
    /// Last access time (ms).
    pub last_access_time: i64,
    /// Last write time (ms).
    pub last_update_time: i64,
    /// Start of the TTL: last write or `setTtl` (ms).
    pub ttl_base: i64,
    /// TTL (ms), `None` = infinite.
    pub ttl: Option<i64>,
    /// Max-idle (ms), `None` = infinite.
    pub max_idle: Option<i64>,
    /// Read count.
    pub hits: i64,
    /// Write count after creation.
    pub version: i64,
}

impl Record {
    /// A new record written at `now` with resolved ttl / max-idle.
    pub fn new(key: Data, value: Data, now: i64, ttl: Option<i64>, max_idle: Option<i64>) -> Self {
        Self {
            key,
            value,
            creation_time: now,
            last_access_time: now,
            last_update_time: now,
            ttl_base: now,
            ttl,
            max_idle,
            hits: 0,
            version: 0,
        }
    }

    /// Applies a value write at `now`: new value, ttl and max-idle re-resolved by the caller.
    pub fn write(&mut self, value: Data, now: i64, ttl: Option<i64>, max_idle: Option<i64>) {
        self.value = value;
        self.last_update_time = now;
        self.last_access_time = now;
        self.ttl_base = now;
        self.ttl = ttl;
        self.max_idle = max_idle;
        self.version += 1;
    }

    /// Records a read access at `now` (extends max-idle, never the TTL).
    pub fn access(&mut self, now: i64) {
        self.last_access_time = now;
        self.hits += 1;
    }

    /// `setTtl` at `now`: the TTL restarts, max-idle goes back to the map config and also
    /// counts from the call (facts 3.4: gone 4 s after a `setTtl` at t=1 on an `idle-*` map).
    pub fn set_ttl(&mut self, now: i64, ttl: Option<i64>, config_max_idle: Option<i64>) {
        self.ttl_base = now;
        self.last_access_time = now;
        self.ttl = ttl;
        self.max_idle = config_max_idle;
    }

    /// Stored expiration time in ms ([`INFINITE`] if none), truncated to the second.
    pub fn expiration_time(&self) -> i64 {
        let by_ttl = self
            .ttl
            .map(|t| floor_second(self.ttl_base.saturating_add(t)));
        let idle_base = self.last_access_time.max(self.last_update_time);
        let by_idle = self
            .max_idle
            .map(|m| floor_second(idle_base.saturating_add(m)));
        match (by_ttl, by_idle) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => INFINITE,
        }
    }

    /// Whether the record is expired at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expiration_time()
    }

    /// Approximate memory cost, as entry views report it.
    pub fn cost(&self) -> i64 {
        (self.key.as_bytes().len() + self.value.as_bytes().len()) as i64
    }
}

/// A snapshot of an entry's metadata (`SimpleEntryView`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    /// Key.
    pub key: Data,
    /// Value.
    pub value: Data,
    /// Approximate cost in bytes.
    pub cost: i64,
    /// Creation time (ms).
    pub creation_time: i64,
    /// Expiration time (ms, `i64::MAX` = none).
    pub expiration_time: i64,
    /// Hits.
    pub hits: i64,
    /// Last access time (ms).
    pub last_access_time: i64,
    /// Last stored time (always 0: no map store).
    pub last_stored_time: i64,
    /// Last update time (ms).
    pub last_update_time: i64,
    /// Version.
    pub version: i64,
    /// TTL (ms, `i64::MAX` = infinite).
    pub ttl: i64,
    /// Max-idle (ms, `i64::MAX` = infinite).
    pub max_idle: i64,
}

impl From<&Record> for EntryView {
    fn from(r: &Record) -> Self {
        Self {
            key: r.key.clone(),
            value: r.value.clone(),
            cost: r.cost(),
            creation_time: r.creation_time,
            expiration_time: r.expiration_time(),
            hits: r.hits,
            last_access_time: r.last_access_time,
            last_stored_time: 0,
            last_update_time: r.last_update_time,
            version: r.version,
            ttl: r.ttl.unwrap_or(INFINITE),
            max_idle: r.max_idle.unwrap_or(INFINITE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(now: i64, ttl: Option<i64>, idle: Option<i64>) -> Record {
        Record::new(Data::default(), Data::default(), now, ttl, idle)
    }

    #[test]
    fn resolution_of_arguments() {
        assert_eq!(resolve_duration(-1, 0), None);
        assert_eq!(resolve_duration(-1, 4), Some(4000));
        assert_eq!(resolve_duration(0, 4), None);
        assert_eq!(resolve_duration(1500, 0), Some(2000));
        assert_eq!(resolve_duration(4000, 0), Some(4000));
    }

    #[test]
    fn expiry_is_truncated_to_the_second() {
        // facts 1.1: written at x.05 with ttl 4 s -> gone at x+4.0.
        let r = rec(10_050, Some(4000), None);
        assert_eq!(r.expiration_time(), 14_000);
        assert!(!r.is_expired(13_999));
        assert!(r.is_expired(14_000));
    }

    #[test]
    fn ttl_and_idle_both_apply() {
        // facts 3.3: ttl 8 with map max-idle 4, no access -> idle wins.
        let mut r = rec(10_050, Some(8000), Some(4000));
        assert_eq!(r.expiration_time(), 14_000);
        // reads keep it alive until the ttl caps it.
        for t in (10_550..18_000).step_by(500) {
            if !r.is_expired(t) {
                r.access(t);
            }
        }
        assert_eq!(r.expiration_time(), 18_000);
    }

    #[test]
    fn set_ttl_restarts_and_drops_idle() {
        let mut r = rec(10_050, None, Some(4000));
        r.set_ttl(11_050, Some(4000), None);
        assert_eq!(r.max_idle, None);
        assert_eq!(r.expiration_time(), 15_000);
    }
}
