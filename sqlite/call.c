/*
 * call.c - the call path of every wasm SQL function: its instance, the run
 * with pauses that check for interrupts, and the mapping of
 * engine results to SQLite errors.
 *
 * Per call, for a function of numbers: compare the slot's instance
 * generation, turn each sqlite3_value into a 64-bit cell, run the export's
 * code through the reused wb_call (wb_call_start_cells), set the result.
 * No allocation, no lookup by name.
 *
 * Instances: one per module and connection, made at the first call with
 * the connection's memory cap, kept across calls (a guest's globals and
 * memory persist), and thrown away after any failure (the next call starts
 * fresh) or when the cap changed.
 *
 * Interrupts.  SQLite 3.40 has no sqlite3_is_interrupted(), and neither
 * sqlite3_interrupt() nor the progress handler reaches a running function.
 * So a call pauses every WSQ_TICK_MS: a ticker thread (one per process) sets
 * the flag the engine checks at every loop back-edge and call (wb_call_opts
 * .interrupt), and the paused call steps a small statement of its own on the
 * connection (the probe).  SQLite checks its interrupt flag when a statement
 * is prepared and stepped (SQLITE_INTERRUPT), and calls the progress handler
 * as the probe's opcodes run (a handler returning non-zero gives
 * SQLITE_INTERRUPT too).  Either ends the call with SQLITE_INTERRUPT; else it
 * resumes where it paused.  A timer rather than fuel slices, because the
 * engine runs machine code only for calls without a slice (src/interp.c).
 * A call shorter than a tick pays one store for this.
 */
#include "wasm_sqlite.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* The probe runs about 3,000 opcodes: a progress handler set to fire every
 * N <= 3,000 opcodes is called at every pause, a larger N every N / 3,000. */
#define WSQ_PROBE_SQL "WITH RECURSIVE t(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM t WHERE x < 200) SELECT count(*) FROM t"

/* ---- the ticker ------------------------------------------------------------------------------ */

/* Set by the ticker: every running call pauses at its next check. */
static volatile int tick;
/* Set by every call: the ticker ticks fast while calls run. */
static volatile int active;

static void *ticker(void *arg)
{
    bool busy = false;
    for (;;) {
        struct timespec ts = {0, (busy ? WSQ_TICK_MS : WSQ_IDLE_TICK_MS) * 1000000L};
        nanosleep(&ts, NULL);
        busy = active;
        if (busy) {
            active = 0;
            tick = 1;
        }
    }
    return NULL;
}

static void ticker_spawn(void)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    /* Without it, fuel still ends every call; only interrupts wait for that. */
    (void)pthread_create(&t, &attr, ticker, NULL);
    pthread_attr_destroy(&attr);
}

void wsq_ticker_start(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ticker_spawn);
}

/* ---- the wb_call ---------------------------------------------------------------------------- */

void wsq_drop_call(wsq_conn *c)
{
    wb_call_free(c->call);
    c->call = NULL;
}

static wb_call *get_call(wsq_conn *c)
{
    if (likely(c->call != NULL))
        return c->call;
    wb_call_opts opts = {.fuel = c->fuel, .interrupt = &tick};
    c->call = wb_call_new(&opts);
    return c->call;
}

/* ---- errors ---------------------------------------------------------------------------------- */

void wsq_drop_instance(wsq_module *m)
{
    wb_instance_free(m->inst);
    m->inst = NULL;
    m->mem = NULL;
    m->alloc = NULL;
    m->gen++;
}

void wsq_fail(sqlite3_context *ctx, wsq_func *f, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_result_error(ctx, msg ? msg : "out of memory", -1);
    if (code != SQLITE_ERROR)
        sqlite3_result_error_code(ctx, code);
    sqlite3_free(msg);
    if (f && f->mod && f->mod->inst)
        wsq_drop_instance(f->mod);
}

/* The error of a failed call or instantiation; `what` names the function. */
static void engine_error(sqlite3_context *ctx, wsq_func *f, wb_result r, const wb_error *err, bool mem_hit,
                         const char *what)
{
    wsq_conn *c = f->conn;
    const char *detail = err && err->message[0] ? err->message : wb_result_message(r);
    if (r == WB_ERR_MEMORY_LIMIT || mem_hit)
        wsq_fail(ctx, f, SQLITE_NOMEM, "wasm function \"%s\" exceeded its memory limit of %llu bytes "
                 "(wasm_config('max_memory')): %s", what, (unsigned long long)c->max_memory, detail);
    else if (r == WB_TRAP_OUT_OF_FUEL)
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" ran out of fuel after %llu instructions "
                 "(wasm_config('fuel')): %s", what, (unsigned long long)c->fuel, detail);
    else if (r == WB_TRAP_STACK_EXHAUSTED)
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" exhausted its call stack: %s", what, detail);
    else if (r == WB_TRAP_INTERRUPTED)
        wsq_fail(ctx, f, SQLITE_INTERRUPT, "wasm function \"%s\" interrupted", what);
    else if (r == WB_ERR_NOMEM)
        wsq_fail(ctx, f, SQLITE_NOMEM, "out of memory in wasm function \"%s\": %s", what, detail);
    else if (wb_result_is_trap(r))
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" trapped: %s", what, detail);
    else
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" failed: %s", what, detail);
}

/* ---- running ------------------------------------------------------------------------------- */

/* Whether sqlite3_interrupt() was called or the progress handler asks to
 * stop.  *probe is prepared at the first pause of a call and kept to its
 * end, so that its opcodes add up towards the progress handler's period. */
static bool interrupted(wsq_conn *c, sqlite3_stmt **probe)
{
    int rc = SQLITE_OK;
    if (!*probe)
        rc = sqlite3_prepare_v2(c->db, WSQ_PROBE_SQL, -1, probe, NULL);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(*probe)) == SQLITE_ROW)
            ;
        sqlite3_reset(*probe);
    }
    return rc == SQLITE_INTERRUPT;
}

/* A call that paused (a tick), or failed. */
static bool finish(sqlite3_context *ctx, wsq_func *f, wb_call *call, wb_result r, uint64_t *io, const char *what)
{
    wsq_conn *c = f->conn;
    sqlite3_stmt *probe = NULL;
    while (r == WB_SUSPENDED) {
        tick = 0;
        active = 1;
        if (interrupted(c, &probe)) {
            r = WB_TRAP_INTERRUPTED;
            break;
        }
        r = wb_call_resume(call);
    }
    sqlite3_finalize(probe);
    if (r == WB_OK) {
        wb_call_result_cells(call, io, 1);
        return true;
    }
    const wb_error *e = wb_call_error(call);
    wb_error copy = e ? *e : (wb_error){.code = r};
    /* A Rust panic or an AssemblyScript abort says why (docs/guests.md). */
    char said[257];
    if (r == WB_TRAP_UNREACHABLE && f->mod && f->mod->inst &&
        wb_guest_trap_message(f->mod->inst, said, sizeof said)) {
        char both[sizeof said + 2 + sizeof copy.message];
        size_t a = strlen(said), b = strnlen(copy.message, sizeof copy.message - 1);
        memcpy(both, said, a);
        memcpy(both + a, "; ", 2);
        memcpy(both + a + 2, copy.message, b);
        size_t n = a + 2 + b < sizeof copy.message ? a + 2 + b : sizeof copy.message - 1;
        memcpy(copy.message, both, n);
        copy.message[n] = 0;
    }
    bool mem_hit = f->mod && f->mod->inst && wb_instance_memory_limit_hit(f->mod->inst);
    /* Its stacks may have grown to the limits (a deep recursion), and an
     * abandoned call is not reused: a fresh one next time. */
    wsq_drop_call(c);
    engine_error(ctx, f, r, &copy, mem_hit, what);
    return false;
}

static inline bool run_inline(sqlite3_context *ctx, wsq_func *f, wb_func *fn, uint64_t *io, const char *what)
{
    wsq_conn *c = f->conn;
    wb_call *call = get_call(c);
    if (unlikely(!call)) {
        wsq_fail(ctx, f, SQLITE_NOMEM, "out of memory calling wasm function \"%s\"", what);
        return false;
    }
    active = 1;
    wb_result r = wb_call_start_cells(call, fn, io);
    return likely(r == WB_OK) || finish(ctx, f, call, r, io, what);
}

bool wsq_run(sqlite3_context *ctx, wsq_func *f, wb_func *fn, uint64_t *io, const char *what)
{
    return run_inline(ctx, f, fn, io, what);
}

/* ---- binding a slot to its instance ------------------------------------------------------------ */

static bool instantiate(sqlite3_context *ctx, wsq_func *f, wsq_module *m)
{
    wsq_conn *c = f->conn;
    wb_instance_limits lim = {.max_memory_bytes = c->max_memory};
    wb_call_opts opts = {.fuel = c->fuel};
    wb_error err;
    wb_instance *inst = NULL;
    wb_result r = wb_instantiate(m->mod, NULL, 0, &lim, &opts, &inst, &err);
    if (r != WB_OK) {
        bool mem = inst && wb_instance_memory_limit_hit(inst);
        wb_instance_free(inst);
        engine_error(ctx, f, r, &err, mem, m->ns);
        return false;
    }
    m->inst = inst;
    m->cap = c->max_memory;
    m->mem = wb_instance_memory(inst);
    m->alloc = wb_instance_func(inst, m->abi == WSQ_ABI_LIBSQL ? "libsql_malloc" : "cabi_realloc");
    m->gen++;
    return true;
}

/* cabi_post_<export> takes nothing or the export's results. */
static bool find_post(sqlite3_context *ctx, wsq_func *f)
{
    char *pname = wsq_printf("cabi_post_%s", f->export_name);
    f->post = wb_instance_func(f->mod->inst, pname);
    bool ok = true;
    if (f->post) {
        const wb_functype *pt = wb_func_type(f->post), *ft = wb_func_type(f->fn);
        ok = pt->nresults == 0 && (pt->nparams == 0 || (pt->nparams == ft->nresults &&
                                                         memcmp(pt->types, ft->types + ft->nparams, ft->nresults) == 0));
        if (!ok)
            wsq_fail(ctx, NULL, SQLITE_ERROR, "wasm export \"%s\" must take nothing or the results of \"%s\"", pname,
                     f->export_name);
    }
    sqlite3_free(pname);
    return ok;
}

bool wsq_resolve(sqlite3_context *ctx, wsq_func *f)
{
    wsq_module *m = f->mod;
    if (!m) {
        wsq_fail(ctx, NULL, SQLITE_ERROR, "wasm function \"%s\": its module was dropped (wasm_drop_instance)",
                 f->name);
        return false;
    }
    if (m->inst && m->cap != f->conn->max_memory)
        wsq_drop_instance(m);
    if (!m->inst && !instantiate(ctx, f, m))
        return false;
    if (f->aggregate)
        return wsq_resolve(ctx, f->step) && wsq_resolve(ctx, f->final);
    if (f->gen == m->gen)
        return true;
    f->fn = wb_instance_func(m->inst, f->export_name);
    if (!f->fn) {
        wsq_fail(ctx, NULL, SQLITE_ERROR, "wasm function \"%s\": export \"%s\" vanished", f->name, f->export_name);
        return false;
    }
    if (!find_post(ctx, f))
        return false;
    if (f->sig.byref && !m->mem) {
        wsq_fail(ctx, NULL, SQLITE_ERROR, "wasm function \"%s\" passes text or blobs, but its module has no memory",
                 f->name);
        return false;
    }
    f->gen = m->gen;
    return true;
}

/* ---- scalar functions ------------------------------------------------------------------------- */

/* The general path: anything passed through memory. */
static void call_byref(sqlite3_context *ctx, wsq_func *f, int argc, sqlite3_value **argv)
{
    /* libSQL makes an instance for every call, so its guests need not free
     * what libsql_malloc gave (Rust's bindings do not): a reused instance
     * of theirs would fill up.  Half full, it is made afresh, which is what
     * such a guest expects of every call anyway. */
    wsq_module *m = f->mod;
    if (m->abi == WSQ_ABI_LIBSQL && m->mem && wb_memory_size(m->mem) > m->cap / 2) {
        wsq_drop_instance(m);
        if (!wsq_resolve(ctx, f))
            return;
    }
    /* NULL in: NULL out, before anything is placed in guest memory, except
     * for libSQL's tagged values, which carry NULL. */
    for (int i = 0; i < argc; i++)
        if (f->sig.args[i] != WSQ_TAGGED && sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    uint64_t io[2 * WSQ_MAX_ARGS + 2];
    uint64_t *p = io;
    for (int i = 0; i < argc; i++) {
        wsq_val v;
        wsq_val_from(argv[i], &v);
        if (!wsq_lower(ctx, f, i, f->sig.args[i], &v, p))
            return;
        p += f->sig.args[i] == WSQ_TEXT || f->sig.args[i] == WSQ_BLOB ? 2 : 1;
    }
    if (!wsq_run(ctx, f, f->fn, io, f->name))
        return;
    wsq_val out;
    if (!wsq_lift(ctx, f, f->sig.ret, io[0], &out))
        return;
    wsq_result(ctx, f, &out);
    if (f->post)
        wsq_run(ctx, f, f->post, io, f->name); /* io[0] still holds the result, its one argument */
}

/* A number argument as its cell.  Returns 1 for NULL, -1 for an error. */
static inline int arg_cell(sqlite3_context *ctx, wsq_func *f, int i, sqlite3_value *v, uint64_t *cell)
{
    int t = sqlite3_value_type(v);
    if (unlikely(t == SQLITE_NULL))
        return 1;
    wsq_kind k = f->sig.args[i];
    if (unlikely(t != SQLITE_INTEGER && t != SQLITE_FLOAT && f->mod->abi == WSQ_ABI_LIBSQL)) {
        wsq_fail(ctx, NULL, SQLITE_MISMATCH, "wasm function \"%s\": argument %d is %s, the module takes %s there",
                 f->name, i + 1, t == SQLITE_TEXT ? "TEXT" : "a BLOB", k == WSQ_INT64 ? "an INTEGER" : "a REAL");
        return -1;
    }
    switch (k) {
    case WSQ_INT64:
        *cell = (uint64_t)sqlite3_value_int64(v);
        break;
    case WSQ_FLOAT64: {
        double d = sqlite3_value_double(v);
        memcpy(cell, &d, 8);
        break;
    }
    case WSQ_FLOAT32: {
        float x = (float)sqlite3_value_double(v);
        uint32_t b;
        memcpy(&b, &x, 4);
        *cell = b;
        break;
    }
    case WSQ_BOOL:
        *cell = sqlite3_value_int64(v) != 0;
        break;
    default: /* i32 kinds: the low half, as SQLite's own int conversion */
        *cell = (uint32_t)(int32_t)sqlite3_value_int64(v);
        break;
    }
    return 0;
}

/* A number result. */
static inline void result_cell(sqlite3_context *ctx, wsq_func *f, uint64_t cell)
{
    switch (f->sig.ret) {
    case WSQ_INT64:
        sqlite3_result_int64(ctx, (sqlite3_int64)cell);
        break;
    case WSQ_INT32:
        sqlite3_result_int(ctx, (int32_t)cell);
        break;
    case WSQ_FLOAT64: {
        double d;
        memcpy(&d, &cell, 8);
        sqlite3_result_double(ctx, d);
        break;
    }
    default: {
        wsq_val v;
        if (wsq_lift(ctx, f, f->sig.ret, cell, &v))
            wsq_result(ctx, f, &v);
    }
    }
}

void wsq_scalar(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    wsq_func *f = sqlite3_user_data(ctx);
    wsq_module *m = f->mod;
    if (unlikely(!m || f->gen != m->gen || m->cap != f->conn->max_memory) && !wsq_resolve(ctx, f))
        return;
    if (unlikely(f->sig.byref)) {
        call_byref(ctx, f, argc, argv);
        return;
    }
    uint64_t io[WSQ_MAX_ARGS + 1];
    for (int i = 0; i < argc; i++) {
        int r = arg_cell(ctx, f, i, argv[i], &io[i]);
        if (unlikely(r != 0)) {
            if (r > 0)
                sqlite3_result_null(ctx);
            return;
        }
    }
    if (likely(run_inline(ctx, f, f->fn, io, f->name)))
        result_cell(ctx, f, io[0]);
}
