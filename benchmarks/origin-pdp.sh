#!/usr/bin/env bash
# Origin product-page latency and database query latency under a steady load, against the real primary +
# streaming replica of the dev stack (`deploy/dev up` first). Release build, one origin, no edge cache:
# every request renders a page from a replica read.
#
#   benchmarks/origin-pdp.sh [seconds] [connections] [requests/s]
#
# Prints wrk's p50/p95/p99 for the pages and the p95 of the origin's database queries (primary and replica
# pools), computed from the difference of its /metrics histogram before and after the run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-30}
connections=${2:-16}
port=${ORIGIN_PORT:-8081}
admin=${ORIGIN_ADMIN_PORT:-$((port + 1000))}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }

metrics() { curl -fsS "http://127.0.0.1:$admin/metrics"; }
before=$(mktemp); after=$(mktemp)
metrics > "$before"
wrk -t2 -c"$connections" -d"${seconds}s" -s "$root/benchmarks/pdp.lua" "http://127.0.0.1:$port" | grep -E "requests:|latency p|Requests/sec"
metrics > "$after"
python3 - "$before" "$after" <<'PY'
import re, sys
def buckets(path):
    out = {}
    for line in open(path):
        m = re.match(r'storefront_db_query_duration_seconds_bucket\{(.*)\} (\d+)', line)
        if not m: continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        out[(labels.get("pool"), float(labels["le"]) if labels["le"] != "+Inf" else float("inf"))] = int(m.group(2))
    return out
b, a = buckets(sys.argv[1]), buckets(sys.argv[2])
for pool in ("replica", "primary"):
    rows = sorted((le, a[(p, le)] - b.get((p, le), 0)) for (p, le) in a if p == pool)
    total = rows[-1][1] if rows else 0
    if total == 0:
        print(f"db {pool}: no queries"); continue
    target = 0.95 * total
    previous_le, previous_count = 0.0, 0
    for le, count in rows:
        if count >= target:
            share = (target - previous_count) / max(1, count - previous_count)
            p95 = previous_le + share * (le - previous_le) if le != float("inf") else previous_le
            print(f"db {pool}: {total} queries, p95 {p95 * 1000:.2f} ms (bucket interpolation)")
            break
        previous_le, previous_count = le, count
PY
rm -f "$before" "$after"
