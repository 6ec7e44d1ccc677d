/*
 * afmp: reqresp, request/response transactions over one TCP connection
 * (scenarios/FORMAT.md, "Applications"), against echo or
 * sink --respond M --request N.
 *
 * Transaction k (from 0) starts at the connection's establishment +
 * k * --interval (back to back without it, or when the previous one ends
 * late): it writes --request bytes of the stream pattern and reads
 * --response bytes, each checked against the pattern at its offset in the
 * response stream (echo sends the request stream back, which is the same
 * thing when the sizes are equal). Its latency runs from the start of the
 * write to the last byte of the response. After the last transaction it
 * shuts down its side and waits for the server to close.
 *
 * Figures: transactions (completed), latency_min_ns / latency_avg_ns /
 * latency_max_ns / latency_mdev_ns (population standard deviation),
 * connect_ns, bytes_sent, bytes_received, intact (every response byte
 * right).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"
#include "sim/units.h"

#define PROG "reqresp"
#define MAX_MSG (16u * 1024u * 1024u)

struct rr_conf {
    struct sockaddr_storage dst, src;
    socklen_t dlen, slen;
    bool has_bind;
    bool mptcp; /* IPPROTO_MPTCP */
    uint64_t request, response, count;
    mp_time_t interval;
    uint16_t port;
};

struct rr {
    uint64_t transactions, sent, received, connect_ns;
    bool bad;
    struct mp_app_stat lat;
};

static void publish(const struct rr *r)
{
    afmp_result("transactions", (int64_t)r->transactions);
    afmp_result("latency_min_ns", (int64_t)r->lat.min);
    afmp_result("latency_avg_ns", (int64_t)mp_app_stat_mean(&r->lat));
    afmp_result("latency_max_ns", (int64_t)r->lat.max);
    afmp_result("latency_mdev_ns", (int64_t)mp_app_stat_mdev(&r->lat));
    afmp_result("connect_ns", (int64_t)r->connect_ns);
    afmp_result("bytes_sent", (int64_t)r->sent);
    afmp_result("bytes_received", (int64_t)r->received);
    afmp_result("intact", !r->bad);
}

static void sleep_until(uint64_t t)
{
    uint64_t now = afmp_now_ns();
    if (t <= now)
        return;
    struct timespec ts = {(time_t)((t - now) / 1000000000u), (long)((t - now) % 1000000000u)};
    afmp_nanosleep(&ts, NULL);
}

/* One transaction; false on a socket error or an early end (logged). */
static bool transact(struct rr *r, int fd, const struct rr_conf *c, uint8_t *buf, size_t blen)
{
    const uint64_t t0 = afmp_now_ns();
    for (uint64_t done = 0; done < c->request;) {
        size_t n = c->request - done < blen ? (size_t)(c->request - done) : blen;
        mp_app_stream_fill(buf, n, r->sent);
        ssize_t k = afmp_send(fd, buf, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            afmp_log("%s: transaction %" G_GUINT64_FORMAT ": send: %s", PROG, r->transactions,
                     g_strerror(errno));
            return false;
        }
        done += (uint64_t)k;
        r->sent += (uint64_t)k;
    }
    for (uint64_t done = 0; done < c->response;) {
        size_t n = c->response - done < blen ? (size_t)(c->response - done) : blen;
        ssize_t k = afmp_recv(fd, buf, n, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            afmp_log("%s: transaction %" G_GUINT64_FORMAT ": %s after %" G_GUINT64_FORMAT
                     " of %" G_GUINT64_FORMAT " response bytes",
                     PROG, r->transactions, k < 0 ? g_strerror(errno) : "end of stream", done,
                     c->response);
            return false;
        }
        if (!r->bad && mp_app_stream_check(buf, (size_t)k, r->received) < (size_t)k) {
            afmp_log("%s: transaction %" G_GUINT64_FORMAT ": the response is not intact", PROG,
                     r->transactions);
            r->bad = true;
        }
        done += (uint64_t)k;
        r->received += (uint64_t)k;
    }
    mp_app_stat_add(&r->lat, afmp_now_ns() - t0);
    r->transactions++;
    return true;
}

static int run(const struct rr_conf *c)
{
    struct rr r;
    char abuf[INET6_ADDRSTRLEN], tbuf[32];

    memset(&r, 0, sizeof(r));
    publish(&r);
    int fd = afmp_socket(c->dst.ss_family, SOCK_STREAM, c->mptcp ? AFMP_IPPROTO_MPTCP : 0);
    if (fd < 0) {
        afmp_log("%s: socket: %s", PROG, g_strerror(errno));
        return MP_APP_EXIT_FAIL;
    }
    if (c->has_bind && afmp_bind(fd, (const struct sockaddr *)&c->src, c->slen) < 0) {
        afmp_log("%s: bind: %s", PROG, g_strerror(errno));
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
    r.connect_ns = est - start;
    /* Transactions are small: no Nagle delay between a request's writes. */
    int one = 1;
    afmp_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    mp_units_format_time(r.connect_ns, tbuf, sizeof(tbuf));
    afmp_log("%s: connected to %s port %u in %s", PROG, abuf, c->port, tbuf);
    publish(&r);

    size_t blen = MAX(c->request, c->response) < 65536u ? (size_t)MAX(c->request, c->response)
                                                        : 65536u;
    uint8_t *buf = g_malloc(MAX(blen, 1));
    afmp_cleanup_push(g_free, buf);
    bool ok = true;
    for (uint64_t k = 0; k < c->count && ok; k++) {
        if (c->interval)
            sleep_until(est + k * c->interval);
        ok = transact(&r, fd, c, buf, MAX(blen, 1));
        publish(&r);
    }
    if (ok && afmp_shutdown(fd, SHUT_WR) < 0) {
        afmp_log("%s: shutdown: %s", PROG, g_strerror(errno));
        ok = false;
    }
    /* The server closes after our end of stream. */
    while (ok) {
        ssize_t k = afmp_recv(fd, buf, MAX(blen, 1), 0);
        if (k == 0)
            break;
        if (k < 0 && errno != EINTR) {
            afmp_log("%s: waiting for the server to close: %s", PROG, g_strerror(errno));
            ok = false;
        }
        if (k > 0)
            afmp_log("%s: %zd unexpected bytes from the server", PROG, k);
    }
    afmp_cleanup_pop(1);
    afmp_close(fd);
    char mn[32], av[32], mx[32], md[32];
    afmp_log("%s: %" G_GUINT64_FORMAT " transactions of %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
             " bytes, %s",
             PROG, r.transactions, c->request, c->response, r.bad ? "NOT intact" : "intact");
    afmp_log("%s: latency min/avg/max/mdev = %s/%s/%s/%s ms", PROG,
             mp_app_fmt_ms(r.lat.min, mn, sizeof(mn)),
             mp_app_fmt_ms(mp_app_stat_mean(&r.lat), av, sizeof(av)),
             mp_app_fmt_ms(r.lat.max, mx, sizeof(mx)),
             mp_app_fmt_ms(mp_app_stat_mdev(&r.lat), md, sizeof(md)));
    publish(&r);
    return ok && !r.bad ? MP_APP_EXIT_OK : MP_APP_EXIT_FAIL;
}

int mp_app_reqresp_main(int argc, char **argv)
{
    char *dst = NULL, *to = NULL, *bind = NULL, *req = NULL, *resp = NULL, *count = NULL;
    char *interval = NULL;
    gint port = 0;
    gboolean mptcp = FALSE;
    const GOptionEntry entries[] = {
        {"dst", 0, 0, G_OPTION_ARG_STRING, &dst, "server address", "ADDR"},
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "server port", "P"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "server as one word", "HOST:PORT"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &bind, "source address", "ADDR"},
        {"request", 0, 0, G_OPTION_ARG_STRING, &req, "request size (default 100B)", "SIZE"},
        {"response", 0, 0, G_OPTION_ARG_STRING, &resp,
         "response size (default: the request size)", "SIZE"},
        {"count", 0, 0, G_OPTION_ARG_STRING, &count, "transactions (default 10)", "N"},
        {"interval", 0, 0, G_OPTION_ARG_STRING, &interval,
         "time between transaction starts (default: back to back)", "TIME"},
        {"mptcp", 0, 0, G_OPTION_ARG_NONE, &mptcp,
         "open an MPTCP socket (IPPROTO_MPTCP; plain TCP if the peer lacks MPTCP)", NULL},
        {NULL},
    };
    struct rr_conf c;
    char *host = NULL;
    uint16_t p = 0;
    int rc = MP_APP_EXIT_USAGE;
    bool help = false;

    memset(&c, 0, sizeof(c));
    c.request = 100;
    c.count = 10;
    switch (mp_app_parse_options(PROG, "", "Request/response transactions over TCP.", entries,
                                 &argc, &argv)) {
    case MP_APP_OPTS_HELP:
        help = true;
        rc = MP_APP_EXIT_OK;
        break;
    case MP_APP_OPTS_ERROR:
        break;
    default:
        c.mptcp = mptcp;
        if (req && !mp_app_opt_size(PROG, "--request", req, &c.request))
            ;
        else if (resp && !mp_app_opt_size(PROG, "--response", resp, &c.response))
            ;
        else if (c.request == 0 || c.request > MAX_MSG || (resp && c.response > MAX_MSG))
            afmp_log("%s: --request 1B..16MiB and --response 0B..16MiB", PROG);
        else if (count && !mp_app_opt_uint(PROG, "--count", count, UINT32_MAX, &c.count))
            ;
        else if (interval && !mp_app_opt_time(PROG, "--interval", interval, false, &c.interval))
            ;
        else if (to && (dst || port))
            afmp_log("%s: give either --to HOST:PORT or --dst ADDR --port P", PROG);
        else if (!to && (!dst || port <= 0 || port > 65535))
            afmp_log("%s: --dst ADDR and --port 1..65535 are required (or --to HOST:PORT)", PROG);
        else if (to && !mp_app_split_hostport(PROG, "--to", to, &host, &p))
            ;
        else {
            if (!to) {
                host = g_strdup(dst);
                p = (uint16_t)port;
            }
            if (mp_app_resolve(PROG, host, p, &c.dst, &c.dlen) &&
                (!bind || mp_app_resolve(PROG, bind, 0, &c.src, &c.slen)))
                rc = MP_APP_EXIT_OK;
            if (rc == MP_APP_EXIT_OK && bind && c.src.ss_family != c.dst.ss_family) {
                afmp_log("%s: --bind %s and the server are of different address families", PROG,
                         bind);
                rc = MP_APP_EXIT_USAGE;
            }
        }
    }
    if (!resp)
        c.response = c.request;
    c.port = p;
    c.has_bind = bind != NULL;
    g_free(host);
    g_free(dst);
    g_free(to);
    g_free(bind);
    g_free(req);
    g_free(resp);
    g_free(count);
    g_free(interval);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
