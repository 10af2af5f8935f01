//! Map configurations: static defaults, wildcard name patterns and dynamic `AddMapConfig`.
//!
//! Rules (facts doc §7, protocol brief §2.3 and §6.1):
//! - a map takes the config whose name matches it exactly, else the best wildcard pattern
//!   (`idle-*` matches `idle-x`; the pattern with the longest literal part wins), else
//!   `default`, else the built-in defaults (backup count 1, no TTL, no max-idle);
//! - adding a dynamic config equal to an existing one is a no-op (facts 7.2);
//! - adding a different one under the same name fails with INVALID_CONFIGURATION (code 32)
//!   and the message `Cannot add a dynamic configuration '<new>' as there is already a
//!   conflicting configuration '<existing>'`, both rendered like Java's `MapConfig.toString`
//!   (facts 7.3; the new one prints `entryListenerConfigs=null`, the stored one `[]`);
//! - a different config under the name of a static one fails with
//!   `Cannot add a new dynamic configuration <new> as static configuration already contains
//!   <existing>` (no quotes; text of `DynamicConfigurationAwareConfig.checkStaticConfigDoesNotExist`,
//!   not measured).

use std::collections::HashMap;

use crate::error::MemberError;

/// Index types (`IndexType` ordinal on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexType {
    /// Sorted index (0).
    Sorted,
    /// Hash index (1).
    Hash,
    /// Bitmap index (2).
    Bitmap,
}

impl IndexType {
    /// From the wire ordinal.
    pub fn from_wire(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::Sorted),
            1 => Some(Self::Hash),
            2 => Some(Self::Bitmap),
            _ => None,
        }
    }

    /// The Java enum name.
    pub fn java_name(self) -> &'static str {
        match self {
            Self::Sorted => "SORTED",
            Self::Hash => "HASH",
            Self::Bitmap => "BITMAP",
        }
    }
}

/// One index of a map.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexConfig {
    /// Optional index name (a member normalizes `None`).
    pub name: Option<String>,
    /// Index type.
    pub index_type: IndexType,
    /// Indexed attributes.
    pub attributes: Vec<String>,
}

impl IndexConfig {
    fn java_string(&self) -> String {
        format!(
            "IndexConfig{{name={}, type={}, attributes=[{}], bTreeIndexConfig=BTreeIndexConfig{{pageSize=16 KILOBYTES, memoryTierConfig=MemoryTierConfig{{capacity=256 MEGABYTES}}}}}}",
            self.name.as_deref().unwrap_or("null"),
            self.index_type.java_name(),
            self.attributes.join(", ")
        )
    }
}

/// A WAN replication reference (accepted even if no such WAN config exists, facts 7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WanReplicationRef {
    /// Name of the WAN replication config.
    pub name: String,
    /// Merge policy class name.
    pub merge_policy: String,
    /// Filter class names.
    pub filters: Vec<String>,
    /// Whether republishing is enabled.
    pub republishing_enabled: bool,
}

/// Eviction settings of a map (only stored and compared; this member never evicts by size).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EvictionConfig {
    /// Maximum size.
    pub size: i32,
    /// Max size policy name.
    pub max_size_policy: String,
    /// Eviction policy name.
    pub eviction_policy: String,
    /// Comparator class name.
    pub comparator_class_name: Option<String>,
}

impl Default for EvictionConfig {
    fn default() -> Self {
        Self {
            size: i32::MAX,
            max_size_policy: "PER_NODE".into(),
            eviction_policy: "NONE".into(),
            comparator_class_name: None,
        }
    }
}

/// Configuration of one map (or a wildcard pattern of maps), with Hazelcast's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapConfig {
    /// Map name or pattern with one `*`.
    pub name: String,
    /// Synchronous backups (default 1).
    pub backup_count: i32,
    /// Asynchronous backups (default 0).
    pub async_backup_count: i32,
    /// Map-level TTL in seconds, 0 = none.
    pub time_to_live_seconds: i32,
    /// Map-level max-idle in seconds, 0 = none.
    pub max_idle_seconds: i32,
    /// `readBackupData`.
    pub read_backup_data: bool,
    /// `inMemoryFormat` (BINARY).
    pub in_memory_format: String,
    /// `metadataPolicy` (0 = CREATE_ON_UPDATE, 1 = OFF).
    pub metadata_policy: i32,
    /// Merge policy class name.
    pub merge_policy: String,
    /// Merge batch size.
    pub merge_batch_size: i32,
    /// `statisticsEnabled`.
    pub statistics_enabled: bool,
    /// `perEntryStatsEnabled`.
    pub per_entry_stats_enabled: bool,
    /// `cacheDeserializedValues`.
    pub cache_deserialized_values: String,
    /// Eviction.
    pub eviction: EvictionConfig,
    /// WAN replication reference.
    pub wan_replication_ref: Option<WanReplicationRef>,
    /// Indexes.
    pub indexes: Vec<IndexConfig>,
    /// Split-brain protection name.
    pub split_brain_protection_name: Option<String>,
}

impl MapConfig {
    /// Hazelcast's defaults for a map called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            backup_count: 1,
            async_backup_count: 0,
            time_to_live_seconds: 0,
            max_idle_seconds: 0,
            read_backup_data: false,
            in_memory_format: "BINARY".into(),
            metadata_policy: 0,
            merge_policy: "com.hazelcast.spi.merge.PutIfAbsentMergePolicy".into(),
            merge_batch_size: 100,
            statistics_enabled: true,
            per_entry_stats_enabled: false,
            cache_deserialized_values: "INDEX_ONLY".into(),
            eviction: EvictionConfig::default(),
            wan_replication_ref: None,
            indexes: Vec::new(),
            split_brain_protection_name: None,
        }
    }

    /// Sets the map-level max-idle (builder style).
    pub fn with_max_idle_seconds(mut self, s: i32) -> Self {
        self.max_idle_seconds = s;
        self
    }

    /// Sets the map-level TTL (builder style).
    pub fn with_ttl_seconds(mut self, s: i32) -> Self {
        self.time_to_live_seconds = s;
        self
    }

    /// Sets the backup counts (builder style).
    pub fn with_backups(mut self, sync: i32, async_: i32) -> Self {
        self.backup_count = sync;
        self.async_backup_count = async_;
        self
    }

    /// Renders like Java's `MapConfig.toString()` in Hazelcast 5.4; `stored` selects how
    /// lazily created lists print (`[]` once a member used the config, `null` before).
    pub fn java_string(&self, stored: bool) -> String {
        let lazy = if stored { "[]" } else { "null" };
        let metadata = if self.metadata_policy == 1 {
            "OFF"
        } else {
            "CREATE_ON_UPDATE"
        };
        let wan = match &self.wan_replication_ref {
            None => "null".to_string(),
            Some(w) => format!(
                "WanReplicationRef{{name='{}', mergePolicy='{}', filters='[{}]', republishingEnabled='{}'}}",
                w.name,
                w.merge_policy,
                w.filters.join(", "),
                w.republishing_enabled
            ),
        };
        let indexes: Vec<String> = self.indexes.iter().map(IndexConfig::java_string).collect();
        format!(
            "MapConfig{{name='{name}', inMemoryFormat='{imf}', metadataPolicy={metadata}, backupCount={bc}, asyncBackupCount={abc}, timeToLiveSeconds={ttl}, maxIdleSeconds={mi}, readBackupData={rbd}, evictionConfig=EvictionConfig{{size={esize}, maxSizePolicy={msp}, evictionPolicy={ep}, comparatorClassName={ccn}, comparator=null}}, merkleTree=MerkleTreeConfig{{enabled=null, depth=10}}, eventJournal=EventJournalConfig{{enabled=false, capacity=10000, timeToLiveSeconds=0}}, hotRestart=HotRestartConfig{{enabled=false, fsync=false}}, dataPersistenceConfig=DataPersistenceConfig{{enabled=false, fsync=false}}, nearCacheConfig=null, mapStoreConfig=MapStoreConfig{{enabled=false, className='null', factoryClassName='null', writeDelaySeconds=0, writeBatchSize=1, implementation=null, factoryImplementation=null, properties={{}}, initialLoadMode=LAZY, writeCoalescing=true, offload=true}}, mergePolicyConfig=MergePolicyConfig{{policy='{mp}', batchSize={mbs}}}, wanReplicationRef={wan}, entryListenerConfigs={lazy}, indexConfigs=[{idx}], attributeConfigs=[], splitBrainProtectionName={sbp}, queryCacheConfigs={lazy}, cacheDeserializedValues={cdv}, statisticsEnabled={se}, entryStatsEnabled={pes}, tieredStoreConfig=TieredStoreConfig{{enabled=false, memoryTierConfig=MemoryTierConfig{{capacity=256 MEGABYTES}}, diskTierConfig=DiskTierConfig{{enabled=false, deviceName='default-tiered-store-device'}}}}, partitioningAttributeConfigs=[]}}",
            name = self.name,
            imf = self.in_memory_format,
            bc = self.backup_count,
            abc = self.async_backup_count,
            ttl = self.time_to_live_seconds,
            mi = self.max_idle_seconds,
            rbd = self.read_backup_data,
            esize = self.eviction.size,
            msp = self.eviction.max_size_policy,
            ep = self.eviction.eviction_policy,
            ccn = self
                .eviction
                .comparator_class_name
                .as_deref()
                .unwrap_or("null"),
            mp = self.merge_policy,
            mbs = self.merge_batch_size,
            idx = indexes.join(", "),
            sbp = self
                .split_brain_protection_name
                .as_deref()
                .unwrap_or("null"),
            cdv = self.cache_deserialized_values,
            se = self.statistics_enabled,
            pes = self.per_entry_stats_enabled,
        )
    }

    /// Whether two configs are equal for the conflict check. Merge policies compare by simple
    /// class name, because a member registers each policy under both names (brief §6.2).
    fn same_as(&self, other: &MapConfig) -> bool {
        fn simple(s: &str) -> &str {
            s.rsplit('.').next().unwrap_or(s)
        }
        let mut a = self.clone();
        let mut b = other.clone();
        a.merge_policy = simple(&a.merge_policy).to_string();
        b.merge_policy = simple(&b.merge_policy).to_string();
        if let Some(w) = a.wan_replication_ref.as_mut() {
            w.merge_policy = simple(&w.merge_policy).to_string();
        }
        if let Some(w) = b.wan_replication_ref.as_mut() {
            w.merge_policy = simple(&w.merge_policy).to_string();
        }
        a == b
    }
}

/// Strips a partition-key suffix (`name@key`) as Hazelcast does before matching configs.
fn base_name(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

/// Length of the literal part of `pattern` if it matches `name`, else `None`.
fn pattern_match(pattern: &str, name: &str) -> Option<usize> {
    let (prefix, suffix) = pattern.split_once('*')?;
    if suffix.contains('*') {
        return None;
    }
    let ok = name.len() >= prefix.len() + suffix.len()
        && name.starts_with(prefix)
        && name.ends_with(suffix);
    ok.then_some(prefix.len() + suffix.len())
}

/// All map configurations of a cluster (shared by its members, like Hazelcast's
/// cluster-wide configuration service).
#[derive(Debug, Clone, Default)]
pub struct ConfigRegistry {
    static_configs: HashMap<String, MapConfig>,
    dynamic_configs: HashMap<String, MapConfig>,
}

impl ConfigRegistry {
    /// A registry with the given static configs.
    pub fn new(static_configs: impl IntoIterator<Item = MapConfig>) -> Self {
        Self {
            static_configs: static_configs
                .into_iter()
                .map(|c| (c.name.clone(), c))
                .collect(),
            dynamic_configs: HashMap::new(),
        }
    }

    /// The config that applies to map `name` (see the module docs for the order).
    pub fn resolve(&self, name: &str) -> MapConfig {
        let base = base_name(name);
        for set in [&self.dynamic_configs, &self.static_configs] {
            if let Some(c) = set.get(base) {
                return with_name(c, name);
            }
        }
        let mut best: Option<(usize, &MapConfig)> = None;
        for c in self
            .dynamic_configs
            .values()
            .chain(self.static_configs.values())
        {
            if let Some(score) = pattern_match(&c.name, base)
                && best.is_none_or(|(s, _)| score > s)
            {
                best = Some((score, c));
            }
        }
        if let Some((_, c)) = best {
            return with_name(c, name);
        }
        if let Some(c) = self
            .dynamic_configs
            .get("default")
            .or_else(|| self.static_configs.get("default"))
        {
            return with_name(c, name);
        }
        MapConfig::new(name)
    }

    /// Adds a dynamic config (DynamicConfig.addMapConfig).
    ///
    /// # Errors
    /// [`MemberError::InvalidConfiguration`] when a different config has that name.
    pub fn add_dynamic(&mut self, config: MapConfig) -> Result<(), MemberError> {
        if let Some(existing) = self.static_configs.get(&config.name) {
            if existing.same_as(&config) {
                return Ok(());
            }
            return Err(MemberError::InvalidConfiguration(format!(
                "Cannot add a new dynamic configuration {} as static configuration already contains {}",
                config.java_string(false),
                existing.java_string(true)
            )));
        }
        if let Some(existing) = self.dynamic_configs.get(&config.name) {
            if existing.same_as(&config) {
                return Ok(());
            }
            return Err(MemberError::InvalidConfiguration(format!(
                "Cannot add a dynamic configuration '{}' as there is already a conflicting configuration '{}'",
                config.java_string(false),
                existing.java_string(true)
            )));
        }
        self.dynamic_configs.insert(config.name.clone(), config);
        Ok(())
    }
}

fn with_name(c: &MapConfig, name: &str) -> MapConfig {
    let mut c = c.clone();
    c.name = name.to_string();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_and_default_resolution() {
        let reg = ConfigRegistry::new([
            MapConfig::new("idle-*").with_max_idle_seconds(4),
            MapConfig::new("idle-long-*").with_max_idle_seconds(9),
        ]);
        assert_eq!(reg.resolve("idle-x").max_idle_seconds, 4);
        assert_eq!(reg.resolve("idle-long-x").max_idle_seconds, 9);
        assert_eq!(reg.resolve("idle-x@part").max_idle_seconds, 4);
        let other = reg.resolve("sessions");
        assert_eq!(other.max_idle_seconds, 0);
        assert_eq!(other.backup_count, 1);
    }

    #[test]
    fn dynamic_config_conflicting_with_a_static_one_is_rejected() {
        let mut reg = ConfigRegistry::new([MapConfig::new("static-map").with_max_idle_seconds(4)]);
        reg.add_dynamic(MapConfig::new("static-map").with_max_idle_seconds(4))
            .expect("equal to the static config");
        let err = reg
            .add_dynamic(MapConfig::new("static-map"))
            .expect_err("differs from the static config");
        assert_eq!(err.code(), 32);
        let msg = err.to_string();
        assert!(
            msg.starts_with("Cannot add a new dynamic configuration MapConfig{name='static-map'")
        );
        assert!(
            msg.contains(" as static configuration already contains MapConfig{name='static-map'")
        );
        assert_eq!(reg.resolve("static-map").max_idle_seconds, 4);
    }

    #[test]
    fn identical_dynamic_config_is_accepted_again_and_conflict_rejected() {
        let mut reg = ConfigRegistry::default();
        let mut c = MapConfig::new("sessions-dyn").with_max_idle_seconds(1800);
        c.merge_policy = "PutIfAbsentMergePolicy".into();
        c.wan_replication_ref = Some(WanReplicationRef {
            name: "replicate-to-nyc".into(),
            merge_policy: "PutIfAbsentMergePolicy".into(),
            filters: vec![],
            republishing_enabled: true,
        });
        c.indexes.push(IndexConfig {
            name: None,
            index_type: IndexType::Hash,
            attributes: vec!["principalName".into()],
        });
        reg.add_dynamic(c.clone()).expect("first add");
        reg.add_dynamic(c.clone()).expect("identical add");
        let mut d = c.clone();
        d.max_idle_seconds = 3600;
        let err = reg.add_dynamic(d).expect_err("conflict");
        assert_eq!(err.code(), 32);
        let msg = err.to_string();
        // The exact text measured on a real member (facts 7.3).
        let expected = "Cannot add a dynamic configuration 'MapConfig{name='sessions-dyn', inMemoryFormat='BINARY', metadataPolicy=CREATE_ON_UPDATE, backupCount=1, asyncBackupCount=0, timeToLiveSeconds=0, maxIdleSeconds=3600, readBackupData=false, evictionConfig=EvictionConfig{size=2147483647, maxSizePolicy=PER_NODE, evictionPolicy=NONE, comparatorClassName=null, comparator=null}, merkleTree=MerkleTreeConfig{enabled=null, depth=10}, eventJournal=EventJournalConfig{enabled=false, capacity=10000, timeToLiveSeconds=0}, hotRestart=HotRestartConfig{enabled=false, fsync=false}, dataPersistenceConfig=DataPersistenceConfig{enabled=false, fsync=false}, nearCacheConfig=null, mapStoreConfig=MapStoreConfig{enabled=false, className='null', factoryClassName='null', writeDelaySeconds=0, writeBatchSize=1, implementation=null, factoryImplementation=null, properties={}, initialLoadMode=LAZY, writeCoalescing=true, offload=true}, mergePolicyConfig=MergePolicyConfig{policy='PutIfAbsentMergePolicy', batchSize=100}, wanReplicationRef=WanReplicationRef{name='replicate-to-nyc', mergePolicy='PutIfAbsentMergePolicy', filters='[]', republishingEnabled='true'}, entryListenerConfigs=null, indexConfigs=[IndexConfig{name=null, type=HASH, attributes=[principalName], bTreeIndexConfig=BTreeIndexConfig{pageSize=16 KILOBYTES, memoryTierConfig=MemoryTierConfig{capacity=256 MEGABYTES}}}], attributeConfigs=[], splitBrainProtectionName=null, queryCacheConfigs=null, cacheDeserializedValues=INDEX_ONLY, statisticsEnabled=true, entryStatsEnabled=false, tieredStoreConfig=TieredStoreConfig{enabled=false, memoryTierConfig=MemoryTierConfig{capacity=256 MEGABYTES}, diskTierConfig=DiskTierConfig{enabled=false, deviceName='default-tiered-store-device'}}, partitioningAttributeConfigs=[]}' as there is already a conflicting configuration 'MapConfig{name='sessions-dyn', inMemoryFormat='BINARY', metadataPolicy=CREATE_ON_UPDATE, backupCount=1, asyncBackupCount=0, timeToLiveSeconds=0, maxIdleSeconds=1800, readBackupData=false, evictionConfig=EvictionConfig{size=2147483647, maxSizePolicy=PER_NODE, evictionPolicy=NONE, comparatorClassName=null, comparator=null}, merkleTree=MerkleTreeConfig{enabled=null, depth=10}, eventJournal=EventJournalConfig{enabled=false, capacity=10000, timeToLiveSeconds=0}, hotRestart=HotRestartConfig{enabled=false, fsync=false}, dataPersistenceConfig=DataPersistenceConfig{enabled=false, fsync=false}, nearCacheConfig=null, mapStoreConfig=MapStoreConfig{enabled=false, className='null', factoryClassName='null', writeDelaySeconds=0, writeBatchSize=1, implementation=null, factoryImplementation=null, properties={}, initialLoadMode=LAZY, writeCoalescing=true, offload=true}, mergePolicyConfig=MergePolicyConfig{policy='PutIfAbsentMergePolicy', batchSize=100}, wanReplicationRef=WanReplicationRef{name='replicate-to-nyc', mergePolicy='PutIfAbsentMergePolicy', filters='[]', republishingEnabled='true'}, entryListenerConfigs=[], indexConfigs=[IndexConfig{name=null, type=HASH, attributes=[principalName], bTreeIndexConfig=BTreeIndexConfig{pageSize=16 KILOBYTES, memoryTierConfig=MemoryTierConfig{capacity=256 MEGABYTES}}}], attributeConfigs=[], splitBrainProtectionName=null, queryCacheConfigs=[], cacheDeserializedValues=INDEX_ONLY, statisticsEnabled=true, entryStatsEnabled=false, tieredStoreConfig=TieredStoreConfig{enabled=false, memoryTierConfig=MemoryTierConfig{capacity=256 MEGABYTES}, diskTierConfig=DiskTierConfig{enabled=false, deviceName='default-tiered-store-device'}}, partitioningAttributeConfigs=[]}'";
        assert_eq!(msg, expected);
    }
}
