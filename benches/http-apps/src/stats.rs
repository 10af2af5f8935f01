//! Latency samples and their summary (percentiles), shared by the HTTP and client drivers.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// At most this many latency samples are kept per measurement (32 MiB of `u64`); later
/// operations are still counted, only not sampled.
pub const MAX_SAMPLES: usize = 4_000_000;

/// Latencies of one measurement, in nanoseconds.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    samples: Vec<u64>,
}

impl Latencies {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one latency (ignored past [`MAX_SAMPLES`]).
    pub fn record(&mut self, d: Duration) {
        if self.samples.len() < MAX_SAMPLES {
            self.samples
                .push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        }
    }

    /// Adds another set's samples (bounded by [`MAX_SAMPLES`] as well).
    pub fn merge(&mut self, other: Latencies) {
        let room = MAX_SAMPLES.saturating_sub(self.samples.len());
        self.samples.extend(other.samples.into_iter().take(room));
    }

    /// Number of samples kept.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The `q` quantile (0.0..=1.0) in microseconds, by the nearest-rank method; `None`
    /// when empty.
    pub fn quantile_us(&mut self, q: f64) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        self.samples.sort_unstable();
        Some(nearest_rank(&self.samples, q) as f64 / 1000.0)
    }
}

/// Nearest-rank quantile of sorted, non-empty `sorted`.
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let q = q.clamp(0.0, 1.0);
    let n = sorted.len();
    // rank = ceil(q * n), at least 1.
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// What one measurement reports: the JSON line each driver prints.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Measurement {
    /// Operations (or requests) completed without error in the measured window.
    pub ok: u64,
    /// Operations that failed (errors, non-2xx answers, broken connections).
    pub errors: u64,
    /// Length of the measured window in seconds.
    pub seconds: f64,
    /// Completed operations per second.
    pub per_second: f64,
    /// Median latency in microseconds (`None` without samples).
    pub p50_us: Option<f64>,
    /// 99th percentile latency in microseconds (`None` without samples).
    pub p99_us: Option<f64>,
    /// CPU seconds the measuring process used in the window (user + system), if known.
    pub cpu_seconds: Option<f64>,
    /// TCP segments the whole machine sent in the window (`/proc/net/snmp` `OutSegs`
    /// delta, see [`crate::netstat`]), if measured.
    #[serde(default)]
    pub tcp_out_segments: Option<u64>,
    /// CPU seconds the Hazelcast member used in the window (user + system), if measured
    /// (see [`crate::cpu::member_cpu_seconds`]).
    #[serde(default)]
    pub member_cpu_seconds: Option<f64>,
    /// Requests our client packed into one socket write in the window (its `ClientStats`
    /// `messages_sent` / `write_calls` deltas); `None` for other drivers.
    #[serde(default)]
    pub messages_per_write: Option<f64>,
    /// CPU seconds the served HTTP app used in the window (user + system), if measured
    /// (the load generator's `--app-pid`).
    #[serde(default)]
    pub app_cpu_seconds: Option<f64>,
}

impl Measurement {
    /// Builds the summary of a window.
    pub fn from_window(
        ok: u64,
        errors: u64,
        window: Duration,
        mut latencies: Latencies,
        cpu_seconds: Option<f64>,
    ) -> Self {
        let seconds = window.as_secs_f64();
        Self {
            ok,
            errors,
            seconds,
            per_second: if seconds > 0.0 {
                ok as f64 / seconds
            } else {
                0.0
            },
            p50_us: latencies.quantile_us(0.50),
            p99_us: latencies.quantile_us(0.99),
            cpu_seconds,
            tcp_out_segments: None,
            member_cpu_seconds: None,
            messages_per_write: None,
            app_cpu_seconds: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let mut l = Latencies::new();
        for us in (1..=100).rev() {
            l.record(Duration::from_micros(us));
        }
        assert_eq!(l.quantile_us(0.5), Some(50.0));
        assert_eq!(l.quantile_us(0.99), Some(99.0));
        assert_eq!(l.quantile_us(1.0), Some(100.0));
        assert_eq!(l.quantile_us(0.0), Some(1.0));
        assert_eq!(Latencies::new().quantile_us(0.5), None);
    }

    #[test]
    fn single_sample_is_every_quantile() {
        let mut l = Latencies::new();
        l.record(Duration::from_nanos(1500));
        assert_eq!(l.quantile_us(0.5), Some(1.5));
        assert_eq!(l.quantile_us(0.99), Some(1.5));
    }

    #[test]
    fn measurement_rate() {
        let mut l = Latencies::new();
        l.record(Duration::from_micros(10));
        let m = Measurement::from_window(500, 2, Duration::from_secs(2), l, Some(0.5));
        assert_eq!(m.per_second, 250.0);
        assert_eq!(m.errors, 2);
        assert_eq!(m.p50_us, Some(10.0));
    }
}
