/*
 * afmp: MPTCP packet schedulers: the registry. One file per policy:
 * sched_<name>.c. A scheduler answers one question, "which subflow gets the
 * next new data now?", among the subflows that can send; the connection
 * asks it whenever a subflow's windows open (transmission is pulled).
 */
#include <string.h>

#include "model/mptcp/protocol.h"

static const struct mp_mptcp_sched_ops *const scheds[] = {&mp_mptcp_sched_default};

const struct mp_mptcp_sched_ops *mp_mptcp_sched_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(scheds); i++)
        if (strcmp(scheds[i]->name, name) == 0)
            return scheds[i];
    return NULL;
}
