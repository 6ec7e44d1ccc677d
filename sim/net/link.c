/*
 * afmp: point-to-point links (see link.h).
 *
 * Early path (drop-tail): on acceptance a packet gets its start, end and
 * arrival times and one engine event, its arrival. The ring of accepted
 * packets is in arrival order (the link never reorders), so the arrival
 * event only has to pop the ring's head. The queue occupancy the discipline
 * sees is found lazily: at each acceptance the |wait| index moves past the
 * packets whose start time has come.
 *
 * Late path (RED, CoDel, ...): the discipline holds the waiting packets; a
 * transmission-completion event asks it for the next one. Packets on the
 * wire and propagating live in the same ring as on the early path.
 */
#include "sim/net/link.h"

#include <string.h>

#include "model/env.h"
#include "model/trace.h"
#include "sim/net/fault.h"

struct change_node {
    struct mp_link *link;
    struct mp_event *ev;
    struct mp_link_change c;
};

struct mp_link {
    struct mp_engine *eng;
    char *name;
    uint64_t seed;
    bool up;
    struct mp_port *port[2];
    struct mp_link_dir dir[2];
    GList *changes; /* pending struct change_node */
    /* Tracing: an environment whose only op is trace_write, so that the
     * common record builder (model/trace.h) can be used. */
    mp_link_trace_fn trace_write;
    void *trace_ctx;
    bool tracing;
    struct mp_env_ops tops;
    struct mp_env tenv;
    const struct mp_link_ext_ops *ext; /* the wire is elsewhere; NULL: ours */
    void *ext_arg;
};

/* --- timing -------------------------------------------------------------- */

mp_time_t mp_link_tx_time(uint32_t len, uint64_t rate_bps)
{
    uint64_t bits = (uint64_t)len * 8u;

    if (rate_bps == 0)
        return 0;
    /* ceil(bits * 1e9 / rate). bits < 2^35, so bits * 1e9 < 2^65 may
     * overflow 64 bits only for packets over about 2.3 GB; use 128 bits
     * there. */
    if (G_LIKELY(bits <= UINT64_MAX / 1000000000u)) {
        uint64_t n = bits * 1000000000u;
        return n / rate_bps + (n % rate_bps != 0);
    }
    unsigned __int128 n = (unsigned __int128)bits * 1000000000u;
    return (mp_time_t)(n / rate_bps + (n % rate_bps != 0));
}

/* The reciprocal that tx_time() multiplies by, kept with the rate. */
static void dir_set_rate(struct mp_link_dir *d, uint64_t rate_bps)
{
    d->rate_bps = rate_bps;
    d->rate_inv = rate_bps ? UINT64_MAX / rate_bps : 0;
}

/*
 * mp_link_tx_time(len, d->rate_bps) without a 64-bit division, which costs
 * tens of cycles at every packet-hop. With m = floor((2^64 - 1) / r), the
 * estimate q' = floor(n * m / 2^64) satisfies n / r - 1 < q' <= n / r, so
 * q' is the quotient or one less, and one correction on the remainder makes
 * it exact. Packets over 2 GiB take the general path.
 */
static inline mp_time_t tx_time(const struct mp_link_dir *d, uint32_t len)
{
    if (d->rate_bps == 0)
        return 0;
    if (G_UNLIKELY(len > (UINT32_MAX >> 1)))
        return mp_link_tx_time(len, d->rate_bps);
    uint64_t n = (uint64_t)len * UINT64_C(8000000000); /* < 2^64 for len < 2^31 */
    uint64_t q = (uint64_t)(((unsigned __int128)n * d->rate_inv) >> 64);
    uint64_t r = n - q * d->rate_bps;
    if (r >= d->rate_bps) {
        q++;
        r -= d->rate_bps;
    }
    return q + (r != 0);
}

/* --- tracing ------------------------------------------------------------- */

static void trace_tramp(void *ctx, const char *line, size_t len)
{
    struct mp_link *l = ctx;
    l->trace_write(l->trace_ctx, line, len);
}

static inline bool tracing(const struct mp_link *l)
{
    return l->tracing;
}

static void trace_drop(struct mp_link_dir *d, const struct mp_pkt *pkt, enum mp_link_drop reason,
                       mp_time_t now)
{
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, d->link->name, "link.drop");
    mp_trace_u64(&r, "dir", (uint64_t)d->end);
    mp_trace_str(&r, "reason", mp_link_drop_name(reason));
    mp_trace_u64(&r, "pkt", pkt->id);
    mp_trace_u64(&r, "len", pkt->len);
    mp_trace_end(&r, &d->link->tenv);
}

static void trace_dir_u64(struct mp_link_dir *d, const char *ev, const char *key, uint64_t v,
                          mp_time_t now)
{
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, d->link->name, ev);
    mp_trace_u64(&r, "dir", (uint64_t)d->end);
    mp_trace_u64(&r, key, v);
    mp_trace_end(&r, &d->link->tenv);
}

void mp_link_trace_fault(struct mp_link_dir *d, const char *kind, uint32_t p32, mp_time_t now)
{
    if (!tracing(d->link))
        return;
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, d->link->name, "link.fault");
    mp_trace_u64(&r, "dir", (uint64_t)d->end);
    mp_trace_str(&r, "kind", kind);
    mp_trace_u64(&r, "p32", p32);
    mp_trace_end(&r, &d->link->tenv);
}

void mp_link_trace_mbox(struct mp_link *l, int end, const char *kind, const char *action,
                        const struct mp_pkt *pkt, const char *detail, mp_time_t now)
{
    if (!tracing(l))
        return;
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, l->name, "link.mbox");
    mp_trace_u64(&r, "dir", (uint64_t)end);
    mp_trace_str(&r, "kind", kind);
    mp_trace_str(&r, "action", action);
    if (pkt)
        mp_trace_u64(&r, "pkt", pkt->id);
    if (detail)
        mp_trace_str(&r, "detail", detail);
    mp_trace_end(&r, &l->tenv);
}

bool mp_link_tracing(const struct mp_link *l)
{
    return tracing(l);
}

/* --- drops and delivery -------------------------------------------------- */

void mp_link_dir_drop(struct mp_link_dir *d, struct mp_pkt *pkt, enum mp_link_drop reason,
                      mp_time_t now)
{
    d->st.dropped[reason]++;
    if (G_UNLIKELY(tracing(d->link)))
        trace_drop(d, pkt, reason, now);
    mp_pkt_free(pkt);
}

static void qdisc_drop_cb(void *ctx, struct mp_pkt *pkt, enum mp_link_drop reason, mp_time_t now)
{
    mp_link_dir_drop(ctx, pkt, reason, now);
}

static void deliver(struct mp_link_dir *d, struct mp_pkt *pkt, mp_time_t now)
{
    struct mp_port *port = d->link->port[!d->end];

    if (G_UNLIKELY(!port)) {
        mp_link_dir_drop(d, pkt, MP_LINK_DROP_NOPORT, now);
        return;
    }
    d->st.delivered_pkts++;
    d->st.delivered_bytes += pkt->len;
    port->deliver(port, pkt, now);
}

/* --- the ring of accepted packets ---------------------------------------- */

static void ring_grow(struct mp_link_dir *d)
{
    uint64_t cap = d->mask + 1;
    uint64_t ncap = cap * 2;
    struct mp_link_slot *n = g_new(struct mp_link_slot, ncap);

    for (uint64_t s = d->head; s != d->tail; s++)
        n[s & (ncap - 1)] = d->ring[s & d->mask];
    g_free(d->ring);
    d->ring = n;
    d->mask = ncap - 1;
}

static void arrive(void *arg, mp_time_t now);

/* Puts an accepted packet on its way: its transmission runs from |start|
 * to |end|; schedules its arrival. */
static inline void ring_push(struct mp_link_dir *d, struct mp_pkt *pkt, mp_time_t start,
                             mp_time_t end)
{
    mp_time_t arrival = end + d->delay;

    /* A wire is FIFO: after a delay decrease, wait behind earlier packets. */
    if (G_UNLIKELY(arrival < d->last_arrival))
        arrival = d->last_arrival;
    d->last_arrival = arrival;
    d->busy_until = end;
    if (G_UNLIKELY(d->tail - d->head > d->mask))
        ring_grow(d);
    struct mp_link_slot *s = &d->ring[d->tail & d->mask];
    s->pkt = pkt;
    s->len = pkt->len;
    s->start = start;
    s->arrival = arrival;
    s->seq = mp_engine_reserve(d->link->eng);
    if (d->head == d->tail)
        d->arr_ev = mp_engine_at_seq(d->link->eng, arrival, s->seq, arrive, d);
    d->tail++;
}

static void arrive(void *arg, mp_time_t now)
{
    struct mp_link_dir *d = arg;
    struct mp_link_slot *s = &d->ring[d->head & d->mask];
    struct mp_pkt *pkt = s->pkt;

    /* The early path advances |wait| lazily; a packet that arrives was
     * necessarily transmitted. */
    if (d->wait == d->head) {
        d->wait++;
        d->wait_bytes -= s->len;
    }
    d->head++;
    d->arr_ev = NULL;
    /* The next packet's arrival goes into the queue, in the place it
     * reserved; and its bytes start loading. A packet sits in the
     * ring for its whole transmission and propagation while the engine runs
     * other links' events, so by its arrival its bytes have left the caches
     * and the receiving node stalls on its first read (in bench-udp-chain,
     * most of the time of arrive() and of IP input went there). The next
     * arrival on this direction is known now and usually many events away,
     * so prefetching its header and its first data line (where
     * mp_pkt_alloc() puts the IP header) hides that latency. Written out
     * here, not in a helper: GCC 12 takes a function holding only prefetches
     * for pure and deletes the call. */
    if (d->head != d->tail) {
        const struct mp_link_slot *n = &d->ring[d->head & d->mask];
        d->arr_ev = mp_engine_at_seq(d->link->eng, n->arrival, n->seq, arrive, d);
        const uint8_t *next = (const uint8_t *)n->pkt;
        __builtin_prefetch(next);
        __builtin_prefetch(next + sizeof(struct mp_pkt) + MP_PKT_HEADROOM);
    }
    deliver(d, pkt, now);
}

/* Early path: moves |wait| past the packets whose transmission has begun. */
static inline void advance_wait(struct mp_link_dir *d, mp_time_t now)
{
    while (d->wait != d->tail) {
        struct mp_link_slot *s = &d->ring[d->wait & d->mask];
        if (s->start > now)
            break;
        d->wait_bytes -= s->len;
        d->wait++;
    }
}

/* A rate or delay change: on the early path, packets that wait for the wire
 * had their transmission and arrival computed when they were admitted; they
 * are computed again, so that a packet takes the rate and the delay in
 * force when its transmission starts (as a device that reads them then,
 * ns-3's point-to-point one among them). The packet on the wire keeps
 * its own. The late path reads both at transmission already. */
static void retime_waiting(struct mp_link_dir *d, mp_time_t now)
{
    if (!d->early || d->trace)
        return;
    advance_wait(d, now);
    if (d->wait == d->tail)
        return;
    struct mp_engine *eng = d->link->eng;
    mp_time_t busy = d->ring[d->wait & d->mask].start;
    mp_time_t last = d->wait != d->head ? d->ring[(d->wait - 1) & d->mask].arrival : now;
    bool moved = false;
    for (uint64_t k = d->wait; k != d->tail; k++) {
        struct mp_link_slot *s = &d->ring[k & d->mask];
        mp_time_t end = busy + tx_time(d, s->pkt->len + d->overhead);
        mp_time_t arrival = end + d->delay;
        if (arrival < last)
            arrival = last; /* FIFO, as ring_push */
        s->start = busy;
        if (arrival != s->arrival) {
            /* A new place in the tie order too, as a rescheduled event. */
            s->arrival = arrival;
            s->seq = mp_engine_reserve(eng);
            moved = true;
        }
        last = arrival;
        busy = end;
    }
    d->busy_until = busy;
    d->last_arrival = last;
    if (!moved)
        return;
    /* Every arrival event of this direction runs arrive(), which takes the
     * first packet, so what counts is the set of (time, seq) places, not
     * which slot holds which; the first slot must hold the earliest. A
     * moved slot takes a larger seq than any other, so a later slot of the
     * same time with an older one would break that. The clamp above makes
     * that impossible as the timing stands (a run of equal arrivals is
     * clamped to |last|, which no moved slot had left), but should the
     * rules change, each run's seqs are kept in increasing order here
     * (one pass finds whether any is out of order; a sort only then). */
    bool ordered = true;
    for (uint64_t k = d->head; k + 1 != d->tail && ordered; k++) {
        const struct mp_link_slot *a = &d->ring[k & d->mask], *b = &d->ring[(k + 1) & d->mask];
        ordered = b->arrival != a->arrival || b->seq > a->seq;
    }
    for (uint64_t k = d->head; !ordered && k != d->tail; k++) {
        for (uint64_t j = k + 1; j != d->tail; j++) {
            struct mp_link_slot *a = &d->ring[k & d->mask], *b = &d->ring[j & d->mask];
            if (b->arrival != a->arrival)
                break;
            if (b->seq < a->seq) {
                uint64_t t = a->seq;
                a->seq = b->seq;
                b->seq = t;
            }
        }
    }
    const struct mp_link_slot *h = &d->ring[d->head & d->mask];
    mp_engine_cancel(eng, d->arr_ev);
    d->arr_ev = mp_engine_at_seq(eng, h->arrival, h->seq, arrive, d);
}

/* --- late path ----------------------------------------------------------- */

static void tx_done(void *arg, mp_time_t now);

/* The wire is free at |now|: takes packets from the discipline. With an
 * infinite rate every waiting packet goes at once. */
static void start_tx(struct mp_link_dir *d, mp_time_t now)
{
    for (;;) {
        struct mp_pkt *pkt = d->qdisc->ops->dequeue(d->qdisc, now);
        if (!pkt)
            return;
        ring_push(d, pkt, now, now + tx_time(d, pkt->len + d->overhead));
        d->wait = d->tail;
        if (d->busy_until > now) {
            d->tx_ev = mp_engine_at(d->link->eng, d->busy_until, tx_done, d);
            return;
        }
    }
}

static void tx_done(void *arg, mp_time_t now)
{
    struct mp_link_dir *d = arg;
    d->tx_ev = NULL;
    start_tx(d, now);
}

/* --- sending ------------------------------------------------------------- */

/* Trace-driven: the opportunities a packet of |len| bytes accepted at |now|
 * uses (see link.h); sets its transmission's |start| and |end|. mm-link
 * moves bytes only at an opportunity's instant, so what is left of one in
 * the past is lost. */
static void trace_slot(struct mp_link_dir *d, uint32_t len, mp_time_t now, mp_time_t *start,
                       mp_time_t *end)
{
    const struct mp_dtrace *t = d->trace;
    uint64_t k = d->opp;
    uint32_t left = d->opp_left;

    if (mp_dtrace_time(t, k) < now) {
        k = mp_dtrace_first_at(t, now);
        left = MP_DTRACE_BYTES;
    }
    *start = mp_dtrace_time(t, k);
    while (len > left) {
        len -= left;
        k++;
        left = MP_DTRACE_BYTES;
    }
    left -= len;
    *end = mp_dtrace_time(t, k);
    if (left == 0) {
        k++;
        left = MP_DTRACE_BYTES;
    }
    d->opp = k;
    d->opp_left = left;
}

void mp_link_dir_enqueue(struct mp_link_dir *d, struct mp_pkt *pkt, mp_time_t now)
{
    struct mp_qdisc *q = d->qdisc;

    if (G_UNLIKELY(!d->link->up)) {
        mp_link_dir_drop(d, pkt, MP_LINK_DROP_DOWN, now);
        return;
    }
    if (G_UNLIKELY(d->link->ext)) {
        d->link->ext->send(d->link->ext_arg, d->end, pkt);
        return;
    }
    if (G_LIKELY(d->early)) {
        advance_wait(d, now);
        if (!q->ops->admit(q, pkt->len, (uint32_t)(d->tail - d->wait), d->wait_bytes, now)) {
            mp_link_dir_drop(d, pkt, MP_LINK_DROP_QUEUE, now);
            return;
        }
        mp_time_t start, end;
        if (d->trace) {
            trace_slot(d, pkt->len, now, &start, &end);
        } else {
            start = d->busy_until > now ? d->busy_until : now;
            end = start + tx_time(d, pkt->len + d->overhead);
        }
        ring_push(d, pkt, start, end);
        if (start > now)
            d->wait_bytes += pkt->len;
        else
            d->wait = d->tail; /* on the wire already; all before it too */
        return;
    }
    pkt->ts = now;
    enum mp_link_drop r = q->ops->enqueue(q, pkt, now);
    if (r != MP_LINK_DROP__COUNT) {
        mp_link_dir_drop(d, pkt, r, now);
        return;
    }
    if (!d->tx_ev)
        start_tx(d, now);
}

void mp_link_send(struct mp_link *l, int end, struct mp_pkt *pkt)
{
    struct mp_link_dir *d = &l->dir[end];
    mp_time_t now = mp_engine_now(l->eng);

    d->st.sent_pkts++;
    d->st.sent_bytes += pkt->len;
    if (G_UNLIKELY(!l->up)) {
        mp_link_dir_drop(d, pkt, MP_LINK_DROP_DOWN, now);
        return;
    }
    if (d->faults)
        d->faults->ops->input(d->faults, pkt, now);
    else
        mp_link_dir_enqueue(d, pkt, now);
}

void mp_link_set_ext(struct mp_link *l, const struct mp_link_ext_ops *ops, void *arg)
{
    l->ext = ops;
    l->ext_arg = arg;
}

void mp_link_ext_deliver(struct mp_link *l, int end, struct mp_pkt *pkt)
{
    struct mp_link_dir *d = &l->dir[end];
    mp_time_t now = mp_engine_now(l->eng);
    if (!l->up) {
        mp_link_dir_drop(d, pkt, MP_LINK_DROP_DOWN, now);
        return;
    }
    deliver(d, pkt, now);
}

void mp_link_ext_drop(struct mp_link *l, int end, struct mp_pkt *pkt, enum mp_link_drop reason)
{
    mp_link_dir_drop(&l->dir[end], pkt, reason, mp_engine_now(l->eng));
}

const char *mp_link_ext_check(const struct mp_link *l)
{
    for (int e = 0; e < 2; e++) {
        const struct mp_link_dir *d = &l->dir[e];
        if (d->trace)
            return "a delivery trace";
    }
    return NULL;
}


/* --- construction -------------------------------------------------------- */

struct mp_link *mp_link_new(struct mp_engine *eng, const struct mp_link_conf *conf, GError **error)
{
    struct mp_link *l = g_new0(struct mp_link, 1);

    l->eng = eng;
    l->name = g_strdup(conf->name ? conf->name : "");
    l->seed = conf->seed;
    l->up = true;
    l->trace_write = conf->trace_write;
    l->trace_ctx = conf->trace_ctx;
    l->tracing = conf->trace_write && (conf->trace_mask & MP_TRACE_LINK);
    l->tops.trace_write = trace_tramp;
    l->tenv.ops = &l->tops;
    l->tenv.ctx = l;
    l->tenv.seed = conf->seed;
    l->tenv.trace_mask = conf->trace_mask;
    for (int e = 0; e < 2; e++) {
        const struct mp_link_dir_conf *dc = &conf->dir[e];
        struct mp_link_dir *d = &l->dir[e];
        d->link = l;
        d->end = e;
        dir_set_rate(d, dc->rate_bps);
        d->overhead = dc->overhead;
        d->delay = dc->delay;
        d->qdisc = mp_qdisc_new(dc->qdisc, dc->qdisc_params, error);

        if (!d->qdisc) {
            g_prefix_error(error, "link %s, direction %d: ", l->name, e);
            mp_link_free(l);
            return NULL;
        }
        d->qdisc->drop = qdisc_drop_cb;
        d->qdisc->drop_ctx = d;
        d->early = d->qdisc->ops->admit && !dc->late;
        if (dc->trace && !d->early) {
            g_set_error(error, MP_QDISC_ERROR, MP_QDISC_ERROR_PARAM,
                        "link %s, direction %d: a trace-driven direction needs drop-tail", l->name,
                        e);
            mp_link_free(l);
            return NULL;
        }
        d->trace = mp_dtrace_ref(dc->trace);
        d->opp_left = MP_DTRACE_BYTES;
        d->mask = 63;
        d->ring = g_new(struct mp_link_slot, d->mask + 1);
    }
    return l;
}

/* Link down: every packet the direction holds is dropped and counted. */
static void dir_flush(struct mp_link_dir *d, mp_time_t now)
{
    struct mp_engine *eng = d->link->eng;

    if (d->tx_ev) {
        mp_engine_cancel(eng, d->tx_ev);
        d->tx_ev = NULL;
    }
    if (d->arr_ev) {
        mp_engine_cancel(eng, d->arr_ev);
        d->arr_ev = NULL;
    }
    for (uint64_t s = d->head; s != d->tail; s++)
        mp_link_dir_drop(d, d->ring[s & d->mask].pkt, MP_LINK_DROP_DOWN, now);
    d->head = d->wait = d->tail;
    d->wait_bytes = 0;
    if (!d->early)
        d->qdisc->ops->purge(d->qdisc, MP_LINK_DROP_DOWN, now);
    d->busy_until = now;
    d->last_arrival = now;
    if (d->trace) {
        /* The opportunities the dropped packets had taken are free again. */
        d->opp = mp_dtrace_first_at(d->trace, now);
        d->opp_left = MP_DTRACE_BYTES;
    }
}

void mp_link_free(struct mp_link *l)
{
    if (!l)
        return;
    for (GList *it = l->changes; it; it = it->next) {
        struct change_node *n = it->data;
        mp_engine_cancel(l->eng, n->ev);
        g_free(n);
    }
    g_list_free(l->changes);
    for (int e = 0; e < 2; e++) {
        struct mp_link_dir *d = &l->dir[e];
        struct mp_pkt *p;

        if (!d->qdisc)
            continue; /* construction failed before this direction */
        if (!d->early)
            while ((p = d->qdisc->ops->dequeue(d->qdisc, mp_engine_now(l->eng))))
                mp_pkt_free(p);
        if (d->tx_ev)
            mp_engine_cancel(l->eng, d->tx_ev);
        if (d->arr_ev)
            mp_engine_cancel(l->eng, d->arr_ev);
        for (uint64_t s = d->head; s != d->tail; s++)
            mp_pkt_free(d->ring[s & d->mask].pkt);
        while (d->faults) {
            struct mp_fault *f = d->faults;
            d->faults = f->next;
            mp_fault_free(f);
        }
        g_free(d->ring);
        mp_qdisc_free(d->qdisc);
        mp_dtrace_unref(d->trace);
    }
    g_free(l->name);
    g_free(l);
}

const char *mp_link_name(const struct mp_link *l)
{
    return l->name;
}

struct mp_engine *mp_link_engine(const struct mp_link *l)
{
    return l->eng;
}

void mp_link_attach(struct mp_link *l, int end, struct mp_port *port)
{
    g_return_if_fail(end == 0 || end == 1);
    l->port[end] = port;
}

/* --- run-time changes ---------------------------------------------------- */

void mp_link_set_up(struct mp_link *l, bool up)
{
    mp_time_t now = mp_engine_now(l->eng);
    uint64_t before = 0, after = 0;

    if (l->up == up)
        return;
    l->up = up;
    if (!up) {
        for (int e = 0; e < 2; e++) {
            struct mp_link_dir *d = &l->dir[e];
            before += d->st.dropped[MP_LINK_DROP_DOWN];
            /* Faults first: a held packet must not reach the queue. */
            for (struct mp_fault *f = d->faults; f; f = f->next)
                if (f->ops->purge)
                    f->ops->purge(f, now);
            dir_flush(d, now);
            after += d->st.dropped[MP_LINK_DROP_DOWN];
        }
    }
    if (tracing(l)) {
        struct mp_trace_rec r;
        mp_trace_begin(&r, now, l->name, up ? "link.up" : "link.down");
        if (!up)
            mp_trace_u64(&r, "purged", after - before);
        mp_trace_end(&r, &l->tenv);
    }
    for (int e = 0; e < 2; e++)
        if (l->port[e] && l->port[e]->carrier)
            l->port[e]->carrier(l->port[e], up, now);
}

bool mp_link_is_up(const struct mp_link *l)
{
    return l->up;
}

void mp_link_set_rate(struct mp_link *l, int end, uint64_t rate_bps)
{
    mp_time_t now = mp_engine_now(l->eng);

    for (int e = 0; e < 2; e++) {
        if (end != MP_LINK_BOTH && end != e)
            continue;
        dir_set_rate(&l->dir[e], rate_bps);
        retime_waiting(&l->dir[e], now);
        if (l->ext && l->ext->set_rate)
            l->ext->set_rate(l->ext_arg, e, rate_bps);
        if (tracing(l))
            trace_dir_u64(&l->dir[e], "link.rate", "bps", rate_bps, now);
    }
}

void mp_link_set_delay(struct mp_link *l, int end, mp_time_t delay)
{
    mp_time_t now = mp_engine_now(l->eng);

    for (int e = 0; e < 2; e++) {
        if (end != MP_LINK_BOTH && end != e)
            continue;
        l->dir[e].delay = delay;
        retime_waiting(&l->dir[e], now);
        if (l->ext && l->ext->set_delay)
            l->ext->set_delay(l->ext_arg, e, delay);
        if (tracing(l))
            trace_dir_u64(&l->dir[e], "link.delay", "ns", delay, now);
    }
}

static void change_fire(void *arg, mp_time_t now)
{
    struct change_node *n = arg;
    struct mp_link *l = n->link;
    struct mp_link_change c = n->c;

    l->changes = g_list_remove(l->changes, n);
    g_free(n);
    switch (c.kind) {
    case MP_LINK_CHANGE_UP:
        mp_link_set_up(l, true);
        break;
    case MP_LINK_CHANGE_DOWN:
        mp_link_set_up(l, false);
        break;
    case MP_LINK_CHANGE_RATE:
        mp_link_set_rate(l, c.end, c.value);
        break;
    case MP_LINK_CHANGE_DELAY:
        mp_link_set_delay(l, c.end, c.value);
        break;
    case MP_LINK_CHANGE_FAULT_PROB:
        mp_fault_set_prob(c.fault, (uint32_t)MIN(c.value, UINT32_MAX), now);
        break;
    }
}

void mp_link_change_at(struct mp_link *l, mp_time_t when, const struct mp_link_change *c)
{
    struct change_node *n = g_new(struct change_node, 1);

    n->link = l;
    n->c = *c;
    n->ev = mp_engine_at(l->eng, when, change_fire, n);
    l->changes = g_list_prepend(l->changes, n);
}

/* --- faults -------------------------------------------------------------- */

void mp_link_add_fault(struct mp_link *l, int end, struct mp_fault *f)
{
    struct mp_link_dir *d = &l->dir[end];
    struct mp_fault **pp = &d->faults;
    unsigned same = 0;
    char *stream;

    for (struct mp_fault *g = d->faults; g; g = g->next)
        if (strcmp(g->ops->kind, f->ops->kind) == 0)
            same++;
    while (*pp && (*pp)->ops->stage <= f->ops->stage)
        pp = &(*pp)->next;
    f->next = *pp;
    *pp = f;
    f->dir = d;
    if (same)
        stream = g_strdup_printf("link/%s/%d/%s#%u", l->name, end, f->ops->kind, same + 1);
    else
        stream = g_strdup_printf("link/%s/%d/%s", l->name, end, f->ops->kind);
    mp_rng_derive(l->seed, stream, &f->rng);
    g_free(stream);
}

void mp_link_remove_stage(struct mp_link *l, int end, unsigned stage)
{
    struct mp_fault **pp = &l->dir[end].faults;

    while (*pp) {
        struct mp_fault *f = *pp;
        if (f->ops->stage == stage) {
            *pp = f->next;
            mp_fault_free(f);
        } else {
            pp = &f->next;
        }
    }
}

/* --- accessors ----------------------------------------------------------- */

const struct mp_link_stats *mp_link_stats(const struct mp_link *l, int end)
{
    return &l->dir[end].st;
}

void mp_link_backlog(struct mp_link *l, int end, uint32_t *pkts, uint64_t *bytes)
{
    struct mp_link_dir *d = &l->dir[end];

    if (d->early) {
        advance_wait(d, mp_engine_now(l->eng));
        *pkts = (uint32_t)(d->tail - d->wait);
        *bytes = d->wait_bytes;
    } else {
        *pkts = d->qdisc->backlog_pkts;
        *bytes = d->qdisc->backlog_bytes;
    }
}

uint64_t mp_link_in_flight(const struct mp_link *l, int end)
{
    const struct mp_link_dir *d = &l->dir[end];
    return (d->tail - d->head) + (d->early ? 0 : d->qdisc->backlog_pkts);
}
