/*
 * code.h - the compiled form of a function ("slot code"), shared by the
 * compiler (compile/), the interpreter (interp.c) and jit.c.
 *
 * A function's frame is a run of 8-byte slots on the engine's value stack:
 *
 *     fp -> [params][locals][constants][operand stack ...]
 *
 * Every wasm operand-stack position has a slot fixed at compile time, so an
 * instruction names its operands as byte offsets from fp ("a", "b") and its
 * result likewise ("d"); a local.get or a constant costs no instruction (the
 * consumer reads the local's or the constant's slot directly).  Code is an
 * array of 8-byte cells: the first cell of an instruction holds the address of
 * its handler (computed-goto dispatch), the rest its operands:
 *
 *     [op][a|b][d|x]      two u32 per cell
 *     [op][delta]         branches: signed cell distance from the op cell
 *     [op][...][fuel]     back-edges: fuel charged when taken (0: forward)
 *
 * Calls place arguments in consecutive slots at the top of the caller's
 * operand stack ("base"); the callee's frame starts there, and its results are
 * left at its slot 0 onwards, which is exactly where the caller expects them.
 *
 * Formats (the comment after each op, cells after the op cell):
 *   U   [a|d]                 d = op a
 *   B   [a|b][d|-]            d = a op b
 *   L   [addr|d][offset|-]    d = load(mem[addr + offset])
 *   S   [addr|v][offset|-]    store(mem[addr + offset], v)
 */
#ifndef WB_CODE_H
#define WB_CODE_H

#include "internal.h"

/* Numeric instructions with a one-byte opcode: U(name, opcode, in, out) for
 * unary, B(name, opcode, in, out) for binary (both operands of type in).
 * ORDER: none; the opcode is in the entry. */
#define WB__NUMERIC_OPS(U, B)                                                                    \
    U(I32_EQZ, 0x45, I32, I32)                                                                   \
    B(I32_EQ, 0x46, I32, I32) B(I32_NE, 0x47, I32, I32) B(I32_LT_S, 0x48, I32, I32)               \
    B(I32_LT_U, 0x49, I32, I32) B(I32_GT_S, 0x4a, I32, I32) B(I32_GT_U, 0x4b, I32, I32)           \
    B(I32_LE_S, 0x4c, I32, I32) B(I32_LE_U, 0x4d, I32, I32) B(I32_GE_S, 0x4e, I32, I32)           \
    B(I32_GE_U, 0x4f, I32, I32)                                                                  \
    U(I64_EQZ, 0x50, I64, I32)                                                                   \
    B(I64_EQ, 0x51, I64, I32) B(I64_NE, 0x52, I64, I32) B(I64_LT_S, 0x53, I64, I32)               \
    B(I64_LT_U, 0x54, I64, I32) B(I64_GT_S, 0x55, I64, I32) B(I64_GT_U, 0x56, I64, I32)           \
    B(I64_LE_S, 0x57, I64, I32) B(I64_LE_U, 0x58, I64, I32) B(I64_GE_S, 0x59, I64, I32)           \
    B(I64_GE_U, 0x5a, I64, I32)                                                                  \
    B(F32_EQ, 0x5b, F32, I32) B(F32_NE, 0x5c, F32, I32) B(F32_LT, 0x5d, F32, I32)                 \
    B(F32_GT, 0x5e, F32, I32) B(F32_LE, 0x5f, F32, I32) B(F32_GE, 0x60, F32, I32)                 \
    B(F64_EQ, 0x61, F64, I32) B(F64_NE, 0x62, F64, I32) B(F64_LT, 0x63, F64, I32)                 \
    B(F64_GT, 0x64, F64, I32) B(F64_LE, 0x65, F64, I32) B(F64_GE, 0x66, F64, I32)                 \
    U(I32_CLZ, 0x67, I32, I32) U(I32_CTZ, 0x68, I32, I32) U(I32_POPCNT, 0x69, I32, I32)           \
    B(I32_ADD, 0x6a, I32, I32) B(I32_SUB, 0x6b, I32, I32) B(I32_MUL, 0x6c, I32, I32)              \
    B(I32_DIV_S, 0x6d, I32, I32) B(I32_DIV_U, 0x6e, I32, I32) B(I32_REM_S, 0x6f, I32, I32)        \
    B(I32_REM_U, 0x70, I32, I32) B(I32_AND, 0x71, I32, I32) B(I32_OR, 0x72, I32, I32)             \
    B(I32_XOR, 0x73, I32, I32) B(I32_SHL, 0x74, I32, I32) B(I32_SHR_S, 0x75, I32, I32)            \
    B(I32_SHR_U, 0x76, I32, I32) B(I32_ROTL, 0x77, I32, I32) B(I32_ROTR, 0x78, I32, I32)          \
    U(I64_CLZ, 0x79, I64, I64) U(I64_CTZ, 0x7a, I64, I64) U(I64_POPCNT, 0x7b, I64, I64)           \
    B(I64_ADD, 0x7c, I64, I64) B(I64_SUB, 0x7d, I64, I64) B(I64_MUL, 0x7e, I64, I64)              \
    B(I64_DIV_S, 0x7f, I64, I64) B(I64_DIV_U, 0x80, I64, I64) B(I64_REM_S, 0x81, I64, I64)        \
    B(I64_REM_U, 0x82, I64, I64) B(I64_AND, 0x83, I64, I64) B(I64_OR, 0x84, I64, I64)             \
    B(I64_XOR, 0x85, I64, I64) B(I64_SHL, 0x86, I64, I64) B(I64_SHR_S, 0x87, I64, I64)            \
    B(I64_SHR_U, 0x88, I64, I64) B(I64_ROTL, 0x89, I64, I64) B(I64_ROTR, 0x8a, I64, I64)          \
    U(F32_ABS, 0x8b, F32, F32) U(F32_NEG, 0x8c, F32, F32) U(F32_CEIL, 0x8d, F32, F32)             \
    U(F32_FLOOR, 0x8e, F32, F32) U(F32_TRUNC, 0x8f, F32, F32) U(F32_NEAREST, 0x90, F32, F32)      \
    U(F32_SQRT, 0x91, F32, F32)                                                                  \
    B(F32_ADD, 0x92, F32, F32) B(F32_SUB, 0x93, F32, F32) B(F32_MUL, 0x94, F32, F32)              \
    B(F32_DIV, 0x95, F32, F32) B(F32_MIN, 0x96, F32, F32) B(F32_MAX, 0x97, F32, F32)              \
    B(F32_COPYSIGN, 0x98, F32, F32)                                                              \
    U(F64_ABS, 0x99, F64, F64) U(F64_NEG, 0x9a, F64, F64) U(F64_CEIL, 0x9b, F64, F64)             \
    U(F64_FLOOR, 0x9c, F64, F64) U(F64_TRUNC, 0x9d, F64, F64) U(F64_NEAREST, 0x9e, F64, F64)      \
    U(F64_SQRT, 0x9f, F64, F64)                                                                  \
    B(F64_ADD, 0xa0, F64, F64) B(F64_SUB, 0xa1, F64, F64) B(F64_MUL, 0xa2, F64, F64)              \
    B(F64_DIV, 0xa3, F64, F64) B(F64_MIN, 0xa4, F64, F64) B(F64_MAX, 0xa5, F64, F64)              \
    B(F64_COPYSIGN, 0xa6, F64, F64)                                                              \
    U(I32_TRUNC_F32_S, 0xa8, F32, I32) U(I32_TRUNC_F32_U, 0xa9, F32, I32)                         \
    U(I32_TRUNC_F64_S, 0xaa, F64, I32) U(I32_TRUNC_F64_U, 0xab, F64, I32)                         \
    U(I64_EXTEND_I32_S, 0xac, I32, I64) U(I64_EXTEND_I32_U, 0xad, I32, I64)                       \
    U(I64_TRUNC_F32_S, 0xae, F32, I64) U(I64_TRUNC_F32_U, 0xaf, F32, I64)                         \
    U(I64_TRUNC_F64_S, 0xb0, F64, I64) U(I64_TRUNC_F64_U, 0xb1, F64, I64)                         \
    U(F32_CONVERT_I32_S, 0xb2, I32, F32) U(F32_CONVERT_I32_U, 0xb3, I32, F32)                     \
    U(F32_CONVERT_I64_S, 0xb4, I64, F32) U(F32_CONVERT_I64_U, 0xb5, I64, F32)                     \
    U(F32_DEMOTE_F64, 0xb6, F64, F32)                                                            \
    U(F64_CONVERT_I32_S, 0xb7, I32, F64) U(F64_CONVERT_I32_U, 0xb8, I32, F64)                     \
    U(F64_CONVERT_I64_S, 0xb9, I64, F64) U(F64_CONVERT_I64_U, 0xba, I64, F64)                     \
    U(F64_PROMOTE_F32, 0xbb, F32, F64)                                                           \
    U(I32_EXTEND8_S, 0xc0, I32, I32) U(I32_EXTEND16_S, 0xc1, I32, I32)                            \
    U(I64_EXTEND8_S, 0xc2, I64, I64) U(I64_EXTEND16_S, 0xc3, I64, I64)                            \
    U(I64_EXTEND32_S, 0xc4, I64, I64)

/* 0xFC 0..7, the non-trapping conversions: (name, sub-opcode, in, out). */
#define WB__SAT_OPS(U)                                                                           \
    U(I32_TRUNC_SAT_F32_S, 0, F32, I32) U(I32_TRUNC_SAT_F32_U, 1, F32, I32)                       \
    U(I32_TRUNC_SAT_F64_S, 2, F64, I32) U(I32_TRUNC_SAT_F64_U, 3, F64, I32)                       \
    U(I64_TRUNC_SAT_F32_S, 4, F32, I64) U(I64_TRUNC_SAT_F32_U, 5, F32, I64)                       \
    U(I64_TRUNC_SAT_F64_S, 6, F64, I64) U(I64_TRUNC_SAT_F64_U, 7, F64, I64)

/* Loads and stores: (name, opcode, value type, bytes, log2 natural alignment). */
#define WB__MEM_OPS(L, S)                                                                        \
    L(I32_LOAD, 0x28, I32, 4, 2) L(I64_LOAD, 0x29, I64, 8, 3)                                     \
    L(F32_LOAD, 0x2a, F32, 4, 2) L(F64_LOAD, 0x2b, F64, 8, 3)                                     \
    L(I32_LOAD8_S, 0x2c, I32, 1, 0) L(I32_LOAD8_U, 0x2d, I32, 1, 0)                               \
    L(I32_LOAD16_S, 0x2e, I32, 2, 1) L(I32_LOAD16_U, 0x2f, I32, 2, 1)                             \
    L(I64_LOAD8_S, 0x30, I64, 1, 0) L(I64_LOAD8_U, 0x31, I64, 1, 0)                               \
    L(I64_LOAD16_S, 0x32, I64, 2, 1) L(I64_LOAD16_U, 0x33, I64, 2, 1)                             \
    L(I64_LOAD32_S, 0x34, I64, 4, 2) L(I64_LOAD32_U, 0x35, I64, 4, 2)                             \
    S(I32_STORE, 0x36, I32, 4, 2) S(I64_STORE, 0x37, I64, 8, 3)                                   \
    S(F32_STORE, 0x38, F32, 4, 2) S(F64_STORE, 0x39, F64, 8, 3)                                   \
    S(I32_STORE8, 0x3a, I32, 1, 0) S(I32_STORE16, 0x3b, I32, 2, 1)                                \
    S(I64_STORE8, 0x3c, I64, 1, 0) S(I64_STORE16, 0x3d, I64, 2, 1)                                \
    S(I64_STORE32, 0x3e, I64, 4, 2)

/* Fused compare-and-branch: (name, the compare it fuses).  [a|b][delta][fuel].
 * Conditional branches carry a fuel cell: non-zero on loop back-edges, where
 * taking the branch charges the loop body's cost and checks the interrupt. */
#define WB__BRCMP_OPS(X)                                                                         \
    X(BR_I32_EQ, I32_EQ) X(BR_I32_NE, I32_NE) X(BR_I32_LT_S, I32_LT_S) X(BR_I32_LT_U, I32_LT_U)   \
    X(BR_I32_GT_S, I32_GT_S) X(BR_I32_GT_U, I32_GT_U) X(BR_I32_LE_S, I32_LE_S)                    \
    X(BR_I32_LE_U, I32_LE_U) X(BR_I32_GE_S, I32_GE_S) X(BR_I32_GE_U, I32_GE_U)                    \
    X(BR_I64_EQ, I64_EQ) X(BR_I64_NE, I64_NE) X(BR_I64_LT_S, I64_LT_S) X(BR_I64_LT_U, I64_LT_U)   \
    X(BR_I64_GT_S, I64_GT_S) X(BR_I64_GT_U, I64_GT_U) X(BR_I64_LE_S, I64_LE_S)                    \
    X(BR_I64_LE_U, I64_LE_U) X(BR_I64_GE_S, I64_GE_S) X(BR_I64_GE_U, I64_GE_U)

/* Operand layouts of the compiled form, named once: F(name, roles, delta, fuel).
 * `roles` has one character per half cell after the op cell (two per cell),
 * so an op of this format takes 1 + strlen(roles) / 2 cells:
 *   r  a slot read              R  two slots read (v128)
 *   w  a slot written           W  two slots written (v128)
 *   b  a call's base: its arguments from there on, its results back there
 *   i  a u32 immediate (an index, an offset, a count)
 *   -  unused half
 *   DD a branch delta (i64 cell distance from the op cell)
 *   FF fuel charged when the branch is taken (u64; 0 on forward branches)
 *   PP a pointer (the callee's wb__func, a wb__simd_fn)
 *   II eight bytes of immediate (a SIMD op's lane bytes)
 *   x  an operand of a SIMD op, as wb__simd_ops says (which, and how wide)
 * `delta` and `fuel` are the indexes of those cells (0: none).  BR_TABLE's
 * roles are its fixed part; its n + 1 delta cells follow, from cell `delta`
 * (n = cell 1's b).
 * tests/unit/ops.c checks that each row agrees with itself. */
#define WB__OP_FORMATS(F)                                                                        \
    F(NONE, "", 0, 0)                                                                            \
    F(BR, "DD", 1, 0)                                                                            \
    F(BR_LOOP, "DDFF", 1, 2)                                                                     \
    F(BR_COND, "r-DDFF", 2, 3)                                                                   \
    F(BR_CMP, "rrDDFF", 2, 3)                                                                    \
    F(BR_TABLE, "ri", 2, 0)                                                                      \
    F(R, "r-", 0, 0)                                                                             \
    F(W, "w-", 0, 0)                                                                             \
    F(I, "i-", 0, 0)                                                                             \
    F(RW, "rw", 0, 0)                                                                            \
    F(RW2, "RW", 0, 0)                                                                           \
    F(RRW, "rrw-", 0, 0)                                                                         \
    F(RRR, "rrr-", 0, 0)                                                                         \
    F(RRRW, "rrrw", 0, 0)                                                                        \
    F(RRRW2, "RRrW", 0, 0)                                                                       \
    F(RRW2, "RRW-", 0, 0)                                                                        \
    F(R2W, "R-w-", 0, 0)                                                                         \
    F(IW, "iw", 0, 0)                                                                            \
    F(IR, "ir", 0, 0)                                                                            \
    F(IW2, "iW", 0, 0)                                                                           \
    F(IR2, "iR", 0, 0)                                                                           \
    F(IRW, "irw-", 0, 0)                                                                         \
    F(IRR, "irr-", 0, 0)                                                                         \
    F(IRRW, "irrw", 0, 0)                                                                        \
    F(IRRR, "irrr", 0, 0)                                                                        \
    F(IIRRR, "iirrr-", 0, 0)                                                                     \
    F(LOAD, "rwi-", 0, 0)                                                                        \
    F(STORE, "rri-", 0, 0)                                                                       \
    F(LOAD2, "rWi-", 0, 0)                                                                       \
    F(STORE2, "rRi-", 0, 0)                                                                      \
    F(CALL, "PPb-", 0, 0)                                                                        \
    F(CALL_IMPORT, "ib", 0, 0)                                                                   \
    F(CALL_INDIRECT, "iirb", 0, 0)                                                               \
    F(SIMD, "PPxxxxIIII", 0, 0)                                                                  \
    F(SIMD_MEM, "PPxxxxiiIIII", 0, 0)

/* Op flags. */
#define WB__OPF_END 1  /* control never goes on to the next op */
#define WB__OPF_CALL 2 /* calls a function (a frame is pushed) */

/* Every other instruction of the compiled form: X(name, format, flags), with
 * its cells and semantics. */
#define WB__CONTROL_OPS(X)                                                                       \
    X(UNREACHABLE, NONE, WB__OPF_END)      /* -                     trap */                      \
    X(BR, BR, WB__OPF_END)                 /* [delta]               pc += delta */               \
    X(BR_IF, BR_COND, 0)                   /* [c|-][delta][fuel]    if c: pc += delta */         \
    X(BR_UNLESS, BR_COND, 0)               /* [c|-][delta][fuel]    if !c: pc += delta */        \
    X(BR_LOOP, BR_LOOP, WB__OPF_END)       /* [delta][fuel]         back-edge: charge, check */  \
    X(BR_TABLE, BR_TABLE, WB__OPF_END)     /* [i|n][delta]*(n+1)    pc += delta[min(i, n)] */    \
    X(RETURN, NONE, WB__OPF_END)           /* -                     results already at fp[0..] */\
    X(RETURN1, R, WB__OPF_END)             /* [a|-]                 fp[0] = a; return */         \
    X(CALL, CALL, WB__OPF_CALL)            /* [wb__func*][base|-]   call a defined function */   \
    X(CALL_IMPORT, CALL_IMPORT, WB__OPF_CALL)     /* [idx|base]     call imported function idx */\
    X(CALL_INDIRECT, CALL_INDIRECT, WB__OPF_CALL) /* [table|type][i|base] table[i], type-checked */\
    X(COPY, RW, 0)                         /* [a|d]                 one slot */                  \
    X(COPY2, RW2, 0)                       /* [a|d]                 two slots (v128) */          \
    X(SELECT, RRRW, 0)                     /* [a|b][c|d]            d = c ? a : b */             \
    X(SELECT2, RRRW2, 0)                   /* [a|b][c|d]            v128 */                      \
    X(GLOBAL_GET, IW, 0)                   /* [idx|d] */                                         \
    X(GLOBAL_SET, IR, 0)                   /* [idx|a] */                                         \
    X(GLOBAL_GET2, IW2, 0)                 /* [idx|d]               v128 */                      \
    X(GLOBAL_SET2, IR2, 0)                 /* [idx|a] */                                         \
    X(REF_IS_NULL, RW, 0)                  /* [a|d] */                                           \
    X(REF_FUNC, IW, 0)                     /* [idx|d] */                                         \
    X(TABLE_GET, IRW, 0)                   /* [table|i][d|-] */                                  \
    X(TABLE_SET, IRR, 0)                   /* [table|i][v|-] */                                  \
    X(TABLE_SIZE, IW, 0)                   /* [table|d] */                                       \
    X(TABLE_GROW, IRRW, 0)                 /* [table|v][n|d] */                                  \
    X(TABLE_FILL, IRRR, 0)                 /* [table|i][v|n] */                                  \
    X(TABLE_COPY, IIRRR, 0)                /* [dt|st][d|s][n|-] */                               \
    X(TABLE_INIT, IIRRR, 0)                /* [table|seg][d|s][n|-] */                           \
    X(ELEM_DROP, I, 0)                     /* [seg|-] */                                         \
    X(MEMORY_SIZE, W, 0)                   /* [d|-] */                                           \
    X(MEMORY_GROW, RW, 0)                  /* [a|d] */                                           \
    X(MEMORY_FILL, RRR, 0)                 /* [d|v][n|-] */                                      \
    X(MEMORY_COPY, RRR, 0)                 /* [d|s][n|-] */                                      \
    X(MEMORY_INIT, IRRR, 0)                /* [seg|d][s|n] */                                    \
    X(DATA_DROP, I, 0)                     /* [seg|-] */                                         \
    X(SIMD, SIMD, 0)          /* [fn][a|b][c|d][imm 16 bytes]     pure SIMD op via wb__simd_fn */  \
    X(SIMD_MEM, SIMD_MEM, 0)  /* [fn][a|b][c|d][offset|bytes][imm 16] SIMD load/store kinds */     \
    X(V128_LOAD, LOAD2, 0)                 /* [addr|d][offset|-]    v128.load */                 \
    X(V128_STORE, STORE2, 0)               /* [addr|v][offset|-]    v128.store */                \
    X(V128_AND, RRW2, 0)                   /* [a|b][d|-]  v128.and (and the next three) */       \
    X(V128_ANDNOT, RRW2, 0)                                                                      \
    X(V128_OR, RRW2, 0)                                                                          \
    X(V128_XOR, RRW2, 0)                                                                         \
    X(V128_ANY_TRUE, R2W, 0)               /* [a|-][d|-]            i32 result */                \
    X(I8X16_BITMASK, R2W, 0)               /* [a|-][d|-] */                                      \
    X(JIT_ENTER, NONE, 0) /* -  replaces cell 0's handler when the function has machine code */  \
    X(END_OF_OPS, NONE, WB__OPF_END)

enum wb__opid {
#define X(name, ...) WB__OP_##name,
    WB__CONTROL_OPS(X)
    WB__NUMERIC_OPS(X, X)
    WB__SAT_OPS(X)
    WB__MEM_OPS(X, X)
    WB__BRCMP_OPS(X)
#undef X
    WB__OP_COUNT
};

enum wb__opformat_id {
#define F(name, ...) WB__FMT_##name,
    WB__OP_FORMATS(F)
#undef F
    WB__FMT_COUNT
};

/* What every pass knows of an op, and nothing else: the table (code.c). */
typedef struct wb__opformat {
    const char *roles; /* as in WB__OP_FORMATS */
    uint8_t cells;     /* the op cell and its operand cells (BR_TABLE: the fixed part) */
    uint8_t delta;     /* cell of the branch delta, or 0 */
    uint8_t fuel;      /* cell of the fuel charged when the branch is taken, or 0 */
} wb__opformat;

typedef struct wb__opinfo {
    const char *name; /* "I32_ADD" */
    uint8_t format;   /* WB__FMT_* */
    uint8_t flags;    /* WB__OPF_* */
    uint16_t wasm;    /* numeric, loads, stores: the opcode (0xFC00 | sub for 0xFC ops), else 0 */
    uint8_t in, out;  /* numeric: operand and result types; loads: i32 and the value's type;
                       * stores: the value's type and 0 (fused compares: see cmp) */
    uint8_t bytes;    /* loads and stores: bytes accessed */
    uint16_t cmp;     /* fused compare-and-branch: the compare it fuses (a wb__opid) */
} wb__opinfo;

extern const wb__opinfo wb__ops[WB__OP_COUNT];
extern const wb__opformat wb__opformats[WB__FMT_COUNT];

static inline const wb__opformat *wb__op_format(unsigned id) { return &wb__opformats[wb__ops[id].format]; }

/* Cells of the op `id` at pc (op cell included). */
static inline uint32_t wb__op_cells(unsigned id, const wb__cell *pc)
{
    uint32_t n = wb__op_format(id)->cells;
    return id == WB__OP_BR_TABLE ? n + pc[1].p.b + 1 : n;
}

/* Slot code as the compiler leaves it holds each op's wb__opid in its op
 * cell; wb__interp_link (interp.c) turns those into handler addresses when
 * the module is loaded, after jit.c read them.  Nothing but the
 * interpreter's dispatch depends on the handlers. */

/* The handler address of every op, indexed by wb__opid (interp.c's
 * dispatch; nothing else reads it). */
const void *const *wb__op_handlers(void);

/* What machine code returns when the function returned (its results in
 * slots 0..), instead of a cell index. */
#define WB__JIT_RETURNED UINT32_MAX

/* A call site in machine code: what its frame pushes in place of the
 * return address, which with the caller the record holds (one store less
 * a call). */
typedef struct wb__site {
    const wb__cell *pc;
    const struct wb__func *fn;
} wb__site;

/* A frame of the engine's frame stack: the caller's state, pushed by a call
 * (the interpreter's, or compiled code's calling a compiled function). */
typedef struct wb__frame {
    union {
        const wb__cell *pc;    /* return address; NULL for the host's entry */
        const wb__site *site;  /* machine code pushes this instead (and no fn) */
    };
    union {
        uint32_t fp; /* caller's frame, slot index in the value stack */
        char *fpb;   /* the same as a pointer, as machine code pushes it (and
                      * no fn or inst: the interpreter fills both in when it
                      * takes over, interp.c's take_frames) */
    };
    const struct wb__func *fn; /* machine code's call into another instance: WB__FRAME_CROSS */
    wb_instance *inst;         /*   and then the caller's instance */
} wb__frame;

/* The mark of a frame machine code pushed for a call into another instance
 * (never a function's address): the frames above it are that instance's,
 * the frame and those below it the caller's instance, which it holds. */
#define WB__FRAME_CROSS ((const struct wb__func *)(uintptr_t)1)

/* Machine code of a function (jit.c): entered with the frame, the memory
 * and its size, and this context; returns the cell index of the op at which
 * the interpreter goes on, or WB__JIT_RETURNED.
 *
 * Compiled functions call each other directly (compile/emit_x64.c), pushing
 * engine frames as the interpreter does, within what is allocated: frames
 * below frames_end, values below stack_end (neither array moves while
 * machine code runs).  When machine code leaves to the interpreter from a
 * callee, every compiled caller returns at once and fn / fpb say in which
 * function and frame the interpreter goes on; the callers' frames are on
 * the frame stack with their return cells, so the interpreter finishes
 * each of them. */
typedef struct wb__jit_ctx {
    int64_t fuel;               /* in: fuel left; out: after what ran */
    const volatile int *ext;    /* the call's interrupt flag */
    const volatile int *ireq;   /* wb_call_interrupt's flag */
    wb_instance *inst;
    wb__frame *frames;          /* the engine's frame stack */
    uint32_t nframes;           /* in and out */
    char *stack;                /* the value stack: frame slot indexes count from here */
    char *stack_end;            /* a callee's frame must end at or below */
    const struct wb__func *fn;  /* out, on leaving (set on every way out): the function to go on in */
    char *fpb;                  /*   and its frame */
    wb_call *call;              /* for the C helpers of compile/emit_x64_rt.c */
    const void *resume;         /* in, for the entry at a loop's head: where */
    wb__frame *frames_end;      /* a call with its frame at or past this leaves (to grow or trap) */
    int64_t reserve;            /* fuel beyond `fuel`: see wb__jit_set_fuel */
} wb__jit_ctx;

/* The fuel machine code runs with: at most WB_JIT_FUEL_CHUNK of it in
 * ctx->fuel (r15), the rest in ctx->reserve.  Where r15 goes negative, the
 * machine code looks at the interrupt flags and, if neither is up, takes
 * the next chunk and goes on; so it need not look at every back-edge and
 * call.  C code that charges fuel takes the sum and splits it again. */
static inline int64_t wb__jit_fuel(const wb__jit_ctx *jc) { return jc->fuel + jc->reserve; }
static inline void wb__jit_set_fuel(wb__jit_ctx *jc, int64_t fuel)
{
    jc->fuel = fuel < WB_JIT_FUEL_CHUNK ? fuel : WB_JIT_FUEL_CHUNK;
    jc->reserve = fuel - jc->fuel;
}

/* The offsets machine code uses (checked where the struct is built). */
#define WB__JCTX_FUEL 0
#define WB__JCTX_EXT 8
#define WB__JCTX_IREQ 16
#define WB__JCTX_INST 24
#define WB__JCTX_FRAMES 32
#define WB__JCTX_NFRAMES 40
#define WB__JCTX_STACK 48
#define WB__JCTX_STACK_END 56
#define WB__JCTX_FN 64
#define WB__JCTX_FPB 72
#define WB__JCTX_CALL 80
#define WB__JCTX_RESUME 88
#define WB__JCTX_FRAMES_END 96
#define WB__JCTX_RESERVE 104

/* What a C helper called from machine code (compile/emit_x64_rt.c) hands
 * back: go on after the op; leave at the op (nothing was done, so the
 * interpreter runs it again, or it stopped and the call says how: see
 * wb__interp_host_call); or leave at the next op, where the interpreter
 * stops at the check point the op ended with. */
enum { WB__RT_ON, WB__RT_LEAVE, WB__RT_STOP_AFTER };

/* CALL_IMPORT [idx|base] at pc, from machine code in the frame fp, its fuel
 * in jc->fuel: the interpreter's call of a host function, to the bit (room
 * for the results, the call, its fuel and the check point after it).  When
 * the host suspends, exits or traps, the call remembers it and the machine
 * code leaves at the op: the interpreter then stops there as it would
 * have, without calling the host again (a suspended call runs the op again
 * when resumed, as the interpreter's own does).  The callee a wasm
 * function, or the value stack too small: WB__RT_LEAVE with nothing done. */
uint32_t wb__interp_host_call(char *fp, wb__jit_ctx *jc, const wb__cell *pc);
/* The same for call_indirect of the host function f (its arguments at fp +
 * base), which must be of type want (else WB__RT_LEAVE: the interpreter
 * traps). */
uint32_t wb__interp_host_call_indirect(char *fp, wb__jit_ctx *jc, wb_func *f, const wb_functype *want,
                                       uint32_t base);

/* Cells after the op cell of a SIMD / SIMD_MEM instruction (the formats'
 * roles / 2, as constants for interp.c; tests/unit/ops.c checks). */
#define WB__SIMD_CELLS 5
#define WB__SIMD_MEM_CELLS 6

#endif
