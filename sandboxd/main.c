/*
 * main.c - wasmboxd: one process hosting many WASI sandboxes.
 *
 *   wasmboxd --listen SOCKET --dir STATEDIR [--workers N] [--max-sandboxes N]
 *            [--memory-budget BYTES] [--max-output BYTES] [--max-fds N] [--fd-pool N]
 *
 * Serves the control API (api.c) on the Unix socket SOCKET, keeps sandbox
 * output in STATEDIR/logs/, and on SIGTERM or SIGINT kills every sandbox,
 * records each one's final state in STATEDIR/state.json and exits 0.
 * BYTES may end in K, M or G (powers of 1024).
 */
#include "sandboxd.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr, "usage: wasmboxd --listen SOCKET --dir STATEDIR [--workers N] [--max-sandboxes N]\n"
                    "                [--memory-budget BYTES] [--max-output BYTES] [--max-fds N] [--fd-pool N]\n");
    exit(2);
}

/* A positive count or size: digits and an optional K, M or G; 0 if not. */
static uint64_t amount(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (shift)
        end++;
    if (errno || end == s || *end || s[0] == '-' || v > (UINT64_MAX >> shift))
        return 0;
    return (uint64_t)v << shift;
}

static void on_exits(evutil_socket_t fd, short what, void *arg)
{
    sbd_api_report_exits();
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    fprintf(stderr, "wasmboxd: %s, stopping all sandboxes\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    event_base_loopexit(sbd_g.base, NULL);
}

/* The options into sbd_g.opt; the socket and state directory returned. */
static void options(int argc, char **argv, const char **sock, const char **dir)
{
    uint64_t workers = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN), v;
    sbd_g.opt = (sbd_opts){
        .max_sandboxes = SBD_DEFAULT_MAX_SANDBOXES,
        .max_output = SBD_DEFAULT_MAX_OUTPUT,
        .max_fds = SBD_DEFAULT_MAX_FDS,
        .memory_budget = (uint64_t)((double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) *
                                    SBD_DEFAULT_BUDGET_SHARE),
    };
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *a = i + 1 < argc ? argv[++i] : NULL;
        v = a ? amount(a) : 0;
        if (!a)
            usage();
        else if (!strcmp(o, "--listen"))
            *sock = a;
        else if (!strcmp(o, "--dir"))
            *dir = a;
        else if (!strcmp(o, "--workers") && v && v <= 256)
            workers = v;
        else if (!strcmp(o, "--max-sandboxes") && v && v <= UINT32_MAX)
            sbd_g.opt.max_sandboxes = (uint32_t)v;
        else if (!strcmp(o, "--memory-budget") && v)
            sbd_g.opt.memory_budget = v;
        else if (!strcmp(o, "--max-output") && v)
            sbd_g.opt.max_output = v;
        else if (!strcmp(o, "--max-fds") && v >= 3 && v <= 1024)
            sbd_g.opt.max_fds = (uint32_t)v;
        else if (!strcmp(o, "--fd-pool") && v && v <= UINT32_MAX)
            sbd_g.opt.fd_pool = (uint32_t)v;
        else
            usage();
    }
    if (!*sock || !*dir || !workers || workers > 256)
        usage();
    sbd_g.nworkers = (uint32_t)workers; /* sbd_sched_start counts them again as they start */
}

int main(int argc, char **argv)
{
    const char *sock = NULL, *dir = NULL;
    options(argc, argv, &sock, &dir);
    uint32_t workers = sbd_g.nworkers;
    sbd_g.nworkers = 0;
    signal(SIGPIPE, SIG_IGN);
    /* Guests' files and preopens are host descriptors: take all the
     * administrator allows (the hard limit), not the login default. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    if (!sbd_g.opt.fd_pool && getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
        rlim_t n = nofile.rlim_cur > 2 * SBD_FD_RESERVE ? nofile.rlim_cur - SBD_FD_RESERVE : nofile.rlim_cur / 2;
        sbd_g.opt.fd_pool = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    }
    if (!(sbd_g.fds = wb_wasi_fd_pool_new(sbd_g.opt.fd_pool))) {
        fprintf(stderr, "wasmboxd: out of memory\n");
        return 1;
    }

    char logs[4096];
    snprintf(logs, sizeof logs, "%s/logs", dir);
    if ((mkdir(dir, 0755) && errno != EEXIST) || (mkdir(logs, 0755) && errno != EEXIST)) {
        fprintf(stderr, "wasmboxd: cannot create %s: %s\n", logs, strerror(errno));
        return 1;
    }
    sbd_g.statedir = realpath(dir, NULL);
    if (!sbd_g.statedir) {
        fprintf(stderr, "wasmboxd: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    evthread_use_pthreads();
    sbd_g.base = event_base_new();
    struct evhttp *http = sbd_g.base ? evhttp_new(sbd_g.base) : NULL;
    if (!http) {
        fprintf(stderr, "wasmboxd: cannot set up the event loop\n");
        return 1;
    }
    if (sbd_listen(http, sock))
        return 1;
    evhttp_set_max_body_size(http, SBD_MAX_BODY);
    evhttp_set_max_headers_size(http, 64 << 10);
    /* Every method reaches the router, which answers 405 with the ones an
     * endpoint takes; evhttp itself would say 501. */
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT |
                                         EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(http, sbd_api_handle, NULL);
    sbd_g.exit_ev = event_new(sbd_g.base, -1, 0, on_exits, NULL);
    struct event *term = evsignal_new(sbd_g.base, SIGTERM, on_signal, NULL);
    struct event *intr = evsignal_new(sbd_g.base, SIGINT, on_signal, NULL);
    event_add(term, NULL);
    event_add(intr, NULL);
    if (sbd_output_start() || sbd_sched_start(workers)) {
        fprintf(stderr, "wasmboxd: cannot start worker threads\n");
        return 1;
    }
    sbd_g.baseline_rss = sbd_rss_bytes();
    if (sbd_budget_start()) {
        fprintf(stderr, "wasmboxd: cannot start the memory budget's check\n");
        return 1;
    }
    fprintf(stderr,
            "wasmboxd: listening on %s, state in %s, %u workers; at most %u sandboxes, %llu MiB memory budget, "
            "%llu bytes of output per stream, %u descriptors per sandbox and %u for all\n",
            sock, sbd_g.statedir, workers, sbd_g.opt.max_sandboxes,
            (unsigned long long)(sbd_g.opt.memory_budget >> 20), (unsigned long long)sbd_g.opt.max_output,
            sbd_g.opt.max_fds, sbd_g.opt.fd_pool);

    event_base_dispatch(sbd_g.base);

    sbd_budget_stop();
    sbd_sched_stop();
    sbd_api_report_exits();
    int rc = sbd_write_state() ? 1 : 0;
    evhttp_free(http); /* closes connections: pending waits and logs are let go */
    sbd_listen_close();
    unlink(sock);
    pthread_mutex_lock(&sbd_g.lock);
    for (uint32_t i = 0; i < sbd_g.tcap; i++)
        for (sandbox *s = sbd_g.table[i], *n; s; s = n) {
            n = s->hnext;
            sbd_delete(s);
        }
    pthread_mutex_unlock(&sbd_g.lock);
    sbd_output_stop(); /* after the last output was handed over */
    event_base_loop(sbd_g.base, EVLOOP_NONBLOCK); /* logs read back meanwhile: their descriptors */
    free(sbd_g.table);
    free(sbd_g.heap);
    free(sbd_g.exited);
    event_free(term);
    event_free(intr);
    event_free(sbd_g.exit_ev);
    event_base_free(sbd_g.base);
    free(sbd_g.statedir);
    wb_wasi_fd_pool_free(sbd_g.fds);
    fprintf(stderr, "wasmboxd: stopped\n");
    return rc;
}
