/*
 * interp.c - the interpreter, and the call API (wb_invoke, wb_call_*).
 *
 * Wasm frames live on the engine's own stacks (a value stack of slots and a
 * frame stack), never on the C stack: recursion depth is a counted limit, and
 * a call can stop at any check point (loop back-edge or function entry) and
 * resume later from the saved registers.  Dispatch is computed goto over the
 * handler addresses that wb__interp_link put in the code in place of the
 * op ids the compiler emitted.
 *
 * Fuel: every back-edge charges the loop body's length, every call the
 * callee's straight-line length (code.h); the interrupt flags are read at the
 * same points.
 */
#include "code.h"

#ifdef __SSE2__
#include <emmintrin.h> /* i8x16.bitmask is one instruction on every x86-64 */
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef wb__frame frame; /* code.h: compiled calls push them too */

_Static_assert(offsetof(wb__jit_ctx, fuel) == WB__JCTX_FUEL && offsetof(wb__jit_ctx, ext) == WB__JCTX_EXT &&
                   offsetof(wb__jit_ctx, ireq) == WB__JCTX_IREQ && offsetof(wb__jit_ctx, inst) == WB__JCTX_INST &&
                   offsetof(wb__jit_ctx, frames) == WB__JCTX_FRAMES &&
                   offsetof(wb__jit_ctx, nframes) == WB__JCTX_NFRAMES &&
                   offsetof(wb__jit_ctx, stack) == WB__JCTX_STACK &&
                   offsetof(wb__jit_ctx, stack_end) == WB__JCTX_STACK_END &&
                   offsetof(wb__jit_ctx, fn) == WB__JCTX_FN && offsetof(wb__jit_ctx, fpb) == WB__JCTX_FPB &&
                   offsetof(wb__jit_ctx, call) == WB__JCTX_CALL &&
                   offsetof(wb__jit_ctx, resume) == WB__JCTX_RESUME &&
                   offsetof(wb__jit_ctx, frames_end) == WB__JCTX_FRAMES_END &&
                   offsetof(wb__jit_ctx, reserve) == WB__JCTX_RESERVE,
               "the context's layout, as machine code reads it");
_Static_assert(sizeof(wb__frame) == 32, "a frame push, as machine code writes it");

enum { ST_IDLE, ST_SUSPENDED, ST_DONE, ST_TRAPPED };

struct wb_host_ctx {
    wb_call *call;
    wb_instance *inst;
    wb_func *func;
    uint64_t fuel; /* wb_host_charge */
};

struct wb_call {
    wb_call_opts opts;
    uint64_t slice;
    uint32_t max_depth;
    uint64_t max_slots;

    wb__slot *stack;
    uint64_t cap; /* slots */
    frame *frames;
    uint32_t nframes, fcap;
    uint64_t entry_cap; /* cap where a start may take the compiled entry (frames made, no slicing), else 0 */

    /* What every call starts afresh (reset): side by side, so a few stores. */
    int state;
    int exit_code;
    uint32_t jit_leaves; /* wb__call_jit_leaves */
    /* How machine code that left ended an op it ran (wb__interp_host_call):
     * a RUN_* for the interpreter to take, 0 when it goes on. */
    int jit_stop;
    bool has_err;
    bool trap_on_interrupt; /* wb_invoke: an interrupt ends the call */
    wb_func *entry;
    /* Registers of a suspended call. */
    const wb__cell *pc;
    uint32_t fp;
    const wb__func *fn;
    wb_instance *inst;

    uint64_t fuel_used; /* of opts.fuel (UINT64_MAX when unlimited, as apply_opts leaves it): fuel_left() */
    int64_t fuel0, reserve0; /* what a start gives machine code: ctx->fuel, ctx->reserve (apply_opts) */
    volatile int interrupt_req;
    wb_error err;
    const char *host_msg; /* a host trap's message, or NULL: a literal, or host_buf */
    char *host_buf;       /* made when a host first sets a message: most calls never do */
    wb_result jit_trap; /* RUN_TRAP's code */
    /* What machine code runs in (jit_ctx): the fields that follow the stacks
     * and the options are kept (jc_fixed), so entering sets only the rest. */
    wb__jit_ctx jc;
    wb__frame *entry_end; /* frames_end() for a host's call: one frame in use */
};

static const int never = 0;

/* ---- slot access (memcpy: slots and memory may be unaligned, and type
 * punning this way is defined) -------------------------------------------------- */

#define LDST(T, CT)                                                                              \
    static inline __attribute__((unused)) CT ld_##T(const void *p)                              \
    {                                                                                            \
        CT v;                                                                                    \
        memcpy(&v, p, sizeof v);                                                                 \
        return v;                                                                                \
    }                                                                                            \
    static inline __attribute__((unused)) void st_##T(void *p, CT v) { memcpy(p, &v, sizeof v); }
LDST(u8, uint8_t)
LDST(i8, int8_t)
LDST(u16, uint16_t)
LDST(i16, int16_t)
LDST(u32, uint32_t)
LDST(i32, int32_t)
LDST(u64, uint64_t)
LDST(i64, int64_t)
LDST(f32, float)
LDST(f64, double)

/* Slot writes store all 8 bytes, 32-bit values zero-extended: the next
 * 8-byte copy of the slot (local.get/set, a call's result) then forwards
 * from the store; after a narrower store it stalls (about 12 cycles on x86,
 * a third of fib's time before this). */
static inline void sw_u64(void *p, uint64_t v) { memcpy(p, &v, 8); }
static inline void sw_i64(void *p, int64_t v) { memcpy(p, &v, 8); }
static inline void sw_f64(void *p, double v) { memcpy(p, &v, 8); }
static inline void sw_u32(void *p, uint32_t v) { sw_u64(p, v); }
static inline void sw_i32(void *p, int32_t v) { sw_u64(p, (uint32_t)v); }
static inline void sw_f32(void *p, float v)
{
    uint32_t b;
    memcpy(&b, &v, 4);
    sw_u64(p, b);
}

/* ---- float helpers with wasm semantics --------------------------------------------- */

/* min / max with a NaN operand: b's NaN if b is one, else a's, quieted (x +
 * x quiets x): what x86's addss b, a gives, and so what the machine code
 * gives (compile/emit_x64_num.c: fminmax).  Not a + b, whose operand order
 * is the C compiler's choice: clang's differs from gcc's. */
static inline float fnan32(float a, float b) { return b != b ? b + b : a + a; }
static inline double fnan64(double a, double b) { return b != b ? b + b : a + a; }

static inline float fmin32(float a, float b)
{
    if (a != a || b != b)
        return fnan32(a, b);
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline float fmax32(float a, float b)
{
    if (a != a || b != b)
        return fnan32(a, b);
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}
static inline double fmin64(double a, double b)
{
    if (a != a || b != b)
        return fnan64(a, b);
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline double fmax64(double a, double b)
{
    if (a != a || b != b)
        return fnan64(a, b);
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* libm's rounding functions may return a signalling NaN unchanged; wasm
 * wants it quieted, which any arithmetic on it does. */
#define QUIET(x, f) ((x) != (x) ? (x) + (x) : f(x))

static inline uint32_t rotl32(uint32_t a, uint32_t b) { return (a << (b & 31)) | (a >> ((32 - b) & 31)); }
static inline uint32_t rotr32(uint32_t a, uint32_t b) { return (a >> (b & 31)) | (a << ((32 - b) & 31)); }
static inline uint64_t rotl64(uint64_t a, uint64_t b) { return (a << (b & 63)) | (a >> ((64 - b) & 63)); }
static inline uint64_t rotr64(uint64_t a, uint64_t b) { return (a >> (b & 63)) | (a << ((64 - b) & 63)); }

/* Saturating truncations (0xFC 0..7). */
static inline int32_t sat_i32(double x)
{
    if (x != x)
        return 0;
    if (x <= -2147483648.0)
        return INT32_MIN;
    if (x >= 2147483647.0)
        return INT32_MAX;
    return (int32_t)x;
}
static inline uint32_t sat_u32(double x)
{
    if (x != x || x <= 0)
        return 0;
    if (x >= 4294967295.0)
        return UINT32_MAX;
    return (uint32_t)x;
}
static inline int64_t sat_i64(double x)
{
    if (x != x)
        return 0;
    if (x < -9223372036854775808.0)
        return INT64_MIN;
    if (x >= 9223372036854775808.0)
        return INT64_MAX;
    return (int64_t)x;
}
static inline uint64_t sat_u64(double x)
{
    if (x != x || x <= 0)
        return 0;
    if (x >= 18446744073709551616.0)
        return UINT64_MAX;
    return (uint64_t)x;
}

/* ---- stacks -------------------------------------------------------------------------- */

/* Where a compiled call must leave with nframes frames in use: the frames
 * allocated, and no deeper than WB_JIT_NATIVE_DEPTH more nested compiled
 * calls (each a return address on the C stack). */
static inline wb__frame *frames_end(const wb_call *c, uint32_t nframes)
{
    uint32_t max = c->fcap;
    if (max - nframes > WB_JIT_NATIVE_DEPTH)
        max = nframes + WB_JIT_NATIVE_DEPTH;
    return c->frames + max;
}

/* The machine code's context, as far as it follows from the stacks and the
 * options: set again whenever they change. */
static void jc_fixed(wb_call *c)
{
    c->jc.ext = c->opts.interrupt ? c->opts.interrupt : &never;
    c->jc.ireq = &c->interrupt_req;
    c->jc.frames = c->frames;
    c->jc.stack = (char *)c->stack;
    c->jc.stack_end = c->stack ? (char *)(c->stack + c->cap) : NULL;
    c->jc.call = c;
    c->entry_end = c->frames ? frames_end(c, 1) : NULL;
    c->entry_cap = c->fcap && !c->slice ? c->cap : 0;
}

/* Make room for `need` slots; the stack may move. */
static __attribute__((noinline)) bool stack_reserve(wb_call *c, uint64_t need)
{
    if (need <= c->cap)
        return true;
    if (need > c->max_slots)
        return false;
    uint64_t n = c->cap ? c->cap : WB_MIN_STACK_SLOTS;
    while (n < need)
        n *= 2;
    if (n > c->max_slots)
        n = c->max_slots;
    wb__slot *s = realloc(c->stack, n * sizeof *s);
    if (!s)
        return false;
    c->stack = s;
    c->cap = n;
    jc_fixed(c);
    return true;
}

static __attribute__((noinline)) bool frames_reserve(wb_call *c)
{
    if (c->nframes < c->fcap)
        return true;
    if (c->nframes >= c->max_depth + 1)
        return false;
    uint32_t n = c->fcap ? c->fcap * 2 : WB_MIN_FRAMES;
    if (n > c->max_depth + 1)
        n = c->max_depth + 1;
    frame *f = realloc(c->frames, n * sizeof *f);
    if (!f)
        return false;
    /* Zeroed: no frame machine code pushes reads as one crossing into
     * another instance (WB__FRAME_CROSS) by chance. */
    memset(f + c->fcap, 0, (n - c->fcap) * sizeof *f);
    c->frames = f;
    c->fcap = n;
    jc_fixed(c);
    return true;
}

/* A new frame of fn at fp, its arguments in place: zero the locals, copy
 * the constants.  A few slots each, so plain loops beat calls to
 * memset/memcpy (the Makefile keeps gcc from turning them back into calls). */
static inline void init_frame(void *fp, const wb__func *fn)
{
    uint64_t *s = fp;
    for (uint32_t i = fn->type->param_slots; i < fn->local_slots; i++)
        s[i] = 0;
    s += fn->local_slots;
    const uint64_t *k = (const uint64_t *)fn->consts;
    for (uint32_t i = 0; i < fn->nconsts; i++)
        s[i] = k[i];
}

/* ---- traps ---------------------------------------------------------------------------- */

static uint32_t code_offset(const wb__func *fn, const wb__cell *pc)
{
    if (!fn || !fn->npcmap)
        return fn ? fn->expr_offset : 0;
    uint32_t at = (uint32_t)(pc - fn->code);
    uint32_t lo = 0, hi = fn->npcmap;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (fn->pcmap[mid].cell <= at)
            lo = mid;
        else
            hi = mid;
    }
    return fn->pcmap[lo].offset;
}

static void add_frame(wb_error *e, wb_instance *inst, const wb__func *fn, const wb__cell *pc)
{
    if (!fn || e->nframes >= WB_BACKTRACE_MAX)
        return;
    wb_frame_info *fi = &e->frames[e->nframes++];
    fi->func = fn->index;
    fi->code_offset = code_offset(fn, pc);
    fi->name_len = 0;
    fi->name = inst ? wb__func_name(inst->module, fn->index, &fi->name_len) : NULL;
}

static void record_trap(wb_call *c, wb_result code, wb_instance *inst, const wb__func *fn, const wb__cell *pc)
{
    wb_error *e = &c->err;
    e->code = code;
    e->nframes = 0;
    add_frame(e, inst, fn, pc);
    for (uint32_t i = c->nframes; i-- > 1;) {
        const frame *f = &c->frames[i];
        if (f->pc)
            add_frame(e, f->inst, f->fn, f->pc - 1);
    }
    const char *msg = code == WB_TRAP_HOST && c->host_msg && c->host_msg[0] ? c->host_msg : wb_result_message(code);
    if (fn) {
        uint32_t len = 0;
        const char *name = inst ? wb__func_name(inst->module, fn->index, &len) : NULL;
        e->offset = code_offset(fn, pc);
        if (name)
            snprintf(e->message, sizeof e->message, "%s (in function %u $%.*s at offset 0x%x)", msg,
                     fn->index, (int)(len > 64 ? 64 : len), name, (unsigned)e->offset);
        else
            snprintf(e->message, sizeof e->message, "%s (in function %u at offset 0x%x)", msg, fn->index,
                     (unsigned)e->offset);
    } else {
        e->offset = 0;
        snprintf(e->message, sizeof e->message, "%s", msg);
    }
    c->has_err = true;
}

/* ---- host calls ------------------------------------------------------------------------ */

static inline void slots_to_vals(const wb_functype *ft, uint32_t first, uint32_t n, const wb__slot *s, wb_val *out)
{
    for (uint32_t i = 0; i < n; i++) {
        uint8_t t = ft->types[first + i];
        wb_val *v = &out[i];
        memset(v, 0, sizeof *v);
        v->type = t;
        if (t == WB_V128) {
            memcpy(v->of.v128, s, 16);
            s += 2;
        } else {
            switch (t) {
            case WB_I32:
            case WB_F32:
                memcpy(&v->of.i32, s, 4);
                break;
            case WB_FUNCREF:
            case WB_EXTERNREF:
                memcpy(&v->of.func, s, sizeof(void *));
                break;
            default:
                memcpy(&v->of.i64, s, 8);
            }
            s++;
        }
    }
}

static inline void vals_to_slots(const wb_functype *ft, uint32_t first, uint32_t n, const wb_val *in, wb__slot *s)
{
    for (uint32_t i = 0; i < n; i++) {
        uint8_t t = ft->types[first + i];
        if (t == WB_V128) {
            memcpy(s, in[i].of.v128, 16);
            s += 2;
        } else {
            *s = 0;
            switch (t) {
            case WB_I32:
            case WB_F32:
                memcpy(s, &in[i].of.i32, 4);
                break;
            case WB_FUNCREF:
            case WB_EXTERNREF:
                memcpy(s, &in[i].of.func, sizeof(void *));
                break;
            default:
                memcpy(s, &in[i].of.i64, 8);
            }
            s++;
        }
    }
}

/* Call host function f with arguments in slots at s; results go to s. */
/* *fuel: what the host function charged (wb_host_charge). */
static wb_result host_call(wb_call *c, wb_func *f, wb_instance *caller, wb__slot *s, uint64_t *fuel)
{
    const wb_functype *ft = f->type;
    wb_val small[16];
    uint32_t n = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
    wb_val *buf = n <= 8 ? small : malloc(2 * (size_t)n * sizeof *buf);
    if (!buf)
        return WB_TRAP_HOST;
    wb_val *args = buf, *res = buf + (n <= 8 ? 8 : n);
    slots_to_vals(ft, 0, ft->nparams, s, args);
    for (uint32_t i = 0; i < ft->nresults; i++) {
        memset(&res[i], 0, sizeof res[i]);
        res[i].type = ft->types[ft->nparams + i];
    }
    wb_host_ctx ctx = {c, caller, f, 0};
    c->host_msg = NULL;
    wb_result r = f->host(&ctx, args, res);
    *fuel = ctx.fuel;
    if (r == WB_OK)
        vals_to_slots(ft, ft->nparams, ft->nresults, res, s);
    if (buf != small)
        free(buf);
    return r;
}

wb_instance *wb_host_instance(wb_host_ctx *ctx) { return ctx->inst; }
void *wb_host_user(wb_host_ctx *ctx) { return ctx->func->user; }
void wb_host_set_message(wb_host_ctx *ctx, const char *msg)
{
    wb_call *c = ctx->call;
    enum { MAX = 200 };
    if (!c->host_buf && !(c->host_buf = malloc(MAX)))
        return; /* the trap keeps its generic message */
    snprintf(c->host_buf, MAX, "%s", msg ? msg : "");
    c->host_msg = c->host_buf;
}
void wb_host_set_exit_code(wb_host_ctx *ctx, int code) { ctx->call->exit_code = code; }
void wb_host_charge(wb_host_ctx *ctx, uint64_t units)
{
    ctx->fuel = units > UINT64_MAX - ctx->fuel ? UINT64_MAX : ctx->fuel + units;
}

/* ---- the interpreter ------------------------------------------------------------------ */

enum { RUN_DONE, RUN_TRAP, RUN_FUEL, RUN_INTERRUPT, RUN_YIELD, RUN_EXIT };

/* The host function f from machine code, its arguments at s (code.h's
 * wb__interp_host_call).  It mirrors call_func's host branch in run()
 * below; a host call and its effects (results, fuel, stops) must be the
 * same from both. */
static uint32_t jit_host(wb__jit_ctx *jc, wb_func *f, wb__slot *s)
{
    wb_call *c = jc->call;
    uint64_t base = (uint64_t)(s - c->stack);
    if (base + 2 * (uint64_t)(f->type->nparams + f->type->nresults) + 2 > c->cap)
        return WB__RT_LEAVE; /* the stack grows: the interpreter's */
    uint64_t host_fuel;
    wb_result r = host_call(c, f, jc->inst, s, &host_fuel);
    if (WB_UNLIKELY(r != WB_OK)) {
        c->jit_stop = r == WB_SUSPENDED ? RUN_YIELD : r == WB_EXITED ? RUN_EXIT : RUN_TRAP;
        c->jit_trap = wb_result_is_trap(r) ? r : WB_TRAP_HOST;
        return WB__RT_LEAVE;
    }
    int64_t left = wb__jit_fuel(jc) - (int64_t)(WB_FUEL_HOST_CALL + (host_fuel > INT64_MAX / 2 ? INT64_MAX / 2 : host_fuel));
    wb__jit_set_fuel(jc, left);
    if (WB_UNLIKELY(left < 0 || *jc->ext || *jc->ireq)) {
        c->jit_stop = left < 0 ? RUN_FUEL : RUN_INTERRUPT;
        return WB__RT_STOP_AFTER;
    }
    return WB__RT_ON;
}

uint32_t wb__interp_host_call(char *fp, wb__jit_ctx *jc, const wb__cell *pc)
{
    wb_func *f = jc->inst->imported_funcs[pc[1].p.a];
    if (f->code)
        return WB__RT_LEAVE; /* another instance's function (machine code calls those itself) */
    return jit_host(jc, f, (wb__slot *)(fp + pc[1].p.b));
}

uint32_t wb__interp_host_call_indirect(char *fp, wb__jit_ctx *jc, wb_func *f, const wb_functype *want, uint32_t base)
{
    if (f->type != want && !wb__type_equal(f->type, want))
        return WB__RT_LEAVE; /* the interpreter traps */
    return jit_host(jc, f, (wb__slot *)(fp + base));
}

static const void *const *handler_table;

/* Integer division: the two traps, and rem_s of MIN by -1 is 0 (C leaves
 * it undefined). */
#define INT_DIVS(N, S, U, MIN)                                                                   \
    L_I##N##_DIV_S : {                                                                           \
        S a = R(i##N, A1), b = R(i##N, B1);                                                      \
        if (WB_UNLIKELY(b == 0))                                                                 \
            TRAP(WB_TRAP_DIV_ZERO);                                                              \
        if (WB_UNLIKELY(a == MIN && b == -1))                                                    \
            TRAP(WB_TRAP_INT_OVERFLOW);                                                          \
        W(i##N, A2, a / b);                                                                      \
        NEXT(3);                                                                                 \
    }                                                                                            \
    L_I##N##_DIV_U : {                                                                           \
        U a = R(u##N, A1), b = R(u##N, B1);                                                      \
        if (WB_UNLIKELY(b == 0))                                                                 \
            TRAP(WB_TRAP_DIV_ZERO);                                                              \
        W(u##N, A2, a / b);                                                                      \
        NEXT(3);                                                                                 \
    }                                                                                            \
    L_I##N##_REM_S : {                                                                           \
        S a = R(i##N, A1), b = R(i##N, B1);                                                      \
        if (WB_UNLIKELY(b == 0))                                                                 \
            TRAP(WB_TRAP_DIV_ZERO);                                                              \
        W(i##N, A2, b == -1 ? 0 : a % b);                                                        \
        NEXT(3);                                                                                 \
    }                                                                                            \
    L_I##N##_REM_U : {                                                                           \
        U a = R(u##N, A1), b = R(u##N, B1);                                                      \
        if (WB_UNLIKELY(b == 0))                                                                 \
            TRAP(WB_TRAP_DIV_ZERO);                                                              \
        W(u##N, A2, a % b);                                                                      \
        NEXT(3);                                                                                 \
    }

/* The frames machine code pushed (from `from` on) hold its call site, its
 * frame pointer and no instance (code.h): the interpreter's form, now that
 * it takes over in instance inst, where the machine code left.  Down from
 * the top the frames are inst's up to one that crossed into it, which says
 * whose the frames below are. */
static void take_frames(wb_call *c, uint32_t from, wb_instance *inst)
{
    for (uint32_t i = c->nframes; i-- > from;) {
        frame *f = &c->frames[i];
        const wb__site *site = f->site;
        uint32_t fp = (uint32_t)((f->fpb - (char *)c->stack) / 8);
        if (f->fn == WB__FRAME_CROSS)
            inst = f->inst;
        f->pc = site->pc;
        f->fn = site->fn;
        f->fp = fp;
        f->inst = inst;
    }
}

/* The context machine code runs in: the call's frame and value stacks, as
 * far as they are allocated (frames_end).  Machine code says on every way
 * out in which function and frame the interpreter goes on (fn, fpb). */
static inline wb__jit_ctx *jit_ctx(wb_call *c, int64_t fuel, wb_instance *inst, wb__frame *end)
{
    wb__jit_ctx *jc = &c->jc;
    wb__jit_set_fuel(jc, fuel);
    jc->inst = inst;
    jc->frames_end = end;
    return jc;
}

/* The machine code at the loop's head at pc, or NULL. */
static const void *loop_head(const wb__func *fn, const wb__cell *pc)
{
    uint32_t cell = (uint32_t)(pc - fn->code), lo = 0, hi = fn->nloop_entry;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (fn->loop_entry[2 * mid] < cell)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == fn->nloop_entry || fn->loop_entry[2 * lo] != cell || !fn->jit_resume)
        return NULL;
    return (const char *)(uintptr_t)fn->jit + fn->loop_entry[2 * lo + 1];
}

/* Runs from the registers saved in c until the entry frame returns or the
 * call stops.  With c == NULL it only publishes the handler table. */
static int run(wb_call *c, int64_t fuel, int64_t *fuel_out)
{
#define N(name, ...) &&L_##name,
    static const void *const labels[WB__OP_COUNT] = {
        WB__CONTROL_OPS(N) WB__NUMERIC_OPS(N, N) WB__SAT_OPS(N) WB__MEM_OPS(N, N) WB__BRCMP_OPS(N)};
#undef N
    if (!c) {
        handler_table = labels;
        return RUN_DONE;
    }

    const wb__cell *pc = c->pc;
    const wb__func *fn = c->fn;
    wb_instance *inst = c->inst;
    char *fpb = (char *)(c->stack + c->fp);
    uint8_t *mem;
    uint64_t memsize;
    const volatile int *ext = c->opts.interrupt ? c->opts.interrupt : &never;
    wb_result trapc = WB_OK;
    int why;
    wb_func *callee_f;
    char *nfp;
    const wb__cell *next;
    const void *resume = NULL; /* the machine code of a loop's head, to enter at */

#define RELOAD_MEM()                                                                             \
    do {                                                                                         \
        if (inst->mem) {                                                                         \
            mem = inst->mem->data;                                                               \
            memsize = inst->mem->size;                                                           \
        } else {                                                                                 \
            mem = NULL;                                                                          \
            memsize = 0;                                                                         \
        }                                                                                        \
    } while (0)
#define NEXT(n)                                                                                  \
    do {                                                                                         \
        pc += (n);                                                                               \
        goto *pc->op;                                                                            \
    } while (0)
#define TRAP(code)                                                                               \
    do {                                                                                         \
        trapc = (code);                                                                          \
        goto trap;                                                                               \
    } while (0)
#define A1 pc[1].p.a
#define B1 pc[1].p.b
#define A2 pc[2].p.a
#define B2 pc[2].p.b
#define A3 pc[3].p.a
#define B3 pc[3].p.b
#define R(T, off) ld_##T(fpb + (off))
#define W(T, off, v) sw_##T(fpb + (off), (v))
/* Fuel and interrupts, with pc already at the continuation. */
#define CHECK(cost)                                                                              \
    do {                                                                                         \
        fuel -= (int64_t)(cost);                                                                 \
        if (WB_UNLIKELY(fuel < 0 || *ext || c->interrupt_req))                                  \
            goto check_point;                                                                    \
    } while (0)
/* A taken back-edge, charged: when the loop's head has machine code (this
 * activation is interpreted after a slice ran out or the machine code left
 * it), the rest runs there. */
#define LOOPED()                                                                                 \
    do {                                                                                         \
        if (WB_UNLIKELY(fn->nloop_entry) && (resume = loop_head(fn, pc)))                        \
            goto jit_resume;                                                                     \
    } while (0)

    RELOAD_MEM();
    if (WB_UNLIKELY(c->jit_stop)) /* machine code entered by the host stopped */
        goto jit_stop;
    NEXT(0);

L_JIT_ENTER:
    resume = NULL;
jit_resume: {
    /* The function's machine code runs from cell 0 (or a loop's head) and
     * hands back the op at which interpretation goes on (jit.c), in fn
     * itself or, when a compiled callee left, in that callee (jc.fn, jc.fpb). */
    wb__jit_ctx *jc = jit_ctx(c, fuel, inst, frames_end(c, c->nframes));
    jc->nframes = c->nframes;
    jc->resume = resume;
    uint32_t k = (resume ? fn->jit_resume : fn->jit)(fpb, mem, memsize, jc);
    fuel = wb__jit_fuel(jc);
    inst = jc->inst; /* where it left: a callee's of another instance, maybe (returned: the same) */
    RELOAD_MEM();    /* machine code grows memory and calls hosts too */
    if (k == WB__JIT_RETURNED)
        goto L_RETURN;
    uint32_t from = c->nframes;
    c->nframes = jc->nframes;
    take_frames(c, from, inst);
    /* At cell 0 of the frame it entered, JIT_ENTER holds the op's place. */
    bool same = jc->fpb == fpb;
    fn = jc->fn;
    fpb = jc->fpb;
    pc = fn->code + k;
    if (WB_UNLIKELY(c->jit_stop))
        goto jit_stop;
    c->jit_leaves++;
    if (WB_UNLIKELY(k == 0) && same)
        goto *fn->jit_op0;
    NEXT(0);
}

L_UNREACHABLE:
L_END_OF_OPS:
    TRAP(WB_TRAP_UNREACHABLE);

L_BR:
    NEXT(pc[1].i64);
L_BR_LOOP: {
    uint64_t cost = pc[2].u64;
    pc += pc[1].i64;
    CHECK(cost);
    LOOPED();
    NEXT(0);
}
L_BR_IF:
    if (R(u32, A1)) {
        uint64_t cost = pc[3].u64;
        pc += pc[2].i64;
        if (cost) {
            CHECK(cost);
            LOOPED();
        }
        NEXT(0);
    }
    NEXT(4);
L_BR_UNLESS:
    if (!R(u32, A1)) {
        uint64_t cost = pc[3].u64;
        pc += pc[2].i64;
        if (cost) {
            CHECK(cost);
            LOOPED();
        }
        NEXT(0);
    }
    NEXT(4);

#define BRCMP(name, T, OPR)                                                                      \
    L_##name:                                                                                    \
    if (R(T, A1) OPR R(T, B1)) {                                                                 \
        uint64_t cost = pc[3].u64;                                                               \
        pc += pc[2].i64;                                                                         \
        if (cost) {                                                                              \
            CHECK(cost);                                                                         \
            LOOPED();                                                                            \
        }                                                                                        \
        NEXT(0);                                                                                 \
    }                                                                                            \
    NEXT(4);
    BRCMP(BR_I32_EQ, u32, ==)
    BRCMP(BR_I32_NE, u32, !=)
    BRCMP(BR_I32_LT_S, i32, <)
    BRCMP(BR_I32_LT_U, u32, <)
    BRCMP(BR_I32_GT_S, i32, >)
    BRCMP(BR_I32_GT_U, u32, >)
    BRCMP(BR_I32_LE_S, i32, <=)
    BRCMP(BR_I32_LE_U, u32, <=)
    BRCMP(BR_I32_GE_S, i32, >=)
    BRCMP(BR_I32_GE_U, u32, >=)
    BRCMP(BR_I64_EQ, u64, ==)
    BRCMP(BR_I64_NE, u64, !=)
    BRCMP(BR_I64_LT_S, i64, <)
    BRCMP(BR_I64_LT_U, u64, <)
    BRCMP(BR_I64_GT_S, i64, >)
    BRCMP(BR_I64_GT_U, u64, >)
    BRCMP(BR_I64_LE_S, i64, <=)
    BRCMP(BR_I64_LE_U, u64, <=)
    BRCMP(BR_I64_GE_S, i64, >=)
    BRCMP(BR_I64_GE_U, u64, >=)

L_BR_TABLE: {
    uint32_t i = R(u32, A1), n = B1;
    NEXT(pc[2 + (i < n ? i : n)].i64);
}

L_RETURN1:
    memcpy(fpb, fpb + A1, 8);
    /* fall through */
L_RETURN: {
    const frame *f = &c->frames[--c->nframes];
    if (WB_UNLIKELY(!f->pc)) {
        why = RUN_DONE;
        goto out;
    }
    pc = f->pc;
    fpb = (char *)(c->stack + f->fp);
    fn = f->fn;
    /* Within one instance mem/memsize are current (memory.grow and host
     * calls reload them); only a return across instances needs a reload. */
    if (WB_UNLIKELY(f->inst != inst)) {
        inst = f->inst;
        RELOAD_MEM();
    }
    NEXT(0);
}

L_CALL: {
    const wb__func *callee = (const wb__func *)pc[1].op;
    nfp = fpb + A2;
    next = pc + 3;
    wb_instance *ci = inst;
enter:
    /* Push the caller, make room for the callee, then charge its fuel. */
    if (WB_UNLIKELY(!frames_reserve(c)))
        TRAP(WB_TRAP_STACK_EXHAUSTED);
    {
        uint64_t base = (uint64_t)((wb__slot *)nfp - c->stack);
        if (WB_UNLIKELY(base + callee->frame_slots > c->cap)) {
            uint32_t cur = (uint32_t)((wb__slot *)fpb - c->stack);
            if (!stack_reserve(c, base + callee->frame_slots))
                TRAP(WB_TRAP_STACK_EXHAUSTED);
            fpb = (char *)(c->stack + cur);
            nfp = (char *)(c->stack + base);
        }
        c->frames[c->nframes++] = (frame){.pc = next, .fp = (uint32_t)((wb__slot *)fpb - c->stack), .fn = fn, .inst = inst};
    }
    init_frame(nfp, callee);
    fpb = nfp;
    fn = callee;
    pc = callee->code;
    if (ci != inst) {
        inst = ci;
        RELOAD_MEM();
    }
    CHECK(callee->entry_fuel);
    NEXT(0);

call_func:
    /* callee_f, nfp and next are set. */
    if (callee_f->code) {
        callee = callee_f->code;
        ci = callee_f->inst;
        goto enter;
    }
    {
        uint32_t cur = (uint32_t)((wb__slot *)fpb - c->stack);
        uint64_t base = (uint64_t)((wb__slot *)nfp - c->stack);
        uint32_t need = callee_f->type->nparams + callee_f->type->nresults;
        /* Results may need more slots than the arguments took. */
        if (!stack_reserve(c, base + 2 * (uint64_t)need + 2))
            TRAP(WB_TRAP_STACK_EXHAUSTED);
        fpb = (char *)(c->stack + cur);
        nfp = (char *)(c->stack + base);
        uint64_t host_fuel;
        wb_result r = host_call(c, callee_f, inst, (wb__slot *)nfp, &host_fuel);
        if (WB_UNLIKELY(r != WB_OK)) {
            if (r == WB_SUSPENDED) {
                /* Re-run the call instruction on resume. */
                why = RUN_YIELD;
                goto out;
            }
            if (r == WB_EXITED) {
                why = RUN_EXIT;
                goto out;
            }
            TRAP(wb_result_is_trap(r) ? r : WB_TRAP_HOST);
        }
        RELOAD_MEM();
        pc = next;
        CHECK(WB_FUEL_HOST_CALL + (host_fuel > INT64_MAX / 2 ? INT64_MAX / 2 : host_fuel));
        NEXT(0);
    }
}

L_CALL_IMPORT:
    callee_f = inst->imported_funcs[A1];
    nfp = fpb + B1;
    next = pc + 2;
    goto call_func;

L_CALL_INDIRECT: {
    wb_table *t = inst->tables[A1];
    uint32_t i = R(u32, A2);
    if (WB_UNLIKELY(i >= t->size))
        TRAP(WB_TRAP_UNDEFINED_ELEMENT);
    callee_f = t->elems[i];
    if (WB_UNLIKELY(!callee_f))
        TRAP(WB_TRAP_UNINITIALIZED_ELEMENT);
    const wb_functype *want = &inst->module->types[B1].ft;
    if (callee_f->type != want && !wb__type_equal(callee_f->type, want))
        TRAP(WB_TRAP_INDIRECT_TYPE);
    nfp = fpb + B2;
    next = pc + 3;
    goto call_func;
}

L_COPY:
    memcpy(fpb + B1, fpb + A1, 8);
    NEXT(2);
L_COPY2:
    memmove(fpb + B1, fpb + A1, 16);
    NEXT(2);
L_SELECT:
    memcpy(fpb + B2, fpb + (R(u32, A2) ? A1 : B1), 8);
    NEXT(3);
L_SELECT2:
    memmove(fpb + B2, fpb + (R(u32, A2) ? A1 : B1), 16);
    NEXT(3);
L_GLOBAL_GET:
    memcpy(fpb + B1, &inst->globals[A1]->value[0], 8);
    NEXT(2);
L_GLOBAL_SET:
    memcpy(&inst->globals[A1]->value[0], fpb + B1, 8);
    NEXT(2);
L_GLOBAL_GET2:
    memcpy(fpb + B1, inst->globals[A1]->value, 16);
    NEXT(2);
L_GLOBAL_SET2:
    memcpy(inst->globals[A1]->value, fpb + B1, 16);
    NEXT(2);
L_REF_IS_NULL:
    W(u32, B1, R(u64, A1) == 0);
    NEXT(2);
L_REF_FUNC: {
    wb_func *f = wb__instance_funcref(inst, A1);
    if (!f) {
        c->host_msg = "out of host memory";
        TRAP(WB_TRAP_HOST);
    }
    W(u64, B1, (uint64_t)(uintptr_t)f);
    NEXT(2);
}

L_TABLE_GET: {
    wb_table *t = inst->tables[A1];
    uint32_t i = R(u32, B1);
    if (i >= t->size)
        TRAP(WB_TRAP_TABLE_OOB);
    W(u64, A2, (uint64_t)(uintptr_t)t->elems[i]);
    NEXT(3);
}
L_TABLE_SET: {
    wb_table *t = inst->tables[A1];
    uint32_t i = R(u32, B1);
    if (i >= t->size)
        TRAP(WB_TRAP_TABLE_OOB);
    t->elems[i] = (void *)(uintptr_t)R(u64, A2);
    NEXT(3);
}
L_TABLE_SIZE:
    W(u32, B1, inst->tables[A1]->size);
    NEXT(2);
L_TABLE_GROW: {
    uint32_t n = R(u32, A2);
    W(u32, B2, (uint32_t)wb__table_grow(inst->tables[A1], n, (void *)(uintptr_t)R(u64, B1)));
    pc += 3;
    CHECK(WB_FUEL_TABLE_ELEMS(n));
    NEXT(0);
}
L_TABLE_FILL: {
    wb_table *t = inst->tables[A1];
    uint32_t i = R(u32, B1), n = R(u32, B2);
    void *v = (void *)(uintptr_t)R(u64, A2);
    if ((uint64_t)i + n > t->size)
        TRAP(WB_TRAP_TABLE_OOB);
    for (uint32_t k = 0; k < n; k++)
        t->elems[i + k] = v;
    pc += 3;
    CHECK(WB_FUEL_TABLE_ELEMS(n));
    NEXT(0);
}
L_TABLE_COPY: {
    wb_table *dt = inst->tables[A1], *st = inst->tables[B1];
    uint32_t d = R(u32, A2), s = R(u32, B2), n = R(u32, A3);
    if ((uint64_t)d + n > dt->size || (uint64_t)s + n > st->size)
        TRAP(WB_TRAP_TABLE_OOB);
    if (n)
        memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(void *));
    pc += 4;
    CHECK(WB_FUEL_TABLE_ELEMS(n));
    NEXT(0);
}
L_TABLE_INIT: {
    wb_table *t = inst->tables[A1];
    uint32_t seg = B1;
    const wb__elem *e = &inst->module->elems[seg];
    uint32_t len = inst->dropped_elems[seg / 8] & (1u << (seg % 8)) ? 0 : e->count;
    uint32_t d = R(u32, A2), s = R(u32, B2), n = R(u32, A3);
    if ((uint64_t)s + n > len || (uint64_t)d + n > t->size)
        TRAP(WB_TRAP_TABLE_OOB);
    for (uint32_t k = 0; k < n; k++) {
        wb__slot v[2];
        wb__eval_const(inst, &e->items[s + k], v);
        t->elems[d + k] = (void *)(uintptr_t)v[0];
    }
    pc += 4;
    CHECK(WB_FUEL_TABLE_INIT(n));
    NEXT(0);
}
L_ELEM_DROP:
    inst->dropped_elems[A1 / 8] |= (uint8_t)(1u << (A1 % 8));
    NEXT(2);

L_MEMORY_SIZE:
    W(u32, A1, inst->mem->pages);
    NEXT(2);
L_MEMORY_GROW: {
    int64_t r = wb__memory_grow(inst->mem, R(u32, A1));
    W(u32, B1, (uint32_t)r);
    RELOAD_MEM();
    NEXT(2);
}
L_MEMORY_FILL: {
    uint32_t d = R(u32, A1), n = R(u32, A2);
    if ((uint64_t)d + n > memsize)
        TRAP(WB_TRAP_MEMORY_OOB);
    memset(mem + d, (int)(R(u32, B1) & 0xff), n);
    pc += 3;
    CHECK(WB_FUEL_BULK_BYTES(n));
    NEXT(0);
}
L_MEMORY_COPY: {
    uint32_t d = R(u32, A1), s = R(u32, B1), n = R(u32, A2);
    if ((uint64_t)d + n > memsize || (uint64_t)s + n > memsize)
        TRAP(WB_TRAP_MEMORY_OOB);
    memmove(mem + d, mem + s, n);
    pc += 3;
    CHECK(WB_FUEL_BULK_BYTES(n));
    NEXT(0);
}
L_MEMORY_INIT: {
    uint32_t seg = A1;
    const wb__data *ds = &inst->module->datas[seg];
    uint32_t len = inst->dropped_datas[seg / 8] & (1u << (seg % 8)) ? 0 : ds->len;
    uint32_t d = R(u32, B1), s = R(u32, A2), n = R(u32, B2);
    if ((uint64_t)s + n > len || (uint64_t)d + n > memsize)
        TRAP(WB_TRAP_MEMORY_OOB);
    if (n)
        memcpy(mem + d, ds->bytes + s, n);
    pc += 3;
    CHECK(WB_FUEL_BULK_BYTES(n));
    NEXT(0);
}
L_DATA_DROP:
    inst->dropped_datas[A1 / 8] |= (uint8_t)(1u << (A1 % 8));
    NEXT(2);

L_SIMD: {
    wb__simd_fn f = (wb__simd_fn)pc[1].op;
    f(fpb + B3, fpb + A2, fpb + B2, fpb + A3, (const uint8_t *)&pc[4]);
    NEXT(1 + WB__SIMD_CELLS);
}
L_SIMD_MEM: {
    wb__simd_fn f = (wb__simd_fn)pc[1].op;
    uint64_t ea = (uint64_t)R(u32, A2) + pc[4].p.a;
    uint32_t bytes = pc[4].p.b & 0xff, kind = pc[4].p.b >> 8;
    if (ea + bytes > memsize)
        TRAP(WB_TRAP_MEMORY_OOB);
    const uint8_t *imm = (const uint8_t *)&pc[5];
    if (kind == WB__SIMD_LOAD)
        f(fpb + B3, mem + ea, NULL, NULL, imm);
    else if (kind == WB__SIMD_LOAD_LANE)
        f(fpb + B3, mem + ea, fpb + B2, NULL, imm);
    else
        f(mem + ea, fpb + B2, NULL, NULL, imm);
    NEXT(1 + WB__SIMD_MEM_CELLS);
}

    /* v128.load and v128.store: [addr|d][offset|-] and [addr|v][offset|-]. */
#define V128_MEM(name, to, from)                                                                 \
    L_##name:                                                                                    \
    {                                                                                            \
        uint64_t ea = (uint64_t)R(u32, A1) + A2;                                                 \
        if (WB_UNLIKELY(ea + 16 > memsize))                                                      \
            TRAP(WB_TRAP_MEMORY_OOB);                                                            \
        memcpy(to, from, 16);                                                                    \
        NEXT(3);                                                                                 \
    }
    V128_MEM(V128_LOAD, fpb + B1, mem + ea)
    V128_MEM(V128_STORE, mem + ea, fpb + B1)

    /* [a|b][d|-]; e combines the 64-bit halves x and y. */
#define V128_BIN(name, e)                                                                        \
    L_##name:                                                                                    \
    {                                                                                            \
        uint64_t a[2], b[2];                                                                     \
        memcpy(a, fpb + A1, 16);                                                                 \
        memcpy(b, fpb + B1, 16);                                                                 \
        for (int k = 0; k < 2; k++) {                                                            \
            uint64_t x = a[k], y = b[k];                                                         \
            a[k] = (e);                                                                          \
        }                                                                                        \
        memcpy(fpb + A2, a, 16);                                                                 \
        NEXT(3);                                                                                 \
    }
    V128_BIN(V128_AND, x & y)
    V128_BIN(V128_ANDNOT, x & ~y)
    V128_BIN(V128_OR, x | y)
    V128_BIN(V128_XOR, x ^ y)
L_V128_ANY_TRUE: {
    uint64_t a[2];
    memcpy(a, fpb + A1, 16);
    W(u32, A2, (a[0] | a[1]) != 0);
    NEXT(3);
}
L_I8X16_BITMASK: {
#ifdef __SSE2__
    W(u32, A2, (uint32_t)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(fpb + A1))));
#else
    uint8_t a[16];
    memcpy(a, fpb + A1, 16);
    uint32_t m = 0;
    for (int i = 0; i < 16; i++)
        m |= (uint32_t)(a[i] >> 7) << i;
    W(u32, A2, m);
#endif
    NEXT(3);
}

    /* Loads and stores: [addr|d][offset|-] and [addr|v][offset|-]. */
#define LOAD(name, T, WT, CT)                                                                    \
    L_##name:                                                                                    \
    {                                                                                            \
        uint64_t ea = (uint64_t)R(u32, A1) + A2;                                                 \
        if (WB_UNLIKELY(ea + sizeof(CT) > memsize))                                              \
            TRAP(WB_TRAP_MEMORY_OOB);                                                            \
        W(WT, B1, ld_##T(mem + ea));                                                             \
        NEXT(3);                                                                                 \
    }
#define STORE(name, T, CT, RT)                                                                   \
    L_##name:                                                                                    \
    {                                                                                            \
        uint64_t ea = (uint64_t)R(u32, A1) + A2;                                                 \
        if (WB_UNLIKELY(ea + sizeof(CT) > memsize))                                              \
            TRAP(WB_TRAP_MEMORY_OOB);                                                            \
        st_##T(mem + ea, (CT)R(RT, B1));                                                         \
        NEXT(3);                                                                                 \
    }
    LOAD(I32_LOAD, u32, u32, uint32_t)
    LOAD(I64_LOAD, u64, u64, uint64_t)
    LOAD(F32_LOAD, u32, u32, uint32_t)
    LOAD(F64_LOAD, u64, u64, uint64_t)
    LOAD(I32_LOAD8_S, i8, i32, int8_t)
    LOAD(I32_LOAD8_U, u8, u32, uint8_t)
    LOAD(I32_LOAD16_S, i16, i32, int16_t)
    LOAD(I32_LOAD16_U, u16, u32, uint16_t)
    LOAD(I64_LOAD8_S, i8, i64, int8_t)
    LOAD(I64_LOAD8_U, u8, u64, uint8_t)
    LOAD(I64_LOAD16_S, i16, i64, int16_t)
    LOAD(I64_LOAD16_U, u16, u64, uint16_t)
    LOAD(I64_LOAD32_S, i32, i64, int32_t)
    LOAD(I64_LOAD32_U, u32, u64, uint32_t)
    STORE(I32_STORE, u32, uint32_t, u32)
    STORE(I64_STORE, u64, uint64_t, u64)
    STORE(F32_STORE, u32, uint32_t, u32)
    STORE(F64_STORE, u64, uint64_t, u64)
    STORE(I32_STORE8, u8, uint8_t, u32)
    STORE(I32_STORE16, u16, uint16_t, u32)
    STORE(I64_STORE8, u8, uint8_t, u64)
    STORE(I64_STORE16, u16, uint16_t, u64)
    STORE(I64_STORE32, u32, uint32_t, u64)

    /* Numeric: unary [a|d], binary [a|b][d|-]. */
#define UN(name, TI, TO, expr)                                                                   \
    L_##name:                                                                                    \
    {                                                                                            \
        TI##_t a = R(TI, A1);                                                                    \
        W(TO, B1, (expr));                                                                       \
        NEXT(2);                                                                                 \
    }
#define BIN(name, TI, TO, expr)                                                                  \
    L_##name:                                                                                    \
    {                                                                                            \
        TI##_t a = R(TI, A1), b = R(TI, B1);                                                     \
        W(TO, A2, (expr));                                                                       \
        NEXT(3);                                                                                 \
    }
    typedef uint32_t u32_t;
    typedef int32_t i32_t;
    typedef uint64_t u64_t;
    typedef int64_t i64_t;
    typedef float f32_t;
    typedef double f64_t;

    UN(I32_EQZ, u32, u32, a == 0)
    BIN(I32_EQ, u32, u32, a == b)
    BIN(I32_NE, u32, u32, a != b)
    BIN(I32_LT_S, i32, u32, a < b)
    BIN(I32_LT_U, u32, u32, a < b)
    BIN(I32_GT_S, i32, u32, a > b)
    BIN(I32_GT_U, u32, u32, a > b)
    BIN(I32_LE_S, i32, u32, a <= b)
    BIN(I32_LE_U, u32, u32, a <= b)
    BIN(I32_GE_S, i32, u32, a >= b)
    BIN(I32_GE_U, u32, u32, a >= b)
    UN(I64_EQZ, u64, u32, a == 0)
    BIN(I64_EQ, u64, u32, a == b)
    BIN(I64_NE, u64, u32, a != b)
    BIN(I64_LT_S, i64, u32, a < b)
    BIN(I64_LT_U, u64, u32, a < b)
    BIN(I64_GT_S, i64, u32, a > b)
    BIN(I64_GT_U, u64, u32, a > b)
    BIN(I64_LE_S, i64, u32, a <= b)
    BIN(I64_LE_U, u64, u32, a <= b)
    BIN(I64_GE_S, i64, u32, a >= b)
    BIN(I64_GE_U, u64, u32, a >= b)
    BIN(F32_EQ, f32, u32, a == b)
    BIN(F32_NE, f32, u32, a != b)
    BIN(F32_LT, f32, u32, a < b)
    BIN(F32_GT, f32, u32, a > b)
    BIN(F32_LE, f32, u32, a <= b)
    BIN(F32_GE, f32, u32, a >= b)
    BIN(F64_EQ, f64, u32, a == b)
    BIN(F64_NE, f64, u32, a != b)
    BIN(F64_LT, f64, u32, a < b)
    BIN(F64_GT, f64, u32, a > b)
    BIN(F64_LE, f64, u32, a <= b)
    BIN(F64_GE, f64, u32, a >= b)

    UN(I32_CLZ, u32, u32, a ? (uint32_t)__builtin_clz(a) : 32u)
    UN(I32_CTZ, u32, u32, a ? (uint32_t)__builtin_ctz(a) : 32u)
    UN(I32_POPCNT, u32, u32, (uint32_t)__builtin_popcount(a))
    BIN(I32_ADD, u32, u32, a + b)
    BIN(I32_SUB, u32, u32, a - b)
    BIN(I32_MUL, u32, u32, a * b)
    INT_DIVS(32, int32_t, uint32_t, INT32_MIN)
    BIN(I32_AND, u32, u32, a & b)
    BIN(I32_OR, u32, u32, a | b)
    BIN(I32_XOR, u32, u32, a ^ b)
    BIN(I32_SHL, u32, u32, a << (b & 31))
    BIN(I32_SHR_S, i32, i32, a >> (b & 31))
    BIN(I32_SHR_U, u32, u32, a >> (b & 31))
    BIN(I32_ROTL, u32, u32, rotl32(a, b))
    BIN(I32_ROTR, u32, u32, rotr32(a, b))

    UN(I64_CLZ, u64, u64, a ? (uint64_t)__builtin_clzll(a) : 64u)
    UN(I64_CTZ, u64, u64, a ? (uint64_t)__builtin_ctzll(a) : 64u)
    UN(I64_POPCNT, u64, u64, (uint64_t)__builtin_popcountll(a))
    BIN(I64_ADD, u64, u64, a + b)
    BIN(I64_SUB, u64, u64, a - b)
    BIN(I64_MUL, u64, u64, a * b)
    INT_DIVS(64, int64_t, uint64_t, INT64_MIN)
    BIN(I64_AND, u64, u64, a & b)
    BIN(I64_OR, u64, u64, a | b)
    BIN(I64_XOR, u64, u64, a ^ b)
    BIN(I64_SHL, u64, u64, a << (b & 63))
    BIN(I64_SHR_S, i64, i64, a >> (b & 63))
    BIN(I64_SHR_U, u64, u64, a >> (b & 63))
    BIN(I64_ROTL, u64, u64, rotl64(a, b))
    BIN(I64_ROTR, u64, u64, rotr64(a, b))

    /* abs/neg/copysign work on the bits so NaN payloads pass untouched. */
    UN(F32_ABS, u32, u32, a & 0x7fffffffu)
    UN(F32_NEG, u32, u32, a ^ 0x80000000u)
    UN(F32_CEIL, f32, f32, QUIET(a, ceilf))
    UN(F32_FLOOR, f32, f32, QUIET(a, floorf))
    UN(F32_TRUNC, f32, f32, QUIET(a, truncf))
    UN(F32_NEAREST, f32, f32, nearbyintf(a))
    UN(F32_SQRT, f32, f32, sqrtf(a))
    BIN(F32_ADD, f32, f32, a + b)
    BIN(F32_SUB, f32, f32, a - b)
    BIN(F32_MUL, f32, f32, a * b)
    BIN(F32_DIV, f32, f32, a / b)
    BIN(F32_MIN, f32, f32, fmin32(a, b))
    BIN(F32_MAX, f32, f32, fmax32(a, b))
    BIN(F32_COPYSIGN, u32, u32, (a & 0x7fffffffu) | (b & 0x80000000u))
    UN(F64_ABS, u64, u64, a & 0x7fffffffffffffffull)
    UN(F64_NEG, u64, u64, a ^ 0x8000000000000000ull)
    UN(F64_CEIL, f64, f64, QUIET(a, ceil))
    UN(F64_FLOOR, f64, f64, QUIET(a, floor))
    UN(F64_TRUNC, f64, f64, QUIET(a, trunc))
    UN(F64_NEAREST, f64, f64, nearbyint(a))
    UN(F64_SQRT, f64, f64, sqrt(a))
    BIN(F64_ADD, f64, f64, a + b)
    BIN(F64_SUB, f64, f64, a - b)
    BIN(F64_MUL, f64, f64, a * b)
    BIN(F64_DIV, f64, f64, a / b)
    BIN(F64_MIN, f64, f64, fmin64(a, b))
    BIN(F64_MAX, f64, f64, fmax64(a, b))
    BIN(F64_COPYSIGN, u64, u64, (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull))

    /* Trapping float -> int: NaN is an invalid conversion, out of range an overflow. */
#define TRUNC(name, TI, TO, CT, lo_ok, hi_ok)                                                    \
    L_##name:                                                                                    \
    {                                                                                            \
        TI##_t a = R(TI, A1);                                                                    \
        if (WB_UNLIKELY(a != a))                                                                 \
            TRAP(WB_TRAP_INVALID_CONVERSION);                                                    \
        if (WB_UNLIKELY(!(lo_ok) || !(hi_ok)))                                                   \
            TRAP(WB_TRAP_INT_OVERFLOW);                                                          \
        W(TO, B1, (CT)a);                                                                        \
        NEXT(2);                                                                                 \
    }
    TRUNC(I32_TRUNC_F32_S, f32, i32, int32_t, a >= -2147483648.0f, a < 2147483648.0f)
    TRUNC(I32_TRUNC_F32_U, f32, u32, uint32_t, a > -1.0f, a < 4294967296.0f)
    TRUNC(I32_TRUNC_F64_S, f64, i32, int32_t, a > -2147483649.0, a < 2147483648.0)
    TRUNC(I32_TRUNC_F64_U, f64, u32, uint32_t, a > -1.0, a < 4294967296.0)
    TRUNC(I64_TRUNC_F32_S, f32, i64, int64_t, a >= -9223372036854775808.0f, a < 9223372036854775808.0f)
    TRUNC(I64_TRUNC_F32_U, f32, u64, uint64_t, a > -1.0f, a < 18446744073709551616.0f)
    TRUNC(I64_TRUNC_F64_S, f64, i64, int64_t, a >= -9223372036854775808.0, a < 9223372036854775808.0)
    TRUNC(I64_TRUNC_F64_U, f64, u64, uint64_t, a > -1.0, a < 18446744073709551616.0)

    UN(I32_TRUNC_SAT_F32_S, f32, i32, sat_i32(a))
    UN(I32_TRUNC_SAT_F32_U, f32, u32, sat_u32(a))
    UN(I32_TRUNC_SAT_F64_S, f64, i32, sat_i32(a))
    UN(I32_TRUNC_SAT_F64_U, f64, u32, sat_u32(a))
    UN(I64_TRUNC_SAT_F32_S, f32, i64, sat_i64(a))
    UN(I64_TRUNC_SAT_F32_U, f32, u64, sat_u64(a))
    UN(I64_TRUNC_SAT_F64_S, f64, i64, sat_i64(a))
    UN(I64_TRUNC_SAT_F64_U, f64, u64, sat_u64(a))

    UN(I64_EXTEND_I32_S, i32, i64, (int64_t)a)
    UN(I64_EXTEND_I32_U, u32, u64, (uint64_t)a)
    UN(F32_CONVERT_I32_S, i32, f32, (float)a)
    UN(F32_CONVERT_I32_U, u32, f32, (float)a)
    UN(F32_CONVERT_I64_S, i64, f32, (float)a)
    UN(F32_CONVERT_I64_U, u64, f32, (float)a)
    UN(F32_DEMOTE_F64, f64, f32, (float)a)
    UN(F64_CONVERT_I32_S, i32, f64, (double)a)
    UN(F64_CONVERT_I32_U, u32, f64, (double)a)
    UN(F64_CONVERT_I64_S, i64, f64, (double)a)
    UN(F64_CONVERT_I64_U, u64, f64, (double)a)
    UN(F64_PROMOTE_F32, f32, f64, (double)a)
    UN(I32_EXTEND8_S, u32, i32, (int32_t)(int8_t)a)
    UN(I32_EXTEND16_S, u32, i32, (int32_t)(int16_t)a)
    UN(I64_EXTEND8_S, u64, i64, (int64_t)(int8_t)a)
    UN(I64_EXTEND16_S, u64, i64, (int64_t)(int16_t)a)
    UN(I64_EXTEND32_S, u64, i64, (int64_t)(int32_t)a)

check_point:
    /* pc is the continuation; the frame is complete. */
    why = fuel < 0 ? RUN_FUEL : RUN_INTERRUPT;
    goto out;

jit_stop:
    /* Machine code ran the op at pc (a host call) and left with the end the
     * interpreter would have reached there: a stop at the check point
     * after it (pc is the continuation), or the host's suspension, exit or
     * trap (pc is the call).  Its fuel is in `fuel` already. */
    why = c->jit_stop;
    c->jit_stop = 0;
    if (why == RUN_TRAP)
        TRAP(c->jit_trap);
    goto out;

trap:
    record_trap(c, trapc, inst, fn, pc);
    why = RUN_TRAP;
    goto out;

out:
    c->pc = pc;
    c->fn = fn;
    c->inst = inst;
    c->fp = (uint32_t)((wb__slot *)fpb - c->stack);
    *fuel_out = fuel;
    return why;

#undef NEXT
#undef TRAP
}

const void *const *wb__op_handlers(void)
{
    if (!handler_table)
        run(NULL, 0, NULL);
    return handler_table;
}

/* Op ids to handler addresses (code.h), walking each function by the op
 * table; and a function that jit.c gave machine code to be entered from
 * the interpreter gets JIT_ENTER in cell 0 (its own handler kept). */
void wb__interp_link(wb_module *m)
{
    const void *const *h = wb__op_handlers();
    for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++) {
        wb__func *f = &m->funcs[i];
        for (uint32_t k = 0; k < f->ncode;) {
            unsigned id = (unsigned)f->code[k].u64;
            uint32_t n = wb__op_cells(id, &f->code[k]);
            f->code[k].op = h[id];
            k += n;
        }
        if (f->jit && f->jit_enter) {
            f->jit_op0 = f->code[0].op;
            f->code[0].op = h[WB__OP_JIT_ENTER];
        }
    }
}

/* ---- the call API ------------------------------------------------------------------- */

static void apply_opts(wb_call *c, const wb_call_opts *opts)
{
    if (opts)
        c->opts = *opts;
    else
        memset(&c->opts, 0, sizeof c->opts);
    if (!c->opts.fuel)
        c->opts.fuel = UINT64_MAX; /* no limit: so a call's start needs no test */
    wb__jit_set_fuel(&c->jc, c->opts.fuel > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)c->opts.fuel);
    c->fuel0 = c->jc.fuel;
    c->reserve0 = c->jc.reserve;
    c->max_depth = c->opts.max_depth ? c->opts.max_depth : WB_DEFAULT_MAX_DEPTH;
    uint64_t bytes = c->opts.max_stack ? c->opts.max_stack : WB_DEFAULT_MAX_STACK;
    c->max_slots = bytes / 8 < WB_MIN_STACK_SLOTS ? WB_MIN_STACK_SLOTS : bytes / 8;
    /* The hot paths only compare against what is allocated, so a reused
     * call whose stacks grew under laxer limits gives the excess back. */
    if (c->cap > c->max_slots) {
        wb__slot *s = realloc(c->stack, c->max_slots * sizeof *s);
        if (s) {
            c->stack = s;
            c->cap = c->max_slots;
        } else {
            free(c->stack);
            c->stack = NULL;
            c->cap = 0;
        }
    }
    if (c->fcap > c->max_depth + 1) {
        frame *f = realloc(c->frames, ((size_t)c->max_depth + 1) * sizeof *f);
        if (f) {
            c->frames = f;
            c->fcap = c->max_depth + 1;
        } else {
            free(c->frames);
            c->frames = NULL;
            c->fcap = 0;
        }
    }
    jc_fixed(c);
}

wb_call *wb_call_new(const wb_call_opts *opts)
{
    wb_call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    apply_opts(c, opts);
    return c;
}

void wb_call_free(wb_call *c)
{
    if (!c)
        return;
    free(c->stack);
    free(c->frames);
    free(c->host_buf);
    free(c);
}

void wb_call_set_slice(wb_call *c, uint64_t slice)
{
    c->slice = slice;
    jc_fixed(c);
}
void wb_call_interrupt(wb_call *c) { c->interrupt_req = 1; }
uint64_t wb_call_fuel_used(const wb_call *c) { return c->fuel_used; }
int wb_call_exit_code(const wb_call *c) { return c->exit_code; }
uint32_t wb__call_jit_leaves(const wb_call *c) { return c->jit_leaves; }
const wb_error *wb_call_error(const wb_call *c) { return c->has_err ? &c->err : NULL; }

static __attribute__((noinline, cold)) wb_result trap_now(wb_call *c, wb_result code, const wb__func *fn)
{
    record_trap(c, code, c->inst, fn, fn ? fn->code : NULL);
    c->state = ST_TRAPPED;
    return code;
}

/* The fuel left of the call's limit, UINT64_MAX when unlimited. */
static inline uint64_t fuel_left(const wb_call *c)
{
    return c->opts.fuel == UINT64_MAX ? UINT64_MAX : c->opts.fuel - c->fuel_used;
}

/* Charge fuel used; a charge that failed takes only what was left. */
static inline void spend(wb_call *c, uint64_t used)
{
    uint64_t l = fuel_left(c);
    c->fuel_used += used > l ? l : used;
}

/* Run segments until the call ends or must stop. */
static __attribute__((noinline)) wb_result drive(wb_call *c)
{
    for (;;) {
        uint64_t l = fuel_left(c);
        int64_t allot = l > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)l;
        if (c->slice && c->slice < (uint64_t)allot)
            allot = (int64_t)c->slice;
        int64_t left = allot;
        int why = run(c, allot, &left);
        spend(c, (uint64_t)(allot - left));
        switch (why) {
        case RUN_DONE:
            c->state = ST_DONE;
            return WB_OK;
        case RUN_TRAP:
            c->state = ST_TRAPPED;
            return c->err.code;
        case RUN_EXIT:
            c->state = ST_DONE;
            return WB_EXITED;
        case RUN_YIELD:
            c->state = ST_SUSPENDED;
            return WB_SUSPENDED;
        case RUN_INTERRUPT:
            c->interrupt_req = 0;
            if (c->trap_on_interrupt) {
                record_trap(c, WB_TRAP_INTERRUPTED, c->inst, c->fn, c->pc);
                c->state = ST_TRAPPED;
                return WB_TRAP_INTERRUPTED;
            }
            c->state = ST_SUSPENDED;
            return WB_SUSPENDED;
        case RUN_FUEL:
            if (fuel_left(c) == 0) {
                record_trap(c, WB_TRAP_OUT_OF_FUEL, c->inst, c->fn, c->pc);
                c->state = ST_TRAPPED;
                return WB_TRAP_OUT_OF_FUEL;
            }
            if (c->slice) {
                c->state = ST_SUSPENDED;
                return WB_SUSPENDED;
            }
            break; /* the allotment was only capped by INT64_MAX: go on */
        }
    }
}

/* A new call of f: no error yet.  What only the interpreter reads (fuel
 * so far, frames, the function it is in) is set by begin(), on every way
 * but the compiled entry's, which sets the fuel when it returns. */
static inline void reset(wb_call *c, wb_func *f)
{
    c->state = ST_IDLE;
    c->exit_code = 0;
    c->jit_leaves = 0;
    c->jit_stop = 0;
    c->has_err = false;
    c->entry = f;
    c->inst = f->inst;
}

/* ... no fuel used, no frame. */
static void begin(wb_call *c)
{
    c->fuel_used = 0;
    c->nframes = 0;
    c->fn = NULL;
}

/* Room for f's frame on the stack (for its arguments and results if it is
 * a host function, or has no slots at all: the stack exists then too). */
static inline bool reserve(wb_call *c, wb_func *f)
{
    const wb_functype *ft = f->type;
    uint64_t need = f->code && f->code->frame_slots ? f->code->frame_slots
                                                    : 2 * (uint64_t)(ft->nparams + ft->nresults) + 2;
    return (need <= c->cap || stack_reserve(c, need)) && (c->fcap != 0 || frames_reserve(c));
}

/* Run f, its arguments in the first slots of the stack: the way for every
 * function and call (a host function, fuel short of the entry, slicing,
 * no machine code). */
static __attribute__((noinline)) wb_result enter_any(wb_call *c, wb_func *f)
{
    if (!f->code) {
        /* A host function called directly: nothing to interpret. */
        uint64_t host_fuel; /* the host's own call: not the guest's to pay */
        wb_result r = host_call(c, f, NULL, c->stack, &host_fuel);
        if (r == WB_OK || r == WB_EXITED) {
            c->state = ST_DONE;
            return r;
        }
        if (r == WB_SUSPENDED) {
            c->state = ST_SUSPENDED;
            c->pc = NULL;
            return r;
        }
        return trap_now(c, wb_result_is_trap(r) ? r : WB_TRAP_HOST, NULL);
    }
    const wb__func *fn = f->code;
    init_frame(c->stack, fn);
    /* Entry fuel, charged as a call charges it. */
    bool short_of_fuel = fn->entry_fuel > fuel_left(c);
    spend(c, fn->entry_fuel);
    if (short_of_fuel)
        return trap_now(c, WB_TRAP_OUT_OF_FUEL, fn);
    /* The interpreter's entry frame: its return ends the call. */
    c->frames[c->nframes++] = (frame){.pc = NULL, .fp = 0, .fn = NULL, .inst = f->inst};
    c->pc = fn->code;
    c->fn = fn;
    c->fp = 0;
    return drive(c);
}

/* The common case, inlined into both starts: f has machine code, its frame
 * fits the stacks as allocated, the fuel covers its entry, no slicing
 * (entry_cap says both of the call; the test sends a frame of no slots the
 * long way, where the stack is made). */
static inline bool compiled(const wb_call *c, const wb__func *fn)
{
    return fn && fn->jit && (uint64_t)(fn->frame_slots - 1u) < c->entry_cap && fn->entry_fuel <= c->opts.fuel;
}

/* Where the compiled entry's machine code stopped short of the return (a
 * call it cannot make, a trap, fuel or an interrupt at a back-edge), the
 * interpreter goes on (or stops: run() sees jit_stop) in the same
 * allotment; at cell 0 of f, JIT_ENTER or the op itself runs again. */
static __attribute__((noinline)) wb_result leave(wb_call *c, uint32_t k)
{
    wb__jit_ctx *jc = &c->jc;
    /* A host call's charge may overdraw (the machine code stops after it):
     * a charge takes only what was left (spend). */
    if (c->fuel_used > c->opts.fuel)
        c->fuel_used = c->opts.fuel;
    c->frames[0] = (frame){.pc = NULL, .fp = 0, .fn = NULL, .inst = c->inst}; /* its return ends the call */
    c->nframes = jc->nframes;
    take_frames(c, 1, jc->inst);
    c->inst = jc->inst; /* where it left: a callee's of another instance, maybe */
    c->jit_leaves += !c->jit_stop;
    c->fn = jc->fn;
    c->fp = (uint32_t)((wb__slot *)jc->fpb - c->stack);
    c->pc = jc->fn->code + k;
    return drive(c);
}

/* Run fn's machine code, the arguments in place: the machine code makes the
 * frame and runs without the interpreter.  A UDF's call is a few dozen
 * instructions here, so every one counts.  It gets all of the call's fuel
 * as apply_opts split it (a limit past INT64_MAX gives INT64_MAX: drive()
 * gives the rest if it is ever needed), and its entry charges the entry's
 * fuel (compiled() saw that it is there). */
static inline __attribute__((always_inline)) wb_result enter(wb_call *c, const wb__func *fn)
{
    wb_instance *inst = c->inst;
    wb__jit_ctx *jc = &c->jc;
    jc->fuel = c->fuel0;
    jc->reserve = c->reserve0;
    jc->inst = inst;
    jc->frames_end = c->entry_end; /* one frame in use: jit_start knows */
    uint32_t k = fn->jit_start((char *)c->stack, NULL, 0, jc); /* it takes the memory from jc->inst */
    /* From here on c's fields, read again, hold less in registers across
     * the call (fewer to save and restore).  Returned, the machine code had
     * all the fuel it charged: each charge that found too little left. */
    c->fuel_used = (uint64_t)(c->fuel0 + c->reserve0 - wb__jit_fuel(jc));
    if (WB_UNLIKELY(k != WB__JIT_RETURNED))
        return leave(c, k);
    c->state = ST_DONE;
    return WB_OK;
}

static __attribute__((noinline)) wb_result start_vals(wb_call *c, wb_func *f, const wb_val *args, uint32_t nargs)
{
    const wb_functype *ft = f->type;
    begin(c);
    if (nargs != ft->nparams) {
        c->state = ST_TRAPPED;
        return wb__error(&c->err, WB_ERR_ARG, 0, "expected %u arguments, got %u", ft->nparams, nargs);
    }
    for (uint32_t i = 0; i < nargs; i++)
        if (args[i].type != ft->types[i]) {
            c->state = ST_TRAPPED;
            return wb__error(&c->err, WB_ERR_ARG, 0, "argument %u: expected %s, got %s", i,
                             wb__type_name(ft->types[i]), wb__type_name(args[i].type));
        }
    if (!reserve(c, f))
        return trap_now(c, WB_TRAP_STACK_EXHAUSTED, f->code);
    vals_to_slots(ft, 0, nargs, args, c->stack);
    return compiled(c, f->code) ? enter(c, f->code) : enter_any(c, f);
}

wb_result wb_call_start(wb_call *c, wb_func *f, const wb_val *args, uint32_t nargs)
{
    const wb_functype *ft = f->type;
    const wb__func *fn = f->code;
    reset(c, f);
    if (!compiled(c, fn) || nargs != ft->nparams)
        return start_vals(c, f, args, nargs);
    for (uint32_t i = 0; i < nargs; i++)
        if (args[i].type != ft->types[i])
            return start_vals(c, f, args, nargs);
    vals_to_slots(ft, 0, nargs, args, c->stack);
    return enter(c, fn);
}

/* The cells are the engine's own slots, so they cross by plain copies: of
 * one or two most often, which a loop would take twice the instructions for. */
static inline void copy_cells(uint64_t *to, const uint64_t *from, uint32_t n)
{
    switch (n) {
    case 2:
        to[1] = from[1];
        /* fallthrough */
    case 1:
        to[0] = from[0];
        /* fallthrough */
    case 0:
        return;
    default:
        for (uint32_t i = 0; i < n; i++)
            to[i] = from[i];
    }
}

static __attribute__((noinline)) wb_result start_cells(wb_call *c, wb_func *f, uint64_t *io)
{
    const wb__type *t = (const wb__type *)f->type;
    begin(c);
    if (!reserve(c, f))
        return trap_now(c, WB_TRAP_STACK_EXHAUSTED, f->code);
    copy_cells(c->stack, io, t->param_slots);
    wb_result r = compiled(c, f->code) ? enter(c, f->code) : enter_any(c, f);
    if (r == WB_OK)
        copy_cells(io, c->stack, t->result_slots);
    return r;
}

wb_result wb_call_start_cells(wb_call *c, wb_func *f, uint64_t *io)
{
    const wb__type *t = (const wb__type *)f->type;
    const wb__func *fn = f->code;
    reset(c, f);
    if (WB_UNLIKELY(!compiled(c, fn)))
        return start_cells(c, f, io);
    copy_cells(c->stack, io, t->param_slots);
    uint16_t nres = t->result_slots; /* read now: after the call it is three loads in a row */
    wb_result r = enter(c, fn);
    if (r == WB_OK)
        copy_cells(io, c->stack, nres);
    return r;
}

wb_result wb_call_resume(wb_call *c)
{
    if (c->state != ST_SUSPENDED)
        return wb__error(&c->err, WB_ERR_ARG, 0, "no suspended call to resume");
    if (!c->pc) {
        /* A host function called directly asked to wait: ask it again,
         * with the arguments still in their slots (a host call writes its
         * results back only when it succeeds). */
        c->state = ST_IDLE;
        return enter_any(c, c->entry);
    }
    return drive(c);
}

uint32_t wb_call_results(const wb_call *c, wb_val *out, uint32_t max)
{
    if (c->state != ST_DONE || !c->entry)
        return 0;
    const wb_functype *ft = c->entry->type;
    uint32_t n = ft->nresults < max ? ft->nresults : max;
    slots_to_vals(ft, ft->nparams, n, c->stack, out);
    return n;
}

uint32_t wb_call_result_cells(const wb_call *c, uint64_t *out, uint32_t max)
{
    if (c->state != ST_DONE || !c->entry)
        return 0;
    const wb__type *t = (const wb__type *)c->entry->type;
    uint32_t n = t->result_slots < max ? t->result_slots : max;
    for (uint32_t i = 0; i < n; i++)
        out[i] = c->stack[i];
    return n;
}

/* wb_invoke reuses one wb_call per thread, so a call costs no allocation
 * after the first; a nested wb_invoke (from a host function) takes a new one. */
static _Thread_local wb_call *spare;

wb_result wb_invoke(wb_func *f, const wb_val *args, uint32_t nargs, wb_val *results, uint32_t nresults,
                    const wb_call_opts *opts, wb_error *err)
{
    if (!f)
        return wb__error(err, WB_ERR_ARG, 0, "no function");
    if (nresults != f->type->nresults)
        return wb__error(err, WB_ERR_ARG, 0, "expected %u results, got room for %u", f->type->nresults,
                         nresults);
    wb_call *c = spare;
    spare = NULL;
    if (!c && !(c = wb_call_new(opts)))
        return wb__error(err, WB_ERR_NOMEM, 0, "out of memory");
    c->slice = 0;
    apply_opts(c, opts);
    c->trap_on_interrupt = true;
    c->interrupt_req = 0;
    wb_result r = wb_call_start(c, f, args, nargs);
    if (r == WB_SUSPENDED) {
        /* A host function yielded, which a one-shot call cannot honour. */
        record_trap(c, WB_TRAP_HOST, c->inst, c->fn, c->pc);
        snprintf(c->err.message, sizeof c->err.message, "host function yielded in a call that cannot suspend");
        r = WB_TRAP_HOST;
    }
    if (r == WB_OK)
        wb_call_results(c, results, nresults);
    else if (err) {
        if (c->has_err || r == WB_ERR_ARG)
            *err = c->err;
        else
            wb__error(err, r, 0, "%s", wb_result_message(r));
    }
    c->trap_on_interrupt = false;
    if (!spare && c->cap <= 65536)
        spare = c;
    else
        wb_call_free(c);
    return r;
}
