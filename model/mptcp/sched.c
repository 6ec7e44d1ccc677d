/*
 * afmp: MPTCP packet schedulers: the registry. One file per policy:
 * sched_<name>.c. A scheduler answers one question, "which subflow gets the
 * next new data now?", among the subflows that can send; the connection
 * asks it whenever a subflow's windows open (transmission is pulled). A
 * redundant scheduler answers a second one: "should this subflow carry
 * the data the others took, too?" (ops->also).
 *
 * Also here: the backup rule that minrtt, roundrobin and redundant share.
 */
#include <string.h>

#include "model/mptcp/protocol.h"

static const struct mp_mptcp_sched_ops *const scheds[] = {
    &mp_mptcp_sched_default,
    &mp_mptcp_sched_minrtt,
    &mp_mptcp_sched_roundrobin,
    &mp_mptcp_sched_redundant,
};

const struct mp_mptcp_sched_ops *mp_mptcp_sched_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(scheds); i++)
        if (strcmp(scheds[i]->name, name) == 0)
            return scheds[i];
    /* "plugin:PATH": a policy loaded from a shared object. */
    return mp_mptcp_policy_sched(name);
}

bool mp_mptcp_sched_backups_ok(const struct mp_mptcp_sock *msk)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!mp_mptcp_subflow_is_backup(sf) && mp_mptcp_subflow_active(sf) &&
            !mp_mptcp_subflow_backing_off(sf))
            return false;
    }
    return true;
}

bool mp_mptcp_sched_backup_rule(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf)
{
    return !mp_mptcp_subflow_is_backup(sf) || mp_mptcp_sched_backups_ok(msk);
}
