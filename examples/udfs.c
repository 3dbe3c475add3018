/*
 * udfs.c - example user-defined functions, the kind a tenant ships to the
 * database: freestanding C compiled to a wasm32 module with
 *     clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -o udfs.wasm udfs.c
 * No libc, no OS: the module can only compute.
 */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

EXPORT(gcd) int64_t gcd(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a < 0 ? -a : a;
}

/* Steps of the Collatz sequence from n down to 1. */
EXPORT(collatz) int32_t collatz(int64_t n)
{
    int32_t steps = 0;
    while (n > 1) {
        n = (n & 1) ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}

/* Great-circle distance in km between two points given in degrees, with a
 * polynomial cosine so no libm is needed. */
static double cosine(double x)
{
    const double pi = 3.14159265358979323846;
    while (x > pi)
        x -= 2 * pi;
    while (x < -pi)
        x += 2 * pi;
    double x2 = x * x, term = 1, sum = 1;
    for (int i = 1; i < 12; i++) {
        term *= -x2 / ((2 * i - 1) * (2 * i));
        sum += term;
    }
    return sum;
}

EXPORT(equirect_km) double equirect_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0, rad = 3.14159265358979323846 / 180.0;
    double x = (lon2 - lon1) * rad * cosine((lat1 + lat2) * rad / 2);
    double y = (lat2 - lat1) * rad;
    double d2 = x * x + y * y, s = d2 > 1 ? d2 : 1; /* Newton square root */
    for (int i = 0; i < 60; i++)
        s = 0.5 * (s + d2 / s);
    return r * s;
}

/* A tenant's runaway code: the sandbox stops it by fuel. */
EXPORT(forever) int32_t forever(int32_t x)
{
    volatile int32_t v = x;
    for (;;)
        v = v * 3 + 1;
}
