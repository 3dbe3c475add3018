#!/bin/sh
# tests/cli/sandboxd.sh BUILD - wasmboxd end to end through its socket:
# the client's create/start/wait/logs/kill/rm, a trapping, a spinning, an
# out-of-fuel and a memory-bomb sandbox beside healthy ones, bad API input
# (each a 4xx with a clear message, the daemon serving on), a batch, and
# SIGTERM recording every sandbox's final state.
B=${1:-build}
W=$B/wasmbox
G=build/sandboxd
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}
contains() { # NAME NEEDLE FILE
    if grep -q -- "$2" "$3"; then ok; else bad "$1: no '$2' in: $(head -c 300 "$3")"; fi
}
# jf NAME: a scalar field of the one-line JSON in $tmp/body
jf() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,}\"]*\).*/\1/p" "$tmp/body"; }

tmp=$(mktemp -d)
sock=$tmp/d.sock
"$B/wasmboxd" --listen "$sock" --dir "$tmp/state" --workers 2 2>"$tmp/daemon.log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
SB="$W sandbox --socket $sock"

# api METHOD PATH [BODY]: prints the HTTP status; the body lands in $tmp/body.
api() {
    if [ -n "$3" ]; then
        printf '%s' "$3" >"$tmp/req"
        curl -s --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' -X "$1" \
            -H 'Content-Type: application/json' --data-binary @"$tmp/req" "http://localhost$2"
    else
        curl -s --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' -X "$1" "http://localhost$2"
    fi
}

# ---- lifecycle through the client ----
id=$($SB create --start "$G/exit3.wasm" a b)
out=$($SB wait "$id")
check "exit3 wait" "3 exit" "$out"
$SB logs "$id" >"$tmp/l" 2>&1
check "exit3 logs" "argc=3" "$(cat "$tmp/l")"
api GET "/sandboxes/$id" >/dev/null
check "exit3 memory_bytes" 65536 "$(jf memory_bytes)"
[ "$(jf fuel_used)" -gt 0 ] 2>/dev/null && ok || bad "exit3 fuel_used: $(jf fuel_used)"
$SB rm "$id" && ok || bad "rm exited sandbox"
check "rm really removes" 404 "$(api GET "/sandboxes/$id")"

id=$($SB create --id tick1 "$G/ticker.wasm" 20 3)
check "created id" tick1 "$id"
check "created state" created "$(api GET /sandboxes/tick1 >/dev/null; sed 's/.*"state":"\([a-z]*\)".*/\1/' "$tmp/body")"
$SB start tick1 && ok || bad "start"
check "start twice" 409 "$(api POST /sandboxes/tick1/start)"
check "ticker exit" "0 exit" "$($SB wait tick1)"
check "ticker lines" 3 "$($SB logs tick1 | grep -c '^tick [123] late_us [0-9]*$')"

# ---- a trap, a spinner and a healthy ticker side by side ----
$SB create --id healthy --start "$G/ticker.wasm" 100 15 >/dev/null
$SB create --id spinner --start "$G/spin.wasm" >/dev/null
$SB create --id trapper --start "$G/trap.wasm" >/dev/null
check "trap exit" "134 trap" "$($SB wait trapper)"
$SB inspect trapper >"$tmp/i"
contains "trap message" "unreachable" "$tmp/i"
contains "trap backtrace" "#1" "$tmp/i"
check "trap stdout kept" "about to trap" "$($SB logs trapper)"
check "spinner still running" running "$(api GET /sandboxes/spinner >/dev/null; sed 's/.*"state":"\([a-z]*\)".*/\1/' "$tmp/body")"
check "healthy exit" "0 exit" "$($SB wait healthy)"
$SB logs healthy >"$tmp/h"
check "healthy lines" 15 "$(grep -c '^tick' "$tmp/h")"
worst=$(sed 's/.* late_us //' "$tmp/h" | sort -n | tail -1)
if [ "${worst:-999999999}" -lt 100000 ]; then ok; else bad "spinner delayed a neighbour by ${worst} us"; fi
check "rm running" 409 "$(api DELETE /sandboxes/spinner)"
contains "rm running says why" "kill it first" "$tmp/body"
$SB kill spinner && ok || bad "kill"
check "killed" "137 killed" "$($SB wait spinner)"

# ---- limits ----
$SB create --id fuel --fuel 5000000 --start "$G/spin.wasm" >/dev/null
check "out of fuel" "134 out of fuel" "$($SB wait fuel)"
api GET /sandboxes/fuel >/dev/null
check "out of fuel: fuel_used is the budget" 5000000 "$(jf fuel_used)"
$SB create --id bomb --max-memory 2097152 --start "$G/bomb.wasm" >/dev/null
check "memory bomb" "134 memory limit" "$($SB wait bomb)"
api GET /sandboxes/bomb >/dev/null
check "memory bomb: memory_bytes (1 + 16 pages; 16 more would pass 2 MiB)" 1114112 "$(jf memory_bytes)"

# ---- bad input: a 4xx with a clear message, and the daemon serves on ----
check "malformed json" 400 "$(api POST /sandboxes '{"module": ')"
contains "malformed json message" "malformed JSON" "$tmp/body"
check "not an object" 400 "$(api POST /sandboxes '[1,2]')"
check "unknown id" 404 "$(api GET /sandboxes/nope)"
contains "unknown id message" "no such sandbox: nope" "$tmp/body"
check "kill unknown" 404 "$(api POST /sandboxes/nope/kill)"
check "missing module" 404 "$(api POST /sandboxes '{"module": "/nonexistent/x.wasm"}')"
contains "missing module message" "cannot open module /nonexistent/x.wasm" "$tmp/body"
check "relative module" 400 "$(api POST /sandboxes '{"module": "x.wasm"}')"
check "unknown field" 400 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/spin.wasm\", \"bogus\": 1}")"
contains "unknown field message" 'unknown field \\"bogus\\"' "$tmp/body"
check "bad limit" 400 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/spin.wasm\", \"limits\": {\"fuel\": -1}}")"
printf 'this is not wasm' >"$tmp/garbage.wasm"
check "bad module" 400 "$(api POST /sandboxes "{\"module\": \"$tmp/garbage.wasm\"}")"
contains "bad module message" "garbage.wasm" "$tmp/body"
check "no _start" 400 "$(api POST /sandboxes "{\"module\": \"$PWD/build/modules/api.wasm\"}")"
check "bad id" 400 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/spin.wasm\", \"id\": \"../x\"}")"
check "duplicate id" 409 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/spin.wasm\", \"id\": \"fuel\"}")"
args=$(seq 300 | sed 's/.*/"a"/' | paste -sd, -)
check "too many args" 400 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/spin.wasm\", \"args\": [$args]}")"
head -c 5000000 /dev/zero | tr '\0' 'a' | sed 's/^/{"module": "/; s/$/"}/' >"$tmp/huge"
check "huge body" 413 "$(curl -s --unix-socket "$sock" -o /dev/null -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data-binary @"$tmp/huge" http://localhost/sandboxes)"
check "bad method" 405 "$(api PUT /sandboxes)"
check "no endpoint" 404 "$(api GET /nothing)"
check "bad batch count" 400 "$(api POST /sandboxes/batch "{\"module\": \"$PWD/$G/spin.wasm\", \"count\": 0}")"
check "bad delete body" 400 "$(api POST /sandboxes/delete '{"ids": "x"}')"
check "metrics after abuse" 200 "$(api GET /metrics)"
contains "metrics fields" '"bytes_per_sandbox"' "$tmp/body"

# ---- a batch of sleepers, deleted at once ----
$SB create --count 200 --id s- --start "$G/sleeper.wasm" >"$tmp/ids"
check "batch ids" 200 "$(wc -l <"$tmp/ids")"
check "batch id form" s-199 "$(tail -1 "$tmp/ids")"
sleep 0.3
api GET /metrics >/dev/null
contains "sleepers sleep" '"sleeping":200' "$tmp/body"
check "ps lists them" 200 "$($SB ps | grep -c '^s-')"
check "delete sleepers" 200 "$(api POST /sandboxes/delete '{"all": false, "ids": ["s-0"], "force": true}' )"
contains "delete one" '"deleted":1' "$tmp/body"
api POST /sandboxes/delete '{"all": true, "force": true}' >/dev/null
contains "delete all" '"deleted":' "$tmp/body"
api GET /metrics >/dev/null
contains "all gone" '"sandboxes":0' "$tmp/body"

# ---- SIGTERM: every sandbox stopped and recorded ----
# An exited, a trapped, a sleeping and a never-started sandbox, each with
# its own exit code and reason in state.json.
$SB create --id three --start "$G/exit3.wasm" a b >/dev/null && $SB wait three >/dev/null
$SB create --id trap2 --start "$G/trap.wasm" >/dev/null && $SB wait trap2 >/dev/null
$SB create --id last --start "$G/sleeper.wasm" >/dev/null
$SB create --id idle "$G/sleeper.wasm" >/dev/null
sleep 0.2
nlive=$($SB ps | tail -n +2 | wc -l)
kill -TERM $pid
wait $pid
check "daemon exit status" 0 "$?"
# state.json, one object per line: {"id":...,"state":...,...}
tr -d '\n' <"$tmp/state/state.json" | sed 's/": */":/g; s/, *"/,"/g; s/{ */{/g; s/ *}/}/g; s/}, *{/}\n{/g' >"$tmp/state1"
st() { grep -o "{\"id\":\"$1\"[^}]*}" "$tmp/state1"; }
check "state: every sandbox" "$nlive" "$(grep -c '"id":' "$tmp/state1")"
case $(st three) in *'"exit_code":3,"reason":"exit"'*) ok ;; *) bad "state three: $(st three)" ;; esac
case $(st idle) in *'"state":"exited"'*'"exit_code":137,"reason":"killed"'*) ok ;; *) bad "state idle (never started): $(st idle)" ;; esac
case $(st last) in *'"exit_code":137,"reason":"killed"'*) ok ;; *) bad "state last: $(st last)" ;; esac
case $(st trap2) in *'"exit_code":134,"reason":"trap","message":"unreachable'*) ok ;; *) bad "state trap2: $(st trap2)" ;; esac
contains "daemon log" "stopped" "$tmp/daemon.log"
[ -S "$sock" ] && bad "socket left behind" || ok

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
