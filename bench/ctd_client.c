/*
 * ctd_client.c - the throughput benchmark's own containerd client: runs N
 * containers to completion, P at a time, through containerd's gRPC API,
 * from one process on one HTTP/2 connection (ctd_grpc.c).
 *
 *   ctd_client -a SOCKET -n NAMESPACE -t TEMPLATE [-c N] [-p P] [-i PREFIX]
 *              [-e EXPECT] [-s EVERY] [-x EXIT] [-T SECONDS] [-d DIR]
 *
 * Why: `ctr run --rm` costs ~50 ms of CPU in ctr itself and ~28 ms in
 * containerd per container, which on two cores caps runc and wasmbox alike
 * and hides the runtimes' own costs.  This client does only what a
 * container's life needs, the same calls for every runtime:
 *
 *   Containers.Create  (the template's spec, runtime and image; its own
 *                       snapshot key, which also keeps the snapshot from
 *                       containerd's garbage collector)
 *   Snapshots.Prepare  (the template snapshot's parent: the image's chain id)
 *   Tasks.Create       (rootfs: the prepared mounts; stdout a FIFO for the
 *                       containers whose output is checked, else none)
 *   Tasks.Wait + Tasks.Start, together
 *   Tasks.Delete, then Snapshots.Remove + Containers.Delete, together
 *
 * TEMPLATE is a container made once with `ctr container create` (outside the
 * timed part): its spec, runtime and snapshot tell the client what to run.
 * The template's id in the spec (its cgroup path) becomes each container's.
 * A container counts as run when Wait said EXIT (default 0) and, for every
 * EVERY-th one (default 1 with -e, else none), its stdout held EXPECT.
 * Prints the rate and the client's own CPU time; exits 1 if any failed.
 */
#define _GNU_SOURCE
#include "ctd_grpc.h"
#include "ctdapi.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SVC_CONTAINERS "containerd.services.containers.v1.Containers"
#define SVC_SNAPSHOTS "containerd.services.snapshots.v1.Snapshots"
#define SVC_TASKS "containerd.services.tasks.v1.Tasks"
/* A checked container's output must arrive this soon after its exit. */
#define CTDC_OUTPUT_WAIT_NS ((uint64_t)5000000000)
/* Output kept per checked container: the needle is in the first line. */
#define CTDC_OUTPUT_KEEP 4096u

typedef struct ctdc_ctr {
    char id[128];
    bool checked;      /* its stdout is read and must hold the needle */
    int fifo;          /* -1 if none */
    char fifo_path[256];
    char out[CTDC_OUTPUT_KEEP + 1];
    size_t olen;
    bool out_ok;
    Wbctd__PrepareSnapshotResponse *prep;
    bool task_created, started, waited, deleting, failed, chain_done, done;
    uint32_t exit_status;
    uint64_t waited_ns;
    int cleanup_left; /* Snapshots.Remove and Containers.Delete still answering */
    char err[320];
} ctdc_ctr;

static struct {
    ctdc_conn *conn;
    const char *ns, *template_id, *prefix, *expect, *dir;
    uint32_t n, p, every, launched, finished, failed, checked;
    uint32_t low; /* no container before this one is still in flight */
    uint32_t expect_exit;
    /* from the template */
    char *runtime, *image, *snapshotter, *spec_type, *parent;
    Wbshim__Any *runtime_opts;
    uint8_t *spec;
    size_t spec_len;
    ctdc_ctr *c;
} g;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "ctd_client: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    exit(2);
}

/* The loop: until pred() holds, or the deadline passes (then 1). */
static int run_until(bool (*pred)(void), uint64_t deadline);

/* ---- a container's life ---------------------------------------------------------------------- */

static void launch_next(void);
static void cleanup(ctdc_ctr *c);

static void fail(ctdc_ctr *c, const char *what, int status, const char *msg)
{
    if (!c->failed)
        snprintf(c->err, sizeof c->err, "%s: %s (status %d)", what, msg && msg[0] ? msg : "failed", status);
    c->failed = true;
}

static void finish(ctdc_ctr *c)
{
    if (c->done)
        return;
    c->done = true;
    if (c->fifo >= 0) {
        close(c->fifo);
        unlink(c->fifo_path);
        c->fifo = -1;
    }
    if (c->prep)
        wbctd__prepare_snapshot_response__free_unpacked(c->prep, NULL);
    c->prep = NULL;
    g.finished++;
    if (c->failed)
        g.failed++;
    launch_next();
}

/* Done when the calls are all answered and a checked output arrived (or
 * waited for long enough: see the loop). */
static void maybe_finish(ctdc_ctr *c)
{
    if (c->chain_done && (!c->checked || c->out_ok || c->failed))
        finish(c);
}

static void on_cleanup(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    ctdc_ctr *c = arg;
    if (status && !c->failed)
        fail(c, "cleanup (Snapshots.Remove or Containers.Delete)", status, msg);
    if (--c->cleanup_left == 0) {
        c->chain_done = true;
        maybe_finish(c);
    }
}

/* The snapshot may be gone already: the two cleanup calls run at once, and
 * containerd's garbage collector removes a snapshot no container refers to
 * any more when the container's deletion comes first.  Not found (gRPC 5)
 * is then the answer, and what the cleanup wanted. */
static void on_snapshot_removed(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    on_cleanup(arg, status == 5 ? 0 : status, msg, p, n);
}

static void call_or_fail(ctdc_ctr *c, const char *svc, const char *method, const ProtobufCMessage *m, ctdc_done cb)
{
    if (ctdc_call(g.conn, svc, method, m, cb, c)) {
        fail(c, method, -1, "cannot submit the call");
        cb(c, -1, "cannot submit the call", NULL, 0);
    }
}

static void cleanup(ctdc_ctr *c)
{
    c->cleanup_left = 2;
    Wbctd__RemoveSnapshotRequest rs = WBCTD__REMOVE_SNAPSHOT_REQUEST__INIT;
    rs.snapshotter = g.snapshotter;
    rs.key = c->id;
    call_or_fail(c, SVC_SNAPSHOTS, "Remove", &rs.base, on_snapshot_removed);
    Wbctd__DeleteContainerRequest dc = WBCTD__DELETE_CONTAINER_REQUEST__INIT;
    dc.id = c->id;
    call_or_fail(c, SVC_CONTAINERS, "Delete", &dc.base, on_cleanup);
}

static void on_task_deleted(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    ctdc_ctr *c = arg;
    if (status)
        fail(c, "Tasks.Delete", status, msg);
    cleanup(c);
}

static void delete_task(ctdc_ctr *c)
{
    if (c->deleting)
        return;
    c->deleting = true;
    Wbctd__ContainerIdRequest r = WBCTD__CONTAINER_ID_REQUEST__INIT;
    r.container_id = c->id;
    call_or_fail(c, SVC_TASKS, "Delete", &r.base, on_task_deleted);
}

static void on_wait(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    ctdc_ctr *c = arg;
    Wbctd__WaitResponse *w = status ? NULL : wbctd__wait_response__unpack(NULL, n, p);
    if (!w) {
        fail(c, "Tasks.Wait", status, status ? msg : "an answer that does not decode");
    } else {
        c->exit_status = w->exit_status;
        if (w->exit_status != g.expect_exit) {
            char m[64];
            snprintf(m, sizeof m, "exit status %u, not %u", w->exit_status, g.expect_exit);
            fail(c, "Tasks.Wait", 0, m);
        }
        wbctd__wait_response__free_unpacked(w, NULL);
    }
    c->waited = true;
    c->waited_ns = mono_ns();
    if (c->started)
        delete_task(c);
}

static void on_start(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    ctdc_ctr *c = arg;
    c->started = true;
    if (status) {
        /* The Wait will not end: the task never ran.  Delete it now. */
        fail(c, "Tasks.Start", status, msg);
        c->waited = true;
    }
    if (c->waited)
        delete_task(c);
}

static void on_task_created(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    ctdc_ctr *c = arg;
    if (status) {
        fail(c, "Tasks.Create", status, msg);
        cleanup(c);
        return;
    }
    c->task_created = true;
    Wbctd__ContainerIdRequest r = WBCTD__CONTAINER_ID_REQUEST__INIT;
    r.container_id = c->id;
    /* Wait first: an exit between Start and Wait is still seen (the
     * runtime answers a Wait on an ended task at once anyway). */
    if (ctdc_call(g.conn, SVC_TASKS, "Wait", &r.base, on_wait, c) ||
        ctdc_call(g.conn, SVC_TASKS, "Start", &r.base, on_start, c)) {
        fail(c, "Tasks.Wait/Start", -1, "cannot submit the call");
        cleanup(c);
    }
}

static void on_prepared(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    ctdc_ctr *c = arg;
    if (!status && !(c->prep = wbctd__prepare_snapshot_response__unpack(NULL, n, p)))
        status = -1, msg = "an answer that does not decode";
    if (status) {
        fail(c, "Snapshots.Prepare", status, msg);
        cleanup(c);
        return;
    }
    if (c->checked) {
        /* Read+write: the FIFO always has a writer, so it never reads as
         * ended (or polls as hung up) before the runtime opened it. */
        snprintf(c->fifo_path, sizeof c->fifo_path, "%s/%s.out", g.dir, c->id);
        unlink(c->fifo_path);
        if (mkfifo(c->fifo_path, 0600) ||
            (c->fifo = open(c->fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
            fail(c, "stdout FIFO", errno, strerror(errno));
            cleanup(c);
            return;
        }
    }
    Wbctd__CreateTaskRequest r = WBCTD__CREATE_TASK_REQUEST__INIT;
    r.container_id = c->id;
    r.n_rootfs = c->prep->n_mounts;
    r.rootfs = c->prep->mounts;
    /* runc's shim wants both streams or neither: both into the one FIFO. */
    r.stdout = r.stderr = c->checked ? c->fifo_path : "";
    call_or_fail(c, SVC_TASKS, "Create", &r.base, on_task_created);
}

static void on_ctr_created(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    ctdc_ctr *c = arg;
    if (status) {
        fail(c, "Containers.Create", status, msg);
        c->chain_done = true; /* nothing to clean up */
        maybe_finish(c);
        return;
    }
    Wbctd__PrepareSnapshotRequest r = WBCTD__PREPARE_SNAPSHOT_REQUEST__INIT;
    r.snapshotter = g.snapshotter;
    r.key = c->id;
    r.parent = g.parent;
    call_or_fail(c, SVC_SNAPSHOTS, "Prepare", &r.base, on_prepared);
}

/* The template's spec with its id (the cgroup path) made this container's. */
static uint8_t *spec_for(const char *id, size_t *len)
{
    size_t tl = strlen(g.template_id), il = strlen(id), k = 0;
    uint8_t *out = malloc(g.spec_len * (il > tl ? il / tl + 2 : 1) + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < g.spec_len;)
        if (i + tl <= g.spec_len && !memcmp(g.spec + i, g.template_id, tl)) {
            memcpy(out + k, id, il);
            k += il;
            i += tl;
        } else {
            out[k++] = g.spec[i++];
        }
    *len = k;
    return out;
}

static void launch(ctdc_ctr *c, uint32_t i)
{
    snprintf(c->id, sizeof c->id, "%s-%u", g.prefix, i);
    c->fifo = -1;
    c->checked = g.expect && g.every && i % g.every == 0;
    g.checked += c->checked;
    size_t sl;
    uint8_t *spec = spec_for(c->id, &sl);
    if (!spec)
        die("%s%s", "out of memory", "");
    Wbshim__Any sa = WBSHIM__ANY__INIT, ro = WBSHIM__ANY__INIT;
    sa.type_url = g.spec_type;
    sa.value.data = spec;
    sa.value.len = sl;
    Wbctd__ContainerRuntime rt = WBCTD__CONTAINER_RUNTIME__INIT;
    rt.name = g.runtime;
    if (g.runtime_opts) {
        ro = *g.runtime_opts;
        rt.options = &ro;
    }
    Wbctd__Container ct = WBCTD__CONTAINER__INIT;
    ct.id = c->id;
    ct.image = g.image;
    ct.runtime = &rt;
    ct.spec = &sa;
    ct.snapshotter = g.snapshotter;
    ct.snapshot_key = c->id;
    Wbctd__CreateContainerRequest r = WBCTD__CREATE_CONTAINER_REQUEST__INIT;
    r.container = &ct;
    call_or_fail(c, SVC_CONTAINERS, "Create", &r.base, on_ctr_created);
    free(spec); /* packed by the call */
}

static void launch_next(void)
{
    while (g.launched < g.n && g.launched - g.finished < g.p) {
        uint32_t i = g.launched++;
        launch(&g.c[i], i + 1);
    }
}

/* ---- the template ----------------------------------------------------------------------------- */

static bool tmpl_pending;
static char tmpl_err[300];

static void on_template(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    tmpl_pending = false;
    Wbctd__GetContainerResponse *r = status ? NULL : wbctd__get_container_response__unpack(NULL, n, p);
    Wbctd__Container *t = r ? r->container : NULL;
    if (!t || !t->runtime || !t->spec || !t->snapshotter[0] || !t->snapshot_key[0]) {
        snprintf(tmpl_err, sizeof tmpl_err, "container %s: %s", g.template_id,
                 status ? msg : "no runtime, spec or snapshot in it");
        return;
    }
    g.runtime = strdup(t->runtime->name);
    if (t->runtime->options) {
        g.runtime_opts = malloc(sizeof *g.runtime_opts);
        *g.runtime_opts = *t->runtime->options;
        g.runtime_opts->type_url = strdup(t->runtime->options->type_url);
        g.runtime_opts->value.data = malloc(t->runtime->options->value.len + 1);
        memcpy(g.runtime_opts->value.data, t->runtime->options->value.data, t->runtime->options->value.len);
    }
    g.image = strdup(t->image);
    g.snapshotter = strdup(t->snapshotter);
    g.spec_type = strdup(t->spec->type_url);
    g.spec_len = t->spec->value.len;
    g.spec = malloc(g.spec_len + 1);
    memcpy(g.spec, t->spec->value.data, g.spec_len);
    g.parent = strdup(t->snapshot_key); /* replaced by its parent below */
    wbctd__get_container_response__free_unpacked(r, NULL);
}

static void on_stat(void *arg, int status, const char *msg, const uint8_t *p, size_t n)
{
    tmpl_pending = false;
    Wbctd__StatSnapshotResponse *r = status ? NULL : wbctd__stat_snapshot_response__unpack(NULL, n, p);
    if (!r || !r->info || !r->info->parent[0]) {
        snprintf(tmpl_err, sizeof tmpl_err, "snapshot %s of container %s: %s", g.parent, g.template_id,
                 status ? msg : "no parent (the image's layers)");
    } else {
        free(g.parent);
        g.parent = strdup(r->info->parent);
    }
    if (r)
        wbctd__stat_snapshot_response__free_unpacked(r, NULL);
}

static bool tmpl_answered(void)
{
    return !tmpl_pending;
}

static void read_template(void)
{
    Wbctd__GetContainerRequest gr = WBCTD__GET_CONTAINER_REQUEST__INIT;
    gr.id = (char *)g.template_id;
    tmpl_pending = true;
    if (ctdc_call(g.conn, SVC_CONTAINERS, "Get", &gr.base, on_template, NULL) ||
        run_until(tmpl_answered, mono_ns() + 10000000000u) || tmpl_err[0])
        die("template %s", tmpl_err[0] ? tmpl_err : "unanswered", "");
    Wbctd__StatSnapshotRequest sr = WBCTD__STAT_SNAPSHOT_REQUEST__INIT;
    sr.snapshotter = g.snapshotter;
    sr.key = g.parent;
    tmpl_pending = true;
    if (ctdc_call(g.conn, SVC_SNAPSHOTS, "Stat", &sr.base, on_stat, NULL) ||
        run_until(tmpl_answered, mono_ns() + 10000000000u) || tmpl_err[0])
        die("template %s", tmpl_err[0] ? tmpl_err : "unanswered", "");
}

/* ---- the loop --------------------------------------------------------------------------------- */

static void read_output(ctdc_ctr *c)
{
    char buf[4096];
    ssize_t r;
    while ((r = read(c->fifo, buf, sizeof buf)) > 0) {
        size_t k = (size_t)r < CTDC_OUTPUT_KEEP - c->olen ? (size_t)r : CTDC_OUTPUT_KEEP - c->olen;
        memcpy(c->out + c->olen, buf, k);
        c->olen += k;
        c->out[c->olen] = 0;
    }
    if (!c->out_ok && strstr(c->out, g.expect)) {
        c->out_ok = true;
        maybe_finish(c);
    }
}

static int run_until(bool (*pred)(void), uint64_t deadline)
{
    uint32_t cap = g.p + 1;
    struct pollfd *pf = malloc(cap * sizeof *pf);
    ctdc_ctr **who = malloc(cap * sizeof *who);
    int rc = 1;
    while (!pred()) {
        uint64_t now = mono_ns();
        if (now > deadline)
            goto out;
        uint32_t n = 0;
        pf[n++] = (struct pollfd){.fd = ctdc_fd(g.conn), .events = ctdc_events(g.conn)};
        while (g.c && g.low < g.launched && g.c[g.low].done)
            g.low++;
        for (uint32_t i = g.low; g.c && i < g.launched; i++) { /* those in flight */
            ctdc_ctr *c = &g.c[i];
            if (c->done || c->fifo < 0)
                continue;
            if (c->chain_done && !c->out_ok && now - c->waited_ns > CTDC_OUTPUT_WAIT_NS) {
                fail(c, "stdout", 0, "the expected output never came");
                snprintf(c->err + strlen(c->err), sizeof c->err - strlen(c->err), ": \"%.100s\"", c->out);
                finish(c);
                continue;
            }
            if (n < cap) {
                who[n] = c;
                pf[n++] = (struct pollfd){.fd = c->fifo, .events = POLLIN};
            }
        }
        if (pred())
            break;
        if (poll(pf, n, 100) < 0 && errno != EINTR)
            goto out;
        if (pf[0].revents && ctdc_io(g.conn, pf[0].revents))
            goto out;
        for (uint32_t i = 1; i < n; i++)
            if (pf[i].revents && !who[i]->done && who[i]->fifo >= 0)
                read_output(who[i]);
    }
    rc = 0;
out:
    free(pf);
    free(who);
    return rc;
}

static bool all_done(void)
{
    return g.finished == g.n;
}

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
    const char *sock = NULL;
    double timeout_s = 300;
    int o;
    g.n = 100;
    g.p = 40;
    g.prefix = "cc";
    g.dir = "/tmp";
    g.every = 0;
    bool every_set = false;
    while ((o = getopt(argc, argv, "a:n:t:c:p:i:e:s:x:T:d:")) != -1) {
        switch (o) {
        case 'a': sock = optarg; break;
        case 'n': g.ns = optarg; break;
        case 't': g.template_id = optarg; break;
        case 'c': g.n = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'p': g.p = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'i': g.prefix = optarg; break;
        case 'e': g.expect = optarg; break;
        case 's': g.every = (uint32_t)strtoul(optarg, NULL, 10), every_set = true; break;
        case 'x': g.expect_exit = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'T': timeout_s = strtod(optarg, NULL); break;
        case 'd': g.dir = optarg; break;
        default: sock = NULL, optind = argc + 1; break;
        }
    }
    if (!sock || !g.ns || !g.template_id || !g.n || !g.p || optind != argc || timeout_s <= 0) {
        fprintf(stderr, "usage: ctd_client -a SOCKET -n NAMESPACE -t TEMPLATE [-c N] [-p P] [-i PREFIX]\n"
                        "                  [-e EXPECT] [-s EVERY] [-x EXIT] [-T SECONDS] [-d FIFO-DIR]\n");
        return 2;
    }
    if (g.expect && !every_set)
        g.every = 1;
    char why[512];
    if (!(g.conn = ctdc_connect(sock, g.ns, why, sizeof why)))
        die("%s%s", why, "");
    read_template();
    if (!(g.c = calloc(g.n, sizeof *g.c)))
        die("%s%s", "out of memory", "");

    double cpu0 = cpu_ms();
    uint64_t t0 = mono_ns();
    launch_next();
    int late = run_until(all_done, t0 + (uint64_t)(timeout_s * 1e9));
    uint64_t t1 = mono_ns();
    double cpu1 = cpu_ms();

    double secs = (double)(t1 - t0) / 1e9;
    printf("%u containers (%s), %u in flight: %.3f s, %.1f containers/s, %u failed, %u outputs checked, "
           "client CPU %.0f ms\n",
           g.finished, g.runtime, g.p, secs, g.finished / secs, g.failed + (g.n - g.finished), g.checked,
           cpu1 - cpu0);
    uint32_t shown = 0;
    for (uint32_t i = 0; i < g.launched; i++) {
        ctdc_ctr *c = &g.c[i];
        if ((c->failed || !c->done) && shown++ < 10)
            fprintf(stderr, "ctd_client: %s: %s\n", c->id, c->done ? c->err : "unfinished");
    }
    if (late)
        fprintf(stderr, "ctd_client: %u of %u containers unfinished after %.0f s\n", g.n - g.finished, g.n, timeout_s);
    ctdc_close(g.conn);
    return g.failed || late ? 1 : 0;
}
