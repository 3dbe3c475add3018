-- stats_agg: the wasm.stats view and aggregates with wasm state and final functions.
\set VERBOSITY default
SELECT wasm.stats_reset();
SELECT sum(math_add(i, 1)) FROM generate_series(1, 1000) i;
SELECT lim_spin(100);
\set VERBOSITY terse
SELECT lim_divide(1, 0);
\set VERBOSITY default
SELECT function, calls, traps, fuel_used > 0 AS fuel, total_time_ms >= 0 AS timed
  FROM wasm.stats WHERE calls > 0 OR traps > 0 ORDER BY function::text;
-- an aggregate: bytea state through the canonical ABI
CREATE AGGREGATE wasm_avg(double precision) (
  SFUNC = str_avg_step, STYPE = bytea, FINALFUNC = str_avg_final, INITCOND = '');
SELECT wasm_avg(x), avg(x) FROM generate_series(1, 1000) x;
SELECT g, wasm_avg(x) FROM generate_series(1, 10) x, generate_series(1, 3) g WHERE x % g = 0 GROUP BY g ORDER BY g;
-- an aggregate with integer state and a text-format module
CREATE FUNCTION sumsq_step(bigint, integer) RETURNS bigint LANGUAGE wasm AS $$
  (module (func (export "sumsq_step") (param i64 i32) (result i64)
    (i64.add (local.get 0) (i64.mul (i64.extend_i32_s (local.get 1)) (i64.extend_i32_s (local.get 1))))))
$$;
CREATE FUNCTION sumsq_final(bigint) RETURNS double precision LANGUAGE wasm AS $$
  (module (func (export "sumsq_final") (param i64) (result f64) (f64.sqrt (f64.convert_i64_s (local.get 0)))))
$$;
CREATE AGGREGATE norm(integer) (SFUNC = sumsq_step, STYPE = bigint, FINALFUNC = sumsq_final, INITCOND = '0');
SELECT norm(x) FROM (VALUES (3), (4)) v(x);
SELECT norm(x)::numeric(10, 3) FROM generate_series(1, 100) x;
SELECT function, calls FROM wasm.stats WHERE function::text LIKE 'sumsq%' ORDER BY function::text;
