/*
 * afmp: the stub resolver (resolver.h).
 *
 * Everything a lookup needs while it waits lives on the calling process's
 * stack: a process stopped during a lookup never returns, and its socket is
 * closed by the socket layer's exit hook, so nothing leaks.
 */
#include "afmp/resolver.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "afmp/afmp.h"
#include "afmp/stack.h"
#include "model/net/addr.h"
#include "model/net/host.h"
#include "model/net/srcsel.h"
#include "model/wire/dns.h"
#include "sim/proc/proc.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* Provided by the socket layer once it keeps the resolver's record; until
 * then the reference stays NULL (see resolver.h). */
extern void **afmp_stack_resolver_slot(struct mp_host *h) __attribute__((weak));

/* Room for the non-reentrant gethostbyname2(): the name, 32 addresses or
 * one container, and the pointer arrays. */
#define HOSTENT_BUF 4096u
#define RECV_MAX 4096u

struct res_conf {
    struct sockaddr_storage server;
    socklen_t server_len;
    mp_time_t timeout;
    unsigned attempts;
};

/* What a process keeps between calls: h_errno and gethostbyname2()'s
 * result. */
struct res_proc {
    uint32_t pid;
    int h_err;
    struct hostent he;
    char buf[HOSTENT_BUF];
};

/* The host's record, in the socket layer's slot. */
struct res_host {
    struct res_conf conf;
    struct mp_rng rng; /* query IDs: stream "host/<name>/resolver" */
    GPtrArray *procs;  /* struct res_proc *, in order of first use */
};

static void conf_default(struct res_conf *c)
{
    struct sockaddr_in *in = (struct sockaddr_in *)&c->server;
    memset(c, 0, sizeof(*c));
    /* glibc's choice when resolv.conf names no server. */
    in->sin_family = AF_INET;
    in->sin_port = htons(MP_DNS_PORT);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->server_len = sizeof(*in);
    c->timeout = AFMP_RES_TIMEOUT;
    c->attempts = AFMP_RES_ATTEMPTS;
}

static struct res_host *host_state(struct mp_host *h)
{
    void **slot = afmp_stack_resolver_slot && h ? afmp_stack_resolver_slot(h) : NULL;
    if (!slot)
        return NULL;
    if (!*slot) {
        struct res_host *rs = g_new0(struct res_host, 1);
        char *name = g_strdup_printf("host/%s/resolver", h->name);
        conf_default(&rs->conf);
        mp_env_rng(h->env, name, &rs->rng);
        g_free(name);
        rs->procs = g_ptr_array_new_with_free_func(g_free);
        *slot = rs;
    }
    return *slot;
}

void afmp_resolver_host_free(void *state)
{
    struct res_host *rs = state;
    if (!rs)
        return;
    g_ptr_array_free(rs->procs, TRUE);
    g_free(rs);
}

/* The calling process's record, or NULL (outside a process, no slot). */
static struct res_proc *proc_state(void)
{
    struct mp_proc *p = mp_proc_current();
    struct res_host *rs = p ? host_state(mp_proc_host(p)) : NULL;
    if (!rs)
        return NULL;
    uint32_t pid = mp_proc_pid(p);
    for (guint i = 0; i < rs->procs->len; i++) {
        struct res_proc *rp = g_ptr_array_index(rs->procs, i);
        if (rp->pid == pid)
            return rp;
    }
    struct res_proc *rp = g_new0(struct res_proc, 1);
    rp->pid = pid;
    g_ptr_array_add(rs->procs, rp);
    return rp;
}

int *afmp_h_errno_location(void)
{
    struct res_proc *rp = proc_state();
    return rp ? &rp->h_err : NULL;
}

/* ---- configuration ---- */

static int fail(int err)
{
    errno = err;
    return -1;
}

int afmp_resolver_host_set_server(struct mp_host *h, const struct sockaddr *sa, socklen_t len)
{
    if (!sa || len < (socklen_t)sizeof(sa_family_t))
        return fail(EINVAL);
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
        return fail(EAFNOSUPPORT);
    socklen_t need =
        sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (len < need)
        return fail(EINVAL);
    struct res_host *rs = host_state(h);
    if (!rs)
        return fail(ENOSYS);
    memset(&rs->conf.server, 0, sizeof(rs->conf.server));
    memcpy(&rs->conf.server, sa, need);
    rs->conf.server_len = need;
    in_port_t *port = sa->sa_family == AF_INET
                          ? &((struct sockaddr_in *)&rs->conf.server)->sin_port
                          : &((struct sockaddr_in6 *)&rs->conf.server)->sin6_port;
    if (!*port)
        *port = htons(MP_DNS_PORT);
    return 0;
}

int afmp_resolver_host_set_options(struct mp_host *h, uint64_t timeout_ns, unsigned attempts)
{
    if (!timeout_ns || timeout_ns == MP_TIME_NEVER || !attempts || attempts > AFMP_RES_MAX_ATTEMPTS)
        return fail(EINVAL);
    struct res_host *rs = host_state(h);
    if (!rs)
        return fail(ENOSYS);
    rs->conf.timeout = timeout_ns;
    rs->conf.attempts = attempts;
    return 0;
}

int afmp_resolver_set_server(const struct sockaddr *sa, socklen_t len)
{
    struct mp_host *h = afmp_host();
    return h ? afmp_resolver_host_set_server(h, sa, len) : fail(EPERM);
}

int afmp_resolver_set_options(uint64_t timeout_ns, unsigned attempts)
{
    struct mp_host *h = afmp_host();
    return h ? afmp_resolver_host_set_options(h, timeout_ns, attempts) : fail(EPERM);
}

/* ---- sorting ---- */

void afmp_resolver_sort(const struct mp_host *h, struct mp_ip *a, size_t n)
{
    struct mp_srcsel_cand cand[64];
    struct mp_dstsort_entry e[AFMP_RES_MAX_ADDRS];
    size_t nc = 0;

    if (n < 2 || n > G_N_ELEMENTS(e))
        return;
    /* The candidates as the host's own source selection sees them: every
     * address in interface order (model/net/host.c). */
    for (guint i = 0; i < h->ifaces->len && nc < G_N_ELEMENTS(cand); i++) {
        const struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        for (guint j = 0; j < ifc->addrs->len && nc < G_N_ELEMENTS(cand); j++) {
            const struct mp_ifaddr *ia = &g_array_index(ifc->addrs, struct mp_ifaddr, j);
            cand[nc++] = (struct mp_srcsel_cand){ia->ip, ia->plen, ifc->ifindex, ia->flags};
        }
    }
    memset(e, 0, sizeof(e));
    for (size_t i = 0; i < n; i++)
        e[i].dst = a[i];
    /* RFC 6724 section 6 needs Source(D) and reachability of each D. */
    mp_dstsort_fill(h->rt, cand, nc, h->opts.prefer_temporary, e, n);
    mp_dstsort(e, n, NULL);
    for (size_t i = 0; i < n; i++)
        a[i] = e[i].dst;
}

/* ---- the exchange with the server ---- */

struct query {
    uint16_t qtype;
    uint16_t id;
    bool done;
    int herr; /* 0: records found */
    size_t n;
    struct mp_ip addr[AFMP_RES_MAX_ADDRS];
    size_t len;
    uint8_t msg[MP_DNS_UDP_MAX];
};

static bool from_server(const struct res_conf *c, const struct sockaddr_storage *from,
                        socklen_t flen)
{
    if (from->ss_family != c->server.ss_family)
        return false;
    if (from->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)from, *b = (const void *)&c->server;
        return flen >= sizeof(*a) && a->sin_port == b->sin_port &&
               a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *a = (const void *)from, *b = (const void *)&c->server;
    return flen >= sizeof(*a) && a->sin6_port == b->sin6_port &&
           !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr));
}

/* Matches the answer in |m| to an outstanding query and records its
 * outcome (resolver.h: RCODE to h_errno, as glibc). */
static void take_answer(const struct mp_dns_name *qname, const struct mp_dns_msg *m,
                        struct query *qs, size_t nq)
{
    /* RFC 5452 9.1: the ID and the question must be ours. */
    if (!m->h.qr || m->n_question != 1 || m->n_question_dropped)
        return;
    const struct mp_dns_question *qq = &m->question[0];
    for (size_t i = 0; i < nq; i++) {
        struct query *q = &qs[i];
        if (q->done || q->id != m->h.id || qq->qtype != q->qtype || qq->qclass != MP_DNS_CLASS_IN ||
            !mp_dns_name_eq(&qq->name, qname))
            continue;
        q->done = true;
        switch (m->h.rcode) {
        case MP_DNS_RCODE_NOERROR:
            for (size_t k = 0; k < m->n_answer && q->n < AFMP_RES_MAX_ADDRS; k++) {
                const struct mp_dns_rr *rr = &m->answer[k];
                if (rr->type == q->qtype && rr->rclass == MP_DNS_CLASS_IN && rr->addr.v &&
                    mp_dns_name_eq(&rr->name, qname))
                    q->addr[q->n++] = rr->addr;
            }
            q->herr = q->n ? 0 : NO_DATA;
            break;
        case MP_DNS_RCODE_NXDOMAIN:
            q->herr = HOST_NOT_FOUND;
            break;
        case MP_DNS_RCODE_SERVFAIL:
            q->herr = TRY_AGAIN;
            break;
        default:
            q->herr = NO_RECOVERY;
        }
        return;
    }
}

static bool all_done(const struct query *qs, size_t nq)
{
    for (size_t i = 0; i < nq; i++)
        if (!qs[i].done)
            return false;
    return true;
}

/* Waits for answers until |deadline| or until every query is answered. */
static void collect(int fd, const struct res_conf *c, const struct mp_dns_name *qname,
                    struct query *qs, size_t nq, mp_time_t deadline)
{
    uint8_t buf[RECV_MAX];
    struct mp_dns_msg m;

    while (!all_done(qs, nq)) {
        mp_time_t now = afmp_now_ns();
        if (now >= deadline)
            return;
        struct timespec tmo = {(time_t)((deadline - now) / 1000000000u),
                               (long)((deadline - now) % 1000000000u)};
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (afmp_ppoll(&pfd, 1, &tmo, NULL) < 0)
            return;
        for (;;) {
            struct sockaddr_storage from;
            socklen_t flen = sizeof(from);
            ssize_t len =
                afmp_recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
            if (len < 0)
                break;
            if (from_server(c, &from, flen) && mp_dns_msg_parse(buf, (size_t)len, &m) == 0)
                take_answer(qname, &m, qs, nq);
        }
    }
}

/* Runs the queries |qs| against the server of |c| (resolver.h: timing).
 * Unanswered queries end with TRY_AGAIN and errno ETIMEDOUT (or the
 * errno of the failed send or socket). */
static void exchange(const struct res_conf *c, struct mp_rng *rng, const struct mp_dns_name *qname,
                     struct query *qs, size_t nq)
{
    int err = ETIMEDOUT;

    for (size_t i = 0; i < nq; i++) {
        struct query *q = &qs[i];
        q->done = false;
        q->herr = TRY_AGAIN;
        q->n = 0;
        /* Distinct IDs, so that each answer names its query. */
        do
            q->id = (uint16_t)mp_rng_u32(rng);
        while (i == 1 && q->id == qs[0].id);
        int len = mp_dns_query_emit(q->msg, sizeof(q->msg), q->id, qname, q->qtype, true);
        if (len < 0) {
            q->done = true;
            q->herr = NO_RECOVERY;
            q->len = 0;
        } else {
            q->len = (size_t)len;
        }
    }
    int fd = afmp_socket(c->server.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        errno = errno ? errno : EIO;
        return;
    }
    for (unsigned a = 0; a < c->attempts && !all_done(qs, nq); a++) {
        bool sent = false;
        /* Every query still open leaves before we wait for any answer. */
        for (size_t i = 0; i < nq; i++) {
            if (qs[i].done)
                continue;
            if (afmp_sendto(fd, qs[i].msg, qs[i].len, 0, (const struct sockaddr *)&c->server,
                            c->server_len) >= 0)
                sent = true;
            else
                err = errno;
        }
        if (sent)
            collect(fd, c, qname, qs, nq, afmp_now_ns() + c->timeout);
    }
    afmp_close(fd);
    errno = err;
}

/* ---- the lookup core ---- */

static bool numeric(const char *name, struct mp_ip *ip)
{
    return mp_ip_parse(name, ip) == 0;
}

static int lookup_conf(const char *name, int af, struct mp_ip *out, size_t max, size_t *n)
{
    struct mp_host *h = afmp_host();
    struct mp_ip ip;
    struct mp_dns_name qname;
    struct query qs[2];
    size_t nq = 0;

    *n = 0;
    if (!h) {
        errno = EPERM;
        return NETDB_INTERNAL;
    }
    if ((af != AF_INET && af != AF_INET6 && af != AF_UNSPEC && af != AF_MULTIPATH) ||
        (af == AF_MULTIPATH && !afmp_stack_has_multipath(h))) {
        /* A stack without AF_MULTIPATH (scenario: stack = legacy) does not
         * know the family, as glibc on Linux does not. */
        errno = EAFNOSUPPORT;
        return NETDB_INTERNAL;
    }
    if (!name) {
        errno = EINVAL;
        return NETDB_INTERNAL;
    }
    if (numeric(name, &ip)) {
        if ((ip.v == 4 && af == AF_INET6) || (ip.v == 6 && af == AF_INET))
            return HOST_NOT_FOUND;
        if (max)
            out[(*n)++] = ip;
        return 0;
    }
    if (!*name || mp_dns_name_from_text(name, &qname) < 0 || qname.len == 1) {
        errno = EINVAL;
        return NETDB_INTERNAL;
    }
    /* A first, as glibc sends them. */
    if (af != AF_INET6)
        qs[nq++].qtype = MP_DNS_TYPE_A;
    if (af != AF_INET)
        qs[nq++].qtype = MP_DNS_TYPE_AAAA;

    struct res_host *rs = host_state(h);
    struct res_conf dc;
    struct mp_rng drng;
    if (!rs) {
        /* No record to keep: defaults, and an ID stream of this call. */
        char *sname = g_strdup_printf("host/%s/resolver/%u/%" G_GUINT64_FORMAT, h->name,
                                      mp_proc_pid(mp_proc_current()), afmp_now_ns());
        conf_default(&dc);
        mp_env_rng(h->env, sname, &drng);
        g_free(sname);
    }
    exchange(rs ? &rs->conf : &dc, rs ? &rs->rng : &drng, &qname, qs, nq);

    int herr = NO_RECOVERY;
    bool temp = false, nx = false, nodata = false;
    for (size_t i = 0; i < nq; i++) {
        for (size_t k = 0; k < qs[i].n && *n < max; k++)
            out[(*n)++] = qs[i].addr[k];
        temp |= qs[i].herr == TRY_AGAIN;
        nx |= qs[i].herr == HOST_NOT_FOUND;
        nodata |= qs[i].herr == NO_DATA;
    }
    if (*n) {
        if (nq > 1)
            afmp_resolver_sort(h, out, *n);
        return 0;
    }
    /* Both failed: a temporary failure may heal, so it wins; then the
     * server's authoritative "no such name". */
    if (temp)
        herr = TRY_AGAIN;
    else if (nx)
        herr = HOST_NOT_FOUND;
    else if (nodata)
        herr = NO_DATA;
    return herr;
}

int afmp_resolver_lookup(const char *name, int af, struct mp_ip *out, size_t max, size_t *n)
{
    int saved = errno;
    int r = lookup_conf(name, af, out, max, n);
    if (r != NETDB_INTERNAL && r != TRY_AGAIN)
        errno = saved;
    return r;
}

/* ---- gethostbyname2 ---- */

/* Bump allocator over the caller's buffer, pointer-aligned. */
static void *carve(char **p, size_t *left, size_t size)
{
    size_t pad = (size_t)(-(uintptr_t)*p & (sizeof(void *) - 1));
    if (*left < pad + size)
        return NULL;
    void *r = *p + pad;
    *p += pad + size;
    *left -= pad + size;
    return r;
}

static int fill_hostent(const char *name, int af, const struct mp_ip *a, size_t n,
                        struct hostent *ret, char *buf, size_t buflen)
{
    char *p = buf;
    size_t left = buflen;
    size_t naddr = af == AF_MULTIPATH ? 1 : n;
    char **aliases = carve(&p, &left, sizeof(char *));
    char **list = carve(&p, &left, (naddr + 1) * sizeof(char *));
    if (!aliases || !list)
        return ERANGE;
    aliases[0] = NULL;
    if (af == AF_MULTIPATH) {
        struct mp_endpoint ep[AFMP_RES_MAX_ADDRS];
        socklen_t len = 0;
        for (size_t i = 0; i < n; i++)
            ep[i] = (struct mp_endpoint){a[i], 0};
        /* First the size, then the container itself. */
        if (afmp_mp_from_endpoints(ep, n, NULL, &len) < 0)
            return errno;
        char *c = carve(&p, &left, len);
        if (!c)
            return ERANGE;
        if (afmp_mp_from_endpoints(ep, n, (struct sockaddr *)c, &len) < 0)
            return errno;
        list[0] = c;
        ret->h_length = (int)len;
    } else {
        size_t alen = af == AF_INET ? 4 : 16;
        for (size_t i = 0; i < n; i++) {
            char *c = carve(&p, &left, alen);
            if (!c)
                return ERANGE;
            memcpy(c, a[i].b, alen);
            list[i] = c;
        }
        ret->h_length = (int)alen;
    }
    list[naddr] = NULL;
    size_t nl = strlen(name);
    if (nl > 1 && name[nl - 1] == '.')
        nl--; /* the name without the root's dot, as glibc reports it */
    char *hn = carve(&p, &left, nl + 1);
    if (!hn)
        return ERANGE;
    memcpy(hn, name, nl);
    hn[nl] = '\0';
    ret->h_name = hn;
    ret->h_aliases = aliases;
    ret->h_addrtype = af;
    ret->h_addr_list = list;
    return 0;
}

int afmp_gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
                          struct hostent **result, int *h_errnop)
{
    struct mp_ip a[AFMP_RES_MAX_ADDRS];
    size_t n = 0;

    *result = NULL;
    if (af != AF_INET && af != AF_INET6 && af != AF_MULTIPATH) {
        /* AF_UNSPEC has no single address length: glibc refuses it too. */
        *h_errnop = NETDB_INTERNAL;
        errno = EAFNOSUPPORT;
        return EAFNOSUPPORT;
    }
    int herr = lookup_conf(name, af, a, G_N_ELEMENTS(a), &n);
    if (herr == NETDB_INTERNAL) {
        *h_errnop = herr;
        return errno;
    }
    if (herr) {
        *h_errnop = herr;
        return 0;
    }
    int r = fill_hostent(name, af, a, n, ret, buf, buflen);
    if (r) {
        *h_errnop = NETDB_INTERNAL;
        errno = r;
        return r;
    }
    *h_errnop = 0;
    *result = ret;
    return 0;
}

struct hostent *afmp_gethostbyname2(const char *name, int af)
{
    struct res_proc *rp = proc_state();
    struct hostent *res = NULL;
    int herr = 0;

    if (!rp) {
        errno = mp_proc_current() ? ENOSYS : EPERM;
        return NULL;
    }
    afmp_gethostbyname2_r(name, af, &rp->he, rp->buf, sizeof(rp->buf), &res, &herr);
    rp->h_err = herr;
    return res;
}

const char *afmp_hstrerror(int err)
{
    switch (err) {
    case 0:
        return "resolver: no error";
    case NETDB_INTERNAL:
        return "resolver internal error (see errno)";
    case HOST_NOT_FOUND:
        return "unknown host";
    case TRY_AGAIN:
        return "host name lookup failure, try again";
    case NO_RECOVERY:
        return "unrecoverable name server error";
    case NO_DATA:
        return "no address associated with the name";
    default:
        return "unknown resolver error";
    }
}

void afmp_herror(const char *s)
{
    int *e = afmp_h_errno_location();
    const char *d = afmp_hstrerror(e ? *e : NETDB_INTERNAL);
    if (s && *s)
        afmp_log("%s: %s", s, d);
    else
        afmp_log("%s", d);
}

/* ---- getaddrinfo ---- */

static const struct {
    const char *name;
    uint16_t port;
} services[] = {
    {"echo", 7}, {"discard", 9}, {"domain", 53}, {"http", 80}, {"https", 443},
};

static int parse_service(const char *s, int flags, uint16_t *port)
{
    *port = 0;
    if (!s)
        return 0;
    if (*s && strspn(s, "0123456789") == strlen(s)) {
        guint64 v;
        if (!g_ascii_string_to_unsigned(s, 10, 0, 65535, &v, NULL))
            return EAI_SERVICE;
        *port = (uint16_t)v;
        return 0;
    }
    if (flags & AI_NUMERICSERV)
        return EAI_NONAME;
    for (size_t i = 0; i < G_N_ELEMENTS(services); i++)
        if (!strcmp(s, services[i].name)) {
            *port = services[i].port;
            return 0;
        }
    return EAI_SERVICE;
}

static int gai_from_h(int herr)
{
    switch (herr) {
    case HOST_NOT_FOUND:
        return EAI_NONAME;
    case NO_DATA:
        return EAI_NODATA;
    case TRY_AGAIN:
        return EAI_AGAIN;
    case NETDB_INTERNAL:
        return errno == EINVAL ? EAI_NONAME : EAI_SYSTEM;
    default:
        return EAI_FAIL;
    }
}

/* Does the host have an address of family |v| other than loopback and
 * link-local (AI_ADDRCONFIG)? */
static bool has_family(const struct mp_host *h, uint8_t v)
{
    for (guint i = 0; i < h->ifaces->len; i++) {
        const struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        for (guint j = 0; j < ifc->addrs->len; j++) {
            const struct mp_ifaddr *ia = &g_array_index(ifc->addrs, struct mp_ifaddr, j);
            if (ia->ip.v == v && !mp_ip_is_loopback(&ia->ip) && !mp_ip_is_link_local(&ia->ip))
                return true;
        }
    }
    return false;
}

static void to_sockaddr(const struct mp_ip *ip, uint16_t port, struct sockaddr_storage *ss,
                        socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (ip->v == 4) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        memcpy(&in->sin_addr, ip->b, 4);
        *len = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        memcpy(&in6->sin6_addr, ip->b, 16);
        *len = sizeof(*in6);
    }
}

/* One result entry: the addrinfo and its address in one block. */
static struct addrinfo *ai_new(int family, int socktype, int protocol, const void *sa,
                               socklen_t salen)
{
    struct addrinfo *ai = g_malloc0(sizeof(*ai) + salen + sizeof(void *));
    ai->ai_family = family;
    ai->ai_socktype = socktype;
    ai->ai_protocol = protocol;
    ai->ai_addrlen = salen;
    ai->ai_addr = (struct sockaddr *)((char *)ai + sizeof(*ai));
    memcpy(ai->ai_addr, sa, salen);
    return ai;
}

void afmp_freeaddrinfo(struct addrinfo *res)
{
    while (res) {
        struct addrinfo *next = res->ai_next;
        g_free(res->ai_canonname);
        g_free(res);
        res = next;
    }
}

/* The socket types (and protocols) to report: |types| gets up to 2. */
static int socktypes(const struct addrinfo *hints, int types[2], int protos[2], size_t *nt,
                     bool have_service)
{
    int st = hints->ai_socktype, pr = hints->ai_protocol;
    *nt = 0;
    if (st == 0 || st == SOCK_STREAM) {
        if (pr && pr != IPPROTO_TCP && pr != IPPROTO_MPTCP && st)
            return EAI_SOCKTYPE;
        if (!pr || pr == IPPROTO_TCP || pr == IPPROTO_MPTCP) {
            types[*nt] = SOCK_STREAM;
            protos[(*nt)++] = pr ? pr : IPPROTO_TCP;
        }
    }
    if (st == 0 || st == SOCK_DGRAM) {
        if (pr == IPPROTO_TCP || pr == IPPROTO_MPTCP) {
            if (st)
                return EAI_SOCKTYPE;
        } else {
            types[*nt] = SOCK_DGRAM;
            protos[(*nt)++] = pr ? pr : IPPROTO_UDP;
        }
    }
    if (st == SOCK_RAW) {
        if (have_service)
            return EAI_SERVICE;
        types[*nt] = SOCK_RAW;
        protos[(*nt)++] = pr;
    }
    return *nt ? 0 : EAI_SOCKTYPE;
}

int afmp_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res)
{
    static const struct addrinfo no_hints = {.ai_family = AF_UNSPEC};
    const int known = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_NUMERICSERV | AI_ADDRCONFIG |
                      AI_V4MAPPED | AI_ALL;
    struct mp_ip a[AFMP_RES_MAX_ADDRS];
    size_t n = 0, nt;
    int types[2], protos[2];
    uint16_t port;
    int r;

    *res = NULL;
    if (!hints)
        hints = &no_hints;
    int af = hints->ai_family, flags = hints->ai_flags;
    if (flags & ~known || ((flags & AI_CANONNAME) && !node))
        return EAI_BADFLAGS;
    if (af != AF_UNSPEC && af != AF_INET && af != AF_INET6 && af != AF_MULTIPATH)
        return EAI_FAMILY;
    if (!node && !service)
        return EAI_NONAME;
    if ((r = socktypes(hints, types, protos, &nt, service != NULL)) != 0)
        return r;
    if ((r = parse_service(service, flags, &port)) != 0)
        return r;
    struct mp_host *h = afmp_host();
    if (!h) {
        errno = EPERM;
        return EAI_SYSTEM;
    }
    if (af == AF_MULTIPATH && !afmp_stack_has_multipath(h))
        return EAI_FAMILY;

    struct mp_ip ip;
    if (!node) {
        /* RFC 3493 6.1: the wildcard address for a passive socket, else
         * the loopback address. IPv4 first, as glibc lists them. */
        bool passive = flags & AI_PASSIVE;
        if (af != AF_INET6) {
            a[n] = mp_ip_any(4);
            if (!passive)
                a[n] = mp_ip_v4(INADDR_LOOPBACK);
            n++;
        }
        if (af != AF_INET) {
            a[n] = mp_ip_any(6);
            if (!passive)
                a[n].b[15] = 1;
            n++;
        }
    } else if (numeric(node, &ip)) {
        if (ip.v == 4 && af == AF_INET6) {
            if (!(flags & AI_V4MAPPED))
                return EAI_ADDRFAMILY;
            mp_ip_map_v4(&ip, &ip);
        }
        if (ip.v == 6 && af == AF_INET)
            return EAI_ADDRFAMILY;
        a[n++] = ip;
    } else if (flags & AI_NUMERICHOST) {
        return EAI_NONAME;
    } else {
        int laf = af;
        if (flags & AI_ADDRCONFIG) {
            bool v4 = has_family(h, 4), v6 = has_family(h, 6);
            if ((laf == AF_INET && !v4) || (laf == AF_INET6 && !v6) || (!v4 && !v6))
                return EAI_NONAME;
            if (laf == AF_UNSPEC || laf == AF_MULTIPATH)
                laf = !v4 ? AF_INET6 : !v6 ? AF_INET : laf;
        }
        int herr = lookup_conf(node, laf, a, G_N_ELEMENTS(a), &n);
        if (af == AF_INET6 && (flags & AI_V4MAPPED) && (!n || (flags & AI_ALL)) &&
            (herr == 0 || herr == NO_DATA)) {
            /* RFC 3493 6.1: IPv4-mapped answers when there is no AAAA
             * (or always with AI_ALL); asked after the AAAA query. */
            struct mp_ip v4[AFMP_RES_MAX_ADDRS];
            size_t n4 = 0;
            if (lookup_conf(node, AF_INET, v4, G_N_ELEMENTS(v4), &n4) == 0) {
                for (size_t i = 0; i < n4 && n < G_N_ELEMENTS(a); i++)
                    mp_ip_map_v4(&v4[i], &a[n++]);
                herr = 0;
            }
        }
        if (herr)
            return gai_from_h(herr);
        /* RFC 6724 order for every family, as glibc's getaddrinfo. */
        afmp_resolver_sort(h, a, n);
    }

    struct addrinfo *head = NULL, **tail = &head;
    if (af == AF_MULTIPATH) {
        struct mp_endpoint ep[AFMP_RES_MAX_ADDRS];
        struct sockaddr_mp_storage ss;
        socklen_t len = sizeof(ss);
        for (size_t i = 0; i < n; i++)
            ep[i] = (struct mp_endpoint){a[i], port};
        if (afmp_mp_from_endpoints(ep, n, (struct sockaddr *)&ss, &len) < 0)
            return EAI_SYSTEM;
        head = ai_new(AF_MULTIPATH, hints->ai_socktype, hints->ai_protocol, &ss, len);
    } else {
        for (size_t i = 0; i < n; i++) {
            struct sockaddr_storage ss;
            socklen_t len;
            to_sockaddr(&a[i], port, &ss, &len);
            for (size_t t = 0; t < nt; t++) {
                *tail = ai_new(ss.ss_family, types[t], protos[t], &ss, len);
                tail = &(*tail)->ai_next;
            }
        }
    }
    if (head && (flags & AI_CANONNAME)) {
        size_t nl = strlen(node);
        head->ai_canonname = g_strndup(node, nl > 1 && node[nl - 1] == '.' ? nl - 1 : nl);
    }
    *res = head;
    return 0;
}

const char *afmp_gai_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case EAI_BADFLAGS:
        return "bad value for ai_flags";
    case EAI_NONAME:
        return "name or service not known";
    case EAI_AGAIN:
        return "temporary failure in name resolution";
    case EAI_FAIL:
        return "non-recoverable failure in name resolution";
    case EAI_FAMILY:
        return "ai_family not supported";
    case EAI_SOCKTYPE:
        return "ai_socktype not supported";
    case EAI_SERVICE:
        return "service not supported for this socket type";
    case EAI_MEMORY:
        return "memory allocation failure";
    case EAI_SYSTEM:
        return "system error (see errno)";
    case EAI_OVERFLOW:
        return "argument buffer overflow";
    case EAI_NODATA:
        return "no address associated with the name";
    case EAI_ADDRFAMILY:
        return "address family for the name not supported";
    default:
        return "unknown getaddrinfo error";
    }
}
