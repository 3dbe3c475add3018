# pg/scenarios.sh - scenarios of pg/run-tests.sh that need several sessions,
# a server restart, pg_dump or pgbench.  Sourced by run-tests.sh, which
# provides the cluster ($PSQL, $PGBIN, $TMP, $FILES, pgctl) and ok/bad.
# Each scenario_NAME function works in its own database.

SCENARIOS="backends reload_race standby restart timeout held load_cancel cancel encoding dump tenant_dump pgbench memory backend_memory lift_bounds demo_shows"

newdb() { # $1 = database: fresh, with the extension and the example modules
    $PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" \
        -c "CREATE DATABASE $1" >/dev/null &&
        $PSQL -d "$1" >/dev/null <<EOF
CREATE EXTENSION wasm;
SELECT wasm_new_instance('$FILES/math.wasm', 'math');
SELECT wasm_new_instance('$FILES/strings.wasm', 'str');
SELECT wasm_new_instance_wat('$FILES/limits.wat', 'lim');
EOF
}

q() { # $1 = database, $2 = SQL: the result, unaligned, tuples only
    $PSQL -A -t -d "$1" -c "$2" 2>&1
}

expect() { # $1 = test name, $2 = expected, $3 = actual
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# ---- a persistent session (one at a time), fed through a fifo -----------------
session_open() { # $1 = database
    rm -f "$TMP/session.in"
    : >"$TMP/session.out"
    mkfifo "$TMP/session.in"
    $PSQL -A -t -d "$1" <"$TMP/session.in" >"$TMP/session.out" 2>&1 &
    SESSION_PID=$!
    exec 7>"$TMP/session.in"
}

session_sql() { # $1 = SQL, $2 = seconds to wait (10); prints its output once done
    # Called in $(...) subshells: the end marker is unique by time, not by
    # a counter the subshell could not update.
    mark="__done_$(date +%s%N)"
    before=$(wc -l <"$TMP/session.out")
    # A query, not \echo: psql flushes query results, not \echo output.
    printf "%s\nSELECT '%s';\n" "$1" "$mark" >&7
    for _ in $(seq 1 $((${2:-10} * 20))); do
        grep -q "^$mark\$" "$TMP/session.out" && break
        sleep 0.05
    done
    tail -n +$((before + 1)) "$TMP/session.out" | grep -v "^__done_"
}

session_close() {
    exec 7>&-
    wait "$SESSION_PID" 2>/dev/null
}

# ---- scenarios ----------------------------------------------------------------------

# Another backend calls what the first loaded; a live backend notices when
# a module it has cached is dropped and replaced.
scenario_backends() {
    newdb sc_backends || { bad "backends: setup"; return; }
    q sc_backends "SELECT wasm.load_wat('v', '(module (func (export \"f\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))')" >/dev/null
    expect "backends: a second backend calls a function the first loaded" 42 "$(q sc_backends 'SELECT v_f(41)')"
    session_open sc_backends
    r1=$(session_sql "SELECT v_f(1), math_add(2, 3), str_reverse('abc');")
    q sc_backends "SELECT wasm.drop_instance('v')" >/dev/null
    q sc_backends "SELECT wasm.load_wat('v', '(module (func (export \"f\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 100))))')" >/dev/null
    r2=$(session_sql "SELECT v_f(1);")
    q sc_backends "CREATE FUNCTION k() RETURNS integer LANGUAGE wasm AS '(module (func (export \"k\") (result i32) (i32.const 1)))'" >/dev/null
    r3=$(session_sql "SELECT k();")
    q sc_backends "CREATE OR REPLACE FUNCTION k() RETURNS integer LANGUAGE wasm AS '(module (func (export \"k\") (result i32) (i32.const 2)))'" >/dev/null
    r4=$(session_sql "SELECT k();")
    session_close
    expect "backends: live session before the reload" "2|5|cba" "$r1"
    expect "backends: live session sees the replaced module" "100" "$r2"
    expect "backends: live session sees a replaced inline function" "1 2" "$r3 $r4"
}

# A statement that looked its wasm function up before another session
# dropped and reloaded the module (so the function's pg_proc row is gone by
# the time of the call) fails with a clean, retryable 40001, not XX000
# "cache lookup failed for function N"; run again, it calls the new module
# (issue 19.12).  wait_then_lock() sleeps, then locks a table, which makes
# the backend take in the invalidations of the reload before v_f(1) runs.
scenario_reload_race() {
    newdb sc_race || { bad "reload_race: setup"; return; }
    $PSQL -d sc_race >/dev/null <<'EOF' || { bad "reload_race: setup SQL"; return; }
CREATE TABLE t (x integer);
CREATE FUNCTION wait_then_lock() RETURNS bigint LANGUAGE plpgsql
  AS 'BEGIN PERFORM pg_sleep(1); RETURN (SELECT count(*) FROM t); END';
SELECT wasm.load_wat('v', '(module (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))');
EOF
    (printf '\\set VERBOSITY sqlstate\nSELECT wait_then_lock(), v_f(1);\nSELECT v_f(1);\n' |
        $PGBIN/psql -X -q -A -t -d sc_race >"$TMP/race.out" 2>&1) &
    bg=$!
    for _ in $(seq 1 100); do
        [ -n "$(q sc_race "SELECT pid FROM pg_stat_activity WHERE query LIKE '%wait_then_lock(), v_f%'
                           AND state = 'active' AND pid <> pg_backend_pid()")" ] && break
        sleep 0.05
    done
    q sc_race "BEGIN; SELECT wasm.drop_instance('v');
               SELECT wasm.load_wat('v', '(module (func (export \"f\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 100))))');
               COMMIT;" >/dev/null
    wait $bg
    expect "reload_race: a call whose function a reload dropped fails with 40001, the retry calls the new module" \
        "ERROR:  40001 100" "$(tr '\n' ' ' <"$TMP/race.out" | sed 's/ *$//')"
}

# A streaming standby made with pg_basebackup -R, on its own port in the
# test's directory: functions run there, a module reloaded on the primary
# reaches a standby session that has it cached, and a load or CREATE
# FUNCTION there fails cleanly as a read-only transaction (25006).  Read
# replicas are how the extension scales out (docs/postgres.md).
scenario_standby() {
    newdb sc_standby || { bad "standby: setup"; return; }
    q sc_standby "SELECT wasm.load_wat('v', '(module (func (export \"f\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))')" >/dev/null
    SDATA=$TMP/standby
    SPORT=$((PORT + 1))
    while [ -e "$SOCK/.s.PGSQL.$SPORT" ] || ss -ltn 2>/dev/null | grep -q ":$SPORT "; do SPORT=$((SPORT + 1)); done
    mkdir -p "$SDATA" && chmod 700 "$SDATA"
    [ "$(id -u)" = 0 ] && chown postgres "$SDATA"
    as_pg "$PGBIN/pg_basebackup" -h "$SOCK" -p "$PORT" -U postgres -D "$SDATA" -R -X stream -c fast --no-sync \
        >"$TMP/basebackup.log" 2>&1 || { bad "standby: pg_basebackup: $(tail -3 "$TMP/basebackup.log")"; return; }
    echo "port = $SPORT" >>"$SDATA/postgresql.conf"
    as_pg "$PGBIN/pg_ctl" -D "$SDATA" -l "$LOGDIR/standby.log" -w start >/dev/null ||
        { bad "standby: start: $(tail -5 "$LOGDIR/standby.log")"; return; }
    sq() { $PSQL -A -t -p "$SPORT" -d sc_standby -c "$1" 2>&1; }
    expect "standby: functions run on a streaming standby" "t|5|cba|2" \
        "$(sq "SELECT pg_is_in_recovery(), math_add(2, 3), str_reverse('abc'), v_f(1)")"
    # A live standby session with v cached; the primary reloads v.
    rm -f "$TMP/standby.in"
    mkfifo "$TMP/standby.in"
    $PSQL -A -t -p "$SPORT" -d sc_standby <"$TMP/standby.in" >"$TMP/standby.out" 2>&1 &
    spid=$!
    exec 8>"$TMP/standby.in"
    echo "SELECT 'before', v_f(1);" >&8
    q sc_standby "BEGIN; SELECT wasm.drop_instance('v');
                  SELECT wasm.load_wat('v', '(module (func (export \"f\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 100))))');
                  COMMIT;" >/dev/null
    for _ in $(seq 1 50); do
        echo "SELECT 'after', v_f(1);" >&8
        sleep 0.2
        grep -q '^after|100$' "$TMP/standby.out" && break
    done
    exec 8>&-
    wait $spid
    expect "standby: a live standby session sees a module reloaded on the primary" "before|2 after|100" \
        "$(grep -m1 '^before' "$TMP/standby.out") $(grep -m1 '^after|100' "$TMP/standby.out")"
    expect "standby: loads and CREATE FUNCTION on the standby fail as read-only (25006); DO blocks run" "25006 25006 DO" \
        "$(printf '\\set VERBOSITY sqlstate\nSELECT wasm.load_wat($$w$$, $$(module)$$);\nCREATE FUNCTION k() RETURNS integer LANGUAGE wasm AS $$v.f$$;\nDO $$ (module (func (export "main"))) $$ LANGUAGE wasm;\n' |
            $PGBIN/psql -X -p "$SPORT" -d sc_standby 2>&1 | sed -n 's/^ERROR:  //p; s/^DO$/DO/p' | tr '\n' ' ' | sed 's/ $//')"
    as_pg "$PGBIN/pg_ctl" -D "$SDATA" -m fast stop >/dev/null 2>&1
}

# Modules live in the catalog: after a restart, functions work from it.
scenario_restart() {
    newdb sc_restart || { bad "restart: setup"; return; }
    q sc_restart "CREATE FUNCTION sq(integer) RETURNS integer LANGUAGE wasm AS '(module (func (export \"sq\") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))'" >/dev/null
    pgctl -w -m fast restart >/dev/null 2>&1 || { bad "restart: pg_ctl restart failed"; return; }
    expect "restart: functions work after a server restart" "13|21|cba|49" \
        "$(q sc_restart "SELECT math_add(6, 7), math_gcd(1071, 462), str_reverse('abc'), sq(7)")"
}

# statement_timeout stops an endless guest loop (fuel unlimited) within
# 100 ms of the deadline.
scenario_timeout() {
    newdb sc_timeout || { bad "timeout: setup"; return; }
    out=$(printf '\\timing on\nSET wasm.fuel_per_call = 0;\nSET statement_timeout = 500;\nSELECT lim_forever(1);\n' |
        $PGBIN/psql -X -d sc_timeout 2>&1)
    t=$(echo "$out" | grep '^Time:' | tail -1 | sed 's/Time: \([0-9.]*\) ms.*/\1/')
    late=$(echo "$t" | awk '{printf "%d", $1 - 500}')
    echo "     statement_timeout 500 ms: the loop stopped after $t ms ($late ms past the deadline)"
    if echo "$out" | grep -q 'canceling statement due to statement timeout' && [ "$late" -lt 100 ]; then
        ok "timeout: statement_timeout stops a wasm loop within 100 ms"
    else
        bad "timeout: $out"
    fi
    expect "timeout: a start function's endless loop is stopped too" "57014" \
        "$(printf '\\set VERBOSITY sqlstate\nSET wasm.fuel_per_call = 0;\nSET statement_timeout = 100;\nDO $$ (module (func $s (loop (br 0))) (start $s)) $$ LANGUAGE wasm;\n' |
            $PGBIN/psql -X -q -d sc_timeout 2>&1 | sed -n 's/ERROR:  //p')"
    expect "timeout: the SQLSTATE is 57014" "57014" \
        "$(printf '\\set VERBOSITY sqlstate\nSET wasm.fuel_per_call = 0;\nSET statement_timeout = 100;\nSELECT lim_forever(1);\n' |
            $PGBIN/psql -X -q -d sc_timeout 2>&1 | sed -n 's/ERROR:  //p')"
}

# A wasm function PostgreSQL calls with interrupts held: the subtype_diff
# of a range type, called by a GiST index's penalty with a buffer lock held.
# Its first call with a bound >= 12345 spins 2e9 times (several seconds),
# with fuel unlimited, so only the held-interrupts budget can stop it
# (issue 19.6): a statement_timeout, pg_terminate_backend, the time budget
# and the fuel budget each end it at once.  A start function run there is
# bounded too.
held_sql() { # $1 = database, $2 = SQL before the INSERT: prints "ms|sqlstate|message"
    printf '\\set VERBOSITY sqlstate\nSET wasm.fuel_per_call = 0;\n%s\nSELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0 \\gset\nINSERT INTO r VALUES (fr(12345, 12346));\nSELECT round(extract(epoch FROM clock_timestamp()) * 1000 - :t0);\n' "$2" |
        $PGBIN/psql -X -q -A -t -d "$1" 2>&1 | tr '\n' '|'
}

scenario_held() {
    newdb sc_held || { bad "held: setup"; return; }
    $PSQL -d sc_held >/dev/null <<'EOF' || { bad "held: setup SQL"; return; }
CREATE FUNCTION fdiff(float8, float8) RETURNS float8 LANGUAGE wasm IMMUTABLE AS $$
(module
  (global $done (mut i32) (i32.const 0))
  (func (export "fdiff") (param f64 f64) (result f64) (local i64 i64)
    (if (i32.and (i32.eqz (global.get $done))
                 (i32.or (f64.ge (local.get 0) (f64.const 12345)) (f64.ge (local.get 1) (f64.const 12345))))
      (then
        (global.set $done (i32.const 1))
        ;; A division an iteration, each waiting for the last: slow enough
        ;; per unit of fuel that even as machine code the largest fuel
        ;; budget outlasts the timeout.
        (loop $l
          (local.set 2 (i64.add (local.get 2) (i64.const 1)))
          (local.set 3 (i64.div_u (i64.const 0x7fffffffffffffff)
                                  (i64.or (i64.add (local.get 3) (local.get 2)) (i64.const 1))))
          (br_if $l (i64.lt_u (local.get 2) (i64.const 2000000000))))))
    (f64.sub (local.get 0) (local.get 1))))
$$;
CREATE TYPE fr AS RANGE (subtype = float8, subtype_diff = fdiff);
CREATE TABLE r (x fr);
CREATE INDEX ON r USING gist (x);
INSERT INTO r SELECT fr(i, i + 1) FROM generate_series(1, 3000) i;
EOF
    # Budgets out of the way: the statement_timeout alone must stop it.
    out=$(held_sql sc_held "SET wasm.held_fuel_per_call = 2147483647; SET wasm.held_time_per_call = '1h'; SET statement_timeout = 200;")
    echo "     statement_timeout 200 ms, wasm in a GiST insert: $out"
    case "$out" in
    "ERROR:  57014|"*) ms=${out%|}; ms=${ms##*|}
        if [ "$ms" -lt 1500 ]; then ok "held: statement_timeout stops wasm called with interrupts held (57014, $ms ms)"
        else bad "held: statement_timeout took $ms ms"; fi ;;
    *) bad "held: statement_timeout: $out" ;;
    esac
    # pg_terminate_backend: the backend is gone soon after the signal.
    (held_sql sc_held "SET wasm.held_fuel_per_call = 2147483647; SET wasm.held_time_per_call = '1h';" >"$TMP/held.out") &
    bg=$!
    pid=""
    for _ in $(seq 1 100); do
        pid=$(q sc_held "SELECT pid FROM pg_stat_activity WHERE query LIKE 'INSERT INTO r VALUES%' AND state = 'active'")
        [ -n "$pid" ] && break
        sleep 0.05
    done
    sleep 0.3
    t0=$(ms_now)
    q sc_held "SELECT pg_terminate_backend($pid)" >/dev/null
    gone=""
    for _ in $(seq 1 100); do
        [ -z "$(q sc_held "SELECT pid FROM pg_stat_activity WHERE pid = $pid")" ] && { gone=$(($(ms_now) - t0)); break; }
        sleep 0.02
    done
    wait $bg
    if [ -n "$pid" ] && [ -n "$gone" ] && [ "$gone" -lt 1000 ]; then
        ok "held: pg_terminate_backend ends a backend running wasm with interrupts held ($gone ms)"
    else
        bad "held: pg_terminate_backend: pid '$pid', gone after '${gone:-more than 2 s}' ms: $(cat "$TMP/held.out")"
    fi
    # The budgets, with no timeout: wall time, then fuel (the defaults).
    out=$(held_sql sc_held "SET wasm.held_fuel_per_call = 2147483647; SET wasm.held_time_per_call = 200;")
    case "$out" in
    "ERROR:  54000|"*) ms=${out%|}; ms=${ms##*|}
        if [ "$ms" -lt 1000 ]; then ok "held: wasm.held_time_per_call ends the call (54000, $ms ms)"
        else bad "held: wasm.held_time_per_call took $ms ms"; fi ;;
    *) bad "held: wasm.held_time_per_call: $out" ;;
    esac
    out=$(printf 'SET wasm.fuel_per_call = 0;\nINSERT INTO r VALUES (fr(12345, 12346));\n' | $PGBIN/psql -X -q -d sc_held 2>&1 | tr '\n' ' ')
    case "$out" in
    *"ERROR:  wasm function \"fdiff\" ran out of fuel"*"wasm.held_fuel_per_call"*) ok "held: wasm.held_fuel_per_call bounds the call by default (54000)" ;;
    *) bad "held: wasm.held_fuel_per_call: $out" ;;
    esac
    # A start function first run inside the index.
    $PSQL -d sc_held >/dev/null <<'EOF' || { bad "held: start function setup"; return; }
CREATE FUNCTION sdiff(float8, float8) RETURNS float8 LANGUAGE wasm IMMUTABLE AS $$
(module
  (func $start (local i64 i64)
    ;; A dependent division an iteration, as fdiff's: as machine code a
    ;; plain loop spends the largest fuel budget before the timer fires.
    (loop $l
      (local.set 0 (i64.add (local.get 0) (i64.const 1)))
      (local.set 1 (i64.div_u (i64.const 0x7fffffffffffffff)
                              (i64.or (i64.add (local.get 1) (local.get 0)) (i64.const 1))))
      (br_if $l (i64.lt_u (local.get 0) (i64.const 2000000000)))))
  (start $start)
  (func (export "sdiff") (param f64 f64) (result f64) (f64.sub (local.get 0) (local.get 1))))
$$;
CREATE TYPE sr AS RANGE (subtype = float8, subtype_diff = sdiff);
CREATE TABLE s (x sr);
CREATE INDEX ON s USING gist (x);
EOF
    out=$(printf 'SET wasm.fuel_per_call = 0;\nINSERT INTO s SELECT sr(i, i + 1) FROM generate_series(1, 1000) i;\n' |
        $PGBIN/psql -X -q -d sc_held 2>&1 | tr '\n' ' ')
    case "$out" in
    *"ERROR:  wasm function \"sdiff\" ran out of fuel"*) ok "held: a start function run with interrupts held is bounded by fuel (54000)" ;;
    *) bad "held: start function: $out" ;;
    esac
    # ... and by wall time: instantiation cannot be sliced, a timer stops it.
    out=$(printf 'SET wasm.fuel_per_call = 0;\nSET wasm.held_fuel_per_call = 2147483647;\nSET wasm.held_time_per_call = 200;\n\\timing on\nINSERT INTO s SELECT sr(i, i + 1) FROM generate_series(1, 1000) i;\n' |
        $PGBIN/psql -X -q -d sc_held 2>&1 | tr '\n' ' ')
    ms=$(echo "$out" | sed -n 's/.*Time: \([0-9]*\)[.].*/\1/p')
    case "$out" in
    *"ERROR:  wasm function \"sdiff\" ran out of time"*) if [ "${ms:-9999}" -lt 1000 ]; then ok "held: a start function run with interrupts held is bounded by wasm.held_time_per_call (54000, $ms ms)"
                                                      else bad "held: start function stopped after $ms ms"; fi ;;
    *) bad "held: start function, wall time: $out" ;;
    esac
}

# A large generated module: 60 functions (param i32) (result i32), each a
# loop of 140,000 increments (machine code is made for each at load, which
# takes seconds for 60 MB), and an exported "diff" (f64, f64) -> f64.
big_module() { # $1 = file
    python3 - "$1" <<'EOF'
import sys
def leb(n):
    out = bytearray()
    while True:
        b, n = n & 0x7f, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)
def section(i, payload):
    return bytes([i]) + leb(len(payload)) + payload
nfunc, k = 60, 140000
loop = b'\x00\x03\x40' + b'\x20\x00\x41\x01\x6a\x21\x00' * k + b'\x20\x00\x41\x00\x48\x0d\x00\x0b\x20\x00\x0b'
diff = b'\x00\x20\x00\x20\x01\xa1\x0b'
code = leb(nfunc + 1) + (leb(len(loop)) + loop) * nfunc + leb(len(diff)) + diff
types = b'\x02\x60\x01\x7f\x01\x7f\x60\x02\x7c\x7c\x01\x7c'
with open(sys.argv[1], 'wb') as f:
    f.write(b'\x00asm\x01\x00\x00\x00' + section(1, types) + section(3, leb(nfunc + 1) + b'\x00' * nfunc + b'\x01')
            + section(7, b'\x01\x04diff\x00' + leb(nfunc)) + section(10, code))
EOF
    chmod 644 "$1"
}

# Loading a large module is cancelled by statement_timeout; compiling one
# where PostgreSQL holds interrupts (its function's first call is inside a
# GiST insert) ends at wasm.held_time_per_call.  Both used to run to the
# end of the compile, deaf to cancels (issue 19.7).
scenario_load_cancel() {
    newdb sc_loadcancel || { bad "load_cancel: setup"; return; }
    big_module "$FILES/big.wasm" || { bad "load_cancel: generating the module"; return; }
    out=$(printf '\\set VERBOSITY sqlstate\nSET statement_timeout = 300;\nSELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0 \\gset\nSELECT wasm.load($$big$$, pg_read_binary_file($$%s$$));\nSELECT round(extract(epoch FROM clock_timestamp()) * 1000 - :t0);\n' "$FILES/big.wasm" |
        $PGBIN/psql -X -q -A -t -d sc_loadcancel 2>&1 | tr '\n' '|')
    ms=${out%|}
    ms=${ms##*|}
    echo "     a 60 MB module loaded under statement_timeout = 300 ms: $out"
    case "$out" in
    "ERROR:  57014|"*) if [ "$ms" -lt 1500 ]; then ok "load_cancel: statement_timeout cancels a long module load (57014, $ms ms)"
                       else bad "load_cancel: the load was cancelled only after $ms ms"; fi ;;
    *) bad "load_cancel: $out" ;;
    esac
    expect "load_cancel: nothing was stored" "0" "$(q sc_loadcancel "SELECT count(*) FROM wasm.instances WHERE namespace = 'big'")"
    # The same module loaded (as long as it takes), then first used inside an index.
    $PSQL -d sc_loadcancel >/dev/null <<EOF || { bad "load_cancel: held setup"; rm -f "$FILES/big.wasm"; return; }
SELECT wasm.load('big', pg_read_binary_file('$FILES/big.wasm'));
ALTER FUNCTION big_diff(float8, float8) IMMUTABLE;
CREATE TYPE br AS RANGE (subtype = float8, subtype_diff = big_diff);
CREATE TABLE b (x br);
CREATE INDEX ON b USING gist (x);
EOF
    rm -f "$FILES/big.wasm"
    out=$(printf '\\timing on\nINSERT INTO b SELECT br(i, i + 1) FROM generate_series(1, 1000) i;\n' |
        $PGBIN/psql -X -q -d sc_loadcancel 2>&1 | tr '\n' ' ')
    ms=$(echo "$out" | sed -n 's/.*Time: \([0-9]*\)[.].*/\1/p')
    case "$out" in
    *"ERROR:  wasm module \"big\" could not be compiled in time"*)
        # (the time includes reading the 60 MB row before the compile starts)
        if [ "${ms:-9999}" -lt 2000 ]; then ok "load_cancel: compiling where interrupts are held ends at wasm.held_time_per_call (54000, $ms ms)"
        else bad "load_cancel: the held compile ended after $ms ms"; fi ;;
    *) bad "load_cancel: held compile: $out" ;;
    esac
}

# pg_cancel_backend from another session stops an endless loop.
scenario_cancel() {
    newdb sc_cancel || { bad "cancel: setup"; return; }
    (printf '\\set VERBOSITY sqlstate\nSET wasm.fuel_per_call = 0;\nSELECT lim_forever(7);\n' |
        $PGBIN/psql -X -q -d sc_cancel >"$TMP/cancel.out" 2>&1
    ms_now >"$TMP/cancel.end") &
    bg=$!
    pid=""
    for _ in $(seq 1 100); do
        pid=$(q sc_cancel "SELECT pid FROM pg_stat_activity WHERE query LIKE '%lim_forever(7)%' AND state = 'active' AND pid <> pg_backend_pid()")
        [ -n "$pid" ] && break
        sleep 0.05
    done
    sleep 0.3
    # The server's clock as it sends the signal (the same clock as ms_now):
    # the start-up of the psql that cancels is no part of the latency.
    t0=$(q sc_cancel "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint FROM
                      (SELECT pg_cancel_backend($pid)) c")
    wait $bg
    t1=$(cat "$TMP/cancel.end")
    echo "     pg_cancel_backend: the client had its error $((t1 - t0)) ms after the cancel was sent"
    if grep -q '57014' "$TMP/cancel.out" && [ $((t1 - t0)) -lt 100 ]; then
        ok "cancel: pg_cancel_backend stops a wasm loop (57014) within 100 ms"
    else
        bad "cancel: $(cat "$TMP/cancel.out") after $((t1 - t0)) ms"
    fi
}

# Text crosses as UTF-8 also when the database encoding is another one.
scenario_encoding() {
    $PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS sc_latin1" \
        -c "CREATE DATABASE sc_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" >/dev/null &&
        $PSQL -d sc_latin1 -c "CREATE EXTENSION wasm" -c "SELECT wasm_new_instance('$FILES/strings.wasm', 'str')" >/dev/null ||
        { bad "encoding: setup"; return; }
    expect "encoding: a LATIN1 database passes text as UTF-8 and back" "5|cbñáa|t" \
        "$(PGCLIENTENCODING=UTF8 q sc_latin1 "SELECT str_char_count('aáñbc'), str_reverse('aáñbc'), str_reverse('ñ') = 'ñ'")"
}

# pg_dump, drop the database, pg_restore into a new one: modules, generated
# and hand-written functions, aggregates all work.
scenario_dump() {
    newdb sc_dump || { bad "dump: setup"; return; }
    $PSQL -d sc_dump >/dev/null <<'EOF' || { bad "dump: setup SQL"; return; }
CREATE FUNCTION sq(integer) RETURNS integer LANGUAGE wasm
  AS '(module (func (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))';
CREATE FUNCTION my_rev(text) RETURNS text LANGUAGE wasm AS 'str.reverse';
CREATE AGGREGATE wasm_avg(double precision) (
  SFUNC = str_avg_step, STYPE = bytea, FINALFUNC = str_avg_final, INITCOND = '');
EOF
    query="SELECT math_add(1, 2), sq(9), my_rev('dump'), str_upper_ascii('ok'), (SELECT wasm_avg(x) FROM generate_series(1, 9) x),
                  (SELECT string_agg(namespace, ',' ORDER BY id) FROM wasm.instances),
                  (SELECT count(*) FROM wasm.exported_functions)"
    before=$(q sc_dump "$query")
    as_pg "$PGBIN/pg_dump" -h "$SOCK" -p "$PORT" -Fc -f "$LOGDIR/sc_dump.dump" sc_dump 2>"$TMP/dump.err" ||
        { bad "dump: pg_dump: $(cat "$TMP/dump.err")"; return; }
    $PSQL -d postgres -c "DROP DATABASE sc_dump" -c "CREATE DATABASE sc_restored" >/dev/null
    as_pg "$PGBIN/pg_restore" -h "$SOCK" -p "$PORT" -d sc_restored "$LOGDIR/sc_dump.dump" 2>"$TMP/restore.err" ||
        { bad "dump: pg_restore: $(cat "$TMP/restore.err")"; return; }
    after=$(q sc_restored "$query")
    expect "dump: pg_dump/pg_restore round trip keeps modules and functions" "$before" "$after"
    expect "dump: a module loaded after the restore gets a fresh id" "t" \
        "$(q sc_restored "SELECT wasm.load_wat('more', '(module)') > (SELECT max(id) FROM wasm.instances WHERE namespace <> 'more')")"
}

# A tenant backs up its own schema and modules with pg_dump, drops them,
# restores them with pg_restore (no error), and calls them; another tenant's
# module is not in the dump, and a forged row is refused (issue 19.11).
scenario_tenant_dump() {
    newdb sc_tdump || { bad "tenant_dump: setup"; return; }
    $PSQL -d sc_tdump >/dev/null <<'EOF' || { bad "tenant_dump: setup SQL"; return; }
CREATE ROLE dumper LOGIN;
CREATE ROLE bystander LOGIN;
GRANT CREATE ON DATABASE sc_tdump TO dumper, bystander;
SET ROLE bystander;
CREATE SCHEMA bs;
SET search_path = bs;
SELECT wasm.load_wat('secret', '(module (func (export "f") (result i32) (i32.const 4242)))');
RESET ROLE;
SET ROLE dumper;
CREATE SCHEMA tn;
SET search_path = tn;
SELECT wasm.load_wat('calc', '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))');
CREATE FUNCTION tn.twice(integer) RETURNS integer LANGUAGE wasm
  AS '(module (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))';
EOF
    file=$LOGDIR/tenant.dump
    as_pg "$PGBIN/pg_dump" -h "$SOCK" -p "$PORT" -U dumper --enable-row-security --inserts -n tn -e wasm -Fc -f "$file" sc_tdump \
        2>"$TMP/tdump.err" || { bad "tenant_dump: pg_dump as a tenant: $(cat "$TMP/tdump.err")"; return; }
    listed=$(as_pg "$PGBIN/pg_restore" -f - "$file" | grep -c -e "VALUES ([0-9]*, 'calc'" -e "'secret'")
    expect "tenant_dump: the dump holds the tenant's module and not the other's" "1" "$listed"
    $PSQL -U dumper -d sc_tdump -c "SELECT wasm.drop_instance('calc', true)" -c "DROP SCHEMA tn CASCADE" >/dev/null 2>&1
    as_pg "$PGBIN/pg_restore" -h "$SOCK" -p "$PORT" -U dumper --enable-row-security -d sc_tdump "$file" >"$TMP/trestore.err" 2>&1
    rc=$?
    expect "tenant_dump: pg_restore as the tenant, without errors" "0 " "$rc $(grep -m1 ERROR "$TMP/trestore.err")"
    expect "tenant_dump: the restored functions call the restored module; the other tenant's is untouched" \
        "5|14 4242" "$(q sc_tdump "SET ROLE dumper; SELECT tn.calc_add(2, 3), tn.twice(7)") $(q sc_tdump "SET ROLE bystander; SELECT bs.secret_f()")"
    # What a tenant may insert into the catalog is checked like a load.
    expect "tenant_dump: a tenant cannot restore a row owned by another role, or code that does not validate" \
        "42501 22P03" \
        "$(printf '\\set VERBOSITY sqlstate\nSET ROLE dumper;\nINSERT INTO wasm.modules (namespace, code, sha256, size, owner) VALUES ($$x$$, $$\\\\x0061736d01000000$$, $$$$, 0, $$bystander$$);\nINSERT INTO wasm.modules (namespace, code, sha256, size, owner) VALUES ($$y$$, $$\\\\x0061736d0100$$, $$$$, 0, $$dumper$$);\n' |
            $PGBIN/psql -X -q -d sc_tdump 2>&1 | sed -n 's/ERROR:  //p' | tr '\n' ' ' | sed 's/ $//')"
}

# Memory of the backends serving pgbench: PostgreSQL's long-lived contexts
# (from pg_log_backend_memory_contexts) and private RSS.  The dump is taken
# wherever the backend checks for interrupts, often in the middle of a query,
# so the contexts of the message, transaction and portals (an executor's
# 100 KB come and go with every statement) are left out: a leak shows in
# what outlives a transaction.
backend_memory() { # prints "pid context_bytes rss_anon_kB" per pgbench backend
    pids=$(q sc_bench "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench' ORDER BY pid")
    mark=$(wc -l <"$LOGDIR/server.log")
    for p in $pids; do
        sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status" >"$TMP/rss.$p" 2>/dev/null
    done
    # One query signals them all: a psql per backend took seconds on a
    # loaded machine, and the run could end before the last sample.
    [ -n "$pids" ] && q sc_bench "SELECT count(pg_log_backend_memory_contexts(pid)) FROM pg_stat_activity
                WHERE pid IN ($(echo $pids | tr ' ' ','))" >/dev/null
    # A busy backend logs when it next checks for interrupts: wait (up to
    # 5 s) until every dump has ended with its "Grand total" line.
    for i in 1 2 3 4 5 6 7 8 9 10; do
        sleep 0.5
        done_=$(tail -n +$((mark + 1)) "$LOGDIR/server.log" | grep -c 'LOG:  Grand total: ')
        [ "$done_" -ge "$(echo $pids | wc -w)" ] && break
    done
    for p in $pids; do
        ctx=$(tail -n +$((mark + 1)) "$LOGDIR/server.log" | grep "\[$p\] LOG:  level: " | awk '
            { s = substr($0, index($0, "level: ") + 7); lvl = s + 0       # "1; Name: 8192 total in ..."
              s = substr(s, index(s, "; ") + 2); j = index(s, ": ")
              name = substr(s, 1, j - 1); bytes = substr(s, j + 2) + 0
              if (lvl <= 1) top = name
              if (top !~ /^(MessageContext|TopPortalContext|TopTransactionContext|ErrorContext)$/) { sum += bytes; n++ } }
            END { if (n) print sum }')
        rss=$(cat "$TMP/rss.$p")
        echo "$p ${ctx:-?} ${rss:-?}"
    done
}

# 16 clients for PGBENCH_SECONDS: zero errors, backend memory flat from a
# fifth of the run on (three samples, a fifth of the run apart).
scenario_pgbench() {
    # The memory samples need a run of 16 s at least.
    [ "$PGBENCH_SECONDS" -lt 16 ] && PGBENCH_SECONDS=16
    newdb sc_bench || { bad "pgbench: setup"; return; }
    cat >"$TMP/bench.sql" <<'EOF'
\set x random(1, 100000)
SELECT math_add(:x, 1), math_gcd(:x, 462), str_reverse('pgbench ' || :x), str_fnv1a(convert_to(:x::text, 'UTF8'));
SELECT sum(math_add(i, :x)) FROM generate_series(1, 100) i;
SELECT str_avg_final(str_avg_step('', :x));
EOF
    # Each sample may take several seconds on a loaded machine (a psql per
    # backend, then the wait for the dumps): the run goes on 10 s past the
    # samples' schedule so that the last one still finds every backend.
    "$PGBIN/pgbench" -n -c 16 -j 2 -T $((PGBENCH_SECONDS + 10)) -f "$TMP/bench.sql" sc_bench >"$TMP/pgbench.out" 2>&1 &
    bench=$!
    sleep $((PGBENCH_SECONDS / 5 + 1))
    backend_memory >"$TMP/mem1"
    sleep $((PGBENCH_SECONDS / 5))
    backend_memory >"$TMP/mem2"
    sleep $((PGBENCH_SECONDS / 5))
    backend_memory >"$TMP/mem3"
    wait $bench
    rc=$?
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TMP/pgbench.out" | head -1)
    txs=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$TMP/pgbench.out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$TMP/pgbench.out")
    echo "     pgbench: 16 clients, $((PGBENCH_SECONDS + 10)) s: $txs transactions, $tps tps, ${failed:-?} failed"
    if [ "$rc" = 0 ] && [ "${failed:-0}" = 0 ] && [ "${txs:-0}" -gt 0 ] && ! grep -q 'ERROR' "$TMP/pgbench.out"; then
        ok "pgbench: 16 concurrent clients, zero errors"
    else
        bad "pgbench: rc=$rc"
        tail -20 "$TMP/pgbench.out"
    fi
    # Per backend: growth of contexts and private RSS over both intervals
    # between the three samples.  A leak grows in both; a cache filled once
    # (a lazily loaded catalog entry, say) in one only.
    growth=$(join "$TMP/mem1" "$TMP/mem2" | join - "$TMP/mem3" | awk '$0 !~ /[?]/ {
        n++; dc = min($4 - $2, $6 - $4); dr = min($5 - $3, $7 - $5)
        if (dc > mc) mc = dc; if (dr > mr) mr = dr; c += $6; r += $7 }
        function min(a, b) { return a < b ? a : b }
        END { if (n) printf "%d %d %d %d %d", n, mc, mr, c / n, r / n }')
    set -- $growth
    if [ "${1:-0}" -ge 8 ]; then
        echo "     pgbench backends ($1): average $4 B in long-lived contexts, $5 kB private RSS; largest steady growth (in both intervals) $2 B, $3 kB"
        if [ "$2" -le 65536 ] && [ "$3" -le 2048 ]; then
            ok "pgbench: backend memory stable under load"
        else
            bad "pgbench: backend memory grew (contexts +$2 B, RSS +$3 kB)"
        fi
    else
        bad "pgbench: could not sample backend memory ($(wc -l <"$TMP/mem1") / $(wc -l <"$TMP/mem2") / $(wc -l <"$TMP/mem3") backends)"
    fi
}

# One backend's memory stays flat over repeated rounds of calls, traps,
# module reloads and function replacements: PostgreSQL memory contexts
# (pg_backend_memory_contexts) and the process RSS (/proc/self/status).
scenario_memory() {
    newdb sc_memory || { bad "memory: setup"; return; }
    $PSQL -d sc_memory >/dev/null <<'EOF'
CREATE FUNCTION round() RETURNS void LANGUAGE plpgsql AS $$
DECLARE traps int := 0;
BEGIN
  PERFORM sum(math_add(i, 1)), sum(length(str_reverse(repeat('x', i % 200)))) FROM generate_series(1, 20000) i;
  PERFORM wasm_avg FROM (SELECT str_avg_final(str_avg_step('', i)) AS wasm_avg FROM generate_series(1, 2000) i) s;
  FOR i IN 1..200 LOOP
    BEGIN PERFORM lim_divide(i, 0); EXCEPTION WHEN external_routine_exception THEN traps := traps + 1; END;
    BEGIN PERFORM lim_deep(1); EXCEPTION WHEN program_limit_exceeded THEN traps := traps + 1; END;
  END LOOP;
  FOR i IN 1..20 LOOP
    BEGIN PERFORM str_repeat(repeat('x', 1000), 100000); EXCEPTION WHEN out_of_memory THEN traps := traps + 1; END;
  END LOOP;
  -- reload a module and replace an inline function: the old ones are freed
  PERFORM wasm.drop_instance('tmp') FROM wasm.instances WHERE namespace = 'tmp';
  PERFORM wasm.load_wat('tmp', '(module (memory 1) (func (export "f") (result i32) (i32.const 1)))');
  PERFORM tmp_f();
  EXECUTE format('CREATE OR REPLACE FUNCTION inl() RETURNS integer LANGUAGE wasm AS %L',
                 '(module (memory 2) (func (export "inl") (result i32) (i32.const ' || (random() * 1000)::int || ')))');
  PERFORM inl();
  IF traps <> 420 THEN RAISE EXCEPTION 'expected 420 caught errors, got %', traps; END IF;
END $$;
CREATE FUNCTION mem() RETURNS text LANGUAGE sql AS $$
  SELECT (SELECT sum(total_bytes) FROM pg_backend_memory_contexts) || ' ' ||
         (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1]
$$;
EOF
    session_open sc_memory
    session_sql "SELECT round(); SELECT round();" 120 >/dev/null
    m1=$(session_sql "SELECT mem();")
    r=$(session_sql "SELECT round(); SELECT round(); SELECT round(); SELECT round(); SELECT round();" 300)
    m2=$(session_sql "SELECT mem();")
    session_close
    ctx1=${m1% *} rss1=${m1#* } ctx2=${m2% *} rss2=${m2#* }
    echo "     memory over 5 rounds (each 20k text calls, 420 traps, a module reload): contexts $ctx1 -> $ctx2 bytes, RSS $rss1 -> $rss2 kB"
    if [ -z "$ctx1" ] || [ -z "$ctx2" ] || [ -z "$rss1" ] || [ -z "$rss2" ] || echo "$m1 $m2" | grep -q '[^0-9 ]'; then
        bad "memory: could not measure ($m1 / $m2)"
    elif echo "$r" | grep -q ERROR; then
        bad "memory: a round failed: $r"
    elif [ $((ctx2 - ctx1)) -le 65536 ] && [ $((rss2 - rss1)) -le 4096 ]; then
        ok "memory: backend memory stable (contexts +$((ctx2 - ctx1)) B, RSS +$((rss2 - rss1)) kB)"
    else
        bad "memory: grew: contexts +$((ctx2 - ctx1)) B, RSS +$((rss2 - rss1)) kB"
    fi
}

# Ten inline functions in one backend, each touching 64 MiB (an instance's
# cap): their linear memories together stay within wasm.max_backend_memory
# (256 MB by default), cold instances evicted; the backend's RSS was 678 MB
# (issue 19.8).
scenario_backend_memory() {
    newdb sc_bmem || { bad "backend_memory: setup"; return; }
    calls=
    for i in 1 2 3 4 5 6 7 8 9 10; do
        q sc_bmem "CREATE FUNCTION t$i() RETURNS integer LANGUAGE wasm AS '(module (memory 1)
            (func (export \"t$i\") (result i32) (drop (memory.grow (i32.const 1023)))
              (memory.fill (i32.const 0) (i32.const 1) (i32.const 67108864)) (memory.size)))'" >/dev/null
        calls="$calls${calls:+ + }t$i()"
    done
    out=$(q sc_bmem "SELECT $calls, (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1],
                            pg_size_bytes(coalesce(current_setting('wasm.max_backend_memory', true), '256MB')) / 1024")
    set -- $(echo "$out" | tr '|' ' ')
    echo "     ten functions touching 64 MiB each: pages $1, backend RSS ${2:-?} kB, wasm.max_backend_memory ${3:-?} kB"
    if [ "$1" = 10240 ] && [ -n "${3:-}" ] && [ "$2" -le $(($3 + 80 * 1024)) ]; then
        ok "backend_memory: one backend's linear memories stay within wasm.max_backend_memory"
    else
        bad "backend_memory: $out"
    fi
}

# A string result's length is the guest's word: a 1 GB length with a
# pointer into a 64 KiB memory must be refused before anything is allocated
# (the backend reserved the 1 GB first, then checked; issue 19.13).  The
# backend's peak virtual size shows an allocation even when no page of it
# was touched.
scenario_lift_bounds() {
    newdb sc_lift || { bad "lift_bounds: setup"; return; }
    q sc_lift "CREATE FUNCTION big() RETURNS text LANGUAGE wasm AS '(module (memory (export \"memory\") 1)
        (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
        (func (export \"big\") (result i32)
          (i32.store (i32.const 16) (i32.const 0)) (i32.store (i32.const 20) (i32.const 1072693248))
          (i32.const 16)))'" >/dev/null
    peak="(regexp_match(pg_read_file('/proc/self/status'), 'VmPeak:\s+(\d+)'))[1]::bigint"
    out=$($PSQL -v ON_ERROR_STOP=0 -A -t -d sc_lift -c "SELECT $peak" -c "SELECT big()" -c "SELECT $peak" 2>&1)
    before=$(echo "$out" | sed -n 1p)
    after=$(echo "$out" | tail -1)
    if echo "$out" | grep -q 'returned a string out of the bounds of its memory' &&
        [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -lt 102400 ]; then
        ok "lift_bounds: a 1 GB result length is refused before any allocation"
    else
        bad "lift_bounds: VmPeak $before -> $after kB: $out"
    fi
}

# `make demo` shows what the issue asks of it: each outcome below must be in
# its output, so the demo cannot quietly stop showing one (machine code once
# made the infinite loop run out of fuel before the timeout could fire).
scenario_demo_shows() {
    $PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS wasm_demo" \
        -c "CREATE DATABASE wasm_demo" >/dev/null || { bad "demo: createdb"; return; }
    out=$(run_demo wasm_demo | tr -s ' ') # (runs of spaces as one: column widths vary)
    missing=
    for want in ' 42 | 75025 | 21' ' 5000150000' ' 144' \
        'ERROR: 38000: wasm function "lim_crash" trapped: unreachable' '#1 func 2 at offset' \
        'ERROR: wasm function "lim_forever" ran out of fuel' \
        'ERROR: canceling statement due to statement timeout' \
        'ERROR: wasm function "lim_membomb" exceeded its memory limit' 'still_serving' \
        'math_add(integer,integer) | 100002 | 0 |'; do
        echo "$out" | grep -qF -- "$want" || missing="$missing [$want]"
    done
    if [ -z "$missing" ]; then
        ok "demo: shows UDFs, a trap, fuel, a timeout, a memory bomb, stats"
    else
        bad "demo: missing$missing"
        echo "$out" | tail -20
    fi
}
