//! Scenarios 1 to 5 (the browser one is in `browser.rs`).

use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hazelcast_client::{Client, ClientConfig, EntryListenerOptions, event_type};

use super::http::Jar;
use super::procs::{Shop, ShopEnv, ShopStartError};
use super::shop_client::{self, Basket};
use super::{ClusterRef, Outcome, Suite, ms};

/// `Result<T, String>` → `Result<T, Outcome>` (a failure with that message).
pub(crate) trait OrFail<T> {
    fn or_fail(self, context: &str) -> Result<T, Outcome>;
}

impl<T> OrFail<T> for Result<T, String> {
    fn or_fail(self, context: &str) -> Result<T, Outcome> {
        self.map_err(|e| Outcome::failed(format!("{context}: {e}")))
    }
}

/// Runs a scenario body written with `?`.
fn outcome(body: impl FnOnce() -> Result<Outcome, Outcome>) -> Outcome {
    body().unwrap_or_else(|o| o)
}

/// Starts a shop; a shop that refuses its configuration makes the scenario "skipped".
pub(crate) fn start_shop(suite: &Suite, binary: &str, env: &ShopEnv) -> Result<Shop, Outcome> {
    Shop::start(&suite.bin_dir, binary, env).map_err(|e| match e {
        ShopStartError::Refused(m) => {
            let m = m.strip_prefix("shop: ").unwrap_or(&m);
            Outcome::skipped(format!("{binary} refused the cluster: {m}"))
        }
        ShopStartError::Failed(m) => Outcome::failed(m),
    })
}

/// Polls `f` every 100 ms until it returns `Ok`, at most `limit`.
pub(crate) fn until<T>(
    limit: Duration,
    mut f: impl FnMut() -> Result<T, String>,
) -> Result<T, String> {
    let deadline = Instant::now() + limit;
    loop {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Scenario 1: The shop is killed and started again; the same cookie still sees the user signed in
/// with the same basket.
pub(crate) fn web_server_restart(suite: &mut Suite) -> Outcome {
    outcome(|| {
        let cluster = suite.cluster("restart", 1).or_fail("cluster")?;
        let env = suite.shop_env(&cluster);
        let shop = start_shop(suite, "shop", &env)?;
        let mut jar = Jar::default();
        shop_client::login(shop.address, &mut jar).or_fail("before restart")?;
        shop_client::add(shop.address, &mut jar, "1,2").or_fail("before restart")?;
        let before = shop_client::basket(shop.address, &mut jar).or_fail("before restart")?;
        let cookie = jar.get("SESSION").map(str::to_owned);
        let killed = Instant::now();
        shop.kill();
        let shop = start_shop(suite, "shop", &env)?;
        let user = shop_client::me(shop.address, &mut jar).or_fail("after restart")?;
        let back = killed.elapsed();
        let after = shop_client::basket(shop.address, &mut jar).or_fail("after restart")?;
        let same_cookie = cookie.is_some() && jar.get("SESSION") == cookie.as_deref();
        let figures = format!(
            "kill → signed-in answer {} ms; user {:?}; basket {} units/{} cents before, {} units/{} cents after; cookie unchanged: {same_cookie}",
            ms(back),
            user.as_deref().unwrap_or("none"),
            before.units,
            before.total_cents,
            after.units,
            after.total_cents
        );
        if user.as_deref() == Some("user") && after == before && before.units == 2 && same_cookie {
            Ok(Outcome::passed(figures))
        } else {
            Ok(Outcome::failed(figures))
        }
    })
}

/// One timed request of a load loop.
#[derive(Debug, Clone, Copy)]
struct Sample {
    started: Instant,
    finished: Instant,
    ok: bool,
}

/// Longest time between consecutive successful completions from `from` on (and from `from`
/// to the first success).
fn longest_gap(samples: &[Sample], from: Instant) -> Duration {
    let mut done: Vec<Instant> = samples
        .iter()
        .filter(|s| s.ok && s.finished >= from)
        .map(|s| s.finished)
        .collect();
    done.sort();
    let mut last = from;
    let mut gap = Duration::ZERO;
    for t in done {
        gap = gap.max(t - last);
        last = t;
    }
    gap
}

/// Scenario 2: Three members, backup count 1; one crashes under load.
pub(crate) fn member_crash(suite: &mut Suite) -> Outcome {
    if let Some(reason) = suite.no_control_reason() {
        return Outcome::skipped(reason);
    }
    outcome(|| {
        const SESSIONS: usize = 30;
        const WORKERS: usize = 2;
        let cluster = suite.cluster("crash", 3).or_fail("cluster")?;
        let shop = start_shop(suite, "shop", &suite.shop_env(&cluster))?;
        let address = shop.address;
        let mut jars = Vec::new();
        for i in 0..SESSIONS {
            let mut jar = Jar::default();
            let item = i % 10 + 1;
            shop_client::add(address, &mut jar, &item.to_string()).or_fail("filling baskets")?;
            let b = shop_client::basket(address, &mut jar).or_fail("filling baskets")?;
            jars.push((jar, b));
        }
        let samples = Mutex::new(Vec::new());
        let stop = AtomicBool::new(false);
        let mut crashed_at = Instant::now();
        let mut crash_error = None;
        std::thread::scope(|scope| {
            for w in 0..WORKERS {
                let jars = &jars;
                let samples = &samples;
                let stop = &stop;
                scope.spawn(move || {
                    let mut i = w;
                    while !stop.load(Ordering::Relaxed) {
                        let (jar, expected) = &jars[i % jars.len()];
                        let mut jar = jar.clone();
                        let started = Instant::now();
                        let ok =
                            shop_client::basket(address, &mut jar).is_ok_and(|b| b == *expected);
                        let s = Sample {
                            started,
                            finished: Instant::now(),
                            ok,
                        };
                        samples.lock().unwrap_or_else(|e| e.into_inner()).push(s);
                        i += WORKERS;
                    }
                });
            }
            std::thread::sleep(Duration::from_secs(2));
            crashed_at = Instant::now();
            if let Some(control) = suite.control()
                && let Err(e) = control.command(&format!("crash {} 0", cluster.name))
            {
                crash_error = Some(e);
            }
            std::thread::sleep(Duration::from_secs(4));
            stop.store(true, Ordering::Relaxed);
        });
        if let Some(e) = crash_error {
            return Err(Outcome::failed(format!("crash: {e}")));
        }
        let samples = samples.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut lost = 0;
        for (jar, expected) in &jars {
            let mut jar = jar.clone();
            if shop_client::basket(address, &mut jar).ok() != Some(*expected) {
                lost += 1;
            }
        }
        let after: Vec<&Sample> = samples.iter().filter(|s| s.started >= crashed_at).collect();
        let failed = samples.iter().filter(|s| !s.ok).count();
        let slowest = after
            .iter()
            .map(|s| s.finished - s.started)
            .max()
            .unwrap_or_default();
        let gap = longest_gap(&samples, crashed_at);
        let tail_ok = after.iter().rev().take(10).all(|s| s.ok);
        let figures = format!(
            "{} requests ({} after the crash), failed {failed}, sessions lost {lost}/{SESSIONS}; stall: longest gap without an answer {} ms, slowest request {} ms",
            samples.len(),
            after.len(),
            ms(gap),
            ms(slowest)
        );
        if lost == 0 && tail_ok && !after.is_empty() {
            Ok(Outcome::passed(figures))
        } else {
            Ok(Outcome::failed(figures))
        }
    })
}

/// A probe: add one product and read the basket back (works on a new session too).
fn probe(address: SocketAddr, jar: &mut Jar) -> bool {
    shop_client::add(address, jar, "1").is_ok()
        && shop_client::basket(address, jar).is_ok_and(|b| b.units >= 1)
}

/// Waits until `n` probes in a row succeeded after `since`, at most `limit`.
fn steady(samples: &Mutex<Vec<Sample>>, since: Instant, n: usize, limit: Duration) -> bool {
    let deadline = since + limit;
    while Instant::now() < deadline {
        {
            let s = samples.lock().unwrap_or_else(|e| e.into_inner());
            let recent: Vec<&Sample> = s.iter().filter(|s| s.started >= since).collect();
            if recent.len() >= n && recent.iter().rev().take(n).all(|s| s.ok) {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Scenario 3: Two clusters in the failover list; the first is shut down under load, the shop
/// continues on the second; the first returns, the second goes, the shop moves back.
pub(crate) fn region_outage(suite: &mut Suite) -> Outcome {
    if let Some(reason) = suite.no_control_reason() {
        return Outcome::skipped(reason);
    }
    outcome(|| {
        let london = suite.cluster("london", 2).or_fail("cluster")?;
        let new_york = suite.cluster("new-york", 1).or_fail("cluster")?;
        let env = ShopEnv::cluster(
            &london.members,
            &london.name,
            Some((&new_york.members, &new_york.name)),
        );
        let shop = start_shop(suite, "shop", &env)?;
        let address = shop.address;
        let samples = Mutex::new(Vec::new());
        let stop = AtomicBool::new(false);
        let mut marks = (Instant::now(), Instant::now());
        let mut result: Result<(bool, bool), String> = Ok((false, false));
        std::thread::scope(|scope| {
            let samples = &samples;
            let stop = &stop;
            scope.spawn(move || {
                let mut jar = Jar::default();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let ok = probe(address, &mut jar);
                    let s = Sample {
                        started,
                        finished: Instant::now(),
                        ok,
                    };
                    samples.lock().unwrap_or_else(|e| e.into_inner()).push(s);
                    if !ok {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            });
            result = (|| {
                std::thread::sleep(Duration::from_millis(1500));
                let control = suite.control().ok_or("no control")?;
                marks.0 = Instant::now();
                control.command(&format!("shutdown {}", london.name))?;
                let moved = steady(
                    samples,
                    marks.0 + Duration::from_millis(200),
                    5,
                    Duration::from_secs(60),
                );
                if !moved {
                    return Ok((false, false));
                }
                control.command(&format!("restart-cluster {}", london.name))?;
                marks.1 = Instant::now();
                control.command(&format!("shutdown {}", new_york.name))?;
                let back = steady(
                    samples,
                    marks.1 + Duration::from_millis(200),
                    5,
                    Duration::from_secs(60),
                );
                Ok((moved, back))
            })();
            stop.store(true, Ordering::Relaxed);
        });
        let (moved, back) = result.or_fail("control")?;
        let samples = samples.into_inner().unwrap_or_else(|e| e.into_inner());
        let failed = samples.iter().filter(|s| !s.ok).count();
        let gap = |from: Instant, to: Instant| {
            let window: Vec<Sample> = samples
                .iter()
                .filter(|s| s.finished < to)
                .copied()
                .collect();
            longest_gap(&window, from)
        };
        let end = samples.last().map_or_else(Instant::now, |s| s.finished);
        let figures = format!(
            "{} probes, failed {failed}; first cluster down → on the second: gap {} ms ({}); second down, first back → gap {} ms ({}); sessions are not carried over (no WAN between test clusters)",
            samples.len(),
            ms(gap(marks.0, marks.1)),
            if moved {
                "moved"
            } else {
                "did NOT move within 60 s"
            },
            ms(gap(marks.1, end)),
            if back {
                "moved back"
            } else {
                "did NOT move back within 60 s"
            },
        );
        if moved && back {
            Ok(Outcome::passed(figures))
        } else {
            Ok(Outcome::failed(figures))
        }
    })
}

/// Scenario 4: An idle entry in a map configured like the session map (map-level max idle,
/// applied through dynamic configuration as the repository does) disappears after its
/// interval and an `expired` event is seen. Checked with the Hazelcast client directly: the
/// shop has no setting for a short session interval.
pub(crate) fn expiry(suite: &mut Suite) -> Outcome {
    outcome(|| {
        let cluster = suite.cluster("expiry", 1).or_fail("cluster")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Outcome::failed(format!("tokio: {e}")))?;
        runtime.block_on(expiry_on(&cluster)).or_fail("expiry")
    })
}

async fn expiry_on(cluster: &ClusterRef) -> Result<Outcome, String> {
    const INTERVAL: Duration = Duration::from_secs(2);
    let config = ClientConfig::builder()
        .cluster_name(cluster.name.clone())
        .addresses(cluster.members.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let client = Client::connect(config).await.map_err(|e| e.to_string())?;
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let name = format!("integration:expiry:{unique}");
    // Map-level max idle, as the session repository configures its map.
    let mut map_config = hazelcast_client::map_config::MapConfig::new(name.clone());
    map_config.max_idle_seconds = i32::try_from(INTERVAL.as_secs()).unwrap_or(2);
    client
        .add_map_config(&map_config)
        .await
        .map_err(|e| format!("map config: {e}"))?;
    let map = client.map::<String, String>(name);
    let mut events = map
        .entry_events(EntryListenerOptions {
            include_value: false,
            flags: event_type::EXPIRED,
        })
        .await
        .map_err(|e| e.to_string())?;
    let key = "session-1".to_owned();
    map.set(&key, &"basket=1,2".to_owned())
        .await
        .map_err(|e| e.to_string())?;
    let written = Instant::now();
    let present = map.get(&key).await.map_err(|e| e.to_string())?.is_some();
    // Idle: nobody touches the entry for its interval and a second more.
    tokio::time::sleep(INTERVAL + Duration::from_secs(1)).await;
    let gone = map.get(&key).await.map_err(|e| e.to_string())?.is_none();
    let seen = tokio::time::timeout(Duration::from_secs(30), events.next_event())
        .await
        .ok()
        .flatten()
        .filter(|e| e.event_type == event_type::EXPIRED)
        .map(|_| written.elapsed());
    client.shutdown().await;
    let figures = format!(
        "map-level max idle {} ms; present at once: {present}; gone after {} ms idle: {gone}; expired event {}",
        ms(INTERVAL),
        ms(INTERVAL + Duration::from_secs(1)),
        seen.map_or("NOT seen within 30 s".to_owned(), |d| format!(
            "after {} ms",
            ms(d)
        ))
    );
    Ok(if present && gone && seen.is_some() {
        Outcome::passed(figures)
    } else {
        Outcome::failed(figures)
    })
}

/// Scenario 5: Two shop processes (axum and actix-web), no load balancer: requests alternate
/// between them with one cookie and see one session.
pub(crate) fn two_web_servers(suite: &mut Suite) -> Outcome {
    outcome(|| {
        const ROUNDS: usize = 10;
        let cluster = suite.cluster("two-servers", 1).or_fail("cluster")?;
        let env = suite.shop_env(&cluster);
        let a = start_shop(suite, "shop", &env)?;
        let b = start_shop(suite, "shop-actix", &env)?;
        let servers = [a.address, b.address];
        let mut jar = Jar::default();
        shop_client::login(servers[0], &mut jar).or_fail("sign in on axum")?;
        let cookie = jar.get("SESSION").map(str::to_owned);
        let mut requests = 1;
        let mut mismatches = Vec::new();
        for round in 0..ROUNDS {
            let writer = servers[round % 2];
            let reader = servers[(round + 1) % 2];
            shop_client::add(writer, &mut jar, "3").or_fail("add")?;
            let basket: Basket = shop_client::basket(reader, &mut jar).or_fail("basket")?;
            let user = shop_client::me(reader, &mut jar).or_fail("me")?;
            requests += 3;
            if basket.units != (round + 1) as u64 || user.as_deref() != Some("user") {
                mismatches.push(format!(
                    "round {round}: {} units, user {user:?}",
                    basket.units
                ));
            }
        }
        let same_cookie = cookie.is_some() && jar.get("SESSION") == cookie.as_deref();
        let figures = format!(
            "{requests} requests alternating axum {} / actix {}; one cookie throughout: {same_cookie}; mismatches {}{}",
            servers[0],
            servers[1],
            mismatches.len(),
            mismatches
                .first()
                .map(|m| format!(" (first: {m})"))
                .unwrap_or_default()
        );
        drop((a, b));
        if mismatches.is_empty() && same_cookie {
            Ok(Outcome::passed(figures))
        } else {
            Ok(Outcome::failed(figures))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_gap_counts_from_the_mark() {
        let t0 = Instant::now();
        let at = |ms: u64, ok| Sample {
            started: t0,
            finished: t0 + Duration::from_millis(ms),
            ok,
        };
        let samples = [at(10, true), at(50, false), at(300, true), at(320, true)];
        assert_eq!(longest_gap(&samples, t0), Duration::from_millis(290));
        assert_eq!(
            longest_gap(&samples, t0 + Duration::from_millis(100)),
            Duration::from_millis(200)
        );
    }
}
