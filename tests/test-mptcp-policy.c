/*
 * Loadable MPTCP policies (afmp/mptcp_policy.h, model/mptcp/policy_loaded.c):
 * the three examples of afmp/examples run for real, and broken objects are
 * refused. The world is tests/test-mptcp-sched.c's with up to three client
 * links:
 *
 *   client eth0 10.0.1.2 --c0-- r1 --s-- server 10.0.10.2
 *          eth1 10.0.2.2 --c1--
 *          eth2 10.0.3.2 --c2--
 *
 * (10 Mbit/s each, one-way delays per test; the server link 1 Gbit/s,
 * 1 ms). The client sends a byte pattern the server checks.
 *
 * Covered: the registry (a path loaded twice is one entry, unloaded with
 * its last reference; names of another kind are not found); load errors
 * (a missing file, no afmp_policy_v1, another ABI version, another kind,
 * a scheduler without pick, an unknown base algorithm), also as scenario
 * errors naming the line and key; sched-example's 3:1 split where the
 * built-in roundrobin splits by windows; pm-example's subflows (one per
 * other local address, backups after the first, within mptcp.subflows);
 * cc-example's hooks on every subflow (the subflows' TCP runs
 * "coupled-reno", the coupled increase and the loss events are counted).
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "fixture.h"
#include "model/mptcp/mptcp.h"
#include "model/mptcp/protocol.h"
#include "model/net/counters.h"
#include "model/net/host.h"
#include "model/tcp/cc.h"
#include "sim/engine.h"
#include "sim/net/world.h"
#include "sim/scenario.h"

#define PORT 5001
#define CHUNK 65536u
#define MIB (1024u * 1024u)

#define EXAMPLE(name) AFMP_EXAMPLES_DIR "/" name ".so"
#define BAD(name) AFMP_TESTS_DIR "/policy-bad-" name ".so"

/* ---- the byte pattern (as tests/test-mptcp.c) ---- */

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

/* ---- the world ---- */

struct wconf {
    const char *sched, *pm, *cc; /* the client's (NULL: the defaults) */
    unsigned nifaces;            /* client interfaces: 2 or 3 */
    mp_time_t delay[3];          /* one way, c0, c1, c2 */
    const char *queue;           /* client links' drop-tail parameters (NULL: 1000 packets) */
    uint32_t subflows;           /* the client's mptcp.subflows (0: 2) */
};

struct fx {
    struct mp_world *w;
    struct mp_engine *eng;
    struct mp_node *client, *r1, *server;
    struct mp_link *c[3];
};

static void fx_build(struct fx *f, const struct wconf *c)
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
    for (unsigned i = 0; i < c->nifaces; i++) {
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
    g_assert_cmpint(mp_node_set_mptcp(f->client, &mc), ==, 0);
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

/* ---- the applications: a sender and a checking receiver ---- */

struct peer {
    struct fx *f;
    struct mp_node *n;
    struct mp_mptcp_sock *msk, *lmsk;
    /* sending: |total| bytes, at most |allowed| so far (paced), then
     * shut down */
    uint64_t total, sent, allowed;
    bool shut;
    /* receiving: the pattern checked; shut down on EOF */
    uint64_t rcvd;
    bool bad, eof, shut_on_eof;
    mp_time_t eof_at;
    bool connected, closed;
    int close_err;
    bool kick_pending;
    /* pacing: |pace_bytes| more every |pace_every| (0: bulk) */
    uint32_t pace_bytes;
    mp_time_t pace_every;
    uint8_t buf[CHUNK];
};

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

static const struct mp_mptcp_cbs mcbs_tmpl = {
    .connected = m_connected,
    .accept_ready = m_accept_ready,
    .readable = m_wake,
    .writable = m_wake,
    .closed = m_closed,
};

struct run {
    struct fx f;
    struct peer cl, sv;
    int rc;
    bool done;
};

static void dial_fire(void *arg, mp_time_t now)
{
    struct run *r = arg;
    struct mp_mptcp_cbs cbs = mcbs_tmpl;
    cbs.arg = &r->cl;
    struct mp_endpoint l = ep("10.0.1.2", 0), s = ep("10.0.10.2", PORT);
    r->rc = mp_mptcp_connect(stack(r->f.client), &l, &s, NULL, &cbs, &r->cl.msk, now);
}

static void run_setup(struct run *r, const struct wconf *c, uint64_t total)
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
}

/* Runs in steps of 50 ms until both ends closed or |limit|. */
static void run_go(struct run *r, mp_time_t limit)
{
    for (mp_time_t t = MP_MS(50); t <= limit && !r->done; t += MP_MS(50)) {
        mp_world_run(r->f.w, t);
        r->done = r->cl.closed && r->sv.closed;
    }
    g_assert_cmpint(r->rc, ==, 0);
}

static void run_free(struct run *r)
{
    mp_world_free(r->f.w);
    g_free(r);
}

static uint64_t sf_bytes(const struct run *r, size_t i)
{
    struct mp_mptcp_subflow_info si;
    g_assert_true(mp_mptcp_subflow_get(r->cl.msk, i, &si));
    return si.bytes_sent;
}

static void assert_done_intact(const struct run *r, uint64_t total, size_t nsub)
{
    g_assert_true(r->done);
    g_assert_false(r->sv.bad);
    g_assert_cmpuint(r->sv.rcvd, ==, total);
    g_assert_true(r->sv.eof);
    g_assert_cmpint(r->cl.close_err, ==, 0);
    g_assert_cmpint(r->sv.close_err, ==, 0);
    g_assert_cmpuint(mp_mptcp_subflow_count(r->cl.msk), ==, nsub);
}


static uint64_t permille(uint64_t part, uint64_t total)
{
    return total ? part * 1000u / total : 0;
}

static const char *load_ok(const char *path, enum mp_mptcp_policy_kind kind)
{
    GError *err = NULL;
    const char *name = mp_mptcp_policy_load(path, kind, &err);
    g_assert_no_error(err);
    g_assert_nonnull(name);
    return name;
}

/* ---- the registry and load errors ---- */

static void test_registry(void)
{
    const char *a = load_ok(EXAMPLE("sched-example"), MP_MPTCP_POLICY_SCHED);
    const char *b = load_ok(EXAMPLE("sched-example"), MP_MPTCP_POLICY_SCHED);
    g_assert_true(a == b); /* one entry per path */
    g_assert_true(g_str_has_prefix(a, "plugin:"));
    const struct mp_mptcp_sched_ops *ops = mp_mptcp_sched_find(a);
    g_assert_nonnull(ops);
    g_assert_cmpstr(ops->name, ==, "wrr-example");
    /* Not under another kind's registry. */
    g_assert_null(mp_mptcp_pm_find(a));
    g_assert_null(mp_mptcp_cc_find(a));
    char *name = g_strdup(a);
    mp_mptcp_policy_unload(name);
    g_assert_nonnull(mp_mptcp_sched_find(name)); /* one reference left */
    mp_mptcp_policy_unload(name);
    g_assert_null(mp_mptcp_sched_find(name));
    /* A stack cannot be configured with a name that is not loaded. */
    g_free(name);
    const char *p = load_ok(EXAMPLE("pm-example"), MP_MPTCP_POLICY_PM);
    g_assert_cmpstr(mp_mptcp_pm_find(p)->name, ==, "perlocal-example");
    const char *c = load_ok(EXAMPLE("cc-example"), MP_MPTCP_POLICY_CC);
    g_assert_cmpstr(mp_mptcp_cc_find(c)->name, ==, "coupled-reno");
    name = g_strdup(p);
    mp_mptcp_policy_unload(name);
    g_assert_null(mp_mptcp_pm_find(name));
    g_free(name);
    name = g_strdup(c);
    mp_mptcp_policy_unload(name);
    g_free(name);
}

struct bad_case {
    const char *path;
    enum mp_mptcp_policy_kind kind;
    const char *msg; /* a part of the message */
};

static const struct bad_case bad_cases[] = {
    {AFMP_TESTS_DIR "/no-such-policy.so", MP_MPTCP_POLICY_SCHED, "cannot load"},
    {BAD("nosym"), MP_MPTCP_POLICY_SCHED, "no symbol afmp_policy_v1"},
    {BAD("abi"), MP_MPTCP_POLICY_SCHED, "policy ABI version 2, this simulator speaks version 1"},
    {EXAMPLE("sched-example"), MP_MPTCP_POLICY_PM, "the policy is a scheduler, expected a path manager"},
    {EXAMPLE("cc-example"), MP_MPTCP_POLICY_SCHED, "is a congestion control, expected a scheduler"},
    {BAD("nopick"), MP_MPTCP_POLICY_SCHED, "a scheduler needs .sched with .pick"},
    {BAD("base"), MP_MPTCP_POLICY_CC, "base TCP algorithm 'vegas' does not exist"},
};

static void test_bad(gconstpointer data)
{
    const struct bad_case *bc = data;
    GError *err = NULL;
    const char *name = mp_mptcp_policy_load(bc->path, bc->kind, &err);
    g_assert_null(name);
    g_assert_nonnull(err);
    g_test_message("%s: %s", bc->path, err->message);
    g_assert_nonnull(strstr(err->message, bc->msg));
    g_error_free(err);
}

/* A loaded policy of one kind asked for as another: refused too, and the
 * entry stays usable for its own kind. */
static void test_kind_loaded(void)
{
    const char *a = load_ok(EXAMPLE("sched-example"), MP_MPTCP_POLICY_SCHED);
    GError *err = NULL;
    g_assert_null(mp_mptcp_policy_load(EXAMPLE("sched-example"), MP_MPTCP_POLICY_CC, &err));
    g_assert_nonnull(strstr(err->message, "is a scheduler, expected a congestion control"));
    g_error_free(err);
    g_assert_nonnull(mp_mptcp_sched_find(a));
    char *name = g_strdup(a);
    mp_mptcp_policy_unload(name);
    g_assert_null(mp_mptcp_sched_find(name));
    g_free(name);
}

/* ---- scenario options ---- */

static struct mp_scenario *scn_with(const char *key, const char *value, GError **err)
{
    char *text = g_strdup_printf("[scenario]\nformat = 1\n[host h]\n%s = %s\n", key, value);
    struct mp_scenario *scn = mp_scenario_load_data("policy.ini", text, -1, NULL, err);
    g_free(text);
    return scn;
}

static void test_scenario(void)
{
    GError *err = NULL;
    struct mp_scenario *scn =
        scn_with("mptcp.scheduler", "plugin:" EXAMPLE("sched-example"), &err);
    g_assert_no_error(err);
    const char *s = mp_scn_node_opt_str(&scn->nodes[0], "mptcp.scheduler");
    g_assert_cmpstr(s, ==, "plugin:" EXAMPLE("sched-example"));
    g_assert_nonnull(mp_mptcp_sched_find(s));
    char *name = g_strdup(s);
    mp_scenario_free(scn); /* the scenario's reference was the only one */
    g_assert_null(mp_mptcp_sched_find(name));
    g_free(name);

    static const struct {
        const char *key, *value, *msg;
    } errs[] = {
        {"mptcp.scheduler", "plugin:" AFMP_TESTS_DIR "/none.so",
         "policy.ini:4: [host h] mptcp.scheduler: no such shared object"},
        {"mptcp.pm", "plugin:" EXAMPLE("sched-example"),
         "policy.ini:4: [host h] mptcp.pm: '" EXAMPLE("sched-example")
         "': the policy is a scheduler, expected a path manager"},
        {"mptcp.scheduler", "plugin:" BAD("abi"),
         "mptcp.scheduler: '" BAD("abi") "': policy ABI version 2, this simulator speaks version 1"},
        {"mptcp.cc", "plugin:" BAD("nosym"), "mptcp.cc: '" BAD("nosym") "': no symbol afmp_policy_v1"},
        {"mptcp.cc", "plugin:", "mptcp.cc: expected plugin:FILE.so"},
        {"mptcp.cc", "lia", "expected one of uncoupled or plugin:FILE.so, got 'lia'"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(errs); i++) {
        scn = scn_with(errs[i].key, errs[i].value, &err);
        g_assert_null(scn);
        g_assert_nonnull(err);
        g_test_message("%s", err->message);
        g_assert_nonnull(strstr(err->message, errs[i].msg));
        g_clear_error(&err);
    }
}

/* ---- the examples at work ---- */

/* A bulk transfer of |total| bytes. */
static struct run *bulk(const struct wconf *c, uint64_t total, size_t nsub)
{
    struct run *r = g_new0(struct run, 1);
    run_setup(r, c, total);
    run_go(r, MP_S(30));
    assert_done_intact(r, total, nsub);
    return r;
}

/* sched-example keeps 3:1 on a fast (~10 ms) and a slower (~18 ms) path,
 * both bulk; the built-in roundrobin, which skips a subflow whose window
 * is full, splits by windows instead. */
static void test_sched(void)
{
    const char *name = load_ok(EXAMPLE("sched-example"), MP_MPTCP_POLICY_SCHED);
    uint64_t total = 4 * MIB, sh[2];
    for (int k = 0; k < 2; k++) {
        struct wconf c = {.nifaces = 2, .delay = {MP_MS(4), MP_MS(8)}};
        c.sched = k == 0 ? name : "roundrobin";
        struct run *r = bulk(&c, total, 2);
        uint64_t b0 = sf_bytes(r, 0), b1 = sf_bytes(r, 1);
        sh[k] = permille(b0, b0 + b1);
        g_test_message("%s: subflow 0 %" G_GUINT64_FORMAT " bytes, subflow 1 %" G_GUINT64_FORMAT
                       " (%" G_GUINT64_FORMAT " per mille on 0), done at %.3f s",
                       k == 0 ? "sched-example" : "roundrobin", b0, b1, sh[k],
                       (double)r->sv.eof_at / 1e9);
        run_free(r);
    }
    /* 3:1 once the join is up; subflow 0 alone before that. */
    g_assert_cmpuint(sh[0], >=, 740);
    g_assert_cmpuint(sh[0], <=, 820);
    g_assert_cmpuint(sh[1], <=, 650);
    char *n = g_strdup(name);
    mp_mptcp_policy_unload(n);
    g_free(n);
}

/* The local address a join was opened from (the subflow's TCP is gone
 * once the transfer is over). */
static bool sf_addr_is(const struct run *r, size_t i, const char *ip)
{
    const struct mp_mptcp_subflow *sf = r->cl.msk->subflows->pdata[i];
    struct mp_ip a;
    g_assert_cmpint(mp_ip_parse(ip, &a), ==, 0);
    return mp_ip_eq(&sf->local_ip, &a);
}

/* pm-example: one subflow from each other local address (the initial
 * subflow's is 10.0.1.2) to the server,
 * the second one a backup that carries nothing while the others work; at
 * mptcp.subflows = 1 only the first. */
static void test_pm(void)
{
    const char *name = load_ok(EXAMPLE("pm-example"), MP_MPTCP_POLICY_PM);
    struct wconf c = {.nifaces = 3, .delay = {MP_MS(4), MP_MS(8), MP_MS(12)}, .pm = name};
    uint64_t total = 2 * MIB;
    struct run *r = bulk(&c, total, 3);
    struct mp_mptcp_subflow_info si[3];
    for (size_t i = 0; i < 3; i++)
        g_assert_true(mp_mptcp_subflow_get(r->cl.msk, i, &si[i]));
    g_assert_true(sf_addr_is(r, 1, "10.0.2.2"));
    g_assert_true(sf_addr_is(r, 2, "10.0.3.2"));
    g_assert_false(si[0].join);
    g_assert_true(si[1].join && si[2].join);
    g_assert_false(si[1].backup);
    g_assert_true(si[2].backup);
    g_assert_cmpuint(si[1].bytes_sent, >, 0);
    g_assert_cmpuint(si[2].bytes_sent, ==, 0);
    g_assert_cmpuint(ctr(r->f.server, "MPTcpExtMPJoinAckRx"), ==, 2);
    g_test_message("pm-example: subflows from 10.0.1.2, 10.0.2.2, 10.0.3.2 (backup): %" G_GUINT64_FORMAT
                   ", %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " bytes",
                   si[0].bytes_sent, si[1].bytes_sent, si[2].bytes_sent);
    run_free(r);

    c.subflows = 1;
    r = bulk(&c, total, 2);
    struct mp_mptcp_subflow_info s1;
    g_assert_true(mp_mptcp_subflow_get(r->cl.msk, 1, &s1));
    g_assert_true(sf_addr_is(r, 1, "10.0.2.2"));
    g_assert_false(s1.backup);
    run_free(r);
    char *n = g_strdup(name);
    mp_mptcp_policy_unload(n);
    g_free(n);
}

/* What cc-example counts per subflow (its struct cc_counts). */
struct cc_counts {
    uint64_t coupled_acks, losses, inits;
};

struct cc_probe {
    struct run *r;
    unsigned seen; /* subflows seen running coupled-reno */
};

static void cc_probe_fire(void *arg, mp_time_t now)
{
    struct cc_probe *p = arg;
    struct mp_mptcp_sock *msk = p->r->cl.msk;
    p->seen = 0;
    for (guint i = 0; msk && i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        const struct mp_cc_state *cs = sf->ssk ? mp_tcp_cc_state(sf->ssk) : NULL;
        if (cs && !strcmp(cs->ops->name, "coupled-reno"))
            p->seen++;
    }
    (void)now;
}

/* cc-example: both subflows run it (their TCP's algorithm is the
 * policy's), its increase runs in congestion avoidance and it hears of
 * the losses that small queues cause; the transfer completes intact. */
static void test_cc(void)
{
    const char *name = load_ok(EXAMPLE("cc-example"), MP_MPTCP_POLICY_CC);
    struct wconf c = {.nifaces = 2, .delay = {MP_MS(4), MP_MS(8)}, .cc = name, .queue = "limit=20"};
    uint64_t total = 8 * MIB;
    struct run *r = g_new0(struct run, 1);
    run_setup(r, &c, total);
    struct cc_probe probe = {.r = r};
    mp_engine_at(r->f.eng, MP_S(1), cc_probe_fire, &probe);
    run_go(r, MP_S(30));
    assert_done_intact(r, total, 2);
    g_assert_cmpuint(probe.seen, ==, 2);
    struct mp_mptcp_sock *msk = r->cl.msk;
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = msk->subflows->pdata[i];
        struct cc_counts k;
        memcpy(&k, sf->policy_data[MP_MPTCP_POLICY_CC - 1], sizeof(k));
        g_test_message("cc-example, subflow %u: %" G_GUINT64_FORMAT " coupled increases, %" G_GUINT64_FORMAT
                       " loss events",
                       i, k.coupled_acks, k.losses);
        g_assert_cmpuint(k.inits, ==, 1);
        g_assert_cmpuint(k.coupled_acks, >, 100);
        g_assert_cmpuint(k.losses, >=, 1);
    }
    /* The server runs the host's default: nothing of the policy. */
    struct mp_mptcp_sock *smsk = r->sv.msk;
    for (guint i = 0; i < smsk->subflows->len; i++) {
        struct mp_mptcp_subflow *sf = smsk->subflows->pdata[i];
        g_assert_cmpuint(sf->policy_data[MP_MPTCP_POLICY_CC - 1][2], ==, 0);
    }
    run_free(r);
    char *n = g_strdup(name);
    mp_mptcp_policy_unload(n);
    g_free(n);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mptcp-policy/registry", test_registry);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        char *p = g_strdup_printf("/mptcp-policy/bad/%zu", i);
        g_test_add_data_func(p, &bad_cases[i], test_bad);
        g_free(p);
    }
    g_test_add_func("/mptcp-policy/bad/kind-loaded", test_kind_loaded);
    g_test_add_func("/mptcp-policy/scenario", test_scenario);
    g_test_add_func("/mptcp-policy/sched-example", test_sched);
    g_test_add_func("/mptcp-policy/pm-example", test_pm);
    g_test_add_func("/mptcp-policy/cc-example", test_cc);
    return g_test_run();
}
