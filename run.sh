#!/usr/bin/env bash
# Install news-monitor into .venv and run the daemon on config/feeds.yaml (SQLite in state/).
# With the shipped example config it polls the bundled demo site, started here on 127.0.0.1:8765.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e .
if grep -q "127.0.0.1:8765" config/feeds.yaml && ! (exec 3<>/dev/tcp/127.0.0.1/8765) 2>/dev/null; then
  .venv/bin/python scripts/demo_server.py >/dev/null 2>&1 &
  trap 'kill $! 2>/dev/null || true' EXIT
  sleep 0.5
fi
.venv/bin/news-monitor check

.venv/bin/news-monitor run "$@"
