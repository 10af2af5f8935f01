#!/usr/bin/env bash
# Builds the Java cross-check tool (java/crosscheck, the official Hazelcast Java client and
# config builders) with Maven into target/java-tools/<version>/, against the Hazelcast
# version the tests run (HZ_VERSION, default 5.6.0; scripts/setup-hazelcast.sh resolves it).
# Idempotent (rebuilds only when java/crosscheck changed) and safe to call from tests running
# in parallel (one lock). Prints the tool's Java class path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${HZ_VERSION:-5.6.0}"
# Checks for java and mvn, resolves the Hazelcast jar (also into Maven's local repository).
lib="$(scripts/setup-hazelcast.sh)"
dir="target/java-tools/$version"
mkdir -p target/java-tools
exec 9>target/java-tools/setup.lock
flock 9
stamp="$(find java/crosscheck -type f \( -name '*.java' -o -name pom.xml \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
jar="$dir/build/java-crosscheck.jar"
if [ -f "$dir/ok" ] && [ "$(cat "$dir/ok")" = "$stamp" ] && [ -f "$jar" ]; then
  echo "$PWD/$jar:$lib/*"
  exit 0
fi
echo "setup-java-tools: building java/crosscheck against Hazelcast $version into $dir" >&2
rm -rf "$dir"
mkdir -p "$dir"
if ! mvn -B -q -f java/crosscheck/pom.xml -Dhazelcast.version="$version" \
    -Djava.tools.dir="$PWD/$dir" -DskipTests package >"$dir/maven.log" 2>&1; then
  echo "setup-java-tools: Maven could not build java/crosscheck (log: $dir/maven.log):" >&2
  tail -n 30 "$dir/maven.log" >&2
  exit 4
fi
echo "$stamp" >"$dir/ok"
echo "$PWD/$jar:$lib/*"
