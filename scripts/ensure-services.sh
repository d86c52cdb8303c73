#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ answer on their local ports: starts them from docker-compose.yml when a Docker
# engine is available, otherwise the locally installed servers, otherwise says exactly what to start.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_HOST=${PGHOST:-127.0.0.1}
PG_PORT=${PGPORT:-5432}
AMQP_HOST=${AMQP_HOST:-127.0.0.1}
AMQP_PORT=${AMQP_PORT:-5672}

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() {
  local name=$1 host=$2 port=$3
  for _ in $(seq 1 60); do
    listening "$host" "$port" && return 0
    sleep 1
  done
  echo "$name did not come up on $host:$port within 60 s" >&2
  return 1
}

have_docker() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

start_postgres() {
  if have_docker; then
    docker compose up -d postgres
  elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  else
    echo "PostgreSQL is not listening on $PG_HOST:$PG_PORT. Start it (docker compose up -d postgres, or your" \
         "local server) and run this again." >&2
    return 1
  fi
}

start_rabbitmq() {
  if have_docker; then
    docker compose up -d rabbitmq
  elif command -v rabbitmq-server >/dev/null 2>&1; then
    rabbitmq-server -detached
  else
    echo "RabbitMQ is not listening on $AMQP_HOST:$AMQP_PORT. Start it (docker compose up -d rabbitmq, or your" \
         "local server) and run this again." >&2
    return 1
  fi
}

if ! listening "$PG_HOST" "$PG_PORT"; then
  echo "starting PostgreSQL" >&2
  start_postgres
  wait_for PostgreSQL "$PG_HOST" "$PG_PORT"
fi
if ! listening "$AMQP_HOST" "$AMQP_PORT"; then
  echo "starting RabbitMQ" >&2
  start_rabbitmq
  wait_for RabbitMQ "$AMQP_HOST" "$AMQP_PORT"
fi
# RabbitMQ opens its port before it accepts AMQP sessions; wait for the node itself where its CLI is here.
if command -v rabbitmqctl >/dev/null 2>&1 && ! have_docker; then
  rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1 || true
fi
echo "PostgreSQL on $PG_HOST:$PG_PORT and RabbitMQ on $AMQP_HOST:$AMQP_PORT are up" >&2
