#!/usr/bin/env bash
# bench/connectors/postgres: copy ROWS rows from table a to table b on one
# local PostgreSQL server, ROUNDS times each, alternating in one run:
#   junction   postgres input -> postgres output (acks end to end: the
#              cursor checkpoint moves only past committed rows), once per
#              output method in METHODS (copy, insert)
#   psql       psql -c "\copy a to stdout" | psql -c "\copy b from stdin"
# and prints each one's rows/s (median) and its ratio to psql.
# Usage: bench/connectors/postgres/run.sh [BUILD_DIR]
#   (ROWS=200000 ROUNDS=3 METHODS="copy insert" MODE=insert by default;
#    MODE=upsert has Junction upsert on id, psql still plain \copy)
set -euo pipefail
cd "$(dirname "$0")/../../.."
BUILD=${1:-build}
export JUNCTION_BIN=$PWD/$BUILD/junction
export ROWS=${ROWS:-200000}
exec python3 bench/connectors/postgres/bench.py
