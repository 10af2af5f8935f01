//! The member configuration file each launched member reads (`-Dhazelcast.config`).

use std::fmt::Write as _;
use std::time::Duration;

/// How fast members declare a silent member dead.
///
/// Hazelcast's defaults (a heartbeat every 5 s, a member silent for 60 s is removed) suit
/// clusters whose members pause for long garbage collections. A session cluster serves web
/// requests that wait on it, so the test members default to [`FailureDetection::SESSIONS`]:
/// a heartbeat every second and removal after 5 s of silence. The price is that a member
/// paused longer than that (a long GC, a VM migration) is removed and must rejoin, its
/// partitions migrating twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureDetection {
    /// `hazelcast.heartbeat.interval.seconds`.
    pub heartbeat_interval: Duration,
    /// `hazelcast.max.no.heartbeat.seconds`: silence after which a member is removed.
    pub max_no_heartbeat: Duration,
}

impl FailureDetection {
    /// Hazelcast's own defaults: heartbeat every 5 s, removal after 60 s.
    pub const HAZELCAST_DEFAULT: Self = Self {
        heartbeat_interval: Duration::from_secs(5),
        max_no_heartbeat: Duration::from_secs(60),
    };
    /// Tuned for session clusters: heartbeat every second, removal after 5 s.
    pub const SESSIONS: Self = Self {
        heartbeat_interval: Duration::from_secs(1),
        max_no_heartbeat: Duration::from_secs(5),
    };

    /// The member properties that set it.
    pub fn properties(&self) -> [(&'static str, String); 2] {
        [
            (
                "hazelcast.heartbeat.interval.seconds",
                self.heartbeat_interval.as_secs().max(1).to_string(),
            ),
            (
                "hazelcast.max.no.heartbeat.seconds",
                self.max_no_heartbeat.as_secs().max(1).to_string(),
            ),
        ]
    }
}

impl Default for FailureDetection {
    fn default() -> Self {
        Self::SESSIONS
    }
}

/// Everything one member's YAML says.
#[derive(Debug, Clone)]
pub(crate) struct MemberYaml<'a> {
    pub(crate) cluster_name: &'a str,
    pub(crate) port: u16,
    pub(crate) member_ports: &'a [u16],
    pub(crate) backup_count: u32,
    pub(crate) partition_count: u32,
    pub(crate) failure_detection: FailureDetection,
    pub(crate) properties: &'a [(String, String)],
    pub(crate) maps_yaml: &'a str,
}

/// Quotes a YAML scalar (double-quoted style).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl MemberYaml<'_> {
    /// The YAML text: 127.0.0.1 only, one fixed port, TCP-IP join to the other members,
    /// multicast, auto-detection and phone-home off.
    pub(crate) fn render(&self) -> String {
        let mut y = String::new();
        let _ = writeln!(y, "hazelcast:");
        let _ = writeln!(y, "  cluster-name: {}", quote(self.cluster_name));
        let _ = writeln!(y, "  properties:");
        let mut props: Vec<(String, String)> = vec![
            ("hazelcast.phone.home.enabled".into(), "false".into()),
            ("hazelcast.socket.bind.any".into(), "false".into()),
            ("hazelcast.health.monitoring.level".into(), "OFF".into()),
            (
                "hazelcast.partition.count".into(),
                self.partition_count.to_string(),
            ),
            ("hazelcast.wait.seconds.before.join".into(), "1".into()),
            ("hazelcast.shutdownhook.policy".into(), "GRACEFUL".into()),
            ("hazelcast.graceful.shutdown.max.wait".into(), "60".into()),
        ];
        for (k, v) in self.failure_detection.properties() {
            props.push((k.to_owned(), v));
        }
        for (k, v) in self.properties {
            props.retain(|(pk, _)| pk != k);
            props.push((k.clone(), v.clone()));
        }
        for (k, v) in &props {
            let _ = writeln!(y, "    {}: {}", quote(k), quote(v));
        }
        let _ = writeln!(y, "  network:");
        let _ = writeln!(y, "    port:");
        let _ = writeln!(y, "      auto-increment: false");
        let _ = writeln!(y, "      port: {}", self.port);
        let _ = writeln!(y, "    interfaces:");
        let _ = writeln!(y, "      enabled: true");
        let _ = writeln!(y, "      interfaces:");
        let _ = writeln!(y, "        - 127.0.0.1");
        let _ = writeln!(y, "    join:");
        let _ = writeln!(y, "      auto-detection:");
        let _ = writeln!(y, "        enabled: false");
        let _ = writeln!(y, "      multicast:");
        let _ = writeln!(y, "        enabled: false");
        let _ = writeln!(y, "      tcp-ip:");
        let _ = writeln!(y, "        enabled: true");
        let _ = writeln!(y, "        member-list:");
        for p in self.member_ports {
            let _ = writeln!(y, "          - 127.0.0.1:{p}");
        }
        let _ = writeln!(y, "  map:");
        let _ = writeln!(y, "    default:");
        let _ = writeln!(y, "      backup-count: {}", self.backup_count);
        for line in self.maps_yaml.lines().filter(|l| !l.trim().is_empty()) {
            let _ = writeln!(y, "    {line}");
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_join_ports_properties_and_maps() {
        let props = vec![("hazelcast.partition.count".to_owned(), "7".to_owned())];
        let y = MemberYaml {
            cluster_name: "dev \"x\"",
            port: 20001,
            member_ports: &[20001, 20002],
            backup_count: 2,
            partition_count: 271,
            failure_detection: FailureDetection::SESSIONS,
            properties: &props,
            maps_yaml: "sessions:\n  max-idle-seconds: 30\n",
        }
        .render();
        assert!(y.contains("cluster-name: \"dev \\\"x\\\"\""));
        assert!(y.contains("      port: 20001\n"));
        assert!(y.contains("          - 127.0.0.1:20002\n"));
        assert!(y.contains("      backup-count: 2\n"));
        assert!(y.contains("    sessions:\n      max-idle-seconds: 30\n"));
        assert!(y.contains("\"hazelcast.max.no.heartbeat.seconds\": \"5\""));
        // A caller's property replaces the default one.
        assert!(y.contains("\"hazelcast.partition.count\": \"7\""));
        assert!(!y.contains("\"hazelcast.partition.count\": \"271\""));
    }
}
