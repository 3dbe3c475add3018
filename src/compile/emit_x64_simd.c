/*
 * emit_x64_simd.c - the x86-64 emitter's SIMD ops (v128): the SIMD and
 * SIMD_MEM ops of the slot code, and those with handlers of their own
 * (v128.load/store, the bitwise ops, any_true, i8x16.bitmask).
 *
 * Every op has a generic path: a call to the very function the interpreter
 * calls (the one in the op's cell, from simd.c's table), with pointers to
 * its operand and result slots in the frame, so its semantics are the
 * interpreter's to the bit.  A memory op first makes the interpreter's
 * bounds check and leaves at its own cell when it fails (the interpreter
 * then traps there).  The frequent ones are inline in SSE2 (SSE4.1 where
 * cpuid says), from a table: op -> instruction.
 *
 * v128 values of the operand stack live in the float cache's registers
 * (emit_x64.h, fc_*) across the ops translated inline (wb__x64e_simd_inline:
 * vsrc/vload read them, vstore writes them); elsewhere they are in their
 * two frame slots (or a constant's), which may be only 8-byte aligned, so
 * they move with movdqu; an op that reads a lane from the slots puts the
 * value there first (vslots), one that writes them itself claims them
 * (vclaim).  The ops that call C are no such ops: the caches are in the
 * slots before them.  A scalar operand or result (a lane, a splat's value,
 * a shift count, an address) may be a pinned local of either kind or a
 * cached integer, so it goes through load()/store() (emit_x64.h), never its
 * slot directly; for a call to C the pinned ones go to their slots before
 * and back after.
 *
 * Scratch: rax, rcx, rdx, xmm0-xmm2.
 */
#include "emit_x64.h"

#include <string.h>

/* ---- the generic path: the interpreter's own C function ------------------------------ */

/* A pointer argument of a call: the frame slot at loc (rbx + its offset),
 * or linear memory at the address in rax (r12 + rax). */
static wb__x64_mem frame_arg(x64_emit *x, uint64_t loc) { return slot(x, loc); }
static wb__x64_mem mem_arg(void) { return x64_mem_idx(X64_R12, X64_RAX, 1, 0); }

/* fn(d, a, b, c, imm) as the interpreter calls it: the pointers are lea'd
 * from ptr[0..3] (the C ABI's rdi, rsi, rdx, rcx; rax may be an index in
 * them), imm is the op's immediate cells.  The pinned locals are kept (the
 * float ones through their slots, where fn reads and writes them) and the
 * stack aligned as C wants. */
static void call_fn(x64_emit *x, uint64_t fn, const wb__x64_mem ptr[4], const void *imm)
{
    static const int arg[4] = {X64_RDI, X64_RSI, X64_RDX, X64_RCX};
    wb__x64 *a = &x->a;
    wb__x64e_save_pinned(x);
    for (int i = 0; i < 4; i++)
        x64_lea(a, true, arg[i], ptr[i]);
    x64_mov_ri(a, X64_R8, (uint64_t)(uintptr_t)imm);
    x64_mov_ri(a, X64_RAX, fn);
    wb__x64e_c_call(x);
    wb__x64e_restore_pinned(x);
}

/* An integer pinned local at loc to its slot (C reads it there). */
static void to_slot(x64_emit *x, uint64_t loc)
{
    int p = pinned(x, loc);
    if (p >= 0)
        x64_mov_mr(&x->a, true, slot(x, loc), p);
}

/* SIMD [fn][a|b][c|d][imm]: fn(d, a, b, c, imm).  Its scalar operands may
 * be pinned integer locals (the float ones go to their slots with the
 * call); so may its scalar result, read back after. */
static void simd_call(x64_emit *x, const xop *o)
{
    const uint64_t *v = o->v;
    for (int i = 1; i <= 3; i++)
        to_slot(x, v[i]);
    wb__x64_mem ptr[4] = {frame_arg(x, v[4]), frame_arg(x, v[1]), frame_arg(x, v[2]), frame_arg(x, v[3])};
    call_fn(x, v[0], ptr, x->f->code + o->at + 4);
    int p = pinned(x, v[4]);
    if (p >= 0)
        x64_mov_rm(&x->a, true, p, slot(x, v[4]));
}

/* SIMD_MEM [fn][a|b][c|d][offset|bytes + kind << 8][imm]: the bounds check,
 * then the call as L_SIMD_MEM makes it (a the address; b the v128 of a
 * lane load and of the stores; d the result of the loads). */
static void simd_mem_call(x64_emit *x, const xop *o)
{
    const uint64_t *v = o->v;
    uint32_t bytes = (uint32_t)v[6] & 0xff, kind = (uint32_t)v[6] >> 8;
    wb__x64e_address(x, v[1], (uint32_t)v[5], bytes, o->at);
    wb__x64_mem d = frame_arg(x, v[4]), b = frame_arg(x, v[2]), none = x64_mem(X64_RBX, 0);
    wb__x64_mem ptr[4] = {d, mem_arg(), none, none};
    if (kind == WB__SIMD_LOAD_LANE)
        ptr[2] = b;
    else if (kind == WB__SIMD_STORE || kind == WB__SIMD_STORE_LANE)
        ptr[0] = mem_arg(), ptr[1] = b;
    call_fn(x, v[0], ptr, x->f->code + o->at + 5);
}

/* ---- inline: the frequent ones ---------------------------------------------------- */

/* The xmm register holding the v128 at loc: its cache entry's (read), or
 * scratch, loaded from its slots. */
static int vsrc(x64_emit *x, uint64_t loc, int scratch)
{
    int c = fc_find(x, loc);
    if (c >= 0 && x->fc_vec[c]) {
        x->fc_read |= (uint8_t)(1u << c);
        return FC_XMM0 + c;
    }
    x64_movdqu_rm(&x->a, scratch, slot(x, loc));
    return scratch;
}

/* xmm = the v128 at loc. */
static void vload(x64_emit *x, int xmm, uint64_t loc)
{
    int r = vsrc(x, loc, xmm);
    if (r != xmm)
        x64_movaps_rr(&x->a, xmm, r);
}

/* The v128 in xmm to loc: its cache entry, or its slots. */
static void vstore(x64_emit *x, uint64_t loc, int xmm)
{
    int r = wb__x64e_vc_take(x, loc);
    if (r < 0)
        x64_movdqu_mr(&x->a, slot(x, loc), xmm);
    else if (r != xmm)
        x64_movaps_rr(&x->a, r, xmm);
}

/* The v128 at loc to its slots, for code that reads a lane there. */
static void vslots(x64_emit *x, uint64_t loc)
{
    int c = fc_find(x, loc);
    if (c >= 0 && x->fc_vec[c]) {
        x64_movdqu_mr(&x->a, slot(x, loc), FC_XMM0 + c);
        x->fc_loc[c] = 0;
    }
}

/* Code writes the v128 at loc in its slots itself. */
static void vclaim(x64_emit *x, uint64_t loc) { fc_claim(x, loc, 16, false, false); }

/* SSE4.1 (and the SSSE3 it implies), as cpuid says; none with
 * -DWB_X64_BASELINE (to test the C path of those ops). */
static bool sse41(void)
{
#ifdef WB_X64_BASELINE
    return false;
#else
    __builtin_cpu_init(); /* idempotent */
    return __builtin_cpu_supports("sse4.1");
#endif
}

/* How a lane-wise row computes d from a and b: xmm0 = first, xmm1 =
 * second, xmm0 op= xmm1, d = xmm0. */
enum {
    PS = 1,    /* the ps form (x64_ps_rr), not the 66-prefixed one */
    SWAP = 2,  /* first b, second a (lt as gt, pmin as minps b, a, andnot as pandn) */
    NOT = 4,   /* the result inverted (ne, le_s, ge_s) */
    SSE41 = 8, /* only with SSE4.1 (else the C path) */
    ZERO = 16, /* unary: first 0, second a (neg as 0 - a, abs) */
    UN = 32,   /* unary: second a too (not as ~(a | a)) */
    CMPPS = 64, CMPPD = 128, /* op is cmpps / cmppd's predicate */
};

/* The lane-wise ops, by sub-opcode.  f32x4/f64x2 add and mul stay in C:
 * the C compiler may swap their operands (gcc does: addps b, a), and with
 * two NaNs x86 gives the destination's, so only sub and div, which it
 * cannot swap, are certain to give the interpreter's NaN. */
static const struct row {
    uint16_t sub;
    uint8_t how;
    uint32_t op;
} rows[] = {
    {0x23, 0, X64_PCMPEQB}, {0x24, NOT, X64_PCMPEQB}, {0x25, SWAP, X64_PCMPGTB}, {0x27, 0, X64_PCMPGTB},
    {0x29, NOT, X64_PCMPGTB}, {0x2b, SWAP | NOT, X64_PCMPGTB},
    {0x2d, 0, X64_PCMPEQW}, {0x2e, NOT, X64_PCMPEQW}, {0x2f, SWAP, X64_PCMPGTW}, {0x31, 0, X64_PCMPGTW},
    {0x33, NOT, X64_PCMPGTW}, {0x35, SWAP | NOT, X64_PCMPGTW},
    {0x37, 0, X64_PCMPEQD}, {0x38, NOT, X64_PCMPEQD}, {0x39, SWAP, X64_PCMPGTD}, {0x3b, 0, X64_PCMPGTD},
    {0x3d, NOT, X64_PCMPGTD}, {0x3f, SWAP | NOT, X64_PCMPGTD},
    /* cmpps predicates: 0 eq, 1 lt, 2 le, 4 neq (true for NaN, as C's !=) */
    {0x41, CMPPS, 0}, {0x42, CMPPS, 4}, {0x43, CMPPS, 1}, {0x44, CMPPS | SWAP, 1},
    {0x45, CMPPS, 2}, {0x46, CMPPS | SWAP, 2},
    {0x47, CMPPD, 0}, {0x48, CMPPD, 4}, {0x49, CMPPD, 1}, {0x4a, CMPPD | SWAP, 1},
    {0x4b, CMPPD, 2}, {0x4c, CMPPD | SWAP, 2},
    {0x4d, UN | NOT, X64_POR}, {0x4e, 0, X64_PAND}, {0x4f, SWAP, X64_PANDN}, {0x50, 0, X64_POR}, {0x51, 0, X64_PXOR},
    {0x60, ZERO | SSE41, X64_PABSB}, {0x61, ZERO, X64_PSUBB},
    {0x65, 0, X64_PACKSSWB}, {0x66, 0, X64_PACKUSWB},
    {0x6e, 0, X64_PADDB}, {0x6f, 0, X64_PADDSB}, {0x70, 0, X64_PADDUSB},
    {0x71, 0, X64_PSUBB}, {0x72, 0, X64_PSUBSB}, {0x73, 0, X64_PSUBUSB},
    {0x76, SSE41, X64_PMINSB}, {0x77, 0, X64_PMINUB}, {0x78, SSE41, X64_PMAXSB}, {0x79, 0, X64_PMAXUB},
    {0x7b, 0, X64_PAVGB},
    {0x80, ZERO | SSE41, X64_PABSW}, {0x81, ZERO, X64_PSUBW},
    {0x85, 0, X64_PACKSSDW}, {0x86, SSE41, X64_PACKUSDW},
    {0x8e, 0, X64_PADDW}, {0x8f, 0, X64_PADDSW}, {0x90, 0, X64_PADDUSW},
    {0x91, 0, X64_PSUBW}, {0x92, 0, X64_PSUBSW}, {0x93, 0, X64_PSUBUSW}, {0x95, 0, X64_PMULLW},
    {0x96, 0, X64_PMINSW}, {0x97, SSE41, X64_PMINUW}, {0x98, 0, X64_PMAXSW}, {0x99, SSE41, X64_PMAXUW},
    {0x9b, 0, X64_PAVGW},
    {0xa0, ZERO | SSE41, X64_PABSD}, {0xa1, ZERO, X64_PSUBD},
    {0xae, 0, X64_PADDD}, {0xb1, 0, X64_PSUBD}, {0xb5, SSE41, X64_PMULLD},
    {0xb6, SSE41, X64_PMINSD}, {0xb7, SSE41, X64_PMINUD}, {0xb8, SSE41, X64_PMAXSD}, {0xb9, SSE41, X64_PMAXUD},
    {0xba, 0, X64_PMADDWD}, /* dot: the one overflow (four -32768s) wraps in both */
    {0xc1, ZERO, X64_PSUBQ}, {0xce, 0, X64_PADDQ}, {0xd1, 0, X64_PSUBQ},
    {0xd6, SSE41, X64_PCMPEQQ}, {0xd7, SSE41 | NOT, X64_PCMPEQQ},
    /* pmin(a, b) = b < a ? b : a is minps b, a (a when unordered); pmax likewise */
    {0xe5, PS, X64_SUBS}, {0xe7, PS, X64_DIVS}, {0xea, PS | SWAP, X64_MINS}, {0xeb, PS | SWAP, X64_MAXS},
    {0xf1, 0, 0x0f00 | X64_SUBS}, {0xf3, 0, 0x0f00 | X64_DIVS},
    {0xf6, SWAP, 0x0f00 | X64_MINS}, {0xf7, SWAP, 0x0f00 | X64_MAXS},
};

static const struct row *row_of(int sub)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].sub == sub)
            return rows[i].how & SSE41 && !sse41() ? NULL : &rows[i];
    return NULL;
}

/* d = a op b (b unused for a unary row), as row r says. */
static void lanewise(x64_emit *x, const struct row *r, uint64_t a_, uint64_t b_, uint64_t d)
{
    wb__x64 *a = &x->a;
    uint64_t first = r->how & SWAP ? b_ : a_, second = r->how & SWAP ? a_ : b_;
    if (r->how & (ZERO | UN))
        second = a_;
    if (r->how & ZERO)
        x64_pd_rr(a, X64_PXOR, XMM0, XMM0);
    else
        vload(x, XMM0, first);
    int src = vsrc(x, second, XMM1);
    if (r->how & (CMPPS | CMPPD))
        x64_cmpp_rr(a, r->how & CMPPD, XMM0, src, (uint8_t)r->op);
    else if (r->how & PS)
        x64_ps_rr(a, (int)r->op, XMM0, src);
    else
        x64_pd_rr(a, r->op, XMM0, src);
    if (r->how & NOT) {
        x64_pd_rr(a, X64_PCMPEQD, XMM1, XMM1);
        x64_pd_rr(a, X64_PXOR, XMM0, XMM1);
    }
    vstore(x, d, XMM0);
}

static wb__x64_mem at(wb__x64_mem m, int32_t off)
{
    m.disp += off;
    return m;
}

/* A v128 from src to dst through rcx and rdx (both read first: they may
 * be the same). */
static void copy16(x64_emit *x, wb__x64_mem dst, wb__x64_mem src)
{
    x64_mov_rm(&x->a, true, X64_RCX, src);
    x64_mov_rm(&x->a, true, X64_RDX, at(src, 8));
    x64_mov_mr(&x->a, true, dst, X64_RCX);
    x64_mov_mr(&x->a, true, at(dst, 8), X64_RDX);
}

/* xmm0 = every lane of `bytes` = the low bytes of rax (the rest of it any). */
static void splat_rax(x64_emit *x, unsigned bytes)
{
    wb__x64 *a = &x->a;
    if (bytes < 4) { /* the lane repeated across 32 bits */
        x64_alu_ri(a, X64_AND, false, X64_RAX, bytes == 1 ? 0xff : 0xffff);
        x64_mov_ri(a, X64_RCX, bytes == 1 ? 0x01010101 : 0x00010001);
        x64_imul_rr(a, false, X64_RAX, X64_RCX);
    }
    x64_movd_xr(a, bytes == 8, XMM0, X64_RAX);
    x64_pshufd(a, XMM0, XMM0, bytes == 8 ? 0x44 : 0x00);
}

/* The lane ops by sub-opcode: splat (scalar -> every lane), extract_lane
 * (lane -> scalar, sign- or zero-extended), replace_lane. */
static const struct lane {
    uint16_t sub;
    uint8_t bytes;
    char kind; /* 's' splat, 'x' extract (zero-extends), 'X' extract sign-extending, 'r' replace */
} lanes[] = {
    {0x0f, 1, 's'}, {0x10, 2, 's'}, {0x11, 4, 's'}, {0x12, 8, 's'}, {0x13, 4, 's'}, {0x14, 8, 's'},
    {0x15, 1, 'X'}, {0x16, 1, 'x'}, {0x17, 1, 'r'}, {0x18, 2, 'X'}, {0x19, 2, 'x'}, {0x1a, 2, 'r'},
    {0x1b, 4, 'x'}, {0x1c, 4, 'r'}, {0x1d, 8, 'x'}, {0x1e, 8, 'r'},
    {0x1f, 4, 'x'}, {0x20, 4, 'r'}, {0x21, 8, 'x'}, {0x22, 8, 'r'},
};

static const struct lane *lane_of(int sub)
{
    for (size_t i = 0; i < sizeof lanes / sizeof lanes[0]; i++)
        if (lanes[i].sub == sub)
            return &lanes[i];
    return NULL;
}

static bool lane_op(x64_emit *x, int sub, const uint64_t *v)
{
    const struct lane *l = lane_of(sub);
    if (!l)
        return false;
    wb__x64 *a = &x->a;
    unsigned n = l->bytes;
    int32_t off = (int32_t)((v[5] & 0xff) * n); /* the lane's byte */
    switch (l->kind) {
    case 's':
        load(x, n == 8, X64_RAX, v[1]);
        splat_rax(x, n);
        vstore(x, v[4], XMM0);
        return true;
    case 'x':
    case 'X':
        vslots(x, v[1]);
        if (n == 8)
            x64_mov_rm(a, true, X64_RAX, at(slot(x, v[1]), off));
        else
            x64_load_ext(a, false, l->kind == 'X', n, X64_RAX, at(slot(x, v[1]), off));
        store(x, v[4], X64_RAX);
        return true;
    default: /* 'r': the scalar first (it is no part of d) */
        load(x, n == 8, X64_RAX, v[2]);
        vslots(x, v[1]);
        vclaim(x, v[4]);
        copy16(x, slot(x, v[4]), slot(x, v[1]));
        x64_store(a, n, at(slot(x, v[4]), off), X64_RAX);
        return true;
    }
}

/* v128 -> i32: bitmasks and all_true.  all_of: which all_true sub is
 * (its lanes 8 << it bits wide), or -1; test_ok: whether sub is one of
 * those this file translates. */
static int all_of(int sub) { return sub == 0x63 ? 0 : sub == 0x83 ? 1 : sub == 0xa3 ? 2 : sub == 0xc3 ? 3 : -1; }
static bool test_ok(int sub)
{
    int all = all_of(sub);
    return (all >= 0 && (all < 3 || sse41())) || sub == 0x84 || sub == 0xa4 || sub == 0xc4;
}

static bool test_op(x64_emit *x, int sub, const uint64_t *v)
{
    wb__x64 *a = &x->a;
    static const uint32_t eq[4] = {X64_PCMPEQB, X64_PCMPEQW, X64_PCMPEQD, X64_PCMPEQQ};
    int all = all_of(sub);
    if (!test_ok(sub))
        return false;
    if (all >= 0) { /* no lane equal to 0 */
        int src = vsrc(x, v[1], XMM0);
        x64_pd_rr(a, X64_PXOR, XMM1, XMM1);
        x64_pd_rr(a, eq[all], XMM1, src);
        x64_movmsk(a, 1, X64_RAX, XMM1);
        x64_test_rr(a, false, X64_RAX, X64_RAX);
        x64_setcc(a, X64_CC_E, X64_RAX);
        store(x, v[4], X64_RAX);
        return true;
    }
    vload(x, XMM0, v[1]);
    if (sub == 0x84) { /* i16x8: each lane's sign, kept by saturating to a byte */
        x64_pd_rr(a, X64_PACKSSWB, XMM0, XMM0);
        x64_movmsk(a, 1, X64_RAX, XMM0);
        x64_alu_ri(a, X64_AND, false, X64_RAX, 0xff);
    } else {
        x64_movmsk(a, sub == 0xa4 ? 4 : 8, X64_RAX, XMM0);
    }
    store(x, v[4], X64_RAX);
    return true;
}

/* Shifts by an i32 count modulo the lane's width (x86 has none of bytes,
 * nor an arithmetic one of i64 lanes: those stay in C). */
static const struct shift {
    uint16_t sub;
    uint8_t bits;
    uint32_t op;
} shifts[] = {
    {0x8b, 16, X64_PSLLW}, {0x8c, 16, X64_PSRAW}, {0x8d, 16, X64_PSRLW},
    {0xab, 32, X64_PSLLD}, {0xac, 32, X64_PSRAD}, {0xad, 32, X64_PSRLD},
    {0xcb, 64, X64_PSLLQ}, {0xcd, 64, X64_PSRLQ},
};

static const struct shift *shift_of(int sub)
{
    for (size_t i = 0; i < sizeof shifts / sizeof shifts[0]; i++)
        if (shifts[i].sub == sub)
            return &shifts[i];
    return NULL;
}

static bool shift_op(x64_emit *x, int sub, const uint64_t *v)
{
    const struct shift *sh = shift_of(sub);
    if (!sh)
        return false;
    wb__x64 *a = &x->a;
    load(x, false, X64_RAX, v[2]);
    x64_alu_ri(a, X64_AND, false, X64_RAX, sh->bits - 1);
    x64_movd_xr(a, false, XMM1, X64_RAX);
    vload(x, XMM0, v[1]);
    x64_pd_rr(a, sh->op, XMM0, XMM1);
    vstore(x, v[4], XMM0);
    return true;
}

/* The sub-opcode whose function is fn (the op cell's), or -1 (a faster
 * one wb__simd_impl chose: that op keeps its call). */
static int sub_of(uint64_t fn)
{
    for (int s = 0; s < WB__SIMD_OPCODES; s++)
        if (wb__simd_ops[s].fn && (uint64_t)(uintptr_t)wb__simd_ops[s].fn == fn)
            return s;
    return -1;
}

/* SIMD [fn][a|b][c|d][imm] inline, or false. */
static bool simd_inline(x64_emit *x, const xop *o)
{
    const uint64_t *v = o->v;
    int sub = sub_of(v[0]);
    if (sub < 0)
        return false;
    x->xheld_ok = false; /* xmm0 is written */
    const struct row *r = row_of(sub);
    if (r) {
        lanewise(x, r, v[1], v[2], v[4]);
        return true;
    }
    return lane_op(x, sub, v) || test_op(x, sub, v) || shift_op(x, sub, v);
}

/* SIMD_MEM inline: the loads that zero or splat, and the lane loads and
 * stores, through general registers after the bounds check; or false.
 * mem_ok: whether sub is one of them. */
static bool mem_ok(int sub) { return (sub >= 0x5c && sub <= 0x5d) || (sub >= 0x07 && sub <= 0x0a) || (sub >= 0x54 && sub <= 0x5b); }

static bool simd_mem_inline(x64_emit *x, const xop *o)
{
    const uint64_t *v = o->v;
    int sub = sub_of(v[0]);
    uint32_t n = (uint32_t)v[6] & 0xff;
    bool zero = sub == 0x5c || sub == 0x5d, splat = sub >= 0x07 && sub <= 0x0a;
    bool lane = sub >= 0x54 && sub <= 0x5b;
    if (!mem_ok(sub))
        return false;
    wb__x64 *a = &x->a;
    x->xheld_ok = false;
    wb__x64e_address(x, v[1], (uint32_t)v[5], n, o->at);
    wb__x64_mem m = mem_arg(), d = slot(x, v[4]);
    int32_t off = (int32_t)((v[7] & 0xff) * n);
    if (lane && sub >= 0x58) { /* store lane: memory = lane of b */
        vslots(x, v[2]);
        if (n == 8)
            x64_mov_rm(a, true, X64_RCX, at(slot(x, v[2]), off));
        else
            x64_load_ext(a, false, false, n, X64_RCX, at(slot(x, v[2]), off));
        x64_store(a, n, m, X64_RCX);
        return true;
    }
    if (n == 8)
        x64_mov_rm(a, true, X64_RAX, m);
    else
        x64_load_ext(a, false, false, n, X64_RAX, m); /* zero-extends; rax is no more an address */
    if (zero) { /* (movq zeroes the upper lane) */
        x64_movd_xr(a, true, XMM0, X64_RAX);
        vstore(x, v[4], XMM0);
    } else if (splat) {
        splat_rax(x, n);
        vstore(x, v[4], XMM0);
    } else { /* load lane: d = b, then its lane */
        vslots(x, v[2]);
        vclaim(x, v[4]);
        copy16(x, d, slot(x, v[2]));
        x64_store(a, n, at(d, off), X64_RAX);
    }
    return true;
}

/* The ops with handlers of their own: [addr|d or v][offset|-], [a|b][d|-]
 * and [a|-][d|-]. */
static bool own(x64_emit *x, const xop *o)
{
    wb__x64 *a = &x->a;
    const uint64_t *v = o->v;
    x->xheld_ok = false;
    switch (o->id) {
    case WB__OP_V128_LOAD:
        wb__x64e_address(x, v[0], (uint32_t)v[2], 16, o->at);
        x64_movdqu_rm(a, XMM0, mem_arg());
        vstore(x, v[1], XMM0);
        return true;
    case WB__OP_V128_STORE:
        wb__x64e_address(x, v[0], (uint32_t)v[2], 16, o->at);
        x64_movdqu_mr(a, mem_arg(), vsrc(x, v[1], XMM0));
        return true;
    case WB__OP_V128_AND:
    case WB__OP_V128_ANDNOT:
    case WB__OP_V128_OR:
    case WB__OP_V128_XOR:
        lanewise(x, row_of(0x4e + (o->id - WB__OP_V128_AND)), v[0], v[1], v[2]);
        return true;
    case WB__OP_V128_ANY_TRUE:
        vslots(x, v[0]);
        x64_mov_rm(a, true, X64_RAX, slot(x, v[0]));
        x64_alu_rm(a, X64_OR, true, X64_RAX, at(slot(x, v[0]), 8));
        x64_setcc(a, X64_CC_NE, X64_RAX);
        store(x, v[1], X64_RAX);
        return true;
    case WB__OP_I8X16_BITMASK:
        x64_movmsk(a, 1, X64_RAX, vsrc(x, v[0], XMM0));
        store(x, v[1], X64_RAX);
        return true;
    default:
        return false;
    }
}

bool wb__x64e_simd_op(unsigned id)
{
    switch (id) {
    case WB__OP_SIMD: case WB__OP_SIMD_MEM: case WB__OP_V128_LOAD: case WB__OP_V128_STORE:
    case WB__OP_V128_AND: case WB__OP_V128_ANDNOT: case WB__OP_V128_OR: case WB__OP_V128_XOR:
    case WB__OP_V128_ANY_TRUE: case WB__OP_I8X16_BITMASK:
        return true;
    default:
        return false;
    }
}

bool wb__x64e_simd_inline(const xop *o)
{
    int sub = o->id == WB__OP_SIMD || o->id == WB__OP_SIMD_MEM ? sub_of(o->v[0]) : 0;
    switch (o->id) {
    case WB__OP_SIMD:
        return sub >= 0 && (row_of(sub) || lane_of(sub) || test_ok(sub) || shift_of(sub));
    case WB__OP_SIMD_MEM:
        return sub >= 0 && mem_ok(sub);
    default:
        return wb__x64e_simd_op(o->id);
    }
}

bool wb__x64e_simd(x64_emit *x, const xop *o)
{
    switch (o->id) {
    case WB__OP_SIMD:
        if (!simd_inline(x, o))
            simd_call(x, o);
        return true;
    case WB__OP_SIMD_MEM:
        if (!simd_mem_inline(x, o))
            simd_mem_call(x, o);
        return true;
    default:
        return own(x, o);
    }
}
