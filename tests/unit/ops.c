/*
 * ops.c - the op table of the compiled form (src/code.h, src/code.c) says
 * what the compiler emits: each row agrees with itself, and walking real
 * compiled code by the table lands exactly on every op, every branch on an
 * op, and every slot operand inside the frame.
 */
#include "test.h"

#include "code.h"

#include <string.h>

TEST(formats_agree_with_their_roles)
{
    for (unsigned i = 0; i < WB__FMT_COUNT; i++) {
        const wb__opformat *f = &wb__opformats[i];
        size_t n = strlen(f->roles);
        CHECK(n % 2 == 0);
        CHECK_EQ_INT(f->cells, 1 + n / 2);
        for (size_t h = 0; h < n; h++) {
            char r = f->roles[h];
            CHECK(strchr("rRwWbi-DFPIx", r) != NULL);
            if (strchr("DFPI", r)) /* whole-cell roles fill both halves */
                CHECK(f->roles[h ^ 1] == r);
            if (r == 'D')
                CHECK_EQ_INT(f->delta, 1 + h / 2);
            if (r == 'F')
                CHECK_EQ_INT(f->fuel, 1 + h / 2);
        }
        if (f->delta && i != WB__FMT_BR_TABLE) /* its deltas follow its roles */
            CHECK(f->roles[2 * (f->delta - 1)] == 'D');
        if (f->fuel)
            CHECK(f->roles[2 * (f->fuel - 1)] == 'F' && f->delta);
    }
    CHECK_EQ_INT(wb__opformats[WB__FMT_SIMD].cells, 1 + WB__SIMD_CELLS);
    CHECK_EQ_INT(wb__opformats[WB__FMT_SIMD_MEM].cells, 1 + WB__SIMD_MEM_CELLS);
}

TEST(every_op_has_a_row)
{
    for (unsigned id = 0; id < WB__OP_COUNT; id++) {
        const wb__opinfo *o = &wb__ops[id];
        CHECK(o->name != NULL);
        CHECK(o->format < WB__FMT_COUNT);
        if (o->format == WB__FMT_LOAD || o->format == WB__FMT_STORE)
            CHECK(o->bytes == 1 || o->bytes == 2 || o->bytes == 4 || o->bytes == 8);
        if (o->format == WB__FMT_BR_CMP) { /* fuses an integer compare */
            const wb__opinfo *c = &wb__ops[o->cmp];
            CHECK(c->format == WB__FMT_RRW && c->out == WB_I32 && (c->in == WB_I32 || c->in == WB_I64));
        }
        if (o->wasm && o->wasm < 0x100) /* a one-byte opcode: its name is the op's, in lower case */
            CHECK(wb__opnames[o->wasm] != NULL);
    }
    CHECK(strcmp(wb__ops[WB__OP_I32_ADD].name, "I32_ADD") == 0 && wb__ops[WB__OP_I32_ADD].wasm == 0x6a);
    CHECK(wb__ops[WB__OP_BR].flags & WB__OPF_END);
    CHECK(wb__ops[WB__OP_CALL_INDIRECT].flags & WB__OPF_CALL);
    CHECK(!(wb__ops[WB__OP_BR_IF].flags & WB__OPF_END));
}

/* Many kinds of op: control, calls, tables, bulk memory, SIMD. */
static const char wat[] =
    "(module (type $t (func (param i32) (result i32)))"
    " (memory 1) (table 4 funcref) (global $g (mut i32) (i32.const 0))"
    " (global $v (mut v128) (v128.const i64x2 0 0)) (elem declare func $f)"
    " (data $d \"abc\") (elem $e func $f)"
    " (func $f (type $t) (local i64 v128)"
    "  (block $out (loop $l"
    "   (br_if $out (i32.eqz (local.get 0)))"
    "   (local.set 0 (i32.sub (local.get 0) (i32.const 1)))"
    "   (br_if $l (i32.lt_u (local.get 0) (i32.const 100)))"
    "   (br_table $out $l $out (local.get 0))))"
    "  (if (i32.gt_s (local.get 0) (i32.const 3)) (then (nop)) (else (global.set $g (local.get 0))))"
    "  (local.set 1 (i64.load offset=8 (i32.const 0)))"
    "  (i64.store (i32.const 16) (i64.div_u (local.get 1) (i64.const 3)))"
    "  (memory.fill (i32.const 0) (i32.const 1) (i32.const 4))"
    "  (memory.copy (i32.const 0) (i32.const 8) (i32.const 4))"
    "  (memory.init $d (i32.const 0) (i32.const 0) (i32.const 2)) (data.drop $d)"
    "  (table.init $e (i32.const 0) (i32.const 0) (i32.const 1)) (elem.drop $e)"
    "  (table.set (i32.const 1) (table.get (i32.const 0)))"
    "  (drop (table.grow (ref.func $f) (i32.const 1)))"
    "  (table.fill (i32.const 0) (ref.null func) (i32.const 1))"
    "  (table.copy (i32.const 0) (i32.const 1) (i32.const 1))"
    "  (drop (table.size)) (drop (memory.size)) (drop (memory.grow (i32.const 0)))"
    "  (drop (ref.is_null (ref.func $f)))"
    "  (local.set 2 (i32x4.add (v128.load (i32.const 0)) (global.get $v)))"
    "  (global.set $v (v128.and (local.get 2) (local.get 2)))"
    "  (v128.store (i32.const 32) (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"
    "    (local.get 2) (local.get 2)))"
    "  (drop (v128.load8_lane 1 (i32.const 0) (local.get 2)))"
    "  (drop (select (local.get 2) (local.get 2) (local.get 0)))"
    "  (drop (i32.trunc_sat_f64_s (f64.const 1.5)))"
    "  (drop (call_indirect (type $t) (i32.const 0) (i32.const 0)))"
    "  (if (local.get 0) (then (unreachable)))"
    "  (return (call $f (i32.const 0)))))";

/* The op at cell k of f (cell 0 may be JIT_ENTER, its own op kept aside). */
static int op_id(const wb__func *f, uint32_t k)
{
    const void *const *h = wb__op_handlers();
    const void *op = k == 0 && f->jit_op0 ? f->jit_op0 : f->code[k].op;
    for (unsigned i = 0; i < WB__OP_COUNT; i++)
        if (h[i] == op)
            return (int)i;
    return -1;
}

/* Walks f's code by the table: ops tile the code exactly, branches land on
 * ops, fuel is charged on back-edges only, slot operands are in the frame. */
static void walk(const wb__func *f)
{
    uint8_t *start = calloc(f->ncode + 1, 1);
    uint32_t frame = f->frame_slots * 8;
    uint32_t k = 0, nops = 0;
    while (k < f->ncode) {
        int id = op_id(f, k);
        CHECK(id >= 0);
        if (id < 0)
            break;
        const wb__cell *pc = &f->code[k];
        const wb__opformat *fm = wb__op_format((unsigned)id);
        start[k] = 1;
        for (uint32_t hh = 0; fm->roles[hh]; hh++) {
            uint32_t v = hh & 1 ? pc[1 + hh / 2].p.b : pc[1 + hh / 2].p.a;
            char r = fm->roles[hh];
            if (r == 'r' || r == 'w' || r == 'b')
                CHECK(v + 8 <= frame || (r == 'b' && v <= frame));
            if (r == 'R' || r == 'W')
                CHECK(v + 16 <= frame);
        }
        if (fm->fuel) /* a loop's back-edge charges its body; a forward branch nothing */
            CHECK((pc[fm->delta].i64 <= 0) == (pc[fm->fuel].u64 != 0));
        nops++;
        k += wb__op_cells((unsigned)id, pc);
    }
    CHECK_EQ_INT(k, f->ncode);
    start[f->ncode] = 1; /* a branch may go to the end */
    for (k = 0; k < f->ncode;) {
        int id = op_id(f, k);
        if (id < 0)
            break;
        const wb__cell *pc = &f->code[k];
        const wb__opformat *fm = wb__op_format((unsigned)id);
        uint32_t n = wb__op_cells((unsigned)id, pc);
        uint32_t first = fm->delta, last = id == WB__OP_BR_TABLE ? n - 1 : fm->delta;
        for (uint32_t d = first; d && d <= last; d++) {
            int64_t t = (int64_t)k + pc[d].i64;
            CHECK(t >= 0 && t <= (int64_t)f->ncode && start[t]);
        }
        k += n;
    }
    CHECK(nops > 0);
    free(start);
}

TEST(compiled_code_walks_by_the_table)
{
    wb_module *m = NULL;
    wb_error err;
    CHECK_EQ_INT(wb_module_from_wat(wat, sizeof wat - 1, &m, &err), WB_OK);
    if (!m) {
        fprintf(stderr, "%s\n", err.message);
        return;
    }
    for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++)
        walk(&m->funcs[i]);
    wb_module_free(m);
    static const char *const mods[] = {"jit", "api", "limits", "cli", "text_forms"};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        wb_module *mm = load_module(mods[i]);
        CHECK(mm != NULL);
        for (uint32_t k = 0; mm && k < mm->nfuncs - mm->nimported_funcs; k++)
            walk(&mm->funcs[k]);
        wb_module_free(mm);
    }
}
