//! Change of session id (login): the new key is written, the old one removed only if
//! unchanged, and a change another request made to the old key meanwhile is carried over.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use session_core::{RepositoryError, SessionDelta, SessionRecord};

use crate::cache::{Cached, OWN_EVENT_WAIT};
use crate::record::BackingMapSession;
use crate::repository::{Found, HazelcastSessionRepository, backend, outcome_unknown};
use crate::save::conflict_pause;
use crate::telemetry;

/// Carries a concurrent change (`before` → `after`, both stored values of the old id) to
/// `target` (the record under the new id).
pub(crate) fn carry_change(
    before: &SessionRecord,
    after: &SessionRecord,
    target: &mut SessionRecord,
) {
    for (name, value) in &after.attributes {
        if before.attributes.get(name) != Some(value) {
            target.attributes.insert(name.clone(), value.clone());
        }
    }
    for name in before.attributes.keys() {
        if !after.attributes.contains_key(name) {
            target.attributes.remove(name);
        }
    }
    if before.principal_name != after.principal_name {
        target.principal_name.clone_from(&after.principal_name);
    }
    if before.max_inactive_interval != after.max_inactive_interval {
        target.max_inactive_interval = after.max_inactive_interval;
    }
    target.last_accessed_time = target.last_accessed_time.max(after.last_accessed_time);
}

impl HazelcastSessionRepository {
    /// Change of id: write the new key (with the old id as `originalId`, so listeners
    /// report no Created), then remove the old key **only if unchanged**. If another
    /// request changed the old key in between, its change is carried to the new key and
    /// the removal tried again, so nothing is lost. Before its removal the old key's value
    /// is marked with the new id as `originalId`, so listeners report no Deleted for it.
    pub(crate) async fn rename(
        &self,
        delta: &SessionDelta,
        old: &str,
        current: Arc<Cached>,
        stored: SessionRecord,
    ) -> Result<(), RepositoryError> {
        telemetry::count(&telemetry::keys::ID_CHANGES);
        let (old_bytes, old_record) = (current.data.clone(), current.record.clone());
        drop(current);
        let new_id = delta.record.id.clone();
        // Neither key is cached meanwhile: the old one ends removed, the new one is
        // cached at the end if nothing was carried over.
        self.inner.cache.invalidate(old);
        let old_ticket = self.inner.cache.ticket(old);
        let new_ticket = self.inner.cache.ticket(&new_id);
        let mut record = BackingMapSession::from_session_record(&stored);
        record.original_id = Some(old.to_owned());
        let mut new_bytes = self.encode(&record)?;
        let mut new_record = stored;
        let max_idle = self.entry_max_idle(new_record.max_inactive_interval);
        if !self.put_new(&new_id, &new_bytes, max_idle).await? {
            new_ticket.discard();
            return Err(RepositoryError::IdCollision);
        }
        let old_key = old.to_owned();
        let (mut base_bytes, mut base_record) = (old_bytes, old_record);
        let mut carried_any = false;
        for attempt in 1..=self.inner.max_save_attempts {
            // Mark, then remove only that exact value.
            let mut marked = BackingMapSession::from_session_record(&base_record);
            marked.original_id = Some(new_id.clone());
            let marked = self.encode(&marked)?;
            let landed = match self.cas(old, &base_bytes, &marked).await? {
                Some(true) => true,
                Some(false) => false,
                None => matches!(self.read(old).await?, Found::Record(d, _) if d == marked),
            };
            if landed {
                let removed = self
                    .call(|| self.inner.map.remove_if_same(&old_key, &marked))
                    .await;
                match removed {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) if outcome_unknown(&e) => {}
                    Err(e) => return Err(backend(e)),
                }
                base_bytes = marked;
            }
            // Changed (or removed) by another request meanwhile.
            let (now_bytes, now_record) = match self.read(old).await? {
                Found::Record(d, r) => (d, r),
                Found::Absent | Found::Bad => break,
            };
            if now_bytes == base_bytes {
                continue;
            }
            self.inner.conflicts.fetch_add(1, Ordering::Relaxed);
            telemetry::count(&telemetry::keys::CAS_CONFLICTS);
            telemetry::count(&telemetry::keys::RETRIES);
            tracing::debug!(
                attempt,
                "the old id changed during a change of id; carrying the change over"
            );
            carry_change(&base_record, &now_record, &mut new_record);
            let mut carried = BackingMapSession::from_session_record(&new_record);
            carried.original_id = Some(old.to_owned());
            let carried = self.encode(&carried)?;
            match self.cas(&new_id, &new_bytes, &carried).await? {
                Some(true) => new_bytes = carried,
                Some(false) | None => match self.read(&new_id).await? {
                    Found::Record(d, r) if d == carried => {
                        new_bytes = d;
                        new_record = r;
                    }
                    Found::Record(d, mut r) => {
                        // The new id changed too (an immediate flush of this request):
                        // carry onto that value next time.
                        carry_change(&base_record, &now_record, &mut r);
                        new_bytes = d;
                        new_record = r;
                        continue;
                    }
                    Found::Absent | Found::Bad => {
                        new_ticket.discard();
                        self.inner.cache.invalidate(old);
                        return Ok(());
                    }
                },
            }
            base_bytes = now_bytes;
            base_record = now_record;
            carried_any = true;
            tokio::time::sleep(conflict_pause(attempt)).await;
        }
        if carried_any && let Some(max_idle) = max_idle {
            // The compare-and-set on the new key dropped its own max idle.
            self.reapply_expiry(&new_id, new_bytes.clone(), max_idle)
                .await?;
        }
        // Other servers drop the old id's cached record on its events.
        old_ticket.await_own_event(OWN_EVENT_WAIT).await;
        old_ticket.discard();
        if carried_any {
            // More writes (and events) of our own than the cache follows.
            new_ticket.discard();
        } else {
            new_ticket.wrote(Arc::new(Cached::new(new_bytes, new_record)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn carrying_a_change_applies_only_what_changed() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut before = SessionRecord::new("old", t0, Some(Duration::from_secs(60)));
        before
            .attributes
            .insert("a".into(), bytes::Bytes::from_static(b"1"));
        before
            .attributes
            .insert("gone".into(), bytes::Bytes::from_static(b"x"));
        let mut after = before.clone();
        after
            .attributes
            .insert("a".into(), bytes::Bytes::from_static(b"2"));
        after.attributes.remove("gone");
        after.last_accessed_time = t0 + Duration::from_secs(5);
        let mut target = before.clone();
        target.id = "new".into();
        target.principal_name = Some("alice".into());
        target
            .attributes
            .insert("mine".into(), bytes::Bytes::from_static(b"m"));
        carry_change(&before, &after, &mut target);
        assert_eq!(target.attributes.get("a").map(|b| &b[..]), Some(&b"2"[..]));
        assert!(!target.attributes.contains_key("gone"));
        assert!(target.attributes.contains_key("mine"));
        assert_eq!(target.principal_name.as_deref(), Some("alice"));
        assert_eq!(target.last_accessed_time, t0 + Duration::from_secs(5));
    }
}
