#!/bin/sh
# tests/guests/run.sh BUILD - the example guests of docs/guests.md in C, Rust
# and AssemblyScript (build/guests/, `make guests`), each in every host, and
# compared with C's results:
#   - the UDFs through the canonical ABI on the engine (guestcall, the same
#     lowering and lifting as pg/call.c): add, fib, reverse, hash, the avg
#     aggregate; a Rust panic and an AssemblyScript abort trap with their
#     messages readable by the host; text that is not UTF-8 is refused in
#     both directions; the SDKs' fast text path (tests/guests/bad.*);
#   - the WASI command under `wasmbox run` (arguments, stdin, exit status)
#     and under wasmboxd;
#   - the Rust SDK builds with -D warnings (#![deny(warnings)]);
#   - the SQLite extension (tests/guests/sqlite.py: the UDFs, the aggregate,
#     panic and abort messages, UTF-8 refused both ways), and the sqlite3
#     sessions of docs/guests.md replayed (doc_sessions.sh);
#   - PostgreSQL (tests/guests/pg.sh, its own throwaway cluster), unless
#     WB_GUESTS_PG=0; then C's answers in SQLite and in PostgreSQL compared.
# Prints one line per check and ends with "N passed, M failed".
B=${1:-build}
G=build/guests
CALL=$G/guestcall
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in $CALL $G/c/udfs.wasm $G/rust/udfs.wasm $G/as/udfs.wasm $G/c/revlines.wasm $G/rust/revlines.wasm \
    $G/as/revlines.wasm; do
    [ -e "$f" ] || { bad "missing $f (make guests)"; echo "$pass passed, $fail failed"; exit 1; }
done

# ---- UDFs on the engine --------------------------------------------------------------------
# same NAME EXPECTED CALL-ARGS...: C's result must be EXPECTED, and every
# language's the same as C's.
same() {
    name=$1 want=$2
    shift 2
    for l in c rust as; do
        got=$($CALL "$@" 2>&1 | sed "s|$G/$l/udfs.wasm|M|")
        if [ "$got" = "$want" ]; then ok "$l $name"; else bad "$l $name: expected '$want', got '$got'"; fi
    done
}
udf() { # NAME EXPECTED FUNC ARGS...
    name=$1 want=$2
    shift 2
    for l in c rust as; do
        got=$($CALL $G/$l/udfs.wasm "$@" 2>&1)
        if [ "$got" = "$want" ]; then ok "$l $name"; else bad "$l $name: expected '$want', got '$got'"; fi
    done
}
agg() { # NAME EXPECTED X...
    name=$1 want=$2
    shift 2
    for l in c rust as; do
        got=$($CALL --agg $G/$l/udfs.wasm avg_step avg_final "$@" 2>&1)
        if [ "$got" = "$want" ]; then ok "$l $name"; else bad "$l $name: expected '$want', got '$got'"; fi
    done
}
udf "add(40, 2)" 42 add 40 2
udf "add wraps" -2147483648 add 2147483647 1
udf "fib(0)" 0 fib 0
udf "fib(25)" 75025 fib 25
udf "reverse('hello')" olleh reverse hello
udf "reverse('')" "" reverse ""
udf "reverse of 2-, 3- and 4-byte characters" "x😀 €bña" reverse "añb€ 😀x"
udf "hash(''::bytea)" -3750763034362895579 hash '\x'
udf "hash('hello'::bytea)" -6615550055289275125 hash '\x68656c6c6f'
udf "hash of bytes >= 0x80" -2971240953208647856 hash '\x00ff10'
agg "avg(1, 2, 3.5)" 2.1666666666666665 1 2 3.5
agg "avg of no rows" 0
agg "avg(-1e300, 1e300, 0.5)" 0.16666666666666666 -1e300 1e300 0.5

# Signatures as the SQL side sees them: the same in every language.
$CALL --sig $G/c/udfs.wasm | sort >"$tmp/sig.c"
for l in rust as; do
    # C declares only the text/bytea functions (WB_UDF); add and fib map by type.
    $CALL --sig $G/$l/udfs.wasm | grep -v -E '^(add|fib)\(' | sort >"$tmp/sig.$l"
    if cmp -s "$tmp/sig.c" "$tmp/sig.$l"; then ok "$l signatures (wasmbox.sql) as C's"; else
        bad "$l signatures: $(diff "$tmp/sig.c" "$tmp/sig.$l" | tr '\n' ' ')"; fi
done
$CALL --sig $G/rust/udfs.wasm | grep -q '^add(integer, integer) -> integer$' && ok "rust add(integer, integer) -> integer" ||
    bad "rust add signature: $($CALL --sig $G/rust/udfs.wasm | head -3)"

# A panic / abort: a trap, with the guest's message for the host.
for l in rust as; do
    out=$($CALL $G/$l/udfs.wasm fail "xé" 2>&1)
    rc=$?
    case "$rc:$out" in
    2:*"message: "*'fail was given "xé" (3 bytes)'*) ok "$l trap carries its message" ;;
    *) bad "$l trap message: status $rc, $out" ;;
    esac
    echo "$out" | grep -q '^  #[0-9]* .*fail' && ok "$l backtrace names the function" || bad "$l backtrace: $out"
done
out=$($CALL $G/c/udfs.wasm fail "xé" 2>&1)
[ $? = 2 ] && ok "c fail traps" || bad "c fail: $out"

# Text that is not UTF-8: refused from the guest (host side), and a Rust
# guest refuses it as an argument rather than make an invalid &str.
out=$($CALL $G/rust/bad.wasm bad_utf8 2>&1)
[ $? = 3 ] && ok "rust result that is not UTF-8 refused" || bad "rust bad_utf8: $out"
out=$($CALL $G/as/bad.wasm lone_surrogate 2>&1)
[ $? = 3 ] && ok "as lone surrogate (WTF-8) refused" || bad "as lone_surrogate: $out"
out=$($CALL $G/rust/bad.wasm echo "$(printf 'a\377b')" 2>&1)
case "$out" in
*"message: wasmbox_udf: text argument is not valid UTF-8"*) ok "rust SDK traps on a text argument that is not UTF-8" ;;
*) bad "rust invalid argument: $out" ;;
esac
got=$($CALL $G/as/bad.wasm echo "añb€ 😀x" 2>&1)
[ "$got" = "añb€ 😀x" ] && ok "as UTF-8 round trip" || bad "as echo: $got"

# The fast text path (Rust: Utf8, Utf8Buf; AssemblyScript: the argument in
# place, resultRoom, returnUtf8): multi-byte characters, the empty text, the
# biggest argument a command line takes (120,000 bytes), two arguments of
# which the second makes the AssemblyScript arena grow midway.
BIG=$(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "añb€😀x" }')
fast() { # NAME EXPECTED FUNC ARGS...: in both bad.wasm
    name=$1 want=$2
    shift 2
    for l in rust as; do
        got=$($CALL $G/$l/bad.wasm "$@" 2>&1)
        if [ "$got" = "$want" ]; then ok "$l fast path: $name"; else bad "$l fast path: $name: expected '$(echo "$want" | cut -c1-60)', got '$(echo "$got" | cut -c1-200)'"; fi
    done
}
fast "echo of 2-, 3- and 4-byte characters" "añb€ 😀x" echo_utf8 "añb€ 😀x"
fast "echo of ''" "" echo_utf8 ""
fast "echo of 120,000 bytes" "$BIG" echo_utf8 "$BIG"
fast "two arguments" "añb€ 😀xü!" concat "añb€ 😀x" "ü!"
fast "two empty arguments" "" concat "" ""
fast "a small argument, then a big one" "é$BIG" concat "é" "$BIG"
fast "characters counted on the bytes" 7 chars "añb€ 😀x"
fast "characters of ''" 0 chars ""
fast "characters of 120,000 bytes" 60000 chars "$BIG"
got=$($CALL $G/as/bad.wasm echo_in_place "añb€ 😀x" 2>&1)
[ "$got" = "añb€ 😀x" ] && ok "as fast path: the argument returned in place" || bad "as echo_in_place: $got"
got=$($CALL $G/rust/bad.wasm checked "añb€ 😀x" 2>&1)
[ "$got" = "añb€ 😀x" ] && ok "rust Utf8::to_str of UTF-8" || bad "rust checked: $got"
# What the fast path must not let through: bytes that are not UTF-8, from
# a Utf8Buf or the result room (the host refuses them: status 3), or from an
# argument (a host that sent them gets them back, refused; to_str says why).
for c in rust:bad_utf8_buf as:bad_utf8_raw; do
    out=$($CALL $G/${c%%:*}/bad.wasm ${c#*:} 2>&1)
    [ $? = 3 ] && ok "${c%%:*} fast path: a result that is not UTF-8 refused" || bad "${c#*:}: $out"
done
for l in rust as; do
    out=$($CALL $G/$l/bad.wasm echo_utf8 "$(printf 'a\377b')" 2>&1)
    [ $? = 3 ] && ok "$l fast path: an argument that is not UTF-8 does not come back as text" || bad "$l echo_utf8 of a\377b: $out"
done
out=$($CALL $G/rust/bad.wasm checked "$(printf 'a\377b')" 2>&1)
case "$?:$out" in
2:*"message: invalid utf-8 sequence of 1 bytes from index 1"*) ok "rust Utf8::to_str refuses bytes that are not UTF-8" ;;
*) bad "rust checked of a\377b: $out" ;;
esac

# The Rust SDK with every warning an error.
if /usr/bin/rustc --edition 2021 -O -D warnings --target wasm32-unknown-unknown --crate-type rlib \
    sdk/rust/wasmbox_udf.rs -o "$tmp/libsdk.rlib" >"$tmp/rustc.out" 2>&1; then
    ok "rust SDK builds with -D warnings"
else
    bad "rust SDK warnings: $(head -5 "$tmp/rustc.out")"
fi

# ---- the WASI command: wasmbox run ----------------------------------------------------------
for l in c rust as; do
    out=$("$B/wasmbox" run $G/$l/revlines.wasm abc "dé😀" 2>&1)
    rc=$?
    [ "$rc:$out" = "2:cba
😀éd" ] && ok "$l wasmbox run, arguments" || bad "$l wasmbox run args: status $rc, '$out'"
    # ($(...) drops the trailing newlines: the empty line's among them.)
    out=$(printf 'hello\nwörld\n\n' | "$B/wasmbox" run $G/$l/revlines.wasm 2>&1)
    rc=$?
    [ "$rc:$out" = "3:olleh
dlröw" ] && ok "$l wasmbox run, stdin" || bad "$l wasmbox run stdin: status $rc, '$out'"
    out=$("$B/wasmbox" run $G/$l/revlines.wasm </dev/null 2>&1)
    rc=$?
    [ "$rc:$out" = "0:" ] && ok "$l wasmbox run, no input" || bad "$l wasmbox run empty: status $rc, '$out'"
done

# ---- the WASI command: wasmboxd ---------------------------------------------------------------
sock=$tmp/d.sock
"$B/wasmboxd" --listen "$sock" --dir "$tmp/state" --workers 2 2>"$tmp/daemon.log" &
dpid=$!
trap 'kill -9 $dpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
SB="timeout 20 $B/wasmbox sandbox --socket $sock"
for l in c rust as; do
    id=$($SB create --start --id "rev-$l" "$PWD/$G/$l/revlines.wasm" abc "dé😀" 2>&1)
    w=$($SB wait "rev-$l" 2>&1)
    logs=$($SB logs "rev-$l" 2>&1)
    [ "$id|$w|$logs" = "rev-$l|2 exit|cba
😀éd" ] && ok "$l wasmboxd" || bad "$l wasmboxd: id '$id', wait '$w', logs '$logs'"
done
kill -TERM $dpid 2>/dev/null
wait $dpid 2>/dev/null

# ---- SQLite ----------------------------------------------------------------------------------------
# Summed from the script's own ok / FAIL lines, so that a crash midway
# (no summary) still fails.
if [ -f build/wasm_sqlite.so ]; then
    timeout 120 /usr/bin/python3 tests/guests/sqlite.py "$G" build/wasm_sqlite "$tmp/sqlite.res" >"$tmp/sqlite.out" 2>&1
    grep -E '^(ok|FAIL) ' "$tmp/sqlite.out"
    pass=$((pass + $(grep -c '^ok ' "$tmp/sqlite.out")))
    fail=$((fail + $(grep -c '^FAIL ' "$tmp/sqlite.out")))
    grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$tmp/sqlite.out" || { bad "sqlite: did not finish"; tail -15 "$tmp/sqlite.out"; }
    # The guide's sqlite3 sessions, line by line.
    sh tests/guests/doc_sessions.sh >"$tmp/doc.out" 2>&1
    grep -E '^(ok|FAIL) |^[-+ @]' "$tmp/doc.out"
    pass=$((pass + $(grep -c '^ok ' "$tmp/doc.out")))
    fail=$((fail + $(grep -c '^FAIL ' "$tmp/doc.out")))
else
    bad "sqlite: build/wasm_sqlite.so missing (make all)"
fi

# ---- PostgreSQL ------------------------------------------------------------------------------------
if [ "${WB_GUESTS_PG:-1}" != 0 ]; then
    : >"$tmp/pg.res"
    WB_GUESTS_PG_RESULTS=$tmp/pg.res sh tests/guests/pg.sh >"$tmp/pg.out" 2>&1
    grep -E '^(ok|FAIL|pending) ' "$tmp/pg.out"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/pg.out" | tail -1)
    if [ -z "$line" ]; then
        bad "postgres: no summary"; tail -20 "$tmp/pg.out"
    else
        p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed}
        pass=$((pass + p)); fail=$((fail + f))
    fi
    # The same queries' answers from C's module in both databases.
    n=0
    while IFS="$(printf '\t')" read -r name want; do
        n=$((n + 1))
        got=$(awk -F '\t' -v k="$name" '$1 == k { print $2; exit }' "$tmp/pg.res")
        [ "$got" = "$want" ] && ok "sqlite = postgres: $name ($want)" ||
            bad "sqlite = postgres: $name: SQLite '$want', PostgreSQL '$got'"
    done <"$tmp/sqlite.res"
    [ "$n" -ge 8 ] || bad "sqlite = postgres: only $n answers from SQLite to compare"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
