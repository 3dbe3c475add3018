-- examples/guests-demo.sql - what `make demo` shows of the guest SDKs
-- (docs/guests.md): the same UDFs written in C, Rust and AssemblyScript
-- (examples/{c,rust,assemblyscript}/udfs.*) loaded into PostgreSQL side by
-- side.  Run by tests/guests/pg.sh demo in a throwaway cluster, psql echoing
-- each statement; :'files' is where it put build/guests/<lang>/udfs.wasm.
CREATE EXTENSION wasm;
SELECT wasm_new_instance(:'files' || '/c.wasm', 'c');
SELECT wasm_new_instance(:'files' || '/rust.wasm', 'rs');
SELECT wasm_new_instance(:'files' || '/as.wasm', 'asc');
SELECT namespace, function, sql_signature FROM wasm.exported_functions
  WHERE export_name IN ('reverse', 'hash') ORDER BY export_name, namespace;
-- text through the canonical ABI, reversed by characters, in each language
SELECT c_reverse('¡hola, wasm! 😀') AS c, rs_reverse('¡hola, wasm! 😀') AS rust,
       asc_reverse('¡hola, wasm! 😀') AS assemblyscript;
SELECT c_hash('hello'::bytea) AS c, rs_hash('hello'::bytea) AS rust, asc_hash('hello'::bytea) AS assemblyscript;
-- an aggregate from the Rust module's avg_step / avg_final
CREATE AGGREGATE rs_avg(double precision) (SFUNC = rs_avg_step, STYPE = bytea, FINALFUNC = rs_avg_final, INITCOND = '');
SELECT rs_avg(i) FROM generate_series(1, 100) i;
-- a Rust panic and an AssemblyScript abort: SQL errors whose DETAIL is the guest's message
SELECT rs_fail('xé');
SELECT asc_fail('xé');
SELECT c_add(40, 2) AS still_serving;
