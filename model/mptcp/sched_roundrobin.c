/*
 * afmp: the "roundrobin" scheduler, as the out-of-tree Linux MPTCP v0.9x
 * kernels' mptcp_rr module with its defaults (num_segments 1,
 * cwnd_limited true).
 *
 * The ready subflows (mp_mptcp_subflow_ready: room for a whole segment)
 * take turns in creation order; a turn lasts RR_NUM_SEGMENTS segments of
 * new data (msk->sched_burst counts them down, msk->sched_last holds the
 * turn), then the next ready subflow after it has one. Turns count
 * segments, not bytes, as Linux's: a short segment is a whole turn.
 * cwnd_limited: a subflow whose congestion or peer window is full loses
 * its turn to the next instead of being waited for. So the split is even
 * (by segments) only while no window is the limit, as with an application
 * that writes slower than the paths carry; under a bulk transfer each
 * subflow sends when its own ACKs open its window, and the split follows
 * what each path carries, not its RTT. Backup subflows
 * take turns only when no non-backup subflow is active
 * (mp_mptcp_sched_backups_ok); a subflow backing off after a
 * retransmission timeout only when no other subflow can send.
 */
#include "model/mptcp/protocol.h"

/* Linux mptcp_rr num_segments: segments per turn. */
#define RR_NUM_SEGMENTS 1u

static struct mp_mptcp_subflow *pick(struct mp_mptcp_sock *msk, mp_time_t now)
{
    (void)now;
    bool backups = mp_mptcp_sched_backups_ok(msk);
    struct mp_mptcp_subflow *last = msk->sched_last;
    if (last && msk->sched_burst > 0 && mp_mptcp_subflow_ready(last) &&
        (backups || !mp_mptcp_subflow_is_backup(last)) && !mp_mptcp_subflow_backing_off(last))
        return last;
    /* The next in turn after |last| (from the first when there is none),
     * |last| itself coming last. */
    guint n = msk->subflows->len, start = 0;
    for (guint i = 0; last && i < n; i++)
        if (msk->subflows->pdata[i] == last)
            start = i + 1;
    struct mp_mptcp_subflow *sf = NULL, *stale = NULL;
    for (guint k = 0; k < n && !sf; k++) {
        struct mp_mptcp_subflow *c = msk->subflows->pdata[(start + k) % n];
        if (!mp_mptcp_subflow_ready(c) || (!backups && mp_mptcp_subflow_is_backup(c)))
            continue;
        if (!mp_mptcp_subflow_backing_off(c))
            sf = c;
        else if (!stale)
            stale = c;
    }
    if (!sf)
        sf = stale;
    if (sf) {
        msk->sched_last = sf;
        msk->sched_burst = RR_NUM_SEGMENTS;
    }
    return sf;
}

static void sent(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, size_t len,
                 mp_time_t now)
{
    (void)len;
    (void)now;
    if (msk->sched_last == sf && msk->sched_burst > 0)
        msk->sched_burst--;
}

const struct mp_mptcp_sched_ops mp_mptcp_sched_roundrobin = {
    .name = "roundrobin",
    .pick = pick,
    .unpicked_ok = mp_mptcp_sched_backup_rule,
    .sent = sent,
};
