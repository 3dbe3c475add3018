/* files.c - files in the preopened directory /sandbox: create, write, read,
 * seek, append, truncate, rename, unlink, mkdir/rmdir, a sorted directory
 * listing with sizes, stat of a file and a directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("opendir %s: %s\n", dir, strerror(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) /* runtimes differ on these two */
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    printf("%s:", dir);
    for (int i = 0; i < n; i++) {
        char p[256];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (stat(p, &st) == 0)
            printf(" %s%s(%lld)", names[i], S_ISDIR(st.st_mode) ? "/" : "", S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
        free(names[i]);
    }
    printf("\n");
}

int main(void)
{
    list("/sandbox");
    FILE *f = fopen("/sandbox/given.txt", "r");
    char line[128];
    if (f && fgets(line, sizeof line, f))
        printf("given.txt: %s", line);
    if (f)
        fclose(f);

    int fd = open("/sandbox/new.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    printf("open new: %s\n", fd >= 0 ? "ok" : strerror(errno));
    printf("write: %zd\n", write(fd, "hello, world\n", 13));
    close(fd);
    fd = open("/sandbox/new.txt", O_RDWR);
    printf("seek to 7: %lld\n", (long long)lseek(fd, 7, SEEK_SET));
    char buf[32] = {0};
    printf("read: %zd [%s]\n", read(fd, buf, 5), buf);
    printf("seek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    printf("pwrite at 0: %zd\n", pwrite(fd, "HELLO", 5, 0));
    memset(buf, 0, sizeof buf);
    printf("pread at 0: %zd [%.13s]\n", pread(fd, buf, 13, 0), buf);
    printf("ftruncate 5: %d\n", ftruncate(fd, 5));
    close(fd);
    fd = open("/sandbox/new.txt", O_WRONLY | O_APPEND);
    printf("append: %zd\n", write(fd, "+tail", 5));
    close(fd);
    f = fopen("/sandbox/new.txt", "r");
    if (f && fgets(line, sizeof line, f))
        printf("now: [%s]\n", line);
    if (f)
        fclose(f);

    printf("open excl existing: %s\n", open("/sandbox/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 ? strerror(errno) : "opened");
    printf("open missing: %s\n", open("/sandbox/missing", O_RDONLY) < 0 ? strerror(errno) : "opened");
    printf("mkdir: %d\n", mkdir("/sandbox/dir", 0755));
    printf("mkdir again: %s\n", mkdir("/sandbox/dir", 0755) ? strerror(errno) : "made");
    printf("rename into dir: %d\n", rename("/sandbox/new.txt", "/sandbox/dir/moved.txt"));
    list("/sandbox");
    list("/sandbox/dir");
    printf("rmdir non-empty: %s\n", rmdir("/sandbox/dir") ? strerror(errno) : "removed");
    printf("unlink: %d\n", unlink("/sandbox/dir/moved.txt"));
    printf("rmdir: %d\n", rmdir("/sandbox/dir"));
    struct stat st;
    printf("stat given.txt: %d size %lld regular %d\n", stat("/sandbox/given.txt", &st), (long long)st.st_size,
           S_ISREG(st.st_mode));
    printf("stat sub: %d dir %d\n", stat("/sandbox/sub", &st), S_ISDIR(st.st_mode));
    printf("read a directory: %s\n", (fd = open("/sandbox/sub", O_RDONLY)) >= 0 && read(fd, buf, 1) < 0 ? strerror(errno) : "read");
    list("/sandbox");
    return 0;
}
