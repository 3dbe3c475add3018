/* trap.c - a guest that traps in a named function: `wasmbox run` must exit
 * 134 and print the trap with a backtrace naming the functions. */
#include <stdio.h>

__attribute__((noinline)) static int inner_fault(int x)
{
    if (x > 0)
        __builtin_trap();
    return x;
}

__attribute__((noinline)) int outer_caller(int x) { return inner_fault(x) + 1; }

int main(int argc, char **argv)
{
    (void)argv;
    printf("before the trap\n");
    fflush(stdout);
    return outer_caller(argc);
}
