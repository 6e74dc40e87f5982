#!/usr/bin/env bash
# bench/gateway: Junction's gateway against nginx as a reverse proxy, in one
# run, on this machine. The same upstream (an nginx answering a 64-byte body
# from memory) sits behind both proxies; wrk drives each with the same
# threads and connections over keep-alive; each proxy keeps connections to
# the upstream alive and writes an access log to a file of its own, buffered
# the same way (nginx `buffer=64k flush=1s`, Junction `flush: 1s`). Then Junction again
# with a JWT (HS256) checked and a rate limit counted on every request (a
# limit far above the load, so every request pays for the check and passes).
# And nginx again, sent the same request as that run (the same bearer token,
# which nginx forwards unchecked like any header), so that the auth row can
# also be set against a proxy that moves the same bytes.
#
# Junction pins each I/O thread to a CPU by default (one thread per CPU,
# --cpu-affinity auto), so the nginx rows pin each worker too
# (`worker_cpu_affinity auto`): like for like. A fifth row, nginx-unpinned,
# is nginx as it ships (no pinning), for reference.
#
# The five are run ROUNDS times, alternating the order (A B C D E, E D C B A, ...),
# because on a shared machine the load moves within a minute: one run of
# each compared runs at different moments, rounds compare neighbours.
#
# Prints a markdown table: median req/s, p50 and p99 over the rounds, the
# ratios of the medians to nginx, and the range of the per-round ratios.
#
# Usage: bench/gateway/run.sh [BUILD_DIR]
#   ROUNDS=3       alternating rounds
#   DURATION=10s   each wrk run
#   CONNECTIONS=64 wrk connections; THREADS=2 wrk threads
#   WORKERS=N      nginx worker_processes and Junction --threads (default: cores)
#   RESULTS=FILE   also keep every run's row (round, proxy, req/s, p50, p99) there
#   NGINX_AFFINITY=auto|off  whether the nginx rows pin their workers (setup.sh)
#   NGINX_HEADERS=same|minimal  whether nginx adds the headers Junction adds
#                  (X-Forwarded-Proto/-Host, X-Request-Id; see setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
JUNCTION=$BUILD/junction
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
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
start_nginx proxy-unpinned

"$JUNCTION" run --threads "$WORKERS" "$work/plain.yaml" >"$work/junction.log" 2>&1 &
pids+=($!)
"$JUNCTION" run --threads "$WORKERS" "$work/auth.yaml" >"$work/junction-auth.log" 2>&1 &
pids+=($!)
for p in $upstream_port $nginx_port $nginx_unpinned_port $junction_port $junction_auth_port; do
  wait_port "$p"
done

# The same request through every proxy must succeed before it is timed.
curl -sf "http://127.0.0.1:$nginx_port/item/1" >/dev/null
curl -sf "http://127.0.0.1:$nginx_unpinned_port/item/1" >/dev/null
curl -sf "http://127.0.0.1:$junction_port/item/1" >/dev/null
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$junction_auth_port/item/1" >/dev/null

# wrk's --latency table: "50%  1.23ms"; normalized to milliseconds.
run_wrk() {  # label, port, extra args...
  local label=$1 port=$2 round=$3
  shift 3
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" "http://127.0.0.1:$port/item/1" >/dev/null  # warm up
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "http://127.0.0.1:$port/item/1" \
    >"$work/$label.wrk"
  python3 - "$label" "$work/$label.wrk" "$round" <<'PY'
import re, sys
label, text, round_ = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors: sys.exit(f"{label}: {errors.group(1)} responses were not 2xx/3xx")
print(f"{round_}\t{label}\t{rps:.0f}\t{pct['50']:.3f}\t{pct['99']:.3f}")
PY
}

run_nginx() { run_wrk nginx "$nginx_port" "$1"; }
run_junction() { run_wrk junction "$junction_port" "$1"; }
run_auth() { run_wrk junction-jwt-ratelimit "$junction_auth_port" "$1" -H "Authorization: Bearer $token"; }
run_nginx_token() { run_wrk nginx-same-request "$nginx_port" "$1" -H "Authorization: Bearer $token"; }
run_nginx_unpinned() { run_wrk nginx-unpinned "$nginx_unpinned_port" "$1"; }
junction_pinning=$(grep -o 'pinned to CPUs [0-9,]*' "$work/junction.log" || echo "not pinned")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then
    run_nginx "$round"; run_junction "$round"; run_auth "$round"; run_nginx_token "$round"
    run_nginx_unpinned "$round"
  else
    run_nginx_unpinned "$round"
    run_nginx_token "$round"; run_auth "$round"; run_junction "$round"; run_nginx "$round"
  fi
done >"$work/results.tsv"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
[ -n "${RESULTS:-}" ] && cp "$work/results.tsv" "$RESULTS"

python3 - "$work/results.tsv" "$WORKERS" "$THREADS" "$CONNECTIONS" "$DURATION" "$ROUNDS" \
  "$load_before" "$load_after" "$junction_pinning" "${nginx_affinity:-no worker_cpu_affinity}" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
workers, threads, conns, duration, rounds, load_before, load_after, jpin, npin = sys.argv[2:]
runs = {}  # label -> round -> (rps, p50, p99)
for round_, label, rps, p50, p99 in rows:
    runs.setdefault(label, {})[round_] = (float(rps), float(p50), float(p99))
def median(label, i):
    return statistics.median(v[i] for v in runs[label].values())
print(f"workers {workers}, wrk -t{threads} -c{conns} -d{duration}, keep-alive to the upstream, "
      f"{rounds} alternating rounds; load average {load_before} before, {load_after} after; "
      f"Junction's I/O threads {jpin}, nginx rows: {npin}\n")
print("| proxy | req/s (median) | p50 ms | p99 ms | req/s vs nginx | per round | p99 vs nginx |")
print("|---|---|---|---|---|---|---|")
for label in ("nginx", "junction", "junction-jwt-ratelimit", "nginx-same-request",
              "nginx-unpinned"):
    ratios = [runs[label][r][0] / runs["nginx"][r][0] for r in runs[label]]
    print(f"| {label} | {median(label, 0):.0f} | {median(label, 1):.3f} | {median(label, 2):.3f} | "
          f"{median(label, 0) / median('nginx', 0):.2f}x | "
          f"{min(ratios):.2f}-{max(ratios):.2f}x | {median(label, 2) / median('nginx', 2):.2f}x |")
auth, same = "junction-jwt-ratelimit", "nginx-same-request"
ratios = [runs[auth][r][0] / runs[same][r][0] for r in runs[auth]]
print(f"\n{auth} against {same} (both sent the bearer token, both forward it): "
      f"req/s {median(auth, 0) / median(same, 0):.2f}x (per round {min(ratios):.2f}-{max(ratios):.2f}x), "
      f"p99 {median(auth, 2) / median(same, 2):.2f}x")
PY
