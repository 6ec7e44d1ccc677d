/*
 * MPTCP packet schedulers (model/mptcp/sched_*.c) end to end: a client with
 * two interfaces, each on its own link to r1, and a server behind r1:
 *
 *   client eth0 10.0.1.2 --c0-- r1 --s-- server 10.0.10.2
 *          eth1 10.0.2.2 --c1--
 *
 * The connection starts on c0 (subflow 0); the fullmesh path manager joins
 * from eth1 (subflow 1). Both client links run at 10 Mbit/s; their one-way
 * delays make the paths' RTTs about 10 ms and 50 ms (the server link adds
 * 2 ms). The client sends the byte pattern of tests/test-mptcp.c, either
 * as fast as the connection takes it (bulk) or at a fixed rate below what
 * either path carries (application-limited: no congestion window is the
 * limit). Shares come from the data-level bytes each subflow carried
 * (mp_mptcp_subflow_info.bytes_sent).
 *
 * Covered, for minrtt, roundrobin and redundant: the split between a fast
 * and a slow path; that a backup subflow carries nothing while the
 * non-backup one works, and everything once it dies; for redundant, that
 * every byte goes on both subflows, the receiver's data-level reassembly
 * drops the copies and the transfer survives the death of a path; the
 * registry and the scenario option reject unknown names. The default
 * scheduler is tests/test-mptcp.c's.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "fixture.h"
#include "model/mptcp/mptcp.h"
#include "model/mptcp/protocol.h"
#include "model/net/counters.h"
#include "model/net/host.h"
#include "sim/engine.h"
#include "sim/net/world.h"
#include "sim/scenario.h"

#include "mptcp-harness.h"

static void report(const char *what, const struct run *r, uint64_t total)
{
    uint64_t b0 = sf_bytes(r, 0), b1 = sf_bytes(r, 1);
    g_test_message("%s: %" G_GUINT64_FORMAT " bytes: subflow 0 %" G_GUINT64_FORMAT
                   " (%.1f%%), subflow 1 %" G_GUINT64_FORMAT " (%.1f%%), done at %.3f s",
                   what, total, b0, 100.0 * (double)b0 / (double)total, b1,
                   100.0 * (double)b1 / (double)total, (double)r->sv.eof_at / 1e9);
}


/* The fast path is subflow 0 (c0, ~10 ms RTT), the slow one subflow 1 (c1,
 * ~50 ms). */
static const struct wconf fast_slow_tmpl = {.delay = {MP_MS(4), MP_MS(24)}};

/* A bulk transfer of |total| with scheduler |sched|; the server's
 * connection-level buffer is |rcvbuf| (0: TCP's, autotuned to 6 MiB). */
static struct run *bulk(const char *sched, uint64_t total, size_t rcvbuf)
{
    struct run *r = g_new0(struct run, 1);
    struct wconf c = fast_slow_tmpl;
    c.sched = sched;
    c.rcvbuf = rcvbuf;
    run_setup(r, &c, total);
    run_go(r, MP_S(30));
    assert_done_intact(r, total, 2);
    return r;
}

/* 2 Mbit/s for 3 s: 3000 bytes every 12 ms, where each path carries
 * 10 Mbit/s, so neither congestion window is the limit. A write makes two
 * full segments and a short one: an odd count, so that turns of one
 * segment give each subflow as many full segments as the other. */
static struct run *paced(const char *sched)
{
    struct run *r = g_new0(struct run, 1);
    struct wconf c = fast_slow_tmpl;
    c.sched = sched;
    uint64_t total = 250 * 3000;
    run_setup(r, &c, total);
    r->cl.pace_bytes = 3000;
    r->cl.pace_every = MP_MS(12);
    run_go(r, MP_S(30));
    assert_done_intact(r, total, 2);
    return r;
}

/* ---- the registry and the scenario option ---- */

static void test_registry(void)
{
    static const char *const names[] = {"default", "minrtt", "roundrobin", "redundant"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        const struct mp_mptcp_sched_ops *ops = mp_mptcp_sched_find(names[i]);
        g_assert_nonnull(ops);
        g_assert_cmpstr(ops->name, ==, names[i]);
        g_assert_nonnull(ops->pick);
    }
    g_assert_null(mp_mptcp_sched_find("nope"));
    g_assert_null(mp_mptcp_sched_find(""));
    g_assert_null(mp_mptcp_sched_find("MinRTT"));

    /* a host refuses an unknown scheduler, takes the known ones */
    struct fx f;
    struct wconf c = fast_slow_tmpl;
    c.sched = "minrtt";
    fx_build(&f, &c);
    struct mp_mptcp_config mc;
    mp_mptcp_config_default(&mc);
    mc.scheduler = "nope";
    g_assert_cmpint(mp_node_set_mptcp(f.server, &mc), ==, -ENOENT);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        mc.scheduler = names[i];
        g_assert_cmpint(mp_node_set_mptcp(f.server, &mc), ==, 0);
        g_assert_true(stack(f.server)->sched == mp_mptcp_sched_find(names[i]));
    }
    mp_world_free(f.w);

    /* the scenario option: the same names, and nothing else */
    for (size_t i = 0; i <= G_N_ELEMENTS(names); i++) {
        const char *name = i < G_N_ELEMENTS(names) ? names[i] : "nope";
        char *text = g_strdup_printf("[scenario]\nformat = 1\n[host h]\nmptcp.scheduler = %s\n",
                                     name);
        GError *err = NULL;
        struct mp_scenario *scn = mp_scenario_load_data("t.ini", text, -1, NULL, &err);
        if (i < G_N_ELEMENTS(names)) {
            g_assert_no_error(err);
            g_assert_nonnull(scn);
            mp_scenario_free(scn);
        } else {
            g_assert_null(scn);
            g_assert_nonnull(err);
            g_assert_nonnull(strstr(err->message, "nope"));
            g_error_free(err);
        }
        g_free(text);
    }
}

/* ---- minrtt ---- */

/* The bulk transfers below that compare shares have a connection-level
 * window of 128 KiB (a 256 KiB buffer at the server), less than the two
 * paths hold together once their queues fill: the scheduler decides where
 * the window goes. With TCP's buffers (autotuned to 6 MiB) both paths
 * fill up and every scheduler ends near the paths' capacity split, 50/50
 * here (the .../bulk-open-window tests). */
#define BULK_RCVBUF (256u * 1024u)

static void test_minrtt_bulk(void)
{
    const uint64_t total = 4 * MIB;
    struct run *r = bulk("minrtt", total, BULK_RCVBUF);
    report("minrtt bulk", r, total);
    uint64_t b0 = sf_bytes(r, 0), b1 = sf_bytes(r, 1);
    g_assert_cmpuint(b0 + b1, ==, total);
    /* the slow path helps when the fast one's window is full... */
    g_assert_cmpuint(b1, >, 0);
    /* ...but the fast one carries clearly more */
    g_assert_cmpuint(permille(b0, total), >=, 750);
    run_free(r);
}

/* With an open window both paths fill: the subflows are ACK-clocked, each
 * pulls when its own window opens, and the split is the paths' capacity.
 * The transfer beats either path alone (3.4 s at 10 Mbit/s): no subflow
 * waits while a full one is picked. */
static void open_window(const char *sched)
{
    const uint64_t total = 4 * MIB;
    struct run *r = bulk(sched, total, 0);
    char *what = g_strdup_printf("%s bulk, open window", sched);
    report(what, r, total);
    g_free(what);
    uint64_t b0 = sf_bytes(r, 0), b1 = sf_bytes(r, 1);
    g_assert_cmpuint(b0 + b1, ==, total);
    g_assert_cmpuint(permille(b0, total), >=, 400);
    g_assert_cmpuint(permille(b1, total), >=, 400);
    g_assert_cmpuint(r->sv.eof_at, <, MP_MS(2600));
    run_free(r);
}

static void test_open_window(gconstpointer data)
{
    open_window(data);
}

static void test_minrtt_paced(void)
{
    struct run *r = paced("minrtt");
    uint64_t total = r->cl.total;
    report("minrtt paced", r, total);
    /* the fast path always has room: nearly everything goes there */
    g_assert_cmpuint(permille(sf_bytes(r, 0), total), >=, 950);
    run_free(r);
}

/* ---- roundrobin ---- */

static void test_rr_paced(void)
{
    struct run *r = paced("roundrobin");
    uint64_t total = r->cl.total;
    report("roundrobin paced", r, total);
    uint64_t b0 = sf_bytes(r, 0), b1 = sf_bytes(r, 1);
    g_assert_cmpuint(b0 + b1, ==, total);
    /* neither window is the limit: turns of one segment each, an even
     * split, but for what went before the join was up */
    g_assert_cmpuint(permille(b0, total), >=, 450);
    g_assert_cmpuint(permille(b0, total), <=, 560);
    run_free(r);
}

/* minrtt's window-limited bulk transfer: turns of one segment, a
 * subflow whose window is full skipped (cwnd_limited). Both windows are
 * full most of the time, so each subflow gets a turn whenever its own ACK
 * opens it: near even. */
static void test_rr_bulk(void)
{
    const uint64_t total = 4 * MIB;
    struct run *r = bulk("roundrobin", total, BULK_RCVBUF);
    report("roundrobin bulk", r, total);
    uint64_t b0 = sf_bytes(r, 0), b1 = sf_bytes(r, 1);
    g_assert_cmpuint(b0 + b1, ==, total);
    g_assert_cmpuint(permille(b0, total), >=, 400);
    g_assert_cmpuint(permille(b0, total), <=, 600);
    run_free(r);
}

/* ---- redundant ---- */

static void assert_redundant(const struct run *r, uint64_t total, uint64_t min_pm)
{
    struct mp_mptcp_info ci, si;
    mp_mptcp_get_info(r->cl.msk, &ci);
    mp_mptcp_get_info(r->sv.msk, &si);
    /* new data is counted once at the data level... */
    g_assert_cmpuint(ci.bytes_sent, ==, total);
    g_assert_cmpuint(si.bytes_received, ==, total);
    /* ...and goes on both subflows (what one delivered before the other
     * got to it is skipped) */
    g_assert_cmpuint(permille(sf_bytes(r, 0), total), >=, min_pm);
    g_assert_cmpuint(permille(sf_bytes(r, 1), total), >=, min_pm);
    /* the receiver dropped the second copies */
    g_assert_cmpuint(ctr(r->f.server, "MPTcpExtDuplicateData"), >, 0);
    g_assert_cmpuint(ctr(r->f.server, "MPTcpExtDSSNotMatching"), ==, 0);
}

static void test_redundant_bulk(void)
{
    const uint64_t total = 4 * MIB;
    struct run *r = bulk("redundant", total, 0);
    report("redundant bulk", r, total);
    assert_redundant(r, total, 900);
    /* the copies are not data-level retransmissions */
    g_assert_cmpuint(ctr(r->f.client, "MPTcpExtMPTCPRetrans"), ==, 0);
    run_free(r);
}

static void test_redundant_paced(void)
{
    struct run *r = paced("redundant");
    uint64_t total = r->cl.total;
    report("redundant paced", r, total);
    /* both carry everything from the join on */
    assert_redundant(r, total, 950);
    run_free(r);
}

/* The fast path dies mid-transfer: the slow subflow carries everything
 * anyway, so the transfer goes on without waiting for a timeout. */
static void test_redundant_path_dies(void)
{
    const uint64_t total = 4 * MIB;
    struct run *r = g_new0(struct run, 1);
    struct wconf c = fast_slow_tmpl;
    c.sched = "redundant";
    run_setup(r, &c, total);
    struct mp_link_change down = {.kind = MP_LINK_CHANGE_DOWN};
    mp_link_change_at(r->f.c[0], MP_MS(1000), &down);
    run_go(r, MP_S(30));
    report("redundant, fast path down at 1 s", r, total);
    assert_done_intact(r, total, 2);
    g_assert_cmpuint(permille(sf_bytes(r, 1), total), >=, 950);
    g_assert_cmpuint(sf_bytes(r, 0), <, total);
    run_free(r);
}

/* Twice the same: the same split to the byte. */
static void test_redundant_determinism(void)
{
    uint64_t b[2][2];
    for (int k = 0; k < 2; k++) {
        struct run *r = bulk("redundant", MIB, 0);
        b[k][0] = sf_bytes(r, 0);
        b[k][1] = sf_bytes(r, 1);
        run_free(r);
    }
    g_assert_cmpuint(b[0][0], ==, b[1][0]);
    g_assert_cmpuint(b[0][1], ==, b[1][1]);
}

/* ---- backups, every scheduler ---- */

/* The join (subflow 1) is a backup on the faster path: it carries nothing
 * while the initial subflow works. With |fail|, the initial subflow's path
 * dies at 1 s and the backup takes over. */
static void backup_case(const char *sched, bool fail)
{
    const uint64_t total = 4 * MIB;
    struct run *r = g_new0(struct run, 1);
    struct wconf c = {.sched = sched, .delay = {MP_MS(24), MP_MS(4)}};
    r->backup_join = true;
    run_setup(r, &c, total);
    if (fail) {
        struct mp_link_change down = {.kind = MP_LINK_CHANGE_DOWN};
        mp_link_change_at(r->f.c[0], MP_MS(1000), &down);
    }
    run_go(r, MP_S(60));
    char *what = g_strdup_printf("%s, backup join%s", sched, fail ? ", initial path down at 1 s" : "");
    report(what, r, total);
    g_free(what);
    assert_done_intact(r, total, 2);
    struct mp_mptcp_subflow_info si;
    g_assert_true(mp_mptcp_subflow_get(r->cl.msk, 1, &si));
    g_assert_true(si.backup);
    if (!fail) {
        g_assert_cmpuint(sf_bytes(r, 1), ==, 0);
        g_assert_cmpuint(sf_bytes(r, 0), ==, total);
    } else {
        g_assert_cmpuint(sf_bytes(r, 1), >, 0);
        g_assert_cmpuint(sf_bytes(r, 0), <, total);
    }
    run_free(r);
}

/* The kernel path manager's backup endpoint: the join carries the MP_JOIN
 * B flag (no poking at the subflow), the server sees it, and nothing is
 * sent on it while the initial subflow works, whatever the scheduler. */
static void test_kernel_backup(gconstpointer data)
{
    const uint64_t total = 4 * MIB;
    struct run *r = g_new0(struct run, 1);
    struct wconf c = {.sched = data, .delay = {MP_MS(24), MP_MS(4)},
                      .endpoints = "10.0.2.2 subflow backup"};
    run_setup(r, &c, total);
    run_go(r, MP_S(60));
    report("kernel PM, backup endpoint", r, total);
    assert_done_intact(r, total, 2);
    struct mp_mptcp_subflow_info si;
    g_assert_true(mp_mptcp_subflow_get(r->cl.msk, 1, &si));
    g_assert_true(si.backup);
    g_assert_cmpuint(sf_bytes(r, 1), ==, 0);
    g_assert_cmpuint(sf_bytes(r, 0), ==, total);
    run_free(r);
}

/* Congestion avoidance on a subflow: after its first loss (ssthresh set)
 * the window still grows past ssthresh (short queues make the losses). A
 * subflow pulls its data only while the window has room, so TCP counts a
 * full flight as window-limited (Linux's tcp_cwnd_validate). This bulk
 * transfer grows either way; the rule matters when the connection-level
 * window or the scheduler keeps a subflow from pulling. */
struct ca_probe {
    struct run *r;
    uint32_t max_over; /* largest cwnd - ssthresh seen after a loss */
    bool lost;
};

static void ca_sample(void *arg, mp_time_t now)
{
    struct ca_probe *p = arg;
    struct mp_mptcp_subflow_info si;
    if (p->r->cl.msk && mp_mptcp_subflow_get(p->r->cl.msk, 0, &si) && si.established &&
        si.tcp.ssthresh < 1000000u) {
        p->lost = true;
        if (si.tcp.cwnd > si.tcp.ssthresh)
            p->max_over = MAX(p->max_over, si.tcp.cwnd - si.tcp.ssthresh);
    }
    if (!p->r->cl.closed)
        mp_engine_at(p->r->f.eng, now + MP_MS(10), ca_sample, p);
}

static void test_ca_growth(void)
{
    const uint64_t total = 8 * MIB;
    struct run *r = g_new0(struct run, 1);
    struct wconf c = {.sched = "default", .delay = {MP_MS(10), MP_MS(20)}, .queue = "limit=20"};
    run_setup(r, &c, total);
    struct ca_probe p = {.r = r};
    mp_engine_at(r->f.eng, MP_MS(5), ca_sample, &p);
    run_go(r, MP_S(60));
    report("default, 20-packet queues", r, total);
    g_test_message("largest cwnd - ssthresh after a loss: %u", p.max_over);
    assert_done_intact(r, total, 2);
    g_assert_true(p.lost);
    g_assert_cmpuint(p.max_over, >=, 3);
    run_free(r);
}

static void test_backup(gconstpointer data)
{
    backup_case(data, false);
}

static void test_backup_failover(gconstpointer data)
{
    backup_case(data, true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mptcp-sched/registry", test_registry);
    g_test_add_func("/mptcp-sched/default/ca-growth", test_ca_growth);
    g_test_add_func("/mptcp-sched/minrtt/bulk", test_minrtt_bulk);
    g_test_add_func("/mptcp-sched/minrtt/paced", test_minrtt_paced);
    g_test_add_data_func("/mptcp-sched/minrtt/bulk-open-window", "minrtt", test_open_window);
    g_test_add_func("/mptcp-sched/roundrobin/paced", test_rr_paced);
    g_test_add_func("/mptcp-sched/roundrobin/bulk", test_rr_bulk);
    g_test_add_data_func("/mptcp-sched/roundrobin/bulk-open-window", "roundrobin",
                         test_open_window);
    g_test_add_func("/mptcp-sched/redundant/bulk", test_redundant_bulk);
    g_test_add_func("/mptcp-sched/redundant/paced", test_redundant_paced);
    g_test_add_func("/mptcp-sched/redundant/path-dies", test_redundant_path_dies);
    g_test_add_func("/mptcp-sched/redundant/determinism", test_redundant_determinism);
    static const char *const scheds[] = {"default", "minrtt", "roundrobin", "redundant"};
    for (size_t i = 0; i < G_N_ELEMENTS(scheds); i++) {
        char *p = g_strdup_printf("/mptcp-sched/%s/kernel-backup", scheds[i]);
        g_test_add_data_func(p, scheds[i], test_kernel_backup);
        g_free(p);
        p = g_strdup_printf("/mptcp-sched/%s/backup", scheds[i]);
        g_test_add_data_func(p, scheds[i], test_backup);
        g_free(p);
        p = g_strdup_printf("/mptcp-sched/%s/backup-failover", scheds[i]);
        g_test_add_data_func(p, scheds[i], test_backup_failover);
        g_free(p);
    }
    return g_test_run();
}
