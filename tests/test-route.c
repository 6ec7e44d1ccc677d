/*
 * Tests of model/net/route (tables, policy rules, lookup) and
 * model/net/srcsel (RFC 6724 source selection and destination ordering,
 * Linux IPv4 source selection).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "model/net/route.h"
#include "model/net/srcsel.h"

static struct mp_ip ip(const char *s)
{
    struct mp_ip a;
    int rc = mp_ip_parse(s, &a);
    g_assert_cmpint(rc, ==, 0);
    return a;
}

static struct mp_prefix pfx(const char *s)
{
    struct mp_prefix p;
    int rc = mp_prefix_parse(s, &p);
    g_assert_cmpint(rc, ==, 0);
    return p;
}

/* A route as a test table row. */
struct rspec {
    uint32_t table;
    const char *dst;
    const char *gw;
    uint32_t ifindex;
    uint32_t metric;
    enum mp_rt_kind kind;
    const char *src;
};

static struct mp_rt_route route_of(const struct rspec *s)
{
    struct mp_rt_route r = {
        .dst = pfx(s->dst),
        .ifindex = s->ifindex,
        .metric = s->metric,
        .kind = s->kind,
    };
    if (s->gw)
        r.gw = ip(s->gw);
    if (s->src)
        r.prefsrc = ip(s->src);
    return r;
}

static int add_spec(struct mp_rt *rt, const struct rspec *s)
{
    struct mp_rt_route r = route_of(s);
    return mp_rt_route_add(rt, s->table, &r, 0);
}

static void add_all(struct mp_rt *rt, const struct rspec *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_assert_cmpint(add_spec(rt, &s[i]), ==, 0);
}

/* Unicast route in main: "dst [via gw] dev ifindex [metric m]". */
static void add(struct mp_rt *rt, const char *dst, const char *gw, uint32_t ifindex)
{
    struct rspec s = {MP_RT_TABLE_MAIN, dst, gw, ifindex, 0, MP_RT_UNICAST, NULL};
    g_assert_cmpint(add_spec(rt, &s), ==, 0);
}

static int look(const struct mp_rt *rt, const char *src, const char *dst, uint32_t oif,
                struct mp_rt_result *res)
{
    struct mp_ip s, d = ip(dst);
    if (src)
        s = ip(src);
    return mp_rt_lookup(rt, src ? &s : NULL, &d, oif, res);
}

static void assert_route(const struct mp_rt_result *res, const char *prefix, uint32_t ifindex)
{
    char buf[MP_PREFIX_STRLEN];
    g_assert_cmpint(mp_prefix_format(&res->route.dst, buf, sizeof buf), >, 0);
    g_assert_cmpstr(buf, ==, prefix);
    g_assert_cmpuint(res->ifindex, ==, ifindex);
}

static struct mp_rt_rule rule_from(uint32_t prio, const char *from, uint32_t table)
{
    struct mp_rt_rule r = {.priority = prio, .table = table};
    if (from)
        r.from = pfx(from);
    return r;
}

/* --- longest prefix match ----------------------------------------------- */

static const struct rspec lpm_routes[] = {
    {254, "0.0.0.0/0", "192.0.2.1", 1, 0, MP_RT_UNICAST, NULL},
    {254, "10.0.0.0/8", NULL, 2, 0, MP_RT_UNICAST, NULL},
    {254, "10.1.0.0/16", "10.0.0.1", 3, 0, MP_RT_UNICAST, NULL},
    {254, "10.1.2.0/24", NULL, 6, 10, MP_RT_UNICAST, NULL}, /* worse metric, added first */
    {254, "10.1.2.0/24", NULL, 4, 0, MP_RT_UNICAST, NULL},
    {254, "10.1.2.3/32", NULL, 5, 0, MP_RT_UNICAST, NULL},
    {254, "172.16.0.0/12", NULL, 7, 5, MP_RT_UNICAST, NULL},
    {254, "172.16.0.0/12", NULL, 8, 1, MP_RT_UNICAST, NULL},
    {254, "10.128.0.0/9", NULL, 9, 0, MP_RT_UNICAST, NULL},
    {254, "::/0", "fe80::1", 1, 0, MP_RT_UNICAST, NULL},
    {254, "2001:db8::/32", NULL, 2, 0, MP_RT_UNICAST, NULL},
    {254, "2001:db8:1::/48", NULL, 3, 0, MP_RT_UNICAST, NULL},
    {254, "2001:db8:1:2::/64", NULL, 4, 0, MP_RT_UNICAST, NULL},
    {254, "2001:db8:1:2::5/128", NULL, 5, 0, MP_RT_UNICAST, NULL},
    {254, "2001:db8:8000::/33", NULL, 6, 0, MP_RT_UNICAST, NULL},
};

struct lpm_case {
    const char *dst;
    const char *prefix;
    uint32_t ifindex;
    const char *nexthop;
};

static const struct lpm_case lpm_cases[] = {
    {"10.1.2.3", "10.1.2.3/32", 5, "10.1.2.3"},
    {"10.1.2.4", "10.1.2.0/24", 4, "10.1.2.4"}, /* metric 0 beats metric 10 */
    {"10.1.3.1", "10.1.0.0/16", 3, "10.0.0.1"},
    {"10.2.0.1", "10.0.0.0/8", 2, "10.2.0.1"},
    {"10.127.255.255", "10.0.0.0/8", 2, "10.127.255.255"},
    {"10.200.0.1", "10.128.0.0/9", 9, "10.200.0.1"},
    {"11.0.0.1", "0.0.0.0/0", 1, "192.0.2.1"},
    {"172.20.1.1", "172.16.0.0/12", 8, "172.20.1.1"},
    {"172.32.0.1", "0.0.0.0/0", 1, "192.0.2.1"},
    {"2001:db8:1:2::5", "2001:db8:1:2::5/128", 5, "2001:db8:1:2::5"},
    {"2001:db8:1:2::6", "2001:db8:1:2::/64", 4, "2001:db8:1:2::6"},
    {"2001:db8:1:3::1", "2001:db8:1::/48", 3, "2001:db8:1:3::1"},
    {"2001:db8:2::1", "2001:db8::/32", 2, "2001:db8:2::1"},
    {"2001:db8:8000::1", "2001:db8:8000::/33", 6, "2001:db8:8000::1"},
    {"2001:db9::1", "::/0", 1, "fe80::1"},
    {"::ffff:10.1.2.3", "::/0", 1, "fe80::1"}, /* IPv6 never looks at IPv4 routes */
};

static void test_lpm(gconstpointer data)
{
    const struct lpm_case *c = data;
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    add_all(rt, lpm_routes, MP_ARRAY_LEN(lpm_routes));
    g_assert_cmpint(look(rt, NULL, c->dst, 0, &res), ==, 0);
    assert_route(&res, c->prefix, c->ifindex);
    struct mp_ip nh = ip(c->nexthop);
    g_assert_true(mp_ip_eq(&res.nexthop, &nh));
    g_assert_cmpuint(res.table, ==, MP_RT_TABLE_MAIN);
    g_assert_cmpuint(res.rule_priority, ==, MP_RT_PRIO_MAIN);
    g_assert_cmpuint(res.flags, ==, 0);
    mp_rt_free(rt);
}

static void test_no_route(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    g_assert_cmpint(look(rt, NULL, "10.0.0.1", 0, &res), ==, -ENETUNREACH);
    add(rt, "10.0.0.0/8", NULL, 1);
    g_assert_cmpint(look(rt, NULL, "10.0.0.1", 0, &res), ==, 0);
    g_assert_cmpint(look(rt, NULL, "11.0.0.1", 0, &res), ==, -ENETUNREACH);
    g_assert_cmpint(look(rt, NULL, "2001:db8::1", 0, &res), ==, -ENETUNREACH);
    /* A default route catches everything of its family only. */
    add(rt, "0.0.0.0/0", "10.0.0.254", 1);
    g_assert_cmpint(look(rt, NULL, "11.0.0.1", 0, &res), ==, 0);
    assert_route(&res, "0.0.0.0/0", 1);
    g_assert_cmpint(look(rt, NULL, "2001:db8::1", 0, &res), ==, -ENETUNREACH);
    /* Bad flows. */
    struct mp_ip none = {0}, d4 = ip("10.0.0.1"), s6 = ip("::1");
    g_assert_cmpint(mp_rt_lookup(rt, NULL, &none, 0, &res), ==, -EINVAL);
    g_assert_cmpint(mp_rt_lookup(rt, &s6, &d4, 0, &res), ==, -EINVAL);
    mp_rt_free(rt);
}

/* --- add, replace, remove ------------------------------------------------- */

static void test_add_replace_del(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    struct rspec s = {254, "10.0.0.0/8", NULL, 1, 0, MP_RT_UNICAST, NULL};
    struct mp_rt_route r = route_of(&s);

    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, 0);
    /* Same prefix and metric: Linux's EEXIST, unless replacing. */
    r.ifindex = 2;
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, -EEXIST);
    g_assert_cmpint(look(rt, NULL, "10.9.9.9", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 1);
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, MP_RT_REPLACE), ==, 0);
    g_assert_cmpuint(mp_rt_table_size(rt, 254), ==, 1);
    g_assert_cmpint(look(rt, NULL, "10.9.9.9", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 2);

    /* Another metric coexists; the lower one still wins. */
    r.ifindex = 3;
    r.metric = 10;
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, 0);
    g_assert_cmpuint(mp_rt_table_size(rt, 254), ==, 2);
    g_assert_cmpint(look(rt, NULL, "10.9.9.9", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 2);
    g_assert_cmpuint(res.route.metric, ==, 0);

    /* A lower metric added later takes over. */
    r.ifindex = 4;
    r.metric = 0;
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, -EEXIST);
    struct mp_prefix p = pfx("10.0.0.0/8");
    /* Delete without metric: the lowest first, as `ip route del` does. */
    g_assert_cmpint(mp_rt_route_del(rt, 254, &p, NULL), ==, 0);
    g_assert_cmpint(look(rt, NULL, "10.9.9.9", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 3);
    uint32_t m = 7;
    g_assert_cmpint(mp_rt_route_del(rt, 254, &p, &m), ==, -ESRCH);
    m = 10;
    g_assert_cmpint(mp_rt_route_del(rt, 254, &p, &m), ==, 0);
    g_assert_cmpint(mp_rt_route_del(rt, 254, &p, NULL), ==, -ESRCH);
    g_assert_cmpuint(mp_rt_table_size(rt, 254), ==, 0);
    g_assert_cmpint(look(rt, NULL, "10.9.9.9", 0, &res), ==, -ENETUNREACH);

    /* Replace creates when there is nothing to replace. */
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, MP_RT_REPLACE), ==, 0);
    g_assert_cmpuint(mp_rt_table_size(rt, 254), ==, 1);
    /* Deleting from a table that never existed. */
    g_assert_cmpint(mp_rt_route_del(rt, 77, &p, NULL), ==, -ESRCH);
    mp_rt_free(rt);
}

static void test_add_invalid(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_route r = {.dst = pfx("10.0.0.1/8"), .ifindex = 1};
    /* Linux: "Invalid prefix for given prefix length". */
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, -EINVAL);
    r.dst = pfx("10.0.0.0/8");
    g_assert_cmpint(mp_rt_route_add(rt, 0, &r, 0), ==, -EINVAL);
    r.gw = ip("2001:db8::1");
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, -EINVAL);
    r.gw = ip("10.0.0.1");
    r.prefsrc = ip("::1");
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, -EINVAL);
    r.prefsrc = (struct mp_ip){0};
    r.ifindex = 0; /* a unicast route needs an interface */
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, -EINVAL);
    r.kind = MP_RT_BLACKHOLE; /* reject routes have no gateway */
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, -EINVAL);
    r.gw = (struct mp_ip){0};
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, 0);
    r.kind = (enum mp_rt_kind)42;
    g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, -EINVAL);
    struct mp_rt_route bad = {.dst = {.ip = ip("10.0.0.0"), .len = 33}, .ifindex = 1};
    g_assert_cmpint(mp_rt_route_add(rt, 254, &bad, 0), ==, -EINVAL);
    struct mp_rt_route nofam = {.ifindex = 1};
    g_assert_cmpint(mp_rt_route_add(rt, 254, &nofam, 0), ==, -EINVAL);
    struct mp_prefix hostbits = pfx("10.0.0.1/8");
    g_assert_cmpint(mp_rt_route_del(rt, 254, &hostbits, NULL), ==, -EINVAL);
    g_assert_cmpuint(mp_rt_table_size(rt, 254), ==, 1);
    mp_rt_free(rt);
}

/* --- reject routes -------------------------------------------------------- */

static const struct rspec reject_routes[] = {
    {254, "0.0.0.0/0", "192.0.2.1", 1, 0, MP_RT_UNICAST, NULL},
    {254, "10.66.0.0/16", NULL, 0, 0, MP_RT_BLACKHOLE, NULL},
    {254, "10.66.1.0/24", NULL, 2, 0, MP_RT_UNICAST, NULL},
    {254, "10.67.0.0/16", NULL, 0, 0, MP_RT_UNREACHABLE, NULL},
    {254, "10.68.0.0/16", NULL, 0, 0, MP_RT_PROHIBIT, NULL},
    {254, "2001:db8:dead::/48", NULL, 0, 0, MP_RT_BLACKHOLE, NULL},
    {254, "::/0", NULL, 0, 0, MP_RT_UNREACHABLE, NULL},
    {255, "10.0.1.5/32", NULL, 1, 0, MP_RT_LOCAL, NULL},
};

struct reject_case {
    const char *dst;
    int err;
    uint32_t ifindex;
};

static const struct reject_case reject_cases[] = {
    {"10.66.0.1", -EINVAL, 0},       /* blackhole: EINVAL to sendto */
    {"10.66.1.1", 0, 2},             /* a longer unicast prefix inside it */
    {"10.67.0.1", -EHOSTUNREACH, 0}, /* unreachable */
    {"10.68.0.1", -EACCES, 0},       /* prohibit */
    {"10.69.0.1", 0, 1},             /* the default route */
    {"2001:db8:dead::1", -EINVAL, 0},
    {"2001:db8::1", -EHOSTUNREACH, 0}, /* "unreachable default" */
    {"10.0.1.5", 0, 1},                /* local table, priority 0 */
};

static void test_reject(gconstpointer data)
{
    const struct reject_case *c = data;
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    add_all(rt, reject_routes, MP_ARRAY_LEN(reject_routes));
    g_assert_cmpint(look(rt, NULL, c->dst, 0, &res), ==, c->err);
    if (c->err == 0)
        g_assert_cmpuint(res.ifindex, ==, c->ifindex);
    mp_rt_free(rt);
}

static void test_local(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    add_all(rt, reject_routes, MP_ARRAY_LEN(reject_routes));
    g_assert_cmpint(look(rt, NULL, "10.0.1.5", 0, &res), ==, 0);
    g_assert_cmpint(res.route.kind, ==, MP_RT_LOCAL);
    g_assert_cmpuint(res.table, ==, MP_RT_TABLE_LOCAL);
    g_assert_cmpuint(res.rule_priority, ==, 0);
    mp_rt_free(rt);
}

static void test_throw(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    add(rt, "0.0.0.0/0", "192.0.2.1", 1);
    const struct rspec t2[] = {
        {2, "10.70.0.0/16", NULL, 0, 0, MP_RT_THROW, NULL},
        {2, "0.0.0.0/0", "10.3.0.1", 3, 0, MP_RT_UNICAST, NULL},
    };
    add_all(rt, t2, MP_ARRAY_LEN(t2));
    struct mp_rt_rule ru = {.priority = 100, .family = 4, .table = 2};
    g_assert_cmpint(mp_rt_rule_add(rt, &ru), ==, 0);
    /* The throw route ends table 2 without an answer: main decides. */
    g_assert_cmpint(look(rt, NULL, "10.70.0.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 1);
    g_assert_cmpuint(res.table, ==, MP_RT_TABLE_MAIN);
    g_assert_cmpint(look(rt, NULL, "10.71.0.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 3);
    g_assert_cmpuint(res.table, ==, 2);
    g_assert_cmpuint(res.rule_priority, ==, 100);
    mp_rt_free(rt);
}

/* --- policy rules --------------------------------------------------------- */

/* The multihoming case: a host on two networks answers from the network a
 * subflow's source address belongs to. */
static struct mp_rt *multihomed(void)
{
    struct mp_rt *rt = mp_rt_new();
    const struct rspec routes[] = {
        {254, "10.0.1.0/24", NULL, 1, 0, MP_RT_UNICAST, "10.0.1.5"},
        {254, "10.0.2.0/24", NULL, 2, 0, MP_RT_UNICAST, "10.0.2.5"},
        {254, "0.0.0.0/0", "10.0.1.1", 1, 0, MP_RT_UNICAST, NULL},
        {2, "0.0.0.0/0", "10.0.2.1", 2, 0, MP_RT_UNICAST, NULL},
        {254, "::/0", "fe80::1", 1, 0, MP_RT_UNICAST, NULL},
    };
    add_all(rt, routes, MP_ARRAY_LEN(routes));
    struct mp_rt_rule ru = rule_from(MP_RT_PRIO_AUTO, "10.0.2.0/24", 2);
    g_assert_cmpint(mp_rt_rule_add(rt, &ru), ==, 0);
    return rt;
}

static void test_rule_multihoming(void)
{
    struct mp_rt *rt = multihomed();
    struct mp_rt_result res;

    /* Linux's automatic priority: one below main's 32766. */
    size_t n;
    const struct mp_rt_rule *rules = mp_rt_rules(rt, &n);
    g_assert_cmpuint(n, ==, 6);
    g_assert_cmpuint(rules[2].priority, ==, 32765);
    g_assert_cmpuint(rules[2].table, ==, 2);
    g_assert_cmpint(rules[2].family, ==, 4);

    /* No source yet: main, first interface. */
    g_assert_cmpint(look(rt, NULL, "203.0.113.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 1);
    g_assert_cmpuint(res.table, ==, MP_RT_TABLE_MAIN);
    g_assert_cmpuint(res.rule_priority, ==, 32766);
    /* Source on the second network: table 2, second interface. */
    g_assert_cmpint(look(rt, "10.0.2.5", "203.0.113.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 2);
    g_assert_cmpuint(res.table, ==, 2);
    g_assert_cmpuint(res.rule_priority, ==, 32765);
    struct mp_ip gw = ip("10.0.2.1");
    g_assert_true(mp_ip_eq(&res.nexthop, &gw));
    /* Source on the first network: main. */
    g_assert_cmpint(look(rt, "10.0.1.5", "203.0.113.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 1);
    /* IPv4 rules never apply to IPv6 flows. */
    g_assert_cmpint(look(rt, "2001:db8::5", "2001:db8:9::1", 0, &res), ==, 0);
    g_assert_cmpuint(res.table, ==, MP_RT_TABLE_MAIN);
    mp_rt_free(rt);
}

static void test_rule_fallthrough(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    add(rt, "0.0.0.0/0", "10.0.1.1", 1);
    const struct rspec t2 = {2, "198.51.100.0/24", "10.0.2.1", 2, 0, MP_RT_UNICAST, NULL};
    g_assert_cmpint(add_spec(rt, &t2), ==, 0);
    struct mp_rt_rule ru = rule_from(1000, "10.0.2.0/24", 2);
    g_assert_cmpint(mp_rt_rule_add(rt, &ru), ==, 0);

    g_assert_cmpint(look(rt, "10.0.2.5", "198.51.100.7", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 2);
    g_assert_cmpuint(res.rule_priority, ==, 1000);
    /* Table 2 has no route: on to the main rule. */
    g_assert_cmpint(look(rt, "10.0.2.5", "203.0.113.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 1);
    g_assert_cmpuint(res.table, ==, MP_RT_TABLE_MAIN);
    g_assert_cmpuint(res.rule_priority, ==, MP_RT_PRIO_MAIN);
    /* A rule naming a table that does not exist falls through too. */
    struct mp_rt_rule ghost = rule_from(10, NULL, 99);
    ghost.family = 4;
    g_assert_cmpint(mp_rt_rule_add(rt, &ghost), ==, 0);
    g_assert_cmpint(look(rt, NULL, "203.0.113.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.table, ==, MP_RT_TABLE_MAIN);
    mp_rt_free(rt);
}

static void test_rule_priority(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    const struct rspec routes[] = {
        {254, "0.0.0.0/0", NULL, 1, 0, MP_RT_UNICAST, NULL},
        {3, "10.0.0.0/8", NULL, 3, 0, MP_RT_UNICAST, NULL},
        {4, "0.0.0.0/0", NULL, 4, 0, MP_RT_UNICAST, NULL},
        {5, "0.0.0.0/0", NULL, 5, 0, MP_RT_UNICAST, NULL},
    };
    add_all(rt, routes, MP_ARRAY_LEN(routes));
    /* Added in the opposite order of their priorities. */
    struct mp_rt_rule all4 = {.priority = 200, .family = 4, .table = 4};
    struct mp_rt_rule to5 = {.priority = 100, .to = pfx("10.5.0.0/16"), .table = 3};
    g_assert_cmpint(mp_rt_rule_add(rt, &all4), ==, 0);
    g_assert_cmpint(mp_rt_rule_add(rt, &to5), ==, 0);

    g_assert_cmpint(look(rt, NULL, "10.5.1.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 3);
    g_assert_cmpint(look(rt, NULL, "10.6.1.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 4);
    g_assert_cmpuint(res.rule_priority, ==, 200);

    /* Reject actions end the walk with their errors. */
    struct mp_rt_rule unr = {.priority = 50, .to = pfx("10.5.0.0/16"),
                             .action = MP_RT_RULE_UNREACHABLE};
    g_assert_cmpint(mp_rt_rule_add(rt, &unr), ==, 0);
    g_assert_cmpint(look(rt, NULL, "10.5.1.1", 0, &res), ==, -EHOSTUNREACH);
    g_assert_cmpint(look(rt, NULL, "10.6.1.1", 0, &res), ==, 0);
    struct mp_rt_rule bh = {.priority = 150, .from = pfx("10.9.0.0/16"),
                            .action = MP_RT_RULE_BLACKHOLE};
    g_assert_cmpint(mp_rt_rule_add(rt, &bh), ==, 0);
    g_assert_cmpint(look(rt, "10.9.0.1", "10.6.1.1", 0, &res), ==, -EINVAL);
    g_assert_cmpint(look(rt, "10.8.0.1", "10.6.1.1", 0, &res), ==, 0);
    struct mp_rt_rule pro = {.priority = 1, .family = 4, .iif = 7,
                             .action = MP_RT_RULE_PROHIBIT};
    g_assert_cmpint(mp_rt_rule_add(rt, &pro), ==, 0);
    struct mp_rt_flow fl = {.dst = ip("10.6.1.1"), .iif = 7};
    g_assert_cmpint(mp_rt_lookup_flow(rt, &fl, &res), ==, -EACCES);

    /* Deleting the unreachable rule restores table 3. */
    g_assert_cmpint(mp_rt_rule_del(rt, &unr), ==, 0);
    g_assert_cmpint(mp_rt_rule_del(rt, &unr), ==, -ENOENT);
    g_assert_cmpint(look(rt, NULL, "10.5.1.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 3);

    /* The list is in evaluation order. */
    size_t n;
    const struct mp_rt_rule *rules = mp_rt_rules(rt, &n);
    for (size_t i = 1; i < n; i++)
        g_assert_cmpuint(rules[i - 1].priority, <=, rules[i].priority);
    mp_rt_free(rt);
}

static void test_rule_equal_priority(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    const struct rspec routes[] = {
        {5, "0.0.0.0/0", NULL, 5, 0, MP_RT_UNICAST, NULL},
        {6, "0.0.0.0/0", NULL, 6, 0, MP_RT_UNICAST, NULL},
    };
    add_all(rt, routes, MP_ARRAY_LEN(routes));
    struct mp_rt_rule a = {.priority = 300, .to = pfx("10.7.0.0/16"), .table = 6};
    struct mp_rt_rule b = {.priority = 300, .to = pfx("10.7.0.0/16"), .table = 5};
    g_assert_cmpint(mp_rt_rule_add(rt, &a), ==, 0);
    g_assert_cmpint(mp_rt_rule_add(rt, &b), ==, 0);
    /* Equal priorities: the rule added first. */
    g_assert_cmpint(look(rt, NULL, "10.7.0.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.table, ==, 6);
    /* An identical rule is refused, as `ip rule add` is. */
    g_assert_cmpint(mp_rt_rule_add(rt, &a), ==, -EEXIST);
    mp_rt_free(rt);
}

static void test_rule_defaults(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    size_t n;
    const struct mp_rt_rule *rules = mp_rt_rules(rt, &n);
    /* Linux: IPv4 0 local, 32766 main, 32767 default; IPv6 0 local, 32766
     * main. */
    g_assert_cmpuint(n, ==, 5);
    g_assert_cmpuint(rules[0].priority, ==, 0);
    g_assert_cmpuint(rules[0].table, ==, 255);
    g_assert_cmpuint(rules[4].priority, ==, 32767);
    g_assert_cmpuint(rules[4].table, ==, 253);
    g_assert_cmpint(rules[4].family, ==, 4);

    /* Routes in the default table are consulted last. */
    const struct rspec d = {253, "0.0.0.0/0", NULL, 9, 0, MP_RT_UNICAST, NULL};
    g_assert_cmpint(add_spec(rt, &d), ==, 0);
    g_assert_cmpint(look(rt, NULL, "192.0.2.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 9);
    g_assert_cmpuint(res.rule_priority, ==, 32767);
    add(rt, "192.0.2.0/24", NULL, 1);
    g_assert_cmpint(look(rt, NULL, "192.0.2.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 1);

    /* Without the main rule, main is never consulted. */
    struct mp_rt_rule mainr = {.priority = 32766, .family = 4, .table = 254};
    g_assert_cmpint(mp_rt_rule_del(rt, &mainr), ==, 0);
    g_assert_cmpint(look(rt, NULL, "192.0.2.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 9);

    /* Rules that cannot be. */
    struct mp_rt_rule nofam = {.priority = 5, .table = 2};
    g_assert_cmpint(mp_rt_rule_add(rt, &nofam), ==, -EINVAL);
    struct mp_rt_rule mixed = {.priority = 5, .from = pfx("10.0.0.0/8"),
                               .to = pfx("2001:db8::/32"), .table = 2};
    g_assert_cmpint(mp_rt_rule_add(rt, &mixed), ==, -EINVAL);
    struct mp_rt_rule notable = {.priority = 5, .family = 6};
    g_assert_cmpint(mp_rt_rule_add(rt, &notable), ==, -EINVAL);
    struct mp_rt_rule badact = {.priority = 5, .family = 6, .table = 2,
                                .action = (enum mp_rt_rule_action)9};
    g_assert_cmpint(mp_rt_rule_add(rt, &badact), ==, -EINVAL);
    mp_rt_free(rt);
}

static void test_rule_masks_selectors(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    const struct rspec t2 = {2, "0.0.0.0/0", NULL, 2, 0, MP_RT_UNICAST, NULL};
    g_assert_cmpint(add_spec(rt, &t2), ==, 0);
    add(rt, "0.0.0.0/0", NULL, 1);
    /* "from 10.0.2.5/24" means the subnet. */
    struct mp_rt_rule ru = rule_from(10, "10.0.2.5/24", 2);
    g_assert_cmpint(mp_rt_rule_add(rt, &ru), ==, 0);
    size_t n;
    const struct mp_rt_rule *rules = mp_rt_rules(rt, &n);
    struct mp_ip net = ip("10.0.2.0");
    g_assert_cmpuint(rules[2].priority, ==, 10);
    g_assert_true(mp_ip_eq(&rules[2].from.ip, &net));
    g_assert_cmpuint(rules[2].from.len, ==, 24);
    g_assert_cmpint(look(rt, "10.0.2.77", "192.0.2.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 2);
    /* Deleting with the same (unmasked) spelling finds it. */
    g_assert_cmpint(mp_rt_rule_del(rt, &ru), ==, 0);
    g_assert_cmpint(look(rt, "10.0.2.77", "192.0.2.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 1);
    mp_rt_free(rt);
}

/* --- bound interface and input interface ---------------------------------- */

static void test_oif(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    add(rt, "0.0.0.0/0", "10.0.1.1", 1);
    add(rt, "10.0.2.0/24", NULL, 2);
    add(rt, "10.0.0.0/8", NULL, 3);
    const struct rspec m50 = {254, "10.0.2.0/24", NULL, 4, 50, MP_RT_UNICAST, NULL};
    g_assert_cmpint(add_spec(rt, &m50), ==, 0);

    g_assert_cmpint(look(rt, NULL, "10.0.2.9", 2, &res), ==, 0);
    assert_route(&res, "10.0.2.0/24", 2);
    /* The metric-50 route is the one through interface 4. */
    g_assert_cmpint(look(rt, NULL, "10.0.2.9", 4, &res), ==, 0);
    assert_route(&res, "10.0.2.0/24", 4);
    g_assert_cmpuint(res.route.metric, ==, 50);
    /* Nothing through 3 for the /24: a shorter prefix through 3 is. */
    g_assert_cmpint(look(rt, NULL, "10.0.2.9", 3, &res), ==, 0);
    assert_route(&res, "10.0.0.0/8", 3);
    g_assert_cmpint(look(rt, NULL, "8.8.8.8", 1, &res), ==, 0);
    assert_route(&res, "0.0.0.0/0", 1);
    /* No route through 2 at all: Linux assumes the destination is on-link. */
    g_assert_cmpint(look(rt, NULL, "8.8.8.8", 2, &res), ==, 0);
    g_assert_cmpuint(res.flags, ==, MP_RT_RES_ASSUMED_ONLINK);
    g_assert_cmpuint(res.ifindex, ==, 2);
    struct mp_ip d = ip("8.8.8.8");
    g_assert_true(mp_ip_eq(&res.nexthop, &d));
    assert_route(&res, "8.8.8.8/32", 2);

    /* A rule on the bound interface. */
    const struct rspec t7 = {7, "0.0.0.0/0", "10.0.2.1", 2, 0, MP_RT_UNICAST, NULL};
    g_assert_cmpint(add_spec(rt, &t7), ==, 0);
    struct mp_rt_rule ru = {.priority = 10, .family = 4, .oif = 2, .table = 7};
    g_assert_cmpint(mp_rt_rule_add(rt, &ru), ==, 0);
    g_assert_cmpint(look(rt, NULL, "8.8.8.8", 2, &res), ==, 0);
    g_assert_cmpuint(res.flags, ==, 0);
    g_assert_cmpuint(res.table, ==, 7);
    struct mp_ip gw = ip("10.0.2.1");
    g_assert_true(mp_ip_eq(&res.nexthop, &gw));
    g_assert_cmpint(look(rt, NULL, "8.8.8.8", 0, &res), ==, 0);
    g_assert_cmpuint(res.table, ==, 254);
    mp_rt_free(rt);
}

static void test_iif(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    add(rt, "0.0.0.0/0", NULL, 1);
    const struct rspec t8 = {8, "0.0.0.0/0", NULL, 6, 0, MP_RT_UNICAST, NULL};
    g_assert_cmpint(add_spec(rt, &t8), ==, 0);
    struct mp_rt_rule ru = {.priority = 10, .family = 4, .iif = 5, .table = 8};
    g_assert_cmpint(mp_rt_rule_add(rt, &ru), ==, 0);
    struct mp_rt_flow fl = {.dst = ip("8.8.8.8"), .src = ip("172.16.0.1"), .iif = 5};
    g_assert_cmpint(mp_rt_lookup_flow(rt, &fl, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 6);
    fl.iif = 0;
    g_assert_cmpint(mp_rt_lookup_flow(rt, &fl, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 1);
    mp_rt_free(rt);
}

/* --- listing, flushing, formatting ---------------------------------------- */

static const struct rspec dump_routes[] = {
    {254, "2001:db8::/32", NULL, 1, 0, MP_RT_UNICAST, NULL},
    {2, "10.0.0.0/8", NULL, 1, 0, MP_RT_UNICAST, NULL},
    {254, "10.1.0.0/16", NULL, 1, 0, MP_RT_UNICAST, NULL},
    {255, "10.0.0.5/32", NULL, 1, 0, MP_RT_LOCAL, NULL},
    {254, "0.0.0.0/0", "192.0.2.1", 1, 0, MP_RT_UNICAST, NULL},
    {254, "10.0.0.0/8", NULL, 2, 5, MP_RT_UNICAST, NULL},
    {254, "10.0.0.0/8", NULL, 1, 0, MP_RT_UNICAST, "10.0.0.5"},
    {254, "::/0", NULL, 1, 0, MP_RT_UNICAST, NULL},
    {254, "9.0.0.0/8", NULL, 1, 0, MP_RT_UNICAST, NULL},
    {254, "10.0.0.0/16", NULL, 3, 0, MP_RT_UNICAST, NULL},
    {254, "192.0.2.0/24", NULL, 0, 0, MP_RT_BLACKHOLE, NULL},
};

static const char *const dump_want[] = {
    "10.0.0.0/8 dev 1 table 2",
    "default via 192.0.2.1 dev 1",
    "9.0.0.0/8 dev 1",
    "10.0.0.0/8 dev 1 src 10.0.0.5",
    "10.0.0.0/8 dev 2 metric 5",
    "10.0.0.0/16 dev 3",
    "10.1.0.0/16 dev 1",
    "blackhole 192.0.2.0/24",
    "default dev 1",
    "2001:db8::/32 dev 1",
    "local 10.0.0.5/32 dev 1 table 255",
};

static GPtrArray *dump_strings(const struct mp_rt *rt)
{
    GArray *d = mp_rt_dump(rt);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < d->len; i++) {
        const struct mp_rt_entry *e = &g_array_index(d, struct mp_rt_entry, i);
        char buf[160];
        g_assert_cmpint(mp_rt_route_format(e->table, &e->route, buf, sizeof buf), >, 0);
        g_ptr_array_add(out, g_strdup(buf));
    }
    g_array_unref(d);
    return out;
}

static void test_dump_order(void)
{
    struct mp_rt *a = mp_rt_new(), *b = mp_rt_new();
    add_all(a, dump_routes, MP_ARRAY_LEN(dump_routes));
    /* The same routes added backwards list the same way. */
    for (size_t i = MP_ARRAY_LEN(dump_routes); i-- > 0;)
        g_assert_cmpint(add_spec(b, &dump_routes[i]), ==, 0);
    GPtrArray *da = dump_strings(a), *db = dump_strings(b);
    g_assert_cmpuint(da->len, ==, MP_ARRAY_LEN(dump_want));
    g_assert_cmpuint(db->len, ==, MP_ARRAY_LEN(dump_want));
    for (guint i = 0; i < da->len; i++) {
        g_assert_cmpstr(g_ptr_array_index(da, i), ==, dump_want[i]);
        g_assert_cmpstr(g_ptr_array_index(db, i), ==, dump_want[i]);
    }
    g_ptr_array_unref(da);
    g_ptr_array_unref(db);
    mp_rt_free(a);
    mp_rt_free(b);
}

static void test_flush_ifindex(void)
{
    struct mp_rt *rt = mp_rt_new();
    struct mp_rt_result res;
    add_all(rt, dump_routes, MP_ARRAY_LEN(dump_routes));
    g_assert_cmpuint(mp_rt_flush_ifindex(rt, 1), ==, 8);
    g_assert_cmpuint(mp_rt_flush_ifindex(rt, 1), ==, 0);
    GPtrArray *d = dump_strings(rt);
    g_assert_cmpuint(d->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(d, 0), ==, "10.0.0.0/8 dev 2 metric 5");
    g_assert_cmpstr(g_ptr_array_index(d, 1), ==, "10.0.0.0/16 dev 3");
    g_assert_cmpstr(g_ptr_array_index(d, 2), ==, "blackhole 192.0.2.0/24");
    g_ptr_array_unref(d);
    g_assert_cmpint(look(rt, NULL, "10.1.0.1", 0, &res), ==, 0);
    g_assert_cmpuint(res.ifindex, ==, 2);
    g_assert_cmpint(look(rt, NULL, "11.1.0.1", 0, &res), ==, -ENETUNREACH);
    mp_rt_free(rt);
}

static void test_format(void)
{
    struct rspec s = {5, "10.0.0.0/8", "10.0.0.1", 3, 100, MP_RT_UNICAST, "10.0.0.9"};
    struct mp_rt_route r = route_of(&s);
    char buf[160];
    const char *want = "10.0.0.0/8 via 10.0.0.1 dev 3 table 5 metric 100 src 10.0.0.9";
    g_assert_cmpint(mp_rt_route_format(5, &r, buf, sizeof buf), ==, (int)strlen(want));
    g_assert_cmpstr(buf, ==, want);
    g_assert_cmpint(mp_rt_route_format(5, &r, buf, strlen(want)), ==, -ENOSPC);
    g_assert_cmpstr(buf, ==, "");
    struct rspec u = {254, "2001:db8::/32", NULL, 0, 0, MP_RT_UNREACHABLE, NULL};
    r = route_of(&u);
    g_assert_cmpint(mp_rt_route_format(254, &r, buf, sizeof buf), >, 0);
    g_assert_cmpstr(buf, ==, "unreachable 2001:db8::/32");
    r.kind = MP_RT_PROHIBIT;
    g_assert_cmpint(mp_rt_route_format(254, &r, buf, sizeof buf), >, 0);
    g_assert_cmpstr(buf, ==, "prohibit 2001:db8::/32");
    r.kind = MP_RT_THROW;
    g_assert_cmpint(mp_rt_route_format(254, &r, buf, sizeof buf), >, 0);
    g_assert_cmpstr(buf, ==, "throw 2001:db8::/32");
    r.kind = (enum mp_rt_kind)42;
    g_assert_cmpint(mp_rt_route_format(254, &r, buf, sizeof buf), ==, -EINVAL);
}

/* --- the trie against a brute-force model --------------------------------- */

struct model_route {
    struct mp_rt_route r;
    bool live;
};

/* Random addresses that share long prefixes with a few bases, so prefixes
 * nest and split at every depth. */
static struct mp_ip rand_ip(GRand *g, int v)
{
    static const uint8_t bases[4][16] = {
        {10, 0, 0, 0},
        {10, 1, 2, 0},
        {0x20, 0x01, 0x0d, 0xb8, 0, 1},
        {192, 168, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    };
    struct mp_ip a = {.v = (uint8_t)v};
    unsigned bits = v == 4 ? 32 : 128;
    memcpy(a.b, bases[g_rand_int_range(g, 0, 4)], bits / 8);
    unsigned from = (unsigned)g_rand_int_range(g, 0, (gint32)bits + 1);
    for (unsigned i = from; i < bits; i++)
        if (g_rand_boolean(g))
            a.b[i / 8] ^= (uint8_t)(0x80u >> (i % 8));
    return a;
}

/* The answer by definition: longest prefix, then lowest metric, then the
 * route that was added first, among routes usable for |oif|. */
static const struct mp_rt_route *model_lookup(const GArray *m, const struct mp_ip *d, uint32_t oif)
{
    const struct model_route *best = NULL;
    for (guint i = 0; i < m->len; i++) {
        const struct model_route *e = &g_array_index(m, struct model_route, i);
        if (!e->live || !mp_prefix_contains(&e->r.dst, d))
            continue;
        if (oif && e->r.ifindex != oif)
            continue;
        if (!best || e->r.dst.len > best->r.dst.len ||
            (e->r.dst.len == best->r.dst.len && e->r.metric < best->r.metric))
            best = e;
    }
    return best ? &best->r : NULL;
}

static void check_against_model(const struct mp_rt *rt, const GArray *m, GRand *g, int v)
{
    for (int q = 0; q < 400; q++) {
        struct mp_ip d = rand_ip(g, v);
        uint32_t oif = g_rand_int_range(g, 0, 3) == 0 ? (uint32_t)g_rand_int_range(g, 1, 4) : 0;
        const struct mp_rt_route *want = model_lookup(m, &d, oif);
        struct mp_rt_result res;
        int rc = mp_rt_lookup(rt, NULL, &d, oif, &res);
        if (!want) {
            if (oif) {
                g_assert_cmpint(rc, ==, 0);
                g_assert_cmpuint(res.flags, ==, MP_RT_RES_ASSUMED_ONLINK);
            } else {
                g_assert_cmpint(rc, ==, -ENETUNREACH);
            }
            continue;
        }
        g_assert_cmpint(rc, ==, 0);
        g_assert_cmpuint(res.flags, ==, 0);
        g_assert_true(mp_ip_eq(&res.route.dst.ip, &want->dst.ip));
        g_assert_cmpuint(res.route.dst.len, ==, want->dst.len);
        g_assert_cmpuint(res.route.metric, ==, want->metric);
        g_assert_cmpuint(res.route.ifindex, ==, want->ifindex);
    }
}

static void test_random_vs_model(gconstpointer data)
{
    int v = GPOINTER_TO_INT(data);
    GRand *g = g_rand_new_with_seed(v == 4 ? 4444u : 6666u);
    struct mp_rt *rt = mp_rt_new();
    GArray *m = g_array_new(FALSE, FALSE, sizeof(struct model_route));
    unsigned bits = v == 4 ? 32 : 128;

    for (int round = 0; round < 60; round++) {
        /* Grow by about 20 routes, then delete about 10. */
        for (int k = 0; k < 20; k++) {
            struct mp_rt_route r = {.ifindex = (uint32_t)g_rand_int_range(g, 1, 4),
                                    .metric = (uint32_t)g_rand_int_range(g, 0, 3)};
            struct mp_ip a = rand_ip(g, v);
            unsigned len = (unsigned)g_rand_int_range(g, 0, (gint32)bits + 1);
            mp_ip_mask(&a, len, &r.dst.ip);
            r.dst.len = (uint8_t)len;
            bool replace = g_rand_int_range(g, 0, 4) == 0;
            int rc = mp_rt_route_add(rt, 254, &r, replace ? MP_RT_REPLACE : 0);
            struct model_route *dup = NULL;
            for (guint i = 0; i < m->len; i++) {
                struct model_route *e = &g_array_index(m, struct model_route, i);
                if (e->live && e->r.metric == r.metric && mp_prefix_same_net(&e->r.dst, &r.dst))
                    dup = e;
            }
            if (dup && !replace) {
                g_assert_cmpint(rc, ==, -EEXIST);
            } else if (dup) {
                g_assert_cmpint(rc, ==, 0);
                dup->r = r; /* in place: keeps its age */
            } else {
                g_assert_cmpint(rc, ==, 0);
                struct model_route e = {r, true};
                g_array_append_val(m, e);
            }
        }
        check_against_model(rt, m, g, v);
        for (int k = 0; k < 10 && m->len; k++) {
            guint i = (guint)g_rand_int_range(g, 0, (gint32)m->len);
            struct model_route *e = &g_array_index(m, struct model_route, i);
            uint32_t metric = e->r.metric;
            int rc = mp_rt_route_del(rt, 254, &e->r.dst, &metric);
            /* A dead entry's prefix and metric may live again in a later
             * entry; only then may the delete succeed. */
            bool exists = e->live;
            for (guint j = 0; j < m->len && !exists; j++) {
                struct model_route *o = &g_array_index(m, struct model_route, j);
                if (o->live && o->r.metric == metric && mp_prefix_same_net(&o->r.dst, &e->r.dst)) {
                    exists = true;
                    o->live = false;
                }
            }
            g_assert_cmpint(rc, ==, (exists ? 0 : -ESRCH));
            e->live = false;
        }
        check_against_model(rt, m, g, v);
        size_t live = 0;
        for (guint i = 0; i < m->len; i++)
            live += g_array_index(m, struct model_route, i).live;
        g_assert_cmpuint(mp_rt_table_size(rt, 254), ==, live);
    }
    /* Empty it completely: the trie must shrink back to nothing. */
    for (guint i = 0; i < m->len; i++) {
        struct model_route *e = &g_array_index(m, struct model_route, i);
        if (e->live)
            g_assert_cmpint(mp_rt_route_del(rt, 254, &e->r.dst, &e->r.metric), ==, 0);
    }
    g_assert_cmpuint(mp_rt_table_size(rt, 254), ==, 0);
    GArray *d = mp_rt_dump(rt);
    g_assert_cmpuint(d->len, ==, 0);
    g_array_unref(d);
    g_array_unref(m);
    mp_rt_free(rt);
    g_rand_free(g);
}

/* --- lookup speed (prints, never fails on speed) --------------------------- */

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void bench_one(const char *what, struct mp_rt *rt, const struct mp_ip *dsts, size_t ndst)
{
    const size_t iters = 4000000;
    struct mp_rt_result res;
    uint64_t hits = 0, sum = 0;
    gint64 t0 = g_get_monotonic_time();
    int64_t c0 = thread_cpu_ns();
    for (size_t i = 0; i < iters; i++) {
        if (mp_rt_lookup(rt, NULL, &dsts[i & (ndst - 1)], 0, &res) == 0) {
            hits++;
            sum += res.ifindex;
        }
    }
    int64_t cpu = thread_cpu_ns() - c0;
    gint64 us = g_get_monotonic_time() - t0;
    if (us <= 0)
        us = 1;
    if (cpu <= 0)
        cpu = 1;
    /* Wall clock on a shared machine says as much about the neighbours as
     * about the code, so the CPU-time rate is printed too. */
    g_test_message("%s: %.1f M lookups/s (CPU time), %.1f M/s wall, %.1f ns each", what,
                   (double)iters * 1e3 / (double)cpu, (double)iters / (double)us,
                   (double)cpu / (double)iters);
    /* Every destination has a route (the default). */
    g_assert_cmpuint(hits, ==, iters);
    g_assert_cmpuint(sum, >=, iters);
}

static void test_bench(void)
{
    GRand *g = g_rand_new_with_seed(100);
    enum { NDST = 1024 };
    struct mp_ip *dsts = g_new(struct mp_ip, NDST);

    /* 100 IPv4 routes, lengths 8 to 32, plus a default. */
    struct mp_rt *rt = mp_rt_new();
    add(rt, "0.0.0.0/0", "192.0.2.1", 1);
    for (int n = 0; n < 99;) {
        struct mp_rt_route r = {.ifindex = (uint32_t)g_rand_int_range(g, 1, 9)};
        struct mp_ip a = mp_ip_v4(0x0a000000u | (g_rand_int(g) & 0x00ffffffu));
        unsigned len = (unsigned)g_rand_int_range(g, 8, 33);
        mp_ip_mask(&a, len, &r.dst.ip);
        r.dst.len = (uint8_t)len;
        if (mp_rt_route_add(rt, 254, &r, 0) == 0)
            n++;
    }
    for (int i = 0; i < NDST; i++)
        dsts[i] = mp_ip_v4(g_rand_boolean(g) ? 0x0a000000u | (g_rand_int(g) & 0x00ffffffu)
                                             : g_rand_int(g));
    bench_one("IPv4, 100 routes of mixed lengths", rt, dsts, NDST);
    mp_rt_free(rt);

    /* 100 /24s and a default: a router's typical table. */
    rt = mp_rt_new();
    add(rt, "0.0.0.0/0", "192.0.2.1", 1);
    for (uint32_t n = 0; n < 99; n++) {
        struct mp_rt_route r = {.ifindex = 1 + n % 8, .dst = {mp_ip_v4(0x0a000000u | n << 8), 24}};
        g_assert_cmpint(mp_rt_route_add(rt, 254, &r, 0), ==, 0);
    }
    for (int i = 0; i < NDST; i++)
        dsts[i] = mp_ip_v4(0x0a000000u | (uint32_t)g_rand_int_range(g, 0, 128) << 8 | 7);
    bench_one("IPv4, 100 /24 routes", rt, dsts, NDST);
    mp_rt_free(rt);

    /* 100 IPv6 routes, /32 to /128, plus a default. */
    rt = mp_rt_new();
    add(rt, "::/0", "fe80::1", 1);
    for (int n = 0; n < 99;) {
        struct mp_rt_route r = {.ifindex = (uint32_t)g_rand_int_range(g, 1, 9)};
        struct mp_ip a = ip("2001:db8::");
        for (int k = 4; k < 16; k++)
            a.b[k] = (uint8_t)g_rand_int_range(g, 0, 4);
        unsigned len = (unsigned)g_rand_int_range(g, 32, 129);
        mp_ip_mask(&a, len, &r.dst.ip);
        r.dst.len = (uint8_t)len;
        if (mp_rt_route_add(rt, 254, &r, 0) == 0)
            n++;
    }
    for (int i = 0; i < NDST; i++) {
        dsts[i] = ip("2001:db8::");
        for (int k = 4; k < 16; k++)
            dsts[i].b[k] = (uint8_t)g_rand_int_range(g, 0, 4);
    }
    bench_one("IPv6, 100 routes of mixed lengths", rt, dsts, NDST);
    mp_rt_free(rt);

    g_free(dsts);
    g_rand_free(g);
}

/* --- source address selection ---------------------------------------------- */

struct cand_spec {
    const char *ip;
    uint8_t plen;
    uint32_t ifindex;
    uint32_t flags;
};

#define MAX_CANDS 8

static size_t cands_of(const struct cand_spec *spec, struct mp_srcsel_cand *out, bool reverse)
{
    size_t n = 0;
    while (n < MAX_CANDS && spec[n].ip)
        n++;
    for (size_t i = 0; i < n; i++) {
        const struct cand_spec *s = &spec[reverse ? n - 1 - i : i];
        out[i] = (struct mp_srcsel_cand){ip(s->ip), s->plen, s->ifindex, s->flags};
    }
    return n;
}

struct srcsel_case {
    const char *name;
    const char *dst;
    uint32_t oif;
    const char *gw;
    const char *prefsrc;
    bool prefer_temporary;
    struct cand_spec cands[MAX_CANDS];
    const char *want; /* NULL: -EADDRNOTAVAIL */
};

#define DEP MP_ADDR_DEPRECATED
#define TMP MP_ADDR_TEMPORARY
#define TEN MP_ADDR_TENTATIVE

/* RFC 6724 section 10.1, one row per worked example (the home-address one
 * aside: rule 4 does not apply here), every candidate on the outgoing
 * interface. Two typos of the RFC are read as meant: the first result is
 * 2001:db8:3::1, the fifth 2001:db8:1::2. Then cases for the rules the
 * examples leave out. */
static const struct srcsel_case srcsel_v6_cases[] = {
    {"rfc-scope-global", "2001:db8:1::1", 1, NULL, NULL, false,
     {{"2001:db8:3::1", 64, 1, 0}, {"fe80::1", 64, 1, 0}}, "2001:db8:3::1"},
    {"rfc-scope-multicast", "ff05::1", 1, NULL, NULL, false,
     {{"2001:db8:3::1", 64, 1, 0}, {"fe80::1", 64, 1, 0}}, "2001:db8:3::1"},
    {"rfc-same-address", "2001:db8:1::1", 1, NULL, NULL, false,
     {{"2001:db8:1::1", 64, 1, DEP}, {"2001:db8:2::1", 64, 1, 0}}, "2001:db8:1::1"},
    {"rfc-scope-before-deprecated", "fe80::1", 1, NULL, NULL, false,
     {{"fe80::2", 64, 1, DEP}, {"2001:db8:1::1", 64, 1, 0}}, "fe80::2"},
    {"rfc-longest-prefix", "2001:db8:1::1", 1, NULL, NULL, false,
     {{"2001:db8:1::2", 64, 1, 0}, {"2001:db8:3::2", 64, 1, 0}}, "2001:db8:1::2"},
    {"rfc-matching-label", "2002:c633:6401::1", 1, NULL, NULL, false,
     {{"2002:c633:6401::d5e3:7953:13eb:22e8", 64, 1, TMP}, {"2001:db8:1::2", 64, 1, 0}},
     "2002:c633:6401::d5e3:7953:13eb:22e8"},
    {"rfc-temporary", "2001:db8:1::d5e3:0:0:1", 1, NULL, NULL, true,
     {{"2001:db8:1::2", 64, 1, 0}, {"2001:db8:1::d5e3:7953:13eb:22e8", 64, 1, TMP}},
     "2001:db8:1::d5e3:7953:13eb:22e8"},
    /* The same with Linux's default (use_tempaddr < 2): public wins. */
    {"linux-public", "2001:db8:1::d5e3:0:0:1", 1, NULL, NULL, false,
     {{"2001:db8:1::2", 64, 1, 0}, {"2001:db8:1::d5e3:7953:13eb:22e8", 64, 1, TMP}},
     "2001:db8:1::2"},
    {"deprecated", "2001:db8:9::1", 1, NULL, NULL, false,
     {{"2001:db8:1::2", 64, 1, DEP}, {"2001:db8:2::2", 64, 1, 0}}, "2001:db8:2::2"},
    {"outgoing-interface", "2001:db8:9::1", 2, NULL, NULL, false,
     {{"2001:db8:1::2", 64, 1, 0}, {"2001:db8:2::2", 64, 2, 0}}, "2001:db8:2::2"},
    {"weak-host-other-interface", "2001:db8:9::1", 2, NULL, NULL, false,
     {{"fe80::2", 64, 2, 0}, {"2001:db8:1::2", 64, 1, 0}}, "2001:db8:1::2"},
    {"tentative-never", "2001:db8:1::1", 1, NULL, NULL, false,
     {{"2001:db8:1::2", 64, 1, TEN}, {"fe80::1", 64, 1, 0}}, "fe80::1"},
    {"link-local-stays-on-link", "fe80::9", 2, NULL, NULL, false,
     {{"fe80::1", 64, 1, 0}, {"fe80::2", 64, 2, 0}}, "fe80::2"},
    {"link-local-other-link-only", "fe80::9", 2, NULL, NULL, false,
     {{"fe80::1", 64, 1, 0}}, NULL},
    {"loopback-not-outside", "2001:db8::1", 1, NULL, NULL, false,
     {{"::1", 128, 9, 0}}, NULL},
    {"loopback-to-loopback", "::1", 9, NULL, NULL, false,
     {{"2001:db8::2", 64, 1, 0}, {"::1", 128, 9, 0}}, "::1"},
    {"prefsrc", "2001:db8:1::1", 1, NULL, "2001:db8:3::2", false,
     {{"2001:db8:1::2", 64, 1, 0}, {"2001:db8:3::2", 64, 1, 0}}, "2001:db8:3::2"},
    {"prefsrc-not-ours", "2001:db8:1::1", 1, NULL, "2001:db8:7::7", false,
     {{"2001:db8:1::2", 64, 1, 0}, {"2001:db8:3::2", 64, 1, 0}}, "2001:db8:1::2"},
    {"ula-label", "fd00:1::1", 1, NULL, NULL, false,
     {{"2001:db8::2", 64, 1, 0}, {"fd00:1::2", 64, 1, 0}}, "fd00:1::2"},
    {"no-ipv6", "2001:db8::1", 1, NULL, NULL, false, {{"10.0.0.1", 24, 1, 0}}, NULL},
};

/* Linux's IPv4 choice; candidate order matters (primary addresses), so
 * these run in the given order only. 10.0.1.6 is a secondary (same subnet
 * as 10.0.1.5 on the same interface). */
#define V4_HOST                                                                                    \
    {{"10.0.2.5", 24, 2, 0},     {"10.0.1.5", 24, 1, 0}, {"10.0.1.6", 24, 1, 0},                  \
     {"192.168.7.2", 24, 1, 0},  {"127.0.0.1", 8, 9, 0}, {"10.0.3.5", 24, 3, TEN}}

static const struct srcsel_case srcsel_v4_cases[] = {
    {"subnet-of-destination", "10.0.1.99", 1, NULL, NULL, false, V4_HOST, "10.0.1.5"},
    {"second-subnet", "192.168.7.9", 1, NULL, NULL, false, V4_HOST, "192.168.7.2"},
    {"subnet-of-gateway", "8.8.8.8", 1, "192.168.7.1", NULL, false, V4_HOST, "192.168.7.2"},
    {"primary-of-interface", "8.8.8.8", 1, NULL, NULL, false, V4_HOST, "10.0.1.5"},
    {"other-interface", "8.8.8.8", 2, "10.0.2.1", NULL, false, V4_HOST, "10.0.2.5"},
    {"prefsrc", "8.8.8.8", 1, "10.0.1.1", "10.0.1.6", false, V4_HOST, "10.0.1.6"},
    {"host-fallback-by-ifindex", "8.8.8.8", 3, NULL, NULL, false, V4_HOST, "10.0.1.5"},
    {"no-interface", "8.8.8.8", 0, NULL, NULL, false, V4_HOST, "10.0.1.5"},
    {"loopback", "127.0.0.1", 9, NULL, NULL, false, V4_HOST, "127.0.0.1"},
    {"secondary-after-tentative", "10.0.1.99", 1, NULL, NULL, false,
     {{"10.0.1.5", 24, 1, TEN}, {"10.0.1.6", 24, 1, 0}}, "10.0.1.6"},
    {"none", "8.8.8.8", 1, NULL, NULL, false, {{"2001:db8::1", 64, 1, 0}}, NULL},
};

static void run_srcsel(const struct srcsel_case *c, bool reverse)
{
    struct mp_srcsel_cand cands[MAX_CANDS];
    size_t n = cands_of(c->cands, cands, reverse);
    struct mp_srcsel_req req = {.dst = ip(c->dst), .oif = c->oif,
                                .prefer_temporary = c->prefer_temporary};
    if (c->gw)
        req.gw = ip(c->gw);
    if (c->prefsrc)
        req.prefsrc = ip(c->prefsrc);
    int k = mp_srcsel_pick(cands, n, &req);
    if (!c->want) {
        g_assert_cmpint(k, ==, -EADDRNOTAVAIL);
        return;
    }
    g_assert_cmpint(k, >=, 0);
    g_assert_cmpint(k, <, (int)n);
    struct mp_ip want = ip(c->want);
    char buf[MP_IP_STRLEN];
    if (!mp_ip_eq(&cands[k].ip, &want))
        g_error("%s: chose %s, want %s", c->name, mp_ip_str(&cands[k].ip, buf), c->want);
}

static void test_srcsel_fwd(gconstpointer data)
{
    run_srcsel(data, false);
}

/* The same answer with the candidates listed backwards: a rule decided,
 * not the order. */
static void test_srcsel_rev(gconstpointer data)
{
    run_srcsel(data, true);
}

static void test_srcsel_invalid(void)
{
    struct mp_srcsel_cand c = {ip("10.0.0.1"), 24, 1, 0};
    struct mp_srcsel_req req = {0};
    g_assert_cmpint(mp_srcsel_pick(&c, 1, &req), ==, -EINVAL);
    req.dst = ip("10.0.0.9");
    g_assert_cmpint(mp_srcsel_pick(&c, 0, &req), ==, -EADDRNOTAVAIL);
}

static void test_policy_table(void)
{
    /* RFC 6724 section 2.1. */
    static const struct {
        const char *addr;
        unsigned prec, label;
    } rows[] = {
        {"::1", 50, 0},           {"2001:db8::1", 40, 1}, {"10.0.0.1", 35, 4},
        {"::ffff:10.0.0.1", 35, 4}, {"2002:c633:6401::1", 30, 2}, {"2001::1", 5, 5},
        {"2001:0:ffff::1", 5, 5}, {"fd00::1", 3, 13},   {"::10.0.0.1", 1, 3},
        {"fec0::1", 1, 11},       {"3ffe::1", 1, 12},    {"fe80::1", 40, 1},
    };
    for (size_t i = 0; i < MP_ARRAY_LEN(rows); i++) {
        struct mp_ip a = ip(rows[i].addr);
        g_assert_cmpuint(mp_addrsel_precedence(NULL, &a), ==, rows[i].prec);
        g_assert_cmpuint(mp_addrsel_label(NULL, &a), ==, rows[i].label);
    }
    g_assert_cmpuint(mp_addrsel_default_policy()->n, ==, 9);
    /* A custom table: ULAs above everything. */
    const struct mp_addrsel_policy_entry mine[] = {
        {pfx("::/0"), 40, 1},
        {pfx("fc00::/7"), 60, 1},
    };
    const struct mp_addrsel_policy pol = {mine, MP_ARRAY_LEN(mine)};
    struct mp_ip u = ip("fd00::1");
    g_assert_cmpuint(mp_addrsel_precedence(&pol, &u), ==, 60);
    g_assert_cmpuint(mp_addrsel_label(&pol, &u), ==, 1);
}

/* --- destination ordering -------------------------------------------------- */

struct dsort_case {
    const char *name;
    struct cand_spec cands[MAX_CANDS];
    const char *dsts[3];
    const char *want_dst[3];
    const char *want_src[3]; /* NULL: no source (unreachable) */
    bool no_v6_route;
};

/* RFC 6724 section 10.2, the worked examples (the home-address one aside),
 * with every candidate on interface 1 and default routes through it. Then
 * the label and precedence examples with 6to4 and cases for rules 1 and 9.
 * Each runs with the destinations as listed and reversed. */
static const struct dsort_case dsort_cases[] = {
    {"rfc-matching-scope",
     {{"2001:db8:1::2", 64, 1, 0}, {"fe80::1", 64, 1, 0}, {"169.254.13.78", 16, 1, 0}},
     {"2001:db8:1::1", "198.51.100.121"},
     {"2001:db8:1::1", "198.51.100.121"},
     {"2001:db8:1::2", "169.254.13.78"}},
    {"rfc-matching-scope-reversed",
     {{"fe80::1", 64, 1, 0}, {"198.51.100.117", 24, 1, 0}},
     {"2001:db8:1::1", "198.51.100.121"},
     {"198.51.100.121", "2001:db8:1::1"},
     {"198.51.100.117", "fe80::1"}},
    {"rfc-higher-precedence",
     {{"2001:db8:1::2", 64, 1, 0}, {"fe80::1", 64, 1, 0}, {"10.1.2.4", 24, 1, 0}},
     {"2001:db8:1::1", "10.1.2.3"},
     {"2001:db8:1::1", "10.1.2.3"},
     {"2001:db8:1::2", "10.1.2.4"}},
    {"rfc-smaller-scope",
     {{"2001:db8:1::2", 64, 1, 0}, {"fe80::2", 64, 1, 0}},
     {"2001:db8:1::1", "fe80::1"},
     {"fe80::1", "2001:db8:1::1"},
     {"fe80::2", "2001:db8:1::2"}},
    {"matching-label-6to4",
     {{"2002:c633:6401::2", 64, 1, 0}, {"fe80::2", 64, 1, 0}},
     {"2001:db8:1::1", "2002:c633:6401::1"},
     {"2002:c633:6401::1", "2001:db8:1::1"},
     {"2002:c633:6401::2", "2002:c633:6401::2"}},
    {"precedence-native-over-6to4",
     {{"2002:c633:6401::2", 64, 1, 0}, {"2001:db8:1::2", 64, 1, 0}, {"fe80::2", 64, 1, 0}},
     {"2002:c633:6401::1", "2001:db8:1::1"},
     {"2001:db8:1::1", "2002:c633:6401::1"},
     {"2001:db8:1::2", "2002:c633:6401::2"}},
    {"unusable-last",
     {{"2001:db8:1::2", 64, 1, 0}, {"10.1.2.4", 24, 1, 0}},
     {"2001:db8:1::1", "10.1.2.3"},
     {"10.1.2.3", "2001:db8:1::1"},
     {"10.1.2.4", NULL},
     true},
    {"longest-matching-prefix",
     {{"2001:db8:1::2", 64, 1, 0}},
     {"2001:db8:9::1", "2001:db8:1::1"},
     {"2001:db8:1::1", "2001:db8:9::1"},
     {"2001:db8:1::2", "2001:db8:1::2"}},
};

static void run_dsort(const struct dsort_case *c, bool reverse)
{
    struct mp_rt *rt = mp_rt_new();
    add(rt, "0.0.0.0/0", NULL, 1);
    add(rt, "fe80::/64", NULL, 1);
    if (!c->no_v6_route)
        add(rt, "::/0", "fe80::1", 1);
    struct mp_srcsel_cand cands[MAX_CANDS];
    size_t nc = cands_of(c->cands, cands, false);
    struct mp_dstsort_entry e[3];
    size_t n = 0;
    while (n < 3 && c->dsts[n])
        n++;
    for (size_t i = 0; i < n; i++)
        e[i] = (struct mp_dstsort_entry){.dst = ip(c->dsts[reverse ? n - 1 - i : i])};
    mp_dstsort_fill(rt, cands, nc, false, e, n);
    mp_dstsort(e, n, NULL);
    char buf[MP_IP_STRLEN];
    for (size_t i = 0; i < n; i++) {
        g_assert_cmpstr(mp_ip_str(&e[i].dst, buf), ==, c->want_dst[i]);
        if (c->want_src[i]) {
            g_assert_false(e[i].unreachable);
            g_assert_cmpstr(mp_ip_str(&e[i].src, buf), ==, c->want_src[i]);
        } else {
            g_assert_true(e[i].unreachable);
            g_assert_cmpint(e[i].src.v, ==, 0);
        }
    }
    mp_rt_free(rt);
}

static void test_dsort_fwd(gconstpointer data)
{
    run_dsort(data, false);
}

static void test_dsort_rev(gconstpointer data)
{
    run_dsort(data, true);
}

/* Rules on hand-filled entries: 3 (deprecated source), 10 (stable). */
static void test_dsort_rules(void)
{
    struct mp_dstsort_entry e[3] = {
        {.dst = ip("2001:db8:1::1"), .src = ip("2001:db8:1::2"), .src_plen = 64,
         .src_flags = MP_ADDR_DEPRECATED},
        {.dst = ip("2001:db8:5::1"), .src = ip("2001:db8:5::2"), .src_plen = 64},
    };
    mp_dstsort(e, 2, NULL);
    char buf[MP_IP_STRLEN];
    g_assert_cmpstr(mp_ip_str(&e[0].dst, buf), ==, "2001:db8:5::1");

    /* Nothing tells them apart: the given order stays. */
    struct mp_dstsort_entry t[3] = {
        {.dst = ip("2001:db8:7::1"), .src = ip("2001:db8:1::2"), .src_plen = 64},
        {.dst = ip("2001:db8:8::1"), .src = ip("2001:db8:1::2"), .src_plen = 64},
        {.dst = ip("2001:db8:9::1"), .src = ip("2001:db8:1::2"), .src_plen = 64},
    };
    mp_dstsort(t, 3, NULL);
    g_assert_cmpstr(mp_ip_str(&t[0].dst, buf), ==, "2001:db8:7::1");
    g_assert_cmpstr(mp_ip_str(&t[1].dst, buf), ==, "2001:db8:8::1");
    g_assert_cmpstr(mp_ip_str(&t[2].dst, buf), ==, "2001:db8:9::1");

    /* An unreachable destination goes last even with the best precedence. */
    struct mp_dstsort_entry u[2] = {
        {.dst = ip("::1"), .unreachable = true},
        {.dst = ip("10.0.0.1"), .src = ip("10.0.0.2"), .src_plen = 24},
    };
    mp_dstsort(u, 2, NULL);
    g_assert_cmpstr(mp_ip_str(&u[0].dst, buf), ==, "10.0.0.1");

    /* Rule 9 for IPv4 as glibc: off the source's subnet, shared leading
     * bits do not count (10.1.7.2 shares 21 bits with 10.1.1.2, 10.1.9.2
     * 20: the given order stays); on it, the on-link address goes first. */
    struct mp_dstsort_entry v[3] = {
        {.dst = ip("10.1.9.2"), .src = ip("10.1.1.2"), .src_plen = 24},
        {.dst = ip("10.1.7.2"), .src = ip("10.1.1.2"), .src_plen = 24},
        {.dst = ip("10.1.1.9"), .src = ip("10.1.1.2"), .src_plen = 24},
    };
    mp_dstsort(v, 3, NULL);
    g_assert_cmpstr(mp_ip_str(&v[0].dst, buf), ==, "10.1.1.9");
    g_assert_cmpstr(mp_ip_str(&v[1].dst, buf), ==, "10.1.9.2");
    g_assert_cmpstr(mp_ip_str(&v[2].dst, buf), ==, "10.1.7.2");
}

/* --- registration --------------------------------------------------------- */

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < MP_ARRAY_LEN(lpm_cases); i++) {
        char *p = g_strdup_printf("/route/lpm/%s", lpm_cases[i].dst);
        g_test_add_data_func(p, &lpm_cases[i], test_lpm);
        g_free(p);
    }
    g_test_add_func("/route/no-route", test_no_route);
    g_test_add_func("/route/add-replace-del", test_add_replace_del);
    g_test_add_func("/route/add-invalid", test_add_invalid);
    for (size_t i = 0; i < MP_ARRAY_LEN(reject_cases); i++) {
        char *p = g_strdup_printf("/route/reject/%s", reject_cases[i].dst);
        g_test_add_data_func(p, &reject_cases[i], test_reject);
        g_free(p);
    }
    g_test_add_func("/route/local", test_local);
    g_test_add_func("/route/throw", test_throw);
    g_test_add_func("/route/rule/multihoming", test_rule_multihoming);
    g_test_add_func("/route/rule/fallthrough", test_rule_fallthrough);
    g_test_add_func("/route/rule/priority", test_rule_priority);
    g_test_add_func("/route/rule/equal-priority", test_rule_equal_priority);
    g_test_add_func("/route/rule/defaults", test_rule_defaults);
    g_test_add_func("/route/rule/masks-selectors", test_rule_masks_selectors);
    g_test_add_func("/route/oif", test_oif);
    g_test_add_func("/route/iif", test_iif);
    g_test_add_func("/route/dump/order", test_dump_order);
    g_test_add_func("/route/flush-ifindex", test_flush_ifindex);
    g_test_add_func("/route/format", test_format);
    g_test_add_data_func("/route/random/v4", GINT_TO_POINTER(4), test_random_vs_model);
    g_test_add_data_func("/route/random/v6", GINT_TO_POINTER(6), test_random_vs_model);
    g_test_add_func("/route/bench/lookup", test_bench);

    for (size_t i = 0; i < MP_ARRAY_LEN(srcsel_v6_cases); i++) {
        char *p = g_strdup_printf("/srcsel/v6/%s/fwd", srcsel_v6_cases[i].name);
        char *q = g_strdup_printf("/srcsel/v6/%s/rev", srcsel_v6_cases[i].name);
        g_test_add_data_func(p, &srcsel_v6_cases[i], test_srcsel_fwd);
        g_test_add_data_func(q, &srcsel_v6_cases[i], test_srcsel_rev);
        g_free(p);
        g_free(q);
    }
    for (size_t i = 0; i < MP_ARRAY_LEN(srcsel_v4_cases); i++) {
        char *p = g_strdup_printf("/srcsel/v4/%s", srcsel_v4_cases[i].name);
        g_test_add_data_func(p, &srcsel_v4_cases[i], test_srcsel_fwd);
        g_free(p);
    }
    g_test_add_func("/srcsel/invalid", test_srcsel_invalid);
    g_test_add_func("/srcsel/policy-table", test_policy_table);
    for (size_t i = 0; i < MP_ARRAY_LEN(dsort_cases); i++) {
        char *p = g_strdup_printf("/dstsort/%s/fwd", dsort_cases[i].name);
        char *q = g_strdup_printf("/dstsort/%s/rev", dsort_cases[i].name);
        g_test_add_data_func(p, &dsort_cases[i], test_dsort_fwd);
        g_test_add_data_func(q, &dsort_cases[i], test_dsort_rev);
        g_free(p);
        g_free(q);
    }
    g_test_add_func("/dstsort/rules", test_dsort_rules);

    return g_test_run();
}
