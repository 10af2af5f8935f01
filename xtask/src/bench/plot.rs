//! SVG charts of the results: bars of the medians, and the sweep's requests per second
//! against live sessions.

use std::path::Path;

use plotters::prelude::*;

use super::rate;
use super::summary::Row;

fn color(subject: &str) -> RGBColor {
    if subject == "rust" || subject.starts_with("ours") {
        RGBColor(31, 119, 180)
    } else if subject.starts_with("baseline") {
        RGBColor(127, 127, 127)
    } else if subject == "python" || subject.starts_with("tower") {
        RGBColor(255, 127, 14)
    } else if subject == "java" {
        RGBColor(214, 39, 40)
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

/// One line per (store, handler) of the sweep: requests per second against live
/// sessions (log scale).
pub(crate) fn sweep_chart(path: &Path, rows: &[&Row]) -> Result<(), String> {
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for r in rows {
        let (Some(n), Some(handler)) = (r.sessions, r.case.split(',').next()) else {
            continue;
        };
        let name = format!("{} · {handler}", r.subject);
        let point = ((n as f64).log10(), r.per_second);
        match series.iter_mut().find(|(s, _)| *s == name) {
            Some((_, points)) => points.push(point),
            None => series.push((name, vec![point])),
        }
    }
    if series.is_empty() {
        return Ok(());
    }
    let e = |e: DrawingAreaErrorKind<_>| format!("plot {}: {e}", path.display());
    let root = SVGBackend::new(path, (1000, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(e)?;
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let (x_lo, x_hi, y_hi) = points.fold((f64::MAX, f64::MIN, 1.0f64), |(lo, hi, y), p| {
        (lo.min(p.0), hi.max(p.0), y.max(p.1))
    });
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Sweep of live sessions: requests per second (median)",
            ("sans-serif", 18),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((x_lo - 0.2)..(x_hi + 0.2), 0f64..(y_hi * 1.25))
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("live sessions")
        .y_desc("requests/s")
        .x_label_formatter(&|x| rate(10f64.powf(*x)))
        .y_label_formatter(&|y| rate(*y))
        .draw()
        .map_err(e)?;
    for (i, (name, points)) in series.iter().enumerate() {
        let style = Palette99::pick(i).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))
            .map_err(e)?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 20, y)],
                    Palette99::pick(i).stroke_width(2),
                )
            });
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new(*p, 3, Palette99::pick(i).filled())),
            )
            .map_err(e)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(part: &str, subject: &str, case: &str, sessions: Option<u64>) -> Row {
        Row {
            part: part.into(),
            subject: subject.into(),
            case: case.into(),
            runs: 1,
            per_second: 12_345.6,
            spread_pct: 0.0,
            p50_us: Some(81.0),
            p99_us: None,
            errors: 0,
            cpu_share: None,
            round_trips: Some(1.0),
            segments_per_op: None,
            member_cpu_us_per_op: None,
            app_cpu_us_per_op: None,
            messages_per_write: None,
            sessions,
            rss_mib: Some(40.0),
        }
    }

    #[test]
    fn draws_bars_and_sweep() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("t.svg");
        let r = row("client", "rust", "get 200B x1", None);
        bar_chart(&path, "test", &[&r], "ops/s").expect("plot");
        let svg = std::fs::read_to_string(&path).expect("svg");
        assert!(svg.contains("<svg") && svg.contains("rust"), "{svg}");
        let a = row(
            "sweep",
            "ours-axum-memory",
            "show basket, 1,000 sessions",
            Some(1000),
        );
        let b = row(
            "sweep",
            "ours-axum-memory",
            "show basket, 10,000 sessions",
            Some(10_000),
        );
        let sweep = dir.join("s.svg");
        sweep_chart(&sweep, &[&a, &b]).expect("sweep plot");
        let svg = std::fs::read_to_string(&sweep).expect("svg");
        assert!(svg.contains("ours-axum-memory · show basket"), "{svg}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
