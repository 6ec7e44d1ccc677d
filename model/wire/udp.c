/*
 * afmp: UDP header (RFC 768).
 */
#include <string.h>

#include "model/wire/wire.h"

int mp_wire_udp_parse(const uint8_t *p, size_t len, struct mp_wire_udp *out)
{
    if (len < MP_WIRE_UDP_HLEN)
        return MP_WIRE_ETRUNC;
    out->sport = mp_wire_get16(p);
    out->dport = mp_wire_get16(p + 2);
    out->len = mp_wire_get16(p + 4);
    out->csum = mp_wire_get16(p + 6);
    if (out->len < MP_WIRE_UDP_HLEN || out->len > len)
        return MP_WIRE_ELEN;
    out->payload = p + MP_WIRE_UDP_HLEN;
    out->payload_len = out->len - MP_WIRE_UDP_HLEN;
    return 0;
}

int mp_wire_udp_emit(uint8_t *buf, size_t cap, const struct mp_wire_udp *h)
{
    if (cap < MP_WIRE_UDP_HLEN)
        return MP_WIRE_ENOSPC;
    mp_wire_put16(buf, h->sport);
    mp_wire_put16(buf + 2, h->dport);
    mp_wire_put16(buf + 4, h->len);
    mp_wire_put16(buf + 6, h->csum);
    return (int)MP_WIRE_UDP_HLEN;
}

int mp_wire_udp_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                      uint16_t sport, uint16_t dport, const uint8_t *payload, size_t plen,
                      const struct mp_wire_ipx *x, bool csum_now)
{
    size_t hl = mp_wire_ip_hlen(src->v);
    size_t ulen = MP_WIRE_UDP_HLEN + plen;
    struct mp_wire_udp u = {.sport = sport, .dport = dport, .len = (uint16_t)ulen};
    uint8_t *l4;
    int r;

    if (!hl || src->v != dst->v || ulen > UINT16_MAX)
        return MP_WIRE_EINVAL;
    if (cap < hl + ulen)
        return MP_WIRE_ENOSPC;
    /* The payload first: it may sit where the headers go. */
    if (payload)
        memmove(buf + hl + MP_WIRE_UDP_HLEN, payload, plen);
    r = mp_wire_ip_build_hdr(buf, cap, src, dst, MP_IPPROTO_UDP, ulen, x, csum_now);
    if (r < 0)
        return r;
    l4 = buf + hl;
    mp_wire_udp_emit(l4, MP_WIRE_UDP_HLEN, &u);
    if (csum_now) {
        uint16_t c = mp_wire_csum_l4(src, dst, MP_IPPROTO_UDP, l4, ulen);
        /* RFC 768: a computed zero is sent as all ones; zero means "none". */
        mp_wire_put16(l4 + 6, c ? c : 0xffff);
    }
    return (int)(hl + ulen);
}
