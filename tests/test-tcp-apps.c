/*
 * The TCP applications (bulk-send, sink, echo, reqresp): the stream
 * pattern and the iperf3-style interval lines, option errors, transfers
 * over a small world (client -- r1 -- server) with their figures checked
 * against what the links allow, request/response against echo and
 * sink --respond, and a capture of a lossy transfer read by tshark: no
 * malformed packet, no bad checksum, no expert error, and no expert warning
 * but those that the injected losses explain.
 *
 * The world tests need SOCK_STREAM in the socket layer; until a host can
 * open a TCP socket they are skipped (the skip says so).
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

/* ---- the stream pattern ---- */

static void test_pattern_roundtrip(void)
{
    uint8_t whole[1000], part[1000];
    mp_app_stream_fill(whole, sizeof(whole), 12345);
    g_assert_cmpuint(mp_app_stream_check(whole, sizeof(whole), 12345), ==, sizeof(whole));
    /* Filling in pieces at any split gives the same bytes. */
    for (size_t cut = 0; cut <= 17; cut++) {
        mp_app_stream_fill(part, cut, 12345);
        mp_app_stream_fill(part + cut, sizeof(part) - cut, 12345 + cut);
        g_assert_cmpmem(part, sizeof(part), whole, sizeof(whole));
    }
    /* Empty ranges. */
    g_assert_cmpuint(mp_app_stream_check(whole, 0, 7), ==, 0);
}

static void test_pattern_detects(void)
{
    uint8_t b[256];
    mp_app_stream_fill(b, sizeof(b), 64);
    /* Every single flipped bit is found at its place. */
    for (size_t i = 0; i < sizeof(b); i += 13) {
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (uint8_t)(1u << bit);
            g_assert_cmpuint(mp_app_stream_check(b, sizeof(b), 64), ==, i);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* Right bytes at a wrong offset (a misplaced segment) are found, at
     * once, for shifts within a block and by whole blocks. */
    static const uint64_t shifts[] = {1, 7, 8, 1448, 65536};
    for (size_t k = 0; k < G_N_ELEMENTS(shifts); k++)
        g_assert_cmpuint(mp_app_stream_check(b, sizeof(b), 64 + shifts[k]), <, 8);
}

/* Longer than one run of compared words (64), at an unaligned stream offset
 * and an unaligned address: every flipped byte is found at its place, in
 * the first run, the middle ones and the tail. */
static void test_pattern_detects_long(void)
{
    uint8_t mem[2003], *b = mem + 3;
    const size_t len = sizeof(mem) - 3;
    const uint64_t off = 1000005;
    mp_app_stream_fill(b, len, off);
    g_assert_cmpuint(mp_app_stream_check(b, len, off), ==, len);
    for (size_t i = 0; i < len; i += 7) {
        b[i] ^= 0x40;
        g_assert_cmpuint(mp_app_stream_check(b, len, off), ==, i);
        /* A second error further on does not hide the first. */
        if (i + 600 < len) {
            b[i + 600] ^= 1;
            g_assert_cmpuint(mp_app_stream_check(b, len, off), ==, i);
            b[i + 600] ^= 1;
        }
        b[i] ^= 0x40;
    }
}

/* ---- interval lines ---- */

struct interval_case {
    uint64_t from, to, bytes;
    const char *line;
};

static const struct interval_case interval_cases[] = {
    /* 100 Mbit/s for a second: 11.92 MiB, as iperf3 prints it. */
    {1000000000ull, 2000000000ull, 12500000, "[  5]   1.00-2.00    sec  11.9 MBytes   100 Mbits/sec"},
    {0, 1000000000ull, 0, "[  5]   0.00-1.00    sec     0 Bytes     0 bits/sec"},
    {0, 500000000ull, 1024, "[  5]   0.00-0.50    sec  1.00 KBytes  16.4 Kbits/sec"},
    {0, 10000000000ull, 1250000000ull, "[  5]   0.00-10.00   sec  1.16 GBytes  1.00 Gbits/sec"},
    {9000000000ull, 9995000000ull, 999, "[  5]   9.00-10.00   sec   999 Bytes  8.03 Kbits/sec"},
};

static void test_interval_format(gconstpointer data)
{
    const struct interval_case *c = data;
    char buf[128];
    g_assert_cmpstr(mp_app_fmt_interval(buf, sizeof(buf), 5, c->from, c->to, c->bytes), ==, c->line);
}

/* ---- a world: client -- r1 -- server ---- */

struct fx {
    struct mp_world *w;
    struct mp_node *client, *r1, *server;
    struct mp_link *l1, *l2;
    char *outdir;
};

static void fx_init(struct fx *f, uint64_t rate, mp_time_t delay, const char *outdir)
{
    struct mp_world_conf wc = {.seed = 1};
    memset(f, 0, sizeof(*f));
    if (outdir) {
        wc.outdir = outdir;
        wc.pcap = true;
        wc.pcapng = false;
        wc.snaplen = 65535; /* whole packets: tshark verifies every checksum */
    }
    struct fx_chain c;
    fx_chain_build(&c, &wc, rate, delay, true, true);
    f->w = c.w;
    f->client = c.client;
    f->r1 = c.r1;
    f->server = c.server;
    f->l1 = c.l1;
    f->l2 = c.l2;
    if (outdir) {
        GError *err = NULL;
        g_assert_true(mp_world_open_captures(f->w, &err));
        g_assert_no_error(err);
    }
}

static void fx_free(struct fx *f)
{
    mp_world_free(f->w);
}

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

/* Whether the socket layer has SOCK_STREAM: a process that can open a TCP
 * socket reports it. Skips the test when not. */
static int probe_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int fd = afmp_socket(AF_INET, SOCK_STREAM, 0);
    afmp_result("tcp", fd >= 0);
    if (fd >= 0)
        afmp_close(fd);
    return 0;
}

/* A fresh fixture with |main| run on its client for a simulated second. */
static struct mp_proc *run_client_main(struct fx *f, char *name, int (*main)(int, char **))
{
    char *argv[] = {name, NULL};
    fx_init(f, 0, 0, NULL);
    struct mp_proc *p = mp_proc_spawn(mp_node_procs(f->client), name, 0, main, 1, argv, 0);
    mp_world_run(f->w, MP_S(1));
    return p;
}

static bool have_tcp(void)
{
    struct fx f;
    struct mp_proc *p = run_client_main(&f, "probe", probe_main);
    int64_t ok = fx_result(f.client, p, "tcp");
    fx_free(&f);
    if (!ok)
        g_test_skip("the socket layer has no SOCK_STREAM yet");
    return ok;
}

/* ---- results ---- */

static int cells_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    afmp_result("a", 1);
    int64_t *b = afmp_result_cell("b");
    *b = 5;
    afmp_result("a", 2);
    int64_t *a = afmp_result_cell("a"); /* an existing key keeps its place */
    g_assert_cmpint(*a, ==, 0);        /* and is set to 0, as afmp_result(key, 0) */
    *a = 3;
    afmp_result("c", 7);
    *b = 6;
    afmp_usleep(10000);
    *b = 8; /* stores after a wait count too */
    return 0;
}

/* afmp_result_cell(): a store through the cell is the result, keys keep the
 * order they were first set in, and outside a process there is no cell. */
static void test_result_cells(void)
{
    struct fx f;
    struct mp_proc *p = run_client_main(&f, "cells", cells_main);
    const GPtrArray *r = afmp_stack_results(mp_node_host(f.client), mp_proc_pid(p));
    g_assert_nonnull(r);
    g_assert_cmpuint(r->len, ==, 3);
    static const char *const keys[] = {"a", "b", "c"};
    static const int64_t values[] = {3, 8, 7};
    for (guint i = 0; i < 3; i++) {
        const struct afmp_result *e = g_ptr_array_index(r, i);
        g_assert_cmpstr(e->key, ==, keys[i]);
        g_assert_cmpint(e->value, ==, values[i]);
    }
    g_assert_cmpint(fx_result(f.client, p, "b"), ==, 8);
    fx_free(&f);
    errno = 0;
    g_assert_null(afmp_result_cell("x"));
    g_assert_cmpint(errno, ==, EPERM);
}

/* ---- option errors (no sockets needed) ---- */

struct opt_case {
    const char *cmd, *log;
};

static const struct opt_case opt_cases[] = {
    {"bulk-send --port 5001", "--dst ADDR and --port 1..65535 are required"},
    {"bulk-send --to 10.0.2.2 --bytes 1MB", "expected HOST:PORT"},
    {"bulk-send --to 10.0.2.2:5001 --bytes 1MB --duration 1s", "--bytes or --duration, not both"},
    {"bulk-send --to 10.0.2.2:5001 --bytes 1Mb", "--bytes"},
    {"bulk-send --to 10.0.2.2:5001 --interval 1", "--interval"},
    {"bulk-send --to 10.0.2.2:5001 --bind 2001:db8:1::2", "different address families"},
    {"bulk-send --to 10.0.2.2:5001 extra", "unexpected argument 'extra'"},
    {"bulk-send --to 10.0.2.2:5001 --add 10.0.9.9 --add-at 1s", "--add needs --multipath"},
    {"bulk-send --multipath --to 10.0.2.2:5001 --add 10.0.9.9", "--add LIST and --add-at TIME go together"},
    {"bulk-send --multipath --to 10.0.2.2:5001 --add-local 10.0.1.2 --add-local-at x",
     "--add-local-at"},
    {"bulk-send --multipath --mptcp --to 10.0.2.2:5001", "AF_MULTIPATH is MPTCP already"},
    {"bulk-send --multipath --to 10.0.2.2:5001,10.0.9.9", "every address needs a port"},
    {"bulk-send --multipath --to 10.0.2.2:5001,,10.0.9.9:1", "wrong from offset 14"},
    {"bulk-send --multipath --to 2001:db8::1:5001", "IPv6 in brackets"},
    {"sink --port 5001 --multipath --bind 10.0.2.2,x", "--bind: expected numeric addresses"},
    {"sink --port 5001 --multipath --mptcp", "AF_MULTIPATH is MPTCP already"},
    {"sink", "--port 1..65535 is required"},
    {"sink --port 5001 --respond 100B", "--respond SIZE and --request SIZE go together"},
    {"sink --port 5001 --respond 1B --request 0B", "--request: expected at least 1B"},
    {"sink --port 5001 --count x", "--count"},
    {"echo --port 0", "--port 1..65535 is required"},
    {"reqresp --to 10.0.2.2:7 --request 0B", "--request 1B..16MiB"},
    {"reqresp --port 7", "--dst ADDR and --port 1..65535 are required"},
    {"reqresp --to 10.0.2.2:7 --count -1", "--count"},
};

static void test_options(gconstpointer data)
{
    const struct opt_case *c = data;
    struct fx f;
    fx_init(&f, 0, 0, NULL);
    struct mp_proc *p = spawn(f.client, 0, c->cmd);
    mp_world_run(f.w, MP_S(1));
    g_assert_true(mp_proc_ended(p));
    g_assert_cmpint(mp_proc_exit_status(p), ==, MP_APP_EXIT_USAGE);
    assert_log_has(f.client, p, c->log);
    fx_free(&f);
}

static void test_help(void)
{
    static const char *const progs[] = {"bulk-send --help", "sink -h", "echo --help",
                                        "reqresp --help"};
    struct fx f;
    fx_init(&f, 0, 0, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(progs); i++) {
        struct mp_proc *p = spawn(f.client, 0, progs[i]);
        mp_world_run(f.w, MP_S(1));
        g_assert_cmpint(mp_proc_exit_status(p), ==, 0);
        assert_log_has(f.client, p, "--port");
    }
    fx_free(&f);
}

/* ---- transfers ---- */

#define RATE 10000000u
#define DELAY MP_MS(5)

/* 1 MB from client to server over two 10 Mbit/s links, IPv4 and IPv6. */
static void test_bulk(gconstpointer data)
{
    const char *dst = data;
    if (!have_tcp())
        return;
    struct fx f;
    fx_init(&f, RATE, DELAY, NULL);
    char *cmd = g_strdup_printf("bulk-send --to %s:5001 --bytes 1000000 --interval 200ms", dst);
    struct mp_proc *sink = spawn(f.server, 0, "sink --port 5001 --count 1 --interval 200ms");
    struct mp_proc *bulk = spawn(f.client, MP_MS(1), cmd);
    g_free(cmd);
    mp_world_run(f.w, MP_S(30));
    g_assert_true(mp_proc_ended(bulk));
    g_assert_true(mp_proc_ended(sink));
    g_assert_cmpint(mp_proc_exit_status(bulk), ==, 0);
    g_assert_cmpint(mp_proc_exit_status(sink), ==, 0);

    g_assert_cmpint(fx_result(f.client, bulk, "bytes"), ==, 1000000);
    g_assert_cmpint(fx_result(f.client, bulk, "done"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "bytes"), ==, 1000000);
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "connections"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "completed"), ==, 1);
    g_assert_cmpint(fx_result(f.server, sink, "conn1.bytes"), ==, 1000000);
    g_assert_cmpint(fx_result(f.server, sink, "conn1.intact"), ==, 1);

    /* The handshake takes one round trip: 4 hops of 5 ms plus the
     * serialisation of two small segments per direction. */
    int64_t connect = fx_result(f.client, bulk, "connect_ns");
    g_assert_cmpint(connect, >=, (int64_t)MP_MS(20));
    g_assert_cmpint(connect, <, (int64_t)MP_MS(21));
    /* Goodput cannot beat the payload share of the link (1448 of 1500
     * bytes with timestamps, 1460 without) and slow start over a 20 ms
     * round trip keeps it well below: 1 MB needs about 1 s at the line
     * rate. */
    int64_t gp = fx_result(f.server, sink, "goodput_bps");
    g_assert_cmpint(gp, <=, (int64_t)RATE * 1460 / 1500);
    g_assert_cmpint(gp, >=, (int64_t)RATE / 2);
    int64_t done = fx_result(f.client, bulk, "completion_ns");
    g_assert_cmpint(done, >=, 800 * (int64_t)MP_MS(1));
    g_assert_cmpint(done, <=, 3 * (int64_t)MP_S(1));
    g_assert_cmpint(fx_result(f.client, bulk, "goodput_bps"), <=, gp);
    /* The sender sees the end one trip after the sink's last byte at
     * least. */
    g_assert_cmpint(fx_result(f.server, sink, "last_byte_ns"), <,
                    (int64_t)MP_MS(1) + done);
    g_assert_cmpint(fx_result(f.server, sink, "stall_ns"), <, (int64_t)MP_MS(100));
    assert_log_has(f.client, bulk, "[  3]   0.00-0.20    sec");
    assert_log_has(f.client, bulk, "sender");
    assert_log_has(f.server, sink, "receiver");
    assert_log_has(f.server, sink, "connection 1 done: 1000000 bytes");
    fx_free(&f);
}

/* Two senders at once into one sink: both checked, counted apart. */
static void test_bulk_two(void)
{
    if (!have_tcp())
        return;
    struct fx f;
    fx_init(&f, RATE, DELAY, NULL);
    struct mp_proc *sink = spawn(f.server, 0, "sink --port 5001 --count 2 --interval 0s");
    struct mp_proc *a = spawn(f.client, MP_MS(1), "bulk-send --to 10.0.2.2:5001 --bytes 300000");
    struct mp_proc *b =
        spawn(f.client, MP_MS(2), "bulk-send --to [2001:db8:2::2]:5001 --bytes 200000");
    mp_world_run(f.w, MP_S(30));
    g_assert_cmpint(mp_proc_exit_status(a), ==, 0);
    g_assert_cmpint(mp_proc_exit_status(b), ==, 0);
    g_assert_cmpint(mp_proc_exit_status(sink), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "bytes"), ==, 500000);
    g_assert_cmpint(fx_result(f.server, sink, "completed"), ==, 2);
    g_assert_cmpint(fx_result(f.server, sink, "conn1.bytes") + fx_result(f.server, sink, "conn2.bytes"),
                    ==, 500000);
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 1);
    fx_free(&f);
}

/* A refused connection: exit status 1 and the errno in the log. */
static void test_bulk_refused(void)
{
    if (!have_tcp())
        return;
    struct fx f;
    fx_init(&f, RATE, DELAY, NULL);
    struct mp_proc *bulk = spawn(f.client, 0, "bulk-send --to 10.0.2.2:5001 --bytes 1000");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(mp_proc_exit_status(bulk), ==, MP_APP_EXIT_FAIL);
    assert_log_has(f.client, bulk, "Connection refused");
    g_assert_cmpint(fx_result(f.client, bulk, "done"), ==, 0);
    fx_free(&f);
}

/* reqresp against echo and against sink --respond: every transaction
 * takes at least a round trip (20 ms of propagation). */
static void test_reqresp(gconstpointer data)
{
    const char *server = data;
    if (!have_tcp())
        return;
    struct fx f;
    fx_init(&f, RATE, DELAY, NULL);
    bool echo = g_str_has_prefix(server, "echo");
    struct mp_proc *srv = spawn(f.server, 0, server);
    struct mp_proc *rr = spawn(
        f.client, MP_MS(1),
        echo ? "reqresp --to 10.0.2.2:7 --request 500B --count 5 --interval 100ms"
             : "reqresp --to 10.0.2.2:7 --request 100B --response 3000B --count 5 --interval 100ms");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(mp_proc_exit_status(rr), ==, 0);
    g_assert_true(mp_proc_ended(srv));
    g_assert_cmpint(mp_proc_exit_status(srv), ==, 0);
    g_assert_cmpint(fx_result(f.client, rr, "transactions"), ==, 5);
    g_assert_cmpint(fx_result(f.client, rr, "intact"), ==, 1);
    int64_t lo = fx_result(f.client, rr, "latency_min_ns");
    int64_t hi = fx_result(f.client, rr, "latency_max_ns");
    g_assert_cmpint(lo, >=, (int64_t)MP_MS(20));
    g_assert_cmpint(hi, <, (int64_t)MP_MS(60));
    g_assert_cmpint(lo, <=, fx_result(f.client, rr, "latency_avg_ns"));
    g_assert_cmpint(fx_result(f.client, rr, "bytes_received"), ==, echo ? 2500 : 15000);
    if (echo)
        g_assert_cmpint(fx_result(f.server, srv, "echoed_bytes"), ==, 2500);
    else
        g_assert_cmpint(fx_result(f.server, srv, "responses_bytes"), ==, 15000);
    assert_log_has(f.client, rr, "latency min/avg/max/mdev");
    fx_free(&f);
}

/* ---- Wireshark ---- */

static char *tshark(const char *path, const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new();
    char *prog = g_find_program_in_path("tshark");
    g_ptr_array_add(argv, prog);
    g_ptr_array_add(argv, (char *)"-n");
    g_ptr_array_add(argv, (char *)"-r");
    g_ptr_array_add(argv, (char *)path);
    for (; *args; args++)
        g_ptr_array_add(argv, (char *)*args);
    g_ptr_array_add(argv, NULL);
    char *out = NULL, *errout = NULL;
    int wait_status = 0;
    GError *err = NULL;
    g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errout,
                 &wait_status, &err);
    g_assert_no_error(err);
    if (!g_spawn_check_wait_status(wait_status, NULL))
        g_error("tshark -r %s failed: %s", path, errout);
    g_free(errout);
    g_free(prog);
    g_ptr_array_unref(argv);
    return out;
}

#define CSUM_PREFS                                                                             \
    "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o",                    \
        "tcp.analyze_sequence_numbers:TRUE"

/* The analysis flags that losses on the path explain: a gap seen before
 * the retransmission, the retransmission itself, duplicate ACKs and ACKs
 * of what the capture point never saw. */
#define LOSS_FLAGS                                                                             \
    "tcp.analysis.lost_segment || tcp.analysis.retransmission || "                             \
    "tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || "             \
    "tcp.analysis.out_of_order || tcp.analysis.ack_lost_segment || "                           \
    "tcp.analysis.duplicate_ack"

static void test_tshark(gconstpointer data)
{
    const bool lossy = GPOINTER_TO_INT(data);
    char *prog = g_find_program_in_path("tshark");
    if (!prog) {
        g_test_skip("tshark is not installed");
        return;
    }
    g_free(prog);
    if (!have_tcp())
        return;
    GError *err = NULL;
    char *dir = g_dir_make_tmp("afmp-test-tcp-apps-XXXXXX", &err);
    g_assert_no_error(err);
    struct fx f;
    fx_init(&f, RATE, DELAY, dir);
    if (lossy)
        mp_link_add_fault(f.l2, 0, mp_fault_loss_new_ppm(20000)); /* 2% r1 -> server */
    struct mp_proc *sink = spawn(f.server, 0, "sink --port 5001 --count 1");
    struct mp_proc *bulk = spawn(f.client, MP_MS(1), "bulk-send --to 10.0.2.2:5001 --bytes 500000");
    mp_world_run(f.w, MP_S(60));
    g_assert_true(mp_world_close_captures(f.w, &err));
    g_assert_no_error(err);
    g_assert_cmpint(mp_proc_exit_status(bulk), ==, 0);
    g_assert_cmpint(fx_result(f.server, sink, "intact"), ==, 1);
    uint64_t retrans = mp_node_host(f.client)->ctr.v[MP_CTR_TCP_RETRANS_SEGS];
    if (lossy)
        g_assert_cmpuint(retrans, >, 0);
    else
        g_assert_cmpuint(retrans, ==, 0);

    static const char *const files[] = {"client-eth0.pcap", "server-eth0.pcap"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        char *path = g_build_filename(dir, files[i], NULL);
        /* Nothing malformed, no bad checksum, no expert error. */
        static const char *const bad[] = {
            CSUM_PREFS, "-Y",
            "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || "
            "tcp.checksum.status == \"Bad\" || (tcp && tcp.checksum.status != \"Good\")",
            NULL};
        char *out = tshark(path, bad);
        g_assert_cmpstr(out, ==, "");
        g_free(out);
        /* Warnings only where the losses explain them (none without). */
        static const char *const warn_lossy[] = {
            CSUM_PREFS, "-Y", "_ws.expert.severity >= warning && !(" LOSS_FLAGS ")", NULL};
        static const char *const warn_clean[] = {CSUM_PREFS, "-Y", "_ws.expert.severity >= warning",
                                                 NULL};
        out = tshark(path, lossy ? warn_lossy : warn_clean);
        g_assert_cmpstr(out, ==, "");
        g_free(out);
        /* The checks looked at TCP at all: there are good TCP checksums,
         * and retransmissions exactly when losses were injected. */
        static const char *const good[] = {CSUM_PREFS, "-Y", "tcp.checksum.status == \"Good\"", NULL};
        out = tshark(path, good);
        g_assert_cmpuint(strlen(out), >, 0);
        g_free(out);
        if (i == 0) {
            static const char *const rtx[] = {CSUM_PREFS, "-Y", "tcp.analysis.retransmission", NULL};
            out = tshark(path, rtx);
            g_assert_true(lossy == (strlen(out) > 0));
            g_free(out);
        }
        g_unlink(path);
        g_free(path);
    }
    fx_free(&f);
    /* Whatever else the run wrote. */
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tcp-apps/results/cells", test_result_cells);
    g_test_add_func("/tcp-apps/pattern/roundtrip", test_pattern_roundtrip);
    g_test_add_func("/tcp-apps/pattern/detects", test_pattern_detects);
    g_test_add_func("/tcp-apps/pattern/detects-long", test_pattern_detects_long);
    for (size_t i = 0; i < G_N_ELEMENTS(interval_cases); i++) {
        char *path = g_strdup_printf("/tcp-apps/interval/%zu", i);
        g_test_add_data_func(path, &interval_cases[i], test_interval_format);
        g_free(path);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(opt_cases); i++) {
        char *path = g_strdup_printf("/tcp-apps/options/%zu", i);
        g_test_add_data_func(path, &opt_cases[i], test_options);
        g_free(path);
    }
    g_test_add_func("/tcp-apps/options/help", test_help);
    g_test_add_data_func("/tcp-apps/bulk/v4", "10.0.2.2", test_bulk);
    g_test_add_data_func("/tcp-apps/bulk/v6", "[2001:db8:2::2]", test_bulk);
    g_test_add_func("/tcp-apps/bulk/two-senders", test_bulk_two);
    g_test_add_func("/tcp-apps/bulk/refused", test_bulk_refused);
    g_test_add_data_func("/tcp-apps/reqresp/echo", "echo --port 7 --count 1", test_reqresp);
    g_test_add_data_func("/tcp-apps/reqresp/sink",
                         "sink --port 7 --count 1 --respond 3000B --request 100B", test_reqresp);
    g_test_add_data_func("/tcp-apps/tshark/clean", GINT_TO_POINTER(0), test_tshark);
    g_test_add_data_func("/tcp-apps/tshark/lossy", GINT_TO_POINTER(1), test_tshark);
    return g_test_run();
}
