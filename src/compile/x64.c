/*
 * x64.c - the x86-64 assembler (x64.h).  Each instruction is a prefix, an
 * optional REX byte, the opcode and a ModRM (with SIB and displacement for
 * memory operands); the shortest displacement and immediate forms are
 * chosen.  tests/unit/x64.c checks the bytes against GNU as.
 */
#include "x64.h"

#include <stdlib.h>
#include <string.h>

static void put(wb__x64 *a, const void *p, size_t k)
{
    if (a->bad)
        return;
    if (a->n + k > a->cap) {
        size_t n = a->cap ? a->cap * 2 : 4096;
        while (n < a->n + k)
            n *= 2;
        uint8_t *q = realloc(a->b, n);
        if (!q) {
            a->bad = true;
            return;
        }
        a->b = q;
        a->cap = n;
    }
    memcpy(a->b + a->n, p, k);
    a->n += k;
}

void x64_bytes(wb__x64 *a, const void *p, size_t n) { put(a, p, n); }

static void b1(wb__x64 *a, uint8_t v) { put(a, &v, 1); }
static void b4(wb__x64 *a, uint32_t v) { put(a, &v, 4); } /* x86 is little-endian */
static void b8(wb__x64 *a, uint64_t v) { put(a, &v, 8); }

static bool fits8(int64_t v) { return v >= -128 && v <= 127; }

/* A byte operand in spl, bpl, sil or dil needs a REX byte (without one,
 * those encodings name ah, ch, dh, bh). */
static bool byte_rex(int r) { return r >= 4 && r < 8; }

/* [pfx] [REX] op: REX when W, an extended register, or `rex` (a byte
 * register that needs one); op of one to three bytes (0x0fxx, 0x0f38xx). */
static void opc(wb__x64 *a, uint8_t pfx, bool w, int reg, int index, int base, uint32_t op, bool rex_anyway)
{
    if (pfx)
        b1(a, pfx);
    uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (reg & 8 ? 4 : 0) | (index >= 0 && index & 8 ? 2 : 0) |
                            (base >= 0 && base & 8 ? 1 : 0));
    if (rex != 0x40 || rex_anyway)
        b1(a, rex);
    if (op > 0xffff)
        b1(a, (uint8_t)(op >> 16));
    if (op > 0xff)
        b1(a, (uint8_t)(op >> 8));
    b1(a, (uint8_t)op);
}

/* ModRM (+ SIB + disp) for reg, [m]. */
static void modrm_mem(wb__x64 *a, int reg, wb__x64_mem m)
{
    int base = m.base, index = m.index;
    bool sib = index >= 0 || (base & 7) == X64_RSP; /* rsp/r12 as base need a SIB byte */
    /* rbp/r13 as base have no disp-less form. */
    int mod = m.disp == 0 && (base & 7) != X64_RBP ? 0 : fits8(m.disp) ? 1 : 2;
    b1(a, (uint8_t)(mod << 6 | (reg & 7) << 3 | (sib ? 4 : base & 7)));
    if (sib) {
        int ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
        b1(a, (uint8_t)(ss << 6 | (index >= 0 ? index & 7 : 4) << 3 | (base & 7)));
    }
    if (mod == 1)
        b1(a, (uint8_t)(int8_t)m.disp);
    else if (mod == 2)
        b4(a, (uint32_t)m.disp);
}

/* op reg, [m]; byte8: reg is a byte operand. */
static void rm_mem(wb__x64 *a, uint8_t pfx, bool w, uint32_t op, int reg, wb__x64_mem m, bool byte8)
{
    opc(a, pfx, w, reg, m.index, m.base, op, byte8 && byte_rex(reg));
    modrm_mem(a, reg, m);
}

/* op reg, rm (registers); byte8: rm is a byte operand. */
static void rm_reg(wb__x64 *a, uint8_t pfx, bool w, uint32_t op, int reg, int rm, bool byte8)
{
    opc(a, pfx, w, reg, -1, rm, op, byte8 && byte_rex(rm));
    b1(a, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* Register to register: the r/m, r form (0x89, 0x01...), as GNU as writes it. */
void x64_mov_rr(wb__x64 *a, bool w, int dst, int src) { rm_reg(a, 0, w, 0x89, src, dst, false); }
void x64_mov_rm(wb__x64 *a, bool w, int dst, wb__x64_mem m) { rm_mem(a, 0, w, 0x8b, dst, m, false); }
void x64_mov_mr(wb__x64 *a, bool w, wb__x64_mem m, int src) { rm_mem(a, 0, w, 0x89, src, m, false); }
void x64_lea(wb__x64 *a, bool w, int dst, wb__x64_mem m) { rm_mem(a, 0, w, 0x8d, dst, m, false); }

void x64_mov_ri(wb__x64 *a, int dst, uint64_t imm)
{
    if (imm <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
        opc(a, 0, false, 0, -1, dst, 0xb8 + (dst & 7), false);
        b4(a, (uint32_t)imm);
    } else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) { /* mov r/m64, imm32 sign-extends */
        rm_reg(a, 0, true, 0xc7, 0, dst, false);
        b4(a, (uint32_t)imm);
    } else {
        opc(a, 0, true, 0, -1, dst, 0xb8 + (dst & 7), false);
        b8(a, imm);
    }
}

void x64_load_ext(wb__x64 *a, bool w, bool sign, unsigned bytes, int dst, wb__x64_mem m)
{
    if (bytes == 4) /* movsxd (sign) or a plain 32-bit mov (zero) */
        rm_mem(a, 0, sign, sign ? 0x63 : 0x8b, dst, m, false);
    else
        rm_mem(a, 0, w, (bytes == 1 ? 0x0fb6 : 0x0fb7) + (sign ? 8 : 0), dst, m, false);
}

void x64_store(wb__x64 *a, unsigned bytes, wb__x64_mem m, int src)
{
    if (bytes == 1)
        rm_mem(a, 0, false, 0x88, src, m, true);
    else
        rm_mem(a, bytes == 2 ? 0x66 : 0, bytes == 8, 0x89, src, m, false);
}

void x64_store_i(wb__x64 *a, unsigned bytes, wb__x64_mem m, int32_t imm)
{
    if (bytes == 1) {
        rm_mem(a, 0, false, 0xc6, 0, m, false);
        b1(a, (uint8_t)imm);
    } else if (bytes == 2) {
        rm_mem(a, 0x66, false, 0xc7, 0, m, false);
        b1(a, (uint8_t)imm);
        b1(a, (uint8_t)(imm >> 8));
    } else {
        x64_mov_mi(a, bytes == 8, m, imm);
    }
}

void x64_alu_rr(wb__x64 *a, int op, bool w, int dst, int src) { rm_reg(a, 0, w, (uint32_t)(op << 3 | 1), src, dst, false); }
void x64_alu_rm(wb__x64 *a, int op, bool w, int dst, wb__x64_mem m) { rm_mem(a, 0, w, (uint32_t)(op << 3 | 3), dst, m, false); }

void x64_alu_ri(wb__x64 *a, int op, bool w, int dst, int32_t imm)
{
    if (fits8(imm)) {
        rm_reg(a, 0, w, 0x83, op, dst, false);
        b1(a, (uint8_t)(int8_t)imm);
    } else if (dst == X64_RAX) { /* op eax/rax, imm32 has a form without ModRM */
        opc(a, 0, w, 0, -1, -1, (uint32_t)(op << 3 | 5), false);
        b4(a, (uint32_t)imm);
    } else {
        rm_reg(a, 0, w, 0x81, op, dst, false);
        b4(a, (uint32_t)imm);
    }
}

void x64_alu_mi(wb__x64 *a, int op, bool w, wb__x64_mem m, int32_t imm)
{
    rm_mem(a, 0, w, fits8(imm) ? 0x83 : 0x81, op, m, false);
    if (fits8(imm))
        b1(a, (uint8_t)(int8_t)imm);
    else
        b4(a, (uint32_t)imm);
}

void x64_test_rr(wb__x64 *a, bool w, int r1, int r2) { rm_reg(a, 0, w, 0x85, r2, r1, false); }
void x64_imul_rr(wb__x64 *a, bool w, int dst, int src) { rm_reg(a, 0, w, 0x0faf, dst, src, false); }
void x64_imul_rm(wb__x64 *a, bool w, int dst, wb__x64_mem m) { rm_mem(a, 0, w, 0x0faf, dst, m, false); }
void x64_imul_ri(wb__x64 *a, bool w, int dst, int src, int32_t imm)
{
    if (fits8(imm)) {
        rm_reg(a, 0, w, 0x6b, dst, src, false);
        b1(a, (uint8_t)imm);
    } else {
        rm_reg(a, 0, w, 0x69, dst, src, false);
        b4(a, (uint32_t)imm);
    }
}
void x64_shift_cl(wb__x64 *a, int op, bool w, int reg) { rm_reg(a, 0, w, 0xd3, op, reg, false); }

void x64_shift_ri(wb__x64 *a, int op, bool w, int reg, uint8_t n)
{
    rm_reg(a, 0, w, 0xc1, op, reg, false);
    b1(a, n);
}

void x64_setcc(wb__x64 *a, int cc, int dst)
{
    rm_reg(a, 0, false, 0x0f90 | (uint32_t)cc, 0, dst, true); /* setcc dst8 */
    rm_reg(a, 0, false, 0x0fb6, dst, dst, true);               /* movzx dst32, dst8 */
}

void x64_cmov_rr(wb__x64 *a, int cc, bool w, int dst, int src) { rm_reg(a, 0, w, 0x0f40 | (uint32_t)cc, dst, src, false); }

void x64_push(wb__x64 *a, int reg) { opc(a, 0, false, 0, -1, reg, 0x50 + (reg & 7), false); }
void x64_pop(wb__x64 *a, int reg) { opc(a, 0, false, 0, -1, reg, 0x58 + (reg & 7), false); }
void x64_ret(wb__x64 *a) { b1(a, 0xc3); }
void x64_call_r(wb__x64 *a, int reg) { rm_reg(a, 0, false, 0xff, 2, reg, false); }

uint32_t x64_call_rel(wb__x64 *a)
{
    b1(a, 0xe8);
    uint32_t at = x64_pos(a);
    b4(a, 0);
    return at;
}

void x64_mov_mi(wb__x64 *a, bool w, wb__x64_mem m, int32_t imm)
{
    rm_mem(a, 0, w, 0xc7, 0, m, false);
    b4(a, (uint32_t)imm);
}

uint32_t x64_lea_rip(wb__x64 *a, int reg)
{
    opc(a, 0, true, reg, -1, -1, 0x8d, false);
    b1(a, (uint8_t)(0x05 | (reg & 7) << 3));
    uint32_t at = x64_pos(a);
    b4(a, 0);
    return at;
}

void x64_jmp_r(wb__x64 *a, int reg) { rm_reg(a, 0, false, 0xff, 4, reg, false); }
void x64_movsxd_rm(wb__x64 *a, int dst, wb__x64_mem m) { rm_mem(a, 0, true, 0x63, dst, m, false); }
void x64_data4(wb__x64 *a, uint32_t v) { b4(a, v); }

void x64_rep_stosq(wb__x64 *a)
{
    static const uint8_t op[3] = {0xf3, 0x48, 0xab};
    put(a, op, 3);
}

void x64_rep_movsq(wb__x64 *a)
{
    static const uint8_t op[3] = {0xf3, 0x48, 0xa5};
    put(a, op, 3);
}

uint32_t x64_jmp(wb__x64 *a)
{
    b1(a, 0xe9);
    uint32_t at = x64_pos(a);
    b4(a, 0);
    return at;
}

uint32_t x64_jcc(wb__x64 *a, int cc)
{
    b1(a, 0x0f);
    b1(a, (uint8_t)(0x80 | cc));
    uint32_t at = x64_pos(a);
    b4(a, 0);
    return at;
}

void x64_patch(wb__x64 *a, uint32_t at, uint32_t target)
{
    if (a->bad || (size_t)at + 4 > a->n)
        return;
    int32_t rel = (int32_t)(target - (at + 4));
    memcpy(a->b + at, &rel, 4);
}

/* ---- SSE, and the integer forms of the numeric ops ------------------------------- */

void x64_cdq(wb__x64 *a, bool w) { opc(a, 0, w, 0, -1, -1, 0x99, false); }
void x64_div_r(wb__x64 *a, bool sign, bool w, int src) { rm_reg(a, 0, w, 0xf7, sign ? 7 : 6, src, false); }
void x64_neg_r(wb__x64 *a, bool w, int reg) { rm_reg(a, 0, w, 0xf7, 3, reg, false); }

void x64_movsx_rr(wb__x64 *a, bool w, unsigned bytes, int dst, int src)
{
    if (bytes == 4)
        rm_reg(a, 0, w, 0x63, dst, src, false);
    else
        rm_reg(a, 0, w, bytes == 1 ? 0x0fbe : 0x0fbf, dst, src, bytes == 1);
}

void x64_bits_rr(wb__x64 *a, int op, bool w, int dst, int src)
{
    rm_reg(a, (uint8_t)(op >> 16), w, (uint32_t)op & 0xffff, dst, src, false);
}

void x64_bt_ri(wb__x64 *a, int op, bool w, int reg, uint8_t bit)
{
    rm_reg(a, 0, w, 0x0fba, op, reg, false);
    b1(a, bit);
}

static uint8_t sfx(bool dbl) { return dbl ? 0xf2 : 0xf3; } /* the scalar prefix */

void x64_sse_rr(wb__x64 *a, int op, bool dbl, int dst, int src) { rm_reg(a, sfx(dbl), false, 0x0f00 | (uint32_t)op, dst, src, false); }
void x64_sse_rm(wb__x64 *a, int op, bool dbl, int dst, wb__x64_mem m) { rm_mem(a, sfx(dbl), false, 0x0f00 | (uint32_t)op, dst, m, false); }
void x64_ps_rr(wb__x64 *a, int op, int dst, int src) { rm_reg(a, 0, false, 0x0f00 | (uint32_t)op, dst, src, false); }
void x64_movaps_rr(wb__x64 *a, int dst, int src) { rm_reg(a, 0, false, 0x0f28, dst, src, false); }
void x64_movs_rm(wb__x64 *a, bool dbl, int dst, wb__x64_mem m) { rm_mem(a, sfx(dbl), false, 0x0f10, dst, m, false); }
void x64_movs_mr(wb__x64 *a, bool dbl, wb__x64_mem m, int src) { rm_mem(a, sfx(dbl), false, 0x0f11, src, m, false); }
void x64_movd_xr(wb__x64 *a, bool w, int xmm, int gpr) { rm_reg(a, 0x66, w, 0x0f6e, xmm, gpr, false); }
void x64_movd_rx(wb__x64 *a, bool w, int gpr, int xmm) { rm_reg(a, 0x66, w, 0x0f7e, xmm, gpr, false); }
void x64_ucomis_rr(wb__x64 *a, bool dbl, int x, int y) { rm_reg(a, dbl ? 0x66 : 0, false, 0x0f2e, x, y, false); }

void x64_cmps_rm(wb__x64 *a, bool dbl, int dst, wb__x64_mem m, uint8_t pred)
{
    rm_mem(a, sfx(dbl), false, 0x0fc2, dst, m, false);
    b1(a, pred);
}

void x64_cmps_rr(wb__x64 *a, bool dbl, int dst, int src, uint8_t pred)
{
    rm_reg(a, sfx(dbl), false, 0x0fc2, dst, src, false);
    b1(a, pred);
}

void x64_cvtsi2s(wb__x64 *a, bool dbl, bool w, int xmm, int gpr) { rm_reg(a, sfx(dbl), w, 0x0f2a, xmm, gpr, false); }
void x64_cvtts2si(wb__x64 *a, bool dbl, bool w, int gpr, int xmm) { rm_reg(a, sfx(dbl), w, 0x0f2c, gpr, xmm, false); }

void x64_rounds_rm(wb__x64 *a, bool dbl, int dst, wb__x64_mem m, uint8_t mode)
{
    rm_mem(a, 0x66, false, dbl ? 0x0f3a0b : 0x0f3a0a, dst, m, false);
    b1(a, mode);
}

void x64_rounds_rr(wb__x64 *a, bool dbl, int dst, int src, uint8_t mode)
{
    rm_reg(a, 0x66, false, dbl ? 0x0f3a0b : 0x0f3a0a, dst, src, false);
    b1(a, mode);
}

void x64_movdqu_rm(wb__x64 *a, int dst, wb__x64_mem m) { rm_mem(a, 0xf3, false, 0x0f6f, dst, m, false); }
void x64_movdqu_mr(wb__x64 *a, wb__x64_mem m, int src) { rm_mem(a, 0xf3, false, 0x0f7f, src, m, false); }
void x64_pd_rr(wb__x64 *a, uint32_t op, int dst, int src) { rm_reg(a, 0x66, false, op, dst, src, false); }

void x64_cmpp_rr(wb__x64 *a, bool dbl, int dst, int src, uint8_t pred)
{
    rm_reg(a, dbl ? 0x66 : 0, false, 0x0fc2, dst, src, false);
    b1(a, pred);
}

void x64_pshufd(wb__x64 *a, int dst, int src, uint8_t order)
{
    rm_reg(a, 0x66, false, 0x0f70, dst, src, false);
    b1(a, order);
}

void x64_movmsk(wb__x64 *a, unsigned lane_bytes, int gpr, int xmm)
{
    rm_reg(a, lane_bytes == 4 ? 0 : 0x66, false, lane_bytes == 1 ? 0x0fd7 : 0x0f50, gpr, xmm, false);
}
