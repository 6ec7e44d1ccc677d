/*
 * afmp: MPTCP congestion control, chosen per host by name (mptcp.cc).
 *
 * "uncoupled" is upstream Linux's: every subflow runs the host's TCP
 * algorithm (tcp.cc) on its own, unaware of the others; it needs no hook.
 * The coupled algorithms "lia", "olia" and "balia" (cc_coupled.c) put
 * their TCP ops on every subflow that comes up and reach the other
 * subflows' windows through TCP's congestion-control group
 * (model/tcp/cc.h, struct mp_cc_group in protocol.h).
 */
#include <string.h>

#include "model/mptcp/protocol.h"

const struct mp_mptcp_cc_ops mp_mptcp_cc_uncoupled = {
    .name = "uncoupled",
};

static const struct mp_mptcp_cc_ops *const ccs[] = {&mp_mptcp_cc_uncoupled, &mp_mptcp_cc_lia,
                                                    &mp_mptcp_cc_olia, &mp_mptcp_cc_balia};

const struct mp_mptcp_cc_ops *mp_mptcp_cc_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ccs); i++)
        if (strcmp(ccs[i]->name, name) == 0)
            return ccs[i];
    /* "plugin:PATH": a policy loaded from a shared object. */
    return mp_mptcp_policy_cc(name);
}
