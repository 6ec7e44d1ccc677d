/*
 * afmp: sink, the receiving end of bulk-send and reqresp, like iperf3's
 * server (scenarios/FORMAT.md, "Applications").
 *
 * Listens on a port (both families unless --bind names an address),
 * accepts any number of connections at once, reads each to its end and
 * checks every byte against the stream pattern of util.h, then closes it
 * (so the sender sees its peer's FIN only after everything was read). With
 * --respond M --request N it answers every N bytes received with M pattern
 * bytes (the response stream has its own offsets), for reqresp.
 *
 * Definitions (the figures it reports; the aggregates cover every
 * connection, conn<i>.* the i-th accepted one, from 1):
 *  - connections: accepted; completed: read to their end.
 *  - bytes: stream bytes received.
 *  - intact: 1 while every byte received matched the pattern at its offset
 *    and no connection was reset (1 also when nothing arrived).
 *  - goodput_bps: bytes * 8 over the time from the first byte to the last
 *    byte received (0 before two reads delivered data).
 *  - stall_ns: the longest gap between two consecutive reads of one
 *    connection that delivered data (the wait before its first byte does
 *    not count, nor the time after its last).
 *  - completion_ns: from the first accept to the last end of stream;
 *    conn<i>.completion_ns: from that connection's accept to its end.
 *  - first_byte_ns, last_byte_ns: virtual times.
 *  - responses_bytes: bytes sent in responses (--respond).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"
#include "sim/units.h"

#define PROG "sink"
#define RECV_MAX (128u * 1024u)
#define BACKLOG 128

struct sink_conf {
    uint16_t port;
    bool mptcp;     /* IPPROTO_MPTCP listener */
    bool multipath; /* one AF_MULTIPATH listener bound to mbind */
    bool has_bind, respond;
    struct sockaddr_storage bind;
    socklen_t blen;
    struct sockaddr_mp_storage mbind;
    socklen_t mblen;
    uint64_t count; /* 0: until stopped */
    uint64_t request, response;
    uint64_t abort_after; /* --abort-after: 0 none */
    mp_time_t interval;
};

struct conn {
    int fd;
    unsigned idx; /* 1, 2, ... in accept order */
    uint64_t bytes, accepted, first, last, end, stall;
    uint64_t req_progress; /* bytes of the request being received */
    uint64_t owed, resp_off;
    bool eof, done, reset, bad, aborted;
    struct mp_app_lists lists; /* --multipath */
};

struct sink {
    const struct sink_conf *conf;
    GPtrArray *conns; /* struct conn *, in accept order */
    uint64_t bytes, first, last, first_accept, last_end, stall, responses;
    uint64_t completed, aborted;
    bool bad, reset, started;
    int peer_max, local_max; /* --multipath: longest lists of any connection */
    GArray *pfd, *who;       /* run()'s poll set */
    /* Where the results are kept (afmp_result_cell): published after every
     * wake-up, so by a store each rather than a lookup. */
    int64_t *r_conns, *r_completed, *r_bytes, *r_intact, *r_goodput, *r_stall, *r_completion,
        *r_first, *r_last, *r_local_max, *r_peer_max, *r_responses, *r_aborted;
    uint8_t buf[RECV_MAX];
};

static uint64_t goodput_of(uint64_t bytes, uint64_t first, uint64_t last)
{
    return last > first ? mp_app_muldiv(bytes * 8u, 1000000000u, last - first) : 0;
}

static void publish_conn(const struct conn *c)
{
    char key[48];
#define PUT(name, v)                                                      \
    do {                                                                  \
        g_snprintf(key, sizeof(key), "conn%u.%s", c->idx, name);          \
        afmp_result(key, (int64_t)(v));                                   \
    } while (0)
    PUT("bytes", c->bytes);
    PUT("goodput_bps", goodput_of(c->bytes, c->first, c->last));
    PUT("stall_ns", c->stall);
    PUT("completion_ns", c->done ? c->end - c->accepted : 0);
    PUT("intact", !c->bad && !c->reset);
#undef PUT
}

/* Stores |v| in the result |*cell|, first made for |key| (keys are made in
 * the order of the first publish, as afmp_result() would). */
static void put(int64_t **cell, const char *key, int64_t v)
{
    if (!*cell)
        *cell = afmp_result_cell(key);
    if (*cell)
        **cell = v;
}

static void publish(struct sink *s)
{
    put(&s->r_conns, "connections", (int64_t)s->conns->len);
    put(&s->r_completed, "completed", (int64_t)s->completed);
    put(&s->r_bytes, "bytes", (int64_t)s->bytes);
    put(&s->r_intact, "intact", !s->bad && !s->reset);
    put(&s->r_goodput, "goodput_bps", (int64_t)goodput_of(s->bytes, s->first, s->last));
    put(&s->r_stall, "stall_ns", (int64_t)s->stall);
    put(&s->r_completion, "completion_ns",
        (int64_t)(s->completed ? s->last_end - s->first_accept : 0));
    put(&s->r_first, "first_byte_ns", (int64_t)s->first);
    put(&s->r_last, "last_byte_ns", (int64_t)s->last);
    if (s->conf->multipath) {
        put(&s->r_local_max, "local_max", s->local_max);
        put(&s->r_peer_max, "peer_max", s->peer_max);
    }
    if (s->conf->respond)
        put(&s->r_responses, "responses_bytes", (int64_t)s->responses);
    if (s->conf->abort_after)
        put(&s->r_aborted, "aborted", (int64_t)s->aborted);
}

/* Sends what the connection owes, as far as the socket takes it. */
static void respond(struct sink *s, struct conn *c)
{
    while (c->owed) {
        size_t n = c->owed < sizeof(s->buf) ? (size_t)c->owed : sizeof(s->buf);
        mp_app_stream_fill(s->buf, n, c->resp_off);
        ssize_t k = afmp_send(c->fd, s->buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k <= 0) {
            if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                afmp_log("%s: [%3d] send: %s", PROG, c->fd, g_strerror(errno));
                c->owed = 0;
                c->reset = s->reset = true;
            }
            return;
        }
        c->owed -= (uint64_t)k;
        c->resp_off += (uint64_t)k;
        s->responses += (uint64_t)k;
    }
}

/* --multipath: the connection's lists, logged when they change. */
static void watch(struct sink *s, struct conn *c)
{
    if (!s->conf->multipath)
        return;
    mp_app_lists_watch(PROG, c->fd, &c->lists);
    s->local_max = MAX(s->local_max, c->lists.local_max);
    s->peer_max = MAX(s->peer_max, c->lists.peer_max);
}

static void finish_conn(struct sink *s, struct conn *c, uint64_t now)
{
    char rate[32], t[32], st[32];
    watch(s, c);
    mp_app_lists_clear(&c->lists);
    c->done = true;
    c->end = now;
    if (!c->reset && !c->aborted) {
        s->completed++;
        s->last_end = now;
    }
    afmp_close(c->fd);
    mp_units_format_rate(goodput_of(c->bytes, c->first, c->last), rate, sizeof(rate));
    mp_units_format_time(now - c->accepted, t, sizeof(t));
    mp_units_format_time(c->stall, st, sizeof(st));
    afmp_log("%s: [%3d] connection %u %s: %" G_GUINT64_FORMAT " bytes in %s, goodput %s, "
             "longest stall %s, %s",
             PROG, c->fd, c->idx, c->reset ? "failed" : c->aborted ? "aborted" : "done", c->bytes, t, rate, st,
             c->bad ? "NOT intact" : "intact");
    publish_conn(c);
}

/* Reads what |c| has; returns false when it is finished. The results are
 * published by the caller, once per wake-up rather than per read (a
 * process is only killed while it waits in a call that blocks, so what it
 * published before that is up to date). */
static bool on_readable(struct sink *s, struct conn *c)
{
    watch(s, c);
    for (;;) {
        ssize_t k = afmp_recv(c->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT);
        uint64_t now = afmp_now_ns();
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return true;
            afmp_log("%s: [%3d] recv after %" G_GUINT64_FORMAT " bytes: %s", PROG, c->fd,
                     c->bytes, g_strerror(errno));
            c->reset = s->reset = true;
            return false;
        }
        if (k == 0) {
            c->eof = true;
            return c->owed > 0;
        }
        size_t n = (size_t)k;
        if (!c->bad) {
            size_t at = mp_app_stream_check(s->buf, n, c->bytes);
            if (at < n) {
                afmp_log("%s: [%3d] byte %" G_GUINT64_FORMAT " is wrong: the stream is not "
                         "intact",
                         PROG, c->fd, c->bytes + at);
                c->bad = s->bad = true;
            }
        }
        if (c->bytes && now - c->last > c->stall)
            c->stall = now - c->last;
        if (c->stall > s->stall)
            s->stall = c->stall;
        if (!c->bytes)
            c->first = now;
        if (!s->bytes)
            s->first = now;
        c->last = s->last = now;
        c->bytes += n;
        s->bytes += n;
        if (s->conf->abort_after && c->bytes >= s->conf->abort_after) {
            /* close() with SO_LINGER 0 while the peer still sends: TCP's
             * RST, MPTCP's MP_FASTCLOSE (finish_conn closes). */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            afmp_setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            afmp_log("%s: [%3d] aborting after %" G_GUINT64_FORMAT " bytes (SO_LINGER 0)", PROG,
                     c->fd, c->bytes);
            c->aborted = true;
            s->aborted++;
            return false;
        }
        if (s->conf->respond) {
            c->req_progress += n;
            c->owed += c->req_progress / s->conf->request * s->conf->response;
            c->req_progress %= s->conf->request;
            respond(s, c);
        }
        /* A short read took all there was, and nothing can arrive before
         * the next call: poll says what comes next (the end of the stream
         * included), without a call that would only fail with EAGAIN. */
        if (n < sizeof(s->buf))
            return true;
    }
}


static void on_accept(struct sink *s, int lfd, uint64_t now)
{
    for (;;) {
        int fd = afmp_accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                afmp_log("%s: accept: %s", PROG, g_strerror(errno));
            return;
        }
        struct conn *c = g_new0(struct conn, 1);
        c->fd = fd;
        c->idx = s->conns->len + 1;
        c->accepted = now;
        if (!s->started) {
            s->started = true;
            s->first_accept = now;
        }
        g_ptr_array_add(s->conns, c);
        watch(s, c);
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        char abuf[INET6_ADDRSTRLEN] = "?";
        unsigned port = 0;
        if (afmp_getpeername(fd, (struct sockaddr *)&peer, &plen) == 0) {
            mp_app_addr_str((struct sockaddr *)&peer, abuf, sizeof(abuf));
            port = ntohs(peer.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&peer)->sin6_port
                                                    : ((struct sockaddr_in *)&peer)->sin_port);
        }
        afmp_log("%s: [%3d] connection %u from %s port %u", PROG, fd, c->idx, abuf, port);
        publish_conn(c);
        publish(s);
    }
}

/* Everything run() allocated: at its end, or when the process is killed. */
static void sink_free(void *arg)
{
    struct sink *s = arg;
    for (guint i = 0; i < s->conns->len; i++)
        mp_app_lists_clear(&((struct conn *)g_ptr_array_index(s->conns, i))->lists);
    g_ptr_array_free(s->conns, TRUE);
    if (s->pfd)
        g_array_free(s->pfd, TRUE);
    if (s->who)
        g_array_free(s->who, TRUE);
    g_free(s);
}

static int run(const struct sink_conf *cf)
{
    struct sink *s = g_new0(struct sink, 1);
    int lfd[2];
    unsigned nl = 0;
    struct mp_app_meter m;
    bool metering = false;

    s->conf = cf;
    s->conns = g_ptr_array_new_with_free_func(g_free);
    afmp_cleanup_push(sink_free, s);
    if (cf->multipath) {
        int fd = afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0);
        if (fd < 0)
            afmp_log("%s: socket(AF_MULTIPATH): %s", PROG, g_strerror(errno));
        else if (afmp_bind(fd, (const struct sockaddr *)&cf->mbind, cf->mblen) < 0 ||
                 afmp_listen(fd, BACKLOG) < 0) {
            char text[AFMP_MP_STRLEN];
            afmp_mp_format((const struct sockaddr *)&cf->mbind, cf->mblen, text, sizeof(text));
            afmp_log("%s: listen on %s: %s", PROG, text, g_strerror(errno));
            afmp_close(fd);
        } else {
            lfd[nl++] = fd;
        }
    } else if (cf->has_bind) {
        int fd = mp_app_tcp_listen(PROG, cf->bind.ss_family, cf->mptcp, &cf->bind, cf->blen, cf->port,
                                   BACKLOG);
        if (fd >= 0)
            lfd[nl++] = fd;
    } else {
        /* No dual-stack sockets here: one per family. */
        static const int fams[2] = {AF_INET, AF_INET6};
        for (int i = 0; i < 2; i++) {
            int fd = mp_app_tcp_listen(PROG, fams[i], cf->mptcp, NULL, 0, cf->port, BACKLOG);
            if (fd >= 0)
                lfd[nl++] = fd;
        }
    }
    if (!nl) {
        afmp_cleanup_pop(1);
        return MP_APP_EXIT_FAIL;
    }
    for (unsigned i = 0; i < nl; i++) {
        int fl = afmp_fcntl(lfd[i], F_GETFL, 0);
        if (fl >= 0)
            afmp_fcntl(lfd[i], F_SETFL, fl | O_NONBLOCK);
    }
    publish(s);
    GArray *pfd = s->pfd = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    GArray *who = s->who = g_array_new(FALSE, FALSE, sizeof(struct conn *));
    int rc = MP_APP_EXIT_OK;
    for (;;) {
        /* Done when --count connections were accepted and all are over. */
        if (cf->count && s->conns->len >= cf->count) {
            bool all = true;
            for (guint i = 0; i < s->conns->len && all; i++)
                all = ((struct conn *)g_ptr_array_index(s->conns, i))->done;
            if (all)
                break;
        }
        /* Sized once and written in place (appends were 2% of a bulk
         * transfer's instructions: this runs at every wake-up). */
        bool accepting = !cf->count || s->conns->len < cf->count;
        g_array_set_size(pfd, (accepting ? nl : 0) + s->conns->len);
        g_array_set_size(who, pfd->len);
        struct pollfd *pf = (struct pollfd *)pfd->data;
        struct conn **pw = (struct conn **)who->data;
        guint np = 0;
        for (unsigned i = 0; i < nl && accepting; i++, np++) {
            pf[np] = (struct pollfd){.fd = lfd[i], .events = POLLIN};
            pw[np] = NULL;
        }
        for (guint i = 0; i < s->conns->len; i++) {
            struct conn *c = g_ptr_array_index(s->conns, i);
            if (c->done)
                continue;
            pf[np] = (struct pollfd){
                .fd = c->fd, .events = (short)((c->eof ? 0 : POLLIN) | (c->owed ? POLLOUT : 0))};
            pw[np++] = c;
        }
        g_array_set_size(pfd, np);
        g_array_set_size(who, np);
        struct timespec ts;
        uint64_t now = afmp_now_ns();
        if (afmp_ppoll((struct pollfd *)pfd->data, pfd->len,
                       mp_app_timeout(&ts, now, metering ? mp_app_meter_next(&m) : MP_TIME_NEVER),
                       NULL) < 0) {
            afmp_log("%s: poll: %s", PROG, g_strerror(errno));
            rc = MP_APP_EXIT_FAIL;
            break;
        }
        now = afmp_now_ns();
        if (metering)
            mp_app_meter_tick(&m, now, s->bytes);
        for (guint i = 0; i < pfd->len; i++) {
            struct pollfd *p = &g_array_index(pfd, struct pollfd, i);
            struct conn *c = g_array_index(who, struct conn *, i);
            if (!p->revents)
                continue;
            if (!c) {
                on_accept(s, p->fd, now);
                if (!metering && s->started) {
                    metering = true;
                    mp_app_meter_init(&m, PROG, ((struct conn *)g_ptr_array_index(s->conns, 0))->fd,
                                      s->first_accept, cf->interval);
                }
                continue;
            }
            bool alive = true;
            if (!c->eof)
                alive = on_readable(s, c);
            if (alive && c->owed)
                respond(s, c);
            if (!alive || (c->eof && !c->owed))
                finish_conn(s, c, afmp_now_ns());
        }
        publish(s);
    }
    if (metering)
        mp_app_meter_finish(&m, s->last_end > s->first_accept ? s->last_end : afmp_now_ns(),
                            s->bytes, "receiver");
    publish(s);
    char rate[32], st[32];
    mp_units_format_rate(goodput_of(s->bytes, s->first, s->last), rate, sizeof(rate));
    mp_units_format_time(s->stall, st, sizeof(st));
    afmp_log("%s: %u connections, %" G_GUINT64_FORMAT " completed, %" G_GUINT64_FORMAT
             " bytes, goodput %s, longest stall %s, %s",
             PROG, s->conns->len, s->completed, s->bytes, rate, st,
             s->bad || s->reset ? "NOT intact" : "intact");
    if (s->bad || s->reset)
        rc = MP_APP_EXIT_FAIL;
    for (guint i = 0; i < s->conns->len; i++) {
        struct conn *c = g_ptr_array_index(s->conns, i);
        if (!c->done)
            afmp_close(c->fd);
    }
    for (unsigned i = 0; i < nl; i++)
        afmp_close(lfd[i]);
    afmp_cleanup_pop(1);
    return rc;
}

int mp_app_sink_main(int argc, char **argv)
{
    gint port = 0;
    char *bind = NULL, *count = NULL, *interval = NULL, *resp = NULL, *req = NULL,
         *abort_after = NULL;
    gboolean mptcp = FALSE, multipath = FALSE;
    const GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "TCP port to listen on", "P"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &bind,
         "local address (default: any, both families; --multipath: a comma-separated list)",
         "ADDR"},
        {"count", 0, 0, G_OPTION_ARG_STRING, &count,
         "end after N connections are over (default: until stopped)", "N"},
        {"interval", 0, 0, G_OPTION_ARG_STRING, &interval,
         "time between interval reports (default 1s; 0s: none)", "TIME"},
        {"respond", 0, 0, G_OPTION_ARG_STRING, &resp, "answer every request with SIZE bytes",
         "SIZE"},
        {"request", 0, 0, G_OPTION_ARG_STRING, &req, "request size for --respond", "SIZE"},
        {"abort-after", 0, 0, G_OPTION_ARG_STRING, &abort_after,
         "reset every connection (close with SO_LINGER 0; MPTCP: MP_FASTCLOSE) once it "
         "delivered SIZE bytes",
         "SIZE"},
        {"mptcp", 0, 0, G_OPTION_ARG_NONE, &mptcp,
         "listen with MPTCP (IPPROTO_MPTCP; plain TCP clients are accepted too)", NULL},
        {"multipath", 0, 0, G_OPTION_ARG_NONE, &multipath,
         "listen with one AF_MULTIPATH socket (MPTCP; plain TCP clients too)", NULL},
        {NULL},
    };
    struct sink_conf c = {.interval = MP_S(1)};
    int rc = MP_APP_EXIT_USAGE;
    bool help = false;

    switch (mp_app_parse_options(PROG, "", "Receives TCP streams and checks every byte.", entries,
                                 &argc, &argv)) {
    case MP_APP_OPTS_HELP:
        help = true;
        rc = MP_APP_EXIT_OK;
        break;
    case MP_APP_OPTS_ERROR:
        break;
    default:
        if (port <= 0 || port > 65535)
            afmp_log("%s: --port 1..65535 is required", PROG);
        else if (mptcp && multipath)
            afmp_log("%s: --mptcp and --multipath: AF_MULTIPATH is MPTCP already; give one",
                     PROG);
        else if (multipath ? !mp_app_parse_list(PROG, "--bind", bind ? bind : "0.0.0.0,[::]",
                                                (uint16_t)port, &c.mbind, &c.mblen)
                           : bind && !mp_app_resolve(PROG, bind, (uint16_t)port, &c.bind,
                                                     &c.blen))
            ;
        else if (count && !mp_app_opt_uint(PROG, "--count", count, UINT32_MAX, &c.count))
            ;
        else if (interval && !mp_app_opt_time(PROG, "--interval", interval, false, &c.interval))
            ;
        else if (!resp != !req)
            afmp_log("%s: --respond SIZE and --request SIZE go together", PROG);
        else if (resp && !mp_app_opt_size(PROG, "--respond", resp, &c.response))
            ;
        else if (req && !mp_app_opt_size(PROG, "--request", req, &c.request))
            ;
        else if (req && c.request == 0)
            afmp_log("%s: --request: expected at least 1B, got '%s'", PROG, req);
        else if (abort_after &&
                 (!mp_app_opt_size(PROG, "--abort-after", abort_after, &c.abort_after) ||
                  !c.abort_after))
            afmp_log("%s: --abort-after: expected at least 1B", PROG);
        else
            rc = MP_APP_EXIT_OK;
    }
    c.port = (uint16_t)port;
    c.mptcp = mptcp;
    c.multipath = multipath;
    c.has_bind = bind != NULL;
    c.respond = resp != NULL;
    g_free(bind);
    g_free(count);
    g_free(interval);
    g_free(resp);
    g_free(req);
    g_free(abort_after);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
