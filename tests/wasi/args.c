/* args.c - argv and the environment exactly as granted, and the exit code
 * taken from the first argument. */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++) /* argv[0] is the runner's choice of name */
        printf("argv[%d] = [%s]\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; *e; e++)
        printf("env [%s]\n", *e), n++;
    printf("%d variables; GREETING=%s; PATH is %s\n", n, getenv("GREETING") ? getenv("GREETING") : "(unset)",
           getenv("PATH") ? "set" : "unset");
    fprintf(stderr, "to stderr\n");
    int code = argc > 1 ? atoi(argv[1]) : 0;
    if (code == 99)
        return 42; /* return from main, not exit() */
    exit(code);
}
