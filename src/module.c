/*
 * module.c - wb_module_load (decode, then compile every function once) and
 * the read-only inspection of a module.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Module allocations are many and small and all die together, so they come
 * from a chain of blocks rather than individual mallocs. */
typedef struct wb__arena {
    struct wb__arena *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} wb__arena;

#define ARENA_BLOCK (64u * 1024u)

void *wb__alloc(wb_module *m, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    wb__arena *a = m->arena;
    if (!a || a->cap - a->used < size) {
        size_t cap = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
        wb__arena *n = malloc(sizeof *n + cap);
        if (!n)
            return NULL;
        n->used = 0;
        n->cap = cap;
        if (a && cap != ARENA_BLOCK) {
            /* A big one-off block goes behind the current block so the
             * current block's free space stays usable. */
            n->next = a->next;
            a->next = n;
        } else {
            n->next = a;
            m->arena = n;
        }
        a = n;
    }
    void *p = a->data + a->used;
    a->used += size;
    memset(p, 0, size);
    return p;
}

bool wb__type_equal(const wb_functype *a, const wb_functype *b)
{
    if (a == b)
        return true;
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           memcmp(a->types, b->types, a->nparams + a->nresults) == 0;
}

uint32_t wb__type_sig(const wb_functype *t)
{
    uint32_t n = t->nparams + t->nresults;
    if (n > 7)
        return 0;
    /* Bit 31, the counts in bits 24 and 21 on, three bits a value type. */
    uint32_t sig = 1u << 31 | t->nresults << 24 | t->nparams << 21;
    for (uint32_t i = 0; i < n; i++) {
        static const uint8_t code[] = {[WB_I32 - WB_EXTERNREF] = 1, [WB_I64 - WB_EXTERNREF] = 2,
                                       [WB_F32 - WB_EXTERNREF] = 3, [WB_F64 - WB_EXTERNREF] = 4,
                                       [WB_V128 - WB_EXTERNREF] = 5, [WB_FUNCREF - WB_EXTERNREF] = 6,
                                       [0] = 7};
        uint8_t v = t->types[i];
        if (v < WB_EXTERNREF || v > WB_I32 || !code[v - WB_EXTERNREF])
            return 0;
        sig |= (uint32_t)code[v - WB_EXTERNREF] << (3 * i);
    }
    return sig;
}

void wb_module_free(wb_module *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; m->funcs && i < m->nfuncs - m->nimported_funcs; i++) {
        free(m->funcs[i].code);
        free(m->funcs[i].consts);
        free(m->funcs[i].pcmap);
        free(m->funcs[i].loop_entry);
        m->funcs[i].loop_entry = NULL; /* wb__jit_free looks at it */
        m->funcs[i].nloop_entry = 0;
    }
    wb__jit_free(m);
    wb__arena *a = m->arena;
    while (a) {
        wb__arena *n = a->next;
        free(a);
        a = n;
    }
    free(m->bytes);
    free(m);
}

wb_result wb_module_load(const uint8_t *bytes, size_t len, wb_module **out, wb_error *err)
{
    return wb_module_load_ex(bytes, len, NULL, out, err);
}

wb_result wb_module_load_ex(const uint8_t *bytes, size_t len, const wb_load_opts *opts, wb_module **out,
                            wb_error *err)
{
    const volatile int *interrupt = opts ? opts->interrupt : NULL;
    *out = NULL;
    if (err)
        err->nframes = 0;
    if (!bytes && len)
        return wb__error(err, WB_ERR_ARG, 0, "no module bytes");
    if (len > WB_MAX_MODULE_BYTES)
        return wb__error(err, WB_ERR_LIMIT, 0, "module of %zu bytes exceeds the limit of %u", len,
                         WB_MAX_MODULE_BYTES);
    wb_module *m = calloc(1, sizeof *m);
    if (!m || !(m->bytes = malloc(len ? len : 1))) {
        free(m);
        return wb__error(err, WB_ERR_NOMEM, 0, "out of memory loading module");
    }
    if (len) /* bytes may be NULL when len is 0 */
        memcpy(m->bytes, bytes, len);
    m->len = len;
    wb_result r = wb__decode(m, err);
    for (uint32_t i = 0; r == WB_OK && i < m->nfuncs - m->nimported_funcs; i++) {
        if (interrupt && *interrupt)
            r = wb__error(err, WB_TRAP_INTERRUPTED, 0, "module load interrupted");
        else
            r = wb__compile(m, &m->funcs[i], interrupt, err);
    }
    if (r != WB_OK) {
        wb_module_free(m);
        return r;
    }
    wb__jit_module(m);
    wb__interp_link(m);
    *out = m;
    return WB_OK;
}

bool wb_module_memory_limits(const wb_module *m, wb_limits_desc *out)
{
    if (!m->nmems)
        return false;
    *out = (wb_limits_desc){m->mems[0].min, m->mems[0].max, m->mems[0].has_max};
    return true;
}

uint32_t wb_module_import_count(const wb_module *m) { return m->nimports; }
uint32_t wb_module_export_count(const wb_module *m) { return m->nexports; }

static void describe(const wb_module *m, uint8_t kind, uint32_t index, wb_extern_desc *d)
{
    d->kind = kind;
    d->index = index;
    switch (kind) {
    case WB_EXTERN_FUNC:
        d->type.func = m->types[m->func_type_idx[index]].ft;
        break;
    case WB_EXTERN_TABLE: {
        const wb__tabletype *t = &m->tables[index];
        d->type.table.elem = t->elem;
        d->type.table.limits = (wb_limits_desc){t->min, t->max, t->has_max};
        break;
    }
    case WB_EXTERN_MEMORY: {
        const wb__memtype *t = &m->mems[index];
        d->type.memory = (wb_limits_desc){t->min, t->max, t->has_max};
        break;
    }
    case WB_EXTERN_GLOBAL:
        d->type.global.type = m->globals[index].type;
        d->type.global.mutable_ = m->globals[index].mut;
        break;
    }
}

wb_result wb_module_import(const wb_module *m, uint32_t i, wb_extern_desc *out)
{
    if (i >= m->nimports)
        return WB_ERR_NOT_FOUND;
    const wb__import *im = &m->imports[i];
    memset(out, 0, sizeof *out);
    out->module = im->module;
    out->module_len = im->module_len;
    out->name = im->name;
    out->name_len = im->name_len;
    describe(m, im->kind, im->index, out);
    return WB_OK;
}

wb_result wb_module_export(const wb_module *m, uint32_t i, wb_extern_desc *out)
{
    if (i >= m->nexports)
        return WB_ERR_NOT_FOUND;
    const wb__export *ex = &m->exports[i];
    memset(out, 0, sizeof *out);
    out->name = ex->name;
    out->name_len = ex->name_len;
    describe(m, ex->kind, ex->index, out);
    return WB_OK;
}

const char *wb__func_name(const wb_module *m, uint32_t index, uint32_t *len)
{
    uint32_t lo = 0, hi = m->nnames;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->names[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->nnames && m->names[lo].index == index) {
        *len = m->names[lo].len;
        return m->names[lo].name;
    }
    return NULL;
}
