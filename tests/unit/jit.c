/*
 * jit.c - machine code (src/jit.c) and the interpreter agree: the same
 * results to the bit, the same fuel, the same traps at the same places, and
 * limits stop loops running in machine code.  The reference is this test run
 * again in a child process with WASMBOX_JIT=0, which interprets everything.
 */
#include "test.h"

#include "internal.h"

#include <unistd.h>

static wb_module *mod;
static wb_instance *inst;

static wb_instance *fresh(void)
{
    if (!mod)
        mod = load_module("jit");
    if (inst)
        wb_instance_free(inst);
    inst = NULL;
    wb_error err;
    if (mod && wb_instantiate(mod, NULL, 0, NULL, NULL, &inst, &err) != WB_OK)
        fprintf(stderr, "instantiate: %s\n", err.message);
    return inst;
}

/* One line per call: result or trap message, and the fuel it used. */
static void run(FILE *out, const char *name, int32_t arg, uint64_t fuel, uint64_t slice)
{
    if (!fresh())
        return;
    wb_call *c = wb_call_new(&(wb_call_opts){.fuel = fuel});
    wb_call_set_slice(c, slice);
    wb_func *f = wb_instance_func(inst, name);
    wb_val a = wb_i32(arg);
    wb_result r = wb_call_start(c, f, &a, wb_func_type(f)->nparams);
    int resumes = 0;
    while (r == WB_SUSPENDED && resumes++ < 100000)
        r = wb_call_resume(c);
    fprintf(out, "%s(%d) fuel %llu: ", name, arg, (unsigned long long)wb_call_fuel_used(c));
    if (r == WB_OK) {
        wb_val v[4];
        uint32_t n = wb_call_results(c, v, 4);
        for (uint32_t i = 0; i < n; i++)
            fprintf(out, "%lld%s", v[i].type == WB_I64 ? (long long)v[i].of.i64 : (long long)v[i].of.i32,
                    i + 1 < n ? " " : "\n");
    } else {
        const wb_error *e = wb_call_error(c);
        fprintf(out, "result %d: %s\n", r, e ? e->message : "?");
    }
    wb_call_free(c);
}

static void report(FILE *out)
{
    static const int32_t ns[] = {0, 1, 2, 3, 7, 8, 9, 100, 1000};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        run(out, "mix", ns[i], 0, 0);
    run(out, "mix", 1000, 0, 777); /* suspended and resumed every 777 units */
    for (int32_t n = 0; n < 300; n += 37)
        run(out, "vec", n, 0, 0);
    run(out, "oob", 4, 0, 0);
    run(out, "oob", 65533, 0, 0);
    run(out, "divz", 50, 0, 0);
    run(out, "spin", 0, 12345, 0);
    run(out, "spin", 0, 1000000, 1000); /* fuel in slices, then out of fuel */
    static const int32_t as[] = {0, 5, -7, 65535, 65536, 65530, 65529};
    for (size_t i = 0; i < sizeof as / sizeof as[0]; i++) {
        run(out, "line", as[i], 0, 0);
        run(out, "first", as[i], 0, 0);
        run(out, "pair", as[i], 0, 0);
        run(out, "calls", as[i], 0, 0);
        run(out, "floaty", as[i], 0, 0);
    }
    run(out, "bulk", 50, 0, 0);
    run(out, "bulk", 100, 0, 0); /* the fill at 66,000 is out of bounds */
    run(out, "bulk", 0, 0, 0);   /* a copy of 0 bytes at the end of memory */
    run(out, "line", 3, 2, 0); /* fuel enough only for the entry... */
    run(out, "calls", 3, 5, 0); /* ...and for the caller but not the callee */
}

/* The child: print the report and stop before the tests run. */
__attribute__((constructor)) static void child_mode(void)
{
    if (!getenv("JIT_TEST_REPORT"))
        return;
    report(stdout);
    fflush(stdout);
    _exit(0);
}

static char *read_all(FILE *f)
{
    size_t n = 0, cap = 1 << 16;
    char *s = malloc(cap);
    size_t k;
    while (s && (k = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                return NULL;
            }
            s = t;
        }
    }
    if (s)
        s[n] = 0;
    return s;
}

/* Whether report s has a line starting with `start` that ends with `end`
 * (or, when end ends with '%', contains it). */
static bool has_line(const char *s, const char *start, const char *end)
{
    size_t ls = strlen(start), le = strlen(end);
    bool anywhere = le && end[le - 1] == '%';
    le -= anywhere;
    for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n < ls || strncmp(p, start, ls) != 0)
            continue;
        if (anywhere) {
            for (size_t i = 0; i + le <= n; i++)
                if (strncmp(p + i, end, le) == 0)
                    return true;
        } else if (n >= le && strncmp(p + n - le, end, le) == 0)
            return true;
    }
    return false;
}

/* The report of this program run again with WASMBOX_JIT=mode. */
static char *child_report(const char *mode)
{
    char cmd[4200];
    char self[4096];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(k > 0);
    if (k <= 0)
        return NULL;
    self[k] = 0;
    snprintf(cmd, sizeof cmd, "JIT_TEST_REPORT=1 WASMBOX_JIT=%s '%s'", mode, self);
    FILE *p = popen(cmd, "r");
    char *r = p ? read_all(p) : NULL;
    CHECK(p && pclose(p) == 0);
    return r;
}

TEST(machine_code_matches_interpreter)
{
    char *mine = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&mine, &len);
    report(m);
    fclose(m);
    /* The reference: this program again, interpreting only. */
    char *ref = child_report("0");
    CHECK(ref != NULL && mine != NULL);
    if (ref && mine) {
        CHECK(strlen(ref) > 500);
        if (strcmp(ref, mine) != 0)
            fprintf(stderr, "interpreted:\n%s\nmachine code:\n%s\n", ref, mine);
        CHECK(strcmp(ref, mine) == 0);
    }
    /* What the report must show, whichever ran it. */
    CHECK(mine && strstr(mine, "oob(4) fuel") && strstr(mine, "out of bounds memory access"));
    CHECK(mine && strstr(mine, "divz(50) fuel") && strstr(mine, "integer divide by zero"));
    CHECK(mine && strstr(mine, "spin(0) fuel 1234") && strstr(mine, "fuel exhausted"));
    CHECK(has_line(mine, "line(5) ", ": 15"));
    CHECK(has_line(mine, "pair(-7) ", ": 107 -7"));
    CHECK(has_line(mine, "calls(0) ", ": 23131"));
    CHECK(has_line(mine, "floaty(5) ", ": 15"));
    CHECK(has_line(mine, "first(65529) ", "at offset 0x%")); /* a trap, with its place */
    CHECK(has_line(mine, "line(3) fuel 2:", "fuel exhausted%"));
    CHECK(has_line(mine, "bulk(100) ", "out of bounds memory access%"));
    CHECK(has_line(mine, "bulk(50) ", ": %") && !has_line(mine, "bulk(50) ", "result%"));
    CHECK(has_line(mine, "calls(3) fuel 5:", "fuel exhausted%")); /* never more than the budget */
    free(ref);
    free(mine);
}

/* The function behind export `name`. */
static const wb__func *code_of(const char *name)
{
    wb_func *f = wb_instance_func(inst, name);
    return f ? f->code : NULL;
}

TEST(which_functions_get_machine_code)
{
    if (!fresh())
        return;
#if defined(__x86_64__) && defined(__linux__)
    /* Loops: machine code, entered through JIT_ENTER in cell 0. */
    static const char *const loops[] = {"mix", "vec", "oob", "divz", "spin", "bulk"};
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        const wb__func *f = code_of(loops[i]);
        CHECK(f && f->jit != NULL && f->jit_op0 != NULL);
    }
    /* Straight-line exports: machine code for host calls, cell 0 as it was. */
    static const char *const lines[] = {"line", "first", "pair", "calls", "floaty"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        const wb__func *f = code_of(lines[i]);
        CHECK(f && f->jit != NULL && f->jit_op0 == NULL);
    }
    /* $helper, straight-line and called only from wasm, stays interpreted. */
    uint32_t with = 0;
    for (uint32_t i = 0; i < mod->nfuncs - mod->nimported_funcs; i++)
        with += mod->funcs[i].jit != NULL;
    CHECK_EQ_INT(with, mod->nfuncs - mod->nimported_funcs - 1);
#endif
}

/* The x86-64 emitter of compile/ (WASMBOX_JIT=2, first ops): the same
 * report as the interpreter's, and machine code it made for loops. */
TEST(emitted_machine_code_matches_interpreter)
{
    char *ref = child_report("0"), *got = child_report("2");
    CHECK(ref && got && strlen(ref) > 500);
    if (ref && got && strcmp(ref, got) != 0)
        fprintf(stderr, "interpreted:\n%s\nemitted machine code:\n%s\n", ref, got);
    CHECK(ref && got && strcmp(ref, got) == 0);
    free(ref);
    free(got);
#if defined(__x86_64__) && defined(__linux__)
    const char *was = getenv("WASMBOX_JIT");
    char *saved = was ? strdup(was) : NULL;
    setenv("WASMBOX_JIT", "2", 1);
    wb_module *m2 = load_module("jit");
    if (saved)
        setenv("WASMBOX_JIT", saved, 1);
    else
        unsetenv("WASMBOX_JIT");
    free(saved);
    CHECK(m2 != NULL);
    uint32_t with = 0, entered = 0;
    for (uint32_t i = 0; m2 && i < m2->nfuncs - m2->nimported_funcs; i++) {
        with += m2->funcs[i].jit != NULL;
        entered += m2->funcs[i].jit_op0 != NULL;
        CHECK(m2->funcs[i].x64 == NULL); /* mapped, and the copy freed */
    }
    CHECK(with >= 3 && entered >= 2);
    wb_module_free(m2);
#endif
}

static volatile int flag;

TEST(interrupt_stops_machine_code_loop)
{
    if (!fresh())
        return;
    /* The flag is already up: the first back-edge must see it. */
    flag = 1;
    wb_call *c = wb_call_new(&(wb_call_opts){.interrupt = &flag});
    CHECK_EQ_INT(wb_call_start(c, wb_instance_func(inst, "spin"), NULL, 0), WB_SUSPENDED);
    flag = 0;
    wb_call_set_slice(c, 5000);
    CHECK_EQ_INT(wb_call_resume(c), WB_SUSPENDED); /* resumed, it spins on until its slice ends */
    wb_call_free(c);
}
