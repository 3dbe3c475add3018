/*
 * main.c - wasmboxd: one process hosting many WASI sandboxes.
 *
 *   wasmboxd --listen SOCKET --dir STATEDIR [--workers N]
 *
 * Serves the control API (api.c) on the Unix socket SOCKET, keeps sandbox
 * output in STATEDIR/logs/, and on SIGTERM or SIGINT kills every sandbox,
 * records each one's final state in STATEDIR/state.json and exits 0.
 */
#include "sandboxd.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

sbd sbd_g = {.lock = PTHREAD_MUTEX_INITIALIZER};

uint64_t sbd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t sbd_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void usage(void)
{
    fprintf(stderr, "usage: wasmboxd --listen SOCKET --dir STATEDIR [--workers N]\n");
    exit(2);
}

static int listen_unix(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        fprintf(stderr, "wasmboxd: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(a.sun_path, path);
    struct stat st;
    /* A socket left by a daemon that died is replaced; anything else is
     * not ours to remove. */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            fprintf(stderr, "wasmboxd: %s exists and is not a socket\n", path);
            return -1;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof a) == 0) {
            fprintf(stderr, "wasmboxd: another daemon is listening on %s\n", path);
            close(probe);
            return -1;
        }
        if (probe >= 0)
            close(probe);
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    mode_t old = umask(0117); /* owner and group: the socket is root-equivalent */
    int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (rc || listen(fd, 4096)) {
        fprintf(stderr, "wasmboxd: cannot listen on %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
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

/* STATEDIR/state.json: every sandbox's final state, written atomically. */
static int write_state(void)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < sbd_g.tcap; i++)
        for (sandbox *s = sbd_g.table[i]; s; s = s->hnext) {
            json_t *j = json_pack("{s:s,s:s,s:s}", "id", s->id, "state", sbd_state_name(s->state), "module",
                                  s->mod->hash);
            if (s->state == SBD_EXITED) {
                json_object_set_new(j, "exit_code", json_integer(s->exit_code));
                json_object_set_new(j, "reason", json_string(s->reason));
                if (s->message)
                    json_object_set_new(j, "message", json_string(s->message));
            }
            json_array_append_new(a, j);
        }
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/state.json.tmp", sbd_g.statedir);
    snprintf(path, sizeof path, "%s/state.json", sbd_g.statedir);
    json_t *doc = json_pack("{s:o}", "sandboxes", a);
    int rc = json_dump_file(doc, tmp, JSON_INDENT(1));
    json_decref(doc);
    if (rc == 0)
        rc = rename(tmp, path);
    if (rc)
        fprintf(stderr, "wasmboxd: cannot write %s\n", path);
    return rc;
}

int main(int argc, char **argv)
{
    const char *sock = NULL, *dir = NULL;
    long workers = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--listen") && i + 1 < argc)
            sock = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc)
            workers = strtol(argv[++i], NULL, 10);
        else
            usage();
    }
    if (!sock || !dir || workers < 1 || workers > 256)
        usage();
    signal(SIGPIPE, SIG_IGN);

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
    int fd = http ? listen_unix(sock) : -1;
    if (fd < 0 || !evhttp_accept_socket_with_handle(http, fd)) {
        if (!http)
            fprintf(stderr, "wasmboxd: cannot set up the event loop\n");
        return 1;
    }
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
    if (sbd_output_start() || sbd_sched_start((uint32_t)workers)) {
        fprintf(stderr, "wasmboxd: cannot start worker threads\n");
        return 1;
    }
    sbd_g.baseline_rss = sbd_rss_bytes();
    fprintf(stderr, "wasmboxd: listening on %s, state in %s, %ld workers\n", sock, sbd_g.statedir, workers);

    event_base_dispatch(sbd_g.base);

    sbd_sched_stop();
    sbd_api_report_exits();
    int rc = write_state() ? 1 : 0;
    evhttp_free(http);
    unlink(sock);
    pthread_mutex_lock(&sbd_g.lock);
    for (uint32_t i = 0; i < sbd_g.tcap; i++)
        for (sandbox *s = sbd_g.table[i], *n; s; s = n) {
            n = s->hnext;
            sbd_delete(s);
        }
    pthread_mutex_unlock(&sbd_g.lock);
    sbd_output_stop(); /* after the last output was handed over */
    free(sbd_g.table);
    free(sbd_g.heap);
    free(sbd_g.exited);
    event_free(term);
    event_free(intr);
    event_free(sbd_g.exit_ev);
    event_base_free(sbd_g.base);
    free(sbd_g.statedir);
    fprintf(stderr, "wasmboxd: stopped\n");
    return rc;
}
