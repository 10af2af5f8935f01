//! The Hazelcast client workload: map get, set and get + replaceIfSame over 10,000 String
//! keys with 200-byte and 1 KiB String values, 1 or 64 operations in flight. The Python
//! and Node.js drivers of `cargo xtask bench` run the same cases under the same names.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hazelcast_client::{Client, ClientError, Map};
use serde::Serialize;

use crate::stats::{Latencies, Measurement};

/// Keys per map.
pub const KEYS: usize = 10_000;

/// An operation of the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `IMap.get`.
    Get,
    /// `IMap.set`.
    Set,
    /// `IMap.get` then `IMap.replaceIfSame` with a changed value (a session save).
    GetReplaceIfSame,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::Set => "set",
            Op::GetReplaceIfSame => "get+replaceIfSame",
        }
    }
}

/// One case: operation, value size and operations in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// The operation.
    pub op: Op,
    /// Value size in bytes.
    pub value_size: usize,
    /// Operations in flight.
    pub in_flight: usize,
}

impl Case {
    /// The case's name in the results, e.g. `get 1024B x64`.
    pub fn name(&self) -> String {
        format!(
            "{} {}B x{}",
            self.op.name(),
            self.value_size,
            self.in_flight
        )
    }
}

/// Every case, in the order they run.
pub fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for in_flight in [1, 64] {
        for (op, value_size) in [
            (Op::Get, 200),
            (Op::Get, 1024),
            (Op::Set, 200),
            (Op::Set, 1024),
            (Op::GetReplaceIfSame, 200),
        ] {
            cases.push(Case {
                op,
                value_size,
                in_flight,
            });
        }
    }
    cases
}

/// A value of `size` ASCII bytes starting with `first`.
pub fn value(size: usize, first: char) -> String {
    let mut v = String::with_capacity(size);
    v.push(first);
    v.extend(std::iter::repeat_n('v', size.saturating_sub(1)));
    v
}

/// The key with index `i`.
pub fn key(i: usize) -> String {
    format!("key-{i}")
}

/// Every key, built once, as the Java and Python drivers do (`KEY_NAMES`, `keys`):
/// formatting a key per operation would count the driver's work as the client's.
fn all_keys() -> Arc<[String]> {
    (0..KEYS).map(key).collect()
}

/// The map a value size uses.
pub fn map_name(value_size: usize) -> String {
    format!("bench-{value_size}B")
}

/// A tiny xorshift generator: key choice must not cost more than the operation.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_index(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// One result line of a client driver.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The client (`rust`, `python`, `node`).
    pub client: String,
    /// The case name ([`Case::name`]).
    pub case: String,
    /// The measurement.
    #[serde(flatten)]
    pub measurement: Measurement,
}

/// Fills the map of `value_size` with every key, 64 sets in flight.
///
/// # Errors
/// When the cluster fails a set.
pub async fn prefill(client: &Client, value_size: usize) -> Result<(), ClientError> {
    let map: Map<String, String> = client.map(map_name(value_size));
    let v = value(value_size, 'a');
    let mut next = 0;
    while next < KEYS {
        let batch: Vec<String> = (next..(next + 64).min(KEYS)).map(key).collect();
        next += batch.len();
        let calls = batch.iter().map(|k| map.set(k, &v));
        for r in futures::future::join_all(calls).await {
            r?;
        }
    }
    Ok(())
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    latencies: Latencies,
}

async fn one_op(
    map: &Map<String, String>,
    op: Op,
    k: &String,
    v: &String,
) -> Result<(), ClientError> {
    match op {
        Op::Get => map.get(k).await.map(drop),
        Op::Set => map.set(k, v).await,
        Op::GetReplaceIfSame => match map.get(k).await? {
            Some(old) => {
                let first = if old.starts_with('a') { 'b' } else { 'a' };
                let new = value(old.len(), first);
                map.replace_if_same(k, &old, &new).await.map(drop)
            }
            None => map.set(k, v).await,
        },
    }
}

async fn worker(
    map: Map<String, String>,
    keys: Arc<[String]>,
    case: Case,
    seed: u64,
    until: Instant,
    record: bool,
) -> Tally {
    let mut rng = Rng(seed | 1);
    let v = value(case.value_size, 'a');
    let mut tally = Tally::default();
    // Two clock reads per operation, as the Java driver: the end of one is the start of
    // the next.
    let mut start = Instant::now();
    while start < until {
        let Some(k) = keys.get(rng.next_index(keys.len())) else {
            break;
        };
        let r = one_op(&map, case.op, k, &v).await;
        let end = Instant::now();
        if record {
            match r {
                Ok(()) => {
                    tally.ok += 1;
                    tally.latencies.record(end.duration_since(start));
                }
                Err(_) => tally.errors += 1,
            }
        }
        start = end;
    }
    tally
}

async fn phase(client: &Client, case: Case, length: Duration, record: bool, seed: u64) -> Tally {
    let until = Instant::now() + length;
    let map: Map<String, String> = client.map(map_name(case.value_size));
    let keys = all_keys();
    let tasks: Vec<_> = (0..case.in_flight)
        .map(|i| {
            let map = map.clone();
            tokio::spawn(worker(
                map,
                Arc::clone(&keys),
                case,
                seed.wrapping_add(i as u64 * 7919),
                until,
                record,
            ))
        })
        .collect();
    let mut total = Tally::default();
    for t in tasks {
        match t.await {
            Ok(t) => {
                total.ok += t.ok;
                total.errors += t.errors;
                total.latencies.merge(t.latencies);
            }
            Err(_) => total.errors += 1,
        }
    }
    total
}

/// Runs one case: `warmup` unrecorded, then `duration` measured (with this process's
/// CPU time over the measured window).
pub async fn run_case(
    client: &Arc<Client>,
    case: Case,
    warmup: Duration,
    duration: Duration,
) -> Measurement {
    let _ = phase(client, case, warmup, false, 0x9e37_79b9).await;
    let wire0 = client.stats();
    let segments0 = crate::netstat::tcp_out_segments();
    let member0 = crate::cpu::member_cpu_seconds();
    let cpu0 = crate::cpu::process_cpu_seconds();
    let start = Instant::now();
    let t = phase(client, case, duration, true, 0x85eb_ca6b).await;
    let window = start.elapsed();
    let cpu = match (cpu0, crate::cpu::process_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let member = match (member0, crate::cpu::member_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let segments = match (segments0, crate::netstat::tcp_out_segments()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let mut m = Measurement::from_window(t.ok, t.errors, window, t.latencies, cpu);
    m.tcp_out_segments = segments;
    m.member_cpu_seconds = member;
    let wire = client.stats();
    let writes = wire.write_calls.saturating_sub(wire0.write_calls);
    let messages = wire.messages_sent.saturating_sub(wire0.messages_sent);
    m.messages_per_write = (writes > 0).then(|| messages as f64 / writes as f64);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_and_values() {
        let cases = all_cases();
        assert_eq!(cases.len(), 10);
        assert_eq!(cases[0].name(), "get 200B x1");
        assert_eq!(cases[9].name(), "get+replaceIfSame 200B x64");
        assert_eq!(value(1024, 'a').len(), 1024);
        assert!(value(200, 'b').starts_with('b'));
    }

    #[test]
    fn rng_stays_in_range() {
        let mut r = Rng(1);
        assert!((0..10_000).all(|_| r.next_index(KEYS) < KEYS));
    }
}
