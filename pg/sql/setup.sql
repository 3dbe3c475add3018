-- setup: CREATE EXTENSION, the catalog tables, views and the language.
CREATE EXTENSION wasm;
SELECT nspname FROM pg_namespace WHERE nspname = 'wasm';
-- catalog tables and their columns
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.relnamespace = 'wasm'::regnamespace AND c.relkind IN ('r', 'v') AND a.attnum > 0
 ORDER BY c.relname, a.attnum;
-- pg_dump keeps the catalog rows (not the id sequence: restored rows get new ids)
SELECT unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'wasm' ORDER BY 1::text;
-- a trusted language with handler, inline handler and validator
SELECT lanname, lanpltrusted, lanplcallfoid::regproc, laninline::regproc, lanvalidator::regproc
  FROM pg_language WHERE lanname = 'wasm';
-- tenants read catalog rows only through row-level security (their own
-- modules'), and see the views
SELECT has_table_privilege('public', 'wasm.modules', 'SELECT') AS modules_public,
       has_table_privilege('public', 'wasm.instances', 'SELECT') AS instances_public,
       has_table_privilege('public', 'wasm.exported_functions', 'SELECT') AS exported_public;
-- the limits
SELECT name, setting, unit, context FROM pg_settings WHERE name LIKE 'wasm.%' ORDER BY name;
-- How a statement fails: its SQLSTATE, and the message with any text
-- location (LINE:COL) shown as such, so expected output does not depend on
-- the text-format parser's wording.
CREATE FUNCTION error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, ': \S*\d+:\d+: .*$', ': LINE:COL: ...');
END $$;
