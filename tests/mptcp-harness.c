/*
 * afmp tests: the MPTCP world and applications test-mptcp-sched.c and
 * test-mptcp-policy.c share (mptcp-harness.h).
 */
#include "mptcp-harness.h"

#include <string.h>

#include "model/mptcp/protocol.h"
#include "model/net/counters.h"
#include "model/net/host.h"
#include "sim/engine.h"

/* ---- the byte pattern (as tests/test-mptcp.c) ---- */

uint8_t pat(uint64_t i)
{
    return (uint8_t)(((i + 1) * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
}

void pat_fill(uint8_t *b, size_t n, uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        b[i] = pat(off + i);
}

bool pat_ok(const uint8_t *b, size_t n, uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != pat(off + i))
            return false;
    return true;
}

/* ---- the world ---- */



void fx_build(struct fx *f, const struct wconf *c)
{
    struct mp_world_conf wc = {.seed = 7};
    struct mp_host_opts ro;
    struct mp_link_conf lc;
    char name[32], pfx[32];
    memset(f, 0, sizeof(*f));
    mp_host_opts_default(&ro);
    ro.forward = true;
    f->w = mp_world_new(&wc);
    f->eng = mp_world_engine(f->w);
    f->client = mp_world_add_node(f->w, "client", NULL, false);
    f->r1 = mp_world_add_node(f->w, "r1", &ro, false);
    f->server = mp_world_add_node(f->w, "server", NULL, false);
    unsigned nif = c->nifaces ? c->nifaces : 2;
    for (unsigned i = 0; i < nif; i++) {
        g_snprintf(name, sizeof(name), "eth%u", i);
        uint32_t ci = mp_node_add_iface(f->client, name, 1500);
        uint32_t ri = mp_node_add_iface(f->r1, name, 1500);
        g_snprintf(pfx, sizeof(pfx), "10.0.%u.2/24", i + 1);
        fx_addr(f->client, ci, pfx);
        g_snprintf(pfx, sizeof(pfx), "10.0.%u.1/24", i + 1);
        fx_addr(f->r1, ri, pfx);
        g_snprintf(name, sizeof(name), "c%u", i);
        fx_link_conf(&lc, name, 10000000, c->delay[i]);
        lc.dir[0].qdisc_params = lc.dir[1].qdisc_params = c->queue;
        f->c[i] = mp_world_connect(f->w, f->client, ci, f->r1, ri, &lc, NULL);
        g_assert_nonnull(f->c[i]);
    }
    uint32_t rs = mp_node_add_iface(f->r1, "eth8", 1500);
    uint32_t s0 = mp_node_add_iface(f->server, "eth0", 1500);
    fx_addr(f->r1, rs, "10.0.10.1/24");
    fx_addr(f->server, s0, "10.0.10.2/24");
    fx_link_conf(&lc, "s", 1000000000, MP_MS(1));
    g_assert_nonnull(mp_world_connect(f->w, f->r1, rs, f->server, s0, &lc, NULL));
    mp_node_set_per_iface_tables(f->client, true);
    mp_world_compute_routes(f->w);
    struct mp_mptcp_config mc;
    mp_mptcp_config_default(&mc);
    if (c->sched)
        mc.scheduler = c->sched;
    if (c->pm)
        mc.pm = c->pm;
    if (c->cc)
        mc.cc = c->cc;
    if (c->subflows)
        mc.subflows = c->subflows;
    if (c->endpoints) {
        char *why = NULL;
        mc.pm = "kernel";
        g_assert_true(mp_mptcp_parse_endpoints(c->endpoints, mc.endpoints, MP_MPTCP_MAX_ENDPOINTS,
                                               &mc.n_endpoints, &why));
    }
    g_assert_cmpint(mp_node_set_mptcp(f->client, &mc), ==, 0);
    if (c->rcvbuf) {
        mp_mptcp_config_default(&mc);
        mc.rcvbuf = c->rcvbuf;
        g_assert_cmpint(mp_node_set_mptcp(f->server, &mc), ==, 0);
    }
}

uint64_t ctr(struct mp_node *n, const char *name)
{
    int id = mp_ctr_lookup(name);
    if (id < 0)
        g_error("no counter named %s", name);
    return mp_node_host(n)->ctr.v[id];
}

struct mp_endpoint ep(const char *ip, uint16_t port)
{
    struct mp_endpoint e;
    memset(&e, 0, sizeof(e));
    g_assert_cmpint(mp_ip_parse(ip, &e.ip), ==, 0);
    e.port = port;
    return e;
}

struct mp_mptcp_stack *stack(struct mp_node *n)
{
    struct mp_mptcp_stack *st = mp_mptcp_stack_of(mp_node_host(n));
    g_assert_nonnull(st);
    return st;
}

/* ---- the applications: a sender and a checking receiver ---- */


static void peer_io(struct peer *p, mp_time_t now)
{
    if (!p->msk)
        return;
    uint64_t limit = p->pace_every ? MIN(p->allowed, p->total) : p->total;
    while (p->connected && p->sent < limit) {
        size_t n = (size_t)MIN((uint64_t)CHUNK, limit - p->sent);
        pat_fill(p->buf, n, p->sent);
        ssize_t k = mp_mptcp_send(p->msk, p->buf, n, now);
        if (k <= 0) {
            mp_mptcp_want_writable(p->msk);
            break;
        }
        p->sent += (uint64_t)k;
    }
    if (p->connected && p->total && p->sent == p->total && !p->shut) {
        p->shut = true;
        mp_mptcp_shutdown_wr(p->msk, now);
    }
    for (;;) {
        ssize_t k = mp_mptcp_recv(p->msk, p->buf, CHUNK, now);
        if (k > 0) {
            if (!pat_ok(p->buf, (size_t)k, p->rcvd))
                p->bad = true;
            p->rcvd += (uint64_t)k;
            continue;
        }
        if (k == 0 && !p->eof) {
            p->eof = true;
            p->eof_at = now;
            if (p->shut_on_eof && !p->shut) {
                p->shut = true;
                mp_mptcp_shutdown_wr(p->msk, now);
            }
        }
        break;
    }
}

static void kick_fire(void *arg, mp_time_t now)
{
    struct peer *p = arg;
    p->kick_pending = false;
    peer_io(p, now);
}

/* I/O from an event of its own, as the socket layer wakes a process. */
static void kick(struct peer *p, mp_time_t now)
{
    if (p->kick_pending)
        return;
    p->kick_pending = true;
    mp_engine_at(p->f->eng, now, kick_fire, p);
}

static void pace_fire(void *arg, mp_time_t now)
{
    struct peer *p = arg;
    p->allowed += p->pace_bytes;
    kick(p, now);
    if (p->allowed < p->total)
        mp_engine_at(p->f->eng, now + p->pace_every, pace_fire, p);
}

static void m_connected(void *arg, struct mp_mptcp_sock *msk, mp_time_t now)
{
    struct peer *p = arg;
    (void)msk;
    p->connected = true;
    if (p->pace_every)
        pace_fire(p, now);
    kick(p, now);
}

static void m_wake(void *arg, struct mp_mptcp_sock *msk, mp_time_t now)
{
    (void)msk;
    kick(arg, now);
}

static void m_closed(void *arg, struct mp_mptcp_sock *msk, int err, mp_time_t now)
{
    struct peer *p = arg;
    (void)msk;
    (void)now;
    if (!p->closed) {
        p->closed = true;
        p->close_err = err;
    }
}

static void m_accept_ready(void *arg, struct mp_mptcp_sock *l, mp_time_t now)
{
    struct peer *p = arg;
    struct mp_mptcp_sock *m;
    while ((m = mp_mptcp_accept(l))) {
        if (p->msk) {
            mp_mptcp_abort(m, now);
            continue;
        }
        p->msk = m;
        p->connected = true;
        kick(p, now);
    }
}

const struct mp_mptcp_cbs mcbs_tmpl = {
    .connected = m_connected,
    .accept_ready = m_accept_ready,
    .readable = m_wake,
    .writable = m_wake,
    .closed = m_closed,
};


static void dial_fire(void *arg, mp_time_t now)
{
    struct run *r = arg;
    struct mp_mptcp_cbs cbs = mcbs_tmpl;
    cbs.arg = &r->cl;
    struct mp_endpoint l = ep("10.0.1.2", 0), s = ep("10.0.10.2", PORT);
    r->rc = mp_mptcp_connect(stack(r->f.client), &l, &s, NULL, &cbs, &r->cl.msk, now);
}

/* Before the join is fully established (a round trip after it appears),
 * so it never was a non-backup subflow that could send. */
static void backup_fire(void *arg, mp_time_t now)
{
    struct run *r = arg;
    struct mp_mptcp_sock *msk = r->cl.msk;
    if (msk && msk->subflows->len >= 2) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[1];
        g_assert_false(mp_mptcp_subflow_active(sf));
        sf->backup = true;
        return;
    }
    mp_engine_at(r->f.eng, now + MP_MS(1), backup_fire, r);
}

void run_setup(struct run *r, const struct wconf *c, uint64_t total)
{
    fx_build(&r->f, c);
    memset(&r->cl, 0, sizeof(r->cl));
    memset(&r->sv, 0, sizeof(r->sv));
    r->cl.f = r->sv.f = &r->f;
    r->cl.n = r->f.client;
    r->sv.n = r->f.server;
    r->cl.total = total;
    r->sv.shut_on_eof = true;
    struct mp_mptcp_cbs cbs = mcbs_tmpl;
    cbs.arg = &r->sv;
    struct mp_endpoint l = ep("10.0.10.2", PORT);
    g_assert_cmpint(mp_mptcp_listen(stack(r->f.server), &l, 16, NULL, &cbs, &r->sv.lmsk), ==, 0);
    r->rc = 1;
    mp_engine_at(r->f.eng, MP_MS(1), dial_fire, r);
    if (r->backup_join)
        mp_engine_at(r->f.eng, MP_MS(1), backup_fire, r);
}

/* Runs in steps of 50 ms until both ends closed or |limit|. */
void run_go(struct run *r, mp_time_t limit)
{
    for (mp_time_t t = MP_MS(50); t <= limit && !r->done; t += MP_MS(50)) {
        mp_world_run(r->f.w, t);
        r->done = r->cl.closed && r->sv.closed;
    }
    g_assert_cmpint(r->rc, ==, 0);
}

void run_free(struct run *r)
{
    mp_world_free(r->f.w);
    g_free(r);
}

uint64_t sf_bytes(const struct run *r, size_t i)
{
    struct mp_mptcp_subflow_info si;
    g_assert_true(mp_mptcp_subflow_get(r->cl.msk, i, &si));
    return si.bytes_sent;
}

void assert_done_intact(const struct run *r, uint64_t total, size_t nsub)
{
    g_assert_true(r->done);
    g_assert_false(r->sv.bad);
    g_assert_cmpuint(r->sv.rcvd, ==, total);
    g_assert_true(r->sv.eof);
    g_assert_cmpint(r->cl.close_err, ==, 0);
    g_assert_cmpint(r->sv.close_err, ==, 0);
    g_assert_cmpuint(mp_mptcp_subflow_count(r->cl.msk), ==, nsub);
}

/* Share of |total| in per mille. */
uint64_t permille(uint64_t part, uint64_t total)
{
    return total ? part * 1000u / total : 0;
}
