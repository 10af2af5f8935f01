//! Raw results of repeated runs and their median and spread.

use serde::Serialize;
use serde_json::Value;

/// One measurement of one run, as a driver reported it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Record {
    /// `client` or `http`.
    pub(crate) part: String,
    /// Who was measured: a client (`rust`, `python`, `node`) or an HTTP stack.
    pub(crate) subject: String,
    /// The case: `get 200B x64`, `add to basket`, ...
    pub(crate) case: String,
    /// Run number, from 1.
    pub(crate) run: usize,
    /// Operations or requests per second.
    pub(crate) per_second: f64,
    /// Median latency (µs).
    pub(crate) p50_us: Option<f64>,
    /// 99th percentile latency (µs).
    pub(crate) p99_us: Option<f64>,
    /// Failed operations or requests in the window.
    pub(crate) errors: u64,
    /// Client CPU share of one core over the window (client part).
    pub(crate) cpu_share: Option<f64>,
    /// Backend round trips per request (HTTP part and sweep).
    pub(crate) round_trips: Option<f64>,
    /// TCP segments the machine sent per operation in the window (client part).
    pub(crate) segments_per_op: Option<f64>,
    /// The member's CPU time per operation in the window, µs (client part); for the HTTP
    /// part and the sweep, the backend's (member or Redis server) per request.
    pub(crate) member_cpu_us_per_op: Option<f64>,
    /// The served app's CPU time per request in the window, µs (HTTP part and sweep).
    pub(crate) app_cpu_us_per_op: Option<f64>,
    /// Requests packed per socket write (our client only; client part).
    pub(crate) messages_per_write: Option<f64>,
    /// Live sessions (sweep).
    pub(crate) sessions: Option<u64>,
    /// Resident memory of the app after the window, MiB (sweep).
    pub(crate) rss_mib: Option<f64>,
}

impl Record {
    /// Reads the common fields of a driver's JSON line.
    pub(crate) fn from_json(
        part: &str,
        subject: &str,
        case: &str,
        run: usize,
        v: &Value,
    ) -> Option<Self> {
        let per_second = v.get("per_second")?.as_f64()?;
        let seconds = v.get("seconds").and_then(Value::as_f64).unwrap_or(0.0);
        let cpu = v.get("cpu_seconds").and_then(Value::as_f64);
        let ok = v.get("ok").and_then(Value::as_u64).unwrap_or(0);
        let segments = v.get("tcp_out_segments").and_then(Value::as_u64);
        let member_cpu = v.get("member_cpu_seconds").and_then(Value::as_f64);
        let app_cpu = v.get("app_cpu_seconds").and_then(Value::as_f64);
        Some(Self {
            part: part.to_owned(),
            subject: subject.to_owned(),
            case: case.to_owned(),
            run,
            per_second,
            p50_us: v.get("p50_us").and_then(Value::as_f64),
            p99_us: v.get("p99_us").and_then(Value::as_f64),
            errors: v.get("errors").and_then(Value::as_u64).unwrap_or(0),
            cpu_share: cpu.filter(|_| seconds > 0.0).map(|c| c / seconds),
            round_trips: None,
            segments_per_op: segments.filter(|_| ok > 0).map(|s| s as f64 / ok as f64),
            member_cpu_us_per_op: member_cpu.filter(|_| ok > 0).map(|c| c / ok as f64 * 1e6),
            app_cpu_us_per_op: app_cpu.filter(|_| ok > 0).map(|c| c / ok as f64 * 1e6),
            messages_per_write: v.get("messages_per_write").and_then(Value::as_f64),
            sessions: None,
            rss_mib: None,
        })
    }
}

/// Median and spread of one (part, subject, case) over the runs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Row {
    pub(crate) part: String,
    pub(crate) subject: String,
    pub(crate) case: String,
    pub(crate) runs: usize,
    pub(crate) per_second: f64,
    /// (max - min) / median of the throughput, in percent.
    pub(crate) spread_pct: f64,
    pub(crate) p50_us: Option<f64>,
    pub(crate) p99_us: Option<f64>,
    /// Sum over the runs.
    pub(crate) errors: u64,
    pub(crate) cpu_share: Option<f64>,
    pub(crate) round_trips: Option<f64>,
    pub(crate) segments_per_op: Option<f64>,
    pub(crate) member_cpu_us_per_op: Option<f64>,
    pub(crate) app_cpu_us_per_op: Option<f64>,
    pub(crate) messages_per_write: Option<f64>,
    pub(crate) sessions: Option<u64>,
    pub(crate) rss_mib: Option<f64>,
}

impl Row {
    /// CPU time per operation in microseconds (CPU share / throughput).
    pub(crate) fn cpu_us_per_op(&self) -> Option<f64> {
        self.cpu_share
            .filter(|_| self.per_second > 0.0)
            .map(|c| c / self.per_second * 1e6)
    }
}

/// Median of the values (mean of the middle two for an even count); `None` when empty.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn median_of(records: &[&Record], f: impl Fn(&Record) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = records.iter().filter_map(|r| f(r)).collect();
    median(&v)
}

/// Groups records by (part, subject, case) in first-seen order and summarises each.
pub(crate) fn summarise(records: &[Record]) -> Vec<Row> {
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for r in records {
        let k = (r.part.clone(), r.subject.clone(), r.case.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(part, subject, case)| {
            let group: Vec<&Record> = records
                .iter()
                .filter(|r| r.part == part && r.subject == subject && r.case == case)
                .collect();
            let rates: Vec<f64> = group.iter().map(|r| r.per_second).collect();
            let per_second = median(&rates).unwrap_or(0.0);
            let (lo, hi) = rates
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(*x), hi.max(*x))
                });
            let spread_pct = if per_second > 0.0 && group.len() > 1 {
                (hi - lo) / per_second * 100.0
            } else {
                0.0
            };
            Row {
                runs: group.len(),
                per_second,
                spread_pct,
                p50_us: median_of(&group, |r| r.p50_us),
                p99_us: median_of(&group, |r| r.p99_us),
                errors: group.iter().map(|r| r.errors).sum(),
                cpu_share: median_of(&group, |r| r.cpu_share),
                round_trips: median_of(&group, |r| r.round_trips),
                segments_per_op: median_of(&group, |r| r.segments_per_op),
                member_cpu_us_per_op: median_of(&group, |r| r.member_cpu_us_per_op),
                app_cpu_us_per_op: median_of(&group, |r| r.app_cpu_us_per_op),
                messages_per_write: median_of(&group, |r| r.messages_per_write),
                sessions: group.first().and_then(|r| r.sessions),
                rss_mib: median_of(&group, |r| r.rss_mib),
                part,
                subject,
                case,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(subject: &str, run: usize, rate: f64) -> Record {
        Record {
            part: "client".into(),
            subject: subject.into(),
            case: "get 200B x1".into(),
            run,
            per_second: rate,
            p50_us: Some(rate / 10.0),
            p99_us: None,
            errors: 1,
            cpu_share: Some(0.5),
            round_trips: None,
            segments_per_op: Some(0.25),
            member_cpu_us_per_op: None,
            app_cpu_us_per_op: None,
            messages_per_write: None,
            sessions: None,
            rss_mib: None,
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 1.0]), Some(1.0));
    }

    #[test]
    fn groups_runs_with_spread() {
        let records = vec![
            rec("rust", 1, 90.0),
            rec("node", 1, 10.0),
            rec("rust", 2, 110.0),
            rec("rust", 3, 100.0),
        ];
        let rows = summarise(&records);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].subject, "rust");
        assert_eq!(rows[0].runs, 3);
        assert_eq!(rows[0].per_second, 100.0);
        assert!((rows[0].spread_pct - 20.0).abs() < 1e-9);
        assert_eq!(rows[0].p50_us, Some(10.0));
        assert_eq!(rows[0].p99_us, None);
        assert_eq!(rows[0].errors, 3);
        assert_eq!(rows[1].spread_pct, 0.0);
        assert_eq!(rows[0].segments_per_op, Some(0.25));
        // 0.5 cores at 100 ops/s: 5 ms of CPU per operation.
        assert_eq!(rows[0].cpu_us_per_op(), Some(5000.0));
    }

    #[test]
    fn parses_driver_lines() {
        let v: Value = serde_json::from_str(
            r#"{"ok":10,"errors":0,"seconds":2.0,"per_second":5.0,"p50_us":12.5,"p99_us":null,"cpu_seconds":1.0,"tcp_out_segments":25,"member_cpu_seconds":0.001}"#,
        )
        .expect("json");
        let r = Record::from_json("client", "rust", "get 200B x1", 1, &v).expect("record");
        assert_eq!(r.cpu_share, Some(0.5));
        assert_eq!(r.p50_us, Some(12.5));
        assert_eq!(r.p99_us, None);
        assert_eq!(r.segments_per_op, Some(2.5));
        // 1 ms of member CPU over 10 operations.
        assert!(
            r.member_cpu_us_per_op
                .is_some_and(|us| (us - 100.0).abs() < 1e-9)
        );
        assert!(Record::from_json("client", "rust", "x", 1, &Value::Null).is_none());
    }
}
