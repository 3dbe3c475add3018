/*
 * frontend.c - the compiler's frontend: reads one function body once,
 * validating it and saying what to emit through an emitter (emit.h; the
 * slot-code emitter, emit_slot.c, is the one there is so far).
 *
 * The validator follows the spec's algorithm (operand and control stacks,
 * a polymorphic stack after unconditional branches).  Each operand-stack
 * entry also records where its value lives: its canonical slot, or, for a
 * local.get or a constant, the local's or constant's slot ("alias"), so those
 * instructions emit nothing.  An alias is copied to its canonical slot
 * ("materialised") before the local is written, before a call, at block
 * boundaries, and wherever control merges.
 *
 * Until the end of the function the size of the constant area is unknown,
 * so operands that name a constant or a stack slot are handed to the emitter
 * tagged (emit.h), and resolved by it once at the end.
 *
 * Blocks keep their own lists of pending forward branches, patched at their
 * end.  A compare whose only use is the br_if or if right after it becomes
 * one compare-and-branch op, and an op whose result goes straight into
 * local.set writes the local itself: the frontend remembers the last op it
 * emitted, and fuses by rewinding the emitter or rewriting that op's result.
 */
#include "emit.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_CONST WB__LOC_CONST
#define TAG_STACK WB__LOC_STACK
#define TAG_MASK WB__LOC_MASK
#define NONE UINT32_MAX

enum { K_BLOCK, K_LOOP, K_IF, K_ELSE, K_FUNC };

typedef struct {
    uint8_t type;   /* 0: unknown (polymorphic stack) */
    uint32_t loc;   /* where the value is now */
    uint32_t canon; /* its own slot (TAG_STACK | offset) */
    uint32_t local; /* alias of local (index + 1), or 0 */
    uint32_t next;  /* next older alias of the same local (stack index + 1) */
} sval;

typedef struct {
    uint8_t kind;
    bool unreachable; /* the rest of this frame's code is unreachable (stack polymorphic) */
    bool dead;        /* the whole frame sits in unreachable code: emit nothing */
    uint32_t height; /* operand stack length under the params */
    uint32_t base;   /* canonical slot of the first param / result */
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
    uint32_t start;    /* loop: cell of the head */
    uint32_t fix_head; /* this frame's forward branches: a list in fx, NONE-terminated */
    uint32_t else_op;  /* if: the branch to else/end, or NONE */
    uint64_t ninstr0; /* loop: instructions before the head */
    uint32_t stub_table; /* the br_table (numbered from 1) that last made a stub to here */
    uint32_t stub;       /* and that stub's position */
} ctrl;

/* A forward branch waiting for its target's end.  Each frame lists its own,
 * so an end patches only the branches to it: scanning every pending branch
 * at every end was O(nesting x branches), 40 s for a 4 MB module. */
typedef struct {
    uint32_t at, entry; /* the branch op's position, its entry (br_table) */
    uint32_t next;      /* in the target frame's list, or the free list */
} fixup;

typedef struct wb__comp {
    wb_module *m;
    wb__func *f;
    wb_error *err;
    jmp_buf jb;
    wb_result rc;

    const uint8_t *p, *end;
    uint32_t ioff; /* module offset of the current instruction */

    sval *vs;
    uint32_t nvs, cvs;
    ctrl *cs;
    uint32_t ncs, ccs;
    fixup *fx;
    uint32_t nfx, cfx;
    uint32_t fx_free; /* resolved entries, reused: NONE-terminated */
    wb__emit *e;
    wb__slot *consts;
    uint32_t nconsts, cconsts;
    uint32_t *cht; /* constant hash table: index + 1 */
    uint32_t chtcap;
    uint32_t *depths; /* br_table targets, reused (freed with the rest on failure) */
    uint32_t nbr_tables;
    const volatile int *interrupt; /* the load's, or NULL */
    uint32_t cdepths;

    uint32_t nlocals; /* params + locals */
    uint32_t *local_off;
    uint8_t *local_type;
    uint32_t *alias_head; /* per local: stack index + 1 of the newest alias */
    uint32_t nalias;

    uint32_t max_stack; /* bytes */
    uint64_t ninstr, loop_instr;
    uint32_t loop_depth;

    /* The last instruction, for retargeting its result (local.set) and for
     * fusing a compare into the branch that consumes it. */
    uint32_t last_start; /* its position; NONE after a label */
    uint32_t last_op;
    uint32_t last_nvs;  /* stack length right after it */
    uint32_t last_dst;  /* which of its operands is the result */
    uint32_t last_a, last_b;
} comp;

static const uint8_t one_type[256] = {
    [WB_I32] = WB_I32, [WB_I64] = WB_I64, [WB_F32] = WB_F32, [WB_F64] = WB_F64,
    [WB_V128] = WB_V128, [WB_FUNCREF] = WB_FUNCREF, [WB_EXTERNREF] = WB_EXTERNREF,
};

/* ---- errors and buffers ---------------------------------------------------------- */

WB_PRINTF(3, 4)
static _Noreturn void fail(comp *c, wb_result code, const char *fmt, ...)
{
    char why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    uint32_t len;
    const char *name = wb__func_name(c->m, c->f->index, &len);
    if (name)
        wb__error(c->err, code, c->ioff, "section 10, offset 0x%x: function %u ($%.*s): %s", c->ioff,
                  c->f->index, (int)(len > 64 ? 64 : len), name, why);
    else
        wb__error(c->err, code, c->ioff, "section 10, offset 0x%x: function %u: %s", c->ioff, c->f->index,
                  why);
    c->rc = code;
    longjmp(c->jb, 1);
}

/* The host's interrupt flag, read every few thousand instructions and
 * br_table entries so that a cancel ends even a huge function's compile. */
static void poll(comp *c)
{
    if (c->interrupt && *c->interrupt)
        fail(c, WB_TRAP_INTERRUPTED, "module load interrupted");
}

_Noreturn void wb__compile_fail(comp *c, wb_result code, const char *why) { fail(c, code, "%s", why); }

#define MALFORMED(...) fail(c, WB_ERR_MALFORMED, __VA_ARGS__)
#define INVALID(...) fail(c, WB_ERR_INVALID, __VA_ARGS__)

static void *grow(comp *c, void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    uint64_t n = *cap ? (uint64_t)*cap * 2 : 16;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX / 2)
        fail(c, WB_ERR_LIMIT, "function too large to compile");
    void *q = realloc(p, n * elem);
    if (!q)
        fail(c, WB_ERR_NOMEM, "out of memory compiling");
    *cap = (uint32_t)n;
    return q;
}

void *wb__compile_grow(comp *c, void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    return grow(c, p, cap, need, elem);
}

/* The name of the instruction at c->ioff (re-read: errors are rare). */
static const char *opname(const comp *c)
{
    const uint8_t *p = c->m->bytes + c->ioff;
    if (p >= c->end)
        return "end of function";
    if (*p == 0xfc || *p == 0xfd) {
        uint32_t sub = 0;
        for (unsigned i = 0, sh = 0; i < 5 && p + 1 + i < c->end; i++, sh += 7) {
            sub |= (uint32_t)(p[1 + i] & 0x7f) << sh;
            if (!(p[1 + i] & 0x80))
                break;
        }
        if (*p == 0xfc)
            return sub < 18 ? wb__fcnames[sub] : "0xfc prefix";
        return sub < WB__SIMD_OPCODES && wb__simd_ops[sub].name ? wb__simd_ops[sub].name : "0xfd prefix";
    }
    return wb__opnames[*p] ? wb__opnames[*p] : "unknown opcode";
}

/* ---- reading ----------------------------------------------------------------------- */

static uint8_t u8(comp *c)
{
    if (c->p >= c->end)
        MALFORMED("unexpected end of section or function");
    return *c->p++;
}

static uint64_t leb(comp *c, unsigned bits, bool sign)
{
    uint64_t r = 0;
    unsigned shift = 0;
    for (;;) {
        uint8_t b = u8(c);
        if (shift + 7 >= bits && shift < 64) {
            /* Last byte: the unused bits must be a sign/zero extension. */
            unsigned used = bits - shift;
            if (b & 0x80)
                MALFORMED("integer representation too long");
            if (sign) {
                int8_t rest = (int8_t)(b << 1) >> used; /* bits above `used`, sign-extended */
                int8_t want = (b >> (used - 1)) & 1 ? -1 : 0;
                if (used < 7 && (rest >> 1) != want)
                    MALFORMED("integer too large");
            } else if (used < 7 && (b >> used) != 0) {
                MALFORMED("integer too large");
            }
            r |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            break;
        }
        r |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (sign && shift < 64 && (r >> (shift - 1)) & 1)
        r |= ~(uint64_t)0 << shift;
    return r;
}

static uint32_t u32(comp *c) { return (uint32_t)leb(c, 32, false); }
static int32_t s32(comp *c) { return (int32_t)(uint32_t)leb(c, 32, true); }
static int64_t s64(comp *c) { return (int64_t)leb(c, 64, true); }

/* ---- emission ---------------------------------------------------------------------- */

static inline bool live(comp *c)
{
    const ctrl *f = &c->cs[c->ncs - 1];
    return !f->unreachable && !f->dead;
}

/* Emit op with its operands (emit.h): EMIT(c, WB__OP_I32_ADD, a, b, d). */
static uint32_t emit(comp *c, unsigned op, const uint64_t *v)
{
    c->last_start = NONE;
    return c->e->ops->op(c->e, op, v);
}
#define EMIT(c, op, ...) emit(c, op, (const uint64_t[]){__VA_ARGS__})
#define EMIT0(c, op) emit(c, op, NULL)

static uint32_t here(comp *c) { return c->e->ops->pos(c->e); }

/* Drop the last instruction (it is being fused into the next one). */
static void unemit_last(comp *c)
{
    c->e->ops->rewind(c->e, c->last_start);
    c->last_start = NONE;
}

/* Remember the instruction just emitted as retargetable / fusable: its
 * result is its operand number dst; a and b its inputs. */
static void note_last(comp *c, uint32_t start, unsigned op, uint32_t dst, uint32_t a, uint32_t b)
{
    c->last_start = start;
    c->last_op = op;
    c->last_nvs = c->nvs;
    c->last_dst = dst;
    c->last_a = a;
    c->last_b = b;
}

static void label(comp *c) { c->last_start = NONE; }

/* ---- constants --------------------------------------------------------------------- */

static uint32_t const_slot(comp *c, uint64_t v)
{
    if (c->nconsts * 2 >= c->chtcap) {
        uint32_t ncap = c->chtcap ? c->chtcap * 2 : 64;
        uint32_t *t = calloc(ncap, sizeof *t);
        if (!t)
            fail(c, WB_ERR_NOMEM, "out of memory compiling");
        for (uint32_t i = 0; i < c->chtcap; i++) {
            if (!c->cht[i])
                continue;
            uint64_t k = c->consts[c->cht[i] - 1];
            uint32_t j = (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 40) & (ncap - 1);
            while (t[j])
                j = (j + 1) & (ncap - 1);
            t[j] = c->cht[i];
        }
        free(c->cht);
        c->cht = t;
        c->chtcap = ncap;
    }
    uint32_t j = (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> 40) & (c->chtcap - 1);
    while (c->cht[j]) {
        if (c->consts[c->cht[j] - 1] == v)
            return TAG_CONST | ((c->cht[j] - 1) * 8);
        j = (j + 1) & (c->chtcap - 1);
    }
    c->consts = grow(c, c->consts, &c->cconsts, c->nconsts + 1, sizeof *c->consts);
    c->consts[c->nconsts++] = v;
    c->cht[j] = c->nconsts;
    return TAG_CONST | ((c->nconsts - 1) * 8);
}

/* v128 constants take two adjacent slots and are not shared. */
static uint32_t const_slot128(comp *c, const uint8_t *bytes)
{
    c->consts = grow(c, c->consts, &c->cconsts, c->nconsts + 2, sizeof *c->consts);
    memcpy(&c->consts[c->nconsts], bytes, 16);
    c->nconsts += 2;
    return TAG_CONST | ((c->nconsts - 2) * 8);
}

/* ---- operand stack ----------------------------------------------------------------- */

static uint32_t next_canon(comp *c)
{
    if (c->nvs == 0)
        return TAG_STACK;
    const sval *t = &c->vs[c->nvs - 1];
    return t->canon + 8 * wb__type_slots(t->type);
}

/* Push a value that lives at `loc` (NONE = its canonical slot; 0 is a real
 * location, local 0). */
static uint32_t push_at(comp *c, uint8_t type, uint32_t loc, uint32_t local)
{
    uint32_t canon = next_canon(c);
    uint32_t top = (canon & ~TAG_MASK) + 8 * wb__type_slots(type);
    if (top > WB_MAX_FRAME_SLOTS * 8)
        fail(c, WB_ERR_LIMIT, "operand stack deeper than %u slots", WB_MAX_FRAME_SLOTS);
    if (top > c->max_stack)
        c->max_stack = top;
    c->vs = grow(c, c->vs, &c->cvs, c->nvs + 1, sizeof *c->vs);
    sval *v = &c->vs[c->nvs];
    *v = (sval){type, loc != NONE ? loc : canon, canon, local, 0};
    if (local) {
        v->next = c->alias_head[local - 1];
        c->alias_head[local - 1] = c->nvs + 1;
        c->nalias++;
    }
    c->nvs++;
    return canon;
}

static uint32_t push(comp *c, uint8_t type) { return push_at(c, type, NONE, 0); }

static void unalias(comp *c, sval *v)
{
    if (v->local) {
        c->alias_head[v->local - 1] = v->next;
        v->local = 0;
        c->nalias--;
    }
}

static sval pop(comp *c, uint8_t expect)
{
    ctrl *f = &c->cs[c->ncs - 1];
    if (c->nvs == f->height) {
        if (f->unreachable)
            return (sval){0, 0, 0, 0, 0};
        INVALID("type mismatch in %s: expected %s but the stack is empty", opname(c),
                expect ? wb__type_name(expect) : "a value");
    }
    sval v = c->vs[--c->nvs];
    unalias(c, &v);
    if (expect && v.type && v.type != expect)
        INVALID("type mismatch in %s: expected %s, got %s", opname(c), wb__type_name(expect),
                wb__type_name(v.type));
    return v;
}

static void truncate_stack(comp *c, uint32_t h)
{
    while (c->nvs > h) {
        c->nvs--;
        unalias(c, &c->vs[c->nvs]);
    }
}

static void copy(comp *c, uint8_t type, uint32_t from, uint32_t to)
{
    if (from == to)
        return;
    EMIT(c, type == WB_V128 ? WB__OP_COPY2 : WB__OP_COPY, from, to);
}

/* Give entry i its canonical slot. */
static void materialise(comp *c, uint32_t i)
{
    sval *v = &c->vs[i];
    if (v->loc == v->canon)
        return;
    if (live(c))
        copy(c, v->type, v->loc, v->canon);
    v->loc = v->canon;
}

/* Entries [from, top).  Going top-down, each alias met is the newest of its
 * local's list, so unlinking the head is right. */
static void materialise_from(comp *c, uint32_t from)
{
    for (uint32_t i = c->nvs; i-- > from;) {
        unalias(c, &c->vs[i]);
        materialise(c, i);
    }
}

/* Before writing local x: every value still reading it gets its own copy. */
static void materialise_local(comp *c, uint32_t x)
{
    uint32_t i = c->alias_head[x];
    while (i) {
        sval *v = &c->vs[i - 1];
        uint32_t next = v->next;
        v->local = 0;
        c->nalias--;
        materialise(c, i - 1);
        i = next;
    }
    c->alias_head[x] = 0;
}

/* Every local alias of the current frame, before a block starts: a copy
 * emitted later inside the block (at a local.set) might be skipped by a
 * branch, so values from outside must not depend on one.  Aliases never
 * exist below the current frame (this runs at every frame entry), so the
 * top-down walk meets each as its list's head. */
static void materialise_locals(comp *c)
{
    uint32_t h = c->cs[c->ncs - 1].height;
    for (uint32_t i = c->nvs; c->nalias && i-- > h;) {
        if (c->vs[i].local) {
            unalias(c, &c->vs[i]);
            materialise(c, i);
        }
    }
}

/* ---- control ----------------------------------------------------------------------- */

static void push_ctrl(comp *c, uint8_t kind, uint32_t np, const uint8_t *params, uint32_t nr,
                      const uint8_t *results)
{
    if (c->ncs >= WB_MAX_NESTING)
        fail(c, WB_ERR_LIMIT, "blocks nested deeper than %u", WB_MAX_NESTING);
    c->cs = grow(c, c->cs, &c->ccs, c->ncs + 1, sizeof *c->cs);
    ctrl *f = &c->cs[c->ncs];
    bool dead = c->ncs && !live(c);
    *f = (ctrl){.kind = kind,
                .dead = dead,
                .height = c->nvs - np,
                .nparams = np,
                .params = params,
                .nresults = nr,
                .results = results,
                .start = here(c),
                .fix_head = NONE,
                .else_op = NONE,
                .ninstr0 = c->ninstr};
    f->base = np ? c->vs[c->nvs - np].canon : next_canon(c);
    c->ncs++;
}

static const uint8_t *label_types(const ctrl *f, uint32_t *n)
{
    if (f->kind == K_LOOP) {
        *n = f->nparams;
        return f->params;
    }
    *n = f->nresults;
    return f->results;
}

static ctrl *label_at(comp *c, uint32_t depth)
{
    if (depth >= c->ncs)
        INVALID("unknown label %u", depth);
    return &c->cs[c->ncs - 1 - depth];
}

/* Check that the top of the stack holds `types` (without popping). */
static void check_top(comp *c, const uint8_t *types, uint32_t n)
{
    ctrl *f = &c->cs[c->ncs - 1];
    uint32_t avail = c->nvs - f->height;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t want = types[n - 1 - i];
        if (i >= avail) {
            if (f->unreachable)
                continue;
            INVALID("type mismatch: expected %u values for the branch", n);
        }
        uint8_t t = c->vs[c->nvs - 1 - i].type;
        if (t && t != want)
            INVALID("type mismatch: branch expects %s, got %s", wb__type_name(want), wb__type_name(t));
    }
}

/* Slot where value i of a branch to f goes. */
static bool branch_needs_copies(comp *c, const ctrl *f, uint32_t n)
{
    if (f->kind == K_FUNC)
        return true;
    uint32_t at = f->base;
    for (uint32_t i = 0; i < n; i++) {
        const sval *v = &c->vs[c->nvs - n + i];
        if (v->loc != at)
            return true;
        at += 8 * wb__type_slots(v->type);
    }
    return false;
}

static void branch_copies(comp *c, const ctrl *f, uint32_t n)
{
    uint32_t at = f->base;
    for (uint32_t i = 0; i < n; i++) {
        const sval *v = &c->vs[c->nvs - n + i];
        copy(c, v->type, v->loc, at);
        at += 8 * wb__type_slots(v->type);
    }
}

/* At else/end: the frame's values must be exactly its results.  They are
 * checked in place, keeping where each lives; in unreachable code the
 * missing ones are made up (nothing is emitted there). */
static void frame_results(comp *c, ctrl *f)
{
    uint32_t n = f->nresults;
    check_top(c, f->results, n);
    if (c->nvs - f->height > n)
        INVALID("type mismatch: values remain at the end of the block");
    if (c->nvs - f->height < n || !live(c)) {
        truncate_stack(c, f->height);
        for (uint32_t i = 0; i < n; i++)
            push(c, f->results[i]);
    }
}

/* A forward branch (entry `entry` of the op at `at`) to the frame `depth`
 * up, patched when that frame ends. */
static void add_fixup(comp *c, uint32_t at, uint32_t entry, uint32_t depth)
{
    ctrl *f = &c->cs[c->ncs - 1 - depth];
    uint32_t i = c->fx_free;
    if (i != NONE) {
        c->fx_free = c->fx[i].next;
    } else {
        c->fx = grow(c, c->fx, &c->cfx, c->nfx + 1, sizeof *c->fx);
        i = c->nfx++;
    }
    c->fx[i] = (fixup){at, entry, f->fix_head};
    f->fix_head = i;
}

static void return_seq(comp *c)
{
    uint32_t n = c->f->type->ft.nresults;
    if (n == 1 && c->f->type->ft.types[c->f->type->ft.nparams] != WB_V128) {
        EMIT(c, WB__OP_RETURN1, c->vs[c->nvs - 1].loc);
        return;
    }
    /* Results go to slots 0.. of the frame, which may overlap locals that
     * other results still read: gather them in their canonical slots first
     * (never read by another entry), then move them down in order (each
     * destination lies at or below its source).  The stack entries are left
     * as they were, since a br_table stub is only one of several paths. */
    if (n > 1)
        for (uint32_t i = c->nvs - n; i < c->nvs; i++)
            copy(c, c->vs[i].type, c->vs[i].loc, c->vs[i].canon);
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        const sval *v = &c->vs[c->nvs - n + i];
        copy(c, v->type, n > 1 ? v->canon : v->loc, at);
        at += 8 * wb__type_slots(v->type);
    }
    EMIT0(c, WB__OP_RETURN);
}

static uint64_t loop_cost(comp *c, const ctrl *f)
{
    uint64_t n = c->ninstr - f->ninstr0;
    return n ? n : 1;
}

/* Unconditional jump to the label of frame f (values already in place). */
static void jump(comp *c, uint32_t depth)
{
    ctrl *f = &c->cs[c->ncs - 1 - depth];
    if (f->kind == K_FUNC) {
        return_seq(c);
    } else if (f->kind == K_LOOP) {
        EMIT(c, WB__OP_BR_LOOP, f->start, loop_cost(c, f));
    } else {
        uint32_t at = EMIT(c, WB__OP_BR, WB__NO_TARGET);
        add_fixup(c, at, 0, depth);
    }
}

/* A conditional branch op (BR_IF, BR_UNLESS: a = the condition, b unused;
 * or a fused compare of a and b) to the frame `depth` up: a loop's head,
 * charging the loop body's fuel, or a forward branch patched later. */
static void cond_branch(comp *c, unsigned op, uint32_t a, uint32_t b, uint32_t depth)
{
    ctrl *f = &c->cs[c->ncs - 1 - depth];
    bool two = op != WB__OP_BR_IF && op != WB__OP_BR_UNLESS;
    uint64_t target = f->kind == K_LOOP ? f->start : WB__NO_TARGET;
    uint64_t fuel = f->kind == K_LOOP ? loop_cost(c, f) : 0;
    uint32_t at = two ? EMIT(c, op, a, b, target, fuel) : EMIT(c, op, a, target, fuel);
    if (f->kind != K_LOOP)
        add_fixup(c, at, 0, depth);
}

static bool is_int_cmp(unsigned op)
{
    return (op >= WB__OP_I32_EQ && op <= WB__OP_I32_GE_U) || (op >= WB__OP_I64_EQ && op <= WB__OP_I64_GE_U);
}

static unsigned fused(unsigned cmp)
{
    if (cmp >= WB__OP_I32_EQ && cmp <= WB__OP_I32_GE_U)
        return WB__OP_BR_I32_EQ + (cmp - WB__OP_I32_EQ);
    return WB__OP_BR_I64_EQ + (cmp - WB__OP_I64_EQ);
}

static unsigned inverse_cmp(unsigned cmp)
{
    /* Within each family the order is eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u. */
    static const uint8_t inv[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
    unsigned base = cmp >= WB__OP_I64_EQ ? WB__OP_I64_EQ : WB__OP_I32_EQ;
    return base + inv[cmp - base];
}

/* Branch to `depth` if the condition (already popped as v) holds. */
static void br_if(comp *c, uint32_t depth, sval cond)
{
    ctrl *f = &c->cs[c->ncs - 1 - depth];
    uint32_t n;
    label_types(f, &n);
    bool fusable = c->last_start != NONE && c->last_nvs == c->nvs + 1 && cond.loc == cond.canon &&
                   c->vs[c->nvs].canon == cond.canon; /* the condition is the last result */
    if (!branch_needs_copies(c, f, n)) {
        if (fusable && is_int_cmp(c->last_op)) {
            unsigned op = fused(c->last_op);
            uint32_t a = c->last_a, b = c->last_b;
            unemit_last(c);
            cond_branch(c, op, a, b, depth);
        } else if (fusable && c->last_op == WB__OP_I32_EQZ) {
            uint32_t a = c->last_a;
            unemit_last(c);
            cond_branch(c, WB__OP_BR_UNLESS, a, 0, depth);
        } else {
            cond_branch(c, WB__OP_BR_IF, cond.loc, 0, depth);
        }
        return;
    }
    /* Values must move first: skip over the copies when the condition fails. */
    uint32_t at = EMIT(c, WB__OP_BR_UNLESS, cond.loc, WB__NO_TARGET, 0);
    if (f->kind == K_FUNC)
        return_seq(c);
    else {
        branch_copies(c, f, n);
        jump(c, depth);
    }
    c->e->ops->set_target(c->e, at, 0, here(c));
    label(c);
}

/* Resolve the forward branches of frame index fi to the current position. */
static void resolve_fixups(comp *c, uint32_t fi)
{
    ctrl *f = &c->cs[fi];
    uint32_t to = here(c);
    for (uint32_t i = f->fix_head, next; i != NONE; i = next) {
        next = c->fx[i].next;
        c->e->ops->set_target(c->e, c->fx[i].at, c->fx[i].entry, to);
        c->fx[i].next = c->fx_free;
        c->fx_free = i;
    }
    f->fix_head = NONE;
}

/* ---- block types, memargs --------------------------------------------------------- */

static void block_type(comp *c, uint32_t *np, const uint8_t **params, uint32_t *nr, const uint8_t **results)
{
    if (c->p >= c->end)
        MALFORMED("unexpected end");
    uint8_t b = *c->p;
    if (b == 0x40) {
        c->p++;
        *np = *nr = 0;
        *params = *results = NULL;
        return;
    }
    if (wb__is_valtype(b)) {
        c->p++;
        *np = 0;
        *params = NULL;
        *nr = 1;
        *results = &one_type[b];
        return;
    }
    int64_t idx = (int64_t)leb(c, 33, true);
    if (idx < 0)
        MALFORMED("malformed block type");
    if ((uint64_t)idx >= c->m->ntypes)
        INVALID("unknown type %lld", (long long)idx);
    const wb_functype *ft = &c->m->types[idx].ft;
    *np = ft->nparams;
    *params = ft->types;
    *nr = ft->nresults;
    *results = ft->types + ft->nparams;
}

static void need_memory(comp *c)
{
    if (c->m->nmems == 0)
        INVALID("unknown memory 0");
}

static uint32_t memarg(comp *c, unsigned max_align)
{
    uint32_t align = u32(c);
    uint32_t off = u32(c);
    need_memory(c);
    if (align > max_align)
        INVALID("alignment must not be larger than natural");
    return off;
}

static uint8_t reftype(comp *c)
{
    uint8_t t = u8(c);
    if (!wb__is_ref(t))
        MALFORMED("malformed reference type");
    return t;
}

static void zero_byte(comp *c)
{
    if (u8(c) != 0)
        MALFORMED("zero byte expected");
}

static void need_table(comp *c, uint32_t t)
{
    if (t >= c->m->ntables)
        INVALID("unknown table %u", t);
}

static void need_elem(comp *c, uint32_t e)
{
    if (e >= c->m->nelems)
        INVALID("unknown elem segment %u", e);
}

static void need_data(comp *c, uint32_t d)
{
    if (!c->m->has_datacount)
        MALFORMED("data count section required");
    if (d >= c->m->datacount)
        INVALID("unknown data segment %u", d);
}

/* ---- calls ------------------------------------------------------------------------- */

/* Arguments on top of the stack become the callee's params: pop them,
 * materialised, and push the results at the same base. */
static uint32_t call_args(comp *c, const wb_functype *ft)
{
    /* Type-check in place, then materialise the entries that exist. */
    ctrl *f = &c->cs[c->ncs - 1];
    uint32_t np = ft->nparams;
    uint32_t avail = c->nvs - f->height;
    for (uint32_t i = 0; i < np; i++) {
        uint8_t want = ft->types[np - 1 - i];
        if (i >= avail) {
            if (f->unreachable)
                continue;
            INVALID("type mismatch: call needs %u arguments", np);
        }
        uint8_t t = c->vs[c->nvs - 1 - i].type;
        if (t && t != want)
            INVALID("type mismatch: argument %u expects %s, got %s", np - 1 - i, wb__type_name(want),
                    wb__type_name(t));
    }
    uint32_t have = np < avail ? np : avail;
    materialise_from(c, c->nvs - have);
    uint32_t base = have ? c->vs[c->nvs - have].canon : next_canon(c);
    truncate_stack(c, c->nvs - have);
    return base;
}

static void call_results(comp *c, const wb_functype *ft)
{
    for (uint32_t i = 0; i < ft->nresults; i++)
        push(c, ft->types[ft->nparams + i]);
}

/* ---- the instruction loop ---------------------------------------------------------- */

/* Opcode tables built from code.h. */
typedef struct {
    uint16_t op;
    uint8_t in, out, binary;
} numinfo;

static const numinfo numeric[256] = {
#define U(name, opc, in, out) [opc] = {WB__OP_##name, WB_##in, WB_##out, 0},
#define B(name, opc, in, out) [opc] = {WB__OP_##name, WB_##in, WB_##out, 1},
    WB__NUMERIC_OPS(U, B)
#undef U
#undef B
};

static const numinfo satinfo[8] = {
#define U(name, sub, in, out) [sub] = {WB__OP_##name, WB_##in, WB_##out, 0},
    WB__SAT_OPS(U)
#undef U
};

static const struct {
    uint16_t op;
    uint8_t type, bytes, align;
} meminfo[256] = {
#define M(name, opc, t, n, al) [opc] = {WB__OP_##name, WB_##t, n, al},
    WB__MEM_OPS(M, M)
#undef M
};

static void unary(comp *c, unsigned op, uint8_t in, uint8_t out)
{
    sval a = pop(c, in);
    uint32_t d = push(c, out);
    if (!live(c))
        return;
    uint32_t at = EMIT(c, op, a.loc, d);
    note_last(c, at, op, 1, a.loc, 0);
}

static void binary(comp *c, unsigned op, uint8_t in, uint8_t out)
{
    sval b = pop(c, in);
    sval a = pop(c, in);
    uint32_t d = push(c, out);
    if (!live(c))
        return;
    uint32_t at = EMIT(c, op, a.loc, b.loc, d);
    note_last(c, at, op, 2, a.loc, b.loc);
}

/* The value on top was just produced by the last instruction into its own
 * slot: retarget that instruction to write local x instead. */
static bool retarget(comp *c, uint32_t x)
{
    if (c->last_start == NONE || c->last_nvs != c->nvs || c->nvs == 0)
        return false;
    sval *top = &c->vs[c->nvs - 1];
    if (top->loc != top->canon || c->alias_head[x])
        return false;
    if (c->e->ops->operand(c->e, c->last_start, c->last_dst) != top->canon)
        return false;
    c->e->ops->set_operand(c->e, c->last_start, c->last_dst, c->local_off[x]);
    c->last_start = NONE;
    return true;
}

static void local_set(comp *c, uint32_t x, bool tee)
{
    if (x >= c->nlocals)
        INVALID("unknown local %u", x);
    uint8_t t = c->local_type[x];
    uint32_t off = c->local_off[x];
    if (!live(c)) {
        pop(c, t);
        if (tee)
            push(c, t);
        return;
    }
    bool done = retarget(c, x); /* only when no alias of x exists */
    sval v = pop(c, t);
    if (!done && v.loc != off) {
        materialise_local(c, x);
        copy(c, t, v.loc, off);
    }
    if (tee)
        push_at(c, t, off, x + 1);
}

static void simd(comp *c, uint32_t sub)
{
    if (sub >= WB__SIMD_OPCODES || wb__simd_ops[sub].kind == WB__SIMD_NONE)
        MALFORMED("illegal opcode 0xfd 0x%x", sub);
    const wb__simd_op *o = &wb__simd_ops[sub];
    uint8_t imm[16] = {0};
    uint32_t offset = 0;
    switch (o->kind) {
    case WB__SIMD_CONST: {
        if (c->end - c->p < 16)
            MALFORMED("unexpected end");
        memcpy(imm, c->p, 16);
        c->p += 16;
        push_at(c, WB_V128, const_slot128(c, imm), 0);
        return;
    }
    case WB__SIMD_LANE:
        imm[0] = u8(c);
        if (imm[0] >= o->lanes)
            INVALID("invalid lane index");
        break;
    case WB__SIMD_SHUFFLE:
        for (int i = 0; i < 16; i++) {
            imm[i] = u8(c);
            if (imm[i] >= 32)
                INVALID("invalid lane index");
        }
        break;
    case WB__SIMD_LOAD:
    case WB__SIMD_STORE:
        offset = memarg(c, o->max_align);
        break;
    case WB__SIMD_LOAD_LANE:
    case WB__SIMD_STORE_LANE:
        offset = memarg(c, o->max_align);
        imm[0] = u8(c);
        if (imm[0] >= o->lanes)
            INVALID("invalid lane index");
        break;
    default:
        break;
    }
    sval args[3] = {{0}, {0}, {0}};
    for (int i = o->nparams; i-- > 0;)
        args[i] = pop(c, o->params[i]);
    uint32_t d = o->result ? push(c, o->result) : 0;
    if (!live(c))
        return;
    if (o->own) { /* an interpreter handler of its own: no call through the table */
        uint32_t at;
        unsigned dst = 1;
        if (o->kind == WB__SIMD_LOAD || o->kind == WB__SIMD_STORE) /* [addr|d or v][offset|-] */
            at = EMIT(c, o->own, args[0].loc, o->result ? d : args[1].loc, offset);
        else if (o->nparams > 1) /* [a|b][d|-] */
            at = EMIT(c, o->own, args[0].loc, args[1].loc, d), dst = 2;
        else /* [a|-][d|-] */
            at = EMIT(c, o->own, args[0].loc, d);
        if (o->result) /* a local.set after it can take the result directly */
            note_last(c, at, o->own, dst, 0, 0);
        return;
    }
    uint64_t w[2];
    memcpy(w, imm, 16);
    uint64_t fn = (uint64_t)(uintptr_t)wb__simd_impl(sub);
    if (o->kind >= WB__SIMD_LOAD) { /* the interpreter needs the kind to know which operand is memory */
        EMIT(c, WB__OP_SIMD_MEM, fn, args[0].loc, args[1].loc, args[2].loc, d, offset,
             (uint32_t)o->mem_bytes | (uint32_t)o->kind << 8, w[0], w[1]);
        return;
    }
    uint32_t at = EMIT(c, WB__OP_SIMD, fn, args[0].loc, args[1].loc, args[2].loc, d, w[0], w[1]);
    if (o->result) /* a local.set after it can take the result directly */
        note_last(c, at, WB__OP_SIMD, 4, 0, 0);
}

static void body(comp *c)
{
    wb_module *m = c->m;
    for (;;) {
        if (c->p >= c->end)
            MALFORMED("unexpected end of section or function: END opcode expected");
        c->ioff = (uint32_t)(c->p - m->bytes);
        uint8_t opc = *c->p++;
        if ((++c->ninstr & 4095) == 0)
            poll(c);
        switch (opc) {
        case 0x00: /* unreachable */
            if (live(c))
                EMIT0(c, WB__OP_UNREACHABLE);
            truncate_stack(c, c->cs[c->ncs - 1].height);
            c->cs[c->ncs - 1].unreachable = true;
            break;
        case 0x01: /* nop */
            break;
        case 0x02:   /* block */
        case 0x03: { /* loop */
            uint32_t np, nr;
            const uint8_t *ps, *rs;
            block_type(c, &np, &ps, &nr, &rs);
            check_top(c, ps, np);
            materialise_locals(c);
            materialise_from(c, c->nvs - (np < c->nvs - c->cs[c->ncs - 1].height ? np : c->nvs - c->cs[c->ncs - 1].height));
            /* Params may sit in the polymorphic region: give them real entries. */
            uint32_t avail = c->nvs - c->cs[c->ncs - 1].height;
            if (avail < np) {
                for (uint32_t i = avail; i < np; i++)
                    pop(c, 0);
                for (uint32_t i = 0; i < np; i++)
                    push(c, ps[i]);
            }
            push_ctrl(c, opc == 0x02 ? K_BLOCK : K_LOOP, np, ps, nr, rs);
            if (opc == 0x03)
                c->loop_depth++;
            label(c);
            break;
        }
        case 0x04: { /* if */
            uint32_t np, nr;
            const uint8_t *ps, *rs;
            block_type(c, &np, &ps, &nr, &rs);
            sval cond = pop(c, WB_I32);
            check_top(c, ps, np);
            materialise_locals(c);
            materialise_from(c, c->nvs - (np < c->nvs - c->cs[c->ncs - 1].height ? np : c->nvs - c->cs[c->ncs - 1].height));
            uint32_t avail = c->nvs - c->cs[c->ncs - 1].height;
            if (avail < np) {
                for (uint32_t i = avail; i < np; i++)
                    pop(c, 0);
                for (uint32_t i = 0; i < np; i++)
                    push(c, ps[i]);
            }
            uint32_t at = NONE;
            if (live(c)) {
                bool fusable = c->last_start != NONE && c->last_nvs == c->nvs + 1 + 0 &&
                               cond.loc == cond.canon;
                /* last_nvs counts the condition, which is now popped. */
                fusable = fusable && np == 0;
                /* A branch over the then-part, patched at else or end. */
                if (fusable && is_int_cmp(c->last_op)) {
                    unsigned op = fused(inverse_cmp(c->last_op));
                    uint32_t a = c->last_a, b = c->last_b;
                    unemit_last(c);
                    at = EMIT(c, op, a, b, WB__NO_TARGET, 0);
                } else if (fusable && c->last_op == WB__OP_I32_EQZ) {
                    uint32_t a = c->last_a;
                    unemit_last(c);
                    at = EMIT(c, WB__OP_BR_IF, a, WB__NO_TARGET, 0);
                } else {
                    at = EMIT(c, WB__OP_BR_UNLESS, cond.loc, WB__NO_TARGET, 0);
                }
            }
            push_ctrl(c, K_IF, np, ps, nr, rs);
            c->cs[c->ncs - 1].else_op = at;
            label(c);
            break;
        }
        case 0x05: { /* else */
            ctrl *f = &c->cs[c->ncs - 1];
            if (f->kind != K_IF)
                INVALID("else without if");
            frame_results(c, f);
            if (live(c)) {
                materialise_from(c, f->height);
                jump(c, 0);
            }
            if (f->else_op != NONE)
                c->e->ops->set_target(c->e, f->else_op, 0, here(c));
            f->else_op = NONE;
            truncate_stack(c, f->height);
            for (uint32_t i = 0; i < f->nparams; i++)
                push(c, f->params[i]);
            f->kind = K_ELSE;
            f->unreachable = false;
            label(c);
            break;
        }
        case 0x0b: { /* end */
            ctrl *f = &c->cs[c->ncs - 1];
            if (f->kind == K_IF) {
                if (f->nparams != f->nresults || (f->nparams && memcmp(f->params, f->results, f->nparams)))
                    INVALID("type mismatch: if without else must leave its params");
            }
            frame_results(c, f);
            if (f->kind == K_FUNC) {
                if (live(c))
                    return_seq(c);
                c->ncs--;
                if (c->p != c->end)
                    MALFORMED("section size mismatch: operators remain after the end of the function");
                return;
            }
            if (live(c))
                materialise_from(c, f->height);
            if (f->else_op != NONE)
                c->e->ops->set_target(c->e, f->else_op, 0, here(c));
            resolve_fixups(c, c->ncs - 1);
            if (f->kind == K_LOOP && --c->loop_depth == 0)
                c->loop_instr += c->ninstr - f->ninstr0;
            /* The results now live in their canonical slots. */
            uint32_t h = f->height;
            c->ncs--;
            truncate_stack(c, h);
            for (uint32_t i = 0; i < f->nresults; i++)
                push(c, f->results[i]);
            label(c);
            break;
        }
        case 0x0c: { /* br */
            uint32_t depth = u32(c);
            ctrl *f = label_at(c, depth);
            uint32_t n;
            const uint8_t *ts = label_types(f, &n);
            check_top(c, ts, n);
            if (live(c)) {
                if (f->kind != K_FUNC)
                    branch_copies(c, f, n);
                jump(c, depth);
            }
            truncate_stack(c, c->cs[c->ncs - 1].height);
            c->cs[c->ncs - 1].unreachable = true;
            break;
        }
        case 0x0d: { /* br_if */
            uint32_t depth = u32(c);
            sval cond = pop(c, WB_I32);
            ctrl *f = label_at(c, depth);
            uint32_t n;
            const uint8_t *ts = label_types(f, &n);
            check_top(c, ts, n);
            if (live(c))
                br_if(c, depth, cond);
            /* The values stay, now typed as the label's. */
            {
                ctrl *cur = &c->cs[c->ncs - 1];
                uint32_t avail = c->nvs - cur->height;
                for (uint32_t i = 0; i < n && i < avail; i++) {
                    sval *v = &c->vs[c->nvs - 1 - i];
                    if (!v->type)
                        v->type = ts[n - 1 - i];
                }
                if (avail < n) {
                    /* Polymorphic: materialise typed entries for what follows. */
                    truncate_stack(c, c->nvs - avail);
                    for (uint32_t i = 0; i < n; i++)
                        push(c, ts[i]);
                }
            }
            break;
        }
        case 0x0e: { /* br_table */
            uint32_t cnt = u32(c);
            if (cnt > (uint32_t)(c->end - c->p))
                MALFORMED("unexpected end");
            uint32_t *depths = c->depths = grow(c, c->depths, &c->cdepths, cnt + 1, sizeof *depths);
            for (uint32_t i = 0; i <= cnt; i++) {
                if (c->p >= c->end)
                    MALFORMED("unexpected end");
                depths[i] = u32(c);
                if ((i & 65535) == 65535)
                    poll(c);
            }
            sval idx = pop(c, WB_I32);
            uint32_t arity;
            label_types(label_at(c, depths[cnt]), &arity);
            for (uint32_t i = 0; i <= cnt; i++) {
                uint32_t n;
                const uint8_t *ts = label_types(label_at(c, depths[i]), &n);
                if (n != arity)
                    INVALID("type mismatch: br_table targets have different arities");
                check_top(c, ts, n);
            }
            if (live(c)) {
                c->nbr_tables++;
                uint32_t at = EMIT(c, WB__OP_BR_TABLE, idx.loc, cnt);
                /* Targets that need copies, fuel or a return get a stub. */
                for (uint32_t i = 0; i <= cnt; i++) {
                    ctrl *f = label_at(c, depths[i]);
                    uint32_t n;
                    label_types(f, &n);
                    if (f->kind != K_LOOP && !branch_needs_copies(c, f, n)) {
                        add_fixup(c, at, i, depths[i]);
                        continue;
                    }
                    /* One stub per target frame, found through the frame:
                     * searching the earlier entries was O(entries^2). */
                    if (f->stub_table == c->nbr_tables) {
                        c->e->ops->set_target(c->e, at, i, f->stub);
                        continue;
                    }
                    c->e->ops->set_target(c->e, at, i, f->stub = here(c));
                    f->stub_table = c->nbr_tables;
                    if (f->kind != K_FUNC)
                        branch_copies(c, f, n);
                    jump(c, depths[i]);
                }
            }
            truncate_stack(c, c->cs[c->ncs - 1].height);
            c->cs[c->ncs - 1].unreachable = true;
            break;
        }
        case 0x0f: { /* return */
            const wb_functype *ft = &c->f->type->ft;
            check_top(c, ft->types + ft->nparams, ft->nresults);
            if (live(c))
                return_seq(c);
            truncate_stack(c, c->cs[c->ncs - 1].height);
            c->cs[c->ncs - 1].unreachable = true;
            break;
        }
        case 0x10: { /* call */
            uint32_t fi = u32(c);
            if (fi >= m->nfuncs)
                INVALID("unknown function %u", fi);
            const wb_functype *ft = &m->types[m->func_type_idx[fi]].ft;
            uint32_t base = call_args(c, ft);
            if (live(c)) {
                if (fi < m->nimported_funcs)
                    EMIT(c, WB__OP_CALL_IMPORT, fi, base);
                else
                    EMIT(c, WB__OP_CALL, (uint64_t)(uintptr_t)&m->funcs[fi - m->nimported_funcs], base);
            }
            call_results(c, ft);
            break;
        }
        case 0x11: { /* call_indirect */
            uint32_t ti = u32(c);
            uint32_t tab = u32(c);
            if (ti >= m->ntypes)
                INVALID("unknown type %u", ti);
            need_table(c, tab);
            if (m->tables[tab].elem != WB_FUNCREF)
                INVALID("type mismatch: call_indirect on a table of %s", wb__type_name(m->tables[tab].elem));
            sval i = pop(c, WB_I32);
            const wb_functype *ft = &m->types[ti].ft;
            /* The index was above the arguments: materialising them writes
             * below it, and the call reads it before the callee's frame
             * covers its slot. */
            uint32_t iloc = i.loc;
            uint32_t base = call_args(c, ft);
            if (live(c)) {
                EMIT(c, WB__OP_CALL_INDIRECT, tab, ti, iloc, base);
            }
            call_results(c, ft);
            break;
        }
        case 0x1a: /* drop */
            pop(c, 0);
            break;
        case 0x1b:   /* select */
        case 0x1c: { /* select t */
            uint8_t t = 0;
            if (opc == 0x1c) {
                uint32_t n = u32(c);
                if (n != 1)
                    INVALID("invalid result arity");
                t = u8(c);
                if (!wb__is_valtype(t))
                    MALFORMED("malformed value type");
            }
            sval cnd = pop(c, WB_I32);
            sval b = pop(c, t);
            sval a = pop(c, t);
            if (!t) {
                if (a.type && b.type && a.type != b.type)
                    INVALID("type mismatch: select operands %s and %s", wb__type_name(a.type),
                            wb__type_name(b.type));
                t = a.type ? a.type : b.type;
                if (wb__is_ref(t))
                    INVALID("type mismatch: select needs a type for references");
            }
            uint32_t d = push(c, t);
            if (!t) /* both unknown: the result stays unknown */
                c->vs[c->nvs - 1].type = 0;
            if (live(c)) {
                EMIT(c, t == WB_V128 ? WB__OP_SELECT2 : WB__OP_SELECT, a.loc, b.loc, cnd.loc, d);
            }
            break;
        }
        case 0x20: { /* local.get */
            uint32_t x = u32(c);
            if (x >= c->nlocals)
                INVALID("unknown local %u", x);
            push_at(c, c->local_type[x], c->local_off[x], x + 1);
            break;
        }
        case 0x21: /* local.set */
            local_set(c, u32(c), false);
            break;
        case 0x22: /* local.tee */
            local_set(c, u32(c), true);
            break;
        case 0x23: { /* global.get */
            uint32_t g = u32(c);
            if (g >= m->nglobals)
                INVALID("unknown global %u", g);
            uint8_t t = m->globals[g].type;
            uint32_t d = push(c, t);
            if (live(c)) {
                uint32_t at = EMIT(c, t == WB_V128 ? WB__OP_GLOBAL_GET2 : WB__OP_GLOBAL_GET, g, d);
                if (t != WB_V128)
                    note_last(c, at, WB__OP_GLOBAL_GET, 1, 0, 0);
            }
            break;
        }
        case 0x24: { /* global.set */
            uint32_t g = u32(c);
            if (g >= m->nglobals)
                INVALID("unknown global %u", g);
            if (!m->globals[g].mut)
                INVALID("global is immutable");
            uint8_t t = m->globals[g].type;
            sval v = pop(c, t);
            if (live(c)) {
                EMIT(c, t == WB_V128 ? WB__OP_GLOBAL_SET2 : WB__OP_GLOBAL_SET, g, v.loc);
            }
            break;
        }
        case 0x25: { /* table.get */
            uint32_t t = u32(c);
            need_table(c, t);
            sval i = pop(c, WB_I32);
            uint32_t d = push(c, m->tables[t].elem);
            if (live(c)) {
                EMIT(c, WB__OP_TABLE_GET, t, i.loc, d);
            }
            break;
        }
        case 0x26: { /* table.set */
            uint32_t t = u32(c);
            need_table(c, t);
            sval v = pop(c, m->tables[t].elem);
            sval i = pop(c, WB_I32);
            if (live(c)) {
                EMIT(c, WB__OP_TABLE_SET, t, i.loc, v.loc);
            }
            break;
        }
        case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: case 0x2f:
        case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: { /* loads */
            uint32_t off = memarg(c, meminfo[opc].align);
            sval a = pop(c, WB_I32);
            uint32_t d = push(c, meminfo[opc].type);
            if (live(c)) {
                uint32_t at = EMIT(c, meminfo[opc].op, a.loc, d, off);
                note_last(c, at, meminfo[opc].op, 1, a.loc, 0);
            }
            break;
        }
        case 0x36: case 0x37: case 0x38: case 0x39: case 0x3a: case 0x3b: case 0x3c: case 0x3d:
        case 0x3e: { /* stores */
            uint32_t off = memarg(c, meminfo[opc].align);
            sval v = pop(c, meminfo[opc].type);
            sval a = pop(c, WB_I32);
            if (live(c)) {
                EMIT(c, meminfo[opc].op, a.loc, v.loc, off);
            }
            break;
        }
        case 0x3f: { /* memory.size */
            zero_byte(c);
            need_memory(c);
            uint32_t d = push(c, WB_I32);
            if (live(c)) {
                EMIT(c, WB__OP_MEMORY_SIZE, d);
            }
            break;
        }
        case 0x40: { /* memory.grow */
            zero_byte(c);
            need_memory(c);
            sval a = pop(c, WB_I32);
            uint32_t d = push(c, WB_I32);
            if (live(c)) {
                EMIT(c, WB__OP_MEMORY_GROW, a.loc, d);
            }
            break;
        }
        case 0x41: { /* i32.const */
            uint32_t v = (uint32_t)s32(c);
            push_at(c, WB_I32, const_slot(c, v), 0);
            break;
        }
        case 0x42: { /* i64.const */
            uint64_t v = (uint64_t)s64(c);
            push_at(c, WB_I64, const_slot(c, v), 0);
            break;
        }
        case 0x43: { /* f32.const */
            if (c->end - c->p < 4)
                MALFORMED("unexpected end");
            uint32_t v;
            memcpy(&v, c->p, 4);
            c->p += 4;
            push_at(c, WB_F32, const_slot(c, v), 0);
            break;
        }
        case 0x44: { /* f64.const */
            if (c->end - c->p < 8)
                MALFORMED("unexpected end");
            uint64_t v;
            memcpy(&v, c->p, 8);
            c->p += 8;
            push_at(c, WB_F64, const_slot(c, v), 0);
            break;
        }
        case 0xa7: /* i32.wrap_i64: an i64 slot's low half is the i32 */
        case 0xbc: /* reinterprets: the bits stay where they are */
        case 0xbd:
        case 0xbe:
        case 0xbf: {
            static const uint8_t from[] = {[0xa7 - 0xa7] = WB_I64, [0xbc - 0xa7] = WB_F32,
                                           [0xbd - 0xa7] = WB_F64, [0xbe - 0xa7] = WB_I32,
                                           [0xbf - 0xa7] = WB_I64};
            static const uint8_t to[] = {[0xa7 - 0xa7] = WB_I32, [0xbc - 0xa7] = WB_I32,
                                         [0xbd - 0xa7] = WB_I64, [0xbe - 0xa7] = WB_F32,
                                         [0xbf - 0xa7] = WB_F64};
            sval v = pop(c, from[opc - 0xa7]);
            if (live(c) && v.local) {
                /* Keep it an alias of the same local. */
                push_at(c, to[opc - 0xa7], v.loc, v.local);
            } else {
                push_at(c, to[opc - 0xa7], live(c) ? v.loc : NONE, 0);
            }
            break;
        }
        case 0xd0: { /* ref.null */
            uint8_t t = reftype(c);
            push_at(c, t, const_slot(c, 0), 0);
            break;
        }
        case 0xd1: { /* ref.is_null */
            sval v = pop(c, 0);
            if (v.type && !wb__is_ref(v.type))
                INVALID("type mismatch: ref.is_null on %s", wb__type_name(v.type));
            uint32_t d = push(c, WB_I32);
            if (live(c)) {
                EMIT(c, WB__OP_REF_IS_NULL, v.loc, d);
            }
            break;
        }
        case 0xd2: { /* ref.func */
            uint32_t fi = u32(c);
            if (fi >= m->nfuncs)
                INVALID("unknown function %u", fi);
            if (!(m->declared_funcs[fi / 8] & (1u << (fi % 8))))
                INVALID("undeclared function reference");
            uint32_t d = push(c, WB_FUNCREF);
            if (live(c)) {
                EMIT(c, WB__OP_REF_FUNC, fi, d);
            }
            break;
        }
        case 0xfc: {
            uint32_t sub = u32(c);
            if (sub < 8) {
                unary(c, satinfo[sub].op, satinfo[sub].in, satinfo[sub].out);
                break;
            }
            switch (sub) {
            case 8: { /* memory.init */
                uint32_t seg = u32(c);
                zero_byte(c);
                need_memory(c);
                need_data(c, seg);
                sval n = pop(c, WB_I32), s = pop(c, WB_I32), d = pop(c, WB_I32);
                if (live(c)) {
                    EMIT(c, WB__OP_MEMORY_INIT, seg, d.loc, s.loc, n.loc);
                }
                break;
            }
            case 9: { /* data.drop */
                uint32_t seg = u32(c);
                need_data(c, seg);
                if (live(c)) {
                    EMIT(c, WB__OP_DATA_DROP, seg);
                }
                break;
            }
            case 10: { /* memory.copy */
                zero_byte(c);
                zero_byte(c);
                need_memory(c);
                sval n = pop(c, WB_I32), s = pop(c, WB_I32), d = pop(c, WB_I32);
                if (live(c)) {
                    EMIT(c, WB__OP_MEMORY_COPY, d.loc, s.loc, n.loc);
                }
                break;
            }
            case 11: { /* memory.fill */
                zero_byte(c);
                need_memory(c);
                sval n = pop(c, WB_I32), v = pop(c, WB_I32), d = pop(c, WB_I32);
                if (live(c)) {
                    EMIT(c, WB__OP_MEMORY_FILL, d.loc, v.loc, n.loc);
                }
                break;
            }
            case 12: { /* table.init */
                uint32_t seg = u32(c);
                uint32_t t = u32(c);
                need_table(c, t);
                need_elem(c, seg);
                if (m->elems[seg].type != m->tables[t].elem)
                    INVALID("type mismatch: table.init of %s into a table of %s",
                            wb__type_name(m->elems[seg].type), wb__type_name(m->tables[t].elem));
                sval n = pop(c, WB_I32), s = pop(c, WB_I32), d = pop(c, WB_I32);
                if (live(c)) {
                    EMIT(c, WB__OP_TABLE_INIT, t, seg, d.loc, s.loc, n.loc);
                }
                break;
            }
            case 13: { /* elem.drop */
                uint32_t seg = u32(c);
                need_elem(c, seg);
                if (live(c)) {
                    EMIT(c, WB__OP_ELEM_DROP, seg);
                }
                break;
            }
            case 14: { /* table.copy */
                uint32_t dt = u32(c), st = u32(c);
                need_table(c, dt);
                need_table(c, st);
                if (m->tables[dt].elem != m->tables[st].elem)
                    INVALID("type mismatch: table.copy between tables of different types");
                sval n = pop(c, WB_I32), s = pop(c, WB_I32), d = pop(c, WB_I32);
                if (live(c)) {
                    EMIT(c, WB__OP_TABLE_COPY, dt, st, d.loc, s.loc, n.loc);
                }
                break;
            }
            case 15: { /* table.grow */
                uint32_t t = u32(c);
                need_table(c, t);
                sval n = pop(c, WB_I32), v = pop(c, m->tables[t].elem);
                uint32_t d = push(c, WB_I32);
                if (live(c)) {
                    EMIT(c, WB__OP_TABLE_GROW, t, v.loc, n.loc, d);
                }
                break;
            }
            case 16: { /* table.size */
                uint32_t t = u32(c);
                need_table(c, t);
                uint32_t d = push(c, WB_I32);
                if (live(c)) {
                    EMIT(c, WB__OP_TABLE_SIZE, t, d);
                }
                break;
            }
            case 17: { /* table.fill */
                uint32_t t = u32(c);
                need_table(c, t);
                sval n = pop(c, WB_I32), v = pop(c, m->tables[t].elem), i = pop(c, WB_I32);
                if (live(c)) {
                    EMIT(c, WB__OP_TABLE_FILL, t, i.loc, v.loc, n.loc);
                }
                break;
            }
            default:
                MALFORMED("illegal opcode 0xfc 0x%x", sub);
            }
            break;
        }
        case 0xfd:
            simd(c, u32(c));
            break;
        default:
            if (numeric[opc].op) {
                if (numeric[opc].binary)
                    binary(c, numeric[opc].op, numeric[opc].in, numeric[opc].out);
                else
                    unary(c, numeric[opc].op, numeric[opc].in, numeric[opc].out);
                break;
            }
            MALFORMED("illegal opcode 0x%02x", opc);
        }
    }
}

wb_result wb__compile(wb_module *m, wb__func *f, const volatile int *interrupt, wb_error *err)
{
    comp *c = calloc(1, sizeof *c);
    if (!c)
        return wb__error(err, WB_ERR_NOMEM, f->body_offset, "out of memory compiling");
    c->m = m;
    c->f = f;
    c->err = err;
    c->p = m->bytes + f->expr_offset;
    c->end = m->bytes + f->body_offset + f->body_len;
    c->ioff = f->expr_offset;
    c->last_start = NONE;
    c->fx_free = NONE;
    c->interrupt = interrupt;
    c->e = wb__emit_slot_new(c, &c->ioff);
#if defined(__x86_64__) && defined(__linux__)
    /* Machine code beside the slot code, unless WASMBOX_JIT=0. */
    const char *jit = getenv("WASMBOX_JIT");
    if (c->e && !(jit && strcmp(jit, "0") == 0)) {
        wb__emit *x = wb__emit_x64_new(c, &c->ioff, c->e);
        if (!x)
            c->e->ops->free(c->e);
        c->e = x;
    }
#endif
    wb_result rc = WB_OK;
    if (!c->e) {
        free(c);
        return wb__error(err, WB_ERR_NOMEM, f->body_offset, "out of memory compiling");
    }

    if (setjmp(c->jb)) {
        rc = c->rc;
        goto out;
    }
    const wb_functype *ft = &f->type->ft;
    c->nlocals = ft->nparams + f->nlocals;
    c->local_off = malloc(((size_t)c->nlocals + 1) * sizeof *c->local_off);
    c->local_type = malloc((size_t)c->nlocals + 1);
    c->alias_head = calloc((size_t)c->nlocals + 1, sizeof *c->alias_head);
    if (!c->local_off || !c->local_type || !c->alias_head)
        fail(c, WB_ERR_NOMEM, "out of memory compiling");
    uint32_t off = 0;
    for (uint32_t i = 0; i < c->nlocals; i++) {
        uint8_t t = i < ft->nparams ? ft->types[i] : f->local_types[i - ft->nparams];
        c->local_type[i] = t;
        c->local_off[i] = off;
        off += 8 * wb__type_slots(t);
    }
    f->local_slots = off / 8;

    push_ctrl(c, K_FUNC, 0, NULL, ft->nresults, ft->types + ft->nparams);
    c->cs[0].base = TAG_STACK;
    body(c);

    uint64_t frame = (uint64_t)f->local_slots + c->nconsts + c->max_stack / 8;
    if (frame > WB_MAX_FRAME_SLOTS)
        fail(c, WB_ERR_LIMIT, "frame of %llu slots exceeds %u", (unsigned long long)frame, WB_MAX_FRAME_SLOTS);
    /* Results are written at slot 0 upwards even when there are no params. */
    uint32_t rs = f->type->result_slots;
    f->frame_slots = (uint32_t)(frame > rs ? frame : rs);
    f->consts = c->consts; /* before finish: an emitter may read them */
    f->nconsts = c->nconsts;
    /* Before finish: the machine code of a recursive call charges it as an immediate. */
    f->entry_fuel = (c->ninstr > c->loop_instr ? c->ninstr - c->loop_instr : 1) +
                    WB_FUEL_FRAME_SLOTS((uint64_t)(f->local_slots - f->type->param_slots) + c->nconsts);
    c->e->ops->finish(c->e, f, f->local_slots * 8, (f->local_slots + c->nconsts) * 8);
    c->consts = NULL;
out:
    c->e->ops->free(c->e);
    free(c->vs);
    free(c->cs);
    free(c->fx);
    free(c->consts);
    free(c->cht);
    free(c->depths);
    free(c->local_off);
    free(c->local_type);
    free(c->alias_head);
    free(c);
    return rc;
}
