/*
 * kernels.c - the CPU benchmarks, one C source built twice: for wasm32 with
 * clang -O2 (run by wasmbox) and natively with gcc -O2 (the anchor).  Each
 * kernel returns a checksum so both builds can be compared for equality and
 * no compiler can drop the work.
 */
#include <stdint.h>

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name)))
#else
#define EXPORT(name)
#endif

/* Recursive calls: call/return overhead. */
static int32_t fib_rec(int32_t n) { return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2); }
EXPORT(fib) int32_t k_fib(int32_t n) { return fib_rec(n); }

/* A tight integer loop: dispatch and arithmetic. */
EXPORT(loop) int32_t k_loop(int32_t n)
{
    uint32_t a = 1, b = 0;
    for (int32_t i = 0; i < n; i++) {
        a = a * 1664525u + 1013904223u;
        b ^= a >> (i & 7);
    }
    return (int32_t)b;
}

/* Sieve of Eratosthenes: byte loads and stores. */
#define SIEVE_N 1000000
static uint8_t sieve_buf[SIEVE_N];
EXPORT(sieve) int32_t k_sieve(int32_t reps)
{
    int32_t count = 0;
    for (int32_t r = 0; r < reps; r++) {
        for (int32_t i = 0; i < SIEVE_N; i++)
            sieve_buf[i] = 1;
        count = 0;
        for (int32_t i = 2; i < SIEVE_N; i++) {
            if (!sieve_buf[i])
                continue;
            count++;
            for (int32_t j = 2 * i; j < SIEVE_N; j += i)
                sieve_buf[j] = 0;
        }
    }
    return count;
}

/* Double matrix multiply: f64 loads and arithmetic. */
#define MAT_N 128
static double ma[MAT_N * MAT_N], mb[MAT_N * MAT_N], mc[MAT_N * MAT_N];
EXPORT(matmul) int32_t k_matmul(int32_t reps)
{
    for (int i = 0; i < MAT_N * MAT_N; i++) {
        ma[i] = (double)(i % 17) * 0.5;
        mb[i] = (double)(i % 13) * 0.25;
    }
    double sum = 0;
    for (int32_t r = 0; r < reps; r++) {
        for (int i = 0; i < MAT_N; i++)
            for (int j = 0; j < MAT_N; j++) {
                double s = 0;
                for (int k = 0; k < MAT_N; k++)
                    s += ma[i * MAT_N + k] * mb[k * MAT_N + j];
                mc[i * MAT_N + j] = s;
            }
        sum += mc[(r * 7) % (MAT_N * MAT_N)];
    }
    return (int32_t)sum;
}

/* FNV-1a and a 32-bit mix over a buffer: the inner loop of a hash function. */
#define HASH_LEN 65536
static uint8_t hash_buf[HASH_LEN];
EXPORT(hash) int32_t k_hash(int32_t reps)
{
    for (int i = 0; i < HASH_LEN; i++)
        hash_buf[i] = (uint8_t)(i * 31 + 7);
    uint32_t h = 2166136261u;
    for (int32_t r = 0; r < reps; r++) {
        for (int i = 0; i < HASH_LEN; i += 4) {
            uint32_t w = (uint32_t)hash_buf[i] | (uint32_t)hash_buf[i + 1] << 8 |
                         (uint32_t)hash_buf[i + 2] << 16 | (uint32_t)hash_buf[i + 3] << 24;
            w *= 0xcc9e2d51u;
            w = (w << 15) | (w >> 17);
            h = (h ^ w) * 16777619u;
            h = (h << 13) | (h >> 19);
        }
    }
    return (int32_t)h;
}

/* CoreMark-like mix: a state machine over a string (switch), a linked list
 * walk, and calls through function pointers. */
typedef struct node {
    struct node *next;
    int32_t val;
} node;
#define NODES 512
static node nodes[NODES];
static int32_t op_add(int32_t a, int32_t b) { return a + b; }
static int32_t op_xor(int32_t a, int32_t b) { return a ^ (b << 1); }
static int32_t op_sub(int32_t a, int32_t b) { return a - b * 3; }
static int32_t op_mul(int32_t a, int32_t b) { return a * (b | 1); }
static int32_t (*const ops[4])(int32_t, int32_t) = {op_add, op_xor, op_sub, op_mul};
static const char text[] = "123,4.5e6 -78 +9.0 abc 1e-3,,42 7.7.7 0x1f -0 3e+ 99";

static int32_t scan(const char *s)
{
    enum { START, INT, FRAC, EXP, EXPSIGN, EXPINT, BAD } st = START;
    int32_t counts[7] = {0};
    for (; *s; s++) {
        char c = *s;
        switch (st) {
        case START:
            st = (c >= '0' && c <= '9') ? INT : (c == '+' || c == '-') ? INT : (c == '.') ? FRAC : BAD;
            break;
        case INT:
            if (c == '.')
                st = FRAC;
            else if (c == 'e' || c == 'E')
                st = EXP;
            else if (c == ' ' || c == ',') {
                counts[INT]++;
                st = START;
            } else if (c < '0' || c > '9')
                st = BAD;
            break;
        case FRAC:
            if (c == 'e' || c == 'E')
                st = EXP;
            else if (c == ' ' || c == ',') {
                counts[FRAC]++;
                st = START;
            } else if (c < '0' || c > '9')
                st = BAD;
            break;
        case EXP:
            st = (c == '+' || c == '-') ? EXPSIGN : (c >= '0' && c <= '9') ? EXPINT : BAD;
            break;
        case EXPSIGN:
        case EXPINT:
            if (c >= '0' && c <= '9')
                st = EXPINT;
            else if (c == ' ' || c == ',') {
                counts[EXPINT]++;
                st = START;
            } else
                st = BAD;
            break;
        case BAD:
            if (c == ' ' || c == ',') {
                counts[BAD]++;
                st = START;
            }
            break;
        }
    }
    return counts[INT] * 1 + counts[FRAC] * 10 + counts[EXPINT] * 100 + counts[BAD] * 1000;
}

EXPORT(mixed) int32_t k_mixed(int32_t reps)
{
    for (int i = 0; i < NODES; i++) {
        nodes[i].val = i * 7 + 3;
        nodes[i].next = &nodes[(i * 37 + 11) % NODES];
    }
    int32_t acc = 0;
    for (int32_t r = 0; r < reps; r++) {
        node *p = &nodes[r % NODES];
        for (int i = 0; i < 64; i++) {
            acc = ops[(p->val + i) & 3](acc, p->val);
            p->val = (p->val * 5 + acc) & 0xffff;
            p = p->next;
        }
        acc += scan(text);
    }
    return acc;
}
