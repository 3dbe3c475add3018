#!/bin/sh
# The text format on the command line: wat2wasm (output, errors as
# FILE:LINE:COL, exit codes), invoke and validate on .wat files, wast on a
# broken script; then the encoding against Debian's wabt, byte for byte:
# every .wat of the repository (wat2wasm) and every text module of the spec
# suite (wast2json, used here and only here).  Without wabt that half is
# skipped with a notice.
B=${1:-build}
export LC_ALL=C # join and sort must agree on the order
W=$B/wasmbox
SUITE=${WB_TESTSUITE:-../shared/wasm-testsuite}
. tests/lib.sh
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# ---- wat2wasm, invoke and validate on text ----------------------------------
expect wat2wasm-ok 0 "" "" -- $W wat2wasm tests/modules/limits.wat -o "$tmp/limits.wasm"
expect wat2wasm-output-runs 0 "17711" "" -- $W invoke "$tmp/limits.wasm" fib 22
cp tests/modules/cli.wat "$tmp/cli.wat"
expect wat2wasm-default-out 0 "" "" -- $W wat2wasm "$tmp/cli.wat"
[ -s "$tmp/cli.wasm" ] && ok || bad "wat2wasm without -o wrote no $tmp/cli.wasm"
printf '(module\n  (func\n    i32.frob))\n' >"$tmp/syntax.wat"
expect wat2wasm-syntax-error 1 "" "$tmp/syntax.wat:3:5: unknown operator i32.frob" -- \
    $W wat2wasm "$tmp/syntax.wat" -o "$tmp/x.wasm"
[ -e "$tmp/x.wasm" ] && bad "wat2wasm wrote output for a bad module" || ok
printf '(module\n  (func (result i32)\n    (i32.add (i32.const 1)\n      (i64.const 2))))\n' >"$tmp/type.wat"
expect wat2wasm-type-error 1 "" "$tmp/type.wat:3:6: type mismatch in i32.add: expected i32, got i64" -- \
    $W wat2wasm "$tmp/type.wat" -o "$tmp/x.wasm"
expect wat2wasm-no-check 0 "" "" -- $W wat2wasm --no-check "$tmp/type.wat" -o "$tmp/x.wasm"
printf '(module (data "abc' >"$tmp/str.wat"
expect wat2wasm-unclosed-string 1 "" "$tmp/str.wat:1:15: unclosed string" -- \
    $W wat2wasm "$tmp/str.wat" -o "$tmp/x.wasm"
expect wat2wasm-binary-input 1 "" "limits.wasm:1:1: malformed character 0x00" -- \
    $W wat2wasm "$tmp/limits.wasm" -o "$tmp/x.wasm"
expect wat2wasm-missing 1 "" "cannot open" -- $W wat2wasm "$tmp/none.wat" -o "$tmp/x.wasm"
expect wat2wasm-usage 1 "" "usage" -- $W wat2wasm
expect wat2wasm-unwritable 1 "" "cannot create" -- \
    $W wat2wasm tests/modules/cli.wat -o "$tmp/no/such/dir.wasm"

expect invoke-wat 0 "17711" "" -- $W invoke tests/modules/limits.wat fib 22
expect invoke-wat-trap 2 "" "integer divide by zero" -- $W invoke tests/modules/limits.wat div 1 0
expect validate-wat 0 "" "" -- $W validate tests/modules/text_forms.wat
expect validate-wat-error 1 "" "$tmp/type.wat:3:6: type mismatch" -- $W validate "$tmp/type.wat"
expect invoke-wat-error 1 "" "$tmp/syntax.wat:3:5: unknown operator" -- \
    $W invoke "$tmp/syntax.wat" f
# Sniffing: the magic number decides, else the name.
cp "$tmp/limits.wasm" "$tmp/binary.wat"
expect sniff-binary-named-wat 0 "5050" "" -- $W invoke "$tmp/binary.wat" sum 100
cp tests/modules/limits.wat "$tmp/text.module"
expect sniff-text-other-name 0 "5050" "" -- $W invoke "$tmp/text.module" sum 100

# ---- wast: a broken script ----------------------------------------------------
printf '(module (func (export "f") (result i32) (i32.const 7)))\n(assert_return (invoke "f") (i32.const 7))\n  (assert_frob)\n' \
    >"$tmp/broken.wast"
expect wast-syntax-error 1 "$(printf '%s\n%s' "$tmp/broken.wast:3:4: unknown command assert_frob" "2 passed, 1 failed")" "" -- \
    $W wast "$tmp/broken.wast"
printf '(module)\n(assert_malformed (module quote "(func i32.frob)") "unknown operator")\n(assert_malformed (module binary "\\00asm") "unexpected end")\n' \
    >"$tmp/stats.wast"
expect wast-stats 0 "$(printf '%s\n' 'malformed text modules: 1' \
    'messages checked: 0 invalid, 2 malformed, 0 instantiation traps, 0 unlinkable, 0 listed differences' \
    '3 passed, 0 failed')" "" -- \
    $W wast --stats "$tmp/stats.wast"
# Empty forms: no strings at all.
printf '(module quote)\n(assert_malformed (module binary) "unexpected end")\n' >"$tmp/empty.wast"
expect wast-empty-forms 0 "2 passed, 0 failed" "" -- $W wast "$tmp/empty.wast"
# A quoted module that parses is no malformed module, even if it would not load.
printf '(assert_malformed (module quote "(func (result i32))") "type mismatch")\n' >"$tmp/quote.wast"
expect wast-quote-must-fail-in-parser 1 \
    "$(printf '%s\n%s' "$tmp/quote.wast:1: FAIL the text module parsed, expected malformed \"type mismatch\"" \
       "0 passed, 1 failed")" "" -- $W wast "$tmp/quote.wast"

# ---- the encoding: wabt's bytes -------------------------------------------------
if ! command -v wat2wasm >/dev/null || ! command -v wast2json >/dev/null; then
    echo "notice: wabt (wat2wasm, wast2json) not installed: encoding comparison skipped"
else
    for f in $(find . -name '*.wat' -not -path './build*' | sort); do
        if ! wat2wasm "$f" -o "$tmp/theirs.wasm" 2>/dev/null; then
            echo "note: wat2wasm rejects $f (not compared)"
            continue
        fi
        if $W wat2wasm "$f" -o "$tmp/ours.wasm" && cmp -s "$tmp/ours.wasm" "$tmp/theirs.wasm"; then
            ok
        else
            bad "wat2wasm $f: not byte-equal to wabt's"
        fi
    done

    # Every module of each script: ours as DIR/NAME/N.wasm (text) or N.bin
    # (binary, as given), wabt's as NAME.N.wasm with the same N.
    mkdir -p "$tmp/ours" "$tmp/wabt"
    ls "$SUITE"/*.wast | xargs -P2 -I{} sh -c '
        n=$(basename "{}" .wast); mkdir -p "$1/ours/$n"
        "$0" wast --dump "$1/ours/$n" "{}" >/dev/null 2>&1
        wast2json "{}" -o "$1/wabt/$n.json" 2>/dev/null' "$W" "$tmp"
    (cd "$tmp/ours" && find . -name '*.wasm' | xargs md5sum) |
        sed 's|  \./\([^/]*\)/\([0-9]*\)\.wasm$|  \1.\2.wasm|' | sort -k2 >"$tmp/ours.sum"
    (cd "$tmp/ours" && find . -name '*.bin') | sed 's|^\./\([^/]*\)/\([0-9]*\)\.bin$|\1.\2.wasm|' |
        sort >"$tmp/binary.list"
    (cd "$tmp/wabt" && find . -name '*.wasm' | xargs md5sum) | sed 's|  \./|  |' | sort -k2 >"$tmp/wabt.sum"
    join -1 2 -2 2 "$tmp/ours.sum" "$tmp/wabt.sum" >"$tmp/both"
    same=$(awk '$2 == $3' "$tmp/both" | wc -l)
    awk '$2 != $3 { print "FAIL differs from wast2json: " $1 }' "$tmp/both" >"$tmp/differ"
    # A module wabt encoded from text that we did not: a parser we are stricter than.
    join -1 2 -2 1 -v 1 "$tmp/wabt.sum" "$tmp/binary.list" | join -1 1 -2 2 -v 1 - "$tmp/ours.sum" |
        awk '{ print "FAIL wast2json encoded, wasmbox did not: " $1 }' >>"$tmp/differ"
    cat "$tmp/differ"
    nd=$(wc -l <"$tmp/differ")
    echo "spec text modules: $same byte-equal to wast2json's, $nd differ or missing"
    [ "$same" -gt 3000 ] && ok || bad "only $same spec modules compared"
    if [ "$nd" = 0 ]; then ok; else fail=$((fail + nd)); fi
fi

echo "$pass passed, $fail failed"
