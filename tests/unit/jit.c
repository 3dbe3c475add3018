/*
 * jit.c - machine code (src/jit.c) and the interpreter agree: the same
 * results to the bit, the same fuel, the same traps at the same places, and
 * limits stop loops running in machine code.  The reference is this test run
 * again in a child process with WASMBOX_JIT=0, which interprets everything.
 */
#include "test.h"

#include "internal.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

static wb_module *mod, *calls_mod, *floats_mod, *simd_mod;
static wb_instance *inst;

/* A fresh instance of module `name` ("jit", "calls", "floats" or "simd_loops"). */
static wb_instance *fresh_of(const char *name)
{
    wb_module **m = strcmp(name, "calls") == 0        ? &calls_mod
                    : strcmp(name, "floats") == 0     ? &floats_mod
                    : strcmp(name, "simd_loops") == 0 ? &simd_mod
                                                      : &mod;
    if (!*m)
        *m = load_module(name);
    if (inst)
        wb_instance_free(inst);
    inst = NULL;
    wb_error err;
    if (*m && wb_instantiate(*m, NULL, 0, NULL, NULL, &inst, &err) != WB_OK)
        fprintf(stderr, "instantiate: %s\n", err.message);
    return inst;
}
static wb_instance *fresh(void) { return fresh_of("jit"); }

/* The end of call c, which returned r: its results, exit code, or trap
 * message with its backtrace. */
static void print_outcome(FILE *out, wb_call *c, wb_result r)
{
    if (r == WB_OK) {
        wb_val v[4];
        uint32_t n = wb_call_results(c, v, 4);
        for (uint32_t i = 0; i < n; i++)
            fprintf(out, "%lld%s", v[i].type == WB_I64 ? (long long)v[i].of.i64 : (long long)v[i].of.i32,
                    i + 1 < n ? " " : "");
    } else if (r == WB_EXITED) {
        fprintf(out, "exit %d", wb_call_exit_code(c));
    } else {
        const wb_error *e = wb_call_error(c);
        fprintf(out, "result %d: %s", r, e ? e->message : "?");
        for (uint32_t i = 0; e && i < e->nframes; i++)
            fprintf(out, " #%u func %u at 0x%x", i, e->frames[i].func, e->frames[i].code_offset);
    }
    fprintf(out, "\n");
}

/* One line per call: result or trap message with its backtrace, and the
 * fuel it used. */
static void run_opts(FILE *out, const char *module, const char *name, int32_t arg, wb_call_opts o, uint64_t slice)
{
    if (!fresh_of(module))
        return;
    wb_call *c = wb_call_new(&o);
    wb_call_set_slice(c, slice);
    wb_func *f = wb_instance_func(inst, name);
    wb_val a = wb_i32(arg);
    wb_result r = wb_call_start(c, f, &a, wb_func_type(f)->nparams);
    int resumes = 0;
    while (r == WB_SUSPENDED && resumes++ < 100000)
        r = wb_call_resume(c);
    fprintf(out, "%s(%d) fuel %llu: ", name, arg, (unsigned long long)wb_call_fuel_used(c));
    print_outcome(out, c, r);
    wb_call_free(c);
}

static void run(FILE *out, const char *name, int32_t arg, uint64_t fuel, uint64_t slice)
{
    run_opts(out, "jit", name, arg, (wb_call_opts){.fuel = fuel}, slice);
}

/* Calls between compiled functions, and every hand-over inside them. */
static void report_calls(FILE *out)
{
    for (int32_t n = 0; n <= 20; n += 5)
        run_opts(out, "calls", "fib", n, (wb_call_opts){0}, 0);
    run_opts(out, "calls", "deep3", 7, (wb_call_opts){0}, 0);
    run_opts(out, "calls", "deep3", 0, (wb_call_opts){0}, 0); /* the trap three frames down */
    run_opts(out, "calls", "rec", 300, (wb_call_opts){0}, 0);
    /* Fuel just short of the entry's, just enough, and a little more; and
     * limits past INT64_MAX (machine code is given INT64_MAX of them). */
    for (uint64_t fuel = 1; fuel < 40; fuel++)
        run_opts(out, "calls", "fib", 1, (wb_call_opts){.fuel = fuel}, 0);
    run_opts(out, "calls", "fib", 15, (wb_call_opts){.fuel = UINT64_MAX - 1}, 0);
    run_opts(out, "calls", "fib", 15, (wb_call_opts){.fuel = ((uint64_t)1 << 63) + 5}, 0);
    /* Fuel running out along the recursion, at every few units... */
    for (uint64_t fuel = 1; fuel < 400; fuel += 23)
        run_opts(out, "calls", "rec", 20, (wb_call_opts){.fuel = fuel}, 0);
    /* ...and slices of it, resumed to the same result. */
    for (uint64_t slice = 3; slice < 200; slice += 41)
        run_opts(out, "calls", "rec", 40, (wb_call_opts){0}, slice);
    for (int32_t i = 0; i <= 4; i++)
        run_opts(out, "calls", "indirect", i, (wb_call_opts){0}, 0);
    run_opts(out, "calls", "grow", 1, (wb_call_opts){0}, 0);
    run_opts(out, "calls", "grow", 9, (wb_call_opts){0}, 0); /* past the maximum: -1, memory as it was */
    run_opts(out, "calls", "down", 0, (wb_call_opts){.max_depth = 50}, 0);
    run_opts(out, "calls", "down", 0, (wb_call_opts){0}, 0); /* the default depth */
    for (int32_t n = 0; n <= 6; n += 2) /* a trap in the callee in each round, or none */
        run_opts(out, "calls", "live", n, (wb_call_opts){0}, 0);
    for (uint64_t fuel = 1; fuel < 300; fuel += 13) /* fuel out in callees and callers */
        run_opts(out, "calls", "live", 9, (wb_call_opts){.fuel = fuel}, 0);
    for (uint64_t slice = 2; slice < 100; slice += 9) /* and the rest interpreted, resumed */
        run_opts(out, "calls", "live", 9, (wb_call_opts){0}, slice);
    /* Recursion without loops over several of the machine code's chunks of
     * fuel (limits.h): to the end, and out of fuel in the second. */
    run_opts(out, "calls", "fib", 27, (wb_call_opts){0}, 0);
    run_opts(out, "calls", "fib", 27, (wb_call_opts){.fuel = WB_JIT_FUEL_CHUNK + 999}, 0);
    run_opts(out, "calls", "rec", 2000, (wb_call_opts){.max_depth = 2001}, 0);
    run_opts(out, "calls", "rec", 1000, (wb_call_opts){.max_depth = 999}, 0);
}

/* Float locals kept in registers by the compiler, at every place where
 * they must be in their slots. */
static void report_floats(FILE *out)
{
    static const int32_t ns[] = {0, 1, 2, 5, 33, 1000};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        run_opts(out, "floats", "dot", ns[i], (wb_call_opts){0}, 0);
        run_opts(out, "floats", "nans", ns[i], (wb_call_opts){0}, 0);
        run_opts(out, "floats", "calls", ns[i], (wb_call_opts){0}, 0);
        run_opts(out, "floats", "helpers", ns[i], (wb_call_opts){0}, 0);
    }
    static const int32_t ss[] = {0, 3, 7, 8, 21, 22, 30};
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++)
        run_opts(out, "floats", "stack", ss[i], (wb_call_opts){0}, 0);
    run_opts(out, "floats", "overflow", 1, (wb_call_opts){0}, 0);
    run_opts(out, "floats", "overflow", -70000, (wb_call_opts){0}, 0);
    for (uint64_t fuel = 5; fuel < 2000; fuel += 97) /* out of fuel with floats live */
        run_opts(out, "floats", "calls", 40, (wb_call_opts){.fuel = fuel}, 0);
    for (uint64_t slice = 7; slice < 300; slice += 53) /* and resumed to the same bits */
        run_opts(out, "floats", "dot", 500, (wb_call_opts){0}, slice);
}

/* SIMD ops in loops, pinned locals as their scalar operands and results
 * (tests/modules/simd_loops.wat): a trap in a loop, fuel running out in
 * one, slices. */
static void report_simd(FILE *out)
{
    static const int32_t ns[] = {0, 1, 2, 17, 300};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        run_opts(out, "simd_loops", "mix", ns[i], (wb_call_opts){0}, 0);
        run_opts(out, "simd_loops", "spin", ns[i], (wb_call_opts){0}, 0);
    }
    for (int32_t n = 15; n <= 18; n++) /* out of bounds from the 17th turn */
        run_opts(out, "simd_loops", "oob", n, (wb_call_opts){0}, 0);
    for (int32_t n = 11; n <= 14; n++) /* from the 13th */
        run_opts(out, "simd_loops", "oob_lane", n, (wb_call_opts){0}, 0);
    for (uint64_t fuel = 3; fuel < 1500; fuel += 101) /* out of fuel inside SIMD loops */
        run_opts(out, "simd_loops", "mix", 100, (wb_call_opts){.fuel = fuel}, 0);
    for (uint64_t fuel = 3; fuel < 400; fuel += 37)
        run_opts(out, "simd_loops", "spin", 1000, (wb_call_opts){.fuel = fuel}, 0);
    for (uint64_t slice = 5; slice < 400; slice += 61) /* and resumed to the same bits */
        run_opts(out, "simd_loops", "mix", 200, (wb_call_opts){0}, slice);
    run_opts(out, "simd_loops", "spin", 5000, (wb_call_opts){0}, 333);
    static const int32_t vs[] = {0, 1, 5, 9, 10, 30};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        run_opts(out, "simd_loops", "vstack", vs[i], (wb_call_opts){0}, 0);
    run_opts(out, "simd_loops", "vstack", 9, (wb_call_opts){0}, 29);
}

/* ---- runtime ops and host calls (tests/modules/runtime.wat) ---------------------------- */

static unsigned host_calls; /* by every host function, in one call: none may run twice */
static bool waited;
static volatile int rt_flag; /* the interrupt flag of a run; add() raises it at its 5th call */

static wb_result host_add(wb_host_ctx *ctx, const wb_val *a, wb_val *r)
{
#if defined(__x86_64__)
    /* Every xmm register, as the C ABI lets a callee: the caller's float
     * locals kept in them must survive. */
    __asm__ volatile("xorps %%xmm0, %%xmm0\n\txorps %%xmm8, %%xmm8\n\txorps %%xmm10, %%xmm10\n\t"
                     "xorps %%xmm11, %%xmm11\n\txorps %%xmm12, %%xmm12\n\txorps %%xmm13, %%xmm13\n\t"
                     "xorps %%xmm14, %%xmm14\n\txorps %%xmm15, %%xmm15" ::: "xmm0", "xmm8", "xmm10", "xmm11",
                     "xmm12", "xmm13", "xmm14", "xmm15");
#endif
    if (++host_calls == 5)
        rt_flag = 1; /* the check point after this call stops */
    wb_host_charge(ctx, (uint32_t)a[0].of.i32 % 7);
    r[0] = wb_i32(a[0].of.i32 + a[1].of.i32);
    return WB_OK;
}
static wb_result host_fail(wb_host_ctx *ctx, const wb_val *a, wb_val *r)
{
    (void)r;
    host_calls++;
    if (a[0].of.i32 != 3)
        return WB_OK;
    wb_host_set_message(ctx, "host says no");
    return WB_TRAP_HOST;
}
static wb_result host_wait(wb_host_ctx *ctx, const wb_val *a, wb_val *r)
{
    (void)ctx;
    host_calls++;
    waited = !waited;
    if (waited)
        return WB_SUSPENDED;
    r[0] = wb_i32(2 * a[0].of.i32);
    return WB_OK;
}
static wb_result host_quit(wb_host_ctx *ctx, const wb_val *a, wb_val *r)
{
    (void)r;
    host_calls++;
    wb_host_set_exit_code(ctx, a[0].of.i32);
    return WB_EXITED;
}

/* An instance of runtime.wat (module m) with its host functions. */
static wb_instance *rt_instance(wb_module *m)
{
    static const uint8_t ii_i[] = {WB_I32, WB_I32, WB_I32};
    static wb_func *fns[4];
    if (!fns[0]) {
        fns[0] = wb_func_new_host(&(wb_functype){2, 1, ii_i}, host_add, NULL);
        fns[1] = wb_func_new_host(&(wb_functype){1, 0, ii_i}, host_fail, NULL);
        fns[2] = wb_func_new_host(&(wb_functype){1, 1, ii_i}, host_wait, NULL);
        fns[3] = wb_func_new_host(&(wb_functype){1, 0, ii_i}, host_quit, NULL);
    }
    wb_extern im[4];
    for (int i = 0; i < 4; i++)
        im[i] = (wb_extern){WB_EXTERN_FUNC, {.func = fns[i]}};
    wb_instance *in = NULL;
    wb_error err;
    if (m && wb_instantiate(m, im, 4, NULL, NULL, &in, &err) != WB_OK)
        fprintf(stderr, "instantiate runtime: %s\n", err.message);
    return in;
}

/* One line (after prefix) for f, export `name`, called with arg (resumed
 * until done) in a new call, `rounds` times on it (the line is the last's):
 * fuel, host calls, suspensions, and how it ended.  Returns how often
 * machine code handed the last to the interpreter. */
static uint32_t call_line(FILE *out, const char *prefix, wb_func *f, const char *name, int32_t arg, wb_call_opts o,
                          uint64_t slice, int rounds)
{
    wb_call *c = wb_call_new(&o);
    wb_call_set_slice(c, slice);
    wb_val a = wb_i32(arg);
    wb_result r = WB_OK;
    int resumed = 0;
    for (int round = 0; round < rounds; round++) {
        host_calls = 0;
        waited = false;
        rt_flag = 0;
        r = wb_call_start(c, f, &a, 1);
        resumed = 0;
        while (r == WB_SUSPENDED && resumed < 100000) {
            resumed++;
            rt_flag = 0;
            r = wb_call_resume(c);
        }
    }
    fprintf(out, "%s%s(%d) fuel %llu host %u resumed %d: ", prefix, name, arg, (unsigned long long)wb_call_fuel_used(c),
            host_calls, resumed);
    print_outcome(out, c, r);
    uint32_t leaves = wb__call_jit_leaves(c);
    wb_call_free(c);
    return leaves;
}

/* call_line's for export `name` of a fresh instance of m. */
static uint32_t run_rt(FILE *out, wb_module *m, const char *name, int32_t arg, wb_call_opts o, uint64_t slice)
{
    wb_instance *in = rt_instance(m);
    if (!in)
        return UINT32_MAX;
    uint32_t leaves = call_line(out, "", wb_instance_func(in, name), name, arg, o, slice, 1);
    wb_instance_free(in);
    return leaves;
}

static void report_runtime(FILE *out)
{
    wb_module *m = load_module("runtime");
    wb_call_opts none = {0};
    static const int32_t grows[] = {0, 1, 5, 40, 310};
    for (size_t i = 0; i < sizeof grows / sizeof grows[0]; i++)
        run_rt(out, m, "grow_loop", grows[i], none, 0);
    static const int32_t callee[] = {0, 3, 100, 160};
    for (size_t i = 0; i < sizeof callee / sizeof callee[0]; i++)
        run_rt(out, m, "grow_callee", callee[i], none, 0);
    static const int32_t ks[] = {0, 1, 5, 20, 21};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        run_rt(out, m, "tables", ks[i], none, 0);
    for (int32_t k = 0; k <= 5; k++)
        run_rt(out, m, "table_oob", k, none, 0);
    for (int32_t k = 0; k <= 3; k++)
        run_rt(out, m, "init", k, none, 0);
    run_rt(out, m, "bulk_fuel", 16, none, 0);
    run_rt(out, m, "bulk_fuel", 25, none, 0); /* the fill is out of bounds */
    /* Fuel running out in the middle of the bulk table ops... */
    for (uint64_t fuel = 40; fuel < 3000; fuel += 137)
        run_rt(out, m, "bulk_fuel", 16, (wb_call_opts){.fuel = fuel}, 0);
    /* ...and in slices, resumed to the same end. */
    run_rt(out, m, "bulk_fuel", 16, none, 97);
    static const int32_t ns[] = {0, 1, 100};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        run_rt(out, m, "host_loop", ns[i], none, 0);
    for (uint64_t fuel = 150; fuel < 6000; fuel += 611) /* out of fuel after a host call */
        run_rt(out, m, "host_loop", 50, (wb_call_opts){.fuel = fuel}, 0);
    run_rt(out, m, "host_loop", 50, none, 250);
    run_rt(out, m, "host_indirect", 60, none, 0);
    run_rt(out, m, "host_indirect", 60, none, 200);
    run_rt(out, m, "host_indirect", 100, none, 0); /* entry 1 at i = 77: a type mismatch */
    for (uint64_t fuel = 50; fuel < 4000; fuel += 611)
        run_rt(out, m, "host_indirect", 60, (wb_call_opts){.fuel = fuel}, 0);
    run_rt(out, m, "host_loop", 20, (wb_call_opts){.interrupt = &rt_flag}, 0); /* interrupted after a host call */
    run_rt(out, m, "host_trap", 2, none, 0);
    run_rt(out, m, "host_trap", 5, none, 0); /* the host traps three frames down */
    run_rt(out, m, "host_wait", 0, none, 0);
    run_rt(out, m, "host_wait", 3, none, 0);
    run_rt(out, m, "host_wait", 3, none, 120);
    run_rt(out, m, "host_exit", 4, none, 0);
    run_rt(out, m, "host_exit", 11, none, 0);
    wb_module_free(m);
}

/* Calls between instances: call_line's for export `name` of linked_user.wat
 * over a linked_lib.wat instance (whose host import is host_wait), both
 * fresh; UINT32_MAX if they cannot be made.  warm: the call runs once
 * before on the same wb_call, which then has its stacks grown. */
static wb_module *lib_mod, *user_mod;
static uint32_t run_linked_in(FILE *out, wb_module *lib_m, wb_module *user_m, const char *name, int32_t arg,
                              wb_call_opts o, uint64_t slice, bool warm)
{
    static const uint8_t ii_i[] = {WB_I32, WB_I32};
    static wb_func *wait;
    if (!wait)
        wait = wb_func_new_host(&(wb_functype){1, 1, ii_i}, host_wait, NULL);
    wb_instance *lib = NULL, *user = NULL;
    wb_error err;
    wb_extern w = {WB_EXTERN_FUNC, {.func = wait}}, im[7];
    static const char *const names[7] = {"sum", "deep", "grow", "back", "waits", "tab", "wide"};
    if (!lib_m || !user_m || wb_instantiate(lib_m, &w, 1, NULL, NULL, &lib, &err) != WB_OK)
        return UINT32_MAX;
    for (int i = 0; i < 7; i++)
        wb_instance_export(lib, names[i], strlen(names[i]), &im[i]);
    if (wb_instantiate(user_m, im, 7, NULL, NULL, &user, &err) != WB_OK) {
        fprintf(stderr, "instantiate linked_user: %s\n", err.message);
        wb_instance_free(lib);
        return UINT32_MAX;
    }
    uint32_t leaves = call_line(out, "linked ", wb_instance_func(user, name), name, arg, o, slice, warm ? 2 : 1);
    wb_instance_free(user);
    wb_instance_free(lib);
    return leaves;
}
static uint32_t run_linked(FILE *out, const char *name, int32_t arg, wb_call_opts o, uint64_t slice)
{
    return run_linked_in(out, lib_mod, user_mod, name, arg, o, slice, false);
}

static void report_linked(FILE *out)
{
    wb_call_opts none = {0};
    if (!lib_mod)
        lib_mod = load_module("linked_lib");
    if (!user_mod)
        user_mod = load_module("linked_user");
    static const int32_t ns[] = {0, 1, 2, 100};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        run_linked(out, "loop", ns[i], none, 0);
        run_linked(out, "ping", ns[i], none, 0);
    }
    run_linked(out, "ping", 1000, none, 0);
    run_linked(out, "ping", 1000, (wb_call_opts){.max_depth = 50}, 0); /* the depth cap, crossing */
    run_linked(out, "ping", 1000000, none, 0);                         /* the default cap */
    for (uint64_t fuel = 1; fuel < 3000; fuel += 97) /* fuel out in either instance */
        run_linked(out, "loop", 40, (wb_call_opts){.fuel = fuel}, 0);
    for (uint64_t fuel = 1; fuel < 600; fuel += 31)
        run_linked(out, "ping", 20, (wb_call_opts){.fuel = fuel}, 0);
    for (uint64_t slice = 5; slice < 400; slice += 53) /* slices, resumed to the same end */
        run_linked(out, "loop", 40, none, slice);
    run_linked(out, "ping", 60, none, 37);
    run_linked(out, "deep", 5, none, 0);
    run_linked(out, "deep", 0, none, 0); /* a trap three frames down in the library */
    for (int32_t k = 0; k <= 3; k++)
        run_linked(out, "indirect", k, none, 0);
    run_linked(out, "grow", 1, none, 0);
    run_linked(out, "grow", 9, none, 0); /* past the library's maximum */
    run_linked(out, "waits", 3, none, 0); /* a host in the library suspends */
    run_linked(out, "waits", 5, none, 11);
    run_linked(out, "wide", 35, none, 0);
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
    run(out, "spin", 0, 3 * WB_JIT_FUEL_CHUNK + 12345, 0); /* over several chunks, out in the fourth */
    static const int32_t as[] = {0, 5, -7, 65535, 65536, 65530, 65529};
    for (size_t i = 0; i < sizeof as / sizeof as[0]; i++) {
        run(out, "line", as[i], 0, 0);
        run(out, "first", as[i], 0, 0);
        run(out, "pair", as[i], 0, 0);
        run(out, "calls", as[i], 0, 0);
        run(out, "floaty", as[i], 0, 0);
    }
    static const int32_t ls[] = {0, 100, 16000, 16400, -5, -10};
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++)
        run(out, "late", ls[i], 0, 0);
    static const int32_t ts[] = {0, 1, 2, 7, 1000};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        run(out, "two", ts[i], 0, 0);
    run(out, "two", 1000, 5000, 0); /* out of fuel at a back-edge */
    run(out, "bulk", 50, 0, 0);
    run(out, "bulk", 100, 0, 0); /* the fill at 66,000 is out of bounds */
    run(out, "bulk", 0, 0, 0);   /* a copy of 0 bytes at the end of memory */
    run(out, "wrap0", 7, 0, 0);
    run(out, "wrap0", -1, 0, 0);
    static const int32_t addrs[] = {0, 100, 65462, 65463, -1}; /* in bounds to the end, the store out, the load */
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        run(out, "addr", addrs[i], 0, 0);
    run(out, "leas", 7, 0, 0);
    run(out, "leas", 64600, 0, 0); /* out of bounds from i = 936 */
    static const int32_t is[] = {60, 49, 17, 0, -3};
    for (size_t i = 0; i < sizeof is / sizeof is[0]; i++)
        run(out, "istack", is[i], 0, 0);
    run(out, "istack", 60, 0, 97); /* in slices, resumed at the loop's head */
    static const int32_t ps[] = {0, 1, 5, 10, 14, 40};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        run(out, "picks", ps[i], 0, 0);
    run(out, "picks2", 0, 0, 0);
    run(out, "picks2", 5, 0, 0);
    static const int32_t cs[] = {0, 64500, 64900, 65300, 65500};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        run(out, "copies", cs[i], 0, 0);
    for (int32_t i = 0; i <= 5; i++)
        run(out, "fixed", i, 0, 0);
    run(out, "line", 3, 2, 0); /* fuel enough only for the entry... */
    run(out, "calls", 3, 5, 0); /* ...and for the caller but not the callee */
    report_calls(out);
    report_floats(out);
    report_runtime(out);
    report_simd(out);
    report_linked(out);
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
    CHECK(has_line(mine, "spin(0) fuel 3158073: ", "fuel exhausted%")); /* 3 chunks + 12345 */
    CHECK(has_line(mine, "fib(27) fuel ", ": 196418"));
    CHECK(has_line(mine, "fib(27) fuel 1049575: ", "fuel exhausted%"));
    CHECK(has_line(mine, "live(6) ", ": 16450072"));
    CHECK(has_line(mine, "two(1000) ", ": %"));
    CHECK(has_line(mine, "two(1000) fuel 5000: ", "fuel exhausted%"));
    CHECK(has_line(mine, "late(16000) ", ": 0"));                       /* in bounds to the end */
    CHECK(has_line(mine, "late(16400) ", "out of bounds memory access%")); /* the load, at i = 4 */
    CHECK(has_line(mine, "late(-10) ", "out of bounds memory access%"));   /* the store, at i = 3 */
    CHECK(has_line(mine, "line(5) ", ": 15"));
    CHECK(has_line(mine, "stack(22) ", ": 677943140")); /* float stack values in registers */
    CHECK(has_line(mine, "stack(30) ", "integer overflow (in function %")); /* leaving among them */
    CHECK(has_line(mine, "pair(-7) ", ": 107 -7"));
    /* Integer stack values in registers; the divide by zero leaves among
     * them, and the interpreter must find the divisor in its slot. */
    CHECK(has_line(mine, "istack(60) ", ": -8703206051723638304"));
    CHECK(has_line(mine, "istack(17) ", "integer divide by zero%"));
    CHECK(has_line(mine, "picks(10) ", ": 298511")); /* selects on flags */
    CHECK(has_line(mine, "picks2(5) ", ": 999"));
    CHECK(has_line(mine, "copies(64500) ", ": 2022636097774226498")); /* copies through rdx */
    CHECK(has_line(mine, "copies(64900) ", "out of bounds memory access%"));
    CHECK(has_line(mine, "fixed(0) ", ": 1234605616436508552")); /* fixed addresses, to the last byte */
    CHECK(has_line(mine, "fixed(1) ", "out of bounds memory access%"));
    CHECK(has_line(mine, "fixed(2) ", "out of bounds memory access%"));
    CHECK(has_line(mine, "fixed(3) ", "out of bounds memory access%"));
    CHECK(has_line(mine, "fixed(4) ", ": 1234605616436508633"));
    CHECK(has_line(mine, "fixed(5) ", "out of bounds memory access%"));
    CHECK(has_line(mine, "wrap0(7) ", ": 28") && has_line(mine, "wrap0(-1) ", ": 8589934588"));
    CHECK(has_line(mine, "calls(0) ", ": 23131"));
    CHECK(has_line(mine, "floaty(5) ", ": 15"));
    CHECK(has_line(mine, "first(65529) ", "at offset 0x%")); /* a trap, with its place */
    CHECK(has_line(mine, "line(3) fuel 2:", "fuel exhausted%"));
    CHECK(has_line(mine, "bulk(100) ", "out of bounds memory access%"));
    CHECK(has_line(mine, "bulk(50) ", ": %") && !has_line(mine, "bulk(50) ", "result%"));
    CHECK(has_line(mine, "calls(3) fuel 5:", "fuel exhausted%")); /* never more than the budget */
    CHECK(has_line(mine, "fib(20) ", ": 6765"));
    CHECK(has_line(mine, "deep3(0) ", "#0 func 1 at 0x%") && has_line(mine, "deep3(0) ", "#2 func 3 at 0x%"));
    CHECK(has_line(mine, "indirect(0) ", ": 42") && has_line(mine, "indirect(1) ", "indirect call type mismatch%"));
    CHECK(has_line(mine, "indirect(3) ", "uninitialized element%") && has_line(mine, "indirect(4) ", "undefined element%"));
    CHECK(has_line(mine, "grow(1) ", ": 82") && has_line(mine, "grow(9) ", ": 82"));
    CHECK(has_line(mine, "down(0) ", "call stack exhausted%"));
    CHECK(has_line(mine, "rec(1000) ", "call stack exhausted%") && has_line(mine, "rec(2000) ", ": 601756059"));
    /* Between instances: each one's memory and globals (A keeps 5000 at 8,
     * B its sums), recursion through both, a trap three frames down in B
     * with A's frame under them, A's memory as it was after B grew its own,
     * B's host suspending. */
    CHECK(has_line(mine, "linked loop(100) ", ": 572353") && has_line(mine, "linked ping(1000) fuel 17016 ", ": 1000"));
    CHECK(has_line(mine, "linked deep(0) ", "integer divide by zero (in function 2 at offset 0xc1) #0 func 2 at 0xc1 "
                                            "#1 func 3 at 0xc7 #2 func 4 at 0xd1 #3 func 9 at 0x151"));
    CHECK(has_line(mine, "linked grow(1) ", ": 1111") && has_line(mine, "linked grow(9) ", ": 911"));
    CHECK(has_line(mine, "linked wide(35) ", ": 42"));
    CHECK(has_line(mine, "linked waits(5) fuel 600 host 10 resumed 15: ", "520"));
    CHECK(has_line(mine, "linked indirect(0) ", ": 206") && has_line(mine, "linked indirect(2) ", "uninitialized element%"));
    free(ref);
    free(mine);
}

/* The function behind export `name`. */
static const wb__func *code_of(const char *name)
{
    wb_func *f = wb_instance_func(inst, name);
    return f ? f->code : NULL;
}

/* Module `name` as WASMBOX_JIT=mode compiles it. */
static wb_module *load_with(const char *name, const char *mode)
{
    const char *was = getenv("WASMBOX_JIT");
    char *saved = was ? strdup(was) : NULL;
    setenv("WASMBOX_JIT", mode, 1);
    wb_module *m = load_module(name);
    if (saved)
        setenv("WASMBOX_JIT", saved, 1);
    else
        unsetenv("WASMBOX_JIT");
    free(saved);
    return m;
}

TEST(which_functions_get_machine_code)
{
    if (!fresh())
        return;
#if defined(__x86_64__) && defined(__linux__)
    /* Every function, entered through JIT_ENTER in cell 0 (its op kept), at
     * its loops' heads (those that loop) and directly by host calls. */
    for (uint32_t i = 0; i < mod->nfuncs - mod->nimported_funcs; i++)
        CHECK(mod->funcs[i].jit != NULL && mod->funcs[i].jit_op0 != NULL && mod->funcs[i].jit_resume != NULL);
    static const char *const loops[] = {"mix", "vec", "oob", "divz", "spin", "bulk"};
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        const wb__func *f = code_of(loops[i]);
        CHECK(f && f->nloop_entry > 0);
    }
    static const char *const lines[] = {"line", "first", "pair", "calls", "floaty"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        const wb__func *f = code_of(lines[i]);
        CHECK(f && f->nloop_entry == 0);
    }
    /* WASMBOX_JIT=0: none. */
    wb_module *m = load_with("jit", "0");
    CHECK(m != NULL);
    for (uint32_t i = 0; m && i < m->nfuncs - m->nimported_funcs; i++)
        CHECK(m->funcs[i].jit == NULL && m->funcs[i].jit_op0 == NULL && m->funcs[i].nloop_entry == 0);
    wb_module_free(m);
#endif
}

/* Module `name` compiled, every function of it with machine code (checked),
 * or NULL. */
static wb_module *load_compiled(const char *name)
{
    wb_module *m = load_with(name, "2");
    CHECK(m != NULL);
    for (uint32_t i = 0; m && i < m->nfuncs - m->nimported_funcs; i++)
        CHECK(m->funcs[i].jit != NULL);
    return m;
}

/* A call in fuel slices (wasmboxd's guests) runs as machine code in every
 * slice: after a resume the interpreter goes back to the machine code at the
 * next back-edge, so each slice ends with machine code leaving for fuel.
 * (Before loop heads could be entered, only the first slice did.) */
TEST(sliced_calls_run_as_machine_code)
{
#if defined(__x86_64__) && defined(__linux__)
    wb_module *m = load_with("jit", "2");
    wb_instance *in = NULL;
    CHECK(m && wb_instantiate(m, NULL, 0, NULL, NULL, &in, NULL) == WB_OK);
    if (!in) {
        wb_module_free(m);
        return;
    }
    wb_call *c = wb_call_new(&(wb_call_opts){0});
    wb_call_set_slice(c, 777);
    wb_val a = wb_i32(1000);
    wb_result r = wb_call_start(c, wb_instance_func(in, "mix"), &a, 1);
    uint32_t resumes = 0;
    while (r == WB_SUSPENDED && resumes < 100000) {
        resumes++;
        r = wb_call_resume(c);
    }
    CHECK_EQ_INT(r, WB_OK);
    CHECK(resumes > 300);
    CHECK_EQ_INT(wb__call_jit_leaves(c), resumes);
    wb_call_free(c);
    wb_instance_free(in);
    wb_module_free(m);
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
    wb_module *m2 = load_with("jit", "2");
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

/* One call object for call after call, as the database extensions keep
 * one: nothing a call leaves behind (a trap's frames, fuel used, a slice
 * set or taken off in between) shows in the next, whichever way it starts
 * (the compiled entry or the interpreter's). */
TEST(reused_call_starts_afresh)
{
    if (!fresh_of("calls"))
        return;
    wb_func *fib = wb_instance_func(inst, "fib"), *deep3 = wb_instance_func(inst, "deep3"),
            *indirect = wb_instance_func(inst, "indirect");
    wb_call *c = wb_call_new(&(wb_call_opts){.fuel = 1000000});
    uint64_t io[1] = {20};
    CHECK_EQ_INT(wb_call_start_cells(c, fib, io), WB_OK);
    CHECK_EQ_INT(io[0], 6765);
    uint64_t fuel = wb_call_fuel_used(c);
    CHECK(fuel > 1000 && wb_call_error(c) == NULL);
    /* A trap three frames down: three frames in its backtrace... */
    io[0] = 0;
    CHECK_EQ_INT(wb_call_start_cells(c, deep3, io), WB_TRAP_DIV_ZERO);
    CHECK(wb_call_error(c) && wb_call_error(c)->nframes == 3);
    /* ...then one in the function called: one. */
    io[0] = 3;
    CHECK_EQ_INT(wb_call_start_cells(c, indirect, io), WB_TRAP_UNINITIALIZED_ELEMENT);
    CHECK(wb_call_error(c) && wb_call_error(c)->nframes == 1);
    io[0] = 20;
    CHECK_EQ_INT(wb_call_start_cells(c, fib, io), WB_OK);
    CHECK_EQ_INT(io[0], 6765);
    CHECK(wb_call_fuel_used(c) == fuel && wb_call_error(c) == NULL);
    /* A slice set now holds for the next start, and taken off, no more. */
    wb_call_set_slice(c, 500);
    io[0] = 20;
    CHECK_EQ_INT(wb_call_start_cells(c, fib, io), WB_SUSPENDED);
    uint32_t resumes = 0;
    wb_result r = WB_SUSPENDED;
    while (r == WB_SUSPENDED && resumes++ < 10000)
        r = wb_call_resume(c);
    CHECK_EQ_INT(r, WB_OK);
    CHECK(resumes > 10 && wb_call_fuel_used(c) == fuel);
    CHECK(wb_call_result_cells(c, io, 1) == 1 && io[0] == 6765);
    wb_call_set_slice(c, 0);
    io[0] = 20;
    CHECK_EQ_INT(wb_call_start_cells(c, fib, io), WB_OK);
    CHECK(io[0] == 6765 && wb_call_fuel_used(c) == fuel);
    wb_call_free(c);
}

static volatile int flag;

TEST(interrupt_stops_machine_code_loop)
{
    if (!fresh())
        return;
    /* The flag is already up: the machine code sees it where its chunk of
     * fuel (limits.h) runs out, and the interpreter stops at that back-edge. */
    flag = 1;
    wb_call *c = wb_call_new(&(wb_call_opts){.interrupt = &flag});
    CHECK_EQ_INT(wb_call_start(c, wb_instance_func(inst, "spin"), NULL, 0), WB_SUSPENDED);
    flag = 0;
    wb_call_set_slice(c, 5000);
    CHECK_EQ_INT(wb_call_resume(c), WB_SUSPENDED); /* resumed, it spins on until its slice ends */
    wb_call_free(c);
}

static void *raise_later(void *p)
{
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    *(volatile int *)p = 1;
    return NULL;
}

/* fib(n) in m: its result and fuel; interrupted by another thread 5 ms in
 * when `interrupt`, then resumed. */
static int32_t fib_in(wb_module *m, int32_t n, bool interrupt, uint64_t *fuel, int *suspended)
{
    static volatile int stop;
    stop = 0;
    wb_instance *in = NULL;
    wb_error err;
    CHECK(wb_instantiate(m, NULL, 0, NULL, NULL, &in, &err) == WB_OK);
    if (!in)
        return -1;
    wb_call *c = wb_call_new(&(wb_call_opts){.interrupt = &stop});
    pthread_t t;
    if (interrupt)
        pthread_create(&t, NULL, raise_later, (void *)&stop);
    wb_val a = wb_i32(n), v;
    wb_result r = wb_call_start(c, wb_instance_func(in, "fib"), &a, 1);
    if (interrupt)
        pthread_join(t, NULL);
    *suspended = 0;
    while (r == WB_SUSPENDED) {
        ++*suspended;
        stop = 0;
        r = wb_call_resume(c);
    }
    int32_t got = -1;
    if (r == WB_OK && wb_call_results(c, &v, 1) == 1)
        got = v.of.i32;
    *fuel = wb_call_fuel_used(c);
    wb_call_free(c);
    wb_instance_free(in);
    return got;
}

/* An interrupt from another thread stops compiled functions calling each
 * other (checked at calls as at back-edges), and the call resumes to the
 * result and fuel of an uninterrupted run. */
TEST(interrupt_from_another_thread_stops_compiled_calls)
{
#if defined(__x86_64__) && defined(__linux__)
    wb_module *m = load_with("calls", "2");
    CHECK(m != NULL);
    if (!m)
        return;
    const wb__func *fib = &m->funcs[0];
    CHECK(fib->jit != NULL && fib->nx64_calls == 0); /* mapped and linked */
    uint64_t plain_fuel, fuel;
    int susp;
    CHECK_EQ_INT(fib_in(m, 32, false, &plain_fuel, &susp), 2178309);
    CHECK_EQ_INT(susp, 0);
    CHECK_EQ_INT(fib_in(m, 32, true, &fuel, &susp), 2178309);
    CHECK(susp >= 1);
    CHECK(fuel == plain_fuel);
    wb_module_free(m);
#endif
}


/* The runtime ops and host calls run in machine code (WASMBOX_JIT=2): no
 * activation is handed to the interpreter, though the report above would
 * be the same if it were. */
TEST(runtime_ops_stay_in_machine_code)
{
#if defined(__x86_64__) && defined(__linux__)
    wb_module *m = load_compiled("runtime");
    if (!m)
        return;
    static const struct {
        const char *name;
        int32_t arg;
    } runs[] = {{"grow_loop", 40},  {"grow_loop", 310}, {"grow_callee", 100}, {"tables", 5},
                {"tables", 21},     {"init", 0},        {"bulk_fuel", 16},    {"host_loop", 100}, {"host_indirect", 60},
                {"host_trap", 5},   {"host_wait", 3},   {"host_exit", 4},     {"table_oob", 5}};
    FILE *null = fopen("/dev/null", "w");
    for (size_t i = 0; null && i < sizeof runs / sizeof runs[0]; i++) {
        uint32_t leaves = run_rt(null, m, runs[i].name, runs[i].arg, (wb_call_opts){0}, 0);
        if (leaves)
            fprintf(stderr, "%s(%d): %u leaves\n", runs[i].name, runs[i].arg, leaves);
        CHECK_EQ_INT(leaves, 0);
    }
    /* Fuel running out, or an interrupt, after a host call stops there, in
     * machine code. */
    CHECK_EQ_INT(run_rt(null, m, "host_loop", 50, (wb_call_opts){.fuel = 1983}, 0), 0); /* ends at 0x3e2 */
    CHECK_EQ_INT(run_rt(null, m, "host_loop", 20, (wb_call_opts){.interrupt = &rt_flag}, 0), 0);
    if (null)
        fclose(null);
    wb_module_free(m);
#endif
}

/* Addresses in pinned locals: taken from their registers as they are only
 * where the op before wrote them with a 32-bit instruction.  One that
 * i32.wrap_i64 left (its upper half not zero) would fail the bounds check
 * and leave at every access, where the interpreter then finds it in
 * bounds: none may. */
TEST(pinned_addresses_stay_in_machine_code)
{
#if defined(__x86_64__) && defined(__linux__)
    wb_module *m = load_compiled("jit");
    wb_instance *in = NULL;
    CHECK(m && wb_instantiate(m, NULL, 0, NULL, NULL, &in, NULL) == WB_OK);
    if (in) {
        wb_call *c = wb_call_new(&(wb_call_opts){0});
        wb_val a = wb_i32(1000), r;
        CHECK_EQ_INT(wb_call_start(c, wb_instance_func(in, "addr"), &a, 1), WB_OK);
        CHECK_EQ_INT(wb_call_results(c, &r, 1), 1);
        CHECK_EQ_INT(wb__call_jit_leaves(c), 0);
        a = wb_i32(7); /* sums made by lea */
        CHECK_EQ_INT(wb_call_start(c, wb_instance_func(in, "leas"), &a, 1), WB_OK);
        CHECK_EQ_INT(wb_call_results(c, &r, 1), 1);
        CHECK_EQ_INT(wb__call_jit_leaves(c), 0);
        a = wb_i32(0); /* fixed addresses, one ending at the memory's end */
        CHECK_EQ_INT(wb_call_start(c, wb_instance_func(in, "fixed"), &a, 1), WB_OK);
        CHECK_EQ_INT(wb_call_results(c, &r, 1), 1);
        CHECK_EQ_INT(wb__call_jit_leaves(c), 0);
        wb_call_free(c);
        wb_instance_free(in);
    }
    wb_module_free(m);
#endif
}

/* Calls into another instance (an imported function of it, or one in a
 * table) run as machine code (WASMBOX_JIT=2), with that instance's memory,
 * globals, tables and host functions, and back again: no activation is
 * handed to the interpreter but where a trap or the depth cap is. */
TEST(calls_between_instances_stay_in_machine_code)
{
#if defined(__x86_64__) && defined(__linux__)
    wb_module *lm = load_compiled("linked_lib"), *um = load_compiled("linked_user");
    /* (Deeper recursion leaves where the stacks must grow, as in one
     * instance, till they have; a trap leaves twice, as calls.wat's deep3 does; fuel running
     * out at a back-edge leaves once.) */
    static const struct {
        const char *name;
        int32_t arg;
        uint32_t leaves;
    } runs[] = {{"loop", 100, 0}, {"ping", 3, 0},  {"indirect", 0, 0}, {"indirect", 1, 0},
                {"grow", 1, 0},   {"grow", 9, 0},  {"waits", 5, 0},    {"deep", 5, 0},
                {"deep", 0, 2},   {"indirect", 2, 1}, {"wide", 35, 1}};
    FILE *null = fopen("/dev/null", "w");
    for (size_t i = 0; null && lm && um && i < sizeof runs / sizeof runs[0]; i++) {
        uint32_t leaves = run_linked_in(null, lm, um, runs[i].name, runs[i].arg, (wb_call_opts){0}, 0, false);
        if (leaves != runs[i].leaves)
            fprintf(stderr, "linked %s(%d): %u leaves\n", runs[i].name, runs[i].arg, leaves);
        CHECK_EQ_INT(leaves, runs[i].leaves);
    }
    CHECK_EQ_INT(run_linked_in(null, lm, um, "loop", 40, (wb_call_opts){.fuel = 1000}, 0, false), 1);
    /* 2,000 frames deep through both instances, once the stacks have grown. */
    CHECK_EQ_INT(run_linked_in(null, lm, um, "ping", 1000, (wb_call_opts){0}, 0, true), 0);
    if (null)
        fclose(null);
    wb_module_free(lm);
    wb_module_free(um);
#endif
}

/* SIMD ops run in machine code (WASMBOX_JIT=2), the rare ones through the
 * interpreter's C functions: none hands its activation to the interpreter,
 * only a trap does. */
TEST(simd_ops_stay_in_machine_code)
{
#if defined(__x86_64__) && defined(__linux__)
    wb_module *m = load_compiled("simd_loops");
    if (!m)
        return;
    static const struct {
        const char *name;
        int32_t arg;
        uint32_t leaves;
    } runs[] = {{"mix", 300, 0}, {"spin", 300, 0}, {"oob", 16, 0}, {"oob_lane", 12, 0}, {"oob", 17, 1}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        wb_instance *in = NULL;
        wb_error err;
        CHECK(wb_instantiate(m, NULL, 0, NULL, NULL, &in, &err) == WB_OK);
        if (!in)
            continue;
        wb_call *c = wb_call_new(&(wb_call_opts){0});
        wb_val a = wb_i32(runs[i].arg);
        wb_result r = wb_call_start(c, wb_instance_func(in, runs[i].name), &a, 1);
        CHECK(r == (runs[i].leaves ? WB_TRAP_MEMORY_OOB : WB_OK));
        if (wb__call_jit_leaves(c) != runs[i].leaves)
            fprintf(stderr, "%s(%d): %u leaves\n", runs[i].name, runs[i].arg, wb__call_jit_leaves(c));
        CHECK_EQ_INT(wb__call_jit_leaves(c), runs[i].leaves); /* the trap's is the only one */
        wb_call_free(c);
        wb_instance_free(in);
    }
    wb_module_free(m);
#endif
}
