#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for parley's tests on 127.0.0.1 and prints the URL
# the tests read, as its last line of stdout:
#
#   PARLEY_TEST_POSTGRES=postgres://parley:parley@127.0.0.1:55432/parley_test?sslmode=disable
#
# so that CI can do:  export "$(bash scripts/start-postgres.sh | tail -n 1)"
#
# It installs the Debian package when no PostgreSQL server is present (apt-get, as
# root), creates a cluster of its own in $PARLEY_PG_DIR (default /tmp/parley-postgres)
# owned by the postgres user, listens on loopback only at $PARLEY_PG_PORT (default
# 55432, away from a system cluster's 5432), and creates the role and database. It is
# idempotent: run again, it reuses a running cluster. `--stop` stops it.
#
# The cluster is tuned for tests, not for keeping data: fsync and synchronous_commit
# are off, so a crash of the machine may lose it. Never point it at real data.
set -euo pipefail

dir="${PARLEY_PG_DIR:-/tmp/parley-postgres}"
port="${PARLEY_PG_PORT:-55432}"
user=parley
password=parley
db=parley_test

log() { echo "start-postgres: $*" >&2; }

# find_bin prints the bin directory of the newest PostgreSQL server installed.
find_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
    echo "$d"
  fi
}

bin=$(find_bin)
if [ -z "$bin" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "no PostgreSQL server found and not root: install the postgresql package first"
    exit 1
  fi
  log "installing PostgreSQL (Debian package postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # The package's own cluster is not used; policy-rc.d keeps it from starting.
  apt-get install -y -qq --no-install-recommends postgresql >&2
  bin=$(find_bin)
  if [ -z "$bin" ]; then
    log "the postgresql package did not install a server under /usr/lib/postgresql"
    exit 1
  fi
fi

# as_owner runs a command as the cluster's owner: the postgres user when we are
# root (PostgreSQL refuses to run as root), else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_ctl_cmd() { as_owner "$bin/pg_ctl" -D "$dir/data" "$@"; }

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$dir/data/postmaster.pid" ]; then
    pg_ctl_cmd -m fast -w stop >&2
  fi
  exit 0
fi

if [ ! -f "$dir/data/PG_VERSION" ]; then
  log "creating a cluster in $dir/data ($("$bin/postgres" --version))"
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
  fi
  chmod 700 "$dir"
  pwfile=$(mktemp)
  echo "$password" >"$pwfile"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$pwfile"
  fi
  # Password auth over TCP, as a real deployment would; the superuser is the
  # cluster owner, reachable only through the socket in $dir.
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pwfile" >&2
  rm -f "$pwfile"
fi

if ! pg_ctl_cmd status >/dev/null 2>&1; then
  log "starting PostgreSQL on 127.0.0.1:$port"
  pg_ctl_cmd -w -t 60 -l "$dir/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2
fi

psql_su() { as_owner psql -v ON_ERROR_STOP=1 -q -h "$dir" -p "$port" -U postgres -d postgres "$@"; }

if [ "$(psql_su -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != "1" ]; then
  psql_su -c "CREATE ROLE $user LOGIN PASSWORD '$password'" >&2
fi
if [ "$(psql_su -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
  psql_su -c "CREATE DATABASE $db OWNER $user" >&2
fi

url="postgres://$user:$password@127.0.0.1:$port/$db?sslmode=disable"
# Check the URL itself works, over TCP with the password.
PGPASSWORD="$password" psql -q -h 127.0.0.1 -p "$port" -U "$user" -d "$db" -tAc 'SELECT 1' >/dev/null
log "ready"
echo "PARLEY_TEST_POSTGRES=$url"
