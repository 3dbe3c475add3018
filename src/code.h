/*
 * code.h - the compiled form of a function, shared by compile.c and interp.c.
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

/* Every other instruction of the compiled form, with its cells. */
#define WB__CONTROL_OPS(X)                                                                       \
    X(UNREACHABLE)   /* -                                  trap */                               \
    X(BR)            /* [delta]                            pc += delta */                        \
    X(BR_IF)         /* [c|-][delta][fuel]                 if c: pc += delta */                  \
    X(BR_UNLESS)     /* [c|-][delta][fuel]                 if !c: pc += delta */                 \
    X(BR_LOOP)       /* [delta][fuel]                      back-edge: charge fuel, check */      \
    X(BR_TABLE)      /* [i|n][delta]*(n+1)                 pc += delta[min(i, n)] */             \
    X(RETURN)        /* -                                  results already at fp[0..] */         \
    X(RETURN1)       /* [a|-]                              fp[0] = a; return */                  \
    X(CALL)          /* [wb__func*][base|-]                call a defined function */            \
    X(CALL_IMPORT)   /* [idx|base]                         call imported function idx */         \
    X(CALL_INDIRECT) /* [table|type][i|base]               call table[i] checked against type */ \
    X(COPY)          /* [a|d]                              one slot */                           \
    X(COPY2)         /* [a|d]                              two slots (v128) */                   \
    X(SELECT)        /* [a|b][c|d]                         d = c ? a : b */                      \
    X(SELECT2)       /* [a|b][c|d]                         v128 */                               \
    X(GLOBAL_GET)    /* [idx|d] */                                                               \
    X(GLOBAL_SET)    /* [idx|a] */                                                               \
    X(GLOBAL_GET2)   /* [idx|d]                            v128 */                               \
    X(GLOBAL_SET2)   /* [idx|a] */                                                               \
    X(REF_IS_NULL)   /* [a|d] */                                                                 \
    X(REF_FUNC)      /* [idx|d] */                                                               \
    X(TABLE_GET)     /* [table|i][d|-] */                                                        \
    X(TABLE_SET)     /* [table|i][v|-] */                                                        \
    X(TABLE_SIZE)    /* [table|d] */                                                             \
    X(TABLE_GROW)    /* [table|v][n|d] */                                                        \
    X(TABLE_FILL)    /* [table|i][v|n] */                                                        \
    X(TABLE_COPY)    /* [dt|st][d|s][n|-] */                                                     \
    X(TABLE_INIT)    /* [table|seg][d|s][n|-] */                                                 \
    X(ELEM_DROP)     /* [seg|-] */                                                               \
    X(MEMORY_SIZE)   /* [d|-] */                                                                 \
    X(MEMORY_GROW)   /* [a|d] */                                                                 \
    X(MEMORY_FILL)   /* [d|v][n|-] */                                                            \
    X(MEMORY_COPY)   /* [d|s][n|-] */                                                            \
    X(MEMORY_INIT)   /* [seg|d][s|n] */                                                          \
    X(DATA_DROP)     /* [seg|-] */                                                               \
    X(SIMD)          /* [fn][a|b][c|d][imm 16 bytes]       pure SIMD op via wb__simd_fn */       \
    X(SIMD_MEM)      /* [fn][a|b][c|d][offset|bytes][imm 16] SIMD load/store kinds */            \
    X(V128_LOAD)     /* [addr|d][offset|-]                 v128.load */                          \
    X(V128_STORE)    /* [addr|v][offset|-]                 v128.store */                         \
    X(V128_AND)      /* [a|b][d|-]                         v128.and (and the next three) */      \
    X(V128_ANDNOT)                                                                               \
    X(V128_OR)                                                                                   \
    X(V128_XOR)                                                                                  \
    X(V128_ANY_TRUE) /* [a|-][d|-]                         i32 result */                         \
    X(I8X16_BITMASK) /* [a|-][d|-] */                                                            \
    X(JIT_ENTER)     /* -  replaces cell 0's handler when the function has machine code (jit.c) */ \
    X(END_OF_OPS)

enum wb__opid {
#define X(name) WB__OP_##name,
#define N(name, ...) WB__OP_##name,
    WB__CONTROL_OPS(X)
    WB__NUMERIC_OPS(N, N)
    WB__SAT_OPS(N)
    WB__MEM_OPS(N, N)
    WB__BRCMP_OPS(N)
#undef X
#undef N
    WB__OP_COUNT
};

/* The handler address of every op, indexed by wb__opid (interp.c). */
const void *const *wb__op_handlers(void);

/* What machine code returns when the function returned (its results in
 * slots 0..), instead of a cell index. */
#define WB__JIT_RETURNED UINT32_MAX

/* Machine code of a function (jit.c): entered with the frame, the memory
 * and its size, and this context; returns the cell index of the op at which
 * the interpreter goes on, or WB__JIT_RETURNED. */
typedef struct wb__jit_ctx {
    int64_t fuel;               /* in: fuel left; out: after what ran */
    const volatile int *ext;    /* the call's interrupt flag */
    const volatile int *ireq;   /* wb_call_interrupt's flag */
    wb_instance *inst;
} wb__jit_ctx;

/* Cells after the op cell of a SIMD / SIMD_MEM instruction. */
#define WB__SIMD_CELLS 5
#define WB__SIMD_MEM_CELLS 6

#endif
