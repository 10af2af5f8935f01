//! Delays: Java's invocation retry delay and the cluster-connect backoff with jitter.

use std::time::Duration;

use crate::config::ReconnectPolicy;

/// Delay before retry number `attempt` (1-based count of attempts made so far), as Java's
/// `ClientInvocation`: the first 5 retries are immediate, then `2^(attempt−5)` ms, at most
/// `retry_pause`.
pub fn invocation_retry_delay(attempt: u32, retry_pause: Duration) -> Duration {
    const IMMEDIATE: u32 = 5;
    if attempt < IMMEDIATE {
        return Duration::ZERO;
    }
    let exp = (attempt - IMMEDIATE).min(30);
    Duration::from_millis(1u64 << exp).min(retry_pause)
}

/// A uniformly distributed `f64` in `[0, 1)` from the OS.
pub fn random_unit() -> f64 {
    let bits = getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15);
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The cluster-connect backoff of Java's `WaitStrategy`.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: ReconnectPolicy,
    current: Duration,
}

impl Backoff {
    /// Starts at the policy's initial backoff.
    pub fn new(policy: ReconnectPolicy) -> Self {
        let current = policy.initial_backoff;
        Self { policy, current }
    }

    /// The next sleep, given a random number in `[0, 1)`; then grows the backoff.
    pub fn next_with(&mut self, random: f64) -> Duration {
        let b = self.current.as_secs_f64();
        let sleep = (b + b * self.policy.jitter * (2.0 * random - 1.0)).max(0.0);
        let next = (b * self.policy.multiplier).min(self.policy.max_backoff.as_secs_f64());
        self.current = Duration::from_secs_f64(next.max(0.0));
        Duration::from_secs_f64(sleep)
    }

    /// The next sleep with OS randomness.
    pub fn next_sleep(&mut self) -> Duration {
        self.next_with(random_unit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_delay_matches_java() {
        let pause = Duration::from_millis(1000);
        for a in 0..5 {
            assert_eq!(invocation_retry_delay(a, pause), Duration::ZERO);
        }
        assert_eq!(invocation_retry_delay(5, pause), Duration::from_millis(1));
        assert_eq!(invocation_retry_delay(8, pause), Duration::from_millis(8));
        assert_eq!(
            invocation_retry_delay(14, pause),
            Duration::from_millis(512)
        );
        assert_eq!(invocation_retry_delay(15, pause), pause);
        assert_eq!(invocation_retry_delay(u32::MAX, pause), pause);
    }

    #[test]
    fn backoff_grows_to_the_cap_and_jitter_stays_in_bounds() {
        let p = ReconnectPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(150),
            multiplier: 1.2,
            jitter: 0.5,
            cluster_connect_timeout: None,
        };
        let mut b = Backoff::new(p);
        assert_eq!(b.next_with(0.5), Duration::from_millis(100));
        let s = b.next_with(0.0); // base 120, −50 %
        assert!((s.as_secs_f64() - 0.060).abs() < 1e-9, "{s:?}");
        let s = b.next_with(0.999_999); // base 144, +~50 %
        assert!((s.as_secs_f64() - 0.216).abs() < 1e-3, "{s:?}");
        let s = b.next_with(0.5); // capped at 150
        assert!((s.as_secs_f64() - 0.150).abs() < 1e-9, "{s:?}");
        for _ in 0..100 {
            let s = b.next_sleep();
            assert!(s >= Duration::from_millis(75) && s <= Duration::from_millis(225));
        }
    }
}
