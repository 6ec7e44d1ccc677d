/*
 * afmp: stream sockets (socket_int.h), TCP or MPTCP underneath: bind,
 * connect, listen, accept, send, recv, shutdown, poll and the IPPROTO_TCP
 * options.
 *
 * Stream sockets keep Linux's split between the socket (struct socket: not
 * connected, connecting, connected) and the protocol state (the TCP
 * connection's RFC 9293 state): connect() and shutdown() decide on both, as
 * inet_stream_connect() and inet_shutdown() do.
 */
#include "afmp/socket_int.h"

#include <errno.h>
#include <string.h>

#include "model/net/addr.h"

/* ---- stream sockets ---- */

static void tcp_cb_wake(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    afmp_sock_wake(arg);
}

static void tcp_cb_closed(void *arg, struct mp_tcp_conn *c, int err, mp_time_t now)
{
    afmp_sock_wake(arg);
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
    afmp_sock_wake(arg);
}

static void msk_cb_closed(void *arg, struct mp_mptcp_sock *m, int err, mp_time_t now)
{
    afmp_sock_wake(arg);
}

void afmp_stream_msk_cbs(struct file *f, struct mp_mptcp_cbs *cbs)
{
    memset(cbs, 0, sizeof(*cbs));
    cbs->connected = msk_cb_wake;
    cbs->accept_ready = msk_cb_wake;
    cbs->readable = msk_cb_wake;
    cbs->writable = msk_cb_wake;
    cbs->closed = msk_cb_closed;
    cbs->arg = f;
}

bool afmp_stream_open(const struct tsock *t)
{
    return t->conn || t->msk;
}

enum mp_tcp_state afmp_stream_state(const struct tsock *t)
{
    if (t->msk)
        return mp_mptcp_state(t->msk);
    return t->conn ? mp_tcp_conn_state(t->conn) : MP_TCP_CLOSED;
}

int afmp_stream_take_error(struct tsock *t)
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

/* Where a send's bytes come from: |buf|, or |fill| when it is set. */
struct src {
    const uint8_t *buf;
    afmp_fill_fn fill;
    void *arg;
};

static ssize_t s_send(struct tsock *t, const struct src *src, size_t done, size_t len, mp_time_t now)
{
    ssize_t n;
    if (!src->fill) {
        n = t->msk ? mp_mptcp_send(t->msk, src->buf + done, len, now)
                   : mp_tcp_send(t->conn, src->buf + done, len, now);
    } else {
        n = t->msk ? mp_mptcp_send_fill(t->msk, len, src->fill, src->arg, now)
                   : mp_tcp_send_fill(t->conn, len, src->fill, src->arg, now);
        if (n == -EOPNOTSUPP) {
            /* MPTCP fallen back to TCP: the bytes are written out. */
            uint8_t tmp[4096];
            size_t got = 0;
            n = 0;
            while (got < len) {
                size_t k = MIN(len - got, sizeof(tmp));
                src->fill(src->arg, t->sent + got, tmp, k);
                ssize_t m = mp_mptcp_send(t->msk, tmp, k, now);
                if (m < 0) {
                    n = got ? (ssize_t)got : m;
                    break;
                }
                got += (size_t)m;
                n = (ssize_t)got;
                if ((size_t)m < k)
                    break;
            }
        }
    }
    if (n > 0)
        t->sent += (uint64_t)n;
    return n;
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
    bool reset = t->linger_on && t->linger_s == 0;
    if (t->msk && reset)
        mp_mptcp_abort(t->msk, now);
    else if (t->msk)
        mp_mptcp_close(t->msk, now);
    else if (t->conn && reset)
        mp_tcp_abort(t->conn, now);
    else if (t->conn)
        mp_tcp_close(t->conn, now);
    t->msk = NULL;
    t->conn = NULL;
}

void afmp_stream_endpoints(const struct tsock *t, struct mp_endpoint *l, struct mp_endpoint *r)
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

void afmp_stream_free(struct file *f)
{
    struct tsock *t = f->tcp;
    struct afmp_stack *st = t->h->sock;
    /* Linux on close() and on process exit: a FIN after the queued data,
     * a RST when unread data is thrown away (mp_tcp_close decides). */
    if (afmp_stream_open(t) && !st->teardown)
        s_close(t, host_now(t));
    g_ptr_array_remove(st->tcp, f);
    g_free(t);
}

void afmp_stream_local(const struct file *f, struct mp_endpoint *ep)
{
    const struct tsock *t = f->tcp;
    if (afmp_stream_open(t) && !t->listening) {
        afmp_stream_endpoints(t, ep, NULL);
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
bool afmp_stream_conflict(struct afmp_stack *st, const struct file *f, const struct mp_endpoint *ep)
{
    const struct tsock *t = f->tcp;
    for (guint i = 0; i < st->tcp->len; i++) {
        const struct file *o = g_ptr_array_index(st->tcp, i);
        if (o == f || (!o->tcp->is_bound && !o->tcp->conn))
            continue;
        struct mp_endpoint oe;
        afmp_stream_local(o, &oe);
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
        afmp_stream_local(o, &oe);
        if (oe.port == port)
            return true;
    }
    return mp_tcp_port_held(pp->t->stack, port, false);
}

/* bind(): Linux's checks in their order (inet_bind). */
int afmp_stream_bind(struct ctx *c, struct file *f, const struct mp_endpoint *in, bool user)
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
    } else if (afmp_stream_conflict(c->st, f, &ep)) {
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
        afmp_sock_file_free(f);
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
    int err = afmp_stream_take_error(t);
    s_close(t, mp_proc_now());
    t->connecting = false;
    if (!t->user_bound)
        t->is_bound = false;
    return err ? err : -ECONNABORTED;
}

int afmp_stream_connect(struct ctx *c, struct file *f, const struct mp_endpoint *remote)
{
    struct tsock *t = f->tcp;
    if (t->listening || t->connected)
        return -EISCONN;
    if (t->connecting) {
        if (afmp_stream_state(t) == MP_TCP_SYN_SENT && f->nonblock)
            return -EALREADY;
    } else {
        /* A new attempt. */
        if (!t->is_bound) {
            struct mp_endpoint any = {.ip = mp_ip_any(remote->ip.v)};
            int rc = afmp_stream_bind(c, f, &any, false);
            if (rc < 0)
                return rc;
        }
        int rc;
        if (t->mptcp) {
            struct mp_mptcp_cbs mcbs;
            afmp_stream_msk_cbs(f, &mcbs);
            rc = mp_mptcp_connect(mp_mptcp_stack_of(t->h), &t->bound, remote, &t->o, &mcbs, &t->msk,
                                  mp_proc_now());
        } else {
            struct mp_tcp_cbs cbs;
            tcp_cbs(f, &cbs);
            rc = mp_tcp_connect(t->stack, &t->bound, remote, &t->o, &cbs, &t->conn, mp_proc_now());
        }
        return afmp_stream_connect_started(c, f, rc);
    }
    return afmp_stream_connect_wait(c, f);
}

/* After the protocol was asked to connect (|rc|): undo a failed start, or
 * wait for the handshake as the socket's mode says. */
int afmp_stream_connect_started(struct ctx *c, struct file *f, int rc)
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
    return afmp_stream_connect_wait(c, f);
}

/* The blocking part of connect(): Linux waits for the handshake up to
 * SO_SNDTIMEO, then says EINPROGRESS. */
int afmp_stream_connect_wait(struct ctx *c, struct file *f)
{
    struct tsock *t = f->tcp;
    mp_time_t deadline = deadline_of(f->sndtimeo);
    while (afmp_stream_state(t) == MP_TCP_SYN_SENT) {
        int w = tcp_block(c, f, deadline);
        if (w == -EBADF)
            return w;
        if (w == -EAGAIN)
            return -EINPROGRESS;
    }
    if (afmp_stream_state(t) == MP_TCP_CLOSED)
        return tcp_connect_failed(t);
    t->connecting = false;
    t->connected = true;
    return 0;
}

int afmp_stream_listen(struct ctx *c, struct file *f, int backlog)
{
    struct tsock *t = f->tcp;
    if (t->listening)
        return 0;
    if (afmp_stream_open(t))
        return -EINVAL;
    if (!t->is_bound) {
        /* Linux binds an ephemeral port (inet_autobind). */
        struct mp_endpoint any = {.ip = mp_ip_any(f->domain == AF_INET ? 4 : 6)};
        int rc = afmp_stream_bind(c, f, &any, false);
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
        afmp_stream_msk_cbs(f, &mcbs);
        rc =
            mp_mptcp_listen(mp_mptcp_stack_of(t->h), &t->bound, backlog + 1, &t->o, &mcbs, &t->msk);
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

int afmp_stream_accept(struct ctx *c, struct file *f, struct sockaddr *addr, socklen_t *len,
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
            nf->tcp = afmp_sock_tsock_new(c->st, t->stack);
            nf->tcp->o = t->o;
            nf->tcp->reuseaddr = t->reuseaddr;
            nf->tcp->conn = ch;
            nf->tcp->msk = mch;
            nf->tcp->mptcp = t->mptcp;
            nf->tcp->multipath = t->multipath;
            nf->tcp->connected = true;
            afmp_stream_endpoints(nf->tcp, &nf->tcp->bound, NULL);
            nf->tcp->is_bound = true;
            g_ptr_array_add(c->st->tcp, nf);
            if (mch) {
                struct mp_mptcp_cbs mcbs;
                afmp_stream_msk_cbs(nf, &mcbs);
                mp_mptcp_set_cbs(mch, &mcbs);
            } else {
                struct mp_tcp_cbs cbs;
                tcp_cbs(nf, &cbs);
                mp_tcp_set_cbs(ch, &cbs);
            }
            if (addr || len) {
                struct mp_endpoint re;
                afmp_stream_endpoints(nf->tcp, NULL, &re);
                if (t->multipath && len)
                    afmp_mp_from_endpoints(&re, 1, addr, len);
                else
                    afmp_sock_to_sockaddr(&re, addr, len);
            }
            /* Data or a FIN may have come before the accept. */
            return afmp_sock_fd_alloc(c->ps, nf);
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
static ssize_t stream_send(struct ctx *c, struct file *f, const struct src *src, size_t len,
                           int flags)
{
    struct tsock *t = f->tcp;
    bool nb = f->nonblock || (flags & MSG_DONTWAIT);
    mp_time_t deadline = deadline_of(f->sndtimeo);
    size_t done = 0;
    for (;;) {
        if (!afmp_stream_open(t) || t->listening)
            return -EPIPE;
        enum mp_tcp_state s = afmp_stream_state(t);
        ssize_t n = 0;
        if (s == MP_TCP_CLOSED) {
            /* sk_stream_error: the pending error first (reading it clears
             * it), then EPIPE. No SIGPIPE in the simulation. */
            int e = afmp_stream_take_error(t);
            n = e ? e : -EPIPE;
        } else if (s == MP_TCP_SYN_SENT || s == MP_TCP_SYN_RECEIVED) {
            n = 0; /* sk_stream_wait_connect: wait for the handshake */
        } else if (t->wr_shut) {
            n = -EPIPE;
        } else {
            n = s_send(t, src, done, len - done, mp_proc_now());
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

ssize_t afmp_stream_send(struct ctx *c, struct file *f, const void *buf, size_t len, int flags)
{
    if (!buf && len)
        return -EFAULT;
    struct src src = {buf, NULL, NULL};
    return stream_send(c, f, &src, len, flags);
}

ssize_t afmp_stream_send_fill(struct ctx *c, struct file *f, size_t len, int flags,
                              afmp_fill_fn fill, void *arg)
{
    if (!fill)
        return -EINVAL;
    struct src src = {NULL, fill, arg};
    return stream_send(c, f, &src, len, flags);
}

/* recv() on a stream: Linux's tcp_recvmsg (MSG_WAITALL included; no
 * MSG_PEEK yet). */
ssize_t afmp_stream_recv(struct ctx *c, struct file *f, void *buf, size_t len, int flags)
{
    struct tsock *t = f->tcp;
    bool nb = f->nonblock || (flags & MSG_DONTWAIT);
    mp_time_t deadline = deadline_of(f->rcvtimeo);
    size_t done = 0;
    if (!afmp_stream_open(t) || t->listening)
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
            afmp_stream_take_error(t);
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
int afmp_stream_shutdown(struct file *f, int how)
{
    struct tsock *t = f->tcp;
    int err = 0;
    /* SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2: Linux works with how + 1 as a mask. */
    unsigned mask = (unsigned)how + 1;
    if (!afmp_stream_open(t))
        return -ENOTCONN;
    enum mp_tcp_state s = afmp_stream_state(t);
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
    afmp_sock_wake(f);
    return err;
}

/* tcp_poll(): what a poller sees. With |arm|, asks TCP for the writable
 * callback when POLLOUT is not there yet (the low-water mark). */
short afmp_stream_poll_mask(struct file *f, bool arm)
{
    struct tsock *t = f->tcp;
    if (t->listening)
        return (t->msk ? mp_mptcp_accept_pending(t->msk) : mp_tcp_accept_pending(t->conn))
                   ? POLLIN | POLLRDNORM
                   : 0;
    if (!afmp_stream_open(t))
        return POLLOUT | POLLWRNORM | POLLHUP; /* Linux: TCP_CLOSE */
    enum mp_tcp_state s = afmp_stream_state(t);
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

/* IPPROTO_TCP options of a stream socket. */
int afmp_stream_setsockopt(struct file *f, int name, int v)
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

/* TCP_INFO: the fields afmp's TCP knows, in Linux's units (microseconds
 * for times). */
static void fill_tcp_info(const struct tsock *t, struct afmp_tcp_info *out)
{
    memset(out, 0, sizeof(*out));
    const struct mp_tcp_conn *conn = s_tcp(t);
    struct mp_tcp_info in;
    if (conn) {
        mp_tcp_get_info(conn, &in);
    } else if (!t->msk || !mp_mptcp_first_tcp_info(t->msk, &in)) {
        out->tcpi.tcpi_state = 7; /* TCP_CLOSE */
        return;
    }
    afmp_sock_tcp_info(&in, out);
}

void afmp_sock_tcp_info(const struct mp_tcp_info *ip, struct afmp_tcp_info *out)
{
    const struct mp_tcp_info in = *ip;
    struct tcp_info *ti = &out->tcpi;
    memset(out, 0, sizeof(*out));
    /* Linux numbers its states differently from RFC 9293's order. */
    static const uint8_t linux_state[] = {
        [MP_TCP_CLOSED] = 7,       [MP_TCP_LISTEN] = 10,     [MP_TCP_SYN_SENT] = 2,
        [MP_TCP_SYN_RECEIVED] = 3, [MP_TCP_ESTABLISHED] = 1, [MP_TCP_FIN_WAIT_1] = 4,
        [MP_TCP_FIN_WAIT_2] = 5,   [MP_TCP_CLOSE_WAIT] = 8,  [MP_TCP_CLOSING] = 11,
        [MP_TCP_LAST_ACK] = 9,     [MP_TCP_TIME_WAIT] = 6,
    };
    ti->tcpi_state = linux_state[in.state];
    ti->tcpi_backoff = (uint8_t)MIN(in.backoff, 255u);
    ti->tcpi_options =
        (in.sack_ok ? 2 : 0) | (in.ts_ok ? 1 : 0) | (in.snd_wscale || in.rcv_wscale ? 4 : 0);
    ti->tcpi_snd_wscale = in.snd_wscale & 15;
    ti->tcpi_rcv_wscale = in.rcv_wscale & 15;
    ti->tcpi_rto = (uint32_t)(in.rto / 1000u);
    ti->tcpi_snd_mss = in.mss;
    ti->tcpi_rtt = (uint32_t)(in.srtt / 1000u);
    ti->tcpi_rttvar = (uint32_t)(in.rttvar / 1000u);
    ti->tcpi_snd_ssthresh = in.ssthresh;
    ti->tcpi_snd_cwnd = in.cwnd;
    ti->tcpi_total_retrans = (uint32_t)in.retrans_segs;
    out->tcpi_pacing_rate = in.pacing_rate;
    out->tcpi_bytes_acked = in.bytes_acked;
    out->tcpi_bytes_received = in.bytes_received;
    out->tcpi_snd_wnd = in.snd_wnd;
}

/* IPPROTO_TCP options read from a stream socket (afmp_getsockopt). */
int afmp_stream_getsockopt(struct file *f, int name, void *val, socklen_t *len)
{
    int v;
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
        struct afmp_tcp_info ti;
        fill_tcp_info(f->tcp, &ti);
        memcpy(val, &ti, MIN(*len, (socklen_t)sizeof(ti)));
        *len = MIN(*len, (socklen_t)sizeof(ti));
        return 0;
    }
    default:
        return -ENOPROTOOPT;
    }
    memcpy(val, &v, MIN(*len, (socklen_t)sizeof(v)));
    *len = sizeof(v);
    return 0;
}
