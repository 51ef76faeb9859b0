# shellcheck shell=bash disable=SC2034,SC2154 # variables shared with deploy/faults, which sets root, RUN and BIN
# The fault suite's own stack (sourced by deploy/faults): PostgreSQL primary + streaming replica, Redis,
# origins and edges on free ports under one temporary directory, each process started, stopped and killed
# by the suite alone. Nothing here touches the shared services (55432/55433/56379) or the dev stack.
#
# Expects: $RUN (state dir), $BIN (origin, edge), $root (the checkout), and the ports set by pick_ports.

DOMAINS=(alpine-outfitters.test harbor-coffee.test)
TENANTS_ARG=alpine=alpine-outfitters.test,harbor=harbor-coffee.test
ADMIN_TOKEN=dev-admin-token
EDGE_ADMIN_TOKEN=fault-suite-edge-admin

slog() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
now() { date +%s.%N; }
# seconds (decimal) from $1 to now
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# sleeps until $1 (epoch seconds, decimal) unless that has passed; a signal ends the wait at once (a
# foreground sleep would hold the trap back until it ends)
sleep_until() {
  local left
  left=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; if (d < 0) d = 0; printf "%.2f", d }')
  [ "$left" = 0.00 ] && return
  sleep "$left" &
  SLEEP_PID=$!
  wait "$SLEEP_PID"
}

# PORTS: NAME=port lines for every listener the suite needs, all free at the same time (the kernel's port 0).
pick_ports() {
  local names=(PG_PRIMARY PG_REPLICA REDIS ORIGIN_1 ORIGIN_2 ORIGIN_3 ORIGIN_ADMIN_1 ORIGIN_ADMIN_2 ORIGIN_ADMIN_3
    EDGE_1 EDGE_2 EDGE_ADMIN_1 EDGE_ADMIN_2 PROXY_SLOW PROXY_RESET)
  local ports
  ports=$(python3 - "${#names[@]}" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
  )
  read -r -a ports <<< "$ports"
  local i
  for i in "${!names[@]}"; do printf -v "P_${names[$i]}" '%s' "${ports[$i]}"; done
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() { runuser -u postgres -- "$@"; }
psql_at() { # port, args…
  local port=$1; shift
  PGOPTIONS='--client-min-messages=warning' psql -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q "$@"
}

install_packages() {
  local missing=()
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/pg_basebackup" ] || missing+=(postgresql postgresql-contrib)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v python3 >/dev/null || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    slog "installing ${missing[*]}"
    [ "$(id -u)" = 0 ] || { echo "run as root to install packages: ${missing[*]}" >&2; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
}

# PostgreSQL: a primary and a replica made from it with pg_basebackup -R, like deploy/dev start_postgres.
pg_node_start() { # primary|replica
  local port=$P_PG_PRIMARY
  [ "$1" = replica ] && port=$P_PG_REPLICA
  as_pg "$(pg_bin)/pg_ctl" -D "$RUN/pg/$1" -l "$RUN/pg/$1.log" -o "-p $port" -w -t 60 start >/dev/null
}
pg_node_stop() { # primary|replica [mode]
  as_pg "$(pg_bin)/pg_ctl" -D "$RUN/pg/$1" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1
}
# Freezes (STOP) or thaws (CONT) every process of a node: a hung server that accepts connections, never answers.
pg_node_signal() { # primary|replica STOP|CONT
  local pid
  pid=$(head -n 1 "$RUN/pg/$1/postmaster.pid" 2>/dev/null) || return 1
  kill -"$2" "$pid" $(pgrep -P "$pid") 2>/dev/null
}
pg_node_running() { [ -f "$RUN/pg/$1/postmaster.pid" ] && as_pg "$(pg_bin)/pg_ctl" -D "$RUN/pg/$1" status >/dev/null 2>&1; }

start_postgres() {
  local bin primary=$RUN/pg/primary replica=$RUN/pg/replica
  bin=$(pg_bin)
  mkdir -p "$RUN/pg/run"
  chown -R postgres:postgres "$RUN/pg"
  as_pg "$bin/initdb" -D "$primary" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null || return 1
  cat >> "$primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $P_PG_PRIMARY
unix_socket_directories = '$RUN/pg/run'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
max_connections = 200
fsync = off
full_page_writes = off
wal_retrieve_retry_interval = 1s
CONF
  cat > "$primary/pg_hba.conf" <<HBA
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
HBA
  pg_node_start primary || return 1
  # The same roles as deploy/dev: storefront owns the schema, storefront_app (what origins log in as) owns nothing.
  psql_at "$P_PG_PRIMARY" -d postgres <<SQL >/dev/null || return 1
CREATE ROLE storefront LOGIN;
CREATE ROLE storefront_app LOGIN NOSUPERUSER NOBYPASSRLS;
GRANT pg_monitor TO storefront, storefront_app;
CREATE DATABASE storefront OWNER storefront;
SELECT pg_create_physical_replication_slot('replica1');
SQL
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$P_PG_PRIMARY" -U postgres -D "$replica" -R -X stream -S replica1 \
    --checkpoint=fast >/dev/null 2>&1 || return 1
  printf "port = %s\n" "$P_PG_REPLICA" >> "$replica/postgresql.conf"
  pg_node_start replica || return 1
  wait_replica_streaming 20 || { echo "the replica is not streaming (see pg-replica.log)" >&2; return 1; }
}

wait_replica_streaming() { # seconds
  local _
  for _ in $(seq 1 $(($1 * 5))); do
    psql_at "$P_PG_PRIMARY" -d postgres -tAc "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null |
      grep -qv '^0$' && return 0
    sleep 0.2
  done
  return 1
}

# Processes the suite starts: $RUN/pids/<name>.pid; logs append to $RUN/logs/<name>.log across restarts.
alive() { [ -f "$RUN/pids/$1.pid" ] && kill -0 "$(cat "$RUN/pids/$1.pid")" 2>/dev/null; }

# Sends $2 (TERM, KILL, …) to $1 and waits up to $3 seconds for it to exit, then SIGKILL. Prints how long it
# took; returns 1 if it had to be killed.
stop_proc() { # name signal deadline-seconds
  local name=$1 signal=$2 deadline=$3 pid started rc=0
  alive "$name" || { rm -f "$RUN/pids/$name.pid"; echo 0; return 0; }
  pid=$(cat "$RUN/pids/$name.pid")
  started=$(now)
  kill -"$signal" "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if awk -v s="$started" -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n - s > d) }'; then
      kill -KILL "$pid" 2>/dev/null || true
      rc=1
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  since "$started"
  echo
  rm -f "$RUN/pids/$name.pid"
  return $rc
}

# Runs stop_proc in the background; its verdict lands in $RUN/stops/<name> ("<seconds> ok|killed").
stop_proc_async() { # name signal deadline-seconds
  mkdir -p "$RUN/stops"
  rm -f "$RUN/stops/$1"
  (
    if took=$(stop_proc "$@"); then echo "$took ok"; else echo "$took killed"; fi > "$RUN/stops/$1.tmp"
    mv "$RUN/stops/$1.tmp" "$RUN/stops/$1"
  ) &
  echo $! > "$RUN/stops/$1.job"
}
# Waits for an async stop (in this shell, not in $(…): only the shell that started it can wait for it); its
# verdict goes to STOP_VERDICT.
stop_result() { # name
  local job
  job=$(cat "$RUN/stops/$1.job" 2>/dev/null) && wait "$job" 2>/dev/null
  STOP_VERDICT=$(cat "$RUN/stops/$1" 2>/dev/null || echo "? unknown")
}

wait_http() { # url seconds [curl args…]
  local url=$1 seconds=$2 _
  shift 2
  for _ in $(seq 1 $((seconds * 10))); do
    curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_redis() {
  mkdir -p "$RUN/redis"
  redis-server --bind 127.0.0.1 --port "$P_REDIS" --daemonize yes --pidfile "$RUN/pids/redis.pid" \
    --dir "$RUN/redis" --save "" --appendonly no --logfile "$RUN/logs/redis.log"
  local _
  for _ in $(seq 1 50); do
    redis-cli -p "$P_REDIS" ping >/dev/null 2>&1 && alive redis && return 0
    sleep 0.1
  done
  echo "Redis did not start (see $RUN/logs/redis.log)" >&2
  return 1
}
stop_redis() { redis-cli -p "$P_REDIS" shutdown nosave >/dev/null 2>&1 || stop_proc redis TERM 10 >/dev/null; rm -f "$RUN/pids/redis.pid"; }

origin_env() {
  export PG_PRIMARY_PORT=$P_PG_PRIMARY PG_REPLICA_PORT=$P_PG_REPLICA PG_DATABASE=storefront
  export REDIS_HOST=127.0.0.1 REDIS_PORT=$P_REDIS ADMIN_TOKEN INTERNAL_TOKEN=fault-suite-internal
  # The write stream touches both tenants on every origin about every 2 s: with the default read-your-writes
  # window (2 s) nearly every read would go to the primary and a replica fault would test little. With 500 ms
  # about a quarter of the reads follow a write to the primary and the rest go to the replica: both paths.
  export READ_YOUR_WRITES_MS=${FAULTS_READ_YOUR_WRITES_MS:-500}
}

prepare_database() {
  (origin_env && "$BIN/origin" migrate && "$BIN/origin" seed --products "$SEED_PRODUCTS" --orders 20) \
    >> "$RUN/logs/maintenance.log" 2>&1
}

start_origin() { # 1|2|3
  local n=$1 port admin
  port=$(origin_port "$n")
  admin=$(eval echo "\$P_ORIGIN_ADMIN_$n")
  (
    origin_env
    export ORIGIN_PORT=$port ORIGIN_ADMIN_PORT=$admin
    exec nohup "$BIN/origin" serve >> "$RUN/logs/origin-$n.log" 2>&1
  ) &
  echo $! > "$RUN/pids/origin-$n.pid"
  disown $! # no "Killed" notice from bash when a scenario kills it
  wait_http "http://127.0.0.1:$port/health" 60 || { echo "origin $n did not start (see $RUN/logs/origin-$n.log)" >&2; return 1; }
}
origin_port() { eval echo "\$P_ORIGIN_$1"; }

# The edges learn their origins from this file (re-read every 2 s): scenario 7 and 8 rewrite it.
write_origins() { # host:port…
  printf '%s\n' "$@" > "$RUN/origins.tmp"
  mv "$RUN/origins.tmp" "$RUN/origins.txt"
}
# How often edge $1 has logged a new origin list; wait_pool_update waits until both edges logged one more.
pool_updates() { grep -c "origin pool updated" "$RUN/logs/edge-$1.log" 2>/dev/null || true; }
wait_pool_update() { # count-of-edge-1 count-of-edge-2 seconds
  local _
  for _ in $(seq 1 $(($3 * 10))); do
    [ "$(pool_updates 1)" -gt "$1" ] && [ "$(pool_updates 2)" -gt "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

start_edge() { # 1|2
  local n=$1 port admin
  port=$(eval echo "\$P_EDGE_$n")
  admin=$(eval echo "\$P_EDGE_ADMIN_$n")
  (
    export EDGE_ORIGINS=file:$RUN/origins.txt EDGE_HTTPS_PORT=$port EDGE_HTTP_PORT=0 EDGE_ADMIN_PORT=$admin
    # The tenant list comes from the origins' internal listeners (origin 3 joins in scenario 8).
    export EDGE_ORIGIN_INTERNAL=127.0.0.1:$P_ORIGIN_ADMIN_1,127.0.0.1:$P_ORIGIN_ADMIN_2,127.0.0.1:$P_ORIGIN_ADMIN_3
    export EDGE_ADMIN_TOKEN INTERNAL_TOKEN=fault-suite-internal EDGE_REDIS=127.0.0.1:$P_REDIS
    export EDGE_CERT_DIR=$RUN/certs EDGE_ACCESS_LOG=$RUN/logs/edge-$n.access.log
    # Every simulated shopper comes from 127.0.0.1: no per-client rate limit.
    export EDGE_RATE_PER_CLIENT=off
    exec nohup "$BIN/edge" >> "$RUN/logs/edge-$n.log" 2>&1
  ) &
  echo $! > "$RUN/pids/edge-$n.pid"
  disown $! # no "Killed" notice from bash when a scenario kills it
  wait_http "https://${DOMAINS[0]}:$port/products/product-1" 60 --cacert "$RUN/certs/ca.crt" \
    --resolve "${DOMAINS[0]}:$port:127.0.0.1" || { echo "edge $n did not start (see $RUN/logs/edge-$n.log)" >&2; return 1; }
}

start_proxy() { # slow|reset upstream-port
  local mode=$1 upstream=$2 port=$P_PROXY_SLOW
  [ "$mode" = reset ] && port=$P_PROXY_RESET
  nohup python3 "$root/deploy/fault-proxy.py" --listen "$port" --upstream "127.0.0.1:$upstream" --mode "$mode" \
    >> "$RUN/logs/proxy-$mode.log" 2>&1 &
  echo $! > "$RUN/pids/proxy-$mode.pid"
  disown $!
  local _
  for _ in $(seq 1 50); do (: < "/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
  echo "the $mode proxy did not start (see $RUN/logs/proxy-$mode.log)" >&2
  return 1
}

start_stack() {
  mkdir -p "$RUN/pids" "$RUN/logs" "$RUN/reports"
  slog "PostgreSQL primary :$P_PG_PRIMARY, replica :$P_PG_REPLICA"
  start_postgres || return 1
  slog "Redis :$P_REDIS"
  start_redis || return 1
  slog "migrate and seed ($SEED_PRODUCTS products per tenant)"
  prepare_database || { echo "migrate or seed failed (see maintenance.log)" >&2; return 1; }
  "$root/deploy/certs.sh" "$RUN/certs" "${DOMAINS[@]}" || return 1
  slog "origins :$P_ORIGIN_1 :$P_ORIGIN_2"
  start_origin 1 & local o1=$!
  start_origin 2 & local o2=$!
  wait $o1 && wait $o2 || return 1
  write_origins "127.0.0.1:$P_ORIGIN_1" "127.0.0.1:$P_ORIGIN_2"
  slog "edges :$P_EDGE_1 :$P_EDGE_2"
  start_edge 1 & local e1=$!
  start_edge 2 & local e2=$!
  wait $e1 && wait $e2 || return 1
}

# Stops everything the suite started, whatever state it is in; never fails.
stop_stack() {
  local name
  for name in driver proxy-slow proxy-reset edge-1 edge-2 origin-1 origin-2 origin-3; do
    alive "$name" && kill -TERM "$(cat "$RUN/pids/$name.pid")" 2>/dev/null
  done
  for _ in $(seq 1 30); do
    local left=0
    for name in driver proxy-slow proxy-reset edge-1 edge-2 origin-1 origin-2 origin-3; do alive "$name" && left=1; done
    [ $left = 0 ] && break
    sleep 0.1
  done
  for name in driver proxy-slow proxy-reset edge-1 edge-2 origin-1 origin-2 origin-3; do
    alive "$name" && kill -KILL "$(cat "$RUN/pids/$name.pid")" 2>/dev/null
  done
  [ -n "${P_REDIS:-}" ] && { redis-cli -p "$P_REDIS" shutdown nosave >/dev/null 2>&1 || true; }
  alive redis && kill -KILL "$(cat "$RUN/pids/redis.pid")" 2>/dev/null
  local node
  pg_node_signal replica CONT
  for node in replica primary; do
    [ -d "$RUN/pg/$node" ] && pg_node_running "$node" && pg_node_stop "$node" immediate
  done
  return 0
}
