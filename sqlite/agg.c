/*
 * agg.c - aggregates: a module exporting <name>_step(state, args...) ->
 * state and <name>_final(state) -> result gives the aggregate ns_<name>.
 *
 * The host keeps the state between rows, as a value of the step's first
 * parameter's kind: a number cell (starting at 0), bytes (a canonical
 * text or bytea, starting empty), or a libSQL tagged value (starting NULL).
 * Each row passes the state into the guest and takes the new one back, so
 * the guest keeps nothing between rows and one instance serves any number
 * of groups.  Rows with a NULL argument are skipped, as PostgreSQL skips
 * them for a strict transition function.
 */
#include "wasm_sqlite.h"

#include <string.h>

typedef struct agg_state {
    bool init;
    bool failed; /* a step failed: the statement is ending */
    wsq_val v;
    uint8_t *bytes; /* v.p, owned */
} agg_state;

static void state_init(agg_state *st, wsq_kind k)
{
    memset(st, 0, sizeof *st);
    st->init = true;
    if (k == WSQ_TAGGED)
        st->v.type = SQLITE_NULL;
    else if (k == WSQ_TEXT || k == WSQ_BLOB) {
        st->v.type = k == WSQ_TEXT ? SQLITE_TEXT : SQLITE_BLOB;
        st->v.p = "";
    } else
        st->v.type = SQLITE_INTEGER; /* i = 0, d = 0 */
}

/* Keep a lifted value (its bytes point into guest memory) as the state. */
static bool state_set(sqlite3_context *ctx, agg_state *st, const wsq_val *v)
{
    uint8_t *copy = NULL;
    if (v->type == SQLITE_TEXT || v->type == SQLITE_BLOB) {
        copy = sqlite3_malloc64(v->n ? v->n : 1);
        if (!copy) {
            sqlite3_result_error_nomem(ctx);
            return false;
        }
        memcpy(copy, v->p, v->n);
    }
    sqlite3_free(st->bytes);
    st->bytes = copy;
    st->v = *v;
    if (copy)
        st->v.p = copy;
    else if (v->type == SQLITE_INTEGER)
        st->v.d = (double)v->i;
    else if (v->type == SQLITE_FLOAT)
        st->v.i = (sqlite3_int64)v->d;
    return true;
}

static inline int cells_of(wsq_kind k) { return k == WSQ_TEXT || k == WSQ_BLOB ? 2 : 1; }

void wsq_agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    wsq_func *a = sqlite3_user_data(ctx);
    agg_state *st = sqlite3_aggregate_context(ctx, sizeof *st);
    if (!st) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (st->failed)
        return;
    st->failed = true; /* until this step succeeds */
    if (!wsq_resolve(ctx, a))
        return;
    wsq_func *step = a->step;
    if (!st->init)
        state_init(st, step->sig.args[0]);
    for (int i = 0; i < argc; i++)
        if (step->sig.args[i + 1] != WSQ_TAGGED && sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            st->failed = false;
            return;
        }
    uint64_t io[2 * WSQ_MAX_ARGS + 2];
    uint64_t *p = io;
    if (!wsq_lower(ctx, step, 0, step->sig.args[0], &st->v, p))
        return;
    p += cells_of(step->sig.args[0]);
    for (int i = 0; i < argc; i++) {
        wsq_val v;
        wsq_val_from(argv[i], &v);
        if (!wsq_lower(ctx, step, i + 1, step->sig.args[i + 1], &v, p))
            return;
        p += cells_of(step->sig.args[i + 1]);
    }
    if (!wsq_run(ctx, step, step->fn, io, a->name))
        return;
    wsq_val out;
    if (!wsq_lift(ctx, step, step->sig.ret, io[0], &out) || !state_set(ctx, st, &out))
        return;
    if (step->post && !wsq_run(ctx, step, step->post, io, a->name))
        return;
    st->failed = false;
}

void wsq_agg_final(sqlite3_context *ctx)
{
    wsq_func *a = sqlite3_user_data(ctx);
    agg_state *st = sqlite3_aggregate_context(ctx, 0), empty;
    if (st && st->failed) {
        sqlite3_free(st->bytes);
        return;
    }
    if (!wsq_resolve(ctx, a)) {
        if (st)
            sqlite3_free(st->bytes);
        return;
    }
    wsq_func *fin = a->final;
    if (!st || !st->init) { /* no rows */
        st = &empty;
        state_init(st, fin->sig.args[0]);
    }
    uint64_t io[4];
    wsq_val out;
    if (wsq_lower(ctx, fin, 0, fin->sig.args[0], &st->v, io) && wsq_run(ctx, fin, fin->fn, io, a->name) &&
        wsq_lift(ctx, fin, fin->sig.ret, io[0], &out)) {
        wsq_result(ctx, fin, &out);
        if (fin->post)
            wsq_run(ctx, fin, fin->post, io, a->name);
    }
    sqlite3_free(st->bytes);
}
