#!/usr/bin/env bash
# Runs daphne, a Celery worker and Celery beat in the foreground; one Ctrl-C stops all three.
set -uo pipefail
export DJANGO_SETTINGS_MODULE=config.settings.local
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
BIN=.venv/bin
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  exit 0
}
trap stop INT TERM EXIT

$BIN/daphne -b "$HOST" -p "$PORT" config.asgi:application & pids+=($!)
$BIN/celery -A config worker --loglevel=WARNING --concurrency=2 & pids+=($!)
$BIN/celery -A config beat --loglevel=WARNING --pidfile= --schedule=var/celerybeat-schedule & pids+=($!)

sleep 2
cat <<MSG

  North Star Auto Auctions is running at http://$HOST:$PORT/
  Staff console: http://$HOST:$PORT/admin/     API docs: http://$HOST:$PORT/api/docs/

  Demo logins (password for all: demo-pass-123)
    staff@demo.test    staff
    seller@demo.test   approved seller
    buyer@demo.test    verified buyer, ready to bid
    buyer2@demo.test   verified buyer, ready to bid

  Emails are printed here. Press Ctrl-C to stop everything.

MSG
wait -n "${pids[@]}"
stop
