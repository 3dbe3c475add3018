-- language: CREATE FUNCTION ... LANGUAGE wasm with every body form, the
-- validator, DO blocks.
\set VERBOSITY default
-- text format: the export named like the function is called
CREATE FUNCTION triple(integer) RETURNS integer LANGUAGE wasm AS $$
  (module
    (func (export "helper") (param i32) (result i32) (local.get 0))
    (func (export "triple") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))
$$;
SELECT triple(14);
-- a module exporting one function: that one, whatever its name
CREATE FUNCTION plus_one(bigint) RETURNS bigint LANGUAGE wasm
  AS '(module (func (export "inc") (param i64) (result i64) (i64.add (local.get 0) (i64.const 1))))';
SELECT plus_one(41);
-- bytea hex literal
CREATE FUNCTION hexsum(integer, integer) RETURNS integer LANGUAGE wasm
  AS '\x0061736d0100000001070160027f7f017f030201000707010373756d00000a09010700200020016a0b';
SELECT hexsum(20, 22);
-- base64
CREATE FUNCTION twice(bigint) RETURNS bigint LANGUAGE wasm
  AS 'AGFzbQEAAAABBgFgAX4BfgMCAQAHCQEFdHdpY2UAAAoJAQcAIABCAn4L';
SELECT twice(21);
-- a reference to a loaded module's export, with our own name and types
CREATE FUNCTION my_gcd(bigint, bigint) RETURNS bigint LANGUAGE wasm AS 'math.gcd';
SELECT my_gcd(1071, 462);
-- STRICT by default: a NULL argument gives NULL even when not declared STRICT
SELECT triple(NULL), my_gcd(NULL, 1) IS NULL AS is_null;
-- CREATE OR REPLACE is noticed by the cache
SELECT triple(2);
CREATE OR REPLACE FUNCTION triple(integer) RETURNS integer LANGUAGE wasm AS $$
  (module (func (export "triple") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 30))))
$$;
SELECT triple(2);
-- the validator refuses bad modules, wrong signatures, unsupported types
SELECT error_of($$CREATE FUNCTION bad1(integer) RETURNS integer LANGUAGE wasm AS '(module (func (export "bad1") (param i32) (result i32) (f32.const 1)))'$$);
CREATE FUNCTION bad2(integer) RETURNS integer LANGUAGE wasm AS '\x0061736d0100';
CREATE FUNCTION bad3(integer) RETURNS integer LANGUAGE wasm AS '(module (func (export "bad3") (param i64) (result i32) (i32.const 1)))';
CREATE FUNCTION bad4(integer, integer) RETURNS bigint LANGUAGE wasm AS 'math.add';
CREATE FUNCTION bad5(integer) RETURNS integer LANGUAGE wasm AS 'math.nosuch';
CREATE FUNCTION bad6(integer) RETURNS integer LANGUAGE wasm AS 'nosuch.f';
CREATE FUNCTION bad7(numeric) RETURNS integer LANGUAGE wasm AS 'math.add';
CREATE FUNCTION bad8(integer) RETURNS SETOF integer LANGUAGE wasm AS 'math.fib';
CREATE FUNCTION bad9(integer) RETURNS integer LANGUAGE wasm AS '(module (func (export "a")) (func (export "b")))';
CREATE FUNCTION bad10() RETURNS integer LANGUAGE wasm AS '(module (import "env" "f" (func)) (func (export "bad10") (result i32) (i32.const 0)))';
\set VERBOSITY sqlstate
CREATE FUNCTION bad2(integer) RETURNS integer LANGUAGE wasm AS '\x0061736d0100';
CREATE FUNCTION bad3(integer) RETURNS integer LANGUAGE wasm AS '(module (func (export "bad3") (param i64) (result i32) (i32.const 1)))';
\set VERBOSITY default
-- with check_function_bodies off (as pg_restore does) the body is checked at the first call
SET check_function_bodies = off;
CREATE FUNCTION later(integer) RETURNS integer LANGUAGE wasm AS 'nosuch.f';
RESET check_function_bodies;
SELECT later(1);
DROP FUNCTION later(integer);
-- DO blocks run "main" under the same limits
\set VERBOSITY terse
DO $$ (module (func (export "main"))) $$ LANGUAGE wasm;
DO $$ (module (func (export "main") unreachable)) $$ LANGUAGE wasm;
SET wasm.user_fuel_per_call = 1000000;
DO $$ (module (func (export "main") (loop (br 0)))) $$ LANGUAGE wasm;
RESET wasm.user_fuel_per_call;
DO $$ (module (func (export "main") (param i32))) $$ LANGUAGE wasm;
\set VERBOSITY default
-- the session survives all of it
SELECT triple(1);
