#!/usr/bin/env bash
# The storefront hot path and miss path, side by side with nginx on the same core: the benchmark the
# edge's changes are measured with.
#
#   benchmarks/many-pages.sh [rounds] [seconds]
#
# Workload (benchmarks/pages/make-workload.py, made once under $BENCH_WORKLOAD): 6 tenants x 20,000
# product pages of 8-30 KB, Zipf (exponent 0.95) requests with `Accept-Encoding: gzip, br`.
# Synthetic origin: nginx serving the pages as static files on the other core (tenant from Host, stamped
# in X-Storefront-Tenant, `Cache-Control: public, max-age=60, s-maxage=86400`, ETag); the script measures
# it alone first so it is seen not to be the bottleneck.
# Under test, one at a time and cold each round, pinned to core $SERVER_CPU with one event loop / worker:
# each edge binary of EDGES ("name=path ...", default the release build) with --threads 1 and no access
# log, and nginx proxy_cache (1 worker, cache on a tmpfs like the edge's memory, proxy_cache_lock,
# keep-alive upstream, no access log). Clients and origin run on core $CLIENT_CPU. Each round and server:
#   fill   every page once (120,000 misses), 64 connections: seconds (the miss path)
#   h1     wrk -c64 plain HTTP/1.1, Zipf over all tenants' pages: requests/s and p99
#   tls    wrk -c64 TLS HTTP/1.1, Zipf over the first tenant's pages (one SNI name per client)
#   h2     h2load -c32 -m10 TLS HTTP/2, same URLs as tls
# Each hot run also reports the server's CPU time per request (utime + stime from /proc over the run, in
# µs), much less sensitive to a noisy neighbour than requests/s.
# Prints every run, the medians, and the ratios to nginx (fill: nginx's time / ours, so above 1 is
# faster) and between the first two edges when EDGES names two.
# Environment: WITH_NGINX=0 leaves nginx out (an A/B of two edges only); ALTERNATE=1 reverses the order of the
# servers every other round (so that neither edge always runs first).
set -euo pipefail
ulimit -n "$(ulimit -Hn)"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-5}
seconds=${2:-10}
here=$root/benchmarks/pages
workload=${BENCH_WORKLOAD:-/var/tmp/storefront-edge-pages}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
edges=${EDGES:-"edge=$root/.build/release/edge"}
tenant_count=6
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v bc >/dev/null || missing+=(bc)
if [ ${#missing[@]} -gt 0 ]; then apt-get install -y -qq "${missing[@]}" >/dev/null; fi
for spec in $edges; do [ -x "${spec#*=}" ] || { echo "no edge binary at ${spec#*=} (swift build -c release)" >&2; exit 1; }; done

source "$root/benchmarks/lib.sh"
echo "workload: $workload (made once)"
python3 "$here/make-workload.py" "$workload" "$tenant_count" 20000 0.95 42
domains=()
for i in $(seq 1 "$tenant_count"); do domains+=("shop$i.bench.test"); done
"$root/deploy/certs.sh" "$workload/certs" "${domains[@]}"
for d in "${domains[@]}"; do grep -q " $d\$" /etc/hosts || echo "127.0.0.1 $d" >> /etc/hosts; done
ca=$workload/certs/ca.crt

# The synthetic origin: static pages, tenant from Host, pinned to the clients' core.
origin_port=$(free_port)
{
  echo "worker_processes 1; worker_rlimit_nofile 16384; pid $work/origin.pid; error_log $work/origin-error.log warn;"
  echo "events { worker_connections 4096; }"
  echo "http { access_log off; sendfile on; tcp_nopush on; default_type text/html;"
  echo "  map \$host \$tenant { default \"\";"
  for i in $(seq 1 "$tenant_count"); do echo "    shop$i.bench.test shop$i;"; done
  echo "  }"
  echo "  server { listen 127.0.0.1:$origin_port; keepalive_requests 1000000; root $workload/pages;"
  echo "    location = /health { return 200 \"ok\\n\"; }"
  echo "    location /products/ { if (\$tenant = \"\") { return 421; }"
  echo "      rewrite ^/products/(p-[0-9]+)\$ /\$1.html break; add_header Cache-Control \"public, max-age=60, s-maxage=86400\"; add_header X-Storefront-Tenant \$tenant; }"
  echo "  } }"
} > "$work/origin.conf"
taskset -c "$client_cpu" nginx -c "$work/origin.conf"
sleep 0.3
pids+=("$(cat "$work/origin.pid")")

printf '{"tenants":[' > "$work/tenants.json"
for i in $(seq 1 "$tenant_count"); do
  [ "$i" -gt 1 ] && printf ',' >> "$work/tenants.json"
  printf '{"domain":"shop%s.bench.test","tenantId":"shop%s","edge":{"plainHTTP":true}}' "$i" "$i" >> "$work/tenants.json"
done
printf ']}\n' >> "$work/tenants.json"
first=${domains[0]}
awk -v d="$first" 'NR==1 {print "https://" d $0; next} {print}' "$workload/zipf-one.txt" > "$work/h2-uris.txt"

# Waits until something answers HTTP on the port (a 404 for a page that does not exist stores nothing).
wait_http() {
  for _ in $(seq 1 100); do
    curl -s -o /dev/null -H "Host: $first" "http://127.0.0.1:$1/ready" && return 0
    sleep 0.1
  done
  echo "nothing answered on port $1 within 10 s" >&2; return 1
}
run_on_clients() { taskset -c "$client_cpu" "$@"; }
p99_ms() { awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}'; }

# The server's CPU time so far (utime + stime of the process and its children, in clock ticks).
server_ticks() { local t=0 p; for p in $(pgrep -P "$server_pid") "$server_pid"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
ticks_per_second=$(getconf CLK_TCK)
# µs of server CPU per request: ticks spent over requests served (req/s × run length).
cpu_us() { echo "scale=2; ($2 - $1) * 1000000 / $ticks_per_second / ($3 * $seconds)" | bc; }

# One wrk run over a request list: prints "req/s p99_ms cpu_us".
hot_wrk() {
  local url=$1 list=$2 out before rps
  before=$(server_ticks)
  out=$(run_on_clients wrk -t1 -c64 -d"${seconds}s" --latency -s "$here/requests.lua" "$url" -- "$list" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  echo "$rps $(echo "$out" | p99_ms) $(cpu_us "$before" "$(server_ticks)" "$rps")"
}

# One h2load run: prints "req/s p99_ms cpu_us" (p99 from the per-request log).
hot_h2() {
  local port=$1 out before rps
  before=$(server_ticks)
  out=$(run_on_clients h2load -c32 -m10 -t1 -D "$seconds" --connect-to="127.0.0.1:$port" \
    -H 'accept-encoding: gzip, br' -i "$work/h2-uris.txt" --log-file="$work/h2.log" 2>&1)
  rps=$(echo "$out" | awk '/^finished in/ {gsub(",",""); print $4}')
  echo "$rps $(sort -n -k3 "$work/h2.log" | awk '{v[NR]=$3} END {print v[int(NR*0.99)]/1000}') $(cpu_us "$before" "$(server_ticks)" "$rps")"
}

echo "synthetic origin alone (port $origin_port, core $client_cpu): fill $(run_on_clients "$here/fill.py" "http://127.0.0.1:$origin_port/" "$workload/fill.txt" 64 | awk '{printf "%s s for %s pages (%.0f/s), %s not 200", $1, $2, $2/$1, $3}')"

server_pid=""
start_edge() {
  local binary=$1
  plain_port=$(free_port); tls_port=$(free_port)
  # The load comes from one address: no per-client rate limit (an environment variable, so that builds
  # from before the flag existed start too).
  EDGE_RATE_PER_CLIENT=off taskset -c "$server_cpu" "$binary" --bind 127.0.0.1 --https-port "$tls_port" --http-port "$plain_port" \
    --origins "127.0.0.1:$origin_port" --tenants "$work/tenants.json" --cert-dir "$workload/certs" \
    --access-log off --threads 1 --cache-mb 4096 --admin-port 0 --redis off \
    --tenant-refresh 3600 --cert-reload 3600 > "$work/edge.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  wait_http "$plain_port"
}
start_nginx() {
  plain_port=$(free_port); tls_port=$(free_port)
  mkdir -p "$work/cache"; mountpoint -q "$work/cache" || mount -t tmpfs -o size=6g tmpfs "$work/cache"
  chmod 777 "$work/cache"
  {
    echo "worker_processes 1; worker_rlimit_nofile 16384; pid $work/nginx.pid; error_log $work/nginx-error.log warn;"
    echo "events { worker_connections 4096; }"
    # keepalive_requests also bounds HTTP/2 streams per connection (default 1000): h2load does not
    # reconnect after nginx's GOAWAY, and wrk would reconnect (a TLS handshake) every 1000 requests.
    echo "http { access_log off; keepalive_requests 100000000;"
    echo "  proxy_cache_path $work/cache levels=1:2 keys_zone=edge:64m max_size=5g inactive=1d use_temp_path=off;"
    echo "  upstream origins { server 127.0.0.1:$origin_port; keepalive 64; }"
    for d in "${domains[@]}"; do
      echo "  server { listen 127.0.0.1:$plain_port; listen 127.0.0.1:$tls_port ssl http2; server_name $d;"
      echo "    ssl_certificate $workload/certs/$d/tls.crt; ssl_certificate_key $workload/certs/$d/tls.key;"
      echo "    proxy_cache_key \$host\$request_uri;"
      nginx_cache_location
      echo "  }"
    done
    echo "}"
  } > "$work/nginx.conf"
  taskset -c "$server_cpu" nginx -c "$work/nginx.conf"
  sleep 0.3
  server_pid=$(cat "$work/nginx.pid")
  wait_http "$plain_port"
}
stop_server() {
  if [ -f "$work/nginx.pid" ]; then
    nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
    while [ -f "$work/nginx.pid" ]; do sleep 0.1; done
    umount -l "$work/cache"
  else
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
rss_mb() { local t=0; for p in $(pgrep -P "$server_pid") "$server_pid"; do t=$((t + $(awk '/VmRSS/ {print $2}' "/proc/$p/status"))); done; echo $((t / 1024)); }

# One cold server, measured: prints "fill_s rss_mb h1 h1p99 h1cpu tls tlsp99 tlscpu h2 h2p99 h2cpu".
measure() {
  local fill rss h1 tls h2
  fill=$(run_on_clients "$here/fill.py" "http://127.0.0.1:$plain_port/" "$workload/fill.txt" 64)
  [ "$(echo "$fill" | awk '{print $3}')" = 0 ] || echo "warning: $(echo "$fill" | awk '{print $3}') fill responses were not 200" >&2
  rss=$(rss_mb)
  h1=$(hot_wrk "http://127.0.0.1:$plain_port/" "$workload/zipf-all.txt")
  tls=$(hot_wrk "https://$first:$tls_port/" "$workload/zipf-one.txt")
  h2=$(hot_h2 "$tls_port")
  echo "$(echo "$fill" | awk '{print $1}') $rss $h1 $tls $h2"
}

with_nginx=${WITH_NGINX:-1}
servers=$edges; [ "$with_nginx" = 1 ] && servers="$servers nginx"
names=(); for spec in $servers; do names+=("${spec%%=*}"); done
declare -A results
steal_before=$(awk '/^cpu / {print $9}' /proc/stat)
echo
echo "round server        fill(s) rss(MB)  h1 req/s p99(ms) cpu(us)  tls req/s p99(ms) cpu(us)  h2 req/s p99(ms) cpu(us)"
for r in $(seq 1 "$rounds"); do
  order=$servers
  if [ "${ALTERNATE:-0}" = 1 ] && [ $((r % 2)) = 0 ]; then order=$(echo "$servers" | tr ' ' '\n' | tac | tr '\n' ' '); fi
  for spec in $order; do
    name=${spec%%=*}
    if [ "$spec" = nginx ]; then start_nginx; else start_edge "${spec#*=}"; fi
    line=$(measure)
    stop_server
    results[$name]+="$line"$'\n'
    printf '%-5s %-12s %s\n' "$r" "$name" "$line"
  done
done
steal=$(( $(awk '/^cpu / {print $9}' /proc/stat) - steal_before ))

median_col() { printf '%s' "${results[$1]}" | awk -v c="$2" 'NF {print $c}' | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ratio() { echo "scale=3; $1 / $2" | bc; }
echo
echo "medians over $rounds rounds ($seconds s hot runs; cpu: µs of server CPU per request):"
for name in "${names[@]}"; do
  printf '  %-12s fill %6s s  rss %5s MB  h1 %8s p99 %6s cpu %6s  tls %8s p99 %6s cpu %6s  h2 %8s p99 %6s cpu %6s\n' "$name" \
    "$(median_col "$name" 1)" "$(median_col "$name" 2)" "$(median_col "$name" 3)" "$(median_col "$name" 4)" "$(median_col "$name" 5)" \
    "$(median_col "$name" 6)" "$(median_col "$name" 7)" "$(median_col "$name" 8)" "$(median_col "$name" 9)" "$(median_col "$name" 10)" \
    "$(median_col "$name" 11)"
done
if [ "$with_nginx" = 1 ]; then
  echo "ratios to nginx (req/s ours/nginx; fill nginx time/ours, so > 1 means faster; p99 ours/nginx, < 1 means lower):"
  for name in "${names[@]}"; do
    [ "$name" = nginx ] && continue
    echo "  $name: h1 $(ratio "$(median_col "$name" 3)" "$(median_col nginx 3)") (p99 $(ratio "$(median_col "$name" 4)" "$(median_col nginx 4)")), tls h1 $(ratio "$(median_col "$name" 6)" "$(median_col nginx 6)") (p99 $(ratio "$(median_col "$name" 7)" "$(median_col nginx 7)")), h2 $(ratio "$(median_col "$name" 9)" "$(median_col nginx 9)") (p99 $(ratio "$(median_col "$name" 10)" "$(median_col nginx 10)")), fill $(ratio "$(median_col nginx 1)" "$(median_col "$name" 1)")"
  done
fi
if [ "$(echo "$edges" | wc -w)" -ge 2 ]; then
  a=${names[0]}; b=${names[1]}
  echo "  $b/$a req/s: h1 $(ratio "$(median_col "$b" 3)" "$(median_col "$a" 3)"), tls h1 $(ratio "$(median_col "$b" 6)" "$(median_col "$a" 6)"), h2 $(ratio "$(median_col "$b" 9)" "$(median_col "$a" 9)"), fill $(ratio "$(median_col "$a" 1)" "$(median_col "$b" 1)")"
  echo "  $b/$a CPU per request (< 1 is cheaper): h1 $(ratio "$(median_col "$b" 5)" "$(median_col "$a" 5)"), tls h1 $(ratio "$(median_col "$b" 8)" "$(median_col "$a" 8)"), h2 $(ratio "$(median_col "$b" 11)" "$(median_col "$a" 11)")"
fi
echo "machine: $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'); steal during the run: $((steal / $(getconf CLK_TCK))) s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); nginx $(nginx -v 2>&1 | sed 's/.*\///')"
