/* clock.c - the clocks move forward and a sleep sleeps at least as long as
 * asked: printed as booleans, so the output does not depend on timing. */
#include <stdio.h>
#include <time.h>

static long long ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
    long long m0 = ns(CLOCK_MONOTONIC), r0 = ns(CLOCK_REALTIME);
    struct timespec d = {0, 20 * 1000000};
    int rc = nanosleep(&d, NULL);
    long long m1 = ns(CLOCK_MONOTONIC);
    struct timespec res;
    printf("nanosleep returned %d\n", rc);
    printf("slept >= 20 ms: %d\n", m1 - m0 >= 20000000LL);
    printf("slept < 2 s: %d\n", m1 - m0 < 2000000000LL);
    printf("realtime after 2020: %d\n", r0 / 1000000000LL > 1577836800LL);
    printf("monotonic resolution <= 1 ms: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 &&
                                                    res.tv_nsec <= 1000000);
    printf("time() agrees with realtime: %d\n", (long long)time(NULL) - r0 / 1000000000LL < 5);
    return 0;
}
