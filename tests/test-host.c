/*
 * Hosts and routers in a small world: client -- r1 -- server, dual stack.
 * UDP through the afmp_* API from simulated processes, ping, ICMP errors,
 * TTL expiry, malformed input counted, exact link timing end to end, and
 * policy routing by source address on a dual-homed host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "afmp/afmp.h"
#include "model/net/icmp.h"
#include "fixture.h"
#include "sim/net/world.h"

struct fx {
    struct mp_world *w;
    struct mp_node *client, *r1, *server;
    uint32_t c_if, r_if0, r_if1, s_if;
};

static void fx_init(struct fx *f)
{
    struct mp_world_conf wc = {.seed = 1};
    struct mp_host_opts ro;
    struct mp_link_conf lc;
    mp_host_opts_default(&ro);
    ro.forward = true;
    f->w = mp_world_new(&wc);
    f->client = mp_world_add_node(f->w, "client", NULL, true);
    f->r1 = mp_world_add_node(f->w, "r1", &ro, false);
    f->server = mp_world_add_node(f->w, "server", NULL, true);
    f->c_if = mp_node_add_iface(f->client, "eth0", 1500);
    f->r_if0 = mp_node_add_iface(f->r1, "eth0", 1500);
    f->r_if1 = mp_node_add_iface(f->r1, "eth1", 1500);
    f->s_if = mp_node_add_iface(f->server, "eth0", 1500);
    fx_addr(f->client, f->c_if, "10.0.1.2/24");
    fx_addr(f->client, f->c_if, "2001:db8:1::2/64");
    fx_addr(f->r1, f->r_if0, "10.0.1.1/24");
    fx_addr(f->r1, f->r_if0, "2001:db8:1::1/64");
    fx_addr(f->r1, f->r_if1, "10.0.2.1/24");
    fx_addr(f->r1, f->r_if1, "2001:db8:2::1/64");
    fx_addr(f->server, f->s_if, "10.0.2.2/24");
    fx_addr(f->server, f->s_if, "2001:db8:2::2/64");
    fx_link_conf(&lc, "l1", 10000000, MP_MS(5));
    g_assert_nonnull(mp_world_connect(f->w, f->client, f->c_if, f->r1, f->r_if0, &lc, NULL));
    fx_link_conf(&lc, "l2", 10000000, MP_MS(5));
    g_assert_nonnull(mp_world_connect(f->w, f->r1, f->r_if1, f->server, f->s_if, &lc, NULL));
    mp_world_compute_routes(f->w);
}

static void fx_clear(struct fx *f)
{
    mp_world_free(f->w);
}

/* ---- UDP echo between two processes ---- */

struct echo_log {
    int received;
    uint64_t rtt_ns;
    char peer[64];
    int err;
};

static struct echo_log *echo_log_of(int argc, char **argv)
{
    struct echo_log *l;
    sscanf(argv[1], "%p", (void **)&l);
    return l;
}

static int sa_make(const char *ip, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, ip, &s6->sin6_addr);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &s4->sin_addr);
    return sizeof(*s4);
}

static int echo_server(int argc, char **argv)
{
    int fam = strchr(argv[2], ':') ? AF_INET6 : AF_INET;
    int fd = afmp_socket(fam, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    int len = sa_make(argv[2], 7, &ss);
    g_assert_cmpint(afmp_bind(fd, (struct sockaddr *)&ss, (socklen_t)len), ==, 0);
    char buf[2000];
    struct sockaddr_storage from;
    socklen_t flen = sizeof(from);
    ssize_t n = afmp_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    g_assert_cmpint(n, >, 0);
    g_assert_cmpint(afmp_sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen), ==, n);
    afmp_close(fd);
    return 0;
}

static int echo_client(int argc, char **argv)
{
    struct echo_log *l = echo_log_of(argc, argv);
    int fam = strchr(argv[2], ':') ? AF_INET6 : AF_INET;
    int fd = afmp_socket(fam, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    int len = sa_make(argv[2], 7, &ss);
    char buf[1000];
    memset(buf, 'x', sizeof(buf));
    g_assert_cmpint(afmp_connect(fd, (struct sockaddr *)&ss, (socklen_t)len), ==, 0);
    uint64_t t0 = afmp_now_ns();
    g_assert_cmpint(afmp_send(fd, buf, sizeof(buf), 0), ==, sizeof(buf));
    ssize_t n = afmp_recv(fd, buf, sizeof(buf), 0);
    l->rtt_ns = afmp_now_ns() - t0;
    l->received = (int)n;
    struct sockaddr_storage me;
    socklen_t mlen = sizeof(me);
    afmp_getsockname(fd, (struct sockaddr *)&me, &mlen);
    if (fam == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, l->peer, sizeof(l->peer));
    else
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, l->peer, sizeof(l->peer));
    afmp_close(fd);
    return 0;
}

static void run_echo(const char *server_ip, const char *client_src, uint32_t payload)
{
    struct fx f;
    struct echo_log l = {0};
    char ptr[32];
    fx_init(&f);
    g_snprintf(ptr, sizeof(ptr), "%p", (void *)&l);
    char *sargv[] = {"echo-server", ptr, (char *)server_ip};
    char *cargv[] = {"echo-client", ptr, (char *)server_ip};
    g_assert_nonnull(mp_proc_spawn(mp_node_procs(f.server), "echo-server", 0, echo_server, 3, sargv, 0));
    g_assert_nonnull(mp_proc_spawn(mp_node_procs(f.client), "echo-client", MP_MS(1), echo_client, 3, cargv, 0));
    mp_world_run(f.w, MP_S(5));
    g_assert_cmpint(l.received, ==, 1000);
    /* Exact: 4 hops of (serialisation + 5 ms). */
    uint32_t wire = payload + 8 + (strchr(server_ip, ':') ? 40 : 20);
    uint64_t ser = ((uint64_t)wire * 8 * 1000000000u + 10000000 - 1) / 10000000;
    g_assert_cmpuint(l.rtt_ns, ==, 4 * (ser + MP_MS(5)));
    g_assert_cmpstr(l.peer, ==, client_src);
    struct mp_host *s = mp_node_host(f.server);
    g_assert_cmpuint(s->ctr.v[MP_CTR_UDP_IN_DATAGRAMS], ==, 1);
    g_assert_cmpuint(s->ctr.v[MP_CTR_UDP_OUT_DATAGRAMS], ==, 1);
    g_assert_cmpuint(mp_node_host(f.r1)->ctr.v[MP_CTR_IP_FORW_DATAGRAMS], ==, 2);
    g_assert_cmpuint(mp_world_pool(f.w)->live, ==, 0);
    fx_clear(&f);
}

static void test_udp_echo_v4(void)
{
    run_echo("10.0.2.2", "10.0.1.2", 1000);
}

static void test_udp_echo_v6(void)
{
    run_echo("2001:db8:2::2", "2001:db8:1::2", 1000);
}

/* ---- ICMP: port unreachable becomes ECONNREFUSED on a connected socket ---- */

static int refused_client(int argc, char **argv)
{
    struct echo_log *l = echo_log_of(argc, argv);
    int fd = afmp_socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    int len = sa_make("10.0.2.2", 9999, &ss);
    afmp_connect(fd, (struct sockaddr *)&ss, (socklen_t)len);
    afmp_send(fd, "hi", 2, 0);
    char b[8];
    ssize_t n = afmp_recv(fd, b, sizeof(b), 0);
    l->received = (int)n;
    l->err = errno;
    return 0;
}

static void test_port_unreachable(void)
{
    struct fx f;
    struct echo_log l = {0};
    char ptr[32];
    fx_init(&f);
    g_snprintf(ptr, sizeof(ptr), "%p", (void *)&l);
    char *argv[] = {"c", ptr};
    mp_proc_spawn(mp_node_procs(f.client), "c", 0, refused_client, 2, argv, 0);
    mp_world_run(f.w, MP_S(5));
    g_assert_cmpint(l.received, ==, -1);
    g_assert_cmpint(l.err, ==, ECONNREFUSED);
    g_assert_cmpuint(mp_node_host(f.server)->ctr.v[MP_CTR_UDP_NO_PORTS], ==, 1);
    g_assert_cmpuint(mp_node_host(f.server)->ctr.v[MP_CTR_ICMP_OUT_DEST_UNREACHS], ==, 1);
    g_assert_cmpuint(mp_node_host(f.client)->ctr.v[MP_CTR_ICMP_IN_DEST_UNREACHS], ==, 1);
    fx_clear(&f);
}

/* ---- ping sockets both families ---- */

static int pinger(int argc, char **argv)
{
    struct echo_log *l = echo_log_of(argc, argv);
    bool v6 = strchr(argv[2], ':') != NULL;
    int fd = afmp_socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    g_assert_cmpint(fd, >=, 3);
    struct sockaddr_storage ss;
    int len = sa_make(argv[2], 0, &ss);
    uint8_t req[64] = {v6 ? 128 : 8, 0, 0, 0, 0, 0, 0, 1};
    uint64_t t0 = afmp_now_ns();
    g_assert_cmpint(afmp_sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&ss, (socklen_t)len), ==, 64);
    uint8_t rep[128];
    ssize_t n = afmp_recv(fd, rep, sizeof(rep), 0);
    l->rtt_ns = afmp_now_ns() - t0;
    l->received = (int)n;
    l->err = rep[0];
    return 0;
}

static void run_ping(const char *dst, int reply_type)
{
    struct fx f;
    struct echo_log l = {0};
    char ptr[32];
    fx_init(&f);
    g_snprintf(ptr, sizeof(ptr), "%p", (void *)&l);
    char *argv[] = {"ping", ptr, (char *)dst};
    mp_proc_spawn(mp_node_procs(f.client), "ping", 0, pinger, 3, argv, 0);
    mp_world_run(f.w, MP_S(5));
    g_assert_cmpint(l.received, ==, 64);
    g_assert_cmpint(l.err, ==, reply_type);
    g_assert_cmpuint(l.rtt_ns, >, MP_MS(20));
    g_assert_cmpuint(l.rtt_ns, <, MP_MS(21));
    fx_clear(&f);
}

static void test_ping_v4(void)
{
    run_ping("10.0.2.2", 0);
}

static void test_ping_v6(void)
{
    run_ping("2001:db8:2::2", 129);
}

/* ---- packets injected on the wire: malformed, TTL 1 ---- */

static void inject(struct fx *f, struct mp_node *n, uint32_t ifindex, const uint8_t *b, size_t len,
                   uint32_t flags)
{
    struct mp_pkt *p = mp_pkt_alloc(mp_world_pool(f->w), (uint32_t)len);
    memcpy(p->data, b, len);
    p->flags = flags;
    mp_host_input(mp_node_host(n), ifindex, p);
}

static void test_malformed_counted(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_host *s = mp_node_host(f.server);
    uint8_t good[28];
    struct mp_ip src, dst;
    mp_ip_parse("10.0.1.2", &src);
    mp_ip_parse("10.0.2.2", &dst);
    int n = mp_wire_udp_build(good, sizeof(good), &src, &dst, 1000, 7, NULL, 0, NULL, true);
    g_assert_cmpint(n, ==, 28);
    /* Truncated inside the header, bad version, bad IHL, total length past
     * the buffer, a UDP length past the datagram, a corrupted checksum. */
    inject(&f, f.server, f.s_if, good, 10, 0);
    uint8_t bad[28];
    memcpy(bad, good, 28);
    bad[0] = 0x35;
    inject(&f, f.server, f.s_if, bad, 28, 0);
    memcpy(bad, good, 28);
    bad[0] = 0x44;
    inject(&f, f.server, f.s_if, bad, 28, 0);
    memcpy(bad, good, 28);
    mp_wire_put16(bad + 2, 200);
    inject(&f, f.server, f.s_if, bad, 28, 0);
    memcpy(bad, good, 28);
    mp_wire_put16(bad + 24, 60);
    inject(&f, f.server, f.s_if, bad, 28, 0);
    memcpy(bad, good, 28);
    bad[27] ^= 0x10; /* in the UDP checksum */
    inject(&f, f.server, f.s_if, bad, 28, MP_PKT_CSUM_UNTRUSTED);
    g_assert_cmpuint(s->ctr.v[MP_CTR_IP_IN_RECEIVES], ==, 6);
    g_assert_cmpuint(s->ctr.v[MP_CTR_IP_IN_TRUNCATED], ==, 2);
    g_assert_cmpuint(s->ctr.v[MP_CTR_IP_IN_HDR_ERRORS], ==, 2);
    g_assert_cmpuint(s->ctr.v[MP_CTR_UDP_IN_ERRORS], ==, 1);
    g_assert_cmpuint(s->ctr.v[MP_CTR_UDP_IN_CSUM_ERRORS], ==, 1);
    g_assert_cmpuint(s->ctr.v[MP_CTR_UDP_NO_PORTS], ==, 0);
    mp_world_run(f.w, MP_S(1));
    g_assert_cmpuint(mp_world_pool(f.w)->live, ==, 0);
    fx_clear(&f);
}

static void test_ttl_exceeded(void)
{
    struct fx f;
    fx_init(&f);
    uint8_t pkt[28];
    struct mp_ip src, dst;
    struct mp_wire_ipx x = {.ttl = 1};
    mp_ip_parse("10.0.1.2", &src);
    mp_ip_parse("10.0.2.2", &dst);
    mp_wire_udp_build(pkt, sizeof(pkt), &src, &dst, 1000, 33434, NULL, 0, &x, true);
    inject(&f, f.r1, f.r_if0, pkt, 28, 0);
    mp_world_run(f.w, MP_S(1));
    g_assert_cmpuint(mp_node_host(f.r1)->ctr.v[MP_CTR_ICMP_OUT_TIME_EXCDS], ==, 1);
    g_assert_cmpuint(mp_node_host(f.r1)->ctr.v[MP_CTR_IP_FORW_DATAGRAMS], ==, 0);
    g_assert_cmpuint(mp_node_host(f.client)->ctr.v[MP_CTR_ICMP_IN_TIME_EXCDS], ==, 1);
    fx_clear(&f);
}

/* ---- a dual-homed host: the source address decides the way out ---- */

static void test_policy_routing(void)
{
    struct mp_world_conf wc = {.seed = 1};
    struct mp_host_opts ro;
    struct mp_link_conf lc;
    mp_host_opts_default(&ro);
    ro.forward = true;
    struct mp_world *w = mp_world_new(&wc);
    struct mp_node *c = mp_world_add_node(w, "client", NULL, false);
    struct mp_node *ra = mp_world_add_node(w, "ra", &ro, false);
    struct mp_node *rb = mp_world_add_node(w, "rb", &ro, false);
    struct mp_node *s = mp_world_add_node(w, "server", NULL, false);
    uint32_t c0 = mp_node_add_iface(c, "wifi", 1500), c1 = mp_node_add_iface(c, "lte", 1500);
    uint32_t a0 = mp_node_add_iface(ra, "eth0", 1500), a1 = mp_node_add_iface(ra, "eth1", 1500);
    uint32_t b0 = mp_node_add_iface(rb, "eth0", 1500), b1 = mp_node_add_iface(rb, "eth1", 1500);
    uint32_t s0 = mp_node_add_iface(s, "eth0", 1500), s1 = mp_node_add_iface(s, "eth1", 1500);
    fx_addr(c, c0, "10.1.0.2/24");
    fx_addr(c, c1, "10.2.0.2/24");
    fx_addr(ra, a0, "10.1.0.1/24");
    fx_addr(ra, a1, "10.3.0.1/24");
    fx_addr(rb, b0, "10.2.0.1/24");
    fx_addr(rb, b1, "10.4.0.1/24");
    fx_addr(s, s0, "10.3.0.2/24");
    fx_addr(s, s1, "10.4.0.2/24");
    fx_link_conf(&lc, "a", 0, 0);
    mp_world_connect(w, c, c0, ra, a0, &lc, NULL);
    lc.name = "b";
    mp_world_connect(w, c, c1, rb, b0, &lc, NULL);
    lc.name = "c";
    mp_world_connect(w, ra, a1, s, s0, &lc, NULL);
    lc.name = "d";
    mp_world_connect(w, rb, b1, s, s1, &lc, NULL);
    mp_node_set_per_iface_tables(c, true);
    mp_world_compute_routes(w);

    struct mp_host_route r;
    struct mp_ip dst, src;
    mp_ip_parse("10.3.0.2", &dst);
    /* No source: main table, first interface. */
    g_assert_cmpint(mp_host_route(mp_node_host(c), NULL, &dst, 0, &r), ==, 0);
    g_assert_cmpuint(r.ifindex, ==, c0);
    /* From the LTE address: LTE's table, via rb, even to a server address
     * behind ra. */
    mp_ip_parse("10.2.0.2", &src);
    g_assert_cmpint(mp_host_route(mp_node_host(c), &src, &dst, 0, &r), ==, 0);
    g_assert_cmpuint(r.ifindex, ==, c1);
    char gw[MP_IP_STRLEN];
    g_assert_cmpstr(mp_ip_str(&r.nexthop, gw), ==, "10.2.0.1");
    /* Not an address of ours. */
    mp_ip_parse("10.9.9.9", &src);
    g_assert_cmpint(mp_host_route(mp_node_host(c), &src, &dst, 0, &r), ==, -EADDRNOTAVAIL);

    /* Decisions are cached: the same flow bound to another interface is
     * another decision, and a route change is seen at once. */
    struct mp_host *hc = mp_node_host(c);
    g_assert_cmpint(mp_host_route(hc, NULL, &dst, c1, &r), ==, 0);
    g_assert_cmpuint(r.ifindex, ==, c1);
    g_assert_cmpint(mp_host_route(hc, NULL, &dst, 0, &r), ==, 0);
    g_assert_cmpuint(r.ifindex, ==, c0);
    struct mp_rt_route via_b = {.ifindex = c1, .metric = 1};
    mp_prefix_parse("10.3.0.2/32", &via_b.dst);
    mp_ip_parse("10.2.0.1", &via_b.gw);
    g_assert_cmpint(mp_rt_route_add(hc->rt, MP_RT_TABLE_MAIN, &via_b, 0), ==, 0);
    g_assert_cmpint(mp_host_route(hc, NULL, &dst, 0, &r), ==, 0);
    g_assert_cmpuint(r.ifindex, ==, c1);
    g_assert_cmpstr(mp_ip_str(&r.nexthop, gw), ==, "10.2.0.1");
    mp_world_free(w);
}

/* ---- addresses come and go while the host runs ---- */

struct events_seen {
    int added, removed, down, up;
};

static void count_events(void *arg, struct mp_host *h, const struct mp_host_event *ev)
{
    struct events_seen *e = arg;
    e->added += ev->kind == MP_HOST_ADDR_ADDED;
    e->removed += ev->kind == MP_HOST_ADDR_REMOVED;
    e->down += ev->kind == MP_HOST_CARRIER_DOWN;
    e->up += ev->kind == MP_HOST_CARRIER_UP;
}

static void test_addr_dynamics(void)
{
    struct fx f;
    struct events_seen seen = {0};
    fx_init(&f);
    struct mp_host *c = mp_node_host(f.client);
    mp_host_listen(c, count_events, &seen);
    struct mp_ip extra, dst;
    mp_ip_parse("10.0.1.99", &extra);
    mp_ip_parse("10.0.2.2", &dst);
    g_assert_cmpint(mp_host_addr_add(c, f.c_if, &extra, 24, 0), ==, 0);
    g_assert_cmpint(mp_host_addr_add(c, f.c_if, &extra, 24, 0), ==, -EEXIST);
    g_assert_cmpint(mp_host_addr_add(c, 99, &extra, 24, 0), ==, -ENODEV);
    g_assert_cmpint(seen.added, ==, 1);
    /* Usable as a source at once; a secondary address of the subnet is not
     * chosen by default (Linux: the primary one is). */
    struct mp_host_route r;
    g_assert_cmpint(mp_host_route(c, &extra, &dst, 0, &r), ==, 0);
    g_assert_cmpint(mp_host_route(c, NULL, &dst, 0, &r), ==, 0);
    char b[MP_IP_STRLEN];
    g_assert_cmpstr(mp_ip_str(&r.src, b), ==, "10.0.1.2");
    g_assert_cmpuint(mp_host_addr_ifindex(c, &extra), ==, f.c_if);
    g_assert_cmpint(mp_host_addr_del(c, f.c_if, &extra), ==, 0);
    g_assert_cmpint(mp_host_addr_del(c, f.c_if, &extra), ==, -EADDRNOTAVAIL);
    g_assert_cmpint(seen.removed, ==, 1);
    g_assert_cmpuint(mp_host_addr_ifindex(c, &extra), ==, 0); /* not a cached answer */
    g_assert_cmpint(mp_host_route(c, &extra, &dst, 0, &r), ==, -EADDRNOTAVAIL);
    /* Removing the primary address takes its connected route with it. */
    struct mp_ip prim;
    mp_ip_parse("10.0.1.2", &prim);
    g_assert_cmpint(mp_host_addr_del(c, f.c_if, &prim), ==, 0);
    struct mp_ip gw;
    mp_ip_parse("10.0.1.1", &gw);
    g_assert_cmpint(mp_host_route(c, NULL, &gw, 0, &r), <, 0);
    /* Carrier changes reach the listeners once per change. */
    mp_link_set_up(mp_world_link(f.w, "l1"), false);
    mp_link_set_up(mp_world_link(f.w, "l1"), false);
    mp_link_set_up(mp_world_link(f.w, "l1"), true);
    g_assert_cmpint(seen.down, ==, 1);
    g_assert_cmpint(seen.up, ==, 1);
    fx_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/host/udp/echo-v4", test_udp_echo_v4);
    g_test_add_func("/host/udp/echo-v6", test_udp_echo_v6);
    g_test_add_func("/host/udp/port-unreachable", test_port_unreachable);
    g_test_add_func("/host/icmp/ping-v4", test_ping_v4);
    g_test_add_func("/host/icmp/ping-v6", test_ping_v6);
    g_test_add_func("/host/ip/malformed-counted", test_malformed_counted);
    g_test_add_func("/host/ip/ttl-exceeded", test_ttl_exceeded);
    g_test_add_func("/host/route/policy-by-source", test_policy_routing);
    g_test_add_func("/host/addr/dynamics", test_addr_dynamics);
    return g_test_run();
}
