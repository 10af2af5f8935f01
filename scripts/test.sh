#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command and what CI runs.
# It installs what the tests need (the official Hazelcast Python client for the
# cross-checks) before running them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
export HZ_PYTHON="$PWD/target/hz-python/bin/python"
cargo test --workspace --locked
