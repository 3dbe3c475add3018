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
