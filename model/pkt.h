/*
 * afmp: packet buffers.
 *
 * A packet is real bytes: an IP datagram starting at data[0] (links that need
 * a link-layer header add it in their own headroom). Buffers come from a pool
 * owned by one simulation, so no global state is involved and freeing is a
 * push on a free list.
 *
 * Checksums are lazy. Protocol code that emits a packet may leave the IPv4
 * header checksum and the L4 checksum unset and mark the packet
 * MP_PKT_CSUM_PENDING; whoever needs real bytes on the wire (a capture tap, a
 * middlebox that rewrites, a corruption fault) calls mp_wire_csum_finalize()
 * (model/wire) first. A receiver verifies checksums only when the packet is
 * marked MP_PKT_CSUM_UNTRUSTED (a corruption fault sets it), so honest
 * packets are never summed twice.
 */
#ifndef MP_PKT_H
#define MP_PKT_H

#include "model/types.h"

enum {
    MP_PKT_CSUM_PENDING = 1u << 0,   /* checksum fields not yet computed */
    MP_PKT_CSUM_UNTRUSTED = 1u << 1, /* bytes may be damaged: verify on input */
};

/* Headroom reserved in front of data for link-layer headers. */
#define MP_PKT_HEADROOM 64u
/* Capacity of a pooled buffer (headroom included). Larger packets are
 * allocated individually. */
#define MP_PKT_POOL_BYTES 2048u
/* Capacity of a small pooled buffer (headroom included): ACKs, pings, small
 * datagrams. A packet's bytes are a few cache lines wherever it lives, but
 * small buffers pack four times denser, so the packets in flight in a big
 * simulation take fewer pages (TLB entries) and cache sets. */
#define MP_PKT_POOL_SMALL_BYTES 448u

struct mp_pkt {
    struct mp_pkt *next; /* queue link; owned by whoever holds the packet */
    uint8_t *data;       /* first byte of the packet */
    uint32_t len;        /* bytes at data */
    uint32_t cap;        /* bytes from buf to the end of the allocation */
    uint32_t flags;      /* MP_PKT_* */
    uint32_t ifindex;    /* interface it arrived on / leaves by (per host) */
    uint64_t id;         /* unique per simulation, for traces */
    mp_time_t ts;        /* time it entered the current queue (for sojourn) */
    struct mp_pkt_pool *pool;
    uint64_t reserved_;  /* pads the header to 64 bytes (see buf) */
    /* Headroom, then data. Pooled buffers are 64-byte aligned and the header
     * is 64 bytes, so a packet's IP and transport headers start a cache
     * line: forwarding a packet touches two lines, this header's and its
     * first data line. */
    uint8_t buf[];
};

struct mp_pkt_pool {
    struct mp_pkt *free;       /* buffers of MP_PKT_POOL_BYTES */
    struct mp_pkt *free_small; /* buffers of MP_PKT_POOL_SMALL_BYTES */
    uint64_t next_id;
    uint64_t live;   /* packets allocated and not yet freed */
    uint64_t allocs; /* total allocations, for statistics */
};

void mp_pkt_pool_init(struct mp_pkt_pool *pool);
/* Frees every pooled buffer; packets still live are reported by |live|. */
void mp_pkt_pool_clear(struct mp_pkt_pool *pool);

/* A packet with room for |len| bytes after the headroom, len set to |len|,
 * contents uninitialised. Its capacity is the smallest pooled size that fits
 * (MP_PKT_POOL_SMALL_BYTES, MP_PKT_POOL_BYTES) or exactly what was asked:
 * never write past data + len beyond what mp_pkt_push() gives. Never returns
 * NULL (allocation failure aborts, as GLib does). */
struct mp_pkt *mp_pkt_alloc(struct mp_pkt_pool *pool, uint32_t len);
/* A copy of |p| (bytes, flags, ifindex) with a new id. */
struct mp_pkt *mp_pkt_clone(const struct mp_pkt *p);
void mp_pkt_free(struct mp_pkt *p);

/* Grows the packet at the front by |n| bytes (link-layer header) and returns
 * the new data pointer, or NULL when the headroom is exhausted. */
uint8_t *mp_pkt_push(struct mp_pkt *p, uint32_t n);
/* Removes |n| bytes from the front; returns false if the packet is shorter. */
bool mp_pkt_pull(struct mp_pkt *p, uint32_t n);

/* A FIFO of packets linked through |next|. */
struct mp_pkt_queue {
    struct mp_pkt *head, *tail;
    uint32_t count;
    uint64_t bytes;
};

static inline void mp_pkt_queue_push(struct mp_pkt_queue *q, struct mp_pkt *p)
{
    p->next = NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->count++;
    q->bytes += p->len;
}

static inline struct mp_pkt *mp_pkt_queue_pop(struct mp_pkt_queue *q)
{
    struct mp_pkt *p = q->head;
    if (!p)
        return NULL;
    q->head = p->next;
    if (!q->head)
        q->tail = NULL;
    p->next = NULL;
    q->count--;
    q->bytes -= p->len;
    return p;
}

void mp_pkt_queue_purge(struct mp_pkt_queue *q);

#endif
