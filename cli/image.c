/*
 * image.c - `wasmbox image build -o IMAGE.tar [--tag NAME] FILE.wasm [FILES...]`
 *
 * Writes an OCI image layout as one tar file, the shape `FROM scratch` /
 * `ADD app.wasm /` gives, that `ctr images import --platform wasi/wasm`
 * takes:
 *
 *   oci-layout                {"imageLayoutVersion": "1.0.0"}
 *   index.json                one manifest, platform wasi/wasm, the name
 *   blobs/sha256/<layer>      a tar of the files, each at the root
 *   blobs/sha256/<config>     os wasi, architecture wasm, Entrypoint ["/FILE.wasm"]
 *   blobs/sha256/<manifest>   the config and the layer
 *
 * The layer is uncompressed (its digest is its diff_id) and every time stamp
 * is 0, so the same files always give the same image digest.  Only regular
 * files are taken, by their base names, and the first must be a wasm binary:
 * an image whose entrypoint is no module would only fail later, in the
 * shim, on every node that runs it.  `--platform OS/ARCH` (other than
 * wasi/wasm) packs a native program the same way: the benchmark's runc
 * anchor.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files in one image: an application and its data, not a distribution. */
#define IMG_MAX_FILES 256
/* ustar's size field holds 11 octal digits: files below 8 GiB. */
#define IMG_MAX_FILE_SIZE (((uint64_t)1 << 33) - 1)

/* ---- an in-memory tar (ustar) ------------------------------------------------------------ */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static int buf_add(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static int buf_zeros(buf *b, size_t n)
{
    static const uint8_t z[512];
    while (n) {
        size_t k = n < sizeof z ? n : sizeof z;
        if (buf_add(b, z, k))
            return -1;
        n -= k;
    }
    return 0;
}

/* One member: a ustar header, the bytes, padding to 512. */
static int tar_add(buf *t, const char *name, const void *data, size_t n, unsigned mode)
{
    uint8_t h[512] = {0};
    if (strlen(name) >= 100)
        return -1;
    memcpy(h, name, strlen(name));
    snprintf((char *)h + 100, 8, "%07o", mode);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)n);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    if (buf_add(t, h, sizeof h) || buf_add(t, data, n))
        return -1;
    return buf_zeros(t, (512 - n % 512) % 512);
}

static int tar_end(buf *t)
{
    return buf_zeros(t, 1024);
}

/* ---- blobs ------------------------------------------------------------------------------- */

static void sha256_hex(const void *p, size_t n, char out[72])
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    strcpy(out, "sha256:");
    for (int i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* Adds p as blobs/sha256/<hex> to the outer tar; digest out. */
static int add_blob(buf *outer, const void *p, size_t n, char digest[72])
{
    char name[100];
    sha256_hex(p, n, digest);
    snprintf(name, sizeof name, "blobs/sha256/%s", digest + 7);
    return tar_add(outer, name, p, n, 0644);
}

static int add_json_blob(buf *outer, json_t *j, char digest[72], size_t *size)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    if (!s)
        return -1;
    *size = strlen(s);
    int rc = add_blob(outer, s, *size, digest);
    free(s);
    return rc;
}

/* ---- names ------------------------------------------------------------------------------- */

/* NAME as containerd stores it: docker.io/library/NAME:latest for a bare
 * name, as `docker` and `ctr` would resolve it. */
static char *full_name(const char *tag)
{
    const char *slash = strrchr(tag, '/');
    bool has_tag = strchr(slash ? slash : tag, ':') != NULL;
    const char *first_slash = strchr(tag, '/');
    bool has_host = first_slash && (memchr(tag, '.', (size_t)(first_slash - tag)) ||
                                    memchr(tag, ':', (size_t)(first_slash - tag)) ||
                                    !strncmp(tag, "localhost/", 10));
    size_t n = strlen(tag) + 32;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s%s", has_host ? "" : "docker.io/", has_host || first_slash ? "" : "library/", tag,
                 has_tag ? "" : ":latest");
    return s;
}

static bool tag_ok(const char *t)
{
    if (!*t || strlen(t) > 200)
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/:", *p)))
            return false;
    return t[0] != '/' && t[0] != '.' && t[0] != ':';
}

/* ---- the command ------------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: wasmbox image build -o IMAGE.tar [--tag NAME] [--platform OS/ARCH] FILE.wasm [FILES...]\n"
                    "  an OCI image (os wasi, architecture wasm) with the files at its root and\n"
                    "  FILE.wasm as its entrypoint; import it with\n"
                    "  ctr images import --platform wasi/wasm IMAGE.tar\n");
    return 1;
}

/* A regular file's bytes; NULL after saying why. */
static uint8_t *read_regular(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        fprintf(stderr, "wasmbox image: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    close(fd);
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > IMG_MAX_FILE_SIZE) {
        fprintf(stderr, "wasmbox image: %s is not a regular file below 8 GiB\n", path);
        return NULL;
    }
    return cli_read_file(path, len);
}

static int build(const char *out, const char *tag, const char *os, const char *arch, int nfiles, char **files)
{
    bool wasm = !strcmp(os, "wasi");
    buf layer = {0}, outer = {0};
    int rc = 1;
    char *name = full_name(tag);
    char names[IMG_MAX_FILES][100];
    for (int i = 0; i < nfiles; i++) {
        const char *base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
        if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) >= sizeof names[0]) {
            fprintf(stderr, "wasmbox image: %s: not a file name an image can hold\n", files[i]);
            goto done;
        }
        for (int k = 0; k < i; k++)
            if (!strcmp(names[k], base)) {
                fprintf(stderr, "wasmbox image: two files named %s\n", base);
                goto done;
            }
        snprintf(names[i], sizeof names[i], "%s", base);
        size_t len;
        uint8_t *data = read_regular(files[i], &len);
        if (!data)
            goto done;
        if (i == 0 && wasm && (len < 8 || memcmp(data, "\0asm", 4))) {
            fprintf(stderr, "wasmbox image: %s is not a wasm binary (\\0asm): the entrypoint must be one\n",
                    files[i]);
            free(data);
            goto done;
        }
        int bad = tar_add(&layer, base, data, len, i == 0 ? 0755 : 0644);
        free(data);
        if (bad) {
            fprintf(stderr, "wasmbox image: out of memory\n");
            goto done;
        }
    }
    if (tar_end(&layer))
        goto done;

    char layer_d[72], config_d[72], manifest_d[72], entry[104];
    size_t config_n, manifest_n;
    snprintf(entry, sizeof entry, "/%s", names[0]);
    const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
    if (tar_add(&outer, "oci-layout", layout, strlen(layout), 0644) ||
        add_blob(&outer, layer.p, layer.len, layer_d))
        goto oom;
    json_t *config = json_pack("{s:s,s:s,s:{s:[s]},s:{s:s,s:[s]},s:[{s:s,s:s}]}", "architecture", arch, "os",
                               os, "config", "Entrypoint", entry, "rootfs", "type", "layers", "diff_ids",
                               layer_d, "history", "created_by", "wasmbox image build", "comment", entry);
    if (!config || add_json_blob(&outer, config, config_d, &config_n))
        goto oom;
    json_t *manifest =
        json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[{s:s,s:s,s:I}]}", "schemaVersion", 2, "mediaType",
                  "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                  "application/vnd.oci.image.config.v1+json", "digest", config_d, "size", (json_int_t)config_n,
                  "layers", "mediaType", "application/vnd.oci.image.layer.v1.tar", "digest", layer_d, "size",
                  (json_int_t)layer.len);
    if (!manifest || add_json_blob(&outer, manifest, manifest_d, &manifest_n))
        goto oom;
    const char *short_tag = strrchr(name, ':');
    json_t *index = json_pack(
        "{s:i,s:s,s:[{s:s,s:s,s:I,s:{s:s,s:s},s:{s:s,s:s}}]}", "schemaVersion", 2, "mediaType",
        "application/vnd.oci.image.index.v1+json", "manifests", "mediaType",
        "application/vnd.oci.image.manifest.v1+json", "digest", manifest_d, "size", (json_int_t)manifest_n,
        "platform", "architecture", arch, "os", os, "annotations", "io.containerd.image.name", name,
        "org.opencontainers.image.ref.name", short_tag + 1);
    char *index_s = index ? json_dumps(index, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(index);
    if (!index_s || tar_add(&outer, "index.json", index_s, strlen(index_s), 0644) || tar_end(&outer)) {
        free(index_s);
        goto oom;
    }
    free(index_s);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(outer.p, 1, outer.len, f) != outer.len || fclose(f) || rename(tmp, out)) {
        fprintf(stderr, "wasmbox image: cannot write %s: %s\n", out, strerror(errno));
        unlink(tmp);
        goto done;
    }
    printf("%s %s\n", name, manifest_d);
    rc = 0;
    goto done;
oom:
    fprintf(stderr, "wasmbox image: out of memory\n");
done:
    free(name);
    free(layer.p);
    free(outer.p);
    return rc;
}

int cli_image(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "build"))
        return usage();
    const char *out = NULL, *tag = NULL, *platform = "wasi/wasm";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--tag") && i + 1 < argc)
            tag = argv[++i];
        else if (!strcmp(argv[i], "--platform") && i + 1 < argc)
            platform = argv[++i];
        else
            return usage();
    }
    int nfiles = argc - i;
    if (!out || nfiles < 1)
        return usage();
    if (nfiles > IMG_MAX_FILES) {
        fprintf(stderr, "wasmbox image: at most %d files\n", IMG_MAX_FILES);
        return 1;
    }
    char deflt[128];
    if (!tag) { /* the module's name: app.wasm -> app */
        const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        snprintf(deflt, sizeof deflt, "%.*s", (int)strcspn(base, "."), base);
        for (char *p = deflt; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        tag = deflt;
    }
    if (!tag_ok(tag)) {
        fprintf(stderr, "wasmbox image: bad name %s: lower-case letters, digits, '.', '_', '-', '/' and ':'\n", tag);
        return 1;
    }
    char os[32], arch[32];
    const char *slash = strchr(platform, '/');
    if (!slash || slash - platform >= (int)sizeof os || strlen(slash + 1) >= sizeof arch || slash == platform ||
        !slash[1]) {
        fprintf(stderr, "wasmbox image: --platform is OS/ARCH, as wasi/wasm or linux/amd64\n");
        return 1;
    }
    snprintf(os, sizeof os, "%.*s", (int)(slash - platform), platform);
    snprintf(arch, sizeof arch, "%s", slash + 1);
    return build(out, tag, os, arch, nfiles, argv + i);
}
