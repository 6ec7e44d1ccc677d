/*
 * afmp: the "default" scheduler, as upstream Linux's (mptcp_subflow_get_send):
 * among the usable non-backup subflows, the one whose queued data would
 * drain soonest (bytes queued over its pacing rate), kept for a burst of
 * MP_MPTCP_SEND_BURST bytes while a whole segment fits in its windows (a
 * subflow with a byte of room but no room for a segment would hold the
 * others back); backup subflows only when no non-backup one is active
 * (established and not backing off). Queued here means unacknowledged:
 * afmp hands a subflow data only when its windows have room, so nothing
 * waits in a subflow's buffer beyond what is in flight.
 *
 * A subflow that is backing off after a retransmission timeout is used only
 * when nothing else can send (Linux marks such subflows stale).
 */
#include "model/mptcp/protocol.h"

/* Linux's linger time, (bytes queued << 32) / pacing rate, with TCP's
 * pacing rate (sk_pacing_rate, computed whether or not pacing is on); a
 * subflow without an RTT sample yet has Linux's initial ~0 rate: linger 0. */
static uint64_t linger(const struct mp_tcp_conn *ssk)
{
    uint64_t rate = mp_tcp_pacing_rate(ssk);
    return rate ? ((uint64_t)mp_tcp_in_flight(ssk) << 32) / rate : 0;
}

static struct mp_mptcp_subflow *pick(struct mp_mptcp_sock *msk, mp_time_t now)
{
    (void)now;
    struct mp_mptcp_subflow *last = msk->sched_last;
    if (last && msk->sched_burst > 0 && mp_mptcp_subflow_ready(last)) {
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
        uint64_t l = linger(sf->ssk);
        int b = (sf->backup || sf->peer_backup) ? 1 : 0;
        int stale = mp_mptcp_subflow_backing_off(sf) ? 1 : 0;
        if (l < best_linger[b][stale]) {
            best_linger[b][stale] = l;
            best[b][stale] = sf;
        }
    }
    /* Linux: a backup only when no non-backup subflow is active (up and
     * not stale); one that is merely out of window room makes the data
     * wait rather than go to the backup. */
    if (!mp_mptcp_sched_backups_ok(msk))
        best[1][0] = NULL;
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

/* The burst counts down by the bytes the kept subflow took. */
static void sent(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, size_t len,
                 mp_time_t now)
{
    (void)now;
    if (msk->sched_last == sf)
        msk->sched_burst = msk->sched_burst > len ? msk->sched_burst - (uint32_t)len : 0;
}

const struct mp_mptcp_sched_ops mp_mptcp_sched_default = {
    .name = "default",
    .pick = pick,
    .sent = sent,
};
