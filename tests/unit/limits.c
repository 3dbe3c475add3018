/*
 * limits.c - every execution limit ends a call with its own result, never a
 * crash: fuel, interrupt (flag and wb_call_interrupt), call depth, memory
 * cap; and a call cut into fuel slices gives the same result as one run.
 */
#include "test.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

static wb_module *mod;
static wb_instance *inst;

static void setup(uint64_t max_memory)
{
    if (!mod)
        mod = load_module("limits");
    if (inst)
        wb_instance_free(inst);
    inst = NULL;
    wb_instance_limits lim = {.max_memory_bytes = max_memory};
    wb_error err;
    if (mod && wb_instantiate(mod, NULL, 0, &lim, NULL, &inst, &err) != WB_OK)
        fprintf(stderr, "instantiate: %s\n", err.message);
}

TEST(fuel_stops_infinite_loop)
{
    setup(0);
    CHECK(inst != NULL);
    if (!inst)
        return;
    wb_call_opts o = {.fuel = 1000000};
    wb_error err;
    wb_result r = wb_invoke(wb_instance_func(inst, "spin"), NULL, 0, NULL, 0, &o, &err);
    CHECK_EQ_INT(r, WB_TRAP_OUT_OF_FUEL);
    CHECK(strstr(err.message, "fuel exhausted") != NULL);
    CHECK(err.nframes >= 1);
}

TEST(fuel_enough_for_bounded_loop)
{
    setup(0);
    if (!inst)
        return;
    wb_call *c = wb_call_new(&(wb_call_opts){.fuel = 1000000});
    wb_val arg = wb_i32(1000);
    CHECK_EQ_INT(wb_call_start(c, wb_instance_func(inst, "sum"), &arg, 1), WB_OK);
    wb_val res;
    CHECK_EQ_INT(wb_call_results(c, &res, 1), 1);
    CHECK_EQ_INT(res.of.i64, 500500);
    /* Each of the 1000 iterations is charged its body's length. */
    CHECK(wb_call_fuel_used(c) >= 1000 && wb_call_fuel_used(c) < 100000);
    wb_call_free(c);
}

static volatile int flag;

static void *raise_later(void *arg)
{
    (void)arg;
    usleep(50 * 1000);
    flag = 1;
    return NULL;
}

TEST(interrupt_flag_stops_infinite_loop)
{
    setup(0);
    if (!inst)
        return;
    flag = 0;
    pthread_t t;
    pthread_create(&t, NULL, raise_later, NULL);
    wb_call_opts o = {.interrupt = &flag};
    wb_error err;
    wb_result r = wb_invoke(wb_instance_func(inst, "spin"), NULL, 0, NULL, 0, &o, &err);
    pthread_join(t, NULL);
    CHECK_EQ_INT(r, WB_TRAP_INTERRUPTED);
    CHECK(strstr(err.message, "interrupted") != NULL);
}

static void *interrupt_call(void *arg)
{
    usleep(50 * 1000);
    wb_call_interrupt(arg);
    return NULL;
}

TEST(wb_call_interrupt_suspends_and_resume_continues)
{
    setup(0);
    if (!inst)
        return;
    wb_call *c = wb_call_new(NULL);
    pthread_t t;
    pthread_create(&t, NULL, interrupt_call, c);
    wb_result r = wb_call_start(c, wb_instance_func(inst, "spin"), NULL, 0);
    pthread_join(t, NULL);
    CHECK_EQ_INT(r, WB_SUSPENDED);
    /* Resumed with a fuel slice, it goes on spinning: suspended again. */
    wb_call_set_slice(c, 10000);
    CHECK_EQ_INT(wb_call_resume(c), WB_SUSPENDED);
    wb_call_free(c);
}

TEST(deep_recursion_traps_cleanly)
{
    setup(0);
    if (!inst)
        return;
    wb_val arg = wb_i32(0), res;
    wb_error err;
    wb_result r = wb_invoke(wb_instance_func(inst, "rec"), &arg, 1, &res, 1, NULL, &err);
    CHECK_EQ_INT(r, WB_TRAP_STACK_EXHAUSTED);
    CHECK(strstr(err.message, "call stack exhausted") != NULL);
    CHECK_EQ_INT(err.nframes, WB_BACKTRACE_MAX);
    /* A lower depth limit is honoured too, and the instance still works. */
    wb_call_opts o = {.max_depth = 100};
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "rec"), &arg, 1, &res, 1, &o, &err), WB_TRAP_STACK_EXHAUSTED);
    wb_val fa = wb_i64(20);
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "fib"), &fa, 1, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i64, 6765);
}

TEST(value_stack_cap_traps_cleanly)
{
    setup(0);
    if (!inst)
        return;
    wb_func *wide = wb_instance_func(inst, "wide");
    wb_val arg = wb_i32(50), res;
    wb_error err;
    /* 50 frames of ~50 slots fit in the default stack. */
    CHECK_EQ_INT(wb_invoke(wide, &arg, 1, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, 50);
    /* With 16 KiB of value stack they do not, long before the depth cap. */
    wb_call_opts o = {.max_stack = 16384};
    CHECK_EQ_INT(wb_invoke(wide, &arg, 1, &res, 1, &o, &err), WB_TRAP_STACK_EXHAUSTED);
    CHECK(strstr(err.message, "call stack exhausted") != NULL);
    CHECK(err.nframes > 5 && err.nframes < 50);
}

TEST(table_cap_refuses_growth)
{
    if (!mod)
        mod = load_module("limits");
    if (!mod)
        return;
    wb_instance *i = NULL;
    wb_error err;
    wb_instance_limits lim = {.max_table_elems = 100};
    CHECK_EQ_INT(wb_instantiate(mod, NULL, 0, &lim, NULL, &i, &err), WB_OK);
    if (!i)
        return;
    wb_func *grow = wb_instance_func(i, "table_grow");
    wb_val arg = wb_i32(99), res;
    CHECK_EQ_INT(wb_invoke(grow, &arg, 1, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, 1); /* old size */
    arg = wb_i32(1);
    CHECK_EQ_INT(wb_invoke(grow, &arg, 1, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, -1); /* refused: would exceed 100 */
    wb_instance_free(i);
}

TEST(memory_cap_refuses_growth)
{
    setup(10 * 65536);
    if (!inst)
        return;
    wb_val res;
    wb_error err;
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "bomb"), NULL, 0, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, 10);
    CHECK(wb_instance_memory_limit_hit(inst));
    wb_val arg = wb_i32(1);
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "grow"), &arg, 1, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, -1);
}

TEST(initial_memory_above_cap_fails_instantiation)
{
    wb_module *m = load_module("bigmem");
    CHECK(m != NULL);
    if (!m)
        return;
    wb_instance *i = NULL;
    wb_error err;
    wb_instance_limits lim = {.max_memory_bytes = 10 * 65536};
    CHECK_EQ_INT(wb_instantiate(m, NULL, 0, &lim, NULL, &i, &err), WB_ERR_MEMORY_LIMIT);
    CHECK(i == NULL);
    wb_module_free(m);
}

TEST(sliced_call_gives_the_same_result)
{
    setup(0);
    if (!inst)
        return;
    wb_val arg = wb_i64(22), whole, sliced;
    wb_call *c = wb_call_new(NULL);
    CHECK_EQ_INT(wb_call_start(c, wb_instance_func(inst, "fib"), &arg, 1), WB_OK);
    wb_call_results(c, &whole, 1);
    uint64_t fuel_whole = wb_call_fuel_used(c);

    wb_call_set_slice(c, 97);
    int suspensions = 0;
    wb_result r = wb_call_start(c, wb_instance_func(inst, "fib"), &arg, 1);
    while (r == WB_SUSPENDED) {
        suspensions++;
        r = wb_call_resume(c);
    }
    CHECK_EQ_INT(r, WB_OK);
    wb_call_results(c, &sliced, 1);
    CHECK_EQ_INT(whole.of.i64, 17711);
    CHECK_EQ_INT(sliced.of.i64, whole.of.i64);
    CHECK(suspensions > 100);
    CHECK_EQ_INT(wb_call_fuel_used(c), fuel_whole);
    wb_call_free(c);
}

TEST(trap_reports_location)
{
    setup(0);
    if (!inst)
        return;
    wb_val args[2] = {wb_i32(1), wb_i32(0)}, res;
    wb_error err;
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "div"), args, 2, &res, 1, NULL, &err), WB_TRAP_DIV_ZERO);
    CHECK(strstr(err.message, "integer divide by zero") != NULL);
    CHECK(strstr(err.message, "offset 0x") != NULL);
    CHECK_EQ_INT(err.nframes, 1);
    args[0] = wb_i32(INT32_MIN);
    args[1] = wb_i32(-1);
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "div"), args, 2, &res, 1, NULL, &err), WB_TRAP_INT_OVERFLOW);
    args[0] = wb_i32(7);
    args[1] = wb_i32(2);
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "div"), args, 2, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, 3);
}
