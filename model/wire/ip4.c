/*
 * afmp: IPv4 header (RFC 791).
 */
#include <string.h>

#include "model/wire/wire.h"

static int parse(const uint8_t *p, size_t len, struct mp_wire_ip4 *out, bool quote)
{
    size_t hlen;

    if (len < MP_WIRE_IP4_HLEN)
        return MP_WIRE_ETRUNC;
    out->version = p[0] >> 4;
    out->ihl = p[0] & 0x0f;
    if (out->version != 4)
        return MP_WIRE_EVERSION;
    if (out->ihl < 5)
        return MP_WIRE_EHDRLEN;
    hlen = (size_t)out->ihl * 4;
    if (hlen > len)
        return MP_WIRE_ETRUNC;

    out->dscp = p[1] >> 2;
    out->ecn = p[1] & 0x03;
    out->total_len = mp_wire_get16(p + 2);
    out->id = mp_wire_get16(p + 4);
    out->rf = (p[6] & 0x80) != 0;
    out->df = (p[6] & 0x40) != 0;
    out->mf = (p[6] & 0x20) != 0;
    out->frag_off = mp_wire_get16(p + 6) & 0x1fff;
    out->ttl = p[8];
    out->proto = p[9];
    out->csum = mp_wire_get16(p + 10);
    memset(&out->src, 0, sizeof(out->src));
    memset(&out->dst, 0, sizeof(out->dst));
    out->src.v = out->dst.v = 4;
    memcpy(out->src.b, p + 12, 4);
    memcpy(out->dst.b, p + 16, 4);
    out->opts = p + MP_WIRE_IP4_HLEN;
    out->opts_len = hlen - MP_WIRE_IP4_HLEN;

    if (out->total_len < hlen)
        return MP_WIRE_ELEN;
    out->payload_off = hlen;
    if (out->total_len > len) {
        /* RFC 792: an ICMP error quotes only the header and 64 bits. */
        if (!quote)
            return MP_WIRE_ELEN;
        out->payload_len = len - hlen;
    } else {
        out->payload_len = out->total_len - hlen;
    }
    out->is_fragment = out->mf || out->frag_off != 0;
    return 0;
}

int mp_wire_ip4_parse(const uint8_t *p, size_t len, struct mp_wire_ip4 *out)
{
    return parse(p, len, out, false);
}

int mp_wire_ip4_parse_quote(const uint8_t *p, size_t len, struct mp_wire_ip4 *out)
{
    return parse(p, len, out, true);
}

int mp_wire_ip4_emit(uint8_t *buf, size_t cap, const struct mp_wire_ip4 *h)
{
    size_t hlen = MP_WIRE_IP4_HLEN + h->opts_len;

    if (h->src.v != 4 || h->dst.v != 4 || h->opts_len % 4 || h->opts_len > MP_WIRE_IP4_MAX_OPTS ||
        h->dscp > 63 || h->ecn > 3 || h->frag_off > 0x1fff)
        return MP_WIRE_EINVAL;
    if (h->opts_len && !h->opts)
        return MP_WIRE_EINVAL;
    if (cap < hlen)
        return MP_WIRE_ENOSPC;
    buf[0] = (uint8_t)(0x40 | hlen / 4);
    buf[1] = (uint8_t)(h->dscp << 2 | h->ecn);
    mp_wire_put16(buf + 2, h->total_len);
    mp_wire_put16(buf + 4, h->id);
    mp_wire_put16(buf + 6, (uint16_t)((h->rf ? 0x8000 : 0) | (h->df ? 0x4000 : 0) |
                                      (h->mf ? 0x2000 : 0) | h->frag_off));
    buf[8] = h->ttl;
    buf[9] = h->proto;
    mp_wire_put16(buf + 10, h->csum);
    memcpy(buf + 12, h->src.b, 4);
    memcpy(buf + 16, h->dst.b, 4);
    if (h->opts_len)
        memmove(buf + MP_WIRE_IP4_HLEN, h->opts, h->opts_len);
    return (int)hlen;
}

void mp_wire_ip4_set_csum(uint8_t *hdr, size_t hlen)
{
    hdr[10] = hdr[11] = 0;
    mp_wire_put16(hdr + 10, mp_wire_csum(hdr, hlen));
}
