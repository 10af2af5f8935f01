//! The results as a markdown table, JSON and SVG bar charts.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

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
    /// Subjects not measured and why.
    pub(crate) skipped: Vec<(String, String)>,
}

fn num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        _ => "–".to_owned(),
    }
}

/// Thousands separators for a rate.
fn rate(x: f64) -> String {
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

/// Renders the markdown report.
pub(crate) fn markdown(ctx: &Context, rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# `cargo xtask bench` results\n");
    let _ = writeln!(
        s,
        "- Machine: {}\n- Date: {}\n- Runs per measurement: {}{} (median; spread = (max − min) / median of the throughput)\n- Cluster: {}",
        ctx.machine,
        ctx.date,
        ctx.runs,
        if ctx.quick {
            " (`--quick`: short windows)"
        } else {
            ""
        },
        ctx.cluster
    );
    let client: Vec<&Row> = rows.iter().filter(|r| r.part == "client").collect();
    if !client.is_empty() {
        let _ = writeln!(
            s,
            "\n## Hazelcast clients (10,000 String keys, String values)\n\n\
             | case | client | ops/s | spread | p50 µs | p99 µs | client CPU (cores) | errors |\n\
             |---|---|---:|---:|---:|---:|---:|---:|"
        );
        let mut cases: Vec<&str> = client.iter().map(|r| r.case.as_str()).collect();
        cases.dedup();
        let mut seen = Vec::new();
        for case in cases {
            if seen.contains(&case) {
                continue;
            }
            seen.push(case);
            for r in client.iter().filter(|r| r.case == case) {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.0}% | {} | {} | {} | {} |",
                    r.case,
                    r.subject,
                    rate(r.per_second),
                    r.spread_pct,
                    num(r.p50_us, 0),
                    num(r.p99_us, 0),
                    num(r.cpu_share, 2),
                    r.errors
                );
            }
        }
    }
    let http: Vec<&Row> = rows.iter().filter(|r| r.part == "http").collect();
    if !http.is_empty() {
        let _ = writeln!(
            s,
            "\n## HTTP: the shop's basket handlers ({} keep-alive connections on loopback)\n\n\
             | handler | stack | req/s | spread | p50 µs | p99 µs | errors | backend round trips / request |\n\
             |---|---|---:|---:|---:|---:|---:|---:|",
            ctx.connections
        );
        for case in ["add to basket", "show basket"] {
            for r in http.iter().filter(|r| r.case == case) {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.0}% | {} | {} | {} | {} |",
                    r.case,
                    r.subject,
                    rate(r.per_second),
                    r.spread_pct,
                    num(r.p50_us, 0),
                    num(r.p99_us, 0),
                    r.errors,
                    num(r.round_trips, 2)
                );
            }
        }
    }
    if !ctx.skipped.is_empty() {
        let _ = writeln!(s, "\n## Not measured\n");
        for (what, why) in &ctx.skipped {
            let _ = writeln!(s, "- {what}: {why}");
        }
    }
    s
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
        "skipped": ctx.skipped,
        "records": records,
        "summary": rows,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn color(subject: &str) -> RGBColor {
    if subject == "rust" || subject.starts_with("ours") {
        RGBColor(31, 119, 180)
    } else if subject.starts_with("baseline") {
        RGBColor(127, 127, 127)
    } else if subject == "python" || subject.starts_with("tower") {
        RGBColor(255, 127, 14)
    } else {
        RGBColor(44, 160, 44)
    }
}

/// Draws one horizontal bar per row (throughput), labelled with subject, case and value.
pub(crate) fn bar_chart(path: &Path, title: &str, rows: &[&Row], unit: &str) -> Result<(), String> {
    if rows.is_empty() {
        return Ok(());
    }
    let height = 70 + 24 * rows.len() as u32;
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    let e = |e: DrawingAreaErrorKind<_>| format!("plot {}: {e}", path.display());
    root.fill(&WHITE).map_err(e)?;
    let max = rows.iter().map(|r| r.per_second).fold(1.0, f64::max) * 1.6;
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(10)
        .build_cartesian_2d(0f64..max, 0f64..n)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc(unit)
        .x_label_formatter(&|x| rate(*x))
        .draw()
        .map_err(e)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(i, r)| {
            let y = n - i as f64 - 1.0;
            Rectangle::new(
                [(0.0, y + 0.15), (r.per_second, y + 0.85)],
                color(&r.subject).filled(),
            )
        }))
        .map_err(e)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(i, r)| {
            let y = n - i as f64 - 1.0;
            Text::new(
                format!("{} · {}: {}", r.subject, r.case, rate(r.per_second)),
                (r.per_second + max * 0.01, y + 0.75),
                ("sans-serif", 13),
            )
        }))
        .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
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
            skipped: vec![("ours-actix-memory".into(), "no middleware yet".into())],
        }
    }

    #[test]
    fn rates_have_separators() {
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(999.4), "999");
        assert_eq!(rate(1234.0), "1,234");
        assert_eq!(rate(1_234_567.0), "1,234,567");
    }

    #[test]
    fn renders_both_tables() {
        let rows = vec![
            row("client", "rust", "get 200B x1"),
            row("http", "tower-sessions-redis", "show basket"),
        ];
        let md = markdown(&ctx(), &rows);
        assert!(
            md.contains("| get 200B x1 | rust | 12,346 | 4% | 81 | – | 0.25 | 0 |"),
            "{md}"
        );
        assert!(
            md.contains("| show basket | tower-sessions-redis | 12,346 | 4% | 81 | – | 0 | 2.00 |"),
            "{md}"
        );
        assert!(md.contains("- ours-actix-memory: no middleware yet"));
        let js: serde_json::Value = serde_json::from_str(&json(&ctx(), &[], &rows)).expect("json");
        assert_eq!(js["summary"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn draws_svg() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("t.svg");
        let r = row("client", "rust", "get 200B x1");
        bar_chart(&path, "test", &[&r], "ops/s").expect("plot");
        let svg = std::fs::read_to_string(&path).expect("svg");
        assert!(svg.contains("<svg") && svg.contains("rust"), "{svg}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
