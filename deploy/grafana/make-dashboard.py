#!/usr/bin/env python3
"""Writes storefront.json, the Grafana dashboard for the edge and origin metrics.

Edit the panel list here and run `python3 deploy/grafana/make-dashboard.py`; the JSON is committed so it
can be imported as is (Dashboards > Import, or a provisioning folder). Datasource: a Prometheus
datasource chosen at import (`${DS_PROMETHEUS}`).
"""
import json
import os

DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}


def panel(pid, title, exprs, x, y, w=12, h=8, unit="short", kind="timeseries", legend=None, description=""):
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "mean"]}},
        "targets": [
            {"refId": chr(65 + i), "datasource": DS, "expr": expr, "legendFormat": (legend or [""] * len(exprs))[i]}
            for i, expr in enumerate(exprs)
        ],
    }


TENANT = 'tenant=~"$tenant"'
panels = [
    panel(1, "Edge hit ratio per tenant (5 min)", [
        f'sum by (tenant) (rate(storefront_edge_requests_total{{cache=~"HIT|COALESCED|STALE",{TENANT}}}[5m]))'
        f' / sum by (tenant) (rate(storefront_edge_requests_total{{cache!="PASS",{TENANT}}}[5m]))'
    ], 0, 0, unit="percentunit", legend=["{{tenant}}"],
        description="Hits (incl. coalesced and stale) over cacheable requests; PASS is excluded. Target: 94%."),
    panel(2, "Edge requests/s by cache result", [
        f'sum by (cache) (rate(storefront_edge_requests_total{{{TENANT}}}[1m]))'
    ], 12, 0, unit="reqps", legend=["{{cache}}"]),
    panel(3, "Edge latency p99 by cache result", [
        'histogram_quantile(0.99, sum by (le, cache) (rate(storefront_edge_request_duration_seconds_bucket[5m])))'
    ], 0, 8, unit="s", legend=["{{cache}}"]),
    panel(4, "Origin fetch latency p50/p99 (seen by the edge)", [
        'histogram_quantile(0.5, sum by (le) (rate(storefront_edge_origin_duration_seconds_bucket[5m])))',
        'histogram_quantile(0.99, sum by (le) (rate(storefront_edge_origin_duration_seconds_bucket[5m])))',
    ], 12, 8, unit="s", legend=["p50", "p99"]),
    panel(5, "Edge responses/s by tenant and status class", [
        f'sum by (tenant, status) (rate(storefront_edge_responses_total{{{TENANT}}}[1m]))'
    ], 0, 16, unit="reqps", legend=["{{tenant}} {{status}}"]),
    panel(6, "Origin pool: usable and outstanding", [
        'sum(storefront_edge_origin_up)', 'sum by (origin) (storefront_edge_origin_outstanding)',
    ], 12, 16, legend=["usable origins", "outstanding {{origin}}"]),
    panel(7, "Origin load: requests/s per origin instance (from the edges)", [
        'sum by (origin) (rate(storefront_edge_origin_requests_total[1m]))'
    ], 0, 24, unit="reqps", legend=["{{origin}}"]),
    panel(8, "Cache bytes per tenant", [f'sum by (tenant) (storefront_edge_cache_bytes{{{TENANT}}})'], 12, 24,
          unit="bytes", legend=["{{tenant}}"]),
    panel(9, "Evictions and purges/s per tenant", [
        f'sum by (tenant) (rate(storefront_edge_cache_evictions_total{{{TENANT}}}[5m]))',
        f'sum by (tenant) (rate(storefront_edge_cache_purged_total{{{TENANT}}}[5m]))',
    ], 0, 32, unit="ops", legend=["evicted {{tenant}}", "purged {{tenant}}"]),
    panel(10, "Purge propagation p99 (origin publish to edge applied)", [
        'histogram_quantile(0.99, sum by (le) (rate(storefront_edge_purge_propagation_seconds_bucket[5m])))'
    ], 12, 32, unit="s", legend=["p99"], description="Target: under 50 ms."),
    panel(11, "Origin request latency p99 by route", [
        'histogram_quantile(0.99, sum by (le, http_route) (rate(http_server_request_duration_bucket[5m])))'
    ], 0, 40, unit="s", legend=["{{http_route}}"]),
    panel(12, "Database query latency p95 by pool", [
        'histogram_quantile(0.95, sum by (le, pool) (rate(storefront_db_query_duration_seconds_bucket[5m])))'
    ], 12, 40, unit="s", legend=["{{pool}}"], description="Reference: 12 ms."),
    panel(13, "Replica lag", ['max(storefront_replica_lag_seconds)', 'max(storefront_replica_lag_bytes)'], 0, 48,
          legend=["seconds", "bytes"]),
    panel(14, "Origin Redis cache: hits, misses, errors per second", [
        'sum(rate(storefront_redis_hits_total[1m]))', 'sum(rate(storefront_redis_misses_total[1m]))',
        'sum(rate(storefront_redis_errors_total[1m]))',
    ], 12, 48, unit="ops", legend=["hits", "misses", "errors"]),
    panel(15, "Foreign-tenant responses dropped (should stay 0)", [
        'sum by (tenant) (increase(storefront_edge_foreign_tenant_responses_total[1h]))'
    ], 0, 56, legend=["{{tenant}}"]),
    panel(16, "Product pages reaching the origins per tenant (misses and passes)", [
        f'sum by (tenant) (rate(storefront_origin_product_pages_total{{{TENANT}}}[1m]))'
    ], 12, 56, unit="reqps", legend=["{{tenant}}"],
          description="The origins' side of the hit ratio: what the edges did not answer from their caches."),
]

dashboard = {
    "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource", "pluginId": "prometheus"}],
    "title": "Storefront Edge",
    "uid": "storefront-edge",
    "schemaVersion": 39,
    "version": 1,
    "refresh": "10s",
    "time": {"from": "now-1h", "to": "now"},
    "tags": ["storefront"],
    "templating": {"list": [{
        "name": "tenant", "label": "tenant", "type": "query", "datasource": DS,
        "query": "label_values(storefront_edge_requests_total, tenant)",
        "includeAll": True, "multi": True, "allValue": ".*", "current": {"text": "All", "value": "$__all"},
        "refresh": 2,
    }]},
    "panels": panels,
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "storefront.json")
with open(path, "w") as out:
    json.dump(dashboard, out, indent=2)
    out.write("\n")
print(path)
