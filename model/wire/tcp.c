/*
 * afmp: TCP header (RFC 9293) and the option layout TCP shares with IPv4.
 *
 * Only the layout lives here; what an option means (MSS, SACK, timestamps,
 * MPTCP) belongs to model/tcp and model/mptcp.
 */
#include <string.h>

#include "model/wire/wire.h"

void mp_wire_opt_iter_init(struct mp_wire_opt_iter *it, const uint8_t *p, size_t len)
{
    it->p = p;
    it->len = len;
    it->off = 0;
    it->bad = false;
}

int mp_wire_opt_next(struct mp_wire_opt_iter *it, struct mp_wire_opt *out)
{
    if (it->bad)
        return MP_WIRE_EOPT;
    while (it->off < it->len) {
        const uint8_t *o = it->p + it->off;
        size_t left = it->len - it->off;

        if (o[0] == MP_TCPOPT_EOL) {
            it->off = it->len;
            return 0;
        }
        if (o[0] == MP_TCPOPT_NOP) {
            it->off++;
            continue;
        }
        /* RFC 9293 3.1: the length byte counts kind and length, so it is at
         * least 2, and the option must fit the area; RFC 9293 3.10.7.1 asks
         * receivers not to crash on an illegal length. */
        if (left < 2 || o[1] < 2 || o[1] > left) {
            it->bad = true;
            return MP_WIRE_EOPT;
        }
        out->kind = o[0];
        out->len = o[1];
        out->data = o + 2;
        out->data_len = (size_t)o[1] - 2;
        out->off = it->off;
        it->off += o[1];
        return 1;
    }
    return 0;
}

int mp_wire_opt_validate(const uint8_t *p, size_t len)
{
    struct mp_wire_opt_iter it;
    struct mp_wire_opt o;
    int r;

    mp_wire_opt_iter_init(&it, p, len);
    while ((r = mp_wire_opt_next(&it, &o)) > 0)
        ;
    return r;
}

int mp_wire_opt_put(uint8_t *buf, size_t cap, uint8_t kind, const uint8_t *data, size_t dlen)
{
    if (kind == MP_TCPOPT_EOL || kind == MP_TCPOPT_NOP) {
        if (cap < 1)
            return MP_WIRE_ENOSPC;
        buf[0] = kind;
        return 1;
    }
    if (dlen > 253)
        return MP_WIRE_EINVAL;
    if (cap < dlen + 2)
        return MP_WIRE_ENOSPC;
    buf[0] = kind;
    buf[1] = (uint8_t)(dlen + 2);
    if (dlen)
        memmove(buf + 2, data, dlen);
    return (int)(dlen + 2);
}

int mp_wire_tcp_parse(const uint8_t *p, size_t len, struct mp_wire_tcp *out)
{
    size_t hlen;

    if (len < MP_WIRE_TCP_HLEN)
        return MP_WIRE_ETRUNC;
    out->sport = mp_wire_get16(p);
    out->dport = mp_wire_get16(p + 2);
    out->seq = mp_wire_get32(p + 4);
    out->ack = mp_wire_get32(p + 8);
    out->doff = p[12] >> 4;
    out->flags = mp_wire_get16(p + 12) & 0x0fff;
    out->window = mp_wire_get16(p + 14);
    out->csum = mp_wire_get16(p + 16);
    out->urg = mp_wire_get16(p + 18);
    if (out->doff < 5)
        return MP_WIRE_EHDRLEN;
    hlen = (size_t)out->doff * 4;
    if (hlen > len)
        return MP_WIRE_ETRUNC;
    out->opts = p + MP_WIRE_TCP_HLEN;
    out->opts_len = hlen - MP_WIRE_TCP_HLEN;
    out->payload = p + hlen;
    out->payload_len = len - hlen;
    return 0;
}

int mp_wire_tcp_emit(uint8_t *buf, size_t cap, const struct mp_wire_tcp *h)
{
    size_t hlen = MP_WIRE_TCP_HLEN + h->opts_len;

    if (h->opts_len % 4 || h->opts_len > MP_WIRE_TCP_MAX_OPTS || h->flags > 0x0fff ||
        (h->opts_len && !h->opts))
        return MP_WIRE_EINVAL;
    if (cap < hlen)
        return MP_WIRE_ENOSPC;
    mp_wire_put16(buf, h->sport);
    mp_wire_put16(buf + 2, h->dport);
    mp_wire_put32(buf + 4, h->seq);
    mp_wire_put32(buf + 8, h->ack);
    mp_wire_put16(buf + 12, (uint16_t)((hlen / 4) << 12 | h->flags));
    mp_wire_put16(buf + 14, h->window);
    mp_wire_put16(buf + 16, h->csum);
    mp_wire_put16(buf + 18, h->urg);
    if (h->opts_len)
        memmove(buf + MP_WIRE_TCP_HLEN, h->opts, h->opts_len);
    return (int)hlen;
}

int mp_wire_tcp_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                      const struct mp_wire_tcp *h, const uint8_t *payload, size_t plen,
                      const struct mp_wire_ipx *x, bool csum_now)
{
    size_t hl = mp_wire_ip_hlen(src->v);
    size_t thl = MP_WIRE_TCP_HLEN + h->opts_len;
    size_t slen = thl + plen;
    struct mp_wire_tcp t = *h;
    uint8_t *l4;
    int r;

    if (!hl || src->v != dst->v || h->opts_len > MP_WIRE_TCP_MAX_OPTS || slen > UINT16_MAX)
        return MP_WIRE_EINVAL;
    if (cap < hl + slen)
        return MP_WIRE_ENOSPC;
    if (payload)
        memmove(buf + hl + thl, payload, plen);
    t.csum = 0;
    r = mp_wire_tcp_emit(buf + hl, cap - hl, &t);
    if (r < 0)
        return r;
    r = mp_wire_ip_build_hdr(buf, cap, src, dst, MP_IPPROTO_TCP, slen, x, csum_now);
    if (r < 0)
        return r;
    l4 = buf + hl;
    if (csum_now)
        mp_wire_put16(l4 + 16, mp_wire_csum_l4(src, dst, MP_IPPROTO_TCP, l4, slen));
    return (int)(hl + slen);
}
