/*
 * afmp: udp-cbr, constant bit rate UDP datagrams (scenarios/FORMAT.md,
 * "Applications").
 *
 * Datagram k leaves at start + floor(k * size * 8 * 10^9 / rate) ns: each
 * departure is computed from the start, never by adding a rounded interval
 * to the previous one, so a rate whose interval is not a whole number of
 * nanoseconds (1000 B at 3 Mbit/s is 2666666.67 ns) keeps its long-run rate
 * exactly and never drifts.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"
#include "sim/units.h"

#define PROG "udp-cbr"
#define UDP_MAX_PAYLOAD 65507u /* IPv4: 65535 - 20 - 8 */

struct cbr_opts {
    char *dst, *to, *bind, *rate, *size, *duration, *count, *tos;
    gint port;
};

static void sleep_until(uint64_t t)
{
    uint64_t now = afmp_now_ns();
    if (t <= now)
        return;
    struct timespec ts = {(time_t)((t - now) / 1000000000u), (long)((t - now) % 1000000000u)};
    afmp_nanosleep(&ts, NULL);
}

/* Sets the TOS byte / traffic class. The socket layer may not offer it yet;
 * a scenario then still runs, with a warning in the log. */
static void set_tos(int fd, int family, int tos)
{
    int rc = family == AF_INET6
                 ? afmp_setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos))
                 : afmp_setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
    if (rc < 0)
        afmp_log("%s: warning: --tos %d not applied: %s", PROG, tos, g_strerror(errno));
}

static void publish(uint64_t packets, uint64_t bytes, uint64_t errors)
{
    afmp_result("sent_packets", (int64_t)packets);
    afmp_result("sent_bytes", (int64_t)bytes);
    afmp_result("send_errors", (int64_t)errors);
}

/* What the options say, in numbers: the options' strings are freed before
 * the run, so a process stopped (killed) mid-run leaks nothing. */
struct cbr_conf {
    uint64_t rate, size, count, tos;
    mp_time_t duration;
    bool has_count, has_duration, has_tos, has_bind;
    struct sockaddr_storage dst, src;
    socklen_t dlen, slen;
    uint16_t port;
};

static int configure(struct cbr_opts *o, struct cbr_conf *c)
{
    uint64_t rate = 1000000, size = 1000, count = 0, tos = 0;
    mp_time_t duration = 0;
    char *host = NULL;
    uint16_t port = 0;

    if (o->rate && !mp_app_opt_rate(PROG, "--rate", o->rate, &rate))
        return MP_APP_EXIT_USAGE;
    if (o->size && !mp_app_opt_size(PROG, "--size", o->size, &size))
        return MP_APP_EXIT_USAGE;
    if (size < MP_APP_CBR_HDR || size > UDP_MAX_PAYLOAD) {
        afmp_log("%s: --size: expected %uB..%uB (the sequence number and time stamp take %u "
                 "bytes), got '%s'",
                 PROG, MP_APP_CBR_HDR, UDP_MAX_PAYLOAD, MP_APP_CBR_HDR, o->size);
        return MP_APP_EXIT_USAGE;
    }
    if (o->duration && !mp_app_opt_time(PROG, "--duration", o->duration, false, &duration))
        return MP_APP_EXIT_USAGE;
    if (o->count && !mp_app_opt_uint(PROG, "--count", o->count, UINT64_MAX, &count))
        return MP_APP_EXIT_USAGE;
    if (o->tos && !mp_app_opt_uint(PROG, "--tos", o->tos, 255, &tos))
        return MP_APP_EXIT_USAGE;
    if (o->to && (o->dst || o->port)) {
        afmp_log("%s: give either --to HOST:PORT or --dst ADDR --port P", PROG);
        return MP_APP_EXIT_USAGE;
    }
    if (o->to) {
        if (!mp_app_split_hostport(PROG, "--to", o->to, &host, &port))
            return MP_APP_EXIT_USAGE;
    } else {
        if (!o->dst || o->port <= 0 || o->port > 65535) {
            afmp_log("%s: --dst ADDR and --port 1..65535 are required (or --to HOST:PORT)", PROG);
            return MP_APP_EXIT_USAGE;
        }
        host = g_strdup(o->dst);
        port = (uint16_t)o->port;
    }
    bool ok = mp_app_resolve(PROG, host, port, &c->dst, &c->dlen);
    g_free(host);
    if (!ok)
        return MP_APP_EXIT_USAGE;
    if (o->bind && !mp_app_resolve(PROG, o->bind, 0, &c->src, &c->slen))
        return MP_APP_EXIT_USAGE;
    if (o->bind && c->src.ss_family != c->dst.ss_family) {
        afmp_log("%s: --bind %s and the destination are of different address families", PROG,
                 o->bind);
        return MP_APP_EXIT_USAGE;
    }
    c->rate = rate;
    c->size = size;
    c->count = count;
    c->tos = tos;
    c->duration = duration;
    c->has_count = o->count != NULL;
    c->has_duration = o->duration != NULL;
    c->has_tos = o->tos != NULL;
    c->has_bind = o->bind != NULL;
    c->port = port;
    return MP_APP_EXIT_OK;
}

static int run(const struct cbr_conf *c)
{
    const struct sockaddr_storage *dst = &c->dst;

    char abuf[INET6_ADDRSTRLEN], rbuf[32], tbuf[32];
    int fd = afmp_socket(dst->ss_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        afmp_log("%s: socket: %s", PROG, g_strerror(errno));
        return MP_APP_EXIT_FAIL;
    }
    if (c->has_bind && afmp_bind(fd, (const struct sockaddr *)&c->src, c->slen) < 0) {
        afmp_log("%s: bind %s: %s", PROG,
                 mp_app_addr_str((const struct sockaddr *)&c->src, abuf, sizeof(abuf)),
                 g_strerror(errno));
        afmp_close(fd);
        return MP_APP_EXIT_FAIL;
    }
    if (c->has_tos)
        set_tos(fd, dst->ss_family, (int)c->tos);

    const uint64_t size = c->size;
    const uint64_t bits_ns = size * 8u * 1000000000u; /* <= 5.3e14 */
    mp_units_format_rate(c->rate, rbuf, sizeof(rbuf));
    mp_units_format_time(mp_app_muldiv(1, bits_ns, c->rate), tbuf, sizeof(tbuf));
    afmp_log("%s: to %s port %u: %" G_GUINT64_FORMAT " B every %s (%s)", PROG,
             mp_app_addr_str((const struct sockaddr *)dst, abuf, sizeof(abuf)), c->port, size, tbuf,
             rbuf);

    /* Sending never waits (datagrams, see afmp_sendto), so the loop is the
     * schedule. Unconnected sendto: a port unreachable from a sink that
     * starts late must not turn the next sends into ECONNREFUSED. */
    uint8_t buf[UDP_MAX_PAYLOAD];
    uint64_t sent = 0, bytes = 0, errors = 0, k;
    const uint64_t start = afmp_now_ns();
    int last_errno = 0;
    publish(0, 0, 0);
    for (k = 0; !c->has_count || k < c->count; k++) {
        uint64_t off = mp_app_muldiv(k, bits_ns, c->rate);
        if (c->has_duration && off >= c->duration)
            break;
        sleep_until(start + off);
        struct mp_app_cbr_hdr h = {k, afmp_now_ns()};
        mp_app_cbr_emit(buf, size, &h);
        if (afmp_sendto(fd, buf, size, 0, (const struct sockaddr *)dst, c->dlen) < 0) {
            if (errno != last_errno)
                afmp_log("%s: datagram %" G_GUINT64_FORMAT ": %s", PROG, k, g_strerror(errno));
            last_errno = errno;
            errors++;
        } else {
            sent++;
            bytes += size;
        }
        publish(sent, bytes, errors);
    }
    afmp_close(fd);
    mp_units_format_time(afmp_now_ns() - start, tbuf, sizeof(tbuf));
    afmp_log("%s: sent %" G_GUINT64_FORMAT " datagrams, %" G_GUINT64_FORMAT " bytes in %s, %" G_GUINT64_FORMAT
             " send errors",
             PROG, sent, bytes, tbuf, errors);
    return sent == 0 && errors > 0 ? MP_APP_EXIT_FAIL : MP_APP_EXIT_OK;
}

int mp_app_udp_cbr_main(int argc, char **argv)
{
    struct cbr_opts o = {0};
    struct cbr_conf c;
    const GOptionEntry entries[] = {
        {"dst", 0, 0, G_OPTION_ARG_STRING, &o.dst, "destination address", "ADDR"},
        {"port", 0, 0, G_OPTION_ARG_INT, &o.port, "destination port", "P"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &o.to, "destination as one word", "HOST:PORT"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &o.bind, "source address", "ADDR"},
        {"rate", 0, 0, G_OPTION_ARG_STRING, &o.rate, "payload rate (default 1Mbit)", "RATE"},
        {"size", 0, 0, G_OPTION_ARG_STRING, &o.size, "payload bytes per datagram (default 1000B)",
         "SIZE"},
        {"duration", 0, 0, G_OPTION_ARG_STRING, &o.duration, "send for this long", "TIME"},
        {"count", 0, 0, G_OPTION_ARG_STRING, &o.count, "send this many datagrams", "N"},
        {"tos", 0, 0, G_OPTION_ARG_STRING, &o.tos, "TOS byte / traffic class 0..255", "N"},
        {NULL},
    };
    int rc;
    bool help = false;
    switch (mp_app_parse_options(PROG, "", "Sends UDP datagrams at a constant bit rate.", entries,
                                 &argc, &argv)) {
    case MP_APP_OPTS_HELP:
        rc = MP_APP_EXIT_OK;
        help = true;
        break;
    case MP_APP_OPTS_ERROR:
        rc = MP_APP_EXIT_USAGE;
        break;
    default:
        rc = configure(&o, &c);
    }
    g_free(o.dst);
    g_free(o.to);
    g_free(o.bind);
    g_free(o.rate);
    g_free(o.size);
    g_free(o.duration);
    g_free(o.count);
    g_free(o.tos);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
