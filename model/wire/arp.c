/*
 * afmp: ARP for IPv4 over Ethernet (RFC 826).
 */
#include <string.h>

#include "model/wire/wire.h"

/* RFC 826 / IANA: hardware type 1 is Ethernet. */
#define ARP_HRD_ETHER 1

int mp_wire_arp_parse(const uint8_t *p, size_t len, struct mp_wire_arp *out)
{
    if (len < 8)
        return MP_WIRE_ETRUNC;
    if (mp_wire_get16(p) != ARP_HRD_ETHER || mp_wire_get16(p + 2) != MP_ETHERTYPE_IPV4 ||
        p[4] != 6 || p[5] != 4)
        return MP_WIRE_EUNSUPP;
    if (len < MP_WIRE_ARP_LEN)
        return MP_WIRE_ETRUNC;
    out->op = mp_wire_get16(p + 6);
    memset(&out->spa, 0, sizeof(out->spa));
    memset(&out->tpa, 0, sizeof(out->tpa));
    out->spa.v = out->tpa.v = 4;
    memcpy(out->sha, p + 8, 6);
    memcpy(out->spa.b, p + 14, 4);
    memcpy(out->tha, p + 18, 6);
    memcpy(out->tpa.b, p + 24, 4);
    return 0;
}

int mp_wire_arp_emit(uint8_t *buf, size_t cap, const struct mp_wire_arp *a)
{
    if (a->spa.v != 4 || a->tpa.v != 4)
        return MP_WIRE_EINVAL;
    if (cap < MP_WIRE_ARP_LEN)
        return MP_WIRE_ENOSPC;
    mp_wire_put16(buf, ARP_HRD_ETHER);
    mp_wire_put16(buf + 2, MP_ETHERTYPE_IPV4);
    buf[4] = 6;
    buf[5] = 4;
    mp_wire_put16(buf + 6, a->op);
    memcpy(buf + 8, a->sha, 6);
    memcpy(buf + 14, a->spa.b, 4);
    memcpy(buf + 18, a->tha, 6);
    memcpy(buf + 24, a->tpa.b, 4);
    return (int)MP_WIRE_ARP_LEN;
}
