#!/usr/bin/env bash
# Our edge, nginx proxy_cache and Varnish side by side on this machine, in front of the dev stack's two
# origins, over plain HTTP/1.1 (Varnish has no TLS; benchmarks/hit-path.sh compares TLS with nginx):
#
#   1. hot hit path: one cached product page, wrk keep-alive: requests/s and p99;
#   2. Zipf storefront workload from a cold cache with a budget of about 10% of the catalogue's bytes:
#      hit ratio over the whole run (from X-Cache and as the origins observed it), steady-state hit ratio
#      after the warm-up (the first third of the run), and the origins' product-page requests/s.
#
#   benchmarks/side-by-side.sh [zipf seconds] [products per tenant]
#
# nginx runs twice. As its documentation's cache setup has it, its cache manager trims the cache back to
# max_size asynchronously, a pass at a time, so under a miss-heavy run it holds several times its budget
# (the script samples how many files). `nginx-tmpfs` holds it to the budget the only way nginx allows: its
# cache directory is a tmpfs of exactly the budget. Temp files stay on disk (proxy_temp_path) and are copied
# in; a copy that does not fit fails and that response is served but not cached. (With use_temp_path=off
# nginx instead fails the requests whose cache write fails.) Needs root; skipped otherwise. nginx stores
# each response as a file of at least one 4 KiB page, so a byte budget holds fewer small pages in nginx.
#
# CACHES="edge nginx nginx-tmpfs varnish" (the default) chooses which caches run; the hot path is the
# median of HOT_ROUNDS (3) wrk runs of 8 s each. The Zipf run is one per cache (same seed, same sequence;
# repeated runs moved hit ratios by about one point).
#
# `deploy/dev up` first. Each cache starts cold on free ports with the same byte budget: the edge with
# --cache-mb, nginx with proxy_cache_path max_size (its on-disk bytes; keys_zone 16m, proxy_cache_lock,
# use_stale updating, keep-alive upstreams, 1 worker per core), Varnish with -s malloc (builtin VCL plus an
# X-Cache header; round-robin over both origins). The same load-tool seed drives each. Prints a table.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-30}
products=${2:-20000}
state=$root/.state
bin=$(cd "$root" && swift build -c release --show-bin-path)
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v varnishd >/dev/null || missing+=(varnish)
if [ ${#missing[@]} -gt 0 ]; then apt-get install -y -qq "${missing[@]}" >/dev/null; fi
[ -f "$state/edge.pid" ] && kill -0 "$(cat "$state/edge.pid")" 2>/dev/null || { echo "run deploy/dev up first" >&2; exit 1; }
(cd "$root" && swift build -c release --product storefront-load >/dev/null && swift build -c release --product edge >/dev/null)
"$bin/origin" seed --products "$products" >/dev/null

source "$root/benchmarks/lib.sh"
domains=(alpine-outfitters.test harbor-coffee.test)
tenants="alpine=alpine-outfitters.test,harbor=harbor-coffee.test"

# The budget: 10% of the catalogue's bytes (page size measured from one page).
page=$(curl -fsS -H "Host: ${domains[0]}" "http://127.0.0.1:8081/products/product-1" | wc -c)
catalogue=$((page * products * ${#domains[@]}))
budget_mb=$(( (catalogue / 10 + 1048575) / 1048576 ))
echo "catalogue: ${#domains[@]} tenants x $products products x $page bytes = $((catalogue / 1048576)) MiB; cache budget $budget_mb MiB"

start_edge() {
  local http=$1 admin=$2
  printf '{"tenants":[{"domain":"%s","tenantId":"alpine","edge":{"plainHTTP":true}},{"domain":"%s","tenantId":"harbor","edge":{"plainHTTP":true}}]}' \
    "${domains[0]}" "${domains[1]}" > "$work/tenants.json"
  EDGE_RATE_PER_CLIENT=off "$bin/edge" --tenants "$work/tenants.json" --https-port "$(free_port)" --http-port "$http" --admin-port "$admin" \
    --redis off --access-log off --cache-mb "$budget_mb" --cert-dir "$state/certs" \
    --origins 127.0.0.1:8081,127.0.0.1:8082 > "$work/edge.log" 2>&1 &
  pids+=($!)
}

start_nginx() {
  local port=$1 tmpfs=${2:-}
  rm -rf "$work/cache"
  mkdir -p "$work/cache"
  local extra=""
  if [ -n "$tmpfs" ]; then
    mount -t tmpfs -o "size=${budget_mb}m,mode=0755" tmpfs "$work/cache"
    chown www-data "$work/cache" 2>/dev/null || chmod 777 "$work/cache"
    extra=""
  fi
  cat > "$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    proxy_cache_path $work/cache keys_zone=edge:16m max_size=${budget_mb}m inactive=1h $extra;
    upstream origins { server 127.0.0.1:8081; server 127.0.0.1:8082; keepalive 64; }
    server {
        listen 127.0.0.1:$port;
$(nginx_cache_location)
    }
}
EOF
  nginx -c "$work/nginx.conf"
}

start_varnish() {
  local port=$1
  cat > "$work/default.vcl" <<'EOF'
vcl 4.1;
import directors;
backend o1 { .host = "127.0.0.1"; .port = "8081"; }
backend o2 { .host = "127.0.0.1"; .port = "8082"; }
sub vcl_init { new origins = directors.round_robin(); origins.add_backend(o1); origins.add_backend(o2); }
sub vcl_recv { set req.backend_hint = origins.backend(); }
sub vcl_deliver { if (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; } }
EOF
  mkdir -p "$work/varnish"
  varnishd -F -a "127.0.0.1:$port" -f "$work/default.vcl" -s "malloc,${budget_mb}m" -n "$work/varnish" \
    -p default_grace=0 > "$work/varnish.log" 2>&1 &
  pids+=($!)
}

wait_up() { for _ in $(seq 1 100); do curl -fsS -o /dev/null 2>/dev/null -H "Host: ${domains[0]}" "http://127.0.0.1:$1/products/product-1" && return 0; sleep 0.1; done; echo "cache on :$1 did not start" >&2; exit 1; }

# Hot hit path: one page, kept alive.
hot() {
  local port=$1 out runs=()
  for _ in 1 2 3; do curl -fsS -o /dev/null -H "Host: ${domains[0]}" "http://127.0.0.1:$port/products/product-1"; done
  for _ in $(seq 1 "$hot_rounds"); do
    out=$(wrk -t2 -c64 -d8s --latency -H "Host: ${domains[0]}" "http://127.0.0.1:$port/products/product-1")
    runs+=("$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')")
  done
  # The median run by requests/s (its p99 with it).
  printf '%s\n' "${runs[@]}" | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

# Zipf from cold: the load tool's summary line.
zipf() {
  "$bin/storefront-load" --plain --edge "127.0.0.1:$1" --tenants "$tenants" --products "$products" --seconds "$seconds" \
    --warm-up $((seconds / 3)) --connections 32 --uncacheable 0 --updates 0 --edge-admin "${2:-}" --out "$work/report-$1" \
    2>/dev/null | head -4 | tr '\n' ' '
}

results=()
run() {
  local name=$1 port=$2 admin=${3:-}
  local summary hot_result
  summary=$(zipf "$port" "$admin")
  hot_result=$(hot "$port")
  results+=("$name|$summary|$hot_result")
  echo "$name: $summary; hot path: $hot_result (req/s p99-ms)"
}

caches=${CACHES:-edge nginx nginx-tmpfs varnish}
hot_rounds=${HOT_ROUNDS:-3}
wanted() { [[ " $caches " == *" $1 "* ]]; }

if wanted edge; then
port=$(free_port); admin=$(free_port); start_edge "$port" "$admin"; wait_up "$port"
# wait_up warmed product-1 only; the Zipf run starts otherwise cold.
run edge "$port" "127.0.0.1:$admin"
echo "edge cache after the run: $(curl -fsS "http://127.0.0.1:$admin/metrics" | awk '/^storefront_edge_cache_(bytes|objects)\{/ {split($1, n, "{"); s[n[1]] += $2} END {printf "%d KiB accounted in %d objects", s["storefront_edge_cache_bytes"] / 1024, s["storefront_edge_cache_objects"]}') (budget $((budget_mb * 1024)) KiB)"
kill "${pids[-1]}"; sleep 0.5
fi

nginx_run() {
  local name=$1 tmpfs=${2:-}
  port=$(free_port); start_nginx "$port" "$tmpfs"; wait_up "$port"
  # Sample how many objects nginx really holds while the Zipf run goes on.
  ( peak=0; while [ -d "$work/cache" ]; do n=$(find "$work/cache" -type f 2>/dev/null | wc -l); [ "$n" -gt "$peak" ] && peak=$n && echo "$peak" > "$work/nginx-peak"; sleep 1; done ) &
  sampler=$!
  run "$name" "$port"
  kill "$sampler" 2>/dev/null || true
  echo "$name held at most $(cat "$work/nginx-peak" 2>/dev/null || echo '?') cached files during the run"
  echo "$name cache on disk after the run: $(du -sk "$work/cache" | cut -f1) KiB in $(find "$work/cache" -type f | wc -l) files (budget $((budget_mb * 1024)) KiB)"
  nginx -c "$work/nginx.conf" -s stop; sleep 0.5
  [ -n "$tmpfs" ] && umount -l "$work/cache"
  rm -f "$work/nginx-peak" "$work/nginx.pid"
}

wanted nginx && nginx_run nginx
if wanted nginx-tmpfs; then
  if [ "$(id -u)" = 0 ]; then nginx_run nginx-tmpfs tmpfs; else echo "nginx-tmpfs skipped: mounting a tmpfs needs root"; fi
fi

if wanted varnish; then
port=$(free_port); start_varnish "$port"; wait_up "$port"
run varnish "$port"
kill "${pids[-1]}"; sleep 0.5
fi

echo
echo "machine: $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'); nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(varnishd -V 2>&1 | head -1)"
printf '%-11s %-14s %-16s %-14s %-14s %-12s %-12s\n' cache "hit (X-Cache)" "hit (origins)" "hit (steady)" "origin req/s" "hot req/s" "hot p99 ms"
for row in "${results[@]}"; do
  IFS='|' read -r name summary hot_result <<< "$row"
  xcache=$(echo "$summary" | grep -oP 'from X-Cache \K[0-9.]+%')
  origins=$(echo "$summary" | grep -oP 'as the origins observed it \K[0-9.]+%')
  steady=$(echo "$summary" | grep -oP 's of warm-up \K[0-9.]+%')
  origin_rate=$(echo "$summary" | grep -oP 'reached the origins, \K[0-9]+(?= req/s)')
  printf '%-11s %-14s %-16s %-14s %-14s %-12s %-12s\n' "$name" "$xcache" "$origins" "$steady" "$origin_rate" $hot_result
done
