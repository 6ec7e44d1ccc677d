/*
 * afmp: ICMPv4 (RFC 792, RFC 1191).
 */
#include <string.h>

#include "model/wire/wire.h"

static bool is_error(uint8_t type)
{
    switch (type) {
    case MP_ICMP_UNREACH:
    case MP_ICMP_SOURCE_QUENCH:
    case MP_ICMP_REDIRECT:
    case MP_ICMP_TIME_EXCEEDED:
    case MP_ICMP_PARAM_PROBLEM:
        return true;
    default:
        return false;
    }
}

int mp_wire_icmp_parse(const uint8_t *p, size_t len, struct mp_wire_icmp *out)
{
    if (len < MP_WIRE_ICMP_HLEN)
        return MP_WIRE_ETRUNC;
    out->type = p[0];
    out->code = p[1];
    out->csum = mp_wire_get16(p + 2);
    out->rest = mp_wire_get32(p + 4);
    out->body = p + MP_WIRE_ICMP_HLEN;
    out->body_len = len - MP_WIRE_ICMP_HLEN;
    out->has_quote = false;
    out->quote_truncated = false;
    if (!is_error(out->type))
        return 0;
    /* RFC 792: the quote is the internet header plus the first 64 bits of
     * the original data, enough to find the transport ports. */
    if (mp_wire_ip4_parse_quote(out->body, out->body_len, &out->quote) < 0 ||
        out->quote.payload_len < 8)
        return MP_WIRE_EQUOTE;
    out->has_quote = true;
    out->quote_truncated = out->quote.payload_off + out->quote.payload_len < out->quote.total_len;
    return 0;
}

int mp_wire_icmp_emit(uint8_t *buf, size_t cap, const struct mp_wire_icmp *h)
{
    if (cap < MP_WIRE_ICMP_HLEN)
        return MP_WIRE_ENOSPC;
    buf[0] = h->type;
    buf[1] = h->code;
    mp_wire_put16(buf + 2, h->csum);
    mp_wire_put32(buf + 4, h->rest);
    return (int)MP_WIRE_ICMP_HLEN;
}

int mp_wire_icmp_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                       const struct mp_wire_icmp *h, const uint8_t *body, size_t blen,
                       const struct mp_wire_ipx *x, bool csum_now)
{
    const size_t hl = MP_WIRE_IP4_HLEN;
    size_t mlen = MP_WIRE_ICMP_HLEN + blen;
    struct mp_wire_icmp m = {.type = h->type, .code = h->code, .rest = h->rest};
    uint8_t *l4;
    int r;

    if (src->v != 4 || dst->v != 4 || hl + mlen > UINT16_MAX)
        return MP_WIRE_EINVAL;
    if (cap < hl + mlen)
        return MP_WIRE_ENOSPC;
    if (body)
        memmove(buf + hl + MP_WIRE_ICMP_HLEN, body, blen);
    r = mp_wire_ip_build_hdr(buf, cap, src, dst, MP_IPPROTO_ICMP, mlen, x, csum_now);
    if (r < 0)
        return r;
    l4 = buf + hl;
    mp_wire_icmp_emit(l4, MP_WIRE_ICMP_HLEN, &m);
    /* ICMPv4 has no pseudo-header (RFC 792). */
    if (csum_now)
        mp_wire_put16(l4 + 2, mp_wire_csum(l4, mlen));
    return (int)(hl + mlen);
}
