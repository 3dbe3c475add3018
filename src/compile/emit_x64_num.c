/*
 * emit_x64_num.c - numeric ops as x86-64 (emit_x64.h): integer division and
 * remainder, bit counts, sign extensions, floats in SSE2 registers (SSE4.1
 * rounding where the CPU has it), conversions.
 *
 * The interpreter (interp.c) is the reference, to the bit: the same SSE
 * instruction with its operands in the same order gives the same NaN, so a
 * binary op keeps a as the destination (x86 returns the destination's NaN
 * when both are NaN), and an f32 result is stored zero-extended to its 8-byte
 * slot as sw_f32 does.  Anything that traps (a zero divisor, INT_MIN / -1,
 * a float out of an integer's range) leaves to the interpreter at the op's
 * own cell, which runs it again and traps there with the right message; so
 * do the rare cases that a short sequence would get wrong (a trapping
 * truncation whose result is exactly INT_MIN), since they then run the C
 * code.
 *
 * Scratch: rax, rcx, rdx, xmm0-xmm2 (and, around a call to a C helper, what
 * the C ABI lets it clobber; rbx and r12-r15 survive).
 */
#include "emit_x64.h"

#include <cpuid.h>
#include <math.h>
#include <stdatomic.h>

/* ---- the CPU ---------------------------------------------------------------------- */

enum { HAS_SSE41 = 1, HAS_POPCNT = 2, HAS_LZCNT = 4, HAS_TZCNT = 8, KNOWN = 16 };

/* What the CPU has beyond SSE2, asked once per process (cpuid can cost a
 * VM exit).  lzcnt and tzcnt decode as bsr and bsf where they are missing,
 * with another result for 0, so they must be asked for, not assumed.
 * Building with -DWB_X64_BASELINE takes none of them (to test the other
 * sequences). */
static unsigned features(void)
{
    static atomic_uint known;
    unsigned f = atomic_load_explicit(&known, memory_order_relaxed);
    if (f)
        return f;
    f = KNOWN;
#ifndef WB_X64_BASELINE
    unsigned eax, ebx, ecx, edx;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        f |= ecx & bit_SSE4_1 ? HAS_SSE41 : 0;
        f |= ecx & bit_POPCNT ? HAS_POPCNT : 0;
    }
    if (__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) && ecx & bit_LZCNT)
        f |= HAS_LZCNT;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ebx & bit_BMI)
        f |= HAS_TZCNT;
#endif
    atomic_store_explicit(&known, f, memory_order_relaxed);
    return f;
}

/* ---- small pieces ----------------------------------------------------------------- */


/* A forward jump to patch at `here` (local labels of a sequence). */
static void here(x64_emit *x, uint32_t at)
{
    x64_patch(&x->a, at, x64_pos(&x->a));
}

/* ---- integer division ------------------------------------------------------------- */

/* [a|b][d|-]: div_s, div_u, rem_s, rem_u of width w.  The traps (b == 0,
 * INT_MIN / -1) leave at the op; rem_s by -1 is 0 (idiv would fault on
 * INT_MIN % -1).  A constant divisor needs only the checks it can fail,
 * and an unsigned one that is a power of two is a shift or a mask. */
static void divide(x64_emit *x, const xop *o, bool w, bool sign, bool rem)
{
    wb__x64 *a = &x->a;
    const uint64_t *v = o->v;
    bool known = is_const(v[1]);
    uint64_t b = known ? (w ? const_of(x, v[1]) : (uint32_t)const_of(x, v[1])) : 0;
    bool minus1 = known && (w ? b == UINT64_MAX : b == UINT32_MAX);
    if (known && b == 0) {
        wb__x64e_leave(x, -1, o->at);
        return;
    }
    load(x, w, X64_RAX, v[0]);
    if (known && !sign && (b & (b - 1)) == 0) {
        if (rem) {
            x64_mov_ri(a, X64_RCX, b - 1);
            x64_alu_rr(a, X64_AND, w, X64_RAX, X64_RCX);
        } else {
            x64_shift_ri(a, X64_SHR, w, X64_RAX, (uint8_t)__builtin_ctzll(b));
        }
        store(x, v[2], X64_RAX);
        return;
    }
    if (known && sign && minus1) { /* x / -1 = -x but for INT_MIN; x % -1 = 0 */
        if (rem) {
            x64_alu_rr(a, X64_XOR, false, X64_RAX, X64_RAX);
        } else {
            x64_neg_r(a, w, X64_RAX);
            wb__x64e_leave(x, X64_CC_O, o->at); /* only -INT_MIN overflows */
        }
        store(x, v[2], X64_RAX);
        return;
    }
    load(x, w, X64_RCX, v[1]);
    uint32_t skip_m1 = 0, done = 0;
    if (!known) {
        x64_test_rr(a, w, X64_RCX, X64_RCX);
        wb__x64e_leave(x, X64_CC_E, o->at);
        if (sign) {
            x64_alu_ri(a, X64_CMP, w, X64_RCX, -1);
            skip_m1 = x64_jcc(a, X64_CC_NE);
            if (rem) { /* x % -1 = 0 */
                x64_alu_rr(a, X64_XOR, false, X64_RDX, X64_RDX);
                done = x64_jmp(a);
            } else { /* INT_MIN / -1 traps; the rest divide */
                x64_alu_ri(a, X64_CMP, w, X64_RAX, 1);
                wb__x64e_leave(x, X64_CC_O, o->at); /* rax - 1 overflows for INT_MIN only */
            }
            here(x, skip_m1);
        }
    }
    if (sign)
        x64_cdq(a, w);
    else
        x64_alu_rr(a, X64_XOR, false, X64_RDX, X64_RDX);
    x64_div_r(a, sign, w, X64_RCX);
    if (done)
        here(x, done);
    store(x, v[2], rem ? X64_RDX : X64_RAX);
}

/* ---- bit counts, extensions ------------------------------------------------------- */

static uint32_t popcount32(uint32_t v)
{
    return (uint32_t)__builtin_popcount(v);
}
static uint64_t popcount64(uint64_t v)
{
    return (uint64_t)__builtin_popcountll(v);
}

/* [a|d]: clz, ctz or popcnt of width w; 0 gives the width for the first two
 * (lzcnt and tzcnt do so; bsr and bsf leave it undefined, so a cmov does). */
static void count(x64_emit *x, const xop *o, bool w, int op)
{
    wb__x64 *a = &x->a;
    unsigned f = features();
    unsigned bits = w ? 64 : 32;
    load(x, w, X64_RAX, o->v[0]);
    if (op == X64_LZCNT && !(f & HAS_LZCNT)) {
        x64_bits_rr(a, X64_BSR, w, X64_RAX, X64_RAX);
        x64_mov_ri(a, X64_RCX, 2 * bits - 1); /* ^ (bits - 1) gives bits */
        x64_cmov_rr(a, X64_CC_E, w, X64_RAX, X64_RCX);
        x64_alu_ri(a, X64_XOR, w, X64_RAX, (int32_t)bits - 1); /* bits-1 - index */
    } else if (op == X64_TZCNT && !(f & HAS_TZCNT)) {
        x64_bits_rr(a, X64_BSF, w, X64_RAX, X64_RAX);
        x64_mov_ri(a, X64_RCX, bits);
        x64_cmov_rr(a, X64_CC_E, w, X64_RAX, X64_RCX);
    } else if (op == X64_POPCNT && !(f & HAS_POPCNT)) {
        wb__x64e_call_c(x, w ? (const void *)popcount64 : (const void *)popcount32, true);
    } else {
        x64_bits_rr(a, op, w, X64_RAX, X64_RAX);
    }
    store(x, o->v[1], X64_RAX);
}

/* [a|d]: d = a's low `bytes` sign-extended (to 64 bits when w; an i32
 * result is zero-extended into its slot). */
static void extend(x64_emit *x, const xop *o, bool w, unsigned bytes)
{
    load(x, w, X64_RAX, o->v[0]);
    x64_movsx_rr(&x->a, w, bytes, X64_RAX, X64_RAX);
    store(x, o->v[1], X64_RAX);
}

/* ---- floats ----------------------------------------------------------------------- */

/* [a|b][d|-]: d = a op b (add, sub, mul, div): the interpreter's instruction. */
static void farith(x64_emit *x, const xop *o, bool dbl, int op)
{
    int b = fsrc(x, dbl, o->v[1], XMM1);
    int r = o->v[2] == o->v[0] && x->fc_on ? fc_use(x, o->v[0], NULL) : -1;
    if (r >= 0 && r != b) { /* a, cached, becomes d: in its register */
        x64_sse_rr(&x->a, op, dbl, r, b);
        x->fc_set |= (uint8_t)(1u << (r - FC_XMM0));
        return;
    }
    fload(x, dbl, XMM0, o->v[0]);
    x64_sse_rr(&x->a, op, dbl, XMM0, b);
    fstore(x, dbl, o->v[2], XMM0);
}

/* [a|b][d|-]: wasm's min / max (interp.c's fmin32 ...): a NaN operand gives
 * b's NaN if b is one, else a's, quieted (interp.c's fnan32: addss b, a),
 * equal operands (+0 and -0) the or / and of their bits (min(-0, +0) is
 * -0), and the rest minss / maxss. */
static void fminmax(x64_emit *x, const xop *o, bool dbl, bool max)
{
    wb__x64 *a = &x->a;
    fload(x, dbl, XMM1, o->v[1]); /* first: it may be the xmm0 the op before left */
    fload(x, dbl, XMM0, o->v[0]);
    x64_ucomis_rr(a, dbl, XMM0, XMM1);
    uint32_t nan = x64_jcc(a, X64_CC_P);
    uint32_t differ = x64_jcc(a, X64_CC_NE);
    x64_ps_rr(a, max ? X64_ANDPS : X64_ORPS, XMM0, XMM1);
    uint32_t done1 = x64_jmp(a);
    here(x, differ);
    x64_sse_rr(a, max ? X64_MAXS : X64_MINS, dbl, XMM0, XMM1);
    uint32_t done2 = x64_jmp(a);
    here(x, nan);
    x64_sse_rr(a, X64_ADDS, dbl, XMM1, XMM0);
    x64_movaps_rr(a, XMM0, XMM1);
    here(x, done1);
    here(x, done2);
    fstore(x, dbl, o->v[2], XMM0);
}

/* [a|d] abs / neg, [a|b][d|-] copysign: bit operations in general
 * registers, so a NaN's payload passes untouched. */
static void fsign(x64_emit *x, const xop *o, bool dbl, int kind)
{
    wb__x64 *a = &x->a;
    const uint64_t *v = o->v;
    int bit = dbl ? 63 : 31;
    load(x, dbl, X64_RAX, v[0]);
    if (kind == 'c') {
        load(x, dbl, X64_RCX, v[1]);
        x64_bt_ri(a, X64_BTR, dbl, X64_RAX, (uint8_t)bit);
        x64_shift_ri(a, X64_SHR, dbl, X64_RCX, (uint8_t)bit);
        x64_shift_ri(a, X64_SHL, dbl, X64_RCX, (uint8_t)bit);
        x64_alu_rr(a, X64_OR, dbl, X64_RAX, X64_RCX);
        store(x, v[2], X64_RAX);
        return;
    }
    x64_bt_ri(a, kind == 'a' ? X64_BTR : X64_BTC, dbl, X64_RAX, (uint8_t)bit);
    store(x, v[1], X64_RAX);
}

/* The interpreter's rounding, for a CPU without roundss (QUIET as interp.c). */
static float q_ceilf(float v)
{
    return v != v ? v + v : ceilf(v);
}
static float q_floorf(float v)
{
    return v != v ? v + v : floorf(v);
}
static float q_truncf(float v)
{
    return v != v ? v + v : truncf(v);
}
static float q_nearbyintf(float v)
{
    return nearbyintf(v);
}
static double q_ceil(double v)
{
    return v != v ? v + v : ceil(v);
}
static double q_floor(double v)
{
    return v != v ? v + v : floor(v);
}
static double q_trunc(double v)
{
    return v != v ? v + v : trunc(v);
}
static double q_nearbyint(double v)
{
    return nearbyint(v);
}

/* [a|d]: ceil (mode 2), floor (1), trunc (3), nearest (0, ties to even).
 * roundss quiets a signalling NaN as the interpreter's a + a does. */
static void fround(x64_emit *x, const xop *o, bool dbl, int mode)
{
    if (features() & HAS_SSE41) {
        x64_rounds_rr(&x->a, dbl, XMM0, fsrc(x, dbl, o->v[0], XMM0), (uint8_t)mode);
    } else {
        static const void *const fns[2][4] = {{q_nearbyintf, q_floorf, q_ceilf, q_truncf},
                                              {q_nearbyint, q_floor, q_ceil, q_trunc}};
        fload(x, dbl, XMM0, o->v[0]);
        wb__x64e_call_c(x, fns[dbl][mode], false);
    }
    fstore(x, dbl, o->v[1], XMM0);
}

/* [a|b][d|-]: eq lt le (a, b) and gt ge as lt le (b, a): cmpss gives all
 * ones or 0, false when unordered but for ne (pred 4), as C's compares. */
static void fcompare(x64_emit *x, const xop *o, bool dbl, uint8_t pred, bool swap)
{
    const uint64_t *v = o->v;
    int b = fsrc(x, dbl, v[!swap], XMM1);
    fload(x, dbl, XMM0, v[swap]);
    x64_cmps_rr(&x->a, dbl, XMM0, b, pred);
    x64_movd_rx(&x->a, false, X64_RAX, XMM0);
    x64_alu_ri(&x->a, X64_AND, false, X64_RAX, 1);
    store(x, v[2], X64_RAX);
}

/* ---- conversions ------------------------------------------------------------------ */

/* xmm1 = 2^63 as a float of that width. */
static void two63(x64_emit *x, bool dbl)
{
    x64_mov_ri(&x->a, X64_RAX, dbl ? 0x43e0000000000000ull : 0x5f000000u);
    x64_movd_xr(&x->a, dbl, XMM1, X64_RAX);
}

/* [a|d]: integer (w: i64) to float, signed or not.  u32 converts as the
 * i64 it zero-extends to; u64 with the top bit set halves (keeping the low
 * bit, so it still rounds right) and doubles, as gcc's (float)u64 does. */
static void convert(x64_emit *x, const xop *o, bool dbl, bool w, bool sign)
{
    wb__x64 *a = &x->a;
    load(x, w, X64_RAX, o->v[0]);
    x64_ps_rr(a, X64_XORPS, XMM0, XMM0); /* cvtsi2ss keeps the rest of xmm0: no stale dependency */
    if (!w || sign) {
        x64_cvtsi2s(a, dbl, w || !sign, XMM0, X64_RAX);
    } else {
        x64_test_rr(a, true, X64_RAX, X64_RAX);
        uint32_t big = x64_jcc(a, X64_CC_S);
        x64_cvtsi2s(a, dbl, true, XMM0, X64_RAX);
        uint32_t done = x64_jmp(a);
        here(x, big);
        x64_mov_rr(a, true, X64_RCX, X64_RAX);
        x64_shift_ri(a, X64_SHR, true, X64_RCX, 1);
        x64_alu_ri(a, X64_AND, false, X64_RAX, 1);
        x64_alu_rr(a, X64_OR, true, X64_RCX, X64_RAX);
        x64_cvtsi2s(a, dbl, true, XMM0, X64_RCX);
        x64_sse_rr(a, X64_ADDS, dbl, XMM0, XMM0);
        here(x, done);
    }
    fstore(x, dbl, o->v[1], XMM0);
}

/* [a|d]: float (dbl: f64) to integer (w: i64), truncating; sat: the
 * saturating form (NaN 0, the rest clamped), else out of range (NaN
 * included) leaves at the op, where the interpreter traps. */
static void truncate(x64_emit *x, const xop *o, bool dbl, bool w, bool sign, bool sat)
{
    wb__x64 *a = &x->a;
    fload(x, dbl, XMM0, o->v[0]);
    if (sign) {
        /* cvtt gives INT_MIN for NaN and out of range: INT_MIN - 1 overflows. */
        x64_cvtts2si(a, dbl, w, X64_RAX, XMM0);
        x64_alu_ri(a, X64_CMP, w, X64_RAX, 1);
        if (!sat) { /* an exact INT_MIN leaves too: the interpreter gives it */
            wb__x64e_leave(x, X64_CC_O, o->at);
        } else { /* NaN 0, negative INT_MIN (as is), positive INT_MAX (~INT_MIN) */
            uint32_t done = x64_jcc(a, X64_CC_NO);
            x64_ucomis_rr(a, dbl, XMM0, XMM0);
            uint32_t nan = x64_jcc(a, X64_CC_P);
            x64_ps_rr(a, X64_XORPS, XMM1, XMM1);
            x64_ucomis_rr(a, dbl, XMM0, XMM1);
            uint32_t neg = x64_jcc(a, X64_CC_B);
            x64_alu_ri(a, X64_XOR, w, X64_RAX, -1);
            uint32_t done2 = x64_jmp(a);
            here(x, nan);
            x64_alu_rr(a, X64_XOR, false, X64_RAX, X64_RAX);
            here(x, done);
            here(x, neg);
            here(x, done2);
        }
        store(x, o->v[1], X64_RAX);
        return;
    }
    if (sat) { /* NaN and negatives to 0 first: maxss gives its source (0) for NaN */
        x64_ps_rr(a, X64_XORPS, XMM1, XMM1);
        x64_sse_rr(a, X64_MAXS, dbl, XMM0, XMM1);
    }
    x64_cvtts2si(a, dbl, true, X64_RAX, XMM0);
    if (!w) {      /* u32: a 64-bit conversion, in range when its top half is 0 */
        if (sat) { /* too large (or INT64_MIN: >= 2^63) to UINT32_MAX */
            x64_mov_ri(a, X64_RCX, UINT32_MAX);
            x64_alu_rr(a, X64_CMP, true, X64_RAX, X64_RCX);
            x64_cmov_rr(a, X64_CC_A, true, X64_RAX, X64_RCX);
        } else {
            x64_mov_rr(a, true, X64_RCX, X64_RAX);
            x64_shift_ri(a, X64_SHR, true, X64_RCX, 32);
            wb__x64e_leave(x, X64_CC_NE, o->at);
        }
        store(x, o->v[1], X64_RAX);
        return;
    }
    /* u64: below 2^63 converts as signed; from 2^63 up, a - 2^63 converts
     * and gets its top bit back.  What is still negative after that was out
     * of range (NaN, <= -1 or >= 2^64). */
    x64_test_rr(a, true, X64_RAX, X64_RAX);
    uint32_t done = x64_jcc(a, X64_CC_NS);
    two63(x, dbl);
    x64_sse_rr(a, X64_SUBS, dbl, XMM0, XMM1);
    x64_cvtts2si(a, dbl, true, X64_RAX, XMM0);
    if (sat) { /* >= 2^64 gave INT64_MIN: all ones */
        x64_mov_rr(a, true, X64_RCX, X64_RAX);
        x64_shift_ri(a, X64_SAR, true, X64_RCX, 63);
        x64_alu_rr(a, X64_OR, true, X64_RAX, X64_RCX);
    } else {
        x64_test_rr(a, true, X64_RAX, X64_RAX);
        wb__x64e_leave(x, X64_CC_S, o->at);
    }
    x64_bt_ri(a, X64_BTS, true, X64_RAX, 63);
    here(x, done);
    store(x, o->v[1], X64_RAX);
}

/* ---- the ops ---------------------------------------------------------------------- */

enum {
    DIVIDE = 1,
    COUNT,
    EXTEND,
    ZEXT,
    ARITH,
    MINMAX,
    SQRT,
    SIGN,
    ROUND,
    COMPARE,
    CVT,
    CONVERT,
    TRUNC,
    SAT
};

/* How each numeric op is emitted: its kind, the float width (d: f64), the
 * integer width (w: 64 bits), signedness, and one more argument (the
 * instruction, the rounding mode, the predicate ...). */
typedef struct {
    uint8_t kind, d, w, s;
    int arg;
} numop;

#define N(op, kind, d, w, s, arg) [WB__OP_##op] = {kind, d, w, s, arg}
static const numop numops[WB__OP_COUNT] = {
    N(I32_DIV_S, DIVIDE, 0, 0, 1, 0),
    N(I32_DIV_U, DIVIDE, 0, 0, 0, 0),
    N(I32_REM_S, DIVIDE, 0, 0, 1, 1),
    N(I32_REM_U, DIVIDE, 0, 0, 0, 1),
    N(I64_DIV_S, DIVIDE, 0, 1, 1, 0),
    N(I64_DIV_U, DIVIDE, 0, 1, 0, 0),
    N(I64_REM_S, DIVIDE, 0, 1, 1, 1),
    N(I64_REM_U, DIVIDE, 0, 1, 0, 1),
    N(I32_CLZ, COUNT, 0, 0, 0, X64_LZCNT),
    N(I32_CTZ, COUNT, 0, 0, 0, X64_TZCNT),
    N(I32_POPCNT, COUNT, 0, 0, 0, X64_POPCNT),
    N(I64_CLZ, COUNT, 0, 1, 0, X64_LZCNT),
    N(I64_CTZ, COUNT, 0, 1, 0, X64_TZCNT),
    N(I64_POPCNT, COUNT, 0, 1, 0, X64_POPCNT),
    N(I32_EXTEND8_S, EXTEND, 0, 0, 1, 1),
    N(I32_EXTEND16_S, EXTEND, 0, 0, 1, 2),
    N(I64_EXTEND8_S, EXTEND, 0, 1, 1, 1),
    N(I64_EXTEND16_S, EXTEND, 0, 1, 1, 2),
    N(I64_EXTEND32_S, EXTEND, 0, 1, 1, 4),
    N(I64_EXTEND_I32_S, EXTEND, 0, 1, 1, 4),
    N(I64_EXTEND_I32_U, ZEXT, 0, 1, 0, 0),
    N(F32_ADD, ARITH, 0, 0, 0, X64_ADDS),
    N(F32_SUB, ARITH, 0, 0, 0, X64_SUBS),
    N(F32_MUL, ARITH, 0, 0, 0, X64_MULS),
    N(F32_DIV, ARITH, 0, 0, 0, X64_DIVS),
    N(F64_ADD, ARITH, 1, 0, 0, X64_ADDS),
    N(F64_SUB, ARITH, 1, 0, 0, X64_SUBS),
    N(F64_MUL, ARITH, 1, 0, 0, X64_MULS),
    N(F64_DIV, ARITH, 1, 0, 0, X64_DIVS),
    N(F32_MIN, MINMAX, 0, 0, 0, 0),
    N(F32_MAX, MINMAX, 0, 0, 0, 1),
    N(F64_MIN, MINMAX, 1, 0, 0, 0),
    N(F64_MAX, MINMAX, 1, 0, 0, 1),
    N(F32_SQRT, SQRT, 0, 0, 0, 0),
    N(F64_SQRT, SQRT, 1, 0, 0, 0),
    N(F32_ABS, SIGN, 0, 0, 0, 'a'),
    N(F32_NEG, SIGN, 0, 0, 0, 'n'),
    N(F32_COPYSIGN, SIGN, 0, 0, 0, 'c'),
    N(F64_ABS, SIGN, 1, 0, 0, 'a'),
    N(F64_NEG, SIGN, 1, 0, 0, 'n'),
    N(F64_COPYSIGN, SIGN, 1, 0, 0, 'c'),
    N(F32_NEAREST, ROUND, 0, 0, 0, 0),
    N(F32_FLOOR, ROUND, 0, 0, 0, 1),
    N(F32_CEIL, ROUND, 0, 0, 0, 2),
    N(F32_TRUNC, ROUND, 0, 0, 0, 3),
    N(F64_NEAREST, ROUND, 1, 0, 0, 0),
    N(F64_FLOOR, ROUND, 1, 0, 0, 1),
    N(F64_CEIL, ROUND, 1, 0, 0, 2),
    N(F64_TRUNC, ROUND, 1, 0, 0, 3),
    /* s: the operands swapped (gt, ge as lt, le); arg: cmpss's predicate */
    N(F32_EQ, COMPARE, 0, 0, 0, 0),
    N(F32_NE, COMPARE, 0, 0, 0, 4),
    N(F32_LT, COMPARE, 0, 0, 0, 1),
    N(F32_GT, COMPARE, 0, 0, 1, 1),
    N(F32_LE, COMPARE, 0, 0, 0, 2),
    N(F32_GE, COMPARE, 0, 0, 1, 2),
    N(F64_EQ, COMPARE, 1, 0, 0, 0),
    N(F64_NE, COMPARE, 1, 0, 0, 4),
    N(F64_LT, COMPARE, 1, 0, 0, 1),
    N(F64_GT, COMPARE, 1, 0, 1, 1),
    N(F64_LE, COMPARE, 1, 0, 0, 2),
    N(F64_GE, COMPARE, 1, 0, 1, 2),
    N(F32_DEMOTE_F64, CVT, 0, 0, 0, 0),
    N(F64_PROMOTE_F32, CVT, 1, 0, 0, 0),
    N(F32_CONVERT_I32_S, CONVERT, 0, 0, 1, 0),
    N(F32_CONVERT_I32_U, CONVERT, 0, 0, 0, 0),
    N(F32_CONVERT_I64_S, CONVERT, 0, 1, 1, 0),
    N(F32_CONVERT_I64_U, CONVERT, 0, 1, 0, 0),
    N(F64_CONVERT_I32_S, CONVERT, 1, 0, 1, 0),
    N(F64_CONVERT_I32_U, CONVERT, 1, 0, 0, 0),
    N(F64_CONVERT_I64_S, CONVERT, 1, 1, 1, 0),
    N(F64_CONVERT_I64_U, CONVERT, 1, 1, 0, 0),
    N(I32_TRUNC_F32_S, TRUNC, 0, 0, 1, 0),
    N(I32_TRUNC_F32_U, TRUNC, 0, 0, 0, 0),
    N(I32_TRUNC_F64_S, TRUNC, 1, 0, 1, 0),
    N(I32_TRUNC_F64_U, TRUNC, 1, 0, 0, 0),
    N(I64_TRUNC_F32_S, TRUNC, 0, 1, 1, 0),
    N(I64_TRUNC_F32_U, TRUNC, 0, 1, 0, 0),
    N(I64_TRUNC_F64_S, TRUNC, 1, 1, 1, 0),
    N(I64_TRUNC_F64_U, TRUNC, 1, 1, 0, 0),
    N(I32_TRUNC_SAT_F32_S, SAT, 0, 0, 1, 0),
    N(I32_TRUNC_SAT_F32_U, SAT, 0, 0, 0, 0),
    N(I32_TRUNC_SAT_F64_S, SAT, 1, 0, 1, 0),
    N(I32_TRUNC_SAT_F64_U, SAT, 1, 0, 0, 0),
    N(I64_TRUNC_SAT_F32_S, SAT, 0, 1, 1, 0),
    N(I64_TRUNC_SAT_F32_U, SAT, 0, 1, 0, 0),
    N(I64_TRUNC_SAT_F64_S, SAT, 1, 1, 1, 0),
    N(I64_TRUNC_SAT_F64_U, SAT, 1, 1, 0, 0),
};
#undef N

bool wb__x64e_numeric_op(unsigned id) { return id < WB__OP_COUNT && numops[id].kind; }

bool wb__x64e_numeric(x64_emit *x, const xop *o)
{
    const numop *n = &numops[o->id];
    bool d = n->d, w = n->w, s = n->s;
    switch (n->kind) {
    case DIVIDE:
        divide(x, o, w, s, n->arg);
        return true;
    case COUNT:
        count(x, o, w, n->arg);
        return true;
    case EXTEND:
        extend(x, o, w, (unsigned)n->arg);
        return true;
    case ZEXT: /* i64.extend_i32_u: the low half, zero-extended */
        load(x, false, X64_RAX, o->v[0]);
        store(x, o->v[1], X64_RAX);
        return true;
    case ARITH:
        farith(x, o, d, n->arg);
        return true;
    case MINMAX:
        fminmax(x, o, d, n->arg);
        return true;
    case SQRT:
        fload(x, d, XMM0, o->v[0]); /* sqrtss reg, reg: no stale upper lane */
        x64_sse_rr(&x->a, X64_SQRTS, d, XMM0, XMM0);
        fstore(x, d, o->v[1], XMM0);
        return true;
    case SIGN:
        fsign(x, o, d, n->arg);
        return true;
    case ROUND:
        fround(x, o, d, n->arg);
        return true;
    case COMPARE:
        fcompare(x, o, d, (uint8_t)n->arg, s);
        return true;
    case CVT: /* d: the result's width; cvtss2sd is named by its source */
    {
        int src = fsrc(x, !d, o->v[0], XMM1);
        x64_ps_rr(&x->a, X64_XORPS, XMM0, XMM0);
        x64_sse_rr(&x->a, X64_CVTS, !d, XMM0, src);
    }
        fstore(x, d, o->v[1], XMM0);
        return true;
    case CONVERT:
        convert(x, o, d, w, s);
        return true;
    case TRUNC:
        truncate(x, o, d, w, s, false);
        return true;
    case SAT:
        truncate(x, o, d, w, s, true);
        return true;
    default:
        return false;
    }
}
