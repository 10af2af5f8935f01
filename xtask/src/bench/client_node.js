// Hazelcast client workload of `cargo xtask bench` for the official Node.js client.
// Same cases, keys and values as bench-http-apps' client_load.rs (the Rust driver fills
// the maps first). Prints one JSON line per case.
// Usage: node client_node.js ADDR[,ADDR] CLUSTER WARMUP_S DURATION_S
'use strict';
const fs = require('fs');
const { Client } = require('hazelcast-client');

// Machine-wide TCP segments sent (Tcp: OutSegs of /proc/net/snmp), null if unknown.
function tcpOutSegments() {
    try {
        const tcp = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n')
            .filter((l) => l.startsWith('Tcp:')).map((l) => l.trim().split(/\s+/));
        const v = Number(tcp[1][tcp[0].indexOf('OutSegs')]);
        return Number.isFinite(v) ? v : null;
    } catch (e) {
        return null;
    }
}

const KEYS = 10000;
const CASES = [];
for (const n of [1, 64]) {
    for (const [op, size] of [['get', 200], ['get', 1024], ['set', 200], ['set', 1024], ['get+replaceIfSame', 200]]) {
        CASES.push([op, size, n]);
    }
}

const value = (size, first) => first + 'v'.repeat(size - 1);

let seed = 42;
function nextIndex(n) {
    // xorshift32: key choice must not cost more than the operation.
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
}

// CPU seconds of the member named by BENCH_MEMBER_PID (/proc/PID/stat), null if unknown.
function memberCpuSeconds() {
    const pid = (process.env.BENCH_MEMBER_PID || '').trim();
    if (!/^[0-9]+$/.test(pid)) { return null; }
    try {
        const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
        return (Number(f[11]) + Number(f[12])) / 100;
    } catch (e) {
        return null;
    }
}

async function phase(map, op, size, inFlight, seconds, record) {
    const v = value(size, 'a');
    const until = performance.now() + seconds * 1000;
    const lat = [];
    let ok = 0;
    let err = 0;
    async function worker() {
        while (performance.now() < until) {
            const k = 'key-' + nextIndex(KEYS);
            const t0 = performance.now();
            try {
                if (op === 'get') {
                    await map.get(k);
                } else if (op === 'set') {
                    await map.set(k, v);
                } else {
                    const old = await map.get(k);
                    if (old === null || old === undefined) {
                        await map.set(k, v);
                    } else {
                        await map.replaceIfSame(k, old, value(old.length, old.startsWith('a') ? 'b' : 'a'));
                    }
                }
                if (record) { ok++; lat.push(performance.now() - t0); }
            } catch (e) {
                if (record) { err++; }
            }
        }
    }
    await Promise.all(Array.from({ length: inFlight }, worker));
    return { ok, err, lat };
}

function quantileUs(sorted, q) {
    if (sorted.length === 0) { return null; }
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
    return sorted[rank - 1] * 1000;
}

async function main() {
    const [addrs, cluster, warmup, duration] = process.argv.slice(2);
    const client = await Client.newHazelcastClient({
        clusterName: cluster,
        network: { clusterMembers: addrs.split(',') },
        properties: { 'hazelcast.logging.level': 'ERROR' },
    });
    try {
        for (const [op, size, n] of CASES) {
            const map = await client.getMap('bench-' + size + 'B');
            await phase(map, op, size, n, Number(warmup), false);
            const seg0 = tcpOutSegments();
            const member0 = memberCpuSeconds();
            const cpu0 = process.cpuUsage();
            const t0 = performance.now();
            const r = await phase(map, op, size, n, Number(duration), true);
            const seconds = (performance.now() - t0) / 1000;
            const cpu = process.cpuUsage(cpu0);
            const seg1 = tcpOutSegments();
            const member1 = memberCpuSeconds();
            r.lat.sort((a, b) => a - b);
            console.log(JSON.stringify({
                client: 'node', case: `${op} ${size}B x${n}`,
                ok: r.ok, errors: r.err, seconds,
                per_second: seconds > 0 ? r.ok / seconds : 0,
                p50_us: quantileUs(r.lat, 0.5), p99_us: quantileUs(r.lat, 0.99),
                cpu_seconds: (cpu.user + cpu.system) / 1e6,
                tcp_out_segments: seg0 !== null && seg1 !== null ? seg1 - seg0 : null,
                member_cpu_seconds: member0 !== null && member1 !== null ? member1 - member0 : null,
            }));
        }
    } finally {
        await client.shutdown();
    }
}

main().catch((e) => { console.error('node client bench failed:', e); process.exit(1); });
