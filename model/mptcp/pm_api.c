/*
 * afmp: the "api" path manager, driven by the AF_MULTIPATH socket calls
 * (draft-sarolahti-mptcp-af-multipath): the owner names the addresses. A
 * connect() with a container gives the connection one remote address per
 * entry; a later connect() or bind() adds remote or local ones. Once the
 * connection is fully established, and whenever an address is added, there
 * is a subflow to every remote address: from each local address the owner
 * bound of the same family, or from the route's source when it bound none
 * of that family. Families may mix, as fullmesh's joins do.
 *
 * The draft: the protocol MUST ignore addresses that point to a different
 * host. Such an address shows itself when its join fails: the other host
 * answers the MP_JOIN SYN with a RST (its MPTCP does not know our token,
 * RFC 8684 3.2: MP_TCPRST reason 1; or nothing listens there), with a
 * SYN/ACK without MP_JOIN (a plain TCP server), or not at all. The address
 * then leaves the connection's set (counted as AfmpMPTcpAddrIgnored, traced
 * as "mptcp.race" with the reason) and the connection goes on unaffected.
 * A join the peer refuses for its limits (MP_TCPRST reason 3) is the right
 * host saying no: the address stays, and is not tried again.
 *
 * The owner asked for every subflow, so the host's `subflows` limit does
 * not bound the active side; the number of addresses does
 * (MP_MPTCP_MAX_ADDRS each way). The passive side accepts joins within its
 * host's limit, as fullmesh does.
 */
#include <errno.h>

#include "model/net/addr.h"
#include "model/mptcp/protocol.h"

/* A subflow (live, or still being set up) from |l| (NULL: any) to |r|, or
 * one that failed there for a reason that forbids another try. */
static bool tried(const struct mp_mptcp_sock *msk, const struct mp_ip *l,
                  const struct mp_endpoint *r)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->passive || sf->lost_race)
            continue;
        if (!mp_ip_eq(&sf->remote_ep.ip, &r->ip) || sf->remote_ep.port != r->port)
            continue;
        /* Where it left from: its TCP's address while it has one, else
         * what was asked (family 0: the route's source, any). */
        struct mp_ip from = sf->local_ip;
        if (sf->ssk) {
            struct mp_endpoint le;
            mp_tcp_endpoints(sf->ssk, &le, NULL);
            from = le.ip;
        }
        if (l && from.v && !mp_ip_eq(&from, l))
            continue;
        if (!sf->closed || sf->rst_reason == 3)
            return true;
    }
    return false;
}

static void fill(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (msk->fallback || msk->dead || !msk->fully_established || !msk->first || msk->first->passive)
        return;
    for (uint32_t r = 0; r < msk->nremotes; r++) {
        const struct mp_mptcp_remote *rem = &msk->remotes[r];
        bool any_bound = false;
        for (uint32_t i = 0; i < msk->nbound; i++) {
            if (msk->bound[i].v != rem->ep.ip.v)
                continue;
            any_bound = true;
            if (msk->joins_opened < MP_MPTCP_MAX_ADDRS && !tried(msk, &msk->bound[i], &rem->ep))
                mp_mptcp_pm_open(msk, &msk->bound[i], rem, false, now);
        }
        if (!any_bound && msk->joins_opened < MP_MPTCP_MAX_ADDRS && !tried(msk, NULL, &rem->ep)) {
            struct mp_ip any = {.v = 0};
            mp_mptcp_pm_open(msk, &any, rem, false, now);
        }
    }
}

static void api_established(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (!msk->first->passive)
        fill(msk, now);
}

static void api_remote_added(struct mp_mptcp_sock *msk, const struct mp_mptcp_remote *r,
                             mp_time_t now)
{
    (void)r;
    fill(msk, now);
}

static void api_local_added(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now)
{
    (void)a;
    fill(msk, now);
}

static void api_subflow_closed(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, int err,
                               mp_time_t now)
{
    if (sf->kind != MP_SF_JOIN || sf->passive || sf->fully_established)
        return;
    /* RFC 8684 3.2: reason 3, administratively prohibited: the peer's
     * limits. The right host; keep the address. */
    if (sf->rst_reason == 3)
        return;
    const char *why = sf->refuse            ? "ignored-no-join"
                      : sf->rst_reason == 1 ? "ignored-token"
                      : err == -ETIMEDOUT   ? "ignored-timeout"
                                            : "ignored-refused";
    mp_mptcp_drop_remote(msk, &sf->remote_ep, why, now);
}

static bool api_allow_join(struct mp_mptcp_sock *msk)
{
    return msk->joins_accepted < msk->st->o.subflows;
}

const struct mp_mptcp_pm_ops mp_mptcp_pm_api = {
    .name = "api",
    .established = api_established,
    .remote_added = api_remote_added,
    .subflow_closed = api_subflow_closed,
    .allow_join = api_allow_join,
    .local_added = api_local_added,
};
