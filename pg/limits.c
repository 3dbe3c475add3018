/*
 * limits.c - the limits a guest runs under: the GUCs, the effective values,
 * and the engine call options built from them (wpg_call_opts, the one place
 * that does).
 *
 * Limits come in pairs.  wasm.fuel_per_call and wasm.max_memory are
 * PGC_SUSET: only a superuser (or a role granted SET on them) chooses the
 * ceiling, in postgresql.conf, ALTER SYSTEM, ALTER DATABASE/ROLE or SET.
 * wasm.user_fuel_per_call and wasm.user_max_memory are PGC_USERSET and can
 * only lower it: the effective limit is the smaller of the two (0 in a user
 * twin means "no further limit").  A single PGC_USERSET variable with a check
 * hook cannot do this safely: the hook does not know who set the value it
 * would compare with (a database owner's ALTER DATABASE SET, a role's own
 * ALTER ROLE SET, a SECURITY DEFINER function's SET clause all count as
 * "defaults"), whereas PGC_SUSET is enforced by PostgreSQL itself everywhere.
 *
 * Where PostgreSQL holds interrupts (a GiST penalty or picksplit running
 * with a buffer lock held, for instance), neither a cancel nor a
 * statement_timeout nor pg_terminate_backend can stop a guest through
 * InterruptPending, and other backends may be waiting on the lock: such a
 * call runs under a budget of its own, wasm.held_fuel_per_call and
 * wasm.held_time_per_call (both PGC_SUSET), and a pending cancel or
 * termination ends it (call.c).
 */
#include "wasm_pg.h"

#include <limits.h>
#include <signal.h>

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/timeout.h"

/* PostgreSQL's signal handlers set InterruptPending; the engine reads it
 * through a const volatile int pointer. */
StaticAssertDecl(sizeof(sig_atomic_t) == sizeof(int), "InterruptPending must be an int");

static int fuel_per_call = 1000000000;
static int user_fuel_per_call = 0;
static int max_memory_kb = 64 * 1024;
static int max_backend_memory_kb = 256 * 1024;
static int user_max_memory_kb = 0;
static char *allowed_imports = NULL;
static int held_fuel_per_call = 10000000;
int wpg_held_time_per_call = 100;
int wpg_max_call_depth = 10000;
bool wpg_track_time = true;

uint64 wpg_call_generation = 1;

uint64 wpg_effective_fuel(void)
{
    uint64 admin = (uint64)fuel_per_call, user = (uint64)user_fuel_per_call;
    if (user == 0)
        return admin;
    return admin == 0 || user < admin ? user : admin;
}

uint64 wpg_effective_max_memory(void)
{
    int kb = max_memory_kb;
    if (user_max_memory_kb > 0 && user_max_memory_kb < kb)
        kb = user_max_memory_kb;
    return (uint64)kb * 1024;
}

uint64 wpg_held_fuel(void)
{
    uint64 fuel = wpg_effective_fuel();
    return fuel == 0 || (uint64)held_fuel_per_call < fuel ? (uint64)held_fuel_per_call : fuel;
}

uint64 wpg_max_backend_memory(void) { return (uint64)max_backend_memory_kb * 1024; }

/* Instantiating (a start function) and compiling can be interrupted but not
 * resumed, so where interrupts are held they cannot be sliced as calls are:
 * a PostgreSQL timeout sets this flag when wasm.held_time_per_call has
 * passed.  Registered at first use: a backend's InitializeTimeouts() would
 * forget a registration made in _PG_init in the postmaster. */
static volatile int held_deadline_passed;
static TimeoutId held_timeout = MAX_TIMEOUTS;

static void held_timeout_handler(void) { held_deadline_passed = 1; }

const volatile int *wpg_held_deadline_start(void)
{
    if (held_timeout == MAX_TIMEOUTS)
        held_timeout = RegisterTimeout(USER_TIMEOUT, held_timeout_handler);
    held_deadline_passed = 0;
    enable_timeout_after(held_timeout, wpg_held_time_per_call);
    return &held_deadline_passed;
}

void wpg_held_deadline_end(void)
{
    /* A deadline left armed by an error fires into a flag nobody reads. */
    if (held_timeout != MAX_TIMEOUTS)
        disable_timeout(held_timeout, false);
}

wb_call_opts wpg_call_opts(void)
{
    bool watch = INTERRUPTS_CAN_BE_PROCESSED();
    return (wb_call_opts){.fuel = watch ? wpg_effective_fuel() : wpg_held_fuel(),
                          .max_depth = (uint32)wpg_max_call_depth,
                          .interrupt = watch ? (const volatile int *)&InterruptPending : NULL};
}

/* Memory caps are fixed when an instance is made: a change re-resolves every
 * cached call, which re-creates instances whose cap differs. */
static void memory_assign(int newval, void *extra) { wpg_generation++; }
static void call_assign(int newval, void *extra) { wpg_call_generation++; }
/* The next call checks again that its instance fits in the total. */
static void backend_memory_assign(int newval, void *extra) { wpg_mem_current = NULL; }

/* No host import sets exist yet; the variable is reserved so an
 * administrator's configuration keeps its meaning when some do. */
static bool imports_check(char **newval, void **extra, GucSource source)
{
    if (*newval == NULL || (*newval)[0] == '\0')
        return true;
    GUC_check_errdetail("No host import sets are available in this version of wasm.");
    return false;
}

void wpg_define_gucs(void)
{
    DefineCustomIntVariable("wasm.fuel_per_call",
                            "Instruction budget of one wasm call (0: unlimited); the ceiling for all users.",
                            NULL, &fuel_per_call, 1000000000, 0, INT_MAX, PGC_SUSET, 0, NULL,
                            call_assign, NULL);
    DefineCustomIntVariable("wasm.user_fuel_per_call",
                            "Lowers wasm.fuel_per_call for this session (0: no further limit).", NULL,
                            &user_fuel_per_call, 0, 0, INT_MAX, PGC_USERSET, 0, NULL, call_assign, NULL);
    DefineCustomIntVariable("wasm.held_fuel_per_call",
                            "Instruction budget of one wasm call made while PostgreSQL holds interrupts.",
                            "Such a call (inside an index operation, for instance) cannot be cancelled.",
                            &held_fuel_per_call, 10000000, 1000, INT_MAX, PGC_SUSET, 0, NULL, call_assign,
                            NULL);
    DefineCustomIntVariable("wasm.held_time_per_call",
                            "Wall-time budget of one wasm call made while PostgreSQL holds interrupts.", NULL,
                            &wpg_held_time_per_call, 100, 1, INT_MAX, PGC_SUSET, GUC_UNIT_MS, NULL, NULL,
                            NULL);
    DefineCustomIntVariable("wasm.max_memory", "Linear memory cap of one wasm instance.", NULL,
                            &max_memory_kb, 64 * 1024, 64, 4 * 1024 * 1024, PGC_SUSET, GUC_UNIT_KB,
                            NULL, memory_assign, NULL);
    DefineCustomIntVariable("wasm.max_backend_memory",
                            "Linear memory of all wasm instances of one backend together.",
                            "Cold instances are evicted to make room; an instance that cannot fit is refused.",
                            &max_backend_memory_kb, 256 * 1024, 64, INT_MAX, PGC_SUSET, GUC_UNIT_KB, NULL,
                            backend_memory_assign, NULL);
    DefineCustomIntVariable("wasm.user_max_memory",
                            "Lowers wasm.max_memory for this session (0: no further limit).", NULL,
                            &user_max_memory_kb, 0, 0, 4 * 1024 * 1024, PGC_USERSET, GUC_UNIT_KB, NULL,
                            memory_assign, NULL);
    DefineCustomIntVariable("wasm.max_call_depth", "Nested wasm calls allowed in one call.", NULL,
                            &wpg_max_call_depth, 10000, 16, 1000000, PGC_SUSET, 0, NULL, call_assign,
                            NULL);
    DefineCustomStringVariable("wasm.allowed_imports",
                               "Named sets of host functions wasm modules may import (none exist yet).",
                               NULL, &allowed_imports, "", PGC_SUSET, 0, imports_check, NULL, NULL);
    DefineCustomBoolVariable("wasm.track_time", "Collect the time spent in wasm functions in wasm.stats.",
                             NULL, &wpg_track_time, true, PGC_USERSET, 0, NULL, NULL, NULL);
    MarkGUCPrefixReserved("wasm");
}
