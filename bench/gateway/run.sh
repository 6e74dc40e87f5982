#!/usr/bin/env bash
# bench/gateway: Junction's gateway against nginx as a reverse proxy, in one
# run, on this machine. The same upstream (an nginx answering a 64-byte body
# from memory) sits behind both proxies; wrk drives each with the same
# threads and connections over keep-alive; each proxy keeps connections to
# the upstream alive and writes an access log to a file of its own, buffered
# the same way (nginx `buffer=64k flush=1s`, Junction `flush: 1s`). Then Junction again
# with a JWT (HS256) checked and a rate limit counted on every request (a
# limit far above the load, so every request pays for the check and passes).
#
# Prints a markdown table: req/s, p50, p99 and the ratios to nginx.
#
# Usage: bench/gateway/run.sh [BUILD_DIR]
#   DURATION=10s   each wrk run
#   CONNECTIONS=64 wrk connections; THREADS=2 wrk threads
#   WORKERS=N      nginx worker_processes and Junction --threads (default: cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
JUNCTION=$BUILD/junction
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-$(nproc)}
NGINX=${NGINX:-/usr/sbin/nginx}

[ -x "$JUNCTION" ] || { echo "$JUNCTION is missing: ninja -C $BUILD junction"; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (scripts/install-deps)"; exit 1; }
[ -x "$NGINX" ] || { echo "nginx is missing (scripts/install-deps)"; exit 1; }

work=$(mktemp -d /tmp/junction-bench-gateway.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

PROXY_WORKERS=$WORKERS
# shellcheck source=bench/gateway/setup.sh
source bench/gateway/setup.sh

# nginx writes its temp paths under its prefix; each instance has its own.
start_nginx() {  # name
  local dir=$work/$1
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$dir/logs/stderr" &
  pids+=($!)
}
start_nginx upstream
start_nginx proxy

"$JUNCTION" run --threads "$WORKERS" "$work/plain.yaml" >"$work/junction.log" 2>&1 &
pids+=($!)
"$JUNCTION" run --threads "$WORKERS" "$work/auth.yaml" >"$work/junction-auth.log" 2>&1 &
pids+=($!)
for p in $upstream_port $nginx_port $junction_port $junction_auth_port; do wait_port "$p"; done

# The same request through every proxy must succeed before it is timed.
curl -sf "http://127.0.0.1:$nginx_port/item/1" >/dev/null
curl -sf "http://127.0.0.1:$junction_port/item/1" >/dev/null
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$junction_auth_port/item/1" >/dev/null

# wrk's --latency table: "50%  1.23ms"; normalized to milliseconds.
run_wrk() {  # label, port, extra args...
  local label=$1 port=$2
  shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" "http://127.0.0.1:$port/item/1" >/dev/null  # warm up
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "http://127.0.0.1:$port/item/1" \
    >"$work/$label.wrk"
  python3 - "$label" "$work/$label.wrk" <<'PY'
import re, sys
label, text = sys.argv[1], open(sys.argv[2]).read()
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors: sys.exit(f"{label}: {errors.group(1)} responses were not 2xx/3xx")
print(f"{label}\t{rps:.0f}\t{pct['50']:.3f}\t{pct['99']:.3f}")
PY
}

{
  run_wrk nginx "$nginx_port"
  run_wrk junction "$junction_port"
  run_wrk junction-jwt-ratelimit "$junction_auth_port" -H "Authorization: Bearer $token"
} >"$work/results.tsv"

python3 - "$work/results.tsv" "$WORKERS" "$THREADS" "$CONNECTIONS" "$DURATION" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
workers, threads, conns, duration = sys.argv[2:]
base = {"rps": float(rows[0][1]), "p99": float(rows[0][3])}
print(f"workers {workers}, wrk -t{threads} -c{conns} -d{duration}, keep-alive to the upstream\n")
print("| proxy | req/s | p50 ms | p99 ms | req/s vs nginx | p99 vs nginx |")
print("|---|---|---|---|---|---|")
for label, rps, p50, p99 in rows:
    print(f"| {label} | {float(rps):.0f} | {p50} | {p99} | "
          f"{float(rps) / base['rps']:.2f}x | {float(p99) / base['p99']:.2f}x |")
PY
