/*
 * handler.c - the entry points of LANGUAGE wasm, as PostgreSQL knows them:
 * the module's initialisation, the call handler, the inline handler (DO)
 * and the validator.  Each hands over to the file that does the work:
 * call.c runs guests, plang.c reads function definitions, limits.c owns the
 * GUCs, cache.c the caches and their invalidation.
 */
#include "wasm_pg.h"

#include "commands/defrem.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);

PG_FUNCTION_INFO_V1(wasm_call_handler);
PG_FUNCTION_INFO_V1(wasm_inline_handler);
PG_FUNCTION_INFO_V1(wasm_validator);

void _PG_init(void)
{
    wpg_define_gucs();
    wpg_cache_init();
}

/* Every call of every LANGUAGE wasm function: the hot path, in call.c. */
Datum wasm_call_handler(PG_FUNCTION_ARGS) { return wpg_call_function(fcinfo); }

/* DO $$ (module ...) $$ LANGUAGE wasm. */
Datum wasm_inline_handler(PG_FUNCTION_ARGS)
{
    InlineCodeBlock *code = castNode(InlineCodeBlock, DatumGetPointer(PG_GETARG_DATUM(0)));
    wpg_run_inline(code->source_text);
    PG_RETURN_VOID();
}

/* CREATE FUNCTION ... LANGUAGE wasm: types are always checked; with
 * check_function_bodies the module is compiled (and cached, so the first
 * call does not compile again) and the export's type checked. */
Datum wasm_validator(PG_FUNCTION_ARGS)
{
    Oid fn_oid = PG_GETARG_OID(0);
    if (!CheckFunctionValidatorAccess(fcinfo->flinfo->fn_oid, fn_oid))
        PG_RETURN_VOID();
    wpg_proc p;
    wpg_proc_read(fn_oid, &p);
    if (check_function_bodies) {
        char *export_name;
        wpg_sweep();
        wpg_proc_target(&p, &export_name);
    }
    PG_RETURN_VOID();
}
