/*
 * emit_x64.h - the x86-64 emitter's own state and helpers, shared by its
 * files: emit_x64.c (the emit.h interface, control flow, memory, calls,
 * the function's frame) and emit_x64_num.c (numeric ops: integer division,
 * floats, conversions).
 *
 * A translated op reads its operands from their frame slots (or a
 * constant, as an immediate) and writes its result to its slot; an op that
 * cannot go on (a trap, a failed check) leaves to the interpreter at its
 * own cell (wb__x64e_leave), which runs it again and so traps or stops
 * exactly as it would have.
 *
 * Registers: rbx = frame, r12 = memory base, r13 = memory size, r14 = the
 * wb__jit_ctx, r15 = fuel left; rax, rcx, rdx (and the argument registers
 * around a call to C) scratch.
 */
#ifndef WB_COMPILE_EMIT_X64_H
#define WB_COMPILE_EMIT_X64_H

#include "emit.h"
#include "x64.h"

#define MAXV 12 /* operands of the widest format (SIMD_MEM has 9) */

typedef struct {
    uint32_t at; /* the op's position (its cell in the slot code) */
    uint16_t id;
    uint64_t v[MAXV]; /* its operands, as op() took them */
    uint64_t target;  /* a branch's target position, or WB__NO_TARGET */
} xop;

typedef struct {
    uint32_t at;   /* a rel32 */
    uint32_t cell; /* the op it goes to (a branch) or leaves at (an exit) */
} xfix;

typedef struct {
    wb__emit e;
    wb__emit *in; /* the slot-code emitter */
    xop *ops;
    uint32_t nops, cops;
    /* While translating. */
    wb__x64 a;
    xfix *br, *ex;
    uint32_t nbr, cbr, nex, cex;
    uint32_t cbase, sbase;
    const wb__slot *consts;
    const wb__func *f;
    wb__x64_call *calls;
    uint32_t ncalls, ccalls;
    uint32_t ret; /* a ret instruction: callers propagate a callee's leaving there */
} x64_emit;

/* Jumps (cc < 0: always) to the op at cell; leaves to the interpreter at cell. */
void wb__x64e_jump(x64_emit *x, int cc, uint32_t cell);
void wb__x64e_leave(x64_emit *x, int cc, uint32_t cell);

/* Translates a numeric op (emit_x64_num.c); false for one it does not. */
bool wb__x64e_numeric(x64_emit *x, const xop *o);

static inline bool is_const(uint64_t loc) { return ((uint32_t)loc & WB__LOC_MASK) == WB__LOC_CONST; }
static inline uint64_t const_of(x64_emit *x, uint64_t loc) { return x->consts[((uint32_t)loc & ~WB__LOC_MASK) / 8]; }

static inline wb__x64_mem slot(x64_emit *x, uint64_t loc)
{
    uint32_t l = (uint32_t)loc, off = l & ~WB__LOC_MASK;
    if ((l & WB__LOC_MASK) == WB__LOC_CONST)
        off += x->cbase;
    else if ((l & WB__LOC_MASK) == WB__LOC_STACK)
        off += x->sbase;
    return x64_mem(X64_RBX, (int32_t)off);
}

/* reg = the value at loc (w: all 64 bits; else the low 32, zero-extended). */
static inline void load(x64_emit *x, bool w, int reg, uint64_t loc)
{
    if (is_const(loc)) {
        uint64_t v = const_of(x, loc);
        x64_mov_ri(&x->a, reg, w ? v : (uint32_t)v);
    } else {
        x64_mov_rm(&x->a, w, reg, slot(x, loc));
    }
}

/* Slot writes store all 8 bytes, as the interpreter's do. */
static inline void store(x64_emit *x, uint64_t loc, int reg) { x64_mov_mr(&x->a, true, slot(x, loc), reg); }

#endif
