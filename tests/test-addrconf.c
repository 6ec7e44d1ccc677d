/*
 * Address dynamics of a host: interfaces set down and up (routes, listener
 * events, IPv6 addresses flushed as Linux does by default), address
 * lifetimes (deprecation, expiry), and SLAAC from the router
 * advertisements r1 sends (model/net/radv.h, model/net/addrconf.h): the
 * address after the DAD delay, default route via the router's link-local
 * address, refreshes, the two-hour rule, withdrawal, the final RA, and
 * malformed RAs dropped and counted.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "fixture.h"
#include "model/net/addrconf.h"
#include "model/net/radv.h"
#include "model/net/srcsel.h"

/* Every listener event as one line: "TIME_MS KIND IFACE [ADDR/LEN [CAUSE]]". */
struct ev_log {
    GString *s;
};

static void log_event(void *arg, struct mp_host *h, const struct mp_host_event *ev)
{
    struct ev_log *l = arg;
    g_string_append_printf(l->s, "%" G_GUINT64_FORMAT " ", mp_env_now(h->env) / MP_MS(1));
    mp_host_event_format(h, ev, l->s);
    g_string_append_c(l->s, '\n');
}

struct fx {
    struct fx_chain c;
    struct mp_host *client, *r1, *server;
    struct ev_log log;
};

static void fx_init(struct fx *f)
{
    struct mp_world_conf wc = {.seed = 1};
    /* No serialisation delay: RAs arrive exactly 5 ms after they leave. */
    fx_chain_build(&f->c, &wc, 0, MP_MS(5), false, true);
    f->client = mp_node_host(f->c.client);
    f->r1 = mp_node_host(f->c.r1);
    f->server = mp_node_host(f->c.server);
    f->log.s = g_string_new(NULL);
    mp_host_listen(f->client, log_event, &f->log);
}

static void fx_clear(struct fx *f)
{
    g_string_free(f->log.s, TRUE);
    mp_world_free(f->c.w);
}

static struct mp_ip ip_of(const char *s)
{
    struct mp_ip ip;
    g_assert_cmpint(mp_ip_parse(s, &ip), ==, 0);
    return ip;
}

static const char *slaac_addr(struct fx *f, char *buf)
{
    struct mp_ip pfx = ip_of("2001:db8:1::");
    struct mp_ip a = mp_addrconf_addr(mp_host_iface(f->client, 1), &pfx);
    return mp_ip_str(&a, buf);
}

/* r1 advertises 2001:db8:1::/64 on eth0 every |interval|. */
static void advertise(struct fx *f, mp_time_t interval, uint32_t valid, uint32_t preferred)
{
    struct mp_radv_conf c = {0};
    c.interval = interval;
    c.router_lifetime = mp_radv_default_lifetime(interval);
    c.n_prefix = 1;
    c.prefix[0] = (struct mp_radv_prefix){ip_of("2001:db8:1::"), 64, valid, preferred};
    g_assert_cmpint(mp_radv_configure(f->r1, 1, &c), ==, 0);
}

/* ---- interfaces set down and up ---- */

static void test_iface_down_up(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_host *c = f.client;
    struct mp_host_route r;
    struct mp_ip v4 = ip_of("10.0.1.2"), v6 = ip_of("2001:db8:1::2"), srv = ip_of("10.0.2.2");
    g_assert_cmpint(mp_host_addr_add(c, 1, &v6, 64, 0), ==, 0);
    g_string_truncate(f.log.s, 0);
    g_assert_cmpint(mp_host_route(c, NULL, &srv, 0, &r), ==, 0);

    mp_host_set_up(c, 1, false);
    mp_host_set_up(c, 1, false); /* no change, no event */
    /* The link state event first, then the IPv6 address; IPv4 stays. */
    g_assert_cmpstr(f.log.s->str, ==,
                    "0 iface-down eth0\n"
                    "0 addr-removed eth0 2001:db8:1::2/64 iface-down\n");
    g_assert_nonnull(mp_host_addr_find(c, 1, &v4));
    g_assert_null(mp_host_addr_find(c, 1, &v6));
    g_assert_cmpuint(c->ctr.v[MP_CTR_ADDR_FLUSHED], ==, 1);
    /* Every route through it is gone, the computed ones too. */
    g_assert_cmpint(mp_host_route(c, NULL, &srv, 0, &r), ==, -ENETUNREACH);
    g_assert_cmpuint(mp_rt_table_size(c->rt, MP_RT_TABLE_LOCAL), ==, 0);

    g_string_truncate(f.log.s, 0);
    mp_host_set_up(c, 1, true);
    g_assert_cmpstr(f.log.s->str, ==, "0 iface-up eth0\n");
    /* The connected and local routes of the address left come back; the
     * routes written or computed before do not (Linux). */
    struct mp_ip gw = ip_of("10.0.1.1");
    g_assert_cmpint(mp_host_route(c, NULL, &gw, 0, &r), ==, 0);
    g_assert_cmpuint(r.ifindex, ==, 1);
    g_assert_cmpint(mp_host_route(c, NULL, &srv, 0, &r), ==, -ENETUNREACH);
    g_assert_null(mp_host_addr_find(c, 1, &v6));
    fx_clear(&f);
}

static void test_iface_keep_addr_on_down(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_host *c = f.client;
    struct mp_ip v6 = ip_of("2001:db8:1::2"), lft = ip_of("2001:db8:1::3"),
                 ll = ip_of("fe80::2");
    c->opts.keep_addr_on_down = true;
    g_assert_cmpint(mp_host_addr_add(c, 1, &v6, 64, 0), ==, 0);
    g_assert_cmpint(mp_host_addr_add_lifetimes(c, 1, &lft, 64, 0, MP_S(100), MP_S(100)), ==, 0);
    g_assert_cmpint(mp_host_addr_add(c, 1, &ll, 64, 0), ==, 0);
    g_string_truncate(f.log.s, 0);
    mp_host_set_up(c, 1, false);
    /* Only permanent global addresses stay. */
    g_assert_cmpstr(f.log.s->str, ==,
                    "0 iface-down eth0\n"
                    "0 addr-removed eth0 2001:db8:1::3/64 iface-down\n"
                    "0 addr-removed eth0 fe80::2/64 iface-down\n");
    g_assert_nonnull(mp_host_addr_find(c, 1, &v6));
    mp_host_set_up(c, 1, true);
    struct mp_host_route r;
    g_assert_cmpint(mp_host_route(c, NULL, &v6, 0, &r), ==, 0);
    g_assert_true(r.local);
    fx_clear(&f);
}

/* ---- lifetimes ---- */

static void test_lifetimes(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_host *c = f.client;
    struct mp_ip a = ip_of("10.0.1.50"), srv = ip_of("2001:db8:2::2");
    g_assert_cmpint(mp_host_addr_add_lifetimes(c, 1, &a, 24, 0, MP_S(10), MP_S(4)), ==, 0);
    g_assert_cmpint(mp_host_addr_set_lifetimes(c, 2, &a, 0, 0), ==, -ENODEV);
    g_assert_cmpint(mp_host_addr_set_lifetimes(c, 1, &srv, 0, 0), ==, -EADDRNOTAVAIL);
    mp_world_run(f.c.w, MP_S(5));
    g_assert_true(mp_host_addr_find(c, 1, &a)->flags & MP_ADDR_DEPRECATED);
    /* A renewal: preferred again, valid longer. */
    g_assert_cmpint(mp_host_addr_set_lifetimes(c, 1, &a, MP_S(20), MP_S(30)), ==, 0);
    g_assert_false(mp_host_addr_find(c, 1, &a)->flags & MP_ADDR_DEPRECATED);
    g_assert_cmpuint(mp_host_addr_find(c, 1, &a)->preferred_until, ==, MP_S(20));
    mp_world_run(f.c.w, MP_S(30));
    g_assert_null(mp_host_addr_find(c, 1, &a));
    g_assert_cmpstr(f.log.s->str, ==,
                    "0 addr-added eth0 10.0.1.50/24\n"
                    "4000 addr-deprecated eth0 10.0.1.50/24\n"
                    "20000 addr-removed eth0 10.0.1.50/24 expired\n");
    g_assert_cmpuint(c->ctr.v[MP_CTR_ADDR_EXPIRED], ==, 1);
    /* An end already passed removes at once. */
    g_assert_cmpint(mp_host_addr_add(c, 1, &a, 24, 0), ==, 0);
    g_assert_cmpint(mp_host_addr_set_lifetimes(c, 1, &a, MP_S(30), MP_S(30)), ==, 0);
    mp_world_run(f.c.w, MP_S(30));
    g_assert_null(mp_host_addr_find(c, 1, &a));
    fx_clear(&f);
}

/* ---- SLAAC from router advertisements ---- */

static void test_slaac_forms_address(void)
{
    struct fx f;
    char want[MP_IP_STRLEN], b[MP_IP_STRLEN];
    fx_init(&f);
    struct mp_host *c = f.client;
    advertise(&f, MP_S(10), 30, 20);
    slaac_addr(&f, want);
    struct mp_ip addr = ip_of(want), srv = ip_of("2001:db8:2::2");
    /* The router got a link-local address for its RAs. */
    struct mp_iface *r_eth0 = mp_host_iface(f.r1, 1);
    g_assert_true(mp_ip_is_link_local(&g_array_index(r_eth0->addrs, struct mp_ifaddr, 2).ip));
    struct mp_ip router_ll = g_array_index(r_eth0->addrs, struct mp_ifaddr, 2).ip;

    /* The first RA leaves at 0 and arrives 5 ms later; the address only
     * after the DAD delay. */
    mp_world_run(f.c.w, MP_MS(1004));
    g_assert_null(mp_host_addr_find(c, 1, &addr));
    g_assert_cmpuint(c->ctr.v[MP_CTR_ICMP6_IN_ROUTER_ADVERTS], ==, 1);
    mp_world_run(f.c.w, MP_MS(1006));
    const struct mp_ifaddr *a = mp_host_addr_find(c, 1, &addr);
    g_assert_nonnull(a);
    g_assert_cmpuint(a->plen, ==, 64);
    g_assert_cmpuint(a->valid_until, ==, MP_MS(5) + MP_S(30));
    g_assert_cmpuint(a->preferred_until, ==, MP_MS(5) + MP_S(20));
    g_assert_cmpuint(c->ctr.v[MP_CTR_ADDR_AUTOCONF], ==, 1);
    /* EUI-64 form: ff:fe in the middle, universal/local bit clear. */
    g_assert_cmpuint(addr.b[11], ==, 0xff);
    g_assert_cmpuint(addr.b[12], ==, 0xfe);
    g_assert_cmpuint(addr.b[8] & 0x02, ==, 0);

    /* The source and default route for IPv6 now: via the router's
     * link-local address. */
    struct mp_host_route r;
    g_assert_cmpint(mp_host_route(c, NULL, &srv, 0, &r), ==, 0);
    g_assert_cmpstr(mp_ip_str(&r.src, b), ==, want);
    g_assert_true(mp_ip_eq(&r.nexthop, &router_ll));
    g_assert_cmpuint(r.ifindex, ==, 1);

    /* RAs at 0, 10 s, 20 s refresh the lifetimes: never expires. */
    mp_world_run(f.c.w, MP_S(45));
    a = mp_host_addr_find(c, 1, &addr);
    g_assert_nonnull(a);
    g_assert_cmpuint(a->valid_until, ==, MP_S(40) + MP_MS(5) + MP_S(30));
    g_assert_cmpuint(c->ctr.v[MP_CTR_ICMP6_IN_ROUTER_ADVERTS], ==, 5);
    g_assert_cmpuint(f.r1->ctr.v[MP_CTR_ICMP6_OUT_ROUTER_ADVERTS], ==, 5);
    g_assert_cmpuint(c->ctr.v[MP_CTR_ICMP6_IN_BAD_RA], ==, 0);
    g_assert_cmpuint(f.server->ctr.v[MP_CTR_ICMP6_IN_ROUTER_ADVERTS], ==, 0);

    /* The router stops: its last RA (router lifetime 0) removes the default
     * route at once; the address lives out its lifetimes. */
    g_assert_cmpint(mp_radv_set_running(f.r1, 1, false), ==, 0);
    mp_world_run(f.c.w, MP_S(46));
    g_assert_cmpint(mp_host_route(c, NULL, &srv, 0, &r), ==, -ENETUNREACH);
    g_assert_nonnull(mp_host_addr_find(c, 1, &addr));
    mp_world_run(f.c.w, MP_S(80));
    g_assert_null(mp_host_addr_find(c, 1, &addr));
    g_assert_cmpuint(c->ctr.v[MP_CTR_ICMP6_IN_ROUTER_ADVERTS], ==, 6);

    GString *want_log = g_string_new(NULL);
    g_string_append_printf(want_log, "1005 addr-added eth0 %s/64\n", want);
    g_string_append_printf(want_log, "65005 addr-deprecated eth0 %s/64\n", want);
    g_string_append_printf(want_log, "75005 addr-removed eth0 %s/64 expired\n", want);
    g_assert_cmpstr(f.log.s->str, ==, want_log->str);
    g_string_free(want_log, TRUE);
    fx_clear(&f);
}

/* RFC 4862 5.5.3 e: a short valid lifetime in an unauthenticated RA does
 * not cut a longer remaining one below two hours; a withdrawal (0)
 * deprecates at once. */
static void test_slaac_two_hour_rule(void)
{
    struct fx f;
    char want[MP_IP_STRLEN];
    fx_init(&f);
    advertise(&f, MP_S(100), 86400, 86400);
    struct mp_ip addr = ip_of(slaac_addr(&f, want));
    mp_world_run(f.c.w, MP_S(2));
    g_assert_cmpuint(mp_host_addr_find(f.client, 1, &addr)->valid_until, ==, MP_MS(5) + MP_S(86400));

    struct mp_radv_prefix p = {ip_of("2001:db8:1::"), 64, 0, 0};
    g_assert_cmpint(mp_radv_set_prefix(f.r1, 1, &p), ==, 0);
    mp_world_run(f.c.w, MP_S(3));
    const struct mp_ifaddr *a = mp_host_addr_find(f.client, 1, &addr);
    g_assert_nonnull(a);
    g_assert_true(a->flags & MP_ADDR_DEPRECATED);
    g_assert_cmpuint(a->valid_until, ==, MP_S(2) + MP_MS(5) + MP_ADDRCONF_TWO_HOURS);
    /* Once at most two hours remain, short lifetimes are ignored. */
    p.valid = 60;
    g_assert_cmpint(mp_radv_set_prefix(f.r1, 1, &p), ==, 0);
    mp_world_run(f.c.w, MP_S(4));
    g_assert_cmpuint(mp_host_addr_find(f.client, 1, &addr)->valid_until, ==,
                     MP_S(2) + MP_MS(5) + MP_ADDRCONF_TWO_HOURS);
    /* A longer one is taken. */
    p.valid = 3 * 3600;
    p.preferred = 3600;
    g_assert_cmpint(mp_radv_set_prefix(f.r1, 1, &p), ==, 0);
    mp_world_run(f.c.w, MP_S(5));
    a = mp_host_addr_find(f.client, 1, &addr);
    g_assert_cmpuint(a->valid_until, ==, MP_S(4) + MP_MS(5) + MP_S(3 * 3600));
    g_assert_false(a->flags & MP_ADDR_DEPRECATED);
    /* A new prefix withdrawn from the start forms nothing. */
    struct mp_radv_prefix q = {ip_of("2001:db8:7::"), 64, 0, 0};
    g_assert_cmpint(mp_radv_set_prefix(f.r1, 1, &q), ==, 0);
    mp_world_run(f.c.w, MP_S(10));
    g_assert_cmpuint(f.client->ctr.v[MP_CTR_ADDR_AUTOCONF], ==, 1);
    fx_clear(&f);
}

/* The interface goes down while the address forms and after: nothing is
 * left; the next RA after up forms the address again. */
static void test_slaac_iface_down(void)
{
    struct fx f;
    char want[MP_IP_STRLEN];
    fx_init(&f);
    advertise(&f, MP_S(4), 600, 600);
    struct mp_ip addr = ip_of(slaac_addr(&f, want)), srv = ip_of("2001:db8:2::2");
    mp_world_run(f.c.w, MP_MS(500));
    mp_host_set_up(f.client, 1, false); /* during DAD */
    mp_world_run(f.c.w, MP_MS(1500));
    mp_host_set_up(f.client, 1, true);
    g_assert_null(mp_host_addr_find(f.client, 1, &addr));
    /* The RA at 4 s: address at 5.005 s. */
    mp_world_run(f.c.w, MP_S(6));
    g_assert_nonnull(mp_host_addr_find(f.client, 1, &addr));
    mp_host_set_up(f.client, 1, false);
    g_assert_null(mp_host_addr_find(f.client, 1, &addr));
    mp_host_set_up(f.client, 1, true);
    struct mp_host_route r;
    g_assert_cmpint(mp_host_route(f.client, NULL, &srv, 0, &r), ==, -ENETUNREACH);
    mp_world_run(f.c.w, MP_S(10));
    g_assert_nonnull(mp_host_addr_find(f.client, 1, &addr));
    g_assert_cmpint(mp_host_route(f.client, NULL, &srv, 0, &r), ==, 0);
    g_assert_cmpuint(f.client->ctr.v[MP_CTR_ADDR_AUTOCONF], ==, 2);

    /* The router's interface down and up: its link-local address comes
     * back and the RAs start over. */
    uint64_t out = f.r1->ctr.v[MP_CTR_ICMP6_OUT_ROUTER_ADVERTS];
    mp_host_set_up(f.r1, 1, false);
    mp_host_set_up(f.r1, 1, true);
    mp_world_run(f.c.w, MP_S(10) + MP_MS(1));
    g_assert_cmpuint(f.r1->ctr.v[MP_CTR_ICMP6_OUT_ROUTER_ADVERTS], ==, out + 1);
    fx_clear(&f);
}

/* A forwarding node or one with accept_ra off ignores RAs. */
static void test_slaac_not_accepted(void)
{
    struct fx f;
    fx_init(&f);
    f.client->opts.accept_ra = false;
    advertise(&f, MP_S(1), 600, 600);
    mp_world_run(f.c.w, MP_S(3));
    g_assert_cmpuint(f.client->ctr.v[MP_CTR_ICMP6_IN_ROUTER_ADVERTS], ==, 3);
    g_assert_cmpuint(f.client->ctr.v[MP_CTR_ADDR_AUTOCONF], ==, 0);
    g_assert_cmpuint(f.client->ctr.v[MP_CTR_IP_IN_ADDR_ERRORS], ==, 0);
    fx_clear(&f);
}

/* ---- malformed RAs ---- */

struct bad_ra {
    const char *name;
    const char *src;
    uint8_t hop_limit;
    int cut;       /* bytes cut from the end of the ICMPv6 message */
    bool zero_opt; /* an option of length 0 */
    bool counted_icmp; /* too short for ICMPv6 itself: Icmp6InErrors */
};

static void inject_ra(struct fx *f, const struct bad_ra *t)
{
    struct mp_wire_nd nd = {0};
    nd.type = MP_ICMP6_ROUTER_ADVERT;
    nd.router_lifetime = 1800;
    nd.n_prefix = 1;
    nd.prefix[0] = (struct mp_wire_nd_prefix){64, MP_ND_PFX_ONLINK | MP_ND_PFX_AUTO, 600, 600,
                                              ip_of("2001:db8:1::")};
    uint8_t msg[64];
    int n = mp_wire_nd_emit(msg, sizeof(msg), &nd);
    g_assert_cmpint(n, ==, 48);
    if (t->zero_opt)
        msg[17] = 0;
    n -= t->cut;
    struct mp_ip src = ip_of(t->src), dst = ip_of("ff02::1");
    struct mp_pkt *pkt = mp_pkt_alloc(mp_world_pool(f->c.w), (uint32_t)(40 + n));
    struct mp_wire_ipx x = {.ttl = t->hop_limit};
    g_assert_cmpint(mp_wire_ip_build_hdr(pkt->data, 40, &src, &dst, MP_IPPROTO_ICMPV6, (size_t)n,
                                         &x, false), ==, 40);
    memcpy(pkt->data + 40, msg, (size_t)n);
    mp_wire_put16(pkt->data + 42, 0);
    mp_wire_put16(pkt->data + 42, mp_wire_csum_l4(&src, &dst, MP_IPPROTO_ICMPV6, pkt->data + 40,
                                                  (size_t)n));
    mp_host_input(f->client, 1, pkt);
}

static void test_bad_ra(gconstpointer data)
{
    const struct bad_ra *t = data;
    struct fx f;
    fx_init(&f);
    inject_ra(&f, t);
    mp_world_run(f.c.w, MP_S(3));
    bool bad = strcmp(t->name, "good") != 0;
    g_assert_cmpuint(f.client->ctr.v[MP_CTR_ICMP6_IN_BAD_RA], ==, bad && !t->counted_icmp);
    g_assert_cmpuint(f.client->ctr.v[MP_CTR_ICMP6_IN_ERRORS], ==, t->counted_icmp);
    g_assert_cmpuint(f.client->ctr.v[MP_CTR_ADDR_AUTOCONF], ==, !bad);
    fx_clear(&f);
}

static const struct bad_ra bad_ras[] = {
    {"good", "fe80::1", 255, 0, false, false},
    {"hop-limit", "fe80::1", 254, 0, false, false},
    {"global-source", "2001:db8:1::1", 255, 0, false, false},
    {"truncated-fixed", "fe80::1", 255, 48 - 12, false, false},
    {"truncated-option", "fe80::1", 255, 8, false, false},
    {"zero-length-option", "fe80::1", 255, 0, true, false},
    {"shorter-than-icmp", "fe80::1", 255, 48 - 4, false, true},
};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/addrconf/iface/down-up", test_iface_down_up);
    g_test_add_func("/addrconf/iface/keep-addr-on-down", test_iface_keep_addr_on_down);
    g_test_add_func("/addrconf/lifetimes", test_lifetimes);
    g_test_add_func("/addrconf/slaac/forms-address", test_slaac_forms_address);
    g_test_add_func("/addrconf/slaac/two-hour-rule", test_slaac_two_hour_rule);
    g_test_add_func("/addrconf/slaac/iface-down", test_slaac_iface_down);
    g_test_add_func("/addrconf/slaac/not-accepted", test_slaac_not_accepted);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_ras); i++) {
        char *path = g_strdup_printf("/addrconf/ra/%s", bad_ras[i].name);
        g_test_add_data_func(path, &bad_ras[i], test_bad_ra);
        g_free(path);
    }
    return g_test_run();
}
