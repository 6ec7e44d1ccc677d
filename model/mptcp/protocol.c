/*
 * afmp: the MPTCP connection ("msk", RFC 8684): the owner's calls, the
 * data-level send buffer and reassembly, DATA_ACK and DATA_FIN, the
 * connection-level receive window (RFC 8684 3.3.4), data-level
 * retransmission onto other subflows, fallback to TCP.
 *
 * Sending is pulled (DESIGN.md): the owner's bytes wait in the connection's
 * buffer; a subflow's TCP asks for a chunk when its windows open, and the
 * scheduler decides whether that subflow should have it. A chunk gets its
 * mapping (DSN, SSN, length) in the subflow's retransmission queue, so a
 * TCP retransmission repeats the mapping; when the data level stalls for an
 * RTO, the unacknowledged head is sent again on a subflow that is not
 * backing off (Linux's __mptcp_retrans), counted as MPTCPRetrans. With a
 * redundant scheduler (sched ops->also) every subflow it names carries
 * every byte: a subflow first catches up from max(its last DSN, the
 * DATA_ACK), then takes new data; the connection pushes those that lag.
 */
#include <errno.h>
#include <string.h>

#include "model/mptcp/crypto.h"
#include "model/mptcp/protocol.h"
#include "model/net/addr.h"
#include "model/trace.h"

#define MSK_RTO_MIN MP_MS(200)
#define MSK_RTO_MAX MP_S(60)
/* Linux TCP_TIMEWAIT_LEN: an orphaned connection that cannot finish its
 * DATA_FIN exchange is reset after this long. */
#define MSK_ORPHAN_TIMEOUT MP_S(60)

struct reinj {
    uint64_t dsn;
    uint32_t len;
};

void mp_mptcp_config_default(struct mp_mptcp_config *o)
{
    memset(o, 0, sizeof(*o));
    o->enabled = true;
    o->pm = "fullmesh";
    o->scheduler = "default";
    o->cc = "uncoupled";
    o->subflows = 2;          /* Linux MPTCP_PM_DEFAULT... max_subflows */
    o->add_addr_accepted = 0; /* Linux's default */
    o->checksum = false;      /* net.mptcp.checksum_enabled = 0 */
    o->allow_join_initial_addr_port = true;
    o->ndiffports = 2;               /* the v0.9x kernels' num_subflows */
    o->add_addr_timeout = MP_S(120); /* net.mptcp.add_addr_timeout */
    o->stale_loss_cnt = 4;           /* net.mptcp.stale_loss_cnt */
}

/* ---- the stack ---- */

static mp_time_t msk_expire(void *obj, mp_time_t now);

struct mp_mptcp_stack *mp_mptcp_attach(struct mp_host *h, const struct mp_mptcp_config *o)
{
    struct mp_mptcp_config c;
    if (o)
        c = *o;
    else
        mp_mptcp_config_default(&c);
    const struct mp_mptcp_pm_ops *pm = mp_mptcp_pm_find(c.pm ? c.pm : "fullmesh");
    const struct mp_mptcp_sched_ops *sched =
        mp_mptcp_sched_find(c.scheduler ? c.scheduler : "default");
    const struct mp_mptcp_cc_ops *cc = mp_mptcp_cc_find(c.cc ? c.cc : "uncoupled");
    if (!pm || !sched || !cc || !mp_tcp_stack_of(h))
        return NULL;
    struct mp_mptcp_stack *st = g_new0(struct mp_mptcp_stack, 1);
    st->h = h;
    st->env = h->env;
    st->o = c;
    st->pm = pm;
    st->sched = sched;
    st->cc = cc;
    char *name = g_strdup_printf("host/%s/mptcp/keys", h->name);
    mp_env_rng(h->env, name, &st->rng);
    g_free(name);
    st->tokens = mp_mptcp_tokens_new();
    st->all = g_ptr_array_new();
    st->next_id = 1;
    h->mptcp = st;
    /* Addresses that come and go (the path managers follow them). */
    mp_host_listen(h, mp_mptcp_pm_host_event, st);
    return st;
}

struct mp_mptcp_stack *mp_mptcp_stack_of(struct mp_host *h)
{
    return h ? h->mptcp : NULL;
}

const struct mp_mptcp_config *mp_mptcp_stack_config(const struct mp_mptcp_stack *st)
{
    return &st->o;
}

static void msk_free(struct mp_mptcp_sock *msk)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->cbuf)
            g_byte_array_free(sf->cbuf, TRUE);
        g_free(sf->maps);
        g_free(sf);
    }
    g_ptr_array_free(msk->subflows, TRUE);
    g_queue_clear(&msk->acceptq);
    g_array_free(msk->reinject, TRUE);
    g_byte_array_free(msk->rcvq, TRUE);
    mp_reass_clear(&msk->ofo);
    if (msk->sb_ok)
        mp_sndbuf_clear(&msk->sb);
    g_free(msk);
}

void mp_mptcp_detach(struct mp_mptcp_stack *st)
{
    if (!st)
        return;
    /* The TCP connections go with mp_tcp_detach(); only our state here. */
    for (guint i = 0; i < st->all->len; i++) {
        struct mp_mptcp_sock *msk = st->all->pdata[i];
        mp_env_deadline_stop(st->env, &msk->dl);
        msk_free(msk);
    }
    g_ptr_array_free(st->all, TRUE);
    mp_mptcp_tokens_free(st->tokens);
    mp_host_unlisten(st->h, mp_mptcp_pm_host_event, st);
    if (st->h->mptcp == st)
        st->h->mptcp = NULL;
    g_free(st);
}

/* ---- life of a connection ---- */

struct mp_mptcp_sock *mp_mptcp_sock_new(struct mp_mptcp_stack *st, const struct mp_tcp_opts *o)
{
    struct mp_mptcp_sock *msk = g_new0(struct mp_mptcp_sock, 1);
    msk->st = st;
    msk->id = st->next_id++;
    msk->state = MP_TCP_CLOSED;
    struct mp_tcp_opts d;
    mp_tcp_opts_default(&d);
    if (o) {
        msk->topts = *o;
        msk->has_topts = true;
    } else {
        msk->topts = d;
    }
    /* Connection-level buffers: the subflows' maxima (Linux autotunes the
     * msk's too; afmp gives it the ceiling at once). */
    const struct mp_tcp_opts *to = &msk->topts;
    msk->sndbuf_max = st->o.sndbuf ? st->o.sndbuf : to->sndbuf_lock ? to->sndbuf : to->wmem[2];
    msk->rcvbuf = st->o.rcvbuf ? st->o.rcvbuf : to->rcvbuf_lock ? to->rcvbuf : to->rmem[2];
    msk->subflows = g_ptr_array_new();
    g_queue_init(&msk->acceptq);
    msk->reinject = g_array_new(FALSE, FALSE, sizeof(struct reinj));
    msk->rcvq = g_byte_array_new();
    mp_reass_init(&msk->ofo, msk->rcvbuf);
    mp_deadline_init(&msk->dl, msk_expire, msk);
    msk->rtx_at = msk->orphan_at = msk->race_at = msk->signal_at = MP_TIME_NEVER;
    msk->pm = st->pm;
    msk->allow_inf_fallback = true;
    g_ptr_array_add(st->all, msk);
    return msk;
}

static void msk_unlink(struct mp_mptcp_sock *msk)
{
    if (msk->dead)
        return;
    msk->dead = true;
    mp_env_deadline_stop(msk->st->env, &msk->dl);
    msk->rtx_at = msk->orphan_at = msk->signal_at = MP_TIME_NEVER;
    if (msk->token_hashed) {
        mp_mptcp_token_remove(msk->st->tokens, msk->local_token);
        msk->token_hashed = false;
    }
    g_ptr_array_remove(msk->st->all, msk);
    if (msk->busy == 0 && !msk->owned)
        msk_free(msk);
}

void mp_mptcp_enter(struct mp_mptcp_sock *msk)
{
    msk->busy++;
}

void mp_mptcp_leave(struct mp_mptcp_sock *msk)
{
    if (--msk->busy == 0 && msk->dead && !msk->owned)
        msk_free(msk);
}

static bool all_subflows_gone(const struct mp_mptcp_sock *msk)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->ssk)
            return false;
    }
    return true;
}

/* The connection ends with |err| (0: orderly): the owner learns it. */
static void msk_done(struct mp_mptcp_sock *msk, int err, mp_time_t now)
{
    if (msk->state == MP_TCP_CLOSED && msk->dead)
        return;
    if (err && !msk->err)
        msk->err = err;
    msk->state = MP_TCP_CLOSED;
    msk->rtx_at = MP_TIME_NEVER;
    if (msk->owned && msk->cbs.closed)
        msk->cbs.closed(msk->cbs.arg, msk, err, now);
    if (!msk->owned && all_subflows_gone(msk))
        msk_unlink(msk);
}

void mp_mptcp_done(struct mp_mptcp_sock *msk, int err, mp_time_t now)
{
    msk_done(msk, err, now);
}

int mp_mptcp_new_key(struct mp_mptcp_sock *msk)
{
    int rc = mp_mptcp_token_new(msk->st->tokens, &msk->st->rng, msk, &msk->local_key,
                                &msk->local_token, &msk->local_idsn);
    if (rc < 0)
        return rc;
    msk->token_hashed = true;
    msk->snd_una = msk->snd_nxt = msk->write_seq = msk->local_idsn + 1;
    msk->wnd_end = msk->snd_una;
    mp_sndbuf_init(&msk->sb, (uint32_t)msk->snd_una, msk->sndbuf_max);
    msk->sb_ok = true;
    return 0;
}

void mp_mptcp_set_remote_key(struct mp_mptcp_sock *msk, uint64_t key)
{
    if (msk->peer_key_known)
        return;
    msk->remote_key = key;
    mp_mptcp_key_derive(key, &msk->remote_token, &msk->remote_idsn);
    msk->rcv_nxt = msk->remote_idsn + 1;
    msk->peer_key_known = true;
}

uint64_t mp_mptcp_expand_seq(uint64_t ref, uint32_t v)
{
    /* The 64-bit value whose low 32 bits are |v| nearest to |ref|. */
    uint64_t cand = (ref & ~(uint64_t)0xffffffffu) | v;
    int32_t d = (int32_t)(v - (uint32_t)ref);
    if (d > 0 && cand < ref)
        cand += (uint64_t)1 << 32;
    else if (d < 0 && cand > ref)
        cand -= (uint64_t)1 << 32;
    return cand;
}

void mp_mptcp_trace_sf(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, const char *ev,
                       mp_time_t now)
{
    const struct mp_env *env = msk->st->env;
    if (!mp_env_tracing(env, MP_TRACE_MPTCP))
        return;
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, msk->st->h->name, "mptcp.subflow");
    mp_trace_u64(&r, "msk", msk->id);
    mp_trace_u64(&r, "sf", sf->id);
    mp_trace_str(&r, "event", ev);
    if (sf->ssk) {
        struct mp_endpoint l, rm;
        mp_tcp_endpoints(sf->ssk, &l, &rm);
        mp_trace_ip(&r, "local", &l.ip);
        mp_trace_u64(&r, "lport", l.port);
        mp_trace_ip(&r, "remote", &rm.ip);
        mp_trace_u64(&r, "rport", rm.port);
        mp_trace_u64(&r, "conn", mp_tcp_conn_id(sf->ssk));
    }
    mp_trace_str(&r, "kind", sf->kind == MP_SF_MPC ? "mp_capable" : "mp_join");
    mp_trace_u64(&r, "local_id", sf->local_id);
    mp_trace_u64(&r, "remote_id", sf->remote_id);
    mp_trace_bool(&r, "backup", sf->backup);
    if (sf->rst_reason)
        mp_trace_str(&r, "rst_reason", mp_mptcp_rst_reason_name(sf->rst_reason));
    mp_trace_end(&r, env);
}

void mp_mptcp_subflow_up(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, mp_time_t now)
{
    /* Our own joins count once the peer took them (join_established in
     * subflow.c): one refused at its third ACK never carried data. */
    if (sf->kind != MP_SF_JOIN || sf->passive)
        msk->subflows_total++;
    if (msk->st->cc->subflow_init)
        msk->st->cc->subflow_init(msk, sf);
    mp_mptcp_trace_sf(msk, sf, "subflow.established", now);
}

static void trace_msk(struct mp_mptcp_sock *msk, const char *ev, mp_time_t now)
{
    const struct mp_env *env = msk->st->env;
    if (!mp_env_tracing(env, MP_TRACE_MPTCP))
        return;
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, msk->st->h->name, "mptcp.conn");
    mp_trace_u64(&r, "msk", msk->id);
    mp_trace_str(&r, "event", ev);
    mp_trace_str(&r, "state", mp_tcp_state_name(msk->state));
    mp_trace_bool(&r, "fallback", msk->fallback);
    if (msk->token_hashed || msk->local_token) {
        mp_trace_u64(&r, "local_token", msk->local_token);
        mp_trace_u64(&r, "local_key", msk->local_key);
    }
    if (msk->peer_key_known) {
        mp_trace_u64(&r, "remote_token", msk->remote_token);
        mp_trace_u64(&r, "remote_key", msk->remote_key);
    }
    mp_trace_end(&r, env);
}

void mp_mptcp_trace_msk(struct mp_mptcp_sock *msk, const char *ev, mp_time_t now)
{
    trace_msk(msk, ev, now);
}

/* ---- connect, listen, accept ---- */

/* The local address a new subflow towards |r| starts from: one the owner
 * bound of the same family, else none (the route's source). */
static const struct mp_ip *bound_for(const struct mp_mptcp_sock *msk, const struct mp_ip *r)
{
    for (uint32_t i = 0; i < msk->nbound; i++)
        if (msk->bound[i].v == r->v)
            return &msk->bound[i];
    return NULL;
}

static void trace_race(struct mp_mptcp_sock *msk, const char *ev, const struct mp_endpoint *r,
                       mp_time_t now)
{
    const struct mp_env *env = msk->st->env;
    if (!mp_env_tracing(env, MP_TRACE_MPTCP))
        return;
    struct mp_trace_rec rec;
    mp_trace_begin(&rec, now, msk->st->h->name, "mptcp.race");
    mp_trace_u64(&rec, "msk", msk->id);
    mp_trace_str(&rec, "event", ev);
    mp_trace_ip(&rec, "remote", &r->ip);
    mp_trace_u64(&rec, "rport", r->port);
    mp_trace_u64(&rec, "since_connect", now - msk->race_start);
    mp_trace_end(&rec, env);
}

/* Starts the initial-subflow attempt to remote |idx| (RFC 8305 racing). */
static int start_attempt(struct mp_mptcp_sock *msk, uint32_t idx, mp_time_t now)
{
    struct mp_mptcp_stack *st = msk->st;
    const struct mp_endpoint *r = &msk->remotes[idx].ep;
    struct mp_mptcp_subflow *sf = mp_mptcp_subflow_new(msk, NULL, MP_SF_MPC, false);
    sf->remote_ep = *r;
    struct mp_tcp_cbs tcbs;
    mp_mptcp_subflow_cbs(sf, &tcbs);
    struct mp_endpoint le = {.port = msk->lport};
    const struct mp_ip *l = bound_for(msk, &r->ip);
    if (l)
        le.ip = *l;
    int rc = mp_tcp_connect_ext(mp_tcp_stack_of(st->h), &le, r,
                                msk->has_topts ? &msk->topts : NULL, &tcbs,
                                msk->fallback ? &mp_mptcp_fallback_ext : &mp_mptcp_subflow_ext,
                                sf, &sf->ssk, now);
    if (rc < 0) {
        sf->ssk = NULL;
        sf->closed = true;
        trace_race(msk, "unreachable", r, now);
        return rc;
    }
    msk->attempts++;
    trace_race(msk, "attempt", r, now);
    return 0;
}

/* Starts attempts until one is under way, from remote |msk->race_next|;
 * arms the next one's start. Returns the last error when none could
 * start. */
static int race_next(struct mp_mptcp_sock *msk, mp_time_t now)
{
    int rc = -EHOSTUNREACH;
    while (msk->race_next < msk->nremotes) {
        rc = start_attempt(msk, msk->race_next++, now);
        if (rc == 0)
            break;
    }
    msk->race_at = msk->race_next < msk->nremotes ? now + MP_MPTCP_RACE_DELAY : MP_TIME_NEVER;
    if (msk->race_at != MP_TIME_NEVER)
        mp_env_deadline(msk->st->env, &msk->dl, msk->race_at);
    return rc;
}

int mp_mptcp_connect_multi(struct mp_mptcp_stack *st, const struct mp_ip *locals, size_t nlocal,
                           uint16_t lport, const struct mp_endpoint *remotes, size_t n,
                           const struct mp_tcp_opts *o, const char *pm,
                           const struct mp_mptcp_cbs *cbs, struct mp_mptcp_sock **out,
                           mp_time_t now)
{
    if (n == 0)
        return -EINVAL;
    const struct mp_mptcp_pm_ops *pmo = pm ? mp_mptcp_pm_find(pm) : st->pm;
    if (!pmo)
        return -ENOENT;
    struct mp_mptcp_sock *msk = mp_mptcp_sock_new(st, o);
    msk->owned = true;
    msk->pm = pmo;
    if (cbs)
        msk->cbs = *cbs;
    if (mp_mptcp_new_key(msk) < 0) {
        msk->owned = false;
        msk_unlink(msk);
        return -ENOBUFS;
    }
    if (!st->o.enabled)
        msk->fallback = true;
    msk->csum = st->o.checksum;
    for (size_t i = 0; i < nlocal && msk->nbound < MP_MPTCP_MAX_ADDRS; i++)
        msk->bound[msk->nbound++] = locals[i];
    msk->lport = lport;
    for (size_t i = 0; i < n && msk->nremotes < MP_MPTCP_MAX_ADDRS; i++) {
        msk->remotes[msk->nremotes].ep = remotes[i];
        msk->remotes[msk->nremotes].id = (uint8_t)msk->nremotes;
        msk->nremotes++;
    }
    msk->state = MP_TCP_SYN_SENT;
    msk->race_start = now;
    mp_mptcp_enter(msk);
    int rc = race_next(msk, now);
    if (rc < 0) {
        msk->owned = false;
        msk_unlink(msk);
        mp_mptcp_leave(msk);
        return rc;
    }
    trace_msk(msk, "connect", now);
    *out = msk;
    mp_mptcp_leave(msk);
    return 0;
}

int mp_mptcp_connect(struct mp_mptcp_stack *st, const struct mp_endpoint *local,
                     const struct mp_endpoint *remote, const struct mp_tcp_opts *o,
                     const struct mp_mptcp_cbs *cbs, struct mp_mptcp_sock **out, mp_time_t now)
{
    bool bound = local && local->ip.v && !mp_ip_is_unspecified(&local->ip);
    return mp_mptcp_connect_multi(st, bound ? &local->ip : NULL, bound ? 1 : 0,
                                  local ? local->port : 0, remote, 1, o, NULL, cbs, out, now);
}

void mp_mptcp_race_won(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, mp_time_t now)
{
    msk->first = sf;
    /* The winner's remote becomes address 0 (the initial subflow's). */
    for (uint32_t i = 1; i < msk->nremotes; i++) {
        if (mp_ip_eq(&msk->remotes[i].ep.ip, &sf->remote_ep.ip) &&
            msk->remotes[i].ep.port == sf->remote_ep.port) {
            struct mp_mptcp_remote t = msk->remotes[0];
            msk->remotes[0] = msk->remotes[i];
            msk->remotes[i] = t;
            msk->remotes[0].id = 0;
            msk->remotes[i].id = (uint8_t)i;
            break;
        }
    }
    struct mp_endpoint le;
    mp_tcp_endpoints(sf->ssk, &le, NULL);
    msk->local_ids[0].addr = le.ip;
    msk->local_ids[0].id = 0;
    msk->nlocal_ids = 1;
    msk->next_local_id = 1;
    msk->race_at = MP_TIME_NEVER;
    msk->race_next = msk->nremotes;
    trace_race(msk, "won", &sf->remote_ep, now);
    /* The other attempts lose (RFC 8305 6: cancel them). */
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *o = msk->subflows->pdata[i];
        if (o == sf || o->kind != MP_SF_MPC || !o->ssk)
            continue;
        struct mp_tcp_conn *ssk = o->ssk;
        o->ssk = NULL;
        o->closed = true;
        trace_race(msk, "cancelled", &o->remote_ep, now);
        mp_tcp_abort(ssk, now);
    }
}

static void listener_accept_ready(void *arg, struct mp_tcp_conn *l, mp_time_t now)
{
    struct mp_mptcp_sock *lmsk = arg;
    struct mp_tcp_conn *child;
    bool any = false;
    while ((child = mp_tcp_accept(l))) {
        struct mp_mptcp_subflow *sf = mp_tcp_ext_arg(child);
        if (!sf) {
            mp_tcp_abort(child, now);
            continue;
        }
        struct mp_mptcp_sock *msk = sf->msk;
        sf->established = true;
        mp_mptcp_subflow_up(msk, sf, now);
        msk->state = mp_tcp_conn_state(child) == MP_TCP_CLOSE_WAIT ? MP_TCP_CLOSE_WAIT
                                                                     : MP_TCP_ESTABLISHED;
        struct mp_endpoint le, re;
        mp_tcp_endpoints(child, &le, &re);
        msk->local_ids[0].addr = le.ip;
        msk->nlocal_ids = 1;
        msk->next_local_id = 1;
        msk->remotes[0].ep = re;
        msk->nremotes = 1;
        if (!msk->fallback)
            msk->wnd_end = msk->snd_una + mp_tcp_snd_wnd(child);
        trace_msk(msk, "accepted", now);
        g_queue_push_tail(&lmsk->acceptq, msk);
        msk->accept_queued = true;
        any = true;
    }
    if (any && lmsk->owned && lmsk->cbs.accept_ready)
        lmsk->cbs.accept_ready(lmsk->cbs.arg, lmsk, now);
}

int mp_mptcp_listen(struct mp_mptcp_stack *st, const struct mp_endpoint *local, int backlog,
                    const struct mp_tcp_opts *o, const struct mp_mptcp_cbs *cbs,
                    struct mp_mptcp_sock **out)
{
    /* Linux with net.mptcp.enabled = 0: no MPTCP sockets at all. */
    if (!st->o.enabled)
        return -ENOPROTOOPT;
    struct mp_mptcp_sock *lmsk = mp_mptcp_sock_new(st, o);
    lmsk->owned = true;
    lmsk->is_listener = true;
    if (cbs)
        lmsk->cbs = *cbs;
    struct mp_tcp_cbs tcbs = {.accept_ready = listener_accept_ready, .arg = lmsk};
    int rc = mp_tcp_listen(mp_tcp_stack_of(st->h), local, backlog, o, &tcbs, &lmsk->lssk);
    if (rc < 0) {
        lmsk->owned = false;
        msk_unlink(lmsk);
        return rc;
    }
    mp_tcp_set_ext(lmsk->lssk, &mp_mptcp_listener_ext, lmsk);
    lmsk->state = MP_TCP_LISTEN;
    *out = lmsk;
    return 0;
}

int mp_mptcp_listen_more(struct mp_mptcp_sock *l, const struct mp_endpoint *local, int backlog)
{
    if (!l->is_listener || !l->lssk)
        return -EINVAL;
    if (l->nlssk_more == G_N_ELEMENTS(l->lssk_more))
        return -ENOSPC;
    struct mp_tcp_cbs tcbs = {.accept_ready = listener_accept_ready, .arg = l};
    struct mp_tcp_conn *c;
    int rc = mp_tcp_listen(mp_tcp_stack_of(l->st->h), local, backlog,
                           l->has_topts ? &l->topts : NULL, &tcbs, &c);
    if (rc < 0)
        return rc;
    mp_tcp_set_ext(c, &mp_mptcp_listener_ext, l);
    l->lssk_more[l->nlssk_more++] = c;
    return 0;
}

struct mp_mptcp_sock *mp_mptcp_accept(struct mp_mptcp_sock *l)
{
    struct mp_mptcp_sock *msk = g_queue_pop_head(&l->acceptq);
    if (!msk)
        return NULL;
    msk->accept_queued = false;
    msk->parent = NULL;
    msk->owned = true;
    return msk;
}

size_t mp_mptcp_accept_pending(const struct mp_mptcp_sock *l)
{
    return g_queue_get_length((GQueue *)&l->acceptq);
}

void mp_mptcp_set_cbs(struct mp_mptcp_sock *msk, const struct mp_mptcp_cbs *cbs)
{
    if (cbs)
        msk->cbs = *cbs;
    else
        memset(&msk->cbs, 0, sizeof(msk->cbs));
}

/* An empty extension table: the subflow runs as plain TCP but TCP keeps
 * its pointer, so the connection still finds its subflow. */
const struct mp_tcp_ext mp_mptcp_fallback_ext = {0};

void mp_mptcp_do_fallback(struct mp_mptcp_sock *msk, enum mp_ctr why, mp_time_t now)
{
    if (msk->fallback)
        return;
    if (why != MP_CTR__COUNT)
        mp_ctr_inc(&msk->st->h->ctr, why);
    msk->fallback = true;
    msk->fallback_due = false;
    /* TCP retransmits what it holds; nothing more at the data level. */
    msk->rtx_at = MP_TIME_NEVER;
    g_array_set_size(msk->reinject, 0);
    struct mp_mptcp_subflow *sf = msk->first;
    if (sf && sf->ssk)
        mp_tcp_set_ext(sf->ssk, &mp_mptcp_fallback_ext, sf);
    /* Joins still in their handshake cannot be part of a TCP connection. */
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *o = msk->subflows->pdata[i];
        if (o != sf && o->ssk) {
            struct mp_tcp_conn *ssk = o->ssk;
            o->ssk = NULL;
            o->closed = true;
            mp_tcp_abort(ssk, now);
        }
    }
    mp_mptcp_fallback_drain(msk, now);
    trace_msk(msk, "fallback", now);
}

bool mp_mptcp_fallback_drain(struct mp_mptcp_sock *msk, mp_time_t now)
{
    struct mp_tcp_conn *ssk = msk->first ? msk->first->ssk : NULL;
    if (!ssk)
        return true;
    /* Bytes the owner wrote that MPTCP never sent go to TCP first, in
     * order, as TCP's buffer takes them (TCP already holds what subflows
     * pulled: the same stream). */
    uint8_t buf[4096];
    while (msk->sb_ok && msk->snd_nxt != msk->write_seq) {
        size_t n = (size_t)MIN((uint64_t)sizeof(buf), msk->write_seq - msk->snd_nxt);
        if (mp_sndbuf_peek(&msk->sb, (uint32_t)msk->snd_nxt, buf, n) < 0)
            break;
        ssize_t k = mp_tcp_send(ssk, buf, n, now);
        if (k <= 0)
            return false; /* TCP calls writable when it has room */
        msk->snd_nxt += (uint64_t)k;
    }
    if (msk->wr_shut && !msk->fallback_fin) {
        msk->fallback_fin = true;
        mp_tcp_shutdown_wr(ssk, now);
    }
    return true;
}

void mp_mptcp_first_established(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (msk->state != MP_TCP_SYN_SENT)
        return;
    msk->state = msk->wr_shut ? MP_TCP_FIN_WAIT_1 : MP_TCP_ESTABLISHED;
    if (!msk->fallback && msk->first && msk->first->ssk)
        msk->wnd_end = msk->snd_una + mp_tcp_snd_wnd(msk->first->ssk);
    trace_msk(msk, "established", now);
    if (msk->owned && msk->cbs.connected)
        msk->cbs.connected(msk->cbs.arg, msk, now);
    if (!msk->fallback)
        mp_mptcp_push(msk, now);
}

void mp_mptcp_fully_established(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (msk->fully_established)
        return;
    msk->fully_established = true;
    trace_msk(msk, "fully_established", now);
    /* Linux: the in-kernel path manager acts once the connection is fully
     * established, on both sides (a passive side announces addresses; most
     * policies open subflows on the active side only). */
    if (msk->first && msk->pm->established)
        msk->pm->established(msk, now);
}

int mp_mptcp_remote_insert(struct mp_mptcp_sock *msk, const struct mp_endpoint *remote, int id,
                           struct mp_mptcp_remote **out)
{
    struct mp_endpoint ep = *remote;
    if (ep.port == 0 && msk->nremotes)
        ep.port = msk->remotes[0].ep.port;
    for (uint32_t i = 0; i < msk->nremotes; i++)
        if (mp_ip_eq(&msk->remotes[i].ep.ip, &ep.ip) && msk->remotes[i].ep.port == ep.port)
            return -EEXIST;
    if (msk->nremotes == MP_MPTCP_MAX_ADDRS)
        return -ENOSPC;
    if (id < 0) {
        /* Address IDs stay unique when addresses were dropped before. */
        id = 0;
        for (uint32_t i = 0; i < msk->nremotes; i++)
            id = MAX(id, msk->remotes[i].id + 1);
    }
    struct mp_mptcp_remote *r = &msk->remotes[msk->nremotes++];
    r->ep = ep;
    r->id = (uint8_t)id;
    *out = r;
    return 0;
}

int mp_mptcp_add_remote(struct mp_mptcp_sock *msk, const struct mp_endpoint *remote,
                        mp_time_t now)
{
    if (msk->is_listener)
        return -ENOTCONN;
    struct mp_mptcp_remote *r;
    int rc = mp_mptcp_remote_insert(msk, remote, -1, &r);
    if (rc < 0)
        return rc;
    if (msk->fully_established && !msk->fallback && msk->pm->remote_added)
        msk->pm->remote_added(msk, r, now);
    return 0;
}

int mp_mptcp_add_local(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now)
{
    if (msk->is_listener)
        return -ENOTCONN;
    for (uint32_t i = 0; i < msk->nbound; i++)
        if (mp_ip_eq(&msk->bound[i], a))
            return -EEXIST;
    if (msk->nbound == MP_MPTCP_MAX_ADDRS)
        return -ENOSPC;
    msk->bound[msk->nbound++] = *a;
    if (msk->fully_established && !msk->fallback && msk->pm->local_added)
        msk->pm->local_added(msk, a, now);
    return 0;
}

int mp_mptcp_remove_local(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now)
{
    if (msk->is_listener)
        return -ENOTCONN;
    bool known = false;
    for (uint32_t i = 0; i < msk->nbound; i++) {
        if (mp_ip_eq(&msk->bound[i], a)) {
            memmove(&msk->bound[i], &msk->bound[i + 1], (msk->nbound - i - 1) * sizeof(*a));
            msk->nbound--;
            known = true;
            break;
        }
    }
    uint32_t on = 0, off = 0;
    for (guint i = 0; i < msk->subflows->len; i++) {
        const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!sf->ssk || sf->closed)
            continue;
        struct mp_endpoint le;
        mp_tcp_endpoints(sf->ssk, &le, NULL);
        if (mp_ip_eq(&le.ip, a))
            on++;
        else if (sf->established)
            off++;
    }
    if (!known && !on)
        return -EADDRNOTAVAIL;
    if (on && !off) {
        if (known)
            msk->bound[msk->nbound++] = *a; /* put back: nothing changes */
        return -EINVAL;
    }
    if (msk->nremoved < MP_MPTCP_MAX_ADDRS)
        msk->removed[msk->nremoved++] = *a;
    /* Its subflows close and the peer gets REMOVE_ADDR. */
    mp_mptcp_pm_withdraw(msk, a, now);
    return 0;
}

bool mp_mptcp_local_removed(const struct mp_mptcp_sock *msk, const struct mp_ip *a)
{
    for (uint32_t i = 0; i < msk->nremoved; i++)
        if (mp_ip_eq(&msk->removed[i], a))
            return true;
    return false;
}

static void add_unique(struct mp_endpoint *v, size_t *n, size_t max, const struct mp_endpoint *e)
{
    for (size_t i = 0; i < *n; i++)
        if (mp_ip_eq(&v[i].ip, &e->ip) && v[i].port == e->port)
            return;
    if (*n < max)
        v[(*n)++] = *e;
}

void mp_mptcp_addr_lists(const struct mp_mptcp_sock *msk, struct mp_endpoint *local, size_t *nl,
                         struct mp_endpoint *remote, size_t *nr, size_t n)
{
    *nl = *nr = 0;
    if (msk->is_listener) {
        struct mp_endpoint le;
        if (msk->lssk) {
            mp_tcp_endpoints(msk->lssk, &le, NULL);
            add_unique(local, nl, n, &le);
        }
        for (uint32_t i = 0; i < msk->nlssk_more; i++) {
            mp_tcp_endpoints(msk->lssk_more[i], &le, NULL);
            add_unique(local, nl, n, &le);
        }
        return;
    }
    /* The first subflow first, then the others in the order they came. */
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < msk->subflows->len; i++) {
            const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
            if ((pass == 0) != (sf == msk->first))
                continue;
            if (!sf->ssk || sf->closed || !sf->established || sf->refuse)
                continue;
            struct mp_endpoint le, re;
            mp_tcp_endpoints(sf->ssk, &le, &re);
            add_unique(local, nl, n, &le);
            add_unique(remote, nr, n, &re);
        }
    }
    if (*nl || msk->state != MP_TCP_SYN_SENT)
        return;
    for (uint32_t i = 0; i < msk->nbound; i++) {
        struct mp_endpoint le = {.ip = msk->bound[i], .port = msk->lport};
        add_unique(local, nl, n, &le);
    }
    for (uint32_t i = 0; i < msk->nremotes; i++)
        add_unique(remote, nr, n, &msk->remotes[i].ep);
}

void mp_mptcp_drop_remote(struct mp_mptcp_sock *msk, const struct mp_endpoint *ep,
                          const char *why, mp_time_t now)
{
    for (uint32_t i = 0; i < msk->nremotes; i++) {
        if (!mp_ip_eq(&msk->remotes[i].ep.ip, &ep->ip) || msk->remotes[i].ep.port != ep->port)
            continue;
        memmove(&msk->remotes[i], &msk->remotes[i + 1],
                (msk->nremotes - i - 1) * sizeof(msk->remotes[0]));
        msk->nremotes--;
        MP_MPTCP_CTR(msk, MPTCP_ADDR_IGNORED);
        trace_race(msk, why, ep, now);
        return;
    }
}

/* ---- sending ---- */

static uint64_t msk_rto(const struct mp_mptcp_sock *msk)
{
    /* The largest RTO among subflows that are not backing off (Linux takes
     * the subflows' timeouts); 200 ms at least. */
    mp_time_t rto = 0, any = 0;
    for (guint i = 0; i < msk->subflows->len; i++) {
        const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!sf->ssk || !sf->established)
            continue;
        uint32_t backoff = mp_tcp_backoff(sf->ssk);
        mp_time_t srto = mp_tcp_rto(sf->ssk);
        any = MAX(any, backoff ? srto >> MIN(backoff, 16u) : srto);
        if (!backoff)
            rto = MAX(rto, srto);
    }
    if (!rto)
        rto = any;
    return MAX(rto, MSK_RTO_MIN);
}

static void arm_rtx(struct mp_mptcp_sock *msk, mp_time_t now, bool restart)
{
    bool outstanding = msk->snd_una != msk->snd_nxt ||
                       (msk->data_fin_sent && !msk->data_fin_acked);
    if (!outstanding || msk->fallback) {
        msk->rtx_at = MP_TIME_NEVER;
        msk->rtx_backoff = 0;
        return;
    }
    if (!restart && msk->rtx_at != MP_TIME_NEVER)
        return;
    mp_time_t rto = msk_rto(msk) << MIN(msk->rtx_backoff, 10u);
    msk->rtx_at = now + MIN(rto, MSK_RTO_MAX);
    mp_env_deadline(msk->st->env, &msk->dl, msk->rtx_at);
}

static void trace_reinject(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t dsn,
                           uint32_t len, const char *why, mp_time_t now)
{
    const struct mp_env *env = msk->st->env;
    if (!mp_env_tracing(env, MP_TRACE_MPTCP))
        return;
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, msk->st->h->name, "mptcp.reinject");
    mp_trace_u64(&r, "msk", msk->id);
    if (sf)
        mp_trace_u64(&r, "sf", sf->id);
    mp_trace_u64(&r, "dsn", dsn);
    mp_trace_u64(&r, "len", len);
    mp_trace_str(&r, "reason", why);
    mp_trace_end(&r, env);
}

void mp_mptcp_reinject(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t dsn,
                       uint32_t len, const char *why, mp_time_t now)
{
    if (dsn < msk->snd_una) {
        uint64_t cut = msk->snd_una - dsn;
        if (cut >= len)
            return;
        dsn += cut;
        len -= (uint32_t)cut;
    }
    if (dsn + len > msk->snd_nxt)
        len = (uint32_t)(msk->snd_nxt - dsn);
    if (!len)
        return;
    if (msk->reinject->len) {
        struct reinj *last = &g_array_index(msk->reinject, struct reinj, msk->reinject->len - 1);
        if (last->dsn + last->len == dsn && (uint64_t)last->len + len <= UINT32_MAX) {
            last->len += len;
            trace_reinject(msk, sf, dsn, len, why, now);
            return;
        }
    }
    struct reinj r = {dsn, len};
    g_array_append_val(msk->reinject, r);
    trace_reinject(msk, sf, dsn, len, why, now);
}

bool mp_mptcp_subflow_active(const struct mp_mptcp_subflow *sf)
{
    if (!sf->ssk || !sf->established || sf->refuse || sf->closed)
        return false;
    return sf->kind != MP_SF_JOIN || sf->fully_established;
}

bool mp_mptcp_subflow_usable(const struct mp_mptcp_subflow *sf)
{
    return mp_mptcp_subflow_active(sf) && mp_tcp_can_send(sf->ssk);
}

bool mp_mptcp_subflow_ready(const struct mp_mptcp_subflow *sf)
{
    return mp_mptcp_subflow_active(sf) && mp_tcp_can_send_segment(sf->ssk);
}

/* With a redundant scheduler: a subflow other than |sf| that should catch
 * up with new data |sf| took. */
static bool others_lag(struct mp_mptcp_sock *msk, const struct mp_mptcp_subflow *sf,
                       mp_time_t now)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *o = msk->subflows->pdata[i];
        if (o != sf && mp_mptcp_subflow_active(o) && msk->st->sched->also(msk, o, now))
            return true;
    }
    return false;
}

static void trace_pick(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t dsn,
                       size_t len, bool reinj, mp_time_t now)
{
    const struct mp_env *env = msk->st->env;
    if (!mp_env_tracing(env, MP_TRACE_MPTCP))
        return;
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, msk->st->h->name, "mptcp.map");
    mp_trace_u64(&r, "msk", msk->id);
    mp_trace_u64(&r, "sf", sf->id);
    mp_trace_u64(&r, "dsn", dsn);
    mp_trace_u64(&r, "len", len);
    if (reinj)
        mp_trace_bool(&r, "reinject", true);
    mp_trace_end(&r, env);
}

/* Subflows should ask for data again soon: from the connection's timer,
 * not from inside the output of the subflow at hand. */
static void push_soon(struct mp_mptcp_sock *msk, mp_time_t now)
{
    msk->push_due = true;
    mp_env_deadline(msk->st->env, &msk->dl, now);
}

void mp_mptcp_push_soon(struct mp_mptcp_sock *msk, mp_time_t now)
{
    push_soon(msk, now);
}

static size_t fill(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t dsn,
                   uint8_t *buf, size_t n, struct mp_mptcp_meta *meta, bool reinj, mp_time_t now)
{
    if (mp_sndbuf_peek(&msk->sb, (uint32_t)dsn, buf, n) < 0)
        return 0;
    memset(meta, 0, sizeof(*meta));
    meta->dsn = dsn;
    /* RFC 8684 3.3.1: the subflow sequence number relative to the
     * subflow's initial sequence number. */
    meta->ssn = mp_tcp_snd_nxt(sf->ssk) - sf->iss;
    meta->len = (uint16_t)n;
    meta->flags = MP_META_VALID | (reinj ? MP_META_REINJECT : 0);
    if (msk->csum)
        meta->csum = mp_mptcp_dss_csum(dsn, meta->ssn, (uint16_t)n, buf, n);
    sf->bytes_sent += n;
    trace_pick(msk, sf, dsn, n, reinj, now);
    return n;
}

/* The subflow that carries data-level byte |dsn| (not yet acknowledged at
 * the data level) and how much of its mapping is left from there. */
static struct mp_mptcp_subflow *holder_of(struct mp_mptcp_sock *msk, uint64_t dsn, uint32_t *len)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!sf->ssk || sf->closed)
            continue;
        for (struct mp_rtx_seg *seg = mp_rtxq_head(mp_tcp_rtxq(sf->ssk)); seg; seg = seg->next) {
            struct mp_mptcp_meta m;
            memcpy(&m, &seg->meta, sizeof(m));
            if (!(m.flags & MP_META_VALID) || dsn < m.dsn || dsn >= m.dsn + m.len)
                continue;
            *len = (uint32_t)(m.dsn + m.len - dsn);
            return sf;
        }
    }
    return NULL;
}

/* The receive window is full: let every subflow ask for data soon (an idle
 * one gets no ACK that would make it ask), once per head. */
static void opp_kick(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (msk->opp_kick == msk->snd_una + 1)
        return;
    msk->opp_kick = msk->snd_una + 1;
    push_soon(msk, now);
}

/* Opportunistic retransmission (Raiciu et al., NSDI 2012; the v0.9x
 * kernels' mptcp_rcv_buf_optimization): the peer's receive window is full
 * and |sf| could send: the data holding the window back (the oldest
 * unacknowledged byte) sits on another subflow, so |sf| sends it again,
 * once per head; with penalisation the holder's window is halved when its
 * RTT is the longer, at most once per its RTT. */
static size_t opportunistic(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint8_t *buf,
                            size_t max, struct mp_mptcp_meta *meta, mp_time_t now)
{
    const struct mp_mptcp_config *o = &msk->st->o;
    if ((!o->opportunistic && !o->penalise) || msk->snd_una == msk->snd_nxt ||
        msk->opp_dsn == msk->snd_una + 1)
        return 0;
    uint32_t len = 0;
    struct mp_mptcp_subflow *holder = holder_of(msk, msk->snd_una, &len);
    if (!holder)
        return 0;
    if (holder == sf) {
        /* The holder itself asks: another subflow may send it. */
        opp_kick(msk, now);
        return 0;
    }
    msk->opp_dsn = msk->snd_una + 1;
    /* As v0.9x: only a slower holder is penalised. */
    if (o->penalise && now >= holder->penal_next &&
        mp_tcp_srtt(holder->ssk) > mp_tcp_srtt(sf->ssk)) {
        mp_tcp_penalise(holder->ssk);
        holder->penal_next = now + mp_tcp_srtt(holder->ssk);
        MP_MPTCP_CTR(msk, MPTCP_PENALISE);
    }
    if (!o->opportunistic)
        return 0;
    size_t n = (size_t)MIN((uint64_t)max, (uint64_t)len);
    MP_MPTCP_CTR(msk, MPTCP_OPP_RETRANS);
    msk->allow_inf_fallback = false;
    trace_reinject(msk, sf, msk->snd_una, (uint32_t)n, "opportunistic", now);
    msk->bytes_retrans += n;
    return fill(msk, sf, msk->snd_una, buf, n, meta, true, now);
}

size_t mp_mptcp_pull(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint8_t *buf,
                     size_t max, struct mp_mptcp_meta *meta, mp_time_t now)
{
    const struct mp_mptcp_sched_ops *ops = msk->st->sched;
    if (!msk->sb_ok || msk->dead || msk->infinite_sent)
        return 0; /* after the infinite mapping: TCP takes the rest (fallback) */
    max = MIN(max, (size_t)MP_MPTCP_MAX_MAP);
    /* A redundant scheduler wants |sf| to carry everything. */
    bool also = ops->also && ops->also(msk, sf, now);
    /* Data-level retransmissions first, on a subflow that is not itself
     * backing off. */
    while (msk->reinject->len) {
        struct reinj *r = &g_array_index(msk->reinject, struct reinj, 0);
        if (r->dsn + r->len <= msk->snd_una) {
            g_array_remove_index(msk->reinject, 0);
            continue;
        }
        if (r->dsn < msk->snd_una) {
            r->len -= (uint32_t)(msk->snd_una - r->dsn);
            r->dsn = msk->snd_una;
        }
        if (also && r->dsn < sf->dsn_nxt) {
            /* |sf| carries these bytes already: its TCP delivers them. */
            uint64_t skip = MIN(sf->dsn_nxt - r->dsn, (uint64_t)r->len);
            r->dsn += skip;
            r->len -= (uint32_t)skip;
            if (r->len == 0)
                g_array_remove_index(msk->reinject, 0);
            continue;
        }
        /* Nor on a backup subflow while a non-backup one can take it:
         * the backup rule holds for data sent again too. */
        if (mp_mptcp_subflow_is_backup(sf) && !mp_mptcp_sched_backups_ok(msk)) {
            push_soon(msk, now);
            return 0;
        }
        if (mp_mptcp_subflow_backing_off(sf)) {
            bool other = false;
            for (guint i = 0; i < msk->subflows->len && !other; i++) {
                struct mp_mptcp_subflow *o = msk->subflows->pdata[i];
                other = o != sf && mp_mptcp_subflow_usable(o) && !mp_mptcp_subflow_backing_off(o);
            }
            if (other) {
                push_soon(msk, now);
                return 0;
            }
        }
        size_t n = MIN(max, (size_t)r->len);
        uint64_t dsn = r->dsn;
        r->dsn += n;
        r->len -= (uint32_t)n;
        if (r->len == 0)
            g_array_remove_index(msk->reinject, 0);
        MP_MPTCP_CTR(msk, MPTCP_RETRANS);
        msk->bytes_retrans += n;
        /* Linux: once data went twice at the data level, the subflow's
         * stream is no longer the connection's: no infinite fallback. */
        msk->allow_inf_fallback = false;
        return fill(msk, sf, dsn, buf, n, meta, true, now);
    }
    if (also) {
        /* What the others took and |sf| has not carried yet, from the
         * DATA_ACK on (what is acknowledged needs no copy). */
        uint64_t dsn = MAX(sf->dsn_nxt, msk->snd_una);
        if (dsn < msk->snd_nxt) {
            size_t n = (size_t)MIN((uint64_t)max, msk->snd_nxt - dsn);
            n = fill(msk, sf, dsn, buf, n, meta, false, now);
            sf->dsn_nxt = dsn + n;
            return n;
        }
    }
    uint64_t avail = msk->write_seq - msk->snd_nxt;
    if (!avail)
        return 0;
    uint64_t room = msk->wnd_end > msk->snd_nxt ? msk->wnd_end - msk->snd_nxt : 0;
    if (!room)
        return opportunistic(msk, sf, buf, max, meta, now);
    struct mp_mptcp_subflow *pick = also ? sf : ops->pick(msk, now);
    if (!pick && ops->unpicked_ok && !ops->unpicked_ok(msk, sf))
        return 0;
    if (pick && pick != sf) {
        /* Another subflow should have it: let it pull (soon, not from
         * inside this subflow's output). */
        push_soon(msk, now);
        return 0;
    }
    size_t n = (size_t)MIN((uint64_t)max, MIN(avail, room));
    uint64_t dsn = msk->snd_nxt;
    n = fill(msk, sf, dsn, buf, n, meta, false, now);
    msk->snd_nxt += n;
    msk->bytes_sent += n;
    if (msk->infinite_pending && n) {
        /* RFC 8684 3.7: the peer reported a checksum failure on the only
         * subflow: this segment says the subflow is the stream from here,
         * and the connection goes on as TCP (Linux: the next data after
         * MP_FAIL, then __mptcp_do_fallback). */
        meta->flags |= MP_META_INFINITE;
        msk->infinite_pending = false;
        msk->infinite_sent = true;
        msk->fallback_due = true;
        MP_MPTCP_CTR(msk, MPTCP_INFINITE_MAP_TX);
        trace_msk(msk, "infinite_map.tx", now);
        push_soon(msk, now);
        return n;
    }
    if ((msk->st->o.opportunistic || msk->st->o.penalise) && msk->wnd_end <= msk->snd_nxt)
        opp_kick(msk, now); /* the window is full now: someone may unblock it */
    if (ops->sent)
        ops->sent(msk, sf, n, now);
    if (also) {
        sf->dsn_nxt = msk->snd_nxt;
        /* The others carry it too: they pull from the connection's timer,
         * not from inside this subflow's output. */
        if (others_lag(msk, sf, now)) {
            push_soon(msk, now);
        }
    }
    arm_rtx(msk, now, false);
    if (msk->wr_shut && !msk->data_fin_sent && msk->snd_nxt == msk->write_seq) {
        /* The last byte is out: the DATA_FIN follows on the subflows' ACKs,
         * sent from the connection's timer, not from inside this
         * subflow's output. */
        push_soon(msk, now);
    }
    return n;
}

static void send_data_fin(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (!msk->wr_shut || msk->data_fin_acked || msk->snd_nxt != msk->write_seq ||
        msk->fallback || !msk->peer_key_known)
        return;
    /* On a pure ACK of every subflow, as Linux's mptcp_send_ack: one of
     * them may be on a dead path. */
    msk->data_fin_sent = true;
    mp_mptcp_enter(msk);
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->ssk && sf->established && !sf->refuse &&
            (sf->kind == MP_SF_MPC || sf->fully_established))
            mp_tcp_ack_now(sf->ssk, now);
    }
    arm_rtx(msk, now, false);
    mp_mptcp_leave(msk);
}

void mp_mptcp_push(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (msk->in_push || msk->fallback || msk->dead)
        return;
    msk->in_push = true;
    mp_mptcp_enter(msk);
    for (int guard = 0; guard < 64; guard++) {
        struct mp_mptcp_subflow *sf = msk->st->sched->pick(msk, now);
        if (!sf)
            break;
        uint64_t before = msk->snd_nxt;
        guint rb = msk->reinject->len;
        uint64_t rbytes = msk->bytes_retrans;
        msk->push_due = false;
        mp_tcp_push(sf->ssk, now);
        if (msk->snd_nxt == before && msk->bytes_retrans == rbytes && msk->reinject->len == rb &&
            !msk->push_due)
            break;
        if (msk->snd_nxt == msk->write_seq && !msk->reinject->len)
            break;
    }
    if (msk->st->sched->also) {
        /* Redundant: every subflow that should carry what the others took
         * and lags behind. */
        for (guint i = 0; i < msk->subflows->len && !msk->dead; i++) {
            struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
            if (mp_mptcp_subflow_usable(sf) && MAX(sf->dsn_nxt, msk->snd_una) < msk->snd_nxt &&
                msk->st->sched->also(msk, sf, now))
                mp_tcp_push(sf->ssk, now);
        }
    }
    msk->in_push = false;
    if (msk->wr_shut && !msk->data_fin_sent)
        send_data_fin(msk, now);
    mp_mptcp_leave(msk);
}

static void notify_writable(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (!msk->writable_armed || !msk->owned || !msk->cbs.writable)
        return;
    if (mp_mptcp_writable(msk) < msk->sndbuf_max / 2)
        return;
    msk->writable_armed = false;
    msk->cbs.writable(msk->cbs.arg, msk, now);
}

/* The first subflow's figures outlive its TCP (TCP_INFO after the end). */
static void keep_first_info(struct mp_mptcp_sock *msk, const struct mp_mptcp_subflow *sf)
{
    if (sf != msk->first || !sf->ssk)
        return;
    mp_tcp_get_info(sf->ssk, &msk->first_info);
    msk->first_info_ok = true;
}

/* Releases every subflow: with FINs (|reset| false: TCP finishes the close
 * on its own, FIN_WAIT and TIME_WAIT included, and must not call back into
 * a connection that may be gone by then) or with RSTs. */
static void release_subflows(struct mp_mptcp_sock *msk, bool reset, mp_time_t now)
{
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!sf->ssk)
            continue;
        struct mp_tcp_conn *ssk = sf->ssk;
        keep_first_info(msk, sf);
        sf->ssk = NULL;
        sf->closed = true;
        if (reset) {
            mp_tcp_abort(ssk, now); /* the RST may carry MP_TCPRST */
            continue;
        }
        mp_tcp_set_ext(ssk, NULL, NULL);
        mp_tcp_set_cbs(ssk, NULL);
        mp_tcp_close(ssk, now);
    }
}

static void close_subflows(struct mp_mptcp_sock *msk, mp_time_t now)
{
    release_subflows(msk, false, now);
}

/* Both DATA_FINs are through: the connection is over; its subflows close
 * with FINs (Linux closes them after the msk reaches CLOSED). */
static void check_closed(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (!(msk->data_fin_acked && msk->data_fin_rcvd))
        return;
    if (msk->state == MP_TCP_CLOSED)
        return;
    trace_msk(msk, "closed", now);
    close_subflows(msk, now);
    msk_done(msk, 0, now);
}

void mp_mptcp_data_ack(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t ack,
                       mp_time_t now)
{
    uint64_t limit = msk->snd_nxt + (msk->data_fin_sent ? 1 : 0);
    if (ack < msk->snd_una || ack > limit)
        return;
    /* RFC 8684 3.3.4: the window is relative to the DATA_ACK. */
    if (sf->ssk) {
        uint64_t end = ack + mp_tcp_snd_wnd(sf->ssk);
        if (end > msk->wnd_end)
            msk->wnd_end = end;
    }
    if (ack > msk->snd_una) {
        uint64_t data_end = MIN(ack, msk->write_seq);
        if (data_end > msk->snd_una) {
            msk->bytes_acked += data_end - msk->snd_una;
            mp_sndbuf_ack(&msk->sb, (uint32_t)data_end);
        }
        msk->snd_una = ack;
        msk->rtx_backoff = 0;
        arm_rtx(msk, now, true);
        if (msk->data_fin_sent && ack == msk->data_fin_seq + 1 && !msk->data_fin_acked) {
            msk->data_fin_acked = true;
            if (msk->state == MP_TCP_FIN_WAIT_1)
                msk->state = MP_TCP_FIN_WAIT_2;
            else if (msk->state == MP_TCP_LAST_ACK || msk->state == MP_TCP_CLOSING)
                msk->state = MP_TCP_TIME_WAIT;
            check_closed(msk, now);
            if (msk->dead)
                return;
        }
        notify_writable(msk, now);
    }
    if (msk->write_seq != msk->snd_nxt || msk->reinject->len)
        mp_mptcp_push(msk, now);
}

/* ---- receiving ---- */

uint32_t mp_mptcp_rcv_wnd(const struct mp_mptcp_sock *msk)
{
    /* rcvbuf is buffer memory, as TCP's (tcp_rmem): the window offered is
     * half of it (Linux's default scaling ratio), less what waits to be
     * read or reassembled. */
    size_t used = msk->rcvq->len - msk->rcvq_off + msk->ofo.bytes;
    size_t wnd = msk->rcvbuf / 2;
    size_t space = wnd > used ? wnd - used : 0;
    return (uint32_t)MIN(space, (size_t)UINT32_MAX);
}

static void ofo_deliver_fn(void *arg, const uint8_t *p, size_t len)
{
    struct mp_mptcp_sock *msk = arg;
    g_byte_array_append(msk->rcvq, p, (guint)len);
    msk->rcv_nxt += len;
    msk->bytes_received += len;
}

static void ack_subflows(struct mp_mptcp_sock *msk, mp_time_t now)
{
    /* A DATA_ACK now on every subflow, as Linux's mptcp_send_ack (the
     * DATA_FIN must be acknowledged without waiting for data, and one path
     * may be dead). */
    for (guint i = 0; i < msk->subflows->len && !msk->dead; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->ssk && sf->established && !sf->refuse)
            mp_tcp_ack_now(sf->ssk, now);
    }
}

static void check_data_fin(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (!msk->data_fin_pending || msk->data_fin_rcvd || msk->rcv_nxt != msk->data_fin_rcv_seq)
        return;
    msk->data_fin_rcvd = true;
    msk->rcv_nxt++;
    switch (msk->state) {
    case MP_TCP_ESTABLISHED:
        msk->state = MP_TCP_CLOSE_WAIT;
        break;
    case MP_TCP_FIN_WAIT_1:
        msk->state = MP_TCP_CLOSING;
        break;
    case MP_TCP_FIN_WAIT_2:
        msk->state = MP_TCP_TIME_WAIT;
        break;
    default:
        break;
    }
    trace_msk(msk, "data_fin", now);
    ack_subflows(msk, now);
    if (msk->owned && msk->cbs.readable)
        msk->cbs.readable(msk->cbs.arg, msk, now);
    check_closed(msk, now);
}

void mp_mptcp_data_fin_recv(struct mp_mptcp_sock *msk, uint64_t dsn, mp_time_t now)
{
    if (msk->data_fin_rcvd || !msk->peer_key_known)
        return;
    msk->data_fin_pending = true;
    msk->data_fin_rcv_seq = dsn;
    check_data_fin(msk, now);
}

void mp_mptcp_data_recv(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t dsn,
                        const uint8_t *data, size_t len, mp_time_t now)
{
    (void)sf;
    if (!msk->peer_key_known || msk->data_fin_rcvd)
        return;
    if (dsn + len <= msk->rcv_nxt) {
        MP_MPTCP_CTR(msk, MPTCP_DUPLICATE_DATA);
        return;
    }
    if (dsn < msk->rcv_nxt) {
        size_t cut = (size_t)(msk->rcv_nxt - dsn);
        dsn += cut;
        data += cut;
        len -= cut;
    }
    size_t before = mp_mptcp_readable(msk);
    if (dsn == msk->rcv_nxt) {
        g_byte_array_append(msk->rcvq, data, (guint)len);
        msk->rcv_nxt += len;
        msk->bytes_received += len;
        if (!mp_reass_empty(&msk->ofo)) {
            mp_reass_pull(&msk->ofo, (uint32_t)msk->rcv_nxt, ofo_deliver_fn, msk);
        }
    } else {
        if (dsn - msk->rcv_nxt > (uint64_t)msk->rcvbuf) {
            MP_MPTCP_CTR(msk, MPTCP_NO_DSS_IN_WINDOW);
            return;
        }
        /* Linux counts every out-of-order arrival (OFOQueue) and those
         * that extend the queue's tail (OFOQueueTail). */
        MP_MPTCP_CTR(msk, MPTCP_OFO_QUEUE);
        if (!mp_reass_empty(&msk->ofo) && mp_seq_geq((uint32_t)dsn, mp_reass_high(&msk->ofo)))
            MP_MPTCP_CTR(msk, MPTCP_OFO_QUEUE_TAIL);
        struct mp_reass_result rr;
        mp_reass_insert(&msk->ofo, (uint32_t)msk->rcv_nxt, (uint32_t)dsn, data, len, &rr);
        if (rr.dup)
            MP_MPTCP_CTR(msk, MPTCP_DUPLICATE_DATA);
    }
    check_data_fin(msk, now);
    if (msk->dead)
        return;
    if (mp_mptcp_readable(msk) > before && msk->owned && msk->cbs.readable)
        msk->cbs.readable(msk->cbs.arg, msk, now);
}

/* ---- the owner's calls ---- */

static struct mp_tcp_conn *fb_ssk(const struct mp_mptcp_sock *msk)
{
    return msk->first ? msk->first->ssk : NULL;
}

/* mp_mptcp_send, of |data| or (|gen|) of generated bytes (never in
 * fallback: mp_mptcp_send_fill refuses it). */
static ssize_t send_from(struct mp_mptcp_sock *msk, const void *data, bool gen, size_t len,
                         mp_time_t now)
{
    if (msk->is_listener)
        return -ENOTCONN;
    if (msk->fallback) {
        struct mp_tcp_conn *ssk = fb_ssk(msk);
        if (!ssk)
            return msk->err ? msk->err : -EPIPE;
        if (!mp_mptcp_fallback_drain(msk, now))
            return 0; /* older bytes still wait for TCP's buffer */
        return mp_tcp_send(ssk, data, len, now);
    }
    if (msk->err)
        return msk->err;
    if (msk->wr_shut || msk->state == MP_TCP_CLOSED)
        return -EPIPE;
    size_t space = mp_mptcp_writable(msk);
    size_t n = MIN(len, space);
    if (n == 0) {
        msk->writable_armed = true;
        return 0;
    }
    if (gen)
        mp_sndbuf_append_pattern(&msk->sb, n);
    else
        mp_sndbuf_append(&msk->sb, data, n);
    msk->write_seq += n;
    if (n < len)
        msk->writable_armed = true;
    if (msk->state != MP_TCP_SYN_SENT)
        mp_mptcp_push(msk, now);
    return (ssize_t)n;
}

ssize_t mp_mptcp_send(struct mp_mptcp_sock *msk, const void *data, size_t len, mp_time_t now)
{
    return send_from(msk, data, false, len, now);
}

ssize_t mp_mptcp_send_fill(struct mp_mptcp_sock *msk, size_t len, mp_sndbuf_pattern_fn gen,
                           void *arg, mp_time_t now)
{
    /* After a fallback the bytes go to the subflow's TCP, whose stream
     * offsets need not be the connection's: the caller writes them. */
    if (msk->fallback)
        return -EOPNOTSUPP;
    if (!mp_sndbuf_use_pattern(&msk->sb, gen, arg))
        return -EINVAL;
    return send_from(msk, NULL, true, len, now);
}

ssize_t mp_mptcp_recv(struct mp_mptcp_sock *msk, void *buf, size_t len, mp_time_t now)
{
    if (msk->is_listener)
        return -ENOTCONN;
    size_t have = msk->rcvq->len - msk->rcvq_off;
    if (msk->fallback && have == 0) {
        /* A late fallback (RFC 8684 3.7) leaves data-level bytes to read
         * first; then TCP's stream. */
        struct mp_tcp_conn *ssk = fb_ssk(msk);
        if (!ssk)
            return msk->err ? msk->err : 0;
        return mp_tcp_recv(ssk, buf, len, now);
    }
    if (have == 0) {
        if (msk->data_fin_rcvd)
            return 0;
        if (msk->err)
            return msk->err;
        if (msk->state == MP_TCP_CLOSED)
            return 0;
        return -EAGAIN;
    }
    uint32_t wnd_before = mp_mptcp_rcv_wnd(msk);
    size_t n = MIN(len, have);
    memcpy(buf, msk->rcvq->data + msk->rcvq_off, n);
    msk->rcvq_off += n;
    if (msk->rcvq_off == msk->rcvq->len) {
        g_byte_array_set_size(msk->rcvq, 0);
        msk->rcvq_off = 0;
    } else if (msk->rcvq_off > 65536 && msk->rcvq_off > msk->rcvq->len / 2) {
        g_byte_array_remove_range(msk->rcvq, 0, (guint)msk->rcvq_off);
        msk->rcvq_off = 0;
    }
    /* The window opened: tell the peer (mp_tcp_push sends an update when
     * it grew enough to matter). */
    if (wnd_before < msk->rcvbuf / 4) {
        for (guint i = 0; i < msk->subflows->len; i++) {
            struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
            if (sf->ssk && sf->established && !sf->refuse) {
                mp_tcp_push(sf->ssk, now);
                break;
            }
        }
    }
    return (ssize_t)n;
}

size_t mp_mptcp_readable(const struct mp_mptcp_sock *msk)
{
    size_t have = msk->rcvq->len - msk->rcvq_off;
    if (msk->fallback) {
        struct mp_tcp_conn *ssk = fb_ssk(msk);
        return have + (ssk ? mp_tcp_readable(ssk) : 0);
    }
    return have;
}

size_t mp_mptcp_writable(const struct mp_mptcp_sock *msk)
{
    if (msk->fallback) {
        struct mp_tcp_conn *ssk = fb_ssk(msk);
        /* Nothing new while older bytes still wait for TCP's buffer. */
        return ssk && msk->snd_nxt == msk->write_seq ? mp_tcp_writable(ssk) : 0;
    }
    uint64_t held = msk->write_seq - msk->snd_una;
    return held >= msk->sndbuf_max ? 0 : (size_t)(msk->sndbuf_max - held);
}

void mp_mptcp_want_writable(struct mp_mptcp_sock *msk)
{
    msk->writable_armed = true;
}

bool mp_mptcp_eof(const struct mp_mptcp_sock *msk)
{
    if (msk->fallback) {
        struct mp_tcp_conn *ssk = fb_ssk(msk);
        return msk->rcvq->len == msk->rcvq_off && (!ssk || mp_tcp_fin_rcvd(ssk));
    }
    return msk->data_fin_rcvd;
}

int mp_mptcp_shutdown_wr(struct mp_mptcp_sock *msk, mp_time_t now)
{
    if (msk->is_listener)
        return -ENOTCONN;
    if (msk->fallback) {
        if (!fb_ssk(msk))
            return -ENOTCONN;
        msk->wr_shut = true;
        mp_mptcp_fallback_drain(msk, now); /* the FIN after the waiting bytes */
        return 0;
    }
    if (msk->wr_shut)
        return 0;
    msk->wr_shut = true;
    msk->data_fin_seq = msk->write_seq;
    if (msk->state == MP_TCP_ESTABLISHED)
        msk->state = MP_TCP_FIN_WAIT_1;
    else if (msk->state == MP_TCP_CLOSE_WAIT)
        msk->state = MP_TCP_LAST_ACK;
    trace_msk(msk, "shutdown", now);
    if (msk->state != MP_TCP_SYN_SENT)
        mp_mptcp_push(msk, now);
    return 0;
}

static void abort_subflows(struct mp_mptcp_sock *msk, mp_time_t now)
{
    release_subflows(msk, true, now);
}

void mp_mptcp_close(struct mp_mptcp_sock *msk, mp_time_t now)
{
    mp_mptcp_enter(msk);
    msk->owned = false;
    if (msk->is_listener) {
        struct mp_mptcp_sock *ch;
        while ((ch = g_queue_pop_head(&msk->acceptq))) {
            ch->accept_queued = false;
            abort_subflows(ch, now);
            msk_unlink(ch);
        }
        /* Connections still in their handshake: their TCP children go with
         * the TCP listener; forget them here. */
        for (guint i = msk->st->all->len; i-- > 0;) {
            ch = msk->st->all->pdata[i];
            if (ch->parent == msk) {
                ch->parent = NULL;
                msk_unlink(ch);
            }
        }
        if (msk->lssk)
            mp_tcp_close(msk->lssk, now);
        msk->lssk = NULL;
        for (uint32_t i = 0; i < msk->nlssk_more; i++)
            mp_tcp_close(msk->lssk_more[i], now);
        msk->nlssk_more = 0;
        msk->state = MP_TCP_CLOSED;
        msk_unlink(msk);
    } else if (msk->fallback || msk->state == MP_TCP_SYN_SENT || msk->state == MP_TCP_CLOSED) {
        /* Plain TCP underneath (or nothing yet): TCP closes it, RST for
         * unread data included. */
        if (msk->fallback)
            close_subflows(msk, now);
        else
            abort_subflows(msk, now);
        msk->state = MP_TCP_CLOSED;
        msk_unlink(msk);
    } else if (mp_mptcp_readable(msk) > 0) {
        /* Unread data is lost: the MPTCP equivalent of TCP's reset (RFC
         * 8684 3.5; Linux's mptcp_do_fastclose), RST + MP_FASTCLOSE +
         * MP_TCPRST on every subflow. */
        mp_mptcp_fastclose(msk, now);
        msk->state = MP_TCP_CLOSED;
        msk_unlink(msk);
    } else {
        mp_mptcp_shutdown_wr(msk, now);
        msk->orphan_at = now + MSK_ORPHAN_TIMEOUT;
        mp_env_deadline(msk->st->env, &msk->dl, msk->orphan_at);
        if (msk->data_fin_acked && msk->data_fin_rcvd) {
            close_subflows(msk, now);
            msk_unlink(msk);
        } else if (all_subflows_gone(msk)) {
            msk_unlink(msk);
        }
    }
    mp_mptcp_leave(msk);
}

void mp_mptcp_abort(struct mp_mptcp_sock *msk, mp_time_t now)
{
    mp_mptcp_enter(msk);
    msk->owned = false;
    if (msk->is_listener) {
        mp_mptcp_leave(msk);
        mp_mptcp_close(msk, now);
        return;
    }
    if (msk->fallback || !msk->peer_key_known)
        abort_subflows(msk, now);
    else
        mp_mptcp_fastclose(msk, now); /* SO_LINGER 0: as TCP's RST */
    msk->state = MP_TCP_CLOSED;
    msk_unlink(msk);
    mp_mptcp_leave(msk);
}

void mp_mptcp_fastclose(struct mp_mptcp_sock *msk, mp_time_t now)
{
    trace_msk(msk, "fastclose.tx", now);
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (!sf->ssk)
            continue;
        /* Only where the peer knows the connection: a join still in its
         * handshake just gets a RST. */
        if (sf->established && !sf->refuse && msk->peer_key_known) {
            sf->send_fastclose = true;
            sf->rst_reason = MP_TCPRST_UNSPEC;
        }
    }
    abort_subflows(msk, now);
}

void mp_mptcp_subflow_reset(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                            uint8_t reason, mp_time_t now)
{
    if (!sf->ssk)
        return;
    mp_mptcp_enter(msk);
    struct mp_tcp_conn *ssk = sf->ssk;
    keep_first_info(msk, sf);
    sf->send_rst_reason = true;
    sf->rst_reason = reason;
    sf->reset_due = false;
    mp_tcp_abort(ssk, now); /* no closed callback comes */
    sf->ssk = NULL;
    mp_mptcp_subflow_gone(msk, sf, -ECONNRESET, now);
    mp_mptcp_leave(msk);
}

/* A subflow's TCP is gone (closed callback, or we reset it). */
void mp_mptcp_subflow_gone(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, int err,
                           mp_time_t now)
{
    mp_mptcp_enter(msk);
    if (sf->ssk) {
        struct mp_tcp_conn *ssk = sf->ssk;
        keep_first_info(msk, sf);
        sf->ssk = NULL;
        mp_tcp_set_ext(ssk, NULL, NULL);
        mp_tcp_close(ssk, now); /* releases our handle */
    }
    bool was = sf->established;
    sf->closed = true;
    mp_mptcp_trace_sf(msk, sf, "subflow.closed", now);
    if (msk->sched_last == sf)
        msk->sched_last = NULL;
    if (msk->pm->subflow_closed)
        msk->pm->subflow_closed(msk, sf, err, now);
    if (msk->state == MP_TCP_SYN_SENT && sf->kind == MP_SF_MPC && !sf->passive &&
        (!msk->first || sf == msk->first)) {
        /* A racing attempt failed: RFC 8305 5 starts the next one now;
         * the connection fails when none is left. */
        msk->first = NULL;
        trace_race(msk, "failed", &sf->remote_ep, now);
        bool live = false;
        for (guint i = 0; i < msk->subflows->len && !live; i++) {
            const struct mp_mptcp_subflow *o = msk->subflows->pdata[i];
            live = o->kind == MP_SF_MPC && o->ssk != NULL;
        }
        if ((live || race_next(msk, now) == 0) && !msk->dead) {
            mp_mptcp_leave(msk);
            return;
        }
        msk_done(msk, err ? err : -ECONNREFUSED, now);
    } else if (msk->fallback) {
        if (sf == msk->first)
            msk_done(msk, err, now);
    } else if (all_subflows_gone(msk)) {
        /* The last subflow went: the connection cannot go on. */
        if (msk->state != MP_TCP_CLOSED)
            msk_done(msk, msk->data_fin_acked && msk->data_fin_rcvd ? 0 : (err ? err : -ECONNRESET),
                     now);
        else if (!msk->owned)
            msk_unlink(msk);
    } else if (was && msk->snd_una != msk->snd_nxt) {
        /* What it had in flight goes to the others (Linux
         * __mptcp_retransmit_pending_data). */
        mp_mptcp_reinject(msk, sf, msk->snd_una, (uint32_t)MIN(msk->snd_nxt - msk->snd_una,
                                                               (uint64_t)UINT32_MAX),
                          "subflow_closed", now);
        mp_mptcp_push(msk, now);
    }
    mp_mptcp_leave(msk);
}

/* Everything a subflow has in flight, to send again elsewhere: its
 * retransmission queue keeps each segment's mapping. */
static bool reinject_subflow(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                             const char *why, mp_time_t now)
{
    bool any = false;
    struct mp_rtxq *q = mp_tcp_rtxq(sf->ssk);
    for (struct mp_rtx_seg *seg = mp_rtxq_head(q); seg; seg = seg->next) {
        struct mp_mptcp_meta m;
        memcpy(&m, &seg->meta, sizeof(m));
        if (!(m.flags & MP_META_VALID))
            continue;
        uint32_t off = seg->start - (sf->iss + m.ssn);
        uint32_t len = mp_rtx_seg_len(seg) - ((seg->flags & MP_RTX_FIN) ? 1u : 0u);
        if (off >= m.len)
            continue;
        len = MIN(len, (uint32_t)m.len - off);
        uint64_t dsn = m.dsn + off;
        if (dsn + len <= msk->snd_una)
            continue;
        mp_mptcp_reinject(msk, sf, dsn, len, why, now);
        any = true;
    }
    return any;
}

/* Linux's mptcp_pm_subflow_chk_stale, once per retransmission interval:
 * a subflow with data outstanding that received nothing for stale_loss_cnt
 * intervals is stale (SubflowStale); its data goes to the others. Linux
 * counts data-level retransmission timeouts; afmp sends a backing-off
 * subflow's data elsewhere at once, so the data level rarely times out
 * again, and counts the subflow's own retransmission timeouts instead. */
void mp_mptcp_check_stale(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, mp_time_t now)
{
    if (!mp_tcp_unacked(sf->ssk)) {
        sf->stale_count = 0;
        return;
    }
    mp_time_t rx = mp_tcp_last_rcv(sf->ssk);
    if (!sf->stale_count) {
        sf->stale_rx = rx;
        sf->stale_count = 1;
        return;
    }
    if (sf->stale_rx != rx) {
        sf->stale_count = 0;
        mp_mptcp_subflow_recover(msk, sf, now);
        return;
    }
    if (sf->stale_count < UINT8_MAX)
        sf->stale_count++;
    if (sf->stale || sf->stale_count < msk->st->o.stale_loss_cnt)
        return;
    sf->stale = true;
    MP_MPTCP_CTR(msk, MPTCP_SUBFLOW_STALE);
    mp_mptcp_trace_sf(msk, sf, "subflow.stale", now);
    if (!sf->stale_reinjected) {
        sf->stale_reinjected = true;
        if (reinject_subflow(msk, sf, "stale", now)) {
            push_soon(msk, now);
        }
    }
}

void mp_mptcp_subflow_recover(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                              mp_time_t now)
{
    if (!sf->stale)
        return;
    sf->stale = false;
    sf->stale_count = 0;
    MP_MPTCP_CTR(msk, MPTCP_SUBFLOW_RECOVER);
    mp_mptcp_trace_sf(msk, sf, "subflow.recover", now);
    push_soon(msk, now);
}

static mp_time_t msk_expire(void *obj, mp_time_t now)
{
    struct mp_mptcp_sock *msk = obj;
    mp_mptcp_enter(msk);
    if (msk->orphan_at != MP_TIME_NEVER && now >= msk->orphan_at) {
        msk->orphan_at = MP_TIME_NEVER;
        abort_subflows(msk, now);
        msk_done(msk, -ETIMEDOUT, now);
        if (!msk->dead)
            msk_unlink(msk);
    }
    if (!msk->dead && msk->race_at != MP_TIME_NEVER && now >= msk->race_at &&
        msk->state == MP_TCP_SYN_SENT) {
        /* RFC 8305 5: the Connection Attempt Delay passed without a winner. */
        msk->race_at = MP_TIME_NEVER;
        race_next(msk, now);
    }
    if (!msk->dead && msk->rtx_at != MP_TIME_NEVER && now >= msk->rtx_at) {
        msk->rtx_at = MP_TIME_NEVER;
        if (msk->snd_una != msk->snd_nxt) {
            /* RFC 8684 3.3.6 / Linux mptcp_retransmit_timer: the data level
             * stalled for an RTO: send the head again elsewhere. */
            /* A subflow whose TCP is backing off gets its data sent
             * again elsewhere at the first data-level timeout ("backoff");
             * one that has seen nothing for stale_loss_cnt timeouts is
             * marked stale as Linux does (check_stale). */
            bool queued = false;
            for (guint i = 0; i < msk->subflows->len; i++) {
                struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
                if (!sf->ssk || !sf->established || sf->closed)
                    continue;
                if (!mp_mptcp_subflow_backing_off(sf)) {
                    sf->stale_reinjected = false;
                } else if (!sf->stale_reinjected) {
                    sf->stale_reinjected = true;
                    queued |= reinject_subflow(msk, sf, sf->stale ? "stale" : "backoff", now);
                }
            }
            for (guint i = 0; i < msk->reinject->len && !queued; i++)
                queued = g_array_index(msk->reinject, struct reinj, i).dsn <= msk->snd_una;
            if (!queued) {
                uint32_t len = (uint32_t)MIN(msk->snd_nxt - msk->snd_una,
                                             (uint64_t)MP_MPTCP_SEND_BURST);
                mp_mptcp_reinject(msk, NULL, msk->snd_una, len, "rto", now);
            }
        } else if (msk->data_fin_sent && !msk->data_fin_acked) {
            send_data_fin(msk, now);
        }
        msk->rtx_backoff++;
        arm_rtx(msk, now, true);
        msk->push_due = true;
    }
    if (!msk->dead && msk->signal_at != MP_TIME_NEVER && now >= msk->signal_at)
        mp_mptcp_pm_signal_timer(msk, now);
    /* Work asked for from inside a subflow's input or output: signals
     * first (an MP_FAIL goes out before the fallback that follows it). */
    if (!msk->dead && msk->signal_kick_due) {
        msk->signal_kick_due = false;
        mp_mptcp_pm_signal_kick(msk, now);
    }
    for (guint i = 0; i < msk->subflows->len && !msk->dead; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->reset_due)
            mp_mptcp_subflow_reset(msk, sf, sf->rst_reason, now);
    }
    if (!msk->dead && msk->fallback_due && !msk->fallback)
        mp_mptcp_do_fallback(msk, MP_CTR__COUNT, now);
    if (!msk->dead && msk->push_due) {
        msk->push_due = false;
        mp_mptcp_push(msk, now);
    }
    mp_time_t next = MP_TIME_NEVER;
    if (!msk->dead) {
        next = MIN(MIN(msk->rtx_at, msk->orphan_at), MIN(msk->race_at, msk->signal_at));
        if (msk->push_due || msk->signal_kick_due)
            next = now;
    }
    mp_mptcp_leave(msk);
    return next;
}

/* ---- queries ---- */

enum mp_tcp_state mp_mptcp_state(const struct mp_mptcp_sock *msk)
{
    if (msk->fallback && !msk->is_listener) {
        struct mp_tcp_conn *ssk = fb_ssk(msk);
        return ssk ? mp_tcp_conn_state(ssk) : MP_TCP_CLOSED;
    }
    return msk->state;
}

int mp_mptcp_take_error(struct mp_mptcp_sock *msk)
{
    if (msk->fallback && fb_ssk(msk))
        return mp_tcp_take_error(fb_ssk(msk));
    int e = msk->err;
    msk->err = 0;
    return e;
}

int mp_mptcp_peek_error(const struct mp_mptcp_sock *msk)
{
    return msk->err;
}

void mp_mptcp_endpoints(const struct mp_mptcp_sock *msk, struct mp_endpoint *local,
                        struct mp_endpoint *remote)
{
    if (msk->is_listener && msk->lssk) {
        mp_tcp_endpoints(msk->lssk, local, remote);
        return;
    }
    if (msk->first && msk->first->ssk) {
        mp_tcp_endpoints(msk->first->ssk, local, remote);
        return;
    }
    if (local) {
        memset(local, 0, sizeof(*local));
        if (msk->nlocal_ids)
            local->ip = msk->local_ids[0].addr;
    }
    if (remote) {
        memset(remote, 0, sizeof(*remote));
        if (msk->nremotes)
            *remote = msk->remotes[0].ep;
    }
}

uint64_t mp_mptcp_id(const struct mp_mptcp_sock *msk)
{
    return msk->id;
}

void mp_mptcp_get_info(const struct mp_mptcp_sock *msk, struct mp_mptcp_info *out)
{
    memset(out, 0, sizeof(*out));
    out->state = mp_mptcp_state(msk);
    out->fallback = msk->fallback;
    out->fully_established = msk->fully_established;
    out->csum = msk->csum;
    for (guint i = 0; i < msk->subflows->len; i++) {
        const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        if (sf->ssk && sf->established && !sf->refuse)
            out->subflows++;
    }
    out->subflows_total = msk->subflows_total;
    out->local_token = msk->local_token;
    out->remote_token = msk->remote_token;
    out->local_key = msk->local_key;
    out->remote_key = msk->remote_key;
    out->snd_una = msk->snd_una;
    out->snd_nxt = msk->snd_nxt;
    out->write_seq = msk->write_seq;
    out->rcv_nxt = msk->rcv_nxt;
    out->bytes_sent = msk->bytes_sent;
    out->bytes_acked = msk->bytes_acked;
    out->bytes_received = msk->bytes_received;
    out->bytes_retrans = msk->bytes_retrans;
    out->rcv_wnd = mp_mptcp_rcv_wnd(msk);
    out->retransmits = msk->rtx_backoff;
}

size_t mp_mptcp_subflow_count(const struct mp_mptcp_sock *msk)
{
    return msk->subflows->len;
}

bool mp_mptcp_subflow_get(const struct mp_mptcp_sock *msk, size_t i,
                          struct mp_mptcp_subflow_info *out)
{
    if (i >= msk->subflows->len)
        return false;
    const struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
    memset(out, 0, sizeof(*out));
    out->local_id = sf->local_id;
    out->remote_id = sf->remote_id;
    out->backup = sf->backup;
    out->join = sf->kind == MP_SF_JOIN;
    out->established = sf->established && !sf->closed;
    out->bytes_sent = sf->bytes_sent;
    out->bytes_received = sf->bytes_received;
    if (sf->ssk) {
        mp_tcp_endpoints(sf->ssk, &out->local, &out->remote);
        mp_tcp_get_info(sf->ssk, &out->tcp);
    }
    return true;
}

bool mp_mptcp_first_tcp_info(const struct mp_mptcp_sock *msk, struct mp_tcp_info *out)
{
    if (msk->first && msk->first->ssk) {
        mp_tcp_get_info(msk->first->ssk, out);
        return true;
    }
    if (msk->first_info_ok)
        *out = msk->first_info;
    return msk->first_info_ok;
}

struct mp_tcp_conn *mp_mptcp_first_tcp(const struct mp_mptcp_sock *msk)
{
    return msk->is_listener ? msk->lssk : fb_ssk(msk);
}
