/* native_hello.c - the runc anchor of bench/containerd.sh: a static native
 * hello, the smallest program runc can run. */
#include <unistd.h>

int main(void)
{
    return write(1, "hello\n", 6) == 6 ? 0 : 1;
}
