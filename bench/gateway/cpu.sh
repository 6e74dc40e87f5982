#!/usr/bin/env bash
# bench/gateway cpu: CPU time and system calls per proxied request, for
# nginx as a reverse proxy, Junction, and Junction with a JWT and a rate
# limit, each running alone behind the same upstream as run.sh.
#
# req/s on a 2-core box moves ±8% from run to run because wrk, the upstream
# and the proxy share the cores; the proxy's own CPU per request is what
# decides who serves more, and moves far less. Each proxy is driven by wrk
# for a fixed time: its user and system time come from /proc/PID/stat (all
# of nginx's processes) before and after, divided by wrk's request count.
# Then, in a second wrk run, `perf stat` counts its system calls (the
# tracepoints slow the run, so those figures are per request, not per second).
#
# Prints a markdown table.
#
# Usage: bench/gateway/cpu.sh [BUILD_DIR]
#   DURATION=5s  each measured run; CONNECTIONS=64 THREADS=2 wrk's
#   WORKERS=nproc  worker processes / threads of each proxy
#   PASSES=2     measured runs per proxy (each printed)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
JUNCTION=$BUILD/junction
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-$(nproc)}
PASSES=${PASSES:-2}
NGINX=${NGINX:-/usr/sbin/nginx}

[ -x "$JUNCTION" ] || { echo "$JUNCTION is missing: ninja -C $BUILD junction"; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (scripts/install-deps)"; exit 1; }
[ -x "$NGINX" ] || { echo "nginx is missing (scripts/install-deps)"; exit 1; }
has_perf=0
if command -v perf >/dev/null && perf stat -e 'syscalls:sys_enter_read' -- true >/dev/null 2>&1; then
  has_perf=1
fi

work=$(mktemp -d /tmp/junction-bench-cpu.XXXXXX)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
}
upstream_pid=
trap 'stop_all; [ -z "$upstream_pid" ] || kill "$upstream_pid" 2>/dev/null; rm -rf "$work"' EXIT

PROXY_WORKERS=$WORKERS
source bench/gateway/setup.sh

"$NGINX" -p "$work/upstream" -c "$work/upstream/nginx.conf" -g 'daemon off;' \
  2>"$work/upstream/logs/stderr" &
upstream_pid=$!
wait_port "$upstream_port"

clk_tck=$(getconf CLK_TCK)
cpu_ticks() {  # pid... -> "user system" clock ticks, summed
  local u=0 s=0 f
  for p in "$@"; do
    read -r -a f < <(sed 's/.*) //' "/proc/$p/stat")
    u=$((u + f[11])) s=$((s + f[12]))
  done
  echo "$u $s"
}

measure() {  # label, port, pid of the proxy (nginx: its master), extra wrk args...
  local label=$1 port=$2 main=$3
  shift 3
  local procs
  procs=$(pgrep -P "$main" | tr '\n' ' ' || true)  # nginx's workers; Junction has none
  procs="$main $procs"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" "http://127.0.0.1:$port/item/1" >/dev/null
  for pass in $(seq "$PASSES"); do
    # shellcheck disable=SC2086  # $procs is a list of pids
    read -r u0 s0 < <(cpu_ticks $procs)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@" "http://127.0.0.1:$port/item/1" \
      >"$work/wrk.txt"
    # shellcheck disable=SC2086
    read -r u1 s1 < <(cpu_ticks $procs)
    local requests
    requests=$(grep -oP '\d+(?= requests in)' "$work/wrk.txt")
    python3 -c "
u, s, n, hz = $((u1 - u0)), $((s1 - s0)), $requests, $clk_tck
us = lambda t: t / hz / n * 1e6
print(f'| $label | $pass | {n} | {us(u):.2f} | {us(s):.2f} | {us(u + s):.2f} |', end='')"
    if ((has_perf)) && ((pass == 1)); then
      perf stat -e 'syscalls:sys_enter_*' -p "$(echo "$procs" | tr ' ' ',' | sed 's/,*$//')" \
        -o "$work/perf.txt" -- sleep 3 &
      local perf_pid=$!
      wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$@" "http://127.0.0.1:$port/item/1" >"$work/wrk.txt"
      wait "$perf_pid" || true
      requests=$(grep -oP '\d+(?= requests in)' "$work/wrk.txt")
      awk -v r="$requests" '$1 ~ /^[0-9,]+$/ {
          gsub(",", "", $1); sub("syscalls:sys_enter_", "", $2)
          if ($1 + 0 > r / 100) out = out sprintf("%s%s %.2f", out ? ", " : "", $2, $1 / r)
        } END { printf " %s |\n", out }' "$work/perf.txt"
    else
      echo " |"
    fi
  done
}

echo "workers $WORKERS, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, keep-alive to the upstream; $(date -u '+%F %H:%M UTC')"
echo
echo "| proxy | pass | requests | user µs | system µs | total µs/request | system calls/request |"
echo "|---|---|---|---|---|---|---|"

"$NGINX" -p "$work/proxy" -c "$work/proxy/nginx.conf" -g 'daemon off;' 2>"$work/proxy/logs/stderr" &
pids+=($!)
wait_port "$nginx_port"
sleep 0.3  # the workers
measure nginx "$nginx_port" "${pids[0]}"
stop_all

"$JUNCTION" run --threads "$WORKERS" "$work/plain.yaml" >"$work/junction.log" 2>&1 &
pids+=($!)
wait_port "$junction_port"
measure junction "$junction_port" "${pids[0]}"
stop_all

"$JUNCTION" run --threads "$WORKERS" "$work/auth.yaml" >"$work/junction-auth.log" 2>&1 &
pids+=($!)
wait_port "$junction_auth_port"
measure junction-jwt-ratelimit "$junction_auth_port" "${pids[0]}" -H "Authorization: Bearer $token"
stop_all
