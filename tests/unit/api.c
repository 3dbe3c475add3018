/*
 * api.c - the embedding API: module inspection, linking host functions and
 * globals (with signature checks), exports of every kind, guest memory
 * access with bounds checks, host traps and host-requested suspension.
 */
#include "test.h"

static int wait_calls;

static wb_result host_add(wb_host_ctx *ctx, const wb_val *args, wb_val *results)
{
    int *calls = wb_host_user(ctx);
    (*calls)++;
    results[0] = wb_i32(args[0].of.i32 + args[1].of.i32);
    return WB_OK;
}

/* Suspends the first time, answers 41 when called again after resume. */
static wb_result host_wait(wb_host_ctx *ctx, const wb_val *args, wb_val *results)
{
    if (wait_calls++ == 0)
        return WB_SUSPENDED;
    results[0] = wb_i32(41);
    return WB_OK;
}

static wb_result host_fail(wb_host_ctx *ctx, const wb_val *args, wb_val *results)
{
    CHECK(wb_host_instance(ctx) != NULL);
    wb_host_set_message(ctx, "the host said no");
    return WB_TRAP_HOST;
}

static const uint8_t t_ii_i[] = {WB_I32, WB_I32, WB_I32}, t_i[] = {WB_I32};
static int add_calls;

typedef struct fixture {
    wb_module *m;
    wb_func *add, *wait, *fail;
    wb_global *g;
    wb_extern imports[4];
} fixture;

static void fixture_make(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->m = load_module("api");
    fx->add = wb_func_new_host(&(wb_functype){2, 1, t_ii_i}, host_add, &add_calls);
    fx->wait = wb_func_new_host(&(wb_functype){0, 1, t_i}, host_wait, NULL);
    fx->fail = wb_func_new_host(&(wb_functype){0, 0, NULL}, host_fail, NULL);
    fx->g = wb_global_new(wb_i32(100), false);
    fx->imports[0] = (wb_extern){WB_EXTERN_FUNC, {.func = fx->add}};
    fx->imports[1] = (wb_extern){WB_EXTERN_FUNC, {.func = fx->wait}};
    fx->imports[2] = (wb_extern){WB_EXTERN_FUNC, {.func = fx->fail}};
    fx->imports[3] = (wb_extern){WB_EXTERN_GLOBAL, {.global = fx->g}};
}

static void fixture_free(fixture *fx)
{
    wb_func_free(fx->add);
    wb_func_free(fx->wait);
    wb_func_free(fx->fail);
    wb_global_free(fx->g);
    wb_module_free(fx->m);
}

TEST(module_inspection)
{
    fixture fx;
    fixture_make(&fx);
    CHECK(fx.m != NULL);
    if (!fx.m)
        return;
    CHECK_EQ_INT(wb_module_import_count(fx.m), 4);
    wb_extern_desc d;
    CHECK_EQ_INT(wb_module_import(fx.m, 0, &d), WB_OK);
    CHECK(d.module_len == 4 && memcmp(d.module, "host", 4) == 0);
    CHECK(d.name_len == 3 && memcmp(d.name, "add", 3) == 0);
    CHECK_EQ_INT(d.kind, WB_EXTERN_FUNC);
    CHECK_EQ_INT(d.type.func.nparams, 2);
    CHECK_EQ_INT(d.type.func.nresults, 1);
    CHECK_EQ_INT(wb_module_import(fx.m, 3, &d), WB_OK);
    CHECK_EQ_INT(d.kind, WB_EXTERN_GLOBAL);
    CHECK_EQ_INT(d.type.global.type, WB_I32);
    CHECK(!d.type.global.mutable_);
    CHECK_EQ_INT(wb_module_import(fx.m, 4, &d), WB_ERR_NOT_FOUND);
    bool saw_mem = false;
    for (uint32_t i = 0; i < wb_module_export_count(fx.m); i++) {
        CHECK_EQ_INT(wb_module_export(fx.m, i, &d), WB_OK);
        if (d.kind == WB_EXTERN_MEMORY) {
            saw_mem = true;
            CHECK_EQ_INT(d.type.memory.min, 1);
            CHECK_EQ_INT(d.type.memory.max, 4);
            CHECK(d.type.memory.has_max);
        }
    }
    CHECK(saw_mem);
    fixture_free(&fx);
}

TEST(linking_checks_kinds_and_signatures)
{
    fixture fx;
    fixture_make(&fx);
    if (!fx.m)
        return;
    wb_instance *inst = NULL;
    wb_error err;
    /* Too few imports. */
    CHECK_EQ_INT(wb_instantiate(fx.m, fx.imports, 3, NULL, NULL, &inst, &err), WB_ERR_LINK);
    CHECK(inst == NULL);
    /* A function of the wrong signature where "wait" is expected. */
    wb_extern bad[4];
    memcpy(bad, fx.imports, sizeof bad);
    bad[1] = fx.imports[0];
    CHECK_EQ_INT(wb_instantiate(fx.m, bad, 4, NULL, NULL, &inst, &err), WB_ERR_LINK);
    CHECK(strstr(err.message, "incompatible import type") != NULL);
    CHECK(strstr(err.message, "wait") != NULL);
    /* A memory where a function is expected. */
    wb_memory *mem = wb_memory_new(1, 1, true);
    bad[1] = (wb_extern){WB_EXTERN_MEMORY, {.memory = mem}};
    CHECK_EQ_INT(wb_instantiate(fx.m, bad, 4, NULL, NULL, &inst, &err), WB_ERR_LINK);
    /* A mutable global where an immutable one is expected. */
    wb_global *mg = wb_global_new(wb_i32(1), true);
    memcpy(bad, fx.imports, sizeof bad);
    bad[3] = (wb_extern){WB_EXTERN_GLOBAL, {.global = mg}};
    CHECK_EQ_INT(wb_instantiate(fx.m, bad, 4, NULL, NULL, &inst, &err), WB_ERR_LINK);
    wb_global_free(mg);
    wb_memory_free(mem);
    fixture_free(&fx);
}

TEST(host_functions_globals_and_exports)
{
    fixture fx;
    fixture_make(&fx);
    if (!fx.m)
        return;
    wb_instance *inst = NULL;
    wb_error err;
    CHECK_EQ_INT(wb_instantiate(fx.m, fx.imports, 4, NULL, NULL, &inst, &err), WB_OK);
    if (!inst) {
        fixture_free(&fx);
        return;
    }
    wb_val arg = wb_i32(21), res;
    add_calls = 0;
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "twice"), &arg, 1, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, 42);
    CHECK_EQ_INT(add_calls, 1);
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "plus_g"), &arg, 1, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, 121);

    /* The exported mutable global is shared state of the instance. */
    wb_extern e;
    CHECK_EQ_INT(wb_instance_export(inst, "counter", 7, &e), WB_OK);
    CHECK_EQ_INT(e.kind, WB_EXTERN_GLOBAL);
    CHECK_EQ_INT(wb_global_get(e.of.global).of.i64, 5);
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "bump"), NULL, 0, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i64, 6);
    CHECK_EQ_INT(wb_global_set(e.of.global, wb_i64(100)), WB_OK);
    CHECK_EQ_INT(wb_global_set(e.of.global, wb_i32(1)), WB_ERR_ARG);
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "bump"), NULL, 0, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i64, 101);

    /* The table holds the element segment's function, callable from the host. */
    CHECK_EQ_INT(wb_instance_export(inst, "tab", 3, &e), WB_OK);
    CHECK_EQ_INT(wb_table_size(e.of.table), 2);
    wb_val fr;
    CHECK_EQ_INT(wb_table_get(e.of.table, 0, &fr), WB_OK);
    CHECK(fr.of.func == NULL);
    CHECK_EQ_INT(wb_table_get(e.of.table, 1, &fr), WB_OK);
    CHECK(fr.of.func != NULL);
    CHECK_EQ_INT(wb_table_get(e.of.table, 2, &fr), WB_TRAP_TABLE_OOB);
    if (fr.of.func) {
        CHECK_EQ_INT(wb_invoke(fr.of.func, &arg, 1, &res, 1, NULL, &err), WB_OK);
        CHECK_EQ_INT(res.of.i32, 42);
    }

    CHECK_EQ_INT(wb_instance_export(inst, "nope", 4, &e), WB_ERR_NOT_FOUND);
    CHECK(wb_instance_func(inst, "mem") == NULL); /* exists, but is no function */
    wb_instance_free(inst);
    fixture_free(&fx);
}

TEST(guest_memory_access_is_bounds_checked)
{
    fixture fx;
    fixture_make(&fx);
    if (!fx.m)
        return;
    wb_instance *inst = NULL;
    wb_error err;
    CHECK_EQ_INT(wb_instantiate(fx.m, fx.imports, 4, NULL, NULL, &inst, &err), WB_OK);
    if (!inst) {
        fixture_free(&fx);
        return;
    }
    wb_memory *mem = wb_instance_memory(inst);
    CHECK_EQ_INT(wb_memory_size(mem), 65536);
    char buf[8] = {0};
    CHECK_EQ_INT(wb_memory_read(mem, 16, buf, 5), WB_OK);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ_INT(wb_memory_write(mem, 65535, "x", 1), WB_OK);
    CHECK_EQ_INT(wb_memory_write(mem, 65535, "xy", 2), WB_TRAP_MEMORY_OOB);
    CHECK_EQ_INT(wb_memory_read(mem, UINT64_MAX, buf, 1), WB_TRAP_MEMORY_OOB);
    wb_val arg = wb_i32(65535), res;
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "load"), &arg, 1, &res, 1, NULL, &err), WB_OK);
    CHECK_EQ_INT(res.of.i32, 'x');
    /* Growth within the declared maximum only; new bytes read as zero. */
    CHECK_EQ_INT(wb_memory_grow(mem, 3), 1);
    CHECK_EQ_INT(wb_memory_grow(mem, 1), -1);
    CHECK_EQ_INT(wb_memory_read(mem, 4 * 65536 - 4, buf, 4), WB_OK);
    CHECK(memcmp(buf, "\0\0\0\0", 4) == 0);
    arg = wb_i32(4 * 65536);
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "load"), &arg, 1, &res, 1, NULL, &err),
                 WB_TRAP_MEMORY_OOB);
    wb_instance_free(inst);
    fixture_free(&fx);
}

TEST(host_trap_and_suspension)
{
    fixture fx;
    fixture_make(&fx);
    if (!fx.m)
        return;
    wb_instance *inst = NULL;
    wb_error err;
    CHECK_EQ_INT(wb_instantiate(fx.m, fx.imports, 4, NULL, NULL, &inst, &err), WB_OK);
    if (!inst) {
        fixture_free(&fx);
        return;
    }
    CHECK_EQ_INT(wb_invoke(wb_instance_func(inst, "failing"), NULL, 0, NULL, 0, NULL, &err),
                 WB_TRAP_HOST);
    CHECK(strstr(err.message, "the host said no") != NULL);

    wait_calls = 0;
    wb_call *c = wb_call_new(NULL);
    CHECK_EQ_INT(wb_call_start(c, wb_instance_func(inst, "waiting"), NULL, 0), WB_SUSPENDED);
    CHECK_EQ_INT(wb_call_resume(c), WB_OK);
    wb_val res;
    CHECK_EQ_INT(wb_call_results(c, &res, 1), 1);
    CHECK_EQ_INT(res.of.i32, 42);
    CHECK_EQ_INT(wait_calls, 2);
    wb_call_free(c);
    wb_instance_free(inst);
    fixture_free(&fx);
}

TEST(instances_are_isolated)
{
    wb_module *m = load_module("limits");
    if (!m)
        return;
    wb_instance *a = NULL, *b = NULL;
    wb_error err;
    CHECK_EQ_INT(wb_instantiate(m, NULL, 0, NULL, NULL, &a, &err), WB_OK);
    CHECK_EQ_INT(wb_instantiate(m, NULL, 0, NULL, NULL, &b, &err), WB_OK);
    if (a && b) {
        CHECK_EQ_INT(wb_memory_write(wb_instance_memory(a), 0, "A", 1), WB_OK);
        char c = 0;
        CHECK_EQ_INT(wb_memory_read(wb_instance_memory(b), 0, &c, 1), WB_OK);
        CHECK_EQ_INT(c, 0);
        CHECK(wb_instance_memory(a) != wb_instance_memory(b));
    }
    wb_instance_free(a);
    wb_instance_free(b);
    wb_module_free(m);
}

/* Suspends the first time, answers its argument + 1 when called again. */
static int echo_calls;
static wb_result host_wait_echo(wb_host_ctx *ctx, const wb_val *args, wb_val *results)
{
    if (echo_calls++ == 0)
        return WB_SUSPENDED;
    results[0] = wb_i32(args[0].of.i32 + 1);
    return WB_OK;
}

/* A host function called directly (no wasm around it) that suspends is
 * asked again on resume, with its arguments. */
TEST(host_function_called_directly_suspends_and_resumes)
{
    wb_func *f = wb_func_new_host(&(wb_functype){1, 1, t_ii_i + 1}, host_wait_echo, NULL);
    wb_call *c = wb_call_new(NULL);
    wb_val a = wb_i32(41), res;
    echo_calls = 0;
    CHECK_EQ_INT(wb_call_start(c, f, &a, 1), WB_SUSPENDED);
    CHECK_EQ_INT(wb_call_resume(c), WB_OK);
    CHECK_EQ_INT(wb_call_results(c, &res, 1), 1);
    CHECK_EQ_INT(res.of.i32, 42);
    CHECK_EQ_INT(echo_calls, 2);
    uint64_t io[1] = {6};
    echo_calls = 0;
    CHECK_EQ_INT(wb_call_start_cells(c, f, io), WB_SUSPENDED);
    CHECK_EQ_INT(wb_call_resume(c), WB_OK);
    CHECK_EQ_INT(wb_call_result_cells(c, io, 1), 1);
    CHECK(io[0] == 7);
    wb_call_free(c);
    wb_func_free(f);
}

/* wb_call_start_cells: every scalar type crosses as a raw cell, results come
 * back in place, a suspended call's results are read afterwards, a trap is
 * reported as by wb_call_start. */
TEST(calls_with_raw_cells)
{
    static const char wat[] =
        "(module (import \"env\" \"wait\" (func $wait (result i32)))\n"
        "  (func (export \"mixed\") (param i32 i64 f32 f64) (result f64 i64 i32 f32)\n"
        "    (f64.mul (local.get 3) (f64.const 2)) (i64.add (local.get 1) (i64.const 1))\n"
        "    (i32.sub (local.get 0) (i32.const 1)) (f32.neg (local.get 2)))\n"
        "  (func (export \"waits\") (param i32) (result i32) (i32.add (call $wait) (local.get 0)))\n"
        "  (func (export \"traps\") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))";
    wb_module *m = NULL;
    wb_instance *inst = NULL;
    wb_error err;
    CHECK_EQ_INT(wb_module_from_wat(wat, sizeof wat - 1, &m, &err), WB_OK);
    wb_func *wait = wb_func_new_host(&(wb_functype){0, 1, t_i}, host_wait, NULL);
    wb_extern imp = {WB_EXTERN_FUNC, {.func = wait}};
    CHECK_EQ_INT(m ? wb_instantiate(m, &imp, 1, NULL, NULL, &inst, &err) : WB_ERR_ARG, WB_OK);
    if (!inst) {
        wb_func_free(wait);
        wb_module_free(m);
        return;
    }
    wb_call *c = wb_call_new(&(wb_call_opts){.fuel = 1000});
    float f = 1.5f, g;
    double d = -3.25, e;
    uint32_t fb;
    uint64_t db, io[4];
    memcpy(&fb, &f, 4);
    memcpy(&db, &d, 8);
    io[0] = (uint32_t)-5;
    io[1] = (uint64_t)-9;
    io[2] = fb;
    io[3] = db;
    CHECK_EQ_INT(wb_call_start_cells(c, wb_instance_func(inst, "mixed"), io), WB_OK);
    memcpy(&e, &io[0], 8);
    CHECK(e == -6.5);
    CHECK(io[1] == (uint64_t)-8);
    CHECK(io[2] == 0xfffffffau); /* an i32 fills the low half only */
    CHECK(io[3] >> 32 == 0);
    memcpy(&g, &io[3], 4);
    CHECK(g == -1.5f);
    CHECK(wb_call_fuel_used(c) > 0);

    wait_calls = 0;
    io[0] = 1;
    CHECK_EQ_INT(wb_call_start_cells(c, wb_instance_func(inst, "waits"), io), WB_SUSPENDED);
    CHECK_EQ_INT(wb_call_resume(c), WB_OK);
    uint64_t out[2] = {0, 0};
    CHECK_EQ_INT(wb_call_result_cells(c, out, 2), 1);
    CHECK(out[0] == 42);

    io[0] = 0;
    CHECK_EQ_INT(wb_call_start_cells(c, wb_instance_func(inst, "traps"), io), WB_TRAP_DIV_ZERO);
    CHECK(wb_call_error(c) && strstr(wb_call_error(c)->message, "divide by zero"));
    CHECK_EQ_INT(wb_call_result_cells(c, out, 2), 0);
    wb_call_free(c);
    wb_instance_free(inst);
    wb_func_free(wait);
    wb_module_free(m);
}
