/*
 * code.c - the op table of the compiled form (code.h): what the compiler,
 * the machine-code translator and the tests know of each op, named once.
 * The interpreter's handler table is for dispatch alone.
 */
#include "code.h"

const wb__opformat wb__opformats[WB__FMT_COUNT] = {
#define F(name, roles, delta, fuel) [WB__FMT_##name] = {roles, 1 + (sizeof roles - 1) / 2, delta, fuel},
    WB__OP_FORMATS(F)
#undef F
};

const wb__opinfo wb__ops[WB__OP_COUNT] = {
#define X(name, fmt, flags) [WB__OP_##name] = {#name, WB__FMT_##fmt, flags, 0, 0, 0, 0, 0},
    WB__CONTROL_OPS(X)
#undef X
#define U(name, opc, in, out) [WB__OP_##name] = {#name, WB__FMT_RW, 0, opc, WB_##in, WB_##out, 0, 0},
#define B(name, opc, in, out) [WB__OP_##name] = {#name, WB__FMT_RRW, 0, opc, WB_##in, WB_##out, 0, 0},
    WB__NUMERIC_OPS(U, B)
#undef U
#define U(name, sub, in, out) [WB__OP_##name] = {#name, WB__FMT_RW, 0, 0xfc00 | sub, WB_##in, WB_##out, 0, 0},
    WB__SAT_OPS(U)
#undef U
#undef B
#define L(name, opc, t, n, al) [WB__OP_##name] = {#name, WB__FMT_LOAD, 0, opc, WB_I32, WB_##t, n, 0},
#define S(name, opc, t, n, al) [WB__OP_##name] = {#name, WB__FMT_STORE, 0, opc, WB_##t, 0, n, 0},
    WB__MEM_OPS(L, S)
#undef L
#undef S
#define C(name, cmp) [WB__OP_##name] = {#name, WB__FMT_BR_CMP, 0, 0, 0, 0, 0, WB__OP_##cmp},
    WB__BRCMP_OPS(C)
#undef C
};
