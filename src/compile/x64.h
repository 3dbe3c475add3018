/*
 * x64.h - the x86-64 assembler of the machine-code emitter (issue 15): what
 * an emitter says in instructions and registers, encoded here once (REX,
 * ModRM, SIB, the short forms), so that the emitter never writes bytes.
 *
 * Code goes into a growing buffer; running out of memory sets `bad` and
 * later writes are dropped, so a caller checks once at the end.  Branches
 * leave a rel32 to patch (x64_patch) once the target is known.
 */
#ifndef WB_COMPILE_X64_H
#define WB_COMPILE_X64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wb__x64 {
    uint8_t *b;
    size_t n, cap;
    bool bad; /* out of memory: the code is incomplete */
} wb__x64;

enum {
    X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
    X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15,
};

/* Condition codes (the low nibble of jcc / setcc / cmovcc). */
enum {
    X64_CC_O, X64_CC_NO, X64_CC_B, X64_CC_AE, X64_CC_E, X64_CC_NE, X64_CC_BE, X64_CC_A,
    X64_CC_S, X64_CC_NS, X64_CC_P, X64_CC_NP, X64_CC_L, X64_CC_GE, X64_CC_LE, X64_CC_G,
};

/* The eight classic ALU ops (their /digit in the 0x81 group). */
enum { X64_ADD, X64_OR, X64_ADC, X64_SBB, X64_AND, X64_SUB, X64_XOR, X64_CMP };

/* Shifts and rotates (their /digit in the 0xD3 group). */
enum { X64_ROL = 0, X64_ROR = 1, X64_SHL = 4, X64_SHR = 5, X64_SAR = 7 };

/* A memory operand: [base + index * scale + disp]; index -1 for none. */
typedef struct wb__x64_mem {
    int8_t base, index;
    uint8_t scale; /* 1, 2, 4 or 8 */
    int32_t disp;
} wb__x64_mem;

static inline wb__x64_mem x64_mem(int base, int32_t disp) { return (wb__x64_mem){(int8_t)base, -1, 1, disp}; }
static inline wb__x64_mem x64_mem_idx(int base, int index, uint8_t scale, int32_t disp)
{
    return (wb__x64_mem){(int8_t)base, (int8_t)index, scale, disp};
}

/* w: 64-bit operation (REX.W); otherwise 32-bit, which zero-extends into the
 * whole register. */
void x64_mov_rr(wb__x64 *a, bool w, int dst, int src);
void x64_mov_rm(wb__x64 *a, bool w, int dst, wb__x64_mem m); /* load */
void x64_mov_mr(wb__x64 *a, bool w, wb__x64_mem m, int src); /* store */
void x64_mov_ri(wb__x64 *a, int dst, uint64_t imm);          /* the shortest form for imm */
/* Narrow loads, zero- or sign-extended: bytes 1, 2 (or 4 with sign). */
void x64_load_ext(wb__x64 *a, bool w, bool sign, unsigned bytes, int dst, wb__x64_mem m);
/* Narrow stores: bytes 1, 2, 4 or 8. */
void x64_store(wb__x64 *a, unsigned bytes, wb__x64_mem m, int src);
void x64_store_i(wb__x64 *a, unsigned bytes, wb__x64_mem m, int32_t imm); /* an 8-byte one sign-extends imm */
void x64_lea(wb__x64 *a, bool w, int dst, wb__x64_mem m);

void x64_alu_rr(wb__x64 *a, int op, bool w, int dst, int src);
void x64_alu_rm(wb__x64 *a, int op, bool w, int dst, wb__x64_mem m);
void x64_alu_ri(wb__x64 *a, int op, bool w, int dst, int32_t imm);
void x64_alu_mi(wb__x64 *a, int op, bool w, wb__x64_mem m, int32_t imm); /* op [m], imm */
void x64_test_rr(wb__x64 *a, bool w, int r1, int r2);
void x64_imul_rr(wb__x64 *a, bool w, int dst, int src);
void x64_imul_rm(wb__x64 *a, bool w, int dst, wb__x64_mem m);
void x64_imul_ri(wb__x64 *a, bool w, int dst, int src, int32_t imm); /* dst = src * imm */
void x64_shift_cl(wb__x64 *a, int op, bool w, int reg); /* reg op= cl */
void x64_shift_ri(wb__x64 *a, int op, bool w, int reg, uint8_t n); /* reg op= n */
/* dst = cc ? 1 : 0, the whole register. */
void x64_setcc(wb__x64 *a, int cc, int dst);
void x64_cmov_rr(wb__x64 *a, int cc, bool w, int dst, int src);

void x64_push(wb__x64 *a, int reg);
void x64_pop(wb__x64 *a, int reg);
void x64_ret(wb__x64 *a);
void x64_call_r(wb__x64 *a, int reg);
/* call rel32: the position of its rel32, to patch. */
uint32_t x64_call_rel(wb__x64 *a);
/* mov [m], imm32 (w: sign-extended to 64 bits). */
void x64_mov_mi(wb__x64 *a, bool w, wb__x64_mem m, int32_t imm);
/* lea reg, [rip + disp32]: the position of its disp32, to patch as a rel32. */
uint32_t x64_lea_rip(wb__x64 *a, int reg);
void x64_jmp_r(wb__x64 *a, int reg);
/* movsxd dst, dword [m] */
void x64_movsxd_rm(wb__x64 *a, int dst, wb__x64_mem m);
/* Four bytes of data (a jump table's entry). */
void x64_data4(wb__x64 *a, uint32_t v);
void x64_bytes(wb__x64 *a, const void *p, size_t n); /* code made elsewhere (jit.c joins functions) */
/* rep stosq / rep movsq: rcx quadwords from rax / [rsi] to [rdi]. */
void x64_rep_stosq(wb__x64 *a);
void x64_rep_movsq(wb__x64 *a);

/* Jumps: the position of their rel32, to patch; X64_NONE for no target yet. */
uint32_t x64_jmp(wb__x64 *a);
uint32_t x64_jcc(wb__x64 *a, int cc);
/* The rel32 at `at` reaches `target` (a position in the same buffer). */
void x64_patch(wb__x64 *a, uint32_t at, uint32_t target);

static inline uint32_t x64_pos(const wb__x64 *a) { return (uint32_t)a->n; }

#endif

/* ---- SSE, and the integer forms of the numeric ops (emit_x64_num.c) ---------------- */

/* rdx:rax (edx:eax) = rax sign-extended: cqo (w) or cdq. */
void x64_cdq(wb__x64 *a, bool w);
/* rax = rdx:rax / src, rdx = the remainder: idiv (sign) or div. */
void x64_div_r(wb__x64 *a, bool sign, bool w, int src);
void x64_neg_r(wb__x64 *a, bool w, int reg);
/* dst = src sign-extended from bytes 1, 2 or 4 (movsx, movsxd). */
void x64_movsx_rr(wb__x64 *a, bool w, unsigned bytes, int dst, int src);

/* Bit scans and counts, dst = op(src): the prefix (if any) << 16 | the
 * opcode.  lzcnt and tzcnt run as bsr and bsf on a CPU without them. */
enum {
    X64_BSF = 0x0fbc,
    X64_BSR = 0x0fbd,
    X64_POPCNT = 0xf30fb8,
    X64_TZCNT = 0xf30fbc,
    X64_LZCNT = 0xf30fbd,
};
void x64_bits_rr(wb__x64 *a, int op, bool w, int dst, int src);
/* Bit tests (their /digit in 0x0f 0xba): CF = the bit, then set / reset / complement it. */
enum { X64_BT = 4, X64_BTS = 5, X64_BTR = 6, X64_BTC = 7 };
void x64_bt_ri(wb__x64 *a, int op, bool w, int reg, uint8_t bit);

/* XMM registers are numbered 0-15 like the general ones.  Scalar ops (dbl:
 * the sd form, else ss), dst op= src: the low lane only, the rest of dst
 * kept.  X64_CVTS converts this width to the other (cvtss2sd for ss). */
enum {
    X64_SQRTS = 0x51,
    X64_ADDS = 0x58,
    X64_MULS = 0x59,
    X64_CVTS = 0x5a,
    X64_SUBS = 0x5c,
    X64_MINS = 0x5d,
    X64_DIVS = 0x5e,
    X64_MAXS = 0x5f,
};
void x64_sse_rr(wb__x64 *a, int op, bool dbl, int dst, int src);
void x64_sse_rm(wb__x64 *a, int op, bool dbl, int dst, wb__x64_mem m);
/* Bitwise ops on the whole register (the ps forms). */
enum { X64_ANDPS = 0x54, X64_ANDNPS = 0x55, X64_ORPS = 0x56, X64_XORPS = 0x57 };
void x64_ps_rr(wb__x64 *a, int op, int dst, int src);
void x64_movaps_rr(wb__x64 *a, int dst, int src);
/* movss / movsd: a load zeroes the rest of dst; a store writes 4 / 8 bytes. */
void x64_movs_rm(wb__x64 *a, bool dbl, int dst, wb__x64_mem m);
void x64_movs_mr(wb__x64 *a, bool dbl, wb__x64_mem m, int src);
/* movd / movq (w) between an XMM register's low lane and a general one; to
 * a general register a movd zero-extends. */
void x64_movd_xr(wb__x64 *a, bool w, int xmm, int gpr);
void x64_movd_rx(wb__x64 *a, bool w, int gpr, int xmm);
/* Flags of x - y: ZF, PF, CF as an unsigned compare; unordered sets all three. */
void x64_ucomis_rr(wb__x64 *a, bool dbl, int x, int y);
/* dst = all ones if dst pred src else 0 (cmpss / cmpsd): pred 0 eq, 1 lt,
 * 2 le, 3 unordered, 4 neq, 5 nlt, 6 nle, 7 ordered. */
void x64_cmps_rm(wb__x64 *a, bool dbl, int dst, wb__x64_mem m, uint8_t pred);
void x64_cmps_rr(wb__x64 *a, bool dbl, int dst, int src, uint8_t pred);
/* xmm = the integer in gpr (w: 64 bits, else 32), signed, rounded as MXCSR says. */
void x64_cvtsi2s(wb__x64 *a, bool dbl, bool w, int xmm, int gpr);
/* gpr = xmm truncated toward zero; NaN or out of range gives INT_MIN of the width. */
void x64_cvtts2si(wb__x64 *a, bool dbl, bool w, int gpr, int xmm);
/* roundss / roundsd (SSE4.1) from memory: mode 0 nearest even, 1 down, 2 up, 3 toward zero. */
void x64_rounds_rm(wb__x64 *a, bool dbl, int dst, wb__x64_mem m, uint8_t mode);
void x64_rounds_rr(wb__x64 *a, bool dbl, int dst, int src, uint8_t mode);

/* ---- packed (SIMD, emit_x64_simd.c): a v128 in a whole xmm register ---- */

/* movdqu: 16 bytes at any alignment (a v128's frame slots are 8-aligned). */
void x64_movdqu_rm(wb__x64 *a, int dst, wb__x64_mem m);
void x64_movdqu_mr(wb__x64 *a, wb__x64_mem m, int src);
/* dst op= src, lane-wise: the 66-prefixed forms (integer lanes, and the pd
 * form of a ps opcode: 0x0f00 | X64_ADDS is addpd); 0x0f38xx are SSSE3 and
 * SSE4.1's.  The ps forms are x64_ps_rr's (X64_SUBS there is subps). */
enum {
    X64_PACKSSWB = 0x0f63, X64_PCMPGTB = 0x0f64, X64_PCMPGTW = 0x0f65, X64_PCMPGTD = 0x0f66,
    X64_PACKUSWB = 0x0f67, X64_PACKSSDW = 0x0f6b, X64_PUNPCKLQDQ = 0x0f6c,
    X64_PCMPEQB = 0x0f74, X64_PCMPEQW = 0x0f75, X64_PCMPEQD = 0x0f76,
    X64_PSRLW = 0x0fd1, X64_PSRLD = 0x0fd2, X64_PSRLQ = 0x0fd3, X64_PADDQ = 0x0fd4, X64_PMULLW = 0x0fd5,
    X64_PSUBUSB = 0x0fd8, X64_PSUBUSW = 0x0fd9, X64_PMINUB = 0x0fda, X64_PAND = 0x0fdb,
    X64_PADDUSB = 0x0fdc, X64_PADDUSW = 0x0fdd, X64_PMAXUB = 0x0fde, X64_PANDN = 0x0fdf,
    X64_PAVGB = 0x0fe0, X64_PSRAW = 0x0fe1, X64_PSRAD = 0x0fe2, X64_PAVGW = 0x0fe3,
    X64_PSUBSB = 0x0fe8, X64_PSUBSW = 0x0fe9, X64_PMINSW = 0x0fea, X64_POR = 0x0feb,
    X64_PADDSB = 0x0fec, X64_PADDSW = 0x0fed, X64_PMAXSW = 0x0fee, X64_PXOR = 0x0fef,
    X64_PSLLW = 0x0ff1, X64_PSLLD = 0x0ff2, X64_PSLLQ = 0x0ff3, X64_PMADDWD = 0x0ff5,
    X64_PSUBB = 0x0ff8, X64_PSUBW = 0x0ff9, X64_PSUBD = 0x0ffa, X64_PSUBQ = 0x0ffb,
    X64_PADDB = 0x0ffc, X64_PADDW = 0x0ffd, X64_PADDD = 0x0ffe,
    X64_PSHUFB = 0x0f3800, X64_PABSB = 0x0f381c, X64_PABSW = 0x0f381d, X64_PABSD = 0x0f381e,
    X64_PCMPEQQ = 0x0f3829, X64_PACKUSDW = 0x0f382b,
    X64_PMINSB = 0x0f3838, X64_PMINSD = 0x0f3839, X64_PMINUW = 0x0f383a, X64_PMINUD = 0x0f383b,
    X64_PMAXSB = 0x0f383c, X64_PMAXSD = 0x0f383d, X64_PMAXUW = 0x0f383e, X64_PMAXUD = 0x0f383f,
    X64_PMULLD = 0x0f3840,
};
void x64_pd_rr(wb__x64 *a, uint32_t op, int dst, int src);
/* cmpps / cmppd dst, src, pred: each lane as x64_cmps_rr's. */
void x64_cmpp_rr(wb__x64 *a, bool dbl, int dst, int src, uint8_t pred);
/* pshufd dst, src, order: dst's dword i = src's dword (order >> 2i) & 3. */
void x64_pshufd(wb__x64 *a, int dst, int src, uint8_t order);
/* gpr = the top bit of each of xmm's lanes of lane_bytes 1 (pmovmskb),
 * 4 (movmskps) or 8 (movmskpd), lane 0 in bit 0. */
void x64_movmsk(wb__x64 *a, unsigned lane_bytes, int gpr, int xmm);
