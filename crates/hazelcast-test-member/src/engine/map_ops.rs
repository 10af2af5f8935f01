//! IMap operations on the engine: key operations on the owner with replication to the
//! backups, and map-wide operations over the owners' stores.

use super::*;

impl Engine {
    // ---- key operations ----------------------------------------------------------------

    /// Runs `op` on the owner's record of `key` and replicates the change.
    ///
    /// `op` gets the live record (after lazy expiry) and returns the answer, the change to
    /// apply and the events to fire as (type, new value, old value). The record is
    /// expired first if due: the `expired` event fires and `op` sees no record (facts 4.2).
    fn key_op<T>(
        &self,
        map: &str,
        key: &Data,
        op: impl FnOnce(&KeyCtx, Option<&Record>, i64) -> Result<(T, Change, Vec<Ev>), MemberError>,
    ) -> Result<Outcome<T>, MemberError> {
        let now = self.now();
        let mut s = self.lock();
        let ctx = s.key_ctx(map, self.target_partition(key))?;
        let kid = key_id(key);
        let current = s.record(ctx.owner, ctx.partition, map, &kid).cloned();
        let current = match current {
            Some(r) if r.is_expired(now) => {
                s.apply(&ctx, map, &kid, &Change::Remove);
                s.fire(&ctx, map, key, event_type::EXPIRED, None, Some(&r.value));
                None
            }
            other => other,
        };
        let (value, change, events) = op(&ctx, current.as_ref(), now)?;
        let wrote = matches!(change, Change::Upsert(_) | Change::Remove);
        s.apply(&ctx, map, &kid, &change);
        for (t, new, old) in events {
            s.fire(&ctx, map, key, t, new.as_ref(), old.as_ref());
        }
        let backups = if wrote {
            ctx.backups
                .iter()
                .filter(|(_, sync)| *sync)
                .map(|(m, _)| *m)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Outcome { value, backups })
    }

    /// Map.get: the value, counting as an access (extends max-idle, facts 2.2).
    ///
    /// # Errors
    /// Only for an unusable cluster (no members).
    pub fn get(&self, map: &str, key: &Data) -> Result<Outcome<Option<Data>>, MemberError> {
        self.key_op(map, key, |_, rec, now| match rec {
            Some(r) => Ok((Some(r.value.clone()), Change::Access(now), Vec::new())),
            None => Ok((None, Change::None, Vec::new())),
        })
        .map(|o| Outcome::none(o.value))
    }

    /// Map.containsKey (an access, like get).
    ///
    /// # Errors
    /// Only for an unusable cluster.
    pub fn contains_key(&self, map: &str, key: &Data) -> Result<Outcome<bool>, MemberError> {
        self.get(map, key).map(|o| Outcome::none(o.value.is_some()))
    }

    /// Map.getEntryView: metadata without counting as an access (facts intro).
    ///
    /// # Errors
    /// Only for an unusable cluster.
    pub fn get_entry_view(
        &self,
        map: &str,
        key: &Data,
    ) -> Result<Outcome<Option<EntryView>>, MemberError> {
        self.key_op(map, key, |_, rec, _| {
            Ok((rec.map(EntryView::from), Change::None, Vec::new()))
        })
    }

    fn write_op(
        &self,
        map: &str,
        key: &Data,
        value: &Data,
        ttl: i64,
        max_idle: i64,
        mode: WriteMode,
    ) -> Result<Outcome<WriteResult>, MemberError> {
        let value = value.clone();
        let key_c = key.clone();
        let rejected = std::cell::Cell::new(None);
        let out = self.key_op(map, key, |ctx, rec, now| {
            let ttl_r = resolve_duration(ttl, ctx.config.time_to_live_seconds);
            let idle_r = resolve_duration(max_idle, ctx.config.max_idle_seconds);
            let proceed = match (&mode, rec) {
                (WriteMode::IfAbsent, Some(r)) => {
                    // putIfAbsent on an existing key: an access; its ttl is ignored (facts 1.4, 2.2).
                    let old = r.value.clone();
                    return Ok((WriteResult::Old(Some(old)), Change::Access(now), Vec::new()));
                }
                (WriteMode::IfPresent, None) | (WriteMode::IfSame(_), None) => {
                    return Ok((WriteResult::NotDone, Change::None, Vec::new()));
                }
                (WriteMode::IfSame(expected), Some(r)) => same_value(&r.value, expected),
                _ => true,
            };
            if !proceed {
                return Ok((WriteResult::NotDone, Change::None, Vec::new()));
            }
            let mut events = Vec::new();
            let (record, old) = match rec {
                Some(r) => {
                    let mut r = r.clone();
                    let old = r.value.clone();
                    r.write(value.clone(), now, ttl_r, idle_r);
                    events.push((event_type::UPDATED, Some(value.clone()), Some(old.clone())));
                    (r, Some(old))
                }
                None => {
                    events.push((event_type::ADDED, Some(value.clone()), None));
                    (
                        Record::new(key_c.clone(), value.clone(), now, ttl_r, idle_r),
                        None,
                    )
                }
            };
            if let Some(err) = index_rejection(&ctx.config, &value) {
                // facts 7.4: stored on the primary only, no event, no backup, error returned.
                rejected.set(Some((err, record.clone())));
                return Ok((WriteResult::Old(old), Change::None, Vec::new()));
            }
            Ok((WriteResult::Old(old), Change::Upsert(record), events))
        })?;
        if let Some((err, record)) = rejected.take() {
            let mut s = self.lock();
            let ctx = s.key_ctx(map, self.target_partition(key))?;
            let kid = key_id(key);
            if let Some(store) = s.store_mut(ctx.owner, ctx.partition, map) {
                store.insert(kid, record);
            }
            return Err(err);
        }
        Ok(out)
    }

    /// Map.put / putWithMaxIdle: returns the old value. `ttl` and `max_idle` in ms
    /// (negative = map config, 0 = infinite).
    ///
    /// # Errors
    /// QueryException when an index cannot read the value (it is stored anyway, facts 7.4).
    pub fn put(
        &self,
        map: &str,
        key: &Data,
        value: &Data,
        ttl: i64,
        max_idle: i64,
    ) -> Result<Outcome<Option<Data>>, MemberError> {
        self.write_op(map, key, value, ttl, max_idle, WriteMode::Always)
            .map(|o| o.map(WriteResult::into_old))
    }

    /// Map.set / setWithMaxIdle (put without returning the old value).
    ///
    /// # Errors
    /// As [`Engine::put`].
    pub fn set(
        &self,
        map: &str,
        key: &Data,
        value: &Data,
        ttl: i64,
        max_idle: i64,
    ) -> Result<Outcome<()>, MemberError> {
        self.put(map, key, value, ttl, max_idle)
            .map(|o| o.map(|_| ()))
    }

    /// Map.putIfAbsent / putIfAbsentWithMaxIdle: the existing value, or None after writing.
    ///
    /// # Errors
    /// As [`Engine::put`].
    pub fn put_if_absent(
        &self,
        map: &str,
        key: &Data,
        value: &Data,
        ttl: i64,
        max_idle: i64,
    ) -> Result<Outcome<Option<Data>>, MemberError> {
        self.write_op(map, key, value, ttl, max_idle, WriteMode::IfAbsent)
            .map(|o| o.map(WriteResult::into_old))
    }

    /// Map.replace: writes only if present; returns the old value.
    ///
    /// # Errors
    /// As [`Engine::put`].
    pub fn replace(
        &self,
        map: &str,
        key: &Data,
        value: &Data,
    ) -> Result<Outcome<Option<Data>>, MemberError> {
        self.write_op(map, key, value, -1, -1, WriteMode::IfPresent)
            .map(|o| o.map(WriteResult::into_old))
    }

    /// Map.replaceIfSame: writes if the stored value has the same bytes (facts §5).
    ///
    /// # Errors
    /// As [`Engine::put`].
    pub fn replace_if_same(
        &self,
        map: &str,
        key: &Data,
        expected: &Data,
        value: &Data,
    ) -> Result<Outcome<bool>, MemberError> {
        self.write_op(map, key, value, -1, -1, WriteMode::IfSame(expected.clone()))
            .map(|o| o.map(|r| matches!(r, WriteResult::Old(_))))
    }

    fn remove_op(
        &self,
        map: &str,
        key: &Data,
        expected: Option<&Data>,
        kind: RemoveKind,
    ) -> Result<Outcome<Option<Data>>, MemberError> {
        self.key_op(map, key, |_, rec, _| {
            let Some(r) = rec else {
                return Ok((None, Change::None, Vec::new()));
            };
            if let Some(e) = expected
                && !same_value(&r.value, e)
            {
                return Ok((None, Change::None, Vec::new()));
            }
            let old = r.value.clone();
            let ev = match kind {
                RemoveKind::Remove => (event_type::REMOVED, None, Some(old.clone())),
                // facts 4.3: delete never sends the old value.
                RemoveKind::Delete => (event_type::REMOVED, None, None),
                RemoveKind::Evict => (event_type::EVICTED, None, Some(old.clone())),
            };
            Ok((Some(old), Change::Remove, vec![ev]))
        })
    }

    /// Map.remove: the removed value.
    ///
    /// # Errors
    /// Only for an unusable cluster.
    pub fn remove(&self, map: &str, key: &Data) -> Result<Outcome<Option<Data>>, MemberError> {
        self.remove_op(map, key, None, RemoveKind::Remove)
    }

    /// Map.removeIfSame: true when removed.
    ///
    /// # Errors
    /// Only for an unusable cluster.
    pub fn remove_if_same(
        &self,
        map: &str,
        key: &Data,
        expected: &Data,
    ) -> Result<Outcome<bool>, MemberError> {
        self.remove_op(map, key, Some(expected), RemoveKind::Remove)
            .map(|o| o.map(|v| v.is_some()))
    }

    /// Map.delete: true when something was removed.
    ///
    /// # Errors
    /// Only for an unusable cluster.
    pub fn delete(&self, map: &str, key: &Data) -> Result<Outcome<bool>, MemberError> {
        self.remove_op(map, key, None, RemoveKind::Delete)
            .map(|o| o.map(|v| v.is_some()))
    }

    /// Map.evict: true when something was evicted.
    ///
    /// # Errors
    /// Only for an unusable cluster.
    pub fn evict(&self, map: &str, key: &Data) -> Result<Outcome<bool>, MemberError> {
        self.remove_op(map, key, None, RemoveKind::Evict)
            .map(|o| o.map(|v| v.is_some()))
    }

    /// Map.setTtl: restarts the TTL, resets max-idle to the map config (facts 1.5, 2.4).
    ///
    /// # Errors
    /// Only for an unusable cluster.
    pub fn set_ttl(&self, map: &str, key: &Data, ttl: i64) -> Result<Outcome<bool>, MemberError> {
        self.key_op(map, key, |ctx, rec, now| match rec {
            Some(r) => {
                let mut r = r.clone();
                r.set_ttl(
                    now,
                    resolve_duration(ttl, ctx.config.time_to_live_seconds),
                    resolve_duration(-1, ctx.config.max_idle_seconds),
                );
                Ok((true, Change::Upsert(r), Vec::new()))
            }
            None => Ok((false, Change::None, Vec::new())),
        })
    }

    // ---- map-wide operations -------------------------------------------------------------

    /// Map.size: entries on the owners, including expired ones the expiry task has not
    /// removed yet: a real member returns its storage size (`DefaultRecordStore.size()`).
    pub fn size(&self, map: &str) -> i32 {
        let s = self.lock();
        let mut n = 0usize;
        for (p, replicas) in (0u32..).zip(&s.table.replicas) {
            if let Some(owner) = replicas.first()
                && let Some(st) = s.store(*owner, p, map)
            {
                n += st.len();
            }
        }
        i32::try_from(n).unwrap_or(i32::MAX)
    }

    /// Map.clear: removes every entry; one CLEAR_ALL event from `via` when any was removed.
    pub fn clear(&self, map: &str, via: Uuid) {
        self.drop_all(map, via, event_type::CLEAR_ALL);
    }

    /// Map.evictAll: like clear, with one EVICT_ALL event.
    pub fn evict_all(&self, map: &str, via: Uuid) {
        self.drop_all(map, via, event_type::EVICT_ALL);
    }

    fn drop_all(&self, map: &str, via: Uuid, kind: i32) {
        let mut s = self.lock();
        let mut affected = 0usize;
        for (p, replicas) in (0u32..).zip(s.table.replicas.clone()) {
            if let Some(owner) = replicas.first() {
                affected += s.store(*owner, p, map).map_or(0, HashMap::len);
            }
        }
        for m in &mut s.members {
            for maps in m.data.values_mut() {
                maps.remove(map);
            }
        }
        if affected > 0 {
            let ev = EntryEvent {
                registration: Uuid::nil(),
                map: map.to_string(),
                partition_id: -1,
                event_type: kind,
                key: None,
                value: None,
                old_value: None,
                merging_value: None,
                member: via,
                affected_entries: i32::try_from(affected).unwrap_or(i32::MAX),
            };
            s.deliver(ev, None, via);
        }
    }

    /// Entries matching `predicate` (all when None), from the owners, skipping expired ones.
    ///
    /// # Errors
    /// QueryException when an attribute cannot be read from a value.
    pub fn entries(
        &self,
        map: &str,
        predicate: Option<&Predicate>,
    ) -> Result<Vec<(Data, Data)>, MemberError> {
        let now = self.now();
        let s = self.lock();
        let mut out = Vec::new();
        for (p, replicas) in (0u32..).zip(&s.table.replicas) {
            let Some(owner) = replicas.first() else {
                continue;
            };
            let Some(st) = s.store(*owner, p, map) else {
                continue;
            };
            for r in st.values() {
                if r.is_expired(now) {
                    continue;
                }
                let keep = match predicate {
                    None => true,
                    Some(pr) => pr.matches(
                        EntryRef {
                            key: &r.key,
                            value: &r.value,
                        },
                        &s.schemas,
                    )?,
                };
                if keep {
                    out.push((r.key.clone(), r.value.clone()));
                }
            }
        }
        Ok(out)
    }
}

type Ev = (i32, Option<Data>, Option<Data>);

enum WriteMode {
    Always,
    IfAbsent,
    IfPresent,
    IfSame(Data),
}

enum WriteResult {
    Old(Option<Data>),
    NotDone,
}

impl WriteResult {
    fn into_old(self) -> Option<Data> {
        match self {
            WriteResult::Old(v) => v,
            WriteResult::NotDone => None,
        }
    }
}

#[derive(Clone, Copy)]
enum RemoveKind {
    Remove,
    Delete,
    Evict,
}

impl<T> Outcome<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        Outcome {
            value: f(self.value),
            backups: self.backups,
        }
    }
}

/// facts 7.4: an indexed map rejects a plain (non-Compact) value it cannot read.
fn index_rejection(config: &MapConfig, value: &Data) -> Option<MemberError> {
    let index = config.indexes.first()?;
    let attr = index.attributes.first()?;
    if attr == "this" || attr.starts_with("__key") {
        return None;
    }
    let type_id = value.type_id()?;
    let class = java_class(type_id)?;
    Some(MemberError::Query(format!(
        "java.lang.IllegalArgumentException: There is no suitable accessor for '{attr}' on class '{class}'"
    )))
}
