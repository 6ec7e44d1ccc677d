/*
 * afmp: the socket layer (see afmp.h): file descriptors per process,
 * sockaddr conversion, blocking by parking the calling process, datagram
 * sockets, poll, time. Stream sockets are socket_stream.c's, AF_MULTIPATH
 * socket_mp.c's (socket_int.h).
 */
#include "afmp/socket_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>

#include "afmp/resolver.h"
#include "model/net/addr.h"

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

void afmp_sock_file_free(struct file *f)
{
    if (f->kind == K_UDP)
        mp_udp_sock_free(f->udp);
    else if (f->kind == K_PING)
        mp_ping_sock_free(f->ping);
    else
        afmp_stream_free(f);
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
            afmp_sock_file_free(f);
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
            afmp_sock_file_free(f);
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
        g_hash_table_destroy(ps->result_index);
        for (guint j = 0; j < ps->results->len; j++) {
            struct afmp_result *r = g_ptr_array_index(ps->results, j);
            g_free(r->key);
            g_free(r);
        }
        g_ptr_array_free(ps->results, TRUE);
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
    ps->results = g_ptr_array_new();
    ps->result_index = g_hash_table_new(g_str_hash, g_str_equal);
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

const GPtrArray *afmp_stack_results(struct mp_host *h, uint32_t pid)
{
    struct pstate *ps = h->sock ? pstate_of(h->sock, pid, false) : NULL;
    return ps && ps->results->len ? ps->results : NULL;
}

bool afmp_stack_result(struct mp_host *h, uint32_t pid, const char *key, int64_t *out)
{
    struct pstate *ps = h->sock ? pstate_of(h->sock, pid, false) : NULL;
    guint at = ps ? GPOINTER_TO_UINT(g_hash_table_lookup(ps->result_index, key)) : 0;
    if (!at)
        return false;
    *out = ((const struct afmp_result *)g_ptr_array_index(ps->results, at - 1))->value;
    return true;
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

void afmp_sock_wake(void *arg)
{
    struct file *f = arg;
    mp_waitq_wake_all(&f->wq);
    for (guint i = 0; i < f->pollers->len; i++)
        mp_waitq_wake_all(&((struct poller *)g_ptr_array_index(f->pollers, i))->wq);
}

int afmp_sock_fd_alloc(struct pstate *ps, struct file *f)
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

struct tsock *afmp_sock_tsock_new(struct afmp_stack *st, struct mp_tcp_stack *ts)
{
    struct tsock *t = g_new0(struct tsock, 1);
    t->h = st->h;
    t->stack = ts;
    t->o = *mp_tcp_stack_defaults(ts);
    return t;
}

int afmp_socket(int domain, int type, int protocol)
{
    struct ctx c;
    int rc;
    if (!current(&c))
        return -1;
    int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain == AF_MULTIPATH && c.st->conf.multipath)
        return (rc = afmp_mpsock_socket(&c, type, protocol, flags)) < 0 ? fail(rc) : rc;
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
        f->udp = mp_udp_sock_new(c.h, v, afmp_sock_wake, f);
    } else if (type == SOCK_DGRAM &&
               ((v == 4 && protocol == IPPROTO_ICMP) || (v == 6 && protocol == IPPROTO_ICMPV6))) {
        f->kind = K_PING;
        f->protocol = protocol;
        f->ping = mp_ping_sock_new(c.h, v, afmp_sock_wake, f);
    } else if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP) &&
               (ts = mp_tcp_stack_of(c.h)) && !(c.st->conf.mptcpize && afmp_mpsock_mptcp_on(c.h))) {
        f->kind = K_TCP;
        f->protocol = IPPROTO_TCP;
        f->tcp = afmp_sock_tsock_new(c.st, ts);
        g_ptr_array_add(c.st->tcp, f);
    } else if (type == SOCK_STREAM &&
               (protocol == AFMP_IPPROTO_MPTCP || protocol == 0 || protocol == IPPROTO_TCP) &&
               (ts = mp_tcp_stack_of(c.h)) && afmp_mpsock_mptcp_on(c.h)) {
        /* mptcpize (a plain TCP socket made MPTCP, as Linux's mptcpize
         * tool does by changing the protocol) or IPPROTO_MPTCP. */
        /* Linux: socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP). */
        f->kind = K_TCP;
        f->protocol = AFMP_IPPROTO_MPTCP;
        f->tcp = afmp_sock_tsock_new(c.st, ts);
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
    return afmp_sock_fd_alloc(c.ps, f);
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

void afmp_sock_to_sockaddr(const struct mp_endpoint *ep, struct sockaddr *sa, socklen_t *len)
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

int afmp_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct ctx c;
    struct file *f;
    struct mp_endpoint ep;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (f->kind == K_TCP && f->tcp->multipath) {
        int rc = afmp_mpsock_bind(&c, f, addr, len);
        return rc < 0 ? fail(rc) : 0;
    }
    int rc = from_sockaddr(f, addr, len, &ep, false);
    if (rc < 0)
        return fail(rc);
    if (f->kind == K_TCP)
        rc = afmp_stream_bind(&c, f, &ep, true);
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
        int rc = afmp_mpsock_connect(&c, f, addr, len);
        return rc < 0 ? fail(rc) : 0;
    }
    int rc = from_sockaddr(f, addr, len, &ep, f->kind == K_UDP);
    if (rc < 0)
        return fail(rc);
    if (f->kind == K_TCP)
        rc = afmp_stream_connect(&c, f, &ep);
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
        rc = afmp_stream_send(&c, f, buf, len, flags);
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

ssize_t afmp_send_fill(int fd, size_t len, int flags, afmp_fill_fn fill, void *arg)
{
    struct ctx c;
    struct file *f;
    if (!current(&c) || !(f = file_of(&c, fd)))
        return -1;
    if (f->kind != K_TCP)
        return fail(-EOPNOTSUPP);
    long rc = afmp_stream_send_fill(&c, f, len, flags, fill, arg);
    return rc < 0 ? fail((int)rc) : rc;
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
        ssize_t n = afmp_stream_recv(&c, f, buf, len, flags);
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
                afmp_sock_to_sockaddr(&ep, from, fromlen);
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
            afmp_sock_file_free(f);
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
        int rc = afmp_mpsock_names(&c, f, false, addr, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (f->kind == K_TCP)
        afmp_stream_local(f, &ep);
    else if (f->kind == K_UDP)
        mp_udp_local(f->udp, &ep);
    else
        mp_ping_local(f->ping, &ep);
    afmp_sock_to_sockaddr(&ep, addr, len);
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
        int rc = afmp_mpsock_names(&c, f, true, addr, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (f->kind == K_TCP) {
        /* Linux: ENOTCONN while SYN_SENT and once closed. */
        struct tsock *t = f->tcp;
        enum mp_tcp_state s = afmp_stream_state(t);
        if (t->listening || s == MP_TCP_CLOSED || s == MP_TCP_SYN_SENT)
            return fail(-ENOTCONN);
        afmp_stream_endpoints(t, NULL, &ep);
    } else if (f->kind != K_UDP || mp_udp_peer(f->udp, &ep) < 0) {
        return fail(-ENOTCONN);
    }
    afmp_sock_to_sockaddr(&ep, addr, len);
    return 0;
}

static mp_time_t timeval_ns(const struct timeval *tv)
{
    return (mp_time_t)tv->tv_sec * 1000000000u + (mp_time_t)tv->tv_usec * 1000u;
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
        int rc = afmp_mpsock_setsockopt_addrs(&c, f, name, val, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (level == IPPROTO_TCP && f->kind == K_TCP) {
        if (len < sizeof(int))
            return fail(-EINVAL);
        int rc = name == TCP_MULTIPATH_ENABLE ? afmp_mpsock_setsockopt_enable(&c, f, v)
                                              : afmp_stream_setsockopt(f, name, v);
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
    case SO_LINGER: {
        struct linger lg;
        if (len < sizeof(lg))
            return fail(-EINVAL);
        memcpy(&lg, val, sizeof(lg));
        if (f->kind == K_TCP) {
            f->tcp->linger_on = lg.l_onoff != 0;
            f->tcp->linger_s = lg.l_linger < 0 ? 0 : lg.l_linger;
        }
        return 0;
    }
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
        int rc = afmp_mpsock_getsockopt_info(f, val, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (level == SOL_MPTCP && f->kind == K_TCP &&
        (name == AFMP_MPTCP_TCPINFO || name == AFMP_MPTCP_SUBFLOW_ADDRS)) {
        int rc = afmp_mpsock_getsockopt_subflows(f, name, val, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (level == SOL_MPTCP)
        return fail(f->kind == K_TCP ? -EOPNOTSUPP : -ENOPROTOOPT);
    if (level == IPPROTO_TCP && f->kind == K_TCP && name >= TCP_MULTIPATH_ENABLE &&
        name <= TCP_MULTIPATH_CONNID && name != TCP_MULTIPATH_ADD &&
        name != TCP_MULTIPATH_REMOVE) {
        int rc = afmp_mpsock_getsockopt_tcp(f, name, val, len);
        return rc < 0 ? fail(rc) : 0;
    }
    if (level == IPPROTO_TCP && f->kind == K_TCP) {
        int rc = afmp_stream_getsockopt(f, name, val, len);
        return rc < 0 ? fail(rc) : 0;
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
            v = afmp_stream_open(f->tcp) ? -afmp_stream_take_error(f->tcp) : 0;
        else
            v = f->kind == K_UDP ? mp_udp_take_error(f->udp) : 0;
        break;
    case SO_REUSEADDR:
        v = f->kind == K_TCP && f->tcp->reuseaddr;
        break;
    case SO_LINGER: {
        struct linger lg = {0, 0};
        if (f->kind == K_TCP) {
            lg.l_onoff = f->tcp->linger_on;
            lg.l_linger = f->tcp->linger_s;
        }
        memcpy(val, &lg, MIN(*len, (socklen_t)sizeof(lg)));
        *len = sizeof(lg);
        return 0;
    }
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
                short m = afmp_stream_poll_mask(f, (fds[i].events & POLLOUT) && !last_look);
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
    int rc = afmp_stream_listen(&c, f, backlog);
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
    int rc = afmp_stream_accept(&c, f, addr, len, flags);
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
    int rc = afmp_stream_shutdown(f, how);
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
        afmp_sock_file_free(f);
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

int afmp_cleanup_push(void (*fn)(void *), void *arg)
{
    int rc = mp_proc_cleanup_push(fn, arg);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

void afmp_cleanup_pop(int execute)
{
    mp_proc_cleanup_pop(execute != 0);
}

/* The entry of |key| in the calling process's results, made (with |value|)
 * if new; NULL outside a process. */
static struct afmp_result *result_entry(const char *key, int64_t value)
{
    struct ctx c;
    if (!current(&c))
        return NULL;
    GPtrArray *rs = c.ps->results;
    /* Applications publish the same keys in the same order again and again
     * (a sink after every wake-up): the entry after the last one set is
     * looked at first, then the index. */
    guint i = c.ps->result_next;
    struct afmp_result *r;
    if (i < rs->len && strcmp((r = g_ptr_array_index(rs, i))->key, key) == 0) {
        c.ps->result_next = i + 1;
        r->value = value;
        return r;
    }
    guint at = GPOINTER_TO_UINT(g_hash_table_lookup(c.ps->result_index, key));
    if (at) {
        c.ps->result_next = at;
        r = g_ptr_array_index(rs, at - 1);
        r->value = value;
        return r;
    }
    r = g_new(struct afmp_result, 1);
    r->key = g_strdup(key);
    r->value = value;
    g_ptr_array_add(rs, r);
    g_hash_table_insert(c.ps->result_index, r->key, GUINT_TO_POINTER(rs->len));
    c.ps->result_next = rs->len;
    return r;
}

void afmp_result(const char *key, int64_t value)
{
    result_entry(key, value);
}

int64_t *afmp_result_cell(const char *key)
{
    struct afmp_result *r = result_entry(key, 0);
    return r ? &r->value : NULL;
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
