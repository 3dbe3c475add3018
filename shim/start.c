/*
 * start.c - the shim v2 start protocol, with many containers per shim.
 *
 * containerd runs `containerd-shim-wasmbox-v1 -namespace N -address A
 * -publish-binary B -id ID start` in the container's bundle directory and
 * reads its output (containerd 1.6: stdout and stderr together) as the
 * ttrpc address of the shim to talk to for that container.  So `start`
 * prints that address and nothing else, and leaves a shim serving it.
 *
 * Grouping: the bundle's annotations name the group (shim_bundle_group:
 * the pod's io.kubernetes.cri.sandbox-id, io.wasmbox.shim.group, else one
 * shim for the whole containerd namespace on this node).  A group's socket
 * is RUNDIR/<hash>.sock, the hash of containerd's address, the namespace
 * and the group, so two containerds never share a shim.  `start` holds
 * RUNDIR/<hash>.lock while it looks: if the socket answers, its shim is
 * reused; else a new one is bound to it, and the shim itself is forked
 * off (setsid, its own session: a containerd restart does not end it) and
 * wasmbox-shimd, the daemon beside this binary, exec'd as `serve` with the
 * listening socket as descriptor 3.  The
 * address also goes into the bundle's address file, where containerd
 * looks for it when it restarts.  A shim
 * about to exit takes the same lock first (main.c), so a start never hands
 * out a shim that is going away.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

void shim_group_path(const char *group, const char *ext, char *buf, size_t n)
{
    char key[4096];
    int k = snprintf(key, sizeof key, "%s%c%s%c%s", shim_o.address ? shim_o.address : "", 0, shim_o.ns, 0, group);
    uint8_t md[32];
    shim_sha256(key, (size_t)k, md);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(buf, n, "%s/%s.%s", shim_o.rundir, hex, ext);
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path)
        return -1;
    strcpy(sa->sun_path, path);
    return 0;
}

/* Whether a shim answers on path. */
static bool alive(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && !unix_addr(path, &sa) && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int fail(const char *fmt, const char *a, const char *b)
{
    /* containerd shows what start printed as the error */
    printf(fmt, a, b);
    printf("\n");
    return 1;
}

/* The shim itself: wasmbox-shimd in this binary's directory (links
 * resolved: containerd may run this through one on its PATH). */
static char daemon_path[4096];
static int find_daemon(void)
{
    ssize_t n = readlink("/proc/self/exe", daemon_path, sizeof daemon_path - 32);
    if (n <= 0)
        return -1;
    daemon_path[n] = 0;
    char *slash = strrchr(daemon_path, '/');
    strcpy(slash ? slash + 1 : daemon_path, "wasmbox-shimd");
    return access(daemon_path, X_OK);
}

/* Forks the group's shim, listening on fd; it gets its own session. */
static int spawn(int fd, const char *group, const char *log)
{
    if (find_daemon()) {
        errno = ENOENT;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        return 0;
    setsid();
    int null = open("/dev/null", O_RDWR);
    int lg = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    dup2(null, 0);
    dup2(null, 1);
    dup2(lg >= 0 ? lg : null, 2);
    if (fd != 3) {
        dup2(fd, 3);
        close(fd);
    }
    for (int i = 4; i < 1024; i++)
        close(i);
    const char *argv[] = {"wasmbox-shimd", "-namespace", shim_o.ns, "-address",
                          shim_o.address ? shim_o.address : "", "-group", group, "serve", NULL};
    execv(daemon_path, (char **)argv);
    fprintf(stderr, "wasmbox shim: cannot run %s: %s\n", daemon_path, strerror(errno));
    _exit(127);
}

int shim_start(void)
{
    char *group = shim_bundle_group(".");
    char sock[4096], lock[4096], log[4096];
    if (!group)
        return fail("out of memory%s%s", "", "");
    mkdir(shim_o.rundir, 0711);
    shim_group_path(group, "sock", sock, sizeof sock);
    shim_group_path(group, "lock", lock, sizeof lock);
    shim_group_path(group, "log", log, sizeof log);
    int lk = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lk < 0 || flock(lk, LOCK_EX))
        return fail("wasmbox shim: %s: %s", lock, strerror(errno));
    if (!alive(sock)) {
        struct sockaddr_un sa;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        unlink(sock); /* a shim that died left it */
        if (fd < 0 || unix_addr(sock, &sa) || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 4096))
            return fail("wasmbox shim: cannot listen on %s: %s", sock, strerror(errno));
        chmod(sock, 0600);
        if (spawn(fd, group, log))
            return fail("wasmbox shim: cannot start %s: %s", daemon_path[0] ? daemon_path : "wasmbox-shimd",
                        strerror(errno));
        close(fd);
    }
    /* containerd finds the shim again after a restart by the bundle's
     * address file, which the shim writes (as runc's does). */
    FILE *af = fopen("address", "w");
    if (!af || fprintf(af, "unix://%s", sock) < 0 || fclose(af))
        return fail("wasmbox shim: cannot write the bundle's address file: %s%s", strerror(errno), "");
    printf("unix://%s", sock);
    fflush(stdout);
    free(group);
    return 0; /* the lock goes with the process */
}
