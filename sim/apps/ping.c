/*
 * afmp: ping, ICMP echo through ping sockets (SOCK_DGRAM with IPPROTO_ICMP
 * or IPPROTO_ICMPV6, as Linux's unprivileged ping), with iputils' options
 * and output (scenarios/FORMAT.md, "Applications").
 *
 * Request k (k = 0, 1, ...) leaves at start + k * interval and carries
 * icmp_seq k + 1 (16 bits, wrapping) and, when the data has room (-s 8 or
 * more), the virtual send time in its first 8 bytes (big-endian ns), then
 * bytes 8, 9, 10, ... of the data hold their own index (mod 256). The round
 * trip time is the arrival time minus that stamp, so it is exact and late
 * replies still measure right. After the last request ping waits until
 * every request is answered or TIMEOUT (-W) has passed since the last one.
 * Without -c it runs until the scenario stops it; its figures are kept
 * current for that case.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"
#include "sim/units.h"

#define PROG "ping"
#define BUF_MAX 65536u
#define DATA_MAX 65507u /* IPv4: 65535 - 20 - 8 */
#define STAMP 8u

struct ping_conf {
    struct sockaddr_storage dst;
    socklen_t dlen;
    uint64_t count; /* 0: until stopped */
    mp_time_t interval, linger;
    uint64_t size;
    char host[INET6_ADDRSTRLEN];
};

struct ping {
    const struct ping_conf *conf;
    int fd;
    bool v6;
    uint64_t sent, received, dups, errors, bad;
    uint8_t seen[65536 / 8]; /* icmp_seq answered */
    struct mp_app_stat rtt;
};

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static uint32_t loss_ppm(const struct ping *pg)
{
    if (!pg->sent || pg->received >= pg->sent)
        return 0;
    return (uint32_t)mp_app_muldiv(pg->sent - pg->received, 1000000u, pg->sent);
}

static void publish(const struct ping *pg)
{
    afmp_result("transmitted", (int64_t)pg->sent);
    afmp_result("received", (int64_t)pg->received);
    afmp_result("duplicates", (int64_t)pg->dups);
    afmp_result("errors", (int64_t)pg->errors);
    afmp_result("loss_ppm", loss_ppm(pg));
    afmp_result("rtt_min_ns", (int64_t)pg->rtt.min);
    afmp_result("rtt_avg_ns", (int64_t)mp_app_stat_mean(&pg->rtt));
    afmp_result("rtt_max_ns", (int64_t)pg->rtt.max);
    afmp_result("rtt_mdev_ns", (int64_t)mp_app_stat_mdev(&pg->rtt));
}

static void send_request(struct ping *pg, uint8_t *buf)
{
    const struct ping_conf *c = pg->conf;
    uint16_t seq = (uint16_t)(pg->sent + 1);
    size_t len = 8 + c->size;

    buf[0] = pg->v6 ? 128 : 8; /* echo request */
    buf[1] = 0;
    memset(buf + 2, 0, 4); /* checksum and identifier: the host's */
    buf[6] = (uint8_t)(seq >> 8);
    buf[7] = (uint8_t)seq;
    for (size_t i = 0; i < c->size; i++)
        buf[8 + i] = (uint8_t)i;
    if (c->size >= STAMP)
        put64(buf + 8, afmp_now_ns());
    /* A wrapped sequence number is a new request. */
    pg->seen[seq / 8] &= (uint8_t)~(1u << (seq % 8));
    pg->sent++;
    if (afmp_sendto(pg->fd, buf, len, 0, (const struct sockaddr *)&c->dst, c->dlen) < 0) {
        if (!pg->errors)
            afmp_log("ping: sendmsg: %s", g_strerror(errno));
        pg->errors++;
    }
}

static void on_reply(struct ping *pg, const uint8_t *buf, size_t len, uint64_t now)
{
    const struct ping_conf *c = pg->conf;
    char tbuf[32];

    if (len < 8 || buf[0] != (pg->v6 ? 129 : 0) || buf[1] != 0)
        return;
    uint16_t seq = (uint16_t)(buf[6] << 8 | buf[7]);
    /* Only answers to requests we sent (before the sequence wraps). */
    if (pg->sent < 65536 && (seq == 0 || seq > pg->sent)) {
        pg->bad++;
        return;
    }
    bool dup = pg->seen[seq / 8] >> (seq % 8) & 1;
    pg->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
    const uint8_t *data = buf + 8;
    size_t dlen = len - 8;
    bool timed = dlen >= STAMP && c->size >= STAMP;
    uint64_t rtt = 0;
    if (timed) {
        uint64_t stamp = get64(data);
        rtt = now >= stamp ? now - stamp : 0;
    }
    const char *wrong = NULL;
    if (dlen != c->size)
        wrong = "wrong length";
    for (size_t i = timed ? STAMP : 0; !wrong && i < dlen; i++)
        if (data[i] != (uint8_t)i)
            wrong = "wrong data byte";
    if (dup) {
        pg->dups++;
    } else {
        pg->received++;
        if (timed)
            mp_app_stat_add(&pg->rtt, rtt);
    }
    if (timed)
        afmp_log("%zu bytes from %s: icmp_seq=%u time=%s ms%s%s%s", len, c->host, seq,
                 mp_app_fmt_ms(rtt, tbuf, sizeof(tbuf)), dup ? " (DUP!)" : "", wrong ? " " : "",
                 wrong ? wrong : "");
    else
        afmp_log("%zu bytes from %s: icmp_seq=%u%s%s%s", len, c->host, seq, dup ? " (DUP!)" : "",
                 wrong ? " " : "", wrong ? wrong : "");
}

/* Handles replies until |deadline| (exact: the socket timeout counts
 * microseconds, the sub-microsecond rest is slept), or, with |until_done|,
 * until every request has been answered. */
static void wait_until(struct ping *pg, uint8_t *buf, uint64_t deadline, bool until_done)
{
    for (;;) {
        uint64_t now = afmp_now_ns();
        if (now >= deadline || (until_done && pg->received >= pg->sent))
            return;
        uint64_t us = (deadline - now) / 1000u;
        if (us == 0) {
            struct timespec ts = {0, (long)(deadline - now)};
            afmp_nanosleep(&ts, NULL);
            continue;
        }
        struct timeval tv = {(time_t)(us / 1000000u), (suseconds_t)(us % 1000000u)};
        afmp_setsockopt(pg->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ssize_t n = afmp_recv(pg->fd, buf, BUF_MAX, 0);
        while (n >= 0) {
            on_reply(pg, buf, (size_t)n, afmp_now_ns());
            publish(pg);
            n = afmp_recv(pg->fd, buf, BUF_MAX, MSG_DONTWAIT);
        }
    }
}

static int run(const struct ping_conf *c)
{
    struct ping pg;
    uint8_t buf[BUF_MAX];
    char tbuf[32], lbuf[32], b1[32], b2[32], b3[32], b4[32];

    memset(&pg, 0, sizeof(pg));
    pg.conf = c;
    pg.v6 = c->dst.ss_family == AF_INET6;
    pg.fd = afmp_socket(c->dst.ss_family, SOCK_DGRAM, pg.v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    if (pg.fd < 0) {
        afmp_log("ping: socket: %s", g_strerror(errno));
        return MP_APP_EXIT_USAGE;
    }
    if (pg.v6)
        afmp_log("PING %s(%s) %" G_GUINT64_FORMAT " data bytes", c->host, c->host, c->size);
    else
        afmp_log("PING %s (%s) %" G_GUINT64_FORMAT "(%" G_GUINT64_FORMAT ") bytes of data.",
                 c->host, c->host, c->size, c->size + 28);

    const uint64_t start = afmp_now_ns();
    publish(&pg);
    for (uint64_t k = 0; !c->count || k < c->count; k++) {
        wait_until(&pg, buf, start + k * c->interval, false);
        send_request(&pg, buf);
        publish(&pg);
    }
    const uint64_t end = afmp_now_ns() + c->linger;
    wait_until(&pg, buf, end, true);
    afmp_close(pg.fd);

    afmp_log("--- %s ping statistics ---", c->host);
    mp_units_format_time(afmp_now_ns() - start, tbuf, sizeof(tbuf));
    char dups[48] = "";
    if (pg.dups)
        g_snprintf(dups, sizeof(dups), ", +%" G_GUINT64_FORMAT " duplicates", pg.dups);
    char errs[48] = "";
    if (pg.errors)
        g_snprintf(errs, sizeof(errs), ", +%" G_GUINT64_FORMAT " errors", pg.errors);
    afmp_log("%" G_GUINT64_FORMAT " packets transmitted, %" G_GUINT64_FORMAT
             " received%s%s, %s%% packet loss, time %s",
             pg.sent, pg.received, dups, errs, mp_app_fmt_ppm(loss_ppm(&pg), lbuf, sizeof(lbuf)),
             tbuf);
    if (pg.rtt.n)
        afmp_log("rtt min/avg/max/mdev = %s/%s/%s/%s ms",
                 mp_app_fmt_ms(pg.rtt.min, b1, sizeof(b1)),
                 mp_app_fmt_ms(mp_app_stat_mean(&pg.rtt), b2, sizeof(b2)),
                 mp_app_fmt_ms(pg.rtt.max, b3, sizeof(b3)),
                 mp_app_fmt_ms(mp_app_stat_mdev(&pg.rtt), b4, sizeof(b4)));
    publish(&pg);
    /* iputils: 0 with at least one reply, 1 with none. */
    return pg.received ? MP_APP_EXIT_OK : MP_APP_EXIT_FAIL;
}

/* The destination: one helper, so that the resolver can take over. */
static bool parse_dst(const char *text, struct ping_conf *c)
{
    if (!mp_app_resolve(PROG, text, 0, &c->dst, &c->dlen))
        return false;
    mp_app_addr_str((const struct sockaddr *)&c->dst, c->host, sizeof(c->host));
    return true;
}

int mp_app_ping_main(int argc, char **argv)
{
    char *count = NULL, *interval = NULL, *size = NULL, *timeout = NULL;
    const GOptionEntry entries[] = {
        {"count", 'c', 0, G_OPTION_ARG_STRING, &count, "stop after COUNT requests", "COUNT"},
        {"interval", 'i', 0, G_OPTION_ARG_STRING, &interval,
         "time between requests (default 1s; 0.2 means 0.2s)", "INTERVAL"},
        {"size", 's', 0, G_OPTION_ARG_STRING, &size, "data bytes per request (default 56)",
         "SIZE"},
        {"timeout", 'W', 0, G_OPTION_ARG_STRING, &timeout,
         "wait this long for replies after the last request (default 10s)", "TIMEOUT"},
        {NULL},
    };
    struct ping_conf c = {.interval = MP_S(1), .linger = MP_S(10), .size = 56};
    int rc = MP_APP_EXIT_USAGE;
    bool help = false;

    switch (mp_app_parse_options(PROG, "DST", "Sends ICMP echo requests to DST (an address).",
                                 entries, &argc, &argv)) {
    case MP_APP_OPTS_HELP:
        help = true;
        rc = MP_APP_EXIT_OK;
        break;
    case MP_APP_OPTS_ERROR:
        break;
    default:
        if (argc != 2)
            afmp_log("%s: %s", PROG, argc < 2 ? "a destination is required (ping [-c COUNT] [-i "
                                                "INTERVAL] [-s SIZE] [-W TIMEOUT] DST)"
                                              : "only one destination, please");
        else if (count && !mp_app_opt_uint(PROG, "-c", count, UINT64_MAX, &c.count))
            ;
        else if (count && c.count == 0)
            afmp_log("%s: -c: expected a count of 1 or more, got '%s'", PROG, count);
        else if (interval && !mp_app_opt_time(PROG, "-i", interval, true, &c.interval))
            ;
        else if (c.interval == 0)
            afmp_log("%s: -i: expected a time above zero, got '%s'", PROG, interval);
        else if (size && !mp_app_opt_size(PROG, "-s", size, &c.size))
            ;
        else if (c.size > DATA_MAX)
            afmp_log("%s: -s: expected at most %u data bytes, got '%s'", PROG, DATA_MAX, size);
        else if (timeout && !mp_app_opt_time(PROG, "-W", timeout, true, &c.linger))
            ;
        else if (parse_dst(argv[1], &c))
            rc = MP_APP_EXIT_OK;
    }
    g_free(count);
    g_free(interval);
    g_free(size);
    g_free(timeout);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
