#!/bin/sh
# pg/run-tests.sh - test the PostgreSQL extension `wasm` end to end.
#
# Builds and installs the extension (make -C pg install), creates a
# throwaway cluster as the `postgres` system user in a temporary directory
# (private port and socket directory, never the system's 5432), runs the
# pg_regress suite (pg/sql, pg/expected) and the scenarios that need more
# than one session or a server restart, then stops the cluster and removes
# it, also on failure or interruption.
#
#   pg/run-tests.sh              everything (about 2.5 minutes)
#   pg/run-tests.sh regress      pg_regress only
#   pg/run-tests.sh demo         no tests: run demo.sql in a throwaway cluster
#   pg/run-tests.sh bench        the benchmark against C UDFs and pllua (bench.sh)
#   pg/run-tests.sh SCENARIO...  named scenarios only (see `scenarios` below)
#   WASM_TEST_KEEP=1 ...         leave the cluster running for inspection
#   PGBENCH_SECONDS=50           the concurrency scenario runs pgbench this + 10 s (60 s, as the issue asks)
#
# Prints one line per test and ends with "N passed, M failed".
set -u
cd "$(dirname "$0")"
PGDIR=$(pwd)
PGBIN=$(pg_config --bindir)
PGXS_DIR=$(dirname "$(pg_config --pgxs)")/..
PG_REGRESS=$PGXS_DIR/test/regress/pg_regress
PGBENCH_SECONDS=${PGBENCH_SECONDS:-50}
WHAT=${*:-all}

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# ---- build and install ------------------------------------------------------------
mkdir -p build
if ! make -s >build/build.log 2>&1 || ! make -s install >>build/build.log 2>&1; then
    tail -30 build/build.log
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- the throwaway cluster ---------------------------------------------------------
TMP=$(mktemp -d /tmp/wasm-pgtest.XXXXXX)
chmod 755 "$TMP"
DATA=$TMP/data
SOCK=$TMP/sock
FILES=$TMP/files
LOGDIR=$TMP/log
mkdir -p "$SOCK" "$FILES" "$DATA" "$LOGDIR"
[ "$(id -u)" = 0 ] && chown postgres "$SOCK" "$DATA" "$LOGDIR"
chmod 700 "$DATA"
# A free port from a private range.
PORT=$((55000 + $$ % 4000))
while [ -e "$SOCK/.s.PGSQL.$PORT" ] || ss -ltn 2>/dev/null | grep -q ":$PORT "; do PORT=$((PORT + 1)); done

# PostgreSQL refuses to run as root: as root, run the server tools as the
# postgres system user; as any other user, directly.
if [ "$(id -u)" = 0 ]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi
pgctl() { as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOGDIR/server.log" "$@"; }

cleanup() {
    if [ -z "${WASM_TEST_KEEP:-}" ]; then
        # scenario_standby's server, if one was left running
        [ -f "$TMP/standby/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$TMP/standby" -m immediate stop >/dev/null 2>&1
        pgctl -m immediate stop >/dev/null 2>&1
        rm -rf "$TMP"
    else
        echo "cluster kept: PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres ($TMP)"
        [ -f "$TMP/standby/postmaster.pid" ] && echo "standby kept: PGPORT=$((PORT + 1)) ($TMP/standby)"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$TMP/initdb.log" 2>&1 ||
    { cat "$TMP/initdb.log"; exit 1; }
cat >>"$DATA/postgresql.conf" <<EOF
port = $PORT
unix_socket_directories = '$SOCK'
listen_addresses = ''
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
max_connections = 40
log_min_messages = warning
log_line_prefix = '%m [%p] '
# for scenario_standby (pg_basebackup, streaming replication)
wal_level = replica
max_wal_senders = 4
EOF
pgctl -w start >/dev/null || { cat "$LOGDIR/server.log"; exit 1; }

export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
export WASM_FILES=$FILES
cp build/examples/*.wasm ../examples/pg/*.wat "$FILES/"
chmod 644 "$FILES"/*

PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1"

# ---- pg_regress ---------------------------------------------------------------------
run_regress() {
    tests=$(sed -n 's/^REGRESS *= *//p' Makefile)
    mkdir -p "$TMP/regress"
    if "$PG_REGRESS" --bindir="$PGBIN" --inputdir=. --outputdir="$TMP/regress" --host="$SOCK" --port="$PORT" \
        --user=postgres --dbname=wasm_regress $tests >"$TMP/regress.out" 2>&1; then
        ok "regress: $(grep -E 'tests passed|All [0-9]+ tests' "$TMP/regress.out" | tr -d '=' | sed 's/^ *//')"
        rm -f build/regression.diffs
    else
        grep -E '^(not ok|ok|test| *[a-z_]+ +\.\.\.)' "$TMP/regress.out" | grep -v ' ok' | head -20
        cp "$TMP/regress/regression.diffs" build/regression.diffs 2>/dev/null
        bad "regress: see pg/build/regression.diffs"
        head -60 build/regression.diffs 2>/dev/null
    fi
}

. ./scenarios.sh

# `make demo`: the extension at work, each statement echoed (scenario_demo_shows
# checks what it shows).  $1 = database (postgres).
run_demo() {
    $PGBIN/psql -X -e -v files="$FILES" -f demo.sql "${1:-postgres}" 2>&1
}

if [ "$WHAT" = demo ]; then
    run_demo
    exit 0
elif [ "$WHAT" = bench ]; then
    . ./bench.sh
    run_bench
elif [ "$WHAT" = all ]; then
    run_regress
    for s in $SCENARIOS; do "scenario_$s"; done
else
    for w in $WHAT; do
        if [ "$w" = regress ]; then run_regress; else "scenario_$w"; fi
    done
fi

if grep -E 'PANIC|server process .* was terminated|TRAP:' "$LOGDIR/server.log" >/dev/null; then
    bad "server log shows a crash:"
    grep -E 'PANIC|terminated|TRAP:' "$LOGDIR/server.log" | head -5
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
