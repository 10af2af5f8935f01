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

mod expiry;
mod map_ops;
mod replicas;

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
/// Largest partition count accepted (larger values are clamped).
pub const MAX_PARTITION_COUNT: u32 = 65_536;
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
    /// Resolved once, when the map is first used (like Hazelcast's `MapContainer`).
    config: Arc<MapConfig>,
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
    config: Arc<MapConfig>,
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
    /// A cluster with no members yet (the partition count is clamped to
    /// 1..=[`MAX_PARTITION_COUNT`]).
    pub fn new(mut config: EngineConfig) -> Self {
        config.partition_count = config.partition_count.clamp(1, MAX_PARTITION_COUNT);
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
    ///
    /// Members without an address are left out of the views clients get, so both view
    /// versions move on when a member becomes reachable.
    pub fn set_address(&self, member: Uuid, address: SocketAddr) {
        let mut s = self.lock();
        if let Some(m) = s.members.iter_mut().find(|m| m.uuid == member) {
            m.address = Some(address);
            s.member_list_version += 1;
            s.table.version += 1;
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
        MapConfig::clone(&self.lock().container(map).config)
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
            Arc::make_mut(&mut c.config).indexes.push(index);
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
