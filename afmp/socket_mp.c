/*
 * afmp: AF_MULTIPATH stream sockets (draft-sarolahti-mptcp-af-multipath;
 * README.md "AF_MULTIPATH sockets"), RFC 6897's socket options and Linux's
 * MPTCP_INFO, on the stream sockets of socket_stream.c.
 */
#include "afmp/socket_int.h"

#include <errno.h>
#include <string.h>

#include "afmp/resolver.h"
#include "model/net/addr.h"

bool afmp_mpsock_mptcp_on(struct mp_host *h)
{
    struct mp_mptcp_stack *ms = mp_mptcp_stack_of(h);
    return ms && mp_mptcp_stack_config(ms)->enabled;
}

/* socket(AF_MULTIPATH, SOCK_STREAM, 0 or IPPROTO_MPTCP): an MPTCP socket
 * that takes containers (the draft: an AF_MULTIPATH address means MPTCP).
 * MPTCP disabled on the host: ENOPROTOOPT, as for IPPROTO_MPTCP. */
int afmp_mpsock_socket(struct ctx *c, int type, int protocol, int flags)
{
    struct mp_tcp_stack *ts = mp_tcp_stack_of(c->h);
    if (type != SOCK_STREAM)
        return type == SOCK_DGRAM || type == SOCK_RAW ? -EPROTONOSUPPORT : -EINVAL;
    if (protocol != 0 && protocol != IPPROTO_TCP && protocol != AFMP_IPPROTO_MPTCP)
        return -EPROTONOSUPPORT;
    if (!ts || !mp_mptcp_stack_of(c->h))
        return -EAFNOSUPPORT;
    if (!afmp_mpsock_mptcp_on(c->h))
        return -ENOPROTOOPT;
    struct file *f = g_new0(struct file, 1);
    f->domain = AF_MULTIPATH;
    f->type = type;
    f->pollers = g_ptr_array_new();
    f->nonblock = (flags & SOCK_NONBLOCK) != 0;
    f->refs = 1;
    f->kind = K_TCP;
    f->protocol = AFMP_IPPROTO_MPTCP;
    f->tcp = afmp_sock_tsock_new(c->st, ts);
    f->tcp->mptcp = true;
    f->tcp->multipath = true;
    g_ptr_array_add(c->st->tcp, f);
    return afmp_sock_fd_alloc(c->ps, f);
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
int afmp_mpsock_connect(struct ctx *c, struct file *f, const struct sockaddr *sa, socklen_t len)
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
    if (t->msk && (t->connecting || t->connected) && afmp_stream_state(t) != MP_TCP_CLOSED) {
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
        return afmp_stream_connect_wait(c, f);
    }
    if (t->connecting)
        return afmp_stream_connect_wait(c, f);
    if (t->connected)
        return -EISCONN;
    if (!t->is_bound) {
        struct mp_endpoint any = {.ip = {.v = 0}};
        int rc = afmp_stream_bind(c, f, &any, false);
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
    afmp_stream_msk_cbs(f, &mcbs);
    int rc = mp_mptcp_connect_multi(mp_mptcp_stack_of(t->h), locals, nl, t->bound.port, ep,
                                    (size_t)n, &t->o, "api", &mcbs, &t->msk, now);
    return afmp_stream_connect_started(c, f, rc);
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
int afmp_mpsock_bind(struct ctx *c, struct file *f, const struct sockaddr *sa, socklen_t len)
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
    if (!t->is_bound && !afmp_stream_open(t)) {
        int rc = afmp_stream_bind(c, f, &ep[0], true);
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
        else if (t->msk && afmp_stream_state(t) != MP_TCP_CLOSED)
            rc = mp_mptcp_add_local(t->msk, &ep[i].ip, now);
        else if (afmp_stream_conflict(c->st, f, &ep[i]))
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
int afmp_mpsock_names(struct ctx *c, struct file *f, bool peer, struct sockaddr *sa, socklen_t *len)
{
    struct tsock *t = f->tcp;
    struct mp_endpoint l[AFMP_SOCK_MAX_ADDRS], r[AFMP_SOCK_MAX_ADDRS];
    size_t nl = 0, nr = 0;
    if (t->msk)
        mp_mptcp_addr_lists(t->msk, l, &nl, r, &nr, AFMP_SOCK_MAX_ADDRS);
    if (peer) {
        enum mp_tcp_state st = afmp_stream_state(t);
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
int afmp_mpsock_setsockopt_addrs(struct ctx *c, struct file *f, int name, const void *val,
                                 socklen_t len)
{
    struct tsock *t = f->tcp;
    if (!t->mptcp)
        return -EOPNOTSUPP;
    if (name == TCP_MULTIPATH_ADD) {
        /* Other MPTCP sockets follow the host's path manager, which
         * already uses every address of the host. */
        return t->multipath ? afmp_mpsock_bind(c, f, val, len) : -EOPNOTSUPP;
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

int afmp_mpsock_setsockopt_enable(struct ctx *c, struct file *f, int v)
{
    struct tsock *t = f->tcp;
    if (afmp_stream_open(t))
        return -EISCONN;
    if (t->multipath)
        return v ? 0 : -EOPNOTSUPP; /* AF_MULTIPATH means MPTCP */
    if (v && !afmp_mpsock_mptcp_on(c->h))
        return -ENOPROTOOPT;
    t->mptcp = v != 0;
    return 0;
}

int afmp_mpsock_getsockopt_tcp(struct file *f, int name, void *val, socklen_t *len)
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
int afmp_mpsock_getsockopt_info(struct file *f, void *val, socklen_t *len)
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

/* MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS, as Linux's mptcp_getsockopt_tcpinfo
 * and mptcp_getsockopt_subflow_addrs: the live subflows after a header. */
int afmp_mpsock_getsockopt_subflows(struct file *f, int name, void *val, socklen_t *len)
{
    struct tsock *t = f->tcp;
    struct afmp_mptcp_subflow_data hd;
    if (!val || *len < (socklen_t)sizeof(hd))
        return -EINVAL;
    memcpy(&hd, val, sizeof(hd));
    if (hd.size_subflow_data < sizeof(hd) || hd.size_subflow_data > (uint32_t)*len ||
        hd.num_subflows || hd.size_kernel || hd.size_user > 4096)
        return -EINVAL;
    if (!t->mptcp || !t->msk)
        return -EOPNOTSUPP;
    struct mp_mptcp_info mi;
    mp_mptcp_get_info(t->msk, &mi);
    if (mi.fallback)
        return -EOPNOTSUPP;
    size_t elem = name == AFMP_MPTCP_TCPINFO ? sizeof(struct afmp_tcp_info)
                                             : sizeof(struct afmp_mptcp_subflow_addrs);
    size_t copy = MIN((size_t)hd.size_user, elem);
    uint8_t *out = (uint8_t *)val + hd.size_subflow_data;
    size_t room = (size_t)*len - hd.size_subflow_data, used = 0;
    uint32_t n = 0;
    for (size_t i = 0; i < mp_mptcp_subflow_count(t->msk); i++) {
        struct mp_mptcp_subflow_info si;
        if (!mp_mptcp_subflow_get(t->msk, i, &si) || !si.established)
            continue;
        n++;
        if (used + copy > room)
            continue; /* counted, not copied: the caller sees num_subflows */
        union {
            struct afmp_tcp_info ti;
            struct afmp_mptcp_subflow_addrs a;
        } e;
        memset(&e, 0, sizeof(e));
        if (name == AFMP_MPTCP_TCPINFO) {
            afmp_sock_tcp_info(&si.tcp, &e.ti);
        } else {
            socklen_t sl = sizeof(e.a.ss_local), rl = sizeof(e.a.ss_remote);
            afmp_sock_to_sockaddr(&si.local, (struct sockaddr *)&e.a.ss_local, &sl);
            afmp_sock_to_sockaddr(&si.remote, (struct sockaddr *)&e.a.ss_remote, &rl);
        }
        memcpy(out + used, &e, copy);
        used += copy;
    }
    hd.num_subflows = n;
    hd.size_kernel = (uint32_t)elem;
    memcpy(val, &hd, sizeof(hd));
    *len = (socklen_t)(hd.size_subflow_data + used);
    return 0;
}
