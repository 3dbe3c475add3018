#!/bin/sh
# bench/guests.sh - the text reverse UDF written in C, Rust and
# AssemblyScript (examples/*/udfs.*), side by side, on 100-byte texts:
#   1. on the engine alone: ns per call through the canonical ABI
#      (build/guests/guestcall --bench: cabi_realloc, the export, cabi_post,
#      as pg/call.c does them), best of 5 runs, the languages taking turns;
#      add(i32, i32) as well, for the call path without text;
#   2. in PostgreSQL (tests/guests/pg.sh bench, a throwaway cluster):
#      sum(length(ns_reverse(t))) over 50,000 rows, the scan subtracted.
# The issue's target: the SDKs add at most 20% over C's per-call cost.
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
if command -v pg_config >/dev/null 2>&1; then
    sh tests/guests/pg.sh bench | grep -v '^ok '
fi
