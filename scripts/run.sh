#!/usr/bin/env bash
# `make run`: databases, migrations, both services in the foreground (Ctrl-C stops both), a demo key and a curl.
set -euo pipefail
cd "$(dirname "$0")/.."

GATEWAY_JAR=gateway-service/target/gateway-service.jar
ANALYTICS_JAR=analytics-service/target/analytics-service.jar
GATEWAY_PORT=${GATEWAY_PORT:-8080}
GATEWAY_ADMIN_PORT=${GATEWAY_ADMIN_PORT:-8081}
ANALYTICS_ADMIN_PORT=${ANALYTICS_ADMIN_PORT:-8091}
PG_HOST=${PGHOST:-127.0.0.1}
PG_USER=${PGUSER:-postgres}

scripts/ensure-services.sh

create_db() {
  local name=$1
  if ! psql -h "$PG_HOST" -U "$PG_USER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    echo "creating database $name" >&2
    psql -h "$PG_HOST" -U "$PG_USER" -d postgres -qc "CREATE DATABASE $name"
  fi
}
# Only the default databases are created here; a database named by GATEWAY_DB_URL / ANALYTICS_DB_URL is the operator's.
[ -n "${GATEWAY_DB_URL:-}" ] || create_db gateway
[ -n "${ANALYTICS_DB_URL:-}" ] || create_db analytics

for svc in gateway analytics; do
  java -jar "$svc-service/target/$svc-service.jar" db migrate "config/$svc.yml" >.run-migrate.log 2>&1 \
    || { cat .run-migrate.log >&2; exit 1; }
  echo "$svc database migrated" >&2
done
rm -f .run-migrate.log

KEY=$(java -jar "$GATEWAY_JAR" keys create --user demo --name "make run demo" config/gateway.yml 2>/dev/null)

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo >&2
  echo "stopping services" >&2
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_all INT TERM EXIT

java -jar "$ANALYTICS_JAR" server config/analytics.yml &
pids+=($!)
java -jar "$GATEWAY_JAR" server config/gateway.yml &
pids+=($!)

for _ in $(seq 1 60); do
  if curl -fs "http://127.0.0.1:$GATEWAY_ADMIN_PORT/ping" >/dev/null 2>&1 \
      && curl -fs "http://127.0.0.1:$ANALYTICS_ADMIN_PORT/ping" >/dev/null 2>&1; then
    break
  fi
  sleep 1
done

cat <<MSG

  Gateway:   http://127.0.0.1:$GATEWAY_PORT   (admin http://127.0.0.1:$GATEWAY_ADMIN_PORT/healthcheck)
  Analytics: admin http://127.0.0.1:$ANALYTICS_ADMIN_PORT/healthcheck

  A demo key for user "demo" was created. Try:

  curl -s -i http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions \\
    -H "Authorization: Bearer $KEY" \\
    -H "Content-Type: application/json" \\
    -d '{"model":"mock-1","messages":[{"role":"user","content":"Hello, gateway!"}]}'

  then read the recorded request with the X-Request-Id it returns:

  curl -s http://127.0.0.1:$GATEWAY_PORT/v1/history/<X-Request-Id> -H "Authorization: Bearer $KEY"

  Ctrl-C stops both services.

MSG
wait -n "${pids[@]}" || true
