/*
 * afmp: MPTCP path managers: the registry and what every policy needs
 * (address IDs, opening a join, ADD_ADDR). One file per policy:
 * pm_<name>.c.
 *
 * ADD_ADDR (RFC 8684 3.4.1), as Linux: an announcement goes out on a pure
 * ACK (the DSS it would carry is left out to make room) with the truncated
 * HMAC of the sender's and the receiver's keys; it is sent again every
 * add_addr_timeout until the peer echoes it, at most three times more. A
 * received announcement with a bad HMAC is dropped (MPTcpExtAddAddrDrop);
 * a good one is echoed (E flag, no HMAC) whether or not the path manager
 * takes it, and taken only within the add_addr_accepted limit.
 */
#include <errno.h>
#include <string.h>

#include "model/net/addr.h"
#include "model/mptcp/crypto.h"
#include "model/mptcp/protocol.h"

static const struct mp_mptcp_pm_ops *const pms[] = {&mp_mptcp_pm_fullmesh, &mp_mptcp_pm_api,
                                                    &mp_mptcp_pm_kernel, &mp_mptcp_pm_ndiffports};

const struct mp_mptcp_pm_ops *mp_mptcp_pm_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(pms); i++)
        if (strcmp(pms[i]->name, name) == 0)
            return pms[i];
    /* "plugin:PATH": a policy loaded from a shared object. */
    return mp_mptcp_policy_pm(name);
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

bool mp_mptcp_pm_usable_local(const struct mp_ip *a)
{
    if (a->v == 4)
        return a->b[0] != 127;
    /* IPv6: not link-local (it needs a scope), not ::1. */
    static const uint8_t loop6[16] = {[15] = 1};
    return !(a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80) && memcmp(a->b, loop6, 16) != 0;
}

bool mp_mptcp_pm_first_addrs(const struct mp_mptcp_sock *msk, struct mp_endpoint *l,
                             struct mp_endpoint *r)
{
    if (!msk->first || !msk->first->ssk)
        return false;
    mp_tcp_endpoints(msk->first->ssk, l, r);
    return true;
}

int mp_mptcp_pm_open(struct mp_mptcp_sock *msk, const struct mp_ip *l,
                     const struct mp_mptcp_remote *r, bool backup, mp_time_t now)
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
    sf->backup = backup;
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
    /* Once per join, not per SYN sent (Linux counts at the connect). */
    MP_MPTCP_CTR(msk, MPTCP_MP_JOIN_SYN_TX);
    mp_mptcp_trace_sf(msk, sf, "join.connect", now);
    return 0;
}

/* ---- ADD_ADDR ---- */

/* A subflow to send a pure ACK on: the first one that is up. */
static struct mp_mptcp_subflow *signal_subflow(struct mp_mptcp_sock *msk)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->ssk && !sf->closed && sf->established &&
            mp_tcp_conn_state(sf->ssk) == MP_TCP_ESTABLISHED)
            return sf;
    }
    return NULL;
}

static void signal_kick(struct mp_mptcp_sock *msk, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = signal_subflow(msk);
    if (sf)
        mp_tcp_send_pure_ack(sf->ssk, now);
}

void mp_mptcp_signal_again(struct mp_mptcp_sock *msk)
{
    const struct mp_env *env = msk->st->env;
    msk->signal_kick_due = true;
    mp_env_deadline(env, &msk->dl, mp_env_now(env));
}

void mp_mptcp_pm_signal_kick(struct mp_mptcp_sock *msk, mp_time_t now)
{
    /* Per-subflow signals go on their own subflow's pure ACK. */
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->ssk && sf->established && (sf->prio_pending || sf->send_fail))
            mp_tcp_send_pure_ack(sf->ssk, now);
    }
    if (msk->rm_out.n || mp_mptcp_pm_signal_space(msk))
        signal_kick(msk, now);
}

static struct mp_mptcp_signal *signal_new(struct mp_mptcp_sock *msk)
{
    if (msk->nsignals == MP_MPTCP_MAX_ADDRS) {
        /* Room from settled ones: echoes sent, announcements echoed or
         * given up. */
        uint32_t k = 0;
        for (uint32_t i = 0; i < msk->nsignals; i++) {
            const struct mp_mptcp_signal *g = &msk->signals[i];
            bool live = g->pending || (!g->aa.echo && !g->echoed && g->resend_at != MP_TIME_NEVER);
            if (live)
                msk->signals[k++] = *g;
        }
        msk->nsignals = k;
        if (k == MP_MPTCP_MAX_ADDRS)
            return NULL;
    }
    struct mp_mptcp_signal *g = &msk->signals[msk->nsignals++];
    memset(g, 0, sizeof(*g));
    g->resend_at = MP_TIME_NEVER;
    return g;
}

int mp_mptcp_pm_announce(struct mp_mptcp_sock *msk, uint8_t id, const struct mp_ip *a,
                         mp_time_t now)
{
    for (uint32_t i = 0; i < msk->nsignals; i++) {
        const struct mp_mptcp_signal *g = &msk->signals[i];
        if (!g->aa.echo && g->aa.addr_id == id && mp_ip_eq(&g->aa.addr, a))
            return -EEXIST;
    }
    struct mp_mptcp_signal *g = signal_new(msk);
    if (!g)
        return -ENOSPC;
    g->aa.addr_id = id;
    g->aa.addr = *a;
    g->aa.has_hmac = true;
    g->pending = true;
    g->resend_at = now + msk->st->o.add_addr_timeout;
    msk->signal_at = MIN(msk->signal_at, g->resend_at);
    mp_env_deadline(msk->st->env, &msk->dl, msk->signal_at);
    signal_kick(msk, now);
    return 0;
}

static const struct mp_mptcp_signal *signal_next(const struct mp_mptcp_sock *msk)
{
    for (uint32_t i = 0; i < msk->nsignals; i++)
        if (msk->signals[i].pending)
            return &msk->signals[i];
    return NULL;
}

size_t mp_mptcp_pm_signal_space(const struct mp_mptcp_sock *msk)
{
    const struct mp_mptcp_signal *g = signal_next(msk);
    return g ? mp_mptcp_add_addr_len(&g->aa) : 0;
}

size_t mp_mptcp_pm_signal_write(struct mp_mptcp_sock *msk, uint8_t *buf, size_t len)
{
    struct mp_mptcp_signal *g = (struct mp_mptcp_signal *)signal_next(msk);
    if (!g)
        return 0;
    struct mp_mptcp_add_addr aa = g->aa;
    if (aa.has_hmac)
        aa.hmac64 = mp_mptcp_add_addr_hmac(msk->local_key, msk->remote_key, aa.addr_id, &aa.addr,
                                           aa.has_port ? aa.port : 0);
    size_t n = mp_mptcp_write_add_addr(buf, len, &aa);
    if (n) {
        g->pending = false;
        if (aa.echo)
            MP_MPTCP_CTR(msk, MPTCP_ECHO_ADD_TX);
        else
            MP_MPTCP_CTR(msk, MPTCP_ADD_ADDR_TX);
    }
    return n;
}

mp_time_t mp_mptcp_pm_signal_timer(struct mp_mptcp_sock *msk, mp_time_t now)
{
    mp_time_t next = MP_TIME_NEVER;
    bool kick = false, gave_up = false;
    for (uint32_t i = 0; i < msk->nsignals; i++) {
        struct mp_mptcp_signal *g = &msk->signals[i];
        if (g->aa.echo || g->echoed || g->resend_at == MP_TIME_NEVER)
            continue;
        if (now >= g->resend_at) {
            if (g->retrans >= MP_MPTCP_ADD_ADDR_RETRANS) {
                g->resend_at = MP_TIME_NEVER; /* Linux gives up silently */
                gave_up = true;
                continue;
            }
            g->retrans++;
            g->pending = kick = true;
            g->resend_at = now + msk->st->o.add_addr_timeout;
        }
        next = MIN(next, g->resend_at);
    }
    if (kick)
        signal_kick(msk, now);
    msk->signal_at = next;
    if (gave_up && msk->pm->signal_done)
        msk->pm->signal_done(msk, now);
    return msk->signal_at;
}

void mp_mptcp_pm_add_addr_input(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                                const struct mp_mptcp_add_addr *aa, mp_time_t now)
{
    if (aa->echo) {
        for (uint32_t i = 0; i < msk->nsignals; i++) {
            struct mp_mptcp_signal *g = &msk->signals[i];
            if (!g->aa.echo && g->aa.addr_id == aa->addr_id && mp_ip_eq(&g->aa.addr, &aa->addr)) {
                g->echoed = true;
                g->pending = false;
                g->resend_at = MP_TIME_NEVER;
            }
        }
        MP_MPTCP_CTR(msk, MPTCP_ECHO_ADD);
        if (msk->pm->signal_done)
            msk->pm->signal_done(msk, now);
        return;
    }
    uint64_t want = mp_mptcp_add_addr_hmac(msk->remote_key, msk->local_key, aa->addr_id,
                                           &aa->addr, aa->has_port ? aa->port : 0);
    if (!aa->has_hmac || aa->hmac64 != want || !msk->peer_key_known) {
        MP_MPTCP_CTR(msk, MPTCP_ADD_ADDR_DROP);
        return;
    }
    MP_MPTCP_CTR(msk, MPTCP_ADD_ADDR);
    /* The echo, taken or not (Linux echoes every valid announcement). */
    struct mp_mptcp_signal *g = signal_new(msk);
    if (g) {
        g->aa = *aa;
        g->aa.echo = true;
        g->aa.has_hmac = false;
        g->pending = true;
        mp_tcp_send_pure_ack(sf->ssk, now);
    }
    /* Taken within the limit; a retransmission of one taken is known
     * (-EEXIST). */
    struct mp_endpoint ep = {.ip = aa->addr, .port = aa->has_port ? aa->port : 0};
    struct mp_mptcp_remote *r;
    if (msk->add_addr_accepted >= msk->st->o.add_addr_accepted ||
        mp_mptcp_remote_insert(msk, &ep, aa->addr_id, &r) < 0)
        return;
    msk->add_addr_accepted++;
    if (msk->fallback)
        return;
    if (msk->pm->add_addr_received)
        msk->pm->add_addr_received(msk, r, now);
    else if (msk->pm->remote_added)
        msk->pm->remote_added(msk, r, now);
}

/* ---- REMOVE_ADDR (RFC 8684 3.4.2) and MP_PRIO (3.3.8) ---- */

/* The address ID this side uses for local address |a| (0 for the initial
 * subflow's), or -1 when it never used or announced it. */
static int local_id_of(const struct mp_mptcp_sock *msk, const struct mp_ip *a)
{
    for (uint32_t i = 0; i < msk->nlocal_ids; i++)
        if (mp_ip_eq(&msk->local_ids[i].addr, a))
            return msk->local_ids[i].id;
    for (uint32_t i = 0; i < msk->nsignals; i++) {
        const struct mp_mptcp_signal *g = &msk->signals[i];
        if (!g->aa.echo && mp_ip_eq(&g->aa.addr, a))
            return g->aa.addr_id;
    }
    return -1;
}

static void rm_queue(struct mp_mptcp_sock *msk, uint8_t id, mp_time_t now)
{
    struct mp_mptcp_remove_addr *rm = &msk->rm_out;
    for (uint8_t i = 0; i < rm->n; i++)
        if (rm->ids[i] == id)
            return;
    if (rm->n == MP_MPTCP_RM_IDS_MAX)
        return;
    rm->ids[rm->n++] = id;
    signal_kick(msk, now);
}

bool mp_mptcp_pm_withdraw(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now)
{
    if (msk->is_listener || msk->dead || msk->fallback || !msk->peer_key_known)
        return false;
    int id = local_id_of(msk, a);
    bool any = id >= 0;
    mp_mptcp_enter(msk);
    /* Announcements of it are forgotten (so that the address, should it
     * come back, is announced again). */
    uint32_t k = 0;
    for (uint32_t i = 0; i < msk->nsignals; i++) {
        const struct mp_mptcp_signal *g = &msk->signals[i];
        if (g->aa.echo || !mp_ip_eq(&g->aa.addr, a))
            msk->signals[k++] = *g;
    }
    msk->nsignals = k;
    /* Its subflows close (Linux's mptcp_pm_nl_rm_subflow_received:
     * MPTcpExtRmSubflow each). */
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!sf->ssk || sf->closed)
            continue;
        struct mp_endpoint le;
        mp_tcp_endpoints(sf->ssk, &le, NULL);
        if (!mp_ip_eq(&le.ip, a))
            continue;
        any = true;
        if (sf->established)
            MP_MPTCP_CTR(msk, MPTCP_RM_SUBFLOW);
        mp_mptcp_trace_sf(msk, sf, "subflow.removed", now);
        mp_mptcp_subflow_gone(msk, sf, 0, now);
    }
    if (id >= 0 && !msk->dead)
        rm_queue(msk, (uint8_t)id, now);
    mp_mptcp_leave(msk);
    return any;
}

void mp_mptcp_pm_rm_addr_input(struct mp_mptcp_sock *msk, const struct mp_mptcp_remove_addr *rm,
                               mp_time_t now)
{
    for (uint8_t k = 0; k < rm->n; k++) {
        uint8_t id = rm->ids[k];
        /* The address is no longer the peer's: forget it, so that no
         * path manager opens a subflow to it again. */
        for (uint32_t i = 0; i < msk->nremotes; i++) {
            if (msk->remotes[i].id != id)
                continue;
            memmove(&msk->remotes[i], &msk->remotes[i + 1],
                    (msk->nremotes - i - 1) * sizeof(msk->remotes[0]));
            msk->nremotes--;
            if (msk->add_addr_accepted)
                msk->add_addr_accepted--;
            break;
        }
        /* Its subflows close (Linux: MPTcpExtRmAddr each). */
        for (guint i = 0; i < msk->subflows->len; i++) {
            struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
            if (!sf->ssk || sf->closed || sf->remote_id != id || msk->dead)
                continue;
            MP_MPTCP_CTR(msk, MPTCP_RM_ADDR);
            mp_mptcp_trace_sf(msk, sf, "subflow.removed", now);
            mp_mptcp_subflow_gone(msk, sf, 0, now);
        }
    }
}

int mp_mptcp_pm_set_backup(struct mp_mptcp_sock *msk, const struct mp_ip *a, bool backup,
                           mp_time_t now)
{
    int n = 0;
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!sf->ssk || sf->closed || sf->refuse)
            continue;
        struct mp_endpoint le;
        mp_tcp_endpoints(sf->ssk, &le, NULL);
        if (!mp_ip_eq(&le.ip, a) || sf->backup == backup)
            continue;
        sf->backup = backup;
        n++;
        mp_mptcp_trace_sf(msk, sf, backup ? "prio.backup" : "prio.normal", now);
        /* A join still in its handshake says it in its SYN (B flag). */
        if (!sf->established || msk->fallback)
            continue;
        sf->prio_pending = true;
        mp_tcp_send_pure_ack(sf->ssk, now);
    }
    if (n)
        mp_mptcp_push_soon(msk, now);
    return n;
}

void mp_mptcp_pm_prio_input(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                            const struct mp_mptcp_prio *p, mp_time_t now)
{
    MP_MPTCP_CTR(msk, MPTCP_MP_PRIO_RX);
    if (sf->peer_backup == p->backup)
        return;
    sf->peer_backup = p->backup;
    mp_mptcp_trace_sf(msk, sf, p->backup ? "prio.peer_backup" : "prio.peer_normal", now);
    mp_mptcp_push_soon(msk, now);
}

/* ---- the host's addresses and endpoints ---- */

/* Every live connection of the stack, for |fn|; connections may die in
 * it, so the list is copied first. */
void mp_mptcp_pm_each(struct mp_mptcp_stack *st,
                      void (*fn)(struct mp_mptcp_sock *, const void *, mp_time_t), const void *arg,
                      mp_time_t now)
{
    GPtrArray *all = g_ptr_array_new();
    for (guint i = 0; i < st->all->len; i++) {
        struct mp_mptcp_sock *msk = st->all->pdata[i];
        if (msk->is_listener || msk->dead)
            continue;
        mp_mptcp_enter(msk);
        g_ptr_array_add(all, msk);
    }
    for (guint i = 0; i < all->len; i++) {
        struct mp_mptcp_sock *msk = all->pdata[i];
        if (!msk->dead)
            fn(msk, arg, now);
        mp_mptcp_leave(msk);
    }
    g_ptr_array_free(all, TRUE);
}

static void addr_gone(struct mp_mptcp_sock *msk, const void *arg, mp_time_t now)
{
    mp_mptcp_pm_withdraw(msk, arg, now);
}

static void addr_new(struct mp_mptcp_sock *msk, const void *arg, mp_time_t now)
{
    if (msk->fully_established && !msk->fallback && msk->pm->host_addr_added &&
        mp_mptcp_pm_usable_local(arg))
        msk->pm->host_addr_added(msk, arg, now);
}

void mp_mptcp_pm_host_event(void *arg, struct mp_host *h, const struct mp_host_event *ev)
{
    struct mp_mptcp_stack *st = arg;
    (void)h;
    mp_time_t now = mp_env_now(st->env);
    if (ev->kind == MP_HOST_ADDR_REMOVED)
        mp_mptcp_pm_each(st, addr_gone, &ev->addr.ip, now);
    else if (ev->kind == MP_HOST_ADDR_ADDED)
        mp_mptcp_pm_each(st, addr_new, &ev->addr.ip, now);
}
