#!/usr/bin/env bash
# bench/connectors/postgres: copy ROWS rows from table a to table b on one
# local PostgreSQL server, twice in one run:
#   junction   postgres input -> postgres output (acks end to end: the
#              cursor checkpoint moves only past committed rows)
#   psql       psql -c "\copy a to stdout" | psql -c "\copy b from stdin"
# and prints rows/s of both and their ratio.
# Usage: bench/connectors/postgres/run.sh [BUILD_DIR]   (ROWS=200000 by default)
set -euo pipefail
cd "$(dirname "$0")/../../.."
BUILD=${1:-build}
export JUNCTION_BIN=$PWD/$BUILD/junction
export ROWS=${ROWS:-200000}
exec python3 bench/connectors/postgres/bench.py
