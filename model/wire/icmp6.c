/*
 * afmp: ICMPv6 (RFC 4443).
 */
#include <string.h>

#include "model/wire/wire.h"

int mp_wire_icmp6_parse(const uint8_t *p, size_t len, struct mp_wire_icmp6 *out)
{
    if (len < MP_WIRE_ICMP6_HLEN)
        return MP_WIRE_ETRUNC;
    out->type = p[0];
    out->code = p[1];
    out->csum = mp_wire_get16(p + 2);
    out->rest = mp_wire_get32(p + 4);
    out->body = p + MP_WIRE_ICMP6_HLEN;
    out->body_len = len - MP_WIRE_ICMP6_HLEN;
    out->has_quote = false;
    /* RFC 4443 2.1: types 0-127 are errors; the four defined ones quote
     * "as much of invoking packet as possible". Unknown error types are
     * passed up unparsed (2.4(b)). */
    if (out->type < MP_ICMP6_UNREACH || out->type > MP_ICMP6_PARAM_PROBLEM)
        return 0;
    if (mp_wire_ip6_parse_quote(out->body, out->body_len, &out->quote) < 0)
        return MP_WIRE_EQUOTE;
    out->has_quote = true;
    return 0;
}

int mp_wire_icmp6_emit(uint8_t *buf, size_t cap, const struct mp_wire_icmp6 *h)
{
    if (cap < MP_WIRE_ICMP6_HLEN)
        return MP_WIRE_ENOSPC;
    buf[0] = h->type;
    buf[1] = h->code;
    mp_wire_put16(buf + 2, h->csum);
    mp_wire_put32(buf + 4, h->rest);
    return (int)MP_WIRE_ICMP6_HLEN;
}

int mp_wire_icmp6_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                        const struct mp_wire_icmp6 *h, const uint8_t *body, size_t blen,
                        const struct mp_wire_ipx *x, bool csum_now)
{
    const size_t hl = MP_WIRE_IP6_HLEN;
    size_t mlen = MP_WIRE_ICMP6_HLEN + blen;
    struct mp_wire_icmp6 m = {.type = h->type, .code = h->code, .rest = h->rest};
    uint8_t *l4;
    int r;

    if (src->v != 6 || dst->v != 6 || mlen > UINT16_MAX)
        return MP_WIRE_EINVAL;
    if (cap < hl + mlen)
        return MP_WIRE_ENOSPC;
    if (body)
        memmove(buf + hl + MP_WIRE_ICMP6_HLEN, body, blen);
    r = mp_wire_ip_build_hdr(buf, cap, src, dst, MP_IPPROTO_ICMPV6, mlen, x, csum_now);
    if (r < 0)
        return r;
    l4 = buf + hl;
    mp_wire_icmp6_emit(l4, MP_WIRE_ICMP6_HLEN, &m);
    /* RFC 4443 2.3: the checksum includes the IPv6 pseudo-header. */
    if (csum_now)
        mp_wire_put16(l4 + 2, mp_wire_csum_l4(src, dst, MP_IPPROTO_ICMPV6, l4, mlen));
    return (int)(hl + mlen);
}
