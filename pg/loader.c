/*
 * loader.c - loading modules into the catalog and making SQL functions of
 * their exports: wasm.load, wasm.load_wat, wasm_new_instance(_wat) and
 * wasm.drop_instance, plus the trigger that tells every backend the catalog
 * changed.
 *
 * A module is validated and compiled before anything is stored; then, in
 * the caller's transaction, its row goes into wasm.modules (written as the
 * catalog owner: tenants cannot read or write the tables directly) and one
 * function per exported function is created as the caller, in the schema
 * where the caller's CREATE FUNCTION would put it, named
 * <namespace>_<export>, its body the reference 'namespace.export'.
 *
 * SQL types of a generated function: from the module's "wasmbox.sql" custom
 * section when it declares the export (sdk/wasmbox_udf.h writes it), else
 * i32 -> integer, i64 -> bigint, f32 -> real, f64 -> double precision.
 */
#include "wasm_pg.h"

#include <ctype.h>
#include <sys/stat.h>

#include "catalog/namespace.h"
#include "catalog/pg_authid_d.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(wasm_load);
PG_FUNCTION_INFO_V1(wasm_load_wat);
PG_FUNCTION_INFO_V1(wasm_new_instance);
PG_FUNCTION_INFO_V1(wasm_new_instance_wat);
PG_FUNCTION_INFO_V1(wasm_drop_instance);
PG_FUNCTION_INFO_V1(wasm_modules_changed);
PG_FUNCTION_INFO_V1(wasm_modules_check);

/* An exported function and the SQL function made for it. */
typedef struct export_fn {
    char *export_name;
    char *wasm_sig;
    int nargs;
    wpg_kind args[FUNC_MAX_ARGS];
    wpg_kind ret;
} export_fn;

static Oid kind_type(wpg_kind k)
{
    static const Oid types[] = {VOIDOID, BOOLOID, INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID, TEXTOID, BYTEAOID};
    return types[k];
}

/* Namespaces become part of SQL function names. */
static void check_namespace(const char *ns)
{
    size_t n = strlen(ns);
    bool ok = n > 0 && n < NAMEDATALEN - 1 && (isalpha((unsigned char)ns[0]) || ns[0] == '_');
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)ns[i]) || ns[i] == '_';
    if (!ok)
        ereport(ERROR, (errcode(ERRCODE_INVALID_NAME), errmsg("invalid wasm namespace \"%s\"", ns),
                        errdetail("A namespace is a letter or underscore followed by letters, digits and "
                                  "underscores, at most %d characters.",
                                  NAMEDATALEN - 2)));
}

static int default_kind(uint8_t t)
{
    switch (t) {
    case WB_I32:
        return WK_INT4;
    case WB_I64:
        return WK_INT8;
    case WB_F32:
        return WK_FLOAT4;
    case WB_F64:
        return WK_FLOAT8;
    default:
        return -1;
    }
}

/* The SQL signature of one export; false (with a NOTICE) to skip it. */
static bool export_signature(const uint8 *bytes, size_t len, const char *ns, const wb_extern_desc *d,
                             export_fn *out)
{
    const wb_functype *ft = &d->type.func;
    char *sig = wpg_custom_signature(bytes, len, out->export_name);
    out->wasm_sig = wpg_wasm_sig_string(ft);
    if (sig) {
        char why[600];
        if (!wpg_parse_sql_signature(sig, out->args, &out->nargs, FUNC_MAX_ARGS, &out->ret))
            ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                            errmsg("wasm module \"%s\" declares an unreadable signature for \"%s\": %s", ns,
                                   out->export_name, sig)));
        if (!wpg_sig_matches(ft, out->args, out->nargs, out->ret, why, sizeof why))
            ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                            errmsg("wasm module \"%s\" declares signature %s for \"%s\"", ns, sig, out->export_name),
                            errdetail("%s", why)));
        return true;
    }
    out->nargs = (int)ft->nparams;
    bool ok = ft->nresults <= 1 && ft->nparams <= FUNC_MAX_ARGS;
    for (uint32_t i = 0; ok && i < ft->nparams; i++)
        ok = (out->args[i] = default_kind(ft->types[i])) >= 0;
    if (ok) {
        int k = ft->nresults ? default_kind(ft->types[ft->nparams]) : WK_VOID;
        ok = k >= 0;
        out->ret = k;
    }
    if (!ok)
        ereport(NOTICE, (errmsg("wasm export \"%s\" of type %s has no SQL equivalent; no function created",
                                out->export_name, out->wasm_sig)));
    return ok;
}

static char *sql_signature(const export_fn *e)
{
    StringInfoData buf;
    initStringInfo(&buf);
    appendStringInfoChar(&buf, '(');
    for (int i = 0; i < e->nargs; i++)
        appendStringInfo(&buf, "%s%s", i ? ", " : "", wpg_kind_sqlname(e->args[i]));
    appendStringInfo(&buf, ") -> %s", wpg_kind_sqlname(e->ret));
    return buf.data;
}

/* The exported functions of a module that get SQL functions. */
static List *collect_exports(const uint8 *bytes, size_t len, const char *ns, const wb_module *mod)
{
    List *out = NIL;
    uint32_t n = wb_module_export_count(mod);
    for (uint32_t i = 0; i < n; i++) {
        wb_extern_desc d;
        if (wb_module_export(mod, i, &d) != WB_OK || d.kind != WB_EXTERN_FUNC)
            continue;
        if ((d.name_len >= 5 && memcmp(d.name, "cabi_", 5) == 0) || (d.name_len && d.name[0] == '_'))
            continue; /* ABI plumbing */
        export_fn *e = palloc0(sizeof *e);
        e->export_name = pnstrdup(d.name, d.name_len);
        bool plain = strlen(e->export_name) == d.name_len && strlen(ns) + 1 + d.name_len < NAMEDATALEN;
        for (size_t j = 0; plain && j < d.name_len; j++)
            plain = !isspace((unsigned char)d.name[j]) && d.name[j] != '(' && d.name[j] != ')';
        if (!plain) {
            ereport(NOTICE, (errmsg("wasm export \"%s\" cannot name an SQL function; no function created",
                                    e->export_name)));
            continue;
        }
        if (export_signature(bytes, len, ns, &d, e))
            out = lappend(out, e);
    }
    return out;
}

static void spi_check(int rc, int want, const char *what)
{
    if (rc != want)
        elog(ERROR, "wasm: %s failed: %s", what, SPI_result_code_string(rc));
}

/* CREATE FUNCTION as the caller; returns the new function's OID. */
static Oid create_sql_function(const char *ns, const export_fn *e)
{
    char *fname = psprintf("%s_%s", ns, e->export_name);
    char *objname;
    Oid nsp = QualifiedNameGetCreationNamespace(list_make1(makeString(fname)), &objname);
    char *nspname = get_namespace_name(nsp);
    StringInfoData q;
    initStringInfo(&q);
    appendStringInfo(&q, "CREATE FUNCTION %s.%s(", quote_identifier(nspname), quote_identifier(fname));
    for (int i = 0; i < e->nargs; i++)
        appendStringInfo(&q, "%s%s", i ? ", " : "", wpg_kind_sqlname(e->args[i]));
    appendStringInfo(&q, ") RETURNS %s LANGUAGE wasm STRICT AS %s", wpg_kind_sqlname(e->ret),
                     quote_literal_cstr(psprintf("%s.%s", ns, e->export_name)));
    spi_check(SPI_execute(q.data, false, 0), SPI_OK_UTILITY, "CREATE FUNCTION");
    Oid argtypes[FUNC_MAX_ARGS];
    for (int i = 0; i < e->nargs; i++)
        argtypes[i] = kind_type(e->args[i]);
    return LookupFuncName(list_make2(makeString(nspname), makeString(fname)), e->nargs, argtypes, false);
}

static void record_function(const char *ns, const export_fn *e, Oid fn)
{
    Oid types[5] = {TEXTOID, TEXTOID, REGPROCEDUREOID, TEXTOID, TEXTOID};
    Datum vals[5] = {CStringGetTextDatum(ns), CStringGetTextDatum(e->export_name), ObjectIdGetDatum(fn),
                     CStringGetTextDatum(e->wasm_sig), CStringGetTextDatum(sql_signature(e))};
    spi_check(SPI_execute_with_args("INSERT INTO wasm.functions (namespace, export_name, function, "
                                    "wasm_signature, sql_signature) VALUES ($1, $2, $3, $4, $5)",
                                    5, types, vals, NULL, false, 0),
              SPI_OK_INSERT, "recording a function");
}

static int64 insert_module(const char *ns, const uint8 *bytes, size_t len, const char *path, Oid owner)
{
    bytea *code = palloc(len + VARHDRSZ);
    SET_VARSIZE(code, len + VARHDRSZ);
    memcpy(VARDATA(code), bytes, len);
    Oid types[4] = {TEXTOID, TEXTOID, BYTEAOID, REGROLEOID};
    Datum vals[4] = {CStringGetTextDatum(ns), path ? CStringGetTextDatum(path) : (Datum)0, PointerGetDatum(code),
                     ObjectIdGetDatum(owner)};
    const char nulls[4] = {' ', path ? ' ' : 'n', ' ', ' '};
    spi_check(SPI_execute_with_args("INSERT INTO wasm.modules (namespace, path, code, sha256, size, owner) "
                                    "VALUES ($1, $2, $3, pg_catalog.encode(pg_catalog.sha256($3), 'hex'), "
                                    "pg_catalog.octet_length($3), $4) RETURNING id",
                                    4, types, vals, nulls, false, 0),
              SPI_OK_INSERT_RETURNING, "storing the module");
    bool isnull;
    return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* Validate, store and make SQL functions; returns the module id. */
static int64 install_module(const char *ns, const uint8 *bytes, size_t len, const char *path)
{
    check_namespace(ns);
    wb_module *volatile mod = wpg_compile(bytes, len, ns);
    List *exports = NIL;
    PG_TRY();
    {
        exports = collect_exports(bytes, len, ns, mod);
    }
    PG_FINALLY();
    {
        wb_module_free(mod);
    }
    PG_END_TRY();

    int64 id, old_id;
    Oid old_owner, user;
    int sec;
    if (wpg_catalog_lookup(ns, &old_id, &old_owner))
        ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT), errmsg("wasm module \"%s\" already exists", ns),
                        errhint("Drop it first with wasm.drop_instance('%s').", ns)));
    SPI_connect();
    Oid caller = GetUserId();
    wpg_become_owner(&user, &sec);
    id = insert_module(ns, bytes, len, path, caller);
    wpg_restore_user(user, sec);
    ListCell *lc;
    foreach (lc, exports) {
        export_fn *e = lfirst(lc);
        Oid fn = create_sql_function(ns, e);
        wpg_become_owner(&user, &sec);
        record_function(ns, e, fn);
        wpg_restore_user(user, sec);
    }
    SPI_finish();
    return id;
}

/* ---- the SQL entry points ---------------------------------------------------------- */

Datum wasm_load(PG_FUNCTION_ARGS)
{
    char *ns = text_to_cstring(PG_GETARG_TEXT_PP(0));
    bytea *code = PG_GETARG_BYTEA_PP(1);
    PG_RETURN_INT64(install_module(ns, (const uint8 *)VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code), NULL));
}

/* Text to binary, with validation errors located in the text. */
static int64 install_wat(const char *ns, const char *src, size_t len, const char *path)
{
    wb_module_free(wpg_compile_text(src, len, ns));
    wb_error err;
    uint8 *bin;
    size_t n;
    if (wb_wat_to_wasm(src, len, &bin, &n, &err) != WB_OK)
        ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                        errmsg("invalid wasm module \"%s\": %s", ns, err.message)));
    uint8 *copy = palloc(n ? n : 1);
    memcpy(copy, bin, n);
    wb_free(bin);
    return install_module(ns, copy, n, path);
}

Datum wasm_load_wat(PG_FUNCTION_ARGS)
{
    char *ns = text_to_cstring(PG_GETARG_TEXT_PP(0));
    char *src = text_to_cstring(PG_GETARG_TEXT_PP(1));
    PG_RETURN_INT64(install_wat(ns, src, strlen(src), NULL));
}

/* Reading server files is for superusers and pg_read_server_files, as for
 * pg_read_binary_file and COPY FROM a file. */
static char *read_server_file(text *path_t, size_t *len)
{
    char *path = text_to_cstring(path_t);
    if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied to load a wasm module from a file"),
                        errdetail("Only superusers and roles with privileges of pg_read_server_files may."),
                        errhint("Load the module's contents with wasm.load(namespace, bytea) instead.")));
    if (!is_absolute_path(path))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("wasm module path must be absolute: \"%s\"", path)));
    FILE *f = AllocateFile(path, PG_BINARY_R);
    if (!f)
        ereport(ERROR, (errcode_for_file_access(), errmsg("could not open file \"%s\": %m", path)));
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        ereport(ERROR, (errcode_for_file_access(), errmsg("could not stat file \"%s\": %m", path)));
    if ((uint64)st.st_size >= MaxAllocSize - VARHDRSZ)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("file \"%s\" is too large", path)));
    char *buf = palloc((size_t)st.st_size + 1);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f))
        ereport(ERROR, (errcode_for_file_access(), errmsg("could not read file \"%s\": %m", path)));
    FreeFile(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

Datum wasm_new_instance(PG_FUNCTION_ARGS)
{
    size_t len;
    char *bytes = read_server_file(PG_GETARG_TEXT_PP(0), &len);
    char *ns = text_to_cstring(PG_GETARG_TEXT_PP(1));
    PG_RETURN_INT64(install_module(ns, (const uint8 *)bytes, len, text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

Datum wasm_new_instance_wat(PG_FUNCTION_ARGS)
{
    size_t len;
    char *src = read_server_file(PG_GETARG_TEXT_PP(0), &len);
    char *ns = text_to_cstring(PG_GETARG_TEXT_PP(1));
    PG_RETURN_INT64(install_wat(ns, src, len, text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

/* Drop the module's generated functions (as the caller, who must own them)
 * and its rows.  Functions written by hand that refer to the module stay,
 * and fail when called. */
Datum wasm_drop_instance(PG_FUNCTION_ARGS)
{
    char *ns = text_to_cstring(PG_GETARG_TEXT_PP(0));
    bool cascade = PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
    int64 id;
    Oid owner, user;
    int sec;
    if (!wpg_catalog_lookup(ns, &id, &owner))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("wasm module \"%s\" does not exist", ns)));
    if (!has_privs_of_role(GetUserId(), owner))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("must be owner of wasm module \"%s\"", ns)));

    SPI_connect();
    Oid types[1] = {TEXTOID};
    Datum vals[1] = {CStringGetTextDatum(ns)};
    wpg_become_owner(&user, &sec);
    spi_check(SPI_execute_with_args("SELECT function::pg_catalog.oid FROM wasm.functions "
                                    "WHERE namespace OPERATOR(pg_catalog.=) $1",
                                    1, types, vals, NULL, true, 0),
              SPI_OK_SELECT, "listing functions");
    wpg_restore_user(user, sec);
    uint64 n = SPI_processed;
    Oid *fns = palloc((n + 1) * sizeof(Oid));
    for (uint64 i = 0; i < n; i++) {
        bool isnull;
        fns[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
    }
    for (uint64 i = 0; i < n; i++) {
        if (!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(fns[i])))
            continue;
        char *q = psprintf("DROP FUNCTION %s%s", format_procedure_qualified(fns[i]), cascade ? " CASCADE" : "");
        spi_check(SPI_execute(q, false, 0), SPI_OK_UTILITY, "DROP FUNCTION");
    }
    wpg_become_owner(&user, &sec);
    spi_check(SPI_execute_with_args("DELETE FROM wasm.functions WHERE namespace OPERATOR(pg_catalog.=) $1", 1,
                                    types, vals, NULL, false, 0),
              SPI_OK_DELETE, "deleting functions");
    spi_check(SPI_execute_with_args("DELETE FROM wasm.modules WHERE namespace OPERATOR(pg_catalog.=) $1", 1, types,
                                    vals, NULL, false, 0),
              SPI_OK_DELETE, "deleting the module");
    wpg_restore_user(user, sec);
    SPI_finish();
    PG_RETURN_BOOL(true);
}

/* Statement trigger on wasm.modules: a relcache invalidation of the table
 * reaches every backend at commit (and this one at the next command), whose
 * callback marks the module cache stale (pg_wasm.c). */
Datum wasm_modules_changed(PG_FUNCTION_ARGS)
{
    if (!CALLED_AS_TRIGGER(fcinfo))
        elog(ERROR, "wasm_modules_changed: not called as a trigger");
    CacheInvalidateRelcache(((TriggerData *)fcinfo->context)->tg_relation);
    return PointerGetDatum(NULL);
}

/* The column of wasm.modules named `name`, 0-based. */
static int column(TupleDesc desc, const char *name)
{
    int n = SPI_fnumber(desc, name);
    if (n <= 0)
        elog(ERROR, "wasm.modules has no column \"%s\"", name);
    return n - 1;
}

/*
 * BEFORE INSERT on wasm.modules, for each row.  Every row gets its id here,
 * from wasm.modules_id_seq, whatever the INSERT said: the rows of a dump (a
 * tenant's or a whole database's) are restored into databases with modules
 * of their own, and no dumped sequence position needs to be trusted.  A row
 * inserted by a role without the privileges of the catalog's owner (the
 * extension's own loads run as that owner) is a tenant restoring its
 * modules from a dump: it is checked as wasm.load checks a module, and its
 * digest and size are computed anew.
 */
Datum wasm_modules_check(PG_FUNCTION_ARGS)
{
    if (!CALLED_AS_TRIGGER(fcinfo))
        elog(ERROR, "wasm_modules_check: not called as a trigger");
    TriggerData *td = (TriggerData *)fcinfo->context;
    Relation rel = td->tg_relation;
    TupleDesc desc = RelationGetDescr(rel);
    Datum *v = palloc(desc->natts * sizeof(Datum));
    bool *null = palloc(desc->natts * sizeof(bool));
    heap_deform_tuple(td->tg_trigtuple, desc, v, null);
    int c_id = column(desc, "id"), c_ns = column(desc, "namespace"), c_path = column(desc, "path"),
        c_code = column(desc, "code"), c_sha = column(desc, "sha256"), c_size = column(desc, "size"),
        c_owner = column(desc, "owner");

    if (!has_privs_of_role(GetUserId(), wpg_catalog_owner())) {
        if (null[c_ns] || null[c_code] || null[c_owner])
            ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION), errmsg("a wasm module needs a namespace, code and owner")));
        char *ns = TextDatumGetCString(v[c_ns]);
        check_namespace(ns);
        Oid owner = DatumGetObjectId(v[c_owner]);
        if (!has_privs_of_role(GetUserId(), owner))
            ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                            errmsg("permission denied to store wasm module \"%s\" owned by role \"%s\"", ns,
                                   GetUserNameFromId(owner, false))));
        bytea *code = DatumGetByteaPP(v[c_code]);
        wb_module_free(wpg_compile((const uint8 *)VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code), ns));
        v[c_code] = PointerGetDatum(code);
        v[c_sha] = DirectFunctionCall2(binary_encode, DirectFunctionCall1(sha256_bytea, v[c_code]),
                                       CStringGetTextDatum("hex"));
        null[c_sha] = false;
        v[c_size] = Int64GetDatum((int64)VARSIZE_ANY_EXHDR(code));
        null[c_size] = false;
        /* The path says which server file a module came from: only roles
         * that may read server files can have loaded one. */
        if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
            null[c_path] = true;
    }
    Oid seq = get_relname_relid("modules_id_seq", RelationGetNamespace(rel));
    if (!OidIsValid(seq))
        elog(ERROR, "wasm.modules_id_seq does not exist");
    v[c_id] = Int64GetDatum(nextval_internal(seq, false));
    null[c_id] = false;
    return PointerGetDatum(heap_form_tuple(desc, v, null));
}
