#!/usr/bin/env bash
# The benchmarks' own environment: netsafe (editable, with its dev extra for scikit-image) plus the
# competitors it is measured against. python-threatexchange and faiss-cpu are installed here only, never as
# netsafe dependencies; hashdeep and wrk come from Debian.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-bench"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip 2>/dev/null || true
"$venv/bin/python" -m pip install -q -e "$here/..[dev]" "threatexchange>=1.2" faiss-cpu psutil limits
# hashdeep for scan_throughput.py, wrk (the load generator) for api_load.py.
for tool in hashdeep wrk; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y -qq "$tool"
  fi
done
echo "benchmark environment ready: $venv"
