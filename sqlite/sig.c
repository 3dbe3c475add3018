/*
 * sig.c - signatures of exports as SQL functions.
 *
 * A module may declare SQL signatures in a custom section named
 * "wasmbox.sql", lines "export(type, ...) -> type" (sdk/wasmbox_udf.h writes
 * them), in PostgreSQL's type names, so that one .wasm serves both
 * databases.  Without one, the wasm type decides: under the canonical ABI
 * i32 integer, i64 bigint, f32 real, f64 double precision; under libSQL's,
 * i64 INTEGER, f64 REAL, i32 a pointer to a tagged value ("any").
 * The section is read by the engine (wb_guest_sql_signature), as for
 * PostgreSQL; the type names are this extension's own.
 */
#include "wasm_sqlite.h"

#include <ctype.h>
#include <string.h>

char *wsq_declared_signature(const uint8_t *bytes, size_t len, const char *export_name)
{
    size_t n;
    const char *s = wb_guest_sql_signature(bytes, len, export_name, &n);
    return s ? sqlite3_mprintf("%.*s", (int)n, s) : NULL;
}

/* ---- SQL type names ------------------------------------------------------------------------ */

/* PostgreSQL's names (a module's declarations are written for both), and
 * "blob" for SQLite's. */
static const struct {
    const char *name;
    wsq_kind kind;
} type_names[] = {
    {"bool", WSQ_BOOL},      {"boolean", WSQ_BOOL},  {"int2", WSQ_INT16},   {"smallint", WSQ_INT16},
    {"int4", WSQ_INT32},     {"int", WSQ_INT32},     {"integer", WSQ_INT32}, {"int8", WSQ_INT64},
    {"bigint", WSQ_INT64},   {"float4", WSQ_FLOAT32}, {"real", WSQ_FLOAT32}, {"float8", WSQ_FLOAT64},
    {"double precision", WSQ_FLOAT64}, {"text", WSQ_TEXT}, {"varchar", WSQ_TEXT}, {"bytea", WSQ_BLOB},
    {"blob", WSQ_BLOB},      {"void", WSQ_VOID},
};

/* The name a kind is shown with: PostgreSQL's, as its exported_functions
 * view shows them; "any" for libSQL's tagged values. */
static const char *kind_name(wsq_kind k)
{
    static const char *const names[] = {"void", "boolean", "smallint", "integer", "bigint",
                                        "real", "double precision", "text", "bytea", "any"};
    return names[k];
}

static int kind_by_name(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strlen(type_names[i].name) == n && sqlite3_strnicmp(type_names[i].name, s, (int)n) == 0)
            return (int)type_names[i].kind;
    return -1;
}

static const char *skip_space(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

/* One type name: up to ',' ')' or '->', trailing spaces cut. */
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

bool wsq_parse_signature(const char *text, wsq_sig *sig)
{
    const char *s = skip_space(text), *e;
    if (*s++ != '(')
        return false;
    sig->nargs = 0;
    s = skip_space(s);
    if (*s == ')')
        s++;
    else
        for (;;) {
            const char *t = type_token(s, &e);
            int k = kind_by_name(t, (size_t)(e - t));
            if (k < 0 || k == WSQ_VOID || sig->nargs >= WSQ_MAX_ARGS)
                return false;
            sig->args[sig->nargs++] = (wsq_kind)k;
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
    int k = kind_by_name(t, (size_t)(e - t));
    if (k < 0 || *skip_space(e) != '\0')
        return false;
    sig->ret = (wsq_kind)k;
    return true;
}

/* ---- wasm types ------------------------------------------------------------------------------ */

static int default_kind(uint8_t t, wsq_abi abi)
{
    switch (t) {
    case WB_I32:
        return abi == WSQ_ABI_LIBSQL ? WSQ_TAGGED : WSQ_INT32;
    case WB_I64:
        return WSQ_INT64;
    case WB_F32:
        return abi == WSQ_ABI_LIBSQL ? -1 : WSQ_FLOAT32;
    case WB_F64:
        return WSQ_FLOAT64;
    default:
        return -1;
    }
}

bool wsq_default_signature(const wb_functype *ft, wsq_abi abi, wsq_sig *sig)
{
    if (ft->nresults > 1 || ft->nparams > WSQ_MAX_ARGS)
        return false;
    sig->nargs = (int)ft->nparams;
    for (uint32_t i = 0; i < ft->nparams; i++) {
        int k = default_kind(ft->types[i], abi);
        if (k < 0)
            return false;
        sig->args[i] = (wsq_kind)k;
    }
    int k = ft->nresults ? default_kind(ft->types[ft->nparams], abi) : WSQ_VOID;
    if (k < 0)
        return false;
    sig->ret = (wsq_kind)k;
    return wsq_sig_matches(ft, sig);
}

/* The core types of a kind as a parameter (0, 1 or 2 of them). */
static int core_types(wsq_kind k, uint8_t *out)
{
    switch (k) {
    case WSQ_VOID:
        return 0;
    case WSQ_INT64:
        out[0] = WB_I64;
        return 1;
    case WSQ_FLOAT32:
        out[0] = WB_F32;
        return 1;
    case WSQ_FLOAT64:
        out[0] = WB_F64;
        return 1;
    case WSQ_TEXT:
    case WSQ_BLOB:
        out[0] = out[1] = WB_I32;
        return 2;
    default:
        out[0] = WB_I32;
        return 1;
    }
}

bool wsq_sig_matches(const wb_functype *ft, wsq_sig *sig)
{
    uint8_t want[2 * WSQ_MAX_ARGS + 1];
    uint32_t np = 0;
    sig->byref = WSQ_IS_BYREF(sig->ret);
    for (int i = 0; i < sig->nargs; i++) {
        np += (uint32_t)core_types(sig->args[i], want + np);
        sig->byref |= WSQ_IS_BYREF(sig->args[i]);
    }
    sig->ncells = (int)np;
    uint32_t nr = 0;
    if (WSQ_IS_BYREF(sig->ret))
        want[np + nr++] = WB_I32; /* the address of the result */
    else
        nr = (uint32_t)core_types(sig->ret, want + np);
    return ft->nparams == np && ft->nresults == nr && memcmp(ft->types, want, np + nr) == 0;
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

static void append_types(sqlite3_str *s, const uint8_t *types, uint32_t n, bool parens)
{
    if (parens)
        sqlite3_str_appendchar(s, 1, '(');
    for (uint32_t i = 0; i < n; i++)
        sqlite3_str_appendf(s, "%s%s", i ? ", " : "", valtype_name(types[i]));
    if (parens)
        sqlite3_str_appendchar(s, 1, ')');
}

/* "(i32, i32) -> i32", as PostgreSQL's wasm_signature column. */
char *wsq_wasm_sig_string(const wb_functype *ft)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    append_types(s, ft->types, ft->nparams, true);
    sqlite3_str_appendall(s, " -> ");
    append_types(s, ft->types + ft->nparams, ft->nresults, ft->nresults != 1);
    return sqlite3_str_finish(s);
}

/* "(text) -> text", as PostgreSQL's sql_signature column. */
char *wsq_sql_sig_string(const wsq_sig *sig)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendchar(s, 1, '(');
    for (int i = 0; i < sig->nargs; i++)
        sqlite3_str_appendf(s, "%s%s", i ? ", " : "", kind_name(sig->args[i]));
    sqlite3_str_appendf(s, ") -> %s", kind_name(sig->ret));
    return sqlite3_str_finish(s);
}

const char *wsq_abi_name(wsq_abi abi)
{
    static const char *const names[] = {"core", "canonical", "libsql"};
    return names[abi];
}
