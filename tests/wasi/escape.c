/* escape.c - every way out of the preopened /sandbox fails: `..`, absolute
 * paths elsewhere, and symlinks the host placed inside pointing out (the
 * test script makes /sandbox/out -> / and /sandbox/up -> ../secret). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void try_open(const char *p)
{
    int fd = open(p, O_RDONLY);
    printf("open %-32s %s\n", p, fd >= 0 ? "OPENED" : "refused");
    if (fd >= 0)
        close(fd);
}

int main(void)
{
    try_open("/sandbox/inside.txt");
    try_open("/sandbox/../secret");
    try_open("/sandbox/../../etc/passwd");
    try_open("/sandbox/sub/../../secret");
    try_open("/etc/passwd");
    try_open("/");
    try_open("/sandbox/out/etc/passwd");
    try_open("/sandbox/up");
    struct stat st;
    printf("stat /sandbox/out/etc: %s\n", stat("/sandbox/out/etc", &st) ? "refused" : "STATTED");
    printf("mkdir /sandbox/../made: %s\n", mkdir("/sandbox/../made", 0755) ? "refused" : "MADE");
    printf("create through /sandbox/out: %s\n", open("/sandbox/out/tmp/wasmbox-escape-probe", O_CREAT | O_WRONLY, 0644) < 0 ? "refused" : "CREATED");
    printf("rename inside.txt out: %s\n", rename("/sandbox/inside.txt", "/sandbox/../stolen") ? "refused" : "RENAMED");
    printf("unlink through link: %s\n", unlink("/sandbox/out/tmp/none") ? "refused" : "UNLINKED");
    return 0;
}
