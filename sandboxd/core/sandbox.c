/*
 * sandbox.c - sandboxes, the module cache and the final state.
 *
 * A module is compiled once per content hash and shared by every sandbox of
 * it (read-only, as the engine allows); a sandbox owns an instance, a call
 * (its engine stack, kept between slices) and a WASI context.  Ids are
 * client-chosen or "sb-N"; the table is a chained hash on the id.  At
 * shutdown the table is written to STATEDIR/state.json.
 */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const state_names[] = {"created", "runnable", "running", "sleeping", "exited"};

const char *sbd_state_name(sbd_state st)
{
    return state_names[st];
}

/* ---- modules ------------------------------------------------------------------------------ */

/* The module file's bytes.  O_NONBLOCK: opening a FIFO must not wait for a
 * writer (this runs on the event loop), and only a regular file is read. */
static uint8_t *read_fd(int fd, const char *path, size_t *len, char *why, size_t whylen)
{
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (off_t)1 << 30) {
        snprintf(why, whylen, "module %s is not a regular file of at most 1 GiB", path);
        return NULL;
    }
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (buf && n < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    if (!buf || n != (size_t)st.st_size) {
        snprintf(why, whylen, "cannot read module %s", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static uint8_t *read_file(const char *path, size_t *len, char *why, size_t whylen, int *status)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        /* out of descriptors is the daemon's trouble, not the request's */
        *status = errno == ENOENT || errno == ENOTDIR ? 404 : errno == EMFILE || errno == ENFILE ? 503 : 400;
        snprintf(why, whylen, "cannot open module %s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = read_fd(fd, path, len, why, whylen);
    close(fd);
    return buf;
}

/* Whether bytes may be the text format: after blanks, a '(' or a ';;'
 * comment.  Anything else is no module, and is not handed to the text
 * parser, whose errors quote what they read: a client naming /etc/shadow
 * would get its first line back. */
static bool looks_like_text(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i < n && (p[i] == '(' || (p[i] == ';' && i + 1 < n && p[i + 1] == ';'));
}

static sbd_module *module_from(uint8_t *bytes, size_t len, const char *path, char *why, size_t whylen,
                               int *status);

sbd_module *sbd_module_get(const char *path, char *why, size_t whylen, int *status)
{
    size_t len;
    *status = 400;
    uint8_t *bytes = read_file(path, &len, why, whylen, status);
    return bytes ? module_from(bytes, len, path, why, whylen, status) : NULL;
}

sbd_module *sbd_module_get_fd(int fd, const char *name, char *why, size_t whylen, int *status)
{
    size_t len;
    *status = 400;
    uint8_t *bytes = read_fd(fd, name, &len, why, whylen);
    return bytes ? module_from(bytes, len, name, why, whylen, status) : NULL;
}

/* The module of these bytes (freed here), from the cache or compiled. */
static sbd_module *module_from(uint8_t *bytes, size_t len, const char *path, char *why, size_t whylen,
                               int *status)
{
    unsigned char md[32];
    unsigned mdlen = 0;
    char hash[65];
    if (!EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        snprintf(why, whylen, "cannot hash module %s", path);
        free(bytes);
        return NULL;
    }
    for (int i = 0; i < 32; i++)
        snprintf(hash + 2 * i, 3, "%02x", md[i]);

    pthread_mutex_lock(&sbd_g.lock);
    for (sbd_module *m = sbd_g.modules; m; m = m->next)
        if (!strcmp(m->hash, hash)) {
            m->refs++;
            pthread_mutex_unlock(&sbd_g.lock);
            free(bytes);
            return m;
        }
    pthread_mutex_unlock(&sbd_g.lock);

    /* Compile outside the lock: a big module must not stall the others. */
    wb_module *mod = NULL;
    wb_error err;
    wb_result r;
    if (len >= 4 && !memcmp(bytes, "\0asm", 4)) {
        r = wb_module_load(bytes, len, &mod, &err);
    } else if (looks_like_text(bytes, len)) {
        r = wb_module_from_wat((const char *)bytes, len, &mod, &err);
    } else {
        snprintf(why, whylen, "%s is not a wasm module: neither the binary format (\\0asm) nor the text format", path);
        free(bytes);
        return NULL;
    }
    free(bytes);
    if (r != WB_OK) {
        snprintf(why, whylen, "%s: %s", path, err.message);
        return NULL;
    }
    sbd_module *m = calloc(1, sizeof *m);
    if (!m) {
        wb_module_free(mod);
        *status = 503;
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    memcpy(m->hash, hash, sizeof hash);
    m->mod = mod;
    m->refs = 1;
    pthread_mutex_lock(&sbd_g.lock);
    for (sbd_module *o = sbd_g.modules; o; o = o->next)
        if (!strcmp(o->hash, hash)) { /* compiled meanwhile by another request */
            o->refs++;
            pthread_mutex_unlock(&sbd_g.lock);
            wb_module_free(mod);
            free(m);
            return o;
        }
    m->next = sbd_g.modules;
    sbd_g.modules = m;
    pthread_mutex_unlock(&sbd_g.lock);
    return m;
}

/* Under the lock. */
void sbd_module_put(sbd_module *m)
{
    if (!m || --m->refs)
        return;
    for (sbd_module **p = &sbd_g.modules; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            break;
        }
    wb_module_free(m->mod);
    free(m);
}

/* ---- the table ---------------------------------------------------------------------------- */

static uint32_t hash_id(const char *id)
{
    uint32_t h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return h;
}

static int table_add(sandbox *s)
{
    if (sbd_g.count + 1 > sbd_g.tcap) {
        uint32_t cap = sbd_g.tcap ? sbd_g.tcap * 2 : 1024;
        sandbox **t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (uint32_t i = 0; i < sbd_g.tcap; i++)
            for (sandbox *e = sbd_g.table[i], *n; e; e = n) {
                n = e->hnext;
                uint32_t b = hash_id(e->id) & (cap - 1);
                e->hnext = t[b];
                t[b] = e;
            }
        free(sbd_g.table);
        sbd_g.table = t;
        sbd_g.tcap = cap;
    }
    uint32_t b = hash_id(s->id) & (sbd_g.tcap - 1);
    s->hnext = sbd_g.table[b];
    sbd_g.table[b] = s;
    sbd_g.count++;
    return 0;
}

sandbox *sbd_find(const char *id)
{
    if (!sbd_g.tcap)
        return NULL;
    for (sandbox *s = sbd_g.table[hash_id(id) & (sbd_g.tcap - 1)]; s; s = s->hnext)
        if (!strcmp(s->id, id))
            return s;
    return NULL;
}

static void table_remove(sandbox *s)
{
    for (sandbox **p = &sbd_g.table[hash_id(s->id) & (sbd_g.tcap - 1)]; *p; p = &(*p)->hnext)
        if (*p == s) {
            *p = s->hnext;
            sbd_g.count--;
            return;
        }
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static bool id_ok(const char *id)
{
    size_t n = strlen(id);
    if (!n || n > SBD_MAX_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return false;
    }
    return id[0] != '.';
}

static void free_parts(sandbox *s)
{
    wb_call_free(s->call);
    wb_instance_free(s->inst);
    wb_wasi_free(s->wasi);
    for (int i = 0; i < 2; i++)
        sbd_output_free(&s->out[i]);
    free(s->message);
    free(s);
}

sandbox *sbd_create(sbd_module *m, const sbd_spec *spec, const char *id, char *why, size_t whylen, int *status)
{
    char idbuf[SBD_MAX_ID + 1];
    *status = 400;
    if (id && !id_ok(id)) {
        snprintf(why, whylen, "bad id \"%.80s\": 1 to %u letters, digits, '-', '_' or '.'", id, SBD_MAX_ID);
        return NULL;
    }
    if (!id) {
        do
            snprintf(idbuf, sizeof idbuf, "sb-%llu", (unsigned long long)++sbd_g.next_id);
        while (sbd_find(idbuf));
        id = idbuf;
    } else if (sbd_find(id)) {
        *status = 409;
        snprintf(why, whylen, "a sandbox with id %s exists", id);
        return NULL;
    }
    if (sbd_budget_admit(1, false, why, whylen)) {
        *status = 429;
        return NULL;
    }
    sandbox *s = calloc(1, sizeof *s);
    if (!s) {
        *status = 500;
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    snprintf(s->id, sizeof s->id, "%s", id);
    s->max_memory = spec->max_memory ? spec->max_memory : SBD_DEFAULT_MAX_MEMORY;
    s->fuel_limit = spec->fuel;
    s->fuel_rate = spec->fuel_rate;
    s->trap_to_stderr = spec->trap_to_stderr;
    s->created_ns = sbd_now_ns();

    for (int i = 0; spec->out_fds && i < 2; i++)
        if (sbd_output_open_fd(&s->out[i], spec->out_fd[i], s->id, i ? "stderr" : "stdout", why, whylen)) {
            if (!i)
                close(spec->out_fd[1]);
            free_parts(s);
            return NULL;
        }
    for (int i = 0; !spec->out_fds && i < 2; i++) {
        const char *given = i ? spec->stderr_path : spec->stdout_path;
        char path[4096];
        if (given)
            snprintf(path, sizeof path, "%s", given);
        else
            snprintf(path, sizeof path, "%s/logs/%s.%s", sbd_g.statedir, s->id, i ? "stderr" : "stdout");
        if (sbd_output_open(&s->out[i], path, s->id, i ? "stderr" : "stdout", why, whylen)) {
            free_parts(s);
            return NULL;
        }
    }
    if (sbd_guest_init(s, spec, why, whylen)) {
        free_parts(s);
        return NULL;
    }
    wb_instance_limits lim = {.max_memory_bytes = s->max_memory};
    wb_error err;
    wb_extern *imports = NULL;
    uint32_t nimports = 0;
    if (wb_wasi_link(s->wasi, m->mod, &imports, &nimports, &err) != WB_OK) {
        snprintf(why, whylen, "%s", err.message);
        free_parts(s);
        return NULL;
    }
    wb_call_opts start = {.fuel = SBD_START_FUEL};
    wb_result r = wb_instantiate(m->mod, imports, nimports, &lim, &start, &s->inst, &err);
    free(imports);
    if (r == WB_TRAP_OUT_OF_FUEL) {
        snprintf(why, whylen, "the module's start function did not finish within %u units of fuel", SBD_START_FUEL);
        free_parts(s);
        return NULL;
    }
    if (r != WB_OK) {
        snprintf(why, whylen, "instantiate: %s", err.message);
        free_parts(s);
        return NULL;
    }
    wb_memory *mem = wb_instance_memory(s->inst);
    s->mem_now = mem ? wb_memory_size(mem) : 0;
    sbd_budget_created(s->mem_now);
    if (!wb_instance_func(s->inst, "_start")) {
        snprintf(why, whylen, "the module exports no _start function");
        free_parts(s);
        return NULL;
    }
    wb_call_opts opts = {.fuel = s->fuel_limit};
    s->call = wb_call_new(&opts);
    if (!s->call || table_add(s)) {
        *status = 500;
        snprintf(why, whylen, "out of memory");
        free_parts(s);
        return NULL;
    }
    wb_call_set_slice(s->call, SBD_SLICE_FUEL);
    s->mod = m;
    m->refs++;
    s->state = SBD_CREATED;
    sbd_g.by_state[SBD_CREATED]++;
    sbd_g.total_created++;
    return s;
}

int sbd_start(sandbox *s)
{
    if (s->state != SBD_CREATED)
        return -1;
    s->started_ns = sbd_now_ns();
    sbd_g.by_state[SBD_CREATED]--;
    sbd_runq_push(s);
    return 0;
}

void sbd_kill(sandbox *s)
{
    sbd_kill_as(s, 137, "killed");
}

void sbd_kill_as(sandbox *s, int code, const char *reason)
{
    if (s->state == SBD_EXITED || s->kill_req)
        return;
    s->kill_code = code;
    s->kill_reason = reason;
    switch (s->state) {
    case SBD_CREATED:
        sbd_g.by_state[SBD_CREATED]--;
        sbd_g.by_state[SBD_RUNNING]++; /* sbd_finish moves it from RUNNING */
        s->state = SBD_RUNNING;
        sbd_finish(s, code, reason, NULL);
        break;
    case SBD_SLEEPING:
        sbd_heap_remove(s);
        sbd_g.by_state[SBD_SLEEPING]--;
        sbd_g.by_state[SBD_RUNNING]++;
        s->state = SBD_RUNNING;
        sbd_finish(s, code, reason, NULL);
        break;
    case SBD_RUNNABLE: /* the worker that picks it up finishes it */
        s->kill_req = true;
        break;
    case SBD_RUNNING:
        s->kill_req = true;
        wb_call_interrupt(s->call);
        break;
    case SBD_EXITED:
        break;
    }
}

void sbd_delete(sandbox *s)
{
    table_remove(s);
    sbd_g.by_state[s->state]--;
    sbd_module_put(s->mod);
    for (int i = 0; i < 2; i++)
        sbd_output_flush(&s->out[i], true);
    free_parts(s);
}

int sbd_write_state(void)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < sbd_g.tcap; i++)
        for (sandbox *s = sbd_g.table[i]; s; s = s->hnext) {
            json_t *j = json_pack("{s:s,s:s,s:s}", "id", s->id, "state", sbd_state_name(s->state), "module",
                                  s->mod->hash);
            if (s->state == SBD_EXITED) {
                json_object_set_new(j, "exit_code", json_integer(s->exit_code));
                json_object_set_new(j, "reason", json_string(s->reason));
                if (s->message)
                    json_object_set_new(j, "message", json_string(s->message));
            }
            json_array_append_new(a, j);
        }
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/state.json.tmp", sbd_g.statedir);
    snprintf(path, sizeof path, "%s/state.json", sbd_g.statedir);
    json_t *doc = json_pack("{s:o}", "sandboxes", a);
    int rc = json_dump_file(doc, tmp, JSON_INDENT(1));
    json_decref(doc);
    if (rc == 0)
        rc = rename(tmp, path);
    if (rc)
        fprintf(stderr, "wasmboxd: cannot write %s\n", path);
    return rc;
}
