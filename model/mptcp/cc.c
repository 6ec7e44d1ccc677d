/*
 * afmp: MPTCP congestion control, chosen per host by name (mptcp.cc).
 *
 * "uncoupled" is upstream Linux's: every subflow runs the host's TCP
 * algorithm (tcp.cc) on its own, unaware of the others; it needs no hook.
 * Coupled algorithms (LIA, OLIA, BALIA: a later issue) fill the hooks and
 * reach the subflows' windows through TCP's congestion-control group
 * (model/tcp/cc.h, struct mp_cc_group).
 */
#include <string.h>

#include "model/mptcp/protocol.h"

const struct mp_mptcp_cc_ops mp_mptcp_cc_uncoupled = {
    .name = "uncoupled",
};

static const struct mp_mptcp_cc_ops *const ccs[] = {&mp_mptcp_cc_uncoupled};

const struct mp_mptcp_cc_ops *mp_mptcp_cc_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ccs); i++)
        if (strcmp(ccs[i]->name, name) == 0)
            return ccs[i];
    /* "plugin:PATH": a policy loaded from a shared object. */
    return mp_mptcp_policy_cc(name);
}
