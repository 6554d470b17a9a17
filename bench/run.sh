#!/usr/bin/env bash
# Builds Release, starts the real server (a separate process) on a fresh SQLite file and on a fresh PostgreSQL
# database, drives it with bench/Fleetwatch.Load from this machine, and prints what it measured. Every figure
# of a table comes from the same run on the same machine: compare ratios, not absolute numbers.
#   ./bench/run.sh                      all scenarios, both engines
#   BENCH_POINTS=1000000 ./bench/run.sh a smaller aggregate data set
#   BENCH_ENGINES=sqlite ./bench/run.sh one engine
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/fleetwatch-bench.XXXXXX)
points=${BENCH_POINTS:-10000000}
engines=${BENCH_ENGINES:-"sqlite postgres"}
key="bench-admin-key-$(date +%s)"

printf '==> building Release\n' >&2
dotnet publish src/Fleetwatch -c Release -o "$work/server" --nologo -v quiet >/dev/null
dotnet build bench/Fleetwatch.Load -c Release -o "$work/load" --nologo -v quiet >/dev/null

if [[ " $engines " == *" postgres "* ]]; then
  source "$root/scripts/throwaway-postgres.sh"
fi
server_pid=""
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; server_pid=""; }
trap 'stop_server; declare -F stop_pg >/dev/null && stop_pg; rm -rf "$work"' EXIT

port=$(( 18000 + RANDOM % 1000 ))
for engine in $engines; do
  case $engine in
    sqlite) db="$work/bench.db" ;;
    postgres)
      db_name="bench_$(date +%s)"
      "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE DATABASE $db_name" >/dev/null
      db="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$db_name" ;;
  esac
  printf '\n==> %s\n' "$engine"
  API_KEY="$key" "$work/server/fleetwatch" serve --db "$db" --urls "http://127.0.0.1:$port" \
    --RateLimits:Enabled false --Logging:LogLevel:Default Warning >"$work/server-$engine.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  dotnet "$work/load/fleetwatch-load.dll" latency --url "http://127.0.0.1:$port" --key "$key" --samples 500
  dotnet "$work/load/fleetwatch-load.dll" aggregate --url "http://127.0.0.1:$port" --key "$key" --points "$points" --days 90
  stop_server
done
