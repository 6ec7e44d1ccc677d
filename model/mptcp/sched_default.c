/*
 * afmp: the "default" scheduler, as upstream Linux's (mptcp_subflow_get_send):
 * among the usable non-backup subflows, the one whose queued data would
 * drain soonest (bytes queued over its pacing rate), kept for a burst of
 * MP_MPTCP_SEND_BURST bytes while it can send; backup subflows only when no
 * other is usable. Queued here means unacknowledged: afmp hands a subflow
 * data only when its windows have room, so nothing waits in a subflow's
 * buffer beyond what is in flight.
 *
 * A subflow that is backing off after a retransmission timeout is used only
 * when nothing else can send (Linux marks such subflows stale).
 */
#include "model/mptcp/protocol.h"

/* Linux's pacing rate when pacing is not configured: 2 * cwnd * mss / srtt
 * in slow start, 1.2 * in congestion avoidance (sk_pacing_rate). Bytes per
 * second; a subflow without an RTT sample yet gets the initial window over
 * the 1 s initial RTO's worth. */
static uint64_t pacing_rate(const struct mp_tcp_info *ti)
{
    uint64_t srtt = ti->srtt ? ti->srtt : MP_S(1);
    uint64_t bytes = (uint64_t)ti->cwnd * ti->mss;
    uint64_t pct = ti->cwnd < ti->ssthresh / 2 ? 200 : 120;
    uint64_t rate = bytes * pct / 100 * MP_S(1) / srtt;
    return rate ? rate : 1;
}

static struct mp_mptcp_subflow *pick(struct mp_mptcp_sock *msk, mp_time_t now)
{
    (void)now;
    struct mp_mptcp_subflow *last = msk->sched_last;
    if (last && msk->sched_burst > 0 && mp_mptcp_subflow_usable(last)) {
        /* A subflow that timed out loses its burst: after an RTO its
         * window opens (everything is marked lost) although its path may
         * be dead. */
        if (!mp_mptcp_subflow_backing_off(last))
            return last;
    }
    /* [0] non-backup, [1] backup; within each, not backing off first. */
    struct mp_mptcp_subflow *best[2][2] = {{NULL, NULL}, {NULL, NULL}};
    uint64_t best_linger[2][2] = {{UINT64_MAX, UINT64_MAX}, {UINT64_MAX, UINT64_MAX}};
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!mp_mptcp_subflow_usable(sf))
            continue;
        struct mp_tcp_info ti;
        mp_tcp_get_info(sf->ssk, &ti);
        /* linger = queued << 32 / rate, as Linux compares them. */
        uint64_t linger = ((uint64_t)ti.in_flight << 32) / pacing_rate(&ti);
        int b = (sf->backup || sf->peer_backup) ? 1 : 0;
        int stale = ti.backoff > 0 ? 1 : 0;
        if (linger < best_linger[b][stale]) {
            best_linger[b][stale] = linger;
            best[b][stale] = sf;
        }
    }
    struct mp_mptcp_subflow *sf = best[0][0] ? best[0][0]
                                  : best[1][0] ? best[1][0]
                                  : best[0][1] ? best[0][1]
                                               : best[1][1];
    if (sf && sf != last) {
        msk->sched_last = sf;
        msk->sched_burst = MP_MPTCP_SEND_BURST;
    } else if (sf) {
        msk->sched_burst = MP_MPTCP_SEND_BURST;
    }
    return sf;
}

const struct mp_mptcp_sched_ops mp_mptcp_sched_default = {
    .name = "default",
    .pick = pick,
};
