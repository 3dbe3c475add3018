#!/bin/sh
# tests/cli/wasi.sh BUILD - WASI conformance of `wasmbox run`: the C programs
# of tests/wasi, built with Debian's clang --target=wasm32-wasi and wasi-libc,
# must print, and exit, exactly as recorded under node's node:wasi
# (tests/wasi/record.sh; see there for where node was wrong).  Then what only
# wasmbox reports: a trap (exit 134 and a named backtrace), a missing file, a
# module that is not a WASI command.
set -u
B=${1:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac # the cases run from a temporary directory
W=$B/wasmbox
. tests/lib.sh
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

progs=$B/wasi
mkdir -p "$progs"
for c in tests/wasi/*.c; do
    out=$progs/$(basename "$c" .c).wasm
    if [ ! "$out" -nt "$c" ] && ! clang --target=wasm32-wasi -O2 "$c" -o "$out"; then
        bad "build $c"
    fi
done

. tests/wasi/cases.sh
run_cases "$W run" "$progs" "$tmp/got"
for exp in tests/wasi/expected/*.exit; do
    name=$(basename "$exp" .exit)
    same=1
    for kind in stdout stderr exit; do
        if ! cmp -s "tests/wasi/expected/$name.$kind" "$tmp/got/$name.$kind"; then
            same=0
            echo "--- $name.$kind: expected (node) vs wasmbox run"
            diff "tests/wasi/expected/$name.$kind" "$tmp/got/$name.$kind" | head -20
        fi
    done
    if [ $same = 1 ]; then ok "$name: as recorded under node"; else bad "$name"; fi
done

# A trap: exit 134, the trap's message and a backtrace naming the functions.
"$W" run "$progs/trap.wasm" >"$tmp/trap.out" 2>"$tmp/trap.err"
rc=$?
if [ $rc = 134 ] && grep -q "before the trap" "$tmp/trap.out" && grep -q unreachable "$tmp/trap.err" &&
    grep -q "inner_fault" "$tmp/trap.err" && grep -q "outer_caller" "$tmp/trap.err"; then
    ok "trap: exit 134 with a named backtrace"
else
    bad "trap: exit $rc, stderr: $(cat "$tmp/trap.err")"
fi

# Fuel and memory limits end the program as a trap does.
printf '(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))' >"$tmp/spin.wat"
expect fuel 134 "" "fuel exhausted" -- "$W" run --fuel 100000 "$tmp/spin.wat"
printf '(module (memory (export "memory") 1) (func (export "_start")
  (if (i32.eq (memory.grow (i32.const 100)) (i32.const -1)) (then unreachable))))' >"$tmp/grow.wat"
expect max-memory 134 "" unreachable -- "$W" run --max-memory 1048576 "$tmp/grow.wat"

# Errors before the program runs: exit 1 and a message naming the problem.
expect missing-file 1 "" missing.wasm -- "$W" run "$tmp/missing.wasm"
printf '(module (func (export "main")))' >"$tmp/nostart.wat"
expect no-start 1 "" _start -- "$W" run "$tmp/nostart.wat"
printf '(module (import "env" "f" (func)) (func (export "_start")))' >"$tmp/env.wat"
expect unknown-import 1 "" "unknown import env.f" -- "$W" run "$tmp/env.wat"
expect missing-dir 1 "" nonexistent -- "$W" run --dir "$tmp/nonexistent" "$progs/args.wasm"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
