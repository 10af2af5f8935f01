#!/usr/bin/env bash
# Builds the Java client benchmark driver (java/bench, the official Hazelcast Java client)
# with Maven into target/java-bench/<version>/, against the Hazelcast version the members
# run (HZ_VERSION, default 5.6.0; scripts/setup-hazelcast.sh resolves it). Idempotent
# (rebuilds only when java/bench changed) and safe to call in parallel (one lock). Prints
# the driver's Java class path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${HZ_VERSION:-5.6.0}"
# Checks for java and mvn, resolves the Hazelcast jar (also into Maven's local repository).
lib="$(scripts/setup-hazelcast.sh)"
dir="target/java-bench/$version"
mkdir -p target/java-bench
exec 9>target/java-bench/setup.lock
flock 9
stamp="$(find java/bench -type f \( -name '*.java' -o -name pom.xml \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
jar="$dir/build/java-bench.jar"
if [ -f "$dir/ok" ] && [ "$(cat "$dir/ok")" = "$stamp" ] && [ -f "$jar" ]; then
  echo "$PWD/$jar:$lib/*"
  exit 0
fi
echo "setup-java-bench: building java/bench against Hazelcast $version into $dir" >&2
rm -rf "$dir"
mkdir -p "$dir"
if ! mvn -B -q -f java/bench/pom.xml -Dhazelcast.version="$version" \
    -Djava.bench.dir="$PWD/$dir" -DskipTests package >"$dir/maven.log" 2>&1; then
  echo "setup-java-bench: Maven could not build java/bench (log: $dir/maven.log):" >&2
  tail -n 30 "$dir/maven.log" >&2
  exit 4
fi
echo "$stamp" >"$dir/ok"
echo "$PWD/$jar:$lib/*"
