/*
 * afmp: udp-sink, the receiving end of udp-cbr (scenarios/FORMAT.md,
 * "Applications").
 *
 * Definitions (the figures it reports):
 *  - packets, bytes: every datagram received (UDP payload bytes), valid or
 *    not.
 *  - bad: datagrams that are not intact udp-cbr datagrams (short, wrong
 *    magic, a pattern byte wrong); intact is 1 when there are none (also
 *    when nothing arrived). Bad datagrams take no part in the figures below.
 *  - unique: distinct sequence numbers received. duplicates: datagrams whose
 *    sequence number was already received. reordered: datagrams that arrive
 *    after one with a higher sequence number (late, not duplicated).
 *  - lost: sequence numbers never received, counted up to the highest one
 *    seen, or up to N with --expect N (so losses at the tail count too).
 *    Duplicates are detected within a window of the last 65536 sequence
 *    numbers; an older straggler counts as reordered.
 *  - delay_{min,avg,max}_ns: one-way delay, arrival time minus the sender's
 *    time stamp (virtual time is global, so it is exact); over unique
 *    datagrams.
 *  - jitter_ns: RFC 3550 6.4.1 interarrival jitter over unique datagrams in
 *    arrival order: J += (|D| - J) / 16, kept scaled by 16 in integers as in
 *    RFC 3550 A.8.
 *  - stall_ns: the longest time without an arrival, between two
 *    consecutive arrivals; when the sink ends at --duration while
 *    datagrams announced by --expect N are still missing (the flow stopped
 *    early), the time from the last arrival (or from the sink's start, if
 *    nothing came) to the end counts as well.
 *  - goodput_bps: bytes of unique valid datagrams * 8 over the time from
 *    the first to the last arrival (0 with fewer than two arrivals).
 *  - first_arrival_ns, last_arrival_ns: virtual times.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"
#include "sim/units.h"

#define PROG "udp-sink"
#define WINDOW 65536u /* sequence numbers remembered for duplicate detection */
#define RECV_MAX 65536u

struct sink_conf {
    uint16_t port;
    bool has_bind, has_duration, has_expect;
    struct sockaddr_storage bind;
    socklen_t blen;
    mp_time_t duration;
    uint64_t expect;
};

struct sink {
    uint64_t packets, bytes, bad;
    uint64_t unique, unique_bytes, duplicates, reordered;
    bool have_seq;
    uint64_t max_seq;
    uint8_t seen[WINDOW / 8]; /* bit s % WINDOW: seq s received (s within the window) */
    struct mp_app_stat delay;
    uint64_t jitter16; /* RFC 3550 A.8: jitter * 16 */
    uint64_t prev_transit;
    uint64_t first, last, stall;
    const struct sink_conf *conf;
};

static bool seen_get(const struct sink *s, uint64_t seq)
{
    return s->seen[seq % WINDOW / 8] >> (seq % 8) & 1;
}

static void seen_set(struct sink *s, uint64_t seq, bool on)
{
    uint8_t bit = (uint8_t)(1u << (seq % 8));
    if (on)
        s->seen[seq % WINDOW / 8] |= bit;
    else
        s->seen[seq % WINDOW / 8] &= (uint8_t)~bit;
}

static uint64_t lost_of(const struct sink *s)
{
    uint64_t total = s->have_seq ? s->max_seq + 1 : 0;
    if (s->conf->has_expect && s->conf->expect > total)
        total = s->conf->expect;
    return total > s->unique ? total - s->unique : 0;
}

static uint64_t goodput_of(const struct sink *s)
{
    if (s->packets < 2 || s->last == s->first)
        return 0;
    return mp_app_muldiv(s->unique_bytes * 8u, 1000000000u, s->last - s->first);
}

static void publish(const struct sink *s)
{
    afmp_result("packets", (int64_t)s->packets);
    afmp_result("bytes", (int64_t)s->bytes);
    afmp_result("unique", (int64_t)s->unique);
    afmp_result("lost", (int64_t)lost_of(s));
    afmp_result("duplicates", (int64_t)s->duplicates);
    afmp_result("reordered", (int64_t)s->reordered);
    afmp_result("bad", (int64_t)s->bad);
    afmp_result("intact", s->bad == 0);
    afmp_result("delay_min_ns", (int64_t)s->delay.min);
    afmp_result("delay_avg_ns", (int64_t)mp_app_stat_mean(&s->delay));
    afmp_result("delay_max_ns", (int64_t)s->delay.max);
    afmp_result("jitter_ns", (int64_t)(s->jitter16 >> 4));
    afmp_result("stall_ns", (int64_t)s->stall);
    afmp_result("goodput_bps", (int64_t)goodput_of(s));
    afmp_result("first_arrival_ns", (int64_t)s->first);
    afmp_result("last_arrival_ns", (int64_t)s->last);
}

static void on_datagram(struct sink *s, const uint8_t *p, size_t len, uint64_t now)
{
    struct mp_app_cbr_hdr h;

    if (s->packets && now - s->last > s->stall)
        s->stall = now - s->last;
    if (!s->packets)
        s->first = now;
    s->last = now;
    s->packets++;
    s->bytes += len;
    if (mp_app_cbr_parse(p, len, &h) < 0) {
        if (!s->bad)
            afmp_log("%s: datagram %" G_GUINT64_FORMAT " (%zu bytes) is not intact", PROG,
                     s->packets, len);
        s->bad++;
        return;
    }
    if (!s->have_seq || h.seq > s->max_seq) {
        /* Forget the sequence numbers that leave the window. */
        uint64_t from = s->have_seq ? s->max_seq + 1 : 0;
        if (h.seq - from >= WINDOW)
            memset(s->seen, 0, sizeof(s->seen));
        else
            for (uint64_t q = from; q < h.seq; q++)
                seen_set(s, q, false);
        s->have_seq = true;
        s->max_seq = h.seq;
    } else if (s->max_seq - h.seq < WINDOW && seen_get(s, h.seq)) {
        s->duplicates++;
        return;
    } else {
        s->reordered++;
    }
    seen_set(s, h.seq, true);
    s->unique++;
    s->unique_bytes += len;

    uint64_t transit = now >= h.sent_ns ? now - h.sent_ns : 0;
    mp_app_stat_add(&s->delay, transit);
    if (s->unique > 1) {
        uint64_t d = transit > s->prev_transit ? transit - s->prev_transit
                                               : s->prev_transit - transit;
        /* RFC 3550 A.8: jitter += d - ((jitter + 8) >> 4), scaled by 16. */
        s->jitter16 += d - ((s->jitter16 + 8) >> 4);
    }
    s->prev_transit = transit;
}

static int open_socket(int family, const struct sockaddr_storage *bind, socklen_t blen,
                       uint16_t port)
{
    struct sockaddr_storage any;
    socklen_t alen;
    char abuf[INET6_ADDRSTRLEN];

    if (!bind) {
        memset(&any, 0, sizeof(any));
        any.ss_family = (sa_family_t)family;
        if (family == AF_INET) {
            ((struct sockaddr_in *)&any)->sin_port = htons(port);
            alen = sizeof(struct sockaddr_in);
        } else {
            ((struct sockaddr_in6 *)&any)->sin6_port = htons(port);
            alen = sizeof(struct sockaddr_in6);
        }
        bind = &any;
        blen = alen;
    }
    int fd = afmp_socket(family, SOCK_DGRAM, 0);
    if (fd < 0) {
        afmp_log("%s: socket: %s", PROG, g_strerror(errno));
        return -1;
    }
    if (afmp_bind(fd, (const struct sockaddr *)bind, blen) < 0) {
        afmp_log("%s: bind %s port %u: %s", PROG,
                 mp_app_addr_str((const struct sockaddr *)bind, abuf, sizeof(abuf)), port,
                 g_strerror(errno));
        afmp_close(fd);
        return -1;
    }
    return fd;
}

static void log_summary(const struct sink *s, const char *why)
{
    char dmin[32], davg[32], dmax[32], jit[32], stall[32], rate[32];
    afmp_log("%s: %s: %" G_GUINT64_FORMAT " datagrams, %" G_GUINT64_FORMAT
             " bytes; lost %" G_GUINT64_FORMAT ", duplicates %" G_GUINT64_FORMAT
             ", reordered %" G_GUINT64_FORMAT ", %s",
             PROG, why, s->packets, s->bytes, lost_of(s), s->duplicates, s->reordered,
             s->bad ? "NOT intact" : "intact");
    mp_units_format_rate(goodput_of(s), rate, sizeof(rate));
    afmp_log("%s: delay min/avg/max %s/%s/%s ms, jitter %s ms, longest stall %s ms, goodput %s",
             PROG, mp_app_fmt_ms(s->delay.min, dmin, sizeof(dmin)),
             mp_app_fmt_ms(mp_app_stat_mean(&s->delay), davg, sizeof(davg)),
             mp_app_fmt_ms(s->delay.max, dmax, sizeof(dmax)),
             mp_app_fmt_ms(s->jitter16 >> 4, jit, sizeof(jit)),
             mp_app_fmt_ms(s->stall, stall, sizeof(stall)), rate);
}

static int run(const struct sink_conf *c)
{
    struct sink s;
    struct pollfd pfd[2];
    nfds_t n = 0;
    uint8_t buf[RECV_MAX];

    memset(&s, 0, sizeof(s));
    s.conf = c;
    if (c->has_bind) {
        int fd = open_socket(c->bind.ss_family, &c->bind, c->blen, c->port);
        if (fd < 0)
            return MP_APP_EXIT_FAIL;
        pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    } else {
        /* No dual-stack sockets here: one per family. */
        static const int fams[2] = {AF_INET, AF_INET6};
        for (int i = 0; i < 2; i++) {
            int fd = open_socket(fams[i], NULL, 0, c->port);
            if (fd >= 0)
                pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
        }
        if (!n)
            return MP_APP_EXIT_FAIL;
    }

    const uint64_t start = afmp_now_ns();
    const uint64_t end = c->has_duration ? start + c->duration : MP_TIME_NEVER;
    const char *why = NULL;
    publish(&s);
    while (!why) {
        uint64_t now = afmp_now_ns();
        if (now >= end) {
            why = "duration over";
            break;
        }
        /* Wake at the end to the nanosecond, and take nothing that
         * arrives past it. */
        struct timespec tmo = {(time_t)((end - now) / 1000000000u), (long)((end - now) % 1000000000u)};
        if (afmp_ppoll(pfd, n, end == MP_TIME_NEVER ? NULL : &tmo, NULL) < 0) {
            afmp_log("%s: poll: %s", PROG, g_strerror(errno));
            break;
        }
        now = afmp_now_ns();
        if (now >= end)
            continue;
        for (nfds_t i = 0; i < n && !why; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            for (;;) {
                ssize_t len = afmp_recvfrom(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL);
                if (len < 0)
                    break;
                on_datagram(&s, buf, (size_t)len, now);
                publish(&s);
                if (c->has_expect && s.unique >= c->expect) {
                    why = "all expected datagrams received";
                    break;
                }
            }
        }
    }
    if (!why)
        why = "stopped";
    /* The flow stopped early: the silence until the end is a stall too. */
    if (c->has_expect && s.unique < c->expect && end != MP_TIME_NEVER) {
        uint64_t from = s.packets ? s.last : start;
        if (end - from > s.stall)
            s.stall = end - from;
    }
    publish(&s);
    log_summary(&s, why);
    for (nfds_t i = 0; i < n; i++)
        afmp_close(pfd[i].fd);
    return c->has_expect && s.unique < c->expect ? MP_APP_EXIT_FAIL : MP_APP_EXIT_OK;
}

int mp_app_udp_sink_main(int argc, char **argv)
{
    gint port = 0;
    char *bind = NULL, *duration = NULL, *expect = NULL;
    const GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "UDP port to receive on", "P"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &bind, "local address (default: any, both families)",
         "ADDR"},
        {"duration", 0, 0, G_OPTION_ARG_STRING, &duration, "receive for this long", "TIME"},
        {"expect", 0, 0, G_OPTION_ARG_STRING, &expect,
         "stop after N distinct datagrams; losses count up to N", "N"},
        {NULL},
    };
    struct sink_conf c = {0};
    int rc = MP_APP_EXIT_USAGE;
    bool help = false;

    switch (mp_app_parse_options(PROG, "", "Receives udp-cbr datagrams and measures them.",
                                 entries, &argc, &argv)) {
    case MP_APP_OPTS_HELP:
        help = true;
        rc = MP_APP_EXIT_OK;
        break;
    case MP_APP_OPTS_ERROR:
        break;
    default:
        if (port <= 0 || port > 65535)
            afmp_log("%s: --port 1..65535 is required", PROG);
        else if (bind && !mp_app_resolve(PROG, bind, (uint16_t)port, &c.bind, &c.blen))
            ;
        else if (duration && !mp_app_opt_time(PROG, "--duration", duration, false, &c.duration))
            ;
        else if (expect && !mp_app_opt_uint(PROG, "--expect", expect, UINT64_MAX, &c.expect))
            ;
        else
            rc = MP_APP_EXIT_OK;
    }
    c.port = (uint16_t)port;
    c.has_bind = bind != NULL;
    c.has_duration = duration != NULL;
    c.has_expect = expect != NULL;
    g_free(bind);
    g_free(duration);
    g_free(expect);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
