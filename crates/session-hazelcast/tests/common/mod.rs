//! Helpers shared by the integration tests, and the backend switch: one test body runs
//! against the in-process test member (`hazelcast-test-member`) and against real Hazelcast
//! members (`hazelcast-real-member`, JVMs from Maven Central). Where the two disagree the
//! real member is right.
//!
//! Write the body as `async fn body(backend: Backend)`, then
//! `on_both_backends!(body => body_test_member, body_real_member);` makes the two `#[test]`s,
//! so a test listing shows which backend each one ran on.
#![allow(dead_code, unreachable_pub, unused_macros)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hazelcast_client::{ClientConfig, ClientConfigBuilder, ReconnectPolicy};
use hazelcast_real_member::RealCluster;
use hazelcast_test_member::server::TestCluster;
use session_hazelcast::{HazelcastRepositoryBuilder, HazelcastSessionRepository};

/// Two `#[tokio::test]`s for one `async fn(Backend)` body: `$test` on the test member,
/// `$real` on real members.
macro_rules! on_both_backends {
    ($body:ident => $test:ident, $real:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            $body(common::Backend::TestMember).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $real() {
            $body(common::Backend::RealMember).await;
        }
    };
}

/// Member properties of the shared real cluster: the background expiry task runs every
/// second and cleans every partition per run (Hazelcast's defaults: every 5 s,
/// min(27, 3 x partition threads) partitions).
pub const FAST_EXPIRY: [(&str, &str); 2] = [
    ("hazelcast.internal.map.expiration.task.period.seconds", "1"),
    (
        "hazelcast.internal.map.expiration.cleanup.operation.count",
        "271",
    ),
];

/// Where a test body runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// In-process members of `hazelcast-test-member`.
    TestMember,
    /// Real Hazelcast members (child JVMs), or the external cluster in `HZ_MEMBERS`.
    RealMember,
}

impl Backend {
    /// Whether this is the real member.
    pub fn is_real(self) -> bool {
        self == Backend::RealMember
    }

    /// A cluster of `members` that the test may share with the other tests of its binary
    /// (it must use its own map names and must not kill members). On the test member each
    /// test gets its own (they are cheap); real members are one 3-member cluster per test
    /// binary, started on first use and killed when the binary ends (their watchdog), or
    /// the external cluster `HZ_MEMBERS` (`host:port,...`, cluster `HZ_CLUSTER_NAME`,
    /// default `dev`).
    ///
    /// Both run the background expiry every second over every partition
    /// ([`FAST_EXPIRY`]), so `expired` events of sessions nobody reads arrive within
    /// seconds instead of minutes (a member's default: 5 s, a few partitions per run).
    pub async fn shared(self, members: usize) -> Members {
        match self {
            Backend::TestMember => Members::test(
                TestCluster::builder()
                    .members(members)
                    .expiry(Duration::from_secs(1), 271)
                    .start()
                    .await
                    .expect("test cluster"),
                "dev",
            ),
            Backend::RealMember => {
                if let Ok(list) = std::env::var("HZ_MEMBERS") {
                    let name = std::env::var("HZ_CLUSTER_NAME").unwrap_or_else(|_| "dev".into());
                    let addresses = list
                        .split(',')
                        .map(|a| a.trim().parse().expect("HZ_MEMBERS: host:port,..."))
                        .collect();
                    return Members {
                        name,
                        inner: Inner::External(addresses),
                    };
                }
                static SHARED: OnceLock<Arc<Mutex<RealCluster>>> = OnceLock::new();
                let cluster = tokio::task::spawn_blocking(|| {
                    SHARED
                        .get_or_init(|| {
                            let c = RealCluster::builder()
                                .members(3)
                                .cluster_name("differential")
                                .property(FAST_EXPIRY[0].0, FAST_EXPIRY[0].1)
                                .property(FAST_EXPIRY[1].0, FAST_EXPIRY[1].1)
                                .start()
                                .expect("real members (JDK and Maven needed)");
                            Arc::new(Mutex::new(c))
                        })
                        .clone()
                })
                .await
                .expect("start-up task");
                let members = Members {
                    name: "differential".into(),
                    inner: Inner::Real(cluster),
                };
                static WARM: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
                WARM.get_or_init(|| warm_up(&members)).await;
                members
            }
        }
    }

    /// A cluster of its own, named `name`, that the test may kill and restart.
    pub async fn start(self, members: usize, name: &str) -> Members {
        match self {
            Backend::TestMember => Members::test(
                TestCluster::builder()
                    .members(members)
                    .cluster_name(name)
                    .start()
                    .await
                    .expect("test cluster"),
                name,
            ),
            Backend::RealMember => {
                let c = RealCluster::builder()
                    .members(members)
                    .cluster_name(name)
                    .start_async()
                    .await
                    .expect("real members (JDK and Maven needed)");
                Members {
                    name: name.into(),
                    inner: Inner::Real(Arc::new(Mutex::new(c))),
                }
            }
        }
    }
}

/// Members of one cluster on either backend, with the controls both can do.
pub struct Members {
    name: String,
    inner: Inner,
}

enum Inner {
    Test(TestCluster),
    Real(Arc<Mutex<RealCluster>>),
    External(Vec<SocketAddr>),
}

impl Members {
    fn test(cluster: TestCluster, name: &str) -> Self {
        Self {
            name: name.into(),
            inner: Inner::Test(cluster),
        }
    }

    /// The cluster name clients must use.
    pub fn cluster_name(&self) -> &str {
        &self.name
    }

    /// The member addresses (seeds).
    pub fn addresses(&self) -> Vec<SocketAddr> {
        match &self.inner {
            Inner::Test(c) => c.addresses(),
            Inner::Real(c) => lock(c).addresses(),
            Inner::External(a) => a.clone(),
        }
    }

    /// Whether the background expiry runs every second over every partition
    /// ([`FAST_EXPIRY`]); not known of an external cluster.
    pub fn has_fast_expiry(&self) -> bool {
        !matches!(self.inner, Inner::External(_))
    }

    /// The test cluster, on the test-member backend.
    pub fn test_cluster(&self) -> Option<&TestCluster> {
        match &self.inner {
            Inner::Test(c) => Some(c),
            _ => None,
        }
    }

    /// Crash member `i`: the test member's crash, `kill -9` of a real one.
    pub async fn kill_member(&self, i: usize) {
        match &self.inner {
            Inner::Test(c) => c.crash_member(i),
            Inner::Real(c) => {
                let c = c.clone();
                blocking(move || lock(&c).kill_member(i).expect("kill -9")).await;
            }
            Inner::External(_) => panic!("an external cluster is not ours to kill"),
        }
    }

    /// Restart member `i` on its address and wait until it joined.
    pub async fn restart_member(&self, i: usize) {
        match &self.inner {
            Inner::Test(c) => c.restart_member(i).await.expect("restart"),
            Inner::Real(c) => {
                let c = c.clone();
                blocking(move || lock(&c).restart_member(i).expect("restart")).await;
            }
            Inner::External(_) => panic!("an external cluster is not ours to restart"),
        }
    }

    /// The whole cluster gone.
    pub async fn shutdown(&self) {
        match &self.inner {
            Inner::Test(c) => c.shutdown(),
            Inner::Real(c) => {
                let c = c.clone();
                blocking(move || lock(&c).shutdown()).await;
            }
            Inner::External(_) => panic!("an external cluster is not ours to shut down"),
        }
    }
}

/// A fresh JVM runs its first thousands of operations interpreted, tens of times slower
/// than later ones: a few hundred writes and reads over every member before the first test
/// body, so that timing-sensitive checks (the conformance suite's expiry schedule) see a
/// member in its steady state, as production would.
async fn warm_up(members: &Members) {
    let client = hazelcast_client::Client::connect(
        client_config_for(members).build().expect("client config"),
    )
    .await
    .expect("warm-up client");
    let map = client.map::<String, String>("warm-up");
    let t = std::time::Instant::now();
    for round in 0..3 {
        let writes = (0..200).map(|i| {
            let map = map.clone();
            async move {
                let k = format!("k{i}");
                map.set(&k, &format!("v{round}"))
                    .await
                    .expect("warm-up set");
                map.get(&k).await.expect("warm-up get");
            }
        });
        futures::future::join_all(writes).await;
    }
    client.shutdown().await;
    eprintln!("real members warmed up in {:?}", t.elapsed());
}

fn lock(c: &Mutex<RealCluster>) -> std::sync::MutexGuard<'_, RealCluster> {
    c.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task")
}

/// A client configuration for `members` with short timeouts.
pub fn client_config_for(members: &Members) -> ClientConfigBuilder {
    ClientConfig::builder()
        .cluster_name(members.cluster_name())
        .addresses(members.addresses().iter().map(ToString::to_string))
        .connect_timeout(Duration::from_secs(2))
        .invocation_timeout(Duration::from_secs(15))
        .reconnect(ReconnectPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            multiplier: 1.5,
            jitter: 0.2,
            cluster_connect_timeout: Some(Duration::from_secs(5)),
        })
}

/// A builder connected to `members`, on map `map`.
pub fn builder_for(members: &Members, map: &str) -> HazelcastRepositoryBuilder {
    HazelcastSessionRepository::builder(client_config_for(members).build().expect("client config"))
        .map_name(map)
}

/// A client configuration for `cluster` with short timeouts.
pub fn client_config(cluster: &TestCluster) -> ClientConfig {
    ClientConfig::builder()
        .cluster_name("dev")
        .addresses(cluster.addresses().iter().map(ToString::to_string))
        .connect_timeout(Duration::from_secs(2))
        .invocation_timeout(Duration::from_secs(15))
        .reconnect(ReconnectPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            multiplier: 1.5,
            jitter: 0.2,
            cluster_connect_timeout: Some(Duration::from_secs(5)),
        })
        .build()
        .expect("valid client config")
}

/// A builder connected to `cluster`, on map `map`.
pub fn builder(cluster: &TestCluster, map: &str) -> HazelcastRepositoryBuilder {
    HazelcastSessionRepository::builder(client_config(cluster)).map_name(map)
}

/// Waits until the repository's local cache serves loads (its listener registered, the
/// client's connections to every member settled), so that round trips are predictable.
pub async fn cache_serving(repo: &HazelcastSessionRepository) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while !repo.is_local_cache_serving() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the local cache serves within 20 s");
}
