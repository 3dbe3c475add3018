/*
 * guest_abi.c - conventions of wasmbox's guest SDKs that every host reads
 * the same way (PostgreSQL, SQLite, the CLI's tests): for now the message a
 * guest leaves before it traps (docs/guests.md).
 */
#include "internal.h"

#include <string.h>

/* Length of the longest prefix of s[0..n) that is whole, valid UTF-8. */
static size_t utf8_prefix(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!k || i + k > n || (k == 2 && c < 0xc2) || (k == 4 && c > 0xf4))
            break;
        uint32_t cp = k == 1 ? c : c & (0x7f >> k);
        size_t j = 1;
        for (; j < k && (s[i + j] & 0xc0) == 0x80; j++)
            cp = cp << 6 | (s[i + j] & 0x3f);
        if (j < k || (k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            break;
        i += k;
    }
    return i;
}

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
    n = utf8_prefix((const uint8_t *)buf, n);
    buf[n] = 0;
    return n;
}
