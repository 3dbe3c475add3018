/* memory.c - malloc/realloc/free growing past several MiB (memory.grow
 * underneath), qsort and bsearch over structs: results as checksums. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rec {
    uint32_t key;
    char name[12];
} rec;

static int by_key(const void *a, const void *b)
{
    uint32_t x = ((const rec *)a)->key, y = ((const rec *)b)->key;
    return x < y ? -1 : x > y;
}

int main(void)
{
    /* Grow one buffer to 8 MiB, checking that realloc kept the contents. */
    size_t n = 16;
    uint8_t *buf = malloc(n);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 7);
    while (n < (8u << 20)) {
        size_t m = n * 2;
        buf = realloc(buf, m);
        if (!buf)
            return 2;
        for (size_t i = 0; i < n; i++)
            if (buf[i] != (uint8_t)(i * 7)) {
                printf("realloc lost byte %zu\n", i);
                return 3;
            }
        for (size_t i = n; i < m; i++)
            buf[i] = (uint8_t)(i * 7);
        n = m;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = sum * 31 + buf[i];
    printf("grew to %zu bytes, checksum %llu\n", n, (unsigned long long)sum);
    free(buf);

    /* Many small allocations, freed in a scattered order, then reused. */
    void *p[1000];
    for (int i = 0; i < 1000; i++)
        p[i] = calloc(1, (size_t)(i % 97) + 1);
    for (int i = 0; i < 1000; i += 3)
        free(p[i]);
    for (int i = 0; i < 1000; i += 3)
        p[i] = malloc(64);
    for (int i = 0; i < 1000; i++)
        free(p[i]);
    printf("small allocations ok\n");

    /* qsort and bsearch. */
    enum { N = 5000 };
    rec *r = malloc(N * sizeof *r);
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        r[i].key = x >> 8;
        snprintf(r[i].name, sizeof r[i].name, "r%d", i);
    }
    qsort(r, N, sizeof *r, by_key);
    int sorted = 1;
    for (int i = 1; i < N; i++)
        sorted &= r[i - 1].key <= r[i].key;
    rec want = {r[N / 3].key, ""};
    rec *hit = bsearch(&want, r, N, sizeof *r, by_key);
    printf("sorted %d, first %u %s, last %u %s, found %s\n", sorted, r[0].key, r[0].name, r[N - 1].key,
           r[N - 1].name, hit ? hit->name : "none");
    free(r);
    return 0;
}
