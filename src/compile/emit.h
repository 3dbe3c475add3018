/*
 * emit.h - the interface between the compiler's frontend and its emitters.
 *
 *   frontend.c   reads a function body once: validation, the abstract value
 *                stack (where each value lives), blocks and their merges,
 *                fused compare-and-branch; it says what to emit through
 *                wb__emit_ops, and nothing about how
 *   emit_slot.c  the interpreter's slot code (code.h)
 *   emit_x64.c   x86-64 machine code (WASMBOX_JIT=2; first ops), with x64.c
 *                its assembler
 *
 * What the frontend says is an op of the compiled form (code.h) with its
 * operands in the order of its format's roles, so an emitter reads the op
 * table (wb__ops, wb__opformats) rather than knowing op facts of its own.
 *
 * Operands that are locations are frame offsets in bytes, the frame being
 * [params][locals][constants][operand stack]; the constants' and the
 * stack's places are known only at the end of the function, so until
 * finish() they come tagged: WB__LOC_CONST | offset into the constants,
 * WB__LOC_STACK | offset into the operand stack.  Locals are plain offsets.
 *
 * Branches name positions (pos()): a known target is given as its
 * position; a forward one as WB__NO_TARGET, set once known (set_target).
 */
#ifndef WB_COMPILE_EMIT_H
#define WB_COMPILE_EMIT_H

#include "code.h"

#define WB__LOC_CONST 0x40000000u
#define WB__LOC_STACK 0x80000000u
#define WB__LOC_MASK 0xc0000000u
#define WB__NO_TARGET UINT64_MAX

struct wb__comp;
typedef struct wb__emit wb__emit;

typedef struct wb__emit_ops {
    /* Emit op with operands v[], one per role of its format (code.h): a
     * u32 per slot ('r' 'R' 'w' 'W' 'b' 'x') or immediate ('i') half, none
     * for '-', a u64 per whole cell ('DD': target position, 'FF' fuel, 'PP'
     * pointer, 'II' immediate bytes).  BR_TABLE takes its fixed operands;
     * its n + 1 targets are then set one by one.  Returns the op's position. */
    uint32_t (*op)(wb__emit *e, unsigned op, const uint64_t *v);
    /* The position the next op will have. */
    uint32_t (*pos)(wb__emit *e);
    /* Branch `entry` (0, or BR_TABLE's index) of the op at `at` goes to target. */
    void (*set_target)(wb__emit *e, uint32_t at, uint32_t entry, uint32_t target);
    /* Operand idx (as in op()'s v) of the op at `at`: read, and rewrite (a
     * result retargeted to a local). */
    uint32_t (*operand)(wb__emit *e, uint32_t at, unsigned idx);
    void (*set_operand)(wb__emit *e, uint32_t at, unsigned idx, uint32_t v);
    /* Forget the ops from position at on (the last one, fused into the next). */
    void (*rewind)(wb__emit *e, uint32_t at);
    /* The end of the function: tagged locations resolved with the constants
     * at byte cbase and the operand stack at sbase; the code goes to f. */
    void (*finish)(wb__emit *e, wb__func *f, uint32_t cbase, uint32_t sbase);
    void (*free)(wb__emit *e);
} wb__emit_ops;

struct wb__emit {
    const wb__emit_ops *ops;
    struct wb__comp *c;   /* the frontend, for errors */
    const uint32_t *ioff; /* module offset of the instruction being compiled */
};

/* The slot-code emitter (emit_slot.c). */
wb__emit *wb__emit_slot_new(struct wb__comp *c, const uint32_t *ioff);
/* The x86-64 emitter (emit_x64.c), for now beside the slot-code emitter it
 * wraps (its positions are slot's); finish() leaves the machine code in
 * f->x64 for jit.c to map. */
wb__emit *wb__emit_x64_new(struct wb__comp *c, const uint32_t *ioff, wb__emit *slot);

/* The frontend's error funnel (never returns) and buffer growth, for emitters. */
_Noreturn void wb__compile_fail(struct wb__comp *c, wb_result code, const char *why);
void *wb__compile_grow(struct wb__comp *c, void *p, uint32_t *cap, uint32_t need, size_t elem);

#endif
