package dev.hazelcastsessions.bench;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The official Hazelcast Java client as a driver of {@code cargo xtask bench}: the same cases,
 * keys, values and JSON lines as the Rust driver ({@code bench-tool client}), the Python and
 * the Node.js drivers. The Rust driver fills the maps first.
 *
 * <p>Usage: {@code ClientBench ADDR[,ADDR] CLUSTER WARMUP_S DURATION_S JVM_WARMUP_S}.
 *
 * <p>How it drives the client:
 * <ul>
 *   <li>get and set: {@code getAsync} / {@code setAsync}, N lanes (N = operations in flight),
 *   each issuing its next operation from the completion callback of the previous one. The
 *   callback runs on the thread that completes the future (the client's own response or I/O
 *   thread) through a direct executor. A plain {@code whenComplete} on Hazelcast's futures
 *   hands the callback to the default asynchronous executor, ForkJoinPool's common pool,
 *   which on two cores (parallelism 1) starts a new thread per callback. The client itself
 *   does the same with its own decoding step of every asynchronous map call
 *   ({@code ClientDelegatingFuture}), so the xtask runs this driver with
 *   {@code -Djava.util.concurrent.ForkJoinPool.common.parallelism=2}: with it, that step runs
 *   on the common pool (two threads) and no thread is started per call.</li>
 *   <li>get + replaceIfSame: {@code IMap} has no asynchronous {@code replace(key, old, new)},
 *   so N platform threads each call {@code get} then {@code replace} synchronously, as a
 *   servlet thread of Spring Session does.</li>
 *   <li>Before any measurement the JVM runs every case for {@code JVM_WARMUP_S} seconds in
 *   all (JIT compilation), then each case has its own unmeasured warm-up.</li>
 *   <li>CPU: user + system time of this whole process (every thread, GC and JIT included)
 *   from {@code /proc/self/stat}, as the Rust driver reads its own. TCP segments: the
 *   machine-wide {@code Tcp: OutSegs} delta of {@code /proc/net/snmp} over the window.</li>
 * </ul>
 */
public final class ClientBench {
    private static final int KEYS = 10_000;
    private static final int MAX_SAMPLES = 4_000_000;
    private static final Executor DIRECT = Runnable::run;
    private static final String[] KEY_NAMES = new String[KEYS];

    static {
        for (int i = 0; i < KEYS; i++) {
            KEY_NAMES[i] = "key-" + i;
        }
    }

    private ClientBench() {
    }

    /** One case: operation, value size, operations in flight. */
    record Case(String op, int size, int inFlight) {
        String name() {
            return op + " " + size + "B x" + inFlight;
        }
    }

    /** What one phase saw. */
    static final class Tally {
        final AtomicLong ok = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final long[] samples;
        final AtomicInteger sampleCount = new AtomicInteger();
        final boolean record;

        Tally(boolean record) {
            this.record = record;
            this.samples = record ? new long[MAX_SAMPLES] : new long[0];
        }

        void done(long startNanos, boolean success) {
            if (!record) {
                return;
            }
            if (success) {
                ok.incrementAndGet();
                int i = sampleCount.getAndIncrement();
                if (i < samples.length) {
                    samples[i] = System.nanoTime() - startNanos;
                }
            } else {
                errors.incrementAndGet();
            }
        }
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (int n : new int[] {1, 64}) {
            cases.add(new Case("get", 200, n));
            cases.add(new Case("get", 1024, n));
            cases.add(new Case("set", 200, n));
            cases.add(new Case("set", 1024, n));
            cases.add(new Case("get+replaceIfSame", 200, n));
        }
        return cases;
    }

    static String value(int size, char first) {
        char[] v = new char[size];
        Arrays.fill(v, 'v');
        v[0] = first;
        return new String(v);
    }

    static String randomKey() {
        return KEY_NAMES[ThreadLocalRandom.current().nextInt(KEYS)];
    }

    /** One asynchronous lane: the next operation starts in the previous one's callback. */
    static void issue(IMap<String, String> map, Case c, String v, long until, Tally t,
                      CountDownLatch lanes) {
        long start = System.nanoTime();
        if (start >= until) {
            lanes.countDown();
            return;
        }
        String k = randomKey();
        if (c.op().equals("get")) {
            map.getAsync(k).whenCompleteAsync((r, e) -> {
                t.done(start, e == null);
                issue(map, c, v, until, t, lanes);
            }, DIRECT);
        } else {
            map.setAsync(k, v).whenCompleteAsync((r, e) -> {
                t.done(start, e == null);
                issue(map, c, v, until, t, lanes);
            }, DIRECT);
        }
    }

    /** get then replaceIfSame (or set when the key is missing), synchronously. */
    static boolean getReplace(IMap<String, String> map, String k, String v) {
        String old = map.get(k);
        if (old == null) {
            map.set(k, v);
            return true;
        }
        String fresh = value(old.length(), old.charAt(0) == 'a' ? 'b' : 'a');
        map.replace(k, old, fresh);
        return true;
    }

    static Tally phase(IMap<String, String> map, Case c, double seconds, boolean record)
            throws InterruptedException {
        Tally t = new Tally(record);
        String v = value(c.size(), 'a');
        long until = System.nanoTime() + (long) (seconds * 1e9);
        CountDownLatch lanes = new CountDownLatch(c.inFlight());
        if (c.op().equals("get+replaceIfSame")) {
            for (int i = 0; i < c.inFlight(); i++) {
                Thread th = new Thread(() -> {
                    try {
                        while (true) {
                            long start = System.nanoTime();
                            if (start >= until) {
                                break;
                            }
                            boolean ok;
                            try {
                                ok = getReplace(map, randomKey(), v);
                            } catch (RuntimeException e) {
                                ok = false;
                            }
                            t.done(start, ok);
                        }
                    } finally {
                        lanes.countDown();
                    }
                }, "bench-lane-" + i);
                th.setDaemon(true);
                th.start();
            }
        } else {
            for (int i = 0; i < c.inFlight(); i++) {
                issue(map, c, v, until, t, lanes);
            }
        }
        if (!lanes.await((long) (seconds * 1000) + 60_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("lanes did not finish: " + c.name());
        }
        return t;
    }

    /** User + system CPU seconds of this process (fields 14 and 15 of /proc/self/stat). */
    static double cpuSeconds() {
        return cpuSecondsOf("self");
    }

    /** CPU seconds of the member named by BENCH_MEMBER_PID, NaN when unknown. */
    static double memberCpuSeconds() {
        String pid = System.getenv("BENCH_MEMBER_PID");
        return pid == null || !pid.trim().matches("[0-9]+") ? Double.NaN : cpuSecondsOf(pid.trim());
    }

    /** User + system CPU seconds of /proc/PROC/stat. */
    static double cpuSecondsOf(String proc) {
        try {
            String stat = Files.readString(Path.of("/proc/" + proc + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // f[0] is field 3 (state): utime is field 14, stime field 15.
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Machine-wide TCP segments sent (Tcp: OutSegs of /proc/net/snmp), -1 if unknown. */
    static long tcpOutSegments() {
        try {
            List<String> tcp = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/net/snmp"))) {
                if (line.startsWith("Tcp:")) {
                    tcp.add(line);
                }
            }
            List<String> names = Arrays.asList(tcp.get(0).trim().split("\\s+"));
            String[] values = tcp.get(1).trim().split("\\s+");
            return Long.parseLong(values[names.indexOf("OutSegs")]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static String quantileUs(long[] sorted, int n, double q) {
        if (n == 0) {
            return "null";
        }
        int rank = (int) Math.min(n, Math.max(1, Math.ceil(q * n)));
        return String.format(Locale.ROOT, "%.3f", sorted[rank - 1] / 1000.0);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: ClientBench ADDR[,ADDR] CLUSTER WARMUP_S DURATION_S JVM_WARMUP_S");
            System.exit(2);
        }
        double warmup = Double.parseDouble(args[2]);
        double duration = Double.parseDouble(args[3]);
        double jvmWarmup = Double.parseDouble(args[4]);
        ClientConfig config = new ClientConfig();
        config.setClusterName(args[1]);
        config.getNetworkConfig().setAddresses(Arrays.asList(args[0].split(",")));
        config.setProperty("hazelcast.logging.type", "none");
        HazelcastInstance client = HazelcastClient.newHazelcastClient(config);
        try {
            List<Case> cases = cases();
            for (Case c : cases) {
                IMap<String, String> map = client.getMap("bench-" + c.size() + "B");
                phase(map, c, jvmWarmup / cases.size(), false);
            }
            for (Case c : cases) {
                IMap<String, String> map = client.getMap("bench-" + c.size() + "B");
                phase(map, c, warmup, false);
                long segments0 = tcpOutSegments();
                double member0 = memberCpuSeconds();
                double cpu0 = cpuSeconds();
                long t0 = System.nanoTime();
                Tally t = phase(map, c, duration, true);
                double window = (System.nanoTime() - t0) / 1e9;
                double cpu = cpuSeconds() - cpu0;
                double member = memberCpuSeconds() - member0;
                long segments1 = tcpOutSegments();
                int n = Math.min(t.sampleCount.get(), t.samples.length);
                long[] sorted = Arrays.copyOf(t.samples, n);
                Arrays.sort(sorted);
                long ok = t.ok.get();
                String segments = segments0 >= 0 && segments1 >= segments0
                        ? Long.toString(segments1 - segments0) : "null";
                System.out.println(String.format(Locale.ROOT,
                        "{\"client\":\"java\",\"case\":\"%s\",\"ok\":%d,\"errors\":%d,\"seconds\":%.6f,"
                                + "\"per_second\":%.3f,\"p50_us\":%s,\"p99_us\":%s,\"cpu_seconds\":%s,"
                                + "\"tcp_out_segments\":%s,\"member_cpu_seconds\":%s}",
                        c.name(), ok, t.errors.get(), window, window > 0 ? ok / window : 0.0,
                        quantileUs(sorted, n, 0.5), quantileUs(sorted, n, 0.99),
                        Double.isNaN(cpu) ? "null" : String.format(Locale.ROOT, "%.4f", cpu),
                        segments,
                        Double.isNaN(member) ? "null" : String.format(Locale.ROOT, "%.4f", member)));
                System.out.flush();
            }
        } finally {
            client.shutdown();
        }
    }
}
