/*
 * afmp: MPTCP v1 keys, tokens, HMACs and the DSS checksum (RFC 8684 3.1,
 * 3.2, 3.3.1, 3.4.1). SHA-256 and HMAC-SHA256 come from GLib.
 */
#include <string.h>

#include <glib.h>

#include "model/mptcp/crypto.h"
#include "model/wire/wire.h"

static void put64(uint8_t *p, uint64_t v)
{
    mp_wire_put32(p, (uint32_t)(v >> 32));
    mp_wire_put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)mp_wire_get32(p) << 32 | mp_wire_get32(p + 4);
}

void mp_mptcp_key_derive(uint64_t key, uint32_t *token, uint64_t *idsn)
{
    uint8_t kb[8], digest[32];
    gsize dlen = sizeof(digest);
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);

    /* RFC 8684 3.1: the key is hashed in network byte order. */
    put64(kb, key);
    g_checksum_update(c, kb, sizeof(kb));
    g_checksum_get_digest(c, digest, &dlen);
    g_checksum_free(c);
    /* Token: most significant 32 bits; IDSN: least significant 64 bits. */
    if (token)
        *token = mp_wire_get32(digest);
    if (idsn)
        *idsn = get64(digest + 24);
}

void mp_mptcp_hmac(uint64_t key1, uint64_t key2, const uint8_t *msg, size_t len, uint8_t out[32])
{
    uint8_t kb[16];
    gsize dlen = 32;
    GHmac *h;

    put64(kb, key1);
    put64(kb + 8, key2);
    h = g_hmac_new(G_CHECKSUM_SHA256, kb, sizeof(kb));
    if (len)
        g_hmac_update(h, msg, (gssize)len);
    g_hmac_get_digest(h, out, &dlen);
    g_hmac_unref(h);
}

/* HMAC(key_local || key_remote, nonce_local || nonce_remote), RFC 8684 3.2. */
static void join_hmac(uint64_t key_local, uint64_t key_remote, uint32_t nonce_local,
                      uint32_t nonce_remote, uint8_t out[32])
{
    uint8_t msg[8];

    mp_wire_put32(msg, nonce_local);
    mp_wire_put32(msg + 4, nonce_remote);
    mp_mptcp_hmac(key_local, key_remote, msg, sizeof(msg), out);
}

uint64_t mp_mptcp_join_synack_hmac(uint64_t key_local, uint64_t key_remote, uint32_t nonce_local,
                                   uint32_t nonce_remote)
{
    uint8_t mac[32];

    join_hmac(key_local, key_remote, nonce_local, nonce_remote, mac);
    /* RFC 8684 3.2: the SYN/ACK carries the leftmost 64 bits. */
    return get64(mac);
}

void mp_mptcp_join_ack_hmac(uint64_t key_local, uint64_t key_remote, uint32_t nonce_local,
                            uint32_t nonce_remote, uint8_t out[20])
{
    uint8_t mac[32];

    join_hmac(key_local, key_remote, nonce_local, nonce_remote, mac);
    /* RFC 8684 3.2: the third ACK carries the leftmost 160 bits. */
    memcpy(out, mac, 20);
}

uint64_t mp_mptcp_add_addr_hmac(uint64_t key_snd, uint64_t key_rcv, uint8_t addr_id,
                                const struct mp_ip *addr, uint16_t port)
{
    uint8_t msg[1 + 16 + 2], mac[32];
    size_t alen;

    if (addr->v != 4 && addr->v != 6)
        return 0;
    alen = addr->v == 4 ? 4 : 16;
    msg[0] = addr_id;
    memcpy(msg + 1, addr->b, alen);
    /* RFC 8684 3.4.1: without a port in the option, the message still holds
     * two octets of zero. */
    mp_wire_put16(msg + 1 + alen, port);
    mp_mptcp_hmac(key_snd, key_rcv, msg, 1 + alen + 2, mac);
    /* RFC 8684 3.4.1: the rightmost 64 bits. */
    return get64(mac + 24);
}

/* The 16-byte DSS checksum pseudo-header (RFC 8684 3.3.1, figure 10 area):
 * the DSN is always the full 64 bits, even when the option carries 32. */
static void pseudo_header(uint8_t ph[16], uint64_t dsn, uint32_t ssn, uint16_t data_len,
                          uint16_t csum)
{
    put64(ph, dsn);
    mp_wire_put32(ph + 8, ssn);
    mp_wire_put16(ph + 12, data_len);
    mp_wire_put16(ph + 14, csum);
}

uint32_t mp_mptcp_csum_start(uint64_t dsn, uint32_t ssn, uint16_t data_len)
{
    uint8_t ph[16];

    pseudo_header(ph, dsn, ssn, data_len, 0);
    return mp_wire_csum_add(0, ph, sizeof(ph));
}

uint16_t mp_mptcp_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t data_len, const uint8_t *data,
                           size_t dlen)
{
    uint32_t sum = mp_mptcp_csum_start(dsn, ssn, data_len);

    if (dlen)
        sum = mp_wire_csum_add(sum, data, dlen);
    return mp_wire_csum_fold(sum);
}

bool mp_mptcp_dss_csum_ok(uint64_t dsn, uint32_t ssn, uint16_t data_len, uint16_t csum,
                          const uint8_t *data, size_t dlen)
{
    uint8_t ph[16];
    uint32_t sum;

    /* The received checksum sits in the pseudo-header's zero field (an even
     * offset), so a correct one makes the whole sum 0xffff, folding to 0. */
    pseudo_header(ph, dsn, ssn, data_len, csum);
    sum = mp_wire_csum_add(0, ph, sizeof(ph));
    if (dlen)
        sum = mp_wire_csum_add(sum, data, dlen);
    return mp_wire_csum_fold(sum) == 0;
}
