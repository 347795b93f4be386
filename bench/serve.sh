#!/usr/bin/env bash
# Load benchmark of `xborder serve` (issue 4 item 7), run from the repository root or anywhere:
#
#   bash bench/serve.sh                         # SQLite, and PostgreSQL when a URL is set
#   XBORDER_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable bash bench/serve.sh
#   CLIENTS="16 32" DURATION=20s bash bench/serve.sh
#
# For each backend it starts `xborder serve` on a fresh database (PostgreSQL: a fresh schema,
# dropped afterwards), then bench/loadgen, a second process on loopback, replaces the inventory
# with 50 processors in 5 groups and posts checks with unique Idempotency-Keys from N concurrent
# clients (one keep-alive connection each). Every 200 answer is a durable check: its transaction
# was committed (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on) before the answer.
# Printed per run: durable checks/s, client-side latency p50/p95/p99, answers by status and
# decision, and the CPU time per check of the server and of the load generator (the machine is
# shared, so CPU per check says what the code costs when throughput says what the machine gave).
# After the runs `xborder audit verify` recomputes the whole log: entries/s.
#
# Environment: BACKENDS (default "sqlite postgres"), CLIENTS (default "16 32 64"), DURATION (default 10s), LOG_LEVEL (serve's, default
# warn: at info every request writes an access log line), MAX_BATCH, PROFILE=1 (run serve under
# bench/serveprof and print the top of its CPU profile), OUT (work directory, default a temp dir),
# NICE (e.g. -10: run serve and the load generator at that priority on a machine shared with
# other work; needs root), PGCPU=1 (also report the CPU of all `postgres` processes per check:
# includes any other sessions on that server).
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-"16 32 64"}
DURATION=${DURATION:-10s}
LOG_LEVEL=${LOG_LEVEL:-warn}
PG=${XBORDER_BENCH_POSTGRES:-${XBORDER_TEST_POSTGRES:-}}
OUT=${OUT:-$(mktemp -d -t xborder-bench-XXXXXX)}
TOKEN=xbt_bench_admin_token_0123456789abcdef0123
TICK=$(getconf CLK_TCK)
NICE=${NICE:-0}
RUN=(nice -n "$NICE")
mkdir -p "$OUT"

echo "== building into $OUT"
go build -o "$OUT/xborder" ./cmd/xborder
go build -o "$OUT/loadgen" ./bench/loadgen
SERVE="$OUT/xborder"
if [ "${PROFILE:-0}" = 1 ]; then
	go build -o "$OUT/serveprof" ./bench/serveprof
	SERVE="$OUT/serveprof"
fi
echo "== machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"

PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true; }
trap cleanup EXIT

# start_serve DB NAME: start serve on a free port; sets PID and ADDR.
start_serve() {
	local db=$1 name=$2 extra=()
	[ -n "${MAX_BATCH:-}" ] && extra+=(--max-batch "$MAX_BATCH")
	: >"$OUT/$name.serve.log"
	XBORDER_CPUPROFILE="$OUT/$name.cpu.prof" XBORDER_ADMIN_TOKEN=$TOKEN \
		"${RUN[@]}" "$SERVE" serve --addr 127.0.0.1:0 --db "$db" --log-level "$LOG_LEVEL" "${extra[@]}" 2>>"$OUT/$name.serve.log" &
	PID=$!
	for _ in $(seq 1 600); do
		ADDR=$(sed -n 's/.*serving on \(http:[^ ]*\).*/\1/p' "$OUT/$name.serve.log" | head -1)
		[ -n "$ADDR" ] && return 0
		kill -0 "$PID" 2>/dev/null || { cat "$OUT/$name.serve.log"; echo "serve exited" >&2; exit 1; }
		sleep 0.1
	done
	echo "serve did not start" >&2
	exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# pg_ticks: "pid:ticks" of every postgres process; pg_delta BEFORE AFTER sums the growth of the
# processes present in both (sessions that ended in between are left out).
pg_ticks() {
	local p
	for p in $(pgrep -x postgres 2>/dev/null); do
		echo "$p:$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)"
	done | tr '\n' ' '
}
pg_delta() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, ":"); before[kv[1]] = kv[2] }
		m = split(b, y, " "); t = 0; for (i = 1; i <= m; i++) { split(y[i], kv, ":"); if (kv[1] in before && kv[2] >= before[kv[1]]) t += kv[2] - before[kv[1]] }
		print t }'
}

run_backend() {
	local name=$1 db=$2 setup=-setup
	echo "== $name: $db"
	start_serve "$db" "$name"
	for c in $CLIENTS; do
		local before after pgb pga
		before=$(cpu_ticks "$PID")
		pgb=$(pg_ticks)
		"${RUN[@]}" "$OUT/loadgen" -url "$ADDR" -token "$TOKEN" $setup -clients "$c" -duration "$DURATION" -warmup 2s -json >"$OUT/$name-$c.json"
		after=$(cpu_ticks "$PID")
		pga=$(pg_ticks)
		setup=
		# The server's CPU includes the 2 s warm-up; divide by every check it answered then too.
		awk -v name="$name" -v ticks=$((after - before)) -v pgt="$(pg_delta "$pgb" "$pga")" -v pg="${PGCPU:-0}" -v hz="$TICK" -v warm=2 '
			{ match($0, /"checks_per_s":[0-9.]+/); cps = substr($0, RSTART + 15, RLENGTH - 15) + 0
			  match($0, /"seconds":[0-9.]+/); secs = substr($0, RSTART + 10, RLENGTH - 10) + 0
			  n = cps * (secs + warm); srv = (n > 0) ? ticks / hz * 1e6 / n : 0
			  print name ": " $0; printf "%s: server CPU about %.0f us per check", name, srv
			  if (pg == 1 && name == "postgres") printf "; postgres processes about %.0f us per check", (n > 0) ? pgt / hz * 1e6 / n : 0
			  printf "\n" }' "$OUT/$name-$c.json"
	done
	echo "$name: serve peak RSS $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$PID/status")"
	kill -TERM "$PID"
	wait "$PID" || echo "($name: serve exited with $? after SIGTERM)"
	PID=
	if [ "${PROFILE:-0}" = 1 ]; then
		go tool pprof -top -nodecount=25 "$SERVE" "$OUT/$name.cpu.prof" 2>/dev/null | sed "s/^/$name profile: /" || true
	fi
	# The full verification (log and the state recomputed from it) must pass; the timed run is the
	# log alone (--no-state): the Merkle recomputation the 1,000,000 entries/s target is about.
	"$OUT/xborder" audit verify --db "$db" --format json >"$OUT/$name-verify-state.json" || { cat "$OUT/$name-verify-state.json"; exit 1; }
	echo "$name: state (totals, usage, records) recomputed from the log in $(grep -o '"elapsed": "[^"]*"' "$OUT/$name-verify-state.json" | tail -1 | cut -d'"' -f4)"
	local start end
	start=$(date +%s.%N)
	"$OUT/xborder" audit verify --db "$db" --no-state --format json >"$OUT/$name-verify.json"
	end=$(date +%s.%N)
	echo "$name: $("$OUT/loadgen" -verify-report "$OUT/$name-verify.json") (whole command $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}') s)"
}

BACKENDS=${BACKENDS:-"sqlite postgres"}
case " $BACKENDS " in *" sqlite "*) run_backend sqlite "sqlite:$OUT/bench.db" ;; esac
if [ -n "$PG" ] && [[ " $BACKENDS " == *" postgres "* ]]; then
	url=$("$OUT/loadgen" -create-schema "$PG")
	run_backend postgres "$url"
	"$OUT/loadgen" -drop-schema "$url"
else
	echo "== postgres: skipped (set XBORDER_TEST_POSTGRES or XBORDER_BENCH_POSTGRES)"
fi
echo "== results and logs in $OUT"
