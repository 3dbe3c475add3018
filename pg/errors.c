/*
 * errors.c - how failures become SQL errors: a failed call or instantiation
 * (trap, fuel, stack, memory, interrupt) and a module that does not load.
 * The SQLSTATEs are listed in docs/postgres.md; every ereport of an engine
 * result goes through here so that they stay one table.
 */
#include "wasm_pg.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/timeout.h"

static char *backtrace_text(const wb_error *err)
{
    StringInfoData buf;
    initStringInfo(&buf);
    appendStringInfoString(&buf, "wasm backtrace:");
    for (uint32_t i = 0; err && i < err->nframes; i++) {
        const wb_frame_info *f = &err->frames[i];
        appendStringInfo(&buf, "\n  #%u func %u", i, f->func);
        if (f->name)
            appendStringInfo(&buf, " (%.*s)", (int)Min(f->name_len, 64), f->name);
        appendStringInfo(&buf, " at offset 0x%x", f->code_offset);
    }
    return buf.data;
}

/* The guest's own words before its trap (wb_guest_trap_message), in the
 * server's encoding; NULL when it left none. */
static char *guest_message(wb_instance *inst)
{
    char buf[1025];
    size_t n = wb_guest_trap_message(inst, buf, sizeof buf);
    return n ? pg_any_to_server(pstrdup(buf), (int)n, PG_UTF8) : NULL;
}

void wpg_raise_call_error(wb_result r, const wb_error *err, wpg_instance *wi, const char *what)
{
    /* Copy what the error needs before the instance goes. */
    char *msg = pstrdup(err && err->message[0] ? err->message : wb_result_message(r));
    char *said = r == WB_TRAP_UNREACHABLE && wi && wi->inst ? guest_message(wi->inst) : NULL;
    if (said)
        msg = psprintf("%s; %s", said, msg);
    char *bt = (err && err->nframes) ? backtrace_text(err) : NULL;
    bool mem = r == WB_ERR_MEMORY_LIMIT || (wi && wi->inst && wb_instance_memory_limit_hit(wi->inst));
    if (wi)
        wpg_instance_discard(wi);

    if (mem)
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
                        errmsg("wasm function \"%s\" exceeded its memory limit", what), errdetail("%s", msg),
                        errhint("An instance may use %llu kB of linear memory (wasm.max_memory, wasm.user_max_memory), "
                                "all instances of a session %llu kB together (wasm.max_backend_memory).",
                                (unsigned long long)(wpg_effective_max_memory() / 1024),
                                (unsigned long long)(wpg_max_backend_memory() / 1024)),
                        bt ? errcontext("%s", bt) : 0));
    switch (r) {
    case WB_TRAP_OUT_OF_FUEL:
        if (!INTERRUPTS_CAN_BE_PROCESSED())
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                            errmsg("wasm function \"%s\" ran out of fuel", what), errdetail("%s", msg),
                            errhint("A call made where PostgreSQL holds interrupts (inside an index operation, for "
                                    "instance) may execute about %llu instructions (wasm.held_fuel_per_call).",
                                    (unsigned long long)wpg_held_fuel()),
                            bt ? errcontext("%s", bt) : 0));
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("wasm function \"%s\" ran out of fuel", what), errdetail("%s", msg),
                        errhint("A call may execute about %llu instructions (wasm.fuel_per_call, wasm.user_fuel_per_call).",
                                (unsigned long long)wpg_effective_fuel()),
                        bt ? errcontext("%s", bt) : 0));
        break;
    case WB_TRAP_STACK_EXHAUSTED:
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("wasm function \"%s\" exhausted its call stack", what), errdetail("%s", msg),
                        errhint("A call may nest %d wasm calls (wasm.max_call_depth).", wpg_max_call_depth)));
        break;
    case WB_TRAP_INTERRUPTED:
        ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling wasm function \"%s\"", what),
                        errdetail("%s", msg)));
        break;
    case WB_ERR_NOMEM:
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory in wasm function \"%s\"", what),
                        errdetail("%s", msg)));
        break;
    case WB_ERR_LINK:
    case WB_ERR_TABLE_LIMIT:
        ereport(ERROR, (errcode(r == WB_ERR_LINK ? ERRCODE_INVALID_FUNCTION_DEFINITION
                                                 : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("cannot instantiate wasm module \"%s\": %s", what, msg)));
        break;
    default:
        if (wb_result_is_trap(r))
            ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                            errmsg("wasm function \"%s\" trapped: %s", what, wb_result_message(r)),
                            errdetail("%s", msg), bt ? errcontext("%s", bt) : 0));
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("wasm function \"%s\" failed: %s", what, msg)));
    }
    pg_unreachable();
}


static int load_errcode(wb_result r)
{
    switch (r) {
    case WB_ERR_MALFORMED:
        return ERRCODE_INVALID_BINARY_REPRESENTATION;
    case WB_ERR_LIMIT:
        return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
    case WB_ERR_NOMEM:
        return ERRCODE_OUT_OF_MEMORY;
    default:
        return ERRCODE_INVALID_FUNCTION_DEFINITION;
    }
}

void wpg_raise_load_error(const wb_error *err, const char *what, bool from_text)
{
    /* A text that does not parse or validate is a bad function definition
     * (42P13); 22P03 is for binaries. */
    int code = from_text && err->code == WB_ERR_MALFORMED ? ERRCODE_INVALID_FUNCTION_DEFINITION
                                                          : load_errcode(err->code);
    ereport(ERROR, (errcode(code), errmsg("invalid wasm module \"%s\": %s", what, err->message)));
}

void wpg_raise_dropped_function(Oid fn_oid)
{
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("wasm function %u was dropped by another session while this statement ran", fn_oid),
                    errdetail("A module reload or DROP FUNCTION committed after the statement had looked the "
                              "function up."),
                    errhint("Run the statement again: it finds the function's new definition, if there is one.")));
}

void wpg_raise_held_stop(const char *what, bool cancel, int64 ms)
{
    if (ProcDiePending)
        ereport(ERROR, (errcode(ERRCODE_ADMIN_SHUTDOWN),
                        errmsg("terminating wasm function \"%s\": the backend is being terminated", what),
                        errdetail("The function ran where PostgreSQL holds interrupts (inside an index operation, "
                                  "for instance).")));
    if (cancel)
        ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED),
                        errmsg("canceling statement due to %s",
                               get_timeout_indicator(STATEMENT_TIMEOUT, false) ? "statement timeout" : "user request"),
                        errdetail("wasm function \"%s\" was stopped where PostgreSQL holds interrupts (inside an "
                                  "index operation, for instance).",
                                  what)));
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("wasm function \"%s\" ran out of time", what),
                    errdetail("It ran %lld ms where PostgreSQL holds interrupts (inside an index operation, for "
                              "instance), where a cancel cannot stop it.",
                              (long long)ms),
                    errhint("Such a call may run %d ms (wasm.held_time_per_call).", wpg_held_time_per_call)));
}

void wpg_raise_held_compile(const char *what)
{
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("wasm module \"%s\" could not be compiled in time", what),
                    errdetail("Compiling it took longer than wasm.held_time_per_call (%d ms) where PostgreSQL holds "
                              "interrupts (inside an index operation, for instance).",
                              wpg_held_time_per_call),
                    errhint("Call one of its functions once outside such an operation: the session keeps the "
                            "compiled module.")));
}

/*
 * PostgreSQL calls no function inside a critical section (nothing there may
 * even allocate memory), so a guest should never be asked to run in one.
 * Were it asked, every way a guest can fail (a trap, a limit, a cancel)
 * would be an ERROR, which PostgreSQL promotes to PANIC there, and a guest
 * not stopped would keep the section, and whatever it protects, for as long
 * as it ran.  What we choose: refuse before running any guest code, so that
 * such a call fails at once and always the same way, not depending on what
 * the tenant's code does.  The refusal is an ERROR too, hence also a PANIC
 * in a critical section: there is no way to fail softer there.
 */
void wpg_check_not_critical(const char *what)
{
    if (unlikely(CritSectionCount > 0))
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("wasm function \"%s\" cannot run inside a critical section", what)));
}
