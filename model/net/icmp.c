/* afmp: ICMP and ICMPv6 on a host (see icmp.h). */
#include "model/net/icmp.h"

#include <errno.h>
#include <string.h>

#include "model/net/addrconf.h"

struct reply {
    struct reply *next;
    struct mp_endpoint from;
    uint32_t len;
    uint8_t data[];
};

struct mp_ping_sock {
    struct mp_host *h;
    uint8_t family;
    bool bound;
    struct mp_endpoint local; /* port = echo identifier */
    struct reply *head, *tail;
    uint32_t queued;
    mp_ping_wake_fn wake;
    void *wake_arg;
};

#define PING_QUEUE_MAX 1024u

struct icmp_state {
    GPtrArray *pings;
};

static struct icmp_state *state(struct mp_host *h)
{
    return h->icmp;
}

/* Sends an ICMP(v6) message whose 8-byte header is |hdr| followed by |body|,
 * from |src| (unspecified: chosen by routing) to |dst|. */
static int send_msg(struct mp_host *h, const struct mp_ip *src, const struct mp_ip *dst,
                    uint8_t type, uint8_t code, uint32_t rest, const uint8_t *body, size_t blen)
{
    struct mp_pkt *pkt = mp_pkt_alloc(h->env->pool, (uint32_t)(8 + blen));
    pkt->data[0] = type;
    pkt->data[1] = code;
    mp_wire_put16(pkt->data + 2, 0);
    mp_wire_put32(pkt->data + 4, rest);
    if (blen)
        memcpy(pkt->data + 8, body, blen);
    return mp_host_ip_send(h, pkt, src, dst, dst->v == 4 ? 1 : 58, NULL, 0);
}

static bool is_icmp_error(uint8_t v, uint8_t type)
{
    if (v == 4)
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    return type < 128;
}

void mp_icmp_send_error(struct mp_host *h, const struct mp_pkt *cpkt, uint8_t type, uint8_t code,
                        uint32_t info)
{
    /* The quote must show the bytes as they were on the wire. */
    struct mp_pkt *pkt = (struct mp_pkt *)cpkt;
    struct mp_ip_meta m;
    uint8_t v = pkt->len ? pkt->data[0] >> 4 : 0;

    if (!h->opts.icmp_errors)
        return;
    memset(&m, 0, sizeof(m));
    if (v == 4) {
        struct mp_wire_ip4 ip;
        if (mp_wire_ip4_parse(pkt->data, pkt->len, &ip) < 0)
            return;
        /* RFC 1122 3.2.2: never about an ICMP error, a non-first fragment,
         * or a datagram whose source does not name a single host. */
        if (ip.frag_off != 0 || mp_ip_is_unspecified(&ip.src) || mp_ip_is_multicast(&ip.src) ||
            mp_ip_is_multicast(&ip.dst) || ip.src.b[0] == 255)
            return;
        if (ip.proto == 1 && ip.payload_len >= 1 &&
            is_icmp_error(4, pkt->data[ip.payload_off]))
            return;
        m.src = ip.src;
        m.dst = ip.dst;
    } else if (v == 6) {
        struct mp_wire_ip6 ip;
        if (mp_wire_ip6_parse(pkt->data, pkt->len, &ip) < 0)
            return;
        /* RFC 4443 2.4(e). */
        if (mp_ip_is_unspecified(&ip.src) || mp_ip_is_multicast(&ip.src) ||
            (mp_ip_is_multicast(&ip.dst) && type != 2))
            return;
        if (ip.proto == 58 && ip.l4_len >= 1 && is_icmp_error(6, pkt->data[ip.l4_off]))
            return;
        m.src = ip.src;
        m.dst = ip.dst;
    } else {
        return;
    }
    if (pkt->flags & MP_PKT_CSUM_PENDING)
        mp_wire_csum_finalize(pkt);

    /* RFC 1812 4.3.2.3: as much of the datagram as fits in 576 bytes;
     * RFC 4443 2.4(c): as much as fits in the minimum MTU. */
    size_t max = v == 4 ? 576 - 28 : 1280 - 48;
    size_t qlen = MIN((size_t)pkt->len, max);
    uint32_t rest = 0;
    if (v == 4 && type == 3 && code == 4)
        rest = info & 0xffff;
    else if (v == 6 && (type == 2 || type == 4))
        rest = info;
    const struct mp_ip *src = mp_host_addr_ifindex(h, &m.dst) ? &m.dst : NULL;
    if (send_msg(h, src, &m.src, type, code, rest, pkt->data, qlen) == 0) {
        bool unreach = v == 4 ? type == 3 : type == 1;
        bool texc = v == 4 ? type == 11 : type == 3;
        mp_ctr_inc(&h->ctr, v == 4 ? MP_CTR_ICMP_OUT_MSGS : MP_CTR_ICMP6_OUT_MSGS);
        if (unreach)
            mp_ctr_inc(&h->ctr, v == 4 ? MP_CTR_ICMP_OUT_DEST_UNREACHS : MP_CTR_ICMP6_OUT_DEST_UNREACHS);
        if (texc)
            mp_ctr_inc(&h->ctr, v == 4 ? MP_CTR_ICMP_OUT_TIME_EXCDS : MP_CTR_ICMP6_OUT_TIME_EXCDS);
    }
}

/* The errno Linux reports for an ICMP error (icmp_err_convert and
 * icmpv6_err_convert). */
static int err_errno(uint8_t v, uint8_t type, uint8_t code)
{
    if (v == 4) {
        if (type == 3) {
            switch (code) {
            case 0: return ENETUNREACH;
            case 2: return ENOPROTOOPT;
            case 3: return ECONNREFUSED;
            case 4: return EMSGSIZE;
            case 5: return EOPNOTSUPP;
            case 6: case 9: case 11: return ENETUNREACH;
            default: return EHOSTUNREACH;
            }
        }
        if (type == 12)
            return EPROTO;
        return EHOSTUNREACH; /* time exceeded, source quench, ... */
    }
    switch (type) {
    case 1:
        switch (code) {
        case 0: return ENETUNREACH;
        case 1: return EACCES;
        case 4: return ECONNREFUSED;
        default: return EHOSTUNREACH;
        }
    case 2: return EMSGSIZE;
    case 4: return EPROTO;
    default: return EHOSTUNREACH;
    }
}

/* Hands a received error to the upper layer that sent the quoted datagram. */
static void deliver_error(struct mp_host *h, uint8_t v, uint8_t type, uint8_t code, uint32_t rest,
                          const struct mp_ip *from, const uint8_t *body, size_t blen)
{
    struct mp_ip_error e;
    memset(&e, 0, sizeof(e));
    e.v = v;
    e.type = type;
    e.code = code;
    e.from = *from;
    e.err = err_errno(v, type, code);
    if (v == 4) {
        struct mp_wire_ip4 q;
        if (mp_wire_ip4_parse_quote(body, blen, &q) < 0)
            return;
        e.src = q.src;
        e.dst = q.dst;
        e.proto = q.proto;
        e.l4 = body + q.payload_off;
        e.l4_len = blen > q.payload_off ? blen - q.payload_off : 0;
        if (type == 3 && code == 4)
            e.info = rest & 0xffff;
    } else {
        struct mp_wire_ip6 q;
        if (mp_wire_ip6_parse_quote(body, blen, &q) < 0)
            return;
        e.src = q.src;
        e.dst = q.dst;
        e.proto = q.proto;
        e.l4 = body + q.l4_off;
        e.l4_len = blen > q.l4_off ? blen - q.l4_off : 0;
        if (type == 2)
            e.info = rest;
    }
    /* Only about datagrams we sent. */
    if (!mp_host_addr_ifindex(h, &e.src))
        return;
    const struct mp_l4_proto *l4 = &h->l4[e.proto];
    if (l4->error)
        l4->error(l4->arg, h, &e);
}

static void ping_deliver(struct mp_host *h, uint8_t v, const struct mp_ip_meta *m, const uint8_t *msg,
                         size_t len)
{
    uint16_t id = mp_wire_get16(msg + 4);
    GPtrArray *a = state(h)->pings;
    for (guint i = 0; i < a->len; i++) {
        struct mp_ping_sock *s = g_ptr_array_index(a, i);
        if (s->family != v || !s->bound || s->local.port != id)
            continue;
        if (!mp_ip_is_unspecified(&s->local.ip) && !mp_ip_eq(&s->local.ip, &m->dst))
            continue;
        if (s->queued >= PING_QUEUE_MAX)
            return;
        struct reply *r = g_malloc(sizeof(*r) + len);
        r->next = NULL;
        r->from.ip = m->src;
        r->from.port = 0;
        r->len = (uint32_t)len;
        memcpy(r->data, msg, len);
        if (s->tail)
            s->tail->next = r;
        else
            s->head = r;
        s->tail = r;
        s->queued++;
        if (s->wake)
            s->wake(s->wake_arg);
        return;
    }
}

static void icmp_input(void *arg, struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip_meta *m)
{
    const uint8_t *msg = pkt->data + m->l4_off;
    size_t len = m->l4_len;
    bool v4 = m->src.v == 4;

    if (v4) {
        struct mp_wire_icmp ic;
        mp_ctr_inc(&h->ctr, MP_CTR_ICMP_IN_MSGS);
        if (mp_wire_icmp_parse(msg, len, &ic) < 0) {
            mp_ctr_inc(&h->ctr, MP_CTR_ICMP_IN_ERRORS);
            goto out;
        }
        switch (ic.type) {
        case MP_ICMP_ECHO:
            mp_ctr_inc(&h->ctr, MP_CTR_ICMP_IN_ECHOS);
            /* RFC 1122 3.2.2.6: the reply carries the request's data. */
            if (send_msg(h, &m->dst, &m->src, MP_ICMP_ECHO_REPLY, 0, ic.rest, ic.body, ic.body_len) == 0) {
                mp_ctr_inc(&h->ctr, MP_CTR_ICMP_OUT_MSGS);
                mp_ctr_inc(&h->ctr, MP_CTR_ICMP_OUT_ECHO_REPS);
            }
            break;
        case MP_ICMP_ECHO_REPLY:
            mp_ctr_inc(&h->ctr, MP_CTR_ICMP_IN_ECHO_REPS);
            ping_deliver(h, 4, m, msg, len);
            break;
        case MP_ICMP_UNREACH:
        case MP_ICMP_TIME_EXCEEDED:
        case MP_ICMP_PARAM_PROBLEM:
            mp_ctr_inc(&h->ctr, ic.type == MP_ICMP_UNREACH ? MP_CTR_ICMP_IN_DEST_UNREACHS
                                                           : MP_CTR_ICMP_IN_TIME_EXCDS);
            deliver_error(h, 4, ic.type, ic.code, ic.rest, &m->src, ic.body, ic.body_len);
            break;
        default:
            break;
        }
    } else {
        struct mp_wire_icmp6 ic;
        mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_IN_MSGS);
        if (mp_wire_icmp6_parse(msg, len, &ic) < 0) {
            mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_IN_ERRORS);
            goto out;
        }
        switch (ic.type) {
        case MP_ICMP6_ECHO:
            mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_IN_ECHOS);
            if (send_msg(h, &m->dst, &m->src, MP_ICMP6_ECHO_REPLY, 0, ic.rest, ic.body, ic.body_len) == 0) {
                mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_OUT_MSGS);
                mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_OUT_ECHO_REPLIES);
            }
            break;
        case MP_ICMP6_ECHO_REPLY:
            mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_IN_ECHO_REPLIES);
            ping_deliver(h, 6, m, msg, len);
            break;
        case MP_ICMP6_UNREACH:
        case MP_ICMP6_PACKET_TOO_BIG:
        case MP_ICMP6_TIME_EXCEEDED:
        case MP_ICMP6_PARAM_PROBLEM:
            mp_ctr_inc(&h->ctr, ic.type == MP_ICMP6_UNREACH     ? MP_CTR_ICMP6_IN_DEST_UNREACHS
                                : ic.type == MP_ICMP6_TIME_EXCEEDED ? MP_CTR_ICMP6_IN_TIME_EXCDS
                                : ic.type == MP_ICMP6_PACKET_TOO_BIG ? MP_CTR_ICMP6_IN_PKT_TOO_BIGS
                                                                     : MP_CTR_ICMP6_IN_ERRORS);
            deliver_error(h, 6, ic.type, ic.code, ic.rest, &m->src, ic.body, ic.body_len);
            break;
        case MP_ICMP6_ROUTER_ADVERT:
            mp_addrconf_ra_input(h, m, msg, len);
            break;
        default:
            /* The rest of neighbour discovery: point-to-point links need
             * no address resolution. */
            break;
        }
    }
out:
    mp_pkt_free(pkt);
}

/* ---- ping sockets ---- */

struct mp_ping_sock *mp_ping_sock_new(struct mp_host *h, uint8_t family, mp_ping_wake_fn wake,
                                      void *arg)
{
    struct mp_ping_sock *s = g_new0(struct mp_ping_sock, 1);
    s->h = h;
    s->family = family;
    s->wake = wake;
    s->wake_arg = arg;
    s->local.ip = mp_ip_any(family);
    g_ptr_array_add(state(h)->pings, s);
    return s;
}

void mp_ping_sock_free(struct mp_ping_sock *s)
{
    if (!s)
        return;
    while (s->head) {
        struct reply *r = s->head;
        s->head = r->next;
        g_free(r);
    }
    g_ptr_array_remove(state(s->h)->pings, s);
    g_free(s);
}

static bool id_used(void *arg, uint16_t id)
{
    struct mp_ping_sock *s = arg;
    GPtrArray *a = state(s->h)->pings;
    for (guint i = 0; i < a->len; i++) {
        struct mp_ping_sock *o = g_ptr_array_index(a, i);
        if (o != s && o->bound && o->family == s->family && o->local.port == id)
            return true;
    }
    return false;
}

int mp_ping_bind(struct mp_ping_sock *s, const struct mp_endpoint *local)
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
    if (ep.port == 0)
        ep.port = mp_host_pick_port(s->h, id_used, s);
    else if (id_used(s, ep.port))
        return -EADDRINUSE;
    s->local = ep;
    s->bound = true;
    return 0;
}

long mp_ping_sendto(struct mp_ping_sock *s, const void *buf, size_t len, const struct mp_endpoint *to)
{
    const uint8_t *b = buf;
    if (!to)
        return -EDESTADDRREQ;
    if (to->ip.v != s->family)
        return -EAFNOSUPPORT;
    if (len < 8 || b[0] != (s->family == 4 ? MP_ICMP_ECHO : MP_ICMP6_ECHO) || b[1] != 0)
        return -EINVAL;
    if (len > 65507)
        return -EMSGSIZE;
    if (!s->bound) {
        struct mp_endpoint any = {mp_ip_any(s->family), 0};
        int rc = mp_ping_bind(s, &any);
        if (rc < 0)
            return rc;
    }
    uint32_t rest = (uint32_t)s->local.port << 16 | mp_wire_get16(b + 6);
    int rc = send_msg(s->h, &s->local.ip, &to->ip, b[0], 0, rest, b + 8, len - 8);
    if (rc < 0)
        return rc;
    mp_ctr_inc(&s->h->ctr, s->family == 4 ? MP_CTR_ICMP_OUT_MSGS : MP_CTR_ICMP6_OUT_MSGS);
    mp_ctr_inc(&s->h->ctr, s->family == 4 ? MP_CTR_ICMP_OUT_ECHOS : MP_CTR_ICMP6_OUT_ECHOS);
    return (long)len;
}

long mp_ping_recvfrom(struct mp_ping_sock *s, void *buf, size_t cap, struct mp_endpoint *from)
{
    struct reply *r = s->head;
    if (!r)
        return -EAGAIN;
    s->head = r->next;
    if (!s->head)
        s->tail = NULL;
    s->queued--;
    long n = r->len;
    memcpy(buf, r->data, MIN((size_t)r->len, cap));
    if (from)
        *from = r->from;
    g_free(r);
    return n;
}

bool mp_ping_readable(const struct mp_ping_sock *s)
{
    return s->head != NULL;
}

int mp_ping_local(const struct mp_ping_sock *s, struct mp_endpoint *out)
{
    *out = s->local;
    return 0;
}

void mp_icmp_attach(struct mp_host *h)
{
    struct icmp_state *st = g_new0(struct icmp_state, 1);
    st->pings = g_ptr_array_new();
    h->icmp = st;
    struct mp_l4_proto p = {icmp_input, NULL, NULL};
    mp_host_set_l4(h, 1, &p);
    mp_host_set_l4(h, 58, &p);
}

void mp_icmp_detach(struct mp_host *h)
{
    struct icmp_state *st = h->icmp;
    if (!st)
        return;
    while (st->pings->len)
        mp_ping_sock_free(g_ptr_array_index(st->pings, st->pings->len - 1));
    g_ptr_array_free(st->pings, TRUE);
    g_free(st);
    h->icmp = NULL;
}
