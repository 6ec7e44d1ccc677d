/*
 * afmp: MPTCP path managers: the registry and what every policy needs
 * (address IDs, opening a join). One file per policy: pm_<name>.c.
 */
#include <errno.h>
#include <string.h>

#include "model/net/addr.h"
#include "model/mptcp/protocol.h"

static const struct mp_mptcp_pm_ops *const pms[] = {&mp_mptcp_pm_fullmesh, &mp_mptcp_pm_api};

const struct mp_mptcp_pm_ops *mp_mptcp_pm_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(pms); i++)
        if (strcmp(pms[i]->name, name) == 0)
            return pms[i];
    return NULL;
}

uint8_t mp_mptcp_pm_local_id(struct mp_mptcp_sock *msk, const struct mp_ip *a)
{
    for (uint32_t i = 0; i < msk->nlocal_ids; i++)
        if (mp_ip_eq(&msk->local_ids[i].addr, a))
            return msk->local_ids[i].id;
    if (msk->nlocal_ids == MP_MPTCP_MAX_ADDRS)
        return msk->next_local_id++; /* not remembered: IDs stay unique */
    uint8_t id = msk->next_local_id++;
    msk->local_ids[msk->nlocal_ids].addr = *a;
    msk->local_ids[msk->nlocal_ids].id = id;
    msk->nlocal_ids++;
    return id;
}

bool mp_mptcp_pm_has_subflow(const struct mp_mptcp_sock *msk, const struct mp_ip *l,
                             const struct mp_endpoint *r)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!sf->ssk)
            continue;
        struct mp_endpoint le, re;
        mp_tcp_endpoints(sf->ssk, &le, &re);
        if (mp_ip_eq(&le.ip, l) && mp_ip_eq(&re.ip, &r->ip) && re.port == r->port)
            return true;
    }
    return false;
}

int mp_mptcp_pm_open(struct mp_mptcp_sock *msk, const struct mp_ip *l,
                     const struct mp_mptcp_remote *r, mp_time_t now)
{
    struct mp_mptcp_stack *st = msk->st;
    struct mp_ip src = *l;
    if (!l->v || mp_ip_is_unspecified(l)) {
        /* No address asked for: the route's source, known now because the
         * SYN names its address ID. */
        struct mp_host_route rt;
        int rc = mp_host_route(st->h, NULL, &r->ep.ip, 0, &rt);
        if (rc < 0)
            return rc;
        src = rt.src;
    }
    if (mp_mptcp_local_removed(msk, &src))
        return -EADDRNOTAVAIL;
    struct mp_mptcp_subflow *sf = mp_mptcp_subflow_new(msk, NULL, MP_SF_JOIN, false);
    sf->local_ip = *l;
    sf->remote_ep = r->ep;
    sf->local_id = mp_mptcp_pm_local_id(msk, &src);
    sf->remote_id = r->id;
    sf->local_nonce = mp_rng_u32(&st->rng);
    struct mp_tcp_cbs cbs;
    mp_mptcp_subflow_cbs(sf, &cbs);
    struct mp_endpoint le = {.ip = src, .port = 0};
    int rc = mp_tcp_connect_ext(mp_tcp_stack_of(st->h), &le, &r->ep, msk->has_topts ? &msk->topts : NULL, &cbs,
                                &mp_mptcp_subflow_ext, sf, &sf->ssk, now);
    if (rc < 0) {
        sf->ssk = NULL;
        sf->closed = true;
        return rc;
    }
    msk->joins_opened++;
    mp_mptcp_trace_sf(msk, sf, "join.connect", now);
    return 0;
}
