#!/usr/bin/env bash
# Resolves the open-source Hazelcast member (com.hazelcast:hazelcast, named by
# java/member/pom.xml) with Maven into target/hazelcast/<version>/lib, where the tests, the
# xtask and the benches start real members from. HZ_VERSION picks the version (default
# 5.6.0). Idempotent and safe to call from tests running in parallel (one lock).
# Prints the lib directory on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${HZ_VERSION:-5.6.0}"
case "$version" in
  5.*) ;;
  *) echo "setup-hazelcast: HZ_VERSION=$version: only 5.x members are supported" >&2; exit 2 ;;
esac
# A JDK and Maven: installed with apt-get (as root, or with passwordless sudo) when missing.
if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt=(apt-get); else apt=(sudo -n apt-get); fi
    echo "setup-hazelcast: installing openjdk-17-jdk-headless and maven with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq openjdk-17-jdk-headless maven >&2 || true
  fi
fi
for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup-hazelcast: '$tool' is not installed and could not be installed. Real Hazelcast members need a JDK (17 or newer) and Maven 3:" >&2
    echo "  Debian/Ubuntu: apt-get install openjdk-17-jdk-headless maven" >&2
    exit 3
  fi
done
dir="target/hazelcast/$version"
mkdir -p target/hazelcast
exec 9>target/hazelcast/setup.lock
flock 9
if [ -f "$dir/ok" ] && ls "$dir"/lib/hazelcast-"$version".jar >/dev/null 2>&1; then
  echo "$PWD/$dir/lib"
  exit 0
fi
echo "setup-hazelcast: resolving com.hazelcast:hazelcast:$version with Maven into $dir" >&2
rm -rf "$dir"
mkdir -p "$dir"
if ! mvn -B -q -f java/member/pom.xml -Dhazelcast.version="$version" \
    dependency:copy-dependencies -DoutputDirectory="$PWD/$dir/lib" -DincludeScope=runtime >"$dir/maven.log" 2>&1; then
  echo "setup-hazelcast: Maven could not resolve com.hazelcast:hazelcast:$version (log: $dir/maven.log):" >&2
  tail -n 20 "$dir/maven.log" >&2
  exit 4
fi
touch "$dir/ok"
echo "$PWD/$dir/lib"
