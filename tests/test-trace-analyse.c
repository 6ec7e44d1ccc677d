/*
 * Tests of afmp-trace's analyser (tools/trace/): hand-made captures of an
 * MPTCP connection (MP_CAPABLE, a join, 64- and 32-bit DSNs, a reinjection,
 * a retransmission, a data ACK, ADD_ADDR) and of a TCP connection with a
 * stall, written with libpcap, read back as one file, as two files of the
 * same packets (both ends), out of time order, cut by a snap length, with
 * an Ethernet link type; and the errors for inputs it cannot read.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <string.h>

#include "model/mptcp/crypto.h"
#include "model/mptcp/options.h"
#include "model/net/addr.h"
#include "model/wire/wire.h"
#include "tools/trace/trace.h"

#define MS INT64_C(1000000)

struct pk {
    int64_t t;
    size_t len;
    uint8_t b[1600];
};

static const uint64_t KC = UINT64_C(0x1122334455667788), KS = UINT64_C(0x99aabbccddeeff00);

/* One IPv4 TCP segment with |opts| (padded with NOPs) and |plen| zero
 * bytes of payload. */
static void seg(GArray *out, int64_t t, const char *src, uint16_t sp, const char *dst,
                uint16_t dp, uint32_t seq, uint32_t ack, uint16_t flags, const uint8_t *opts,
                size_t olen, size_t plen)
{
    struct pk p = {.t = t};
    struct mp_ip s, d;
    g_assert_cmpint(mp_ip_parse(src, &s), ==, 0);
    g_assert_cmpint(mp_ip_parse(dst, &d), ==, 0);
    uint8_t o[40];
    memset(o, MP_TCPOPT_NOP, sizeof(o));
    if (olen)
        memcpy(o, opts, olen);
    struct mp_wire_tcp h = {.sport = sp, .dport = dp, .seq = seq, .ack = ack, .flags = flags,
                            .window = 65535, .opts = o, .opts_len = (olen + 3) & ~(size_t)3};
    static const uint8_t zeros[1400];
    g_assert_cmpuint(plen, <=, sizeof(zeros));
    int n = mp_wire_tcp_build(p.b, sizeof(p.b), &s, &d, &h, zeros, plen, NULL, true);
    g_assert_cmpint(n, >, 0);
    p.len = (size_t)n;
    g_array_append_val(out, p);
}

static size_t dss(uint8_t *b, bool map, uint64_t dsn, bool dsn64, uint32_t ssn, uint16_t len,
                  bool ack, uint64_t data_ack)
{
    struct mp_mptcp_dss o = {.has_map = map, .dsn = dsn, .dsn64 = dsn64, .ssn = ssn,
                             .data_len = len, .has_ack = ack, .ack64 = true, .data_ack = data_ack};
    size_t n = mp_mptcp_write_dss(b, 40, &o);
    g_assert_cmpuint(n, >, 0);
    return n;
}

/* The MPTCP connection: C (10.0.1.2, 10.0.2.2) to S 10.0.3.2:80. */
static GArray *mptcp_packets(void)
{
    GArray *a = g_array_new(false, false, sizeof(struct pk));
    uint8_t o[40];
    size_t n;
    uint32_t tok_s, tok_c;
    uint64_t idsn_c, idsn_s;
    mp_mptcp_key_derive(KC, &tok_c, &idsn_c);
    mp_mptcp_key_derive(KS, &tok_s, &idsn_s);
    const char *c0 = "10.0.1.2", *c1 = "10.0.2.2", *s = "10.0.3.2";
    const uint32_t i0 = 1000, j0 = 5000, i1 = 20000, j1 = 90000;
    struct mp_mptcp_capable mpc = {.version = 1, .flags = MP_MPC_FLAG_H};
    n = mp_mptcp_write_capable(o, 40, &mpc);
    seg(a, 0, c0, 40000, s, 80, i0, 0, MP_TCP_SYN, o, n, 0);
    mpc.nkeys = 1;
    mpc.snd_key = KS;
    n = mp_mptcp_write_capable(o, 40, &mpc);
    seg(a, 10 * MS, s, 80, c0, 40000, j0, i0 + 1, MP_TCP_SYN | MP_TCP_ACK, o, n, 0);
    mpc.nkeys = 2;
    mpc.snd_key = KC;
    mpc.rcv_key = KS;
    n = mp_mptcp_write_capable(o, 40, &mpc);
    seg(a, 20 * MS, c0, 40000, s, 80, i0 + 1, j0 + 1, MP_TCP_ACK, o, n, 0);
    /* 1000 bytes on sf0, a 64-bit mapping */
    n = dss(o, true, idsn_c + 1, true, 1, 1000, true, idsn_s + 1);
    seg(a, 21 * MS, c0, 40000, s, 80, i0 + 1, j0 + 1, MP_TCP_ACK, o, n, 1000);
    /* the join on sf1 */
    struct mp_mptcp_join j = {.kind = MP_JOIN_SYN, .addr_id = 1, .token = tok_s, .nonce = 7};
    n = mp_mptcp_write_join(o, 40, &j);
    seg(a, 30 * MS, c1, 41000, s, 80, i1, 0, MP_TCP_SYN, o, n, 0);
    j = (struct mp_mptcp_join){.kind = MP_JOIN_SYNACK, .addr_id = 0, .nonce = 9, .hmac64 = 1};
    n = mp_mptcp_write_join(o, 40, &j);
    seg(a, 40 * MS, s, 80, c1, 41000, j1, i1 + 1, MP_TCP_SYN | MP_TCP_ACK, o, n, 0);
    j = (struct mp_mptcp_join){.kind = MP_JOIN_ACK};
    n = mp_mptcp_write_join(o, 40, &j);
    seg(a, 50 * MS, c1, 41000, s, 80, i1 + 1, j1 + 1, MP_TCP_ACK, o, n, 0);
    /* 1000 bytes on sf1 with a 32-bit DSN */
    n = dss(o, true, (idsn_c + 1001) & 0xffffffff, false, 1, 1000, false, 0);
    seg(a, 51 * MS, c1, 41000, s, 80, i1 + 1, j1 + 1, MP_TCP_ACK, o, n, 1000);
    /* sf0's first 1000 bytes again on sf1: a reinjection */
    n = dss(o, true, idsn_c + 1, true, 1001, 1000, false, 0);
    seg(a, 60 * MS, c1, 41000, s, 80, i1 + 1001, j1 + 1, MP_TCP_ACK, o, n, 1000);
    /* and on sf0 itself: a retransmission (no DSS: the mapping is known) */
    seg(a, 61 * MS, c0, 40000, s, 80, i0 + 1, j0 + 1, MP_TCP_ACK, NULL, 0, 1000);
    /* the server's data ACK of everything, then ADD_ADDR */
    n = dss(o, false, 0, false, 0, 0, true, idsn_c + 2001);
    seg(a, 70 * MS, s, 80, c0, 40000, j0 + 1, i0 + 1001, MP_TCP_ACK, o, n, 0);
    struct mp_mptcp_add_addr ad = {.addr_id = 2, .has_hmac = true, .hmac64 = 5};
    g_assert_cmpint(mp_ip_parse("10.0.4.2", &ad.addr), ==, 0);
    n = mp_mptcp_write_add_addr(o, 40, &ad);
    seg(a, 80 * MS, s, 80, c0, 40000, j0 + 1, i0 + 1001, MP_TCP_ACK, o, n, 0);
    return a;
}

/* A TCP connection, 10.0.5.2 to 10.0.6.2:22, whose ACK stalls for 1 s. */
static GArray *tcp_packets(void)
{
    GArray *a = g_array_new(false, false, sizeof(struct pk));
    const char *c = "10.0.5.2", *s = "10.0.6.2";
    seg(a, 0, c, 50000, s, 22, 100, 0, MP_TCP_SYN, NULL, 0, 0);
    seg(a, 5 * MS, s, 22, c, 50000, 700, 101, MP_TCP_SYN | MP_TCP_ACK, NULL, 0, 0);
    seg(a, 10 * MS, c, 50000, s, 22, 101, 701, MP_TCP_ACK, NULL, 0, 500);
    seg(a, 15 * MS, s, 22, c, 50000, 701, 601, MP_TCP_ACK, NULL, 0, 0);
    seg(a, 20 * MS, c, 50000, s, 22, 601, 701, MP_TCP_ACK, NULL, 0, 500);
    seg(a, 1020 * MS, s, 22, c, 50000, 701, 1101, MP_TCP_ACK, NULL, 0, 0);
    seg(a, 1030 * MS, c, 50000, s, 22, 1101, 701, MP_TCP_ACK | MP_TCP_FIN, NULL, 0, 0);
    seg(a, 1035 * MS, s, 22, c, 50000, 701, 1102, MP_TCP_ACK | MP_TCP_FIN, NULL, 0, 0);
    return a;
}

/* Writes |a| (in its order) to |path| with times + |shift|, link type
 * |dlt| (raw IP or Ethernet), snap length |snap|. */
static void write_pcap(const char *path, GArray *a, int64_t shift, int dlt, int snap)
{
    pcap_t *p = pcap_open_dead_with_tstamp_precision(dlt, snap, PCAP_TSTAMP_PRECISION_NANO);
    g_assert_nonnull(p);
    pcap_dumper_t *d = pcap_dump_open(p, path);
    g_assert_nonnull(d);
    for (guint i = 0; i < a->len; i++) {
        const struct pk *k = &g_array_index(a, struct pk, i);
        uint8_t frame[1700];
        size_t off = 0;
        if (dlt == DLT_EN10MB) {
            memset(frame, 0x02, 12);
            frame[12] = 0x08;
            frame[13] = 0x00;
            off = 14;
        }
        memcpy(frame + off, k->b, k->len);
        int64_t t = k->t + shift;
        struct pcap_pkthdr h = {.ts = {.tv_sec = t / 1000000000, .tv_usec = t % 1000000000},
                                .len = (bpf_u_int32)(k->len + off)};
        h.caplen = MIN(h.len, (bpf_u_int32)snap);
        pcap_dump((u_char *)d, &h, frame);
    }
    pcap_dump_close(d);
    pcap_close(p);
}

static void put32(GByteArray *b, uint32_t v)
{
    g_byte_array_append(b, (const uint8_t *)&v, 4);
}

static void put16(GByteArray *b, uint16_t v)
{
    g_byte_array_append(b, (const uint8_t *)&v, 2);
}

/* A pcapng file in this machine's byte order with three interfaces: raw
 * IP at nanoseconds, raw IP at microseconds (the default resolution) and
 * Ethernet; packet i goes to interface i % 3. libpcap reads no such file. */
static void write_pcapng(const char *path, GArray *a)
{
    GByteArray *b = g_byte_array_new();
    put32(b, 0x0A0D0D0A);
    put32(b, 28);
    put32(b, 0x1A2B3C4D);
    put16(b, 1);
    put16(b, 0);
    put32(b, 0xffffffff);
    put32(b, 0xffffffff);
    put32(b, 28);
    static const uint16_t lt[3] = {101, 101, 1};
    for (int i = 0; i < 3; i++) {
        bool ns = i != 1;
        uint32_t len = 20 + (ns ? 12 : 0);
        put32(b, 1);
        put32(b, len);
        put16(b, lt[i]);
        put16(b, 0);
        put32(b, 0);
        if (ns) {
            put16(b, 9); /* if_tsresol: 10^-9 */
            put16(b, 1);
            put32(b, 9);
            put32(b, 0); /* opt_endofopt */
        }
        put32(b, len);
    }
    for (guint i = 0; i < a->len; i++) {
        const struct pk *k = &g_array_index(a, struct pk, i);
        uint32_t ifid = i % 3;
        uint8_t frame[1700] = {0};
        size_t off = lt[ifid] == 1 ? 14 : 0;
        if (off)
            frame[12] = 0x08;
        memcpy(frame + off, k->b, k->len);
        uint32_t cap = (uint32_t)(k->len + off), padded = (cap + 3) & ~3u;
        uint64_t ts = ifid == 1 ? (uint64_t)k->t / 1000 : (uint64_t)k->t;
        put32(b, 6);
        put32(b, 32 + padded);
        put32(b, ifid);
        put32(b, (uint32_t)(ts >> 32));
        put32(b, (uint32_t)ts);
        put32(b, cap);
        put32(b, cap);
        g_byte_array_append(b, frame, padded);
        put32(b, 32 + padded);
    }
    /* a block cut short at the end, as an interrupted writer leaves it */
    put32(b, 6);
    put32(b, 64);
    g_assert_true(g_file_set_contents(path, (const char *)b->data, b->len, NULL));
    g_byte_array_unref(b);
}

static struct at_analysis *analyse(char **files, GError **err)
{
    struct at_input *in = at_input_open(files, err);
    if (!in)
        return NULL;
    struct at_opts o = {.keep_rows = true};
    struct at_analysis *a = at_analyse(in, &o, err);
    at_input_close(in);
    return a;
}

static bool has_event(const struct at_conn *c, const char *ev, const char *detail)
{
    for (guint i = 0; i < c->events->len; i++) {
        const struct at_event *e = &g_array_index(c->events, struct at_event, i);
        if (!strcmp(e->event, ev) && (!detail || !strcmp(e->detail, detail)))
            return true;
    }
    return false;
}

/* What every reading of the MPTCP packets must find. */
static void check_mptcp(const struct at_analysis *a)
{
    g_assert_cmpuint(a->conns->len, ==, 1);
    const struct at_conn *c = a->conns->pdata[0];
    g_assert_true(c->mptcp);
    g_assert_null(c->fallback);
    uint32_t tok;
    uint64_t idsn;
    mp_mptcp_key_derive(KS, &tok, &idsn);
    g_assert_true(c->has_key[0] && c->has_key[1]);
    g_assert_cmphex(c->key[0], ==, KC);
    g_assert_cmphex(c->token[1], ==, tok);
    g_assert_cmphex(c->idsn[1], ==, idsn);
    g_assert_cmpuint(c->d[0].bytes, ==, 2000);
    g_assert_cmpuint(c->d[0].acked, ==, 2000);
    g_assert_cmpuint(c->d[0].reinject, ==, 1000);
    g_assert_cmpuint(c->d[0].retrans, ==, 1000);
    g_assert_cmpuint(c->d[0].mappings, ==, 3);
    g_assert_cmpint(c->d[0].t_acked, ==, 70 * MS);
    g_assert_cmpuint(c->sfs->len, ==, 2);
    const struct at_sf *s0 = c->sfs->pdata[0], *s1 = c->sfs->pdata[1];
    g_assert_false(s0->join);
    g_assert_true(s1->join);
    g_assert_true(s0->established && s1->established);
    g_assert_cmpint(s1->client_id, ==, 1);
    g_assert_cmpint(s1->server_id, ==, 0);
    g_assert_cmpuint(s0->d[0].payload, ==, 2000);
    g_assert_cmpuint(s0->d[0].retrans, ==, 1000);
    g_assert_cmpuint(s1->d[0].payload, ==, 2000);
    g_assert_cmpuint(s1->d[0].reinject, ==, 1000);
    g_assert_true(has_event(c, "add-addr", "id=2 addr=10.0.4.2"));
    /* every payload segment placed in data sequence space */
    g_assert_cmpuint(c->rows->len, ==, 4);
    static const uint64_t dsn[] = {0, 1000, 0, 0};
    static const uint8_t cls[] = {AT_NEW, AT_NEW, AT_REINJECT, AT_RETRANS};
    for (guint i = 0; i < 4; i++) {
        const struct at_row *r = &g_array_index(c->rows, struct at_row, i);
        g_assert_cmpuint(r->dsn, ==, dsn[i]);
        g_assert_cmpuint(r->klass, ==, cls[i]);
        if (i > 0)
            g_assert_cmpint(r->t, >=, g_array_index(c->rows, struct at_row, i - 1).t);
    }
}

static char *tmp_path(const char *dir, const char *name)
{
    return g_build_filename(dir, name, NULL);
}

static void test_mptcp_one_file(void)
{
    char *dir = g_dir_make_tmp("at-XXXXXX", NULL);
    char *f = tmp_path(dir, "c.pcap");
    GArray *p = mptcp_packets();
    write_pcap(f, p, 0, DLT_RAW, 65535);
    char *files[] = {f, NULL};
    GError *err = NULL;
    struct at_analysis *a = analyse(files, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(a->segments, ==, p->len);
    g_assert_cmpuint(a->duplicates, ==, 0);
    g_assert_cmpint(a->origin, ==, 0);
    check_mptcp(a);
    /* the outputs: CSV tables and JSON, complete and renamed */
    g_assert_cmpint(at_write_csv_tables(a, dir, &err), ==, 0);
    g_assert_no_error(err);
    char *js = tmp_path(dir, "r.json");
    g_assert_cmpint(at_write_json(a, js, &err), ==, 0);
    char *txt = NULL;
    g_assert_true(g_file_get_contents(js, &txt, NULL, NULL));
    g_assert_nonnull(strstr(txt, "\"reinject\":1000"));
    g_assert_nonnull(strstr(txt, "\"kind\":\"join\""));
    g_free(txt);
    char *sub = tmp_path(dir, "subflows.csv");
    g_assert_true(g_file_get_contents(sub, &txt, NULL, NULL));
    g_assert_nonnull(strstr(txt, "1,1,join,4,10.0.2.2,41000,10.0.3.2,80,1,0,0,"));
    g_free(txt);
    at_analysis_free(a);
    g_array_unref(p);
    g_free(sub);
    g_free(js);
    g_free(f);
    g_free(dir);
}

/* Both ends: the same packets in two files, 5 ms apart, count once. */
static void test_mptcp_both_ends(void)
{
    char *dir = g_dir_make_tmp("at-XXXXXX", NULL);
    char *f1 = tmp_path(dir, "client.pcap"), *f2 = tmp_path(dir, "server.pcap");
    GArray *p = mptcp_packets();
    write_pcap(f1, p, 0, DLT_RAW, 65535);
    write_pcap(f2, p, 5 * MS, DLT_RAW, 65535);
    char *files[] = {f1, f2, NULL};
    GError *err = NULL;
    struct at_analysis *a = analyse(files, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(a->packets, ==, 2 * p->len);
    g_assert_cmpuint(a->duplicates, ==, p->len);
    check_mptcp(a);
    at_analysis_free(a);
    /* a folder stands for its pcap files */
    char *dirs[] = {dir, NULL};
    a = analyse(dirs, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(a->files->len, ==, 2);
    check_mptcp(a);
    at_analysis_free(a);
    g_array_unref(p);
    g_free(f1);
    g_free(f2);
    g_free(dir);
}

/* A file out of time order (as dumpcap writes several interfaces) is
 * sorted; ties keep the file's order. */
static void test_out_of_order(void)
{
    char *dir = g_dir_make_tmp("at-XXXXXX", NULL);
    char *f = tmp_path(dir, "x.pcap");
    GArray *p = mptcp_packets();
    GArray *q = g_array_new(false, false, sizeof(struct pk));
    /* the join's packets first, then the rest */
    for (int pass = 0; pass < 2; pass++)
        for (guint i = 0; i < p->len; i++) {
            const struct pk *k = &g_array_index(p, struct pk, i);
            bool join = k->t >= 30 * MS && k->t < 60 * MS;
            if (join == (pass == 0))
                g_array_append_val(q, *k);
        }
    write_pcap(f, q, 0, DLT_RAW, 65535);
    char *files[] = {f, NULL};
    GError *err = NULL;
    struct at_analysis *a = analyse(files, &err);
    g_assert_no_error(err);
    check_mptcp(a);
    at_analysis_free(a);
    g_array_unref(q);
    g_array_unref(p);
    g_free(f);
    g_free(dir);
}

/* A snap length that cuts the payload, and Ethernet framing: the lengths
 * come from the IP header. */
static void test_snaplen_ethernet(void)
{
    char *dir = g_dir_make_tmp("at-XXXXXX", NULL);
    char *f = tmp_path(dir, "e.pcap");
    GArray *p = mptcp_packets();
    write_pcap(f, p, 0, DLT_EN10MB, 14 + 20 + 60);
    char *files[] = {f, NULL};
    GError *err = NULL;
    struct at_analysis *a = analyse(files, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(a->ignored, ==, 0);
    check_mptcp(a);
    at_analysis_free(a);
    g_array_unref(p);
    g_free(f);
    g_free(dir);
}

/* pcapng with a link type and a time resolution per interface. */
static void test_pcapng(void)
{
    char *dir = g_dir_make_tmp("at-XXXXXX", NULL);
    char *f = tmp_path(dir, "n.pcapng");
    GArray *p = mptcp_packets();
    write_pcapng(f, p);
    char *files[] = {f, NULL};
    GError *err = NULL;
    struct at_analysis *a = analyse(files, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(a->packets, ==, p->len);
    check_mptcp(a);
    at_analysis_free(a);
    /* a malformed block: an error with the offset */
    char *txt;
    gsize n;
    g_assert_true(g_file_get_contents(f, &txt, &n, NULL));
    uint32_t bad = 13;
    memcpy(txt + 28 + 4, &bad, 4); /* the first IDB's length */
    g_assert_true(g_file_set_contents(f, txt, (gssize)n, NULL));
    g_free(txt);
    g_assert_null(at_input_open(files, &err));
    g_assert_nonnull(strstr(err->message, "offset 28"));
    g_clear_error(&err);
    g_array_unref(p);
    g_free(f);
    g_free(dir);
}

/* Plain TCP: bytes from the sequence span, the stall from the ACKs. */
static void test_tcp_stall(void)
{
    char *dir = g_dir_make_tmp("at-XXXXXX", NULL);
    char *f = tmp_path(dir, "t.pcap");
    GArray *p = tcp_packets();
    write_pcap(f, p, 0, DLT_RAW, 65535);
    char *files[] = {f, NULL};
    GError *err = NULL;
    struct at_analysis *a = analyse(files, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(a->conns->len, ==, 1);
    const struct at_conn *c = a->conns->pdata[0];
    g_assert_false(c->mptcp);
    g_assert_cmpuint(c->d[0].bytes, ==, 1000);
    g_assert_cmpuint(c->d[0].acked, ==, 1000);
    g_assert_cmpuint(c->d[0].retrans, ==, 0);
    g_assert_cmpint(c->d[0].max_stall, ==, 1000 * MS);
    const struct at_sf *sf = c->sfs->pdata[0];
    g_assert_cmpint(sf->end, ==, AT_FIN);
    g_assert_cmpint(sf->t_end, ==, 1035 * MS);
    at_analysis_free(a);
    g_array_unref(p);
    g_free(f);
    g_free(dir);
}

static void test_bad_inputs(void)
{
    char *dir = g_dir_make_tmp("at-XXXXXX", NULL);
    GError *err = NULL;
    char *missing = tmp_path(dir, "nope.pcap");
    char *f1[] = {missing, NULL};
    g_assert_null(at_input_open(f1, &err));
    g_assert_nonnull(strstr(err->message, missing));
    g_clear_error(&err);

    char *text = tmp_path(dir, "text.pcap");
    g_assert_true(g_file_set_contents(text, "not a capture\n", -1, NULL));
    char *f2[] = {text, NULL};
    g_assert_null(at_input_open(f2, &err));
    g_assert_nonnull(strstr(err->message, text));
    g_clear_error(&err);

    /* Bluetooth HCI: a link type afmp-trace does not read */
    char *wifi = tmp_path(dir, "bt.pcap");
    GArray *p = tcp_packets();
    write_pcap(wifi, p, 0, DLT_BLUETOOTH_HCI_H4, 65535);
    char *f3[] = {wifi, NULL};
    g_assert_null(at_input_open(f3, &err));
    g_assert_nonnull(strstr(err->message, "link type"));
    g_clear_error(&err);

    /* an empty folder */
    char *sub = tmp_path(dir, "empty");
    g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
    char *f4[] = {sub, NULL};
    g_assert_null(at_input_open(f4, &err));
    g_assert_nonnull(strstr(err->message, "without"));
    g_clear_error(&err);

    g_array_unref(p);
    g_free(sub);
    g_free(wifi);
    g_free(text);
    g_free(missing);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/trace-analyse/mptcp-one-file", test_mptcp_one_file);
    g_test_add_func("/trace-analyse/mptcp-both-ends", test_mptcp_both_ends);
    g_test_add_func("/trace-analyse/out-of-order", test_out_of_order);
    g_test_add_func("/trace-analyse/snaplen-ethernet", test_snaplen_ethernet);
    g_test_add_func("/trace-analyse/pcapng", test_pcapng);
    g_test_add_func("/trace-analyse/tcp-stall", test_tcp_stall);
    g_test_add_func("/trace-analyse/bad-inputs", test_bad_inputs);
    return g_test_run();
}
