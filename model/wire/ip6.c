/*
 * afmp: IPv6 fixed header and extension header chain (RFC 8200).
 */
#include <string.h>

#include "model/wire/wire.h"

/*
 * Walks the extension headers from |off| (just after the fixed header) up to
 * |end| and fills the chain results of |out|. In quote mode a header that
 * runs past |end| ends the walk with truncated set instead of failing.
 */
static int walk(const uint8_t *p, size_t end, uint8_t nh, struct mp_wire_ip6 *out, bool quote)
{
    size_t off = MP_WIRE_IP6_HLEN;
    bool first = true;

    for (;;) {
        size_t elen;
        bool stop = false;

        switch (nh) {
        case MP_IPPROTO_HOPOPTS:
            /* RFC 8200 4.1: hop-by-hop options only immediately after the
             * fixed header. */
            if (!first)
                return MP_WIRE_EEXT;
            /* fall through */
        case MP_IPPROTO_ROUTING:
        case MP_IPPROTO_DSTOPTS:
            /* RFC 8200 4.3-4.6: length in 8-octet units, not counting the
             * first 8. */
            if (end - off < 2)
                goto cut;
            elen = ((size_t)p[off + 1] + 1) * 8;
            break;
        case MP_IPPROTO_AH:
            /* RFC 4302 2.2: length in 32-bit words, minus 2. */
            if (end - off < 2)
                goto cut;
            elen = ((size_t)p[off + 1] + 2) * 4;
            break;
        case MP_IPPROTO_FRAGMENT: {
            uint16_t w;
            elen = 8;
            if (end - off < elen)
                goto cut;
            w = mp_wire_get16(p + off + 2);
            out->is_fragment = true;
            out->frag_off = w >> 3;
            out->frag_more = (w & 1) != 0;
            out->frag_id = mp_wire_get32(p + off + 4);
            /* RFC 8200 4.5: later fragments carry no headers of their own;
             * what follows is data of the fragmentable part. */
            stop = out->frag_off != 0;
            break;
        }
        default:
            /* Upper layer, ESP (opaque), or no next header. */
            goto done;
        }
        if (end - off < elen)
            goto cut;
        nh = p[off];
        off += elen;
        first = false;
        if (stop)
            break;
    }
done:
    out->proto = nh;
    out->l4_off = off;
    out->l4_len = end - off;
    out->ext_len = off - MP_WIRE_IP6_HLEN;
    return 0;
cut:
    if (!quote)
        return MP_WIRE_EEXT;
    out->truncated = true;
    goto done;
}

static int parse(const uint8_t *p, size_t len, struct mp_wire_ip6 *out, bool quote)
{
    uint32_t w;
    size_t end;

    if (len < MP_WIRE_IP6_HLEN)
        return MP_WIRE_ETRUNC;
    w = mp_wire_get32(p);
    out->version = (uint8_t)(w >> 28);
    if (out->version != 6)
        return MP_WIRE_EVERSION;
    out->dscp = (uint8_t)(w >> 22) & 0x3f;
    out->ecn = (uint8_t)(w >> 20) & 0x03;
    out->flow = w & 0xfffff;
    out->payload_len = mp_wire_get16(p + 4);
    out->next_hdr = p[6];
    out->hop_limit = p[7];
    memset(&out->src, 0, sizeof(out->src));
    memset(&out->dst, 0, sizeof(out->dst));
    out->src.v = out->dst.v = 6;
    memcpy(out->src.b, p + 8, 16);
    memcpy(out->dst.b, p + 24, 16);
    out->is_fragment = false;
    out->frag_off = 0;
    out->frag_more = false;
    out->frag_id = 0;
    out->truncated = false;

    end = MP_WIRE_IP6_HLEN + (size_t)out->payload_len;
    if (end > len) {
        if (!quote)
            return MP_WIRE_ELEN;
        end = len;
        out->truncated = true;
    }
    return walk(p, end, out->next_hdr, out, quote);
}

int mp_wire_ip6_parse(const uint8_t *p, size_t len, struct mp_wire_ip6 *out)
{
    return parse(p, len, out, false);
}

int mp_wire_ip6_parse_quote(const uint8_t *p, size_t len, struct mp_wire_ip6 *out)
{
    return parse(p, len, out, true);
}

int mp_wire_ip6_emit(uint8_t *buf, size_t cap, const struct mp_wire_ip6 *h)
{
    if (h->src.v != 6 || h->dst.v != 6 || h->dscp > 63 || h->ecn > 3 || h->flow > 0xfffff)
        return MP_WIRE_EINVAL;
    if (cap < MP_WIRE_IP6_HLEN)
        return MP_WIRE_ENOSPC;
    mp_wire_put32(buf,
                  (uint32_t)6 << 28 | (uint32_t)h->dscp << 22 | (uint32_t)h->ecn << 20 | h->flow);
    mp_wire_put16(buf + 4, h->payload_len);
    buf[6] = h->next_hdr;
    buf[7] = h->hop_limit;
    memcpy(buf + 8, h->src.b, 16);
    memcpy(buf + 24, h->dst.b, 16);
    return (int)MP_WIRE_IP6_HLEN;
}
