/*
 * ctd_grpc.h - unary gRPC calls to containerd over its unix socket: one
 * HTTP/2 connection (libnghttp2), any number of calls in flight on it as
 * concurrent streams, all driven by one poll loop in the caller's thread.
 * The benchmark's client (ctd_client.c) is its only user.
 */
#ifndef WB_CTD_GRPC_H
#define WB_CTD_GRPC_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ctdc_conn ctdc_conn;

/* A call's end: status is the gRPC status (0 OK; -1 transport failure, with
 * msg saying what), resp/len the response message (valid during the call). */
typedef void (*ctdc_done)(void *arg, int status, const char *msg, const uint8_t *resp, size_t len);

/* Connects to the unix socket path; every call carries namespace ns. */
ctdc_conn *ctdc_connect(const char *path, const char *ns, char *why, size_t whylen);
void ctdc_close(ctdc_conn *c);
/* Starts a call of /service/method with request req; done runs from ctdc_poll. */
int ctdc_call(ctdc_conn *c, const char *service, const char *method, const ProtobufCMessage *req, ctdc_done done,
              void *arg);
/* The connection's descriptor and the poll events it wants now. */
int ctdc_fd(const ctdc_conn *c);
short ctdc_events(const ctdc_conn *c);
/* Does the I/O poll reported (revents); -1 when the connection is lost,
 * with every call in flight ended with status -1. */
int ctdc_io(ctdc_conn *c, short revents);
/* Calls not ended yet. */
uint32_t ctdc_in_flight(const ctdc_conn *c);

#endif
