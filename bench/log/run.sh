#!/usr/bin/env bash
# bench/log: the embedded log (src/log) side by side with NATS JetStream file
# storage, in one run on one disk. For 100 B and 1 KiB messages, two
# durability settings and 1, 2 and 4 publishers, each publisher keeps WINDOW
# appends awaiting their ack: produce msg/s, MB/s and publish->ack p50/p99,
# then (one publisher only) a cold read of everything back. The disk's sequential write bandwidth is measured with dd
# in the same run. Prints a markdown table to paste into docs/benchmarks.md.
#
# Usage: bench/log/run.sh [BUILD_DIR]
#   BENCH_DIR=/tmp      where the logs, the JetStream store and dd.bin go
#   NATS_SERVER=...     another nats-server binary (default: the Debian one)
#   SMALL_COUNT, LARGE_COUNT, WINDOW   messages per run and each publisher's ack window
#   PRODUCERS="1 2 4"   publisher counts to run (threads; for JetStream, one
#                       JetStream context each on one connection)
#   (root is needed to drop the page cache before the reads; without it the
#   table says the reads were warm)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
LOG_BENCH=${LOG_BENCH:-$BUILD/bench/junction_log_bench}
NATS_BENCH=$BUILD/bench/junction_nats_bench
NATS_SERVER=${NATS_SERVER:-nats-server}
SMALL_COUNT=${SMALL_COUNT:-2000000}  # 100 B messages
LARGE_COUNT=${LARGE_COUNT:-1000000}  # 1 KiB messages
# nats.go's default for async publishes (PublishAsyncMaxPending): both sides
# run as a client would by default.
WINDOW=${WINDOW:-4000}
PRODUCERS=${PRODUCERS:-1 2 4}
INTERVAL=100ms

for bin in "$LOG_BENCH" "$NATS_BENCH"; do
  [ -x "$bin" ] || { echo "$bin is missing: build it (make bench-log; libnats-dev for the NATS one)"; exit 1; }
done
command -v "$NATS_SERVER" >/dev/null || { echo "nats-server is missing: scripts/install-deps installs it"; exit 1; }

work=$(mktemp -d -p "${BENCH_DIR:-/tmp}" junction-bench-log.XXXXXX)
nats_pid=""
stop_nats() {
  if [ -n "$nats_pid" ]; then
    kill "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
    nats_pid=""
  fi
}
trap 'stop_nats; rm -rf "$work"' EXIT
results=$work/results.jsonl
: > "$results"

# Adds "key": value pairs to a JSON line and appends it to the results.
record() {
  local extra=$1 line
  while read -r line; do
    [ -n "$line" ] && echo "${line%\}},$extra}" >> "$results"
    echo "$line" >&2
  done
}

drop_caches() {
  sync
  if echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then echo true; else echo false; fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 1. the disk: sequential direct writes, 1 MiB at a time ------------------
# This shared virtual disk swings between 0.8 and 2.6 GB/s within minutes, so
# dd runs before and after the benchmarks, and the % of dd is taken against
# the faster of the two (the harder bar).
measure_dd() {
  local line
  line=$(dd if=/dev/zero of="$work/dd.bin" bs=1M count=512 oflag=direct conv=fdatasync 2>&1 | grep copied)
  rm -f "$work/dd.bin"
  echo "dd: $line" >&2
  echo "$line" | awk '{printf "%.0f", $1 / $(NF-3) / 1e6}'
}
dd_before=$(measure_dd)
# ...and what one small synchronous write costs, the floor under `fsync: always`.
sync_line=$(dd if=/dev/zero of="$work/dd.bin" bs=4k count=200 oflag=dsync 2>&1 | grep copied)
rm -f "$work/dd.bin"
sync_us=$(echo "$sync_line" | awk '{printf "%.0f", $(NF-3) / 200 * 1e6}')
echo "dd: $sync_line" >&2

# --- 2. JetStream durability this nats-server supports -----------------------
# sync_interval (a duration, or "always") arrived in nats-server 2.10.0. Older
# servers ack once the message is written to the page cache and fsync every
# 2 minutes, with no setting to change it.
cat > "$work/probe.conf" <<CONF
jetstream { store_dir: "$work/probe", sync_interval: always }
CONF
nats_version=$("$NATS_SERVER" --version | awk '{sub(/^v/, "", $2); print $2}')
if "$NATS_SERVER" -c "$work/probe.conf" -t >/dev/null 2>&1; then
  nats_modes=(always "$INTERVAL")
else
  nats_modes=(default)
fi

start_nats() {  # start_nats MODE STORE_DIR
  local sync=""
  [ "$1" = default ] || sync="sync_interval: $1"
  nats_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$work/nats.conf" <<CONF
listen: 127.0.0.1:$nats_port
jetstream { store_dir: "$2", $sync }
CONF
  "$NATS_SERVER" -c "$work/nats.conf" > "$work/nats.log" 2>&1 &
  nats_pid=$!
  for _ in $(seq 200); do
    (echo > "/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nats-server did not start:"; cat "$work/nats.log"; exit 1
}

nats_label() {
  case $1 in
    always) echo "sync_interval always" ;;
    default) echo "no sync_interval (v$nats_version): ack after write(), fsync every 2 min" ;;
    *) echo "sync_interval $1" ;;
  esac
}

run_nats() {  # run_nats SIZE COUNT MODE PRODUCERS
  local size=$1 count=$2 mode=$3 producers=$4 store=$work/nats-store cold
  rm -rf "$store"
  start_nats "$mode" "$store"
  "$NATS_BENCH" --url "nats://127.0.0.1:$nats_port" --size "$size" --count "$count" \
    --window "$WINDOW" --producers "$producers" --phase produce --fsync "$(nats_label "$mode")" |
    record "\"mode\":\"$mode\",\"phase\":\"produce\""
  if [ "$producers" != 1 ]; then
    stop_nats
    rm -rf "$store"
    return
  fi
  # Restart, then drop the page cache, so that the read comes from disk: the
  # junction bench reopens its store and drops the cache the same way.
  stop_nats
  start_nats "$mode" "$store"
  cold=$(drop_caches)
  "$NATS_BENCH" --url "nats://127.0.0.1:$nats_port" --size "$size" --count "$count" \
    --window "$WINDOW" --phase consume | record "\"mode\":\"$mode\",\"cold_cache\":$cold"
  stop_nats
  rm -rf "$store"
}

run_junction() {  # run_junction SIZE COUNT FSYNC PRODUCERS
  local dir=$work/junction-log consume=()
  rm -rf "$dir"
  [ "$4" = 1 ] || consume=(--no-consume)
  "$LOG_BENCH" --dir "$dir" --size "$1" --count "$2" --window "$WINDOW" --fsync "$3" \
    --producers "$4" "${consume[@]}" | record "\"mode\":\"$3\""
  rm -rf "$dir"
}

# --- 3. the runs ---------------------------------------------------------------
for size in 100 1024; do
  count=$SMALL_COUNT
  [ "$size" = 1024 ] && count=$LARGE_COUNT
  for producers in $PRODUCERS; do
    for fsync in always "interval:$INTERVAL"; do run_junction "$size" "$count" "$fsync" "$producers"; done
    for mode in "${nats_modes[@]}"; do run_nats "$size" "$count" "$mode" "$producers"; done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
dd_after=$(measure_dd)
dd_mbs=$(( dd_before > dd_after ? dd_before : dd_after ))

# --- 4. the table ----------------------------------------------------------------
fs=$(df -T "$work" | awk 'NR==2 {print $2 " on " $1}')
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores," \
  "$(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(uname -r);" \
  "temp dir on $fs; nats-server v$nats_version, libnats $(pkg-config --modversion libnats 2>/dev/null || echo '?');" \
  "window $WINDOW per publisher; load average $load_before before, $load_after after."
echo
python3 - "$results" "$dd_mbs" "$sync_us" "$dd_before" "$dd_after" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
dd = float(sys.argv[2])
sync_us = float(sys.argv[3])
producer_counts = sorted({r.get("producers", 1) for r in rows})
def find(system, size, phase, mode=None, producers=1):
    for r in rows:
        if r["system"] == system and r["size"] == size and r.get("phase", "produce") == phase \
                and (mode is None or r["mode"] == mode) \
                and (phase != "produce" or r.get("producers", 1) == producers):
            return r
    return None
nats_modes = sorted({r["mode"] for r in rows if r["system"] == "nats"})
def nats_for(jmode):
    if nats_modes == ["default"]:
        return "default"
    return "always" if jmode == "always" else jmode.split(":", 1)[1]
print("| size | publishers | junction fsync | JetStream | junction msg/s | MB/s | p50 / p99 µs "
      "| JetStream msg/s | MB/s | p50 / p99 µs | throughput ratio | p99 ratio | junction % of dd |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for size in (100, 1024):
    for producers in producer_counts:
        for jmode in ("always", "interval:100ms"):
            j = find("junction", size, "produce", jmode, producers)
            n = find("nats", size, "produce", nats_for(jmode), producers)
            if not j or not n:
                continue
            print(f"| {size} B | {producers} | {jmode} | {n['fsync']} | {j['msg_per_s']:,.0f} "
                  f"| {j['mb_per_s']:.1f} | {j['p50_us']:,.0f} / {j['p99_us']:,.0f} "
                  f"| {n['msg_per_s']:,.0f} | {n['mb_per_s']:.1f} "
                  f"| {n['p50_us']:,.0f} / {n['p99_us']:,.0f} "
                  f"| **{j['msg_per_s'] / n['msg_per_s']:.2f}×** | {j['p99_us'] / n['p99_us']:.2f} "
                  f"| {100 * j['mb_per_s'] / dd:.1f} % |")
print()
print("| size | read back (cold page cache) | junction msg/s | MB/s | JetStream msg/s | MB/s | ratio |")
print("|---|---|---|---|---|---|---|")
for size in (100, 1024):
    for jmode in ("always", "interval:100ms"):
        j = find("junction", size, "consume", jmode)
        n = find("nats", size, "consume", nats_for(jmode))
        if not j or not n:
            continue
        cold = "yes" if j.get("cold_cache") and n.get("cold_cache") else "no"
        print(f"| {size} B | {cold} (junction written with {jmode}) | {j['msg_per_s']:,.0f} "
              f"| {j['mb_per_s']:.1f} | {n['msg_per_s']:,.0f} | {n['mb_per_s']:.1f} "
              f"| {j['msg_per_s'] / n['msg_per_s']:.2f}× |")
print()
print(f"dd (bs=1M count=512 oflag=direct conv=fdatasync): {float(sys.argv[4]):,.0f} MB/s before "
      f"the runs, {float(sys.argv[5]):,.0f} MB/s after; % of dd is against **{dd:,.0f} MB/s**; "
      f"one 4 KiB O_DSYNC write (bs=4k count=200 oflag=dsync): {sync_us:,.0f} µs")
for producers in producer_counts:
    for jmode in ("always", "interval:100ms"):
        j = find("junction", 1024, "produce", jmode, producers)
        if j:
            print(f"- junction 1 KiB, {producers} publisher(s), fsync {jmode}: "
                  f"{j['mb_per_s']:.1f} MB/s of payload ({j['log_mb_per_s']:.1f} MB/s written "
                  f"to the log) = **{100 * j['mb_per_s'] / dd:.1f} %** of dd")
PY
