/*
 * afmp: Proportional Rate Reduction (RFC 6937), the arithmetic only.
 *
 * During fast recovery PRR decides how much may be sent on each ACK so that
 * the amount in flight falls smoothly from RecoverFS to ssthresh over one
 * round trip (while pipe > ssthresh: in proportion to the data delivered),
 * and then rises back towards ssthresh no faster than a reduction bound
 * allows (while pipe <= ssthresh). The TCP state machine owns the
 * scoreboard; it passes in what the ACK delivered and the pipe, and sets
 * cwnd = pipe + sndcnt (RFC 6937 3).
 *
 * Units are the caller's, consistently: bytes with |smss| the sender MSS as
 * in the RFC, or segments with smss = 1 as Linux and afmp's TCP count.
 * Pure functions on a small struct: no time, no allocation.
 */
#ifndef MP_TCP_PRR_H
#define MP_TCP_PRR_H

#include "model/types.h"

/* The reduction bound used once pipe <= ssthresh (RFC 6937 3). */
enum mp_prr_bound {
    /* PRR-SSRB, the slow-start reduction bound: up to one extra SMSS per
     * ACK beyond what was delivered (the RFC's recommendation). */
    MP_PRR_SSRB,
    /* PRR-CRB, the conservative bound: never send more than delivered. */
    MP_PRR_CRB,
    /* Linux's tcp_cwnd_reduction() (and RFC 9937): the larger of the banked
     * credit and DeliveredData, plus one SMSS only on a "safe" ACK, one
     * that advanced SND.UNA and revealed no new loss. */
    MP_PRR_SAFE_ACK,
};

/* Which sub-expression decided the last sndcnt (RFC 6937's "RB" row);
 * several may apply at once. */
enum mp_prr_rb {
    MP_PRR_RB_PROP = 1u << 0,   /* proportional part (pipe > ssthresh) */
    MP_PRR_RB_S = 1u << 1,      /* s: ssthresh - pipe */
    MP_PRR_RB_B = 1u << 2,      /* b: prr_delivered - prr_out (+ SMSS) */
    MP_PRR_RB_D = 1u << 3,      /* d: DeliveredData (+ SMSS) */
    MP_PRR_RB_FORCED = 1u << 4, /* raised to one SMSS for the fast retransmit */
};

struct mp_prr {
    uint64_t prr_delivered; /* delivered to the receiver during recovery */
    uint64_t prr_out;       /* sent during recovery */
    uint64_t recover_fs;    /* RecoverFS: flight at the start of recovery */
    uint64_t ssthresh;      /* target of the reduction */
    uint32_t smss;
    enum mp_prr_bound bound;
    uint32_t last_rb; /* enum mp_prr_rb bits of the last mp_prr_on_ack() */
};

/*
 * mp_prr_init enters recovery (RFC 6937 3, "on entering recovery"):
 * prr_delivered = prr_out = 0, RecoverFS = |recover_fs|, the target
 * |ssthresh| from the congestion control. The RFC takes RecoverFS =
 * snd.nxt - snd.una; Linux takes the cwnd at entry (which excludes data
 * sent by Limited Transmit). A zero |recover_fs| is taken as one SMSS so
 * the division is defined; a zero |smss| as 1.
 */
void mp_prr_init(struct mp_prr *p, uint64_t recover_fs, uint64_t ssthresh, uint32_t smss,
                 enum mp_prr_bound bound);

/*
 * mp_prr_on_ack accounts for one ACK during recovery and returns sndcnt,
 * how much may be sent now (RFC 6937 3, "on every ACK during recovery"):
 *   pipe > ssthresh:  sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS)
 *                              - prr_out
 *   else:             sndcnt = MIN(ssthresh - pipe, limit), limit from the
 *                              reduction bound.
 * Never negative. While nothing has been sent in recovery, sndcnt is at
 * least one SMSS so the fast retransmit goes out (Linux, RFC 9937).
 * |delivered| is DeliveredData (change in snd.una plus change in SACKed
 * data), |pipe| the RFC 6675 pipe after the ACK, |safe_ack| only matters
 * for MP_PRR_SAFE_ACK. p->last_rb tells which bound decided.
 */
uint64_t mp_prr_on_ack(struct mp_prr *p, uint64_t delivered, uint64_t pipe, bool safe_ack);

/* mp_prr_on_send records |sent| (data or retransmission) during recovery:
 * prr_out += sent. */
static inline void mp_prr_on_send(struct mp_prr *p, uint64_t sent)
{
    p->prr_out += sent;
}

/* mp_prr_cwnd returns the cwnd that lets exactly |sndcnt| go out: RFC 6937
 * 3, cwnd = pipe + sndcnt. */
static inline uint64_t mp_prr_cwnd(uint64_t pipe, uint64_t sndcnt)
{
    return pipe + sndcnt;
}

/* mp_prr_exit returns the cwnd on leaving recovery: RFC 6937 3, "on exit:
 * cwnd = ssthresh". */
static inline uint64_t mp_prr_exit(const struct mp_prr *p)
{
    return p->ssthresh;
}

#endif
