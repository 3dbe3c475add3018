/*
 * bundle.c - what a container is made of: its bundle's config.json (the OCI
 * runtime spec), the rootfs mounts of its Create request, the module inside
 * that rootfs and its stdio FIFOs.
 *
 * The image is hostile: its files may be links that point out of the rootfs
 * (/app.wasm -> /etc/shadow), FIFOs, devices or huge.  So the module is
 * opened with openat2(RESOLVE_IN_ROOT), which resolves every link as if
 * the rootfs were /, without blocking, and the core reads it only if it is
 * a regular file of at most 1 GiB.  The guest itself sees the rootfs as its
 * preopened "/", confined by the engine's WASI (docs/wasi.md).
 *
 * config.json comes from containerd, but what it holds (args, env, mounts,
 * annotations) comes from whoever wrote the container's spec: each field is
 * checked for its type, and a malformed one is the Create's error.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Arguments and environment of one container: as the core takes them. */
#define MAX_STRINGS SBD_MAX_ARGS

static json_t *load_config(const char *bundle, char *why, size_t whylen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", bundle);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > SHIM_MAX_CONFIG) {
        snprintf(why, whylen, "%s: %s", path, fd < 0 ? strerror(errno) : "not a regular file of at most 1 MiB");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    /* Read whole, then parsed: json_loadfd reads a byte per system call,
     * which for containerd's few KiB was most of a container's CPU in the
     * shim (and in every `start`). */
    char *buf = malloc((size_t)st.st_size + 1);
    size_t len = 0;
    ssize_t r = 1;
    while (buf && len < (size_t)st.st_size && (r = read(fd, buf + len, (size_t)st.st_size - len)) != 0) {
        if (r < 0 && errno != EINTR)
            break;
        len += r > 0 ? (size_t)r : 0;
    }
    close(fd);
    if (!buf || r < 0) {
        snprintf(why, whylen, "%s: %s", path, buf ? strerror(errno) : "out of memory");
        free(buf);
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
    free(buf);
    if (!j || !json_is_object(j)) {
        snprintf(why, whylen, "%s: malformed: %s (line %d)", path, j ? "not an object" : e.text, e.line);
        json_decref(j);
        return NULL;
    }
    return j;
}

/* A JSON array of strings into a NULL-terminated copy; -1 if it is not one. */
static int strings(json_t *a, const char *what, char ***out, uint32_t *n, char *why, size_t whylen)
{
    *out = NULL;
    *n = 0;
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > MAX_STRINGS) {
        snprintf(why, whylen, "config.json: %s is not an array of at most %u strings", what, MAX_STRINGS);
        return -1;
    }
    char **v = calloc(json_array_size(a) + 1, sizeof *v);
    if (!v)
        return -1;
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        if (!json_is_string(e) || !(v[i] = strdup(json_string_value(e)))) {
            snprintf(why, whylen, "config.json: %s[%zu] is not a string", what, i);
            for (size_t k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return -1;
        }
    }
    *out = v;
    *n = (uint32_t)json_array_size(a);
    return 0;
}

static const char *annotation(json_t *cfg, const char *key)
{
    json_t *v = json_object_get(json_object_get(cfg, "annotations"), key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

char *shim_bundle_group(const char *bundle)
{
    char why[256];
    json_t *cfg = load_config(bundle, why, sizeof why);
    const char *pod = cfg ? annotation(cfg, "io.kubernetes.cri.sandbox-id") : NULL;
    const char *asked = cfg ? annotation(cfg, "io.wasmbox.shim.group") : NULL;
    char buf[512];
    if (asked && !strcmp(asked, "container"))
        snprintf(buf, sizeof buf, "container:%s", shim_o.id ? shim_o.id : "");
    else if (asked)
        snprintf(buf, sizeof buf, "group:%.400s", asked);
    else if (pod)
        snprintf(buf, sizeof buf, "pod:%.400s", pod);
    else
        snprintf(buf, sizeof buf, "node");
    json_decref(cfg);
    return strdup(buf);
}

/* A number field that may be absent (0) but not of another type. */
static int number(json_t *v, const char *what, int64_t *out, char *why, size_t whylen)
{
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        snprintf(why, whylen, "config.json: %s is not an integer", what);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

static int limits(json_t *cfg, shim_bundle *b, char *why, size_t whylen)
{
    json_t *res = json_object_get(json_object_get(cfg, "linux"), "resources");
    int64_t mem, quota, period;
    if (number(json_object_get(json_object_get(res, "memory"), "limit"), "linux.resources.memory.limit", &mem, why,
               whylen) ||
        number(json_object_get(json_object_get(res, "cpu"), "quota"), "linux.resources.cpu.quota", &quota, why,
               whylen) ||
        number(json_object_get(json_object_get(res, "cpu"), "period"), "linux.resources.cpu.period", &period, why,
               whylen))
        return -1;
    if (mem > 0)
        b->max_memory = (uint64_t)mem;
    if (quota > 0) /* -1 is "no limit" */
        b->fuel_rate = (uint64_t)((double)quota / (double)(period > 0 ? period : 100000) *
                                  (double)SHIM_FUEL_PER_CPU_SECOND);
    const char *fuel = annotation(cfg, "io.wasmbox.fuel");
    if (fuel) {
        char *end;
        errno = 0;
        unsigned long long f = strtoull(fuel, &end, 10);
        if (errno || end == fuel || *end || fuel[0] == '-' || !f) {
            snprintf(why, whylen, "annotation io.wasmbox.fuel: %.60s is not a positive number", fuel);
            return -1;
        }
        b->fuel = f;
    }
    return 0;
}

/* OCI mounts of type bind (or with a bind option) become preopens: the
 * guest sees the host directory at the destination.  Others (proc, sysfs,
 * tmpfs, the /dev and /etc/hosts ones containerd adds) mean nothing to a
 * WASI program and are left out. */
static int preopens(json_t *cfg, shim_bundle *b, char *why, size_t whylen)
{
    b->dir_host[0] = strdup(b->rootfs);
    b->dir_guest[0] = strdup("/");
    b->ndirs = 1;
    json_t *mounts = json_object_get(cfg, "mounts"), *m;
    if (!mounts)
        return 0;
    if (!json_is_array(mounts)) {
        snprintf(why, whylen, "config.json: mounts is not an array");
        return -1;
    }
    size_t i;
    json_array_foreach(mounts, i, m)
    {
        const char *type = json_string_value(json_object_get(m, "type"));
        const char *src = json_string_value(json_object_get(m, "source"));
        const char *dst = json_string_value(json_object_get(m, "destination"));
        if (!json_is_object(m) || !dst) {
            snprintf(why, whylen, "config.json: mounts[%zu] has no destination", i);
            return -1;
        }
        bool bind = type && !strcmp(type, "bind");
        json_t *o;
        size_t k;
        json_array_foreach(json_object_get(m, "options"), k, o) bind |= json_is_string(o) &&
                                                                          (!strcmp(json_string_value(o), "bind") ||
                                                                           !strcmp(json_string_value(o), "rbind"));
        if (!bind || !src || !strncmp(dst, "/dev", 4) || !strncmp(dst, "/proc", 5) || !strncmp(dst, "/sys", 4) ||
            !strncmp(dst, "/etc/", 5))
            continue;
        struct stat st;
        if (stat(src, &st) || !S_ISDIR(st.st_mode))
            continue; /* a file bind (resolv.conf and such): WASI preopens directories */
        if (b->ndirs == SHIM_MAX_MOUNTS) {
            snprintf(why, whylen, "config.json: more than %u bind mounts", SHIM_MAX_MOUNTS - 1);
            return -1;
        }
        b->dir_host[b->ndirs] = strdup(src);
        b->dir_guest[b->ndirs] = strdup(dst);
        b->ndirs++;
    }
    return 0;
}

int shim_bundle_read(const char *bundle, shim_bundle *b, char *why, size_t whylen)
{
    memset(b, 0, sizeof *b);
    json_t *cfg = load_config(bundle, why, whylen);
    if (!cfg)
        return -1;
    int rc = -1;
    json_t *proc = json_object_get(cfg, "process");
    const char *type = annotation(cfg, "io.kubernetes.cri.container-type");
    b->pause = type && !strcmp(type, "sandbox");
    json_t *root = json_object_get(json_object_get(cfg, "root"), "path");
    const char *rp = json_is_string(root) ? json_string_value(root) : "rootfs";
    char path[4096];
    if (rp[0] == '/')
        snprintf(path, sizeof path, "%s", rp);
    else
        snprintf(path, sizeof path, "%s/%s", bundle, rp);
    b->rootfs = strdup(path);
    if (!json_is_object(proc) && !b->pause) {
        snprintf(why, whylen, "config.json: no process object");
        goto out;
    }
    if (strings(json_object_get(proc, "args"), "process.args", &b->args, &b->nargs, why, whylen) ||
        strings(json_object_get(proc, "env"), "process.env", &b->env, &b->nenv, why, whylen) ||
        limits(cfg, b, why, whylen) || preopens(cfg, b, why, whylen))
        goto out;
    if (!b->pause && (!b->nargs || !b->args[0][0])) {
        snprintf(why, whylen, "config.json: process.args is empty: the first argument names the module");
        goto out;
    }
    rc = 0;
out:
    json_decref(cfg);
    return rc;
}

/* mount(2) flags of an option; 0 if it is data for the file system. */
static unsigned long flag_of(const char *o, bool *clear)
{
    static const struct {
        const char *name;
        unsigned long flag;
        bool clear;
    } f[] = {{"ro", MS_RDONLY, false},     {"rw", MS_RDONLY, true},     {"bind", MS_BIND, false},
             {"rbind", MS_BIND | MS_REC, false}, {"nosuid", MS_NOSUID, false}, {"nodev", MS_NODEV, false},
             {"noexec", MS_NOEXEC, false}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!strcmp(o, f[i].name)) {
            *clear = f[i].clear;
            return f[i].flag;
        }
    return 0;
}

int shim_bundle_mount(shim_bundle *b, Wbshim__Mount **m, size_t n, char *why, size_t whylen)
{
    for (size_t i = 0; i < n; i++) {
        unsigned long flags = 0;
        char data[4096] = "";
        size_t dl = 0;
        for (size_t k = 0; k < m[i]->n_options; k++) {
            bool clear = false;
            unsigned long f = flag_of(m[i]->options[k], &clear);
            if (f)
                flags = clear ? flags & ~f : flags | f;
            else
                dl += (size_t)snprintf(data + dl, dl < sizeof data ? sizeof data - dl : 0, "%s%s", dl ? "," : "",
                                       m[i]->options[k]);
        }
        if (dl >= sizeof data) {
            snprintf(why, whylen, "rootfs mount %zu: options too long", i);
            return -1;
        }
        const char *type = !strcmp(m[i]->type, "bind") ? NULL : m[i]->type;
        if (mount(m[i]->source, b->rootfs, type, flags & ~MS_RDONLY, dl ? data : NULL)) {
            snprintf(why, whylen, "mount %s (%s) on %s: %s", m[i]->source, m[i]->type, b->rootfs, strerror(errno));
            if (i)
                shim_bundle_unmount(b->rootfs);
            return -1;
        }
        b->mounted = true;
        if ((flags & MS_BIND) && (flags & MS_RDONLY))
            mount(NULL, b->rootfs, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
    }
    return 0;
}

void shim_bundle_unmount(const char *rootfs)
{
    /* Detached: a guest's directory still open cannot keep it busy. */
    while (umount2(rootfs, MNT_DETACH) == 0)
        ;
}

int shim_bundle_open_module(const shim_bundle *b, char *why, size_t whylen)
{
    int root = open(b->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        snprintf(why, whylen, "rootfs %s: %s", b->rootfs, strerror(errno));
        return -1;
    }
    struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    int fd = (int)syscall(SYS_openat2, root, b->args[0], &how, sizeof how);
    int e = errno;
    close(root);
    if (fd < 0)
        snprintf(why, whylen, "module %.300s in the image: %s", b->args[0], strerror(e));
    return fd;
}

int shim_bundle_open_stdio(const char *path, char *why, size_t whylen)
{
    /* Read+write: the open never waits for a reader, and a write never
     * fails for want of one (ctr run -d, or containerd restarting). */
    int fd = open(path && path[0] ? path : "/dev/null", O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        snprintf(why, whylen, "stdio %.300s: %s", path, strerror(errno));
    return fd;
}

void shim_bundle_free(shim_bundle *b)
{
    for (uint32_t i = 0; i < b->nargs; i++)
        free(b->args[i]);
    for (uint32_t i = 0; i < b->nenv; i++)
        free(b->env[i]);
    for (uint32_t i = 0; i < b->ndirs; i++) {
        free(b->dir_host[i]);
        free(b->dir_guest[i]);
    }
    free(b->args);
    free(b->env);
    free(b->rootfs);
    free(b->group);
    memset(b, 0, sizeof *b);
}
