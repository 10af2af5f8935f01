//! The replicated stores: map containers, the owner and backup copies of each partition,
//! change replication, event delivery and rebalancing after membership changes.

use super::*;

impl State {
    pub(super) fn container(&mut self, map: &str) -> &mut MapContainer {
        if !self.maps.contains_key(map) {
            let config = Arc::new(self.configs.resolve(map));
            self.maps.insert(map.to_string(), MapContainer { config });
        }
        // Just inserted when it was missing.
        self.maps
            .entry(map.to_string())
            .or_insert_with(|| MapContainer {
                config: Arc::new(MapConfig::new(map)),
            })
    }

    pub(super) fn key_ctx(&mut self, map: &str, partition: u32) -> Result<KeyCtx, MemberError> {
        let config = self.container(map).config.clone();
        let replicas = self
            .table
            .replicas
            .get(partition as usize)
            .cloned()
            .unwrap_or_default();
        let owner = *replicas.first().ok_or(MemberError::NotActive)?;
        let sync = usize::try_from(config.backup_count.max(0)).unwrap_or(0);
        let asyn = usize::try_from(config.async_backup_count.max(0)).unwrap_or(0);
        let backups = replicas
            .iter()
            .skip(1)
            .take(sync + asyn)
            .enumerate()
            .map(|(i, m)| (*m, i < sync))
            .collect();
        Ok(KeyCtx {
            partition,
            owner,
            backups,
            config,
        })
    }

    pub(super) fn slot(&self, member: Uuid) -> Option<&MemberSlot> {
        self.members.iter().find(|m| m.uuid == member && m.alive)
    }

    pub(super) fn store(&self, member: Uuid, p: u32, map: &str) -> Option<&Store> {
        self.slot(member)?.data.get(&p)?.get(map)
    }

    pub(super) fn store_mut(&mut self, member: Uuid, p: u32, map: &str) -> Option<&mut Store> {
        let slot = self
            .members
            .iter_mut()
            .find(|m| m.uuid == member && m.alive)?;
        Some(
            slot.data
                .entry(p)
                .or_default()
                .entry(map.to_string())
                .or_default(),
        )
    }

    pub(super) fn record(&self, member: Uuid, p: u32, map: &str, kid: &[u8]) -> Option<&Record> {
        self.store(member, p, map)?.get(kid)
    }

    /// Applies a change to the owner and every backup replica.
    pub(super) fn apply(&mut self, ctx: &KeyCtx, map: &str, kid: &[u8], change: &Change) {
        let targets: Vec<Uuid> = std::iter::once(ctx.owner)
            .chain(ctx.backups.iter().map(|(m, _)| *m))
            .collect();
        for m in targets {
            let Some(store) = self.store_mut(m, ctx.partition, map) else {
                continue;
            };
            match change {
                Change::None => {}
                Change::Upsert(r) => {
                    store.insert(kid.to_vec(), r.clone());
                }
                Change::Access(now) => {
                    if let Some(r) = store.get_mut(kid) {
                        r.access(*now);
                    }
                }
                Change::Remove => {
                    store.remove(kid);
                }
            }
        }
    }

    pub(super) fn fire(
        &mut self,
        ctx: &KeyCtx,
        map: &str,
        key: &Data,
        t: i32,
        value: Option<&Data>,
        old: Option<&Data>,
    ) {
        let ev = EntryEvent {
            registration: Uuid::nil(),
            map: map.to_string(),
            partition_id: i32::try_from(ctx.partition).unwrap_or(-1),
            event_type: t,
            key: Some(key.clone()),
            value: value.cloned(),
            old_value: old.cloned(),
            merging_value: None,
            member: ctx.owner,
            affected_entries: 1,
        };
        self.deliver(ev, Some(key), ctx.owner);
    }

    pub(super) fn deliver(&mut self, ev: EntryEvent, key: Option<&Data>, owner: Uuid) {
        let test_value = if matches!(
            ev.event_type,
            event_type::REMOVED | event_type::EVICTED | event_type::EXPIRED
        ) {
            ev.old_value.as_ref()
        } else {
            ev.value.as_ref()
        };
        for l in &self.listeners {
            let spec = &l.spec;
            if spec.map != ev.map || spec.flags & ev.event_type == 0 {
                continue;
            }
            if spec.local_only && l.member != owner {
                continue;
            }
            if let (Some(want), Some(k)) = (&spec.key, key)
                && key_id(want) != key_id(k)
            {
                continue;
            }
            if let (Some(pred), Some(k)) = (&spec.predicate, key) {
                let Some(v) = test_value else { continue };
                match pred.matches(EntryRef { key: k, value: v }, &self.schemas) {
                    Ok(true) => {}
                    _ => continue,
                }
            }
            let mut e = ev.clone();
            e.registration = l.id;
            if !spec.include_value {
                e.value = None;
                e.old_value = None;
            }
            if l.tx.try_send(e).is_err() {
                tracing::warn!(map = %ev.map, "entry event dropped: listener queue full or closed");
            }
        }
    }

    /// Recomputes the partition table over live members and moves every partition's data
    /// to its new replicas, taking each map's data from the first surviving old replica
    /// (the owner, else a backup, which is promoted).
    pub(super) fn rebalance(&mut self, partition_count: u32) {
        let alive: Vec<Uuid> = self
            .members
            .iter()
            .filter(|m| m.alive)
            .map(|m| m.uuid)
            .collect();
        let old = std::mem::take(&mut self.table.replicas);
        let version = self.table.version + 1;
        // Collect sources: (partition, map) -> store.
        let mut sources: HashMap<(u32, String), Store> = HashMap::new();
        for (p, replicas) in (0u32..).zip(&old) {
            for m in replicas {
                let Some(slot) = self.members.iter().find(|s| s.uuid == *m) else {
                    continue;
                };
                let Some(maps) = slot.data.get(&p) else {
                    continue;
                };
                for (name, st) in maps {
                    sources
                        .entry((p, name.clone()))
                        .or_insert_with(|| st.clone());
                }
            }
        }
        // Data held by members outside the old replica lists (a fresh table) also counts.
        for slot in &self.members {
            for (p, maps) in &slot.data {
                for (name, st) in maps {
                    sources
                        .entry((*p, name.clone()))
                        .or_insert_with(|| st.clone());
                }
            }
        }
        for slot in &mut self.members {
            slot.data.clear();
        }
        self.table = if alive.is_empty() {
            PartitionTable {
                version,
                replicas: vec![Vec::new(); partition_count as usize],
            }
        } else {
            PartitionTable::assign(partition_count, &alive, version)
        };
        for ((p, name), st) in sources {
            let config = self.container(&name).config.clone();
            let copies =
                1 + usize::try_from((config.backup_count + config.async_backup_count).max(0))
                    .unwrap_or(0);
            let replicas = self
                .table
                .replicas
                .get(p as usize)
                .cloned()
                .unwrap_or_default();
            for m in replicas.iter().take(copies) {
                if let Some(slot) = self.members.iter_mut().find(|s| s.uuid == *m) {
                    slot.data
                        .entry(p)
                        .or_default()
                        .insert(name.clone(), st.clone());
                }
            }
        }
    }
}
