#!/usr/bin/env bash
# The one command that starts a web process (HTTP + WebSocket, the ASGI app in config/asgi.py), served by
# uvicorn as config/server.py configures it (docs/auctions.md, "The server": why uvicorn).
# `make run` (scripts/run-local.sh), the Dockerfile and compose, the scale stack behind the load balancer
# (tests/scale/stack.py) and the test fixtures that need a real server all start it through this script.
#
#   scripts/web-server.sh [HOST] [PORT]      defaults: $HOST or 127.0.0.1, $PORT or 8000
#
# PYTHON picks the interpreter (default: .venv/bin/python when present, else python). WEB_SERVER_ARGS adds
# config/server.py flags. The server is never told to believe X-Forwarded-* headers itself: config/asgi.py
# does that, for peers listed in TRUSTED_PROXIES only (core/proxy.py).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-}
if [ -z "$python" ]; then
  if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=python; fi
fi
# every WebSocket is a file descriptor: up to the hard limit (a process holds thousands of watchers)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# shellcheck disable=SC2086  # WEB_SERVER_ARGS is a list of flags
exec "$python" -m config.server --host "${1:-${HOST:-127.0.0.1}}" --port "${2:-${PORT:-8000}}" ${WEB_SERVER_ARGS:-}
