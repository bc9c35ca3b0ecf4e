#!/usr/bin/env bash
# Runs the web server (scripts/web-server.sh), a Celery worker, a Celery worker for order creation (its own queue,
# config/celery.py) and Celery beat in the foreground; one Ctrl-C stops them all.
set -uo pipefail
export DJANGO_SETTINGS_MODULE=config.settings.local
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
BIN=.venv/bin
pids=()

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

alive() { for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }

stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null
    # The worker finishes its running task first; give everyone 15 s, then stop what is left (a process
    # interrupted while still starting up can miss the first signal).
    for _ in $(seq 1 60); do alive || break; sleep 0.25; done
    alive && kill -9 "${pids[@]}" 2>/dev/null
  fi
  wait 2>/dev/null
  exit "${1:-0}"
}

url_host=$HOST
[ "$url_host" = "0.0.0.0" ] && url_host=127.0.0.1
# Every link in emails and notifications starts with SITE_URL (core/site_urls.py): the address served here.
export SITE_URL=${SITE_URL:-http://$url_host:$PORT}

if port_open; then
  echo "run: something already listens on $HOST:$PORT (another 'make run'?). Stop it, or pick another port: PORT=8001 make run" >&2
  exit 1
fi
trap stop INT TERM EXIT

# Celery's start-up banners and its line per task (beat sends one every 2 s) would bury the emails and
# errors printed here: the worker and beat log warnings and errors only. Running as root (containers)
# makes Celery warn about it on every start; that warning is not about this project.
export PYTHONWARNINGS="ignore:You're running the worker with superuser privileges"
bash scripts/web-server.sh "$HOST" "$PORT" & pids+=($!)
LOG_LEVEL=WARNING $BIN/celery -A config -q worker -n main@%h -Q celery --loglevel=WARNING --concurrency=2 & pids+=($!)
# order creation (CELERY_ORDERS_QUEUE, "orders"): a won auction's order is made here, never ahead of a close
LOG_LEVEL=WARNING $BIN/celery -A config -q worker -n orders@%h -Q "${CELERY_ORDERS_QUEUE:-orders}" --loglevel=WARNING --concurrency=1 & pids+=($!)
LOG_LEVEL=WARNING $BIN/celery -A config -q beat --loglevel=WARNING --pidfile= --schedule=var/celerybeat-schedule & pids+=($!)

# Print the address only once the site answers (the server takes a few seconds to import the project).
for _ in $(seq 1 120); do
  port_open && break
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.5
done
if ! port_open; then
  echo "run: the web server did not start on $HOST:$PORT; its error is above." >&2
  stop 1
fi

cat <<MSG

  North Star Auto Auctions is running at http://$url_host:$PORT/
  Staff console: http://$url_host:$PORT/admin/     API docs: http://$url_host:$PORT/api/docs/

  Demo logins (password for all: demo-pass-123)
    buyer@demo.test    verified buyer, ready to bid
    buyer2@demo.test   verified buyer, ready to bid
    seller@demo.test   approved seller
    staff@demo.test    staff (admin console)

  Test card: 4111 1111 1111 1111, any future expiry, any CVV.
  Emails are printed here. Press Ctrl-C to stop everything.

MSG
# Ctrl-C reaches every process at once; they exit with 0 or a signal status. Anything else is a crash.
wait -n "${pids[@]}"
status=$?
if [ "$status" -ne 0 ] && [ "$status" -lt 128 ]; then
  echo "run: a process stopped with status $status (see above); stopping the others." >&2
  stop 1
fi
stop 0
