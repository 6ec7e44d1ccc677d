/*
 * DNS: the wire codec (names, hand-written query and response bytes, round
 * trips with and without compression, truncation, a table of malformed
 * messages), the dns-server application, and the resolver in worlds with a
 * server: AF_INET / AF_INET6 / AF_MULTIPATH lookups, RFC 6724 order,
 * parallel A/AAAA queries, failure modes, exact lookup times.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "afmp/afmp.h"
#include "afmp/resolver.h"
#include "afmp/sockaddr_mp.h"
#include "afmp/stack.h"
#include "model/net/addr.h"
#include "model/wire/dns.h"
#include "sim/apps/apps.h"
#include "fixture.h"
#include "sim/net/world.h"

/* ======================================================================== */
/* Codec                                                                      */

static void dname(const char *s, struct mp_dns_name *n)
{
    g_assert_cmpint(mp_dns_name_from_text(s, n), ==, 0);
}

static void test_name_text(void)
{
    struct mp_dns_name n, m;
    char buf[MP_DNS_NAME_STRLEN];

    dname("www.Example.com", &n);
    g_assert_cmpuint(n.len, ==, 17);
    g_assert_cmpmem(n.wire, n.len, "\3www\7Example\3com\0", 17);
    g_assert_cmpint(mp_dns_name_to_text(&n, buf, sizeof(buf)), ==, 15);
    g_assert_cmpstr(buf, ==, "www.Example.com");
    dname("WWW.example.COM.", &m);
    g_assert_true(mp_dns_name_eq(&n, &m));
    dname("www.example.co", &m);
    g_assert_false(mp_dns_name_eq(&n, &m));
    dname("", &m);
    g_assert_cmpuint(m.len, ==, 1);
    dname(".", &m);
    g_assert_cmpuint(m.len, ==, 1);
    g_assert_cmpint(mp_dns_name_to_text(&m, buf, sizeof(buf)), ==, 1);
    g_assert_cmpstr(buf, ==, ".");

    /* Empty labels, a label of 64, a name of 256 bytes. */
    static const char *const bad[] = {"a..b", ".a", "a..", ".."};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_cmpint(mp_dns_name_from_text(bad[i], &m), ==, MP_WIRE_EINVAL);
    char l63[64], l64[65];
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l64, 'a', 64);
    l64[64] = '\0';
    dname(l63, &m);
    g_assert_cmpint(mp_dns_name_from_text(l64, &m), ==, MP_WIRE_EINVAL);
    /* 3 labels of 63 and one of 61: 4 * 64 - 2 + 1 = 255 bytes, the most. */
    char *max = g_strdup_printf("%s.%s.%s.%.61s", l63, l63, l63, l63);
    dname(max, &m);
    g_assert_cmpuint(m.len, ==, 255);
    g_free(max);
    char *over = g_strdup_printf("%s.%s.%s.%.62s", l63, l63, l63, l63);
    g_assert_cmpint(mp_dns_name_from_text(over, &m), ==, MP_WIRE_EINVAL);
    g_free(over);

    /* Escapes on output (RFC 1035 5.1), ENOSPC without overflow. */
    m.len = 7;
    memcpy(m.wire, "\5a.b\\\1\0", 7);
    g_assert_cmpint(mp_dns_name_to_text(&m, buf, sizeof(buf)), ==, 14);
    g_assert_cmpstr(buf, ==, "a\\046b\\092\\001");
    g_assert_cmpint(mp_dns_name_to_text(&m, buf, 14), ==, MP_WIRE_ENOSPC);
    g_assert_cmpstr(buf, ==, "");
    m.len = 2; /* a label running past the end */
    g_assert_cmpint(mp_dns_name_to_text(&m, buf, sizeof(buf)), ==, MP_WIRE_EINVAL);
}

/* A standard query for www.example.com A, ID 0x1234, RD, written out from
 * RFC 1035 4.1.1 and 4.1.2. */
static const uint8_t query_bytes[] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* header */
    3,    'w',  'w',  'w',  7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',
    3,    'c',  'o',  'm',  0,    0x00, 0x01, 0x00, 0x01, /* A, IN */
};

/* Its answer: QR AA RD RA, two records whose names point to the question
 * (0xc00c), an A and an AAAA, then an authority SOA-like record of another
 * type that must be skipped. */
static const uint8_t response_bytes[] = {
    0x12,
    0x34,
    0x85,
    0x80,
    0x00,
    0x01,
    0x00,
    0x02,
    0x00,
    0x01,
    0x00,
    0x00,
    3,
    'w',
    'w',
    'w',
    7,
    'e',
    'x',
    'a',
    'm',
    'p',
    'l',
    'e',
    3,
    'c',
    'o',
    'm',
    0,
    0x00,
    0x01,
    0x00,
    0x01,
    /* www.example.com A 10.0.2.2, TTL 300 */
    0xc0,
    0x0c,
    0x00,
    0x01,
    0x00,
    0x01,
    0x00,
    0x00,
    0x01,
    0x2c,
    0x00,
    0x04,
    10,
    0,
    2,
    2,
    /* www.example.com AAAA 2001:db8::1, TTL 60 */
    0xc0,
    0x0c,
    0x00,
    0x1c,
    0x00,
    0x01,
    0x00,
    0x00,
    0x00,
    0x3c,
    0x00,
    0x10,
    0x20,
    0x01,
    0x0d,
    0xb8,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    /* example.com (pointer to offset 16) NS, rdata: ns.example.com as
     * "ns" + pointer to 16 */
    0xc0,
    0x10,
    0x00,
    0x02,
    0x00,
    0x01,
    0x00,
    0x00,
    0x0e,
    0x10,
    0x00,
    0x05,
    2,
    'n',
    's',
    0xc0,
    0x10,
};

static void test_query_bytes(void)
{
    struct mp_dns_name n;
    uint8_t buf[64];
    dname("www.example.com", &n);
    int len = mp_dns_query_emit(buf, sizeof(buf), 0x1234, &n, MP_DNS_TYPE_A, true);
    g_assert_cmpint(len, ==, (int)sizeof(query_bytes));
    g_assert_cmpmem(buf, (size_t)len, query_bytes, sizeof(query_bytes));
    /* Never past the buffer. */
    for (size_t cap = 0; cap < sizeof(query_bytes); cap++)
        g_assert_cmpint(mp_dns_query_emit(buf, cap, 0x1234, &n, MP_DNS_TYPE_A, true), ==,
                        MP_WIRE_ENOSPC);

    struct mp_dns_msg *m = g_new(struct mp_dns_msg, 1);
    g_assert_cmpint(mp_dns_msg_parse(query_bytes, sizeof(query_bytes), m), ==, 0);
    g_assert_cmpuint(m->h.id, ==, 0x1234);
    g_assert_false(m->h.qr);
    g_assert_true(m->h.rd);
    g_assert_cmpuint(m->n_question, ==, 1);
    g_assert_true(mp_dns_name_eq(&m->question[0].name, &n));
    g_assert_cmpuint(m->question[0].qtype, ==, MP_DNS_TYPE_A);
    g_assert_cmpuint(m->question[0].qclass, ==, MP_DNS_CLASS_IN);
    g_assert_cmpuint(m->end, ==, sizeof(query_bytes));
    g_free(m);
}

static void test_response_bytes(void)
{
    struct mp_dns_msg *m = g_new(struct mp_dns_msg, 1);
    struct mp_dns_name n;
    struct mp_ip ip;
    dname("www.example.com", &n);
    g_assert_cmpint(mp_dns_msg_parse(response_bytes, sizeof(response_bytes), m), ==, 0);
    g_assert_true(m->h.qr && m->h.aa && m->h.rd && m->h.ra && !m->h.tc);
    g_assert_cmpuint(m->h.rcode, ==, MP_DNS_RCODE_NOERROR);
    g_assert_cmpuint(m->h.nscount, ==, 1);
    g_assert_cmpuint(m->n_answer, ==, 2);
    g_assert_true(mp_dns_name_eq(&m->answer[0].name, &n));
    g_assert_cmpuint(m->answer[0].type, ==, MP_DNS_TYPE_A);
    g_assert_cmpuint(m->answer[0].ttl, ==, 300);
    g_assert_cmpint(mp_ip_parse("10.0.2.2", &ip), ==, 0);
    g_assert_true(mp_ip_eq(&m->answer[0].addr, &ip));
    g_assert_cmpuint(m->answer[1].type, ==, MP_DNS_TYPE_AAAA);
    g_assert_cmpint(mp_ip_parse("2001:db8::1", &ip), ==, 0);
    g_assert_true(mp_ip_eq(&m->answer[1].addr, &ip));
    g_assert_cmpuint(m->end, ==, sizeof(response_bytes));

    /* The same answer built by the emitter with compression is these exact
     * bytes (without the authority record). */
    struct mp_dns_msg *r = g_new0(struct mp_dns_msg, 1);
    uint8_t buf[512];
    r->h = m->h;
    r->n_question = 1;
    r->question[0] = m->question[0];
    r->n_answer = 2;
    r->answer[0] = m->answer[0];
    r->answer[1] = m->answer[1];
    int len = mp_dns_msg_emit(buf, sizeof(buf), r, MP_DNS_EMIT_COMPRESS);
    size_t want = sizeof(response_bytes) - 17;
    g_assert_cmpint(len, ==, (int)want);
    g_assert_cmpmem(buf + 12, want - 12, response_bytes + 12, want - 12);
    g_assert_cmpuint(buf[9], ==, 0); /* nscount */
    g_assert_cmpuint(buf[7], ==, 2); /* ancount */
    g_free(r);
    g_free(m);
}

/* Round trips: many records, names sharing suffixes, other types with raw
 * RDATA; compression makes it shorter and parses back to the same. */
static void test_roundtrip(void)
{
    struct mp_dns_msg *m = g_new0(struct mp_dns_msg, 1), *p = g_new(struct mp_dns_msg, 1);
    static const char *const names[] = {"a.example.org", "b.example.org", "example.org",
                                        "A.EXAMPLE.ORG", "x.y.z"};
    static const uint8_t txt[] = {5, 'h', 'e', 'l', 'l', 'o'};
    uint8_t plain[1024], comp[1024];

    m->h = (struct mp_dns_header){.id = 0xbeef,
                                  .qr = true,
                                  .opcode = 0,
                                  .aa = true,
                                  .rd = true,
                                  .ra = true,
                                  .z = 5,
                                  .rcode = MP_DNS_RCODE_NOERROR};
    m->n_question = 1;
    dname("a.example.org", &m->question[0].name);
    m->question[0].qtype = MP_DNS_TYPE_ANY;
    m->question[0].qclass = MP_DNS_CLASS_IN;
    for (size_t i = 0; i < 10; i++) {
        struct mp_dns_rr *rr = &m->answer[m->n_answer++];
        dname(names[i % G_N_ELEMENTS(names)], &rr->name);
        rr->rclass = MP_DNS_CLASS_IN;
        rr->ttl = (uint32_t)(i * 1000);
        if (i % 3 == 0) {
            rr->type = MP_DNS_TYPE_A;
            rr->addr = mp_ip_v4(0x0a000000u + (uint32_t)i);
        } else if (i % 3 == 1) {
            rr->type = MP_DNS_TYPE_AAAA;
            g_assert_cmpint(mp_ip_parse("2001:db8::77", &rr->addr), ==, 0);
            rr->addr.b[15] = (uint8_t)i;
        } else {
            rr->type = MP_DNS_TYPE_TXT;
            rr->rdata = txt;
            rr->rdlen = sizeof(txt);
        }
    }
    int lp = mp_dns_msg_emit(plain, sizeof(plain), m, 0);
    int lc = mp_dns_msg_emit(comp, sizeof(comp), m, MP_DNS_EMIT_COMPRESS);
    g_assert_cmpint(lp, >, 0);
    g_assert_cmpint(lc, >, 0);
    g_assert_cmpint(lc, <, lp - 60);
    const uint8_t *bufs[2] = {plain, comp};
    int lens[2] = {lp, lc};
    for (int k = 0; k < 2; k++) {
        g_assert_cmpint(mp_dns_msg_parse(bufs[k], (size_t)lens[k], p), ==, 0);
        g_assert_cmpuint(p->h.id, ==, 0xbeef);
        g_assert_cmpuint(p->h.z, ==, 5);
        g_assert_true(p->h.aa && p->h.qr && p->h.ra && p->h.rd && !p->h.tc);
        g_assert_cmpuint(p->n_answer, ==, 10);
        for (size_t i = 0; i < 10; i++) {
            const struct mp_dns_rr *a = &m->answer[i], *b = &p->answer[i];
            /* Names come back byte for byte, case included. */
            g_assert_cmpmem(a->name.wire, a->name.len, b->name.wire, b->name.len);
            g_assert_cmpuint(a->type, ==, b->type);
            g_assert_cmpuint(a->ttl, ==, b->ttl);
            if (a->type == MP_DNS_TYPE_TXT)
                g_assert_cmpmem(b->rdata, b->rdlen, txt, sizeof(txt));
            else
                g_assert_true(mp_ip_eq(&a->addr, &b->addr));
        }
    }
    /* The emitter never writes past the buffer. */
    for (size_t cap = 0; cap < (size_t)lc; cap++) {
        uint8_t *exact = g_malloc(cap ? cap : 1);
        g_assert_cmpint(mp_dns_msg_emit(exact, cap, m, MP_DNS_EMIT_COMPRESS), ==, MP_WIRE_ENOSPC);
        g_free(exact);
    }
    /* Invalid records. */
    m->answer[0].addr = mp_ip_any(6);
    g_assert_cmpint(mp_dns_msg_emit(comp, sizeof(comp), m, 0), ==, MP_WIRE_EINVAL);
    m->n_answer = MP_DNS_MAX_ANSWERS + 1;
    g_assert_cmpint(mp_dns_msg_emit(comp, sizeof(comp), m, 0), ==, MP_WIRE_EINVAL);
    g_free(m);
    g_free(p);
}

/* RFC 1035 4.2.1 / RFC 2181 9: what does not fit 512 bytes is left out
 * and TC set. */
static void test_truncate(void)
{
    struct mp_dns_msg *m = g_new0(struct mp_dns_msg, 1), *p = g_new(struct mp_dns_msg, 1);
    uint8_t buf[MP_DNS_UDP_MAX];
    m->h.qr = true;
    m->n_question = 1;
    dname("many.example", &m->question[0].name);
    m->question[0].qtype = MP_DNS_TYPE_AAAA;
    m->question[0].qclass = MP_DNS_CLASS_IN;
    for (size_t i = 0; i < 20; i++) {
        struct mp_dns_rr *rr = &m->answer[m->n_answer++];
        rr->name = m->question[0].name;
        rr->type = MP_DNS_TYPE_AAAA;
        rr->rclass = MP_DNS_CLASS_IN;
        g_assert_cmpint(mp_ip_parse("2001:db8::", &rr->addr), ==, 0);
        rr->addr.b[15] = (uint8_t)i;
    }
    g_assert_cmpint(mp_dns_msg_emit(buf, sizeof(buf), m, MP_DNS_EMIT_COMPRESS), ==, MP_WIRE_ENOSPC);
    int len = mp_dns_msg_emit(buf, sizeof(buf), m, MP_DNS_EMIT_COMPRESS | MP_DNS_EMIT_TRUNCATE);
    /* 12 + 18 question + 17 answers of 28 = 506 */
    g_assert_cmpint(len, ==, 506);
    g_assert_cmpint(mp_dns_msg_parse(buf, (size_t)len, p), ==, 0);
    g_assert_true(p->h.tc);
    g_assert_cmpuint(p->h.ancount, ==, 17);
    g_assert_cmpuint(p->n_answer, ==, 17);
    g_assert_cmpuint(p->answer[16].addr.b[15], ==, 16);
    g_free(m);
    g_free(p);
}

/* More answers than the parser keeps: checked, counted, not stored. */
static void test_many_answers(void)
{
    struct mp_dns_msg *m = g_new0(struct mp_dns_msg, 1), *p = g_new(struct mp_dns_msg, 1);
    uint8_t buf[2048];
    m->n_question = 1;
    dname("x", &m->question[0].name);
    m->question[0].qtype = MP_DNS_TYPE_A;
    m->question[0].qclass = MP_DNS_CLASS_IN;
    for (size_t i = 0; i < MP_DNS_MAX_ANSWERS; i++) {
        struct mp_dns_rr *rr = &m->answer[m->n_answer++];
        rr->name = m->question[0].name;
        rr->type = MP_DNS_TYPE_A;
        rr->rclass = MP_DNS_CLASS_IN;
        rr->addr = mp_ip_v4((uint32_t)i);
    }
    int len = mp_dns_msg_emit(buf, sizeof(buf), m, MP_DNS_EMIT_COMPRESS);
    g_assert_cmpint(len, >, 0);
    /* Claim 40 answers and append 8 more copies of the last one. */
    size_t one = 2 + 10 + 4;
    for (size_t i = 0; i < 8; i++)
        memcpy(buf + len + i * one, buf + len - one, one);
    mp_wire_put16(buf + 6, 40);
    g_assert_cmpint(mp_dns_msg_parse(buf, (size_t)len + 8 * one, p), ==, 0);
    g_assert_cmpuint(p->n_answer, ==, MP_DNS_MAX_ANSWERS);
    g_assert_cmpuint(p->n_answer_dropped, ==, 8);
    /* Claim one more than present. */
    mp_wire_put16(buf + 6, 41);
    g_assert_cmpint(mp_dns_msg_parse(buf, (size_t)len + 8 * one, p), ==, MP_WIRE_ETRUNC);
    g_free(m);
    g_free(p);
}

struct bad_msg {
    const char *what;
    const uint8_t *bytes;
    size_t len;
    int err;
};

#define HDR(qd, an) 0x00, 0x01, 0x81, 0x80, 0, qd, 0, an, 0, 0, 0, 0
#define BAD(what, err, ...)                                                                        \
    {                                                                                              \
        what, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), err          \
    }

/* 5 labels of 63 bytes: 321 bytes of name, longer than 255. */
#define L63                                                                                        \
    63, 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',  \
        'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',  \
        'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',  \
        'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'

static const struct bad_msg bad_msgs[] = {
    BAD("empty", MP_WIRE_ETRUNC, 0),
    BAD("header cut", MP_WIRE_ETRUNC, 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0),
    BAD("qdcount without data", MP_WIRE_ETRUNC, HDR(1, 0)),
    BAD("qdcount 2, one question", MP_WIRE_ETRUNC, HDR(2, 0), 1, 'a', 0, 0, 1, 0, 1),
    BAD("ancount 1, no record", MP_WIRE_ETRUNC, HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1),
    BAD("question type cut", MP_WIRE_ETRUNC, HDR(1, 0), 1, 'a', 0, 0, 1, 0),
    BAD("label past the end", MP_WIRE_ETRUNC, HDR(1, 0), 5, 'a', 'b'),
    BAD("name without root", MP_WIRE_ETRUNC, HDR(1, 0), 1, 'a'),
    BAD("pointer cut", MP_WIRE_ETRUNC, HDR(1, 0), 0xc0),
    BAD("pointer to itself", MP_WIRE_EFIELD, HDR(1, 0), 0xc0, 12, 0, 1, 0, 1),
    BAD("pointer loop of two", MP_WIRE_EFIELD, HDR(1, 1), 1, 'a', 0xc0, 20, 0, 1, 0, 1, 0xc0, 12, 0,
        1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4),
    BAD("pointer forward", MP_WIRE_EFIELD, HDR(1, 0), 0xc0, 16, 0, 1, 0, 1, 0),
    BAD("pointer past the end", MP_WIRE_ELEN, HDR(1, 0), 0xc0, 0xff, 0, 1, 0, 1),
    BAD("pointer into a label loop", MP_WIRE_EFIELD, HDR(1, 0), 1, 'a', 1, 'b', 0xc0, 14, 0, 1, 0,
        1),
    BAD("label of 64 (01 bits)", MP_WIRE_EFIELD, HDR(1, 0), 0x40, 'a', 0, 0, 1, 0, 1),
    BAD("label type 10", MP_WIRE_EFIELD, HDR(1, 0), 0x80, 'a', 0, 0, 1, 0, 1),
    BAD("name longer than 255", MP_WIRE_ELEN, HDR(1, 0), L63, L63, L63, L63, L63, 0, 0, 1, 0, 1),
    BAD("RR fixed part cut", MP_WIRE_ETRUNC, HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1,
        0, 0),
    BAD("RDATA cut", MP_WIRE_ETRUNC, HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0,
        0, 0, 0, 4, 10, 0),
    BAD("A with 5 bytes", MP_WIRE_ELEN, HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0,
        0, 0, 0, 0, 5, 10, 0, 0, 1, 9),
    BAD("AAAA with 4 bytes", MP_WIRE_ELEN, HDR(1, 1), 1, 'a', 0, 0, 28, 0, 1, 0xc0, 12, 0, 28, 0, 1,
        0, 0, 0, 0, 0, 4, 10, 0, 0, 1),
    BAD("authority record cut", MP_WIRE_ETRUNC, 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 1, 0, 0, 1, 'a', 0,
        0, 1, 0, 1, 0xc0, 12, 0, 6),
};

static void test_malformed(gconstpointer data)
{
    const struct bad_msg *b = data;
    struct mp_dns_msg *m = g_new(struct mp_dns_msg, 1);
    /* An exact-size heap copy, so a sanitizer sees any read past it. */
    uint8_t *copy = g_malloc(b->len ? b->len : 1);
    memcpy(copy, b->bytes, b->len);
    size_t len = b->len == 1 ? 0 : b->len; /* "empty" is one placeholder byte */
    int r = mp_dns_msg_parse(copy, len, m);
    if (r != b->err)
        g_error("%s: got %d (%s), expected %d (%s)", b->what, r, mp_wire_strerror(r), b->err,
                mp_wire_strerror(b->err));
    /* Every prefix is rejected too, never with a read past it. */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *pre = g_malloc(cut ? cut : 1);
        memcpy(pre, b->bytes, cut);
        g_assert_cmpint(mp_dns_msg_parse(pre, cut, m), <, 0);
        g_free(pre);
    }
    g_free(copy);
    g_free(m);
}

/* ======================================================================== */
/* Worlds                                                                     */

#define RATE 10000000u
#define DELAY MP_MS(5)
#define NS_ADDR "10.0.2.2"

struct fx {
    struct mp_world *w;
    struct mp_node *client, *r1, *server;
};

/* client -- r1 -- server; the client has IPv6 only if |client_v6|. */
static void fx_init(struct fx *f, bool client_v6)
{
    struct mp_world_conf wc = {.seed = 1};
    struct fx_chain c;
    fx_chain_build(&c, &wc, RATE, DELAY, client_v6, false);
    *f = (struct fx){c.w, c.client, c.r1, c.server};
}

static void fx_free(struct fx *f)
{
    mp_world_free(f->w);
}

/* Time on one link of an IP packet of |ip_len| bytes. */
static uint64_t hop(uint32_t ip_len)
{
    return ((uint64_t)ip_len * 8u * 1000000000u + RATE - 1) / RATE + DELAY;
}

/* Time of a query of |qlen| DNS bytes and its answer of |rlen| over
 * IPv4 through r1 and back. */
static uint64_t rtt4(uint32_t qlen, uint32_t rlen)
{
    return 2 * hop(28 + qlen) + 2 * hop(28 + rlen);
}

static struct mp_proc *spawn_server(struct mp_node *n, const char *cmd)
{
    gchar **argv = g_strsplit(cmd, " ", -1);
    struct mp_proc *p = mp_proc_spawn(mp_node_procs(n), argv[0], 0, mp_app_dns_server_main,
                                      (int)g_strv_length(argv), argv, 0);
    g_assert_nonnull(p);
    g_strfreev(argv);
    return p;
}

/* ---- a lookup run in a process ---- */

enum api { API_GHBN, API_GAI, API_LOOKUP };

struct job {
    const char *name;
    int af;
    enum api api;
    const char *service;
    int flags, socktype;
    const char *server; /* NULL: leave the default */
    uint16_t server_port;
    uint64_t timeout;
    unsigned attempts;
    /* results */
    int rc;     /* gai code, or h_errno */
    int family; /* h_addrtype or the first ai_family */
    size_t n_ai;
    size_t n;
    struct mp_ip addrs[AFMP_RES_MAX_ADDRS];
    uint16_t ports[AFMP_RES_MAX_ADDRS];
    char hname[256];
    int h_length;
    mp_time_t t0, t1;
};

static void take_container(struct job *j, const struct sockaddr *sa, socklen_t len)
{
    struct mp_endpoint ep[AFMP_RES_MAX_ADDRS];
    size_t n = 0;
    g_assert_cmpint(afmp_mp_to_endpoints(sa, len, ep, G_N_ELEMENTS(ep), &n), ==, 0);
    for (size_t i = 0; i < n && j->n < G_N_ELEMENTS(j->addrs); i++) {
        j->ports[j->n] = ep[i].port;
        j->addrs[j->n++] = ep[i].ip;
    }
}

static void take_sockaddr(struct job *j, const struct sockaddr *sa)
{
    struct mp_ip ip = {0};
    uint16_t port;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        ip.v = 4;
        memcpy(ip.b, &in->sin_addr, 4);
        port = ntohs(in->sin_port);
    } else {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        ip.v = 6;
        memcpy(ip.b, &in6->sin6_addr, 16);
        port = ntohs(in6->sin6_port);
    }
    j->ports[j->n] = port;
    j->addrs[j->n++] = ip;
}

static int job_main(int argc, char **argv)
{
    struct job *j;
    g_assert_cmpint(argc, ==, 2);
    g_assert_cmpint(sscanf(argv[1], "%p", (void **)&j), ==, 1);
    if (j->server) {
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(j->server_port)};
        struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(j->server_port)};
        if (inet_pton(AF_INET, j->server, &in.sin_addr) == 1)
            g_assert_cmpint(afmp_resolver_set_server((struct sockaddr *)&in, sizeof(in)), ==, 0);
        else {
            g_assert_cmpint(inet_pton(AF_INET6, j->server, &in6.sin6_addr), ==, 1);
            g_assert_cmpint(afmp_resolver_set_server((struct sockaddr *)&in6, sizeof(in6)), ==, 0);
        }
    }
    if (j->timeout)
        g_assert_cmpint(afmp_resolver_set_options(j->timeout, j->attempts), ==, 0);
    j->t0 = afmp_now_ns();
    if (j->api == API_GHBN) {
        struct hostent *he = afmp_gethostbyname2(j->name, j->af);
        j->t1 = afmp_now_ns();
        j->rc = afmp_h_errno;
        if (he) {
            g_assert_cmpint(j->rc, ==, 0);
            j->family = he->h_addrtype;
            j->h_length = he->h_length;
            g_strlcpy(j->hname, he->h_name, sizeof(j->hname));
            g_assert_null(he->h_aliases[0]);
            if (he->h_addrtype == AF_MULTIPATH) {
                g_assert_nonnull(he->h_addr_list[0]);
                g_assert_null(he->h_addr_list[1]);
                take_container(j, (const struct sockaddr *)he->h_addr_list[0],
                               (socklen_t)he->h_length);
            } else {
                for (size_t i = 0; he->h_addr_list[i]; i++) {
                    struct mp_ip ip = {.v = he->h_addrtype == AF_INET ? 4 : 6};
                    memcpy(ip.b, he->h_addr_list[i], (size_t)he->h_length);
                    j->addrs[j->n++] = ip;
                }
            }
        } else {
            g_assert_cmpint(j->rc, !=, 0);
        }
    } else if (j->api == API_GAI) {
        struct addrinfo hints = {
            .ai_family = j->af, .ai_flags = j->flags, .ai_socktype = j->socktype};
        struct addrinfo *res = NULL;
        j->rc = afmp_getaddrinfo(j->name, j->service, &hints, &res);
        j->t1 = afmp_now_ns();
        if (res)
            j->family = res->ai_family;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            j->n_ai++;
            if (ai->ai_canonname)
                g_strlcpy(j->hname, ai->ai_canonname, sizeof(j->hname));
            if (ai->ai_family == AF_MULTIPATH)
                take_container(j, ai->ai_addr, ai->ai_addrlen);
            else
                take_sockaddr(j, ai->ai_addr);
        }
        afmp_freeaddrinfo(res);
    } else {
        j->rc = afmp_resolver_lookup(j->name, j->af, j->addrs, G_N_ELEMENTS(j->addrs), &j->n);
        j->t1 = afmp_now_ns();
    }
    return 0;
}

static struct mp_proc *spawn_job(struct fx *f, struct job *j, mp_time_t start)
{
    char ptr[32];
    g_snprintf(ptr, sizeof(ptr), "%p", (void *)j);
    char *argv[] = {"lookup", ptr};
    struct mp_proc *p =
        mp_proc_spawn(mp_node_procs(f->client), "lookup", start, job_main, 2, argv, 0);
    g_assert_nonnull(p);
    return p;
}

static void assert_addrs(const struct job *j, const char *const *want, size_t n)
{
    if (j->n != n)
        g_error("%s: %zu addresses, expected %zu", j->name, j->n, n);
    for (size_t i = 0; i < n; i++) {
        struct mp_ip ip;
        char got[MP_IP_STRLEN];
        g_assert_cmpint(mp_ip_parse(want[i], &ip), ==, 0);
        if (!mp_ip_eq(&ip, &j->addrs[i]))
            g_error("%s: address %zu is %s, expected %s", j->name, i, mp_ip_str(&j->addrs[i], got),
                    want[i]);
    }
}

#define ZONE "dns-server --record www.example=10.0.2.2,10.0.2.3,2001:db8:2::2"

/* Runs |job| (from 1 ms) against a dns-server started with |cmd| on the
 * server host. */
static struct mp_proc *run_one(struct fx *f, const char *cmd, struct job *j)
{
    struct mp_proc *srv = spawn_server(f->server, cmd);
    struct mp_proc *p = spawn_job(f, j, MP_MS(1));
    mp_world_run(f->w, MP_S(60));
    g_assert_true(mp_proc_ended(p));
    g_assert_cmpint(mp_proc_exit_status(p), ==, 0);
    return srv;
}

/* ---- lookups ---- */

static void test_inet(void)
{
    struct fx f;
    fx_init(&f, true);
    struct job j = {.name = "www.example.", .af = AF_INET, .api = API_GHBN, .server = NS_ADDR};
    struct mp_proc *srv = run_one(&f, ZONE, &j);
    static const char *const want[] = {"10.0.2.2", "10.0.2.3"};
    g_assert_cmpint(j.rc, ==, 0);
    g_assert_cmpint(j.family, ==, AF_INET);
    g_assert_cmpint(j.h_length, ==, 4);
    g_assert_cmpstr(j.hname, ==, "www.example");
    assert_addrs(&j, want, 2);
    /* Query: 12 + 13 ("www.example") + 4 = 29 bytes; answer: 29 + 2 * 16. */
    g_assert_cmpuint(j.t1 - j.t0, ==, rtt4(29, 29 + 2 * 16));
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 1);
    g_assert_cmpint(fx_result(f.server, srv, "queries_a"), ==, 1);
    g_assert_cmpint(fx_result(f.server, srv, "queries_aaaa"), ==, 0);
    g_assert_cmpint(fx_result(f.server, srv, "answers_a"), ==, 2);
    g_assert_cmpint(fx_result(f.server, srv, "responses_noerror"), ==, 1);
    fx_free(&f);
}

static void test_inet6(void)
{
    struct fx f;
    fx_init(&f, true);
    struct job j = {.name = "WWW.Example",
                    .af = AF_INET6,
                    .api = API_GAI,
                    .service = "8080",
                    .socktype = SOCK_DGRAM,
                    .flags = AI_CANONNAME,
                    .server = NS_ADDR};
    struct mp_proc *srv = run_one(&f, ZONE, &j);
    static const char *const want[] = {"2001:db8:2::2"};
    g_assert_cmpint(j.rc, ==, 0);
    g_assert_cmpint(j.family, ==, AF_INET6);
    g_assert_cmpuint(j.n_ai, ==, 1);
    assert_addrs(&j, want, 1);
    g_assert_cmpuint(j.ports[0], ==, 8080);
    g_assert_cmpstr(j.hname, ==, "WWW.Example");
    g_assert_cmpuint(j.t1 - j.t0, ==, rtt4(29, 29 + 28));
    g_assert_cmpint(fx_result(f.server, srv, "queries_aaaa"), ==, 1);
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 1);
    g_assert_cmpint(fx_result(f.server, srv, "answers_aaaa"), ==, 1);
    fx_free(&f);
}

/* AF_UNSPEC through getaddrinfo: both families, one entry per address and
 * socket type, RFC 6724 order (IPv6 first for a dual-stack host). */
static void test_unspec(void)
{
    struct fx f;
    fx_init(&f, true);
    /* The server asked over IPv6 this time. */
    struct job j = {.name = "www.example",
                    .af = AF_UNSPEC,
                    .api = API_GAI,
                    .service = "http",
                    .server = "2001:db8:2::2"};
    struct mp_proc *srv = run_one(&f, ZONE, &j);
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 2);
    g_assert_cmpint(j.rc, ==, 0);
    g_assert_cmpuint(j.n_ai, ==, 6); /* 3 addresses x (stream, dgram) */
    g_assert_cmpint(j.family, ==, AF_INET6);
    static const char *const want[] = {"2001:db8:2::2", "2001:db8:2::2", "10.0.2.2",
                                       "10.0.2.2",      "10.0.2.3",      "10.0.2.3"};
    assert_addrs(&j, want, 6);
    g_assert_cmpuint(j.ports[5], ==, 80);
    fx_free(&f);
}

/* AF_MULTIPATH on a dual-stack host: one container, IPv6 first (RFC 6724
 * rule 6, default policy: ::/0 precedence 40 over ::ffff:0:0/96's 35); both
 * queries were on the wire before the first answer came back. */
static void test_multipath_dual(void)
{
    struct fx f;
    fx_init(&f, true);
    struct job j = {.name = "www.example",
                    .af = AF_MULTIPATH,
                    .api = API_GAI,
                    .service = "443",
                    .socktype = SOCK_STREAM,
                    .server = NS_ADDR};
    struct mp_proc *srv = run_one(&f, ZONE " --delay 100ms", &j);
    static const char *const want[] = {"2001:db8:2::2", "10.0.2.2", "10.0.2.3"};
    g_assert_cmpint(j.rc, ==, 0);
    g_assert_cmpint(j.family, ==, AF_MULTIPATH);
    g_assert_cmpuint(j.n_ai, ==, 1);
    assert_addrs(&j, want, 3);
    for (size_t i = 0; i < 3; i++)
        g_assert_cmpuint(j.ports[i], ==, 443);
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 2);
    g_assert_cmpint(fx_result(f.server, srv, "queries_a"), ==, 1);
    g_assert_cmpint(fx_result(f.server, srv, "queries_aaaa"), ==, 1);
    /* The second query reached the server before the first answer even
     * left it: parallel, not one after the other. */
    int64_t q1 = fx_result(f.server, srv, "first_query_ns"),
            q2 = fx_result(f.server, srv, "last_query_ns");
    g_assert_cmpint(q2, >, q1);
    g_assert_cmpint(q2 - q1, <, (int64_t)MP_MS(100));
    /* The lookup ends when the AAAA answer arrives. It left right behind
     * the A query, so it waited for the A query's serialisation on l1
     * (57 B: 45.6 us); its answer (85 B) waited for the A answer's (89 B:
     * 71.2 us) on l2 less its own head start: 25.6 us; and on l1 back
     * 3.2 us (71.2 - 68.0). */
    uint64_t rtt_aaaa = rtt4(29, 29 + 28);
    g_test_message("AF_MULTIPATH lookup with a 100 ms answer delay: %" G_GUINT64_FORMAT
                   " ns; queries %" G_GINT64_FORMAT " ns apart",
                   j.t1 - j.t0, q2 - q1);
    g_assert_cmpint(q2 - q1, ==, 45600);
    g_assert_cmpuint(j.t1 - j.t0, ==, MP_MS(100) + rtt_aaaa + 45600 + 25600 + 3200);
    fx_free(&f);
}

/* A host with IPv4 only: IPv6 destinations are unreachable (rule 1), so
 * IPv4 comes first; gethostbyname2 gives the container as one address. */
static void test_multipath_v4only(void)
{
    struct fx f;
    fx_init(&f, false);
    struct job j = {.name = "www.example", .af = AF_MULTIPATH, .api = API_GHBN, .server = NS_ADDR};
    struct mp_proc *srv = run_one(&f, ZONE, &j);
    static const char *const want[] = {"10.0.2.2", "10.0.2.3", "2001:db8:2::2"};
    g_assert_cmpint(j.rc, ==, 0);
    g_assert_cmpint(j.family, ==, AF_MULTIPATH);
    g_assert_cmpint(j.h_length, ==, 4 + 8 + 8 + 20);
    assert_addrs(&j, want, 3);
    g_assert_cmpuint(j.ports[0], ==, 0);
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 2);
    fx_free(&f);
}

/* The answer delay shows in the lookup time exactly. */
static void test_delay(void)
{
    struct fx f;
    fx_init(&f, true);
    struct job j = {.name = "www.example", .af = AF_INET, .api = API_LOOKUP, .server = NS_ADDR};
    run_one(&f, ZONE " --delay 250ms", &j);
    g_assert_cmpint(j.rc, ==, 0);
    g_assert_cmpuint(j.n, ==, 2);
    g_assert_cmpuint(j.t1 - j.t0, ==, MP_MS(250) + rtt4(29, 29 + 2 * 16));
    fx_free(&f);
}

static void test_numeric(void)
{
    static const struct {
        const char *name;
        int af;
        int rc;
        const char *want;
    } cases[] = {
        {"10.0.0.1", AF_INET, 0, "10.0.0.1"},
        {"10.0.0.1", AF_MULTIPATH, 0, "10.0.0.1"},
        {"2001:db8::1", AF_INET6, 0, "2001:db8::1"},
        {"2001:db8::1", AF_MULTIPATH, 0, "2001:db8::1"},
        {"2001:db8::1", AF_INET, HOST_NOT_FOUND, NULL},
    };
    struct fx f;
    fx_init(&f, true);
    struct mp_proc *srv = spawn_server(f.server, ZONE);
    struct job jobs[G_N_ELEMENTS(cases)];
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        jobs[i] = (struct job){
            .name = cases[i].name, .af = cases[i].af, .api = API_GHBN, .server = NS_ADDR};
        spawn_job(&f, &jobs[i], MP_MS(1));
    }
    mp_world_run(f.w, MP_S(1));
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_cmpint(jobs[i].rc, ==, cases[i].rc);
        g_assert_cmpuint(jobs[i].t1, ==, jobs[i].t0);
        if (cases[i].want)
            assert_addrs(&jobs[i], &cases[i].want, 1);
    }
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 0);
    fx_free(&f);
}

/* ---- failure modes ---- */

struct fail_case {
    const char *path;
    const char *fail; /* --fail value */
    int af;
    enum api api;
    int rc;
    const char *want[3];
    size_t n;
};

static const struct fail_case fail_cases[] = {
    {"a-only/multipath",
     "www.example=a-only",
     AF_MULTIPATH,
     API_GHBN,
     0,
     {"10.0.2.2", "10.0.2.3"},
     2},
    {"a-only/inet6", "www.example=a-only", AF_INET6, API_GHBN, NO_DATA, {NULL}, 0},
    {"a-only/inet6-gai", "www.example=a-only", AF_INET6, API_GAI, EAI_NODATA, {NULL}, 0},
    {"aaaa-only/multipath",
     "www.example=aaaa-only",
     AF_MULTIPATH,
     API_GAI,
     0,
     {"2001:db8:2::2"},
     1},
    {"aaaa-only/inet", "www.example=aaaa-only", AF_INET, API_GHBN, NO_DATA, {NULL}, 0},
    {"nxdomain/inet", "www.example=nxdomain", AF_INET, API_GHBN, HOST_NOT_FOUND, {NULL}, 0},
    {"nxdomain/multipath", "www.example=nxdomain", AF_MULTIPATH, API_GAI, EAI_NONAME, {NULL}, 0},
    {"nxdomain/unknown", "other.example=nxdomain", AF_INET6, API_GHBN, 0, {"2001:db8:2::2"}, 1},
    {"servfail/inet", "www.example=servfail", AF_INET, API_GHBN, TRY_AGAIN, {NULL}, 0},
    {"servfail/gai", "www.example=servfail", AF_UNSPEC, API_GAI, EAI_AGAIN, {NULL}, 0},
};

static void test_fail(gconstpointer data)
{
    const struct fail_case *c = data;
    struct fx f;
    fx_init(&f, true);
    char *cmd = g_strdup_printf(ZONE " --fail %s", c->fail);
    struct job j = {.name = "www.example", .af = c->af, .api = c->api, .server = NS_ADDR};
    struct mp_proc *srv = run_one(&f, cmd, &j);
    g_free(cmd);
    g_assert_cmpint(j.rc, ==, c->rc);
    if (c->api == API_GHBN || c->af == AF_MULTIPATH)
        assert_addrs(&j, c->want, c->n);
    /* Every answer came at once: no retries, no timeouts. */
    int64_t q = fx_result(f.server, srv, "queries");
    g_assert_cmpint(q, ==, c->af == AF_MULTIPATH || c->af == AF_UNSPEC ? 2 : 1);
    g_assert_cmpint(fx_result(f.server, srv, "responses"), ==, q);
    g_assert_cmpuint(j.t1 - j.t0, <, MP_MS(30));
    fx_free(&f);
}

/* A silent server: the lookup takes exactly attempts x timeout, and every
 * attempt sends the query again. */
static void test_timeout(void)
{
    struct fx f;
    fx_init(&f, true);
    struct job j = {.name = "www.example",
                    .af = AF_INET,
                    .api = API_GHBN,
                    .server = NS_ADDR,
                    .timeout = MP_MS(1500),
                    .attempts = 3};
    struct mp_proc *srv = run_one(&f, ZONE " --fail www.example=timeout", &j);
    g_assert_cmpint(j.rc, ==, TRY_AGAIN);
    g_assert_cmpuint(j.t1 - j.t0, ==, 3 * MP_MS(1500));
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 3);
    g_assert_cmpint(fx_result(f.server, srv, "dropped"), ==, 3);
    g_assert_cmpint(fx_result(f.server, srv, "responses"), ==, 0);

    /* The defaults: 2 attempts of 5 s, as glibc. */
    fx_free(&f);
    fx_init(&f, true);
    struct job d = {.name = "www.example", .af = AF_MULTIPATH, .api = API_GAI, .server = NS_ADDR};
    srv = run_one(&f, ZONE " --fail www.example=timeout", &d);
    g_assert_cmpint(d.rc, ==, EAI_AGAIN);
    g_assert_cmpuint(d.t1 - d.t0, ==, 2 * AFMP_RES_TIMEOUT);
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 4);
    fx_free(&f);
}

/* A server that answers AAAA and never A: the AF_MULTIPATH lookup waits
 * out the A query's attempts, resends only the A query, and still returns
 * the IPv6 address. */
static int aaaa_only_server(int argc, char **argv)
{
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(5353)};
    int fd = afmp_socket(AF_INET, SOCK_DGRAM, 0);
    g_assert_cmpint(afmp_bind(fd, (struct sockaddr *)&at, sizeof(at)), ==, 0);
    struct mp_dns_msg qm, *q = &qm; /* on the stack: the process is never ended cleanly */
    int64_t a = 0, aaaa = 0;
    for (;;) {
        uint8_t buf[512];
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t len = afmp_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
        g_assert_cmpint(len, >, 0);
        g_assert_cmpint(mp_dns_msg_parse(buf, (size_t)len, q), ==, 0);
        if (q->question[0].qtype == MP_DNS_TYPE_A) {
            afmp_result("a", ++a);
            continue;
        }
        afmp_result("aaaa", ++aaaa);
        q->h.qr = true;
        q->n_answer = 1;
        q->answer[0] = (struct mp_dns_rr){.name = q->question[0].name,
                                          .type = MP_DNS_TYPE_AAAA,
                                          .rclass = MP_DNS_CLASS_IN,
                                          .ttl = 1};
        g_assert_cmpint(mp_ip_parse("2001:db8:9::9", &q->answer[0].addr), ==, 0);
        len = mp_dns_msg_emit(buf, sizeof(buf), q, MP_DNS_EMIT_COMPRESS);
        g_assert_cmpint(afmp_sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&from, flen), ==,
                        len);
    }
    return 0; /* not reached: the world ends the process */
}

static void test_partial_timeout(void)
{
    struct fx f;
    fx_init(&f, true);
    struct mp_proc *srv =
        mp_proc_spawn(mp_node_procs(f.server), "picky", 0, aaaa_only_server, 0, NULL, 0);
    struct job j = {.name = "picky.example",
                    .af = AF_MULTIPATH,
                    .api = API_GAI,
                    .server = NS_ADDR,
                    .server_port = 5353,
                    .timeout = MP_S(1),
                    .attempts = 2};
    spawn_job(&f, &j, MP_MS(1));
    mp_world_run(f.w, MP_S(10));
    static const char *const want[] = {"2001:db8:9::9"};
    g_assert_cmpint(j.rc, ==, 0);
    assert_addrs(&j, want, 1);
    g_assert_cmpuint(j.t1 - j.t0, ==, MP_S(2));
    g_assert_cmpint(fx_result(f.server, srv, "a"), ==, 2);
    g_assert_cmpint(fx_result(f.server, srv, "aaaa"), ==, 1);
    /* The process is still blocked in recvfrom: world teardown frees it. */
    fx_free(&f);
}

/* No server configured: the default is 127.0.0.1 port 53, which nothing on
 * this host answers. */
static void test_no_server(void)
{
    struct fx f;
    fx_init(&f, true);
    struct job j = {.name = "www.example", .af = AF_INET, .api = API_GAI};
    spawn_job(&f, &j, 0);
    mp_world_run(f.w, MP_S(30));
    g_assert_cmpint(j.rc, ==, EAI_AGAIN);
    g_assert_cmpuint(j.t1 - j.t0, <=, 2 * AFMP_RES_TIMEOUT);
    g_test_message("no server: EAI_AGAIN after %" G_GUINT64_FORMAT " ns", j.t1 - j.t0);
    fx_free(&f);
}

/* ---- getaddrinfo arguments ---- */

static void test_gai_args(void)
{
    static const struct {
        const char *node, *service;
        int af, flags, socktype;
        int rc;
        size_t n_ai;
        const char *first;
        uint16_t port;
    } cases[] = {
        {NULL, NULL, AF_UNSPEC, 0, 0, EAI_NONAME, 0, NULL, 0},
        {"10.0.0.1", NULL, 99, 0, 0, EAI_FAMILY, 0, NULL, 0},
        {"10.0.0.1", NULL, AF_INET, 0x4000, 0, EAI_BADFLAGS, 0, NULL, 0},
        {NULL, "80", AF_INET, AI_CANONNAME, 0, EAI_BADFLAGS, 0, NULL, 0},
        {"10.0.0.1", "nosuch", AF_INET, 0, 0, EAI_SERVICE, 0, NULL, 0},
        {"10.0.0.1", "70000", AF_INET, 0, 0, EAI_SERVICE, 0, NULL, 0},
        {"10.0.0.1", "http", AF_INET, AI_NUMERICSERV, 0, EAI_NONAME, 0, NULL, 0},
        {"10.0.0.1", "80", AF_INET, 0, 77, EAI_SOCKTYPE, 0, NULL, 0},
        {"www.example", NULL, AF_INET, AI_NUMERICHOST, 0, EAI_NONAME, 0, NULL, 0},
        {"2001:db8::1", NULL, AF_INET, 0, 0, EAI_ADDRFAMILY, 0, NULL, 0},
        {"10.0.0.1", NULL, AF_INET6, 0, 0, EAI_ADDRFAMILY, 0, NULL, 0},
        {"10.0.0.1", NULL, AF_INET6, AI_V4MAPPED, SOCK_DGRAM, 0, 1, "::ffff:10.0.0.1", 0},
        {"10.0.0.1", "domain", AF_UNSPEC, 0, 0, 0, 2, "10.0.0.1", 53},
        {"10.0.0.1", "9", AF_INET, 0, SOCK_STREAM, 0, 1, "10.0.0.1", 9},
        {NULL, "80", AF_UNSPEC, AI_PASSIVE, SOCK_STREAM, 0, 2, "0.0.0.0", 80},
        {NULL, "80", AF_INET6, 0, SOCK_STREAM, 0, 1, "::1", 80},
        {NULL, "80", AF_MULTIPATH, AI_PASSIVE, SOCK_STREAM, 0, 1, "0.0.0.0", 80},
        {"bad..name", NULL, AF_INET, 0, 0, EAI_NONAME, 0, NULL, 0},
    };
    struct fx f;
    fx_init(&f, true);
    struct job jobs[G_N_ELEMENTS(cases)];
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        jobs[i] = (struct job){.name = cases[i].node,
                               .service = cases[i].service,
                               .af = cases[i].af,
                               .flags = cases[i].flags,
                               .socktype = cases[i].socktype,
                               .api = API_GAI};
        spawn_job(&f, &jobs[i], 0);
    }
    mp_world_run(f.w, MP_S(1));
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const struct job *j = &jobs[i];
        if (j->rc != cases[i].rc)
            g_error("case %zu: %d (%s), expected %d", i, j->rc, afmp_gai_strerror(j->rc),
                    cases[i].rc);
        g_assert_cmpuint(j->n_ai, ==, cases[i].n_ai);
        g_assert_cmpuint(j->t1, ==, j->t0);
        if (cases[i].first) {
            struct mp_ip ip;
            g_assert_cmpint(mp_ip_parse(cases[i].first, &ip), ==, 0);
            g_assert_true(mp_ip_eq(&ip, &j->addrs[0]));
        }
        if (cases[i].n_ai)
            g_assert_cmpuint(j->ports[0], ==, cases[i].port);
    }
    g_assert_cmpstr(afmp_gai_strerror(EAI_NONAME), ==, "name or service not known");
    g_assert_cmpstr(afmp_hstrerror(HOST_NOT_FOUND), ==, "unknown host");
    fx_free(&f);
}

/* ---- the server's options and zone file ---- */

static void test_zone_file(void)
{
    char *dir = g_dir_make_tmp("afmp-dns-XXXXXX", NULL);
    char *path = g_build_filename(dir, "zone", NULL);
    g_assert_true(g_file_set_contents(path,
                                      "# test zone\n"
                                      "alpha.test 10.0.9.1 2001:db8:9::1\n"
                                      "beta.test = 10.0.9.2, 10.0.9.3 ; comment\n"
                                      "\n",
                                      -1, NULL));
    struct fx f;
    fx_init(&f, true);
    char *cmd = g_strdup_printf("dns-server --zone-file %s --record gamma.test=10.0.9.4", path);
    struct mp_proc *srv = spawn_server(f.server, cmd);
    g_free(cmd);
    struct job ja = {
        .name = "alpha.test", .af = AF_MULTIPATH, .api = API_LOOKUP, .server = NS_ADDR};
    struct job jb = {.name = "Beta.Test", .af = AF_INET, .api = API_LOOKUP, .server = NS_ADDR};
    struct job jc = {.name = "gamma.test", .af = AF_INET, .api = API_LOOKUP, .server = NS_ADDR};
    struct job jd = {.name = "delta.test", .af = AF_INET, .api = API_LOOKUP, .server = NS_ADDR};
    spawn_job(&f, &ja, MP_MS(1));
    spawn_job(&f, &jb, MP_MS(2));
    spawn_job(&f, &jc, MP_MS(3));
    spawn_job(&f, &jd, MP_MS(4));
    mp_world_run(f.w, MP_S(5));
    static const char *const wa[] = {"2001:db8:9::1", "10.0.9.1"};
    static const char *const wb[] = {"10.0.9.2", "10.0.9.3"};
    static const char *const wc[] = {"10.0.9.4"};
    assert_addrs(&ja, wa, 2);
    assert_addrs(&jb, wb, 2);
    assert_addrs(&jc, wc, 1);
    g_assert_cmpint(jd.rc, ==, HOST_NOT_FOUND);
    g_assert_cmpint(fx_result(f.server, srv, "responses_nxdomain"), ==, 1);
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 5);
    fx_free(&f);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

struct opt_case {
    const char *cmd;
    int status;
    const char *log;
};

static const struct opt_case opt_cases[] = {
    {"dns-server --record www", 2, "--record: expected NAME=ADDR"},
    {"dns-server --record www=10.0.0.256", 2, "'10.0.0.256': expected an IPv4 or IPv6 address"},
    {"dns-server --record a..b=10.0.0.1", 2, "is not a domain name"},
    {"dns-server --record www=", 2, "no address for 'www'"},
    {"dns-server --fail www=explode", 2, "--fail: expected NAME=nxdomain"},
    {"dns-server --port 0", 2, "--port: expected 1..65535"},
    {"dns-server --delay 5", 2, "--delay: expected a time"},
    {"dns-server --zone-file /nonexistent/zone", 2, "--zone-file:"},
    {"dns-server extra", 2, "unexpected argument 'extra'"},
    {"dns-server --help", 0, "--record"},
};

static void test_server_options(gconstpointer data)
{
    const struct opt_case *c = data;
    struct fx f;
    fx_init(&f, true);
    struct mp_proc *p = spawn_server(f.server, c->cmd);
    mp_world_run(f.w, MP_S(1));
    g_assert_true(mp_proc_ended(p));
    g_assert_cmpint(mp_proc_exit_status(p), ==, c->status);
    if (!strstr(fx_log(f.server, p), c->log))
        g_error("log of '%s' lacks '%s':\n%s", c->cmd, c->log, fx_log(f.server, p));
    fx_free(&f);
}

/* Queries the server must not answer normally: FORMERR for two questions,
 * NOTIMP for another opcode, REFUSED for class CH, nothing for a response
 * or a runt. */
static int odd_client(int argc, char **argv)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(53)};
    inet_pton(AF_INET, NS_ADDR, &to.sin_addr);
    int fd = afmp_socket(AF_INET, SOCK_DGRAM, 0);
    struct mp_dns_msg *m = g_new(struct mp_dns_msg, 1);
    uint8_t q[64], r[512];
    struct mp_dns_name n;
    g_assert_cmpint(mp_dns_name_from_text("www.example", &n), ==, 0);
    int len = mp_dns_query_emit(q, sizeof(q), 7, &n, MP_DNS_TYPE_A, true);
    static const int expect[] = {MP_DNS_RCODE_FORMERR, MP_DNS_RCODE_NOTIMP, MP_DNS_RCODE_REFUSED,
                                 -1, -1};
    for (int k = 0; k < 5; k++) {
        uint8_t b[64];
        size_t blen = (size_t)len;
        memcpy(b, q, blen);
        if (k == 0)
            b[5] = 2; /* qdcount 2 with one question */
        if (k == 1)
            b[2] |= 2 << 3; /* opcode STATUS */
        if (k == 2)
            b[blen - 1] = 3; /* class CH */
        if (k == 3)
            b[2] |= 0x80; /* a response */
        if (k == 4)
            blen = 5;
        g_assert_cmpint(afmp_sendto(fd, b, blen, 0, (struct sockaddr *)&to, sizeof(to)), ==,
                        (ssize_t)blen);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = afmp_poll(&pfd, 1, 200);
        if (expect[k] < 0) {
            g_assert_cmpint(ready, ==, 0);
            continue;
        }
        g_assert_cmpint(ready, ==, 1);
        ssize_t rl = afmp_recv(fd, r, sizeof(r), 0);
        g_assert_cmpint(mp_dns_msg_parse(r, (size_t)rl, m), ==, 0);
        g_assert_true(m->h.qr);
        g_assert_cmpuint(m->h.id, ==, 7);
        g_assert_cmpint(m->h.rcode, ==, expect[k]);
        g_assert_cmpuint(m->n_answer, ==, 0);
    }
    g_free(m);
    afmp_close(fd);
    return 0;
}

static void test_server_odd_queries(void)
{
    struct fx f;
    fx_init(&f, true);
    struct mp_proc *srv = spawn_server(f.server, ZONE);
    struct mp_proc *c =
        mp_proc_spawn(mp_node_procs(f.client), "odd", MP_MS(1), odd_client, 0, NULL, 0);
    mp_world_run(f.w, MP_S(5));
    g_assert_true(mp_proc_ended(c));
    g_assert_cmpint(mp_proc_exit_status(c), ==, 0);
    g_assert_cmpint(fx_result(f.server, srv, "malformed"), ==, 2); /* FORMERR and the runt */
    g_assert_cmpint(fx_result(f.server, srv, "responses_other"), ==, 3);
    g_assert_cmpint(fx_result(f.server, srv, "queries"), ==, 3);
    fx_free(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dns/wire/name-text", test_name_text);
    g_test_add_func("/dns/wire/query-bytes", test_query_bytes);
    g_test_add_func("/dns/wire/response-bytes", test_response_bytes);
    g_test_add_func("/dns/wire/roundtrip", test_roundtrip);
    g_test_add_func("/dns/wire/truncate", test_truncate);
    g_test_add_func("/dns/wire/many-answers", test_many_answers);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_msgs); i++) {
        char *path = g_strdup_printf("/dns/wire/malformed/%zu", i);
        g_test_add_data_func(path, &bad_msgs[i], test_malformed);
        g_free(path);
    }
    g_test_add_func("/dns/resolve/inet", test_inet);
    g_test_add_func("/dns/resolve/inet6", test_inet6);
    g_test_add_func("/dns/resolve/unspec", test_unspec);
    g_test_add_func("/dns/resolve/multipath-dual", test_multipath_dual);
    g_test_add_func("/dns/resolve/multipath-v4only", test_multipath_v4only);
    g_test_add_func("/dns/resolve/delay", test_delay);
    g_test_add_func("/dns/resolve/numeric", test_numeric);
    g_test_add_func("/dns/resolve/timeout", test_timeout);
    g_test_add_func("/dns/resolve/partial-timeout", test_partial_timeout);
    g_test_add_func("/dns/resolve/no-server", test_no_server);
    g_test_add_func("/dns/resolve/getaddrinfo-args", test_gai_args);
    for (size_t i = 0; i < G_N_ELEMENTS(fail_cases); i++) {
        char *path = g_strdup_printf("/dns/fail/%s", fail_cases[i].path);
        g_test_add_data_func(path, &fail_cases[i], test_fail);
        g_free(path);
    }
    g_test_add_func("/dns/server/zone-file", test_zone_file);
    g_test_add_func("/dns/server/odd-queries", test_server_odd_queries);
    for (size_t i = 0; i < G_N_ELEMENTS(opt_cases); i++) {
        char *path = g_strdup_printf("/dns/server/options/%zu", i);
        g_test_add_data_func(path, &opt_cases[i], test_server_options);
        g_free(path);
    }
    return g_test_run();
}
