\echo Use "CREATE EXTENSION wasm_bench" to load this file. \quit
CREATE FUNCTION c_add(integer, integer) RETURNS integer LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'c_add';
CREATE FUNCTION c_fib(integer) RETURNS integer LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'c_fib';
CREATE FUNCTION c_reverse(text) RETURNS text LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'c_reverse';
CREATE FUNCTION c_reverse16(text) RETURNS text LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'c_reverse16';
