/*
 * afmp: point-to-point links of the embedded engine.
 *
 * A link is a full-duplex wire between two ends, 0 and 1. Each end has a
 * port (struct mp_port) through which a host or router interface receives
 * packets and carrier changes; the node transmits with mp_link_send(). Each
 * direction (named after its sending end) has its own rate, propagation
 * delay, queue discipline, fault decorators and counters.
 *
 * Timing, exact to the nanosecond with integer arithmetic:
 *   tx(len)  = ceil(len * 8 * 10^9 / rate) ns   (0 when rate is 0: infinite)
 *   start    = max(time the packet enters the queue, time the wire is free)
 *   arrival  = start + tx(len) + delay
 * Rounding up means a packet never arrives earlier than the bits could have,
 * and back-to-back packets serialise exactly: the next one starts when the
 * previous one's rounded transmission ends. A link never reorders: after a
 * delay decrease, a packet arrives no earlier than the one sent before it
 * (arrival is clamped to the previous arrival). Reordering is a fault.
 *
 * Trace-driven direction (conf trace set, instead of a rate): packets leave
 * only at the trace's delivery opportunities (dtrace.h), each carrying
 * MP_DTRACE_BYTES bytes, accounted by bytes as Mahimahi's mm-link does: a
 * packet starts at the first opportunity at or after it reaches the head of
 * the queue that has bytes left (what an earlier packet left of an
 * opportunity is usable only by a packet already queued at its instant;
 * otherwise it is wasted), takes bytes of as many opportunities as it needs,
 * and its transmission ends at the last one. Then
 *   arrival  = the end's opportunity time + delay
 * Trace time 0 is engine time 0; the trace loops on its period. Only the
 * early path (drop-tail) can be trace-driven; rate changes are ignored.
 *
 * Queue occupancy is what waits in the queue discipline: packets accepted
 * whose transmission has not yet started. The packet on the wire does not
 * count, as with Linux's pfifo/bfifo and txqueuelen. With an early-decision
 * discipline (drop-tail, see qdisc.h), a packet's start and arrival are
 * computed when it is accepted and its arrival is the only engine event it
 * costs on this hop; nothing is allocated per packet. As arrivals are in
 * order, only the first packet's arrival is in the engine's queue at a time:
 * each packet reserves its place in the tie order when it is accepted, and
 * its arrival is scheduled in that place when the packet before it arrives
 * (mp_engine_at_seq), so events run exactly as if each had been scheduled
 * on acceptance while the pending set stays small.
 *
 * Order of processing on mp_link_send() (fixed, whatever the attach order):
 *   1. link state: a link that is down drops the packet (MP_LINK_DROP_DOWN);
 *   2. fault decorators of the direction, by stage (fault.h): middleboxes
 *      (middlebox.h), loss, corruption, duplication, reordering;
 *   3. the queue discipline, then the wire.
 * Faults sit before the queue, as in netem: a lost packet does not occupy
 * the queue or the wire.
 *
 * Run-time changes (mp_link_set_*, or scheduled with mp_link_change_at()):
 * - rate and delay apply to packets that start transmission after the
 *   change. Packets already given times keep them: on the early path that is
 *   every accepted packet (queued ones included), on the late path the
 *   packet on the wire and those propagating.
 * - down drops everything queued, on the wire, propagating, and held by
 *   faults (counted as MP_LINK_DROP_DOWN) and calls both ports' carrier
 *   callbacks; packets sent while down are dropped the same way. Up calls the
 *   carrier callbacks again; the wire starts idle.
 *
 * Random streams are derived from (seed, "link/<name>/<end>/<fault kind>"),
 * one per fault per direction, so they depend on the link's name only.
 *
 * Trace records (category MP_TRACE_LINK, "node" is the link name), written
 * only when the constructor was given a writer and the mask has the bit:
 *   link.drop  {dir, reason, pkt, len}
 *   link.down  {purged}          link.up {}
 *   link.rate  {dir, bps}        link.delay {dir, ns}
 *   link.fault {dir, kind, p32}
 *   link.mbox  {dir, kind, action, [pkt], [detail]}   (middlebox.h)
 */
#ifndef MP_SIM_NET_LINK_H
#define MP_SIM_NET_LINK_H

#include <glib.h>

#include "model/pkt.h"
#include "model/types.h"
#include "sim/engine.h"
#include "sim/net/dtrace.h"
#include "sim/net/qdisc.h"

/* Where a node meets a link. The node fills this in and keeps it alive while
 * attached. */
struct mp_port {
    /* A packet arrives; the callee owns it. */
    void (*deliver)(struct mp_port *port, struct mp_pkt *pkt, mp_time_t now);
    /* Carrier change (link up or down). May be NULL. */
    void (*carrier)(struct mp_port *port, bool up, mp_time_t now);
    void *owner;
};

struct mp_link_stats {
    uint64_t sent_pkts, sent_bytes;           /* offered with mp_link_send() */
    uint64_t delivered_pkts, delivered_bytes; /* handed to the far port */
    uint64_t dropped[MP_LINK_DROP__COUNT];    /* by reason */
    uint64_t corrupted;                       /* damaged and passed on (a bit flipped) */
    uint64_t duplicated;                      /* extra copies made */
    uint64_t reordered;                       /* held back by a reordering fault */
    uint64_t stripped;                        /* MPTCP options replaced by NOPs (middlebox) */
    uint64_t rewritten;                       /* payload changed, checksum fixed (middlebox) */
    uint64_t translated;                      /* addresses and ports rewritten by a NAT */
};

/* Receives one finished trace record (JSON object, no newline); the same
 * shape as mp_env_ops.trace_write, so a world can pass its sink. */
typedef void (*mp_link_trace_fn)(void *ctx, const char *line, size_t len);

struct mp_link_dir_conf {
    uint64_t rate_bps;        /* bit/s; 0: infinite */
    uint32_t overhead;        /* bytes of link framing added to each packet's transmission time */
    mp_time_t delay;          /* propagation delay, ns */
    const char *qdisc;        /* NULL: "droptail" */
    const char *qdisc_params; /* NULL: the discipline's defaults */
    bool late;                /* use dequeue-time decisions even when the
                                 discipline can decide early (tests) */
    struct mp_dtrace *trace;  /* NULL: rate-driven; else delivery opportunities
                                 (rate_bps ignored); the link takes a reference */
};

struct mp_link_conf {
    const char *name;               /* stable; names the random streams and trace node */
    uint64_t seed;                  /* simulation seed */
    struct mp_link_dir_conf dir[2]; /* dir[e]: packets sent by end e */
    mp_link_trace_fn trace_write;   /* NULL: no traces */
    void *trace_ctx;
    uint32_t trace_mask; /* enum mp_trace_cat bits; MP_TRACE_LINK enables */
};

struct mp_fault;
struct mp_link;

/* One packet accepted by a direction and not yet arrived. */
struct mp_link_slot {
    struct mp_pkt *pkt;
    uint64_t seq;    /* its arrival's place in the engine's tie order */
    mp_time_t start; /* when its transmission starts */
    mp_time_t arrival;
    uint32_t len; /* the packet's, so that moving |wait| reads no packet */
};

/* One direction of a link. Read-only outside link.c and fault.c; use the
 * accessors below. */
struct mp_link_dir {
    struct mp_link *link;
    int end; /* the sending end */
    uint64_t rate_bps;
    uint64_t rate_inv; /* floor((2^64 - 1) / rate_bps); 0 for infinite */
    uint32_t overhead; /* framing bytes on the wire per packet (not in pkt->len) */
    mp_time_t delay;
    struct mp_qdisc *qdisc;
    bool early;              /* early-decision path (admit) */
    struct mp_fault *faults; /* first decorator; NULL: none */
    mp_time_t busy_until;    /* the wire is free from then on */
    struct mp_dtrace *trace; /* NULL: rate-driven */
    uint64_t opp;            /* trace: the next opportunity with bytes left */
    uint32_t opp_left;       /* trace: its bytes left */
    mp_time_t last_arrival;
    /* Accepted packets not yet arrived, in order, in a ring indexed by
     * ever-growing sequence numbers: [head, wait) started transmission,
     * [wait, tail) wait in the queue (early path only; the late path's
     * queue is inside the qdisc). */
    struct mp_link_slot *ring;
    uint64_t mask;
    uint64_t head, wait, tail;
    uint64_t wait_bytes;
    struct mp_event *tx_ev;  /* late path: end of the current transmission */
    struct mp_event *arr_ev; /* the head packet's arrival (NULL: ring empty) */
    struct mp_link_stats st;
};

/* Creates a link on |eng|. Returns NULL and sets |error| (MP_QDISC_ERROR)
 * when a direction's queue discipline is unknown or badly configured, or is
 * not drop-tail on a trace-driven direction (MP_QDISC_ERROR_PARAM). The
 * link starts up, with no ports attached. */
struct mp_link *mp_link_new(struct mp_engine *eng, const struct mp_link_conf *conf, GError **error);
/* Frees the link, its queued packets (uncounted), its faults and its pending
 * events. NULL is fine. Ports are not called. */
void mp_link_free(struct mp_link *l);

const char *mp_link_name(const struct mp_link *l);

/* Attaches |port| at end |end| (0 or 1), replacing any previous one; NULL
 * detaches (packets then arriving there are dropped as
 * MP_LINK_DROP_NOPORT). */
void mp_link_attach(struct mp_link *l, int end, struct mp_port *port);

/* Transmits |pkt| from end |end| towards the other end at the engine's
 * current time. The link owns the packet from here (it is delivered or
 * dropped and freed). */
void mp_link_send(struct mp_link *l, int end, struct mp_pkt *pkt);

/* Run-time changes, effective at the engine's current time (see the header
 * comment for what happens to packets already accepted). |end| is the
 * sending end of the direction, or MP_LINK_BOTH. */
#define MP_LINK_BOTH (-1)
void mp_link_set_up(struct mp_link *l, bool up);
bool mp_link_is_up(const struct mp_link *l);
/* A trace-driven direction keeps its trace: the rate is not used. */
void mp_link_set_rate(struct mp_link *l, int end, uint64_t rate_bps);
void mp_link_set_delay(struct mp_link *l, int end, mp_time_t delay);

/* A change to apply later. */
enum mp_link_change_kind {
    MP_LINK_CHANGE_UP,
    MP_LINK_CHANGE_DOWN,
    MP_LINK_CHANGE_RATE,       /* value: bit/s */
    MP_LINK_CHANGE_DELAY,      /* value: ns */
    MP_LINK_CHANGE_FAULT_PROB, /* value: 32-bit fraction, applied to |fault| */
};

struct mp_link_change {
    enum mp_link_change_kind kind;
    int end; /* RATE, DELAY: sending end or MP_LINK_BOTH */
    uint64_t value;
    struct mp_fault *fault; /* FAULT_PROB: a fault attached to this link */
};

/* Applies |c| (copied) at |when| (clamped to now). Pending changes are
 * dropped with the link. */
void mp_link_change_at(struct mp_link *l, mp_time_t when, const struct mp_link_change *c);

/* Wraps direction |end| in fault decorator |f| (see fault.h); the link owns
 * it from here. Decorators run in stage order; equal stages in attach
 * order. |f| gets its random stream here. */
void mp_link_add_fault(struct mp_link *l, int end, struct mp_fault *f);
/* Detaches and frees every decorator of stage |stage| on direction |end|
 * (to replace them at run time). Packets they hold are freed uncounted, so
 * this is meant for stages that hold none (middleboxes). A decorator added
 * later of the same kind gets the random stream its predecessor started
 * with. */
void mp_link_remove_stage(struct mp_link *l, int end, unsigned stage);

const struct mp_link_stats *mp_link_stats(const struct mp_link *l, int end);
/* Packets and bytes waiting in the queue now (not yet transmitting). */
void mp_link_backlog(struct mp_link *l, int end, uint32_t *pkts, uint64_t *bytes);
/* Packets accepted by the queue and not yet arrived (queued, on the wire,
 * propagating). */
uint64_t mp_link_in_flight(const struct mp_link *l, int end);

/* Transmission time of |len| bytes at |rate_bps| (0: infinite), rounded up
 * to the nanosecond. */
mp_time_t mp_link_tx_time(uint32_t len, uint64_t rate_bps);

/*
 * A link whose wire is elsewhere (the ns-3 engine, sim/ns3/): mp_link_send()
 * counts the packet and drops it while the link is down, as always; the
 * direction's faults and middleboxes see it as they would here; then, where
 * this link's queue would take it, it goes to |send|. The other engine
 * calls mp_link_ext_deliver() when it arrives, which drops it if the link
 * went down meanwhile and passes it to the far port. mp_link_set_rate() and
 * mp_link_set_delay() pass the change on through |set_rate| and |set_delay|
 * (either may be NULL). Traces of delivery opportunities are this link's
 * own machinery and do not apply: mp_link_ext_check() says whether a link
 * uses one.
 */
struct mp_link_ext_ops {
    void (*send)(void *arg, int end, struct mp_pkt *pkt);
    void (*set_rate)(void *arg, int end, uint64_t rate_bps);
    void (*set_delay)(void *arg, int end, mp_time_t delay);
};
void mp_link_set_ext(struct mp_link *l, const struct mp_link_ext_ops *ops, void *arg);
void mp_link_ext_deliver(struct mp_link *l, int end, struct mp_pkt *pkt);
/* The other engine dropped |pkt| sent by end |end| (its queue had no room,
 * no neighbour answered): counted and freed as this link's drops are. */
void mp_link_ext_drop(struct mp_link *l, int end, struct mp_pkt *pkt, enum mp_link_drop reason);
/* NULL when |l| can be carried elsewhere, else what it uses that cannot. */
const char *mp_link_ext_check(const struct mp_link *l);

/* For fault decorators (fault.c). */

struct mp_engine *mp_link_engine(const struct mp_link *l);
/* Hands |pkt| to the direction's queue discipline (the stage after the
 * last fault). */
void mp_link_dir_enqueue(struct mp_link_dir *d, struct mp_pkt *pkt, mp_time_t now);
/* Counts, traces and frees a dropped packet. */
void mp_link_dir_drop(struct mp_link_dir *d, struct mp_pkt *pkt, enum mp_link_drop reason,
                      mp_time_t now);
/* Writes a link.fault record when tracing is on. */
void mp_link_trace_fault(struct mp_link_dir *d, const char *kind, uint32_t p32, mp_time_t now);
/* Writes a link.mbox record for direction |end| when tracing is on; |pkt|
 * and |detail| may be NULL (left out). */
void mp_link_trace_mbox(struct mp_link *l, int end, const char *kind, const char *action,
                        const struct mp_pkt *pkt, const char *detail, mp_time_t now);
/* Whether trace records are written (to skip building a detail string). */
bool mp_link_tracing(const struct mp_link *l);

#endif
