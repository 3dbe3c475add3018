/*
 * cache.c - per-backend caches of compiled modules and their instances.
 *
 * A module is compiled once per backend and kept until the catalog row (or
 * the pg_proc tuple, for a function with an inline module) it came from
 * changes.  Changes are noticed through invalidations: a statement trigger
 * on wasm.modules sends a relcache invalidation for the table, pg_proc
 * changes arrive through the syscache; both only set flags (pg_wasm.c), and
 * the next resolve sweeps: one query re-checks the (id, xmin) of every
 * cached catalog module, a syscache probe each inline one.
 *
 * Instances are per (module, role) and never shared between roles, so one
 * role's calls cannot see another's data left in linear memory or globals.
 * An instance is thrown away after a trap or any error in the middle of a
 * call, and re-made when the memory limit changed.
 *
 * Each module owns a memory context (child of "wasm cache"); its instances
 * own child contexts.  Reset callbacks free the engine objects, so deleting
 * a module's context releases everything it holds, instances first.
 */
#include "wasm_pg.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

uint64 wpg_generation = 1;
/* Set by the invalidation callbacks: the catalog (resp. pg_proc) changed,
 * so cached modules must be checked against it before the next use. */
static bool catalog_stale = false;
static bool procs_stale = false;

static MemoryContext cache_cxt;
static wpg_module *modules; /* every cached module, newest first */

static Oid modules_relid = InvalidOid;
static Oid catalog_owner = InvalidOid;

/* ---- the catalog tables --------------------------------------------------------- */

static void catalog_forget(void)
{
    modules_relid = InvalidOid;
    catalog_owner = InvalidOid;
}

/* Find wasm.modules and its owner; false when the extension is absent. */
static bool catalog_find(void)
{
    if (OidIsValid(modules_relid) && OidIsValid(catalog_owner))
        return true;
    Oid nsp = get_namespace_oid("wasm", true);
    Oid rel = OidIsValid(nsp) ? get_relname_relid("modules", nsp) : InvalidOid;
    if (!OidIsValid(rel))
        return false;
    HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
    if (!HeapTupleIsValid(tup))
        return false;
    catalog_owner = ((Form_pg_class)GETSTRUCT(tup))->relowner;
    ReleaseSysCache(tup);
    modules_relid = rel;
    return true;
}

Oid wpg_catalog_owner(void)
{
    if (!catalog_find())
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("extension \"wasm\" is not installed in this database")));
    return catalog_owner;
}

/* The catalog tables are readable only by their owner (module code is a
 * tenant's property); the extension reads and writes them as the owner,
 * with a restricted security context.  Errors restore the user id through
 * (sub)transaction abort. */
void wpg_become_owner(Oid *saved_user, int *saved_sec)
{
    Oid owner = wpg_catalog_owner();
    GetUserIdAndSecContext(saved_user, saved_sec);
    SetUserIdAndSecContext(owner, *saved_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
}

void wpg_restore_user(Oid saved_user, int saved_sec) { SetUserIdAndSecContext(saved_user, saved_sec); }

/* As the catalog's owner, connects to SPI and runs a read-only query of
 * one argument; the caller reads SPI_tuptable and ends with catalog_done(). */
static void catalog_query(const char *sql, Oid type, Datum arg, long limit, const char *what, Oid *user,
                          int *sec)
{
    wpg_become_owner(user, sec);
    SPI_connect();
    int rc = SPI_execute_with_args(sql, 1, &type, &arg, NULL, true, limit);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "wasm: catalog %s failed: %s", what, SPI_result_code_string(rc));
}

static void catalog_done(Oid user, int sec)
{
    SPI_finish();
    wpg_restore_user(user, sec);
}

bool wpg_catalog_lookup(const char *ns, int64 *id, Oid *owner)
{
    Oid user;
    int sec;
    catalog_query("SELECT id, owner::pg_catalog.oid FROM wasm.modules WHERE namespace OPERATOR(pg_catalog.=) $1",
                  TEXTOID, CStringGetTextDatum(ns), 1, "look-up", &user, &sec);
    bool found = SPI_processed == 1;
    if (found) {
        bool isnull;
        *id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
        *owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
    }
    catalog_done(user, sec);
    return found;
}

/* ---- invalidation ------------------------------------------------------------------ */

/* The trigger on wasm.modules sends a relcache invalidation for the table
 * (to every backend, at commit): cached modules must be re-checked. */
static void relcache_cb(Datum arg, Oid relid)
{
    if (relid != InvalidOid && relid != modules_relid)
        return;
    catalog_stale = true;
    wpg_generation++;
    catalog_forget();
}

/* A function was created, replaced or dropped: its cached call data and an
 * inline module may be stale. */
static void proc_cb(Datum arg, int cacheid, uint32 hashvalue)
{
    procs_stale = true;
    wpg_generation++;
}

void wpg_cache_init(void)
{
    CacheRegisterRelcacheCallback(relcache_cb, (Datum)0);
    CacheRegisterSyscacheCallback(PROCOID, proc_cb, (Datum)0);
}

/* ---- module objects ------------------------------------------------------------------ */

static void module_free_cb(void *arg)
{
    wpg_module *m = arg;
    wb_module_free(m->mod);
    m->mod = NULL;
}

static uint64 backend_bytes; /* the sizes of all cached instances */
wpg_instance *wpg_mem_current;

/* Every way an instance goes (discarded, its module swept) ends here. */
static void instance_free_cb(void *arg)
{
    wpg_instance *wi = arg;
    backend_bytes -= wi->size;
    if (wpg_mem_current == wi)
        wpg_mem_current = NULL;
    wb_instance_free(wi->inst);
    wi->inst = NULL;
}

/* A new cache entry owning `mod`.  The engine module is freed with the
 * context, also if making the context fails half-way. */
static wpg_module *module_new(wb_module *mod, const char *name)
{
    if (!cache_cxt)
        cache_cxt = AllocSetContextCreate(TopMemoryContext, "wasm cache", ALLOCSET_SMALL_SIZES);
    MemoryContext volatile cxt = NULL;
    volatile bool owned = false; /* the context's callback frees mod */
    wpg_module *volatile m = NULL;
    PG_TRY();
    {
        cxt = AllocSetContextCreate(cache_cxt, "wasm module", ALLOCSET_SMALL_SIZES);
        MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof *cb);
        m = MemoryContextAllocZero(cxt, sizeof *m);
        m->cxt = cxt;
        m->mod = mod;
        strlcpy(m->name, name, sizeof m->name);
        MemoryContextSetIdentifier(cxt, m->name);
        cb->func = module_free_cb;
        cb->arg = m;
        MemoryContextRegisterResetCallback(cxt, cb);
        owned = true;
    }
    PG_CATCH();
    {
        if (!owned)
            wb_module_free(mod);
        if (cxt)
            MemoryContextDelete(cxt);
        PG_RE_THROW();
    }
    PG_END_TRY();
    m->next = modules;
    modules = m;
    return m;
}

/* ---- sweeping stale modules ---------------------------------------------------------- */

/* Mark cached catalog modules whose row is gone or was rewritten. */
static void check_catalog_modules(void)
{
    int n = 0;
    for (wpg_module *m = modules; m; m = m->next)
        n += m->id > 0 && !m->evicted;
    if (n == 0)
        return;
    if (!catalog_find()) {
        /* The extension was dropped: nothing backs these any more. */
        for (wpg_module *m = modules; m; m = m->next)
            if (m->id > 0)
                m->evicted = true;
        return;
    }
    Datum *ids = palloc(n * sizeof(Datum));
    int i = 0;
    for (wpg_module *m = modules; m; m = m->next)
        if (m->id > 0 && !m->evicted)
            ids[i++] = Int64GetDatum(m->id);
    ArrayType *arr = construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);

    Oid user;
    int sec;
    catalog_query("SELECT id, xmin FROM wasm.modules WHERE id OPERATOR(pg_catalog.=) ANY ($1)", INT8ARRAYOID,
                  PointerGetDatum(arr), 0, "check", &user, &sec);
    for (wpg_module *m = modules; m; m = m->next) {
        if (m->id <= 0 || m->evicted)
            continue;
        bool live = false;
        for (uint64 r = 0; r < SPI_processed && !live; r++) {
            bool isnull;
            HeapTuple t = SPI_tuptable->vals[r];
            int64 id = DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull));
            TransactionId xmin = DatumGetTransactionId(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull));
            live = id == m->id && xmin == m->xmin;
        }
        m->evicted = !live;
    }
    catalog_done(user, sec);
}

/* Mark inline modules whose function was replaced or dropped. */
static void check_inline_modules(void)
{
    for (wpg_module *m = modules; m; m = m->next) {
        if (m->id > 0 || m->evicted)
            continue;
        HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(m->fn_oid));
        if (!HeapTupleIsValid(tup)) {
            m->evicted = true;
            continue;
        }
        m->evicted = HeapTupleHeaderGetRawXmin(tup->t_data) != m->xmin || !ItemPointerEquals(&tup->t_self, &m->tid);
        ReleaseSysCache(tup);
    }
}

void wpg_sweep(void)
{
    if (catalog_stale) {
        catalog_stale = false;
        check_catalog_modules();
    }
    if (procs_stale) {
        procs_stale = false;
        check_inline_modules();
    }
    for (wpg_module **p = &modules; *p;) {
        wpg_module *m = *p;
        if (m->evicted) {
            *p = m->next;
            MemoryContextDelete(m->cxt);
            wpg_generation++;
        } else
            p = &m->next;
    }
}

/* ---- finding modules ------------------------------------------------------------------- */

wpg_module *wpg_module_by_namespace(const char *ns)
{
    for (wpg_module *m = modules; m; m = m->next)
        if (m->id > 0 && !m->evicted && strcmp(m->name, ns) == 0)
            return m;

    Oid user;
    int sec;
    catalog_query("SELECT id, xmin, owner::pg_catalog.oid, code FROM wasm.modules "
                  "WHERE namespace OPERATOR(pg_catalog.=) $1",
                  TEXTOID, CStringGetTextDatum(ns), 1, "look-up", &user, &sec);
    if (SPI_processed != 1)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("wasm module \"%s\" does not exist", ns)));
    HeapTuple t = SPI_tuptable->vals[0];
    TupleDesc td = SPI_tuptable->tupdesc;
    bool isnull;
    int64 id = DatumGetInt64(SPI_getbinval(t, td, 1, &isnull));
    TransactionId xmin = DatumGetTransactionId(SPI_getbinval(t, td, 2, &isnull));
    Oid owner = DatumGetObjectId(SPI_getbinval(t, td, 3, &isnull));
    bytea *code = DatumGetByteaPP(SPI_getbinval(t, td, 4, &isnull));
    wb_module *mod = wpg_compile((const uint8 *)VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code), ns);
    wpg_module *m = module_new(mod, ns);
    m->memory_max = wpg_module_memory_max(mod);
    catalog_done(user, sec);

    m->id = id;
    m->xmin = xmin;
    m->owner = owner;
    return m;
}

wpg_module *wpg_module_inline(Oid fn_oid, const char *proname, TransactionId xmin, ItemPointer tid,
                              const char *body)
{
    for (wpg_module *m = modules; m; m = m->next)
        if (m->id == 0 && !m->evicted && m->fn_oid == fn_oid) {
            if (m->xmin == xmin && ItemPointerEquals(&m->tid, tid))
                return m;
            m->evicted = true; /* replaced: swept at the next resolve */
        }
    uint8 *bytes;
    size_t len;
    wb_module *mod = wpg_compile_body(body ? body : wpg_proc_body(fn_oid), proname, &bytes, &len);
    wpg_module *m = module_new(mod, proname);
    m->memory_max = wpg_module_memory_max(mod);
    m->fn_oid = fn_oid;
    m->xmin = xmin;
    m->tid = *tid;
    return m;
}

/* ---- the backend's memory total ----------------------------------------------------- */

/* What an instance holds: its linear memory, tables, globals and function
 * references, as the engine counts them against the instance's cap. */
static uint64 footprint(const wpg_instance *wi) { return wb_instance_footprint(wi->inst); }

/* Count what the current instance grew to since it was counted (an instance
 * only grows while it lives). */
static void count_current(void)
{
    wpg_instance *wi = wpg_mem_current;
    if (wi) {
        uint64 now = footprint(wi);
        backend_bytes += now - wi->size;
        wi->size = now;
    }
}

static uint64 room(void)
{
    uint64 total = wpg_max_backend_memory();
    return backend_bytes < total ? total - backend_bytes : 0;
}

/* Evict the least recently used instances but keep until want fits. */
static void make_room(uint64 want, wpg_instance *keep)
{
    while (room() < want) {
        wpg_instance *lru = NULL;
        for (wpg_module *m = modules; m; m = m->next)
            for (wpg_instance *wi = m->instances; wi; wi = wi->next)
                if (wi != keep && (!lru || wi->last_use < lru->last_use))
                    lru = wi;
        if (!lru)
            return;
        wpg_instance_discard(lru);
    }
}

/* What wi may still grow to during a call. */
static uint64 growth(const wpg_instance *wi) { return wi->mem && wi->cap > wi->size ? wi->cap - wi->size : 0; }

bool wpg_memory_switch(wpg_instance *wi)
{
    static uint64 use_clock;
    count_current();
    wpg_mem_current = NULL;
    make_room(growth(wi), wi);
    if (room() < growth(wi)) {
        wpg_instance_discard(wi);
        return false;
    }
    wi->last_use = ++use_clock;
    wpg_mem_current = wi;
    return true;
}

uint64 wpg_memory_reserve(uint64 module_max)
{
    uint64 want = Min(Min(module_max, wpg_effective_max_memory()), wpg_max_backend_memory());
    count_current();
    make_room(want, NULL);
    /* At least a byte: 0 would mean the engine's default cap. */
    return Max(Min(want, room()), 1);
}

/* ---- instances -------------------------------------------------------------------------- */

void wpg_instance_discard(wpg_instance *wi)
{
    wpg_module *m = wi->module;
    for (wpg_instance **p = &m->instances; *p; p = &(*p)->next)
        if (*p == wi) {
            *p = wi->next;
            break;
        }
    MemoryContextDelete(wi->cxt);
    wpg_generation++;
}

wb_instance *wpg_instantiate(const wb_module *mod, uint64 cap, const char *what)
{
    /* A start function runs here.  Where interrupts are held it gets the
     * held fuel (wpg_call_opts) and a deadline: instantiation cannot be
     * suspended and resumed, so it cannot be sliced as a call is. */
    bool held = !INTERRUPTS_CAN_BE_PROCESSED();
    if (held)
        wpg_check_not_critical(what);
    wb_instance_limits lim = {.max_memory_bytes = cap};
    wb_error err;
    wb_instance *inst = NULL;
    wb_result r;
    for (int tries = 0;; tries++) {
        wb_call_opts opts = wpg_call_opts();
        if (held)
            opts.interrupt = wpg_held_deadline_start();
        r = wb_instantiate(mod, NULL, 0, &lim, &opts, &inst, &err);
        if (held)
            wpg_held_deadline_end();
        if (r != WB_TRAP_INTERRUPTED || held || tries >= 100)
            break;
        /* A cancel raises here; any other interrupt is served and the
         * instantiation (which has no effects outside itself) is redone. */
        wb_instance_free(inst);
        inst = NULL;
        CHECK_FOR_INTERRUPTS();
    }
    if (r != WB_OK) {
        bool mem = inst && wb_instance_memory_limit_hit(inst);
        wb_instance_free(inst);
        if (held && r == WB_TRAP_INTERRUPTED)
            wpg_raise_held_stop(what, false, wpg_held_time_per_call);
        if (mem && r != WB_ERR_MEMORY_LIMIT)
            r = WB_ERR_MEMORY_LIMIT;
        wpg_raise_call_error(r, &err, NULL, what);
    }
    return inst;
}

static wpg_instance *instance_new(wpg_module *m, Oid role)
{
    uint64 cap = wpg_memory_reserve(m->memory_max);
    wb_instance *inst = wpg_instantiate(m->mod, cap, m->name);
    wpg_instance *volatile wi = NULL;
    PG_TRY();
    {
        MemoryContext cxt = AllocSetContextCreate(m->cxt, "wasm instance", ALLOCSET_SMALL_SIZES);
        MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof *cb);
        wpg_instance *w = MemoryContextAllocZero(cxt, sizeof *w);
        w->cxt = cxt;
        w->inst = inst;
        cb->func = instance_free_cb;
        cb->arg = w;
        MemoryContextRegisterResetCallback(cxt, cb);
        wi = w;
    }
    PG_CATCH();
    {
        /* Nothing allocated after the callback can fail, so either the
         * instance is owned by a context or it is freed here.  (A context
         * made before a failed allocation stays empty in m->cxt until the
         * module goes.) */
        if (!wi)
            wb_instance_free(inst);
        PG_RE_THROW();
    }
    PG_END_TRY();
    wi->module = m;
    wi->role = role;
    wi->setting = wpg_effective_max_memory();
    wi->cap = cap;
    wi->mem = wb_instance_memory(inst);
    wi->size = footprint(wi);
    backend_bytes += wi->size;
    wi->realloc = wb_instance_func(inst, "cabi_realloc");
    wi->next = m->instances;
    m->instances = wi;
    return wi;
}

wpg_instance *wpg_instance_get(wpg_module *m)
{
    Oid role = GetUserId();
    for (wpg_instance *wi = m->instances; wi; wi = wi->next) {
        if (wi->role != role)
            continue;
        if (!wi->dirty && wi->setting == wpg_effective_max_memory())
            return wi;
        wpg_instance_discard(wi);
        break;
    }
    return instance_new(m, role);
}
