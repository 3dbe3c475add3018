/*
 * shim.h - containerd-shim-wasmbox-v1: wasmbox as a containerd runtime
 * (io.containerd.wasmbox.v1), the second front end of the sandbox core
 * (sandboxd/core/core.h; wasmboxd is the first).
 *
 * One shim process serves many containers: all of a pod's (grouped by the
 * annotation io.kubernetes.cri.sandbox-id) or, without one, all of a
 * containerd namespace's on the node.  Every container is a sandbox of the
 * core, time-sliced on its worker threads: no process, thread or memory
 * reservation per container, so a sleeping container costs its instance
 * and a few records.
 *
 * Two binaries.  containerd-shim-wasmbox-v1, what containerd runs once per
 * container, small and static:
 *   main.c     the subcommands start and delete
 *   start.c    the shim v2 start protocol: find or start the group's shim
 *   opts.c     the flags and environment (also the daemon's)
 *   sha256.c   the hash in a group's socket name (also the daemon's)
 *   bundle.c   (the annotations that pick the group; unmounting)
 * and wasmbox-shimd, the shim itself, one per group:
 *   serve.c    the process: event loop, workers, lingering exit
 *   ttrpc.c    ttrpc over the Unix socket: frames, requests, replies; and
 *              the client side that forwards events to containerd
 *   task.c     the Task API (containerd.task.v2.Task) over the core
 *   bundle.c   a container's bundle: config.json, its rootfs mounts, the
 *              module inside the rootfs, stdio FIFOs
 *   events.c   /tasks/create|start|exit|delete, published to containerd
 *
 * Threads: the event loop (libevent, sbd_g.base) runs ttrpc and the Task
 * API; the core's workers run the guests.  Tasks are the event loop's;
 * their sandboxes are the core's, under sbd_g.lock.
 */
#ifndef WB_SHIM_H
#define WB_SHIM_H

#include "core/core.h"

#include "events.pb-c.h"
#include "task.pb-c.h"
#include "ttrpc.pb-c.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- limits, named once --------------------------------------------------------------------- */

/* ttrpc's own cap on a frame's data (PROTOCOL.md): larger is refused. */
#define SHIM_MAX_FRAME (4u << 20)
/* Replies a client has not read yet: past this the connection is closed,
 * so a client that only writes cannot make the shim buffer without end. */
#define SHIM_MAX_PENDING_OUT (16u << 20)
/* After its last task is deleted and containerd asked it to shut down, the
 * shim lingers this long: a `start` that just found it for a new container
 * must still find it when containerd connects. */
#define SHIM_LINGER_NS ((uint64_t)2000000000)
/* config.json of a bundle: containerd writes a few KiB. */
#define SHIM_MAX_CONFIG (1u << 20)
/* Fuel per second of one CPU: SBD_SLICE_FUEL is about a millisecond of
 * guest work, so a CPU quota of q/p gives q/p of this. */
#define SHIM_FUEL_PER_CPU_SECOND (1000u * (uint64_t)SBD_SLICE_FUEL)
/* Preopened directories of one container (OCI bind mounts and its root). */
#define SHIM_MAX_MOUNTS 64u

/* gRPC status codes, as containerd turns them into its errors. */
enum {
    SHIM_OK = 0,
    SHIM_INVALID = 3,
    SHIM_NOT_FOUND = 5,
    SHIM_EXISTS = 6,
    SHIM_PRECONDITION = 9,
    SHIM_UNIMPLEMENTED = 12,
    SHIM_INTERNAL = 13,
};

/* ---- the process ------------------------------------------------------------------------------ */

typedef struct shim_opts {
    const char *ns, *address, *publish_binary, *id, *bundle;
    const char *ttrpc_address; /* containerd's, for events ($TTRPC_ADDRESS) */
    const char *rundir;        /* sockets, pids and logs of the shims */
    const char *group;         /* serve: the group it serves */
} shim_opts;

extern shim_opts shim_o;

/* opts.c: the flags and environment into shim_o; returns the subcommand
 * ("version" for -v), NULL if none. */
const char *shim_parse_args(int argc, char **argv);
/* sha256.c */
void shim_sha256(const void *data, size_t len, uint8_t out[32]);

/* start.c */
int shim_start(void);
/* The group's socket, lock and pid file paths into buf (of n). */
void shim_group_path(const char *group, const char *ext, char *buf, size_t n);

/* serve.c: the time the shim may exit (its last task gone, shut down) */
void shim_maybe_exit(void);
uint64_t shim_wall_ns(uint64_t mono_ns);

/* ---- ttrpc (ttrpc.c) -------------------------------------------------------------------------- */

typedef struct shim_conn shim_conn;

int shim_ttrpc_serve(int listen_fd);
void shim_ttrpc_stop(void);
uint32_t shim_ttrpc_connections(void);
uint64_t shim_ttrpc_last_accept_ns(void);
/* A reply on the stream: msg (NULL: empty) with status OK. */
void shim_reply(shim_conn *c, uint32_t stream, const ProtobufCMessage *msg);
void shim_reply_error(shim_conn *c, uint32_t stream, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Connections outlive nothing they are not referenced by: a waiter holds one. */
void shim_conn_ref(shim_conn *c);
void shim_conn_unref(shim_conn *c);
bool shim_conn_open(const shim_conn *c);

/* The client side: a unary call to containerd, its answer ignored. */
void shim_ttrpc_send(const char *address, const char *service, const char *method, const ProtobufCMessage *msg);

/* ---- tasks (task.c) --------------------------------------------------------------------------- */

void shim_task_dispatch(shim_conn *c, uint32_t stream, const char *method, const uint8_t *p, size_t n);
/* The core's exits, on the event loop: waiters answered, events sent. */
void shim_task_report_exits(void);
uint32_t shim_task_count(void);
bool shim_task_shutdown_asked(void);

/* ---- bundles (bundle.c) ----------------------------------------------------------------------- */

/* What config.json and the request make of a container. */
typedef struct shim_bundle {
    char *rootfs;        /* bundle/rootfs (or root.path), absolute */
    bool mounted;        /* the request's rootfs mounts are on it */
    bool pause;          /* Kubernetes' sandbox (pause) container: a no-op task */
    char **args, **env;  /* NULL-terminated */
    uint32_t nargs, nenv;
    char *dir_host[SHIM_MAX_MOUNTS], *dir_guest[SHIM_MAX_MOUNTS];
    uint32_t ndirs;
    uint64_t max_memory, fuel, fuel_rate;
    char *group;         /* the shim group the annotations ask for */
} shim_bundle;

/* Reads BUNDLE/config.json; -1 with why. */
int shim_bundle_read(const char *bundle, shim_bundle *b, char *why, size_t whylen);
/* The group annotations name (the pod's sandbox id, io.wasmbox.shim.group),
 * malloc'd; "node" if none. */
char *shim_bundle_group(const char *bundle);
/* Mounts the rootfs mounts of a Create on b->rootfs. */
int shim_bundle_mount(shim_bundle *b, Wbshim__Mount **m, size_t n, char *why, size_t whylen);
void shim_bundle_unmount(const char *rootfs);
/* Opens args[0] inside the rootfs, no link leading out of it. */
int shim_bundle_open_module(const shim_bundle *b, char *why, size_t whylen);
/* A stdio FIFO, read+write and non-blocking (/dev/null for ""). */
int shim_bundle_open_stdio(const char *path, char *why, size_t whylen);
void shim_bundle_free(shim_bundle *b);

/* ---- events (events.c) ------------------------------------------------------------------------ */

void shim_event(const char *topic, const char *type, const ProtobufCMessage *ev);

#endif
