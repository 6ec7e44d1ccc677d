/*
 * AF_MULTIPATH stream sockets (afmp/socket.c over model/mptcp), the draft's
 * semantics one by one, through processes on a small world:
 *
 *   client eth0 10.0.1.2 2001:db8:1::2 --c0-- r1 --s0-- server eth0 10.0.10.2 2001:db8:10::2
 *          eth1 10.0.2.2 2001:db8:2::2 --c1--  | --s1--        eth1 10.0.20.2 2001:db8:20::2
 *                                              +--o--- other   eth0 10.0.11.2
 *
 * Client and server have one routing table per interface, so each subflow
 * keeps to its link. Processes report into a struct shared through argv[1].
 *
 * Covered: (a) AF_MULTIPATH means MPTCP, AF_INET plain TCP unless
 * mptcpize or TCP_MULTIPATH_ENABLE; (b) connect() with a container gives
 * subflows to every address; (c) an address of another host is dropped and
 * counted, the connection unaffected; (d) getsockname()/getpeername() give
 * the current lists, which grow and shrink; (e) connect() and bind() again
 * add addresses; (f) a stack without AF_MULTIPATH says EAFNOSUPPORT and
 * EAI_FAMILY; (g) the RFC 6897 options and MPTCP_INFO; the racing of the
 * initial subflow (a dead IPv6 address does not hold connect()); and API
 * misuse with Linux's errno values.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <string.h>

#include "afmp/afmp.h"
#include "afmp/resolver.h"
#include "afmp/stack.h"
#include "fixture.h"
#include "sim/apps/util.h"
#include "model/mptcp/mptcp.h"
#include "model/net/counters.h"
#include "sim/net/fault.h"
#include "sim/net/world.h"

#define PORT 5001

struct fx {
    struct mp_world *w;
    struct mp_node *client, *r1, *server, *other;
    struct mp_link *c0, *c1, *s0, *s1, *o;
};

static void fx_init(struct fx *f)
{
    struct mp_world_conf wc = {.seed = 5};
    struct mp_host_opts ro;
    struct mp_link_conf lc;
    mp_host_opts_default(&ro);
    ro.forward = true;
    f->w = mp_world_new(&wc);
    f->client = mp_world_add_node(f->w, "client", NULL, false);
    f->r1 = mp_world_add_node(f->w, "r1", &ro, false);
    f->server = mp_world_add_node(f->w, "server", NULL, false);
    f->other = mp_world_add_node(f->w, "other", NULL, false);
    struct {
        struct mp_node *n;
        const char *nif, *rif, *a4, *a6, *r4, *r6, *name;
        struct mp_link **l;
        mp_time_t delay;
    } e[] = {
        {f->client, "eth0", "eth0", "10.0.1.2/24", "2001:db8:1::2/64", "10.0.1.1/24",
         "2001:db8:1::1/64", "c0", &f->c0, MP_MS(5)},
        {f->client, "eth1", "eth1", "10.0.2.2/24", "2001:db8:2::2/64", "10.0.2.1/24",
         "2001:db8:2::1/64", "c1", &f->c1, MP_MS(15)},
        {f->server, "eth0", "eth2", "10.0.10.2/24", "2001:db8:10::2/64", "10.0.10.1/24",
         "2001:db8:10::1/64", "s0", &f->s0, MP_MS(1)},
        {f->server, "eth1", "eth3", "10.0.20.2/24", "2001:db8:20::2/64", "10.0.20.1/24",
         "2001:db8:20::1/64", "s1", &f->s1, MP_MS(1)},
        {f->other, "eth0", "eth4", "10.0.11.2/24", "2001:db8:11::2/64", "10.0.11.1/24",
         "2001:db8:11::1/64", "o", &f->o, MP_MS(1)},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(e); i++) {
        uint32_t ni = mp_node_add_iface(e[i].n, e[i].nif, 1500);
        uint32_t ri = mp_node_add_iface(f->r1, e[i].rif, 1500);
        fx_addr(e[i].n, ni, e[i].a4);
        fx_addr(e[i].n, ni, e[i].a6);
        fx_addr(f->r1, ri, e[i].r4);
        fx_addr(f->r1, ri, e[i].r6);
        fx_link_conf(&lc, e[i].name, 10000000, e[i].delay);
        *e[i].l = mp_world_connect(f->w, e[i].n, ni, f->r1, ri, &lc, NULL);
        g_assert_nonnull(*e[i].l);
    }
    mp_node_set_per_iface_tables(f->client, true);
    mp_node_set_per_iface_tables(f->server, true);
    mp_world_compute_routes(f->w);
}

static uint64_t ctr(struct mp_node *n, const char *name)
{
    int id = mp_ctr_lookup(name);
    g_assert_cmpint(id, >=, 0);
    return mp_node_host(n)->ctr.v[id];
}

static void spawn(struct mp_node *n, const char *name, mp_time_t at, int (*fn)(int, char **),
                  void *shared)
{
    char p[32];
    g_snprintf(p, sizeof(p), "%p", shared);
    char *argv[] = {(char *)name, p, NULL};
    g_assert_nonnull(mp_proc_spawn(mp_node_procs(n), name, at, fn, 2, argv, 0));
}

static void *shared_of(char **argv)
{
    void *p = NULL;
    sscanf(argv[1], "%p", &p);
    return p;
}

/* A container from its text form (asserts). */
static socklen_t mp_addr(const char *text, struct sockaddr_mp_storage *ss)
{
    socklen_t len = sizeof(*ss);
    size_t pos;
    g_assert_cmpint(afmp_mp_parse(text, (struct sockaddr *)ss, &len, &pos), ==, 0);
    return len;
}

/* The text of a container, or "" */
static void mp_text(const struct sockaddr_mp_storage *ss, socklen_t len, char *buf, size_t n)
{
    if (afmp_mp_format((const struct sockaddr *)ss, len, buf, n) < 0)
        buf[0] = 0;
}

static int names(int fd, bool peer, char *buf, size_t n)
{
    struct sockaddr_mp_storage ss;
    socklen_t len = sizeof(ss);
    int rc = peer ? afmp_getpeername(fd, (struct sockaddr *)&ss, &len)
                  : afmp_getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc < 0) {
        buf[0] = 0;
        return -errno;
    }
    mp_text(&ss, len, buf, n);
    return afmp_mp_check((struct sockaddr *)&ss, len);
}

/* ---- the server: an AF_MULTIPATH listener that reads everything ---- */

struct srv {
    const char *bind; /* container text, or NULL: every address */
    size_t expect;    /* bytes to read per connection */
    size_t got;
    bool intact;
    char peer[256]; /* the peer list at the end */
    int accept_family;
};

static uint8_t pat(uint64_t i)
{
    return (uint8_t)((i * 2654435761u) >> 11);
}

static int server_main(int argc, char **argv)
{
    struct srv *s = shared_of(argv);
    int l = afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0);
    g_assert_cmpint(l, >=, 3);
    if (s->bind) {
        struct sockaddr_mp_storage ss;
        socklen_t len = mp_addr(s->bind, &ss);
        g_assert_cmpint(afmp_bind(l, (struct sockaddr *)&ss, len), ==, 0);
    } else {
        struct sockaddr_mp_storage ss;
        socklen_t len = mp_addr("0.0.0.0:5001", &ss);
        g_assert_cmpint(afmp_bind(l, (struct sockaddr *)&ss, len), ==, 0);
    }
    g_assert_cmpint(afmp_listen(l, 8), ==, 0);
    struct sockaddr_mp_storage from;
    socklen_t flen = sizeof(from);
    int fd = afmp_accept(l, (struct sockaddr *)&from, &flen);
    g_assert_cmpint(fd, >=, 3);
    s->accept_family = from.smp_family;
    s->intact = true;
    uint8_t buf[8192];
    ssize_t n;
    while ((n = afmp_recv(fd, buf, sizeof(buf), 0)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            s->intact = s->intact && buf[i] == pat(s->got + (size_t)i);
        s->got += (size_t)n;
    }
    names(fd, true, s->peer, sizeof(s->peer));
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

/* ---- the client ---- */

struct cli {
    int domain;               /* AF_MULTIPATH (default 0 means it) or AF_INET */
    const char *dst;          /* container text */
    const char *bind;         /* container text or NULL */
    const char *add_remote;   /* connect() again with this at add_at */
    const char *add_local;    /* bind() again with this at add_at */
    const char *remove_local; /* TCP_MULTIPATH_REMOVE at remove_at */
    mp_time_t add_at, remove_at;
    size_t size;
    bool set_enable; /* TCP_MULTIPATH_ENABLE = 1 first */
    /* results */
    int rc; /* 0 or -errno of connect */
    int remove_rc;
    mp_time_t t_connect; /* connect() returned, since start */
    size_t sent;
    int max_peer, max_local; /* most entries seen in the lists */
    char first_peer[256], last_peer[256], last_local[256], max_peer_text[256];
    int protocol;
    int enable; /* TCP_MULTIPATH_ENABLE read after connect */
    struct afmp_mptcp_info info;
    int info_rc;
    /* MPTCP_SUBFLOW_ADDRS and MPTCP_TCPINFO at the end */
    uint32_t sf_addrs, sf_infos;
    char sf_remote[2][64];
    uint64_t sf_acked;
    uint32_t connid;
    int subflows_entries; /* TCP_MULTIPATH_SUBFLOWS entries */
};

static void watch(struct cli *c, int fd)
{
    char t[256];
    int n = names(fd, true, t, sizeof(t));
    if (n > c->max_peer) {
        c->max_peer = n;
        g_strlcpy(c->max_peer_text, t, sizeof(c->max_peer_text));
    }
    if (n > 0)
        g_strlcpy(c->last_peer, t, sizeof(c->last_peer));
    n = names(fd, false, t, sizeof(t));
    if (n > c->max_local)
        c->max_local = n;
    if (n > 0)
        g_strlcpy(c->last_local, t, sizeof(c->last_local));
}

static int client_main(int argc, char **argv)
{
    struct cli *c = shared_of(argv);
    struct sockaddr_mp_storage ss;
    socklen_t len;
    int dom = c->domain ? c->domain : AF_MULTIPATH;
    int fd = afmp_socket(dom, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 3);
    socklen_t il = sizeof(c->protocol);
    g_assert_cmpint(afmp_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &c->protocol, &il), ==, 0);
    if (c->set_enable) {
        int one = 1;
        g_assert_cmpint(afmp_setsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_ENABLE, &one, sizeof(one)),
                        ==, 0);
    }
    /* A small send buffer: send() blocks, so the lists are read all along
     * the transfer. */
    int sb = 32768;
    g_assert_cmpint(afmp_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb)), ==, 0);
    if (c->bind) {
        len = mp_addr(c->bind, &ss);
        g_assert_cmpint(afmp_bind(fd, (struct sockaddr *)&ss, len), ==, 0);
    }
    mp_time_t t0 = afmp_now_ns();
    if (dom == AF_MULTIPATH) {
        len = mp_addr(c->dst, &ss);
    } else {
        struct afmp_mp_entry e;
        len = mp_addr(c->dst, &ss);
        g_assert_cmpint(afmp_mp_get((struct sockaddr *)&ss, len, 0, &e), ==, 0);
        len = sizeof(ss);
        g_assert_cmpint(afmp_mp_entry_to_sockaddr(&e, (struct sockaddr *)&ss, &len), ==, 0);
    }
    c->rc = afmp_connect(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
    c->t_connect = afmp_now_ns() - t0;
    if (c->rc < 0) {
        afmp_close(fd);
        return 0;
    }
    if (dom == AF_MULTIPATH)
        names(fd, true, c->first_peer, sizeof(c->first_peer));
    uint8_t buf[4096];
    bool added = false, removed = false;
    /* Send, and read the lists all along, until the peer has everything. */
    for (int idle = 0; idle < 500;) {
        mp_time_t now = afmp_now_ns();
        if (!added && (c->add_remote || c->add_local) && now >= c->add_at) {
            added = true;
            if (c->add_remote) {
                len = mp_addr(c->add_remote, &ss);
                g_assert_cmpint(afmp_connect(fd, (struct sockaddr *)&ss, len), ==, 0);
            }
            if (c->add_local) {
                len = mp_addr(c->add_local, &ss);
                g_assert_cmpint(afmp_bind(fd, (struct sockaddr *)&ss, len), ==, 0);
            }
        }
        if (!removed && c->remove_local && now >= c->remove_at) {
            removed = true;
            len = mp_addr(c->remove_local, &ss);
            c->remove_rc =
                afmp_setsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_REMOVE, &ss, len) < 0 ? -errno : 0;
        }
        if (dom == AF_MULTIPATH)
            watch(c, fd);
        if (c->sent < c->size) {
            size_t k = MIN(sizeof(buf), c->size - c->sent);
            for (size_t i = 0; i < k; i++)
                buf[i] = pat(c->sent + i);
            ssize_t n = afmp_send(fd, buf, k, 0);
            if (n <= 0)
                break;
            c->sent += (size_t)n;
            continue;
        }
        struct afmp_mptcp_info mi;
        il = sizeof(mi);
        if (afmp_getsockopt(fd, SOL_MPTCP, AFMP_MPTCP_INFO, &mi, &il) < 0 ||
            mi.mptcpi_snd_una == mi.mptcpi_write_seq)
            break;
        afmp_usleep(20000);
        idle++;
    }
    il = sizeof(c->enable);
    afmp_getsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_ENABLE, &c->enable, &il);
    il = sizeof(c->info);
    c->info_rc = afmp_getsockopt(fd, SOL_MPTCP, AFMP_MPTCP_INFO, &c->info, &il) < 0 ? -errno : 0;
    il = sizeof(c->connid);
    afmp_getsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_CONNID, &c->connid, &il);
    struct {
        struct afmp_mptcp_subflow_data hd;
        struct afmp_mptcp_subflow_addrs a[4];
    } sa;
    int n = mp_app_subflows(fd, AFMP_MPTCP_SUBFLOW_ADDRS, &sa, sizeof(sa), sizeof(sa.a[0]));
    if (n >= 0) {
        c->sf_addrs = (uint32_t)n;
        for (int i = 0; i < MIN(n, 2); i++) {
            char ip[INET_ADDRSTRLEN] = "?";
            inet_ntop(AF_INET, &sa.a[i].sin_remote.sin_addr, ip, sizeof(ip));
            g_snprintf(c->sf_remote[i], sizeof(c->sf_remote[i]), "%s:%u", ip,
                       ntohs(sa.a[i].sin_remote.sin_port));
        }
    }
    struct {
        struct afmp_mptcp_subflow_data hd;
        struct afmp_tcp_info t[4];
    } ti;
    n = mp_app_subflows(fd, AFMP_MPTCP_TCPINFO, &ti, sizeof(ti), sizeof(ti.t[0]));
    if (n >= 0) {
        c->sf_infos = (uint32_t)n;
        for (int i = 0; i < MIN(n, 4); i++)
            c->sf_acked += ti.t[i].tcpi_bytes_acked;
    }
    struct sockaddr_mp_storage sf;
    socklen_t sfl = sizeof(sf);
    if (afmp_getsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_SUBFLOWS, &sf, &sfl) == 0)
        c->subflows_entries = afmp_mp_check((struct sockaddr *)&sf, sfl);
    if (dom == AF_MULTIPATH)
        watch(c, fd);
    afmp_shutdown(fd, SHUT_WR);
    while (afmp_recv(fd, buf, sizeof(buf), 0) > 0)
        ;
    afmp_close(fd);
    return 0;
}

static void run_pair(struct fx *f, struct srv *s, struct cli *c, mp_time_t until)
{
    spawn(f->server, "server", 0, server_main, s);
    spawn(f->client, "client", MP_MS(10), client_main, c);
    mp_world_run(f->w, until);
}

/* (b) connect() with a container: the connection uses both server
 * addresses; (d) the peer list shows both; (g) MPTCP_INFO and the RFC 6897
 * options agree with it. */
static void test_connect_container(void)
{
    struct fx f;
    fx_init(&f);
    struct srv s = {.expect = 2000000};
    struct cli c = {.dst = "10.0.10.2:5001,10.0.20.2:5001", .size = 2000000};
    run_pair(&f, &s, &c, MP_S(30));
    g_assert_cmpint(c.rc, ==, 0);
    g_assert_cmpuint(s.got, ==, c.size);
    g_assert_true(s.intact);
    g_assert_cmpint(s.accept_family, ==, AF_MULTIPATH);
    g_assert_cmpint(c.protocol, ==, AFMP_IPPROTO_MPTCP);
    g_assert_cmpstr(c.first_peer, ==, "10.0.10.2:5001");
    g_assert_cmpint(c.max_peer, ==, 2);
    g_assert_cmpstr(c.max_peer_text, ==, "10.0.10.2:5001,10.0.20.2:5001");
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPJoinSynAckRx"), ==, 1);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPJoinAckRx"), ==, 1);
    g_assert_cmpint(c.enable, ==, 1);
    g_assert_cmpint(c.info_rc, ==, 0);
    g_assert_cmpuint(c.info.mptcpi_subflows, ==, 1);
    g_assert_cmpuint(c.info.mptcpi_subflows_total, ==, 2);
    g_assert_cmpuint(c.info.mptcpi_flags & AFMP_MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED, !=, 0);
    g_assert_cmpuint(c.info.mptcpi_flags & AFMP_MPTCP_INFO_FLAG_FALLBACK, ==, 0);
    g_assert_cmpuint(c.info.mptcpi_bytes_sent, >=, c.size);
    g_assert_cmpuint(c.connid, ==, c.info.mptcpi_token);
    g_assert_cmpuint(c.connid, !=, 0);
    g_assert_cmpint(c.subflows_entries, ==, 4); /* two (local, remote) pairs */
    /* Linux's per-subflow options: the two subflows, first one first, and
     * between them every byte acknowledged. */
    g_assert_cmpuint(c.sf_addrs, ==, 2);
    g_assert_cmpuint(c.sf_infos, ==, 2);
    g_assert_cmpstr(c.sf_remote[0], ==, "10.0.10.2:5001");
    g_assert_cmpstr(c.sf_remote[1], ==, "10.0.20.2:5001");
    g_assert_cmpuint(c.sf_acked, >=, c.size);
    /* The server saw the client's one address twice, with the port of each
     * subflow (both left from the route's source: the client bound
     * nothing). */
    g_assert_true(g_str_has_prefix(s.peer, "10.0.1.2:"));
    g_assert_nonnull(strstr(s.peer, ",10.0.1.2:"));
    mp_world_free(f.w);
}

/* (c) an address of another host: nothing listens there (a RST), or an
 * MPTCP listener that does not know the token (MP_TCPRST reason 1). */
static int other_listener(int argc, char **argv)
{
    (void)argv;
    int l = afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0);
    struct sockaddr_mp_storage ss;
    socklen_t len = mp_addr("10.0.11.2:5001", &ss);
    g_assert_cmpint(afmp_bind(l, (struct sockaddr *)&ss, len), ==, 0);
    g_assert_cmpint(afmp_listen(l, 8), ==, 0);
    afmp_sleep(100);
    return 0;
}

static void test_other_host(gconstpointer data)
{
    bool listening = GPOINTER_TO_INT(data);
    struct fx f;
    fx_init(&f);
    if (listening)
        spawn(f.other, "other", 0, other_listener, NULL);
    struct srv s = {.expect = 1000000};
    struct cli c = {.dst = "10.0.10.2:5001,10.0.11.2:5001,10.0.20.2:5001", .size = 1000000};
    run_pair(&f, &s, &c, MP_S(30));
    g_assert_cmpint(c.rc, ==, 0);
    g_assert_cmpuint(s.got, ==, c.size);
    g_assert_true(s.intact);
    g_assert_cmpuint(ctr(f.client, "AfmpMPTcpAddrIgnored"), ==, 1);
    g_assert_cmpstr(c.max_peer_text, ==, "10.0.10.2:5001,10.0.20.2:5001");
    g_assert_cmpuint(ctr(f.other, "MPTcpExtMPJoinSynRx"), ==, listening ? 1 : 0);
    if (listening)
        g_assert_cmpuint(ctr(f.client, "MPTcpExtMPRstRx"), ==, 1);
    mp_world_free(f.w);
}

/* RFC 8305: the server's IPv6 address comes first in RFC 6724 order but
 * its path drops everything; the IPv4 attempt starts 250 ms later and
 * wins, instead of connect() waiting for SYN retransmissions (1 s, 3 s...). */
static void test_race(void)
{
    struct fx f;
    fx_init(&f);
    mp_link_add_fault(f.s1, 1, mp_fault_loss_new_ppm(1000000)); /* r1 -> server eth1 */
    struct srv s = {.expect = 100000};
    struct cli c = {.dst = "10.0.10.2:5001,[2001:db8:20::2]:5001", .size = 100000};
    run_pair(&f, &s, &c, MP_S(30));
    g_assert_cmpint(c.rc, ==, 0);
    g_assert_cmpstr(c.first_peer, ==, "10.0.10.2:5001");
    /* 250 ms, then one round trip of 12 ms. */
    g_assert_cmpuint(c.t_connect, >=, MP_MS(262));
    g_assert_cmpuint(c.t_connect, <, MP_MS(280));
    g_assert_cmpuint(s.got, ==, c.size);
    mp_world_free(f.w);
}

/* Nothing answers anywhere: every attempt is tried, connect() fails once
 * the last one gives up (tcp_syn_retries: 127 s), with ETIMEDOUT; a RST
 * from every address gives ECONNREFUSED at once. */
static void test_race_fail(gconstpointer data)
{
    bool refuse = GPOINTER_TO_INT(data);
    struct fx f;
    fx_init(&f);
    if (!refuse) {
        mp_link_add_fault(f.s0, 1, mp_fault_loss_new_ppm(1000000));
        mp_link_add_fault(f.s1, 1, mp_fault_loss_new_ppm(1000000));
    }
    struct cli c = {.dst = "10.0.10.2:5001,10.0.20.2:5001", .size = 1};
    spawn(f.client, "client", MP_MS(10), client_main, &c);
    mp_world_run(f.w, MP_S(300));
    g_assert_cmpint(c.rc, ==, refuse ? -ECONNREFUSED : -ETIMEDOUT);
    if (refuse)
        g_assert_cmpuint(c.t_connect, <, MP_MS(40));
    else
        g_assert_cmpuint(c.t_connect, >=, MP_S(127));
    mp_world_free(f.w);
}

/* (e) connect() again adds a remote address, bind() again a local one;
 * (d) the lists grow; TCP_MULTIPATH_REMOVE shrinks the local one. */
static void test_add_again(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_mptcp_config sc;
    mp_mptcp_config_default(&sc);
    sc.subflows = 4; /* the server accepts the whole mesh */
    g_assert_cmpint(mp_node_set_mptcp(f.server, &sc), ==, 0);
    struct srv s = {.expect = 3000000};
    struct cli c = {.dst = "10.0.10.2:5001",
                    .bind = "10.0.1.2:0",
                    .add_remote = "10.0.20.2:5001",
                    .add_local = "10.0.2.2:0",
                    .add_at = MP_MS(500),
                    .remove_local = "10.0.2.2",
                    .remove_at = MP_MS(1500),
                    .size = 3000000};
    run_pair(&f, &s, &c, MP_S(30));
    g_assert_cmpint(c.rc, ==, 0);
    g_assert_cmpstr(c.first_peer, ==, "10.0.10.2:5001");
    g_assert_cmpint(c.max_peer, ==, 2);
    /* Four subflows, each with its own local port: 10.0.1.2 twice and
     * 10.0.2.2 twice; then 10.0.2.2 went away. */
    g_assert_cmpint(c.max_local, ==, 4);
    g_assert_cmpint(c.remove_rc, ==, 0);
    g_assert_null(strstr(c.last_local, "10.0.2.2"));
    g_assert_cmpuint(s.got, ==, c.size);
    g_assert_true(s.intact);
    /* The mesh of the two local and two remote addresses: 3 joins. */
    g_assert_cmpuint(ctr(f.client, "MPTcpExtMPJoinSynAckRx"), ==, 3);
    mp_world_free(f.w);
}

/* (a) AF_INET is plain TCP, unless the host mptcpizes its sockets or the
 * program asks with TCP_MULTIPATH_ENABLE. */
static void test_inet(gconstpointer data)
{
    int mode = GPOINTER_TO_INT(data); /* 0 plain, 1 mptcpize, 2 TCP_MULTIPATH_ENABLE */
    struct fx f;
    fx_init(&f);
    if (mode == 1) {
        struct afmp_stack_conf sc = {.multipath = true, .mptcpize = true};
        afmp_stack_configure(mp_node_host(f.client), &sc);
    }
    struct srv s = {.expect = 100000};
    struct cli c = {
        .domain = AF_INET, .dst = "10.0.10.2:5001", .size = 100000, .set_enable = mode == 2};
    run_pair(&f, &s, &c, MP_S(30));
    g_assert_cmpint(c.rc, ==, 0);
    g_assert_cmpuint(s.got, ==, c.size);
    g_assert_cmpuint(ctr(f.server, "MPTcpExtMPCapableSYNRX"), ==, mode ? 1 : 0);
    g_assert_cmpint(c.enable, ==, mode ? 1 : 0);
    g_assert_cmpint(c.info_rc, ==, mode ? 0 : -EOPNOTSUPP);
    g_assert_cmpint(c.protocol, ==, mode == 1 ? AFMP_IPPROTO_MPTCP : IPPROTO_TCP);
    mp_world_free(f.w);
}

/* ---- (f) and misuse: one process, the calls and their errno ---- */

struct misuse {
    int step;
    int fails;
};

#define EXPECT_ERR(call, err)                                                                      \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int rc_ = (int)(call);                                                                     \
        if (rc_ != -1 || errno != (err)) {                                                         \
            g_test_message("line %d: %s gave %d errno %s, expected %s", __LINE__, #call, rc_,      \
                           g_strerror(errno), g_strerror(err));                                    \
            m->fails++;                                                                            \
        }                                                                                          \
    } while (0)

static int misuse_main(int argc, char **argv)
{
    struct misuse *m = shared_of(argv);
    struct sockaddr_mp_storage ss;
    socklen_t len;
    int one = 1;
    EXPECT_ERR(afmp_socket(AF_MULTIPATH, SOCK_DGRAM, 0), EPROTONOSUPPORT);
    EXPECT_ERR(afmp_socket(AF_MULTIPATH, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
    int fd = afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 3);
    int v = 0;
    socklen_t il = sizeof(v);
    g_assert_cmpint(afmp_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &il), ==, 0);
    g_assert_cmpint(v, ==, AF_MULTIPATH);
    /* Before a connection. */
    EXPECT_ERR(afmp_getpeername(fd, (struct sockaddr *)&ss, &len), ENOTCONN);
    len = sizeof(ss);
    g_assert_cmpint(afmp_getsockname(fd, (struct sockaddr *)&ss, &len), ==, 0);
    char t[128];
    mp_text(&ss, len, t, sizeof(t));
    g_assert_cmpstr(t, ==, "0.0.0.0:0");
    il = sizeof(v);
    EXPECT_ERR(afmp_getsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_CONNID, &v, &il), ENOTCONN);
    /* Malformed containers and addresses. */
    len = mp_addr("10.0.1.2:0", &ss);
    ((struct sockaddr_mp *)&ss)->smp_count = 2;
    EXPECT_ERR(afmp_bind(fd, (struct sockaddr *)&ss, len), EINVAL);
    EXPECT_ERR(afmp_bind(fd, (struct sockaddr *)&ss, 1), EINVAL);
    struct sockaddr un = {.sa_family = AF_UNIX};
    EXPECT_ERR(afmp_connect(fd, &un, sizeof(un)), EAFNOSUPPORT);
    len = mp_addr("10.9.9.9:0", &ss);
    EXPECT_ERR(afmp_bind(fd, (struct sockaddr *)&ss, len), EADDRNOTAVAIL);
    len = mp_addr("10.0.1.2:1000,10.0.2.2:2000", &ss);
    EXPECT_ERR(afmp_bind(fd, (struct sockaddr *)&ss, len), EINVAL);
    len = mp_addr("10.0.1.2:1,10.0.1.2:2,10.0.1.2:3,10.0.1.2:4,10.0.1.2:5,10.0.1.2:6,"
                  "10.0.1.2:7,10.0.1.2:8,10.0.1.2:9",
                  &ss);
    EXPECT_ERR(afmp_connect(fd, (struct sockaddr *)&ss, len), ENOBUFS);
    EXPECT_ERR(afmp_connect(99, (struct sockaddr *)&ss, len), EBADF);
    /* A listener. */
    int l = afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0);
    len = mp_addr("10.0.1.2:6000,[2001:db8:2::2]:6000", &ss);
    g_assert_cmpint(afmp_bind(l, (struct sockaddr *)&ss, len), ==, 0);
    g_assert_cmpint(afmp_listen(l, 4), ==, 0);
    len = sizeof(ss);
    g_assert_cmpint(afmp_getsockname(l, (struct sockaddr *)&ss, &len), ==, 0);
    mp_text(&ss, len, t, sizeof(t));
    g_assert_cmpstr(t, ==, "10.0.1.2:6000,[2001:db8:2::2]:6000");
    len = mp_addr("10.0.10.2:5001", &ss);
    EXPECT_ERR(afmp_connect(l, (struct sockaddr *)&ss, len), EISCONN);
    /* Another socket on the port of the listener's addresses. */
    int d = afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0);
    len = mp_addr("10.0.1.2:6000", &ss);
    EXPECT_ERR(afmp_bind(d, (struct sockaddr *)&ss, len), EADDRINUSE);
    afmp_close(d);
    afmp_close(l);
    /* Plain TCP: the MPTCP options are not there. */
    int tcp = afmp_socket(AF_INET, SOCK_STREAM, 0);
    struct afmp_mptcp_info mi;
    il = sizeof(mi);
    EXPECT_ERR(afmp_getsockopt(tcp, SOL_MPTCP, AFMP_MPTCP_INFO, &mi, &il), EOPNOTSUPP);
    struct afmp_mptcp_subflow_data hd = {.size_subflow_data = sizeof(hd),
                                         .size_user = sizeof(struct afmp_tcp_info)};
    il = sizeof(hd);
    EXPECT_ERR(afmp_getsockopt(tcp, SOL_MPTCP, AFMP_MPTCP_TCPINFO, &hd, &il), EOPNOTSUPP);
    hd.num_subflows = 1; /* must be 0 */
    EXPECT_ERR(afmp_getsockopt(tcp, SOL_MPTCP, AFMP_MPTCP_SUBFLOW_ADDRS, &hd, &il), EINVAL);
    il = sizeof(hd) - 1;
    EXPECT_ERR(afmp_getsockopt(tcp, SOL_MPTCP, AFMP_MPTCP_SUBFLOW_ADDRS, &hd, &il), EINVAL);
    il = sizeof(v);
    EXPECT_ERR(afmp_getsockopt(tcp, IPPROTO_TCP, TCP_MULTIPATH_CONNID, &v, &il), EOPNOTSUPP);
    len = mp_addr("10.0.1.2:0", &ss);
    EXPECT_ERR(afmp_setsockopt(tcp, IPPROTO_TCP, TCP_MULTIPATH_ADD, &ss, len), EOPNOTSUPP);
    /* Refused: the server has no listener; ENABLE after connect. */
    len = mp_addr("10.0.10.2:7000,10.0.20.2:7000", &ss);
    EXPECT_ERR(afmp_connect(fd, (struct sockaddr *)&ss, len), ECONNREFUSED);
    EXPECT_ERR(afmp_setsockopt(tcp, IPPROTO_TCP, TCP_MULTIPATH_ENABLE, &one, 2), EINVAL);
    afmp_close(tcp);
    afmp_close(fd);
    EXPECT_ERR(afmp_close(fd), EBADF);
    m->step = 1;
    return 0;
}

static void test_misuse(void)
{
    struct fx f;
    fx_init(&f);
    struct misuse m = {0};
    spawn(f.client, "misuse", 0, misuse_main, &m);
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(m.step, ==, 1);
    g_assert_cmpint(m.fails, ==, 0);
    mp_world_free(f.w);
}

/* After connect: EISCONN for TCP_MULTIPATH_ENABLE; EINVAL to remove the
 * address of the only subflow; EPIPE after the peer reset the connection. */
static int after_main(int argc, char **argv)
{
    struct misuse *m = shared_of(argv);
    struct sockaddr_mp_storage ss;
    int one = 1;
    int fd = afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0);
    socklen_t len = mp_addr("10.0.10.2:5001", &ss);
    g_assert_cmpint(afmp_connect(fd, (struct sockaddr *)&ss, len), ==, 0);
    EXPECT_ERR(afmp_connect(fd, (struct sockaddr *)&ss, 1), EINVAL);
    EXPECT_ERR(afmp_setsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_ENABLE, &one, sizeof(one)), EISCONN);
    len = mp_addr("10.0.1.2", &ss);
    EXPECT_ERR(afmp_setsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_REMOVE, &ss, len), EINVAL);
    len = mp_addr("10.0.2.2", &ss);
    EXPECT_ERR(afmp_setsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_REMOVE, &ss, len), EADDRNOTAVAIL);
    /* The server closes at 2 s without reading what we send: its RST
     * ends the connection, and a send after it fails. */
    char b[1000] = {0};
    ssize_t n = 0;
    for (int i = 0; i < 200 && n >= 0; i++) {
        n = afmp_send(fd, b, sizeof(b), 0);
        afmp_usleep(50000);
    }
    if (n >= 0 || (errno != EPIPE && errno != ECONNRESET)) {
        g_test_message("send after reset: %zd %s", n, g_strerror(errno));
        m->fails++;
    }
    afmp_close(fd);
    m->step = 1;
    return 0;
}

static int closer_main(int argc, char **argv)
{
    (void)argv;
    int l = afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0);
    struct sockaddr_mp_storage ss;
    socklen_t len = mp_addr("0.0.0.0:5001", &ss);
    g_assert_cmpint(afmp_bind(l, (struct sockaddr *)&ss, len), ==, 0);
    g_assert_cmpint(afmp_listen(l, 4), ==, 0);
    int fd = afmp_accept(l, NULL, NULL);
    g_assert_cmpint(fd, >=, 3);
    afmp_sleep(2);
    /* Data unread: close() resets. */
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

static void test_after_connect(void)
{
    struct fx f;
    fx_init(&f);
    struct misuse m = {0};
    spawn(f.server, "closer", 0, closer_main, NULL);
    spawn(f.client, "after", MP_MS(10), after_main, &m);
    mp_world_run(f.w, MP_S(30));
    g_assert_cmpint(m.step, ==, 1);
    g_assert_cmpint(m.fails, ==, 0);
    mp_world_free(f.w);
}

/* (f) a stack without AF_MULTIPATH: socket() and the lookup fail so that
 * the program retries with AF_INET; MPTCP off: ENOPROTOOPT. */
static int legacy_main(int argc, char **argv)
{
    struct misuse *m = shared_of(argv);
    EXPECT_ERR(afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0), EAFNOSUPPORT);
    struct addrinfo hints = {.ai_family = AF_MULTIPATH, .ai_socktype = SOCK_STREAM}, *res;
    int rc = afmp_getaddrinfo("10.0.10.2", "5001", &hints, &res);
    if (rc != EAI_FAMILY) {
        g_test_message("getaddrinfo AF_MULTIPATH on legacy: %d", rc);
        m->fails++;
    }
    hints.ai_family = AF_INET;
    g_assert_cmpint(afmp_getaddrinfo("10.0.10.2", "5001", &hints, &res), ==, 0);
    int fd = afmp_socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(afmp_connect(fd, res->ai_addr, res->ai_addrlen), ==, 0);
    afmp_freeaddrinfo(res);
    afmp_close(fd);
    m->step = 1;
    return 0;
}

static int nomptcp_main(int argc, char **argv)
{
    struct misuse *m = shared_of(argv);
    EXPECT_ERR(afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0), ENOPROTOOPT);
    m->step = 1;
    return 0;
}

static void test_legacy(void)
{
    struct fx f;
    fx_init(&f);
    struct afmp_stack_conf sc = {.multipath = false};
    afmp_stack_configure(mp_node_host(f.client), &sc);
    struct mp_mptcp_config off;
    mp_mptcp_config_default(&off);
    off.enabled = false;
    g_assert_cmpint(mp_node_set_mptcp(f.other, &off), ==, 0);
    struct misuse m = {0}, m2 = {0};
    struct srv s = {.expect = 0};
    spawn(f.server, "server", 0, server_main, &s);
    spawn(f.client, "legacy", MP_MS(10), legacy_main, &m);
    spawn(f.other, "nomptcp", MP_MS(10), nomptcp_main, &m2);
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(m.step, ==, 1);
    g_assert_cmpint(m.fails, ==, 0);
    g_assert_cmpint(m2.step, ==, 1);
    g_assert_cmpint(m2.fails, ==, 0);
    mp_world_free(f.w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/multipath/connect/container", test_connect_container);
    g_test_add_data_func("/multipath/other-host/no-listener", GINT_TO_POINTER(0), test_other_host);
    g_test_add_data_func("/multipath/other-host/mptcp-listener", GINT_TO_POINTER(1),
                         test_other_host);
    g_test_add_func("/multipath/race/dead-ipv6", test_race);
    g_test_add_data_func("/multipath/race/all-refused", GINT_TO_POINTER(1), test_race_fail);
    g_test_add_data_func("/multipath/race/all-dead", GINT_TO_POINTER(0), test_race_fail);
    g_test_add_func("/multipath/again/connect-bind-remove", test_add_again);
    g_test_add_data_func("/multipath/inet/plain", GINT_TO_POINTER(0), test_inet);
    g_test_add_data_func("/multipath/inet/mptcpize", GINT_TO_POINTER(1), test_inet);
    g_test_add_data_func("/multipath/inet/enable-option", GINT_TO_POINTER(2), test_inet);
    g_test_add_func("/multipath/misuse/before", test_misuse);
    g_test_add_func("/multipath/misuse/after-connect", test_after_connect);
    g_test_add_func("/multipath/legacy-stack", test_legacy);
    return g_test_run();
}
