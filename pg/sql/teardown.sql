-- teardown: dropping the extension takes its catalog along; the backend's
-- caches notice, and a new CREATE EXTENSION starts clean.
SELECT math_add(1, 1);
SET client_min_messages = warning;
DROP EXTENSION wasm CASCADE;
RESET client_min_messages;
SELECT count(*) FROM pg_proc WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'wasm');
CREATE EXTENSION wasm;
SELECT wasm.load_wat('math', '(module (func (export "add") (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1))))') > 0;
SELECT math_add(1, 1);
SELECT count(*) FROM wasm.instances;
SET client_min_messages = warning;
DROP EXTENSION wasm CASCADE;
RESET client_min_messages;
