-- types: every supported SQL type, text and bytea through the canonical ABI.
\getenv files WASM_FILES
\set VERBOSITY default
SELECT wasm_new_instance(:'files' || '/strings.wasm', 'str') > 0 AS loaded;
SELECT export_name, wasm_signature, sql_signature FROM wasm.exported_functions
 WHERE namespace = 'str' ORDER BY 1;
SELECT str_reverse('hello, world'), str_reverse(''), str_reverse('añb€c');
-- the SIMD reverse agrees with PostgreSQL's reverse() for every length from
-- 0 to 99 and characters of 1 to 4 bytes at every offset, also across and at
-- the edges of 16-byte blocks
SELECT count(*) AS strings, count(*) FILTER (WHERE str_reverse16(s) = reverse(s)) AS same_reverse16,
       count(*) FILTER (WHERE str_reverse(s) = reverse(s)) AS same_reverse
  FROM (SELECT string_agg(CASE (n * 7 + k * (1 + n % 5)) % 6 WHEN 0 THEN 'é' WHEN 1 THEN '€' WHEN 2 THEN '😀'
                          ELSE chr(97 + k % 26) END, '' ORDER BY k) AS s
          FROM generate_series(0, 99) n, generate_series(1, n) k GROUP BY n
        UNION ALL SELECT repeat('x', n) || '😀' || repeat('y', 40 - n) FROM generate_series(0, 40) n) v;
SELECT str_reverse16('0123456789abcdef'), str_reverse16('0123456789abcdeé'), str_reverse16('é123456789abcdef0');
SELECT str_upper_ascii('Hello wasm'), str_join('left', ' | ', 'right');
SELECT str_char_count('añb€c'), str_is_palindrome('racecar'), str_is_palindrome('wasm');
SELECT str_fnv1a('\x'::bytea), str_fnv1a('hello'::bytea);
SELECT str_xor_bytes('\x00ff10'::bytea, 255);
SELECT length(str_repeat('ab', 100000));
-- varchar crosses as text
CREATE FUNCTION rev_vc(varchar) RETURNS varchar LANGUAGE wasm AS 'str.reverse';
SELECT rev_vc('abc'::varchar);
-- many rows: the arena is emptied after every call, memory stays flat
SELECT count(*), sum(length(str_reverse(repeat('x', 100 + i % 7)))) FROM generate_series(1, 20000) i;
-- a big result that fits in memory, one that does not (53200)
SELECT length(str_repeat(repeat('x', 1000), 30000));
\set VERBOSITY terse
SELECT length(str_repeat(repeat('x', 1000), 100000));
\set VERBOSITY default
-- invalid UTF-8 from the guest is refused as text
SELECT str_bad_utf8();
-- The extension checks a guest's text itself (wb_utf8_prefix, and no NUL
-- byte): it must accept exactly what PostgreSQL's own check accepts
-- (convert_from runs pg_verify_mbstr).  as_text returns its bytes as text.
CREATE FUNCTION as_text(bytea) RETURNS text LANGUAGE wasm AS '(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
  (func (export "as_text") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (local.get 0))
    (i32.store (i32.const 4) (local.get 1))
    i32.const 0))';
CREATE FUNCTION utf8_verdicts(b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE pg_ok boolean := true; wasm_ok boolean := true;
BEGIN
    BEGIN PERFORM convert_from(b, 'UTF8'); EXCEPTION WHEN character_not_in_repertoire THEN pg_ok := false; END;
    BEGIN PERFORM as_text(b); EXCEPTION WHEN character_not_in_repertoire THEN wasm_ok := false; END;
    RETURN CASE WHEN pg_ok <> wasm_ok THEN 'DISAGREE: ' || b::text WHEN pg_ok THEN 'both valid' ELSE 'both invalid' END;
END $$;
-- Every 2-byte string, alone and inside 30 bytes of ASCII (the 16-byte
-- blocks of the vector check, across two of them); 3- and 4-byte strings
-- after the leads E0-F7 with second bytes 80-BF and chosen others; each
-- at the end of 16 bytes too, where a character cut short ends the text.
WITH pairs AS (
    SELECT set_byte(set_byte('\x0000'::bytea, 0, a), 1, b) AS s
    FROM generate_series(0, 255) a, generate_series(0, 255) b
), longer AS (
    SELECT set_byte(set_byte(set_byte('\x000000'::bytea, 0, a), 1, b), 2, c) AS s
    FROM generate_series(224, 247) a, generate_series(128, 191) b, unnest('{0,65,127,128,143,144,159,160,191,192,255}'::int[]) c
    UNION ALL
    SELECT set_byte(set_byte(set_byte(set_byte('\x00000000'::bytea, 0, a), 1, b), 2, c), 3, d)
    FROM generate_series(240, 247) a, generate_series(128, 191) b, unnest('{65,128,191}'::int[]) c,
         unnest('{0,65,128,191,192}'::int[]) d
), cases AS (
    SELECT s FROM pairs
    UNION ALL SELECT 'abcdefghijklmn'::bytea || s || 'opqrstuvwxyz0123'::bytea FROM pairs
    UNION ALL SELECT 'abcdefghijklmn'::bytea || s || 'opqrstuvwxyz0123'::bytea FROM longer
    UNION ALL SELECT substr('abcdefghijklmnop'::bytea, 1, 16 - length(s)) || s FROM longer
)
SELECT utf8_verdicts(s) AS verdict, count(*) FROM cases GROUP BY 1 ORDER BY 1;
-- the core types in and out
CREATE FUNCTION id_i2(smallint) RETURNS smallint LANGUAGE wasm AS '(module (func (export "id_i2") (param i32) (result i32) local.get 0))';
CREATE FUNCTION id_bool(boolean) RETURNS boolean LANGUAGE wasm AS '(module (func (export "id_bool") (param i32) (result i32) local.get 0))';
CREATE FUNCTION not_bool(boolean) RETURNS boolean LANGUAGE wasm AS '(module (func (export "not_bool") (param i32) (result i32) (i32.eqz (local.get 0))))';
CREATE FUNCTION id_f4(real) RETURNS real LANGUAGE wasm AS '(module (func (export "id_f4") (param f32) (result f32) local.get 0))';
CREATE FUNCTION id_f8(double precision) RETURNS double precision LANGUAGE wasm AS '(module (func (export "id_f8") (param f64) (result f64) local.get 0))';
CREATE FUNCTION id_i8(bigint) RETURNS bigint LANGUAGE wasm AS '(module (func (export "id_i8") (param i64) (result i64) local.get 0))';
SELECT id_i2((-32768)::smallint), id_i2(32767::smallint), id_bool(true), id_bool(false), not_bool(true);
SELECT id_f4(1.5), id_f4('NaN'), id_f4('-Infinity'), id_f8(2.5e300), id_f8('-0');
SELECT id_i8(-9223372036854775808), id_i8(9223372036854775807);
-- smallint results are range-checked
SELECT math_mul_small(300::smallint, 300::smallint);
-- the session is fine
SELECT str_reverse('ok');
