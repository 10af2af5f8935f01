"""Hazelcast client workload of `cargo xtask bench` for the official Python client.

Same cases, keys and values as bench-http-apps' client_load.rs (the Rust driver fills the
maps first). Prints one JSON line per case. Usage:
    python client_python.py ADDR[,ADDR] CLUSTER WARMUP_S DURATION_S
"""
import json
import os
import random
import sys
import threading
import time

import hazelcast

KEYS = 10_000
CASES = [(op, size, n) for n in (1, 64) for (op, size) in
         (("get", 200), ("get", 1024), ("set", 200), ("set", 1024), ("get+replaceIfSame", 200))]


def value(size, first):
    return first + "v" * (size - 1)


def phase(m, op, size, in_flight, length, record):
    keys = ["key-%d" % i for i in range(KEYS)]
    v = value(size, "a")
    until = time.perf_counter() + length
    lat, counts = [], {"ok": 0, "err": 0, "active": in_flight}
    lock = threading.Lock()
    done = threading.Event()
    rng = random.Random(42)

    def finish_one():
        with lock:
            counts["active"] -= 1
            if counts["active"] == 0:
                done.set()

    def complete(f, t0):
        try:
            f.result()
            ok = True
        except Exception:  # noqa: BLE001 - counted as an error
            ok = False
        if record:
            with lock:
                if ok:
                    counts["ok"] += 1
                    lat.append(time.perf_counter() - t0)
                else:
                    counts["err"] += 1
        issue()

    def issue():
        t0 = time.perf_counter()
        if t0 >= until:
            finish_one()
            return
        k = keys[rng.randrange(KEYS)]
        if op == "get":
            m.get(k).add_done_callback(lambda f: complete(f, t0))
        elif op == "set":
            m.set(k, v).add_done_callback(lambda f: complete(f, t0))
        else:
            def got(f):
                try:
                    old = f.result()
                except Exception:  # noqa: BLE001
                    complete(f, t0)
                    return
                if old is None:
                    m.set(k, v).add_done_callback(lambda g: complete(g, t0))
                else:
                    new = value(len(old), "b" if old.startswith("a") else "a")
                    m.replace_if_same(k, old, new).add_done_callback(lambda g: complete(g, t0))
            m.get(k).add_done_callback(got)

    for _ in range(in_flight):
        issue()
    done.wait(length + 60)
    return counts, lat


def tcp_out_segments():
    """Machine-wide TCP segments sent (Tcp: OutSegs of /proc/net/snmp), None if unknown."""
    try:
        with open("/proc/net/snmp") as f:
            tcp = [line.split() for line in f if line.startswith("Tcp:")]
        return int(tcp[1][tcp[0].index("OutSegs")])
    except (OSError, IndexError, ValueError):
        return None


def member_cpu_seconds():
    """CPU seconds of the member named by BENCH_MEMBER_PID (/proc/PID/stat), None if unknown."""
    pid = os.environ.get("BENCH_MEMBER_PID", "").strip()
    if not pid.isdigit():
        return None
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100.0
    except (OSError, IndexError, ValueError):
        return None


def quantile_us(sorted_s, q):
    if not sorted_s:
        return None
    rank = max(1, min(len(sorted_s), int(-(-q * len(sorted_s) // 1))))
    return sorted_s[rank - 1] * 1e6


def main():
    addrs, cluster, warmup, duration = sys.argv[1].split(","), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    client = hazelcast.HazelcastClient(cluster_name=cluster, cluster_members=addrs)
    try:
        for op, size, n in CASES:
            m = client.get_map("bench-%dB" % size)
            phase(m, op, size, n, warmup, False)
            seg0, member0 = tcp_out_segments(), member_cpu_seconds()
            cpu0, t0 = time.process_time(), time.perf_counter()
            counts, lat = phase(m, op, size, n, duration, True)
            window, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            seg1, member1 = tcp_out_segments(), member_cpu_seconds()
            lat.sort()
            print(json.dumps({
                "client": "python", "case": "%s %dB x%d" % (op, size, n),
                "ok": counts["ok"], "errors": counts["err"], "seconds": window,
                "per_second": counts["ok"] / window if window > 0 else 0.0,
                "p50_us": quantile_us(lat, 0.5), "p99_us": quantile_us(lat, 0.99),
                "cpu_seconds": cpu,
                "tcp_out_segments": seg1 - seg0 if seg0 is not None and seg1 is not None else None,
                "member_cpu_seconds": member1 - member0 if member0 is not None and member1 is not None else None,
            }), flush=True)
    finally:
        client.shutdown()


if __name__ == "__main__":
    main()
