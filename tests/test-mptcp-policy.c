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

#include "mptcp-harness.h"

#define EXAMPLE(name) AFMP_EXAMPLES_DIR "/" name ".so"
#define BAD(name) AFMP_TESTS_DIR "/policy-bad-" name ".so"

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
        {"mptcp.cc", "wvegas",
         "expected one of uncoupled, lia, olia, balia or plugin:FILE.so, got 'wvegas'"},
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
