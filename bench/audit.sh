#!/usr/bin/env bash
# Storage and audit-log benchmarks: group commit throughput (SQLite, PostgreSQL)
# and log verification speed. Output: bench/out/audit-*.txt.
# PostgreSQL runs when XBORDER_TEST_POSTGRES is set.
# XBORDER_BENCH_ENTRIES sets the verified log size (default 1,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
n="${XBORDER_BENCH_ENTRIES:-1000000}"
echo "load average before: $(cat /proc/loadavg)" | tee bench/out/audit-env.txt
go test -run XXX -bench Verify -benchtime 8x ./internal/audit | tee bench/out/audit-verify-memory.txt
go test -run XXX -bench GroupCommit -benchtime 10000x ./internal/store/sqlite | tee bench/out/audit-groupcommit-sqlite.txt
XBORDER_BENCH_ENTRIES="$n" go test -run XXX -bench Verify -benchtime 3x -timeout 60m ./internal/store/sqlite | tee bench/out/audit-verify-sqlite.txt
if [ -n "${XBORDER_TEST_POSTGRES:-}" ]; then
  go test -run XXX -bench GroupCommit -benchtime 10000x ./internal/store/postgres | tee bench/out/audit-groupcommit-postgres.txt
  XBORDER_BENCH_ENTRIES="$n" go test -run XXX -bench Verify -benchtime 3x -timeout 60m ./internal/store/postgres | tee bench/out/audit-verify-postgres.txt
fi
echo "load average after: $(cat /proc/loadavg)" | tee -a bench/out/audit-env.txt
