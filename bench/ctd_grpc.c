/*
 * ctd_grpc.c - unary gRPC over HTTP/2 (h2c, prior knowledge) on containerd's
 * unix socket, with libnghttp2 doing the framing.
 *
 * A gRPC request is a HEADERS frame (POST /service/method, content-type
 * application/grpc, the namespace as the metadata header
 * containerd-namespace) and DATA holding one length-prefixed message (a
 * byte 0 for "not compressed", 4 bytes of length, big-endian).  The answer:
 * HEADERS, DATA with one such message, and trailers with grpc-status and
 * grpc-message; an error may come as headers alone ("trailers only").  The
 * status is read from whichever header block carries it.
 *
 * Why not one connection per call, as a naive client would: the point of
 * this client is to cost containerd and the machine as little as a client
 * can, so that a runtime's own cost is what the benchmark sees.
 */
#define _GNU_SOURCE
#include "ctd_grpc.h"

#include <errno.h>
#include <fcntl.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Far above what containerd answers these calls with (a spec is a few KiB). */
#define CTDC_MAX_RESPONSE (4u << 20)

typedef struct ctdc_req {
    ctdc_done done;
    void *arg;
    uint8_t *req;
    size_t reqlen, reqoff;
    uint8_t *resp;
    size_t rlen, rcap;
    int status; /* grpc-status; -1 until a header says */
    char msg[256];
    struct ctdc_req *next; /* all calls, to end them when the connection dies */
    struct ctdc_req **prevp;
} ctdc_req;

struct ctdc_conn {
    int fd;
    char *ns;
    nghttp2_session *h2;
    ctdc_req *calls;
    uint32_t inflight;
};

static void call_end(ctdc_conn *c, ctdc_req *k, int status, const char *msg)
{
    *k->prevp = k->next;
    if (k->next)
        k->next->prevp = k->prevp;
    c->inflight--;
    const uint8_t *p = NULL;
    size_t n = 0;
    if (status == 0) {
        /* one message: flag byte, 4-byte length, body */
        if (k->rlen < 5 || k->resp[0] != 0) {
            status = -1;
            msg = k->rlen < 5 ? "a response without a message" : "a compressed response";
        } else {
            n = (size_t)k->resp[1] << 24 | (size_t)k->resp[2] << 16 | (size_t)k->resp[3] << 8 | k->resp[4];
            p = k->resp + 5;
            if (n > k->rlen - 5) {
                status = -1;
                msg = "a truncated response";
                n = 0;
            }
        }
    }
    k->done(k->arg, status, msg, p, n);
    free(k->req);
    free(k->resp);
    free(k);
}

/* ---- nghttp2's callbacks ---------------------------------------------------------------------- */

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    ctdc_conn *c = ud;
    ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
    if (w < 0)
        return errno == EAGAIN || errno == EINTR ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
    return w;
}

static ssize_t read_body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    ctdc_req *k = src->ptr;
    size_t n = k->reqlen - k->reqoff;
    if (n > len)
        n = len;
    memcpy(buf, k->req + k->reqoff, n);
    k->reqoff += n;
    if (k->reqoff == k->reqlen)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t sid, const uint8_t *data, size_t len, void *ud)
{
    ctdc_req *k = nghttp2_session_get_stream_user_data(s, sid);
    if (!k)
        return 0;
    if (k->rlen + len > CTDC_MAX_RESPONSE)
        return nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, sid, NGHTTP2_CANCEL), 0;
    if (k->rlen + len > k->rcap) {
        size_t cap = k->rcap ? k->rcap : 256;
        while (cap < k->rlen + len)
            cap *= 2;
        uint8_t *r = realloc(k->resp, cap);
        if (!r)
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        k->resp = r;
        k->rcap = cap;
    }
    memcpy(k->resp + k->rlen, data, len);
    k->rlen += len;
    return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    ctdc_req *k = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (!k)
        return 0;
    if (nlen == 11 && !memcmp(name, "grpc-status", 11))
        k->status = atoi((const char *)value); /* nghttp2 NUL-terminates values */
    else if (nlen == 12 && !memcmp(name, "grpc-message", 12))
        snprintf(k->msg, sizeof k->msg, "%.*s", (int)vlen, value);
    return 0;
}

static int on_close(nghttp2_session *s, int32_t sid, uint32_t error_code, void *ud)
{
    ctdc_req *k = nghttp2_session_get_stream_user_data(s, sid);
    if (!k)
        return 0;
    nghttp2_session_set_stream_user_data(s, sid, NULL);
    if (error_code)
        call_end(ud, k, -1, "stream reset");
    else if (k->status < 0)
        call_end(ud, k, -1, "no grpc-status in the answer");
    else
        call_end(ud, k, k->status, k->msg);
    return 0;
}

/* ---- the connection --------------------------------------------------------------------------- */

ctdc_conn *ctdc_connect(const char *path, const char *ns, char *why, size_t whylen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(why, whylen, "%s: path too long for a unix socket", path);
        return NULL;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    int big = 1 << 20; /* a burst of requests in one write */
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ctdc_conn *c = calloc(1, sizeof *c);
    nghttp2_session_callbacks *cb = NULL;
    if (!c || !(c->ns = strdup(ns)) || nghttp2_session_callbacks_new(&cb)) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    c->fd = fd;
    nghttp2_session_callbacks_set_send_callback(cb, on_send);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    int rc = nghttp2_session_client_new(&c->h2, cb, c);
    nghttp2_session_callbacks_del(cb);
    if (rc) {
        snprintf(why, whylen, "nghttp2: %s", nghttp2_strerror(rc));
        goto fail;
    }
    /* A large window: answers never wait for a WINDOW_UPDATE. */
    nghttp2_settings_entry set[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24}};
    nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, set, 1);
    nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, 1 << 28);
    /* Blocking until the preface is out, then non-blocking for good. */
    if (nghttp2_session_send(c->h2)) {
        snprintf(why, whylen, "%s: cannot send the HTTP/2 preface", path);
        goto fail;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return c;
fail:
    if (c && c->h2)
        nghttp2_session_del(c->h2);
    if (c)
        free(c->ns);
    free(c);
    close(fd);
    return NULL;
}

void ctdc_close(ctdc_conn *c)
{
    if (!c)
        return;
    while (c->calls)
        call_end(c, c->calls, -1, "connection closed");
    nghttp2_session_del(c->h2);
    close(c->fd);
    free(c->ns);
    free(c);
}

int ctdc_call(ctdc_conn *c, const char *service, const char *method, const ProtobufCMessage *req, ctdc_done done,
              void *arg)
{
    ctdc_req *k = calloc(1, sizeof *k);
    size_t n = protobuf_c_message_get_packed_size(req);
    if (!k || !(k->req = malloc(5 + n))) {
        free(k);
        return -1;
    }
    k->req[0] = 0;
    k->req[1] = (uint8_t)(n >> 24);
    k->req[2] = (uint8_t)(n >> 16);
    k->req[3] = (uint8_t)(n >> 8);
    k->req[4] = (uint8_t)n;
    protobuf_c_message_pack(req, k->req + 5);
    k->reqlen = 5 + n;
    k->status = -1;
    k->done = done;
    k->arg = arg;
    char path[256];
    snprintf(path, sizeof path, "/%s/%s", service, method);
#define H(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
    nghttp2_nv hdr[] = {H(":method", "POST"),
                        H(":scheme", "http"),
                        H(":path", path),
                        H(":authority", "containerd"),
                        H("content-type", "application/grpc"),
                        H("te", "trailers"),
                        H("containerd-namespace", c->ns)};
#undef H
    nghttp2_data_provider body = {.source.ptr = k, .read_callback = read_body};
    int32_t sid = nghttp2_submit_request(c->h2, NULL, hdr, sizeof hdr / sizeof hdr[0], &body, k);
    if (sid < 0) {
        free(k->req);
        free(k);
        return -1;
    }
    k->next = c->calls;
    if (k->next)
        k->next->prevp = &k->next;
    k->prevp = &c->calls;
    c->calls = k;
    c->inflight++;
    return 0;
}

int ctdc_fd(const ctdc_conn *c)
{
    return c->fd;
}

short ctdc_events(const ctdc_conn *c)
{
    return (short)(POLLIN | (nghttp2_session_want_write(c->h2) ? POLLOUT : 0));
}

uint32_t ctdc_in_flight(const ctdc_conn *c)
{
    return c->inflight;
}

int ctdc_io(ctdc_conn *c, short revents)
{
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        uint8_t buf[65536];
        for (;;) {
            ssize_t r = recv(c->fd, buf, sizeof buf, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            if (r <= 0 || nghttp2_session_mem_recv(c->h2, buf, (size_t)r) < 0)
                goto lost;
            if ((size_t)r < sizeof buf)
                break;
        }
    }
    if (nghttp2_session_send(c->h2))
        goto lost;
    return 0;
lost:
    while (c->calls)
        call_end(c, c->calls, -1, "connection to containerd lost");
    return -1;
}
