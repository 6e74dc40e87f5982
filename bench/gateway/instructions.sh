#!/usr/bin/env bash
# bench/gateway instructions: user-space instructions per proxied request,
# Junction's gateway against nginx as a reverse proxy, counted by valgrind's
# callgrind. Unlike req/s, an instruction count barely moves when other
# processes load the machine, so runs on a shared box can be compared.
#
# The same upstream as run.sh (an nginx answering a 64-byte body, not under
# valgrind) sits behind each proxy. Each proxy runs alone under callgrind,
# which counts every thread of the process (nginx runs as one worker without
# a master, as callgrind follows no children): warmed up with wrk, its counters
# zeroed, driven by wrk for a fixed time, its counters dumped; the dump's
# total instructions are divided by wrk's request count. Only user space is
# counted: the time the kernel spends in syscalls is not in these figures.
#
# Prints a markdown table: requests, instructions/request and the ratio to nginx.
#
# Usage: bench/gateway/instructions.sh [BUILD_DIR]
#   DURATION=5s    the measured wrk run; CONNECTIONS=8 wrk connections
#   KEEP=DIR       keep each proxy's callgrind dump there, for callgrind_annotate
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
JUNCTION=$BUILD/junction
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-8}
NGINX=${NGINX:-/usr/sbin/nginx}

[ -x "$JUNCTION" ] || { echo "$JUNCTION is missing: ninja -C $BUILD junction"; exit 1; }
for tool in wrk valgrind callgrind_control callgrind_annotate; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (scripts/install-deps)"; exit 1; }
done
[ -x "$NGINX" ] || { echo "nginx is missing (scripts/install-deps)"; exit 1; }

work=$(mktemp -d /tmp/junction-bench-instructions.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The proxy as in run.sh, with one worker (started without a master below).
PROXY_WORKERS=
# shellcheck source=bench/gateway/setup.sh
source bench/gateway/setup.sh

"$NGINX" -p "$work/upstream" -c "$work/upstream/nginx.conf" -g 'daemon off;' \
  </dev/null >/dev/null 2>"$work/upstream/logs/stderr" &
pids+=($!)
wait_port "$upstream_port"

# measure label port command... [-- wrk args...]: one proxy under callgrind,
# from start to SIGKILL, before the next starts. The pid is valgrind's own
# (it runs the program in its process), so the dump comes from this instance
# and from no other left over from an earlier run.
measure() {
  local label=$1 port=$2
  shift 2
  local cmd=() wrk_args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  wrk_args=("$@")
  local out=$work/$label.callgrind
  valgrind --tool=callgrind --callgrind-out-file="$out" "${cmd[@]}" \
    </dev/null >"$work/$label.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_port "$port" 600  # valgrind starts slowly
  curl -sf "${wrk_args[@]}" "http://127.0.0.1:$port/item/1" >/dev/null
  wrk -t1 -c"$CONNECTIONS" -d2s "${wrk_args[@]}" "http://127.0.0.1:$port/item/1" >/dev/null
  callgrind_control -z "$pid" >/dev/null 2>&1
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "${wrk_args[@]}" "http://127.0.0.1:$port/item/1" \
    >"$work/$label.wrk"
  callgrind_control -d "$pid" >/dev/null 2>&1
  # callgrind writes the totals line last: the dump is complete once it is there.
  for _ in $(seq 300); do
    grep -qs '^totals:' "$out".* && break
    sleep 0.1
  done
  # SIGKILL, so that no dump at exit adds a second file.
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  if grep -q "Non-2xx or 3xx" "$work/$label.wrk"; then
    echo "$label: some responses were not 2xx/3xx" >&2
    exit 1
  fi
  local requests ir dumps
  requests=$(grep -oE '[0-9]+ requests in' "$work/$label.wrk" | cut -d' ' -f1)
  dumps=("$out".*)
  [ ${#dumps[@]} -eq 1 ] || { echo "$label: expected one dump, found ${dumps[*]}" >&2; exit 1; }
  ir=$(callgrind_annotate "${dumps[0]}" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
  printf '%s\t%s\t%s\n' "$label" "$requests" "$ir" >>"$work/results.tsv"
  if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP"
    cp "${dumps[0]}" "$KEEP/${label//[^a-z]/-}.callgrind"
    echo "$requests" >"$KEEP/${label//[^a-z]/-}.requests"
  fi
}

measure nginx "$nginx_port" \
  "$NGINX" -p "$work/proxy" -c "$work/proxy/nginx.conf" -g 'daemon off; master_process off;'
measure junction "$junction_port" "$JUNCTION" run "$work/plain.yaml"
measure "junction, JWT + rate limit" "$junction_auth_port" "$JUNCTION" run "$work/auth.yaml" \
  -- -H "Authorization: Bearer $token"

echo "$(uname -m), $(nproc) cores, $(valgrind --version), load: $(uptime | sed 's/.*load average: //')"
echo "wrk -t1 -c$CONNECTIONS -d$DURATION after 2s of warm-up; user-space instructions only"
echo
python3 - "$work/results.tsv" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
per = [int(ir) / int(req) for _, req, ir in rows]
print("| proxy | requests | instructions/request | vs nginx |")
print("|---|---|---|---|")
for (label, req, _), ipr in zip(rows, per):
    print(f"| {label} | {int(req):,} | {ipr:,.0f} | {ipr / per[0]:.2f}x |")
PY
