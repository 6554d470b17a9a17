#!/usr/bin/env bash
# The benchmark suite. Builds Release, starts the real server as its own process on a fresh SQLite file and on a
# fresh PostgreSQL database (a throwaway cluster), drives it from this machine with wrk (installed with apt-get
# when missing) and bench/Fleetwatch.Load, and prints one table per engine. Every figure of a table comes from
# the same run on the same machine: compare the ratios, not the absolute numbers.
#   ./bench/run.sh                                    everything, both engines (about 10 minutes on 2 cores)
#   BENCH_ENGINES=sqlite BENCH_SECONDS=5 BENCH_POINTS=1000000 ./bench/run.sh     a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/fleetwatch-bench.XXXXXX)
engines=${BENCH_ENGINES:-"sqlite postgres"}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP_SECONDS:-3}
points=${BENCH_POINTS:-10000000}
export BENCH_KEY="bench-admin-key-$RANDOM$RANDOM"

say() { printf '==> %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v wrk >/dev/null; then
  say "installing wrk (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

if [ ! -x /usr/bin/chromium ]; then
  say "installing Chromium (apt-get), for the dashboard timings"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

say "building Release"
dotnet publish src/Fleetwatch -c Release -o "$work/server" --nologo -v quiet >/dev/null
dotnet build bench/Fleetwatch.Load -c Release -o "$work/load" --nologo -v quiet >/dev/null
load() { dotnet "$work/load/fleetwatch-load.dll" "$@"; }

{ echo device_id; for i in $(seq 0 9999); do echo "dev-$i"; done; } >"$work/devices.csv"

if [[ " $engines " == *" postgres "* ]]; then source "$root/scripts/throwaway-postgres.sh"; fi
server_pid=""
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }
trap 'stop_server; if declare -F stop_pg >/dev/null; then stop_pg; fi; rm -rf "$work"' EXIT

port=$(( 18000 + RANDOM % 1000 ))
url="http://127.0.0.1:$port"

fresh_db() { # engine name → a new, empty database
  case $1 in
    sqlite) echo "$work/$2.db" ;;
    postgres) "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE DATABASE $2" >/dev/null
              echo "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$2" ;;
  esac
}

start_server() { # database, extra settings…
  local db=$1; shift
  API_KEY="$BENCH_KEY" "$work/server/fleetwatch" serve --db "$db" --urls "$url" --devices "$work/devices.csv" \
    --Bench:NoopEndpoint true --Rollups:IntervalMs 1000 --RateLimits:Enabled false --Logging:LogLevel:Default Warning "$@" >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do curl -sf "$url/health" >/dev/null && return 0; sleep 0.1; done
  say "the server did not start:"; tail -20 "$work/server.log" >&2; exit 1
}

declare -A R
wrk_run() { # name, script
  local out
  # Untimed warm-up first: the runtime re-compiles hot code in tiers for several seconds, and that JIT work would
  # otherwise be charged to whichever scenario runs first on a code path.
  wrk -t2 -c64 -d"${warmup}s" -s "bench/wrk/$2.lua" "$url" >/dev/null
  out=$(wrk -t2 -c64 -d"${seconds}s" --latency -s "bench/wrk/$2.lua" "$url")
  R[$1_rps]=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  R[$1_p50]=$(awk '$1 == "50%" {print $2}' <<<"$out")
  R[$1_p99]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local errors; errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  if [ -n "$errors" ]; then say "$1: $errors responses were not 2xx"; fi
}
load_run() { # the "name value" lines of a load scenario go into R
  local line
  while read -r line; do
    if [[ $line =~ ^([a-z0-9_]+)\ ([0-9.]+)$ ]]; then R[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}; else echo "$line" >&2; fi
  done < <(load "$@" --url "$url" --key "$BENCH_KEY")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }

for engine in $engines; do
  R=()
  say "$engine: HTTP scenarios (wrk -t2 -c64, ${seconds}s each)"
  db=$(fresh_db "$engine" "bench_main_$RANDOM")
  start_server "$db"
  wrk_run ceiling noop
  wrk_run status status
  wrk_run heartbeat heartbeat
  say "$engine: the same status POST with 100 rules on the project"
  rule_ids=()
  for i in $(seq 1 100); do
    rule_ids+=("$(curl -sf -X POST "$url/projects/1/rules" -H "X-API-Key: $BENCH_KEY" -H 'Content-Type: application/json' \
      -d "{\"name\":\"r$i\",\"metric\":\"battery_level\",\"operator\":\"<\",\"threshold\":-$i,\"window_n\":5,\"required_k\":3}" \
      | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)")
  done
  wrk_run rules status
  # The other scenarios run without rules, as before.
  for id in "${rule_ids[@]}"; do curl -sf -o /dev/null -X DELETE "$url/rules/$id" -H "X-API-Key: $BENCH_KEY"; done
  load_run webhook-latency --samples 50
  say "$engine: batches, 100k devices, summary, latency, $points-point aggregate"
  load_run batch --seconds "$((seconds + 5))" --size 1000
  load_run seed-statuses --devices 100000
  wrk_run latest latest
  load_run summary --devices 10000
  load_run history --statuses "${BENCH_HISTORY:-200000}"
  load_run latency --samples 500
  load_run aggregate --points "$points" --days 90 --device agg-bench
  R[rss_mb]=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")
  say "$engine: the dashboard in headless Chromium, over the devices and the 90-day device above"
  load_run browser --device agg-bench --rounds 5
  stop_server
  while read -r name value; do R[$name]=$value; done < <(load disk --db "$db")

  say "$engine: the same status POST with one commit per request"
  start_server "$(fresh_db "$engine" "bench_naive_$RANDOM")" --Ingest:CommitPerRequest true
  wrk_run naive status
  stop_server
  say "$engine: connectivity tracker off, then on: status POST, batches, 100k devices with staggered timeouts"
  for mode in off on; do
    start_server "$(fresh_db "$engine" "bench_conn_${mode}_$RANDOM")" --Connectivity:Enabled "$([ "$mode" = on ] && echo true || echo false)"
    wrk_run "status_$mode" status
    load_run batch --seconds "$((seconds + 5))" --size 1000 --name "batch_$mode"
    load_run connectivity --devices "${BENCH_CONNECTIVITY_DEVICES:-100000}" --prefix "heap_$mode" --detect "$([ "$mode" = on ] && echo 1 || echo 0)"
    stop_server
  done
  say "$engine: MQTT QoS 1 over 100 and 1,000 connections, beside HTTP status POSTs on the same server"
  mqtt_port=$(( port + 1 ))
  start_server "$(fresh_db "$engine" "bench_mqtt_$RANDOM")" --Mqtt:Enabled true --Mqtt:Host 127.0.0.1 --Mqtt:Port "$mqtt_port"
  wrk_run status_mqtt status
  load_run mqtt --mqtt-port "$mqtt_port" --connections 100 --in-flight 8 --seconds "$seconds" --pid "$server_pid"
  load_run mqtt --mqtt-port "$mqtt_port" --connections 1000 --in-flight 2 --seconds "$seconds" --pid "$server_pid"
  stop_server
  say "$engine: export, import, and status POSTs while expired history is deleted"
  start_server "$(fresh_db "$engine" "bench_transfer_$RANDOM")" --Retention:IntervalMs 500
  load aggregate --points "$points" --days 90 --device transfer-bench --url "$url" --key "$BENCH_KEY" >/dev/null
  load_run transfer --device transfer-bench --pid "$server_pid" --seconds "$seconds"
  stop_server
  say "$engine: bulk insert into the store without HTTP"
  while read -r name value; do R[$name]=$value; done < <(load store-insert --db "$(fresh_db "$engine" "bench_store_$RANDOM")" --points 2000000)

  cat <<TABLE

### $engine — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load generator on the same machine

| scenario | measured | ratio |
|---|---|---|
| ceiling: no-op POST of the same server | ${R[ceiling_rps]} req/s, p50 ${R[ceiling_p50]}, p99 ${R[ceiling_p99]} | 100% |
| single status POST, durable (group commit) | ${R[status_rps]} req/s, p50 ${R[status_p50]}, p99 ${R[status_p99]} | $(ratio "${R[status_rps]}" "${R[ceiling_rps]}") of ceiling |
| single status POST, one commit per request | ${R[naive_rps]} req/s, p50 ${R[naive_p50]}, p99 ${R[naive_p99]} | $(ratio "${R[naive_rps]}" "${R[ceiling_rps]}") of ceiling, $(ratio "${R[naive_rps]}" "${R[status_rps]}") of group commit |
| single status POST, durable, 100 rules evaluated | ${R[rules_rps]} req/s, p50 ${R[rules_p50]}, p99 ${R[rules_p99]} | $(ratio "${R[rules_rps]}" "${R[status_rps]}") of 0 rules |
| single heartbeat POST, durable | ${R[heartbeat_rps]} req/s, p50 ${R[heartbeat_p50]}, p99 ${R[heartbeat_p99]} | $(ratio "${R[heartbeat_rps]}" "${R[ceiling_rps]}") of ceiling |
| batches of 1,000 points (POST /telemetry, 8 clients) | ${R[batch_points_per_s]} points/s | $(ratio "${R[batch_points_per_s]}" "${R[store_points_per_s]}") of the store's own bulk insert (${R[store_points_per_s]} points/s, no HTTP) |
| latest status GET, 100k devices | ${R[latest_rps]} req/s, p50 ${R[latest_p50]}, p99 ${R[latest_p99]} | $(ratio "${R[latest_rps]}" "${R[ceiling_rps]}") of ceiling |
| summary of 10k devices | p50 ${R[summary_ms_p50]} ms, p99 ${R[summary_ms_p99]} ms per request (client-measured) | |
| status history, page 1, a device with 1,000 statuses vs ${R[history_many]} | p50 ${R[history_few_ms_p50]} ms vs ${R[history_many_ms_p50]} ms | $(awk -v a="${R[history_many_ms_p50]}" -v b="${R[history_few_ms_p50]}" 'BEGIN { printf "%.1fx", a / b }') |
| POST → WebSocket frame | p50 ${R[latency_p50_ms]} ms, p99 ${R[latency_p99_ms]} ms | |
| breaching POST → signed webhook received, at rest | p50 ${R[webhook_p50_ms]} ms, p99 ${R[webhook_p99_ms]} ms | |
| 90-day hourly aggregate, $points points | rollups ${R[aggregate_rollup_ms]} ms (first query ${R[aggregate_first_ms]} ms; rolled up in the background ${R[aggregate_ready_s]} s after the load), raw ${R[aggregate_raw_ms]} ms | raw / rollups $(awk -v a="${R[aggregate_raw_ms]}" -v b="${R[aggregate_rollup_ms]}" 'BEGIN { printf "%.0fx", a / b }') |
| dashboard in Chromium: sign-in → fleet page drawn (${R[browser_fleet_devices]} devices), a search answered, a device chart switched to 90 days (the points above) | ${R[browser_fleet_ms]} ms, ${R[browser_search_ms]} ms, ${R[browser_chart_90d_ms]} ms (median of 5, performance.now() in the page) | |
| memory: server RSS after 100k devices and the points above | ${R[rss_mb]} MB | |
| disk: bytes per stored event (${R[stored_events]} events) | ${R[bytes_per_event]} | |
| single status POST, connectivity tracker on vs off (fresh servers) | ${R[status_on_rps]} vs ${R[status_off_rps]} req/s | $(ratio "${R[status_on_rps]}" "${R[status_off_rps]}") |
| batches of 1,000 points, tracker on vs off | ${R[batch_on_points_per_s]} vs ${R[batch_off_points_per_s]} points/s | $(ratio "${R[batch_on_points_per_s]}" "${R[batch_off_points_per_s]}") |
| inactivity detected, ${BENCH_CONNECTIVITY_DEVICES:-100000} devices heard from once, timeouts 30–48 s by project | from deadline to stream frame p50 ${R[connectivity_delay_ms_p50]} ms, p99 ${R[connectivity_delay_ms_p99]} ms, max ${R[connectivity_delay_ms_max]} ms; ${R[connectivity_detected]} detected, ${R[connectivity_wrong]} missed, early or twice | |
| MQTT QoS 1, 3 values a message, PUBACK after commit: 100 connections × 8 in flight | ${R[mqtt_100_msgs_per_s]} msg/s | $(ratio "${R[mqtt_100_msgs_per_s]}" "${R[status_mqtt_rps]}") of the same server's status POSTs (${R[status_mqtt_rps]} req/s) |
| MQTT QoS 1: 1,000 connections × 2 in flight | ${R[mqtt_1000_msgs_per_s]} msg/s | $(ratio "${R[mqtt_1000_msgs_per_s]}" "${R[status_mqtt_rps]}") of the status POSTs |
| memory per idle MQTT connection (1,000 connected) | ${R[mqtt_1000_heap_bytes_per_connection]} bytes of managed heap, ${R[mqtt_1000_rss_bytes_per_connection]} bytes of RSS | |
| export, NDJSON streamed, one device's ${R[export_rows]} events | ${R[export_rows_per_s]} rows/s; server RSS ${R[export_rss_mb_before]} MB before, ${R[export_rss_mb_peak]} MB at most while streaming | |
| import (backfill) of the first ${R[import_events]} of them into a new project; the same file again (every one a duplicate) | ${R[import_events_per_s]} events/s; ${R[reimport_events_per_s]} events/s | |
| single status POSTs (64 clients) while ${R[purge_events]} expired events are deleted (retention set to 1 day; deleted in ${R[purge_seconds]} s, ${R[purge_during_window_events]} of them inside the ${seconds} s window) vs alone | ${R[purge_during_rps]} vs ${R[purge_alone_rps]} req/s | $(ratio "${R[purge_during_rps]}" "${R[purge_alone_rps]}") |
| memory: managed heap per device heard from, tracker on vs off | ${R[heap_on_bytes_per_device]} vs ${R[heap_off_bytes_per_device]} bytes | tracker $(awk -v a="${R[heap_on_bytes_per_device]}" -v b="${R[heap_off_bytes_per_device]}" 'BEGIN { printf "%.0f", a - b }') bytes per device |
TABLE
done
