/*
 * Tests of model/net/addr: text round trips, rejects, prefixes, endpoint
 * forms and the RFC 6724 classification helpers.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "model/net/addr.h"

static struct mp_ip ip(const char *s)
{
    struct mp_ip a;
    int rc = mp_ip_parse(s, &a);
    g_assert_cmpint(rc, ==, 0);
    return a;
}

/* --- addresses ------------------------------------------------------------ */

struct ip_ok {
    const char *in;
    int v;
    const char *canon; /* inet_ntop's form */
};

static const struct ip_ok ip_ok_cases[] = {
    {"10.0.0.1", 4, "10.0.0.1"},
    {"0.0.0.0", 4, "0.0.0.0"},
    {"255.255.255.255", 4, "255.255.255.255"},
    {"2001:db8::1", 6, "2001:db8::1"},
    {"2001:0DB8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1"},
    {"::", 6, "::"},
    {"::1", 6, "::1"},
    {"fe80::1", 6, "fe80::1"},
    {"::ffff:192.0.2.1", 6, "::ffff:192.0.2.1"},
    {"2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
};

static void test_ip_ok(gconstpointer data)
{
    const struct ip_ok *c = data;
    struct mp_ip a, b;
    char buf[MP_IP_STRLEN];

    g_assert_cmpint(mp_ip_parse(c->in, &a), ==, 0);
    g_assert_cmpint(a.v, ==, c->v);
    g_assert_cmpint(mp_ip_format(&a, buf, sizeof buf), ==, (int)strlen(c->canon));
    g_assert_cmpstr(buf, ==, c->canon);
    /* The canonical text parses back to the same address. */
    g_assert_cmpint(mp_ip_parse(buf, &b), ==, 0);
    g_assert_true(mp_ip_eq(&a, &b));
    g_assert_cmpint(mp_ip_cmp(&a, &b), ==, 0);
    /* IPv4 keeps the rest of b zero, so memcmp equality holds. */
    if (a.v == 4)
        for (int i = 4; i < 16; i++)
            g_assert_cmpint(a.b[i], ==, 0);
}

static const char *const ip_bad_cases[] = {
    "10.0.0.256", "1.2.3",          "1.2.3.4.5",     "",           " 10.0.0.1", "10.0.0.1 ",
    "10.0.0.1x",  "10.0.0.-1",      "0x0a.0.0.1",    "2001:db8::1::2", "2001:db8::g",
    "12345::",    "::ffff:1.2.3",   "[::1]",         "fe80::1%eth0", "localhost", "1:2:3:4:5:6:7:8:9",
    "10.0.0.1/8", "2001:db8::1:80x"};

static void test_ip_bad(gconstpointer data)
{
    const char *s = data;
    struct mp_ip a = {.v = 4};
    g_assert_cmpint(mp_ip_parse(s, &a), ==, -EINVAL);
    g_assert_cmpint(a.v, ==, 0);
}

static void test_ip_parse_n(void)
{
    /* The text need not be terminated; only |len| bytes count. */
    const char buf[] = "10.0.0.12345";
    struct mp_ip a;
    g_assert_cmpint(mp_ip_parse_n(buf, 8, &a), ==, 0);
    g_assert_true(mp_ip_eq(&a, &(struct mp_ip){.v = 4, .b = {10, 0, 0, 1}}));
    g_assert_cmpint(mp_ip_parse_n(buf, 9, &a), ==, 0);
    g_assert_cmpint(a.b[3], ==, 12);
    g_assert_cmpint(mp_ip_parse_n(buf, 0, &a), ==, -EINVAL);
    g_assert_cmpint(mp_ip_parse_n("10.0\0.0.1", 9, &a), ==, -EINVAL);
    /* Longer than any address: rejected before inet_pton. */
    char big[100];
    memset(big, '1', sizeof big);
    g_assert_cmpint(mp_ip_parse_n(big, sizeof big, &a), ==, -EINVAL);
}

static void test_ip_v4_ctor(void)
{
    struct mp_ip a = mp_ip_v4(0x0a000102u);
    g_assert_true(mp_ip_eq(&a, &(struct mp_ip){.v = 4, .b = {10, 0, 1, 2}}));
    g_assert_cmpuint(mp_ip_v4_u32(&a), ==, 0x0a000102u);
    g_assert_cmpuint(mp_ip_v4_u32(&(struct mp_ip){.v = 6}), ==, 0);
    struct mp_ip z = mp_ip_any(6);
    g_assert_cmpint(z.v, ==, 6);
    g_assert_true(mp_ip_is_unspecified(&z));
    g_assert_cmpint(mp_ip_any(5).v, ==, 0);
    g_assert_cmpuint(mp_ip_bits(&a), ==, 32);
    g_assert_cmpuint(mp_ip_bits(&z), ==, 128);

    uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
    struct mp_ip six = mp_ip_v6(b6);
    struct mp_ip want = ip("2001:db8::7");
    g_assert_true(mp_ip_eq(&six, &want));
}

static void test_ip_format_space(void)
{
    struct mp_ip a = ip("2001:db8::1");
    char buf[MP_IP_STRLEN];
    /* Exactly enough, one too few, none. */
    g_assert_cmpint(mp_ip_format(&a, buf, 12), ==, 11);
    g_assert_cmpstr(buf, ==, "2001:db8::1");
    memset(buf, 'x', sizeof buf);
    g_assert_cmpint(mp_ip_format(&a, buf, 11), ==, -ENOSPC);
    g_assert_cmpint(buf[0], ==, '\0');
    g_assert_cmpint(buf[11], ==, 'x');
    g_assert_cmpint(mp_ip_format(&a, buf, 0), ==, -ENOSPC);
    struct mp_ip none = {0};
    g_assert_cmpint(mp_ip_format(&none, buf, sizeof buf), ==, -EINVAL);
    g_assert_cmpstr(mp_ip_str(&none, buf), ==, "none");
    g_assert_cmpstr(mp_ip_str(&a, buf), ==, "2001:db8::1");
}

static void test_ip_cmp(void)
{
    /* none < IPv4 < IPv6, then bytes: a total order for stable output. */
    struct mp_ip none = {0};
    struct mp_ip a = ip("10.0.0.1"), b = ip("10.0.0.2"), c = ip("::1"), d = ip("::2");
    g_assert_cmpint(mp_ip_cmp(&none, &a), <, 0);
    g_assert_cmpint(mp_ip_cmp(&a, &b), <, 0);
    g_assert_cmpint(mp_ip_cmp(&b, &a), >, 0);
    g_assert_cmpint(mp_ip_cmp(&b, &c), <, 0);
    g_assert_cmpint(mp_ip_cmp(&c, &d), <, 0);
}

/* --- prefixes ------------------------------------------------------------- */

struct prefix_ok {
    const char *in;
    const char *canon;  /* formatted as parsed (host bits kept) */
    const char *masked; /* the network */
};

static const struct prefix_ok prefix_ok_cases[] = {
    {"10.0.0.0/8", "10.0.0.0/8", "10.0.0.0/8"},
    {"10.0.1.2/24", "10.0.1.2/24", "10.0.1.0/24"},
    {"0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0"},
    {"192.0.2.255/25", "192.0.2.255/25", "192.0.2.128/25"},
    {"10.0.0.1", "10.0.0.1/32", "10.0.0.1/32"},
    {"10.0.0.1/32", "10.0.0.1/32", "10.0.0.1/32"},
    {"2001:db8::/32", "2001:db8::/32", "2001:db8::/32"},
    {"2001:db8:1:2::5/64", "2001:db8:1:2::5/64", "2001:db8:1:2::/64"},
    {"2001:db8:ffff::/33", "2001:db8:ffff::/33", "2001:db8:8000::/33"},
    {"::/0", "::/0", "::/0"},
    {"::1", "::1/128", "::1/128"},
    {"fe80::1/10", "fe80::1/10", "fe80::/10"},
    {"2001:db8::1/127", "2001:db8::1/127", "2001:db8::/127"},
    {"10.0.0.0/08", "10.0.0.0/8", "10.0.0.0/8"},
};

static void test_prefix_ok(gconstpointer data)
{
    const struct prefix_ok *c = data;
    struct mp_prefix p, m, back;
    char buf[MP_PREFIX_STRLEN];

    g_assert_cmpint(mp_prefix_parse(c->in, &p), ==, 0);
    g_assert_cmpint(mp_prefix_format(&p, buf, sizeof buf), ==, (int)strlen(c->canon));
    g_assert_cmpstr(buf, ==, c->canon);
    g_assert_cmpint(mp_prefix_parse(buf, &back), ==, 0);
    g_assert_true(mp_ip_eq(&back.ip, &p.ip));
    g_assert_cmpint(back.len, ==, p.len);

    mp_prefix_masked(&p, &m);
    g_assert_cmpint(mp_prefix_format(&m, buf, sizeof buf), >, 0);
    g_assert_cmpstr(buf, ==, c->masked);
    g_assert_true(mp_prefix_is_masked(&m));
    g_assert_cmpint(mp_prefix_is_masked(&p), ==, strcmp(c->canon, c->masked) == 0);
    /* A prefix contains its own address and its network. */
    g_assert_true(mp_prefix_contains(&p, &p.ip));
    g_assert_true(mp_prefix_contains(&p, &m.ip));
    g_assert_true(mp_prefix_same_net(&p, &m));
    /* In-place masking works too. */
    mp_prefix_masked(&p, &p);
    g_assert_true(mp_ip_eq(&p.ip, &m.ip));
}

static const char *const prefix_bad_cases[] = {
    "2001:db8::/129", "10.0.0.0/33", "10.0.0.0/",    "/8",           "10.0.0.0/8 ",
    "10.0.0.0/8x",    "10.0.0.0/-1", "10.0.0.0/+8",  "10.0.0.0/0008", "10.0.0.0/8/8",
    "10.0.0.256/8",   "1.2.3/8",     "",             "10.0.0.0 /8",  "::/1000",
};

static void test_prefix_bad(gconstpointer data)
{
    struct mp_prefix p;
    g_assert_cmpint(mp_prefix_parse(data, &p), ==, -EINVAL);
}

struct contains_case {
    const char *prefix;
    const char *addr;
    bool in;
};

static const struct contains_case contains_cases[] = {
    {"10.0.0.0/8", "10.255.255.255", true},
    {"10.0.0.0/8", "11.0.0.0", false},
    {"10.0.0.0/8", "9.255.255.255", false},
    {"0.0.0.0/0", "203.0.113.9", true},
    {"0.0.0.0/0", "::", false}, /* families never mix */
    {"::/0", "10.0.0.1", false},
    {"192.0.2.128/25", "192.0.2.127", false},
    {"192.0.2.128/25", "192.0.2.128", true},
    {"10.1.2.3/32", "10.1.2.3", true},
    {"10.1.2.3/32", "10.1.2.2", false},
    {"2001:db8::/32", "2001:db8:ffff::1", true},
    {"2001:db8::/32", "2001:db9::1", false},
    {"2001:db8:1::/48", "2001:db8:1:ffff::", true},
    {"2001:db8:1::/48", "2001:db8:2::", false},
    {"fe80::/10", "febf::1", true},
    {"fe80::/10", "fec0::1", false},
    {"::1/128", "::1", true},
    {"::1/128", "::2", false},
    {"2001:db8::/127", "2001:db8::1", true},
    {"2001:db8::/127", "2001:db8::2", false},
};

static void test_contains(gconstpointer data)
{
    const struct contains_case *c = data;
    struct mp_prefix p;
    g_assert_cmpint(mp_prefix_parse(c->prefix, &p), ==, 0);
    struct mp_ip a = ip(c->addr);
    g_assert_cmpint(mp_prefix_contains(&p, &a), ==, c->in);
}

static void test_prefix_covers(void)
{
    struct mp_prefix a, b, c;
    g_assert_cmpint(mp_prefix_parse("10.0.0.0/8", &a), ==, 0);
    g_assert_cmpint(mp_prefix_parse("10.1.0.0/16", &b), ==, 0);
    g_assert_cmpint(mp_prefix_parse("11.0.0.0/16", &c), ==, 0);
    g_assert_true(mp_prefix_covers(&a, &b));
    g_assert_false(mp_prefix_covers(&b, &a));
    g_assert_false(mp_prefix_covers(&a, &c));
    g_assert_true(mp_prefix_covers(&a, &a));
    g_assert_false(mp_prefix_same_net(&a, &b));

    struct mp_prefix made;
    struct mp_ip x = ip("10.1.2.3");
    g_assert_cmpint(mp_prefix_make(&x, 16, &made), ==, 0);
    g_assert_true(mp_prefix_same_net(&made, &b));
    g_assert_cmpint(mp_prefix_make(&x, 33, &made), ==, -EINVAL);
    g_assert_cmpint(mp_prefix_make(&(struct mp_ip){0}, 0, &made), ==, -EINVAL);
}

struct mask_case {
    const char *addr;
    unsigned len;
    const char *want;
};

static const struct mask_case mask_cases[] = {
    {"255.255.255.255", 0, "0.0.0.0"},   {"255.255.255.255", 1, "128.0.0.0"},
    {"255.255.255.255", 13, "255.248.0.0"}, {"255.255.255.255", 31, "255.255.255.254"},
    {"255.255.255.255", 32, "255.255.255.255"}, {"255.255.255.255", 99, "255.255.255.255"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65, "ffff:ffff:ffff:ffff:8000::"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 7, "fe00::"},
};

static void test_mask(gconstpointer data)
{
    const struct mask_case *c = data;
    struct mp_ip a = ip(c->addr), m;
    char buf[MP_IP_STRLEN];
    mp_ip_mask(&a, c->len, &m);
    g_assert_cmpstr(mp_ip_str(&m, buf), ==, c->want);
}

struct cpl_case {
    const char *a, *b;
    unsigned want;
};

static const struct cpl_case cpl_cases[] = {
    {"10.0.0.1", "10.0.0.1", 32},
    {"10.0.0.0", "10.0.0.1", 31},
    {"10.0.0.0", "138.0.0.0", 0},
    {"10.0.0.0", "11.0.0.0", 7},
    {"2001:db8:1::1", "2001:db8:3::1", 46},
    {"2001:db8:1::1", "2001:db8:1::2", 126},
    {"::", "::", 128},
    {"::1", "10.0.0.1", 0}, /* different families share nothing */
};

static void test_common_prefix(gconstpointer data)
{
    const struct cpl_case *c = data;
    struct mp_ip a = ip(c->a), b = ip(c->b);
    g_assert_cmpuint(mp_ip_common_prefix_len(&a, &b), ==, c->want);
    g_assert_cmpuint(mp_ip_common_prefix_len(&b, &a), ==, c->want);
}

/* --- classification ------------------------------------------------------- */

struct class_case {
    const char *addr;
    bool unspec, loop, ll, sl, ula, mapped, mcast;
    enum mp_ip_scope scope;
};

static const struct class_case class_cases[] = {
    {"0.0.0.0", true, false, false, false, false, false, false, MP_SCOPE_GLOBAL},
    {"127.0.0.1", false, true, false, false, false, false, false, MP_SCOPE_LINK},
    {"127.255.0.9", false, true, false, false, false, false, false, MP_SCOPE_LINK},
    {"169.254.13.78", false, false, true, false, false, false, false, MP_SCOPE_LINK},
    {"10.1.2.3", false, false, false, false, false, false, false, MP_SCOPE_GLOBAL},
    {"198.51.100.121", false, false, false, false, false, false, false, MP_SCOPE_GLOBAL},
    {"224.0.0.251", false, false, false, false, false, false, true, MP_SCOPE_LINK},
    {"239.1.2.3", false, false, false, false, false, false, true, MP_SCOPE_GLOBAL},
    {"::", true, false, false, false, false, false, false, MP_SCOPE_GLOBAL},
    {"::1", false, true, false, false, false, false, false, MP_SCOPE_LINK},
    {"fe80::1", false, false, true, false, false, false, false, MP_SCOPE_LINK},
    {"febf:ffff::1", false, false, true, false, false, false, false, MP_SCOPE_LINK},
    {"fec0::1", false, false, false, true, false, false, false, MP_SCOPE_SITE},
    {"fc00::1", false, false, false, false, true, false, false, MP_SCOPE_GLOBAL},
    {"fd12:3456::1", false, false, false, false, true, false, false, MP_SCOPE_GLOBAL},
    {"fe00::1", false, false, false, false, false, false, false, MP_SCOPE_GLOBAL},
    {"2001:db8::1", false, false, false, false, false, false, false, MP_SCOPE_GLOBAL},
    {"::ffff:10.0.0.1", false, false, false, false, false, true, false, MP_SCOPE_GLOBAL},
    {"::ffff:169.254.1.1", false, false, false, false, false, true, false, MP_SCOPE_LINK},
    {"ff02::1", false, false, false, false, false, false, true, MP_SCOPE_LINK},
    {"ff05::1:3", false, false, false, false, false, false, true, MP_SCOPE_SITE},
    {"ff0e::1", false, false, false, false, false, false, true, MP_SCOPE_GLOBAL},
    {"ff01::1", false, false, false, false, false, false, true, MP_SCOPE_INTERFACE},
    {"ff08::1", false, false, false, false, false, false, true, MP_SCOPE_ORG},
};

static void test_classify(gconstpointer data)
{
    const struct class_case *c = data;
    struct mp_ip a = ip(c->addr);
    g_assert_cmpint(mp_ip_is_unspecified(&a), ==, c->unspec);
    g_assert_cmpint(mp_ip_is_loopback(&a), ==, c->loop);
    g_assert_cmpint(mp_ip_is_link_local(&a), ==, c->ll);
    g_assert_cmpint(mp_ip_is_site_local(&a), ==, c->sl);
    g_assert_cmpint(mp_ip_is_ula(&a), ==, c->ula);
    g_assert_cmpint(mp_ip_is_v4_mapped(&a), ==, c->mapped);
    g_assert_cmpint(mp_ip_is_multicast(&a), ==, c->mcast);
    g_assert_cmpint(mp_ip_scope(&a), ==, c->scope);
}

static void test_classify_none(void)
{
    struct mp_ip none = {0};
    g_assert_false(mp_ip_is_unspecified(&none));
    g_assert_false(mp_ip_is_loopback(&none));
    g_assert_false(mp_ip_is_multicast(&none));
    g_assert_false(mp_ip_is_link_local(&none));
}

static void test_map_v4(void)
{
    struct mp_ip a = ip("192.0.2.1"), m, back;
    char buf[MP_IP_STRLEN];
    g_assert_cmpint(mp_ip_map_v4(&a, &m), ==, 0);
    g_assert_cmpstr(mp_ip_str(&m, buf), ==, "::ffff:192.0.2.1");
    g_assert_true(mp_ip_is_v4_mapped(&m));
    g_assert_cmpint(mp_ip_unmap_v4(&m, &back), ==, 0);
    g_assert_true(mp_ip_eq(&a, &back));
    g_assert_cmpint(mp_ip_map_v4(&m, &back), ==, -EINVAL);
    struct mp_ip six = ip("2001:db8::1");
    g_assert_cmpint(mp_ip_unmap_v4(&six, &back), ==, -EINVAL);
}

/* --- endpoints ------------------------------------------------------------ */

struct ep_ok {
    const char *in;
    const char *addr;
    unsigned port;
    const char *canon;
};

static const struct ep_ok ep_ok_cases[] = {
    {"10.0.0.1:80", "10.0.0.1", 80, "10.0.0.1:80"},
    {"[2001:db8::1]:80", "2001:db8::1", 80, "[2001:db8::1]:80"},
    {"[::]:0", "::", 0, "[::]:0"},
    {"1.2.3.4:65535", "1.2.3.4", 65535, "1.2.3.4:65535"},
    {"[::ffff:10.0.0.1]:443", "::ffff:10.0.0.1", 443, "[::ffff:10.0.0.1]:443"},
    {"[2001:DB8:0::1]:0080", "2001:db8::1", 80, "[2001:db8::1]:80"},
};

static void test_endpoint_ok(gconstpointer data)
{
    const struct ep_ok *c = data;
    struct mp_endpoint ep, back;
    char buf[MP_ENDPOINT_STRLEN];
    g_assert_cmpint(mp_endpoint_parse(c->in, &ep), ==, 0);
    struct mp_ip want = ip(c->addr);
    g_assert_true(mp_ip_eq(&ep.ip, &want));
    g_assert_cmpuint(ep.port, ==, c->port);
    g_assert_cmpint(mp_endpoint_format(&ep, buf, sizeof buf), ==, (int)strlen(c->canon));
    g_assert_cmpstr(buf, ==, c->canon);
    g_assert_cmpint(mp_endpoint_parse(buf, &back), ==, 0);
    g_assert_true(mp_ip_eq(&back.ip, &ep.ip));
    g_assert_cmpuint(back.port, ==, ep.port);
}

static const char *const ep_bad_cases[] = {
    "10.0.0.1",      "10.0.0.1:",        "10.0.0.1:65536", "2001:db8::1:80", "[2001:db8::1]80",
    "[10.0.0.1]:80", "[2001:db8::1]:80x", "10.0.0.1:+80",  "[2001:db8::1",   ":80",
    "[]:80",         "10.0.0.1:123456",  "10.0.0.1: 80",   "",               "[2001:db8::1]:",
};

static void test_endpoint_bad(gconstpointer data)
{
    struct mp_endpoint ep;
    g_assert_cmpint(mp_endpoint_parse(data, &ep), ==, -EINVAL);
}

static void test_endpoint_space(void)
{
    struct mp_endpoint ep = {.ip = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), .port = 65535};
    char buf[MP_ENDPOINT_STRLEN];
    int n = mp_endpoint_format(&ep, buf, sizeof buf);
    g_assert_cmpint(n, ==, 1 + 39 + 2 + 5);
    g_assert_cmpint(mp_endpoint_format(&ep, buf, (size_t)n), ==, -ENOSPC);
    g_assert_cmpint(mp_endpoint_format(&ep, buf, (size_t)n + 1), ==, n);
    struct mp_prefix p = {.ip = ep.ip, .len = 128};
    char pb[MP_PREFIX_STRLEN];
    g_assert_cmpint(mp_prefix_format(&p, pb, sizeof pb), ==, 39 + 4);
    p.len = 129;
    g_assert_cmpint(mp_prefix_format(&p, pb, sizeof pb), ==, -EINVAL);
}

/* --- registration --------------------------------------------------------- */

/* Test paths may not contain '/', and other characters read badly. */
static char *path_of(const char *base, const char *name)
{
    char *clean = g_strdup(name[0] ? name : "(empty)");
    g_strdelimit(clean, "/ ", '_');
    char *p = g_strdup_printf("%s/%s", base, clean);
    g_free(clean);
    return p;
}

#define ADD_TABLE(base, arr, field, fn)                                                            \
    for (size_t i_ = 0; i_ < MP_ARRAY_LEN(arr); i_++) {                                            \
        char *p_ = path_of(base, (arr)[i_] field);                                                 \
        char *q_ = g_strdup_printf("%s#%zu", p_, i_);                                              \
        g_test_add_data_func(q_, &(arr)[i_], fn);                                                  \
        g_free(p_);                                                                                \
        g_free(q_);                                                                                \
    }

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ADD_TABLE("/addr/ip/ok", ip_ok_cases, .in, test_ip_ok);
    for (size_t i = 0; i < MP_ARRAY_LEN(ip_bad_cases); i++) {
        char *p = path_of("/addr/ip/reject", ip_bad_cases[i]);
        g_test_add_data_func(p, ip_bad_cases[i], test_ip_bad);
        g_free(p);
    }
    g_test_add_func("/addr/ip/parse-n", test_ip_parse_n);
    g_test_add_func("/addr/ip/v4-ctor", test_ip_v4_ctor);
    g_test_add_func("/addr/ip/format-space", test_ip_format_space);
    g_test_add_func("/addr/ip/cmp", test_ip_cmp);

    ADD_TABLE("/addr/prefix/ok", prefix_ok_cases, .in, test_prefix_ok);
    for (size_t i = 0; i < MP_ARRAY_LEN(prefix_bad_cases); i++) {
        char *p = path_of("/addr/prefix/reject", prefix_bad_cases[i]);
        char *q = g_strdup_printf("%s#%zu", p, i);
        g_test_add_data_func(q, prefix_bad_cases[i], test_prefix_bad);
        g_free(p);
        g_free(q);
    }
    ADD_TABLE("/addr/prefix/contains", contains_cases, .addr, test_contains);
    g_test_add_func("/addr/prefix/covers", test_prefix_covers);
    ADD_TABLE("/addr/mask", mask_cases, .addr, test_mask);
    ADD_TABLE("/addr/common-prefix", cpl_cases, .a, test_common_prefix);

    ADD_TABLE("/addr/classify", class_cases, .addr, test_classify);
    g_test_add_func("/addr/classify/none", test_classify_none);
    g_test_add_func("/addr/map-v4", test_map_v4);

    ADD_TABLE("/addr/endpoint/ok", ep_ok_cases, .in, test_endpoint_ok);
    for (size_t i = 0; i < MP_ARRAY_LEN(ep_bad_cases); i++) {
        char *p = path_of("/addr/endpoint/reject", ep_bad_cases[i]);
        char *q = g_strdup_printf("%s#%zu", p, i);
        g_test_add_data_func(q, ep_bad_cases[i], test_endpoint_bad);
        g_free(p);
        g_free(q);
    }
    g_test_add_func("/addr/endpoint/space", test_endpoint_space);

    return g_test_run();
}
