/*
 * wast.c - `wasmbox wast FILE.wast`: runs an official spec test script.
 *
 * The script is converted by wabt's wast2json (Debian's package) into a JSON
 * command list plus one .wasm per module; this file walks the commands with
 * jansson.  Until wasmbox parses the text format itself, modules that exist
 * only as text (assert_malformed on quoted text) are counted as skipped, not
 * passed.  The last line is "N passed, M failed".
 */
#include "cli.h"

#include <jansson.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_VALUES 64

typedef struct named {
    char *name;
    wb_instance *inst;
    wb_module *mod;
} named;

typedef struct script {
    const char *dir;  /* where wast2json wrote its files */
    const char *file; /* the .wast, for messages */
    named *instances; /* every instance made, with its $name if any */
    size_t ninst, cap;
    named *registered; /* register "as" names */
    size_t nreg, regcap;
    wb_instance *current;
    int passed, failed, skipped;
    int line;
} script;

/* ---- the spectest host module -------------------------------------------- */

static wb_result print_fn(wb_host_ctx *ctx, const wb_val *args, wb_val *results)
{
    return WB_OK;
}

static struct {
    bool made;
    wb_global *g_i32, *g_i64, *g_f32, *g_f64;
    wb_table *table;
    wb_memory *memory;
    wb_func *print[7];
} spectest;

static const struct {
    const char *name;
    uint32_t nparams;
    uint8_t params[2];
} print_funcs[7] = {
    {"print", 0, {0}},
    {"print_i32", 1, {WB_I32}},
    {"print_i64", 1, {WB_I64}},
    {"print_f32", 1, {WB_F32}},
    {"print_f64", 1, {WB_F64}},
    {"print_i32_f32", 2, {WB_I32, WB_F32}},
    {"print_f64_f64", 2, {WB_F64, WB_F64}},
};

static void spectest_make(void)
{
    if (spectest.made)
        return;
    spectest.made = true;
    spectest.g_i32 = wb_global_new(wb_i32(666), false);
    spectest.g_i64 = wb_global_new(wb_i64(666), false);
    spectest.g_f32 = wb_global_new(wb_f32(666.6f), false);
    spectest.g_f64 = wb_global_new(wb_f64(666.6), false);
    spectest.table = wb_table_new(WB_FUNCREF, 10, 20, true);
    spectest.memory = wb_memory_new(1, 2, true);
    for (int i = 0; i < 7; i++) {
        wb_functype ft = {print_funcs[i].nparams, 0, print_funcs[i].params};
        spectest.print[i] = wb_func_new_host(&ft, print_fn, NULL);
    }
}

static void spectest_free(void)
{
    if (!spectest.made)
        return;
    wb_global_free(spectest.g_i32);
    wb_global_free(spectest.g_i64);
    wb_global_free(spectest.g_f32);
    wb_global_free(spectest.g_f64);
    wb_table_free(spectest.table);
    wb_memory_free(spectest.memory);
    for (int i = 0; i < 7; i++)
        wb_func_free(spectest.print[i]);
    memset(&spectest, 0, sizeof spectest);
}

static bool spectest_lookup(const char *name, size_t len, wb_extern *out)
{
    spectest_make();
#define IS(s) (len == strlen(s) && memcmp(name, s, len) == 0)
    if (IS("global_i32"))
        *out = (wb_extern){WB_EXTERN_GLOBAL, {.global = spectest.g_i32}};
    else if (IS("global_i64"))
        *out = (wb_extern){WB_EXTERN_GLOBAL, {.global = spectest.g_i64}};
    else if (IS("global_f32"))
        *out = (wb_extern){WB_EXTERN_GLOBAL, {.global = spectest.g_f32}};
    else if (IS("global_f64"))
        *out = (wb_extern){WB_EXTERN_GLOBAL, {.global = spectest.g_f64}};
    else if (IS("table"))
        *out = (wb_extern){WB_EXTERN_TABLE, {.table = spectest.table}};
    else if (IS("memory"))
        *out = (wb_extern){WB_EXTERN_MEMORY, {.memory = spectest.memory}};
    else {
        for (int i = 0; i < 7; i++)
            if (IS(print_funcs[i].name)) {
                *out = (wb_extern){WB_EXTERN_FUNC, {.func = spectest.print[i]}};
                return true;
            }
        return false;
    }
#undef IS
    return true;
}

/* ---- results -------------------------------------------------------------- */

static void fail(script *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(script *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s:%d: FAIL ", s->file, s->line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    s->failed++;
}

/* ---- modules ---------------------------------------------------------------- */

static wb_instance *find_instance(script *s, const char *name)
{
    if (!name)
        return s->current;
    for (size_t i = s->ninst; i-- > 0;)
        if (s->instances[i].name && strcmp(s->instances[i].name, name) == 0)
            return s->instances[i].inst;
    return NULL;
}

static wb_result load_file(script *s, const char *filename, wb_module **m, wb_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->dir, filename);
    size_t len;
    uint8_t *bytes = cli_read_file(path, &len);
    if (!bytes) {
        snprintf(err->message, sizeof err->message, "cannot read %.400s", path);
        return err->code = WB_ERR_ARG;
    }
    wb_result r = wb_module_load(bytes, len, m, err);
    free(bytes);
    return r;
}

/* Resolve m's imports against spectest and the registered instances. */
static wb_result link_imports(script *s, wb_module *m, wb_extern *ext, wb_error *err)
{
    uint32_t n = wb_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wb_extern_desc d;
        wb_module_import(m, i, &d);
        bool found = false;
        if (d.module_len == 8 && memcmp(d.module, "spectest", 8) == 0) {
            found = spectest_lookup(d.name, d.name_len, &ext[i]);
        } else {
            for (size_t k = s->nreg; k-- > 0 && !found;) {
                const char *rn = s->registered[k].name;
                if (strlen(rn) == d.module_len && memcmp(rn, d.module, d.module_len) == 0)
                    found = wb_instance_export(s->registered[k].inst, d.name, d.name_len, &ext[i]) ==
                            WB_OK;
            }
        }
        if (!found) {
            snprintf(err->message, sizeof err->message, "unknown import \"%.*s\".\"%.*s\"",
                     (int)d.module_len, d.module, (int)d.name_len, d.name);
            err->nframes = 0;
            return err->code = WB_ERR_LINK;
        }
    }
    return WB_OK;
}

/* Load, link and instantiate; on success the instance is kept for the rest
 * of the script (registered instances may be imported from later). */
static wb_result instantiate(script *s, const char *filename, const char *name, wb_instance **out,
                             wb_error *err)
{
    wb_module *m = NULL;
    *out = NULL;
    wb_result r = load_file(s, filename, &m, err);
    if (r != WB_OK)
        return r;
    uint32_t n = wb_module_import_count(m);
    wb_extern *ext = calloc(n + 1, sizeof *ext);
    r = link_imports(s, m, ext, err);
    wb_call_opts opts = {0};
    if (r == WB_OK)
        r = wb_instantiate(m, ext, n, NULL, &opts, out, err);
    free(ext);
    if (r != WB_OK && !*out) {
        wb_module_free(m);
        return r;
    }
    /* An instance whose initialisation trapped is kept, unnamed, to the end:
     * tables it wrote into may still refer to its functions. */
    if (s->ninst == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->instances = realloc(s->instances, s->cap * sizeof *s->instances);
    }
    s->instances[s->ninst++] = (named){name && r == WB_OK ? strdup(name) : NULL, *out, m};
    if (r != WB_OK)
        *out = NULL;
    return r;
}

/* ---- values ------------------------------------------------------------------ */

static uint8_t type_code(const char *t)
{
    static const struct {
        const char *name;
        uint8_t code;
    } map[] = {{"i32", WB_I32},     {"i64", WB_I64},         {"f32", WB_F32},
               {"f64", WB_F64},     {"v128", WB_V128},       {"funcref", WB_FUNCREF},
               {"externref", WB_EXTERNREF}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (t && strcmp(t, map[i].name) == 0)
            return map[i].code;
    return 0;
}

/* Externref n of the script is the host pointer n + 1, so ref.extern 0 is
 * not null. */
static void *extern_ref(uint64_t n) { return (void *)(uintptr_t)(n + 1); }

static int lane_bits(const char *lt)
{
    if (!lt)
        return 0;
    if (strcmp(lt, "i8") == 0)
        return 8;
    if (strcmp(lt, "i16") == 0)
        return 16;
    if (strcmp(lt, "i32") == 0 || strcmp(lt, "f32") == 0)
        return 32;
    if (strcmp(lt, "i64") == 0 || strcmp(lt, "f64") == 0)
        return 64;
    return 0;
}

/* Argument values (no NaN patterns). */
static bool parse_arg(json_t *j, wb_val *v)
{
    const char *t = json_string_value(json_object_get(j, "type"));
    json_t *val = json_object_get(j, "value");
    memset(v, 0, sizeof *v);
    v->type = type_code(t);
    if (!v->type)
        return false;
    if (v->type == WB_V128) {
        int bits = lane_bits(json_string_value(json_object_get(j, "lane_type")));
        if (!bits || !json_is_array(val))
            return false;
        for (size_t i = 0; i < json_array_size(val) && i * bits < 128; i++) {
            uint64_t x = strtoull(json_string_value(json_array_get(val, i)), NULL, 10);
            memcpy(v->of.v128 + i * bits / 8, &x, (size_t)bits / 8);
        }
        return true;
    }
    const char *str = json_string_value(val);
    if (!str)
        return false;
    if (v->type == WB_FUNCREF || v->type == WB_EXTERNREF) {
        if (strcmp(str, "null") != 0) {
            if (v->type == WB_FUNCREF)
                return false;
            v->of.extern_ = extern_ref(strtoull(str, NULL, 10));
        }
        return true;
    }
    uint64_t x = strtoull(str, NULL, 10);
    if (v->type == WB_I32 || v->type == WB_F32)
        v->of.f32_bits = (uint32_t)x;
    else
        v->of.f64_bits = x;
    return true;
}

static bool nan_matches(const char *pattern, uint64_t bits, int width)
{
    uint64_t exp = width == 32 ? 0x7f800000u : 0x7ff0000000000000ull;
    uint64_t quiet = width == 32 ? 0x00400000u : 0x0008000000000000ull;
    uint64_t mant = width == 32 ? 0x007fffffu : 0x000fffffffffffffull;
    if ((bits & exp) != exp || (bits & mant) == 0)
        return false;
    if (strcmp(pattern, "nan:canonical") == 0)
        return (bits & mant) == quiet;
    return (bits & quiet) != 0; /* nan:arithmetic */
}

static bool scalar_matches(const char *str, uint64_t bits, int width, bool is_float)
{
    if (is_float && strncmp(str, "nan:", 4) == 0)
        return nan_matches(str, bits, width);
    uint64_t want = strtoull(str, NULL, 10);
    if (width < 64) {
        want &= (1ull << width) - 1;
        bits &= (1ull << width) - 1;
    }
    return want == bits;
}

static bool result_matches(json_t *j, const wb_val *got)
{
    const char *t = json_string_value(json_object_get(j, "type"));
    json_t *val = json_object_get(j, "value");
    uint8_t type = type_code(t);
    if (type != got->type)
        return false;
    switch (type) {
    case WB_I32:
    case WB_F32:
        return scalar_matches(json_string_value(val), got->of.f32_bits, 32, type == WB_F32);
    case WB_I64:
    case WB_F64:
        return scalar_matches(json_string_value(val), got->of.f64_bits, 64, type == WB_F64);
    case WB_V128: {
        const char *lt = json_string_value(json_object_get(j, "lane_type"));
        int bits = lane_bits(lt);
        bool fl = lt && lt[0] == 'f';
        if (!bits || !json_is_array(val))
            return false;
        for (size_t i = 0; i * bits < 128; i++) {
            uint64_t lane = 0;
            memcpy(&lane, got->of.v128 + i * bits / 8, (size_t)bits / 8);
            const char *ls = json_string_value(json_array_get(val, i));
            if (!ls || !scalar_matches(ls, lane, bits, fl))
                return false;
        }
        return true;
    }
    case WB_FUNCREF: {
        const char *s = json_string_value(val);
        if (!s) /* (ref.func) without an index: any non-null function */
            return got->of.func != NULL;
        return strcmp(s, "null") == 0 ? got->of.func == NULL : got->of.func != NULL;
    }
    case WB_EXTERNREF: {
        const char *s = json_string_value(val);
        if (!s)
            return got->of.extern_ != NULL;
        if (strcmp(s, "null") == 0)
            return got->of.extern_ == NULL;
        return got->of.extern_ == extern_ref(strtoull(s, NULL, 10));
    }
    }
    return false;
}

static void format_val(const wb_val *v, char *buf, size_t n)
{
    switch (v->type) {
    case WB_I32:
    case WB_F32:
        snprintf(buf, n, "%s:%" PRIu32, v->type == WB_I32 ? "i32" : "f32", v->of.f32_bits);
        break;
    case WB_I64:
    case WB_F64:
        snprintf(buf, n, "%s:%" PRIu64, v->type == WB_I64 ? "i64" : "f64", v->of.f64_bits);
        break;
    case WB_V128: {
        uint64_t w[2];
        memcpy(w, v->of.v128, 16);
        snprintf(buf, n, "v128:%016" PRIx64 "%016" PRIx64, w[1], w[0]);
        break;
    }
    default:
        snprintf(buf, n, "%s:%p", v->type == WB_FUNCREF ? "funcref" : "externref", v->of.extern_);
    }
}

/* ---- actions ------------------------------------------------------------------- */

/* Runs an invoke or get action.  Returns the result code; results in out. */
static wb_result run_action(script *s, json_t *a, wb_val *out, uint32_t *nout, wb_error *err)
{
    const char *type = json_string_value(json_object_get(a, "type"));
    const char *modname = json_string_value(json_object_get(a, "module"));
    const char *field = json_string_value(json_object_get(a, "field"));
    *nout = 0;
    err->nframes = 0;
    wb_instance *inst = find_instance(s, modname);
    if (!inst || !field) {
        snprintf(err->message, sizeof err->message, "no module %s", modname ? modname : "(current)");
        return err->code = WB_ERR_NOT_FOUND;
    }
    wb_extern ext;
    /* Export names may hold NUL bytes (names.wast). */
    json_t *jfield = json_object_get(a, "field");
    if (wb_instance_export(inst, field, json_string_length(jfield), &ext) != WB_OK) {
        snprintf(err->message, sizeof err->message, "no export \"%s\"", field);
        return err->code = WB_ERR_NOT_FOUND;
    }
    if (type && strcmp(type, "get") == 0) {
        if (ext.kind != WB_EXTERN_GLOBAL)
            return WB_ERR_NOT_FOUND;
        out[0] = wb_global_get(ext.of.global);
        *nout = 1;
        return WB_OK;
    }
    if (ext.kind != WB_EXTERN_FUNC)
        return WB_ERR_NOT_FOUND;
    json_t *jargs = json_object_get(a, "args");
    wb_val args[MAX_VALUES];
    uint32_t nargs = (uint32_t)json_array_size(jargs);
    if (nargs > MAX_VALUES)
        return WB_ERR_ARG;
    for (uint32_t i = 0; i < nargs; i++)
        if (!parse_arg(json_array_get(jargs, i), &args[i])) {
            snprintf(err->message, sizeof err->message, "bad argument %u", i);
            return err->code = WB_ERR_ARG;
        }
    const wb_functype *ft = wb_func_type(ext.of.func);
    if (ft->nresults > MAX_VALUES || ft->nparams != nargs)
        return WB_ERR_ARG;
    wb_call_opts opts = {0};
    wb_result r = wb_invoke(ext.of.func, args, nargs, out, ft->nresults, &opts, err);
    if (r == WB_OK)
        *nout = ft->nresults;
    return r;
}

/* Expected texts are the reference interpreter's; ours start the same way
 * for traps ("out of bounds memory access" ...). */
static bool text_matches(const char *want, const wb_error *err)
{
    const char *msg = wb_result_message(err->code);
    return strncmp(want, msg, strlen(msg)) == 0 || strstr(err->message, want) != NULL;
}

static void cmd_assert_return(script *s, json_t *cmd)
{
    wb_val out[MAX_VALUES];
    uint32_t n;
    wb_error err;
    wb_result r = run_action(s, json_object_get(cmd, "action"), out, &n, &err);
    if (r != WB_OK) {
        fail(s, "assert_return: %s: %s", wb_result_name(r), err.message);
        return;
    }
    json_t *exp = json_object_get(cmd, "expected");
    if (json_array_size(exp) != n) {
        fail(s, "assert_return: %u results, expected %zu", n, json_array_size(exp));
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        json_t *e = json_array_get(exp, i);
        /* (either v1 v2 ...) alternatives, from the relaxed proposals */
        json_t *either = json_object_get(e, "either");
        bool ok = false;
        if (either) {
            for (size_t k = 0; k < json_array_size(either) && !ok; k++)
                ok = result_matches(json_array_get(either, k), &out[i]);
        } else {
            ok = result_matches(e, &out[i]);
        }
        if (!ok) {
            char got[128];
            format_val(&out[i], got, sizeof got);
            char *want = json_dumps(e, JSON_COMPACT);
            fail(s, "assert_return: result %u: got %s, expected %s", i, got, want);
            free(want);
            return;
        }
    }
    s->passed++;
}

static void cmd_assert_trap(script *s, json_t *cmd, bool exhaustion)
{
    wb_val out[MAX_VALUES];
    uint32_t n;
    wb_error err;
    const char *text = json_string_value(json_object_get(cmd, "text"));
    wb_result r = run_action(s, json_object_get(cmd, "action"), out, &n, &err);
    if (!wb_result_is_trap(r)) {
        fail(s, "expected trap \"%s\", got %s", text, wb_result_name(r));
    } else if (exhaustion ? r != WB_TRAP_STACK_EXHAUSTED : !text_matches(text, &err)) {
        fail(s, "expected trap \"%s\", got \"%s\"", text, err.message);
    } else {
        s->passed++;
    }
}

/* assert_invalid / assert_malformed: loading must fail. */
static void cmd_assert_bad_module(script *s, json_t *cmd, bool malformed)
{
    const char *mtype = json_string_value(json_object_get(cmd, "module_type"));
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    const char *text = json_string_value(json_object_get(cmd, "text"));
    if (mtype && strcmp(mtype, "text") == 0) {
        s->skipped++; /* text-format parsing: issue 3 */
        return;
    }
    wb_module *m = NULL;
    wb_error err;
    wb_result r = load_file(s, filename, &m, &err);
    if (r == WB_OK) {
        fail(s, "module loaded, expected %s \"%s\"", malformed ? "malformed" : "invalid", text);
        wb_module_free(m);
    } else if (r != WB_ERR_MALFORMED && r != WB_ERR_INVALID && r != WB_ERR_LIMIT) {
        fail(s, "expected \"%s\", got %s: %s", text, wb_result_name(r), err.message);
    } else {
        if (getenv("WB_WAST_TEXTS") && !strstr(err.message, text))
            printf("%s:%d: note: expected \"%s\", said \"%s\"\n", s->file, s->line, text, err.message);
        s->passed++;
    }
}

static void cmd_assert_unlinkable(script *s, json_t *cmd, bool trap)
{
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    const char *text = json_string_value(json_object_get(cmd, "text"));
    wb_instance *inst;
    wb_error err;
    wb_result r = instantiate(s, filename, NULL, &inst, &err);
    if (r == WB_OK)
        fail(s, "module instantiated, expected \"%s\"", text);
    else if (trap && !wb_result_is_trap(r))
        fail(s, "expected trap \"%s\", got %s: %s", text, wb_result_name(r), err.message);
    else if (!trap && r != WB_ERR_LINK && r != WB_ERR_MEMORY_LIMIT && r != WB_ERR_TABLE_LIMIT)
        fail(s, "expected link error \"%s\", got %s: %s", text, wb_result_name(r), err.message);
    else
        s->passed++;
}

static void run_command(script *s, json_t *cmd)
{
    const char *type = json_string_value(json_object_get(cmd, "type"));
    s->line = (int)json_integer_value(json_object_get(cmd, "line"));
    if (!type)
        return;
    if (strcmp(type, "module") == 0) {
        wb_instance *inst;
        wb_error err;
        const char *name = json_string_value(json_object_get(cmd, "name"));
        wb_result r =
            instantiate(s, json_string_value(json_object_get(cmd, "filename")), name, &inst, &err);
        s->current = inst;
        if (r != WB_OK)
            fail(s, "module: %s: %s", wb_result_name(r), err.message);
        else
            s->passed++;
    } else if (strcmp(type, "register") == 0) {
        wb_instance *inst = find_instance(s, json_string_value(json_object_get(cmd, "name")));
        const char *as = json_string_value(json_object_get(cmd, "as"));
        if (!inst || !as) {
            fail(s, "register: no such module");
            return;
        }
        if (s->nreg == s->regcap) {
            s->regcap = s->regcap ? 2 * s->regcap : 8;
            s->registered = realloc(s->registered, s->regcap * sizeof *s->registered);
        }
        s->registered[s->nreg++] = (named){strdup(as), inst, NULL};
    } else if (strcmp(type, "action") == 0) {
        wb_val out[MAX_VALUES];
        uint32_t n;
        wb_error err;
        wb_result r = run_action(s, json_object_get(cmd, "action"), out, &n, &err);
        if (r != WB_OK)
            fail(s, "action: %s: %s", wb_result_name(r), err.message);
        else
            s->passed++;
    } else if (strcmp(type, "assert_return") == 0) {
        cmd_assert_return(s, cmd);
    } else if (strcmp(type, "assert_trap") == 0) {
        cmd_assert_trap(s, cmd, false);
    } else if (strcmp(type, "assert_exhaustion") == 0) {
        cmd_assert_trap(s, cmd, true);
    } else if (strcmp(type, "assert_invalid") == 0) {
        cmd_assert_bad_module(s, cmd, false);
    } else if (strcmp(type, "assert_malformed") == 0) {
        cmd_assert_bad_module(s, cmd, true);
    } else if (strcmp(type, "assert_unlinkable") == 0) {
        cmd_assert_unlinkable(s, cmd, false);
    } else if (strcmp(type, "assert_uninstantiable") == 0) {
        cmd_assert_unlinkable(s, cmd, true);
    } else {
        fail(s, "unknown command %s", type);
    }
}

/* wast2json FILE -o DIR/script.json; returns 0 on success. */
static int convert(const char *wast, const char *json)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execlp("wast2json", "wast2json", wast, "-o", json, (char *)NULL);
        fprintf(stderr, "wasmbox: cannot run wast2json: %s (install the wabt package)\n",
                strerror(errno));
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return 0;
}

static void remove_dir(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

int cli_wast(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: wasmbox wast FILE.wast\n");
        return 1;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/wasmbox-wast-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "wasmbox: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    char json_path[4200];
    snprintf(json_path, sizeof json_path, "%s/script.json", dir);
    script s = {.dir = dir, .file = argv[0]};
    int rc = 1;
    if (convert(argv[0], json_path) != 0) {
        fprintf(stderr, "wasmbox: wast2json could not convert %s\n", argv[0]);
        printf("0 passed, 1 failed\n");
        goto out;
    }
    json_error_t jerr;
    json_t *root = json_load_file(json_path, JSON_ALLOW_NUL, &jerr);
    if (!root) {
        fprintf(stderr, "wasmbox: %s: %s\n", json_path, jerr.text);
        printf("0 passed, 1 failed\n");
        goto out;
    }
    json_t *cmds = json_object_get(root, "commands");
    for (size_t i = 0; i < json_array_size(cmds); i++)
        run_command(&s, json_array_get(cmds, i));
    json_decref(root);
    if (s.skipped)
        printf("%d skipped (text-format modules)\n", s.skipped);
    printf("%d passed, %d failed\n", s.passed, s.failed);
    rc = s.failed != 0;
out:
    /* Instances may import from earlier ones: free in reverse order. */
    for (size_t i = s.ninst; i-- > 0;) {
        wb_instance_free(s.instances[i].inst);
        wb_module_free(s.instances[i].mod);
        free(s.instances[i].name);
    }
    for (size_t i = 0; i < s.nreg; i++)
        free(s.registered[i].name);
    free(s.instances);
    free(s.registered);
    spectest_free();
    remove_dir(dir);
    return rc;
}
