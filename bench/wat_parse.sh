#!/bin/sh
# The text-format parse benchmark (`make bench`): a generated ~10 MB .wat
# (bench/gen_wat.awk) through `wasmbox wat2wasm` and Debian's `wat2wasm`,
# both parsing, encoding and validating; best of 3 wall-clock runs each.
# Prints both times and wasmbox/wat2wasm (target: at most 1x), and checks
# that the two binaries are byte-equal: a difference is a wrong result, and
# the script exits 1 (as it does when either tool fails).
#   bench/wat_parse.sh [BUILD_DIR] [MB]
B=${1:-build}
MB=${2:-10}
W=$B/wasmbox
mkdir -p build/bench
SRC=build/bench/parse_${MB}mb.wat
[ -s "$SRC" ] && [ "$SRC" -nt bench/gen_wat.awk ] || awk -v mb="$MB" -f bench/gen_wat.awk >"$SRC"

best() { # best wall time in seconds of 3 runs of "$@"
    b=""
    for _ in 1 2 3; do
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
        t1=$(date +%s.%N)
        b=$(echo "$t0 $t1 $b" | awk '{ t = $2 - $1; if ($3 != "" && $3 < t) t = $3; printf "%.4f", t }')
    done
    echo "$b"
}

size=$(wc -c <"$SRC")
funcs=$(grep -c '^  (func ' "$SRC")
ours=$(best $W wat2wasm "$SRC" -o build/bench/parse_ours.wasm) || exit 1
if ! command -v wat2wasm >/dev/null; then
    echo "wat parse $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB ($funcs funcs): wasmbox $ours s (wabt not installed: no comparison)"
    exit 0
fi
theirs=$(best wat2wasm "$SRC" -o build/bench/parse_wabt.wasm) || exit 1
rc=0
cmp -s build/bench/parse_ours.wasm build/bench/parse_wabt.wasm && same="byte-equal output" ||
    { same="OUTPUTS DIFFER (build/bench/parse_ours.wasm vs parse_wabt.wasm)"; rc=1; }
awk -v s="$size" -v f="$funcs" -v o="$ours" -v t="$theirs" -v same="$same" 'BEGIN {
    printf "wat parse %.1f MB (%d funcs): wasmbox wat2wasm %.3f s (%.0f MB/s), wabt wat2wasm %.3f s;" \
           " ratio %.2fx (target <= 1x); %s\n", s / 1e6, f, o, s / 1e6 / o, t, o / t, same }'
exit $rc
