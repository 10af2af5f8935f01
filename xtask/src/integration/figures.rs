//! Measured figures of a scenario: timing samples, percentiles, gaps, and named figures
//! with an optional limit each, so a scenario's thresholds are one table away.

use std::time::{Duration, Instant};

/// One timed HTTP request of a load loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub(crate) started: Instant,
    pub(crate) finished: Instant,
    /// The HTTP status, or `None` when no answer came (connection error, timeout).
    pub(crate) status: Option<u16>,
    /// The load loop that sent it.
    pub(crate) worker: usize,
}

impl Sample {
    /// A 2xx or 3xx answer (the shop answers an add with a redirect).
    pub(crate) fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..400).contains(&s))
    }

    /// How long the request took.
    pub(crate) fn took(&self) -> Duration {
        self.finished.saturating_duration_since(self.started)
    }
}

/// The `p`-th percentile (0–100, nearest rank) of `values`; zero for none.
pub(crate) fn percentile(values: &[Duration], p: u32) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let p = p.min(100) as usize;
    // Nearest rank: ceil(p/100 * n), at least 1.
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// The longest time within `[from, to]` without a completion that `counts` (from `from` to
/// the first one, between consecutive ones, and from the last one to `to`).
pub(crate) fn longest_gap(
    samples: &[Sample],
    from: Instant,
    to: Instant,
    counts: impl Fn(&Sample) -> bool,
) -> Duration {
    let mut done: Vec<Instant> = samples
        .iter()
        .filter(|s| counts(s) && s.finished >= from && s.finished <= to)
        .map(|s| s.finished)
        .collect();
    done.sort_unstable();
    let mut last = from;
    let mut gap = Duration::ZERO;
    for t in done {
        gap = gap.max(t - last);
        last = t;
    }
    gap.max(to.saturating_duration_since(last))
}

/// When the shop answered normally again: the end of the last request started at or after
/// `from` that failed or took longer than `normal`, measured from `from` (zero when every
/// request was normal).
pub(crate) fn back_to_normal(samples: &[Sample], from: Instant, normal: Duration) -> Duration {
    samples
        .iter()
        .filter(|s| s.started >= from && (!s.ok() || s.took() > normal))
        .map(|s| s.finished.saturating_duration_since(from))
        .max()
        .unwrap_or_default()
}

/// Answers by status (`none` for no answer), in status order.
pub(crate) fn status_counts(samples: &[Sample]) -> String {
    let mut counts: std::collections::BTreeMap<Option<u16>, usize> = Default::default();
    for s in samples {
        *counts.entry(s.status).or_default() += 1;
    }
    if counts.is_empty() {
        return "no requests".to_owned();
    }
    counts
        .iter()
        .map(|(status, n)| match status {
            Some(s) => format!("{s}×{n}"),
            None => format!("no answer×{n}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The unit of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A count.
    Count,
    /// Milliseconds.
    Millis,
}

/// One named figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Figure {
    /// Stable key (what a [`Limit`] names).
    pub(crate) key: &'static str,
    /// The value.
    pub(crate) value: u64,
    /// Its unit.
    pub(crate) unit: Unit,
}

/// An upper bound for a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    /// The figure's key.
    pub(crate) key: &'static str,
    /// The largest value that passes.
    pub(crate) max: u64,
}

/// A scenario's figures in the order they are printed, with free-text notes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Figures {
    items: Vec<Figure>,
    text: Vec<String>,
}

impl Figures {
    /// A count.
    pub(crate) fn count(&mut self, key: &'static str, value: usize) -> &mut Self {
        self.items.push(Figure {
            key,
            value: value as u64,
            unit: Unit::Count,
        });
        self.text.push(format!("{key} {value}"));
        self
    }

    /// A count out of a total, printed `key value/of`.
    pub(crate) fn ratio(&mut self, key: &'static str, value: usize, of: usize) -> &mut Self {
        self.items.push(Figure {
            key,
            value: value as u64,
            unit: Unit::Count,
        });
        self.text.push(format!("{key} {value}/{of}"));
        self
    }

    /// A duration in milliseconds.
    pub(crate) fn millis(&mut self, key: &'static str, value: Duration) -> &mut Self {
        let ms = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
        self.items.push(Figure {
            key,
            value: ms,
            unit: Unit::Millis,
        });
        self.text.push(format!("{key} {ms} ms"));
        self
    }

    /// Free text (not checked against limits).
    pub(crate) fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.text.push(text.into());
        self
    }

    /// The value of figure `key`.
    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<u64> {
        self.items.iter().find(|f| f.key == key).map(|f| f.value)
    }

    /// One line: the figures and notes joined by `"; "`.
    pub(crate) fn render(&self) -> String {
        self.text.join("; ")
    }

    /// Every limit the figures break, as text; a limit on a figure that was not measured is
    /// broken too (a renamed figure must not silently pass).
    pub(crate) fn violations(&self, limits: &[Limit]) -> Vec<String> {
        limits
            .iter()
            .filter_map(
                |limit| match self.items.iter().find(|f| f.key == limit.key) {
                    None => Some(format!("{} not measured", limit.key)),
                    Some(f) if f.value > limit.max => {
                        let unit = match f.unit {
                            Unit::Count => "",
                            Unit::Millis => " ms",
                        };
                        Some(format!(
                            "{} {}{unit} > limit {}{unit}",
                            f.key, f.value, limit.max
                        ))
                    }
                    Some(_) => None,
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<Duration> = [5, 1, 4, 2, 3].map(ms).to_vec();
        assert_eq!(percentile(&v, 50), ms(3));
        assert_eq!(percentile(&v, 0), ms(1));
        assert_eq!(percentile(&v, 100), ms(5));
        assert_eq!(percentile(&v, 99), ms(5));
        assert_eq!(percentile(&v, 20), ms(1));
        assert_eq!(percentile(&v, 21), ms(2));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
        let hundred: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&hundred, 50), ms(50));
        assert_eq!(percentile(&hundred, 99), ms(99));
    }

    fn at(t0: Instant, start: u64, end: u64, status: Option<u16>) -> Sample {
        Sample {
            started: t0 + ms(start),
            finished: t0 + ms(end),
            status,
            worker: 0,
        }
    }

    #[test]
    fn gaps_count_from_the_mark_to_the_end() {
        let t0 = Instant::now();
        let samples = [
            at(t0, 0, 10, Some(200)),
            at(t0, 10, 50, Some(500)),
            at(t0, 50, 300, Some(303)),
            at(t0, 300, 320, Some(200)),
        ];
        let all = |_: &Sample| true;
        assert_eq!(longest_gap(&samples, t0, t0 + ms(320), all), ms(250));
        assert_eq!(longest_gap(&samples, t0, t0 + ms(320), Sample::ok), ms(290));
        assert_eq!(
            longest_gap(&samples, t0 + ms(100), t0 + ms(320), Sample::ok),
            ms(200)
        );
        // Nothing answered after the last completion: the tail counts.
        assert_eq!(longest_gap(&samples, t0, t0 + ms(1000), all), ms(680));
        assert_eq!(longest_gap(&[], t0, t0 + ms(7), all), ms(7));
    }

    #[test]
    fn back_to_normal_is_the_end_of_the_last_bad_request() {
        let t0 = Instant::now();
        let samples = [
            at(t0, 0, 10, Some(200)),
            at(t0, 100, 5200, Some(303)),
            at(t0, 200, 400, None),
            at(t0, 5200, 5210, Some(303)),
        ];
        assert_eq!(back_to_normal(&samples, t0, ms(1000)), ms(5200));
        assert_eq!(back_to_normal(&samples, t0 + ms(150), ms(1000)), ms(250));
        assert_eq!(back_to_normal(&samples[..1], t0, ms(1000)), Duration::ZERO);
        assert_eq!(status_counts(&samples), "no answer×1 200×1 303×2");
        assert_eq!(status_counts(&[]), "no requests");
    }

    #[test]
    fn limits_name_figures() {
        let mut f = Figures::default();
        f.count("failed", 2)
            .millis("slowest", ms(5100))
            .note("cluster removed the member")
            .ratio("lost writes", 0, 1200);
        assert_eq!(
            f.render(),
            "failed 2; slowest 5100 ms; cluster removed the member; lost writes 0/1200"
        );
        assert_eq!(f.get("lost writes"), Some(0));
        assert_eq!(f.get("failed"), Some(2));
        assert!(
            f.violations(&[Limit {
                key: "failed",
                max: 2
            }])
            .is_empty()
        );
        assert_eq!(
            f.violations(&[
                Limit {
                    key: "slowest",
                    max: 1000
                },
                Limit {
                    key: "stall",
                    max: 1
                }
            ]),
            vec![
                "slowest 5100 ms > limit 1000 ms".to_owned(),
                "stall not measured".to_owned()
            ]
        );
    }
}
