/*
 * afmp: the socket layer (see afmp.h): file descriptors per process,
 * sockaddr conversion, blocking by parking the calling process, poll.
 *
 * Stream sockets keep Linux's split between the socket (struct socket: not
 * connected, connecting, connected) and the protocol state (the TCP
 * connection's RFC 9293 state): connect() and shutdown() decide on both, as
 * inet_stream_connect() and inet_shutdown() do.
 */
#include "afmp/afmp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <string.h>

#include "afmp/resolver.h"
#include "afmp/stack.h"
#include "model/net/icmp.h"
#include "model/net/addr.h"
#include "model/net/udp.h"
#include "model/mptcp/mptcp.h"
#include "model/tcp/tcp.h"
#include "sim/proc/proc.h"

enum kind { K_UDP, K_PING, K_TCP };

/* Addresses per AF_MULTIPATH socket and side (MPTCP's MP_MPTCP_MAX_ADDRS). */
#define AFMP_SOCK_MAX_ADDRS 8

/* A stream socket. */
struct tsock {
    struct mp_host *h;
    struct mp_tcp_stack *stack;
    struct mp_tcp_conn *conn; /* NULL until connect() or listen() */
    bool mptcp;               /* IPPROTO_MPTCP: the connection is an msk */
    struct mp_mptcp_sock *msk; /* when mptcp: NULL until connect() or listen() */
    struct mp_tcp_opts o;     /* for the connection(s) it will make */
    struct mp_endpoint bound; /* valid when is_bound */
    bool is_bound;
    bool user_bound;          /* by bind(), not picked at connect() */
    bool listening;
    bool connecting;          /* Linux SS_CONNECTING */
    bool connected;           /* Linux SS_CONNECTED */
    bool rd_shut, wr_shut;
    bool reuseaddr;
    /* AF_MULTIPATH: the local addresses bind() gave (bound is the first) */
    bool multipath;
    int backlog;              /* of the listener */
    struct mp_endpoint locals[AFMP_SOCK_MAX_ADDRS];
    size_t nlocals;
};

struct poller {
    struct mp_waitq wq;
};

struct file {
    enum kind kind;
    int domain, type, protocol;
    union {
        struct mp_udp_sock *udp;
        struct mp_ping_sock *ping;
        struct tsock *tcp;
    };
    struct mp_waitq wq;
    GPtrArray *pollers; /* struct poller *, processes in afmp_poll on us */
    bool nonblock;
    mp_time_t rcvtimeo, sndtimeo; /* 0: none */
    int refs;
};

struct pstate {
    uint32_t pid;
    GPtrArray *fds; /* struct file *, index = fd; NULL: free */
    /* While the process is blocked: the files its call holds a reference
     * on, and its poller (on its own stack). A process killed while blocked
     * never returns from the call, so its exit releases them. */
    GPtrArray *held;
    struct poller *poller;
    GArray *results; /* struct afmp_result */
    GString *log;
    /* Every address an AF_MULTIPATH getsockname()/getpeername() returned
     * (struct mp_ip, first seen first), for the scenario's addrs checks. */
    GArray *seen[2];
};

struct afmp_stack {
    struct mp_host *h;
    void *resolver; /* afmp/resolver.c's */
    GPtrArray *procs; /* struct pstate *, by pid order of first use */
    GPtrArray *tcp;   /* struct file *: the host's stream sockets (ports) */
    bool teardown;    /* afmp_stack_detach: the world is going away */
    struct afmp_stack_conf conf;
};

void afmp_stack_attach(struct mp_host *h)
{
    struct afmp_stack *st = g_new0(struct afmp_stack, 1);
    st->h = h;
    st->procs = g_ptr_array_new();
    st->tcp = g_ptr_array_new();
    st->conf.multipath = true;
    h->sock = st;
}

void afmp_stack_configure(struct mp_host *h, const struct afmp_stack_conf *conf)
{
    struct afmp_stack *st = h->sock;
    if (st && conf)
        st->conf = *conf;
}

bool afmp_stack_has_multipath(const struct mp_host *h)
{
    const struct afmp_stack *st = h ? h->sock : NULL;
    return st && st->conf.multipath;
}

static void tcp_file_free(struct file *f);

static void file_free(struct file *f)
{
    if (f->kind == K_UDP)
        mp_udp_sock_free(f->udp);
    else if (f->kind == K_PING)
        mp_ping_sock_free(f->ping);
    else
        tcp_file_free(f);
    /* Processes blocked on a closed file (another process's, shared) wake
     * and find it gone. */
    mp_waitq_wake_all(&f->wq);
    g_ptr_array_free(f->pollers, TRUE);
    g_free(f);
}

static void release_held(struct pstate *ps)
{
    for (guint i = 0; i < ps->held->len; i++) {
        struct file *f = g_ptr_array_index(ps->held, i);
        if (ps->poller)
            g_ptr_array_remove(f->pollers, ps->poller);
        if (--f->refs == 0)
            file_free(f);
    }
    g_ptr_array_set_size(ps->held, 0);
    ps->poller = NULL;
}

static void pstate_close_all(struct pstate *ps)
{
    release_held(ps);
    for (guint i = 0; i < ps->fds->len; i++) {
        struct file *f = g_ptr_array_index(ps->fds, i);
        if (f && --f->refs == 0)
            file_free(f);
        g_ptr_array_index(ps->fds, i) = NULL;
    }
}

void afmp_stack_detach(struct mp_host *h)
{
    struct afmp_stack *st = h->sock;
    if (!st)
        return;
    /* Connections are left to mp_tcp_detach(): closing them now would send
     * FINs into a world being freed. */
    st->teardown = true;
    for (guint i = 0; i < st->procs->len; i++) {
        struct pstate *ps = g_ptr_array_index(st->procs, i);
        pstate_close_all(ps);
        g_ptr_array_free(ps->fds, TRUE);
        g_ptr_array_free(ps->held, TRUE);
        for (guint j = 0; j < ps->results->len; j++)
            g_free(g_array_index(ps->results, struct afmp_result, j).key);
        g_array_free(ps->results, TRUE);
        g_string_free(ps->log, TRUE);
        g_array_free(ps->seen[0], TRUE);
        g_array_free(ps->seen[1], TRUE);
        g_free(ps);
    }
    g_ptr_array_free(st->procs, TRUE);
    g_ptr_array_free(st->tcp, TRUE);
    afmp_resolver_host_free(st->resolver);
    g_free(st);
    h->sock = NULL;
}

static struct pstate *pstate_of(struct afmp_stack *st, uint32_t pid, bool create)
{
    for (guint i = 0; i < st->procs->len; i++) {
        struct pstate *ps = g_ptr_array_index(st->procs, i);
        if (ps->pid == pid)
            return ps;
    }
    if (!create)
        return NULL;
    struct pstate *ps = g_new0(struct pstate, 1);
    ps->pid = pid;
    ps->fds = g_ptr_array_new();
    ps->held = g_ptr_array_new();
    ps->results = g_array_new(FALSE, FALSE, sizeof(struct afmp_result));
    ps->log = g_string_new(NULL);
    ps->seen[0] = g_array_new(FALSE, FALSE, sizeof(struct mp_ip));
    ps->seen[1] = g_array_new(FALSE, FALSE, sizeof(struct mp_ip));
    /* 0, 1, 2 are the standard streams. */
    for (int i = 0; i < 3; i++)
        g_ptr_array_add(ps->fds, NULL);
    g_ptr_array_add(st->procs, ps);
    return ps;
}

void afmp_stack_proc_exit(struct mp_proc *p, void *arg)
{
    struct mp_host *h = mp_proc_host(p);
    struct afmp_stack *st = h ? h->sock : NULL;
    if (!st)
        return;
    struct pstate *ps = pstate_of(st, mp_proc_pid(p), false);
    if (ps)
        pstate_close_all(ps);
}

void **afmp_stack_resolver_slot(struct mp_host *h)
{
    struct afmp_stack *st = h ? h->sock : NULL;
    return st ? &st->resolver : NULL;
}

const GArray *afmp_stack_results(struct mp_host *h, uint32_t pid)
{
    struct pstate *ps = h->sock ? pstate_of(h->sock, pid, false) : NULL;
    return ps && ps->results->len ? ps->results : NULL;
}

const GArray *afmp_stack_seen_addrs(struct mp_host *h, uint32_t pid, bool peer)
{
    struct pstate *ps = h->sock ? pstate_of(h->sock, pid, false) : NULL;
    return ps ? ps->seen[peer] : NULL;
}

const char *afmp_stack_log(struct mp_host *h, uint32_t pid)
{
    struct pstate *ps = h->sock ? pstate_of(h->sock, pid, false) : NULL;
    return ps && ps->log->len ? ps->log->str : NULL;
}

/* ---- the calling process ---- */

struct ctx {
    struct mp_proc *p;
    struct mp_host *h;
    struct afmp_stack *st;
    struct pstate *ps;
};

static bool current(struct ctx *c)
{
    c->p = mp_proc_current();
    c->h = c->p ? mp_proc_host(c->p) : NULL;
    c->st = c->h ? c->h->sock : NULL;
    if (!c->st) {
        errno = EPERM;
        return false;
    }
    c->ps = pstate_of(c->st, mp_proc_pid(c->p), true);
    return true;
}

static struct file *file_of(struct ctx *c, int fd)
{
    if (fd < 0 || (guint)fd >= c->ps->fds->len || !g_ptr_array_index(c->ps->fds, fd)) {
        errno = EBADF;
        return NULL;
    }
    return g_ptr_array_index(c->ps->fds, fd);
}

static int fail(int negerr)
{
    errno = -negerr;
    return -1;
}

static void file_wake(void *arg)
{
    struct file *f = arg;
    mp_waitq_wake_all(&f->wq);
    for (guint i = 0; i < f->pollers->len; i++)
        mp_waitq_wake_all(&((struct poller *)g_ptr_array_index(f->pollers, i))->wq);
}

static int fd_alloc(struct pstate *ps, struct file *f)
{
    for (guint i = 3; i < ps->fds->len; i++) {
        if (!g_ptr_array_index(ps->fds, i)) {
            g_ptr_array_index(ps->fds, i) = f;
            return (int)i;
        }
    }
    g_ptr_array_add(ps->fds, f);
    return (int)ps->fds->len - 1;
}

static struct tsock *tsock_new(struct afmp_stack *st, struct mp_tcp_stack *ts)
{
    struct tsock *t = g_new0(struct tsock, 1);
    t->h = st->h;
    t->stack = ts;
    t->o = *mp_tcp_stack_defaults(ts);
    return t;
}

static bool mptcp_on(struct mp_host *h)
{
    struct mp_mptcp_stack *ms = mp_mptcp_stack_of(h);
    return ms && mp_mptcp_stack_config(ms)->enabled;
}

/* socket(AF_MULTIPATH, SOCK_STREAM, 0 or IPPROTO_MPTCP): an MPTCP socket
 * that takes containers (the draft: an AF_MULTIPATH address means MPTCP).
 * MPTCP disabled on the host: ENOPROTOOPT, as for IPPROTO_MPTCP. */
static int mp_socket(struct ctx *c, int type, int protocol, int flags)
{
    struct mp_tcp_stack *ts = mp_tcp_stack_of(c->h);
    if (type != SOCK_STREAM)
        return fail(type == SOCK_DGRAM || type == SOCK_RAW ? -EPROTONOSUPPORT : -EINVAL);
    if (protocol != 0 && protocol != IPPROTO_TCP && protocol != AFMP_IPPROTO_MPTCP)
        return fail(-EPROTONOSUPPORT);
    if (!ts || !mp_mptcp_stack_of(c->h))
        return fail(-EAFNOSUPPORT);
    if (!mptcp_on(c->h))
        return fail(-ENOPROTOOPT);
    struct file *f = g_new0(struct file, 1);
    f->domain = AF_MULTIPATH;
    f->type = type;
    f->pollers = g_ptr_array_new();
    f->nonblock = (flags & SOCK_NONBLOCK) != 0;
    f->refs = 1;
    f->kind = K_TCP;
    f->protocol = AFMP_IPPROTO_MPTCP;
    f->tcp = tsock_new(c->st, ts);
    f->tcp->mptcp = true;
    f->tcp->multipath = true;
    g_ptr_array_add(c->st->tcp, f);
    return fd_alloc(c->ps, f);
}

int afmp_socket(int domain, int type, int protocol)
{
    struct ctx c;
    if (!current(&c))
        return -1;
    int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain == AF_MULTIPATH && c.st->conf.multipath)
        return mp_socket(&c, type, protocol, flags);
    /* A stack without AF_MULTIPATH answers as Linux does for a family it
     * does not know, so the program can retry with AF_INET (the draft). */
    if (domain != AF_INET && domain != AF_INET6)
        return fail(-EAFNOSUPPORT);
    uint8_t v = domain == AF_INET ? 4 : 6;
    struct mp_tcp_stack *ts = NULL;
    struct file *f = g_new0(struct file, 1);
    f->domain = domain;
    f->type = type;
    f->pollers = g_ptr_array_new();
    f->nonblock = (flags & SOCK_NONBLOCK) != 0;
    f->refs = 1;
    if (type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)) {
        f->kind = K_UDP;
        f->protocol = IPPROTO_UDP;
        f->udp = mp_udp_sock_new(c.h, v, file_wake, f);
    } else if (type == SOCK_DGRAM &&
               ((v == 4 && protocol == IPPROTO_ICMP) || (v == 6 && protocol == IPPROTO_ICMPV6))) {
        f->kind = K_PING;
        f->protocol = protocol;
        f->ping = mp_ping_sock_new(c.h, v, file_wake, f);
    } else if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP) &&
               (ts = mp_tcp_stack_of(c.h)) && !(c.st->conf.mptcpize && mptcp_on(c.h))) {
        f->kind = K_TCP;
        f->protocol = IPPROTO_TCP;
        f->tcp = tsock_new(c.st, ts);
        g_ptr_array_add(c.st->tcp, f);
    } else if (type == SOCK_STREAM &&
               (protocol == AFMP_IPPROTO_MPTCP || protocol == 0 || protocol == IPPROTO_TCP) &&
               (ts = mp_tcp_stack_of(c.h)) && mptcp_on(c.h)) {
        /* mptcpize (a plain TCP socket made MPTCP, as Linux's mptcpize
         * tool does by changing the protocol) or IPPROTO_MPTCP. */
        /* Linux: socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP). */
        f->kind = K_TCP;
        f->protocol = AFMP_IPPROTO_MPTCP;
        f->tcp = tsock_new(c.st, ts);
        f->tcp->mptcp = true;
        g_ptr_array_add(c.st->tcp, f);
    } else if (type == SOCK_STREAM && protocol == AFMP_IPPROTO_MPTCP && mp_mptcp_stack_of(c.h)) {
        /* Linux with net.mptcp.enabled = 0. */
        g_ptr_array_free(f->pollers, TRUE);
        g_free(f);
        return fail(-ENOPROTOOPT);
    } else {
        g_ptr_array_free(f->pollers, TRUE);
        g_free(f);
        /* Linux: an unknown type is EINVAL, a known type with a protocol it
         * does not carry is EPROTONOSUPPORT. */
        return fail(type == SOCK_DGRAM || type == SOCK_STREAM || type == SOCK_RAW ? -EPROTONOSUPPORT
                                                                               : -EINVAL);
    }
    return fd_alloc(c.ps, f);
}

/* sockaddr <-> endpoint, checking the length and family like Linux. */
static int from_sockaddr(const struct file *f, const struct sockaddr *sa, socklen_t len,
                         struct mp_endpoint *ep, bool allow_unspec)
{
    memset(ep, 0, sizeof(*ep));
    if (!sa || len < sizeof(sa_family_t))
        return -EINVAL;
    if (sa->sa_family == AF_UNSPEC && allow_unspec)
        return 0;
    if (f->domain == AF_INET) {
        if (sa->sa_family != AF_INET)
            return -EAFNOSUPPORT;
        if (len < sizeof(struct sockaddr_in))
            return -EINVAL;
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        ep->ip.v = 4;
        memcpy(ep->ip.b, &in->sin_addr, 4);
        ep->port = ntohs(in->sin_port);
        return 0;
    }
    if (sa->sa_family != AF_INET6)
        return -EAFNOSUPPORT;
    if (len < sizeof(struct sockaddr_in6))
        return -EINVAL;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    ep->ip.v = 6;
    memcpy(ep->ip.b, &in6->sin6_addr, 16);
    ep->port = ntohs(in6->sin6_port);
    return 0;
}

static void to_sockaddr(const struct mp_endpoint *ep, struct sockaddr *sa, socklen_t *len)
{
    struct sockaddr_storage ss;
    socklen_t n;
    memset(&ss, 0, sizeof(ss));
    if (ep->ip.v == 6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(ep->port);
        memcpy(&in6->sin6_addr, ep->ip.b, 16);
        n = sizeof(*in6);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(ep->port);
        memcpy(&in->sin_addr, ep->ip.b, 4);
        n = sizeof(*in);
    }
    /* Linux truncates to the caller's buffer and reports the full size. */
    if (sa && len)
        memcpy(sa, &ss, MIN(*len, n));
    if (len)
        *len = n;
}

/* ---- stream sockets ---- */

static void tcp_cb_wake(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    file_wake(arg);
}

static void tcp_cb_closed(void *arg, struct mp_tcp_conn *c, int err, mp_time_t now)
{
    file_wake(arg);
}

static void tcp_cbs(struct file *f, struct mp_tcp_cbs *cbs)
{
    memset(cbs, 0, sizeof(*cbs));
    cbs->connected = tcp_cb_wake;
    cbs->accept_ready = tcp_cb_wake;
    cbs->readable = tcp_cb_wake;
    cbs->writable = tcp_cb_wake;
    cbs->closed = tcp_cb_closed;
    cbs->arg = f;
}

static mp_time_t host_now(const struct tsock *t)
{
    return mp_env_now(t->h->env);
}

/* ---- one stream, TCP or MPTCP: the calls below pick the right one ---- */

static void msk_cb_wake(void *arg, struct mp_mptcp_sock *m, mp_time_t now)
{
    file_wake(arg);
}

static void msk_cb_closed(void *arg, struct mp_mptcp_sock *m, int err, mp_time_t now)
{
    file_wake(arg);
}

static void msk_cbs(struct file *f, struct mp_mptcp_cbs *cbs)
{
    memset(cbs, 0, sizeof(*cbs));
    cbs->connected = msk_cb_wake;
    cbs->accept_ready = msk_cb_wake;
    cbs->readable = msk_cb_wake;
    cbs->writable = msk_cb_wake;
    cbs->closed = msk_cb_closed;
    cbs->arg = f;
}

static bool s_open(const struct tsock *t)
{
    return t->conn || t->msk;
}

static enum mp_tcp_state s_state(const struct tsock *t)
{
    if (t->msk)
        return mp_mptcp_state(t->msk);
    return t->conn ? mp_tcp_conn_state(t->conn) : MP_TCP_CLOSED;
}

static int s_take_error(struct tsock *t)
{
    return t->msk ? mp_mptcp_take_error(t->msk) : mp_tcp_take_error(t->conn);
}

static int s_peek_error(const struct tsock *t)
{
    if (t->msk) {
        const struct mp_tcp_conn *ssk = mp_mptcp_first_tcp(t->msk);
        int e = mp_mptcp_peek_error(t->msk);
        return e ? e : (ssk ? mp_tcp_peek_error(ssk) : 0);
    }
    return mp_tcp_peek_error(t->conn);
}

static ssize_t s_send(struct tsock *t, const void *buf, size_t len, mp_time_t now)
{
    return t->msk ? mp_mptcp_send(t->msk, buf, len, now) : mp_tcp_send(t->conn, buf, len, now);
}

static ssize_t s_recv(struct tsock *t, void *buf, size_t len, mp_time_t now)
{
    return t->msk ? mp_mptcp_recv(t->msk, buf, len, now) : mp_tcp_recv(t->conn, buf, len, now);
}

static size_t s_readable(const struct tsock *t)
{
    return t->msk ? mp_mptcp_readable(t->msk) : mp_tcp_readable(t->conn);
}

static size_t s_writable(const struct tsock *t)
{
    return t->msk ? mp_mptcp_writable(t->msk) : mp_tcp_writable(t->conn);
}

static bool s_fin_rcvd(const struct tsock *t)
{
    return t->msk ? mp_mptcp_eof(t->msk) : mp_tcp_fin_rcvd(t->conn);
}

static void s_want_writable(struct tsock *t)
{
    if (t->msk) {
        mp_mptcp_want_writable(t->msk);
        struct mp_tcp_conn *ssk = mp_mptcp_first_tcp(t->msk);
        if (ssk)
            mp_tcp_want_writable(ssk);
        return;
    }
    mp_tcp_want_writable(t->conn);
}

static void s_shutdown_wr(struct tsock *t, mp_time_t now)
{
    if (t->msk)
        mp_mptcp_shutdown_wr(t->msk, now);
    else
        mp_tcp_shutdown_wr(t->conn, now);
}

/* Releases the connection (close() semantics) and forgets it. */
static void s_close(struct tsock *t, mp_time_t now)
{
    if (t->msk)
        mp_mptcp_close(t->msk, now);
    else if (t->conn)
        mp_tcp_close(t->conn, now);
    t->msk = NULL;
    t->conn = NULL;
}

static void s_endpoints(const struct tsock *t, struct mp_endpoint *l, struct mp_endpoint *r)
{
    if (t->msk)
        mp_mptcp_endpoints(t->msk, l, r);
    else
        mp_tcp_endpoints(t->conn, l, r);
}

/* The TCP connection for TCP-level socket options and TCP_INFO: the first
 * subflow of an MPTCP connection, as Linux answers on an MPTCP socket. */
static struct mp_tcp_conn *s_tcp(const struct tsock *t)
{
    return t->msk ? mp_mptcp_first_tcp(t->msk) : t->conn;
}

static void tcp_file_free(struct file *f)
{
    struct tsock *t = f->tcp;
    struct afmp_stack *st = t->h->sock;
    /* Linux on close() and on process exit: a FIN after the queued data,
     * a RST when unread data is thrown away (mp_tcp_close decides). */
    if (s_open(t) && !st->teardown)
        s_close(t, host_now(t));
    g_ptr_array_remove(st->tcp, f);
    g_free(t);
}

static void tcp_local(const struct file *f, struct mp_endpoint *ep)
{
    const struct tsock *t = f->tcp;
    if (s_open(t) && !t->listening) {
        s_endpoints(t, ep, NULL);
    } else if (t->is_bound) {
        *ep = t->bound;
    } else {
        memset(ep, 0, sizeof(*ep));
        ep->ip = mp_ip_any(f->domain == AF_INET ? 4 : 6);
    }
}

static bool addr_overlap(const struct mp_ip *a, const struct mp_ip *b)
{
    /* Family 0: an AF_MULTIPATH socket bound to a port only (both families). */
    if (!a->v || !b->v)
        return true;
    if (a->v != b->v)
        return false;
    return mp_ip_is_unspecified(a) || mp_ip_is_unspecified(b) || mp_ip_eq(a, b);
}

/* Linux's bind conflict (inet_csk_bind_conflict, without SO_REUSEPORT):
 * another socket on the port with an overlapping address, unless both
 * sides set SO_REUSEADDR and the other is not listening. Connections no
 * socket owns (TIME_WAIT) block the port unless |f| sets SO_REUSEADDR. */
static bool tcp_conflict(struct afmp_stack *st, const struct file *f, const struct mp_endpoint *ep)
{
    const struct tsock *t = f->tcp;
    for (guint i = 0; i < st->tcp->len; i++) {
        const struct file *o = g_ptr_array_index(st->tcp, i);
        if (o == f || (!o->tcp->is_bound && !o->tcp->conn))
            continue;
        struct mp_endpoint oe;
        tcp_local(o, &oe);
        if (oe.port != ep->port || !addr_overlap(&oe.ip, &ep->ip))
            continue;
        if (t->reuseaddr && o->tcp->reuseaddr && !o->tcp->listening)
            continue;
        return true;
    }
    return !t->reuseaddr && mp_tcp_port_held(t->stack, ep->port, true);
}

struct port_probe {
    struct afmp_stack *st;
    struct tsock *t;
};

static bool tcp_port_in_use(void *arg, uint16_t port)
{
    struct port_probe *pp = arg;
    for (guint i = 0; i < pp->st->tcp->len; i++) {
        const struct file *o = g_ptr_array_index(pp->st->tcp, i);
        struct mp_endpoint oe;
        if (o->tcp == pp->t || (!o->tcp->is_bound && !o->tcp->conn))
            continue;
        tcp_local(o, &oe);
        if (oe.port == port)
            return true;
    }
    return mp_tcp_port_held(pp->t->stack, port, false);
}

/* bind(): Linux's checks in their order (inet_bind). */
static int tcp_bind(struct ctx *c, struct file *f, const struct mp_endpoint *in, bool user)
{
    struct tsock *t = f->tcp;
    struct mp_endpoint ep = *in;
    if (t->is_bound || t->conn)
        return -EINVAL;
    if (ep.ip.v && !mp_ip_is_unspecified(&ep.ip) && !mp_host_addr_ifindex(c->h, &ep.ip))
        return -EADDRNOTAVAIL;
    if (ep.port == 0) {
        struct port_probe pp = {c->st, t};
        ep.port = mp_host_pick_port(c->h, tcp_port_in_use, &pp);
        if (!ep.port)
            return -EADDRINUSE;
    } else if (tcp_conflict(c->st, f, &ep)) {
        return -EADDRINUSE;
    }
    t->bound = ep;
    t->is_bound = true;
    t->user_bound = user;
    return 0;
}

/* Parks the caller on |f| until a wake-up or |deadline|; the file is held
 * meanwhile (a killed process releases it from its exit hook). Returns 0,
 * -EAGAIN at the deadline, -EBADF when the file went away. */
static int tcp_block(struct ctx *c, struct file *f, mp_time_t deadline)
{
    f->refs++;
    g_ptr_array_add(c->ps->held, f);
    int w = mp_proc_wait(&f->wq, deadline);
    g_ptr_array_remove(c->ps->held, f);
    if (--f->refs == 0) {
        file_free(f);
        return -EBADF;
    }
    return w == -ETIMEDOUT ? -EAGAIN : 0;
}

static mp_time_t deadline_of(mp_time_t tmo)
{
    return tmo ? mp_proc_now() + tmo : MP_TIME_NEVER;
}

/* Ends a failed connection attempt: Linux's sock_error path of
 * inet_stream_connect (the socket is unconnected again and may connect
 * anew; a port picked for the attempt is given back). */
static int tcp_connect_failed(struct tsock *t)
{
    int err = s_take_error(t);
    s_close(t, mp_proc_now());
    t->connecting = false;
    if (!t->user_bound)
        t->is_bound = false;
    return err ? err : -ECONNABORTED;
}

static int connect_wait(struct ctx *c, struct file *f);
static int connect_started(struct ctx *c, struct file *f, int rc);

static int tcp_connect(struct ctx *c, struct file *f, const struct mp_endpoint *remote)
{
    struct tsock *t = f->tcp;
    if (t->listening || t->connected)
        return -EISCONN;
    if (t->connecting) {
        if (s_state(t) == MP_TCP_SYN_SENT && f->nonblock)
            return -EALREADY;
    } else {
        /* A new attempt. */
        if (!t->is_bound) {
            struct mp_endpoint any = {.ip = mp_ip_any(remote->ip.v)};
            int rc = tcp_bind(c, f, &any, false);
            if (rc < 0)
                return rc;
        }
        int rc;
        if (t->mptcp) {
            struct mp_mptcp_cbs mcbs;
            msk_cbs(f, &mcbs);
            rc = mp_mptcp_connect(mp_mptcp_stack_of(t->h), &t->bound, remote, &t->o, &mcbs,
                                  &t->msk, mp_proc_now());
        } else {
            struct mp_tcp_cbs cbs;
            tcp_cbs(f, &cbs);
            rc = mp_tcp_connect(t->stack, &t->bound, remote, &t->o, &cbs, &t->conn, mp_proc_now());
        }
        return connect_started(c, f, rc);
    }
    return connect_wait(c, f);
}

/* After the protocol was asked to connect (|rc|): undo a failed start, or
 * wait for the handshake as the socket's mode says. */
static int connect_started(struct ctx *c, struct file *f, int rc)
{
    struct tsock *t = f->tcp;
    if (rc < 0) {
        t->conn = NULL;
        t->msk = NULL;
        if (!t->user_bound)
            t->is_bound = false;
        return rc;
    }
    t->connecting = true;
    if (f->nonblock)
        return -EINPROGRESS;
    return connect_wait(c, f);
}

/* The blocking part of connect(): Linux waits for the handshake up to
 * SO_SNDTIMEO, then says EINPROGRESS. */
static int connect_wait(struct ctx *c, struct file *f)
{
    struct tsock *t = f->tcp;
    mp_time_t deadline = deadline_of(f->sndtimeo);
    while (s_state(t) == MP_TCP_SYN_SENT) {
        int w = tcp_block(c, f, deadline);
        if (w == -EBADF)
            return w;
        if (w == -EAGAIN)
            return -EINPROGRESS;
    }
    if (s_state(t) == MP_TCP_CLOSED)
        return tcp_connect_failed(t);
    t->connecting = false;
    t->connected = true;
    return 0;
}

static int tcp_listen(struct ctx *c, struct file *f, int backlog)
{
    struct tsock *t = f->tcp;
    if (t->listening)
        return 0;
    if (s_open(t))
        return -EINVAL;
    if (!t->is_bound) {
        /* Linux binds an ephemeral port (inet_autobind). */
        struct mp_endpoint any = {.ip = mp_ip_any(f->domain == AF_INET ? 4 : 6)};
        int rc = tcp_bind(c, f, &any, false);
        if (rc < 0)
            return rc;
    }
    /* Linux clamps to net.core.somaxconn (4096; a negative backlog too)
     * and holds up to backlog + 1 connections ("full" is > backlog); TCP
     * counts connections being set up with them. */
    if (backlog < 0 || backlog > 4096)
        backlog = 4096;
    int rc;
    if (t->mptcp) {
        struct mp_mptcp_cbs mcbs;
        msk_cbs(f, &mcbs);
        rc = mp_mptcp_listen(mp_mptcp_stack_of(t->h), &t->bound, backlog + 1, &t->o, &mcbs,
                             &t->msk);
    } else {
        struct mp_tcp_cbs cbs;
        tcp_cbs(f, &cbs);
        rc = mp_tcp_listen(t->stack, &t->bound, backlog + 1, &t->o, &cbs, &t->conn);
    }
    if (rc < 0) {
        t->conn = NULL;
        t->msk = NULL;
        return rc;
    }
    t->backlog = backlog + 1;
    /* AF_MULTIPATH bound to several addresses: one MPTCP listener on all. */
    for (size_t i = 1; t->multipath && i < t->nlocals; i++) {
        rc = mp_mptcp_listen_more(t->msk, &t->locals[i], t->backlog);
        if (rc < 0) {
            s_close(t, host_now(t));
            return rc;
        }
    }
    t->listening = true;
    return 0;
}

static int tcp_accept(struct ctx *c, struct file *f, struct sockaddr *addr, socklen_t *len,
                      int flags)
{
    struct tsock *t = f->tcp;
    mp_time_t deadline = deadline_of(f->rcvtimeo);
    for (;;) {
        if (!t->listening)
            return -EINVAL;
        struct mp_tcp_conn *ch = t->msk ? NULL : mp_tcp_accept(t->conn);
        struct mp_mptcp_sock *mch = t->msk ? mp_mptcp_accept(t->msk) : NULL;
        if (ch || mch) {
            struct file *nf = g_new0(struct file, 1);
            nf->kind = K_TCP;
            nf->domain = f->domain;
            nf->type = f->type;
            nf->protocol = f->protocol;
            nf->pollers = g_ptr_array_new();
            nf->nonblock = (flags & SOCK_NONBLOCK) != 0;
            /* Socket options are inherited (the connection already has the
             * listener's TCP options); O_NONBLOCK is not, as in Linux. */
            nf->rcvtimeo = f->rcvtimeo;
            nf->sndtimeo = f->sndtimeo;
            nf->refs = 1;
            nf->tcp = tsock_new(c->st, t->stack);
            nf->tcp->o = t->o;
            nf->tcp->reuseaddr = t->reuseaddr;
            nf->tcp->conn = ch;
            nf->tcp->msk = mch;
            nf->tcp->mptcp = t->mptcp;
            nf->tcp->multipath = t->multipath;
            nf->tcp->connected = true;
            s_endpoints(nf->tcp, &nf->tcp->bound, NULL);
            nf->tcp->is_bound = true;
            g_ptr_array_add(c->st->tcp, nf);
            if (mch) {
                struct mp_mptcp_cbs mcbs;
                msk_cbs(nf, &mcbs);
                mp_mptcp_set_cbs(mch, &mcbs);
            } else {
                struct mp_tcp_cbs cbs;
                tcp_cbs(nf, &cbs);
                mp_tcp_set_cbs(ch, &cbs);
            }
            if (addr || len) {
                struct mp_endpoint re;
                s_endpoints(nf->tcp, NULL, &re);
                if (t->multipath && len)
                    afmp_mp_from_endpoints(&re, 1, addr, len);
                else
                    to_sockaddr(&re, addr, len);
            }
            /* Data or a FIN may have come before the accept. */
            return fd_alloc(c->ps, nf);
        }
        if (f->nonblock)
            return -EAGAIN;
        int w = tcp_block(c, f, deadline);
        if (w < 0)
            return w;
    }
}

/* send() on a stream: Linux's tcp_sendmsg. A blocking call returns once
 * every byte is queued; an error after some bytes returns those. */
static ssize_t tcp_send(struct ctx *c, struct file *f, const void *buf, size_t len, int flags)
{
    struct tsock *t = f->tcp;
    bool nb = f->nonblock || (flags & MSG_DONTWAIT);
    mp_time_t deadline = deadline_of(f->sndtimeo);
    size_t done = 0;
    for (;;) {
        if (!s_open(t) || t->listening)
            return -EPIPE;
        enum mp_tcp_state s = s_state(t);
        ssize_t n = 0;
        if (s == MP_TCP_CLOSED) {
            /* sk_stream_error: the pending error first (reading it clears
             * it), then EPIPE. No SIGPIPE in the simulation. */
            int e = s_take_error(t);
            n = e ? e : -EPIPE;
        } else if (s == MP_TCP_SYN_SENT || s == MP_TCP_SYN_RECEIVED) {
            n = 0; /* sk_stream_wait_connect: wait for the handshake */
        } else if (t->wr_shut) {
            n = -EPIPE;
        } else {
            n = s_send(t, (const uint8_t *)buf + done, len - done, mp_proc_now());
            if (n == -ENOTCONN)
                n = -EPIPE;
        }
        if (n < 0)
            return done ? (ssize_t)done : n;
        done += (size_t)n;
        if (done == len)
            return (ssize_t)done;
        if (nb)
            return done ? (ssize_t)done : -EAGAIN;
        int w = tcp_block(c, f, deadline);
        if (w < 0)
            return done ? (ssize_t)done : w;
    }
}

/* recv() on a stream: Linux's tcp_recvmsg (MSG_WAITALL included; no
 * MSG_PEEK yet). */
static ssize_t tcp_recv(struct ctx *c, struct file *f, void *buf, size_t len, int flags)
{
    struct tsock *t = f->tcp;
    bool nb = f->nonblock || (flags & MSG_DONTWAIT);
    mp_time_t deadline = deadline_of(f->rcvtimeo);
    size_t done = 0;
    if (!s_open(t) || t->listening)
        return -ENOTCONN;
    if (flags & MSG_PEEK)
        return -EOPNOTSUPP;
    for (;;) {
        ssize_t n;
        if (len == done)
            return (ssize_t)done;
        if (t->rd_shut && s_readable(t) == 0)
            return (ssize_t)done;
        n = s_recv(t, (uint8_t *)buf + done, len - done, mp_proc_now());
        if (n == 0)
            return (ssize_t)done; /* end of stream */
        if (n > 0) {
            done += (size_t)n;
            if (!(flags & MSG_WAITALL) || done == len)
                return (ssize_t)done;
            continue;
        }
        if (n != -EAGAIN) {
            if (done)
                return (ssize_t)done;
            /* Reported once (sock_error clears it); then end of stream. */
            s_take_error(t);
            return n;
        }
        if (done && !(flags & MSG_WAITALL))
            return (ssize_t)done;
        if (nb)
            return done ? (ssize_t)done : -EAGAIN;
        int w = tcp_block(c, f, deadline);
        if (w < 0)
            return done ? (ssize_t)done : w;
    }
}

/* shutdown(): Linux's inet_shutdown. */
static int tcp_shutdown(struct file *f, int how)
{
    struct tsock *t = f->tcp;
    int err = 0;
    /* SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2: Linux works with how + 1 as a mask. */
    unsigned mask = (unsigned)how + 1;
    if (!s_open(t))
        return -ENOTCONN;
    enum mp_tcp_state s = s_state(t);
    mp_time_t now = mp_proc_now();
    if (t->connecting && s != MP_TCP_SYN_SENT && s != MP_TCP_SYN_RECEIVED && s != MP_TCP_CLOSED) {
        t->connecting = false;
        t->connected = true;
    }
    switch (s) {
    case MP_TCP_CLOSED:
        err = -ENOTCONN;
        break;
    case MP_TCP_LISTEN:
        if (!(mask & 1))
            break;
        /* Stops listening (a disconnect): blocked accept() calls fail. */
        s_close(t, now);
        t->listening = false;
        break;
    case MP_TCP_SYN_SENT:
        s_close(t, now);
        t->connecting = false;
        if (!t->user_bound)
            t->is_bound = false;
        break;
    default:
        if (mask & 1)
            t->rd_shut = true;
        if ((mask & 2) && !t->wr_shut) {
            t->wr_shut = true;
            s_shutdown_wr(t, now);
        }
        break;
    }
    file_wake(f);
    return err;
}

/* tcp_poll(): what a poller sees. With |arm|, asks TCP for the writable
 * callback when POLLOUT is not there yet (the low-water mark). */
static short tcp_poll_mask(struct file *f, bool arm)
{
    struct tsock *t = f->tcp;
    if (t->listening)
        return (t->msk ? mp_mptcp_accept_pending(t->msk) : mp_tcp_accept_pending(t->conn))
                   ? POLLIN | POLLRDNORM
                   : 0;
    if (!s_open(t))
        return POLLOUT | POLLWRNORM | POLLHUP; /* Linux: TCP_CLOSE */
    enum mp_tcp_state s = s_state(t);
    short m = 0;
    bool rd_end = t->rd_shut || s_fin_rcvd(t) || s == MP_TCP_CLOSED;
    bool wr_end = t->wr_shut || s == MP_TCP_CLOSED;
    if (rd_end && wr_end)
        m |= POLLHUP;
    if (rd_end)
        m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (s != MP_TCP_SYN_SENT && s != MP_TCP_SYN_RECEIVED) {
        if (s_readable(t))
            m |= POLLIN | POLLRDNORM;
        size_t lowat = t->o.sndlowat ? t->o.sndlowat : t->o.sndbuf / 2;
        if (wr_end || s_writable(t) >= lowat)
            m |= POLLOUT | POLLWRNORM;
        else if (arm)
            s_want_writable(t);
    }
    if (s_peek_error(t))
        m |= POLLERR;
    return m;
}

/* ---- AF_MULTIPATH stream sockets (draft-sarolahti-mptcp-af-multipath) ---- */

/* The endpoints of |sa|: a container, or one sockaddr_in / sockaddr_in6
 * (an AF_MULTIPATH socket takes a single address too). Returns the number
 * (1..AFMP_SOCK_MAX_ADDRS), or -EINVAL, -EAFNOSUPPORT, -ENOBUFS (more
 * addresses than a connection keeps). */
static int mp_addrs(const struct sockaddr *sa, socklen_t len, struct mp_endpoint *ep)
{
    size_t n = 0;
    if (!sa || len < sizeof(sa_family_t))
        return -EINVAL;
    if (afmp_mp_to_endpoints(sa, len, ep, AFMP_SOCK_MAX_ADDRS, &n) < 0)
        return -errno;
    if (n > AFMP_SOCK_MAX_ADDRS)
        return -ENOBUFS;
    return (int)n;
}

/* RFC 6724 destination order, then RFC 8305 4: the families interleaved,
 * starting with the family of the most preferred address. */
static void order_remotes(const struct mp_host *h, struct mp_endpoint *ep, size_t n)
{
    struct mp_ip ips[AFMP_SOCK_MAX_ADDRS];
    struct mp_endpoint in[AFMP_SOCK_MAX_ADDRS], sorted[AFMP_SOCK_MAX_ADDRS];
    bool used[AFMP_SOCK_MAX_ADDRS] = {false};
    for (size_t i = 0; i < n; i++)
        ips[i] = ep[i].ip;
    memcpy(in, ep, n * sizeof(*ep));
    afmp_resolver_sort(h, ips, n);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (!used[j] && mp_ip_eq(&in[j].ip, &ips[i])) {
                used[j] = true;
                sorted[i] = in[j];
                break;
            }
        }
    }
    size_t k = 0;
    bool taken[AFMP_SOCK_MAX_ADDRS] = {false};
    uint8_t want = sorted[0].ip.v;
    while (k < n) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++)
            if (!taken[i] && sorted[i].ip.v == want)
                pick = i;
        for (size_t i = 0; i < n && pick == n; i++)
            if (!taken[i])
                pick = i;
        taken[pick] = true;
        ep[k++] = sorted[pick];
        want = sorted[pick].ip.v == 4 ? 6 : 4;
    }
}

/* connect() on an AF_MULTIPATH socket: the first call opens the connection
 * to one of the addresses (raced, model/mptcp) with the "api" path manager
 * making subflows to the others; a later call adds remote addresses. */
static int mp_connect(struct ctx *c, struct file *f, const struct sockaddr *sa, socklen_t len)
{
    struct tsock *t = f->tcp;
    struct mp_endpoint ep[AFMP_SOCK_MAX_ADDRS];
    int n = mp_addrs(sa, len, ep);
    if (n < 0)
        return n;
    /* A lookup gives port 0: such entries take the container's port. */
    uint16_t port = 0;
    for (int i = 0; i < n && !port; i++)
        port = ep[i].port;
    for (int i = 0; i < n; i++)
        if (!ep[i].port)
            ep[i].port = port;
    if (t->listening)
        return -EISCONN;
    mp_time_t now = mp_proc_now();
    if (t->msk && (t->connecting || t->connected) && s_state(t) != MP_TCP_CLOSED) {
        /* The draft: connect() again adds addresses. */
        for (int i = 0; i < n; i++) {
            int rc = mp_mptcp_add_remote(t->msk, &ep[i], now);
            if (rc < 0 && rc != -EEXIST)
                return rc == -ENOSPC ? -ENOBUFS : rc;
        }
        if (t->connected)
            return 0;
        if (f->nonblock)
            return -EALREADY;
        return connect_wait(c, f);
    }
    if (t->connecting)
        return connect_wait(c, f);
    if (t->connected)
        return -EISCONN;
    if (!t->is_bound) {
        struct mp_endpoint any = {.ip = {.v = 0}};
        int rc = tcp_bind(c, f, &any, false);
        if (rc < 0)
            return rc;
    }
    order_remotes(c->h, ep, (size_t)n);
    struct mp_ip locals[AFMP_SOCK_MAX_ADDRS];
    size_t nl = 0;
    for (size_t i = 0; i < t->nlocals; i++)
        if (t->locals[i].ip.v && !mp_ip_is_unspecified(&t->locals[i].ip))
            locals[nl++] = t->locals[i].ip;
    struct mp_mptcp_cbs mcbs;
    msk_cbs(f, &mcbs);
    int rc = mp_mptcp_connect_multi(mp_mptcp_stack_of(t->h), locals, nl, t->bound.port, ep,
                                    (size_t)n, &t->o, "api", &mcbs, &t->msk, now);
    return connect_started(c, f, rc);
}

static bool have_local(const struct tsock *t, const struct mp_endpoint *e)
{
    for (size_t i = 0; i < t->nlocals; i++)
        if (mp_ip_eq(&t->locals[i].ip, &e->ip))
            return true;
    return false;
}

/* bind() on an AF_MULTIPATH socket: every address of the container; again
 * (the draft), more: before connect() for the connection to come, on a
 * connection for the path manager, on a listener for it to listen there. */
static int mp_bind(struct ctx *c, struct file *f, const struct sockaddr *sa, socklen_t len)
{
    struct tsock *t = f->tcp;
    struct mp_endpoint ep[AFMP_SOCK_MAX_ADDRS];
    int n = mp_addrs(sa, len, ep);
    if (n < 0)
        return n;
    /* One port per socket: entries give it or 0. */
    uint16_t port = t->is_bound ? t->bound.port : 0;
    for (int i = 0; i < n; i++) {
        if (ep[i].port && port && ep[i].port != port)
            return -EINVAL;
        if (ep[i].port)
            port = ep[i].port;
    }
    for (int i = 0; i < n; i++) {
        ep[i].port = port;
        if (!mp_ip_is_unspecified(&ep[i].ip) && !mp_host_addr_ifindex(c->h, &ep[i].ip))
            return -EADDRNOTAVAIL;
    }
    int first = 0;
    if (!t->is_bound && !s_open(t)) {
        int rc = tcp_bind(c, f, &ep[0], true);
        if (rc < 0)
            return rc;
        t->locals[0] = t->bound;
        t->nlocals = 1;
        first = 1;
    }
    mp_time_t now = mp_proc_now();
    for (int i = first; i < n; i++) {
        ep[i].port = t->bound.port;
        if (have_local(t, &ep[i]))
            continue;
        if (t->nlocals == AFMP_SOCK_MAX_ADDRS)
            return -ENOBUFS;
        int rc = 0;
        if (t->listening)
            rc = mp_mptcp_listen_more(t->msk, &ep[i], t->backlog);
        else if (t->msk && s_state(t) != MP_TCP_CLOSED)
            rc = mp_mptcp_add_local(t->msk, &ep[i].ip, now);
        else if (tcp_conflict(c->st, f, &ep[i]))
            rc = -EADDRINUSE;
        if (rc < 0 && rc != -EEXIST)
            return rc == -ENOSPC ? -ENOBUFS : rc;
        t->locals[t->nlocals++] = ep[i];
    }
    return 0;
}

static void seen_add(struct pstate *ps, bool peer, const struct mp_endpoint *ep, size_t n)
{
    GArray *a = ps->seen[peer];
    for (size_t i = 0; i < n; i++) {
        bool dup = mp_ip_is_unspecified(&ep[i].ip);
        for (guint j = 0; j < a->len && !dup; j++)
            dup = mp_ip_eq(&g_array_index(a, struct mp_ip, j), &ep[i].ip);
        if (!dup)
            g_array_append_val(a, ep[i].ip);
    }
}

/* getsockname() / getpeername() on an AF_MULTIPATH socket: the current
 * lists as containers (the draft), the addresses of the live subflows,
 * which change as subflows come and go (Linux answers with the first
 * subflow's only). Before a connection: what bind() gave. */
static int mp_names(struct ctx *c, struct file *f, bool peer, struct sockaddr *sa, socklen_t *len)
{
    struct tsock *t = f->tcp;
    struct mp_endpoint l[AFMP_SOCK_MAX_ADDRS], r[AFMP_SOCK_MAX_ADDRS];
    size_t nl = 0, nr = 0;
    if (t->msk)
        mp_mptcp_addr_lists(t->msk, l, &nl, r, &nr, AFMP_SOCK_MAX_ADDRS);
    if (peer) {
        enum mp_tcp_state st = s_state(t);
        if (t->listening || st == MP_TCP_CLOSED || st == MP_TCP_SYN_SENT || !nr)
            return -ENOTCONN;
        seen_add(c->ps, true, r, nr);
        return afmp_mp_from_endpoints(r, nr, sa, len) < 0 ? -errno : 0;
    }
    if (!nl && t->nlocals) {
        memcpy(l, t->locals, t->nlocals * sizeof(l[0]));
        nl = t->nlocals;
    }
    if (!nl) {
        /* Not bound: the IPv4 wildcard, as AF_INET answers. */
        memset(&l[0], 0, sizeof(l[0]));
        l[0].ip = mp_ip_any(4);
        l[0].port = t->is_bound ? t->bound.port : 0;
        nl = 1;
    }
    for (size_t i = 0; i < nl; i++)
        if (!l[i].ip.v)
            l[i].ip = mp_ip_any(4);
    seen_add(c->ps, false, l, nl);
    return afmp_mp_from_endpoints(l, nl, sa, len) < 0 ? -errno : 0;
}

/* ---- RFC 6897 socket options and MPTCP_INFO ---- */

/* TCP_MULTIPATH_ADD / _REMOVE (afmp.h). */
static int mp_setsockopt_addrs(struct ctx *c, struct file *f, int name, const void *val,
                               socklen_t len)
{
    struct tsock *t = f->tcp;
    if (!t->mptcp)
        return -EOPNOTSUPP;
    if (name == TCP_MULTIPATH_ADD) {
        /* Other MPTCP sockets follow the host's path manager, which
         * already uses every address of the host. */
        return t->multipath ? mp_bind(c, f, val, len) : -EOPNOTSUPP;
    }
    struct mp_endpoint ep[AFMP_SOCK_MAX_ADDRS];
    int n = mp_addrs(val, len, ep);
    if (n < 0)
        return n;
    if (!t->msk || t->listening)
        return -ENOTCONN;
    for (int i = 0; i < n; i++) {
        int rc = mp_mptcp_remove_local(t->msk, &ep[i].ip, mp_proc_now());
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < t->nlocals; j++) {
            if (mp_ip_eq(&t->locals[j].ip, &ep[i].ip)) {
                memmove(&t->locals[j], &t->locals[j + 1],
                        (t->nlocals - j - 1) * sizeof(t->locals[0]));
                t->nlocals--;
                break;
            }
        }
    }
    return 0;
}

static int mp_setsockopt_enable(struct ctx *c, struct file *f, int v)
{
    struct tsock *t = f->tcp;
    if (s_open(t))
        return -EISCONN;
    if (t->multipath)
        return v ? 0 : -EOPNOTSUPP; /* AF_MULTIPATH means MPTCP */
    if (v && !mptcp_on(c->h))
        return -ENOPROTOOPT;
    t->mptcp = v != 0;
    return 0;
}

static int mp_getsockopt_tcp(struct file *f, int name, void *val, socklen_t *len)
{
    struct tsock *t = f->tcp;
    struct mp_mptcp_info mi;
    if (t->msk)
        mp_mptcp_get_info(t->msk, &mi);
    if (name == TCP_MULTIPATH_ENABLE) {
        int v = t->msk ? !mi.fallback : t->mptcp;
        memcpy(val, &v, MIN(*len, (socklen_t)sizeof(v)));
        *len = sizeof(v);
        return 0;
    }
    if (!t->mptcp || (t->msk && mi.fallback))
        return -EOPNOTSUPP;
    if (!t->msk || t->listening)
        return -ENOTCONN;
    if (name == TCP_MULTIPATH_CONNID) {
        uint32_t v = mi.local_token;
        memcpy(val, &v, MIN(*len, (socklen_t)sizeof(v)));
        *len = sizeof(v);
        return 0;
    }
    /* TCP_MULTIPATH_SUBFLOWS: (local, remote) per live subflow. */
    struct mp_endpoint pairs[2 * AFMP_SOCK_MAX_ADDRS];
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < mp_mptcp_subflow_count(t->msk) && n < G_N_ELEMENTS(pairs); i++) {
            struct mp_mptcp_subflow_info si;
            if (!mp_mptcp_subflow_get(t->msk, i, &si) || !si.established || si.join != pass)
                continue;
            pairs[n++] = si.local;
            pairs[n++] = si.remote;
        }
    }
    if (!n)
        return -ENOTCONN;
    return afmp_mp_from_endpoints(pairs, n, val, len) < 0 ? -errno : 0;
}

/* MPTCP_INFO, as Linux's mptcp_diag_fill_info. */
static int mp_getsockopt_info(struct file *f, void *val, socklen_t *len)
{
    struct tsock *t = f->tcp;
    struct afmp_mptcp_info out;
    memset(&out, 0, sizeof(out));
    if (!t->mptcp)
        return -EOPNOTSUPP;
    const struct mp_mptcp_config *cf = mp_mptcp_stack_config(mp_mptcp_stack_of(t->h));
    out.mptcpi_subflows_max = (uint8_t)MIN(cf->subflows, 255u);
    out.mptcpi_add_addr_accepted_max = (uint8_t)MIN(cf->add_addr_accepted, 255u);
    out.mptcpi_local_addr_max = (uint8_t)t->nlocals;
    if (t->msk) {
        struct mp_mptcp_info mi;
        mp_mptcp_get_info(t->msk, &mi);
        if (mi.fallback)
            return -EOPNOTSUPP;
        struct mp_endpoint l[AFMP_SOCK_MAX_ADDRS], r[AFMP_SOCK_MAX_ADDRS];
        size_t nl, nr;
        mp_mptcp_addr_lists(t->msk, l, &nl, r, &nr, AFMP_SOCK_MAX_ADDRS);
        out.mptcpi_subflows = (uint8_t)(mi.subflows ? mi.subflows - 1 : 0);
        out.mptcpi_flags = mi.remote_key ? AFMP_MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED : 0;
        out.mptcpi_token = mi.local_token;
        out.mptcpi_write_seq = mi.write_seq;
        out.mptcpi_snd_una = mi.snd_una;
        out.mptcpi_rcv_nxt = mi.rcv_nxt;
        out.mptcpi_local_addr_used = (uint8_t)(nl > 1 ? nl - 1 : 0);
        out.mptcpi_csum_enabled = mi.csum;
        out.mptcpi_retransmits = mi.retransmits;
        out.mptcpi_bytes_retrans = mi.bytes_retrans;
        out.mptcpi_bytes_sent = mi.bytes_sent;
        out.mptcpi_bytes_received = mi.bytes_received;
        out.mptcpi_bytes_acked = mi.bytes_acked;
        out.mptcpi_subflows_total = (uint8_t)MIN(mi.subflows_total, 255u);
    }
    memcpy(val, &out, MIN(*len, (socklen_t)sizeof(out)));
    *len = MIN(*len, (socklen_t)sizeof(out));
    return 0;
}

int afmp_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct ctx c;
    struct file *f;
    struct mp_endpoint ep;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (f->kind == K_TCP && f->tcp->multipath) {
        int rc = mp_bind(&c, f, addr, len);
        return rc < 0 ? fail(rc) : 0;
    }
    int rc = from_sockaddr(f, addr, len, &ep, false);
    if (rc < 0)
        return fail(rc);
    if (f->kind == K_TCP)
        rc = tcp_bind(&c, f, &ep, true);
    else
        rc = f->kind == K_UDP ? mp_udp_bind(f->udp, &ep) : mp_ping_bind(f->ping, &ep);
    return rc < 0 ? fail(rc) : 0;
}

int afmp_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct ctx c;
    struct file *f;
    struct mp_endpoint ep;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (f->kind == K_PING)
        return fail(-EOPNOTSUPP);
    if (f->kind == K_TCP && f->tcp->multipath) {
        int rc = mp_connect(&c, f, addr, len);
        return rc < 0 ? fail(rc) : 0;
    }
    int rc = from_sockaddr(f, addr, len, &ep, f->kind == K_UDP);
    if (rc < 0)
        return fail(rc);
    if (f->kind == K_TCP)
        rc = tcp_connect(&c, f, &ep);
    else
        rc = mp_udp_connect(f->udp, &ep);
    return rc < 0 ? fail(rc) : 0;
}

ssize_t afmp_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
                    socklen_t tolen)
{
    struct ctx c;
    struct file *f;
    struct mp_endpoint ep;
    long rc;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (f->kind == K_TCP) {
        /* The address is ignored on a stream, as Linux does. */
        rc = tcp_send(&c, f, buf, len, flags);
        return rc < 0 ? fail((int)rc) : rc;
    }
    if (to) {
        rc = from_sockaddr(f, to, tolen, &ep, false);
        if (rc < 0)
            return fail((int)rc);
    }
    /* Datagrams never wait for buffer space here: the interface queue
     * drops, as a full qdisc would. */
    if (f->kind == K_UDP)
        rc = mp_udp_sendto(f->udp, buf, len, to ? &ep : NULL);
    else
        rc = mp_ping_sendto(f->ping, buf, len, to ? &ep : NULL);
    return rc < 0 ? fail((int)rc) : rc;
}

ssize_t afmp_send(int fd, const void *buf, size_t len, int flags)
{
    return afmp_sendto(fd, buf, len, flags, NULL, 0);
}

static bool readable(const struct file *f)
{
    return f->kind == K_UDP ? mp_udp_readable(f->udp) : mp_ping_readable(f->ping);
}

ssize_t afmp_read(int fd, void *buf, size_t len)
{
    return afmp_recvfrom(fd, buf, len, 0, NULL, NULL);
}

ssize_t afmp_write(int fd, const void *buf, size_t len)
{
    return afmp_sendto(fd, buf, len, 0, NULL, 0);
}

ssize_t afmp_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                      socklen_t *fromlen)
{
    struct ctx c;
    struct file *f;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (f->kind == K_TCP) {
        ssize_t n = tcp_recv(&c, f, buf, len, flags);
        if (n < 0)
            return fail((int)n);
        /* A stream has no source address to report (Linux: length 0). */
        if (fromlen)
            *fromlen = 0;
        return n;
    }
    mp_time_t deadline = f->rcvtimeo ? mp_proc_now() + f->rcvtimeo : MP_TIME_NEVER;
    for (;;) {
        struct mp_endpoint ep;
        bool trunc = false;
        long rc;
        if (f->kind == K_UDP)
            rc = mp_udp_recvfrom(f->udp, buf, len, &ep, &trunc);
        else
            rc = mp_ping_recvfrom(f->ping, buf, len, &ep);
        if (rc != -EAGAIN) {
            if (rc < 0)
                return fail((int)rc);
            if (from || fromlen)
                to_sockaddr(&ep, from, fromlen);
            /* Without MSG_TRUNC, the bytes copied. */
            return (flags & MSG_TRUNC) ? rc : (ssize_t)MIN((size_t)rc, len);
        }
        if (f->nonblock || (flags & MSG_DONTWAIT))
            return fail(-EAGAIN);
        f->refs++;
        g_ptr_array_add(c.ps->held, f);
        int w = mp_proc_wait(&f->wq, deadline);
        g_ptr_array_remove(c.ps->held, f);
        bool closed = --f->refs == 0;
        if (closed) {
            file_free(f);
            return fail(-EBADF);
        }
        if (w == -ETIMEDOUT)
            return fail(-EAGAIN); /* Linux: SO_RCVTIMEO expiry is EAGAIN */
    }
}

ssize_t afmp_recv(int fd, void *buf, size_t len, int flags)
{
    return afmp_recvfrom(fd, buf, len, flags, NULL, NULL);
}

int afmp_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct ctx c;
    struct file *f;
    struct mp_endpoint ep;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (!len)
        return fail(-EFAULT);
    if (f->kind == K_TCP && f->tcp->multipath) {
        int rc = mp_names(&c, f, false, addr, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (f->kind == K_TCP)
        tcp_local(f, &ep);
    else if (f->kind == K_UDP)
        mp_udp_local(f->udp, &ep);
    else
        mp_ping_local(f->ping, &ep);
    to_sockaddr(&ep, addr, len);
    return 0;
}

int afmp_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct ctx c;
    struct file *f;
    struct mp_endpoint ep;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (!len)
        return fail(-EFAULT);
    if (f->kind == K_TCP && f->tcp->multipath) {
        int rc = mp_names(&c, f, true, addr, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (f->kind == K_TCP) {
        /* Linux: ENOTCONN while SYN_SENT and once closed. */
        struct tsock *t = f->tcp;
        enum mp_tcp_state s = s_state(t);
        if (t->listening || s == MP_TCP_CLOSED || s == MP_TCP_SYN_SENT)
            return fail(-ENOTCONN);
        s_endpoints(t, NULL, &ep);
    } else if (f->kind != K_UDP || mp_udp_peer(f->udp, &ep) < 0) {
        return fail(-ENOTCONN);
    }
    to_sockaddr(&ep, addr, len);
    return 0;
}

static mp_time_t timeval_ns(const struct timeval *tv)
{
    return (mp_time_t)tv->tv_sec * 1000000000u + (mp_time_t)tv->tv_usec * 1000u;
}

/* IPPROTO_TCP options of a stream socket. */
static int tcp_setsockopt(struct file *f, int name, int v)
{
    struct tsock *t = f->tcp;
    switch (name) {
    case TCP_NODELAY:
        t->o.nagle = v == 0;
        if (s_tcp(t) && !t->listening)
            mp_tcp_set_nagle(s_tcp(t), t->o.nagle);
        return 0;
    case TCP_MAXSEG:
        if (v != 0 && (v < 88 || v > 65535))
            return -EINVAL;
        t->o.mss = (uint32_t)v;
        return 0;
    default:
        return -ENOPROTOOPT;
    }
}

int afmp_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    struct ctx c;
    struct file *f;
    int v = 0;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (!val)
        return fail(-EFAULT);
    if (len >= sizeof(int))
        memcpy(&v, val, sizeof(v));
    if (level == IPPROTO_TCP && f->kind == K_TCP &&
        (name == TCP_MULTIPATH_ADD || name == TCP_MULTIPATH_REMOVE)) {
        int rc = mp_setsockopt_addrs(&c, f, name, val, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (level == IPPROTO_TCP && f->kind == K_TCP) {
        if (len < sizeof(int))
            return fail(-EINVAL);
        int rc = name == TCP_MULTIPATH_ENABLE ? mp_setsockopt_enable(&c, f, v)
                                              : tcp_setsockopt(f, name, v);
        return rc < 0 ? fail(rc) : 0;
    }
    if (level != SOL_SOCKET)
        return fail(-ENOPROTOOPT);
    switch (name) {
    case SO_RCVBUF:
    case SO_SNDBUF: {
        if (len < sizeof(int))
            return fail(-EINVAL);
        /* Linux doubles the value for bookkeeping overhead, with a floor
         * (SOCK_MIN_RCVBUF 2304, SOCK_MIN_SNDBUF 4608). */
        uint32_t floor = name == SO_RCVBUF ? 2304u : 4608u;
        uint32_t b = v < 0 || (uint32_t)v * 2u < floor ? floor : (uint32_t)v * 2u;
        if (f->kind == K_TCP) {
            /* Applies to the connection made next (connect, or the
             * children of a listener), as set before connect() in Linux. */
            /* Linux SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK: no autotuning. */
            if (name == SO_RCVBUF) {
                f->tcp->o.rcvbuf = b;
                f->tcp->o.rcvbuf_lock = true;
            } else {
                f->tcp->o.sndbuf = b;
                f->tcp->o.sndbuf_lock = true;
            }
        } else if (f->kind == K_UDP && name == SO_RCVBUF) {
            mp_udp_set_rcvbuf(f->udp, b);
        }
        return 0;
    }
    case SO_REUSEADDR:
        if (len < sizeof(int))
            return fail(-EINVAL);
        if (f->kind == K_TCP)
            f->tcp->reuseaddr = v != 0;
        return 0;
    case SO_KEEPALIVE:
        if (len < sizeof(int))
            return fail(-EINVAL);
        if (f->kind == K_TCP)
            f->tcp->o.keepalive = v != 0;
        return 0;
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
        struct timeval tv;
        if (len < sizeof(tv))
            return fail(-EINVAL);
        memcpy(&tv, val, sizeof(tv));
        if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
            return fail(-EDOM);
        if (name == SO_RCVTIMEO)
            f->rcvtimeo = timeval_ns(&tv);
        else
            f->sndtimeo = timeval_ns(&tv);
        return 0;
    }
    default:
        return fail(-ENOPROTOOPT);
    }
}

/* TCP_INFO: the fields afmp's TCP knows, in Linux's units (microseconds
 * for times). */
static void fill_tcp_info(const struct tsock *t, struct tcp_info *ti)
{
    memset(ti, 0, sizeof(*ti));
    const struct mp_tcp_conn *conn = s_tcp(t);
    struct mp_tcp_info in;
    if (conn) {
        mp_tcp_get_info(conn, &in);
    } else if (!t->msk || !mp_mptcp_first_tcp_info(t->msk, &in)) {
        ti->tcpi_state = 7; /* TCP_CLOSE */
        return;
    }
    /* Linux numbers its states differently from RFC 9293's order. */
    static const uint8_t linux_state[] = {
        [MP_TCP_CLOSED] = 7,     [MP_TCP_LISTEN] = 10,     [MP_TCP_SYN_SENT] = 2,
        [MP_TCP_SYN_RECEIVED] = 3, [MP_TCP_ESTABLISHED] = 1, [MP_TCP_FIN_WAIT_1] = 4,
        [MP_TCP_FIN_WAIT_2] = 5, [MP_TCP_CLOSE_WAIT] = 8, [MP_TCP_CLOSING] = 11,
        [MP_TCP_LAST_ACK] = 9,   [MP_TCP_TIME_WAIT] = 6,
    };
    ti->tcpi_state = linux_state[in.state];
    ti->tcpi_backoff = (uint8_t)MIN(in.backoff, 255u);
    ti->tcpi_options = (in.sack_ok ? 2 : 0) | (in.ts_ok ? 1 : 0) | (in.snd_wscale || in.rcv_wscale ? 4 : 0);
    ti->tcpi_snd_wscale = in.snd_wscale & 15;
    ti->tcpi_rcv_wscale = in.rcv_wscale & 15;
    ti->tcpi_rto = (uint32_t)(in.rto / 1000u);
    ti->tcpi_snd_mss = in.mss;
    ti->tcpi_rtt = (uint32_t)(in.srtt / 1000u);
    ti->tcpi_rttvar = (uint32_t)(in.rttvar / 1000u);
    ti->tcpi_snd_ssthresh = in.ssthresh;
    ti->tcpi_snd_cwnd = in.cwnd;
    ti->tcpi_total_retrans = (uint32_t)in.retrans_segs;
}

int afmp_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    struct ctx c;
    struct file *f;
    int v;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (!val || !len)
        return fail(-EFAULT);
    if (level == SOL_MPTCP && f->kind == K_TCP && name == AFMP_MPTCP_INFO) {
        int rc = mp_getsockopt_info(f, val, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (level == SOL_MPTCP)
        return fail(f->kind == K_TCP ? -EOPNOTSUPP : -ENOPROTOOPT);
    if (level == IPPROTO_TCP && f->kind == K_TCP && name >= TCP_MULTIPATH_ENABLE &&
        name <= TCP_MULTIPATH_CONNID && name != TCP_MULTIPATH_ADD &&
        name != TCP_MULTIPATH_REMOVE) {
        int rc = mp_getsockopt_tcp(f, name, val, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (level == IPPROTO_TCP && f->kind == K_TCP) {
        switch (name) {
        case TCP_NODELAY:
            v = !f->tcp->o.nagle;
            break;
        case TCP_MAXSEG: {
            struct mp_tcp_info in;
            if (s_tcp(f->tcp) && !f->tcp->listening) {
                mp_tcp_get_info(s_tcp(f->tcp), &in);
                v = (int)in.mss;
            } else {
                v = f->tcp->o.mss ? (int)f->tcp->o.mss : 536;
            }
            break;
        }
        case TCP_INFO: {
            struct tcp_info ti;
            fill_tcp_info(f->tcp, &ti);
            memcpy(val, &ti, MIN(*len, (socklen_t)sizeof(ti)));
            *len = MIN(*len, (socklen_t)sizeof(ti));
            return 0;
        }
        default:
            return fail(-ENOPROTOOPT);
        }
        memcpy(val, &v, MIN(*len, (socklen_t)sizeof(v)));
        *len = sizeof(v);
        return 0;
    }
    if (level != SOL_SOCKET)
        return fail(-ENOPROTOOPT);
    switch (name) {
    case SO_RCVBUF:
        if (f->kind == K_TCP)
            v = (int)f->tcp->o.rcvbuf;
        else
            v = f->kind == K_UDP ? (int)mp_udp_rcvbuf(f->udp) : 212992;
        break;
    case SO_SNDBUF:
        v = f->kind == K_TCP ? (int)f->tcp->o.sndbuf : 212992;
        break;
    case SO_ERROR:
        /* Reading SO_ERROR clears it, as in Linux. */
        if (f->kind == K_TCP)
            v = s_open(f->tcp) ? -s_take_error(f->tcp) : 0;
        else
            v = f->kind == K_UDP ? mp_udp_take_error(f->udp) : 0;
        break;
    case SO_REUSEADDR:
        v = f->kind == K_TCP && f->tcp->reuseaddr;
        break;
    case SO_KEEPALIVE:
        v = f->kind == K_TCP && f->tcp->o.keepalive;
        break;
    case SO_ACCEPTCONN:
        v = f->kind == K_TCP && f->tcp->listening;
        break;
    case SO_TYPE:
        v = f->type;
        break;
    case SO_DOMAIN:
        v = f->domain;
        break;
    case SO_PROTOCOL:
        v = f->protocol;
        break;
    default:
        return fail(-ENOPROTOOPT);
    }
    memcpy(val, &v, MIN(*len, (socklen_t)sizeof(v)));
    *len = sizeof(v);
    return 0;
}

int afmp_fcntl(int fd, int cmd, int arg)
{
    struct ctx c;
    struct file *f;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    switch (cmd) {
    case F_GETFL:
        return O_RDWR | (f->nonblock ? O_NONBLOCK : 0);
    case F_SETFL:
        f->nonblock = (arg & O_NONBLOCK) != 0;
        return 0;
    case F_GETFD:
        return 0;
    case F_SETFD:
        return 0;
    default:
        return fail(-EINVAL);
    }
}

static int poll_until(struct pollfd *fds, nfds_t n, mp_time_t deadline);

int afmp_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (!mp_proc_current()) {
        errno = EPERM;
        return -1;
    }
    return poll_until(fds, n, timeout_ms < 0 ? MP_TIME_NEVER : mp_proc_now() + MP_MS(timeout_ms));
}

int afmp_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const void *sigmask)
{
    if (!mp_proc_current()) {
        errno = EPERM;
        return -1;
    }
    if (tmo && (tmo->tv_sec < 0 || tmo->tv_nsec < 0 || tmo->tv_nsec >= 1000000000L)) {
        errno = EINVAL;
        return -1;
    }
    mp_time_t deadline = MP_TIME_NEVER;
    if (tmo)
        deadline = mp_proc_now() + (mp_time_t)tmo->tv_sec * 1000000000u + (mp_time_t)tmo->tv_nsec;
    return poll_until(fds, n, deadline);
}

static int poll_until(struct pollfd *fds, nfds_t n, mp_time_t deadline)
{
    struct ctx c;
    if (!current(&c))
        return -1;
    bool last_look = deadline <= mp_proc_now();
    struct poller me;
    mp_waitq_init(&me.wq);
    for (;;) {
        int ready = 0;
        for (nfds_t i = 0; i < n; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            struct file *f = (guint)fds[i].fd < c.ps->fds->len ? g_ptr_array_index(c.ps->fds, fds[i].fd)
                                                               : NULL;
            if (!f)
                fds[i].revents = POLLNVAL;
            else if (f->kind == K_TCP) {
                /* POLLHUP and POLLERR are reported whether asked or not. */
                short m = tcp_poll_mask(f, (fds[i].events & POLLOUT) && !last_look);
                fds[i].revents = m & (fds[i].events | POLLHUP | POLLERR);
            } else {
                if ((fds[i].events & POLLIN) && readable(f))
                    fds[i].revents |= POLLIN;
                /* Datagram sockets are always writable. */
                if (fds[i].events & POLLOUT)
                    fds[i].revents |= POLLOUT;
            }
            if (fds[i].revents)
                ready++;
        }
        if (ready || last_look)
            return ready;
        /* Hold every file polled, so that a close by another process while
         * we sleep cannot free it under us. */
        for (nfds_t i = 0; i < n; i++) {
            struct file *f = fds[i].fd >= 0 && (guint)fds[i].fd < c.ps->fds->len
                                 ? g_ptr_array_index(c.ps->fds, fds[i].fd)
                                 : NULL;
            if (f) {
                f->refs++;
                g_ptr_array_add(f->pollers, &me);
                g_ptr_array_add(c.ps->held, f);
            }
        }
        c.ps->poller = &me;
        int w = mp_proc_wait(&me.wq, deadline);
        release_held(c.ps);
        if (w == -ETIMEDOUT)
            last_look = true; /* one last look, then 0 */
    }
}

int afmp_listen(int fd, int backlog)
{
    struct ctx c;
    struct file *f;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (f->kind != K_TCP)
        return fail(-EOPNOTSUPP);
    int rc = tcp_listen(&c, f, backlog);
    return rc < 0 ? fail(rc) : 0;
}

int afmp_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    struct ctx c;
    struct file *f;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return fail(-EINVAL);
    if (f->kind != K_TCP)
        return fail(-EOPNOTSUPP);
    int rc = tcp_accept(&c, f, addr, len, flags);
    return rc < 0 ? fail(rc) : rc;
}

int afmp_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return afmp_accept4(fd, addr, len, 0);
}

int afmp_shutdown(int fd, int how)
{
    struct ctx c;
    struct file *f;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (how < SHUT_RD || how > SHUT_RDWR)
        return fail(-EINVAL);
    if (f->kind != K_TCP)
        return fail(-ENOTCONN);
    int rc = tcp_shutdown(f, how);
    return rc < 0 ? fail(rc) : 0;
}

int afmp_close(int fd)
{
    struct ctx c;
    struct file *f;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    g_ptr_array_index(c.ps->fds, fd) = NULL;
    if (--f->refs == 0)
        file_free(f);
    return 0;
}

/* ---- time and processes ---- */

uint64_t afmp_now_ns(void)
{
    return mp_proc_now();
}

int afmp_clock_gettime(clockid_t clk, struct timespec *ts)
{
    if (!mp_proc_current()) {
        errno = EPERM;
        return -1;
    }
    if (!ts) {
        errno = EFAULT;
        return -1;
    }
    mp_time_t now = mp_proc_now();
    ts->tv_sec = (time_t)(now / 1000000000u);
    ts->tv_nsec = (long)(now % 1000000000u);
    return 0;
}

int afmp_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!mp_proc_current()) {
        errno = EPERM;
        return -1;
    }
    if (!req || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L) {
        errno = EINVAL;
        return -1;
    }
    mp_proc_sleep((mp_time_t)req->tv_sec * 1000000000u + (mp_time_t)req->tv_nsec);
    if (rem)
        rem->tv_sec = rem->tv_nsec = 0;
    return 0;
}

unsigned int afmp_sleep(unsigned int seconds)
{
    struct timespec ts = {(time_t)seconds, 0};
    afmp_nanosleep(&ts, NULL);
    return 0;
}

int afmp_usleep(useconds_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    return afmp_nanosleep(&ts, NULL);
}

_Noreturn void afmp_exit(int status)
{
    mp_proc_exit(status);
}

struct mp_host *afmp_host(void)
{
    struct mp_proc *p = mp_proc_current();
    return p ? mp_proc_host(p) : NULL;
}

int afmp_gethostname(char *name, size_t len)
{
    struct mp_host *h = afmp_host();
    if (!h) {
        errno = EPERM;
        return -1;
    }
    if (strlen(h->name) + 1 > len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(name, h->name);
    return 0;
}

void afmp_result(const char *key, int64_t value)
{
    struct ctx c;
    if (!current(&c))
        return;
    for (guint i = 0; i < c.ps->results->len; i++) {
        struct afmp_result *r = &g_array_index(c.ps->results, struct afmp_result, i);
        if (strcmp(r->key, key) == 0) {
            r->value = value;
            return;
        }
    }
    struct afmp_result r = {g_strdup(key), value};
    g_array_append_val(c.ps->results, r);
}

void afmp_log(const char *fmt, ...)
{
    struct ctx c;
    va_list ap;
    if (!current(&c))
        return;
    mp_time_t now = mp_proc_now();
    g_string_append_printf(c.ps->log, "%" G_GUINT64_FORMAT ".%09" G_GUINT64_FORMAT " ",
                           now / 1000000000u, now % 1000000000u);
    va_start(ap, fmt);
    g_string_append_vprintf(c.ps->log, fmt, ap);
    va_end(ap);
    if (!c.ps->log->len || c.ps->log->str[c.ps->log->len - 1] != '\n')
        g_string_append_c(c.ps->log, '\n');
}
