/*
 * afmp: queue disciplines of the embedded engine's links.
 *
 * A queue discipline (qdisc) decides which packets a link direction accepts
 * for transmission and in which order they go on the wire. Disciplines are
 * ops tables looked up by name ("droptail"; RED and fq_codel later), so the
 * link never names one.
 *
 * Two shapes, chosen by which ops a table fills in:
 *
 * - Early-decision disciplines (FIFO order, every decision made when the
 *   packet arrives: drop-tail) fill in |admit|. The link then keeps the
 *   packets itself, computes each one's departure and arrival when it is
 *   accepted and schedules a single engine event per packet per hop. |admit|
 *   sees the backlog: the packets accepted whose transmission has not yet
 *   started (the one on the wire is not counted), as Linux's pfifo/bfifo
 *   count what waits in the qdisc and not what the device is sending.
 *
 * - Late-decision disciplines (RED marks, CoDel drops, fq reorders at dequeue
 *   time) fill in |enqueue| and |dequeue| and hold the packets. The link asks
 *   for the next packet whenever the wire becomes free, which costs a second
 *   engine event (transmission completion) per packet.
 *
 * A table may fill in both; the link uses |admit| unless told otherwise (the
 * tests use that to check that both paths give the same timing).
 */
#ifndef MP_SIM_NET_QDISC_H
#define MP_SIM_NET_QDISC_H

#include <glib.h>

#include "model/pkt.h"
#include "model/types.h"

/* Why a link direction dropped a packet. Qdiscs report QUEUE (no room) or
 * AQM (an active queue management decision); the others belong to the link
 * and its fault decorators. */
enum mp_link_drop {
    MP_LINK_DROP_QUEUE,     /* queue limit reached (tail or head drop) */
    MP_LINK_DROP_AQM,       /* early drop by an AQM (RED, CoDel) */
    MP_LINK_DROP_LOSS,      /* a loss model (Bernoulli, Gilbert-Elliott) */
    MP_LINK_DROP_CORRUPT,   /* corrupted and caught by the frame check sequence */
    MP_LINK_DROP_DOWN,      /* link down: refused, or purged from queue/wire */
    MP_LINK_DROP_NOPORT,    /* nothing attached at the far end */
    MP_LINK_DROP_BLACKHOLE, /* a blackhole middlebox (middlebox.h) */
    MP_LINK_DROP_FILTER,    /* a filtering middlebox: drop-join */
    MP_LINK_DROP_NAT,       /* nat44: inbound without mapping, no port left, fragment */
    MP_LINK_DROP__COUNT
};

/* A short stable name for |reason| ("queue", "aqm", "loss", ...), used in
 * traces and results. */
const char *mp_link_drop_name(enum mp_link_drop reason);

#define MP_QDISC_ERROR (mp_qdisc_error_quark())
GQuark mp_qdisc_error_quark(void);

enum mp_qdisc_error {
    MP_QDISC_ERROR_UNKNOWN, /* no discipline of that name */
    MP_QDISC_ERROR_PARAM,   /* a parameter is unknown or malformed */
};

struct mp_qdisc;

/* How a late-decision qdisc gives back a packet it drops on its own (head
 * drop, CoDel at dequeue): the link counts, traces and frees it. */
typedef void (*mp_qdisc_drop_fn)(void *ctx, struct mp_pkt *pkt, enum mp_link_drop reason,
                                 mp_time_t now);

struct mp_qdisc_ops {
    const char *name;
    /* Bytes of private state placed after struct mp_qdisc (zeroed). */
    size_t priv_size;

    /* Reads |params|, a string of space- or comma-separated key=value
     * pairs (NULL or "" for the defaults), into the private state.
     * Returns false and sets |error| (MP_QDISC_ERROR_PARAM, naming the key)
     * when a key is unknown or a value malformed. */
    bool (*init)(struct mp_qdisc *q, const char *params, GError **error);
    /* Releases private resources; the link has purged the packets. May be
     * NULL. */
    void (*destroy)(struct mp_qdisc *q);

    /* Early decision. Returns true to accept a packet of |len| bytes given
     * the current backlog (packets and bytes accepted and not yet on the
     * wire, the new packet excluded). A refused packet is dropped as
     * MP_LINK_DROP_QUEUE. */
    bool (*admit)(struct mp_qdisc *q, uint32_t len, uint32_t backlog_pkts, uint64_t backlog_bytes,
                  mp_time_t now);

    /* Late decision. Takes |pkt| (pkt->ts holds the time it entered the
     * queue). Returns MP_LINK_DROP__COUNT when the qdisc keeps the packet,
     * otherwise the reason the link should drop it (the link frees it). */
    enum mp_link_drop (*enqueue)(struct mp_qdisc *q, struct mp_pkt *pkt, mp_time_t now);
    /* The next packet to transmit, or NULL when empty. */
    struct mp_pkt *(*dequeue)(struct mp_qdisc *q, mp_time_t now);
    /* Hands every held packet to the drop callback (link down). */
    void (*purge)(struct mp_qdisc *q, enum mp_link_drop reason, mp_time_t now);
};

struct mp_qdisc {
    const struct mp_qdisc_ops *ops;
    mp_qdisc_drop_fn drop; /* set by the link */
    void *drop_ctx;
    /* Late-decision qdiscs keep these up to date (packets held). */
    uint32_t backlog_pkts;
    uint64_t backlog_bytes;
    /* Private state of the discipline follows, max-aligned. */
    max_align_t priv[];
};

/* The discipline registered as |name|, or NULL. The table is constant; new
 * disciplines are added to it in qdisc.c. */
const struct mp_qdisc_ops *mp_qdisc_lookup(const char *name);

/* Creates a discipline by name with |params| (see init above); |name| NULL
 * means "droptail". Returns NULL and sets |error| (MP_QDISC_ERROR_UNKNOWN or
 * MP_QDISC_ERROR_PARAM). */
struct mp_qdisc *mp_qdisc_new(const char *name, const char *params, GError **error);
/* Frees |q| (NULL is fine). Held packets must have been purged. */
void mp_qdisc_free(struct mp_qdisc *q);

/* Helpers for disciplines. */

static inline void *mp_qdisc_priv(struct mp_qdisc *q)
{
    return q->priv;
}

static inline void mp_qdisc_drop(struct mp_qdisc *q, struct mp_pkt *pkt, enum mp_link_drop reason,
                                 mp_time_t now)
{
    q->drop(q->drop_ctx, pkt, reason, now);
}

/* Calls |fn| for each key=value pair of |params| (separators: space, tab,
 * comma). A pair without '=' gets value "". Stops at the first false return
 * of |fn| and returns false (|fn| set |error|). */
bool mp_qdisc_params_foreach(const char *params,
                             bool (*fn)(void *ctx, const char *key, const char *val,
                                        GError **error),
                             void *ctx, GError **error);

/* Parses an unsigned decimal number, optionally followed by a unit suffix
 * from |units| (a NULL-terminated list of {suffix, multiplier}); returns
 * false on anything else or on overflow. */
struct mp_qdisc_unit {
    const char *suffix;
    uint64_t mult;
};
bool mp_qdisc_parse_u64(const char *s, const struct mp_qdisc_unit *units, uint64_t *out);

#endif
