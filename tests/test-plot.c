/* afmp-trace's plots (tools/trace/plot.c): a hand-made CSV folder (an MPTCP
 * connection with two subflows, a retransmission, a reinjection and a
 * REMOVE_ADDR; a plain TCP connection) and a small trace.jsonl give the data
 * files, the script and, with gnuplot, the PNG and SVG plots; the error
 * paths name what is wrong. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <string.h>

#include "tools/trace/plot.h"

static const char connections_csv[] =
    "conn,mptcp,fallback,client,cport,server,sport,subflows,t_start,t_end,bytes_c2s,bytes_s2c,"
    "goodput_c2s_bps,goodput_s2c_bps,reinject_c2s,reinject_s2c,retrans_c2s,retrans_s2c,"
    "max_stall_c2s,max_stall_s2c\n"
    "1,1,,10.0.1.2,40000,10.0.3.2,5001,2,0.050000000,0.750000000,5000,0,80000,0,1000,0,1000,0,"
    "0.1,0\n"
    "2,0,,10.0.1.2,40002,10.0.3.2,5002,1,0.100000000,0.150000000,500,0,40000,0,0,0,0,0,0,0\n";

static const char subflows_csv[] =
    "conn,sf,kind,family,client,cport,server,sport,client_id,server_id,backup,t_syn,"
    "t_established,t_end,end,payload_c2s,payload_s2c,retrans_c2s,retrans_s2c,reinject_c2s,"
    "reinject_s2c\n"
    "1,0,initial,4,10.0.1.2,40000,10.0.3.2,5001,0,0,0,0.050000000,0.060000000,0.600000000,open,"
    "4000,0,1000,0,0,0\n"
    "1,1,join,4,10.0.2.2,40001,10.0.3.2,5001,1,0,0,0.220000000,0.230000000,0.750000000,open,"
    "3000,0,0,0,1000,0\n"
    "2,0,initial,4,10.0.1.2,40002,10.0.3.2,5002,0,0,0,0.100000000,0.100000000,0.150000000,open,"
    "500,0,0,0,0,0\n";

/* Connection 1, c2s: sf0 new at DSN 0, 1000, 2000 and a retransmission of
 * 2000; sf1 new at 3000, 4000 and a reinjection of 2000: 7 points, the
 * highest DSN sent growing 4 times. */
static const char segments_csv[] = "t,conn,sf,dir,flags,len,seq,ack,dsn,data_ack,class\n"
                                   "0.050000000,1,0,c2s,S,0,0,,,,ctl\n"
                                   "0.060000000,1,0,s2c,SA,0,0,0,,,ctl\n"
                                   "0.100000000,1,0,c2s,AP,1000,0,0,0,,new\n"
                                   "0.100000000,2,0,c2s,AP,500,0,0,,,new\n"
                                   "0.150000000,1,0,s2c,A,0,0,1000,,1000,ctl\n"
                                   "0.150000000,2,0,s2c,A,0,0,500,,,ctl\n"
                                   "0.200000000,1,0,c2s,AP,1000,1000,0,1000,,new\n"
                                   "0.220000000,1,1,c2s,S,0,0,,,,ctl\n"
                                   "0.230000000,1,1,s2c,SA,0,0,0,,,ctl\n"
                                   "0.250000000,1,1,c2s,AP,1000,0,0,3000,,new\n"
                                   "0.300000000,1,0,c2s,AP,1000,2000,0,2000,,new\n"
                                   "0.350000000,1,1,c2s,AP,1000,1000,0,4000,,new\n"
                                   "0.400000000,1,0,s2c,A,0,0,2000,,2000,ctl\n"
                                   "0.450000000,1,1,s2c,A,0,0,2000,,2000,ctl\n"
                                   "0.600000000,1,0,c2s,AP,1000,2000,0,2000,,retrans\n"
                                   "0.700000000,1,1,c2s,AP,1000,2000,0,2000,,reinject\n"
                                   "0.750000000,1,1,s2c,A,0,0,3000,,5000,ctl\n";

static const char events_csv[] = "t,conn,sf,dir,event,detail\n"
                                 "0.050000000,1,0,c2s,syn,\n"
                                 "0.650000000,1,0,s2c,remove-addr,ids=1\n"
                                 "0.120000000,2,0,s2c,fastclose,\n";

/* The sender's records (mobile 1 and 2: 5 tcp.ack), the receiver's (server
 * 5: ignored), a record of another kind, a scenario event with quotes. */
static const char trace_jsonl[] =
    "{\"t\":0,\"node\":\"mobile\",\"ev\":\"ip.addr-added\",\"iface\":\"wlan0\","
    "\"addr\":\"10.0.1.2\",\"plen\":24}\n"
    "{\"t\":50000000,\"node\":\"mobile\",\"ev\":\"tcp.state\",\"conn\":1,\"from\":\"CLOSED\","
    "\"to\":\"SYN-SENT\",\"local\":\"10.0.1.2\",\"lport\":40000,\"remote\":\"10.0.3.2\","
    "\"rport\":5001}\n"
    "{\"t\":55000000,\"node\":\"server\",\"ev\":\"tcp.state\",\"conn\":5,\"from\":\"CLOSED\","
    "\"to\":\"SYN-RECEIVED\",\"local\":\"10.0.3.2\",\"lport\":5001,\"remote\":\"10.0.1.2\","
    "\"rport\":40000}\n"
    "{\"t\":60000000,\"node\":\"mobile\",\"ev\":\"tcp.ack\",\"conn\":1,\"cwnd\":10,"
    "\"ssthresh\":2147483647,\"srtt\":10000000,\"ca\":\"open\"}\n"
    "{\"t\":150000000,\"node\":\"mobile\",\"ev\":\"tcp.ack\",\"conn\":1,\"cwnd\":11,"
    "\"ssthresh\":2147483647,\"srtt\":12000000,\"ca\":\"open\"}\n"
    "{\"t\":160000000,\"node\":\"server\",\"ev\":\"tcp.ack\",\"conn\":5,\"cwnd\":10,"
    "\"ssthresh\":2147483647,\"srtt\":11000000,\"ca\":\"open\"}\n"
    "{\"t\":220000000,\"node\":\"mobile\",\"ev\":\"tcp.state\",\"conn\":2,\"from\":\"CLOSED\","
    "\"to\":\"SYN-SENT\",\"local\":\"10.0.2.2\",\"lport\":40001,\"remote\":\"10.0.3.2\","
    "\"rport\":5001}\n"
    "{\"t\":230000000,\"node\":\"mobile\",\"ev\":\"tcp.ack\",\"conn\":2,\"cwnd\":10,"
    "\"ssthresh\":2147483647,\"srtt\":30000000,\"ca\":\"open\"}\n"
    "{\"t\":400000000,\"node\":\"mobile\",\"ev\":\"tcp.ack\",\"conn\":1,\"cwnd\":12,"
    "\"ssthresh\":2147483647,\"srtt\":14000000,\"ca\":\"open\"}\n"
    "{\"t\":450000000,\"node\":\"mobile\",\"ev\":\"tcp.ack\",\"conn\":2,\"cwnd\":11,"
    "\"ssthresh\":2147483647,\"srtt\":31000000,\"ca\":\"open\"}\n"
    "{\"t\":500000000,\"node\":\"scenario\",\"ev\":\"scenario.event\","
    "\"what\":\"it's \\\"down\\\"\"}\n";

struct fx {
    char *tmp, *csv, *trace;
};

static void put(const char *dir, const char *name, const char *text)
{
    char *p = g_build_filename(dir, name, NULL);
    GError *err = NULL;
    g_assert_true(g_file_set_contents(p, text, -1, &err));
    g_assert_no_error(err);
    g_free(p);
}

static void fx_setup(struct fx *f)
{
    GError *err = NULL;
    f->tmp = g_dir_make_tmp("afmp-plot-XXXXXX", &err);
    g_assert_no_error(err);
    f->csv = g_build_filename(f->tmp, "csv", NULL);
    g_assert_cmpint(g_mkdir(f->csv, 0755), ==, 0);
    put(f->csv, "connections.csv", connections_csv);
    put(f->csv, "subflows.csv", subflows_csv);
    put(f->csv, "segments.csv", segments_csv);
    put(f->csv, "events.csv", events_csv);
    put(f->tmp, "trace.jsonl", trace_jsonl);
    f->trace = g_build_filename(f->tmp, "trace.jsonl", NULL);
}

static void rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d))) {
            char *p = g_build_filename(path, n, NULL);
            rm_rf(p);
            g_free(p);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void fx_teardown(struct fx *f)
{
    rm_rf(f->tmp);
    g_free(f->tmp);
    g_free(f->csv);
    g_free(f->trace);
}

static char *slurp(const char *dir, const char *name, gsize *len)
{
    char *p = g_build_filename(dir, name, NULL), *text = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(p, &text, len, &err))
        g_error("%s: %s", p, err->message);
    g_free(p);
    return text;
}

/* Data rows: lines neither blank nor comments. */
static unsigned rows(const char *dir, const char *name)
{
    char *text = slurp(dir, name, NULL);
    char **lines = g_strsplit(text, "\n", -1);
    unsigned n = 0;
    for (char **l = lines; *l; l++)
        n += **l && **l != '#';
    g_strfreev(lines);
    g_free(text);
    return n;
}

/* Rows of index block |block| (blocks separated by two blank lines). */
static unsigned block_rows(const char *dir, const char *name, int block)
{
    char *text = slurp(dir, name, NULL);
    char **blocks = g_strsplit(text, "\n\n\n", -1);
    unsigned n = 0;
    g_assert_cmpuint(g_strv_length(blocks), >, (guint)block);
    char **lines = g_strsplit(blocks[block], "\n", -1);
    for (char **l = lines; *l; l++)
        n += **l && **l != '#';
    g_strfreev(lines);
    g_strfreev(blocks);
    g_free(text);
    return n;
}

static bool have_gnuplot(void)
{
    char *p = g_find_program_in_path("gnuplot");
    g_free(p);
    return p != NULL;
}

static void assert_nonempty(const char *dir, const char *name)
{
    gsize len = 0;
    char *text = slurp(dir, name, &len);
    if (len == 0)
        g_error("%s/%s is empty", dir, name);
    if (g_str_has_suffix(name, ".png"))
        g_assert_true(len > 8 && memcmp(text, "\x89PNG\r\n\x1a\n", 8) == 0);
    if (g_str_has_suffix(name, ".svg"))
        g_assert_nonnull(strstr(text, "<svg"));
    g_free(text);
}

static void assert_contains(const char *dir, const char *name, const char *what)
{
    char *text = slurp(dir, name, NULL);
    if (!strstr(text, what))
        g_error("%s/%s lacks \"%s\"", dir, name, what);
    g_free(text);
}

static void assert_lacks(const char *dir, const char *name, const char *what)
{
    char *text = slurp(dir, name, NULL);
    if (strstr(text, what))
        g_error("%s/%s has \"%s\"", dir, name, what);
    g_free(text);
}

/* The result of a run that needs gnuplot: 0 with it; without it, the
 * gnuplot error (the data and script are still written). */
static void check_rc(int rc, GError **err)
{
    if (have_gnuplot()) {
        g_assert_no_error(*err);
        g_assert_cmpint(rc, ==, 0);
    } else {
        g_assert_error(*err, AT_PLOT_ERROR, AT_PLOT_ERROR_GNUPLOT);
        g_assert_cmpint(rc, ==, -1);
        g_clear_error(err);
    }
}

static void test_run(void)
{
    struct fx f;
    fx_setup(&f);
    char *out = g_build_filename(f.tmp, "out", "nested", NULL);
    struct at_plot_input in = {"fullmesh", f.csv, f.trace};
    GError *err = NULL;
    int rc1 = at_plot_run(&in, 0, 0.1, out, &err);
    check_rc(rc1, &err);

    /* Data: connection 1 (the most bytes), 7 payload segments (sf0 4, sf1 3),
     * bins of 0.1 s up to 0.75 s, 5 tcp.ack of the sending end. */
    g_assert_cmpuint(rows(out, "dsn.dat"), ==, 7);
    g_assert_cmpuint(block_rows(out, "dsn.dat", 0), ==, 4);
    g_assert_cmpuint(block_rows(out, "dsn.dat", 1), ==, 3);
    g_assert_cmpuint(rows(out, "goodput.dat"), ==, 8);
    g_assert_cmpuint(rows(out, "tcp.dat"), ==, 5);
    g_assert_cmpuint(block_rows(out, "tcp.dat", 0), ==, 3);
    g_assert_cmpuint(block_rows(out, "tcp.dat", 1), ==, 2);
    /* Bin 1 (0.1 to 0.2 s): sf0's ACK and the data ACK advance by 1000
     * bytes, 0.08 Mbit/s; the reinjection is class 2 at DSN 2000. */
    assert_contains(out, "goodput.dat", "\n0.150000000 0.080000 0.000000 0.080000\n");
    assert_contains(out, "dsn.dat", "\n0.700000000 2000 1000 2\n");
    assert_contains(out, "tcp.dat", "\n0.400000000 12 14.000000\n");

    /* The script: labels, the events of connection 1 (quotes doubled), not
     * connection 2's. */
    assert_contains(out, "plot.gp", "'sf0 10.0.1.2 → 10.0.3.2'");
    assert_contains(out, "plot.gp", "'sf1 10.0.2.2 → 10.0.3.2'");
    assert_contains(out, "plot.gp", "'sf1 reinjection'");
    assert_contains(out, "plot.gp", "'it''s \"down\"'");
    assert_contains(out, "plot.gp", "'remove-addr ids=1'");
    assert_contains(out, "plot.gp", "relative DSN (MB)");
    assert_lacks(out, "plot.gp", "fastclose");
    assert_lacks(out, "plot.gp", "'syn'");

    if (have_gnuplot()) {
        static const char *const plots[] = {"dsn", "goodput", "cwnd", "srtt", NULL};
        for (int i = 0; plots[i]; i++) {
            char *png = g_strconcat(plots[i], ".png", NULL),
                 *svg = g_strconcat(plots[i], ".svg", NULL);
            assert_nonempty(out, png);
            assert_nonempty(out, svg);
            g_free(png);
            g_free(svg);
        }
        assert_contains(out, "dsn.svg", "sf0 10.0.1.2 → 10.0.3.2");
        assert_contains(out, "dsn.svg", "sf1 10.0.2.2 → 10.0.3.2");
        assert_contains(out, "goodput.svg", "sf1 10.0.2.2 → 10.0.3.2");
        assert_contains(out, "cwnd.svg", "sf0 10.0.1.2 → 10.0.3.2");
        assert_contains(out, "srtt.svg", "sf1 10.0.2.2 → 10.0.3.2");
    }

    /* Deterministic: the same inputs give the same files. */
    char *again = g_build_filename(f.tmp, "again", NULL);
    int rc2 = at_plot_run(&in, 0, 0.1, again, &err);
    check_rc(rc2, &err);
    static const char *const same[] = {"plot.gp", "dsn.dat",  "goodput.dat", "tcp.dat",
                                       "dsn.svg", "cwnd.svg", NULL};
    for (int i = 0; same[i]; i++) {
        if (g_str_has_suffix(same[i], ".svg") && !have_gnuplot())
            continue;
        gsize l1, l2;
        char *a = slurp(out, same[i], &l1), *b = slurp(again, same[i], &l2);
        g_assert_cmpmem(a, l1, b, l2);
        g_free(a);
        g_free(b);
    }
    g_free(again);
    g_free(out);
    fx_teardown(&f);
}

static void test_tcp_conn(void)
{
    struct fx f;
    fx_setup(&f);
    char *out = g_build_filename(f.tmp, "tcp", NULL);
    struct at_plot_input in = {"plain", f.csv, NULL};
    GError *err = NULL;
    int rc3 = at_plot_run(&in, 2, 0.1, out, &err);
    check_rc(rc3, &err);
    g_assert_cmpuint(rows(out, "dsn.dat"), ==, 1);
    g_assert_cmpuint(rows(out, "goodput.dat"), ==, 2);
    assert_contains(out, "plot.gp", "relative sequence (MB)");
    assert_contains(out, "plot.gp", "fastclose");
    assert_lacks(out, "plot.gp", "cwnd");
    char *p = g_build_filename(out, "tcp.dat", NULL);
    g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
    g_free(p);
    g_free(out);
    fx_teardown(&f);
}

static void test_compare(void)
{
    struct fx f;
    fx_setup(&f);
    char *out = g_build_filename(f.tmp, "cmp", NULL);
    struct at_plot_input a = {"A", f.csv, f.trace}, b = {"B", f.csv, NULL};
    GError *err = NULL;
    int rc4 = at_plot_compare(&a, &b, 0.1, out, &err);
    check_rc(rc4, &err);
    g_assert_cmpuint(block_rows(out, "compare-dsn.dat", 0), ==, 4);
    g_assert_cmpuint(block_rows(out, "compare-dsn.dat", 1), ==, 4);
    g_assert_cmpuint(rows(out, "compare-goodput.dat"), ==, 8);
    /* An event of one run only carries its label; one both have is once. */
    assert_contains(out, "compare.gp", "'A: it''s \"down\"'");
    assert_contains(out, "compare.gp", "'remove-addr ids=1'");
    assert_lacks(out, "compare.gp", "A: remove-addr");
    if (have_gnuplot()) {
        assert_nonempty(out, "compare-dsn.png");
        assert_nonempty(out, "compare-dsn.svg");
        assert_nonempty(out, "compare-goodput.png");
        assert_nonempty(out, "compare-goodput.svg");
        assert_contains(out, "compare-goodput.svg", ">A<");
    }
    g_free(out);
    fx_teardown(&f);
}

/* Above 20000 points the dsn plot keeps every k-th new segment and every
 * reinjection. */
static void test_decimation(void)
{
    struct fx f;
    fx_setup(&f);
    GString *seg = g_string_new("t,conn,sf,dir,flags,len,seq,ack,dsn,data_ack,class\n");
    for (int i = 0; i < 50000; i++) {
        g_string_append_printf(seg, "%d.%06d,1,0,c2s,AP,100,%d,0,%d,,new\n", i / 10000,
                               i % 10000 * 100, i * 100, i * 100);
        if (i % 10000 == 5000)
            g_string_append_printf(seg, "%d.%06d,1,1,c2s,AP,100,%d,0,%d,,reinject\n", i / 10000,
                                   i % 10000 * 100 + 1, i, i * 100);
    }
    put(f.csv, "segments.csv", seg->str);
    g_string_free(seg, TRUE);
    char *out = g_build_filename(f.tmp, "many", NULL);
    struct at_plot_input in = {"many", f.csv, NULL};
    GError *err = NULL;
    int rc = at_plot_run(&in, 1, 0.1, out, &err);
    check_rc(rc, &err);
    unsigned n0 = block_rows(out, "dsn.dat", 0), n1 = block_rows(out, "dsn.dat", 1);
    g_assert_cmpuint(n0, >=, 15000);
    g_assert_cmpuint(n0 + n1, <=, 20000);
    g_assert_cmpuint(n1, ==, 5);
    g_assert_cmpuint(rows(out, "goodput.dat"), ==, 50);
    g_free(out);
    fx_teardown(&f);
}

static void test_errors(void)
{
    struct fx f;
    fx_setup(&f);
    char *out = g_build_filename(f.tmp, "err", NULL);
    GError *err = NULL;

    /* No CSV folder: its path in the message. */
    char *missing = g_build_filename(f.tmp, "no-such-dir", NULL);
    struct at_plot_input none = {"x", missing, NULL};
    g_assert_cmpint(at_plot_run(&none, 0, 0.1, out, &err), ==, -1);
    g_assert_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT);
    g_assert_nonnull(strstr(err->message, missing));
    g_clear_error(&err);
    struct at_plot_input good = {"y", f.csv, NULL};
    g_assert_cmpint(at_plot_compare(&good, &none, 0.1, out, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, missing));
    g_clear_error(&err);

    /* No such connection. */
    g_assert_cmpint(at_plot_run(&good, 9, 0.1, out, &err), ==, -1);
    g_assert_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_NOCONN);
    g_assert_nonnull(strstr(err->message, "connection 9"));
    g_clear_error(&err);

    /* A missing trace, a trace of another run. */
    struct at_plot_input notrace = {"z", f.csv, missing};
    g_assert_cmpint(at_plot_run(&notrace, 0, 0.1, out, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, missing));
    g_clear_error(&err);
    put(f.tmp, "other.jsonl",
        "{\"t\":1,\"node\":\"h\",\"ev\":\"tcp.state\",\"conn\":1,\"to\":\"SYN-SENT\","
        "\"local\":\"10.9.9.9\",\"lport\":1,\"remote\":\"10.0.3.2\",\"rport\":5001}\n"
        "{\"t\":2,\"node\":\"h\",\"ev\":\"tcp.ack\",\"conn\":1,\"cwnd\":10,\"srtt\":1}\n");
    char *other = g_build_filename(f.tmp, "other.jsonl", NULL);
    struct at_plot_input wrong = {"w", f.csv, other};
    g_assert_cmpint(at_plot_run(&wrong, 0, 0.1, out, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "no tcp.ack record"));
    g_clear_error(&err);
    put(f.tmp, "other.jsonl", "{\"t\":1,\"ev\":\"tcp.ack\",\n");
    g_assert_cmpint(at_plot_run(&wrong, 0, 0.1, out, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "other.jsonl:1: not JSON"));
    g_clear_error(&err);
    g_free(other);

    /* A malformed row, a missing column: file and line. */
    char *bad = g_build_filename(f.tmp, "bad", NULL);
    g_assert_cmpint(g_mkdir(bad, 0755), ==, 0);
    put(bad, "connections.csv", connections_csv);
    put(bad, "subflows.csv", subflows_csv);
    put(bad, "segments.csv",
        "t,conn,sf,dir,flags,len,seq,ack,dsn,data_ack,class\n"
        "0.1,1,0,c2s,AP,1000,0,0,0,,new\n"
        "zero,1,0,c2s,AP,1000,0,0,0,,new\n");
    struct at_plot_input badin = {"b", bad, NULL};
    g_assert_cmpint(at_plot_run(&badin, 0, 0.1, out, &err), ==, -1);
    g_assert_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT);
    g_assert_nonnull(strstr(err->message, "segments.csv:3: bad t \"zero\""));
    g_clear_error(&err);
    put(bad, "segments.csv", "t,conn,sf,dir,flags,len,seq,ack,data_ack,class\n");
    g_assert_cmpint(at_plot_run(&badin, 0, 0.1, out, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "no column \"dsn\""));
    g_clear_error(&err);
    g_free(bad);

    /* gnuplot missing or failing: an error that says so, the script and the
     * data stay. */
    g_setenv("AFMP_GNUPLOT", "/nonexistent/gnuplot", TRUE);
    g_assert_cmpint(at_plot_run(&good, 0, 0.1, out, &err), ==, -1);
    g_assert_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_GNUPLOT);
    g_assert_nonnull(strstr(err->message, "gnuplot"));
    g_assert_nonnull(strstr(err->message, out));
    g_clear_error(&err);
    assert_nonempty(out, "plot.gp");
    g_assert_cmpuint(rows(out, "dsn.dat"), ==, 7);
    char *fail = g_find_program_in_path("false");
    if (fail) {
        g_setenv("AFMP_GNUPLOT", fail, TRUE);
        g_assert_cmpint(at_plot_compare(&good, &good, 0.1, out, &err), ==, -1);
        g_assert_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_GNUPLOT);
        g_assert_nonnull(strstr(err->message, "failed"));
        g_clear_error(&err);
        assert_nonempty(out, "compare.gp");
        g_free(fail);
    }
    g_unsetenv("AFMP_GNUPLOT");

    g_free(missing);
    g_free(out);
    fx_teardown(&f);
}

static void test_skip_notice(void)
{
    if (!have_gnuplot())
        g_test_skip("gnuplot not found: the PNG and SVG checks are skipped");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/plot/gnuplot", test_skip_notice);
    g_test_add_func("/plot/run", test_run);
    g_test_add_func("/plot/tcp-connection", test_tcp_conn);
    g_test_add_func("/plot/compare", test_compare);
    g_test_add_func("/plot/decimation", test_decimation);
    g_test_add_func("/plot/errors", test_errors);
    return g_test_run();
}
