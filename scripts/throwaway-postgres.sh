# Sourced by test.sh and bench/run.sh: installs the PostgreSQL server if missing (apt-get), starts a
# throwaway cluster on a free loopback port as a non-root user, stops and deletes it when the script exits.
# Afterwards PG_CONNECTION holds an admin connection string for it.

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
  for port in $(seq "$1" $(($1 + 100))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}
pg_port=$(free_port 55432)

stop_pg() { "${run_pg[@]}" "$bin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap stop_pg EXIT

say "starting PostgreSQL ($("$bin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$pg_port"
"${run_pg[@]}" "$bin/initdb" -D "$pgdir/data" -U postgres -A trust --no-sync >/dev/null
"${run_pg[@]}" "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
  -o "-p $pg_port -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=400 ${PG_EXTRA_OPTIONS:-}" start >/dev/null
PG_CONNECTION="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Pooling=true"
