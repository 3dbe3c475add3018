# pg/bench.sh - the extension's benchmark against native anchors, sourced by
# run-tests.sh (`pg/run-tests.sh bench`, part of `make bench`) inside its
# throwaway cluster.
#
# Each query runs BENCH_RUNS times (default 2) in each of BENCH_SESSIONS
# sessions (default 5, each a fresh backend process) and the best time of
# all counts, the whole-process minimum that issue 15 measured its anchors
# with: the minimum is the figure least disturbed by the other core's
# noise, and on the project's test machine a process runs at one of two
# speeds for reasons outside the code (docs/engine.md), so one backend's
# figures alone may be all slow or all fast.  Every variant gets the same
# treatment.  Anchors are measured
# here, not quoted: a C-language UDF (pg/bench/wasm_bench.c, the same
# algorithms as examples/pg) and, when postgresql-15-pllua is installed
# (`scripts/install-deps.sh bench`), pllua.  The targets (the extension's
# issue, raised by issue 15's compiler where it says so):
#   call overhead  wasm add over 2M rows     <= 1.25 x the C UDF
#   compute        wasm fib(30)              >= 20 x faster than pllua (15; was 4 x)
#   text           wasm reverse, 1M x 100 B: the plain byte loop <= 1.5 x
#                  the same loop in C (15), and reverse16, the
#                  16-bytes-at-a-time version, <= 2 x its C (PostgreSQL's
#                  own reverse() is printed too)

BENCH_RUNS=${BENCH_RUNS:-2}
BENCH_SESSIONS=${BENCH_SESSIONS:-5}

# best_ms QUERY...: the fastest of all runs of each query, in ms, one per
# line.  The queries of a group take turns (round k runs each once), so a
# burst of noise on this shared machine slows all of them alike instead of
# one variant's every run; the sessions run one after another.
best_ms() {
    arr="ARRAY["
    sep=
    for q in "$@"; do
        arr="$arr$sep\$q\$$q\$q\$"
        sep=,
    done
    s=0
    while [ $s -lt "$BENCH_SESSIONS" ]; do
        $PSQL -At -d wasm_bench -c "SELECT row_number() OVER (), b FROM unnest(bench_best($arr], $BENCH_RUNS)) b"
        s=$((s + 1))
    done | awk -F'|' '!($1 in m) || $2 + 0 < m[$1] { m[$1] = $2 + 0; if ($1 > n) n = $1 }
        END { for (i = 1; i <= n; i++) printf "%.1f\n", m[i] }'
}

# nth N LINES: the Nth line.
nth() { echo "$2" | sed -n "$1p"; }

# row NAME WASM_MS ANCHOR_NAME ANCHOR_MS: one printed line with the ratio.
row() {
    awk -v n="$1" -v w="$2" -v an="$3" -v a="$4" 'BEGIN {
        printf "  %-38s wasm %8.1f ms   %-8s %8.1f ms   ratio %.2fx\n", n, w, an, a, w / a }'
}

run_bench() {
    if ! make -s -C bench >build/bench-build.log 2>&1 || ! make -s -C bench install >>build/bench-build.log 2>&1; then
        tail -20 build/bench-build.log
        bad "bench: building the C anchor extension"
        return
    fi
    $PGBIN/createdb wasm_bench || { bad "bench: createdb"; return; }
    have_pllua=0
    [ -f "$(pg_config --pkglibdir)/pllua.so" ] && have_pllua=1
    $PSQL -d wasm_bench >/dev/null <<EOF || { bad "bench: setup"; return; }
CREATE EXTENSION wasm;
CREATE EXTENSION wasm_bench;
SELECT wasm_new_instance('$FILES/math.wasm', 'ns');
SELECT wasm_new_instance('$FILES/strings.wasm', 'str');
CREATE FUNCTION bench_best(qs text[], runs int) RETURNS float8[] LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; best float8[] := array_fill('infinity'::float8, ARRAY[cardinality(qs)]); BEGIN
    FOR k IN 1..runs LOOP
        FOR i IN 1..cardinality(qs) LOOP
            t0 := clock_timestamp();
            EXECUTE qs[i];
            best[i] := least(best[i], 1000 * extract(epoch FROM clock_timestamp() - t0));
        END LOOP;
    END LOOP;
    RETURN best;
END \$\$;
CREATE FUNCTION plpgsql_add(a int4, b int4) RETURNS int4 LANGUAGE plpgsql STRICT AS 'BEGIN RETURN a + b; END';
CREATE FUNCTION sql_add(a int4, b int4) RETURNS int4 LANGUAGE sql STRICT AS 'SELECT a + b';
-- 1M rows of 100-byte text (98 characters: two of them take two bytes).
CREATE TABLE texts AS
    SELECT md5(i::text) || 'ü' || md5((i + 1)::text) || 'ñ' || md5((i + 2)::text) AS t
    FROM generate_series(1, 1000000) i;
VACUUM ANALYZE texts;
EOF
    if [ $have_pllua = 1 ]; then
        $PSQL -d wasm_bench <<'EOF' || have_pllua=0
CREATE EXTENSION pllua;
CREATE FUNCTION lua_fib(n int4) RETURNS int4 LANGUAGE pllua STRICT AS $$
    local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end
    return fib(n)
$$;
CREATE FUNCTION lua_add(a int4, b int4) RETURNS int4 LANGUAGE pllua STRICT AS $$ return a + b $$;
EOF
    fi

    # The answers must agree before the times mean anything.
    check=$($PSQL -At -d wasm_bench -c "SELECT
        (SELECT sum(ns_add(i, 1)) = sum(c_add(i, 1)) FROM generate_series(1, 100000) i)
        AND ns_fib(30) = c_fib(30) AND c_fib(30) = 832040
        AND (SELECT bool_and(str_reverse(t) = reverse(t) AND c_reverse(t) = reverse(t)
                             AND str_reverse16(t) = reverse(t) AND c_reverse16(t) = reverse(t))
             FROM (SELECT t FROM texts LIMIT 10000) s)")
    if [ "$check" != t ]; then
        bad "bench: wasm and C UDFs disagree"
        return
    fi

    echo "PostgreSQL UDF benchmark (best of $BENCH_RUNS runs in each of $BENCH_SESSIONS sessions, private cluster, fsync off)"
    q_add='SELECT sum(%s(i, 1)) FROM generate_series(1, 2000000) i'
    lua_add=
    [ $have_pllua = 1 ] && lua_add=$(printf "$q_add" lua_add)
    t=$(best_ms "$(printf "$q_add" ns_add)" "$(printf "$q_add" c_add)" \
        'SELECT sum(i + 1) FROM generate_series(1, 2000000) i' "$(printf "$q_add" sql_add)" \
        "$(printf "$q_add" plpgsql_add)" ${lua_add:+"$lua_add"})
    t_wasm=$(nth 1 "$t") t_c=$(nth 2 "$t")
    echo " call overhead: sum(f(i, 1)) over 2,000,000 rows"
    row "ns_add (wasm) vs C UDF" "$t_wasm" "C" "$t_c"
    row "ns_add (wasm) vs plain i + 1" "$t_wasm" "plain" "$(nth 3 "$t")"
    row "ns_add (wasm) vs SQL function" "$t_wasm" "sql" "$(nth 4 "$t")"
    row "ns_add (wasm) vs plpgsql" "$t_wasm" "plpgsql" "$(nth 5 "$t")"
    [ $have_pllua = 1 ] && row "ns_add (wasm) vs pllua" "$t_wasm" "pllua" "$(nth 6 "$t")"
    r_add=$(awk -v w="$t_wasm" -v c="$t_c" 'BEGIN { printf "%.2f", w / c }')

    lua_fib=
    [ $have_pllua = 1 ] && lua_fib='SELECT lua_fib(30)'
    t=$(best_ms 'SELECT ns_fib(30)' 'SELECT c_fib(30)' ${lua_fib:+"$lua_fib"})
    f_wasm=$(nth 1 "$t")
    echo " compute: fib(30), recursive"
    row "ns_fib (wasm) vs C UDF" "$f_wasm" "C" "$(nth 2 "$t")"
    if [ $have_pllua = 1 ]; then
        f_lua=$(nth 3 "$t")
        row "ns_fib (wasm) vs pllua" "$f_wasm" "pllua" "$f_lua"
        lua_src="pllua measured"
    else
        f_lua=91
        lua_src="pllua not installed: the issue's anchor 91 ms"
        echo "  ($lua_src; scripts/install-deps.sh bench installs it)"
    fi
    r_fib=$(awk -v w="$f_wasm" -v l="$f_lua" 'BEGIN { printf "%.1f", l / w }')

    q_txt='SELECT sum(length(%s(t))) FROM texts'
    t=$(best_ms "$(printf "$q_txt" str_reverse)" "$(printf "$q_txt" c_reverse)" "$(printf "$q_txt" str_reverse16)" \
        "$(printf "$q_txt" c_reverse16)" "$(printf "$q_txt" reverse)" 'SELECT sum(length(t)) FROM texts')
    v_wasm16=$(nth 3 "$t") v_c16=$(nth 4 "$t")
    echo " text: reverse 100-byte text over 1,000,000 rows, sum(length(f(t))) (the scan alone: $(nth 6 "$t") ms)"
    row "str_reverse (wasm) vs C, same loop" "$(nth 1 "$t")" "C" "$(nth 2 "$t")"
    row "str_reverse16 (wasm SIMD) vs C SSE2" "$v_wasm16" "C" "$v_c16"
    row "str_reverse16 vs PostgreSQL reverse()" "$v_wasm16" "reverse" "$(nth 5 "$t")"
    # The target compares like with like: the faster wasm version against
    # the C UDF running the same algorithm (utf8_reverse.h).
    r_txt=$(awk -v w="$v_wasm16" -v c="$v_c16" 'BEGIN { printf "%.2f", w / c }')
    r_loop=$(awk -v w="$(nth 1 "$t")" -v c="$(nth 2 "$t")" 'BEGIN { printf "%.2f", w / c }')
    echo " targets:"
    verdict() { if awk -v x="$2" -v t="$3" -v op="$4" 'BEGIN { exit !(op == "le" ? x <= t : x >= t) }'; then
        echo "  $1: met"; else echo "  $1: MISSED"; fi; }
    verdict "call overhead ${r_add}x C (target <= 1.25x)" "$r_add" 1.25 le
    verdict "fib(30) ${r_fib}x faster than pllua, $lua_src (target >= 20x)" "$r_fib" 20 ge
    verdict "text reverse, plain byte loop, ${r_loop}x the same loop in C (target <= 1.5x)" "$r_loop" 1.5 le
    verdict "text reverse16 ${r_txt}x the same algorithm in C (target <= 2x)" "$r_txt" 2 le
    ok "bench: ran (figures above)"
}
