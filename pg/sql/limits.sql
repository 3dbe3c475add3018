-- limits: traps, fuel, memory, stack; each an ordinary SQL error with its
-- SQLSTATE, and the backend serves the next query.
-- a trap: 38000, the trap in DETAIL, the wasm backtrace (with the names of
-- the name section) in CONTEXT
CREATE FUNCTION named_trap(integer) RETURNS integer LANGUAGE wasm AS
  '\x0061736d0100000001060160017f017f030403000000070e010a6e616d65645f7472617000020a1b03080041e40020006d0b09002000100041016a0b0600200010010b0020046e616d650110020005696e6e657201066d6964646c65020703000001000200';
SELECT named_trap(5);
SELECT named_trap(0);
-- a guest's own message before its trap (a Rust panic, an AssemblyScript
-- abort: the SDKs' wasmbox_trap_message, docs/guests.md) leads the DETAIL;
-- bytes that are not UTF-8 end it
CREATE FUNCTION says_why(integer) RETURNS integer LANGUAGE wasm AS $$
  (module (memory (export "memory") 1)
    (global (export "wasmbox_trap_message") i32 (i32.const 64))
    (data (i32.const 128) "n must be positive, got \c3\a9\ff")
    (func (export "says_why") (param i32) (result i32)
      (if (i32.le_s (local.get 0) (i32.const 0))
        (then (i32.store (i32.const 64) (i32.const 128)) (i32.store (i32.const 68) (i32.const 27))
              (unreachable)))
      (local.get 0)))
$$;
SELECT says_why(0);
-- (the modules below are text: their code offsets depend on the text
-- format's encoder, so only the messages are shown)
\set VERBOSITY terse
SELECT lim_divide(1, 0);
SELECT lim_crash(1);
-- out of fuel: 54000
SET wasm.user_fuel_per_call = 100000;
SELECT lim_forever(1);
SELECT lim_spin(1000);
RESET wasm.user_fuel_per_call;
-- a memory bomb: 53200
SET wasm.user_max_memory = '4MB';
SELECT lim_membomb(1);
RESET wasm.user_max_memory;
-- deep recursion: 54000
SELECT lim_deep(1);
-- SQLSTATEs
\set VERBOSITY sqlstate
SELECT named_trap(0);
SELECT lim_divide(1, 0);
SET wasm.user_fuel_per_call = 100000;
SELECT lim_forever(1);
RESET wasm.user_fuel_per_call;
SET wasm.user_max_memory = '4MB';
SELECT lim_membomb(1);
RESET wasm.user_max_memory;
SELECT lim_deep(1);
\set VERBOSITY default
-- after each failure the next call works (a fresh instance)
SELECT lim_divide(9, 3), lim_spin(10);
-- an instance keeps its state between calls, and is discarded after a trap
SELECT wasm.load_wat('ctr', $$
  (module
    (global $n (mut i32) (i32.const 0))
    (func (export "next") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (global.get $n))
    (func (export "boom") (result i32) unreachable))
$$) > 0 AS loaded;
SELECT ctr_next(), ctr_next();
\set VERBOSITY terse
SELECT ctr_boom();
\set VERBOSITY default
SELECT ctr_next();
-- a changed memory limit re-makes the instance too
SELECT ctr_next();
SET wasm.user_max_memory = '32MB';
SELECT ctr_next();
RESET wasm.user_max_memory;
-- errors caught in PL/pgSQL, many times: the backend carries on
DO $$
DECLARE n int := 0;
BEGIN
  FOR i IN 1..200 LOOP
    BEGIN
      PERFORM lim_divide(i, 0);
    EXCEPTION WHEN external_routine_exception THEN n := n + 1;
    END;
  END LOOP;
  RAISE NOTICE 'caught % traps', n;
END $$;
-- a user may lower the limits but not raise them
\set VERBOSITY terse
SET wasm.user_fuel_per_call = 2000;
SHOW wasm.user_fuel_per_call;
SELECT lim_spin(100);
SELECT lim_spin(100000);
RESET wasm.user_fuel_per_call;
CREATE ROLE wasm_limited;
SET ROLE wasm_limited;
SET wasm.fuel_per_call = 0;
SET wasm.max_memory = '1GB';
SET wasm.user_max_memory = '1MB';
RESET wasm.user_max_memory;
RESET ROLE;
DROP ROLE wasm_limited;
SELECT lim_spin(5);
-- One backend's instances share wasm.max_backend_memory (issue 19.8): an
-- instance that needs room evicts the least recently used others (their
-- state is lost), and one that cannot fit at all is refused with 53200.
\set VERBOSITY default
CREATE FUNCTION mem_a() RETURNS integer LANGUAGE wasm AS $$
  (module (memory 10)
    (global $n (mut i32) (i32.const 0))
    (func (export "mem_a") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))
$$;
CREATE FUNCTION mem_b() RETURNS integer LANGUAGE wasm AS $$
  (module (memory 10)
    (global $n (mut i32) (i32.const 0))
    (func (export "mem_b") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))
$$;
SET wasm.max_backend_memory = '1MB';
SELECT mem_a(), mem_a();
-- a module without memory (or with a small declared maximum) needs no room
CREATE FUNCTION nomem() RETURNS integer LANGUAGE wasm AS '(module (func (export "nomem") (result i32) (i32.const 7)))';
SELECT nomem(), mem_a() AS a_kept;
SELECT mem_b() AS b_evicts_a;
SELECT mem_a() AS a_starts_again;
-- the sum caps each instance too
CREATE FUNCTION mem_grow(integer) RETURNS integer LANGUAGE wasm AS $$
  (module (memory 1) (func (export "mem_grow") (param i32) (result i32) (memory.grow (local.get 0))))
$$;
SELECT mem_grow(15) AS grown_to_1mb;
SELECT mem_grow(1) AS no_room_left;
SELECT mem_a() AS a_evicts_grown;
-- lowered below what an instance holds: it is re-made, and refused
SET wasm.max_backend_memory = '512kB';
SELECT mem_a();
\set VERBOSITY sqlstate
DO $$ (module (memory 10)) $$ LANGUAGE wasm;
\set VERBOSITY default
RESET wasm.max_backend_memory;
SELECT mem_a(), mem_b(), mem_grow(1);
DROP FUNCTION mem_a(), mem_b(), mem_grow(integer), nomem();
