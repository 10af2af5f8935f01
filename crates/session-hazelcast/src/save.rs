//! Saving a session: `putIfAbsent` for a new one, a compare-and-set of the delta applied
//! to the record as stored for an existing one (nothing written when nothing changed), a
//! jittered backoff between conflicting attempts, and a read-back when a write's outcome
//! is unknown.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hazelcast_client::backoff::random_unit;
use hazelcast_protocol::data::Data;
use session_core::{RepositoryError, SessionDelta, SessionRecord};

use crate::cache::{Cached, OWN_EVENT_WAIT};
use crate::repository::{Found, HazelcastSessionRepository, backend, outcome_unknown};
use crate::telemetry;

/// First pause after a compare-and-set conflict; doubles per attempt up to
/// [`CONFLICT_BACKOFF_MAX`], each pause a random share (50–100 %) of it.
pub(crate) const CONFLICT_BACKOFF_BASE: Duration = Duration::from_millis(2);
/// Longest pause between two compare-and-set attempts.
pub(crate) const CONFLICT_BACKOFF_MAX: Duration = Duration::from_millis(100);

/// The pause before compare-and-set attempt `attempt` (1-based) after a conflict:
/// exponential from [`CONFLICT_BACKOFF_BASE`], capped, with 50–100 % jitter so that
/// competing writers spread out instead of colliding again.
pub(crate) fn conflict_pause(attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(16);
    let cap = CONFLICT_BACKOFF_BASE
        .saturating_mul(1u32 << exp)
        .min(CONFLICT_BACKOFF_MAX);
    cap.mul_f64(0.5 + 0.5 * random_unit())
}

impl HazelcastSessionRepository {
    /// Per-entry max idle to send with a write that can carry one: `None` (map default)
    /// when the session's interval is the map's max idle, zero (infinite) for a session
    /// that never expires.
    pub(crate) fn entry_max_idle(&self, interval: Option<Duration>) -> Option<Duration> {
        if interval == self.inner.map_max_idle {
            None
        } else {
            Some(interval.unwrap_or(Duration::ZERO))
        }
    }

    /// Whether `next` (the stored record with the delta applied) needs no write: equal to
    /// `stored`, or differing only by a last access time that moved less than the touch
    /// threshold (a share of the interval; a session that never expires has none).
    fn unchanged(&self, stored: &SessionRecord, next: &mut SessionRecord) -> bool {
        let accessed = next.last_accessed_time;
        let moved = accessed
            .duration_since(stored.last_accessed_time)
            .unwrap_or_default();
        let threshold = next
            .max_inactive_interval
            .map_or(Duration::ZERO, |i| i.mul_f64(self.inner.touch_fraction));
        if !moved.is_zero() && moved >= threshold {
            return false;
        }
        next.last_accessed_time = stored.last_accessed_time;
        if next == stored {
            return true;
        }
        next.last_accessed_time = accessed;
        false
    }

    /// `putIfAbsent`, with a read-back when the connection closed before the answer: the
    /// write landed if the key holds exactly our bytes. Returns whether the key was free
    /// (or already holds exactly these bytes: saving a new session again after a timeout
    /// is not a collision).
    pub(crate) async fn put_new(
        &self,
        key: &str,
        data: &Data,
        max_idle: Option<Duration>,
    ) -> Result<bool, RepositoryError> {
        let k = key;
        loop {
            match self
                .call(|| self.inner.map.put_if_absent_with(k, data, None, max_idle))
                .await
            {
                // Our own bytes: an earlier attempt of this save landed (its answer was
                // lost to a deadline or a closed connection).
                Ok(previous) => return Ok(previous.is_none_or(|p| p == *data)),
                Err(e) if outcome_unknown(&e) => {
                    tracing::debug!(error = %e, "a new session's write was interrupted; reading it back");
                    telemetry::count(&telemetry::keys::RETRIES);
                    match self.call(|| self.inner.map.get(k)).await.map_err(backend)? {
                        Some(d) if d == *data => return Ok(true),
                        Some(_) => return Ok(false),
                        None => continue,
                    }
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    pub(crate) async fn save_new(&self, delta: &SessionDelta) -> Result<(), RepositoryError> {
        let data = self.encode_record(&delta.record)?;
        let max_idle = self.entry_max_idle(delta.record.max_inactive_interval);
        let id = &delta.record.id;
        let ticket = self.inner.cache.ticket(id);
        if !self.put_new(id, &data, max_idle).await? {
            ticket.discard();
            return Err(RepositoryError::IdCollision);
        }
        ticket.wrote(Arc::new(Cached::saved(data, delta.record.clone(), delta)));
        telemetry::count(&telemetry::keys::SAVES);
        Ok(())
    }

    /// Compare-and-set; `None` when the connection closed before the answer and the
    /// outcome is unknown (the caller re-reads).
    pub(crate) async fn cas(
        &self,
        key: &str,
        expected: &Data,
        data: &Data,
    ) -> Result<Option<bool>, RepositoryError> {
        let k = key;
        match self
            .call(|| self.inner.map.replace_if_same(k, expected, data))
            .await
        {
            Ok(replaced) => Ok(Some(replaced)),
            Err(e) if outcome_unknown(&e) => {
                tracing::debug!(error = %e, "a session write was interrupted; reading it back");
                Ok(None)
            }
            Err(e) => Err(backend(e)),
        }
    }

    /// The record of `key` as stored, from the local cache (also when it does not serve
    /// loads: a stale one only makes the compare-and-set fail) or read from the cluster.
    /// `None`: absent, expired (then removed) or unreadable.
    async fn stored(&self, key: &str) -> Result<Option<Arc<Cached>>, RepositoryError> {
        match self.inner.cache.peek(key, SystemTime::now()) {
            Some(c) => Ok(Some(c)),
            // Boxed, as every path a save rarely takes: a future is as large as everything
            // it may await, and a save's future is built (and allocated) on every save.
            None => Box::pin(self.load_fresh(key)).await,
        }
    }

    /// Writes a change of an existing session: the delta applied to the record as stored
    /// (decoded once, at load), compare-and-set against its bytes, re-read and re-applied
    /// on a conflict. Writes nothing when the result equals the stored record (the last
    /// access time within the touch threshold aside). Returns whether it wrote (`false`:
    /// nothing to write, or the session is gone).
    pub(crate) async fn save_existing(
        &self,
        delta: &SessionDelta,
    ) -> Result<bool, RepositoryError> {
        let key = delta.original_id.as_str();
        let mut known: Option<Arc<Cached>> = None;
        for attempt in 1..=self.inner.max_save_attempts {
            let current = match known.take() {
                Some(c) => c,
                // Deleted, expired or unreadable meanwhile: the changes are dropped.
                None => match self.stored(key).await? {
                    Some(c) => c,
                    None => return Ok(false),
                },
            };
            let mut next = current.record.clone();
            delta.apply_to(&mut next);
            if delta.id_changed() {
                return Box::pin(self.rename(delta, key, current, next))
                    .await
                    .map(|()| true);
            }
            if self.unchanged(&current.record, &mut next) {
                telemetry::count(&telemetry::keys::SAVES_SKIPPED);
                return Ok(false);
            }
            let data = self.encode_record(&next)?;
            let max_idle = self.entry_max_idle(next.max_inactive_interval);
            let ticket = self.inner.cache.ticket(key);
            let landed = match self.cas(key, &current.data, &data).await? {
                Some(true) => true,
                Some(false) => {
                    ticket.discard();
                    self.inner
                        .conflicts
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    telemetry::count(&telemetry::keys::CAS_CONFLICTS);
                    telemetry::count(&telemetry::keys::RETRIES);
                    tracing::debug!(
                        attempt,
                        "session changed concurrently; re-reading and re-applying"
                    );
                    tokio::time::sleep(conflict_pause(attempt)).await;
                    continue;
                }
                None => {
                    ticket.discard();
                    telemetry::count(&telemetry::keys::RETRIES);
                    // Did our write land? Re-applying the delta is idempotent, so a value
                    // that differs from ours is simply the base of the next attempt.
                    match Box::pin(self.read(key)).await? {
                        Found::Record(d, _) if d == data => {
                            if let Some(max_idle) = max_idle {
                                Box::pin(self.reapply_expiry(key, data, max_idle)).await?;
                            }
                            telemetry::count(&telemetry::keys::SAVES);
                            return Ok(true);
                        }
                        Found::Record(d, r) => {
                            known = Some(Arc::new(Cached::new(d, r)));
                            continue;
                        }
                        Found::Absent | Found::Bad => return Ok(false),
                    }
                }
            };
            debug_assert!(landed);
            telemetry::count(&telemetry::keys::SAVES);
            ticket.await_own_event(OWN_EVENT_WAIT).await;
            match max_idle {
                None => ticket.wrote(Arc::new(Cached::saved(data, next, delta))),
                Some(max_idle) => {
                    // Two writes (and events) of our own: the cache does not follow.
                    ticket.discard();
                    Box::pin(self.reapply_expiry(key, data, max_idle)).await?;
                    self.inner.cache.invalidate(key);
                }
            }
            return Ok(true);
        }
        Err(RepositoryError::Conflict {
            attempts: self.inner.max_save_attempts,
        })
    }

    /// After a compare-and-set (which drops a per-entry max idle back to the map's),
    /// gives a session whose interval differs from the map's max idle its own max idle
    /// again. `put` returns the value it replaced: if another request changed the entry
    /// in between, its value (which already holds our change) is put back, with our max
    /// idle; if the entry was removed in between, our put is undone. A put of unknown
    /// outcome (its connection closed) is sent again: putting the same value twice is
    /// harmless (only a third writer inside that round trip could be overwritten).
    pub(crate) async fn reapply_expiry(
        &self,
        key: &str,
        data: Data,
        max_idle: Duration,
    ) -> Result<(), RepositoryError> {
        let k = key;
        let mut value = data;
        for _ in 0..self.inner.max_save_attempts {
            let previous = match self
                .call(|| self.inner.map.put_with(k, &value, None, Some(max_idle)))
                .await
            {
                Ok(previous) => previous,
                Err(e) if outcome_unknown(&e) => {
                    telemetry::count(&telemetry::keys::RETRIES);
                    continue;
                }
                Err(e) => return Err(backend(e)),
            };
            match previous {
                Some(p) if p == value => return Ok(()),
                Some(p) => value = p,
                None => {
                    let _ = self
                        .call(|| self.inner.map.remove_if_same(k, &value))
                        .await
                        .map_err(backend)?;
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_pauses_grow_are_capped_and_jittered() {
        let mut seen = std::collections::HashSet::new();
        for attempt in 1..=40 {
            let cap = CONFLICT_BACKOFF_BASE
                .saturating_mul(1u32 << (attempt - 1).min(16))
                .min(CONFLICT_BACKOFF_MAX);
            for _ in 0..20 {
                let p = conflict_pause(attempt);
                assert!(p >= cap / 2 && p <= cap, "attempt {attempt}: {p:?}");
                seen.insert(p);
            }
        }
        assert!(conflict_pause(u32::MAX) <= CONFLICT_BACKOFF_MAX);
        assert!(seen.len() > 100, "jitter spreads the pauses");
    }
}
