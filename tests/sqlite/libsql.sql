-- A database written by libSQL: functions in libsql_wasm_func_table, made
-- here with plain SQL, come back when the extension loads, under libSQL's ABI.
.open build/sqlite-test/libsql.db
.mode list
.nullvalue NULL
CREATE TABLE libsql_wasm_func_table (name text PRIMARY KEY, body text) WITHOUT ROWID;
-- libSQL's documented example (docs: CREATE FUNCTION ... LANGUAGE wasm), as text
INSERT INTO libsql_wasm_func_table VALUES ('fib', CAST(readfile('tests/sqlite/libsql_fib.wat') AS TEXT));
INSERT INTO libsql_wasm_func_table VALUES ('reverse', CAST(readfile('tests/sqlite/libsql_reverse.wat') AS TEXT));
INSERT INTO libsql_wasm_func_table
  SELECT value, CAST(readfile('tests/sqlite/libsql_misc.wat') AS TEXT)
  FROM json_each('["big", "twice", "tag", "blob_len", "get_null", "fill", "nosuch"]');
-- a binary body, as libSQL's CREATE FUNCTION ... AS x'0061736d...' stores it
INSERT INTO libsql_wasm_func_table VALUES ('seven',
  x'0061736d0100000001060160017e017e0302010007090105736576656e00000a09010700200042077c0b');
-- a body quoted once more, which libSQL's loader also accepts
INSERT INTO libsql_wasm_func_table VALUES ('inc',
  '''(module (func (export "inc") (param i64) (result i64) (i64.add (local.get 0) (i64.const 1))))''');
-- a hostile file: a function named like a built-in one, and a broken module
INSERT INTO libsql_wasm_func_table VALUES ('abs',
  '(module (func (export "abs") (param i64) (result i64) (i64.const 42)))');
INSERT INTO libsql_wasm_func_table VALUES ('broken', '(module (func (export "broken") (result i64) (i32.const 1)))');
.load build/wasm_sqlite
SELECT fib(30), fib(1), fib(0);
-- the example is exponential: fuel ends fib(90) by itself
SELECT fib(90);
SELECT reverse('hello'), reverse('héllo 😀 wörld'), reverse(''), reverse(NULL), hex(reverse(x'0102'));
-- 64-bit results are whole (libSQL cuts them to 32 bits)
SELECT big(3000000000), big(-9), twice(1.25), seven(35), inc(9223372036854775806);
SELECT tag('x'), tag(x'00'), tag(NULL), blob_len(x''), blob_len(zeroblob(1000000)), get_null();
SELECT length(fill(0)), length(fill(1000000)), typeof(fill(3));
SELECT abs(-3);
SELECT namespace, abi, source, functions, error FROM wasm_instances ORDER BY namespace;
SELECT export_name, function, wasm_signature, sql_signature, note FROM wasm_exported_functions ORDER BY 1;
-- NULL to a number parameter gives NULL; wrong types are errors
SELECT fib(NULL);
SELECT tag(1);
SELECT fib('x');
SELECT fib(1, 2);
-- many calls reuse one instance; a guest that never frees still runs
SELECT count(*), sum(length(reverse('abcdefghij'))) FROM generate_series(1, 20000);
SELECT sum(length(reverse(printf('%.*c', 5000, 'x')))) FROM generate_series(1, 20000);
-- the same file with a second connection
.open build/sqlite-test/libsql.db
.load build/wasm_sqlite
SELECT fib(20), reverse('again');
-- dropping a libSQL function deletes its row, as libSQL's DROP FUNCTION
SELECT wasm_drop_instance('fib');
SELECT count(*) FROM libsql_wasm_func_table WHERE name = 'fib';
SELECT fib(3);
