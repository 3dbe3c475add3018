/*
 * opts.c - the command line of both shim binaries (containerd's flags are
 * Go's: -name value, -name=value, and -debug alone), and the environment:
 * WASMBOX_SHIM_RUN, the directory of the shims' sockets (default
 * /run/wasmbox-shim), and TTRPC_ADDRESS, containerd's ttrpc socket.
 */
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the shims' sockets, pids and logs live unless WASMBOX_SHIM_RUN says. */
#define SHIM_DEFAULT_RUNDIR "/run/wasmbox-shim"

shim_opts shim_o;

const char *shim_parse_args(int argc, char **argv)
{
    const char *cmd = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            cmd = a;
            continue;
        }
        a += a[1] == '-' ? 2 : 1;
        const char *eq = strchr(a, '='), *v = eq ? eq + 1 : NULL;
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (!strncmp(a, "debug", nl) || !strncmp(a, "v", nl) || !strncmp(a, "version", nl)) {
            if (a[0] == 'v')
                return "version";
            continue;
        }
        if (!v && i + 1 < argc)
            v = argv[++i];
        if (!v)
            break;
        if (!strncmp(a, "namespace", nl))
            shim_o.ns = v;
        else if (!strncmp(a, "address", nl))
            shim_o.address = v;
        else if (!strncmp(a, "publish-binary", nl))
            shim_o.publish_binary = v;
        else if (!strncmp(a, "id", nl))
            shim_o.id = v;
        else if (!strncmp(a, "bundle", nl))
            shim_o.bundle = v;
        else if (!strncmp(a, "group", nl))
            shim_o.group = v;
    }
    shim_o.rundir = getenv("WASMBOX_SHIM_RUN") ? getenv("WASMBOX_SHIM_RUN") : SHIM_DEFAULT_RUNDIR;
    shim_o.ttrpc_address = getenv("TTRPC_ADDRESS");
    if (!shim_o.ttrpc_address && shim_o.address) { /* containerd's ttrpc socket is its address + .ttrpc */
        static char t[4096];
        snprintf(t, sizeof t, "%s.ttrpc", shim_o.address);
        shim_o.ttrpc_address = t;
    }
    if (!shim_o.ns)
        shim_o.ns = getenv("NAMESPACE") ? getenv("NAMESPACE") : "default";
    return cmd;
}
