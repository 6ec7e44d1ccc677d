/*
 * afmp: a host's IP packet paths (see host.h): input and demultiplexing,
 * forwarding, local output and loopback.
 */
#include <errno.h>
#include <string.h>

#include "model/net/host.h"
#include "model/net/icmp.h"

static void drop(struct mp_host *h, struct mp_pkt *pkt, enum mp_ctr why)
{
    mp_ctr_inc(&h->ctr, why);
    mp_pkt_free(pkt);
}

void mp_host_xmit(struct mp_host *h, uint32_t ifindex, struct mp_pkt *pkt)
{
    struct mp_iface *ifc = mp_host_iface(h, ifindex);
    if (!ifc || !ifc->up) {
        if (ifc)
            ifc->stats.tx_dropped++;
        drop(h, pkt, MP_CTR_IP_OUT_DISCARDS);
        return;
    }
    if (!ifc->carrier) {
        /* The driver drops what it cannot send; the stack above does not
         * know why its packets vanish, as with a real NIC without carrier. */
        ifc->stats.tx_dropped++;
        drop(h, pkt, MP_CTR_IP_OUT_LINKDOWN);
        return;
    }
    ifc->stats.tx_packets++;
    ifc->stats.tx_bytes += pkt->len;
    pkt->ifindex = ifindex;
    mp_env_output(h->env, ifindex, pkt);
}

/* Reads the IP header of |pkt| into |m|. Returns 0, or the counter that a
 * malformed packet bumps (as a positive value) after trimming link padding. */
static int parse_ip(struct mp_pkt *pkt, struct mp_ip_meta *m, bool *fragment)
{
    uint8_t v = pkt->len ? pkt->data[0] >> 4 : 0;
    int rc;

    if (v == 4) {
        struct mp_wire_ip4 ip;
        rc = mp_wire_ip4_parse(pkt->data, pkt->len, &ip);
        if (rc < 0)
            return rc == MP_WIRE_ETRUNC || rc == MP_WIRE_ELEN ? MP_CTR_IP_IN_TRUNCATED
                                                              : MP_CTR_IP_IN_HDR_ERRORS;
        if ((pkt->flags & MP_PKT_CSUM_UNTRUSTED) && mp_wire_csum(pkt->data, ip.payload_off) != 0)
            return MP_CTR_IP_IN_CSUM_ERRORS;
        pkt->len = ip.total_len;
        m->src = ip.src;
        m->dst = ip.dst;
        m->proto = ip.proto;
        m->ttl = ip.ttl;
        m->tos = (uint8_t)(ip.dscp << 2 | ip.ecn);
        m->l4_off = ip.payload_off;
        m->l4_len = ip.payload_len;
        *fragment = ip.is_fragment;
        return 0;
    }
    if (v == 6) {
        struct mp_wire_ip6 ip;
        rc = mp_wire_ip6_parse(pkt->data, pkt->len, &ip);
        if (rc < 0)
            return rc == MP_WIRE_ETRUNC || rc == MP_WIRE_ELEN ? MP_CTR_IP_IN_TRUNCATED
                                                              : MP_CTR_IP_IN_HDR_ERRORS;
        pkt->len = MP_WIRE_IP6_HLEN + ip.payload_len;
        m->src = ip.src;
        m->dst = ip.dst;
        m->proto = ip.proto;
        m->ttl = ip.hop_limit;
        m->tos = (uint8_t)(ip.dscp << 2 | ip.ecn);
        m->l4_off = ip.l4_off;
        m->l4_len = ip.l4_len;
        *fragment = ip.is_fragment;
        return 0;
    }
    return MP_CTR_IP_IN_HDR_ERRORS;
}

static void deliver(struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip_meta *m)
{
    const struct mp_l4_proto *l4 = &h->l4[m->proto];

    /* Honest packets are never summed here; a corruption fault marks the
     * ones to check. A bad L4 checksum counts against that protocol. */
    if ((pkt->flags & MP_PKT_CSUM_UNTRUSTED) && !mp_wire_csum_verify(pkt)) {
        enum mp_ctr c = MP_CTR_IP_IN_CSUM_ERRORS;
        if (m->proto == 17)
            c = MP_CTR_UDP_IN_CSUM_ERRORS;
        else if (m->proto == 1)
            c = MP_CTR_ICMP_IN_CSUM_ERRORS;
        else if (m->proto == 58)
            c = MP_CTR_ICMP6_IN_CSUM_ERRORS;
        drop(h, pkt, c);
        return;
    }
    pkt->flags &= ~(uint32_t)MP_PKT_CSUM_UNTRUSTED;
    if (!l4->input) {
        /* RFC 1122 3.2.2.1: protocol unreachable; RFC 4443 3.4: parameter
         * problem, unrecognized next header. */
        if (m->src.v == 4)
            mp_icmp_send_error(h, pkt, 3, 2, 0);
        else
            mp_icmp_send_error(h, pkt, 4, 1, 6);
        drop(h, pkt, MP_CTR_IP_IN_UNKNOWN_PROTOS);
        return;
    }
    mp_ctr_inc(&h->ctr, MP_CTR_IP_IN_DELIVERS);
    l4->input(l4->arg, h, pkt, m);
}

static void forward(struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip_meta *m,
                    const struct mp_rt_result *res)
{
    bool v4 = m->src.v == 4;
    struct mp_iface *out = mp_host_iface(h, res->ifindex);

    if (m->ttl <= 1) {
        /* RFC 1812 5.3.1 / RFC 4443 3.3: time exceeded in transit. */
        mp_icmp_send_error(h, pkt, v4 ? 11 : 3, 0, 0);
        drop(h, pkt, MP_CTR_IP_IN_HDR_ERRORS);
        return;
    }
    if (!out) {
        drop(h, pkt, MP_CTR_IP_OUT_DISCARDS);
        return;
    }
    if (pkt->len > out->mtu) {
        /* afmp does not fragment: DF or not, a router answers as for DF
         * (RFC 1191) and IPv6 routers never fragment (RFC 8200 5). */
        if (v4)
            mp_icmp_send_error(h, pkt, 3, 4, out->mtu);
        else
            mp_icmp_send_error(h, pkt, 2, 0, out->mtu);
        drop(h, pkt, MP_CTR_IP_TOO_BIG);
        return;
    }
    if (v4) {
        /* TTL and the header checksum by RFC 1624, unless the checksum is
         * still to be computed anyway. */
        uint16_t old = mp_wire_get16(pkt->data + 8);
        pkt->data[8]--;
        if (!(pkt->flags & MP_PKT_CSUM_PENDING)) {
            uint16_t csum = mp_wire_get16(pkt->data + 10);
            mp_wire_put16(pkt->data + 10,
                          mp_wire_csum_update16(csum, old, mp_wire_get16(pkt->data + 8)));
        }
    } else {
        pkt->data[7]--;
    }
    mp_ctr_inc(&h->ctr, MP_CTR_IP_FORW_DATAGRAMS);
    mp_host_xmit(h, res->ifindex, pkt);
}

static void route_error(struct mp_host *h, struct mp_pkt *pkt, bool v4, int rc)
{
    /* RFC 1812 5.2.7.1 / RFC 4443 3.1: no route (net / code 0), host
     * unreachable, administratively prohibited; blackholes are silent. */
    if (rc == -EHOSTUNREACH)
        mp_icmp_send_error(h, pkt, v4 ? 3 : 1, v4 ? 1 : 3, 0);
    else if (rc == -EACCES)
        mp_icmp_send_error(h, pkt, v4 ? 3 : 1, v4 ? 13 : 1, 0);
    else if (rc == -ENETUNREACH)
        mp_icmp_send_error(h, pkt, v4 ? 3 : 1, 0, 0);
    drop(h, pkt, MP_CTR_IP_OUT_NO_ROUTES);
}

static bool is_all_nodes(const struct mp_ip *ip)
{
    static const uint8_t ff02_1[16] = {0xff, 0x02, [15] = 1};
    return ip->v == 6 && memcmp(ip->b, ff02_1, 16) == 0;
}

void mp_host_input(struct mp_host *h, uint32_t ifindex, struct mp_pkt *pkt)
{
    struct mp_ip_meta m;
    bool fragment = false;
    int rc;

    if (ifindex) {
        struct mp_iface *ifc = mp_host_iface(h, ifindex);
        if (!ifc || !ifc->up) {
            drop(h, pkt, MP_CTR_IP_IN_DISCARDS);
            return;
        }
        ifc->stats.rx_packets++;
        ifc->stats.rx_bytes += pkt->len;
    }
    mp_ctr_inc(&h->ctr, MP_CTR_IP_IN_RECEIVES);
    rc = parse_ip(pkt, &m, &fragment);
    if (rc) {
        drop(h, pkt, (enum mp_ctr)rc);
        return;
    }
    m.ifindex = ifindex;
    pkt->ifindex = ifindex;

    if (is_all_nodes(&m.dst)) {
        /* RFC 4291 2.7: every node is in the all-nodes group of each of
         * its interfaces; link-local scope, so never forwarded. afmp has no
         * other multicast. */
    } else if (!h->opts.forward) {
        /* Weak host model: any local address, whatever the interface. */
        if (!mp_host_addr_ifindex(h, &m.dst)) {
            drop(h, pkt, MP_CTR_IP_IN_ADDR_ERRORS);
            return;
        }
        /* The payload was written when the packet was sent, a round trip
         * ago, and has left the caches; the transport copies it out after
         * its header work, so start loading it now (the link prefetched
         * the first line). Written out here: GCC drops a helper holding
         * only prefetches. */
        for (uint32_t i = 128; i < pkt->len; i += 64)
            __builtin_prefetch(pkt->data + i);
    } else {
        struct mp_rt_flow fl = {m.dst, m.src, ifindex, 0};
        const struct mp_rt_result *res;
        rc = mp_host_rt_lookup(h, &fl, &res);
        if (rc < 0) {
            route_error(h, pkt, m.src.v == 4, rc);
            return;
        }
        if (res->route.kind != MP_RT_LOCAL) {
            forward(h, pkt, &m, res);
            return;
        }
    }
    if (fragment) {
        /* No reassembly: afmp hosts never fragment, so a fragment is a
         * middlebox's doing; count it. */
        drop(h, pkt, MP_CTR_IP_IN_FRAGS);
        return;
    }
    deliver(h, pkt, &m);
}

/* Packets a host sends to itself go through the loopback queue and come
 * back in by a deadline at the same time, never recursively. */
mp_time_t mp_host_loopback_expire(void *arg, mp_time_t now)
{
    struct mp_host *h = arg;
    struct mp_pkt_queue q = h->loopback;
    struct mp_pkt *p;

    memset(&h->loopback, 0, sizeof(h->loopback));
    while ((p = mp_pkt_queue_pop(&q)))
        mp_host_input(h, 0, p);
    return h->loopback.count ? now : MP_TIME_NEVER;
}

int mp_host_ip_send(struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip *src,
                    const struct mp_ip *dst, uint8_t proto, const struct mp_wire_ipx *x,
                    uint32_t oif)
{
    struct mp_host_route r;
    struct mp_wire_ipx hx = {0};
    int rc;

    mp_ctr_inc(&h->ctr, MP_CTR_IP_OUT_REQUESTS);
    rc = mp_host_route(h, src, dst, oif, &r);
    if (rc < 0) {
        mp_ctr_inc(&h->ctr, MP_CTR_IP_OUT_NO_ROUTES);
        mp_pkt_free(pkt);
        return rc;
    }
    if (!r.local) {
        struct mp_iface *ifc = mp_host_iface(h, r.ifindex);
        if (!ifc || !ifc->up) {
            drop(h, pkt, MP_CTR_IP_OUT_DISCARDS);
            return -ENETDOWN;
        }
    }
    size_t l4_len = pkt->len;
    size_t hlen = mp_wire_ip_hlen(dst->v);
    if (hlen + l4_len > r.mtu) {
        drop(h, pkt, MP_CTR_IP_TOO_BIG);
        return -EMSGSIZE;
    }
    if (x)
        hx = *x;
    if (!hx.ttl)
        hx.ttl = h->opts.ttl;
    if (dst->v == 4 && !hx.id)
        hx.id = h->ip_id++;
    hx.df = dst->v == 4; /* Linux sets DF (path MTU discovery) */
    uint8_t *hdr = mp_pkt_push(pkt, (uint32_t)hlen);
    if (!hdr) {
        drop(h, pkt, MP_CTR_IP_OUT_DISCARDS);
        return -ENOBUFS;
    }
    rc = mp_wire_ip_build_hdr(hdr, hlen, &r.src, dst, proto, l4_len, &hx, false);
    if (rc < 0) {
        drop(h, pkt, MP_CTR_IP_OUT_DISCARDS);
        return -EINVAL;
    }
    pkt->flags |= MP_PKT_CSUM_PENDING;
    if (r.local) {
        mp_pkt_queue_push(&h->loopback, pkt);
        mp_env_deadline(h->env, &h->loopback_dl, mp_env_now(h->env));
        return 0;
    }
    mp_host_xmit(h, r.ifindex, pkt);
    return 0;
}
