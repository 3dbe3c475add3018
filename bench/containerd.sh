#!/bin/sh
# bench/containerd.sh [N] [DENSITY] - wasmbox as a containerd runtime, measured
# through one private containerd (tests/containerd/lib.sh).
#
# Throughput: N containers (default 100), 40 at a time, to completion:
# wasmbox running a WASI hello (tests/containerd/hello.c) against runc
# running a static native hello (bench/native_hello.c), side by side in the
# same run, through two clients in turn:
#   - our own (bench/ctd_client.c): containerd's gRPC API on one HTTP/2
#     connection, a container's calls only; it costs well under a
#     millisecond of CPU a container, so the runtimes' costs are what shows;
#   - ctr (`ctr run --rm`), ~50 ms of CPU a container in ctr itself, which
#     caps both runtimes alike on this 2-core machine.
# Every container's exit status is checked (0), and every 10th one's output.
# Beside the rates: containerd's CPU per container (its own and its reaped
# children's: the shims' `start`), and the wasmbox shim's.  The issue's
# anchors: runc 18/s and a naive wasm shim (a forked `wasmbox run` per
# container) 35/s here with 40 parallel ctr run; runwasi's published stress
# test (another machine): WAMR 95/s, WasmEdge 85/s, Wasmer 17/s, Wasmtime 16/s.
#
# Density: DENSITY sleeping containers (default 1000) in one grouped shim;
# the shim's resident memory per container against Kuasar's 1.9 MB per
# sandbox, and containerd's own beside it.
B=${B:-build}
N=${1:-100}
D=${2:-1000}
. tests/containerd/lib.sh
trap 'ctd_stop' EXIT INT TERM
if ! ctd_start; then
    echo "bench-containerd: skipped: $(cat "$CT/why")"
    exit 0
fi
RT="--runtime io.containerd.wasmbox.v1 --platform wasi/wasm"
$B/wasmbox image build -o "$CT/hello.tar" --tag hello build/containerd/hello.wasm >/dev/null
$B/wasmbox image build -o "$CT/native.tar" --tag native-hello --platform linux/amd64 build/bench/native_hello >/dev/null
$B/wasmbox image build -o "$CT/sleeper.tar" --tag sleeper build/sandboxd/sleeper.wasm >/dev/null
for i in hello sleeper; do $CTR images import --platform wasi/wasm "$CT/$i.tar" >/dev/null; done
$CTR images import "$CT/native.tar" >/dev/null

now() { date +%s.%N; }
# CPU ticks (1/100 s) of a process, its reaped children included
ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
ms_per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (b - a) * 10 / n }'; }

# ---- our client: templates made (and run once) by ctr, outside the timing ----
# A sleeper keeps the group's shim up between runs, as any busy node's is
# (an idle shim exits 2 s after its last task), so its CPU can be read.
timeout 30 $CTR run -d $RT docker.io/library/sleeper:latest base >/dev/null 2>&1
timeout 60 $CTR run $RT docker.io/library/hello:latest tmpl-wasm /hello.wasm bench >/dev/null 2>&1
timeout 60 $CTR run docker.io/library/native-hello:latest tmpl-runc >/dev/null 2>&1
# crun NAME TEMPLATE EXPECT: N containers, 40 in flight; the client's line in $CT/NAME.cc
crun() {
    $B/bench/ctd_client -a "$CT/c.sock" -n "$NS" -t "$2" -c "$N" -p 40 -i "$1" -e "$3" -s 10 -d "$CT" \
        >"$CT/$1.cc" 2>"$CT/$1.ccerr"
    echo $? >"$CT/$1.rc"
}
# a warm-up of each
N0=$N; N=10
crun cw1 tmpl-runc hello; crun cw2 tmpl-wasm "hello from"
N=$N0
c0=$(ticks "$CTD_PID")
crun crc tmpl-runc hello
c1=$(ticks "$CTD_PID")
shim=$(ctd_shims)
s0=$(ticks "$shim")
crun cwb tmpl-wasm "hello from"
c2=$(ticks "$CTD_PID")
s1=$(ticks "$shim")
rate_of() { sed -n 's/.* \([0-9.]*\) containers\/s.*/\1/p' "$CT/$1.cc"; }
failed_of() { if [ "$(cat "$CT/$1.rc")" = 0 ]; then echo 0; else sed -n 's/.* \([0-9]*\) failed.*/\1/p' "$CT/$1.cc"; fi; }
cr=$(rate_of crc)
cw=$(rate_of cwb)
echo "containerd throughput, $N containers, 40 at a time, one containerd, our client (bench/ctd_client, one gRPC connection):"
echo "  runc, static native hello:      ${cr:-0} containers/s ($(failed_of crc) failed; containerd $(ms_per "$c0" "$c1" "$N") ms CPU a container)"
echo "  wasmbox shim, WASI hello:       ${cw:-0} containers/s ($(failed_of cwb) failed; containerd $(ms_per "$c1" "$c2" "$N") ms, shim $(ms_per "$s0" "$s1" "$N") ms CPU a container)"
awk -v w="${cw:-0}" -v r="${cr:-1}" 'BEGIN { printf "  ratio wasmbox/runc:             %.2fx (target >= 3x)\n", w / r }'
for f in crc cwb; do [ -s "$CT/$f.ccerr" ] && sed 's/^/    /' "$CT/$f.ccerr" | head -5; done

# ---- ctr run --rm ----
# rate NAME IMAGE-AND-ARGS...: N containers, 40 at a time; prints containers/s
rate() {
    name=$1
    shift
    t0=$(now)
    seq "$N" | xargs -P 40 -I{} sh -c "$CTR run --rm $* >/dev/null 2>&1 || echo x" >"$CT/$name.fail"
    t1=$(now)
    awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }'
}
# a warm-up of each, so that neither pays for first-time costs
N0=$N; N=10
rate warm1 "docker.io/library/hello:latest w1-{} $RT" >/dev/null
rate warm2 "docker.io/library/native-hello:latest w2-{} /native_hello" >/dev/null
N=$N0
runc=$(rate runc "docker.io/library/native-hello:latest rc-{} /native_hello")
wasm=$(rate wasm "$RT docker.io/library/hello:latest wb-{}")
echo "containerd throughput, $N containers, 40 ctr run --rm at a time, one containerd, client ctr:"
echo "  runc, static native hello:      $runc containers/s ($(wc -l <"$CT/runc.fail") failed)"
echo "  wasmbox shim, WASI hello:       $wasm containers/s ($(wc -l <"$CT/wasm.fail") failed)"
awk -v w="$wasm" -v r="$runc" 'BEGIN { printf "  ratio wasmbox/runc:             %.2fx (the ctr client costs both ~50 ms CPU a container)\n", w / r }'
echo "  issue anchors (40 parallel ctr run, this machine): runc 18/s, naive wasm shim 35/s"
echo "  runwasi's published rates, another machine: WAMR 95/s, WasmEdge 85/s, Wasmer 17/s, Wasmtime 16/s"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
sleep 1
shim=$(ctd_shims)
r0=$(rss "$shim")
c0=$(rss "$CTD_PID")
seq "$D" | xargs -P 20 -I{} sh -c "timeout 60 $CTR run -d $RT docker.io/library/sleeper:latest s{} >/dev/null 2>&1"
sleep 2
running=$($CTR task ls 2>/dev/null | grep -c RUNNING)
r1=$(rss "$shim")
c1=$(rss "$CTD_PID")
echo "density: $running sleeping containers, one shim (pid $shim, $(ctd_shims | wc -w) shim process(es)):"
awk -v a="$r0" -v b="$r1" -v n="$D" 'BEGIN { printf "  shim RSS %.1f MiB with 1 container, %.1f MiB with %d more: %.1f KiB per container (target <= 64 KiB; Kuasar 1.9 MB per sandbox: %.0fx less)\n", a / 1024, b / 1024, n, (b - a) / n, 1.9 * 1000 * 1000 / 1024 / ((b - a) / n) }'
awk -v a="$c0" -v b="$c1" -v n="$D" 'BEGIN { printf "  containerd RSS %.1f MiB before, %.1f MiB after: %.1f KiB per container\n", a / 1024, b / 1024, (b - a) / n }'
