/*
 * afmp: RACK-TLP loss detection (RFC 8985).
 *
 * Pure functions over the retransmission queue (rtxq.h) and the RTT
 * estimator (rtt.h) plus a little state of their own. Nothing here owns a
 * timer: functions return deadlines (MP_TIME_NEVER for none) that the
 * connection folds into its one deadline timer.
 *
 * The connection's use, per ACK:
 *   mp_rtxq_ack(q, ..., mp_rtt_min(rtt), now, &a);
 *   mp_rack_on_ack(rack, &a, q->una, q->nxt);        (steps 2-4 of 6.2)
 *   deadline = mp_rack_detect_loss(rack, q, rtt, in_recovery, now, &n);
 *                                                     (step 5; marks lost)
 *   verdict = mp_rack_tlp_on_ack(rack, ack, &a, is_dupack);   (7.4)
 * when the RACK deadline passes: mp_rack_detect_loss() again;
 * on leaving recovery: mp_rack_recovery_exit();
 * on an RTO: mp_rack_mark_lost_on_rto() (6.3);
 * for tail loss probes: mp_rack_tlp_may_arm(), mp_rack_tlp_deadline(),
 * mp_rack_tlp_choose() and mp_rack_tlp_sent() (7.2, 7.3).
 */
#ifndef MP_TCP_RACK_H
#define MP_TCP_RACK_H

#include "model/tcp/rtt.h"
#include "model/tcp/rtxq.h"

/* RFC 8985 7.2: the worst-case delayed-ACK timer a probe allows for when a
 * single segment is in flight. */
#define MP_RACK_WC_DELACK MP_MS(200)
/* RFC 8985 6.2 step 4: DSACK-free recoveries before the window resets. */
#define MP_RACK_REO_PERSIST 16u
/* RFC 6675's DupThresh, which RACK also uses (6.2 step 4). */
#define MP_RACK_DUPTHRESH 3u

struct mp_rack {
    /* RACK.xmit_ts / end_seq / rtt: the most recently sent segment
     * delivered so far. */
    bool valid;
    mp_time_t xmit_ts;
    uint32_t end_seq;
    mp_time_t rtt;
    bool reordering_seen;
    uint32_t reo_wnd_mult;    /* RACK.reo_wnd_mult, starts at 1 */
    uint32_t reo_wnd_persist; /* RACK.reo_wnd_persist */
    bool dsack_round_valid;
    uint32_t dsack_round; /* RACK.dsack_round */
    /* TLP state (7.3): the probe outstanding, if any. */
    bool tlp_pending;
    uint32_t tlp_end_seq;
    bool tlp_is_retrans;
};

void mp_rack_init(struct mp_rack *rack);

/*
 * Steps 2 to 4 of RFC 8985 6.2 for one ACK already applied to the queue:
 * advance RACK.xmit_ts / end_seq / rtt from |a|'s newest delivered segment
 * (rtxq did step 2's per-segment filtering), note reordering (step 3), and
 * grow the reordering window once per round that sees a D-SACK (step 4).
 * |snd_una| and |snd_nxt| are the queue's after the ACK.
 */
void mp_rack_on_ack(struct mp_rack *rack, const struct mp_rtx_ack *a, uint32_t snd_una,
                    uint32_t snd_nxt);

/* RFC 8985 6.2 step 4, on leaving fast or RTO recovery: after
 * MP_RACK_REO_PERSIST recoveries without a D-SACK the window multiplier
 * returns to 1. */
void mp_rack_recovery_exit(struct mp_rack *rack);

/*
 * RFC 8985 6.2 step 4: the reordering window. Zero when no reordering was
 * seen and either the connection is in recovery or at least DupThresh
 * segments are SACKed (act as fast as the DupAck rule would); else
 * min(reo_wnd_mult * min_rtt / 4, srtt).
 */
mp_time_t mp_rack_reo_wnd(const struct mp_rack *rack, const struct mp_rtxq *q,
                          const struct mp_rtt *rtt, bool in_recovery);

/*
 * RFC 8985 6.2 step 5: marks lost (mp_rtxq_mark_lost()) every outstanding
 * segment sent before RACK's reference segment (RACK_sent_after) whose time
 * xmit_ts + RACK.rtt + reo_wnd has passed. Returns the RACK timer deadline:
 * when the last segment still waiting would be declared lost (the RFC arms
 * the timer for the largest remaining time), or MP_TIME_NEVER. Stores the
 * number of segments marked in |*marked| (may be NULL).
 * Cost: the segments sent before the reference, via the queue's send-time
 * list.
 */
mp_time_t mp_rack_detect_loss(struct mp_rack *rack, struct mp_rtxq *q, const struct mp_rtt *rtt,
                              bool in_recovery, mp_time_t now, uint32_t *marked);

/*
 * RFC 8985 6.3, at an RTO: marks lost the first outstanding segment and
 * every other one sent at least RACK.rtt + reo_wnd ago (with the window of
 * recovery); later segments stay in flight. Returns the number marked.
 */
uint32_t mp_rack_mark_lost_on_rto(struct mp_rack *rack, struct mp_rtxq *q, const struct mp_rtt *rtt,
                                  mp_time_t now);

/* ---- Tail Loss Probe ---- */

/*
 * RFC 8985 7.2: whether a probe timer may be armed (after sending new data
 * or on an ACK of new data): data is outstanding, the connection is not in
 * recovery, nothing is SACKed, and no probe is outstanding. The caller adds
 * its own conditions (SACK negotiated).
 */
bool mp_rack_tlp_may_arm(const struct mp_rack *rack, const struct mp_rtxq *q, bool in_recovery);

/*
 * RFC 8985 7.2: the probe deadline. PTO = 2 * SRTT, plus MP_RACK_WC_DELACK
 * when a single segment is in flight, or 1 s before any RTT sample; the
 * probe never fires after the RTO would (|rto_deadline|).
 */
mp_time_t mp_rack_tlp_deadline(const struct mp_rtt *rtt, const struct mp_rtxq *q, mp_time_t now,
                               mp_time_t rto_deadline);

enum mp_tlp_probe {
    MP_TLP_NONE,    /* nothing to probe with */
    MP_TLP_NEW,     /* send one MSS of new data */
    MP_TLP_RETRANS, /* retransmit *seg */
};

/*
 * RFC 8985 7.3: what the probe carries. New data if some may be sent
 * (|new_data_ok|: unsent data and the peer's window allow it); else the
 * highest-sequence segment, cut to its last |mss| sequence numbers (the
 * queue's tail is split, as Linux does) and returned in |*seg|.
 */
enum mp_tlp_probe mp_rack_tlp_choose(struct mp_rtxq *q, bool new_data_ok, uint32_t mss,
                                     struct mp_rtx_seg **seg);

/* RFC 8985 7.3: a probe was sent; |snd_nxt| is the queue's nxt after it. */
void mp_rack_tlp_sent(struct mp_rack *rack, uint32_t snd_nxt, bool is_retrans);

/* Forgets an outstanding probe (an RTO supersedes it, as in Linux). */
static inline void mp_rack_tlp_reset(struct mp_rack *rack)
{
    rack->tlp_pending = false;
}

enum mp_tlp_verdict {
    MP_TLP_PENDING,  /* no conclusion yet (or no probe outstanding) */
    MP_TLP_NO_LOSS,  /* probe of new data delivered, or the probe was a duplicate */
    MP_TLP_REPAIRED, /* the probe repaired a loss: reduce cwnd and ssthresh */
};

/*
 * RFC 8985 7.4.2, for each ACK: |ack| its cumulative acknowledgement, |a|
 * what mp_rtxq_ack() reported, |dupack_no_sack| true for a duplicate ACK
 * carrying no SACK option. Clears the probe state when concluded.
 */
enum mp_tlp_verdict mp_rack_tlp_on_ack(struct mp_rack *rack, uint32_t ack,
                                       const struct mp_rtx_ack *a, bool dupack_no_sack);

#endif
