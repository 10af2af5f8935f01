//! The cluster engine: members, partitions, replicated record stores and IMap operations,
//! independent of the wire.
//!
//! Everything lives behind one mutex; an operation runs on the partition owner's store
//! and is copied to the backup replicas before the call returns, so a write acknowledged
//! with backups survives the crash of any single member (facts §9). Asynchronous backups
//! are applied the same way but are not counted in the backup acks a client waits for.
//!
//! A request may arrive at any member: like a real member, which forwards a partition
//! operation to the owner internally, the engine always executes on the owner.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hazelcast_protocol::data::Data;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigRegistry, IndexConfig, MapConfig};
use crate::error::MemberError;
use crate::events::{EntryEvent, Listener, ListenerSpec, event_type};
use crate::partition::{PartitionTable, partition_of};
use crate::query::{EntryRef, Predicate, java_class};
use crate::record::{EntryView, Record, resolve_duration};
use hazelcast_protocol::compact::{Schema, SchemaRegistry};

/// Default period of the background expiry task: 5 s, like
/// `hazelcast.internal.map.expiration.task.period.seconds` (facts 4.1).
pub const DEFAULT_EXPIRY_PERIOD: Duration = Duration::from_secs(5);
/// Default partitions each member cleans per expiry run: min(27, 3 × partition threads),
/// which was 6 on the measured 2-CPU host (facts 4.1).
pub const DEFAULT_EXPIRY_PARTITIONS_PER_RUN: usize = 6;
/// Default partition count.
pub const DEFAULT_PARTITION_COUNT: u32 = 271;

/// Settings of an engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Cluster name clients must present.
    pub cluster_name: String,
    /// Partition count (271 by default).
    pub partition_count: u32,
    /// Static map configs (patterns allowed).
    pub map_configs: Vec<MapConfig>,
    /// Period of the background expiry task.
    pub expiry_period: Duration,
    /// Partitions each member cleans per expiry run.
    pub expiry_partitions_per_run: usize,
    /// Clock for record times.
    pub clock: Arc<dyn Clock>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            cluster_name: "dev".into(),
            partition_count: DEFAULT_PARTITION_COUNT,
            map_configs: Vec::new(),
            expiry_period: DEFAULT_EXPIRY_PERIOD,
            expiry_partitions_per_run: DEFAULT_EXPIRY_PARTITIONS_PER_RUN,
            clock: Arc::new(SystemClock),
        }
    }
}

/// A member as the cluster sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// Member uuid.
    pub uuid: Uuid,
    /// Client address, once the member listens.
    pub address: Option<SocketAddr>,
}

/// The result of an operation with the members that hold its synchronous backups (each of
/// them sends a backup ack to a backup-aware client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    /// The operation's answer.
    pub value: T,
    /// Members holding the synchronous backups written by this operation.
    pub backups: Vec<Uuid>,
}

impl<T> Outcome<T> {
    fn none(value: T) -> Self {
        Self {
            value,
            backups: Vec::new(),
        }
    }
}

type Store = HashMap<Vec<u8>, Record>;

#[derive(Debug)]
struct MemberSlot {
    uuid: Uuid,
    address: Option<SocketAddr>,
    alive: bool,
    /// partition → map → records (primary or backup copy).
    data: HashMap<u32, HashMap<String, Store>>,
    expiry_cursor: usize,
}

#[derive(Debug)]
struct MapContainer {
    config: MapConfig,
}

#[derive(Debug)]
struct State {
    members: Vec<MemberSlot>,
    member_list_version: i32,
    table: PartitionTable,
    configs: ConfigRegistry,
    maps: HashMap<String, MapContainer>,
    schemas: SchemaRegistry,
    listeners: Vec<Listener>,
}

/// The shared cluster engine. Cheap to clone; all clones see the same cluster.
#[derive(Debug, Clone)]
pub struct Engine {
    state: Arc<Mutex<State>>,
    config: Arc<EngineConfig>,
    cluster_id: Uuid,
    views: Arc<watch::Sender<u64>>,
    /// Partition that key operations run on instead of the key's own (see [`Engine::on_partition`]).
    partition_override: Option<u32>,
}

/// Identity of a key inside a store: type + payload, ignoring the partition hash, like
/// Hazelcast's `Data.equals`.
fn key_id(key: &Data) -> Vec<u8> {
    key.as_bytes().get(4..).unwrap_or(&[]).to_vec()
}

/// Byte comparison of two values ignoring the partition hash (`BinaryValueComparator`).
fn same_value(a: &Data, b: &Data) -> bool {
    a.as_bytes().get(4..) == b.as_bytes().get(4..)
}

/// Context of one key operation: the partition and its replicas for a map.
struct KeyCtx {
    partition: u32,
    owner: Uuid,
    /// Backups: (member, synchronous?).
    backups: Vec<(Uuid, bool)>,
    config: MapConfig,
}

enum Change {
    None,
    Upsert(Record),
    /// A read access at the given time, applied to each copy that holds the key (so a
    /// primary-only record is not copied to backups by reading it).
    Access(i64),
    Remove,
}

impl Engine {
    /// A cluster with no members yet.
    pub fn new(config: EngineConfig) -> Self {
        let table = PartitionTable {
            version: 0,
            replicas: vec![Vec::new(); config.partition_count as usize],
        };
        let state = State {
            members: Vec::new(),
            member_list_version: 0,
            table,
            configs: ConfigRegistry::new(config.map_configs.clone()),
            maps: HashMap::new(),
            schemas: SchemaRegistry::new(),
            listeners: Vec::new(),
        };
        let (views, _) = watch::channel(0);
        Self {
            state: Arc::new(Mutex::new(state)),
            config: Arc::new(config),
            cluster_id: Uuid::new_v4(),
            views: Arc::new(views),
            partition_override: None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave records half-written in a way that
        // matters to tests; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> i64 {
        self.config.clock.now_millis()
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Cluster id sent in authentication responses.
    pub fn cluster_id(&self) -> Uuid {
        self.cluster_id
    }

    /// Partition count.
    pub fn partition_count(&self) -> u32 {
        self.config.partition_count
    }

    /// Partition of a key.
    pub fn partition_of(&self, key: &Data) -> u32 {
        partition_of(key.as_bytes(), self.config.partition_count)
    }

    /// A handle whose key operations run on partition `p` whatever the key's hash says.
    ///
    /// A real member executes a key operation on the partition id in the request header
    /// (`AbstractPartitionMessageTask.getPartitionId()`), so a client that routes with a
    /// wrong partition id stores the entry where it will not find it again. The wire layer
    /// uses this to behave the same.
    ///
    /// # Errors
    /// ILLEGAL_ARGUMENT for a negative or out-of-range id (message shape not measured).
    pub fn on_partition(&self, p: i32) -> Result<Engine, MemberError> {
        if p < 0 {
            return Err(MemberError::IllegalArgument(
                "Partition ID cannot be negative!".into(),
            ));
        }
        let p = p as u32;
        if p >= self.config.partition_count {
            return Err(MemberError::IllegalArgument(format!(
                "Partition ID {p} is out of range, partition count is {}",
                self.config.partition_count
            )));
        }
        let mut e = self.clone();
        e.partition_override = Some(p);
        Ok(e)
    }

    fn target_partition(&self, key: &Data) -> u32 {
        self.partition_override
            .unwrap_or_else(|| partition_of(key.as_bytes(), self.config.partition_count))
    }

    /// A receiver that changes whenever the member list or partition table changes.
    pub fn subscribe_views(&self) -> watch::Receiver<u64> {
        self.views.subscribe()
    }

    fn bump_views(&self) {
        self.views.send_modify(|v| *v += 1);
    }

    // ---- membership ---------------------------------------------------------------

    /// Starts a new member; partitions are rebalanced onto it, keeping all data.
    pub fn add_member(&self) -> Uuid {
        let uuid = Uuid::new_v4();
        {
            let mut s = self.lock();
            s.members.push(MemberSlot {
                uuid,
                address: None,
                alive: true,
                data: HashMap::new(),
                expiry_cursor: 0,
            });
            s.member_list_version += 1;
            s.rebalance(self.config.partition_count);
        }
        self.bump_views();
        uuid
    }

    /// Records the client address a member listens on.
    pub fn set_address(&self, member: Uuid, address: SocketAddr) {
        let mut s = self.lock();
        if let Some(m) = s.members.iter_mut().find(|m| m.uuid == member) {
            m.address = Some(address);
        }
        drop(s);
        self.bump_views();
    }

    /// Kills a member: its data is gone; backups on survivors are promoted and new backups
    /// are created, so nothing written with a backup is lost. Its listeners are dropped.
    pub fn crash_member(&self, member: Uuid) {
        self.remove_member(member, false);
    }

    /// Shuts a member down gracefully: its partitions move to the others first, so even
    /// maps without backups lose nothing.
    pub fn stop_member(&self, member: Uuid) {
        self.remove_member(member, true);
    }

    fn remove_member(&self, member: Uuid, graceful: bool) {
        {
            let mut s = self.lock();
            let Some(idx) = s.members.iter().position(|m| m.uuid == member && m.alive) else {
                return;
            };
            s.members[idx].alive = false;
            if !graceful {
                s.members[idx].data.clear();
            }
            s.member_list_version += 1;
            s.listeners.retain(|l| l.member != member);
            s.rebalance(self.config.partition_count);
            s.members[idx].data.clear();
        }
        self.bump_views();
    }

    /// Live members in join order (the master first).
    pub fn members(&self) -> Vec<MemberView> {
        self.lock()
            .members
            .iter()
            .filter(|m| m.alive)
            .map(|m| MemberView {
                uuid: m.uuid,
                address: m.address,
            })
            .collect()
    }

    /// Whether the member is alive.
    pub fn is_alive(&self, member: Uuid) -> bool {
        self.lock()
            .members
            .iter()
            .any(|m| m.uuid == member && m.alive)
    }

    /// Member list version.
    pub fn member_list_version(&self) -> i32 {
        self.lock().member_list_version
    }

    /// The current partition table.
    pub fn partition_table(&self) -> PartitionTable {
        self.lock().table.clone()
    }

    // ---- configuration, proxies, schemas ----------------------------------------------

    /// DynamicConfig.addMapConfig.
    ///
    /// # Errors
    /// INVALID_CONFIGURATION for a conflicting config (facts 7.3).
    pub fn add_map_config(&self, config: MapConfig) -> Result<(), MemberError> {
        self.lock().configs.add_dynamic(config)
    }

    /// The effective config of a map (creating its container like a first use does).
    pub fn map_config(&self, map: &str) -> MapConfig {
        self.lock().container(map).config.clone()
    }

    /// Client.createProxy: creates the map container.
    pub fn create_proxy(&self, map: &str) {
        self.lock().container(map);
    }

    /// Client.destroyProxy: drops the map and all its data.
    pub fn destroy_proxy(&self, map: &str) {
        let mut s = self.lock();
        s.maps.remove(map);
        for m in &mut s.members {
            for maps in m.data.values_mut() {
                maps.remove(map);
            }
        }
    }

    /// Registers a Compact schema on every member; returns the members that hold it.
    ///
    /// # Errors
    /// A different schema with the same id (a fingerprint collision).
    pub fn add_schema(&self, schema: Schema) -> Result<Vec<Uuid>, MemberError> {
        let s = self.lock();
        s.schemas
            .register_replicated(schema)
            .map_err(|e| MemberError::Serialization(e.to_string()))?;
        Ok(s.members
            .iter()
            .filter(|m| m.alive)
            .map(|m| m.uuid)
            .collect())
    }

    /// Looks a schema up by id.
    pub fn schema(&self, id: i64) -> Option<Arc<Schema>> {
        self.lock().schemas.get(id)
    }

    /// Map.addIndex: the index is added to the map container (queries give the same
    /// answers with or without it; values an index cannot read are rejected, facts 7.4).
    ///
    /// # Errors
    /// ILLEGAL_ARGUMENT when no attribute is given.
    pub fn add_index(&self, map: &str, index: IndexConfig) -> Result<(), MemberError> {
        if index.attributes.is_empty() {
            return Err(MemberError::IllegalArgument(
                "Index must have at least one attribute".into(),
            ));
        }
        let mut s = self.lock();
        let c = s.container(map);
        let same =
            |i: &IndexConfig| i.attributes == index.attributes && i.index_type == index.index_type;
        if !c.config.indexes.iter().any(same) {
            c.config.indexes.push(index);
        }
        Ok(())
    }

    // ---- listeners --------------------------------------------------------------------

    /// Registers an entry listener on `member`; events go to `tx`.
    pub fn add_entry_listener(
        &self,
        member: Uuid,
        spec: ListenerSpec,
        tx: mpsc::Sender<EntryEvent>,
    ) -> Uuid {
        let id = Uuid::new_v4();
        self.lock().listeners.push(Listener {
            id,
            member,
            spec,
            tx,
        });
        id
    }

    /// Removes a listener; false when unknown.
    pub fn remove_entry_listener(&self, registration: Uuid) -> bool {
        let mut s = self.lock();
        let before = s.listeners.len();
        s.listeners.retain(|l| l.id != registration);
        s.listeners.len() != before
    }

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
    /// removed yet (a real member counts its storage).
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
                event_type: event_type::CLEAR_ALL,
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

    // ---- expiry --------------------------------------------------------------------------

    /// One run of the background expiry task: each live member removes the expired
    /// entries of its next `expiry_partitions_per_run` owned partitions (round robin) and
    /// fires their `expired` events. Returns how many entries expired.
    pub fn run_expiry_cycle(&self) -> usize {
        let now = self.now();
        let per_run = self.config.expiry_partitions_per_run.max(1);
        let mut s = self.lock();
        let mut expired = 0;
        let members: Vec<Uuid> = s
            .members
            .iter()
            .filter(|m| m.alive)
            .map(|m| m.uuid)
            .collect();
        for member in members {
            let owned = s.table.owned_by(member);
            if owned.is_empty() {
                continue;
            }
            let Some(idx) = s.members.iter().position(|m| m.uuid == member) else {
                continue;
            };
            let start = s.members[idx].expiry_cursor % owned.len();
            s.members[idx].expiry_cursor = start + per_run.min(owned.len());
            for i in 0..per_run.min(owned.len()) {
                let p = owned[(start + i) % owned.len()];
                let maps: Vec<String> = s.members[idx]
                    .data
                    .get(&p)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for map in maps {
                    let due: Vec<Record> = s
                        .store(member, p, &map)
                        .map(|st| st.values().filter(|r| r.is_expired(now)).cloned().collect())
                        .unwrap_or_default();
                    if due.is_empty() {
                        continue;
                    }
                    let ctx = match s.key_ctx(&map, p) {
                        Ok(c) => c,
                        Err(_) => continue,
                    };
                    for r in due {
                        let kid = key_id(&r.key);
                        s.apply(&ctx, &map, &kid, &Change::Remove);
                        s.fire(
                            &ctx,
                            &map,
                            &r.key,
                            event_type::EXPIRED,
                            None,
                            Some(&r.value),
                        );
                        expired += 1;
                    }
                }
            }
        }
        expired
    }

    /// Spawns the background expiry task on the current tokio runtime; it runs every
    /// `expiry_period` until the returned handle is aborted.
    pub fn spawn_expiry_task(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        let period = self.config.expiry_period.max(Duration::from_millis(10));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                let n = engine.run_expiry_cycle();
                if n > 0 {
                    tracing::debug!(expired = n, "expiry task removed entries");
                }
            }
        })
    }

    /// Number of copies of `key` held by live members (primary plus backups), for tests.
    pub fn replica_count(&self, map: &str, key: &Data) -> usize {
        let s = self.lock();
        let p = partition_of(key.as_bytes(), self.config.partition_count);
        let kid = key_id(key);
        s.members
            .iter()
            .filter(|m| m.alive)
            .filter(|m| {
                m.data
                    .get(&p)
                    .and_then(|maps| maps.get(map))
                    .is_some_and(|st| st.contains_key(&kid))
            })
            .count()
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

impl State {
    fn container(&mut self, map: &str) -> &mut MapContainer {
        let cfg = self.configs.resolve(map);
        self.maps
            .entry(map.to_string())
            .or_insert_with(|| MapContainer { config: cfg })
    }

    fn key_ctx(&mut self, map: &str, partition: u32) -> Result<KeyCtx, MemberError> {
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

    fn slot(&self, member: Uuid) -> Option<&MemberSlot> {
        self.members.iter().find(|m| m.uuid == member && m.alive)
    }

    fn store(&self, member: Uuid, p: u32, map: &str) -> Option<&Store> {
        self.slot(member)?.data.get(&p)?.get(map)
    }

    fn store_mut(&mut self, member: Uuid, p: u32, map: &str) -> Option<&mut Store> {
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

    fn record(&self, member: Uuid, p: u32, map: &str, kid: &[u8]) -> Option<&Record> {
        self.store(member, p, map)?.get(kid)
    }

    /// Applies a change to the owner and every backup replica.
    fn apply(&mut self, ctx: &KeyCtx, map: &str, kid: &[u8], change: &Change) {
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

    fn fire(
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

    fn deliver(&mut self, ev: EntryEvent, key: Option<&Data>, owner: Uuid) {
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
    fn rebalance(&mut self, partition_count: u32) {
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
