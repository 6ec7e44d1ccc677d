/*
 * Captures of a whole world (sim/net/world.h): client -- r1 -- server, dual
 * stack, UDP echoes in both families and pings from simulated processes
 * using afmp_*, and link l1 going down and up in the middle with
 * mp_world_note() events. Checks the files a run leaves: which exist, that
 * libpcap reads each with as many packets as the interface counted, that
 * tshark (when installed) finds the pcapng's interfaces by name, the event
 * comments, no malformed packet and only correct checksums, and that two
 * runs give byte-identical files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <string.h>
#include <sys/wait.h>

#include "afmp/afmp.h"
#include "sim/engine.h"
#include "fixture.h"
#include "sim/net/world.h"

#define ECHO_PORT 7
#define ROUNDS 20
#define SNAPLEN 256

/* ---- the scenario ------------------------------------------------------ */

/* What the client's processes saw. */
struct tally {
    int sent[2], echoed[2]; /* [0] IPv4, [1] IPv6 */
    int pings[2];           /* replies */
};

/* Interface counters after a run, for the captured nodes. */
struct iface_count {
    char *node, *iface;
    uint64_t packets; /* tx + rx */
};

struct outcome {
    struct tally tally;
    GPtrArray *ifaces; /* struct iface_count * */
    uint64_t l1_down_drops;
};

static void outcome_clear(struct outcome *o)
{
    for (guint i = 0; o->ifaces && i < o->ifaces->len; i++) {
        struct iface_count *c = g_ptr_array_index(o->ifaces, i);
        g_free(c->node);
        g_free(c->iface);
        g_free(c);
    }
    if (o->ifaces)
        g_ptr_array_free(o->ifaces, TRUE);
    o->ifaces = NULL;
}

static struct tally *tally_of(char **argv)
{
    struct tally *t;
    g_assert_cmpint(sscanf(argv[1], "%p", (void **)&t), ==, 1);
    return t;
}

static socklen_t sa_make(const char *ip, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        g_assert_cmpint(inet_pton(AF_INET6, ip, &s6->sin6_addr), ==, 1);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    g_assert_cmpint(inet_pton(AF_INET, ip, &s4->sin_addr), ==, 1);
    return sizeof(*s4);
}

/* argv: name, tally, address to bind. Echoes forever; the world ends it. */
static int echo_server(int argc, char **argv)
{
    struct sockaddr_storage ss;
    socklen_t len = sa_make(argv[2], ECHO_PORT, &ss);
    int fd = afmp_socket(ss.ss_family, SOCK_DGRAM, 0);
    g_assert_cmpint(afmp_bind(fd, (struct sockaddr *)&ss, len), ==, 0);
    for (;;) {
        char buf[2048];
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t n = afmp_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
        g_assert_cmpint(n, >, 0);
        g_assert_cmpint(afmp_sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen), ==, n);
    }
    return 0;
}

/* argv: name, tally, server address. ROUNDS datagrams of growing size,
 * 10 ms apart, each waiting up to 30 ms for its echo. */
static int echo_client(int argc, char **argv)
{
    struct tally *t = tally_of(argv);
    struct sockaddr_storage ss;
    socklen_t len = sa_make(argv[2], ECHO_PORT, &ss);
    int v6 = ss.ss_family == AF_INET6;
    int fd = afmp_socket(ss.ss_family, SOCK_DGRAM, 0);
    struct timeval tv = {0, 30000};
    g_assert_cmpint(afmp_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), ==, 0);
    g_assert_cmpint(afmp_connect(fd, (struct sockaddr *)&ss, len), ==, 0);
    for (int i = 0; i < ROUNDS; i++) {
        char buf[400], back[400];
        size_t n = 20 + (size_t)i * 17; /* some odd lengths: checksum padding */
        memset(buf, 'a' + i, n);
        if (afmp_send(fd, buf, n, 0) == (ssize_t)n)
            t->sent[v6]++;
        if (afmp_recv(fd, back, sizeof(back), 0) == (ssize_t)n && memcmp(buf, back, n) == 0)
            t->echoed[v6]++;
        afmp_usleep(10000);
    }
    afmp_close(fd);
    return 0;
}

/* argv: name, tally, destination. One echo request, one reply awaited. */
static int pinger(int argc, char **argv)
{
    struct tally *t = tally_of(argv);
    struct sockaddr_storage ss;
    socklen_t len = sa_make(argv[2], 0, &ss);
    int v6 = ss.ss_family == AF_INET6;
    int fd = afmp_socket(ss.ss_family, SOCK_DGRAM, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    uint8_t req[56] = {v6 ? 128 : 8, 0, 0, 0, 0, 0, 0, 1};
    for (size_t i = 8; i < sizeof(req); i++)
        req[i] = (uint8_t)i;
    g_assert_cmpint(afmp_sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&ss, len), ==,
                    sizeof(req));
    uint8_t rep[128];
    if (afmp_recv(fd, rep, sizeof(rep), 0) == sizeof(req) && rep[0] == (v6 ? 129 : 0))
        t->pings[v6]++;
    afmp_close(fd);
    return 0;
}

struct link_event {
    struct mp_world *w;
    bool up;
};

static void link_event(void *arg, mp_time_t now)
{
    struct link_event *e = arg;
    mp_world_note(e->w, e->up ? "link l1 up" : "link l1 down");
    mp_link_set_up(mp_world_link(e->w, "l1"), e->up);
}

static void spawn(struct mp_node *n, const char *name, mp_time_t start, int (*fn)(int, char **),
                  const char *ptr, const char *arg)
{
    char *argv[] = {(char *)name, (char *)ptr, (char *)arg};
    g_assert_nonnull(mp_proc_spawn(mp_node_procs(n), name, start, fn, 3, argv, 0));
}

/*
 * Runs the scenario with captures into |dir| (r1 captured when
 * |router_capture|) for one simulated second and fills |o|. Timeline: echo
 * clients 1 ms .. about 400 ms, pings at 2 ms and 600 ms, link l1 down at
 * 100 ms and up at 150 ms.
 */
static void run_scenario(const char *dir, bool router_capture, struct outcome *o)
{
    struct mp_world_conf wc = {
        .seed = 7, .outdir = dir, .pcap = true, .pcapng = true, .snaplen = SNAPLEN,
        .version = "test"};
    struct mp_host_opts ro;
    struct mp_link_conf lc;
    GError *err = NULL;
    char ptr[32];

    memset(o, 0, sizeof(*o));
    mp_host_opts_default(&ro);
    ro.forward = true;
    struct mp_world *w = mp_world_new(&wc);
    struct mp_node *client = mp_world_add_node(w, "client", NULL, true);
    struct mp_node *r1 = mp_world_add_node(w, "r1", &ro, router_capture);
    struct mp_node *server = mp_world_add_node(w, "server", NULL, true);
    uint32_t c0 = mp_node_add_iface(client, "eth0", 1500);
    uint32_t r0 = mp_node_add_iface(r1, "eth0", 1500);
    uint32_t r1i = mp_node_add_iface(r1, "eth1", 1500);
    uint32_t s0 = mp_node_add_iface(server, "eth0", 1500);
    fx_addr(client, c0, "10.0.1.2/24");
    fx_addr(client, c0, "2001:db8:1::2/64");
    fx_addr(r1, r0, "10.0.1.1/24");
    fx_addr(r1, r0, "2001:db8:1::1/64");
    fx_addr(r1, r1i, "10.0.2.1/24");
    fx_addr(r1, r1i, "2001:db8:2::1/64");
    fx_addr(server, s0, "10.0.2.2/24");
    fx_addr(server, s0, "2001:db8:2::2/64");
    fx_link_conf(&lc, "l1", 10000000, MP_MS(5));
    g_assert_nonnull(mp_world_connect(w, client, c0, r1, r0, &lc, &err));
    fx_link_conf(&lc, "l2", 10000000, MP_MS(5));
    g_assert_nonnull(mp_world_connect(w, r1, r1i, server, s0, &lc, &err));
    g_assert_no_error(err);
    mp_world_compute_routes(w);
    g_assert_true(mp_world_open_captures(w, &err));
    g_assert_no_error(err);

    g_snprintf(ptr, sizeof(ptr), "%p", (void *)&o->tally);
    spawn(server, "echo4", 0, echo_server, ptr, "10.0.2.2");
    spawn(server, "echo6", 0, echo_server, ptr, "2001:db8:2::2");
    spawn(client, "udp4", MP_MS(1), echo_client, ptr, "10.0.2.2");
    spawn(client, "udp6", MP_MS(1), echo_client, ptr, "2001:db8:2::2");
    spawn(client, "ping4", MP_MS(2), pinger, ptr, "10.0.2.2");
    spawn(client, "ping6", MP_MS(2), pinger, ptr, "2001:db8:2::2");
    spawn(client, "ping4b", MP_MS(600), pinger, ptr, "10.0.2.2");
    spawn(client, "ping6b", MP_MS(600), pinger, ptr, "2001:db8:2::2");
    struct link_event down = {w, false}, up = {w, true};
    mp_engine_at(mp_world_engine(w), MP_MS(100), link_event, &down);
    mp_engine_at(mp_world_engine(w), MP_MS(150), link_event, &up);

    mp_world_run(w, MP_S(1));

    o->ifaces = g_ptr_array_new();
    for (size_t i = 0; i < mp_world_node_count(w); i++) {
        struct mp_node *n = mp_world_node_at(w, i);
        struct mp_host *h = mp_node_host(n);
        for (guint j = 0; j < h->ifaces->len; j++) {
            struct mp_iface *ifc = g_ptr_array_index(h->ifaces, j);
            struct iface_count *c = g_new0(struct iface_count, 1);
            c->node = g_strdup(mp_node_name(n));
            c->iface = g_strdup(ifc->name);
            c->packets = ifc->stats.tx_packets + ifc->stats.rx_packets;
            g_ptr_array_add(o->ifaces, c);
        }
    }
    struct mp_link *l1 = mp_world_link(w, "l1");
    o->l1_down_drops = mp_link_stats(l1, 0)->dropped[MP_LINK_DROP_DOWN] +
                       mp_link_stats(l1, 1)->dropped[MP_LINK_DROP_DOWN];
    g_assert_true(mp_world_close_captures(w, &err));
    g_assert_no_error(err);
    mp_world_free(w);
}

/* ---- files ------------------------------------------------------------- */

struct fx {
    char *dir;
    struct outcome o;
};

static void rm_rf(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    if (!d)
        return;
    while ((name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
        g_free(p);
    }
    g_dir_close(d);
    g_rmdir(dir);
}

static void fx_setup(struct fx *f, gconstpointer data)
{
    GError *err = NULL;
    f->dir = g_dir_make_tmp("afmp-test-capture-XXXXXX", &err);
    g_assert_no_error(err);
    run_scenario(f->dir, GPOINTER_TO_INT(data), &f->o);
}

static void fx_teardown(struct fx *f, gconstpointer data)
{
    outcome_clear(&f->o);
    rm_rf(f->dir);
    g_free(f->dir);
}

static char *fx_path(const struct fx *f, const char *name)
{
    return g_build_filename(f->dir, name, NULL);
}

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files in |dir|, sorted, as one string "a b c". */
static char *list_dir(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_str);
    g_ptr_array_add(names, NULL);
    char *s = g_strjoinv(" ", (char **)names->pdata);
    g_ptr_array_free(names, TRUE);
    return s;
}

/* Packets libpcap reads from |path| (pcap or pcapng); every record must
 * respect the snap length. */
static uint64_t pcap_count(const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p)
        g_error("libpcap cannot read %s: %s", path, errbuf);
    g_assert_cmpint(pcap_datalink(p), ==, DLT_RAW);
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t n = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        g_assert_cmpuint(h->caplen, <=, SNAPLEN);
        g_assert_cmpuint(h->caplen, ==, MIN(h->len, SNAPLEN));
        g_assert_true((data[0] >> 4) == 4 || (data[0] >> 4) == 6);
        n++;
    }
    if (rc != PCAP_ERROR_BREAK) /* end of file, not an error */
        g_error("libpcap: %s: %s after %" G_GUINT64_FORMAT " packets", path, pcap_geterr(p), n);
    pcap_close(p);
    return n;
}

/*
 * Counts the Enhanced Packet Blocks and Interface Description Blocks of a
 * pcapng written in host byte order, checking the block framing. libpcap
 * 1.10 cannot read a pcapng with a second raw-IP interface (see
 * tests/test-pcap.c, libpcap-two-ifaces), so multi-interface files are
 * counted here.
 */
static void pcapng_walk(const char *path, uint64_t *epbs, uint32_t *idbs)
{
    gchar *b;
    gsize n, off = 0;
    g_assert_true(g_file_get_contents(path, &b, &n, NULL));
    *epbs = 0;
    *idbs = 0;
    while (off < n) {
        uint32_t type, len, tail;
        g_assert_cmpuint(n - off, >=, 12);
        memcpy(&type, b + off, 4);
        memcpy(&len, b + off + 4, 4);
        g_assert_cmpuint(len, >=, 12);
        g_assert_cmpuint(len % 4, ==, 0);
        g_assert_cmpuint(len, <=, n - off);
        memcpy(&tail, b + off + len - 4, 4);
        g_assert_cmpuint(tail, ==, len);
        if (type == 6) {
            uint32_t iface;
            memcpy(&iface, b + off + 8, 4);
            g_assert_cmpuint(iface, <, *idbs);
            (*epbs)++;
        } else if (type == 1) {
            (*idbs)++;
        }
        off += len;
    }
    g_free(b);
}

static uint64_t node_packets(const struct outcome *o, const char *node)
{
    uint64_t n = 0;
    for (guint i = 0; i < o->ifaces->len; i++) {
        const struct iface_count *c = g_ptr_array_index(o->ifaces, i);
        if (strcmp(c->node, node) == 0)
            n += c->packets;
    }
    return n;
}

static uint32_t node_ifaces(const struct outcome *o, const char *node)
{
    uint32_t n = 0;
    for (guint i = 0; i < o->ifaces->len; i++)
        n += strcmp(((const struct iface_count *)g_ptr_array_index(o->ifaces, i))->node, node) == 0;
    return n;
}

static void check_counts(const struct fx *f, const char *const *nodes)
{
    for (; *nodes; nodes++) {
        for (guint i = 0; i < f->o.ifaces->len; i++) {
            const struct iface_count *c = g_ptr_array_index(f->o.ifaces, i);
            if (strcmp(c->node, *nodes) != 0)
                continue;
            char *base = g_strdup_printf("%s-%s.pcap", c->node, c->iface);
            char *path = fx_path(f, base);
            g_assert_cmpuint(c->packets, >, 0);
            g_assert_cmpuint(pcap_count(path), ==, c->packets);
            g_free(base);
            g_free(path);
        }
        char *base = g_strdup_printf("%s.pcapng", *nodes);
        char *path = fx_path(f, base);
        uint64_t epbs;
        uint32_t idbs;
        pcapng_walk(path, &epbs, &idbs);
        g_assert_cmpuint(epbs, ==, node_packets(&f->o, *nodes));
        g_assert_cmpuint(idbs, ==, node_ifaces(&f->o, *nodes));
        if (idbs == 1)
            g_assert_cmpuint(pcap_count(path), ==, epbs);
        g_free(base);
        g_free(path);
    }
}

/* The traffic went as planned: echoes both families, lost ones during the
 * outage, pings before and after it. */
static void check_tally(const struct outcome *o)
{
    for (int v = 0; v < 2; v++) {
        g_assert_cmpint(o->tally.sent[v], ==, ROUNDS);
        g_assert_cmpint(o->tally.echoed[v], >=, ROUNDS / 2);
        g_assert_cmpint(o->tally.echoed[v], <, ROUNDS);
        g_assert_cmpint(o->tally.pings[v], ==, 2);
    }
}

static void test_files_hosts(struct fx *f, gconstpointer data)
{
    check_tally(&f->o);
    char *files = list_dir(f->dir);
    g_assert_cmpstr(files, ==, "client-eth0.pcap client.pcapng server-eth0.pcap server.pcapng");
    g_free(files);
    static const char *const nodes[] = {"client", "server", NULL};
    check_counts(f, nodes);
}

static void test_files_router(struct fx *f, gconstpointer data)
{
    check_tally(&f->o);
    char *files = list_dir(f->dir);
    g_assert_cmpstr(files, ==,
                    "client-eth0.pcap client.pcapng r1-eth0.pcap r1-eth1.pcap r1.pcapng "
                    "server-eth0.pcap server.pcapng");
    g_free(files);
    static const char *const nodes[] = {"client", "r1", "server", NULL};
    check_counts(f, nodes);
}

/* ---- tshark ------------------------------------------------------------ */

/* Runs tshark -r |path| with |args| (NULL-terminated); returns its standard
 * output. Fails the test when tshark does. */
static char *tshark(const char *path, const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new();
    char *prog = g_find_program_in_path("tshark");
    g_ptr_array_add(argv, prog);
    g_ptr_array_add(argv, (char *)"-n");
    g_ptr_array_add(argv, (char *)"-r");
    g_ptr_array_add(argv, (char *)path);
    for (; *args; args++)
        g_ptr_array_add(argv, (char *)*args);
    g_ptr_array_add(argv, NULL);
    char *out = NULL, *errout = NULL;
    int wait_status = 0;
    GError *err = NULL;
    g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errout,
                 &wait_status, &err);
    g_assert_no_error(err);
    if (!g_spawn_check_wait_status(wait_status, NULL))
        g_error("tshark -r %s failed: %s", path, errout);
    g_free(errout);
    g_free(prog);
    g_ptr_array_unref(argv);
    return out;
}

/* Lines of tshark output, without the empty last one. */
static guint count_lines(const char *s)
{
    guint n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static bool have_tshark(void)
{
    char *p = g_find_program_in_path("tshark");
    if (!p) {
        g_test_skip("tshark is not installed");
        return false;
    }
    g_free(p);
    return true;
}

/* Checksum verification on: off by default for IPv4 and UDP; ICMP and
 * ICMPv6 checksums are always verified. */
#define CSUM_PREFS "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"

static void check_with_tshark(const struct fx *f, const char *file, const char *const *ifnames,
                              uint64_t packets)
{
    char *path = fx_path(f, file);

    /* Nothing malformed, no expert warning or error, no bad checksum, and
     * every checksum verified: tshark verifies only what was captured
     * whole, so packets cut by the snap length show their L4 checksum as
     * unverified and are left out of that part. */
    static const char *const bad[] = {
        CSUM_PREFS, "-Y",
        "_ws.malformed || _ws.expert.severity >= warning || "
        "ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || "
        "icmp.checksum.status == \"Bad\" || icmpv6.checksum.status == \"Bad\" || "
        "(ip && ip.checksum.status != \"Good\") || (frame.cap_len == frame.len && "
        "!(udp.checksum.status == \"Good\" || icmp.checksum.status == \"Good\" || "
        "icmpv6.checksum.status == \"Good\"))",
        NULL};
    char *out = tshark(path, bad);
    g_assert_cmpstr(out, ==, "");
    g_free(out);

    /* Every packet is there; counting the good UDP-over-IPv4 checksums
     * makes sure the preferences took effect. */
    static const char *const all[] = {CSUM_PREFS, "-T", "fields", "-e", "ip.checksum.status",
                                      "-e", "udp.checksum.status", NULL};
    out = tshark(path, all);
    g_assert_cmpuint(count_lines(out), ==, packets);
    guint good = 0;
    for (const char *l = out; (l = strstr(l, "1\t1\n")); l++)
        good++;
    g_assert_cmpuint(good, >, 0);
    g_free(out);

    char **lines;
    if (ifnames) {
        /* The pcapng names every interface that carried packets. */
        static const char *const names[] = {"-T", "fields", "-e", "frame.interface_name", NULL};
        out = tshark(path, names);
        lines = g_strsplit(g_strstrip(out), "\n", -1);
        GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
        for (char **l = lines; *l; l++)
            g_hash_table_add(seen, *l);
        g_assert_cmpuint(g_hash_table_size(seen), ==, g_strv_length((char **)ifnames));
        for (const char *const *n = ifnames; *n; n++)
            g_assert_true(g_hash_table_contains(seen, *n));
        g_hash_table_destroy(seen);
        g_strfreev(lines);
        g_free(out);

        /* The scenario events, each once, in order (on one packet when
         * nothing was captured between them). */
        static const char *const comments[] = {"-Y", "frame.comment", "-T", "fields", "-E",
                                               "aggregator=|", "-e", "frame.comment", NULL};
        out = tshark(path, comments);
        g_strdelimit(out, "\n", '|');
        g_assert_cmpstr(out, ==,
                        "event t=0.100000000: link l1 down|event t=0.150000000: link l1 up|");
        g_free(out);
    }
    g_free(path);
}

static void test_tshark(struct fx *f, gconstpointer data)
{
    if (!have_tshark())
        return;
    static const char *const eth0[] = {"eth0", NULL};
    static const char *const both[] = {"eth0", "eth1", NULL};
    for (guint i = 0; i < f->o.ifaces->len; i++) {
        const struct iface_count *c = g_ptr_array_index(f->o.ifaces, i);
        char *base = g_strdup_printf("%s-%s.pcap", c->node, c->iface);
        if (strcmp(c->node, "r1") != 0)
            check_with_tshark(f, base, NULL, c->packets);
        g_free(base);
    }
    check_with_tshark(f, "client.pcapng", eth0, node_packets(&f->o, "client"));
    check_with_tshark(f, "server.pcapng", eth0, node_packets(&f->o, "server"));
    check_with_tshark(f, "r1.pcapng", both, node_packets(&f->o, "r1"));
}

/* ---- determinism ------------------------------------------------------- */

static void test_deterministic(void)
{
    GError *err = NULL;
    char *dirs[2];
    struct outcome o[2];
    for (int i = 0; i < 2; i++) {
        dirs[i] = g_dir_make_tmp("afmp-test-capture-XXXXXX", &err);
        g_assert_no_error(err);
        run_scenario(dirs[i], true, &o[i]);
    }
    char *files = list_dir(dirs[0]);
    char *files2 = list_dir(dirs[1]);
    g_assert_cmpstr(files, ==, files2);
    char **names = g_strsplit(files, " ", -1);
    g_assert_cmpuint(g_strv_length(names), ==, 7);
    for (char **n = names; *n; n++) {
        char *a, *b;
        gsize la, lb;
        char *pa = g_build_filename(dirs[0], *n, NULL), *pb = g_build_filename(dirs[1], *n, NULL);
        g_assert_true(g_file_get_contents(pa, &a, &la, NULL));
        g_assert_true(g_file_get_contents(pb, &b, &lb, NULL));
        g_assert_cmpuint(la, >, 100);
        if (la != lb || memcmp(a, b, la) != 0)
            g_error("%s differs between two runs of the same scenario", *n);
        g_free(a);
        g_free(b);
        g_free(pa);
        g_free(pb);
    }
    g_strfreev(names);
    g_free(files);
    g_free(files2);
    for (int i = 0; i < 2; i++) {
        outcome_clear(&o[i]);
        rm_rf(dirs[i]);
        g_free(dirs[i]);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/capture/world/files/hosts", struct fx, GINT_TO_POINTER(0), fx_setup,
               test_files_hosts, fx_teardown);
    g_test_add("/capture/world/files/router", struct fx, GINT_TO_POINTER(1), fx_setup,
               test_files_router, fx_teardown);
    g_test_add("/capture/world/tshark", struct fx, GINT_TO_POINTER(1), fx_setup, test_tshark,
               fx_teardown);
    g_test_add_func("/capture/world/deterministic", test_deterministic);
    return g_test_run();
}
