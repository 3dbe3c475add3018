/*
 * emit_x64_rt.c - the x86-64 emitter's runtime ops: memory.size/grow, the
 * table ops, memory.init, data.drop, elem.drop, ref.func, ref.is_null,
 * v128 copies, selects and globals, and calls to host functions.
 *
 * A few instructions are inline (memory.size, ref.is_null, table.get/set/
 * size, the drops, the v128 moves); the rest calls a C helper with the
 * frame, the context and the op's cells in the slot code, which holds its
 * operands as the interpreter reads them.  The rule that keeps them exact:
 * a helper changes nothing before its checks (bounds, and the fuel of a
 * bulk op, charged after it as a check point), and when one fails it says
 * so and the machine code leaves at the op's own cell, where the
 * interpreter runs it again and traps or stops exactly as it would have.
 *
 * A host call cannot be run again (the host would see it twice), so its
 * helper is the interpreter's own (wb__interp_host_call), which records how
 * the call ended when the host suspends, exits or traps, or the check point
 * after it fails; the interpreter then stops there without running the op.
 *
 * The memory base and size live in r12 and r13 for every compiled frame of
 * the activation, callers included (calls keep them): whatever may move the
 * memory (memory.grow, a host) reloads them from the instance after, and a
 * caller sees the new ones when its callee returns.
 */
#include "emit_x64.h"

#include <stddef.h>
#include <string.h>

/* ---- the C side ---------------------------------------------------------------------- */

/* Slots, as the interpreter reads and writes them (all 8 bytes written). */
static uint32_t rd32(const char *fp, uint32_t off)
{
    uint32_t v;
    memcpy(&v, fp + off, 4);
    return v;
}
static uint64_t rd64(const char *fp, uint32_t off)
{
    uint64_t v;
    memcpy(&v, fp + off, 8);
    return v;
}
static void wr64(char *fp, uint32_t off, uint64_t v) { memcpy(fp + off, &v, 8); }

/* The interpreter's CHECK after a bulk op, asked before it: false when the
 * fuel left after cost is negative or an interrupt is asked for (the op
 * must then run in the interpreter, which stops after it); else charged. */
static bool afford(wb__jit_ctx *jc, uint64_t cost)
{
    int64_t left = wb__jit_fuel(jc) - (int64_t)cost;
    if (left < 0 || *jc->ext || *jc->ireq)
        return false;
    wb__jit_set_fuel(jc, left);
    return true;
}

/* The helpers, one an op, each (frame, context, the op's cells); each reads
 * its operands where the interpreter's handler does. */
typedef uint32_t (*helper_fn)(char *fp, wb__jit_ctx *jc, const wb__cell *pc);

static uint32_t memory_grow(char *fp, wb__jit_ctx *jc, const wb__cell *pc) /* [a|d] */
{
    wr64(fp, pc[1].p.b, (uint32_t)wb__memory_grow(jc->inst->mem, rd32(fp, pc[1].p.a)));
    return WB__RT_ON;
}

static uint32_t ref_func(char *fp, wb__jit_ctx *jc, const wb__cell *pc) /* [idx|d] */
{
    wb_func *f = wb__instance_funcref(jc->inst, pc[1].p.a);
    if (!f)
        return WB__RT_LEAVE; /* out of host memory: the interpreter traps */
    wr64(fp, pc[1].p.b, (uint64_t)(uintptr_t)f);
    return WB__RT_ON;
}

static uint32_t table_grow(char *fp, wb__jit_ctx *jc, const wb__cell *pc) /* [table|v][n|d] */
{
    uint32_t n = rd32(fp, pc[2].p.a);
    if (!afford(jc, WB_FUEL_TABLE_ELEMS(n)))
        return WB__RT_LEAVE;
    void *v = (void *)(uintptr_t)rd64(fp, pc[1].p.b);
    wr64(fp, pc[2].p.b, (uint32_t)wb__table_grow(jc->inst->tables[pc[1].p.a], n, v));
    return WB__RT_ON;
}

static uint32_t table_fill(char *fp, wb__jit_ctx *jc, const wb__cell *pc) /* [table|i][v|n] */
{
    wb_table *t = jc->inst->tables[pc[1].p.a];
    uint32_t i = rd32(fp, pc[1].p.b), n = rd32(fp, pc[2].p.b);
    if ((uint64_t)i + n > t->size || !afford(jc, WB_FUEL_TABLE_ELEMS(n)))
        return WB__RT_LEAVE;
    void *v = (void *)(uintptr_t)rd64(fp, pc[2].p.a);
    for (uint32_t k = 0; k < n; k++)
        t->elems[i + k] = v;
    return WB__RT_ON;
}

static uint32_t table_copy(char *fp, wb__jit_ctx *jc, const wb__cell *pc) /* [dt|st][d|s][n|-] */
{
    wb_table *dt = jc->inst->tables[pc[1].p.a], *st = jc->inst->tables[pc[1].p.b];
    uint32_t d = rd32(fp, pc[2].p.a), s = rd32(fp, pc[2].p.b), n = rd32(fp, pc[3].p.a);
    if ((uint64_t)d + n > dt->size || (uint64_t)s + n > st->size || !afford(jc, WB_FUEL_TABLE_ELEMS(n)))
        return WB__RT_LEAVE;
    if (n)
        memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(void *));
    return WB__RT_ON;
}

static uint32_t table_init(char *fp, wb__jit_ctx *jc, const wb__cell *pc) /* [table|seg][d|s][n|-] */
{
    wb_instance *inst = jc->inst;
    wb_table *t = inst->tables[pc[1].p.a];
    uint32_t seg = pc[1].p.b;
    const wb__elem *e = &inst->module->elems[seg];
    uint32_t len = inst->dropped_elems[seg / 8] & (1u << (seg % 8)) ? 0 : e->count;
    uint32_t d = rd32(fp, pc[2].p.a), s = rd32(fp, pc[2].p.b), n = rd32(fp, pc[3].p.a);
    if ((uint64_t)s + n > len || (uint64_t)d + n > t->size || !afford(jc, WB_FUEL_TABLE_INIT(n)))
        return WB__RT_LEAVE;
    for (uint32_t k = 0; k < n; k++) {
        wb__slot v[2];
        wb__eval_const(inst, &e->items[s + k], v);
        t->elems[d + k] = (void *)(uintptr_t)v[0];
    }
    return WB__RT_ON;
}

static uint32_t memory_init(char *fp, wb__jit_ctx *jc, const wb__cell *pc) /* [seg|d][s|n] */
{
    wb_instance *inst = jc->inst;
    uint32_t seg = pc[1].p.a;
    const wb__data *ds = &inst->module->datas[seg];
    uint32_t len = inst->dropped_datas[seg / 8] & (1u << (seg % 8)) ? 0 : ds->len;
    uint32_t d = rd32(fp, pc[1].p.b), s = rd32(fp, pc[2].p.a), n = rd32(fp, pc[2].p.b);
    if ((uint64_t)s + n > len || (uint64_t)d + n > inst->mem->size || !afford(jc, WB_FUEL_BULK_BYTES(n)))
        return WB__RT_LEAVE;
    if (n)
        memcpy(inst->mem->data + d, ds->bytes + s, n);
    return WB__RT_ON;
}

/* ---- the machine code ------------------------------------------------------------------ */

/* eax = fn(rbx, r14, the op's cells at k), the stack aligned as C wants
 * (wb__x64e_call_c passes one argument; these take three).  fuel: the
 * helper reads and charges the fuel, which goes through the context. */
static void call_helper(x64_emit *x, const void *fn, uint32_t k, bool fuel)
{
    wb__x64 *a = &x->a;
    if (fuel)
        x64_mov_mr(a, true, x64_mem(X64_R14, WB__JCTX_FUEL), X64_R15);
    x->const_mem = true; /* the helper reads its operands from the frame, constants too */
    wb__x64e_save_pinned(x);
    x64_mov_rr(a, true, X64_RDI, X64_RBX);
    x64_mov_rr(a, true, X64_RSI, X64_R14);
    x64_mov_ri(a, X64_RDX, (uint64_t)(uintptr_t)(x->f->code + k));
    x64_mov_ri(a, X64_RAX, (uint64_t)(uintptr_t)fn);
    wb__x64e_c_call(x);
    wb__x64e_restore_pinned(x);
    if (fuel)
        x64_mov_rm(a, true, X64_R15, x64_mem(X64_R14, WB__JCTX_FUEL));
}

/* A helper that may refuse: leave at the op unless it went on. */
static void helper(x64_emit *x, helper_fn fn, uint32_t k, bool fuel)
{
    call_helper(x, (const void *)fn, k, fuel);
    x64_test_rr(&x->a, false, X64_RAX, X64_RAX);
    wb__x64e_leave(x, X64_CC_NE, k);
}

/* The host's answer in eax: leave at the op k (nothing done, or the call
 * stopped there) or at next (a check point after it), else go on, the
 * memory maybe moved. */
static void host_status(x64_emit *x, uint32_t k, uint32_t next)
{
    x64_alu_ri(&x->a, X64_CMP, false, X64_RAX, WB__RT_LEAVE);
    wb__x64e_leave(x, X64_CC_E, k);
    x64_test_rr(&x->a, false, X64_RAX, X64_RAX);
    wb__x64e_leave(x, X64_CC_NE, next);
    wb__x64e_reload_mem(x);
}

void wb__x64e_host_indirect(x64_emit *x, const wb_functype *want, int32_t base, uint32_t k, uint32_t next)
{
    wb__x64 *a = &x->a;
    x64_mov_mr(a, true, x64_mem(X64_R14, WB__JCTX_FUEL), X64_R15);
    wb__x64e_save_pinned(x);
    x64_mov_rr(a, true, X64_RDX, X64_RAX);
    x64_mov_rr(a, true, X64_RDI, X64_RBX);
    x64_mov_rr(a, true, X64_RSI, X64_R14);
    x64_mov_ri(a, X64_RCX, (uint64_t)(uintptr_t)want);
    x64_mov_ri(a, X64_R8, (uint32_t)base);
    x64_mov_ri(a, X64_RAX, (uint64_t)(uintptr_t)wb__interp_host_call_indirect);
    wb__x64e_c_call(x);
    wb__x64e_restore_pinned(x);
    x64_mov_rm(a, true, X64_R15, x64_mem(X64_R14, WB__JCTX_FUEL));
    host_status(x, k, next);
}

/* (With no memory, size 0: code without one has no access anyway, but the
 * size of a caller's memory must not stay when a call crosses into it.) */
void wb__x64e_reload_mem(x64_emit *x)
{
    wb__x64 *a = &x->a;
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_R14, WB__JCTX_INST));
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RAX, (int32_t)offsetof(wb_instance, mem)));
    x64_alu_rr(a, X64_XOR, false, X64_R13, X64_R13);
    x64_test_rr(a, true, X64_RAX, X64_RAX);
    uint32_t none = x64_jcc(a, X64_CC_E);
    x64_mov_rm(a, true, X64_R12, x64_mem(X64_RAX, (int32_t)offsetof(wb_memory, data)));
    x64_mov_rm(a, true, X64_R13, x64_mem(X64_RAX, (int32_t)offsetof(wb_memory, size)));
    x64_patch(a, none, x64_pos(a));
}

/* rax = the instance's field at off (a pointer), then its element idx. */
static void inst_array(x64_emit *x, int32_t off, uint32_t idx)
{
    x64_mov_rm(&x->a, true, X64_RAX, x64_mem(X64_R14, WB__JCTX_INST));
    x64_mov_rm(&x->a, true, X64_RAX, x64_mem(X64_RAX, off));
    x64_mov_rm(&x->a, true, X64_RAX, x64_mem(X64_RAX, (int32_t)(idx * 8)));
}

/* rax = table t's elems, rcx = the u32 index at loc; leave at k unless it
 * is below the table's size (the interpreter traps). */
static void table_elem(x64_emit *x, uint32_t t, uint64_t loc, uint32_t k)
{
    wb__x64 *a = &x->a;
    inst_array(x, (int32_t)offsetof(wb_instance, tables), t);
    load(x, false, X64_RCX, loc);
    x64_alu_rm(a, X64_CMP, false, X64_RCX, x64_mem(X64_RAX, (int32_t)offsetof(wb_table, size)));
    wb__x64e_leave(x, X64_CC_AE, k);
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RAX, (int32_t)offsetof(wb_table, elems)));
}

/* elem.drop / data.drop: the segment's bit in the instance's bitmap at off. */
static void drop(x64_emit *x, int32_t off, uint32_t seg)
{
    wb__x64 *a = &x->a;
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_R14, WB__JCTX_INST));
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RAX, off));
    wb__x64_mem m = x64_mem(X64_RAX, (int32_t)(seg / 8));
    x64_load_ext(a, false, false, 1, X64_RCX, m);
    x64_alu_ri(a, X64_OR, false, X64_RCX, (int32_t)(1u << (seg % 8)));
    x64_store(a, 1, m, X64_RCX);
}

static wb__x64_mem high(wb__x64_mem m)
{
    m.disp += 8;
    return m;
}

/* A v128 (two slots) from src to dst, both read before either is written
 * (they may overlap, as memmove in the interpreter allows). */
static void copy2(x64_emit *x, wb__x64_mem dst, wb__x64_mem src)
{
    x64_mov_rm(&x->a, true, X64_RCX, src); /* rax may be the base of either */
    x64_mov_rm(&x->a, true, X64_RDX, high(src));
    x64_mov_mr(&x->a, true, dst, X64_RCX);
    x64_mov_mr(&x->a, true, high(dst), X64_RDX);
}

/* SELECT2 [a|b][c|d]: d = c ? a : b, v128. */
static void select2(x64_emit *x, const uint64_t *v)
{
    wb__x64 *a = &x->a;
    load(x, false, X64_RDX, v[2]);
    x64_test_rr(a, false, X64_RDX, X64_RDX); /* the moves below keep the flags */
    x64_mov_rm(a, true, X64_RAX, slot(x, v[0]));
    x64_mov_rm(a, true, X64_RCX, slot(x, v[1]));
    x64_cmov_rr(a, X64_CC_E, true, X64_RAX, X64_RCX);
    x64_mov_rm(a, true, X64_RDX, high(slot(x, v[0])));
    x64_mov_rm(a, true, X64_RCX, high(slot(x, v[1])));
    x64_cmov_rr(a, X64_CC_E, true, X64_RDX, X64_RCX);
    x64_mov_mr(a, true, slot(x, v[3]), X64_RAX);
    x64_mov_mr(a, true, high(slot(x, v[3])), X64_RDX);
}

/* CALL_IMPORT [idx|base] at k: another instance's wasm function called as
 * a compiled one is, or the interpreter's host call; leave at the op
 * when it did nothing or the call stopped there, at the next op when the
 * check point after it failed. */
static bool host_call(x64_emit *x, const xop *o)
{
    uint32_t k = o->at, next = k + wb__op_format(o->id)->cells;
    if (o + 1 >= x->ops + x->nops || o[1].at != next)
        return false; /* no op to stop at after it (cannot happen: a function ends in a return) */
    inst_array(x, (int32_t)offsetof(wb_instance, imported_funcs), (uint32_t)o->v[0]);
    x64_alu_mi(&x->a, X64_CMP, true, x64_mem(X64_RAX, (int32_t)offsetof(wb_func, code)), 0);
    uint32_t host = x64_jcc(&x->a, X64_CC_E);
    wb__x64e_call_other(x, slot(x, o->v[1]).disp, k, next);
    uint32_t done = x64_jmp(&x->a);
    x64_patch(&x->a, host, x64_pos(&x->a));
    call_helper(x, (const void *)wb__interp_host_call, k, true);
    host_status(x, k, next);
    x64_patch(&x->a, done, x64_pos(&x->a));
    return true;
}

bool wb__x64e_runtime_op(unsigned id)
{
    switch (id) {
    case WB__OP_MEMORY_SIZE: case WB__OP_MEMORY_GROW: case WB__OP_MEMORY_INIT: case WB__OP_DATA_DROP:
    case WB__OP_REF_IS_NULL: case WB__OP_REF_FUNC:
    case WB__OP_TABLE_GET: case WB__OP_TABLE_SET: case WB__OP_TABLE_SIZE: case WB__OP_TABLE_GROW:
    case WB__OP_TABLE_FILL: case WB__OP_TABLE_COPY: case WB__OP_TABLE_INIT: case WB__OP_ELEM_DROP:
    case WB__OP_COPY2: case WB__OP_SELECT2: case WB__OP_GLOBAL_GET2: case WB__OP_GLOBAL_SET2:
    case WB__OP_CALL_IMPORT:
        return true;
    default:
        return false;
    }
}

bool wb__x64e_runtime(x64_emit *x, const xop *o)
{
    wb__x64 *a = &x->a;
    const uint64_t *v = o->v;
    uint32_t k = o->at;
    switch (o->id) {
    case WB__OP_MEMORY_SIZE: /* [d|-]: pages, from the size in r13 */
        x64_mov_rr(a, true, X64_RAX, X64_R13);
        x64_shift_ri(a, X64_SHR, true, X64_RAX, 16);
        store(x, v[0], X64_RAX);
        return true;
    case WB__OP_MEMORY_GROW:
        call_helper(x, (const void *)memory_grow, k, false);
        wb__x64e_reload_mem(x);
        return true;
    case WB__OP_MEMORY_INIT:
        helper(x, memory_init, k, true);
        return true;
    case WB__OP_DATA_DROP:
        drop(x, (int32_t)offsetof(wb_instance, dropped_datas), (uint32_t)v[0]);
        return true;
    case WB__OP_ELEM_DROP:
        drop(x, (int32_t)offsetof(wb_instance, dropped_elems), (uint32_t)v[0]);
        return true;
    case WB__OP_REF_IS_NULL: /* [a|d] */
        load(x, true, X64_RAX, v[0]);
        x64_test_rr(a, true, X64_RAX, X64_RAX);
        x64_setcc(a, X64_CC_E, X64_RAX);
        store(x, v[1], X64_RAX);
        return true;
    case WB__OP_REF_FUNC:
        helper(x, ref_func, k, false);
        return true;
    case WB__OP_TABLE_GET: /* [table|i][d|-] */
        table_elem(x, (uint32_t)v[0], v[1], k);
        x64_mov_rm(a, true, X64_RAX, x64_mem_idx(X64_RAX, X64_RCX, 8, 0));
        store(x, v[2], X64_RAX);
        return true;
    case WB__OP_TABLE_SET: /* [table|i][v|-] */
        table_elem(x, (uint32_t)v[0], v[1], k);
        load(x, true, X64_RDX, v[2]);
        x64_mov_mr(a, true, x64_mem_idx(X64_RAX, X64_RCX, 8, 0), X64_RDX);
        return true;
    case WB__OP_TABLE_SIZE: /* [table|d] */
        inst_array(x, (int32_t)offsetof(wb_instance, tables), (uint32_t)v[0]);
        x64_mov_rm(a, false, X64_RAX, x64_mem(X64_RAX, (int32_t)offsetof(wb_table, size)));
        store(x, v[1], X64_RAX);
        return true;
    case WB__OP_TABLE_GROW:
        helper(x, table_grow, k, true);
        return true;
    case WB__OP_TABLE_FILL:
        helper(x, table_fill, k, true);
        return true;
    case WB__OP_TABLE_COPY:
        helper(x, table_copy, k, true);
        return true;
    case WB__OP_TABLE_INIT:
        helper(x, table_init, k, true);
        return true;
    case WB__OP_COPY2: /* [a|d] */
        copy2(x, slot(x, v[1]), slot(x, v[0]));
        return true;
    case WB__OP_SELECT2:
        select2(x, v);
        return true;
    case WB__OP_GLOBAL_GET2: /* [idx|d] */
        inst_array(x, (int32_t)offsetof(wb_instance, globals), (uint32_t)v[0]);
        copy2(x, slot(x, v[1]), x64_mem(X64_RAX, (int32_t)offsetof(wb_global, value)));
        return true;
    case WB__OP_GLOBAL_SET2: /* [idx|a] */
        inst_array(x, (int32_t)offsetof(wb_instance, globals), (uint32_t)v[0]);
        copy2(x, x64_mem(X64_RAX, (int32_t)offsetof(wb_global, value)), slot(x, v[1]));
        return true;
    case WB__OP_CALL_IMPORT:
        return host_call(x, o);
    default:
        return false;
    }
}
