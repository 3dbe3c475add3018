/*
 * ticker.c - the daemon program of the density benchmark and the daemon
 * tests: prints a line every INTERVAL_MS milliseconds, sleeping in between,
 * COUNT times (0: forever), then exits with status 0.
 *
 *   ticker [INTERVAL_MS [COUNT]]
 *
 * Each line says how late the wake-up was against an absolute schedule
 * ("tick 3 late_us 120"), so a test can check that a guest spinning beside
 * it does not delay it.  Formatting is by hand: 100,000 of these print
 * 100,000 lines a second, and printf's cost would dominate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *p++ = tmp[--n];
    return p;
}

int main(int argc, char **argv)
{
    uint64_t interval = argc > 1 ? strtoull(argv[1], NULL, 10) * 1000u : 1000000u;
    uint64_t count = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
    uint64_t next = now_us() + interval;
    for (uint64_t i = 1; !count || i <= count; i++) {
        uint64_t t = now_us();
        if (t < next) {
            uint64_t d = next - t;
            struct timespec ts = {.tv_sec = (time_t)(d / 1000000u), .tv_nsec = (long)(d % 1000000u) * 1000};
            nanosleep(&ts, NULL);
            t = now_us();
        }
        char line[64], *p = line;
        for (const char *s = "tick "; *s; s++)
            *p++ = *s;
        p = put_u64(p, i);
        for (const char *s = " late_us "; *s; s++)
            *p++ = *s;
        p = put_u64(p, t > next ? t - next : 0);
        *p++ = '\n';
        if (write(1, line, (size_t)(p - line)) < 0)
            return 1;
        next += interval;
    }
    return 0;
}
