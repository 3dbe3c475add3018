-- pg/demo.sql - what `make demo` shows (run by pg/run-tests.sh demo, with
-- psql echoing each statement; :'files' is where the example modules are).
CREATE EXTENSION wasm;
-- a compiled module (examples/pg/math.c, clang --target=wasm32) and a text one
SELECT wasm_new_instance(:'files' || '/math.wasm', 'math');
SELECT wasm_new_instance(:'files' || '/strings.wasm', 'str');
SELECT wasm_new_instance_wat(:'files' || '/limits.wat', 'lim');
SELECT id, namespace, path, left(sha256, 16) AS sha256, size, owner FROM wasm.instances ORDER BY id;
SELECT namespace, export_name, function, wasm_signature, sql_signature
  FROM wasm.exported_functions WHERE namespace IN ('math', 'str') ORDER BY 1, 2;
-- integer, float and text UDFs
SELECT math_add(40, 2) AS add, math_fib(25) AS fib, math_gcd(1071, 462) AS gcd;
SELECT math_hypot2(3, 4) AS hypot2, math_half(5) AS half;
SELECT str_reverse('¡hola, wasm!') AS reversed, str_char_count('ÅÄÖ') AS chars;
SELECT sum(math_add(i, 1)) FROM generate_series(1, 100000) i;
-- a function written inline in the text format, as a trusted language
CREATE FUNCTION sq(x integer) RETURNS integer LANGUAGE wasm AS $$
  (module (func (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))
$$;
SELECT sq(12);
-- a trap is an ordinary SQL error (38000), with the wasm backtrace
\set VERBOSITY verbose
SELECT lim_crash(1);
\set VERBOSITY default
-- an infinite loop is stopped by its fuel budget (54000) ...
SET wasm.fuel_per_call = 10000000;
SELECT lim_forever(0);
-- ... or, with no budget, by statement_timeout (57014; pg_cancel_backend() alike)
SET wasm.fuel_per_call = 0;
SET statement_timeout = '300ms';
SELECT lim_forever(0);
RESET statement_timeout;
RESET wasm.fuel_per_call;
-- ... a memory bomb by the memory cap, and the backend carries on
SELECT lim_membomb(0);
SELECT math_add(1, 1) AS still_serving;
SELECT function, calls, traps, fuel_used, round(total_time_ms::numeric, 2) AS ms FROM wasm.stats ORDER BY calls DESC LIMIT 5;
