/*
 * afmp: wire-layer glue: error names, the IP header for builders, and the
 * lazy checksums of whole packets (see model/pkt.h).
 */
#include <string.h>

#include "model/wire/wire.h"

static const struct {
    const char *name;
    const char *text;
} errs[MP_WIRE_NERR] = {
    [0] = {"Ok", "success"},
    [-MP_WIRE_ETRUNC] = {"Trunc", "truncated header"},
    [-MP_WIRE_EVERSION] = {"Version", "bad IP version"},
    [-MP_WIRE_EHDRLEN] = {"HdrLen", "header length below minimum"},
    [-MP_WIRE_ELEN] = {"Len", "length field inconsistent with data"},
    [-MP_WIRE_EOPT] = {"Opt", "malformed option"},
    [-MP_WIRE_EEXT] = {"Ext", "malformed extension header chain"},
    [-MP_WIRE_ENOSPC] = {"NoSpc", "output buffer too small"},
    [-MP_WIRE_EINVAL] = {"Inval", "invalid argument"},
    [-MP_WIRE_EUNSUPP] = {"Unsupp", "unsupported type"},
    [-MP_WIRE_EFIELD] = {"Field", "forbidden field value"},
    [-MP_WIRE_EQUOTE] = {"Quote", "malformed quoted datagram"},
    [-MP_WIRE_ECSUM] = {"Csum", "checksum mismatch"},
};

const char *mp_wire_strerror(int err)
{
    if (err > 0 || err <= -MP_WIRE_NERR)
        return "unknown error";
    return errs[-err].text;
}

const char *mp_wire_errname(int err)
{
    if (err > 0 || err <= -MP_WIRE_NERR)
        return "Unknown";
    return errs[-err].name;
}

int mp_wire_ip_build_hdr(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                         uint8_t proto, size_t l4_len, const struct mp_wire_ipx *x, bool csum_now)
{
    static const struct mp_wire_ipx defaults = {.ttl = 64, .df = true};
    uint8_t ttl;
    int r;

    if (!x)
        x = &defaults;
    ttl = x->ttl ? x->ttl : 64;
    if (src->v != dst->v)
        return MP_WIRE_EINVAL;
    if (src->v == 4) {
        struct mp_wire_ip4 h = {
            .dscp = x->dscp,
            .ecn = x->ecn,
            .id = x->id,
            .df = x->df,
            .ttl = ttl,
            .proto = proto,
            .src = *src,
            .dst = *dst,
        };
        if (l4_len > UINT16_MAX - MP_WIRE_IP4_HLEN)
            return MP_WIRE_EINVAL;
        h.total_len = (uint16_t)(MP_WIRE_IP4_HLEN + l4_len);
        r = mp_wire_ip4_emit(buf, cap, &h);
        if (r > 0 && csum_now)
            mp_wire_ip4_set_csum(buf, (size_t)r);
        return r;
    }
    if (src->v == 6) {
        struct mp_wire_ip6 h = {
            .dscp = x->dscp,
            .ecn = x->ecn,
            .flow = x->flow,
            .next_hdr = proto,
            .hop_limit = ttl,
            .src = *src,
            .dst = *dst,
        };
        if (l4_len > UINT16_MAX)
            return MP_WIRE_EINVAL;
        h.payload_len = (uint16_t)l4_len;
        return mp_wire_ip6_emit(buf, cap, &h);
    }
    return MP_WIRE_EINVAL;
}

/* Offset of the checksum field in an L4 message, or -1 if not ours. */
static int csum_field(uint8_t proto)
{
    switch (proto) {
    case MP_IPPROTO_TCP:
        return 16;
    case MP_IPPROTO_UDP:
        return 6;
    case MP_IPPROTO_ICMP:
    case MP_IPPROTO_ICMPV6:
        return 2;
    default:
        return -1;
    }
}

/*
 * The bytes the L4 checksum covers. For UDP that is the UDP length (RFC
 * 768), which may be shorter than the IP payload; a UDP length outside
 * [8, |len|] is malformed.
 */
static int covered_len(uint8_t proto, const uint8_t *l4, size_t len, size_t *out)
{
    int off = csum_field(proto);

    if (off < 0 || len < (size_t)off + 2)
        return MP_WIRE_ETRUNC;
    *out = len;
    if (proto == MP_IPPROTO_UDP) {
        size_t ulen = mp_wire_get16(l4 + 4);
        if (ulen < MP_WIRE_UDP_HLEN || ulen > len)
            return MP_WIRE_ELEN;
        *out = ulen;
    }
    return 0;
}

/* The checksum over |l4| as it stands: 0 when a stored checksum is right. */
static uint16_t sum_l4(const struct mp_ip *src, const struct mp_ip *dst, uint8_t proto,
                       const uint8_t *l4, size_t len)
{
    /* ICMPv4 alone has no pseudo-header (RFC 792). */
    if (proto == MP_IPPROTO_ICMP)
        return mp_wire_csum(l4, len);
    return mp_wire_csum_l4(src, dst, proto, l4, len);
}

static int fill_l4(const struct mp_ip *src, const struct mp_ip *dst, uint8_t proto, uint8_t *l4,
                   size_t len)
{
    int off = csum_field(proto);
    size_t clen;
    uint16_t c;
    int r;

    if (off < 0)
        return 0;
    r = covered_len(proto, l4, len, &clen);
    if (r < 0)
        return r;
    l4[off] = l4[off + 1] = 0;
    c = sum_l4(src, dst, proto, l4, clen);
    /* RFC 768: a computed zero is sent as all ones (zero means "none"). */
    if (proto == MP_IPPROTO_UDP && c == 0)
        c = 0xffff;
    mp_wire_put16(l4 + off, c);
    return 0;
}

static bool check_l4(const struct mp_ip *src, const struct mp_ip *dst, uint8_t proto,
                     const uint8_t *l4, size_t len)
{
    size_t clen;

    if (csum_field(proto) < 0)
        return true;
    if (covered_len(proto, l4, len, &clen) < 0)
        return false;
    if (proto == MP_IPPROTO_UDP && mp_wire_get16(l4 + 6) == 0)
        /* RFC 768: zero means the sender computed none. RFC 8200 8.1: over
         * IPv6 a zero UDP checksum is invalid. */
        return src->v == 4;
    return sum_l4(src, dst, proto, l4, clen) == 0;
}

int mp_wire_csum_finalize(struct mp_pkt *p)
{
    uint8_t *d = p->data;
    int r;

    if (!(p->flags & MP_PKT_CSUM_PENDING))
        return 0;
    if (p->len == 0)
        return MP_WIRE_EVERSION;
    switch (d[0] >> 4) {
    case 4: {
        struct mp_wire_ip4 h;
        r = mp_wire_ip4_parse(d, p->len, &h);
        if (r < 0)
            return r;
        mp_wire_ip4_set_csum(d, h.payload_off);
        /* A fragment's L4 checksum covers the reassembled datagram. */
        if (!h.is_fragment) {
            r = fill_l4(&h.src, &h.dst, h.proto, d + h.payload_off, h.payload_len);
            if (r < 0)
                return r;
        }
        break;
    }
    case 6: {
        struct mp_wire_ip6 h;
        r = mp_wire_ip6_parse(d, p->len, &h);
        if (r < 0)
            return r;
        if (!h.is_fragment || (h.frag_off == 0 && !h.frag_more)) {
            r = fill_l4(&h.src, &h.dst, h.proto, d + h.l4_off, h.l4_len);
            if (r < 0)
                return r;
        }
        break;
    }
    default:
        return MP_WIRE_EVERSION;
    }
    p->flags &= ~(uint32_t)MP_PKT_CSUM_PENDING;
    return 0;
}

bool mp_wire_csum_verify(const struct mp_pkt *p)
{
    const uint8_t *d = p->data;

    if (p->len == 0)
        return false;
    switch (d[0] >> 4) {
    case 4: {
        struct mp_wire_ip4 h;
        if (mp_wire_ip4_parse(d, p->len, &h) < 0 || h.total_len != p->len)
            return false;
        if (mp_wire_csum(d, h.payload_off) != 0)
            return false;
        return h.is_fragment || check_l4(&h.src, &h.dst, h.proto, d + h.payload_off, h.payload_len);
    }
    case 6: {
        struct mp_wire_ip6 h;
        if (mp_wire_ip6_parse(d, p->len, &h) < 0 ||
            MP_WIRE_IP6_HLEN + (size_t)h.payload_len != p->len)
            return false;
        if (h.is_fragment && (h.frag_off != 0 || h.frag_more))
            return true;
        return check_l4(&h.src, &h.dst, h.proto, d + h.l4_off, h.l4_len);
    }
    default:
        return false;
    }
}
