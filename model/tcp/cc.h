/*
 * afmp: TCP congestion control as ops tables (issue 6).
 *
 * An algorithm is a constant ops table registered by name ("reno",
 * "cubic"; later "lia", "olia", "balia") and chosen per host. Each
 * connection (or MPTCP subflow) carries one struct mp_cc_state: the shared
 * fields every algorithm reads and writes (cwnd, ssthresh, ...) and a
 * fixed-size private area for the algorithm's own state, like Linux's
 * icsk_ca_priv. The callbacks follow Linux's tcp_congestion_ops so that the
 * state machine can call them at the same points Linux does.
 *
 * Units. cwnd and ssthresh count segments (packets), as Linux does, and the
 * MSS converts them to bytes (mp_cc_cwnd_bytes()). Linux's growth rules are
 * per segment (slow start adds one segment per segment acknowledged,
 * congestion avoidance one segment per cwnd segments acknowledged with a
 * counter), and counting segments makes them exact without byte rounding.
 * The caller counts "segments acknowledged" as Linux counts packets: one per
 * transmitted segment, whatever its length.
 *
 * Arithmetic. Integers only: the window reaches the wire and the traces,
 * and the same seed must give the same bytes on every machine. Time is
 * mp_time_t nanoseconds, passed in as |now| (the last argument, as in
 * ngtcp2); nothing here reads a clock.
 *
 * Coupled congestion control (MPTCP, RFC 6356 and successors) needs to see
 * the other subflows of the connection: st->group points to an object the
 * MPTCP layer owns and the coupled algorithm interprets; uncoupled
 * algorithms ignore it (it may be NULL).
 */
#ifndef MP_TCP_CC_H
#define MP_TCP_CC_H

#include "model/types.h"

struct mp_trace_rec;
struct mp_cc_group; /* owned by MPTCP; opaque to TCP and uncoupled algorithms */

/* RFC 6928 2: the initial window is min(10 * MSS, max(2 * MSS, 14600));
 * Linux (TCP_INIT_CWND) uses 10 segments whatever the MSS. */
#define MP_CC_INIT_CWND 10u
/* RFC 5681 3.1: the initial ssthresh is "arbitrarily high"; Linux's value. */
#define MP_CC_INFINITE_SSTHRESH 0x7fffffffu
/* Room for the algorithm's per-connection state (Linux's is 104 bytes). */
#define MP_CC_PRIV_SIZE 128u
/* RFC 5681 3.1: loss window after a retransmission timeout, in segments. */
#define MP_CC_LOSS_WINDOW 1u

/* Linux's congestion-avoidance states (tcp_ca_state). */
enum mp_cc_ca_state {
    MP_CC_OPEN = 0,     /* nothing wrong */
    MP_CC_DISORDER = 1, /* duplicate ACKs or SACKs seen, no loss decided yet */
    MP_CC_CWR = 2,      /* reducing the window on an ECN echo (or local congestion) */
    MP_CC_RECOVERY = 3, /* fast recovery after a loss (PRR sets cwnd per ACK) */
    MP_CC_LOSS = 4,     /* after a retransmission timeout */
};

/* Events for cwnd_event (Linux's tcp_ca_event). */
enum mp_cc_event {
    MP_CC_EV_TX_START,     /* data is sent while nothing was in flight; signal it
                            * before updating st->last_send */
    MP_CC_EV_CWND_RESTART, /* cwnd restarted after an idle period (RFC 5681 4.1) */
    MP_CC_EV_COMPLETE_CWR, /* a window reduction (CWR or recovery) ended */
    MP_CC_EV_LOSS,         /* a retransmission timeout reduced ssthresh */
    MP_CC_EV_ECN_NO_CE,    /* ECN, for later algorithms */
    MP_CC_EV_ECN_IS_CE,
};

/* What one incoming ACK tells the algorithm. */
struct mp_cc_ack {
    uint32_t acked;     /* segments newly delivered (cumulatively or by SACK) */
    uint32_t in_flight; /* segments in flight before this ACK (Linux prior_in_flight) */
    uint32_t snd_una;   /* after this ACK (sequence numbers, for round tracking) */
    uint32_t snd_nxt;
    int64_t rtt; /* RTT sample of this ACK in ns; negative: no sample */
    /* The sender was limited by cwnd, not by the application or the
     * receive window: the window may grow only then (RFC 7661 and Linux's
     * tcp_is_cwnd_limited(): in slow start, cwnd < 2 * max packets out in
     * the last window; otherwise, the last flight filled cwnd). */
    bool cwnd_limited;
    /* Rate-sample flag (the flight was app-limited); reno and cubic do not
     * use it, rate-based algorithms will. */
    bool app_limited;
};

/* Algorithm state for trace records: a few named integers. */
#define MP_CC_INFO_MAX 12
struct mp_cc_info {
    size_t n;
    struct {
        const char *key; /* static string */
        uint64_t val;
    } f[MP_CC_INFO_MAX];
};

/* Appends one field (ignored when the info is full). */
static inline void mp_cc_info_add(struct mp_cc_info *out, const char *key, uint64_t val)
{
    if (out->n < MP_CC_INFO_MAX) {
        out->f[out->n].key = key;
        out->f[out->n].val = val;
        out->n++;
    }
}

struct mp_cc_ops;

struct mp_cc_state {
    const struct mp_cc_ops *ops;
    struct mp_cc_group *group; /* coupled algorithms only; may be NULL */
    uint32_t cwnd;             /* segments */
    uint32_t cwnd_cnt;         /* congestion-avoidance credit (Linux snd_cwnd_cnt) */
    uint32_t ssthresh;         /* segments; MP_CC_INFINITE_SSTHRESH at first */
    uint32_t cwnd_clamp;       /* upper bound on cwnd */
    uint32_t prior_cwnd;       /* cwnd when the last reduction began (undo, PRR) */
    uint32_t prior_ssthresh;   /* ssthresh to restore on undo; 0: nothing to undo */
    uint32_t mss;              /* bytes per segment */
    uint32_t in_flight;        /* segments in flight, as last passed in */
    mp_time_t last_send;       /* caller's: time of the last data sent (Linux lsndtime) */
    enum mp_cc_ca_state ca_state;
    bool paced; /* sender paces its segments (HyStart++ L, RFC 9406 4.3) */
    _Alignas(8) unsigned char priv[MP_CC_PRIV_SIZE];
};

/*
 * The ops table. |init|, |ssthresh|, |cong_avoid| and |undo_cwnd| are
 * required; the rest may be NULL. Callbacks receive the state; algorithms
 * keep their own data in st->priv (mp_cc_priv()).
 */
struct mp_cc_ops {
    const char *name;
    /* Sets up st->priv (zeroed before the call); may set ssthresh. */
    void (*init)(struct mp_cc_state *st, mp_time_t now);
    /* Frees what init took (nothing for reno and cubic). */
    void (*release)(struct mp_cc_state *st);
    /* Returns the slow-start threshold after a loss, in segments (>= 2). */
    uint32_t (*ssthresh)(struct mp_cc_state *st, mp_time_t now);
    /* Grows cwnd on an ACK outside CWR and recovery (ack->acked > 0). */
    void (*cong_avoid)(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now);
    /* Called before st->ca_state changes to |new_state|. */
    void (*set_state)(struct mp_cc_state *st, enum mp_cc_ca_state new_state, mp_time_t now);
    void (*cwnd_event)(struct mp_cc_state *st, enum mp_cc_event ev, mp_time_t now);
    /* Returns the cwnd to restore when a reduction proves spurious. */
    uint32_t (*undo_cwnd)(struct mp_cc_state *st);
    /* Sees every ACK that delivered data (RTT samples), in every state. */
    void (*pkts_acked)(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now);
    /* Fills |out| with the algorithm's state for traces (after out->n = 0). */
    void (*get_info)(const struct mp_cc_state *st, struct mp_cc_info *out);
};

/* The built-in algorithms. */
extern const struct mp_cc_ops mp_cc_reno_ops;
extern const struct mp_cc_ops mp_cc_cubic_ops;

static inline void *mp_cc_priv(struct mp_cc_state *st)
{
    return st->priv;
}

static inline const void *mp_cc_priv_const(const struct mp_cc_state *st)
{
    return st->priv;
}

/* RFC 5681 3.1: slow start while cwnd < ssthresh. */
static inline bool mp_cc_in_slow_start(const struct mp_cc_state *st)
{
    return st->cwnd < st->ssthresh;
}

static inline uint64_t mp_cc_cwnd_bytes(const struct mp_cc_state *st)
{
    return (uint64_t)st->cwnd * st->mss;
}

/* ---- registry ---- */

/*
 * mp_cc_lookup returns the algorithm named |name| (exact, case-sensitive),
 * or NULL if there is none or |name| is NULL. The tables are constant and
 * shared by every simulation in the process.
 */
const struct mp_cc_ops *mp_cc_lookup(const char *name);

/* mp_cc_names returns the names of the built-in algorithms in a stable
 * (alphabetical) order, NULL-terminated. */
const char *const *mp_cc_names(void);

/* ---- life cycle ---- */

/*
 * mp_cc_init sets |st| up for algorithm |ops|: cwnd = MP_CC_INIT_CWND,
 * ssthresh = MP_CC_INFINITE_SSTHRESH, state Open, then calls ops->init.
 * |mss| is the sender MSS in bytes; |group| is for coupled algorithms (may
 * be NULL).
 *
 * Returns 0, or
 *   -EINVAL  |ops| is NULL or lacks a required callback, or |mss| is 0.
 */
int mp_cc_init(struct mp_cc_state *st, const struct mp_cc_ops *ops, uint32_t mss,
               struct mp_cc_group *group, mp_time_t now);

/*
 * mp_cc_init_by_name is mp_cc_init with the algorithm looked up by name.
 *
 * Returns 0, or
 *   -ENOENT  no algorithm has that name;
 *   -EINVAL  as mp_cc_init.
 */
int mp_cc_init_by_name(struct mp_cc_state *st, const char *name, uint32_t mss,
                       struct mp_cc_group *group, mp_time_t now);

/* mp_cc_release calls ops->release; |st| must be initialised again before
 * any other use. */
void mp_cc_release(struct mp_cc_state *st);

/* ---- events from the TCP state machine ---- */

/*
 * mp_cc_on_ack processes one ACK that delivered data: records
 * ack->in_flight, lets the algorithm see the RTT sample (pkts_acked), and,
 * unless the connection is in CWR or recovery (where PRR sets cwnd) or
 * nothing was acked, lets it grow cwnd (cong_avoid). Growth is the
 * algorithm's: reno and cubic grow only when ack->cwnd_limited.
 */
void mp_cc_on_ack(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now);

/*
 * mp_cc_enter_recovery starts a window reduction: |state| is MP_CC_RECOVERY
 * (a loss) or MP_CC_CWR (an ECN echo). |in_flight| is the FlightSize in
 * segments (RFC 5681: sent and not cumulatively acknowledged). Saves
 * prior_cwnd and, for undo, prior_ssthresh (Linux: the larger of ssthresh
 * and 3/4 cwnd), then sets ssthresh from the algorithm. cwnd itself is left
 * to PRR (prr.h), which the caller runs from here on with RecoverFS =
 * st->prior_cwnd (as Linux does) and ssthresh = st->ssthresh, setting
 * st->cwnd = pipe + sndcnt on each ACK. Nothing happens if a reduction is
 * already under way.
 */
void mp_cc_enter_recovery(struct mp_cc_state *st, enum mp_cc_ca_state state, uint32_t in_flight,
                          mp_time_t now);

/*
 * mp_cc_exit_recovery ends a reduction: RFC 6937 3, "on exit, cwnd =
 * ssthresh"; signals MP_CC_EV_COMPLETE_CWR and returns to Open.
 */
void mp_cc_exit_recovery(struct mp_cc_state *st, mp_time_t now);

/*
 * mp_cc_on_rto handles a retransmission timeout. |in_flight| is the
 * FlightSize when the timer fired (RFC 5681 3.1, eq. 4). A new congestion
 * event (the connection was Open or in Disorder, or |new_episode|: Linux's
 * test that the previous recovery's high_seq has been acknowledged) saves
 * prior_cwnd/prior_ssthresh, takes ssthresh from the algorithm and signals
 * MP_CC_EV_LOSS; repeated timeouts of the same episode do not reduce
 * ssthresh again. Then cwnd = MP_CC_LOSS_WINDOW (RFC 5681 3.1), the
 * credit is cleared and the state becomes Loss. Linux sets packets in
 * flight + 1 after marking what is lost: the caller raises cwnd to that
 * when segments it did not mark are still in flight.
 */
void mp_cc_on_rto(struct mp_cc_state *st, uint32_t in_flight, bool new_episode, mp_time_t now);

/*
 * mp_cc_undo reverts the last reduction after it proved spurious (DSACK,
 * timestamps, F-RTO): cwnd from the algorithm's undo_cwnd, ssthresh back to
 * prior_ssthresh if that is larger. Returns false (and changes nothing) if
 * there is nothing to undo. The caller sets the state it returns to.
 */
bool mp_cc_undo(struct mp_cc_state *st, mp_time_t now);

/* mp_cc_set_state tells the algorithm (set_state) and records the state. */
void mp_cc_set_state(struct mp_cc_state *st, enum mp_cc_ca_state state, mp_time_t now);

/* mp_cc_event passes |ev| to the algorithm's cwnd_event, if any. */
void mp_cc_event(struct mp_cc_state *st, enum mp_cc_event ev, mp_time_t now);

/* ---- helpers for algorithms (Linux's tcp_slow_start, tcp_cong_avoid_ai) ---- */

/*
 * mp_cc_slow_start grows cwnd by |acked| segments (RFC 5681 3.1 with
 * appropriate byte counting, RFC 3465, counted in segments), not beyond
 * ssthresh or the clamp. Returns the segments left over once cwnd reached
 * ssthresh, for congestion avoidance.
 */
uint32_t mp_cc_slow_start(struct mp_cc_state *st, uint32_t acked);

/*
 * mp_cc_cong_avoid_ai grows cwnd by one segment per |w| segments
 * acknowledged, carrying the remainder in st->cwnd_cnt (RFC 5681 3.1's
 * "cwnd += SMSS*SMSS/cwnd" without the rounding: Reno passes w = cwnd). A
 * credit already >= w (built at a larger w) is spent as one segment first.
 */
void mp_cc_cong_avoid_ai(struct mp_cc_state *st, uint32_t w, uint32_t acked);

/* ---- traces ---- */

/* mp_cc_get_info fills |out| with the algorithm's fields (out->n may be 0). */
void mp_cc_get_info(const struct mp_cc_state *st, struct mp_cc_info *out);

/*
 * mp_cc_trace_fields appends the congestion state to a trace record:
 * "cc" (name), "ca" (state name), "cwnd", "ssthresh", "mss", "inflight" and
 * the algorithm's fields. The caller begins and ends the record.
 */
void mp_cc_trace_fields(const struct mp_cc_state *st, struct mp_trace_rec *r);

/* mp_cc_state_name returns "open", "disorder", "cwr", "recovery" or "loss". */
const char *mp_cc_state_name(enum mp_cc_ca_state s);

/* ---- cubic arithmetic (RFC 9438), exposed for tests and traces ---- */

/* Cubic's time unit: 2^-10 s, as Linux's BICTCP_HZ. */
#define MP_CC_CUBIC_HZ_SHIFT 10

/* mp_cc_cubic_root returns floor(cbrt(x)) exactly, for every 64-bit x. */
uint32_t mp_cc_cubic_root(uint64_t x);

/*
 * mp_cc_cubic_k returns K (RFC 9438 4.2, eq. 2) in units of 2^-10 s for a
 * window that must grow from |cwnd| back to |w_max| segments:
 * K = cbrt((w_max - cwnd) / C) with C = 0.4, rounded down. 0 if cwnd >= w_max.
 */
uint32_t mp_cc_cubic_k(uint32_t w_max, uint32_t cwnd);

/*
 * mp_cc_cubic_w returns W_cubic(t) = C * (t - K)^3 + origin in segments
 * (RFC 9438 4.2, eq. 1) for |t| ns after the epoch began and |k| from
 * mp_cc_cubic_k. t is taken in 2^-10 s units (rounded down); the cubic term
 * is rounded down, so below K the result is rounded towards |origin| as in
 * Linux. |t - K| is capped at 2^20 units (17 minutes) to stay in 64 bits.
 */
uint32_t mp_cc_cubic_w(uint32_t origin, uint32_t k, mp_time_t t);

#endif
