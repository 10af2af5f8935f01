//! The sweep of live sessions (issue 16, "cost that stays flat as the work grows"): for
//! the in-memory store and the Hazelcast store, pre-create N sessions in a fresh app, then
//! measure "show basket" and "add to basket" with every request on one of the N sessions
//! picked at random, the backend round trips per request and the app's resident memory.

use std::path::Path;
use std::time::Duration;

use super::cluster::Cluster;
use super::http::{self, Backend, HttpStack, LoadSpec, STACKS};
use super::options::Options;
use super::procs;
use super::summary::Record;
use super::{Skipped, rate};

/// The stores the sweep covers (subjects of [`STACKS`]).
const SWEPT: [&str; 3] = [
    "ours-axum-memory",
    "ours-axum-hazelcast-cache-off",
    "ours-axum-hazelcast-cache-on",
];

/// Assumed upper bound of one pre-created session in the app's memory (in-memory store)
/// or in the member's heap, to skip sizes that cannot fit.
const BYTES_PER_SESSION: f64 = 2048.0;

/// The sweep's handlers: name and method of `/basket`.
const CASES: [(&str, &str); 2] = [("show basket", "GET"), ("add to basket", "POST")];

/// The case name of a sweep point.
pub(crate) fn case_name(handler: &str, sessions: usize) -> String {
    format!("{handler}, {} sessions", rate(sessions as f64))
}

/// Why a size is skipped, if it is: the app's (memory store) or the member's (Hazelcast)
/// memory would not hold it.
fn too_big(s: &HttpStack, n: usize, opts: &Options, cluster: &Cluster) -> Option<String> {
    let need_mib = n as f64 * BYTES_PER_SESSION / (1024.0 * 1024.0);
    if s.backend == Backend::Hazelcast {
        let heap_mib = heap_mib(&opts.member_heap)?;
        (!cluster.imitation && need_mib > heap_mib * 0.7).then(|| {
            format!(
                "{n} sessions need about {need_mib:.0} MiB of member heap (at {BYTES_PER_SESSION} B each), more than 70% of {} (`--member-heap`)",
                opts.member_heap
            )
        })
    } else {
        let available = procs::mem_available_mib()?;
        (need_mib > available / 2.0).then(|| {
            format!(
                "{n} sessions need about {need_mib:.0} MiB (at {BYTES_PER_SESSION} B each), more than half of the {available:.0} MiB available"
            )
        })
    }
}

/// `512m` / `2g` in MiB.
fn heap_mib(heap: &str) -> Option<f64> {
    let (digits, unit) = heap.split_at(heap.len().checked_sub(1)?);
    let n: f64 = digits.parse().ok()?;
    match unit {
        "m" => Some(n),
        "g" => Some(n * 1024.0),
        _ => None,
    }
}

/// Runs the sweep.
pub(crate) fn run(
    out: &Path,
    tool: &Path,
    opts: &Options,
    cluster: &Cluster,
    records: &mut Vec<Record>,
    skipped: &mut Skipped,
) -> Result<(), String> {
    let cookies = out.join("sweep-sessions.txt");
    for subject in SWEPT {
        let Some(s) = STACKS.iter().find(|s| s.subject == subject) else {
            continue;
        };
        for &n in &opts.sweep {
            if let Some(why) = too_big(s, n, opts, cluster) {
                eprintln!("bench: sweep {subject} at {n} sessions skipped: {why}");
                skipped.push((format!("sweep {subject}, {n} sessions"), why));
                continue;
            }
            eprintln!("bench: sweep {subject}: creating {n} sessions");
            // A map per point: earlier points' sessions stay in the member until they
            // expire, but are never touched again.
            let extra = vec![
                "--sessions".to_owned(),
                n.to_string(),
                "--session-file".to_owned(),
                cookies.display().to_string(),
                "--map-name".to_owned(),
                format!("bench-sweep-{}-{n}-{}", subject, std::process::id()),
            ];
            let timeout = Duration::from_secs(60) + Duration::from_secs_f64(n as f64 / 2_000.0);
            let served = match http::serve(tool, s, cluster, None, &extra, timeout) {
                Ok(x) => x,
                Err(e) => {
                    let why = http::cache_reason(s, e);
                    eprintln!("bench:   not measured: {why}");
                    skipped.push((format!("sweep {subject}, {n} sessions"), why));
                    if s.local_cache == Some(true) {
                        break; // the other sizes fail the same way
                    }
                    continue;
                }
            };
            for run in 1..=opts.runs {
                for (handler, method) in CASES {
                    let case = case_name(handler, n);
                    let spec = LoadSpec {
                        case: &case,
                        method,
                        connections: opts.connections,
                        warmup: opts.warmup,
                        window: opts.sweep_window,
                        session_file: Some(&cookies),
                    };
                    let mut r = served.measure(tool, &spec, ("sweep", subject, run))?;
                    r.sessions = Some(n as u64);
                    r.rss_mib = procs::rss_mib(served.proc.pid());
                    eprintln!(
                        "bench:   [run {run}/{}] {subject:30} {case:32} {:>8.0} req/s  round trips {}  CPU µs/req app {} member {}  app RSS {} MiB  errors {}",
                        opts.runs,
                        r.per_second,
                        r.round_trips.map_or("-".into(), |x| format!("{x:.2}")),
                        r.app_cpu_us_per_op
                            .map_or("-".into(), |x| format!("{x:.1}")),
                        r.member_cpu_us_per_op
                            .map_or("-".into(), |x| format!("{x:.1}")),
                        r.rss_mib.map_or("-".into(), |x| format!("{x:.0}")),
                        r.errors,
                    );
                    records.push(r);
                }
            }
            drop(served);
        }
    }
    let _ = std::fs::remove_file(&cookies);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_sizes() {
        assert_eq!(heap_mib("512m"), Some(512.0));
        assert_eq!(heap_mib("3g"), Some(3072.0));
        assert_eq!(heap_mib("g"), None);
        assert_eq!(heap_mib(""), None);
        assert_eq!(heap_mib("2t"), None);
    }

    #[test]
    fn case_names_carry_the_size() {
        assert_eq!(
            case_name("show basket", 100_000),
            "show basket, 100,000 sessions"
        );
    }
}
