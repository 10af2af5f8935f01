//! Finding a cluster: reconnecting in the background for as long as it takes, trying the
//! clusters of the failover list in order, and giving up on a cluster whose addresses all
//! refuse connections.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::backoff::{Backoff, random_unit};
use crate::config::ReconnectMode;
use crate::error::ClientError;
use crate::stats::{Stats, metric};

use crate::client::{Inner, lock};

impl Inner {
    pub(crate) fn trigger_reconnect(&self) {
        let Some(inner) = self.weak.upgrade() else {
            return;
        };
        if self.config.reconnect_mode == ReconnectMode::Off {
            tracing::info!("lost the cluster and reconnect mode is Off: shutting down");
            inner.shutdown_now();
            return;
        }
        if self.reconnecting.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::info!("lost all connections to the cluster: reconnecting in the background");
        let task = tokio::spawn(async move {
            inner.reconnect_until_connected(false).await;
        });
        lock(&self.tasks).push(task.abort_handle());
    }

    /// Connects again, for as long as it takes: never shuts the client down because
    /// clusters were unreachable or refused it. `initial` marks the asynchronous start.
    pub(crate) async fn reconnect_until_connected(self: Arc<Self>, initial: bool) {
        let mut backoff = Backoff::new(self.config.reconnect.clone());
        let mut rounds: u64 = 0;
        loop {
            if self.is_shut_down() {
                break;
            }
            match self.connect_to_cluster(false).await {
                Ok(()) => {
                    if !initial {
                        Stats::bump(&self.stats.reconnects, metric::RECONNECTS);
                    }
                    tracing::info!(
                        cluster = %self.current_cluster_name(),
                        "connected to the cluster"
                    );
                    if self.smart() {
                        self.connect_all_members().await;
                    }
                    break;
                }
                Err(ClientError::ClientShutdown) => break,
                Err(e) => {
                    rounds += 1;
                    tracing::warn!(
                        error = %e,
                        rounds,
                        "no cluster reachable yet; still trying in the background"
                    );
                    tokio::time::sleep(backoff.next_sleep()).await;
                }
            }
        }
        self.reconnecting.store(false, Ordering::SeqCst);
        // A connection may have closed again between the connect and the flag.
        if !self.is_shut_down() && self.connection_count() == 0 {
            self.trigger_reconnect();
        }
    }

    pub(crate) fn current_cluster_name(&self) -> String {
        self.clusters
            .get(self.current_cluster.load(Ordering::SeqCst))
            .map(|c| c.cluster_name.clone())
            .unwrap_or_default()
    }

    // ---------------------------------------------------------------- connecting

    /// Connects to the current cluster, else to the others of the failover list. At
    /// `startup` a refused authentication ends the attempt at once (a configuration error
    /// the operator must see); later it is retried like any connection failure.
    pub(crate) async fn connect_to_cluster(
        self: &Arc<Self>,
        startup: bool,
    ) -> Result<(), ClientError> {
        let _guard = self.connect_lock.lock().await;
        if self.connection_count() > 0 {
            return Ok(());
        }
        let n = self.clusters.len();
        let start = self.current_cluster.load(Ordering::SeqCst);
        let mut last = match self.try_cluster(start, startup).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let Some(failover) = &self.config.failover else {
            return Err(last);
        };
        for _round in 0..failover.try_count {
            for k in 1..=n {
                if self.is_shut_down() {
                    return Err(ClientError::ClientShutdown);
                }
                let idx = (start + k) % n;
                match self.try_cluster(idx, startup).await {
                    Ok(()) => {
                        if idx != start {
                            Stats::bump(&self.stats.failovers, metric::FAILOVERS);
                            tracing::info!(
                                cluster = %self.clusters.get(idx).map_or("", |c| c.cluster_name.as_str()),
                                "failed over to another cluster"
                            );
                        }
                        return Ok(());
                    }
                    Err(e) => last = e,
                }
            }
        }
        Err(ClientError::ClusterUnreachable(last.to_string()))
    }

    /// Tries one cluster until its cluster connect timeout, or, with a failover list, until
    /// every address has refused connections for `failover_on_refusal_after`. At `startup`
    /// an authentication refusal ends the attempt at once; later it is logged and retried
    /// with the backoff like any connection failure (a member restarting with another
    /// configuration, a partition-count mismatch), so the client never gives up for good.
    pub(crate) async fn try_cluster(
        self: &Arc<Self>,
        idx: usize,
        startup: bool,
    ) -> Result<(), ClientError> {
        let Some(cluster) = self.clusters.get(idx).cloned() else {
            return Err(ClientError::Config("cluster index out of range".into()));
        };
        let previous = self.current_cluster.swap(idx, Ordering::SeqCst);
        if previous != idx {
            // Another cluster: its members and partitions are not ours.
            self.view.clear();
        }
        let deadline = self
            .config
            .effective_cluster_connect_timeout()
            .map(|t| Instant::now() + t);
        let mut backoff = Backoff::new(self.config.reconnect.clone());
        let mut last: Option<ClientError> = None;
        let mut refused_since: Option<Instant> = None;
        loop {
            if self.is_shut_down() {
                return Err(ClientError::ClientShutdown);
            }
            let round_started = Instant::now();
            let mut all_refused = true;
            let mut addresses: Vec<String> =
                self.view.members().into_iter().map(|m| m.address).collect();
            shuffle(&mut addresses);
            for a in &cluster.addresses {
                let a = if a.contains(':') {
                    a.clone()
                } else {
                    format!("{a}:5701")
                };
                if !addresses.contains(&a) {
                    addresses.push(a);
                }
            }
            for a in &addresses {
                match self.connect_member(a).await {
                    Ok(_) => return Ok(()),
                    Err(e @ ClientError::Authentication { .. }) if startup => {
                        tracing::warn!(cluster = %cluster.cluster_name, error = %e, "authentication refused");
                        return Err(e);
                    }
                    Err(e @ ClientError::Authentication { .. }) => {
                        all_refused = false;
                        tracing::warn!(
                            cluster = %cluster.cluster_name,
                            error = %e,
                            "authentication refused during reconnect; retrying with backoff"
                        );
                        last = Some(e);
                    }
                    Err(e) => {
                        let refused = matches!(&e, ClientError::Io(io)
                            if io.kind() == std::io::ErrorKind::ConnectionRefused);
                        all_refused &= refused;
                        tracing::debug!(address = %a, error = %e, "connect failed");
                        last = Some(e);
                    }
                }
            }
            // With a failover list, the moment every address has refused for
            // `failover_on_refusal_after`: the next round runs then, not a backoff step
            // later (the cluster is gone; each late wake-up is a longer gap).
            let mut give_up_at: Option<Instant> = None;
            if all_refused && !addresses.is_empty() {
                // From the start of the first round that found every address refusing.
                let since = *refused_since.get_or_insert(round_started);
                if self.config.failover.is_some() {
                    let at = since + self.config.failover_on_refusal_after;
                    if Instant::now() >= at {
                        // Debug: with every cluster down this repeats several times a
                        // second (the reconnect loop warns once per round).
                        tracing::debug!(
                            cluster = %cluster.cluster_name,
                            refused_for_ms = since.elapsed().as_millis() as u64,
                            "every address of the cluster refuses connections: trying the next cluster"
                        );
                        return Err(ClientError::ClusterUnreachable(format!(
                            "cluster {:?}: every address refused connections",
                            cluster.cluster_name
                        )));
                    }
                    give_up_at = Some(at);
                }
            } else {
                refused_since = None;
            }
            let mut sleep = backoff.next_sleep();
            if let Some(at) = give_up_at {
                sleep = sleep.min(at.saturating_duration_since(Instant::now()));
            }
            let sleep = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(ClientError::ClusterUnreachable(format!(
                            "cluster {:?}: {}",
                            cluster.cluster_name,
                            last.map_or_else(
                                || "no address answered".to_owned(),
                                |e| e.to_string()
                            )
                        )));
                    }
                    sleep.min(d - now)
                }
                None => sleep,
            };
            tokio::time::sleep(sleep).await;
        }
    }
}

fn shuffle<T>(v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = (random_unit() * (i + 1) as f64) as usize;
        v.swap(i, j.min(i));
    }
}
