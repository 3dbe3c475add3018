/* hello.c - the containerd tests' guest: prints its arguments and the
 * GREETING variable, and exits with the code its first argument names
 * ("exit=N"); "lines=N" prints N more numbered lines first (for the
 * detached and output tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int code = 0, lines = 0;
    printf("hello from %s:", argc ? argv[0] : "?");
    for (int i = 1; i < argc; i++) {
        printf(" %s", argv[i]);
        if (!strncmp(argv[i], "exit=", 5))
            code = atoi(argv[i] + 5);
        if (!strncmp(argv[i], "lines=", 6))
            lines = atoi(argv[i] + 6);
    }
    const char *g = getenv("GREETING");
    printf("\nGREETING=%s\n", g ? g : "(unset)");
    for (int i = 0; i < lines; i++)
        printf("line %d\n", i);
    fprintf(stderr, "to stderr\n");
    return code;
}
