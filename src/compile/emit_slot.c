/*
 * emit_slot.c - the emitter of the interpreter's slot code (code.h).
 *
 * Every op is laid out from its format's roles (the op table): nothing here
 * knows an op by itself.  Operands that name a constant or a stack slot
 * come tagged (emit.h) and are noted in a relocation list, resolved once the
 * function ends and the frame's layout is known.  The op cell holds the op
 * id; interp.c links it to its handler when the module is loaded.
 */
#include "emit.h"

#include <stdlib.h>

typedef struct {
    uint32_t cell;
    uint8_t half; /* 0: p.a, 1: p.b */
} reloc;

typedef struct {
    wb__emit e;
    wb__cell *code;
    uint32_t ncode, ccode;
    reloc *rl;
    uint32_t nrl, crl;
    wb__pcmap *pm;
    uint32_t npm, cpm;
} slot_emit;

#define S(e) ((slot_emit *)(e))

/* Room for n more cells. */
static inline void reserve(slot_emit *s, uint32_t n)
{
    if (WB_UNLIKELY(s->ncode + (uint64_t)n > s->ccode)) {
        if (n > UINT32_MAX - s->ncode)
            wb__compile_fail(s->e.c, WB_ERR_LIMIT, "function too large to compile");
        s->code = wb__compile_grow(s->e.c, s->code, &s->ccode, s->ncode + n, sizeof *s->code);
    }
}

static inline uint32_t cell(slot_emit *s, uint64_t v)
{
    s->code[s->ncode].u64 = v;
    return s->ncode++;
}

static bool is_slot(char role) { return role == 'r' || role == 'R' || role == 'w' || role == 'W' || role == 'b' || role == 'x'; }

static inline void note_reloc(slot_emit *s, uint32_t at, uint8_t half, uint32_t v)
{
    if (!(v & WB__LOC_MASK))
        return;
    if (WB_UNLIKELY(s->nrl == s->crl))
        s->rl = wb__compile_grow(s->e.c, s->rl, &s->crl, s->nrl + 1, sizeof *s->rl);
    s->rl[s->nrl++] = (reloc){at, half};
}

static uint32_t op(wb__emit *e, unsigned id, const uint64_t *v)
{
    slot_emit *s = S(e);
    uint32_t at = s->ncode, ioff = *e->ioff;
    if (!s->npm || s->pm[s->npm - 1].offset != ioff) {
        if (WB_UNLIKELY(s->npm == s->cpm))
            s->pm = wb__compile_grow(e->c, s->pm, &s->cpm, s->npm + 1, sizeof *s->pm);
        s->pm[s->npm++] = (wb__pcmap){at, ioff};
    }
    const wb__opformat *f = wb__op_format(id);
    reserve(s, f->cells);
    cell(s, id);
    const char *r = f->roles;
    for (; r[0]; r += 2) {
        if (r[0] == r[1] && (r[0] == 'D' || r[0] == 'F' || r[0] == 'P' || r[0] == 'I')) {
            uint64_t x = *v++;
            if (r[0] == 'D')
                x = x == WB__NO_TARGET ? 0 : (uint64_t)((int64_t)x - (int64_t)at);
            cell(s, x);
            continue;
        }
        uint32_t a = r[0] == '-' ? 0 : (uint32_t)*v++;
        uint32_t b = r[1] == '-' ? 0 : (uint32_t)*v++;
        uint32_t k = cell(s, 0);
        s->code[k].p.a = a;
        s->code[k].p.b = b;
        if (is_slot(r[0]))
            note_reloc(s, k, 0, a);
        if (is_slot(r[1]))
            note_reloc(s, k, 1, b);
    }
    if (id == WB__OP_BR_TABLE) { /* the targets, set one by one */
        uint32_t n = s->code[at + 1].p.b;
        reserve(s, n + 1); /* n is at most the body's length */
        for (uint32_t i = 0; i <= n; i++)
            cell(s, 0);
    }
    return at;
}

static uint32_t pos(wb__emit *e) { return S(e)->ncode; }

static void set_target(wb__emit *e, uint32_t at, uint32_t entry, uint32_t target)
{
    slot_emit *s = S(e);
    unsigned id = (unsigned)s->code[at].u64;
    s->code[at + wb__op_format(id)->delta + entry].i64 = (int64_t)target - (int64_t)at;
}

/* The half holding operand idx of the op at `at`. */
static uint32_t *operand_at(slot_emit *s, uint32_t at, unsigned idx)
{
    const char *r = wb__op_format((unsigned)s->code[at].u64)->roles;
    for (unsigned h = 0; r[h]; h++) {
        if (r[h] == '-')
            continue;
        bool whole = r[h] == 'D' || r[h] == 'F' || r[h] == 'P' || r[h] == 'I';
        if (idx == 0 && !whole) {
            wb__cell *x = &s->code[at + 1 + h / 2];
            return h & 1 ? &x->p.b : &x->p.a;
        }
        if (whole)
            h++;
        idx--;
    }
    wb__compile_fail(s->e.c, WB_ERR_LIMIT, "compiler: no such operand"); /* NEVER */
}

static uint32_t operand(wb__emit *e, uint32_t at, unsigned idx) { return *operand_at(S(e), at, idx); }

static void set_operand(wb__emit *e, uint32_t at, unsigned idx, uint32_t v) { *operand_at(S(e), at, idx) = v; }

static void rewind_to(wb__emit *e, uint32_t at)
{
    slot_emit *s = S(e);
    s->ncode = at;
    while (s->nrl && s->rl[s->nrl - 1].cell >= at)
        s->nrl--;
    while (s->npm && s->pm[s->npm - 1].cell >= at)
        s->npm--;
}

/* Replace tagged operands by real frame offsets, and hand the code over. */
static void finish(wb__emit *e, wb__func *f, uint32_t cbase, uint32_t sbase)
{
    slot_emit *s = S(e);
    for (uint32_t i = 0; i < s->nrl; i++) {
        wb__cell *x = &s->code[s->rl[i].cell];
        uint32_t *v = s->rl[i].half ? &x->p.b : &x->p.a;
        if ((*v & WB__LOC_MASK) == WB__LOC_CONST)
            *v = cbase + (*v & ~WB__LOC_MASK);
        else if ((*v & WB__LOC_MASK) == WB__LOC_STACK)
            *v = sbase + (*v & ~WB__LOC_MASK);
    }
    f->code = s->code;
    f->ncode = s->ncode;
    f->pcmap = s->pm;
    f->npcmap = s->npm;
    s->code = NULL;
    s->pm = NULL;
}

static void free_emit(wb__emit *e)
{
    slot_emit *s = S(e);
    if (!s)
        return;
    free(s->code);
    free(s->rl);
    free(s->pm);
    free(s);
}

static const wb__emit_ops slot_ops = {op, pos, set_target, operand, set_operand, rewind_to, finish, free_emit};

wb__emit *wb__emit_slot_new(struct wb__comp *c, const uint32_t *ioff)
{
    slot_emit *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->e = (wb__emit){&slot_ops, c, ioff};
    return &s->e;
}
