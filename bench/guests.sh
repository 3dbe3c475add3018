#!/bin/sh
# bench/guests.sh - the text reverse UDF written in C, Rust and
# AssemblyScript (examples/*/udfs.*), side by side, on 100-byte texts:
#   1. on the engine alone: ns per call through the canonical ABI
#      (build/guests/guestcall --bench: cabi_realloc, the export, cabi_post,
#      as pg/call.c does them), best of 5 runs, the languages taking turns;
#      add(i32, i32) as well, for the call path without text;
#   2. in SQLite (build/wasm_sqlite.so in the sqlite3 shell, .timer on):
#      sum(length(ns_reverse(t))) over 20,000 rows of a table in memory, the
#      scan subtracted, best of 5, the languages taking turns;
#   3. in PostgreSQL (tests/guests/pg.sh bench, a throwaway cluster):
#      sum(length(ns_reverse(t))) over 50,000 rows, the scan subtracted.
# The issue's target: the SDKs add at most 20% over C's per-call cost (the
# Rust and AssemblyScript examples take the fast text path, docs/guests.md).
# `make bench-guests` (part of `make bench`) builds what it needs first.
G=build/guests
TEXT=$(printf '%100s' '' | tr ' ' 'x')
best() { # FILE FUNC ARGS...: the best ns/call of 5 runs of 20,000 calls
    b=
    for _ in 1 2 3 4 5; do
        t=$($G/guestcall --bench 20000 "$@" | cut -d' ' -f1)
        b=$(awk -v t="$t" -v b="${b:-$t}" 'BEGIN { print (t < b) ? t : b }')
    done
    echo "$b"
}
for f in reverse add; do
    if [ $f = reverse ]; then set -- "$TEXT"; else set -- 40 2; fi
    for l in c rust as; do eval "t_$l=\$(best $G/$l/udfs.wasm $f \"\$@\")"; done
    echo "engine: $f, ns per call through the canonical ABI (guestcall), best of 5"
    for l in c rust as; do
        eval "t=\$t_$l"
        awk -v name="$(case $l in c) echo C;; rust) echo Rust;; as) echo AssemblyScript;; esac)" -v t="$t" -v c="$t_c" \
            'BEGIN { printf "  %-16s %9.1f ns   ratio to C %.2fx\n", name, t, t / c }'
    done
done
# SQLite: one shell, the modules loaded once, the queries timed in turn;
# awk pairs each "Run Time" with its query by its place in the sequence.
if command -v sqlite3 >/dev/null 2>&1 && [ -f build/wasm_sqlite.so ]; then
    ROWS=${GUESTS_SQLITE_ROWS:-20000}
    {
        echo ".load build/wasm_sqlite"
        for l in c:c rust:rs as:asc; do echo "SELECT wasm_new_instance('$G/${l%%:*}/udfs.wasm', '${l#*:}');"; done
        echo "CREATE TABLE texts AS SELECT printf('%.*c', 100, char(97 + value % 26)) AS t FROM generate_series(1, $ROWS);"
        # Once each untimed: the first call makes the instance.
        echo "SELECT sum(length(c_reverse(t))) + sum(length(rs_reverse(t))) + sum(length(asc_reverse(t))) FROM texts;"
        echo ".timer on"
        for _ in 1 2 3 4 5; do
            echo "SELECT sum(length(t)) FROM texts;"
            for v in c rs asc; do echo "SELECT sum(length(${v}_reverse(t))) FROM texts;"; done
        done
    } | sqlite3 :memory: 2>&1 | awk -v rows="$ROWS" '
        /^Run Time: real / { i = n++ % 4; t = $4 * 1000; if (!(i in best) || t < best[i]) best[i] = t; next }
        /^(Error|Parse error)/ { print "SQLite: " $0; bad = 1 }
        END {
            if (bad || n != 20) { print "SQLite: the benchmark did not run (" n " timings)"; exit 1 }
            printf "SQLite: reverse(t) over %d rows of 100-byte texts, sum(length(f(t))), best of 5 (the scan alone: %.1f ms)\n",
                rows, best[0]
            split("C Rust AssemblyScript", name, " ")
            c = (best[1] - best[0]) * 1e6 / rows
            for (k = 1; k <= 3; k++) {
                per = (best[k] - best[0]) * 1e6 / rows
                printf "  %-16s %9.1f ms   %6.0f ns/row over the scan   ratio to C %.2fx\n", name[k], best[k], per, per / c
            }
        }'
fi
if command -v pg_config >/dev/null 2>&1; then
    sh tests/guests/pg.sh bench | grep -v '^ok '
fi
