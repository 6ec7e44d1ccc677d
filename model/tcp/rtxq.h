/*
 * afmp: the TCP retransmission queue and SACK scoreboard.
 *
 * One entry per segment sent and not yet cumulatively acknowledged, in
 * sequence order, covering [una, nxt) without gaps (nxt is the highest
 * sequence number sent plus one, "snd_max"). An entry records what loss
 * recovery needs: its range (SYN and FIN included), when it was first and
 * last sent, how often it was retransmitted, whether it is SACKed, marked
 * lost, or retransmitted and not yet delivered, the delivery-rate state at
 * its last transmission, and 32 bytes of opaque extension metadata (MPTCP's
 * DSS mapping).
 *
 * Counters (bytes of sequence space, as Linux keeps packets):
 *   out          nxt - una
 *   sacked_out   bytes in SACKed entries
 *   lost_out     bytes marked lost and not SACKed
 *   retrans_out  bytes retransmitted whose last retransmission is neither
 *                delivered nor itself marked lost
 *   in flight    out - sacked_out - lost_out + retrans_out
 *                (Linux's tcp_packets_in_flight, in bytes; RFC 6675's pipe
 *                is also available, mp_rtxq_pipe_6675())
 *
 * Structures and costs. Entries form a doubly linked list in sequence order
 * and are indexed by an array of pointers in the same order, so finding the
 * entry holding a sequence number is a binary search, O(log n); entries
 * join at the tail and leave at the head in amortised O(1), and the splits
 * and merges of SACK processing move the shorter side (a memmove). A second list
 * keeps the entries that may still be detected lost in the order of their
 * last transmission (Linux's "tsorted" list: in flight, not SACKed, not
 * marked lost awaiting retransmission), so RACK stops at the first segment
 * sent after its reference. SACK processing skips what the previous ACK's
 * blocks already covered (they are marked), so an ACK that extends a block
 * by one segment costs O(log n), not O(size of the block); adjacent SACKed
 * entries with compatible metadata are merged, so a long SACKed run is one
 * entry. Cumulative ACKs remove entries from the head.
 *
 * Extension metadata. Every entry carries a union mp_rtx_meta that TCP never
 * interprets. It stays with the bytes:
 *   - retransmission keeps it unchanged;
 *   - a split (partial ACK, SACK block edge, MSS change, a TLP of the last
 *     MSS) gives *both* pieces a copy of the original metadata, unless the
 *     extension installs a split hook that adjusts them. A copy is right for
 *     MPTCP's DSS mappings: a mapping may cover more than the segment that
 *     carries it (RFC 8684 3.3.1), so each piece repeats the whole mapping,
 *     as Linux's MPTCP does when it fragments an skb;
 *   - two entries are merged (coalesced) only if their metadata are
 *     byte-identical (two pieces of one mapping), unless the extension
 *     installs a merge hook that decides and may rewrite the survivor's
 *     metadata (to join two contiguous mappings, say).
 *
 * The queue never reads a clock: operations that need the time take |now|.
 */
#ifndef MP_TCP_RTXQ_H
#define MP_TCP_RTXQ_H

#include <glib.h>

#include "model/tcp/seq.h"
#include "model/types.h"

#define MP_RTX_META_BYTES 32u

/* Opaque per-segment metadata of the TCP extension (MPTCP: the mapping). */
union mp_rtx_meta {
    uint8_t b[MP_RTX_META_BYTES];
    uint64_t u64[MP_RTX_META_BYTES / 8];
};

enum mp_rtx_flags {
    MP_RTX_SYN = 1u << 0,          /* carries the SYN (its first sequence number) */
    MP_RTX_FIN = 1u << 1,          /* carries the FIN (its last sequence number) */
    MP_RTX_SACKED = 1u << 2,       /* covered by a SACK block */
    MP_RTX_LOST = 1u << 3,         /* marked lost (RACK, RFC 6675, RTO) */
    MP_RTX_RETRANS = 1u << 4,      /* retransmitted; that copy not delivered nor lost */
    MP_RTX_EVER_RETRANS = 1u << 5, /* retransmitted at least once (Karn) */
    MP_RTX_APP_LIMITED = 1u << 6,  /* sent while the application limited the rate */
    MP_RTX_TSORTED = 1u << 7,      /* internal: on the send-time list */
};

struct mp_rtx_seg {
    struct mp_rtx_seg *next, *prev;   /* sequence order */
    struct mp_rtx_seg *tnext, *tprev; /* send-time order (MP_RTX_TSORTED) */
    uint32_t start, end;              /* [start, end): SYN and FIN count */
    uint16_t flags;                   /* enum mp_rtx_flags */
    uint16_t segs;                    /* segments it stands for (merges add) */
    uint32_t rexmits;                 /* retransmissions */
    mp_time_t first_sent;
    mp_time_t last_sent;
    /* Delivery-rate state at the last transmission
     * (draft-cheng-iccrg-delivery-rate-estimation). */
    uint64_t tx_delivered;       /* queue's delivered count then */
    mp_time_t tx_delivered_time; /* when that count last grew */
    mp_time_t tx_first_time;     /* send time of the first packet of the flight */
    union mp_rtx_meta meta;
};

static inline uint32_t mp_rtx_seg_len(const struct mp_rtx_seg *s)
{
    return s->end - s->start;
}

/*
 * Metadata hooks of the extension; both optional.
 *
 * |split| is called when an entry is cut in two: |head| holds the original
 * metadata and becomes the first |head_len| sequence numbers, |tail| holds a
 * copy and becomes the remaining |tail_len|. Without the hook both keep the
 * copy.
 *
 * |merge| is called before entry |a| absorbs its successor |b| (a covers
 * |a_len| sequence numbers, b |b_len|): return false to refuse; on true it
 * may rewrite |a| to describe both. Without the hook the entries merge only
 * when their metadata are identical.
 */
struct mp_rtx_meta_ops {
    void (*split)(void *arg, union mp_rtx_meta *head, union mp_rtx_meta *tail, uint32_t head_len,
                  uint32_t tail_len);
    bool (*merge)(void *arg, union mp_rtx_meta *a, const union mp_rtx_meta *b, uint32_t a_len,
                  uint32_t b_len);
    void *arg;
};

struct mp_rtxq {
    struct mp_rtx_seg *head, *tail;   /* sequence order */
    struct mp_rtx_seg *thead, *ttail; /* send-time order */
    struct mp_rtx_seg **idx;          /* index: the entries in sequence order */
    uint32_t idx_off, idx_cap;        /* at idx[idx_off..], in idx_cap slots */
    struct mp_rtx_seg *hint;          /* last entry a lookup returned */
    struct mp_rtx_seg *lost_hint;     /* no lost, unretransmitted entry before it */
    uint32_t una;                     /* first unacknowledged sequence number */
    uint32_t nxt;                     /* end of the last entry (snd_max) */
    uint32_t fack;                    /* end of the highest delivered (acked or SACKed) byte */
    uint32_t count;                   /* entries */
    uint32_t sacked_out, lost_out, retrans_out; /* bytes */
    uint32_t sacked_segs;
    /* Blocks of the previous ACK, already marked: the next ACK skips them. */
    struct mp_sack_block cache[MP_SACK_MAX_BLOCKS];
    uint32_t ncache;
    /* Delivery-rate state. */
    uint64_t delivered;       /* bytes acked or SACKed so far */
    mp_time_t delivered_time; /* when |delivered| last grew */
    mp_time_t first_tx_time;  /* send time of the first packet of this flight */
    uint64_t app_limited;     /* delivered count that ends the app-limited phase; 0: not */
    struct mp_rtx_meta_ops meta_ops;
    /* Freed entries kept for the next ones (a few flights' worth): an entry
     * per segment sent would otherwise be a malloc and a free each. */
    struct mp_rtx_seg *spare;
    uint32_t nspare;
};

/* What one ACK did to the queue (mp_rtxq_ack()). */
struct mp_rtx_ack {
    uint32_t acked;         /* sequence numbers newly cumulatively acknowledged */
    uint32_t acked_sacked;  /* of those, how many were SACKed before */
    uint32_t sacked;        /* bytes newly SACKed by this ACK's blocks */
    uint32_t delivered;     /* acked - acked_sacked + sacked: RFC 6937's DeliveredData */
    uint32_t acked_segs;    /* entries (segments) removed */
    bool syn_acked;         /* the SYN was among the acknowledged */
    bool fin_acked;         /* the FIN was among the acknowledged */
    bool retrans_delivered; /* a newly delivered byte had been retransmitted */
    /* RFC 8985 6.2 step 3: a never-retransmitted segment below the highest
     * previously delivered one was newly delivered. */
    bool reordering;
    /* RFC 2883: the first block reported a duplicate (D-SACK); it is not
     * used to mark anything. */
    bool dsack;
    struct mp_sack_block dsack_block;
    uint32_t sack_invalid; /* blocks ignored (beyond nxt, empty, stale) */
    /* RTT samples (Karn: only from never-retransmitted entries), or
     * MP_TIME_NEVER: |rtt| from the most recently sent newly delivered
     * entry (the tightest; for RACK and min_rtt), |rtt_first| from the
     * oldest newly cumulatively acked one, else the oldest newly SACKed one
     * (Linux's seq_rtt / sack_rtt, what it feeds the RTO estimator). */
    mp_time_t rtt;
    mp_time_t rtt_first;
    /* RFC 8985 6.2 step 2: the most recently sent entry among the newly
     * delivered ones, skipping retransmitted entries delivered sooner than
     * min_rtt after their last transmission (the ACK was probably for the
     * original). */
    bool rack_valid;
    mp_time_t rack_xmit_ts;
    uint32_t rack_end_seq;
    mp_time_t rack_rtt;
    /* Delivery-rate sample: |rs_delivered| bytes over |rs_interval|
     * (max of the send and ACK intervals). Valid when rs_interval > 0. */
    uint64_t rs_delivered;
    mp_time_t rs_interval;
    bool rs_app_limited;
};

/* Initialises an empty queue whose first entry will start at |isn|. */
void mp_rtxq_init(struct mp_rtxq *q, uint32_t isn);

/* Frees every entry and the index. */
void mp_rtxq_clear(struct mp_rtxq *q);

/* Installs the extension's metadata hooks (NULL: none). */
void mp_rtxq_set_meta_ops(struct mp_rtxq *q, const struct mp_rtx_meta_ops *ops);

/*
 * Records a segment sent for the first time: [start, end) with |flags|
 * (MP_RTX_SYN, MP_RTX_FIN, MP_RTX_APP_LIMITED; others ignored) and
 * |meta| (NULL: zeroes), sent at |now|. It becomes the tail entry.
 * Returns the entry, or NULL when start is not the queue's nxt (segments are
 * added in order without gaps) or the segment is empty or longer than
 * 2^30.
 */
struct mp_rtx_seg *mp_rtxq_add(struct mp_rtxq *q, uint32_t start, uint32_t end, uint32_t flags,
                               const union mp_rtx_meta *meta, mp_time_t now);

/*
 * Processes an ACK: the cumulative acknowledgement |ack|, then the |nsacks|
 * SACK blocks in the order received. |min_rtt| is the connection's minimum
 * RTT (0 if unknown), used only by RACK's filter. Fills |out|.
 *
 * Cumulative part: entries wholly before |ack| are removed; an entry that
 * |ack| splits is trimmed (its metadata through the split hook, the head
 * piece discarded). An |ack| before una acknowledges nothing; its blocks
 * are still processed (Linux does: ACKs can be reordered).
 *
 * SACK part (RFC 2018, RFC 2883): the first block is a D-SACK if it lies
 * below |ack| or inside the second block; it is reported, not applied.
 * Other blocks are ignored when empty, reaching beyond nxt, or wholly at or
 * below una (counted in sack_invalid); a block starting below una is
 * clipped. Entries are split at block edges and marked SACKed, which clears
 * their lost and retransmitted marks. Adjacent SACKed entries merge.
 *
 * Returns 0, or -EINVAL when |ack| is after nxt (acknowledges data never
 * sent; RFC 9293 3.10.7.4 says to answer with an ACK and drop the segment)
 * and nothing was changed.
 */
int mp_rtxq_ack(struct mp_rtxq *q, uint32_t ack, const struct mp_sack_block *sacks, size_t nsacks,
                mp_time_t min_rtt, mp_time_t now, struct mp_rtx_ack *out);

/*
 * Records that |seg| was retransmitted at |now| (the caller may have split
 * it first to send one MSS). Marks it retransmitted (Karn: it gives no RTT
 * sample any more), counts it in retrans_out, refreshes its delivery-rate
 * state and moves it to the end of the send-time list. A lost mark stays:
 * the bytes are out of "lost" only once delivered, as in Linux.
 */
void mp_rtxq_retransmitted(struct mp_rtxq *q, struct mp_rtx_seg *seg, mp_time_t now);

/*
 * Marks |seg| lost. If it was retransmitted, that retransmission is deemed
 * lost too (leaves retrans_out). No effect on a SACKed entry. Returns true
 * when something changed.
 */
bool mp_rtxq_mark_lost(struct mp_rtxq *q, struct mp_rtx_seg *seg);

/* Marks every entry that is not SACKed lost (RTO, RFC 5681 / RFC 6298 5.4:
 * everything outstanding is presumed lost). Returns the entries changed. */
uint32_t mp_rtxq_mark_all_lost(struct mp_rtxq *q);

/* Forgets every SACK mark (the receiver reneged; RFC 2018 8 allows it),
 * as Linux does on an RTO that finds SACKed data at the head. The entries
 * are marked lost: reneging is only noticed at an RTO, when everything
 * outstanding is presumed lost anyway. */
void mp_rtxq_clear_sacked(struct mp_rtxq *q);

/*
 * The first entry, in sequence order, that is marked lost and neither
 * SACKed nor retransmitted since: what to retransmit next. NULL if none.
 * Amortised O(1) with the queue's hint.
 */
struct mp_rtx_seg *mp_rtxq_first_lost(struct mp_rtxq *q);

/* The next such entry after |seg|, or NULL. */
struct mp_rtx_seg *mp_rtxq_next_lost(const struct mp_rtxq *q, const struct mp_rtx_seg *seg);

/*
 * Cuts |seg| in two at |at| (start < at < end); the new second entry is
 * returned and follows |seg|. Flags, times and counts are copied (the SYN
 * stays with the first piece, the FIN goes with the second); metadata as
 * the split hook says; |segs| is shared in proportion (at least one each).
 * Returns NULL and changes nothing if |at| is not strictly inside.
 */
struct mp_rtx_seg *mp_rtxq_split(struct mp_rtxq *q, struct mp_rtx_seg *seg, uint32_t at);

/*
 * Merges |seg|'s successor into |seg| (to retransmit small segments as one,
 * or after SACK marking). Both must share the SACKed, lost and
 * retransmitted marks, |seg| must not carry a FIN nor the successor a SYN,
 * and the metadata must merge (see above). The survivor takes the earlier
 * first_sent, the later last_sent and the larger retransmission count.
 * Returns true when merged.
 */
bool mp_rtxq_merge_next(struct mp_rtxq *q, struct mp_rtx_seg *seg);

/* The entry holding sequence number |seq|, or NULL. O(log n). */
struct mp_rtx_seg *mp_rtxq_find(struct mp_rtxq *q, uint32_t seq);

/*
 * RFC 6675 4, IsLost() for the first sequence number of |seg|: true when at
 * least |dupthresh| SACKed segments, or more than (dupthresh - 1) * |mss|
 * SACKed bytes, lie above it. O(entries above |seg|).
 */
bool mp_rtxq_is_lost_6675(const struct mp_rtxq *q, const struct mp_rtx_seg *seg, uint32_t mss,
                          uint32_t dupthresh);

/*
 * RFC 6675 4, SetPipe(): over the entries not SACKed, the bytes not
 * IsLost() plus the bytes retransmitted (RETRANS). One backward pass, O(n):
 * an alternative to the counters for SACK recovery without RACK.
 */
uint32_t mp_rtxq_pipe_6675(const struct mp_rtxq *q, uint32_t mss, uint32_t dupthresh);

/* Marks lost every entry for which mp_rtxq_is_lost_6675() holds (one
 * backward pass, O(n)). Returns the entries newly marked. */
uint32_t mp_rtxq_mark_lost_6675(struct mp_rtxq *q, uint32_t mss, uint32_t dupthresh);

/* Declares the sender application-limited (the draft's C.app_limited):
 * delivery-rate samples stay flagged until the bytes now in flight are
 * delivered. |in_flight| is mp_rtxq_in_flight() or the caller's view. */
void mp_rtxq_set_app_limited(struct mp_rtxq *q, uint32_t in_flight);

/* Verifies every invariant (list and index in step, no gaps, counters equal
 * to the sums over entries, send-time list membership and order, hints).
 * O(n), for tests. Returns NULL, or a description of the first violation. */
const char *mp_rtxq_check(const struct mp_rtxq *q);

static inline struct mp_rtx_seg *mp_rtxq_head(const struct mp_rtxq *q)
{
    return q->head;
}

static inline struct mp_rtx_seg *mp_rtxq_tail(const struct mp_rtxq *q)
{
    return q->tail;
}

static inline bool mp_rtxq_empty(const struct mp_rtxq *q)
{
    return q->head == NULL;
}

/* Bytes of sequence space outstanding (nxt - una). */
static inline uint32_t mp_rtxq_out(const struct mp_rtxq *q)
{
    return q->nxt - q->una;
}

/* Linux's packets-in-flight, in bytes (see the counters above). */
static inline uint32_t mp_rtxq_in_flight(const struct mp_rtxq *q)
{
    return mp_rtxq_out(q) - q->sacked_out - q->lost_out + q->retrans_out;
}

/* End of the highest SACKed byte (RFC 6675 HighSACK + 1), or una when
 * nothing above una is SACKed. */
static inline uint32_t mp_rtxq_high_sacked(const struct mp_rtxq *q)
{
    return q->sacked_out ? q->fack : q->una;
}

#endif
