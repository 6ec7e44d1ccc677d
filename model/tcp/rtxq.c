/*
 * afmp: the TCP retransmission queue and SACK scoreboard (see rtxq.h).
 */
#include "model/tcp/rtxq.h"

#include <errno.h>
#include <string.h>

/* An entry is on the send-time list while RACK may still detect it lost:
 * in flight, not SACKed, and not marked lost awaiting retransmission. */
static bool wants_tsorted(uint16_t flags)
{
    if (flags & MP_RTX_SACKED)
        return false;
    return !(flags & MP_RTX_LOST) || (flags & MP_RTX_RETRANS);
}

/* Lost and still to be retransmitted. */
static bool lost_pending(uint16_t flags)
{
    return (flags & (MP_RTX_LOST | MP_RTX_RETRANS | MP_RTX_SACKED)) == MP_RTX_LOST;
}

void mp_rtxq_init(struct mp_rtxq *q, uint32_t isn)
{
    memset(q, 0, sizeof(*q));
    q->una = q->nxt = q->fack = isn;
}

/* ---- the index: the entries in sequence order, in an array ---- */

/* The k-th entry (0: the head). */
static inline struct mp_rtx_seg *idx_at(const struct mp_rtxq *q, uint32_t k)
{
    return q->idx[q->idx_off + k];
}

/* How many entries start at or before |seq|, which is at or after the
 * head's start (offsets from it are in order across the wrap). */
static uint32_t idx_upper(const struct mp_rtxq *q, uint32_t seq)
{
    struct mp_rtx_seg *const *v = q->idx + q->idx_off;
    uint32_t base = v[0]->start;
    uint32_t key = seq - base;
    uint32_t lo = 0, hi = q->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid]->start - base <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of entry |s|. */
static uint32_t idx_pos(const struct mp_rtxq *q, const struct mp_rtx_seg *s)
{
    if (idx_at(q, 0) == s)
        return 0;
    if (idx_at(q, q->count - 1) == s)
        return q->count - 1;
    return idx_upper(q, s->start) - 1;
}

/* Makes room for one more entry after the last: slides the entries down to
 * the start of the array when at least half of it is free before them (so
 * each slide is paid for by as many removals at the head), else doubles
 * it. */
static void idx_room(struct mp_rtxq *q)
{
    if (q->idx_off + q->count < q->idx_cap)
        return;
    if (q->idx_off >= q->idx_cap / 2 && q->idx_off) {
        memmove(q->idx, q->idx + q->idx_off, q->count * sizeof(*q->idx));
        q->idx_off = 0;
        return;
    }
    q->idx_cap = q->idx_cap ? q->idx_cap * 2 : 16;
    q->idx = g_renew(struct mp_rtx_seg *, q->idx, q->idx_cap);
}

/* Puts |s| at index |k| (0..count), moving the shorter side. */
static void idx_insert(struct mp_rtxq *q, uint32_t k, struct mp_rtx_seg *s)
{
    if (q->idx_off && k < q->count / 2) {
        q->idx_off--;
        memmove(q->idx + q->idx_off, q->idx + q->idx_off + 1, k * sizeof(*q->idx));
    } else {
        idx_room(q);
        struct mp_rtx_seg **at = q->idx + q->idx_off + k;
        memmove(at + 1, at, (q->count - k) * sizeof(*q->idx));
    }
    q->idx[q->idx_off + k] = s;
    q->count++;
}

/* Removes the entry at index |k|, moving the shorter side. */
static void idx_remove(struct mp_rtxq *q, uint32_t k)
{
    struct mp_rtx_seg **v = q->idx + q->idx_off;
    if (k < q->count / 2) {
        memmove(v + 1, v, k * sizeof(*v));
        q->idx_off++;
    } else {
        memmove(v + k, v + k + 1, (q->count - k - 1) * sizeof(*v));
    }
    q->count--;
    if (!q->count)
        q->idx_off = 0;
}

#define RTX_SPARE_MAX 256

/* A new entry, from the spares when there is one; not zeroed. */
static struct mp_rtx_seg *entry_new(struct mp_rtxq *q)
{
    struct mp_rtx_seg *s = q->spare;
    if (!s)
        return g_new(struct mp_rtx_seg, 1);
    q->spare = s->next;
    q->nspare--;
    return s;
}

static void entry_free(struct mp_rtxq *q, struct mp_rtx_seg *s)
{
    if (q->nspare >= RTX_SPARE_MAX) {
        g_free(s);
        return;
    }
    s->next = q->spare;
    q->spare = s;
    q->nspare++;
}

void mp_rtxq_clear(struct mp_rtxq *q)
{
    struct mp_rtx_seg *s = q->head;
    while (s) {
        struct mp_rtx_seg *n = s->next;
        g_free(s);
        s = n;
    }
    for (s = q->spare; s;) {
        struct mp_rtx_seg *n = s->next;
        g_free(s);
        s = n;
    }
    q->spare = NULL;
    q->nspare = 0;
    g_free(q->idx);
    q->idx = NULL;
    q->idx_cap = q->idx_off = 0;
    q->head = q->tail = q->thead = q->ttail = NULL;
    q->hint = q->lost_hint = NULL;
    q->count = 0;
}

void mp_rtxq_set_meta_ops(struct mp_rtxq *q, const struct mp_rtx_meta_ops *ops)
{
    if (ops)
        q->meta_ops = *ops;
    else
        memset(&q->meta_ops, 0, sizeof(q->meta_ops));
}

/* ---- the send-time list ---- */

static void ts_remove(struct mp_rtxq *q, struct mp_rtx_seg *s)
{
    if (!(s->flags & MP_RTX_TSORTED))
        return;
    if (s->tprev)
        s->tprev->tnext = s->tnext;
    else
        q->thead = s->tnext;
    if (s->tnext)
        s->tnext->tprev = s->tprev;
    else
        q->ttail = s->tprev;
    s->tnext = s->tprev = NULL;
    s->flags &= (uint16_t)~MP_RTX_TSORTED;
}

static void ts_insert_after(struct mp_rtxq *q, struct mp_rtx_seg *pos, struct mp_rtx_seg *s)
{
    s->tprev = pos;
    s->tnext = pos ? pos->tnext : q->thead;
    if (s->tnext)
        s->tnext->tprev = s;
    else
        q->ttail = s;
    if (pos)
        pos->tnext = s;
    else
        q->thead = s;
    s->flags |= MP_RTX_TSORTED;
}

static void ts_append(struct mp_rtxq *q, struct mp_rtx_seg *s)
{
    ts_remove(q, s);
    ts_insert_after(q, q->ttail, s);
}

/* ---- entries ---- */

/* Unlinks |s| from everything and frees it. Hints that pointed at it move
 * to its successor, which keeps their invariants (nothing of interest
 * before them). */
static void free_entry(struct mp_rtxq *q, struct mp_rtx_seg *s)
{
    idx_remove(q, idx_pos(q, s));
    ts_remove(q, s);
    if (q->hint == s)
        q->hint = s->next ? s->next : s->prev;
    if (q->lost_hint == s)
        q->lost_hint = s->next;
    if (s->prev)
        s->prev->next = s->next;
    else
        q->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        q->tail = s->prev;
    entry_free(q, s);
}

/* Delivery-rate state of a (re)transmission at |now| (the draft's "upon
 * sending" part). Called before a new entry is linked. */
static void rate_on_send(struct mp_rtxq *q, struct mp_rtx_seg *s, mp_time_t now)
{
    if (!q->head) {
        /* Nothing in flight: elapsed times start here. */
        q->first_tx_time = now;
        q->delivered_time = now;
    }
    s->tx_delivered = q->delivered;
    s->tx_delivered_time = q->delivered_time;
    s->tx_first_time = q->first_tx_time;
    if (q->app_limited)
        s->flags |= MP_RTX_APP_LIMITED;
    else
        s->flags &= (uint16_t)~MP_RTX_APP_LIMITED;
}

struct mp_rtx_seg *mp_rtxq_add(struct mp_rtxq *q, uint32_t start, uint32_t end, uint32_t flags,
                               const union mp_rtx_meta *meta, mp_time_t now)
{
    if (start != q->nxt || end == start || end - start > (1u << 30))
        return NULL;
    struct mp_rtx_seg *s = entry_new(q);
    memset(s, 0, sizeof(*s));
    s->start = start;
    s->end = end;
    s->segs = 1;
    s->first_sent = s->last_sent = now;
    if (meta)
        s->meta = *meta;
    rate_on_send(q, s, now);
    s->flags |= (uint16_t)(flags & (MP_RTX_SYN | MP_RTX_FIN | MP_RTX_APP_LIMITED));

    s->prev = q->tail;
    if (q->tail)
        q->tail->next = s;
    else
        q->head = s;
    q->tail = s;
    idx_insert(q, q->count, s);
    ts_insert_after(q, q->ttail, s);
    q->nxt = end;
    return s;
}

struct mp_rtx_seg *mp_rtxq_find(struct mp_rtxq *q, uint32_t seq)
{
    if (!q->head || !mp_seq_in(seq, q->una, q->nxt))
        return NULL;
    /* SACK processing moves forward through the queue, so the last entry
     * found or its successor is usually the answer. */
    struct mp_rtx_seg *h = q->hint;
    if (h) {
        if (mp_seq_in(seq, h->start, h->end))
            return h;
        if (h->next && mp_seq_in(seq, h->next->start, h->next->end))
            return q->hint = h->next;
    }
    /* The last entry starting at or before |seq| holds it. */
    return q->hint = idx_at(q, idx_upper(q, seq) - 1);
}

struct mp_rtx_seg *mp_rtxq_split(struct mp_rtxq *q, struct mp_rtx_seg *seg, uint32_t at)
{
    if (!mp_seq_gt(at, seg->start) || !mp_seq_lt(at, seg->end))
        return NULL;
    uint32_t len = mp_rtx_seg_len(seg);
    uint32_t head_len = at - seg->start;
    struct mp_rtx_seg *n = entry_new(q);
    *n = *seg;
    n->start = at;
    seg->end = at;
    n->flags &= (uint16_t) ~(MP_RTX_SYN | MP_RTX_TSORTED);
    seg->flags &= (uint16_t)~MP_RTX_FIN;
    if (q->meta_ops.split)
        q->meta_ops.split(q->meta_ops.arg, &seg->meta, &n->meta, head_len, len - head_len);

    uint32_t total = seg->segs;
    uint32_t hs = (uint32_t)((uint64_t)total * head_len / len);
    hs = CLAMP(hs, 1u, total > 1 ? total - 1 : 1u);
    uint32_t ts = total > hs ? total - hs : 1u;
    seg->segs = (uint16_t)hs;
    n->segs = (uint16_t)ts;
    if (seg->flags & MP_RTX_SACKED)
        q->sacked_segs += hs + ts - total;

    n->prev = seg;
    n->next = seg->next;
    if (seg->next)
        seg->next->prev = n;
    else
        q->tail = n;
    seg->next = n;
    idx_insert(q, idx_pos(q, seg) + 1, n);
    if (seg->flags & MP_RTX_TSORTED)
        ts_insert_after(q, seg, n);
    else
        n->tnext = n->tprev = NULL;
    return n;
}

bool mp_rtxq_merge_next(struct mp_rtxq *q, struct mp_rtx_seg *a)
{
    struct mp_rtx_seg *b = a->next;
    const uint16_t state = MP_RTX_SACKED | MP_RTX_LOST | MP_RTX_RETRANS;
    if (!b || (a->flags & state) != (b->flags & state))
        return false;
    if ((a->flags & MP_RTX_FIN) || (b->flags & MP_RTX_SYN))
        return false;
    if ((uint32_t)a->segs + b->segs > UINT16_MAX)
        return false;
    if (q->meta_ops.merge) {
        if (!q->meta_ops.merge(q->meta_ops.arg, &a->meta, &b->meta, mp_rtx_seg_len(a),
                               mp_rtx_seg_len(b)))
            return false;
    } else if (memcmp(&a->meta, &b->meta, sizeof(a->meta)) != 0) {
        return false;
    }

    a->end = b->end;
    a->segs = (uint16_t)(a->segs + b->segs);
    a->flags |= (uint16_t)(b->flags & (MP_RTX_FIN | MP_RTX_EVER_RETRANS));
    a->first_sent = MIN(a->first_sent, b->first_sent);
    a->rexmits = MAX(a->rexmits, b->rexmits);
    if (b->last_sent > a->last_sent) {
        /* The survivor stands for the later transmission: it takes b's
         * delivery-rate state and b's place in send-time order. */
        a->last_sent = b->last_sent;
        a->tx_delivered = b->tx_delivered;
        a->tx_delivered_time = b->tx_delivered_time;
        a->tx_first_time = b->tx_first_time;
        if (b->flags & MP_RTX_TSORTED) {
            ts_remove(q, a);
            ts_insert_after(q, b, a);
        }
    }
    if (q->lost_hint == b)
        q->lost_hint = a;
    if (q->hint == b)
        q->hint = a;
    /* b's bytes now belong to a: no counter changes. */
    idx_remove(q, idx_pos(q, a) + 1);
    ts_remove(q, b);
    a->next = b->next;
    if (b->next)
        b->next->prev = a;
    else
        q->tail = a;
    entry_free(q, b);
    return true;
}

/* ---- marks ---- */

bool mp_rtxq_mark_lost(struct mp_rtxq *q, struct mp_rtx_seg *s)
{
    if (s->flags & MP_RTX_SACKED)
        return false;
    uint32_t len = mp_rtx_seg_len(s);
    bool changed = false;
    if (s->flags & MP_RTX_RETRANS) {
        s->flags &= (uint16_t)~MP_RTX_RETRANS;
        q->retrans_out -= len;
        changed = true;
    }
    if (!(s->flags & MP_RTX_LOST)) {
        s->flags |= MP_RTX_LOST;
        q->lost_out += len;
        changed = true;
    }
    ts_remove(q, s);
    if (!q->lost_hint || mp_seq_lt(s->start, q->lost_hint->start))
        q->lost_hint = s;
    return changed;
}

uint32_t mp_rtxq_mark_all_lost(struct mp_rtxq *q)
{
    uint32_t n = 0;
    for (struct mp_rtx_seg *s = q->head; s; s = s->next)
        if (mp_rtxq_mark_lost(q, s))
            n++;
    return n;
}

void mp_rtxq_clear_sacked(struct mp_rtxq *q)
{
    for (struct mp_rtx_seg *s = q->head; s; s = s->next) {
        if (!(s->flags & MP_RTX_SACKED))
            continue;
        s->flags &= (uint16_t)~MP_RTX_SACKED;
        q->sacked_out -= mp_rtx_seg_len(s);
        q->sacked_segs -= s->segs;
        /* Reneging shows only at an RTO, when all is presumed lost. */
        mp_rtxq_mark_lost(q, s);
    }
    q->ncache = 0;
    q->fack = q->una;
}

void mp_rtxq_retransmitted(struct mp_rtxq *q, struct mp_rtx_seg *s, mp_time_t now)
{
    g_return_if_fail(!(s->flags & MP_RTX_SACKED));
    if (!(s->flags & MP_RTX_RETRANS))
        q->retrans_out += mp_rtx_seg_len(s);
    s->flags |= MP_RTX_RETRANS | MP_RTX_EVER_RETRANS;
    s->rexmits++;
    s->last_sent = now;
    rate_on_send(q, s, now);
    ts_append(q, s);
}

struct mp_rtx_seg *mp_rtxq_first_lost(struct mp_rtxq *q)
{
    struct mp_rtx_seg *s = q->lost_hint;
    while (s && !lost_pending(s->flags))
        s = s->next;
    q->lost_hint = s;
    return s;
}

struct mp_rtx_seg *mp_rtxq_next_lost(const struct mp_rtxq *q, const struct mp_rtx_seg *seg)
{
    struct mp_rtx_seg *s = seg->next;
    while (s && !lost_pending(s->flags))
        s = s->next;
    return s;
}

void mp_rtxq_set_app_limited(struct mp_rtxq *q, uint32_t in_flight)
{
    uint64_t v = q->delivered + in_flight;
    q->app_limited = v ? v : 1;
}

/* ---- ACK processing ---- */

/* Per-ACK working state. */
struct ack_ctx {
    mp_time_t now;
    mp_time_t min_rtt;
    uint32_t prior_fack;
    uint32_t new_fack;
    mp_time_t newest_sent; /* last_sent of the |rtt| sample */
    bool have_rs;
    uint64_t rs_prior_delivered;
    mp_time_t rs_prior_time;
    mp_time_t rs_send_elapsed;
    mp_time_t rs_sent;
    struct mp_rtx_ack *out;
};

/* Bookkeeping common to cumulative and selective delivery of [s->start,
 * end): counters of delivery, RTT samples, RACK, reordering, rate. */
static void on_delivered(struct mp_rtxq *q, struct ack_ctx *c, const struct mp_rtx_seg *s,
                         uint32_t end, uint32_t len)
{
    struct mp_rtx_ack *out = c->out;
    bool ever = (s->flags & MP_RTX_EVER_RETRANS) != 0;
    mp_time_t rtt = c->now >= s->last_sent ? c->now - s->last_sent : 0;

    q->delivered += len;
    if (ever)
        out->retrans_delivered = true;

    /* Karn (RFC 6298 3): no sample from a retransmitted segment. */
    if (!ever) {
        if (out->rtt == MP_TIME_NEVER || s->last_sent >= c->newest_sent) {
            out->rtt = rtt;
            c->newest_sent = s->last_sent;
        }
        /* Oldest first: cumulative entries come in sequence (= send) order
         * and before the SACKed ones, so the first sample taken stays. */
        if (out->rtt_first == MP_TIME_NEVER)
            out->rtt_first = rtt;
    }

    /* RFC 8985 6.2 step 2. */
    if (!(ever && rtt < c->min_rtt)) {
        if (!out->rack_valid || s->last_sent > out->rack_xmit_ts ||
            (s->last_sent == out->rack_xmit_ts && mp_seq_gt(end, out->rack_end_seq))) {
            out->rack_valid = true;
            out->rack_xmit_ts = s->last_sent;
            out->rack_end_seq = end;
            out->rack_rtt = rtt;
        }
    }

    /* RFC 8985 6.2 step 3: delivered below what was already delivered,
     * without having been retransmitted: the network reordered. */
    if (!ever && mp_seq_lt(end, c->prior_fack))
        out->reordering = true;
    c->new_fack = mp_seq_max(c->new_fack, end);

    /* Delivery rate: the sample comes from the most recently sent packet
     * delivered by this ACK. */
    if (!c->have_rs || s->tx_delivered >= c->rs_prior_delivered) {
        c->have_rs = true;
        c->rs_prior_delivered = s->tx_delivered;
        c->rs_prior_time = s->tx_delivered_time;
        c->rs_send_elapsed = s->last_sent - s->tx_first_time;
        c->rs_sent = s->last_sent;
        out->rs_app_limited = (s->flags & MP_RTX_APP_LIMITED) != 0;
    }
}

/* Removes or trims the entries before |ack|. */
static void ack_cumulative(struct mp_rtxq *q, struct ack_ctx *c, uint32_t ack)
{
    struct mp_rtx_ack *out = c->out;
    struct mp_rtx_seg *s;

    while ((s = q->head) && mp_seq_leq(s->end, ack)) {
        uint32_t len = mp_rtx_seg_len(s);
        if (s->flags & MP_RTX_SACKED) {
            q->sacked_out -= len;
            q->sacked_segs -= s->segs;
            out->acked_sacked += len;
        } else {
            on_delivered(q, c, s, s->end, len);
            if (s->flags & MP_RTX_LOST)
                q->lost_out -= len;
            if (s->flags & MP_RTX_RETRANS)
                q->retrans_out -= len;
        }
        if (s->flags & MP_RTX_SYN)
            out->syn_acked = true;
        if (s->flags & MP_RTX_FIN)
            out->fin_acked = true;
        out->acked += len;
        out->acked_segs++;
        free_entry(q, s);
    }

    s = q->head;
    if (s && mp_seq_gt(ack, s->start)) {
        /* A partial ACK of the head entry: trim it. The discarded piece
         * is the head of a split, so the extension sees one. */
        uint32_t len = mp_rtx_seg_len(s);
        uint32_t cut = ack - s->start;
        if (s->flags & MP_RTX_SACKED) {
            q->sacked_out -= cut;
            out->acked_sacked += cut;
        } else {
            on_delivered(q, c, s, ack, cut);
            if (s->flags & MP_RTX_LOST)
                q->lost_out -= cut;
            if (s->flags & MP_RTX_RETRANS)
                q->retrans_out -= cut;
        }
        if (s->flags & MP_RTX_SYN) {
            out->syn_acked = true;
            s->flags &= (uint16_t)~MP_RTX_SYN;
        }
        if (q->meta_ops.split) {
            union mp_rtx_meta gone = s->meta;
            q->meta_ops.split(q->meta_ops.arg, &gone, &s->meta, cut, len - cut);
        }
        uint32_t keep = (uint32_t)((uint64_t)s->segs * (len - cut) / len);
        keep = MAX(keep, 1u);
        if (s->flags & MP_RTX_SACKED)
            q->sacked_segs -= s->segs - keep;
        s->segs = (uint16_t)keep;
        s->start = ack; /* the index order is unchanged: it is still first */
        out->acked += cut;
    }
    if (mp_seq_gt(ack, q->una))
        q->una = ack;
    if (!q->head)
        q->una = q->nxt;
    q->fack = mp_seq_max(q->fack, q->una);
}

/* Marks [a, b) SACKed; a and b lie in [una, nxt]. */
static void sack_range(struct mp_rtxq *q, struct ack_ctx *c, uint32_t a, uint32_t b)
{
    struct mp_rtx_seg *s = mp_rtxq_find(q, a);
    while (s && mp_seq_lt(s->start, b)) {
        if (s->flags & MP_RTX_SACKED) {
            s = s->next;
            continue;
        }
        if (mp_seq_lt(s->start, a)) {
            s = mp_rtxq_split(q, s, a);
            continue;
        }
        if (mp_seq_gt(s->end, b))
            mp_rtxq_split(q, s, b);

        uint32_t len = mp_rtx_seg_len(s);
        on_delivered(q, c, s, s->end, len);
        if (s->flags & MP_RTX_LOST)
            q->lost_out -= len;
        if (s->flags & MP_RTX_RETRANS)
            q->retrans_out -= len;
        s->flags &= (uint16_t) ~(MP_RTX_LOST | MP_RTX_RETRANS);
        s->flags |= MP_RTX_SACKED;
        ts_remove(q, s);
        q->sacked_out += len;
        q->sacked_segs += s->segs;
        c->out->sacked += len;

        /* Keep SACKed runs as single entries where the metadata allow. */
        struct mp_rtx_seg *prev = s->prev;
        if (prev && (prev->flags & MP_RTX_SACKED) && mp_rtxq_merge_next(q, prev))
            s = prev;
        if (s->next && (s->next->flags & MP_RTX_SACKED))
            mp_rtxq_merge_next(q, s);
        q->hint = s;
        s = s->next;
    }
}

/* The parts of [a, b) outside every block of |cache|: at most one more
 * piece per cached block. Returns the number of pieces. */
static size_t subtract_cache(const struct mp_rtxq *q, uint32_t a, uint32_t b,
                             struct mp_sack_block *pieces)
{
    size_t n = 1;
    pieces[0] = (struct mp_sack_block){a, b};
    for (uint32_t i = 0; i < q->ncache; i++) {
        const struct mp_sack_block *k = &q->cache[i];
        size_t m = 0;
        struct mp_sack_block tmp[MP_SACK_MAX_BLOCKS + 1];
        for (size_t j = 0; j < n; j++) {
            struct mp_sack_block p = pieces[j];
            if (mp_seq_leq(k->end, p.start) || mp_seq_geq(k->start, p.end)) {
                tmp[m++] = p;
                continue;
            }
            if (mp_seq_lt(p.start, k->start))
                tmp[m++] = (struct mp_sack_block){p.start, k->start};
            if (mp_seq_gt(p.end, k->end))
                tmp[m++] = (struct mp_sack_block){k->end, p.end};
        }
        memcpy(pieces, tmp, m * sizeof(*tmp));
        n = m;
    }
    return n;
}

int mp_rtxq_ack(struct mp_rtxq *q, uint32_t ack, const struct mp_sack_block *sacks, size_t nsacks,
                mp_time_t min_rtt, mp_time_t now, struct mp_rtx_ack *out)
{
    memset(out, 0, sizeof(*out));
    out->rtt = out->rtt_first = MP_TIME_NEVER;
    if (mp_seq_gt(ack, q->nxt))
        return -EINVAL;

    struct ack_ctx c = {
        .now = now,
        .min_rtt = min_rtt,
        .prior_fack = q->fack,
        .new_fack = q->fack,
        .out = out,
    };
    if (mp_seq_gt(ack, q->una))
        ack_cumulative(q, &c, ack);

    /* RFC 2883 4: a first block below the cumulative ACK, or inside the
     * second block, reports a duplicate. */
    size_t first = 0;
    if (nsacks > 0) {
        const struct mp_sack_block *b0 = &sacks[0];
        bool dsack = mp_seq_lt(b0->start, ack);
        if (!dsack && nsacks > 1)
            dsack = mp_seq_geq(b0->start, sacks[1].start) && mp_seq_leq(b0->end, sacks[1].end);
        if (dsack && mp_seq_lt(b0->start, b0->end)) {
            out->dsack = true;
            out->dsack_block = *b0;
            first = 1;
        }
    }

    /* Valid blocks, clipped to [una, nxt], in sequence order. */
    struct mp_sack_block blk[MP_SACK_MAX_BLOCKS];
    size_t nb = 0;
    for (size_t i = first; i < nsacks; i++) {
        struct mp_sack_block b = sacks[i];
        if (!mp_seq_lt(b.start, b.end) || mp_seq_gt(b.end, q->nxt) || mp_seq_leq(b.end, q->una) ||
            nb == MP_SACK_MAX_BLOCKS) {
            out->sack_invalid++;
            continue;
        }
        b.start = mp_seq_max(b.start, q->una);
        size_t j = nb++;
        while (j > 0 && mp_seq_lt(b.start, blk[j - 1].start)) {
            blk[j] = blk[j - 1];
            j--;
        }
        blk[j] = b;
    }

    for (size_t i = 0; i < nb; i++) {
        struct mp_sack_block pieces[MP_SACK_MAX_BLOCKS + 1];
        size_t np = subtract_cache(q, blk[i].start, blk[i].end, pieces);
        for (size_t j = 0; j < np; j++)
            sack_range(q, &c, pieces[j].start, pieces[j].end);
    }
    /* Every block of this ACK is now marked through and through. */
    memcpy(q->cache, blk, nb * sizeof(blk[0]));
    q->ncache = (uint32_t)nb;

    q->fack = mp_seq_max(q->fack, c.new_fack);
    out->delivered = out->acked - out->acked_sacked + out->sacked;

    if (c.have_rs) {
        q->delivered_time = now;
        q->first_tx_time = c.rs_sent;
        out->rs_delivered = q->delivered - c.rs_prior_delivered;
        mp_time_t ack_elapsed = now - c.rs_prior_time;
        out->rs_interval = MAX(c.rs_send_elapsed, ack_elapsed);
        /* An interval shorter than the minimum RTT comes from ACK
         * compression or a stretched send: no sample (the draft, 3.3). */
        if (min_rtt && out->rs_interval < min_rtt)
            out->rs_interval = 0;
        if (q->app_limited && q->delivered > q->app_limited)
            q->app_limited = 0;
    }
    return 0;
}

/* ---- RFC 6675 ---- */

static bool is_lost_6675(uint32_t sacked_bytes, uint32_t sacked_segs, uint32_t mss,
                         uint32_t dupthresh)
{
    return sacked_segs >= dupthresh || sacked_bytes > (dupthresh - 1) * mss;
}

bool mp_rtxq_is_lost_6675(const struct mp_rtxq *q, const struct mp_rtx_seg *seg, uint32_t mss,
                          uint32_t dupthresh)
{
    uint32_t bytes = 0, segs = 0;
    for (const struct mp_rtx_seg *s = q->tail; s && s != seg; s = s->prev) {
        if (s->flags & MP_RTX_SACKED) {
            bytes += mp_rtx_seg_len(s);
            segs += s->segs;
        }
    }
    return is_lost_6675(bytes, segs, mss, dupthresh);
}

uint32_t mp_rtxq_pipe_6675(const struct mp_rtxq *q, uint32_t mss, uint32_t dupthresh)
{
    uint32_t bytes = 0, segs = 0, pipe = 0;
    for (const struct mp_rtx_seg *s = q->tail; s; s = s->prev) {
        uint32_t len = mp_rtx_seg_len(s);
        if (s->flags & MP_RTX_SACKED) {
            bytes += len;
            segs += s->segs;
            continue;
        }
        /* RFC 6675 4 SetPipe (a): octets not deemed lost are in the
         * network. (b) counts retransmitted octets; the RFC's HighRxt
         * approximates what the RETRANS mark records exactly. */
        if (!is_lost_6675(bytes, segs, mss, dupthresh))
            pipe += len;
        if (s->flags & MP_RTX_RETRANS)
            pipe += len;
    }
    return pipe;
}

uint32_t mp_rtxq_mark_lost_6675(struct mp_rtxq *q, uint32_t mss, uint32_t dupthresh)
{
    uint32_t bytes = 0, segs = 0, n = 0;
    for (struct mp_rtx_seg *s = q->tail; s; s = s->prev) {
        if (s->flags & MP_RTX_SACKED) {
            bytes += mp_rtx_seg_len(s);
            segs += s->segs;
            continue;
        }
        /* A retransmission may have been sent after the SACKs above it
         * arrived; IsLost says nothing about it (RFC 6675 NextSeg picks
         * octets "not yet retransmitted"). */
        if (s->flags & (MP_RTX_LOST | MP_RTX_RETRANS))
            continue;
        if (is_lost_6675(bytes, segs, mss, dupthresh) && mp_rtxq_mark_lost(q, s))
            n++;
    }
    return n;
}

/* ---- invariants ---- */

const char *mp_rtxq_check(const struct mp_rtxq *q)
{
    uint32_t sacked = 0, lost = 0, retrans = 0, segs = 0, count = 0;
    uint32_t expect = q->una;
    const struct mp_rtx_seg *prev = NULL;

    for (const struct mp_rtx_seg *s = q->head; s; prev = s, s = s->next) {
        if (s->prev != prev)
            return "broken prev link";
        if (s->start != expect)
            return "gap or overlap between entries";
        if (!mp_seq_lt(s->start, s->end))
            return "empty entry";
        if (count >= q->count || idx_at(q, count) != s)
            return "index out of step with the list";
        uint32_t len = mp_rtx_seg_len(s);
        if (s->flags & MP_RTX_SACKED) {
            sacked += len;
            segs += s->segs;
            if (s->flags & (MP_RTX_LOST | MP_RTX_RETRANS))
                return "SACKed entry still lost or retransmitted";
        }
        if (s->flags & MP_RTX_LOST)
            lost += len;
        if (s->flags & MP_RTX_RETRANS)
            retrans += len;
        if (!!(s->flags & MP_RTX_TSORTED) != wants_tsorted(s->flags))
            return "send-time list membership wrong";
        if ((s->flags & MP_RTX_SYN) && s != q->head)
            return "SYN not at the head";
        if (lost_pending(s->flags) && q->lost_hint && mp_seq_lt(s->start, q->lost_hint->start))
            return "lost entry before the lost hint";
        if (lost_pending(s->flags) && !q->lost_hint)
            return "lost entry but no lost hint";
        expect = s->end;
        count++;
    }
    if (prev != q->tail)
        return "tail pointer wrong";
    if (q->idx_off + q->count > q->idx_cap)
        return "index array overrun";
    if (expect != q->nxt)
        return "entries do not end at nxt";
    if (count != q->count)
        return "entry count wrong";
    if (sacked != q->sacked_out || lost != q->lost_out || retrans != q->retrans_out ||
        segs != q->sacked_segs)
        return "counters disagree with the entries";
    const struct mp_rtx_seg *tp = NULL;
    for (const struct mp_rtx_seg *s = q->thead; s; tp = s, s = s->tnext) {
        if (s->tprev != tp || !(s->flags & MP_RTX_TSORTED))
            return "send-time list broken";
        if (tp && tp->last_sent > s->last_sent)
            return "send-time list out of order";
    }
    if (tp != q->ttail)
        return "send-time tail wrong";
    return NULL;
}
