/*
 * instance.c - instantiation (linking, limits, segments, start function),
 * exports, and the runtime objects a host creates or reaches: host
 * functions, memories, tables and globals.
 *
 * An instance is made for density and speed (a million live instances of a
 * one-page module, each instantiated in well under 2 us): one calloc holds
 * the instance and every fixed-size array it needs (table, global and
 * imported-function pointers, its own tables', globals' and memory's
 * structs, the dropped-segment bitmaps and, for small modules, the
 * function objects).  Nothing is done per function at instantiation: the
 * wb_func of a defined function is filled in on first use
 * (wb__instance_funcref), and for bigger modules the array that holds them
 * is allocated on first use too, unless the module has element segments or
 * ref.func global initialisers (then it is allocated up front, so that
 * evaluating a constant expression can never fail for lack of memory).
 * Linear memory comes from memory.c; table elements are a separate
 * allocation because table.grow reallocs them (interp.c).
 *
 * Order of instantiation (WebAssembly 2.0): imports checked; globals
 * initialised; tables and memory allocated; element segments applied in
 * order (active: table.init then elem.drop, declarative: elem.drop); data
 * segments likewise; then the start function runs.  A segment out of bounds
 * fails instantiation with that trap, but writes of earlier segments to
 * imported tables and memories stay, as the spec says.
 *
 * Values in tables, globals and slots: funcref is a wb_func pointer and
 * externref the host's void pointer, NULL being ref.null, as interp.c does.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Defined functions of modules with at most this many get their wb_func
 * objects inside the instance block (density module: one function). */
#define INLINE_FUNCREFS 8u

typedef struct inst_block {
    struct wb_instance pub; /* first: wb_instance * and inst_block * convert */
    wb_memory *own_mem;     /* NULL when memory 0 is imported or absent */
    wb_table *own_tables;
    uint32_t nown_tables;
    bool funcrefs_heap;     /* pub.funcrefs was malloc'ed separately */
} inst_block;

static inline inst_block *blk(wb_instance *inst) { return (inst_block *)inst; }

static uint32_t ndefined(const wb_module *m) { return m->nfuncs - m->nimported_funcs; }

/* ---- values <-> slots ---------------------------------------------------------- */

static void val_to_slots(const wb_val *v, wb__slot s[2])
{
    s[0] = s[1] = 0;
    switch (v->type) {
    case WB_I32:
    case WB_F32:
        memcpy(s, &v->of.i32, 4);
        break;
    case WB_V128:
        memcpy(s, v->of.v128, 16);
        break;
    case WB_FUNCREF:
    case WB_EXTERNREF:
        memcpy(s, &v->of.func, sizeof(void *));
        break;
    default:
        memcpy(s, &v->of.i64, 8);
    }
}

static wb_val slots_to_val(uint8_t type, const wb__slot s[2])
{
    wb_val v;
    memset(&v, 0, sizeof v);
    v.type = type;
    switch (type) {
    case WB_I32:
    case WB_F32:
        memcpy(&v.of.i32, s, 4);
        break;
    case WB_V128:
        memcpy(v.of.v128, s, 16);
        break;
    case WB_FUNCREF:
    case WB_EXTERNREF:
        memcpy(&v.of.func, s, sizeof(void *));
        break;
    default:
        memcpy(&v.of.i64, s, 8);
    }
    return v;
}

/* ---- function references and constant expressions ------------------------------- */

static bool ensure_funcrefs(wb_instance *inst)
{
    if (inst->funcrefs)
        return true;
    uint32_t n = ndefined(inst->module);
    if (!n)
        return true;
    inst->funcrefs = calloc(n, sizeof *inst->funcrefs);
    if (!inst->funcrefs)
        return false;
    blk(inst)->funcrefs_heap = true;
    return true;
}

int64_t wb__table_grow(wb_table *t, uint32_t n, void *init)
{
    uint32_t old = t->size;
    if ((uint64_t)old + n > t->max)
        return -1;
    if (n == 0)
        return old;
    uint32_t need = old + n;
    if (need > t->cap) {
        /* The capacity doubles (up to the max), so that growing one element
         * at a time is not quadratic in copies; the budget is charged what
         * is allocated, and takes the exact size when the double is more
         * than it has. */
        uint64_t want = (uint64_t)t->cap * 2;
        if (want < need)
            want = need;
        if (want > t->max)
            want = t->max;
        if (!wb__budget_fits(t->budget, (want - t->cap) * sizeof *t->elems))
            want = need;
        uint64_t more = (want - t->cap) * sizeof *t->elems;
        if (!wb__budget_take(t->budget, more))
            return -1;
        void **e = realloc(t->elems, (size_t)want * sizeof *e);
        if (!e) {
            wb__budget_give(t->budget, more);
            return -1;
        }
        t->elems = e;
        t->cap = (uint32_t)want;
    }
    for (uint32_t i = old; i < need; i++)
        t->elems[i] = init;
    t->size = need;
    return old;
}

wb_func *wb__instance_funcref(wb_instance *inst, uint32_t idx)
{
    const wb_module *m = inst->module;
    if (idx < m->nimported_funcs)
        return inst->imported_funcs[idx];
    if (idx >= m->nfuncs || !ensure_funcrefs(inst))
        return NULL;
    uint32_t d = idx - m->nimported_funcs;
    wb_func *f = &inst->funcrefs[d];
    if (!f->type) {
        f->inst = inst;
        f->code = &m->funcs[d];
        f->host = NULL;
        f->user = NULL;
        /* The module's own type object, so call_indirect's pointer
         * comparison takes the fast path. */
        f->type = &m->types[m->func_type_idx[idx]].ft;
    }
    return f;
}

void wb__eval_const(wb_instance *inst, const wb__constexpr *ce, wb__slot out[2])
{
    switch (ce->op) {
    case WB__CE_I32:
    case WB__CE_F32:
        out[0] = 0;
        memcpy(out, ce->bytes, 4); /* little-endian host, as slots are */
        break;
    case WB__CE_I64:
    case WB__CE_F64:
        memcpy(out, ce->bytes, 8);
        break;
    case WB__CE_V128:
        memcpy(out, ce->bytes, 16);
        break;
    case WB__CE_GLOBAL_GET: {
        const wb_global *g = inst->globals[ce->index];
        memcpy(out, g->value, wb__type_slots(g->type) * sizeof(wb__slot));
        break;
    }
    case WB__CE_REF_FUNC:
        out[0] = (wb__slot)(uintptr_t)wb__instance_funcref(inst, ce->index);
        break;
    case WB__CE_REF_NULL:
    default:
        out[0] = 0;
        break;
    }
}

/* ---- linking ------------------------------------------------------------------------ */

static const char *kind_name(unsigned k)
{
    switch (k) {
    case WB_EXTERN_FUNC: return "function";
    case WB_EXTERN_TABLE: return "table";
    case WB_EXTERN_MEMORY: return "memory";
    case WB_EXTERN_GLOBAL: return "global";
    default: return "unknown extern";
    }
}

#define NAME_MAX_SHOWN 100
#define IMPORT_FMT "\"%.*s\".\"%.*s\""
#define IMPORT_ARGS(im)                                                                          \
    (int)((im)->module_len > NAME_MAX_SHOWN ? NAME_MAX_SHOWN : (im)->module_len), (im)->module,  \
        (int)((im)->name_len > NAME_MAX_SHOWN ? NAME_MAX_SHOWN : (im)->name_len), (im)->name

static bool limits_match(uint32_t have_min, bool have_has_max, uint32_t have_max, uint32_t want_min,
                         bool want_has_max, uint32_t want_max)
{
    if (have_min < want_min)
        return false;
    if (want_has_max && (!have_has_max || have_max > want_max))
        return false;
    return true;
}

static wb_result check_import(const wb_module *m, uint32_t i, const wb_extern *ex, wb_error *err)
{
    const wb__import *im = &m->imports[i];
    if (ex->kind != im->kind)
        return wb__error(err, WB_ERR_LINK, 0,
                         "incompatible import type: import %u " IMPORT_FMT " expects a %s, got a %s", i,
                         IMPORT_ARGS(im), kind_name(im->kind), kind_name(ex->kind));
    bool ok = true;
    switch (im->kind) {
    case WB_EXTERN_FUNC: {
        const wb_func *f = ex->of.func;
        if (!f)
            break;
        ok = wb__type_equal(f->type, &m->types[m->func_type_idx[im->index]].ft);
        break;
    }
    case WB_EXTERN_TABLE: {
        const wb_table *t = ex->of.table;
        const wb__tabletype *tt = &m->tables[im->index];
        if (!t)
            break;
        ok = t->elem == tt->elem &&
             limits_match(t->size, t->has_max, t->decl_max, tt->min, tt->has_max, tt->max);
        break;
    }
    case WB_EXTERN_MEMORY: {
        const wb_memory *mem = ex->of.memory;
        const wb__memtype *mt = &m->mems[im->index];
        if (!mem)
            break;
        ok = limits_match(mem->pages, mem->has_max, mem->decl_max, mt->min, mt->has_max, mt->max);
        break;
    }
    case WB_EXTERN_GLOBAL: {
        const wb_global *g = ex->of.global;
        const wb__globaltype *gt = &m->globals[im->index];
        if (!g)
            break;
        ok = g->type == gt->type && g->mut == gt->mut;
        break;
    }
    }
    if (!ex->of.func) /* every member of the union is a pointer */
        return wb__error(err, WB_ERR_LINK, 0, "unknown import " IMPORT_FMT ": import %u is NULL",
                         IMPORT_ARGS(im), i);
    if (!ok)
        return wb__error(err, WB_ERR_LINK, 0, "incompatible import type for " IMPORT_FMT " (import %u, %s)",
                         IMPORT_ARGS(im), i, kind_name(im->kind));
    return WB_OK;
}

/* ---- instances ------------------------------------------------------------------------ */

/* Bump layout inside the instance block. */
static size_t place(size_t *off, size_t size, size_t align)
{
    size_t at = (*off + align - 1) & ~(align - 1);
    *off = at + size;
    return at;
}

static void instance_destroy(wb_instance *inst)
{
    inst_block *b = blk(inst);
    if (b->own_mem)
        wb__memory_release(b->own_mem);
    for (uint32_t i = 0; i < b->nown_tables; i++)
        free(b->own_tables[i].elems);
    if (b->funcrefs_heap)
        free(inst->funcrefs);
    free(b);
}

static bool has_ref_func_global(const wb_module *m)
{
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
        if (m->globals[i].init.op == WB__CE_REF_FUNC)
            return true;
    return false;
}

static uint32_t const_u32(wb_instance *inst, const wb__constexpr *ce)
{
    wb__slot s[2] = {0, 0};
    wb__eval_const(inst, ce, s);
    return (uint32_t)s[0];
}

static wb_result apply_elems(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wb__elem *e = &m->elems[i];
        if (e->mode == WB__SEG_PASSIVE)
            continue;
        if (e->mode == WB__SEG_ACTIVE) {
            wb_table *t = inst->tables[e->table];
            uint32_t d = const_u32(inst, &e->offset);
            if ((uint64_t)d + e->count > t->size)
                return wb__error(err, WB_TRAP_TABLE_OOB, 0,
                                 "out of bounds table access (element segment %u: %u elements at %u, "
                                 "table %u has %u)",
                                 i, e->count, d, e->table, t->size);
            for (uint32_t k = 0; k < e->count; k++) {
                wb__slot v[2] = {0, 0};
                wb__eval_const(inst, &e->items[k], v);
                t->elems[d + k] = (void *)(uintptr_t)v[0];
            }
        }
        inst->dropped_elems[i / 8] |= (uint8_t)(1u << (i % 8));
    }
    return WB_OK;
}

static wb_result apply_datas(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wb__data *ds = &m->datas[i];
        if (ds->mode != WB__SEG_ACTIVE)
            continue;
        wb_memory *mem = inst->mem;
        uint32_t d = const_u32(inst, &ds->offset);
        uint64_t size = mem ? mem->size : 0;
        if ((uint64_t)d + ds->len > size)
            return wb__error(err, WB_TRAP_MEMORY_OOB, 0,
                             "out of bounds memory access (data segment %u: %u bytes at %u, memory has "
                             "%llu)",
                             i, ds->len, d, (unsigned long long)size);
        if (ds->len)
            memcpy(mem->data + d, ds->bytes, ds->len);
        inst->dropped_datas[i / 8] |= (uint8_t)(1u << (i % 8));
    }
    return WB_OK;
}

wb_result wb_instantiate(const wb_module *m, const wb_extern *imports, uint32_t nimports,
                         const wb_instance_limits *limits, const wb_call_opts *start_opts,
                         wb_instance **out, wb_error *err)
{
    if (out)
        *out = NULL;
    if (err)
        err->nframes = 0;
    if (!m || !out || (nimports && !imports))
        return wb__error(err, WB_ERR_ARG, 0, "wb_instantiate: no module, imports or output");

    /* Imports: count, kinds, types. */
    if (nimports < m->nimports) {
        const wb__import *im = &m->imports[nimports];
        return wb__error(err, WB_ERR_LINK, 0, "unknown import " IMPORT_FMT ": %u imports given, module has %u",
                         IMPORT_ARGS(im), nimports, m->nimports);
    }
    if (nimports > m->nimports)
        return wb__error(err, WB_ERR_LINK, 0, "%u imports given, module has %u", nimports, m->nimports);
    for (uint32_t i = 0; i < nimports; i++) {
        wb_result r = check_import(m, i, &imports[i], err);
        if (r != WB_OK)
            return r;
    }

    /* Limits.  A field may lower a default, never raise a hard cap. */
    wb_instance_limits lim = {0, 0};
    if (limits)
        lim = *limits;
    uint64_t max_bytes = (uint64_t)WB_MAX_PAGES * WB_PAGE_SIZE;
    if (WB_DEFAULT_MAX_MEMORY_BYTES < max_bytes)
        max_bytes = WB_DEFAULT_MAX_MEMORY_BYTES;
    if (lim.max_memory_bytes && lim.max_memory_bytes < max_bytes)
        max_bytes = lim.max_memory_bytes;
    lim.max_memory_bytes = max_bytes;
    uint32_t cap_pages = (uint32_t)(max_bytes / WB_PAGE_SIZE);
    uint32_t cap_elems = WB_DEFAULT_MAX_TABLE_ELEMS < WB_MAX_TABLE_ELEMS ? WB_DEFAULT_MAX_TABLE_ELEMS
                                                                         : WB_MAX_TABLE_ELEMS;
    if (lim.max_table_elems && lim.max_table_elems < cap_elems)
        cap_elems = lim.max_table_elems;
    lim.max_table_elems = cap_elems;

    uint32_t nown_mems = m->nmems - m->nimported_mems;
    uint32_t nown_tables = m->ntables - m->nimported_tables;
    uint32_t nown_globals = m->nglobals - m->nimported_globals;
    for (uint32_t i = m->nimported_mems; i < m->nmems; i++)
        if (m->mems[i].min > cap_pages)
            return wb__error(err, WB_ERR_MEMORY_LIMIT, 0,
                             "memory %u: initial size of %u pages exceeds the limit of %u pages", i,
                             m->mems[i].min, cap_pages);
    for (uint32_t i = m->nimported_tables; i < m->ntables; i++)
        if (m->tables[i].min > cap_elems)
            return wb__error(err, WB_ERR_TABLE_LIMIT, 0,
                             "table %u: initial size of %u elements exceeds the limit of %u", i,
                             m->tables[i].min, cap_elems);

    /* What the instance's state will take against the cap, counted before
     * anything is allocated: function references as if all were made. */
    uint32_t ndef = ndefined(m);
    uint64_t need_mem = 0, need_tables = 0;
    uint64_t need_other = (uint64_t)nown_globals * sizeof(wb_global) + (uint64_t)ndef * sizeof(wb_func);
    for (uint32_t i = m->nimported_tables; i < m->ntables; i++)
        need_tables += (uint64_t)m->tables[i].min * sizeof(void *);
    if (nown_mems)
        need_mem = (uint64_t)m->mems[m->nimported_mems].min * WB_PAGE_SIZE;
    if (need_mem + need_tables + need_other > max_bytes + WB_STATE_ALLOWANCE)
        return wb__error(err, WB_ERR_MEMORY_LIMIT, 0,
                         "instance needs %llu bytes (memory %llu, tables %llu, globals and functions %llu), "
                         "more than the memory limit of %llu bytes (and %u for tables and globals)",
                         (unsigned long long)(need_mem + need_tables + need_other), (unsigned long long)need_mem,
                         (unsigned long long)need_tables, (unsigned long long)need_other,
                         (unsigned long long)max_bytes, WB_STATE_ALLOWANCE);

    /* One block for the instance and its fixed-size parts. */
    bool inline_refs = ndef && ndef <= INLINE_FUNCREFS;
    size_t off = sizeof(inst_block);
    size_t o_tables = place(&off, m->ntables * sizeof(wb_table *), _Alignof(wb_table *));
    size_t o_globals = place(&off, m->nglobals * sizeof(wb_global *), _Alignof(wb_global *));
    size_t o_ifuncs = place(&off, m->nimported_funcs * sizeof(wb_func *), _Alignof(wb_func *));
    size_t o_own_tables = place(&off, nown_tables * sizeof(wb_table), _Alignof(wb_table));
    size_t o_own_globals = place(&off, nown_globals * sizeof(wb_global), _Alignof(wb_global));
    size_t o_mem = place(&off, nown_mems ? sizeof(wb_memory) : 0, _Alignof(wb_memory));
    size_t o_refs = place(&off, inline_refs ? ndef * sizeof(wb_func) : 0, _Alignof(wb_func));
    size_t o_de = place(&off, (m->nelems + 7) / 8, 1);
    size_t o_dd = place(&off, (m->ndatas + 7) / 8, 1);
    uint8_t *base = calloc(1, off);
    if (!base)
        return wb__error(err, WB_ERR_NOMEM, 0, "out of memory instantiating module");
    inst_block *b = (inst_block *)base;
    wb_instance *inst = &b->pub;
    inst->module = m;
    inst->limits = lim;
    inst->budget = (wb__budget){need_mem + need_tables + need_other, max_bytes + WB_STATE_ALLOWANCE, false};
    inst->tables = (wb_table **)(base + o_tables);
    inst->globals = (wb_global **)(base + o_globals);
    inst->imported_funcs = (wb_func **)(base + o_ifuncs);
    inst->dropped_elems = base + o_de;
    inst->dropped_datas = base + o_dd;
    b->own_tables = (wb_table *)(base + o_own_tables);
    if (inline_refs)
        inst->funcrefs = (wb_func *)(base + o_refs);

    /* Imports, in the order of their index spaces. */
    uint32_t nf = 0, nt = 0, ng = 0;
    for (uint32_t i = 0; i < nimports; i++) {
        const wb_extern *ex = &imports[i];
        switch (m->imports[i].kind) {
        case WB_EXTERN_FUNC: inst->imported_funcs[nf++] = ex->of.func; break;
        case WB_EXTERN_TABLE: inst->tables[nt++] = ex->of.table; break;
        case WB_EXTERN_MEMORY: inst->mem = ex->of.memory; break;
        case WB_EXTERN_GLOBAL: inst->globals[ng++] = ex->of.global; break;
        }
    }

    wb_result r = WB_OK;
    if (!inst->funcrefs && ndef && (m->nelems || has_ref_func_global(m)) && !ensure_funcrefs(inst)) {
        r = wb__error(err, WB_ERR_NOMEM, 0, "out of memory instantiating module");
        goto fail;
    }

    /* Globals, in order (initialisers may read imported globals only). */
    wb_global *own_globals = (wb_global *)(base + o_own_globals);
    for (uint32_t i = 0; i < nown_globals; i++) {
        const wb__globaltype *gt = &m->globals[m->nimported_globals + i];
        wb_global *g = &own_globals[i];
        g->type = gt->type;
        g->mut = gt->mut;
        wb__eval_const(inst, &gt->init, g->value);
        inst->globals[m->nimported_globals + i] = g;
    }

    /* Tables: every element ref.null. */
    for (uint32_t i = 0; i < nown_tables; i++) {
        const wb__tabletype *tt = &m->tables[m->nimported_tables + i];
        wb_table *t = &b->own_tables[i];
        t->elem = tt->elem;
        t->has_max = tt->has_max;
        t->decl_max = tt->max;
        t->max = tt->has_max && tt->max < cap_elems ? tt->max : cap_elems;
        if (tt->min && !(t->elems = calloc(tt->min, sizeof *t->elems))) {
            r = wb__error(err, WB_ERR_NOMEM, 0, "out of memory for table %u of %u elements",
                          m->nimported_tables + i, tt->min);
            goto fail;
        }
        t->size = t->cap = tt->min;
        t->budget = &inst->budget;
        b->nown_tables = i + 1;
        inst->tables[m->nimported_tables + i] = t;
    }

    /* Memory (WebAssembly 2.0 has at most one). */
    if (nown_mems) {
        const wb__memtype *mt = &m->mems[m->nimported_mems];
        wb_memory *mem = (wb_memory *)(base + o_mem);
        mem->has_max = mt->has_max;
        mem->decl_max = mt->max;
        mem->owned_struct = false; /* lives in the instance block */
        uint32_t max = mt->has_max && mt->max < cap_pages ? mt->max : cap_pages;
        r = wb__memory_init(mem, mt->min, max);
        if (r != WB_OK) {
            r = wb__error(err, r, 0, "cannot allocate memory of %u pages", mt->min);
            goto fail;
        }
        mem->budget = &inst->budget;
        b->own_mem = mem;
        inst->mem = mem;
    }

    if ((r = apply_elems(inst, err)) != WB_OK || (r = apply_datas(inst, err)) != WB_OK)
        goto fail;

    if (m->has_start) {
        wb_func *f = wb__instance_funcref(inst, m->start);
        if (!f) {
            r = wb__error(err, WB_ERR_NOMEM, 0, "out of memory instantiating module");
            goto fail;
        }
        r = wb_invoke(f, NULL, 0, NULL, 0, start_opts, err);
        if (r != WB_OK)
            goto fail;
    }
    *out = inst;
    return WB_OK;

fail:
    /* A trap in a segment or the start function leaves the writes already
     * made to imported tables and memories in place (the spec says so), and
     * those tables may now refer to this instance's functions: the caller
     * gets the instance and frees it when nothing refers to it any more. */
    if (wb_result_is_trap(r)) {
        *out = inst;
        return r;
    }
    instance_destroy(inst);
    return r;
}

void wb_instance_free(wb_instance *inst)
{
    if (inst)
        instance_destroy(inst);
}

const wb_module *wb_instance_module(const wb_instance *inst) { return inst->module; }
wb_memory *wb_instance_memory(wb_instance *inst) { return inst ? inst->mem : NULL; }
uint64_t wb_instance_footprint(const wb_instance *inst) { return inst ? inst->budget.used : 0; }

bool wb_instance_memory_limit_hit(const wb_instance *inst)
{
    return inst && (inst->budget.hit || (inst->mem && inst->mem->limit_hit));
}
void *wb_instance_user(const wb_instance *inst) { return inst->user; }
void wb_instance_set_user(wb_instance *inst, void *user) { inst->user = user; }

/* Exports are looked up by a linear scan: modules usually export a handful
 * of names, and decode.c keeps them in module order. */
wb_result wb_instance_export(wb_instance *inst, const char *name, size_t len, wb_extern *out)
{
    if (!inst || (!name && len) || !out)
        return WB_ERR_ARG;
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wb__export *e = &m->exports[i];
        if (e->name_len != len || (len && memcmp(e->name, name, len) != 0))
            continue;
        out->kind = (wb_extern_kind)e->kind;
        switch (e->kind) {
        case WB_EXTERN_FUNC:
            if (!(out->of.func = wb__instance_funcref(inst, e->index)))
                return WB_ERR_NOMEM;
            break;
        case WB_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
        case WB_EXTERN_MEMORY: out->of.memory = inst->mem; break;
        case WB_EXTERN_GLOBAL: out->of.global = inst->globals[e->index]; break;
        }
        return WB_OK;
    }
    return WB_ERR_NOT_FOUND;
}

wb_func *wb_instance_func(wb_instance *inst, const char *name)
{
    wb_extern e;
    if (!name || wb_instance_export(inst, name, strlen(name), &e) != WB_OK || e.kind != WB_EXTERN_FUNC)
        return NULL;
    return e.of.func;
}

/* ---- host functions --------------------------------------------------------------- */

wb_func *wb_func_new_host(const wb_functype *type, wb_host_fn fn, void *user)
{
    if (!type || !fn || type->nparams > WB_MAX_PARAMS || type->nresults > WB_MAX_RESULTS)
        return NULL;
    uint32_t n = type->nparams + type->nresults;
    if (n && !type->types)
        return NULL;
    uint32_t ps = 0, rs = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!wb__is_valtype(type->types[i]))
            return NULL;
        if (i < type->nparams)
            ps += wb__type_slots(type->types[i]);
        else
            rs += wb__type_slots(type->types[i]);
    }
    wb_func *f = calloc(1, sizeof *f + n);
    if (!f)
        return NULL;
    uint8_t *types = (uint8_t *)(f + 1);
    if (n)
        memcpy(types, type->types, n);
    f->host_type.ft = (wb_functype){type->nparams, type->nresults, types};
    f->host_type.param_slots = ps;
    f->host_type.result_slots = rs;
    f->host_type.sig = wb__type_sig(&f->host_type.ft);
    f->type = &f->host_type.ft;
    f->host = fn;
    f->user = user;
    return f;
}

void wb_func_free(wb_func *f)
{
    /* Functions of instances belong to their instance. */
    if (f && !f->inst && !f->code)
        free(f);
}

const wb_functype *wb_func_type(const wb_func *f) { return f->type; }

/* ---- memories ------------------------------------------------------------------------ */

wb_memory *wb_memory_new(uint32_t min_pages, uint32_t max_pages, bool has_max)
{
    if (min_pages > WB_MAX_PAGES || (has_max && (max_pages > WB_MAX_PAGES || max_pages < min_pages)))
        return NULL;
    wb_memory *mem = calloc(1, sizeof *mem);
    if (!mem)
        return NULL;
    mem->has_max = has_max;
    mem->decl_max = has_max ? max_pages : 0;
    mem->owned_struct = true;
    if (wb__memory_init(mem, min_pages, has_max ? max_pages : WB_MAX_PAGES) != WB_OK) {
        free(mem);
        return NULL;
    }
    return mem;
}

void wb_memory_free(wb_memory *m)
{
    /* An instance's own memory is freed with the instance. */
    if (!m || !m->owned_struct)
        return;
    wb__memory_release(m);
    free(m);
}

uint8_t *wb_memory_data(wb_memory *m) { return m->data; }
uint64_t wb_memory_size(const wb_memory *m) { return m->size; }

wb_result wb_memory_read(wb_memory *m, uint64_t offset, void *buf, size_t len)
{
    if (!m || (!buf && len))
        return WB_ERR_ARG;
    if (offset > m->size || len > m->size - offset)
        return WB_TRAP_MEMORY_OOB;
    if (len)
        memcpy(buf, m->data + offset, len);
    return WB_OK;
}

wb_result wb_memory_write(wb_memory *m, uint64_t offset, const void *buf, size_t len)
{
    if (!m || (!buf && len))
        return WB_ERR_ARG;
    if (offset > m->size || len > m->size - offset)
        return WB_TRAP_MEMORY_OOB;
    if (len)
        memcpy(m->data + offset, buf, len);
    return WB_OK;
}

int64_t wb_memory_grow(wb_memory *m, uint32_t delta) { return m ? wb__memory_grow(m, delta) : -1; }

/* ---- tables ------------------------------------------------------------------------ */

wb_table *wb_table_new(uint8_t elem, uint32_t min, uint32_t max, bool has_max)
{
    if (!wb__is_ref(elem) || min > WB_MAX_TABLE_ELEMS || (has_max && max < min))
        return NULL;
    wb_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (min && !(t->elems = calloc(min, sizeof *t->elems))) {
        free(t);
        return NULL;
    }
    t->elem = elem;
    t->size = t->cap = min;
    t->has_max = has_max;
    t->decl_max = has_max ? max : 0;
    t->max = has_max && max < WB_MAX_TABLE_ELEMS ? max : WB_MAX_TABLE_ELEMS;
    return t;
}

/* Tables from wb_table_new() only; an instance's tables die with it. */
void wb_table_free(wb_table *t)
{
    if (!t)
        return;
    free(t->elems);
    free(t);
}

uint32_t wb_table_size(const wb_table *t) { return t->size; }

wb_result wb_table_get(const wb_table *t, uint32_t i, wb_val *out)
{
    if (!t || !out)
        return WB_ERR_ARG;
    if (i >= t->size)
        return WB_TRAP_TABLE_OOB;
    memset(out, 0, sizeof *out);
    out->type = t->elem;
    if (t->elem == WB_FUNCREF)
        out->of.func = t->elems[i];
    else
        out->of.extern_ = t->elems[i];
    return WB_OK;
}

/* ---- globals ------------------------------------------------------------------------ */

wb_global *wb_global_new(wb_val value, bool mutable_)
{
    if (!wb__is_valtype(value.type))
        return NULL;
    wb_global *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->type = value.type;
    g->mut = mutable_;
    val_to_slots(&value, g->value);
    return g;
}

/* Globals from wb_global_new() only; an instance's globals die with it. */
void wb_global_free(wb_global *g) { free(g); }

wb_val wb_global_get(const wb_global *g) { return slots_to_val(g->type, g->value); }

wb_result wb_global_set(wb_global *g, wb_val v)
{
    if (!g || v.type != g->type || !g->mut)
        return WB_ERR_ARG;
    val_to_slots(&v, g->value);
    return WB_OK;
}
