/*
 * afmp: the "kernel" path manager, Linux's in-kernel one as `ip mptcp
 * endpoint` and `ip mptcp limits` configure it (the host's endpoints,
 * mp_mptcp_config.endpoints; limits subflows and add_addr_accepted):
 *
 *  - Once the connection is fully established, on both sides, the endpoints
 *    flagged `signal` are announced with ADD_ADDR, one at a time: the next
 *    once the peer echoed the last (or it was given up). The address of the
 *    initial subflow is never announced (it is address ID 0).
 *  - On the active side, every endpoint flagged `subflow`, in order, opens
 *    subflows while the `subflows` limit allows: one to the initial
 *    subflow's remote address when the families match, or, flagged
 *    `fullmesh`, one to every known remote address of its family. `backup`
 *    sets the MP_JOIN B flag: the scheduler sends on it only when nothing
 *    else can. An endpoint with the initial subflow's local address opens
 *    nothing.
 *  - An address the peer announces is taken within `add_addr_accepted`;
 *    subflows to it (within `subflows`) come from every `fullmesh` endpoint
 *    of its family, or, when there is none, from the initial subflow's
 *    local address.
 *  - The passive side accepts joins within `subflows` (beyond: MP_TCPRST
 *    reason 3 at the third ACK).
 *
 * Without endpoints, Linux's default, it opens and announces nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/net/addr.h"
#include "model/mptcp/protocol.h"

static bool is_first_local(const struct mp_mptcp_sock *msk, const struct mp_ip *a)
{
    struct mp_endpoint l, r;
    return mp_mptcp_pm_first_addrs(msk, &l, &r) && mp_ip_eq(&l.ip, a);
}

static bool room(const struct mp_mptcp_sock *msk)
{
    return msk->joins_opened < msk->st->o.subflows;
}

/* Announces the next signal endpoint not announced yet, if no announcement
 * is still waiting for its echo. */
static void announce_next(struct mp_mptcp_sock *msk, mp_time_t now)
{
    for (uint32_t i = 0; i < msk->nsignals; i++) {
        const struct mp_mptcp_signal *g = &msk->signals[i];
        if (!g->aa.echo && !g->echoed && g->resend_at != MP_TIME_NEVER)
            return;
    }
    const struct mp_mptcp_config *o = &msk->st->o;
    for (size_t i = 0; i < o->n_endpoints; i++) {
        const struct mp_mptcp_endpoint *ep = &o->endpoints[i];
        if (!(ep->flags & MP_MPTCP_EP_SIGNAL) || is_first_local(msk, &ep->addr))
            continue;
        /* -EEXIST: announced before; try the next. */
        if (mp_mptcp_pm_announce(msk, ep->id, &ep->addr, now) == 0)
            return;
    }
}

/* Subflows from endpoint |ep| (local address) to |r|, or to every known
 * remote of its family with fullmesh. */
static void open_from(struct mp_mptcp_sock *msk, const struct mp_mptcp_endpoint *ep,
                      const struct mp_mptcp_remote *only, mp_time_t now)
{
    bool backup = (ep->flags & MP_MPTCP_EP_BACKUP) != 0;
    for (uint32_t i = 0; i < msk->nremotes && room(msk); i++) {
        const struct mp_mptcp_remote *r = &msk->remotes[i];
        if (only ? r != only : (!(ep->flags & MP_MPTCP_EP_FULLMESH) && i != 0))
            continue;
        if (r->ep.ip.v != ep->addr.v || mp_mptcp_pm_has_subflow(msk, &ep->addr, &r->ep))
            continue;
        mp_mptcp_pm_open(msk, &ep->addr, r, backup, now);
    }
}

static void k_established(struct mp_mptcp_sock *msk, mp_time_t now)
{
    announce_next(msk, now);
    if (msk->first->passive)
        return;
    const struct mp_mptcp_config *o = &msk->st->o;
    for (size_t i = 0; i < o->n_endpoints && room(msk); i++) {
        const struct mp_mptcp_endpoint *ep = &o->endpoints[i];
        if (!(ep->flags & MP_MPTCP_EP_SUBFLOW) || (msk->pm_eps_used & (1u << i)) ||
            is_first_local(msk, &ep->addr) || !mp_host_addr_ifindex(msk->st->h, &ep->addr))
            continue;
        msk->pm_eps_used |= 1u << i;
        open_from(msk, ep, NULL, now);
    }
}

static void k_add_addr_received(struct mp_mptcp_sock *msk, const struct mp_mptcp_remote *r,
                                mp_time_t now)
{
    const struct mp_mptcp_config *o = &msk->st->o;
    bool any = false;
    for (size_t i = 0; i < o->n_endpoints && room(msk); i++) {
        const struct mp_mptcp_endpoint *ep = &o->endpoints[i];
        if ((ep->flags & MP_MPTCP_EP_FULLMESH) && ep->addr.v == r->ep.ip.v &&
            mp_host_addr_ifindex(msk->st->h, &ep->addr)) {
            any = true;
            open_from(msk, ep, r, now);
        }
    }
    struct mp_endpoint l, first_r;
    if (any || !room(msk) || !mp_mptcp_pm_first_addrs(msk, &l, &first_r) || l.ip.v != r->ep.ip.v)
        return;
    if (!mp_mptcp_pm_has_subflow(msk, &l.ip, &r->ep))
        mp_mptcp_pm_open(msk, &l.ip, r, false, now);
}

static void k_echoed(struct mp_mptcp_sock *msk, mp_time_t now)
{
    announce_next(msk, now);
}

/* An endpoint's address came (back) to the host: the endpoint acts as
 * when the connection was established (Linux with NetworkManager or
 * mptcpd, which add the endpoint when the address appears). */
static void k_host_addr_added(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now)
{
    const struct mp_mptcp_config *o = &msk->st->o;
    bool mine = false;
    for (size_t i = 0; i < o->n_endpoints; i++) {
        if (mp_ip_eq(&o->endpoints[i].addr, a)) {
            msk->pm_eps_used &= ~(1u << i);
            mine = true;
        }
    }
    if (mine && msk->first)
        k_established(msk, now);
}

static bool k_allow_join(struct mp_mptcp_sock *msk)
{
    return msk->joins_accepted < msk->st->o.subflows;
}

const struct mp_mptcp_pm_ops mp_mptcp_pm_kernel = {
    .name = "kernel",
    .established = k_established,
    .add_addr_received = k_add_addr_received,
    .signal_done = k_echoed,
    .allow_join = k_allow_join,
    .host_addr_added = k_host_addr_added,
};

/* ---- configuration ---- */

bool mp_mptcp_parse_endpoints(const char *s, struct mp_mptcp_endpoint *out, size_t max, size_t *n,
                              char **why)
{
    static const struct {
        const char *word;
        uint32_t flag;
    } words[] = {{"signal", MP_MPTCP_EP_SIGNAL},
                 {"subflow", MP_MPTCP_EP_SUBFLOW},
                 {"backup", MP_MPTCP_EP_BACKUP},
                 {"fullmesh", MP_MPTCP_EP_FULLMESH}};
    gchar **entries = g_strsplit(s, ",", -1);
    size_t k = 0;
    bool ok = true;
    *why = NULL;
    for (gchar **e = entries; *e && ok; e++) {
        gchar **w = g_strsplit_set(g_strstrip(*e), " \t", -1);
        struct mp_mptcp_endpoint ep = {0};
        size_t nw = 0;
        for (gchar **x = w; *x && ok; x++) {
            if (!**x)
                continue;
            if (nw++ == 0) {
                if (mp_ip_parse(*x, &ep.addr) != 0) {
                    *why = g_strdup_printf("'%s': expected an IPv4 or IPv6 address", *x);
                    ok = false;
                }
                continue;
            }
            if (!strcmp(*x, "id")) {
                char *end = NULL;
                unsigned long v = x[1] ? strtoul(x[1], &end, 10) : 0;
                if (!x[1] || !*x[1] || *end || v < 1 || v > 255) {
                    *why = g_strdup_printf("id: expected 1..255, got '%s'", x[1] ? x[1] : "");
                    ok = false;
                } else {
                    ep.id = (uint8_t)v;
                    x++;
                }
                continue;
            }
            size_t j = 0;
            while (j < G_N_ELEMENTS(words) && strcmp(*x, words[j].word))
                j++;
            if (j == G_N_ELEMENTS(words)) {
                *why = g_strdup_printf("'%s': expected signal, subflow, backup, fullmesh or id N",
                                       *x);
                ok = false;
            } else {
                ep.flags |= words[j].flag;
            }
        }
        g_strfreev(w);
        if (!ok)
            break;
        if (nw == 0) {
            *why = g_strdup("an empty endpoint (expected ADDR FLAG...)");
            ok = false;
        } else if (!(ep.flags & (MP_MPTCP_EP_SIGNAL | MP_MPTCP_EP_SUBFLOW))) {
            *why = g_strdup_printf("endpoint %zu: expected signal or subflow (or both)", k + 1);
            ok = false;
        } else if ((ep.flags & MP_MPTCP_EP_FULLMESH) && !(ep.flags & MP_MPTCP_EP_SUBFLOW)) {
            *why = g_strdup_printf("endpoint %zu: fullmesh needs subflow (as Linux)", k + 1);
            ok = false;
        } else if (k == max) {
            *why = g_strdup_printf("more than %zu endpoints", max);
            ok = false;
        } else {
            for (size_t i = 0; i < k && ok; i++) {
                if (mp_ip_eq(&out[i].addr, &ep.addr)) {
                    *why = g_strdup_printf("endpoint %zu: the address of endpoint %zu again",
                                           k + 1, i + 1);
                    ok = false;
                } else if (ep.id && out[i].id == ep.id) {
                    *why = g_strdup_printf("endpoint %zu: id %u is taken by endpoint %zu", k + 1,
                                           ep.id, i + 1);
                    ok = false;
                }
            }
            if (ok)
                out[k++] = ep;
        }
    }
    g_strfreev(entries);
    if (!ok)
        return false;
    /* Linux numbers the endpoints without an ID from 1 up, skipping those
     * taken. */
    uint8_t next = 1;
    for (size_t i = 0; i < k; i++) {
        if (out[i].id)
            continue;
        for (bool taken = true; taken;) {
            taken = false;
            for (size_t j = 0; j < k; j++)
                taken = taken || out[j].id == next;
            if (taken)
                next++;
        }
        out[i].id = next++;
    }
    *n = k;
    return true;
}

/* ---- endpoints at run time ---- */

static void addr_gone(struct mp_mptcp_sock *msk, const void *a, mp_time_t now)
{
    mp_mptcp_pm_withdraw(msk, a, now);
}

static int ep_index(const struct mp_mptcp_config *o, const struct mp_ip *a)
{
    for (size_t i = 0; i < o->n_endpoints; i++)
        if (mp_ip_eq(&o->endpoints[i].addr, a))
            return (int)i;
    return -1;
}

int mp_mptcp_endpoint_add(struct mp_mptcp_stack *st, const struct mp_mptcp_endpoint *ep,
                          mp_time_t now)
{
    struct mp_mptcp_config *o = &st->o;
    if (ep_index(o, &ep->addr) >= 0)
        return -EEXIST;
    if (o->n_endpoints == MP_MPTCP_MAX_ENDPOINTS)
        return -ENOSPC;
    struct mp_mptcp_endpoint e = *ep;
    for (size_t i = 0; i < o->n_endpoints; i++)
        if (e.id && o->endpoints[i].id == e.id)
            return -EEXIST;
    /* Linux: the lowest free ID. */
    for (uint8_t id = 1; !e.id; id++) {
        bool taken = false;
        for (size_t i = 0; i < o->n_endpoints; i++)
            taken = taken || o->endpoints[i].id == id;
        if (!taken)
            e.id = id;
    }
    o->endpoints[o->n_endpoints++] = e;
    for (guint i = 0; i < st->all->len; i++) {
        struct mp_mptcp_sock *msk = st->all->pdata[i];
        if (!msk->is_listener && !msk->dead && msk->pm == &mp_mptcp_pm_kernel &&
            msk->fully_established && !msk->fallback)
            k_host_addr_added(msk, &e.addr, now);
    }
    return 0;
}

int mp_mptcp_endpoint_del(struct mp_mptcp_stack *st, const struct mp_ip *a, mp_time_t now)
{
    struct mp_mptcp_config *o = &st->o;
    int at = ep_index(o, a);
    if (at < 0)
        return -ENOENT;
    memmove(&o->endpoints[at], &o->endpoints[at + 1],
            (o->n_endpoints - (size_t)at - 1) * sizeof(o->endpoints[0]));
    o->n_endpoints--;
    for (guint i = 0; i < st->all->len; i++) {
        struct mp_mptcp_sock *msk = st->all->pdata[i];
        /* The bits of the endpoints after it move down one. */
        uint32_t low = msk->pm_eps_used & ((1u << at) - 1u);
        msk->pm_eps_used = low | ((msk->pm_eps_used >> (at + 1)) << at);
    }
    mp_mptcp_pm_each(st, addr_gone, a, now);
    return 0;
}

int mp_mptcp_endpoint_change(struct mp_mptcp_stack *st, const struct mp_ip *a, bool backup,
                             mp_time_t now)
{
    struct mp_mptcp_config *o = &st->o;
    int at = ep_index(o, a);
    if (at < 0)
        return -ENOENT;
    if (backup)
        o->endpoints[at].flags |= MP_MPTCP_EP_BACKUP;
    else
        o->endpoints[at].flags &= ~(uint32_t)MP_MPTCP_EP_BACKUP;
    for (guint i = 0; i < st->all->len; i++) {
        struct mp_mptcp_sock *msk = st->all->pdata[i];
        if (!msk->is_listener && !msk->dead && !msk->fallback)
            mp_mptcp_pm_set_backup(msk, a, backup, now);
    }
    return 0;
}
