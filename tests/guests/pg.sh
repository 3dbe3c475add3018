#!/bin/sh
# tests/guests/pg.sh - the example UDFs in C, Rust and AssemblyScript in
# PostgreSQL: installs the extension (make -C pg install), makes a throwaway
# cluster as pg/run-tests.sh does (a temporary directory, the postgres user,
# a private port and socket; removed at the end), loads build/guests/*/udfs.wasm
# with wasm_new_instance as namespaces c, rs and asc, and compares every
# language's answers with C's and with the expected values: plain calls,
# LANGUAGE wasm functions naming an export, an aggregate, a panic / abort
# (a clean 38000 error whose DETAIL has the guest's message), and text
# results that are not UTF-8 (22021).  Prints one line per check, then "N passed, M failed".
#   tests/guests/pg.sh bench   instead: the text reverse UDF of each language
#                              over 50,000 rows of 100-byte texts (bench/guests.sh)
#   tests/guests/pg.sh demo    instead: examples/guests-demo.sql, each statement
#                              echoed (scripts/demo.sh, `make demo`)
set -u
G=$PWD/build/guests
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }

if ! make -s -C pg install >/tmp/guests-pg-build.$$ 2>&1; then
    tail -20 /tmp/guests-pg-build.$$; rm -f /tmp/guests-pg-build.$$
    bad "postgres: make -C pg install"; finish
fi
rm -f /tmp/guests-pg-build.$$
PGBIN=$(pg_config --bindir)
TMP=$(mktemp -d /tmp/wasm-guests.XXXXXX)
chmod 755 "$TMP"
DATA=$TMP/data SOCK=$TMP/sock FILES=$TMP/files LOG=$TMP/log
mkdir -p "$DATA" "$SOCK" "$FILES" "$LOG"
[ "$(id -u)" = 0 ] && chown postgres "$DATA" "$SOCK" "$LOG"
chmod 700 "$DATA"
PORT=$((59000 + $$ % 900))
while [ -e "$SOCK/.s.PGSQL.$PORT" ] || ss -ltn 2>/dev/null | grep -q ":$PORT "; do PORT=$((PORT + 1)); done
if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi
pgctl() { as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG/server.log" "$@"; }
trap 'pgctl -m immediate stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$TMP/initdb.log" 2>&1 ||
    { cat "$TMP/initdb.log"; bad "postgres: initdb"; finish; }
cat >>"$DATA/postgresql.conf" <<CONF
port = $PORT
unix_socket_directories = '$SOCK'
listen_addresses = ''
fsync = off
max_connections = 10
CONF
pgctl -w start >/dev/null || { cat "$LOG/server.log"; bad "postgres: start"; finish; }
export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
for l in c rust as; do cp "$G/$l/udfs.wasm" "$FILES/$l.wasm"; done
cp "$G/rust/bad.wasm" "$FILES/rust_bad.wasm"
cp "$G/as/bad.wasm" "$FILES/as_bad.wasm"
chmod 644 "$FILES"/*
PSQL="$PGBIN/psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres"

if [ "${1:-}" = demo ]; then
    # Errors are part of the show; psql fails only when the server goes.
    $PGBIN/psql -X -e -v files="$FILES" -f examples/guests-demo.sql -d postgres 2>&1
    exit
fi

if $PSQL >"$TMP/setup.out" 2>&1 <<SQL; then ok "postgres: load c, rust and as modules"; else bad "postgres: load: $(cat "$TMP/setup.out")"; finish; fi
CREATE EXTENSION wasm;
SELECT wasm_new_instance('$FILES/c.wasm', 'c');
SELECT wasm_new_instance('$FILES/rust.wasm', 'rs');
SELECT wasm_new_instance('$FILES/as.wasm', 'asc');
SELECT wasm_new_instance('$FILES/rust_bad.wasm', 'rsbad');
SELECT wasm_new_instance('$FILES/as_bad.wasm', 'ascbad');
SQL

if [ "${1:-}" = bench ]; then
    # Best of 5, the languages taking turns run by run so that noise from the
    # machine's neighbours slows each alike.
    ROWS=${GUESTS_BENCH_ROWS:-50000}
    $PSQL -c "CREATE TABLE texts AS SELECT repeat(chr(97 + i % 26), 100) AS t FROM generate_series(1, $ROWS) i" >/dev/null
    $PSQL -c "SELECT sum(length(c_reverse(t))) + sum(length(rs_reverse(t))) + sum(length(asc_reverse(t))) FROM texts" >/dev/null
    timing() { # SQL: milliseconds
        $PGBIN/psql -X -q -d postgres -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
    }
    for run in 1 2 3 4 5; do
        for v in scan c rs asc; do
            if [ $v = scan ]; then sql="SELECT sum(length(t)) FROM texts"; else sql="SELECT sum(length(${v}_reverse(t))) FROM texts"; fi
            t=$(timing "$sql")
            eval "b=\${best_$v:-}"
            if [ -z "$b" ] || awk "BEGIN { exit !($t < $b) }"; then eval "best_$v=$t"; fi
        done
    done
    echo "PostgreSQL: reverse(t) over $ROWS rows of 100-byte texts, sum(length(f(t))), best of 5 (the scan alone: $best_scan ms)"
    for v in c rs asc; do
        eval "t=\$best_$v"
        awk -v name="$(case $v in c) echo C;; rs) echo Rust;; asc) echo AssemblyScript;; esac)" -v t="$t" \
            -v c="$best_c" -v scan="$best_scan" -v rows=$ROWS 'BEGIN {
            per = (t - scan) * 1e6 / rows; cper = (c - scan) * 1e6 / rows
            printf "  %-16s %9.1f ms   %6.0f ns/row over the scan   ratio to C %.2fx\n", name, t, per, per / cper }'
    done
    exit 0
fi

# q NAME EXPECTED SQL: SQL with @ for the namespace, run for each language.
# C's answers also go to $WB_GUESTS_PG_RESULTS, if set, one "NAME<TAB>answer"
# line each: run.sh compares them with the SQLite extension's (sqlite.py).
q() {
    for ns in c rs asc; do
        sql=$(printf '%s' "$3" | sed "s/@/$ns/g")
        got=$($PSQL -c "$sql" 2>&1)
        if [ $ns = c ] && [ -n "${WB_GUESTS_PG_RESULTS:-}" ]; then printf '%s\t%s\n' "$1" "$got" >>"$WB_GUESTS_PG_RESULTS"; fi
        if [ "$got" = "$2" ]; then ok "postgres $ns: $1"; else bad "postgres $ns: $1: expected '$2', got '$got'"; fi
    done
}
q "add" 42 "SELECT @_add(40, 2)"
q "sum of add over 10000 rows" 50015000 "SELECT sum(@_add(i, 1)) FROM generate_series(1, 10000) i"
q "fib(25)" 75025 "SELECT @_fib(25)"
q "reverse" "x😀 €bña|" "SELECT @_reverse('añb€ 😀x') || '|' || @_reverse('')"
q "reverse of 1000 texts = reverse()" 1000 \
    "SELECT count(*) FILTER (WHERE @_reverse(t) = reverse(t)) FROM (SELECT repeat('añb€😀', i % 40) || i AS t FROM generate_series(1, 1000) i) s"
q "hash" "-3750763034362895579 -6615550055289275125 -2971240953208647856" \
    "SELECT @_hash(''::bytea) || ' ' || @_hash('hello'::bytea) || ' ' || @_hash('\\x00ff10'::bytea)"
q "LANGUAGE wasm naming an export" "cba" \
    "CREATE FUNCTION @_rev2(text) RETURNS text LANGUAGE wasm AS '@.reverse'; SELECT @_rev2('abc')"
q "aggregate" "2.1666666666666665|0" \
    "CREATE AGGREGATE @_avg(double precision) (SFUNC = @_avg_step, STYPE = bytea, FINALFUNC = @_avg_final, INITCOND = '');
     SELECT (SELECT @_avg(x) FROM unnest(ARRAY[1, 2, 3.5]::float8[]) x) || '|' || (SELECT @_avg(x) FROM unnest(ARRAY[]::float8[]) x)"
q "aggregate over 10000 rows, grouped" "5000|5001" \
    "SELECT min(a) || '|' || max(a) FROM (SELECT @_avg(i) AS a FROM generate_series(1, 10000) i GROUP BY i % 2) s"

# A panic (Rust) / abort (AssemblyScript) / trap (C): a clean error, and the
# session carries on; the guest's own message leads the DETAIL.
for ns in c rs asc; do
    out=$($PSQL -v ON_ERROR_STOP=0 -v VERBOSITY=verbose <<SQL 2>&1
\set VERBOSITY verbose
SELECT ${ns}_fail('xé');
SELECT ${ns}_add(1, 1);
SQL
)
    case "$out" in
    *"ERROR:  38000: wasm function \"${ns}_fail\" trapped"*"2") ok "postgres $ns: trap is a 38000 error, the session goes on" ;;
    *) bad "postgres $ns: trap: $out" ;;
    esac
    [ $ns = c ] && continue
    if echo "$out" | grep -q "DETAIL: .*fail was given \"xé\" (3 bytes)"; then
        ok "postgres $ns: DETAIL has the guest's message"
    else
        bad "postgres $ns: no guest message in: $out"
    fi
done

# Text that is not UTF-8 from a guest: 22021.
for f in rsbad_bad_utf8 ascbad_lone_surrogate; do
    out=$($PSQL -v VERBOSITY=verbose -c "\\set VERBOSITY verbose" -c "SELECT $f()" 2>&1)
    case "$out" in
    *"ERROR:  22021:"*) ok "postgres: $f refused (22021)" ;;
    *) bad "postgres: $f: $out" ;;
    esac
done

if grep -E 'PANIC|server process .* was terminated|TRAP:' "$LOG/server.log" >/dev/null; then
    bad "postgres: server log shows a crash"
fi
finish
