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
void x64_lea(wb__x64 *a, bool w, int dst, wb__x64_mem m);

void x64_alu_rr(wb__x64 *a, int op, bool w, int dst, int src);
void x64_alu_rm(wb__x64 *a, int op, bool w, int dst, wb__x64_mem m);
void x64_alu_ri(wb__x64 *a, int op, bool w, int dst, int32_t imm);
void x64_alu_mi(wb__x64 *a, int op, bool w, wb__x64_mem m, int32_t imm); /* op [m], imm */
void x64_test_rr(wb__x64 *a, bool w, int r1, int r2);
void x64_imul_rr(wb__x64 *a, bool w, int dst, int src);
void x64_imul_rm(wb__x64 *a, bool w, int dst, wb__x64_mem m);
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
