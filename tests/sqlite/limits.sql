-- Limits and errors: each an error with its code, and the connection goes on.
.load build/wasm_sqlite
.mode list
.nullvalue NULL
SELECT wasm_new_instance_wat('examples/pg/limits.wat', 'lim') > 0 AS loaded;
SELECT wasm_config('fuel'), wasm_config('max_memory'), wasm_config('allow_paths'), wasm_config('lock');
-- traps
SELECT lim_divide(7, 2);
SELECT lim_divide(1, 0);
SELECT lim_crash(1);
-- fuel: the default ends a runaway by itself; a lower budget sooner
SELECT lim_forever(1);
SELECT wasm_config('fuel', 100000);
SELECT lim_spin(1000);
SELECT lim_spin(1000000);
SELECT wasm_config('fuel', 1000000000);
-- a memory bomb (SQLITE_NOMEM), under a lower cap too
SELECT lim_membomb(1);
SELECT wasm_config('max_memory', 4194304);
SELECT lim_membomb(1);
SELECT wasm_config('max_memory', 1000);
-- deep recursion
SELECT lim_deep(1);
-- after each failure the next call works, on a fresh instance
SELECT lim_divide(9, 3), lim_spin(10);
SELECT wasm_load_wat('ctr', '(module
  (global $n (mut i32) (i32.const 0))
  (func (export "next") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n))
  (func (export "boom") (result i32) unreachable))') > 0 AS loaded;
SELECT ctr_next(), ctr_next();
SELECT ctr_boom();
SELECT ctr_next();
-- bad modules: not wasm, invalid, importing the host, bad text
SELECT wasm_load('junk', x'68656c6c6f');
SELECT wasm_load('trunc', x'0061736d01000000010501');
SELECT wasm_load_wat('inv', '(module (func (export "f") (result i32) (i64.const 1)))');
SELECT wasm_load_wat('imp', '(module (import "env" "f" (func)) (func (export "g")))');
SELECT wasm_load_wat('typo', '(module (func (export "f") (result i32) (i32.cnst 1)))');
SELECT wasm_load_wat('9bad', '(module)');
SELECT wasm_load_wat('lim', '(module)');
SELECT wasm_new_instance('build/sqlite-test/no-such-file.wasm', 'nf');
SELECT count(*) FROM wasm_instances;
-- the file switch, and the lock: limits then only go down
SELECT wasm_config('allow_paths', 0);
SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math');
SELECT wasm_config('lock', 1);
SELECT wasm_config('allow_paths', 1);
SELECT wasm_config('fuel', 2000000000);
SELECT wasm_config('fuel', 0);
SELECT wasm_config('fuel', 5000000);
SELECT wasm_config('max_memory', 1048576);
SELECT wasm_config('max_memory', 2097152);
SELECT wasm_config('lock', 0);
SELECT wasm_config('nonsense');
SELECT lim_spin(100);
-- a guest's own message before its trap (a Rust panic, an AssemblyScript
-- abort: docs/guests.md) leads the error; bytes that are not UTF-8 end it
SELECT wasm_load_wat('why', '(module (memory (export "memory") 1)
  (global (export "wasmbox_trap_message") i32 (i32.const 64))
  (data (i32.const 128) "n must be positive, got \c3\a9\ff")
  (func (export "check") (param i64) (result i64)
    (if (i64.le_s (local.get 0) (i64.const 0))
      (then (i32.store (i32.const 64) (i32.const 128)) (i32.store (i32.const 68) (i32.const 27))
            (unreachable)))
    (local.get 0)))') > 0 AS loaded;
SELECT why_check(5);
SELECT why_check(0);
