/*
 * call.c - running guests: the call path of every LANGUAGE wasm function
 * (the hot path), the canonical ABI for strings and byte lists, and DO
 * blocks.
 *
 * Per call, the work is: compare the FmgrInfo cache's generation with the
 * global one and its instance's role with the current user, check
 * arguments for NULL, store them as the engine's raw cells (resolve checked
 * the types once), wb_call_start_cells on a reused wb_call object, which
 * runs an export's machine code directly, read the result cell.  No
 * allocation, no catalog access, no lookup by name.
 * Everything else happens once per FmgrInfo (resolve) or when the caches
 * are stale.
 *
 * Interrupts: the wb_call's interrupt flag is PostgreSQL's InterruptPending,
 * so a cancel or statement_timeout suspends the guest at its next loop
 * back-edge or call.  The handler then runs CHECK_FOR_INTERRUPTS(), which
 * raises the cancel (57014); an interrupt that raises nothing (a config
 * reload, a barrier) is served and the call resumes where it stopped.  Where
 * PostgreSQL holds interrupts, a call runs on a budget of its own and is
 * checked every slice (see call_blind).
 */
#include "wasm_pg.h"

#include <time.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/* The FmgrInfo cache (fn_extra) of a wasm function. */
typedef struct wpg_fcache {
    uint64 generation; /* == wpg_generation while valid */
    Oid role;          /* wi's role: a call as another user re-resolves */
    wpg_instance *wi;
    wb_func *func;
    wb_func *post;      /* cabi_post_<export>, or NULL */
    int nargs;
    wpg_kind ret;
    bool has_byref;     /* a text/bytea argument or result */
    wpg_stat *stat;
    char name[NAMEDATALEN];
    wpg_kind args[FUNC_MAX_ARGS];
} wpg_fcache;

/* ---- wb_call objects ------------------------------------------------------------------ */

/* Two reusable calls: one watching InterruptPending, one not, for where
 * PostgreSQL holds interrupts (see below).  They carry the fuel and depth
 * limits, so they are re-made when those change. */
static wb_call *call_watch, *call_blind;
static uint64 call_gen;

/* Where PostgreSQL holds interrupts (a GiST penalty runs with a buffer
 * lock held, for instance), InterruptPending cannot be watched: nothing
 * would clear it, and a call watching a flag that stays set would stop at
 * every back-edge.  Such a call runs on call_blind, without a flag, on the
 * held fuel budget, and sliced: every HELD_SLICE units of fuel it suspends,
 * and held_check ends it when a cancel or a termination is pending (a
 * statement_timeout is a cancel) or its wall-time budget is spent.  A
 * sliced call runs in the interpreter, not as machine code: these calls are
 * rare (index support functions) and meant to be short.  A slice is about a
 * millisecond of interpreted code. */
#define HELD_SLICE 1000000
static int64 held_start; /* ns: when the current held call started */

static inline int64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void drop_calls(void)
{
    wb_call_free(call_watch);
    wb_call_free(call_blind);
    call_watch = call_blind = NULL;
}

static wb_call *get_call_slow(const char *what);

/* The call object for a call made now.  The common case inline: limits
 * unchanged, interrupts processable. */
static inline wb_call *get_call(const char *what)
{
    if (likely(call_gen == wpg_call_generation && call_watch != NULL && INTERRUPTS_CAN_BE_PROCESSED()))
        return call_watch;
    return get_call_slow(what);
}

static wb_call *get_call_slow(const char *what)
{
    if (unlikely(call_gen != wpg_call_generation)) {
        drop_calls();
        call_gen = wpg_call_generation;
    }
    bool held = !INTERRUPTS_CAN_BE_PROCESSED();
    if (held)
        wpg_check_not_critical(what);
    wb_call **slot = held ? &call_blind : &call_watch;
    if (unlikely(*slot == NULL)) {
        wb_call_opts opts = wpg_call_opts();
        *slot = wb_call_new(&opts);
        if (!*slot)
            ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
        if (held)
            wb_call_set_slice(*slot, HELD_SLICE);
    }
    if (held)
        held_start = now_ns();
    return *slot;
}

/* A held call at the end of a slice: go on, or end it (its instance, stopped
 * half-way, is discarded). */
static void held_check(wpg_instance *wi, const char *what)
{
    bool cancel = (QueryCancelPending && QueryCancelHoldoffCount == 0) || ProcDiePending;
    int64 ms = (now_ns() - held_start) / 1000000;
    if (!cancel && ms < wpg_held_time_per_call)
        return;
    if (wi)
        wpg_instance_discard(wi);
    wpg_raise_held_stop(what, cancel, ms);
}

/* Drive a started call to its end through suspensions: interrupts (a
 * cancel raises in CHECK_FOR_INTERRUPTS; any other is served and the call
 * resumes) or, where interrupts are held, slices. */
static wb_result finish(wb_call *call, wb_result r, wpg_instance *wi, const char *what)
{
    while (r == WB_SUSPENDED) {
        if (!INTERRUPTS_CAN_BE_PROCESSED())
            held_check(wi, what);
        else {
            /* If the interrupt raises, the guest stopped half-way: its
             * instance is marked and every cached call re-resolves,
             * discarding it. */
            if (wi)
                wi->dirty = true;
            wpg_generation++;
            CHECK_FOR_INTERRUPTS();
            if (wi)
                wi->dirty = false;
        }
        r = wb_call_resume(call);
    }
    return r;
}

/* A failed call: count it, then raise. */
static void call_failed(wpg_fcache *fc, wb_call *call, wb_result r) pg_attribute_noreturn();
static void call_failed(wpg_fcache *fc, wb_call *call, wb_result r)
{
    fc->stat->traps++;
    fc->stat->fuel += wb_call_fuel_used(call);
    fc->generation = 0;
    const wb_error *err = wb_call_error(call);
    wb_error copy = err ? *err : (wb_error){.code = r};
    /* The call object may have grown its stacks to the limits (a deep
     * recursion): make a fresh one rather than keep megabytes around. */
    drop_calls();
    wpg_raise_call_error(r, &copy, fc->wi, fc->name);
}

/* ---- resolve: once per FmgrInfo, and after invalidations -------------------------------- */

/* cabi_post_<export> takes nothing or the export's results. */
static void find_post(wpg_fcache *fc, const char *export_name)
{
    char *pname = psprintf("cabi_post_%s", export_name);
    fc->post = wb_instance_func(fc->wi->inst, pname);
    if (!fc->post)
        return;
    const wb_functype *pt = wb_func_type(fc->post), *ft = wb_func_type(fc->func);
    if (pt->nresults == 0 && pt->nparams == 0)
        return;
    if (pt->nresults == 0 && pt->nparams == ft->nresults &&
        memcmp(pt->types, ft->types + ft->nparams, ft->nresults) == 0)
        return;
    ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                    errmsg("wasm export \"%s\" must take nothing or the results of \"%s\"", pname, export_name)));
}

static void check_abi_exports(wpg_fcache *fc)
{
    bool byref_arg = false;
    for (int i = 0; i < fc->nargs; i++)
        byref_arg |= WK_IS_BYREF(fc->args[i]);
    fc->has_byref = byref_arg || WK_IS_BYREF(fc->ret);
    if (!fc->has_byref)
        return;
    if (!fc->wi->mem)
        ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                        errmsg("wasm function \"%s\" takes or returns text or bytea, but its module has no memory",
                               fc->name)));
    static const uint8_t rtype[] = {WB_I32, WB_I32, WB_I32, WB_I32, WB_I32};
    const wb_functype *rt = fc->wi->realloc ? wb_func_type(fc->wi->realloc) : NULL;
    if (byref_arg && (!rt || rt->nparams != 4 || rt->nresults != 1 || memcmp(rt->types, rtype, 5) != 0))
        ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                        errmsg("wasm function \"%s\" takes text or bytea, but its module does not export "
                               "cabi_realloc(i32, i32, i32, i32) -> i32",
                               fc->name)));
}

static wpg_fcache *resolve(FunctionCallInfo fcinfo)
{
    FmgrInfo *fl = fcinfo->flinfo;
    wpg_fcache *fc = fl->fn_extra;
    if (!fc)
        fl->fn_extra = fc = MemoryContextAllocZero(fl->fn_mcxt, sizeof *fc);
    fc->generation = 0; /* invalid until complete */
    wpg_sweep();
    uint64 gen = wpg_generation;

    wpg_proc p;
    char *export_name;
    wpg_proc_read(fl->fn_oid, &p);
    wpg_module *m = wpg_proc_target(&p, &export_name);
    strlcpy(fc->name, p.proname, sizeof fc->name);
    fc->nargs = p.nargs;
    memcpy(fc->args, p.args, sizeof p.args[0] * p.nargs);
    fc->ret = p.ret;
    fc->wi = wpg_instance_get(m);
    fc->role = fc->wi->role;
    fc->func = wb_instance_func(fc->wi->inst, export_name);
    if (!fc->func)
        elog(ERROR, "wasm: export \"%s\" vanished", export_name);
    find_post(fc, export_name);
    check_abi_exports(fc);
    fc->stat = wpg_stat_entry(fl->fn_oid);
    fc->generation = gen;
    return fc;
}

/* ---- the canonical ABI: strings and byte lists ---------------------------------------------- */

/* Run f of fc's instance (the export itself, cabi_realloc, cabi_post_*) to
 * its end: arguments in io, the results (if any) left there, the first
 * returned; a trap or a raised interrupt becomes the SQL error. */
static inline uint64 run_cells(wpg_fcache *fc, wb_call *call, wb_func *f, uint64 *io)
{
    wb_result r = wb_call_start_cells(call, f, io);
    if (unlikely(r != WB_OK)) {
        r = finish(call, r, fc->wi, fc->name);
        if (r != WB_OK)
            call_failed(fc, call, r);
        wb_call_result_cells(call, io, 1);
    }
    fc->stat->fuel += wb_call_fuel_used(call);
    return io[0];
}

/* Copy an argument into guest memory: cabi_realloc(0, 0, 1, len), then the
 * bytes.  Text crosses as UTF-8. */
static void lower_bytes(wpg_fcache *fc, wb_call *call, Datum d, wpg_kind k, uint64 *out)
{
    struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
    const char *data = VARDATA_ANY(v);
    size_t len = VARSIZE_ANY_EXHDR(v);
    if (k == WK_TEXT && GetDatabaseEncoding() != PG_UTF8)
        data = pg_server_to_any(data, (int)len, PG_UTF8), len = strlen(data);
    uint64 a[4] = {0, 0, 1, (uint32)len};
    uint32 ptr = (uint32)run_cells(fc, call, fc->wi->realloc, a);
    if (wb_memory_write(fc->wi->mem, ptr, data, len) != WB_OK) {
        fc->stat->traps++;
        fc->generation = 0;
        wpg_instance_discard(fc->wi);
        ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                        errmsg("wasm function \"%s\": cabi_realloc returned %u, out of bounds for %zu bytes",
                               fc->name, ptr, len)));
    }
    out[0] = ptr;
    out[1] = (uint32)len;
}

/* Wasm memory is little-endian. */
static inline uint32 le32(uint32 v)
{
#ifdef WORDS_BIGENDIAN
    return pg_bswap32(v);
#else
    return v;
#endif
}

/* Read the (ptr, len) a string/bytes result points at and copy the bytes
 * out into a new text or bytea. */
static Datum lift_bytes(wpg_fcache *fc, uint32 area, wpg_kind k)
{
    wb_memory *mem = fc->wi->mem;
    const uint8 *base = wb_memory_data(mem);
    uint64 size = wb_memory_size(mem);
    bool ok = (uint64)area + 8 <= size;
    uint32 ptr = 0, len = 0;
    if (ok) {
        /* Two 4-byte reads: the guest has just stored the two words one by
         * one, and a single 8-byte read across both stores cannot take its
         * bytes from them (store forwarding) but waits for the cache. */
        memcpy(&ptr, base + area, 4);
        memcpy(&len, base + area + 4, 4);
        ptr = le32(ptr);
        len = le32(len);
    }
    /* Bounds first: the length is the guest's word, and allocating it before
     * the check let any guest make the backend reserve 1 GB per call. */
    ok = ok && (uint64)ptr + len <= size;
    if (ok && len > MaxAllocSize - VARHDRSZ)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("wasm function \"%s\" returned %u bytes, more than a value can hold", fc->name, len)));
    if (!ok)
        ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                        errmsg("wasm function \"%s\" returned a %s out of the bounds of its memory", fc->name,
                               k == WK_TEXT ? "string" : "byte list")));
    text *t = palloc(len + VARHDRSZ);
    SET_VARSIZE(t, len + VARHDRSZ);
    memcpy(VARDATA(t), base + ptr, len);
    if (k == WK_TEXT) {
        /* The guest promises UTF-8; the database gets valid server text:
         * what pg_verify_mbstr(PG_UTF8) accepts, UTF-8 without NUL bytes.
         * The engine's check is the faster on mixed text (PostgreSQL 15's
         * goes byte by byte through every 16 bytes that hold a character
         * past ASCII; docs/postgres.md has the figures). */
        char *s = VARDATA(t);
        if (wb_utf8_prefix(s, len) != len || memchr(s, 0, len) != NULL)
            ereport(ERROR, (errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
                            errmsg("wasm function \"%s\" returned text that is not valid UTF-8", fc->name)));
        if (GetDatabaseEncoding() != PG_UTF8) {
            char *conv = pg_any_to_server(s, (int)len, PG_UTF8);
            if (conv != s)
                return PointerGetDatum(cstring_to_text(conv));
        }
    }
    return PointerGetDatum(t);
}

/* ---- the handler --------------------------------------------------------------------------------- */

/* Timing every call would cost two clock reads (~56 ns on this project's
 * test machines) per call, half a cheap UDF's whole call, and even one
 * call in 32 cost 3% of the call-overhead benchmark: the first 1024 calls
 * of a function are timed, then every 1024th, counted 1024 times.
 * Returns the start time, or 0. */
#define TIME_SAMPLE 1024
static inline int64 time_start(const wpg_stat *st)
{
    if (!wpg_track_time || (st->calls >= TIME_SAMPLE && st->calls % TIME_SAMPLE != 0))
        return 0;
    return now_ns();
}

/* After the call, before st->calls is bumped. */
static inline void time_end(wpg_stat *st, int64 t0)
{
    if (t0 != 0)
        st->time_ns += (now_ns() - t0) * (st->calls >= TIME_SAMPLE ? TIME_SAMPLE : 1);
}

/* A scalar argument as the engine's 64-bit cell: i32 and f32 in the low
 * half, the high half zero. */
static inline uint64 arg_cell(wpg_kind k, Datum d)
{
    switch (k) {
    case WK_INT8:
    case WK_FLOAT8:
        return (uint64)d;
    case WK_BOOL:
        return DatumGetBool(d) ? 1 : 0;
    case WK_INT2:
        return (uint32)(int32)DatumGetInt16(d);
    default: /* int4, and float4 whose Datum holds its bits */
        return (uint32)d;
    }
}

/* The result cell as a Datum (float4's Datum is its bits, as an int4's). */
static inline Datum result_cell_datum(wpg_fcache *fc, uint64 cell)
{
    switch (fc->ret) {
    case WK_INT8:
    case WK_FLOAT8:
        return (Datum)cell;
    case WK_BOOL:
        return BoolGetDatum((uint32)cell != 0);
    case WK_INT2:
        if ((int32)cell < PG_INT16_MIN || (int32)cell > PG_INT16_MAX)
            ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                            errmsg("wasm function \"%s\" returned %d, out of range for type smallint", fc->name,
                                   (int32)cell)));
        return Int16GetDatum((int16)cell);
    case WK_VOID:
        return (Datum)0;
    default:
        return Int32GetDatum((int32)cell);
    }
}

/* Calls with strings or byte lists: lower, call, lift, post.  A text or
 * bytea argument is two cells (ptr, len); a string result is one, the
 * address of its (ptr, len). */
static Datum call_byref(FunctionCallInfo fcinfo, wpg_fcache *fc)
{
    wb_call *call = get_call(fc->name);
    int64 t0 = time_start(fc->stat);
    uint64 io[2 * FUNC_MAX_ARGS];
    uint64 *v = io;
    for (int i = 0; i < fc->nargs; i++) {
        if (WK_IS_BYREF(fc->args[i])) {
            lower_bytes(fc, call, fcinfo->args[i].value, fc->args[i], v);
            v += 2;
        } else
            *v++ = arg_cell(fc->args[i], fcinfo->args[i].value);
    }
    run_cells(fc, call, fc->func, io);
    Datum d = WK_IS_BYREF(fc->ret) ? lift_bytes(fc, (uint32)io[0], fc->ret) : result_cell_datum(fc, io[0]);
    if (fc->post)
        run_cells(fc, call, fc->post, io); /* io[0] still holds the result, its one argument */
    time_end(fc->stat, t0);
    fc->stat->calls++;
    return d;
}

Datum wpg_call_function(FunctionCallInfo fcinfo)
{
    wpg_fcache *fc = fcinfo->flinfo->fn_extra;
    /* The FmgrInfo may be shared by calls made as different users (a
     * plpgsql function's cached expression called from a SECURITY DEFINER
     * function and directly, a cursor fetched across SET ROLE): the
     * instance is always the current user's, never the one cached. */
    if (unlikely(fc == NULL || fc->generation != wpg_generation || fc->role != GetUserId()))
        fc = resolve(fcinfo);
    /* Another instance than the last one called: it must fit in the
     * backend's total before it runs (evicting others, or re-made). */
    if (unlikely(fc->wi != wpg_mem_current) && !wpg_memory_switch(fc->wi)) {
        fc = resolve(fcinfo);
        if (!wpg_memory_switch(fc->wi))
            elog(ERROR, "wasm: a new instance does not fit in wasm.max_backend_memory");
    }
    /* STRICT semantics also for functions declared CALLED ON NULL INPUT:
     * wasm values cannot be NULL. */
    for (int i = 0; i < fc->nargs; i++)
        if (unlikely(fcinfo->args[i].isnull))
            PG_RETURN_NULL();
    if (unlikely(fc->has_byref))
        return call_byref(fcinfo, fc);

    /* Scalars only: one cell each, in and out (resolve checked the types). */
    uint64 io[FUNC_MAX_ARGS];
    for (int i = 0; i < fc->nargs; i++)
        io[i] = arg_cell(fc->args[i], fcinfo->args[i].value);
    wb_call *call = get_call(fc->name);
    wpg_stat *st = fc->stat;
    int64 t0 = time_start(st);
    uint64 res = run_cells(fc, call, fc->func, io);
    time_end(st, t0);
    st->calls++;
    return result_cell_datum(fc, res);
}

/* ---- DO blocks ------------------------------------------------------------------------------------ */

/* DO $$ (module ...) $$ LANGUAGE wasm: instantiate (running the start
 * function) and call an exported "main" or "_start" taking and returning
 * nothing, under the usual limits.  Nothing is cached. */
void wpg_run_inline(const char *source)
{
    uint8 *bytes;
    size_t len;
    wb_module *volatile mod = wpg_compile_body(source, "DO block", &bytes, &len);
    wb_instance *volatile inst = NULL;
    PG_TRY();
    {
        inst = wpg_instantiate(mod, wpg_memory_reserve(wpg_module_memory_max(mod)), "DO block");
        wb_func *f = wb_instance_func(inst, "main");
        if (!f)
            f = wb_instance_func(inst, "_start");
        if (f) {
            const wb_functype *ft = wb_func_type(f);
            if (ft->nparams != 0 || ft->nresults != 0)
                ereport(ERROR, (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                                errmsg("the \"main\" function of a wasm DO block must take and return nothing")));
            wb_call *call = get_call("DO block");
            wb_result r = finish(call, wb_call_start(call, f, NULL, 0), NULL, "DO block");
            if (r != WB_OK) {
                if (wb_instance_memory_limit_hit(inst))
                    r = WB_ERR_MEMORY_LIMIT;
                wpg_raise_call_error(r, wb_call_error(call), NULL, "DO block");
            }
        }
    }
    PG_FINALLY();
    {
        wb_instance_free(inst);
        wb_module_free(mod);
    }
    PG_END_TRY();
}
