/*
 * afmp: the "redundant" scheduler, as the out-of-tree Linux MPTCP v0.9x
 * kernels' mptcp_redundant module: every byte goes on every usable
 * subflow, trading capacity for latency and resilience.
 *
 * The same data-level bytes (the same DSNs) go on each subflow, each
 * under its own subflow sequence numbers. The first subflow to reach new
 * data takes it (minrtt's order when the connection pushes: the lowest
 * smoothed RTT first); each other subflow then carries it too, from where
 * it left off (sf->dsn_nxt), but never from before the connection's
 * DATA_ACK: the DATA_ACK settles a byte for all subflows, so a subflow
 * that lags skips what another one already delivered and catches up from
 * there (Linux: a subflow's next segment skips those already acknowledged
 * at the data level). Data-level retransmissions are not given to a
 * subflow that carries those bytes already. The receiver drops the
 * copies that come second (MPTcpExtDuplicateData).
 *
 * Backup subflows carry data only when no non-backup subflow is active
 * (mp_mptcp_sched_backups_ok); a subflow backing off after a
 * retransmission timeout only while every other subflow that may carry
 * data is backing off too.
 */
#include "model/mptcp/protocol.h"

static bool may_carry(const struct mp_mptcp_subflow *sf, bool backups)
{
    return mp_mptcp_subflow_active(sf) && (backups || !mp_mptcp_subflow_is_backup(sf));
}

static bool also(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, mp_time_t now)
{
    (void)now;
    bool backups = mp_mptcp_sched_backups_ok(msk);
    if (!may_carry(sf, backups))
        return false;
    if (!mp_mptcp_subflow_backing_off(sf))
        return true;
    for (guint i = 0; i < msk->subflows->len; i++) {
        const struct mp_mptcp_subflow *o = msk->subflows->pdata[i];
        if (o != sf && may_carry(o, backups) && !mp_mptcp_subflow_backing_off(o))
            return false;
    }
    return true;
}

const struct mp_mptcp_sched_ops mp_mptcp_sched_redundant = {
    .name = "redundant",
    .pick = mp_mptcp_sched_minrtt_pick,
    .unpicked_ok = mp_mptcp_sched_backup_rule,
    .also = also,
};
