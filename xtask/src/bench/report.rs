//! The results as markdown tables and JSON.

use std::fmt::Write as _;

use super::http::STACKS;
use super::instructions::Counted;
use super::summary::{Record, Row};

/// What the report says about where and how it was measured.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) machine: String,
    pub(crate) date: String,
    pub(crate) runs: usize,
    pub(crate) quick: bool,
    pub(crate) cluster: String,
    pub(crate) connections: usize,
    /// 1-minute load average at the end of the run.
    pub(crate) load_average: Option<f64>,
    /// Seconds from the end of the build to the end of the measurements.
    pub(crate) measuring_seconds: f64,
    /// Subjects not measured and why.
    pub(crate) skipped: Vec<(String, String)>,
    /// Instructions per request counted under callgrind (empty when not run).
    pub(crate) counted: Vec<Counted>,
}

fn num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        _ => "–".to_owned(),
    }
}

/// Thousands separators for a rate.
pub(crate) fn rate(x: f64) -> String {
    let n = x.round().max(0.0) as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `a / b` as `1.23×`, `–` when either is missing or `b` is 0.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && a.is_finite() => format!("{:.2}×", a / b),
        _ => "–".to_owned(),
    }
}

/// Cases in first-seen order.
fn cases<'a>(rows: &[&'a Row]) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for r in rows {
        if !seen.contains(&r.case.as_str()) {
            seen.push(&r.case);
        }
    }
    seen
}

/// Renders the markdown report.
pub(crate) fn markdown(ctx: &Context, rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# `cargo xtask bench` results\n");
    let _ = writeln!(
        s,
        "- Machine: {}\n- Date: {}\n- Runs per measurement: {}{} (median; spread = (max − min) / median of the throughput)\n- Cluster: {}\n- 1-minute load average at the end: {} (measuring took {:.0} s after the build)",
        ctx.machine,
        ctx.date,
        ctx.runs,
        if ctx.quick {
            " (`--quick`: short windows)"
        } else {
            ""
        },
        ctx.cluster,
        num(ctx.load_average, 2),
        ctx.measuring_seconds,
    );
    client_section(&mut s, rows);
    http_section(&mut s, ctx, rows);
    sweep_section(&mut s, rows);
    instructions_section(&mut s, &ctx.counted);
    if !ctx.skipped.is_empty() {
        let _ = writeln!(s, "\n## Not measured\n");
        for (what, why) in &ctx.skipped {
            let _ = writeln!(s, "- {what}: {why}");
        }
    }
    s
}

fn client_section(s: &mut String, rows: &[Row]) {
    let client: Vec<&Row> = rows.iter().filter(|r| r.part == "client").collect();
    if client.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n## Hazelcast clients (10,000 String keys, String values)\n\n\
         | case | client | ops/s | spread | p50 µs | p99 µs | client CPU (cores) | CPU µs / op | member CPU µs / op | TCP segments / op | messages / write | errors |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for case in cases(&client) {
        for r in client.iter().filter(|r| r.case == case) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0}% | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.case,
                r.subject,
                rate(r.per_second),
                r.spread_pct,
                num(r.p50_us, 0),
                num(r.p99_us, 0),
                num(r.cpu_share, 2),
                num(r.cpu_us_per_op(), 1),
                num(r.member_cpu_us_per_op, 1),
                num(r.segments_per_op, 2),
                num(r.messages_per_write, 1),
                r.errors
            );
        }
    }
    let _ = writeln!(
        s,
        "\nTCP segments / op: the machine-wide `Tcp: OutSegs` delta of `/proc/net/snmp` over the \
         measured window divided by the operations: both directions (client → member and \
         member → client) and pure ACKs, plus anything else the machine sent meanwhile. Member \
         CPU: the member process's user + system CPU time over the window (`/proc/<pid>/stat`, \
         read by the driver) per operation; `–` for a cluster not started here. Messages / write: \
         requests our client packed into one socket write (its own counters); `–` for the \
         other clients, which expose none."
    );
    let find = |subject: &str, case: &str| {
        client
            .iter()
            .find(|r| r.subject == subject && r.case == case)
            .copied()
    };
    let pairs: Vec<(&Row, &Row)> = cases(&client)
        .into_iter()
        .filter_map(|c| Some((find("rust", c)?, find("java", c)?)))
        .collect();
    if pairs.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n### Ours / the official Java client (same member, same run)\n\n\
         Throughput above 1× and CPU per operation below 1× favour ours.\n\n\
         | case | throughput ours / Java | CPU per op ours / Java | member CPU per op ours / Java | p50 ours / Java | TCP segments per op ours / Java |\n\
         |---|---:|---:|---:|---:|---:|"
    );
    for (ours, java) in pairs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            ours.case,
            ratio(Some(ours.per_second), Some(java.per_second)),
            ratio(ours.cpu_us_per_op(), java.cpu_us_per_op()),
            ratio(ours.member_cpu_us_per_op, java.member_cpu_us_per_op),
            ratio(ours.p50_us, java.p50_us),
            ratio(ours.segments_per_op, java.segments_per_op),
        );
    }
}

/// Whether a stack skips writing an unchanged value: measured for stacks with a backend
/// counter (the "store unchanged basket" probe costs no more round trips than "show
/// basket"), known from the code for tower-sessions' memory store.
fn skips_unchanged(http: &[&Row], subject: &str) -> String {
    let rt = |case: &str| {
        http.iter()
            .find(|r| r.subject == subject && r.case == case)
            .and_then(|r| r.round_trips)
    };
    let has_store = !subject.starts_with("baseline") && !subject.ends_with("-memory");
    match (rt("show basket"), rt("store unchanged basket")) {
        (Some(show), Some(keep)) if has_store => {
            if keep - show < 0.5 {
                format!("yes (measured: {keep:.2} vs {show:.2} round trips)")
            } else {
                format!("no (measured: {keep:.2} vs {show:.2} round trips)")
            }
        }
        _ if subject == "tower-sessions-memory" => {
            "yes (tower-sessions-core 0.14 compares values; not measurable in-process)".into()
        }
        _ if subject.starts_with("baseline") => "– (no session)".into(),
        _ => "– (in-process: no counter)".into(),
    }
}

fn http_section(s: &mut String, ctx: &Context, rows: &[Row]) {
    let http: Vec<&Row> = rows.iter().filter(|r| r.part == "http").collect();
    if http.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n## HTTP: the shop's basket handlers ({} keep-alive connections on loopback)\n\n\
         Every \"add to basket\" adds a distinct item (the basket keeps the last 16), so every \
         add changes the session. Round trips: Redis commands (`INFO commandstats`) or our \
         client's invocations per request sent. CPU per request: user + system CPU time of \
         the app, of the backend (Hazelcast member or Redis server) and of the load \
         generator over the measured window (`/proc/<pid>/stat`, read by the load \
         generator), divided by the requests answered in it; on two shared cores, these \
         say where the time goes.\n\n\
         | handler | stack | req/s | spread | p50 µs | p99 µs | errors | backend round trips / request | app CPU µs / req | backend CPU µs / req | load generator CPU µs / req |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ctx.connections
    );
    for case in cases(&http) {
        for r in http.iter().filter(|r| r.case == case) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0}% | {} | {} | {} | {} | {} | {} | {} |",
                r.case,
                r.subject,
                rate(r.per_second),
                r.spread_pct,
                num(r.p50_us, 0),
                num(r.p99_us, 0),
                r.errors,
                num(r.round_trips, 2),
                num(r.app_cpu_us_per_op, 1),
                num(r.member_cpu_us_per_op, 1),
                num(r.cpu_us_per_op(), 1),
            );
        }
    }
    let _ = writeln!(
        s,
        "\n| stack | skips writing an unchanged session? |\n|---|---|"
    );
    for st in STACKS {
        if http.iter().any(|r| r.subject == st.subject) {
            let _ = writeln!(
                s,
                "| {} | {} |",
                st.subject,
                skips_unchanged(&http, st.subject)
            );
        }
    }
}

fn sweep_section(s: &mut String, rows: &[Row]) {
    let sweep: Vec<&Row> = rows.iter().filter(|r| r.part == "sweep").collect();
    if sweep.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n## Sweep of live sessions\n\n\
         N sessions pre-created in a fresh app, every request on one of them at random. \
         Cost per request: the app's and the member's CPU time over the window (as in the \
         HTTP table) per request answered.\n\n\
         | store | handler | live sessions | req/s | vs smallest | round trips / request | app CPU µs / req | member CPU µs / req | app RSS MiB | errors |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let handler = |r: &Row| r.case.split(',').next().unwrap_or_default().to_owned();
    let mut verdicts = Vec::new();
    let mut groups: Vec<(String, String)> = Vec::new();
    for r in &sweep {
        let g = (r.subject.clone(), handler(r));
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for (subject, h) in &groups {
        let mut points: Vec<&Row> = sweep
            .iter()
            .filter(|r| &r.subject == subject && &handler(r) == h)
            .copied()
            .collect();
        points.sort_by_key(|r| r.sessions);
        let first = points[0];
        for r in &points {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                subject,
                h,
                rate(r.sessions.unwrap_or(0) as f64),
                rate(r.per_second),
                ratio(Some(r.per_second), Some(first.per_second)),
                num(r.round_trips, 2),
                num(r.app_cpu_us_per_op, 1),
                num(r.member_cpu_us_per_op, 1),
                num(r.rss_mib, 0),
                r.errors
            );
        }
        verdicts.push(flatness(subject, h, &points));
    }
    let _ = writeln!(
        s,
        "\nFlat cost from 1k to 100k live sessions: CPU per request (app + member) at most \
         10% above the smallest size's and no more round trips (requests/s where CPU was \
         not measured; on two shared cores requests/s also moves with whatever else runs):\n"
    );
    for v in verdicts {
        let _ = writeln!(s, "- {v}");
    }
}

/// The no-session app of the same framework as `subject`.
fn baseline_of(subject: &str) -> &'static str {
    if subject.contains("actix") {
        "baseline-actix"
    } else {
        "baseline-axum"
    }
}

fn instructions_section(s: &mut String, counted: &[Counted]) {
    if counted.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n## Instructions per request (callgrind)\n\n\
         Each app alone under `valgrind --tool=callgrind --cache-sim=yes`: counters zeroed \
         after an unmeasured warm-up, the load generator's requests for a fixed time (4 \
         connections), counters dumped, divided by the requests sent. The app's user-space \
         work only (not the kernel, the backend or the load generator), whatever else the \
         machine runs: five runs of one stack and handler with the same windows agreed \
         within 1%. What the warm-up leaves cold (values not decoded yet, records not in a \
         local cache: at 100,000 sessions most requests of a short window reach a session \
         for the first time) is counted too. Misses are callgrind's simulation of this \
         machine's caches.\n\n\
         | handler | stack | instructions / request | × baseline | D1 misses / request | LL misses / request | round trips / request | requests |\n\
         |---|---|---:|---:|---:|---:|---:|---:|"
    );
    let per_connection: Vec<&Counted> = counted.iter().filter(|c| c.sessions.is_none()).collect();
    let mut handlers: Vec<&str> = Vec::new();
    for c in &per_connection {
        if !handlers.contains(&c.case.as_str()) {
            handlers.push(&c.case);
        }
    }
    for h in handlers {
        for c in per_connection.iter().filter(|c| c.case == h) {
            let base = per_connection
                .iter()
                .find(|b| b.case == h && b.subject == baseline_of(&c.subject))
                .map(|b| b.instructions_per_request());
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.0} | {:.1} | {} | {} |",
                h,
                c.subject,
                rate(c.instructions_per_request()),
                ratio(Some(c.instructions_per_request()), base),
                c.d1_per_request(),
                c.ll_per_request(),
                num(c.round_trips, 2),
                rate(c.requests as f64)
            );
        }
    }
    let swept: Vec<&Counted> = counted.iter().filter(|c| c.sessions.is_some()).collect();
    if swept.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nAt the sweep's sizes (sessions pre-created, every request on one of them at random):\n\n\
         | store | handler | live sessions | instructions / request | vs smallest | D1 misses / request | LL misses / request | round trips / request | requests |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for c in &swept {
        if !groups.contains(&(c.subject.as_str(), c.case.as_str())) {
            groups.push((&c.subject, &c.case));
        }
    }
    for (subject, h) in groups {
        let mut points: Vec<&Counted> = swept
            .iter()
            .filter(|c| c.subject == subject && c.case == h)
            .copied()
            .collect();
        points.sort_by_key(|c| c.sessions);
        let first = points[0].instructions_per_request();
        for c in points {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {:.0} | {:.1} | {} | {} |",
                subject,
                h,
                rate(c.sessions.unwrap_or(0) as f64),
                rate(c.instructions_per_request()),
                ratio(Some(c.instructions_per_request()), Some(first)),
                c.d1_per_request(),
                c.ll_per_request(),
                num(c.round_trips, 2),
                rate(c.requests as f64)
            );
        }
    }
}

/// CPU time per request of the app plus the backend, µs, when the app's was measured.
fn cost_per_request(r: &Row) -> Option<f64> {
    r.app_cpu_us_per_op
        .map(|app| app + r.member_cpu_us_per_op.unwrap_or(0.0))
}

/// The verdict for one (store, handler): CPU per request (requests/s where CPU was not
/// measured) and round trips at the largest size up to 100,000 against the smallest.
fn flatness(subject: &str, handler: &str, points: &[&Row]) -> String {
    let small = points[0];
    let Some(big) = points
        .iter()
        .rev()
        .find(|r| r.sessions.is_some_and(|n| n <= 100_000) && r.sessions > small.sessions)
    else {
        return format!("{subject}, {handler}: only one size measured");
    };
    let speed = big.per_second / small.per_second.max(f64::MIN_POSITIVE);
    let (rt_small, rt_big) = (
        small.round_trips.unwrap_or(0.0),
        big.round_trips.unwrap_or(0.0),
    );
    let trips_flat = rt_big <= rt_small * 1.1 + 0.05;
    let (flat, cost) = match (cost_per_request(small), cost_per_request(big)) {
        (Some(c_small), Some(c_big)) if c_small > 0.0 => (
            c_big <= c_small * 1.1 && trips_flat,
            format!(
                "CPU per request {c_small:.1} → {c_big:.1} µs ({:+.0}%), ",
                (c_big / c_small - 1.0) * 100.0
            ),
        ),
        _ => (speed >= 0.9 && trips_flat, String::new()),
    };
    format!(
        "{subject}, {handler}: {} → {} sessions: {cost}req/s {:+.0}%, round trips {:.2} → {:.2}: **{}**",
        rate(small.sessions.unwrap_or(0) as f64),
        rate(big.sessions.unwrap_or(0) as f64),
        (speed - 1.0) * 100.0,
        rt_small,
        rt_big,
        if flat { "flat" } else { "not flat" }
    )
}

/// Renders the raw records and the summary as JSON.
pub(crate) fn json(ctx: &Context, records: &[Record], rows: &[Row]) -> String {
    let v = serde_json::json!({
        "machine": ctx.machine,
        "date": ctx.date,
        "runs": ctx.runs,
        "quick": ctx.quick,
        "cluster": ctx.cluster,
        "connections": ctx.connections,
        "load_average": ctx.load_average,
        "measuring_seconds": ctx.measuring_seconds,
        "skipped": ctx.skipped,
        "instructions": ctx.counted,
        "records": records,
        "summary": rows,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(part: &str, subject: &str, case: &str) -> Row {
        Row {
            part: part.into(),
            subject: subject.into(),
            case: case.into(),
            runs: 3,
            per_second: 12_345.6,
            spread_pct: 4.2,
            p50_us: Some(81.0),
            p99_us: None,
            errors: 0,
            cpu_share: Some(0.25),
            round_trips: Some(2.0),
            segments_per_op: Some(0.5),
            member_cpu_us_per_op: Some(30.0),
            app_cpu_us_per_op: None,
            messages_per_write: None,
            sessions: None,
            rss_mib: None,
        }
    }

    fn ctx() -> Context {
        Context {
            machine: "test cpu × 2".into(),
            date: "today".into(),
            runs: 3,
            quick: false,
            cluster: "test member".into(),
            connections: 32,
            load_average: Some(1.5),
            measuring_seconds: 100.0,
            skipped: vec![("ours-actix-memory".into(), "no middleware yet".into())],
            counted: Vec::new(),
        }
    }

    #[test]
    fn rates_and_ratios() {
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(999.4), "999");
        assert_eq!(rate(1234.0), "1,234");
        assert_eq!(rate(1_234_567.0), "1,234,567");
        assert_eq!(ratio(Some(3.0), Some(2.0)), "1.50×");
        assert_eq!(ratio(Some(3.0), Some(0.0)), "–");
        assert_eq!(ratio(None, Some(2.0)), "–");
    }

    #[test]
    fn renders_tables_and_java_ratios() {
        let mut java = row("client", "java", "get 200B x1");
        java.per_second = 6_172.8;
        java.cpu_share = Some(0.5);
        java.p50_us = Some(162.0);
        let rows = vec![
            row("client", "rust", "get 200B x1"),
            java,
            row("http", "tower-sessions-redis", "show basket"),
        ];
        let md = markdown(&ctx(), &rows);
        // 0.25 cores at 12,345.6/s = 20.3 µs per operation.
        assert!(
            md.contains(
                "| get 200B x1 | rust | 12,346 | 4% | 81 | – | 0.25 | 20.3 | 30.0 | 0.50 | – | 0 |"
            ),
            "{md}"
        );
        // Twice the throughput at half the CPU share: a quarter of the CPU per operation.
        assert!(
            md.contains("| get 200B x1 | 2.00× | 0.25× | 1.00× | 0.50× | 1.00× |"),
            "{md}"
        );
        assert!(
            md.contains("| show basket | tower-sessions-redis | 12,346 | 4% | 81 | – | 0 | 2.00 |"),
            "{md}"
        );
        assert!(md.contains("- ours-actix-memory: no middleware yet"));
        assert!(md.contains("load average at the end: 1.50"));
        let js: serde_json::Value = serde_json::from_str(&json(&ctx(), &[], &rows)).expect("json");
        assert_eq!(js["summary"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn skipped_writes_are_measured_where_counted() {
        let mut show = row("http", "tower-sessions-redis", "show basket");
        show.round_trips = Some(1.0);
        let mut keep = row("http", "tower-sessions-redis", "store unchanged basket");
        keep.round_trips = Some(1.01);
        let mut ours_keep = row(
            "http",
            "ours-axum-hazelcast-cache-off",
            "store unchanged basket",
        );
        ours_keep.round_trips = Some(2.0);
        let mut ours_show = row("http", "ours-axum-hazelcast-cache-off", "show basket");
        ours_show.round_trips = Some(1.0);
        let rows = [&show, &keep, &ours_keep, &ours_show];
        assert!(skips_unchanged(&rows, "tower-sessions-redis").starts_with("yes (measured"));
        assert!(
            skips_unchanged(&rows, "ours-axum-hazelcast-cache-off").starts_with("no (measured")
        );
        assert!(skips_unchanged(&rows, "tower-sessions-memory").starts_with("yes (tower"));
        assert!(skips_unchanged(&rows, "ours-axum-memory").starts_with("–"));
    }

    #[test]
    fn instruction_counts_against_the_baseline_and_the_smallest_size() {
        let c = |subject: &str, case: &str, sessions: Option<u64>, instructions: u64| Counted {
            subject: subject.into(),
            case: case.into(),
            sessions,
            requests: 1_000,
            instructions,
            d1_misses: 250_000,
            ll_misses: 1_500,
            round_trips: subject.contains("redis").then_some(2.0),
        };
        let mut ctx = ctx();
        ctx.counted = vec![
            c("baseline-axum", "show basket", None, 14_000_000),
            c("ours-axum-memory", "show basket", None, 21_000_000),
            c("baseline-actix", "show basket", None, 10_000_000),
            c("ours-actix-memory", "show basket", None, 15_000_000),
            c("tower-sessions-redis", "add to basket", None, 70_000_000),
            c("ours-axum-memory", "show basket", Some(1_000), 22_000_000),
            c("ours-axum-memory", "show basket", Some(100_000), 24_200_000),
        ];
        let md = markdown(&ctx, &[]);
        assert!(
            md.contains("## Instructions per request (callgrind)"),
            "{md}"
        );
        // Each stack against its own framework's baseline.
        assert!(
            md.contains(
                "| show basket | ours-axum-memory | 21,000 | 1.50× | 250 | 1.5 | – | 1,000 |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| show basket | ours-actix-memory | 15,000 | 1.50× |"),
            "{md}"
        );
        // No baseline counted for that handler: no ratio.
        assert!(
            md.contains("| add to basket | tower-sessions-redis | 70,000 | – | 250 | 1.5 | 2.00 |"),
            "{md}"
        );
        assert!(
            md.contains("| ours-axum-memory | show basket | 100,000 | 24,200 | 1.10× |"),
            "{md}"
        );
        let js: serde_json::Value = serde_json::from_str(&json(&ctx, &[], &[])).expect("json");
        assert_eq!(js["instructions"].as_array().map(Vec::len), Some(7));
        // Nothing counted: no section.
        assert!(!markdown(&super::tests::ctx(), &[]).contains("callgrind"));
    }

    #[test]
    fn sweep_verdicts() {
        let point = |n: u64, per_second: f64, rt: f64| {
            let mut r = row(
                "sweep",
                "ours-axum-memory",
                &format!("show basket, {n} sessions"),
            );
            r.sessions = Some(n);
            r.per_second = per_second;
            r.round_trips = Some(rt);
            r
        };
        let (a, b, c) = (
            point(1000, 100.0, 1.0),
            point(100_000, 95.0, 1.0),
            point(1_000_000, 10.0, 3.0),
        );
        let flat = flatness("s", "show basket", &[&a, &b, &c]);
        assert!(
            flat.contains("**flat**") && flat.contains("1,000 → 100,000"),
            "{flat}"
        );
        let slow = point(100_000, 80.0, 1.0);
        assert!(flatness("s", "h", &[&a, &slow]).contains("not flat"));
        let more_trips = point(100_000, 100.0, 2.0);
        assert!(flatness("s", "h", &[&a, &more_trips]).contains("not flat"));
        assert!(flatness("s", "h", &[&a]).contains("only one size"));
        // With CPU measured, the cost decides: slower but not costlier is flat (another
        // process took the cores), costlier is not.
        let costed = |r: &Row, app: f64, member: Option<f64>| {
            let mut r = r.clone();
            r.app_cpu_us_per_op = Some(app);
            r.member_cpu_us_per_op = member;
            r
        };
        let (small, big) = (
            costed(&a, 20.0, Some(10.0)),
            costed(&slow, 21.0, Some(11.0)),
        );
        let v = flatness("s", "h", &[&small, &big]);
        assert!(
            v.contains("**flat**") && v.contains("30.0 → 32.0 µs"),
            "{v}"
        );
        let dearer = costed(&b, 30.0, Some(10.0));
        assert!(flatness("s", "h", &[&small, &dearer]).contains("not flat"));
        let memory = (costed(&a, 20.0, None), costed(&b, 23.0, None));
        assert!(flatness("s", "h", &[&memory.0, &memory.1]).contains("not flat"));
        let md = markdown(&ctx(), &[a, b]);
        assert!(
            md.contains("| ours-axum-memory | show basket | 100,000 | 95 | 0.95× | 1.00 |"),
            "{md}"
        );
    }
}
