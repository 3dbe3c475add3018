#!/bin/sh
# The wasmbox command line: validate, invoke (argument parsing, result
# printing, traps and limits as exit codes with messages), errors on bad files.
B=${1:-build}
W=$B/wasmbox
M=build/modules
. tests/lib.sh

expect validate-ok 0 "" "" -- $W validate $M/limits.wasm

# The README's first example (examples/udfs.c, built by clang for wasm32).
X=build/examples/udfs.wasm
expect readme-gcd 0 "21" "" -- $W invoke $X gcd 1071 462
expect readme-collatz 0 "111" "" -- $W invoke $X collatz 27
expect readme-fuel 2 "" "fuel exhausted (in function 3 \$forever at offset 0x" -- \
    $W invoke --fuel 10000000 $X forever 1
expect invoke-fib 0 "17711" "" -- $W invoke $M/limits.wasm fib 22
expect invoke-sum 0 "5050" "" -- $W invoke $M/limits.wasm sum 100
expect invoke-neg 0 "-3" "" -- $W invoke $M/limits.wasm div -7 2
expect invoke-unsigned-spelling 0 "-1" "" -- $W invoke $M/limits.wasm div 4294967295 1
expect invoke-floats 0 "$(printf '0.100000001\n0.10000000000000001\n-inf')" "" -- \
    $W invoke $M/cli.wasm floats 0.1 0.1
expect invoke-multi 0 "$(printf '2\n1')" "" -- $W invoke $M/cli.wasm swap 1 2
expect div-trap 2 "" "integer divide by zero" -- $W invoke $M/limits.wasm div 1 0
expect fuel 2 "" "fuel exhausted" -- $W invoke --fuel 100000 $M/limits.wasm spin
expect recursion 2 "" "call stack exhausted" -- $W invoke $M/limits.wasm rec 0
expect mem-cap 0 "3" "" -- $W invoke --max-memory 196608 $M/limits.wasm bomb
expect mem-initial-over-cap 3 "" "memory" -- $W invoke --max-memory 65536 $M/bigmem.wasm x
expect no-such-func 1 "" "no exported function" -- $W invoke $M/limits.wasm nope
expect bad-arg 1 "" "not a valid i32" -- $W invoke $M/limits.wasm div x 1
expect arg-count 1 "" "takes 2 argument" -- $W invoke $M/limits.wasm div 1
expect missing-file 1 "" "cannot open" -- $W validate "$tmp/none.wasm"
printf '\0asm\1\0\0\0\1\5' >"$tmp/trunc.wasm"
expect truncated 1 "" "section 1, offset 0x9: length out of bounds" -- $W validate "$tmp/trunc.wasm"
printf 'hello world' >"$tmp/junk.wasm"
expect not-wasm 1 "" "magic header not detected" -- $W validate "$tmp/junk.wasm"
expect usage 1 "" "usage" -- $W frobnicate

# A backtrace prints a function's name by its length: names in the module
# are not NUL-terminated, and printing one as a C string ran on into the
# next name's bytes ("(a\1\10bbbbbbbb...").  Func 0 "a" traps; the name
# section then names func 1 "bbbbbbbb".
printf '\0asm\1\0\0\0\1\4\1\140\0\0\3\3\2\0\0\7\5\1\1a\0\0\n\10\2\3\0\0\13\2\0\13' >"$tmp/names.wasm"
printf '\0\25\4name\1\16\2\0\1a\1\10bbbbbbbb' >>"$tmp/names.wasm"
expect backtrace-name-length 2 "" "#0 func 0 (a) at offset" -- $W invoke "$tmp/names.wasm" a

echo "$pass passed, $fail failed"
