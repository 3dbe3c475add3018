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
 * busy directory, and that must not delay the guests.  The buffer belongs to
 * whoever owns the sandbox (its worker while it runs, else whoever holds the
 * daemon lock); a handed-over buffer belongs to the writer.
 */
#include "sandboxd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Output handed to the writer: the bytes and where they go. */
typedef struct job {
    struct job *next;
    char *path, *buf;
    size_t len;
    bool trunc; /* the sandbox's first output replaces an old file of its id */
} job;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t more, done;
    job *head, *tail;
    uint64_t queued, written; /* jobs */
    bool running, stop;
    pthread_t thread;
} wq = {.mu = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static void write_job(job *j)
{
    int fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (j->trunc ? O_TRUNC : 0), 0644);
    size_t done = 0;
    if (fd >= 0) {
        while (done < j->len) {
            ssize_t w = write(fd, j->buf + done, j->len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            done += (size_t)w;
        }
        close(fd);
    }
    if (done < j->len)
        fprintf(stderr, "wasmboxd: cannot write %s: %s; %zu bytes of output lost\n", j->path,
                fd < 0 ? strerror(errno) : "short write", j->len - done);
    free(j->buf);
    free(j->path);
    free(j);
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wq.mu);
    for (;;) {
        while (!wq.head && !wq.stop)
            pthread_cond_wait(&wq.more, &wq.mu);
        job *j = wq.head;
        if (!j)
            break; /* stopping, and everything is written */
        wq.head = j->next;
        if (!wq.head)
            wq.tail = NULL;
        pthread_mutex_unlock(&wq.mu);
        write_job(j);
        pthread_mutex_lock(&wq.mu);
        wq.written++;
        pthread_cond_broadcast(&wq.done);
    }
    pthread_mutex_unlock(&wq.mu);
    return NULL;
}

int sbd_output_start(void)
{
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
}

void sbd_output_sync(void)
{
    pthread_mutex_lock(&wq.mu);
    uint64_t target = wq.queued;
    while (wq.running && wq.written < target)
        pthread_cond_wait(&wq.done, &wq.mu);
    pthread_mutex_unlock(&wq.mu);
}

/* Hands buf[0..len) (malloc'd, now the writer's) to the writer; without a
 * writer thread (it is stopped) writes it here. */
static void submit(const char *path, char *buf, size_t len, bool trunc)
{
    job *j = malloc(sizeof *j);
    char *p = strdup(path);
    if (!j || !p) {
        free(j);
        free(p);
        free(buf);
        return; /* dropped: out of memory */
    }
    *j = (job){NULL, p, buf, len, trunc};
    pthread_mutex_lock(&wq.mu);
    if (!wq.running) {
        pthread_mutex_unlock(&wq.mu);
        write_job(j);
        return;
    }
    if (wq.tail)
        wq.tail->next = j;
    else
        wq.head = j;
    wq.tail = j;
    wq.queued++;
    pthread_cond_signal(&wq.more);
    pthread_mutex_unlock(&wq.mu);
}

int sbd_output_open(sbd_output *o, const char *path, char *why, size_t whylen)
{
    memset(o, 0, sizeof *o);
    /* The file itself is created at the first flush: a million sandboxes
     * that never print should not cost two million files.  A directory
     * that cannot take it is the create request's error, though. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash[1] == 0) {
        snprintf(why, whylen, "bad output path %s", path);
        return -1;
    }
    *slash = 0;
    if (access(dir[0] ? dir : "/", W_OK | X_OK)) {
        snprintf(why, whylen, "cannot write output %s: %s", path, strerror(errno));
        return -1;
    }
    o->path = strdup(path);
    if (!o->path) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

void sbd_output_append(sbd_output *o, const void *p, size_t n)
{
    if (!n)
        return;
    if (o->len + n > o->cap) {
        if (o->len + n > SBD_OUT_MAX_BUFFER) {
            sbd_output_flush(o, true);
            if (n > SBD_OUT_MAX_BUFFER) { /* one huge write: straight to the writer */
                char *b = malloc(n);
                if (b) {
                    memcpy(b, p, n);
                    submit(o->path, b, n, !o->written);
                    o->written += n;
                }
                return;
            }
        }
        uint32_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n)
            cap *= 2;
        char *b = realloc(o->buf, cap);
        if (!b)
            return; /* dropped: the guest is not told, as with a full pipe it would block */
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
    if (!o->len || !o->path)
        return;
    if (!force && o->len < SBD_OUT_FLUSH_BYTES && sbd_now_ns() - o->since_ns < SBD_OUT_FLUSH_NS)
        return;
    submit(o->path, o->buf, o->len, !o->written);
    o->written += o->len;
    o->buf = NULL;
    o->len = o->cap = 0;
}

void sbd_output_free(sbd_output *o)
{
    free(o->buf);
    free(o->path);
    memset(o, 0, sizeof *o);
}
