//! Wire behaviour with a raw client built from the protocol crate's codecs: authentication,
//! bad clients, error codes, backup acks, cluster views, events and fault injection.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hazelcast_protocol::codec::client::*;
use hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest;
use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::codec::map::*;
use hazelcast_protocol::data::Data;
use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
use hazelcast_protocol::frame::flags;
use hazelcast_protocol::message::{Message, MessageWriter};
use hazelcast_test_member::fault::CrashPoint;
use hazelcast_test_member::server::TestCluster;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(5);

fn s(v: &str) -> Data {
    let mut b = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5];
    b.extend_from_slice(&(v.len() as i32).to_be_bytes());
    b.extend_from_slice(v.as_bytes());
    Data::from_bytes(b)
}

struct Raw {
    stream: TcpStream,
    decoder: MessageDecoder,
    next: i64,
    client: Uuid,
}

impl Raw {
    async fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(b"CP2").await.expect("preamble");
        Self {
            stream,
            decoder: MessageDecoder::new(DecoderConfig::default()),
            next: 1,
            client: Uuid::new_v4(),
        }
    }

    async fn send(&mut self, mut m: Message) -> i64 {
        let id = self.next;
        self.next += 1;
        m.set_correlation_id(id);
        self.stream.write_all(m.as_bytes()).await.expect("write");
        id
    }

    /// Next message, or None when the member closed the connection.
    async fn recv(&mut self) -> Option<Message> {
        let mut buf = vec![0u8; 65536];
        loop {
            if let Some(m) = self.decoder.next_message().expect("decodes") {
                return Some(m);
            }
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut buf))
                .await
                .expect("member answers in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    /// Next message that is not an event.
    async fn response(&mut self) -> Option<Message> {
        loop {
            let m = self.recv().await?;
            if !m.is_event() {
                return Some(m);
            }
        }
    }

    fn auth_request(&self, cluster: &str) -> ClientAuthenticationRequest {
        ClientAuthenticationRequest {
            cluster_name: cluster.into(),
            username: None,
            password: None,
            uuid: Some(self.client),
            client_type: "RST".into(),
            serialization_version: 1,
            client_hazelcast_version: "5.4.0".into(),
            client_name: "raw".into(),
            labels: vec![],
            routing_mode: None,
            cp_direct_to_leader_routing: None,
        }
    }

    async fn auth(&mut self, cluster: &str) -> ClientAuthenticationResponse {
        let req = self.auth_request(cluster).encode();
        self.send(req).await;
        let m = self.response().await.expect("auth response");
        ClientAuthenticationResponse::decode(&m).expect("auth response decodes")
    }

    /// The status of a refused authentication: the response carries a null cluster id then
    /// (as a real member's does), which the full codec rejects.
    async fn auth_status(&mut self, cluster: &str) -> u8 {
        let req = self.auth_request(cluster).encode();
        self.send(req).await;
        status_of(&self.response().await.expect("auth response"))
    }

    async fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(WAIT, self.stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }
}

/// The status byte of an authentication response, read alone.
fn status_of(m: &Message) -> u8 {
    hazelcast_protocol::codec::builtin::fixed::<u8>(
        m.initial_frame().payload,
        hazelcast_protocol::message::RESPONSE_FIXED_OFFSET,
    )
    .expect("status")
}

async fn ping_works(addr: SocketAddr) {
    let mut c = Raw::connect(addr).await;
    assert_eq!(c.auth("dev").await.status, 0);
    c.send(ClientPingRequest {}.encode()).await;
    let m = c.response().await.expect("pong");
    assert_eq!(m.message_type(), ClientPingResponse::MESSAGE_TYPE);
}

#[tokio::test]
async fn authentication_reports_cluster_partitions_and_members() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let mut a = Raw::connect(cluster.address(0).expect("a")).await;
    let mut b = Raw::connect(cluster.address(1).expect("b")).await;
    let ra = a.auth("dev").await;
    let rb = b.auth("dev").await;
    assert_eq!(ra.status, 0);
    assert_eq!(ra.partition_count, 271);
    assert!(!ra.failover_supported);
    assert_eq!(ra.serialization_version, 1);
    assert_eq!(ra.cluster_id, rb.cluster_id);
    assert_eq!(ra.member_uuid, cluster.member_uuid(0));
    assert_eq!(ra.member_infos.as_ref().map(Vec::len), Some(2));
    let owned: usize = ra.partitions.iter().flatten().map(|(_, p)| p.len()).sum();
    assert_eq!(owned, 271);
}

#[tokio::test]
async fn wrong_cluster_name_or_credentials_get_status_1_then_close() {
    let cluster = TestCluster::builder()
        .members(1)
        .credentials("user", "secret")
        .start()
        .await
        .expect("cluster");
    let addr = cluster.address(0).expect("addr");
    let mut c = Raw::connect(addr).await;
    assert_eq!(c.auth_status("other").await, 1);
    assert!(c.closed().await);
    let mut c = Raw::connect(addr).await;
    assert_eq!(c.auth_status("dev").await, 1, "no credentials");
    assert!(c.closed().await);
    let mut c = Raw::connect(addr).await;
    let mut req = c.auth_request("dev");
    req.username = Some("user".into());
    req.password = Some("secret".into());
    c.send(req.encode()).await;
    let r = ClientAuthenticationResponse::decode(&c.response().await.expect("r")).expect("d");
    assert_eq!(r.status, 0);
}

#[tokio::test]
async fn bad_clients_are_closed_and_the_member_keeps_serving() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let addr = cluster.address(0).expect("addr");

    // Garbage preamble.
    let mut g = TcpStream::connect(addr).await.expect("connect");
    g.write_all(b"GET / HTTP/1.1\r\n\r\n").await.expect("write");
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, g.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)));

    // Oversized first message (the pre-auth limit is 4096 bytes).
    let mut c = Raw::connect(addr).await;
    let big = c.auth_request(&"x".repeat(5000)).encode();
    assert!(big.len() > 4096);
    c.send(big).await;
    assert!(c.closed().await);

    // A message before authentication.
    let mut c = Raw::connect(addr).await;
    c.send(ClientPingRequest {}.encode()).await;
    assert!(c.closed().await);

    // A fragmented message before authentication.
    let mut c = Raw::connect(addr).await;
    let auth = c.auth_request("dev").encode();
    for f in auth.to_fragments(64, 1) {
        c.stream.write_all(&f).await.expect("write");
    }
    assert!(c.closed().await);

    // A connection vanishing mid-frame.
    let mut v = Raw::connect(addr).await;
    let auth = v.auth_request("dev").encode();
    v.stream
        .write_all(&auth.as_bytes()[..10])
        .await
        .expect("write");
    drop(v);

    ping_works(addr).await;
    assert!(cluster.is_alive(0));
}

#[tokio::test]
async fn unknown_messages_and_config_conflicts_get_real_error_codes() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let mut c = Raw::connect(cluster.address(0).expect("addr")).await;
    c.auth("dev").await;
    c.send(MessageWriter::request(0x7f0100, 32).finish()).await;
    let m = c.response().await.expect("error");
    let e = ErrorResponse::decode(&m).expect("error decodes");
    assert_eq!(e.error_code(), Some(61));
    assert_eq!(
        e.errors[0].message.as_deref(),
        Some("Unrecognized client message received with type: 0x7f0100")
    );

    // A message the protocol has but the test member does not implement.
    let mut lock = MapLockRequest {
        name: "m",
        key: s("k"),
        thread_id: 1,
        ttl: -1,
        reference_id: 1,
    }
    .encode();
    lock.set_partition_id(cluster.engine().partition_of(&s("k")) as i32);
    c.send(lock).await;
    let e = ErrorResponse::decode(&c.response().await.expect("error")).expect("decodes");
    assert_eq!(e.error_code(), Some(61));
    assert_eq!(
        e.errors[0].message.as_deref(),
        Some("hazelcast-test-member does not implement Map.lock (type: 0x11000)")
    );

    let config = |max_idle: i32| DynamicConfigAddMapConfigRequest {
        name: "sessions-dyn".into(),
        backup_count: 1,
        async_backup_count: 0,
        time_to_live_seconds: 0,
        max_idle_seconds: max_idle,
        eviction_config: None,
        read_backup_data: false,
        cache_deserialized_values: "INDEX_ONLY".into(),
        merge_policy: "com.hazelcast.spi.merge.PutIfAbsentMergePolicy".into(),
        merge_batch_size: 100,
        in_memory_format: "BINARY".into(),
        listener_configs: None,
        partition_lost_listener_configs: None,
        statistics_enabled: true,
        split_brain_protection_name: None,
        map_store_config: None,
        near_cache_config: None,
        wan_replication_ref: None,
        index_configs: None,
        attribute_configs: None,
        query_cache_configs: None,
        partitioning_strategy_class_name: None,
        partitioning_strategy_implementation: None,
        hot_restart_config: None,
        event_journal_config: None,
        merkle_tree_config: None,
        metadata_policy: 0,
        per_entry_stats_enabled: Some(false),
        data_persistence_config: None,
        tiered_store_config: None,
        partitioning_attribute_configs: None,
        user_code_namespace: None,
    };
    for _ in 0..2 {
        c.send(config(1800).encode()).await;
        let m = c.response().await.expect("ok");
        assert!(!ErrorResponse::matches(&m), "identical config accepted");
    }
    c.send(config(3600).encode()).await;
    let e = ErrorResponse::decode(&c.response().await.expect("error")).expect("decodes");
    assert_eq!(e.error_code(), Some(32));
    assert_eq!(
        e.errors[0].class_name,
        "com.hazelcast.config.InvalidConfigurationException"
    );
    assert!(
        e.errors[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("maxIdleSeconds=3600") && m.contains("maxIdleSeconds=1800"))
    );
}

fn set_request(cluster: &TestCluster, map: &str, key: &str, value: &str) -> Message {
    let mut m = MapSetRequest {
        name: map,
        key: s(key),
        value: s(value),
        thread_id: 1,
        ttl: -1,
    }
    .encode();
    let p = cluster.engine().partition_of(&s(key));
    m.set_partition_id(p as i32);
    m
}

#[tokio::test]
async fn backup_aware_writes_get_acks_from_the_backup_member() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let client = Uuid::new_v4();
    let mut conns = Vec::new();
    for i in 0..2 {
        let mut c = Raw::connect(cluster.address(i).expect("addr")).await;
        c.client = client;
        c.auth("dev").await;
        c.send(ClientLocalBackupListenerRequest {}.encode()).await;
        let r = c.response().await.expect("registered");
        assert_eq!(
            r.message_type(),
            ClientLocalBackupListenerResponse::MESSAGE_TYPE
        );
        conns.push(c);
    }
    let key = "alice";
    let owner = cluster
        .engine()
        .partition_table()
        .owner(cluster.engine().partition_of(&s(key)))
        .expect("owner");
    let (oi, bi) = if cluster.member_uuid(0) == Some(owner) {
        (0, 1)
    } else {
        (1, 0)
    };
    let mut req = set_request(&cluster, "m", key, "v");
    req.set_flag(flags::BACKUP_AWARE, true);
    let corr = conns[oi].send(req).await;
    let resp = conns[oi].response().await.expect("response");
    assert_eq!(resp.correlation_id(), corr);
    assert_eq!(resp.backup_acks(), 1);
    let ev = conns[bi].recv().await.expect("backup event");
    assert!(ev.is_backup_event());
    let ack = ClientLocalBackupListenerBackupEvent::decode(&ev).expect("decodes");
    assert_eq!(ack.source_invocation_correlation_id, corr);
    // A backup that withholds its acks: the response still announces one, none arrives.
    cluster
        .faults(bi)
        .expect("faults")
        .set_withhold_backup_acks(true);
    let mut req = set_request(&cluster, "m", key, "v2");
    req.set_flag(flags::BACKUP_AWARE, true);
    conns[oi].send(req).await;
    assert_eq!(
        conns[oi].response().await.expect("response").backup_acks(),
        1
    );
    let nothing = tokio::time::timeout(Duration::from_millis(200), conns[bi].recv()).await;
    assert!(nothing.is_err(), "no backup ack while withheld");
    cluster
        .faults(bi)
        .expect("faults")
        .set_withhold_backup_acks(false);

    // Without the flag no acks are announced.
    let req = set_request(&cluster, "m", key, "w");
    conns[oi].send(req).await;
    assert_eq!(conns[oi].response().await.expect("r").backup_acks(), 0);
    // The journal shows what the client sent.
    let sets: Vec<_> = cluster
        .requests(oi)
        .into_iter()
        .filter(|r| r.message_type == MapSetRequest::MESSAGE_TYPE)
        .collect();
    assert_eq!(sets.len(), 3);
    assert_eq!(sets[0].correlation_id, corr);
    assert!(sets[0].flags & flags::BACKUP_AWARE != 0);
    assert!(sets[2].flags & flags::BACKUP_AWARE == 0);
    assert_eq!((sets[0].partition_id, sets[0].client), (7, Some(client)));
}

#[tokio::test]
async fn cluster_view_listener_gets_views_and_updates_after_a_crash() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let mut c = Raw::connect(cluster.address(0).expect("addr")).await;
    c.auth("dev").await;
    let corr = c
        .send(ClientAddClusterViewListenerRequest {}.encode())
        .await;
    let mut members = None;
    let mut partitions = None;
    while members.is_none() || partitions.is_none() {
        let m = c.recv().await.expect("message");
        match m.message_type() {
            ClientAddClusterViewListenerMembersViewEvent::MESSAGE_TYPE => {
                assert_eq!(m.correlation_id(), corr);
                members =
                    Some(ClientAddClusterViewListenerMembersViewEvent::decode(&m).expect("d"));
            }
            ClientAddClusterViewListenerPartitionsViewEvent::MESSAGE_TYPE => {
                partitions =
                    Some(ClientAddClusterViewListenerPartitionsViewEvent::decode(&m).expect("d"));
            }
            _ => {}
        }
    }
    let before = members.expect("members");
    assert_eq!(before.member_infos.len(), 2);
    cluster.crash_member(1);
    loop {
        let m = c.recv().await.expect("update");
        if m.message_type() == ClientAddClusterViewListenerMembersViewEvent::MESSAGE_TYPE {
            let v = ClientAddClusterViewListenerMembersViewEvent::decode(&m).expect("d");
            if v.member_infos.len() == 1 {
                assert!(v.version > before.version);
                break;
            }
        }
    }
}

#[tokio::test]
async fn entry_events_carry_registration_correlation_and_partition() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let mut c = Raw::connect(cluster.address(0).expect("addr")).await;
    c.auth("dev").await;
    let reg = c
        .send(
            MapAddEntryListenerRequest {
                name: "m",
                include_value: true,
                listener_flags: 1 | 2 | 4,
                local_only: false,
            }
            .encode(),
        )
        .await;
    c.response().await.expect("registered");
    c.send(set_request(&cluster, "m", "alice", "v")).await;
    let mut got_event = false;
    for _ in 0..2 {
        let m = c.recv().await.expect("message");
        if m.is_event() {
            assert_eq!(m.correlation_id(), reg);
            assert_eq!(m.partition_id(), 7, "partition of \"alice\"");
            let e = MapAddEntryListenerEntryEvent::decode(&m).expect("event");
            assert_eq!((e.event_type, e.value), (1, Some(s("v"))));
            got_event = true;
        }
    }
    assert!(got_event);
}

#[tokio::test]
async fn faults_delay_stall_refuse_and_crash_mid_request() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let addr = cluster.address(0).expect("addr");
    let faults = cluster.faults(0).expect("faults");

    let mut c = Raw::connect(addr).await;
    c.auth("dev").await;
    faults.set_response_delay(Some(Duration::from_millis(300)));
    let t = Instant::now();
    c.send(ClientPingRequest {}.encode()).await;
    c.response().await.expect("pong");
    assert!(t.elapsed() >= Duration::from_millis(300));
    faults.set_response_delay(None);

    // A delay for one message type only: pings stay fast.
    faults.set_response_delay_for(
        MapGetRequest::MESSAGE_TYPE,
        Some(Duration::from_millis(800)),
    );
    let t = Instant::now();
    let mut get = MapGetRequest {
        name: "m",
        key: s("x"),
        thread_id: 1,
    }
    .encode();
    get.set_partition_id(cluster.engine().partition_of(&s("x")) as i32);
    let get_corr = c.send(get).await;
    let ping_corr = c.send(ClientPingRequest {}.encode()).await;
    let first = c.response().await.expect("first");
    assert_eq!(
        first.correlation_id(),
        ping_corr,
        "the ping overtakes the slow get"
    );
    let second = c.response().await.expect("second");
    assert_eq!(second.correlation_id(), get_corr);
    assert!(t.elapsed() >= Duration::from_millis(800));
    faults.set_response_delay_for(MapGetRequest::MESSAGE_TYPE, None);

    faults.stall();
    c.send(ClientPingRequest {}.encode()).await;
    let early = tokio::time::timeout(Duration::from_millis(300), c.recv()).await;
    assert!(early.is_err(), "stalled response must not arrive");
    faults.release();
    c.response().await.expect("released pong");

    faults.set_refuse_connections(true);
    let mut r = Raw::connect(addr).await;
    assert!(r.closed().await);
    faults.set_refuse_connections(false);

    cluster.drop_connections(0);
    assert!(c.closed().await);

    // Crash after executing a put: the client's connection dies, the write survives on the
    // backup, which is promoted.
    let mut c = Raw::connect(addr).await;
    c.auth("dev").await;
    faults.crash_on_request(MapSetRequest::MESSAGE_TYPE, CrashPoint::AfterExecute);
    c.send(set_request(&cluster, "m", "k", "v")).await;
    assert!(c.closed().await);
    assert!(!cluster.is_alive(0));
    assert_eq!(
        cluster.engine().get("m", &s("k")).expect("get").value,
        Some(s("v"))
    );
    ping_works(cluster.address(1).expect("survivor")).await;

    // Crash before executing: the write never happened.
    cluster.restart_member(0).await.expect("restart");
    let faults = cluster.faults(0).expect("faults of the new member");
    let mut c = Raw::connect(cluster.address(0).expect("addr")).await;
    c.auth("dev").await;
    faults.crash_on_request(MapSetRequest::MESSAGE_TYPE, CrashPoint::BeforeExecute);
    c.send(set_request(&cluster, "m", "k2", "v")).await;
    assert!(c.closed().await);
    assert_eq!(
        cluster.engine().get("m", &s("k2")).expect("get").value,
        None
    );

    // A restarted member serves again.
    cluster.restart_member(0).await.expect("restart");
    ping_works(cluster.address(0).expect("restarted")).await;
    assert_eq!(cluster.engine().members().len(), 2);
}

#[tokio::test]
async fn key_operations_run_on_the_header_partition_like_a_real_member() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let mut c = Raw::connect(cluster.address(0).expect("addr")).await;
    c.auth("dev").await;
    let get = |p: i32| {
        let mut m = MapGetRequest {
            name: "m",
            key: s("alice"),
            thread_id: 1,
        }
        .encode();
        m.set_partition_id(p);
        m
    };
    // Written with a wrong partition id (8 instead of 7): only found there again.
    let mut wrong = set_request(&cluster, "m", "alice", "v");
    wrong.set_partition_id(8);
    c.send(wrong).await;
    c.response().await.expect("set");
    c.send(get(7)).await;
    let r = MapGetResponse::decode(&c.response().await.expect("r")).expect("d");
    assert_eq!(r.response, None);
    c.send(get(8)).await;
    let r = MapGetResponse::decode(&c.response().await.expect("r")).expect("d");
    assert_eq!(r.response, Some(s("v")));
    c.send(get(-1)).await;
    let e = ErrorResponse::decode(&c.response().await.expect("r")).expect("error");
    assert_eq!(e.error_code(), Some(23));
}

#[tokio::test]
async fn shutdown_closes_every_connection_and_listener() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let addrs = cluster.addresses();
    let mut conns = Vec::new();
    for a in &addrs {
        let mut c = Raw::connect(*a).await;
        c.auth("dev").await;
        conns.push(c);
    }
    cluster.shutdown();
    for c in &mut conns {
        assert!(c.closed().await);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    for a in &addrs {
        match TcpStream::connect(a).await {
            Err(_) => {}
            Ok(mut s) => {
                // The port may be reused by another test; it must not speak for us.
                let _ = s.write_all(b"CP2").await;
                let mut buf = [0u8; 1];
                let r = tokio::time::timeout(WAIT, s.read(&mut buf)).await;
                assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_)) | Err(_)));
            }
        }
    }
    assert!(cluster.addresses().is_empty());
}

#[tokio::test]
async fn serialization_mismatch_and_denied_clients_get_statuses_2_and_3() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let addr = cluster.address(0).expect("addr");
    let mut c = Raw::connect(addr).await;
    let mut req = c.auth_request("dev");
    req.serialization_version = 2;
    c.send(req.encode()).await;
    assert_eq!(status_of(&c.response().await.expect("r")), 2);
    assert!(c.closed().await);
    cluster.faults(0).expect("faults").set_deny_clients(true);
    let mut c = Raw::connect(addr).await;
    assert_eq!(c.auth_status("dev").await, 3);
    assert!(c.closed().await);
}

#[tokio::test]
async fn cluster_restart_keeps_addresses_and_changes_the_cluster_id() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let before = cluster.addresses();
    let id = cluster.cluster_id();
    let mut c = Raw::connect(before[0]).await;
    assert_eq!(c.auth("dev").await.cluster_id, id);
    c.send(set_request(&cluster, "m", "k", "v")).await;
    c.response().await.expect("set");
    cluster.restart_cluster().await.expect("restart");
    assert!(c.closed().await);
    assert_eq!(cluster.addresses(), before);
    assert_ne!(cluster.cluster_id(), id);
    let mut c = Raw::connect(before[1]).await;
    assert_eq!(c.auth("dev").await.cluster_id, cluster.cluster_id());
    assert_eq!(
        cluster.engine().size("m"),
        0,
        "a restarted cluster has no data"
    );
}

#[tokio::test]
async fn silent_clients_are_dropped_and_pinging_ones_kept() {
    let cluster = TestCluster::builder()
        .members(1)
        .client_timeout(Duration::from_millis(1000))
        .start()
        .await
        .expect("cluster");
    let addr = cluster.address(0).expect("addr");
    let mut pinging = Raw::connect(addr).await;
    pinging.auth("dev").await;
    let mut silent = Raw::connect(addr).await;
    silent.auth("dev").await;
    for _ in 0..15 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        pinging.send(ClientPingRequest {}.encode()).await;
        pinging.response().await.expect("pong");
    }
    assert!(silent.closed().await);
    pinging.send(ClientPingRequest {}.encode()).await;
    assert!(pinging.response().await.is_some());
}

#[tokio::test]
async fn malformed_requests_get_an_error_and_the_connection_stays() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let mut c = Raw::connect(cluster.address(0).expect("addr")).await;
    c.auth("dev").await;
    // A Map.put whose initial frame is too short and which lacks its variable frames.
    c.send(MessageWriter::request(MapPutRequest::MESSAGE_TYPE, 32).finish())
        .await;
    let e = ErrorResponse::decode(&c.response().await.expect("error")).expect("decodes");
    assert_eq!(e.error_code(), Some(21));
    // A predicate that is not a predicate.
    let mut m = MapValuesWithPredicateRequest {
        name: "m",
        predicate: s("not a predicate"),
    }
    .encode();
    m.set_partition_id(-1);
    c.send(m).await;
    let e = ErrorResponse::decode(&c.response().await.expect("error")).expect("decodes");
    assert_eq!(e.error_code(), Some(21));
    c.send(ClientPingRequest {}.encode()).await;
    let pong = c.response().await.expect("pong");
    assert_eq!(pong.message_type(), ClientPingResponse::MESSAGE_TYPE);
}

#[tokio::test]
async fn garbage_after_authentication_closes_even_with_listeners() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let addr = cluster.address(0).expect("addr");
    let mut c = Raw::connect(addr).await;
    c.auth("dev").await;
    c.send(ClientAddClusterViewListenerRequest {}.encode())
        .await;
    c.send(
        MapAddEntryListenerRequest {
            name: "m",
            include_value: true,
            listener_flags: 1,
            local_only: false,
        }
        .encode(),
    )
    .await;
    // A frame header claiming 3 bytes, below the 6-byte minimum.
    c.stream
        .write_all(&[3, 0, 0, 0, 0, 0xe0])
        .await
        .expect("write");
    assert!(c.closed().await);
    ping_works(addr).await;
}
