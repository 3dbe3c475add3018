-- load: wasm.load, wasm.load_wat, wasm_new_instance(_wat), wasm.drop_instance.
\getenv files WASM_FILES
\set VERBOSITY default
-- text format
SELECT wasm.load_wat('calc', $$
  (module
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
    (func (export "half") (param f32) (result f32) (f32.div (local.get 0) (f32.const 2)))
    (func (export "scale") (param f64 f64) (result f64) (f64.mul (local.get 0) (local.get 1)))
    (func (export "nop")))
$$) > 0 AS loaded;
SELECT calc_add(40, 2), calc_mul64(3000000000, 3), calc_half(5), calc_scale(1.5, 4);
SELECT calc_nop();
SELECT namespace, export_name, function, wasm_signature, sql_signature
  FROM wasm.exported_functions ORDER BY namespace, export_name;
SELECT namespace, path, size > 0 AS size, owner, length(sha256) FROM wasm.instances;
-- a binary module from a file (superuser), with SQL signatures declared by the SDK
SELECT wasm_new_instance(:'files' || '/math.wasm', 'math') > 0 AS loaded;
SELECT math_add(2, 3), math_fib(20), math_gcd(1071, 462), math_hypot2(3, 4), math_half(3);
SELECT math_mul_small(300::smallint, 100::smallint), math_is_even(10), math_is_even(7);
SELECT export_name, sql_signature FROM wasm.exported_functions WHERE namespace = 'math' ORDER BY 1;
SELECT regexp_replace(path, '.*/', '') AS file FROM wasm.instances WHERE namespace = 'math';
-- text format from a file
SELECT wasm_new_instance_wat(:'files' || '/limits.wat', 'lim') > 0 AS loaded;
SELECT lim_spin(1000), lim_divide(7, 2);
-- bytea
SELECT wasm.load('bin', '\x0061736d0100000001070160027f7f017f030201000707010373756d00000a09010700200020016a0b'::bytea) > 0 AS loaded;
SELECT bin_sum(1, 2);
-- openGauss-style helpers
SELECT namespace FROM wasm_get_instances() ORDER BY id;
SELECT * FROM wasm_get_exported_functions('calc');
-- errors: bad modules, with the engine's message and location
SELECT wasm.load('bad', '\x0061736d02000000'::bytea);
SELECT wasm.load('bad', '\x0061736d0100000001'::bytea);
SELECT wasm.load('bad', '\x0061736d010000000105016000017f03020100070501016600000a0601040042010b'::bytea);
-- (text: located by LINE:COL, as the text-format parser words it)
SELECT error_of($$SELECT wasm.load_wat('bad', '(module (func (export "f") (result i32) (i64.const 1)))')$$);
SELECT error_of($$SELECT wasm.load_wat('bad', '(module (func (export "f") (result i32) i32.addd))')$$);
-- imports are refused: no host functions
SELECT wasm.load_wat('imp', '(module (import "env" "system" (func (param i32))) (func (export "f")))');
-- duplicate namespace, bad namespace, unknown module
SELECT wasm.load_wat('calc', '(module)');
SELECT wasm.load_wat('bad name', '(module)');
SELECT wasm.drop_instance('nosuch');
-- a relative path is refused, a missing file reported
SELECT wasm_new_instance('math.wasm', 'm2');
SELECT wasm_new_instance('/nonexistent/x.wasm', 'm2');
-- sqlstates
\set VERBOSITY sqlstate
SELECT wasm.load('bad', '\x0061736d02000000'::bytea);
SELECT wasm.load('bad', '\x0061736d010000000105016000017f03020100070501016600000a0601040042010b'::bytea);
\set VERBOSITY default
-- nothing was stored by the failures
SELECT count(*) FROM wasm.instances WHERE namespace IN ('bad', 'imp', 'm2');
-- drop: functions and rows go
SELECT wasm.drop_instance('bin');
SELECT bin_sum(1, 2);
SELECT count(*) FROM wasm.exported_functions WHERE namespace = 'bin';
-- reload under the same namespace, different code: the cached module is replaced
SELECT wasm.load_wat('swap', '(module (func (export "f") (result i32) (i32.const 1)))') > 0;
SELECT swap_f();
SELECT wasm.drop_instance('swap');
SELECT wasm.load_wat('swap', '(module (func (export "f") (result i32) (i32.const 2)))') > 0;
SELECT swap_f();
-- everything in one transaction rolls back
BEGIN;
SELECT wasm.load_wat('tx', '(module (func (export "f") (result i32) (i32.const 7)))') > 0;
SELECT tx_f();
ROLLBACK;
SELECT count(*) FROM wasm.instances WHERE namespace = 'tx';
SELECT tx_f();
