/*
 * revlines.c - the example WASI command in C: prints each line of its
 * arguments (if any) or else of standard input reversed by characters, and
 * exits with the number of lines printed (at most 100).  The same program
 * is examples/rust/revlines.rs and examples/assemblyscript/revlines.ts.
 * Build with wasi-libc (docs/guests.md):
 *     clang --target=wasm32-wasi -O2 examples/c/revlines.c -o revlines.wasm
 * Run: wasmbox run revlines.wasm abc dé; echo hello | wasmbox run revlines.wasm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_reversed(const unsigned char *s, size_t len)
{
    char *out = malloc(len + 1);
    for (size_t i = 0; i < len;) {
        size_t n = s[i] < 0x80 ? 1 : s[i] < 0xe0 ? 2 : s[i] < 0xf0 ? 3 : 4;
        for (size_t k = 0; k < n && i + k < len; k++)
            out[len - i - n + k] = (char)s[i + k];
        i += n;
    }
    out[len] = '\n';
    fwrite(out, 1, len + 1, stdout);
    free(out);
}

int main(int argc, char **argv)
{
    int lines = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++, lines++)
            put_reversed((const unsigned char *)argv[i], strlen(argv[i]));
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) > 0) {
            if (line[n - 1] == '\n')
                n--;
            put_reversed((const unsigned char *)line, (size_t)n);
            lines++;
        }
        free(line);
    }
    return lines > 100 ? 100 : lines;
}
