#!/usr/bin/env bash
# The hot hit path, side by side: our edge and nginx proxy_cache (Debian package) serving the same cached
# product page of the dev stack over TLS, on this machine. `deploy/dev up` first (release build).
#
#   benchmarks/hit-path.sh [rounds] [seconds] [connections]
#
# nginx gets the dev stack's certificate for the first demo domain, the same two origins (keep-alive
# upstreams), proxy_cache with proxy_cache_lock and use_stale updating, one worker per core
# (`worker_processes auto`) like the edge's one event loop per core, and a buffered JSON access log exactly
# when the edge writes one (its default; `EDGE_ACCESS_LOG=off deploy/dev up`: neither). Rounds alternate
# edge and nginx, each a
# `wrk -t2 -c<connections> -d<seconds>s --latency` over TLS HTTP/1.1 keep-alive, plus `h2load` over HTTP/2.
# Also measured: server CPU time per request (from /proc, all worker processes/threads), which is much less
# sensitive to a noisy neighbour than requests/s. Prints every run and the medians and ratios (ours / nginx).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-5}
seconds=${2:-8}
connections=${3:-64}
state=$root/.state
domain=${DOMAIN:-alpine-outfitters.test}
path=${TARGET_PATH:-/products/product-1}
edge_port=${EDGE_HTTPS_PORT:-8443}
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v bc >/dev/null || missing+=(bc)
if [ ${#missing[@]} -gt 0 ]; then apt-get install -y -qq "${missing[@]}" >/dev/null; fi
[ -f "$state/edge.pid" ] && kill -0 "$(cat "$state/edge.pid")" 2>/dev/null || { echo "run deploy/dev up first" >&2; exit 1; }

source "$root/benchmarks/lib.sh"
nginx_port=$(free_port)
url() { echo "https://$domain:$1$path"; }
# Is the edge writing its access log (the default; `EDGE_ACCESS_LOG=off deploy/dev up` turns it off)?
log_size() { stat -c %s "$state/edge.log" 2>/dev/null || echo 0; }
before_log=$(log_size); curl -fsS -o /dev/null --cacert "$state/certs/ca.crt" --resolve "$domain:$edge_port:127.0.0.1" "$(url "$edge_port")"; sleep 0.4
edge_access_log=$([ "$(log_size)" -gt "$before_log" ] && echo on || echo off)
# nginx logs when the edge does: one JSON line per request, buffered like the edge's (32 KiB, 200 ms).
if [ "$edge_access_log" = on ]; then
  nginx_log="log_format edge escape=json '{\"ts\":\"\$msec\",\"host\":\"\$host\",\"method\":\"\$request_method\",\"path\":\"\$request_uri\",\"status\":\$status,\"cache\":\"\$upstream_cache_status\",\"ms\":\$request_time,\"bytes\":\$body_bytes_sent}'; access_log $work/access.log edge buffer=32k flush=200ms;"
else
  nginx_log="access_log off;"
fi
cat > "$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 4096; }
http {
    $nginx_log
    proxy_cache_path $work/cache keys_zone=edge:64m max_size=256m;
    upstream origins { server 127.0.0.1:8081; server 127.0.0.1:8082; keepalive 64; }
    server {
        listen 127.0.0.1:$nginx_port ssl;
        http2 on;
        server_name $domain;
        ssl_certificate $state/certs/$domain/tls.crt;
        ssl_certificate_key $state/certs/$domain/tls.key;
$(nginx_cache_location)
    }
}
EOF
# nginx 1.22 (Debian 12) has no `http2 on;`: use the listen parameter there.
if ! nginx -t -c "$work/nginx.conf" >/dev/null 2>&1; then
  sed -i -e '/http2 on;/d' -e "s/listen 127.0.0.1:$nginx_port ssl;/listen 127.0.0.1:$nginx_port ssl http2;/" "$work/nginx.conf"
fi
nginx -c "$work/nginx.conf"

# Varnish behind hitch (TLS and ALPN h2 in front, PROXY protocol to Varnish) when both are installed:
# Varnish's own recommendation for TLS. malloc storage, HTTP/2 enabled, the same two origins.
varnish_port=""
if command -v varnishd >/dev/null && command -v hitch >/dev/null; then
  varnish_port=$(free_port)
  backend_port=$(free_port)
  printf '%s\n' 'vcl 4.1;' 'import directors;' \
    'backend o1 { .host = "127.0.0.1"; .port = "8081"; }' 'backend o2 { .host = "127.0.0.1"; .port = "8082"; }' \
    'sub vcl_init { new origins = directors.round_robin(); origins.add_backend(o1); origins.add_backend(o2); }' \
    'sub vcl_recv { set req.backend_hint = origins.backend(); }' > "$work/default.vcl"
  mkdir -p "$work/varnish"
  varnishd -F -a "127.0.0.1:$backend_port,PROXY" -f "$work/default.vcl" -s malloc,256m -n "$work/varnish" \
    -p feature=+http2 > "$work/varnish.log" 2>&1 &
  pids+=($!)
  cat "$state/certs/$domain/tls.crt" "$state/certs/$domain/tls.key" > "$work/hitch.pem"
  printf '%s\n' "frontend = \"[127.0.0.1]:$varnish_port\"" "backend = \"[127.0.0.1]:$backend_port\"" \
    "pem-file = \"$work/hitch.pem\"" 'alpn-protos = "h2, http/1.1"' 'write-proxy-v2 = on' \
    "workers = $(nproc)" 'daemon = off' 'user = "nobody"' > "$work/hitch.conf"
  hitch --config="$work/hitch.conf" > "$work/hitch.log" 2>&1 &
  pids+=($!)
  sleep 1
fi
sleep 0.5

for port in "$edge_port" "$nginx_port" $varnish_port; do
  for _ in 1 2 3; do curl -fsS -o /dev/null --cacert "$state/certs/ca.crt" --resolve "$domain:$port:127.0.0.1" "$(url "$port")"; done
done
edge_pids=$(cat "$state/edge.pid")
nginx_pids=$(pgrep -f "nginx: worker process" -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')
cpu_ticks() { local t=0; for p in $1; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$t"; }
hz=$(getconf CLK_TCK)
lua=$work/host.lua
echo "wrk.headers[\"Host\"] = \"$domain\"" > "$lua"

# One wrk run: prints "rps p99_ms cpu_us_per_request".
run_wrk() {
  local port=$1 pids=$2 before after out rps p99 total
  before=$(cpu_ticks "$pids")
  # wrk connects to 127.0.0.1 but sends SNI and Host for the storefront domain via the URL: resolve it.
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$lua" "https://$domain:$port$path" 2>&1)
  after=$(cpu_ticks "$pids")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
  echo "$rps $p99 $(echo "scale=2; ($after - $before) * 1000000 / $hz / $total" | bc)"
}

# One h2load HTTP/2 run (64 connections, 10 streams each): prints "rps".
run_h2() {
  h2load -n 200000 -c "$connections" -m 10 -t 2 --connect-to="127.0.0.1:$1" "$(url "$1")" 2>&1 |
    awk '/^finished in/ {gsub(",",""); print $4}'
}

grep -q " $domain\$" /etc/hosts || echo "127.0.0.1 $domain" >> /etc/hosts
declare -a e_rps e_p99 e_cpu n_rps n_p99 n_cpu e_h2 n_h2 v_rps v_p99 v_cpu v_h2
varnish_pids=""
if [ -n "$varnish_port" ]; then
  varnish_pids="$(pgrep -f "varnishd.*$work/varnish" | tr '\n' ' ') $(pgrep -f "hitch --config=$work/hitch.conf" | tr '\n' ' ')"
fi
echo "round  server  req/s  p99(ms)  cpu(us/req)  h2 req/s"
for r in $(seq 1 "$rounds"); do
  read -r a b c < <(run_wrk "$edge_port" "$edge_pids"); e_rps+=("$a"); e_p99+=("$b"); e_cpu+=("$c")
  h=$(run_h2 "$edge_port"); e_h2+=("$h")
  echo "$r      edge    $a  $b  $c  $h"
  read -r a b c < <(run_wrk "$nginx_port" "$nginx_pids"); n_rps+=("$a"); n_p99+=("$b"); n_cpu+=("$c")
  h=$(run_h2 "$nginx_port"); n_h2+=("$h")
  echo "$r      nginx   $a  $b  $c  $h"
  if [ -n "$varnish_port" ]; then
    read -r a b c < <(run_wrk "$varnish_port" "$varnish_pids"); v_rps+=("$a"); v_p99+=("$b"); v_cpu+=("$c")
    h=$(run_h2 "$varnish_port"); v_h2+=("$h")
    echo "$r      varnish $a  $b  $c  $h"
  fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
me=$(median "${e_rps[@]}"); mn=$(median "${n_rps[@]}")
pe=$(median "${e_p99[@]}"); pn=$(median "${n_p99[@]}")
ce=$(median "${e_cpu[@]}"); cn=$(median "${n_cpu[@]}")
he=$(median "${e_h2[@]}"); hn=$(median "${n_h2[@]}")
echo
echo "medians over $rounds rounds (TLS, HTTP/1.1 keep-alive, wrk -t2 -c$connections -d${seconds}s; HTTP/2 h2load -c$connections -m10):"
echo "  edge : $me req/s, p99 $pe ms, $ce us CPU/request, HTTP/2 $he req/s"
echo "  nginx: $mn req/s, p99 $pn ms, $cn us CPU/request, HTTP/2 $hn req/s"
if [ -n "$varnish_port" ]; then
  mv=$(median "${v_rps[@]}"); pv=$(median "${v_p99[@]}"); cv=$(median "${v_cpu[@]}"); hv=$(median "${v_h2[@]}")
  echo "  varnish+hitch: $mv req/s, p99 $pv ms, $cv us CPU/request, HTTP/2 $hv req/s"
  echo "  ours/varnish: req/s $(echo "scale=2; $me / $mv" | bc), p99 $(echo "scale=2; $pe / $pv" | bc), CPU/request $(echo "scale=2; $ce / $cv" | bc), HTTP/2 req/s $(echo "scale=2; $he / $hv" | bc)"
fi
echo "  ours/nginx: req/s $(echo "scale=2; $me / $mn" | bc), p99 $(echo "scale=2; $pe / $pn" | bc) (lower is better), CPU/request $(echo "scale=2; $ce / $cn" | bc) (lower is better), HTTP/2 req/s $(echo "scale=2; $he / $hn" | bc)"
echo "access log: edge $edge_access_log, nginx $edge_access_log (both log every request when the edge does; EDGE_ACCESS_LOG=off deploy/dev up for neither)"
echo "machine: $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r); nginx $(nginx -v 2>&1 | sed 's/.*\///')"
