/*
 * serve.c - wasmbox-shimd, the shim itself: one process serving the Task API
 * for a group of containers (see start.c), on the listening socket `start`
 * handed it as descriptor 3:
 *
 *   wasmbox-shimd -namespace N -address A -group G serve
 *
 * A binary of its own, apart from containerd-shim-wasmbox-v1 (main.c), which
 * containerd runs once per container: that one stays small and static, this
 * one links the engine, the sandbox core, libevent and OpenSSL.
 */
#include "shim.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int64_t wall_minus_mono;
static struct event *linger_ev;

uint64_t shim_wall_ns(uint64_t mono_ns)
{
    return (uint64_t)((int64_t)mono_ns + wall_minus_mono);
}

static void on_exits(evutil_socket_t fd, short what, void *arg)
{
    shim_task_report_exits();
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    sbd_log("signal %d: stopping every task", (int)sig);
    event_base_loopexit(sbd_g.base, NULL);
}

/* Exits if there is nothing left to serve: no task, containerd asked to
 * shut down, nobody connected for SHIM_LINGER_NS, no start looking (the
 * group lock) and no connection waiting to be accepted. */
static void linger_check(evutil_socket_t fd, short what, void *arg)
{
    if (shim_task_count() || !shim_task_shutdown_asked())
        return;
    uint64_t since = sbd_now_ns() - shim_ttrpc_last_accept_ns();
    if (since < SHIM_LINGER_NS) {
        shim_maybe_exit();
        return;
    }
    char lock[4096], sock[4096];
    shim_group_path(shim_o.group, "lock", lock, sizeof lock);
    shim_group_path(shim_o.group, "sock", sock, sizeof sock);
    int lk = open(lock, O_RDWR | O_CLOEXEC);
    struct pollfd p = {.fd = 3, .events = POLLIN};
    if (lk < 0 || flock(lk, LOCK_EX | LOCK_NB) || poll(&p, 1, 0) > 0) {
        if (lk >= 0)
            close(lk);
        shim_maybe_exit();
        return;
    }
    unlink(sock); /* under the lock: the next start makes a new shim */
    event_base_loopexit(sbd_g.base, NULL);
}

void shim_maybe_exit(void)
{
    if (!linger_ev || shim_task_count())
        return;
    struct timeval tv = {.tv_sec = (time_t)(SHIM_LINGER_NS / 1000000000u), .tv_usec = 0};
    event_add(linger_ev, &tv);
}

static void raise_nofile(void)
{
    /* Two FIFOs a container and a connection of containerd's: take all the
     * descriptors the administrator allows. */
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
        rlim_t n = r.rlim_cur > 2 * SBD_FD_RESERVE ? r.rlim_cur - SBD_FD_RESERVE : r.rlim_cur / 2;
        sbd_g.opt.fd_pool = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    }
}

static int serve(void)
{
    sbd_g.name = "containerd-shim-wasmbox-v1";
    signal(SIGPIPE, SIG_IGN);
    struct timespec w, m;
    clock_gettime(CLOCK_REALTIME, &w);
    clock_gettime(CLOCK_MONOTONIC, &m);
    wall_minus_mono = ((int64_t)w.tv_sec - (int64_t)m.tv_sec) * 1000000000 + (w.tv_nsec - m.tv_nsec);
    sbd_g.opt = (sbd_opts){
        .max_sandboxes = SBD_DEFAULT_MAX_SANDBOXES,
        .max_output = SBD_DEFAULT_MAX_OUTPUT,
        .max_fds = SBD_DEFAULT_MAX_FDS,
        .memory_budget = (uint64_t)((double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) *
                                    SBD_DEFAULT_BUDGET_SHARE),
    };
    raise_nofile();
    sbd_g.fds = wb_wasi_fd_pool_new(sbd_g.opt.fd_pool);
    sbd_g.statedir = strdup(shim_o.rundir);
    evthread_use_pthreads();
    sbd_g.base = event_base_new();
    if (!sbd_g.fds || !sbd_g.statedir || !sbd_g.base) {
        fprintf(stderr, "wasmbox shim: out of memory\n");
        return 1;
    }
    sbd_g.exit_ev = event_new(sbd_g.base, -1, 0, on_exits, NULL);
    linger_ev = evtimer_new(sbd_g.base, linger_check, NULL);
    struct event *term = evsignal_new(sbd_g.base, SIGTERM, on_signal, NULL);
    struct event *intr = evsignal_new(sbd_g.base, SIGINT, on_signal, NULL);
    event_add(term, NULL);
    event_add(intr, NULL);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (shim_ttrpc_serve(3) || sbd_output_start() || sbd_sched_start(cpus > 0 ? (uint32_t)cpus : 1)) {
        fprintf(stderr, "wasmbox shim: cannot start: %s\n", strerror(errno));
        return 1;
    }
    sbd_g.baseline_rss = sbd_rss_bytes();
    sbd_budget_start();
    char pidf[4096];
    shim_group_path(shim_o.group, "pid", pidf, sizeof pidf);
    FILE *f = fopen(pidf, "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    sbd_log("serving group %s of namespace %s, %ld workers", shim_o.group, shim_o.ns, cpus);

    event_base_dispatch(sbd_g.base);

    shim_ttrpc_stop();
    sbd_budget_stop();
    sbd_sched_stop();
    sbd_output_stop();
    unlink(pidf);
    sbd_log("stopped");
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = shim_parse_args(argc, argv);
    if (cmd && !strcmp(cmd, "serve") && shim_o.group)
        return serve();
    fprintf(stderr, "usage: wasmbox-shimd -namespace N -address A -group G serve\n"
                    "(started by containerd-shim-wasmbox-v1 start)\n");
    return 2;
}
