#!/bin/sh
# tests/cli/sandboxd.sh BUILD - wasmboxd end to end through its socket:
# the client's create/start/wait/logs/kill/rm, a trapping, a spinning, an
# out-of-fuel and a memory-bomb sandbox beside healthy ones, bad API input
# (each a 4xx with a clear message, the daemon serving on), a batch, and
# SIGTERM recording every sandbox's final state.  Then the attacks of issue
# 19: guests planting links for the daemon to follow, FIFOs, what load
# errors and reused ids reveal, and, on daemons started with small caps,
# output floods, too many sandboxes, a memory hog, a start function that
# never returns and a guest that takes every file descriptor.
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
lacks() { # NAME NEEDLE FILE
    if grep -q -- "$2" "$3"; then bad "$1: '$2' in: $(head -c 300 "$3")"; else ok; fi
}
# jf NAME: a scalar field of the one-line JSON in $tmp/body
jf() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,}\"]*\).*/\1/p" "$tmp/body"; }
# terminate PID: SIGTERM, 20 s to exit (a wedged daemon gets SIGKILL); its status
terminate() {
    kill -TERM "$1"
    for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null
    wait "$1"
}
# cpu PID: the CPU time the process has used, in clock ticks
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

tmp=$(mktemp -d)
sock=$tmp/d.sock
"$B/wasmboxd" --listen "$sock" --dir "$tmp/state" --workers 2 2>"$tmp/daemon.log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
# A daemon that wedges must fail the test, not hang it.
SB="timeout 20 $W sandbox --socket $sock"

# api METHOD PATH [BODY]: prints the HTTP status (000: no answer within 10 s,
# the daemon is wedged); the body lands in $tmp/body.
api() {
    if [ -n "$3" ]; then
        printf '%s' "$3" >"$tmp/req"
        curl -s -m 10 --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' -X "$1" \
            -H 'Content-Type: application/json' --data-binary @"$tmp/req" "http://localhost$2"
    else
        curl -s -m 10 --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' -X "$1" "http://localhost$2"
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

# An exited and a trapped sandbox kept to the end, for state.json and tails.
$SB create --id three --start "$G/exit3.wasm" a b >/dev/null && $SB wait three >/dev/null
$SB create --id trap2 --start "$G/trap.wasm" >/dev/null && $SB wait trap2 >/dev/null

# ---- guests that plant links for the daemon to follow (issue 19.2) ----
# A relative link out of the preopen is refused (path_symlink: ENOTCAPABLE),
# so the daemon writes the guest's stdout into a file of its own.
mkdir -p "$tmp/job1" "$tmp/r/job2/d"
echo precious >"$tmp/victim.txt"
echo secret2 >"$tmp/r/victim.txt"
api POST /sandboxes "{\"module\": \"$PWD/$G/plant.wasm\", \"id\": \"plant\", \"dirs\": [\"$tmp/job1::/job\"], \"stdout\": \"$tmp/job1/out.log\", \"start\": true}" >/dev/null
check "plant: symlink out of the preopen refused" "76 exit" "$($SB wait plant)"
check "plant: victim intact" precious "$(cat "$tmp/victim.txt")"
check "plant: output in a file of its own" hello "$(cat "$tmp/job1/out.log" 2>&1)"
# Links that stay inside when made and point out once moved (rename cannot
# see what a link means): out.log -> ../victim.txt and d -> .. .  The
# daemon must reach its output files through no link at all.
api POST /sandboxes "{\"module\": \"$PWD/$G/relink.wasm\", \"id\": \"relink\", \"dirs\": [\"$tmp/r/job2::/job\"], \"stdout\": \"$tmp/r/job2/out.log\", \"stderr\": \"$tmp/r/job2/d/victim.txt\", \"start\": true}" >/dev/null
check "relink: the guest planted its links" "0 exit" "$($SB wait relink)"
check "relink: victim intact (not written through out.log or d)" secret2 "$(cat "$tmp/r/victim.txt")"
check "relink: logs not read through out.log -> ../victim.txt" 409 "$(api GET /sandboxes/relink/logs)"
contains "relink: logs say why" "symbolic link" "$tmp/body"
lacks "relink: logs do not leak the victim" secret2 "$tmp/body"
check "relink: nor through d -> .." 409 "$(api GET '/sandboxes/relink/logs?stream=stderr')"
api GET /sandboxes/relink >/dev/null
check "relink: refused output counted as dropped" "6 6" "$(jf stdout_dropped) $(jf stderr_dropped)"
contains "relink: refusal logged" "stderr of relink: cannot write" "$tmp/daemon.log"

# ---- what load errors, reused ids and tails reveal (issue 19.13) ----
printf 'root:$6$SECRETHASH:19000:0:99999:7:::\n' >"$tmp/shadow"
check "not a module" 400 "$(api POST /sandboxes "{\"module\": \"$tmp/shadow\"}")"
lacks "a load error does not echo the file" SECRETHASH "$tmp/body"
contains "a load error says what it is" "not a wasm module" "$tmp/body"
$SB create --id reuse --start "$G/exit3.wasm" >/dev/null && $SB wait reuse >/dev/null
check "first reuse printed" "argc=1" "$($SB logs reuse)"
$SB rm reuse
$SB create --id reuse "$G/sleeper.wasm" >/dev/null
check "a new sandbox of a deleted id has no logs" "" "$($SB logs reuse)"
check "tail=-1" 400 "$(api GET '/sandboxes/reuse/logs?tail=-1')"
check "tail=junk" 400 "$(api GET '/sandboxes/reuse/logs?tail=1x')"
check "tail=2" "3" "$(api GET '/sandboxes/three/logs?tail=2' >/dev/null; tr -d '\n' <"$tmp/body")"

# ---- FIFOs: nothing may block the event loop or the writer (issue 19.10) ----
mkfifo "$tmp/fifo.wasm" "$tmp/out.fifo"
code=$(api POST /sandboxes "{\"module\": \"$tmp/fifo.wasm\"}")
check "module FIFO" 400 "$code"
contains "module FIFO message" "not a regular file" "$tmp/body"
[ "$code" = 000 ] && timeout 3 sh -c "printf x >'$tmp/fifo.wasm'" # unwedge a daemon stuck in open
check "stdout FIFO" 400 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/exit3.wasm\", \"stdout\": \"$tmp/out.fifo\"}")"
contains "stdout FIFO message" "not a regular file" "$tmp/body"
api POST /sandboxes "{\"module\": \"$PWD/$G/exit3.wasm\", \"id\": \"late\", \"stdout\": \"$tmp/late.fifo\"}" >/dev/null
mkfifo "$tmp/late.fifo" # a FIFO in its place after the create request was checked
$SB start late && $SB wait late >/dev/null
code=$(api GET /sandboxes/late/logs)
check "logs of a FIFO answer" 409 "$code"
contains "logs of a FIFO say why" "not a regular file" "$tmp/body"
api GET /sandboxes/late >/dev/null
check "output refused by a FIFO counted as dropped" 7 "$(jf stdout_dropped)"
[ "$code" = 000 ] && timeout 3 cat "$tmp/late.fifo" >/dev/null # unwedge a writer stuck in open
check "serving after FIFOs" 200 "$(api GET /metrics)"

# ---- SIGTERM: every sandbox stopped and recorded ----
$SB create --id last --start "$G/sleeper.wasm" >/dev/null
$SB create --id idle "$G/sleeper.wasm" >/dev/null
sleep 0.2
nlive=$($SB ps | tail -n +2 | wc -l)
terminate $pid
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

# ---- a daemon with small caps (issue 19.9) ----
# daemon NAME ARGS...: starts wasmboxd on $tmp/NAME.sock with state in
# $tmp/NAME/ and its log in $tmp/NAME.log; sets sock and pid.
daemon() {
    n=$1
    shift
    sock=$tmp/$n.sock
    "$B/wasmboxd" --listen "$sock" --dir "$tmp/$n" "$@" 2>"$tmp/$n.log" &
    pid=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    SB="timeout 20 $W sandbox --socket $sock"
}
stop() { # NAME: SIGTERM, and the daemon must exit 0
    terminate $pid
    check "$1: daemon exit status" 0 "$?"
}
daemon caps --workers 1 --max-sandboxes 4 --max-output 65536 --memory-budget 33554432
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
check "caps: daemon up" 200 "$(api GET /metrics)"
# One fd_write of 16 x 1 MiB: the file holds the cap, the rest is counted.
$SB create --id flood --start "$G/flood.wasm" >/dev/null
check "flood exit" "0 exit" "$($SB wait flood)"
size=$(wc -c <"$tmp/caps/logs/flood.stdout" 2>/dev/null)
[ "${size:-0}" -ge 65536 ] && [ "$size" -le 66000 ] && ok || bad "flood: stdout file holds $size bytes, cap 65536"
api GET /sandboxes/flood >/dev/null
check "flood: dropped bytes counted" $((16 * 1048576 - 65536)) "$(jf stdout_dropped)"
# Sandboxes: 4 at most, a batch over the cap is refused whole, at once.
for i in 1 2 3; do $SB create --id "s$i" "$G/sleeper.wasm" >/dev/null; done
check "count cap" 429 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/sleeper.wasm\"}")"
contains "count cap message" "max-sandboxes" "$tmp/body"
check "batch over the cap" 429 "$(api POST /sandboxes/batch "{\"module\": \"$PWD/$G/sleeper.wasm\", \"count\": 1000000}")"
contains "batch over the cap says so" "max-sandboxes" "$tmp/body"
api GET /metrics >/dev/null
check "batch over the cap created none" 4 "$(jf sandboxes)"
$SB rm s3
check "room again after a delete" 201 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/sleeper.wasm\", \"id\": \"s3\"}")"
# Memory: sandboxes that make 16 MiB resident as they are created, against a
# 32 MiB budget: a batch of 4 stops at the budget, not at 64 MiB.
api POST /sandboxes/delete '{"all": true, "force": true}' >/dev/null
check "batch against the memory budget" 429 "$(api POST /sandboxes/batch "{\"module\": \"$PWD/$G/inittoucher.wasm\", \"count\": 4}")"
contains "batch against the memory budget says so" "memory-budget" "$tmp/body"
n=$(jf created)
[ "${n:-99}" -ge 1 ] && [ "$n" -le 2 ] && ok || bad "batch against the memory budget: $n of 16 MiB each created under 32 MiB"
# A guest that makes 64 MiB resident, beside a small sleeper that must live on.
api POST /sandboxes/delete '{"all": true, "force": true}' >/dev/null
sleep 0.1
$SB create --id small --start "$G/sleeper.wasm" >/dev/null
$SB create --id toucher --start "$G/toucher.wasm" >/dev/null
check "memory budget stops the hog" "134 memory budget" "$($SB wait toucher)"
check "memory budget spares the small" sleeping "$(api GET /sandboxes/small >/dev/null; jf state)"
# A start function runs while the sandbox is created: it gets a bounded
# amount of fuel, and the request its refusal.
check "endless start function" 400 "$(api POST /sandboxes "{\"module\": \"$PWD/$G/startloop.wasm\"}")"
contains "endless start function message" "start function" "$tmp/body"
stop caps

# ---- a guest takes every file descriptor (issue 19.9) ----
# Under a limit of 128 descriptors, fdhog opens files until refused.  The
# daemon keeps a descriptor in reserve for its socket, backs off instead of
# spinning on a listening socket it cannot accept from, and logs that once.
mkdir "$tmp/fds" && : >"$tmp/fds/f"
(ulimit -n 128 && exec "$B/wasmboxd" --listen "$tmp/fd.sock" --dir "$tmp/fd" --workers 1) 2>"$tmp/fd.log" &
pid=$!
sock=$tmp/fd.sock
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
SB="timeout 20 $W sandbox --socket $sock"
$SB create --id fdhog --dir "$tmp/fds::/fds" --start "$G/fdhog.wasm" >/dev/null
sleep 0.5
check "fdhog: still serving when descriptors ran out" 200 "$(api GET /sandboxes/fdhog)"
check "fdhog: sleeping on its descriptors" sleeping "$(jf state)"
c0=$(cpu $pid)
l0=$(wc -c <"$tmp/fd.log")
curl -s -m 3 --unix-socket "$sock" -o /dev/null -X POST http://localhost/sandboxes/fdhog/wait &
w1=$!
curl -s -m 3 --unix-socket "$sock" -o /dev/null http://localhost/metrics &
w2=$!
sleep 1.5
c1=$(cpu $pid)
[ $((c1 - c0)) -lt 40 ] && ok || bad "fdhog: the daemon used $((c1 - c0)) ticks of CPU in 1.5 s with connections it cannot accept"
l1=$(wc -c <"$tmp/fd.log")
[ $((l1 - l0)) -lt 4000 ] && ok || bad "fdhog: the daemon logged $((l1 - l0)) bytes in 1.5 s"
wait $w1 $w2
check "fdhog: kill" 200 "$(api POST /sandboxes/fdhog/kill)"
check "fdhog: all well after" 200 "$(api GET /metrics)"
stop fd

# Descriptors are capped per sandbox and for all of them (issue 19.9): two
# fdhogs under --max-fds 8 (stdio, the preopen and four files each) and a
# pool of 7 (the two preopens and five files between them).
"$B/wasmboxd" --listen "$tmp/fp.sock" --dir "$tmp/fp" --workers 1 --max-fds 8 --fd-pool 7 2>"$tmp/fp.log" &
pid=$!
sock=$tmp/fp.sock
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
SB="timeout 20 $W sandbox --socket $sock"
$SB create --id hog1 --dir "$tmp/fds::/fds" --start "$G/fdhog.wasm" >/dev/null
sleep 0.5
api GET /metrics >/dev/null
check "fd cap: one sandbox holds its preopen and four files" 5 "$(jf guest_fds)"
$SB create --id hog2 --dir "$tmp/fds::/fds" --start "$G/fdhog.wasm" >/dev/null
sleep 0.5
api GET /metrics >/dev/null
check "fd pool: two sandboxes hold no more than the pool" 7 "$(jf guest_fds)"
check "fd pool: the second still runs" sleeping "$(api GET /sandboxes/hog2 >/dev/null; jf state)"
check "fd pool: kill" 200 "$(api POST /sandboxes/hog1/kill)"
sleep 0.3
api GET /metrics >/dev/null
check "fd pool: a killed sandbox gives its descriptors back" 2 "$(jf guest_fds)"
stop fp

# Under ASan+UBSan (build-san) a report also fails the exit status; say where.
for f in daemon caps fd fp; do lacks "no sanitizer report from the $f daemon" "Sanitizer\|runtime error" "$tmp/$f.log"; done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
