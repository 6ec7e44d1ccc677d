/* afmp: tests of middleboxes on links (sim/net/middlebox.h). */
#include <glib.h>
#include <string.h>

#include "model/net/addr.h"
#include "model/pkt.h"
#include "model/wire/wire.h"
#include "sim/engine.h"
#include "sim/net/link.h"
#include "sim/net/middlebox.h"

/* --- fixture -------------------------------------------------------------
 * A link with ports at both ends that keep a copy of every packet arriving
 * there; infinite rate, no delay, a queue that never fills. */

struct rx_port {
    struct mp_port port;
    GPtrArray *pkts; /* GBytes, arrival order */
    GArray *flags;   /* uint32_t */
};

static void rx_deliver(struct mp_port *port, struct mp_pkt *pkt, mp_time_t now)
{
    struct rx_port *r = (struct rx_port *)port;
    g_ptr_array_add(r->pkts, g_bytes_new(pkt->data, pkt->len));
    g_array_append_val(r->flags, pkt->flags);
    mp_pkt_free(pkt);
}

struct fx {
    struct mp_engine *eng;
    struct mp_pkt_pool pool;
    struct rx_port rx[2]; /* rx[e]: what arrives at end e */
    struct mp_link *link;
};

static void fx_init(struct fx *f, uint64_t seed)
{
    GError *err = NULL;
    memset(f, 0, sizeof(*f));
    f->eng = mp_engine_new();
    mp_pkt_pool_init(&f->pool);
    struct mp_link_conf c = {.name = "mbox", .seed = seed};
    for (int e = 0; e < 2; e++) {
        c.dir[e].qdisc_params = "limit=4000000000";
        f->rx[e].port.deliver = rx_deliver;
        f->rx[e].pkts = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        f->rx[e].flags = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    }
    f->link = mp_link_new(f->eng, &c, &err);
    g_assert_no_error(err);
    mp_link_attach(f->link, 0, &f->rx[0].port);
    mp_link_attach(f->link, 1, &f->rx[1].port);
}

static void fx_clear(struct fx *f)
{
    mp_link_free(f->link);
    g_assert_cmpuint(mp_engine_pending(f->eng), ==, 0);
    mp_engine_free(f->eng);
    g_assert_cmpuint(f->pool.live, ==, 0);
    mp_pkt_pool_clear(&f->pool);
    for (int e = 0; e < 2; e++) {
        g_ptr_array_free(f->rx[e].pkts, TRUE);
        g_array_free(f->rx[e].flags, TRUE);
    }
}

/* Sends |p| from end |end| and runs the engine; returns how many packets
 * have arrived at the other end so far. */
static guint fx_send(struct fx *f, int end, struct mp_pkt *p)
{
    mp_link_send(f->link, end, p);
    g_assert_cmpint(mp_engine_run(f->eng), ==, MP_RUN_IDLE);
    return f->rx[!end].pkts->len;
}

/* The |i|-th packet that arrived at end |end| (a copy in |p| of the pool,
 * for the wire helpers; free it). */
static struct mp_pkt *fx_got(struct fx *f, int end, guint i)
{
    gsize len;
    const uint8_t *b = g_bytes_get_data(f->rx[end].pkts->pdata[i], &len);
    struct mp_pkt *p = mp_pkt_alloc(&f->pool, (uint32_t)len);
    memcpy(p->data, b, len);
    p->flags = g_array_index(f->rx[end].flags, uint32_t, i);
    return p;
}

/* Sends |p| from end |end|: it must arrive byte for byte. */
static void fx_send_untouched(struct fx *f, int end, struct mp_pkt *p)
{
    GBytes *before = g_bytes_new(p->data, p->len);
    guint n = fx_send(f, end, p);
    g_assert_cmpuint(n, >, 0);
    g_assert_true(g_bytes_equal(before, f->rx[!end].pkts->pdata[n - 1]));
    g_bytes_unref(before);
}

static void fx_set(struct fx *f, const char *ab, const char *ba)
{
    struct mp_mbox_list l[2];
    const struct mp_mbox_list *lists[2] = {NULL, NULL};
    const char *text[2] = {ab, ba};
    for (int e = 0; e < 2; e++) {
        char *why = NULL;
        if (!text[e])
            continue;
        if (!mp_mbox_parse(text[e], &l[e], &why, NULL))
            g_error("%s: %s", text[e], why);
        lists[e] = &l[e];
    }
    mp_middlebox_set(f->link, lists, false, 0);
}

static struct mp_ip ip(const char *s)
{
    struct mp_ip a;
    g_assert_cmpint(mp_ip_parse(s, &a), ==, 0);
    return a;
}

/* --- packet builders ----------------------------------------------------- */

struct seg {
    const char *src, *dst;
    uint16_t sport, dport;
    uint16_t flags;
    const uint8_t *opts;
    size_t opts_len;
    const uint8_t *payload;
    size_t plen;
    bool lazy; /* checksums left to mp_wire_csum_finalize() */
};

static struct mp_pkt *tcp_pkt(struct fx *f, const struct seg *s)
{
    struct mp_ip a = ip(s->src), b = ip(s->dst);
    struct mp_wire_tcp h = {
        .sport = s->sport,
        .dport = s->dport,
        .seq = 1000,
        .ack = (s->flags & MP_TCP_ACK) ? 2000 : 0,
        .flags = s->flags,
        .window = 65535,
        .opts = s->opts,
        .opts_len = s->opts_len,
    };
    struct mp_pkt *p = mp_pkt_alloc(&f->pool, 1600);
    int n = mp_wire_tcp_build(p->data, 1600, &a, &b, &h, s->payload, s->plen, NULL, !s->lazy);
    g_assert_cmpint(n, >, 0);
    p->len = (uint32_t)n;
    p->flags = s->lazy ? MP_PKT_CSUM_PENDING : 0;
    return p;
}

static struct mp_pkt *udp_pkt(struct fx *f, const char *src, const char *dst, uint16_t sport,
                              uint16_t dport, bool no_csum)
{
    struct mp_ip a = ip(src), b = ip(dst);
    static const uint8_t data[13] = "afmp-udp-data";
    struct mp_pkt *p = mp_pkt_alloc(&f->pool, 200);
    int n = mp_wire_udp_build(p->data, 200, &a, &b, sport, dport, data, sizeof(data), NULL, true);
    g_assert_cmpint(n, >, 0);
    p->len = (uint32_t)n;
    if (no_csum) {
        size_t off = p->data[0] >> 4 == 4 ? 20 : 40;
        mp_wire_put16(p->data + off + 6, 0);
    }
    return p;
}

static struct mp_pkt *echo_pkt(struct fx *f, const char *src, const char *dst, uint8_t type,
                               uint16_t id)
{
    struct mp_ip a = ip(src), b = ip(dst);
    struct mp_wire_icmp h = {.type = type, .rest = mp_wire_icmp_rest_echo(id, 1)};
    struct mp_pkt *p = mp_pkt_alloc(&f->pool, 200);
    int n = mp_wire_icmp_build(p->data, 200, &a, &b, &h, (const uint8_t *)"ping", 4, NULL, true);
    g_assert_cmpint(n, >, 0);
    p->len = (uint32_t)n;
    return p;
}

/* The TCP header of an IPv4 or IPv6 packet without extension headers. */
static const uint8_t *tcp_of(const struct mp_pkt *p, struct mp_wire_tcp *t)
{
    size_t off = p->data[0] >> 4 == 4 ? 20 : 40;
    g_assert_cmpint(mp_wire_tcp_parse(p->data + off, p->len - off, t), ==, 0);
    return p->data + off;
}

/* Options: MSS, SACK permitted, timestamps, NOP, window scale, MP_CAPABLE
 * (SYN form, version 1, flags A and H): 24 bytes. */
static const uint8_t syn_opts[24] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0,
                                     0, 0, 1, 3, 3, 7, 30, 4, 0x01, 0x81};
/* Timestamps then a DSS (ack 8 bytes, mapping with 8-byte DSN, no
 * checksum: 26 bytes) and two NOPs: 40 bytes. */
static const uint8_t dss_opts[40] = {
    1,  1,  8,  10, 0, 0, 0, 5, 0, 0, 0, 6, /* NOP NOP timestamps */
    30, 26, 0x20, 0x0f, 0, 0, 0, 0, 0, 0, 0, 9, /* DSS, flags m M a A, data ack */
    0,  0,  0,  0,  0, 0, 0, 1, /* DSN */
    0,  0,  0,  1, /* subflow sequence number */
    0,  8,  1,  1, /* data-level length, NOP NOP */
};
/* MP_JOIN SYN: backup bit clear, address ID 2, token, nonce: 12 bytes. */
static const uint8_t join_syn_opts[12] = {30, 12, 0x10, 2, 0xb8, 0x58, 0x11, 0x7d, 1, 2, 3, 4};
/* MP_JOIN SYN/ACK: address ID 0, truncated HMAC, nonce: 16 bytes. */
static const uint8_t join_synack_opts[16] = {30, 16, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9};

static const uint8_t data8[8] = "abcdefgh";

/* --- strip-mptcp --------------------------------------------------------- */

/* Every MPTCP option becomes NOPs of the same length, nothing else moves,
 * and the checksums are right, over IPv4 and IPv6, with checksums present
 * or lazy. */
static void test_strip(void)
{
    struct fx f;
    struct mp_wire_tcp t;
    static const struct seg segs[] = {
        {"10.0.1.2", "10.0.3.2", 40000, 80, MP_TCP_SYN, syn_opts, 24, NULL, 0, false},
        {"10.0.1.2", "10.0.3.2", 40000, 80, MP_TCP_SYN, syn_opts, 24, NULL, 0, true},
        {"2001:db8::2", "2001:db8:3::2", 40000, 80, MP_TCP_ACK, dss_opts, 40, data8, 8, false},
        {"10.0.1.2", "10.0.3.2", 40000, 80, MP_TCP_ACK, dss_opts, 40, data8, 7, true},
    };
    fx_init(&f, 1);
    fx_set(&f, "strip-mptcp", NULL);
    for (guint i = 0; i < G_N_ELEMENTS(segs); i++) {
        const struct seg *s = &segs[i];
        struct mp_pkt *sent = tcp_pkt(&f, s);
        struct mp_pkt *honest = mp_pkt_clone(sent);
        g_assert_cmpint(mp_wire_csum_finalize(honest), ==, 0);
        g_assert_cmpuint(fx_send(&f, 0, sent), ==, i + 1);
        struct mp_pkt *got = fx_got(&f, 1, i);
        g_assert_cmpuint(got->len, ==, honest->len);
        g_assert_cmpuint(got->flags & MP_PKT_CSUM_PENDING, ==, 0);
        const uint8_t *th = tcp_of(got, &t);
        g_assert_cmpuint(t.opts_len, ==, s->opts_len);
        for (size_t j = 0; j < got->len; j++) {
            size_t o = j - (size_t)(th - got->data);
            bool in_opts = j >= (size_t)(th - got->data) + 20 && o - 20 < s->opts_len;
            bool mptcp = false;
            /* Bytes of kind-30 options, from the layouts above. */
            if (in_opts && s->opts == syn_opts)
                mptcp = o - 20 >= 20;
            if (in_opts && s->opts == dss_opts)
                mptcp = o - 20 >= 12 && o - 20 < 40 - 2;
            if (mptcp)
                g_assert_cmpuint(got->data[j], ==, MP_TCPOPT_NOP);
            else if (o != 16 && o != 17) /* the TCP checksum */
                g_assert_cmpuint(got->data[j], ==, honest->data[j]);
        }
        g_assert_true(mp_wire_csum_verify(got));
        mp_pkt_free(got);
        mp_pkt_free(honest);
    }
    /* A segment without MPTCP options passes byte for byte. */
    struct seg plain = {"10.0.1.2", "10.0.3.2", 1, 2, MP_TCP_SYN, syn_opts, 20, NULL, 0, false};
    fx_send_untouched(&f, 0, tcp_pkt(&f, &plain));
    const struct mp_link_stats *st = mp_link_stats(f.link, 0);
    g_assert_cmpuint(st->stripped, ==, 4);
    g_assert_cmpuint(st->delivered_pkts, ==, 5);
    /* The other direction has no middlebox. */
    fx_send(&f, 1, tcp_pkt(&f, &segs[0]));
    g_assert_cmpuint(mp_link_stats(f.link, 1)->stripped, ==, 0);
    struct mp_pkt *got = fx_got(&f, 0, 0);
    tcp_of(got, &t);
    g_assert_cmpmem(t.opts, t.opts_len, syn_opts, sizeof(syn_opts));
    mp_pkt_free(got);
    fx_clear(&f);
}

/* --- drop-join ----------------------------------------------------------- */

static void test_drop_join(gconstpointer data)
{
    bool synack = GPOINTER_TO_INT(data);
    struct fx f;
    const char *a = "10.0.2.2", *b = "10.0.3.2";
    struct seg join_syn = {a, b, 40001, 80, MP_TCP_SYN, join_syn_opts, 12, NULL, 0, false};
    struct seg join_synack = {b, a, 80, 40001, MP_TCP_SYN | MP_TCP_ACK, join_synack_opts, 16,
                              NULL, 0, false};
    struct seg cap_syn = {a, b, 40000, 80, MP_TCP_SYN, syn_opts, 24, NULL, 0, false};
    struct seg plain_syn = {a, b, 40002, 80, MP_TCP_SYN, syn_opts, 20, NULL, 0, false};
    struct seg join_ack = {a, b, 40001, 80, MP_TCP_ACK, join_synack_opts, 16, NULL, 0, false};

    fx_init(&f, 1);
    const char *dj = synack ? "drop-join synack" : "drop-join";
    fx_set(&f, dj, dj);
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &join_syn)), ==, 0);
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &cap_syn)), ==, 1);
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &plain_syn)), ==, 2);
    /* Not a SYN: an MP_JOIN option on an ACK is not the handshake's start. */
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &join_ack)), ==, 3);
    g_assert_cmpuint(fx_send(&f, 1, tcp_pkt(&f, &join_synack)), ==, synack ? 0 : 1);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_FILTER], ==, 1);
    g_assert_cmpuint(mp_link_stats(f.link, 1)->dropped[MP_LINK_DROP_FILTER], ==, synack ? 1 : 0);
    /* The MP_CAPABLE SYN arrived whole. */
    struct mp_pkt *got = fx_got(&f, 1, 0);
    struct mp_wire_tcp t;
    tcp_of(got, &t);
    g_assert_cmpuint(t.sport, ==, 40000);
    g_assert_cmpmem(t.opts, t.opts_len, syn_opts, sizeof(syn_opts));
    mp_pkt_free(got);
    fx_clear(&f);
}

/* --- drop-add-addr ------------------------------------------------------- */

/* ADD_ADDR IPv4 with its truncated HMAC (16 bytes), and its echo (8). */
static const uint8_t add_addr_opts[16] = {30, 16, 0x30, 5, 10, 0, 8, 2, 1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t add_addr_echo_opts[8] = {30, 8, 0x31, 5, 10, 0, 8, 2};

static void test_drop_add_addr(gconstpointer data)
{
    bool echo_only = GPOINTER_TO_INT(data);
    struct fx f;
    const char *a = "10.0.2.2", *b = "10.0.3.2";
    struct seg announce = {b, a, 80, 40000, MP_TCP_ACK, add_addr_opts, 16, NULL, 0, false};
    struct seg echo = {b, a, 80, 40000, MP_TCP_ACK, add_addr_echo_opts, 8, NULL, 0, false};
    struct seg dss = {b, a, 80, 40000, MP_TCP_ACK, dss_opts, 40, data8, 8, false};

    fx_init(&f, 1);
    const char *k = echo_only ? "drop-add-addr echo" : "drop-add-addr";
    fx_set(&f, k, k);
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &echo)), ==, 0);
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &announce)), ==, echo_only ? 1 : 0);
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &dss)), ==, echo_only ? 2 : 1);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_FILTER], ==,
                     echo_only ? 1 : 2);
    fx_clear(&f);
}

/* --- blackhole ----------------------------------------------------------- */

static void test_blackhole(void)
{
    struct fx f;
    struct seg s = {"10.0.1.2", "10.0.3.2", 1, 2, MP_TCP_SYN, syn_opts, 24, NULL, 0, false};
    fx_init(&f, 1);
    fx_set(&f, "blackhole", NULL);
    for (int i = 0; i < 100; i++) {
        fx_send(&f, 0, tcp_pkt(&f, &s));
        fx_send(&f, 0, udp_pkt(&f, "2001:db8::1", "2001:db8::2", 5, 6, false));
        fx_send(&f, 0, echo_pkt(&f, "10.0.1.2", "10.0.3.2", MP_ICMP_ECHO, 7));
    }
    const struct mp_link_stats *st = mp_link_stats(f.link, 0);
    g_assert_cmpuint(f.rx[1].pkts->len, ==, 0);
    g_assert_cmpuint(st->dropped[MP_LINK_DROP_BLACKHOLE], ==, 300);
    g_assert_cmpuint(st->dropped[MP_LINK_DROP_DOWN], ==, 0);
    /* Unlike a link that is down, the carrier stays and the way back works. */
    g_assert_true(mp_link_is_up(f.link));
    g_assert_cmpuint(fx_send(&f, 1, tcp_pkt(&f, &s)), ==, 1);
    /* Removed at run time: packets pass again. */
    fx_set(&f, "none", NULL);
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &s)), ==, 1);
    fx_clear(&f);
}

/* --- rewrite-payload ----------------------------------------------------- */

/* The payload byte at len / 2 is flipped, nothing else changes, and the
 * checksum is right: the segment is accepted with the wrong byte. Payload
 * lengths put that byte at an even offset, at an odd one, and at the odd
 * end of the segment (the word padded with zero). */
static void test_rewrite(void)
{
    struct fx f;
    static const uint8_t pay[9] = "123456789";
    static const size_t lens[] = {8, 7, 1, 9};
    fx_init(&f, 1);
    fx_set(&f, "rewrite-payload", "rewrite-payload");
    for (guint i = 0; i < G_N_ELEMENTS(lens); i++) {
        struct seg s = {"10.0.1.2", "10.0.3.2", 1, 2, MP_TCP_ACK, dss_opts, 40, pay, lens[i],
                        i == 3};
        if (i == 1) {
            s.src = "2001:db8::1";
            s.dst = "2001:db8::2";
        }
        struct mp_pkt *honest = tcp_pkt(&f, &s);
        g_assert_cmpint(mp_wire_csum_finalize(honest), ==, 0);
        fx_send(&f, 0, tcp_pkt(&f, &s));
        struct mp_pkt *got = fx_got(&f, 1, i);
        struct mp_wire_tcp t;
        const uint8_t *th = tcp_of(got, &t);
        size_t at = (size_t)(t.payload - got->data) + lens[i] / 2;
        unsigned diff = 0;
        for (size_t j = 0; j < got->len; j++) {
            size_t o = j - (size_t)(th - got->data);
            if (j == at)
                g_assert_cmpuint(got->data[j], ==, honest->data[j] ^ 0xff);
            else if (o != 16 && o != 17)
                g_assert_cmpuint(got->data[j], ==, honest->data[j]);
            diff += got->data[j] != honest->data[j];
        }
        g_assert_cmpuint(diff, >=, 2); /* the byte and the checksum */
        g_assert_true(mp_wire_csum_verify(got));
        mp_pkt_free(got);
        mp_pkt_free(honest);
    }
    /* A pure ACK has no payload to change. */
    struct seg ack = {"10.0.3.2", "10.0.1.2", 2, 1, MP_TCP_ACK, dss_opts, 40, NULL, 0, false};
    fx_send_untouched(&f, 1, tcp_pkt(&f, &ack));
    g_assert_cmpuint(mp_link_stats(f.link, 0)->rewritten, ==, 4);
    g_assert_cmpuint(mp_link_stats(f.link, 1)->rewritten, ==, 0);
    fx_clear(&f);
}

/* RATIO: one draw per packet from the fault's stream, so about half of
 * the segments at 50%, the same ones for the same seed. */
static guint8 *rewrite_pattern(uint64_t seed, guint n, guint *hits)
{
    struct fx f;
    struct seg s = {"10.0.1.2", "10.0.3.2", 1, 2, MP_TCP_ACK, NULL, 0, data8, 8, false};
    guint8 *m = g_malloc0(n);
    fx_init(&f, seed);
    fx_set(&f, "rewrite-payload 50%", NULL);
    for (guint i = 0; i < n; i++) {
        fx_send(&f, 0, tcp_pkt(&f, &s));
        gsize len;
        const uint8_t *b = g_bytes_get_data(f.rx[1].pkts->pdata[i], &len);
        m[i] = b[len - 4] != data8[4];
    }
    *hits = (guint)mp_link_stats(f.link, 0)->rewritten;
    fx_clear(&f);
    return m;
}

static void test_rewrite_ratio(void)
{
    const guint n = 4000;
    guint h1, h2, h3;
    g_autofree guint8 *a = rewrite_pattern(3, n, &h1);
    g_autofree guint8 *b = rewrite_pattern(3, n, &h2);
    g_autofree guint8 *c = rewrite_pattern(4, n, &h3);
    g_assert_cmpmem(a, n, b, n);
    g_assert_true(memcmp(a, c, n) != 0);
    guint seen = 0;
    for (guint i = 0; i < n; i++)
        seen += a[i];
    g_assert_cmpuint(seen, ==, h1);
    /* 5 standard deviations of a binomial(4000, 0.5): about 158. */
    g_assert_cmpuint(h1, >, n / 2 - 158);
    g_assert_cmpuint(h1, <, n / 2 + 158);
}

/* --- nat44 --------------------------------------------------------------- */

static void assert_addr(const uint8_t *p, const char *want)
{
    struct mp_ip a = ip(want);
    g_assert_cmpmem(p, 4, a.b, 4);
}

/* The inside is end 0: outbound packets get the outside address and ports
 * from 1024 (one sequence per protocol), replies find their way back, and
 * every checksum stays right. */
static void test_nat44(void)
{
    struct fx f;
    struct mp_wire_tcp t;
    const char *in = "192.168.1.2", *srv = "10.0.3.2", *out = "203.0.113.1";
    struct seg syn = {in, srv, 40000, 5001, MP_TCP_SYN, syn_opts, 24, NULL, 0, false};
    struct seg syn2 = {in, srv, 40001, 5001, MP_TCP_SYN, syn_opts, 24, NULL, 0, true};
    struct seg data = {in, srv, 40000, 5001, MP_TCP_ACK, dss_opts, 40, data8, 7, false};
    struct seg reply = {srv, out, 5001, 1024, MP_TCP_SYN | MP_TCP_ACK, NULL, 0, NULL, 0, false};
    struct seg stray = {srv, out, 5001, 2000, MP_TCP_ACK, NULL, 0, NULL, 0, false};
    struct seg other = {srv, "192.168.1.9", 5001, 7, MP_TCP_ACK, NULL, 0, NULL, 0, false};

    fx_init(&f, 1);
    fx_set(&f, "nat44 203.0.113.1", "nat44 203.0.113.1");
    fx_send(&f, 0, tcp_pkt(&f, &syn));
    fx_send(&f, 0, tcp_pkt(&f, &syn2));
    fx_send(&f, 0, tcp_pkt(&f, &data));
    static const uint16_t want_port[] = {1024, 1025, 1024};
    for (guint i = 0; i < 3; i++) {
        struct mp_pkt *got = fx_got(&f, 1, i);
        g_assert_true(mp_wire_csum_verify(got));
        assert_addr(got->data + 12, out);
        assert_addr(got->data + 16, srv);
        tcp_of(got, &t);
        g_assert_cmpuint(t.sport, ==, want_port[i]);
        g_assert_cmpuint(t.dport, ==, 5001);
        mp_pkt_free(got);
    }
    /* UDP, with a checksum and without one (which stays without), and ping
     * echo identifiers have sequences of their own. */
    fx_send(&f, 0, udp_pkt(&f, in, srv, 53000, 53, false));
    fx_send(&f, 0, udp_pkt(&f, in, srv, 53001, 53, true));
    fx_send(&f, 0, echo_pkt(&f, in, srv, MP_ICMP_ECHO, 77));
    for (guint i = 3; i < 6; i++) {
        struct mp_pkt *got = fx_got(&f, 1, i);
        g_assert_true(mp_wire_csum_verify(got));
        assert_addr(got->data + 12, out);
        uint16_t port = mp_wire_get16(got->data + 20 + (i == 5 ? 4 : 0));
        g_assert_cmpuint(port, ==, i == 4 ? 1025 : 1024);
        if (i == 4)
            g_assert_cmpuint(mp_wire_get16(got->data + 26), ==, 0);
        mp_pkt_free(got);
    }
    /* Back in: the reply to the first mapping, the echo reply. */
    g_assert_cmpuint(fx_send(&f, 1, tcp_pkt(&f, &reply)), ==, 1);
    g_assert_cmpuint(fx_send(&f, 1, echo_pkt(&f, srv, out, MP_ICMP_ECHO_REPLY, 1024)), ==, 2);
    struct mp_pkt *got = fx_got(&f, 0, 0);
    g_assert_true(mp_wire_csum_verify(got));
    assert_addr(got->data + 12, srv);
    assert_addr(got->data + 16, in);
    tcp_of(got, &t);
    g_assert_cmpuint(t.sport, ==, 5001);
    g_assert_cmpuint(t.dport, ==, 40000);
    mp_pkt_free(got);
    got = fx_got(&f, 0, 1);
    g_assert_true(mp_wire_csum_verify(got));
    assert_addr(got->data + 16, in);
    g_assert_cmpuint(mp_wire_get16(got->data + 24), ==, 77);
    mp_pkt_free(got);
    /* No mapping, or an echo request from outside: dropped. Another
     * destination and IPv6 pass untouched. */
    g_assert_cmpuint(fx_send(&f, 1, tcp_pkt(&f, &stray)), ==, 2);
    g_assert_cmpuint(fx_send(&f, 1, echo_pkt(&f, srv, out, MP_ICMP_ECHO, 1024)), ==, 2);
    fx_send_untouched(&f, 1, tcp_pkt(&f, &other));
    fx_send_untouched(&f, 1, udp_pkt(&f, "2001:db8::1", "2001:db8::2", 1, 2, false));
    fx_send_untouched(&f, 0, udp_pkt(&f, "2001:db8::2", "2001:db8::1", 2, 1, false));
    g_assert_cmpuint(f.rx[0].pkts->len, ==, 4);
    g_assert_cmpuint(f.rx[1].pkts->len, ==, 7);
    const struct mp_link_stats *st0 = mp_link_stats(f.link, 0), *st1 = mp_link_stats(f.link, 1);
    g_assert_cmpuint(st0->translated, ==, 6);
    g_assert_cmpuint(st1->translated, ==, 2);
    g_assert_cmpuint(st1->dropped[MP_LINK_DROP_NAT], ==, 2);
    fx_clear(&f);
}

/* Ports run out: 64512 per protocol, then packets of new mappings are
 * dropped while the existing ones keep working. */
static void test_nat44_exhausted(void)
{
    struct fx f;
    fx_init(&f, 1);
    fx_set(&f, "nat44 203.0.113.1", "nat44 203.0.113.1");
    for (uint32_t i = 0; i < 65536 - 1024; i++)
        mp_link_send(f.link, 0, udp_pkt(&f, "192.168.1.2", "10.0.3.2", (uint16_t)i, 53, true));
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.rx[1].pkts->len, ==, 65536 - 1024);
    fx_send(&f, 0, udp_pkt(&f, "192.168.1.3", "10.0.3.2", 5, 53, true));
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_NAT], ==, 1);
    fx_send(&f, 0, udp_pkt(&f, "192.168.1.2", "10.0.3.2", 5, 53, true));
    g_assert_cmpuint(f.rx[1].pkts->len, ==, 65536 - 1024 + 1);
    /* TCP has ports of its own. */
    struct seg syn = {"192.168.1.3", "10.0.3.2", 1, 2, MP_TCP_SYN, NULL, 0, NULL, 0, false};
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &syn)), ==, 65536 - 1024 + 2);
    fx_clear(&f);
}

/* Middleboxes act before the wire's faults: a mapping is made even when
 * the translated packet is then lost. And a direction's list acts in
 * order: stripped, then translated. */
static void test_order(void)
{
    struct fx f;
    struct seg syn = {"192.168.1.2", "10.0.3.2", 1, 2, MP_TCP_SYN, syn_opts, 24, NULL, 0, false};
    struct seg reply = {"10.0.3.2", "203.0.113.1", 2, 1024, MP_TCP_ACK, NULL, 0, NULL, 0, false};
    fx_init(&f, 1);
    mp_link_add_fault(f.link, 0, mp_fault_loss_new(UINT32_MAX));
    fx_set(&f, "strip-mptcp, nat44 203.0.113.1", "nat44 203.0.113.1");
    g_assert_cmpuint(fx_send(&f, 0, tcp_pkt(&f, &syn)), ==, 0);
    const struct mp_link_stats *st = mp_link_stats(f.link, 0);
    g_assert_cmpuint(st->dropped[MP_LINK_DROP_LOSS], ==, 1);
    g_assert_cmpuint(st->stripped, ==, 1);
    g_assert_cmpuint(st->translated, ==, 1);
    g_assert_cmpuint(fx_send(&f, 1, tcp_pkt(&f, &reply)), ==, 1);
    /* Replacing the list of one direction leaves the other's NAT (and its
     * mappings) in place. */
    fx_set(&f, "none", NULL);
    g_assert_cmpuint(fx_send(&f, 1, tcp_pkt(&f, &reply)), ==, 2);
    fx_clear(&f);
}

/* --- the list syntax ----------------------------------------------------- */

struct parse_case {
    const char *text;
    const char *canon; /* NULL: an error containing |why| */
    const char *why;
};

static void test_parse(gconstpointer data)
{
    const struct parse_case *pc = data;
    struct mp_mbox_list l;
    char *why = NULL, *unknown = NULL;
    bool ok = mp_mbox_parse(pc->text, &l, &why, &unknown);
    if (pc->canon) {
        if (!ok)
            g_error("'%s': %s", pc->text, why);
        char *s = mp_mbox_format(&l);
        g_assert_cmpstr(s, ==, pc->canon);
        /* What is written reads back the same. */
        struct mp_mbox_list l2;
        g_assert_true(mp_mbox_parse(s, &l2, &why, NULL));
        g_assert_cmpmem(&l, sizeof(l), &l2, sizeof(l2));
        g_free(s);
    } else {
        g_assert_false(ok);
        g_assert_nonnull(why);
        if (!strstr(why, pc->why))
            g_error("'%s': '%s' lacks '%s'", pc->text, why, pc->why);
        if (strstr(pc->why, "unknown"))
            g_assert_nonnull(unknown);
        g_assert_cmpuint(l.n, ==, 0);
    }
    g_free(why);
    g_free(unknown);
}

int main(int argc, char **argv)
{
    static const struct parse_case parse_cases[] = {
        {"strip-mptcp", "strip-mptcp", NULL},
        {"none", "none", NULL},
        {" drop-join ,blackhole", "drop-join, blackhole", NULL},
        {"drop-join synack", "drop-join synack", NULL},
        {"rewrite-payload", "rewrite-payload 100%", NULL},
        {"rewrite-payload 0.5%", "rewrite-payload 5000ppm", NULL},
        {"nat44 203.0.113.1, strip-mptcp", "nat44 203.0.113.1, strip-mptcp", NULL},
        {"nat44", "nat44", NULL},
        {"strip-mtpcp", NULL, "unknown middlebox 'strip-mtpcp'"},
        {"", NULL, "nothing written"},
        {"blackhole,", NULL, "empty entry"},
        {"none, blackhole", NULL, "stands alone"},
        {"blackhole now", NULL, "takes no argument"},
        {"drop-join syn", NULL, "'synack'"},
        {"rewrite-payload 150%", NULL, "at most 100%"},
        {"rewrite-payload half", NULL, "got 'half'"},
        {"rewrite-payload 1% 2%", NULL, "one ratio"},
        {"nat44 2001:db8::1", NULL, "IPv4 only"},
        {"nat44 10.0.0", NULL, "got '10.0.0'"},
        {"nat44, nat44", NULL, "twice"},
        {"blackhole, blackhole, blackhole, blackhole, blackhole, blackhole, blackhole, blackhole, "
         "blackhole",
         NULL, "at most 8"},
    };

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/middlebox/strip-mptcp", test_strip);
    g_test_add_data_func("/middlebox/drop-join/syn", GINT_TO_POINTER(0), test_drop_join);
    g_test_add_data_func("/middlebox/drop-join/synack", GINT_TO_POINTER(1), test_drop_join);
    g_test_add_data_func("/middlebox/drop-add-addr/all", GINT_TO_POINTER(0), test_drop_add_addr);
    g_test_add_data_func("/middlebox/drop-add-addr/echo", GINT_TO_POINTER(1), test_drop_add_addr);
    g_test_add_func("/middlebox/blackhole", test_blackhole);
    g_test_add_func("/middlebox/rewrite-payload", test_rewrite);
    g_test_add_func("/middlebox/rewrite-payload/ratio", test_rewrite_ratio);
    g_test_add_func("/middlebox/nat44", test_nat44);
    g_test_add_func("/middlebox/nat44/exhausted", test_nat44_exhausted);
    g_test_add_func("/middlebox/order", test_order);
    for (guint i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
        char *path = g_strdup_printf("/middlebox/parse/%u", i);
        g_test_add_data_func(path, &parse_cases[i], test_parse);
        g_free(path);
    }
    return g_test_run();
}
