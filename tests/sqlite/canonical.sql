-- The canonical ABI: the PostgreSQL tests' guests (examples/pg), same results.
.load build/wasm_sqlite
.mode list
.nullvalue NULL
SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math') > 0 AS loaded;
SELECT math_add(2, 3), math_fib(20), math_gcd(1071, 462), math_hypot2(3, 4), math_half(3);
SELECT math_mul_small(300, 100), math_is_even(10), math_is_even(7);
-- 64-bit values both ways, and NULL in, NULL out
SELECT math_gcd(9223372036854775807, 3), math_gcd(-9223372036854775807, 7), math_add(NULL, 1), math_gcd(4, NULL);
SELECT export_name, function, wasm_signature, sql_signature, kind FROM wasm_exported_functions WHERE namespace = 'math';
SELECT id, namespace, path, length(sha256), abi, source, functions FROM wasm_instances;
-- an instance lives across calls (one per module and connection)
SELECT math_bump(), math_bump();
SELECT wasm_new_instance('build/examples/pg/strings.wasm', 'str') > 0 AS loaded;
SELECT abi FROM wasm_instances WHERE namespace = 'str';
-- text, multi-byte UTF-8 (2, 3 and 4 bytes), empty text
SELECT str_reverse('héllo wörld'), str_reverse16('€uro-Ω-😀 and some more to pass sixteen'), str_reverse('');
SELECT str_char_count('h€llo 😀'), str_upper_ascii('mixed Ünïcode'), str_join('a', ' – ', 'b');
SELECT str_is_palindrome('abcba'), str_is_palindrome('abc'), str_reverse(NULL), str_join('a', NULL, 'b');
SELECT count(*) FROM (SELECT str_reverse(printf('%.*c', value, 'x')) FROM generate_series(1, 300));
-- blobs: empty, small, 1 MB
SELECT str_fnv1a(x''), str_fnv1a(x'61'), hex(str_xor_bytes(x'0102ff', 255)), length(str_xor_bytes(x'', 1));
SELECT length(str_xor_bytes(zeroblob(1000000), 7)), str_fnv1a(zeroblob(1000000));
SELECT length(str_repeat('ab', 500000)), length(str_reverse(str_repeat('ü', 500000)));
-- numbers given as text are converted as SQLite converts them
SELECT math_add('40', 2), math_hypot2('3', 4.0);
-- an aggregate from avg_step / avg_final, state kept by the host
SELECT str_avg(value) FROM generate_series(1, 1000);
SELECT value % 3 AS g, str_avg(value) FROM generate_series(1, 10) GROUP BY g;
SELECT str_avg(value) FROM generate_series(1, 0);
-- errors: text that is not UTF-8, smallint out of range, wrong argument count
SELECT str_bad_utf8();
SELECT math_mul_small(300, 300);
SELECT math_add(1);
SELECT str_reverse('still works');
