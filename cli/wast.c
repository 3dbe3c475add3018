/*
 * wast.c - `wasmbox wast [--stats] FILE.wast`: runs an official spec test
 * script with the engine's own text-format lexer and module parser (src/wat.h).
 *
 * The script is read one command at a time and each is run before the next
 * is parsed, so a module's instance exists when a later command names it.
 * Modules of every form go through wb__wat_module: text is encoded, quoted
 * text is parsed as a module of its own, binary strings are only joined (the
 * decoder judges them).  Hence the two kinds of assert_malformed stay apart:
 * a quoted (or text) module must fail in the parser, a binary one in
 * wb_module_load.
 *
 * Output: one line per failure, "FILE:LINE: FAIL reason" (LINE of the
 * command), then "N passed, M failed".  A syntax error in the script itself
 * (outside any module) stops the run: "FILE:LINE:COL: reason", counted as a
 * failure.  --stats adds, before the summary, the number of text modules that
 * assert_malformed saw rejected ("malformed text modules: N") and how many
 * assertions on a module had their message compared, per kind, and how many
 * assertions a listed difference excused ("messages checked: ...").  --dump DIR
 * writes each module's bytes to DIR (see dump_module).
 *
 * Messages are compared as the reference interpreter's runner does: ours
 * must start with the script's text once its location is taken off (see
 * reason()); where the words deliberately differ, `differences` says so.
 * WB_WAST_TEXTS=1 prints a note for every assertion a difference excused.
 */
#include "cli.h"
#include "wat.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 64
#define MAX_EITHER 8

typedef struct named {
    char *name; /* "$id" of a module, or the "as" bytes of a register */
    size_t len;
    wb_instance *inst;
    wb_module *mod;
} named;

typedef struct script {
    const char *file;
    wb__lex lx;
    wb_error lerr; /* syntax errors of the script itself */
    jmp_buf fatal;
    named *instances; /* every instance made, with its $name if any */
    size_t ninst, cap;
    named *registered;
    size_t nreg, regcap;
    wb_instance *current;
    int passed, failed;
    int malformed_text; /* quoted/text modules assert_malformed saw rejected */
    /* assertions whose error message was compared with the script's, and
     * how many of those a listed difference excused */
    int checked_invalid, checked_malformed, checked_traps, checked_unlinkable, differences;
    uint32_t line;  /* of the command being run */
    void *owned[8]; /* the current command's strings, freed before the next */
    int nowned;
    wb__watmod wm;     /* the current command's module, freed likewise */
    const char *dump;  /* --dump DIR: where modules' bytes go */
    unsigned nmodules; /* modules met so far, numbered as wast2json does */
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
    printf("%s:%u: FAIL ", s->file, s->line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    s->failed++;
}

static void *xmalloc(script *s, size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        wb__lex_fail(&s->lx, NULL, "out of memory");
    return p;
}

/* Strings a command parses live until the next command starts (or the run
 * ends), so a syntax error half-way through a command leaks nothing. */
static void release(script *s)
{
    while (s->nowned > 0)
        free(s->owned[--s->nowned]);
    wb__watmod_free(&s->wm);
}

/* ---- script syntax -------------------------------------------------------- */

static bool at_lpar_kw(script *s, const char *kw)
{
    if (s->lx.cur.kind != WB__TOK_LPAREN)
        return false;
    wb__tok t = wb__lex_peek(&s->lx);
    return wb__tok_is(&t, kw);
}

static void expect(script *s, wb__tokkind kind, const char *kw)
{
    wb__lex_expect(&s->lx, kind, kw);
}

/* The current STRING token, decoded and NUL-terminated (owned by the
 * command); advances. */
static char *string_tok(script *s, size_t *len)
{
    wb__tok t = s->lx.cur;
    if (t.kind != WB__TOK_STRING)
        wb__lex_fail(&s->lx, NULL, "unexpected token, expected a string");
    if (s->nowned == (int)(sizeof s->owned / sizeof s->owned[0]))
        wb__lex_fail(&s->lx, NULL, "too many strings in one command");
    char *buf = xmalloc(s, t.len + 1);
    s->owned[s->nowned++] = buf;
    size_t n = wb__lit_string(&s->lx, &t, (uint8_t *)buf);
    buf[n] = 0;
    if (len)
        *len = n;
    wb__lex_next(&s->lx);
    return buf;
}

/* ---- modules ---------------------------------------------------------------- */

static wb_instance *find_instance(script *s, const wb__tok *id)
{
    if (!id)
        return s->current;
    for (size_t i = s->ninst; i-- > 0;)
        if (s->instances[i].name && s->instances[i].len == id->len &&
            memcmp(s->instances[i].name, id->p, id->len) == 0)
            return s->instances[i].inst;
    return NULL;
}

/* The form of the (module ...) at cur, read ahead without parsing it. */
static wb__watform module_form(script *s)
{
    wb__lex ahead = s->lx;
    wb__lex_next(&ahead);
    wb__lex_next(&ahead);
    if (ahead.cur.kind == WB__TOK_ID)
        wb__lex_next(&ahead);
    if (wb__tok_is(&ahead.cur, "binary"))
        return WB__WATMOD_BINARY;
    if (wb__tok_is(&ahead.cur, "quote"))
        return WB__WATMOD_QUOTE;
    return WB__WATMOD_TEXT;
}

/* --dump: DIR/N.wasm for an encoded text module, DIR/N.bin for a binary
 * one, N counting every module of the script from 0 as wast2json numbers
 * its FILE.N.wasm, so that tests/cli/wat.sh can compare the encodings. */
static void dump_module(script *s, unsigned n, const char *ext, const uint8_t *bytes, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%u.%s", s->dump, n, ext);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(bytes, 1, len, f) != len))
        fprintf(stderr, "wasmbox: cannot write %s\n", path);
    if (f)
        fclose(f);
}

/* Parses the (module ...) at cur into *wm.  A module that does not parse is
 * skipped (the script goes on after it) and false returned, with the reason
 * in *err; a script so broken that the module cannot even be skipped is a
 * fatal syntax error. */
static bool parse_module(script *s, wb__watmod *wm, wb_error *err)
{
    s->nmodules++;
    wb__lex saved = s->lx;
    jmp_buf jb;
    s->lx.jb = &jb;
    s->lx.err = err;
    if (setjmp(jb)) {
        s->lx = saved;
        wb__lex_skip(&s->lx);
        return false;
    }
    wb__wat_module(&s->lx, wm);
    s->lx.jb = saved.jb;
    s->lx.err = saved.err;
    if (s->dump)
        dump_module(s, s->nmodules - 1, wm->form == WB__WATMOD_BINARY ? "bin" : "wasm", wm->bytes,
                    wm->len);
    return true;
}

static wb_result load_watmod(const wb__watmod *wm, wb_module **m, wb_error *err)
{
    wb_result r = wb_module_load(wm->bytes, wm->len, m, err);
    if (r != WB_OK)
        wb__watmod_locate(wm, err);
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
                const named *rg = &s->registered[k];
                if (rg->len == d.module_len && memcmp(rg->name, d.module, d.module_len) == 0)
                    found = wb_instance_export(rg->inst, d.name, d.name_len, &ext[i]) == WB_OK;
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

/* Link and instantiate m (which the script then owns); on success the
 * instance is kept for the rest of the script (registered instances may be
 * imported from later), under `id` if that is a $name. */
static wb_result instantiate_loaded(script *s, wb_module *m, const wb__tok *id, wb_instance **out,
                                    wb_error *err)
{
    *out = NULL;
    wb_result r;
    uint32_t n = wb_module_import_count(m);
    wb_extern *ext = calloc(n + 1, sizeof *ext);
    if (!ext) {
        wb_module_free(m);
        snprintf(err->message, sizeof err->message, "out of memory");
        return err->code = WB_ERR_NOMEM;
    }
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
        size_t cap = s->cap ? 2 * s->cap : 16;
        named *ni = realloc(s->instances, cap * sizeof *ni);
        if (!ni) {
            wb_instance_free(*out);
            wb_module_free(m);
            *out = NULL;
            snprintf(err->message, sizeof err->message, "out of memory");
            return err->code = WB_ERR_NOMEM;
        }
        s->instances = ni;
        s->cap = cap;
    }
    named e = {NULL, 0, *out, m};
    if (id && r == WB_OK && id->kind == WB__TOK_ID) {
        e.len = id->len;
        e.name = xmalloc(s, e.len);
        memcpy(e.name, id->p, e.len);
    }
    s->instances[s->ninst++] = e;
    if (r != WB_OK)
        *out = NULL;
    return r;
}

/* Load wm, then as instantiate_loaded (named when `bind`). */
static wb_result instantiate(script *s, const wb__watmod *wm, bool bind, wb_instance **out,
                             wb_error *err)
{
    wb_module *m = NULL;
    *out = NULL;
    wb_result r = load_watmod(wm, &m, err);
    if (r != WB_OK)
        return r;
    return instantiate_loaded(s, m, bind ? &wm->id : NULL, out, err);
}

/* ---- values ------------------------------------------------------------------ */

enum { NAN_NONE, NAN_CANONICAL, NAN_ARITHMETIC };

/* A constant of the script: an argument, or an expected result (which may
 * be a NaN pattern per float lane, or any non-null reference). */
typedef struct constant {
    wb_val val;
    uint8_t lane_bits; /* v128: the shape's lane width */
    bool lane_float;   /* v128: f32x4 / f64x2 */
    uint8_t nan[16];   /* NAN_* per lane (a scalar uses nan[0]) */
    bool any;          /* (ref.func) / (ref.extern) with no index */
    const char *text;  /* its source, for messages */
    uint32_t text_len;
} constant;

/* Externref n of the script is the host pointer n + 1, so ref.extern 0 is
 * not null. */
static void *extern_ref(uint64_t n)
{
    return (void *)(uintptr_t)(n + 1);
}

static uint8_t nan_kind(const wb__tok *t)
{
    if (wb__tok_is(t, "nan:canonical"))
        return NAN_CANONICAL;
    if (wb__tok_is(t, "nan:arithmetic"))
        return NAN_ARITHMETIC;
    return NAN_NONE;
}

/* A float lane or scalar: bits, or a NaN pattern when `pattern`. */
static uint64_t float_lit(script *s, unsigned bits, bool pattern, uint8_t *nan)
{
    wb__lex *lx = &s->lx;
    uint8_t k = nan_kind(&lx->cur);
    if (k && !pattern)
        wb__lex_fail(lx, NULL, "a NaN pattern is only allowed in a result");
    *nan = k;
    uint64_t v = 0;
    if (!k)
        v = bits == 32 ? wb__lit_f32(lx, &lx->cur) : wb__lit_f64(lx, &lx->cur);
    wb__lex_next(lx);
    return v;
}

static void v128_lanes(script *s, constant *c, bool pattern)
{
    wb__lex *lx = &s->lx;
    static const struct {
        const char *shape;
        uint8_t bits;
        bool fl;
    } shapes[] = {{"i8x16", 8, false},  {"i16x8", 16, false}, {"i32x4", 32, false},
                  {"i64x2", 64, false}, {"f32x4", 32, true},  {"f64x2", 64, true}};
    size_t k = 0;
    while (k < 6 && !wb__tok_is(&lx->cur, shapes[k].shape))
        k++;
    if (k == 6)
        wb__lex_fail(lx, NULL, "unexpected token, expected a v128 shape");
    wb__lex_next(lx);
    c->lane_bits = shapes[k].bits;
    c->lane_float = shapes[k].fl;
    unsigned lanes = 128u / c->lane_bits, nb = c->lane_bits / 8u;
    for (unsigned i = 0; i < lanes; i++) {
        if (lx->cur.kind == WB__TOK_RPAREN || lx->cur.kind == WB__TOK_EOF)
            wb__lex_fail(lx, NULL, "wrong number of lane literals");
        uint64_t v;
        if (c->lane_float) {
            v = float_lit(s, c->lane_bits, pattern, &c->nan[i]);
        } else {
            v = wb__lit_int(lx, &lx->cur, c->lane_bits);
            wb__lex_next(lx);
        }
        memcpy(c->val.of.v128 + i * nb, &v, nb); /* little-endian lanes */
    }
}

/* ( i32.const n ) and the others; the result forms when `result`. */
static void parse_const(script *s, constant *c, bool result)
{
    wb__lex *lx = &s->lx;
    memset(c, 0, sizeof *c);
    c->text = lx->cur.p;
    expect(s, WB__TOK_LPAREN, NULL);
    wb__tok op = lx->cur;
    if (op.kind != WB__TOK_KEYWORD)
        wb__lex_fail(lx, NULL, "unexpected token, expected a constant");
    wb__lex_next(lx);
    if (wb__tok_is(&op, "i32.const")) {
        c->val.type = WB_I32;
        c->val.of.f32_bits = (uint32_t)wb__lit_int(lx, &lx->cur, 32);
        wb__lex_next(lx);
    } else if (wb__tok_is(&op, "i64.const")) {
        c->val.type = WB_I64;
        c->val.of.f64_bits = wb__lit_int(lx, &lx->cur, 64);
        wb__lex_next(lx);
    } else if (wb__tok_is(&op, "f32.const")) {
        c->val.type = WB_F32;
        c->val.of.f32_bits = (uint32_t)float_lit(s, 32, result, &c->nan[0]);
    } else if (wb__tok_is(&op, "f64.const")) {
        c->val.type = WB_F64;
        c->val.of.f64_bits = float_lit(s, 64, result, &c->nan[0]);
    } else if (wb__tok_is(&op, "v128.const")) {
        c->val.type = WB_V128;
        v128_lanes(s, c, result);
    } else if (wb__tok_is(&op, "ref.null")) {
        if (wb__tok_is(&lx->cur, "func") || wb__tok_is(&lx->cur, "funcref"))
            c->val.type = WB_FUNCREF;
        else if (wb__tok_is(&lx->cur, "extern") || wb__tok_is(&lx->cur, "externref"))
            c->val.type = WB_EXTERNREF;
        else
            wb__lex_fail(lx, NULL, "unexpected token, expected func or extern");
        wb__lex_next(lx);
    } else if (wb__tok_is(&op, "ref.extern")) {
        c->val.type = WB_EXTERNREF;
        if (lx->cur.kind == WB__TOK_NUMBER) {
            c->val.of.extern_ = extern_ref(wb__lit_nat(lx, &lx->cur, UINT32_MAX));
            wb__lex_next(lx);
        } else if (result) {
            c->any = true;
        } else {
            wb__lex_fail(lx, NULL, "unexpected token, expected a number");
        }
    } else if (wb__tok_is(&op, "ref.func") && result) {
        /* The script cannot name a function of an instance; any non-null
         * reference matches. */
        c->val.type = WB_FUNCREF;
        c->any = true;
        if (lx->cur.kind == WB__TOK_NUMBER || lx->cur.kind == WB__TOK_ID)
            wb__lex_next(lx);
    } else {
        wb__lex_fail(lx, &op, "unknown operator %.*s", (int)(op.len > 40 ? 40 : op.len), op.p);
    }
    c->text_len = (uint32_t)(lx->cur.p + 1 - c->text);
    expect(s, WB__TOK_RPAREN, NULL);
}

static bool nan_matches(uint8_t kind, uint64_t bits, int width)
{
    uint64_t exp = width == 32 ? 0x7f800000u : 0x7ff0000000000000ull;
    uint64_t quiet = width == 32 ? 0x00400000u : 0x0008000000000000ull;
    uint64_t mant = width == 32 ? 0x007fffffu : 0x000fffffffffffffull;
    if ((bits & exp) != exp || (bits & mant) == 0)
        return false;
    if (kind == NAN_CANONICAL)
        return (bits & mant) == quiet;
    return (bits & quiet) != 0; /* nan:arithmetic */
}

static bool lane_matches(uint8_t nan, uint64_t want, uint64_t bits, int width)
{
    if (nan)
        return nan_matches(nan, bits, width);
    if (width < 64) {
        want &= (1ull << width) - 1;
        bits &= (1ull << width) - 1;
    }
    return want == bits;
}

static bool result_matches(const constant *e, const wb_val *got)
{
    if (e->val.type != got->type)
        return false;
    switch (e->val.type) {
    case WB_I32:
    case WB_F32:
        return lane_matches(e->nan[0], e->val.of.f32_bits, got->of.f32_bits, 32);
    case WB_I64:
    case WB_F64:
        return lane_matches(e->nan[0], e->val.of.f64_bits, got->of.f64_bits, 64);
    case WB_V128: {
        unsigned nb = e->lane_bits / 8u;
        for (unsigned i = 0; i * e->lane_bits < 128; i++) {
            uint64_t want = 0, lane = 0;
            memcpy(&want, e->val.of.v128 + i * nb, nb);
            memcpy(&lane, got->of.v128 + i * nb, nb);
            if (!lane_matches(e->nan[i], want, lane, e->lane_bits))
                return false;
        }
        return true;
    }
    case WB_FUNCREF:
        return e->any ? got->of.func != NULL : got->of.func == NULL;
    case WB_EXTERNREF:
        return e->any ? got->of.extern_ != NULL : got->of.extern_ == e->val.of.extern_;
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

typedef struct action {
    bool get;
    bool has_module;
    wb__tok module; /* $id, when has_module */
    char *field;    /* export name (may hold NUL bytes) */
    size_t field_len;
    wb_val args[MAX_VALUES];
    uint32_t nargs;
} action;

/* ( invoke $id? "name" const* ) | ( get $id? "name" ) */
static void parse_action(script *s, action *a)
{
    wb__lex *lx = &s->lx;
    memset(a, 0, sizeof *a);
    expect(s, WB__TOK_LPAREN, NULL);
    if (wb__tok_is(&lx->cur, "get"))
        a->get = true;
    else if (!wb__tok_is(&lx->cur, "invoke"))
        wb__lex_fail(lx, NULL, "unexpected token, expected invoke or get");
    wb__lex_next(lx);
    if (lx->cur.kind == WB__TOK_ID) {
        a->has_module = true;
        a->module = lx->cur;
        wb__lex_next(lx);
    }
    a->field = string_tok(s, &a->field_len);
    while (!a->get && lx->cur.kind == WB__TOK_LPAREN) {
        if (a->nargs == MAX_VALUES)
            wb__lex_fail(lx, NULL, "more than %d arguments", MAX_VALUES);
        constant c;
        parse_const(s, &c, false);
        a->args[a->nargs++] = c.val;
    }
    expect(s, WB__TOK_RPAREN, NULL);
}

/* Runs an invoke or get action.  Returns the result code; results in out. */
static wb_result run_action(script *s, const action *a, wb_val *out, uint32_t *nout, wb_error *err)
{
    *nout = 0;
    err->nframes = 0;
    wb_instance *inst = find_instance(s, a->has_module ? &a->module : NULL);
    if (!inst) {
        snprintf(err->message, sizeof err->message, "no module %.*s",
                 a->has_module ? (int)a->module.len : 9, a->has_module ? a->module.p : "(current)");
        return err->code = WB_ERR_NOT_FOUND;
    }
    wb_extern ext;
    if (wb_instance_export(inst, a->field, a->field_len, &ext) != WB_OK) {
        snprintf(err->message, sizeof err->message, "no export \"%s\"", a->field);
        return err->code = WB_ERR_NOT_FOUND;
    }
    if (a->get) {
        if (ext.kind != WB_EXTERN_GLOBAL) {
            snprintf(err->message, sizeof err->message, "\"%s\" is not a global", a->field);
            return err->code = WB_ERR_NOT_FOUND;
        }
        out[0] = wb_global_get(ext.of.global);
        *nout = 1;
        return WB_OK;
    }
    if (ext.kind != WB_EXTERN_FUNC) {
        snprintf(err->message, sizeof err->message, "\"%s\" is not a function", a->field);
        return err->code = WB_ERR_NOT_FOUND;
    }
    const wb_functype *ft = wb_func_type(ext.of.func);
    if (ft->nresults > MAX_VALUES || ft->nparams != a->nargs) {
        snprintf(err->message, sizeof err->message, "\"%s\" takes %u arguments, %u given", a->field,
                 ft->nparams, a->nargs);
        return err->code = WB_ERR_ARG;
    }
    wb_call_opts opts = {0};
    wb_result r = wb_invoke(ext.of.func, a->args, a->nargs, out, ft->nresults, &opts, err);
    if (r == WB_OK)
        *nout = ft->nresults;
    return r;
}

/* ---- expected messages ------------------------------------------------------------ */

/* Where the engine's words deliberately differ from the spec's: the script's
 * text, how our reason starts, the result we give instead, and why.  Only
 * that exact pair is excused, so a new wording is a failure until it is
 * listed here with its reason. */
static const struct difference {
    const char *want;
    const char *ours;
    wb_result code;
    const char *why;
} differences[] = {
    {"unexpected end", "unknown type", WB_ERR_INVALID,
     "compile.c decodes and validates a body in one pass, so a block type past the type section "
     "fails before the reference decoder's first error, the body ending inside its blocks "
     "(binary.wast: a br_table with more targets than its count)"},
    {"unknown data segment", "data count section required", WB_ERR_MALFORMED,
     "the text encoder writes a data count section only when the module has data, as wabt does "
     "(tests/cli/wat.sh compares the two byte for byte), so data.drop 0 in a module without data "
     "fails decoding instead of validation"},
    {"invalid result arity", "type mismatch", WB_ERR_INVALID,
     "the text encoder writes (select (result)) as the untyped select, as wabt does, so the "
     "validator sees a select of no values rather than a result list of the wrong length"},
    {"END opcode expected", "section size mismatch: END opcode expected", WB_ERR_MALFORMED,
     "the decoder checks a body's last byte where its size says it ends, and does not read on "
     "past it as the reference decoder does; what that reports depends on the bytes after "
     "(binary.wast: else after the body gives this text, the next section's 0x0b a size mismatch)"},
    {"uninitialized element 2", "uninitialized element", WB_TRAP_UNINITIALIZED_ELEMENT,
     "a trap is a result code with its fixed text plus where it happened; call_indirect does not "
     "carry the element's index out to the message"},
};

/* msg past what `fmt` (ending in %n) matches at its start, or NULL. */
static const char *past(const char *msg, const char *fmt)
{
    int n = 0;
    sscanf(msg, fmt, &n);
    return n ? msg + n : NULL;
}

/* The reason of an engine message: what follows its location ("section 10,
 * offset 0x1f3: ", "offset 0x8: ", or "12:5: " for a text position) and the
 * compiler's "function 3: " or "function 3 ($f): ". */
static const char *reason(const char *msg)
{
    const char *p;
    if ((p = past(msg, "section %*u, offset 0x%*x: %n")) || (p = past(msg, "offset 0x%*x: %n")) ||
        (p = past(msg, "%*u:%*u: %n")))
        msg = p;
    if ((p = past(msg, "function %*u: %n")) || (p = past(msg, "function %*u ($%*[^)]): %n")))
        msg = p;
    return msg;
}

/* As the reference interpreter's runner: the message must start with the
 * expected text ("unknown memory" for our "unknown memory 0"). */
static bool says(const char *msg, const char *want)
{
    return strncmp(reason(msg), want, strlen(want)) == 0;
}

/* An error of `code` saying `msg` where the script expected `want`: true
 * when the kind is right (`kind_ok`) and the reason starts with `want`, or
 * when it is a listed difference. */
static bool message_ok(script *s, const char *want, bool kind_ok, wb_result code, const char *msg)
{
    if (kind_ok && says(msg, want))
        return true;
    for (size_t i = 0; i < sizeof differences / sizeof differences[0]; i++) {
        const struct difference *d = &differences[i];
        if (code == d->code && strcmp(want, d->want) == 0 && says(msg, d->ours)) {
            s->differences++;
            if (getenv("WB_WAST_TEXTS"))
                printf("%s:%u: note: expected \"%s\", said \"%s\": %s\n", s->file, s->line, want,
                       msg, d->why);
            return true;
        }
    }
    return false;
}

/* ---- commands ------------------------------------------------------------------ */

static void cmd_module(script *s)
{
    wb__watmod *wm = &s->wm;
    wb_error err;
    if (!parse_module(s, wm, &err)) {
        s->current = NULL;
        fail(s, "module does not parse: %s", err.message);
        return;
    }
    wb_instance *inst;
    wb_result r = instantiate(s, wm, true, &inst, &err);
    wb__watmod_free(wm);
    s->current = inst;
    if (r != WB_OK)
        fail(s, "module: %s: %s", wb_result_name(r), err.message);
    else
        s->passed++;
}

/* ( register "as" $id? ) after its "register" */
static void cmd_register(script *s)
{
    size_t len;
    const char *as = string_tok(s, &len);
    wb__tok id = s->lx.cur;
    bool has_id = id.kind == WB__TOK_ID;
    if (has_id)
        wb__lex_next(&s->lx);
    expect(s, WB__TOK_RPAREN, NULL);
    wb_instance *inst = find_instance(s, has_id ? &id : NULL);
    if (!inst) {
        fail(s, "register: no such module");
        return;
    }
    if (s->nreg == s->regcap) {
        size_t cap = s->regcap ? 2 * s->regcap : 8;
        named *nr = realloc(s->registered, cap * sizeof *nr);
        if (!nr)
            wb__lex_fail(&s->lx, NULL, "out of memory");
        s->registered = nr;
        s->regcap = cap;
    }
    named rg = {xmalloc(s, len), len, inst, NULL};
    memcpy(rg.name, as, len);
    s->registered[s->nreg++] = rg;
}

static void cmd_action(script *s)
{
    action a;
    parse_action(s, &a);
    wb_val out[MAX_VALUES];
    uint32_t n;
    wb_error err;
    wb_result r = run_action(s, &a, out, &n, &err);
    if (r != WB_OK)
        fail(s, "action: %s: %s", wb_result_name(r), err.message);
    else
        s->passed++;
}

/* ( assert_return action result* ) after its keyword; a result may be
 * ( either result+ ). */
static void cmd_assert_return(script *s)
{
    wb__lex *lx = &s->lx;
    action a;
    parse_action(s, &a);
    constant exp[MAX_VALUES][MAX_EITHER];
    uint32_t nalt[MAX_VALUES], nexp = 0;
    while (lx->cur.kind == WB__TOK_LPAREN) {
        if (nexp == MAX_VALUES)
            wb__lex_fail(lx, NULL, "more than %d results", MAX_VALUES);
        nalt[nexp] = 0;
        if (at_lpar_kw(s, "either")) {
            wb__lex_next(lx);
            wb__lex_next(lx);
            while (lx->cur.kind == WB__TOK_LPAREN) {
                if (nalt[nexp] == MAX_EITHER)
                    wb__lex_fail(lx, NULL, "more than %d alternatives", MAX_EITHER);
                parse_const(s, &exp[nexp][nalt[nexp]++], true);
            }
            expect(s, WB__TOK_RPAREN, NULL);
        } else {
            parse_const(s, &exp[nexp][nalt[nexp]++], true);
        }
        nexp++;
    }
    expect(s, WB__TOK_RPAREN, NULL);

    wb_val out[MAX_VALUES];
    uint32_t n;
    wb_error err;
    wb_result r = run_action(s, &a, out, &n, &err);
    if (r != WB_OK) {
        fail(s, "assert_return: %s: %s", wb_result_name(r), err.message);
        return;
    }
    if (n != nexp) {
        fail(s, "assert_return: %u results, expected %u", n, nexp);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        bool ok = false;
        for (uint32_t k = 0; k < nalt[i] && !ok; k++)
            ok = result_matches(&exp[i][k], &out[i]);
        if (!ok) {
            char got[128];
            format_val(&out[i], got, sizeof got);
            const constant *e = &exp[i][0];
            fail(s, "assert_return: result %u: got %s, expected %.*s%s", i, got,
                 (int)(e->text_len > 200 ? 200 : e->text_len), e->text,
                 nalt[i] > 1 ? " (or ...)" : "");
            return;
        }
    }
    s->passed++;
}

/* assert_trap / assert_exhaustion on an action, after the keyword. */
static void cmd_assert_trap(script *s, bool exhaustion)
{
    action a;
    parse_action(s, &a);
    char *text = string_tok(s, NULL);
    expect(s, WB__TOK_RPAREN, NULL);
    wb_val out[MAX_VALUES];
    uint32_t n;
    wb_error err;
    wb_result r = run_action(s, &a, out, &n, &err);
    if (!wb_result_is_trap(r))
        fail(s, "expected trap \"%s\", got %s%s%s", text, wb_result_name(r), r ? ": " : "",
             r ? err.message : "");
    else if (!message_ok(s, text, exhaustion ? r == WB_TRAP_STACK_EXHAUSTED : true, r, err.message))
        fail(s, "expected trap \"%s\", got \"%s\"", text, err.message);
    else
        s->passed++;
}

/* assert_malformed / assert_invalid, after the keyword.  A quoted or text
 * module is malformed when the parser rejects it; a binary one when the
 * decoder does (WB_ERR_MALFORMED).  An invalid module must parse and then
 * fail validation (WB_ERR_INVALID).  Either way the message must say what
 * the script expects. */
static void cmd_assert_bad_module(script *s, bool malformed)
{
    if (!at_lpar_kw(s, "module"))
        wb__lex_fail(&s->lx, NULL, "unexpected token, expected (module ...)");
    wb__watform form = module_form(s);
    wb__watmod *wm = &s->wm;
    wb_error err;
    bool parsed = parse_module(s, wm, &err);
    char *text = string_tok(s, NULL);
    expect(s, WB__TOK_RPAREN, NULL);
    const char *what = malformed ? "malformed" : "invalid";
    if (!parsed) {
        if (!malformed || form == WB__WATMOD_BINARY) {
            fail(s, "expected %s \"%s\", but the module does not parse: %s", what, text,
                 err.message);
        } else if (!message_ok(s, text, true, err.code, err.message)) {
            fail(s, "expected malformed \"%s\", the parser said \"%s\"", text, err.message);
        } else {
            s->malformed_text++;
            s->checked_malformed++;
            s->passed++;
        }
        return;
    }
    if (malformed && form != WB__WATMOD_BINARY) {
        fail(s, "the text module parsed, expected malformed \"%s\"", text);
        wb__watmod_free(wm);
        return;
    }
    wb_module *m = NULL;
    wb_result r = load_watmod(wm, &m, &err);
    wb__watmod_free(wm);
    if (r == WB_OK) {
        fail(s, "module loaded, expected %s \"%s\"", what, text);
        wb_module_free(m);
    } else if (!message_ok(s, text, r == (malformed ? WB_ERR_MALFORMED : WB_ERR_INVALID), r,
                           err.message)) {
        fail(s, "expected %s \"%s\", got %s: %s", what, text, wb_result_name(r), err.message);
    } else {
        if (malformed)
            s->checked_malformed++;
        else
            s->checked_invalid++;
        s->passed++;
    }
}

/* assert_unlinkable, or assert_trap / assert_uninstantiable on a module
 * (`trap`), after the keyword.  The link error's or trap's message must say
 * what the script expects. */
static void cmd_assert_unlinkable(script *s, bool trap)
{
    wb__watmod *wm = &s->wm;
    wb_error err;
    bool parsed = parse_module(s, wm, &err);
    char *text = string_tok(s, NULL);
    expect(s, WB__TOK_RPAREN, NULL);
    if (!parsed) {
        fail(s, "module does not parse: %s", err.message);
        return;
    }
    wb_instance *inst;
    wb_result r = instantiate(s, wm, false, &inst, &err);
    wb__watmod_free(wm);
    if (r == WB_OK) {
        fail(s, "module instantiated, expected \"%s\"", text);
    } else if (trap) {
        if (!message_ok(s, text, wb_result_is_trap(r), r, err.message)) {
            fail(s, "expected trap \"%s\", got %s: %s", text, wb_result_name(r), err.message);
            return;
        }
        s->checked_traps++;
        s->passed++;
    } else if (!message_ok(s, text,
                           r == WB_ERR_LINK || r == WB_ERR_MEMORY_LIMIT || r == WB_ERR_TABLE_LIMIT,
                           r, err.message)) {
        fail(s, "expected link error \"%s\", got %s: %s", text, wb_result_name(r), err.message);
    } else {
        s->checked_unlinkable++;
        s->passed++;
    }
}

static void run_command(script *s)
{
    wb__lex *lx = &s->lx;
    release(s);
    if (lx->cur.kind != WB__TOK_LPAREN)
        wb__lex_fail(lx, NULL, "unexpected token, expected a command");
    s->line = lx->cur.line;
    wb__tok kw = wb__lex_peek(lx);
    if (wb__tok_is(&kw, "module")) {
        cmd_module(s);
        return;
    }
    if (wb__tok_is(&kw, "invoke") || wb__tok_is(&kw, "get")) {
        cmd_action(s);
        return;
    }
    wb__lex_next(lx);
    wb__lex_next(lx);
    if (wb__tok_is(&kw, "register"))
        cmd_register(s);
    else if (wb__tok_is(&kw, "assert_return"))
        cmd_assert_return(s);
    else if (wb__tok_is(&kw, "assert_trap") && at_lpar_kw(s, "module"))
        cmd_assert_unlinkable(s, true);
    else if (wb__tok_is(&kw, "assert_trap"))
        cmd_assert_trap(s, false);
    else if (wb__tok_is(&kw, "assert_exhaustion"))
        cmd_assert_trap(s, true);
    else if (wb__tok_is(&kw, "assert_invalid"))
        cmd_assert_bad_module(s, false);
    else if (wb__tok_is(&kw, "assert_malformed"))
        cmd_assert_bad_module(s, true);
    else if (wb__tok_is(&kw, "assert_unlinkable"))
        cmd_assert_unlinkable(s, false);
    else if (wb__tok_is(&kw, "assert_uninstantiable"))
        cmd_assert_unlinkable(s, true);
    else if (kw.kind == WB__TOK_KEYWORD)
        wb__lex_fail(lx, &kw, "unknown command %.*s", (int)(kw.len > 40 ? 40 : kw.len), kw.p);
    else
        wb__lex_fail(lx, &kw, "unexpected token, expected a command");
}

/* A script may be a module's fields alone ("(func) (memory 0)"): one
 * module, instantiated as the script's only command. */
static bool inline_module(script *s, const char *text, size_t len)
{
    static const char *const fields[] = {"type",   "import", "func",  "table", "memory",
                                         "global", "export", "start", "elem",  "data"};
    if (s->lx.cur.kind != WB__TOK_LPAREN)
        return false;
    wb__tok kw = wb__lex_peek(&s->lx);
    size_t i = 0;
    while (i < sizeof fields / sizeof fields[0] && !wb__tok_is(&kw, fields[i]))
        i++;
    if (i == sizeof fields / sizeof fields[0])
        return false;
    s->line = s->lx.cur.line;
    wb_module *m;
    wb_instance *inst;
    wb_error err;
    if (s->dump) {
        uint8_t *bin;
        size_t blen;
        if (wb_wat_to_wasm(text, len, &bin, &blen, &err) == WB_OK)
            dump_module(s, 0, "wasm", bin, blen);
        wb_free(bin);
    }
    wb_result r = wb_module_from_wat(text, len, &m, &err);
    if (r == WB_OK)
        r = instantiate_loaded(s, m, NULL, &inst, &err);
    s->current = r == WB_OK ? inst : NULL;
    if (r != WB_OK)
        fail(s, "module: %s: %s", wb_result_name(r), err.message);
    else
        s->passed++;
    return true;
}

/* Every command; false after a syntax error of the script (in s->lerr).
 * setjmp is here, in a function whose locals do not change after it: the
 * state lives in *s. */
static bool run_commands(script *s, const char *text, size_t len)
{
    if (setjmp(s->fatal))
        return false;
    wb__lex_init(&s->lx, text, len, &s->lerr, &s->fatal);
    if (inline_module(s, text, len))
        return true;
    while (s->lx.cur.kind != WB__TOK_EOF)
        run_command(s);
    return true;
}

int cli_wast(int argc, char **argv)
{
    bool stats = false;
    const char *dump = NULL;
    int a = 0;
    for (; a < argc - 1; a++) {
        if (strcmp(argv[a], "--stats") == 0)
            stats = true;
        else if (strcmp(argv[a], "--dump") == 0 && a + 2 < argc)
            dump = argv[++a];
        else
            break;
    }
    if (a != argc - 1) {
        fprintf(stderr, "usage: wasmbox wast [--stats] [--dump DIR] FILE.wast\n");
        return 1;
    }
    const char *path = argv[a];
    size_t len;
    uint8_t *text = cli_read_file(path, &len);
    if (!text) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    script *s = calloc(1, sizeof *s);
    if (!s) {
        free(text);
        fprintf(stderr, "wasmbox: out of memory\n");
        return 1;
    }
    s->file = path;
    s->dump = dump;
    if (!run_commands(s, (const char *)text, len)) {
        printf("%s:%s\n", path, s->lerr.message);
        s->failed++;
    }
    if (stats) {
        printf("malformed text modules: %d\n", s->malformed_text);
        printf("messages checked: %d invalid, %d malformed, %d instantiation traps, %d unlinkable, "
               "%d listed differences\n",
               s->checked_invalid, s->checked_malformed, s->checked_traps, s->checked_unlinkable,
               s->differences);
    }
    printf("%d passed, %d failed\n", s->passed, s->failed);
    int rc = s->failed != 0;
    /* Instances may import from earlier ones: free in reverse order. */
    for (size_t i = s->ninst; i-- > 0;) {
        wb_instance_free(s->instances[i].inst);
        wb_module_free(s->instances[i].mod);
        free(s->instances[i].name);
    }
    for (size_t i = 0; i < s->nreg; i++)
        free(s->registered[i].name);
    free(s->instances);
    free(s->registered);
    release(s);
    free(s);
    free(text);
    spectest_free();
    return rc;
}
