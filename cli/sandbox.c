/*
 * sandbox.c - `wasmbox sandbox ...`: the client of wasmboxd's control API
 * (HTTP over its Unix socket, with libcurl; JSON with jansson).
 *
 *   wasmbox sandbox [--socket PATH] create [--id ID] [--count N] [--start]
 *                   [--env K=V]... [--dir HOST[::GUEST]]... [--fuel N]
 *                   [--fuel-rate N] [--max-memory BYTES] FILE [ARGS...]
 *   wasmbox sandbox start|kill|wait|inspect|logs [--stderr]|rm [-f] ID
 *   wasmbox sandbox ps | metrics
 *
 * The socket is --socket, else $WASMBOXD_SOCKET, else /run/wasmboxd.sock.
 * Exit status: 0 done, 1 the daemon refused (its message on stderr) or
 * cannot be reached, 2 usage; `wait` exits with the sandbox's exit code.
 */
#include "cli.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct resp {
    char *p;
    size_t n;
    long status;
} resp;

static size_t collect(char *p, size_t sz, size_t nm, void *user)
{
    resp *r = user;
    size_t n = sz * nm;
    char *q = realloc(r->p, r->n + n + 1);
    if (!q)
        return 0;
    memcpy(q + r->n, p, n);
    r->p = q;
    r->n += n;
    r->p[r->n] = 0;
    return n;
}

/* Sends a request; returns 0 with the response in *r, or -1 after saying why. */
static int request(const char *sock, const char *method, const char *path, json_t *body, resp *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char url[1024], *data = NULL;
    snprintf(url, sizeof url, "http://localhost%s", path);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    struct curl_slist *h = NULL;
    if (body) {
        data = json_dumps(body, JSON_COMPACT);
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
    } else if (!strcmp(method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(data);
    if (rc != CURLE_OK) {
        fprintf(stderr, "wasmbox: cannot reach wasmboxd at %s: %s\n", sock, curl_easy_strerror(rc));
        free(r->p);
        return -1;
    }
    if (!r->p)
        r->p = calloc(1, 1);
    return 0;
}

/* Prints the daemon's error message for a 4xx/5xx answer. */
static int refused(resp *r)
{
    json_t *j = json_loads(r->p, 0, NULL);
    const char *m = json_string_value(json_object_get(j, "message"));
    fprintf(stderr, "wasmbox: %s (HTTP %ld)\n", m ? m : r->p, r->status);
    json_decref(j);
    free(r->p);
    return 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: wasmbox sandbox [--socket PATH] create [--id ID] [--count N] [--start] [--env K=V]...\n"
                    "           [--dir HOST[::GUEST]]... [--fuel N] [--fuel-rate N] [--max-memory BYTES] FILE [ARGS...]\n"
                    "       wasmbox sandbox [--socket PATH] start|kill|wait|inspect|logs [--stderr]|rm [-f] ID\n"
                    "       wasmbox sandbox [--socket PATH] ps|metrics\n");
    exit(2);
}

static int parse_u64(const char *s, json_int_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || *s == '-' || v > (unsigned long long)INT64_MAX)
        return -1;
    *out = (json_int_t)v;
    return 0;
}

static int create(const char *sock, int argc, char **argv)
{
    json_t *b = json_object(), *env = json_array(), *dirs = json_array(), *lim = json_object();
    json_int_t count = 0, v;
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--start")) {
            json_object_set_new(b, "start", json_true());
            continue;
        }
        if (!a)
            usage();
        i++;
        if (!strcmp(o, "--id"))
            json_object_set_new(b, "id", json_string(a));
        else if (!strcmp(o, "--env"))
            json_array_append_new(env, json_string(a));
        else if (!strcmp(o, "--dir"))
            json_array_append_new(dirs, json_string(a));
        else if (!strcmp(o, "--count") && !parse_u64(a, &count))
            ;
        else if (!strcmp(o, "--fuel") && !parse_u64(a, &v))
            json_object_set_new(lim, "fuel", json_integer(v));
        else if (!strcmp(o, "--fuel-rate") && !parse_u64(a, &v))
            json_object_set_new(lim, "fuel_rate", json_integer(v));
        else if (!strcmp(o, "--max-memory") && !parse_u64(a, &v))
            json_object_set_new(lim, "max_memory", json_integer(v));
        else
            usage();
    }
    if (i >= argc)
        usage();
    char *path = realpath(argv[i], NULL);
    if (!path) {
        fprintf(stderr, "wasmbox: %s: not found\n", argv[i]);
        return 1;
    }
    json_object_set_new(b, "module", json_string(path));
    free(path);
    json_t *args = json_array();
    for (int k = i; k < argc; k++)
        json_array_append_new(args, json_string(argv[k]));
    json_object_set_new(b, "args", args);
    json_object_set_new(b, "env", env);
    json_object_set_new(b, "dirs", dirs);
    json_object_set_new(b, "limits", lim);
    if (count) {
        json_t *id = json_object_get(b, "id");
        if (id) {
            json_object_set(b, "id_prefix", id);
            json_object_del(b, "id");
        }
        json_object_set_new(b, "count", json_integer(count));
    }
    resp r;
    int rc = request(sock, "POST", count ? "/sandboxes/batch" : "/sandboxes", b, &r);
    json_decref(b);
    if (rc)
        return 1;
    if (r.status != 201)
        return refused(&r);
    json_t *j = json_loads(r.p, 0, NULL);
    json_t *ids = json_object_get(j, "ids");
    size_t k;
    json_t *e;
    if (ids)
        json_array_foreach(ids, k, e) printf("%s\n", json_string_value(e));
    else
        printf("%s\n", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    free(r.p);
    return 0;
}

static int simple(const char *sock, const char *method, const char *path, bool print)
{
    resp r;
    if (request(sock, method, path, NULL, &r))
        return 1;
    if (r.status >= 400)
        return refused(&r);
    if (print)
        fputs(r.p, stdout);
    free(r.p);
    return 0;
}

static int ps(const char *sock)
{
    resp r;
    if (request(sock, "GET", "/sandboxes", NULL, &r))
        return 1;
    if (r.status != 200)
        return refused(&r);
    json_t *a = json_loads(r.p, 0, NULL);
    size_t i;
    json_t *s;
    printf("%-24s %-10s %s\n", "ID", "STATE", "EXIT");
    json_array_foreach(a, i, s)
    {
        json_t *code = json_object_get(s, "exit_code");
        printf("%-24s %-10s", json_string_value(json_object_get(s, "id")),
               json_string_value(json_object_get(s, "state")));
        if (code)
            printf(" %lld (%s)", (long long)json_integer_value(code),
                   json_string_value(json_object_get(s, "reason")));
        printf("\n");
    }
    json_decref(a);
    free(r.p);
    return 0;
}

static int wait_for(const char *sock, const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "/sandboxes/%s/wait", id);
    resp r;
    if (request(sock, "POST", path, NULL, &r))
        return 1;
    if (r.status != 200)
        return refused(&r);
    json_t *j = json_loads(r.p, 0, NULL);
    int code = (int)json_integer_value(json_object_get(j, "exit_code"));
    printf("%d %s\n", code, json_string_value(json_object_get(j, "reason")));
    json_decref(j);
    free(r.p);
    return code;
}

int cli_sandbox(int argc, char **argv)
{
    const char *sock = getenv("WASMBOXD_SOCKET");
    if (!sock)
        sock = "/run/wasmboxd.sock";
    int i = 0;
    if (argc >= 2 && !strcmp(argv[0], "--socket")) {
        sock = argv[1];
        i = 2;
    }
    if (i >= argc)
        usage();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *cmd = argv[i++];
    int rc;
    char path[256];
    if (!strcmp(cmd, "create")) {
        rc = create(sock, argc - i, argv + i);
    } else if (!strcmp(cmd, "ps")) {
        rc = ps(sock);
    } else if (!strcmp(cmd, "metrics")) {
        rc = simple(sock, "GET", "/metrics", true);
    } else {
        bool err = false, force = false;
        for (; i < argc && argv[i][0] == '-'; i++) {
            if (!strcmp(argv[i], "--stderr"))
                err = true;
            else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
                force = true;
            else
                usage();
        }
        if (i + 1 != argc || strlen(argv[i]) > 64 || strchr(argv[i], '/') || strchr(argv[i], '?'))
            usage();
        const char *id = argv[i];
        if (!strcmp(cmd, "start") || !strcmp(cmd, "kill")) {
            snprintf(path, sizeof path, "/sandboxes/%s/%s", id, cmd);
            rc = simple(sock, "POST", path, false);
        } else if (!strcmp(cmd, "inspect")) {
            snprintf(path, sizeof path, "/sandboxes/%s", id);
            rc = simple(sock, "GET", path, true);
        } else if (!strcmp(cmd, "logs")) {
            snprintf(path, sizeof path, "/sandboxes/%s/logs?stream=%s", id, err ? "stderr" : "stdout");
            rc = simple(sock, "GET", path, true);
        } else if (!strcmp(cmd, "rm")) {
            snprintf(path, sizeof path, "/sandboxes/%s%s", id, force ? "?force=true" : "");
            rc = simple(sock, "DELETE", path, false);
        } else if (!strcmp(cmd, "wait")) {
            rc = wait_for(sock, id);
        } else {
            usage();
            rc = 2;
        }
    }
    curl_global_cleanup();
    return rc;
}
