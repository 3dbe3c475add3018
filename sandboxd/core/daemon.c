/*
 * daemon.c - the daemon's one global state and the few services every file
 * uses: the monotonic clock, the process's resident memory, and a log that a
 * guest or a client cannot flood.
 */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
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

/* One budget of lines per second for the whole daemon: what floods the log
 * (a writer refusing a guest's link, accept failing without descriptors) is
 * one condition repeated, and its first lines say what it is. */
static struct {
    pthread_mutex_t mu;
    uint64_t second;
    uint32_t lines;
    uint64_t suppressed;
} lg = {.mu = PTHREAD_MUTEX_INITIALIZER};

void sbd_log(const char *fmt, ...)
{
    uint64_t now = sbd_now_ns() / 1000000000u, missed = 0;
    pthread_mutex_lock(&lg.mu);
    if (now != lg.second) {
        lg.second = now;
        lg.lines = 0;
    }
    bool say = lg.lines < SBD_LOG_PER_SEC;
    if (say) {
        lg.lines++;
        missed = lg.suppressed;
        lg.suppressed = 0;
    } else {
        lg.suppressed++;
    }
    pthread_mutex_unlock(&lg.mu);
    if (!say)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    const char *name = sbd_g.name ? sbd_g.name : "wasmboxd";
    if (missed)
        fprintf(stderr, "%s: %s (%llu lines suppressed before this one)\n", name, line, (unsigned long long)missed);
    else
        fprintf(stderr, "%s: %s\n", name, line);
}
