#!/usr/bin/env bash
# Runs every test, on SQLite and on PostgreSQL, on a fresh machine that has only the .NET SDK:
# installs what it needs if missing (the PostgreSQL server, promtool, mosquitto-clients, Chromium, the Redocly CLI, dockerfilelint, nginx-light), starts a throwaway cluster on a
# free loopback port as a non-root user, runs the suite, stops what it started, and ends with the line
# "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
results=$(mktemp -d /tmp/fleetwatch-results.XXXXXX)

# fsync=off only makes the throwaway test cluster faster; Fleetwatch's own durability settings are unchanged.
PG_EXTRA_OPTIONS="-c fsync=off"
source "$root/scripts/throwaway-postgres.sh"
export FLEETWATCH_TEST_PG="$PG_CONNECTION"

# promtool (Debian's prometheus package) checks the /metrics exposition in MetricsTests.
if ! command -v promtool >/dev/null; then
  say "installing promtool (apt-get install prometheus)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package starts a Prometheus server where it can; the tests need only promtool.
  as_root pkill -x prometheus >/dev/null 2>&1 || true
fi

# Debian's MQTT clients (mosquitto_pub, mosquitto_sub) publish to the server's MQTT listener in MqttTests.
if ! command -v mosquitto_pub >/dev/null; then
  say "installing mosquitto-clients (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto-clients >/dev/null
fi

# nginx (Debian's nginx-light) checks deploy/nginx/fleetwatch.conf with nginx -t in InstallTests; only the binary is used.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  say "installing nginx-light (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
  # The package starts a server where it can; the tests need only nginx -t.
  as_root pkill -x nginx >/dev/null 2>&1 || true
fi

# Headless Chromium (Debian's package) for the dashboard's browser tests, driven by Microsoft.Playwright.
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Redocly CLI (npm) lints the OpenAPI document in ApiDocsTests; pinned, installed once into .tools/ of the checkout.
if ! command -v npm >/dev/null; then
  say "installing Node.js and npm (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
redocly="$root/.tools/node_modules/.bin/redocly"
if [ ! -x "$redocly" ]; then
  say "installing the Redocly CLI (npm)"
  npm install --prefix "$root/.tools" --no-audit --no-fund --loglevel=error @redocly/cli@2.77.0 >/dev/null
fi
export FLEETWATCH_REDOCLY="$redocly"
# dockerfilelint (npm) checks deploy/container/Dockerfile in InstallTests.
dockerfilelint="$root/.tools/node_modules/.bin/dockerfilelint"
if [ ! -x "$dockerfilelint" ]; then
  say "installing dockerfilelint (npm)"
  npm install --prefix "$root/.tools" --no-audit --no-fund --loglevel=error dockerfilelint@1.8.0 >/dev/null
fi
export FLEETWATCH_DOCKERFILELINT="$dockerfilelint"
# axe-core (npm) checks every dashboard page against WCAG 2 AA in AccessibilityTests.
axe="$root/.tools/node_modules/axe-core/axe.min.js"
if [ ! -f "$axe" ]; then
  say "installing axe-core (npm)"
  npm install --prefix "$root/.tools" --no-audit --no-fund --loglevel=error axe-core@4.14.1 >/dev/null
fi
export FLEETWATCH_AXE="$axe"
# DuckDB's Node.js API (npm) reads the Parquet exports back in ExportImportTests, as a data person's tools would.
duckdb="$root/.tools/node_modules/@duckdb/node-api"
if [ ! -d "$duckdb" ]; then
  say "installing DuckDB for Node.js (npm)"
  npm install --prefix "$root/.tools" --no-audit --no-fund --loglevel=error @duckdb/node-api@1.5.6-r.1 >/dev/null
fi
export FLEETWATCH_DUCKDB="$duckdb"
# Screenshots of every dashboard page are kept here (artifacts/screenshots, ignored by git).
export FLEETWATCH_ARTIFACTS="$root/artifacts"

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
