/*
 * afmp: TCP option codec (see tcp_opt.h).
 */
#include "model/tcp/tcp_opt.h"

#include <string.h>

#include "model/wire/wire.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int mp_tcp_opt_parse(const uint8_t *p, size_t len, bool syn, struct mp_tcp_optvals *out)
{
    struct mp_wire_opt_iter it;
    struct mp_wire_opt o;
    int rc;
    memset(out, 0, sizeof(*out));
    mp_wire_opt_iter_init(&it, p, len);
    while ((rc = mp_wire_opt_next(&it, &o)) == 1) {
        switch (o.kind) {
        case MP_TCPOPT_MSS:
            if (o.data_len == 2 && syn) {
                out->has_mss = true;
                out->mss = (uint16_t)(o.data[0] << 8 | o.data[1]);
            }
            break;
        case MP_TCPOPT_WSCALE:
            if (o.data_len == 1 && syn) {
                out->has_ws = true;
                /* RFC 7323 2.3: a shift above 14 is used as 14. */
                out->ws = o.data[0] > MP_TCP_MAX_WSCALE ? MP_TCP_MAX_WSCALE : o.data[0];
            }
            break;
        case MP_TCPOPT_SACK_PERM:
            if (o.data_len == 0 && syn)
                out->sack_perm = true;
            break;
        case MP_TCPOPT_TIMESTAMP:
            if (o.data_len == 8) {
                out->has_ts = true;
                out->tsval = get32(o.data);
                out->tsecr = get32(o.data + 4);
            }
            break;
        case MP_TCPOPT_SACK:
            if (o.data_len >= 8 && o.data_len % 8 == 0) {
                for (size_t i = 0; i + 8 <= o.data_len && out->nsacks < MP_SACK_MAX_BLOCKS; i += 8) {
                    out->sacks[out->nsacks].start = get32(o.data + i);
                    out->sacks[out->nsacks].end = get32(o.data + i + 4);
                    out->nsacks++;
                }
            }
            break;
        default:
            break;
        }
    }
    return rc < 0 ? MP_WIRE_EOPT : 0;
}

int mp_tcp_opt_put_mss(uint8_t *buf, size_t cap, uint16_t mss)
{
    uint8_t d[2] = {(uint8_t)(mss >> 8), (uint8_t)mss};
    return mp_wire_opt_put(buf, cap, MP_TCPOPT_MSS, d, 2);
}

int mp_tcp_opt_put_ws(uint8_t *buf, size_t cap, uint8_t shift)
{
    if (cap < MP_TCP_OLEN_WS_ALIGNED)
        return MP_WIRE_ENOSPC;
    buf[0] = MP_TCPOPT_NOP;
    return 1 + mp_wire_opt_put(buf + 1, cap - 1, MP_TCPOPT_WSCALE, &shift, 1);
}

int mp_tcp_opt_put_sackperm_ts(uint8_t *buf, size_t cap, bool ts, uint32_t tsval, uint32_t tsecr)
{
    if (!ts) {
        if (cap < MP_TCP_OLEN_SACKPERM_ALIGNED)
            return MP_WIRE_ENOSPC;
        buf[0] = buf[1] = MP_TCPOPT_NOP;
        buf[2] = MP_TCPOPT_SACK_PERM;
        buf[3] = 2;
        return 4;
    }
    if (cap < 12)
        return MP_WIRE_ENOSPC;
    buf[0] = MP_TCPOPT_SACK_PERM;
    buf[1] = 2;
    buf[2] = MP_TCPOPT_TIMESTAMP;
    buf[3] = 10;
    put32(buf + 4, tsval);
    put32(buf + 8, tsecr);
    return 12;
}

int mp_tcp_opt_put_ts(uint8_t *buf, size_t cap, uint32_t tsval, uint32_t tsecr)
{
    if (cap < MP_TCP_OLEN_TS_ALIGNED)
        return MP_WIRE_ENOSPC;
    buf[0] = buf[1] = MP_TCPOPT_NOP;
    buf[2] = MP_TCPOPT_TIMESTAMP;
    buf[3] = 10;
    put32(buf + 4, tsval);
    put32(buf + 8, tsecr);
    return 12;
}

int mp_tcp_opt_put_sack(uint8_t *buf, size_t cap, const struct mp_sack_block *b, size_t n)
{
    size_t need = MP_TCP_OLEN_SACK_BASE + MP_TCP_OLEN_SACK_BLOCK * n;
    if (n == 0 || n > MP_SACK_MAX_BLOCKS)
        return MP_WIRE_EINVAL;
    if (cap < need)
        return MP_WIRE_ENOSPC;
    buf[0] = buf[1] = MP_TCPOPT_NOP;
    buf[2] = MP_TCPOPT_SACK;
    buf[3] = (uint8_t)(2 + 8 * n);
    for (size_t i = 0; i < n; i++) {
        put32(buf + 4 + 8 * i, b[i].start);
        put32(buf + 8 + 8 * i, b[i].end);
    }
    return (int)need;
}
