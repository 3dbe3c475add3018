/*
 * exercise.h - shared by the fuzz targets: instantiate a loaded module
 * (imports satisfied by type-correct stand-ins), then again linked to the
 * first instance, and call every exported function of both with zero
 * arguments and a small fuel budget, freeing all of it.
 * With out non-NULL, each call's outcome (result code, results, fuel used,
 * trap message) is written there, for fuzz_load to compare machine code
 * with the interpreter.
 */
#ifndef WB_FUZZ_EXERCISE_H
#define WB_FUZZ_EXERCISE_H

#include "wasmbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static wb_result stub(wb_host_ctx *ctx, const wb_val *args, wb_val *results)
{
    return WB_TRAP_HOST;
}

/* One value as text; references only as null or not (addresses differ). */
static void print_val(FILE *out, const wb_val *v)
{
    switch (v->type) {
    case WB_I32:
    case WB_F32:
        fprintf(out, " %08x", (unsigned)v->of.f32_bits);
        break;
    case WB_I64:
    case WB_F64:
        fprintf(out, " %016llx", (unsigned long long)v->of.f64_bits);
        break;
    case WB_V128:
        fputc(' ', out);
        for (int i = 0; i < 16; i++)
            fprintf(out, "%02x", v->of.v128[i]);
        break;
    default:
        fprintf(out, " %s", v->of.func ? "ref" : "null");
    }
}

/* Calls every exported function of inst (module m) with zeros on c,
 * writing each outcome to out (lines after prefix) when out is set. */
static void call_exports(wb_module *m, wb_instance *inst, wb_call *c, const char *prefix, FILE *out)
{
    uint32_t ne = wb_module_export_count(m);
    for (uint32_t i = 0; c && i < ne; i++) {
        wb_extern_desc d;
        wb_module_export(m, i, &d);
        wb_extern e;
        if (d.kind != WB_EXTERN_FUNC || wb_instance_export(inst, d.name, d.name_len, &e) != WB_OK)
            continue;
        const wb_functype *ft = wb_func_type(e.of.func);
        wb_val args[16], res[16];
        if (ft->nparams > 16 || ft->nresults > 16)
            continue;
        for (uint32_t k = 0; k < ft->nparams; k++) {
            memset(&args[k], 0, sizeof args[k]);
            args[k].type = ft->types[k];
        }
        wb_result r = wb_call_start(c, e.of.func, args, ft->nparams);
        if (out) {
            const wb_error *te = wb_call_error(c);
            fprintf(out, "%s%.*s: %d fuel %llu", prefix, (int)d.name_len, d.name, r,
                    (unsigned long long)wb_call_fuel_used(c));
            uint32_t n = r == WB_OK ? wb_call_results(c, res, ft->nresults) : 0;
            for (uint32_t k = 0; k < n; k++)
                print_val(out, &res[k]);
            fprintf(out, " %s\n", te ? te->message : "");
        }
    }
}

static bool same_type(const wb_functype *a, const wb_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           memcmp(a->types, b->types, a->nparams + a->nresults) == 0;
}

/* The module instantiated twice: the first with stand-ins, the second
 * linked to the first (each function import is the first's export of
 * that type, where it has one), so that calls cross between instances;
 * every export of both called on one call object, as the database
 * extensions keep one: what a call leaves behind must not show in the next. */
static void exercise(wb_module *m, FILE *out)
{
    wb_error err;
    uint32_t ni = wb_module_import_count(m), ne = wb_module_export_count(m);
    wb_extern *ext = calloc(ni + 1, sizeof *ext), *linked = calloc(ni + 1, sizeof *linked);
    void **owned = calloc(ni + 1, sizeof *owned);
    for (uint32_t i = 0; i < ni; i++) {
        wb_extern_desc d;
        wb_module_import(m, i, &d);
        ext[i].kind = d.kind;
        switch (d.kind) {
        case WB_EXTERN_FUNC:
            owned[i] = ext[i].of.func = wb_func_new_host(&d.type.func, stub, NULL);
            break;
        case WB_EXTERN_TABLE:
            owned[i] = ext[i].of.table = wb_table_new(d.type.table.elem, d.type.table.limits.min,
                                                      d.type.table.limits.max,
                                                      d.type.table.limits.has_max);
            break;
        case WB_EXTERN_MEMORY:
            owned[i] = ext[i].of.memory = wb_memory_new(d.type.memory.min, d.type.memory.max,
                                                        d.type.memory.has_max);
            break;
        case WB_EXTERN_GLOBAL: {
            wb_val v;
            memset(&v, 0, sizeof v);
            v.type = d.type.global.type;
            owned[i] = ext[i].of.global = wb_global_new(v, d.type.global.mutable_);
            break;
        }
        }
    }
    wb_instance_limits lim = {.max_memory_bytes = 16u << 20, .max_table_elems = 100000};
    wb_call_opts opts = {.fuel = 100000};
    wb_instance *inst, *second = NULL;
    if (wb_instantiate(m, ext, ni, &lim, &opts, &inst, &err) != WB_OK) {
        wb_instance_free(inst); /* set after a trap in initialisation */
        inst = NULL;
    }
    wb_call *c = inst ? wb_call_new(&opts) : NULL;
    if (c) {
        call_exports(m, inst, c, "", out);
        for (uint32_t i = 0; i < ni; i++) {
            wb_extern_desc d;
            wb_module_import(m, i, &d);
            linked[i] = ext[i];
            for (uint32_t k = 0; d.kind == WB_EXTERN_FUNC && k < ne; k++) {
                wb_extern_desc x;
                wb_extern e;
                wb_module_export(m, k, &x);
                if (x.kind == WB_EXTERN_FUNC && same_type(&x.type.func, &d.type.func) &&
                    wb_instance_export(inst, x.name, x.name_len, &e) == WB_OK) {
                    linked[i] = e;
                    break;
                }
            }
        }
        if (wb_instantiate(m, linked, ni, &lim, &opts, &second, &err) != WB_OK) {
            wb_instance_free(second);
            second = NULL;
        }
        if (out)
            fprintf(out, "linked: %s\n", second ? "yes" : err.message);
        if (second)
            call_exports(m, second, c, "linked ", out);
    }
    wb_call_free(c);
    wb_instance_free(second);
    wb_instance_free(inst);
    for (uint32_t i = 0; i < ni; i++) {
        if (!owned[i])
            continue;
        switch (ext[i].kind) {
        case WB_EXTERN_FUNC: wb_func_free(owned[i]); break;
        case WB_EXTERN_TABLE: wb_table_free(owned[i]); break;
        case WB_EXTERN_MEMORY: wb_memory_free(owned[i]); break;
        case WB_EXTERN_GLOBAL: wb_global_free(owned[i]); break;
        }
    }
    free(owned);
    free(linked);
    free(ext);
}

#endif
