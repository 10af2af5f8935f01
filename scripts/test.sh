#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command and what CI runs.
# It installs what the tests need (the official Hazelcast Python client for the
# cross-checks) before running them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
export HZ_PYTHON="$PWD/target/hz-python/bin/python"
cargo test --workspace --locked
# The resilience scenarios of issue 8 against in-process test clusters (about a minute);
# installs Debian's chromium and chromium-driver with apt-get when missing. docker/README.md
# explains running them against a real cluster.
cargo xtask integration
