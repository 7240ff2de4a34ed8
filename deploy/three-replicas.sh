#!/usr/bin/env bash
# Three qianxian replicas on one PostgreSQL database behind HAProxy, on this machine:
#   bash deploy/three-replicas.sh          # start; GraphQL on http://127.0.0.1:8080/graphql
#   bash deploy/three-replicas.sh stop     # stop everything it started
# Needs PostgreSQL (QX_PG, default postgres://postgres@127.0.0.1:5432) and HAProxy
# (apt-get install haproxy). Replicas: 127.0.0.1:8081-8083, each with its own data folder
# (its search index) under target/cluster/; logs in target/cluster/r*.log.
set -euo pipefail
cd "$(dirname "$0")/.."
run=target/cluster
pg=${QX_PG:-postgres://postgres@127.0.0.1:5432}
db=${QX_DB:-qianxian_cluster}

stop() {
  for pid in "$run"/*.pid; do
    [ -e "$pid" ] || continue
    kill "$(cat "$pid")" 2>/dev/null || true
    rm -f "$pid"
  done
}

if [ "${1:-start}" = stop ]; then
  stop
  exit 0
fi

command -v haproxy >/dev/null || { echo "haproxy is not installed: apt-get install haproxy" >&2; exit 1; }
cargo build --release --quiet
mkdir -p "$run"
if ! psql "$pg/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql -q "$pg/postgres" -c "CREATE DATABASE \"$db\""
fi
# Started together on purpose: migrations and demo data are applied once, under locks.
for i in 1 2 3; do
  QIANXIAN__DATABASE__URL="$pg/$db" \
  QIANXIAN__DATA_DIR="$run/r$i" \
  QIANXIAN__SERVER__LISTEN="127.0.0.1:808$i" \
  QIANXIAN__SERVER__TRUSTED_PROXIES='["127.0.0.1"]' \
    ./target/release/qianxian serve >"$run/r$i.log" 2>&1 &
  echo $! >"$run/r$i.pid"
done
haproxy -f deploy/haproxy.cfg -D -p "$run/haproxy.pid"
for _ in $(seq 1 120); do
  # Ready replicas, and HAProxy's health checks have seen one (rise 2, every 2 s).
  if curl -fs http://127.0.0.1:8081/readyz >/dev/null && curl -fs http://127.0.0.1:8082/readyz >/dev/null \
     && curl -fs http://127.0.0.1:8083/readyz >/dev/null && curl -fs http://127.0.0.1:8080/readyz >/dev/null; then
    echo "three replicas ready behind http://127.0.0.1:8080/graphql (stop: bash deploy/three-replicas.sh stop)"
    exit 0
  fi
  sleep 1
done
echo "replicas did not become ready; see $run/r*.log" >&2
stop
exit 1
