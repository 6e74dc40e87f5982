#!/usr/bin/env bash
# bench/flow: msg/s of generate -> map (Lua) -> filter -> drop on one core,
# and req/s of http_server -> drop under wrk. Prints a markdown table to
# paste into docs/benchmarks.md. Usage: bench/flow/run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BIN=$BUILD/junction
MESSAGES=${MESSAGES:-2000000}
WRK_SECONDS=${WRK_SECONDS:-10}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps installs it"; exit 1; }

# --- 1. in-memory pipeline, one I/O thread -----------------------------------
cat > "$work/pipeline.yaml" <<SPEC
apiVersion: junction/v1
flows:
  bench:
    input:
      generate: '{"order_id": {{counter}}, "qty": 3, "price": 250, "sku": "A-100"}'
      interval: 0
      count: $MESSAGES
      batch_size: 1024
    pipeline:
      - map: "out.total = msg.qty * msg.price"
      - filter: "msg.total > 1000"
    output: { drop: {} }
    queue_depth: 16
SPEC
start=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$work/cpu" "$BIN" run "$work/pipeline.yaml" --threads 1 --log-level warn
end=$(date +%s.%N)
read -r user sys < "$work/cpu"
wall=$(echo "$end - $start" | bc -l)
cpu=$(echo "$user + $sys" | bc -l)
rate_wall=$(echo "$MESSAGES / $wall" | bc)
rate_cpu=$(echo "$MESSAGES / $cpu" | bc)

# --- 2. http_server -> drop under wrk ----------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/http.yaml" <<SPEC
apiVersion: junction/v1
flows:
  ingest:
    input: { http_server: "127.0.0.1:$port", path: /ingest }
    output: { drop: {} }
    max_in_flight: 64
SPEC
"$BIN" run "$work/http.yaml" --threads 1 --log-level warn &
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"order_id": 1, "qty": 3, "price": 250}'
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t1 -c64 -d"${WRK_SECONDS}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/ingest" > "$work/wrk.txt"
kill %1; wait %1 2>/dev/null || true
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
p50=$(awk '$1=="50%" {print $2}' "$work/wrk.txt")
p99=$(awk '$1=="99%" {print $2}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt")

echo
echo "Date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(awk '/model name/ {sub(/^.*: /,""); print; exit}' /proc/cpuinfo)"
echo
echo "| benchmark | result |"
echo "|---|---|"
echo "| generate -> map (Lua) -> filter -> drop, $MESSAGES msgs, 1 I/O thread | $rate_wall msg/s wall, $rate_cpu msg/s per CPU-second |"
echo "| http_server -> drop, wrk 1 thread 64 connections ${WRK_SECONDS}s, 1 I/O thread | $rps req/s, p50 $p50, p99 $p99${non2xx:+, non-2xx $non2xx} |"
