#!/bin/sh
# The spec runner's own tests.  Each script of tests/wast-fail/ says in its
# comments what `wasmbox wast` must print for it: every FAIL line, in order
# (";; must report: LINE: TEXT", the line must start "FILE:LINE: TEXT"), and
# the summary (";; summary: N passed, M failed").  Nothing else may be
# printed, and the exit status must be 1 when anything failed, else 0.  A
# runner whose checks always pass (a result, a NaN kind, a trap text or an
# error's kind or words taken on trust) fails here, where the spec suite
# alone stays green; pass.wast, which must pass whole, keeps the other side.
B=${1:-build}
W=$B/wasmbox
. tests/lib.sh

for f in tests/wast-fail/*.wast; do
    n=wast-fail/$(basename "$f" .wast)
    want_sum=$(sed -n 's/^;; summary: //p' "$f")
    sed -n 's/^;; must report: //p' "$f" >"$tmp/want"
    if [ -z "$want_sum" ]; then
        echo "FAIL $n: no \";; summary:\" comment"; fail=$((fail + 1)); continue
    fi
    want_rc=1
    case $want_sum in *" 0 failed") want_rc=0 ;; esac
    if [ "$want_rc" = 1 ] && [ ! -s "$tmp/want" ]; then
        echo "FAIL $n: failures expected but no \";; must report:\" line"; fail=$((fail + 1)); continue
    fi
    "$W" wast "$f" >"$tmp/out" 2>&1; rc=$?
    got_sum=$(tail -1 "$tmp/out")
    sed '$d' "$tmp/out" >"$tmp/got"
    if [ "$rc" = "$want_rc" ] && [ "$got_sum" = "$want_sum" ] &&
        awk -v f="$f:" '
            FILENAME == ARGV[1] { want[++nw] = f $0; next }
            { got[++ng] = $0 }
            END {
                if (nw != ng) exit 1
                for (i = 1; i <= nw; i++) if (index(got[i], want[i]) != 1) exit 1
            }' "$tmp/want" "$tmp/got"; then
        pass=$((pass + 1))
    else
        echo "FAIL $n: exit $rc (want $want_rc), printed:"
        sed 's/^/    /' "$tmp/out"
        echo "  wanted (FAIL lines start so):"
        sed "s|^|    $f:|" "$tmp/want"
        echo "    $want_sum"
        fail=$((fail + 1))
    fi
done

echo "$pass passed, $fail failed"
