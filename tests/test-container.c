/*
 * Tests of AF_MULTIPATH containers (afmp/container.c): a table of valid
 * layouts with round trips, the seed's 40-byte example byte by byte, one
 * case per malformed class (each on an exact-size heap copy so that ASan
 * catches any over-read), truncation, editing, comparison, conversion and
 * the text form.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "afmp/sockaddr_mp.h"
#include "model/types.h"

/* Host-order 16-bit field as two bytes, for hand-written containers. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define U16H(x) (uint8_t)((x)&0xff), (uint8_t)((x) >> 8)
#else
#define U16H(x) (uint8_t)((x) >> 8), (uint8_t)((x)&0xff)
#endif
#define HDR(count) U16H(AF_MULTIPATH), U16H(count)
/* 10.0.0.1:80 and [2001:db8::1]:80 */
#define V4E 8, 2, 0, 80, 10, 0, 0, 1
#define V6ADDR 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
#define V6E 20, 10, 0, 80, V6ADDR
/* 10.0.1.1:80 */
#define V4E_B 8, 2, 0, 80, 10, 0, 1, 1

#define SA(p) ((struct sockaddr *)(p))
#define CSA(p) ((const struct sockaddr *)(p))

static struct afmp_mp_entry v4(const char *a, uint16_t port)
{
    struct afmp_mp_entry e;
    memset(&e, 0, sizeof(e));
    e.family = AF_INET;
    e.port = port;
    g_assert_cmpint(inet_pton(AF_INET, a, e.addr), ==, 1);
    return e;
}

static struct afmp_mp_entry v6(const char *a, uint16_t port, uint32_t scope)
{
    struct afmp_mp_entry e;
    memset(&e, 0, sizeof(e));
    e.family = AF_INET6;
    e.port = port;
    e.scope_id = scope;
    g_assert_cmpint(inet_pton(AF_INET6, a, e.addr), ==, 1);
    return e;
}

/* An exact-size heap copy: one byte past |n| is outside the allocation.
 * malloc (not g_malloc) so that 0 bytes still give a pointer. */
static uint8_t *exact(const void *p, size_t n)
{
    uint8_t *c = malloc(n);
    g_assert_nonnull(c);
    if (n)
        memcpy(c, p, n);
    return c;
}

static void assert_entry_eq(const struct afmp_mp_entry *a, const struct afmp_mp_entry *b)
{
    g_assert_cmpint(a->family, ==, b->family);
    g_assert_cmpuint(a->port, ==, b->port);
    g_assert_cmpuint(a->scope_id, ==, b->scope_id);
    g_assert_cmpmem(a->addr, 16, b->addr, 16);
}

/* --- valid layouts ------------------------------------------------------- */

struct spec {
    int fam; /* 4 or 6; 0 ends the list */
    const char *addr;
    uint16_t port;
    uint32_t scope;
};

struct layout {
    const char *name;
    struct spec specs[8];
    int n;            /* -1: generate 32 mixed entries */
    size_t len;       /* expected container length */
    const char *text; /* expected text, NULL: not checked */
};

static const struct layout layouts[] = {
    {"one-v4", {{4, "10.0.0.1", 80, 0}}, 1, 12, "10.0.0.1:80"},
    {"one-v6", {{6, "2001:db8::1", 443, 0}}, 1, 24, "[2001:db8::1]:443"},
    {"v6-scope", {{6, "fe80::1", 80, 2}}, 1, 28, "[fe80::1%2]:80"},
    {"seed",
     {{4, "10.0.0.1", 80, 0}, {4, "10.0.1.1", 80, 0}, {6, "2001:db8::1", 80, 0}},
     3,
     40,
     "10.0.0.1:80,10.0.1.1:80,[2001:db8::1]:80"},
    {"mixed",
     {{6, "fe80::2", 0, 7},
      {4, "192.0.2.7", 65535, 0},
      {6, "::ffff:10.0.0.1", 1, 0},
      {4, "0.0.0.0", 0, 0},
      {6, "::", 9, 0},
      {4, "10.0.0.1", 80, 0},
      {4, "10.0.0.1", 80, 0}},
     7,
     4 + 24 + 8 + 20 + 8 + 20 + 8 + 8,
     "[fe80::2%7]:0,192.0.2.7:65535,[::ffff:10.0.0.1]:1,0.0.0.0:0,[::]:9,10.0.0.1:80,"
     "10.0.0.1:80"},
    {"max-mixed", {{0}}, -1, 0, NULL},
};

/* The entries of a layout; returns their count. */
static int layout_entries(const struct layout *l, struct afmp_mp_entry *e, size_t *len)
{
    if (l->n >= 0) {
        for (int i = 0; i < l->n; i++) {
            const struct spec *s = &l->specs[i];
            e[i] = s->fam == 4 ? v4(s->addr, s->port) : v6(s->addr, s->port, s->scope);
        }
        *len = l->len;
        return l->n;
    }
    /* 32 entries cycling v4, v6, v6 with scope: 4 + 11*8 + 11*20 + 10*24. */
    for (int i = 0; i < AFMP_MP_MAX_ENTRIES; i++) {
        char a[64];
        if (i % 3 == 0) {
            g_snprintf(a, sizeof(a), "10.%d.0.1", i);
            e[i] = v4(a, (uint16_t)(1000 + i));
        } else if (i % 3 == 1) {
            g_snprintf(a, sizeof(a), "2001:db8:%x::1", i);
            e[i] = v6(a, (uint16_t)(2000 + i), 0);
        } else {
            g_snprintf(a, sizeof(a), "fe80::%x", i);
            e[i] = v6(a, (uint16_t)(3000 + i), (uint32_t)i);
        }
    }
    *len = 4 + 11 * 8 + 11 * 20 + 10 * 24;
    return AFMP_MP_MAX_ENTRIES;
}

static void test_layout(gconstpointer data)
{
    const struct layout *l = data;
    struct afmp_mp_entry e[AFMP_MP_MAX_ENTRIES], got;
    struct sockaddr_mp_storage ss, ss2;
    size_t want_len;
    int n = layout_entries(l, e, &want_len);

    /* build */
    socklen_t len = sizeof(ss);
    g_assert_cmpint(afmp_mp_build(SA(&ss), &len, e, (size_t)n), ==, 0);
    g_assert_cmpuint(len, ==, want_len);
    g_assert_cmpuint(len, <=, AFMP_MP_SPACE((size_t)n));
    g_assert_cmpint(ss.smp_family, ==, AF_MULTIPATH);
    g_assert_cmpint(ss.smp_count, ==, n);

    /* the same bytes, appended one at a time */
    socklen_t len2 = 0;
    for (int i = 0; i < n; i++)
        g_assert_cmpint(afmp_mp_append(SA(&ss2), sizeof(ss2), &len2, &e[i]), ==, 0);
    g_assert_cmpmem(&ss, len, &ss2, len2);

    /* iterate, on an exact-size copy */
    uint8_t *c = exact(&ss, len);
    struct afmp_mp_iter it;
    g_assert_cmpint(afmp_mp_check(CSA(c), len), ==, n);
    g_assert_cmpint(afmp_mp_iter_init(&it, CSA(c), len), ==, n);
    for (int i = 0; i < n; i++) {
        g_assert_cmpint(afmp_mp_iter_next(&it, &got), ==, 1);
        assert_entry_eq(&got, &e[i]);
        g_assert_cmpint(afmp_mp_get(CSA(c), len, (size_t)i, &got), ==, 0);
        assert_entry_eq(&got, &e[i]);
    }
    g_assert_cmpint(afmp_mp_iter_next(&it, &got), ==, 0);

    /* text, and back */
    char text[AFMP_MP_STRLEN];
    int tl = afmp_mp_format(CSA(c), len, text, sizeof(text));
    g_assert_cmpint(tl, ==, (int)strlen(text));
    if (l->text)
        g_assert_cmpstr(text, ==, l->text);
    size_t errpos = 99;
    len2 = sizeof(ss2);
    g_assert_cmpint(afmp_mp_parse(text, SA(&ss2), &len2, &errpos), ==, 0);
    g_assert_cmpuint(errpos, ==, 99);
    g_assert_cmpmem(c, len, &ss2, len2);
    g_assert_cmpint(afmp_mp_equal(CSA(c), len, CSA(&ss2), len2), ==, 1);

    /* endpoints, and back (scope ids are lost, so compare those without) */
    struct mp_endpoint ep[AFMP_MP_MAX_ENTRIES];
    size_t nep = 0;
    g_assert_cmpint(afmp_mp_to_endpoints(CSA(c), len, ep, G_N_ELEMENTS(ep), &nep), ==, 0);
    g_assert_cmpuint(nep, ==, (size_t)n);
    for (int i = 0; i < n; i++) {
        g_assert_cmpint(ep[i].ip.v, ==, e[i].family == AF_INET ? 4 : 6);
        g_assert_cmpuint(ep[i].port, ==, e[i].port);
        g_assert_cmpmem(ep[i].ip.b, mp_ip_len(&ep[i].ip), e[i].addr, mp_ip_len(&ep[i].ip));
    }
    len2 = sizeof(ss2);
    g_assert_cmpint(afmp_mp_from_endpoints(ep, nep, SA(&ss2), &len2), ==, 0);
    for (int i = 0; i < n; i++) {
        struct afmp_mp_entry noscope = e[i];
        noscope.scope_id = 0;
        g_assert_cmpint(afmp_mp_get(CSA(&ss2), len2, (size_t)i, &got), ==, 0);
        assert_entry_eq(&got, &noscope);
    }
    free(c);
}

/* The seed's example, two IPv4 and one IPv6, against hand-written bytes. */
static void test_seed_bytes(void)
{
    /* clang-format off */
    static const uint8_t want[40] = {
        U16H(46), U16H(3),                             /* header */
        8, 2, 0, 80, 10, 0, 0, 1,                      /* 10.0.0.1:80 */
        8, 2, 0, 80, 10, 0, 1, 1,                      /* 10.0.1.1:80 */
        20, 10, 0, 80, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* v6 */
    };
    /* clang-format on */
    struct afmp_mp_entry e[3] = {v4("10.0.0.1", 80), v4("10.0.1.1", 80), v6("2001:db8::1", 80, 0)};
    uint8_t buf[64];
    socklen_t len = sizeof(buf);
    g_assert_cmpint(AF_MULTIPATH, ==, 46);
    g_assert_cmpint(PF_MULTIPATH, ==, AF_MULTIPATH);
    g_assert_cmpuint(sizeof(struct sockaddr_mp), ==, AFMP_MP_HDR_LEN);
    g_assert_cmpuint(sizeof(struct sockaddr_mp_storage), >=, AFMP_MP_LEN_MAX);
    g_assert_cmpuint(_Alignof(struct sockaddr_mp_storage), ==, _Alignof(struct sockaddr_storage));
    g_assert_cmpint(afmp_mp_build(SA(buf), &len, e, 3), ==, 0);
    g_assert_cmpuint(len, ==, 40);
    for (size_t i = 0; i < sizeof(want); i++) {
        if (buf[i] != want[i])
            g_error("byte %zu is 0x%02x, want 0x%02x", i, buf[i], want[i]);
    }
    /* the header reads like any sockaddr's family */
    struct sockaddr_mp hdr;
    memcpy(&hdr, buf, sizeof(hdr));
    g_assert_cmpint(hdr.smp_family, ==, AF_MULTIPATH);
    g_assert_cmpint(hdr.smp_count, ==, 3);
}

/* A 24-byte IPv6 entry whose scope id is 0 is accepted and equals the
 * 20-byte form. */
static void test_scope_zero_long_form(void)
{
    static const uint8_t long_form[] = {HDR(1), 24, 10, 0, 80, V6ADDR, 0, 0, 0, 0};
    static const uint8_t short_form[] = {HDR(1), V6E};
    uint8_t *a = exact(long_form, sizeof(long_form));
    uint8_t *b = exact(short_form, sizeof(short_form));
    struct afmp_mp_entry got, want = v6("2001:db8::1", 80, 0);
    g_assert_cmpint(afmp_mp_check(CSA(a), sizeof(long_form)), ==, 1);
    g_assert_cmpint(afmp_mp_get(CSA(a), sizeof(long_form), 0, &got), ==, 0);
    assert_entry_eq(&got, &want);
    g_assert_cmpint(afmp_mp_equal(CSA(a), sizeof(long_form), CSA(b), sizeof(short_form)), ==, 1);
    free(a);
    free(b);
}

/* --- malformed ----------------------------------------------------------- */

struct bad {
    const char *name;
    const uint8_t *bytes;
    size_t len;
};

#define BAD(name, ...)                                                                             \
    static const uint8_t name##_b[] = {__VA_ARGS__};                                               \
    static const struct bad name = {#name, name##_b, sizeof(name##_b)}
#define BAD_CUT(name, n, ...)                                                                      \
    static const uint8_t name##_b[] = {__VA_ARGS__};                                               \
    static const struct bad name = {#name, name##_b, n}

BAD_CUT(len_0, 0, HDR(1), V4E);
BAD_CUT(len_1, 1, HDR(1), V4E);
BAD_CUT(len_3, 3, HDR(1), V4E);
BAD(header_only, HDR(1));
BAD(family_inet, U16H(AF_INET), U16H(1), V4E);
BAD(family_unspec, U16H(0), U16H(1), V4E);
BAD(count_0_empty, HDR(0));
BAD(count_0_entries, HDR(0), V4E);
BAD(count_3_of_2, HDR(3), V4E, V4E);
BAD(count_2_of_3, HDR(2), V4E, V4E, V4E);
BAD(v4_len_0, HDR(1), 0, 2, 0, 80, 10, 0, 0, 1);
BAD(v4_len_7, HDR(1), 7, 2, 0, 80, 10, 0, 0);
BAD(v4_len_7_sum8, HDR(1), 7, 2, 0, 80, 10, 0, 0, 1);
BAD(v4_len_9, HDR(1), 9, 2, 0, 80, 10, 0, 0, 1, 0);
BAD(v4_len_20, HDR(1), 20, 2, 0, 80, V6ADDR);
BAD(v6_len_8, HDR(1), 8, 10, 0, 80, 10, 0, 0, 1);
BAD(v6_len_19, HDR(1), 19, 10, 0, 80, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
BAD(v6_len_21, HDR(1), 21, 10, 0, 80, V6ADDR, 0);
BAD(v6_len_23, HDR(1), 23, 10, 0, 80, V6ADDR, 0, 0, 0);
BAD(v6_len_25, HDR(1), 25, 10, 0, 80, V6ADDR, 0, 0, 0, 0, 0);
BAD(v6_len_24_cut, HDR(1), 24, 10, 0, 80, V6ADDR);
BAD(family_entry_0, HDR(1), 8, 0, 0, 80, 10, 0, 0, 1);
BAD(family_entry_1, HDR(1), 8, 1, 0, 80, 10, 0, 0, 1);
BAD(family_entry_3, HDR(1), 8, 3, 0, 80, 10, 0, 0, 1);
BAD(family_entry_mp, HDR(1), 8, 46, 0, 80, 10, 0, 0, 1);
BAD(family_entry_255, HDR(1), 20, 255, 0, 80, V6ADDR);
BAD_CUT(sum_short_1, 39, HDR(3), V4E, V4E, V6E);
BAD_CUT(sum_short_19, 21, HDR(3), V4E, V4E, V6E);
BAD_CUT(entry_hdr_cut, 13, HDR(2), V4E, V4E);
BAD(trailing_1, HDR(3), V4E, V4E, V6E, 0);
BAD(trailing_4, HDR(1), V4E, 0, 0, 0, 0);
BAD(trailing_entry_hdr, HDR(1), V4E, 8, 2);

/* clang-format off */
static const struct bad *const bads[] = {
    &len_0,          &len_1,           &len_3,           &header_only,    &family_inet,
    &family_unspec,  &count_0_empty,   &count_0_entries, &count_3_of_2,   &count_2_of_3,
    &v4_len_0,       &v4_len_7,        &v4_len_7_sum8,   &v4_len_9,       &v4_len_20,
    &v6_len_8,       &v6_len_19,       &v6_len_21,       &v6_len_23,      &v6_len_25,
    &v6_len_24_cut,  &family_entry_0,  &family_entry_1,  &family_entry_3, &family_entry_mp,
    &family_entry_255, &sum_short_1,   &sum_short_19,    &entry_hdr_cut,  &trailing_1,
    &trailing_4,     &trailing_entry_hdr,
};
/* clang-format on */

#define ASSERT_EINVAL(call)                                                                        \
    do {                                                                                           \
        errno = 0;                                                                                 \
        g_assert_cmpint((call), ==, -1);                                                           \
        g_assert_cmpint(errno, ==, EINVAL);                                                        \
    } while (0)

/* Every reader and editor rejects |p| (|len| bytes, exactly allocated)
 * with EINVAL and leaves it unchanged. */
static void assert_rejected(const uint8_t *orig, size_t len)
{
    uint8_t *p = exact(orig, len);
    static const uint8_t good_b[] = {HDR(1), V4E};
    struct afmp_mp_entry e = v4("10.0.0.1", 80);
    struct afmp_mp_iter it;
    struct mp_endpoint ep[4];
    size_t n = 77;
    char text[64] = "untouched";
    uint8_t out[AFMP_MP_LEN_MAX + 64];
    socklen_t sl = (socklen_t)len;

    ASSERT_EINVAL(afmp_mp_check(CSA(p), (socklen_t)len));
    ASSERT_EINVAL(afmp_mp_iter_init(&it, CSA(p), (socklen_t)len));
    g_assert_cmpint(afmp_mp_iter_next(&it, &e), ==, 0);
    ASSERT_EINVAL(afmp_mp_get(CSA(p), (socklen_t)len, 0, &e));
    ASSERT_EINVAL(afmp_mp_find(CSA(p), (socklen_t)len, &e));
    ASSERT_EINVAL(afmp_mp_equal(CSA(p), (socklen_t)len, CSA(good_b), sizeof(good_b)));
    ASSERT_EINVAL(afmp_mp_equal(CSA(good_b), sizeof(good_b), CSA(p), (socklen_t)len));
    ASSERT_EINVAL(afmp_mp_same_set(CSA(p), (socklen_t)len, CSA(good_b), sizeof(good_b)));
    ASSERT_EINVAL(afmp_mp_same_set(CSA(good_b), sizeof(good_b), CSA(p), (socklen_t)len));
    ASSERT_EINVAL(afmp_mp_format(CSA(p), (socklen_t)len, text, sizeof(text)));
    g_assert_cmpstr(text, ==, "untouched");
    /* Functions that also take a plain sockaddr dispatch on the family: a
     * container (or too short to have a family) is EINVAL, another family
     * EAFNOSUPPORT, or EINVAL when it is AF_INET but shorter than a
     * sockaddr_in; never a success. */
    gboolean is_mp = len < 2 || (p[0] == good_b[0] && p[1] == good_b[1]);
    socklen_t ol = 0;
    errno = 0;
    g_assert_cmpint(afmp_mp_to_endpoints(CSA(p), (socklen_t)len, ep, 4, &n), ==, -1);
    g_assert_true(errno == EINVAL || (!is_mp && errno == EAFNOSUPPORT));
    g_assert_cmpuint(n, ==, 77);
    errno = 0;
    g_assert_cmpint(afmp_mp_append_sockaddr(SA(out), sizeof(out), &ol, CSA(p), (socklen_t)len), ==,
                    -1);
    g_assert_true(errno == EINVAL || (!is_mp && errno == EAFNOSUPPORT));
    g_assert_cmpuint(ol, ==, 0);
    /* editors, in place */
    if (len > 0) {
        ASSERT_EINVAL(afmp_mp_set_port(SA(p), (socklen_t)len, 443));
        ASSERT_EINVAL(afmp_mp_remove(SA(p), &sl, 0));
        g_assert_cmpuint(sl, ==, len);
        ASSERT_EINVAL(afmp_mp_append(SA(p), (socklen_t)len, &sl, &e));
        g_assert_cmpuint(sl, ==, len);
        g_assert_cmpmem(p, len, orig, len);
    }
    free(p);
}

static void test_malformed(gconstpointer data)
{
    const struct bad *b = data;
    assert_rejected(b->bytes, b->len);
}

/* More entries than the limit (33 valid IPv4 entries), and a length beyond
 * AFMP_MP_LEN_MAX. */
static void test_malformed_over_max(void)
{
    uint8_t buf[AFMP_MP_LEN_MAX + 8];
    static const uint8_t ent[] = {V4E};
    uint16_t fam = AF_MULTIPATH, count = AFMP_MP_MAX_ENTRIES + 1;
    memcpy(buf, &fam, 2);
    memcpy(buf + 2, &count, 2);
    for (int i = 0; i < AFMP_MP_MAX_ENTRIES + 1; i++)
        memcpy(buf + 4 + 8 * i, ent, 8);
    assert_rejected(buf, 4 + 8 * (AFMP_MP_MAX_ENTRIES + 1));
    /* 32 entries are fine */
    count = AFMP_MP_MAX_ENTRIES;
    memcpy(buf + 2, &count, 2);
    g_assert_cmpint(afmp_mp_check(CSA(buf), 4 + 8 * AFMP_MP_MAX_ENTRIES), ==, 32);

    uint8_t big[AFMP_MP_LEN_MAX + 1];
    memset(big, 0, sizeof(big));
    memcpy(big, &fam, 2);
    assert_rejected(big, sizeof(big));
}

/* NULL pointers are EINVAL, never a crash. */
static void test_malformed_null(void)
{
    struct afmp_mp_iter it;
    socklen_t len = 0;
    size_t n;
    ASSERT_EINVAL(afmp_mp_check(NULL, 12));
    ASSERT_EINVAL(afmp_mp_iter_init(&it, NULL, 12));
    ASSERT_EINVAL(afmp_mp_to_endpoints(NULL, 12, NULL, 0, &n));
    ASSERT_EINVAL(afmp_mp_build(NULL, &len, NULL, 1));
    ASSERT_EINVAL(afmp_mp_parse(NULL, NULL, &len, NULL));
    ASSERT_EINVAL(afmp_mp_entry_from_sockaddr(NULL, 16, NULL));
}

/* Every single-byte change of the seed container: a byte of a header
 * (container or entry) changed to any other value is EINVAL, a byte of a
 * port or address gives a valid container with the new value. */
static void test_malformed_every_byte(void)
{
    static const uint8_t seed[] = {HDR(3), V4E, V4E, V6E};
    static const int hdr_bytes[] = {0, 1, 2, 3, 4, 5, 12, 13, 20, 21};
    for (size_t pos = 0; pos < sizeof(seed); pos++) {
        gboolean is_hdr = FALSE;
        for (size_t k = 0; k < G_N_ELEMENTS(hdr_bytes); k++)
            is_hdr |= (size_t)hdr_bytes[k] == pos;
        for (int v = 0; v < 256; v++) {
            if (v == seed[pos])
                continue;
            uint8_t *c = exact(seed, sizeof(seed));
            c[pos] = (uint8_t)v;
            int rc = afmp_mp_check(CSA(c), sizeof(seed));
            if (is_hdr) {
                g_assert_cmpint(rc, ==, -1);
            } else {
                char text[AFMP_MP_STRLEN];
                g_assert_cmpint(rc, ==, 3);
                g_assert_cmpint(afmp_mp_format(CSA(c), sizeof(seed), text, sizeof(text)), >, 0);
            }
            free(c);
        }
    }
    /* and every truncation of it */
    for (size_t len = 0; len < sizeof(seed); len++) {
        uint8_t *c = exact(seed, len);
        ASSERT_EINVAL(afmp_mp_check(CSA(c), (socklen_t)len));
        free(c);
    }
}

/* --- truncation ----------------------------------------------------------- */

/* A buffer too small is filled byte-wise as far as it goes and the full
 * length comes back, as getsockname() does; the rest is untouched. */
static void test_truncation_build(void)
{
    struct afmp_mp_entry e[3] = {v4("10.0.0.1", 80), v4("10.0.1.1", 80), v6("2001:db8::1", 80, 0)};
    uint8_t full[64];
    socklen_t flen = sizeof(full);
    g_assert_cmpint(afmp_mp_build(SA(full), &flen, e, 3), ==, 0);
    g_assert_cmpuint(flen, ==, 40);

    for (socklen_t cap = 0; cap <= 48; cap++) {
        uint8_t buf[64];
        memset(buf, 0xaa, sizeof(buf));
        socklen_t len = cap;
        g_assert_cmpint(afmp_mp_build(SA(buf), &len, e, 3), ==, 0);
        g_assert_cmpuint(len, ==, 40);
        size_t stored = MIN(cap, 40);
        g_assert_cmpmem(buf, stored, full, stored);
        for (size_t i = stored; i < sizeof(buf); i++)
            g_assert_cmpuint(buf[i], ==, 0xaa);
        /* a truncated prefix is no valid container */
        if (cap < 40)
            ASSERT_EINVAL(afmp_mp_check(CSA(buf), cap));
    }
    /* size query */
    socklen_t len = 0;
    g_assert_cmpint(afmp_mp_build(NULL, &len, e, 3), ==, 0);
    g_assert_cmpuint(len, ==, 40);
    /* a NULL buffer with a capacity is an error */
    len = 8;
    ASSERT_EINVAL(afmp_mp_build(NULL, &len, e, 3));
}

static void test_truncation_other(void)
{
    static const uint8_t seed[] = {HDR(3), V4E, V4E_B, V6E};
    struct afmp_mp_entry e = v6("fe80::1", 80, 3);

    /* sockaddr_in6 into 8 bytes */
    uint8_t buf[64];
    memset(buf, 0xaa, sizeof(buf));
    socklen_t len = 8;
    g_assert_cmpint(afmp_mp_entry_to_sockaddr(&e, SA(buf), &len), ==, 0);
    g_assert_cmpuint(len, ==, sizeof(struct sockaddr_in6));
    sa_family_t fam;
    memcpy(&fam, buf, 2);
    g_assert_cmpint(fam, ==, AF_INET6);
    g_assert_cmpuint(buf[8], ==, 0xaa);

    /* text: snprintf semantics */
    char text[64];
    g_assert_cmpint(afmp_mp_format(CSA(seed), sizeof(seed), NULL, 0), ==, 40);
    memset(text, 'x', sizeof(text));
    g_assert_cmpint(afmp_mp_format(CSA(seed), sizeof(seed), text, 5), ==, 40);
    g_assert_cmpstr(text, ==, "10.0");
    g_assert_cmpint(text[5], ==, 'x');
    g_assert_cmpint(afmp_mp_format(CSA(seed), sizeof(seed), text, 41), ==, 40);
    g_assert_cmpstr(text, ==, "10.0.0.1:80,10.0.1.1:80,[2001:db8::1]:80");

    /* parse into a short buffer */
    memset(buf, 0xaa, sizeof(buf));
    len = 10;
    g_assert_cmpint(afmp_mp_parse("10.0.0.1:80,10.0.1.1:80,[2001:db8::1]:80", SA(buf), &len, NULL),
                    ==, 0);
    g_assert_cmpuint(len, ==, 40);
    g_assert_cmpmem(buf, 10, seed, 10);
    g_assert_cmpuint(buf[10], ==, 0xaa);

    /* endpoints: as many as fit, the full count back */
    struct mp_endpoint ep[2];
    memset(ep, 0x55, sizeof(ep));
    size_t n = 0;
    g_assert_cmpint(afmp_mp_to_endpoints(CSA(seed), sizeof(seed), ep, 1, &n), ==, 0);
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmpint(ep[0].ip.v, ==, 4);
    g_assert_cmpuint(ep[0].port, ==, 80);
    g_assert_cmpint(ep[1].ip.v, ==, 0x55);
    g_assert_cmpint(afmp_mp_to_endpoints(CSA(seed), sizeof(seed), NULL, 0, &n), ==, 0);
    g_assert_cmpuint(n, ==, 3);
}

/* --- editing -------------------------------------------------------------------- */

static void test_set_port(void)
{
    struct sockaddr_mp_storage ss;
    socklen_t len = sizeof(ss);
    /* as a lookup returns them: port 0 */
    g_assert_cmpint(afmp_mp_parse("10.0.0.1,[2001:db8::1],[fe80::1%2]", SA(&ss), &len, NULL), ==,
                    0);
    g_assert_cmpuint(len, ==, 4 + 8 + 20 + 24);
    uint8_t *c = exact(&ss, len);
    g_assert_cmpint(afmp_mp_set_port(SA(c), len, 443), ==, 0);
    char text[AFMP_MP_STRLEN];
    afmp_mp_format(CSA(c), len, text, sizeof(text));
    g_assert_cmpstr(text, ==, "10.0.0.1:443,[2001:db8::1]:443,[fe80::1%2]:443");
    /* network order in the bytes: 443 = 0x01bb */
    g_assert_cmpuint(c[6], ==, 0x01);
    g_assert_cmpuint(c[7], ==, 0xbb);
    free(c);
}

static void test_remove(void)
{
    struct sockaddr_mp_storage ss;
    socklen_t len = sizeof(ss);
    char text[AFMP_MP_STRLEN];
    g_assert_cmpint(afmp_mp_parse("10.0.0.1:80,10.0.1.1:80,[2001:db8::1]:80", SA(&ss), &len, NULL),
                    ==, 0);

    ASSERT_EINVAL(afmp_mp_remove(SA(&ss), &len, 3));
    g_assert_cmpuint(len, ==, 40);

    g_assert_cmpint(afmp_mp_remove(SA(&ss), &len, 1), ==, 0);
    g_assert_cmpuint(len, ==, 32);
    g_assert_cmpint(afmp_mp_check(CSA(&ss), len), ==, 2);
    afmp_mp_format(CSA(&ss), len, text, sizeof(text));
    g_assert_cmpstr(text, ==, "10.0.0.1:80,[2001:db8::1]:80");

    g_assert_cmpint(afmp_mp_remove(SA(&ss), &len, 1), ==, 0); /* the last one */
    g_assert_cmpuint(len, ==, 12);
    afmp_mp_format(CSA(&ss), len, text, sizeof(text));
    g_assert_cmpstr(text, ==, "10.0.0.1:80");

    /* removing the only entry leaves the empty state, which no reader takes */
    g_assert_cmpint(afmp_mp_remove(SA(&ss), &len, 0), ==, 0);
    g_assert_cmpuint(len, ==, 0);
    ASSERT_EINVAL(afmp_mp_check(CSA(&ss), AFMP_MP_HDR_LEN));
    ASSERT_EINVAL(afmp_mp_remove(SA(&ss), &len, 0));

    /* and append starts again from it */
    struct afmp_mp_entry e = v6("fe80::9", 7, 4);
    g_assert_cmpint(afmp_mp_append(SA(&ss), sizeof(ss), &len, &e), ==, 0);
    g_assert_cmpuint(len, ==, 28);
    afmp_mp_format(CSA(&ss), len, text, sizeof(text));
    g_assert_cmpstr(text, ==, "[fe80::9%4]:7");
}

static void test_append(void)
{
    struct sockaddr_mp_storage ss;
    socklen_t len = 0;
    struct afmp_mp_entry e = v4("10.0.0.1", 80);

    /* capacity too small: ENOSPC, nothing changes */
    memset(&ss, 0xaa, sizeof(ss));
    errno = 0;
    g_assert_cmpint(afmp_mp_append(SA(&ss), 11, &len, &e), ==, -1);
    g_assert_cmpint(errno, ==, ENOSPC);
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmpuint(((uint8_t *)&ss)[0], ==, 0xaa);

    /* up to the limit, then ENOSPC with plenty of room */
    for (int i = 0; i < AFMP_MP_MAX_ENTRIES; i++) {
        e.port = (uint16_t)i;
        g_assert_cmpint(afmp_mp_append(SA(&ss), sizeof(ss), &len, &e), ==, 0);
    }
    g_assert_cmpuint(len, ==, 4 + 8 * AFMP_MP_MAX_ENTRIES);
    errno = 0;
    g_assert_cmpint(afmp_mp_append(SA(&ss), sizeof(ss), &len, &e), ==, -1);
    g_assert_cmpint(errno, ==, ENOSPC);
    g_assert_cmpint(afmp_mp_check(CSA(&ss), len), ==, AFMP_MP_MAX_ENTRIES);

    /* invalid entries */
    len = 0;
    struct afmp_mp_entry bad = v4("10.0.0.1", 80);
    bad.scope_id = 1;
    ASSERT_EINVAL(afmp_mp_append(SA(&ss), sizeof(ss), &len, &bad));
    bad = v4("10.0.0.1", 80);
    bad.addr[4] = 1;
    ASSERT_EINVAL(afmp_mp_append(SA(&ss), sizeof(ss), &len, &bad));
    bad.family = AF_UNIX;
    ASSERT_EINVAL(afmp_mp_append(SA(&ss), sizeof(ss), &len, &bad));
    g_assert_cmpuint(len, ==, 0);
}

static void test_append_sockaddr(void)
{
    struct sockaddr_mp_storage ss;
    socklen_t len = 0;
    char text[AFMP_MP_STRLEN];

    struct sockaddr_in in;
    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;
    in.sin_port = htons(80);
    inet_pton(AF_INET, "10.0.0.1", &in.sin_addr);
    g_assert_cmpint(afmp_mp_append_sockaddr(SA(&ss), sizeof(ss), &len, CSA(&in), sizeof(in)), ==,
                    0);

    struct sockaddr_in6 in6;
    memset(&in6, 0, sizeof(in6));
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(81);
    in6.sin6_scope_id = 5;
    inet_pton(AF_INET6, "fe80::1", &in6.sin6_addr);
    g_assert_cmpint(afmp_mp_append_sockaddr(SA(&ss), sizeof(ss), &len, CSA(&in6), sizeof(in6)), ==,
                    0);
    afmp_mp_format(CSA(&ss), len, text, sizeof(text));
    g_assert_cmpstr(text, ==, "10.0.0.1:80,[fe80::1%5]:81");

    /* a container appends all its entries, even onto itself */
    g_assert_cmpint(afmp_mp_append_sockaddr(SA(&ss), sizeof(ss), &len, CSA(&ss), len), ==, 0);
    afmp_mp_format(CSA(&ss), len, text, sizeof(text));
    g_assert_cmpstr(text, ==, "10.0.0.1:80,[fe80::1%5]:81,10.0.0.1:80,[fe80::1%5]:81");
    g_assert_cmpint(afmp_mp_check(CSA(&ss), len), ==, 4);

    /* all or nothing: a container that would pass the limit */
    struct sockaddr_mp_storage big;
    socklen_t blen = 0;
    struct afmp_mp_entry e = v4("10.0.0.2", 1);
    for (int i = 0; i < AFMP_MP_MAX_ENTRIES - 2; i++)
        g_assert_cmpint(afmp_mp_append(SA(&big), sizeof(big), &blen, &e), ==, 0);
    socklen_t before = len;
    errno = 0;
    g_assert_cmpint(afmp_mp_append_sockaddr(SA(&ss), sizeof(ss), &len, CSA(&big), blen), ==, -1);
    g_assert_cmpint(errno, ==, ENOSPC);
    g_assert_cmpuint(len, ==, before);
    g_assert_cmpint(afmp_mp_check(CSA(&ss), len), ==, 4);

    /* short sockaddr_in, other family */
    ASSERT_EINVAL(afmp_mp_append_sockaddr(SA(&ss), sizeof(ss), &len, CSA(&in), 8));
    ASSERT_EINVAL(afmp_mp_append_sockaddr(SA(&ss), sizeof(ss), &len, CSA(&in6), 24));
    struct sockaddr_un un;
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    errno = 0;
    g_assert_cmpint(afmp_mp_append_sockaddr(SA(&ss), sizeof(ss), &len, CSA(&un), sizeof(un)), ==,
                    -1);
    g_assert_cmpint(errno, ==, EAFNOSUPPORT);
    g_assert_cmpuint(len, ==, before);
}

/* --- comparing -------------------------------------------------------------------- */

static socklen_t parse_ok(const char *s, struct sockaddr_mp_storage *ss)
{
    socklen_t len = sizeof(*ss);
    size_t pos = 0;
    if (afmp_mp_parse(s, SA(ss), &len, &pos) < 0)
        g_error("parse of \"%s\" failed at %zu", s, pos);
    return len;
}

static void test_compare(void)
{
    struct sockaddr_mp_storage a, b;
    socklen_t al = parse_ok("10.0.0.1:80,[2001:db8::1]:80", &a);
    socklen_t bl;

    bl = parse_ok("10.0.0.1:80,[2001:db8::1]:80", &b);
    g_assert_cmpint(afmp_mp_equal(CSA(&a), al, CSA(&b), bl), ==, 1);
    g_assert_cmpint(afmp_mp_same_set(CSA(&a), al, CSA(&b), bl), ==, 1);

    bl = parse_ok("[2001:db8::1]:80,10.0.0.1:80", &b); /* reordered */
    g_assert_cmpint(afmp_mp_equal(CSA(&a), al, CSA(&b), bl), ==, 0);
    g_assert_cmpint(afmp_mp_same_set(CSA(&a), al, CSA(&b), bl), ==, 1);

    bl = parse_ok("[2001:db8::1]:80,10.0.0.1:80,10.0.0.1:80", &b); /* repeated */
    g_assert_cmpint(afmp_mp_equal(CSA(&a), al, CSA(&b), bl), ==, 0);
    g_assert_cmpint(afmp_mp_same_set(CSA(&a), al, CSA(&b), bl), ==, 1);
    g_assert_cmpint(afmp_mp_same_set(CSA(&b), bl, CSA(&a), al), ==, 1);

    bl = parse_ok("10.0.0.1:80", &b); /* subset */
    g_assert_cmpint(afmp_mp_equal(CSA(&a), al, CSA(&b), bl), ==, 0);
    g_assert_cmpint(afmp_mp_same_set(CSA(&a), al, CSA(&b), bl), ==, 0);
    g_assert_cmpint(afmp_mp_same_set(CSA(&b), bl, CSA(&a), al), ==, 0);

    bl = parse_ok("10.0.0.1:81,[2001:db8::1]:80", &b); /* other port */
    g_assert_cmpint(afmp_mp_equal(CSA(&a), al, CSA(&b), bl), ==, 0);
    g_assert_cmpint(afmp_mp_same_set(CSA(&a), al, CSA(&b), bl), ==, 0);

    bl = parse_ok("10.0.0.1:80,[2001:db8::1%1]:80", &b); /* other scope */
    g_assert_cmpint(afmp_mp_equal(CSA(&a), al, CSA(&b), bl), ==, 0);
    g_assert_cmpint(afmp_mp_same_set(CSA(&a), al, CSA(&b), bl), ==, 0);

    bl = parse_ok("10.0.0.1:80,[::ffff:10.0.0.1]:80", &b); /* v4 vs v4-mapped */
    g_assert_cmpint(afmp_mp_same_set(CSA(&a), al, CSA(&b), bl), ==, 0);

    /* find */
    struct afmp_mp_entry e = v6("2001:db8::1", 80, 0);
    g_assert_cmpint(afmp_mp_find(CSA(&a), al, &e), ==, 1);
    e.port = 81;
    errno = 0;
    g_assert_cmpint(afmp_mp_find(CSA(&a), al, &e), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);

    /* entry equality ignores bytes past an IPv4 address */
    struct afmp_mp_entry x = v4("10.0.0.1", 80), y = x;
    y.addr[9] = 7;
    g_assert_cmpint(afmp_mp_entry_equal(&x, &y), ==, 1);
    y.addr[3] = 2;
    g_assert_cmpint(afmp_mp_entry_equal(&x, &y), ==, 0);
}

/* --- converting ------------------------------------------------------------------- */

static void test_convert_sockaddr(void)
{
    struct sockaddr_in in, in_back;
    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;
    in.sin_port = htons(8080);
    inet_pton(AF_INET, "192.0.2.1", &in.sin_addr);
    struct afmp_mp_entry e;
    g_assert_cmpint(afmp_mp_entry_from_sockaddr(CSA(&in), sizeof(in), &e), ==, 0);
    struct afmp_mp_entry want = v4("192.0.2.1", 8080);
    assert_entry_eq(&e, &want);
    socklen_t len = sizeof(in_back);
    memset(&in_back, 0xaa, sizeof(in_back));
    g_assert_cmpint(afmp_mp_entry_to_sockaddr(&e, SA(&in_back), &len), ==, 0);
    g_assert_cmpuint(len, ==, sizeof(in));
    g_assert_cmpmem(&in_back, sizeof(in), &in, sizeof(in));

    /* IPv6 into a sockaddr_storage: the scope id survives, flowinfo not */
    struct sockaddr_in6 in6;
    memset(&in6, 0, sizeof(in6));
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(443);
    in6.sin6_flowinfo = htonl(0x12345);
    in6.sin6_scope_id = 9;
    inet_pton(AF_INET6, "fe80::abcd", &in6.sin6_addr);
    g_assert_cmpint(afmp_mp_entry_from_sockaddr(CSA(&in6), sizeof(in6), &e), ==, 0);
    want = v6("fe80::abcd", 443, 9);
    assert_entry_eq(&e, &want);
    struct sockaddr_storage st;
    len = sizeof(st);
    g_assert_cmpint(afmp_mp_entry_to_sockaddr(&e, SA(&st), &len), ==, 0);
    g_assert_cmpuint(len, ==, sizeof(struct sockaddr_in6));
    struct sockaddr_in6 back;
    memcpy(&back, &st, sizeof(back));
    g_assert_cmpint(back.sin6_family, ==, AF_INET6);
    g_assert_cmpuint(back.sin6_port, ==, htons(443));
    g_assert_cmpuint(back.sin6_scope_id, ==, 9);
    g_assert_cmpuint(back.sin6_flowinfo, ==, 0);
    g_assert_cmpmem(&back.sin6_addr, 16, &in6.sin6_addr, 16);

    /* errors */
    ASSERT_EINVAL(afmp_mp_entry_from_sockaddr(CSA(&in), sizeof(in) - 1, &e));
    ASSERT_EINVAL(afmp_mp_entry_from_sockaddr(CSA(&in6), sizeof(in6) - 1, &e));
    ASSERT_EINVAL(afmp_mp_entry_from_sockaddr(CSA(&in), 1, &e));
    struct sockaddr_un un;
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    errno = 0;
    g_assert_cmpint(afmp_mp_entry_from_sockaddr(CSA(&un), sizeof(un), &e), ==, -1);
    g_assert_cmpint(errno, ==, EAFNOSUPPORT);
    e.family = AF_UNIX;
    len = sizeof(st);
    ASSERT_EINVAL(afmp_mp_entry_to_sockaddr(&e, SA(&st), &len));
}

static void test_convert_endpoints(void)
{
    struct mp_endpoint ep[3];
    memset(ep, 0, sizeof(ep));
    ep[0].ip.v = 4;
    inet_pton(AF_INET, "10.0.0.1", ep[0].ip.b);
    ep[0].port = 80;
    ep[1].ip.v = 4;
    inet_pton(AF_INET, "10.0.1.1", ep[1].ip.b);
    ep[1].port = 80;
    ep[2].ip.v = 6;
    inet_pton(AF_INET6, "2001:db8::1", ep[2].ip.b);
    ep[2].port = 80;

    static const uint8_t seed[] = {HDR(3), V4E, V4E_B, V6E};
    uint8_t buf[64];
    socklen_t len = sizeof(buf);
    g_assert_cmpint(afmp_mp_from_endpoints(ep, 3, SA(buf), &len), ==, 0);
    g_assert_cmpmem(buf, len, seed, sizeof(seed));

    struct mp_endpoint out[4];
    size_t n = 0;
    g_assert_cmpint(afmp_mp_to_endpoints(CSA(seed), sizeof(seed), out, 4, &n), ==, 0);
    g_assert_cmpuint(n, ==, 3);
    for (int i = 0; i < 3; i++) {
        g_assert_true(mp_ip_eq(&out[i].ip, &ep[i].ip));
        g_assert_cmpuint(out[i].port, ==, ep[i].port);
    }
    /* the rest of an IPv4 mp_ip is zero, so addresses memcmp */
    for (int i = 4; i < 16; i++)
        g_assert_cmpuint(out[0].ip.b[i], ==, 0);

    /* a plain sockaddr_in / sockaddr_in6 gives one endpoint */
    struct sockaddr_in in;
    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;
    in.sin_port = htons(53);
    inet_pton(AF_INET, "10.9.8.7", &in.sin_addr);
    g_assert_cmpint(afmp_mp_to_endpoints(CSA(&in), sizeof(in), out, 4, &n), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpint(out[0].ip.v, ==, 4);
    g_assert_cmpuint(out[0].port, ==, 53);
    g_assert_cmpuint(out[0].ip.b[0], ==, 10);
    g_assert_cmpuint(out[0].ip.b[3], ==, 7);
    struct sockaddr_in6 in6;
    memset(&in6, 0, sizeof(in6));
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(54);
    inet_pton(AF_INET6, "2001:db8::5", &in6.sin6_addr);
    g_assert_cmpint(afmp_mp_to_endpoints(CSA(&in6), sizeof(in6), out, 4, &n), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpint(out[0].ip.v, ==, 6);
    g_assert_cmpuint(out[0].ip.b[15], ==, 5);
    struct sockaddr_un un;
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    errno = 0;
    g_assert_cmpint(afmp_mp_to_endpoints(CSA(&un), sizeof(un), out, 4, &n), ==, -1);
    g_assert_cmpint(errno, ==, EAFNOSUPPORT);

    /* a scope id is lost on the way to an endpoint */
    struct afmp_mp_entry e = v6("fe80::1", 5, 3);
    struct mp_endpoint one;
    g_assert_cmpint(afmp_mp_entry_to_endpoint(&e, &one), ==, 0);
    g_assert_cmpint(one.ip.v, ==, 6);
    g_assert_cmpuint(one.port, ==, 5);

    /* errors */
    len = sizeof(buf);
    ASSERT_EINVAL(afmp_mp_from_endpoints(ep, 0, SA(buf), &len));
    struct mp_endpoint none[1];
    memset(none, 0, sizeof(none));
    ASSERT_EINVAL(afmp_mp_from_endpoints(none, 1, SA(buf), &len));
    struct mp_endpoint many[AFMP_MP_MAX_ENTRIES + 1];
    for (size_t i = 0; i < G_N_ELEMENTS(many); i++)
        many[i] = ep[0];
    errno = 0;
    g_assert_cmpint(afmp_mp_from_endpoints(many, G_N_ELEMENTS(many), SA(buf), &len), ==, -1);
    g_assert_cmpint(errno, ==, ENOSPC);
    len = sizeof(buf);
    g_assert_cmpint(afmp_mp_from_endpoints(many, AFMP_MP_MAX_ENTRIES, NULL, &(socklen_t){0}), ==,
                    0);
}

/* --- text ------------------------------------------------------------------------- */

struct text_ok {
    const char *in;
    const char *out; /* as afmp_mp_format() writes it back */
};

static const struct text_ok texts_ok[] = {
    {"10.0.0.1", "10.0.0.1:0"},
    {"[2001:db8::1]", "[2001:db8::1]:0"},
    {"[2001:DB8:0:0::1]:080", "[2001:db8::1]:80"},
    {"[::ffff:10.0.0.1]:80", "[::ffff:10.0.0.1]:80"},
    {"[fe80::1%4294967295]:65535", "[fe80::1%4294967295]:65535"},
    {"[fe80::1%0]:1", "[fe80::1]:1"},
    {"255.255.255.255:0,0.0.0.0:65535", "255.255.255.255:0,0.0.0.0:65535"},
};

static void test_text_ok(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(texts_ok); i++) {
        struct sockaddr_mp_storage ss;
        char text[AFMP_MP_STRLEN];
        socklen_t len = parse_ok(texts_ok[i].in, &ss);
        g_assert_cmpint(afmp_mp_format(CSA(&ss), len, text, sizeof(text)), ==,
                        (int)strlen(texts_ok[i].out));
        g_assert_cmpstr(text, ==, texts_ok[i].out);
    }
}

struct text_bad {
    const char *in;
    size_t pos;
};

static const struct text_bad texts_bad[] = {
    {"", 0},
    {",", 0},
    {"10.0.0.1:80,", 12},
    {"10.0.0.1:80,,10.0.0.2", 12},
    {"10.0.0.300:80", 0},
    {"010.0.0.1", 0},
    {"10.0.0:80", 0},
    {"10.0.0.1:65536", 9},
    {"10.0.0.1:", 9},
    {"10.0.0.1:123456", 9},
    {"10.0.0.1:-1", 9},
    {"10.0.0.1:8a", 10},
    {"10.0.0.1::80", 9},
    {"2001:db8::1", 0},
    {"2001:db8::1:80", 0},
    {"[2001:db8::1", 12},
    {"[2001:db8::1]:", 14},
    {"[2001:db8::g]:80", 11},
    {"[]:80", 1},
    {"[10.0.0.1]:80", 1},
    {"[fe80::1%]:80", 9},
    {"[fe80::1%eth0]:80", 9},
    {"[fe80::1%4294967296]", 9},
    {"[fe80::1%12345678901]", 9},
    {"[fe80::1%2", 10},
    {"10.0.0.1%2:80", 8},
    {" 10.0.0.1", 0},
    {"10.0.0.1 ", 8},
    {"10.0.0.1:80 ,10.0.0.2", 11},
    {"10.0.0.1:80;10.0.0.2:80", 11},
    {"10.0.0.1:80,[2001:db8::1]:80x", 28},
};

static void test_text_bad(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(texts_bad); i++) {
        uint8_t buf[64];
        memset(buf, 0xaa, sizeof(buf));
        socklen_t len = sizeof(buf);
        size_t pos = 999;
        errno = 0;
        int rc = afmp_mp_parse(texts_bad[i].in, SA(buf), &len, &pos);
        if (rc != -1 || errno != EINVAL || pos != texts_bad[i].pos)
            g_error("\"%s\": rc %d errno %d pos %zu, want -1 EINVAL %zu", texts_bad[i].in, rc,
                    errno, pos, texts_bad[i].pos);
        g_assert_cmpuint(len, ==, sizeof(buf));
        g_assert_cmpuint(buf[0], ==, 0xaa);
    }
}

/* 33 entries: ENOSPC at the start of the 33rd; 32 of the longest kind fit
 * AFMP_MP_STRLEN. */
static void test_text_limits(void)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < AFMP_MP_MAX_ENTRIES; i++)
        g_string_append_printf(s, "%s[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%%4294967295]:65535",
                               i ? "," : "");
    struct sockaddr_mp_storage ss;
    socklen_t len = parse_ok(s->str, &ss);
    g_assert_cmpuint(len, ==, AFMP_MP_LEN_MAX);
    char text[AFMP_MP_STRLEN];
    int tl = afmp_mp_format(CSA(&ss), len, text, sizeof(text));
    g_assert_cmpint(tl, ==, (int)s->len);
    g_assert_cmpint(tl, <, AFMP_MP_STRLEN);
    g_assert_cmpstr(text, ==, s->str);

    size_t start = s->len + 1;
    g_string_append(s, ",10.0.0.1");
    size_t pos = 0;
    len = sizeof(ss);
    errno = 0;
    g_assert_cmpint(afmp_mp_parse(s->str, SA(&ss), &len, &pos), ==, -1);
    g_assert_cmpint(errno, ==, ENOSPC);
    g_assert_cmpuint(pos, ==, start);
    g_string_free(s, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(layouts); i++) {
        char *path = g_strdup_printf("/container/layout/%s", layouts[i].name);
        g_test_add_data_func(path, &layouts[i], test_layout);
        g_free(path);
    }
    g_test_add_func("/container/layout/seed-bytes", test_seed_bytes);
    g_test_add_func("/container/layout/scope-zero-long-form", test_scope_zero_long_form);
    for (size_t i = 0; i < G_N_ELEMENTS(bads); i++) {
        char *path = g_strdup_printf("/container/malformed/%s", bads[i]->name);
        for (char *c = path; *c; c++)
            if (*c == '_')
                *c = '-';
        g_test_add_data_func(path, bads[i], test_malformed);
        g_free(path);
    }
    g_test_add_func("/container/malformed/over-max", test_malformed_over_max);
    g_test_add_func("/container/malformed/null", test_malformed_null);
    g_test_add_func("/container/malformed/every-byte", test_malformed_every_byte);
    g_test_add_func("/container/truncation/build", test_truncation_build);
    g_test_add_func("/container/truncation/other", test_truncation_other);
    g_test_add_func("/container/edit/set-port", test_set_port);
    g_test_add_func("/container/edit/remove", test_remove);
    g_test_add_func("/container/edit/append", test_append);
    g_test_add_func("/container/edit/append-sockaddr", test_append_sockaddr);
    g_test_add_func("/container/compare", test_compare);
    g_test_add_func("/container/convert/sockaddr", test_convert_sockaddr);
    g_test_add_func("/container/convert/endpoints", test_convert_endpoints);
    g_test_add_func("/container/text/ok", test_text_ok);
    g_test_add_func("/container/text/bad", test_text_bad);
    g_test_add_func("/container/text/limits", test_text_limits);
    return g_test_run();
}
