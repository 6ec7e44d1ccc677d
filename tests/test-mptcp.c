/*
 * MPTCP v1 (model/mptcp) end to end, through its sans-IO API on small
 * worlds: a client with one to three interfaces, each on its own link to
 * r1, and a server (and sometimes a third host) behind r1:
 *
 *   client eth0 10.0.1.2 --c0-- r1 --s-- server 10.0.10.2
 *          eth1 10.0.2.2 --c1--  |
 *          eth2 10.0.3.2 --c2--  +--o-- other 10.0.11.2
 *
 * The client has one routing table per interface, so each subflow takes
 * its own link. Test "applications" are callbacks that write a byte pattern
 * and check it on arrival; they do their I/O from an engine event scheduled
 * by the callback, as the socket layer does. A tap (a fault decorator that
 * passes everything on) records every TCP segment of the links it sits on,
 * so the tests read the options that went on the wire.
 *
 * Covered: MP_CAPABLE and MP_JOIN handshakes (counters, keys, tokens,
 * address IDs), transfers over two subflows with DATA_FIN and the data
 * sequence space, fallback to TCP, joins refused (unknown token, limits,
 * a wrong HMAC), an IPv6 join on an IPv4 connection, the loss of the
 * initial subflow's path, the default scheduler's choices, data-level
 * reassembly and duplicates, the option budget and lengths on the wire
 * (with and without DSS checksums), Linux's simult_flows aggregation
 * bounds, determinism, and the expansion of 32-bit data sequence numbers.
 * Options encoding, crypto and tokens are tests/test-mptcp-wire.c's.
 *
 * Tests that hit a known bug are marked incomplete (TAP "not ok # TODO")
 * and stop early; AFMP_TEST_KNOWN_BUGS=1 runs them to the end.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "fixture.h"
#include "model/mptcp/crypto.h"
#include "model/mptcp/mptcp.h"
#include "model/mptcp/options.h"
#include "model/mptcp/protocol.h"
#include "model/net/addr.h"
#include "model/net/counters.h"
#include "model/net/host.h"
#include "model/wire/wire.h"
#include "sim/engine.h"
#include "sim/net/fault.h"
#include "sim/net/world.h"

#define PORT 5001
#define MAX_IF 3
#define CHUNK 65536u
#define MIB (1024u * 1024u)

/* ---- the byte pattern ---- */

/* Byte |i| of every stream: the top byte of a 64-bit multiplicative hash,
 * so that bytes misplaced by any distance are noticed (no short period). */
static inline uint8_t pat(uint64_t i)
{
    return (uint8_t)(((i + 1) * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
}

static void pat_fill(uint8_t *b, size_t n, uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        b[i] = pat(off + i);
}

static bool pat_ok(const uint8_t *b, size_t n, uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != pat(off + i))
            return false;
    return true;
}

/* ---- the tap: every TCP segment that a link direction is offered ---- */

struct seg {
    int link, end;
    mp_time_t t;
    struct mp_ip src, dst;
    uint16_t sport, dport, flags;
    uint32_t seq, ack, plen;
    uint8_t opts[40];
    uint8_t olen;
};

struct tap {
    struct mp_fault base; /* first: the link frees the tap with g_free */
    GArray *segs;         /* struct seg, owned by the fixture */
    int link, end;
};

static void tap_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct tap *t = (struct tap *)f;
    struct seg s;
    memset(&s, 0, sizeof(s));
    const uint8_t *l4 = NULL;
    size_t l4len = 0;
    if (pkt->len >= 1 && pkt->data[0] >> 4 == 4) {
        struct mp_wire_ip4 h;
        if (mp_wire_ip4_parse(pkt->data, pkt->len, &h) == 0 && h.proto == 6 && !h.is_fragment) {
            l4 = pkt->data + h.payload_off;
            l4len = h.payload_len;
            s.src = h.src;
            s.dst = h.dst;
        }
    } else if (pkt->len >= 1 && pkt->data[0] >> 4 == 6) {
        struct mp_wire_ip6 h;
        if (mp_wire_ip6_parse(pkt->data, pkt->len, &h) == 0 && h.proto == 6 && !h.is_fragment) {
            l4 = pkt->data + h.l4_off;
            l4len = h.l4_len;
            s.src = h.src;
            s.dst = h.dst;
        }
    }
    struct mp_wire_tcp th;
    if (l4 && mp_wire_tcp_parse(l4, l4len, &th) == 0) {
        s.link = t->link;
        s.end = t->end;
        s.t = now;
        s.sport = th.sport;
        s.dport = th.dport;
        s.flags = th.flags;
        s.seq = th.seq;
        s.ack = th.ack;
        s.plen = (uint32_t)th.payload_len;
        g_assert_cmpuint(th.opts_len, <=, sizeof(s.opts));
        s.olen = (uint8_t)th.opts_len;
        memcpy(s.opts, th.opts, th.opts_len);
        g_array_append_val(t->segs, s);
    }
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops tap_ops = {
    .kind = "tap",
    .stage = 10, /* before loss: what the sender offered */
    .input = tap_input,
};

static void tap_link(struct mp_link *l, int link, GArray *segs)
{
    for (int e = 0; e < 2; e++) {
        struct tap *t = g_malloc0(sizeof(*t));
        t->base.ops = &tap_ops;
        t->segs = segs;
        t->link = link;
        t->end = e;
        mp_link_add_fault(l, e, &t->base);
    }
}

/* The length of the first MPTCP option of |subtype| in |s|, 0 if none. */
static int mptcp_opt_len(const struct seg *s, unsigned subtype)
{
    struct mp_wire_opt_iter it;
    struct mp_wire_opt o;
    mp_wire_opt_iter_init(&it, s->opts, s->olen);
    while (mp_wire_opt_next(&it, &o) == 1)
        if (o.kind == MP_TCPOPT_MPTCP && o.data_len >= 1 && (unsigned)(o.data[0] >> 4) == subtype)
            return o.len;
    return 0;
}

/* ---- the world ---- */

enum { LINK_C0 = 0, LINK_S = MAX_IF, LINK_O, LINK__N };

struct wconf {
    int nif;                 /* client interfaces, 1..MAX_IF */
    uint64_t rate[MAX_IF];   /* client links, bit/s (0: 10 Mbit/s) */
    mp_time_t delay[MAX_IF]; /* one way (0: 5 ms) */
    bool other;              /* a third host behind r1 */
    bool v6;                 /* 2001:db8:<n>::/64 next to every 10.0.<n>.0/24 */
    bool tap;
    const struct mp_mptcp_config *client_mptcp, *server_mptcp, *other_mptcp;
};

struct fx {
    struct mp_world *w;
    struct mp_engine *eng;
    struct mp_node *client, *r1, *server, *other;
    struct mp_link *link[LINK__N];
    GArray *segs;
};

static void set_mptcp(struct mp_node *n, const struct mp_mptcp_config *c)
{
    if (c)
        g_assert_cmpint(mp_node_set_mptcp(n, c), ==, 0);
}

static void fx_build(struct fx *f, const struct wconf *c)
{
    struct mp_world_conf wc = {.seed = 11};
    struct mp_host_opts ro;
    struct mp_link_conf lc;
    char name[32], pfx[32];
    memset(f, 0, sizeof(*f));
    mp_host_opts_default(&ro);
    ro.forward = true;
    f->w = mp_world_new(&wc);
    f->eng = mp_world_engine(f->w);
    f->segs = g_array_new(FALSE, FALSE, sizeof(struct seg));
    f->client = mp_world_add_node(f->w, "client", NULL, false);
    f->r1 = mp_world_add_node(f->w, "r1", &ro, false);
    f->server = mp_world_add_node(f->w, "server", NULL, false);
    g_assert_true(c->nif >= 1 && c->nif <= MAX_IF);
    for (int i = 0; i < c->nif; i++) {
        g_snprintf(name, sizeof(name), "eth%d", i);
        uint32_t ci = mp_node_add_iface(f->client, name, 1500);
        uint32_t ri = mp_node_add_iface(f->r1, name, 1500);
        g_snprintf(pfx, sizeof(pfx), "10.0.%d.2/24", i + 1);
        fx_addr(f->client, ci, pfx);
        g_snprintf(pfx, sizeof(pfx), "10.0.%d.1/24", i + 1);
        fx_addr(f->r1, ri, pfx);
        if (c->v6) {
            g_snprintf(pfx, sizeof(pfx), "2001:db8:%d::2/64", i + 1);
            fx_addr(f->client, ci, pfx);
            g_snprintf(pfx, sizeof(pfx), "2001:db8:%d::1/64", i + 1);
            fx_addr(f->r1, ri, pfx);
        }
        g_snprintf(name, sizeof(name), "c%d", i);
        fx_link_conf(&lc, name, c->rate[i] ? c->rate[i] : 10000000,
                     c->delay[i] ? c->delay[i] : MP_MS(5));
        f->link[LINK_C0 + i] = mp_world_connect(f->w, f->client, ci, f->r1, ri, &lc, NULL);
        g_assert_nonnull(f->link[LINK_C0 + i]);
    }
    uint32_t rs = mp_node_add_iface(f->r1, "eth8", 1500);
    uint32_t s0 = mp_node_add_iface(f->server, "eth0", 1500);
    fx_addr(f->r1, rs, "10.0.10.1/24");
    fx_addr(f->server, s0, "10.0.10.2/24");
    if (c->v6) {
        fx_addr(f->r1, rs, "2001:db8:10::1/64");
        fx_addr(f->server, s0, "2001:db8:10::2/64");
    }
    fx_link_conf(&lc, "s", 1000000000, MP_MS(1));
    f->link[LINK_S] = mp_world_connect(f->w, f->r1, rs, f->server, s0, &lc, NULL);
    g_assert_nonnull(f->link[LINK_S]);
    if (c->other) {
        f->other = mp_world_add_node(f->w, "other", NULL, false);
        uint32_t ro_ = mp_node_add_iface(f->r1, "eth9", 1500);
        uint32_t o0 = mp_node_add_iface(f->other, "eth0", 1500);
        fx_addr(f->r1, ro_, "10.0.11.1/24");
        fx_addr(f->other, o0, "10.0.11.2/24");
        fx_link_conf(&lc, "o", 1000000000, MP_MS(1));
        f->link[LINK_O] = mp_world_connect(f->w, f->r1, ro_, f->other, o0, &lc, NULL);
        g_assert_nonnull(f->link[LINK_O]);
    }
    mp_node_set_per_iface_tables(f->client, true);
    mp_world_compute_routes(f->w);
    set_mptcp(f->client, c->client_mptcp);
    set_mptcp(f->server, c->server_mptcp);
    if (f->other)
        set_mptcp(f->other, c->other_mptcp);
    if (c->tap)
        for (int i = 0; i < LINK__N; i++)
            if (f->link[i])
                tap_link(f->link[i], i, f->segs);
}

static void fx_free(struct fx *f)
{
    mp_world_free(f->w);
    g_array_free(f->segs, TRUE);
}

static uint64_t ctr(struct mp_node *n, const char *name)
{
    int id = mp_ctr_lookup(name);
    if (id < 0)
        g_error("no counter named %s", name);
    return mp_node_host(n)->ctr.v[id];
}

static struct mp_endpoint ep(const char *ip, uint16_t port)
{
    struct mp_endpoint e;
    memset(&e, 0, sizeof(e));
    g_assert_cmpint(mp_ip_parse(ip, &e.ip), ==, 0);
    e.port = port;
    return e;
}

static struct mp_mptcp_stack *stack(struct mp_node *n)
{
    struct mp_mptcp_stack *st = mp_mptcp_stack_of(mp_node_host(n));
    g_assert_nonnull(st);
    return st;
}

/* ---- test applications ---- */

struct peer {
    struct fx *f;
    struct mp_node *n;
    /* MPTCP, or plain TCP (tc, tl) for the peers without MPTCP */
    struct mp_mptcp_sock *msk, *lmsk;
    struct mp_tcp_conn *tc, *tl;
    int accepted;
    /* sending: |total| bytes of the pattern, then shut down (unless
     * |no_shut|) */
    uint64_t total, sent;
    bool no_shut;
    bool shut;
    /* receiving: the pattern checked as it comes; on EOF, shut down too
     * when |shut_on_eof| */
    uint64_t rcvd;
    bool bad;
    bool eof, shut_on_eof;
    mp_time_t eof_at;
    bool connected;
    bool closed;
    int close_err;
    mp_time_t closed_at;
    bool kick_pending;
    uint8_t buf[CHUNK];
};

static void peer_io(struct peer *p, mp_time_t now)
{
    if (!p->msk && !p->tc)
        return;
    while (p->connected && p->sent < p->total) {
        size_t n = (size_t)MIN((uint64_t)CHUNK, p->total - p->sent);
        pat_fill(p->buf, n, p->sent);
        ssize_t k =
            p->msk ? mp_mptcp_send(p->msk, p->buf, n, now) : mp_tcp_send(p->tc, p->buf, n, now);
        if (k <= 0) {
            if (p->msk)
                mp_mptcp_want_writable(p->msk);
            break;
        }
        p->sent += (uint64_t)k;
    }
    if (p->connected && p->total && p->sent == p->total && !p->shut && !p->no_shut) {
        p->shut = true;
        if (p->msk)
            mp_mptcp_shutdown_wr(p->msk, now);
        else
            mp_tcp_shutdown_wr(p->tc, now);
    }
    for (;;) {
        ssize_t k = p->msk ? mp_mptcp_recv(p->msk, p->buf, CHUNK, now)
                           : mp_tcp_recv(p->tc, p->buf, CHUNK, now);
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
                if (p->msk)
                    mp_mptcp_shutdown_wr(p->msk, now);
                else
                    mp_tcp_shutdown_wr(p->tc, now);
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

static void m_connected(void *arg, struct mp_mptcp_sock *msk, mp_time_t now)
{
    struct peer *p = arg;
    (void)msk;
    p->connected = true;
    kick(p, now);
}

static void m_wake(void *arg, struct mp_mptcp_sock *msk, mp_time_t now)
{
    (void)msk;
    kick(arg, now);
}

/* What both kinds of connection report, MPTCP and plain TCP. */
static void peer_closed(struct peer *p, int err, mp_time_t now)
{
    if (!p->closed) {
        p->closed = true;
        p->close_err = err;
        p->closed_at = now;
    }
}

/* Takes the first accepted connection; later ones are refused (one
 * connection per test server). Returns false for those. */
static bool peer_accepted(struct peer *p, bool have, mp_time_t now)
{
    p->accepted++;
    if (have)
        return false;
    p->connected = true;
    kick(p, now);
    return true;
}

static void m_closed(void *arg, struct mp_mptcp_sock *msk, int err, mp_time_t now)
{
    (void)msk;
    peer_closed(arg, err, now);
}

static void m_accept_ready(void *arg, struct mp_mptcp_sock *l, mp_time_t now)
{
    struct peer *p = arg;
    struct mp_mptcp_sock *m;
    while ((m = mp_mptcp_accept(l))) {
        if (peer_accepted(p, p->msk != NULL, now))
            p->msk = m;
        else
            mp_mptcp_abort(m, now);
    }
}

static const struct mp_mptcp_cbs mcbs_tmpl = {
    .connected = m_connected,
    .accept_ready = m_accept_ready,
    .readable = m_wake,
    .writable = m_wake,
    .closed = m_closed,
};

static void t_wake(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    (void)c;
    kick(arg, now);
}

static void t_closed(void *arg, struct mp_tcp_conn *c, int err, mp_time_t now)
{
    (void)c;
    peer_closed(arg, err, now);
}

static void t_accept_ready(void *arg, struct mp_tcp_conn *l, mp_time_t now)
{
    struct peer *p = arg;
    struct mp_tcp_conn *c;
    while ((c = mp_tcp_accept(l))) {
        if (peer_accepted(p, p->tc != NULL, now))
            p->tc = c;
        else
            mp_tcp_abort(c, now);
    }
}

static const struct mp_tcp_cbs tcbs_tmpl = {
    .accept_ready = t_accept_ready,
    .readable = t_wake,
    .writable = t_wake,
    .closed = t_closed,
};

static void peer_init(struct peer *p, struct fx *f, struct mp_node *n)
{
    memset(p, 0, sizeof(*p));
    p->f = f;
    p->n = n;
}

/* An MPTCP listener on |ip|:PORT (NULL: every address of both families)
 * that reads everything and shuts down on EOF. */
static void peer_listen(struct peer *p, const char *ip)
{
    struct mp_mptcp_cbs cbs = mcbs_tmpl;
    cbs.arg = p;
    struct mp_endpoint l = {.port = PORT};
    if (ip)
        l = ep(ip, PORT);
    p->shut_on_eof = true;
    g_assert_cmpint(mp_mptcp_listen(stack(p->n), &l, 16, NULL, &cbs, &p->lmsk), ==, 0);
}

/* A plain TCP listener, the same otherwise. */
static void peer_listen_tcp(struct peer *p, const char *ip)
{
    struct mp_tcp_cbs cbs = tcbs_tmpl;
    cbs.arg = p;
    struct mp_endpoint l = ep(ip, PORT);
    p->shut_on_eof = true;
    g_assert_cmpint(mp_tcp_listen(mp_tcp_stack_of(mp_node_host(p->n)), &l, 16, NULL, &cbs, &p->tl),
                    ==, 0);
}

struct dial {
    struct peer *p;
    struct mp_endpoint local, remote;
    struct mp_endpoint extra[4]; /* mp_mptcp_add_remote right after connect */
    int nextra;
    int rc;
};

static void dial_fire(void *arg, mp_time_t now)
{
    struct dial *d = arg;
    struct peer *p = d->p;
    struct mp_mptcp_cbs cbs = mcbs_tmpl;
    cbs.arg = p;
    d->rc = mp_mptcp_connect(stack(p->n), &d->local, &d->remote, NULL, &cbs, &p->msk, now);
    for (int i = 0; d->rc == 0 && i < d->nextra; i++)
        g_assert_cmpint(mp_mptcp_add_remote(p->msk, &d->extra[i], now), ==, 0);
}

static void dial_at(struct dial *d, struct peer *p, mp_time_t when, const char *from,
                    const char *to)
{
    memset(d, 0, sizeof(*d));
    d->p = p;
    d->local = ep(from, 0);
    d->remote = ep(to, PORT);
    d->rc = 1;
    mp_engine_at(p->f->eng, when, dial_fire, d);
}

/* Runs in steps of 50 ms until both peers are done (closed, or for those
 * that never close: everything read) or |limit|. */
static bool run_until_done(struct fx *f, struct peer *a, struct peer *b, mp_time_t limit)
{
    for (mp_time_t t = MP_MS(50); t <= limit; t += MP_MS(50)) {
        mp_world_run(f->w, t);
        if (a->closed && b->closed)
            return true;
    }
    return false;
}

static void run_for(struct fx *f, mp_time_t until)
{
    mp_world_run(f->w, until);
}

static void assert_intact(const struct peer *rx, uint64_t total)
{
    g_assert_false(rx->bad);
    g_assert_cmpuint(rx->rcvd, ==, total);
}

/* ---- 1. handshakes ---- */

static void test_handshake(void)
{
    struct fx f;
    struct wconf c = {.nif = 2};
    fx_build(&f, &c);
    struct peer cl, sv;
    struct dial d;
    peer_init(&cl, &f, f.client);
    peer_init(&sv, &f, f.server);
    peer_listen(&sv, "10.0.10.2");
    /* Some data, so that the server's DATA_ACK tells the client it has the
     * keys (RFC 8684 3.1): the path manager acts once fully established. */
    cl.total = 64 * 1024;
    cl.no_shut = true;
    dial_at(&d, &cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    run_for(&f, MP_S(2));
    g_assert_cmpint(d.rc, ==, 0);
    g_assert_nonnull(sv.msk);
    assert_intact(&sv, cl.total);

    /* MP_CAPABLE, both sides */
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPCapableSYNTX"), ==, 1);
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPCapableSYNACKRX"), ==, 1);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPCapableSYNRX"), ==, 1);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPCapableACKRX"), ==, 1);
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPCapableFallbackSYNACK"), ==, 0);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPCapableFallbackACK"), ==, 0);

    struct mp_mptcp_info ci, si;
    mp_mptcp_get_info(cl.msk, &ci);
    mp_mptcp_get_info(sv.msk, &si);
    g_assert_false(ci.fallback);
    g_assert_false(si.fallback);
    g_assert_true(ci.fully_established);
    g_assert_true(si.fully_established);
    g_assert_cmpint(ci.state, ==, MP_TCP_ESTABLISHED);
    g_assert_cmpint(si.state, ==, MP_TCP_ESTABLISHED);
    g_assert_cmpuint(ci.local_key, !=, 0);
    g_assert_cmpuint(si.local_key, !=, 0);
    g_assert_cmpuint(ci.local_key, !=, si.local_key);
    g_assert_cmpuint(ci.remote_key, ==, si.local_key);
    g_assert_cmpuint(si.remote_key, ==, ci.local_key);
    g_assert_cmpuint(ci.remote_token, ==, si.local_token);
    g_assert_cmpuint(si.remote_token, ==, ci.local_token);
    /* The token is the one the key gives (RFC 8684 3.2: the most
     * significant 32 bits of SHA-256(key)). */
    uint32_t tok;
    uint64_t idsn;
    mp_mptcp_key_derive(ci.local_key, &tok, &idsn);
    g_assert_cmpuint(tok, ==, ci.local_token);

    /* one MP_JOIN, from the second address (limit 2, one address left) */
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPJoinSynTx"), ==, 1);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPJoinSynRx"), ==, 1);
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPJoinSynAckRx"), ==, 1);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPJoinAckRx"), ==, 1);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPJoinAckHMacFailure"), ==, 0);
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPJoinSynAckHMacFailure"), ==, 0);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPJoinRejected"), ==, 0);
    g_assert_cmpuint(ci.subflows, ==, 2);
    g_assert_cmpuint(si.subflows, ==, 2);

    /* subflow info: the initial one has IDs 0/0; the join comes from the
     * client's address ID 1 to the server's initial address (ID 0) */
    struct mp_mptcp_subflow_info s0, s1;
    g_assert_cmpuint(mp_mptcp_subflow_count(cl.msk), ==, 2);
    g_assert_true(mp_mptcp_subflow_get(cl.msk, 0, &s0));
    g_assert_true(mp_mptcp_subflow_get(cl.msk, 1, &s1));
    g_assert_false(mp_mptcp_subflow_get(cl.msk, 2, &s0));
    g_assert_true(mp_mptcp_subflow_get(cl.msk, 0, &s0));
    g_assert_false(s0.join);
    g_assert_true(s1.join);
    g_assert_true(s0.established);
    g_assert_true(s1.established);
    g_assert_cmpuint(s0.local_id, ==, 0);
    g_assert_cmpuint(s0.remote_id, ==, 0);
    g_assert_cmpuint(s1.local_id, ==, 1);
    g_assert_cmpuint(s1.remote_id, ==, 0);
    struct mp_endpoint a1 = ep("10.0.2.2", 0), srv = ep("10.0.10.2", PORT);
    g_assert_true(mp_ip_eq(&s1.local.ip, &a1.ip));
    g_assert_true(mp_ip_eq(&s1.remote.ip, &srv.ip));
    g_assert_cmpuint(s1.remote.port, ==, PORT);

    g_assert_cmpuint(mp_mptcp_subflow_count(sv.msk), ==, 2);
    g_assert_true(mp_mptcp_subflow_get(sv.msk, 0, &s0));
    g_assert_true(mp_mptcp_subflow_get(sv.msk, 1, &s1));
    g_assert_false(s0.join);
    g_assert_true(s1.join);
    g_assert_true(s1.established);
    g_assert_cmpuint(s0.local_id, ==, 0);
    g_assert_cmpuint(s0.remote_id, ==, 0);
    g_assert_cmpuint(s1.local_id, ==, 0);
    g_assert_cmpuint(s1.remote_id, ==, 1);
    fx_free(&f);
}

/* ---- 2 and 9. a transfer over two subflows ---- */

struct xfer {
    struct fx f;
    struct peer cl, sv;
    struct dial d;
    bool keep_open; /* the client never shuts down: run to the limit */
    bool done;
};

static void xfer_run(struct xfer *x, const struct wconf *c, uint64_t total, mp_time_t limit)
{
    fx_build(&x->f, c);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, "10.0.10.2");
    x->cl.total = total;
    x->cl.no_shut = x->keep_open;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    if (x->keep_open)
        run_for(&x->f, limit);
    else
        x->done = run_until_done(&x->f, &x->cl, &x->sv, limit);
    g_assert_cmpint(x->d.rc, ==, 0);
}

static void assert_both_sent(struct mp_mptcp_sock *msk)
{
    struct mp_mptcp_subflow_info si;
    g_assert_cmpuint(mp_mptcp_subflow_count(msk), >=, 2);
    for (size_t i = 0; i < 2; i++) {
        g_assert_true(mp_mptcp_subflow_get(msk, i, &si));
        if (si.bytes_sent == 0)
            g_error("subflow %zu carried no data", i);
    }
}

static void test_transfer(void)
{
    struct xfer *x = g_new0(struct xfer, 1);
    struct wconf c = {.nif = 2};
    const uint64_t total = 4 * MIB;
    xfer_run(x, &c, total, MP_S(20));
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    g_assert_true(x->sv.eof);
    g_assert_true(x->cl.eof); /* the server's DATA_FIN */
    assert_both_sent(x->cl.msk);

    /* DATA_FIN both ways closed both connections, orderly */
    g_assert_true(x->cl.closed);
    g_assert_true(x->sv.closed);
    g_assert_cmpint(x->cl.close_err, ==, 0);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    g_assert_cmpint(mp_mptcp_state(x->cl.msk), ==, MP_TCP_CLOSED);
    g_assert_cmpint(mp_mptcp_state(x->sv.msk), ==, MP_TCP_CLOSED);
    g_assert_cmpint(mp_mptcp_peek_error(x->cl.msk), ==, 0);
    g_assert_cmpint(mp_mptcp_peek_error(x->sv.msk), ==, 0);

    /* the data sequence space: IDSN + 1 is the first byte, the DATA_FIN
     * takes one (RFC 8684 3.3.3) */
    struct mp_mptcp_info ci, si;
    mp_mptcp_get_info(x->cl.msk, &ci);
    mp_mptcp_get_info(x->sv.msk, &si);
    uint32_t tok;
    uint64_t cidsn, sidsn;
    mp_mptcp_key_derive(si.remote_key, &tok, &cidsn);
    g_assert_cmpuint(tok, ==, ci.local_token);
    g_assert_cmpuint(si.rcv_nxt, ==, cidsn + 1 + total + 1);
    g_assert_cmpuint(ci.snd_una, ==, cidsn + 1 + total + 1);
    g_assert_cmpuint(ci.bytes_acked, ==, total);
    g_assert_cmpuint(si.bytes_received, ==, total);
    mp_mptcp_key_derive(ci.remote_key, &tok, &sidsn);
    g_assert_cmpuint(ci.rcv_nxt, ==, sidsn + 1 + 0 + 1); /* the server sent only its DATA_FIN */

    /* no anomaly on the way */
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtDSSNotMatching"), ==, 0);
    fx_free(&x->f);
    g_free(x);
}

/* Every TCP segment between client and server (each crosses exactly one
 * client link) within the option budget, well formed, with the lengths
 * RFC 8684 gives each handshake form, and every byte of payload under a
 * mapping that covers it. */
struct flow {
    uint16_t cport;
    bool join;
    bool have_iss_c, have_iss_s;
    uint32_t iss_c, iss_s;
    bool third_ack_seen; /* the client's first segment after the SYN/ACK */
    uint64_t data_segs;
};

static struct flow *flow_of(GArray *flows, uint16_t cport)
{
    for (guint i = 0; i < flows->len; i++) {
        struct flow *fl = &g_array_index(flows, struct flow, i);
        if (fl->cport == cport)
            return fl;
    }
    struct flow fl = {.cport = cport};
    g_array_append_val(flows, fl);
    return &g_array_index(flows, struct flow, flows->len - 1);
}

static void test_option_budget(gconstpointer data)
{
    /* with DSS checksums: the client asks (A flag), the server follows */
    bool csum = GPOINTER_TO_INT(data) != 0;
    struct mp_mptcp_config cc;
    mp_mptcp_config_default(&cc);
    cc.checksum = csum;
    struct xfer *x = g_new0(struct xfer, 1);
    struct wconf c = {.nif = 2, .tap = true, .client_mptcp = &cc};
    const uint64_t total = 4 * MIB;
    xfer_run(x, &c, total, MP_S(20));
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    struct mp_mptcp_info ci, si;
    mp_mptcp_get_info(x->cl.msk, &ci);
    mp_mptcp_get_info(x->sv.msk, &si);
    g_assert_true(ci.csum == csum);
    g_assert_true(si.csum == csum);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtDataCsumErr"), ==, 0);
    int data_form = 0; /* MP_CAPABLE with the first data's length */

    GArray *flows = g_array_new(FALSE, TRUE, sizeof(struct flow));
    uint64_t checked = 0, fins_c = 0, fins_s = 0;
    int syn_mpc = 0, syn_join = 0, synack_mpc = 0, synack_join = 0;
    for (guint i = 0; i < x->f.segs->len; i++) {
        const struct seg *s = &g_array_index(x->f.segs, struct seg, i);
        if (s->link >= MAX_IF)
            continue; /* the server's link repeats what the client links carry */
        bool from_client = s->dport == PORT;
        struct flow *fl = flow_of(flows, from_client ? s->sport : s->dport);
        g_assert_cmpuint(s->olen, <=, 40);
        g_assert_cmpint(mp_wire_opt_validate(s->opts, s->olen), ==, 0);
        struct mp_mptcp_opts o;
        g_assert_cmpint(mp_mptcp_opts_parse(s->opts, s->olen, &o), ==, 0);
        g_assert_cmpuint(o.malformed, ==, 0);
        int mpc_len = mptcp_opt_len(s, MP_MPTCP_CAPABLE);
        int join_len = mptcp_opt_len(s, MP_MPTCP_JOIN);
        checked++;
        if ((s->flags & MP_TCP_SYN) && !(s->flags & MP_TCP_ACK)) {
            g_assert_true(from_client);
            g_assert_true((mpc_len == 4) != (join_len == 12));
            if (mpc_len == 4) {
                g_assert_cmpuint(o.mpc.version, ==, 1);
                g_assert_true(o.mpc.flags & MP_MPC_FLAG_H);
                g_assert_true(!!(o.mpc.flags & MP_MPC_FLAG_A) == csum);
            }
            fl->join = join_len == 12;
            fl->iss_c = s->seq;
            fl->have_iss_c = true;
            if (fl->join)
                syn_join++;
            else
                syn_mpc++;
            continue;
        }
        if ((s->flags & MP_TCP_SYN) && (s->flags & MP_TCP_ACK)) {
            g_assert_false(from_client);
            if (fl->join) {
                g_assert_cmpint(join_len, ==, 16);
                synack_join++;
            } else {
                g_assert_cmpint(mpc_len, ==, 12);
                synack_mpc++;
            }
            fl->iss_s = s->seq;
            fl->have_iss_s = true;
            continue;
        }
        g_assert_true(fl->have_iss_c && fl->have_iss_s);
        if (from_client && !fl->third_ack_seen) {
            fl->third_ack_seen = true;
            /* RFC 8684 3.1: the third ACK of MP_CAPABLE (both keys, 20);
             * 3.2: the third ACK of MP_JOIN (the 160-bit HMAC, 24) */
            g_assert_cmpuint(s->plen, ==, 0);
            if (fl->join)
                g_assert_cmpint(join_len, ==, 24);
            else
                g_assert_cmpint(mpc_len, ==, 20);
        }
        if (o.present & MP_MPTCP_HAS_DSS && o.dss.data_fin) {
            if (from_client)
                fins_c++;
            else
                fins_s++;
        }
        if (s->plen == 0)
            continue;
        /* RFC 8684 3.3.1: data is sent with a mapping; the subflow
         * sequence number is relative to the subflow's ISN. */
        uint32_t rel = s->seq - (from_client ? fl->iss_c : fl->iss_s);
        fl->data_segs++;
        if (o.present & MP_MPTCP_HAS_DSS && o.dss.has_map) {
            uint32_t mlen = o.dss.data_len;
            if (!(rel >= o.dss.ssn && (uint64_t)rel + s->plen <= (uint64_t)o.dss.ssn + mlen))
                g_error("segment rel %u+%u outside its mapping ssn %u len %u", rel, s->plen,
                        o.dss.ssn, mlen);
            g_assert_true(o.dss.has_csum == csum);
        } else if (o.present & MP_MPTCP_HAS_CAPABLE && o.mpc.has_data_len) {
            /* the first data, with the keys (RFC 8684 3.1): SSN 1 */
            g_assert_false(fl->join);
            g_assert_cmpuint(rel, ==, 1);
            g_assert_cmpuint(s->plen, <=, o.mpc.data_len);
            g_assert_cmpint(mpc_len, ==, csum ? 24 : 22);
            g_assert_true(o.mpc.has_csum == csum);
            data_form++;
        } else {
            g_error("data segment (rel %u, %u bytes, from %s) without a mapping", rel, s->plen,
                    from_client ? "client" : "server");
        }
    }
    g_assert_cmpuint(checked, >, 1000);
    g_assert_cmpint(syn_mpc, >=, 1);
    g_assert_cmpint(syn_join, >=, 1);
    g_assert_cmpint(synack_mpc, >=, 1);
    g_assert_cmpint(synack_join, >=, 1);
    g_assert_cmpuint(flows->len, ==, 2);
    for (guint i = 0; i < flows->len; i++) {
        const struct flow *fl = &g_array_index(flows, struct flow, i);
        g_assert_true(fl->third_ack_seen);
        g_assert_cmpuint(fl->data_segs, >, 0);
    }
    g_assert_cmpuint(fins_c, >=, 1);
    g_assert_cmpuint(fins_s, >=, 1);
    g_assert_cmpint(data_form, >=, 1);
    g_array_free(flows, TRUE);
    fx_free(&x->f);
    g_free(x);
}

/* ---- 3. fallback ---- */

enum fb_kind { FB_DISABLED_TCP, FB_DISABLED_MPTCP_LISTENER, FB_ENABLED_TCP };

static void test_fallback(gconstpointer data)
{
    enum fb_kind k = (enum fb_kind)GPOINTER_TO_INT(data);
    struct mp_mptcp_config off;
    mp_mptcp_config_default(&off);
    off.enabled = false;
    struct wconf c = {.nif = 2, .server_mptcp = k == FB_ENABLED_TCP ? NULL : &off};
    struct fx f;
    fx_build(&f, &c);
    struct peer *cl = g_new0(struct peer, 1), *sv = g_new0(struct peer, 1);
    struct dial d;
    peer_init(cl, &f, f.client);
    peer_init(sv, &f, f.server);
    if (k == FB_DISABLED_MPTCP_LISTENER) {
        /* Linux with net.mptcp.enabled = 0: no MPTCP listener at all
         * (ENOPROTOOPT); the application listens with plain TCP. */
        struct mp_mptcp_cbs cbs = mcbs_tmpl;
        struct mp_endpoint l = ep("10.0.10.2", PORT);
        struct mp_mptcp_sock *lm = NULL;
        g_assert_cmpint(mp_mptcp_listen(stack(f.server), &l, 16, NULL, &cbs, &lm), ==,
                        -ENOPROTOOPT);
        g_assert_null(lm);
    }
    peer_listen_tcp(sv, "10.0.10.2");
    const uint64_t total = MIB;
    cl->total = total;
    dial_at(&d, cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    run_for(&f, MP_S(5));
    g_assert_cmpint(d.rc, ==, 0);
    struct mp_mptcp_info ci;
    mp_mptcp_get_info(cl->msk, &ci);
    g_assert_true(ci.fallback);
    g_assert_false(ci.fully_established);
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPCapableSYNTX"), ==, 1);
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPCapableFallbackSYNACK"), ==, 1);
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPCapableSYNACKRX"), ==, 0);
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPJoinSynTx"), ==, 0);
    g_assert_cmpuint(mp_mptcp_subflow_count(cl->msk), ==, 1);
    if (sv->accepted == 0) {
        g_test_incomplete("the server accepted no connection (see the report: a listener on a "
                          "host with MPTCP disabled aborts its children)");
        goto out;
    }
    assert_intact(sv, total);
    g_assert_true(sv->eof);
    g_assert_true(cl->eof);
    enum mp_tcp_state st = mp_mptcp_state(cl->msk);
    g_assert_true(st == MP_TCP_TIME_WAIT || st == MP_TCP_CLOSED);
out:
    if (sv->tc)
        mp_tcp_close(sv->tc, mp_engine_now(f.eng)); /* ours until closed */
    fx_free(&f);
    g_free(cl);
    g_free(sv);
}

/* ---- 4. a join to another host: unknown token ---- */

static const struct seg *find_rst(GArray *segs, int link, int end)
{
    for (guint i = 0; i < segs->len; i++) {
        const struct seg *s = &g_array_index(segs, struct seg, i);
        if (s->link == link && s->end == end && (s->flags & MP_TCP_RST))
            return s;
    }
    return NULL;
}

static void assert_rst_reason(const struct seg *s, unsigned reason)
{
    g_assert_nonnull(s);
    struct mp_mptcp_opts o;
    g_assert_cmpint(mp_mptcp_opts_parse(s->opts, s->olen, &o), ==, 0);
    g_assert_true(o.present & MP_MPTCP_HAS_TCPRST);
    g_assert_cmpint(mptcp_opt_len(s, MP_MPTCP_TCPRST), ==, 4);
    g_assert_cmpuint(o.rst.reason, ==, reason);
}

static void test_join_unknown_token(gconstpointer data)
{
    bool rst_rx_only = GPOINTER_TO_INT(data) != 0;
    struct wconf c = {.nif = 1, .other = true, .tap = true};
    struct xfer *x = g_new0(struct xfer, 1);
    struct peer *ot = g_new0(struct peer, 1);
    fx_build(&x->f, &c);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_init(ot, &x->f, x->f.other);
    peer_listen(&x->sv, "10.0.10.2");
    peer_listen(ot, "10.0.11.2");
    const uint64_t total = MIB;
    x->cl.total = total;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    x->d.extra[0] = ep("10.0.11.2", 0); /* 0: the initial subflow's port */
    x->d.nextra = 1;
    x->done = run_until_done(&x->f, &x->cl, &x->sv, MP_S(20));
    g_assert_cmpint(x->d.rc, ==, 0);
    if (rst_rx_only) {
        /* the client received one RST with MP_TCPRST (Linux MPRstRx) */
        g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPRstRx"), ==, 1);
        goto out;
    }

    /* the third host refuses the join: no connection has that token */
    g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPJoinSynTx"), ==, 1);
    g_assert_cmpuint(ctr(x->f.other, "MPTcpExtMPJoinSynRx"), ==, 1);
    g_assert_cmpuint(ctr(x->f.other, "MPTcpExtMPJoinNoTokenFound"), ==, 1);
    g_assert_cmpuint(ctr(x->f.other, "MPTcpExtMPRstTx"), ==, 1);
    g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPJoinSynAckRx"), ==, 0);
    g_assert_cmpint(ot->accepted, ==, 0);
    /* RFC 8684 3.6: the RST says why: "MPTCP-specific error" (1) */
    assert_rst_reason(find_rst(x->f.segs, LINK_O, 1), MP_TCPRST_MPTCP_ERROR);

    /* the client's join went away, the connection did not notice */
    struct mp_mptcp_subflow_info si;
    g_assert_cmpuint(mp_mptcp_subflow_count(x->cl.msk), ==, 2);
    g_assert_true(mp_mptcp_subflow_get(x->cl.msk, 1, &si));
    g_assert_true(si.join);
    g_assert_false(si.established);
    g_assert_cmpuint(si.bytes_sent, ==, 0);
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    g_assert_cmpint(x->cl.close_err, ==, 0);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPJoinSynRx"), ==, 0);
out:
    fx_free(&x->f);
    g_free(x);
    g_free(ot);
}

/* ---- 5. limits ---- */

struct limit_case {
    const char *path;
    int nif;
    int client_limit, server_limit; /* -1: the default (2) */
    uint64_t syn_tx, ack_rx, rejected;
    size_t subflows;     /* the client's, ever opened */
    unsigned rst_reason; /* 0: no RST expected */
};

static const struct limit_case limit_cases[] = {
    {"/mptcp/limits/default-2-of-2", 3, -1, -1, 2, 2, 0, 3, 0},
    {"/mptcp/limits/client-0", 2, 0, -1, 0, 0, 0, 1, 0},
    {"/mptcp/limits/client-1-of-2", 3, 1, -1, 1, 1, 0, 2, 0},
    /* Linux refuses over the limit at the third ACK, reason 3
     * ("administratively prohibited") */
    {"/mptcp/limits/server-0", 2, -1, 0, 1, 1, 1, 2, MP_TCPRST_PROHIBITED},
};

static void test_limits(gconstpointer data)
{
    const struct limit_case *lc = data;
    struct mp_mptcp_config cc, sc;
    mp_mptcp_config_default(&cc);
    mp_mptcp_config_default(&sc);
    if (lc->client_limit >= 0)
        cc.subflows = (uint32_t)lc->client_limit;
    if (lc->server_limit >= 0)
        sc.subflows = (uint32_t)lc->server_limit;
    struct wconf c = {.nif = lc->nif, .tap = true, .client_mptcp = &cc, .server_mptcp = &sc};
    struct xfer *x = g_new0(struct xfer, 1);
    const uint64_t total = MIB;
    /* A refused join leaves the server's subflow pointing at its freed TCP
     * connection, which the orderly close then writes to (see
     * /mptcp/limits/server-0/close): those cases stay open. */
    x->keep_open = lc->rst_reason != 0;
    xfer_run(x, &c, total, MP_S(5));
    g_assert_true(x->done || x->keep_open);
    assert_intact(&x->sv, total);
    g_assert_cmpint(x->cl.close_err, ==, 0);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    g_assert_false(x->cl.closed && x->keep_open);
    g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPJoinSynTx"), ==, lc->syn_tx);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPJoinSynRx"), ==, lc->syn_tx);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPJoinAckRx"), ==, lc->ack_rx);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPJoinRejected"), ==, lc->rejected);
    g_assert_cmpuint(mp_mptcp_subflow_count(x->cl.msk), ==, lc->subflows);
    if (lc->rst_reason) {
        /* the join was the client's second address, link c1; the RST
         * comes from the server (r1's end) */
        assert_rst_reason(find_rst(x->f.segs, LINK_C0 + 1, 1), lc->rst_reason);
        struct mp_mptcp_subflow_info si;
        g_assert_true(mp_mptcp_subflow_get(x->cl.msk, 1, &si));
        g_assert_false(si.established);
        g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPRstTx"), >=, 1);
    } else {
        g_assert_null(find_rst(x->f.segs, LINK_C0 + 1, 1));
        if (lc->syn_tx)
            assert_both_sent(x->cl.msk);
    }
    fx_free(&x->f);
    g_free(x);
}

/* The same refusal, then an orderly close of the connection. */
static void test_limits_refused_close(void)
{
    struct mp_mptcp_config sc;
    mp_mptcp_config_default(&sc);
    sc.subflows = 0;
    struct wconf c = {.nif = 2, .server_mptcp = &sc};
    struct xfer *x = g_new0(struct xfer, 1);
    const uint64_t total = MIB;
    xfer_run(x, &c, total, MP_S(20));
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPJoinRejected"), ==, 1);
    g_assert_cmpint(x->cl.close_err, ==, 0);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    fx_free(&x->f);
    g_free(x);
}

/* ---- 6. the initial subflow's path fails ---- */

static void test_path_failure(void)
{
    struct xfer *x = g_new0(struct xfer, 1);
    struct wconf c = {.nif = 2};
    const uint64_t total = 4 * MIB;
    fx_build(&x->f, &c);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, "10.0.10.2");
    x->cl.total = total;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    struct mp_link_change down = {.kind = MP_LINK_CHANGE_DOWN};
    mp_link_change_at(x->f.link[LINK_C0], MP_MS(700), &down);
    x->done = run_until_done(&x->f, &x->cl, &x->sv, MP_S(30));
    g_assert_cmpuint(x->sv.rcvd, >, 0);
    g_assert_false(x->sv.bad);
    g_assert_cmpuint(x->sv.rcvd, ==, total);
    g_assert_true(x->sv.eof);
    assert_both_sent(x->cl.msk);
    /* what was lost with the path went again on the other subflow */
    g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPTCPRetrans"), >, 0);
    struct mp_mptcp_info ci;
    mp_mptcp_get_info(x->cl.msk, &ci);
    g_assert_cmpuint(ci.bytes_retrans, >, 0);
    g_assert_true(x->done);
    g_assert_cmpint(x->cl.close_err, ==, 0);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    fx_free(&x->f);
    g_free(x);
}

/* ---- 7. the default scheduler ---- */

struct sched_probe {
    struct xfer *x;
    bool ran;
    struct mp_mptcp_subflow *busy, *idle;
    struct mp_mptcp_subflow *pick_plain, *pick_backup, *pick_only_backup;
};

static void sched_probe_fire(void *arg, mp_time_t now)
{
    struct sched_probe *sp = arg;
    struct mp_mptcp_sock *msk = sp->x->cl.msk;
    const struct mp_mptcp_sched_ops *ops = mp_mptcp_sched_find("default");
    g_assert_nonnull(ops);
    g_assert_true(ops == msk->st->sched);
    /* 8 KB go out now, on whichever subflow the burst rule picks */
    uint8_t b[8000];
    pat_fill(b, sizeof(b), sp->x->cl.sent);
    g_assert_cmpint(mp_mptcp_send(msk, b, sizeof(b), now), ==, (ssize_t)sizeof(b));
    sp->x->cl.sent += sizeof(b);
    sp->x->cl.total = sp->x->cl.sent;
    g_assert_cmpuint(msk->subflows->len, ==, 2);
    struct mp_mptcp_subflow *a = msk->subflows->pdata[0], *c = msk->subflows->pdata[1];
    g_assert_true(mp_mptcp_subflow_usable(a));
    g_assert_true(mp_mptcp_subflow_usable(c));
    uint32_t fa = mp_tcp_unacked(a->ssk), fc = mp_tcp_unacked(c->ssk);
    g_assert_true((fa == 0) != (fc == 0));
    sp->busy = fa ? a : c;
    sp->idle = fa ? c : a;
    /* Without the burst rule, the subflow with nothing queued drains
     * soonest. */
    msk->sched_last = NULL;
    msk->sched_burst = 0;
    sp->pick_plain = ops->pick(msk, now);
    /* A backup subflow is not used while a non-backup one can send... */
    msk->sched_last = NULL;
    msk->sched_burst = 0;
    sp->idle->backup = true;
    sp->pick_backup = ops->pick(msk, now);
    /* ...and is when nothing else can. */
    msk->sched_last = NULL;
    msk->sched_burst = 0;
    sp->busy->refuse = true; /* not usable */
    sp->pick_only_backup = ops->pick(msk, now);
    sp->busy->refuse = false;
    sp->idle->backup = false;
    msk->sched_last = NULL;
    msk->sched_burst = 0;
    sp->ran = true;
}

static void test_sched_choice(void)
{
    struct xfer *x = g_new0(struct xfer, 1);
    struct wconf c = {.nif = 2};
    fx_build(&x->f, &c);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, "10.0.10.2");
    x->cl.total = 4000;
    x->cl.no_shut = true;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    struct sched_probe sp = {.x = x};
    mp_engine_at(x->f.eng, MP_S(1), sched_probe_fire, &sp);
    run_for(&x->f, MP_S(2));
    g_assert_true(sp.ran);
    g_assert_true(sp.pick_plain == sp.idle);
    g_assert_true(sp.pick_backup == sp.busy);
    g_assert_true(sp.pick_only_backup == sp.idle);
    assert_intact(&x->sv, 12000);
    fx_free(&x->f);
    g_free(x);
}

/* Paths of 20 and 5 Mbit/s: the scheduler weighs queued bytes by rate,
 * so the fast path carries most of the data and the slow one some. */
static void test_sched_rates(void)
{
    struct xfer *x = g_new0(struct xfer, 1);
    struct wconf c = {.nif = 2, .rate = {20000000, 5000000}, .delay = {MP_MS(10), MP_MS(10)}};
    const uint64_t total = 4 * MIB;
    xfer_run(x, &c, total, MP_S(20));
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    struct mp_mptcp_subflow_info s0, s1;
    g_assert_true(mp_mptcp_subflow_get(x->cl.msk, 0, &s0));
    g_assert_true(mp_mptcp_subflow_get(x->cl.msk, 1, &s1));
    g_assert_cmpuint(s1.bytes_sent, >, 0);
    g_assert_cmpuint(s0.bytes_sent, >, 2 * s1.bytes_sent);
    /* well within what the slow path alone needs (6.7 s); beating the
     * fast path alone is /mptcp/aggregation's business */
    g_assert_cmpuint(x->sv.eof_at, <, MP_S(4));
    fx_free(&x->f);
    g_free(x);
}

/* ---- 8. data-level reassembly ---- */

static void test_reassembly_ofo(void)
{
    struct xfer *x = g_new0(struct xfer, 1);
    /* one-way delays 2 and 40 ms: data sent on the slow path arrives after
     * later data sent on the fast one */
    struct wconf c = {.nif = 2, .delay = {MP_MS(2), MP_MS(40)}};
    const uint64_t total = 2 * MIB;
    xfer_run(x, &c, total, MP_S(20));
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    assert_both_sent(x->cl.msk);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtOFOQueue"), >, 0);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtDSSNotMatching"), ==, 0);
    struct mp_mptcp_info si;
    mp_mptcp_get_info(x->sv.msk, &si);
    g_assert_cmpuint(si.bytes_received, ==, total);
    fx_free(&x->f);
    g_free(x);
}

/* The initial path's delay jumps to 1 s mid-transfer: its data is
 * reinjected on the other subflow (data-level RTO), and the originals
 * arrive later as duplicates, which must not disturb the stream. */
static void test_reassembly_duplicates(void)
{
    struct xfer *x = g_new0(struct xfer, 1);
    struct wconf c = {.nif = 2};
    const uint64_t total = 4 * MIB;
    fx_build(&x->f, &c);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, "10.0.10.2");
    x->cl.total = total;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    struct mp_link_change slow = {
        .kind = MP_LINK_CHANGE_DELAY, .end = MP_LINK_BOTH, .value = MP_S(1)};
    struct mp_link_change fast = {
        .kind = MP_LINK_CHANGE_DELAY, .end = MP_LINK_BOTH, .value = MP_MS(5)};
    mp_link_change_at(x->f.link[LINK_C0], MP_MS(600), &slow);
    mp_link_change_at(x->f.link[LINK_C0], MP_MS(2600), &fast);
    x->done = run_until_done(&x->f, &x->cl, &x->sv, MP_S(30));
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPTCPRetrans"), >, 0);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtDuplicateData"), >, 0);
    struct mp_mptcp_info si;
    mp_mptcp_get_info(x->sv.msk, &si);
    g_assert_cmpuint(si.bytes_received, ==, total);
    g_assert_cmpint(x->cl.close_err, ==, 0);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    fx_free(&x->f);
    g_free(x);
}

/* ---- joins with a wrong HMAC ---- */

/* A fault that flips one byte of the first MPTCP option of a given subtype
 * and length (a broken middlebox, or an attacker without the keys). The
 * receiver trusts checksums of undamaged packets, so only the HMAC check
 * can notice. */
struct mangle {
    struct mp_fault base;
    unsigned subtype;
    int optlen, byte; /* the option's length, the byte to flip */
    int max_hits;     /* 0: every matching packet */
    uint8_t xor;      /* what to flip (0: 0x5a) */
    int hits;
};

static void mangle_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct mangle *m = (struct mangle *)f;
    struct mp_wire_ip4 h;
    struct mp_wire_tcp th;
    if (pkt->len >= 1 && pkt->data[0] >> 4 == 4 &&
        mp_wire_ip4_parse(pkt->data, pkt->len, &h) == 0 && h.proto == 6 &&
        mp_wire_tcp_parse(pkt->data + h.payload_off, h.payload_len, &th) == 0) {
        struct mp_wire_opt_iter it;
        struct mp_wire_opt o;
        mp_wire_opt_iter_init(&it, th.opts, th.opts_len);
        while (mp_wire_opt_next(&it, &o) == 1) {
            if (o.kind == MP_TCPOPT_MPTCP && o.len == m->optlen && o.data_len >= 1 &&
                (unsigned)(o.data[0] >> 4) == m->subtype &&
                (!m->max_hits || m->hits < m->max_hits)) {
                size_t at = (size_t)(th.opts - pkt->data) + o.off + (size_t)m->byte;
                pkt->data[at] ^= m->xor ? m->xor : 0x5a;
                m->hits++;
                break;
            }
        }
    }
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops mangle_ops = {
    .kind = "mangle",
    .stage = 20,
    .input = mangle_input,
};

struct hmac_case {
    const char *path;
    int end;          /* direction of link c1 to mangle: 1 SYN/ACK, 0 third ACK */
    int optlen, byte; /* MP_JOIN SYN/ACK: HMAC at 4..11; ACK: HMAC at 4..23 */
    const char *host_ctr;
    bool server_side;
};

static const struct hmac_case hmac_cases[] = {
    {"/mptcp/join/bad-hmac/synack", 1, 16, 6, "MPTcpExtMPJoinSynAckHMacFailure", false},
    {"/mptcp/join/bad-hmac/ack", 0, 24, 10, "MPTcpExtMPJoinAckHMacFailure", true},
};

static void test_join_bad_hmac(gconstpointer data)
{
    const struct hmac_case *hc = data;
    struct wconf c = {.nif = 2, .tap = true};
    struct xfer *x = g_new0(struct xfer, 1);
    fx_build(&x->f, &c);
    struct mangle *m = g_malloc0(sizeof(*m));
    m->base.ops = &mangle_ops;
    m->subtype = MP_MPTCP_JOIN;
    m->optlen = hc->optlen;
    m->byte = hc->byte;
    mp_link_add_fault(x->f.link[LINK_C0 + 1], hc->end, &m->base);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, "10.0.10.2");
    const uint64_t total = MIB;
    x->cl.total = total;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    x->done = run_until_done(&x->f, &x->cl, &x->sv, MP_S(20));
    g_assert_cmpint(m->hits, >=, 1);
    struct mp_node *checker = hc->server_side ? x->f.server : x->f.client;
    g_assert_cmpuint(ctr(checker, hc->host_ctr), ==, 1);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPJoinAckRx"), ==, 0);
    /* RFC 8684 3.2: the checker resets the subflow with MP_TCPRST */
    const struct seg *rst = find_rst(x->f.segs, LINK_C0 + 1, hc->server_side ? 1 : 0);
    assert_rst_reason(rst, MP_TCPRST_MPTCP_ERROR);
    struct mp_mptcp_subflow_info si;
    g_assert_cmpuint(mp_mptcp_subflow_count(x->cl.msk), ==, 2);
    g_assert_true(mp_mptcp_subflow_get(x->cl.msk, 1, &si));
    g_assert_false(si.established);
    g_assert_cmpuint(si.bytes_sent, ==, 0);
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    g_assert_cmpint(x->cl.close_err, ==, 0);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    fx_free(&x->f);
    g_free(x);
}

/* ---- fallback when the handshake is damaged (RFC 8684 3.1) ---- */

struct mpc_case {
    const char *path;
    int end;          /* 1: the SYN/ACK (server to client), 0: the third ACK */
    int optlen, byte;
    uint8_t xor;
    const char *client_ctr, *server_ctr; /* fallback counters that must be 1 */
};

static const struct mpc_case mpc_cases[] = {
    /* SYN/ACK: version 0, B set, H missing: the client goes on as TCP, and
     * the server falls back when the third ACK lacks MP_CAPABLE. */
    {"/mptcp/fallback/synack-version-0", 1, 12, 2, 0x01, "MPTcpExtMPCapableFallbackSYNACK",
     "MPTcpExtMPCapableFallbackACK"},
    {"/mptcp/fallback/synack-b-flag", 1, 12, 3, 0x40, "MPTcpExtMPCapableFallbackSYNACK",
     "MPTcpExtMPCapableFallbackACK"},
    {"/mptcp/fallback/synack-no-h-flag", 1, 12, 3, 0x01, "MPTcpExtMPCapableFallbackSYNACK",
     "MPTcpExtMPCapableFallbackACK"},
    /* The third ACK's MP_CAPABLE turned into another subtype: the server
     * falls back; the client notices when the server's segments carry no
     * DSS. */
    {"/mptcp/fallback/third-ack-stripped", 0, 20, 2, 0x50, "MPTcpExtMPCapableDataFallback",
     "MPTcpExtMPCapableFallbackACK"},
};

static void test_mpc_damaged(gconstpointer data)
{
    const struct mpc_case *mc = data;
    struct wconf c = {.nif = 1, .tap = true};
    struct xfer *x = g_new0(struct xfer, 1);
    fx_build(&x->f, &c);
    struct mangle *m = g_malloc0(sizeof(*m));
    m->base.ops = &mangle_ops;
    m->subtype = MP_MPTCP_CAPABLE;
    m->optlen = mc->optlen;
    m->byte = mc->byte;
    m->xor = mc->xor;
    m->max_hits = 1;
    mp_link_add_fault(x->f.link[LINK_C0], mc->end, &m->base);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, "10.0.10.2");
    const uint64_t total = MIB;
    x->cl.total = total;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    run_for(&x->f, MP_S(10));
    g_assert_cmpint(m->hits, ==, 1);
    g_assert_cmpuint(ctr(x->f.client, mc->client_ctr), ==, 1);
    g_assert_cmpuint(ctr(x->f.server, mc->server_ctr), ==, 1);
    struct mp_mptcp_info ci, si;
    mp_mptcp_get_info(x->cl.msk, &ci);
    mp_mptcp_get_info(x->sv.msk, &si);
    g_assert_true(ci.fallback);
    g_assert_true(si.fallback);
    /* As plain TCP the client is in TIME_WAIT once both FINs are through;
     * its end of stream is what counts. */
    g_assert_true(x->cl.eof);
    g_assert_true(x->sv.closed);
    g_assert_cmpint(mp_mptcp_state(x->cl.msk), ==, MP_TCP_TIME_WAIT);
    assert_intact(&x->sv, total);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    fx_free(&x->f);
    g_free(x);
}

/* ---- DSS checksums ---- */

/* RFC 8684 3.7 and Linux: a DSS checksum damaged on the way (the TCP
 * checksum does not cover what the simulator rewrites). With one subflow
 * the receiver sends MP_FAIL, the sender answers with MP_FAIL and the
 * infinite mapping, and both go on as TCP without a reset; the payload was
 * not touched, so the stream stays intact. With two subflows the damaged
 * one is reset (RST + MP_FAIL + MP_TCPRST "middlebox interference") and
 * its data comes again on the other. */
static void test_dss_csum_bad(gconstpointer data)
{
    int nif = GPOINTER_TO_INT(data);
    struct mp_mptcp_config cc;
    mp_mptcp_config_default(&cc);
    cc.checksum = true;
    struct wconf c = {.nif = nif, .tap = true, .client_mptcp = &cc};
    struct xfer *x = g_new0(struct xfer, 1);
    fx_build(&x->f, &c);
    struct mangle *m = g_malloc0(sizeof(*m));
    m->base.ops = &mangle_ops;
    m->subtype = MP_MPTCP_DSS;
    /* The client's DSS: a 32-bit DATA_ACK (the server sends no mapping, so
     * no 64-bit DSN to echo) and a 64-bit mapping with its checksum at
     * bytes 22..23. With two subflows: the join's first one. */
    m->optlen = 24;
    m->byte = 22;
    m->max_hits = 1;
    int link = LINK_C0 + nif - 1;
    mp_link_add_fault(x->f.link[link], 0, &m->base);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, "10.0.10.2");
    const uint64_t total = MIB;
    x->cl.total = total;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    x->done = run_until_done(&x->f, &x->cl, &x->sv, MP_S(20));
    g_assert_cmpint(m->hits, ==, 1);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtDataCsumErr"), ==, 1);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPFailTx"), ==, 1);
    g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPFailRx"), ==, 1);
    struct mp_mptcp_info ci, si;
    mp_mptcp_get_info(x->cl.msk, &ci);
    mp_mptcp_get_info(x->sv.msk, &si);
    if (nif == 1) {
        g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPFailTx"), ==, 1);
        g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPFailRx"), ==, 1);
        g_assert_cmpuint(ctr(x->f.client, "MPTcpExtInfiniteMapTx"), ==, 1);
        g_assert_cmpuint(ctr(x->f.server, "MPTcpExtInfiniteMapRx"), ==, 1);
        g_assert_true(ci.fallback);
        g_assert_true(si.fallback);
        g_assert_null(find_rst(x->f.segs, link, 1));
        g_assert_null(find_rst(x->f.segs, link, 0));
        g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPTCPRetrans"), ==, 0);
        /* As plain TCP the client waits in TIME_WAIT (see the fallback
         * tests): its end of stream is what counts. */
        g_assert_true(x->cl.eof);
        g_assert_true(x->sv.closed);
        x->done = true;
    } else {
        const struct seg *rst = find_rst(x->f.segs, link, 1);
        assert_rst_reason(rst, MP_TCPRST_MIDDLEBOX);
        g_assert_cmpint(mptcp_opt_len(rst, MP_MPTCP_FAIL), ==, 12);
        g_assert_cmpuint(ctr(x->f.client, "MPTcpExtInfiniteMapTx"), ==, 0);
        g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPTCPRetrans"), >=, 1);
        g_assert_false(ci.fallback);
        g_assert_false(si.fallback);
    }
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    fx_free(&x->f);
    g_free(x);
}

/* ---- signals: MP_FASTCLOSE, REMOVE_ADDR, MP_PRIO ---- */

/* The client sends |total| bytes to the server, from 1 ms on. */
static void xfer_start(struct xfer *x, uint64_t total)
{
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, "10.0.10.2");
    x->cl.total = total;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
}

struct sig_case {
    int what; /* SIG_* */
    bool bad_key;
};
enum { SIG_ABORT, SIG_WITHDRAW, SIG_HOST_DEL, SIG_BACKUP };

struct sig_probe {
    struct xfer *x;
    const struct sig_case *sc;
    bool ran;
    int changed;
    uint64_t rcvd_at_change;
    uint64_t c1_bytes; /* what the client had sent on its second link then */
};

static void sig_fire(void *arg, mp_time_t now)
{
    struct sig_probe *sp = arg;
    struct xfer *x = sp->x;
    struct mp_ip a;
    g_assert_cmpint(mp_ip_parse("10.0.2.2", &a), ==, 0);
    sp->ran = true;
    sp->rcvd_at_change = x->sv.rcvd;
    sp->c1_bytes = mp_link_stats(x->f.link[LINK_C0 + 1], 0)->sent_bytes;
    switch (sp->sc->what) {
    case SIG_ABORT:
        mp_mptcp_abort(x->cl.msk, now);
        x->cl.msk = NULL;
        x->cl.closed = true;
        break;
    case SIG_WITHDRAW:
        sp->changed = mp_mptcp_pm_withdraw(x->cl.msk, &a, now);
        break;
    case SIG_HOST_DEL: {
        struct mp_host *h = mp_node_host(x->f.client);
        g_assert_cmpint(mp_host_addr_del(h, mp_host_addr_ifindex(h, &a), &a), ==, 0);
        break;
    }
    case SIG_BACKUP:
        sp->changed = mp_mptcp_pm_set_backup(x->cl.msk, &a, true, now);
        break;
    }
}

/* RFC 8684 3.5: with the right key MP_FASTCLOSE ends the peer's connection
 * (ECONNRESET there, every subflow reset); with a wrong one the option is
 * ignored (the RSTs still end the subflows). RFC 8684 3.4.2: a withdrawn
 * address, or one the host loses, closes its subflows (MPTcpExtRmSubflow)
 * and the peer gets REMOVE_ADDR with its ID (MPTcpExtRmAddr) and forgets
 * it; the transfer goes on on the other subflow. RFC 8684 3.3.8: MP_PRIO
 * turns a subflow into a backup one: the peer counts it and the
 * scheduler leaves it alone. */
static void test_signals(gconstpointer data)
{
    const struct sig_case *sc = data;
    struct wconf c = {.nif = 2, .tap = true};
    struct xfer *x = g_new0(struct xfer, 1);
    fx_build(&x->f, &c);
    struct mangle *m = NULL;
    if (sc->bad_key) {
        m = g_malloc0(sizeof(*m));
        m->base.ops = &mangle_ops;
        m->subtype = MP_MPTCP_FASTCLOSE;
        m->optlen = 12;
        m->byte = 11; /* the key's last byte */
        for (int i = 0; i < 2; i++)
            mp_link_add_fault(x->f.link[LINK_C0 + i], 0,
                              i ? &((struct mangle *)g_memdup2(m, sizeof(*m)))->base : &m->base);
    }
    const uint64_t total = 8 * MIB;
    xfer_start(x, total);
    struct sig_probe sp = {.x = x, .sc = sc};
    mp_engine_at(x->f.eng, MP_S(1), sig_fire, &sp);
    x->done = run_until_done(&x->f, &x->cl, &x->sv, MP_S(30));
    g_assert_true(sp.ran);
    struct mp_node *cn = x->f.client, *sn = x->f.server;
    switch (sc->what) {
    case SIG_ABORT:
        /* Two subflows, an RST with MP_FASTCLOSE and MP_TCPRST on each. */
        g_assert_cmpuint(ctr(cn, "MPTcpExtMPFastcloseTx"), ==, 2);
        g_assert_cmpuint(ctr(cn, "MPTcpExtMPRstTx"), ==, 2);
        for (int i = 0; i < 2; i++) {
            const struct seg *rst = find_rst(x->f.segs, LINK_C0 + i, 0);
            assert_rst_reason(rst, MP_TCPRST_UNSPEC);
            g_assert_cmpint(mptcp_opt_len(rst, MP_MPTCP_FASTCLOSE), ==, 12);
        }
        g_assert_true(x->sv.closed);
        g_assert_cmpint(x->sv.close_err, ==, -ECONNRESET);
        g_assert_cmpuint(x->sv.rcvd, <, total);
        if (sc->bad_key) {
            g_assert_cmpuint(ctr(sn, "MPTcpExtMPFastcloseRx"), ==, 0);
            g_assert_cmpuint(ctr(sn, "AfmpMPTcpFastcloseBadKey"), ==, 2);
        } else {
            /* The first one ends it all. */
            g_assert_cmpuint(ctr(sn, "MPTcpExtMPFastcloseRx"), ==, 1);
            g_assert_cmpuint(ctr(sn, "AfmpMPTcpFastcloseBadKey"), ==, 0);
        }
        break;
    case SIG_WITHDRAW:
    case SIG_HOST_DEL: {
        if (sc->what == SIG_WITHDRAW)
            g_assert_cmpint(sp.changed, ==, 1);
        g_assert_cmpuint(ctr(cn, "MPTcpExtRmSubflow"), ==, 1);
        g_assert_cmpuint(ctr(cn, "MPTcpExtRmAddrTx"), ==, 1);
        g_assert_cmpuint(ctr(sn, "MPTcpExtRmAddr"), ==, 1);
        g_assert_true(x->done);
        assert_intact(&x->sv, total);
        /* Little left from the address after it went: its FIN, and
         * what TCP retransmits until it gives up, no new data. */
        uint64_t late = mp_link_stats(x->f.link[LINK_C0 + 1], 0)->sent_bytes - sp.c1_bytes;
        g_assert_cmpuint(late, <, 64 * 1024);
        g_assert_cmpuint(sp.rcvd_at_change, <, total / 2);
        /* The peer forgot it: the server knows one client address. */
        g_assert_cmpuint(x->sv.msk->nremotes, <=, 1);
        break;
    }
    case SIG_BACKUP: {
        g_assert_cmpint(sp.changed, ==, 1);
        g_assert_cmpuint(ctr(cn, "MPTcpExtMPPrioTx"), ==, 1);
        g_assert_cmpuint(ctr(sn, "MPTcpExtMPPrioRx"), ==, 1);
        g_assert_true(x->done);
        assert_intact(&x->sv, total);
        /* the backup subflow carried (almost) nothing afterwards */
        struct mp_mptcp_subflow *b = NULL;
        for (guint i = 0; i < x->sv.msk->subflows->len; i++) {
            struct mp_mptcp_subflow *sf = x->sv.msk->subflows->pdata[i];
            if (sf->peer_backup)
                b = sf;
        }
        g_assert_nonnull(b);
        g_assert_cmpuint(ctr(sn, "MPTcpExtRmAddr"), ==, 0);
        /* ... and the client's second link carried little afterwards: at
         * most the data it had in flight again, and ACKs. */
        uint64_t late = mp_link_stats(x->f.link[LINK_C0 + 1], 0)->sent_bytes - sp.c1_bytes;
        g_assert_cmpuint(late, <, 256 * 1024);
        g_assert_cmpuint(sp.rcvd_at_change, <, total / 2);
        break;
    }
    }
    fx_free(&x->f);
    g_free(x);
}

/* A middlebox that removes MPTCP options (kind 30 becomes NOPs) from the
 * client's packets from a given time on. */
struct strip {
    struct mp_fault base;
    mp_time_t from;
    int hits;
};

static void strip_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct strip *st = (struct strip *)f;
    struct mp_wire_ip4 h;
    struct mp_wire_tcp th;
    if (now >= st->from && pkt->len >= 1 && pkt->data[0] >> 4 == 4 &&
        mp_wire_ip4_parse(pkt->data, pkt->len, &h) == 0 && h.proto == 6 &&
        mp_wire_tcp_parse(pkt->data + h.payload_off, h.payload_len, &th) == 0) {
        struct mp_wire_opt_iter it;
        struct mp_wire_opt o;
        mp_wire_opt_iter_init(&it, th.opts, th.opts_len);
        bool any = false;
        while (mp_wire_opt_next(&it, &o) == 1) {
            if (o.kind != MP_TCPOPT_MPTCP)
                continue;
            size_t at = (size_t)(th.opts - pkt->data) + o.off;
            memset(pkt->data + at, MP_TCPOPT_NOP, o.len);
            any = true;
        }
        st->hits += any;
        /* The simulator does not check the TCP checksum of what a fault
         * rewrites (the DSS checksum tests rely on it). */
    }
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops strip_ops = {
    .kind = "strip",
    .stage = 20,
    .input = strip_input,
};

/* RFC 8684 3.7: MPTCP options lost in the middle of a connection. With
 * one subflow both ends go on as TCP (the receiver sees data without any
 * option, the sender ACKs without): the stream stays intact. With two,
 * the stripped subflow is reset (MP_TCPRST "MPTCP-specific error") and
 * the other carries the rest. */
static void test_options_stripped(gconstpointer data)
{
    int nif = GPOINTER_TO_INT(data);
    struct wconf c = {.nif = nif, .tap = true};
    struct xfer *x = g_new0(struct xfer, 1);
    fx_build(&x->f, &c);
    int link = LINK_C0 + nif - 1;
    struct strip *st = g_malloc0(sizeof(*st));
    st->base.ops = &strip_ops;
    st->from = MP_S(1);
    mp_link_add_fault(x->f.link[link], 0, &st->base);
    const uint64_t total = 8 * MIB;
    xfer_start(x, total);
    run_for(&x->f, MP_S(30));
    g_assert_cmpint(st->hits, >, 0);
    g_assert_cmpuint(ctr(x->f.server, "AfmpMPTcpOptionsMissing"), >=, 1);
    struct mp_mptcp_info ci, si;
    mp_mptcp_get_info(x->cl.msk, &ci);
    mp_mptcp_get_info(x->sv.msk, &si);
    g_assert_true(x->sv.eof);
    assert_intact(&x->sv, total);
    if (nif == 1) {
        g_assert_true(si.fallback);
        g_assert_true(ci.fallback);
    } else {
        g_assert_false(si.fallback);
        assert_rst_reason(find_rst(x->f.segs, link, 1), MP_TCPRST_MPTCP_ERROR);
        g_assert_true(x->sv.closed);
        g_assert_cmpint(x->sv.close_err, ==, 0);
    }
    fx_free(&x->f);
    g_free(x);
}

/* ---- aggregation ---- */

struct aggr_case {
    const char *path;
    uint64_t rate[2];
    mp_time_t delay[2];
    mp_time_t budget; /* Linux's simult_flows.sh bound for 16 MiB */
};

static const struct aggr_case aggr_cases[] = {
    {"/mptcp/aggregation/10+10", {10000000, 10000000}, {MP_MS(1), MP_MS(25)}, MP_MS(7906)},
    {"/mptcp/aggregation/15+5", {15000000, 5000000}, {MP_MS(1), MP_MS(25)}, MP_MS(7906)},
    {"/mptcp/aggregation/10+3", {10000000, 3000000}, {MP_MS(1), MP_MS(25)}, MP_MS(11921)},
};

/* 16 MiB over two paths, within the time Linux's selftest allows, which
 * neither path alone could meet. */
static void test_aggregation(gconstpointer data)
{
    const struct aggr_case *ac = data;
    struct wconf c = {
        .nif = 2, .rate = {ac->rate[0], ac->rate[1]}, .delay = {ac->delay[0], ac->delay[1]}};
    struct xfer *x = g_new0(struct xfer, 1);
    const uint64_t total = 16 * MIB;
    xfer_run(x, &c, total, MP_S(60));
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    assert_both_sent(x->cl.msk);
    mp_time_t took = x->sv.eof_at - MP_MS(1);
    g_test_message("16 MiB in %" G_GUINT64_FORMAT " ms", (guint64)(took / MP_MS(1)));
    uint64_t fast = MAX(ac->rate[0], ac->rate[1]);
    g_assert_cmpuint(took, >, total * 8 * MP_S(1) / (ac->rate[0] + ac->rate[1]));
    g_assert_cmpuint(took, <, total * 8 * MP_S(1) / fast);
    if (took > ac->budget) {
        char msg[128];
        g_snprintf(msg, sizeof(msg),
                   "16 MiB took %" G_GUINT64_FORMAT " ms, Linux's bound is %" G_GUINT64_FORMAT
                   " ms",
                   (guint64)(took / MP_MS(1)), (guint64)(ac->budget / MP_MS(1)));
        g_test_incomplete(msg);
    }
    fx_free(&x->f);
    g_free(x);
}

/* ---- joins across families ---- */

/* A connection opened over IPv4 learns the server's IPv6 address: the
 * fullmesh PM joins over IPv6 too (RFC 8684 does not tie subflows to the
 * first one's family; IPv4/IPv6 migration relies on it). */
static void test_join_v6(void)
{
    struct wconf c = {.nif = 2, .v6 = true};
    struct xfer *x = g_new0(struct xfer, 1);
    fx_build(&x->f, &c);
    peer_init(&x->cl, &x->f, x->f.client);
    peer_init(&x->sv, &x->f, x->f.server);
    peer_listen(&x->sv, NULL);
    const uint64_t total = 2 * MIB;
    x->cl.total = total;
    dial_at(&x->d, &x->cl, MP_MS(1), "10.0.1.2", "10.0.10.2");
    x->d.extra[0] = ep("2001:db8:10::2", 0);
    x->d.nextra = 1;
    x->done = run_until_done(&x->f, &x->cl, &x->sv, MP_S(20));
    g_assert_cmpint(x->d.rc, ==, 0);
    g_assert_true(x->done);
    assert_intact(&x->sv, total);
    g_assert_cmpint(x->cl.close_err, ==, 0);
    g_assert_cmpint(x->sv.close_err, ==, 0);
    /* limit 2: one join over IPv4 (the second address), one over IPv6 */
    g_assert_cmpuint(ctr(x->f.client, "MPTcpExtMPJoinSynTx"), ==, 2);
    g_assert_cmpuint(ctr(x->f.server, "MPTcpExtMPJoinAckRx"), ==, 2);
    g_assert_cmpuint(mp_mptcp_subflow_count(x->cl.msk), ==, 3);
    int v6 = 0;
    for (size_t i = 0; i < 3; i++) {
        struct mp_mptcp_subflow_info si;
        g_assert_true(mp_mptcp_subflow_get(x->cl.msk, i, &si));
        /* the subflows are closed: the endpoints are gone; the remote ID
         * tells which address the join went to (1: the IPv6 one) */
        if (si.join && si.remote_id == 1) {
            v6++;
            g_assert_cmpuint(si.bytes_sent, >, 0);
        }
    }
    g_assert_cmpint(v6, ==, 1);
    fx_free(&x->f);
    g_free(x);
}

/* ---- determinism ---- */

/* The same world twice: the same segments at the same times, the same
 * counters (keys, nonces and ISNs come from seeded streams). */
static void test_determinism(void)
{
    struct wconf c = {.nif = 2, .tap = true, .delay = {MP_MS(3), MP_MS(17)}};
    struct xfer *a = g_new0(struct xfer, 1), *b = g_new0(struct xfer, 1);
    xfer_run(a, &c, MIB, MP_S(20));
    xfer_run(b, &c, MIB, MP_S(20));
    g_assert_true(a->done && b->done);
    assert_intact(&a->sv, MIB);
    g_assert_cmpuint(a->f.segs->len, >, 100);
    g_assert_cmpuint(a->f.segs->len, ==, b->f.segs->len);
    g_assert_cmpmem(a->f.segs->data, a->f.segs->len * sizeof(struct seg), b->f.segs->data,
                    b->f.segs->len * sizeof(struct seg));
    g_assert_cmpmem(mp_node_host(a->f.client)->ctr.v, sizeof(uint64_t) * MP_CTR__COUNT,
                    mp_node_host(b->f.client)->ctr.v, sizeof(uint64_t) * MP_CTR__COUNT);
    g_assert_cmpmem(mp_node_host(a->f.server)->ctr.v, sizeof(uint64_t) * MP_CTR__COUNT,
                    mp_node_host(b->f.server)->ctr.v, sizeof(uint64_t) * MP_CTR__COUNT);
    fx_free(&a->f);
    fx_free(&b->f);
    g_free(a);
    g_free(b);
}

/* ---- 10. 32-bit data sequence numbers ---- */

struct expand_case {
    uint64_t ref;
    uint32_t v;
    uint64_t want;
};

static const struct expand_case expand_cases[] = {
    {0x100000000ull, 0x00000010u, 0x100000010ull}, /* same epoch, ahead */
    {0x500001000ull, 0x00000500u, 0x500000500ull}, /* same epoch, behind */
    {0x1fffffff0ull, 0x00000010u, 0x200000010ull}, /* ahead across the wrap */
    {0x200000010ull, 0xfffffff0u, 0x1fffffff0ull}, /* behind across the wrap */
    {0x2ffffffffull, 0x00000000u, 0x300000000ull}, /* the very next value */
    {0x300000000ull, 0xffffffffu, 0x2ffffffffull}, /* the one before */
    {0x700000000ull, 0x7ffffff0u, 0x77ffffff0ull}, /* far ahead, < 2^31 */
    {0xfffffffffffffff0ull, 0x00000010u, 0x10ull}, /* 64-bit wrap (modulo 2^64) */
    {0x10ull, 0xfffffff0u, 0xfffffffffffffff0ull},
};

static void test_expand_seq(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(expand_cases); i++) {
        const struct expand_case *e = &expand_cases[i];
        uint64_t got = mp_mptcp_expand_seq(e->ref, e->v);
        if (got != e->want)
            g_error("expand(%#" G_GINT64_MODIFIER "x, %#x) = %#" G_GINT64_MODIFIER
                    "x, want %#" G_GINT64_MODIFIER "x",
                    (guint64)e->ref, e->v, (guint64)got, (guint64)e->want);
        g_assert_cmpuint((uint32_t)got, ==, e->v);
    }
    /* Every value within 2^31 either side of the reference comes back. */
    const uint64_t refs[] = {0x123456789abcull, 0x1ffffffffull, 0x200000000ull, 0x80000000ull};
    const int64_t ds[] = {0, 1, -1, 1000, -1000, 0x7fffffff, -0x7fffffff, 0x12345678, -0x12345678};
    for (size_t r = 0; r < G_N_ELEMENTS(refs); r++)
        for (size_t k = 0; k < G_N_ELEMENTS(ds); k++) {
            uint64_t x = refs[r] + (uint64_t)ds[k];
            g_assert_cmpuint(mp_mptcp_expand_seq(refs[r], (uint32_t)x), ==, x);
        }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mptcp/handshake/capable-and-join", test_handshake);
    g_test_add_func("/mptcp/transfer/two-subflows", test_transfer);
    g_test_add_data_func("/mptcp/fallback/server-disabled-tcp-listener",
                         GINT_TO_POINTER(FB_DISABLED_TCP), test_fallback);
    g_test_add_data_func("/mptcp/fallback/server-disabled-mptcp-listener",
                         GINT_TO_POINTER(FB_DISABLED_MPTCP_LISTENER), test_fallback);
    g_test_add_data_func("/mptcp/fallback/server-tcp-listener", GINT_TO_POINTER(FB_ENABLED_TCP),
                         test_fallback);
    g_test_add_data_func("/mptcp/join/unknown-token", GINT_TO_POINTER(0), test_join_unknown_token);
    g_test_add_data_func("/mptcp/join/unknown-token/rst-rx", GINT_TO_POINTER(1),
                         test_join_unknown_token);
    for (size_t i = 0; i < G_N_ELEMENTS(limit_cases); i++)
        g_test_add_data_func(limit_cases[i].path, &limit_cases[i], test_limits);
    g_test_add_func("/mptcp/limits/server-0/close", test_limits_refused_close);
    g_test_add_func("/mptcp/path-failure/initial-subflow", test_path_failure);
    g_test_add_func("/mptcp/sched/default/choice", test_sched_choice);
    g_test_add_func("/mptcp/sched/default/rates", test_sched_rates);
    g_test_add_func("/mptcp/reassembly/out-of-order", test_reassembly_ofo);
    g_test_add_func("/mptcp/reassembly/duplicates", test_reassembly_duplicates);
    g_test_add_data_func("/mptcp/options/budget-and-lengths", GINT_TO_POINTER(0),
                         test_option_budget);
    g_test_add_data_func("/mptcp/dss/checksum-failure/one-subflow", GINT_TO_POINTER(1),
                         test_dss_csum_bad);
    g_test_add_data_func("/mptcp/dss/checksum-failure/two-subflows", GINT_TO_POINTER(2),
                         test_dss_csum_bad);
    static const struct sig_case sig_abort = {SIG_ABORT, false}, sig_abort_bad = {SIG_ABORT, true},
                                 sig_withdraw = {SIG_WITHDRAW, false},
                                 sig_host_del = {SIG_HOST_DEL, false},
                                 sig_backup = {SIG_BACKUP, false};
    g_test_add_data_func("/mptcp/signals/fastclose", &sig_abort, test_signals);
    g_test_add_data_func("/mptcp/signals/fastclose-bad-key", &sig_abort_bad, test_signals);
    g_test_add_data_func("/mptcp/signals/remove-addr", &sig_withdraw, test_signals);
    g_test_add_data_func("/mptcp/signals/host-addr-del", &sig_host_del, test_signals);
    g_test_add_data_func("/mptcp/signals/mp-prio", &sig_backup, test_signals);
    g_test_add_data_func("/mptcp/fallback/options-stripped/one-subflow", GINT_TO_POINTER(1),
                         test_options_stripped);
    g_test_add_data_func("/mptcp/fallback/options-stripped/two-subflows", GINT_TO_POINTER(2),
                         test_options_stripped);
    for (size_t i = 0; i < G_N_ELEMENTS(mpc_cases); i++)
        g_test_add_data_func(mpc_cases[i].path, &mpc_cases[i], test_mpc_damaged);
    g_test_add_data_func("/mptcp/options/budget-and-lengths/checksum", GINT_TO_POINTER(1),
                         test_option_budget);
    g_test_add_func("/mptcp/join/ipv6-on-ipv4-connection", test_join_v6);
    for (size_t i = 0; i < G_N_ELEMENTS(hmac_cases); i++)
        g_test_add_data_func(hmac_cases[i].path, &hmac_cases[i], test_join_bad_hmac);
    g_test_add_func("/mptcp/determinism", test_determinism);
    for (size_t i = 0; i < G_N_ELEMENTS(aggr_cases); i++)
        g_test_add_data_func(aggr_cases[i].path, &aggr_cases[i], test_aggregation);
    g_test_add_func("/mptcp/dsn/expand-seq", test_expand_seq);
    return g_test_run();
}
