#!/bin/sh
# tests/containerd/run.sh BUILD - containerd-shim-wasmbox-v1 end to end, through
# a private containerd (tests/containerd/lib.sh) and its own client, ctr:
# images made by `wasmbox image build`, imported with --platform wasi/wasm;
# arguments, environment, stdout and exit codes; a trap (134, in stderr); a
# spinner killed; a memory bomb under --memory-limit; a detached run that
# prints more than a pipe holds with nobody reading; 200 containers at once
# in one shim; a containerd restart while tasks run; and bad input (a
# missing module, a path out of the rootfs, a non-wasm entrypoint, a module
# without _start, a malformed annotation), each a clear error, the shim
# serving on.  Skips (saying why) only where containerd cannot start.
B=${1:-build}
G=build/containerd
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}
contains() { # NAME NEEDLE FILE
    if grep -q -- "$2" "$3"; then ok; else bad "$1: no '$2' in: $(head -c 400 "$3")"; fi
}

. tests/containerd/lib.sh
trap 'ctd_stop' EXIT INT TERM
if ! ctd_start; then
    echo "SKIP containerd: $(cat "$CT/why")"
    echo "0 passed, 0 failed"
    exit 0
fi
echo "containerd $(containerd --version | awk '{print $3}'), snapshotter $(cat "$CT/snapshotter"), in $CT"

RT="--runtime io.containerd.wasmbox.v1 --platform wasi/wasm"
# run ID IMAGE [ARGS...]: ctr run --rm, 30 s at most; output in $CT/ID.out, status echoed
run() { # flags in $F
    id=$1 img=$2
    shift 2
    timeout 30 $CTR run --rm $RT $F "docker.io/library/$img:latest" "$id" "$@" >"$CT/$id.out" 2>&1
    echo $?
}
image() { # NAME FILE [FILES...]
    n=$1
    shift
    $B/wasmbox image build -o "$CT/$n.tar" --tag "$n" "$@" >"$CT/$n.build" 2>&1 &&
        $CTR images import --platform wasi/wasm "$CT/$n.tar" >"$CT/$n.import" 2>&1
    check "image $n imported" 0 $?
}

# ---- images ----
printf 'just text\n' >"$CT/data.txt"
image hello $G/hello.wasm "$CT/data.txt"
image trap build/sandboxd/trap.wasm
image spin build/sandboxd/spin.wasm
image bomb build/sandboxd/bomb.wasm
image sleeper build/sandboxd/sleeper.wasm
image nostart $G/nostart.wasm
contains "ctr lists the image as wasi/wasm" "wasi/wasm" "$($CTR images ls >"$CT/ls" 2>&1; echo "$CT/ls")"
$B/wasmbox image build -o "$CT/x.tar" "$CT/data.txt" >"$CT/x.out" 2>&1
check "image build refuses a non-wasm entrypoint" 1 $?
contains "... saying so" "not a wasm binary" "$CT/x.out"

# ---- arguments, environment, stdout, exit codes ----
check "exit code of proc_exit" 3 "$(GREETING=x run a1 hello /hello.wasm one two exit=3)"
contains "arguments" "hello from /hello.wasm: one two exit=3" "$CT/a1.out"
check "entrypoint from the image" 0 "$(timeout 30 $CTR run --rm $RT --env GREETING=bonjour docker.io/library/hello:latest a2 >"$CT/a2.out" 2>&1; echo $?)"
contains "environment" "GREETING=bonjour" "$CT/a2.out"
contains "stderr" "to stderr" "$CT/a2.out"

# ---- a trap: 134, the trap and its backtrace in stderr ----
check "trap exit code" 134 "$(run t1 trap)"
contains "trap in stderr" "wasmbox: trap: unreachable" "$CT/t1.out"
contains "backtrace in stderr" "#0 " "$CT/t1.out"

# ---- a spinner killed with ctr task kill ----
timeout 30 $CTR run -d $RT docker.io/library/spin:latest s1 >/dev/null 2>&1
sleep 0.5
contains "spinner running" "s1.*RUNNING" "$($CTR task ls >"$CT/ls" 2>&1; echo "$CT/ls")"
$CTR task kill -s SIGKILL s1
for _ in $(seq 50); do $CTR task ls 2>/dev/null | grep -q "s1.*STOPPED" && break; sleep 0.1; done
contains "spinner stopped by SIGKILL" "s1.*STOPPED" "$($CTR task ls >"$CT/ls" 2>&1; echo "$CT/ls")"
$CTR task delete s1 >"$CT/s1.del" 2>&1
contains "killed: exit code 137" "exit code 137" "$CT/s1.del"
$CTR containers rm s1 >/dev/null 2>&1

# ---- a memory bomb under a memory limit ----
check "memory bomb exit code" 134 "$(F="--memory-limit 4194304" run m1 bomb)"
contains "memory limit in stderr" "memory limit" "$CT/m1.out"

# ---- detached, nobody reading, more output than a pipe holds ----
timeout 30 $CTR run -d $RT docker.io/library/hello:latest d1 /hello.wasm lines=20000 >/dev/null 2>&1
for _ in $(seq 100); do $CTR task ls 2>/dev/null | grep -q "d1.*STOPPED" && break; sleep 0.1; done
contains "a detached guest printing 200 KB finishes unread" "d1.*STOPPED" "$($CTR task ls >"$CT/ls" 2>&1; echo "$CT/ls")"
$CTR task delete d1 >/dev/null 2>&1
$CTR containers rm d1 >/dev/null 2>&1
# (ctr's status with it: a run that timed out under load says so)
check "output of a run after it, whole" "0 20003" "$(run d2 hello /hello.wasm lines=20000) $(wc -l <"$CT/d2.out")"
# ... and with ctr's reader held up: its stdout is a pipe nobody empties for a
# second, so the guest is done long before its output is read (the FIFO and
# the shim's backlog hold it).  The exit is published, and ctr run --rm ends
# (its Delete), only once the output was read: ctr 1.6 closes its end at
# Delete, and a shim that said "exited" at once lost all but the first ~60 KB.
slow() { # ID: ctr run --rm of 200 KB through a reader that starts after 1 s
    { timeout 30 $CTR run --rm $RT docker.io/library/hello:latest "$1" /hello.wasm lines=20000 2>&1
      echo $? >"$CT/$1.rc"; } | { sleep 1; cat; } >"$CT/$1.out"
    echo "$(cat "$CT/$1.rc") $(wc -l <"$CT/$1.out")"
}
check "output of a run whose reader is held up, whole" "0 20003" "$(slow d3)"
pids=
for i in 4 5 6 7; do slow d$i >"$CT/d$i.res" & pids="$pids $!"; done
wait $pids # (not a bare wait: containerd is a child too)
check "... four such runs at once, each whole" "0 20003 0 20003 0 20003 0 20003" "$(echo $(cat "$CT"/d[4-7].res))"

# ---- bad input: clear errors, the shim serving on ----
check "missing module fails" 1 "$(run e1 hello /nope.wasm)"
contains "... naming it" "nope.wasm" "$CT/e1.out"
check "a path out of the rootfs fails" 1 "$(run e2 hello /../../../../../../../proc/self/exe)"
contains "... it is not found inside" "No such file" "$CT/e2.out"
check "non-wasm entrypoint fails" 1 "$(run e3 hello /data.txt)"
contains "... not a wasm module" "not a wasm module" "$CT/e3.out"
check "module without _start fails" 1 "$(run e4 nostart)"
contains "... saying so" "_start" "$CT/e4.out"
check "malformed annotation fails" 1 "$(F="--annotation io.wasmbox.fuel=lots" run e5 hello)"
contains "... naming it" "io.wasmbox.fuel" "$CT/e5.out"
check "the shim serves on" 0 "$(run e6 hello)"
contains "... with the right output" "hello from /hello.wasm" "$CT/e6.out"
for i in 1 2 3 4 5; do $CTR containers rm e$i >/dev/null 2>&1; done
check "no container left behind" "" "$($CTR containers ls -q)"

# ---- Kubernetes' pause container: a no-op task, in its pod's own shim ----
# containerd's CRI marks a pod's sandbox container with the annotation
# io.kubernetes.cri.container-type=sandbox (and every container of the pod
# with io.kubernetes.cri.sandbox-id); its /pause is a native binary, which
# the shim never loads: here it is not even in the image.
POD="--annotation io.kubernetes.cri.sandbox-id=pod1"
timeout 30 $CTR run -d $RT $POD --annotation io.kubernetes.cri.container-type=sandbox \
    docker.io/library/hello:latest k1 /pause >"$CT/k1.out" 2>&1
check "pause container starts (no /pause in the image)" 0 $?
contains "... and runs" "k1.*RUNNING" "$($CTR task ls >"$CT/ls" 2>&1; echo "$CT/ls")"
check "a container of its pod runs beside it" 0 "$(F="$POD --annotation io.kubernetes.cri.container-type=container" run k2 hello /hello.wasm inpod)"
contains "... with its output" "hello from /hello.wasm: inpod" "$CT/k2.out"
# (the pause container is killed below, once a task of the node's shim runs)

# ---- Stats (ctr task metrics): linear memory and fuel of a running task ----
# fuel used, from Stats: the cgroups v1 cpuacct usage the shim reports
fuel() { $CTR task metrics --format json "$1" 2>/dev/null | tr -d ' \n' | sed -n 's/.*"cpu":{"usage":{"total":\([0-9]*\).*/\1/p'; }
timeout 30 $CTR run -d $RT --memory-limit 33554432 docker.io/library/spin:latest q0 >/dev/null 2>&1
sleep 0.3
$CTR task metrics q0 >"$CT/q0.metrics" 2>&1
contains "metrics: memory usage (linear memory)" "memory.usage_in_bytes *[1-9]" "$CT/q0.metrics"
contains "metrics: memory limit (the cap)" "memory.limit_in_bytes *33554432" "$CT/q0.metrics"
# every task reports its shim's pid
pid_of() { $CTR task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $2}'; }
if [ -n "$(pid_of k1)" ] && [ "$(pid_of k1)" != "$(pid_of q0)" ]; then ok; else
    bad "the pod's shim (pid '$(pid_of k1)') is not the node's (pid '$(pid_of q0)')"; fi
$CTR task kill -s SIGKILL k1 >/dev/null 2>&1
for _ in $(seq 50); do $CTR task ls 2>/dev/null | grep -q "k1.*STOPPED" && break; sleep 0.1; done
$CTR task delete k1 >"$CT/k1.del" 2>&1
contains "pause container killed: exit code 137" "exit code 137" "$CT/k1.del"
$CTR containers rm k1 >/dev/null 2>&1
f1=$(fuel q0)
sleep 0.3
f2=$(fuel q0)
if [ -n "$f1" ] && [ -n "$f2" ] && [ "$f2" -gt "$f1" ]; then ok; else bad "metrics: fuel of a spinner grows: '$f1' then '$f2'"; fi

# ---- linux.resources.cpu quota/period: a fuel rate ----
# A spinner with 1% of a CPU beside one without a quota: compared in fuel
# used, read at the same moment, never in wall time.
timeout 30 $CTR run -d $RT --cpu-quota 1000 --cpu-period 100000 docker.io/library/spin:latest q1 >/dev/null 2>&1
sleep 1
fq=$(fuel q1)
fu=$(fuel q0)
if [ -n "$fq" ] && [ -n "$fu" ] && [ "$fq" -gt 0 ] && [ $((fq * 5)) -lt "$fu" ]; then ok; else
    bad "a 1% CPU quota: fuel '$fq' should progress, at most a fifth of the unlimited spinner's '$fu'"; fi
for q in q0 q1; do
    $CTR task kill -s SIGKILL $q >/dev/null 2>&1
done
sleep 0.3
for q in q0 q1; do
    $CTR task delete $q >/dev/null 2>&1
    $CTR containers rm $q >/dev/null 2>&1
done

# ---- the benchmark's own client (bench/ctd_client: gRPC, one connection) ----
CC="$B/bench/ctd_client -a $CT/c.sock -n $NS -d $CT"
timeout 30 $CTR run $RT docker.io/library/hello:latest cct /hello.wasm cc exit=3 >/dev/null 2>&1
$CC -t cct -c 8 -p 4 -i cc -x 3 -e "hello from /hello.wasm: cc exit=3" >"$CT/cc.out" 2>&1
check "client: 8 containers, exit 3 each, through gRPC" 0 $?
contains "... each one's output checked" "8 containers (io.containerd.wasmbox.v1), 4 in flight: .* 0 failed, 8 outputs checked" "$CT/cc.out"
$CC -t cct -c 3 -p 3 -i cd -x 0 >"$CT/cd.out" 2>&1
check "client: a wrong exit status is a failure" 1 $?
contains "... naming it" "cd-1: Tasks.Wait: exit status 3, not 0" "$CT/cd.out"
$CC -t cct -c 2 -p 2 -i ce -x 3 -e "not what it prints" -T 20 >"$CT/ce.out" 2>&1
check "client: missing output is a failure" 1 $?
contains "... saying so" "the expected output never came" "$CT/ce.out"
$CC -t nosuch -c 1 >"$CT/cf.out" 2>&1
check "client: a missing template is a clear error" 2 $?
contains "... naming it" "nosuch.*not found" "$CT/cf.out"
$CTR containers rm cct >/dev/null 2>&1
check "client: every container and snapshot it made removed" "" "$($CTR containers ls -q; $CTR snapshots ls | awk 'NR > 1 && $3 == "Active"')"

# ---- 200 containers at once, one grouped shim (three sleepers keep it) ----
for i in 1 2 3; do timeout 30 $CTR run -d $RT docker.io/library/sleeper:latest r$i >/dev/null 2>&1; done
shim=$(ctd_shims)
check "one shim for the namespace" 1 "$(echo "$shim" | wc -w)"
seq 200 | xargs -P 50 -I{} sh -c "timeout 60 $CTR run --rm $RT docker.io/library/hello:latest p{} /hello.wasm n{} >$CT/p{}.out 2>&1"
good=0
for i in $(seq 200); do
    if grep -q "hello from /hello.wasm: n$i\$" "$CT/p$i.out"; then
        good=$((good + 1))
    else
        echo "     p$i said: $(head -c 400 "$CT/p$i.out" | tr '\n' ' ')"
    fi
done
check "200 containers at once, each its own output" 200 $good
check "... all in that one shim" "$shim" "$(ctd_shims)"

# ---- a containerd restart while tasks run ----
ctd_restart
check "containerd back" 0 $?
contains "tasks still listed" "r3.*RUNNING" "$($CTR task ls >"$CT/ls" 2>&1; echo "$CT/ls")"
check "the same shim" "$shim" "$(ctd_shims)"
$CTR task kill -s SIGKILL r1 >/dev/null 2>&1
for _ in $(seq 50); do $CTR task ls 2>/dev/null | grep -q "r1.*STOPPED" && break; sleep 0.1; done
$CTR task delete r1 >"$CT/r1.del" 2>&1
contains "... and killed and waited for after" "exit code 137" "$CT/r1.del"
check "a new container after the restart" 0 "$(run r4 hello)"
for i in 2 3; do
    $CTR task kill -s SIGKILL r$i >/dev/null 2>&1
done
sleep 0.3
for i in 1 2 3; do
    $CTR task delete r$i >/dev/null 2>&1
    $CTR containers rm r$i >/dev/null 2>&1
done

echo "$pass passed, $fail failed"
[ $fail = 0 ]
