/*
 * emit_x64.c - the x86-64 emitter, driven by the frontend through emit.h
 * beside the slot-code emitter (WASMBOX_JIT=0 turns it off).  Here: integer
 * arithmetic, compares, copies, select, globals, loads and stores,
 * memory.fill/copy, branches, br_table, loops, returns, calls, and the
 * function's layout (its entries from C and from callers, the tail that
 * leaves, the stubs); emit_x64_num.c, _rt.c and _simd.c translate the rest.
 *
 * It wraps the slot-code emitter: every call goes on to that emitter (the
 * slot code is unchanged, and positions are its cell indexes), and the
 * machine code keeps the contract of code.h: frame slots are the operands'
 * home wherever the interpreter may look, so machine code and interpreter
 * hand over at any op boundary; an op that cannot go on leaves to the
 * interpreter at its cell; a taken back-edge charges the loop's fuel and
 * reads the interrupt flags, and when that check fails the interpreter runs
 * the branch again and stops there.  Traps, fuel, suspension and backtraces
 * thus stay exactly the interpreter's.
 *
 * What it knows that a translator of slot code does not: the frontend's
 * constants, used as immediates.  The ops are recorded as the frontend
 * emits them (the last one may still be fused away or retargeted, forward
 * branches get their targets later) and translated once the function ends,
 * when the frame's layout is known.
 *
 * Registers: emit_x64.h.
 */
#include "emit_x64.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define X(e) ((x64_emit *)(e))

static uint32_t op_index(x64_emit *x, uint32_t cell);

/* The operand number of a format's delta cell, and its count of operands. */
static int delta_operand(const wb__opformat *f, unsigned *n)
{
    int d = -1;
    *n = 0;
    for (const char *r = f->roles; r[0]; r += 2) {
        bool whole = r[0] == r[1] && strchr("DFPI", r[0]);
        if (whole) {
            if (r[0] == 'D')
                d = (int)*n;
            (*n)++;
            continue;
        }
        *n += (r[0] != '-') + (r[1] != '-');
    }
    return d;
}

static xop *find(x64_emit *x, uint32_t at)
{
    uint32_t lo = 0, hi = x->nops;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (x->ops[mid].at < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < x->nops && x->ops[lo].at == at ? &x->ops[lo] : NULL;
}

/* ---- emit.h ------------------------------------------------------------------------ */

static uint32_t op(wb__emit *e, unsigned id, const uint64_t *v)
{
    x64_emit *x = X(e);
    uint32_t at = x->in->ops->op(x->in, id, v);
    x->ops = wb__compile_grow(e->c, x->ops, &x->cops, x->nops + 1, sizeof *x->ops);
    xop *o = &x->ops[x->nops++];
    memset(o, 0, sizeof *o);
    o->at = at;
    o->id = (uint16_t)id;
    o->target = WB__NO_TARGET;
    unsigned n;
    int d = delta_operand(wb__op_format(id), &n);
    if (v)
        memcpy(o->v, v, n * sizeof *v);
    if (d >= 0)
        o->target = v[d];
    if (id == WB__OP_BR_TABLE) {
        uint32_t cnt = (uint32_t)v[1] + 1;
        o->table = malloc((size_t)cnt * sizeof *o->table);
        if (!o->table)
            wb__compile_fail(e->c, WB_ERR_NOMEM, "out of memory compiling");
        memset(o->table, 0xff, (size_t)cnt * sizeof *o->table);
    }
    return at;
}

static uint32_t pos(wb__emit *e) { return X(e)->in->ops->pos(X(e)->in); }

static void set_target(wb__emit *e, uint32_t at, uint32_t entry, uint32_t target)
{
    x64_emit *x = X(e);
    x->in->ops->set_target(x->in, at, entry, target);
    xop *o = find(x, at);
    if (o && o->id == WB__OP_BR_TABLE)
        o->table[entry] = target;
    else if (o)
        o->target = target;
}

static uint32_t operand(wb__emit *e, uint32_t at, unsigned idx) { return X(e)->in->ops->operand(X(e)->in, at, idx); }

static void set_operand(wb__emit *e, uint32_t at, unsigned idx, uint32_t v)
{
    x64_emit *x = X(e);
    x->in->ops->set_operand(x->in, at, idx, v);
    xop *o = find(x, at);
    if (o && idx < MAXV)
        o->v[idx] = v;
}

static void rewind_to(wb__emit *e, uint32_t at)
{
    x64_emit *x = X(e);
    x->in->ops->rewind(x->in, at);
    while (x->nops && x->ops[x->nops - 1].at >= at)
        free(x->ops[--x->nops].table);
}

/* ---- translation ------------------------------------------------------------------- */

/* list, with room for n + 1 elements of elem bytes (it doubles); or NULL
 * and x->a.bad when memory runs out (list stays as it was). */
static void *room(x64_emit *x, void *list, uint32_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap)
        return list;
    uint32_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(list, c * elem);
    if (!p) {
        x->a.bad = true;
        return NULL;
    }
    *cap = c;
    return p;
}

static void fix(x64_emit *x, xfix **list, uint32_t *n, uint32_t *cap, uint32_t at, uint32_t cell)
{
    xfix *p = room(x, *list, *n, cap, sizeof *p);
    if (!p)
        return;
    *list = p;
    p[(*n)++] = (xfix){at, cell};
}

void wb__x64e_jump(x64_emit *x, int cc, uint32_t cell)
{
    uint32_t at = cc < 0 ? x64_jmp(&x->a) : x64_jcc(&x->a, cc);
    fix(x, &x->br, &x->nbr, &x->cbr, at, cell);
}

/* ---- the float cache (emit_x64.h) ---- */

/* A float of `bytes` in xmm to its slot at rbx + disp: an f32
 * zero-extended, as the interpreter keeps it, a v128 in two slots (no
 * general register used).  For the pinned float locals and the float cache
 * alike. */
static void fc_store(x64_emit *x, int xmm, unsigned bytes, int32_t disp)
{
    if (bytes == 16) {
        x64_movdqu_mr(&x->a, x64_mem(X64_RBX, disp), xmm);
        return;
    }
    x64_movs_mr(&x->a, bytes == 8, x64_mem(X64_RBX, disp), xmm);
    if (bytes == 4)
        x64_mov_mi(&x->a, false, x64_mem(X64_RBX, disp + 4), 0);
}

static unsigned fc_bytes(const x64_emit *x, int c) { return x->fc_vec[c] ? 16 : x->fc_dbl[c] ? 8 : 4; }

/* Cache entry c to its slot. */
static void fc_spill(x64_emit *x, int c)
{
    fc_store(x, FC_XMM0 + c, fc_bytes(x, c), slot(x, x->fc_loc[c]).disp);
}
/* Integer cache entry c to its slot. */
static void ic_spill(x64_emit *x, int c) { x64_mov_mr(&x->a, true, slot(x, x->ic_loc[c]), x->ic_reg[c]); }

/* Both caches' entries, for a leave (fc_put stores them). */
static fsnap fc_snap(x64_emit *x)
{
    fsnap s = {0};
    for (int c = 0; c < FC_N; c++)
        if (x->fc_loc[c]) {
            s.xmm[s.n] = (uint8_t)(FC_XMM0 + c);
            s.bytes[s.n] = (uint8_t)fc_bytes(x, c);
            s.disp[s.n++] = slot(x, x->fc_loc[c]).disp;
        }
    for (int c = 0; c < x->ic_n; c++)
        if (x->ic_loc[c]) {
            s.ireg[s.ni] = (uint8_t)x->ic_reg[c];
            s.idisp[s.ni++] = slot(x, x->ic_loc[c]).disp;
        }
    if (x->vloc) {
        s.ireg[s.ni] = X64_RDX;
        s.idisp[s.ni++] = slot(x, x->vloc).disp;
    }
    return s;
}
static void fc_put(x64_emit *x, const fsnap *s)
{
    for (unsigned i = 0; i < s->n; i++)
        fc_store(x, s->xmm[i], s->bytes[i], s->disp[i]);
    for (unsigned i = 0; i < s->ni; i++)
        x64_mov_mr(&x->a, true, x64_mem(X64_RBX, s->idisp[i]), s->ireg[i]);
}

static void fc_flush_floats(x64_emit *x)
{
    for (int c = 0; c < FC_N; c++)
        if (x->fc_loc[c]) {
            fc_spill(x, c);
            x->fc_loc[c] = 0;
        }
}

/* Both caches to their slots. */
void wb__x64e_fc_flush(x64_emit *x)
{
    fc_flush_floats(x);
    for (int c = 0; c < x->ic_n; c++)
        if (x->ic_loc[c]) {
            ic_spill(x, c);
            x->ic_loc[c] = 0;
        }
}

/* Does the op being translated name loc (so that its entry stays)? */
static bool in_use(const x64_emit *x, uint64_t loc)
{
    const xop *o = &x->ops[x->cur];
    for (unsigned k = 0; k < MAXV; k++)
        if (o->v[k] == loc)
            return true;
    return false;
}

int wb__x64e_ic_take(x64_emit *x, uint64_t loc)
{
    int c = ic_find(x, loc);
    if (!x->fc_on || ((uint32_t)loc & WB__LOC_MASK) != WB__LOC_STACK) {
        if (c >= 0) /* its slot is written instead */
            x->ic_loc[c] = 0;
        return -1;
    }
    for (int k = 0; c < 0 && k < x->ic_n; k++)
        if (!x->ic_loc[k])
            c = k;
    for (int k = 0; c < 0 && k < x->ic_n; k++) { /* full: one the op does not name goes to its slot */
        int e = (x->ic_next + k) % x->ic_n;
        if (!in_use(x, x->ic_loc[e])) {
            ic_spill(x, e);
            x->ic_next = (uint8_t)((e + 1) % x->ic_n);
            c = e;
        }
    }
    if (c < 0)
        return -1;
    x->ic_loc[c] = loc;
    fc_claim(x, loc, 8, false, true);
    return x->ic_reg[c];
}

/* The float cache's entry for loc, a float (vec: a v128) that the op being
 * translated writes, or -1 (its slot is written instead). */
static int fc_take(x64_emit *x, uint64_t loc, bool dbl, bool vec)
{
    fc_claim(x, loc, vec ? 16 : 8, true, false);
    int c = fc_find(x, loc);
    if (!x->fc_on || ((uint32_t)loc & WB__LOC_MASK) != WB__LOC_STACK) {
        if (c >= 0) /* its slot is written instead */
            x->fc_loc[c] = 0;
        return -1;
    }
    for (int k = 0; c < 0 && k < FC_N; k++)
        if (!x->fc_loc[k])
            c = k;
    for (int k = 0; c < 0 && k < FC_N; k++) { /* full: one the op does not use goes to its slot */
        int e = (x->fc_next + k) % FC_N;
        if (!((x->fc_read | x->fc_set) >> e & 1)) {
            fc_spill(x, e);
            x->fc_next = (uint8_t)((e + 1) % FC_N);
            c = e;
        }
    }
    if (c < 0) /* (every entry is the op's: cannot happen, an op has at most three) */
        return -1;
    x->fc_loc[c] = loc;
    x->fc_dbl[c] = dbl;
    x->fc_vec[c] = vec;
    x->fc_set |= (uint8_t)(1u << c);
    if (x->held == loc || (vec && x->held == loc + 8)) /* (a stale rax copy) */
        x->held = UINT64_MAX;
    return FC_XMM0 + c;
}
int wb__x64e_fc_take(x64_emit *x, uint64_t loc, bool dbl) { return fc_take(x, loc, dbl, false); }
int wb__x64e_vc_take(x64_emit *x, uint64_t loc) { return fc_take(x, loc, true, true); }

void wb__x64e_leave(x64_emit *x, int cc, uint32_t cell)
{
    uint32_t at = cc < 0 ? x64_jmp(&x->a) : x64_jcc(&x->a, cc);
    fsnap fs = fc_snap(x);
    if (!fs.n && !fs.ni) {
        fix(x, &x->ex, &x->nex, &x->cex, at, cell);
        return;
    }
    struct fleave *p = room(x, x->fleave, x->nfleave, &x->cfleave, sizeof *p);
    if (!p)
        return;
    x->fleave = p;
    p[x->nfleave++] = (struct fleave){at, cell, fs};
}

/* dst op= b, the ALU op `alu` (or imul for -1); b a constant (an immediate
 * when it fits) or a slot or pinned local (not dst). */
static void alu_to(x64_emit *x, int alu, bool w, int dst, uint64_t b)
{
    if (is_const(b)) {
        uint64_t v = const_of(x, b);
        bool fits = w ? (int64_t)v == (int32_t)v : true; /* a 32-bit op reads the low half */
        if (w && v == 0 && (alu == X64_ADD || alu == X64_SUB || alu == X64_OR || alu == X64_XOR))
            return; /* (a 32-bit op still runs: it clears the upper half, which held32 may count on) */
        if (alu >= 0 && fits) {
            x64_alu_ri(&x->a, alu, w, dst, (int32_t)(uint32_t)v);
            return;
        }
        if (alu < 0 && fits) {
            x64_imul_ri(&x->a, w, dst, dst, (int32_t)(uint32_t)v);
            return;
        }
        x64_mov_ri(&x->a, X64_RCX, w ? v : (uint32_t)v);
        if (alu >= 0)
            x64_alu_rr(&x->a, alu, w, dst, X64_RCX);
        else
            x64_imul_rr(&x->a, w, dst, X64_RCX);
        return;
    }
    int p = pinned(x, b);
    if (fpinned(x, b, NULL) >= 0 || fc_find(x, b) >= 0) { /* a float, reinterpreted */
        load(x, w, X64_RCX, b);
        p = X64_RCX;
    }
    if (p >= 0 && alu >= 0)
        x64_alu_rr(&x->a, alu, w, dst, p);
    else if (p >= 0)
        x64_imul_rr(&x->a, w, dst, p);
    else if (alu >= 0)
        x64_alu_rm(&x->a, alu, w, dst, slot(x, b));
    else
        x64_imul_rm(&x->a, w, dst, slot(x, b));
}
static void alu_b(x64_emit *x, int alu, bool w, uint64_t b) { alu_to(x, alu, w, X64_RAX, b); }

/* d = a op b: in d's register when d is a pinned local that b is not (a
 * 32-bit op there zero-extends, as the slot would hold it); else in rax. */
static bool commutes(int alu) { return alu == -1 || alu == X64_ADD || alu == X64_AND || alu == X64_OR || alu == X64_XOR; }

/* dst op= the operand at loc, taken from rax when the op before left it
 * there (held). */
static void op_to(x64_emit *x, int alu, bool w, int dst, uint64_t loc, bool held)
{
    if (held && alu >= 0)
        x64_alu_rr(&x->a, alu, w, dst, X64_RAX);
    else if (held)
        x64_imul_rr(&x->a, w, dst, X64_RAX);
    else
        alu_to(x, alu, w, dst, loc);
}

/* d = a + b in one lea where a is in an integer register (a pinned local's
 * or a cached value's) and b is too, or is in rax (b_held), or is a
 * constant that fits: the mov and the add at once (a 32-bit lea keeps the
 * low half of the sum and clears the rest, as the add does).  False when
 * it cannot. */
static bool add_lea(x64_emit *x, bool w, int d, uint64_t a, uint64_t b, bool b_held)
{
    int ra = pinned(x, a), rb = b_held ? X64_RAX : pinned(x, b);
    wb__x64_mem m;
    if (ra < 0)
        return false;
    if (rb >= 0) {
        m = x64_mem_idx(ra, rb, 1, 0);
    } else if (is_const(b) && (!w || (int64_t)const_of(x, b) == (int32_t)const_of(x, b))) {
        m = x64_mem(ra, (int32_t)(uint32_t)const_of(x, b));
    } else {
        return false;
    }
    x64_lea(&x->a, w, d, m);
    return true;
}

static void alu3(x64_emit *x, int alu, bool w, const uint64_t *v)
{
    int d = pinned(x, v[2]);
    bool b_held = x->held_ok && x->held == v[1] && v[0] != v[1]; /* b is in rax */
    if (d >= 0 && pinned(x, v[1]) == d && pinned(x, v[0]) != d && commutes(alu)) { /* d = d op a */
        bool a_held = x->held_ok && x->held == v[0];
        x->held_ok = false;
        op_to(x, alu, w, d, v[0], a_held);
        if (!w)
            zero_extended(x, v[2]);
        return;
    }
    if (d >= 0 && pinned(x, v[1]) != d && !(x->held_ok && x->held == v[0])) {
        x->held_ok = false;
        if (alu != X64_ADD || pinned(x, v[0]) == d || !add_lea(x, w, d, v[0], v[1], b_held)) {
            if (pinned(x, v[0]) != d)
                load(x, w, d, v[0]);
            op_to(x, alu, w, d, v[1], b_held);
        }
        if (!w)
            zero_extended(x, v[2]);
        return;
    }
    if (b_held && commutes(alu)) { /* b op a, from rax */
        x->held_ok = false;
        alu_to(x, alu, w, X64_RAX, v[0]);
        store_last(x, v[2]);
        x->held32 = !w;
        return;
    }
    bool loaded = false; /* a loaded to eax by a 32-bit instruction, which cleared the upper half */
    bool a_held = x->held_ok && x->held == v[0];
    if (!w && a_held && pinned(x, v[0]) < 0 && fpinned(x, v[0], NULL) < 0) {
        x->held_ok = false; /* a in eax: the 32-bit op reads the low half and clears the rest */
    } else if (alu == X64_ADD && !a_held && !b_held && add_lea(x, w, X64_RAX, v[0], v[1], false)) {
        x->held_ok = false;
        store_last(x, v[2]);
        x->held32 = !w;
        return;
    } else {
        load_first(x, w, X64_RAX, v[0]);
        loaded = !w;
    }
    bool nop = loaded && is_const(v[1]) && (uint32_t)const_of(x, v[1]) == 0 &&
               (alu == X64_ADD || alu == X64_SUB || alu == X64_OR || alu == X64_XOR);
    if (!nop) /* (a + 0 as loaded is a) */
        alu_b(x, alu, w, v[1]);
    store_last(x, v[2]);
    x->held32 = !w;
}

/* A pinned float local to its slot, and back. */
static void fspill(x64_emit *x, unsigned i)
{
    fc_store(x, wb__fpin_reg[i], x->fpin_dbl[i] ? 8 : 4, (int32_t)x->fpin_off[i]);
}
static void ffill(x64_emit *x, unsigned i)
{
    x64_movs_rm(&x->a, x->fpin_dbl[i], wb__fpin_reg[i], x64_mem(X64_RBX, (int32_t)x->fpin_off[i]));
}

/* The pinned locals to their slots (those below `below` bytes), and back. */
static void spill(x64_emit *x, uint32_t below)
{
    for (unsigned i = 0; i < x->npin; i++)
        if (x->pin_off[i] < below)
            x64_mov_mr(&x->a, true, x64_mem(X64_RBX, (int32_t)x->pin_off[i]), wb__pin_reg[i]);
    for (unsigned i = 0; i < x->nfpin; i++)
        if (x->fpin_off[i] < below)
            fspill(x, i);
}
static void fill(x64_emit *x)
{
    for (unsigned i = 0; i < x->npin; i++)
        x64_mov_rm(&x->a, true, wb__pin_reg[i], x64_mem(X64_RBX, (int32_t)x->pin_off[i]));
    for (unsigned i = 0; i < x->nfpin; i++)
        ffill(x, i);
}
/* Around code that does not keep them (a call to C or to another
 * function): the integer ones on the C stack, the float ones in their
 * slots (uses no general register). */
void wb__x64e_save_pinned(x64_emit *x)
{
    fc_flush_floats(x); /* the C ABI keeps no xmm register */
    for (unsigned i = 0; i < x->npin; i++)
        if (!(x->dead >> i & 1))
            x64_push(&x->a, wb__pin_reg[i]);
    for (int c = 0; c < x->ic_n; c++)
        if (x->ic_loc[c])
            x64_push(&x->a, x->ic_reg[c]);
    for (unsigned i = 0; i < x->nfpin; i++)
        if (!(x->dead >> (8 + i) & 1))
            fspill(x, i);
}
void wb__x64e_restore_pinned(x64_emit *x)
{
    for (int c = x->ic_n; c-- > 0;)
        if (x->ic_loc[c])
            x64_pop(&x->a, x->ic_reg[c]);
    for (unsigned i = x->npin; i-- > 0;)
        if (!(x->dead >> i & 1))
            x64_pop(&x->a, wb__pin_reg[i]);
    for (unsigned i = 0; i < x->nfpin; i++)
        if (!(x->dead >> (8 + i) & 1))
            ffill(x, i);
}

/* The role of each of an op's operands (as op() takes them): 'r' 'R' 'w'
 * 'W' 'b' 'i' 'x', or 'D' 'F' 'P' 'I' for a whole cell.  Returns the count. */
static unsigned operand_roles(const wb__opformat *f, char *role)
{
    unsigned n = 0;
    for (const char *r = f->roles; r[0]; r += 2) {
        if (r[0] == r[1] && strchr("DFPI", r[0])) {
            role[n++] = r[0];
            continue;
        }
        for (int j = 0; j < 2; j++)
            if (r[j] != '-')
                role[n++] = r[j];
    }
    return n;
}

/* The pinned locals a call at ops[i] need not keep (bit p: pin p, bit 8 + p:
 * float pin p): those that the straight line of ops after it writes before
 * it reads them, or that it returns without reading.  A branch, a call or
 * an op with other operands than slots and immediates ends the scan; what
 * it has not decided by then is kept.  (A leave on the way is no read: the
 * interpreter goes on along the same line.) */
static uint16_t dead_after(x64_emit *x, uint32_t i)
{
    uint16_t all = (uint16_t)(((1u << x->npin) - 1) | ((1u << x->nfpin) - 1) << 8), seen = 0, dead = 0;
    for (uint32_t j = i + 1; j < x->nops && seen != all; j++) {
        const xop *o = &x->ops[j];
        char role[MAXV + 8];
        unsigned n = operand_roles(wb__op_format(o->id), role);
        bool ret = o->id == WB__OP_RETURN || o->id == WB__OP_RETURN1;
        if (o->target != WB__NO_TARGET || o->table || (wb__ops[o->id].flags & WB__OPF_END && !ret))
            break;
        for (unsigned k = 0; k < n; k++)
            if (!strchr("rwRWi-", role[k]))
                return dead;
        for (int pass = 0; pass < 2; pass++) /* reads, then writes */
            for (unsigned k = 0; k < n; k++) {
                if (!strchr(pass ? "wW" : "rR", role[k]))
                    continue;
                int p = pin_index(x, o->v[k]), f = fpinned(x, o->v[k], NULL);
                unsigned bit = p >= 0 ? (unsigned)p : f >= 0 ? 8u + (unsigned)(f - wb__fpin_reg[0]) : 16;
                if (bit < 16 && !(seen >> bit & 1)) {
                    seen |= (uint16_t)(1u << bit);
                    dead |= (uint16_t)(pass << bit);
                }
            }
        if (o->id == WB__OP_RETURN) { /* it reads the results, which are at slots 0.. */
            for (unsigned p = 0; p < x->npin; p++)
                seen |= (uint16_t)((x->pin_off[p] < x->f->type->result_slots * 8u) << p);
            for (unsigned p = 0; p < x->nfpin; p++)
                seen |= (uint16_t)((x->fpin_off[p] < x->f->type->result_slots * 8u) << (8 + p));
        }
        if (ret)
            return dead | (all & ~seen);
    }
    return dead;
}

/* An op that reads and writes slots itself: the pinned locals it reads go
 * to their slots first, those it writes come back after. */
static bool unpinned(x64_emit *x, const xop *o, bool (*tr)(x64_emit *, const xop *))
{
    char role[MAXV + 8];
    unsigned n = operand_roles(wb__op_format(o->id), role);
    uint32_t at = x64_pos(&x->a);
    for (unsigned i = 0; i < n; i++) {
        int p = strchr("rR", role[i]) ? pinned(x, o->v[i]) : -1;
        if (p >= 0)
            x64_mov_mr(&x->a, true, slot(x, o->v[i]), p);
    }
    x->nopin = true;
    bool done = tr(x, o);
    x->nopin = false;
    if (!done) /* not tr's op: the stores above were for nothing */
        x->a.n = at;
    for (unsigned i = 0; done && i < n; i++) {
        int p = strchr("wW", role[i]) ? pinned(x, o->v[i]) : -1;
        if (p >= 0)
            x64_mov_rm(&x->a, true, p, slot(x, o->v[i]));
    }
    return done;
}

/* rax = fuel left after a charge, the flags from computing it: leave at
 * cell if it is negative, else keep it.  (The interrupt flags wait for the
 * chunk's end, code.h's wb__jit_set_fuel; a charge the chunk cannot pay
 * leaves, and the interpreter pays it from the whole.) */
static void commit(x64_emit *x, uint32_t cell)
{
    wb__x64e_leave(x, X64_CC_L, cell);
    x64_mov_rr(&x->a, true, X64_R15, X64_RAX);
}

/* After r15 -= cost: when it went negative, out of line, the function's
 * refill; back here if that gave fuel, else give cost back and leave at
 * cell, so that the interpreter charges it again and stops. */
static void refund_at(x64_emit *x, int32_t cost, uint32_t cell, uint32_t back);
static void refund(x64_emit *x, int32_t cost, uint32_t cell) { refund_at(x, cost, cell, UINT32_MAX); }

/* The same where the charge is followed by the jump it pays for at back,
 * taken when r15 is not negative: a jump to the stub, and the stub comes
 * back to that jump (the refill's test leaves the flags it reads). */
static void refund_at(x64_emit *x, int32_t cost, uint32_t cell, uint32_t back)
{
    struct refund *p = room(x, x->refund, x->nrefund, &x->crefund, sizeof *p);
    if (!p)
        return;
    x->refund = p;
    struct refund *r = &p[x->nrefund++];
    r->cell = cell;
    r->cost = cost;
    r->at = back == UINT32_MAX ? x64_jcc(&x->a, X64_CC_L) : x64_jmp(&x->a);
    r->back = back == UINT32_MAX ? x64_pos(&x->a) : back;
}

/* The refill the refunds call (once a function, out of line): unless an
 * interrupt flag is up, r15 += the next chunk of ctx->reserve; SF then
 * says whether r15 is still negative.  rcx and rdx are free where fuel is
 * charged. */
static void refill(x64_emit *x)
{
    wb__x64 *a = &x->a;
    x->refill = x64_pos(a);
    x64_mov_rm(a, true, X64_RCX, x64_mem(X64_R14, WB__JCTX_EXT));
    x64_mov_rm(a, false, X64_RCX, x64_mem(X64_RCX, 0));
    x64_mov_rm(a, true, X64_RDX, x64_mem(X64_R14, WB__JCTX_IREQ));
    x64_alu_rm(a, X64_OR, false, X64_RCX, x64_mem(X64_RDX, 0));
    uint32_t flag = x64_jcc(a, X64_CC_NE);
    x64_mov_rm(a, true, X64_RCX, x64_mem(X64_R14, WB__JCTX_RESERVE));
    x64_mov_ri(a, X64_RDX, (uint64_t)WB_JIT_FUEL_CHUNK);
    x64_alu_rr(a, X64_CMP, true, X64_RCX, X64_RDX);
    x64_cmov_rr(a, X64_CC_B, true, X64_RDX, X64_RCX); /* rdx = min(reserve, chunk) */
    x64_alu_rr(a, X64_ADD, true, X64_R15, X64_RDX);
    x64_alu_rr(a, X64_SUB, true, X64_RCX, X64_RDX);
    x64_mov_mr(a, true, x64_mem(X64_R14, WB__JCTX_RESERVE), X64_RCX);
    x64_patch(a, flag, x64_pos(a));
    x64_test_rr(a, true, X64_R15, X64_R15);
    x64_ret(a);
}

/* A taken back-edge: charge cost, two instructions in the common case. */
static void charge(x64_emit *x, uint64_t cost, uint32_t cell)
{
    wb__x64 *a = &x->a;
    if (cost > INT32_MAX) {
        x64_mov_rr(a, true, X64_RAX, X64_R15);
        x64_mov_ri(a, X64_RCX, cost);
        x64_alu_rr(a, X64_SUB, true, X64_RAX, X64_RCX);
        commit(x, cell);
        return;
    }
    x64_alu_ri(a, X64_SUB, true, X64_R15, (int32_t)cost);
    refund(x, (int32_t)cost, cell);
}

/* A back-edge to target that charges cost: two instructions in the common
 * case, the subtraction and the jump taken. */
static void charge_jump(x64_emit *x, uint64_t cost, uint32_t cell, uint32_t target)
{
    if (cost > INT32_MAX) {
        charge(x, cost, cell);
        wb__x64e_jump(x, -1, target);
        return;
    }
    x64_alu_ri(&x->a, X64_SUB, true, X64_R15, (int32_t)cost);
    uint32_t back = x64_pos(&x->a);
    wb__x64e_jump(x, X64_CC_GE, target);
    refund_at(x, (int32_t)cost, cell, back);
}

/* A conditional branch (cc in the flags) to target; a back-edge (fuel)
 * charges it when taken. */
static void branch(x64_emit *x, int cc, uint32_t target, uint64_t fuel, uint32_t cell)
{
    if (!fuel) {
        wb__x64e_jump(x, cc, target);
        return;
    }
    uint32_t skip = x64_jcc(&x->a, cc ^ 1);
    charge_jump(x, fuel, cell, target);
    x64_patch(&x->a, skip, x64_pos(&x->a));
}

static const int cmp_cc[10] = {X64_CC_E, X64_CC_NE, X64_CC_L, X64_CC_B, X64_CC_G,
                               X64_CC_A, X64_CC_LE, X64_CC_BE, X64_CC_GE, X64_CC_AE};

/* An integer compare op (I32_EQ .. I64_GE_U): flags of a - b; its cc. */
static int compare(x64_emit *x, unsigned cmp, uint64_t a, uint64_t b)
{
    bool w = cmp >= WB__OP_I64_EQ;
    int p = pinned(x, a);
    if (p >= 0) {
        x->held_ok = false;
        alu_to(x, X64_CMP, w, p, b);
        return cmp_cc[cmp - (w ? WB__OP_I64_EQ : WB__OP_I32_EQ)];
    }
    load_first(x, w, X64_RAX, a);
    alu_b(x, X64_CMP, w, b);
    return cmp_cc[cmp - (w ? WB__OP_I64_EQ : WB__OP_I32_EQ)];
}

/* The access of size bytes at the u32 address at loc + offset, checked:
 * leave at cell unless address + size <= the memory's size (the
 * interpreter then traps there).  A constant address is a displacement
 * from r12; the address is a pinned local's register as it is where the
 * op before wrote it with a 32-bit instruction (x64_emit.zx); else it
 * goes to rax, offset added. */
wb__x64_mem wb__x64e_access(x64_emit *x, uint64_t loc, uint32_t offset, uint32_t size, uint32_t cell)
{
    if (is_const(loc) && x->leave_store == UINT64_MAX) { /* a fixed address (a C global): one compare */
        uint64_t end = (uint64_t)(uint32_t)const_of(x, loc) + offset + size;
        if (end <= INT32_MAX) {
            x->held_ok = false; /* as load_first */
            x64_alu_ri(&x->a, X64_CMP, true, X64_R13, (int32_t)end);
            wb__x64e_leave(x, X64_CC_B, cell);
            return x64_mem(X64_R12, (int32_t)(end - size));
        }
    }
    int i = pin_index(x, loc);
    if (i < 0 || !(x->zx >> i & 1) || offset > INT32_MAX - 16 || x->leave_store != UINT64_MAX) {
        wb__x64e_address(x, loc, offset, size, cell);
        return x64_mem_idx(X64_R12, X64_RAX, 1, 0);
    }
    wb__x64 *a = &x->a;
    int p = wb__pin_reg[i];
    x->held_ok = false; /* as load_first */
    if (size == 1 && offset == 0) {
        x64_alu_rr(a, X64_CMP, true, p, X64_R13);
        wb__x64e_leave(x, X64_CC_AE, cell);
    } else {
        x64_lea(a, true, X64_RCX, x64_mem(p, (int32_t)(offset + size)));
        x64_alu_rr(a, X64_CMP, true, X64_RCX, X64_R13);
        wb__x64e_leave(x, X64_CC_A, cell);
    }
    return x64_mem_idx(X64_R12, p, 1, (int32_t)offset);
}

/* rax = the u32 address at loc + offset; leave at cell unless rax + size
 * <= the memory's size (the interpreter then traps there). */
void wb__x64e_address(x64_emit *x, uint64_t loc, uint32_t offset, uint32_t size, uint32_t cell)
{
    wb__x64 *a = &x->a;
    bool late = x->leave_store == loc && x->held_ok && offset <= INT32_MAX;
    if (x->leave_store != UINT64_MAX && !late) { /* (function() asks only where it can be late) */
        x64_mov_mr(a, true, slot(x, x->leave_store), X64_RAX);
        x->leave_store = UINT64_MAX;
    }
    load_first(x, false, X64_RAX, loc);
    if (offset <= INT32_MAX) {
        if (offset)
            x64_alu_ri(a, X64_ADD, true, X64_RAX, (int32_t)offset);
    } else {
        x64_mov_ri(a, X64_RCX, offset);
        x64_alu_rr(a, X64_ADD, true, X64_RAX, X64_RCX);
    }
    int cc = X64_CC_A; /* rax + size > the size */
    if (size == 1) {   /* rax >= the size: an instruction less */
        x64_alu_rr(a, X64_CMP, true, X64_RAX, X64_R13);
        cc = X64_CC_AE;
    } else {
        x64_lea(a, true, X64_RCX, x64_mem(X64_RAX, (int32_t)size));
        x64_alu_rr(a, X64_CMP, true, X64_RCX, X64_R13);
    }
    if (!late) {
        wb__x64e_leave(x, cc, cell);
        return;
    }
    /* The address's slot is written only on the way out (function()). */
    x->leave_store = UINT64_MAX;
    struct late *p = room(x, x->late, x->nlate, &x->clate, sizeof *p);
    if (!p)
        return;
    x->late = p;
    p[x->nlate++] = (struct late){x64_jcc(a, cc), cell, slot(x, loc).disp, (int32_t)offset, fc_snap(x)};
}

/* rax = the u32 address at loc; leave at cell unless rax + rdx (a length)
 * <= the memory's size. */
static void span(x64_emit *x, uint64_t loc, uint32_t cell)
{
    load(x, false, X64_RAX, loc);
    x64_lea(&x->a, true, X64_RCX, x64_mem_idx(X64_RAX, X64_RDX, 1, 0));
    x64_alu_rr(&x->a, X64_CMP, true, X64_RCX, X64_R13);
    wb__x64e_leave(x, X64_CC_A, cell);
}

/* Calls the C function at rax, the stack aligned to 16 bytes as C wants
 * (compiled calls nest by 8 bytes each): the old rsp is pushed (through
 * r11, which the pinned locals' save freed) where the aligned call leaves
 * it, and popped back. */
void wb__x64e_c_call(x64_emit *x)
{
    wb__x64 *a = &x->a;
    x64_mov_rr(a, true, X64_R11, X64_RSP);
    x64_alu_ri(a, X64_AND, true, X64_RSP, -16);
    x64_alu_ri(a, X64_SUB, true, X64_RSP, 8);
    x64_push(a, X64_R11);
    x64_call_r(a, X64_RAX);
    x64_mov_rm(a, true, X64_RSP, x64_mem(X64_RSP, 0));
}

void wb__x64e_call_c(x64_emit *x, const void *fn, bool rax_arg)
{
    wb__x64e_save_pinned(x);
    if (rax_arg)
        x64_mov_rr(&x->a, true, X64_RDI, X64_RAX);
    x64_mov_ri(&x->a, X64_RAX, (uint64_t)(uintptr_t)fn);
    wb__x64e_c_call(x);
    wb__x64e_restore_pinned(x);
}

/* memory.fill / memory.copy ([d|v or s][n|-]): the interpreter's bounds
 * checks, then its fuel (one unit per 16 bytes, charged after the op as a
 * check point: when that would fail, nothing is done here and the
 * interpreter runs the op and stops after it), then memset / memmove (rbx
 * and r12-r15 survive the call). */
static void bulk(x64_emit *x, bool fill, const uint64_t *v, uint32_t cell)
{
    wb__x64 *a = &x->a;
    load(x, false, X64_RDX, v[2]); /* n */
    if (!fill)
        span(x, v[1], cell);
    span(x, v[0], cell);
    _Static_assert(WB_FUEL_BULK_SHIFT == 4, "the rounding below");
    x64_mov_rr(a, true, X64_RCX, X64_RDX);
    x64_alu_ri(a, X64_ADD, true, X64_RCX, 15);
    x64_shift_ri(a, X64_SHR, true, X64_RCX, 4);
    x64_mov_rr(a, true, X64_RAX, X64_R15);
    x64_alu_rr(a, X64_SUB, true, X64_RAX, X64_RCX);
    commit(x, cell);
    /* Nothing leaves from here on: the pinned locals can go to the stack
     * (they keep their values meanwhile, for the operands read below). */
    wb__x64e_save_pinned(x);
    load(x, false, X64_RAX, v[0]);
    x64_lea(a, true, X64_RAX, x64_mem_idx(X64_R12, X64_RAX, 1, 0));
    load(x, false, X64_RCX, v[1]); /* memset takes the low byte */
    if (!fill)
        x64_lea(a, true, X64_RCX, x64_mem_idx(X64_R12, X64_RCX, 1, 0));
    x64_mov_rr(a, true, X64_RDI, X64_RAX);
    x64_mov_rr(a, true, X64_RSI, X64_RCX);
    x64_mov_ri(a, X64_RAX, fill ? (uint64_t)(uintptr_t)memset : (uint64_t)(uintptr_t)memmove);
    wb__x64e_c_call(x);
    wb__x64e_restore_pinned(x);
}

/* rax = &the instance's global idx (a wb_global *). */
static void global_at(x64_emit *x, uint32_t idx)
{
    _Static_assert(offsetof(wb__jit_ctx, inst) == 24, "ctx layout");
    x64_mov_rm(&x->a, true, X64_RAX, x64_mem(X64_R14, 24));
    x64_mov_rm(&x->a, true, X64_RAX, x64_mem(X64_RAX, (int32_t)offsetof(wb_instance, globals)));
    x64_mov_rm(&x->a, true, X64_RAX, x64_mem(X64_RAX, (int32_t)(idx * 8)));
}

/* How a function's machine code returns to a compiled caller, in the flags
 * as well as in eax, so that the caller needs one branch after the call:
 * returned, eax = WB__JIT_RETURNED and SF set; left for the interpreter,
 * eax = the cell (below 2^31) and SF clear. */
static void returned(x64_emit *x)
{
    _Static_assert(WB__JIT_RETURNED == UINT32_MAX, "or eax, -1");
    x64_alu_ri(&x->a, X64_OR, false, X64_RAX, -1);
    x64_ret(&x->a);
}
static void left(x64_emit *x)
{
    x64_test_rr(&x->a, false, X64_RAX, X64_RAX);
    x64_ret(&x->a);
}

/* A call into another instance, rdx: the frame at rbp (being pushed) is
 * marked as crossing and holds this instance; rdx's becomes the context's,
 * its memory r12/r13's.  (Any other frame's fn field is never the mark:
 * frames start zeroed, cross_out clears it, the interpreter overwrites it.) */
static void cross_in(x64_emit *x)
{
    wb__x64 *a = &x->a;
    _Static_assert(offsetof(wb__frame, fn) == 16 && offsetof(wb__frame, inst) == 24, "the frame's fields below");
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_R14, WB__JCTX_INST));
    x64_mov_mr(a, true, x64_mem(X64_RBP, 24), X64_RAX);
    x64_mov_mi(a, true, x64_mem(X64_RBP, 16), (int32_t)(uintptr_t)WB__FRAME_CROSS);
    x64_mov_mr(a, true, x64_mem(X64_R14, WB__JCTX_INST), X64_RDX);
    wb__x64e_reload_mem(x);
}

/* After it returned (rbp back at its frame): this instance and its memory
 * again (which may have moved meanwhile), the mark cleared. */
static void cross_out(x64_emit *x)
{
    wb__x64 *a = &x->a;
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RBP, 24));
    x64_mov_mr(a, true, x64_mem(X64_R14, WB__JCTX_INST), X64_RAX);
    x64_mov_mi(a, true, x64_mem(X64_RBP, 16), 0);
    wb__x64e_reload_mem(x);
}

/* A call to a defined function (callee; NULL: the wb__func in rcx, which
 * has machine code, of this instance or, with `cross`, of the instance in
 * rdx), the op at cell k, its arguments at rbx + base: the interpreter's
 * checks (fuel with the interrupt flags, frame and value stack room;
 * leaving before anything is done when one fails, so that the interpreter
 * does the call and stops or grows there), then the caller's frame pushed
 * as the interpreter pushes it, and the callee's code called with rbx at
 * its frame.  It returns with rbx as it got it; anything but RETURNED is a
 * leave deeper down, passed on.
 *
 * Crossing, the frame says so (code.h's WB__FRAME_CROSS, with the caller's
 * instance), and the context's instance and r12/r13 are the callee's until
 * it returns, then the caller's again.  A leave from the callee keeps the
 * callee's: the interpreter goes on there.  (A site that may call either
 * way has both sequences, so that a call within the instance pays nothing
 * for the other.) */
static void call(x64_emit *x, const wb__func *callee, bool cross, int32_t base, uint32_t k, uint32_t next)
{
    wb__x64 *a = &x->a;
    wb__x64_call *r = NULL;
    if (callee) {
        wb__x64_call *p = room(x, x->calls, x->ncalls, &x->ccalls, sizeof *p);
        if (!p)
            return;
        x->calls = p;
        r = &p[x->ncalls++];
        r->callee = callee;
        /* The guard: jit.c points it on to here when the callee has code
         * (which a call of the function itself has, if it runs at all). */
        r->guard = 0;
        if (callee != x->f) {
            r->guard = x64_pos(a) + 1;
            wb__x64e_leave(x, -1, k);
        }
    }
    /* A callee compiled before (or this function): its frame size and entry
     * fuel as immediates. */
    bool known = callee && (callee == x->f || callee->code) && callee->entry_fuel <= INT32_MAX &&
                 (uint64_t)callee->frame_slots * 8 + (uint64_t)(uint32_t)base <= INT32_MAX;
    if (known) {
        x64_lea(a, true, X64_RAX, x64_mem(X64_RBX, base + (int32_t)(callee->frame_slots * 8)));
    } else {
        if (callee)
            x64_mov_ri(a, X64_RCX, (uint64_t)(uintptr_t)callee);
        x64_mov_rm(a, false, X64_RAX, x64_mem(X64_RCX, (int32_t)offsetof(wb__func, frame_slots)));
        x64_lea(a, true, X64_RAX, x64_mem_idx(X64_RBX, X64_RAX, 8, base));
    }
    x64_alu_rm(a, X64_CMP, true, X64_RAX, x64_mem(X64_R14, WB__JCTX_STACK_END));
    wb__x64e_leave(x, X64_CC_A, k);
    x64_alu_rm(a, X64_CMP, true, X64_RBP, x64_mem(X64_R14, WB__JCTX_FRAMES_END));
    wb__x64e_leave(x, X64_CC_AE, k);
    if (known) {
        x64_alu_ri(a, X64_SUB, true, X64_R15, (int32_t)callee->entry_fuel);
        refund(x, (int32_t)callee->entry_fuel, k);
    } else {
        x64_mov_rr(a, true, X64_RAX, X64_R15);
        x64_alu_rm(a, X64_SUB, true, X64_RAX, x64_mem(X64_RCX, (int32_t)offsetof(wb__func, entry_fuel)));
        wb__x64e_leave(x, X64_CC_L, k);
        x64_mov_rr(a, true, X64_R15, X64_RAX);
    }
    /* *rbp++ = {call site, fpb}: the frame the interpreter pushes, in the
     * form it turns into its own if it takes over (code.h) */
    _Static_assert(sizeof(wb__frame) == 32 && offsetof(wb__frame, site) == 0 && offsetof(wb__frame, fpb) == 8,
                   "the frame push below");
    struct site *p = room(x, x->site, x->nsite, &x->csite, sizeof *p);
    if (!p)
        return;
    x->site = p;
    p[x->nsite++] = (struct site){x64_lea_rip(a, X64_RAX), next};
    x64_mov_mr(a, true, x64_mem(X64_RBP, 0), X64_RAX);
    x64_mov_mr(a, true, x64_mem(X64_RBP, 8), X64_RBX);
    if (cross)
        cross_in(x);
    x64_alu_ri(a, X64_ADD, true, X64_RBP, 32);
    x->dead = dead_after(x, x->cur);
    wb__x64e_save_pinned(x);
    if (!callee) { /* rcx's direct entry: its code, and there */
        x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RCX, (int32_t)offsetof(wb__func, jit)));
        x64_mov_rm(a, false, X64_RDX, x64_mem(X64_RCX, (int32_t)offsetof(wb__func, x64_direct)));
        x64_alu_rr(a, X64_ADD, true, X64_RAX, X64_RDX);
    }
    x64_lea(a, true, X64_RBX, x64_mem(X64_RBX, base));
    if (r)
        r->call = x64_call_rel(a);
    else
        x64_call_r(a, X64_RAX);
    x64_lea(a, true, X64_RBX, x64_mem(X64_RBX, -base));
    wb__x64e_restore_pinned(x);
    x->dead = 0;
    uint32_t out = x64_jcc(a, X64_CC_NS); /* it left (ret_flags) */
    x64_patch(a, out, x->ret);
    x64_alu_ri(a, X64_SUB, true, X64_RBP, 32);
    if (cross)
        cross_out(x);
}

static void wasm_callee(x64_emit *x, bool cross, uint32_t k);

/* call_indirect's lookup: rcx = the wb__func of table[i] (call()'s), which
 * must be of the type asked for and have machine code; else leave at k,
 * where the interpreter traps or calls.  A function of another instance
 * jumps to *cross with the wb_func in rax (wasm_callee's there).
 * A host function is called there (when an op follows to stop at), and
 * *host the jump past the call to patch. */
static bool call_indirect(x64_emit *x, const uint64_t *v, uint32_t k, uint32_t next, uint32_t *host,
                          uint32_t *cross)
{
    wb__x64 *a = &x->a;
    const wb__type *types = x->f->type - x->f->type_idx;
    x64_mov_rm(a, true, X64_RDX, x64_mem(X64_R14, WB__JCTX_INST));
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RDX, (int32_t)offsetof(wb_instance, tables)));
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RAX, (int32_t)(v[0] * 8)));
    load(x, false, X64_RCX, v[2]);
    x64_alu_rm(a, X64_CMP, false, X64_RCX, x64_mem(X64_RAX, (int32_t)offsetof(wb_table, size)));
    wb__x64e_leave(x, X64_CC_AE, k);
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RAX, (int32_t)offsetof(wb_table, elems)));
    x64_mov_rm(a, true, X64_RAX, x64_mem_idx(X64_RAX, X64_RCX, 8, 0));
    x64_test_rr(a, true, X64_RAX, X64_RAX);
    wb__x64e_leave(x, X64_CC_E, k);
    *host = 0;
    if (op_index(x, next) < x->nops) {
        x64_alu_mi(a, X64_CMP, true, x64_mem(X64_RAX, (int32_t)offsetof(wb_func, code)), 0);
        uint32_t wasm = x64_jcc(a, X64_CC_NE);
        wb__x64e_host_indirect(x, &types[v[1]].ft, slot(x, v[3]).disp, k, next);
        *host = x64_jmp(a);
        x64_patch(a, wasm, x64_pos(a));
    }
    /* The type: this module's (the same pointer), or another module's equal
     * one (the same wb__type_sig). */
    x64_mov_ri(a, X64_RCX, (uint64_t)(uintptr_t)&types[v[1]].ft);
    x64_alu_rm(a, X64_CMP, true, X64_RCX, x64_mem(X64_RAX, (int32_t)offsetof(wb_func, type)));
    if (types[v[1]].sig) {
        uint32_t same = x64_jcc(a, X64_CC_E);
        x64_mov_rm(a, true, X64_RCX, x64_mem(X64_RAX, (int32_t)offsetof(wb_func, type)));
        x64_mov_ri(a, X64_RDX, types[v[1]].sig);
        _Static_assert(offsetof(wb__type, ft) == 0, "a wb_func's type is its wb__type");
        x64_alu_rm(a, X64_CMP, false, X64_RDX, x64_mem(X64_RCX, (int32_t)offsetof(wb__type, sig)));
        wb__x64e_leave(x, X64_CC_NE, k);
        x64_mov_rm(a, true, X64_RDX, x64_mem(X64_R14, WB__JCTX_INST));
        x64_patch(a, same, x64_pos(a));
    } else {
        wb__x64e_leave(x, X64_CC_NE, k);
    }
    x64_alu_rm(a, X64_CMP, true, X64_RDX, x64_mem(X64_RAX, (int32_t)offsetof(wb_func, inst)));
    *cross = x64_jcc(a, X64_CC_NE);
    wasm_callee(x, false, k);
    return !a->bad;
}

/* rax's wb_func, a wasm function: rcx = its wb__func and, of another
 * instance, rdx = that instance, as call() takes them; leave at k when it
 * has no machine code. */
static void wasm_callee(x64_emit *x, bool cross, uint32_t k)
{
    wb__x64 *a = &x->a;
    x64_mov_rm(a, true, X64_RCX, x64_mem(X64_RAX, (int32_t)offsetof(wb_func, code)));
    x64_test_rr(a, true, X64_RCX, X64_RCX);
    wb__x64e_leave(x, X64_CC_E, k);
    x64_alu_mi(a, X64_CMP, true, x64_mem(X64_RCX, (int32_t)offsetof(wb__func, jit)), 0);
    wb__x64e_leave(x, X64_CC_E, k);
    if (cross)
        x64_mov_rm(a, true, X64_RDX, x64_mem(X64_RAX, (int32_t)offsetof(wb_func, inst)));
}

void wb__x64e_call_other(x64_emit *x, int32_t base, uint32_t k, uint32_t next)
{
    wasm_callee(x, true, k);
    call(x, NULL, true, base, k, next);
}

/* Translates one op; false for an op it leaves to the interpreter. */
static bool overwrites_held(x64_emit *x, const xop *o, uint64_t loc);

static bool translate(x64_emit *x, const xop *o)
{
    if (wb__x64e_runtime_op(o->id) && unpinned(x, o, wb__x64e_runtime))
        return true;
    if (wb__x64e_simd_op(o->id))
        return wb__x64e_simd(x, o);
    if (wb__x64e_numeric(x, o)) /* it reads and writes pinned locals through load() and store() */
        return true;
    const uint64_t *v = o->v;
    unsigned id = o->id;
    uint32_t k = o->at;
    bool w = false;
    int alu = -2;
    switch (id) {
    case WB__OP_I64_ADD: w = true; /* fall through */
    case WB__OP_I32_ADD: alu = X64_ADD; break;
    case WB__OP_I64_SUB: w = true; /* fall through */
    case WB__OP_I32_SUB: alu = X64_SUB; break;
    case WB__OP_I64_AND: w = true; /* fall through */
    case WB__OP_I32_AND: alu = X64_AND; break;
    case WB__OP_I64_OR: w = true; /* fall through */
    case WB__OP_I32_OR: alu = X64_OR; break;
    case WB__OP_I64_XOR: w = true; /* fall through */
    case WB__OP_I32_XOR: alu = X64_XOR; break;
    case WB__OP_I64_MUL: w = true; /* fall through */
    case WB__OP_I32_MUL: alu = -1; break;
    default: break;
    }
    if (alu != -2) { /* [a|b][d|-] */
        alu3(x, alu, w, v);
        return true;
    }
    if ((id >= WB__OP_I32_EQ && id <= WB__OP_I32_GE_U) || (id >= WB__OP_I64_EQ && id <= WB__OP_I64_GE_U)) {
        int cc = compare(x, id, v[0], v[1]);
        /* A select right after that takes this as its condition, and only
         * that, reads the flags: the value is never needed. */
        uint32_t n = x->cur + 1;
        if (n >= x->nops || x->target[n] || x->ops[n].id != WB__OP_SELECT || !overwrites_held(x, &x->ops[n], v[2]) ||
            !slot_only(x, v[2])) /* (store_last writes a register at once) */
            x64_setcc(&x->a, cc, X64_RAX);
        store_last(x, v[2]);
        x->held_cc = (int8_t)cc;
        return true;
    }
    if (wb__ops[id].format == WB__FMT_BR_CMP) { /* [a|b][delta][fuel] */
        branch(x, compare(x, wb__ops[id].cmp, v[0], v[1]), (uint32_t)o->target, v[3], k);
        return true;
    }
    if (wb__ops[id].format == WB__FMT_LOAD) { /* [addr|d][offset|-] */
        unsigned n = wb__ops[id].bytes;
        bool sign = id == WB__OP_I32_LOAD8_S || id == WB__OP_I32_LOAD16_S || id == WB__OP_I64_LOAD8_S ||
                    id == WB__OP_I64_LOAD16_S || id == WB__OP_I64_LOAD32_S;
        wb__x64_mem m = wb__x64e_access(x, v[0], (uint32_t)v[2], n, k);
        if (id == WB__OP_F32_LOAD || id == WB__OP_F64_LOAD) { /* into its cache register, or xmm0 */
            int r = fpinned(x, v[1], NULL) < 0 ? wb__x64e_fc_take(x, v[1], n == 8) : -1;
            x64_movs_rm(&x->a, n == 8, r >= 0 ? r : XMM0, m);
            if (r < 0)
                fstore(x, n == 8, v[1], XMM0);
            return true;
        }
        /* Into a pinned local's register, or into rax, where the next op
         * finds it (the address is read first). */
        int d = fpinned(x, v[1], NULL) < 0 ? pinned(x, v[1]) : -1;
        if (n == 8)
            x64_mov_rm(&x->a, true, d >= 0 ? d : X64_RAX, m);
        else /* i64 results sign-extend to 64 bits; the rest zero-extends */
            x64_load_ext(&x->a, sign && wb__ops[id].out == WB_I64, sign, n, d >= 0 ? d : X64_RAX, m);
        if (d < 0)
            store_last(x, v[1]);
        else if (wb__ops[id].out == WB_I32)
            zero_extended(x, v[1]);
        return true;
    }
    if (wb__ops[id].format == WB__FMT_STORE) { /* [addr|v][offset|-] */
        unsigned n = wb__ops[id].bytes;
        bool in_rax = x->held_ok && x->held == v[1] && v[0] != v[1] && id != WB__OP_F32_STORE &&
                      id != WB__OP_F64_STORE && slot_only(x, v[1]);
        if (in_rax) { /* (a value copied, as the bytes of a load) */
            x64_mov_rr(&x->a, true, X64_RDX, X64_RAX);
            x->held_ok = false;
            x->vloc = v[1];
        }
        wb__x64_mem m = wb__x64e_access(x, v[0], (uint32_t)v[2], n, k);
        x->vloc = 0;
        if (in_rax) {
            x64_store(&x->a, n, m, X64_RDX);
            return true;
        }
        if (id == WB__OP_F32_STORE || id == WB__OP_F64_STORE) {
            x64_movs_mr(&x->a, n == 8, m, fsrc(x, n == 8, v[1], XMM1));
            return true;
        }
        uint64_t c = is_const(v[1]) ? const_of(x, v[1]) : 0;
        if (is_const(v[1]) && (n < 8 || (int64_t)c == (int32_t)c)) {
            x64_store_i(&x->a, n, m, (int32_t)(uint32_t)c);
            return true;
        }
        int p = fpinned(x, v[1], NULL) < 0 ? pinned(x, v[1]) : -1;
        if (p < 0) {
            load(x, n == 8, X64_RDX, v[1]);
            p = X64_RDX;
        }
        x64_store(&x->a, n, m, p);
        return true;
    }
    switch (id) {
    case WB__OP_GLOBAL_GET: /* [idx|d] */
        global_at(x, (uint32_t)v[0]);
        x64_mov_rm(&x->a, true, X64_RCX, x64_mem(X64_RAX, (int32_t)offsetof(wb_global, value)));
        store(x, v[1], X64_RCX);
        return true;
    case WB__OP_GLOBAL_SET: /* [idx|a] */
        global_at(x, (uint32_t)v[0]);
        load(x, true, X64_RCX, v[1]);
        x64_mov_mr(&x->a, true, x64_mem(X64_RAX, (int32_t)offsetof(wb_global, value)), X64_RCX);
        return true;
    case WB__OP_MEMORY_FILL:
    case WB__OP_MEMORY_COPY:
        bulk(x, id == WB__OP_MEMORY_FILL, v, k);
        return true;
    case WB__OP_SELECT: { /* [a|b][c|d]: d = c ? a : b */
        int cc = X64_CC_E; /* c == 0: b */
        if (x->held_ok && x->held == v[2]) { /* c in rax: the flags first (the loads are movs) */
            x->held_ok = false;
            if (x->held_cc >= 0)
                cc = x->held_cc ^ 1; /* the compare's own flags: its opposite */
            else
                x64_test_rr(&x->a, false, X64_RAX, X64_RAX);
        } else {
            load(x, false, X64_RDX, v[2]);
            x64_test_rr(&x->a, false, X64_RDX, X64_RDX);
        }
        load(x, true, X64_RAX, v[0]);
        load(x, true, X64_RCX, v[1]);
        x64_cmov_rr(&x->a, cc, true, X64_RAX, X64_RCX);
        store(x, v[3], X64_RAX);
        return true;
    }
    case WB__OP_I32_SHL: case WB__OP_I32_SHR_S: case WB__OP_I32_SHR_U: case WB__OP_I32_ROTL: case WB__OP_I32_ROTR:
    case WB__OP_I64_SHL: case WB__OP_I64_SHR_S: case WB__OP_I64_SHR_U: case WB__OP_I64_ROTL: case WB__OP_I64_ROTR: {
        /* x86 masks the count to 31 / 63, as wasm does. */
        static const int sh[5] = {X64_SHL, X64_SAR, X64_SHR, X64_ROL, X64_ROR};
        w = id >= WB__OP_I64_SHL;
        int op = sh[id - (w ? WB__OP_I64_SHL : WB__OP_I32_SHL)];
        if (is_const(v[1])) {
            unsigned n = (unsigned)const_of(x, v[1]) & (w ? 63 : 31);
            load_first(x, w, X64_RAX, v[0]);
            if (n)
                x64_shift_ri(&x->a, op, w, X64_RAX, (uint8_t)n);
            store_last(x, v[2]);
            return true;
        }
        if (x->held_ok && x->held == v[1] && v[0] != v[1]) { /* the count in rax: to rcx first */
            x64_mov_rr(&x->a, false, X64_RCX, X64_RAX);
            x->held_ok = false;
        } else {
            load(x, false, X64_RCX, v[1]);
        }
        load_first(x, w, X64_RAX, v[0]);
        x64_shift_cl(&x->a, op, w, X64_RAX);
        store_last(x, v[2]);
        x->held32 = !w;
        return true;
    }
    case WB__OP_I32_EQZ:
    case WB__OP_I64_EQZ:
        load_first(x, id == WB__OP_I64_EQZ, X64_RAX, v[0]);
        x64_test_rr(&x->a, id == WB__OP_I64_EQZ, X64_RAX, X64_RAX);
        x64_setcc(&x->a, X64_CC_E, X64_RAX);
        store(x, v[1], X64_RAX);
        return true;
    case WB__OP_COPY:
        if (pinned(x, v[1]) >= 0 && !(x->held_ok && x->held == v[0])) { /* straight into the register */
            load(x, true, pinned(x, v[1]), v[0]);
            return true;
        }
        load_first(x, true, X64_RAX, v[0]);
        store_last(x, v[1]);
        return true;
    case WB__OP_BR: {
        /* To a conditional branch (a loop's test, typically): a copy of
         * it here, then on to what follows it, a jump less each time round. */
        const xop *t = find(x, (uint32_t)o->target);
        unsigned f = t ? wb__ops[t->id].format : 0;
        if (t && t->at > o->at && (f == WB__FMT_BR_CMP || f == WB__FMT_BR_COND)) {
            x->held_ok = x->xheld_ok = false;
            if (translate(x, t)) {
                wb__x64e_jump(x, -1, t->at + wb__op_format(t->id)->cells);
                return true;
            }
        }
        /* To the return of one result (the end of a function whose last
         * block has a value): the return here, from rax if it holds it. */
        if (t && t->at > o->at && t->id == WB__OP_RETURN1)
            return translate(x, t);
        wb__x64e_jump(x, -1, (uint32_t)o->target);
        return true;
    }
    case WB__OP_BR_TABLE: { /* [i|n], then n + 1 targets: a jump table of rel32s from its start */
        uint32_t n = (uint32_t)v[1];
        load_first(x, false, X64_RCX, v[0]);
        x64_mov_ri(&x->a, X64_RAX, n);
        x64_alu_rr(&x->a, X64_CMP, false, X64_RCX, X64_RAX);
        x64_cmov_rr(&x->a, X64_CC_A, false, X64_RCX, X64_RAX);
        uint32_t lea = x64_lea_rip(&x->a, X64_RAX);
        x64_movsxd_rm(&x->a, X64_RDX, x64_mem_idx(X64_RAX, X64_RCX, 4, 0));
        x64_alu_rr(&x->a, X64_ADD, true, X64_RAX, X64_RDX);
        x64_jmp_r(&x->a, X64_RAX);
        x64_patch(&x->a, lea, x64_pos(&x->a));
        for (uint32_t i = 0; i <= n; i++) {
            fix(x, &x->tab, &x->ntab, &x->ctab, x64_pos(&x->a), o->table[i]);
            x64_data4(&x->a, i); /* the entry's number until patched */
        }
        return true;
    }
    case WB__OP_BR_LOOP: /* [delta][fuel] */
        charge_jump(x, v[1], k, (uint32_t)o->target);
        return true;
    case WB__OP_BR_IF:
    case WB__OP_BR_UNLESS: { /* [c|-][delta][fuel] */
        int p = pinned(x, v[0]);
        if (p < 0) {
            load_first(x, false, X64_RAX, v[0]);
            p = X64_RAX;
        }
        x64_test_rr(&x->a, false, p, p);
        branch(x, id == WB__OP_BR_IF ? X64_CC_NE : X64_CC_E, (uint32_t)o->target, v[2], k);
        return true;
    }
    case WB__OP_RETURN1: /* the result to slot 0, in memory, where the caller reads it */
        load_first(x, true, X64_RAX, v[0]);
        x64_mov_mr(&x->a, true, x64_mem(X64_RBX, 0), X64_RAX);
        returned(x);
        return true;
    case WB__OP_RETURN: /* results were copied to slots 0.. (some maybe pinned) */
        spill(x, x->f->type->result_slots * 8);
        returned(x);
        return true;
    case WB__OP_CALL_INDIRECT: { /* [table|type][i|base] */
        uint32_t next = k + wb__op_format(id)->cells, host, cross;
        if (!call_indirect(x, v, k, next, &host, &cross))
            return false;
        call(x, NULL, false, slot(x, v[3]).disp, k, next);
        uint32_t done = x64_jmp(&x->a);
        x64_patch(&x->a, cross, x64_pos(&x->a));
        wb__x64e_call_other(x, slot(x, v[3]).disp, k, next);
        x64_patch(&x->a, done, x64_pos(&x->a));
        if (host)
            x64_patch(&x->a, host, x64_pos(&x->a));
        return true;
    }
    case WB__OP_CALL: /* [wb__func*][base|-] */
        call(x, (const wb__func *)(uintptr_t)v[0], false, slot(x, v[1]).disp, k, k + wb__op_format(id)->cells);
        return true;
    default:
        return false;
    }
}

/* Does o read loc first from rax (held), leaving nowhere, and is loc dead
 * after it (o overwrites it, or returns; or loc is an operand stack slot,
 * which an arithmetic op pops)?  Then the store of loc before o is dead. */
static bool overwrites_held(x64_emit *x, const xop *o, uint64_t loc)
{
    unsigned id = o->id;
    bool popped = ((uint32_t)loc & WB__LOC_MASK) == WB__LOC_STACK;
    if (id == WB__OP_BR) { /* on to a return of it (translate's copy of it) */
        const xop *t = find(x, (uint32_t)o->target);
        return t && t->at > o->at && t->id == WB__OP_RETURN1 && t->v[0] == loc;
    }
    switch (id) {
    case WB__OP_I32_ADD: case WB__OP_I32_AND: case WB__OP_I32_OR: case WB__OP_I32_XOR: case WB__OP_I32_MUL:
    case WB__OP_I64_ADD: case WB__OP_I64_AND: case WB__OP_I64_OR: case WB__OP_I64_XOR: case WB__OP_I64_MUL:
        /* either operand (alu3 takes b from rax too) */
        return (o->v[0] == loc) != (o->v[1] == loc) && (o->v[2] == loc || popped);
    case WB__OP_I32_SHL: case WB__OP_I32_SHR_S: case WB__OP_I32_SHR_U: case WB__OP_I32_ROTL: case WB__OP_I32_ROTR:
    case WB__OP_I64_SHL: case WB__OP_I64_SHR_S: case WB__OP_I64_SHR_U: case WB__OP_I64_ROTL: case WB__OP_I64_ROTR:
        if (o->v[1] == loc) /* the count, taken from rax first */
            return o->v[0] != loc && !is_const(o->v[1]) && (o->v[2] == loc || popped);
        break;
    case WB__OP_RETURN1:
        return o->v[0] == loc;
    case WB__OP_I32_STORE: case WB__OP_I32_STORE8: case WB__OP_I32_STORE16: case WB__OP_I64_STORE:
    case WB__OP_I64_STORE8: case WB__OP_I64_STORE16: case WB__OP_I64_STORE32:
        /* the value, into rdx first (its slot written only if the store leaves) */
        return o->v[1] == loc && o->v[0] != loc && popped;
    case WB__OP_SELECT: /* the condition, tested first */
        return o->v[2] == loc && o->v[0] != loc && o->v[1] != loc && (o->v[3] == loc || popped);
    default:
        break;
    }
    if (o->v[0] != loc)
        return false;
    switch (id) {
    case WB__OP_I32_SUB: case WB__OP_I64_SUB:
        return o->v[1] != loc && (o->v[2] == loc || popped);
    case WB__OP_I32_SHL: case WB__OP_I32_SHR_S: case WB__OP_I32_SHR_U: case WB__OP_I32_ROTL: case WB__OP_I32_ROTR:
    case WB__OP_I64_SHL: case WB__OP_I64_SHR_S: case WB__OP_I64_SHR_U: case WB__OP_I64_ROTL: case WB__OP_I64_ROTR:
        return o->v[1] != loc && (o->v[2] == loc || popped);
    default:
        return false;
    }
}

/* Does o (a scalar load or store) read loc, an operand stack slot, only
 * as its address, first from rax?  Then loc's slot need be written only
 * where o leaves (wb__x64e_address), for the interpreter to run it again. */
static bool address_only(const xop *o, uint64_t loc)
{
    unsigned f = wb__ops[o->id].format;
    return ((uint32_t)loc & WB__LOC_MASK) == WB__LOC_STACK && o->v[0] == loc && o->v[2] <= INT32_MAX &&
           (f == WB__FMT_LOAD || (f == WB__FMT_STORE && o->v[1] != loc));
}

/* The op at or after cell, by position: its index in ops, or nops. */
static uint32_t op_index(x64_emit *x, uint32_t cell)
{
    xop *o = find(x, cell);
    return o ? (uint32_t)(o - x->ops) : x->nops;
}

/* The constants to their frame slots, for the interpreter when it takes
 * over (machine code has them as immediates): rax is kept. */
static void put_consts(x64_emit *x)
{
    wb__x64 *a = &x->a;
    const wb__func *f = x->f;
    if (f->nconsts > 8) {
        x64_lea(a, true, X64_RDI, x64_mem(X64_RBX, (int32_t)x->cbase));
        x64_mov_ri(a, X64_RSI, (uint64_t)(uintptr_t)f->consts);
        x64_mov_ri(a, X64_RCX, f->nconsts);
        x64_rep_movsq(a);
        return;
    }
    for (uint32_t i = 0; i < f->nconsts; i++) {
        uint64_t v = f->consts[i];
        wb__x64_mem m = x64_mem(X64_RBX, (int32_t)(x->cbase + i * 8));
        if ((int64_t)v == (int32_t)v) {
            x64_mov_mi(a, true, m, (int32_t)v);
        } else {
            x64_mov_ri(a, X64_RCX, v);
            x64_mov_mr(a, true, m, X64_RCX);
        }
    }
}

/* Is the local at frame offset off pinned, to a register of either kind? */
static bool is_pinned(const x64_emit *x, uint32_t off)
{
    for (unsigned i = 0; i < x->npin; i++)
        if (x->pin_off[i] == off)
            return true;
    for (unsigned i = 0; i < x->nfpin; i++)
        if (x->fpin_off[i] == off)
            return true;
    return false;
}

/* The callee's part of a call (the interpreter's init_frame): zero the
 * locals, those in registers there; the constants only when the code
 * reads their slots (else leaving puts them). */
static void init_frame(x64_emit *x)
{
    wb__x64 *a = &x->a;
    const wb__func *f = x->f;
    uint32_t p = f->type->param_slots, nz = f->local_slots - p;
    if (nz > 8) {
        x64_lea(a, true, X64_RDI, x64_mem(X64_RBX, (int32_t)(p * 8)));
        x64_mov_ri(a, X64_RCX, nz);
        x64_alu_rr(a, X64_XOR, false, X64_RAX, X64_RAX);
        x64_rep_stosq(a);
    } else {
        for (uint32_t i = 0; i < nz; i++)
            if (!is_pinned(x, (p + i) * 8))
                x64_mov_mi(a, true, x64_mem(X64_RBX, (int32_t)((p + i) * 8)), 0);
    }
    if (x->const_mem)
        put_consts(x);
    for (unsigned i = 0; i < x->npin; i++) {
        if (x->pin_off[i] < p * 8)
            x64_mov_rm(a, true, wb__pin_reg[i], x64_mem(X64_RBX, (int32_t)x->pin_off[i]));
        else
            x64_alu_rr(a, X64_XOR, false, wb__pin_reg[i], wb__pin_reg[i]);
    }
    for (unsigned i = 0; i < x->nfpin; i++) {
        if (x->fpin_off[i] < p * 8)
            ffill(x, i);
        else
            x64_ps_rr(a, X64_XORPS, wb__fpin_reg[i], wb__fpin_reg[i]);
    }
}

/* An entry from C (jit.c's contract): save rbx, rbp, r12-r15, take the
 * frame, memory and context (rbp: where the next engine frame goes), call
 * (the rel32 returned), give the fuel back.  The frame count goes back to
 * the context only on leaving (the tail): a return leaves it as it was.
 * A host's call (`host`) has one frame in use, the interpreter's entry
 * frame, so it need not say so in the context; it takes the memory from
 * the instance itself (rsi and rdx are not read); and its fuel is all the
 * call's, of which the entry charges the function's entry fuel (the host
 * saw that there is that much: r15 may go negative, the reserve covers it). */
static uint32_t c_entry(x64_emit *x, bool host)
{
    wb__x64 *a = &x->a;
    static const int saved[6] = {X64_RBX, X64_RBP, X64_R12, X64_R13, X64_R14, X64_R15};
    for (int i = 0; i < 6; i++)
        x64_push(a, saved[i]);
    x64_mov_rr(a, true, X64_RBX, X64_RDI);
    if (!host) {
        x64_mov_rr(a, true, X64_R12, X64_RSI);
        x64_mov_rr(a, true, X64_R13, X64_RDX);
    }
    x64_mov_rr(a, true, X64_R14, X64_RCX);
    x64_mov_rm(a, true, X64_R15, x64_mem(X64_RCX, WB__JCTX_FUEL));
    if (host) {
        wb__x64e_reload_mem(x);
        x64_mov_rm(a, true, X64_RBP, x64_mem(X64_RCX, WB__JCTX_FRAMES));
        x64_alu_ri(a, X64_ADD, true, X64_RBP, (int32_t)sizeof(wb__frame));
        if (x->f->entry_fuel <= INT32_MAX) {
            x64_alu_ri(a, X64_SUB, true, X64_R15, (int32_t)x->f->entry_fuel);
        } else {
            x64_mov_ri(a, X64_RAX, x->f->entry_fuel);
            x64_alu_rr(a, X64_SUB, true, X64_R15, X64_RAX);
        }
    } else {
        x64_mov_rm(a, false, X64_RBP, x64_mem(X64_RCX, WB__JCTX_NFRAMES));
        x64_shift_ri(a, X64_SHL, true, X64_RBP, 5);
        x64_alu_rm(a, X64_ADD, true, X64_RBP, x64_mem(X64_RCX, WB__JCTX_FRAMES));
    }
    uint32_t body = x64_call_rel(a);
    x64_mov_mr(a, true, x64_mem(X64_R14, WB__JCTX_FUEL), X64_R15);
    for (int i = 6; i-- > 0;)
        x64_pop(a, saved[i]);
    x64_ret(a);
    return body;
}

/* The heads of the loops (the targets of back-edges), as (cell, offset)
 * pairs by cell, where the interpreter may enter the machine code. */
static void loop_heads(x64_emit *x, wb__func *f, const uint32_t *mpos)
{
    bool *head = calloc((size_t)x->nops + 1, 1);
    uint32_t n = 0;
    for (uint32_t i = 0; head && i < x->nops; i++) {
        const xop *o = &x->ops[i];
        if (!wb__op_format(o->id)->fuel || o->target == WB__NO_TARGET || o->target > o->at)
            continue;
        uint32_t t = op_index(x, (uint32_t)o->target);
        n += t < x->nops && !head[t];
        if (t < x->nops)
            head[t] = true;
    }
    f->loop_entry = n ? malloc(2 * (size_t)n * sizeof *f->loop_entry) : NULL;
    f->nloop_entry = f->loop_entry ? n : 0;
    for (uint32_t i = 0, k = 0; f->loop_entry && i < x->nops; i++)
        if (head[i]) {
            f->loop_entry[k++] = x->ops[i].at;
            f->loop_entry[k++] = mpos[i];
        }
    free(head);
}

/* Integer ops that translate through alu3 (their operands read by load,
 * load_first and alu_to), and shifts: none can leave or calls out, and
 * they use rax and rcx only. */
static bool alu3_op(unsigned id)
{
    switch (id) {
    case WB__OP_I32_ADD: case WB__OP_I32_SUB: case WB__OP_I32_AND: case WB__OP_I32_OR: case WB__OP_I32_XOR:
    case WB__OP_I32_MUL: case WB__OP_I64_ADD: case WB__OP_I64_SUB: case WB__OP_I64_AND: case WB__OP_I64_OR:
    case WB__OP_I64_XOR: case WB__OP_I64_MUL:
        return true;
    default:
        return false;
    }
}
static bool shift_op(unsigned id)
{
    return (id >= WB__OP_I32_SHL && id <= WB__OP_I32_ROTR) || (id >= WB__OP_I64_SHL && id <= WB__OP_I64_ROTR);
}

/* Ops that read slots only through load(), alu_to(), fload() and fsrc(),
 * and write them only through store(), store_last() and fstore(), none a
 * branch or a call: the float cache lives across them (and an op of them
 * but a copy pops what it reads). */
static bool fc_op(const xop *o)
{
    unsigned id = o->id;
    if (wb__x64e_simd_op(id))
        return wb__x64e_simd_inline(o);
    if (wb__x64e_runtime_op(id))
        return false;
    if (wb__x64e_numeric_op(id) || alu3_op(id) || shift_op(id))
        return true;
    if ((id >= WB__OP_I32_EQ && id <= WB__OP_I32_GE_U) || (id >= WB__OP_I64_EQ && id <= WB__OP_I64_GE_U))
        return true;
    if (wb__ops[id].format == WB__FMT_LOAD || wb__ops[id].format == WB__FMT_STORE)
        return true;
    switch (id) {
    case WB__OP_I32_EQZ: case WB__OP_I64_EQZ: case WB__OP_COPY: case WB__OP_SELECT:
    case WB__OP_GLOBAL_GET: case WB__OP_GLOBAL_SET:
        return true;
    default:
        return false;
    }
}

/* After op o: the integer cache's entries it read and did not write are
 * popped off the operand stack (but a copy's source).  A SIMD op's
 * operands ('x') are fn(d, a, b, c)'s: a, b, c (1-3) read, d (4) written. */
static void ic_pop(x64_emit *x, const xop *o)
{
    bool any = false;
    for (int c = 0; c < x->ic_n; c++)
        any |= x->ic_loc[c] != 0;
    if (!any)
        return;
    char role[MAXV + 8];
    unsigned n = operand_roles(wb__op_format(o->id), role);
    for (unsigned k = 0; k < n; k++)
        if (role[k] == 'x')
            role[k] = k >= 1 && k <= 3 ? 'r' : k == 4 ? 'w' : '-';
    for (unsigned k = 0; o->id != WB__OP_COPY && k < n; k++) {
        int c = role[k] == 'r' ? ic_find(x, o->v[k]) : -1;
        for (unsigned j = 0; c >= 0 && j < n; j++)
            if (role[j] == 'w' && o->v[j] == o->v[k])
                c = -1; /* written: its new value */
        if (c >= 0)
            x->ic_loc[c] = 0;
    }
}

/* The ops that branches go to (nops + 1 of them, calloc'd; NULL when
 * memory runs out). */
static bool *targets(x64_emit *x)
{
    bool *target = calloc((size_t)x->nops + 1, 1);
    for (uint32_t i = 0; target && i < x->nops; i++) {
        const xop *o = &x->ops[i];
        uint32_t t = o->target == WB__NO_TARGET ? x->nops : op_index(x, (uint32_t)o->target);
        if (t < x->nops && !(o->id == WB__OP_BR && t > i && x->ops[t].id == WB__OP_RETURN1))
            target[t] = true; /* (a br to a return is a copy of it: translate) */
        for (uint32_t e = 0; o->table && e <= (uint32_t)o->v[1]; e++)
            if (op_index(x, o->table[e]) < x->nops)
                target[op_index(x, o->table[e])] = true;
    }
    return target;
}

/* The whole function.  False when there is nothing to run (its first op is
 * not translated).  Its layout:
 *   0        the entry from C (jit.c's contract): save rbx, rbp, r12-r15,
 *            take the frame, memory and context, call the body, give the
 *            fuel back
 *   resume   another such entry, for the interpreter at a loop's head: the
 *            pinned locals from their slots, then to ctx->resume
 *   start    another, for a host's call (interp.c's enter): to the direct
 *            entry, which makes the frame beyond the arguments
 *   ret      where a callee's leaving is passed on: the pinned locals
 *            and the constants to their slots, return
 *   body     the pinned locals from their slots, then the ops
 *   tail     where leaving ends: the pinned locals and the constants to
 *            their slots, in which function and frame (ctx->fn, ctx->fpb)
 *   direct   the entry compiled callers call: the frame's locals (those
 *            pinned in their registers), the constants if the ops read
 *            their slots, then the ops (the entry at 0 skips that: the
 *            interpreter made the frame)
 *   stubs    one per cell left at: eax = the cell, then the tail (a
 *            refund first for a back-edge that charged) */
static bool function(x64_emit *x, wb__func *f, uint32_t *mpos, const bool *target)
{
    wb__x64 *a = &x->a;
    x->target = target;
    if (!x->nops)
        return false;
    uint32_t body = c_entry(x, false);
    f->x64_resume = x64_pos(a);
    uint32_t resume = c_entry(x, false);
    f->x64_start = x64_pos(a);
    uint32_t start = c_entry(x, true);
    x64_patch(a, resume, x64_pos(a));
    fill(x);
    x64_mov_rm(a, true, X64_RAX, x64_mem(X64_R14, WB__JCTX_RESUME));
    x64_jmp_r(a, X64_RAX);
    x->ret = x64_pos(a);
    spill(x, UINT32_MAX);
    put_consts(x);
    left(x);
    x64_patch(a, body, x64_pos(a));
    fill(x);
    uint32_t ops = x64_pos(a);
    if (!target)
        return false;
    for (uint32_t i = 0; i < x->nops; i++) {
        x->zx = target[i] ? 0 : x->zx_new;
        x->zx_new = 0;
        x->fc_on = x->ops[i].fc;
        if (target[i] || !x->fc_on) { /* the float cache to the slots (keeping rax and xmm0) */
            uint32_t at = x64_pos(a);
            wb__x64e_fc_flush(x);
            x->held_at = x->held_at == at ? x64_pos(a) : x->held_at;
            x->xheld_at = x->xheld_at == at ? x64_pos(a) : x->xheld_at;
        }
        x->fc_read = x->fc_set = 0;
        x->cur = i;
        if (x->pend) { /* the last op's result, unless this op makes it dead */
            x->pend = false;
            bool next = !target[i] && x->held_at == x64_pos(a);
            int r;
            if (next && address_only(&x->ops[i], x->held)) {
                x->leave_store = x->held;
            } else if (next && overwrites_held(x, &x->ops[i], x->held)) {
                /* dead after this op, which reads it from rax: no store */
            } else if (next && (r = wb__x64e_ic_take(x, x->held)) >= 0) { /* in the integer cache */
                x64_mov_rr(a, true, r, X64_RAX);
                x->held_at = x64_pos(a);
            } else {
                x64_mov_mr(a, true, slot(x, x->held), X64_RAX);
                x->held_at = x64_pos(a);
            }
        }
        mpos[i] = x64_pos(a);
        x->held_ok = !target[i] && x->held_at == mpos[i] && i > 0;
        x->xheld_ok = !target[i] && x->xheld_at == mpos[i] && i > 0;
        bool done = translate(x, &x->ops[i]);
        x->held_ok = x->xheld_ok = false;
        for (int c = 0; done && x->ops[i].id != WB__OP_COPY && c < FC_N; c++)
            if ((x->fc_read & ~x->fc_set) >> c & 1)
                x->fc_loc[c] = 0; /* popped */
        if (done)
            ic_pop(x, &x->ops[i]);
        x->fc_on = false;
        if (x->leave_store != UINT64_MAX) { /* not taken up: written now */
            x64_mov_mr(a, true, slot(x, x->leave_store), X64_RAX);
            x->leave_store = UINT64_MAX;
        }
        if (!done) {
            if (i == 0)
                return false;
            wb__x64e_leave(x, -1, x->ops[i].at);
        }
    }
    wb__x64e_fc_flush(x);
    if (x->pend) {
        x->pend = false;
        x64_mov_mr(a, true, slot(x, x->held), X64_RAX);
    }
    uint32_t tail = x64_pos(a);
    spill(x, UINT32_MAX);
    put_consts(x);
    x64_mov_rr(a, true, X64_RCX, X64_RBP);
    x64_alu_rm(a, X64_SUB, true, X64_RCX, x64_mem(X64_R14, WB__JCTX_FRAMES));
    x64_shift_ri(a, X64_SHR, true, X64_RCX, 5);
    x64_mov_mr(a, false, x64_mem(X64_R14, WB__JCTX_NFRAMES), X64_RCX);
    x64_mov_ri(a, X64_RCX, (uint64_t)(uintptr_t)f);
    x64_mov_mr(a, true, x64_mem(X64_R14, WB__JCTX_FN), X64_RCX);
    x64_mov_mr(a, true, x64_mem(X64_R14, WB__JCTX_FPB), X64_RBX);
    left(x);
    /* The direct entry last: it knows whether the code read a constant's slot.
     * Where the frame needs nothing beyond the arguments, callers go straight
     * to the ops. */
    f->x64_direct = x64_pos(a);
    init_frame(x);
    if (x64_pos(a) == f->x64_direct)
        f->x64_direct = ops;
    else
        x64_patch(a, x64_jmp(a), ops);
    x64_patch(a, start, f->x64_direct);
    if (x->nrefund)
        refill(x);
    for (uint32_t i = 0; i < x->nlate; i++) {
        const struct late *l = &x->late[i];
        x64_patch(a, l->at, x64_pos(a));
        if (l->offset)
            x64_alu_ri(a, X64_SUB, true, X64_RAX, l->offset);
        x64_mov_mr(a, true, x64_mem(X64_RBX, l->disp), X64_RAX);
        fc_put(x, &l->fs);
        wb__x64e_leave(x, -1, l->cell);
    }
    for (uint32_t i = 0; i < x->nfleave; i++) {
        const struct fleave *l = &x->fleave[i];
        x64_patch(a, l->at, x64_pos(a));
        fc_put(x, &l->fs);
        wb__x64e_leave(x, -1, l->cell);
    }
    for (uint32_t i = 0; i < x->nrefund; i++) {
        const struct refund *r = &x->refund[i];
        x64_patch(a, r->at, x64_pos(a));
        x64_patch(a, x64_call_rel(a), x->refill);
        x64_patch(a, x64_jcc(a, X64_CC_NS), r->back);
        x64_alu_ri(a, X64_ADD, true, X64_R15, r->cost);
        wb__x64e_leave(x, -1, r->cell);
    }
    while (x->nsite && x64_pos(a) % 8) /* the call sites' records, aligned */
        x64_bytes(a, "\xcc", 1);
    for (uint32_t i = 0; i < x->nsite; i++) {
        x64_patch(a, x->site[i].lea, x64_pos(a));
        wb__site site = {f->code + x->site[i].cell, f};
        x64_bytes(a, &site, sizeof site);
    }
    uint32_t *stub = calloc((size_t)x->nops, sizeof *stub);
    if (!stub)
        return false;
    for (uint32_t i = 0; i < x->nex; i++) {
        uint32_t cell = x->ex[i].cell;
        uint32_t s = op_index(x, cell);
        if (s == x->nops) { /* not an op: cannot happen */
            free(stub);
            return false;
        }
        if (!stub[s]) {
            stub[s] = x64_pos(a);
            x64_mov_ri(a, X64_RAX, cell);
            x64_patch(a, x64_jmp(a), tail);
        }
        x64_patch(a, x->ex[i].at, stub[s]);
    }
    free(stub);
    for (uint32_t i = 0; i < x->nbr; i++) {
        uint32_t t = op_index(x, x->br[i].cell);
        if (t == x->nops)
            return false; /* a target that is no op: not ours to guess */
        x64_patch(a, x->br[i].at, mpos[t]);
    }
    for (uint32_t i = 0; i < x->ntab && !a->bad; i++) {
        uint32_t t = op_index(x, x->tab[i].cell), entry;
        if (t == x->nops)
            return false;
        memcpy(&entry, a->b + x->tab[i].at, 4);
        int32_t rel = (int32_t)(mpos[t] - (x->tab[i].at - 4 * entry));
        memcpy(a->b + x->tab[i].at, &rel, 4);
    }
    return !a->bad;
}

/* Which locals live in registers: the integer ones (and apart, the f32 and
 * f64 ones) used most, a use inside n loops counting 8^(n+1) (up to 4
 * deep), and only those used in a loop, as much as one use there, 64
 * (elsewhere, saving them around calls costs what their loads would). */
static void choose_pins(x64_emit *x, const wb__func *f, const bool *target)
{
    const wb_functype *ft = &f->type->ft;
    uint32_t nl = ft->nparams + f->nlocals, ns = f->local_slots;
    enum { INT, F32, F64, NONE };
    uint64_t *score = calloc((size_t)ns + 1, sizeof *score);
    uint8_t *kind = malloc((size_t)ns + 1);
    int32_t *depth = calloc((size_t)x->nops + 1, sizeof *depth);
    x->npin = x->nfpin = 0;
    if (!score || !depth || !kind)
        goto out;
    for (uint32_t i = 0, o = 0; i < nl; i++) {
        uint8_t t = i < ft->nparams ? ft->types[i] : f->local_types[i - ft->nparams];
        for (uint32_t k = 0; k < wb__type_slots(t); k++)
            kind[o + k] = t == WB_I32 || t == WB_I64 ? INT : t == WB_F32 ? F32 : t == WB_F64 ? F64 : NONE;
        o += wb__type_slots(t);
    }
    for (uint32_t i = 0; i < x->nops; i++) { /* back-edges: the ops from their target on are in a loop */
        const xop *o = &x->ops[i];
        if (!wb__op_format(o->id)->fuel || o->target == WB__NO_TARGET || o->target > o->at)
            continue;
        uint32_t t = op_index(x, (uint32_t)o->target);
        if (t <= i) {
            depth[t]++;
            depth[i + 1]--;
        }
    }
    /* Code inside a loop that only a forward br_if reaches (the op before
     * it never goes on: an else, the rare case a loop's body branches to)
     * is taken as less often run, by two loop levels (a use there counts
     * an eighth of one outside loops): so the locals of a loop's common
     * path win the registers over those of its rare one, however many
     * uses that has (the PG byte-loop reverse: its text's pointer over
     * the locals of its multi-byte characters' path).
     * Outside loops no path is taken as rare: past a function's early
     * return (a recursion's base case) is where its loops are. */
    bool *warm = calloc((size_t)x->nops + 1, 1); /* reached by a jump from code taken as common */
    bool cold = false;
    int32_t d = 0;
    /* The integer cache's claim on the same registers (x64_emit.ic_*): an
     * operand stack value read by another op than the one after its maker
     * (that one finds it in rax) costs a store and a load without the
     * cache.  Kept in j registers, a value that had p values live beside
     * it (itself counted, as the cache does between its flushes) stays
     * there about min(j, p) / p of the time: gain[j] is what the j-th
     * register saves, weighted as the locals' uses are. */
    uint64_t gain[8] = {0};
    struct { uint64_t loc; uint32_t maker, peak; } live[16];
    unsigned nlive = 0;
    for (uint32_t i = 0; warm && target && i < x->nops; i++) {
        const xop *o = &x->ops[i];
        d += depth[i];
        if (i && (wb__ops[x->ops[i - 1].id].flags & WB__OPF_END))
            cold = !warm[i] && !depth[i] && d > 0;
        else if (warm[i])
            cold = false;
        uint32_t t = o->target == WB__NO_TARGET ? x->nops : op_index(x, (uint32_t)o->target);
        if (!cold && t < x->nops && (wb__ops[o->id].flags & WB__OPF_END))
            warm[t] = true;
        for (uint32_t e = 0; !cold && o->table && e <= (uint32_t)o->v[1]; e++)
            if (op_index(x, o->table[e]) < x->nops)
                warm[op_index(x, o->table[e])] = true;
        int32_t level = d + 1 - 2 * cold;
        uint64_t w = 1ull << (3 * (level < 0 ? 0 : level < 5 ? level : 5));
        char role[MAXV + 8];
        unsigned n = operand_roles(wb__op_format(x->ops[i].id), role);
        for (unsigned k = 0; k < n; k++) {
            uint32_t loc = (uint32_t)x->ops[i].v[k];
            if (strchr("rw", role[k]) && !(loc & WB__LOC_MASK) && loc / 8 < ns)
                score[loc / 8] += w;
        }
        if (target[i] || !o->fc)
            nlive = 0; /* the caches go to their slots */
        for (unsigned k = 0; nlive && k < n; k++)
            for (unsigned e = 0; role[k] == 'r' && ((uint32_t)o->v[k] & WB__LOC_MASK) == WB__LOC_STACK && e < nlive; e++)
                if (live[e].loc == o->v[k]) {
                    for (uint32_t j = 1; live[e].maker + 1 != i && j <= live[e].peak && j < 8; j++)
                        gain[j] += 2 * w / live[e].peak;
                    if (o->id != WB__OP_COPY)
                        live[e] = live[--nlive];
                    break;
                }
        for (unsigned k = 0; k < n; k++) {
            unsigned e = 0;
            if (role[k] != 'w' || ((uint32_t)o->v[k] & WB__LOC_MASK) != WB__LOC_STACK ||
                (wb__ops[o->id].out != WB_I32 && wb__ops[o->id].out != WB_I64))
                continue; /* (floats have a cache of their own; a copy's type is not known) */
            while (e < nlive && live[e].loc != o->v[k])
                e++;
            if (e == nlive && nlive == 16)
                continue;
            nlive += e == nlive;
            live[e].loc = o->v[k];
            live[e].maker = i;
            live[e].peak = 0;
            for (e = 0; e < nlive; e++)
                live[e].peak = live[e].peak > nlive ? live[e].peak : nlive;
        }
    }
    free(warm);
    unsigned nic = 0; /* registers the integer cache won */
    for (;;) {
        uint32_t best = ns;
        for (uint32_t l = 0; l < ns; l++)
            if (kind[l] != NONE && score[l] >= 64 && (kind[l] == INT ? x->npin + nic : x->nfpin) < 6 &&
                (best == ns || score[l] > score[best]))
                best = l;
        if (best == ns)
            break;
        if (kind[best] == INT && gain[nic + 1] > score[best]) {
            nic++;
            continue;
        }
        if (kind[best] == INT) {
            x->pin_off[x->npin++] = best * 8;
        } else {
            x->fpin_dbl[x->nfpin] = kind[best] == F64;
            x->fpin_off[x->nfpin++] = best * 8;
        }
        kind[best] = NONE;
    }
out:
    free(score);
    free(kind);
    free(depth);
}

static void finish(wb__emit *e, wb__func *f, uint32_t cbase, uint32_t sbase)
{
    x64_emit *x = X(e);
    x->in->ops->finish(x->in, f, cbase, sbase);
    x->cbase = cbase;
    x->sbase = sbase;
    x->consts = f->consts;
    x->f = f;
    bool *target = targets(x);
    for (uint32_t i = 0; i < x->nops; i++)
        x->ops[i].fc = fc_op(&x->ops[i]);
    choose_pins(x, f, target);
    x->ic_n = (uint8_t)(6 - x->npin); /* the pin registers no local took */
    for (int c = 0; c < x->ic_n; c++) {
        x->ic_reg[c] = (int8_t)wb__pin_reg[x->npin + c];
        x->ic_loc[c] = 0;
    }
    x->ic_next = 0;
    uint32_t *mpos = malloc(((size_t)x->nops + 1) * sizeof *mpos);
    if (mpos && function(x, f, mpos, target)) {
        loop_heads(x, f, mpos);
        f->x64 = x->a.b; /* jit.c maps it (position-independent: rel32 only) */
        f->nx64 = (uint32_t)x->a.n;
        f->x64_calls = x->calls;
        f->nx64_calls = x->ncalls;
        x->calls = NULL;
        x->a.b = NULL;
    }
    free(mpos);
    free(target);
}

static void free_emit(wb__emit *e)
{
    x64_emit *x = X(e);
    if (!x)
        return;
    x->in->ops->free(x->in);
    for (uint32_t i = 0; i < x->nops; i++)
        free(x->ops[i].table);
    free(x->ops);
    free(x->a.b);
    free(x->br);
    free(x->ex);
    free(x->tab);
    free(x->refund);
    free(x->late);
    free(x->fleave);
    free(x->site);
    free(x->calls);
    free(x);
}

static const wb__emit_ops x64_ops = {op, pos, set_target, operand, set_operand, rewind_to, finish, free_emit};

wb__emit *wb__emit_x64_new(struct wb__comp *c, const uint32_t *ioff, wb__emit *slot)
{
    x64_emit *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->e = (wb__emit){&x64_ops, c, ioff};
    x->in = slot;
    x->leave_store = UINT64_MAX;
    return &x->e;
}
