/*
 * jit.c - the module's machine code, mapped: compile/emit_x64.c writes each
 * function's code as it compiles it (position-independent, rel32 only);
 * here all of them go into one region, their direct calls are linked, and
 * the region is mapped read+execute once (never writable and executable at
 * the same time), shared by every instance and unmapped with the module.
 *
 * A function with machine code is entered (code.h has the contract)
 *   - by the interpreter at its cell 0, where wb__interp_link puts JIT_ENTER
 *     (the op it replaces is kept in wb__func.jit_op0);
 *   - by the interpreter at a loop's head, through its resume entry, when
 *     it runs the activation (after a fuel slice ended, or the machine code
 *     left it at an op) and takes a back-edge;
 *   - directly by a host call (interp.c);
 *   - by the machine code of its callers, at its direct entry.
 *
 * WASMBOX_JIT=0 in the environment: the compiler makes no machine code and
 * everything is interpreted, as on any platform but x86-64 Linux.
 */
#include "code.h"
#include "compile/x64.h" /* its buffer: the functions' code joined */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)

#include <sys/mman.h>

static void free_x64(wb_module *m)
{
    for (uint32_t i = 0; m->funcs && i < m->nfuncs - m->nimported_funcs; i++) {
        free(m->funcs[i].x64);
        m->funcs[i].x64 = NULL;
        free(m->funcs[i].x64_calls);
        m->funcs[i].x64_calls = NULL;
        m->funcs[i].nx64_calls = 0;
        if (!m->funcs[i].jit) { /* no machine code to enter at its loops */
            free(m->funcs[i].loop_entry);
            m->funcs[i].loop_entry = NULL;
            m->funcs[i].nloop_entry = 0;
        }
    }
}

static void link_calls(wb__x64 *j, const wb_module *m, const size_t *start)
{
    for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++) {
        const wb__func *f = &m->funcs[i];
        if (start[i] == SIZE_MAX)
            continue;
        for (uint32_t c = 0; c < f->nx64_calls; c++) {
            const wb__x64_call *r = &f->x64_calls[c];
            size_t callee = (size_t)(r->callee - m->funcs);
            if (start[callee] == SIZE_MAX)
                continue;
            x64_patch(j, (uint32_t)(start[i] + r->call), (uint32_t)(start[callee] + r->callee->x64_direct));
            /* The guard's jmp becomes a 5-byte nop: the call goes on. */
            static const uint8_t nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
            if (r->guard)
                memcpy(j->b + start[i] + r->guard - 1, nop5, 5);
        }
    }
}

void wb__jit_module(wb_module *m)
{
    uint32_t ndef = m->nfuncs - m->nimported_funcs;
    size_t *start = ndef ? calloc(ndef, sizeof *start) : NULL;
    if (!start) {
        free_x64(m);
        return;
    }
    wb__x64 j = {0};
    for (uint32_t i = 0; i < ndef && !j.bad; i++) {
        const wb__func *f = &m->funcs[i];
        start[i] = SIZE_MAX;
        if (!f->x64)
            continue;
        while (j.n % 8) /* its call sites' records are 8-aligned within it (compile/emit_x64.c) */
            x64_bytes(&j, "\xcc", 1);
        start[i] = j.n;
        x64_bytes(&j, f->x64, f->nx64);
    }
    if (!j.bad)
        link_calls(&j, m, start);
    void *x = MAP_FAILED;
    if (!j.bad && j.n) {
        x = mmap(NULL, j.n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (x != MAP_FAILED) {
            memcpy(x, j.b, j.n);
            if (mprotect(x, j.n, PROT_READ | PROT_EXEC) != 0) {
                munmap(x, j.n);
                x = MAP_FAILED;
            }
        }
    }
    if (x != MAP_FAILED) {
        m->jit_mem = x;
        m->jit_len = j.n;
        for (uint32_t i = 0; i < ndef; i++) {
            wb__func *f = &m->funcs[i];
            if (start[i] == SIZE_MAX)
                continue;
            f->jit = (wb__jit_fn)((uintptr_t)x + start[i]);
            f->jit_resume = (wb__jit_fn)((uintptr_t)x + start[i] + f->x64_resume);
            f->jit_start = (wb__jit_fn)((uintptr_t)x + start[i] + f->x64_start);
            f->jit_enter = true; /* interp.c puts JIT_ENTER in cell 0 */
        }
    }
    free_x64(m);
    free(j.b);
    free(start);
}

void wb__jit_free(wb_module *m)
{
    free_x64(m);
    if (m->jit_mem)
        munmap(m->jit_mem, m->jit_len);
    m->jit_mem = NULL;
}

#else /* no machine code for this platform: everything is interpreted */

void wb__jit_module(wb_module *m) { (void)m; }
void wb__jit_free(wb_module *m) { (void)m; }

#endif
