/*
 * stats.c - per-backend statistics of wasm functions (the wasm.stats view).
 *
 * One entry per function OID, found once per FmgrInfo; a call bumps plain
 * counters in it.  Entries are never removed (a dangling OID shows as a
 * number), only zeroed by wasm.stats_reset(), so the pointers cached in
 * FmgrInfos stay valid.
 */
#include "wasm_pg.h"

#include "funcapi.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(wasm_backend_stats);
PG_FUNCTION_INFO_V1(wasm_stats_reset);

static HTAB *stats;

wpg_stat *wpg_stat_entry(Oid fn_oid)
{
    if (!stats) {
        HASHCTL ctl = {.keysize = sizeof(Oid), .entrysize = sizeof(wpg_stat)};
        stats = hash_create("wasm function stats", 64, &ctl, HASH_ELEM | HASH_BLOBS);
    }
    bool found;
    wpg_stat *s = hash_search(stats, &fn_oid, HASH_ENTER, &found);
    if (!found)
        memset((char *)s + sizeof(Oid), 0, sizeof *s - sizeof(Oid));
    return s;
}

Datum wasm_backend_stats(PG_FUNCTION_ARGS)
{
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo *rsi = (ReturnSetInfo *)fcinfo->resultinfo;
    if (!stats)
        PG_RETURN_VOID();
    HASH_SEQ_STATUS it;
    hash_seq_init(&it, stats);
    for (wpg_stat *s; (s = hash_seq_search(&it)) != NULL;) {
        Datum v[5];
        bool nulls[5] = {0};
        v[0] = ObjectIdGetDatum(s->fn_oid);
        v[1] = Int64GetDatum(s->calls);
        v[2] = Int64GetDatum(s->traps);
        v[3] = Int64GetDatum((int64)s->fuel);
        v[4] = Float8GetDatum((double)s->time_ns / 1e6);
        tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, nulls);
    }
    PG_RETURN_VOID();
}

Datum wasm_stats_reset(PG_FUNCTION_ARGS)
{
    if (stats) {
        HASH_SEQ_STATUS it;
        hash_seq_init(&it, stats);
        for (wpg_stat *s; (s = hash_seq_search(&it)) != NULL;)
            memset((char *)s + sizeof(Oid), 0, sizeof *s - sizeof(Oid));
    }
    PG_RETURN_VOID();
}
