/*
 * events.c - task events for containerd: /tasks/create, /tasks/start,
 * /tasks/exit and /tasks/delete.
 *
 * containerd 1.6 hands its shims two ways to publish: exec the
 * -publish-binary (`containerd publish --topic T --namespace N`, the event
 * on stdin) or call Events.Forward on its ttrpc socket ($TTRPC_ADDRESS),
 * which is what its own runc shim does.  A process per event would cost
 * more than the wasm containers themselves (four events a container), so
 * the shim forwards on one ttrpc connection.  An event that finds
 * containerd away (restarting) is dropped and logged: containerd asks the
 * shim for every task's state when it comes back.
 */
#include "shim.h"

#include <string.h>
#include <time.h>

void shim_event(const char *topic, const char *type, const ProtobufCMessage *ev)
{
    if (!shim_o.ttrpc_address)
        return;
    size_t n = protobuf_c_message_get_packed_size(ev);
    uint8_t buf[4096];
    if (n > sizeof buf) /* the task events are a few hundred bytes */
        return;
    protobuf_c_message_pack(ev, buf);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Wbshim__Timestamp ts = WBSHIM__TIMESTAMP__INIT;
    ts.seconds = now.tv_sec;
    ts.nanos = (int32_t)now.tv_nsec;
    Wbshim__Any any = WBSHIM__ANY__INIT;
    any.type_url = (char *)type;
    any.value.data = buf;
    any.value.len = n;
    Wbshim__Envelope env = WBSHIM__ENVELOPE__INIT;
    env.timestamp = &ts;
    env.namespace_ = (char *)shim_o.ns;
    env.topic = (char *)topic;
    env.event = &any;
    Wbshim__ForwardRequest fw = WBSHIM__FORWARD_REQUEST__INIT;
    fw.envelope = &env;
    shim_ttrpc_send(shim_o.ttrpc_address, "containerd.services.events.ttrpc.v1.Events", "Forward", &fw.base);
}
