/*
 * The built-in applications and their registry: udp-cbr into udp-sink over
 * exact links (lossless, lossy, duplicating), crafted datagrams for the
 * sink's definitions (reordering, duplicates, jitter, damaged payloads),
 * ping in both families with exact round trips, udp-echo, option errors,
 * the registry and plug-in loading, and the shared helpers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "afmp/afmp.h"
#include "afmp/stack.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"
#include "sim/net/fault.h"
#include "fixture.h"
#include "sim/net/world.h"
#include "sim/scenario.h"

/* ---- a world: client -- r1 -- server, 10 Mbit/s and 5 ms per link ---- */

#define RATE 10000000u
#define DELAY MP_MS(5)

struct fx {
    struct mp_world *w;
    struct mp_node *client, *r1, *server;
    struct mp_link *l1, *l2; /* client-r1 (end 0: client), r1-server (end 0: r1) */
};

static void fx_init(struct fx *f)
{
    struct mp_world_conf wc = {.seed = 1};
    struct fx_chain c;
    fx_chain_build(&c, &wc, RATE, DELAY, true, false);
    *f = (struct fx){c.w, c.client, c.r1, c.server, c.l1, c.l2};
}

/* Time on one link of a packet of |ip_len| bytes: serialisation (rounded up
 * to the ns, as the link does) plus propagation. */
static uint64_t hop(uint32_t ip_len)
{
    return ((uint64_t)ip_len * 8u * 1000000000u + RATE - 1) / RATE + DELAY;
}

/* Starts built-in |cmd| (split on spaces, argv[0] names the app) on |n|. */
static struct mp_proc *spawn(struct mp_node *n, mp_time_t start, const char *cmd)
{
    gchar **argv = g_strsplit(cmd, " ", -1);
    const struct mp_app_def *def = mp_apps_lookup(argv[0]);
    g_assert_nonnull(def);
    struct mp_proc *p = mp_proc_spawn(mp_node_procs(n), argv[0], start, def->main,
                                      (int)g_strv_length(argv), argv, 0);
    g_assert_nonnull(p);
    g_strfreev(argv);
    return p;
}

#define assert_log_has(n, p, s)                                                                \
    do {                                                                                       \
        const char *l_ = fx_log(n, p);                                                         \
        if (!strstr(l_, s))                                                                    \
            g_error("log of %s lacks '%s':\n%s", mp_proc_name(p), s, l_);                     \
    } while (0)

/* afmp_poll counts whole milliseconds, so a sink that waits for its
 * --duration wakes up to 1 ms late (its figures still stop exactly at the
 * end). */
static void assert_ends_near(struct mp_proc *p, mp_time_t t)
{
    g_assert_cmpuint(mp_proc_end_time(p), >=, t);
    g_assert_cmpuint(mp_proc_end_time(p), <, t + MP_MS(1));
}

/* ---- udp-cbr -> udp-sink ---- */

static void test_cbr_sink_lossless(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_proc *sink = spawn(f.server, 0, "udp-sink --port 9000 --expect 1000 --duration 20s");
    struct mp_proc *cbr = spawn(f.client, MP_MS(1),
                                "udp-cbr --dst 10.0.2.2 --port 9000 --rate 1Mbit --size 1000 --count 1000");
    mp_world_run(f.w, MP_S(30));
    g_assert_true(mp_proc_ended(cbr));
    g_assert_true(mp_proc_ended(sink));
    g_assert_cmpint(mp_proc_exit_status(cbr), ==, 0);
    g_assert_cmpint(mp_proc_exit_status(sink), ==, 0);
    g_assert_cmpint(fx_result(f.client, cbr, "sent_packets"), ==, 1000);
    g_assert_cmpint(fx_result(f.client, cbr, "sent_bytes"), ==, 1000000);
    g_assert_cmpint(fx_result(f.client, cbr, "send_errors"), ==, 0);

    /* 1000 B every 8 ms exactly; each datagram crosses two links. */
    const uint64_t d = 2 * hop(1000 + 8 + 20);
    g_assert_cmpint(fx_result(f.server, sink, "packets"), ==, 1000);
    g_assert_cmpint(fx_result(f.server, sink, "bytes"), ==, 1000000);
    g_assert_cmpint(fx_result(f.server, sink, "unique"), ==, 1000);
    g_assert_cmpint(fx_result(f.server, sink, "lost"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "duplicates"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "reordered"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "bad"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "delay_min_ns"), ==, (int64_t)d);
    g_assert_cmpint(fx_result(f.server, sink, "delay_avg_ns"), ==, (int64_t)d);
    g_assert_cmpint(fx_result(f.server, sink, "delay_max_ns"), ==, (int64_t)d);
    g_assert_cmpint(fx_result(f.server, sink, "jitter_ns"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "stall_ns"), ==, (int64_t)MP_MS(8));
    g_assert_cmpint(fx_result(f.server, sink, "first_arrival_ns"), ==, (int64_t)(MP_MS(1) + d));
    g_assert_cmpint(fx_result(f.server, sink, "last_arrival_ns"), ==,
                    (int64_t)(MP_MS(1) + 999 * MP_MS(8) + d));
    /* 1000 datagrams over 999 intervals: 1000/999 of the rate. */
    int64_t gp = fx_result(f.server, sink, "goodput_bps");
    g_assert_cmpint(gp, ==, 1000000 * 8 * (int64_t)1000000000 / (999 * (int64_t)MP_MS(8)));
    g_assert_cmpint(gp, >=, 990000);
    g_assert_cmpint(gp, <=, 1010000);
    /* The sink stopped at the 1000th arrival, not at its duration. */
    g_assert_cmpuint(mp_proc_end_time(sink), ==, MP_MS(1) + 999 * MP_MS(8) + d);
    assert_log_has(f.server, sink, "all expected datagrams received");
    assert_log_has(f.server, sink, "lost 0, duplicates 0, reordered 0, intact");
    assert_log_has(f.client, cbr, "sent 1000 datagrams, 1000000 bytes");
    g_assert_cmpuint(mp_node_host(f.server)->ctr.v[MP_CTR_UDP_IN_DATAGRAMS], ==, 1000);
    mp_world_free(f.w);
}

/* 1000 B at 3 Mbit/s is one datagram every 2666666.67 ns: the schedule is
 * computed from the start, so 300 intervals take exactly 800 ms. */
static void test_cbr_no_drift(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_proc *sink = spawn(f.server, 0, "udp-sink --port 9000 --expect 301");
    struct mp_proc *cbr = spawn(f.client, 0,
                                "udp-cbr --dst 2001:db8:2::2 --port 9000 --rate 3Mbit --size 1000B --count 301");
    mp_world_run(f.w, MP_S(5));
    g_assert_cmpint(mp_proc_exit_status(sink), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "unique"), ==, 301);
    int64_t first = fx_result(f.server, sink, "first_arrival_ns");
    int64_t last = fx_result(f.server, sink, "last_arrival_ns");
    g_assert_cmpint(last - first, ==, (int64_t)MP_MS(800));
    g_assert_cmpint(first, ==, (int64_t)(2 * hop(1000 + 8 + 40)));
    /* Spacing is 2666666 or 2666667 ns: the longest gap is the larger. */
    g_assert_cmpint(fx_result(f.server, sink, "stall_ns"), ==, 2666667);
    g_assert_cmpint(fx_result(f.server, sink, "delay_max_ns"), ==, (int64_t)(2 * hop(1048)));
    g_assert_cmpuint(mp_proc_end_time(cbr), ==, MP_MS(800));
    mp_world_free(f.w);
}

/* --duration: datagrams leave while their time is before the end. */
static void test_cbr_duration(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_proc *sink = spawn(f.server, 0, "udp-sink --port 9000 --duration 2s");
    struct mp_proc *cbr =
        spawn(f.client, 0, "udp-cbr --to 10.0.2.2:9000 --rate 800kbit --size 100B --duration 1s");
    mp_world_run(f.w, MP_S(5));
    /* 100 B at 800 kbit/s: one per ms, k = 0..999. */
    g_assert_cmpint(fx_result(f.client, cbr, "sent_packets"), ==, 1000);
    g_assert_cmpint(fx_result(f.server, sink, "packets"), ==, 1000);
    g_assert_cmpint(fx_result(f.server, sink, "lost"), ==, 0);
    /* Without --expect the sink cannot tell a flow that stopped early: the
     * silence after the last arrival is no stall. */
    g_assert_cmpint(fx_result(f.server, sink, "stall_ns"), ==, (int64_t)MP_MS(1));
    assert_ends_near(sink, MP_S(2));
    g_assert_cmpint(mp_proc_exit_status(sink), ==, 0);
    assert_log_has(f.server, sink, "duration over");
    mp_world_free(f.w);
}

static void test_cbr_sink_lossy(void)
{
    struct fx f;
    fx_init(&f);
    mp_link_add_fault(f.l1, 0, mp_fault_loss_new_ppm(100000)); /* 10% */
    struct mp_proc *sink = spawn(f.server, 0, "udp-sink --port 9000 --expect 1000 --duration 10s");
    struct mp_proc *cbr =
        spawn(f.client, 0, "udp-cbr --dst 10.0.2.2 --port 9000 --rate 2Mbit --size 500 --count 1000");
    mp_world_run(f.w, MP_S(30));
    uint64_t dropped = mp_link_stats(f.l1, 0)->dropped[MP_LINK_DROP_LOSS];
    g_assert_cmpuint(dropped, >, 50);
    g_assert_cmpuint(dropped, <, 150);
    g_assert_cmpint(fx_result(f.client, cbr, "sent_packets"), ==, 1000);
    g_assert_cmpint(fx_result(f.server, sink, "lost"), ==, (int64_t)dropped);
    g_assert_cmpint(fx_result(f.server, sink, "unique"), ==, 1000 - (int64_t)dropped);
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "reordered"), ==, 0);
    /* The flow ended short of --expect: the sink ran to its duration, and
     * the silence after the last arrival counts as a stall. */
    assert_ends_near(sink, MP_S(10));
    g_assert_cmpint(mp_proc_exit_status(sink), ==, 1);
    int64_t last = fx_result(f.server, sink, "last_arrival_ns");
    g_assert_cmpint(fx_result(f.server, sink, "stall_ns"), ==, (int64_t)MP_S(10) - last);
    mp_world_free(f.w);
}

static void test_cbr_sink_duplicated(void)
{
    struct fx f;
    fx_init(&f);
    mp_link_add_fault(f.l2, 0, mp_fault_dup_new(UINT32_MAX));
    struct mp_proc *sink = spawn(f.server, 0, "udp-sink --port 9000 --duration 3s");
    spawn(f.client, 0, "udp-cbr --dst 10.0.2.2 --port 9000 --rate 1Mbit --count 100");
    mp_world_run(f.w, MP_S(5));
    g_assert_cmpint(fx_result(f.server, sink, "packets"), ==, 200);
    g_assert_cmpint(fx_result(f.server, sink, "unique"), ==, 100);
    g_assert_cmpint(fx_result(f.server, sink, "duplicates"), ==, 100);
    g_assert_cmpint(fx_result(f.server, sink, "lost"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 1);
    mp_world_free(f.w);
}

/* ---- crafted datagrams into a sink ---- */

struct craft {
    uint64_t seq;
    int64_t stamp_shift; /* the stamp says the datagram left this much earlier */
    size_t len;
    int damage; /* 0: intact; 1: a pattern byte; 2: the magic */
};

struct craft_script {
    const struct craft *items;
    size_t n;
};

static int crafter(int argc, char **argv)
{
    struct craft_script *s;
    sscanf(argv[1], "%p", (void **)&s);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9000)};
    inet_pton(AF_INET, "10.0.2.2", &to.sin_addr);
    int fd = afmp_socket(AF_INET, SOCK_DGRAM, 0);
    g_assert_cmpint(fd, >=, 3);
    for (size_t i = 0; i < s->n; i++) {
        const struct craft *c = &s->items[i];
        uint8_t buf[1500];
        struct mp_app_cbr_hdr h = {c->seq, afmp_now_ns() - (uint64_t)c->stamp_shift};
        size_t len = c->len < MP_APP_CBR_HDR ? MP_APP_CBR_HDR : c->len;
        mp_app_cbr_emit(buf, len, &h);
        if (c->damage == 1)
            buf[len - 1] ^= 0x01;
        if (c->damage == 2)
            buf[0] = 'X';
        g_assert_cmpint(afmp_sendto(fd, buf, c->len, 0, (struct sockaddr *)&to, sizeof(to)), ==,
                        (ssize_t)c->len);
        afmp_usleep(10000);
    }
    afmp_close(fd);
    return 0;
}

static struct mp_proc *run_script(struct fx *f, const struct craft *items, size_t n, const char *sink_cmd)
{
    struct craft_script s = {items, n};
    char ptr[32];
    g_snprintf(ptr, sizeof(ptr), "%p", (void *)&s);
    char *argv[] = {"crafter", ptr};
    struct mp_proc *sink = spawn(f->server, 0, sink_cmd);
    g_assert_nonnull(mp_proc_spawn(mp_node_procs(f->client), "crafter", MP_MS(1), crafter, 2, argv, 0));
    mp_world_run(f->w, MP_S(5));
    return sink;
}

static void test_sink_sequence(void)
{
    static const struct craft items[] = {
        {0, 0, 100, 0}, {2, 0, 100, 0}, {1, 0, 100, 0}, {1, 0, 100, 0}, {5, 0, 100, 0},
    };
    struct fx f;
    fx_init(&f);
    struct mp_proc *sink = run_script(&f, items, G_N_ELEMENTS(items), "udp-sink --port 9000 --duration 2s");
    g_assert_cmpint(fx_result(f.server, sink, "packets"), ==, 5);
    g_assert_cmpint(fx_result(f.server, sink, "unique"), ==, 4);
    g_assert_cmpint(fx_result(f.server, sink, "reordered"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "duplicates"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "lost"), ==, 2); /* 3 and 4 */
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 1);
    mp_world_free(f.w);

    /* With --expect 8, 6 and 7 are missing too. */
    fx_init(&f);
    sink = run_script(&f, items, G_N_ELEMENTS(items), "udp-sink --port 9000 --duration 2s --expect 8");
    g_assert_cmpint(fx_result(f.server, sink, "lost"), ==, 4);
    mp_world_free(f.w);
}

/* RFC 3550: after one pair whose transit times differ by D, J = D/16. */
static void test_sink_jitter(void)
{
    static const struct craft items[] = {{0, 0, 100, 0}, {1, 1600, 100, 0}};
    struct fx f;
    fx_init(&f);
    struct mp_proc *sink = run_script(&f, items, G_N_ELEMENTS(items), "udp-sink --port 9000 --expect 2");
    const int64_t d = (int64_t)(2 * hop(128));
    g_assert_cmpint(fx_result(f.server, sink, "jitter_ns"), ==, 100);
    g_assert_cmpint(fx_result(f.server, sink, "delay_min_ns"), ==, d);
    g_assert_cmpint(fx_result(f.server, sink, "delay_max_ns"), ==, d + 1600);
    g_assert_cmpint(fx_result(f.server, sink, "delay_avg_ns"), ==, d + 800);
    mp_world_free(f.w);
}

static void test_sink_damaged(void)
{
    static const struct craft pattern[] = {{0, 0, 100, 0}, {1, 0, 100, 1}, {2, 0, 100, 0}};
    static const struct craft magic[] = {{0, 0, 100, 2}};
    static const struct craft shortd[] = {{0, 0, 5, 0}};
    struct fx f;

    fx_init(&f);
    struct mp_proc *sink = run_script(&f, pattern, G_N_ELEMENTS(pattern), "udp-sink --port 9000 --duration 1s");
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "bad"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "packets"), ==, 3);
    g_assert_cmpint(fx_result(f.server, sink, "unique"), ==, 2);
    g_assert_cmpint(fx_result(f.server, sink, "lost"), ==, 1); /* the damaged one is not counted */
    assert_log_has(f.server, sink, "NOT intact");
    mp_world_free(f.w);

    fx_init(&f);
    sink = run_script(&f, magic, 1, "udp-sink --port 9000 --duration 1s");
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 0);
    mp_world_free(f.w);

    fx_init(&f);
    sink = run_script(&f, shortd, 1, "udp-sink --port 9000 --duration 1s");
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "bytes"), ==, 5);
    mp_world_free(f.w);
}

/* Stopped by the scenario (killed): the figures so far are there. */
static void test_sink_killed(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_proc *sink = spawn(f.server, 0, "udp-sink --port 9000");
    spawn(f.client, 0, "udp-cbr --dst 10.0.2.2 --port 9000 --rate 1Mbit --count 10");
    mp_world_run(f.w, MP_S(1));
    g_assert_false(mp_proc_ended(sink));
    g_assert_cmpint(mp_proc_kill(sink), ==, 0);
    g_assert_cmpint(mp_proc_exit_status(sink), ==, MP_PROC_KILLED_STATUS);
    g_assert_cmpint(fx_result(f.server, sink, "packets"), ==, 10);
    g_assert_cmpint(fx_result(f.server, sink, "lost"), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 1);
    mp_world_free(f.w);
}

/* ---- ping ---- */

static void run_ping(const char *dst, uint32_t ip_hdr)
{
    struct fx f;
    fx_init(&f);
    char *cmd = g_strdup_printf("ping -c 3 -i 0.5 %s", dst);
    struct mp_proc *p = spawn(f.client, 0, cmd);
    g_free(cmd);
    mp_world_run(f.w, MP_S(20));
    const uint64_t rtt = 4 * hop(ip_hdr + 8 + 56);
    g_assert_true(mp_proc_ended(p));
    g_assert_cmpint(mp_proc_exit_status(p), ==, 0);
    g_assert_cmpint(fx_result(f.client, p, "transmitted"), ==, 3);
    g_assert_cmpint(fx_result(f.client, p, "received"), ==, 3);
    g_assert_cmpint(fx_result(f.client, p, "duplicates"), ==, 0);
    g_assert_cmpint(fx_result(f.client, p, "loss_ppm"), ==, 0);
    g_assert_cmpint(fx_result(f.client, p, "rtt_min_ns"), ==, (int64_t)rtt);
    g_assert_cmpint(fx_result(f.client, p, "rtt_avg_ns"), ==, (int64_t)rtt);
    g_assert_cmpint(fx_result(f.client, p, "rtt_max_ns"), ==, (int64_t)rtt);
    g_assert_cmpint(fx_result(f.client, p, "rtt_mdev_ns"), ==, 0);
    /* Requests at 0, 0.5 s and 1 s; it ends with the last reply. */
    g_assert_cmpuint(mp_proc_end_time(p), ==, MP_MS(1000) + rtt);
    char line[128];
    g_snprintf(line, sizeof(line), "64 bytes from %s: icmp_seq=2 time=%" G_GUINT64_FORMAT ".%03" G_GUINT64_FORMAT " ms",
               dst, rtt / 1000000, rtt % 1000000 / 1000);
    assert_log_has(f.client, p, line);
    assert_log_has(f.client, p, "3 packets transmitted, 3 received, 0% packet loss");
    assert_log_has(f.client, p, "rtt min/avg/max/mdev = ");
    g_assert_cmpuint(mp_node_host(f.server)->ctr.v[ip_hdr == 20 ? MP_CTR_ICMP_OUT_ECHO_REPS
                                                                : MP_CTR_ICMP6_OUT_ECHO_REPLIES],
                     ==, 3);
    mp_world_free(f.w);
}

static void test_ping_v4(void)
{
    run_ping("10.0.2.2", 20);
}

static void test_ping_v6(void)
{
    run_ping("2001:db8:2::2", 40);
}

static void test_ping_no_answer(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_proc *p = spawn(f.client, 0, "ping -c 2 -W 1s 10.0.2.99");
    mp_world_run(f.w, MP_S(20));
    g_assert_cmpint(mp_proc_exit_status(p), ==, 1);
    g_assert_cmpint(fx_result(f.client, p, "transmitted"), ==, 2);
    g_assert_cmpint(fx_result(f.client, p, "received"), ==, 0);
    g_assert_cmpint(fx_result(f.client, p, "loss_ppm"), ==, 1000000);
    /* Last request at 1 s, then TIMEOUT. */
    g_assert_cmpuint(mp_proc_end_time(p), ==, MP_S(2));
    assert_log_has(f.client, p, "2 packets transmitted, 0 received, 100% packet loss");
    mp_world_free(f.w);
}

/* One reply in three lost on the way back: loss and mdev. */
static void test_ping_loss(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_fault *loss = mp_fault_loss_new_ppm(0);
    mp_link_add_fault(f.l2, 1, loss); /* server -> r1 */
    struct mp_proc *p = spawn(f.client, 0, "ping -c 3 -W 2s 10.0.2.2");
    /* Lose exactly the second reply: 100% loss from 1.0 s to 1.5 s. */
    mp_world_run(f.w, MP_MS(1000));
    mp_fault_set_prob(loss, UINT32_MAX, MP_MS(1000));
    mp_world_run(f.w, MP_MS(1500));
    mp_fault_set_prob(loss, 0, MP_MS(1500));
    mp_world_run(f.w, MP_S(20));
    g_assert_cmpint(fx_result(f.client, p, "transmitted"), ==, 3);
    g_assert_cmpint(fx_result(f.client, p, "received"), ==, 2);
    g_assert_cmpint(fx_result(f.client, p, "loss_ppm"), ==, 333333);
    assert_log_has(f.client, p, "3 packets transmitted, 2 received, 33.3333% packet loss");
    g_assert_cmpint(mp_proc_exit_status(p), ==, 0);
    mp_world_free(f.w);
}

/* ---- udp-echo ---- */

struct echo_rtt {
    uint64_t rtt[3];
    ssize_t got[3];
};

static int echo_client(int argc, char **argv)
{
    struct echo_rtt *r;
    sscanf(argv[1], "%p", (void **)&r);
    struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(7)};
    inet_pton(AF_INET6, "2001:db8:2::2", &to.sin6_addr);
    int fd = afmp_socket(AF_INET6, SOCK_DGRAM, 0);
    afmp_connect(fd, (struct sockaddr *)&to, sizeof(to));
    for (int i = 0; i < 3; i++) {
        char buf[200], back[300];
        memset(buf, 'a' + i, sizeof(buf));
        uint64_t t0 = afmp_now_ns();
        afmp_send(fd, buf, sizeof(buf), 0);
        r->got[i] = afmp_recv(fd, back, sizeof(back), 0);
        r->rtt[i] = afmp_now_ns() - t0;
        if (r->got[i] != (ssize_t)sizeof(buf) || memcmp(buf, back, sizeof(buf)))
            r->got[i] = -1;
    }
    afmp_close(fd);
    return 0;
}

static void test_echo(void)
{
    struct fx f;
    struct echo_rtt r = {{0}};
    char ptr[32];
    fx_init(&f);
    struct mp_proc *echo = spawn(f.server, 0, "udp-echo --port 7");
    g_snprintf(ptr, sizeof(ptr), "%p", (void *)&r);
    char *argv[] = {"client", ptr};
    mp_proc_spawn(mp_node_procs(f.client), "client", MP_MS(1), echo_client, 2, argv, 0);
    mp_world_run(f.w, MP_S(2));
    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(r.got[i], ==, 200);
        g_assert_cmpuint(r.rtt[i], ==, 4 * hop(200 + 8 + 40));
    }
    /* It runs until stopped; its counts are current. */
    g_assert_false(mp_proc_ended(echo));
    g_assert_cmpint(fx_result(f.server, echo, "echoed_packets"), ==, 3);
    g_assert_cmpint(fx_result(f.server, echo, "echoed_bytes"), ==, 600);
    mp_proc_kill(echo);
    g_assert_cmpint(fx_result(f.server, echo, "echoed_packets"), ==, 3);
    g_assert_cmpint(fx_result(f.server, echo, "echo_errors"), ==, 0);
    mp_world_free(f.w);
}

/* cbr into echo with --count: echo ends by itself. */
static void test_echo_count(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_proc *echo = spawn(f.server, 0, "udp-echo --port 7 --count 5 --bind 10.0.2.2");
    spawn(f.client, 0, "udp-cbr --dst 10.0.2.2 --port 7 --count 5");
    mp_world_run(f.w, MP_S(2));
    g_assert_true(mp_proc_ended(echo));
    g_assert_cmpint(mp_proc_exit_status(echo), ==, 0);
    g_assert_cmpint(fx_result(f.server, echo, "echoed_packets"), ==, 5);
    assert_log_has(f.server, echo, "echoed 5 datagrams, 5000 bytes");
    mp_world_free(f.w);
}

/* ---- bad options: status 2 and a line saying why ---- */

struct bad_case {
    const char *cmd;
    int status;
    const char *log;
};

static const struct bad_case bad_cases[] = {
    {"udp-cbr --bogus", 2, "udp-cbr: Unknown option --bogus"},
    {"udp-cbr --port 9", 2, "--dst ADDR and --port 1..65535 are required"},
    {"udp-cbr --dst 10.0.2.2 --port 9 --rate 10Mbps", 2, "--rate: expected a rate"},
    {"udp-cbr --dst 10.0.2.2 --port 9 --rate 0bit", 2, "--rate: expected a rate above zero"},
    {"udp-cbr --dst 10.0.2.2 --port 9 --size 10B", 2, "--size: expected 20B..65507B"},
    {"udp-cbr --dst 10.0.2.2 --port 9 --duration 10", 2, "--duration: expected a time"},
    {"udp-cbr --dst server.example --port 9", 2, "expected a numeric IPv4 or IPv6 address"},
    {"udp-cbr --to 2001:db8::1:9", 2, "--to: expected HOST:PORT"},
    {"udp-cbr --to 10.0.2.2:9 --port 9", 2, "either --to"},
    {"udp-cbr --dst 10.0.2.2 --port 9 --tos 300", 2, "--tos: expected an integer 0..255"},
    {"udp-cbr --dst 10.0.2.2 --port 9 extra", 2, "unexpected argument 'extra'"},
    {"udp-cbr --port x", 2, "udp-cbr: Cannot parse integer value"},
    {"udp-sink", 2, "--port 1..65535 is required"},
    {"udp-sink --port 9 --expect -1", 2, "--expect: expected an integer"},
    {"udp-sink --port 9 --bind 10.0.2.7", 1, "bind 10.0.2.7 port 9"},
    {"udp-echo --port 70000", 2, "--port 1..65535 is required"},
    {"ping", 2, "a destination is required"},
    {"ping 10.0.2.2 10.0.2.3", 2, "only one destination"},
    {"ping -c x 10.0.2.2", 2, "-c: expected an integer"},
    {"ping -c 0 10.0.2.2", 2, "-c: expected a count of 1 or more"},
    {"ping -i 0 10.0.2.2", 2, "-i: expected a time above zero"},
    {"ping -s 70000 10.0.2.2", 2, "-s: expected at most 65507 data bytes"},
    {"ping -Z 10.0.2.2", 2, "ping: Unknown option -Z"},
    {"ping --help", 0, "Usage:"},
    {"udp-sink --help", 0, "--expect"},
};

static void test_bad_option(gconstpointer data)
{
    const struct bad_case *c = data;
    struct fx f;
    fx_init(&f);
    struct mp_proc *p = spawn(f.server, 0, c->cmd);
    mp_world_run(f.w, MP_S(1));
    g_assert_true(mp_proc_ended(p));
    g_assert_cmpint(mp_proc_exit_status(p), ==, c->status);
    assert_log_has(f.server, p, c->log);
    mp_world_free(f.w);
}

/* ---- registry and plug-ins ---- */

static void test_registry(void)
{
    size_t n;
    const struct mp_app_def *list = mp_apps_list(&n);
    const char *const *names = mp_apps_names();
    g_assert_cmpuint(n, ==, 9);
    for (size_t i = 0; i < n; i++) {
        g_assert_nonnull(list[i].main);
        g_assert_nonnull(list[i].summary);
        g_assert_cmpstr(names[i], ==, list[i].name);
        g_assert_true(mp_apps_lookup(list[i].name) == &list[i]);
        if (i)
            g_assert_cmpint(strcmp(list[i - 1].name, list[i].name), <, 0);
    }
    g_assert_null(names[n]);
    g_assert_true(mp_apps_lookup("udp-cbr")->main == mp_app_udp_cbr_main);
    g_assert_true(mp_apps_lookup("bulk-send")->main == mp_app_bulk_send_main);
    g_assert_null(mp_apps_lookup("bulk"));
    g_assert_null(mp_apps_lookup("UDP-CBR"));
    g_assert_null(mp_apps_lookup(NULL));
    /* The scenario loader takes exactly these names. */
    g_assert_true(mp_scn_builtin_apps() == names);
}

static void test_plugin_missing(void)
{
    mp_app_main_fn fn = NULL;
    GError *err = NULL;
    GModule *m = mp_apps_plugin_open("/nonexistent/libnothing.so", NULL, &fn, &err);
    g_assert_null(m);
    g_assert_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN);
    g_assert_nonnull(strstr(err->message, "/nonexistent/libnothing.so"));
    g_assert_null(fn);
    g_error_free(err);
}

/* Builds a shared object from |src| with the system's cc into |dir|. */
static char *build_so(const char *dir, const char *name, const char *src)
{
    char *cc = g_find_program_in_path("cc");
    if (!cc)
        return NULL;
    char *c = g_build_filename(dir, "p.c", NULL);
    char *so = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(c, src, -1, NULL));
    char *argv[] = {cc, "-shared", "-fPIC", "-o", so, c, NULL};
    int status = -1;
    gboolean ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                               &status, NULL);
    g_free(cc);
    g_unlink(c);
    g_free(c);
    if (!ok || !g_spawn_check_wait_status(status, NULL)) {
        g_free(so);
        return NULL;
    }
    return so;
}

static void test_plugin_symbols(void)
{
    char *dir = g_dir_make_tmp("afmp-apps-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *nosym = build_so(dir, "libnosym.so", "int other_main(int c, char **v) { return c; }\n");
    if (!nosym) {
        g_rmdir(dir);
        g_free(dir);
        g_test_skip("no working C compiler to build a test plug-in");
        return;
    }
    char *good = build_so(dir, "libgood.so",
                          "int afmp_main(int c, char **v) { return 40 + c; }\n"
                          "int alt_main(int c, char **v) { return 7; }\n");
    g_assert_nonnull(good);

    mp_app_main_fn fn = NULL;
    GError *err = NULL;
    g_assert_null(mp_apps_plugin_open(nosym, NULL, &fn, &err));
    g_assert_error(err, MP_APPS_ERROR, MP_APPS_ERROR_SYMBOL);
    g_assert_nonnull(strstr(err->message, nosym));
    g_assert_nonnull(strstr(err->message, "afmp_main"));
    g_clear_error(&err);

    GModule *m = mp_apps_plugin_open(good, NULL, &fn, &err);
    g_assert_no_error(err);
    g_assert_nonnull(m);
    g_assert_cmpint(fn(2, NULL), ==, 42);
    g_module_close(m);
    m = mp_apps_plugin_open(good, "alt_main", &fn, &err);
    g_assert_nonnull(m);
    g_assert_cmpint(fn(0, NULL), ==, 7);
    g_module_close(m);

    /* A file that is not a shared object. */
    char *junk = g_build_filename(dir, "junk.so", NULL);
    g_assert_true(g_file_set_contents(junk, "not an ELF file", -1, NULL));
    g_assert_null(mp_apps_plugin_open(junk, NULL, &fn, &err));
    g_assert_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN);
    g_clear_error(&err);

    g_unlink(junk);
    g_unlink(nosym);
    g_unlink(good);
    g_rmdir(dir);
    g_free(junk);
    g_free(nosym);
    g_free(good);
    g_free(dir);
}

/* ---- helpers ---- */

static void test_cbr_format(void)
{
    uint8_t b[64];
    struct mp_app_cbr_hdr h = {0x0102030405060708ull, 123456789}, out;
    g_assert_cmpint(mp_app_cbr_emit(b, 19, &h), ==, -1);
    g_assert_cmpint(mp_app_cbr_emit(b, sizeof(b), &h), ==, 64);
    g_assert_cmpmem(b, 4, "afmp", 4);
    g_assert_cmpint(b[4], ==, 1);
    g_assert_cmpint(b[11], ==, 8);
    g_assert_cmpint(mp_app_cbr_parse(b, sizeof(b), &out), ==, 0);
    g_assert_cmpuint(out.seq, ==, h.seq);
    g_assert_cmpuint(out.sent_ns, ==, h.sent_ns);
    g_assert_cmpint(mp_app_cbr_parse(b, 19, &out), ==, -1);
    /* Every pattern byte is checked, and depends on the sequence number. */
    for (size_t i = MP_APP_CBR_HDR; i < sizeof(b); i++) {
        b[i] ^= 0x80;
        g_assert_cmpint(mp_app_cbr_parse(b, sizeof(b), &out), ==, -3);
        b[i] ^= 0x80;
    }
    /* Any bit of the sequence number or the stamp changes the pattern. */
    for (size_t bit = 32; bit < 160; bit++) {
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        g_assert_cmpint(mp_app_cbr_parse(b, sizeof(b), &out), ==, -3);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    b[2] = 'X';
    g_assert_cmpint(mp_app_cbr_parse(b, sizeof(b), &out), ==, -2);
}

static void test_arith(void)
{
    char buf[32];
    g_assert_cmpuint(mp_app_muldiv(UINT64_MAX, 1000, 1000), ==, UINT64_MAX);
    g_assert_cmpuint(mp_app_muldiv(UINT64_MAX, 2, 1), ==, UINT64_MAX);
    g_assert_cmpuint(mp_app_muldiv(7, 8000000000000ull, 3000000), ==, 18666666);
    g_assert_cmpuint(mp_app_muldiv(1, 1, 0), ==, 0);
    g_assert_cmpstr(mp_app_fmt_ms(20268800, buf, sizeof(buf)), ==, "20.268");
    g_assert_cmpstr(mp_app_fmt_ms(999, buf, sizeof(buf)), ==, "0.000");
    g_assert_cmpstr(mp_app_fmt_ppm(0, buf, sizeof(buf)), ==, "0");
    g_assert_cmpstr(mp_app_fmt_ppm(1000000, buf, sizeof(buf)), ==, "100");
    g_assert_cmpstr(mp_app_fmt_ppm(333333, buf, sizeof(buf)), ==, "33.3333");
    g_assert_cmpstr(mp_app_fmt_ppm(5000, buf, sizeof(buf)), ==, "0.5");

    struct mp_app_stat s = {0};
    static const uint64_t v[] = {2, 4, 4, 4, 5, 5, 7, 9};
    for (size_t i = 0; i < G_N_ELEMENTS(v); i++)
        mp_app_stat_add(&s, v[i] * 1000000000ull); /* squares need more than 64 bits */
    g_assert_cmpuint(s.min, ==, 2000000000ull);
    g_assert_cmpuint(s.max, ==, 9000000000ull);
    g_assert_cmpuint(mp_app_stat_mean(&s), ==, 5000000000ull);
    g_assert_cmpuint(mp_app_stat_mdev(&s), ==, 2000000000ull);
    struct mp_app_stat one = {0};
    mp_app_stat_add(&one, 5);
    g_assert_cmpuint(mp_app_stat_mdev(&one), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/apps/udp/cbr-sink/lossless", test_cbr_sink_lossless);
    g_test_add_func("/apps/udp/cbr-sink/no-drift", test_cbr_no_drift);
    g_test_add_func("/apps/udp/cbr-sink/duration", test_cbr_duration);
    g_test_add_func("/apps/udp/cbr-sink/lossy", test_cbr_sink_lossy);
    g_test_add_func("/apps/udp/cbr-sink/duplicated", test_cbr_sink_duplicated);
    g_test_add_func("/apps/udp/sink/sequence", test_sink_sequence);
    g_test_add_func("/apps/udp/sink/jitter", test_sink_jitter);
    g_test_add_func("/apps/udp/sink/damaged", test_sink_damaged);
    g_test_add_func("/apps/udp/sink/killed", test_sink_killed);
    g_test_add_func("/apps/udp/echo/round-trip", test_echo);
    g_test_add_func("/apps/udp/echo/count", test_echo_count);
    g_test_add_func("/apps/ping/v4", test_ping_v4);
    g_test_add_func("/apps/ping/v6", test_ping_v6);
    g_test_add_func("/apps/ping/no-answer", test_ping_no_answer);
    g_test_add_func("/apps/ping/loss", test_ping_loss);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        char *path = g_strdup_printf("/apps/options/%zu", i);
        g_test_add_data_func(path, &bad_cases[i], test_bad_option);
        g_free(path);
    }
    g_test_add_func("/apps/registry/list", test_registry);
    g_test_add_func("/apps/registry/plugin-missing", test_plugin_missing);
    g_test_add_func("/apps/registry/plugin-symbols", test_plugin_symbols);
    g_test_add_func("/apps/util/cbr-format", test_cbr_format);
    g_test_add_func("/apps/util/arith", test_arith);
    return g_test_run();
}
