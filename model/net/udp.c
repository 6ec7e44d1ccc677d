/* afmp: UDP on a host (see udp.h). */
#include "model/net/udp.h"

#include <errno.h>
#include <string.h>

#include "model/net/icmp.h"

/* What a queued datagram costs against the receive buffer besides its
 * payload, standing in for Linux's skb truesize overhead. */
#define DGRAM_OVERHEAD 256u
#define RCVBUF_DEFAULT 212992u /* net.core.rmem_default */
#define UDP_MAX_PAYLOAD4 65507u
#define UDP_MAX_PAYLOAD6 65527u

struct dgram {
    struct dgram *next;
    struct mp_endpoint from;
    struct mp_pkt *pkt; /* data points at the payload */
};

struct mp_udp_sock {
    struct mp_host *h;
    uint8_t family;
    bool bound, connected;
    struct mp_endpoint local, peer;
    struct dgram *head, *tail;
    uint32_t rcvbuf, rmem;
    int err; /* pending error (positive errno), reported once */
    mp_udp_wake_fn wake;
    void *wake_arg;
};

struct udp_state {
    GPtrArray *socks; /* in creation order: demux is deterministic */
};

static struct udp_state *state(struct mp_host *h)
{
    return h->udp;
}

static bool port_used(void *arg, uint16_t port)
{
    struct mp_udp_sock *s = arg;
    GPtrArray *a = state(s->h)->socks;
    for (guint i = 0; i < a->len; i++) {
        struct mp_udp_sock *o = g_ptr_array_index(a, i);
        if (o != s && o->bound && o->local.port == port)
            return true;
    }
    return false;
}

/* Linux refuses a bind when another socket has the port on an overlapping
 * address (same address, or either is the wildcard) of the same family. */
static bool conflicts(const struct mp_udp_sock *s, const struct mp_endpoint *ep)
{
    GPtrArray *a = state(s->h)->socks;
    for (guint i = 0; i < a->len; i++) {
        struct mp_udp_sock *o = g_ptr_array_index(a, i);
        if (o == s || !o->bound || o->local.port != ep->port || o->family != s->family)
            continue;
        if (mp_ip_is_unspecified(&o->local.ip) || mp_ip_is_unspecified(&ep->ip) ||
            mp_ip_eq(&o->local.ip, &ep->ip))
            return true;
    }
    return false;
}

struct mp_udp_sock *mp_udp_sock_new(struct mp_host *h, uint8_t family, mp_udp_wake_fn wake,
                                    void *arg)
{
    struct mp_udp_sock *s = g_new0(struct mp_udp_sock, 1);
    s->h = h;
    s->family = family;
    s->rcvbuf = RCVBUF_DEFAULT;
    s->wake = wake;
    s->wake_arg = arg;
    s->local.ip = mp_ip_any(family);
    g_ptr_array_add(state(h)->socks, s);
    return s;
}

static void purge(struct mp_udp_sock *s)
{
    while (s->head) {
        struct dgram *d = s->head;
        s->head = d->next;
        mp_pkt_free(d->pkt);
        g_free(d);
    }
    s->tail = NULL;
    s->rmem = 0;
}

void mp_udp_sock_free(struct mp_udp_sock *s)
{
    if (!s)
        return;
    purge(s);
    g_ptr_array_remove(state(s->h)->socks, s);
    g_free(s);
}

int mp_udp_bind(struct mp_udp_sock *s, const struct mp_endpoint *local)
{
    struct mp_endpoint ep = *local;
    if (s->bound)
        return -EINVAL;
    if (ep.ip.v == 0)
        ep.ip = mp_ip_any(s->family);
    if (ep.ip.v != s->family)
        return -EINVAL;
    if (!mp_ip_is_unspecified(&ep.ip) && !mp_host_addr_ifindex(s->h, &ep.ip))
        return -EADDRNOTAVAIL;
    if (ep.port == 0) {
        ep.port = mp_host_pick_port(s->h, port_used, s);
        if (!ep.port)
            return -EADDRINUSE;
    } else if (conflicts(s, &ep)) {
        return -EADDRINUSE;
    }
    s->local = ep;
    s->bound = true;
    return 0;
}

static int autobind(struct mp_udp_sock *s)
{
    if (s->bound)
        return 0;
    struct mp_endpoint any = {mp_ip_any(s->family), 0};
    return mp_udp_bind(s, &any);
}

int mp_udp_connect(struct mp_udp_sock *s, const struct mp_endpoint *peer)
{
    if (peer->ip.v == 0) {
        s->connected = false;
        memset(&s->peer, 0, sizeof(s->peer));
        return 0;
    }
    if (peer->ip.v != s->family)
        return -EAFNOSUPPORT;
    int rc = autobind(s);
    if (rc < 0)
        return rc;
    /* Linux routes at connect time and fixes an unbound local address to
     * the chosen source. */
    struct mp_host_route r;
    rc = mp_host_route(s->h, &s->local.ip, &peer->ip, 0, &r);
    if (rc < 0)
        return rc;
    if (mp_ip_is_unspecified(&s->local.ip))
        s->local.ip = r.src;
    s->peer = *peer;
    s->connected = true;
    return 0;
}

static int take_error(struct mp_udp_sock *s)
{
    int e = s->err;
    s->err = 0;
    return -e;
}

long mp_udp_sendto(struct mp_udp_sock *s, const void *buf, size_t len, const struct mp_endpoint *to)
{
    const struct mp_endpoint *dst = to ? to : (s->connected ? &s->peer : NULL);
    int rc;

    if (s->err)
        return take_error(s);
    if (!dst)
        return -EDESTADDRREQ;
    if (dst->ip.v != s->family)
        return -EAFNOSUPPORT;
    if (len > (s->family == 4 ? UDP_MAX_PAYLOAD4 : UDP_MAX_PAYLOAD6))
        return -EMSGSIZE;
    rc = autobind(s);
    if (rc < 0)
        return rc;

    struct mp_pkt *pkt = mp_pkt_alloc(s->h->env->pool, (uint32_t)(MP_WIRE_UDP_HLEN + len));
    struct mp_wire_udp u = {s->local.port, dst->port, (uint16_t)(MP_WIRE_UDP_HLEN + len), 0, NULL, 0};
    mp_wire_udp_emit(pkt->data, pkt->len, &u);
    if (len)
        memcpy(pkt->data + MP_WIRE_UDP_HLEN, buf, len);
    rc = mp_host_ip_send(s->h, pkt, &s->local.ip, &dst->ip, 17, NULL, 0);
    if (rc < 0)
        return rc;
    mp_ctr_inc(&s->h->ctr, MP_CTR_UDP_OUT_DATAGRAMS);
    return (long)len;
}

long mp_udp_recvfrom(struct mp_udp_sock *s, void *buf, size_t cap, struct mp_endpoint *from,
                     bool *truncated)
{
    if (!s->head) {
        if (s->err)
            return take_error(s);
        return -EAGAIN;
    }
    struct dgram *d = s->head;
    s->head = d->next;
    if (!s->head)
        s->tail = NULL;
    size_t n = d->pkt->len;
    memcpy(buf, d->pkt->data, MIN(n, cap));
    if (truncated)
        *truncated = n > cap;
    if (from)
        *from = d->from;
    s->rmem -= d->pkt->len + DGRAM_OVERHEAD;
    mp_pkt_free(d->pkt);
    g_free(d);
    return (long)n;
}

int mp_udp_take_error(struct mp_udp_sock *s)
{
    int e = s->err;
    s->err = 0;
    return e;
}

bool mp_udp_readable(const struct mp_udp_sock *s)
{
    return s->head != NULL || s->err != 0;
}

int mp_udp_local(const struct mp_udp_sock *s, struct mp_endpoint *out)
{
    *out = s->local;
    return 0;
}

int mp_udp_peer(const struct mp_udp_sock *s, struct mp_endpoint *out)
{
    if (!s->connected)
        return -ENOTCONN;
    *out = s->peer;
    return 0;
}

void mp_udp_set_rcvbuf(struct mp_udp_sock *s, uint32_t bytes)
{
    s->rcvbuf = bytes;
}

uint32_t mp_udp_rcvbuf(const struct mp_udp_sock *s)
{
    return s->rcvbuf;
}

/* The best socket for a datagram, scored like Linux's udp lookup: an exact
 * local address beats the wildcard, a connected socket must match its peer
 * and beats an unconnected one. Ties go to the older socket. */
static struct mp_udp_sock *lookup(struct mp_host *h, uint8_t family, const struct mp_ip *laddr,
                                  uint16_t lport, const struct mp_ip *raddr, uint16_t rport)
{
    GPtrArray *a = state(h)->socks;
    struct mp_udp_sock *best = NULL;
    int best_score = -1;
    for (guint i = 0; i < a->len; i++) {
        struct mp_udp_sock *s = g_ptr_array_index(a, i);
        int score = 0;
        if (!s->bound || s->family != family || s->local.port != lport)
            continue;
        if (!mp_ip_is_unspecified(&s->local.ip)) {
            if (!mp_ip_eq(&s->local.ip, laddr))
                continue;
            score += 2;
        }
        if (s->connected) {
            if (!mp_ip_eq(&s->peer.ip, raddr) || s->peer.port != rport)
                continue;
            score += 4;
        }
        if (score > best_score) {
            best = s;
            best_score = score;
        }
    }
    return best;
}

static void udp_input(void *arg, struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip_meta *m)
{
    struct mp_wire_udp u;
    if (mp_wire_udp_parse(pkt->data + m->l4_off, m->l4_len, &u) < 0) {
        mp_ctr_inc(&h->ctr, MP_CTR_UDP_IN_ERRORS);
        mp_pkt_free(pkt);
        return;
    }
    struct mp_udp_sock *s = lookup(h, m->dst.v, &m->dst, u.dport, &m->src, u.sport);
    if (!s) {
        mp_ctr_inc(&h->ctr, MP_CTR_UDP_NO_PORTS);
        /* RFC 1122 3.2.2.1 / RFC 4443 3.1: port unreachable. */
        if (m->dst.v == 4)
            mp_icmp_send_error(h, pkt, 3, 3, 0);
        else
            mp_icmp_send_error(h, pkt, 1, 4, 0);
        mp_pkt_free(pkt);
        return;
    }
    if (s->rmem + u.payload_len + DGRAM_OVERHEAD > s->rcvbuf) {
        mp_ctr_inc(&h->ctr, MP_CTR_UDP_RCVBUF_ERRORS);
        mp_ctr_inc(&h->ctr, MP_CTR_UDP_IN_ERRORS);
        mp_pkt_free(pkt);
        return;
    }
    mp_pkt_pull(pkt, (uint32_t)(m->l4_off + MP_WIRE_UDP_HLEN));
    pkt->len = (uint32_t)u.payload_len;
    struct dgram *d = g_new(struct dgram, 1);
    d->next = NULL;
    d->from.ip = m->src;
    d->from.port = u.sport;
    d->pkt = pkt;
    if (s->tail)
        s->tail->next = d;
    else
        s->head = d;
    s->tail = d;
    s->rmem += pkt->len + DGRAM_OVERHEAD;
    /* Counted on queueing (Linux counts at recvmsg): what arrived. */
    mp_ctr_inc(&h->ctr, MP_CTR_UDP_IN_DATAGRAMS);
    if (s->wake)
        s->wake(s->wake_arg);
}

static void udp_error(void *arg, struct mp_host *h, const struct mp_ip_error *e)
{
    if (e->l4_len < 4)
        return;
    uint16_t sport = mp_wire_get16(e->l4), dport = mp_wire_get16(e->l4 + 2);
    struct mp_udp_sock *s = lookup(h, e->src.v, &e->src, sport, &e->dst, dport);
    /* Linux reports ICMP errors only to connected sockets (without
     * IP_RECVERR). */
    if (!s || !s->connected)
        return;
    s->err = e->err;
    if (s->wake)
        s->wake(s->wake_arg);
}

void mp_udp_attach(struct mp_host *h)
{
    struct udp_state *st = g_new0(struct udp_state, 1);
    st->socks = g_ptr_array_new();
    h->udp = st;
    struct mp_l4_proto p = {udp_input, udp_error, NULL};
    mp_host_set_l4(h, 17, &p);
}

void mp_udp_detach(struct mp_host *h)
{
    struct udp_state *st = h->udp;
    if (!st)
        return;
    while (st->socks->len)
        mp_udp_sock_free(g_ptr_array_index(st->socks, st->socks->len - 1));
    g_ptr_array_free(st->socks, TRUE);
    g_free(st);
    h->udp = NULL;
}
