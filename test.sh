#!/usr/bin/env bash
# Runs every test, on SQLite and on PostgreSQL, on a fresh machine that has only the .NET SDK:
# installs the PostgreSQL server if missing, starts a throwaway cluster on a free loopback port as a
# non-root user, runs the suite, stops what it started, and ends with the line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
results=$(mktemp -d /tmp/fleetwatch-results.XXXXXX)

say() { printf '==> %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

if ! bin=$(pg_bin); then
  say "installing the PostgreSQL server (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  bin=$(pg_bin)
fi

# PostgreSQL refuses to run as root: the cluster belongs to an unprivileged user.
pgdir=$(mktemp -d /tmp/fleetwatch-pg.XXXXXX)
run_pg=()
if [ "$(id -u)" = 0 ]; then
  pg_user=postgres
  id -u "$pg_user" >/dev/null 2>&1 || { pg_user=fleetwatch-test; id -u "$pg_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"; }
  chown "$pg_user" "$pgdir"
  run_pg=(runuser -u "$pg_user" --)
fi

free_port() {
  local port
  for port in $(seq 55432 55532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}
port=$(free_port)

stop_pg() { "${run_pg[@]}" "$bin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap stop_pg EXIT

say "starting PostgreSQL ($("$bin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port"
"${run_pg[@]}" "$bin/initdb" -D "$pgdir/data" -U postgres -A trust --no-sync >/dev/null
# fsync=off only makes the throwaway test cluster faster; Fleetwatch's own durability settings are unchanged.
"${run_pg[@]}" "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
  -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" start >/dev/null
export FLEETWATCH_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true"

say "running the tests"
status=0
dotnet test "$root/tests/Fleetwatch.Tests" -c Release --nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" "$@" || status=$?

trx="$results/results.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  errors=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  failed=$(( ${failed:-0} + ${errors:-0} ))
else
  say "no test results: the build or the test host failed"
  passed=0
  failed=1
fi
[ "$status" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "${passed:-0} passed, ${failed} failed"
[ "$failed" = 0 ]
