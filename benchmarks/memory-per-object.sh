#!/usr/bin/env bash
# Memory per cached object beyond its body: our edge and Varnish (malloc storage) in memory, nginx on disk.
# Each cache starts empty with room for everything, gets N distinct product pages of one demo tenant, then:
#   edge:    (RSS after − RSS before) / objects − body bytes
#   Varnish: (storage bytes in use / objects) − body bytes, and its RSS growth per object − body bytes
#   nginx:   disk bytes per cached file (bodies live in files; keys_zone holds ~128 B of key state each)
#
#   benchmarks/memory-per-object.sh [pages]        (`deploy/dev up` first; pages ≤ products seeded)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pages=${1:-20000}
state=$root/.state
bin=$(cd "$root" && swift build -c release --show-bin-path)
domain=alpine-outfitters.test
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
command -v varnishd >/dev/null || apt-get install -y -qq varnish >/dev/null
command -v nginx >/dev/null || apt-get install -y -qq nginx-light >/dev/null
"$bin/origin" seed --products "$pages" >/dev/null
source "$root/benchmarks/lib.sh"
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_up() { for _ in $(seq 1 100); do curl -fsS -o /dev/null 2>/dev/null -H "Host: $domain" "http://127.0.0.1:$1/products/product-1" && return 0; sleep 0.1; done; exit 1; }
cat > "$work/fill.lua" <<EOF
counter = 0
request = function()
  counter = counter + 1
  if counter > $pages then counter = 1 end
  return wrk.format("GET", "/products/product-" .. counter, {["Host"] = "$domain"})
end
EOF
# Every page at least once: one thread, so one counter; stop after 3 rounds' worth of time at most.
fill() { wrk -t1 -c8 -d"$(( pages / 500 + 10 ))s" -s "$work/fill.lua" "http://127.0.0.1:$1" >/dev/null; }
body=$(curl -fsS -H "Host: $domain" "http://127.0.0.1:8081/products/product-1" | wc -c)
echo "pages: $pages, body ≈ $body bytes"

# Edge
printf '{"tenants":[{"domain":"%s","tenantId":"alpine","edge":{"plainHTTP":true}}]}' "$domain" > "$work/tenants.json"
port=$(free_port); admin=$(free_port)
EDGE_RATE_PER_CLIENT=off "$bin/edge" --tenants "$work/tenants.json" --https-port "$(free_port)" --http-port "$port" --admin-port "$admin" --redis off \
  --access-log off --cache-mb 1024 --cert-dir "$state/certs" --origins 127.0.0.1:8081,127.0.0.1:8082 > "$work/edge.log" 2>&1 &
edge=$!; pids+=("$edge")
wait_up "$port"
before=$(rss_kib "$edge")
fill "$port"
after=$(rss_kib "$edge")
objects=$(curl -fsS "http://127.0.0.1:$admin/metrics" | awk '/^storefront_edge_cache_objects\{/ {s += $2} END {print s}')
echo "edge:    $objects objects, RSS +$(( after - before )) KiB → $(( (after - before) * 1024 / objects - body )) bytes per object beyond the body"
kill "$edge"

# Varnish
port=$(free_port)
cat > "$work/default.vcl" <<'EOF'
vcl 4.1;
backend o1 { .host = "127.0.0.1"; .port = "8081"; }
EOF
mkdir -p "$work/varnish"
varnishd -F -a "127.0.0.1:$port" -f "$work/default.vcl" -s malloc,1g -n "$work/varnish" > "$work/varnish.log" 2>&1 &
pids+=($!)
wait_up "$port"
child=$(pgrep -f "varnishd.*$work/varnish" | tail -1)
before=$(rss_kib "$child")
fill "$port"
after=$(rss_kib "$child")
stats=$(varnishstat -n "$work/varnish" -1 -f SMA.s0.g_bytes -f MAIN.n_object)
objects=$(echo "$stats" | awk '/MAIN.n_object/ {print $2}')
storage=$(echo "$stats" | awk '/SMA.s0.g_bytes/ {print $2}')
echo "varnish: $objects objects, storage $storage bytes → $(( storage / objects - body )) bytes per object beyond the body; RSS +$(( after - before )) KiB → $(( (after - before) * 1024 / objects - body )) bytes per object beyond the body"

# nginx
port=$(free_port)
cat > "$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    proxy_cache_path $work/cache keys_zone=edge:64m max_size=1g;
    server {
        listen 127.0.0.1:$port;
        location / { proxy_cache edge; proxy_set_header Host \$host; proxy_pass http://127.0.0.1:8081; }
    }
}
EOF
nginx -c "$work/nginx.conf"
wait_up "$port"
fill "$port"
files=$(find "$work/cache" -type f | wc -l)
echo "nginx:   $files files, $(du -sk "$work/cache" | cut -f1) KiB on disk → $(( $(du -sb "$work/cache" | cut -f1) / files - body )) bytes per file beyond the body (plus 4 KiB-block rounding on disk, and key state in keys_zone)"
