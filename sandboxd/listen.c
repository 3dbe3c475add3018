/*
 * listen.c - the control socket and how connections are accepted.
 *
 * Guests hold host descriptors (preopens, files they open), so the process
 * can run out of them.  A listening socket that cannot accept stays
 * readable: accepting in a loop would spin a core and log each failure.
 * Instead the daemon keeps one descriptor in reserve, given up to accept
 * the next connection when the others are gone (so a client can still kill
 * the sandbox that took them), and after that stops listening for a while,
 * doubling the pause up to a second, and logs through the rate limit.
 */
#include "sandboxd.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct {
    struct evconnlistener *lev;
    struct event *retry;
    int reserve;
    uint32_t backoff_ms;
} ls = {.reserve = -1};

static void take_reserve(void)
{
    if (ls.reserve < 0)
        ls.reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    take_reserve();
    /* A descriptor came back: the next failure starts from a short pause. */
    if (ls.reserve >= 0)
        ls.backoff_ms = 0;
    evconnlistener_enable(ls.lev);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    int err = EVUTIL_SOCKET_ERROR();
    bool out_of_fds = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
    if (out_of_fds && ls.reserve >= 0) {
        close(ls.reserve); /* the listener accepts again at once, with it */
        ls.reserve = -1;
        sbd_log("accept: %s; accepting with the descriptor kept in reserve", strerror(err));
        return;
    }
    ls.backoff_ms = ls.backoff_ms ? ls.backoff_ms * 2 : SBD_ACCEPT_BACKOFF_MIN_MS;
    if (ls.backoff_ms > SBD_ACCEPT_BACKOFF_MAX_MS)
        ls.backoff_ms = SBD_ACCEPT_BACKOFF_MAX_MS;
    sbd_log("accept: %s; not accepting for %u ms", strerror(err), ls.backoff_ms);
    evconnlistener_disable(lev);
    struct timeval tv = {.tv_sec = ls.backoff_ms / 1000, .tv_usec = (ls.backoff_ms % 1000) * 1000};
    event_add(ls.retry, &tv);
}

static int socket_at(const char *path)
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

int sbd_listen(struct evhttp *http, const char *path)
{
    int fd = socket_at(path);
    if (fd < 0)
        return -1;
    ls.lev = evconnlistener_new(sbd_g.base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    ls.retry = event_new(sbd_g.base, -1, 0, on_retry, NULL);
    if (!ls.lev || !ls.retry || !evhttp_bind_listener(http, ls.lev)) {
        fprintf(stderr, "wasmboxd: cannot listen on %s\n", path);
        if (!ls.lev)
            close(fd);
        return -1;
    }
    evconnlistener_set_error_cb(ls.lev, on_accept_error);
    take_reserve();
    return 0;
}

/* The listener itself is evhttp's to free (evhttp_free). */
void sbd_listen_close(void)
{
    if (ls.retry)
        event_free(ls.retry);
    if (ls.reserve >= 0)
        close(ls.reserve);
    ls.retry = NULL;
    ls.reserve = -1;
}
