//! Command-line options of `cargo xtask bench`.

use std::time::Duration;

/// How long and how often to measure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    /// Repetitions of every measurement.
    pub(crate) runs: usize,
    /// `--quick`: one run, short windows.
    pub(crate) quick: bool,
    /// Unmeasured warm-up before each window.
    pub(crate) warmup: Duration,
    /// Measured window of each client case.
    pub(crate) client_window: Duration,
    /// Measured window of each HTTP case.
    pub(crate) http_window: Duration,
    /// HTTP connections (fixed concurrency).
    pub(crate) connections: usize,
    /// Run only this part ([`PARTS`]); `None` means all.
    pub(crate) only: Option<String>,
    /// `--test-member`: the in-process imitation instead of a real member.
    pub(crate) test_member: bool,
    /// Heap of the real member (`-Xms`/`-Xmx`).
    pub(crate) member_heap: String,
    /// JVM warm-up of the Java driver before its first measurement (all cases in turn).
    pub(crate) jvm_warmup: Duration,
    /// Live sessions of the sweep, ascending.
    pub(crate) sweep: Vec<usize>,
    /// Measured window of each sweep point and handler.
    pub(crate) sweep_window: Duration,
}

/// The parts of a run, in order.
pub(crate) const PARTS: [&str; 4] = ["client", "http", "sweep", "instructions"];

/// The sweep's sizes in a full run.
pub(crate) const FULL_SWEEP: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];
/// The sweep's sizes with `--quick`.
pub(crate) const QUICK_SWEEP: [usize; 2] = [1_000, 10_000];
/// Largest sweep size accepted.
const MAX_SWEEP: usize = 10_000_000;

/// Parses `1000,10000,100k,1M`.
fn parse_sizes(list: &str) -> Result<Vec<usize>, String> {
    let mut sizes = Vec::new();
    for word in list.split(',').map(str::trim) {
        let (digits, factor) = if let Some(d) = word.strip_suffix(['k', 'K']) {
            (d, 1_000)
        } else if let Some(d) = word.strip_suffix('M') {
            (d, 1_000_000)
        } else {
            (word, 1)
        };
        let n = digits
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_mul(factor))
            .filter(|n| (1..=MAX_SWEEP).contains(n))
            .ok_or_else(|| format!("--sweep: not a session count in 1..={MAX_SWEEP}: {word}"))?;
        sizes.push(n);
    }
    sizes.sort_unstable();
    sizes.dedup();
    Ok(sizes)
}

impl Options {
    /// Parses the words after `bench`.
    pub(crate) fn parse(words: &[String]) -> Result<Self, String> {
        let quick = words.iter().any(|w| w == "--quick");
        let mut o = if quick {
            Options {
                runs: 1,
                quick,
                warmup: Duration::from_millis(300),
                client_window: Duration::from_millis(1500),
                http_window: Duration::from_millis(1500),
                connections: 32,
                only: None,
                test_member: false,
                member_heap: "1g".into(),
                jvm_warmup: Duration::from_secs(3),
                sweep: QUICK_SWEEP.to_vec(),
                sweep_window: Duration::from_millis(1500),
            }
        } else {
            Options {
                runs: 3,
                quick,
                warmup: Duration::from_secs(1),
                client_window: Duration::from_secs(5),
                http_window: Duration::from_secs(5),
                connections: 32,
                only: None,
                test_member: false,
                member_heap: "3g".into(),
                jvm_warmup: Duration::from_secs(15),
                sweep: FULL_SWEEP.to_vec(),
                sweep_window: Duration::from_secs(4),
            }
        };
        let mut it = words.iter();
        while let Some(w) = it.next() {
            match w.as_str() {
                "--quick" => {}
                "--runs" => {
                    o.runs = it
                        .next()
                        .and_then(|v| v.parse().ok())
                        .filter(|n| (1..=50).contains(n))
                        .ok_or("--runs needs a count in 1..=50")?;
                }
                "--connections" => {
                    o.connections = it
                        .next()
                        .and_then(|v| v.parse().ok())
                        .filter(|n| (1..=1024).contains(n))
                        .ok_or("--connections needs a count in 1..=1024")?;
                }
                "--only" => {
                    let part = it
                        .next()
                        .ok_or("--only needs client, http, sweep or instructions")?;
                    if !PARTS.contains(&part.as_str()) {
                        return Err(format!(
                            "--only: client, http, sweep or instructions, not {part}"
                        ));
                    }
                    o.only = Some(part.clone());
                }
                "--test-member" => o.test_member = true,
                "--member-heap" => {
                    let heap = it.next().ok_or("--member-heap needs a size such as 2g")?;
                    let ok = heap.len() > 1
                        && heap.ends_with(['m', 'g'])
                        && heap[..heap.len() - 1].bytes().all(|b| b.is_ascii_digit());
                    if !ok {
                        return Err(format!(
                            "--member-heap: a size such as 512m or 2g, not {heap}"
                        ));
                    }
                    o.member_heap = heap.clone();
                }
                "--sweep" => {
                    o.sweep = parse_sizes(it.next().ok_or("--sweep needs sizes: 1k,10k")?)?;
                }
                other => return Err(format!("unknown bench option {other}")),
            }
        }
        Ok(o)
    }

    /// Whether a part ([`PARTS`]) runs. `--quick` leaves out the instruction counts
    /// (several minutes under callgrind) unless `--only instructions` asks for them.
    pub(crate) fn wants(&self, part: &str) -> bool {
        match self.only.as_deref() {
            Some(only) => only == part,
            None => !(self.quick && part == "instructions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn defaults_and_quick() {
        let full = Options::parse(&[]).expect("defaults");
        assert_eq!(full.runs, 3);
        assert!(!full.quick);
        let quick = Options::parse(&words("--quick")).expect("quick");
        assert_eq!(quick.runs, 1);
        assert!(quick.client_window < full.client_window);
        let both = Options::parse(&words("--quick --runs 2")).expect("runs");
        assert_eq!(both.runs, 2);
        assert!(both.wants("client") && both.wants("http"));
        let only = Options::parse(&words("--only http")).expect("only");
        assert!(!only.wants("client") && only.wants("http") && !only.wants("sweep"));
        assert!(!only.wants("instructions"));
        // Instruction counts: in a full run, not in a quick one unless asked for.
        assert!(full.wants("instructions") && !quick.wants("instructions"));
        let counted = Options::parse(&words("--quick --only instructions")).expect("only");
        assert!(counted.wants("instructions") && !counted.wants("http"));
        assert!(!full.test_member);
        assert_eq!(full.sweep, FULL_SWEEP.to_vec());
        assert_eq!(quick.sweep, QUICK_SWEEP.to_vec());
        let o = Options::parse(&words(
            "--test-member --member-heap 2g --sweep 100k,1k,1M,1000",
        ))
        .expect("options");
        assert!(o.test_member);
        assert_eq!(o.member_heap, "2g");
        assert_eq!(o.sweep, vec![1_000, 100_000, 1_000_000]);
    }

    #[test]
    fn rejects_bad_options() {
        assert!(Options::parse(&words("--runs 0")).is_err());
        assert!(Options::parse(&words("--runs")).is_err());
        assert!(Options::parse(&words("--fast")).is_err());
        assert!(Options::parse(&words("--only db")).is_err());
        assert!(Options::parse(&words("--sweep 0")).is_err());
        assert!(Options::parse(&words("--sweep 20M")).is_err());
        assert!(Options::parse(&words("--sweep x")).is_err());
        assert!(Options::parse(&words("--member-heap lots")).is_err());
        assert!(Options::parse(&words("--member-heap g")).is_err());
    }
}
