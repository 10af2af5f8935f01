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
    /// Run only these parts (`client`, `http`); empty means both.
    pub(crate) only: Option<String>,
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
                http_window: Duration::from_secs(2),
                connections: 32,
                only: None,
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
                    let part = it.next().ok_or("--only needs client or http")?;
                    if part != "client" && part != "http" {
                        return Err(format!("--only: client or http, not {part}"));
                    }
                    o.only = Some(part.clone());
                }
                other => return Err(format!("unknown bench option {other}")),
            }
        }
        Ok(o)
    }

    /// Whether a part (`client` or `http`) runs.
    pub(crate) fn wants(&self, part: &str) -> bool {
        self.only.as_deref().is_none_or(|p| p == part)
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
        assert!(!only.wants("client") && only.wants("http"));
    }

    #[test]
    fn rejects_bad_options() {
        assert!(Options::parse(&words("--runs 0")).is_err());
        assert!(Options::parse(&words("--runs")).is_err());
        assert!(Options::parse(&words("--fast")).is_err());
        assert!(Options::parse(&words("--only db")).is_err());
    }
}
