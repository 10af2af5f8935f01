//! Machine-wide TCP counters from `/proc/net/snmp` (Linux): the segments every socket on
//! the machine sent, loopback included. Over a measured window with one client and one
//! member on loopback, the delta counts both directions (requests and responses) and pure
//! ACKs, plus whatever else the machine sent meanwhile.

/// `Tcp: OutSegs` now, `None` off Linux or when the file cannot be parsed.
pub fn tcp_out_segments() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    parse_tcp_counter(&snmp, "OutSegs")
}

/// The `Tcp:` counter `name` in the text of `/proc/net/snmp` (a header line of names and
/// a line of values, both starting with `Tcp:`).
///
/// ```
/// use bench_http_apps::netstat::parse_tcp_counter;
///
/// let snmp = "Tcp: RtoMin OutSegs\nTcp: 200 4242\n";
/// assert_eq!(parse_tcp_counter(snmp, "OutSegs"), Some(4242));
/// assert_eq!(parse_tcp_counter("no counters", "OutSegs"), None);
/// ```
pub fn parse_tcp_counter(snmp: &str, name: &str) -> Option<u64> {
    let mut tcp = snmp.lines().filter_map(|l| l.strip_prefix("Tcp:"));
    let names = tcp.next()?;
    let values = tcp.next()?;
    let index = names.split_whitespace().position(|n| n == name)?;
    values.split_whitespace().nth(index)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_out_segments() {
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm RtoMin ActiveOpens OutSegs RetransSegs\nTcp: 1 200 12 98765 3\nUdp: InDatagrams\nUdp: 5\n";
        assert_eq!(parse_tcp_counter(snmp, "OutSegs"), Some(98765));
        assert_eq!(parse_tcp_counter(snmp, "RetransSegs"), Some(3));
        assert_eq!(parse_tcp_counter(snmp, "Nope"), None);
        assert_eq!(parse_tcp_counter("garbage", "OutSegs"), None);
    }

    #[test]
    fn reads_this_machine() {
        if std::path::Path::new("/proc/net/snmp").exists() {
            assert!(tcp_out_segments().is_some());
        }
    }
}
