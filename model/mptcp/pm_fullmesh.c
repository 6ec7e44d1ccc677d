/*
 * afmp: the "fullmesh" path manager: once the connection is fully
 * established, a subflow from every local address to every known remote
 * address of the same family, within the host's `subflows` limit (Linux's
 * in-kernel PM with every address a "subflow fullmesh" endpoint). Joins
 * across families are allowed (RFC 8684 does not forbid them and IPv4/IPv6
 * migration depends on them): an IPv6 subflow joins a connection opened
 * over IPv4 as soon as the peer's IPv6 address is known.
 *
 * The passive side opens nothing; it accepts joins up to the same limit
 * (Linux refuses the join at the third ACK with MP_TCPRST reason 3).
 * Addresses the peer announces (ADD_ADDR) join the mesh within
 * add_addr_accepted. An address the host gains later joins it too; one it
 * loses is withdrawn (pm.c: REMOVE_ADDR, its subflows closed).
 */
#include "model/mptcp/protocol.h"

#define MAX_LOCAL 32

static void fill_mesh(struct mp_mptcp_sock *msk, mp_time_t now)
{
    struct mp_ifaddr la[MAX_LOCAL];
    size_t n = mp_host_addrs(msk->st->h, la, MAX_LOCAL);
    n = MIN(n, (size_t)MAX_LOCAL);
    for (uint32_t r = 0; r < msk->nremotes; r++) {
        for (size_t i = 0; i < n; i++) {
            if (msk->joins_opened >= msk->st->o.subflows)
                return;
            if (la[i].ip.v != msk->remotes[r].ep.ip.v || !mp_mptcp_pm_usable_local(&la[i].ip))
                continue;
            if (mp_mptcp_pm_has_subflow(msk, &la[i].ip, &msk->remotes[r].ep))
                continue;
            mp_mptcp_pm_open(msk, &la[i].ip, &msk->remotes[r], false, now);
        }
    }
}

static void fm_established(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (!msk->first->passive)
        fill_mesh(msk, now);
}

static void fm_remote_added(struct mp_mptcp_sock *msk, const struct mp_mptcp_remote *r,
                            mp_time_t now)
{
    (void)r;
    if (msk->first && !msk->first->passive)
        fill_mesh(msk, now);
}

/* A new address of the host joins the mesh (the v0.9x fullmesh path
 * manager followed the host's addresses the same way). */
static void fm_host_addr_added(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now)
{
    (void)a;
    if (msk->first && !msk->first->passive)
        fill_mesh(msk, now);
}

static bool fm_allow_join(struct mp_mptcp_sock *msk)
{
    return msk->joins_accepted < msk->st->o.subflows;
}

const struct mp_mptcp_pm_ops mp_mptcp_pm_fullmesh = {
    .name = "fullmesh",
    .established = fm_established,
    .remote_added = fm_remote_added,
    .allow_join = fm_allow_join,
    .host_addr_added = fm_host_addr_added,
};
