/*
 * guest_abi.c - conventions of wasmbox's guest SDKs that every host reads
 * the same way (PostgreSQL, SQLite, the CLI's tests): the message a guest
 * leaves before it traps, and the SQL signatures it declares
 * (docs/guests.md).
 */
#include "internal.h"

#include <ctype.h>
#include <string.h>

size_t wb_guest_trap_message(wb_instance *inst, char *buf, size_t cap)
{
    wb_extern ex;
    wb_memory *mem = inst ? wb_instance_memory(inst) : NULL;
    if (!cap)
        return 0;
    buf[0] = 0;
    if (!mem || wb_instance_export(inst, "wasmbox_trap_message", 20, &ex) != WB_OK || ex.kind != WB_EXTERN_GLOBAL)
        return 0;
    wb_val at = wb_global_get(ex.of.global);
    uint8_t pair[8];
    if (at.type != WB_I32 || wb_memory_read(mem, (uint32_t)at.of.i32, pair, sizeof pair) != WB_OK)
        return 0;
    uint32_t ptr = (uint32_t)pair[0] | (uint32_t)pair[1] << 8 | (uint32_t)pair[2] << 16 | (uint32_t)pair[3] << 24;
    uint32_t len = (uint32_t)pair[4] | (uint32_t)pair[5] << 8 | (uint32_t)pair[6] << 16 | (uint32_t)pair[7] << 24;
    size_t n = len < cap - 1 ? len : cap - 1;
    if (wb_memory_read(mem, ptr, buf, n) != WB_OK)
        return 0;
    n = wb_utf8_prefix(buf, n);
    buf[n] = 0;
    return n;
}

static bool leb32(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* The payload of the custom section `name`, or NULL. */
static const char *custom_section(const uint8_t *bytes, size_t len, const char *name, size_t *out_len)
{
    size_t nlen = strlen(name);
    if (!bytes || len < 8)
        return NULL;
    const uint8_t *p = bytes + 8, *end = bytes + len;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size, namelen;
        if (!leb32(&p, end, &size) || size > (size_t)(end - p))
            return NULL;
        const uint8_t *next = p + size;
        if (id == 0 && leb32(&p, next, &namelen) && namelen <= (size_t)(next - p) && namelen == nlen &&
            memcmp(p, name, nlen) == 0) {
            *out_len = (size_t)(next - (p + namelen));
            return (const char *)p + namelen;
        }
        p = next;
    }
    return NULL;
}

const char *wb_guest_sql_signature(const uint8_t *bytes, size_t len, const char *export_name, size_t *out_len)
{
    size_t plen;
    const char *s = custom_section(bytes, len, "wasmbox.sql", &plen);
    if (!s)
        return NULL;
    const char *end = s + plen;
    size_t elen = strlen(export_name);
    while (s < end) {
        const char *eol = s;
        while (eol < end && *eol != '\n' && *eol != '\0') /* NULs from C string literals end lines too */
            eol++;
        const char *l = s;
        while (l < eol && isspace((unsigned char)*l))
            l++;
        if ((size_t)(eol - l) > elen && memcmp(l, export_name, elen) == 0 && l[elen] == '(') {
            *out_len = (size_t)(eol - (l + elen));
            return l + elen;
        }
        s = eol + 1;
    }
    return NULL;
}
