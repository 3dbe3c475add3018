/* wasm--0.1.sql - objects of the wasm extension (see docs/postgres.md). */
\echo Use "CREATE EXTENSION wasm" to load this file. \quit

-- Modules are data: plain tables, dumped by pg_dump with their rows and
-- replicable like any table.  Each role reads only the rows of its own
-- modules (row-level security); the extension's functions read and write
-- them as the tables' owner, on the callers' behalf.
CREATE SEQUENCE wasm.modules_id_seq;
CREATE TABLE wasm.modules (
    id bigint PRIMARY KEY,  -- always from wasm.modules_id_seq (modules_check)
    namespace text NOT NULL UNIQUE,
    path text,
    code bytea NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    owner regrole NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE wasm.modules_id_seq OWNED BY wasm.modules.id;

-- The foreign key also makes pg_dump write the modules' rows before these.
CREATE TABLE wasm.functions (
    namespace text NOT NULL REFERENCES wasm.modules (namespace) ON DELETE CASCADE,
    export_name text NOT NULL,
    function regprocedure NOT NULL,
    wasm_signature text NOT NULL,
    sql_signature text NOT NULL,
    PRIMARY KEY (namespace, export_name)
);

-- The rows, not the sequence: every restored row gets a new id.
SELECT pg_catalog.pg_extension_config_dump('wasm.modules', '');
SELECT pg_catalog.pg_extension_config_dump('wasm.functions', '');

-- A tenant backs up and restores its own modules: pg_dump
-- --enable-row-security -n its_schema -e wasm reads its rows, pg_restore
-- inserts them, checked by wasm.modules_check as a load would be.
REVOKE ALL ON wasm.modules, wasm.functions, wasm.modules_id_seq FROM PUBLIC;
GRANT SELECT, INSERT ON wasm.modules, wasm.functions TO PUBLIC;
ALTER TABLE wasm.modules ENABLE ROW LEVEL SECURITY;
ALTER TABLE wasm.functions ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_modules ON wasm.modules FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY restore_own_modules ON wasm.modules FOR INSERT WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY own_functions ON wasm.functions FOR SELECT
    USING (EXISTS (SELECT FROM wasm.modules m WHERE m.namespace OPERATOR(pg_catalog.=) functions.namespace));
CREATE POLICY restore_own_functions ON wasm.functions FOR INSERT
    WITH CHECK (EXISTS (SELECT FROM wasm.modules m WHERE m.namespace OPERATOR(pg_catalog.=) functions.namespace)
                AND pg_catalog.pg_has_role((SELECT p.proowner FROM pg_catalog.pg_proc p
                                            WHERE p.oid OPERATOR(pg_catalog.=) function::pg_catalog.oid), 'USAGE'));
GRANT USAGE ON SCHEMA wasm TO PUBLIC;
-- Not a comment on the extension: restoring one needs the extension's
-- owner, and a tenant's dump carries it.
COMMENT ON SCHEMA wasm IS 'WebAssembly functions: a trusted, sandboxed LANGUAGE wasm with modules stored in the catalog';

CREATE FUNCTION wasm.modules_check() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'wasm_modules_check';
CREATE TRIGGER modules_check BEFORE INSERT ON wasm.modules
    FOR EACH ROW EXECUTE FUNCTION wasm.modules_check();

-- Every backend caches compiled modules; a change to the table reaches
-- them as a relcache invalidation sent by this trigger.
CREATE FUNCTION wasm.modules_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'wasm_modules_changed';
CREATE TRIGGER modules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON wasm.modules
    FOR EACH STATEMENT EXECUTE FUNCTION wasm.modules_changed();

CREATE VIEW wasm.instances AS
    SELECT id, namespace, path, sha256, size, owner, created FROM wasm.modules;
CREATE VIEW wasm.exported_functions AS
    SELECT namespace, export_name, function, wasm_signature, sql_signature FROM wasm.functions;
GRANT SELECT ON wasm.instances, wasm.exported_functions TO PUBLIC;

-- The language.
CREATE FUNCTION wasm.wasm_call_handler() RETURNS language_handler
    LANGUAGE c AS 'MODULE_PATHNAME', 'wasm_call_handler';
CREATE FUNCTION wasm.wasm_inline_handler(internal) RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'wasm_inline_handler';
CREATE FUNCTION wasm.wasm_validator(oid) RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'wasm_validator';
CREATE TRUSTED LANGUAGE wasm
    HANDLER wasm.wasm_call_handler INLINE wasm.wasm_inline_handler VALIDATOR wasm.wasm_validator;
COMMENT ON LANGUAGE wasm IS 'WebAssembly, sandboxed by wasmbox';

-- Loading and dropping modules.
CREATE FUNCTION wasm.load(namespace text, module bytea) RETURNS bigint
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'wasm_load';
CREATE FUNCTION wasm.load_wat(namespace text, source text) RETURNS bigint
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'wasm_load_wat';
CREATE FUNCTION wasm.drop_instance(namespace text, "cascade" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'wasm_drop_instance';

-- The openGauss WasmExecutor names, visible whatever the search_path.
-- Reading a server file needs superuser or pg_read_server_files (checked
-- in C, so the functions stay callable and say why).
CREATE FUNCTION pg_catalog.wasm_new_instance(absolutepath text, namespace text) RETURNS bigint
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'wasm_new_instance';
CREATE FUNCTION pg_catalog.wasm_new_instance_wat(absolutepath text, namespace text) RETURNS bigint
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'wasm_new_instance_wat';
CREATE FUNCTION pg_catalog.wasm_drop_instance(namespace text) RETURNS boolean
    LANGUAGE sql STRICT AS 'SELECT wasm.drop_instance($1)';
CREATE FUNCTION pg_catalog.wasm_get_instances()
    RETURNS TABLE (id bigint, namespace text, path text) LANGUAGE sql STABLE
    AS 'SELECT id, namespace, path FROM wasm.instances ORDER BY id';
CREATE FUNCTION pg_catalog.wasm_get_exported_functions(namespace text)
    RETURNS TABLE (funcname text, inputs text, outputs text) LANGUAGE sql STABLE STRICT
    AS $$SELECT f.function::text, split_part(f.sql_signature, ' -> ', 1), split_part(f.sql_signature, ' -> ', 2)
         FROM wasm.exported_functions f WHERE f.namespace = $1 ORDER BY 1$$;

-- Statistics of this backend.
CREATE FUNCTION wasm.backend_stats(OUT function regprocedure, OUT calls bigint, OUT traps bigint,
                                   OUT fuel_used bigint, OUT total_time_ms double precision)
    RETURNS SETOF record LANGUAGE c AS 'MODULE_PATHNAME', 'wasm_backend_stats';
CREATE FUNCTION wasm.stats_reset() RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'wasm_stats_reset';
CREATE VIEW wasm.stats AS SELECT * FROM wasm.backend_stats();
GRANT SELECT ON wasm.stats TO PUBLIC;
