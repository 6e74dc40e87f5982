#!/usr/bin/env bash
# Starts (or stops) the servers examples/bridge talks to, on loopback, in a
# scratch dir: mosquitto (MQTT), PostgreSQL, Redis, nats-server with
# JetStream, and a Kafka broker (librdkafka's mock cluster: Debian ships no
# Kafka). Then seeds them: a table of orders, customers in Redis, the
# JetStream stream. Writes the addresses to $RUN/env for the spec.
#
#   examples/bridge/servers.sh up [BUILD_DIR]    # BUILD_DIR default: build
#   source /tmp/junction-bridge/env && build/junction run examples/bridge/junction.yaml
#   examples/bridge/servers.sh publish           # a few MQTT device orders
#   examples/bridge/servers.sh down
set -euo pipefail

RUN=${JUNCTION_BRIDGE_DIR:-/tmp/junction-bridge}
MQTT_PORT=18830 PG_PORT=15432 REDIS_PORT=16379 NATS_PORT=14222
BUILD=$(cd "${2:-build}" 2>/dev/null && pwd || true)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
wait_port() {
  for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on port $1" >&2
  return 1
}

up() {
  [ -x "$BUILD/junction_kafka_mock" ] || { echo "build first: make build (needs $BUILD/junction_kafka_mock)" >&2; exit 1; }
  mkdir -p "$RUN"/{mqtt,pg,nats,redis}

  cat > "$RUN/mqtt/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $RUN/mqtt/
user $(id -un)
log_dest file $RUN/mqtt/mosquitto.log
CONF
  mosquitto -d -c "$RUN/mqtt/mosquitto.conf" </dev/null >/dev/null 2>&1

  if [ ! -f "$RUN/pg/data/PG_VERSION" ]; then
    [ "$(id -u)" -ne 0 ] || chown postgres "$RUN/pg"
    as_postgres "$PGBIN/initdb" -D "$RUN/pg/data" -U postgres --auth=trust >/dev/null
  fi
  as_postgres "$PGBIN/pg_ctl" -D "$RUN/pg/data" -l "$RUN/pg/log" -w \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$RUN/pg" start >/dev/null

  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN/redis" --daemonize yes \
    --pidfile "$RUN/redis/pid" --logfile "$RUN/redis/log" --save '' </dev/null >/dev/null 2>&1
  nohup nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$RUN/nats" </dev/null >"$RUN/nats/log" 2>&1 &
  echo $! > "$RUN/nats/pid"
  # The mock broker lives as long as its stdin: a fifo held open by sleep.
  rm -f "$RUN/kafka.in" && mkfifo "$RUN/kafka.in"
  nohup sleep infinity </dev/null >"$RUN/kafka.in" 2>/dev/null &
  echo $! > "$RUN/kafka.hold"
  nohup "$BUILD/junction_kafka_mock" --brokers 1 < "$RUN/kafka.in" > "$RUN/kafka.out" 2>/dev/null &
  echo $! > "$RUN/kafka.pid"
  for _ in $(seq 1 50); do [ -s "$RUN/kafka.out" ] && break; sleep 0.1; done

  wait_port $MQTT_PORT && wait_port $PG_PORT && wait_port $REDIS_PORT && wait_port $NATS_PORT
  seed
  cat > "$RUN/env" <<ENV
export BRIDGE_MQTT_PORT=$MQTT_PORT
export BRIDGE_PG_DSN="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export BRIDGE_REDIS_PORT=$REDIS_PORT
export BRIDGE_NATS_URL="nats://127.0.0.1:$NATS_PORT"
export BRIDGE_KAFKA_BROKERS="$(head -1 "$RUN/kafka.out")"
ENV
  echo "servers up; now: source $RUN/env && $BUILD/junction run examples/bridge/junction.yaml"
}

seed() {
  PGPASSWORD= psql -q -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres <<'SQL'
CREATE TABLE IF NOT EXISTS orders (
  id bigserial PRIMARY KEY, customer_id text NOT NULL, total_cents int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO orders (customer_id, total_cents)
  SELECT 'c-' || (g % 3), g * 250 FROM generate_series(1, 5) g
  WHERE NOT EXISTS (SELECT 1 FROM orders);
SQL
  for c in 0 1 2; do
    redis-cli -p $REDIS_PORT HSET "customer:c-$c" name "Customer $c" tier "$([ $c = 0 ] && echo gold || echo silver)" >/dev/null
  done
}

publish() {
  for i in 1 2 3; do echo "{\"device\":\"d-$i\",\"customer_id\":\"c-$((i % 3))\",\"total_cents\":$((i * 100))}"; done |
    "$BUILD/junction_mqtt_tool" pub --port $MQTT_PORT --topic devices/d-1/orders --qos 1
}

down() {
  [ -f "$RUN/mqtt/mosquitto.log" ] && pkill -f "mosquitto -d -c $RUN/mqtt/mosquitto.conf" || true
  [ -d "$RUN/pg/data" ] && as_postgres "$PGBIN/pg_ctl" -D "$RUN/pg/data" -m fast stop >/dev/null 2>&1 || true
  [ -f "$RUN/redis/pid" ] && kill "$(cat "$RUN/redis/pid")" 2>/dev/null || true
  for f in nats/pid kafka.pid kafka.hold; do [ -f "$RUN/$f" ] && kill "$(cat "$RUN/$f")" 2>/dev/null || true; done
  echo "servers down (data kept in $RUN; rm -rf it to start afresh)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  publish) publish ;;
  *) echo "usage: $0 up [BUILD_DIR] | publish | down" >&2; exit 64 ;;
esac
