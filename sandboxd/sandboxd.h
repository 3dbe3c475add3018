/*
 * sandboxd.h - wasmboxd, the HTTP+JSON front end of the sandbox core
 * (core/core.h, which it shares with the containerd shim).
 *
 *   main.c     arguments, signals, start-up and shutdown
 *   listen.c   the Unix socket: accepting, with a descriptor in reserve and
 *              back-off when descriptors run out
 *   api.c      the HTTP/1.1 + JSON control API (libevent's evhttp, jansson):
 *              a table of routes, the lock taken by the router
 */
#ifndef WB_SANDBOXD_H
#define WB_SANDBOXD_H

#include "core/core.h"

struct evhttp;
struct evhttp_request;

/* A client waiting for a sandbox's exit (POST /wait) or its logs. */
struct sbd_waiter {
    struct evhttp_request *req;
    struct sbd_waiter *next;
};

/* listen.c (event loop thread) */
int sbd_listen(struct evhttp *http, const char *path);
void sbd_listen_close(void);

/* api.c */
void sbd_api_handle(struct evhttp_request *req, void *arg);
/* Answers waiters of sandboxes that exited (event loop thread). */
void sbd_api_report_exits(void);

#endif
