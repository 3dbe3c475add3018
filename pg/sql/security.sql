-- security: what a tenant (non-superuser) may and may not do.
\getenv files WASM_FILES
\set VERBOSITY default
CREATE ROLE tenant_a;
CREATE ROLE tenant_b;
CREATE SCHEMA a AUTHORIZATION tenant_a;
CREATE SCHEMA b AUTHORIZATION tenant_b;
SET ROLE tenant_a;
SET search_path = a;
-- no file paths for tenants
SELECT wasm_new_instance(:'files' || '/math.wasm', 'a_math');
SELECT wasm_new_instance_wat(:'files' || '/limits.wat', 'a_lim');
-- but bytes and text are fine, and functions land in the tenant's schema
SELECT wasm.load_wat('acount', $$
  (module
    (global $n (mut i64) (i64.const 0))
    (func (export "bump") (result i64)
      (global.set $n (i64.add (global.get $n) (i64.const 1)))
      (global.get $n)))
$$) > 0 AS loaded;
SELECT acount_bump(), acount_bump(), acount_bump();
SELECT function FROM wasm.exported_functions WHERE namespace = 'acount';
SELECT owner FROM wasm.instances WHERE namespace = 'acount';
-- LANGUAGE wasm is trusted: tenants create functions with it
CREATE FUNCTION a.sq(integer) RETURNS integer LANGUAGE wasm
  AS '(module (func (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))';
SELECT sq(12);
CREATE FUNCTION a.my_bump() RETURNS bigint LANGUAGE wasm AS 'acount.bump';
SELECT my_bump();
-- a tenant reads the catalog rows of its own modules only (to back them up
-- with pg_dump), and may insert only rows of its own (to restore them)
SELECT namespace, length(code) > 0 AS has_code, owner FROM wasm.modules;
DELETE FROM wasm.modules;
UPDATE wasm.modules SET code = '\x00';
INSERT INTO wasm.functions VALUES ('x', 'y', 'sq(integer)', '', '');
-- tenants cannot set the administrator's limits or enable imports
SET wasm.fuel_per_call = 0;
SET wasm.allowed_imports = 'wasi';
RESET ROLE;
SET wasm.allowed_imports = 'wasi';
SET ROLE tenant_b;
SET search_path = b;
-- tenant_b cannot read, drop or wrap tenant_a's module
SELECT count(*) AS a_rows_seen_by_b FROM wasm.modules WHERE namespace = 'acount';
SELECT count(*) AS a_functions_seen_by_b FROM wasm.functions WHERE namespace = 'acount';
SELECT wasm.drop_instance('acount');
CREATE FUNCTION b.steal() RETURNS bigint LANGUAGE wasm AS 'acount.bump';
-- and does not see tenant_a's instance: an own counter, starting at 1
RESET ROLE;
GRANT USAGE ON SCHEMA a TO tenant_b;
SET ROLE tenant_b;
SELECT a.acount_bump();
SELECT a.acount_bump();
RESET ROLE;
SET ROLE tenant_a;
SELECT a.acount_bump();
-- EXECUTE privileges follow PostgreSQL's rules
REVOKE EXECUTE ON FUNCTION a.sq(integer) FROM PUBLIC;
RESET ROLE;
SET ROLE tenant_b;
SELECT a.sq(3);
RESET ROLE;
SET ROLE tenant_a;
-- the owner drops the module and its functions
SELECT wasm.drop_instance('acount', true);
SELECT count(*) FROM wasm.instances WHERE namespace = 'acount';
SELECT my_bump();
RESET ROLE;
RESET search_path;
-- The instance a call uses is the one of (module, current user) at the
-- moment of the call, whatever cached the call: a plpgsql function's cached
-- expression (shared by a SECURITY DEFINER caller and an ordinary one in the
-- same transaction) or a cursor fetched across SET ROLE (issue 19.1).
SET ROLE tenant_a;
SET search_path = a;
SELECT wasm.load_wat('acc', $$
  (module
    (global $sum (mut i64) (i64.const 0))
    (func (export "add") (param i64) (result i64)
      (global.set $sum (i64.add (global.get $sum) (local.get 0)))
      (global.get $sum)))
$$) > 0 AS loaded;
CREATE FUNCTION a.helper(x bigint) RETURNS bigint LANGUAGE plpgsql AS 'BEGIN RETURN a.acc_add(x); END';
CREATE FUNCTION a.api() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  AS 'BEGIN PERFORM a.helper(424242); END';
RESET ROLE;
SET ROLE tenant_b;
BEGIN;
SELECT a.api();
SELECT a.helper(0) AS b_reads_own_state;
SELECT a.helper(-1000) AS b_writes_own_state;
COMMIT;
RESET ROLE;
SET ROLE tenant_a;
SELECT a.helper(0) AS a_state_untouched;
RESET ROLE;
BEGIN;
SET LOCAL ROLE tenant_a;
DECLARE c CURSOR FOR SELECT a.acc_add(1) FROM generate_series(1, 3);
FETCH 1 FROM c;
SET LOCAL ROLE tenant_b;
FETCH 1 FROM c;
SET LOCAL ROLE tenant_a;
FETCH 1 FROM c;
COMMIT;
SET ROLE tenant_a;
SELECT wasm.drop_instance('acc', true);
RESET ROLE;
RESET search_path;
-- pg_read_server_files may load files
GRANT pg_read_server_files TO tenant_b;
SET ROLE tenant_b;
SET search_path = b;
SELECT wasm_new_instance(:'files' || '/math.wasm', 'b_math') > 0 AS loaded;
SELECT b_math_add(1, 1);
SELECT wasm.drop_instance('b_math');
RESET ROLE;
RESET search_path;
DROP SCHEMA a CASCADE;
DROP SCHEMA b CASCADE;
DROP ROLE tenant_a;
DROP ROLE tenant_b;
