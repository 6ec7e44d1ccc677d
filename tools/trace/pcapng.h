/*
 * afmp-trace: pcapng files with a link type per interface (pcapng.c).
 */
#ifndef AT_PCAPNG_H
#define AT_PCAPNG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct at_ng;

struct at_ng_pkt {
    int64_t t;    /* ns since the epoch (the interface's resolution and offset applied) */
    int linktype; /* LINKTYPE_* of its interface */
    uint32_t ifid;
    uint32_t caplen, len;
    const uint8_t *data; /* valid until the next call */
};

/* True when |path| starts with a pcapng section header. */
bool at_ng_is_pcapng(const char *path);
struct at_ng *at_ng_open(const char *path, GError **err);
/* 1 with |out| filled, 0 at the end (or a block cut short), -1 on a
 * malformed block (|err| names the file and the offset). */
int at_ng_next(struct at_ng *ng, struct at_ng_pkt *out, GError **err);
void at_ng_close(struct at_ng *ng);

#endif
