/*
 * output.c - a sandbox's stdout/stderr file.
 *
 * 100,000 sandboxes cannot each hold an open file (RLIMIT_NOFILE is 20,000
 * here and often 1,024) nor a thread, and a write per line would cost more
 * CPU than the guests.  So output is buffered per sandbox and handed to one
 * writer thread, which appends it to the file (open O_APPEND, write, close),
 * when enough has gathered, when the oldest byte is a couple of seconds old,
 * when the sandbox exits, and when a client asks for the logs.  Workers never
 * touch the file system: creating a file can stall for milliseconds on a
 * busy directory, and that must not delay the guests.  Nor does the event
 * loop: the logs are read back by the writer too, in order after the output
 * handed over before, and the loop is handed an open descriptor.  The buffer
 * belongs to whoever owns the sandbox (its worker while it runs, else
 * whoever holds the daemon lock); a handed-over buffer belongs to the writer.
 *
 * The file may lie in a directory the guest can write (a preopen), where the
 * guest can replace it, or a directory on its way, with a link or a FIFO.
 * So it is opened without following any link on its whole path (O_NOFOLLOW
 * one component at a time from /), without blocking (O_NONBLOCK: a FIFO
 * with no reader is refused, not waited for), and used only if it is a
 * regular file.  Output that cannot be written so is dropped and counted.
 *
 * A front end may give a descriptor instead (the containerd shim: the FIFO
 * containerd reads, opened read+write so that writing never fails for want
 * of a reader).  Those are written without blocking; what the pipe cannot
 * take yet waits in the sink's backlog (at most SBD_PIPE_BACKLOG) and the
 * writer tries again every SBD_PIPE_RETRY_NS, so a slow reader loses
 * nothing and a stalled one stalls no other stream.  When the sandbox ends
 * (sbd_output_end), the descriptor is closed once its reader has read every
 * byte, or has read nothing for SBD_PIPE_LINGER_NS (nobody reads: the rest
 * is dropped); sbd_output_done says when, and the front end hears of it
 * through sbd_g.exit_ev, so that it can tell of the exit only then.
 */
#include "core.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Work for the writer: bytes to append, or a file to read back. */
typedef struct job {
    struct job *next;
    sbd_sink *sink;
    char *buf;
    size_t len;
    bool read;
    bool end; /* fd sink: the sandbox exited, close the descriptor once its bytes are out */
    uint64_t tail;
    sbd_read_done done;
    void *arg;
} job;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t more;
    job *head, *tail;
    uint64_t queued_bytes;
    bool running, stop;
    pthread_t thread;
    sbd_sink *stalled; /* fd sinks with a backlog (the writer's) */
} wq = {.mu = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER};

/* ---- sinks -------------------------------------------------------------------------------- */

static void sink_put(sbd_sink *k)
{
    if (k && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        if (k->fd >= 0 && !k->ended)
            close(k->fd);
        free(k->backlog);
        free(k->path);
        free(k);
    }
}

static void drop(sbd_sink *k, uint64_t n)
{
    __atomic_add_fetch(&k->dropped, n, __ATOMIC_RELAXED);
}

/* ---- opening without links ---------------------------------------------------------------- */

/* Opens the absolute path (no "." or ".." in it: sbd_output_open made it so)
 * with flags, following no link anywhere on it, never blocking; a regular
 * file only.  -1 with errno and *why otherwise. */
static int open_nofollow(const char *path, int flags, const char **why)
{
    int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    const char *p = path + 1, *slash;
    while (dir >= 0 && (slash = strchr(p, '/'))) {
        char comp[256]; /* Linux's NAME_MAX + 1 (-Isrc hides <limits.h> behind the engine's) */
        size_t n = (size_t)(slash - p);
        int next = -1;
        if (n < sizeof comp) {
            memcpy(comp, p, n);
            comp[n] = 0;
            next = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        } else {
            errno = ENAMETOOLONG;
        }
        int e = errno;
        close(dir);
        if (next < 0) {
            *why = e == ENOTDIR || e == ELOOP ? "a link or a non-directory on its path" : strerror(e);
            errno = e;
            return -1;
        }
        dir = next;
        p = slash + 1;
    }
    if (dir < 0) {
        *why = strerror(errno);
        return -1;
    }
    int fd = openat(dir, p, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    int e = errno;
    close(dir);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
        e = EINVAL;
    }
    if (fd < 0) {
        /* ELOOP: the file is a link; ENXIO: a FIFO nobody reads */
        *why = e == ELOOP ? "it is a symbolic link" : e == ENXIO || e == EINVAL ? "not a regular file" : strerror(e);
        errno = e;
    }
    return fd;
}

/* ---- the writer ------------------------------------------------------------------------------ */

/* ---- descriptors (FIFOs) ---------------------------------------------------------------- */

/* Writes what the pipe takes of p; returns how much, or -1 on an error
 * other than a full pipe. */
static ssize_t write_some(int fd, const char *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0)
            return done ? (ssize_t)done : -1;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

/* Puts k on the writer's list of sinks to try again. */
static void stall(sbd_sink *k)
{
    if (k->stalled)
        return;
    k->stalled = true;
    k->progress_ns = sbd_now_ns();
    __atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
    k->stalled_next = wq.stalled;
    wq.stalled = k;
}

/* The bytes the pipe still holds that nobody has read. */
static int unread(const sbd_sink *k)
{
    int n = 0;
    return k->fd >= 0 && !k->ended && ioctl(k->fd, FIONREAD, &n) == 0 ? n : 0;
}

/* Keeps p in k's backlog (up to SBD_PIPE_BACKLOG; the rest is dropped). */
static void keep(sbd_sink *k, const char *p, size_t n)
{
    size_t room = SBD_PIPE_BACKLOG - k->blen, take = n < room ? n : room;
    if (k->blen + take > k->bcap) {
        size_t cap = k->bcap ? k->bcap : 4096;
        while (cap < k->blen + take)
            cap *= 2;
        char *b = realloc(k->backlog, cap);
        if (!b)
            take = 0;
        else {
            k->backlog = b;
            k->bcap = cap;
        }
    }
    memcpy(k->backlog + k->blen, p, take);
    k->blen += take;
    if (take < n) {
        drop(k, n - take);
        sbd_log("%s of %s: nobody reads it, %zu bytes dropped", k->stream, k->id, n - take);
    }
    if (k->blen)
        stall(k);
}

/* Closes k's descriptor; a sandbox's end (sbd_output_end) is then done
 * with, which the front end hears of through sbd_g.exit_ev. */
static void close_fd(sbd_sink *k)
{
    if (k->fd >= 0 && !k->ended)
        close(k->fd);
    __atomic_store_n(&k->ended, true, __ATOMIC_RELEASE);
    if (k->ending && sbd_g.exit_ev)
        event_active(sbd_g.exit_ev, 0, 0);
}

/* The reader sees end of file once every byte before it was written and
 * read (retry_stalled closes the pipe then, or once the reader has taken
 * nothing for SBD_PIPE_LINGER_NS). */
static void end_fd(sbd_sink *k)
{
    k->ending = true;
    k->unread = unread(k);
    if (!k->blen && !k->unread) {
        close_fd(k);
        return;
    }
    stall(k);
    k->progress_ns = sbd_now_ns(); /* the wait starts now, also for a sink stalled before */
}

static void write_fd(sbd_sink *k, const char *p, size_t n)
{
    if (k->ended) {
        drop(k, n);
        return;
    }
    if (k->blen) { /* behind earlier bytes */
        keep(k, p, n);
        return;
    }
    ssize_t w = write_some(k->fd, p, n);
    if (w < 0) {
        drop(k, n);
        sbd_log("%s of %s: %s; %zu bytes dropped", k->stream, k->id, strerror(errno), n);
        return;
    }
    if ((size_t)w < n)
        keep(k, p + w, n - (size_t)w);
}

/* Tries the stalled sinks again.  A sink leaves the list once its backlog
 * is out, and an ended sandbox's once its reader also took what the pipe
 * holds.  One whose sandbox ended or was deleted (only the list holds it)
 * and whose reader has taken nothing for SBD_PIPE_LINGER_NS is let go: the
 * rest of its backlog is dropped, and nobody is taken to be reading. */
static void retry_stalled(void)
{
    uint64_t now = sbd_now_ns();
    sbd_sink **pp = &wq.stalled;
    while (*pp) {
        sbd_sink *k = *pp;
        ssize_t w = write_some(k->fd, k->backlog, k->blen);
        const char *why = w < 0 ? strerror(errno) : "nobody reads it";
        if (w > 0) {
            memmove(k->backlog, k->backlog + w, k->blen - (size_t)w);
            k->blen -= (size_t)w;
        }
        int left = unread(k);
        if (w > 0 || left < k->unread)
            k->progress_ns = now;
        k->unread = left;
        bool orphan = __atomic_load_n(&k->refs, __ATOMIC_ACQUIRE) == 1;
        bool idle = now - k->progress_ns >= SBD_PIPE_LINGER_NS;
        if (w < 0 || (!k->blen && (!k->ending || !left)) || ((k->ending || orphan) && idle)) {
            if (k->blen) {
                drop(k, k->blen);
                sbd_log("%s of %s: %s; %zu bytes dropped", k->stream, k->id, why, k->blen);
            }
            k->blen = 0;
            k->stalled = false;
            if (k->ending)
                close_fd(k);
            *pp = k->stalled_next;
            sink_put(k);
            continue;
        }
        pp = &k->stalled_next;
    }
}

static void write_job(job *j)
{
    const char *why = "";
    sbd_sink *k = j->sink;
    if (k->fd >= 0) {
        if (j->end)
            end_fd(k);
        else
            write_fd(k, j->buf, j->len);
        return;
    }
    int fd = open_nofollow(k->path, O_WRONLY | O_APPEND | O_CREAT, &why);
    size_t done = 0;
    if (fd >= 0) {
        /* The sandbox's first output replaces what an earlier sandbox of
         * its id left (only the writer touches fresh). */
        if (k->fresh && ftruncate(fd, 0) == 0)
            k->fresh = false;
        while (done < j->len) {
            ssize_t w = write(fd, j->buf + done, j->len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                why = w < 0 ? strerror(errno) : "short write";
                break;
            }
            done += (size_t)w;
        }
        close(fd);
    }
    if (done < j->len) {
        drop(k, j->len - done);
        sbd_log("%s of %s: cannot write %s: %s; %zu bytes dropped", k->stream, k->id, k->path, why, j->len - done);
    }
}

/* A read-back's answer, carried to the event loop. */
typedef struct answer {
    sbd_read_done done;
    void *arg;
    int fd;
    uint64_t off, len;
    char why[512];
} answer;

static void deliver(evutil_socket_t unused, short what, void *arg)
{
    answer *a = arg;
    a->done(a->arg, a->fd, a->off, a->len, a->fd < 0 && a->why[0] ? a->why : NULL);
    free(a);
}

static void read_job(job *j)
{
    answer *a = calloc(1, sizeof *a);
    if (!a) {
        j->done(j->arg, -1, 0, 0, "out of memory"); /* not on the loop, but nothing to wait for */
        return;
    }
    *a = (answer){.done = j->done, .arg = j->arg, .fd = -1};
    const char *why = "";
    int fd = j->sink->path ? open_nofollow(j->sink->path, O_RDONLY, &why) : -1;
    struct stat st;
    if (j->sink->fd >= 0) {
        snprintf(a->why, sizeof a->why, "%s of %s is a stream, not a file", j->sink->stream, j->sink->id);
    } else if (fd >= 0 && fstat(fd, &st) == 0) {
        uint64_t size = (uint64_t)st.st_size;
        a->fd = fd;
        a->off = size > j->tail ? size - j->tail : 0;
        a->len = size - a->off;
    } else if (fd >= 0) {
        snprintf(a->why, sizeof a->why, "cannot read %s: %s", j->sink->path, strerror(errno));
        close(fd);
    } else if (errno != ENOENT) { /* ENOENT: removed by the guest, nothing to show */
        snprintf(a->why, sizeof a->why, "%s of %s is %s: %s", j->sink->stream, j->sink->id, j->sink->path, why);
    }
    const struct timeval now = {0, 0};
    if (!wq.running || event_base_once(sbd_g.base, -1, EV_TIMEOUT, deliver, a, &now))
        deliver(-1, 0, a);
}

static void job_free(job *j)
{
    sink_put(j->sink);
    free(j->buf);
    free(j);
}

static void run_job(job *j)
{
    if (j->read)
        read_job(j);
    else
        write_job(j);
    job_free(j);
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wq.mu);
    uint64_t retried = 0;
    for (;;) {
        while (!wq.head && !wq.stop) {
            if (!wq.stalled) {
                pthread_cond_wait(&wq.more, &wq.mu);
                continue;
            }
            uint64_t until = retried + SBD_PIPE_RETRY_NS;
            struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u), .tv_nsec = (long)(until % 1000000000u)};
            if (sbd_now_ns() < until && pthread_cond_timedwait(&wq.more, &wq.mu, &ts) != ETIMEDOUT)
                continue;
            break;
        }
        if (wq.stalled && sbd_now_ns() - retried >= SBD_PIPE_RETRY_NS) { /* also while jobs keep coming */
            pthread_mutex_unlock(&wq.mu);
            retry_stalled();
            retried = sbd_now_ns();
            pthread_mutex_lock(&wq.mu);
            continue;
        }
        job *j = wq.head;
        if (!j)
            break; /* stopping, and everything is written */
        wq.head = j->next;
        if (!wq.head)
            wq.tail = NULL;
        wq.queued_bytes -= j->len;
        pthread_mutex_unlock(&wq.mu);
        run_job(j);
        pthread_mutex_lock(&wq.mu);
    }
    pthread_mutex_unlock(&wq.mu);
    return NULL;
}

int sbd_output_start(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wq.more, &ca);
    pthread_condattr_destroy(&ca);
    wq.stop = false;
    if (pthread_create(&wq.thread, NULL, writer, NULL))
        return -1;
    wq.running = true;
    return 0;
}

void sbd_output_stop(void)
{
    if (!wq.running)
        return;
    pthread_mutex_lock(&wq.mu);
    wq.stop = true;
    pthread_cond_signal(&wq.more);
    pthread_mutex_unlock(&wq.mu);
    pthread_join(wq.thread, NULL);
    wq.running = false;
    for (sbd_sink *k = wq.stalled, *n; k; k = n) { /* what no reader took by now is dropped */
        n = k->stalled_next;
        k->stalled = false;
        sink_put(k);
    }
    wq.stalled = NULL;
}

/* Queues j (whose buf is now the writer's); without a writer thread (it is
 * stopped) runs it here.  Output past SBD_OUT_MAX_QUEUED is dropped. */
static void submit(job *j)
{
    __atomic_add_fetch(&j->sink->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&wq.mu);
    if (!wq.running) {
        pthread_mutex_unlock(&wq.mu);
        run_job(j);
        return;
    }
    if (j->len && wq.queued_bytes + j->len > SBD_OUT_MAX_QUEUED) {
        pthread_mutex_unlock(&wq.mu);
        drop(j->sink, j->len);
        sbd_log("%s of %s: %zu bytes dropped: %llu MiB of output wait for the disk already", j->sink->stream,
                j->sink->id, j->len, (unsigned long long)(SBD_OUT_MAX_QUEUED >> 20));
        job_free(j);
        return;
    }
    if (wq.tail)
        wq.tail->next = j;
    else
        wq.head = j;
    wq.tail = j;
    wq.queued_bytes += j->len;
    pthread_cond_signal(&wq.more);
    pthread_mutex_unlock(&wq.mu);
}

static void submit_bytes(sbd_output *o, char *buf, size_t len)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        drop(o->sink, len);
        free(buf);
        return;
    }
    *j = (job){.sink = o->sink, .buf = buf, .len = len};
    o->written += len;
    __atomic_store_n(&o->sink->handed, true, __ATOMIC_RELEASE);
    submit(j);
}

/* ---- a sandbox's side ------------------------------------------------------------------------ */

/* Whether every component of the absolute path is a name ("", "." and ".."
 * are not: the file is found by walking names, never through a link). */
static bool plain_path(const char *path)
{
    for (const char *p = path + 1;;) {
        size_t n = strcspn(p, "/");
        if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

int sbd_output_open(sbd_output *o, const char *path, const char *id, const char *stream, char *why,
                    size_t whylen)
{
    memset(o, 0, sizeof *o);
    o->limit = sbd_g.opt.max_output;
    /* The file itself is created at the first flush: a million sandboxes
     * that never print should not cost two million files.  A path that
     * cannot take it is the create request's error, though.  The client's
     * own links in the directory's path are resolved now, once; after this
     * the writer follows none. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (path[0] != '/' || strlen(path) >= sizeof dir || !plain_path(path)) {
        snprintf(why, whylen, "bad %s path %.200s: an absolute path of names, no \".\", \"..\" or \"//\"", stream, path);
        return -1;
    }
    *slash = 0;
    char *real = realpath(dir[0] ? dir : "/", NULL);
    struct stat st;
    if (!real || access(real, W_OK | X_OK)) {
        snprintf(why, whylen, "cannot write %s %.200s: %s", stream, path, strerror(errno));
        free(real);
        return -1;
    }
    if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "%s %.200s is not a regular file%s", stream, path,
                 S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
        free(real);
        return -1;
    }
    sbd_sink *k = calloc(1, sizeof *k);
    size_t n = strlen(real) + strlen(slash + 1) + 2;
    char *full = k ? malloc(n) : NULL;
    if (!full) {
        free(k);
        free(real);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    snprintf(full, n, "%s/%s", strcmp(real, "/") ? real : "", slash + 1);
    free(real);
    *k = (sbd_sink){.path = full, .fd = -1, .stream = stream, .refs = 1, .fresh = true};
    snprintf(k->id, sizeof k->id, "%s", id);
    o->sink = k;
    return 0;
}

int sbd_output_open_fd(sbd_output *o, int fd, const char *id, const char *stream, char *why, size_t whylen)
{
    memset(o, 0, sizeof *o);
    o->limit = UINT64_MAX; /* a stream keeps no file to fill; a stalled one is bounded by its backlog */
    o->eager = true;
    sbd_sink *k = calloc(1, sizeof *k);
    if (!k) {
        close(fd);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    *k = (sbd_sink){.fd = fd, .stream = stream, .refs = 1};
    snprintf(k->id, sizeof k->id, "%s", id);
    o->sink = k;
    return 0;
}

void sbd_output_append(sbd_output *o, const void *p, size_t n)
{
    uint64_t used = o->written + o->len, room = o->limit > used ? o->limit - used : 0;
    if (n > room) {
        if (!sbd_output_dropped(o))
            sbd_log("%s of %s: over --max-output (%llu bytes); the rest is dropped", o->sink->stream, o->sink->id,
                    (unsigned long long)o->limit);
        drop(o->sink, n - room);
        n = (size_t)room;
    }
    if (!n)
        return;
    if (o->len + n > o->cap) {
        if (o->len + n > SBD_OUT_MAX_BUFFER) {
            sbd_output_flush(o, true);
            if (n > SBD_OUT_MAX_BUFFER) { /* one huge write: straight to the writer */
                char *b = malloc(n);
                if (b) {
                    memcpy(b, p, n);
                    submit_bytes(o, b, n);
                } else {
                    drop(o->sink, n);
                }
                return;
            }
        }
        uint32_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n)
            cap *= 2;
        char *b = realloc(o->buf, cap);
        if (!b) { /* the guest is not told, as with a full pipe it would block */
            drop(o->sink, n);
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    if (!o->len)
        o->since_ns = sbd_now_ns();
    memcpy(o->buf + o->len, p, n);
    o->len += (uint32_t)n;
}

void sbd_output_flush(sbd_output *o, bool force)
{
    if (!o->len || !o->sink)
        return;
    if (!force && !o->eager && o->len < SBD_OUT_FLUSH_BYTES && sbd_now_ns() - o->since_ns < SBD_OUT_FLUSH_NS)
        return;
    char *buf = o->buf;
    size_t len = o->len;
    o->buf = NULL;
    o->len = o->cap = 0;
    submit_bytes(o, buf, len);
}

uint64_t sbd_output_dropped(const sbd_output *o)
{
    return o->sink ? __atomic_load_n(&o->sink->dropped, __ATOMIC_RELAXED) : 0;
}

bool sbd_output_printed(const sbd_output *o)
{
    return o->sink && __atomic_load_n(&o->sink->handed, __ATOMIC_ACQUIRE);
}

void sbd_output_end(sbd_output *o)
{
    if (!o->sink || o->sink->fd < 0)
        return;
    job *j = calloc(1, sizeof *j);
    if (!j)
        return; /* closed when the sandbox is deleted instead */
    *j = (job){.sink = o->sink, .end = true};
    o->ending = true;
    submit(j);
}

bool sbd_output_done(const sbd_output *o)
{
    return !o->ending || __atomic_load_n(&o->sink->ended, __ATOMIC_ACQUIRE);
}

void sbd_output_read(const sbd_output *o, uint64_t tail, sbd_read_done done, void *arg)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        done(arg, -1, 0, 0, "out of memory");
        return;
    }
    *j = (job){.sink = o->sink, .read = true, .tail = tail, .done = done, .arg = arg};
    submit(j);
}

void sbd_output_free(sbd_output *o)
{
    free(o->buf);
    sink_put(o->sink);
    memset(o, 0, sizeof *o);
}
