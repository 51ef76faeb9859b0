# Shared by the benchmark scripts (sourced): a scratch directory cleaned up on exit, free loopback ports,
# and the nginx cache `location` every side-by-side nginx uses, so the runs cannot drift apart.

# Scratch directory; nginx workers (www-data) write their cache here. On exit: the processes in `pids`
# are killed, nginx (if started from $work/nginx.conf) stopped, a tmpfs on $work/cache unmounted.
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
  sleep 0.5
  mountpoint -q "$work/cache" 2>/dev/null && umount -l "$work/cache"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx as a cache the way its documentation recommends: proxy_cache with proxy_cache_lock and
# use_stale updating, keep-alive connections to the `origins` upstream, X-Cache from the cache status.
nginx_cache_location() {
  cat <<'EOF'
        location / {
            proxy_cache edge;
            proxy_cache_lock on;
            proxy_cache_use_stale updating;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_pass http://origins;
            add_header X-Cache $upstream_cache_status;
        }
EOF
}
