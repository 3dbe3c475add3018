/*
 * plang.c - what a LANGUAGE wasm function is: its body (compiled here), the
 * mapping of its SQL types to wasm types, signatures, and its pg_proc row.
 *
 * A function body is one of
 *   'namespace.export'      an export of a module loaded with wasm.load
 *   '\x0061736d...'         a binary module in bytea hex
 *   'AGFzbQEAAAA...'        a binary module in base64
 *   '(module ...)'          a module in the text format
 * and for an inline module the export named like the SQL function is called
 * (or the module's only exported function).
 *
 * SQL types map to wasm types as follows (the Component Model's canonical
 * ABI for strings and byte lists):
 *   boolean, smallint, integer   i32
 *   bigint                       i64
 *   real, double precision       f32, f64
 *   text, varchar, bytea         argument: (ptr i32, len i32) in the guest's
 *                                memory, allocated by its cabi_realloc;
 *                                result: an i32 pointer to (ptr, len)
 *   void (result)                no result
 */
#include "wasm_pg.h"

#include <ctype.h>

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* ---- compiling ----------------------------------------------------------------------- */

/* Modules get no host functions: an import could only be satisfied by the
 * host, and no import set is enabled (wasm.allowed_imports). */
static void refuse_imports(wb_module *mod, const char *what)
{
    if (wb_module_import_count(mod) == 0)
        return;
    wb_extern_desc d;
    wb_module_import(mod, 0, &d);
    char *mname = pnstrdup(d.module, d.module_len), *name = pnstrdup(d.name, d.name_len);
    wb_module_free(mod);
    ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                    errmsg("wasm module \"%s\" imports \"%s\".\"%s\", but modules cannot import host functions",
                           what, mname, name),
                    errdetail("wasm.allowed_imports enables no import set.")));
}

/*
 * Compiling a large module takes seconds.  The engine reads an interrupt
 * flag while it loads, and a load it stopped cannot be resumed, only done
 * again.  Where interrupts can be served the flag is InterruptPending: a
 * cancel, statement_timeout or termination raises in CHECK_FOR_INTERRUPTS,
 * any other interrupt is served and the load starts over.  Where they are
 * held (the first call of a function inside an index operation compiles its
 * module), a deadline wasm.held_time_per_call away sets a flag of our own
 * and the load ends with 54000.
 */
static wb_module *load(const void *src, size_t len, bool text, const char *what)
{
    for (;;) {
        bool held = !INTERRUPTS_CAN_BE_PROCESSED();
        if (held)
            wpg_check_not_critical(what);
        wb_load_opts opts = {.interrupt = held ? wpg_held_deadline_start() : (const volatile int *)&InterruptPending};
        wb_module *mod;
        wb_error err;
        wb_result r = text ? wb_module_from_wat_ex(src, len, &opts, &mod, &err)
                           : wb_module_load_ex(src, len, &opts, &mod, &err);
        if (held)
            wpg_held_deadline_end();
        if (r == WB_OK)
            return mod;
        if (r != WB_TRAP_INTERRUPTED)
            wpg_raise_load_error(&err, what, text);
        if (held)
            wpg_raise_held_compile(what);
        CHECK_FOR_INTERRUPTS();
    }
}

wb_module *wpg_compile(const uint8 *bytes, size_t len, const char *what)
{
    wb_module *mod = load(bytes, len, false, what);
    refuse_imports(mod, what);
    return mod;
}

wb_module *wpg_compile_text(const char *text, size_t len, const char *what)
{
    return load(text, len, true, what);
}

/* ---- bodies -------------------------------------------------------------------------- */

typedef enum body_form { FORM_TEXT, FORM_HEX, FORM_BASE64 } body_form;

static const char *skip_space(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

/* base64 of "\0asm" is "AGFzbQ": a body that starts so and holds only base64
 * characters is a binary module; anything else not hex is text. */
static body_form classify(const char *body)
{
    const char *s = skip_space(body);
    if (s[0] == '\\' && (s[1] == 'x' || s[1] == 'X'))
        return FORM_HEX;
    if (strncmp(s, "AGFzbQ", 6) != 0)
        return FORM_TEXT;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '+' && *s != '/' && *s != '=' && !isspace((unsigned char)*s))
            return FORM_TEXT;
    return FORM_BASE64;
}

/* Binary bytes of a hex or base64 body (palloc'd). */
static bytea *decode_binary(const char *body, body_form form)
{
    const char *s = skip_space(body);
    if (form == FORM_HEX)
        return DatumGetByteaPP(DirectFunctionCall1(byteain, CStringGetDatum(s)));
    return DatumGetByteaPP(
        DirectFunctionCall2(binary_decode, CStringGetTextDatum(s), CStringGetTextDatum("base64")));
}

wb_module *wpg_compile_body(const char *body, const char *what, uint8 **bytes, size_t *len)
{
    body_form form = classify(body);
    if (form != FORM_TEXT) {
        bytea *b = decode_binary(body, form);
        *bytes = (uint8 *)VARDATA_ANY(b);
        *len = VARSIZE_ANY_EXHDR(b);
        return wpg_compile(*bytes, *len, what);
    }
    /* From the text directly, so validation errors point at LINE:COL; then
     * the binary, for its name section. */
    wb_module *mod = wpg_compile_text(body, strlen(body), what);
    wb_error err;
    refuse_imports(mod, what);
    uint8 *out;
    *bytes = NULL;
    *len = 0;
    if (wb_wat_to_wasm(body, strlen(body), &out, len, &err) == WB_OK) {
        PG_TRY();
        {
            *bytes = palloc(*len ? *len : 1);
            memcpy(*bytes, out, *len);
        }
        PG_FINALLY();
        {
            wb_free(out);
        }
        PG_END_TRY();
    }
    return mod;
}

bool wpg_body_reference(const char *body, char *ns, char **export_name)
{
    const char *s = skip_space(body), *p = s;
    if (!(isalpha((unsigned char)*p) || *p == '_'))
        return false;
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    if (*p != '.' || p - s >= NAMEDATALEN || p[1] == '\0')
        return false;
    const char *e = p + 1, *end = e;
    while (*end && !isspace((unsigned char)*end) && *end != '(' && *end != ')')
        end++;
    if (*skip_space(end) != '\0')
        return false;
    memcpy(ns, s, p - s);
    ns[p - s] = '\0';
    *export_name = pnstrdup(e, end - e);
    return true;
}

/* ---- types ------------------------------------------------------------------------------ */

int wpg_kind_of(Oid type)
{
    switch (type) {
    case BOOLOID:
        return WK_BOOL;
    case INT2OID:
        return WK_INT2;
    case INT4OID:
        return WK_INT4;
    case INT8OID:
        return WK_INT8;
    case FLOAT4OID:
        return WK_FLOAT4;
    case FLOAT8OID:
        return WK_FLOAT8;
    case TEXTOID:
    case VARCHAROID:
        return WK_TEXT;
    case BYTEAOID:
        return WK_BYTEA;
    case VOIDOID:
        return WK_VOID;
    default:
        return -1;
    }
}

const char *wpg_kind_sqlname(wpg_kind k)
{
    static const char *const names[] = {"void", "boolean", "smallint", "integer", "bigint", "real",
                                        "double precision", "text", "bytea"};
    return names[k];
}

/* The core wasm types a kind becomes, as a parameter (1 or 2) or result. */
static int core_params(wpg_kind k, uint8_t *out)
{
    switch (k) {
    case WK_VOID:
        return 0;
    case WK_INT8:
        out[0] = WB_I64;
        return 1;
    case WK_FLOAT4:
        out[0] = WB_F32;
        return 1;
    case WK_FLOAT8:
        out[0] = WB_F64;
        return 1;
    case WK_TEXT:
    case WK_BYTEA:
        out[0] = out[1] = WB_I32;
        return 2;
    default:
        out[0] = WB_I32;
        return 1;
    }
}

static const char *valtype_name(uint8_t t)
{
    switch (t) {
    case WB_I32:
        return "i32";
    case WB_I64:
        return "i64";
    case WB_F32:
        return "f32";
    case WB_F64:
        return "f64";
    case WB_V128:
        return "v128";
    case WB_FUNCREF:
        return "funcref";
    case WB_EXTERNREF:
        return "externref";
    default:
        return "?";
    }
}

static void append_types(StringInfo buf, const uint8_t *types, uint32_t n, bool parens)
{
    if (parens)
        appendStringInfoChar(buf, '(');
    for (uint32_t i = 0; i < n; i++)
        appendStringInfo(buf, "%s%s", i ? ", " : "", valtype_name(types[i]));
    if (parens)
        appendStringInfoChar(buf, ')');
}

char *wpg_wasm_sig_string(const wb_functype *ft)
{
    StringInfoData buf;
    initStringInfo(&buf);
    append_types(&buf, ft->types, ft->nparams, true);
    appendStringInfoString(&buf, " -> ");
    append_types(&buf, ft->types + ft->nparams, ft->nresults, ft->nresults != 1);
    return buf.data;
}

bool wpg_sig_matches(const wb_functype *ft, const wpg_kind *args, int nargs, wpg_kind ret, char *why,
                     size_t whylen)
{
    uint8_t want[2 * FUNC_MAX_ARGS + 1];
    uint32_t np = 0;
    for (int i = 0; i < nargs; i++)
        np += core_params(args[i], want + np);
    /* A string or byte list comes back through a return area: one i32. */
    uint32_t nr = 0;
    if (WK_IS_BYREF(ret))
        want[np + nr++] = WB_I32;
    else
        nr = (uint32_t)core_params(ret, want + np);
    bool ok = ft->nparams == np && ft->nresults == nr && memcmp(ft->types, want, np + nr) == 0;
    if (!ok) {
        wb_functype need = {np, nr, want};
        snprintf(why, whylen, "the export has type %s, the SQL signature needs %s", wpg_wasm_sig_string(ft),
                 wpg_wasm_sig_string(&need));
    }
    return ok;
}

bool wpg_module_func_type(const wb_module *m, const char *name, wb_functype *out)
{
    size_t len = strlen(name);
    uint32_t n = wb_module_export_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wb_extern_desc d;
        if (wb_module_export(m, i, &d) != WB_OK || d.kind != WB_EXTERN_FUNC)
            continue;
        if (d.name_len == len && memcmp(d.name, name, len) == 0) {
            *out = d.type.func;
            return true;
        }
    }
    return false;
}

/* Exports that are ABI plumbing, not user functions. */
static bool is_plumbing(const char *name, size_t len)
{
    return (len >= 5 && memcmp(name, "cabi_", 5) == 0) || (len >= 1 && name[0] == '_');
}

char *wpg_inline_export(const wb_module *m, const char *proname)
{
    wb_functype ft;
    if (wpg_module_func_type(m, proname, &ft))
        return pstrdup(proname);
    char *only = NULL;
    int count = 0;
    uint32_t n = wb_module_export_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wb_extern_desc d;
        if (wb_module_export(m, i, &d) != WB_OK || d.kind != WB_EXTERN_FUNC || is_plumbing(d.name, d.name_len))
            continue;
        count++;
        only = pnstrdup(d.name, d.name_len);
    }
    if (count != 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                        errmsg("wasm module of function \"%s\" exports no function named \"%s\"", proname, proname),
                        errhint("Export the function under the SQL function's name.")));
    return only;
}

/* ---- SQL signatures declared in the module ("wasmbox.sql" custom section) ---------------- */

uint64 wpg_module_memory_max(const wb_module *m)
{
    wb_limits_desc l;
    if (!wb_module_memory_limits(m, &l))
        return 0;
    if (!l.has_max)
        return PG_UINT64_MAX;
    return Max((uint64)l.max * 65536, 1);
}

char *wpg_custom_signature(const uint8 *bytes, size_t len, const char *export_name)
{
    size_t n;
    const char *s = wb_guest_sql_signature(bytes, len, export_name, &n);
    return s ? pnstrdup(s, n) : NULL;
}

/* One SQL type name of a signature. */
static int kind_by_name(const char *s, size_t n)
{
    static const struct {
        const char *name;
        wpg_kind kind;
    } names[] = {
        {"bool", WK_BOOL},     {"boolean", WK_BOOL},   {"int2", WK_INT2},
        {"smallint", WK_INT2}, {"int4", WK_INT4},      {"int", WK_INT4},
        {"integer", WK_INT4},  {"int8", WK_INT8},      {"bigint", WK_INT8},
        {"float4", WK_FLOAT4}, {"real", WK_FLOAT4},    {"float8", WK_FLOAT8},
        {"double precision", WK_FLOAT8}, {"text", WK_TEXT}, {"varchar", WK_TEXT},
        {"bytea", WK_BYTEA},   {"void", WK_VOID},
    };
    for (size_t i = 0; i < lengthof(names); i++)
        if (strlen(names[i].name) == n && pg_strncasecmp(names[i].name, s, n) == 0)
            return names[i].kind;
    return -1;
}

static const char *type_token(const char *s, const char **end)
{
    s = skip_space(s);
    const char *e = s;
    while (*e && *e != ',' && *e != ')' && !(e[0] == '-' && e[1] == '>'))
        e++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    *end = e;
    return s;
}

bool wpg_parse_sql_signature(const char *sig, wpg_kind *args, int *nargs, int maxargs, wpg_kind *ret)
{
    const char *s = skip_space(sig), *e;
    if (*s++ != '(')
        return false;
    *nargs = 0;
    s = skip_space(s);
    if (*s == ')')
        s++;
    else
        for (;;) {
            const char *t = type_token(s, &e);
            int k = kind_by_name(t, e - t);
            if (k < 0 || k == WK_VOID || *nargs >= maxargs)
                return false;
            args[(*nargs)++] = k;
            s = skip_space(e);
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s++ != ')')
                return false;
            break;
        }
    s = skip_space(s);
    if (s[0] != '-' || s[1] != '>')
        return false;
    const char *t = type_token(s + 2, &e);
    int k = kind_by_name(t, e - t);
    if (k < 0 || *skip_space(e) != '\0')
        return false;
    *ret = k;
    return true;
}

/* ---- pg_proc rows -------------------------------------------------------------------------- */

static wpg_kind proc_kind(Oid type, bool result, const char *proname)
{
    int k = wpg_kind_of(type);
    if (k < 0 || (!result && k == WK_VOID))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("wasm functions cannot %s type %s", result ? "return" : "take", format_type_be(type)),
                        errdetail("Function \"%s\".  Supported: boolean, smallint, integer, bigint, real, "
                                  "double precision, text, varchar, bytea%s.",
                                  proname, result ? ", void" : "")));
    return k;
}

/* The pg_proc row of a function about to be called.  The executor looked
 * the function up when the statement started, but PostgreSQL locks no
 * function it calls: another session may have dropped it since (a module
 * reload drops the generated functions and makes new ones), and this
 * backend learns it with the invalidations taken in at its next lock.  That
 * is a race with a concurrent transaction, not a broken catalog. */
static HeapTuple proc_tuple(Oid fn_oid)
{
    HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
    if (!HeapTupleIsValid(tup))
        wpg_raise_dropped_function(fn_oid);
    return tup;
}

void wpg_proc_read(Oid fn_oid, wpg_proc *out)
{
    HeapTuple tup = proc_tuple(fn_oid);
    Form_pg_proc p = (Form_pg_proc)GETSTRUCT(tup);
    out->fn_oid = fn_oid;
    out->proname = pstrdup(NameStr(p->proname));
    out->owner = p->proowner;
    out->xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
    out->tid = tup->t_self;
    if (p->proretset)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("wasm functions cannot return sets")));
    if (p->prokind == PROKIND_PROCEDURE)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("wasm procedures are not supported")));
    bool isnull;
    SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proargmodes, &isnull);
    if (!isnull)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("wasm functions cannot have OUT, INOUT or VARIADIC parameters")));
    out->nargs = p->pronargs;
    for (int i = 0; i < p->pronargs; i++)
        out->args[i] = proc_kind(p->proargtypes.values[i], false, out->proname);
    out->ret = proc_kind(p->prorettype, true, out->proname);
    /* A reference is short; a long body is an inline module, read (and
     * detoasted) only when it has to be compiled, not at every resolve. */
    Datum src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
    if (isnull)
        out->body = pstrdup("");
    else if (toast_raw_datum_size(src) <= VARHDRSZ + 2 * NAMEDATALEN + 64)
        out->body = TextDatumGetCString(src);
    else
        out->body = NULL;
    ReleaseSysCache(tup);
}

char *wpg_proc_body(Oid fn_oid)
{
    HeapTuple tup = proc_tuple(fn_oid);
    bool isnull;
    Datum src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
    char *body = isnull ? pstrdup("") : TextDatumGetCString(src);
    ReleaseSysCache(tup);
    return body;
}

wpg_module *wpg_proc_target(const wpg_proc *p, char **export_name)
{
    char ns[NAMEDATALEN];
    wpg_module *m;
    if (p->body && wpg_body_reference(p->body, ns, export_name)) {
        m = wpg_module_by_namespace(ns);
        /* Like a table: whoever owns the function must be allowed to use
         * the module, so one tenant cannot wrap another's module. */
        if (!has_privs_of_role(p->owner, m->owner) && !superuser_arg(p->owner))
            ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                            errmsg("permission denied for wasm module \"%s\"", ns),
                            errdetail("Function \"%s\" is owned by a role that is not a member of the module's owner.",
                                      p->proname)));
    } else {
        m = wpg_module_inline(p->fn_oid, p->proname, p->xmin, (ItemPointer)&p->tid, p->body);
        *export_name = wpg_inline_export(m->mod, p->proname);
    }
    wb_functype ft;
    if (!wpg_module_func_type(m->mod, *export_name, &ft))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                        errmsg("wasm module \"%s\" has no exported function \"%s\"", m->name, *export_name)));
    char why[600];
    if (!wpg_sig_matches(&ft, p->args, p->nargs, p->ret, why, sizeof why))
        ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                        errmsg("wasm export \"%s\" does not match the signature of function \"%s\"", *export_name,
                               p->proname),
                        errdetail("%s", why)));
    return m;
}
