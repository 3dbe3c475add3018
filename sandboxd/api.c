/*
 * api.c - the control API: HTTP/1.1 and JSON on a Unix socket, in the
 * manner of Docker's and Firecracker's APIs.  Requests are served on the
 * event loop thread (libevent's evhttp); bodies are parsed with jansson.
 * Errors are {"message": "..."} with a 4xx status for the client's mistakes,
 * 429 when a daemon-wide cap is reached (budget.c), and 5xx for the daemon's.
 *
 *   GET    /sandboxes                 list: [{id, state, exit_code}]
 *   POST   /sandboxes                 create one          -> 201 {id}
 *   POST   /sandboxes/batch           create many of one module -> 201 {ids}
 *   POST   /sandboxes/delete          delete many: {"ids": [...]} or {"all": true}, "force"
 *   GET    /sandboxes/ID              inspect
 *   POST   /sandboxes/ID/start | kill | wait
 *   GET    /sandboxes/ID/logs?stream=stdout|stderr&tail=BYTES
 *   DELETE /sandboxes/ID[?force=true]
 *   GET    /metrics
 * docs/sandboxd.md has the fields.  The routes are a table: a route may
 * prepare outside the daemon lock (parse the body, compile a module), and
 * runs under it, taken by the router; waits and logs are answered later.
 */
#include "sandboxd.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- replies ------------------------------------------------------------------------------ */

static void reply_json(struct evhttp_request *req, int code, json_t *j)
{
    struct evbuffer *b = evbuffer_new();
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s) {
        evbuffer_add(b, s, strlen(s));
        evbuffer_add(b, "\n", 1);
    }
    free(s);
    json_decref(j);
    if (b && evbuffer_get_length(b))
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, code, NULL, b);
    if (b)
        evbuffer_free(b);
}

static void reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_json(req, code, json_pack("{s:s}", "message", msg));
}

/* ---- request bodies ----------------------------------------------------------------------- */

static json_t *body_json(struct evhttp_request *req, char *why, size_t whylen)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (!n) {
        snprintf(why, whylen, "the request needs a JSON body");
        return NULL;
    }
    const char *p = (const char *)evbuffer_pullup(in, (ssize_t)n);
    json_error_t je;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        snprintf(why, whylen, "malformed JSON at line %d, column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        snprintf(why, whylen, "the body must be a JSON object");
        json_decref(j);
        return NULL;
    }
    return j;
}

/* A parsed create request; strings point into the JSON document. */
typedef struct create_req {
    sbd_spec spec;
    const char *argv[SBD_MAX_ARGS + 1], *env[SBD_MAX_ARGS], *dh[16], *dg[16];
    char *split; /* "HOST::GUEST" copies */
    bool start;
} create_req;

static bool get_u64(json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static int strings(json_t *a, const char **out, uint32_t max, uint32_t *n, const char *what, char *why,
                   size_t whylen)
{
    if (!json_is_array(a)) {
        snprintf(why, whylen, "\"%s\" must be an array of strings", what);
        return -1;
    }
    if (json_array_size(a) > max) {
        snprintf(why, whylen, "\"%s\" has %zu entries, more than the limit of %u", what, json_array_size(a), max);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v)) {
            snprintf(why, whylen, "\"%s\"[%zu] must be a string", what, i);
            return -1;
        }
        out[i] = json_string_value(v);
        if (strlen(out[i]) != json_string_length(v)) {
            snprintf(why, whylen, "\"%s\"[%zu] contains a NUL byte", what, i);
            return -1;
        }
    }
    *n = (uint32_t)json_array_size(a);
    return 0;
}

/* Fills r from a create or batch body; `extra` names fields also allowed. */
static int parse_create(json_t *j, create_req *r, const char *const *extra, char *why, size_t whylen)
{
    memset(r, 0, sizeof *r);
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        bool known = false;
        static const char *const fields[] = {"id", "module", "args", "env", "dirs", "stdout",
                                             "stderr", "limits", "start", NULL};
        for (int i = 0; fields[i] && !known; i++)
            known = !strcmp(key, fields[i]);
        for (int i = 0; extra && extra[i] && !known; i++)
            known = !strcmp(key, extra[i]);
        if (!known) {
            snprintf(why, whylen, "unknown field \"%.60s\"", key);
            return -1;
        }
    }
    v = json_object_get(j, "module");
    if (!json_is_string(v) || json_string_value(v)[0] != '/') {
        snprintf(why, whylen, "\"module\" must be the absolute path of a .wasm or .wat file");
        return -1;
    }
    r->spec.module_path = json_string_value(v);
    uint32_t n = 0;
    if ((v = json_object_get(j, "args"))) {
        if (strings(v, r->argv, SBD_MAX_ARGS, &n, "args", why, whylen))
            return -1;
    }
    if (!n) {
        const char *slash = strrchr(r->spec.module_path, '/');
        r->argv[0] = slash + 1;
        n = 1;
    }
    r->spec.argv = r->argv;
    r->spec.argc = n;
    if ((v = json_object_get(j, "env"))) {
        if (strings(v, r->env, SBD_MAX_ARGS, &r->spec.nenv, "env", why, whylen))
            return -1;
        for (uint32_t i = 0; i < r->spec.nenv; i++)
            if (!strchr(r->env[i], '=') || r->env[i][0] == '=') {
                snprintf(why, whylen, "\"env\"[%u] must look like NAME=VALUE", i);
                return -1;
            }
        r->spec.env = r->env;
    }
    if ((v = json_object_get(j, "dirs"))) {
        const char *d[16];
        uint32_t nd;
        if (strings(v, d, 16, &nd, "dirs", why, whylen))
            return -1;
        size_t total = 0;
        for (uint32_t i = 0; i < nd; i++)
            total += strlen(d[i]) + 1;
        char *q = r->split = malloc(total + 1);
        if (!q) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        for (uint32_t i = 0; i < nd; i++) {
            strcpy(q, d[i]);
            char *sep = strstr(q, "::");
            r->dh[i] = q;
            r->dg[i] = q;
            if (sep) {
                *sep = 0;
                r->dg[i] = sep + 2;
            }
            if (q[0] != '/' || !r->dg[i][0]) {
                snprintf(why, whylen, "\"dirs\"[%u] must be HOST[::GUEST] with an absolute HOST path", i);
                return -1;
            }
            q += strlen(d[i]) + 1;
        }
        r->spec.dir_host = r->dh;
        r->spec.dir_guest = r->dg;
        r->spec.ndirs = nd;
    }
    for (int i = 0; i < 2; i++)
        if ((v = json_object_get(j, i ? "stderr" : "stdout"))) {
            if (!json_is_string(v) || json_string_value(v)[0] != '/') {
                snprintf(why, whylen, "\"%s\" must be an absolute path", i ? "stderr" : "stdout");
                return -1;
            }
            *(i ? &r->spec.stderr_path : &r->spec.stdout_path) = json_string_value(v);
        }
    if ((v = json_object_get(j, "limits"))) {
        if (!json_is_object(v)) {
            snprintf(why, whylen, "\"limits\" must be an object");
            return -1;
        }
        json_t *l;
        json_object_foreach(v, key, l)
        {
            uint64_t *dst = !strcmp(key, "max_memory") ? &r->spec.max_memory
                            : !strcmp(key, "fuel")     ? &r->spec.fuel
                            : !strcmp(key, "fuel_rate") ? &r->spec.fuel_rate
                                                        : NULL;
            if (!dst) {
                snprintf(why, whylen, "unknown limit \"%.60s\" (max_memory, fuel, fuel_rate)", key);
                return -1;
            }
            if (!get_u64(l, dst)) {
                snprintf(why, whylen, "limit \"%s\" must be a non-negative integer", key);
                return -1;
            }
        }
    }
    if ((v = json_object_get(j, "start"))) {
        if (!json_is_boolean(v)) {
            snprintf(why, whylen, "\"start\" must be true or false");
            return -1;
        }
        r->start = json_is_true(v);
    }
    v = json_object_get(j, "id");
    if (v && !json_is_string(v)) {
        snprintf(why, whylen, "\"id\" must be a string");
        return -1;
    }
    return 0;
}

/* ---- the router's view of a request ------------------------------------------------------ */

/* A request on its way: what the route's steps found and what to answer. */
typedef struct call {
    struct evhttp_request *req;
    char id[SBD_MAX_ID + 1]; /* per-sandbox routes: the id in the path */
    sandbox *s;              /* ... and its sandbox, found under the lock */
    json_t *body;            /* routes that take a body: the JSON object */
    create_req cr;           /* create and batch: the request, */
    sbd_module *mod;         /* its module (a reference prepare took), */
    uint64_t count;          /* how many (batch) */
    int status;              /* the answer: a status and JSON, */
    json_t *reply;
    char msg[1024];          /* or a status and this message */
    bool pending;            /* answered later (wait, logs) */
} call;

static void fail(call *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(call *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->status = status;
}

static void answer(call *c, int status, json_t *j)
{
    c->status = status;
    c->reply = j;
}

/* A query parameter's value into buf; false when absent. */
static bool query(struct evhttp_request *req, const char *name, char *buf, size_t len)
{
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *q = u ? evhttp_uri_get_query(u) : NULL;
    struct evkeyvalq kv;
    if (!q || evhttp_parse_query_str(q, &kv))
        return false;
    const char *v = evhttp_find_header(&kv, name);
    if (v)
        snprintf(buf, len, "%s", v);
    evhttp_clear_headers(&kv);
    return v != NULL;
}

/* ---- handlers: prepare (outside the lock) and run (under it) ------------------------------ */

static json_t *describe(const sandbox *s, bool full)
{
    json_t *j = json_pack("{s:s,s:s}", "id", s->id, "state", sbd_state_name(s->state));
    if (s->state == SBD_EXITED) {
        json_object_set_new(j, "exit_code", json_integer(s->exit_code));
        json_object_set_new(j, "reason", json_string(s->reason));
    }
    if (!full)
        return j;
    if (s->message)
        json_object_set_new(j, "message", json_string(s->message));
    json_object_set_new(j, "module", json_string(s->mod->hash));
    /* A running sandbox's memory is its worker's to grow: read it between slices. */
    wb_memory *m = s->inst && s->state != SBD_RUNNING ? wb_instance_memory(s->inst) : NULL;
    json_object_set_new(j, "memory_bytes", json_integer((json_int_t)(m ? wb_memory_size(m) : s->memory_bytes)));
    json_object_set_new(j, "max_memory", json_integer((json_int_t)s->max_memory));
    json_object_set_new(j, "fuel_used", json_integer((json_int_t)s->fuel_used));
    json_object_set_new(j, "fuel_limit", json_integer((json_int_t)s->fuel_limit));
    json_object_set_new(j, "fuel_rate", json_integer((json_int_t)s->fuel_rate));
    json_object_set_new(j, "slices", json_integer((json_int_t)s->slices));
    json_object_set_new(j, "max_wake_late_us", json_integer((json_int_t)(s->max_late_ns / 1000)));
    json_object_set_new(j, "stdout", json_string(s->out[0].sink->path));
    json_object_set_new(j, "stderr", json_string(s->out[1].sink->path));
    json_object_set_new(j, "stdout_dropped", json_integer((json_int_t)sbd_output_dropped(&s->out[0])));
    json_object_set_new(j, "stderr_dropped", json_integer((json_int_t)sbd_output_dropped(&s->out[1])));
    double t0 = (double)s->created_ns;
    if (s->started_ns)
        json_object_set_new(j, "start_delay_us", json_real(((double)s->started_ns - t0) / 1e3));
    if (s->exited_ns && s->started_ns)
        json_object_set_new(j, "run_seconds", json_real((double)(s->exited_ns - s->started_ns) / 1e9));
    return j;
}

static int prep_body(call *c)
{
    char why[1024];
    if (!(c->body = body_json(c->req, why, sizeof why)))
        fail(c, 400, "%s", why);
    return c->body ? 0 : -1;
}

/* The module a create request names, compiled or from the cache. */
static int prep_module(call *c)
{
    char why[1024];
    int status;
    c->mod = sbd_module_get(c->cr.spec.module_path, why, sizeof why, &status);
    if (!c->mod)
        fail(c, status, "%s", why);
    return c->mod ? 0 : -1;
}

static int prep_create(call *c)
{
    char why[1024];
    if (prep_body(c))
        return -1;
    if (parse_create(c->body, &c->cr, NULL, why, sizeof why)) {
        fail(c, 400, "%s", why);
        return -1;
    }
    return prep_module(c);
}

static void run_create(call *c)
{
    char why[1024];
    int status;
    sbd_budget_admit(0, true, why, sizeof why); /* what is resident now, not at the last check */
    sandbox *s = sbd_create(c->mod, &c->cr.spec, json_string_value(json_object_get(c->body, "id")), why, sizeof why,
                            &status);
    if (s && c->cr.start)
        sbd_start(s);
    sbd_module_put(c->mod);
    if (s)
        answer(c, 201, json_pack("{s:s,s:s}", "id", s->id, "state", sbd_state_name(s->state)));
    else
        fail(c, status, "%s", why);
}

static int prep_batch(call *c)
{
    static const char *const extra[] = {"count", "id_prefix", NULL};
    char why[1024];
    if (prep_body(c))
        return -1;
    json_t *j = c->body, *pv = json_object_get(j, "id_prefix");
    if (parse_create(j, &c->cr, extra, why, sizeof why))
        fail(c, 400, "%s", why);
    else if (json_object_get(j, "id"))
        fail(c, 400, "a batch takes \"id_prefix\", not \"id\"");
    else if (!get_u64(json_object_get(j, "count"), &c->count) || c->count == 0 || c->count > SBD_MAX_BATCH)
        fail(c, 400, "\"count\" must be 1 to %u", SBD_MAX_BATCH);
    else if (pv && (!json_is_string(pv) || json_string_length(pv) > SBD_MAX_ID - 8))
        fail(c, 400, "\"id_prefix\" must be a string of at most %u bytes", SBD_MAX_ID - 8);
    return c->status ? -1 : prep_module(c);
}

static void run_batch(call *c)
{
    char why[1024];
    const char *prefix = json_string_value(json_object_get(c->body, "id_prefix"));
    /* All or nothing against the caps: a batch of a million is refused at
     * once, not after filling the daemon. */
    if (sbd_budget_admit(c->count, true, why, sizeof why)) {
        sbd_module_put(c->mod);
        answer(c, 429, json_pack("{s:s,s:[],s:i}", "message", why, "ids", "created", 0));
        return;
    }
    json_t *ids = json_array();
    int status = 201;
    uint64_t t0 = sbd_now_ns();
    for (uint64_t i = 0; i < c->count; i++) {
        char id[SBD_MAX_ID + 1];
        if (prefix)
            snprintf(id, sizeof id, "%s%llu", prefix, (unsigned long long)i);
        sandbox *s = sbd_create(c->mod, &c->cr.spec, prefix ? id : NULL, why, sizeof why, &status);
        if (!s)
            break;
        if (c->cr.start)
            sbd_start(s);
        json_array_append_new(ids, json_string(s->id));
        status = 201;
        /* Let the workers run what is started while the rest is created. */
        if (i % 256 == 255) {
            pthread_mutex_unlock(&sbd_g.lock);
            pthread_mutex_lock(&sbd_g.lock);
        }
    }
    sbd_module_put(c->mod);
    json_int_t n = (json_int_t)json_array_size(ids);
    if (status != 201) /* the ones made so far stay; say which */
        answer(c, status, json_pack("{s:s,s:o,s:I}", "message", why, "ids", ids, "created", n));
    else
        answer(c, 201, json_pack("{s:o,s:I,s:f}", "ids", ids, "created", n, "seconds",
                                 (double)(sbd_now_ns() - t0) / 1e9));
}

static void run_list(call *c)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < sbd_g.tcap; i++)
        for (sandbox *s = sbd_g.table[i]; s; s = s->hnext)
            json_array_append_new(a, describe(s, false));
    answer(c, 200, a);
}

static void run_metrics(call *c)
{
    uint64_t late, o10, o100, nwake, nstarts;
    json_t *st = json_object();
    for (int i = 0; i <= SBD_EXITED; i++)
        json_object_set_new(st, sbd_state_name((sbd_state)i), json_integer(sbd_g.by_state[i]));
    uint32_t nmod = 0;
    for (sbd_module *m = sbd_g.modules; m; m = m->next)
        nmod++;
    uint64_t count = sbd_g.count, live = sbd_g.count - sbd_g.by_state[SBD_EXITED];
    json_t *j = json_pack("{s:I,s:o,s:I,s:I,s:I,s:I,s:I}", "sandboxes", (json_int_t)count, "by_state", st, "live",
                          (json_int_t)live, "total_created", (json_int_t)sbd_g.total_created, "total_exited",
                          (json_int_t)sbd_g.total_exited, "modules", (json_int_t)nmod, "workers",
                          (json_int_t)sbd_g.nworkers);
    sbd_sched_stats(&late, &o10, &o100, &nwake);
    uint64_t p50 = sbd_start_quantile(0.5, &nstarts), p99 = sbd_start_quantile(0.99, &nstarts);
    uint64_t rss = sbd_rss_bytes();
    uint64_t above = rss > sbd_g.baseline_rss ? rss - sbd_g.baseline_rss : 0;
    json_object_set_new(j, "rss_bytes", json_integer((json_int_t)rss));
    json_object_set_new(j, "baseline_rss_bytes", json_integer((json_int_t)sbd_g.baseline_rss));
    /* (RSS - the RSS of the idle daemon) / sandboxes: what one more costs */
    json_object_set_new(j, "bytes_per_sandbox", json_integer((json_int_t)(count ? above / count : 0)));
    json_object_set_new(j, "wakeups", json_integer((json_int_t)nwake));
    json_object_set_new(j, "wake_late_max_us", json_integer((json_int_t)(late / 1000)));
    json_object_set_new(j, "wake_late_over_10ms", json_integer((json_int_t)o10));
    json_object_set_new(j, "wake_late_over_100ms", json_integer((json_int_t)o100));
    json_object_set_new(j, "start_latency",
                        json_pack("{s:I,s:I,s:I}", "count", (json_int_t)nstarts, "p50_us", (json_int_t)p50,
                                  "p99_us", (json_int_t)p99));
    json_object_set_new(j, "budget_kills", json_integer((json_int_t)sbd_g.budget_kills));
    json_object_set_new(j, "guest_fds", json_integer((json_int_t)wb_wasi_fd_pool_used(sbd_g.fds)));
    json_object_set_new(j, "limits",
                        json_pack("{s:I,s:I,s:I,s:I,s:I}", "max_sandboxes", (json_int_t)sbd_g.opt.max_sandboxes,
                                  "memory_budget", (json_int_t)sbd_g.opt.memory_budget, "max_output",
                                  (json_int_t)sbd_g.opt.max_output, "max_fds", (json_int_t)sbd_g.opt.max_fds,
                                  "fd_pool", (json_int_t)sbd_g.opt.fd_pool));
    answer(c, 200, j);
}

static void run_inspect(call *c)
{
    answer(c, 200, describe(c->s, true));
}

static void run_start(call *c)
{
    if (sbd_start(c->s))
        fail(c, 409, "sandbox %s is %s, not created", c->id, sbd_state_name(c->s->state));
    else
        answer(c, 200, describe(c->s, false));
}

static void run_kill(call *c)
{
    sbd_kill(c->s);
    answer(c, 200, describe(c->s, false));
}

/* ---- answers that come later: waits and logs ---------------------------------------------- */

static void waiter_closed(struct evhttp_connection *conn, void *arg)
{
    sbd_waiter *w = arg;
    w->req = NULL; /* evhttp frees the request; never touch it again */
}

static void answer_waiters(sandbox *s)
{
    for (sbd_waiter *w = s->waiters, *n; w; w = n) {
        n = w->next;
        if (w->req) {
            evhttp_connection_set_closecb(evhttp_request_get_connection(w->req), NULL, NULL);
            reply_json(w->req, 200, describe(s, false));
        }
        free(w);
    }
    s->waiters = NULL;
}

void sbd_api_report_exits(void)
{
    pthread_mutex_lock(&sbd_g.lock);
    for (uint32_t i = 0; i < sbd_g.nexited; i++) {
        sandbox *s = sbd_g.exited[i];
        s->exited_at = 0;
        answer_waiters(s);
        if (s->delete_req)
            sbd_delete(s);
    }
    sbd_g.nexited = 0;
    pthread_mutex_unlock(&sbd_g.lock);
}

static void run_wait(call *c)
{
    if (c->s->state == SBD_EXITED) {
        answer(c, 200, describe(c->s, false));
        return;
    }
    sbd_waiter *w = calloc(1, sizeof *w);
    if (!w) {
        fail(c, 500, "out of memory");
        return;
    }
    w->req = c->req;
    w->next = c->s->waiters;
    c->s->waiters = w;
    evhttp_connection_set_closecb(evhttp_request_get_connection(c->req), waiter_closed, w);
    c->pending = true;
}

/* The file arrives from the writer thread (output.c); the client may have
 * gone by then. */
static void logs_done(void *arg, int fd, uint64_t off, uint64_t len, const char *why)
{
    sbd_waiter *w = arg;
    struct evhttp_request *req = w->req;
    free(w);
    if (!req) {
        if (fd >= 0)
            close(fd);
        return;
    }
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
    if (why) {
        if (fd >= 0)
            close(fd);
        reply_error(req, 409, "%s", why);
        return;
    }
    struct evbuffer *b = evbuffer_new();
    if (fd >= 0 && len && b)
        evbuffer_add_file(b, fd, (ev_off_t)off, (ev_off_t)len); /* takes the fd */
    else if (fd >= 0)
        close(fd);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evhttp_send_reply(req, 200, NULL, b);
    if (b)
        evbuffer_free(b);
}

static void run_logs(call *c)
{
    char stream[16] = "stdout", tail[32];
    uint64_t tailn = UINT64_MAX;
    query(c->req, "stream", stream, sizeof stream);
    int which = !strcmp(stream, "stdout") ? 0 : !strcmp(stream, "stderr") ? 1 : -1;
    if (which < 0) {
        fail(c, 400, "stream must be stdout or stderr");
        return;
    }
    if (query(c->req, "tail", tail, sizeof tail)) {
        char *end;
        errno = 0;
        tailn = strtoull(tail, &end, 10);
        if (errno || *end || !tail[0] || strspn(tail, "0123456789") != strlen(tail)) {
            fail(c, 400, "tail must be a number of bytes");
            return;
        }
    }
    sbd_output *o = &c->s->out[which];
    if (c->s->state != SBD_RUNNING) /* else its worker owns the buffer: the file may lag a little */
        sbd_output_flush(o, true);
    if (!sbd_output_printed(o)) { /* what the file holds, if anything, is not this sandbox's */
        answer(c, 200, NULL);
        return;
    }
    sbd_waiter *w = calloc(1, sizeof *w);
    if (!w) {
        fail(c, 500, "out of memory");
        return;
    }
    w->req = c->req;
    evhttp_connection_set_closecb(evhttp_request_get_connection(c->req), waiter_closed, w);
    c->pending = true;
    sbd_output_read(o, tailn, logs_done, w);
}

/* Removes s now if it has stopped; else kills it when forced and removes it
 * once it exits.  Returns 0 gone, 1 pending, -1 running and not forced. */
static int remove_one(sandbox *s, bool force)
{
    if (s->state == SBD_CREATED)
        sbd_kill(s);
    if (s->state == SBD_EXITED) {
        sbd_exited_remove(s); /* not reported yet: do it now */
        answer_waiters(s);
        sbd_delete(s);
        return 0;
    }
    if (!force)
        return -1;
    s->delete_req = true;
    sbd_kill(s);
    if (s->state == SBD_EXITED)
        return remove_one(s, force);
    return 1;
}

static void run_delete(call *c)
{
    char force[16];
    int r = remove_one(c->s, query(c->req, "force", force, sizeof force));
    if (r < 0)
        fail(c, 409, "sandbox %s is running: kill it first, or DELETE with ?force=true", c->id);
    else
        answer(c, r ? 202 : 200, json_pack("{s:s,s:b}", "id", c->id, "deleted", r == 0));
}

static int prep_delete_many(call *c)
{
    if (prep_body(c))
        return -1;
    json_t *j = c->body, *ids = json_object_get(j, "ids"), *all = json_object_get(j, "all"),
           *force = json_object_get(j, "force"), *v;
    const char *key;
    json_object_foreach(j, key, v) if (strcmp(key, "ids") && strcmp(key, "all") && strcmp(key, "force"))
    {
        fail(c, 400, "unknown field \"%.60s\"", key);
        return -1;
    }
    if ((ids && !json_is_array(ids)) || (all && !json_is_boolean(all)) || (force && !json_is_boolean(force)) ||
        (!ids == !json_is_true(all))) {
        fail(c, 400, "give \"ids\": [...] or \"all\": true, and optionally \"force\": true");
        return -1;
    }
    return 0;
}

static void run_delete_many(call *c)
{
    json_t *ids = json_object_get(c->body, "ids"), *v;
    bool f = json_is_true(json_object_get(c->body, "force"));
    uint64_t gone = 0, pending = 0, running = 0, unknown = 0;
    if (ids) {
        size_t i;
        json_array_foreach(ids, i, v)
        {
            sandbox *s = json_is_string(v) ? sbd_find(json_string_value(v)) : NULL;
            if (!s) {
                unknown++;
                continue;
            }
            int r = remove_one(s, f);
            gone += r == 0, pending += r == 1, running += r < 0;
        }
    } else {
        for (uint32_t b = 0; b < sbd_g.tcap; b++)
            for (sandbox *s = sbd_g.table[b], *n; s; s = n) {
                n = s->hnext;
                int r = remove_one(s, f);
                gone += r == 0, pending += r == 1, running += r < 0;
            }
    }
    /* Freed instances and calls go back to the system, not only to malloc:
     * RSS should return near the baseline after a mass delete. */
    if (gone > 1000)
        malloc_trim(0);
    answer(c, 200,
           json_pack("{s:I,s:I,s:I,s:I}", "deleted", (json_int_t)gone, "pending", (json_int_t)pending, "running",
                     (json_int_t)running, "unknown", (json_int_t)unknown));
}

/* ---- routing ------------------------------------------------------------------------------ */

typedef struct route {
    const char *path;   /* a fixed path, or NULL: /sandboxes/ID[/action] */
    const char *action; /* with path NULL: "" for the sandbox itself */
    enum evhttp_cmd_type method;
    int (*prepare)(call *c); /* outside the lock; nonzero: answered with c's error */
    void (*run)(call *c);    /* under the lock */
} route;

static const route routes[] = {
    {"/metrics", NULL, EVHTTP_REQ_GET, NULL, run_metrics},
    {"/sandboxes", NULL, EVHTTP_REQ_GET, NULL, run_list},
    {"/sandboxes", NULL, EVHTTP_REQ_POST, prep_create, run_create},
    {"/sandboxes/batch", NULL, EVHTTP_REQ_POST, prep_batch, run_batch},
    {"/sandboxes/delete", NULL, EVHTTP_REQ_POST, prep_delete_many, run_delete_many},
    {NULL, "", EVHTTP_REQ_GET, NULL, run_inspect},
    {NULL, "", EVHTTP_REQ_DELETE, NULL, run_delete},
    {NULL, "start", EVHTTP_REQ_POST, NULL, run_start},
    {NULL, "kill", EVHTTP_REQ_POST, NULL, run_kill},
    {NULL, "wait", EVHTTP_REQ_POST, NULL, run_wait},
    {NULL, "logs", EVHTTP_REQ_GET, NULL, run_logs},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static const char *method_name(enum evhttp_cmd_type m)
{
    return m == EVHTTP_REQ_GET ? "GET" : m == EVHTTP_REQ_POST ? "POST" : m == EVHTTP_REQ_DELETE ? "DELETE" : "?";
}

/* The route for path and method; NULL after setting c's 404 or 405. */
static const route *find_route(call *c, const char *path, enum evhttp_cmd_type method)
{
    const char *action = NULL;
    if (strncmp(path, "/sandboxes/", 11) == 0) {
        const char *p = path + 11, *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n && n <= SBD_MAX_ID) {
            memcpy(c->id, p, n);
            c->id[n] = 0;
            action = slash ? slash + 1 : "";
        }
    }
    char allowed[64] = "";
    for (size_t i = 0; i < NROUTES; i++) {
        const route *r = &routes[i];
        bool fixed = r->path && !strcmp(r->path, path);
        if (!fixed && (r->path || !action || strcmp(r->action, action)))
            continue;
        if (r->method == method)
            return r;
        size_t n = strlen(allowed);
        snprintf(allowed + n, sizeof allowed - n, "%s%s", n ? " or " : "", method_name(r->method));
    }
    if (allowed[0])
        fail(c, 405, "use %s on %.200s", allowed, path);
    else
        fail(c, 404, "no such endpoint: %s %.200s", method_name(method), path);
    return NULL;
}

void sbd_api_handle(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    if (!path) {
        reply_error(req, 400, "bad request line");
        return;
    }
    call c = {.req = req};
    const route *r = find_route(&c, path, evhttp_request_get_command(req));
    if (r && (!r->prepare || r->prepare(&c) == 0)) {
        pthread_mutex_lock(&sbd_g.lock);
        if (!r->path && !(c.s = sbd_find(c.id)))
            fail(&c, 404, "no such sandbox: %s", c.id);
        else
            r->run(&c);
        pthread_mutex_unlock(&sbd_g.lock);
    }
    if (!c.pending) {
        if (c.reply || c.status < 400)
            reply_json(req, c.status, c.reply);
        else
            reply_error(req, c.status, "%s", c.msg);
    }
    free(c.cr.split);
    json_decref(c.body);
}
