/*
 * afmp: the TCP reassembly (out-of-order) queue.
 *
 * Bytes received beyond rcv_nxt wait here until the hole before them is
 * filled. The queue holds fragments (the new bytes of each segment) in
 * sequence order, grouped into runs: maximal contiguous ranges, which are
 * exactly the SACK blocks the receiver reports.
 *
 * Overlap: the first copy wins. Bytes already held (or already delivered,
 * before rcv_nxt) are never replaced; a new segment contributes only the
 * bytes nobody has, and the rest is a duplicate, reported by D-SACK
 * (RFC 2883). Linux differs in detail (it keeps partially overlapping skbs
 * and delivers the overlap from the lower one, and a new skb replaces older
 * ones it covers wholly); every copy of a sequence number carries the same
 * byte unless something corrupted it, so only then does it matter.
 *
 * SACK blocks (RFC 2018 4): the first block is the run holding the most
 * recently received segment, then the other runs in order of how recently
 * they grew, up to the caller's limit (4 without timestamps, 3 with). A
 * pending D-SACK goes first and, when the duplicate lay inside an
 * out-of-order run, that run follows it (RFC 2883 4.1.2; the duplicate
 * counts as the most recent arrival).
 *
 * Memory: every fragment counts its bytes plus MP_REASS_FRAG_OVERHEAD (as
 * Linux counts an skb's truesize, so a flood of tiny segments is bounded
 * too) against a limit the connection sets (its receive buffer less what
 * waits in order for the application). When a segment does not fit, data
 * above it is dropped, highest first, if that makes room (Linux prunes the
 * out-of-order queue from the right: the data furthest from being useful);
 * otherwise the segment is refused. Dropping SACKed data is reneging, which
 * RFC 2018 8 allows; the sender copes.
 *
 * Costs: runs are indexed by a GSequence (balanced tree) on their start, so
 * placing a segment costs O(log runs) plus O(1) per piece it leaves, and
 * O(1) when it extends the highest run (the common case). Runs are also
 * kept in order of how recently they grew, so the SACK blocks cost O(max
 * blocks), whatever the number of holes.
 *
 * SYN and FIN are not data: the connection tracks a FIN received out of
 * order itself.
 */
#ifndef MP_TCP_REASS_H
#define MP_TCP_REASS_H

#include <glib.h>

#include "model/tcp/seq.h"
#include "model/types.h"

#define MP_REASS_FRAG_OVERHEAD 256u

struct mp_reass_frag {
    struct mp_reass_frag *next, *prev; /* sequence order, across runs */
    uint32_t seq;
    uint32_t len;
    uint8_t data[];
};

struct mp_reass_run {
    struct mp_reass_run *next, *prev;         /* sequence order */
    struct mp_reass_run *lru_next, *lru_prev; /* most recently grown first */
    GSequenceIter *it;                        /* index node */
    uint32_t start, end;
    struct mp_reass_frag *first, *last;
};

struct mp_reass {
    struct mp_reass_run *head, *tail;
    struct mp_reass_run *lru_head, *lru_tail;
    GSequence *index; /* runs by start */
    struct mp_reass_frag *fhead, *ftail;
    uint32_t nruns;
    uint32_t nfrags;
    size_t bytes; /* payload held */
    size_t mem;   /* payload + overhead, against |limit| */
    size_t limit;
    bool has_dsack;
    struct mp_sack_block dsack;
};

/* What one insert did. */
struct mp_reass_result {
    uint32_t added;  /* new bytes stored */
    uint32_t dup;    /* bytes already held or already before rcv_nxt */
    uint32_t pruned; /* bytes dropped above the segment to make room */
};

/* Hands |len| in-order bytes at |p| to the connection (valid for the call). */
typedef void (*mp_reass_deliver_fn)(void *arg, const uint8_t *p, size_t len);

/* Initialises an empty queue with memory limit |limit| (bytes + overhead).
 * Release it with mp_reass_clear(). */
void mp_reass_init(struct mp_reass *r, size_t limit);

/* Frees everything, index included: initialise again before reuse. */
void mp_reass_clear(struct mp_reass *r);

/* Moves the limit. Lowering it below what is held drops nothing now; the
 * next insert that does not fit prunes. */
void mp_reass_set_limit(struct mp_reass *r, size_t limit);

/*
 * Stores the |len| bytes at |data| received at sequence number |seq|, when
 * the receiver expects |rcv_nxt|. Bytes before rcv_nxt and bytes already
 * held are duplicates: the first contiguous duplicate range becomes the
 * pending D-SACK block. Bytes at rcv_nxt are stored like the others and come
 * out with mp_reass_pull(). Fills |out| (may be NULL).
 * Returns 0, -EINVAL when |len| exceeds 2^30, or -ENOBUFS when the new bytes
 * do not fit even after pruning: then nothing is stored or pruned (the
 * duplicate part, if any, is still noted for D-SACK).
 */
int mp_reass_insert(struct mp_reass *r, uint32_t rcv_nxt, uint32_t seq, const uint8_t *data,
                    size_t len, struct mp_reass_result *out);

/*
 * Delivers the bytes from |rcv_nxt| on that are now contiguous, through
 * |fn|, in order, and frees them; data before rcv_nxt is dropped unseen (the
 * connection delivered it from another copy). Returns the number of bytes
 * delivered: the connection advances rcv_nxt by it.
 */
size_t mp_reass_pull(struct mp_reass *r, uint32_t rcv_nxt, mp_reass_deliver_fn fn, void *arg);

/*
 * Writes the SACK blocks to advertise, at most |max| of them, to |out| (see
 * the order above); runs not wholly after |rcv_nxt| are left out (pull them
 * first). Returns how many were written. The pending D-SACK stays pending:
 * call mp_reass_dsack_clear() once an ACK carried it (RFC 2883 4: it is
 * reported once).
 */
size_t mp_reass_sack(const struct mp_reass *r, uint32_t rcv_nxt, struct mp_sack_block *out,
                     size_t max);

/* Notes a duplicate the connection found itself (an old segment it never
 * handed to the queue), to be reported as D-SACK. */
void mp_reass_set_dsack(struct mp_reass *r, uint32_t start, uint32_t end);

static inline void mp_reass_dsack_clear(struct mp_reass *r)
{
    r->has_dsack = false;
}

static inline bool mp_reass_empty(const struct mp_reass *r)
{
    return r->head == NULL;
}

/* End of the highest byte held (meaningful when not empty). */
static inline uint32_t mp_reass_high(const struct mp_reass *r)
{
    return r->tail ? r->tail->end : 0;
}

#endif
