/*
 * guestcall.c - a small host of UDF guests over the engine's API, for the
 * guest tests and benchmark (tests/guests/run.sh, bench/guests.sh): it calls
 * an export as a database does, through the canonical ABI, with the SQL
 * signature the module declares in its `wasmbox.sql` custom section.
 *
 *   guestcall FILE.wasm FUNC [ARG...]           one call; prints the result
 *   guestcall --agg FILE.wasm STEP FINAL [X...]  an aggregate: state '' then
 *                                               STEP(state, x) per x, FINAL(state)
 *   guestcall --bench N FILE.wasm FUNC [ARG...]  N calls; prints ns per call
 *   guestcall --sig FILE.wasm                    the declared signatures
 *
 * Arguments and results are written as PostgreSQL writes them: integers,
 * floats in their shortest exact form, t/f, text as is, bytea as \x hex
 * (an argument may be given so too).  Exit status: 0 ok; 1 usage, load or
 * ABI error; 2 the call trapped; 3 a text result that is not UTF-8.
 *
 * A trap prints "trap: <engine message>" and, when the guest left one
 * (sdk/rust, sdk/assemblyscript: the exported i32 global
 * `wasmbox_trap_message` holds the address of a (ptr, len) pair pointing
 * at UTF-8 bytes), "message: <the guest's message>".  That is the reading a
 * host does to show a panic's message; see docs/guests.md.
 */
#include "wasmbox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ARGS 16

typedef enum kind { K_INT4, K_INT8, K_FLOAT4, K_FLOAT8, K_BOOL, K_TEXT, K_BYTEA, K_VOID } kind;

typedef struct sig {
    int nargs;
    kind args[MAX_ARGS];
    kind ret;
} sig;

typedef struct host {
    wb_module *mod;
    wb_instance *inst;
    wb_memory *mem;
    wb_func *realloc;
    wb_call *call;
    const uint8_t *bytes; /* the module file */
    size_t len;
} host;

/* A value as the host holds it: scalars in a cell, text/bytea as bytes. */
typedef struct value {
    uint64_t cell;
    uint8_t *bytes;
    uint32_t len;
} value;

static void die(const char *what)
{
    fprintf(stderr, "guestcall: %s\n", what);
    exit(1);
}

/* ---- the wasmbox.sql section ---------------------------------------------------------- */

static uint32_t leb(const uint8_t **p, const uint8_t *end)
{
    uint32_t v = 0;
    for (int s = 0; *p < end && s < 35; s += 7) {
        uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 0x7f) << s;
        if (!(b & 0x80))
            return v;
    }
    die("bad LEB128 in the module");
    return 0;
}

/* The text of the custom section `wasmbox.sql`, or NULL. */
static char *sql_section(const uint8_t *b, size_t n)
{
    const uint8_t *p = b + 8, *end = b + n;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size = leb(&p, end);
        const uint8_t *next = p + size;
        if (next > end)
            die("truncated section");
        if (id == 0) {
            uint32_t nl = leb(&p, next);
            if (nl == 11 && p + nl <= next && memcmp(p, "wasmbox.sql", 11) == 0) {
                p += nl;
                char *s = malloc(next - p + 1);
                memcpy(s, p, next - p);
                s[next - p] = 0;
                return s;
            }
        }
        p = next;
    }
    return NULL;
}

static kind type_kind(const char *t, size_t n)
{
    static const struct {
        const char *name;
        kind k;
    } names[] = {{"integer", K_INT4},          {"bigint", K_INT8},        {"real", K_FLOAT4},
                 {"double precision", K_FLOAT8}, {"boolean", K_BOOL},       {"text", K_TEXT},
                 {"bytea", K_BYTEA},            {"void", K_VOID}};
    while (n && *t == ' ')
        t++, n--;
    while (n && t[n - 1] == ' ')
        n--;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && memcmp(names[i].name, t, n) == 0)
            return names[i].k;
    fprintf(stderr, "guestcall: unknown SQL type '%.*s'\n", (int)n, t);
    exit(1);
}

/* The declared signature of `func`, else one from its wasm type. */
static sig find_sig(host *h, const char *func, wb_func *f)
{
    sig s = {0};
    char *sec = sql_section(h->bytes, h->len);
    size_t fl = strlen(func);
    for (char *line = sec; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        if (ll > fl && memcmp(line, func, fl) == 0 && line[fl] == '(') {
            char *close = memchr(line, ')', ll), *arrow = strstr(line, "->");
            if (!close || !arrow)
                die("bad line in wasmbox.sql");
            for (char *a = line + fl + 1; a < close;) {
                char *c = memchr(a, ',', close - a);
                char *e = c ? c : close;
                if (e > a && s.nargs < MAX_ARGS)
                    s.args[s.nargs++] = type_kind(a, e - a);
                a = e + 1;
            }
            s.ret = type_kind(arrow + 2, line + ll - arrow - 2);
            free(sec);
            return s;
        }
        line = nl ? nl + 1 : line + ll;
    }
    free(sec);
    const wb_functype *ft = wb_func_type(f);
    if (ft->nparams > MAX_ARGS)
        die("too many parameters");
    for (uint32_t i = 0; i <= ft->nparams; i++) {
        if (i == ft->nparams && ft->nresults == 0) {
            s.ret = K_VOID;
            break;
        }
        uint8_t t = ft->types[i];
        kind k = t == WB_I32 ? K_INT4 : t == WB_I64 ? K_INT8 : t == WB_F32 ? K_FLOAT4 : K_FLOAT8;
        if (i < ft->nparams)
            s.args[s.nargs++] = k;
        else
            s.ret = k;
    }
    return s;
}

/* ---- calls ------------------------------------------------------------------------------ */

/* The guest's own message after a trap, or NULL (a static buffer). */
static const char *guest_message(host *h)
{
    static char buf[1025];
    wb_extern ex;
    if (wb_instance_export(h->inst, "wasmbox_trap_message", 20, &ex) != WB_OK || ex.kind != WB_EXTERN_GLOBAL ||
        !h->mem)
        return NULL;
    wb_val g = wb_global_get(ex.of.global);
    if (g.type != WB_I32)
        return NULL;
    uint32_t pl[2];
    if (wb_memory_read(h->mem, (uint32_t)g.of.i32, pl, 8) != WB_OK || pl[1] == 0)
        return NULL;
    uint32_t n = pl[1] < 1024 ? pl[1] : 1024;
    if (wb_memory_read(h->mem, pl[0], buf, n) != WB_OK)
        return NULL;
    buf[n] = 0;
    return buf;
}

static void trapped(host *h, wb_result r)
{
    const wb_error *e = wb_call_error(h->call);
    printf("trap: %s\n", e && e->message[0] ? e->message : wb_result_message(r));
    if (e)
        for (uint32_t i = 0; i < e->nframes; i++)
            if (e->frames[i].name)
                printf("  #%u %.*s\n", i, (int)e->frames[i].name_len, e->frames[i].name);
    const char *m = guest_message(h);
    if (m)
        printf("message: %s\n", m);
    exit(2);
}

static uint64_t run(host *h, wb_func *f, uint64_t *io)
{
    wb_result r = wb_call_start_cells(h->call, f, io);
    if (r != WB_OK)
        trapped(h, r);
    return io[0];
}

static bool valid_utf8(const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < n;) {
        uint8_t c = s[i];
        uint32_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!k || i + k > n || (k == 2 && c < 0xc2))
            return false;
        for (uint32_t j = 1; j < k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
        uint32_t cp = k == 1 ? c : k == 2 ? (c & 0x1fu) : k == 3 ? (c & 0x0fu) : (c & 0x07u);
        for (uint32_t j = 1; j < k; j++)
            cp = cp << 6 | (s[i + j] & 0x3f);
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k;
    }
    return true;
}

/* One call through the canonical ABI: lower, call, lift, post. */
static value call_udf(host *h, wb_func *f, wb_func *post, const sig *s, const value *args)
{
    uint64_t io[2 * MAX_ARGS + 1];
    int n = 0;
    for (int i = 0; i < s->nargs; i++) {
        if (s->args[i] == K_TEXT || s->args[i] == K_BYTEA) {
            if (!h->realloc)
                die("the module does not export cabi_realloc");
            uint64_t a[4] = {0, 0, 1, args[i].len};
            uint32_t p = (uint32_t)run(h, h->realloc, a);
            if (wb_memory_write(h->mem, p, args[i].bytes, args[i].len) != WB_OK)
                die("cabi_realloc returned memory out of bounds");
            io[n++] = p;
            io[n++] = args[i].len;
        } else
            io[n++] = args[i].cell;
    }
    value v = {0};
    uint64_t res = run(h, f, io);
    if (s->ret == K_TEXT || s->ret == K_BYTEA) {
        uint32_t pl[2];
        if (wb_memory_read(h->mem, (uint32_t)res, pl, 8) != WB_OK)
            die("result area out of bounds");
        v.len = pl[1];
        v.bytes = malloc(v.len + 1);
        if (wb_memory_read(h->mem, pl[0], v.bytes, v.len) != WB_OK)
            die("result out of bounds");
        v.bytes[v.len] = 0;
        if (s->ret == K_TEXT && !valid_utf8(v.bytes, v.len)) {
            printf("error: text result is not valid UTF-8\n");
            exit(3);
        }
    } else
        v.cell = res;
    /* As pg/call.c: only calls with text or bytea have their post run. */
    bool byref = s->ret == K_TEXT || s->ret == K_BYTEA;
    for (int i = 0; i < s->nargs; i++)
        byref |= s->args[i] == K_TEXT || s->args[i] == K_BYTEA;
    if (post && byref) {
        io[0] = res;
        run(h, post, io);
    }
    return v;
}

/* ---- values as text ------------------------------------------------------------------- */

static value parse(kind k, const char *s)
{
    value v = {0};
    switch (k) {
    case K_INT4:
        v.cell = (uint32_t)(int32_t)strtol(s, NULL, 10);
        break;
    case K_INT8:
        v.cell = (uint64_t)strtoll(s, NULL, 10);
        break;
    case K_FLOAT4: {
        float f = strtof(s, NULL);
        uint32_t b;
        memcpy(&b, &f, 4);
        v.cell = b;
        break;
    }
    case K_FLOAT8: {
        double d = strtod(s, NULL);
        memcpy(&v.cell, &d, 8);
        break;
    }
    case K_BOOL:
        v.cell = (s[0] == 't' || s[0] == '1');
        break;
    case K_BYTEA:
        if (s[0] == '\\' && s[1] == 'x') {
            size_t n = strlen(s + 2) / 2;
            v.bytes = malloc(n + 1);
            for (size_t i = 0; i < n; i++) {
                unsigned x;
                sscanf(s + 2 + 2 * i, "%2x", &x);
                v.bytes[i] = (uint8_t)x;
            }
            v.len = (uint32_t)n;
            break;
        }
        /* bytes as written */
        /* fall through */
    case K_TEXT:
        v.bytes = (uint8_t *)strdup(s);
        v.len = (uint32_t)strlen(s);
        break;
    case K_VOID:
        break;
    }
    return v;
}

/* The shortest form that reads back to the same value, as PostgreSQL prints. */
static void print_double(double d, int maxdigits)
{
    char buf[64];
    if (isnan(d)) {
        puts("NaN");
        return;
    }
    if (isinf(d)) {
        puts(d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (int p = 1; p <= maxdigits; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, d);
        if ((maxdigits == 9 ? (double)strtof(buf, NULL) : strtod(buf, NULL)) == d)
            break;
    }
    puts(buf);
}

static void print_value(kind k, value v)
{
    switch (k) {
    case K_INT4:
        printf("%d\n", (int32_t)v.cell);
        break;
    case K_INT8:
        printf("%lld\n", (long long)(int64_t)v.cell);
        break;
    case K_FLOAT4: {
        float f;
        uint32_t b = (uint32_t)v.cell;
        memcpy(&f, &b, 4);
        print_double(f, 9);
        break;
    }
    case K_FLOAT8: {
        double d;
        memcpy(&d, &v.cell, 8);
        print_double(d, 17);
        break;
    }
    case K_BOOL:
        puts((uint32_t)v.cell ? "t" : "f");
        break;
    case K_TEXT:
        printf("%s\n", (char *)v.bytes);
        break;
    case K_BYTEA:
        printf("\\x");
        for (uint32_t i = 0; i < v.len; i++)
            printf("%02x", v.bytes[i]);
        printf("\n");
        break;
    case K_VOID:
        puts("");
        break;
    }
}

/* ---- main -------------------------------------------------------------------------------- */

static void load(host *h, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open the module");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n);
    if (fread(b, 1, n, f) != (size_t)n)
        die("cannot read the module");
    fclose(f);
    h->bytes = b;
    h->len = (size_t)n;
    wb_error err;
    if (wb_module_load(b, h->len, &h->mod, &err) != WB_OK ||
        wb_instantiate(h->mod, NULL, 0, NULL, NULL, &h->inst, &err) != WB_OK) {
        fprintf(stderr, "guestcall: %s: %s\n", path, err.message);
        exit(1);
    }
    h->mem = wb_instance_memory(h->inst);
    h->realloc = wb_instance_func(h->inst, "cabi_realloc");
    wb_call_opts opts = {.fuel = 0};
    h->call = wb_call_new(&opts);
}

static wb_func *export(host *h, const char *name, wb_func **post)
{
    wb_func *f = wb_instance_func(h->inst, name);
    if (!f) {
        fprintf(stderr, "guestcall: no export %s\n", name);
        exit(1);
    }
    char pn[256];
    snprintf(pn, sizeof pn, "cabi_post_%s", name);
    *post = wb_instance_func(h->inst, pn);
    return f;
}

static int usage(void)
{
    fprintf(stderr, "usage: guestcall FILE.wasm FUNC [ARG...]\n"
                    "       guestcall --agg FILE.wasm STEP FINAL [X...]\n"
                    "       guestcall --bench N FILE.wasm FUNC [ARG...]\n"
                    "       guestcall --sig FILE.wasm\n");
    return 1;
}

int main(int argc, char **argv)
{
    host h = {0};
    wb_func *post, *f;
    if (argc >= 3 && strcmp(argv[1], "--sig") == 0) {
        load(&h, argv[2]);
        char *s = sql_section(h.bytes, h.len);
        fputs(s ? s : "", stdout);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "--agg") == 0) {
        load(&h, argv[2]);
        wb_func *fpost, *step = export(&h, argv[3], &post), *fin = export(&h, argv[4], &fpost);
        sig ss = find_sig(&h, argv[3], step), fs = find_sig(&h, argv[4], fin);
        if (ss.nargs != 2 || ss.args[0] != ss.ret || fs.nargs != 1 || fs.args[0] != ss.ret)
            die("STEP must be (state, x) -> state and FINAL (state) -> result");
        value a[2] = {{0, (uint8_t *)"", 0}, {0}};
        for (int i = 5; i < argc; i++) {
            a[1] = parse(ss.args[1], argv[i]);
            a[0] = call_udf(&h, step, post, &ss, a);
        }
        print_value(fs.ret, call_udf(&h, fin, fpost, &fs, a));
        return 0;
    }
    long reps = 1;
    int i = 1;
    if (argc >= 3 && strcmp(argv[1], "--bench") == 0) {
        reps = atol(argv[2]);
        i = 3;
    }
    if (argc - i < 2)
        return usage();
    load(&h, argv[i]);
    f = export(&h, argv[i + 1], &post);
    sig s = find_sig(&h, argv[i + 1], f);
    if (argc - i - 2 != s.nargs) {
        fprintf(stderr, "guestcall: %s takes %d arguments\n", argv[i + 1], s.nargs);
        return 1;
    }
    value args[MAX_ARGS];
    for (int k = 0; k < s.nargs; k++)
        args[k] = parse(s.args[k], argv[i + 2 + k]);
    value v = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long r = 0; r < reps; r++) {
        if (r)
            free(v.bytes);
        v = call_udf(&h, f, post, &s, args);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (reps > 1)
        printf("%.1f ns/call\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / reps);
    else
        print_value(s.ret, v);
    return 0;
}
