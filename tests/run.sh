#!/bin/sh
# Runs the test suites against the build in $1 (build or build-san).
#   tests/run.sh build          every suite
#   tests/run.sh build unit     unit tests only
#   tests/run.sh build spec     the official spec suite only
#   tests/run.sh build pg       the PostgreSQL extension only (pg/run-tests.sh)
#   tests/run.sh build containerd  the containerd shim only (tests/containerd/run.sh)
#   tests/run.sh build sqlite   the SQLite extension only (tests/sqlite/run.sh)
#   tests/run.sh build guests   the C, Rust and AssemblyScript guests (tests/guests/run.sh)
# Each suite prints "N passed, M failed"; the script ends with a total line
# and exits non-zero if anything failed.  `all` on build/ also builds
# build-san/ (ASan+UBSan) and runs the unit tests and the spec suite there.
B=${1:-build}
WHAT=${2:-all}
SUITE=${WB_TESTSUITE:-../shared/wasm-testsuite}
export WB_MODULE_DIR=build/modules
fail=0
total_pass=0
total_fail=0

# A sanitizer's report, from its first line to its SUMMARY line: the place
# of the error or the stacks of what leaked.  LeakSanitizer reports from an
# exit hook and ends the process there, before stdio flushes the summary
# line the test printed, so without this a leak read "no summary".
SAN_START='ERROR: [A-Za-z]*Sanitizer|runtime error:'
sanitizer_report() { # $1 = output file
    sed -n -E "/$SAN_START/,\$p" "$1" | sed '/^SUMMARY: /q' >"$1.san"
    head -40 "$1.san"
    if [ "$(wc -l <"$1.san")" -gt 40 ]; then echo "    ..."; tail -1 "$1.san"; fi
}

tally() { # $1 = name, $2 = output file with a "N passed, M failed" last line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -1)
    # A sanitizer's error fails the run even where the summary got out.
    if grep -qE "$SAN_START" "$2"; then
        echo "FAIL $1: sanitizer report${line:+ (after \"$line\")}:"; sanitizer_report "$2"
        fail=1; total_fail=$((total_fail + 1))
        return
    fi
    if [ -z "$line" ]; then
        echo "FAIL $1: crashed or no summary"; tail -5 "$2"; fail=1; total_fail=$((total_fail + 1))
        return
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed}
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    [ "$f" = 0 ] || fail=1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

unit_suite() { # $1 = label prefix, $2 = build directory
    for t in "$2"/tests/*; do
        n=$1$(basename "$t")
        out="$tmp/$(echo "$n" | tr / -).out"
        "$t" >"$out" 2>&1
        echo "$n: $(tail -1 "$out")"
        grep -E '^(FAIL|.*CHECK failed)' "$out" | head -20
        tally "$n" "$out"
    done
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
    unit_suite unit/ "$B"
fi

# The spec suite twice: as the engine runs by default (every function as
# machine code where the platform has it, src/compile/emit_x64*.c), and
# interpreted only (WASMBOX_JIT=0), so that every interpreter handler is
# checked, not only those machine code leaves to.
spec_suite() { # $1 = label, $2 = WASMBOX_JIT value
    # No suite is a failure: an empty list would otherwise pass with 0 passed.
    if ! ls "$SUITE"/*.wast >"$tmp/list" 2>/dev/null || [ ! -s "$tmp/list" ]; then
        echo "FAIL $1: no spec suite (*.wast) in $SUITE (set WB_TESTSUITE)"
        fail=1; total_fail=$((total_fail + 1))
        return
    fi
    # Two at a time: the machine has two cores.
    WASMBOX_JIT=$2 xargs -P2 -I{} sh -c '
        f={}; n=$(basename "$f" .wast)
        "$0/wasmbox" wast --stats "$f" >"$1/spec-$n.out" 2>&1' "$B" "$tmp" <"$tmp/list"
    sp=0; sf=0; bad=""; mt=0; ci=0; cm=0; ct=0; cu=0; cd=0
    while read -r f; do
        n=$(basename "$f" .wast)
        out="$tmp/spec-$n.out"
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
        if [ -z "$line" ]; then
            bad="$bad $n(crash)"; sf=$((sf + 1)); tail -3 "$out"
            continue
        fi
        p=${line%% passed*}; f2=${line#*passed, }; f2=${f2%% failed}
        sp=$((sp + p)); sf=$((sf + f2))
        m=$(sed -n 's/^malformed text modules: //p' "$out")
        mt=$((mt + ${m:-0}))
        # "messages checked: I invalid, M malformed, T instantiation traps, U unlinkable, D listed differences"
        read -r ni nm nt nu nd <<EOF
$(sed -n 's/^messages checked: //p' "$out" | tr -c '0-9\n' ' ')
EOF
        ci=$((ci + ${ni:-0})); cm=$((cm + ${nm:-0})); ct=$((ct + ${nt:-0})); cu=$((cu + ${nu:-0})); cd=$((cd + ${nd:-0}))
        if [ "$f2" != 0 ]; then
            bad="$bad $n($f2)"
            [ -n "$WB_VERBOSE" ] && grep -v -E '^[0-9]+ passed' "$out" | head -5
        fi
    done <"$tmp/list"
    echo "$1: $(wc -l <"$tmp/list") files, $sp passed, $sf failed${bad:+ in:$bad} ($mt assert_malformed text modules;" \
        "messages checked: $ci assert_invalid, $cm assert_malformed, $ct instantiation traps, $cu assert_unlinkable;" \
        "$cd listed differences, cli/wast.c)"
    total_pass=$((total_pass + sp)); total_fail=$((total_fail + sf))
    [ "$sf" = 0 ] || fail=1
}

if [ "$WHAT" = all ] || [ "$WHAT" = spec ]; then
    spec_suite spec 1
    spec_suite "spec, interpreter only" 0
fi

if [ "$WHAT" = all ]; then
    for s in tests/cli/*.sh; do
        [ -f "$s" ] || continue
        n=$(basename "$s" .sh)
        sh "$s" "$B" >"$tmp/cli-$n.out" 2>&1
        echo "cli/$n: $(tail -1 "$tmp/cli-$n.out")"
        grep -E '^FAIL' "$tmp/cli-$n.out" | head -20
        tally "cli/$n" "$tmp/cli-$n.out"
    done
fi

# The containerd shim through a private containerd (tests/containerd/run.sh;
# it says SKIP with the reason where containerd cannot start).
if [ "$WHAT" = all ] || [ "$WHAT" = containerd ]; then
    sh tests/containerd/run.sh "$B" >"$tmp/containerd.out" 2>&1
    echo "containerd: $(grep -E '^SKIP' "$tmp/containerd.out")$(tail -1 "$tmp/containerd.out")"
    grep -E '^FAIL' "$tmp/containerd.out" | head -20
    tally containerd "$tmp/containerd.out"
fi

# The SQLite extension: sqlite3 CLI scripts and Python's sqlite3 module.
if [ "$WHAT" = all ] || [ "$WHAT" = sqlite ]; then
    sh tests/sqlite/run.sh >"$tmp/sqlite.out" 2>&1
    echo "sqlite: $(tail -1 "$tmp/sqlite.out")"
    grep -E '^FAIL' -A20 "$tmp/sqlite.out" | head -40
    tally sqlite "$tmp/sqlite.out"
fi

# The PostgreSQL extension, in a throwaway cluster of its own.
if [ "$WHAT" = all ] || [ "$WHAT" = pg ]; then
    sh pg/run-tests.sh >"$tmp/pg.out" 2>&1
    echo "pg: $(tail -1 "$tmp/pg.out")"
    grep -E '^FAIL' -A30 "$tmp/pg.out" | head -60
    tally pg "$tmp/pg.out"
fi

# Guests in C, Rust and AssemblyScript in every host (docs/guests.md),
# after pg: its PostgreSQL part uses the extension installed there.
if [ "$WHAT" = all ] || [ "$WHAT" = guests ]; then
    sh tests/guests/run.sh "$B" >"$tmp/guests.out" 2>&1
    echo "guests: $(tail -1 "$tmp/guests.out")"
    grep -E '^(FAIL|pending)' "$tmp/guests.out" | head -20
    tally guests "$tmp/guests.out"
fi

# The engine again under ASan+UBSan (`make SANITIZE=1`, build-san/): the
# unit tests and the spec suite with machine code, so that an out-of-bounds
# read or undefined behaviour fails the run even where results come out right.
if [ "$WHAT" = all ] && [ "$B" = build ]; then
    if make -s SANITIZE=1 all >"$tmp/san-build.out" 2>&1; then
        unit_suite sanitized/unit/ build-san
        B=build-san
        spec_suite "spec, sanitized" 1
        spec_suite "spec, sanitized, interpreter only" 0
        B=build
    else
        echo "FAIL sanitized build"
        tail -20 "$tmp/san-build.out"
        fail=1
        total_fail=$((total_fail + 1))
    fi
fi

echo "total: $total_pass passed, $total_fail failed"
exit $fail
