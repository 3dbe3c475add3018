/*
 * x64_simd.c - the x86-64 emitter's SIMD ops (src/compile/emit_x64_simd.c)
 * against the interpreter, bit for bit: every opcode of simd.c's table as an
 * exported function of its operands (lane ops at several lanes, shuffles
 * with a few patterns, memory ops at several addresses and offsets, in and
 * out of bounds), called with values where the two could differ (NaN
 * payloads in every lane, signed zeros, the edges of each lane's range),
 * once compiled (WASMBOX_JIT=2) and once interpreted (WASMBOX_JIT=0).
 * Results are compared as bytes, traps by their message.
 */
#include "test.h"

#include "internal.h"

#include <stdarg.h>
#include <stdint.h>

/* v128 operands, as two 64-bit halves (lane 0 in the low bits). */
static const uint64_t vs[][2] = {
    {0, 0},
    {~0ull, ~0ull},
    {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull},
    {0x80017f00ff807fffull, 0x8000000080007fffull},
    {0x7fffffff80000000ull, 0xffffffff00000001ull},
    {0x8000000000000000ull, 0x7fffffffffffffffull},
    {0xffa000017fc00000ull, 0x800000007f800000ull},   /* f32: NaNs, -0, inf */
    {0x7fc123453f800000ull, 0xffc00000bf800000ull},   /* f32: NaNs, 1, -1 */
    {0x7ff4000000000000ull, 0xfff8000000000001ull},   /* f64: NaNs */
    {0x3ff0000000000000ull, 0x8000000000000000ull},   /* f64: 1, -0 */
    {0x4f0000004f800000ull, 0xcf000001c1e00000ull},   /* f32: i32 range edges */
    {0x41e0000000000000ull, 0xc1e0000000200000ull},   /* f64: i32 range edges */
    {0x123456789abcdef0ull, 0xfedcba9876543210ull},
    {0x0001000200030004ull, 0xfffe8001fffd7ffeull},
};
#define NV (sizeof vs / sizeof vs[0])

static const uint64_t scalars[] = {0,          1,          7,          15,         16,
                                   31,         33,         63,         65,         0x80000001,
                                   0xffffffff, 0x7fc00001, 0xffa00000, 0x7ff4000000000001ull,
                                   0x8000000000000000ull,  0x123456789abcdef0ull};
#define NS (sizeof scalars / sizeof scalars[0])

static const uint32_t addrs[] = {0, 1, 13, 65520, 65528, 65535, 65536, 0xfffffff0u};
#define NA (sizeof addrs / sizeof addrs[0])

/* One exported function: an opcode with its immediates. */
typedef struct {
    uint16_t sub;
    uint8_t lane;    /* LANE kinds */
    uint8_t shuffle; /* SHUFFLE: which pattern */
    uint32_t offset; /* memory kinds */
} fn;

static const uint8_t patterns[3][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {31, 0, 30, 1, 29, 2, 28, 3, 16, 17, 18, 19, 4, 4, 4, 4},
    {16, 17, 18, 19, 20, 21, 22, 23, 7, 6, 5, 4, 3, 2, 1, 0},
};

static const char *type_name(uint8_t t)
{
    return t == WB_I32 ? "i32" : t == WB_I64 ? "i64" : t == WB_F32 ? "f32" : t == WB_F64 ? "f64" : "v128";
}

static fn fns[2048];
static size_t nfns;

static void add(char **s, size_t *n, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(*s + *n, *cap - *n, fmt, ap);
        va_end(ap);
        if ((size_t)k < *cap - *n) {
            *n += (size_t)k;
            return;
        }
        *cap *= 2;
        *s = realloc(*s, *cap);
    }
}

/* The module: a function per (opcode, immediates). */
static char *module_text(void)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    add(&s, &n, &cap, "(module (memory 1)\n (data (i32.const 0) \"\\00\\01\\02\\03\\04\\05\\06\\07\\80\\81\\82\\83"
                      "\\84\\85\\86\\87\\ff\\fe\\7f\\7e\\00\\00\\c0\\7f\\01\\00\\a0\\ff\\00\\00\\f8\\7f\")\n"
                      " (data (i32.const 65520) \"\\0a\\0b\\0c\\0d\\0e\\0f\\80\\81\\82\\83\\84\\85\\86\\87\\88\\89\")\n");
    for (uint32_t sub = 0; sub < WB__SIMD_OPCODES; sub++) {
        const wb__simd_op *o = &wb__simd_ops[sub];
        if (!o->name || o->kind == WB__SIMD_CONST)
            continue;
        unsigned variants = o->kind == WB__SIMD_LANE || o->kind >= WB__SIMD_LOAD_LANE ? 3
                            : o->kind == WB__SIMD_SHUFFLE                             ? 3
                            : o->kind >= WB__SIMD_LOAD                                ? 2
                                                                                      : 1;
        for (unsigned k = 0; k < variants; k++) {
            fn f = {(uint16_t)sub, 0, 0, 0};
            if (o->kind == WB__SIMD_LANE || o->kind >= WB__SIMD_LOAD_LANE)
                f.lane = (uint8_t)(k == 0 ? 0 : k == 1 ? o->lanes - 1 : o->lanes / 2);
            if (o->kind == WB__SIMD_SHUFFLE)
                f.shuffle = (uint8_t)k;
            if (o->kind >= WB__SIMD_LOAD)
                f.offset = k == 1 ? 7 : 0;
            fns[nfns] = f;
            add(&s, &n, &cap, " (func (export \"%zu\") (param", nfns);
            for (int i = 0; i < o->nparams; i++)
                add(&s, &n, &cap, " %s", type_name(o->params[i]));
            bool store = o->kind == WB__SIMD_STORE || o->kind == WB__SIMD_STORE_LANE;
            add(&s, &n, &cap, ") (result %s)\n  (%s", store ? "v128" : type_name(o->result), o->name);
            if (o->kind >= WB__SIMD_LOAD && f.offset)
                add(&s, &n, &cap, " offset=%u", f.offset);
            if (o->kind == WB__SIMD_LANE || o->kind >= WB__SIMD_LOAD_LANE)
                add(&s, &n, &cap, " %u", f.lane);
            for (int i = 0; o->kind == WB__SIMD_SHUFFLE && i < 16; i++)
                add(&s, &n, &cap, " %u", patterns[f.shuffle][i]);
            for (int i = 0; i < o->nparams; i++)
                add(&s, &n, &cap, " (local.get %d)", i);
            add(&s, &n, &cap, ")\n");
            if (store) /* what it wrote: 16 bytes from the address, or the last 16 */
                add(&s, &n, &cap,
                    "  (v128.load (select (i32.add (local.get 0) (i32.const %u)) (i32.const 65520)"
                    " (i32.lt_u (i32.add (local.get 0) (i32.const %u)) (i32.const 65520)))))\n",
                    f.offset, f.offset);
            else
                add(&s, &n, &cap, " )\n");
            nfns++;
        }
    }
    add(&s, &n, &cap, ")\n");
    return s;
}

/* The k-th value of type t (k counts up through its list, wrapping). */
static wb_val value(uint8_t t, size_t k)
{
    wb_val v = {0};
    v.type = t;
    if (t == WB_V128)
        memcpy(v.of.v128, vs[k % NV], 16);
    else if (t == WB_I64 || t == WB_F64)
        v.of.i64 = (int64_t)scalars[k % NS];
    else
        v.of.i32 = (int32_t)(uint32_t)scalars[k % NS];
    return v;
}

static size_t count_of(uint8_t t) { return t == WB_V128 ? NV : NS; }

/* The outcome of one call, as text: the result's bytes or the trap. */
static void outcome(char *buf, size_t cap, wb_instance *inst, size_t i, const wb_val *args, uint32_t nargs)
{
    char name[16];
    snprintf(name, sizeof name, "%zu", i);
    wb_val r = {0};
    wb_error err;
    wb_result rc = wb_invoke(wb_instance_func(inst, name), args, nargs, &r, 1, NULL, &err);
    if (rc != WB_OK) {
        snprintf(buf, cap, "trap %d: %s", rc, err.message);
        return;
    }
    if (r.type == WB_V128) {
        for (int b = 0; b < 16; b++)
            snprintf(buf + 2 * b, cap - 2 * (size_t)b, "%02x", r.of.v128[15 - b]);
    } else {
        snprintf(buf, cap, "%016llx", (unsigned long long)(r.type == WB_I64 || r.type == WB_F64
                                                               ? (uint64_t)r.of.i64
                                                               : (uint32_t)r.of.i32));
    }
}

TEST(simd_ops_compiled_match_interpreter)
{
    char *text = module_text();
    wb_module *mref = NULL, *mgot = NULL;
    wb_instance *ref = wat_instance(text, "0", &mref), *got = wat_instance(text, "2", &mgot);
    free(text);
    CHECK(ref && got);
    unsigned calls = 0, wrong = 0, compiled = 0;
    for (uint32_t i = 0; mgot && i < mgot->nfuncs; i++)
        compiled += mgot->funcs[i].jit != NULL;
    CHECK_EQ_INT(compiled, nfns); /* no function is left to the interpreter */
    for (size_t i = 0; ref && got && i < nfns; i++) {
        const wb__simd_op *o = &wb__simd_ops[fns[i].sub];
        bool mem = o->kind >= WB__SIMD_LOAD;
        size_t n0 = mem ? NA : count_of(o->params[0]);
        size_t n1 = o->nparams > 1 ? count_of(o->params[1]) : 1, n2 = o->nparams > 2 ? 4 : 1;
        for (size_t a = 0; a < n0; a++)
            for (size_t b = 0; b < n1; b++)
                for (size_t c = 0; c < n2; c++) {
                    wb_val args[3] = {value(o->params[0], a), value(o->params[1], b),
                                      value(o->params[2], c * 3 + 1)};
                    if (mem)
                        args[0].of.i32 = (int32_t)addrs[a];
                    char x[600], y[600];
                    outcome(x, sizeof x, ref, i, args, o->nparams);
                    outcome(y, sizeof y, got, i, args, o->nparams);
                    calls++;
                    if (strcmp(x, y) != 0 && wrong++ < 30)
                        fprintf(stderr, "%s lane %u shuffle %u offset %u (args %zu %zu %zu): interpreted %s, compiled %s\n",
                                o->name, fns[i].lane, fns[i].shuffle, fns[i].offset, a, b, c, x, y);
                }
    }
    CHECK(calls > 20000);
    CHECK_EQ_INT(wrong, 0);
    if (ref)
        wb_instance_free(ref);
    if (got)
        wb_instance_free(got);
    if (mref)
        wb_module_free(mref);
    if (mgot)
        wb_module_free(mgot);
}
