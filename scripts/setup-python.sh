#!/usr/bin/env bash
# Installs the official Hazelcast Python client into target/hz-python, a private venv that
# the cross-check tests run. Idempotent and safe to call from tests running in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/hz-python
version=5.7.0
mkdir -p target
exec 9>target/hz-python.lock
flock 9
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import hazelcast, sys; sys.exit(0 if hazelcast.__version__ == '$version' else 1)" 2>/dev/null; then
  exit 0
fi
# Python 3 with venv (Debian ships venv apart, in python3-venv): installed with apt-get (as
# root, or with passwordless sudo) when missing.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt=(apt-get); else apt=(sudo -n apt-get); fi
    echo "setup: installing python3 and python3-venv with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq python3 python3-venv >&2 || true
  fi
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "setup: Python 3 with venv is not installed and could not be installed (the Python cross-checks need it):" >&2
    echo "  Debian/Ubuntu: apt-get install python3 python3-venv" >&2
    exit 3
  fi
fi
echo "setup: installing hazelcast-python-client $version into $venv" >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "hazelcast-python-client==$version"
