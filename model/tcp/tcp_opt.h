/*
 * afmp: TCP options (RFC 9293 3.2, RFC 7323, RFC 2018) on top of the
 * generic option iterator of model/wire.
 *
 * The parser walks a segment's options area once and fills a struct with
 * what TCP understands (MSS, window scale, SACK-permitted, SACK blocks,
 * timestamps); other kinds (MPTCP's) are left for the extension, which gets
 * the raw area. Emitters append one option at a time and never write past
 * the buffer; the connection (tcp_out.c) decides the layout and the budget.
 */
#ifndef MP_TCP_OPT_H
#define MP_TCP_OPT_H

#include "model/tcp/seq.h"
#include "model/types.h"

/* Bytes each option takes on the wire, with the NOPs afmp pads them with
 * (Linux's layout: 4-byte aligned). */
#define MP_TCP_OLEN_MSS 4u
#define MP_TCP_OLEN_WS_ALIGNED 4u      /* NOP + 3 */
#define MP_TCP_OLEN_SACKPERM_ALIGNED 4u /* NOP NOP + 2 (without timestamps) */
#define MP_TCP_OLEN_TS_ALIGNED 12u     /* NOP NOP + 10 */
#define MP_TCP_OLEN_SACK_BASE 4u       /* NOP NOP kind len */
#define MP_TCP_OLEN_SACK_BLOCK 8u

/* RFC 7323 2.3: the shift is at most 14. */
#define MP_TCP_MAX_WSCALE 14u

struct mp_tcp_optvals {
    bool has_mss;
    uint16_t mss;
    bool has_ws;
    uint8_t ws; /* clamped to 14 (RFC 7323 2.3: log the error, use 14) */
    bool sack_perm;
    bool has_ts;
    uint32_t tsval, tsecr;
    uint32_t nsacks;
    struct mp_sack_block sacks[MP_SACK_MAX_BLOCKS];
};

/*
 * mp_tcp_opt_parse parses the options area |p| of |len| bytes into |out|.
 * Options with a known kind but a wrong length are ignored as Linux does
 * (RFC 9293 3.2 says to be robust); MSS and window scale count only on a
 * SYN (|syn|). SACK blocks beyond four are ignored.
 * Returns 0, or MP_WIRE_EOPT when the area itself is malformed (a length
 * byte below 2 or past the end): the caller drops the segment.
 */
int mp_tcp_opt_parse(const uint8_t *p, size_t len, bool syn, struct mp_tcp_optvals *out);

/* Emitters: each writes its option with its alignment NOPs at |buf| (room
 * |cap|) and returns the bytes written, or MP_WIRE_ENOSPC. */
int mp_tcp_opt_put_mss(uint8_t *buf, size_t cap, uint16_t mss);
int mp_tcp_opt_put_ws(uint8_t *buf, size_t cap, uint8_t shift);
/* SACK-permitted then timestamps, 12 bytes (Linux's SYN layout), or with
 * |ts| false NOP NOP SACK-permitted (4 bytes). */
int mp_tcp_opt_put_sackperm_ts(uint8_t *buf, size_t cap, bool ts, uint32_t tsval, uint32_t tsecr);
/* NOP NOP timestamps, 12 bytes. */
int mp_tcp_opt_put_ts(uint8_t *buf, size_t cap, uint32_t tsval, uint32_t tsecr);
/* NOP NOP SACK with |n| blocks (1..4), 4 + 8n bytes. */
int mp_tcp_opt_put_sack(uint8_t *buf, size_t cap, const struct mp_sack_block *b, size_t n);

#endif
