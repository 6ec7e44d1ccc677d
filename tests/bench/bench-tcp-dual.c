/*
 * Benchmark: the dual-path TCP bulk scenario of issue 6.
 *
 *        +-- r1 --+        path 1: 10 ms per hop
 *   A ---+        +--- B
 *        +-- r2 --+        path 2: 30 ms per hop
 *
 * Every link runs at 100 Mbit/s both ways (default queues). One bulk-send
 * per path on A (bound to that path's address, towards B's address on
 * that path) into one sink on B, for 30 s of simulated time after
 * connecting; the world runs until both transfers are over.
 *
 * A packet-hop is one packet crossing one link (delivered_pkts of both
 * directions of the four links). Figures per configuration: captures off;
 * captures on (pcap per interface and pcapng per host, snap length 256, in
 * a temporary folder removed afterwards). Each run is a forked child, so
 * the peak RSS is that run's own. Prints the median of the runs as a
 * "name value unit" table; never fails on speed. For reference, Debian's
 * ns-3 3.37 takes 56 s of wall time for this scenario on the machine the
 * issue was written on.
 *
 * Options: -r runs (3), -d simulated seconds of sending (30), --only
 * off|on.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "afmp/stack.h"
#include "sim/apps/apps.h"
#include "sim/engine.h"
#include "harness.h"
#include "sim/net/world.h"

#define RATE 100000000u

struct result {
    double wall_s, cpu_s;
    uint64_t hops, events;
    uint64_t bytes[2];    /* delivered per flow (sink) */
    uint64_t goodput[2];  /* bit/s per flow (sender) */
    uint64_t cap_bytes;
    long maxrss_kb;
    int ok;
};

static const char *const link_names[] = {"a-r1", "r1-b", "a-r2", "r2-b"};

static void addr(struct mp_node *n, uint32_t ifindex, const char *pfx)
{
    struct mp_prefix p;
    if (mp_prefix_parse(pfx, &p) < 0 ||
        mp_host_addr_add(mp_node_host(n), ifindex, &p.ip, p.len, 0) < 0)
        g_error("cannot add %s", pfx);
}

static void connect_nodes(struct mp_world *w, struct mp_node *a, uint32_t ia, struct mp_node *b,
                          uint32_t ib, const char *name, mp_time_t delay)
{
    struct mp_link_conf lc;
    GError *err = NULL;
    memset(&lc, 0, sizeof(lc));
    lc.name = name;
    for (int e = 0; e < 2; e++) {
        lc.dir[e].rate_bps = RATE;
        lc.dir[e].delay = delay;
    }
    if (!mp_world_connect(w, a, ia, b, ib, &lc, &err))
        g_error("%s", err->message);
}

static struct mp_world *build(const char *outdir)
{
    struct mp_world_conf wc = {.seed = 1, .snaplen = 256};
    struct mp_host_opts ro;
    if (outdir) {
        wc.outdir = outdir;
        wc.pcap = true;
        wc.pcapng = true;
    }
    mp_host_opts_default(&ro);
    ro.forward = true;
    struct mp_world *w = mp_world_new(&wc);
    struct mp_node *a = mp_world_add_node(w, "A", NULL, true);
    struct mp_node *r1 = mp_world_add_node(w, "r1", &ro, false);
    struct mp_node *r2 = mp_world_add_node(w, "r2", &ro, false);
    struct mp_node *b = mp_world_add_node(w, "B", NULL, true);
    uint32_t a0 = mp_node_add_iface(a, "eth0", 1500), a1 = mp_node_add_iface(a, "eth1", 1500);
    uint32_t r10 = mp_node_add_iface(r1, "eth0", 1500), r11 = mp_node_add_iface(r1, "eth1", 1500);
    uint32_t r20 = mp_node_add_iface(r2, "eth0", 1500), r21 = mp_node_add_iface(r2, "eth1", 1500);
    uint32_t b0 = mp_node_add_iface(b, "eth0", 1500), b1 = mp_node_add_iface(b, "eth1", 1500);
    addr(a, a0, "10.0.1.2/24");
    addr(r1, r10, "10.0.1.1/24");
    addr(r1, r11, "10.0.2.1/24");
    addr(b, b0, "10.0.2.2/24");
    addr(a, a1, "10.0.3.2/24");
    addr(r2, r20, "10.0.3.1/24");
    addr(r2, r21, "10.0.4.1/24");
    addr(b, b1, "10.0.4.2/24");
    connect_nodes(w, a, a0, r1, r10, link_names[0], MP_MS(10));
    connect_nodes(w, r1, r11, b, b0, link_names[1], MP_MS(10));
    connect_nodes(w, a, a1, r2, r20, link_names[2], MP_MS(30));
    connect_nodes(w, r2, r21, b, b1, link_names[3], MP_MS(30));
    mp_world_compute_routes(w);
    return w;
}

static struct mp_proc *spawn(struct mp_node *n, const char *name, const char *cmd)
{
    gchar **argv = g_strsplit(cmd, " ", -1);
    const struct mp_app_def *def = mp_apps_lookup(argv[0]);
    if (!def)
        g_error("no built-in %s", argv[0]);
    struct mp_proc *p =
        mp_proc_spawn(mp_node_procs(n), name, 0, def->main, (int)g_strv_length(argv), argv, 0);
    g_strfreev(argv);
    return p;
}

static int64_t result_of(struct mp_node *n, struct mp_proc *p, const char *key)
{
    int64_t v;
    return afmp_stack_result(mp_node_host(n), mp_proc_pid(p), key, &v) ? v : -1;
}

static void run_once(bool capture, unsigned seconds, struct result *r)
{
    char *outdir = NULL;
    GError *err = NULL;

    memset(r, 0, sizeof(*r));
    if (capture && !(outdir = g_dir_make_tmp("afmp-bench-XXXXXX", &err)))
        g_error("%s", err->message);
    struct mp_world *w = build(outdir);
    if (!mp_world_open_captures(w, &err))
        g_error("%s", err->message);
    struct mp_node *a = mp_world_node(w, "A"), *b = mp_world_node(w, "B");
    struct mp_proc *sink = spawn(b, "sink", "sink --port 5001 --count 2 --interval 0s");
    char cmd[160];
    struct mp_proc *snd[2];
    g_snprintf(cmd, sizeof(cmd),
               "bulk-send --to 10.0.2.2:5001 --bind 10.0.1.2 --duration %us --interval 0s", seconds);
    snd[0] = spawn(a, "path1", cmd);
    g_snprintf(cmd, sizeof(cmd),
               "bulk-send --to 10.0.4.2:5001 --bind 10.0.3.2 --duration %us --interval 0s", seconds);
    snd[1] = spawn(a, "path2", cmd);

    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    gint64 t0 = g_get_monotonic_time();
    /* Sending ends 30 s after connecting; the rest is draining the queues
     * and closing. */
    mp_world_run(w, MP_S(seconds + 30));
    if (!mp_world_close_captures(w, &err))
        g_error("%s", err->message);
    gint64 t1 = g_get_monotonic_time();
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);

    for (size_t i = 0; i < G_N_ELEMENTS(link_names); i++) {
        struct mp_link *l = mp_world_link(w, link_names[i]);
        r->hops += mp_link_stats(l, 0)->delivered_pkts + mp_link_stats(l, 1)->delivered_pkts;
    }
    r->wall_s = (double)(t1 - t0) / 1e6;
    r->cpu_s = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    r->events = mp_engine_events_run(mp_world_engine(w));
    r->ok = mp_proc_ended(sink) && mp_proc_exit_status(sink) == 0 &&
            result_of(b, sink, "intact") == 1;
    for (int i = 0; i < 2; i++) {
        char key[32];
        g_snprintf(key, sizeof(key), "conn%d.bytes", i + 1);
        int64_t v = result_of(b, sink, key);
        r->bytes[i] = v > 0 ? (uint64_t)v : 0;
        v = result_of(a, snd[i], "goodput_bps");
        r->goodput[i] = v > 0 ? (uint64_t)v : 0;
        r->ok = r->ok && mp_proc_ended(snd[i]) && mp_proc_exit_status(snd[i]) == 0;
    }
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
    bool capture;
    unsigned seconds;
};

static void run_job(void *arg, void *out)
{
    struct job *j = arg;
    run_once(j->capture, j->seconds, out);
}

int main(int argc, char **argv)
{
    gint runs = 3, seconds = 30;
    gchar *only = NULL;
    GOptionEntry entries[] = {
        {"runs", 'r', 0, G_OPTION_ARG_INT, &runs, "runs per configuration (median)", "R"},
        {"duration", 'd', 0, G_OPTION_ARG_INT, &seconds, "simulated seconds of sending", "S"},
        {"only", 0, 0, G_OPTION_ARG_STRING, &only, "run one configuration (off, on)", "NAME"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *ctx = g_option_context_new("- two TCP bulk flows over two paths");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err) || runs <= 0 || seconds <= 0) {
        fprintf(stderr, "bench-tcp-dual: %s\n", err ? err->message : "bad option value");
        return 2;
    }
    g_option_context_free(ctx);

    printf("# bench-tcp-dual: A -- r1 -- B (10 ms/hop) and A -- r2 -- B (30 ms/hop), 100 Mbit/s "
           "per hop,\n# one bulk-send per path for %d s, median of %d runs (forked); ns-3 3.37: "
           "56 s wall\n",
           seconds, runs);
    static const char *const names[] = {"off", "on"};
    for (int k = 0; k < 2; k++) {
        if (only && strcmp(only, names[k]) != 0)
            continue;
        double *wall = g_new(double, runs), *hops = g_new(double, runs), *cpu = g_new(double, runs);
        double *evs = g_new(double, runs), *rss = g_new(double, runs), *cap = g_new(double, runs);
        struct result r = {0};
        bool ok = true;
        for (int i = 0; i < runs; i++) {
            struct job job = {k == 1, (unsigned)seconds};
            if (!bench_run_forked(run_job, &job, &r, sizeof(r))) {
                fprintf(stderr, "bench-tcp-dual: run %d with captures %s failed\n", i, names[k]);
                return 1;
            }
            ok = ok && r.ok;
            wall[i] = r.wall_s;
            cpu[i] = r.cpu_s;
            hops[i] = (double)r.hops / r.wall_s / 1e6;
            evs[i] = (double)r.events / r.wall_s / 1e6;
            rss[i] = (double)r.maxrss_kb / 1024.0;
            cap[i] = (double)r.cap_bytes / 1e6;
        }
        const char *n = names[k];
        printf("captures_%s_packet_hops %" G_GUINT64_FORMAT " hop\n", n, r.hops);
        printf("captures_%s_events %" G_GUINT64_FORMAT " event\n", n, r.events);
        printf("captures_%s_path1_goodput %.2f Mbit/s\n", n, (double)r.goodput[0] / 1e6);
        printf("captures_%s_path2_goodput %.2f Mbit/s\n", n, (double)r.goodput[1] / 1e6);
        printf("captures_%s_wall_time %.3f s\n", n, bench_median(wall, runs));
        printf("captures_%s_cpu_time %.3f s\n", n, bench_median(cpu, runs));
        printf("captures_%s_packet_hops_per_s %.3f M/s\n", n, bench_median(hops, runs));
        printf("captures_%s_events_per_s %.3f M/s\n", n, bench_median(evs, runs));
        printf("captures_%s_peak_rss %.1f MiB\n", n, bench_median(rss, runs));
        if (k == 1)
            printf("captures_%s_capture_bytes %.1f MB\n", n, bench_median(cap, runs));
        if (!ok)
            printf("# captures %s: WARNING: a transfer failed or was not intact\n", n);
        fflush(stdout);
        g_free(wall);
        g_free(hops);
        g_free(cpu);
        g_free(evs);
        g_free(rss);
        g_free(cap);
    }
    g_free(only);
    return 0;
}
