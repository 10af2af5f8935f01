//! Client statistics sent to the cluster (`Client.Statistics`), as the official clients do,
//! so that Management Center lists this client with its name, type and version.
//!
//! A report has two parts: a text of `key=value` attributes separated by commas (the
//! client's identity and a few gauges, the form Management Center 4.0 reads), and a binary
//! blob of metrics in Hazelcast's compressed metrics format: a version, a dictionary of
//! the words of the metric names, and the metrics, each part a zlib stream. This client
//! writes zlib "stored" (uncompressed) blocks: valid for every zlib reader, and a report
//! of a few dozen metrics gains nothing from compression.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use hazelcast_protocol::codec::client::ClientStatisticsRequest;

use crate::client::Inner;
use crate::connect::{CLIENT_TYPE, CLIENT_VERSION};
use crate::connection::Connection;
use crate::stats::ClientStats;

/// Version of the metrics blob format.
const BLOB_VERSION: u16 = 1;
/// Descriptor bits: the field is the same as in the previous metric (not written again).
const SAME_PREFIX: u8 = 1;
const SAME_METRIC: u8 = 1 << 1;
const SAME_DISCRIMINATOR: u8 = 1 << 2;
const SAME_DISCRIMINATOR_VALUE: u8 = 1 << 3;
const SAME_UNIT: u8 = 1 << 4;
const SAME_EXCLUDED_TARGETS: u8 = 1 << 5;
const SAME_TAG_COUNT: u8 = 1 << 6;
/// Unit of a count (Hazelcast's `ProbeUnit.COUNT`) and of milliseconds (`ProbeUnit.MS`).
const UNIT_COUNT: u8 = 4;
const UNIT_MS: u8 = 1;
/// Value type LONG.
const TYPE_LONG: u8 = 0;
/// Longest word of a metric name the format allows.
const MAX_WORD: usize = 255;

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Wraps `data` in a zlib stream of stored (uncompressed) deflate blocks (RFC 1950/1951).
pub(crate) fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    // CMF: deflate, 32 KiB window; FLG: no dictionary, fastest level, check bits so that
    // CMF*256 + FLG is a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = data.chunks(usize::from(u16::MAX)).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        out.push(u8::from(last));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before the 32-bit sums may overflow.
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// One metric: `prefix.metric` with a unit, as a LONG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Metric {
    prefix: &'static str,
    name: &'static str,
    unit: u8,
    value: i64,
}

/// Builds the binary metrics blob.
#[derive(Debug, Default)]
pub(crate) struct MetricsBlob {
    words: Vec<&'static str>,
    metrics: Vec<u8>,
    count: i32,
    last: Option<(&'static str, &'static str, u8)>,
}

impl MetricsBlob {
    fn word_id(&mut self, w: &'static str) -> i32 {
        let id = match self.words.iter().position(|x| *x == w) {
            Some(i) => i,
            None => {
                self.words.push(w);
                self.words.len() - 1
            }
        };
        i32::try_from(id).unwrap_or(i32::MAX)
    }

    /// Adds a metric; names longer than the format allows are skipped.
    pub(crate) fn add(&mut self, m: &Metric) {
        if m.prefix.len() > MAX_WORD || m.name.len() > MAX_WORD {
            return;
        }
        // Discriminators, excluded targets and tags are never used: the same as before.
        let mut mask = 0u8;
        if let Some((p, n, u)) = self.last {
            mask = SAME_DISCRIMINATOR | SAME_DISCRIMINATOR_VALUE;
            mask |= SAME_EXCLUDED_TARGETS | SAME_TAG_COUNT;
            if p == m.prefix {
                mask |= SAME_PREFIX;
            }
            if n == m.name {
                mask |= SAME_METRIC;
            }
            if u == m.unit {
                mask |= SAME_UNIT;
            }
        }
        self.metrics.push(mask);
        if mask & SAME_PREFIX == 0 {
            let id = self.word_id(m.prefix);
            self.metrics.extend_from_slice(&id.to_be_bytes());
        }
        if mask & SAME_METRIC == 0 {
            let id = self.word_id(m.name);
            self.metrics.extend_from_slice(&id.to_be_bytes());
        }
        if mask & SAME_DISCRIMINATOR == 0 {
            self.metrics.extend_from_slice(&(-1i32).to_be_bytes());
        }
        if mask & SAME_DISCRIMINATOR_VALUE == 0 {
            self.metrics.extend_from_slice(&(-1i32).to_be_bytes());
        }
        if mask & SAME_UNIT == 0 {
            self.metrics.push(m.unit);
        }
        if mask & SAME_EXCLUDED_TARGETS == 0 {
            self.metrics.push(0);
        }
        if mask & SAME_TAG_COUNT == 0 {
            self.metrics.push(0);
        }
        self.metrics.push(TYPE_LONG);
        self.metrics.extend_from_slice(&m.value.to_be_bytes());
        self.count += 1;
        self.last = Some((m.prefix, m.name, m.unit));
    }

    /// The blob: version, zlib dictionary, metric count, zlib metrics.
    pub(crate) fn finish(self) -> Vec<u8> {
        let mut sorted: Vec<(usize, &str)> = self.words.iter().copied().enumerate().collect();
        sorted.sort_by(|a, b| a.1.cmp(b.1));
        let mut dict = Vec::new();
        dict.extend_from_slice(&(sorted.len() as i32).to_be_bytes());
        let mut previous = "";
        for (id, word) in sorted {
            let common = previous
                .bytes()
                .zip(word.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let rest = word.get(common..).unwrap_or_default();
            dict.extend_from_slice(&(id as i32).to_be_bytes());
            dict.push(common as u8);
            dict.push(rest.chars().count() as u8);
            for c in rest.encode_utf16() {
                dict.extend_from_slice(&c.to_be_bytes());
            }
            previous = word;
        }
        let dict = zlib_stored(&dict);
        let metrics = zlib_stored(&self.metrics);
        let mut out = Vec::with_capacity(10 + dict.len() + metrics.len());
        out.extend_from_slice(&BLOB_VERSION.to_be_bytes());
        out.extend_from_slice(&(dict.len() as i32).to_be_bytes());
        out.extend_from_slice(&dict);
        out.extend_from_slice(&self.count.to_be_bytes());
        out.extend_from_slice(&metrics);
        out
    }
}

/// Escapes the separators of the attribute text in a value.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, ',' | '=' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The statistics request for this moment, reported over `conn`.
pub(crate) fn report(
    client_name: &str,
    conn: &Connection,
    stats: &ClientStats,
    uptime_ms: i64,
    now: SystemTime,
) -> ClientStatisticsRequest {
    let now_ms = epoch_millis(now);
    let processors = std::thread::available_parallelism().map_or(1, |n| n.get() as i64);
    let gauges: [(&'static str, &'static str, u8, i64); 6] = [
        ("runtime", "availableProcessors", UNIT_COUNT, processors),
        ("runtime", "uptime", UNIT_MS, uptime_ms),
        (
            "client.invocations",
            "total",
            UNIT_COUNT,
            clamp(stats.invocations),
        ),
        (
            "client.invocations",
            "retries",
            UNIT_COUNT,
            clamp(stats.retries),
        ),
        ("client", "reconnects", UNIT_COUNT, clamp(stats.reconnects)),
        ("client", "failovers", UNIT_COUNT, clamp(stats.failovers)),
    ];
    let mut attributes = format!(
        "lastStatisticsCollectionTime={now_ms},enterprise=false,clientType={CLIENT_TYPE},\
         clientVersion={CLIENT_VERSION},clusterConnectionTimestamp={},clientAddress={},\
         clientName={}",
        conn.connected_at_ms,
        escape(&conn.local_address),
        escape(client_name)
    );
    let mut blob = MetricsBlob::default();
    for (prefix, name, unit, value) in gauges {
        blob.add(&Metric {
            prefix,
            name,
            unit,
            value,
        });
        attributes.push_str(&format!(",{prefix}.{name}={value}"));
    }
    ClientStatisticsRequest {
        timestamp: now_ms,
        client_attributes: attributes,
        metrics_blob: blob.finish(),
    }
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Inner {
    /// Sends one statistics report over some connection; true when the member accepted it.
    pub(crate) async fn send_statistics(self: &Arc<Self>) -> bool {
        let Some(conn) = self.connections().into_iter().next() else {
            return false;
        };
        let stats = self.stats.snapshot(&self.wire);
        let uptime = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let req = report(
            &self.config.client_name,
            &conn,
            &stats,
            uptime,
            SystemTime::now(),
        );
        match self.invoke_on(&conn, req.encode(), None).await {
            Ok(_) => {
                self.stats.statistics_sent.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "the cluster did not take the client statistics");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inflates a zlib stream of stored blocks (the only kind written here), checking it.
    fn inflate_stored(z: &[u8]) -> Vec<u8> {
        assert_eq!(&z[..2], &[0x78, 0x01]);
        assert_eq!(
            (u16::from(z[0]) * 256 + u16::from(z[1])) % 31,
            0,
            "header check"
        );
        let mut pos = 2;
        let mut out = Vec::new();
        loop {
            let last = z[pos] & 1 == 1;
            assert_eq!(z[pos] & 0b110, 0, "stored block");
            let len = u16::from_le_bytes([z[pos + 1], z[pos + 2]]);
            let nlen = u16::from_le_bytes([z[pos + 3], z[pos + 4]]);
            assert_eq!(len, !nlen);
            pos += 5;
            out.extend_from_slice(&z[pos..pos + usize::from(len)]);
            pos += usize::from(len);
            if last {
                break;
            }
        }
        let sum = u32::from_be_bytes([z[pos], z[pos + 1], z[pos + 2], z[pos + 3]]);
        assert_eq!(sum, adler32(&out));
        assert_eq!(pos + 4, z.len());
        out
    }

    #[test]
    fn adler32_matches_the_rfc_example() {
        // RFC 1950's checksum of "Wikipedia" as commonly cited: 0x11E60398.
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn stored_zlib_round_trips_across_block_boundaries() {
        for len in [0usize, 1, 65_535, 65_536, 200_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            assert_eq!(inflate_stored(&zlib_stored(&data)), data, "length {len}");
        }
    }

    #[test]
    fn blob_holds_the_dictionary_and_the_metrics() {
        let mut b = MetricsBlob::default();
        let m = |prefix, name, value| Metric {
            prefix,
            name,
            unit: UNIT_COUNT,
            value,
        };
        b.add(&m("client", "reconnects", 3));
        b.add(&m("client", "failovers", -1));
        let blob = b.finish();
        assert_eq!(&blob[..2], &[0, 1], "version 1");
        let dlen = i32::from_be_bytes([blob[2], blob[3], blob[4], blob[5]]) as usize;
        let dict = inflate_stored(&blob[6..6 + dlen]);
        // 3 words, sorted: client(0), failovers(2), reconnects(1).
        assert_eq!(&dict[..4], &3i32.to_be_bytes());
        assert_eq!(&dict[4..8], &0i32.to_be_bytes());
        assert_eq!(dict[8], 0, "no common prefix with the empty word");
        assert_eq!(dict[9], 6, "six chars");
        let count_at = 6 + dlen;
        assert_eq!(&blob[count_at..count_at + 4], &2i32.to_be_bytes());
        let metrics = inflate_stored(&blob[count_at + 4..]);
        // First metric: full descriptor (mask 0), then LONG 3.
        assert_eq!(metrics[0], 0);
        assert_eq!(&metrics[1..5], &0i32.to_be_bytes(), "prefix word id");
        assert_eq!(&metrics[5..9], &1i32.to_be_bytes(), "metric word id");
        let first_len = 1 + 4 + 4 + 4 + 4 + 1 + 1 + 1 + 1 + 8;
        assert_eq!(&metrics[first_len - 8..first_len], &3i64.to_be_bytes());
        // Second: same prefix, unit, discriminators, targets, tags; new metric name.
        let mask = metrics[first_len];
        assert_eq!(mask & SAME_PREFIX, SAME_PREFIX);
        assert_eq!(mask & SAME_METRIC, 0);
        assert_eq!(metrics.len(), first_len + 1 + 4 + 1 + 8);
        assert_eq!(&metrics[metrics.len() - 8..], &(-1i64).to_be_bytes());
    }

    #[test]
    fn attribute_values_are_escaped() {
        assert_eq!(escape("a,b=c\\d"), "a\\,b\\=c\\\\d");
    }
}
