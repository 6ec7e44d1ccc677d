/*
 * afmp: bulk-send, a bulk TCP transfer like iperf3's client
 * (scenarios/FORMAT.md, "Applications").
 *
 * Connects, writes the stream pattern of util.h (so sink checks every
 * byte) until --bytes have been taken by the socket or --duration has
 * passed since the connection was established, shuts the sending side down
 * and waits for the peer to close its side. sink closes only after it has
 * read the end of the stream, so the peer's FIN proves that every byte
 * arrived: that moment ends the transfer.
 *
 * Definitions (the figures it reports):
 *  - bytes: stream bytes the socket took (all of them reached the peer when
 *    done is 1).
 *  - connect_ns: from the connect() call to the connection established.
 *  - completion_ns: from the connect() call to the peer's FIN (end of the
 *    stream read back); 0 until then.
 *  - goodput_bps: bytes * 8 over the time from the connection established
 *    to the peer's FIN; 0 until then.
 *  - done: 1 once the peer's FIN has arrived after all bytes were sent.
 *  - retransmissions, srtt_ns, rttvar_ns, rtt_min_ns, rtt_max_ns: from
 *    TCP_INFO when the socket layer offers it (tcpi_total_retrans, and the
 *    smoothed RTT sampled at every interval boundary and at the end);
 *    missing otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"
#include "sim/units.h"

#define PROG "bulk-send"
#define DEFAULT_LENGTH (128u * 1024u) /* iperf3's default for TCP */
#define MAX_LENGTH (1024u * 1024u)

struct bulk_conf {
    struct sockaddr_storage dst, src;
    socklen_t dlen, slen;
    bool has_bind, has_bytes, has_duration;
    bool mptcp; /* IPPROTO_MPTCP (until AF_MULTIPATH's connect does it) */
    uint64_t bytes, length;
    mp_time_t duration, interval;
    uint16_t port;
};

struct bulk {
    const struct bulk_conf *conf;
    uint64_t sent, connect_ns, completion_ns, goodput;
    bool done;
    struct mp_app_stat rtt;
    bool have_info;
    struct tcp_info info;
};

static void publish(const struct bulk *b)
{
    afmp_result("bytes", (int64_t)b->sent);
    afmp_result("connect_ns", (int64_t)b->connect_ns);
    afmp_result("completion_ns", (int64_t)b->completion_ns);
    afmp_result("goodput_bps", (int64_t)b->goodput);
    afmp_result("done", b->done);
    if (b->have_info) {
        afmp_result("retransmissions", b->info.tcpi_total_retrans);
        afmp_result("srtt_ns", (int64_t)b->info.tcpi_rtt * 1000);
        afmp_result("rttvar_ns", (int64_t)b->info.tcpi_rttvar * 1000);
        afmp_result("rtt_min_ns", (int64_t)b->rtt.min);
        afmp_result("rtt_max_ns", (int64_t)b->rtt.max);
    }
}

/* Takes a TCP_INFO sample if the socket layer offers it. */
static void sample_info(struct bulk *b, int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (afmp_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || len < 8)
        return;
    b->have_info = true;
    b->info = ti;
    if (ti.tcpi_rtt)
        mp_app_stat_add(&b->rtt, (uint64_t)ti.tcpi_rtt * 1000u);
}

/* Waits until |fd| has |events| or the next interval boundary (or |end|)
 * comes; logs the intervals that passed. Returns poll's revents, 0 on a
 * timeout, -1 on a poll failure (logged). */
static int wait_for(struct bulk *b, struct mp_app_meter *m, int fd, short events, uint64_t end)
{
    struct pollfd p = {.fd = fd, .events = events};
    struct timespec ts;
    uint64_t now = afmp_now_ns(), until = mp_app_meter_next(m);
    if (end < until)
        until = end;
    int rc = afmp_ppoll(&p, 1, mp_app_timeout(&ts, now, until), NULL);
    if (rc < 0) {
        afmp_log("%s: poll: %s", PROG, g_strerror(errno));
        return -1;
    }
    now = afmp_now_ns();
    if (now >= mp_app_meter_next(m)) {
        sample_info(b, fd);
        mp_app_meter_tick(m, now, b->sent);
        publish(b);
    }
    return rc > 0 ? p.revents : 0;
}

static int run(const struct bulk_conf *c)
{
    struct bulk b = {.conf = c};
    char abuf[INET6_ADDRSTRLEN], tbuf[32];
    struct mp_app_meter m;

    publish(&b);
    int fd = afmp_socket(c->dst.ss_family, SOCK_STREAM, c->mptcp ? AFMP_IPPROTO_MPTCP : 0);
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
    mp_app_addr_str((const struct sockaddr *)&c->dst, abuf, sizeof(abuf));
    const uint64_t start = afmp_now_ns();
    if (afmp_connect(fd, (const struct sockaddr *)&c->dst, c->dlen) < 0) {
        afmp_log("%s: connect to %s port %u: %s", PROG, abuf, c->port, g_strerror(errno));
        afmp_close(fd);
        return MP_APP_EXIT_FAIL;
    }
    const uint64_t est = afmp_now_ns();
    b.connect_ns = est - start;
    mp_units_format_time(b.connect_ns, tbuf, sizeof(tbuf));
    afmp_log("%s: [%3d] connected to %s port %u in %s", PROG, fd, abuf, c->port, tbuf);
    publish(&b);
    /* Non-blocking from here: the process must wake at interval
     * boundaries while the send buffer is full. */
    int fl = afmp_fcntl(fd, F_GETFL, 0);
    if (fl >= 0)
        afmp_fcntl(fd, F_SETFL, fl | O_NONBLOCK);

    mp_app_meter_init(&m, PROG, fd, est, c->interval);
    const uint64_t end = c->has_duration ? est + c->duration : MP_TIME_NEVER;
    uint8_t *buf = g_malloc(c->length);
    int rc = MP_APP_EXIT_OK;
    while ((!c->has_bytes || b.sent < c->bytes) && afmp_now_ns() < end) {
        int ev = wait_for(&b, &m, fd, POLLOUT, end);
        if (ev < 0) {
            rc = MP_APP_EXIT_FAIL;
            break;
        }
        if (!ev || afmp_now_ns() >= end)
            continue;
        size_t n = c->length;
        if (c->has_bytes && c->bytes - b.sent < n)
            n = (size_t)(c->bytes - b.sent);
        mp_app_stream_fill(buf, n, b.sent);
        ssize_t k = afmp_send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (k < 0) {
            afmp_log("%s: send after %" G_GUINT64_FORMAT " bytes: %s", PROG, b.sent,
                     g_strerror(errno));
            rc = MP_APP_EXIT_FAIL;
            break;
        }
        b.sent += (uint64_t)k;
        publish(&b);
    }
    const uint64_t sent_end = afmp_now_ns();
    if (rc == MP_APP_EXIT_OK && afmp_shutdown(fd, SHUT_WR) < 0) {
        afmp_log("%s: shutdown: %s", PROG, g_strerror(errno));
        rc = MP_APP_EXIT_FAIL;
    }
    mp_app_meter_finish(&m, sent_end, b.sent, "sender");

    /* The peer closes once it has read everything: its FIN ends the
     * transfer. Anything it sends before is read and dropped. */
    uint64_t unexpected = 0;
    while (rc == MP_APP_EXIT_OK) {
        int ev = wait_for(&b, &m, fd, POLLIN, MP_TIME_NEVER);
        if (ev < 0) {
            rc = MP_APP_EXIT_FAIL;
            break;
        }
        if (!ev)
            continue;
        ssize_t k = afmp_recv(fd, buf, c->length, MSG_DONTWAIT);
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (k < 0) {
            afmp_log("%s: waiting for the peer to close: %s", PROG, g_strerror(errno));
            rc = MP_APP_EXIT_FAIL;
        } else if (k == 0) {
            uint64_t now = afmp_now_ns();
            b.done = true;
            b.completion_ns = now - start;
            b.goodput = mp_app_muldiv(b.sent * 8u, 1000000000u, now - est);
            break;
        } else {
            unexpected += (uint64_t)k;
        }
    }
    g_free(buf);
    sample_info(&b, fd);
    publish(&b);
    afmp_close(fd);
    if (unexpected)
        afmp_log("%s: the peer sent %" G_GUINT64_FORMAT " bytes (ignored)", PROG, unexpected);
    if (b.done) {
        char rate[32];
        mp_units_format_time(b.completion_ns, tbuf, sizeof(tbuf));
        mp_units_format_rate(b.goodput, rate, sizeof(rate));
        afmp_log("%s: %" G_GUINT64_FORMAT " bytes delivered, completed in %s, goodput %s", PROG,
                 b.sent, tbuf, rate);
    }
    if (b.have_info)
        afmp_log("%s: retransmissions %u, srtt %u us, rttvar %u us", PROG,
                 b.info.tcpi_total_retrans, b.info.tcpi_rtt, b.info.tcpi_rttvar);
    return rc;
}

static int configure(const char *dst, const char *to, int port, const char *bind,
                     const char *bytes, const char *duration, const char *interval,
                     const char *length, struct bulk_conf *c)
{
    char *host = NULL;
    uint16_t p = 0;

    memset(c, 0, sizeof(*c));
    c->interval = MP_S(1);
    c->length = DEFAULT_LENGTH;
    if (bytes && duration) {
        afmp_log("%s: give --bytes or --duration, not both", PROG);
        return MP_APP_EXIT_USAGE;
    }
    if (bytes && !mp_app_opt_size(PROG, "--bytes", bytes, &c->bytes))
        return MP_APP_EXIT_USAGE;
    if (duration && !mp_app_opt_time(PROG, "--duration", duration, false, &c->duration))
        return MP_APP_EXIT_USAGE;
    if (interval && !mp_app_opt_time(PROG, "--interval", interval, false, &c->interval))
        return MP_APP_EXIT_USAGE;
    if (length && !mp_app_opt_size(PROG, "--length", length, &c->length))
        return MP_APP_EXIT_USAGE;
    if (c->length == 0 || c->length > MAX_LENGTH) {
        afmp_log("%s: --length: expected 1B..%uB, got '%s'", PROG, MAX_LENGTH, length);
        return MP_APP_EXIT_USAGE;
    }
    if (to && (dst || port)) {
        afmp_log("%s: give either --to HOST:PORT or --dst ADDR --port P", PROG);
        return MP_APP_EXIT_USAGE;
    }
    if (to) {
        if (!mp_app_split_hostport(PROG, "--to", to, &host, &p))
            return MP_APP_EXIT_USAGE;
    } else {
        if (!dst || port <= 0 || port > 65535) {
            afmp_log("%s: --dst ADDR and --port 1..65535 are required (or --to HOST:PORT)", PROG);
            return MP_APP_EXIT_USAGE;
        }
        host = g_strdup(dst);
        p = (uint16_t)port;
    }
    bool ok = mp_app_resolve(PROG, host, p, &c->dst, &c->dlen);
    g_free(host);
    if (!ok)
        return MP_APP_EXIT_USAGE;
    if (bind && !mp_app_resolve(PROG, bind, 0, &c->src, &c->slen))
        return MP_APP_EXIT_USAGE;
    if (bind && c->src.ss_family != c->dst.ss_family) {
        afmp_log("%s: --bind %s and the destination are of different address families", PROG,
                 bind);
        return MP_APP_EXIT_USAGE;
    }
    c->port = p;
    c->has_bind = bind != NULL;
    c->has_bytes = bytes != NULL;
    c->has_duration = duration != NULL;
    return MP_APP_EXIT_OK;
}

int mp_app_bulk_send_main(int argc, char **argv)
{
    char *dst = NULL, *to = NULL, *bind = NULL, *bytes = NULL, *duration = NULL;
    char *interval = NULL, *length = NULL;
    gint port = 0;
    gboolean mptcp = FALSE;
    const GOptionEntry entries[] = {
        {"dst", 0, 0, G_OPTION_ARG_STRING, &dst, "destination address", "ADDR"},
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "destination port", "P"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "destination as one word", "HOST:PORT"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &bind, "source address", "ADDR"},
        {"bytes", 0, 0, G_OPTION_ARG_STRING, &bytes, "send this many bytes", "SIZE"},
        {"duration", 0, 0, G_OPTION_ARG_STRING, &duration,
         "send for this long after connecting (neither: until stopped)", "TIME"},
        {"interval", 0, 0, G_OPTION_ARG_STRING, &interval,
         "seconds between interval reports (default 1s; 0s: none)", "TIME"},
        {"length", 0, 0, G_OPTION_ARG_STRING, &length, "bytes per send (default 128KiB)", "SIZE"},
        {"mptcp", 0, 0, G_OPTION_ARG_NONE, &mptcp,
         "open an MPTCP socket (IPPROTO_MPTCP; plain TCP if the peer lacks MPTCP)", NULL},
        {NULL},
    };
    struct bulk_conf c;
    int rc = MP_APP_EXIT_USAGE;
    bool help = false;

    switch (mp_app_parse_options(PROG, "", "Sends a TCP bulk transfer, like iperf3's client.",
                                 entries, &argc, &argv)) {
    case MP_APP_OPTS_HELP:
        help = true;
        rc = MP_APP_EXIT_OK;
        break;
    case MP_APP_OPTS_ERROR:
        break;
    default:
        rc = configure(dst, to, port, bind, bytes, duration, interval, length, &c);
    }
    c.mptcp = mptcp;
    g_free(dst);
    g_free(to);
    g_free(bind);
    g_free(bytes);
    g_free(duration);
    g_free(interval);
    g_free(length);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
