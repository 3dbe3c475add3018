-- Modules live in the database: a new connection (or a copy of the file)
-- gets the functions back; dropping removes them; a module loads again.
.open build/sqlite-test/store.db
.load build/wasm_sqlite
.mode list
.nullvalue NULL
SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math') > 0 AS loaded;
SELECT wasm_load_wat('calc', '(module (func (export "add") (param i32 i32) (result i32)
  (i32.add (local.get 0) (local.get 1))))') AS id;
SELECT namespace, path, size > 0, length(code) = size, sha256 = lower(sha256) FROM wasm_modules ORDER BY id;
.open build/sqlite-test/store.db
.load build/wasm_sqlite
SELECT math_add(1, 2), calc_add(20, 22);
.load build/wasm_sqlite
SELECT count(*) FROM wasm_instances;
-- a copy of the file carries them
VACUUM INTO 'build/sqlite-test/copy.db';
.open build/sqlite-test/copy.db
.load build/wasm_sqlite
SELECT calc_add(1, 1), math_gcd(12, 18);
-- drop: the row and the functions go, in this connection
SELECT wasm_drop_instance('calc');
SELECT calc_add(1, 1);
SELECT count(*) FROM wasm_modules WHERE namespace = 'calc';
SELECT wasm_drop_instance('calc');
-- load again after the drop, with other code under the same name
SELECT wasm_load_wat('calc', '(module (func (export "add") (param i32 i32) (result i32)
  (i32.sub (local.get 0) (local.get 1))))') > 0 AS loaded;
SELECT calc_add(1, 1);
-- functions of modules are deterministic and innocuous: indexes,
-- generated columns, views of a schema that is not trusted
PRAGMA trusted_schema = OFF;
CREATE TABLE t(a INTEGER, b INTEGER AS (math_add(a, 100)));
CREATE INDEX t_ab ON t(math_add(a, 1));
INSERT INTO t(a) VALUES (1), (2), (3);
CREATE VIEW v AS SELECT math_gcd(a, 6) AS g FROM t;
SELECT a, b FROM t WHERE math_add(a, 1) = 3;
SELECT group_concat(g) FROM v;
-- the extension's own functions are for direct use only
CREATE VIEW bad AS SELECT wasm_drop_instance('math');
SELECT * FROM bad;
SELECT math_add(0, 0);
