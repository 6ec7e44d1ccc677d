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
 *  - csum, fallback: on an MPTCP connection, 1 when DSS checksums are in
 *    use (MPTCP_INFO's mptcpi_csum_enabled); 1 when it goes on as TCP, from
 *    the handshake or later (RFC 8684 3.7: MPTCP_INFO fails with
 *    EOPNOTSUPP then).
 *  - aborted: with --abort-after, 1 once the connection was reset on
 *    purpose (close() with SO_LINGER 0 after that many bytes).
 *  - retransmissions, srtt_ns, rttvar_ns, rtt_min_ns, rtt_max_ns: from
 *    TCP_INFO when the socket layer offers it (tcpi_total_retrans, and the
 *    smoothed RTT sampled at every interval boundary and at the end);
 *    missing otherwise.
 *  - subflows: on an MPTCP connection (not fallen back), every subflow it
 *    established so far (MPTCP_INFO's mptcpi_subflows_total).
 *  - with --multipath: multipath 1, local_addrs and peer_addrs (entries of
 *    the getsockname / getpeername lists now), local_max, peer_max (the
 *    longest lists), list_changes (how often they changed). The lists are
 *    looked at every 100 ms and after every wake-up, and logged when they
 *    change.
 *
 * With --multipath the socket is AF_MULTIPATH: --to / --dst and --bind take
 * lists of addresses, and --add, --add-local and --remove-local call
 * connect() again, bind() again and setsockopt(TCP_MULTIPATH_REMOVE) at
 * the given times after the connection was established (the draft's ways
 * to change the lists of a live socket).
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
/* --multipath: the lists are looked at this often (and at every wake-up). */
#define LIST_PERIOD MP_MS(100)
#define MAX_SUBFLOWS 32

/* The calls that change a live AF_MULTIPATH socket's lists. */
enum { ACT_ADD, ACT_ADD_LOCAL, ACT_REMOVE_LOCAL, N_ACTS };
static const char *const act_opt[N_ACTS] = {"--add", "--add-local", "--remove-local"};

struct bulk_act {
    bool on;
    mp_time_t at; /* after the connection was established */
    struct sockaddr_mp_storage addrs;
    socklen_t len;
};

struct bulk_conf {
    struct sockaddr_storage dst, src;
    socklen_t dlen, slen;
    bool has_bind, has_bytes, has_duration;
    bool mptcp;     /* IPPROTO_MPTCP */
    bool multipath; /* AF_MULTIPATH: mdst, msrc */
    struct sockaddr_mp_storage mdst, msrc;
    socklen_t mdlen, mslen;
    struct bulk_act act[N_ACTS];
    uint64_t bytes, length;
    uint64_t abort_after; /* --abort-after (has_abort) */
    bool has_abort;
    mp_time_t duration, interval;
    uint16_t port;
};

struct bulk {
    const struct bulk_conf *conf;
    uint64_t sent, connect_ns, completion_ns, goodput;
    bool done, aborted;
    struct mp_app_stat rtt;
    bool have_info;
    struct tcp_info info;
    bool have_mpinfo, fell_back;
    struct afmp_mptcp_info mpinfo;
    struct mp_app_lists lists;
    /* MPTCP: bytes acknowledged per subflow (MPTCP_TCPINFO and
     * MPTCP_SUBFLOW_ADDRS), by local endpoint */
    bool per_subflow;
    struct {
        struct sockaddr_storage local;
        uint64_t acked;
    } sfs[MAX_SUBFLOWS];
    size_t nsfs;
    bool act_done[N_ACTS];
    uint64_t est; /* when the connection was established (0: not yet) */
};

/* The stream pattern at stream offset |off| (afmp_send_fill's generator:
 * byte i of a connection's stream is the pattern's byte i). */
static void stream_fill(void *arg, uint64_t off, uint8_t *dst, size_t n)
{
    mp_app_stream_fill(dst, n, off);
}

static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                       &((const struct sockaddr_in *)b)->sin_addr, 4);
    return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                   &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

static uint16_t port_of(const struct sockaddr_storage *a)
{
    return a->ss_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port
                                   : ((const struct sockaddr_in6 *)a)->sin6_port;
}

static void publish(const struct bulk *b)
{
    afmp_result("bytes", (int64_t)b->sent);
    afmp_result("connect_ns", (int64_t)b->connect_ns);
    afmp_result("completion_ns", (int64_t)b->completion_ns);
    afmp_result("goodput_bps", (int64_t)b->goodput);
    afmp_result("done", b->done);
    if (b->conf->has_abort)
        afmp_result("aborted", b->aborted);
    if (b->have_info) {
        afmp_result("retransmissions", b->info.tcpi_total_retrans);
        afmp_result("srtt_ns", (int64_t)b->info.tcpi_rtt * 1000);
        afmp_result("rttvar_ns", (int64_t)b->info.tcpi_rttvar * 1000);
        afmp_result("rtt_min_ns", (int64_t)b->rtt.min);
        afmp_result("rtt_max_ns", (int64_t)b->rtt.max);
    }
    if (b->have_mpinfo) {
        afmp_result("subflows", b->mpinfo.mptcpi_subflows_total);
        afmp_result("csum", b->mpinfo.mptcpi_csum_enabled);
    }
    if (b->conf->mptcp || b->conf->multipath)
        afmp_result("fallback", b->fell_back);
    /* path_bytes.<local address>: what the subflows from it carried. */
    for (size_t i = 0; i < b->nsfs; i++) {
        char ip[INET6_ADDRSTRLEN], key[80];
        uint64_t sum = 0;
        bool first = true;
        for (size_t j = 0; j < b->nsfs; j++) {
            if (!same_ip(&b->sfs[i].local, &b->sfs[j].local))
                continue;
            first = first && j >= i;
            sum += b->sfs[j].acked;
        }
        if (!first)
            continue;
        mp_app_addr_str((const struct sockaddr *)&b->sfs[i].local, ip, sizeof(ip));
        g_snprintf(key, sizeof(key), "path_bytes.%s", ip);
        afmp_result(key, (int64_t)sum);
    }
    if (b->conf->multipath) {
        afmp_result("multipath", 1);
        afmp_result("local_addrs", b->lists.nlocal);
        afmp_result("peer_addrs", b->lists.npeer);
        afmp_result("local_max", b->lists.local_max);
        afmp_result("peer_max", b->lists.peer_max);
        afmp_result("list_changes", b->lists.changes);
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
    struct afmp_mptcp_info mi;
    len = sizeof(mi);
    if (afmp_getsockopt(fd, SOL_MPTCP, AFMP_MPTCP_INFO, &mi, &len) == 0 &&
        len == sizeof(mi)) {
        b->have_mpinfo = true;
        b->mpinfo = mi;
    } else if (errno == EOPNOTSUPP && (b->conf->mptcp || b->conf->multipath)) {
        b->fell_back = true; /* an MPTCP connection that goes on as TCP */
    }
}

/* Samples the subflows (MPTCP_SUBFLOW_ADDRS and MPTCP_TCPINFO list the
 * live ones in the same order); false when the socket has none to tell. */
static bool sample_subflows(struct bulk *b, int fd)
{
    struct {
        struct afmp_mptcp_subflow_data hd;
        struct afmp_mptcp_subflow_addrs a[MAX_SUBFLOWS];
    } addrs;
    struct {
        struct afmp_mptcp_subflow_data hd;
        struct afmp_tcp_info t[MAX_SUBFLOWS];
    } infos;
    int na = mp_app_subflows(fd, AFMP_MPTCP_SUBFLOW_ADDRS, &addrs, sizeof(addrs), sizeof(addrs.a[0]));
    int ni = mp_app_subflows(fd, AFMP_MPTCP_TCPINFO, &infos, sizeof(infos), sizeof(infos.t[0]));
    if (na < 0 || ni < 0)
        return false;
    size_t n = (size_t)MIN(MIN(na, ni), MAX_SUBFLOWS);
    for (size_t i = 0; i < n; i++) {
        const struct sockaddr_storage *l = &addrs.a[i].ss_local;
        size_t j = 0;
        while (j < b->nsfs && (!same_ip(&b->sfs[j].local, l) ||
                               port_of(&b->sfs[j].local) != port_of(l)))
            j++;
        if (j == b->nsfs) {
            if (b->nsfs == MAX_SUBFLOWS)
                continue;
            b->sfs[b->nsfs].local = *l;
            b->sfs[b->nsfs].acked = 0;
            b->nsfs++;
        }
        b->sfs[j].acked = MAX(b->sfs[j].acked, infos.t[i].tcpi_bytes_acked);
    }
    return true;
}

/* Runs the list changes that are due; returns when the next one is. */
static uint64_t run_acts(struct bulk *b, int fd, uint64_t now)
{
    const struct bulk_conf *c = b->conf;
    uint64_t next = MP_TIME_NEVER;
    char text[AFMP_MP_STRLEN];
    for (int i = 0; i < N_ACTS; i++) {
        const struct bulk_act *a = &c->act[i];
        if (!a->on || b->act_done[i] || !b->est)
            continue;
        if (now < b->est + a->at) {
            next = MIN(next, b->est + a->at);
            continue;
        }
        b->act_done[i] = true;
        const struct sockaddr *sa = (const struct sockaddr *)&a->addrs;
        int rc = i == ACT_ADD         ? afmp_connect(fd, sa, a->len)
                 : i == ACT_ADD_LOCAL ? afmp_bind(fd, sa, a->len)
                                      : afmp_setsockopt(fd, IPPROTO_TCP, TCP_MULTIPATH_REMOVE,
                                                        sa, a->len);
        afmp_mp_format(sa, a->len, text, sizeof(text));
        const char *what = i == ACT_ADD         ? "connect() again with"
                           : i == ACT_ADD_LOCAL ? "bind() again with"
                                                : "TCP_MULTIPATH_REMOVE of";
        if (rc < 0)
            afmp_log("%s: [%3d] %s %s: %s", PROG, fd, what, text, g_strerror(errno));
        else
            afmp_log("%s: [%3d] %s %s", PROG, fd, what, text);
    }
    return next;
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
    if (b->conf->multipath)
        until = MIN(MIN(until, run_acts(b, fd, now)), now + LIST_PERIOD);
    if (b->per_subflow)
        until = MIN(until, now + LIST_PERIOD);
    int rc = afmp_ppoll(&p, 1, mp_app_timeout(&ts, now, until), NULL);
    if (rc < 0) {
        afmp_log("%s: poll: %s", PROG, g_strerror(errno));
        return -1;
    }
    now = afmp_now_ns();
    if (b->conf->multipath) {
        run_acts(b, fd, now);
        mp_app_lists_watch(PROG, fd, &b->lists);
    }
    if (b->per_subflow && sample_subflows(b, fd))
        publish(b);
    if (now >= mp_app_meter_next(m)) {
        sample_info(b, fd);
        mp_app_meter_tick(m, now, b->sent);
        publish(b);
    }
    return rc > 0 ? p.revents : 0;
}

static void lists_free(void *arg)
{
    mp_app_lists_clear(arg);
}

static int run(const struct bulk_conf *c)
{
    struct bulk b = {.conf = c};
    char abuf[AFMP_MP_STRLEN], tbuf[32];
    struct mp_app_meter m;

    publish(&b);
    int fd = c->multipath ? afmp_socket(AF_MULTIPATH, SOCK_STREAM, 0)
                          : afmp_socket(c->dst.ss_family, SOCK_STREAM,
                                        c->mptcp ? AFMP_IPPROTO_MPTCP : 0);
    if (fd < 0) {
        afmp_log("%s: socket%s: %s", PROG, c->multipath ? "(AF_MULTIPATH)" : "",
                 g_strerror(errno));
        return MP_APP_EXIT_FAIL;
    }
    const struct sockaddr *src = c->multipath ? (const struct sockaddr *)&c->msrc
                                              : (const struct sockaddr *)&c->src;
    const struct sockaddr *dst = c->multipath ? (const struct sockaddr *)&c->mdst
                                              : (const struct sockaddr *)&c->dst;
    if (c->multipath) {
        afmp_mp_format(dst, c->mdlen, abuf, sizeof(abuf));
    } else {
        mp_app_addr_str(dst, abuf, sizeof(abuf));
        g_strlcat(abuf, " port ", sizeof(abuf));
        g_snprintf(tbuf, sizeof(tbuf), "%u", c->port);
        g_strlcat(abuf, tbuf, sizeof(abuf));
    }
    if (c->has_bind && afmp_bind(fd, src, c->multipath ? c->mslen : c->slen) < 0) {
        char sbuf[AFMP_MP_STRLEN];
        if (c->multipath)
            afmp_mp_format(src, c->mslen, sbuf, sizeof(sbuf));
        else
            mp_app_addr_str(src, sbuf, sizeof(sbuf));
        afmp_log("%s: bind %s: %s", PROG, sbuf, g_strerror(errno));
        afmp_close(fd);
        return MP_APP_EXIT_FAIL;
    }
    const uint64_t start = afmp_now_ns();
    if (afmp_connect(fd, dst, c->multipath ? c->mdlen : c->dlen) < 0) {
        afmp_log("%s: connect to %s: %s", PROG, abuf, g_strerror(errno));
        afmp_close(fd);
        return MP_APP_EXIT_FAIL;
    }
    const uint64_t est = afmp_now_ns();
    b.est = est;
    b.connect_ns = est - start;
    mp_units_format_time(b.connect_ns, tbuf, sizeof(tbuf));
    afmp_log("%s: [%3d] connected to %s in %s", PROG, fd, abuf, tbuf);
    afmp_cleanup_push(lists_free, &b.lists);
    if (c->multipath)
        mp_app_lists_watch(PROG, fd, &b.lists);
    b.per_subflow = sample_subflows(&b, fd);
    publish(&b);
    /* Non-blocking from here: the process must wake at interval
     * boundaries while the send buffer is full. */
    int fl = afmp_fcntl(fd, F_GETFL, 0);
    if (fl >= 0)
        afmp_fcntl(fd, F_SETFL, fl | O_NONBLOCK);

    mp_app_meter_init(&m, PROG, fd, est, c->interval);
    const uint64_t end = c->has_duration ? est + c->duration : MP_TIME_NEVER;
    uint8_t *buf = g_malloc(c->length);
    afmp_cleanup_push(g_free, buf);
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
        if (c->has_abort && c->abort_after - b.sent < n)
            n = (size_t)(c->abort_after - b.sent);
        /* The pattern is generated where the stack needs it (into each
         * segment), not copied through a buffer: the bytes are the same. */
        ssize_t k = afmp_send_fill(fd, n, MSG_DONTWAIT | MSG_NOSIGNAL, stream_fill, NULL);
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
        if (c->has_abort && b.sent >= c->abort_after) {
            /* close() with SO_LINGER 0: TCP's RST, MPTCP's MP_FASTCLOSE. */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            afmp_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            b.aborted = true;
            afmp_log("%s: aborting after %" G_GUINT64_FORMAT " bytes (SO_LINGER 0)", PROG,
                     b.sent);
            break;
        }
    }
    const uint64_t sent_end = afmp_now_ns();
    if (rc == MP_APP_EXIT_OK && !b.aborted && afmp_shutdown(fd, SHUT_WR) < 0) {
        afmp_log("%s: shutdown: %s", PROG, g_strerror(errno));
        rc = MP_APP_EXIT_FAIL;
    }
    mp_app_meter_finish(&m, sent_end, b.sent, "sender");

    /* The peer closes once it has read everything: its FIN ends the
     * transfer. Anything it sends before is read and dropped. */
    uint64_t unexpected = 0;
    while (rc == MP_APP_EXIT_OK && !b.aborted) {
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
    afmp_cleanup_pop(1);
    sample_info(&b, fd);
    if (b.per_subflow)
        sample_subflows(&b, fd);
    publish(&b);
    afmp_cleanup_pop(1); /* the lists */
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
    if (b.have_mpinfo)
        afmp_log("%s: MPTCP, %u subflows established", PROG, b.mpinfo.mptcpi_subflows_total);
    return rc;
}

/* The options as given (NULL: absent). */
struct bulk_opts {
    char *dst, *to, *bind, *bytes, *duration, *interval, *length, *abort_after;
    char *act[N_ACTS], *act_at[N_ACTS];
    gint port;
    gboolean mptcp, multipath;
};

/* --to / --dst for an AF_MULTIPATH socket: lists. */
static bool configure_multipath(const struct bulk_opts *o, struct bulk_conf *c)
{
    if (o->mptcp) {
        afmp_log("%s: --mptcp and --multipath: AF_MULTIPATH is MPTCP already; give one", PROG);
        return false;
    }
    if (o->to && !mp_app_parse_list(PROG, "--to", o->to, 0, &c->mdst, &c->mdlen))
        return false;
    if (o->dst && !mp_app_parse_list(PROG, "--dst", o->dst, (uint16_t)o->port, &c->mdst,
                                     &c->mdlen))
        return false;
    struct afmp_mp_entry first;
    afmp_mp_get((struct sockaddr *)&c->mdst, c->mdlen, 0, &first);
    c->port = first.port;
    if (o->bind && !mp_app_parse_list(PROG, "--bind", o->bind, 0xffff, &c->msrc, &c->mslen))
        return false;
    if (o->bind) {
        /* The source port is the stack's: the list's ports become 0. */
        afmp_mp_set_port((struct sockaddr *)&c->msrc, c->mslen, 0);
    }
    for (int i = 0; i < N_ACTS; i++) {
        struct bulk_act *a = &c->act[i];
        if (!o->act[i] && !o->act_at[i])
            continue;
        if (!o->act[i] || !o->act_at[i]) {
            afmp_log("%s: %s LIST and %s-at TIME go together", PROG, act_opt[i], act_opt[i]);
            return false;
        }
        char *at_opt = g_strdup_printf("%s-at", act_opt[i]);
        bool ok = mp_app_opt_time(PROG, at_opt, o->act_at[i], false, &a->at);
        g_free(at_opt);
        /* Remote addresses take the destination's port; local ones none. */
        uint16_t port = i == ACT_ADD ? c->port : 0xffff;
        ok = ok && mp_app_parse_list(PROG, act_opt[i], o->act[i], port, &a->addrs, &a->len);
        if (!ok)
            return false;
        if (i != ACT_ADD)
            afmp_mp_set_port((struct sockaddr *)&a->addrs, a->len, 0);
        a->on = true;
    }
    return true;
}

static int configure(const struct bulk_opts *o, struct bulk_conf *c)
{
    char *host = NULL;
    uint16_t p = 0;

    memset(c, 0, sizeof(*c));
    c->interval = MP_S(1);
    c->length = DEFAULT_LENGTH;
    c->mptcp = o->mptcp;
    c->multipath = o->multipath;
    if (o->bytes && o->duration) {
        afmp_log("%s: give --bytes or --duration, not both", PROG);
        return MP_APP_EXIT_USAGE;
    }
    if (o->bytes && !mp_app_opt_size(PROG, "--bytes", o->bytes, &c->bytes))
        return MP_APP_EXIT_USAGE;
    if (o->duration && !mp_app_opt_time(PROG, "--duration", o->duration, false, &c->duration))
        return MP_APP_EXIT_USAGE;
    if (o->interval && !mp_app_opt_time(PROG, "--interval", o->interval, false, &c->interval))
        return MP_APP_EXIT_USAGE;
    if (o->length && !mp_app_opt_size(PROG, "--length", o->length, &c->length))
        return MP_APP_EXIT_USAGE;
    if (o->abort_after && !mp_app_opt_size(PROG, "--abort-after", o->abort_after, &c->abort_after))
        return MP_APP_EXIT_USAGE;
    c->has_abort = o->abort_after != NULL;
    if (c->length == 0 || c->length > MAX_LENGTH) {
        afmp_log("%s: --length: expected 1B..%uB, got '%s'", PROG, MAX_LENGTH, o->length);
        return MP_APP_EXIT_USAGE;
    }
    if (o->to && (o->dst || o->port)) {
        afmp_log("%s: give either --to HOST:PORT or --dst ADDR --port P", PROG);
        return MP_APP_EXIT_USAGE;
    }
    if (!o->to && (!o->dst || o->port <= 0 || o->port > 65535)) {
        afmp_log("%s: --dst ADDR and --port 1..65535 are required (or --to HOST:PORT)", PROG);
        return MP_APP_EXIT_USAGE;
    }
    for (int i = 0; i < N_ACTS; i++)
        if (!o->multipath && (o->act[i] || o->act_at[i])) {
            afmp_log("%s: %s needs --multipath (an AF_MULTIPATH socket)", PROG, act_opt[i]);
            return MP_APP_EXIT_USAGE;
        }
    c->has_bind = o->bind != NULL;
    c->has_bytes = o->bytes != NULL;
    c->has_duration = o->duration != NULL;
    if (o->multipath) {
        if (!configure_multipath(o, c))
            return MP_APP_EXIT_USAGE;
        return MP_APP_EXIT_OK;
    }
    if (o->to) {
        if (!mp_app_split_hostport(PROG, "--to", o->to, &host, &p))
            return MP_APP_EXIT_USAGE;
    } else {
        host = g_strdup(o->dst);
        p = (uint16_t)o->port;
    }
    bool ok = mp_app_resolve(PROG, host, p, &c->dst, &c->dlen);
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
    c->port = p;
    return MP_APP_EXIT_OK;
}

int mp_app_bulk_send_main(int argc, char **argv)
{
    struct bulk_opts o;
    memset(&o, 0, sizeof(o));
    const GOptionEntry entries[] = {
        {"dst", 0, 0, G_OPTION_ARG_STRING, &o.dst,
         "destination address (--multipath: addresses, comma-separated)", "ADDR"},
        {"port", 0, 0, G_OPTION_ARG_INT, &o.port, "destination port", "P"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &o.to,
         "destination as one word (--multipath: several, comma-separated)", "HOST:PORT"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &o.bind,
         "source address (--multipath: addresses, comma-separated)", "ADDR"},
        {"bytes", 0, 0, G_OPTION_ARG_STRING, &o.bytes, "send this many bytes", "SIZE"},
        {"duration", 0, 0, G_OPTION_ARG_STRING, &o.duration,
         "send for this long after connecting (neither: until stopped)", "TIME"},
        {"interval", 0, 0, G_OPTION_ARG_STRING, &o.interval,
         "seconds between interval reports (default 1s; 0s: none)", "TIME"},
        {"abort-after", 0, 0, G_OPTION_ARG_STRING, &o.abort_after,
         "after sending SIZE bytes, close with SO_LINGER 0 (a reset; MPTCP: MP_FASTCLOSE)",
         "SIZE"},
        {"length", 0, 0, G_OPTION_ARG_STRING, &o.length, "bytes per send (default 128KiB)",
         "SIZE"},
        {"mptcp", 0, 0, G_OPTION_ARG_NONE, &o.mptcp,
         "open an MPTCP socket (IPPROTO_MPTCP; plain TCP if the peer lacks MPTCP)", NULL},
        {"multipath", 0, 0, G_OPTION_ARG_NONE, &o.multipath,
         "open an AF_MULTIPATH socket (MPTCP to every destination address)", NULL},
        {"add", 0, 0, G_OPTION_ARG_STRING, &o.act[ACT_ADD],
         "connect() again with these remote addresses (--multipath)", "LIST"},
        {"add-at", 0, 0, G_OPTION_ARG_STRING, &o.act_at[ACT_ADD],
         "... this long after the connection was established", "TIME"},
        {"add-local", 0, 0, G_OPTION_ARG_STRING, &o.act[ACT_ADD_LOCAL],
         "bind() again with these local addresses (--multipath)", "LIST"},
        {"add-local-at", 0, 0, G_OPTION_ARG_STRING, &o.act_at[ACT_ADD_LOCAL],
         "... this long after the connection was established", "TIME"},
        {"remove-local", 0, 0, G_OPTION_ARG_STRING, &o.act[ACT_REMOVE_LOCAL],
         "setsockopt(TCP_MULTIPATH_REMOVE) with these local addresses (--multipath)", "LIST"},
        {"remove-local-at", 0, 0, G_OPTION_ARG_STRING, &o.act_at[ACT_REMOVE_LOCAL],
         "... this long after the connection was established", "TIME"},
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
        rc = configure(&o, &c);
    }
    char **strs[] = {&o.dst,     &o.to,     &o.bind,      &o.bytes,     &o.duration,
                     &o.interval, &o.length, &o.abort_after, &o.act[0], &o.act[1],
                     &o.act[2],  &o.act_at[0], &o.act_at[1], &o.act_at[2]};
    for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
        g_free(*strs[i]);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
