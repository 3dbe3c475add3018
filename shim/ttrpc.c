/*
 * ttrpc.c - ttrpc, containerd's RPC between it and its shims, both ways.
 *
 * A frame is a 10-byte header (data length and stream id, big-endian 32
 * bits each, a message type and flags) and the data: a Request (service,
 * method, payload) from the client on an odd stream, a Response (status,
 * payload) back on the same stream.  Only unary calls are served: the Task
 * API has no streams.  A frame over 4 MiB, an even stream id or data that
 * does not decode ends the connection (with a reply where one can be
 * made); nothing a client sends can make the shim buffer more than
 * SHIM_MAX_PENDING_OUT for it.
 *
 * The client side (events to containerd) keeps one connection to
 * containerd's ttrpc socket, made again after containerd restarts; its
 * answers are read and dropped.
 */
#include "shim.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { T_REQUEST = 1, T_RESPONSE = 2, T_DATA = 3 };
#define HDR 10

struct shim_conn {
    struct bufferevent *bev; /* NULL once closed */
    uint32_t refs;
    bool reading; /* in on_read: a close leaves the last reference to it */
};

static struct evconnlistener *listener;
static uint32_t nconns;
static uint64_t last_accept;

uint32_t shim_ttrpc_connections(void)
{
    return nconns;
}

uint64_t shim_ttrpc_last_accept_ns(void)
{
    return last_accept;
}

void shim_conn_ref(shim_conn *c)
{
    c->refs++;
}

void shim_conn_unref(shim_conn *c)
{
    if (--c->refs == 0)
        free(c);
}

bool shim_conn_open(const shim_conn *c)
{
    return c->bev != NULL;
}

static void conn_close(shim_conn *c)
{
    if (!c->bev)
        return;
    bufferevent_free(c->bev);
    c->bev = NULL;
    nconns--;
    if (!c->reading)
        shim_conn_unref(c);
}

static void put_header(uint8_t *h, uint32_t len, uint32_t stream, uint8_t type)
{
    h[0] = (uint8_t)(len >> 24), h[1] = (uint8_t)(len >> 16), h[2] = (uint8_t)(len >> 8), h[3] = (uint8_t)len;
    h[4] = (uint8_t)(stream >> 24), h[5] = (uint8_t)(stream >> 16), h[6] = (uint8_t)(stream >> 8),
    h[7] = (uint8_t)stream;
    h[8] = type;
    h[9] = 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Packs msg into a frame of this type and queues it on bev. */
static int send_frame(struct bufferevent *bev, uint32_t stream, uint8_t type, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    if (n > SHIM_MAX_FRAME)
        return -1;
    uint8_t *f = malloc(HDR + n);
    if (!f)
        return -1;
    put_header(f, (uint32_t)n, stream, type);
    protobuf_c_message_pack(msg, f + HDR);
    int rc = bufferevent_write(bev, f, HDR + n);
    free(f);
    return rc;
}

static void reply_status(shim_conn *c, uint32_t stream, int code, const char *message,
                         const ProtobufCMessage *msg)
{
    if (!c->bev)
        return;
    Wbshim__Response r = WBSHIM__RESPONSE__INIT;
    Wbshim__Status st = WBSHIM__STATUS__INIT;
    uint8_t *payload = NULL;
    if (code) {
        st.code = code;
        st.message = (char *)message;
        r.status = &st;
    } else {
        r.status = &st; /* code 0 */
        if (msg) {
            size_t n = protobuf_c_message_get_packed_size(msg);
            payload = malloc(n ? n : 1);
            if (!payload) {
                reply_status(c, stream, SHIM_INTERNAL, "out of memory", NULL);
                return;
            }
            protobuf_c_message_pack(msg, payload);
            r.payload.data = payload;
            r.payload.len = n;
        }
    }
    if (send_frame(c->bev, stream, T_RESPONSE, &r.base) ||
        evbuffer_get_length(bufferevent_get_output(c->bev)) > SHIM_MAX_PENDING_OUT)
        conn_close(c);
    free(payload);
}

void shim_reply(shim_conn *c, uint32_t stream, const ProtobufCMessage *msg)
{
    reply_status(c, stream, SHIM_OK, NULL, msg);
}

void shim_reply_error(shim_conn *c, uint32_t stream, int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_status(c, stream, code, msg, NULL);
}

/* One frame of a client: a request, dispatched; anything else ignored. */
static void on_frame(shim_conn *c, uint32_t stream, uint8_t type, const uint8_t *p, size_t n)
{
    if (type != T_REQUEST)
        return; /* no streaming method takes data */
    Wbshim__Request *rq = wbshim__request__unpack(NULL, n, p);
    if (!rq) {
        shim_reply_error(c, stream, SHIM_INVALID, "ttrpc: a request that does not decode");
        return;
    }
    if (strcmp(rq->service, "containerd.task.v2.Task"))
        shim_reply_error(c, stream, SHIM_UNIMPLEMENTED, "ttrpc: service %.100s not served by the wasmbox shim",
                         rq->service);
    else
        shim_task_dispatch(c, stream, rq->method, rq->payload.data, rq->payload.len);
    wbshim__request__free_unpacked(rq, NULL);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    shim_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    c->reading = true; /* a reply may close it */
    while (c->bev && evbuffer_get_length(in) >= HDR) {
        uint8_t h[HDR];
        evbuffer_copyout(in, h, HDR);
        uint32_t len = be32(h), stream = be32(h + 4);
        if (len > SHIM_MAX_FRAME || !(stream & 1)) {
            sbd_log("ttrpc: a frame of %u bytes on stream %u: closing the connection", len, stream);
            conn_close(c);
            break;
        }
        if (evbuffer_get_length(in) < HDR + (size_t)len)
            break;
        evbuffer_drain(in, HDR);
        uint8_t *p = evbuffer_pullup(in, len);
        on_frame(c, stream, h[8], p, len);
        if (c->bev)
            evbuffer_drain(in, len);
    }
    c->reading = false;
    if (!c->bev)
        shim_conn_unref(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_close(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    shim_conn *c = calloc(1, sizeof *c);
    struct bufferevent *bev = c ? bufferevent_socket_new(sbd_g.base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        free(c);
        close(fd);
        return;
    }
    c->bev = bev;
    c->refs = 1;
    nconns++;
    last_accept = sbd_now_ns();
    bufferevent_setcb(bev, on_read, NULL, on_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    /* out of descriptors: the listener is disabled for a moment by
     * libevent's own back-off; say it once a second at most */
    sbd_log("accept: %s", strerror(errno));
}

int shim_ttrpc_serve(int listen_fd)
{
    evutil_make_socket_nonblocking(listen_fd);
    listener = evconnlistener_new(sbd_g.base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
                                  listen_fd);
    if (!listener)
        return -1;
    evconnlistener_set_error_cb(listener, on_accept_error);
    return 0;
}

void shim_ttrpc_stop(void)
{
    if (listener)
        evconnlistener_free(listener);
    listener = NULL;
}

/* ---- the client side: containerd's ttrpc socket ----------------------------------------------- */

static struct {
    struct bufferevent *bev;
    uint32_t next_stream;
} cl;

static void cl_read(struct bufferevent *bev, void *arg)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in)); /* answers to events: nothing to do */
}

static void cl_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        bufferevent_free(cl.bev);
        cl.bev = NULL;
    }
}

static int cl_connect(const char *address)
{
    if (!strncmp(address, "unix://", 7))
        address += 7;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(address) >= sizeof sa.sun_path)
        return -1;
    strcpy(sa.sun_path, address);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    evutil_make_socket_nonblocking(fd);
    cl.bev = bufferevent_socket_new(sbd_g.base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!cl.bev) {
        close(fd);
        return -1;
    }
    cl.next_stream = 1;
    bufferevent_setcb(cl.bev, cl_read, NULL, cl_event, NULL);
    bufferevent_enable(cl.bev, EV_READ | EV_WRITE);
    return 0;
}

void shim_ttrpc_send(const char *address, const char *service, const char *method, const ProtobufCMessage *msg)
{
    if (!cl.bev && cl_connect(address)) {
        sbd_log("events: cannot reach containerd at %s: %s; %s/%s not sent", address, strerror(errno), service,
                method);
        return;
    }
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *payload = malloc(n ? n : 1);
    if (!payload)
        return;
    protobuf_c_message_pack(msg, payload);
    Wbshim__KeyValue ns = WBSHIM__KEY_VALUE__INIT, *md[1] = {&ns};
    ns.key = "containerd-namespace-ttrpc";
    ns.value = (char *)shim_o.ns;
    Wbshim__Request rq = WBSHIM__REQUEST__INIT;
    rq.service = (char *)service;
    rq.method = (char *)method;
    rq.payload.data = payload;
    rq.payload.len = n;
    rq.n_metadata = 1;
    rq.metadata = md;
    if (send_frame(cl.bev, cl.next_stream, T_REQUEST, &rq.base))
        sbd_log("events: %s/%s not sent", service, method);
    cl.next_stream += 2;
    free(payload);
}
