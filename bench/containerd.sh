#!/bin/sh
# bench/containerd.sh [N] [DENSITY] - wasmbox as a containerd runtime, measured
# through one private containerd (tests/containerd/lib.sh) and one client, ctr.
#
# Throughput: N containers (default 100), 40 `ctr run --rm` at a time, to
# completion: wasmbox running a WASI hello (tests/containerd/hello.c) against
# runc running a static native hello (bench/native_hello.c), side by side in
# the same run.  The issue's anchors: runc 18/s and a naive wasm shim (a
# forked `wasmbox run` per container) 35/s here with 40 parallel ctr run;
# runwasi's published stress test (another machine): WAMR 95/s, WasmEdge
# 85/s, Wasmer 17/s, Wasmtime 16/s.
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
echo "containerd throughput, $N containers, 40 ctr run --rm at a time, one containerd:"
echo "  runc, static native hello:      $runc containers/s ($(wc -l <"$CT/runc.fail") failed)"
echo "  wasmbox shim, WASI hello:       $wasm containers/s ($(wc -l <"$CT/wasm.fail") failed)"
awk -v w="$wasm" -v r="$runc" 'BEGIN { printf "  ratio wasmbox/runc:             %.2fx (target >= 3x; issue anchors: runc 18/s, naive wasm shim 35/s)\n", w / r }'
echo "  runwasi's published rates, another machine: WAMR 95/s, WasmEdge 85/s, Wasmer 17/s, Wasmtime 16/s"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
timeout 30 $CTR run -d $RT docker.io/library/sleeper:latest base >/dev/null 2>&1
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
