/*
 * Stream sockets through the afmp_* API (afmp/socket.c over model/tcp):
 * two hosts a -- b (10 Mbit/s, 5 ms each way, dual stack) with processes
 * that echo, transfer bulk data through loss, fail to connect in each way
 * Linux reports, poll, shut down, misuse sockets and get killed while
 * blocked. Processes report into a struct shared through argv[1].
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/tcp.h>
#include <string.h>

#include "afmp/afmp.h"
#include "fixture.h"
#include "model/net/counters.h"
#include "model/tcp/tcp_int.h"
#include "sim/net/fault.h"
#include "sim/net/world.h"

#define RTT MP_MS(10)

struct fx {
    struct mp_world *w;
    struct mp_node *a, *b;
    struct mp_link *l;
};

static void fx_init(struct fx *f, uint32_t loss_ppm)
{
    struct mp_world_conf wc = {.seed = 7};
    struct mp_link_conf lc;
    f->w = mp_world_new(&wc);
    f->a = mp_world_add_node(f->w, "a", NULL, false);
    f->b = mp_world_add_node(f->w, "b", NULL, false);
    uint32_t ia = mp_node_add_iface(f->a, "eth0", 1500);
    uint32_t ib = mp_node_add_iface(f->b, "eth0", 1500);
    fx_addr(f->a, ia, "10.0.0.1/24");
    fx_addr(f->a, ia, "2001:db8::1/64");
    fx_addr(f->b, ib, "10.0.0.2/24");
    fx_addr(f->b, ib, "2001:db8::2/64");
    fx_link_conf(&lc, "l", 10000000, MP_MS(5));
    f->l = mp_world_connect(f->w, f->a, ia, f->b, ib, &lc, NULL);
    g_assert_nonnull(f->l);
    if (loss_ppm) {
        mp_link_add_fault(f->l, 0, mp_fault_loss_new_ppm(loss_ppm));
        mp_link_add_fault(f->l, 1, mp_fault_loss_new_ppm(loss_ppm));
    }
    mp_world_compute_routes(f->w);
}

static struct mp_proc *spawn(struct mp_node *n, const char *name, mp_time_t at,
                             int (*fn)(int, char **), void *shared, const char *arg)
{
    char p[32];
    g_snprintf(p, sizeof(p), "%p", shared);
    char *argv[] = {(char *)name, p, (char *)(arg ? arg : ""), NULL};
    struct mp_proc *pr = mp_proc_spawn(mp_node_procs(n), name, at, fn, 3, argv, 0);
    g_assert_nonnull(pr);
    return pr;
}

static void *shared_of(char **argv)
{
    void *p = NULL;
    sscanf(argv[1], "%p", &p);
    return p;
}

static socklen_t sa_make(const char *ip, int port, struct sockaddr_storage *ss)
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

static int fam_of(const char *ip)
{
    return strchr(ip, ':') ? AF_INET6 : AF_INET;
}

/* A listening socket on |ip|:|port| (asserts). */
static int listener(const char *ip, int port, int backlog)
{
    struct sockaddr_storage ss;
    socklen_t len = sa_make(ip, port, &ss);
    int fd = afmp_socket(fam_of(ip), SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 3);
    int one = 1;
    g_assert_cmpint(afmp_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), ==, 0);
    g_assert_cmpint(afmp_bind(fd, (struct sockaddr *)&ss, len), ==, 0);
    g_assert_cmpint(afmp_listen(fd, backlog), ==, 0);
    return fd;
}

/* connect() to |ip|:|port|; returns the fd or -errno. */
static int dial(const char *ip, int port, int type)
{
    struct sockaddr_storage ss;
    socklen_t len = sa_make(ip, port, &ss);
    int fd = afmp_socket(fam_of(ip), type, 0);
    g_assert_cmpint(fd, >=, 3);
    if (afmp_connect(fd, (struct sockaddr *)&ss, len) < 0) {
        int e = errno;
        afmp_close(fd);
        return -e;
    }
    return fd;
}

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)((i * 2654435761u) >> 13);
}

/* ---- echo, v4 and v6 ---- */

struct echo {
    const char *srv;
    size_t size;
    bool intact;
    size_t echoed;
    char peer[64];
    uint16_t cport, seen_cport;
    mp_time_t done;
};

static int echo_server(int argc, char **argv)
{
    struct echo *e = shared_of(argv);
    int l = listener(e->srv, 7, 8);
    struct sockaddr_storage from;
    socklen_t flen = sizeof(from);
    int fd = afmp_accept(l, (struct sockaddr *)&from, &flen);
    g_assert_cmpint(fd, >=, 3);
    g_assert_cmpint(from.ss_family, ==, fam_of(e->srv));
    e->seen_cport = ntohs(((struct sockaddr_in *)&from)->sin_port); /* same offset in v6 */
    char buf[3000];
    ssize_t n;
    while ((n = afmp_read(fd, buf, sizeof(buf))) > 0)
        g_assert_cmpint(afmp_write(fd, buf, (size_t)n), ==, n);
    g_assert_cmpint(n, ==, 0);
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

static int echo_client(int argc, char **argv)
{
    struct echo *e = shared_of(argv);
    int fd = dial(e->srv, 7, SOCK_STREAM);
    g_assert_cmpint(fd, >=, 3);
    struct sockaddr_storage me, peer;
    socklen_t ml = sizeof(me), pl = sizeof(peer);
    g_assert_cmpint(afmp_getsockname(fd, (struct sockaddr *)&me, &ml), ==, 0);
    g_assert_cmpint(afmp_getpeername(fd, (struct sockaddr *)&peer, &pl), ==, 0);
    e->cport = ntohs(((struct sockaddr_in *)&me)->sin_port);
    if (peer.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, e->peer, sizeof(e->peer));
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, e->peer, sizeof(e->peer));
    uint8_t *out = g_malloc(e->size), *in = g_malloc0(e->size);
    for (size_t i = 0; i < e->size; i++)
        out[i] = pattern(i);
    /* A blocking send queues everything, however large. */
    g_assert_cmpint(afmp_send(fd, out, e->size, 0), ==, (ssize_t)e->size);
    g_assert_cmpint(afmp_shutdown(fd, SHUT_WR), ==, 0);
    size_t got = 0;
    ssize_t n;
    while ((n = afmp_recv(fd, in + got, e->size - got + 1, 0)) > 0)
        got += (size_t)n;
    g_assert_cmpint(n, ==, 0);
    e->echoed = got;
    e->intact = got == e->size && memcmp(in, out, e->size) == 0;
    e->done = afmp_now_ns();
    g_free(out);
    g_free(in);
    afmp_close(fd);
    return 0;
}

static void test_echo(gconstpointer data)
{
    const char *srv = data;
    struct fx f;
    fx_init(&f, 0);
    struct echo e = {.srv = srv, .size = 300000};
    spawn(f.b, "server", 0, echo_server, &e, NULL);
    spawn(f.a, "client", MP_MS(1), echo_client, &e, NULL);
    mp_world_run(f.w, MP_S(100));
    g_assert_cmpuint(e.echoed, ==, e.size);
    g_assert_true(e.intact);
    g_assert_cmpstr(e.peer, ==, srv);
    /* An ephemeral port from Linux's range, the one the server saw. */
    g_assert_cmpuint(e.cport, >=, 32768);
    g_assert_cmpuint(e.cport, <, 61000);
    g_assert_cmpuint(e.cport, ==, e.seen_cport);
    /* 600 kB both ways over 10 Mbit/s: about half a second of wire time. */
    g_assert_cmpuint(e.done, <, MP_S(3));
    mp_world_free(f.w);
}

/* ---- bulk through a lossy link ---- */

struct bulk {
    uint64_t total, rcvd;
    bool bad, eof;
    mp_time_t done;
};

static int bulk_sink(int argc, char **argv)
{
    struct bulk *b = shared_of(argv);
    int l = listener("0.0.0.0", 5001, 4);
    int fd = afmp_accept(l, NULL, NULL);
    g_assert_cmpint(fd, >=, 3);
    uint8_t buf[8192];
    ssize_t n;
    while ((n = afmp_recv(fd, buf, sizeof(buf), 0)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pattern(b->rcvd + (uint64_t)i))
                b->bad = true;
        b->rcvd += (uint64_t)n;
    }
    b->eof = n == 0;
    b->done = afmp_now_ns();
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

static int bulk_send(int argc, char **argv)
{
    struct bulk *b = shared_of(argv);
    int fd = dial("10.0.0.2", 5001, SOCK_STREAM);
    g_assert_cmpint(fd, >=, 3);
    uint8_t buf[65536];
    for (uint64_t off = 0; off < b->total; off += sizeof(buf)) {
        size_t k = (size_t)MIN((uint64_t)sizeof(buf), b->total - off);
        for (size_t i = 0; i < k; i++)
            buf[i] = pattern(off + i);
        g_assert_cmpint(afmp_send(fd, buf, k, 0), ==, (ssize_t)k);
    }
    /* Ends with open socket: the exit closes it gracefully (FIN after
     * the queued data). */
    return 0;
}

static void test_bulk_lossy(void)
{
    struct fx f;
    fx_init(&f, 10000); /* 1% each way */
    struct bulk b = {.total = 4u << 20};
    spawn(f.b, "sink", 0, bulk_sink, &b, NULL);
    spawn(f.a, "send", MP_MS(1), bulk_send, &b, NULL);
    mp_world_run(f.w, MP_S(300));
    g_assert_false(b.bad);
    g_assert_cmpuint(b.rcvd, ==, b.total);
    g_assert_true(b.eof);
    g_assert_cmpuint(mp_node_host(f.a)->ctr.v[MP_CTR_TCP_RETRANS_SEGS], >, 0);
    g_test_message("4 MiB through 1%% loss: done at %" G_GUINT64_FORMAT " ms", b.done / MP_MS(1));
    mp_world_free(f.w);
}

/* ---- afmp_send_fill: generated bytes, mixed with copied ones ---- */

static void gen_pattern(void *arg, uint64_t off, uint8_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = pattern(off + i);
}

static void gen_other(void *arg, uint64_t off, uint8_t *dst, size_t n)
{
    memset(dst, 0, n);
}

/* Writes the stream in pieces of odd sizes, alternately copied (send) and
 * generated (send_fill), so that virtual and stored bytes share send
 * buffer blocks both ways round; blocking calls take every byte. */
static int fill_send(int argc, char **argv)
{
    struct bulk *b = shared_of(argv);
    int fd = dial("10.0.0.2", 5001, SOCK_STREAM);
    g_assert_cmpint(fd, >=, 3);
    static const size_t piece[] = {7000, 50001, 1, 16387, 100000, 3, 40000};
    uint8_t *buf = g_malloc(100000);
    uint64_t off = 0;
    for (unsigned i = 0; off < b->total; i++) {
        size_t k = (size_t)MIN((uint64_t)piece[i % G_N_ELEMENTS(piece)], b->total - off);
        if (i % 2) {
            g_assert_cmpint(afmp_send_fill(fd, k, 0, gen_pattern, b), ==, (ssize_t)k);
        } else {
            for (size_t j = 0; j < k; j++)
                buf[j] = pattern(off + j);
            g_assert_cmpint(afmp_send(fd, buf, k, 0), ==, (ssize_t)k);
        }
        off += k;
    }
    /* One generator per socket; nothing is taken on refusal. */
    g_assert_cmpint(afmp_send_fill(fd, 10, 0, gen_other, b), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(afmp_send_fill(fd, 10, 0, gen_pattern, NULL), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(afmp_send_fill(fd, 10, 0, NULL, NULL), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_free(buf);
    return 0;
}

static void test_send_fill(void)
{
    struct fx f;
    fx_init(&f, 10000); /* 1% each way: generated bytes are sent again */
    struct bulk b = {.total = 3u << 20};
    spawn(f.b, "sink", 0, bulk_sink, &b, NULL);
    spawn(f.a, "send", MP_MS(1), fill_send, &b, NULL);
    mp_world_run(f.w, MP_S(300));
    g_assert_false(b.bad);
    g_assert_cmpuint(b.rcvd, ==, b.total);
    g_assert_true(b.eof);
    g_assert_cmpuint(mp_node_host(f.a)->ctr.v[MP_CTR_TCP_RETRANS_SEGS], >, 0);
    mp_world_free(f.w);
}

static int fill_misuse(int argc, char **argv)
{
    int *ok = shared_of(argv);
    int u = afmp_socket(AF_INET, SOCK_DGRAM, 0);
    g_assert_cmpint(afmp_send_fill(u, 10, 0, gen_pattern, NULL), ==, -1);
    g_assert_cmpint(errno, ==, EOPNOTSUPP);
    g_assert_cmpint(afmp_send_fill(99, 10, 0, gen_pattern, NULL), ==, -1);
    g_assert_cmpint(errno, ==, EBADF);
    int t = afmp_socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(afmp_send_fill(t, 10, 0, gen_pattern, NULL), ==, -1);
    g_assert_cmpint(errno, ==, EPIPE); /* not connected, as send() */
    afmp_close(u);
    afmp_close(t);
    *ok = 1;
    return 0;
}

static void test_send_fill_misuse(void)
{
    struct fx f;
    fx_init(&f, 0);
    int ok = 0;
    spawn(f.a, "misuse", 0, fill_misuse, &ok, NULL);
    mp_world_run(f.w, MP_S(1));
    g_assert_cmpint(ok, ==, 1);
    mp_world_free(f.w);
}

/* ---- connect failures ---- */

struct conn_res {
    int rc;
    mp_time_t t0, t1;
    const char *dst;
};

static int connect_once(int argc, char **argv)
{
    struct conn_res *r = shared_of(argv);
    r->t0 = afmp_now_ns();
    r->rc = dial(r->dst, atoi(argv[2]), SOCK_STREAM);
    r->t1 = afmp_now_ns();
    if (r->rc >= 0)
        afmp_close(r->rc);
    return 0;
}

static void test_refused(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct conn_res r = {.dst = "10.0.0.2"};
    spawn(f.a, "c", MP_MS(1), connect_once, &r, "81");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(r.rc, ==, -ECONNREFUSED);
    /* One round trip: SYN out, RST back. */
    g_assert_cmpuint(r.t1 - r.t0, >=, RTT);
    g_assert_cmpuint(r.t1 - r.t0, <, RTT + MP_MS(1));
    mp_world_free(f.w);
}

static void test_timeout(void)
{
    struct fx f;
    fx_init(&f, 0);
    /* Nobody has 10.0.0.99: the SYNs go unanswered. The host's ICMP errors
     * do not reach TCP (no error handler), and none come back here anyway:
     * Linux too reports ETIMEDOUT then. */
    struct conn_res r = {.dst = "10.0.0.99"};
    spawn(f.a, "c", MP_MS(1), connect_once, &r, "80");
    mp_world_run(f.w, MP_S(300));
    g_assert_cmpint(r.rc, ==, -ETIMEDOUT);
    /* tcp_syn_retries = 6 with a 1 s initial RTO doubling each time: SYNs
     * at 0, 1, 3, 7, 15, 31, 63 s and the end at 127 s. */
    g_assert_cmpuint(r.t1 - r.t0, ==, MP_S(127));
    g_assert_cmpuint(mp_node_host(f.a)->ctr.v[MP_CTR_TCP_TIMEOUTS], ==, 6);
    mp_world_free(f.w);
}

static void test_unreachable(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct conn_res r = {.dst = "192.0.2.1"}; /* no route, no default */
    spawn(f.a, "c", MP_MS(1), connect_once, &r, "80");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(r.rc, ==, -ENETUNREACH);
    g_assert_cmpuint(r.t1, ==, r.t0);
    mp_world_free(f.w);
}

/* ---- non-blocking connect ---- */

struct nb {
    int inprog, already, again, isconn, soerr, soerr2, pollrc, refused_err;
    short revents, refused_revents;
    mp_time_t t_conn;
};

static int nb_client(int argc, char **argv)
{
    struct nb *r = shared_of(argv);
    struct sockaddr_storage ss;
    socklen_t len = sa_make("10.0.0.2", 7, &ss);
    int fd = afmp_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    mp_time_t t0 = afmp_now_ns();
    r->inprog = afmp_connect(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
    r->already = afmp_connect(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    r->pollrc = afmp_poll(&p, 1, 5000);
    r->revents = p.revents;
    r->t_conn = afmp_now_ns() - t0;
    int e = -1;
    socklen_t el = sizeof(e);
    afmp_getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
    r->soerr = e;
    /* Linux: the next connect() reports the outcome (0), then EISCONN. */
    r->again = afmp_connect(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
    r->isconn = afmp_connect(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
    afmp_close(fd);

    /* Refused: POLLOUT with POLLERR and POLLHUP, SO_ERROR once. */
    len = sa_make("10.0.0.2", 8, &ss);
    fd = afmp_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    g_assert_cmpint(afmp_connect(fd, (struct sockaddr *)&ss, len), ==, -1);
    p.fd = fd;
    p.events = POLLIN | POLLOUT;
    g_assert_cmpint(afmp_poll(&p, 1, 5000), ==, 1);
    r->refused_revents = p.revents;
    afmp_getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
    r->refused_err = e;
    afmp_getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
    r->soerr2 = e;
    afmp_close(fd);
    return 0;
}

static int accept_one(int argc, char **argv)
{
    int l = listener("10.0.0.2", 7, 8);
    int fd = afmp_accept(l, NULL, NULL);
    g_assert_cmpint(fd, >=, 3);
    char c;
    afmp_recv(fd, &c, 1, 0);
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

static void test_nonblocking_connect(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct nb r;
    memset(&r, 0, sizeof(r));
    spawn(f.b, "srv", 0, accept_one, &r, NULL);
    spawn(f.a, "c", MP_MS(1), nb_client, &r, NULL);
    mp_world_run(f.w, MP_S(20));
    g_assert_cmpint(r.inprog, ==, EINPROGRESS);
    g_assert_cmpint(r.already, ==, EALREADY);
    g_assert_cmpint(r.pollrc, ==, 1);
    g_assert_cmpint(r.revents, ==, POLLOUT);
    g_assert_cmpuint(r.t_conn, >=, RTT);
    g_assert_cmpuint(r.t_conn, <, RTT + MP_MS(1));
    g_assert_cmpint(r.soerr, ==, 0);
    g_assert_cmpint(r.again, ==, 0);
    g_assert_cmpint(r.isconn, ==, EISCONN);
    g_assert_cmpint(r.refused_revents, ==, POLLIN | POLLOUT | POLLERR | POLLHUP);
    g_assert_cmpint(r.refused_err, ==, ECONNREFUSED);
    g_assert_cmpint(r.soerr2, ==, 0);
    mp_world_free(f.w);
}

/* ---- accept backlog ---- */

struct backlog {
    mp_time_t connected[3];
    int eagain;
    int accepted;
};

static int bl_server(int argc, char **argv)
{
    struct backlog *b = shared_of(argv);
    int l = listener("10.0.0.2", 9, 1); /* Linux holds backlog + 1 */
    int fl = afmp_fcntl(l, F_GETFL, 0);
    afmp_fcntl(l, F_SETFL, fl | O_NONBLOCK);
    b->eagain = afmp_accept(l, NULL, NULL) < 0 ? errno : 0;
    afmp_fcntl(l, F_SETFL, fl);
    afmp_sleep(2);
    afmp_usleep(500000);
    for (int i = 0; i < 3; i++) {
        int fd = afmp_accept(l, NULL, NULL);
        g_assert_cmpint(fd, >=, 3);
        b->accepted++;
        afmp_close(fd);
    }
    afmp_close(l);
    return 0;
}

static int bl_client(int argc, char **argv)
{
    struct backlog *b = shared_of(argv);
    int i = atoi(argv[2]);
    int fd = dial("10.0.0.2", 9, SOCK_STREAM);
    g_assert_cmpint(fd, >=, 3);
    b->connected[i] = afmp_now_ns();
    afmp_close(fd);
    return 0;
}

static void test_backlog(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct backlog b;
    memset(&b, 0, sizeof(b));
    spawn(f.b, "srv", 0, bl_server, &b, NULL);
    spawn(f.a, "c0", MP_MS(1), bl_client, &b, "0");
    spawn(f.a, "c1", MP_MS(2), bl_client, &b, "1");
    spawn(f.a, "c2", MP_MS(3), bl_client, &b, "2");
    mp_world_run(f.w, MP_S(30));
    g_assert_cmpint(b.eagain, ==, EAGAIN);
    g_assert_cmpint(b.accepted, ==, 3);
    g_assert_cmpuint(b.connected[0], <, MP_MS(15));
    g_assert_cmpuint(b.connected[1], <, MP_MS(15));
    /* The third SYN is dropped (queue full) at 3 ms and at its first
     * retransmission (1.003 s); the second one (3.003 s) finds room since
     * the accepts at 2.5 s. */
    g_assert_cmpuint(b.connected[2], >=, MP_MS(3003) + RTT);
    g_assert_cmpuint(b.connected[2], <, MP_MS(3004) + RTT);
    g_assert_cmpuint(mp_node_host(f.b)->ctr.v[MP_CTR_TCP_LISTEN_OVERFLOWS], ==, 2);
    mp_world_free(f.w);
}

/* ---- EPIPE, shutdown ---- */

struct pipe_res {
    ssize_t eof, first, second, third;
    int e2, e3;
    char got[16];
    ssize_t srv_n1, srv_n2, cli_n1, cli_n2;
    int shut_bad, shut_unconn;
};

static int close_at_once(int argc, char **argv)
{
    int l = listener("10.0.0.2", 7, 8);
    int fd = afmp_accept(l, NULL, NULL);
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

static int pipe_client(int argc, char **argv)
{
    struct pipe_res *r = shared_of(argv);
    int fd = dial("10.0.0.2", 7, SOCK_STREAM);
    g_assert_cmpint(fd, >=, 3);
    char buf[1000] = {0};
    r->eof = afmp_recv(fd, buf, sizeof(buf), 0); /* the peer's FIN */
    /* Half-closed from the other side: the data still goes, and the
     * closed peer answers with a RST. */
    r->first = afmp_send(fd, buf, sizeof(buf), 0);
    afmp_usleep(100000);
    r->second = afmp_send(fd, buf, sizeof(buf), 0);
    r->e2 = errno;
    r->third = afmp_send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
    r->e3 = errno;
    afmp_close(fd);
    return 0;
}

static void test_epipe(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct pipe_res r;
    memset(&r, 0, sizeof(r));
    spawn(f.b, "srv", 0, close_at_once, &r, NULL);
    spawn(f.a, "c", MP_MS(1), pipe_client, &r, NULL);
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(r.eof, ==, 0);
    g_assert_cmpint(r.first, ==, 1000);
    /* The closed peer resets the connection on the data (TCPAbortOnData). */
    g_assert_cmpuint(mp_node_host(f.b)->ctr.v[MP_CTR_TCP_ABORT_ON_DATA], ==, 1);
    /* Linux: a RST in CLOSE_WAIT is EPIPE, reported once; then EPIPE for
     * the shutdown. */
    g_assert_cmpint(r.second, ==, -1);
    g_assert_cmpint(r.e2, ==, EPIPE);
    g_assert_cmpint(r.third, ==, -1);
    g_assert_cmpint(r.e3, ==, EPIPE);
    mp_world_free(f.w);
}

/* The peer closes with our byte unread: it resets at once (RFC 9293
 * 3.10.4, Linux tcp_close), so we see ECONNRESET once, then EPIPE, and
 * recv reports the end of the stream. */
static int close_unread(int argc, char **argv)
{
    int l = listener("10.0.0.2", 7, 8);
    int fd = afmp_accept(l, NULL, NULL);
    afmp_usleep(50000);
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

static int reset_client(int argc, char **argv)
{
    struct pipe_res *r = shared_of(argv);
    int fd = dial("10.0.0.2", 7, SOCK_STREAM);
    g_assert_cmpint(fd, >=, 3);
    g_assert_cmpint(afmp_send(fd, "x", 1, 0), ==, 1);
    afmp_usleep(100000);
    r->first = afmp_send(fd, "y", 1, 0);
    r->e2 = errno;
    r->second = afmp_send(fd, "y", 1, 0);
    r->e3 = errno;
    char c;
    r->eof = afmp_recv(fd, &c, 1, 0);
    afmp_close(fd);
    return 0;
}

static void test_epipe_reset(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct pipe_res r;
    memset(&r, 0, sizeof(r));
    spawn(f.b, "srv", 0, close_unread, &r, NULL);
    spawn(f.a, "c", MP_MS(1), reset_client, &r, NULL);
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(r.first, ==, -1);
    g_assert_cmpint(r.e2, ==, ECONNRESET);
    g_assert_cmpint(r.second, ==, -1);
    g_assert_cmpint(r.e3, ==, EPIPE);
    g_assert_cmpint(r.eof, ==, 0);
    g_assert_cmpuint(mp_node_host(f.b)->ctr.v[MP_CTR_TCP_ABORT_ON_CLOSE], ==, 1);
    mp_world_free(f.w);
}

static int shut_server(int argc, char **argv)
{
    struct pipe_res *r = shared_of(argv);
    int l = listener("10.0.0.2", 7, 8);
    int fd = afmp_accept(l, NULL, NULL);
    char buf[16] = {0};
    r->srv_n1 = afmp_recv(fd, buf, sizeof(buf), MSG_WAITALL);
    memcpy(r->got, buf, sizeof(r->got));
    r->srv_n2 = afmp_recv(fd, buf, sizeof(buf), 0);
    g_assert_cmpint(afmp_send(fd, "bye", 3, 0), ==, 3);
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

static int shut_client(int argc, char **argv)
{
    struct pipe_res *r = shared_of(argv);
    int u = afmp_socket(AF_INET, SOCK_STREAM, 0);
    r->shut_unconn = afmp_shutdown(u, SHUT_WR) < 0 ? errno : 0;
    afmp_close(u);
    int fd = dial("10.0.0.2", 7, SOCK_STREAM);
    r->shut_bad = afmp_shutdown(fd, 7) < 0 ? errno : 0;
    g_assert_cmpint(afmp_send(fd, "hello", 5, 0), ==, 5);
    g_assert_cmpint(afmp_shutdown(fd, SHUT_WR), ==, 0);
    char buf[16] = {0};
    r->cli_n1 = afmp_recv(fd, buf, sizeof(buf), 0);
    g_assert_cmpstr(buf, ==, "bye");
    r->cli_n2 = afmp_recv(fd, buf, sizeof(buf), 0);
    afmp_close(fd);
    return 0;
}

static void test_shutdown(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct pipe_res r;
    memset(&r, 0, sizeof(r));
    spawn(f.b, "srv", 0, shut_server, &r, NULL);
    spawn(f.a, "c", MP_MS(1), shut_client, &r, NULL);
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(r.shut_unconn, ==, ENOTCONN);
    g_assert_cmpint(r.shut_bad, ==, EINVAL);
    /* MSG_WAITALL stops at the end of the stream with what came. */
    g_assert_cmpint(r.srv_n1, ==, 5);
    g_assert_cmpstr(r.got, ==, "hello");
    g_assert_cmpint(r.srv_n2, ==, 0);
    g_assert_cmpint(r.cli_n1, ==, 3);
    g_assert_cmpint(r.cli_n2, ==, 0);
    mp_world_free(f.w);
}

/* ---- poll on several sockets ---- */

struct pollres {
    int served;
    int order[4];
    mp_time_t at[4];
};

static int poll_server(int argc, char **argv)
{
    struct pollres *r = shared_of(argv);
    struct pollfd p[6];
    int n = 2;
    p[0] = (struct pollfd){.fd = listener("10.0.0.2", 20, 8), .events = POLLIN};
    p[1] = (struct pollfd){.fd = listener("2001:db8::2", 21, 8), .events = POLLIN};
    while (r->served < 4) {
        int k = afmp_poll(p, (nfds_t)n, -1);
        g_assert_cmpint(k, >, 0);
        for (int i = 0; i < n; i++) {
            if (!p[i].revents)
                continue;
            if (i < 2) {
                g_assert_cmpint(p[i].revents, ==, POLLIN);
                int fd = afmp_accept(p[i].fd, NULL, NULL);
                g_assert_cmpint(fd, >=, 3);
                p[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
            } else {
                char c = 0;
                if (afmp_recv(p[i].fd, &c, 1, 0) == 1) {
                    r->order[r->served] = c;
                    r->at[r->served++] = afmp_now_ns();
                } else {
                    afmp_close(p[i].fd);
                    p[i].fd = -1; /* ignored from now on */
                }
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (p[i].fd >= 0)
            afmp_close(p[i].fd);
    return 0;
}

static int poll_client(int argc, char **argv)
{
    const char *a = argv[2];
    int fd = dial(a[0] == '6' ? "2001:db8::2" : "10.0.0.2", a[0] == '6' ? 21 : 20, SOCK_STREAM);
    g_assert_cmpint(fd, >=, 3);
    afmp_sleep((unsigned)(a[2] - '0'));
    g_assert_cmpint(afmp_send(fd, &a[1], 1, 0), ==, 1);
    afmp_sleep(10);
    afmp_close(fd);
    return 0;
}

static void test_poll_several(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct pollres r;
    memset(&r, 0, sizeof(r));
    spawn(f.b, "srv", 0, poll_server, &r, NULL);
    /* "<family><byte><delay s>" */
    spawn(f.a, "c1", MP_MS(1), poll_client, &r, "4A3");
    spawn(f.a, "c2", MP_MS(1), poll_client, &r, "6B1");
    spawn(f.a, "c3", MP_MS(1), poll_client, &r, "4C2");
    spawn(f.a, "c4", MP_MS(1), poll_client, &r, "6D4");
    mp_world_run(f.w, MP_S(30));
    g_assert_cmpint(r.served, ==, 4);
    g_assert_cmpint(r.order[0], ==, 'B');
    g_assert_cmpint(r.order[1], ==, 'C');
    g_assert_cmpint(r.order[2], ==, 'A');
    g_assert_cmpint(r.order[3], ==, 'D');
    for (int i = 0; i < 4; i++) {
        mp_time_t want = MP_MS(1) + RTT + MP_S((unsigned)i + 1) + MP_MS(5);
        g_assert_cmpuint(r.at[i], >=, want);
        g_assert_cmpuint(r.at[i], <, want + MP_MS(1));
    }
    mp_world_free(f.w);
}

/* ---- low-water mark ---- */

struct lowat {
    int sndbuf;
    size_t filled, after_poll;
    short revents;
};

static int slow_reader(int argc, char **argv)
{
    int l = listener("10.0.0.2", 7, 8);
    int fd = afmp_accept(l, NULL, NULL);
    afmp_sleep(1);
    char buf[4096];
    while (afmp_recv(fd, buf, sizeof(buf), 0) > 0)
        ;
    afmp_close(fd);
    afmp_close(l);
    return 0;
}

static int lowat_writer(int argc, char **argv)
{
    struct lowat *r = shared_of(argv);
    int fd = afmp_socket(AF_INET, SOCK_STREAM, 0);
    int v = 16384;
    g_assert_cmpint(afmp_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), ==, 0);
    socklen_t vl = sizeof(v);
    afmp_getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &vl);
    r->sndbuf = v;
    struct sockaddr_storage ss;
    socklen_t len = sa_make("10.0.0.2", 7, &ss);
    g_assert_cmpint(afmp_connect(fd, (struct sockaddr *)&ss, len), ==, 0);
    static const uint8_t zeros[4096];
    ssize_t n;
    while ((n = afmp_send(fd, zeros, sizeof(zeros), MSG_DONTWAIT)) > 0)
        r->filled += (size_t)n;
    g_assert_cmpint(errno, ==, EAGAIN);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    g_assert_cmpint(afmp_poll(&p, 1, -1), ==, 1);
    r->revents = p.revents;
    while ((n = afmp_send(fd, zeros, sizeof(zeros), MSG_DONTWAIT)) > 0)
        r->after_poll += (size_t)n;
    afmp_close(fd);
    return 0;
}

static void test_lowat(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct lowat r;
    memset(&r, 0, sizeof(r));
    spawn(f.b, "srv", 0, slow_reader, &r, NULL);
    spawn(f.a, "c", MP_MS(1), lowat_writer, &r, NULL);
    mp_world_run(f.w, MP_S(30));
    g_assert_cmpint(r.sndbuf, ==, 32768); /* doubled, as Linux */
    g_assert_cmpuint(r.filled, ==, 32768);
    g_assert_cmpint(r.revents, ==, POLLOUT);
    /* Woken once half the buffer is free, not at the first ACK. */
    g_assert_cmpuint(r.after_poll, >=, 16384);
    mp_world_free(f.w);
}

/* ---- killed while blocked ---- */

static int block_recv(int argc, char **argv)
{
    int fd = dial("10.0.0.2", 7, SOCK_STREAM);
    char c;
    afmp_recv(fd, &c, 1, 0);
    g_assert_not_reached();
    return 0;
}

static int block_accept(int argc, char **argv)
{
    int l = listener("10.0.0.1", 30, 8);
    afmp_accept(l, NULL, NULL);
    g_assert_not_reached();
    return 0;
}

static int block_connect(int argc, char **argv)
{
    dial("10.0.0.99", 80, SOCK_STREAM);
    g_assert_not_reached();
    return 0;
}

static int block_send(int argc, char **argv)
{
    int fd = dial("10.0.0.2", 8, SOCK_STREAM);
    static uint8_t big[8u << 20];
    afmp_send(fd, big, sizeof(big), 0);
    g_assert_not_reached();
    return 0;
}

struct kill_res {
    ssize_t eof7, eof8;
};

static int hold_open(int argc, char **argv)
{
    struct kill_res *r = shared_of(argv);
    int l7 = listener("10.0.0.2", 7, 8), l8 = listener("10.0.0.2", 8, 8);
    int a = afmp_accept(l7, NULL, NULL), b = afmp_accept(l8, NULL, NULL);
    char buf[1];
    /* Port 7's peer is killed in recv: a FIN (nothing unread). */
    r->eof7 = afmp_recv(a, buf, 1, 0);
    /* Port 8's peer is killed in send; we never read, so its queued data
     * is simply sent on, and we get a FIN at the end of it: read it all. */
    afmp_sleep(2);
    static char sink[65536];
    ssize_t n;
    while ((n = afmp_recv(b, sink, sizeof(sink), 0)) > 0)
        ;
    r->eof8 = n;
    afmp_close(a);
    afmp_close(b);
    afmp_close(l7);
    afmp_close(l8);
    return 0;
}

static void test_kill_blocked(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct kill_res r = {-5, -5};
    spawn(f.b, "srv", 0, hold_open, &r, NULL);
    struct mp_proc *p[4] = {
        spawn(f.a, "recv", MP_MS(1), block_recv, &r, NULL),
        spawn(f.a, "accept", MP_MS(1), block_accept, &r, NULL),
        spawn(f.a, "connect", MP_MS(1), block_connect, &r, NULL),
        spawn(f.a, "send", MP_MS(2), block_send, &r, NULL),
    };
    mp_world_run(f.w, MP_S(1));
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(mp_proc_state(p[i]), ==, MP_PROC_PARKED);
        g_assert_cmpint(mp_proc_kill(p[i]), ==, 0);
    }
    mp_world_run(f.w, MP_S(200));
    g_assert_cmpint(r.eof7, ==, 0);
    g_assert_cmpint(r.eof8, ==, 0);
    /* Everything on a is gone after TIME_WAIT (60 s) and the connect
     * attempt was dropped: no connection is left on host a. */
    struct mp_tcp_stack *ts = mp_tcp_stack_of(mp_node_host(f.a));
    g_assert_nonnull(ts);
    g_assert_cmpuint(ts->all->len, ==, 0);
    mp_world_free(f.w);
}

/* ---- options and misuse ---- */

struct misuse {
    int e[20];
    int ne;
    uint16_t eph;
    int rcvbuf, nodelay, type, soerr, state, acceptconn;
};

#define EXPECT_ERR(r, call) ((r)->e[(r)->ne++] = (call) < 0 ? errno : 0)

static int misuse_proc(int argc, char **argv)
{
    struct misuse *r = shared_of(argv);
    struct sockaddr_storage ss;
    socklen_t len;
    char buf[8] = {0};
    int l = listener("10.0.0.1", 40, 4);
    EXPECT_ERR(r, afmp_send(l, buf, 1, 0));            /* 0 EPIPE */
    EXPECT_ERR(r, afmp_recv(l, buf, 1, 0));            /* 1 ENOTCONN */
    len = sa_make("10.0.0.2", 7, &ss);
    EXPECT_ERR(r, afmp_connect(l, (struct sockaddr *)&ss, len)); /* 2 EISCONN */
    int s = afmp_socket(AF_INET, SOCK_STREAM, 0);
    len = sa_make("0.0.0.0", 0, &ss);
    EXPECT_ERR(r, afmp_bind(s, (struct sockaddr *)&ss, len)); /* 3 ok */
    EXPECT_ERR(r, afmp_bind(s, (struct sockaddr *)&ss, len)); /* 4 EINVAL */
    struct sockaddr_in me;
    socklen_t ml = sizeof(me);
    afmp_getsockname(s, (struct sockaddr *)&me, &ml);
    r->eph = ntohs(me.sin_port);
    EXPECT_ERR(r, afmp_getpeername(s, (struct sockaddr *)&me, &ml)); /* 5 ENOTCONN */
    EXPECT_ERR(r, afmp_send(s, buf, 1, 0));                          /* 6 EPIPE */
    EXPECT_ERR(r, afmp_recv(s, buf, 1, 0));                          /* 7 ENOTCONN */
    EXPECT_ERR(r, afmp_accept(s, NULL, NULL));                       /* 8 EINVAL */
    afmp_close(s);
    s = afmp_socket(AF_INET, SOCK_STREAM, 0);
    len = sa_make("10.0.0.2", 0, &ss);
    EXPECT_ERR(r, afmp_bind(s, (struct sockaddr *)&ss, len)); /* 9 EADDRNOTAVAIL */
    len = sa_make("10.0.0.1", 40, &ss);
    EXPECT_ERR(r, afmp_bind(s, (struct sockaddr *)&ss, len)); /* 10 EADDRINUSE */
    afmp_close(s);
    int c = dial("10.0.0.2", 7, SOCK_STREAM);
    g_assert_cmpint(c, >=, 3);
    EXPECT_ERR(r, afmp_listen(c, 4)); /* 11 EINVAL */
    len = sa_make("10.0.0.2", 7, &ss);
    EXPECT_ERR(r, afmp_connect(c, (struct sockaddr *)&ss, len)); /* 12 EISCONN */
    EXPECT_ERR(r, afmp_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)); /* 13 EPROTONOSUPPORT */
    int v = 65536;
    socklen_t vl = sizeof(v);
    afmp_setsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
    afmp_getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &vl);
    r->rcvbuf = v;
    v = 1;
    afmp_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
    v = 0;
    afmp_getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
    r->nodelay = v;
    afmp_getsockopt(c, SOL_SOCKET, SO_TYPE, &r->type, &vl);
    afmp_getsockopt(c, SOL_SOCKET, SO_ERROR, &r->soerr, &vl);
    afmp_getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &r->acceptconn, &vl);
    struct tcp_info ti;
    socklen_t tl = sizeof(ti);
    g_assert_cmpint(afmp_getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tl), ==, 0);
    r->state = ti.tcpi_state;
    afmp_close(c);
    afmp_close(l);
    return 0;
}

static void test_misuse(void)
{
    struct fx f;
    fx_init(&f, 0);
    struct misuse r;
    memset(&r, 0, sizeof(r));
    spawn(f.b, "srv", 0, accept_one, &r, NULL);
    spawn(f.a, "m", MP_MS(1), misuse_proc, &r, NULL);
    mp_world_run(f.w, MP_S(10));
    static const int want[] = {EPIPE,  ENOTCONN,      EISCONN,    0,      EINVAL,
                               ENOTCONN, EPIPE,       ENOTCONN,   EINVAL, EADDRNOTAVAIL,
                               EADDRINUSE, EINVAL,    EISCONN,    EPROTONOSUPPORT};
    g_assert_cmpint(r.ne, ==, (int)G_N_ELEMENTS(want));
    for (int i = 0; i < r.ne; i++) {
        if (r.e[i] != want[i])
            g_error("call %d: errno %d (%s), want %d (%s)", i, r.e[i], g_strerror(r.e[i]),
                    want[i], g_strerror(want[i]));
    }
    g_assert_cmpuint(r.eph, >=, 32768);
    g_assert_cmpuint(r.eph, <, 61000);
    g_assert_cmpint(r.rcvbuf, ==, 131072);
    g_assert_cmpint(r.nodelay, ==, 1);
    g_assert_cmpint(r.type, ==, SOCK_STREAM);
    g_assert_cmpint(r.soerr, ==, 0);
    g_assert_cmpint(r.acceptconn, ==, 1);
    g_assert_cmpint(r.state, ==, 1); /* TCP_ESTABLISHED */
    mp_world_free(f.w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/tcp-sock/echo/v4", "10.0.0.2", test_echo);
    g_test_add_data_func("/tcp-sock/echo/v6", "2001:db8::2", test_echo);
    g_test_add_func("/tcp-sock/bulk/lossy", test_bulk_lossy);
    g_test_add_func("/tcp-sock/send-fill/lossy-mixed", test_send_fill);
    g_test_add_func("/tcp-sock/send-fill/misuse", test_send_fill_misuse);
    g_test_add_func("/tcp-sock/connect/refused", test_refused);
    g_test_add_func("/tcp-sock/connect/timeout", test_timeout);
    g_test_add_func("/tcp-sock/connect/unreachable", test_unreachable);
    g_test_add_func("/tcp-sock/connect/nonblocking", test_nonblocking_connect);
    g_test_add_func("/tcp-sock/accept/backlog", test_backlog);
    g_test_add_func("/tcp-sock/send/epipe-close-wait", test_epipe);
    g_test_add_func("/tcp-sock/send/epipe-reset", test_epipe_reset);
    g_test_add_func("/tcp-sock/shutdown/wr", test_shutdown);
    g_test_add_func("/tcp-sock/poll/several", test_poll_several);
    g_test_add_func("/tcp-sock/poll/lowat", test_lowat);
    g_test_add_func("/tcp-sock/kill/blocked", test_kill_blocked);
    g_test_add_func("/tcp-sock/misuse", test_misuse);
    return g_test_run();
}
