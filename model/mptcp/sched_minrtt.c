/*
 * afmp: the "minrtt" scheduler, the default of the out-of-tree Linux MPTCP
 * v0.9x kernels (net/mptcp/mptcp_sched.c: get_available_subflow asks
 * get_subflow_from_selectors first for the active, non-backup subflows,
 * then for the backup ones, and each keeps, among the subflows available
 * now, the one with the lowest srtt).
 *
 * New data goes on the ready subflow with the lowest smoothed RTT, ready
 * meaning established, with room for a whole segment in its congestion
 * window and some in the peer's (mp_mptcp_subflow_ready; Linux: not
 * mptcp_is_temp_unavailable): a fast subflow whose window is full lets a
 * slower one send. No burst: the question is asked again for every
 * segment; when no subflow is ready, none takes new data (unpicked_ok). Backup subflows only when no
 * non-backup subflow is active (mp_mptcp_sched_backups_ok); a non-backup
 * subflow whose windows are merely full keeps them out. A subflow backing
 * off after a retransmission timeout (Linux: potentially failed) is used
 * only when no other subflow can send. A subflow without an RTT sample yet
 * counts as 0, as Linux's srtt_us of a new subflow; ties go to the older
 * subflow.
 */
#include "model/mptcp/protocol.h"

struct mp_mptcp_subflow *mp_mptcp_sched_minrtt_pick(struct mp_mptcp_sock *msk, mp_time_t now)
{
    (void)now;
    bool backups = mp_mptcp_sched_backups_ok(msk);
    /* [backing off][backup] */
    struct mp_mptcp_subflow *best[2][2] = {{NULL, NULL}, {NULL, NULL}};
    mp_time_t best_rtt[2][2] = {{0, 0}, {0, 0}};
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!mp_mptcp_subflow_ready(sf))
            continue;
        int b = mp_mptcp_subflow_is_backup(sf) ? 1 : 0;
        if (b && !backups)
            continue;
        int s = mp_mptcp_subflow_backing_off(sf) ? 1 : 0;
        mp_time_t rtt = mp_tcp_srtt(sf->ssk);
        if (!best[s][b] || rtt < best_rtt[s][b]) {
            best[s][b] = sf;
            best_rtt[s][b] = rtt;
        }
    }
    return best[0][0] ? best[0][0] : best[0][1] ? best[0][1] : best[1][0] ? best[1][0] : best[1][1];
}

const struct mp_mptcp_sched_ops mp_mptcp_sched_minrtt = {
    .name = "minrtt",
    .pick = mp_mptcp_sched_minrtt_pick,
    .unpicked_ok = mp_mptcp_sched_backup_rule,
};
