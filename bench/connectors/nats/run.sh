#!/usr/bin/env bash
# bench/connectors/nats: the throughput of a Junction bridge (nats input ->
# nats output: stream A -> stream B, each message acked on A only once B's
# JetStream acked its copy) against the same bridge written directly on
# libnats (junction_nats_bridge_bench --phase bridge: fetch a batch, publish
# it async, wait for the publish acks, ack the batch), in one run, on one
# nats-server. Both read the same N preloaded 1 KiB messages through their
# own durable consumer and are timed by the same poller (from the first to
# the N-th message acked on A). Prints both msg/s and the ratio.
#
# Usage: bench/connectors/nats/run.sh [BUILD_DIR]
#   COUNT=100000   messages preloaded into A
#   SIZE=1024      bytes per message
#   BATCH=100      fetch batch of both bridges
#   INPUT_EXTRA    more nats input fields for the Junction bridge, e.g.
#                  ", max_in_flight: 300"
#   BENCH_DIR=/tmp where the JetStream store goes
set -euo pipefail
cd "$(dirname "$0")/../../.."
BUILD=${1:-build}
JUNCTION=$BUILD/junction
TOOL=$BUILD/bench/junction_nats_bridge_bench
NATS_SERVER=${NATS_SERVER:-nats-server}
COUNT=${COUNT:-100000}
SIZE=${SIZE:-1024}
BATCH=${BATCH:-100}

for bin in "$JUNCTION" "$TOOL"; do
  [ -x "$bin" ] || { echo "$bin is missing: ninja -C $BUILD junction junction_nats_bridge_bench"; exit 1; }
done
command -v "$NATS_SERVER" >/dev/null || { echo "nats-server is missing"; exit 1; }

work=$(mktemp -d -p "${BENCH_DIR:-/tmp}" junction-bench-nats.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=nats://127.0.0.1:$port
"$NATS_SERVER" -js -a 127.0.0.1 -p "$port" -sd "$work/store" >"$work/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done

echo "preloading $COUNT messages of $SIZE B into stream A..." >&2
"$TOOL" --url "$url" --phase preload --count "$COUNT" --size "$SIZE"

# Direct libnats bridge.
"$TOOL" --url "$url" --phase wait --count "$COUNT" --durable direct --label "libnats direct" \
  >"$work/direct.json" &
waiter=$!
"$TOOL" --url "$url" --phase bridge --count "$COUNT" --durable direct --batch "$BATCH"
wait "$waiter"

# Junction bridge: the same work through a flow.
cat >"$work/junction.yaml" <<YAML
apiVersion: junction/v1
flows:
  bridge:
    input:
      nats: { url: $url, stream: A, subject: a.>, durable: junction, batch: $BATCH,
              format: raw${INPUT_EXTRA:-} }
    output:
      nats: { url: $url, subject: b.junction, format: raw }
YAML
"$TOOL" --url "$url" --phase wait --count "$COUNT" --durable junction --label junction \
  >"$work/junction.json" &
waiter=$!
"$JUNCTION" run "$work/junction.yaml" 2>"$work/junction.log" &
junction_pid=$!
pids+=($junction_pid)
wait "$waiter"
kill -TERM "$junction_pid"
wait "$junction_pid" || true

direct=$(cat "$work/direct.json")
junction=$(cat "$work/junction.json")
echo "$direct"
echo "$junction"
python3 - "$direct" "$junction" <<'PY'
import json, sys
d, j = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"libnats direct: {d['msg_per_s']:.0f} msg/s, junction: {j['msg_per_s']:.0f} msg/s, "
      f"junction/direct = {j['msg_per_s'] / d['msg_per_s']:.2f}")
PY
