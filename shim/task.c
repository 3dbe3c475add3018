/*
 * task.c - containerd's Task API (containerd.task.v2.Task) over the
 * sandbox core: a container is a sandbox, time-sliced with every other
 * container of the shim on the core's workers.
 *
 *   Create    bundle/config.json, rootfs mounted, module opened inside it,
 *             stdio FIFOs opened, the sandbox instantiated (not started)
 *   Start     into the run queue
 *   Wait      answered when the sandbox exits and its output was read (or
 *             at once)
 *   Kill      SIGKILL 137, SIGTERM 143, SIGINT 130: the guest stops within
 *             a slice; other signals mean nothing to a WASI program
 *   Delete    the sandbox's record freed, the rootfs unmounted
 *   State, Pids, Stats (linear memory, fuel), Connect, Shutdown
 *   Exec, Pause, Resume, Checkpoint, Update, ResizePty: not implemented
 *
 * A guest's exit is told (Wait, /tasks/exit, State stopped) once its
 * stdout and stderr were read to the end, as runc's shim does (a process
 * ends only once its last write is in the pipe): a client stops reading
 * when it hears of the exit (ctr run --rm closes its FIFOs at Delete), so
 * output still on its way then was lost.  A reader that reads nothing for
 * SBD_PIPE_LINGER_NS is taken to be gone (a detached run): the rest of the
 * output is dropped and the exit told.
 *
 * Exit codes: the guest's proc_exit code; 134 for a trap (its message and
 * wasm backtrace also written to the task's stderr), running out of fuel
 * or memory.  Every task reports the shim's pid: there is no process per
 * container.  Kubernetes' pause container (io.kubernetes.cri.container-type
 * "sandbox") is a task without a sandbox, running until it is killed.
 */
#include "shim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct waiter {
    shim_conn *conn;
    uint32_t stream;
    struct waiter *next;
} waiter;

typedef struct task {
    char id[SBD_MAX_ID + 1];
    char *bundle, *stdio[3];
    char *rootfs;
    bool mounted;
    sandbox *s;   /* NULL: a pause task */
    bool started, exited;
    bool draining; /* the guest ended; exited() waits for its output (sbd_output_done) */
    bool tell;     /* drained: exited() is called once the core's lock is let go */
    uint32_t exit_status;
    uint64_t exited_wall_ns;
    uint64_t max_memory;
    waiter *waiters;
    struct task *next;
} task;

static task *tasks;
static uint32_t ntasks, ndraining;
static bool shutdown_asked;

uint32_t shim_task_count(void)
{
    return ntasks;
}

bool shim_task_shutdown_asked(void)
{
    return shutdown_asked;
}

static task *find(const char *id)
{
    for (task *t = tasks; t; t = t->next)
        if (!strcmp(t->id, id))
            return t;
    return NULL;
}

static void unlink_task(task *t)
{
    for (task **p = &tasks; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            ntasks--;
            return;
        }
}

static void free_task(task *t)
{
    for (waiter *w = t->waiters, *n; w; w = n) {
        n = w->next;
        shim_conn_unref(w->conn);
        free(w);
    }
    free(t->bundle);
    free(t->rootfs);
    for (int i = 0; i < 3; i++)
        free(t->stdio[i]);
    free(t);
}

static Wbshim__Timestamp stamp(uint64_t ns)
{
    Wbshim__Timestamp ts = WBSHIM__TIMESTAMP__INIT;
    ts.seconds = (int64_t)(ns / 1000000000u);
    ts.nanos = (int32_t)(ns % 1000000000u);
    return ts;
}

static uint64_t wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- exits ------------------------------------------------------------------------------------ */

static void exited(task *t, uint32_t status, uint64_t wall_ns)
{
    t->exited = true;
    t->exit_status = status;
    t->exited_wall_ns = wall_ns;
    Wbshim__Timestamp ts = stamp(wall_ns);
    Wbshim__WaitResponse wr = WBSHIM__WAIT_RESPONSE__INIT;
    wr.exit_status = status;
    wr.exited_at = &ts;
    for (waiter *w = t->waiters, *n; w; w = n) {
        n = w->next;
        shim_reply(w->conn, w->stream, &wr.base);
        shim_conn_unref(w->conn);
        free(w);
    }
    t->waiters = NULL;
    Wbshim__TaskExit ev = WBSHIM__TASK_EXIT__INIT;
    ev.container_id = t->id;
    ev.id = t->id;
    ev.pid = (uint32_t)getpid();
    ev.exit_status = status;
    ev.exited_at = &ts;
    shim_event("/tasks/exit", "containerd.events.TaskExit", &ev.base);
}

/* Takes the sandboxes that exited, and tells of those whose output was
 * read (sbd_g.exit_ev comes again when a stream is closed). */
void shim_task_report_exits(void)
{
    pthread_mutex_lock(&sbd_g.lock);
    for (uint32_t i = 0; i < sbd_g.nexited; i++) {
        sandbox *s = sbd_g.exited[i];
        task *t = s->user;
        s->exited_at = 0;
        if (t && !t->draining) {
            t->draining = true;
            t->exit_status = (uint32_t)s->exit_code;
            t->exited_wall_ns = shim_wall_ns(s->exited_ns);
            ndraining++;
        }
    }
    sbd_g.nexited = 0;
    uint32_t ntell = 0;
    for (task *t = tasks; t && ndraining; t = t->next)
        if (t->draining && sbd_output_done(&t->s->out[0]) && sbd_output_done(&t->s->out[1])) {
            t->draining = false;
            t->tell = true;
            ndraining--;
            ntell++;
        }
    pthread_mutex_unlock(&sbd_g.lock);
    for (task *t = tasks; t && ntell; t = t->next) /* replies outside the core's lock */
        if (t->tell) {
            t->tell = false;
            ntell--;
            exited(t, t->exit_status, t->exited_wall_ns);
        }
}

/* ---- Create ----------------------------------------------------------------------------------- */

static void create(shim_conn *c, uint32_t stream, const uint8_t *p, size_t n)
{
    Wbshim__CreateTaskRequest *r = wbshim__create_task_request__unpack(NULL, n, p);
    char why[1024] = "";
    int code = SHIM_INVALID;
    shim_bundle b;
    memset(&b, 0, sizeof b);
    int out_fd[2] = {-1, -1}, modfd = -1;
    task *t = NULL;
    sbd_module *m = NULL;
    if (!r) {
        snprintf(why, sizeof why, "create: a request that does not decode");
        goto fail;
    }
    if (!r->id[0] || strlen(r->id) > SBD_MAX_ID) {
        snprintf(why, sizeof why, "create: task id \"%.80s\": 1 to %u characters", r->id, SBD_MAX_ID);
        goto fail;
    }
    if (find(r->id)) {
        code = SHIM_EXISTS;
        snprintf(why, sizeof why, "task %s already exists", r->id);
        goto fail;
    }
    if (r->terminal) {
        snprintf(why, sizeof why, "create %s: a terminal is not supported by the wasmbox shim (run without -t)",
                 r->id);
        goto fail;
    }
    if (r->checkpoint[0]) {
        code = SHIM_UNIMPLEMENTED;
        snprintf(why, sizeof why, "create %s: restoring a checkpoint is not implemented", r->id);
        goto fail;
    }
    if (shim_bundle_read(r->bundle, &b, why, sizeof why))
        goto fail;
    t = calloc(1, sizeof *t);
    if (!t) {
        code = SHIM_INTERNAL;
        snprintf(why, sizeof why, "out of memory");
        goto fail;
    }
    snprintf(t->id, sizeof t->id, "%s", r->id);
    t->bundle = strdup(r->bundle);
    t->stdio[0] = strdup(r->stdin);
    t->stdio[1] = strdup(r->stdout);
    t->stdio[2] = strdup(r->stderr);
    if (shim_bundle_mount(&b, r->rootfs, r->n_rootfs, why, sizeof why)) {
        code = SHIM_INTERNAL;
        goto fail;
    }
    t->rootfs = strdup(b.rootfs);
    t->mounted = b.mounted;
    if (!b.pause) {
        if ((modfd = shim_bundle_open_module(&b, why, sizeof why)) < 0)
            goto fail;
        int status;
        char name[512];
        snprintf(name, sizeof name, "%.500s", b.args[0]);
        m = sbd_module_get_fd(modfd, name, why, sizeof why, &status);
        if (!m)
            goto fail;
        for (int i = 0; i < 2; i++)
            if ((out_fd[i] = shim_bundle_open_stdio(i ? r->stderr : r->stdout, why, sizeof why)) < 0) {
                code = SHIM_INTERNAL;
                goto fail;
            }
        sbd_spec spec = {
            .argv = (const char **)b.args,
            .argc = b.nargs,
            .env = (const char **)b.env,
            .nenv = b.nenv,
            .dir_host = (const char **)b.dir_host,
            .dir_guest = (const char **)b.dir_guest,
            .ndirs = b.ndirs,
            .out_fd = {out_fd[0], out_fd[1]},
            .out_fds = true,
            .trap_to_stderr = true,
            .max_memory = b.max_memory,
            .fuel = b.fuel,
            .fuel_rate = b.fuel_rate,
        };
        pthread_mutex_lock(&sbd_g.lock);
        t->s = sbd_create(m, &spec, t->id, why, sizeof why, &status);
        out_fd[0] = out_fd[1] = -1; /* the sandbox's, or closed, now */
        if (t->s) {
            t->s->user = t;
            t->max_memory = t->s->max_memory;
        }
        sbd_module_put(m); /* the sandbox holds its own reference */
        m = NULL;
        pthread_mutex_unlock(&sbd_g.lock);
        if (!t->s) {
            code = status == 429 || status >= 500 ? SHIM_PRECONDITION : SHIM_INVALID;
            goto fail;
        }
    }
    t->next = tasks;
    tasks = t;
    ntasks++;
    if (modfd >= 0)
        close(modfd);
    Wbshim__CreateTaskResponse resp = WBSHIM__CREATE_TASK_RESPONSE__INIT;
    resp.pid = (uint32_t)getpid();
    shim_reply(c, stream, &resp.base);
    Wbshim__TaskIO io = WBSHIM__TASK_IO__INIT;
    io.stdin = r->stdin;
    io.stdout = r->stdout;
    io.stderr = r->stderr;
    Wbshim__TaskCreate ev = WBSHIM__TASK_CREATE__INIT;
    ev.container_id = t->id;
    ev.bundle = r->bundle;
    ev.n_rootfs = r->n_rootfs;
    ev.rootfs = r->rootfs;
    ev.io = &io;
    ev.pid = resp.pid;
    shim_event("/tasks/create", "containerd.events.TaskCreate", &ev.base);
    shim_bundle_free(&b);
    wbshim__create_task_request__free_unpacked(r, NULL);
    return;
fail:
    if (m) {
        pthread_mutex_lock(&sbd_g.lock);
        sbd_module_put(m);
        pthread_mutex_unlock(&sbd_g.lock);
    }
    for (int i = 0; i < 2; i++)
        if (out_fd[i] >= 0)
            close(out_fd[i]);
    if (modfd >= 0)
        close(modfd);
    if (b.mounted)
        shim_bundle_unmount(b.rootfs);
    if (t)
        free_task(t);
    shim_bundle_free(&b);
    sbd_log("create %s: %s", r ? r->id : "?", why);
    shim_reply_error(c, stream, code, "%s", why);
    if (r)
        wbshim__create_task_request__free_unpacked(r, NULL);
}

/* ---- the rest --------------------------------------------------------------------------------- */

/* The task a request names; answers NotFound (and NULL) if none, and
 * Unimplemented for an exec id: there are no exec processes. */
static task *named(shim_conn *c, uint32_t stream, const char *id, const char *exec_id)
{
    if (exec_id && exec_id[0]) {
        shim_reply_error(c, stream, SHIM_UNIMPLEMENTED, "exec processes are not implemented by the wasmbox shim");
        return NULL;
    }
    task *t = find(id);
    if (!t)
        shim_reply_error(c, stream, SHIM_NOT_FOUND, "task %.100s not found", id);
    return t;
}

static void start(shim_conn *c, uint32_t stream, task *t)
{
    if (t->started) {
        shim_reply_error(c, stream, SHIM_PRECONDITION, "task %s was started already", t->id);
        return;
    }
    if (t->s) {
        pthread_mutex_lock(&sbd_g.lock);
        int rc = sbd_start(t->s);
        pthread_mutex_unlock(&sbd_g.lock);
        if (rc) {
            shim_reply_error(c, stream, SHIM_PRECONDITION, "task %s is not in state created", t->id);
            return;
        }
    }
    t->started = true;
    Wbshim__StartResponse resp = WBSHIM__START_RESPONSE__INIT;
    resp.pid = (uint32_t)getpid();
    shim_reply(c, stream, &resp.base);
    Wbshim__TaskStart ev = WBSHIM__TASK_START__INIT;
    ev.container_id = t->id;
    ev.pid = resp.pid;
    shim_event("/tasks/start", "containerd.events.TaskStart", &ev.base);
}

static void wait_task(shim_conn *c, uint32_t stream, task *t)
{
    if (t->exited) {
        Wbshim__Timestamp ts = stamp(t->exited_wall_ns);
        Wbshim__WaitResponse wr = WBSHIM__WAIT_RESPONSE__INIT;
        wr.exit_status = t->exit_status;
        wr.exited_at = &ts;
        shim_reply(c, stream, &wr.base);
        return;
    }
    waiter *w = calloc(1, sizeof *w);
    if (!w) {
        shim_reply_error(c, stream, SHIM_INTERNAL, "out of memory");
        return;
    }
    w->conn = c;
    w->stream = stream;
    shim_conn_ref(c);
    w->next = t->waiters;
    t->waiters = w;
}

static void kill_task(shim_conn *c, uint32_t stream, task *t, uint32_t sig)
{
    if (t->exited) {
        shim_reply_error(c, stream, SHIM_NOT_FOUND, "process already finished");
        return;
    }
    int code = sig == 9 ? 137 : sig == 15 ? 143 : sig == 2 ? 130 : 0;
    if (code) {
        if (t->s) {
            pthread_mutex_lock(&sbd_g.lock);
            sbd_kill_as(t->s, code, sig == 9 ? "killed" : sig == 15 ? "terminated" : "interrupted");
            pthread_mutex_unlock(&sbd_g.lock);
        } else {
            exited(t, (uint32_t)code, wall_now()); /* the pause task */
        }
    }
    shim_reply(c, stream, NULL);
}

static void delete_task(shim_conn *c, uint32_t stream, task *t)
{
    if (t->draining) {
        shim_reply_error(c, stream, SHIM_PRECONDITION, "task %s has ended: its output is still being read",
                         t->id);
        return;
    }
    if (!t->exited && t->started) {
        shim_reply_error(c, stream, SHIM_PRECONDITION, "task %s is running: kill it first", t->id);
        return;
    }
    if (t->s) {
        pthread_mutex_lock(&sbd_g.lock);
        if (!t->exited)
            sbd_kill(t->s); /* created, never started: ends at once */
        sbd_exited_remove(t->s);
        if (!t->exited)
            t->exit_status = (uint32_t)t->s->exit_code, t->exited_wall_ns = wall_now();
        sbd_delete(t->s);
        pthread_mutex_unlock(&sbd_g.lock);
        t->s = NULL;
    } else if (!t->exited) {
        t->exit_status = 137;
        t->exited_wall_ns = wall_now();
    }
    if (t->mounted)
        shim_bundle_unmount(t->rootfs);
    unlink_task(t);
    Wbshim__Timestamp ts = stamp(t->exited_wall_ns);
    Wbshim__DeleteResponse resp = WBSHIM__DELETE_RESPONSE__INIT;
    resp.pid = (uint32_t)getpid();
    resp.exit_status = t->exit_status;
    resp.exited_at = &ts;
    shim_reply(c, stream, &resp.base);
    Wbshim__TaskDelete ev = WBSHIM__TASK_DELETE__INIT;
    ev.container_id = t->id;
    ev.id = t->id;
    ev.pid = resp.pid;
    ev.exit_status = t->exit_status;
    ev.exited_at = &ts;
    shim_event("/tasks/delete", "containerd.events.TaskDelete", &ev.base);
    free_task(t);
}

static void state(shim_conn *c, uint32_t stream, task *t)
{
    Wbshim__StateResponse r = WBSHIM__STATE_RESPONSE__INIT;
    Wbshim__Timestamp ts = stamp(t->exited_wall_ns);
    r.id = t->id;
    r.bundle = t->bundle;
    r.pid = (uint32_t)getpid();
    r.status = t->exited ? WBSHIM__TASK_STATUS__STOPPED
               : t->started ? WBSHIM__TASK_STATUS__RUNNING
                            : WBSHIM__TASK_STATUS__CREATED;
    r.stdin = t->stdio[0];
    r.stdout = t->stdio[1];
    r.stderr = t->stdio[2];
    r.exit_status = t->exit_status;
    if (t->exited)
        r.exited_at = &ts;
    shim_reply(c, stream, &r.base);
}

static void stats(shim_conn *c, uint32_t stream, task *t)
{
    uint64_t mem = 0, fuel = 0;
    if (t->s) {
        pthread_mutex_lock(&sbd_g.lock);
        mem = t->s->state == SBD_EXITED ? t->s->memory_bytes : t->s->mem_now;
        fuel = t->s->fuel_used;
        pthread_mutex_unlock(&sbd_g.lock);
    }
    Wbshim__MemoryEntry me = WBSHIM__MEMORY_ENTRY__INIT;
    me.usage = mem;
    me.limit = t->max_memory;
    Wbshim__MemoryStat ms = WBSHIM__MEMORY_STAT__INIT;
    ms.usage = &me;
    ms.rss = mem;
    Wbshim__CPUUsage cu = WBSHIM__CPUUSAGE__INIT;
    cu.total = fuel;
    cu.user = fuel;
    Wbshim__CPUStat cs = WBSHIM__CPUSTAT__INIT;
    cs.usage = &cu;
    Wbshim__Metrics mx = WBSHIM__METRICS__INIT;
    mx.memory = &ms;
    mx.cpu = &cs;
    uint8_t buf[256];
    size_t n = wbshim__metrics__pack(&mx, buf);
    Wbshim__Any any = WBSHIM__ANY__INIT;
    any.type_url = "io.containerd.cgroups.v1.Metrics";
    any.value.data = buf;
    any.value.len = n;
    Wbshim__StatsResponse r = WBSHIM__STATS_RESPONSE__INIT;
    r.stats = &any;
    shim_reply(c, stream, &r.base);
}

static void pids(shim_conn *c, uint32_t stream, task *t)
{
    Wbshim__ProcessInfo pi = WBSHIM__PROCESS_INFO__INIT, *list[1] = {&pi};
    pi.pid = (uint32_t)getpid();
    Wbshim__PidsResponse r = WBSHIM__PIDS_RESPONSE__INIT;
    r.n_processes = 1;
    r.processes = list;
    shim_reply(c, stream, &r.base);
}

static void connect_task(shim_conn *c, uint32_t stream)
{
    Wbshim__ConnectResponse r = WBSHIM__CONNECT_RESPONSE__INIT;
    r.shim_pid = (uint32_t)getpid();
    r.task_pid = r.shim_pid;
    r.version = "wasmbox";
    shim_reply(c, stream, &r.base);
}

/* ---- dispatch --------------------------------------------------------------------------------- */

void shim_task_dispatch(shim_conn *c, uint32_t stream, const char *method, const uint8_t *p, size_t n)
{
    if (!strcmp(method, "Create")) {
        create(c, stream, p, n);
        return;
    }
    if (!strcmp(method, "Exec") || !strcmp(method, "Pause") || !strcmp(method, "Resume") ||
        !strcmp(method, "Checkpoint") || !strcmp(method, "Update") || !strcmp(method, "ResizePty")) {
        shim_reply_error(c, stream, SHIM_UNIMPLEMENTED, "%s is not implemented by the wasmbox shim", method);
        return;
    }
    if (!strcmp(method, "Shutdown")) {
        shutdown_asked = true;
        shim_reply(c, stream, NULL);
        shim_maybe_exit();
        return;
    }
    if (!strcmp(method, "Connect")) {
        connect_task(c, stream);
        return;
    }
    /* The rest name a task: id is field 1 of each, exec_id field 2 of some. */
    Wbshim__KillRequest *r = wbshim__kill_request__unpack(NULL, n, p);
    if (!r) {
        shim_reply_error(c, stream, SHIM_INVALID, "%.40s: a request that does not decode", method);
        return;
    }
    bool has_exec = strcmp(method, "Pids") && strcmp(method, "Stats");
    task *t = named(c, stream, r->id, has_exec ? r->exec_id : NULL);
    if (!t)
        ;
    else if (!strcmp(method, "Start"))
        start(c, stream, t);
    else if (!strcmp(method, "Wait"))
        wait_task(c, stream, t);
    else if (!strcmp(method, "Kill"))
        kill_task(c, stream, t, r->signal);
    else if (!strcmp(method, "Delete"))
        delete_task(c, stream, t);
    else if (!strcmp(method, "State"))
        state(c, stream, t);
    else if (!strcmp(method, "Stats"))
        stats(c, stream, t);
    else if (!strcmp(method, "Pids"))
        pids(c, stream, t);
    else if (!strcmp(method, "CloseIO"))
        shim_reply(c, stream, NULL); /* the guest's stdin is empty: nothing to close */
    else
        shim_reply_error(c, stream, SHIM_UNIMPLEMENTED, "method %.60s is not served", method);
    wbshim__kill_request__free_unpacked(r, NULL);
}
