/*
 * main.c - containerd-shim-wasmbox-v1, the runtime io.containerd.wasmbox.v1:
 * what containerd runs.
 *
 *   containerd-shim-wasmbox-v1 -namespace N -address A -publish-binary B -id ID start
 *       (in the bundle) find or start the group's shim; print its address
 *   containerd-shim-wasmbox-v1 -namespace N -address A -id ID -bundle DIR delete
 *       clean up after a shim that is gone: unmount the rootfs, print a
 *       DeleteResponse (protobuf) for containerd
 *
 * containerd runs `start` once per container, so this binary is small and
 * linked statically (libc, jansson, protobuf-c): the shim itself is
 * wasmbox-shimd (serve.c), next to it, which start.c runs when its group
 * has none.  A start of the full binary, dynamically linked with OpenSSL,
 * cost ~6 ms of CPU, a fifth of containerd's whole cost of a wasm container.
 */
#include "shim.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* `delete`: the shim is gone (or never started); leave nothing mounted. */
static int cleanup(void)
{
    char rootfs[4096];
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", shim_o.bundle ? shim_o.bundle : ".");
    shim_bundle_unmount(rootfs);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Wbshim__Timestamp ts = WBSHIM__TIMESTAMP__INIT;
    ts.seconds = now.tv_sec;
    ts.nanos = (int32_t)now.tv_nsec;
    Wbshim__DeleteResponse r = WBSHIM__DELETE_RESPONSE__INIT;
    r.exit_status = 137;
    r.exited_at = &ts;
    uint8_t buf[64];
    size_t n = wbshim__delete_response__pack(&r, buf);
    return fwrite(buf, 1, n, stdout) == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *cmd = shim_parse_args(argc, argv);
    if (cmd && !strcmp(cmd, "version")) {
        printf("containerd-shim-wasmbox-v1 (wasmbox)\n");
        return 0;
    }
    if (cmd && !strcmp(cmd, "start"))
        return shim_start();
    if (cmd && !strcmp(cmd, "delete"))
        return cleanup();
    fprintf(stderr, "usage: containerd-shim-wasmbox-v1 -namespace N -address A -id ID start|delete\n"
                    "(run by containerd for the runtime io.containerd.wasmbox.v1)\n");
    return 2;
}
