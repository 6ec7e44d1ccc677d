/*
 * afmp: IPv6 neighbour discovery messages (RFC 4861).
 */
#include <string.h>

#include "model/wire/wire.h"

/* Length of the fixed part of each message, ICMPv6 header included
 * (RFC 4861 4.1-4.4), or 0 for types not handled here. */
static size_t fixed_len(uint8_t type)
{
    switch (type) {
    case MP_ICMP6_ROUTER_SOLICIT:
        return 8;
    case MP_ICMP6_ROUTER_ADVERT:
        return 16;
    case MP_ICMP6_NEIGH_SOLICIT:
    case MP_ICMP6_NEIGH_ADVERT:
        return 24;
    default:
        return 0;
    }
}

static bool has_target(uint8_t type)
{
    return type == MP_ICMP6_NEIGH_SOLICIT || type == MP_ICMP6_NEIGH_ADVERT;
}

static int parse_opts(const uint8_t *o, size_t len, struct mp_wire_nd *out)
{
    size_t off = 0;

    while (off < len) {
        const uint8_t *q = o + off;
        size_t olen;

        if (len - off < 2)
            return MP_WIRE_EOPT;
        olen = (size_t)q[1] * 8;
        /* RFC 4861 4.6: "Nodes MUST silently discard an ND packet that
         * contains an option with length zero." */
        if (olen == 0 || olen > len - off)
            return MP_WIRE_EOPT;
        switch (q[0]) {
        case MP_ND_OPT_SRC_LLADDR:
        case MP_ND_OPT_TGT_LLADDR: {
            /* Length 1 (8 bytes) holds a 6-byte Ethernet address, RFC 2464
             * 6; longer link-layer addresses keep their first 6 bytes. */
            bool src = q[0] == MP_ND_OPT_SRC_LLADDR;
            if (src && !out->has_src_ll) {
                memcpy(out->src_ll, q + 2, 6);
                out->has_src_ll = true;
            } else if (!src && !out->has_tgt_ll) {
                memcpy(out->tgt_ll, q + 2, 6);
                out->has_tgt_ll = true;
            }
            break;
        }
        case MP_ND_OPT_PREFIX: {
            struct mp_wire_nd_prefix *px;
            if (q[1] != 4 || q[2] > 128)
                return MP_WIRE_EOPT;
            if (out->n_prefix == MP_WIRE_ND_MAX_PREFIX) {
                out->n_prefix_dropped++;
                break;
            }
            px = &out->prefix[out->n_prefix++];
            px->len = q[2];
            px->flags = q[3];
            px->valid = mp_wire_get32(q + 4);
            px->preferred = mp_wire_get32(q + 8);
            memset(&px->prefix, 0, sizeof(px->prefix));
            px->prefix.v = 6;
            memcpy(px->prefix.b, q + 16, 16);
            break;
        }
        case MP_ND_OPT_MTU:
            if (q[1] != 1)
                return MP_WIRE_EOPT;
            out->has_mtu = true;
            out->mtu = mp_wire_get32(q + 4);
            break;
        default:
            /* RFC 4861 4.6: unknown options are skipped. */
            break;
        }
        off += olen;
    }
    return 0;
}

int mp_wire_nd_parse(const uint8_t *p, size_t len, struct mp_wire_nd *out)
{
    size_t fl;

    if (len < 1)
        return MP_WIRE_ETRUNC;
    fl = fixed_len(p[0]);
    if (!fl)
        return MP_WIRE_EUNSUPP;
    if (len < fl)
        return MP_WIRE_ETRUNC;
    memset(out, 0, sizeof(*out));
    out->type = p[0];
    /* RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2: "ICMP Code is 0." */
    if (p[1] != 0)
        return MP_WIRE_EFIELD;
    out->csum = mp_wire_get16(p + 2);
    switch (out->type) {
    case MP_ICMP6_ROUTER_ADVERT:
        out->hop_limit = p[4];
        out->flags = p[5];
        out->router_lifetime = mp_wire_get16(p + 6);
        out->reachable_time = mp_wire_get32(p + 8);
        out->retrans_timer = mp_wire_get32(p + 12);
        break;
    case MP_ICMP6_NEIGH_ADVERT:
        out->flags = p[4];
        break;
    default:
        break;
    }
    if (has_target(out->type)) {
        out->target.v = 6;
        memcpy(out->target.b, p + 8, 16);
        /* RFC 4861 7.1.1/7.1.2: "Target Address is not a multicast
         * address." */
        if (out->target.b[0] == 0xff)
            return MP_WIRE_EFIELD;
    }
    out->opts = p + fl;
    out->opts_len = len - fl;
    return parse_opts(out->opts, out->opts_len, out);
}

static uint8_t *put_ll(uint8_t *o, uint8_t type, const uint8_t *ll)
{
    o[0] = type;
    o[1] = 1;
    memcpy(o + 2, ll, 6);
    return o + 8;
}

int mp_wire_nd_emit(uint8_t *buf, size_t cap, const struct mp_wire_nd *nd)
{
    size_t fl = fixed_len(nd->type);
    size_t total;
    uint8_t *o;

    if (!fl)
        return MP_WIRE_EUNSUPP;
    if (nd->n_prefix > MP_WIRE_ND_MAX_PREFIX || (has_target(nd->type) && nd->target.v != 6))
        return MP_WIRE_EINVAL;
    for (size_t i = 0; i < nd->n_prefix; i++)
        if (nd->prefix[i].prefix.v != 6 || nd->prefix[i].len > 128)
            return MP_WIRE_EINVAL;
    total = fl + (nd->has_src_ll ? 8 : 0) + (nd->has_tgt_ll ? 8 : 0) + (nd->has_mtu ? 8 : 0) +
            32 * nd->n_prefix;
    if (cap < total)
        return MP_WIRE_ENOSPC;

    memset(buf, 0, fl);
    buf[0] = nd->type;
    mp_wire_put16(buf + 2, nd->csum);
    switch (nd->type) {
    case MP_ICMP6_ROUTER_ADVERT:
        buf[4] = nd->hop_limit;
        buf[5] = nd->flags;
        mp_wire_put16(buf + 6, nd->router_lifetime);
        mp_wire_put32(buf + 8, nd->reachable_time);
        mp_wire_put32(buf + 12, nd->retrans_timer);
        break;
    case MP_ICMP6_NEIGH_ADVERT:
        buf[4] = nd->flags;
        break;
    default:
        break;
    }
    if (has_target(nd->type))
        memcpy(buf + 8, nd->target.b, 16);

    o = buf + fl;
    if (nd->has_src_ll)
        o = put_ll(o, MP_ND_OPT_SRC_LLADDR, nd->src_ll);
    if (nd->has_tgt_ll)
        o = put_ll(o, MP_ND_OPT_TGT_LLADDR, nd->tgt_ll);
    if (nd->has_mtu) {
        o[0] = MP_ND_OPT_MTU;
        o[1] = 1;
        o[2] = o[3] = 0;
        mp_wire_put32(o + 4, nd->mtu);
        o += 8;
    }
    for (size_t i = 0; i < nd->n_prefix; i++) {
        const struct mp_wire_nd_prefix *px = &nd->prefix[i];
        o[0] = MP_ND_OPT_PREFIX;
        o[1] = 4;
        o[2] = px->len;
        o[3] = px->flags;
        mp_wire_put32(o + 4, px->valid);
        mp_wire_put32(o + 8, px->preferred);
        mp_wire_put32(o + 12, 0);
        memcpy(o + 16, px->prefix.b, 16);
        o += 32;
    }
    return (int)total;
}

int mp_wire_nd_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                     const struct mp_wire_nd *nd, bool csum_now)
{
    /* RFC 4861 6.1.1/7.1.1: receivers drop ND packets whose hop limit is
     * not 255, which proves they were not forwarded. */
    const struct mp_wire_ipx x = {.ttl = 255};
    const size_t hl = MP_WIRE_IP6_HLEN;
    uint8_t *l4;
    int mlen, r;

    if (src->v != 6 || dst->v != 6)
        return MP_WIRE_EINVAL;
    if (cap < hl)
        return MP_WIRE_ENOSPC;
    l4 = buf + hl;
    mlen = mp_wire_nd_emit(l4, cap - hl, nd);
    if (mlen < 0)
        return mlen;
    r = mp_wire_ip_build_hdr(buf, cap, src, dst, MP_IPPROTO_ICMPV6, (size_t)mlen, &x, csum_now);
    if (r < 0)
        return r;
    l4[2] = l4[3] = 0;
    if (csum_now)
        mp_wire_put16(l4 + 2, mp_wire_csum_l4(src, dst, MP_IPPROTO_ICMPV6, l4, (size_t)mlen));
    return (int)hl + mlen;
}
