//! Helpers shared by the integration tests, and the backend switch: one test body runs
//! on the in-process test member and on real Hazelcast members (where they disagree, the
//! real member is right). Write the body as `async fn body(backend: Backend)`, then
//! `on_both_backends!(body => body_test_member, body_real_member);`.
#![allow(dead_code, unreachable_pub, unused_macros)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hazelcast_client::{ClientConfig, ClientConfigBuilder, ReconnectPolicy};
use hazelcast_real_member::RealCluster;
use hazelcast_test_member::server::TestCluster;

/// A config for `cluster` with short timeouts suited to tests.
pub fn config_for(cluster: &TestCluster, name: &str) -> ClientConfigBuilder {
    ClientConfig::builder()
        .cluster_name(name)
        .addresses(cluster.addresses().iter().map(ToString::to_string))
        .connect_timeout(Duration::from_secs(2))
        .invocation_timeout(Duration::from_secs(10))
        .reconnect(fast_reconnect(Some(Duration::from_secs(5))))
}

/// Reconnect policy with short backoff.
pub fn fast_reconnect(timeout: Option<Duration>) -> ReconnectPolicy {
    ReconnectPolicy {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        multiplier: 1.5,
        jitter: 0.2,
        cluster_connect_timeout: timeout,
    }
}

/// Waits until `f` holds, up to `limit`.
pub async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}

// ---------------------------------------------------------------------------------------
// The backend switch: one test body on the in-process test member and on real members.
// ---------------------------------------------------------------------------------------

/// Two `#[tokio::test]`s for one `async fn(Backend)` body: `$test` on the test member,
/// `$real` on real Hazelcast members, so a test listing shows where each one ran.
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

/// Where a test body runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// In-process members of `hazelcast-test-member`.
    TestMember,
    /// Real Hazelcast members (child JVMs of `hazelcast-real-member`).
    RealMember,
}

impl Backend {
    /// Whether this is the real member.
    pub fn is_real(self) -> bool {
        self == Backend::RealMember
    }

    /// A cluster of `members` the test may share with the other tests of its binary (own
    /// map names, no faults). The test member gives each test its own; real members are
    /// one 3-member cluster `shared` per test binary, killed by their watchdog when the
    /// binary ends.
    pub async fn shared(self, members: usize) -> Members {
        match self {
            Backend::TestMember => Members {
                name: "dev".into(),
                inner: Inner::Test(TestCluster::start(members).await.expect("test cluster")),
            },
            Backend::RealMember => {
                static SHARED: OnceLock<Arc<Mutex<RealCluster>>> = OnceLock::new();
                let cluster = tokio::task::spawn_blocking(|| {
                    SHARED
                        .get_or_init(|| {
                            Arc::new(Mutex::new(
                                RealCluster::builder()
                                    .members(3)
                                    .cluster_name("shared")
                                    .start()
                                    .expect("real members (JDK and Maven needed)"),
                            ))
                        })
                        .clone()
                })
                .await
                .expect("start-up task");
                let members = Members {
                    name: "shared".into(),
                    inner: Inner::Real(cluster),
                };
                static WARM: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
                WARM.get_or_init(|| warm_up(&members)).await;
                members
            }
        }
    }

    /// A cluster of its own named `name`, for a test that kills, pauses or restarts.
    pub async fn start(self, members: usize, name: &str) -> Members {
        self.start_with_partitions(members, name, 271).await
    }

    /// As [`start`](Self::start), with `partitions` partitions instead of 271.
    pub async fn start_with_partitions(
        self,
        members: usize,
        name: &str,
        partitions: u32,
    ) -> Members {
        let inner = match self {
            Backend::TestMember => Inner::Test(
                TestCluster::builder()
                    .members(members)
                    .cluster_name(name)
                    .partition_count(partitions)
                    .start()
                    .await
                    .expect("test cluster"),
            ),
            Backend::RealMember => Inner::Real(Arc::new(Mutex::new(
                RealCluster::builder()
                    .members(members)
                    .cluster_name(name)
                    .property("hazelcast.partition.count", partitions.to_string())
                    .start_async()
                    .await
                    .expect("real members (JDK and Maven needed)"),
            ))),
        };
        Members {
            name: name.into(),
            inner,
        }
    }
}

/// The members of one cluster on either backend, with the controls both offer.
pub struct Members {
    name: String,
    inner: Inner,
}

enum Inner {
    Test(TestCluster),
    Real(Arc<Mutex<RealCluster>>),
}

/// A fresh JVM runs its first thousands of operations interpreted, far slower than later:
/// a few hundred writes and reads over every member before the first test body uses the
/// shared cluster, so that bodies see a member in its steady state.
async fn warm_up(members: &Members) {
    let client = hazelcast_client::Client::connect(members.config().build().expect("config"))
        .await
        .expect("warm-up client");
    let map = client.map::<String, String>("warm-up");
    for round in 0..3 {
        let calls = (0..200).map(|i| {
            let map = map.clone();
            async move {
                let k = format!("k{i}");
                map.set(&k, &format!("v{round}"))
                    .await
                    .expect("warm-up set");
                map.get(&k).await.expect("warm-up get");
            }
        });
        futures::future::join_all(calls).await;
    }
    client.shutdown().await;
}

fn lock(c: &Mutex<RealCluster>) -> std::sync::MutexGuard<'_, RealCluster> {
    c.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task")
}

impl Members {
    /// The cluster name.
    pub fn cluster_name(&self) -> &str {
        &self.name
    }

    /// Member addresses.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        match &self.inner {
            Inner::Test(c) => c.addresses(),
            Inner::Real(c) => lock(c).addresses(),
        }
    }

    /// A client config for this cluster (its name, its seeds, short timeouts).
    pub fn config(&self) -> ClientConfigBuilder {
        self.config_named(&self.name)
    }

    /// A client config for this cluster's seeds, presenting `name` as the cluster name.
    pub fn config_named(&self, name: &str) -> ClientConfigBuilder {
        ClientConfig::builder()
            .cluster_name(name)
            .addresses(self.addresses().iter().map(ToString::to_string))
            .connect_timeout(Duration::from_secs(2))
            .invocation_timeout(Duration::from_secs(10))
            .reconnect(fast_reconnect(Some(Duration::from_secs(5))))
    }

    /// The test cluster, on the test-member backend.
    pub fn test_cluster(&self) -> Option<&TestCluster> {
        match &self.inner {
            Inner::Test(c) => Some(c),
            Inner::Real(_) => None,
        }
    }

    /// Crash member `i`: the test member's crash, `kill -9` of a real member.
    pub async fn kill_member(&self, i: usize) {
        match &self.inner {
            Inner::Test(c) => c.crash_member(i),
            Inner::Real(c) => {
                let c = c.clone();
                blocking(move || lock(&c).kill_member(i).expect("kill -9")).await;
            }
        }
    }

    /// Member `i` stops answering with its connections open: the test member stalls its
    /// responses, a real member gets SIGSTOP.
    pub async fn silence_member(&self, i: usize) {
        match &self.inner {
            Inner::Test(c) => c.faults(i).expect("faults").stall(),
            Inner::Real(c) => {
                let c = c.clone();
                blocking(move || lock(&c).pause_member(i).expect("SIGSTOP")).await;
            }
        }
    }

    /// Member `i` answers again (release of the stall, SIGCONT).
    pub async fn resume_member(&self, i: usize) {
        match &self.inner {
            Inner::Test(c) => c.faults(i).expect("faults").release(),
            Inner::Real(c) => {
                let c = c.clone();
                blocking(move || lock(&c).resume_member(i).expect("SIGCONT")).await;
            }
        }
    }

    /// Every member gone (the cluster's data too).
    pub async fn shutdown(&self) {
        match &self.inner {
            Inner::Test(c) => c.shutdown(),
            Inner::Real(c) => {
                let c = c.clone();
                blocking(move || lock(&c).shutdown()).await;
            }
        }
    }

    /// A fresh, empty cluster (new cluster id) on the same addresses.
    pub async fn restart_cluster(&self) {
        match &self.inner {
            Inner::Test(c) => c.restart_cluster().await.expect("restart cluster"),
            Inner::Real(c) => {
                let c = c.clone();
                blocking(move || lock(&c).restart_cluster().expect("restart cluster")).await;
            }
        }
    }
}
