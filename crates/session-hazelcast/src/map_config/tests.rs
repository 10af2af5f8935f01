use std::time::Duration;

use hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest;

use super::*;

/// The member's message for a maxIdle 3600 vs 1800 conflict, as measured on a real member
/// (docs/real-hazelcast-facts.md 7.3), shortened to the fields that matter plus the
/// nested structures that make parsing hard.
const CONFLICT: &str = "Cannot add a dynamic configuration 'MapConfig{name='sessions-dyn', inMemoryFormat='BINARY', metadataPolicy=CREATE_ON_UPDATE, backupCount=1, asyncBackupCount=0, timeToLiveSeconds=0, maxIdleSeconds=3600, readBackupData=false, evictionConfig=EvictionConfig{size=2147483647, maxSizePolicy=PER_NODE, evictionPolicy=NONE, comparatorClassName=null, comparator=null}, merkleTree=MerkleTreeConfig{enabled=null, depth=10}, mergePolicyConfig=MergePolicyConfig{policy='PutIfAbsentMergePolicy', batchSize=100}, wanReplicationRef=WanReplicationRef{name='replicate-to-nyc', mergePolicy='PutIfAbsentMergePolicy', filters='[]', republishingEnabled='true'}, entryListenerConfigs=null, indexConfigs=[IndexConfig{name=null, type=HASH, attributes=[principalName], bTreeIndexConfig=BTreeIndexConfig{pageSize=16 KILOBYTES, memoryTierConfig=MemoryTierConfig{capacity=256 MEGABYTES}}}], attributeConfigs=[], splitBrainProtectionName=null, queryCacheConfigs=null, cacheDeserializedValues=INDEX_ONLY, statisticsEnabled=true, entryStatsEnabled=false, partitioningAttributeConfigs=[]}' as there is already a conflicting configuration 'MapConfig{name='sessions-dyn', inMemoryFormat='BINARY', metadataPolicy=CREATE_ON_UPDATE, backupCount=1, asyncBackupCount=0, timeToLiveSeconds=0, maxIdleSeconds=1800, readBackupData=false, evictionConfig=EvictionConfig{size=2147483647, maxSizePolicy=PER_NODE, evictionPolicy=NONE, comparatorClassName=null, comparator=null}, merkleTree=MerkleTreeConfig{enabled=null, depth=10}, eventJournal=EventJournalConfig{enabled=false, capacity=10000, timeToLiveSeconds=0}, mapStoreConfig=MapStoreConfig{enabled=false, className='null', factoryClassName='null', writeDelaySeconds=0, writeBatchSize=1, implementation=null, factoryImplementation=null, properties={}, initialLoadMode=LAZY, writeCoalescing=true, offload=true}, mergePolicyConfig=MergePolicyConfig{policy='PutIfAbsentMergePolicy', batchSize=100}, wanReplicationRef=WanReplicationRef{name='replicate-to-nyc', mergePolicy='PutIfAbsentMergePolicy', filters='[]', republishingEnabled='true'}, entryListenerConfigs=[], indexConfigs=[IndexConfig{name=null, type=HASH, attributes=[principalName], bTreeIndexConfig=BTreeIndexConfig{pageSize=16 KILOBYTES, memoryTierConfig=MemoryTierConfig{capacity=256 MEGABYTES}}}], attributeConfigs=[], splitBrainProtectionName=null, queryCacheConfigs=[], cacheDeserializedValues=INDEX_ONLY, statisticsEnabled=true, entryStatsEnabled=false, tieredStoreConfig=TieredStoreConfig{enabled=false, memoryTierConfig=MemoryTierConfig{capacity=256 MEGABYTES}, diskTierConfig=DiskTierConfig{enabled=false, deviceName='default-tiered-store-device'}}, partitioningAttributeConfigs=[]}'";

fn measured_config(max_idle: u64) -> SessionMapConfig {
    SessionMapConfig::default()
        .with_max_idle(Some(Duration::from_secs(max_idle)))
        .with_wan_replication_ref(Some(
            WanReplicationRef::new("replicate-to-nyc").with_merge_policy(MergePolicy::PutIfAbsent),
        ))
}

#[test]
fn defaults_are_hazelcast_and_spring_session_defaults() {
    let c = SessionMapConfig::default();
    let r = c.to_request("spring:session:sessions").unwrap();
    assert_eq!(r.name, "spring:session:sessions");
    assert_eq!((r.backup_count, r.async_backup_count), (1, 0));
    assert_eq!((r.time_to_live_seconds, r.max_idle_seconds), (0, 0));
    assert!(!r.read_backup_data);
    assert_eq!(
        r.merge_policy,
        "com.hazelcast.spi.merge.PutIfAbsentMergePolicy"
    );
    assert_eq!(r.merge_batch_size, 100);
    assert_eq!(r.in_memory_format, "BINARY");
    assert_eq!(r.cache_deserialized_values, "INDEX_ONLY");
    assert!(r.statistics_enabled);
    assert_eq!(r.per_entry_stats_enabled, Some(false));
    assert!(r.wan_replication_ref.is_none());
    let idx = r.index_configs.as_ref().unwrap();
    assert_eq!(idx.len(), 1);
    assert_eq!(idx[0].r#type, 1);
    assert_eq!(idx[0].attributes, vec!["principalName".to_owned()]);
    assert_eq!(idx[0].name, None);
}

#[test]
fn request_encodes_decodes_and_converts_back() {
    let c = SessionMapConfig::default()
        .with_backup_count(2)
        .with_async_backup_count(1)
        .with_read_backup_data(true)
        .with_merge_policy(MergePolicy::HigherHits, 250)
        .with_wan_replication_ref(Some(
            WanReplicationRef::new("to-dr")
                .with_merge_policy(MergePolicy::LatestUpdate)
                .with_republishing(false)
                .with_filter("com.example.Filter"),
        ))
        .with_indexes(vec![
            SessionMapConfig::principal_name_index(),
            IndexConfig::new(IndexType::Sorted, ["lastAccessedTime_seconds"]).with_name("by-time"),
        ])
        .with_max_idle(Some(Duration::from_secs(1800)))
        .with_time_to_live(Some(Duration::from_millis(86_400_500)))
        .with_in_memory_format(InMemoryFormat::Object)
        .with_statistics(false);
    let req = c.to_request("sessions").unwrap();
    let back = DynamicConfigAddMapConfigRequest::decode(&req.encode()).unwrap();
    assert_eq!(back.max_idle_seconds, 1800);
    // Rounded up, never down to "infinite".
    assert_eq!(back.time_to_live_seconds, 86_401);
    assert_eq!(
        back.merge_policy,
        "com.hazelcast.spi.merge.HigherHitsMergePolicy"
    );
    assert_eq!(back.merge_batch_size, 250);
    assert_eq!(back.per_entry_stats_enabled, Some(true));
    let wan = back.wan_replication_ref.as_ref().unwrap();
    assert_eq!(wan.name, "to-dr");
    assert_eq!(
        wan.merge_policy_class_name,
        "com.hazelcast.spi.merge.LatestUpdateMergePolicy"
    );
    assert!(!wan.republishing_enabled);
    assert_eq!(
        wan.filters.as_deref(),
        Some(&["com.example.Filter".to_owned()][..])
    );
    let mut expected = c.clone();
    expected.per_entry_stats_enabled = true; // switched on for HigherHits
    expected.time_to_live = Some(Duration::from_secs(86_401));
    assert_eq!(SessionMapConfig::from_request(&back), expected);
    assert!(expected.diff(&MapConfig::from_request(&back)).is_empty());
    let idx = back.index_configs.as_ref().unwrap();
    assert_eq!(idx[1].name.as_deref(), Some("by-time"));
}

#[test]
fn merge_policies_that_need_per_entry_stats_switch_them_on() {
    for p in MergePolicy::BUILT_IN {
        let c = SessionMapConfig::default().with_merge_policy(p.clone(), 10);
        let r = c.to_request("m").unwrap();
        assert_eq!(
            r.merge_policy,
            format!("com.hazelcast.spi.merge.{}", p.simple_name())
        );
        assert_eq!(r.per_entry_stats_enabled, Some(p.needs_per_entry_stats()));
        // The WAN reference's policy counts too.
        let wan = SessionMapConfig::default().with_wan_replication_ref(Some(
            WanReplicationRef::new("w").with_merge_policy(p.clone()),
        ));
        assert_eq!(wan.effective_per_entry_stats(), p.needs_per_entry_stats());
    }
}

/// The session layer and the client model produce the same bytes: a `SessionMapConfig`
/// and the client `MapConfig` written by hand with the same values encode to one request.
#[test]
fn session_config_and_client_config_send_the_same_request() {
    let session = SessionMapConfig::default()
        .with_backup_count(2)
        .with_async_backup_count(1)
        .with_read_backup_data(true)
        .with_merge_policy(MergePolicy::LatestAccess, 50)
        .with_wan_replication_ref(Some(
            WanReplicationRef::new("to-dr")
                .with_republishing(false)
                .with_filter("com.example.Filter"),
        ))
        .with_max_idle(Some(Duration::from_millis(1_800_001)))
        .with_time_to_live(Some(Duration::from_secs(7200)))
        .with_in_memory_format(InMemoryFormat::Object)
        .with_statistics(false);
    let mut client = MapConfig::new("spring:session:sessions");
    client.backup_count = 2;
    client.async_backup_count = 1;
    client.read_backup_data = true;
    client.merge_policy = MergePolicy::LatestAccess;
    client.merge_batch_size = 50;
    client.per_entry_stats_enabled = true;
    client.wan_replication_ref = Some(
        WanReplicationRef::new("to-dr")
            .with_republishing(false)
            .with_filter("com.example.Filter"),
    );
    client.max_idle_seconds = 1801;
    client.time_to_live_seconds = 7200;
    client.in_memory_format = InMemoryFormat::Object;
    client.statistics_enabled = false;
    client.indexes = vec![IndexConfig::new(IndexType::Hash, ["principalName"])];
    let mapped = session.to_map_config("spring:session:sessions").unwrap();
    assert_eq!(mapped, client);
    let request = session.to_request("spring:session:sessions").unwrap();
    assert_eq!(request.encode(), client.to_request().encode());
    // And the defaults: the client's defaults plus Spring Session's index.
    let mut defaults = MapConfig::new("m");
    defaults
        .indexes
        .push(SessionMapConfig::principal_name_index());
    assert_eq!(
        SessionMapConfig::default()
            .to_request("m")
            .unwrap()
            .encode(),
        defaults.to_request().encode()
    );
    // Back to the session view: rounded seconds and the switched-on statistics are what
    // was sent, so they convert back to the same client configuration.
    let back = SessionMapConfig::from_map_config(&client);
    assert_eq!(back.max_idle, Some(Duration::from_secs(1801)));
    assert_eq!(
        back.to_map_config("spring:session:sessions").unwrap(),
        client
    );
}

#[test]
fn invalid_values_are_rejected() {
    let bad = [
        SessionMapConfig::default()
            .with_backup_count(4)
            .with_async_backup_count(3),
        SessionMapConfig::default().with_merge_policy(MergePolicy::PutIfAbsent, 0),
        SessionMapConfig::default().with_merge_policy(MergePolicy::Custom(" ".into()), 1),
        SessionMapConfig::default().with_wan_replication_ref(Some(WanReplicationRef::new(""))),
        SessionMapConfig::default().with_indexes(vec![IndexConfig::new(
            IndexType::Hash,
            Vec::<String>::new(),
        )]),
        SessionMapConfig::default().with_max_idle(Some(Duration::ZERO)),
        SessionMapConfig::default().with_time_to_live(Some(Duration::from_secs(1 << 40))),
    ];
    for c in bad {
        assert!(
            matches!(c.validate(), Err(MapConfigError::Invalid(_))),
            "{c:?}"
        );
        assert!(c.to_request("m").is_err());
        #[cfg(feature = "member-yaml")]
        assert!(c.to_member_yaml("m", None).is_err());
    }
    assert!(
        SessionMapConfig::default()
            .with_backup_count(6)
            .validate()
            .is_ok()
    );
}

#[test]
fn diff_names_each_differing_field() {
    let ours = measured_config(3600);
    let cluster = |c: &SessionMapConfig| c.to_map_config("m").unwrap();
    assert!(ours.diff(&cluster(&ours)).is_empty());
    let theirs = measured_config(1800)
        .with_backup_count(2)
        .with_merge_policy(MergePolicy::PassThrough, 100)
        .with_wan_replication_ref(None)
        .with_indexes(vec![]);
    let fields: Vec<_> = ours
        .diff(&cluster(&theirs))
        .iter()
        .map(|d| d.field)
        .collect();
    assert_eq!(
        fields,
        [
            "backup-count",
            "max-idle-seconds",
            "merge-policy.class-name",
            "wan-replication-ref",
            "indexes"
        ]
    );
    let d = &ours.diff(&cluster(&theirs))[1];
    assert_eq!((d.ours.as_str(), d.theirs.as_str()), ("3600", "1800"));
    // A simple and a fully qualified policy name are the same policy.
    let simple = ours
        .clone()
        .with_merge_policy(MergePolicy::from_name("PutIfAbsentMergePolicy"), 100);
    assert!(ours.diff(&cluster(&simple)).is_empty());
    // The cluster's per-entry statistics count as sent: off where ours are switched on.
    let mut stats_off = cluster(&ours.clone().with_merge_policy(MergePolicy::HigherHits, 100));
    stats_off.per_entry_stats_enabled = false;
    let fields: Vec<_> = ours
        .clone()
        .with_merge_policy(MergePolicy::HigherHits, 100)
        .diff(&stats_off)
        .iter()
        .map(|d| d.field)
        .collect();
    assert_eq!(fields, ["per-entry-stats-enabled"]);
}

#[test]
fn java_to_string_parses_into_the_config() {
    let at = CONFLICT.find("conflicting configuration '").unwrap();
    let existing = SessionMapConfig::from_java_to_string(&CONFLICT[at..]).unwrap();
    assert_eq!(existing, measured_config(1800));
    let sent = SessionMapConfig::from_java_to_string(CONFLICT).unwrap();
    assert_eq!(sent, measured_config(3600));
    assert!(SessionMapConfig::from_java_to_string("MapConfig{name='x'").is_err());
    assert!(SessionMapConfig::from_java_to_string("nonsense").is_err());
    assert!(SessionMapConfig::from_java_to_string(&"MapConfig{a=[".repeat(100)).is_err());
}

#[test]
fn conflict_error_says_which_fields_differ() {
    let ours = measured_config(3600);
    let err = ours.conflict_error("sessions-dyn", CONFLICT);
    let MapConfigError::Conflict {
        map, differences, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(map, "sessions-dyn");
    assert_eq!(
        differences,
        &[ConfigDifference {
            field: "max-idle-seconds",
            ours: "3600".into(),
            theirs: "1800".into()
        }]
    );
    assert!(
        err.to_string()
            .contains("max-idle-seconds: ours 3600, cluster 1800"),
        "{err}"
    );
    // An unparsable message still gives the typed error, with the message kept.
    let err = ours.conflict_error("m", "Cannot add a new dynamic configuration x");
    assert!(
        matches!(&err, MapConfigError::Conflict { differences, message, .. }
            if differences.is_empty() && message.contains("Cannot add")),
        "{err:?}"
    );
}

#[cfg(feature = "member-yaml")]
#[test]
fn member_yaml_matches_hazelcast_shape() {
    let c = measured_config(1800)
        .with_merge_policy(MergePolicy::LatestUpdate, 100)
        .with_wan_replication_ref(Some(
            WanReplicationRef::new("replicate-to-nyc").with_filter("com.example.SampleFilter"),
        ));
    let target = WanTarget::new("nyc", ["10.3.5.1:5701", "10.3.5.2:5701"]);
    let yaml = c
        .to_member_yaml("spring:session:sessions", Some(&target))
        .unwrap();
    let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let m = &v["hazelcast"]["map"]["spring:session:sessions"];
    assert_eq!(m["backup-count"].as_u64(), Some(1));
    assert_eq!(m["async-backup-count"].as_u64(), Some(0));
    assert_eq!(m["max-idle-seconds"].as_i64(), Some(1800));
    assert_eq!(m["time-to-live-seconds"].as_i64(), Some(0));
    assert_eq!(m["in-memory-format"].as_str(), Some("BINARY"));
    assert_eq!(m["per-entry-stats-enabled"].as_bool(), Some(true));
    assert_eq!(m["merge-policy"]["batch-size"].as_u64(), Some(100));
    assert_eq!(
        m["merge-policy"]["class-name"].as_str(),
        Some("com.hazelcast.spi.merge.LatestUpdateMergePolicy")
    );
    let wan = &m["wan-replication-ref"]["replicate-to-nyc"];
    assert_eq!(
        wan["merge-policy-class-name"].as_str(),
        Some("com.hazelcast.spi.merge.PassThroughMergePolicy")
    );
    assert_eq!(wan["republishing-enabled"].as_bool(), Some(true));
    assert_eq!(wan["filters"][0].as_str(), Some("com.example.SampleFilter"));
    assert_eq!(m["indexes"][0]["type"].as_str(), Some("HASH"));
    assert_eq!(
        m["indexes"][0]["attributes"][0].as_str(),
        Some("principalName")
    );
    let p = &v["hazelcast"]["wan-replication"]["replicate-to-nyc"]["batch-publisher"]["nyc"];
    assert_eq!(p["cluster-name"].as_str(), Some("nyc"));
    assert_eq!(
        p["target-endpoints"].as_str(),
        Some("10.3.5.1:5701,10.3.5.2:5701")
    );
    // Without a target or a WAN reference: no wan-replication section.
    let plain = SessionMapConfig::default()
        .to_member_yaml("sessions", Some(&target))
        .unwrap();
    let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&plain).unwrap();
    assert!(v["hazelcast"].get("wan-replication").is_none());
    assert!(
        v["hazelcast"]["map"]["sessions"]
            .get("wan-replication-ref")
            .is_none()
    );
}
