//! CPU time of this process, from `/proc/self/stat` (Linux).

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on every Linux ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// User + system CPU seconds this process has used so far, `None` off Linux or when the
/// file cannot be parsed.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_stat_cpu_seconds(&stat)
}

/// The environment variable naming the process id of the Hazelcast member the drivers
/// measure against (set by `cargo xtask bench` when the member runs on this machine).
pub const MEMBER_PID_ENV: &str = "BENCH_MEMBER_PID";

/// User + system CPU seconds the member named by [`MEMBER_PID_ENV`] has used so far,
/// `None` when the variable is unset or the process cannot be read.
pub fn member_cpu_seconds() -> Option<f64> {
    let pid: u32 = std::env::var(MEMBER_PID_ENV).ok()?.trim().parse().ok()?;
    pid_cpu_seconds(pid)
}

/// User + system CPU seconds process `pid` has used so far, `None` off Linux or when the
/// process cannot be read (it has ended, or belongs to someone else).
///
/// ```
/// use bench_http_apps::cpu::pid_cpu_seconds;
///
/// assert!(pid_cpu_seconds(std::process::id()).is_some_and(|s| s >= 0.0));
/// ```
pub fn pid_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_cpu_seconds(&stat)
}

/// User + system CPU seconds from the text of a `/proc/<pid>/stat` file.
pub fn parse_stat_cpu_seconds(stat: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may contain spaces: fields after
    // the last ')' start at field 3 (state). utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime() {
        let line =
            "1234 (my (odd) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_stat_cpu_seconds(line), Some(3.0));
        assert_eq!(parse_stat_cpu_seconds("garbage"), None);
    }

    #[test]
    fn reads_own_stat() {
        assert!(process_cpu_seconds().is_some_and(|s| s >= 0.0));
    }
}
