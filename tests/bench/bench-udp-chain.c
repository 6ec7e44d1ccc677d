/*
 * Benchmark: UDP packet-hops per second through a chain of routers.
 *
 *   src -- r1 -- r2 -- ... -- r10 -- dst     (11 links, dual stack)
 *
 * A sender process on src sends datagrams of 100 payload bytes with
 * afmp_sendto(), alternating IPv4 and IPv6, in bursts of 32 every
 * microsecond (afmp_usleep); two receiver processes on dst (one per family)
 * read them with afmp_recvfrom(). Routes come from mp_world_compute_routes().
 * Links run at 100 Gbit/s with 10 us of delay, so the offered load (32 M
 * datagrams/s of 128-148 bytes, about 40 Gbit/s) never fills a queue.
 *
 * A packet-hop is one packet crossing one link: the sum of delivered_pkts
 * over both directions of every link, so 11 per datagram. Figures per
 * configuration: captures off; captures on for the hosts (the default: pcap
 * per interface and pcapng per host, snap length 256, in a temporary folder
 * removed afterwards); captures on for the routers too. Each run is a
 * forked child, so the peak RSS (getrusage) is that run's own. Prints the
 * median of the runs as a "name value unit" table; never fails on speed.
 *
 * Options: -n datagrams (1000000), -r runs (5), --rate bit/s (0: infinite),
 * --delay ns, --router-div N (the run with router taps sends n/N datagrams,
 * because it writes 22 capture streams: 1 M datagrams would be about 7 GB).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "afmp/afmp.h"
#include "sim/engine.h"
#include "harness.h"
#include "sim/net/world.h"

#define ROUTERS 10
#define NODES (ROUTERS + 2)
#define LINKS (ROUTERS + 1)
#define PAYLOAD 100
#define BURST 32
#define PORT 9000

struct params {
    uint64_t datagrams;
    uint64_t rate_bps;
    mp_time_t delay;
};

/* What the processes of one run share with the code that built the world;
 * they live in the same address space. */
struct shared {
    uint64_t datagrams;
    uint64_t sent, send_errors;
    uint64_t received[2]; /* [0] IPv4, [1] IPv6 */
};

/* The figures of one run, passed from the child through a pipe. */
struct result {
    double wall_s;
    double cpu_s; /* CPU time of the run: robust when the machine is shared */
    uint64_t hops;
    uint64_t events;
    uint64_t sent, received;
    uint64_t cap_bytes;
    long maxrss_kb;
    int ok;
};

struct config {
    const char *name;
    bool capture;
    bool router_taps;
};

static struct shared *shared_of(char **argv)
{
    struct shared *s;
    sscanf(argv[1], "%p", (void **)&s);
    return s;
}

static socklen_t sa_make(int fam, int idx, int port, struct sockaddr_storage *ss)
{
    char ip[64];
    memset(ss, 0, sizeof(*ss));
    if (fam == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        g_snprintf(ip, sizeof(ip), "2001:db8:0:%x::2", idx);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, ip, &s6->sin6_addr);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    g_snprintf(ip, sizeof(ip), "10.0.%d.2", idx);
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &s4->sin_addr);
    return sizeof(*s4);
}

static int sender(int argc, char **argv)
{
    struct shared *s = shared_of(argv);
    int fd[2] = {afmp_socket(AF_INET, SOCK_DGRAM, 0), afmp_socket(AF_INET6, SOCK_DGRAM, 0)};
    struct sockaddr_storage to[2];
    socklen_t tolen[2] = {sa_make(AF_INET, LINKS - 1, PORT, &to[0]),
                          sa_make(AF_INET6, LINKS - 1, PORT, &to[1])};
    uint8_t buf[PAYLOAD];
    memset(buf, 0xa5, sizeof(buf));
    for (uint64_t i = 0; i < s->datagrams; i++) {
        int f = (int)(i & 1);
        memcpy(buf, &i, sizeof(i));
        if (afmp_sendto(fd[f], buf, sizeof(buf), 0, (struct sockaddr *)&to[f], tolen[f]) < 0)
            s->send_errors++;
        else
            s->sent++;
        if ((i + 1) % BURST == 0)
            afmp_usleep(1);
    }
    afmp_close(fd[0]);
    afmp_close(fd[1]);
    return 0;
}

/* Reads until the world runs out of events; the world frees it then. */
static int receiver(int argc, char **argv)
{
    struct shared *s = shared_of(argv);
    int v6 = argv[2][0] == '6';
    int fd = afmp_socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage me;
    socklen_t len = sa_make(v6 ? AF_INET6 : AF_INET, LINKS - 1, PORT, &me);
    if (afmp_bind(fd, (struct sockaddr *)&me, len) < 0)
        return 1;
    uint8_t buf[2048];
    for (;;) {
        ssize_t n = afmp_recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL);
        if (n == PAYLOAD)
            s->received[v6]++;
    }
    return 0;
}

static void addr(struct mp_node *n, uint32_t ifindex, const char *pfx)
{
    struct mp_prefix p;
    if (mp_prefix_parse(pfx, &p) < 0 ||
        mp_host_addr_add(mp_node_host(n), ifindex, &p.ip, p.len, 0) < 0)
        g_error("cannot add %s", pfx);
}

/* Link i joins node i (its eth1, or eth0 for src) and node i + 1 (eth0):
 * 10.0.i.1/24 and 2001:db8:0:i::1/64 on the left, .2 and ::2 on the
 * right. */
static struct mp_world *build(const struct params *pp, const struct config *c, const char *outdir)
{
    struct mp_world_conf wc = {.seed = 1, .snaplen = 256};
    struct mp_host_opts ro;
    struct mp_node *nodes[NODES];
    uint32_t left[NODES] = {0}, right[NODES] = {0};

    if (c->capture) {
        wc.outdir = outdir;
        wc.pcap = true;
        wc.pcapng = true;
    }
    mp_host_opts_default(&ro);
    ro.forward = true;
    struct mp_world *w = mp_world_new(&wc);
    for (int i = 0; i < NODES; i++) {
        bool router = i > 0 && i < NODES - 1;
        char name[16];
        if (i == 0)
            g_strlcpy(name, "src", sizeof(name));
        else if (i == NODES - 1)
            g_strlcpy(name, "dst", sizeof(name));
        else
            g_snprintf(name, sizeof(name), "r%d", i);
        nodes[i] = mp_world_add_node(w, name, router ? &ro : NULL, !router || c->router_taps);
        if (i > 0)
            left[i] = mp_node_add_iface(nodes[i], "eth0", 1500);
        if (i < NODES - 1)
            right[i] = mp_node_add_iface(nodes[i], router ? "eth1" : "eth0", 1500);
    }
    for (int i = 0; i < LINKS; i++) {
        char a[64];
        g_snprintf(a, sizeof(a), "10.0.%d.1/24", i);
        addr(nodes[i], right[i], a);
        g_snprintf(a, sizeof(a), "2001:db8:0:%x::1/64", i);
        addr(nodes[i], right[i], a);
        g_snprintf(a, sizeof(a), "10.0.%d.2/24", i);
        addr(nodes[i + 1], left[i + 1], a);
        g_snprintf(a, sizeof(a), "2001:db8:0:%x::2/64", i);
        addr(nodes[i + 1], left[i + 1], a);
    }
    for (int i = 0; i < LINKS; i++) {
        struct mp_link_conf lc;
        char name[16];
        memset(&lc, 0, sizeof(lc));
        g_snprintf(name, sizeof(name), "l%d", i);
        lc.name = name;
        for (int e = 0; e < 2; e++) {
            lc.dir[e].rate_bps = pp->rate_bps;
            lc.dir[e].delay = pp->delay;
        }
        GError *err = NULL;
        if (!mp_world_connect(w, nodes[i], right[i], nodes[i + 1], left[i + 1], &lc, &err))
            g_error("%s", err->message);
    }
    mp_world_compute_routes(w);
    return w;
}

/* One run, in the forked child. */
static void run_once(const struct params *pp, const struct config *c, uint64_t datagrams,
                     struct result *r)
{
    struct shared sh = {.datagrams = datagrams};
    char *outdir = NULL;
    char ptr[32];
    GError *err = NULL;

    memset(r, 0, sizeof(*r));
    if (c->capture) {
        outdir = g_dir_make_tmp("afmp-bench-XXXXXX", &err);
        if (!outdir)
            g_error("%s", err->message);
    }
    struct mp_world *w = build(pp, c, outdir);
    if (!mp_world_open_captures(w, &err))
        g_error("%s", err->message);
    g_snprintf(ptr, sizeof(ptr), "%p", (void *)&sh);
    char *sargv[] = {"sender", ptr};
    char *r4argv[] = {"recv4", ptr, "4"};
    char *r6argv[] = {"recv6", ptr, "6"};
    struct mp_proc_table *dst = mp_node_procs(mp_world_node(w, "dst"));
    mp_proc_spawn(dst, "recv4", 0, receiver, 3, r4argv, 0);
    mp_proc_spawn(dst, "recv6", 0, receiver, 3, r6argv, 0);
    mp_proc_spawn(mp_node_procs(mp_world_node(w, "src")), "sender", MP_US(10), sender, 2, sargv,
                  0);

    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    gint64 t0 = g_get_monotonic_time();
    mp_world_run(w, MP_TIME_NEVER);
    if (!mp_world_close_captures(w, &err))
        g_error("%s", err->message);
    gint64 t1 = g_get_monotonic_time();
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);

    for (int i = 0; i < LINKS; i++) {
        char name[16];
        g_snprintf(name, sizeof(name), "l%d", i);
        struct mp_link *l = mp_world_link(w, name);
        r->hops += mp_link_stats(l, 0)->delivered_pkts + mp_link_stats(l, 1)->delivered_pkts;
    }
    r->wall_s = (double)(t1 - t0) / 1e6;
    r->cpu_s = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    r->events = mp_engine_events_run(mp_world_engine(w));
    r->sent = sh.sent;
    r->received = sh.received[0] + sh.received[1];
    r->ok = sh.send_errors == 0 && r->received == datagrams && r->hops == datagrams * LINKS;
    mp_world_free(w);
    if (outdir) {
        r->cap_bytes = bench_dir_bytes_remove(outdir);
        g_free(outdir);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->maxrss_kb = ru.ru_maxrss;
}

struct job {
    const struct params *pp;
    const struct config *c;
    uint64_t datagrams;
};

static void run_job(void *arg, void *out)
{
    struct job *j = arg;
    run_once(j->pp, j->c, j->datagrams, out);
}

int main(int argc, char **argv)
{
    gint64 n = 1000000, rate = 100000000000, delay = 10000;
    gint runs = 5, router_div = 10;
    gchar *only = NULL;
    GOptionEntry entries[] = {
        {"datagrams", 'n', 0, G_OPTION_ARG_INT64, &n, "datagrams per run", "N"},
        {"runs", 'r', 0, G_OPTION_ARG_INT, &runs, "runs per configuration (median)", "R"},
        {"rate", 0, 0, G_OPTION_ARG_INT64, &rate, "link rate, bit/s (0: infinite)", "BPS"},
        {"delay", 0, 0, G_OPTION_ARG_INT64, &delay, "link delay, ns", "NS"},
        {"router-div", 0, 0, G_OPTION_ARG_INT, &router_div,
         "divide the datagrams by this with router taps", "D"},
        {"only", 0, 0, G_OPTION_ARG_STRING, &only, "run one configuration (off, hosts, routers)",
         "NAME"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *ctx = g_option_context_new("- UDP packet-hops per second through 10 routers");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err) || n <= 0 || runs <= 0 ||
        router_div <= 0 || rate < 0 || delay < 0) {
        fprintf(stderr, "bench-udp-chain: %s\n", err ? err->message : "bad option value");
        return 2;
    }
    g_option_context_free(ctx);

    struct params pp = {(uint64_t)n, (uint64_t)rate, (mp_time_t)delay};
    static const struct config configs[] = {
        {"off", false, false},
        {"hosts", true, false},
        {"routers", true, true},
    };

    printf("# bench-udp-chain: src -- r1 .. r%d -- dst, %d links, %d-byte UDP payload, IPv4/IPv6 "
           "alternating,\n# bursts of %d every 1 us, links %" G_GINT64_FORMAT
           " bit/s + %" G_GINT64_FORMAT " ns, median of %d runs (forked)\n",
           ROUTERS, LINKS, PAYLOAD, BURST, rate, delay, runs);
    printf("# captures: off; hosts (pcap per iface + pcapng per host, snaplen 256); routers "
           "(all nodes, 1/%d of the datagrams)\n",
           router_div);
    for (size_t k = 0; k < G_N_ELEMENTS(configs); k++) {
        const struct config *c = &configs[k];
        if (only && strcmp(only, c->name) != 0)
            continue;
        uint64_t dg = c->router_taps ? MAX(pp.datagrams / (uint64_t)router_div, 1) : pp.datagrams;
        double *wall = g_new(double, runs), *hops = g_new(double, runs);
        double *evs = g_new(double, runs), *rss = g_new(double, runs), *cap = g_new(double, runs);
        double *cpu = g_new(double, runs), *hops_cpu = g_new(double, runs);
        bool ok = true;
        struct result r = {0};
        for (int i = 0; i < runs; i++) {
            struct job job = {&pp, c, dg};
            if (!bench_run_forked(run_job, &job, &r, sizeof(r))) {
                fprintf(stderr, "bench-udp-chain: run %d of %s failed\n", i, c->name);
                return 1;
            }
            ok = ok && r.ok;
            wall[i] = r.wall_s;
            hops[i] = (double)r.hops / r.wall_s / 1e6;
            evs[i] = (double)r.events / r.wall_s / 1e6;
            rss[i] = (double)r.maxrss_kb / 1024.0;
            cap[i] = (double)r.cap_bytes / 1e6;
            cpu[i] = r.cpu_s;
            hops_cpu[i] = (double)r.hops / r.cpu_s / 1e6;
        }
        printf("%s_datagrams %" G_GUINT64_FORMAT " dgram\n", c->name, dg);
        printf("%s_packet_hops %" G_GUINT64_FORMAT " hop\n", c->name, r.hops);
        printf("%s_events %" G_GUINT64_FORMAT " event\n", c->name, r.events);
        printf("%s_wall_time %.3f s\n", c->name, bench_median(wall, runs));
        printf("%s_packet_hops_per_s %.2f M/s\n", c->name, bench_median(hops, runs));
        printf("%s_events_per_s %.2f M/s\n", c->name, bench_median(evs, runs));
        printf("%s_cpu_time %.3f s\n", c->name, bench_median(cpu, runs));
        printf("%s_packet_hops_per_cpu_s %.2f M/s\n", c->name, bench_median(hops_cpu, runs));
        printf("%s_peak_rss %.1f MiB\n", c->name, bench_median(rss, runs));
        if (c->capture)
            printf("%s_capture_bytes %.1f MB\n", c->name, bench_median(cap, runs));
        if (!ok)
            printf("# %s: WARNING: datagrams lost or send errors (received %" G_GUINT64_FORMAT
                   " of %" G_GUINT64_FORMAT ")\n",
                   c->name, r.received, dg);
        fflush(stdout);
        g_free(wall);
        g_free(hops);
        g_free(evs);
        g_free(rss);
        g_free(cap);
        g_free(cpu);
        g_free(hops_cpu);
    }
    g_free(only);
    return 0;
}
