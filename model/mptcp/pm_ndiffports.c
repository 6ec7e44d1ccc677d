/*
 * afmp: the "ndiffports" path manager of the out-of-tree Linux v0.9x
 * kernels: N subflows over the one address pair of the initial subflow,
 * told apart by their source ports (mptcp.ndiffports, all told: 2 by
 * default, the v0.9x num_subflows). It is for paths that hash flows over
 * several links (ECMP in data centres): the peer's addresses and the
 * host's other addresses are never used. The `subflows` limit still caps
 * what the active side opens and the passive side accepts.
 */
#include "model/mptcp/protocol.h"

static void nd_established(struct mp_mptcp_sock *msk, mp_time_t now)
{
    struct mp_endpoint l, r;
    if (msk->first->passive || !mp_mptcp_pm_first_addrs(msk, &l, &r) || !msk->nremotes)
        return;
    /* The remote of the initial subflow, as the race chose it. */
    const struct mp_mptcp_remote *rem = &msk->remotes[0];
    for (uint32_t i = 0; i < msk->nremotes; i++)
        if (mp_ip_eq(&msk->remotes[i].ep.ip, &r.ip) && msk->remotes[i].ep.port == r.port)
            rem = &msk->remotes[i];
    uint32_t want = msk->st->o.ndiffports ? msk->st->o.ndiffports - 1 : 0;
    while (msk->joins_opened < want && msk->joins_opened < msk->st->o.subflows) {
        if (mp_mptcp_pm_open(msk, &l.ip, rem, false, now) < 0)
            break;
    }
}

static bool nd_allow_join(struct mp_mptcp_sock *msk)
{
    return msk->joins_accepted < msk->st->o.subflows;
}

const struct mp_mptcp_pm_ops mp_mptcp_pm_ndiffports = {
    .name = "ndiffports",
    .established = nd_established,
    .allow_join = nd_allow_join,
};
