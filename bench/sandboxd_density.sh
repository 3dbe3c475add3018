#!/bin/sh
# bench/sandboxd_density.sh [N] [M] - the density benchmark of wasmboxd
# (`make bench-density`; not part of `make check`: it takes minutes and
# several GiB).
#
# 1. N (default 100000) sandboxes of tests/sandboxd/ticker.c, a C WASI
#    program printing a line every second, created and started through the
#    API in one batch; after 10 s: every sandbox printed its lines, RSS,
#    bytes per sandbox, start latency p50/p99, the CPU the daemon used, and
#    the worst wake-up delay; then all are deleted and RSS is read again.
#    Anchor: Kuasar's wasm-sandboxer, 1.9 MB a sandbox; target <= 40 KiB.
# 2. M (default 1000000) sandboxes of tests/sandboxd/sleeper.wat, the
#    smallest program that sleeps in a loop; target <= 12 GiB in total.
B=${B:-build}
N=${1:-100000}
M=${2:-1000000}
G=$PWD/build/sandboxd
tmp=$(mktemp -d /tmp/wasmboxd-bench.XXXXXX)
sock=$tmp/d.sock
"$B/wasmboxd" --listen "$sock" --dir "$tmp/state" 2>"$tmp/daemon.log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

api() { curl -s --unix-socket "$sock" -X "$1" ${3:+-H 'Content-Type: application/json' --data-binary "$3"} \
    "http://localhost$2"; }
field() { # JSON FIELD: a number from flat JSON (no jq on a bare Debian)
    printf '%s' "$1" | grep -o "\"$2\":[0-9.]*" | head -1 | cut -d: -f2
}
cpu_ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

base=$(field "$(api GET /metrics)" baseline_rss_bytes)
echo "wasmboxd density benchmark ($(nproc) cores); idle daemon RSS $(mib "$base")"

# ---- 0: spinners beside tickers ----
# 4 guests looping forever (twice the workers) beside 1,000 tickers printing
# every 100 ms for 5 s: how late is the worst line?  Target <= 100 ms.
api POST /sandboxes/batch "{\"module\": \"$G/spin.wasm\", \"count\": 4, \"start\": true, \"id_prefix\": \"spin\"}" >/dev/null
api POST /sandboxes/batch "{\"module\": \"$G/ticker.wasm\", \"args\": [\"ticker\", \"100\", \"50\"], \"count\": 1000, \"start\": true, \"id_prefix\": \"near\"}" >/dev/null
sleep 6.5
api POST /sandboxes/delete '{"all": true, "force": true}' >/dev/null
sleep 0.5
worst=$(find "$tmp/state/logs" -name 'near*.stdout' -exec cat {} + | sed -n 's/^tick [0-9]* late_us //p' | sort -n | tail -1)
nl=$(find "$tmp/state/logs" -name 'near*.stdout' -exec cat {} + | grep -c '^tick')
echo "spin: 4 spinning sandboxes beside 1000 tickers (100 ms period): $nl lines, worst line $(awk -v w="$worst" 'BEGIN{printf "%.1f", w/1000}') ms late (target <= 100 ms)"
find "$tmp/state/logs" -name 'near*' -delete

# ---- 1: N ticker sandboxes ----
t0=$(date +%s.%N)
r=$(api POST /sandboxes/batch "{\"module\": \"$G/ticker.wasm\", \"args\": [\"ticker\", \"1000\"], \"count\": $N, \"start\": true, \"id_prefix\": \"t\"}")
t1=$(date +%s.%N)
created=$(field "$r" created)
echo "ticker: $created sandboxes created and started in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s through the API"
c0=$(cpu_ticks)
sleep 10
c1=$(cpu_ticks)
m=$(api GET /metrics)
rss=$(field "$m" rss_bytes)
running=$(( $(field "$m" runnable) + $(field "$m" running) + $(field "$m" sleeping) ))
per=$(( (rss - base) / N ))
echo "ticker: $running of $N running after 10 s; total RSS $(mib "$rss"), $per bytes per sandbox ($(awk -v p="$per" 'BEGIN{printf "%.1f", p/1024}') KiB; target <= 40 KiB; Kuasar 1.9 MB = $(awk -v p="$per" 'BEGIN{printf "%.0fx", 1.9e6/p}') less)"
echo "ticker: start latency p50 $(field "$m" p50_us) us, p99 $(field "$m" p99_us) us (start request to first instruction)"
echo "ticker: daemon CPU over the 10 s: $(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f%%", (b-a)/hz/10*100}') of one core; worst wake-up delay $(field "$m" wake_late_max_us) us, $(field "$m" wake_late_over_100ms) wake-ups over 100 ms"
# every sandbox printed: flush by asking for one log, then count lines per file
api GET /sandboxes/t0/logs >/dev/null
sleep 2.5 # the others flush within SBD_OUT_FLUSH_NS of a line
printed=$(find "$tmp/state/logs" -name 't*.stdout' -size +0 | wc -l)
lines=$(find "$tmp/state/logs" -name 't*.stdout' -exec cat {} + | grep -c '^tick')
echo "ticker: $printed of $N sandboxes wrote output, $lines lines in all ($(awk -v l="$lines" -v n="$N" 'BEGIN{printf "%.1f", l/n}') each)"
r=$(api POST /sandboxes/delete '{"all": true, "force": true}')
sleep 1
m=$(api GET /metrics)
after=$(field "$m" rss_bytes)
echo "ticker: deleted $(field "$r" deleted), $(field "$m" sandboxes) left; RSS after $(mib "$after") (baseline $(mib "$base"))"
find "$tmp/state/logs" -name 't*' -delete

# ---- 2: M sleepers ----
t0=$(date +%s.%N)
left=$M
i=0
while [ "$left" -gt 0 ]; do
    n=$(( left > 100000 ? 100000 : left ))
    api POST /sandboxes/batch "{\"module\": \"$G/sleeper.wasm\", \"count\": $n, \"start\": true, \"id_prefix\": \"s$i-\"}" >/dev/null
    left=$((left - n))
    i=$((i + 1))
done
t1=$(date +%s.%N)
# Wait until every sandbox ran into its first sleep (or 5 minutes).
for _ in $(seq 300); do
    m=$(api GET /metrics)
    [ "$(field "$m" sleeping)" -ge "$M" ] && break
    sleep 1
done
t2=$(date +%s.%N)
rss=$(field "$m" rss_bytes)
echo "sleeper: $(field "$m" sleeping) of $M sleeping, created in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s, all asleep after $(awk -v a="$t0" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') s; total RSS $(awk -v b="$rss" 'BEGIN{printf "%.2f GiB", b/1073741824}') (target <= 12 GiB), $(( (rss - base) / M )) bytes per sandbox"
api POST /sandboxes/delete '{"all": true, "force": true}' >/dev/null
kill -TERM $pid
wait $pid
