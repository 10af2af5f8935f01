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
echo "setup: installing hazelcast-python-client $version into $venv" >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "hazelcast-python-client==$version"
