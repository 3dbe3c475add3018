/*
 * simd.c - WebAssembly 2.0 fixed-width SIMD (v128): what every 0xFD-prefixed
 * opcode does, and the table that describes them.
 *
 * Why a table: the 236 SIMD instructions differ in what they compute but
 * hardly at all in how they are validated and run.  Each is "pop these
 * types, maybe read a lane byte / 16 shuffle bytes / a memarg, push that
 * type", so the compiler (src/compile/frontend.c) validates and compiles any of them from its entry
 * (kind, operand and result types, lane count, access width and alignment)
 * and the interpreter runs them through two generic handlers (L_SIMD,
 * L_SIMD_MEM) that call the entry's function.  Adding an opcode is one
 * function and one table line here; neither the validator nor the dispatch
 * loop grows with the instruction set.  The exceptions are a few cheap,
 * frequent ones (v128.load/store, the bitwise operations, any_true,
 * i8x16.bitmask), for which a call would cost more than the work: their
 * entries name a handler of their own in interp.c (`own`) instead of a
 * function here.
 *
 * The table is indexed by the sub-opcode (the LEB128 u32 after 0xFD) with the
 * spec's numbering; unused numbers are holes (kind WB__SIMD_NONE, name NULL).
 * Relaxed SIMD (0x100 .. 0x113) is not implemented: those are holes too.
 *
 * Calling convention (see wb__simd_fn in internal.h): operands and results are
 * v128 (16 bytes) or scalar slots (8 bytes, value in the low bytes, little
 * endian; i32/f32 results are zero-extended to the whole slot).  Pointers may
 * be unaligned and the result may alias an operand, so every function copies
 * its operands into locals, computes into a local and copies the result out.
 *
 * Lanes are numbered as in wasm: lane 0 is the lowest-addressed one, which on
 * the (little-endian) hosts this engine supports is element 0 of the arrays
 * in the v128 union below.  Integer arithmetic is done in unsigned types
 * (wrapping, no signed overflow); float->int conversions are range-checked
 * first.  Bit-level float operations (abs, neg, splat, lanes, pmin/pmax) work
 * on the bits so NaN payloads pass through untouched.
 */
#include "code.h" /* the own handlers' wb__opid */

#include <math.h>
#include <string.h>

/* On x86-64 the byte shuffles, which the portable code does a lane at a
 * time, are one pshufb each (SSSE3: wb__simd_impl picks those functions
 * when the CPU has it).  Text code leans on them (reversals, look-ups). */
#if defined(__x86_64__) && defined(__GNUC__)
#define SIMD_X86 1
#include <immintrin.h>
#endif

typedef union v128 {
    uint8_t u8[16];
    int8_t i8[16];
    uint16_t u16[8];
    int16_t i16[8];
    uint32_t u32[4];
    int32_t i32[4];
    uint64_t u64[2];
    int64_t i64[2];
    float f32[4];
    double f64[2];
} v128;

static inline v128 get(const void *p)
{
    v128 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void put(void *p, const v128 *v) { memcpy(p, v, sizeof *v); }

static inline uint64_t get_slot(const void *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

static inline void put_slot(void *p, uint64_t x) { memcpy(p, &x, sizeof x); }

/* ---- scalar helpers ---------------------------------------------------------- */

/* Arithmetic shift right without relying on implementation-defined >>. */
static inline int64_t asr(int64_t x, unsigned n) { return x < 0 ? ~(~x >> n) : x >> n; }

static inline int8_t sat_s8(int32_t x) { return (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x); }
static inline uint8_t sat_u8(int32_t x) { return (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x); }
static inline int16_t sat_s16(int64_t x)
{
    return (int16_t)(x < -32768 ? -32768 : x > 32767 ? 32767 : x);
}
static inline uint16_t sat_u16(int64_t x) { return (uint16_t)(x < 0 ? 0 : x > 65535 ? 65535 : x); }

static inline uint8_t popcnt8(uint8_t x)
{
    x = (uint8_t)(x - ((x >> 1) & 0x55));
    x = (uint8_t)((x & 0x33) + ((x >> 2) & 0x33));
    return (uint8_t)((x + (x >> 4)) & 0x0f);
}

/* Set the quiet bit of a NaN (libm may hand a signalling NaN back as is). */
static inline float quiet_f32(float x)
{
    if (x == x)
        return x;
    uint32_t u;
    memcpy(&u, &x, 4);
    u |= UINT32_C(0x00400000);
    memcpy(&x, &u, 4);
    return x;
}

static inline double quiet_f64(double x)
{
    if (x == x)
        return x;
    uint64_t u;
    memcpy(&u, &x, 8);
    u |= UINT64_C(0x0008000000000000);
    memcpy(&x, &u, 8);
    return x;
}

/* min/max: a NaN operand gives a (quiet) NaN; -0 < +0. */
#define MINMAX(T, sfx)                                                                             \
    static inline T fmin_##sfx(T x, T y)                                                           \
    {                                                                                              \
        if (x != x)                                                                                \
            return quiet_##sfx(x);                                                                 \
        if (y != y)                                                                                \
            return quiet_##sfx(y);                                                                 \
        if (x == y) /* only ±0 differ: prefer the negative one */                                 \
            return signbit(x) ? x : y;                                                             \
        return x < y ? x : y;                                                                      \
    }                                                                                              \
    static inline T fmax_##sfx(T x, T y)                                                           \
    {                                                                                              \
        if (x != x)                                                                                \
            return quiet_##sfx(x);                                                                 \
        if (y != y)                                                                                \
            return quiet_##sfx(y);                                                                 \
        if (x == y)                                                                                \
            return signbit(x) ? y : x;                                                             \
        return x > y ? x : y;                                                                      \
    }
MINMAX(float, f32)
MINMAX(double, f64)

/* Saturating truncation; f32 values are exact as doubles, so one of each. */
static inline int32_t trunc_sat_s32(double x)
{
    if (x != x)
        return 0;
    if (x <= -2147483648.0)
        return INT32_MIN;
    if (x >= 2147483648.0)
        return INT32_MAX;
    return (int32_t)x;
}

static inline uint32_t trunc_sat_u32(double x)
{
    if (!(x > -1.0)) /* NaN too */
        return 0;
    if (x >= 4294967296.0)
        return UINT32_MAX;
    return (uint32_t)x;
}

/* ---- generators --------------------------------------------------------------- */

#define SIMD_FN(fn)                                                                                \
    static void fn(void *d, const void *pa, const void *pb, const void *pc, const uint8_t *imm)
#define LANES(r, L) ((int)(sizeof(r) / sizeof((r).L[0])))

/* Lane-wise over the result's lanes L: `a` (and `b`, `c`) are the operands,
 * `i` the lane index. */
#define UNOP(fn, L, expr)                                                                          \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pb, (void)pc, (void)imm;                                                             \
        v128 a = get(pa), r;                                                                       \
        for (int i = 0; i < LANES(r, L); i++)                                                      \
            r.L[i] = (expr);                                                                       \
        put(d, &r);                                                                                \
    }
#define BINOP(fn, L, expr)                                                                         \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pc, (void)imm;                                                                       \
        v128 a = get(pa), b = get(pb), r;                                                          \
        for (int i = 0; i < LANES(r, L); i++)                                                      \
            r.L[i] = (expr);                                                                       \
        put(d, &r);                                                                                \
    }
/* Comparison: all-ones lane (M, the unsigned view of L) where `a op b`. */
#define CMP(fn, L, M, op) BINOP(fn, M, -(a.L[i] op b.L[i]))
/* Shift by an i32 operand, taken modulo the lane width: `s`. */
#define SHIFT(fn, L, expr)                                                                         \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pc, (void)imm;                                                                       \
        v128 a = get(pa), r;                                                                       \
        unsigned s = (unsigned)get_slot(pb) & (8 * sizeof(r.L[0]) - 1);                            \
        for (int i = 0; i < LANES(r, L); i++)                                                      \
            r.L[i] = (expr);                                                                       \
        put(d, &r);                                                                                \
    }
/* Scalar slot -> every lane (the low bits of the slot, so f32/f64 bits too). */
#define SPLAT(fn, L, T)                                                                            \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pb, (void)pc, (void)imm;                                                             \
        T x = (T)get_slot(pa);                                                                     \
        v128 r;                                                                                    \
        for (int i = 0; i < LANES(r, L); i++)                                                      \
            r.L[i] = x;                                                                            \
        put(d, &r);                                                                                \
    }
/* Lane imm[0] -> scalar slot; expr yields the zero-extended slot value. */
#define EXTRACT(fn, expr)                                                                          \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pb, (void)pc;                                                                        \
        v128 a = get(pa);                                                                          \
        put_slot(d, (uint64_t)(expr));                                                             \
    }
#define REPLACE(fn, L, T)                                                                          \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pc;                                                                                  \
        v128 r = get(pa);                                                                          \
        r.L[imm[0]] = (T)get_slot(pb);                                                             \
        put(d, &r);                                                                                \
    }
/* v128 -> i32 (in an 8-byte slot). */
#define REDUCE(fn, L, init, step)                                                                  \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pb, (void)pc, (void)imm;                                                             \
        v128 a = get(pa);                                                                          \
        uint32_t x = (init);                                                                       \
        for (int i = 0; i < LANES(a, L); i++)                                                      \
            x = (step);                                                                            \
        put_slot(d, x);                                                                            \
    }
/* Memory -> v128: n bytes read into the low bytes of `m`, then r from m. */
#define LOADOP(fn, n, L, expr)                                                                     \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pb, (void)pc, (void)imm;                                                             \
        v128 m = {{0}}, r;                                                                         \
        memcpy(&m, pa, n);                                                                         \
        for (int i = 0; i < LANES(r, L); i++)                                                      \
            r.L[i] = (expr);                                                                       \
        put(d, &r);                                                                                \
    }
/* Lane imm[0] (n bytes wide) of b <- memory, or memory <- lane of a. */
#define LOAD_LANE(fn, n)                                                                           \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pc;                                                                                  \
        v128 r = get(pb);                                                                          \
        memcpy(&r.u8[imm[0] * n], pa, n);                                                          \
        put(d, &r);                                                                                \
    }
#define STORE_LANE(fn, n)                                                                          \
    SIMD_FN(fn)                                                                                    \
    {                                                                                              \
        (void)pb, (void)pc;                                                                        \
        v128 a = get(pa);                                                                          \
        memcpy(d, &a.u8[imm[0] * n], n);                                                           \
    }

/* ---- memory ------------------------------------------------------------------- */

LOADOP(load8x8_s, 8, i16, m.i8[i])
LOADOP(load8x8_u, 8, u16, m.u8[i])
LOADOP(load16x4_s, 8, i32, m.i16[i])
LOADOP(load16x4_u, 8, u32, m.u16[i])
LOADOP(load32x2_s, 8, i64, m.i32[i])
LOADOP(load32x2_u, 8, u64, m.u32[i])
LOADOP(load8_splat, 1, u8, m.u8[0])
LOADOP(load16_splat, 2, u16, m.u16[0])
LOADOP(load32_splat, 4, u32, m.u32[0])
LOADOP(load64_splat, 8, u64, m.u64[0])
LOADOP(load32_zero, 4, u32, m.u32[i])
LOADOP(load64_zero, 8, u64, m.u64[i])
LOAD_LANE(load8_lane, 1)
LOAD_LANE(load16_lane, 2)
LOAD_LANE(load32_lane, 4)
LOAD_LANE(load64_lane, 8)
STORE_LANE(store8_lane, 1)
STORE_LANE(store16_lane, 2)
STORE_LANE(store32_lane, 4)
STORE_LANE(store64_lane, 8)

/* ---- shuffles, splats, lanes ---------------------------------------------------- */

SIMD_FN(i8x16_shuffle)
{
    (void)pc;
    uint8_t ab[32]; /* a || b */
    memcpy(ab, pa, 16);
    memcpy(ab + 16, pb, 16);
    v128 r;
    for (int i = 0; i < 16; i++)
        r.u8[i] = ab[imm[i] & 31];
    put(d, &r);
}
BINOP(i8x16_swizzle, u8, b.u8[i] < 16 ? a.u8[b.u8[i]] : 0)

#ifdef SIMD_X86
/* pshufb zeroes a lane whose index byte has its top bit set: the lanes
 * taken from a get indexes < 16 only, those from b indexes >= 16 only. */
__attribute__((target("ssse3"))) SIMD_FN(i8x16_shuffle_ssse3)
{
    (void)pc;
    __m128i idx = _mm_loadu_si128((const __m128i *)imm), hi = _mm_set1_epi8((char)0x80);
    __m128i from_a = _mm_cmplt_epi8(idx, _mm_set1_epi8(16));
    __m128i ra = _mm_shuffle_epi8(_mm_loadu_si128(pa), _mm_or_si128(idx, _mm_andnot_si128(from_a, hi)));
    __m128i rb = _mm_shuffle_epi8(_mm_loadu_si128(pb), _mm_or_si128(idx, _mm_and_si128(from_a, hi)));
    _mm_storeu_si128(d, _mm_or_si128(ra, rb));
}

/* Indexes >= 16 give 0: adding 0x70 with saturation sets their top bit. */
__attribute__((target("ssse3"))) SIMD_FN(i8x16_swizzle_ssse3)
{
    (void)pc, (void)imm;
    __m128i idx = _mm_adds_epu8(_mm_loadu_si128(pb), _mm_set1_epi8(0x70));
    _mm_storeu_si128(d, _mm_shuffle_epi8(_mm_loadu_si128(pa), idx));
}
#endif

SPLAT(i8x16_splat, u8, uint8_t)
SPLAT(i16x8_splat, u16, uint16_t)
SPLAT(i32x4_splat, u32, uint32_t)
SPLAT(i64x2_splat, u64, uint64_t)
SPLAT(f32x4_splat, u32, uint32_t)
SPLAT(f64x2_splat, u64, uint64_t)

EXTRACT(i8x16_extract_lane_s, (uint32_t)(int32_t)a.i8[imm[0]])
EXTRACT(i8x16_extract_lane_u, a.u8[imm[0]])
EXTRACT(i16x8_extract_lane_s, (uint32_t)(int32_t)a.i16[imm[0]])
EXTRACT(i16x8_extract_lane_u, a.u16[imm[0]])
EXTRACT(i32x4_extract_lane, a.u32[imm[0]])
EXTRACT(i64x2_extract_lane, a.u64[imm[0]])
REPLACE(i8x16_replace_lane, u8, uint8_t)
REPLACE(i16x8_replace_lane, u16, uint16_t)
REPLACE(i32x4_replace_lane, u32, uint32_t)
REPLACE(i64x2_replace_lane, u64, uint64_t)

/* ---- comparisons ------------------------------------------------------------------ */

#define INT_CMPS(sh, S, U, M)                                                                      \
    CMP(sh##_eq, U, M, ==)                                                                         \
    CMP(sh##_ne, U, M, !=)                                                                         \
    CMP(sh##_lt_s, S, M, <)                                                                        \
    CMP(sh##_lt_u, U, M, <)                                                                        \
    CMP(sh##_gt_s, S, M, >)                                                                        \
    CMP(sh##_gt_u, U, M, >)                                                                        \
    CMP(sh##_le_s, S, M, <=)                                                                       \
    CMP(sh##_le_u, U, M, <=)                                                                       \
    CMP(sh##_ge_s, S, M, >=)                                                                       \
    CMP(sh##_ge_u, U, M, >=)
INT_CMPS(i8x16, i8, u8, u8)
INT_CMPS(i16x8, i16, u16, u16)
INT_CMPS(i32x4, i32, u32, u32)
CMP(i64x2_eq, u64, u64, ==)
CMP(i64x2_ne, u64, u64, !=)
CMP(i64x2_lt_s, i64, u64, <)
CMP(i64x2_gt_s, i64, u64, >)
CMP(i64x2_le_s, i64, u64, <=)
CMP(i64x2_ge_s, i64, u64, >=)

#define FLOAT_CMPS(sh, F, M)                                                                       \
    CMP(sh##_eq, F, M, ==)                                                                         \
    CMP(sh##_ne, F, M, !=)                                                                         \
    CMP(sh##_lt, F, M, <)                                                                          \
    CMP(sh##_gt, F, M, >)                                                                          \
    CMP(sh##_le, F, M, <=)                                                                         \
    CMP(sh##_ge, F, M, >=)
FLOAT_CMPS(f32x4, f32, u32)
FLOAT_CMPS(f64x2, f64, u64)

/* ---- bitwise -------------------------------------------------------------------- */

UNOP(v128_not, u64, ~a.u64[i])

SIMD_FN(v128_bitselect) /* c is the mask: bits of a where set, of b where clear */
{
    (void)imm;
    v128 a = get(pa), b = get(pb), c = get(pc), r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = (a.u64[i] & c.u64[i]) | (b.u64[i] & ~c.u64[i]);
    put(d, &r);
}

REDUCE(i8x16_all_true, u8, 1, x & (a.u8[i] != 0))
REDUCE(i16x8_all_true, u16, 1, x & (a.u16[i] != 0))
REDUCE(i32x4_all_true, u32, 1, x & (a.u32[i] != 0))
REDUCE(i64x2_all_true, u64, 1, x & (a.u64[i] != 0))
REDUCE(i16x8_bitmask, u16, 0, x | (uint32_t)(a.u16[i] >> 15) << i)
REDUCE(i32x4_bitmask, u32, 0, x | (a.u32[i] >> 31) << i)
REDUCE(i64x2_bitmask, u64, 0, x | (uint32_t)(a.u64[i] >> 63) << i)

/* ---- integer arithmetic ------------------------------------------------------------ */

/* Per shape: abs, neg, shifts, add, sub (U: unsigned lane view, S: signed). */
#define INT_ARITH(sh, S, U, T)                                                                     \
    UNOP(sh##_abs, U, a.S[i] < 0 ? (T)(0u - a.U[i]) : a.U[i])                                      \
    UNOP(sh##_neg, U, (T)(0u - a.U[i]))                                                            \
    SHIFT(sh##_shl, U, (T)(a.U[i] << s))                                                           \
    SHIFT(sh##_shr_s, U, (T)asr(a.S[i], s))                                                        \
    SHIFT(sh##_shr_u, U, (T)(a.U[i] >> s))                                                         \
    BINOP(sh##_add, U, (T)(a.U[i] + b.U[i]))                                                       \
    BINOP(sh##_sub, U, (T)(a.U[i] - b.U[i]))
INT_ARITH(i8x16, i8, u8, uint8_t)
INT_ARITH(i16x8, i16, u16, uint16_t)
INT_ARITH(i32x4, i32, u32, uint32_t)
INT_ARITH(i64x2, i64, u64, uint64_t)

/* i8x16 and i16x8 only: saturating add/sub, avgr_u; i8x16..i32x4: min/max. */
#define SAT_ARITH(sh, S, U, W, sat_s, sat_u)                                                       \
    BINOP(sh##_add_sat_s, S, sat_s((W)a.S[i] + b.S[i]))                                            \
    BINOP(sh##_add_sat_u, U, sat_u((W)a.U[i] + b.U[i]))                                            \
    BINOP(sh##_sub_sat_s, S, sat_s((W)a.S[i] - b.S[i]))                                            \
    BINOP(sh##_sub_sat_u, U, sat_u((W)a.U[i] - b.U[i]))                                            \
    BINOP(sh##_avgr_u, U, ((W)a.U[i] + b.U[i] + 1) >> 1)
SAT_ARITH(i8x16, i8, u8, int32_t, sat_s8, sat_u8)
SAT_ARITH(i16x8, i16, u16, int32_t, sat_s16, sat_u16)

#define MIN_MAX(sh, S, U)                                                                          \
    BINOP(sh##_min_s, S, a.S[i] < b.S[i] ? a.S[i] : b.S[i])                                        \
    BINOP(sh##_min_u, U, a.U[i] < b.U[i] ? a.U[i] : b.U[i])                                        \
    BINOP(sh##_max_s, S, a.S[i] > b.S[i] ? a.S[i] : b.S[i])                                        \
    BINOP(sh##_max_u, U, a.U[i] > b.U[i] ? a.U[i] : b.U[i])
MIN_MAX(i8x16, i8, u8)
MIN_MAX(i16x8, i16, u16)
MIN_MAX(i32x4, i32, u32)

UNOP(i8x16_popcnt, u8, popcnt8(a.u8[i]))
BINOP(i16x8_mul, u16, (uint16_t)((uint32_t)a.u16[i] * b.u16[i]))
BINOP(i32x4_mul, u32, (uint32_t)a.u32[i] * b.u32[i])
BINOP(i64x2_mul, u64, a.u64[i] * b.u64[i])
BINOP(i16x8_q15mulr_sat_s, i16, sat_s16(asr((int64_t)a.i16[i] * b.i16[i] + 0x4000, 15)))
BINOP(i32x4_dot_i16x8_s, u32,
      (uint32_t)((int32_t)a.i16[2 * i] * b.i16[2 * i]) +
          (uint32_t)((int32_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]))

/* Narrowing: lanes of a then of b (signed inputs), saturated. */
BINOP(i8x16_narrow_i16x8_s, i8, sat_s8(i < 8 ? a.i16[i & 7] : b.i16[i & 7]))
BINOP(i8x16_narrow_i16x8_u, u8, sat_u8(i < 8 ? a.i16[i & 7] : b.i16[i & 7]))
BINOP(i16x8_narrow_i32x4_s, i16, sat_s16(i < 4 ? a.i32[i & 3] : b.i32[i & 3]))
BINOP(i16x8_narrow_i32x4_u, u16, sat_u16(i < 4 ? a.i32[i & 3] : b.i32[i & 3]))

/* Widening: extend, extmul (low half: lanes 0.., high half: lanes n/2..),
 * extadd_pairwise (lanes 2i and 2i+1).  Products are formed in a type wide
 * enough for them, so none overflows. */
#define WIDEN(sh, from, S, U, RS, RU, W, WU)                                                       \
    UNOP(sh##_extend_low_##from##_s, RS, a.S[i])                                                   \
    UNOP(sh##_extend_high_##from##_s, RS, a.S[i + LANES(r, RS)])                                   \
    UNOP(sh##_extend_low_##from##_u, RU, a.U[i])                                                   \
    UNOP(sh##_extend_high_##from##_u, RU, a.U[i + LANES(r, RU)])                                   \
    BINOP(sh##_extmul_low_##from##_s, RS, (W)a.S[i] * b.S[i])                                      \
    BINOP(sh##_extmul_high_##from##_s, RS, (W)a.S[i + LANES(r, RS)] * b.S[i + LANES(r, RS)])       \
    BINOP(sh##_extmul_low_##from##_u, RU, (WU)a.U[i] * b.U[i])                                     \
    BINOP(sh##_extmul_high_##from##_u, RU, (WU)a.U[i + LANES(r, RU)] * b.U[i + LANES(r, RU)])
WIDEN(i16x8, i8x16, i8, u8, i16, u16, int32_t, uint32_t)
WIDEN(i32x4, i16x8, i16, u16, i32, u32, int32_t, uint32_t)
WIDEN(i64x2, i32x4, i32, u32, i64, u64, int64_t, uint64_t)

UNOP(i16x8_extadd_pairwise_i8x16_s, i16, a.i8[2 * i] + a.i8[2 * i + 1])
UNOP(i16x8_extadd_pairwise_i8x16_u, u16, a.u8[2 * i] + a.u8[2 * i + 1])
UNOP(i32x4_extadd_pairwise_i16x8_s, i32, a.i16[2 * i] + a.i16[2 * i + 1])
UNOP(i32x4_extadd_pairwise_i16x8_u, u32, (uint32_t)a.u16[2 * i] + a.u16[2 * i + 1])

/* ---- float arithmetic ------------------------------------------------------------- */

/* F: float lane view, M: its bits, T: the C type, sfx: helper suffix,
 * sign: the sign bit, fs: libm suffix ("f" or nothing). */
#define FLOAT_ARITH(sh, F, M, sfx, sign, fs)                                                       \
    UNOP(sh##_abs, M, a.M[i] & ~(sign))                                                            \
    UNOP(sh##_neg, M, a.M[i] ^ (sign))                                                             \
    UNOP(sh##_sqrt, F, quiet_##sfx(sqrt##fs(a.F[i])))                                              \
    UNOP(sh##_ceil, F, quiet_##sfx(ceil##fs(a.F[i])))                                              \
    UNOP(sh##_floor, F, quiet_##sfx(floor##fs(a.F[i])))                                            \
    UNOP(sh##_trunc, F, quiet_##sfx(trunc##fs(a.F[i])))                                            \
    UNOP(sh##_nearest, F, quiet_##sfx(rint##fs(a.F[i]))) /* default mode: ties to even */          \
    BINOP(sh##_add, F, a.F[i] + b.F[i])                                                            \
    BINOP(sh##_sub, F, a.F[i] - b.F[i])                                                            \
    BINOP(sh##_mul, F, a.F[i] * b.F[i])                                                            \
    BINOP(sh##_div, F, a.F[i] / b.F[i])                                                            \
    BINOP(sh##_min, F, fmin_##sfx(a.F[i], b.F[i]))                                                 \
    BINOP(sh##_max, F, fmax_##sfx(a.F[i], b.F[i]))                                                 \
    BINOP(sh##_pmin, M, b.F[i] < a.F[i] ? b.M[i] : a.M[i])                                         \
    BINOP(sh##_pmax, M, a.F[i] < b.F[i] ? b.M[i] : a.M[i])
FLOAT_ARITH(f32x4, f32, u32, f32, UINT32_C(0x80000000), f)
FLOAT_ARITH(f64x2, f64, u64, f64, UINT64_C(0x8000000000000000), )

/* f32x4.extract_lane etc. move bits, so NaN payloads are kept. */
EXTRACT(f32x4_extract_lane, a.u32[imm[0]])
EXTRACT(f64x2_extract_lane, a.u64[imm[0]])
REPLACE(f32x4_replace_lane, u32, uint32_t)
REPLACE(f64x2_replace_lane, u64, uint64_t)

/* ---- conversions ------------------------------------------------------------------ */

UNOP(i32x4_trunc_sat_f32x4_s, i32, trunc_sat_s32(a.f32[i]))
UNOP(i32x4_trunc_sat_f32x4_u, u32, trunc_sat_u32(a.f32[i]))
UNOP(i32x4_trunc_sat_f64x2_s_zero, i32, i < 2 ? trunc_sat_s32(a.f64[i & 1]) : 0)
UNOP(i32x4_trunc_sat_f64x2_u_zero, u32, i < 2 ? trunc_sat_u32(a.f64[i & 1]) : 0)
UNOP(f32x4_convert_i32x4_s, f32, (float)a.i32[i])
UNOP(f32x4_convert_i32x4_u, f32, (float)a.u32[i])
UNOP(f64x2_convert_low_i32x4_s, f64, a.i32[i])
UNOP(f64x2_convert_low_i32x4_u, f64, a.u32[i])
UNOP(f32x4_demote_f64x2_zero, f32, i < 2 ? (float)a.f64[i & 1] : 0.0f)
UNOP(f64x2_promote_low_f32x4, f64, a.f32[i])

/* ---- the table ------------------------------------------------------------------ */

#define I32 WB_I32
#define I64 WB_I64
#define F32 WB_F32
#define F64 WB_F64
#define V WB_V128
#define OP(nm, k, np, p0, p1, res, ln, bytes, align, f)                                            \
    {nm, WB__SIMD_##k, np, {p0, p1, 0}, res, ln, bytes, align, f, 0}
/* An entry run by interp.c's own handler WB__OP_<op>. */
#define OWN(nm, k, np, p0, p1, res, bytes, align, op)                                             \
    {nm, WB__SIMD_##k, np, {p0, p1, 0}, res, 0, bytes, align, NULL, WB__OP_##op}

/* v128 -> v128, v128 v128 -> v128, v128 -> i32, v128 i32 -> v128 */
#define UN(nm, f) OP(nm, PURE, 1, V, 0, V, 0, 0, 0, f)
#define BIN(nm, f) OP(nm, PURE, 2, V, V, V, 0, 0, 0, f)
#define TEST(nm, f) OP(nm, PURE, 1, V, 0, I32, 0, 0, 0, f)
#define SHL(nm, f) OP(nm, PURE, 2, V, I32, V, 0, 0, 0, f)
#define SPL(nm, t, f) OP(nm, PURE, 1, t, 0, V, 0, 0, 0, f)
#define EXT(nm, t, n, f) OP(nm, LANE, 1, V, 0, t, n, 0, 0, f)
#define REP(nm, t, n, f) OP(nm, LANE, 2, V, t, V, n, 0, 0, f)
/* memory: bytes accessed, log2 of natural alignment, lanes */
#define LD(nm, bytes, align, f) OP(nm, LOAD, 1, I32, 0, V, 0, bytes, align, f)
#define LDL(nm, bytes, align, f) OP(nm, LOAD_LANE, 2, I32, V, V, 16 / bytes, bytes, align, f)
#define STL(nm, bytes, align, f) OP(nm, STORE_LANE, 2, I32, V, 0, 16 / bytes, bytes, align, f)

const wb__simd_op wb__simd_ops[WB__SIMD_OPCODES] = {
    [0x00] = OWN("v128.load", LOAD, 1, I32, 0, V, 16, 4, V128_LOAD),
    [0x01] = LD("v128.load8x8_s", 8, 3, load8x8_s),
    [0x02] = LD("v128.load8x8_u", 8, 3, load8x8_u),
    [0x03] = LD("v128.load16x4_s", 8, 3, load16x4_s),
    [0x04] = LD("v128.load16x4_u", 8, 3, load16x4_u),
    [0x05] = LD("v128.load32x2_s", 8, 3, load32x2_s),
    [0x06] = LD("v128.load32x2_u", 8, 3, load32x2_u),
    [0x07] = LD("v128.load8_splat", 1, 0, load8_splat),
    [0x08] = LD("v128.load16_splat", 2, 1, load16_splat),
    [0x09] = LD("v128.load32_splat", 4, 2, load32_splat),
    [0x0a] = LD("v128.load64_splat", 8, 3, load64_splat),
    [0x0b] = OWN("v128.store", STORE, 2, I32, V, 0, 16, 4, V128_STORE),
    [0x0c] = OP("v128.const", CONST, 0, 0, 0, V, 0, 0, 0, NULL),
    [0x0d] = OP("i8x16.shuffle", SHUFFLE, 2, V, V, V, 16, 0, 0, i8x16_shuffle),
    [0x0e] = BIN("i8x16.swizzle", i8x16_swizzle),
    [0x0f] = SPL("i8x16.splat", I32, i8x16_splat),
    [0x10] = SPL("i16x8.splat", I32, i16x8_splat),
    [0x11] = SPL("i32x4.splat", I32, i32x4_splat),
    [0x12] = SPL("i64x2.splat", I64, i64x2_splat),
    [0x13] = SPL("f32x4.splat", F32, f32x4_splat),
    [0x14] = SPL("f64x2.splat", F64, f64x2_splat),
    [0x15] = EXT("i8x16.extract_lane_s", I32, 16, i8x16_extract_lane_s),
    [0x16] = EXT("i8x16.extract_lane_u", I32, 16, i8x16_extract_lane_u),
    [0x17] = REP("i8x16.replace_lane", I32, 16, i8x16_replace_lane),
    [0x18] = EXT("i16x8.extract_lane_s", I32, 8, i16x8_extract_lane_s),
    [0x19] = EXT("i16x8.extract_lane_u", I32, 8, i16x8_extract_lane_u),
    [0x1a] = REP("i16x8.replace_lane", I32, 8, i16x8_replace_lane),
    [0x1b] = EXT("i32x4.extract_lane", I32, 4, i32x4_extract_lane),
    [0x1c] = REP("i32x4.replace_lane", I32, 4, i32x4_replace_lane),
    [0x1d] = EXT("i64x2.extract_lane", I64, 2, i64x2_extract_lane),
    [0x1e] = REP("i64x2.replace_lane", I64, 2, i64x2_replace_lane),
    [0x1f] = EXT("f32x4.extract_lane", F32, 4, f32x4_extract_lane),
    [0x20] = REP("f32x4.replace_lane", F32, 4, f32x4_replace_lane),
    [0x21] = EXT("f64x2.extract_lane", F64, 2, f64x2_extract_lane),
    [0x22] = REP("f64x2.replace_lane", F64, 2, f64x2_replace_lane),

    [0x23] = BIN("i8x16.eq", i8x16_eq),
    [0x24] = BIN("i8x16.ne", i8x16_ne),
    [0x25] = BIN("i8x16.lt_s", i8x16_lt_s),
    [0x26] = BIN("i8x16.lt_u", i8x16_lt_u),
    [0x27] = BIN("i8x16.gt_s", i8x16_gt_s),
    [0x28] = BIN("i8x16.gt_u", i8x16_gt_u),
    [0x29] = BIN("i8x16.le_s", i8x16_le_s),
    [0x2a] = BIN("i8x16.le_u", i8x16_le_u),
    [0x2b] = BIN("i8x16.ge_s", i8x16_ge_s),
    [0x2c] = BIN("i8x16.ge_u", i8x16_ge_u),
    [0x2d] = BIN("i16x8.eq", i16x8_eq),
    [0x2e] = BIN("i16x8.ne", i16x8_ne),
    [0x2f] = BIN("i16x8.lt_s", i16x8_lt_s),
    [0x30] = BIN("i16x8.lt_u", i16x8_lt_u),
    [0x31] = BIN("i16x8.gt_s", i16x8_gt_s),
    [0x32] = BIN("i16x8.gt_u", i16x8_gt_u),
    [0x33] = BIN("i16x8.le_s", i16x8_le_s),
    [0x34] = BIN("i16x8.le_u", i16x8_le_u),
    [0x35] = BIN("i16x8.ge_s", i16x8_ge_s),
    [0x36] = BIN("i16x8.ge_u", i16x8_ge_u),
    [0x37] = BIN("i32x4.eq", i32x4_eq),
    [0x38] = BIN("i32x4.ne", i32x4_ne),
    [0x39] = BIN("i32x4.lt_s", i32x4_lt_s),
    [0x3a] = BIN("i32x4.lt_u", i32x4_lt_u),
    [0x3b] = BIN("i32x4.gt_s", i32x4_gt_s),
    [0x3c] = BIN("i32x4.gt_u", i32x4_gt_u),
    [0x3d] = BIN("i32x4.le_s", i32x4_le_s),
    [0x3e] = BIN("i32x4.le_u", i32x4_le_u),
    [0x3f] = BIN("i32x4.ge_s", i32x4_ge_s),
    [0x40] = BIN("i32x4.ge_u", i32x4_ge_u),
    [0x41] = BIN("f32x4.eq", f32x4_eq),
    [0x42] = BIN("f32x4.ne", f32x4_ne),
    [0x43] = BIN("f32x4.lt", f32x4_lt),
    [0x44] = BIN("f32x4.gt", f32x4_gt),
    [0x45] = BIN("f32x4.le", f32x4_le),
    [0x46] = BIN("f32x4.ge", f32x4_ge),
    [0x47] = BIN("f64x2.eq", f64x2_eq),
    [0x48] = BIN("f64x2.ne", f64x2_ne),
    [0x49] = BIN("f64x2.lt", f64x2_lt),
    [0x4a] = BIN("f64x2.gt", f64x2_gt),
    [0x4b] = BIN("f64x2.le", f64x2_le),
    [0x4c] = BIN("f64x2.ge", f64x2_ge),

    [0x4d] = UN("v128.not", v128_not),
    [0x4e] = OWN("v128.and", PURE, 2, V, V, V, 0, 0, V128_AND),
    [0x4f] = OWN("v128.andnot", PURE, 2, V, V, V, 0, 0, V128_ANDNOT),
    [0x50] = OWN("v128.or", PURE, 2, V, V, V, 0, 0, V128_OR),
    [0x51] = OWN("v128.xor", PURE, 2, V, V, V, 0, 0, V128_XOR),
    [0x52] = {"v128.bitselect", WB__SIMD_PURE, 3, {V, V, V}, V, 0, 0, 0, v128_bitselect, 0},
    [0x53] = OWN("v128.any_true", PURE, 1, V, 0, I32, 0, 0, V128_ANY_TRUE),

    [0x54] = LDL("v128.load8_lane", 1, 0, load8_lane),
    [0x55] = LDL("v128.load16_lane", 2, 1, load16_lane),
    [0x56] = LDL("v128.load32_lane", 4, 2, load32_lane),
    [0x57] = LDL("v128.load64_lane", 8, 3, load64_lane),
    [0x58] = STL("v128.store8_lane", 1, 0, store8_lane),
    [0x59] = STL("v128.store16_lane", 2, 1, store16_lane),
    [0x5a] = STL("v128.store32_lane", 4, 2, store32_lane),
    [0x5b] = STL("v128.store64_lane", 8, 3, store64_lane),
    [0x5c] = LD("v128.load32_zero", 4, 2, load32_zero),
    [0x5d] = LD("v128.load64_zero", 8, 3, load64_zero),
    [0x5e] = UN("f32x4.demote_f64x2_zero", f32x4_demote_f64x2_zero),
    [0x5f] = UN("f64x2.promote_low_f32x4", f64x2_promote_low_f32x4),

    [0x60] = UN("i8x16.abs", i8x16_abs),
    [0x61] = UN("i8x16.neg", i8x16_neg),
    [0x62] = UN("i8x16.popcnt", i8x16_popcnt),
    [0x63] = TEST("i8x16.all_true", i8x16_all_true),
    [0x64] = OWN("i8x16.bitmask", PURE, 1, V, 0, I32, 0, 0, I8X16_BITMASK),
    [0x65] = BIN("i8x16.narrow_i16x8_s", i8x16_narrow_i16x8_s),
    [0x66] = BIN("i8x16.narrow_i16x8_u", i8x16_narrow_i16x8_u),
    [0x67] = UN("f32x4.ceil", f32x4_ceil),
    [0x68] = UN("f32x4.floor", f32x4_floor),
    [0x69] = UN("f32x4.trunc", f32x4_trunc),
    [0x6a] = UN("f32x4.nearest", f32x4_nearest),
    [0x6b] = SHL("i8x16.shl", i8x16_shl),
    [0x6c] = SHL("i8x16.shr_s", i8x16_shr_s),
    [0x6d] = SHL("i8x16.shr_u", i8x16_shr_u),
    [0x6e] = BIN("i8x16.add", i8x16_add),
    [0x6f] = BIN("i8x16.add_sat_s", i8x16_add_sat_s),
    [0x70] = BIN("i8x16.add_sat_u", i8x16_add_sat_u),
    [0x71] = BIN("i8x16.sub", i8x16_sub),
    [0x72] = BIN("i8x16.sub_sat_s", i8x16_sub_sat_s),
    [0x73] = BIN("i8x16.sub_sat_u", i8x16_sub_sat_u),
    [0x74] = UN("f64x2.ceil", f64x2_ceil),
    [0x75] = UN("f64x2.floor", f64x2_floor),
    [0x76] = BIN("i8x16.min_s", i8x16_min_s),
    [0x77] = BIN("i8x16.min_u", i8x16_min_u),
    [0x78] = BIN("i8x16.max_s", i8x16_max_s),
    [0x79] = BIN("i8x16.max_u", i8x16_max_u),
    [0x7a] = UN("f64x2.trunc", f64x2_trunc),
    [0x7b] = BIN("i8x16.avgr_u", i8x16_avgr_u),
    [0x7c] = UN("i16x8.extadd_pairwise_i8x16_s", i16x8_extadd_pairwise_i8x16_s),
    [0x7d] = UN("i16x8.extadd_pairwise_i8x16_u", i16x8_extadd_pairwise_i8x16_u),
    [0x7e] = UN("i32x4.extadd_pairwise_i16x8_s", i32x4_extadd_pairwise_i16x8_s),
    [0x7f] = UN("i32x4.extadd_pairwise_i16x8_u", i32x4_extadd_pairwise_i16x8_u),

    [0x80] = UN("i16x8.abs", i16x8_abs),
    [0x81] = UN("i16x8.neg", i16x8_neg),
    [0x82] = BIN("i16x8.q15mulr_sat_s", i16x8_q15mulr_sat_s),
    [0x83] = TEST("i16x8.all_true", i16x8_all_true),
    [0x84] = TEST("i16x8.bitmask", i16x8_bitmask),
    [0x85] = BIN("i16x8.narrow_i32x4_s", i16x8_narrow_i32x4_s),
    [0x86] = BIN("i16x8.narrow_i32x4_u", i16x8_narrow_i32x4_u),
    [0x87] = UN("i16x8.extend_low_i8x16_s", i16x8_extend_low_i8x16_s),
    [0x88] = UN("i16x8.extend_high_i8x16_s", i16x8_extend_high_i8x16_s),
    [0x89] = UN("i16x8.extend_low_i8x16_u", i16x8_extend_low_i8x16_u),
    [0x8a] = UN("i16x8.extend_high_i8x16_u", i16x8_extend_high_i8x16_u),
    [0x8b] = SHL("i16x8.shl", i16x8_shl),
    [0x8c] = SHL("i16x8.shr_s", i16x8_shr_s),
    [0x8d] = SHL("i16x8.shr_u", i16x8_shr_u),
    [0x8e] = BIN("i16x8.add", i16x8_add),
    [0x8f] = BIN("i16x8.add_sat_s", i16x8_add_sat_s),
    [0x90] = BIN("i16x8.add_sat_u", i16x8_add_sat_u),
    [0x91] = BIN("i16x8.sub", i16x8_sub),
    [0x92] = BIN("i16x8.sub_sat_s", i16x8_sub_sat_s),
    [0x93] = BIN("i16x8.sub_sat_u", i16x8_sub_sat_u),
    [0x94] = UN("f64x2.nearest", f64x2_nearest),
    [0x95] = BIN("i16x8.mul", i16x8_mul),
    [0x96] = BIN("i16x8.min_s", i16x8_min_s),
    [0x97] = BIN("i16x8.min_u", i16x8_min_u),
    [0x98] = BIN("i16x8.max_s", i16x8_max_s),
    [0x99] = BIN("i16x8.max_u", i16x8_max_u),
    [0x9b] = BIN("i16x8.avgr_u", i16x8_avgr_u),
    [0x9c] = BIN("i16x8.extmul_low_i8x16_s", i16x8_extmul_low_i8x16_s),
    [0x9d] = BIN("i16x8.extmul_high_i8x16_s", i16x8_extmul_high_i8x16_s),
    [0x9e] = BIN("i16x8.extmul_low_i8x16_u", i16x8_extmul_low_i8x16_u),
    [0x9f] = BIN("i16x8.extmul_high_i8x16_u", i16x8_extmul_high_i8x16_u),

    [0xa0] = UN("i32x4.abs", i32x4_abs),
    [0xa1] = UN("i32x4.neg", i32x4_neg),
    [0xa3] = TEST("i32x4.all_true", i32x4_all_true),
    [0xa4] = TEST("i32x4.bitmask", i32x4_bitmask),
    [0xa7] = UN("i32x4.extend_low_i16x8_s", i32x4_extend_low_i16x8_s),
    [0xa8] = UN("i32x4.extend_high_i16x8_s", i32x4_extend_high_i16x8_s),
    [0xa9] = UN("i32x4.extend_low_i16x8_u", i32x4_extend_low_i16x8_u),
    [0xaa] = UN("i32x4.extend_high_i16x8_u", i32x4_extend_high_i16x8_u),
    [0xab] = SHL("i32x4.shl", i32x4_shl),
    [0xac] = SHL("i32x4.shr_s", i32x4_shr_s),
    [0xad] = SHL("i32x4.shr_u", i32x4_shr_u),
    [0xae] = BIN("i32x4.add", i32x4_add),
    [0xb1] = BIN("i32x4.sub", i32x4_sub),
    [0xb5] = BIN("i32x4.mul", i32x4_mul),
    [0xb6] = BIN("i32x4.min_s", i32x4_min_s),
    [0xb7] = BIN("i32x4.min_u", i32x4_min_u),
    [0xb8] = BIN("i32x4.max_s", i32x4_max_s),
    [0xb9] = BIN("i32x4.max_u", i32x4_max_u),
    [0xba] = BIN("i32x4.dot_i16x8_s", i32x4_dot_i16x8_s),
    [0xbc] = BIN("i32x4.extmul_low_i16x8_s", i32x4_extmul_low_i16x8_s),
    [0xbd] = BIN("i32x4.extmul_high_i16x8_s", i32x4_extmul_high_i16x8_s),
    [0xbe] = BIN("i32x4.extmul_low_i16x8_u", i32x4_extmul_low_i16x8_u),
    [0xbf] = BIN("i32x4.extmul_high_i16x8_u", i32x4_extmul_high_i16x8_u),

    [0xc0] = UN("i64x2.abs", i64x2_abs),
    [0xc1] = UN("i64x2.neg", i64x2_neg),
    [0xc3] = TEST("i64x2.all_true", i64x2_all_true),
    [0xc4] = TEST("i64x2.bitmask", i64x2_bitmask),
    [0xc7] = UN("i64x2.extend_low_i32x4_s", i64x2_extend_low_i32x4_s),
    [0xc8] = UN("i64x2.extend_high_i32x4_s", i64x2_extend_high_i32x4_s),
    [0xc9] = UN("i64x2.extend_low_i32x4_u", i64x2_extend_low_i32x4_u),
    [0xca] = UN("i64x2.extend_high_i32x4_u", i64x2_extend_high_i32x4_u),
    [0xcb] = SHL("i64x2.shl", i64x2_shl),
    [0xcc] = SHL("i64x2.shr_s", i64x2_shr_s),
    [0xcd] = SHL("i64x2.shr_u", i64x2_shr_u),
    [0xce] = BIN("i64x2.add", i64x2_add),
    [0xd1] = BIN("i64x2.sub", i64x2_sub),
    [0xd5] = BIN("i64x2.mul", i64x2_mul),
    [0xd6] = BIN("i64x2.eq", i64x2_eq),
    [0xd7] = BIN("i64x2.ne", i64x2_ne),
    [0xd8] = BIN("i64x2.lt_s", i64x2_lt_s),
    [0xd9] = BIN("i64x2.gt_s", i64x2_gt_s),
    [0xda] = BIN("i64x2.le_s", i64x2_le_s),
    [0xdb] = BIN("i64x2.ge_s", i64x2_ge_s),
    [0xdc] = BIN("i64x2.extmul_low_i32x4_s", i64x2_extmul_low_i32x4_s),
    [0xdd] = BIN("i64x2.extmul_high_i32x4_s", i64x2_extmul_high_i32x4_s),
    [0xde] = BIN("i64x2.extmul_low_i32x4_u", i64x2_extmul_low_i32x4_u),
    [0xdf] = BIN("i64x2.extmul_high_i32x4_u", i64x2_extmul_high_i32x4_u),

    [0xe0] = UN("f32x4.abs", f32x4_abs),
    [0xe1] = UN("f32x4.neg", f32x4_neg),
    [0xe3] = UN("f32x4.sqrt", f32x4_sqrt),
    [0xe4] = BIN("f32x4.add", f32x4_add),
    [0xe5] = BIN("f32x4.sub", f32x4_sub),
    [0xe6] = BIN("f32x4.mul", f32x4_mul),
    [0xe7] = BIN("f32x4.div", f32x4_div),
    [0xe8] = BIN("f32x4.min", f32x4_min),
    [0xe9] = BIN("f32x4.max", f32x4_max),
    [0xea] = BIN("f32x4.pmin", f32x4_pmin),
    [0xeb] = BIN("f32x4.pmax", f32x4_pmax),
    [0xec] = UN("f64x2.abs", f64x2_abs),
    [0xed] = UN("f64x2.neg", f64x2_neg),
    [0xef] = UN("f64x2.sqrt", f64x2_sqrt),
    [0xf0] = BIN("f64x2.add", f64x2_add),
    [0xf1] = BIN("f64x2.sub", f64x2_sub),
    [0xf2] = BIN("f64x2.mul", f64x2_mul),
    [0xf3] = BIN("f64x2.div", f64x2_div),
    [0xf4] = BIN("f64x2.min", f64x2_min),
    [0xf5] = BIN("f64x2.max", f64x2_max),
    [0xf6] = BIN("f64x2.pmin", f64x2_pmin),
    [0xf7] = BIN("f64x2.pmax", f64x2_pmax),

    [0xf8] = UN("i32x4.trunc_sat_f32x4_s", i32x4_trunc_sat_f32x4_s),
    [0xf9] = UN("i32x4.trunc_sat_f32x4_u", i32x4_trunc_sat_f32x4_u),
    [0xfa] = UN("f32x4.convert_i32x4_s", f32x4_convert_i32x4_s),
    [0xfb] = UN("f32x4.convert_i32x4_u", f32x4_convert_i32x4_u),
    [0xfc] = UN("i32x4.trunc_sat_f64x2_s_zero", i32x4_trunc_sat_f64x2_s_zero),
    [0xfd] = UN("i32x4.trunc_sat_f64x2_u_zero", i32x4_trunc_sat_f64x2_u_zero),
    [0xfe] = UN("f64x2.convert_low_i32x4_s", f64x2_convert_low_i32x4_s),
    [0xff] = UN("f64x2.convert_low_i32x4_u", f64x2_convert_low_i32x4_u),
    /* 0x100 .. 0x113: relaxed SIMD, not implemented (holes). */
};

wb__simd_fn wb__simd_impl(uint32_t sub)
{
#ifdef SIMD_X86
    __builtin_cpu_init(); /* idempotent; needed when called from a constructor */
    bool ssse3 = __builtin_cpu_supports("ssse3");
    if (ssse3 && sub == 0x0d)
        return i8x16_shuffle_ssse3;
    if (ssse3 && sub == 0x0e)
        return i8x16_swizzle_ssse3;
#endif
    return wb__simd_ops[sub].fn;
}
