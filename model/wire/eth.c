/*
 * afmp: Ethernet II frames with an optional IEEE 802.1Q tag.
 */
#include <string.h>

#include "model/wire/wire.h"

int mp_wire_eth_parse(const uint8_t *p, size_t len, struct mp_wire_eth *out)
{
    uint16_t type;

    if (len < MP_WIRE_ETH_HLEN)
        return MP_WIRE_ETRUNC;
    memcpy(out->dst, p, 6);
    memcpy(out->src, p + 6, 6);
    type = mp_wire_get16(p + 12);
    out->has_vlan = type == MP_ETHERTYPE_VLAN;
    out->tci = 0;
    out->hdr_len = MP_WIRE_ETH_HLEN;
    if (out->has_vlan) {
        if (len < MP_WIRE_ETH_VLAN_HLEN)
            return MP_WIRE_ETRUNC;
        out->tci = mp_wire_get16(p + 14);
        type = mp_wire_get16(p + 16);
        out->hdr_len = MP_WIRE_ETH_VLAN_HLEN;
    }
    /* IEEE 802.3: values up to 1500 are a length (802.3 framing with LLC),
     * values from 0x0600 an EtherType; afmp speaks only Ethernet II. */
    if (type < 0x0600)
        return MP_WIRE_EUNSUPP;
    out->ethertype = type;
    out->payload = p + out->hdr_len;
    out->payload_len = len - out->hdr_len;
    return 0;
}

int mp_wire_eth_emit(uint8_t *buf, size_t cap, const struct mp_wire_eth *h)
{
    size_t hl = h->has_vlan ? MP_WIRE_ETH_VLAN_HLEN : MP_WIRE_ETH_HLEN;

    if (cap < hl)
        return MP_WIRE_ENOSPC;
    memcpy(buf, h->dst, 6);
    memcpy(buf + 6, h->src, 6);
    if (h->has_vlan) {
        mp_wire_put16(buf + 12, MP_ETHERTYPE_VLAN);
        mp_wire_put16(buf + 14, h->tci);
    }
    mp_wire_put16(buf + hl - 2, h->ethertype);
    return (int)hl;
}
