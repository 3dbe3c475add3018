/*
 * wasi.c - WASI preview1 (wasi_snapshot_preview1) as host functions.
 *
 * A context holds what the guest was granted: arguments, environment, a file
 * descriptor table (stdio, preopened directories and what was opened under
 * them) and the state of a cooperative sleep.  Every guest pointer is bounds
 * checked against the instance's memory (EFAULT otherwise); structures are
 * written with memcpy at the offsets the preview1 ABI fixes (little-endian,
 * as is the host this runs on).
 *
 * Confinement: a path is resolved one component at a time with openat()
 * relative to directory descriptors this file opened itself, never letting
 * the kernel follow a symlink (O_NOFOLLOW) or walk `..`: `..` pops our own
 * stack of directories and fails at the preopen's root, a symlink's target is
 * read and spliced into the remaining path (an absolute target, like an
 * absolute path, is refused with ENOTCAPABLE).  A rename racing the walk can
 * therefore not lead it outside.
 */
#define _GNU_SOURCE /* O_PATH */
#include "wasmbox_wasi.h"

#include "limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---- the ABI's constants ------------------------------------------------------------- */

enum {
    E_SUCCESS = 0, E_2BIG = 1, E_ACCES = 2, E_AGAIN = 6, E_BADF = 8, E_BUSY = 10, E_EXIST = 20,
    E_FAULT = 21, E_FBIG = 22, E_ILSEQ = 25, E_INTR = 27, E_INVAL = 28, E_IO = 29, E_ISDIR = 31,
    E_LOOP = 32, E_MFILE = 33, E_MLINK = 34, E_NAMETOOLONG = 37, E_NFILE = 41, E_NODEV = 43,
    E_NOENT = 44, E_NOMEM = 48, E_NOSPC = 51, E_NOSYS = 52, E_NOTDIR = 54, E_NOTEMPTY = 55,
    E_NOTSOCK = 57, E_NOTSUP = 58, E_NOTTY = 59, E_NXIO = 60, E_OVERFLOW = 61, E_PERM = 63,
    E_PIPE = 64, E_ROFS = 69, E_SPIPE = 70, E_TXTBSY = 74, E_XDEV = 75, E_NOTCAPABLE = 76,
};

enum { T_UNKNOWN, T_BLOCK, T_CHAR, T_DIR, T_FILE, T_DGRAM, T_STREAM, T_SYMLINK };

#define R_FD_DATASYNC (1ull << 0)
#define R_FD_READ (1ull << 1)
#define R_FD_SEEK (1ull << 2)
#define R_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define R_FD_SYNC (1ull << 4)
#define R_FD_TELL (1ull << 5)
#define R_FD_WRITE (1ull << 6)
#define R_FD_ADVISE (1ull << 7)
#define R_FD_ALLOCATE (1ull << 8)
#define R_PATH_CREATE_DIRECTORY (1ull << 9)
#define R_PATH_CREATE_FILE (1ull << 10)
#define R_PATH_LINK_SOURCE (1ull << 11)
#define R_PATH_LINK_TARGET (1ull << 12)
#define R_PATH_OPEN (1ull << 13)
#define R_FD_READDIR (1ull << 14)
#define R_PATH_READLINK (1ull << 15)
#define R_PATH_RENAME_SOURCE (1ull << 16)
#define R_PATH_RENAME_TARGET (1ull << 17)
#define R_PATH_FILESTAT_GET (1ull << 18)
#define R_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define R_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define R_FD_FILESTAT_GET (1ull << 21)
#define R_FD_FILESTAT_SET_SIZE (1ull << 22)
#define R_FD_FILESTAT_SET_TIMES (1ull << 23)
#define R_PATH_SYMLINK (1ull << 24)
#define R_PATH_REMOVE_DIRECTORY (1ull << 25)
#define R_PATH_UNLINK_FILE (1ull << 26)
#define R_POLL_FD_READWRITE (1ull << 27)
#define R_ALL ((1ull << 30) - 1)

#define O_WCREAT 1
#define O_WDIRECTORY 2
#define O_WEXCL 4
#define O_WTRUNC 8
#define F_APPEND 1
#define F_DSYNC 2
#define F_NONBLOCK 4
#define F_RSYNC 8
#define F_SYNC 16
#define LOOKUP_FOLLOW 1
#define FST_ATIM 1
#define FST_ATIM_NOW 2
#define FST_MTIM 4
#define FST_MTIM_NOW 8

static uint16_t from_errno(int e)
{
    switch (e) {
    case 0: return E_SUCCESS;
    case E2BIG: return E_2BIG;
    case EACCES: return E_ACCES;
    case EAGAIN: return E_AGAIN;
    case EBADF: return E_BADF;
    case EBUSY: return E_BUSY;
    case EEXIST: return E_EXIST;
    case EFAULT: return E_FAULT;
    case EFBIG: return E_FBIG;
    case EILSEQ: return E_ILSEQ;
    case EINTR: return E_INTR;
    case EINVAL: return E_INVAL;
    case EISDIR: return E_ISDIR;
    case ELOOP: return E_LOOP;
    case EMFILE: return E_MFILE;
    case EMLINK: return E_MLINK;
    case ENAMETOOLONG: return E_NAMETOOLONG;
    case ENFILE: return E_NFILE;
    case ENODEV: return E_NODEV;
    case ENOENT: return E_NOENT;
    case ENOMEM: return E_NOMEM;
    case ENOSPC: return E_NOSPC;
    case ENOSYS: return E_NOSYS;
    case ENOTDIR: return E_NOTDIR;
    case ENOTEMPTY: return E_NOTEMPTY;
    case ENOTSOCK: return E_NOTSOCK;
    case EOPNOTSUPP: return E_NOTSUP;
    case ENOTTY: return E_NOTTY;
    case ENXIO: return E_NXIO;
    case EOVERFLOW: return E_OVERFLOW;
    case EPERM: return E_PERM;
    case EPIPE: return E_PIPE;
    case EROFS: return E_ROFS;
    case ESPIPE: return E_SPIPE;
    case ETXTBSY: return E_TXTBSY;
    case EXDEV: return E_XDEV;
    default: return E_IO;
    }
}

/* ---- the context ---------------------------------------------------------------------- */

typedef enum { K_FREE, K_STDIN, K_STDOUT, K_STDERR, K_FILE, K_DIR } fdkind;

typedef struct wfd {
    uint8_t kind;     /* fdkind */
    uint8_t type;     /* T_* */
    uint16_t flags;   /* F_*, as the guest set them */
    int host;         /* host descriptor; -1 for stdio that is not the host's */
    uint64_t rights, inherit;
    char *preopen;    /* guest name of a preopened directory */
    DIR *dir;         /* fd_readdir's stream, opened at the first call */
    uint64_t dir_pos; /* entries of dir consumed: the cookie of the next */
} wfd;

struct wb_wasi {
    char **argv, **env;
    uint32_t argc, nenv;
    uint32_t argv_bytes, env_bytes;
    bool inherit, coop;
    wb_wasi_write_fn out[2];
    void *out_user;
    wfd *fds;
    uint32_t nfds;
    wb_func **funcs;
    uint32_t nfuncs;
    /* Cooperative waits: the call suspended in poll_oneoff or sched_yield is
     * re-entered on resume, and finishes the wait it began. */
    bool waiting;
    uint64_t poll_base, wake;
    uint64_t born; /* CLOCK_MONOTONIC at creation: the CPU-time clocks' origin */
};

static uint64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_err(wb_error *err, wb_result code, const char *msg, const char *arg)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->code = code;
    snprintf(err->message, sizeof err->message, msg, arg);
}

static char **copy_strings(const char *const *src, uint32_t n, uint32_t *bytes)
{
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return NULL;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!(v[i] = strdup(src[i] ? src[i] : ""))) {
            while (i--)
                free(v[i]);
            free(v);
            return NULL;
        }
        total += strlen(v[i]) + 1;
    }
    *bytes = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    return v;
}

static void free_strings(char **v, uint32_t n)
{
    for (uint32_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static uint8_t type_of_mode(mode_t m)
{
    return S_ISREG(m) ? T_FILE : S_ISDIR(m) ? T_DIR : S_ISLNK(m) ? T_SYMLINK : S_ISCHR(m) ? T_CHAR
         : S_ISBLK(m) ? T_BLOCK : S_ISSOCK(m) ? T_STREAM : T_UNKNOWN;
}

/* The lowest free descriptor (3 and up are the preopens', then the guest's). */
static int32_t fd_alloc(wb_wasi *w)
{
    for (uint32_t i = 0; i < w->nfds; i++)
        if (w->fds[i].kind == K_FREE)
            return (int32_t)i;
    if (w->nfds >= WB_WASI_MAX_FDS)
        return -1;
    uint32_t n = w->nfds ? w->nfds * 2 : 4;
    if (n > WB_WASI_MAX_FDS)
        n = WB_WASI_MAX_FDS;
    wfd *f = realloc(w->fds, n * sizeof *f);
    if (!f)
        return -1;
    memset(f + w->nfds, 0, (n - w->nfds) * sizeof *f);
    w->fds = f;
    int32_t fd = (int32_t)w->nfds;
    w->nfds = n;
    return fd;
}

static void fd_release(wb_wasi *w, wfd *f)
{
    if (f->dir)
        closedir(f->dir);
    /* The host's own stdio stays open: the guest closed its view of it. */
    if (f->host >= 0 && (f->kind == K_FILE || f->kind == K_DIR))
        close(f->host);
    free(f->preopen);
    memset(f, 0, sizeof *f);
    f->host = -1;
}

wb_result wb_wasi_new(const wb_wasi_config *cfg, wb_wasi **out, wb_error *err)
{
    *out = NULL;
    wb_wasi *w = calloc(1, sizeof *w);
    if (!w) {
        set_err(err, WB_ERR_NOMEM, "%s", "out of memory");
        return WB_ERR_NOMEM;
    }
    w->argc = cfg->argc;
    w->nenv = cfg->nenv;
    w->argv = copy_strings(cfg->argv, cfg->argc, &w->argv_bytes);
    w->env = copy_strings(cfg->env, cfg->nenv, &w->env_bytes);
    w->inherit = cfg->inherit_stdio;
    w->coop = cfg->cooperative;
    w->out[0] = cfg->out_write[0];
    w->out[1] = cfg->out_write[1];
    w->out_user = cfg->out_user;
    w->born = now_ns(CLOCK_MONOTONIC);
    if (!w->argv || !w->env) {
        wb_wasi_free(w);
        set_err(err, WB_ERR_NOMEM, "%s", "out of memory");
        return WB_ERR_NOMEM;
    }
    for (int i = 0; i < 3; i++) {
        int32_t fd = fd_alloc(w);
        if (fd < 0) {
            wb_wasi_free(w);
            set_err(err, WB_ERR_NOMEM, "%s", "out of memory");
            return WB_ERR_NOMEM;
        }
        wfd *f = &w->fds[fd];
        f->kind = (uint8_t)(K_STDIN + i);
        f->host = w->inherit ? i : -1;
        f->type = T_CHAR;
        struct stat st;
        if (w->inherit && fstat(i, &st) == 0)
            f->type = type_of_mode(st.st_mode);
        f->rights = (i == 0 ? R_FD_READ : R_FD_WRITE) | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE |
                    R_FD_FDSTAT_SET_FLAGS;
        if (w->inherit && f->type == T_FILE)
            f->rights |= R_FD_SEEK | R_FD_TELL;
    }
    *out = w;
    return WB_OK;
}

void wb_wasi_free(wb_wasi *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->nfds; i++)
        if (w->fds[i].kind != K_FREE)
            fd_release(w, &w->fds[i]);
    free(w->fds);
    for (uint32_t i = 0; i < w->nfuncs; i++)
        wb_func_free(w->funcs[i]);
    free(w->funcs);
    free_strings(w->argv, w->argc);
    free_strings(w->env, w->nenv);
    free(w);
}

wb_result wb_wasi_preopen(wb_wasi *w, const char *host_dir, const char *guest_path, wb_error *err)
{
    int h = open(host_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h < 0) {
        set_err(err, WB_ERR_NOT_FOUND, "cannot open directory %s", host_dir);
        if (err)
            snprintf(err->message + strlen(err->message), sizeof err->message - strlen(err->message),
                     ": %s", strerror(errno));
        return WB_ERR_NOT_FOUND;
    }
    int32_t fd = fd_alloc(w);
    char *name = strdup(guest_path);
    if (fd < 0 || !name) {
        close(h);
        free(name);
        set_err(err, WB_ERR_NOMEM, "%s", "too many preopened directories");
        return WB_ERR_NOMEM;
    }
    wfd *f = &w->fds[fd];
    *f = (wfd){.kind = K_DIR, .type = T_DIR, .host = h, .rights = R_ALL, .inherit = R_ALL, .preopen = name};
    return WB_OK;
}

uint64_t wb_wasi_wake_time(const wb_wasi *w) { return w->waiting ? w->wake : 0; }

/* ---- guest memory --------------------------------------------------------------------- */

typedef struct gmem {
    uint8_t *p;
    uint64_t n;
} gmem;

static gmem mem_of(wb_host_ctx *ctx)
{
    wb_memory *m = wb_instance_memory(wb_host_instance(ctx));
    return m ? (gmem){wb_memory_data(m), wb_memory_size(m)} : (gmem){NULL, 0};
}

/* The guest bytes [ptr, ptr+len), or NULL when they are not all in memory. */
static uint8_t *at(const gmem *m, uint32_t ptr, uint64_t len)
{
    return (uint64_t)ptr + len <= m->n ? m->p + ptr : NULL;
}

static void put8(uint8_t *p, uint8_t v) { *p = v; }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Stores a u32/u64 result at guest address ptr. */
static uint16_t out32(const gmem *m, uint32_t ptr, uint32_t v)
{
    uint8_t *p = at(m, ptr, 4);
    if (!p)
        return E_FAULT;
    put32(p, v);
    return E_SUCCESS;
}

static uint16_t out64(const gmem *m, uint32_t ptr, uint64_t v)
{
    uint8_t *p = at(m, ptr, 8);
    if (!p)
        return E_FAULT;
    put64(p, v);
    return E_SUCCESS;
}

/* A path argument as a C string: NUL inside is EILSEQ, as it cannot name a file. */
static uint16_t get_path(const gmem *m, uint32_t ptr, uint32_t len, char *buf)
{
    const uint8_t *p = at(m, ptr, len);
    if (!p)
        return E_FAULT;
    if (len >= WB_WASI_MAX_PATH)
        return E_NAMETOOLONG;
    if (memchr(p, 0, len))
        return E_ILSEQ;
    memcpy(buf, p, len);
    buf[len] = 0;
    return E_SUCCESS;
}

/* Host iovecs for guest iovecs at ptr (each bounds checked). */
static uint16_t get_iovs(const gmem *m, uint32_t ptr, uint32_t n, struct iovec *iov, uint64_t *total)
{
    if (n > WB_WASI_MAX_IOVS)
        return E_INVAL;
    const uint8_t *v = at(m, ptr, (uint64_t)n * 8);
    if (!v)
        return E_FAULT;
    *total = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t base = get32(v + 8 * i), len = get32(v + 8 * i + 4);
        uint8_t *b = at(m, base, len);
        if (!b)
            return E_FAULT;
        iov[i] = (struct iovec){b, len};
        *total += len;
    }
    return E_SUCCESS;
}

/* ---- descriptors and paths ------------------------------------------------------------ */

static wfd *get_fd(wb_wasi *w, uint32_t fd, uint64_t need, uint16_t *e)
{
    if (fd >= w->nfds || w->fds[fd].kind == K_FREE) {
        *e = E_BADF;
        return NULL;
    }
    wfd *f = &w->fds[fd];
    if ((f->rights & need) != need) {
        *e = E_NOTCAPABLE;
        return NULL;
    }
    return f;
}

/* A directory descriptor of the walk: the preopen's own (borrowed) at the
 * bottom, O_PATH descriptors this walk opened above it. */
typedef struct walk {
    int *fd;
    uint32_t n, cap;
} walk;

static int walk_top(const walk *k) { return k->fd[k->n - 1]; }

static void walk_free(walk *k)
{
    for (uint32_t i = 1; i < k->n; i++)
        close(k->fd[i]);
    free(k->fd);
}

static bool walk_push(walk *k, int fd)
{
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? k->cap * 2 : 8;
        int *p = realloc(k->fd, cap * sizeof *p);
        if (!p)
            return false;
        k->fd = p;
        k->cap = cap;
    }
    k->fd[k->n++] = fd;
    return true;
}

/* Replaces component `comp` (rest is what follows it) of the path in buf
 * by the symlink target read from (dir, comp): buf becomes target + rest. */
static uint16_t splice_link(int dir, const char *comp, char *buf, const char *rest, uint32_t *links)
{
    char target[WB_WASI_MAX_PATH];
    ssize_t n = readlinkat(dir, comp, target, sizeof target - 1);
    if (n < 0)
        return from_errno(errno);
    target[n] = 0;
    if (++*links > WB_WASI_MAX_SYMLINKS)
        return E_LOOP;
    if (n == 0)
        return E_NOENT;
    if (target[0] == '/')
        return E_NOTCAPABLE; /* leads outside the preopen by construction */
    size_t rl = strlen(rest);
    if ((size_t)n + rl >= WB_WASI_MAX_PATH)
        return E_NAMETOOLONG;
    char tmp[WB_WASI_MAX_PATH];
    memcpy(tmp, rest, rl + 1);
    memcpy(buf, target, (size_t)n);
    buf[n] = 0;
    if (rl) { /* more components follow (rest starts with its '/') */
        memcpy(buf + n, tmp, rl + 1);
    }
    return E_SUCCESS;
}

/* Resolves path under directory descriptor d.  On success *dirfd (the
 * caller's to close) is the directory holding the last component and name
 * that component ("." when the path names the directory itself).  With
 * follow, a symlink in the last place is followed too.  *steps counts the
 * components walked (each a system call or two), for the caller's fuel. */
static uint16_t resolve(const wfd *d, const char *path, bool follow, int *dirfd, char *name, uint32_t *steps)
{
    if (d->kind != K_DIR)
        return E_NOTDIR;
    if (!path[0])
        return E_NOENT;
    if (path[0] == '/')
        return E_NOTCAPABLE;
    char buf[WB_WASI_MAX_PATH];
    snprintf(buf, sizeof buf, "%s", path);
    walk k = {0};
    if (!walk_push(&k, d->host))
        return E_NOMEM;
    uint32_t links = 0;
    uint16_t e = E_SUCCESS;
    char *p = buf;
    for (;; ++*steps) {
        while (*p == '/')
            p++;
        if (!*p) { /* the path ended in a directory */
            strcpy(name, ".");
            break;
        }
        char *end = strchr(p, '/');
        char comp[WB_WASI_MAX_PATH];
        size_t cl = end ? (size_t)(end - p) : strlen(p);
        memcpy(comp, p, cl);
        comp[cl] = 0;
        const char *rest = p + cl;
        bool last = !end; /* a trailing slash makes comp a directory to enter */
        if (strcmp(comp, ".") == 0) {
            p += cl;
            if (last) {
                strcpy(name, ".");
                break;
            }
            continue;
        }
        if (strcmp(comp, "..") == 0) {
            if (k.n == 1) {
                e = E_NOTCAPABLE;
                break;
            }
            close(k.fd[--k.n]);
            p += cl;
            if (last) {
                strcpy(name, ".");
                break;
            }
            continue;
        }
        if (last) {
            char t[2];
            if (follow && readlinkat(walk_top(&k), comp, t, sizeof t) >= 0) {
                if ((e = splice_link(walk_top(&k), comp, buf, rest, &links)))
                    break;
                p = buf;
                continue;
            }
            strcpy(name, comp);
            break;
        }
        int fd = openat(walk_top(&k), comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            int why = errno;
            /* O_PATH|O_NOFOLLOW opens a symlink itself, and O_DIRECTORY
             * then says ENOTDIR: see whether it is a link to follow. */
            if ((why == ENOTDIR || why == ELOOP) &&
                (e = splice_link(walk_top(&k), comp, buf, rest, &links)) != E_INVAL) {
                if (e)
                    break;
                p = buf;
                continue;
            }
            e = from_errno(why);
            break;
        }
        if (!walk_push(&k, fd)) {
            close(fd);
            e = E_NOMEM;
            break;
        }
        p += cl;
    }
    if (!e) {
        *dirfd = fcntl(walk_top(&k), F_DUPFD_CLOEXEC, 0);
        if (*dirfd < 0)
            e = from_errno(errno);
    }
    walk_free(&k);
    return e;
}

/* ---- the host functions ----------------------------------------------------------------- */

#define HOSTFN(name) static wb_result w_##name(wb_host_ctx *ctx, const wb_val *a, wb_val *r)
#define U32(k) ((uint32_t)a[k].of.i32)
#define U64(k) ((uint64_t)a[k].of.i64)
#define RET(e)                                                                                   \
    do {                                                                                         \
        r[0] = wb_i32((int32_t)(e));                                                             \
        return WB_OK;                                                                            \
    } while (0)
#define SETUP                                                                                    \
    wb_wasi *w = wb_host_user(ctx);                                                              \
    gmem m = mem_of(ctx);                                                                        \
    uint16_t e = E_SUCCESS;                                                                      \
    (void)w;                                                                                     \
    (void)m;                                                                                     \
    (void)e
#define FD(idx, need)                                                                            \
    wfd *f = get_fd(w, U32(idx), (need), &e);                                                    \
    if (!f)                                                                                      \
    RET(e)
/* A path argument resolved under the directory descriptor at argument dfd. */
#define PATH(dfd, need, pidx, follow)                                                            \
    char path_[WB_WASI_MAX_PATH], name[WB_WASI_MAX_PATH];                                        \
    int dir = -1;                                                                                \
    {                                                                                            \
        wfd *d_ = get_fd(w, U32(dfd), (need), &e);                                               \
        uint32_t steps_ = 0;                                                                     \
        if (!d_)                                                                                 \
            RET(e);                                                                              \
        e = get_path(&m, U32(pidx), U32(pidx + 1), path_);                                      \
        if (!e)                                                                                  \
            e = resolve(d_, path_, (follow), &dir, name, &steps_);                               \
        wb_host_charge(ctx, WB_FUEL_WASI_STEP * (uint64_t)steps_);                              \
        if (e)                                                                                   \
            RET(e);                                                                              \
    }

static uint16_t put_strings(const gmem *m, char **v, uint32_t n, uint32_t vec, uint32_t buf,
                            uint32_t bytes)
{
    uint8_t *pv = at(m, vec, (uint64_t)n * 4), *pb = at(m, buf, bytes);
    if (!pv || !pb)
        return E_FAULT;
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]) + 1;
        put32(pv + 4 * i, buf + off);
        memcpy(pb + off, v[i], l);
        off += (uint32_t)l;
    }
    return E_SUCCESS;
}

HOSTFN(args_get) { SETUP; RET(put_strings(&m, w->argv, w->argc, U32(0), U32(1), w->argv_bytes)); }
HOSTFN(environ_get) { SETUP; RET(put_strings(&m, w->env, w->nenv, U32(0), U32(1), w->env_bytes)); }

HOSTFN(args_sizes_get)
{
    SETUP;
    if ((e = out32(&m, U32(0), w->argc)))
        RET(e);
    RET(out32(&m, U32(1), w->argv_bytes));
}

HOSTFN(environ_sizes_get)
{
    SETUP;
    if ((e = out32(&m, U32(0), w->nenv)))
        RET(e);
    RET(out32(&m, U32(1), w->env_bytes));
}

/* The CPU-time clocks count the context's elapsed time: the process's and
 * threads' own CPU clocks are shared with other guests and would tell one
 * guest about the others' load. */
static bool clock_of(uint32_t id, clockid_t *c)
{
    switch (id) {
    case 0: *c = CLOCK_REALTIME; return true;
    case 1: case 2: case 3: *c = CLOCK_MONOTONIC; return true;
    default: return false;
    }
}

HOSTFN(clock_res_get)
{
    SETUP;
    clockid_t c;
    struct timespec ts;
    if (!clock_of(U32(0), &c) || clock_getres(c, &ts) != 0)
        RET(E_INVAL);
    RET(out64(&m, U32(1), (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec));
}

HOSTFN(clock_time_get)
{
    SETUP;
    clockid_t c;
    if (!clock_of(U32(0), &c))
        RET(E_INVAL);
    uint64_t t = now_ns(c);
    if (U32(0) >= 2)
        t -= w->born;
    RET(out64(&m, U32(2), t));
}

HOSTFN(random_get)
{
    SETUP;
    uint8_t *p = at(&m, U32(0), U32(1));
    if (!p)
        RET(E_FAULT);
    wb_host_charge(ctx, WB_FUEL_RANDOM_BYTES(U32(1)));
    for (uint32_t done = 0; done < U32(1);) {
        ssize_t n = getrandom(p + done, U32(1) - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            RET(from_errno(errno));
        }
        done += (uint32_t)n;
    }
    RET(E_SUCCESS);
}

HOSTFN(proc_exit)
{
    wb_host_set_exit_code(ctx, a[0].of.i32);
    return WB_EXITED;
}

HOSTFN(proc_raise) { RET(E_NOSYS); }

HOSTFN(sched_yield)
{
    SETUP;
    if (!w->coop) {
        sched_yield();
        RET(E_SUCCESS);
    }
    if (w->waiting) { /* resumed: the yield is done */
        w->waiting = false;
        RET(E_SUCCESS);
    }
    w->waiting = true;
    w->wake = 0;
    return WB_SUSPENDED;
}

/* -- descriptors -- */

HOSTFN(fd_close)
{
    SETUP;
    FD(0, 0);
    fd_release(w, f);
    RET(E_SUCCESS);
}

HOSTFN(fd_renumber)
{
    SETUP;
    uint32_t to = U32(1);
    FD(0, 0);
    if (to >= w->nfds || w->fds[to].kind == K_FREE)
        RET(E_BADF);
    if (to != U32(0)) {
        fd_release(w, &w->fds[to]);
        w->fds[to] = *f;
        memset(f, 0, sizeof *f);
        f->host = -1;
    }
    RET(E_SUCCESS);
}

static uint16_t host_flags(const wfd *f)
{
    if (f->host < 0 || f->kind == K_DIR)
        return f->flags;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0)
        return f->flags;
    return (uint16_t)(((fl & O_APPEND) ? F_APPEND : 0) | ((fl & O_NONBLOCK) ? F_NONBLOCK : 0) |
                      ((fl & O_DSYNC) ? F_DSYNC : 0) | (((fl & O_SYNC) == O_SYNC) ? F_SYNC | F_RSYNC : 0));
}

HOSTFN(fd_fdstat_get)
{
    SETUP;
    FD(0, 0);
    uint8_t *p = at(&m, U32(1), 24);
    if (!p)
        RET(E_FAULT);
    memset(p, 0, 24);
    put8(p, f->type);
    put16(p + 2, host_flags(f));
    put64(p + 8, f->rights);
    put64(p + 16, f->inherit);
    RET(E_SUCCESS);
}

HOSTFN(fd_fdstat_set_flags)
{
    SETUP;
    FD(0, R_FD_FDSTAT_SET_FLAGS);
    uint16_t fl = (uint16_t)U32(1);
    if (fl & (F_DSYNC | F_RSYNC | F_SYNC))
        RET(E_NOTSUP); /* Linux cannot change them on an open file */
    if (f->host >= 0 && f->kind == K_FILE) {
        int hf = fcntl(f->host, F_GETFL);
        if (hf < 0)
            RET(from_errno(errno));
        hf = (hf & ~(O_APPEND | O_NONBLOCK)) | ((fl & F_APPEND) ? O_APPEND : 0) |
             ((fl & F_NONBLOCK) ? O_NONBLOCK : 0);
        if (fcntl(f->host, F_SETFL, hf) != 0)
            RET(from_errno(errno));
    }
    f->flags = fl;
    RET(E_SUCCESS);
}

HOSTFN(fd_fdstat_set_rights)
{
    SETUP;
    FD(0, 0);
    if ((U64(1) & ~f->rights) || (U64(2) & ~f->inherit))
        RET(E_NOTCAPABLE); /* rights can only be dropped */
    f->rights = U64(1);
    f->inherit = U64(2);
    RET(E_SUCCESS);
}

static void put_filestat(uint8_t *p, const struct stat *st)
{
    memset(p, 0, 64);
    put64(p, (uint64_t)st->st_dev);
    put64(p + 8, (uint64_t)st->st_ino);
    put8(p + 16, type_of_mode(st->st_mode));
    put64(p + 24, (uint64_t)st->st_nlink);
    put64(p + 32, (uint64_t)st->st_size);
    put64(p + 40, (uint64_t)st->st_atim.tv_sec * 1000000000u + (uint64_t)st->st_atim.tv_nsec);
    put64(p + 48, (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
    put64(p + 56, (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec);
}

HOSTFN(fd_filestat_get)
{
    SETUP;
    FD(0, R_FD_FILESTAT_GET);
    uint8_t *p = at(&m, U32(1), 64);
    if (!p)
        RET(E_FAULT);
    if (f->host < 0) { /* stdio that is not the host's: a character device */
        memset(p, 0, 64);
        put8(p + 16, T_CHAR);
        RET(E_SUCCESS);
    }
    struct stat st;
    if (fstat(f->host, &st) != 0)
        RET(from_errno(errno));
    put_filestat(p, &st);
    RET(E_SUCCESS);
}

HOSTFN(fd_filestat_set_size)
{
    SETUP;
    FD(0, R_FD_FILESTAT_SET_SIZE);
    if (f->kind != K_FILE)
        RET(E_BADF);
    RET(ftruncate(f->host, (off_t)U64(1)) ? from_errno(errno) : E_SUCCESS);
}

static uint16_t times_of(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2])
{
    if (((fst & FST_ATIM) && (fst & FST_ATIM_NOW)) || ((fst & FST_MTIM) && (fst & FST_MTIM_NOW)))
        return E_INVAL;
    uint64_t v[2] = {atim, mtim};
    uint32_t set[2] = {FST_ATIM, FST_MTIM}, now[2] = {FST_ATIM_NOW, FST_MTIM_NOW};
    for (int i = 0; i < 2; i++) {
        if (fst & now[i])
            ts[i] = (struct timespec){0, UTIME_NOW};
        else if (fst & set[i])
            ts[i] = (struct timespec){(time_t)(v[i] / 1000000000u), (long)(v[i] % 1000000000u)};
        else
            ts[i] = (struct timespec){0, UTIME_OMIT};
    }
    return E_SUCCESS;
}

HOSTFN(fd_filestat_set_times)
{
    SETUP;
    FD(0, R_FD_FILESTAT_SET_TIMES);
    struct timespec ts[2];
    if ((e = times_of(U64(1), U64(2), U32(3), ts)))
        RET(e);
    if (f->host < 0)
        RET(E_BADF);
    RET(futimens(f->host, ts) ? from_errno(errno) : E_SUCCESS);
}

static uint16_t write_out(wb_wasi *w, wfd *f, struct iovec *iov, uint32_t n, uint64_t total,
                          uint32_t *done)
{
    if (f->host < 0) { /* callback or nowhere */
        wb_wasi_write_fn fn = w->out[f->kind == K_STDERR];
        for (uint32_t i = 0; fn && i < n; i++)
            if (iov[i].iov_len)
                fn(w->out_user, iov[i].iov_base, iov[i].iov_len);
        *done = (uint32_t)total;
        return E_SUCCESS;
    }
    ssize_t k;
    do
        k = writev(f->host, iov, (int)n);
    while (k < 0 && errno == EINTR);
    if (k < 0)
        return from_errno(errno);
    *done = (uint32_t)k;
    return E_SUCCESS;
}

/* fd_read, fd_write, fd_pread and fd_pwrite: iovecs in a[1], a[2]; the
 * positional ones take the offset in a[3]; the count goes to the last. */
static wb_result read_write(wb_host_ctx *ctx, const wb_val *a, wb_val *r, bool wr, bool positional)
{
    SETUP;
    FD(0, (wr ? R_FD_WRITE : R_FD_READ) | (positional ? R_FD_SEEK : 0));
    struct iovec iov[WB_WASI_MAX_IOVS];
    uint64_t total;
    uint32_t n = U32(2), done = 0, out = U32(positional ? 4 : 3);
    if ((e = get_iovs(&m, U32(1), n, iov, &total)))
        RET(e);
    wb_host_charge(ctx, WB_FUEL_BULK_BYTES(total));
    if (f->kind == K_DIR)
        RET(E_BADF); /* as wasmtime and node answer: not a file to read or write */
    if (positional && f->kind != K_FILE)
        RET(E_SPIPE);
    if (wr && !positional) {
        if ((e = write_out(w, f, iov, n, total, &done)))
            RET(e);
        RET(out32(&m, out, done));
    }
    if (f->host < 0) /* stdin that is not the host's is empty */
        RET(out32(&m, out, 0));
    ssize_t k;
    do
        k = positional ? (wr ? pwritev : preadv)(f->host, iov, (int)n, (off_t)U64(3)) : readv(f->host, iov, (int)n);
    while (k < 0 && errno == EINTR);
    if (k < 0)
        RET(from_errno(errno));
    RET(out32(&m, out, (uint32_t)k));
}

HOSTFN(fd_read) { return read_write(ctx, a, r, false, false); }
HOSTFN(fd_write) { return read_write(ctx, a, r, true, false); }
HOSTFN(fd_pread) { return read_write(ctx, a, r, false, true); }
HOSTFN(fd_pwrite) { return read_write(ctx, a, r, true, true); }

HOSTFN(fd_seek)
{
    SETUP;
    int64_t off = a[1].of.i64;
    uint32_t whence = U32(2);
    bool tell = off == 0 && whence == 1;
    FD(0, tell ? R_FD_TELL : R_FD_SEEK);
    if (whence > 2)
        RET(E_INVAL);
    if (f->host < 0 || f->type == T_CHAR || f->type == T_STREAM || f->type == T_UNKNOWN)
        RET(E_SPIPE);
    off_t pos = lseek(f->host, (off_t)off, whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END);
    if (pos < 0)
        RET(from_errno(errno));
    RET(out64(&m, U32(3), (uint64_t)pos));
}

HOSTFN(fd_tell)
{
    SETUP;
    FD(0, R_FD_TELL);
    if (f->host < 0 || f->type == T_CHAR)
        RET(E_SPIPE);
    off_t pos = lseek(f->host, 0, SEEK_CUR);
    if (pos < 0)
        RET(from_errno(errno));
    RET(out64(&m, U32(1), (uint64_t)pos));
}

HOSTFN(fd_advise)
{
    SETUP;
    FD(0, R_FD_ADVISE);
    static const int adv[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                              POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    if (U32(3) > 5)
        RET(E_INVAL);
    if (f->kind != K_FILE)
        RET(f->kind == K_DIR ? E_ISDIR : E_SPIPE);
    RET(from_errno(posix_fadvise(f->host, (off_t)U64(1), (off_t)U64(2), adv[U32(3)])));
}

HOSTFN(fd_allocate)
{
    SETUP;
    FD(0, R_FD_ALLOCATE);
    if (f->kind != K_FILE)
        RET(f->kind == K_DIR ? E_ISDIR : E_SPIPE);
    RET(from_errno(posix_fallocate(f->host, (off_t)U64(1), (off_t)U64(2))));
}

HOSTFN(fd_datasync)
{
    SETUP;
    FD(0, R_FD_DATASYNC);
    if (f->host < 0)
        RET(E_INVAL);
    RET(fdatasync(f->host) ? from_errno(errno) : E_SUCCESS);
}

HOSTFN(fd_sync)
{
    SETUP;
    FD(0, R_FD_SYNC);
    if (f->host < 0)
        RET(E_INVAL);
    RET(fsync(f->host) ? from_errno(errno) : E_SUCCESS);
}

HOSTFN(fd_prestat_get)
{
    SETUP;
    FD(0, 0);
    if (!f->preopen)
        RET(E_BADF);
    uint8_t *p = at(&m, U32(1), 8);
    if (!p)
        RET(E_FAULT);
    memset(p, 0, 8);
    put32(p + 4, (uint32_t)strlen(f->preopen));
    RET(E_SUCCESS);
}

HOSTFN(fd_prestat_dir_name)
{
    SETUP;
    FD(0, 0);
    if (!f->preopen)
        RET(E_BADF);
    uint32_t n = (uint32_t)strlen(f->preopen);
    if (U32(2) < n)
        RET(E_NAMETOOLONG);
    uint8_t *p = at(&m, U32(1), n);
    if (!p)
        RET(E_FAULT);
    memcpy(p, f->preopen, n);
    RET(E_SUCCESS);
}

static uint8_t type_of_dirent(unsigned char t)
{
    return t == DT_REG ? T_FILE : t == DT_DIR ? T_DIR : t == DT_LNK ? T_SYMLINK : t == DT_CHR ? T_CHAR
         : t == DT_BLK ? T_BLOCK : t == DT_SOCK ? T_STREAM : T_UNKNOWN;
}

/* Cookies count entries: the entry after cookie c is the stream's c-th.  A
 * cookie behind the stream's position rewinds it. */
HOSTFN(fd_readdir)
{
    SETUP;
    FD(0, R_FD_READDIR);
    uint32_t len = U32(2);
    uint64_t cookie = U64(3);
    uint8_t *buf = at(&m, U32(1), len);
    if (!buf)
        RET(E_FAULT);
    wb_host_charge(ctx, WB_FUEL_BULK_BYTES(len));
    if (f->kind != K_DIR)
        RET(E_NOTDIR);
    if (!f->dir) {
        int h = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (h < 0 || !(f->dir = fdopendir(h))) {
            e = from_errno(errno);
            if (h >= 0)
                close(h);
            RET(e);
        }
        f->dir_pos = 0;
    }
    if (cookie < f->dir_pos) {
        rewinddir(f->dir);
        f->dir_pos = 0;
    }
    while (f->dir_pos < cookie && readdir(f->dir))
        f->dir_pos++;
    uint32_t used = 0;
    while (used < len) {
        long here = telldir(f->dir);
        errno = 0;
        struct dirent *de = readdir(f->dir);
        if (!de) {
            if (errno)
                RET(from_errno(errno));
            break;
        }
        uint8_t ent[24 + 256];
        uint32_t nl = (uint32_t)strlen(de->d_name);
        memset(ent, 0, 24);
        put64(ent, f->dir_pos + 1);
        put64(ent + 8, (uint64_t)de->d_ino);
        put32(ent + 16, nl);
        put8(ent + 20, type_of_dirent(de->d_type));
        memcpy(ent + 24, de->d_name, nl);
        uint32_t n = 24 + nl;
        if (n > len - used) {
            /* Fill the buffer (the guest asks again from this entry, and
             * knows a full buffer means "more"), but do not consume it. */
            memcpy(buf + used, ent, len - used);
            used = len;
            seekdir(f->dir, here);
            break;
        }
        memcpy(buf + used, ent, n);
        used += n;
        f->dir_pos++;
    }
    RET(out32(&m, U32(4), used));
}

/* -- paths -- */

HOSTFN(path_open)
{
    SETUP;
    uint32_t oflags = U32(4);
    uint64_t rights = U64(5), inherit = U64(6);
    uint16_t fdflags = (uint16_t)U32(7);
    uint64_t need = R_PATH_OPEN;
    if (oflags & O_WCREAT)
        need |= R_PATH_CREATE_FILE;
    if (oflags & O_WTRUNC)
        need |= R_PATH_FILESTAT_SET_SIZE;
    PATH(0, need, 2, U32(1) & LOOKUP_FOLLOW);
    wfd *d = &w->fds[U32(0)];
    bool rd = rights & (R_FD_READ | R_FD_READDIR);
    bool wr = rights & (R_FD_WRITE | R_FD_DATASYNC | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE);
    int fl = O_CLOEXEC | O_NOFOLLOW | (wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY);
    if (oflags & O_WCREAT)
        fl |= O_CREAT;
    if (oflags & O_WEXCL)
        fl |= O_EXCL;
    if (oflags & O_WTRUNC)
        fl |= O_TRUNC;
    if (oflags & O_WDIRECTORY)
        fl |= O_DIRECTORY;
    if (fdflags & F_APPEND)
        fl |= O_APPEND;
    if (fdflags & F_NONBLOCK)
        fl |= O_NONBLOCK;
    if (fdflags & F_DSYNC)
        fl |= O_DSYNC;
    if (fdflags & (F_SYNC | F_RSYNC))
        fl |= O_SYNC;
    if (oflags & O_WDIRECTORY)
        fl = (fl & ~O_ACCMODE) | O_RDONLY; /* a directory is never open for writing */
    int h = openat(dir, name, fl, 0666);
    if (h < 0 && errno == EISDIR && !(oflags & (O_WCREAT | O_WTRUNC))) {
        /* A directory opened with the rights a generic open asks for: it
         * opens for reading, and writes through it fail as they would. */
        h = openat(dir, name, (fl & ~O_ACCMODE) | O_RDONLY | O_DIRECTORY, 0666);
    }
    e = h < 0 ? from_errno(errno) : E_SUCCESS;
    close(dir);
    if (e)
        RET(e);
    struct stat st;
    int32_t fd = fd_alloc(w);
    if (fd < 0 || fstat(h, &st) != 0) {
        close(h);
        RET(fd < 0 ? E_MFILE : E_IO);
    }
    d = &w->fds[U32(0)]; /* fd_alloc may have moved the table */
    wfd *nf = &w->fds[fd];
    *nf = (wfd){.host = h, .type = type_of_mode(st.st_mode), .flags = fdflags,
                .rights = rights & d->inherit, .inherit = inherit & d->inherit};
    nf->kind = nf->type == T_DIR ? K_DIR : K_FILE;
    RET(out32(&m, U32(8), (uint32_t)fd));
}

HOSTFN(path_filestat_get)
{
    SETUP;
    PATH(0, R_PATH_FILESTAT_GET, 2, U32(1) & LOOKUP_FOLLOW);
    struct stat st;
    int rc = fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW);
    e = rc ? from_errno(errno) : E_SUCCESS;
    close(dir);
    if (e)
        RET(e);
    uint8_t *p = at(&m, U32(4), 64);
    if (!p)
        RET(E_FAULT);
    put_filestat(p, &st);
    RET(E_SUCCESS);
}

HOSTFN(path_filestat_set_times)
{
    SETUP;
    struct timespec ts[2];
    if ((e = times_of(U64(4), U64(5), U32(6), ts)))
        RET(e);
    PATH(0, R_PATH_FILESTAT_SET_TIMES, 2, U32(1) & LOOKUP_FOLLOW);
    e = utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW) ? from_errno(errno) : E_SUCCESS;
    close(dir);
    RET(e);
}

/* path_create_directory, path_remove_directory, path_unlink_file: op on
 * the path in a[1], a[2] under the directory a[0], the last link not followed. */
static wb_result on_path(wb_host_ctx *ctx, const wb_val *a, wb_val *r, uint64_t need,
                         int (*op)(int dir, const char *name))
{
    SETUP;
    PATH(0, need, 1, false);
    e = op(dir, name) ? from_errno(errno) : E_SUCCESS;
    close(dir);
    RET(e);
}

static int do_mkdir(int dir, const char *name) { return mkdirat(dir, name, 0777); }
static int do_rmdir(int dir, const char *name) { return unlinkat(dir, name, AT_REMOVEDIR); }
static int do_unlink(int dir, const char *name) { return unlinkat(dir, name, 0); }

HOSTFN(path_create_directory) { return on_path(ctx, a, r, R_PATH_CREATE_DIRECTORY, do_mkdir); }
HOSTFN(path_remove_directory) { return on_path(ctx, a, r, R_PATH_REMOVE_DIRECTORY, do_rmdir); }
HOSTFN(path_unlink_file) { return on_path(ctx, a, r, R_PATH_UNLINK_FILE, do_unlink); }

HOSTFN(path_readlink)
{
    SETUP;
    PATH(0, R_PATH_READLINK, 1, false);
    uint8_t *p = at(&m, U32(3), U32(4));
    char target[WB_WASI_MAX_PATH];
    ssize_t n = readlinkat(dir, name, target, sizeof target);
    e = n < 0 ? from_errno(errno) : E_SUCCESS;
    close(dir);
    if (e)
        RET(e);
    if (!p)
        RET(E_FAULT);
    uint32_t k = (uint32_t)n < U32(4) ? (uint32_t)n : U32(4);
    memcpy(p, target, k);
    RET(out32(&m, U32(5), k));
}

HOSTFN(path_symlink)
{
    SETUP;
    char target[WB_WASI_MAX_PATH];
    if ((e = get_path(&m, U32(0), U32(1), target)))
        RET(e);
    if (target[0] == '/')
        RET(E_NOTCAPABLE); /* it could only ever lead out of the preopen */
    PATH(2, R_PATH_SYMLINK, 3, false);
    e = symlinkat(target, dir, name) ? from_errno(errno) : E_SUCCESS;
    close(dir);
    RET(e);
}

/* Two paths, each under its own directory descriptor. */
static uint16_t two_paths(wb_host_ctx *ctx, wb_wasi *w, const gmem *m, uint32_t d1, uint32_t p1, uint32_t l1, bool follow1,
                          uint64_t need1, uint32_t d2, uint32_t p2, uint32_t l2, uint64_t need2,
                          int (*op)(int, const char *, int, const char *))
{
    uint16_t e;
    char a1[WB_WASI_MAX_PATH], a2[WB_WASI_MAX_PATH], n1[WB_WASI_MAX_PATH], n2[WB_WASI_MAX_PATH];
    wfd *f1 = get_fd(w, d1, need1, &e);
    if (!f1)
        return e;
    wfd *f2 = get_fd(w, d2, need2, &e);
    if (!f2)
        return e;
    if ((e = get_path(m, p1, l1, a1)) || (e = get_path(m, p2, l2, a2)))
        return e;
    int h1 = -1, h2 = -1;
    uint32_t steps = 0;
    if (!(e = resolve(f1, a1, follow1, &h1, n1, &steps)) && !(e = resolve(f2, a2, false, &h2, n2, &steps)))
        e = op(h1, n1, h2, n2) ? from_errno(errno) : E_SUCCESS;
    wb_host_charge(ctx, WB_FUEL_WASI_STEP * (uint64_t)steps);
    if (h1 >= 0)
        close(h1);
    if (h2 >= 0)
        close(h2);
    return e;
}

static int do_rename(int d1, const char *n1, int d2, const char *n2) { return renameat(d1, n1, d2, n2); }
static int do_link(int d1, const char *n1, int d2, const char *n2) { return linkat(d1, n1, d2, n2, 0); }

HOSTFN(path_rename)
{
    SETUP;
    RET(two_paths(ctx, w, &m, U32(0), U32(1), U32(2), false, R_PATH_RENAME_SOURCE, U32(3), U32(4), U32(5),
                  R_PATH_RENAME_TARGET, do_rename));
}

HOSTFN(path_link)
{
    SETUP;
    RET(two_paths(ctx, w, &m, U32(0), U32(2), U32(3), U32(1) & LOOKUP_FOLLOW, R_PATH_LINK_SOURCE, U32(4),
                  U32(5), U32(6), R_PATH_LINK_TARGET, do_link));
}

/* -- poll_oneoff -- */

/* When clock subscription s fires, on CLOCK_MONOTONIC; false for an unknown
 * clock.  Relative timeouts count from base: the first entry into this
 * poll, also when a cooperative wait resumed it. */
static bool clock_due(const wb_wasi *w, const uint8_t *s, uint64_t base, uint64_t now, uint64_t *due)
{
    clockid_t c;
    uint32_t id = get32(s + 16);
    uint64_t t = get64(s + 24);
    if (!clock_of(id, &c))
        return false;
    if (get32(s + 40) & 1) { /* absolute, on the subscription's clock */
        if (id == 0) {
            uint64_t rt = now_ns(CLOCK_REALTIME);
            *due = t <= rt ? now : now + (t - rt);
        } else {
            *due = id >= 2 ? t + w->born : t;
        }
    } else {
        *due = base + t < base ? UINT64_MAX : base + t;
    }
    return true;
}

HOSTFN(poll_oneoff)
{
    SETUP;
    uint32_t n = U32(2);
    if (n == 0)
        RET(E_INVAL);
    if (n > WB_WASI_MAX_SUBSCRIPTIONS)
        RET(E_NOTSUP);
    const uint8_t *in = at(&m, U32(0), (uint64_t)n * 48);
    uint8_t *out = at(&m, U32(1), (uint64_t)n * 32);
    if (!in || !out)
        RET(E_FAULT);
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    uint64_t base = w->waiting ? w->poll_base : now;
    /* The earliest clock, and how many events are ready now.  Files, output
     * and errors are; only the host's own stdin can make a poll wait. */
    uint64_t deadline = UINT64_MAX;
    uint32_t nready = 0;
    struct pollfd pfd = {-1, POLLIN, 0};
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + 48 * i;
        uint64_t due;
        if (s[8] == 0) {
            if (!clock_due(w, s, base, now, &due))
                nready++;
            else if (due < deadline)
                deadline = due;
        } else if (s[8] == 1 || s[8] == 2) {
            uint16_t fe;
            wfd *f = get_fd(w, get32(s + 16), R_POLL_FD_READWRITE, &fe);
            if (f && s[8] == 1 && f->kind == K_STDIN && f->host >= 0 && !w->coop)
                pfd.fd = f->host;
            else
                nready++;
        } else {
            nready++;
        }
    }
    if (nready == 0 && deadline > now) {
        if (w->coop) {
            w->waiting = true;
            w->poll_base = base;
            w->wake = deadline;
            return WB_SUSPENDED;
        }
        if (pfd.fd >= 0) {
            uint64_t left = deadline - now;
            int ms = deadline == UINT64_MAX || left / 1000000u > INT32_MAX ? -1 : (int)(left / 1000000u + 1);
            while (poll(&pfd, 1, ms) < 0 && errno == EINTR)
                ;
        } else if (deadline != UINT64_MAX) {
            struct timespec ts = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
        }
        now = now_ns(CLOCK_MONOTONIC);
    }
    w->waiting = false;
    uint32_t nev = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + 48 * i;
        uint8_t tag = s[8];
        uint16_t err = E_SUCCESS;
        uint64_t nbytes = 0, due;
        if (tag == 0) {
            if (!clock_due(w, s, base, now, &due))
                err = E_INVAL;
            else if (due > now)
                continue;
        } else if (tag == 1 || tag == 2) {
            wfd *f = get_fd(w, get32(s + 16), R_POLL_FD_READWRITE, &err);
            if (f && f->host >= 0 && f->host == pfd.fd && tag == 1) {
                if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                int avail = 0;
                if (ioctl(f->host, FIONREAD, &avail) == 0)
                    nbytes = (uint64_t)avail;
            } else if (f && f->kind == K_FILE && tag == 1) {
                struct stat st;
                off_t pos = lseek(f->host, 0, SEEK_CUR);
                if (fstat(f->host, &st) == 0 && pos >= 0 && st.st_size > pos)
                    nbytes = (uint64_t)(st.st_size - pos);
            }
        } else {
            err = E_INVAL;
        }
        uint8_t *ev = out + 32 * nev++;
        memset(ev, 0, 32);
        put64(ev, get64(s));
        put16(ev + 8, err);
        put8(ev + 10, tag);
        put64(ev + 16, nbytes);
    }
    RET(out32(&m, U32(3), nev));
}

/* -- sockets: none are ever granted -- */

static uint16_t no_socket(wb_wasi *w, uint32_t fd)
{
    uint16_t e;
    return get_fd(w, fd, 0, &e) ? E_NOTSOCK : e;
}

HOSTFN(sock_accept) { SETUP; RET(no_socket(w, U32(0))); }
HOSTFN(sock_recv) { SETUP; RET(no_socket(w, U32(0))); }
HOSTFN(sock_send) { SETUP; RET(no_socket(w, U32(0))); }
HOSTFN(sock_shutdown) { SETUP; RET(no_socket(w, U32(0))); }

/* ---- linking ------------------------------------------------------------------------------ */

/* Parameter types, one letter each (i: i32, I: i64); every call but
 * proc_exit returns an errno as i32. */
static const struct call {
    const char *name, *params;
    wb_host_fn fn;
} calls[] = {
    {"args_get", "ii", w_args_get},
    {"args_sizes_get", "ii", w_args_sizes_get},
    {"environ_get", "ii", w_environ_get},
    {"environ_sizes_get", "ii", w_environ_sizes_get},
    {"clock_res_get", "ii", w_clock_res_get},
    {"clock_time_get", "iIi", w_clock_time_get},
    {"fd_advise", "iIIi", w_fd_advise},
    {"fd_allocate", "iII", w_fd_allocate},
    {"fd_close", "i", w_fd_close},
    {"fd_datasync", "i", w_fd_datasync},
    {"fd_fdstat_get", "ii", w_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", w_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", w_fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", w_fd_filestat_get},
    {"fd_filestat_set_size", "iI", w_fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", w_fd_filestat_set_times},
    {"fd_pread", "iiiIi", w_fd_pread},
    {"fd_prestat_get", "ii", w_fd_prestat_get},
    {"fd_prestat_dir_name", "iii", w_fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", w_fd_pwrite},
    {"fd_read", "iiii", w_fd_read},
    {"fd_readdir", "iiiIi", w_fd_readdir},
    {"fd_renumber", "ii", w_fd_renumber},
    {"fd_seek", "iIii", w_fd_seek},
    {"fd_sync", "i", w_fd_sync},
    {"fd_tell", "ii", w_fd_tell},
    {"fd_write", "iiii", w_fd_write},
    {"path_create_directory", "iii", w_path_create_directory},
    {"path_filestat_get", "iiiii", w_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", w_path_filestat_set_times},
    {"path_link", "iiiiiii", w_path_link},
    {"path_open", "iiiiiIIii", w_path_open},
    {"path_readlink", "iiiiii", w_path_readlink},
    {"path_remove_directory", "iii", w_path_remove_directory},
    {"path_rename", "iiiiii", w_path_rename},
    {"path_symlink", "iiiii", w_path_symlink},
    {"path_unlink_file", "iii", w_path_unlink_file},
    {"poll_oneoff", "iiii", w_poll_oneoff},
    {"proc_exit", "i", w_proc_exit},
    {"proc_raise", "i", w_proc_raise},
    {"random_get", "ii", w_random_get},
    {"sched_yield", "", w_sched_yield},
    {"sock_accept", "iii", w_sock_accept},
    {"sock_recv", "iiiiii", w_sock_recv},
    {"sock_send", "iiiii", w_sock_send},
    {"sock_shutdown", "ii", w_sock_shutdown},
};

static const struct call *find_call(const wb_extern_desc *d)
{
    static const char ns[] = "wasi_snapshot_preview1";
    if (d->kind != WB_EXTERN_FUNC || d->module_len != sizeof ns - 1 || memcmp(d->module, ns, sizeof ns - 1))
        return NULL;
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (strlen(calls[i].name) == d->name_len && memcmp(calls[i].name, d->name, d->name_len) == 0)
            return &calls[i];
    return NULL;
}

wb_result wb_wasi_link(wb_wasi *w, const wb_module *m, wb_extern **imports, uint32_t *nimports,
                       wb_error *err)
{
    *imports = NULL;
    *nimports = 0;
    uint32_t n = wb_module_import_count(m);
    wb_extern *imp = calloc(n ? n : 1, sizeof *imp);
    wb_func **funcs = realloc(w->funcs, (w->nfuncs + n + 1) * sizeof *funcs);
    if (!imp || !funcs) {
        free(imp);
        set_err(err, WB_ERR_NOMEM, "%s", "out of memory");
        return WB_ERR_NOMEM;
    }
    w->funcs = funcs;
    for (uint32_t i = 0; i < n; i++) {
        wb_extern_desc d;
        wb_module_import(m, i, &d);
        const struct call *c = find_call(&d);
        char what[300];
        snprintf(what, sizeof what, "%.*s.%.*s", (int)(d.module_len > 100 ? 100 : d.module_len), d.module,
                 (int)(d.name_len > 100 ? 100 : d.name_len), d.name);
        if (!c) {
            free(imp);
            set_err(err, WB_ERR_LINK, "unknown import %s (only wasi_snapshot_preview1 functions are provided)",
                    what);
            return WB_ERR_LINK;
        }
        uint8_t types[16];
        uint32_t np = (uint32_t)strlen(c->params), nr = c->fn == w_proc_exit ? 0 : 1;
        for (uint32_t k = 0; k < np; k++)
            types[k] = c->params[k] == 'I' ? WB_I64 : WB_I32;
        types[np] = WB_I32;
        wb_functype ft = {np, nr, types};
        bool same = d.type.func.nparams == np && d.type.func.nresults == nr &&
                    memcmp(d.type.func.types, types, np + nr) == 0;
        wb_func *f = same ? wb_func_new_host(&ft, c->fn, w) : NULL;
        if (!f) {
            free(imp);
            set_err(err, WB_ERR_LINK, "import %s: incompatible import type", what);
            return WB_ERR_LINK;
        }
        w->funcs[w->nfuncs++] = f;
        imp[i] = (wb_extern){.kind = WB_EXTERN_FUNC, .of.func = f};
    }
    *imports = imp;
    *nimports = n;
    return WB_OK;
}
