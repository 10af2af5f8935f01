package dev.hazelcastsessions.crosscheck;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.WanBatchPublisherConfig;
import com.hazelcast.config.WanReplicationConfig;
import com.hazelcast.config.WanReplicationRef;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.instance.BuildInfoProvider;
import com.hazelcast.internal.config.SchemaViolationConfigurationException;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.serialization.impl.HeapData;
import com.hazelcast.internal.serialization.impl.compact.CompactGenericRecord;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.FieldKind;
import com.hazelcast.nio.serialization.genericrecord.GenericRecord;
import com.hazelcast.nio.serialization.genericrecord.GenericRecordBuilder;
import com.hazelcast.query.Predicates;
import com.hazelcast.spi.impl.SerializationServiceSupport;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Java side of the cross-checks: the official Hazelcast Java client reads what the Rust
 * client wrote and writes what it must read; Hazelcast's own config builders validate member
 * configuration files.
 *
 * <pre>
 * Main version
 * Main validate-config FILE...
 * Main check-member FILE...
 * Main client CLUSTER_NAME HOST:PORT[,HOST:PORT...]   (commands on stdin, one per line)
 * </pre>
 *
 * <p>Client commands are tab-separated fields, one command a line; each prints one JSON line
 * on stdout. {@code \N} stands for a null string. An error ends the program with a message on
 * stderr and exit status 1.
 *
 * <ul>
 *   <li>{@code read-session MAP KEY}: the HSS 4.x {@code BackingMapSession} record as a
 *       {@code GenericRecord}, every field with its kind, and each attribute value decoded.
 *   <li>{@code get MAP KEY}: any value, decoded.
 *   <li>{@code put MAP KEY TYPE VALUE TTL_MS MAX_IDLE_MS}: {@code IMap.put} with a TTL and a
 *       max idle (a negative number leaves that argument out). Types: see {@link #value}.
 *   <li>{@code put-session MAP KEY ORIGINAL_ID ID PRINCIPAL C_S C_N L_S L_N M_S M_N TTL_S
 *       [NAME TYPE VALUE]...}: a session record in the HSS layout, built as a
 *       {@code GenericRecord}, stored with {@code set} (and a TTL in seconds when not negative,
 *       as HSS does).
 *   <li>{@code query-principal MAP NAME}: the keys of {@code equal("principalName", NAME)}.
 *   <li>{@code entry-view MAP KEY}: TTL, max idle and expiration time of an entry.
 * </ul>
 */
public final class Main {
    private static final String NULL = "\\N";

    private Main() {
    }

    public static void main(String[] args) {
        Logger.getLogger("").setLevel(Level.WARNING);
        Logger.getLogger("com.hazelcast").setLevel(Level.WARNING);
        System.setProperty("hazelcast.phone.home.enabled", "false");
        System.setProperty("hazelcast.logging.type", "jdk");
        if (args.length == 0) {
            fail("usage: version | validate-config FILE... | client CLUSTER ADDRESSES");
        }
        try {
            switch (args[0]) {
                case "version" -> System.out.println(
                        "{\"version\":" + Json.str(BuildInfoProvider.getBuildInfo().getVersion()) + "}");
                case "validate-config" -> System.exit(validate(Arrays.copyOfRange(args, 1, args.length)));
                case "check-member" -> System.exit(checkMembers(Arrays.copyOfRange(args, 1, args.length)));
                case "client" -> {
                    if (args.length != 3) {
                        fail("usage: client CLUSTER_NAME HOST:PORT[,HOST:PORT...]");
                    }
                    runClient(args[1], args[2]);
                }
                default -> fail("unknown command " + args[0]);
            }
        } catch (Exception e) {
            e.printStackTrace();
            fail(e.toString());
        }
        System.exit(0);
    }

    static void fail(String message) {
        System.err.println("java-crosscheck: " + message);
        System.exit(1);
    }

    // ---------------------------------------------------------------- validate-config

    /** Loads each file with Hazelcast's member config builder; prints what it parsed. */
    static int validate(String[] files) {
        if (files.length == 0) {
            System.err.println("java-crosscheck: validate-config needs at least one file");
            return 2;
        }
        // On by default in 5.x; set so that no environment can switch it off for this check.
        System.setProperty("hazelcast.config.schema.validation.enabled", "true");
        int failed = 0;
        for (String file : files) {
            try {
                // Config.loadFromFile picks the XML or the YAML builder by extension; both
                // check the document against Hazelcast's schema (XSD / JSON schema).
                Config config = Config.loadFromFile(new File(file));
                System.out.println(describe(file, config));
            } catch (Exception e) {
                failed++;
                StringBuilder why = new StringBuilder(e.getClass().getName()).append(": ").append(e.getMessage());
                if (e instanceof SchemaViolationConfigurationException v) {
                    // Where in the document: the message alone does not always name the key.
                    why.append(" at ").append(v.getInstanceLocation());
                    for (SchemaViolationConfigurationException sub : v.getErrors()) {
                        why.append("; ").append(sub.getMessage()).append(" at ").append(sub.getInstanceLocation());
                    }
                }
                System.err.println("java-crosscheck: " + file + ": " + why);
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /**
     * Starts one embedded member per file with that file's configuration — network replaced
     * by a free port on 127.0.0.1 and a cluster of its own — then, on every map configured by
     * exact name, puts a Compact record with a {@code principalName} and queries it back.
     * Prints per file whether the member started and what each map did (an error is
     * reported, not fatal: it is what the caller checks). Exit status 1 when a member could
     * not start.
     */
    static int checkMembers(String[] files) {
        int failed = 0;
        for (String file : files) {
            Json.Obj o = new Json.Obj();
            o.put("file", Json.str(file));
            HazelcastInstance member = null;
            try {
                Config config = Config.loadFromFile(new File(file));
                int port;
                try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    port = s.getLocalPort();
                }
                NetworkConfig net = config.getNetworkConfig();
                net.setPort(port).setPortCount(1).setPortAutoIncrement(false);
                net.getJoin().getMulticastConfig().setEnabled(false);
                net.getJoin().getAutoDetectionConfig().setEnabled(false);
                net.getJoin().getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1:" + port));
                net.getInterfaces().setEnabled(true).setInterfaces(List.of("127.0.0.1"));
                config.setClusterName(config.getClusterName() + "-check-" + port);
                config.setProperty("hazelcast.phone.home.enabled", "false");
                member = Hazelcast.newHazelcastInstance(config);
                o.put("started", "true");
                Json.Obj maps = new Json.Obj();
                for (String name : new TreeSet<>(config.getMapConfigs().keySet())) {
                    if (name.contains("*")) {
                        continue;
                    }
                    Json.Obj m = new Json.Obj();
                    try {
                        IMap<String, Object> map = member.getMap(name);
                        map.put("check-member", GenericRecordBuilder.compact("CheckMemberProbe")
                                .setString("principalName", "probe").build());
                        m.put("put", Json.str("ok"));
                        m.put("queryKeys", Json.strs(new TreeSet<>(
                                map.keySet(Predicates.equal("principalName", "probe")))));
                        MapConfig effective = member.getConfig().getMapConfig(name);
                        m.put("maxIdleSeconds", Integer.toString(effective.getMaxIdleSeconds()));
                        m.put("indexes", Integer.toString(effective.getIndexConfigs().size()));
                    } catch (Exception e) {
                        m.put("error", Json.str(e.getClass().getName() + ": " + e.getMessage()));
                    }
                    maps.put(name, m.toString());
                }
                o.put("maps", maps.toString());
            } catch (Exception e) {
                failed++;
                o.put("started", "false");
                o.put("error", Json.str(e.getClass().getName() + ": " + e.getMessage()));
            } finally {
                if (member != null) {
                    member.getLifecycleService().terminate();
                }
            }
            System.out.println(o);
            System.out.flush();
        }
        return failed == 0 ? 0 : 1;
    }

    static String describe(String file, Config config) {
        Json.Obj o = new Json.Obj();
        o.put("file", Json.str(file));
        o.put("clusterName", Json.str(config.getClusterName()));
        o.put("port", Integer.toString(config.getNetworkConfig().getPort()));
        o.put("portCount", Integer.toString(config.getNetworkConfig().getPortCount()));
        o.put("members", Json.strs(config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()));
        Json.Obj maps = new Json.Obj();
        for (Map.Entry<String, MapConfig> e : config.getMapConfigs().entrySet()) {
            MapConfig m = e.getValue();
            Json.Obj mo = new Json.Obj();
            mo.put("backupCount", Integer.toString(m.getBackupCount()));
            mo.put("asyncBackupCount", Integer.toString(m.getAsyncBackupCount()));
            mo.put("maxIdleSeconds", Integer.toString(m.getMaxIdleSeconds()));
            mo.put("timeToLiveSeconds", Integer.toString(m.getTimeToLiveSeconds()));
            mo.put("inMemoryFormat", Json.str(m.getInMemoryFormat().name()));
            mo.put("mergePolicy", Json.str(m.getMergePolicyConfig().getPolicy()));
            mo.put("mergeBatchSize", Integer.toString(m.getMergePolicyConfig().getBatchSize()));
            List<String> indexes = new ArrayList<>();
            for (IndexConfig i : m.getIndexConfigs()) {
                indexes.add(i.getType().name() + ":" + String.join(",", i.getAttributes()));
            }
            mo.put("indexes", Json.strs(indexes));
            WanReplicationRef wan = m.getWanReplicationRef();
            if (wan != null) {
                Json.Obj w = new Json.Obj();
                w.put("name", Json.str(wan.getName()));
                w.put("mergePolicy", Json.str(wan.getMergePolicyClassName()));
                w.put("republishing", Boolean.toString(wan.isRepublishingEnabled()));
                mo.put("wanReplicationRef", w.toString());
            }
            maps.put(e.getKey(), mo.toString());
        }
        o.put("maps", maps.toString());
        Json.Obj wans = new Json.Obj();
        for (Map.Entry<String, WanReplicationConfig> e : config.getWanReplicationConfigs().entrySet()) {
            Json.Obj publishers = new Json.Obj();
            for (WanBatchPublisherConfig p : e.getValue().getBatchPublisherConfigs()) {
                Json.Obj po = new Json.Obj();
                po.put("clusterName", Json.str(p.getClusterName()));
                po.put("targetEndpoints", Json.str(p.getTargetEndpoints()));
                po.put("acknowledgeType", Json.str(p.getAcknowledgeType().name()));
                po.put("queueCapacity", Integer.toString(p.getQueueCapacity()));
                po.put("batchSize", Integer.toString(p.getBatchSize()));
                publishers.put(p.getPublisherId() != null ? p.getPublisherId() : p.getClusterName(),
                        po.toString());
            }
            wans.put(e.getKey(), publishers.toString());
        }
        o.put("wanReplication", wans.toString());
        return o.toString();
    }

    // ---------------------------------------------------------------- client commands

    static void runClient(String clusterName, String addresses) throws Exception {
        ClientConfig cc = new ClientConfig();
        cc.setClusterName(clusterName);
        cc.getNetworkConfig().setAddresses(Arrays.asList(addresses.split(",")));
        cc.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(30_000);
        cc.setProperty("hazelcast.logging.type", "jdk");
        HazelcastInstance client = HazelcastClient.newHazelcastClient(cc);
        SerializationService ss = ((SerializationServiceSupport) client).getSerializationService();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int n = 0;
        try {
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                n++;
                String[] f = line.split("\t", -1);
                String out;
                try {
                    out = command(client, ss, f);
                } catch (Exception e) {
                    e.printStackTrace();
                    fail("command " + n + " (" + f[0] + ") failed: " + e);
                    return;
                }
                System.out.println(out);
                System.out.flush();
            }
        } finally {
            client.shutdown();
        }
    }

    static String nul(String s) {
        return NULL.equals(s) ? null : s;
    }

    static void arity(String[] f, int n) {
        if (f.length < n) {
            throw new IllegalArgumentException(f[0] + " needs " + (n - 1) + " arguments, got " + (f.length - 1));
        }
    }

    static String command(HazelcastInstance client, SerializationService ss, String[] f) {
        switch (f[0]) {
            case "read-session": {
                arity(f, 3);
                IMap<String, Object> map = client.getMap(f[1]);
                Object v = map.get(f[2]);
                Json.Obj o = new Json.Obj();
                o.put("found", Boolean.toString(v != null));
                if (v == null) {
                    return o.toString();
                }
                if (!(v instanceof GenericRecord r)) {
                    throw new IllegalStateException("value is a " + v.getClass().getName() + ", not a GenericRecord");
                }
                o.put("record", record(r));
                // Attribute values as HSS reads them: objectBytes are serialized Data.
                Json.Obj attrs = new Json.Obj();
                String[] names = r.getArrayOfString("attributeNames");
                GenericRecord[] values = r.getArrayOfGenericRecord("attributeValues");
                if (names.length != values.length) {
                    throw new IllegalStateException(names.length + " names but " + values.length + " values");
                }
                for (int i = 0; i < names.length; i++) {
                    byte[] bytes = values[i] == null ? null : values[i].getArrayOfInt8("objectBytes");
                    Object value = bytes == null || bytes.length == 0 ? null : ss.toObject(new HeapData(bytes));
                    attrs.put(names[i], value(value));
                }
                o.put("attributes", attrs.toString());
                return o.toString();
            }
            case "get": {
                arity(f, 3);
                IMap<String, Object> map = client.getMap(f[1]);
                return value(map.get(f[2]));
            }
            case "put": {
                arity(f, 7);
                IMap<String, Object> map = client.getMap(f[1]);
                Object v = parse(ss, f[3], f[4]);
                long ttl = Long.parseLong(f[5]);
                long maxIdle = Long.parseLong(f[6]);
                if (maxIdle >= 0) {
                    map.put(f[2], v, Math.max(ttl, 0), TimeUnit.MILLISECONDS, maxIdle, TimeUnit.MILLISECONDS);
                } else if (ttl >= 0) {
                    map.put(f[2], v, ttl, TimeUnit.MILLISECONDS);
                } else {
                    map.put(f[2], v);
                }
                return "{\"putAtMs\":" + System.currentTimeMillis() + "}";
            }
            case "put-session": {
                arity(f, 13);
                if ((f.length - 13) % 3 != 0) {
                    throw new IllegalArgumentException("attributes come as NAME TYPE VALUE triples");
                }
                IMap<String, Object> map = client.getMap(f[1]);
                int attrs = (f.length - 13) / 3;
                String[] names = new String[attrs];
                GenericRecord[] values = new GenericRecord[attrs];
                for (int i = 0; i < attrs; i++) {
                    names[i] = f[13 + 3 * i];
                    Object v = parse(ss, f[14 + 3 * i], f[15 + 3 * i]);
                    // Java null is stored as empty bytes.
                    byte[] bytes = v == null ? new byte[0] : ss.toData(v).toByteArray();
                    values[i] = GenericRecordBuilder.compact("AttributeValue").setArrayOfInt8("objectBytes", bytes)
                            .build();
                }
                GenericRecord session = GenericRecordBuilder.compact("BackingMapSession")
                        .setString("originalId", nul(f[3]))
                        .setString("id", nul(f[4]))
                        .setString("principalName", nul(f[5]))
                        .setNullableInt64("creationTime_seconds", longOrNull(f[6]))
                        .setNullableInt32("creationTime_nanos", intOrNull(f[7]))
                        .setNullableInt64("lastAccessedTime_seconds", longOrNull(f[8]))
                        .setNullableInt32("lastAccessedTime_nanos", intOrNull(f[9]))
                        .setNullableInt64("maxInactiveInterval_seconds", longOrNull(f[10]))
                        .setNullableInt32("maxInactiveInterval_nanos", intOrNull(f[11]))
                        .setArrayOfString("attributeNames", names)
                        .setArrayOfGenericRecord("attributeValues", values)
                        .build();
                long ttl = Long.parseLong(f[12]);
                if (ttl >= 0) {
                    map.set(f[2], session, ttl, TimeUnit.SECONDS);
                } else {
                    map.set(f[2], session);
                }
                return "{\"record\":" + record(session) + "}";
            }
            case "query-principal": {
                arity(f, 3);
                IMap<String, Object> map = client.getMap(f[1]);
                TreeSet<String> keys = new TreeSet<>(map.keySet(Predicates.equal("principalName", nul(f[2]))));
                return "{\"keys\":" + Json.strs(keys) + "}";
            }
            case "entry-view": {
                arity(f, 3);
                IMap<String, Object> map = client.getMap(f[1]);
                var view = map.getEntryView(f[2]);
                if (view == null) {
                    return "{\"found\":false}";
                }
                return "{\"found\":true,\"ttl\":" + view.getTtl() + ",\"maxIdle\":" + view.getMaxIdle()
                        + ",\"expirationTime\":" + view.getExpirationTime() + ",\"nowMs\":"
                        + System.currentTimeMillis() + "}";
            }
            default:
                throw new IllegalArgumentException("unknown client command " + f[0]);
        }
    }

    static Long longOrNull(String s) {
        return NULL.equals(s) ? null : Long.valueOf(s);
    }

    static Integer intOrNull(String s) {
        return NULL.equals(s) ? null : Integer.valueOf(s);
    }

    /**
     * A Java value from a type and a text: {@code string}, {@code long}, {@code int},
     * {@code bool}, {@code double}, {@code json} (a {@code HazelcastJsonValue}), {@code null},
     * {@code serializable} (a {@link Token}, written with Java serialization),
     * {@code raw} (hex bytes stored as they are, as a {@code HeapData}),
     * and {@code compact}: {@code TypeName;field:kind=value;...} built as a
     * {@code GenericRecord}, kinds {@code string}, {@code int64}, {@code int32},
     * {@code boolean}, {@code float64}, {@code array_of_int64} (values joined by commas).
     */
    static Object parse(SerializationService ss, String type, String text) {
        switch (type) {
            case "string":
                return nul(text);
            case "long":
                return Long.valueOf(text);
            case "int":
                return Integer.valueOf(text);
            case "bool":
                return Boolean.valueOf(text);
            case "double":
                return Double.valueOf(text);
            case "json":
                return new HazelcastJsonValue(text);
            case "null":
                return null;
            case "serializable":
                return new Token(text);
            case "raw": {
                // Hex bytes stored as they are (toData passes Data through unchanged).
                if (text.length() % 2 != 0) {
                    throw new IllegalArgumentException("raw needs an even number of hex digits");
                }
                byte[] bytes = new byte[text.length() / 2];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
                }
                return new HeapData(bytes);
            }
            case "compact": {
                String[] parts = text.split(";");
                GenericRecordBuilder b = GenericRecordBuilder.compact(parts[0]);
                for (int i = 1; i < parts.length; i++) {
                    int colon = parts[i].indexOf(':');
                    int eq = parts[i].indexOf('=');
                    if (colon < 0 || eq < colon) {
                        throw new IllegalArgumentException("compact field spec " + parts[i]);
                    }
                    String name = parts[i].substring(0, colon);
                    String kind = parts[i].substring(colon + 1, eq);
                    String v = parts[i].substring(eq + 1);
                    switch (kind) {
                        case "string" -> b.setString(name, nul(v));
                        case "int64" -> b.setInt64(name, Long.parseLong(v));
                        case "int32" -> b.setInt32(name, Integer.parseInt(v));
                        case "boolean" -> b.setBoolean(name, Boolean.parseBoolean(v));
                        case "float64" -> b.setFloat64(name, Double.parseDouble(v));
                        case "array_of_int64" -> b.setArrayOfInt64(name, v.isEmpty() ? new long[0]
                                : Arrays.stream(v.split(",")).mapToLong(Long::parseLong).toArray());
                        default -> throw new IllegalArgumentException("unknown compact kind " + kind);
                    }
                }
                return b.build();
            }
            default:
                throw new IllegalArgumentException("unknown value type " + type);
        }
    }

    // ---------------------------------------------------------------- JSON output

    /** A decoded value: {"class": Java class, "value": its JSON form}. */
    static String value(Object v) {
        Json.Obj o = new Json.Obj();
        if (v == null) {
            o.put("class", "null");
            o.put("value", "null");
            return o.toString();
        }
        if (v instanceof GenericRecord r) {
            o.put("class", Json.str("GenericRecord"));
            o.put("value", record(r));
            return o.toString();
        }
        o.put("class", Json.str(v.getClass().getName()));
        if (v instanceof String s) {
            o.put("value", Json.str(s));
        } else if (v instanceof HazelcastJsonValue j) {
            o.put("value", Json.str(j.getValue()));
        } else if (v instanceof Token t) {
            o.put("value", Json.str(t.toString()));
        } else if (v instanceof Number || v instanceof Boolean) {
            o.put("value", v.toString());
        } else {
            o.put("value", Json.str(v.toString()));
        }
        return o.toString();
    }

    /** A GenericRecord: type name, schema id and every field with its kind and value. */
    static String record(GenericRecord r) {
        Json.Obj o = new Json.Obj();
        if (r instanceof CompactGenericRecord c) {
            o.put("typeName", Json.str(c.getSchema().getTypeName()));
            o.put("schemaId", Json.str(Long.toString(c.getSchema().getSchemaId())));
        }
        Json.Obj fields = new Json.Obj();
        for (String name : new TreeSet<>(r.getFieldNames())) {
            FieldKind kind = r.getFieldKind(name);
            Json.Obj field = new Json.Obj();
            field.put("kind", Json.str(kind.name()));
            field.put("value", fieldValue(r, name, kind));
            fields.put(name, field.toString());
        }
        o.put("fields", fields.toString());
        return o.toString();
    }

    static String fieldValue(GenericRecord r, String name, FieldKind kind) {
        switch (kind) {
            case BOOLEAN:
                return Boolean.toString(r.getBoolean(name));
            case INT8:
                return Byte.toString(r.getInt8(name));
            case INT16:
                return Short.toString(r.getInt16(name));
            case INT32:
                return Integer.toString(r.getInt32(name));
            case INT64:
                return Long.toString(r.getInt64(name));
            case FLOAT32:
                return Json.num(r.getFloat32(name));
            case FLOAT64:
                return Json.num(r.getFloat64(name));
            case STRING:
                return Json.str(r.getString(name));
            case NULLABLE_BOOLEAN:
                return String.valueOf(r.getNullableBoolean(name));
            case NULLABLE_INT32:
                return String.valueOf(r.getNullableInt32(name));
            case NULLABLE_INT64:
                return String.valueOf(r.getNullableInt64(name));
            case NULLABLE_FLOAT64: {
                Double d = r.getNullableFloat64(name);
                return d == null ? "null" : Json.num(d);
            }
            case COMPACT: {
                GenericRecord g = r.getGenericRecord(name);
                return g == null ? "null" : record(g);
            }
            case ARRAY_OF_INT8: {
                byte[] a = r.getArrayOfInt8(name);
                if (a == null) {
                    return "null";
                }
                List<String> items = new ArrayList<>();
                for (byte b : a) {
                    items.add(Byte.toString(b));
                }
                return "[" + String.join(",", items) + "]";
            }
            case ARRAY_OF_INT64: {
                long[] a = r.getArrayOfInt64(name);
                if (a == null) {
                    return "null";
                }
                List<String> items = new ArrayList<>();
                for (long l : a) {
                    items.add(Long.toString(l));
                }
                return "[" + String.join(",", items) + "]";
            }
            case ARRAY_OF_STRING: {
                String[] a = r.getArrayOfString(name);
                return a == null ? "null" : Json.strs(Arrays.asList(a));
            }
            case ARRAY_OF_COMPACT: {
                GenericRecord[] a = r.getArrayOfGenericRecord(name);
                if (a == null) {
                    return "null";
                }
                List<String> items = new ArrayList<>();
                for (GenericRecord g : a) {
                    items.add(g == null ? "null" : record(g));
                }
                return "[" + String.join(",", items) + "]";
            }
            default:
                return Json.str("<" + kind + " not printed>");
        }
    }

    /** Just enough JSON writing for this tool (the Hazelcast jar is the only dependency). */
    static final class Json {
        private Json() {
        }

        static String str(String s) {
            if (s == null) {
                return "null";
            }
            StringBuilder b = new StringBuilder("\"");
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            return b.append('"').toString();
        }

        static String strs(Iterable<String> items) {
            List<String> out = new ArrayList<>();
            for (String s : items) {
                out.add(str(s));
            }
            return "[" + String.join(",", out) + "]";
        }

        static String num(double d) {
            return Double.isFinite(d) ? Double.toString(d) : str(Double.toString(d));
        }

        /** An object whose values are already JSON text, in insertion order. */
        static final class Obj {
            private final List<String> parts = new ArrayList<>();

            void put(String key, String json) {
                parts.add(str(key) + ":" + json);
            }

            @Override
            public String toString() {
                return "{" + String.join(",", parts) + "}";
            }
        }
    }
}
