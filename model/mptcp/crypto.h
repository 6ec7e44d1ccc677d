/*
 * afmp: MPTCP v1 cryptography (RFC 8684 3.1, 3.2, 3.4.1, 3.3.1).
 *
 * Keys are 64-bit numbers that travel as 8 big-endian bytes. The token of a
 * key identifies the connection in MP_JOIN; its IDSN starts the data
 * sequence space. HMACs are HMAC-SHA256 (the only algorithm, flag H) keyed
 * with the two 8-byte keys concatenated. SHA-256 and HMAC come from GLib
 * (GChecksum, GHmac).
 *
 * Naming in the MP_JOIN helpers: "local" is the side that SENDS the option
 * carrying the HMAC, "remote" the side that receives it. The sender computes
 * with its own key and nonce as local; the receiver checks by calling the
 * same function with the peer's key and nonce as local and its own as
 * remote, then compares.
 */
#ifndef MP_MPTCP_CRYPTO_H
#define MP_MPTCP_CRYPTO_H

#include "model/types.h"

/*
 * mp_mptcp_key_derive computes the token and the initial data sequence
 * number of |key| (RFC 8684 3.1): token = the most significant 32 bits of
 * SHA-256(key as 8 big-endian bytes), IDSN = the least significant 64 bits.
 * Either of |token| and |idsn| may be NULL.
 */
void mp_mptcp_key_derive(uint64_t key, uint32_t *token, uint64_t *idsn);

/*
 * mp_mptcp_hmac writes HMAC-SHA256 of the |len| bytes at |msg| to |out|,
 * with the 16-byte key key1 || key2 (each 8 big-endian bytes).
 */
void mp_mptcp_hmac(uint64_t key1, uint64_t key2, const uint8_t *msg, size_t len, uint8_t out[32]);

/*
 * mp_mptcp_join_synack_hmac returns the leftmost 64 bits, as a big-endian
 * number, of HMAC(key_local || key_remote, nonce_local || nonce_remote): the
 * truncated HMAC of an MP_JOIN SYN/ACK (RFC 8684 3.2). The listener B
 * sends it with (key_B, key_A, nonce_B, nonce_A); the joiner A checks it by
 * calling with the same arguments, i.e. key_local = the peer's key.
 */
uint64_t mp_mptcp_join_synack_hmac(uint64_t key_local, uint64_t key_remote, uint32_t nonce_local,
                                   uint32_t nonce_remote);

/*
 * mp_mptcp_join_ack_hmac writes to |out| the leftmost 160 bits of
 * HMAC(key_local || key_remote, nonce_local || nonce_remote): the HMAC of
 * an MP_JOIN third ACK (RFC 8684 3.2). The joiner A sends it with (key_A,
 * key_B, nonce_A, nonce_B); the listener B checks it with the same
 * arguments (key_local = the peer's key) and memcmp.
 */
void mp_mptcp_join_ack_hmac(uint64_t key_local, uint64_t key_remote, uint32_t nonce_local,
                            uint32_t nonce_remote, uint8_t out[20]);

/*
 * mp_mptcp_add_addr_hmac returns the rightmost 64 bits, as a big-endian
 * number, of HMAC(key_snd || key_rcv, addr_id || address || port) (RFC 8684
 * 3.4.1), where the address is 4 or 16 bytes by |addr->v| and the port is 2
 * big-endian bytes, 0 when the option carries none. |key_snd| belongs to the
 * host sending the ADD_ADDR; the receiver checks with the same arguments
 * (key_snd = the peer's key). Returns 0 when |addr->v| is neither 4 nor 6.
 */
uint64_t mp_mptcp_add_addr_hmac(uint64_t key_snd, uint64_t key_rcv, uint8_t addr_id,
                                const struct mp_ip *addr, uint16_t port);

/*
 * DSS checksum (RFC 8684 3.3.1): the 16-bit one's-complement sum of a
 * pseudo-header { DSN (8 bytes, always the full 64-bit value), relative SSN
 * (4), data-level length (2), zero (2) } followed by the mapped payload.
 *
 * mp_mptcp_csum_start returns the unfolded sum of the pseudo-header. The
 * caller adds the payload with mp_wire_csum_add (model/wire/wire.h) and
 * takes the value for the wire with mp_wire_csum_fold. mp_wire_csum_add pads
 * an odd chunk with a zero byte, so when the payload is added in several
 * chunks, every chunk but the last must have an even length (a mapping that
 * spans segments of odd size must be summed from a contiguous copy, or
 * split at even offsets).
 */
uint32_t mp_mptcp_csum_start(uint64_t dsn, uint32_t ssn, uint16_t data_len);

/*
 * mp_mptcp_dss_csum returns the checksum to put in the DSS option of a
 * mapping (dsn, ssn, data_len) over the |dlen| bytes at |data|, complemented
 * as TCP's (host order). A DATA_FIN counts 1 in |data_len| but has no byte
 * in |data|.
 */
uint16_t mp_mptcp_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t data_len, const uint8_t *data,
                           size_t dlen);

/*
 * mp_mptcp_dss_csum_ok returns true when |csum|, as received in a DSS
 * option, is right for the mapping (dsn, ssn, data_len) over the |dlen| bytes
 * at |data|: the sum over the pseudo-header with |csum| in its zero field,
 * plus the payload, folds to 0.
 */
bool mp_mptcp_dss_csum_ok(uint64_t dsn, uint32_t ssn, uint16_t data_len, uint16_t csum,
                          const uint8_t *data, size_t dlen);

#endif
