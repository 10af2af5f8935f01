#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command and what CI runs.
# It installs what the tests need before running them: the official Hazelcast Python client
# (cross-checks) and the open-source Hazelcast member jar from Maven Central (real members;
# a JDK 17 and Maven are installed with apt-get when missing, see setup-hazelcast.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
export HZ_PYTHON="$PWD/target/hz-python/bin/python"
hz_lib="$(scripts/setup-hazelcast.sh)"
echo "test.sh: Hazelcast member jars in $hz_lib"
cargo test --workspace --locked
# The resilience scenarios against real Hazelcast members the xtask starts (about ten
# minutes on two cores); installs Debian's chromium and chromium-driver with apt-get when
# missing. docker/README.md explains the options (--test-member, HZ_MEMBERS, --docker).
cargo xtask integration
