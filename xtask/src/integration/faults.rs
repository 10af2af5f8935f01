//! The scenarios that break members while the shop is under load: 2 (a member killed),
//! 7 (a member silent), 8 (the whole cluster down) and 9 (a rolling restart).
//!
//! Every one runs the load of [`load`]: loops adding distinct products to ~30 sessions and
//! remembering each add the shop confirmed. For 2, 7 and 9 the member-side truth is
//! asserted afterwards (every confirmed add is in its basket, no session lost or replaced);
//! the latency and failure figures are printed, and each scenario has a table of limits
//! (issue 13's targets with room for CI noise) that turns a figure into a pass/fail
//! condition.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hazelcast_client::{Client, ClientConfig};

use super::control::{ClusterControl, ClusterSpec, Fault};
use super::figures::{Figures, Limit, Sample, percentile, status_counts};
use super::http::Jar;
use super::load::{self, LoadResult, LoadSpec, Verification};
use super::scenarios::{OrFail, outcome, start_shop};
use super::shop_client;
use super::{ClusterRef, Outcome, Suite};

/// Load before the fault.
const WARM_UP: Duration = Duration::from_secs(3);
/// A request slower than this is not "normal".
const NORMAL: Duration = Duration::from_secs(1);
/// How long scenario 7 keeps the member stopped.
const SILENCE: Duration = Duration::from_secs(90);
/// Longest a request may take before it counts as unanswered (scenario 8's hang bound).
const HANG: Duration = Duration::from_secs(150);
/// Longest the shop may take to serve again after the cluster is back (scenario 8).
const RECOVERY: Duration = Duration::from_secs(60);

// Limits (issue 13). The targets: a crash or a rolling restart costs no failed
// request and no request slower than 1 s; with a silent member or the whole cluster down,
// no request slower than the session store's deadline (1.5 s) plus 100 ms. Measured on real
// members (2 cores, nothing else running) the figures meet them, with little margin (a
// crash's slowest request 994 ms, a silent member's 1534 ms, cluster down 1567 ms). Where
// every run met a target (a crash: 0 failed; the whole cluster down: slowest 1.6 s, service
// back within 2 s of a member being up) the limit is the target; elsewhere it has room for
// a noisy two-core CI machine, so that a regression to the old behaviour (5 s backup-ack
// waits, 47 s stalls, 120 s hangs) fails the run while scheduling noise does not; the
// printed figures are the measurement.

/// Limits of scenario 2's figures (keys as printed). 0 failed requests is the issue's
/// target and was met in every run (2026-12-02: 0, 0, 0; slowest 648, 753, 1109 ms, so the
/// 1 s target is not a limit yet).
const CRASH_LIMITS: &[Limit] = &[
    Limit {
        key: "failed",
        max: 0,
    },
    Limit {
        key: "slowest",
        max: 2_000,
    },
];
/// Limits of scenario 7's figures: the target (no request slower than the 1.5 s
/// deadline plus 100 ms), as for scenario 8. Measured on real members: slowest 1506, 1507,
/// 1509, 1509, 1510 ms in the clean-clone runs of 2026-12-02 and 2026-12-03, 1534 ms the
/// worst seen on a busy machine: the deadline decides it, not the member.
const SILENT_LIMITS: &[Limit] = &[Limit {
    key: "slowest",
    max: 1_600,
}];
/// Limits of scenario 8's figures: the targets (every request answered within the
/// deadline plus 100 ms, service back within 2 s of a member being up). Measured
/// 2026-12-02 on real members (shared two-core machine): slowest while down 1509, 1539,
/// 1513 ms; first member up → first success 580 ms.
const DOWN_LIMITS: &[Limit] = &[
    Limit {
        key: "slowest while down",
        max: 1_600,
    },
    Limit {
        key: "unanswered",
        max: 0,
    },
    Limit {
        key: "first member up → first success",
        max: 2_000,
    },
];
/// Limits of scenario 9's figures. The 503s seen before (0 to 7 of about 5,000 requests
/// per run, all in the seconds after a member rejoined) were writes whose backup had just
/// moved to the rejoined member before the client was connected to it: a member drops the
/// backup acks of clients not connected to it, so the write waited for an ack that never
/// came until the session store's 1.5 s deadline. The client now waits at most 250 ms for
/// acks while a data member is unconnected and reconnects every 200 ms. Measured
/// 2026-12-03 on the shared two-core machine while other builds and benchmarks ran (load
/// average 4 to 16): 12 runs, 11 with 0 failed requests (slowest 592 to 1684 ms; one run's
/// shop log shows two such writes completed after 250 ms instead of failing) and one with
/// 9 (at load average 13, p99 1047 ms instead of about 300 ms, slowest 3283 ms: that run
/// broke the slowest-request limit too). The limit is issue 13's target of 0 failed
/// requests; the 1 s target for the slowest request is not met on that machine under that
/// load, so that limit has room. The clean-clone CI run of 2026-12-03 (idle machine): 0
/// failed, slowest 698 ms.
const ROLLING_LIMITS: &[Limit] = &[
    Limit {
        key: "failed",
        max: 0,
    },
    Limit {
        key: "slowest",
        max: 2_000,
    },
];

/// The member faulted in scenarios 2 and 7.
const VICTIM: usize = 1;

/// Starts the shop on `cluster`.
fn shop_on(suite: &Suite, cluster: &dyn ClusterControl) -> Result<super::procs::Shop, Outcome> {
    start_shop(suite, "shop", &suite.shop_env(&ClusterRef::of(cluster)))
}

/// Adds the member-side truth to `f`; whether it holds (nothing lost, nothing replaced,
/// nothing foreign, everything readable). `fault` dates the replaced sessions and stale
/// reads.
fn truth(load: &LoadResult, v: &Verification, fault: Instant, f: &mut Figures) -> bool {
    v.figures(f);
    f.count("sessions replaced", load.replaced());
    if let Some(span) = span(&load.replaced_at(), fault) {
        f.note(format!("replaced {span}"));
    }
    f.count("stale reads", load.stale_reads.len());
    if let Some(span) = span(&load.stale_reads, fault) {
        f.note(format!("stale reads {span}"));
    }
    v.clean() && load.replaced() == 0
}

/// "from +a s to +b s after the fault" for a set of instants (None when empty).
fn span(times: &[Instant], fault: Instant) -> Option<String> {
    let offset = |t: Instant| match t.checked_duration_since(fault) {
        Some(d) => format!("+{:.1} s", d.as_secs_f64()),
        None => format!("-{:.1} s", fault.duration_since(t).as_secs_f64()),
    };
    let first = times.iter().min()?;
    let last = times.iter().max()?;
    Some(format!(
        "from {} to {} after the fault",
        offset(*first),
        offset(*last)
    ))
}

/// The requests that failed or took longer than `normal`, counted by the phase (the last
/// mark at or before their start, e.g. "stop 1" while member 1 shuts down): "stop 1: 2
/// (slowest 1210 ms), rejoin 2: 1 (…)"; `None` when there are none.
fn by_phase(samples: &[Sample], marks: &[(Instant, String)], normal: Duration) -> Option<String> {
    let mut counts: Vec<(&str, usize, Duration)> = Vec::new();
    for s in samples.iter().filter(|s| !s.ok() || s.took() > normal) {
        let Some((_, phase)) = marks.iter().rev().find(|(t, _)| *t <= s.started) else {
            continue;
        };
        match counts.iter_mut().find(|(p, ..)| *p == phase.as_str()) {
            Some((_, n, slowest)) => {
                *n += 1;
                *slowest = (*slowest).max(s.took());
            }
            None => counts.push((phase.as_str(), 1, s.took())),
        }
    }
    (!counts.is_empty()).then(|| {
        counts
            .iter()
            .map(|(p, n, slowest)| format!("{p}: {n} (slowest {} ms)", slowest.as_millis()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// Whether the last `n` requests of the load succeeded (the shop serves again).
fn serves_at_the_end(samples: &[Sample], n: usize) -> bool {
    let mut by_end: Vec<&Sample> = samples.iter().collect();
    by_end.sort_by_key(|s| s.finished);
    by_end.len() >= n && by_end.iter().rev().take(n).all(|s| s.ok())
}

/// The outcome: passed when `holds` and no limit is broken; the figures and every broken
/// condition in the text.
fn judge(f: &Figures, holds: bool, why_not: &str, limits: &[Limit]) -> Outcome {
    let broken = f.violations(limits);
    let mut text = f.render();
    if !holds {
        text.push_str(&format!("; FAILED: {why_not}"));
    }
    if !broken.is_empty() {
        text.push_str(&format!("; LIMITS BROKEN: {}", broken.join(", ")));
    }
    if holds && broken.is_empty() {
        Outcome::passed(text)
    } else {
        Outcome::failed(text)
    }
}

/// Scenario 2: three members, backup count 1; one is killed (`kill -9`) under load.
pub(crate) fn member_crash(suite: &mut Suite) -> Outcome {
    outcome(|| {
        let mut cluster = suite.fault_cluster(&ClusterSpec::new("crash", 3), &[Fault::Kill])?;
        let shop = shop_on(suite, cluster.as_ref())?;
        let (load, marks) = load::run(shop.address, &LoadSpec::default(), |_| {
            std::thread::sleep(WARM_UP);
            let crashed = Instant::now();
            cluster.kill_member(VICTIM)?;
            std::thread::sleep(Duration::from_secs(10));
            Ok::<_, String>((crashed, Instant::now()))
        })
        .or_fail("load")?;
        let (crashed, end) = marks.or_fail("kill")?;
        let v = load::verify(shop.address, &load.sessions);
        let mut f = Figures::default();
        f.note(format!(
            "member {VICTIM} of 3 killed after {} requests",
            load.samples.iter().filter(|s| s.started < crashed).count()
        ));
        load::timing_figures(&load.samples, crashed, end, &mut f);
        load::recovery_figure(&load.samples, crashed, NORMAL, &mut f);
        let holds = truth(&load, &v, crashed, &mut f);
        let serves = serves_at_the_end(&load.samples, 10);
        Ok(judge(
            &f,
            holds && serves,
            if serves {
                "confirmed adds lost or sessions replaced"
            } else {
                "the shop did not serve again after the crash"
            },
            CRASH_LIMITS,
        ))
    })
}

/// Our own client watching the member list, as the shop's client sees it.
struct ClientWatch {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Result<Vec<(Instant, usize)>, String>>,
}

impl ClientWatch {
    fn start(cluster: &ClusterRef) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (name, members) = (cluster.name.clone(), cluster.members.clone());
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("tokio: {e}"))?;
            runtime.block_on(async move {
                let config = ClientConfig::builder()
                    .cluster_name(name)
                    .addresses(members)
                    .client_name("integration-watch")
                    .build()
                    .map_err(|e| e.to_string())?;
                let client = Client::connect(config)
                    .await
                    .map_err(|e| format!("watch client: {e}"))?;
                let mut changes = Vec::new();
                let mut last = None;
                while !flag.load(Ordering::Relaxed) {
                    let n = client.members().len();
                    if last != Some(n) {
                        changes.push((Instant::now(), n));
                        last = Some(n);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                client.shutdown().await;
                Ok(changes)
            })
        });
        Self { stop, handle }
    }

    fn finish(self) -> Result<Vec<(Instant, usize)>, String> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .join()
            .unwrap_or_else(|_| Err("the watch thread panicked".into()))
    }
}

/// The first time at or after `since` that the member list had fewer than `n` members.
fn first_below(changes: &[(Instant, usize)], n: usize, since: Instant) -> Option<Instant> {
    changes
        .iter()
        .find(|(t, len)| *t >= since && *len < n)
        .map(|(t, _)| *t)
}

/// "after N ms" or "not seen".
fn after(from: Instant, at: Option<Instant>) -> String {
    at.map_or_else(
        || "not seen".to_owned(),
        |t| format!("after {} ms", t.saturating_duration_since(from).as_millis()),
    )
}

/// What scenario 7's main thread saw.
struct Silence {
    paused: Instant,
    resumed: Instant,
    end: Instant,
    /// When the other members' member list dropped the silent member.
    removed: Option<Instant>,
    /// The silent member's own member list size at the end.
    own_view: Option<usize>,
    /// The smallest member list a healthy member reported meanwhile (1 = the healthy
    /// members split from each other).
    smallest_view: Option<usize>,
}

/// Scenario 7: three members, backup count 1; one is stopped (SIGSTOP) for 90 s under load
/// and then continued (SIGCONT).
pub(crate) fn silent_member(suite: &mut Suite) -> Outcome {
    outcome(|| {
        let mut cluster = suite.fault_cluster(&ClusterSpec::new("silent", 3), &[Fault::Pause])?;
        let shop = shop_on(suite, cluster.as_ref())?;
        let watch = ClientWatch::start(&ClusterRef::of(cluster.as_ref()));
        let (load, marks) = load::run(shop.address, &LoadSpec::default(), |_| {
            std::thread::sleep(WARM_UP);
            let paused = Instant::now();
            cluster.pause_member(VICTIM)?;
            let others: Vec<usize> = (0..3).filter(|&i| i != VICTIM).collect();
            let mut removed = None;
            let mut smallest_view: Option<usize> = None;
            let mut look = |cluster: &dyn ClusterControl, removed: &mut Option<Instant>| {
                let views: Vec<Option<usize>> =
                    others.iter().map(|&i| cluster.member_view(i)).collect();
                if removed.is_none() && views.iter().all(|v| *v == Some(2)) {
                    *removed = Some(Instant::now());
                }
                for v in views.into_iter().flatten() {
                    smallest_view = Some(smallest_view.map_or(v, |s| s.min(v)));
                }
            };
            while paused.elapsed() < SILENCE {
                look(cluster.as_ref(), &mut removed);
                std::thread::sleep(Duration::from_millis(100));
            }
            let resumed = Instant::now();
            cluster.resume_member(VICTIM)?;
            while resumed.elapsed() < Duration::from_secs(10) {
                look(cluster.as_ref(), &mut removed);
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok::<_, String>(Silence {
                paused,
                resumed,
                end: Instant::now(),
                removed,
                own_view: cluster.member_view(VICTIM),
                smallest_view,
            })
        })
        .or_fail("load")?;
        let s = marks.or_fail("pause")?;
        let client_view = watch.finish();
        let v = load::verify(shop.address, &load.sessions);
        let mut f = Figures::default();
        f.note(format!(
            "member {VICTIM} of 3 stopped for {} s",
            SILENCE.as_secs()
        ));
        load::timing_figures(&load.samples, s.paused, s.end, &mut f);
        load::recovery_figure(&load.samples, s.paused, NORMAL, &mut f);
        if let Some(r) = s.removed {
            f.millis("cluster removed it", r - s.paused);
        } else {
            f.note("the other members did NOT remove it (member logs)");
        }
        match &client_view {
            Ok(changes) => f.note(format!(
                "client dropped it {}",
                after(s.paused, first_below(changes, 3, s.paused))
            )),
            Err(e) => f.note(format!("client view unknown ({e})")),
        };
        let after_resume: Vec<Sample> = load
            .samples
            .iter()
            .filter(|x| x.started >= s.resumed)
            .copied()
            .collect();
        f.count(
            "failed after SIGCONT",
            after_resume.iter().filter(|x| !x.ok()).count(),
        );
        if s.smallest_view == Some(1) {
            f.note("the two healthy members SPLIT from each other (a member list of 1)");
        }
        f.note(format!(
            "its own member list after SIGCONT: {}",
            s.own_view
                .map_or_else(|| "unknown".to_owned(), |n| format!("{n} members"))
        ));
        let holds = truth(&load, &v, s.paused, &mut f);
        let serves = serves_at_the_end(&load.samples, 10);
        Ok(judge(
            &f,
            holds && serves,
            if serves {
                "confirmed adds lost or sessions replaced"
            } else {
                "the shop did not serve normally at the end"
            },
            SILENT_LIMITS,
        ))
    })
}

/// What scenario 8's main thread saw.
struct Outage {
    killed: Instant,
    /// When the restart of the members began.
    restarting: Instant,
    /// When every member was up again.
    back: Instant,
    /// When the first member was up again (seen STARTED; else when every member was).
    first_up: Instant,
    /// Every loop got an answer to a request sent after the kill.
    answered: bool,
    first_ok: Option<Instant>,
}

/// Scenario 8: every member of the cluster is killed under load; the cluster is started
/// again (fresh and empty).
pub(crate) fn cluster_down(suite: &mut Suite) -> Outcome {
    outcome(|| {
        let mut cluster =
            suite.fault_cluster(&ClusterSpec::new("down", 2), &[Fault::WholeCluster])?;
        let shop = shop_on(suite, cluster.as_ref())?;
        let address = shop.address;
        // Two signed-in users with something in their baskets.
        let mut users = Vec::new();
        for (name, password) in [("user", "password"), ("user2", "password2")] {
            let mut jar = Jar::default();
            shop_client::login_as(address, &mut jar, name, password).or_fail("sign in")?;
            shop_client::add(address, &mut jar, "1,2").or_fail("add")?;
            users.push(jar);
        }
        let spec = LoadSpec {
            timeout: HANG,
            ..LoadSpec::default()
        };
        let (load, marks) = load::run(address, &spec, |view| {
            std::thread::sleep(WARM_UP);
            let killed = Instant::now();
            cluster.shutdown()?;
            // Until every loop got an answer that came at least 5 s after the kill (to a
            // request in flight at the kill or sent since), bounded by the hang limit.
            let answered = view.wait(HANG + Duration::from_secs(10), |v| {
                v.workers_answered_after(killed + Duration::from_secs(5)) == v.workers()
            });
            eprintln!(
                "integration: cluster down for {} s; starting it again",
                killed.elapsed().as_secs()
            );
            let restarting = Instant::now();
            cluster.restart_cluster()?;
            let back = Instant::now();
            // Backends that cannot tell (in-process members) are up when the restart
            // returns.
            let first_up = cluster
                .first_member_up()
                .filter(|t| *t >= restarting)
                .unwrap_or(back);
            view.wait(RECOVERY, |v| v.first_ok_since(restarting).is_some());
            let first_ok = view.first_ok_since(restarting);
            if first_ok.is_some() {
                view.wait(Duration::from_secs(20), |v| v.steady_since(back, 10));
            }
            Ok::<_, String>(Outage {
                killed,
                restarting,
                back,
                first_up,
                answered,
                first_ok,
            })
        })
        .or_fail("load")?;
        let o = marks.or_fail("cluster")?;
        let down: Vec<Sample> = load
            .samples
            .iter()
            .filter(|s| s.finished >= o.killed && s.started < o.restarting)
            .copied()
            .collect();
        let took: Vec<Duration> = down.iter().map(Sample::took).collect();
        let unanswered = load.samples.iter().filter(|s| s.status.is_none()).count();
        let mut f = Figures::default();
        f.note(format!(
            "cluster down {} s, members started again in {} s",
            o.restarting.saturating_duration_since(o.killed).as_secs(),
            o.back.saturating_duration_since(o.restarting).as_secs()
        ))
        .note(format!(
            "{} requests in flight at the kill or sent while down: {}",
            down.len(),
            status_counts(&down)
        ))
        .millis(
            "slowest while down",
            took.iter().copied().max().unwrap_or_default(),
        )
        .millis("p50 while down", percentile(&took, 50))
        .count("unanswered", unanswered);
        match o.first_ok {
            Some(t) => {
                f.millis("restart → first success", t - o.restarting);
                f.millis(
                    "first member up → first success",
                    t.saturating_duration_since(o.first_up),
                );
            }
            None => {
                f.note(format!(
                    "NO success within {} s after the restart",
                    RECOVERY.as_secs()
                ));
            }
        }
        let mut signed_out = 0;
        let mut empty = 0;
        for jar in &mut users {
            if shop_client::me(address, jar).is_ok_and(|u| u.is_none()) {
                signed_out += 1;
            }
            if shop_client::basket(address, jar).is_ok_and(|b| b.units == 0) {
                empty += 1;
            }
        }
        f.note(format!(
            "afterwards users see: signed out {signed_out}/{}, empty basket {empty}/{} (the data died with the cluster)",
            users.len(),
            users.len()
        ));
        let holds = unanswered == 0 && o.answered && o.first_ok.is_some();
        Ok(judge(
            &f,
            holds,
            "a request got no answer, or the shop did not serve again",
            DOWN_LIMITS,
        ))
    })
}

/// Scenario 9: each of three members in turn is shut down gracefully and started again,
/// under load.
pub(crate) fn rolling_restart(suite: &mut Suite) -> Outcome {
    outcome(|| {
        let mut cluster =
            suite.fault_cluster(&ClusterSpec::new("rolling", 3), &[Fault::RollingRestart])?;
        let shop = shop_on(suite, cluster.as_ref())?;
        let (load, marks) = load::run(shop.address, &LoadSpec::default(), |_| {
            std::thread::sleep(WARM_UP);
            let began = Instant::now();
            let mut steps = Vec::new();
            let mut phases = Vec::new();
            for i in 0..3 {
                let t = Instant::now();
                cluster.shutdown_member(i)?;
                let stopped = t.elapsed();
                phases.push((t, format!("stop {i}")));
                let t = Instant::now();
                cluster.restart_member(i)?;
                phases.push((t, format!("rejoin {i}")));
                steps.push(format!(
                    "member {i}: stop {:.1} s, rejoin {:.1} s",
                    stopped.as_secs_f64(),
                    t.elapsed().as_secs_f64()
                ));
                phases.push((Instant::now(), format!("after {i}")));
                std::thread::sleep(Duration::from_secs(2));
            }
            std::thread::sleep(Duration::from_secs(3));
            Ok::<_, String>((began, Instant::now(), steps, phases))
        })
        .or_fail("load")?;
        let (began, end, steps, phases) = marks.or_fail("rolling restart")?;
        let v = load::verify(shop.address, &load.sessions);
        let mut f = Figures::default();
        f.note(steps.join(", "));
        load::timing_figures(&load.samples, began, end, &mut f);
        if let Some(text) = by_phase(&load.samples, &phases, NORMAL) {
            f.note(format!(
                "failed or slower than 1 s, by the phase they began in: {text}"
            ));
        }
        let holds = truth(&load, &v, began, &mut f);
        let serves = serves_at_the_end(&load.samples, 10);
        Ok(judge(
            &f,
            holds && serves,
            if serves {
                "confirmed adds lost or sessions replaced"
            } else {
                "the shop did not serve at the end"
            },
            ROLLING_LIMITS,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_view_drop_is_found_after_the_mark() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let changes = [(at(0), 3), (at(10), 2), (at(500), 3), (at(7000), 2)];
        assert_eq!(first_below(&changes, 3, at(0)), Some(at(10)));
        assert_eq!(first_below(&changes, 3, at(100)), Some(at(7000)));
        assert_eq!(first_below(&changes, 2, at(0)), None);
        assert_eq!(after(at(100), Some(at(7000))), "after 6900 ms");
        assert_eq!(after(at(100), None), "not seen");
    }

    #[test]
    fn spans_are_relative_to_the_fault() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let times = [
            t0 + Duration::from_millis(91_500),
            t0 - Duration::from_millis(500),
        ];
        assert_eq!(
            span(&times, t0).as_deref(),
            Some("from -0.5 s to +91.5 s after the fault")
        );
        assert_eq!(span(&[], t0), None);
    }

    #[test]
    fn judging_combines_truth_and_limits() {
        let mut f = Figures::default();
        f.count("failed", 1)
            .millis("slowest", Duration::from_millis(5100));
        let o = judge(&f, true, "lost", &[]);
        assert_eq!(o.status, super::super::Status::Passed);
        let o = judge(&f, false, "lost", &[]);
        assert_eq!(o.status, super::super::Status::Failed);
        assert!(o.figures.ends_with("; FAILED: lost"));
        let o = judge(
            &f,
            true,
            "lost",
            &[Limit {
                key: "slowest",
                max: 1000,
            }],
        );
        assert_eq!(o.status, super::super::Status::Failed);
        assert!(
            o.figures
                .contains("LIMITS BROKEN: slowest 5100 ms > limit 1000 ms")
        );
    }

    #[test]
    fn slow_and_failed_requests_are_counted_by_phase() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let sample = |start: u64, took: u64, status: u16| Sample {
            started: at(start),
            finished: at(start + took),
            status: Some(status),
            worker: 0,
        };
        let samples = [
            sample(50, 2000, 200),
            sample(150, 1200, 200),
            sample(160, 10, 503),
            sample(170, 10, 200),
            sample(300, 1500, 200),
        ];
        let marks = [
            (at(100), "stop 0".to_owned()),
            (at(200), "rejoin 0".to_owned()),
        ];
        assert_eq!(
            by_phase(&samples, &marks, Duration::from_secs(1)).as_deref(),
            Some("stop 0: 2 (slowest 1200 ms), rejoin 0: 1 (slowest 1500 ms)")
        );
        assert_eq!(
            by_phase(&samples[3..4], &marks, Duration::from_secs(1)),
            None
        );
    }

    #[test]
    fn serving_at_the_end_looks_at_the_last_answers() {
        let t0 = Instant::now();
        let s = |end: u64, status| Sample {
            started: t0,
            finished: t0 + Duration::from_millis(end),
            status,
            worker: 0,
        };
        let samples = [s(50, Some(500)), s(10, Some(303)), s(20, Some(200))];
        assert!(!serves_at_the_end(&samples, 2));
        assert!(serves_at_the_end(&samples[1..], 2));
        assert!(!serves_at_the_end(&samples[1..], 3));
    }
}
