#!/usr/bin/env bash
# Makes sure MariaDB (127.0.0.1:3306) and Redis (127.0.0.1:6379) answer; starts them when they
# are installed but stopped; fails with a clear message when they are not installed.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # name port seconds
  for _ in $(seq 1 "$3"); do port_open "$2" && return 0; sleep 1; done
  return 1
}

if ! port_open 3306; then
  if [ -x /usr/sbin/mariadbd ] || command -v mysqld >/dev/null; then
    echo "services: starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    if command -v start-stop-daemon >/dev/null && [ -x /usr/sbin/mariadbd ]; then
      start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    else
      (service mariadb start || service mysql start) >/dev/null 2>&1
    fi
    wait_for mariadb 3306 30 || { echo "services: MariaDB did not start on 127.0.0.1:3306" >&2; exit 1; }
  else
    echo "services: MariaDB is not installed. Install it (sudo apt-get install mariadb-server) and make root on 127.0.0.1 usable without a password, or set DATABASE_URL." >&2
    exit 1
  fi
fi

if ! port_open 6379; then
  if command -v redis-server >/dev/null; then
    echo "services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    wait_for redis 6379 15 || { echo "services: Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
  else
    echo "services: Redis is not installed. Install it (sudo apt-get install redis-server) or set REDIS_URL." >&2
    exit 1
  fi
fi
# Django's date truncation in the site's time zone (admin date drill-down, TruncDate) needs the
# server's time zone tables; load them once when they are empty.
client=$(command -v mariadb || command -v mysql || true)
tzinfo=$(command -v mariadb-tzinfo-to-sql || command -v mysql_tzinfo_to_sql || true)
if [ -n "$client" ] && [ -n "$tzinfo" ] && [ -d /usr/share/zoneinfo ]; then
  zones=$("$client" -h127.0.0.1 -uroot -N -e "SELECT COUNT(*) FROM mysql.time_zone_name" 2>/dev/null || echo skip)
  if [ "$zones" = "0" ]; then
    echo "services: loading MariaDB time zone tables"
    "$tzinfo" /usr/share/zoneinfo 2>/dev/null | "$client" -h127.0.0.1 -uroot mysql
  fi
fi
# The inventory's covering indexes at 1M vehicles are ~0.5 GB; the server's default buffer pool (128 MB)
# makes every broad count a disk read (docs/INVENTORY_SEARCH.md). Raise it (never lower it) while running;
# production sets it in the server's configuration (docker-compose.yml: --innodb-buffer-pool-size).
pool=${MARIADB_BUFFER_POOL_BYTES:-2147483648}
if [ -n "$client" ]; then
  have=$("$client" -h127.0.0.1 -uroot -N -e "SELECT @@innodb_buffer_pool_size" 2>/dev/null || echo "$pool")
  if [ "$have" -lt "$pool" ] 2>/dev/null; then
    echo "services: MariaDB buffer pool $((have / 1048576)) MB -> $((pool / 1048576)) MB"
    "$client" -h127.0.0.1 -uroot -e "SET GLOBAL innodb_buffer_pool_size = $pool" 2>/dev/null || true
  fi
fi
echo "services: MariaDB and Redis are answering on 127.0.0.1"
